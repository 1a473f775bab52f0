/* campattern.c - the test pattern as a camera (camera.h): each frame is
 * painted with its counter and the CLOCK_MONOTONIC time it was made, so
 * a viewer measures delay and loss from the pixels it decoded. The time
 * is taken once the moving picture is painted (pattern.h). */
#include <stdlib.h>
#include <time.h>

#include "camera.h"
#include "err.h"
#include "video/pattern.h"

struct lm_video_dev {
    lm_image img;
    uint32_t counter;
};

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int pattern_read(lm_video_dev *d, lm_video_frame *out)
{
    /* stamped when the picture is ready, as a camera stamps a frame at
     * the end of its readout; only the stripes are painted after */
    int rc = lm_pattern_paint_picture(&d->img, d->counter);
    int64_t now = mono_us();
    if (rc == 0)
        rc = lm_pattern_paint_stripes(&d->img, d->counter, (uint64_t)now);
    d->counter++;
    if (rc < 0)
        return rc;
    out->kind = LM_VFRAME_I420;
    out->img = d->img;
    out->img.mem = NULL; /* a view */
    out->jpeg = NULL;
    out->len = 0;
    out->capture_us = now;
    return 0;
}

static void pattern_close(lm_video_dev *d)
{
    if (!d)
        return;
    lm_image_release(&d->img);
    free(d);
}

static const lm_video_source_ops pattern_ops = {
    .name = "pattern",
    .paced = false,
    .read = pattern_read,
    .close = pattern_close,
};

int lm_campattern_open(unsigned w, unsigned h, unsigned fps,
                       lm_video_source *out)
{
    lm_video_dev *d = calloc(1, sizeof *d);
    if (!d)
        return LM_ENOMEM;
    int rc = lm_image_alloc(&d->img, w, h);
    if (rc < 0) {
        free(d);
        return rc;
    }
    *out = (lm_video_source){.ops = &pattern_ops, .dev = d, .w = w, .h = h,
                             .fps = fps};
    return 0;
}
