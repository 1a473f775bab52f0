/* make_video_corpus.c - writes the seed corpus for fuzz_video: one valid
 * encoding of each video message, BANDs carrying real scans and whole
 * JPEGs of the test pattern (full width, a piece at the right edge, the
 * short last band of 1080p), and the raw scan and raw JPEG inputs (first
 * byte 0xfe, 0xff), as DIR/name.bin.
 *
 * Usage: make_video_corpus DIR   (DIR must exist)
 * Built by hand against lmvideo, e.g. from a build directory:
 *   cc -I../core ../tests/fuzz/make_video_corpus.c liblmvideo.a \
 *      liblmcore.a -lturbojpeg -o make_video_corpus
 * The seeds are committed in tests/fuzz/corpus/video; rerun this after a
 * change to the video wire format and commit the new files. */
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "video/band.h"
#include "video/pattern.h"
#include "video/video_wire.h"
#include "wire.h"

static const char *dir;

static int put(const char *name, const uint8_t *p, size_t n)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s.bin", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
        perror(path);
        return 1;
    }
    return 0;
}

static int put_msg(const char *name, const lm_video_msg *m)
{
    uint8_t buf[LM_VIDEO_WIRE_MAX];
    int n = lm_video_encode(m, buf, sizeof buf);
    if (n < 0) {
        fprintf(stderr, "%s: %s\n", name, lm_strerror(n));
        return 1;
    }
    return put(name, buf, (size_t)n);
}

static int put_band(const char *name, const lm_band *b, unsigned w,
                    unsigned h, uint32_t frame, int index, int count)
{
    lm_video_msg m;
    memset(&m, 0, sizeof m);
    m.type = LM_MSG_VIDEO_BAND;
    lm_video_band_msg *v = &m.u.band;
    v->frame = frame;
    v->capture_us = 123456789;
    v->w = (uint16_t)w, v->h = (uint16_t)h;
    v->index = (uint16_t)index, v->count = (uint16_t)count;
    v->x = b->x, v->y = b->y, v->bw = b->w, v->bh = b->h;
    v->quality = b->quality;
    v->flags = b->flags;
    v->len = b->len;
    memcpy(v->jpeg, b->data, b->len);
    return put_msg(name, &m);
}

static int put_raw(const char *name, uint8_t mode, const lm_band *b)
{
    uint8_t buf[1 + LM_VIDEO_JPEG_MAX];
    buf[0] = mode;
    memcpy(buf + 1, b->data, b->len);
    return put(name, buf, 1 + b->len);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: make_video_corpus DIR\n");
        return 2;
    }
    dir = argv[1];
    int bad = 0;
    lm_band_enc *e = lm_band_enc_new();
    lm_image im;
    /* 320x180, whose first 16 rows the raw modes decode into */
    lm_image_alloc(&im, 320, 180);
    lm_pattern_paint(&im, 7, 7000);
    const lm_band *b;
    lm_band_encode(e, &im, 75, 0, &b); /* learn the sizes */
    int n = lm_band_encode(e, &im, 75, 0, &b);
    bad |= put_band("band_320_scan", &b[0], 320, 180, 7, 0, n);
    bad |= put_band("band_320_last", &b[n - 1], 320, 180, 9, n - 1, n);
    n = lm_band_encode(e, &im, 75, LM_BAND_ENC_TABLES, &b);
    bad |= put_band("band_320_tables", &b[0], 320, 180, 10, 0, n);
    /* raw inputs: the pattern's top 16 rows as one 320x16 band */
    lm_image top = im;
    top.h = 16;
    n = lm_band_encode(e, &top, 75, 0, &b);
    if (n == 1)
        bad |= put_raw("raw_scan", 0xfe, &b[0]);
    n = lm_band_encode(e, &top, 75, LM_BAND_ENC_TABLES, &b);
    if (n == 1)
        bad |= put_raw("raw_jpeg", 0xff, &b[0]);
    lm_image_release(&im);
    /* 1000x360: a band at the right edge, not whole macroblocks */
    lm_image_alloc(&im, 1000, 360);
    lm_pattern_paint(&im, 3, 3);
    n = lm_band_encode(e, &im, 90, 0, &b);
    bad |= put_band("band_1000_q90", &b[n - 1], 1000, 360, 11, n - 1, n);
    lm_image_release(&im);
    /* 1080p's short last band at 1/8 (frame 3: 1 << 3) */
    lm_image_alloc(&im, 1920, 1080);
    lm_pattern_paint(&im, 5, 5);
    n = lm_band_encode(e, &im, 50, 0, &b);
    bad |= put_band("band_1080_last", &b[n - 1], 1920, 1080, 3, n - 1, n);
    lm_image_release(&im);
    lm_band_enc_free(e);

    lm_video_msg m;
    memset(&m, 0, sizeof m);
    m.type = LM_MSG_VIDEO_ASK;
    m.u.ask.w = 320, m.u.ask.h = 180, m.u.ask.fps = 30;
    bad |= put_msg("ask", &m);
    memset(&m, 0, sizeof m);
    m.type = LM_MSG_VIDEO_REPORT;
    m.u.report.period_ms = 1000, m.u.report.expected = 690;
    m.u.report.lost = 12, m.u.report.late = 2, m.u.report.frames = 30;
    m.u.report.decode_us = 900, m.u.report.budget_us = 3000;
    m.u.report.queue_us = 1500;
    bad |= put_msg("report", &m);
    memset(&m, 0, sizeof m);
    m.type = LM_MSG_VIDEO_STATE;
    m.u.state.on = 1, m.u.state.w = 640, m.u.state.h = 360;
    m.u.state.fps = 30;
    bad |= put_msg("state_on", &m);
    memset(&m.u, 0, sizeof m.u);
    bad |= put_msg("state_off", &m);
    return bad;
}
