/* test_video_camfmt.c - tests for core/video/camfmt.c.
 *
 * The mode choice as tables of what real cameras report (a typical UVC
 * webcam, one with YUYV only, one whose YUYV is slow at large sizes, one
 * with nothing we take), and the conversions into I420 with values worked
 * out by hand, odd heights, short buffers and wrong sizes. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "err.h"
#include "video/camfmt.h"

#define MJ LM_CAMFMT_MJPEG
#define YU LM_CAMFMT_YUYV
#define OT LM_CAMFMT_OTHER

/* A common UVC webcam: MJPEG at 30 fps everywhere, YUYV slow above VGA. */
static const lm_camfmt webcam[] = {
    {YU, 640, 480, 30},  {YU, 640, 360, 30},  {YU, 1280, 720, 10},
    {YU, 1920, 1080, 5}, {MJ, 640, 480, 30},  {MJ, 1280, 720, 30},
    {MJ, 1920, 1080, 30}, {MJ, 320, 180, 30}, {MJ, 640, 360, 30},
    {OT, 640, 360, 60},
};
/* YUYV only, 4:3 sizes. */
static const lm_camfmt yuyv_only[] = {
    {YU, 1280, 960, 15}, {YU, 320, 240, 30}, {YU, 800, 600, 30},
    {YU, 640, 480, 30},
};
/* Nothing we take, and sizes we cannot hold. */
static const lm_camfmt useless[] = {
    {OT, 640, 360, 30}, {MJ, 3840, 2160, 30}, {YU, 641, 360, 30},
    {MJ, 640, 360, 0},
};
/* Small and slow. */
static const lm_camfmt small[] = {
    {YU, 320, 240, 30}, {MJ, 352, 288, 15}, {YU, 176, 144, 30},
};

static void test_choose_table(void)
{
    static const struct {
        const char *what;
        const lm_camfmt *modes;
        size_t n;
        unsigned w, h, fps;
        int rc;
        size_t index;
        bool passthrough, reaches, same_aspect;
    } rows[] = {
        {"exact MJPEG passes through", webcam, 10, 640, 360, 30, 0, 8, true,
         true, true},
        {"a tile size: MJPEG exact", webcam, 10, 320, 180, 30, 0, 7, true,
         true, true},
        {"720p: MJPEG, not the slow YUYV", webcam, 10, 1280, 720, 30, 0, 5,
         true, true, true},
        {"720p at 10 fps: MJPEG still first", webcam, 10, 1280, 720, 10, 0, 5,
         true, true, true},
        {"between sizes: nearest above, same aspect", webcam, 10, 960, 540,
         30, 0, 5, false, true, true},
        {"4:3 wanted: 640x480 MJPEG", webcam, 10, 640, 480, 30, 0, 4, true,
         true, true},
        {"160x90: the smallest above", webcam, 10, 160, 90, 30, 0, 7, false,
         true, true},
        {"1080p at 60: none that fast, the fastest", webcam, 10, 1920, 1080,
         60, 0, 6, true, false, true},
        {"YUYV only, 16:9 wanted: nearest 4:3 above", yuyv_only, 4, 640, 360,
         30, 0, 3, false, true, false},
        {"YUYV only, big: 1280x960 is too slow, the largest fast", yuyv_only,
         4, 1280, 720, 30, 0, 2, false, false, false},
        {"YUYV only, big and slow is fine", yuyv_only, 4, 1280, 720, 15, 0, 0,
         false, true, false},
        {"nothing we take", useless, 4, 640, 360, 30, LM_ENOTFOUND, 0, false,
         false, false},
        {"an empty table", webcam, 0, 640, 360, 30, LM_ENOTFOUND, 0, false,
         false, false},
        {"all too small: the largest at rate", small, 3, 640, 360, 30, 0, 0,
         false, false, false},
        {"all too small at 15: the largest", small, 3, 640, 360, 15, 0, 1,
         false, false, false},
        {"a wanted size of 0", webcam, 10, 0, 360, 30, LM_EINVAL, 0, false,
         false, false},
        {"a wanted rate of 0", webcam, 10, 640, 360, 0, LM_EINVAL, 0, false,
         false, false},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        lm_camfmt_choice c;
        memset(&c, 0, sizeof c);
        int rc = lm_camfmt_choose(rows[i].modes, rows[i].n, rows[i].w,
                                  rows[i].h, rows[i].fps, &c);
        bool ok = rc == rows[i].rc;
        if (ok && rc == 0)
            ok = c.index == rows[i].index &&
                 c.passthrough == rows[i].passthrough &&
                 c.reaches == rows[i].reaches &&
                 c.same_aspect == rows[i].same_aspect &&
                 c.w == rows[i].modes[c.index].w &&
                 c.pix == rows[i].modes[c.index].pix;
        if (!ok)
            fprintf(stderr, "row '%s': rc %d index %zu pass %d reach %d "
                            "aspect %d\n",
                    rows[i].what, rc, c.index, c.passthrough, c.reaches,
                    c.same_aspect);
        CHECK(ok);
    }
}

static void test_yuyv(void)
{
    /* 4x2: Y 10 20 30 40 / 50 60 70 80; U 100, 200 over 101, 0; V ... */
    static const uint8_t src[] = {
        10, 100, 20, 7,   30, 200, 40, 255, 0xee, 0xee, /* 2 bytes pad */
        50, 101, 60, 8,   70, 0,   80, 254, 0xee, 0xee,
    };
    lm_image d;
    lm_image_alloc(&d, 4, 2);
    CHECK_EQ_INT(lm_camfmt_yuyv_to_i420(src, 10, sizeof src, 4, 2, &d), 0);
    static const uint8_t y[] = {10, 20, 30, 40, 50, 60, 70, 80};
    CHECK(memcmp(d.plane[0], y, 4) == 0 && memcmp(d.plane[0] + 4, y + 4, 4) == 0);
    CHECK(d.plane[1][0] == 101 && d.plane[1][1] == 100); /* 100.5 up, 100 */
    CHECK(d.plane[2][0] == 8 && d.plane[2][1] == 255);   /* 7.5 up, 254.5 */
    /* a buffer one byte short, a stride under the row, odd sizes */
    CHECK_EQ_INT(lm_camfmt_yuyv_to_i420(src, 10, 17, 4, 2, &d), LM_EINVAL);
    CHECK_EQ_INT(lm_camfmt_yuyv_to_i420(src, 10, 18, 4, 2, &d), 0); /* exact */
    CHECK_EQ_INT(lm_camfmt_yuyv_to_i420(src, 6, sizeof src, 4, 2, &d),
                 LM_EINVAL);
    CHECK_EQ_INT(lm_camfmt_yuyv_to_i420(src, 10, sizeof src, 3, 2, &d),
                 LM_EINVAL);
    CHECK_EQ_INT(lm_camfmt_yuyv_to_i420(NULL, 10, sizeof src, 4, 2, &d),
                 LM_EINVAL);
    lm_image_release(&d);
    lm_image_alloc(&d, 4, 4); /* dst of another size */
    CHECK_EQ_INT(lm_camfmt_yuyv_to_i420(src, 10, sizeof src, 4, 2, &d),
                 LM_EINVAL);
    lm_image_release(&d);
}

static void test_i422(void)
{
    /* 3x3: chroma 2 wide and 3 high; the odd last row stands alone */
    static const uint8_t y[] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    static const uint8_t u[] = {0, 255, 1, 254, 9, 9};
    static const uint8_t v[] = {10, 20, 30, 40, 77, 78};
    const uint8_t *planes[3] = {y, u, v};
    const size_t strides[3] = {3, 2, 2};
    lm_image d;
    lm_image_alloc(&d, 3, 3);
    CHECK_EQ_INT(lm_camfmt_i422_to_i420(planes, strides, 3, 3, &d), 0);
    CHECK(memcmp(d.plane[0], y, 9) == 0);
    static const uint8_t wu[] = {1, 255, 9, 9}, wv[] = {20, 30, 77, 78};
    CHECK(memcmp(d.plane[1], wu, 4) == 0); /* 0.5 up, 254.5 up */
    CHECK(memcmp(d.plane[2], wv, 4) == 0);
    const size_t narrow[3] = {3, 1, 2};
    CHECK_EQ_INT(lm_camfmt_i422_to_i420(planes, narrow, 3, 3, &d), LM_EINVAL);
    CHECK_EQ_INT(lm_camfmt_i422_to_i420(planes, strides, 3, 2, &d), LM_EINVAL);
    lm_image_release(&d);
}

int main(void)
{
    RUN(test_choose_table);
    RUN(test_yuyv);
    RUN(test_i422);
    return check_report();
}
