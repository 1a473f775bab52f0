/* audio.c - the room's audio (audio.h).
 *
 * Two threads. The net thread (the service ops at the end) turns packets
 * into ring items and ring items into packets; it never runs a codec. The
 * audio thread keeps time: every frame it captures, encodes and hands the
 * frame to the net thread; on the hub it also takes every member's frame
 * out of that member's jitter buffer, plans the mixes (mix.h), renders and
 * encodes them; on a member it plays what the hub sent. The two threads
 * talk only through two single-producer single-consumer rings (ring.h)
 * and a few atomics.
 *
 * Members are slots 1..63 on both threads (slot 0 is this node), so a mix
 * plan's masks name them; the net thread keeps which id holds which slot
 * and tells the audio thread when a slot is taken or freed. */
#define _POSIX_C_SOURCE 200809L
#include "audio.h"

#include <errno.h>
#include <inttypes.h>
#include <opus/opus.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audio/audio_wire.h"
#include "audio/jitter.h"
#include "audio/mix.h"
#include "err.h"
#include "ring.h"

#define SLOTS LM_MIX_MAX_MEMBERS /* 64: slot 0 is this node */
#define RING_ITEMS 256
#define JITTER_FRAMES 64

#define MAX_SAMPLES 480 /* 10 ms at 48 kHz */
#define BITRATE 48000
#define SPEAK_DBFS (-50.0)     /* a frame this loud is voice */
#define SPEAK_HANG_US 300000   /* speaking ends after this much quiet */
#define IDLE_AFTER_US 1000000  /* a hub with no devices rests after this */

enum {
    /* net thread -> audio thread */
    IN_FRAME = 1, /* hub: a member's frame (slot, seq, data) */
    IN_MIX,       /* member: what the hub sent us */
    IN_JOINED,    /* slot taken */
    IN_LEFT,      /* slot freed */
    IN_ROLES,     /* hub: whether this node is hub now */
    /* audio thread -> net thread */
    OUT_FRAME,    /* our captured frame, for the hub */
    OUT_MIX,      /* hub: a mix or a forwarded frame for the listeners in mask */
    OUT_SPEAKING, /* hub: slot started or stopped speaking */
    OUT_STARTED,  /* the first frame: start_us in capture_us */
};

typedef struct item {
    uint8_t kind;
    uint8_t slot;  /* IN_FRAME, IN_JOINED, IN_LEFT, OUT_SPEAKING; OUT_MIX:
                      the slot forwarded, or 0 for a mix */
    bool on;       /* IN_ROLES: we are hub; OUT_SPEAKING */
    uint8_t flags; /* LM_AUDIO_* */
    uint64_t mask; /* OUT_MIX: the listeners */
    uint32_t seq;
    int64_t capture_us;
    int64_t arrival_us; /* IN_FRAME, IN_MIX: when the net thread got it */
    uint16_t len, red_len;
    uint8_t data[LM_AUDIO_FRAME_MAX];
    uint8_t red[LM_AUDIO_FRAME_MAX]; /* the previous frame again, if any */
} item;

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

/* The hub's view of one member's stream. */
typedef struct stream {
    lm_jitter *jit;
    OpusDecoder *dec;
    bool live;         /* the slot is a member */
    bool had;          /* a frame came out of the buffer since it joined */
    int64_t voice_us;  /* last frame loud enough to be voice */
    bool speaking;
    item fwd; /* this tick's packet as it came, to forward (len 0: none) */
    int16_t pcm[MAX_SAMPLES];
} stream;

typedef struct enc_slot {
    OpusEncoder *enc;
    uint8_t prev[LM_AUDIO_FRAME_MAX];
    uint16_t prev_len;
} enc_slot;

struct lm_audio {
    lm_node *n;
    lm_audio_config cfg;
    size_t samples; /* per frame */
    lm_ring *rx, *tx;

    /* net thread */
    uint64_t slot_id[SLOTS]; /* 0: free; slot 0 is ours */
    bool told_muted;         /* what the room was told */
    unsigned long dropped;   /* ring items that found no room */

    /* both threads */
    pthread_t thread;
    bool started;
    atomic_bool stop, muted, ptt_open;

    /* audio thread */
    bool hub;
    uint64_t members; /* slots taken, ours included */
    stream st[SLOTS];
    OpusEncoder *enc;       /* our microphone */
    uint8_t prev[LM_AUDIO_FRAME_MAX]; /* its previous packet */
    uint16_t prev_len;
    /* hub: a group's encoder and its previous packet: [0] the mix of
     * everyone speaking, [s] everyone but slot s (made when first needed) */
    enc_slot genc[SLOTS];
    OpusDecoder *play_dec;  /* member: the hub's stream to us */
    lm_jitter *play;        /* member: the hub's stream to us */
    bool play_had;          /* a frame of it has played */
    lm_mix *mix;
    uint32_t seq, hub_seq;
    int64_t heard_us; /* hub: the last member frame that came */
    bool dev_failed;
};

/* ---- helpers --------------------------------------------------------- */

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void sleep_until(int64_t us)
{
    struct timespec ts = {.tv_sec = us / 1000000,
                          .tv_nsec = (long)(us % 1000000) * 1000};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

static OpusEncoder *new_encoder(void)
{
    int err;
    OpusEncoder *e = opus_encoder_create(48000, 1,
                                         OPUS_APPLICATION_RESTRICTED_LOWDELAY,
                                         &err);
    if (e)
        opus_encoder_ctl(e, OPUS_SET_BITRATE(BITRATE));
    return e;
}

static OpusDecoder *new_decoder(void)
{
    int err;
    return opus_decoder_create(48000, 1, &err);
}

static void close_io(lm_audio_io *io)
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

static void wake_net(lm_audio *a);

static void slot_reset(stream *s)
{
    lm_jitter_free(s->jit);
    s->jit = NULL;
    if (s->dec)
        opus_decoder_ctl(s->dec, OPUS_RESET_STATE);
    s->had = false;
    s->live = false;
    s->fwd.len = s->fwd.red_len = 0;
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
            if (s && s->live && s->jit)
                lm_jitter_put(s->jit, it.seq, it.arrival_us, packed,
                              pack(&it, packed));
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
                s->dec = new_decoder();
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
        (p = unpack(next, nn, true, &len)) && len > 0)
        return opus_decode(dec, p, (opus_int32)len, pcm, (int)samples, 0);
    /* lost, or the buffer growing or run dry: Opus conceals, fading to
     * silence if nothing more comes */
    return opus_decode(dec, NULL, 0, pcm, (int)samples, 0);
}

/* Takes each member's frame for this tick: decoded into its pcm, the
 * packet kept for forwarding. Returns the slots with voice. */
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

/* Speaking, as the hub tells it: on at the first loud frame, off after a
 * hangover of quiet. */
static void tell_speaking(lm_audio *a, uint64_t voice)
{
    for (unsigned i = 0; i < SLOTS; i++) {
        bool on = voice >> i & 1;
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
        e->enc = new_encoder();
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
        a->st[0].fwd = *own_pkt;
    }
    tell_speaking(a, voice);
    memset(out, 0, a->samples * sizeof *out);
    a->hub_seq++;
    lm_mix_plan plan;
    lm_mix_plan_make(&plan, a->members | 1, voice, LM_MIX_FORWARD);
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
            const stream *s = &a->st[gr->forward_from];
            if (gr->listeners & 1)
                memcpy(out, s->pcm, a->samples * sizeof *out);
            if (!others || s->fwd.len == 0)
                continue; /* concealed frames are not forwarded */
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

static void *audio_main(void *arg)
{
    lm_audio *a = arg;
    int16_t pcm[MAX_SAMPLES], out[MAX_SAMPLES];
    int64_t start = mono_us(), next = start;
    item first = {.kind = OUT_STARTED, .capture_us = start};
    push_out(a, &first);
    wake_net(a);
    while (!atomic_load(&a->stop)) {
        if (!a->cfg.mic.ops && !a->cfg.speaker.ops &&
            (!a->hub || mono_us() - a->heard_us > IDLE_AFTER_US)) {
            /* nothing to capture or play, and nobody to mix for (a hub
             * wakes up with the first frame that comes): look in now and
             * then. Silence costs next to nothing. */
            sleep_until(mono_us() + 20000);
            take_input(a, mono_us());
            next = mono_us();
            continue;
        }
        if (!a->cfg.mic.ops || !a->cfg.mic.ops->paced)
            sleep_until(next);
        int64_t now = mono_us();
        next += a->cfg.frame_us;
        take_input(a, now);
        bool send = false;
        item fr = {.kind = OUT_FRAME, .seq = a->seq++, .capture_us = now};
        if (a->cfg.mic.ops && !a->dev_failed &&
            a->cfg.mic.ops->read(a->cfg.mic.dev, pcm, a->samples) < 0)
            a->dev_failed = true;
        if (mic_open(a)) {
            int len = opus_encode(a->enc, pcm, (int)a->samples, fr.data,
                                  sizeof fr.data);
            if (len > 0) {
                fr.len = (uint16_t)len;
                if (lm_mix_level_dbfs(pcm, a->samples) > SPEAK_DBFS)
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
        wake_net(a);
        if (a->cfg.speaker.ops &&
            a->cfg.speaker.ops->write(a->cfg.speaker.dev, out, a->samples) < 0)
            close_io(&a->cfg.speaker);
        if (mono_us() - next > 200000)
            next = mono_us(); /* stopped for a while: do not race to catch up */
    }
    return NULL;
}

/* ---- the net thread ------------------------------------------------------ */

static int slot_of(const lm_audio *a, uint64_t id)
{
    for (int i = 1; i < SLOTS; i++)
        if (a->slot_id[i] == id)
            return i;
    return -1;
}

static void push_in(lm_audio *a, const item *it)
{
    if (!lm_ring_push(a->rx, it))
        a->dropped++;
}

static void send_note(lm_audio *a, uint8_t kind, uint64_t id, bool on)
{
    lm_audio_msg m = {.type = LM_MSG_AUDIO_NOTE, .kind = kind, .id = id,
                      .on = on};
    uint8_t buf[64];
    int len = lm_audio_encode(&m, buf, sizeof buf);
    if (len > 0)
        lm_mesh_send_all(a->n, LM_CH_AUDIO, buf, (size_t)len, 0, 0);
}

static void emit_flag(lm_audio *a, lm_event_type type, uint64_t id, bool on)
{
    if (type == LM_EV_SPEAKING) {
        lm_ev_speaking *ev = lm_mesh_event(a->n, type, sizeof *ev);
        if (ev) {
            ev->id = id;
            ev->on = on;
            lm_mesh_emit(a->n, &ev->h);
        }
        return;
    }
    lm_ev_muted *ev = lm_mesh_event(a->n, type, sizeof *ev);
    if (ev) {
        ev->id = id;
        ev->muted = on;
        lm_mesh_emit(a->n, &ev->h);
    }
}

static void send_frame(lm_audio *a, uint8_t type, uint64_t to,
                       const item *it, uint64_t source)
{
    static lm_audio_msg m; /* net thread only */
    memset(&m, 0, offsetof(lm_audio_msg, frame));
    m.type = type;
    m.seq = it->seq;
    m.capture_us = it->capture_us;
    m.frame_us = (uint16_t)a->cfg.frame_us;
    m.flags = (it->flags & LM_AUDIO_VOICE) |
              (it->red_len ? LM_AUDIO_REDUNDANT : 0);
    m.source = source;
    m.len = it->len;
    memcpy(m.frame, it->data, it->len);
    m.red_len = it->red_len;
    memcpy(m.redundant, it->red, it->red_len);
    uint8_t buf[LM_AUDIO_WIRE_MAX];
    int len = lm_audio_encode(&m, buf, sizeof buf);
    if (len > 0)
        lm_mesh_send(a->n, to, LM_CH_AUDIO, buf, (size_t)len,
                     LM_SEND_UNRELIABLE);
}

/* What the audio thread made, out to the room. */
static void drain(lm_audio *a)
{
    item it;
    const lm_elect_state *roles = lm_mesh_roles(a->n);
    uint64_t self = lm_mesh_self(a->n);
    while (lm_ring_pop(a->tx, &it)) {
        switch (it.kind) {
        case OUT_FRAME:
            if (roles->hub && roles->hub != self)
                send_frame(a, LM_MSG_AUDIO, roles->hub, &it, 0);
            break;
        case OUT_MIX:
            for (unsigned i = 1; i < SLOTS; i++)
                if ((it.mask >> i & 1) && a->slot_id[i])
                    send_frame(a, LM_MSG_AUDIO_MIX, a->slot_id[i], &it,
                               it.slot ? a->slot_id[it.slot] : 0);
            break;
        case OUT_SPEAKING: {
            uint64_t id = it.slot == 0 ? self : a->slot_id[it.slot];
            if (!id)
                break;
            send_note(a, LM_NOTE_SPEAKING, id, it.on);
            emit_flag(a, LM_EV_SPEAKING, id, it.on);
            break;
        }
        case OUT_STARTED: {
            lm_ev_audio *ev = lm_mesh_event(a->n, LM_EV_AUDIO, sizeof *ev);
            if (!ev)
                break;
            ev->frame_us = a->cfg.frame_us;
            ev->mic = a->cfg.mic.ops != NULL;
            ev->speaker = a->cfg.speaker.ops != NULL;
            ev->start_us = it.capture_us;
            lm_mesh_emit(a->n, &ev->h);
            break;
        }
        }
    }
}

static void run_drain(void *svc, void *arg)
{
    (void)arg;
    drain(svc);
}

static void wake_net(lm_audio *a)
{
    /* the net thread sends what is ready now, not at its next tick; a full
     * command queue only delays it to that tick */
    if (lm_ring_count(a->tx))
        (void)lm_mesh_post(a->n, run_drain, a, NULL, NULL);
}

static void on_receive(void *svc, const lm_member *from, const uint8_t *data,
                       size_t len)
{
    lm_audio *a = svc;
    static lm_audio_msg m; /* net thread only; 2.6 KB */
    int rc = lm_audio_decode(data, len, &m);
    if (rc < 0) {
        lm_mesh_bad(a->n, from->id, LM_CH_AUDIO, rc);
        return;
    }
    const lm_elect_state *roles = lm_mesh_roles(a->n);
    uint64_t self = lm_mesh_self(a->n);
    if (m.frame_us != a->cfg.frame_us && m.type != LM_MSG_AUDIO_NOTE)
        return; /* another frame size: not mixed with ours (counted below) */
    item it = {.seq = m.seq, .capture_us = m.capture_us, .flags = m.flags,
               .arrival_us = lm_mesh_now_us(), .len = (uint16_t)m.len,
               .red_len = (uint16_t)m.red_len};
    memcpy(it.red, m.redundant, m.red_len);
    switch (m.type) {
    case LM_MSG_AUDIO: {
        int s = slot_of(a, from->id);
        if (roles->hub != self || s < 0)
            return;
        it.kind = IN_FRAME;
        it.slot = (uint8_t)s;
        memcpy(it.data, m.frame, m.len);
        push_in(a, &it);
        break;
    }
    case LM_MSG_AUDIO_MIX:
        if (from->id != roles->hub)
            return; /* an old hub's late frames */
        it.kind = IN_MIX;
        memcpy(it.data, m.frame, m.len);
        push_in(a, &it);
        break;
    case LM_MSG_AUDIO_NOTE:
        if (m.kind == LM_NOTE_MUTED && m.id == from->id)
            emit_flag(a, LM_EV_MUTED, m.id, m.on);
        else if (m.kind == LM_NOTE_SPEAKING && from->id == roles->hub)
            emit_flag(a, LM_EV_SPEAKING, m.id, m.on);
        break;
    }
}

static void on_member(void *svc, const lm_member *m, lm_member_change change)
{
    lm_audio *a = svc;
    int s = slot_of(a, m->id);
    if (change == LM_MEMBER_LEFT) {
        if (s < 0)
            return;
        a->slot_id[s] = 0;
        item it = {.kind = IN_LEFT, .slot = (uint8_t)s};
        push_in(a, &it);
        return;
    }
    if (change == LM_MEMBER_JOINED && s < 0) {
        for (s = 1; s < SLOTS && a->slot_id[s]; s++)
            ;
        if (s == SLOTS)
            return; /* the room holds at most 64: cannot happen */
        a->slot_id[s] = m->id;
        item it = {.kind = IN_JOINED, .slot = (uint8_t)s};
        push_in(a, &it);
    }
    if (a->told_muted) /* a newcomer learns who is muted */
        send_note(a, LM_NOTE_MUTED, lm_mesh_self(a->n), true);
}

static void on_roles(void *svc, const lm_elect_state *old,
                     const lm_elect_state *now)
{
    lm_audio *a = svc;
    uint64_t self = lm_mesh_self(a->n);
    if ((old->hub == self) == (now->hub == self))
        return;
    item it = {.kind = IN_ROLES, .on = now->hub == self};
    push_in(a, &it);
}

static int64_t tick(void *svc, int64_t now)
{
    lm_audio *a = svc;
    drain(a);
    /* the audio thread wakes us for each frame (wake_net); this is only
     * for a wake lost to a full command queue */
    return now + 50000;
}

static void audio_free(void *svc)
{
    lm_audio *a = svc;
    if (!a)
        return;
    if (a->started) {
        atomic_store(&a->stop, true);
        pthread_join(a->thread, NULL);
    }
    close_io(&a->cfg.mic);
    close_io(&a->cfg.speaker);
    for (unsigned i = 0; i < SLOTS; i++) {
        lm_jitter_free(a->st[i].jit);
        if (a->st[i].dec)
            opus_decoder_destroy(a->st[i].dec);
        if (a->genc[i].enc)
            opus_encoder_destroy(a->genc[i].enc);
    }
    if (a->enc)
        opus_encoder_destroy(a->enc);
    if (a->play_dec)
        opus_decoder_destroy(a->play_dec);
    lm_jitter_free(a->play);
    lm_mix_free(a->mix);
    lm_ring_free(a->rx);
    lm_ring_free(a->tx);
    free(a);
}

static const uint8_t audio_types[] = {LM_MSG_AUDIO, LM_MSG_AUDIO_MIX,
                                      LM_MSG_AUDIO_NOTE};

static const lm_service_ops audio_ops = {
    .name = "audio",
    .channel = LM_CH_AUDIO,
    .types = audio_types,
    .ntypes = sizeof audio_types,
    .on_receive = on_receive,
    .on_member = on_member,
    .on_roles = on_roles,
    .tick = tick,
    .free = audio_free,
};

lm_audio *lm_audio_attach(lm_node *n, const lm_audio_config *cfg, int *err)
{
    lm_audio_config c = *cfg;
    if (c.frame_us != 2500 && c.frame_us != 5000 && c.frame_us != 10000) {
        close_io(&c.mic);
        close_io(&c.speaker);
        *err = LM_EINVAL;
        return NULL;
    }
    lm_audio *a = calloc(1, sizeof *a);
    if (!a) {
        close_io(&c.mic);
        close_io(&c.speaker);
        *err = LM_ENOMEM;
        return NULL;
    }
    a->n = n;
    a->cfg = c;
    a->samples = c.frame_us * 48 / 1000;
    a->rx = lm_ring_new(sizeof(item), RING_ITEMS);
    a->tx = lm_ring_new(sizeof(item), RING_ITEMS);
    a->enc = new_encoder();
    a->play_dec = new_decoder();
    a->play = lm_jitter_new(c.frame_us, JITTER_FRAMES);
    a->mix = lm_mix_new(a->samples);
    a->slot_id[0] = lm_mesh_self(n);
    a->members = 1;
    int rc = LM_ENOMEM;
    if (a->rx && a->tx && a->enc && a->play_dec && a->play && a->mix)
        rc = lm_mesh_attach(n, &audio_ops, a);
    if (rc == 0 && pthread_create(&a->thread, NULL, audio_main, a) != 0)
        rc = LM_EIO; /* attached: the node frees it */
    else if (rc == 0)
        a->started = true;
    if (rc < 0 && rc != LM_EIO) {
        audio_free(a);
        *err = rc;
        return NULL;
    }
    *err = rc;
    return rc == 0 ? a : NULL;
}

/* ---- commands ------------------------------------------------------------- */

static void run_mute(void *svc, void *arg)
{
    lm_audio *a = svc;
    bool mute = arg != NULL;
    atomic_store(&a->muted, mute);
    if (a->told_muted == mute)
        return;
    a->told_muted = mute;
    send_note(a, LM_NOTE_MUTED, lm_mesh_self(a->n), mute);
    emit_flag(a, LM_EV_MUTED, lm_mesh_self(a->n), mute);
}

int lm_audio_mute(lm_audio *a, bool mute)
{
    /* the flag first: the next frame is not sent, whatever the queue */
    if (mute)
        atomic_store(&a->muted, true);
    int rc = lm_mesh_post(a->n, run_mute, a, mute ? a : NULL, NULL);
    if (rc < 0 && mute)
        atomic_store(&a->muted, false); /* told nobody: try again */
    return rc;
}

static void run_ptt(void *svc, void *arg)
{
    lm_audio *a = svc;
    atomic_store(&a->ptt_open, arg != NULL);
}

int lm_audio_ptt(lm_audio *a, bool on)
{
    return lm_mesh_post(a->n, run_ptt, a, on ? a : NULL, NULL);
}
