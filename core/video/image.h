/* image.h - I420 pictures and their area-averaging downscale.
 *
 * An lm_image is one picture in I420 (planar 4:2:0, the layout JPEG codes
 * natively): a luma plane of w x h bytes and two chroma planes of
 * ceil(w/2) x ceil(h/2), each with its own stride. It either owns its
 * memory (lm_image_alloc, freed by lm_image_release) or is a view on
 * someone else's (plane pointers filled in by the caller, mem NULL).
 *
 * Sizes: 1..LM_IMAGE_MAX_W x 1..LM_IMAGE_MAX_H. Pictures that travel are
 * even-sized (video_wire.h); odd sizes appear only where a scaled decode
 * makes them (640x360 at 1/8 is 80x45).
 *
 * Downscale is a box filter with exact fractional coverage: every output
 * pixel is the mean of the source area it covers, weighted by how much of
 * each source pixel falls inside it, rounded to nearest. So a flat picture
 * stays flat, an exact 2:1 or 4:1 reduction is the plain mean of each
 * 2x2 or 4x4 block, and any size down to 2x2 works (320x180, 160x90, or
 * what a tile in an odd grid needs).
 *
 * Threads: none; an image belongs to whoever holds it. Nothing here
 * allocates except lm_image_alloc. */
#ifndef LM_VIDEO_IMAGE_H
#define LM_VIDEO_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* 1080p: the largest camera picture carried. A 1920-wide row keeps every
 * sum of the downscale inside 32 bits (255 * 1920 * 1080 < 2^32). */
#define LM_IMAGE_MAX_W 1920u
#define LM_IMAGE_MAX_H 1080u

typedef struct lm_image {
    unsigned w, h;       /* luma size in pixels */
    size_t stride[3];    /* bytes per row: Y, U, V */
    uint8_t *plane[3];   /* Y, U (Cb), V (Cr) */
    uint8_t *mem;        /* owned storage, or NULL for a view */
} lm_image;

/* Chroma plane size of a w x h picture. */
static inline unsigned lm_image_cw(unsigned w) { return (w + 1) / 2; }
static inline unsigned lm_image_ch(unsigned h) { return (h + 1) / 2; }

/* Allocates a w x h picture with tight strides, filled black (Y 0, U and
 * V 128). 0, LM_EINVAL for a size out of range, LM_ENOMEM. *im is left
 * empty (all zero) on error. */
int lm_image_alloc(lm_image *im, unsigned w, unsigned h);
void lm_image_release(lm_image *im); /* frees owned memory; NULL-safe */

/* True when im has a size in range, planes, and strides no narrower than
 * its rows. */
bool lm_image_valid(const lm_image *im);

void lm_image_fill(lm_image *im, uint8_t y, uint8_t u, uint8_t v);
/* Same size only: 0 or LM_EINVAL. */
int lm_image_copy(lm_image *dst, const lm_image *src);

/* src into dst at dst's size (dst->w, dst->h set and planes ready). The
 * target must be even and no larger than src in either direction; src may
 * have any size. 0, or LM_EINVAL (bad image, odd target, upscale). Same
 * size is a copy. */
int lm_image_downscale(const lm_image *src, lm_image *dst);

#endif
