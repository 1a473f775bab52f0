/* cursor.h - the byte cursors every codec is written with.
 *
 * A writer and a reader each hold a position, an end and a sticky error:
 * every put and get checks room first, so a message is written or read as
 * a straight run of calls with one error check at the end, and nothing is
 * ever read or written past the buffer. Integers go a byte at a time,
 * little-endian, so host byte order and alignment never matter. Strings
 * are a length prefix (1 or 2 bytes) and UTF-8 with no terminator; a
 * name-like string must also be fit to show (lm_name_valid).
 *
 * Each feature's codec (core/wire.c for the mesh and the room, one per
 * service for its own messages) uses these and nothing else to touch
 * bytes. Error codes are err.h's: a writer reports the first bad field
 * (LM_EINVAL, LM_ETOOBIG) before running out of room (LM_ETOOBIG); a
 * reader reports LM_EPROTO for truncated input or trailing bytes,
 * LM_EUTF8 for bad text, LM_ETOOBIG for a string over its cap. */
#ifndef LM_CURSOR_H
#define LM_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* How one kind of string field goes on the wire. */
typedef struct lm_strspec {
    size_t prefix; /* bytes of length prefix: 1 or 2 */
    size_t cap;    /* most bytes of UTF-8; the char array holds cap + 1 */
    bool name;     /* must also pass lm_name_valid */
} lm_strspec;

typedef struct lm_writer {
    uint8_t *start, *p, *end;
    int err;   /* first bad field, LM_EINVAL or LM_ETOOBIG; 0 if none */
    bool full; /* ran out of buffer; reported only if no field was bad */
} lm_writer;

void lm_wr_init(lm_writer *w, uint8_t *buf, size_t cap); /* buf NULL: cap 0 */
void lm_wr_fail(lm_writer *w, int code); /* the first failure sticks */
void lm_wr_bytes(lm_writer *w, const void *src, size_t n);
void lm_wr_u8(lm_writer *w, uint8_t v);
void lm_wr_u16(lm_writer *w, uint16_t v);
void lm_wr_u32(lm_writer *w, uint32_t v);
void lm_wr_u64(lm_writer *w, uint64_t v);
void lm_wr_i64(lm_writer *w, int64_t v);
/* s is a C string in an array of sp->cap + 1 bytes: a string that fills
 * the whole array (no NUL) is over the cap. */
void lm_wr_str(lm_writer *w, const lm_strspec *sp, const char *s);
/* Bytes with a u16 length prefix (a codec's opaque payload). */
void lm_wr_blob16(lm_writer *w, const uint8_t *src, size_t n, size_t cap);
/* The length written, or the error (LM_ETOOBIG when only room ran out). */
int lm_wr_done(const lm_writer *w);

typedef struct lm_reader {
    const uint8_t *p, *end;
    int err; /* first error, an LM_E* code; 0 if none */
} lm_reader;

void lm_rd_init(lm_reader *r, const uint8_t *buf, size_t len);
void lm_rd_fail(lm_reader *r, int code);
/* The next n bytes, or NULL with the error set when fewer are left. */
const uint8_t *lm_rd_bytes(lm_reader *r, size_t n);
uint8_t lm_rd_u8(lm_reader *r); /* 0 on error, as are the others */
uint16_t lm_rd_u16(lm_reader *r);
uint32_t lm_rd_u32(lm_reader *r);
uint64_t lm_rd_u64(lm_reader *r);
int64_t lm_rd_i64(lm_reader *r);
/* Copies a string into out (sp->cap + 1 bytes), NUL-terminated. */
void lm_rd_str(lm_reader *r, const lm_strspec *sp, char *out);
/* Exactly n raw bytes into out; out is left as it was on error. */
void lm_rd_raw(lm_reader *r, uint8_t *out, size_t n);
/* A u16-prefixed blob of at most cap bytes into out; *n gets its length. */
void lm_rd_blob16(lm_reader *r, uint8_t *out, size_t cap, size_t *n);
/* 0 when everything was read cleanly, else the error (trailing bytes are
 * LM_EPROTO). */
int lm_rd_done(const lm_reader *r);

#endif
