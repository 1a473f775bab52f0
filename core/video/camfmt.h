/* camfmt.h - which of a camera's modes to capture in, and turning what it
 * gives into I420. Pure: the V4L2 backend (ui/dev) lists the modes a
 * device reports (VIDIOC_ENUM_FMT, _FRAMESIZES, _FRAMEINTERVALS) into a
 * table and calls this; no device is touched here.
 *
 * The choice, for a wanted size and rate:
 *   1. Only MJPEG and YUYV count, at sizes an lm_image can hold.
 *   2. Modes that reach the wanted size (both sides at least as big) at
 *      the wanted rate or better come first; then modes at the rate but
 *      smaller (the largest of them: a smaller picture beats a slide
 *      show); then the rest (the fastest, then the largest).
 *   3. Among modes that reach it: MJPEG before YUYV (the camera did the
 *      encoding, and MJPEG at the exact size passes through with no
 *      resize), then the wanted aspect ratio before others, then the
 *      nearest size (the smallest area), then the lowest rate that is
 *      still enough, then the order the camera listed them in.
 *
 * Conversions: YUYV (packed 4:2:2, Y0 U Y1 V) and planar 4:2:2 (what
 * TurboJPEG decodes most camera MJPEG to) into I420, chroma of two rows
 * averaged, rounded to nearest. */
#ifndef LM_VIDEO_CAMFMT_H
#define LM_VIDEO_CAMFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "image.h"

typedef enum lm_camfmt_pix {
    LM_CAMFMT_OTHER = 0, /* anything we do not take (H.264, NV12, ...) */
    LM_CAMFMT_MJPEG = 1,
    LM_CAMFMT_YUYV = 2,
} lm_camfmt_pix;

/* One mode a camera offers: a pixel format at a size and rate (frames per
 * second, the interval's rate rounded down). */
typedef struct lm_camfmt {
    lm_camfmt_pix pix;
    unsigned w, h, fps;
} lm_camfmt;

typedef struct lm_camfmt_choice {
    size_t index;      /* into the table */
    lm_camfmt_pix pix;
    unsigned w, h, fps;
    bool passthrough;  /* MJPEG at exactly the wanted size */
    bool reaches;      /* at least the wanted size and rate */
    bool same_aspect;  /* w:h is the wanted ratio */
} lm_camfmt_choice;

/* 0 with *out filled, LM_ENOTFOUND when no mode is usable, LM_EINVAL for
 * a wanted size or rate of 0. */
int lm_camfmt_choose(const lm_camfmt *modes, size_t n, unsigned want_w,
                     unsigned want_h, unsigned want_fps,
                     lm_camfmt_choice *out);

/* YUYV, `stride` bytes a row and `len` bytes in all, w x h (even), into
 * dst of the same size. 0, or LM_EINVAL (odd size, dst of another size,
 * a buffer shorter than the picture). */
int lm_camfmt_yuyv_to_i420(const uint8_t *src, size_t stride, size_t len,
                           unsigned w, unsigned h, lm_image *dst);

/* Planar 4:2:2: Y w x h, U and V ceil(w/2) x h, into dst of the same
 * size (any size). 0 or LM_EINVAL. */
int lm_camfmt_i422_to_i420(const uint8_t *const planes[3],
                           const size_t strides[3], unsigned w, unsigned h,
                           lm_image *dst);

#endif
