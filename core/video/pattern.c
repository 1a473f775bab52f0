/* pattern.c - the test pattern's painter and reader (pattern.h). */
#include "pattern.h"

#include <stdbool.h>
#include <string.h>

#include "err.h"

#define BYTES 14 /* counter 4, time 8, crc 2 */
#define BLACK 16
#define WHITE 240
#define MARGIN 48 /* a cell's mean must be this far from mid-grey */
#define CRC_XOR 0x4c4du /* "LM": an all-zero stripe is not a valid one */

/* CRC-16/CCITT (polynomial 0x1021, initial 0xffff), bitwise: 12 bytes. */
static uint16_t crc16(const uint8_t *p, size_t n)
{
    uint16_t c = 0xffff;
    for (size_t i = 0; i < n; i++) {
        c ^= (uint16_t)(p[i] << 8);
        for (int b = 0; b < 8; b++)
            c = (uint16_t)(c & 0x8000 ? (c << 1) ^ 0x1021 : c << 1);
    }
    return c ^ CRC_XOR;
}

static void pack(uint8_t out[BYTES], uint32_t counter, uint64_t t)
{
    for (int i = 0; i < 4; i++)
        out[i] = (uint8_t)(counter >> (8 * i));
    for (int i = 0; i < 8; i++)
        out[4 + i] = (uint8_t)(t >> (8 * i));
    uint16_t c = crc16(out, 12);
    out[12] = (uint8_t)c;
    out[13] = (uint8_t)(c >> 8);
}

/* Stripe s (0 top, 1 bottom) spans rows [y0, y1). */
static void stripe_rows(unsigned h, int s, unsigned *y0, unsigned *y1)
{
    unsigned fifth = h / 5;
    *y0 = s ? h - fifth : 0;
    *y1 = s ? h : fifth;
}

static void cell(unsigned w, unsigned y0, unsigned y1, int i, unsigned *cx0,
                 unsigned *cx1, unsigned *cy0, unsigned *cy1)
{
    unsigned c = (unsigned)i % LM_PATTERN_COLS, r = (unsigned)i / LM_PATTERN_COLS;
    unsigned sh = y1 - y0;
    *cx0 = c * w / LM_PATTERN_COLS;
    *cx1 = (c + 1) * w / LM_PATTERN_COLS;
    *cy0 = y0 + r * sh / LM_PATTERN_ROWS;
    *cy1 = y0 + (r + 1) * sh / LM_PATTERN_ROWS;
}

static void paint_stripe(lm_image *im, int s, const uint8_t bits[BYTES])
{
    unsigned y0, y1;
    stripe_rows(im->h, s, &y0, &y1);
    for (int i = 0; i < BYTES * 8; i++) {
        unsigned x0, x1, r0, r1;
        cell(im->w, y0, y1, i, &x0, &x1, &r0, &r1);
        uint8_t v = (bits[i / 8] >> (i % 8)) & 1 ? WHITE : BLACK;
        for (unsigned y = r0; y < r1; y++)
            memset(im->plane[0] + y * im->stride[0] + x0, v, x1 - x0);
    }
    for (int p = 1; p < 3; p++) /* no colour: the cells are luma only */
        for (unsigned y = y0 / 2; y < lm_image_ch(y1); y++)
            memset(im->plane[p] + y * im->stride[p], 128, lm_image_cw(im->w));
}

/* A triangle wave of period 128, 0..126. */
static unsigned tri(unsigned v)
{
    v &= 127;
    return v < 64 ? 2 * v : 2 * (127 - v);
}

/* Per pixel this is tri(x*256/w + 3t)/2 + tri(y*512/h + 5t + x/4)/2 +
 * tri(x*y/97 + t)/4 over a base of 24, with the box on top: the column
 * terms come from a table, the row term once a row, and x*y/97 is
 * carried along the row as a quotient and a remainder, so no pixel
 * divides (the sums, and so the picture, are the same as dividing). */
static void paint_picture(lm_image *im, uint32_t t)
{
    unsigned w = im->w, h = im->h, top = h / 5, bot = h - h / 5;
    /* a box a fifth of the width, bouncing across once per ~4 s at 30 fps */
    unsigned bw = w / 5, bh = (bot - top) / 2, span = w - bw;
    unsigned phase = (t * 4) % (2 * span + 1);
    unsigned bx = phase <= span ? phase : 2 * span - phase;
    unsigned by = top + (bot - top - bh) / 2;
    uint8_t colx[LM_IMAGE_MAX_W];  /* 24 + tri(x*256/w + 3t)/2 */
    unsigned quarter[LM_IMAGE_MAX_W]; /* x/4 */
    uint8_t boxx[LM_IMAGE_MAX_W];  /* the box's column cell, 0..7 */
    uint8_t half[128], fourth[128]; /* tri(v)/2, tri(v)/4 by v mod 128 */
    for (unsigned v = 0; v < 128; v++) {
        half[v] = (uint8_t)(tri(v) / 2);
        fourth[v] = (uint8_t)(tri(v) / 4);
    }
    for (unsigned x = 0; x < w; x++) {
        colx[x] = (uint8_t)(24 + tri(x * 256 / w + 3 * t) / 2);
        quarter[x] = x / 4;
        boxx[x] = x >= bx && x < bx + bw ? (uint8_t)((x - bx) * 8 / bw) : 0;
    }
    for (unsigned y = top; y < bot; y++) {
        uint8_t *row = im->plane[0] + y * im->stride[0];
        unsigned rterm = y * 512 / h + 5 * t;
        unsigned q = 0, r = 0, dq = y / 97, dr = y % 97; /* x*y = 97q + r */
        bool in_box = y >= by && y < by + bh;
        unsigned boxy = in_box ? (y - by) * 6 / bh : 0;
        for (unsigned x = 0; x < w; x++) {
            unsigned v = colx[x] + half[(rterm + quarter[x]) & 127] +
                         fourth[(q + t) & 127];
            if (in_box && x >= bx && x < bx + bw)
                v = (boxx[x] ^ boxy) & 1 ? 230 : 30;
            row[x] = (uint8_t)(v > 255 ? 255 : v);
            q += dq;
            r += dr;
            if (r >= 97) {
                q++;
                r -= 97;
            }
        }
    }
    unsigned cw = lm_image_cw(w);
    for (unsigned y = top / 2; y < lm_image_ch(bot); y++) {
        uint8_t *u = im->plane[1] + y * im->stride[1];
        uint8_t *v = im->plane[2] + y * im->stride[2];
        for (unsigned x = 0; x < cw; x++) {
            u[x] = (uint8_t)(64 + tri(x * 256 / cw + 2 * t));
            v[x] = (uint8_t)(64 + tri(y * 256 / lm_image_ch(h) + 128 - t));
        }
    }
}

static bool size_ok(const lm_image *im)
{
    return im->w >= LM_PATTERN_W_MIN && im->h >= LM_PATTERN_H_MIN;
}

int lm_pattern_paint_picture(lm_image *im, uint32_t counter)
{
    if (!lm_image_valid(im) || !size_ok(im))
        return LM_EINVAL;
    paint_picture(im, counter);
    return 0;
}

int lm_pattern_paint_stripes(lm_image *im, uint32_t counter, uint64_t time_us)
{
    if (!lm_image_valid(im) || !size_ok(im))
        return LM_EINVAL;
    uint8_t bits[BYTES];
    pack(bits, counter, time_us);
    paint_stripe(im, 0, bits);
    paint_stripe(im, 1, bits);
    return 0;
}

int lm_pattern_paint(lm_image *im, uint32_t counter, uint64_t time_us)
{
    int rc = lm_pattern_paint_picture(im, counter);
    return rc < 0 ? rc : lm_pattern_paint_stripes(im, counter, time_us);
}

/* The mean luma of a cell's middle half (at least one pixel each way). */
static unsigned cell_mean(const lm_image *im, unsigned x0, unsigned x1,
                          unsigned y0, unsigned y1)
{
    unsigned mx = (x1 - x0) / 4, my = (y1 - y0) / 4;
    x0 += mx, x1 -= mx, y0 += my, y1 -= my;
    unsigned long sum = 0, n = 0;
    for (unsigned y = y0; y < y1; y++)
        for (unsigned x = x0; x < x1; x++, n++)
            sum += im->plane[0][y * im->stride[0] + x];
    return n ? (unsigned)(sum / n) : 128;
}

static bool read_stripe(const lm_image *im, int s, uint32_t *counter,
                        uint64_t *t)
{
    unsigned y0, y1;
    stripe_rows(im->h, s, &y0, &y1);
    uint8_t bits[BYTES] = {0};
    for (int i = 0; i < BYTES * 8; i++) {
        unsigned x0, x1, r0, r1;
        cell(im->w, y0, y1, i, &x0, &x1, &r0, &r1);
        unsigned m = cell_mean(im, x0, x1, r0, r1);
        if (m + MARGIN > 128 && m < 128 + MARGIN)
            return false; /* neither black nor white: damaged */
        if (m >= 128)
            bits[i / 8] |= (uint8_t)(1u << (i % 8));
    }
    if (crc16(bits, 12) != (uint16_t)(bits[12] | bits[13] << 8))
        return false;
    uint32_t c = 0;
    uint64_t v = 0;
    for (int i = 3; i >= 0; i--)
        c = c << 8 | bits[i];
    for (int i = 7; i >= 0; i--)
        v = v << 8 | bits[4 + i];
    *counter = c;
    *t = v;
    return true;
}

int lm_pattern_read(const lm_image *im, uint32_t *counter, uint64_t *time_us)
{
    if (!lm_image_valid(im) || !counter || !time_us)
        return LM_EINVAL;
    if (!size_ok(im))
        return LM_EPROTO;
    if (read_stripe(im, 0, counter, time_us) ||
        read_stripe(im, 1, counter, time_us))
        return 0;
    return LM_EPROTO;
}
