/* test_video_band.c - tests for core/video/band.c, band_dec.c and
 * band_tmpl.c.
 *
 * Sizing rules (rows, pieces across, scale) as tables. Then real frames (the test pattern, and noise
 * that no band of 16 rows can hold): every band fits one datagram, the
 * bands tile the frame exactly once, a scan decoded with the rebuilt
 * header gives the very pixels the whole JPEG gives, the picture comes
 * back close to its source, a missing band keeps the previous frame's
 * rows, scaled decodes match the full decode scaled down, and nothing is
 * ever written outside a band's rectangle, for good bands or hostile
 * ones (bad places, lying headers, markers in a scan, random bytes). */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "err.h"
#include "video/band.h"
#include "video/pattern.h"

static void test_rows_table(void)
{
    static const struct {
        unsigned h;
        size_t per_mb_row, target;
        unsigned rows;
    } rows[] = {
        {360, 0, 985, 16},      /* nothing known yet: the smallest */
        {360, 2000, 985, 16},   /* a macroblock row over the aim */
        {360, 985, 985, 16},    /* exactly one */
        {360, 400, 985, 32},    /* two fit: 12 bands of 32 (last 8) */
        {360, 300, 985, 48},    /* three: 8 bands, equal shares of 45 */
        {360, 100, 985, 128},   /* nine: 3 bands of 120, on the grid */
        {360, 10, 985, 192},    /* 256 at most: 2 bands, equal shares */
        {180, 100, 985, 96},    /* nine of 16 = 144 < 180: 2 bands */
        {90, 100, 985, 90},     /* the whole frame in one band */
        {90, 0, 985, 16},
        {1080, 5, 985, 224},    /* 256 max: 5 bands, equal shares 216 */
        {16, 0, 985, 16},
        {0, 10, 985, 0},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        unsigned got = lm_band_rows(rows[i].h, rows[i].per_mb_row,
                                    rows[i].target);
        if (got != rows[i].rows)
            fprintf(stderr, "row %zu: %u\n", i, got);
        CHECK_EQ_INT(got, rows[i].rows);
    }
}

static void test_cols_table(void)
{
    static const struct {
        unsigned w;
        size_t per_mb_row, target;
        unsigned cols;
    } rows[] = {
        {640, 0, 985, 640},      /* not known: whole rows */
        {640, 985, 985, 640},    /* a row fits */
        {640, 986, 985, 320},    /* just over: halves */
        {640, 2000, 985, 224},   /* three pieces of 214, on the grid */
        {640, 5000, 985, 112},   /* six */
        {1000, 1500, 985, 512},  /* the last piece 488, to the edge */
        {32, 100000, 985, 16},   /* never under a macroblock */
        {8, 100000, 985, 8},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        CHECK_EQ_INT(lm_band_cols(rows[i].w, rows[i].per_mb_row,
                                  rows[i].target),
                     rows[i].cols);
}

static void test_scale_table(void)
{
    static const struct {
        unsigned w, h, sw, sh, div;
    } rows[] = {
        {640, 360, 640, 360, 1}, {640, 360, 600, 340, 1},
        {640, 360, 320, 180, 2}, {640, 360, 321, 180, 1},
        {640, 360, 160, 90, 4},  {640, 360, 80, 45, 8},
        {640, 360, 80, 46, 4},   {640, 360, 10, 10, 8},
        {1920, 1080, 320, 180, 4}, {1920, 1080, 240, 135, 8},
        {160, 90, 320, 180, 1},  /* larger than the frame: full size */
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        CHECK_EQ_INT(lm_band_pick_div(rows[i].w, rows[i].h, rows[i].sw,
                                      rows[i].sh),
                     rows[i].div);
    CHECK_EQ_INT(lm_band_scaled(360, 8), 45);
    CHECK_EQ_INT(lm_band_scaled(8, 8), 1);
    CHECK_EQ_INT(lm_band_scaled(90, 4), 23);
}

/* ---- helpers ---- */

static void noise(lm_image *im, uint32_t seed)
{
    for (int p = 0; p < 3; p++) {
        unsigned pw = p ? lm_image_cw(im->w) : im->w;
        unsigned ph = p ? lm_image_ch(im->h) : im->h;
        for (unsigned y = 0; y < ph; y++)
            for (unsigned x = 0; x < pw; x++) {
                seed ^= seed << 13, seed ^= seed >> 17, seed ^= seed << 5;
                im->plane[p][y * im->stride[p] + x] = (uint8_t)seed;
            }
    }
}

static double psnr_y(const lm_image *a, const lm_image *b)
{
    double se = 0;
    for (unsigned y = 0; y < a->h; y++)
        for (unsigned x = 0; x < a->w; x++) {
            int d = a->plane[0][y * a->stride[0] + x] -
                    b->plane[0][y * b->stride[0] + x];
            se += d * d;
        }
    double mse = se / ((double)a->w * a->h);
    return mse == 0 ? 99 : 10 * log10(255.0 * 255.0 / mse);
}

static bool same_image(const lm_image *a, const lm_image *b)
{
    for (int p = 0; p < 3; p++) {
        unsigned pw = p ? lm_image_cw(a->w) : a->w;
        unsigned ph = p ? lm_image_ch(a->h) : a->h;
        for (unsigned y = 0; y < ph; y++)
            if (memcmp(a->plane[p] + y * a->stride[p],
                       b->plane[p] + y * b->stride[p], pw) != 0)
                return false;
    }
    return true;
}

/* A picture inside a bigger buffer whose margins hold a sentinel, so a
 * write outside the picture shows. */
#define PAD 64
typedef struct guarded {
    lm_image im;
    uint8_t *buf[3];
    size_t size[3];
} guarded;

static void guarded_new(guarded *g, unsigned w, unsigned h)
{
    memset(g, 0, sizeof *g);
    g->im.w = w;
    g->im.h = h;
    for (int p = 0; p < 3; p++) {
        unsigned pw = p ? lm_image_cw(w) : w, ph = p ? lm_image_ch(h) : h;
        size_t stride = pw + 2 * PAD;
        g->size[p] = stride * (ph + 2 * PAD);
        g->buf[p] = malloc(g->size[p]);
        memset(g->buf[p], 0xa5, g->size[p]);
        g->im.stride[p] = stride;
        g->im.plane[p] = g->buf[p] + PAD * stride + PAD;
        for (unsigned y = 0; y < ph; y++)
            memset(g->im.plane[p] + y * stride, p ? 128 : 0, pw);
    }
}

static bool guard_intact(const guarded *g)
{
    for (int p = 0; p < 3; p++) {
        unsigned pw = p ? lm_image_cw(g->im.w) : g->im.w;
        unsigned ph = p ? lm_image_ch(g->im.h) : g->im.h;
        for (size_t i = 0; i < g->size[p]; i++) {
            size_t y = i / g->im.stride[p], x = i % g->im.stride[p];
            bool inside = y >= PAD && y < PAD + ph && x >= PAD && x < PAD + pw;
            if (!inside && g->buf[p][i] != 0xa5)
                return false;
        }
    }
    return true;
}

static void guarded_free(guarded *g)
{
    for (int p = 0; p < 3; p++)
        free(g->buf[p]);
}

/* True when the bands tile a w x h frame exactly once. */
static bool tiles(const lm_band *b, int n, unsigned w, unsigned h)
{
    static uint8_t seen[1080 / 16 + 1][1920 / 16 + 1];
    memset(seen, 0, sizeof seen);
    for (int i = 0; i < n; i++)
        for (unsigned y = b[i].y; y < (unsigned)b[i].y + b[i].h; y += 16)
            for (unsigned x = b[i].x; x < (unsigned)b[i].x + b[i].w; x += 16)
                if (seen[y / 16][x / 16]++)
                    return false;
    for (unsigned y = 0; y < h; y += 16)
        for (unsigned x = 0; x < w; x += 16)
            if (seen[y / 16][x / 16] != 1)
                return false;
    return true;
}

/* ---- encoding and decoding real frames ---- */

static void test_pattern_frames(void)
{
    lm_band_enc *e = lm_band_enc_new();
    lm_band_dec *d = lm_band_dec_new();
    lm_image src, out, whole;
    lm_image_alloc(&src, 640, 360);
    lm_image_alloc(&out, 640, 360);
    lm_image_alloc(&whole, 640, 360);
    static const struct {
        int q;
        double psnr_min;
    } rows[] = {{30, 28}, {50, 30}, {75, 32}, {90, 36}};
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        for (uint32_t f = 0; f < 3; f++) { /* the second learns sizes */
            lm_pattern_paint(&src, f, f * 33333);
            const lm_band *b;
            int n = lm_band_encode(e, &src, rows[r].q, 0, &b);
            CHECK(n > 0);
            CHECK(tiles(b, n, 640, 360));
            size_t bytes = 0;
            for (int i = 0; i < n; i++) {
                CHECK(b[i].len >= 1 && b[i].len <= LM_VIDEO_JPEG_MAX);
                CHECK_EQ_INT(b[i].flags, 0); /* the standard header */
                CHECK_EQ_INT(b[i].quality, rows[r].q);
                CHECK_EQ_INT(lm_band_decode(d, &b[i], 640, 360, 1, &out), 0);
                bytes += b[i].len;
            }
            CHECK(psnr_y(&src, &out) >= rows[r].psnr_min);
            /* the same frame as whole JPEGs decodes to the same pixels,
             * and costs the header in every band */
            lm_band copy[LM_VIDEO_BANDS_MAX];
            memcpy(copy, b, (size_t)n * sizeof *b);
            const lm_band *t;
            int nt = lm_band_encode(e, &src, rows[r].q, LM_BAND_ENC_TABLES, &t);
            size_t tbytes = 0;
            for (int i = 0; i < nt; i++) {
                CHECK(t[i].flags == LM_VIDEO_BAND_TABLES);
                CHECK_EQ_INT(lm_band_decode(d, &t[i], 640, 360, 1, &whole), 0);
                tbytes += t[i].len;
            }
            CHECK(same_image(&out, &whole));
            CHECK(tbytes >= bytes + (size_t)nt * 500);
            (void)copy;
        }
    }
    lm_band_stats st;
    lm_band_enc_stats(e, &st);
    CHECK_EQ_INT(st.tables, 0);
    CHECK_EQ_INT(st.dropped, 0);
    lm_image_release(&src);
    lm_image_release(&out);
    lm_image_release(&whole);
    lm_band_enc_free(e);
    lm_band_dec_free(d);
}

static void test_noise_splits(void)
{
    lm_band_enc *e = lm_band_enc_new();
    lm_band_dec *d = lm_band_dec_new();
    static const struct {
        unsigned w, h;
        int q;
    } rows[] = {{640, 360, 95}, {640, 360, 50}, {160, 90, 100},
                {1920, 1080, 60}, {64, 16, 100}, {1000, 24, 100}};
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        lm_image src, out;
        lm_image_alloc(&src, rows[r].w, rows[r].h);
        lm_image_alloc(&out, rows[r].w, rows[r].h);
        noise(&src, 0x9e3779b9u + (uint32_t)r);
        lm_band_stats before, after;
        lm_band_enc_stats(e, &before);
        const lm_band *b;
        int n = lm_band_encode(e, &src, rows[r].q, 0, &b);
        lm_band_enc_stats(e, &after);
        CHECK(n > 0);
        CHECK(after.splits > before.splits); /* noise never fits 16 rows */
        CHECK_EQ_INT(after.dropped, before.dropped);
        CHECK(tiles(b, n, rows[r].w, rows[r].h));
        int narrow = 0;
        for (int i = 0; i < n; i++) {
            CHECK(b[i].len <= LM_VIDEO_JPEG_MAX);
            CHECK(b[i].h <= 16 || b[i].w == rows[r].w);
            narrow += b[i].w < rows[r].w;
            CHECK_EQ_INT(lm_band_decode(d, &b[i], rows[r].w, rows[r].h, 1,
                                        &out), 0);
        }
        CHECK(narrow > 0); /* split across, not only down */
        /* noise coded at 90+ comes back well; at 50 it is still noise */
        CHECK(psnr_y(&src, &out) >= (rows[r].q >= 90 ? 25 : 12));
        lm_image_release(&src);
        lm_image_release(&out);
    }
    lm_band_enc_free(e);
    lm_band_dec_free(d);
}

static void test_missing_band_heals(void)
{
    lm_band_enc *e = lm_band_enc_new();
    lm_band_dec *d = lm_band_dec_new();
    lm_image a, b, canvas, ref_a, ref_b;
    lm_image_alloc(&a, 320, 180);
    lm_image_alloc(&b, 320, 180);
    lm_image_alloc(&canvas, 320, 180);
    lm_image_alloc(&ref_a, 320, 180);
    lm_image_alloc(&ref_b, 320, 180);
    lm_pattern_paint(&a, 1, 100);
    lm_pattern_paint(&b, 60, 200); /* the box has moved far */
    const lm_band *bands;
    int n = lm_band_encode(e, &a, 75, 0, &bands);
    for (int i = 0; i < n; i++) {
        lm_band_decode(d, &bands[i], 320, 180, 1, &canvas);
        lm_band_decode(d, &bands[i], 320, 180, 1, &ref_a);
    }
    n = lm_band_encode(e, &b, 75, 0, &bands);
    CHECK(n >= 2);
    int lost = n / 2;
    for (int i = 0; i < n; i++) {
        lm_band_decode(d, &bands[i], 320, 180, 1, &ref_b);
        if (i != lost)
            lm_band_decode(d, &bands[i], 320, 180, 1, &canvas);
    }
    unsigned y0 = bands[lost].y, y1 = y0 + bands[lost].h;
    for (unsigned y = 0; y < 180; y++) {
        const lm_image *want = y >= y0 && y < y1 ? &ref_a : &ref_b;
        CHECK(memcmp(canvas.plane[0] + y * 320, want->plane[0] + y * 320,
                     320) == 0);
    }
    for (unsigned y = 0; y < 90; y++) {
        const lm_image *want = y >= y0 / 2 && y < (y1 + 1) / 2 ? &ref_a : &ref_b;
        CHECK(memcmp(canvas.plane[1] + y * 160, want->plane[1] + y * 160,
                     160) == 0);
    }
    lm_image_release(&a);
    lm_image_release(&b);
    lm_image_release(&canvas);
    lm_image_release(&ref_a);
    lm_image_release(&ref_b);
    lm_band_enc_free(e);
    lm_band_dec_free(d);
}

static void test_scaled_decode(void)
{
    lm_band_enc *e = lm_band_enc_new();
    lm_band_dec *d = lm_band_dec_new();
    lm_image src, full;
    lm_image_alloc(&src, 640, 360);
    lm_image_alloc(&full, 640, 360);
    lm_pattern_paint(&src, 5, 5);
    const lm_band *b;
    lm_band_encode(e, &src, 75, 0, &b); /* learn, then bands of 16*k */
    int n = lm_band_encode(e, &src, 75, 0, &b);
    for (int i = 0; i < n; i++)
        lm_band_decode(d, &b[i], 640, 360, 1, &full);
    for (unsigned div = 2; div <= 8; div *= 2) {
        unsigned sw = lm_band_scaled(640, div), sh = lm_band_scaled(360, div);
        guarded g;
        guarded_new(&g, sw, sh);
        for (int i = 0; i < n; i++)
            CHECK_EQ_INT(lm_band_decode(d, &b[i], 640, 360, div, &g.im), 0);
        CHECK(guard_intact(&g));
        /* against the full decode's div x div block means */
        long diff = 0;
        for (unsigned y = 0; y < sh; y++)
            for (unsigned x = 0; x < sw; x++) {
                unsigned sum = 0, k = 0;
                for (unsigned yy = y * div; yy < (y + 1) * div && yy < 360; yy++)
                    for (unsigned xx = x * div; xx < (x + 1) * div; xx++, k++)
                        sum += full.plane[0][yy * 640 + xx];
                diff += labs((long)g.im.plane[0][y * g.im.stride[0] + x] -
                             (long)((sum + k / 2) / k));
            }
        double mean = (double)diff / (sw * sh);
        if (mean >= 1)
            fprintf(stderr, "1/%u: mean difference %.2f\n", div, mean);
        CHECK(mean < 1);
        /* a wrong-size destination is refused */
        lm_image bad = g.im;
        bad.w++;
        CHECK_EQ_INT(lm_band_decode(d, &b[0], 640, 360, div, &bad),
                     LM_EINVAL);
        guarded_free(&g);
    }
    CHECK_EQ_INT(lm_band_decode(d, &b[0], 640, 360, 3, &full), LM_EINVAL);
    lm_image_release(&src);
    lm_image_release(&full);
    lm_band_enc_free(e);
    lm_band_dec_free(d);
}

/* ---- hostile bands ---- */

static void test_hostile(void)
{
    lm_band_enc *e = lm_band_enc_new();
    lm_band_dec *d = lm_band_dec_new();
    lm_image src;
    lm_image_alloc(&src, 320, 180);
    lm_pattern_paint(&src, 9, 9);
    const lm_band *b;
    int n = lm_band_encode(e, &src, 75, 0, &b);
    CHECK(n > 1);
    lm_band good = b[1];
    uint8_t scan[LM_VIDEO_JPEG_MAX];
    memcpy(scan, good.data, good.len);
    good.data = scan;
    const lm_band *t;
    lm_band_encode(e, &src, 75, LM_BAND_ENC_TABLES, &t);
    uint8_t whole[LM_VIDEO_JPEG_MAX];
    lm_band gw = t[1];
    memcpy(whole, gw.data, gw.len);
    gw.data = whole;

    guarded g;
    guarded_new(&g, 320, 180);
    CHECK_EQ_INT(lm_band_decode(d, &good, 320, 180, 1, &g.im), 0);
    CHECK_EQ_INT(lm_band_decode(d, &gw, 320, 180, 1, &g.im), 0);

    /* places and sizes that do not belong in a 320x180 frame */
    static const struct {
        uint16_t x, y, w, h;
        uint8_t q;
    } bad[] = {
        {8, 0, 16, 16, 75},    /* off the grid */
        {0, 8, 16, 16, 75},
        {0, 0, 24, 16, 75},    /* not whole blocks, not at the edge */
        {0, 0, 16, 24, 75},
        {320, 0, 16, 16, 75},  /* outside */
        {0, 176, 16, 16, 75},  /* past the bottom */
        {0, 0, 0, 16, 75},     /* empty */
        {0, 0, 16, 0, 75},
        {0, 0, 16, 16, 0},     /* quality 0 and 101 */
        {0, 0, 16, 16, 101},
        {0, 0, 336, 16, 75},   /* wider than the frame */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        lm_band h = good;
        h.x = bad[i].x, h.y = bad[i].y, h.w = bad[i].w, h.h = bad[i].h;
        h.quality = bad[i].q;
        CHECK_EQ_INT(lm_band_decode(d, &h, 320, 180, 1, &g.im), LM_EPROTO);
    }
    lm_band h = good;
    h.len = 0;
    CHECK_EQ_INT(lm_band_decode(d, &h, 320, 180, 1, &g.im), LM_EPROTO);
    h = good;
    h.flags = 0x80;
    CHECK_EQ_INT(lm_band_decode(d, &h, 320, 180, 1, &g.im), LM_EPROTO);
    h = good;
    CHECK_EQ_INT(lm_band_decode(d, &h, 322, 180, 1, &g.im), LM_EINVAL);
    CHECK_EQ_INT(lm_band_decode(d, &h, 15, 180, 1, &g.im), LM_EINVAL);

    /* a whole JPEG whose header lies about its size: refused before
     * TurboJPEG writes; claimed smaller than it is, bigger, or placed
     * where it would run past the frame */
    h = gw;
    h.h = (uint16_t)(gw.h - 16);
    CHECK_EQ_INT(lm_band_decode(d, &h, 320, 180, 1, &g.im), LM_EPROTO);
    h = gw;
    h.w = 160;
    CHECK_EQ_INT(lm_band_decode(d, &h, 320, 180, 1, &g.im), LM_EPROTO);
    /* a whole JPEG sent without the flag: its SOI is a marker in a scan */
    h = gw;
    h.flags = 0;
    CHECK_EQ_INT(lm_band_decode(d, &h, 320, 180, 1, &g.im), LM_EPROTO);
    /* a scan sent as a whole JPEG */
    h = good;
    h.flags = LM_VIDEO_BAND_TABLES;
    CHECK_EQ_INT(lm_band_decode(d, &h, 320, 180, 1, &g.im), LM_EPROTO);
    /* markers in a scan: EOI, a restart, a lone 0xff at the end */
    uint8_t s2[LM_VIDEO_JPEG_MAX];
    static const uint8_t marks[][2] = {{0xff, 0xd9}, {0xff, 0xd0},
                                       {0xff, 0xc0}, {0xff, 0xda}};
    for (size_t i = 0; i < sizeof marks / sizeof marks[0]; i++) {
        memcpy(s2, scan, good.len);
        s2[good.len / 2] = marks[i][0];
        s2[good.len / 2 + 1] = marks[i][1];
        h = good;
        h.data = s2;
        CHECK_EQ_INT(lm_band_decode(d, &h, 320, 180, 1, &g.im), LM_EPROTO);
    }
    memcpy(s2, scan, good.len);
    s2[good.len - 1] = 0xff;
    h = good;
    h.data = s2;
    CHECK_EQ_INT(lm_band_decode(d, &h, 320, 180, 1, &g.im), LM_EPROTO);

    /* random and truncated bytes at every size and scale: whatever
     * TurboJPEG makes of them stays inside the band's rectangle */
    uint32_t x = 0xdecafbad;
    int decoded = 0, refused = 0;
    for (int round = 0; round < 300; round++) {
        size_t len = 1 + (size_t)(round * 37 % LM_VIDEO_JPEG_MAX);
        for (size_t i = 0; i < len; i++) {
            x ^= x << 13, x ^= x >> 17, x ^= x << 5;
            s2[i] = (uint8_t)x;
        }
        for (size_t i = 0; i + 1 < len; i++) /* mostly clean scans */
            if (s2[i] == 0xff && round % 2)
                s2[++i] = 0;
        h = good;
        h.data = s2;
        h.len = len;
        h.flags = round % 5 == 0 ? LM_VIDEO_BAND_TABLES : 0;
        h.quality = (uint8_t)(1 + round % 100);
        if (round % 3 == 0) { /* a truncated real scan */
            memcpy(s2, scan, good.len);
            h.len = 1 + (size_t)round % good.len;
            h.flags = 0;
        }
        unsigned div = 1u << (round % 4);
        guarded gs;
        guarded_new(&gs, lm_band_scaled(320, div), lm_band_scaled(180, div));
        int rc = lm_band_decode(d, &h, 320, 180, div, &gs.im);
        CHECK(rc == 0 || rc == LM_EPROTO);
        decoded += rc == 0;
        refused += rc == LM_EPROTO;
        CHECK(guard_intact(&gs));
        guarded_free(&gs);
    }
    CHECK(refused > 0);
    CHECK(guard_intact(&g));
    guarded_free(&g);
    lm_image_release(&src);
    lm_band_enc_free(e);
    lm_band_dec_free(d);
    (void)decoded;
}

static void test_encode_refuses(void)
{
    lm_band_enc *e = lm_band_enc_new();
    const lm_band *b;
    lm_image im;
    lm_image_alloc(&im, 161, 90); /* odd */
    CHECK_EQ_INT(lm_band_encode(e, &im, 75, 0, &b), LM_EINVAL);
    lm_image_release(&im);
    lm_image_alloc(&im, 14, 90); /* under the minimum */
    CHECK_EQ_INT(lm_band_encode(e, &im, 75, 0, &b), LM_EINVAL);
    lm_image_release(&im);
    lm_image_alloc(&im, 160, 90);
    CHECK_EQ_INT(lm_band_encode(e, &im, 0, 0, &b), LM_EINVAL);
    CHECK_EQ_INT(lm_band_encode(e, &im, 101, 0, &b), LM_EINVAL);
    CHECK(lm_band_encode(e, &im, 100, 0, &b) > 0);
    lm_image_release(&im);
    lm_band_enc_free(e);
    lm_band_enc_free(NULL);
    lm_band_dec_free(NULL);
}

int main(void)
{
    RUN(test_rows_table);
    RUN(test_cols_table);
    RUN(test_scale_table);
    RUN(test_pattern_frames);
    RUN(test_noise_splits);
    RUN(test_missing_band_heals);
    RUN(test_scaled_decode);
    RUN(test_hostile);
    RUN(test_encode_refuses);
    return check_report();
}
