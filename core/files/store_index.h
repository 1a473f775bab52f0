/* store_index.h - the store's index file as bytes and back, pure.
 *
 * The index says which files the store holds (each one's id, size, chunk
 * size, tree root, whether it is complete and, if not, which chunks it
 * holds) and what was offered from them (the offers, as file_wire.h has
 * them). Layout, with core/cursor.h's little-endian fields:
 *
 *   magic "LMSTORE1" (8 bytes)
 *   nblobs u32, nblobs x (id h, size u64, chunk u32, root h, complete u8,
 *                         next u32, bits u64)
 *   noffers u32, noffers x (an OFFER's fields, file_wire.h)
 *   SHA-256 of every byte before it (32 bytes)
 *
 * The file is read from disk and is as hostile as a packet: decoding
 * checks the digest first (a torn or edited file is refused whole), then
 * every record: sizes and chunk sizes the protocol carries, the held set
 * of a partial (lm_chunkset_ok) and of a complete file (everything), ids
 * strictly ascending (no duplicates), each offer of a file in the index.
 * What decodes encodes back to the same bytes.
 */
#ifndef LM_STORE_INDEX_H
#define LM_STORE_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "file_wire.h"
#include "xfer.h"

#define LM_STORE_BLOBS_MAX 1024  /* files one store holds */
#define LM_STORE_OFFERS_MAX 1024 /* offers it keeps */
#define LM_STORE_MAGIC "LMSTORE1"

typedef struct lm_store_rec {
    uint8_t id[LM_FILE_ID_LEN];
    uint64_t size;
    uint32_t chunk;
    uint8_t root[LM_FILE_HASH_LEN];
    bool complete;
    lm_chunkset held; /* complete: {nchunks, 0} */
} lm_store_rec;

/* The arrays are the caller's: LM_STORE_BLOBS_MAX and LM_STORE_OFFERS_MAX
 * entries. Blobs in ascending id order (lm_store_index_sort). */
typedef struct lm_store_index {
    size_t nblobs;
    lm_store_rec *blobs;
    size_t noffers;
    lm_file_offer *offers;
} lm_store_index;

/* Largest index: every record at its longest, and the digest. */
size_t lm_store_index_max(void);

void lm_store_index_sort(lm_store_index *ix);
/* Returns the length written, LM_EINVAL for a record the decoder would
 * refuse, LM_ETOOBIG when buf is too small. */
int lm_store_index_encode(const lm_store_index *ix, uint8_t *buf, size_t cap);
/* Returns 0 or LM_EPROTO (with *why, a phrase for the log and the user:
 * "digest mismatch", ...), LM_ETOOBIG for counts over the maximum. */
int lm_store_index_decode(const uint8_t *buf, size_t len, lm_store_index *ix,
                          const char **why);

#endif
