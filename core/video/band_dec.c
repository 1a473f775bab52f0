/* band_dec.c - painting one band into a frame, at full size or scaled
 * (band.h). Every check that keeps TurboJPEG's writes inside the band's
 * rectangle is made here, before it is called. */
#include "band.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "band_impl.h"
#include "err.h"

#define MCU LM_VIDEO_MCU
/* the rebuilt JPEG: header, the largest scan, EOI */
#define JPEG_BUF (LM_BAND_HDR_MAX + LM_VIDEO_JPEG_MAX + 2)
/* The scratch picture for bands whose scaled size is not whole scaled
 * macroblocks: the largest band, padded by a macroblock each way. */
#define SCRATCH_W (LM_VIDEO_W_MAX + 2 * MCU)
#define SCRATCH_H (LM_VIDEO_BAND_ROWS_MAX + 2 * MCU)

struct lm_band_dec {
    tjhandle tj;  /* decompressor */
    tjhandle enc; /* compressor: makes the standard headers */
    lm_band_tables tables;
    tjscalingfactor *sf; /* TurboJPEG's own list, largest first */
    int nsf;
    uint8_t *scratch; /* Y, then U, then V */
    uint8_t jpeg[JPEG_BUF];
};

lm_band_dec *lm_band_dec_new(void)
{
    lm_band_dec *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->tj = tjInitDecompress();
    d->enc = tjInitCompress();
    d->sf = tjGetScalingFactors(&d->nsf);
    d->scratch = malloc((size_t)SCRATCH_W * SCRATCH_H * 3 / 2);
    if (!d->tj || !d->enc || !d->sf || d->nsf <= 0 || !d->scratch) {
        lm_band_dec_free(d);
        return NULL;
    }
    return d;
}

void lm_band_dec_free(lm_band_dec *d)
{
    if (!d)
        return;
    if (d->tj)
        tjDestroy(d->tj);
    if (d->enc)
        tjDestroy(d->enc);
    free(d->scratch);
    free(d);
}

/* As video_wire.c checks a band on the wire: on the grid, inside. */
static bool span_ok(unsigned at, unsigned len, unsigned frame)
{
    return at % MCU == 0 && len > 0 && at + len <= frame &&
           (len % MCU == 0 || at + len == frame);
}

/* TurboJPEG picks the largest of its factors whose result fits in the
 * size asked for. True when that is exactly 1/div for a w x h band, so
 * the size it writes is the one checked against dst. */
static bool scale_is(const lm_band_dec *d, unsigned w, unsigned h,
                     unsigned div)
{
    unsigned sw = lm_band_scaled(w, div), sh = lm_band_scaled(h, div);
    for (int i = 0; i < d->nsf; i++) {
        tjscalingfactor f = d->sf[i];
        if (TJSCALED((int)w, f) <= (int)sw && TJSCALED((int)h, f) <= (int)sh)
            return f.num == 1 && f.denom == (int)div;
    }
    return false;
}

/* The JPEG to decode: the band's own, checked to be the band's size in
 * 4:2:0, or the standard header rebuilt around the band's scan. */
static int assemble(lm_band_dec *d, const lm_band *b, const uint8_t **jpg,
                    size_t *len)
{
    if (b->flags & LM_VIDEO_BAND_TABLES) {
        int w, h, ss, cs;
        if (tjDecompressHeader3(d->tj, b->data, b->len, &w, &h, &ss, &cs) !=
                0 ||
            w != b->w || h != b->h || ss != TJSAMP_420 || cs != TJCS_YCbCr)
            return LM_EPROTO;
        *jpg = b->data;
        *len = b->len;
        return 0;
    }
    if (!lm_band_scan_clean(b->data, b->len))
        return LM_EPROTO;
    int n = lm_band_header(&d->tables, d->enc, b->quality, b->w, b->h,
                           d->jpeg, LM_BAND_HDR_MAX);
    if (n < 0)
        return n == LM_EINVAL ? LM_EPROTO : n;
    memcpy(d->jpeg + n, b->data, b->len);
    d->jpeg[n + b->len] = 0xff;
    d->jpeg[n + b->len + 1] = 0xd9; /* EOI */
    *jpg = d->jpeg;
    *len = (size_t)n + b->len + 2;
    return 0;
}

int lm_band_decode(lm_band_dec *d, const lm_band *b, unsigned frame_w,
                   unsigned frame_h, unsigned div, lm_image *dst)
{
    if (!d || !b || !lm_image_valid(dst) ||
        (div != 1 && div != 2 && div != 4 && div != 8) ||
        dst->w != lm_band_scaled(frame_w, div) ||
        dst->h != lm_band_scaled(frame_h, div))
        return LM_EINVAL;
    for (int p = 0; p < 3; p++)
        if (dst->stride[p] > INT_MAX)
            return LM_EINVAL;
    if (!lm_video_size_ok(frame_w, frame_h) || !b->data || b->len < 1 ||
        b->len > LM_VIDEO_JPEG_MAX || b->quality < 1 || b->quality > 100 ||
        (b->flags & ~LM_VIDEO_BAND_FLAGS) || !span_ok(b->x, b->w, frame_w) ||
        !span_ok(b->y, b->h, frame_h) || b->h > LM_VIDEO_BAND_ROWS_MAX ||
        !scale_is(d, b->w, b->h, div))
        return LM_EPROTO;
    /* Where it lands: x and y are multiples of 16, so x / div is even and
     * the chroma offset x / div / 2 exact; the band's scaled size ends
     * where the frame's does when the band reaches the frame's edge. */
    unsigned x = b->x / div, y = b->y / div;
    unsigned sw = lm_band_scaled(b->w, div), sh = lm_band_scaled(b->h, div);
    if (x + sw > dst->w || y + sh > dst->h ||
        x / 2 + lm_image_cw(sw) > lm_image_cw(dst->w) ||
        y / 2 + lm_image_ch(sh) > lm_image_ch(dst->h))
        return LM_EPROTO;
    const uint8_t *jpg;
    size_t len;
    int rc = assemble(d, b, &jpg, &len);
    if (rc < 0)
        return rc;
    /* Whole scaled macroblocks decode straight into dst. Otherwise
     * TurboJPEG goes through a buffer of its own, and (measured with
     * 2.1.5) may write a row past an odd height, so such a band decodes
     * into scratch and only its rectangle is copied. */
    unsigned mb = MCU / div;
    bool direct = sw % mb == 0 && sh % mb == 0;
    unsigned char *planes[3];
    int strides[3];
    if (direct) {
        for (int p = 0; p < 3; p++) {
            unsigned px = p ? x / 2 : x, py = p ? y / 2 : y;
            planes[p] = dst->plane[p] + (size_t)py * dst->stride[p] + px;
            strides[p] = (int)dst->stride[p];
        }
    } else {
        planes[0] = d->scratch;
        planes[1] = d->scratch + (size_t)SCRATCH_W * SCRATCH_H;
        planes[2] = planes[1] + (size_t)SCRATCH_W * SCRATCH_H / 4;
        strides[0] = SCRATCH_W;
        strides[1] = strides[2] = SCRATCH_W / 2;
    }
    if (tjDecompressToYUVPlanes(d->tj, jpg, len, planes, (int)sw, strides,
                                (int)sh,
                                TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS) != 0)
        return LM_EPROTO;
    if (!direct)
        for (int p = 0; p < 3; p++) {
            unsigned px = p ? x / 2 : x, py = p ? y / 2 : y;
            unsigned pw = p ? lm_image_cw(sw) : sw;
            unsigned ph = p ? lm_image_ch(sh) : sh;
            for (unsigned r = 0; r < ph; r++)
                memcpy(dst->plane[p] + (size_t)(py + r) * dst->stride[p] + px,
                       planes[p] + (size_t)r * (size_t)strides[p], pw);
        }
    return 0;
}
