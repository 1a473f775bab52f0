/* file_wire.h - the file service's messages, their codec, and the sizes
 * every part of core/files/ agrees on.
 *
 * A file is named by its id, the SHA-256 of its content, and cut into
 * chunks of `chunk` bytes (the last one shorter); a hash tree over the
 * chunks (ftree.h) has its root in the offer, and every chunk travels with
 * the proof that ties it to that root, so a receiver checks each chunk on
 * arrival without holding a hash per chunk, and fetches again only a chunk
 * that fails. The whole file is checked against its id at the end.
 *
 * The receiver drives a transfer (xfer.h): it asks for ranges of chunks
 * (REQUEST) and never has more than its window asked and not yet arrived,
 * so each REQUEST is also the credit for the bytes it names; the sender
 * sends what was asked and nothing else. HAVE tells what a node holds
 * (the hub to an uploader: "resume from here"; the hub to a downloader:
 * "what I can serve so far", while the upload is still arriving). The
 * uploader opens an upload with an OFFER flagged LM_FILE_UPLOAD; the hub
 * sends each recipient an OFFER, and again on LIST for a late joiner.
 *
 * Layouts after the type byte (uN = N-bit unsigned LE, iN signed, sN =
 * UTF-8 string with an N-bit length prefix, h = 32 raw bytes):
 *
 *   OFFER    id h, size u64, chunk u32, root h, from u64, ts i64, flags u8,
 *            nto u8, nto x to u64, from_name s8, name s8
 *   HAVE     id h, n u8, n x (first u32, count u32)       (n may be 0)
 *   REQUEST  id h, n u8, n x (first u32, count u32)       (n >= 1)
 *   CHUNK    id h, index u32, nproof u8, nproof x h, len u32, len bytes
 *   DONE     id h
 *   REFUSE   id h, code u8 (lm_file_refuse)
 *   CANCEL   id h, code u8 (0: none given, else lm_file_refuse)
 *   LIST     (nothing)
 *
 * Decoding is strict: sizes over LM_FILE_SIZE_MAX, a chunk size that is
 * not a power of two in [LM_FILE_CHUNK_MIN, LM_FILE_CHUNK_MAX], unknown
 * flags, recipients not in ascending order or zero, an empty file name,
 * ranges that are empty, unsorted, touching or past LM_FILE_CHUNKS_MAX,
 * a proof longer than the deepest tree, a chunk of 0 bytes or over
 * LM_FILE_CHUNK_MAX, an unknown refuse code, truncation and trailing bytes
 * are all refused. What decodes encodes back to the same bytes. A
 * declared size is only a number: nothing here allocates by it.
 *
 * Chunk size: at most 64 KiB. A 64 KiB message is ~47 ENet fragments of a
 * 1400-byte MTU (ENet rescans a packet's fragments on every send, so one
 * message must stay small), a 256 KiB window still holds 4 of them in
 * flight, the proof (at most 26 hashes, 832 bytes) stays under 1.3 % of
 * the chunk, and a 4 GiB file is 65,536 chunks: an 8 KiB bitmap if one
 * were kept, a 4 MiB tree on the hub's disk. At least 16 KiB (the size
 * measured at ~790 MB/s in DESIGN.md §10), which bounds a 1 TiB file to
 * 2^26 chunks and its tree to 0.4 % of the file.
 */
#ifndef LM_FILE_WIRE_H
#define LM_FILE_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cursor.h"
#include "wire.h"

#define LM_FILE_ID_LEN 32   /* SHA-256 */
#define LM_FILE_HASH_LEN 32 /* a tree node, SHA-256 as well */
#define LM_FILE_CHUNK_MIN (16u * 1024)
#define LM_FILE_CHUNK_MAX (64u * 1024)
#define LM_FILE_CHUNK_DEFAULT LM_FILE_CHUNK_MAX
#define LM_FILE_SIZE_MAX (1ull << 40) /* 1 TiB: far past any LAN share */
#define LM_FILE_CHUNKS_MAX ((uint32_t)(LM_FILE_SIZE_MAX / LM_FILE_CHUNK_MIN))
#define LM_FILE_DEPTH_MAX 26  /* tree levels above the leaves: 2^26 chunks */
#define LM_FILE_NAME_MAX 255  /* bytes of UTF-8 in a file name (NAME_MAX) */
#define LM_FILE_RANGES_MAX 64 /* ranges in one HAVE or REQUEST */

/* OFFER flags */
#define LM_FILE_UPLOAD 0x01 /* to the hub from its uploader: store this */
#define LM_FILE_LISTED 0x02 /* from the hub, in answer to LIST: not new */
#define LM_FILE_FLAGS (LM_FILE_UPLOAD | LM_FILE_LISTED)

/* Why a transfer is refused (REFUSE). */
typedef enum lm_file_refuse {
    LM_FILE_TOO_BIG = 1,     /* over the per-file cap */
    LM_FILE_STORE_FULL = 2,  /* the store's total cap (--store-max) */
    LM_FILE_DISK_FULL = 3,   /* not enough free disk */
    LM_FILE_BAD_HASH = 4,    /* chunks or the whole file failed to verify */
    LM_FILE_NOT_ALLOWED = 5, /* not a recipient, or not the uploader */
    LM_FILE_UNKNOWN = 6,     /* no such file here */
    LM_FILE_IO = 7,          /* the disk said no */
    LM_FILE_SENDER_LEFT = 8, /* its uploader left before it was all in */
    LM_FILE_REFUSE_END
} lm_file_refuse;

typedef struct lm_file_range {
    uint32_t first; /* chunk index */
    uint32_t count; /* >= 1 */
} lm_file_range;

/* A file as offered: what the hub keeps for each offer and announces. */
typedef struct lm_file_offer {
    uint8_t id[LM_FILE_ID_LEN];     /* SHA-256 of the content */
    uint64_t size;                  /* bytes, <= LM_FILE_SIZE_MAX */
    uint32_t chunk;                 /* bytes per chunk (the last shorter) */
    uint8_t root[LM_FILE_HASH_LEN]; /* hash-tree root (ftree.h) */
    uint64_t from;                  /* the uploader's node id */
    int64_t ts;                     /* UTC ms it was offered */
    uint8_t flags;                  /* LM_FILE_UPLOAD, LM_FILE_LISTED */
    uint8_t nto;                    /* 0: the whole room */
    uint64_t to[LM_MAX_PEERS];      /* ascending, no zero */
    char from_name[LM_NAME_MAX + 1];
    char name[LM_FILE_NAME_MAX + 1]; /* as the sender calls it: hostile,
                                        see safename.h before any use */
} lm_file_offer;

typedef struct lm_file_msg {
    uint8_t type;               /* LM_MSG_FILE_* */
    uint8_t id[LM_FILE_ID_LEN]; /* every type but LIST; for OFFER a copy
                                   of offer.id (the encoder uses offer.id) */
    lm_file_offer offer;        /* OFFER */
    size_t nranges;             /* HAVE, REQUEST */
    lm_file_range ranges[LM_FILE_RANGES_MAX];
    uint32_t index; /* CHUNK */
    size_t nproof;
    uint8_t proof[LM_FILE_DEPTH_MAX][LM_FILE_HASH_LEN];
    const uint8_t *data; /* CHUNK: borrowed from the decoded buffer */
    size_t len;
    uint8_t code; /* REFUSE: lm_file_refuse */
} lm_file_msg;

/* Largest encoded message (a full CHUNK), type byte included. */
#define LM_FILE_WIRE_MAX                                                       \
    (1 + LM_FILE_ID_LEN + 4 + 1 + LM_FILE_DEPTH_MAX * LM_FILE_HASH_LEN + 4 +   \
     LM_FILE_CHUNK_MAX)

/* Returns the length written; LM_EINVAL for a bad type, field, flag,
 * range, code or string; LM_ETOOBIG for a field over its cap or a buffer
 * too small. */
int lm_file_encode(const lm_file_msg *m, uint8_t *buf, size_t cap);
/* Returns 0; LM_EPROTO (truncated, trailing bytes, a field out of its
 * rules), LM_EUTF8 (bad text), LM_ETOOBIG (over a cap), LM_EUNKNOWN (not a
 * file type). For CHUNK, m->data points into buf: valid while buf is.
 * *m is fully written either way; on error only m->type is kept. */
int lm_file_decode(const uint8_t *buf, size_t len, lm_file_msg *m);

/* An offer's fields (OFFER after its type byte), for the store's index,
 * which keeps offers in the same form. */
void lm_file_offer_write(lm_writer *w, const lm_file_offer *o);
void lm_file_offer_read(lm_reader *r, lm_file_offer *o);

/* ---- what every part of core/files/ agrees on ---------------------------- */

/* True when size and chunk are a file the protocol carries. */
bool lm_file_params_ok(uint64_t size, uint32_t chunk);
/* Chunks of a file (0 for an empty one); params must be ok. */
uint32_t lm_file_nchunks(uint64_t size, uint32_t chunk);
/* Bytes of chunk `index` (0 when index is past the end). */
size_t lm_file_chunk_len(uint64_t size, uint32_t chunk, uint32_t index);

/* True when ranges[0..n) are in the form the codec accepts: each
 * non-empty, ascending, neither touching nor overlapping, inside
 * LM_FILE_CHUNKS_MAX. */
bool lm_file_ranges_ok(const lm_file_range *ranges, size_t n);
/* Chunks held from index 0 on: the end of the range starting at 0. */
uint32_t lm_file_ranges_prefix(const lm_file_range *ranges, size_t n);

/* An id as 64 lowercase hex digits and back; parse accepts exactly that
 * (no upper case, no prefix, no trailing byte) and returns 0 or LM_EINVAL. */
void lm_file_id_hex(const uint8_t id[LM_FILE_ID_LEN], char out[65]);
int lm_file_id_parse(const char *s, uint8_t id[LM_FILE_ID_LEN]);

/* A short word for a refuse code ("too_big", ...), for events; "unknown"
 * for a code out of the enum. */
const char *lm_file_refuse_word(uint8_t code);

#endif
