/* v4l2.c - a V4L2 camera (camera.h), kept small on purpose: no camera
 * exists on the machines this is built and tested on, so only the format
 * choice (camfmt.h, pure and tested) is known to work; the device path
 * itself is untested here.
 *
 * It lists the modes the device reports (ENUM_FMT, ENUM_FRAMESIZES,
 * ENUM_FRAMEINTERVALS; discrete sizes only), lets lm_camfmt_choose pick
 * one for 640x360 at 30 fps, and streams through four mmap'ed buffers.
 * MJPEG frames are handed over as JPEG, YUYV ones converted to I420. */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/videodev2.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "camera.h"
#include "err.h"
#include "video/camfmt.h"

#define NBUF 4
#define MODES_MAX 256
#define READ_WAIT_MS 2000 /* a camera that gives nothing this long is gone */

struct lm_video_dev {
    int fd;
    lm_camfmt_pix pix;
    unsigned w, h;
    void *map[NBUF];
    size_t maplen[NBUF];
    unsigned nbuf;
    int held; /* the buffer the last frame borrows, -1 none */
    uint8_t *jpeg;
    size_t jpeg_cap;
    lm_image img;
};

static int xioctl(int fd, unsigned long req, void *arg)
{
    int r;
    do
        r = ioctl(fd, req, arg);
    while (r < 0 && errno == EINTR);
    return r;
}

static lm_camfmt_pix pix_of(uint32_t fourcc)
{
    if (fourcc == V4L2_PIX_FMT_MJPEG || fourcc == V4L2_PIX_FMT_JPEG)
        return LM_CAMFMT_MJPEG;
    if (fourcc == V4L2_PIX_FMT_YUYV)
        return LM_CAMFMT_YUYV;
    return LM_CAMFMT_OTHER;
}

/* The device's discrete modes into m (at most MODES_MAX), with their
 * fourcc in cc. */
static size_t list_modes(int fd, lm_camfmt *m, uint32_t *cc)
{
    size_t n = 0;
    struct v4l2_fmtdesc fd_ = {.type = V4L2_BUF_TYPE_VIDEO_CAPTURE};
    for (; xioctl(fd, VIDIOC_ENUM_FMT, &fd_) == 0; fd_.index++) {
        struct v4l2_frmsizeenum fs = {.pixel_format = fd_.pixelformat};
        for (; xioctl(fd, VIDIOC_ENUM_FRAMESIZES, &fs) == 0; fs.index++) {
            if (fs.type != V4L2_FRMSIZE_TYPE_DISCRETE)
                break;
            struct v4l2_frmivalenum fi = {.pixel_format = fd_.pixelformat,
                                          .width = fs.discrete.width,
                                          .height = fs.discrete.height};
            for (; xioctl(fd, VIDIOC_ENUM_FRAMEINTERVALS, &fi) == 0;
                 fi.index++) {
                if (fi.type != V4L2_FRMIVAL_TYPE_DISCRETE || n == MODES_MAX)
                    break;
                if (fi.discrete.numerator == 0)
                    continue;
                m[n] = (lm_camfmt){pix_of(fd_.pixelformat),
                                   fs.discrete.width, fs.discrete.height,
                                   fi.discrete.denominator /
                                       fi.discrete.numerator};
                cc[n++] = fd_.pixelformat;
            }
        }
    }
    return n;
}

static int v4l2_read(lm_video_dev *d, lm_video_frame *out)
{
    if (d->held >= 0) {
        struct v4l2_buffer q = {.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
                                .memory = V4L2_MEMORY_MMAP,
                                .index = (unsigned)d->held};
        d->held = -1;
        if (xioctl(d->fd, VIDIOC_QBUF, &q) < 0)
            return LM_EIO;
    }
    struct pollfd p = {.fd = d->fd, .events = POLLIN};
    if (poll(&p, 1, READ_WAIT_MS) <= 0)
        return LM_EIO;
    struct v4l2_buffer b = {.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
                            .memory = V4L2_MEMORY_MMAP};
    if (xioctl(d->fd, VIDIOC_DQBUF, &b) < 0 || b.index >= d->nbuf ||
        b.bytesused > d->maplen[b.index])
        return LM_EIO;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    out->capture_us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
    const uint8_t *src = d->map[b.index];
    int rc = 0;
    if (d->pix == LM_CAMFMT_MJPEG) {
        /* copied: the buffer goes back to the driver at once */
        if (b.bytesused > d->jpeg_cap) {
            uint8_t *nb = realloc(d->jpeg, b.bytesused);
            if (!nb)
                rc = LM_ENOMEM;
            else {
                d->jpeg = nb;
                d->jpeg_cap = b.bytesused;
            }
        }
        if (rc == 0) {
            memcpy(d->jpeg, src, b.bytesused);
            out->kind = LM_VFRAME_JPEG;
            out->jpeg = d->jpeg;
            out->len = b.bytesused;
        }
    } else {
        rc = lm_camfmt_yuyv_to_i420(src, (size_t)d->w * 2, b.bytesused,
                                    d->w, d->h, &d->img);
        out->kind = LM_VFRAME_I420;
        out->img = d->img;
        out->img.mem = NULL;
    }
    d->held = (int)b.index;
    return rc;
}

static void v4l2_close(lm_video_dev *d)
{
    if (!d)
        return;
    if (d->fd >= 0) {
        int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
        xioctl(d->fd, VIDIOC_STREAMOFF, &type);
    }
    for (unsigned i = 0; i < d->nbuf; i++)
        if (d->map[i] && d->map[i] != MAP_FAILED)
            munmap(d->map[i], d->maplen[i]);
    if (d->fd >= 0)
        close(d->fd);
    free(d->jpeg);
    lm_image_release(&d->img);
    free(d);
}

static const lm_video_source_ops v4l2_ops = {
    .name = "v4l2",
    .paced = true,
    .read = v4l2_read,
    .close = v4l2_close,
};

/* Sets the chosen mode and starts streaming; 0 or LM_EIO with why. */
static int start(lm_video_dev *d, uint32_t fourcc, unsigned fps, char *why,
                 size_t cap)
{
    struct v4l2_format f = {.type = V4L2_BUF_TYPE_VIDEO_CAPTURE};
    f.fmt.pix.width = d->w;
    f.fmt.pix.height = d->h;
    f.fmt.pix.pixelformat = fourcc;
    f.fmt.pix.field = V4L2_FIELD_NONE;
    if (xioctl(d->fd, VIDIOC_S_FMT, &f) < 0 || f.fmt.pix.width != d->w ||
        f.fmt.pix.height != d->h) {
        snprintf(why, cap, "the camera refused the mode it offered");
        return LM_EIO;
    }
    struct v4l2_streamparm sp = {.type = V4L2_BUF_TYPE_VIDEO_CAPTURE};
    sp.parm.capture.timeperframe.numerator = 1;
    sp.parm.capture.timeperframe.denominator = fps;
    (void)xioctl(d->fd, VIDIOC_S_PARM, &sp); /* a hint; some refuse it */
    struct v4l2_requestbuffers rb = {.count = NBUF,
                                     .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
                                     .memory = V4L2_MEMORY_MMAP};
    if (xioctl(d->fd, VIDIOC_REQBUFS, &rb) < 0 || rb.count < 2) {
        snprintf(why, cap, "the camera gives no capture buffers");
        return LM_EIO;
    }
    d->nbuf = rb.count < NBUF ? rb.count : NBUF;
    for (unsigned i = 0; i < d->nbuf; i++) {
        struct v4l2_buffer b = {.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
                                .memory = V4L2_MEMORY_MMAP, .index = i};
        if (xioctl(d->fd, VIDIOC_QUERYBUF, &b) < 0)
            return LM_EIO;
        d->maplen[i] = b.length;
        d->map[i] = mmap(NULL, b.length, PROT_READ | PROT_WRITE, MAP_SHARED,
                         d->fd, b.m.offset);
        if (d->map[i] == MAP_FAILED || xioctl(d->fd, VIDIOC_QBUF, &b) < 0) {
            snprintf(why, cap, "cannot map the camera's buffers");
            return LM_EIO;
        }
    }
    int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    if (xioctl(d->fd, VIDIOC_STREAMON, &type) < 0) {
        snprintf(why, cap, "the camera does not start: %s", strerror(errno));
        return LM_EIO;
    }
    return 0;
}

int lm_v4l2_open(const char *path, lm_video_source *out, char *why,
                 size_t cap)
{
    lm_video_dev *d = calloc(1, sizeof *d);
    if (!d)
        return LM_ENOMEM;
    d->held = -1;
    d->fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (d->fd < 0) {
        snprintf(why, cap, "cannot open %.200s: %s", path, strerror(errno));
        free(d);
        return LM_EIO;
    }
    lm_camfmt *modes = malloc(MODES_MAX * sizeof *modes);
    uint32_t *cc = malloc(MODES_MAX * sizeof *cc);
    lm_camfmt_choice ch;
    int rc = modes && cc ? 0 : LM_ENOMEM;
    if (rc == 0 &&
        lm_camfmt_choose(modes, list_modes(d->fd, modes, cc), LM_CAMERA_W,
                         LM_CAMERA_H, LM_CAMERA_FPS, &ch) < 0) {
        snprintf(why, cap, "%.200s offers no MJPEG or YUYV mode", path);
        rc = LM_ENOTFOUND;
    }
    uint32_t fourcc = rc == 0 ? cc[ch.index] : 0;
    free(modes);
    free(cc);
    if (rc < 0) {
        v4l2_close(d);
        return rc;
    }
    d->pix = ch.pix;
    d->w = ch.w;
    d->h = ch.h;
    if (ch.pix == LM_CAMFMT_YUYV)
        rc = lm_image_alloc(&d->img, ch.w, ch.h);
    if (rc == 0)
        rc = start(d, fourcc, ch.fps, why, cap);
    if (rc < 0) {
        v4l2_close(d);
        return rc;
    }
    *out = (lm_video_source){.ops = &v4l2_ops, .dev = d, .w = ch.w,
                             .h = ch.h, .fps = ch.fps};
    return 0;
}

int lm_v4l2_list(FILE *f)
{
    int found = 0;
    for (int i = 0; i < 64; i++) {
        char path[32];
        snprintf(path, sizeof path, "/dev/video%d", i);
        int fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
            continue;
        struct v4l2_capability c;
        memset(&c, 0, sizeof c);
        if (xioctl(fd, VIDIOC_QUERYCAP, &c) == 0 &&
            ((c.device_caps ? c.device_caps : c.capabilities) &
             V4L2_CAP_VIDEO_CAPTURE)) {
            fprintf(f, "  %s  %.32s\n", path, (const char *)c.card);
            found++;
        }
        close(fd);
    }
    return found;
}
