/* audio.c - the room's audio (audio.h).
 *
 * Two threads. This file is the net thread's side: the service ops turn
 * packets into ring items and ring items into packets, and never run a
 * codec. The audio thread (audio_thread.c) keeps time, captures, encodes,
 * mixes on the hub and plays. The two talk only through two
 * single-producer single-consumer rings (ring.h) and a few atomics.
 *
 * Members are slots 1..63 on both threads (slot 0 is this node), so a mix
 * plan's masks name them; the net thread keeps which id holds which slot
 * and tells the audio thread when a slot is taken or freed. */
#define _POSIX_C_SOURCE 200809L
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "audio_impl.h"
#include "err.h"

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
    lm_audio_msg m; /* 2.6 KB on the net thread's stack: a static would be
                       shared by two nodes in one process */
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
            if (it.on)
                a->speaking |= 1ull << it.slot;
            else
                a->speaking &= ~(1ull << it.slot);
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

void audio_wake_net(lm_audio *a)
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
    lm_audio_msg m; /* on the stack, as in send_frame */
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
        a->speaking &= ~(1ull << s);
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
    /* and, from the hub, who is speaking: a talker who started before it
     * came would otherwise be shown silent until the next pause */
    for (unsigned i = 0; i < SLOTS; i++) {
        uint64_t id = i == 0 ? lm_mesh_self(a->n) : a->slot_id[i];
        if (!(a->speaking >> i & 1) || !id || id == m->id)
            continue;
        lm_audio_msg note = {.type = LM_MSG_AUDIO_NOTE,
                             .kind = LM_NOTE_SPEAKING, .id = id, .on = true};
        uint8_t buf[64];
        int len = lm_audio_encode(&note, buf, sizeof buf);
        if (len > 0)
            lm_mesh_send(a->n, m->id, LM_CH_AUDIO, buf, (size_t)len, 0);
    }
}

static void on_roles(void *svc, const lm_elect_state *old,
                     const lm_elect_state *now)
{
    lm_audio *a = svc;
    uint64_t self = lm_mesh_self(a->n);
    if ((old->hub == self) == (now->hub == self))
        return;
    a->speaking = 0; /* a new hub tells its own */
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
    audio_close_io(&a->cfg.mic);
    audio_close_io(&a->cfg.speaker);
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
    pthread_mutex_destroy(&a->stats_lock);
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
        audio_close_io(&c.mic);
        audio_close_io(&c.speaker);
        *err = LM_EINVAL;
        return NULL;
    }
    lm_audio *a = calloc(1, sizeof *a);
    if (!a) {
        audio_close_io(&c.mic);
        audio_close_io(&c.speaker);
        *err = LM_ENOMEM;
        return NULL;
    }
    pthread_mutex_init(&a->stats_lock, NULL);
    a->n = n;
    a->cfg = c;
    a->samples = c.frame_us * 48 / 1000;
    a->rx = lm_ring_new(sizeof(item), RING_ITEMS);
    a->tx = lm_ring_new(sizeof(item), RING_ITEMS);
    a->enc = audio_new_encoder();
    a->play_dec = audio_new_decoder();
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

static void stats_drop(lm_event *ev)
{
    free(((lm_ev_audio_stats *)(void *)ev)->streams);
}

static void run_stats(void *svc, void *arg)
{
    (void)arg;
    lm_audio *a = svc;
    lm_ev_audio_stats *ev = lm_mesh_event(a->n, LM_EV_AUDIO_STATS, sizeof *ev);
    if (!ev)
        return;
    ev->h.drop = stats_drop;
    ev->frame_us = a->cfg.frame_us;
    ev->streams = calloc(SLOTS, sizeof *ev->streams);
    pthread_mutex_lock(&a->stats_lock);
    ev->hub = a->snap_hub;
    ev->playing = a->snap_playing;
    ev->play = a->snap_play;
    for (unsigned i = 1; i < SLOTS && ev->streams; i++) {
        if (!(a->snap_has >> i & 1) || !a->slot_id[i])
            continue;
        lm_audio_stream_stats *st = &ev->streams[ev->nstreams++];
        st->id = a->slot_id[i];
        st->jit = a->snap[i];
    }
    pthread_mutex_unlock(&a->stats_lock);
    lm_mesh_emit(a->n, &ev->h);
}

int lm_audio_stats(lm_audio *a)
{
    return lm_mesh_post(a->n, run_stats, a, NULL, NULL);
}

int lm_audio_ptt(lm_audio *a, bool on)
{
    return lm_mesh_post(a->n, run_ptt, a, on ? a : NULL, NULL);
}
