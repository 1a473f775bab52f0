/* audio_thread.c - the audio service's own thread (audio_impl.h).
 *
 * It keeps time: every frame it captures, puts the frame through the
 * capture chain (dsp.h), encodes it and hands it to the net thread; on
 * the hub it also takes every member's frame out of that member's jitter
 * buffer, plans the mixes (mix.h), renders and encodes them; on a member
 * it plays what the hub sent. It meets the net thread only through the
 * two rings and a few atomics. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <time.h>

#include "audio_impl.h"
#include "clock.h"

/* In a jitter buffer a packet is held as [u16 len][frame][redundant], so a
 * lost frame can be taken from the redundant copy in the next packet. */
#define PACKED_MAX LM_JITTER_PAYLOAD_MAX

/* A packet too large for the buffer with its copy keeps only the frame. */
static size_t pack(const item *it, uint8_t out[PACKED_MAX])
{
    size_t red = 2 + (size_t)it->len + it->red_len <= PACKED_MAX ? it->red_len : 0;
    out[0] = (uint8_t)it->len;
    out[1] = (uint8_t)(it->len >> 8);
    memcpy(out + 2, it->data, it->len);
    memcpy(out + 2 + it->len, it->red, red);
    return 2 + (size_t)it->len + red;
}

/* The frame (or, with red, the redundant copy) of a packed packet. */
static const uint8_t *unpack(const uint8_t *p, size_t n, bool red,
                             size_t *len)
{
    size_t k = n >= 2 ? (size_t)(p[0] | p[1] << 8) : 0;
    if (n < 2 || k > n - 2) {
        *len = 0;
        return NULL;
    }
    *len = red ? n - 2 - k : k;
    return red ? p + 2 + k : p + 2;
}

/* ---- helpers --------------------------------------------------------- */

OpusEncoder *audio_new_encoder(void)
{
    int err;
    OpusEncoder *e = opus_encoder_create(48000, 1,
                                         OPUS_APPLICATION_RESTRICTED_LOWDELAY,
                                         &err);
    if (e)
        opus_encoder_ctl(e, OPUS_SET_BITRATE(BITRATE));
    return e;
}

OpusDecoder *audio_new_decoder(void)
{
    int err;
    return opus_decoder_create(48000, 1, &err);
}

void audio_close_io(lm_audio_io *io)
{
    if (io->ops && io->ops->close)
        io->ops->close(io->dev);
    io->ops = NULL;
    io->dev = NULL;
}

/* ---- the audio thread ------------------------------------------------- */

static void push_out(lm_audio *a, const item *it)
{
    /* a full ring means the net thread is far behind: the frame is stale */
    if (!lm_ring_push(a->tx, it))
        return;
}

static void slot_reset(stream *s)
{
    lm_jitter_free(s->jit);
    s->jit = NULL;
    if (s->dec)
        opus_decoder_ctl(s->dec, OPUS_RESET_STATE);
    s->had = false;
    s->live = false;
    s->vad_us = 0;
    s->fwd.len = s->fwd.red_len = 0;
    s->fwd_mask = 0;
}

/* A forwarded talker's packet that came after our play point passed its
 * frame: the listeners' buffers wait longer than ours (ours is lean for
 * a forwarded stream), so it goes on to them now, numbered as it would
 * have been on time. */
static void forward_late(lm_audio *a, const stream *s, const item *in,
                         int64_t now)
{
    if (!a->hub || !s->fwd_mask || !lm_jitter_missed(s->jit, in->seq))
        return;
    item it = {.kind = OUT_MIX, .mask = s->fwd_mask, .slot = in->slot,
               .seq = in->seq + s->fwd_off, .capture_us = now,
               .len = in->len, .red_len = in->red_len};
    memcpy(it.data, in->data, in->len);
    memcpy(it.red, in->red, in->red_len);
    push_out(a, &it);
}

static void take_input(lm_audio *a, int64_t now)
{
    item it;
    uint8_t packed[PACKED_MAX];
    while (lm_ring_pop(a->rx, &it)) {
        stream *s = it.slot < SLOTS ? &a->st[it.slot] : NULL;
        switch (it.kind) {
        case IN_FRAME:
            a->heard_us = now;
            if (s && s->live && s->jit) {
                forward_late(a, s, &it, now);
                lm_jitter_put(s->jit, it.seq, it.arrival_us, packed,
                              pack(&it, packed));
            }
            /* speaking follows the sender's voice activity as it comes,
             * a jitter buffer's depth ahead of the sound: the indicator
             * needs no better */
            if (s && s->live && (it.flags & LM_AUDIO_VOICE))
                s->vad_us = now;
            break;
        case IN_MIX:
            if (a->play)
                lm_jitter_put(a->play, it.seq, it.arrival_us, packed,
                              pack(&it, packed));
            break;
        case IN_JOINED:
            if (!s || it.slot == 0)
                break;
            slot_reset(s);
            s->jit = lm_jitter_new(a->cfg.frame_us, JITTER_FRAMES);
            if (!s->dec)
                s->dec = audio_new_decoder();
            s->live = s->jit && s->dec;
            if (s->live)
                a->members |= 1ull << it.slot;
            break;
        case IN_LEFT:
            if (!s || it.slot == 0)
                break;
            if (s->speaking) {
                item sp = {.kind = OUT_SPEAKING, .slot = it.slot, .on = false};
                push_out(a, &sp);
            }
            s->speaking = false;
            slot_reset(s);
            a->members &= ~(1ull << it.slot);
            break;
        case IN_ROLES:
            a->hub = it.on;
            break;
        }
    }
}

/* This tick's frame of a stream, decoded into pcm: the packet itself, or
 * for a lost one the copy the next packet carries, or Opus's concealment.
 * fwd gets the packet as it came (for forwarding; len 0 when none). Returns
 * the samples decoded, 0 when there is nothing to play. */
static int play_from(lm_jitter *j, OpusDecoder *dec, int64_t now, bool had,
                     size_t samples, int16_t *pcm, item *fwd)
{
    uint8_t buf[PACKED_MAX];
    size_t n = 0, len = 0;
    const uint8_t *p;
    fwd->len = fwd->red_len = 0;
    lm_jitter_kind k = lm_jitter_get(j, now, buf, sizeof buf, &n, NULL);
    if (k == LM_JITTER_FRAME && (p = unpack(buf, n, false, &len))) {
        const uint8_t *r;
        size_t rl = 0;
        memcpy(fwd->data, p, len);
        fwd->len = (uint16_t)len;
        if ((r = unpack(buf, n, true, &rl)) && rl) {
            memcpy(fwd->red, r, rl);
            fwd->red_len = (uint16_t)rl;
        }
        return opus_decode(dec, p, (opus_int32)len, pcm, (int)samples, 0);
    }
    if (!had)
        return 0;
    const uint8_t *next;
    size_t nn;
    if (k == LM_JITTER_LOSS && lm_jitter_peek(j, &next, &nn, NULL) &&
        (p = unpack(next, nn, true, &len)) && len > 0) {
        /* the copy is the frame itself: forwarded, it spares the
         * listeners a loss of their own (at 20 % lost on each hop, a
         * frame missing at theirs from 13 % down to about 5 %) */
        memcpy(fwd->data, p, len);
        fwd->len = (uint16_t)len;
        return opus_decode(dec, p, (opus_int32)len, pcm, (int)samples, 0);
    }
    /* lost, or the buffer growing or run dry: Opus conceals, fading to
     * silence if nothing more comes */
    return opus_decode(dec, NULL, 0, pcm, (int)samples, 0);
}

/* Takes each member's frame for this tick: decoded into its pcm, the
 * packet kept for forwarding. Returns the slots loud enough to mix (a
 * level, not the voice activity: a click or a tone is heard too, and a
 * word's quiet start is not cut). */
static uint64_t gather(lm_audio *a, int64_t now)
{
    uint64_t voice = 0;
    for (unsigned i = 1; i < SLOTS; i++) {
        stream *s = &a->st[i];
        s->fwd.len = s->fwd.red_len = 0;
        if (!s->live)
            continue;
        int got = play_from(s->jit, s->dec, now, s->had, a->samples, s->pcm,
                            &s->fwd);
        if (s->fwd.len)
            s->had = true;
        if (got != (int)a->samples)
            continue;
        if (lm_mix_level_dbfs(s->pcm, a->samples) > SPEAK_DBFS)
            s->voice_us = now;
        if (s->voice_us && now - s->voice_us < SPEAK_HANG_US)
            voice |= 1ull << i;
    }
    return voice;
}

/* Speaking, as the hub tells it: on at the first frame its sender's
 * voice activity marked, off after a hangover without one. The level
 * would do on a clean file, but not in a room: bench_aec's voice activity
 * figures put a steady -45 dBFS noise at 100 % false "speaking" by level,
 * 3-11 % by the chain's voice activity. */
static void tell_speaking(lm_audio *a, int64_t now)
{
    for (unsigned i = 0; i < SLOTS; i++) {
        const stream *s = &a->st[i];
        bool on = (i == 0 || s->live) && s->vad_us &&
                  now - s->vad_us < SPEAK_HANG_US;
        if (on == a->st[i].speaking)
            continue;
        a->st[i].speaking = on;
        item it = {.kind = OUT_SPEAKING, .slot = (uint8_t)i, .on = on};
        push_out(a, &it);
    }
}

static enc_slot *group_encoder(lm_audio *a, uint64_t speakers,
                               uint64_t voice)
{
    /* "all speaking" is slot 0 (we are never missing from our own
     * group's listeners that way); "all but s" is slot s */
    int s = speakers == voice ? 0 : __builtin_ctzll(voice & ~speakers);
    enc_slot *e = &a->genc[s];
    if (!e->enc) {
        e->enc = audio_new_encoder();
        e->prev_len = 0;
    }
    return e->enc ? e : NULL;
}

/* The hub's tick: every listener's mix of everyone but itself. `own` is
 * this node's frame (NULL when it sends nothing), `own_pkt` its packet.
 * Writes what this node hears into out. */
static void hub_tick(lm_audio *a, int64_t now, const int16_t *own,
                     const item *own_pkt, int16_t *out)
{
    uint64_t voice = gather(a, now);
    if (own) {
        memcpy(a->st[0].pcm, own, a->samples * sizeof *own);
        if (lm_mix_level_dbfs(own, a->samples) > SPEAK_DBFS)
            a->st[0].voice_us = now;
        if (a->st[0].voice_us && now - a->st[0].voice_us < SPEAK_HANG_US)
            voice |= 1;
        if (own_pkt->flags & LM_AUDIO_VOICE)
            a->st[0].vad_us = now;
        a->st[0].fwd = *own_pkt;
    }
    tell_speaking(a, now);
    memset(out, 0, a->samples * sizeof *out);
    a->hub_seq++;
    lm_mix_plan plan;
    lm_mix_plan_make(&plan, a->members | 1, voice, LM_MIX_FORWARD);
    /* a stream that is mixed waits in its buffer for its late packets;
     * any other waits in the listeners' buffers alone (forward_late) */
    uint64_t mixed = 0;
    for (size_t g = 0; g < plan.count; g++)
        if (plan.group[g].forward_from == LM_MIX_NO_FORWARD)
            mixed |= plan.group[g].speakers;
    for (unsigned i = 1; i < SLOTS; i++) {
        a->st[i].fwd_mask = 0;
        if (a->st[i].jit)
            lm_jitter_set_lean(a->st[i].jit, !(mixed >> i & 1));
    }
    if (plan.count == 0)
        return; /* nobody speaks: nothing is encoded or sent */
    const int16_t *frames[SLOTS] = {0};
    for (unsigned i = 0; i < SLOTS; i++)
        if (voice >> i & 1)
            frames[i] = a->st[i].pcm;
    if (lm_mix_begin(a->mix, frames, voice) < 0)
        return;
    for (size_t g = 0; g < plan.count; g++) {
        const lm_mix_group *gr = &plan.group[g];
        uint64_t others = gr->listeners & ~1ull;
        item it = {.kind = OUT_MIX, .mask = others, .seq = a->hub_seq,
                   .capture_us = now};
        if (gr->forward_from != LM_MIX_NO_FORWARD) {
            stream *s = &a->st[gr->forward_from];
            uint32_t next;
            if (gr->forward_from != 0 && others &&
                lm_jitter_play_point(s->jit, &next)) {
                s->fwd_mask = others; /* the frame before next is hub_seq's */
                s->fwd_off = a->hub_seq - (next - 1);
            }
            if (gr->listeners & 1)
                memcpy(out, s->pcm, a->samples * sizeof *out);
            if (!others || s->fwd.len == 0)
                continue; /* concealed frames are not forwarded (one
                             that comes late is: forward_late) */
            it.slot = (uint8_t)gr->forward_from;
            it.len = s->fwd.len;
            it.red_len = s->fwd.red_len;
            memcpy(it.data, s->fwd.data, s->fwd.len);
            memcpy(it.red, s->fwd.red, s->fwd.red_len);
            push_out(a, &it);
            continue;
        }
        int16_t pcm[MAX_SAMPLES];
        if (lm_mix_render(a->mix, gr->speakers, pcm) < 0)
            continue;
        if (gr->listeners & 1)
            memcpy(out, pcm, a->samples * sizeof *out);
        if (!others)
            continue;
        enc_slot *e = group_encoder(a, gr->speakers, voice);
        int len = e ? opus_encode(e->enc, pcm, (int)a->samples, it.data,
                                  sizeof it.data) : -1;
        if (len <= 0)
            continue;
        it.len = (uint16_t)len;
        memcpy(it.red, e->prev, e->prev_len); /* its previous mix again */
        it.red_len = e->prev_len;
        memcpy(e->prev, it.data, it.len);
        e->prev_len = it.len;
        push_out(a, &it);
    }
}

/* A member's tick: what the hub sent, through the jitter buffer. */
static void member_tick(lm_audio *a, int64_t now, int16_t *out)
{
    item got_pkt;
    int got = play_from(a->play, a->play_dec, now, a->play_had, a->samples,
                        out, &got_pkt);
    if (got_pkt.len)
        a->play_had = true;
    if (got != (int)a->samples)
        memset(out, 0, a->samples * sizeof *out);
}

static bool mic_open(lm_audio *a)
{
    return a->cfg.mic.ops && !a->dev_failed && !atomic_load(&a->muted) &&
           (!a->cfg.ptt || atomic_load(&a->ptt_open));
}

/* The microphone's chain (audio.h says which stages, and why). Created
 * here, on the thread that owns it, before the first frame. */
static lm_dsp *open_chain(const lm_audio *a)
{
    if (!a->cfg.mic.ops)
        return NULL;
    bool room = a->cfg.mic.ops->paced; /* a capture device hears a room */
    lm_dsp_config c = lm_dsp_defaults(a->samples);
    c.ns = c.agc = room;
    c.aec = room && a->cfg.speaker.ops && !a->cfg.no_aec;
    int err;
    return lm_dsp_new(&c, &err); /* NULL: no memory, the frames go raw */
}

/* The chain on this tick's frame, with what the speaker got last tick as
 * the echo's reference: that frame's echo reaches the microphone no
 * sooner than now (the devices' buffers lie between) and within the
 * canceller's tail (LM_DSP_TAIL_MS) if their round trip is short enough.
 * A chain that shapes the sound runs on every frame, the muted ones too,
 * so the canceller stays in step with the room; voice activity alone runs
 * only on what is sent. Returns whether the frame holds voice. */
static bool run_chain(lm_audio *a, int16_t *pcm, bool open)
{
    if (!a->dsp)
        return open && lm_mix_level_dbfs(pcm, a->samples) > SPEAK_DBFS;
    if (!open && !lm_dsp_shapes(a->dsp))
        return false;
    return lm_dsp_process(a->dsp, pcm, a->played_any ? a->played : NULL);
}

/* What lm_audio_stats reports: the buffers' figures, taken now and then
 * on the thread that owns the buffers. */
#define SNAP_US 250000

static void snapshot(lm_audio *a, int64_t now)
{
    if (now - a->snap_us < SNAP_US)
        return;
    a->snap_us = now;
    pthread_mutex_lock(&a->stats_lock);
    a->snap_hub = a->hub;
    a->snap_playing = !a->hub && a->play;
    if (a->snap_playing)
        lm_jitter_stats_get(a->play, &a->snap_play);
    a->snap_has = 0;
    for (unsigned i = 1; a->hub && i < SLOTS; i++) {
        if (!a->st[i].live || !a->st[i].jit)
            continue;
        lm_jitter_stats_get(a->st[i].jit, &a->snap[i]);
        a->snap_has |= 1ull << i;
    }
    pthread_mutex_unlock(&a->stats_lock);
}

/* A sound card's frames are on time only if this thread runs when they
 * come: on a loaded machine a thread of the default class waited over
 * 100 ms at times (the microphone ring cut its backlog) and the delay
 * stayed in the buffers after it. Real-time scheduling just under the
 * sound server's own (PulseAudio's default is 5) is asked for, and
 * granted to root or by RLIMIT_RTPRIO; without it the thread runs as
 * before. The thread sleeps every frame, so it cannot hold a core.
 * A thread on the clock needs it as much: a hub with no device mixes for
 * everyone, and a late tick there is late for every listener (a 4 s call
 * through a hub of the default class measured p50 20-85 ms mouth to ear
 * over six runs, 12-17 ms with every audio thread real-time). */
#define AUDIO_RT_PRIORITY 4

static void ask_realtime(void)
{
    struct sched_param sp = {.sched_priority = AUDIO_RT_PRIORITY};
    (void)pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
}

void *audio_main(void *arg)
{
    lm_audio *a = arg;
    int16_t pcm[MAX_SAMPLES], out[MAX_SAMPLES];
    a->dsp = open_chain(a);
    ask_realtime();
    int64_t start = lm_mono_us(), next = start;
    item first = {.kind = OUT_STARTED, .capture_us = start};
    push_out(a, &first);
    audio_wake_net(a);
    while (!atomic_load(&a->stop)) {
        if (!a->cfg.mic.ops && !a->cfg.speaker.ops &&
            (!a->hub || lm_mono_us() - a->heard_us > IDLE_AFTER_US)) {
            /* nothing to capture or play, and nobody to mix for (a hub
             * wakes up with the first frame that comes): look in now and
             * then. Silence costs next to nothing. */
            lm_sleep_until_us(lm_mono_us() + 20000);
            take_input(a, lm_mono_us());
            next = lm_mono_us();
            snapshot(a, next);
            continue;
        }
        /* a device that keeps time makes the thread wait in its read;
         * anything else, or a device that failed, waits on the clock */
        if (!a->cfg.mic.ops || !a->cfg.mic.ops->paced || a->dev_failed)
            lm_sleep_until_us(next);
        int64_t now = lm_mono_us();
        next += a->cfg.frame_us;
        take_input(a, now);
        bool send = false;
        item fr = {.kind = OUT_FRAME, .seq = a->seq++, .capture_us = now};
        if (a->cfg.mic.ops && !a->dev_failed &&
            a->cfg.mic.ops->read(a->cfg.mic.dev, pcm, a->samples) < 0)
            a->dev_failed = true;
        bool open = mic_open(a), voice = false;
        if (a->cfg.mic.ops && !a->dev_failed)
            voice = run_chain(a, pcm, open);
        if (open) {
            int len = opus_encode(a->enc, pcm, (int)a->samples, fr.data,
                                  sizeof fr.data);
            if (len > 0) {
                fr.len = (uint16_t)len;
                if (voice)
                    fr.flags |= LM_AUDIO_VOICE;
                send = true;
                /* the previous frame rides along: one lost packet costs
                 * nothing audible (a few bytes at these frame sizes) */
                memcpy(fr.red, a->prev, a->prev_len);
                fr.red_len = a->prev_len;
                memcpy(a->prev, fr.data, fr.len);
                a->prev_len = fr.len;
            }
        } else {
            a->prev_len = 0; /* after a mute nothing old rides along */
        }
        if (a->hub) {
            hub_tick(a, now, send ? pcm : NULL, &fr, out);
        } else {
            if (send)
                push_out(a, &fr);
            member_tick(a, now, out);
        }
        audio_wake_net(a);
        if (a->cfg.speaker.ops &&
            a->cfg.speaker.ops->write(a->cfg.speaker.dev, out, a->samples) < 0)
            audio_close_io(&a->cfg.speaker);
        a->played_any = a->cfg.speaker.ops != NULL;
        if (a->played_any)
            memcpy(a->played, out, a->samples * sizeof *out);
        snapshot(a, now);
        if (lm_mono_us() - next > 200000)
            next = lm_mono_us(); /* stopped for a while: do not race to catch up */
    }
    lm_dsp_free(a->dsp);
    a->dsp = NULL;
    return NULL;
}

