/* video_recv.c - the video service's decode thread (video_impl.h).
 *
 * Each sender has a reassembler (reasm.h) and one canvas at the size this
 * node shows it: bands are decoded straight into the canvas (scaled by
 * 1/2, 1/4 or 1/8 when the sender's frame is larger than the view), so a
 * band that never came keeps the rows of the frame before. When a frame
 * is shown, the pattern is read back from the canvas if the harness asked
 * for frame events, the frame is recorded if asked, and the counts of the
 * period grow; once a second each sender gets a REPORT and the stats
 * snapshot is renewed. It sleeps on an eventfd the net thread writes, up
 * to the next frame due or report. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "err.h"
#include "pattern.h"
#include "video_impl.h"

static void push_out(lm_video *v, const out_item *it)
{
    if (!lm_ring_push(v->out, it))
        atomic_fetch_add(&v->tx_dropped, 1);
}

void video_stream_reset(lm_video *v, stream *s)
{
    (void)v;
    lm_image_release(&s->canvas);
    video_rec_close(s->rec);
    memset(s, 0, sizeof *s);
    lm_reasm_init(&s->ra, REASM_WAIT_US);
    s->min_transit = INT64_MAX;
}

/* The canvas for a new frame size, black. */
static int resize(lm_video *v, stream *s, uint16_t w, uint16_t h)
{
    unsigned div = lm_band_pick_div(w, h, v->view_w, v->view_h);
    unsigned cw = lm_band_scaled(w, div), ch = lm_band_scaled(h, div);
    s->fw = w;
    s->fh = h;
    s->div = div;
    if (s->canvas.w == cw && s->canvas.h == ch) {
        lm_image_fill(&s->canvas, 0, 128, 128);
        return 0;
    }
    lm_image_release(&s->canvas);
    return lm_image_alloc(&s->canvas, cw, ch);
}

/* The canvas is frame `frame`, missing `healed` of its bands. */
static void show(lm_video *v, unsigned slot, stream *s, uint32_t frame,
                 unsigned healed, int64_t now)
{
    if (!s->canvas.mem)
        return;
    s->frames++;
    s->decode_sum += (uint32_t)(s->decode_acc > UINT32_MAX ? UINT32_MAX
                                                           : s->decode_acc);
    s->decode_acc = 0;
    s->delay_sum += now - s->capture_us;
    s->delay_n++;
    if (s->rec)
        video_rec_frame(s->rec, &s->canvas, frame, now);
    if (!v->cfg.frame_events)
        return;
    out_item it = {.kind = OUT_FRAME, .slot = (uint8_t)slot};
    lm_ev_video_frame *f = &it.frame;
    uint32_t counter;
    uint64_t t;
    f->read = lm_pattern_read(&s->canvas, &counter, &t) == 0;
    f->n = f->read ? counter : frame;
    f->capture_us = f->read ? (int64_t)t : 0;
    f->shown_us = lm_mono_us();
    f->width = (uint16_t)s->canvas.w;
    f->height = (uint16_t)s->canvas.h;
    f->healed = healed;
    push_out(v, &it);
}

/* How long the current frame's bands took to come, up to this one:
 * smoothed into the wait for incomplete frames (video_impl.h). */
static void learn_wait(stream *s, int64_t arrival_us)
{
    s->spread_us += (arrival_us - s->cur_first - s->spread_us) / 8;
    int64_t w = 2 * s->spread_us + REASM_WAIT_PAD_US;
    lm_reasm_set_wait(&s->ra, w < REASM_WAIT_MIN_US   ? REASM_WAIT_MIN_US
                              : w > REASM_WAIT_MAX_US ? REASM_WAIT_MAX_US
                                                      : w);
}

static void on_band(lm_video *v, unsigned slot, const rx_item *it)
{
    stream *s = &v->st[slot];
    if (!s->live)
        return;
    const lm_video_band_msg *b = &it->band;
    /* frames the sender left out for our rate: reasm counts their bands
     * as lost (as many as this frame's), the report takes them back */
    if (!s->skip_seen || b->frame != s->skip_frame) {
        s->skip_seen = true;
        s->skip_frame = b->frame;
        s->planned += (uint64_t)lm_video_band_skip(b->flags) * b->count;
    }
    /* newest frame wins here too: a band of a frame older than one that
     * has already come is not worth its decode when this thread is
     * behind (a restart's numbers are far off, and not skipped) */
    int32_t behind = (int32_t)(atomic_load(&v->newest[slot]) - b->frame);
    if (behind > 0 && behind < LM_REASM_RESTART) {
        s->stale++;
        return;
    }
    lm_reasm_band rb = {.frame = b->frame, .w = b->w, .h = b->h,
                        .index = b->index, .count = b->count};
    lm_reasm_out o;
    lm_reasm_put(&s->ra, &rb, it->arrival_us, &o);
    if (o.show_before)
        show(v, slot, s, o.shown_frame, o.shown_healed, it->arrival_us);
    if (o.verdict == LM_REASM_LATE && b->frame == s->cur_frame)
        learn_wait(s, it->arrival_us); /* the wait was too short for it */
    if (o.verdict != LM_REASM_PAINT)
        return;
    if (o.resize || b->frame != s->cur_frame) {
        s->cur_frame = b->frame;
        s->cur_first = it->arrival_us;
    }
    if (o.resize && resize(v, s, o.w, o.h) < 0)
        return;
    /* the frame's times come from its bands (all carry the same) */
    s->capture_us = b->capture_us;
    int64_t transit = it->arrival_us - b->capture_us;
    if (transit < s->min_transit)
        s->min_transit = transit;
    s->transit_acc += transit;
    s->transit_n++;
    lm_band band = {.x = b->x, .y = b->y, .w = b->bw, .h = b->bh,
                    .quality = b->quality, .flags = b->flags,
                    .data = b->jpeg, .len = b->len};
    int64_t t0 = lm_mono_us();
    (void)lm_band_decode(v->dec, &band, s->fw, s->fh, s->div, &s->canvas);
    int64_t t1 = lm_mono_us();
    s->decode_acc += t1 - t0;
    if (o.show_after) {
        learn_wait(s, it->arrival_us); /* a complete frame */
        show(v, slot, s, b->frame, 0, t1);
    }
}

/* Once a second: a REPORT for the sender and the stats snapshot. */
static void report(lm_video *v, unsigned slot, stream *s, int64_t now)
{
    const lm_reasm_stats *st = &s->ra.st;
    int64_t span = now - s->period_us;
    if (span <= 0)
        return;
    uint64_t planned = s->planned - s->planned_mark;
    uint64_t expected = st->expected - s->mark.expected;
    uint64_t lost = st->lost - s->mark.lost;
    expected = expected > planned ? expected - planned : 0;
    lost = lost > planned ? lost - planned : 0;
    uint64_t late = st->late - s->mark.late;
    if (lost > expected)
        lost = expected;
    lm_video_msg m = {.type = LM_MSG_VIDEO_REPORT};
    m.u.report.period_ms = (uint16_t)(span / 1000 > 60000 ? 60000
                                      : span / 1000 < 1 ? 1 : span / 1000);
    m.u.report.expected = (uint32_t)(expected > UINT32_MAX ? UINT32_MAX
                                                           : expected);
    m.u.report.lost = (uint32_t)(lost > m.u.report.expected
                                     ? m.u.report.expected : lost);
    m.u.report.late = (uint32_t)(late > UINT32_MAX ? UINT32_MAX : late);
    m.u.report.frames = (uint16_t)(s->frames > UINT16_MAX ? UINT16_MAX
                                                          : s->frames);
    m.u.report.decode_us = s->frames ? s->decode_sum / s->frames : 0;
    m.u.report.budget_us = 0;
    int64_t q = s->transit_n ? s->transit_acc / s->transit_n - s->min_transit
                             : 0;
    m.u.report.queue_us = (uint32_t)(q < 0 ? 0 : q > UINT32_MAX ? UINT32_MAX
                                                                : q);
    out_item it = {.kind = OUT_REPORT, .slot = (uint8_t)slot};
    int len = lm_video_encode(&m, it.bytes, sizeof it.bytes);
    it.len = (uint8_t)(len > 0 ? len : 0);
    if (len > 0 && (s->frames || expected))
        push_out(v, &it);

    rx_snap sn = {
        .fps = s->frames * 1e6 / (double)span,
        .loss_pm = expected ? (unsigned)(lost * 1000 / expected) : 0,
        .late = st->late,
        .healed = st->healed,
        .stale = s->stale,
        .decode_us = m.u.report.decode_us,
        .delay_us = s->delay_n ? (uint32_t)(s->delay_sum / s->delay_n) : 0,
        .w = (uint16_t)s->canvas.w,
        .h = (uint16_t)s->canvas.h,
    };
    pthread_mutex_lock(&v->stats_lock);
    sn.kbps = v->snap[slot].kbps; /* the net thread's figure */
    v->snap[slot] = sn;
    pthread_mutex_unlock(&v->stats_lock);

    s->mark = *st;
    s->planned_mark = s->planned;
    s->period_us = now;
    s->frames = s->decode_sum = s->delay_n = s->transit_n = 0;
    s->delay_sum = s->transit_acc = 0;
}

static void take_input(lm_video *v, int64_t now)
{
    rx_item it;
    while (lm_ring_pop(v->rx, &it)) {
        unsigned slot = it.slot;
        if (slot == 0 || slot >= SLOTS)
            continue;
        stream *s = &v->st[slot];
        switch (it.kind) {
        case RX_JOINED:
            video_stream_reset(v, s);
            s->live = true;
            s->period_us = now;
            if (v->cfg.record_dir)
                s->rec = video_rec_open(v->cfg.record_dir, it.id);
            break;
        case RX_LEFT:
            video_stream_reset(v, s);
            break;
        case RX_BAND:
            on_band(v, slot, &it);
            break;
        }
    }
}

void *video_decode_main(void *arg)
{
    lm_video *v = arg;
    for (unsigned i = 0; i < SLOTS; i++)
        video_stream_reset(v, &v->st[i]);
    int64_t next_report = lm_mono_us() + REPORT_US;
    while (!atomic_load(&v->stop)) {
        int64_t now = lm_mono_us();
        int64_t wake = next_report;
        for (unsigned i = 1; i < SLOTS; i++) {
            int64_t due = v->st[i].live ? lm_reasm_due(&v->st[i].ra) : 0;
            if (due && due < wake)
                wake = due;
        }
        int ms = wake > now ? (int)((wake - now + 999) / 1000) : 0;
        if (ms > 100)
            ms = 100; /* the stop flag is looked at this often */
        struct pollfd p = {.fd = v->rx_fd, .events = POLLIN};
        if (poll(&p, 1, ms) > 0) {
            uint64_t cnt;
            ssize_t r = read(v->rx_fd, &cnt, sizeof cnt);
            (void)r;
        }
        now = lm_mono_us();
        take_input(v, now);
        for (unsigned i = 1; i < SLOTS; i++) {
            stream *s = &v->st[i];
            uint32_t frame;
            unsigned healed;
            if (s->live && lm_reasm_due(&s->ra) &&
                lm_reasm_flush(&s->ra, now, &frame, &healed))
                show(v, i, s, frame, healed, now);
        }
        if (now >= next_report) {
            for (unsigned i = 1; i < SLOTS; i++)
                if (v->st[i].live)
                    report(v, i, &v->st[i], now);
            next_report = now + REPORT_US;
        }
        if (lm_ring_count(v->out))
            video_wake_net(v);
    }
    for (unsigned i = 0; i < SLOTS; i++)
        video_stream_reset(v, &v->st[i]);
    return NULL;
}
