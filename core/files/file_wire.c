/* file_wire.c - the file service's codec (file_wire.h). */
#include "file_wire.h"

#include <string.h>

#include "cursor.h"
#include "err.h"

static const lm_strspec FROM_NAME = {1, LM_NAME_MAX, true};
static const lm_strspec FILE_NAME = {1, LM_FILE_NAME_MAX, false};

/* ---- shared arithmetic --------------------------------------------------- */

bool lm_file_params_ok(uint64_t size, uint32_t chunk)
{
    return size <= LM_FILE_SIZE_MAX && chunk >= LM_FILE_CHUNK_MIN &&
           chunk <= LM_FILE_CHUNK_MAX && (chunk & (chunk - 1)) == 0;
}

uint32_t lm_file_nchunks(uint64_t size, uint32_t chunk)
{
    if (!lm_file_params_ok(size, chunk))
        return 0;
    /* size <= 2^40 and chunk >= 2^14: the count fits 32 bits */
    return (uint32_t)((size + chunk - 1) / chunk);
}

size_t lm_file_chunk_len(uint64_t size, uint32_t chunk, uint32_t index)
{
    if (index >= lm_file_nchunks(size, chunk))
        return 0;
    uint64_t start = (uint64_t)index * chunk;
    uint64_t left = size - start;
    return left < chunk ? (size_t)left : chunk;
}

bool lm_file_ranges_ok(const lm_file_range *ranges, size_t n)
{
    if (n > LM_FILE_RANGES_MAX)
        return false;
    uint64_t end = 0; /* one past the previous range */
    for (size_t i = 0; i < n; i++) {
        uint64_t first = ranges[i].first, count = ranges[i].count;
        if (count == 0 || first + count > LM_FILE_CHUNKS_MAX)
            return false;
        if (i > 0 && first <= end) /* touching or overlapping */
            return false;
        end = first + count;
    }
    return true;
}

uint32_t lm_file_ranges_prefix(const lm_file_range *ranges, size_t n)
{
    if (n == 0 || ranges[0].first != 0)
        return 0;
    return ranges[0].count;
}

void lm_file_id_hex(const uint8_t id[LM_FILE_ID_LEN], char out[65])
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < LM_FILE_ID_LEN; i++) {
        out[2 * i] = digits[id[i] >> 4];
        out[2 * i + 1] = digits[id[i] & 15];
    }
    out[2 * LM_FILE_ID_LEN] = '\0';
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

int lm_file_id_parse(const char *s, uint8_t id[LM_FILE_ID_LEN])
{
    uint8_t out[LM_FILE_ID_LEN];
    if (!s)
        return LM_EINVAL;
    for (size_t i = 0; i < LM_FILE_ID_LEN; i++) {
        /* s[2i] is read only after s[2i-1] was a digit, never past a NUL */
        int hi = hex_digit(s[2 * i]);
        if (hi < 0)
            return LM_EINVAL;
        int lo = hex_digit(s[2 * i + 1]);
        if (lo < 0)
            return LM_EINVAL;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    if (s[2 * LM_FILE_ID_LEN] != '\0')
        return LM_EINVAL;
    memcpy(id, out, sizeof out);
    return 0;
}

const char *lm_file_refuse_word(uint8_t code)
{
    static const char *const words[LM_FILE_REFUSE_END] = {
        [LM_FILE_TOO_BIG] = "too_big",
        [LM_FILE_STORE_FULL] = "store_full",
        [LM_FILE_DISK_FULL] = "disk_full",
        [LM_FILE_BAD_HASH] = "bad_hash",
        [LM_FILE_NOT_ALLOWED] = "not_allowed",
        [LM_FILE_UNKNOWN] = "no_such_file",
        [LM_FILE_IO] = "io_error",
        [LM_FILE_SENDER_LEFT] = "sender_left",
    };
    if (code < LM_FILE_REFUSE_END && words[code])
        return words[code];
    return "bad_code";
}

/* ---- encode -------------------------------------------------------------- */

static bool offer_ok(const lm_file_offer *o)
{
    if (!lm_file_params_ok(o->size, o->chunk) || (o->flags & ~LM_FILE_FLAGS))
        return false;
    if (o->nto > LM_MAX_PEERS)
        return false;
    for (size_t i = 0; i < o->nto; i++)
        if (o->to[i] == 0 || (i > 0 && o->to[i] <= o->to[i - 1]))
            return false;
    return true;
}

void lm_file_offer_write(lm_writer *w, const lm_file_offer *o)
{
    if (!offer_ok(o) || o->name[0] == '\0') {
        lm_wr_fail(w, LM_EINVAL);
        return;
    }
    lm_wr_bytes(w, o->id, LM_FILE_ID_LEN);
    lm_wr_u64(w, o->size);
    lm_wr_u32(w, o->chunk);
    lm_wr_bytes(w, o->root, LM_FILE_HASH_LEN);
    lm_wr_u64(w, o->from);
    lm_wr_i64(w, o->ts);
    lm_wr_u8(w, o->flags);
    lm_wr_u8(w, o->nto);
    for (size_t i = 0; i < o->nto; i++)
        lm_wr_u64(w, o->to[i]);
    lm_wr_str(w, &FROM_NAME, o->from_name);
    lm_wr_str(w, &FILE_NAME, o->name);
}

static void wr_ranges(lm_writer *w, const lm_file_msg *m, bool need_one)
{
    if (!lm_file_ranges_ok(m->ranges, m->nranges) ||
        (need_one && m->nranges == 0)) {
        lm_wr_fail(w, m->nranges > LM_FILE_RANGES_MAX ? LM_ETOOBIG : LM_EINVAL);
        return;
    }
    lm_wr_u8(w, (uint8_t)m->nranges);
    for (size_t i = 0; i < m->nranges; i++) {
        lm_wr_u32(w, m->ranges[i].first);
        lm_wr_u32(w, m->ranges[i].count);
    }
}

static void wr_chunk(lm_writer *w, const lm_file_msg *m)
{
    if (m->nproof > LM_FILE_DEPTH_MAX || m->len > LM_FILE_CHUNK_MAX) {
        lm_wr_fail(w, LM_ETOOBIG);
        return;
    }
    if (m->len == 0 || !m->data || m->index >= LM_FILE_CHUNKS_MAX) {
        lm_wr_fail(w, LM_EINVAL);
        return;
    }
    lm_wr_u32(w, m->index);
    lm_wr_u8(w, (uint8_t)m->nproof);
    for (size_t i = 0; i < m->nproof; i++)
        lm_wr_bytes(w, m->proof[i], LM_FILE_HASH_LEN);
    lm_wr_u32(w, (uint32_t)m->len);
    lm_wr_bytes(w, m->data, m->len);
}

int lm_file_encode(const lm_file_msg *m, uint8_t *buf, size_t cap)
{
    if (!m || (!buf && cap))
        return LM_EINVAL;
    lm_writer w;
    lm_wr_init(&w, buf, cap);
    lm_wr_u8(&w, m->type);
    switch (m->type) {
    case LM_MSG_FILE_OFFER: lm_file_offer_write(&w, &m->offer); break;
    case LM_MSG_FILE_HAVE:
    case LM_MSG_FILE_REQUEST:
        lm_wr_bytes(&w, m->id, LM_FILE_ID_LEN);
        wr_ranges(&w, m, m->type == LM_MSG_FILE_REQUEST);
        break;
    case LM_MSG_FILE_CHUNK:
        lm_wr_bytes(&w, m->id, LM_FILE_ID_LEN);
        wr_chunk(&w, m);
        break;
    case LM_MSG_FILE_REFUSE:
        if (m->code == 0 || m->code >= LM_FILE_REFUSE_END)
            return LM_EINVAL;
        lm_wr_bytes(&w, m->id, LM_FILE_ID_LEN);
        lm_wr_u8(&w, m->code);
        break;
    case LM_MSG_FILE_CANCEL: /* code: why, 0 for no reason given */
        if (m->code >= LM_FILE_REFUSE_END)
            return LM_EINVAL;
        lm_wr_bytes(&w, m->id, LM_FILE_ID_LEN);
        lm_wr_u8(&w, m->code);
        break;
    case LM_MSG_FILE_DONE: lm_wr_bytes(&w, m->id, LM_FILE_ID_LEN); break;
    case LM_MSG_FILE_LIST: break;
    default: return LM_EINVAL;
    }
    return lm_wr_done(&w);
}

/* ---- decode -------------------------------------------------------------- */

void lm_file_offer_read(lm_reader *r, lm_file_offer *o)
{
    lm_rd_raw(r, o->id, LM_FILE_ID_LEN);
    o->size = lm_rd_u64(r);
    o->chunk = lm_rd_u32(r);
    lm_rd_raw(r, o->root, LM_FILE_HASH_LEN);
    o->from = lm_rd_u64(r);
    o->ts = lm_rd_i64(r);
    o->flags = lm_rd_u8(r);
    o->nto = lm_rd_u8(r);
    if (r->err)
        return;
    if (o->nto > LM_MAX_PEERS) {
        lm_rd_fail(r, LM_ETOOBIG);
        return;
    }
    for (size_t i = 0; i < o->nto; i++)
        o->to[i] = lm_rd_u64(r);
    if (!r->err && !offer_ok(o))
        lm_rd_fail(r, LM_EPROTO);
    lm_rd_str(r, &FROM_NAME, o->from_name);
    lm_rd_str(r, &FILE_NAME, o->name);
    if (!r->err && o->name[0] == '\0')
        lm_rd_fail(r, LM_EPROTO);
}

static void rd_ranges(lm_reader *r, lm_file_msg *m, bool need_one)
{
    size_t n = lm_rd_u8(r);
    if (r->err)
        return;
    if (n > LM_FILE_RANGES_MAX) {
        lm_rd_fail(r, LM_ETOOBIG);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        m->ranges[i].first = lm_rd_u32(r);
        m->ranges[i].count = lm_rd_u32(r);
    }
    m->nranges = n;
    if (!r->err && (!lm_file_ranges_ok(m->ranges, n) || (need_one && n == 0)))
        lm_rd_fail(r, LM_EPROTO);
}

static void rd_chunk(lm_reader *r, lm_file_msg *m)
{
    m->index = lm_rd_u32(r);
    size_t np = lm_rd_u8(r);
    if (r->err)
        return;
    if (m->index >= LM_FILE_CHUNKS_MAX) {
        lm_rd_fail(r, LM_EPROTO);
        return;
    }
    if (np > LM_FILE_DEPTH_MAX) {
        lm_rd_fail(r, LM_ETOOBIG);
        return;
    }
    for (size_t i = 0; i < np; i++)
        lm_rd_raw(r, m->proof[i], LM_FILE_HASH_LEN);
    m->nproof = np;
    uint32_t len = lm_rd_u32(r);
    if (r->err)
        return;
    if (len > LM_FILE_CHUNK_MAX) {
        lm_rd_fail(r, LM_ETOOBIG);
        return;
    }
    if (len == 0) {
        lm_rd_fail(r, LM_EPROTO);
        return;
    }
    m->data = lm_rd_bytes(r, len);
    m->len = m->data ? len : 0;
}

int lm_file_decode(const uint8_t *buf, size_t len, lm_file_msg *m)
{
    if (!m || (!buf && len))
        return LM_EINVAL;
    memset(m, 0, sizeof *m);
    if (len == 0)
        return LM_EPROTO;
    if (len > LM_FILE_WIRE_MAX)
        return LM_ETOOBIG;
    lm_reader r;
    lm_rd_init(&r, buf + 1, len - 1);
    m->type = buf[0];
    switch (m->type) {
    case LM_MSG_FILE_OFFER:
        lm_file_offer_read(&r, &m->offer);
        memcpy(m->id, m->offer.id, LM_FILE_ID_LEN);
        break;
    case LM_MSG_FILE_HAVE:
    case LM_MSG_FILE_REQUEST:
        lm_rd_raw(&r, m->id, LM_FILE_ID_LEN);
        rd_ranges(&r, m, m->type == LM_MSG_FILE_REQUEST);
        break;
    case LM_MSG_FILE_CHUNK:
        lm_rd_raw(&r, m->id, LM_FILE_ID_LEN);
        rd_chunk(&r, m);
        break;
    case LM_MSG_FILE_REFUSE:
        lm_rd_raw(&r, m->id, LM_FILE_ID_LEN);
        m->code = lm_rd_u8(&r);
        if (!r.err && (m->code == 0 || m->code >= LM_FILE_REFUSE_END))
            lm_rd_fail(&r, LM_EPROTO);
        break;
    case LM_MSG_FILE_CANCEL:
        lm_rd_raw(&r, m->id, LM_FILE_ID_LEN);
        m->code = lm_rd_u8(&r);
        if (!r.err && m->code >= LM_FILE_REFUSE_END)
            lm_rd_fail(&r, LM_EPROTO);
        break;
    case LM_MSG_FILE_DONE: lm_rd_raw(&r, m->id, LM_FILE_ID_LEN); break;
    case LM_MSG_FILE_LIST: break;
    default: m->type = 0; return LM_EUNKNOWN;
    }
    int rc = lm_rd_done(&r);
    if (rc < 0) { /* nothing half-read is left for a careless caller */
        uint8_t type = m->type;
        memset(m, 0, sizeof *m);
        m->type = type;
    }
    return rc;
}
