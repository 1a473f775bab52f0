/* band.c - cutting a frame into bands and coding them (band.h); the pure
 * sizing rules live here too. Decoding is band_dec.c. */
#include "band.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "band_impl.h"
#include "err.h"

#define MCU LM_VIDEO_MCU
#define QUALITY_STEP 15 /* a macroblock too big is re-coded this much lower */
#define ARENA_START (64 * 1024)

unsigned lm_band_scaled(unsigned n, unsigned div)
{
    return div ? (n + div - 1) / div : 0;
}

unsigned lm_band_pick_div(unsigned w, unsigned h, unsigned show_w,
                          unsigned show_h)
{
    for (unsigned div = 8; div > 1; div /= 2)
        if (lm_band_scaled(w, div) >= show_w &&
            lm_band_scaled(h, div) >= show_h)
            return div;
    return 1;
}

unsigned lm_band_rows(unsigned h, size_t per_mb_row, size_t target)
{
    if (h == 0)
        return 0;
    unsigned k = 1; /* macroblock rows per band */
    if (per_mb_row > 0 && per_mb_row <= target) {
        size_t fit = target / per_mb_row;
        k = fit > LM_VIDEO_BAND_ROWS_MAX / MCU ? LM_VIDEO_BAND_ROWS_MAX / MCU
                                               : (unsigned)fit;
    }
    unsigned rows = k * MCU;
    if (rows >= h)
        return h <= LM_VIDEO_BAND_ROWS_MAX ? h : LM_VIDEO_BAND_ROWS_MAX;
    unsigned n = (h + rows - 1) / rows; /* bands needed */
    unsigned even = (h + n - 1) / n;    /* equal shares, */
    return (even + MCU - 1) / MCU * MCU; /* on the grid */
}

unsigned lm_band_cols(unsigned w, size_t per_mb_row, size_t target)
{
    if (w == 0 || per_mb_row <= target || target == 0)
        return w;
    size_t n = (per_mb_row + target - 1) / target; /* pieces a row needs */
    if (n >= w / MCU)
        return w < MCU ? w : MCU;
    unsigned share = (unsigned)((w + n - 1) / n);
    return (share + MCU - 1) / MCU * MCU;
}

/* ---- the encoder --------------------------------------------------------- */

typedef struct piece {
    uint16_t x, y, w, h;
    uint8_t q;
} piece;

struct lm_band_enc {
    tjhandle tj;
    lm_band_tables tables;
    unsigned char *tjbuf; /* TurboJPEG's output for one piece */
    unsigned long tjcap;
    uint8_t *arena; /* the frame's band data, back to back */
    size_t arena_len, arena_cap;
    lm_band bands[LM_VIDEO_BANDS_MAX];
    size_t offset[LM_VIDEO_BANDS_MAX]; /* into arena, until it settles */
    size_t nbands;
    unsigned est_w;     /* the width, */
    int est_q;          /* and quality the estimate is for */
    size_t per_mb_row;  /* bytes per macroblock row seen lately */
    lm_band_stats st;
    uint8_t hdr[LM_BAND_HDR_MAX]; /* scratch: the expected header */
};

lm_band_enc *lm_band_enc_new(void)
{
    lm_band_enc *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->tj = tjInitCompress();
    /* the largest piece: a full-width band of the most rows */
    e->tjcap = tjBufSize(LM_VIDEO_W_MAX, LM_VIDEO_BAND_ROWS_MAX, TJSAMP_420);
    e->tjbuf = e->tj ? tjAlloc((int)e->tjcap) : NULL;
    e->arena = malloc(ARENA_START);
    e->arena_cap = ARENA_START;
    if (!e->tj || !e->tjbuf || !e->arena) {
        lm_band_enc_free(e);
        return NULL;
    }
    return e;
}

void lm_band_enc_free(lm_band_enc *e)
{
    if (!e)
        return;
    if (e->tj)
        tjDestroy(e->tj);
    tjFree(e->tjbuf);
    free(e->arena);
    free(e);
}

void lm_band_enc_stats(const lm_band_enc *e, lm_band_stats *out)
{
    *out = e->st;
}

static int keep(lm_band_enc *e, const piece *pc, uint8_t flags,
                const uint8_t *data, size_t len)
{
    if (e->nbands == LM_VIDEO_BANDS_MAX) {
        e->st.dropped++;
        return 0;
    }
    if (e->arena_cap - e->arena_len < len) {
        size_t cap = e->arena_cap * 2;
        uint8_t *a = realloc(e->arena, cap);
        if (!a)
            return LM_ENOMEM;
        e->arena = a;
        e->arena_cap = cap;
    }
    memcpy(e->arena + e->arena_len, data, len);
    lm_band *b = &e->bands[e->nbands];
    *b = (lm_band){.x = pc->x, .y = pc->y, .w = pc->w, .h = pc->h,
                   .quality = pc->q, .flags = flags, .len = len};
    e->offset[e->nbands++] = e->arena_len;
    e->arena_len += len;
    return 0;
}

/* Codes one piece; *data and *len get what a band of it would carry (in
 * e->tjbuf), *flags whether that is a whole JPEG. */
static int code(lm_band_enc *e, const lm_image *img, const piece *pc,
                unsigned want, const uint8_t **data, size_t *len,
                uint8_t *flags)
{
    const unsigned char *planes[3] = {
        img->plane[0] + (size_t)pc->y * img->stride[0] + pc->x,
        img->plane[1] + (size_t)(pc->y / 2) * img->stride[1] + pc->x / 2,
        img->plane[2] + (size_t)(pc->y / 2) * img->stride[2] + pc->x / 2,
    };
    int strides[3] = {(int)img->stride[0], (int)img->stride[1],
                      (int)img->stride[2]};
    unsigned char *out = e->tjbuf;
    unsigned long size = e->tjcap;
    if (tjCompressFromYUVPlanes(e->tj, planes, pc->w, strides, pc->h,
                                TJSAMP_420, &out, &size, pc->q,
                                TJFLAG_NOREALLOC) != 0)
        return LM_EIO;
    *data = e->tjbuf;
    *len = size;
    *flags = LM_VIDEO_BAND_TABLES;
    if (want & LM_BAND_ENC_TABLES)
        return 0;
    size_t hl, sl;
    int n = lm_band_header(&e->tables, e->tj, pc->q, pc->w, pc->h, e->hdr,
                           sizeof e->hdr);
    if (n < 0 || lm_band_split(e->tjbuf, size, &hl, &sl) != 0 ||
        hl != (size_t)n || memcmp(e->hdr, e->tjbuf, hl) != 0 || sl == 0 ||
        !lm_band_scan_clean(e->tjbuf + hl, sl)) {
        e->st.tables++; /* not the standard header: send it whole */
        return 0;
    }
    *data = e->tjbuf + hl;
    *len = sl;
    *flags = 0;
    return 0;
}

/* Codes one band, splitting it (band.h) until every piece fits. */
static int encode_band(lm_band_enc *e, const lm_image *img, piece first,
                       unsigned want)
{
    piece stack[64]; /* splits go ~11 deep: 256 -> 16 rows, 1920 -> 16 */
    size_t top = 0;
    stack[top++] = first;
    while (top > 0) {
        piece pc = stack[--top];
        const uint8_t *data;
        size_t len;
        uint8_t flags;
        int rc = code(e, img, &pc, want, &data, &len, &flags);
        if (rc < 0)
            return rc;
        if (len <= LM_VIDEO_JPEG_MAX) {
            rc = keep(e, &pc, flags, data, len);
            if (rc < 0)
                return rc;
            continue;
        }
        if (top + 2 > sizeof stack / sizeof stack[0]) {
            e->st.dropped++;
            continue;
        }
        piece a = pc, b = pc;
        if (pc.h > MCU) { /* rows first */
            a.h = (uint16_t)(pc.h / 2 / MCU * MCU);
            if (a.h == 0)
                a.h = MCU;
            b.y = (uint16_t)(pc.y + a.h);
            b.h = (uint16_t)(pc.h - a.h);
        } else if (pc.w > MCU) { /* then columns */
            a.w = (uint16_t)(pc.w / 2 / MCU * MCU);
            if (a.w == 0)
                a.w = MCU;
            b.x = (uint16_t)(pc.x + a.w);
            b.w = (uint16_t)(pc.w - a.w);
        } else if (pc.q > LM_BAND_QUALITY_MIN) { /* one macroblock */
            a.q = (uint8_t)(pc.q - QUALITY_STEP > LM_BAND_QUALITY_MIN
                                ? pc.q - QUALITY_STEP
                                : LM_BAND_QUALITY_MIN);
            e->st.requality++;
            stack[top++] = a;
            continue;
        } else {
            e->st.dropped++;
            continue;
        }
        e->st.splits++;
        stack[top++] = b; /* a comes off first: bands stay in order */
        stack[top++] = a;
    }
    return 0;
}

static void learn(lm_band_enc *e, unsigned w, unsigned h, int q)
{
    size_t rows = (h + MCU - 1) / MCU;
    size_t now = e->arena_len / rows;
    if (e->est_w != w || e->est_q != q || now >= e->per_mb_row)
        e->per_mb_row = now; /* grow at once, */
    else
        e->per_mb_row = (e->per_mb_row * 3 + now) / 4; /* shrink slowly */
    e->est_w = w;
    e->est_q = q;
}

int lm_band_encode(lm_band_enc *e, const lm_image *img, int quality,
                   unsigned flags, const lm_band **out)
{
    if (!e || !out || !lm_image_valid(img) ||
        !lm_video_size_ok(img->w, img->h) || quality < 1 || quality > 100)
        return LM_EINVAL;
    for (int p = 0; p < 3; p++)
        if (img->stride[p] > INT_MAX)
            return LM_EINVAL;
    size_t est = e->est_w == img->w && e->est_q == quality ? e->per_mb_row : 0;
    unsigned rows = lm_band_rows(img->h, est, LM_BAND_TARGET);
    unsigned cols = lm_band_cols(img->w, est, LM_BAND_TARGET);
    e->nbands = 0;
    e->arena_len = 0;
    for (unsigned y = 0; y < img->h; y += rows)
        for (unsigned x = 0; x < img->w; x += cols) {
            piece pc = {.x = (uint16_t)x, .y = (uint16_t)y,
                        .w = (uint16_t)(img->w - x < cols ? img->w - x : cols),
                        .h = (uint16_t)(img->h - y < rows ? img->h - y : rows),
                        .q = (uint8_t)quality};
            int rc = encode_band(e, img, pc, flags);
            if (rc < 0)
                return rc;
        }
    for (size_t i = 0; i < e->nbands; i++)
        e->bands[i].data = e->arena + e->offset[i];
    learn(e, img->w, img->h, quality);
    e->st.frames++;
    e->st.bands += e->nbands;
    e->st.bytes += e->arena_len;
    *out = e->bands;
    if (e->nbands == 0)
        return LM_EIO; /* nothing fitted: cannot happen at the floor */
    return (int)e->nbands;
}
