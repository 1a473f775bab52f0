/* store_impl.h - what store.c and store_load.c share: the store's
 * private struct and the helpers both use. Nothing outside them. */
#ifndef LM_STORE_IMPL_H
#define LM_STORE_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "sha256.h"
#include "store.h"
#include "store_index.h"

#define NAME_LEN (2 * LM_FILE_ID_LEN + 8) /* hex, ".part" or ".tree", NUL */

typedef struct blob {
    lm_store_rec r;      /* what the index keeps */
    uint32_t n;          /* chunks */
    uint64_t tree_bytes; /* of <id>.tree */
    int fd;              /* the data, -1 when closed */
    lm_hash *tree;       /* mapped, NULL when not */
    uint64_t used;       /* when last used, to close the oldest */
    lm_sha256 whole;     /* partial: the content hashed so far, */
    uint32_t hashed;     /* which is chunks [0, hashed) */
    bool unsynced;       /* partial: written since the last sync */
} blob;

struct lm_store {
    int dirfd, lockfd;
    uint64_t max_total, max_file, reserve;
    blob *blobs; /* LM_STORE_BLOBS_MAX */
    size_t nblobs;
    lm_file_offer *offers; /* LM_STORE_OFFERS_MAX, oldest first */
    size_t noffers;
    bool dirty;     /* the index on disk is behind */
    uint64_t clock; /* for blob.used */
    size_t nopen;
    uint8_t buf[LM_FILE_CHUNK_MAX]; /* scratch for reads */
    uint8_t *ixbuf; /* lm_store_index_max() bytes, made at the first save */
};

/* "<hex of id><suffix>" */
void store_name(const uint8_t id[LM_FILE_ID_LEN], const char *suffix,
                char out[NAME_LEN]);
blob *store_find(lm_store *st, const uint8_t id[LM_FILE_ID_LEN]);
/* A new record's blob at the end (r filled, nothing open); NULL if full. */
blob *store_add(lm_store *st, const lm_store_rec *r);
/* Forgets blob b and its offers; unlink: removes its files too. */
void store_drop(lm_store *st, blob *b, bool unlink_files);
/* Opens b's data and maps its tree (closing the oldest open one past
 * LM_STORE_OPEN_MAX). 0 or LM_EIO. */
int store_open_blob(lm_store *st, blob *b);
void store_close_blob(lm_store *st, blob *b);
/* Reads exactly len bytes at off: 0, LM_EIO, LM_EPROTO when short. */
int store_pread(int fd, uint8_t *buf, size_t len, uint64_t off);
/* Creates <id>.tree of the given size, or LM_EIO. */
int store_make_tree(lm_store *st, const uint8_t id[LM_FILE_ID_LEN],
                    uint64_t bytes);
/* Writes the index atomically. 0 or LM_EIO. */
int store_save(lm_store *st);
/* Loads the index and checks it against the disk (store_load.c). */
int store_load(lm_store *st, lm_store_report *rep);

#endif
