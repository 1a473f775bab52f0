/* test_video_image.c - tests for core/video/image.c.
 *
 * Allocation and its refusals; downscale by tables: a flat picture stays
 * flat at every size asked for (whole ratios, odd ratios, odd sources,
 * same size), known patterns average to exactly the values worked out by
 * hand (2:1, 4:1 and 3:2 with fractional coverage, rounding to nearest),
 * random pictures match a brute-force area average at whole and broken
 * ratios,
 * views with wide strides read and write only their pixels, and bad
 * targets are refused. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "err.h"
#include "video/image.h"

static bool plane_is(const lm_image *im, int p, uint8_t v)
{
    unsigned pw = p ? lm_image_cw(im->w) : im->w;
    unsigned ph = p ? lm_image_ch(im->h) : im->h;
    for (unsigned y = 0; y < ph; y++)
        for (unsigned x = 0; x < pw; x++)
            if (im->plane[p][y * im->stride[p] + x] != v)
                return false;
    return true;
}

static void test_alloc(void)
{
    static const struct {
        unsigned w, h;
        int rc;
    } rows[] = {
        {640, 360, 0}, {1, 1, 0}, {1920, 1080, 0}, {81, 45, 0},
        {0, 10, LM_EINVAL}, {10, 0, LM_EINVAL}, {1921, 10, LM_EINVAL},
        {10, 1081, LM_EINVAL},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        lm_image im;
        CHECK_EQ_INT(lm_image_alloc(&im, rows[i].w, rows[i].h), rows[i].rc);
        if (rows[i].rc == 0) {
            CHECK(lm_image_valid(&im));
            CHECK(plane_is(&im, 0, 0) && plane_is(&im, 1, 128) &&
                  plane_is(&im, 2, 128)); /* black */
            CHECK_EQ_INT(im.stride[1], (rows[i].w + 1) / 2);
        } else {
            CHECK(im.mem == NULL && im.w == 0);
        }
        lm_image_release(&im);
        CHECK(im.mem == NULL);
    }
    lm_image_release(NULL);
    CHECK(!lm_image_valid(NULL));
    lm_image v = {.w = 4, .h = 4, .stride = {3, 2, 2}};
    uint8_t buf[64];
    v.plane[0] = v.plane[1] = v.plane[2] = buf;
    CHECK(!lm_image_valid(&v)); /* stride narrower than a row */
    v.stride[0] = 4;
    CHECK(lm_image_valid(&v));
    v.plane[2] = NULL;
    CHECK(!lm_image_valid(&v));
}

static void test_flat_stays_flat(void)
{
    static const struct {
        unsigned sw, sh, dw, dh;
    } rows[] = {
        {640, 360, 320, 180}, {640, 360, 160, 90}, {640, 360, 250, 140},
        {640, 360, 638, 358}, {640, 360, 2, 2},    {640, 360, 640, 360},
        {81, 45, 80, 44},     {1920, 1080, 640, 360}, {7, 3, 2, 2},
        {1920, 1080, 1918, 2},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        lm_image src, dst;
        lm_image_alloc(&src, rows[i].sw, rows[i].sh);
        lm_image_alloc(&dst, rows[i].dw, rows[i].dh);
        lm_image_fill(&src, 201, 37, 250);
        CHECK_EQ_INT(lm_image_downscale(&src, &dst), 0);
        CHECK(plane_is(&dst, 0, 201));
        CHECK(plane_is(&dst, 1, 37));
        CHECK(plane_is(&dst, 2, 250));
        lm_image_fill(&src, 255, 255, 0); /* the extremes too */
        CHECK_EQ_INT(lm_image_downscale(&src, &dst), 0);
        CHECK(plane_is(&dst, 0, 255) && plane_is(&dst, 2, 0));
        lm_image_release(&src);
        lm_image_release(&dst);
    }
}

/* Luma of a sw x sh source from a table, downscaled, against a table. */
static void check_luma(unsigned sw, unsigned sh, const uint8_t *in,
                       unsigned dw, unsigned dh, const uint8_t *want)
{
    lm_image src, dst;
    lm_image_alloc(&src, sw, sh);
    lm_image_alloc(&dst, dw, dh);
    for (unsigned y = 0; y < sh; y++)
        memcpy(src.plane[0] + y * src.stride[0], in + y * sw, sw);
    CHECK_EQ_INT(lm_image_downscale(&src, &dst), 0);
    for (unsigned y = 0; y < dh; y++)
        for (unsigned x = 0; x < dw; x++) {
            uint8_t got = dst.plane[0][y * dst.stride[0] + x];
            if (got != want[y * dw + x])
                fprintf(stderr, "%ux%u->%ux%u at %u,%u: %u, want %u\n", sw,
                        sh, dw, dh, x, y, got, want[y * dw + x]);
            CHECK(got == want[y * dw + x]);
        }
    lm_image_release(&src);
    lm_image_release(&dst);
}

static void test_known_patterns(void)
{
    /* 2:1: each output is its 2x2 block's mean, rounded to nearest */
    static const uint8_t a[] = {
        0,   0,   10,  20,
        0,   4,   30,  41,
        255, 255, 1,   0,
        255, 254, 0,   0,
    };
    static const uint8_t a_out[] = {1, 25, 255, 0}; /* 1, 25.25, 254.75, .25 */
    check_luma(4, 4, a, 2, 2, a_out);
    /* a one-pixel checkerboard of 0 and 255 is 127.5: rounds up */
    static const uint8_t cb[] = {0, 255, 0, 255, 255, 0, 255, 0};
    static const uint8_t cb_out[] = {128, 128, 128, 128};
    check_luma(4, 2, cb, 2, 2, cb_out);
    /* 4:1 */
    static const uint8_t b[16 * 2] = {
        8, 8, 8, 8, 100, 100, 100, 100, 0, 0, 0, 0, 1, 2, 3, 4,
        8, 8, 8, 8, 100, 100, 100, 100, 0, 0, 0, 0, 1, 2, 3, 4,
    };
    /* 16x2 -> 4x2: horizontal 4:1, vertical 1:1 */
    static const uint8_t b_out[] = {8, 100, 0, 3, 8, 100, 0, 3}; /* 2.5 up */
    check_luma(16, 2, b, 4, 2, b_out);
    /* 3:2, fractional: out0 = (2a + b) / 3, out1 = (b + 2c) / 3 */
    static const uint8_t c[] = {0, 90, 180, 0, 90, 180};
    static const uint8_t c_out[] = {30, 150, 30, 150};
    check_luma(3, 2, c, 2, 2, c_out);
    /* and vertically, 3 rows into 2 */
    static const uint8_t d[] = {0, 0, 90, 90, 180, 180};
    static const uint8_t d_out[] = {30, 30, 150, 150};
    check_luma(2, 3, d, 2, 2, d_out);
    /* 5:2 both ways on a ramp: out0 = (2*v0 + 2*v1 + v2/2) / 2.5 */
    static const uint8_t e[] = {10, 20, 30, 40, 50};
    uint8_t e2[25];
    for (int y = 0; y < 5; y++)
        memcpy(e2 + 5 * y, e, 5);
    /* (10 + 20 + 30 * 0.5) / 2.5 = 18, (30 * 0.5 + 40 + 50) / 2.5 = 42 */
    static const uint8_t e_out[] = {18, 42, 18, 42};
    check_luma(5, 5, e2, 2, 2, e_out);
}

static uint32_t xorshift(uint32_t *x)
{
    *x ^= *x << 13, *x ^= *x >> 17, *x ^= *x << 5;
    return *x;
}

/* Overlap of [a0, a1) and [b0, b1). */
static uint64_t overlap(uint64_t a0, uint64_t a1, uint64_t b0, uint64_t b1)
{
    uint64_t lo = a0 > b0 ? a0 : b0, hi = a1 < b1 ? a1 : b1;
    return hi > lo ? hi - lo : 0;
}

/* Random pictures against a brute-force area average written apart from
 * image.c: every source pixel's overlap with every output pixel. Covers
 * the whole-ratio fast path (2:1, 4:1, 8:1) and the general one. */
static void test_against_brute_force(void)
{
    static const struct {
        unsigned sw, sh, dw, dh;
    } rows[] = {
        {64, 36, 32, 18}, {64, 36, 16, 8},  {64, 32, 8, 4},  {50, 30, 20, 12},
        {45, 27, 14, 8},  {33, 17, 32, 16}, {7, 5, 6, 4},    {64, 36, 30, 36},
        {96, 54, 32, 18}, /* 3:1, whole */
    };
    uint32_t seed = 0x2545f491;
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        unsigned sw = rows[r].sw, sh = rows[r].sh, dw = rows[r].dw,
                 dh = rows[r].dh;
        lm_image src, dst;
        lm_image_alloc(&src, sw, sh);
        lm_image_alloc(&dst, dw, dh);
        for (int p = 0; p < 3; p++)
            for (unsigned i = 0; i < (p ? lm_image_cw(sw) * lm_image_ch(sh)
                                        : sw * sh);
                 i++)
                src.plane[p][i] = (uint8_t)xorshift(&seed);
        CHECK_EQ_INT(lm_image_downscale(&src, &dst), 0);
        int wrong = 0;
        for (int p = 0; p < 3; p++) {
            unsigned pw = p ? lm_image_cw(sw) : sw, ph = p ? lm_image_ch(sh) : sh;
            unsigned qw = p ? dw / 2 : dw, qh = p ? dh / 2 : dh;
            for (unsigned oy = 0; oy < qh; oy++)
                for (unsigned ox = 0; ox < qw; ox++) {
                    uint64_t sum = 0, total = (uint64_t)pw * ph;
                    for (unsigned y = 0; y < ph; y++)
                        for (unsigned x = 0; x < pw; x++)
                            sum += src.plane[p][y * pw + x] *
                                   overlap(x * qw, (x + 1) * qw, ox * pw,
                                           (ox + 1) * pw) *
                                   overlap(y * qh, (y + 1) * qh, oy * ph,
                                           (oy + 1) * ph);
                    uint8_t want = (uint8_t)((sum + total / 2) / total);
                    wrong += dst.plane[p][oy * dst.stride[p] + ox] != want;
                }
        }
        if (wrong)
            fprintf(stderr, "%ux%u -> %ux%u: %d pixels differ\n", sw, sh, dw,
                    dh, wrong);
        CHECK_EQ_INT(wrong, 0);
        lm_image_release(&src);
        lm_image_release(&dst);
    }
}

static void test_views_and_strides(void)
{
    /* a 4x2 view inside a buffer 10 wide: only its pixels are read, and
     * a 2x2 view out only writes its own */
    uint8_t sy[20], su[10], sv[10], dy[16], du[8], dv[8];
    memset(sy, 99, sizeof sy);
    memset(su, 1, sizeof su);
    memset(sv, 2, sizeof sv);
    memset(dy, 0xee, sizeof dy);
    memset(du, 0xee, sizeof du);
    memset(dv, 0xee, sizeof dv);
    static const uint8_t px[] = {10, 20, 30, 40, 50, 60, 70, 80};
    memcpy(sy, px, 4);
    memcpy(sy + 10, px + 4, 4);
    lm_image s = {.w = 4, .h = 2, .stride = {10, 5, 5},
                  .plane = {sy, su, sv}};
    lm_image d = {.w = 2, .h = 2, .stride = {8, 4, 4}, .plane = {dy, du, dv}};
    CHECK_EQ_INT(lm_image_downscale(&s, &d), 0);
    CHECK(dy[0] == 15 && dy[1] == 35 && dy[8] == 55 && dy[9] == 75);
    CHECK(dy[2] == 0xee && dy[7] == 0xee && dy[10] == 0xee);
    CHECK(du[0] == 1 && du[1] == 0xee && dv[0] == 2);
}

static void test_refused(void)
{
    lm_image src, dst;
    lm_image_alloc(&src, 320, 180);
    static const struct {
        unsigned w, h;
    } bad[] = {{161, 90}, {160, 91}, {322, 180}, {320, 182}, {1, 1}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        lm_image_alloc(&dst, bad[i].w, bad[i].h);
        lm_image_fill(&dst, 7, 7, 7);
        CHECK_EQ_INT(lm_image_downscale(&src, &dst), LM_EINVAL);
        CHECK(plane_is(&dst, 0, 7)); /* untouched */
        lm_image_release(&dst);
    }
    lm_image none = {0};
    CHECK_EQ_INT(lm_image_downscale(&none, &src), LM_EINVAL);
    CHECK_EQ_INT(lm_image_downscale(&src, &none), LM_EINVAL);
    lm_image_alloc(&dst, 160, 90);
    CHECK_EQ_INT(lm_image_copy(&dst, &src), LM_EINVAL); /* sizes differ */
    lm_image_release(&dst);
    lm_image_release(&src);
}

int main(void)
{
    RUN(test_alloc);
    RUN(test_flat_stays_flat);
    RUN(test_known_patterns);
    RUN(test_against_brute_force);
    RUN(test_views_and_strides);
    RUN(test_refused);
    return check_report();
}
