/* video_send.c - the video service's capture thread (video_impl.h).
 *
 * Each frame: read the camera (a JPEG one is decoded to I420 first),
 * take the table of sizes the net thread wants, scale the frame to each
 * once, cut each into bands (band.h) and hand every band, encoded as a
 * BAND message, to the net thread through the tx ring; then wake it. A
 * source that keeps no time of its own is paced on the clock at its fps,
 * by absolute deadlines, so the rate does not drift with the work. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <turbojpeg.h>

#include "camfmt.h"
#include "clock.h"
#include "err.h"
#include "video_impl.h"

typedef struct capture {
    lm_video *v;
    tjhandle tj;
    lm_image frame;   /* a JPEG camera's frame, decoded */
    uint8_t *i422;    /* 4:2:2 JPEGs decode here first */
    size_t i422_cap;
    lm_image scaled[SIZES_MAX];
    lm_band_enc *enc[SIZES_MAX];
    uint32_t counter;
    bool told;        /* TX_STARTED sent */
} capture;


static void push_tx(lm_video *v, const tx_item *it)
{
    /* full: the net thread is far behind, this band is stale anyway */
    if (!lm_ring_push(v->tx, it))
        atomic_fetch_add(&v->tx_dropped, 1);
}

/* A JPEG into c->frame (I420); 0, or LM_EPROTO for one that does not
 * decode, is not 4:2:0 or 4:2:2, or has a size the wire cannot carry. */
static int decode_jpeg(capture *c, const uint8_t *jpeg, size_t len)
{
    int w, h, sub, cs;
    if (len > (size_t)0x7fffffff ||
        tjDecompressHeader3(c->tj, jpeg, (unsigned long)len, &w, &h, &sub,
                            &cs) < 0 ||
        w <= 0 || h <= 0 || !lm_video_size_ok((unsigned)w, (unsigned)h) ||
        (sub != TJSAMP_420 && sub != TJSAMP_422))
        return LM_EPROTO;
    if (c->frame.w != (unsigned)w || c->frame.h != (unsigned)h) {
        lm_image_release(&c->frame);
        if (lm_image_alloc(&c->frame, (unsigned)w, (unsigned)h) < 0)
            return LM_ENOMEM;
    }
    unsigned cw = lm_image_cw((unsigned)w);
    unsigned char *planes[3] = {c->frame.plane[0], c->frame.plane[1],
                                c->frame.plane[2]};
    int strides[3] = {(int)c->frame.stride[0], (int)c->frame.stride[1],
                      (int)c->frame.stride[2]};
    if (sub == TJSAMP_422) {
        /* Y w x h, then U and V of ceil(w/2) x h each */
        size_t need = (size_t)w * (size_t)h + 2 * (size_t)cw * (size_t)h;
        if (need > c->i422_cap) {
            uint8_t *nb = realloc(c->i422, need);
            if (!nb)
                return LM_ENOMEM;
            c->i422 = nb;
            c->i422_cap = need;
        }
        planes[0] = c->i422;
        planes[1] = c->i422 + (size_t)w * (size_t)h;
        planes[2] = planes[1] + (size_t)cw * (size_t)h;
        strides[0] = w;
        strides[1] = strides[2] = (int)cw;
    }
    if (tjDecompressToYUVPlanes(c->tj, jpeg, (unsigned long)len, planes, w,
                                strides, h, TJFLAG_FASTDCT) < 0)
        return LM_EPROTO;
    if (sub == TJSAMP_422) {
        const uint8_t *const p[3] = {planes[0], planes[1], planes[2]};
        const size_t st[3] = {(size_t)w, cw, cw};
        return lm_camfmt_i422_to_i420(p, st, (unsigned)w, (unsigned)h,
                                      &c->frame);
    }
    return 0;
}

static void fit(unsigned cw, unsigned ch, unsigned bw, unsigned bh,
                uint16_t *w, uint16_t *h)
{
    unsigned ow = cw, oh = ch;
    if (ow > bw || oh > bh) {
        /* scale by the tighter side, in integers: ow/cw = bw/cw or bh/ch */
        if ((unsigned long long)bw * ch <= (unsigned long long)bh * cw) {
            ow = bw;
            oh = (unsigned)((unsigned long long)ch * bw / cw);
        } else {
            oh = bh;
            ow = (unsigned)((unsigned long long)cw * bh / ch);
        }
    }
    ow &= ~1u;
    oh &= ~1u;
    *w = (uint16_t)(ow < LM_VIDEO_W_MIN ? LM_VIDEO_W_MIN : ow);
    *h = (uint16_t)(oh < LM_VIDEO_H_MIN ? LM_VIDEO_H_MIN : oh);
}

void video_fit(unsigned cw, unsigned ch, unsigned bw, unsigned bh,
               uint16_t *w, uint16_t *h)
{
    fit(cw, ch, bw, bh, w, h);
}

/* Frame img at one size: scaled (unless it is the camera's), cut into
 * bands, each out as a BAND message. */
static void send_size(capture *c, unsigned k, const vsize *sz,
                      const lm_image *img, int64_t capture_us)
{
    lm_video *v = c->v;
    const lm_image *src = img;
    if (sz->w != img->w || sz->h != img->h) {
        if (sz->w > img->w || sz->h > img->h)
            return; /* the table is from before a size change */
        lm_image *dst = &c->scaled[k];
        if (dst->w != sz->w || dst->h != sz->h) {
            lm_image_release(dst);
            if (lm_image_alloc(dst, sz->w, sz->h) < 0)
                return;
        }
        if (lm_image_downscale(img, dst) < 0)
            return;
        src = dst;
    }
    if (!c->enc[k] && !(c->enc[k] = lm_band_enc_new()))
        return;
    const lm_band *bands;
    int nb = lm_band_encode(c->enc[k], src, sz->quality, 0, &bands);
    if (nb <= 0)
        return;
    lm_video_msg m = {.type = LM_MSG_VIDEO_BAND};
    lm_video_band_msg *b = &m.u.band;
    b->frame = c->counter;
    b->capture_us = capture_us;
    b->w = (uint16_t)src->w;
    b->h = (uint16_t)src->h;
    b->count = (uint16_t)nb;
    tx_item it = {.kind = TX_BAND, .size = *sz, .frame = c->counter,
                  .capture_us = capture_us};
    for (int i = 0; i < nb; i++) {
        b->index = (uint16_t)i;
        b->x = bands[i].x;
        b->y = bands[i].y;
        b->bw = bands[i].w;
        b->bh = bands[i].h;
        b->quality = bands[i].quality;
        b->flags = bands[i].flags;
        b->len = bands[i].len;
        memcpy(b->jpeg, bands[i].data, bands[i].len);
        int len = lm_video_encode(&m, it.bytes, sizeof it.bytes);
        if (len <= 0)
            continue;
        it.index = (uint16_t)i;
        it.len = (uint16_t)len;
        push_tx(v, &it);
    }
}

/* One frame from the camera out to the net thread. */
static void one_frame(capture *c, const lm_video_frame *f)
{
    lm_video *v = c->v;
    const lm_image *img = &f->img;
    vsize want[SIZES_MAX];
    pthread_mutex_lock(&v->want_lock);
    unsigned n = v->nwant;
    memcpy(want, v->want, sizeof want);
    pthread_mutex_unlock(&v->want_lock);
    if (n == 0 && c->told) { /* nobody watches: no decode, no encode */
        c->counter++;
        atomic_fetch_add(&v->frames, 1);
        return;
    }
    if (f->kind == LM_VFRAME_JPEG) {
        if (decode_jpeg(c, f->jpeg, f->len) < 0) {
            atomic_fetch_add(&v->bad_frames, 1);
            return;
        }
        img = &c->frame;
    } else if (!lm_image_valid(img) || !lm_video_size_ok(img->w, img->h)) {
        atomic_fetch_add(&v->bad_frames, 1);
        return;
    }
    if (!c->told) {
        tx_item it = {.kind = TX_STARTED, .w = (uint16_t)img->w,
                      .h = (uint16_t)img->h,
                      .fps = (uint8_t)v->cfg.camera.fps};
        push_tx(v, &it);
        c->told = true;
    }
    for (unsigned k = 0; k < n; k++)
        send_size(c, k, &want[k], img, f->capture_us);
    c->counter++;
    atomic_fetch_add(&v->frames, 1);
    video_wake_net(v);
}

#define PAUSE_LOOK_US 20000 /* how often a camera that is off looks */

void *video_capture_main(void *arg)
{
    lm_video *v = arg;
    capture c = {.v = v, .tj = tjInitDecompress()};
    lm_video_source *cam = &v->cfg.camera;
    int64_t period = 1000000 / (cam->fps ? cam->fps : 30);
    int64_t next = lm_mono_us();
    while (!atomic_load(&v->stop)) {
        if (atomic_load(&v->cam_paused)) {
            /* off: the room is told once, then nothing is read or sent;
             * on again, the next frame tells it the size anew */
            if (c.told) {
                tx_item it = {.kind = TX_PAUSED};
                push_tx(v, &it);
                video_wake_net(v);
                c.told = false;
            }
            lm_sleep_until_us(lm_mono_us() + PAUSE_LOOK_US);
            next = lm_mono_us();
            continue;
        }
        if (!cam->ops->paced) {
            lm_sleep_until_us(next);
            next += period;
            int64_t now = lm_mono_us();
            if (next < now - period) /* far behind (a stall): start again */
                next = now + period;
        }
        lm_video_frame f;
        int rc = cam->ops->read(cam->dev, &f);
        if (rc < 0) {
            tx_item it = {.kind = TX_STOPPED};
            push_tx(v, &it);
            video_wake_net(v);
            break;
        }
        one_frame(&c, &f);
    }
    if (c.tj)
        tjDestroy(c.tj);
    lm_image_release(&c.frame);
    free(c.i422);
    for (unsigned k = 0; k < SIZES_MAX; k++) {
        lm_image_release(&c.scaled[k]);
        lm_band_enc_free(c.enc[k]);
    }
    return NULL;
}
