/* video_wire.c - the video service's codec (video_wire.h).
 *
 * One check per message kind, shared by the encoder (a caller's mistake:
 * LM_EINVAL) and the decoder (a peer's: LM_EPROTO), so what one side
 * accepts the other writes back unchanged. */
#include "video_wire.h"

#include <string.h>

#include "cursor.h"
#include "err.h"
#include "wire.h"

_Static_assert(LM_VIDEO_WIRE_MAX == 1347, "one sealed datagram at MTU 1400");
_Static_assert(LM_VIDEO_BAND_HEAD == 1 + 4 + 8 + 8 * 2 + 1 + 1 + 2,
               "the BAND layout in video_wire.h");

bool lm_video_size_ok(unsigned w, unsigned h)
{
    return !(w & 1) && !(h & 1) && w >= LM_VIDEO_W_MIN &&
           h >= LM_VIDEO_H_MIN && w <= LM_VIDEO_W_MAX && h <= LM_VIDEO_H_MAX;
}

/* One side of a band: starts on the grid, non-empty, inside the frame,
 * and a whole number of macroblocks unless it reaches the frame's edge. */
static bool span_ok(unsigned at, unsigned len, unsigned frame)
{
    return at % LM_VIDEO_MCU == 0 && len > 0 && at + len <= frame &&
           (len % LM_VIDEO_MCU == 0 || at + len == frame);
}

static bool band_ok(const lm_video_band_msg *b)
{
    return lm_video_size_ok(b->w, b->h) && b->count >= 1 &&
           b->count <= LM_VIDEO_BANDS_MAX && b->index < b->count &&
           span_ok(b->x, b->bw, b->w) && span_ok(b->y, b->bh, b->h) &&
           b->bh <= LM_VIDEO_BAND_ROWS_MAX && b->quality >= 1 &&
           b->quality <= 100 && !(b->flags & ~LM_VIDEO_BAND_FLAGS) &&
           b->len >= 1 && b->len <= LM_VIDEO_JPEG_MAX;
}

static bool ask_ok(const lm_video_msg *m)
{
    if (m->u.ask.w == 0 && m->u.ask.h == 0)
        return m->u.ask.fps == 0;
    return lm_video_size_ok(m->u.ask.w, m->u.ask.h) && m->u.ask.fps >= 1 &&
           m->u.ask.fps <= LM_VIDEO_FPS_MAX;
}

static bool report_ok(const lm_video_msg *m)
{
    return m->u.report.period_ms >= 1 && m->u.report.period_ms <= 60000 &&
           m->u.report.lost <= m->u.report.expected;
}

static bool state_ok(const lm_video_msg *m)
{
    if (m->u.state.on > 1)
        return false;
    if (!m->u.state.on)
        return !m->u.state.w && !m->u.state.h && !m->u.state.fps;
    return lm_video_size_ok(m->u.state.w, m->u.state.h) &&
           m->u.state.fps >= 1 && m->u.state.fps <= LM_VIDEO_FPS_MAX;
}

int lm_video_encode(const lm_video_msg *m, uint8_t *buf, size_t cap)
{
    if (!m || (!buf && cap))
        return LM_EINVAL;
    lm_writer w;
    lm_wr_init(&w, buf, cap);
    lm_wr_u8(&w, m->type);
    switch (m->type) {
    case LM_MSG_VIDEO_BAND: {
        const lm_video_band_msg *b = &m->u.band;
        if (b->len > LM_VIDEO_JPEG_MAX)
            return LM_ETOOBIG;
        if (!band_ok(b))
            return LM_EINVAL;
        lm_wr_u32(&w, b->frame);
        lm_wr_i64(&w, b->capture_us);
        lm_wr_u16(&w, b->w);
        lm_wr_u16(&w, b->h);
        lm_wr_u16(&w, b->index);
        lm_wr_u16(&w, b->count);
        lm_wr_u16(&w, b->x);
        lm_wr_u16(&w, b->y);
        lm_wr_u16(&w, b->bw);
        lm_wr_u16(&w, b->bh);
        lm_wr_u8(&w, b->quality);
        lm_wr_u8(&w, b->flags);
        lm_wr_blob16(&w, b->jpeg, b->len, LM_VIDEO_JPEG_MAX);
        break;
    }
    case LM_MSG_VIDEO_ASK:
        if (!ask_ok(m))
            return LM_EINVAL;
        lm_wr_u16(&w, m->u.ask.w);
        lm_wr_u16(&w, m->u.ask.h);
        lm_wr_u8(&w, m->u.ask.fps);
        break;
    case LM_MSG_VIDEO_REPORT:
        if (!report_ok(m))
            return LM_EINVAL;
        lm_wr_u16(&w, m->u.report.period_ms);
        lm_wr_u32(&w, m->u.report.expected);
        lm_wr_u32(&w, m->u.report.lost);
        lm_wr_u32(&w, m->u.report.late);
        lm_wr_u16(&w, m->u.report.frames);
        lm_wr_u32(&w, m->u.report.decode_us);
        lm_wr_u32(&w, m->u.report.budget_us);
        lm_wr_u32(&w, m->u.report.queue_us);
        break;
    case LM_MSG_VIDEO_STATE:
        if (!state_ok(m))
            return LM_EINVAL;
        lm_wr_u8(&w, m->u.state.on);
        lm_wr_u16(&w, m->u.state.w);
        lm_wr_u16(&w, m->u.state.h);
        lm_wr_u8(&w, m->u.state.fps);
        break;
    default:
        return LM_EINVAL;
    }
    return lm_wr_done(&w);
}

static void read_band(lm_reader *r, lm_video_band_msg *b)
{
    b->frame = lm_rd_u32(r);
    b->capture_us = lm_rd_i64(r);
    b->w = lm_rd_u16(r);
    b->h = lm_rd_u16(r);
    b->index = lm_rd_u16(r);
    b->count = lm_rd_u16(r);
    b->x = lm_rd_u16(r);
    b->y = lm_rd_u16(r);
    b->bw = lm_rd_u16(r);
    b->bh = lm_rd_u16(r);
    b->quality = lm_rd_u8(r);
    b->flags = lm_rd_u8(r);
    lm_rd_blob16(r, b->jpeg, LM_VIDEO_JPEG_MAX, &b->len);
    if (!r->err && !band_ok(b))
        lm_rd_fail(r, LM_EPROTO);
}

int lm_video_decode(const uint8_t *buf, size_t len, lm_video_msg *m)
{
    if (!m || (!buf && len))
        return LM_EINVAL;
    m->type = 0;
    if (len == 0)
        return LM_EPROTO;
    if (len > LM_VIDEO_WIRE_MAX)
        return LM_ETOOBIG;
    lm_reader r;
    lm_rd_init(&r, buf + 1, len - 1);
    m->type = buf[0];
    switch (m->type) {
    case LM_MSG_VIDEO_BAND:
        read_band(&r, &m->u.band);
        break;
    case LM_MSG_VIDEO_ASK:
        m->u.ask.w = lm_rd_u16(&r);
        m->u.ask.h = lm_rd_u16(&r);
        m->u.ask.fps = lm_rd_u8(&r);
        if (!r.err && !ask_ok(m))
            lm_rd_fail(&r, LM_EPROTO);
        break;
    case LM_MSG_VIDEO_REPORT:
        m->u.report.period_ms = lm_rd_u16(&r);
        m->u.report.expected = lm_rd_u32(&r);
        m->u.report.lost = lm_rd_u32(&r);
        m->u.report.late = lm_rd_u32(&r);
        m->u.report.frames = lm_rd_u16(&r);
        m->u.report.decode_us = lm_rd_u32(&r);
        m->u.report.budget_us = lm_rd_u32(&r);
        m->u.report.queue_us = lm_rd_u32(&r);
        if (!r.err && !report_ok(m))
            lm_rd_fail(&r, LM_EPROTO);
        break;
    case LM_MSG_VIDEO_STATE:
        m->u.state.on = lm_rd_u8(&r);
        m->u.state.w = lm_rd_u16(&r);
        m->u.state.h = lm_rd_u16(&r);
        m->u.state.fps = lm_rd_u8(&r);
        if (!r.err && !state_ok(m))
            lm_rd_fail(&r, LM_EPROTO);
        break;
    default:
        m->type = 0;
        return LM_EUNKNOWN;
    }
    int rc = lm_rd_done(&r);
    if (rc < 0) { /* nothing half-read is left for a careless caller */
        uint8_t type = m->type;
        memset(&m->u, 0, sizeof m->u);
        m->type = type;
    }
    return rc;
}

int lm_video_band_set_skip(uint8_t *buf, size_t len, unsigned skip)
{
    if (len < LM_VIDEO_BAND_HEAD || buf[0] != LM_MSG_VIDEO_BAND)
        return LM_EINVAL;
    if (skip > LM_VIDEO_BAND_SKIP_MAX)
        skip = LM_VIDEO_BAND_SKIP_MAX;
    uint8_t f = buf[LM_VIDEO_BAND_FLAGS_AT];
    buf[LM_VIDEO_BAND_FLAGS_AT] =
        (uint8_t)((f & ~LM_VIDEO_BAND_SKIP_MASK) |
                  (skip << LM_VIDEO_BAND_SKIP_SHIFT));
    return 0;
}
