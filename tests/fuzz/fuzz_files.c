/* fuzz_files.c - libFuzzer target for core/files/: the file messages, the
 * store's index, safe names and a receiver's transfer state, each fed the
 * same bytes.
 *
 *  - codec: decode must not crash, read out of bounds or leak; what
 *    decodes must encode back to exactly the same bytes;
 *  - index: the bytes are taken as an index's body and signed with their
 *    SHA-256 (the fuzzer could never forge the digest), so the records'
 *    checks are what is exercised; what decodes encodes back the same;
 *  - safe names: whatever the bytes, the name is safe (safename_check.h);
 *  - transfer: the bytes drive a receiver (ask, chunk arrives good or bad,
 *    link lost, sender's holdings) and its invariants must hold: nothing
 *    asked past the file, the window or the slots, held chunks inside the
 *    file, bytes held never above the size. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "files/file_wire.h"
#include "files/safename.h"
#include "files/sha256.h"
#include "files/store_index.h"
#include "files/xfer.h"
#include "safename_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void codec(const uint8_t *data, size_t size)
{
    static lm_file_msg m;
    static uint8_t out[LM_FILE_WIRE_MAX];
    if (lm_file_decode(data, size, &m) != 0)
        return;
    int n = lm_file_encode(&m, out, sizeof out);
    if (n < 0 || (size_t)n != size || memcmp(out, data, size) != 0)
        abort(); /* decode accepted what encode would not write back */
}

static void index_body(const uint8_t *data, size_t size)
{
    static lm_store_rec recs[LM_STORE_BLOBS_MAX];
    static lm_file_offer offers[LM_STORE_OFFERS_MAX];
    static uint8_t in[16384 + LM_SHA256_LEN], out[16384 + LM_SHA256_LEN];
    if (size > 16384)
        return;
    memcpy(in, data, size);
    lm_sha256_buf(in, size, in + size);
    lm_store_index ix = {0, recs, 0, offers};
    if (lm_store_index_decode(in, size + LM_SHA256_LEN, &ix, NULL) != 0)
        return;
    int n = lm_store_index_encode(&ix, out, sizeof out);
    if (n < 0 || (size_t)n != size + LM_SHA256_LEN || memcmp(out, in, size))
        abort();
}

static void names(const uint8_t *data, size_t size)
{
    char out[LM_SAFENAME_MAX + 1];
    lm_safename((const char *)data, size, out);
    if (safename_problem(out))
        abort();
}

static void check_xfer(const lm_xfer *x)
{
    if (lm_xfer_inflight(x) > x->slots || x->held.next > x->nchunks ||
        !lm_chunkset_ok(&x->held, x->nchunks) || (x->asked & x->held.bits) ||
        lm_xfer_bytes(x) > x->size)
        abort();
}

/* First 8 bytes: size (40 bits), chunk size (2 bits), window; then one
 * byte of op and one or two of argument per step. */
static void transfer(const uint8_t *data, size_t size)
{
    if (size < 8)
        return;
    uint64_t fsize = 0;
    for (int i = 0; i < 5; i++)
        fsize |= (uint64_t)data[i] << (8 * i);
    uint32_t chunk = LM_FILE_CHUNK_MIN << (data[5] % 3);
    uint32_t window = (uint32_t)data[6] << 12;
    lm_xfer x;
    if (lm_xfer_init(&x, fsize, chunk, window) != 0)
        abort(); /* 40 bits of size and these chunks are always carried */
    for (size_t i = 8; i + 1 < size; i += 2) {
        uint8_t op = data[i] % 6, arg = data[i + 1];
        uint32_t index = x.held.next + arg % 80; /* near the window */
        lm_file_range r[LM_FILE_RANGES_MAX];
        switch (op) {
        case 0: {
            size_t n = lm_xfer_asks(&x, (int64_t)i, r, 1 + arg % 8);
            if (!lm_file_ranges_ok(r, n))
                abort();
            for (size_t k = 0; k < n; k++)
                if ((uint64_t)r[k].first + r[k].count > x.nchunks ||
                    r[k].first < x.held.next ||
                    r[k].first + r[k].count > x.held.next + LM_XFER_SLOTS)
                    abort();
            break;
        }
        case 1:
        case 2: {
            size_t len = lm_file_chunk_len(x.size, x.chunk, index);
            if (lm_xfer_check(&x, index, len) == LM_XFER_TAKE &&
                lm_xfer_arrived(&x, index, op == 1, (int64_t)i) < 0 &&
                !x.failed)
                abort();
            break;
        }
        case 3: lm_xfer_lost(&x); break;
        case 4: lm_xfer_sender_has(&x, x.held.next + arg); break;
        case 5: { /* what is not to be taken changes nothing held */
            lm_xfer_verdict v = lm_xfer_check(&x, index, arg);
            lm_chunkset before = x.held;
            if ((v == LM_XFER_DUP || v == LM_XFER_UNASKED ||
                 v == LM_XFER_RANGE) &&
                (lm_xfer_arrived(&x, index, true, 0) != LM_EINVAL ||
                 before.next != x.held.next || before.bits != x.held.bits))
                abort();
            break;
        }
        }
        check_xfer(&x);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    codec(data, size);
    index_body(data, size);
    names(data, size);
    transfer(data, size);
    return 0;
}
