/* video_source.h - a camera, whatever is behind it.
 *
 * Backends live in ui/dev/ (the test pattern, an MJPEG file, V4L2) and fill
 * this table of ops; the video service never knows which one it drives. A
 * frame comes either as an I420 picture (the pattern, a YUYV camera) or
 * as one whole JPEG (an MJPEG camera, a file), which the service's capture
 * thread decodes: it never goes out as it is, since a whole frame does not
 * fit one datagram (band.h).
 *
 * `paced` says who keeps time, as for audio (audio_io.h): a camera
 * delivers a frame when it has one (read blocks until then, at most about
 * a second), while the pattern and a file have one at once, so the
 * capture thread paces itself on the clock at `fps`.
 *
 * A source belongs to the video service's capture thread once handed
 * over; it is closed there, once. */
#ifndef LM_VIDEO_SOURCE_H
#define LM_VIDEO_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "image.h"

typedef struct lm_video_dev lm_video_dev; /* each backend's own */

typedef enum lm_video_frame_kind {
    LM_VFRAME_I420 = 1,
    LM_VFRAME_JPEG = 2,
} lm_video_frame_kind;

/* One captured frame, borrowed from the source until its next read. */
typedef struct lm_video_frame {
    lm_video_frame_kind kind;
    lm_image img;        /* I420: a view of the source's picture */
    const uint8_t *jpeg; /* JPEG: its bytes */
    size_t len;
    int64_t capture_us;  /* CLOCK_MONOTONIC when it was taken */
} lm_video_frame;

typedef struct lm_video_source_ops {
    const char *name; /* "pattern", "file", "v4l2" */
    bool paced;
    /* The next frame; 0, or a negative LM_E* code (the camera is gone:
     * the service says so once and turns the camera off). */
    int (*read)(lm_video_dev *d, lm_video_frame *out);
    void (*close)(lm_video_dev *d); /* frees; NULL-safe */
} lm_video_source_ops;

/* A camera: its ops, its state, and the picture it gives (w x h even, or
 * 0 x 0 when only its first frame says: a file; fps 1..LM_VIDEO_FPS_MAX);
 * ops NULL for none. */
typedef struct lm_video_source {
    const lm_video_source_ops *ops;
    lm_video_dev *dev;
    unsigned w, h, fps;
} lm_video_source;

#endif
