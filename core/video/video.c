/* video.c - the room's video (video.h): the net thread's side.
 *
 * The service ops turn packets into ring items and ring items into
 * packets, and never run a codec. As a sender it keeps, per viewer, what
 * the viewer asked for and its adaptation (adapt.h), turns those into the
 * few distinct sizes the capture thread encodes, and sends each band to
 * the viewers of its size, thinned to each viewer's rate. As a viewer it
 * asks every member for its size, passes their bands to the decode
 * thread, and sends the REPORTs that thread makes.
 *
 * Members are slots 1..63 (slot 0 is this node), as in the audio service:
 * the rings carry slots, the net thread keeps which id holds which. */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "err.h"
#include "video_impl.h"

#define RATE_EVERY_US 1000000 /* kbit/s figures are renewed this often */
#define RATE_SLACK_US 5000    /* a frame this early still counts as due */

/* ---- helpers ---------------------------------------------------------- */

static int slot_of(const lm_video *v, uint64_t id)
{
    for (int i = 1; i < SLOTS; i++)
        if (v->slot_id[i] == id)
            return i;
    return -1;
}

static void wake_decoder(lm_video *v)
{
    uint64_t one = 1;
    ssize_t r = write(v->rx_fd, &one, sizeof one);
    (void)r; /* a full counter still wakes it */
}

static void push_rx(lm_video *v, const rx_item *it)
{
    if (!lm_ring_push(v->rx, it))
        v->dropped++;
}

static void send_msg(lm_video *v, uint64_t to, const lm_video_msg *m,
                     unsigned flags)
{
    uint8_t buf[64];
    int len = lm_video_encode(m, buf, sizeof buf);
    if (len > 0)
        lm_mesh_send(v->n, to, LM_CH_VIDEO, buf, (size_t)len, flags);
}

static void send_ask(lm_video *v, uint64_t to)
{
    lm_video_msg m = {.type = LM_MSG_VIDEO_ASK}; /* all 0: send me none */
    if (!v->cfg.no_view) {
        m.u.ask.w = v->view_w;
        m.u.ask.h = v->view_h;
        m.u.ask.fps = v->view_fps;
    }
    send_msg(v, to, &m, 0);
}

static void send_state(lm_video *v, uint64_t to)
{
    lm_video_msg m = {.type = LM_MSG_VIDEO_STATE};
    m.u.state.on = v->cam_on;
    if (v->cam_on) {
        m.u.state.w = v->cam_w;
        m.u.state.h = v->cam_h;
        m.u.state.fps = v->cam_fps;
    }
    if (to) {
        send_msg(v, to, &m, 0);
        return;
    }
    for (int i = 1; i < SLOTS; i++)
        if (v->slot_id[i])
            send_msg(v, v->slot_id[i], &m, 0);
}

static void emit_video(lm_video *v, uint64_t id, bool on, uint16_t w,
                       uint16_t h, uint8_t fps)
{
    lm_ev_video *ev = lm_mesh_event(v->n, LM_EV_VIDEO, sizeof *ev);
    if (!ev)
        return;
    ev->id = id;
    ev->on = on;
    ev->width = on ? w : 0;
    ev->height = on ? h : 0;
    ev->fps = on ? fps : 0;
    lm_mesh_emit(v->n, &ev->h);
}

/* ---- what to encode ----------------------------------------------------- */

/* Every viewer's target into the few sizes the capture thread codes: the
 * same (size, quality) is coded once for all who get it. */
static void plan(lm_video *v)
{
    vsize want[SIZES_MAX];
    unsigned n = 0;
    for (int i = 1; i < SLOTS && v->cam_on; i++) {
        viewer *vw = &v->view[i];
        if (!v->slot_id[i] || !vw->asked)
            continue;
        lm_adapt_target t;
        lm_adapt_current(&vw->ad, &t);
        vsize s = {.quality = t.quality};
        video_fit(v->cam_w, v->cam_h, t.w, t.h, &s.w, &s.h);
        vw->fps = t.fps < v->cam_fps ? t.fps : v->cam_fps;
        unsigned k = 0;
        while (k < n && memcmp(&want[k], &s, sizeof s) != 0)
            k++;
        if (k == n && n < SIZES_MAX)
            want[n++] = s;
        /* more distinct sizes than are coded: the first one, the size
         * the earliest viewer got */
        vw->enc = k < n ? want[k] : want[0];
    }
    pthread_mutex_lock(&v->want_lock);
    memcpy(v->want, want, n * sizeof want[0]);
    v->nwant = n;
    pthread_mutex_unlock(&v->want_lock);
}

/* ---- sending ------------------------------------------------------------- */

static void send_band(lm_video *v, const tx_item *it)
{
    for (int i = 1; i < SLOTS; i++) {
        viewer *vw = &v->view[i];
        if (!v->slot_id[i] || !vw->asked ||
            memcmp(&vw->enc, &it->size, sizeof it->size) != 0)
            continue;
        if (it->index == 0 || vw->frame != it->frame) {
            /* a new frame: due at this viewer's rate? */
            int64_t period = 1000000 / (vw->fps ? vw->fps : 1);
            vw->frame = it->frame;
            vw->sending = it->capture_us >= vw->next_us - RATE_SLACK_US;
            if (vw->sending) {
                uint32_t gap = it->frame - vw->last_sent - 1;
                vw->skip = (uint8_t)(!vw->sent_any ? 0
                                     : gap > LM_VIDEO_BAND_SKIP_MAX
                                         ? LM_VIDEO_BAND_SKIP_MAX : gap);
                vw->sent_any = true;
                vw->last_sent = it->frame;
                vw->next_us += period;
                if (vw->next_us < it->capture_us - period)
                    vw->next_us = it->capture_us + period;
                vw->sent_frames++;
            }
        }
        if (!vw->sending)
            continue;
        /* the same bytes for every viewer of this size, but its own skip */
        uint8_t buf[LM_VIDEO_WIRE_MAX];
        memcpy(buf, it->bytes, it->len);
        (void)lm_video_band_set_skip(buf, it->len, vw->skip);
        if (lm_mesh_send(v->n, v->slot_id[i], LM_CH_VIDEO, buf, it->len,
                         LM_SEND_UNRELIABLE) == 0)
            vw->tx_bytes += it->len;
    }
}

static void on_out(lm_video *v, out_item *it)
{
    uint64_t id = it->slot < SLOTS ? v->slot_id[it->slot] : 0;
    if (!id)
        return;
    if (it->kind == OUT_REPORT) {
        lm_mesh_send(v->n, id, LM_CH_VIDEO, it->bytes, it->len,
                     LM_SEND_UNRELIABLE);
        return;
    }
    lm_ev_video_frame *ev =
        lm_mesh_event(v->n, LM_EV_VIDEO_FRAME, sizeof *ev);
    if (!ev)
        return;
    lm_event h = ev->h;
    *ev = it->frame;
    ev->h = h;
    ev->h.droppable = true;
    ev->id = id;
    lm_mesh_emit(v->n, &ev->h);
}

/* What the two threads made, out to the room. */
static void drain(lm_video *v)
{
    tx_item *tx = malloc(sizeof *tx); /* 1.4 KB: off the stack of the net
                                         thread, which holds a few */
    if (!tx)
        return;
    while (lm_ring_pop(v->tx, tx)) {
        switch (tx->kind) {
        case TX_BAND: send_band(v, tx); break;
        case TX_STARTED:
            v->cam_on = true;
            v->cam_w = tx->w;
            v->cam_h = tx->h;
            v->cam_fps = tx->fps;
            plan(v);
            send_state(v, 0);
            emit_video(v, lm_mesh_self(v->n), true, tx->w, tx->h, tx->fps);
            break;
        case TX_PAUSED: /* turned off: the same, without the error */
        case TX_STOPPED:
            v->cam_on = false;
            plan(v);
            send_state(v, 0);
            emit_video(v, lm_mesh_self(v->n), false, 0, 0, 0);
            if (tx->kind == TX_STOPPED)
                lm_mesh_error(v->n, "camera_lost", "the camera stopped "
                              "giving pictures; the camera is off");
            break;
        }
    }
    free(tx);
    out_item out;
    while (lm_ring_pop(v->out, &out))
        on_out(v, &out);
}

static void run_drain(void *svc, void *arg)
{
    (void)arg;
    drain(svc);
}

void video_wake_net(lm_video *v)
{
    /* a full command queue only delays it to the next tick */
    if (lm_ring_count(v->tx) || lm_ring_count(v->out))
        (void)lm_mesh_post(v->n, run_drain, v, NULL, NULL);
}

/* ---- the service ops ------------------------------------------------------ */

/* A tile (the viewer's box no larger than a grid-of-9 tile) is coded at
 * most at TILE_QUALITY: at 320x180 the sample clip takes 1578 kbit/s at
 * q75 and 1092 at q50 (bench_video), so ten people watching nine tiles
 * each fill 142 Mbit/s of the LAN at q75 and 98 at q50; a tile is too
 * small to show the difference. */
#define TILE_QUALITY 50
#define UP_HOLD_US 3000000

static bool is_tile(unsigned w, unsigned h)
{
    return (unsigned long)w * h <=
           (unsigned long)LM_VIDEO_VIEW_W * LM_VIDEO_VIEW_H;
}

static void on_ask(lm_video *v, int s, const lm_video_msg *m)
{
    viewer *vw = &v->view[s];
    bool tile = is_tile(m->u.ask.w, m->u.ask.h);
    if (m->u.ask.w == 0 || m->u.ask.fps == 0) {
        vw->asked = false; /* send me nothing */
    } else if (!vw->asked || tile != vw->tile) {
        lm_adapt_config c;
        lm_adapt_config_default(&c);
        /* on a LAN a loss that ends is gone: rise after 3 s clean, not 5,
         * so quality is back within 10 s (the first clean report comes a
         * period after the loss stops; a rise that overshoots still
         * doubles the wait) */
        c.up_hold_us = UP_HOLD_US;
        if (tile)
            c.quality_max = TILE_QUALITY;
        lm_adapt_init(&vw->ad, &c, m->u.ask.w, m->u.ask.h, m->u.ask.fps);
        vw->asked = true;
        vw->tile = tile;
        vw->next_us = 0;
    } else {
        lm_adapt_ask(&vw->ad, m->u.ask.w, m->u.ask.h, m->u.ask.fps);
    }
    plan(v);
}

static void on_report(lm_video *v, int s, const lm_video_msg *m)
{
    viewer *vw = &v->view[s];
    if (!vw->asked)
        return;
    lm_adapt_report r = {
        .period_ms = m->u.report.period_ms,
        .expected = m->u.report.expected,
        .lost = m->u.report.lost,
        .frames = m->u.report.frames,
        .sent_frames = vw->sent_frames,
        .decode_us = m->u.report.decode_us,
        .budget_us = m->u.report.budget_us,
        .queue_us = m->u.report.queue_us,
    };
    vw->sent_frames = 0;
    if (lm_adapt_on_report(&vw->ad, &r, lm_mesh_now_us()) != LM_ADAPT_HOLD)
        plan(v);
}

static bool same_state(const vstate *a, const lm_video_msg *b)
{
    return a->on == (b->u.state.on != 0) && a->w == b->u.state.w &&
           a->h == b->u.state.h && a->fps == b->u.state.fps;
}

static void on_receive(void *svc, const lm_member *from, const uint8_t *data,
                       size_t len)
{
    lm_video *v = svc;
    int s = slot_of(v, from->id);
    if (s < 0)
        return;
    rx_item *it = malloc(sizeof *it); /* 1.4 KB, as in drain */
    if (!it)
        return;
    lm_video_msg *m = malloc(sizeof *m);
    int rc = m ? lm_video_decode(data, len, m) : LM_ENOMEM;
    if (rc < 0) {
        if (rc != LM_ENOMEM)
            lm_mesh_bad(v->n, from->id, LM_CH_VIDEO, rc);
        free(m);
        free(it);
        return;
    }
    switch (m->type) {
    case LM_MSG_VIDEO_BAND:
        v->rx_bytes[s] += len;
        atomic_store(&v->newest[s], m->u.band.frame);
        it->kind = RX_BAND;
        it->slot = (uint8_t)s;
        it->arrival_us = lm_mesh_now_us();
        it->band = m->u.band;
        push_rx(v, it);
        wake_decoder(v);
        break;
    case LM_MSG_VIDEO_ASK: on_ask(v, s, m); break;
    case LM_MSG_VIDEO_REPORT: on_report(v, s, m); break;
    case LM_MSG_VIDEO_STATE:
        /* said again on every new link: an event only for a change */
        if (same_state(&v->told[s], m))
            break;
        v->told[s] = (vstate){m->u.state.on != 0, m->u.state.w,
                              m->u.state.h, m->u.state.fps};
        emit_video(v, from->id, m->u.state.on, m->u.state.w, m->u.state.h,
                   m->u.state.fps);
        break;
    }
    free(m);
    free(it);
}

static void on_member(void *svc, const lm_member *m, lm_member_change change)
{
    lm_video *v = svc;
    int s = slot_of(v, m->id);
    if (change == LM_MEMBER_LEFT) {
        if (s < 0)
            return;
        v->slot_id[s] = 0;
        memset(&v->view[s], 0, sizeof v->view[s]);
        rx_item it = {.kind = RX_LEFT, .slot = (uint8_t)s};
        push_rx(v, &it);
        wake_decoder(v);
        plan(v);
        return;
    }
    if (change == LM_MEMBER_JOINED && s < 0) {
        for (s = 1; s < SLOTS && v->slot_id[s]; s++)
            ;
        if (s == SLOTS)
            return; /* the room holds at most 64: cannot happen */
        v->slot_id[s] = m->id;
        memset(&v->view[s], 0, sizeof v->view[s]);
        memset(&v->told[s], 0, sizeof v->told[s]);
        v->rx_bytes[s] = v->rx_bytes_mark[s] = 0;
        rx_item it = {.kind = RX_JOINED, .slot = (uint8_t)s, .id = m->id};
        push_rx(v, &it);
        wake_decoder(v);
    }
    /* joined or relinked: what went out on an old link may be lost */
    send_ask(v, m->id);
    if (v->cam_on)
        send_state(v, m->id);
}

/* kbit/s each way per peer, for the stats answer. */
static void rates(lm_video *v, int64_t now)
{
    double span = (double)(now - v->rx_mark_us);
    v->rx_mark_us = now;
    if (span <= 0)
        return;
    pthread_mutex_lock(&v->stats_lock);
    for (int i = 1; i < SLOTS; i++) {
        v->rx_kbps[i] = (double)(v->rx_bytes[i] - v->rx_bytes_mark[i]) * 8e3 /
                        span;
        v->rx_bytes_mark[i] = v->rx_bytes[i];
        v->snap[i].kbps = v->rx_kbps[i];
        viewer *vw = &v->view[i];
        vw->tx_kbps = (double)(vw->tx_bytes - vw->tx_bytes_mark) * 8e3 / span;
        vw->tx_bytes_mark = vw->tx_bytes;
    }
    pthread_mutex_unlock(&v->stats_lock);
}

static int64_t tick(void *svc, int64_t now)
{
    lm_video *v = svc;
    drain(v);
    if (now >= v->next_rate_us) {
        rates(v, now);
        v->next_rate_us = now + RATE_EVERY_US;
    }
    /* the threads wake us for each frame; this is for a wake lost to a
     * full command queue */
    return now + 50000;
}

static void video_free(void *svc)
{
    lm_video *v = svc;
    if (!v)
        return;
    atomic_store(&v->stop, true);
    if (v->cap_started)
        pthread_join(v->cap_thread, NULL);
    if (v->dec_started)
        pthread_join(v->dec_thread, NULL);
    if (v->cfg.camera.ops && v->cfg.camera.ops->close)
        v->cfg.camera.ops->close(v->cfg.camera.dev);
    lm_band_dec_free(v->dec);
    lm_ring_free(v->tx);
    lm_ring_free(v->rx);
    lm_ring_free(v->out);
    if (v->rx_fd >= 0)
        close(v->rx_fd);
    pthread_mutex_destroy(&v->want_lock);
    pthread_mutex_destroy(&v->stats_lock);
    free(v);
}

static const uint8_t video_types[] = {LM_MSG_VIDEO_BAND, LM_MSG_VIDEO_ASK,
                                      LM_MSG_VIDEO_REPORT,
                                      LM_MSG_VIDEO_STATE};

static const lm_service_ops video_ops = {
    .name = "video",
    .channel = LM_CH_VIDEO,
    .types = video_types,
    .ntypes = sizeof video_types,
    .on_receive = on_receive,
    .on_member = on_member,
    .tick = tick,
    .free = video_free,
};

lm_video *lm_video_attach(lm_node *n, const lm_video_config *cfg, int *err)
{
    lm_video *v = calloc(1, sizeof *v);
    if (!v) {
        if (cfg->camera.ops && cfg->camera.ops->close)
            cfg->camera.ops->close(cfg->camera.dev);
        *err = LM_ENOMEM;
        return NULL;
    }
    v->n = n;
    v->cfg = *cfg;
    v->view_w = cfg->view_w ? cfg->view_w : LM_VIDEO_VIEW_W;
    v->view_h = cfg->view_h ? cfg->view_h : LM_VIDEO_VIEW_H;
    v->view_fps = cfg->view_fps ? cfg->view_fps : LM_VIDEO_VIEW_FPS;
    pthread_mutex_init(&v->want_lock, NULL);
    pthread_mutex_init(&v->stats_lock, NULL);
    v->rx_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    v->tx = lm_ring_new(sizeof(tx_item), TX_ITEMS);
    v->rx = lm_ring_new(sizeof(rx_item), RX_ITEMS);
    v->out = lm_ring_new(sizeof(out_item), OUT_ITEMS);
    v->dec = lm_band_dec_new();
    int rc = LM_ENOMEM;
    if (v->rx_fd < 0)
        rc = LM_EIO;
    else if (v->tx && v->rx && v->out && v->dec)
        rc = lm_mesh_attach(n, &video_ops, v);
    if (rc < 0) {
        video_free(v);
        *err = rc;
        return NULL;
    }
    /* attached: from here the node frees it, threads or not */
    if (pthread_create(&v->dec_thread, NULL, video_decode_main, v) != 0) {
        *err = LM_EIO;
        return NULL;
    }
    v->dec_started = true;
    if (v->cfg.camera.ops) {
        if (pthread_create(&v->cap_thread, NULL, video_capture_main, v) != 0) {
            *err = LM_EIO;
            return NULL;
        }
        v->cap_started = true;
    }
    *err = 0;
    return v;
}

/* ---- commands ------------------------------------------------------------- */

static void stats_drop(lm_event *ev)
{
    free(((lm_ev_video_stats *)(void *)ev)->peers);
}

static void run_stats(void *svc, void *arg)
{
    (void)arg;
    lm_video *v = svc;
    lm_ev_video_stats *ev =
        lm_mesh_event(v->n, LM_EV_VIDEO_STATS, sizeof *ev);
    if (!ev)
        return;
    ev->h.drop = stats_drop;
    ev->camera = v->cam_on;
    ev->width = v->cam_on ? v->cam_w : 0;
    ev->height = v->cam_on ? v->cam_h : 0;
    ev->frames = atomic_load(&v->frames);
    ev->bad_frames = atomic_load(&v->bad_frames);
    ev->dropped = v->dropped + atomic_load(&v->tx_dropped);
    ev->peers = calloc(SLOTS, sizeof *ev->peers);
    pthread_mutex_lock(&v->stats_lock);
    for (int i = 1; i < SLOTS && ev->peers; i++) {
        if (!v->slot_id[i])
            continue;
        lm_video_peer_stats *p = &ev->peers[ev->npeers++];
        const rx_snap *sn = &v->snap[i];
        const viewer *vw = &v->view[i];
        p->id = v->slot_id[i];
        p->rx_fps = sn->fps;
        p->rx_kbps = v->rx_kbps[i];
        p->loss_pm = sn->loss_pm;
        p->late = sn->late;
        p->healed = sn->healed;
        p->stale = sn->stale;
        p->decode_us = sn->decode_us;
        p->delay_us = sn->delay_us;
        p->rx_w = sn->w;
        p->rx_h = sn->h;
        p->tx_on = v->cam_on && vw->asked;
        if (p->tx_on) {
            p->tx_w = vw->enc.w;
            p->tx_h = vw->enc.h;
            p->tx_fps = vw->fps;
            p->tx_quality = vw->enc.quality;
            p->tx_downs = vw->ad.downs;
            p->tx_ups = vw->ad.ups;
        }
        p->tx_kbps = vw->tx_kbps;
    }
    pthread_mutex_unlock(&v->stats_lock);
    lm_mesh_emit(v->n, &ev->h);
}

int lm_video_camera(lm_video *v, bool on)
{
    if (!v->cap_started)
        return LM_ENOTFOUND;
    atomic_store(&v->cam_paused, !on);
    return 0;
}

int lm_video_stats(lm_video *v)
{
    return lm_mesh_post(v->n, run_stats, v, NULL, NULL);
}
