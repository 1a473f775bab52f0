/* fuzz_video.c - libFuzzer target for video's codec and band decoder
 * (core/video).
 *
 * Any bytes, three ways in, by the first byte:
 *   a video type  the message decoder: it must not crash, read out of
 *                 bounds or leak, and what decodes must encode back to the
 *                 same bytes; a BAND that decodes is then painted into a
 *                 frame of its size at the scale its frame number picks;
 *   0xfe          the rest is a band's scan for the first 320x16 rows of
 *                 a 320x180 frame at quality 75 (the JPEG decoder fed
 *                 directly, without a valid message around it);
 *   0xff          the rest is a whole JPEG for the same band.
 * Every picture is planes of exactly their size (AddressSanitizer sees a
 * write past one), and everything outside the band's rectangle is checked
 * to be untouched (the rectangle is wiped back after each input). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "video/band.h"
#include "video/video_wire.h"
#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SENTINEL 0x5a

static lm_band_dec *dec;
static lm_image canvas; /* kept between inputs: all SENTINEL */
static size_t canvas_size[3];
static uint8_t sentinel[64 * 1024];

/* A canvas of exactly w x h, each plane its own allocation. */
static void canvas_for(unsigned w, unsigned h)
{
    if (canvas.w == w && canvas.h == h)
        return;
    for (int p = 0; p < 3; p++)
        free(canvas.plane[p]);
    canvas.w = w;
    canvas.h = h;
    for (int p = 0; p < 3; p++) {
        unsigned pw = p ? lm_image_cw(w) : w, ph = p ? lm_image_ch(h) : h;
        canvas_size[p] = (size_t)pw * ph;
        canvas.stride[p] = pw;
        canvas.plane[p] = malloc(canvas_size[p]);
        if (!canvas.plane[p])
            abort();
        memset(canvas.plane[p], SENTINEL, canvas_size[p]);
    }
}

static bool all_sentinel(const uint8_t *p, size_t n)
{
    for (size_t at = 0; at < n; at += sizeof sentinel) {
        size_t k = n - at < sizeof sentinel ? n - at : sizeof sentinel;
        if (memcmp(p + at, sentinel, k) != 0)
            return false;
    }
    return true;
}

/* Paints b into the canvas for its frame, puts the band's rectangle back
 * to SENTINEL, and aborts if anything else changed. */
static void paint(const lm_band *b, unsigned fw, unsigned fh, unsigned div)
{
    canvas_for(lm_band_scaled(fw, div), lm_band_scaled(fh, div));
    (void)lm_band_decode(dec, b, fw, fh, div, &canvas); /* either is fine */
    unsigned x0 = b->x / div, y0 = b->y / div;
    unsigned x1 = x0 + lm_band_scaled(b->w, div);
    unsigned y1 = y0 + lm_band_scaled(b->h, div);
    for (int p = 0; p < 3; p++) {
        unsigned pw = (unsigned)canvas.stride[p];
        unsigned ph = (unsigned)(canvas_size[p] / pw);
        unsigned ax = p ? x0 / 2 : x0, ay = p ? y0 / 2 : y0;
        unsigned bx = p ? (x1 + 1) / 2 : x1, by = p ? (y1 + 1) / 2 : y1;
        if (bx > pw)
            bx = pw;
        if (by > ph)
            by = ph;
        for (unsigned y = ay; y < by && ax < bx; y++)
            memset(canvas.plane[p] + (size_t)y * pw + ax, SENTINEL, bx - ax);
        if (!all_sentinel(canvas.plane[p], canvas_size[p]))
            abort(); /* written outside the band */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static lm_video_msg m;
    static uint8_t out[LM_VIDEO_WIRE_MAX];
    if (!dec) {
        if (!(dec = lm_band_dec_new()))
            abort();
        memset(sentinel, SENTINEL, sizeof sentinel);
    }
    if (size >= 1 && (data[0] == 0xfe || data[0] == 0xff)) {
        if (size < 2 || size - 1 > LM_VIDEO_JPEG_MAX)
            return 0;
        lm_band b = {.x = 0, .y = 0, .w = 320, .h = 16, .quality = 75,
                     .flags = data[0] == 0xff ? LM_VIDEO_BAND_TABLES : 0,
                     .data = data + 1, .len = size - 1};
        paint(&b, 320, 180, 1);
        return 0;
    }
    if (lm_video_decode(data, size, &m) != 0)
        return 0;
    int n = lm_video_encode(&m, out, sizeof out);
    if (n < 0 || (size_t)n != size || memcmp(out, data, size) != 0)
        abort(); /* decode accepted what encode would not write back */
    if (m.type == LM_MSG_VIDEO_BAND) {
        const lm_video_band_msg *v = &m.u.band;
        lm_band b = {.x = v->x, .y = v->y, .w = v->bw, .h = v->bh,
                     .quality = v->quality, .flags = v->flags,
                     .data = v->jpeg, .len = v->len};
        paint(&b, v->w, v->h, 1u << (v->frame % 4));
    }
    return 0;
}
