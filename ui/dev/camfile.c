/* camfile.c - an MJPEG file (concatenated JPEGs) as a camera (camera.h),
 * looped. The file is read whole at open (at most FILE_MAX bytes) and
 * indexed frame by frame, so a read is a pointer, never a disk wait on
 * the capture thread. Each frame is handed over as it is in the file; the
 * capture thread decodes it, and a frame that does not decode is its
 * problem (counted), not the index's. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "camera.h"
#include "err.h"

#define FILE_MAX (512u << 20)  /* 512 MiB: ~3 minutes of 1080p MJPEG */
#define FRAMES_MAX (1u << 20)

struct lm_video_dev {
    uint8_t *buf;
    size_t *off, *len;
    size_t n, next;
};

/* ---- the index (pure) ---------------------------------------------------- */

/* One JPEG starting at buf[p] (an SOI): its length, 0 when it is cut
 * short or broken before its EOI. */
static size_t jpeg_len(const uint8_t *buf, size_t len, size_t p)
{
    size_t i = p + 2;
    for (;;) {
        if (i >= len || buf[i] != 0xFF)
            return 0;
        while (i < len && buf[i] == 0xFF) /* fill bytes */
            i++;
        if (i >= len)
            return 0;
        uint8_t m = buf[i++];
        if (m == 0xD9)
            return i - p;
        if (m == 0x01 || (m >= 0xD0 && m <= 0xD7))
            continue; /* no length */
        if (m == 0xD8 || m == 0x00)
            return 0;
        if (len - i < 2)
            return 0;
        size_t seg = (size_t)buf[i] << 8 | buf[i + 1];
        if (seg < 2 || seg > len - i)
            return 0;
        i += seg;
        if (m != 0xDA)
            continue;
        /* entropy-coded data up to a marker that is not RSTn or 0xFF00 */
        for (;;) {
            if (i + 1 >= len)
                return 0;
            if (buf[i] == 0xFF && buf[i + 1] != 0x00 &&
                !(buf[i + 1] >= 0xD0 && buf[i + 1] <= 0xD7) &&
                buf[i + 1] != 0xFF)
                break;
            i++;
        }
    }
}

size_t lm_camfile_index(const uint8_t *buf, size_t len, size_t *off,
                        size_t *flen, size_t max)
{
    size_t n = 0, p = 0;
    while (n < max && len >= 4 && p <= len - 4) {
        if (!(buf[p] == 0xFF && buf[p + 1] == 0xD8 && buf[p + 2] == 0xFF)) {
            p++;
            continue;
        }
        size_t k = jpeg_len(buf, len, p);
        if (k == 0) {
            p++; /* not a whole JPEG here: look further */
            continue;
        }
        off[n] = p;
        flen[n] = k;
        n++;
        p += k;
    }
    return n;
}

/* ---- the source ---------------------------------------------------------- */

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int file_read(lm_video_dev *d, lm_video_frame *out)
{
    size_t i = d->next;
    d->next = (d->next + 1) % d->n;
    out->kind = LM_VFRAME_JPEG;
    memset(&out->img, 0, sizeof out->img);
    out->jpeg = d->buf + d->off[i];
    out->len = d->len[i];
    out->capture_us = mono_us();
    return 0;
}

static void file_close(lm_video_dev *d)
{
    if (!d)
        return;
    free(d->buf);
    free(d->off);
    free(d->len);
    free(d);
}

static const lm_video_source_ops file_ops = {
    .name = "file",
    .paced = false,
    .read = file_read,
    .close = file_close,
};

/* The whole file, at most FILE_MAX bytes. */
static int slurp(const char *path, uint8_t **buf, size_t *len, char *why,
                 size_t cap)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(why, cap, "cannot open %.200s: %s", path, strerror(errno));
        return LM_EIO;
    }
    size_t have = 0, room = 1 << 20;
    uint8_t *b = malloc(room);
    int rc = b ? 0 : LM_ENOMEM;
    while (rc == 0) {
        if (have == room) {
            if (room >= FILE_MAX) {
                snprintf(why, cap, "%.200s is over %u MiB", path,
                         FILE_MAX >> 20);
                rc = LM_ETOOBIG;
                break;
            }
            uint8_t *nb = realloc(b, room * 2);
            if (!nb) {
                rc = LM_ENOMEM;
                break;
            }
            b = nb;
            room *= 2;
        }
        size_t r = fread(b + have, 1, room - have, f);
        have += r;
        if (r == 0) {
            if (ferror(f)) {
                snprintf(why, cap, "cannot read %.200s", path);
                rc = LM_EIO;
            }
            break;
        }
    }
    fclose(f);
    if (rc < 0) {
        free(b);
        if (rc == LM_ENOMEM)
            snprintf(why, cap, "not enough memory for %.200s", path);
        return rc;
    }
    *buf = b;
    *len = have;
    return 0;
}

int lm_camfile_open(const char *path, unsigned fps, lm_video_source *out,
                    char *why, size_t cap)
{
    lm_video_dev *d = calloc(1, sizeof *d);
    if (!d)
        return LM_ENOMEM;
    size_t len = 0;
    int rc = slurp(path, &d->buf, &len, why, cap);
    if (rc < 0) {
        free(d);
        return rc;
    }
    /* a JPEG is at least ~100 bytes: no more frames than that allows */
    size_t max = len / 64 + 1;
    if (max > FRAMES_MAX)
        max = FRAMES_MAX;
    d->off = malloc(max * sizeof *d->off);
    d->len = malloc(max * sizeof *d->len);
    if (!d->off || !d->len) {
        file_close(d);
        snprintf(why, cap, "not enough memory for %.200s", path);
        return LM_ENOMEM;
    }
    d->n = lm_camfile_index(d->buf, len, d->off, d->len, max);
    if (d->n == 0) {
        file_close(d);
        snprintf(why, cap, "%.200s holds no JPEG frame", path);
        return LM_EPROTO;
    }
    /* the size is the service's to learn from the first frame's header */
    *out = (lm_video_source){.ops = &file_ops, .dev = d, .w = 0, .h = 0,
                             .fps = fps};
    return 0;
}
