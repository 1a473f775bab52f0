/* camfmt.c - a camera mode to capture in, and 4:2:2 into I420
 * (camfmt.h). */
#include "camfmt.h"

#include <string.h>

#include "err.h"

static bool usable(const lm_camfmt *m)
{
    return (m->pix == LM_CAMFMT_MJPEG || m->pix == LM_CAMFMT_YUYV) &&
           m->w >= 2 && m->h >= 2 && !(m->w & 1) && !(m->h & 1) &&
           m->w <= LM_IMAGE_MAX_W && m->h <= LM_IMAGE_MAX_H && m->fps > 0;
}

/* What the rules of camfmt.h compare, most important first: smaller is
 * better. */
typedef struct rank {
    unsigned tier;
    unsigned long long k[4];
} rank;

static rank rank_of(const lm_camfmt *m, unsigned ww, unsigned wh,
                    unsigned wf)
{
    rank r = {0};
    bool fits = m->w >= ww && m->h >= wh, fast = m->fps >= wf;
    unsigned long long area = (unsigned long long)m->w * m->h;
    if (fits && fast) {
        r.tier = 0;
        r.k[0] = m->pix == LM_CAMFMT_MJPEG ? 0 : 1;
        r.k[1] = (unsigned long long)m->w * wh == (unsigned long long)m->h * ww
                     ? 0
                     : 1;
        r.k[2] = area;
        r.k[3] = m->fps;
    } else if (fast) {
        r.tier = 1;
        r.k[0] = ~area; /* the largest */
        r.k[1] = m->pix == LM_CAMFMT_MJPEG ? 0 : 1;
        r.k[2] = m->fps;
    } else {
        r.tier = 2;
        r.k[0] = ~(unsigned long long)m->fps; /* the fastest */
        r.k[1] = ~area;
        r.k[2] = m->pix == LM_CAMFMT_MJPEG ? 0 : 1;
    }
    return r;
}

static bool better(const rank *a, const rank *b)
{
    if (a->tier != b->tier)
        return a->tier < b->tier;
    for (int i = 0; i < 4; i++)
        if (a->k[i] != b->k[i])
            return a->k[i] < b->k[i];
    return false; /* a tie keeps the earlier mode */
}

int lm_camfmt_choose(const lm_camfmt *modes, size_t n, unsigned want_w,
                     unsigned want_h, unsigned want_fps,
                     lm_camfmt_choice *out)
{
    if (!want_w || !want_h || !want_fps || !out || (n && !modes))
        return LM_EINVAL;
    size_t best = n;
    rank br = {0};
    for (size_t i = 0; i < n; i++) {
        if (!usable(&modes[i]))
            continue;
        rank r = rank_of(&modes[i], want_w, want_h, want_fps);
        if (best == n || better(&r, &br)) {
            best = i;
            br = r;
        }
    }
    if (best == n)
        return LM_ENOTFOUND;
    const lm_camfmt *m = &modes[best];
    *out = (lm_camfmt_choice){
        .index = best, .pix = m->pix, .w = m->w, .h = m->h, .fps = m->fps,
        .passthrough = m->pix == LM_CAMFMT_MJPEG && m->w == want_w &&
                       m->h == want_h,
        .reaches = br.tier == 0,
        .same_aspect = (unsigned long long)m->w * want_h ==
                       (unsigned long long)m->h * want_w,
    };
    return 0;
}

int lm_camfmt_yuyv_to_i420(const uint8_t *src, size_t stride, size_t len,
                           unsigned w, unsigned h, lm_image *dst)
{
    if (!src || !lm_image_valid(dst) || dst->w != w || dst->h != h ||
        (w & 1) || (h & 1) || stride < 2 * (size_t)w ||
        len < stride * (h - 1) + 2 * (size_t)w)
        return LM_EINVAL;
    for (unsigned y = 0; y < h; y += 2) {
        const uint8_t *a = src + y * stride, *b = a + stride;
        uint8_t *ya = dst->plane[0] + y * dst->stride[0];
        uint8_t *yb = ya + dst->stride[0];
        uint8_t *u = dst->plane[1] + (y / 2) * dst->stride[1];
        uint8_t *v = dst->plane[2] + (y / 2) * dst->stride[2];
        for (unsigned x = 0; x < w / 2; x++) {
            const uint8_t *pa = a + 4 * x, *pb = b + 4 * x;
            ya[2 * x] = pa[0];
            ya[2 * x + 1] = pa[2];
            yb[2 * x] = pb[0];
            yb[2 * x + 1] = pb[2];
            u[x] = (uint8_t)((pa[1] + pb[1] + 1) / 2);
            v[x] = (uint8_t)((pa[3] + pb[3] + 1) / 2);
        }
    }
    return 0;
}

int lm_camfmt_i422_to_i420(const uint8_t *const planes[3],
                           const size_t strides[3], unsigned w, unsigned h,
                           lm_image *dst)
{
    if (!planes || !strides || !lm_image_valid(dst) || dst->w != w ||
        dst->h != h || !planes[0] || !planes[1] || !planes[2] ||
        strides[0] < w || strides[1] < lm_image_cw(w) ||
        strides[2] < lm_image_cw(w))
        return LM_EINVAL;
    for (unsigned y = 0; y < h; y++)
        memcpy(dst->plane[0] + y * dst->stride[0], planes[0] + y * strides[0],
               w);
    unsigned cw = lm_image_cw(w);
    for (int p = 1; p < 3; p++)
        for (unsigned y = 0; y < lm_image_ch(h); y++) {
            const uint8_t *a = planes[p] + 2 * y * strides[p];
            const uint8_t *b = 2 * y + 1 < h ? a + strides[p] : a;
            uint8_t *d = dst->plane[p] + y * dst->stride[p];
            for (unsigned x = 0; x < cw; x++)
                d[x] = (uint8_t)((a[x] + b[x] + 1) / 2);
        }
    return 0;
}
