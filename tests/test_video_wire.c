/* test_video_wire.c - tests for core/video/video_wire.c.
 *
 * Every message round-trips (encode, decode, encode: the same bytes), the
 * largest BAND is exactly LM_VIDEO_WIRE_MAX and so one sealed datagram;
 * then hostile bytes as a table of fields patched to bad values (sizes,
 * places, counts, quality, flags, lengths), truncation at every length,
 * trailing bytes, unknown types, and the encoder refusing what the
 * decoder would refuse. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "err.h"
#include "video/video_wire.h"
#include "wire.h"

static lm_video_msg band(size_t len)
{
    lm_video_msg m;
    memset(&m, 0, sizeof m);
    m.type = LM_MSG_VIDEO_BAND;
    lm_video_band_msg *b = &m.u.band;
    b->frame = 0xfffffffeu;
    b->capture_us = -1234567890123ll;
    b->w = 640, b->h = 360;
    b->index = 22, b->count = 23;
    b->x = 0, b->y = 352, b->bw = 640, b->bh = 8; /* the last, short band */
    b->quality = 75;
    b->flags = 0;
    b->len = len;
    for (size_t i = 0; i < len; i++)
        b->jpeg[i] = (uint8_t)(i * 7 + 1);
    return m;
}

static lm_video_msg other(uint8_t type)
{
    lm_video_msg m;
    memset(&m, 0, sizeof m);
    m.type = type;
    switch (type) {
    case LM_MSG_VIDEO_ASK: m.u.ask.w = 320, m.u.ask.h = 180, m.u.ask.fps = 30;
        break;
    case LM_MSG_VIDEO_REPORT:
        m.u.report.period_ms = 1000;
        m.u.report.expected = 690, m.u.report.lost = 69, m.u.report.late = 3;
        m.u.report.frames = 30, m.u.report.decode_us = 800;
        m.u.report.budget_us = 3000, m.u.report.queue_us = 0xfffffffeu;
        break;
    case LM_MSG_VIDEO_STATE:
        m.u.state.on = 1, m.u.state.w = 640, m.u.state.h = 360;
        m.u.state.fps = 30;
        break;
    }
    return m;
}

static void round_trip(const lm_video_msg *m, int want_len)
{
    uint8_t a[LM_VIDEO_WIRE_MAX], b[LM_VIDEO_WIRE_MAX];
    int n = lm_video_encode(m, a, sizeof a);
    CHECK(n > 0);
    if (want_len)
        CHECK_EQ_INT(n, want_len);
    lm_video_msg back;
    CHECK_EQ_INT(lm_video_decode(a, (size_t)n, &back), 0);
    CHECK_EQ_INT(back.type, m->type);
    int n2 = lm_video_encode(&back, b, sizeof b);
    CHECK_EQ_INT(n2, n);
    CHECK(n2 == n && memcmp(a, b, (size_t)n) == 0);
    if (m->type == LM_MSG_VIDEO_BAND) {
        const lm_video_band_msg *x = &m->u.band, *y = &back.u.band;
        CHECK(x->frame == y->frame && x->capture_us == y->capture_us &&
              x->w == y->w && x->h == y->h && x->index == y->index &&
              x->count == y->count && x->x == y->x && x->y == y->y &&
              x->bw == y->bw && x->bh == y->bh && x->quality == y->quality &&
              x->flags == y->flags && x->len == y->len &&
              memcmp(x->jpeg, y->jpeg, x->len) == 0);
    }
}

static void test_round_trips(void)
{
    lm_video_msg m = band(1);
    round_trip(&m, LM_VIDEO_BAND_HEAD + 1);
    m = band(LM_VIDEO_JPEG_MAX); /* the largest fits one datagram, sealed */
    round_trip(&m, LM_VIDEO_WIRE_MAX);
    CHECK_EQ_INT(LM_VIDEO_WIRE_MAX + 1 + LM_SEAL_OVERHEAD, 1372);
    m = band(500);
    m.u.band.flags = LM_VIDEO_BAND_TABLES;
    m.u.band.w = 1920, m.u.band.h = 1080, m.u.band.count = LM_VIDEO_BANDS_MAX;
    m.u.band.index = LM_VIDEO_BANDS_MAX - 1;
    m.u.band.x = 1904, m.u.band.bw = 16, m.u.band.y = 1072, m.u.band.bh = 8;
    m.u.band.quality = 100;
    round_trip(&m, 0);
    m = band(9);
    m.u.band.w = 16, m.u.band.h = 16, m.u.band.count = 1, m.u.band.index = 0;
    m.u.band.x = 0, m.u.band.y = 0, m.u.band.bw = 16, m.u.band.bh = 16;
    m.u.band.quality = 1;
    round_trip(&m, 0);
    m = band(9); /* a band reaching the right edge, not whole blocks */
    m.u.band.w = 1000, m.u.band.x = 992, m.u.band.bw = 8;
    round_trip(&m, 0);
    m = band(9); /* a band of the most rows */
    m.u.band.h = 1080, m.u.band.y = 256, m.u.band.bh = 256;
    round_trip(&m, 0);

    m = other(LM_MSG_VIDEO_ASK);
    round_trip(&m, 6);
    m.u.ask.w = 0, m.u.ask.h = 0, m.u.ask.fps = 0; /* stop */
    round_trip(&m, 6);
    m = other(LM_MSG_VIDEO_REPORT);
    round_trip(&m, 1 + 2 + 4 * 3 + 2 + 4 * 3);
    m.u.report.lost = m.u.report.expected = 0;
    round_trip(&m, 0);
    m = other(LM_MSG_VIDEO_STATE);
    round_trip(&m, 7);
    memset(&m.u, 0, sizeof m.u); /* off */
    round_trip(&m, 7);
}

/* Encodes a good message, patches `width` bytes at `at` (little-endian
 * v), and decodes. */
static int patched(lm_video_msg m, size_t at, unsigned width, uint32_t v)
{
    uint8_t buf[LM_VIDEO_WIRE_MAX];
    int n = lm_video_encode(&m, buf, sizeof buf);
    CHECK(n > 0);
    if (n <= 0 || at + width > (size_t)n)
        return 1;
    for (unsigned i = 0; i < width; i++)
        buf[at + i] = (uint8_t)(v >> (8 * i));
    lm_video_msg out;
    int rc = lm_video_decode(buf, (size_t)n, &out);
    if (rc < 0) {
        CHECK_EQ_INT(out.type, m.type); /* only the type is left */
        CHECK(out.type != LM_MSG_VIDEO_BAND || out.u.band.len == 0);
    }
    return rc;
}

/* BAND offsets: frame 1, capture 5, w 13, h 15, index 17, count 19, x 21,
 * y 23, bw 25, bh 27, quality 29, flags 30, len 31, jpeg 33. The good
 * band is the last of 23 in a 640x360 frame: y 352, 640x8. */
static void test_hostile_bands(void)
{
    static const struct {
        const char *what;
        size_t at;
        unsigned width;
        uint32_t v;
        int rc;
    } rows[] = {
        {"a frame number is anything", 1, 4, 0, 0},
        {"width odd", 13, 2, 641, LM_EPROTO},
        {"width over 1920", 13, 2, 1922, LM_EPROTO},
        {"width under 16", 13, 2, 14, LM_EPROTO},
        {"height over 1080", 15, 2, 1082, LM_EPROTO},
        {"height 0", 15, 2, 0, LM_EPROTO},
        {"height so the band runs past it", 15, 2, 358, LM_EPROTO},
        {"index = count", 17, 2, 23, LM_EPROTO},
        {"count 0", 19, 2, 0, LM_EPROTO},
        {"count over the cap", 19, 2, LM_VIDEO_BANDS_MAX + 1, LM_EPROTO},
        {"count at the cap", 19, 2, LM_VIDEO_BANDS_MAX, 0},
        {"x off the grid", 21, 2, 8, LM_EPROTO},
        {"y off the grid", 23, 2, 344, LM_EPROTO},
        {"y on the grid, band past the end", 23, 2, 368, LM_EPROTO},
        {"band width 0", 25, 2, 0, LM_EPROTO},
        {"band wider than the frame", 25, 2, 656, LM_EPROTO},
        {"band width not whole blocks", 25, 2, 24, LM_EPROTO},
        {"band height 0", 27, 2, 0, LM_EPROTO},
        {"band height not whole blocks, not at the edge", 27, 2, 4,
         LM_EPROTO},
        {"quality 0", 29, 1, 0, LM_EPROTO},
        {"quality 101", 29, 1, 101, LM_EPROTO},
        {"quality 1", 29, 1, 1, 0},
        {"unknown flag", 30, 1, 0x08, LM_EPROTO},
        {"skip 3 (a rate step)", 30, 1, 0x06, 0},
        {"JPEG length over the cap", 31, 2, LM_VIDEO_JPEG_MAX + 1,
         LM_ETOOBIG},
        {"JPEG length past the end", 31, 2, 101, LM_EPROTO},
        {"JPEG length short: trailing bytes", 31, 2, 99, LM_EPROTO},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        int rc = patched(band(100), rows[i].at, rows[i].width, rows[i].v);
        if (rc != rows[i].rc)
            fprintf(stderr, "row '%s': %d, want %d\n", rows[i].what, rc,
                    rows[i].rc);
        CHECK_EQ_INT(rc, rows[i].rc);
    }
    /* a zero-length JPEG: the length and nothing after */
    lm_video_msg m = band(1);
    uint8_t buf[LM_VIDEO_WIRE_MAX];
    int n = lm_video_encode(&m, buf, sizeof buf);
    buf[31] = 0;
    lm_video_msg out;
    CHECK_EQ_INT(lm_video_decode(buf, (size_t)n - 1, &out), LM_EPROTO);
    /* a band more rows than LM_VIDEO_BAND_ROWS_MAX */
    m = band(10);
    m.u.band.h = 1080, m.u.band.y = 0, m.u.band.bh = 256;
    n = lm_video_encode(&m, buf, sizeof buf);
    CHECK(n > 0);
    buf[27] = (uint8_t)(272 & 0xff), buf[28] = (uint8_t)(272 >> 8);
    CHECK_EQ_INT(lm_video_decode(buf, (size_t)n, &out), LM_EPROTO);
}

static void test_hostile_others(void)
{
    static const struct {
        const char *what;
        uint8_t type;
        size_t at;
        unsigned width;
        uint32_t v;
        int rc;
    } rows[] = {
        /* ASK: w 1, h 3, fps 5 */
        {"ask odd width", LM_MSG_VIDEO_ASK, 1, 2, 321, LM_EPROTO},
        {"ask too big", LM_MSG_VIDEO_ASK, 3, 2, 1200, LM_EPROTO},
        {"ask fps 0", LM_MSG_VIDEO_ASK, 5, 1, 0, LM_EPROTO},
        {"ask fps 61", LM_MSG_VIDEO_ASK, 5, 1, 61, LM_EPROTO},
        {"ask fps 60", LM_MSG_VIDEO_ASK, 5, 1, 60, 0},
        {"ask width only 0", LM_MSG_VIDEO_ASK, 1, 2, 0, LM_EPROTO},
        /* REPORT: period 1, expected 3, lost 7, late 11, frames 15 */
        {"report period 0", LM_MSG_VIDEO_REPORT, 1, 2, 0, LM_EPROTO},
        {"report period over a minute", LM_MSG_VIDEO_REPORT, 1, 2, 60001,
         LM_EPROTO},
        {"report lost > expected", LM_MSG_VIDEO_REPORT, 7, 4, 691,
         LM_EPROTO},
        {"report lost = expected", LM_MSG_VIDEO_REPORT, 7, 4, 690, 0},
        {"report late is anything", LM_MSG_VIDEO_REPORT, 11, 4, 0xffffffffu,
         0},
        /* STATE: on 1, w 2, h 4, fps 6 */
        {"state on 2", LM_MSG_VIDEO_STATE, 1, 1, 2, LM_EPROTO},
        {"state off with a size", LM_MSG_VIDEO_STATE, 1, 1, 0, LM_EPROTO},
        {"state odd height", LM_MSG_VIDEO_STATE, 4, 2, 359, LM_EPROTO},
        {"state fps 0", LM_MSG_VIDEO_STATE, 6, 1, 0, LM_EPROTO},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        int rc = patched(other(rows[i].type), rows[i].at, rows[i].width,
                         rows[i].v);
        if (rc != rows[i].rc)
            fprintf(stderr, "row '%s': %d, want %d\n", rows[i].what, rc,
                    rows[i].rc);
        CHECK_EQ_INT(rc, rows[i].rc);
    }
}

static void test_truncation_trailing_unknown(void)
{
    const lm_video_msg ms[] = {band(40), other(LM_MSG_VIDEO_ASK),
                               other(LM_MSG_VIDEO_REPORT),
                               other(LM_MSG_VIDEO_STATE)};
    for (size_t i = 0; i < sizeof ms / sizeof ms[0]; i++) {
        uint8_t buf[LM_VIDEO_WIRE_MAX + 1];
        int n = lm_video_encode(&ms[i], buf, sizeof buf);
        CHECK(n > 0);
        lm_video_msg out;
        for (int k = 0; k < n; k++)
            CHECK_EQ_INT(lm_video_decode(buf, (size_t)k, &out), LM_EPROTO);
        buf[n] = 0;
        CHECK_EQ_INT(lm_video_decode(buf, (size_t)n + 1, &out), LM_EPROTO);
    }
    lm_video_msg out;
    static const uint8_t audio[] = {LM_MSG_AUDIO_NOTE, 1, 0};
    CHECK_EQ_INT(lm_video_decode(audio, sizeof audio, &out), LM_EUNKNOWN);
    static const uint8_t t28[] = {28, 0};
    CHECK_EQ_INT(lm_video_decode(t28, sizeof t28, &out), LM_EUNKNOWN);
    static uint8_t huge[LM_VIDEO_WIRE_MAX + 1] = {LM_MSG_VIDEO_BAND};
    CHECK_EQ_INT(lm_video_decode(huge, sizeof huge, &out), LM_ETOOBIG);
    CHECK_EQ_INT(lm_video_decode(NULL, 0, &out), LM_EPROTO);
    CHECK_EQ_INT(lm_video_decode(NULL, 3, &out), LM_EINVAL);
}

static void test_encode_refuses(void)
{
    uint8_t buf[LM_VIDEO_WIRE_MAX];
    lm_video_msg m = band(10);
    m.u.band.len = LM_VIDEO_JPEG_MAX + 1;
    CHECK_EQ_INT(lm_video_encode(&m, buf, sizeof buf), LM_ETOOBIG);
    m = band(0);
    CHECK_EQ_INT(lm_video_encode(&m, buf, sizeof buf), LM_EINVAL);
    m = band(10);
    m.u.band.y = 344; /* off the grid */
    CHECK_EQ_INT(lm_video_encode(&m, buf, sizeof buf), LM_EINVAL);
    m = band(10);
    m.u.band.flags = 0x10;
    CHECK_EQ_INT(lm_video_encode(&m, buf, sizeof buf), LM_EINVAL);
    m = band(1000);
    CHECK_EQ_INT(lm_video_encode(&m, buf, 500), LM_ETOOBIG);
    m = other(LM_MSG_VIDEO_ASK);
    m.u.ask.fps = 0;
    CHECK_EQ_INT(lm_video_encode(&m, buf, sizeof buf), LM_EINVAL);
    m = other(LM_MSG_VIDEO_REPORT);
    m.u.report.lost = m.u.report.expected + 1;
    CHECK_EQ_INT(lm_video_encode(&m, buf, sizeof buf), LM_EINVAL);
    m = other(LM_MSG_VIDEO_STATE);
    m.u.state.on = 0;
    CHECK_EQ_INT(lm_video_encode(&m, buf, sizeof buf), LM_EINVAL);
    m.type = LM_MSG_AUDIO;
    CHECK_EQ_INT(lm_video_encode(&m, buf, sizeof buf), LM_EINVAL);
    CHECK(lm_video_size_ok(16, 16) && lm_video_size_ok(1920, 1080));
    CHECK(!lm_video_size_ok(15, 16) && !lm_video_size_ok(1920, 1082));
}

int main(void)
{
    RUN(test_round_trips);
    RUN(test_hostile_bands);
    RUN(test_hostile_others);
    RUN(test_truncation_trailing_unknown);
    RUN(test_encode_refuses);
    return check_report();
}
