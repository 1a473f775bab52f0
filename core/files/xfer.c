/* xfer.c - one transfer's state (xfer.h). */
#include "xfer.h"

#include <string.h>

#include "err.h"

/* ---- the set of chunks held ---------------------------------------------- */

bool lm_chunkset_ok(const lm_chunkset *s, uint32_t n)
{
    if (s->next > n || (s->bits & 1))
        return false;
    uint64_t room = (uint64_t)n - s->next; /* chunks after the prefix */
    return room >= 64 || (s->bits >> room) == 0;
}

bool lm_chunkset_has(const lm_chunkset *s, uint32_t i)
{
    if (i < s->next)
        return true;
    uint64_t off = (uint64_t)i - s->next;
    return off < 64 && ((s->bits >> off) & 1);
}

/* Moves the prefix over the bits that join it; `also` shifts along. */
static void advance(lm_chunkset *s, uint64_t *also)
{
    while (s->bits & 1) {
        s->bits >>= 1;
        s->next++;
        if (also)
            *also >>= 1;
    }
}

int lm_chunkset_add(lm_chunkset *s, uint32_t n, uint32_t i)
{
    if (i >= n)
        return LM_EINVAL;
    if (i < s->next)
        return 0;
    uint64_t off = (uint64_t)i - s->next;
    if (off >= LM_XFER_SLOTS)
        return LM_ETOOBIG;
    s->bits |= 1ull << off;
    advance(s, NULL);
    return 0;
}

uint32_t lm_chunkset_count(const lm_chunkset *s)
{
    return s->next + (uint32_t)__builtin_popcountll(s->bits);
}

uint64_t lm_chunkset_bytes(const lm_chunkset *s, uint64_t size, uint32_t chunk)
{
    uint32_t n = lm_file_nchunks(size, chunk);
    if (n == 0)
        return 0;
    uint64_t bytes = (uint64_t)lm_chunkset_count(s) * chunk;
    if (lm_chunkset_has(s, n - 1)) /* the last chunk may be short */
        bytes -= chunk - lm_file_chunk_len(size, chunk, n - 1);
    return bytes;
}

size_t lm_chunkset_ranges(const lm_chunkset *s, lm_file_range *out, size_t cap)
{
    size_t k = 0;
    if (s->next > 0 && k < cap)
        out[k++] = (lm_file_range){0, s->next};
    uint64_t bits = s->bits;
    for (unsigned i = 0; i < 64 && k < cap;) {
        if (!((bits >> i) & 1)) {
            i++;
            continue;
        }
        unsigned j = i;
        while (j < 64 && ((bits >> j) & 1))
            j++;
        out[k++] = (lm_file_range){s->next + i, j - i};
        i = j;
    }
    return k;
}

/* ---- the receiver -------------------------------------------------------- */

int lm_xfer_init(lm_xfer *x, uint64_t size, uint32_t chunk, uint32_t window)
{
    if (!lm_file_params_ok(size, chunk))
        return LM_EINVAL;
    memset(x, 0, sizeof *x);
    x->size = size;
    x->chunk = chunk;
    x->nchunks = lm_file_nchunks(size, chunk);
    if (window == 0)
        window = LM_XFER_WINDOW;
    uint32_t slots = window / chunk;
    x->slots = slots < 1 ? 1 : slots > LM_XFER_SLOTS ? LM_XFER_SLOTS : slots;
    uint32_t step = LM_XFER_CREDIT_STEP / chunk;
    x->step = step < 1 ? 1 : step > x->slots ? x->slots : step;
    x->avail = x->nchunks;
    return 0;
}

int lm_xfer_restore(lm_xfer *x, const lm_chunkset *held)
{
    if (!lm_chunkset_ok(held, x->nchunks))
        return LM_EINVAL;
    x->held = *held;
    x->asked = 0;
    return 0;
}

void lm_xfer_sender_has(lm_xfer *x, uint32_t prefix)
{
    x->avail = prefix < x->nchunks ? prefix : x->nchunks;
}

bool lm_xfer_complete(const lm_xfer *x)
{
    return x->held.next == x->nchunks;
}

uint32_t lm_xfer_inflight(const lm_xfer *x)
{
    return (uint32_t)__builtin_popcountll(x->asked);
}

uint64_t lm_xfer_bytes(const lm_xfer *x)
{
    return lm_chunkset_bytes(&x->held, x->size, x->chunk);
}

bool lm_xfer_stalled(const lm_xfer *x, int64_t now_us, int64_t after_us)
{
    return x->asked != 0 && now_us - x->last_us >= after_us;
}

/* Offsets past the prefix that may be asked: not held, not asked, inside
 * the file, the sender's holdings and the slots. */
static uint64_t askable(const lm_xfer *x)
{
    uint64_t end = x->nchunks < x->avail ? x->nchunks : x->avail;
    if (end <= x->held.next)
        return 0;
    uint64_t room = end - x->held.next;
    uint64_t mask = room >= 64 ? ~0ull : (1ull << room) - 1;
    return mask & ~x->held.bits & ~x->asked;
}

size_t lm_xfer_asks(lm_xfer *x, int64_t now_us, lm_file_range *out, size_t cap)
{
    if (x->failed || lm_xfer_complete(x) || cap == 0)
        return 0;
    uint64_t want = askable(x);
    uint32_t wanted = (uint32_t)__builtin_popcountll(want);
    uint32_t inflight = lm_xfer_inflight(x);
    uint32_t room = x->slots > inflight ? x->slots - inflight : 0;
    /* Ask in steps of the credit, unless what is left is less: then the
     * end of the file (or of what the sender holds) waits for nothing. */
    if (wanted == 0 || room == 0 || (room < x->step && room < wanted))
        return 0;
    uint32_t take = room < wanted ? room : wanted;
    size_t k = 0;
    for (unsigned i = 0; i < 64 && take > 0; i++) {
        if (!((want >> i) & 1))
            continue;
        uint32_t idx = x->held.next + i;
        if (k > 0 && out[k - 1].first + out[k - 1].count == idx) {
            out[k - 1].count++;
        } else {
            if (k == cap)
                break;
            out[k++] = (lm_file_range){idx, 1};
        }
        x->asked |= 1ull << i;
        take--;
    }
    if (inflight == 0) /* the wait for an arrival starts now */
        x->last_us = now_us;
    return k;
}

lm_xfer_verdict lm_xfer_check(lm_xfer *x, uint32_t index, size_t len)
{
    if (index >= x->nchunks) {
        x->refused++;
        return LM_XFER_RANGE;
    }
    if (lm_chunkset_has(&x->held, index)) {
        x->dup++;
        return LM_XFER_DUP;
    }
    uint64_t off = (uint64_t)index - x->held.next;
    if (off >= 64 || !((x->asked >> off) & 1)) {
        x->refused++;
        return LM_XFER_UNASKED;
    }
    if (len != lm_file_chunk_len(x->size, x->chunk, index)) {
        x->refused++;
        return LM_XFER_BADLEN;
    }
    return LM_XFER_TAKE;
}

int lm_xfer_arrived(lm_xfer *x, uint32_t index, bool good, int64_t now_us)
{
    if (index >= x->nchunks || index < x->held.next)
        return LM_EINVAL;
    uint64_t off = (uint64_t)index - x->held.next;
    if (off >= 64 || !((x->asked >> off) & 1))
        return LM_EINVAL;
    x->asked &= ~(1ull << off);
    x->last_us = now_us;
    if (!good) {
        if (++x->bad > LM_XFER_BAD_MAX) {
            x->failed = true;
            x->asked = 0;
            return LM_EAUTH;
        }
        return 0; /* still wanted: the next lm_xfer_asks asks again */
    }
    x->held.bits |= 1ull << off;
    advance(&x->held, &x->asked);
    return 0;
}

void lm_xfer_lost(lm_xfer *x)
{
    x->asked = 0;
}

/* ---- the sender ---------------------------------------------------------- */

int lm_xsend_init(lm_xsend *s, uint32_t nchunks, uint32_t have)
{
    if (nchunks > LM_FILE_CHUNKS_MAX || have > nchunks)
        return LM_EINVAL;
    memset(s, 0, sizeof *s);
    s->nchunks = nchunks;
    s->have = have;
    return 0;
}

void lm_xsend_set_have(lm_xsend *s, uint32_t have)
{
    s->have = have < s->nchunks ? have : s->nchunks;
}

int lm_xsend_ask(lm_xsend *s, const lm_file_range *r, size_t n)
{
    if (!lm_file_ranges_ok(r, n))
        return LM_EINVAL;
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if ((uint64_t)r[i].first + r[i].count > s->nchunks) {
            s->refused++;
            return LM_EINVAL;
        }
        total += r[i].count;
    }
    /* the first may join the newest queued range */
    bool joins = n > 0 && s->nq > 0 &&
                 s->q[s->nq - 1].first + s->q[s->nq - 1].count == r[0].first;
    size_t need = s->nq + n - (joins ? 1 : 0);
    if (s->queued + total > LM_XSEND_QUEUE_MAX || need > LM_FILE_RANGES_MAX) {
        s->refused++;
        return LM_EFULL;
    }
    for (size_t i = 0; i < n; i++) {
        if (i == 0 && joins)
            s->q[s->nq - 1].count += r[0].count;
        else
            s->q[s->nq++] = r[i];
    }
    s->queued += (uint32_t)total;
    return 0;
}

bool lm_xsend_next(lm_xsend *s, uint32_t *index)
{
    for (size_t i = 0; i < s->nq; i++) {
        lm_file_range *q = &s->q[i];
        if (q->first >= s->have)
            continue;
        *index = q->first++;
        s->queued--;
        if (--q->count == 0) {
            memmove(q, q + 1, (s->nq - i - 1) * sizeof *q);
            s->nq--;
        }
        return true;
    }
    return false;
}

void lm_xsend_clear(lm_xsend *s)
{
    s->nq = 0;
    s->queued = 0;
}
