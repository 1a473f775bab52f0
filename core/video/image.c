/* image.c - I420 pictures and their area-averaging downscale (image.h). */
#include "image.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"

static bool size_ok(unsigned w, unsigned h)
{
    return w >= 1 && h >= 1 && w <= LM_IMAGE_MAX_W && h <= LM_IMAGE_MAX_H;
}

int lm_image_alloc(lm_image *im, unsigned w, unsigned h)
{
    if (!im)
        return LM_EINVAL;
    memset(im, 0, sizeof *im);
    if (!size_ok(w, h))
        return LM_EINVAL;
    size_t ys = (size_t)w * h;
    size_t cs = (size_t)lm_image_cw(w) * lm_image_ch(h);
    uint8_t *mem = malloc(ys + 2 * cs);
    if (!mem)
        return LM_ENOMEM;
    im->w = w;
    im->h = h;
    im->stride[0] = w;
    im->stride[1] = im->stride[2] = lm_image_cw(w);
    im->plane[0] = mem;
    im->plane[1] = mem + ys;
    im->plane[2] = mem + ys + cs;
    im->mem = mem;
    lm_image_fill(im, 0, 128, 128);
    return 0;
}

void lm_image_release(lm_image *im)
{
    if (!im)
        return;
    free(im->mem);
    memset(im, 0, sizeof *im);
}

bool lm_image_valid(const lm_image *im)
{
    if (!im || !size_ok(im->w, im->h))
        return false;
    for (int p = 0; p < 3; p++) {
        unsigned pw = p ? lm_image_cw(im->w) : im->w;
        if (!im->plane[p] || im->stride[p] < pw)
            return false;
    }
    return true;
}

static void plane_size(const lm_image *im, int p, unsigned *pw, unsigned *ph)
{
    *pw = p ? lm_image_cw(im->w) : im->w;
    *ph = p ? lm_image_ch(im->h) : im->h;
}

void lm_image_fill(lm_image *im, uint8_t y, uint8_t u, uint8_t v)
{
    if (!lm_image_valid(im))
        return;
    const uint8_t val[3] = {y, u, v};
    for (int p = 0; p < 3; p++) {
        unsigned pw, ph;
        plane_size(im, p, &pw, &ph);
        for (unsigned r = 0; r < ph; r++)
            memset(im->plane[p] + r * im->stride[p], val[p], pw);
    }
}

int lm_image_copy(lm_image *dst, const lm_image *src)
{
    if (!lm_image_valid(dst) || !lm_image_valid(src) || dst->w != src->w ||
        dst->h != src->h)
        return LM_EINVAL;
    for (int p = 0; p < 3; p++) {
        unsigned pw, ph;
        plane_size(src, p, &pw, &ph);
        for (unsigned r = 0; r < ph; r++)
            memmove(dst->plane[p] + r * dst->stride[p],
                    src->plane[p] + r * src->stride[p], pw);
    }
    return 0;
}

/* One plane, sw x sh into dw x dh (dw <= sw, dh <= sh). Source pixel i
 * spans [i*dw, (i+1)*dw) and output pixel o spans [o*sw, (o+1)*sw) on a
 * common axis, so every overlap is a whole number and one output pixel's
 * weights sum to sw (sh vertically). Shrinking, a source pixel straddles
 * at most one output boundary: it feeds one output pixel, or two. */
static void scale_plane(const uint8_t *src, size_t sstride, unsigned sw,
                        unsigned sh, uint8_t *dst, size_t dstride,
                        unsigned dw, unsigned dh)
{
    uint32_t hrow[LM_IMAGE_MAX_W]; /* one source row, reduced to dw */
    uint32_t acc[LM_IMAGE_MAX_W];  /* the output row being summed */
    const uint32_t total = sw * sh, half = total / 2;
    memset(acc, 0, dw * sizeof acc[0]);
    unsigned oy = 0;
    uint32_t by = sh; /* end of output row oy on the common axis */
    for (unsigned j = 0; j < sh; j++) {
        const uint8_t *s = src + j * sstride;
        memset(hrow, 0, dw * sizeof hrow[0]);
        unsigned o = 0;
        uint32_t bx = sw, pos = 0;
        for (unsigned i = 0; i < sw; i++, pos += dw) {
            uint32_t end = pos + dw, p = s[i];
            if (end <= bx) {
                hrow[o] += p * dw;
                if (end == bx) {
                    o++;
                    bx += sw;
                }
            } else {
                uint32_t w1 = bx - pos;
                hrow[o] += p * w1;
                hrow[++o] += p * (dw - w1);
                bx += sw;
            }
        }
        uint32_t posy = j * dh, endy = posy + dh;
        uint32_t w1 = endy <= by ? dh : by - posy;
        for (unsigned x = 0; x < dw; x++)
            acc[x] += hrow[x] * w1;
        if (endy < by)
            continue;
        uint8_t *d = dst + oy * dstride;
        for (unsigned x = 0; x < dw; x++)
            d[x] = (uint8_t)((acc[x] + half) / total);
        oy++;
        by += sh;
        for (unsigned x = 0; x < dw; x++)
            acc[x] = hrow[x] * (dh - w1); /* the rest of a straddling row */
    }
}

/* A whole ratio k both ways (2:1, 4:1): each output pixel is the plain
 * mean of a k x k block, the same value scale_plane gives, without its
 * weights; the sizes a viewer asks for are mostly these. Division is a
 * multiply by a reciprocal: with m = floor(2^32 / d) + 1 it is exact
 * while n * d < 2^32, and here n <= 255 * 64 + 32, d <= 64. */
static void reduce_plane(const uint8_t *src, size_t sstride, uint8_t *dst,
                         size_t dstride, unsigned dw, unsigned dh, unsigned k)
{
    if (k == 2) { /* the common case, in one pass */
        for (unsigned oy = 0; oy < dh; oy++) {
            const uint8_t *a = src + (size_t)oy * 2 * sstride, *b = a + sstride;
            uint8_t *d = dst + oy * dstride;
            for (unsigned x = 0; x < dw; x++)
                d[x] = (uint8_t)((a[2 * x] + a[2 * x + 1] + b[2 * x] +
                                  b[2 * x + 1] + 2) >> 2);
        }
        return;
    }
    uint32_t acc[LM_IMAGE_MAX_W];
    const uint32_t total = k * k, half = total / 2;
    const uint64_t m = ((uint64_t)1 << 32) / total + 1;
    for (unsigned oy = 0; oy < dh; oy++) {
        memset(acc, 0, dw * sizeof acc[0]);
        for (unsigned j = 0; j < k; j++) {
            const uint8_t *s = src + ((size_t)oy * k + j) * sstride;
            for (unsigned x = 0; x < dw; x++)
                for (unsigned i = 0; i < k; i++)
                    acc[x] += s[x * k + i];
        }
        uint8_t *d = dst + oy * dstride;
        for (unsigned x = 0; x < dw; x++)
            d[x] = (uint8_t)(((acc[x] + half) * m) >> 32);
    }
}

int lm_image_downscale(const lm_image *src, lm_image *dst)
{
    if (!lm_image_valid(src) || !lm_image_valid(dst) || (dst->w & 1) ||
        (dst->h & 1) || dst->w > src->w || dst->h > src->h)
        return LM_EINVAL;
    if (dst->w == src->w && dst->h == src->h)
        return lm_image_copy(dst, src);
    for (int p = 0; p < 3; p++) {
        unsigned sw, sh, dw, dh;
        plane_size(src, p, &sw, &sh);
        plane_size(dst, p, &dw, &dh);
        unsigned k = sw / dw;
        if (k >= 2 && k <= 8 && sw == k * dw && sh == k * dh)
            reduce_plane(src->plane[p], src->stride[p], dst->plane[p],
                         dst->stride[p], dw, dh, k);
        else
            scale_plane(src->plane[p], src->stride[p], sw, sh, dst->plane[p],
                        dst->stride[p], dw, dh);
    }
    return 0;
}
