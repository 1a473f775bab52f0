/* store_index.c - the store's index file as bytes and back
 * (store_index.h). */
#include "store_index.h"

#include <stdlib.h>
#include <string.h>

#include "cursor.h"
#include "err.h"
#include "sha256.h"

#define MAGIC_LEN 8
#define REC_SIZE (LM_FILE_ID_LEN + 8 + 4 + LM_FILE_HASH_LEN + 1 + 4 + 8)
/* an OFFER's fields at their longest (file_wire.h) */
#define OFFER_SIZE                                                             \
    (LM_FILE_ID_LEN + 8 + 4 + LM_FILE_HASH_LEN + 8 + 8 + 1 + 1 +               \
     8 * LM_MAX_PEERS + 1 + LM_NAME_MAX + 1 + LM_FILE_NAME_MAX)

size_t lm_store_index_max(void)
{
    return MAGIC_LEN + 4 + (size_t)LM_STORE_BLOBS_MAX * REC_SIZE + 4 +
           (size_t)LM_STORE_OFFERS_MAX * OFFER_SIZE + LM_SHA256_LEN;
}

static int cmp_rec(const void *a, const void *b)
{
    return memcmp(((const lm_store_rec *)a)->id, ((const lm_store_rec *)b)->id,
                  LM_FILE_ID_LEN);
}

void lm_store_index_sort(lm_store_index *ix)
{
    if (ix->nblobs > 1)
        qsort(ix->blobs, ix->nblobs, sizeof ix->blobs[0], cmp_rec);
}

static bool rec_ok(const lm_store_rec *r)
{
    if (!lm_file_params_ok(r->size, r->chunk))
        return false;
    uint32_t n = lm_file_nchunks(r->size, r->chunk);
    if (r->complete)
        return r->held.next == n && r->held.bits == 0;
    return lm_chunkset_ok(&r->held, n) && r->held.next < n;
}

static bool has_blob(const lm_store_index *ix, const uint8_t id[LM_FILE_ID_LEN])
{
    lm_store_rec key = {.size = 0}; /* only the id is compared */
    memcpy(key.id, id, LM_FILE_ID_LEN);
    return bsearch(&key, ix->blobs, ix->nblobs, sizeof key, cmp_rec) != NULL;
}

/* Everything the decoder checks beyond the bytes themselves. */
static const char *index_problem(const lm_store_index *ix)
{
    for (size_t i = 0; i < ix->nblobs; i++) {
        if (!rec_ok(&ix->blobs[i]))
            return "a file record out of bounds";
        if (i > 0 && cmp_rec(&ix->blobs[i - 1], &ix->blobs[i]) >= 0)
            return "file ids not in ascending order";
    }
    for (size_t i = 0; i < ix->noffers; i++)
        if (!has_blob(ix, ix->offers[i].id))
            return "an offer of a file the index does not hold";
    return NULL;
}

int lm_store_index_encode(const lm_store_index *ix, uint8_t *buf, size_t cap)
{
    if (!ix || (!buf && cap))
        return LM_EINVAL;
    if (ix->nblobs > LM_STORE_BLOBS_MAX || ix->noffers > LM_STORE_OFFERS_MAX)
        return LM_ETOOBIG;
    if (index_problem(ix))
        return LM_EINVAL;
    lm_writer w;
    lm_wr_init(&w, buf, cap);
    lm_wr_bytes(&w, LM_STORE_MAGIC, MAGIC_LEN);
    lm_wr_u32(&w, (uint32_t)ix->nblobs);
    for (size_t i = 0; i < ix->nblobs; i++) {
        const lm_store_rec *r = &ix->blobs[i];
        lm_wr_bytes(&w, r->id, LM_FILE_ID_LEN);
        lm_wr_u64(&w, r->size);
        lm_wr_u32(&w, r->chunk);
        lm_wr_bytes(&w, r->root, LM_FILE_HASH_LEN);
        lm_wr_u8(&w, r->complete ? 1 : 0);
        lm_wr_u32(&w, r->held.next);
        lm_wr_u64(&w, r->held.bits);
    }
    lm_wr_u32(&w, (uint32_t)ix->noffers);
    for (size_t i = 0; i < ix->noffers; i++)
        lm_file_offer_write(&w, &ix->offers[i]);
    int len = lm_wr_done(&w);
    if (len < 0)
        return len;
    if (cap - (size_t)len < LM_SHA256_LEN)
        return LM_ETOOBIG;
    lm_sha256_buf(buf, (size_t)len, buf + len);
    return len + LM_SHA256_LEN;
}

int lm_store_index_decode(const uint8_t *buf, size_t len, lm_store_index *ix,
                          const char **why)
{
    static const char *unused;
    if (!why)
        why = &unused;
    *why = NULL;
    ix->nblobs = ix->noffers = 0;
    if (!buf || len < MAGIC_LEN + 4 + 4 + LM_SHA256_LEN) {
        *why = "too short to be an index";
        return LM_EPROTO;
    }
    if (len > lm_store_index_max()) {
        *why = "larger than any index";
        return LM_ETOOBIG;
    }
    if (memcmp(buf, LM_STORE_MAGIC, MAGIC_LEN) != 0) {
        *why = "not a store index (bad magic)";
        return LM_EPROTO;
    }
    uint8_t digest[LM_SHA256_LEN];
    size_t body = len - LM_SHA256_LEN;
    lm_sha256_buf(buf, body, digest);
    if (memcmp(digest, buf + body, LM_SHA256_LEN) != 0) {
        *why = "digest mismatch (torn or altered)";
        return LM_EPROTO;
    }
    lm_reader r;
    lm_rd_init(&r, buf + MAGIC_LEN, body - MAGIC_LEN);
    uint32_t nb = lm_rd_u32(&r);
    if (!r.err && nb > LM_STORE_BLOBS_MAX) {
        *why = "more files than a store holds";
        return LM_ETOOBIG;
    }
    for (uint32_t i = 0; i < nb && !r.err; i++) {
        lm_store_rec *rec = &ix->blobs[i];
        memset(rec, 0, sizeof *rec);
        lm_rd_raw(&r, rec->id, LM_FILE_ID_LEN);
        rec->size = lm_rd_u64(&r);
        rec->chunk = lm_rd_u32(&r);
        lm_rd_raw(&r, rec->root, LM_FILE_HASH_LEN);
        uint8_t complete = lm_rd_u8(&r);
        rec->held.next = lm_rd_u32(&r);
        rec->held.bits = lm_rd_u64(&r);
        if (!r.err && complete > 1)
            lm_rd_fail(&r, LM_EPROTO);
        rec->complete = complete == 1;
    }
    uint32_t no = lm_rd_u32(&r);
    if (!r.err && no > LM_STORE_OFFERS_MAX) {
        *why = "more offers than a store keeps";
        return LM_ETOOBIG;
    }
    for (uint32_t i = 0; i < no && !r.err; i++) {
        memset(&ix->offers[i], 0, sizeof ix->offers[i]);
        lm_file_offer_read(&r, &ix->offers[i]);
    }
    int rc = lm_rd_done(&r);
    if (rc < 0) {
        *why = "a record does not parse";
        return LM_EPROTO;
    }
    ix->nblobs = nb;
    ix->noffers = no;
    const char *problem = index_problem(ix);
    if (problem) {
        ix->nblobs = ix->noffers = 0;
        *why = problem;
        return LM_EPROTO;
    }
    return 0;
}
