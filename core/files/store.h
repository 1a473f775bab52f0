/* store.h - files on disk, content-addressed: the hub's store, and the
 * place a downloader receives into before a file is handed to the user.
 *
 * Under one directory (created 0700), each file is named by its id in hex:
 *
 *   <id>        a complete file, its SHA-256 checked against <id>
 *   <id>.part   a file being received, at its full size (sparse)
 *   <id>.tree   its hash tree (ftree.h), mapped while the file is open
 *   index       what is held and offered (store_index.h), replaced
 *               atomically: index.tmp, fsync, rename, fsync of the folder
 *   index.bad   the last index refused as corrupt, kept for a person
 *   lock        held (flock) while the store is open
 *
 * The same content is stored once, whoever sends it and whatever its name.
 * Every path is the hex of a 32-byte id, made here, opened relative to the
 * store's directory: no name or id from the network ever becomes a path,
 * so nothing is written outside the directory.
 *
 * At open the index is checked against the files (sizes, trees) and every
 * partial's held chunks are read back and checked against its tree before
 * they are trusted (that pass also restarts its running SHA-256). A
 * corrupt index is refused, kept as index.bad, and rebuilt from what is on
 * disk: complete files whose content hashes to their name are kept (their
 * offers are lost), partials are dropped. Chunks are checked against the
 * tree when they arrive and again when they are read, so a byte that rots
 * on disk is never served.
 *
 * Caps: a file over max_file is refused (LM_FILE_TOO_BIG), one that would
 * take the store past max_total (partials counted at their full size,
 * trees included) is refused (LM_FILE_STORE_FULL), and one that the free
 * disk (statvfs, minus what partials will still write, minus reserve)
 * cannot take is refused (LM_FILE_DISK_FULL); a write that meets ENOSPC
 * anyway says LM_FILE_DISK_FULL too.
 *
 * Threads: every call does blocking disk I/O (reads, writes, fsync, whole
 * files hashed at open): it belongs on a worker thread, never on the net
 * thread. One thread owns an lm_store; nothing here is locked.
 */
#ifndef LM_STORE_H
#define LM_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "file_wire.h"
#include "ftree.h"
#include "safename.h"
#include "xfer.h"

#define LM_STORE_MAX_DEFAULT (4ull << 30)      /* --store-max: 4 GiB */
#define LM_STORE_RESERVE_DEFAULT (64ull << 20) /* disk left to others */
#define LM_STORE_OPEN_MAX 16 /* files kept open (and trees mapped) at once */

typedef struct lm_store lm_store;

typedef struct lm_store_config {
    const char *dir;    /* required */
    uint64_t max_total; /* bytes; 0: LM_STORE_MAX_DEFAULT */
    uint64_t max_file;  /* bytes; 0: max_total */
    uint64_t reserve;   /* bytes of disk kept free; 0: the default */
} lm_store_config;

/* What lm_store_open found, for the log and, when rebuilt, for the user. */
typedef struct lm_store_report {
    bool rebuilt;          /* the index was missing or refused */
    char why[160];         /* why it was rebuilt ("" if it was not) */
    size_t files;          /* files held after open, complete or not */
    size_t dropped;        /* records or files that did not check out */
    size_t adopted;        /* complete files found without a record */
    uint32_t chunks_recut; /* held chunks of partials that failed, to fetch */
} lm_store_report;

/* One file as the store holds it. */
typedef struct lm_store_blob {
    uint8_t id[LM_FILE_ID_LEN];
    uint64_t size;
    uint32_t chunk;
    uint8_t root[LM_FILE_HASH_LEN];
    bool complete;
    lm_chunkset held;
    uint64_t bytes; /* held */
} lm_store_blob;

/* Opens (creating the directory, not its parents) and loads the store.
 * Returns 0, LM_EFULL when another process has it open, LM_EIO (errno),
 * LM_ENOMEM, LM_EINVAL. rep may be NULL. */
int lm_store_open(const lm_store_config *cfg, lm_store **out,
                  lm_store_report *rep);
/* Saves the index and closes; NULL-safe. */
void lm_store_close(lm_store *st);

/* Starts receiving a file, or finds it: a complete file of this id comes
 * back with out->complete (stored once; its own chunk size and root); a
 * partial one with what it holds, to resume. A 0-byte file is complete at
 * once. Returns 0, or a negative code with *refuse (may be NULL) set:
 * LM_ETOOBIG (TOO_BIG), LM_EFULL (STORE_FULL or DISK_FULL), LM_EAUTH
 * (BAD_HASH: a partial of this id with another tree, or an empty file
 * whose id or root is not the empty one's), LM_EINVAL (bad params),
 * LM_EIO (IO, or DISK_FULL on ENOSPC). */
int lm_store_begin(lm_store *st, const uint8_t id[LM_FILE_ID_LEN],
                   uint64_t size, uint32_t chunk,
                   const uint8_t root[LM_FILE_HASH_LEN], lm_store_blob *out,
                   uint8_t *refuse);

/* Stores chunk `index` of a partial, checked against its tree with the
 * proof; a chunk held already is a success that writes nothing. When it
 * completes the file, the whole content is checked against its id, made
 * durable and renamed. *out (may be NULL) gets the file's state after.
 * Returns 0; LM_EAUTH: the chunk fails its proof (nothing written: ask
 * for it again); LM_EPROTO: the file is complete but not the content of
 * its id (it is removed: refuse the upload); LM_ENOTFOUND: no partial of
 * this id; LM_EINVAL: index or length not this file's, or past the slots
 * after what is held (xfer.h); LM_EIO (*refuse IO or DISK_FULL). */
int lm_store_put(lm_store *st, const uint8_t id[LM_FILE_ID_LEN], uint32_t index,
                 const uint8_t *data, size_t len, const lm_hash *proof,
                 size_t nproof, lm_store_blob *out, uint8_t *refuse);

/* Reads chunk `index` of a file (complete, or partial and held), checked
 * against its tree, into buf (cap >= the chunk's length) with its proof
 * (LM_FILE_DEPTH_MAX room). Returns 0; LM_ENOTFOUND: no such file;
 * LM_EINVAL: not held or not in the file; LM_EAUTH: the bytes on disk no
 * longer match (the file is dropped); LM_EIO. */
int lm_store_read(lm_store *st, const uint8_t id[LM_FILE_ID_LEN],
                  uint32_t index, uint8_t *buf, size_t cap, size_t *len,
                  lm_hash *proof, size_t *nproof);

/* 0 and *out, or LM_ENOTFOUND. */
int lm_store_info(lm_store *st, const uint8_t id[LM_FILE_ID_LEN],
                  lm_store_blob *out);
/* The i-th file held (any order), false past the end. */
bool lm_store_at(lm_store *st, size_t i, lm_store_blob *out);
/* Removes a file (complete or not) and its offers: 0 or LM_ENOTFOUND. */
int lm_store_remove(lm_store *st, const uint8_t id[LM_FILE_ID_LEN]);
/* Bytes the store counts against max_total, and files held. */
void lm_store_usage(const lm_store *st, uint64_t *bytes, size_t *files);

/* Writes what partials hold to disk and then the index, if anything
 * changed since the last time: call it every second or so while chunks
 * arrive (a completed file is synced at once). 0 or LM_EIO. */
int lm_store_sync(lm_store *st);

/* Keeps an offer of a file the store holds (complete or not); the same
 * offer twice (id, sender, name and recipients) is kept once. 0,
 * LM_ENOTFOUND (no such file), LM_EFULL (LM_STORE_OFFERS_MAX), LM_EINVAL
 * (an offer the codec would refuse). */
int lm_store_add_offer(lm_store *st, const lm_file_offer *o);
/* The i-th offer, oldest first; false past the end. */
bool lm_store_offer_at(const lm_store *st, size_t i, lm_file_offer *out);

/* Hands a complete file to the user: creates a new file under dirfd named
 * from `name` (any bytes: made safe with lm_safename, never replacing a
 * file, see safename.h), mode 0644, and moves the content there (rename
 * when on the same filesystem, else a copy), leaving the store without
 * it; keep: copies and keeps it. The name it got goes in out (cap >=
 * LM_SAFENAME_MAX + 16). Returns 0, LM_ENOTFOUND (no complete file of
 * this id), LM_EFULL (no free name), LM_EIO. */
int lm_store_export(lm_store *st, const uint8_t id[LM_FILE_ID_LEN], int dirfd,
                    const char *name, bool keep, char *out, size_t cap);

#endif
