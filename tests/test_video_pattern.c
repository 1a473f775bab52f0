/* test_video_pattern.c - tests for core/video/pattern.c.
 *
 * The painted counter and time read back exactly from the picture itself,
 * through what a real stream does to it: downscaled from 640x360 to each
 * size a viewer asks for, cut into bands, JPEG-coded at every quality
 * from 30 to 95 and decoded. Damage gives "unreadable", never a wrong
 * value: one stripe destroyed still reads from the other, a band of the
 * previous frame healed into a stripe makes that stripe refuse, grey and
 * random pictures refuse, and a single flipped cell refuses. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "err.h"
#include "video/band.h"
#include "video/pattern.h"

static const struct {
    unsigned w, h;
} sizes[] = {{640, 360}, {320, 180}, {160, 90}};

/* paint at 640x360, downscale to w x h, band-code at q, decode. */
static int through_stream(lm_band_enc *e, lm_band_dec *d, uint32_t counter,
                          uint64_t t, unsigned w, unsigned h, int q,
                          lm_image *out)
{
    lm_image src, small;
    lm_image_alloc(&src, 640, 360);
    lm_image_alloc(&small, w, h);
    lm_pattern_paint(&src, counter, t);
    int rc = lm_image_downscale(&src, &small);
    const lm_band *bands;
    int n = rc < 0 ? rc : lm_band_encode(e, &small, q, 0, &bands);
    for (int i = 0; i < n && rc == 0; i++)
        rc = lm_band_decode(d, &bands[i], w, h, 1, out);
    lm_image_release(&src);
    lm_image_release(&small);
    return n < 0 ? n : rc;
}

static void test_every_size_and_quality(void)
{
    lm_band_enc *e = lm_band_enc_new();
    lm_band_dec *d = lm_band_dec_new();
    uint32_t counter = 0xfffffff0u;
    uint64_t t = 0x0123456789abcdefull;
    int reads = 0;
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        lm_image out;
        lm_image_alloc(&out, sizes[s].w, sizes[s].h);
        for (int q = 30; q <= 95; q += 5) {
            for (int k = 0; k < 3; k++) { /* the picture moves: frames */
                counter += 7;
                t += 33333 + (uint64_t)k * 0x100000001ull;
                CHECK_EQ_INT(through_stream(e, d, counter, t, sizes[s].w,
                                            sizes[s].h, q, &out), 0);
                uint32_t c = 0;
                uint64_t got = 0;
                int rc = lm_pattern_read(&out, &c, &got);
                if (rc != 0)
                    fprintf(stderr, "unreadable at %ux%u q%d\n", sizes[s].w,
                            sizes[s].h, q);
                CHECK_EQ_INT(rc, 0);
                CHECK(c == counter);
                CHECK(got == t);
                reads += rc == 0;
            }
        }
        lm_image_release(&out);
    }
    CHECK_EQ_INT(reads, 3 * 14 * 3);
    lm_band_enc_free(e);
    lm_band_dec_free(d);
}

static void test_raw_reads_extremes(void)
{
    static const struct {
        uint32_t counter;
        uint64_t t;
    } rows[] = {
        {0, 0}, {1, 1}, {0xffffffffu, 0xffffffffffffffffull},
        {0x80000000u, 0x8000000000000000ull}, {12345, 1700000000000000ull},
    };
    lm_image im;
    lm_image_alloc(&im, 640, 360);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        lm_pattern_paint(&im, rows[i].counter, rows[i].t);
        uint32_t c;
        uint64_t t;
        CHECK_EQ_INT(lm_pattern_read(&im, &c, &t), 0);
        CHECK(c == rows[i].counter && t == rows[i].t);
    }
    lm_image_release(&im);
}

static void test_damage_is_unreadable(void)
{
    lm_image a, b;
    lm_image_alloc(&a, 640, 360);
    lm_image_alloc(&b, 640, 360);
    uint32_t c = 99;
    uint64_t t = 77;

    /* grey, black and a picture with no stripe: refused */
    lm_image_fill(&a, 128, 128, 128);
    CHECK_EQ_INT(lm_pattern_read(&a, &c, &t), LM_EPROTO);
    lm_image_fill(&a, 0, 128, 128);
    CHECK_EQ_INT(lm_pattern_read(&a, &c, &t), LM_EPROTO);
    uint32_t x = 0x12345678;
    for (unsigned i = 0; i < 640 * 360; i++) { /* random bytes */
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        a.plane[0][i] = (uint8_t)x;
    }
    CHECK_EQ_INT(lm_pattern_read(&a, &c, &t), LM_EPROTO);
    CHECK(c == 99 && t == 77); /* left alone */

    /* the top stripe wiped: the bottom one still reads */
    lm_pattern_paint(&a, 500, 600);
    memset(a.plane[0], 128, 640 * 72);
    CHECK_EQ_INT(lm_pattern_read(&a, &c, &t), 0);
    CHECK(c == 500 && t == 600);

    /* one cell flipped in each stripe: the CRC refuses both */
    lm_pattern_paint(&a, 500, 600);
    for (unsigned y = 0; y < 18; y++) {
        for (unsigned xx = 0; xx < 22; xx++) {
            a.plane[0][y * 640 + xx] ^= 0xe0;           /* top, cell 0 */
            a.plane[0][(288 + y) * 640 + 600 + xx] ^= 0xe0; /* bottom */
        }
    }
    CHECK_EQ_INT(lm_pattern_read(&a, &c, &t), LM_EPROTO);

    /* bands healed from the frame before: rows 16..31 of both stripes
     * come from frame 499, so each stripe mixes two frames and refuses */
    lm_pattern_paint(&a, 500, 600);
    lm_pattern_paint(&b, 499, 567);
    memcpy(a.plane[0] + 16 * 640, b.plane[0] + 16 * 640, 16 * 640);
    memcpy(a.plane[0] + 304 * 640, b.plane[0] + 304 * 640, 16 * 640);
    c = 1, t = 1;
    CHECK_EQ_INT(lm_pattern_read(&a, &c, &t), LM_EPROTO);
    CHECK(c == 1 && t == 1);
    /* only the top one damaged: the bottom one says frame 500 */
    lm_pattern_paint(&a, 500, 600);
    memcpy(a.plane[0] + 16 * 640, b.plane[0] + 16 * 640, 16 * 640);
    CHECK_EQ_INT(lm_pattern_read(&a, &c, &t), 0);
    CHECK(c == 500 && t == 600);

    lm_image_release(&a);
    lm_image_release(&b);
}

static void test_sizes_refused(void)
{
    lm_image im;
    uint32_t c;
    uint64_t t;
    lm_image_alloc(&im, 54, 90); /* under the width */
    CHECK_EQ_INT(lm_pattern_paint(&im, 1, 2), LM_EINVAL);
    CHECK_EQ_INT(lm_pattern_read(&im, &c, &t), LM_EPROTO);
    lm_image_release(&im);
    lm_image_alloc(&im, 56, 40); /* the smallest */
    CHECK_EQ_INT(lm_pattern_paint(&im, 1, 2), 0);
    CHECK_EQ_INT(lm_pattern_read(&im, &c, &t), 0);
    CHECK(c == 1 && t == 2);
    lm_image_release(&im);
    CHECK_EQ_INT(lm_pattern_paint(NULL, 1, 2), LM_EINVAL);
}

int main(void)
{
    RUN(test_every_size_and_quality);
    RUN(test_raw_reads_extremes);
    RUN(test_damage_is_unreadable);
    RUN(test_sizes_refused);
    return check_report();
}
