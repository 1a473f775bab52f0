/* cursor.c - the byte cursors (cursor.h). */
#include "cursor.h"

#include <string.h>

#include "err.h"
#include "text.h"

/* ---- writer ----------------------------------------------------------- */

void lm_wr_init(lm_writer *w, uint8_t *buf, size_t cap)
{
    w->start = w->p = w->end = buf;
    if (buf)
        w->end = buf + cap;
    w->err = 0;
    w->full = false;
}

void lm_wr_fail(lm_writer *w, int code)
{
    if (!w->err)
        w->err = code;
}

void lm_wr_bytes(lm_writer *w, const void *src, size_t n)
{
    if (n == 0 || w->full)
        return;
    if ((size_t)(w->end - w->p) < n) {
        w->full = true;
        return;
    }
    memcpy(w->p, src, n);
    w->p += n;
}

/* The low n bytes of v, least significant first. */
static void wr_uint(lm_writer *w, uint64_t v, size_t n)
{
    uint8_t b[8];
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    lm_wr_bytes(w, b, n);
}

void lm_wr_u8(lm_writer *w, uint8_t v) { wr_uint(w, v, 1); }
void lm_wr_u16(lm_writer *w, uint16_t v) { wr_uint(w, v, 2); }
void lm_wr_u32(lm_writer *w, uint32_t v) { wr_uint(w, v, 4); }
void lm_wr_u64(lm_writer *w, uint64_t v) { wr_uint(w, v, 8); }
void lm_wr_i64(lm_writer *w, int64_t v) { wr_uint(w, (uint64_t)v, 8); }

void lm_wr_str(lm_writer *w, const lm_strspec *sp, const char *s)
{
    /* A string that fills its whole array has no room for its NUL, so it
     * is longer than the cap. */
    const char *nul = memchr(s, '\0', sp->cap + 1);
    if (!nul) {
        lm_wr_fail(w, LM_ETOOBIG);
        return;
    }
    size_t n = (size_t)(nul - s);
    if (!lm_utf8_valid(s, n) || (sp->name && !lm_name_valid(s, n))) {
        lm_wr_fail(w, LM_EINVAL);
        return;
    }
    wr_uint(w, n, sp->prefix);
    lm_wr_bytes(w, s, n);
}

void lm_wr_blob16(lm_writer *w, const uint8_t *src, size_t n, size_t cap)
{
    if (n > cap || n > UINT16_MAX) {
        lm_wr_fail(w, LM_ETOOBIG);
        return;
    }
    lm_wr_u16(w, (uint16_t)n);
    lm_wr_bytes(w, src, n);
}

int lm_wr_done(const lm_writer *w)
{
    if (w->err)
        return w->err;
    if (w->full)
        return LM_ETOOBIG;
    return (int)(w->p - w->start);
}

/* ---- reader ----------------------------------------------------------- */

void lm_rd_init(lm_reader *r, const uint8_t *buf, size_t len)
{
    r->p = buf;
    r->end = buf ? buf + len : buf;
    r->err = 0;
}

void lm_rd_fail(lm_reader *r, int code)
{
    if (!r->err)
        r->err = code;
}

const uint8_t *lm_rd_bytes(lm_reader *r, size_t n)
{
    if (r->err)
        return NULL;
    if ((size_t)(r->end - r->p) < n) {
        lm_rd_fail(r, LM_EPROTO);
        return NULL;
    }
    const uint8_t *q = r->p;
    r->p += n;
    return q;
}

/* An n-byte little-endian unsigned integer; 0 on error. */
static uint64_t rd_uint(lm_reader *r, size_t n)
{
    const uint8_t *q = lm_rd_bytes(r, n);
    uint64_t v = 0;
    if (!q)
        return 0;
    for (size_t i = n; i-- > 0;)
        v = (v << 8) | q[i];
    return v;
}

/* The narrowing casts below keep every bit: rd_uint read only n bytes. */
uint8_t lm_rd_u8(lm_reader *r) { return (uint8_t)rd_uint(r, 1); }
uint16_t lm_rd_u16(lm_reader *r) { return (uint16_t)rd_uint(r, 2); }
uint32_t lm_rd_u32(lm_reader *r) { return (uint32_t)rd_uint(r, 4); }
uint64_t lm_rd_u64(lm_reader *r) { return rd_uint(r, 8); }

/* Two's complement without relying on an implementation-defined cast. */
int64_t lm_rd_i64(lm_reader *r)
{
    uint64_t v = rd_uint(r, 8);
    if (v <= INT64_MAX)
        return (int64_t)v;
    return -(int64_t)(UINT64_MAX - v) - 1;
}

/* lm_utf8_valid refuses NUL, so strlen(out) is the wire length. */
void lm_rd_str(lm_reader *r, const lm_strspec *sp, char *out)
{
    size_t n = (size_t)rd_uint(r, sp->prefix);
    if (r->err)
        return;
    if (n > sp->cap) {
        lm_rd_fail(r, LM_ETOOBIG);
        return;
    }
    const uint8_t *q = lm_rd_bytes(r, n);
    if (!q)
        return;
    const char *s = (const char *)q;
    if (!lm_utf8_valid(s, n)) {
        lm_rd_fail(r, LM_EUTF8);
        return;
    }
    if (sp->name && !lm_name_valid(s, n)) {
        lm_rd_fail(r, LM_EPROTO);
        return;
    }
    memcpy(out, s, n);
    out[n] = '\0';
}

void lm_rd_raw(lm_reader *r, uint8_t *out, size_t n)
{
    const uint8_t *q = lm_rd_bytes(r, n);
    if (q)
        memcpy(out, q, n);
}

void lm_rd_blob16(lm_reader *r, uint8_t *out, size_t cap, size_t *n)
{
    size_t k = lm_rd_u16(r);
    *n = 0;
    if (r->err)
        return;
    if (k > cap) {
        lm_rd_fail(r, LM_ETOOBIG);
        return;
    }
    lm_rd_raw(r, out, k);
    if (!r->err)
        *n = k;
}

int lm_rd_done(const lm_reader *r)
{
    if (r->err)
        return r->err;
    return r->p == r->end ? 0 : LM_EPROTO;
}
