/* video_rec.c - recording what this node receives (--record DIR): one
 * MJPEG file per sender (concatenated JPEGs, DIR/ID.mjpeg, what the
 * `--camera-file` source plays) and beside it DIR/ID.index, one line per
 * frame: "FRAME RECEIVE_US OFFSET LENGTH" (the sender's frame number, this
 * node's CLOCK_MONOTONIC when it was shown, where its JPEG starts in the
 * MJPEG file and its bytes), so a recording can be checked against its
 * source. A frame is the picture as shown, healed bands included, coded
 * again whole at REC_QUALITY. Both files are flushed after every frame,
 * so a node that is killed leaves them whole up to its last frame.
 *
 * Decode thread only (video_recv.c): disk waits never reach the net
 * thread. A recording that fails to write stops, quietly: the call goes
 * on. */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <turbojpeg.h>

#include "video_impl.h"

#define REC_QUALITY 95 /* near-lossless: the recording is for checking */

typedef struct rec {
    FILE *mjpeg, *index;
    tjhandle tj;
    uint64_t offset;
    bool failed;
} rec;

void *video_rec_open(const char *dir, uint64_t id)
{
    char idstr[LM_ID_STR], path[4200];
    lm_id_format(id, idstr);
    rec *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    snprintf(path, sizeof path, "%s/%s.mjpeg", dir, idstr);
    r->mjpeg = fopen(path, "wb");
    snprintf(path, sizeof path, "%s/%s.index", dir, idstr);
    r->index = fopen(path, "w");
    r->tj = tjInitCompress();
    if (!r->mjpeg || !r->index || !r->tj) {
        video_rec_close(r);
        return NULL;
    }
    return r;
}

void video_rec_frame(void *p, const lm_image *img, uint32_t frame,
                     int64_t now_us)
{
    rec *r = p;
    if (!r || r->failed || !lm_image_valid(img))
        return;
    const unsigned char *planes[3] = {img->plane[0], img->plane[1],
                                      img->plane[2]};
    int strides[3] = {(int)img->stride[0], (int)img->stride[1],
                      (int)img->stride[2]};
    unsigned char *jpeg = NULL;
    unsigned long len = 0;
    if (tjCompressFromYUVPlanes(r->tj, planes, (int)img->w, strides,
                                (int)img->h, TJSAMP_420, &jpeg, &len,
                                REC_QUALITY, TJFLAG_FASTDCT) < 0) {
        tjFree(jpeg);
        return; /* this frame only */
    }
    if (fwrite(jpeg, 1, len, r->mjpeg) != len ||
        fprintf(r->index, "%" PRIu32 " %" PRId64 " %" PRIu64 " %lu\n", frame,
                now_us, r->offset, len) < 0 ||
        fflush(r->mjpeg) != 0 || fflush(r->index) != 0)
        r->failed = true;
    r->offset += len;
    tjFree(jpeg);
}

void video_rec_close(void *p)
{
    rec *r = p;
    if (!r)
        return;
    if (r->mjpeg)
        fclose(r->mjpeg);
    if (r->index)
        fclose(r->index);
    if (r->tj)
        tjDestroy(r->tj);
    free(r);
}
