/* xfer.h - one transfer's state, pure: which chunks are held, which to
 * ask for next, how many may be in flight, and the sender's queue.
 *
 * The receiver drives (file_wire.h): it asks for chunks with REQUEST and
 * never has more than its window asked and not yet arrived (~256 KiB, the
 * window DESIGN.md §10 measured at ~790 MB/s with chat at p99 1.8 ms), and
 * asks again each time 64 KiB of it is free (the measured credit step).
 * A chunk it did not ask for is refused; one it holds is a duplicate; one
 * that fails its hash is asked for again, and a transfer whose chunks keep
 * failing (LM_XFER_BAD_MAX) fails. What it holds is a prefix and a bitmap
 * of the LM_XFER_SLOTS chunks after it (lm_chunkset): a fixed size
 * whatever the file, since nothing past the window is ever asked; it is
 * what a partial file keeps to resume "from where it stopped".
 *
 * The sender keeps the receiver's asks in a bounded queue (lm_xsend) and
 * sends, oldest first, each asked chunk it holds; asks past the bound or
 * past the file are refused, so a receiver cannot make it queue a file.
 *
 * No I/O, no clock of its own (times are passed in), no allocation. The
 * owner of the struct is the only thread that touches it (the net thread
 * in the service).
 */
#ifndef LM_XFER_H
#define LM_XFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "file_wire.h"

#define LM_XFER_SLOTS 64                 /* chunks tracked past the prefix */
#define LM_XFER_WINDOW (256u * 1024)     /* bytes asked, not yet arrived */
#define LM_XFER_CREDIT_STEP (64u * 1024) /* ask again when this is free */
#define LM_XFER_BAD_MAX 16 /* chunks failing their hash before giving up */
#define LM_XSEND_QUEUE_MAX (2 * LM_XFER_SLOTS) /* chunks a sender queues */

/* Chunks held: all of [0, next), and next + i for each bit i of bits. */
typedef struct lm_chunkset {
    uint32_t next;
    uint64_t bits;
} lm_chunkset;

/* True when s is a set of chunks of an n-chunk file with its prefix as
 * long as it can be (bit 0 clear) and nothing past n. */
bool lm_chunkset_ok(const lm_chunkset *s, uint32_t n);
bool lm_chunkset_has(const lm_chunkset *s, uint32_t i);
/* Adds chunk i of n; LM_EINVAL past n, LM_ETOOBIG past the slots after the
 * prefix. Holding it already is fine. */
int lm_chunkset_add(lm_chunkset *s, uint32_t n, uint32_t i);
/* Chunks held. */
uint32_t lm_chunkset_count(const lm_chunkset *s);
/* Bytes held of a file of `size` in `chunk`-byte chunks. */
uint64_t lm_chunkset_bytes(const lm_chunkset *s, uint64_t size, uint32_t chunk);
/* The held chunks as ranges (for HAVE); returns how many were written,
 * at most cap (LM_FILE_RANGES_MAX is always enough: 1 + 32 runs). */
size_t lm_chunkset_ranges(const lm_chunkset *s, lm_file_range *out, size_t cap);

/* What lm_xfer_check says of an arriving chunk. */
typedef enum lm_xfer_verdict {
    LM_XFER_TAKE = 0, /* asked and the right length: verify it, then say
                         lm_xfer_arrived */
    LM_XFER_DUP,      /* held already: drop it */
    LM_XFER_UNASKED,  /* not asked, or past the window: refuse it */
    LM_XFER_BADLEN,   /* not the length of that chunk: refuse it */
    LM_XFER_RANGE,    /* past the end of the file: refuse it */
} lm_xfer_verdict;

typedef struct lm_xfer {
    uint64_t size;
    uint32_t chunk, nchunks;
    lm_chunkset held;
    uint64_t asked;  /* bit i: chunk held.next + i asked, not arrived */
    uint32_t slots;  /* most chunks asked at once */
    uint32_t step;   /* ask again when this many slots are free */
    uint32_t avail;  /* the sender holds [0, avail) */
    int64_t last_us; /* the last ask or arrival */
    uint32_t bad, dup, refused; /* counters, for stats */
    bool failed;                /* too many bad chunks: nothing more is asked */
} lm_xfer;

/* A transfer of nothing held yet. window: bytes in flight, 0 for
 * LM_XFER_WINDOW (at least one chunk, at most LM_XFER_SLOTS). The sender
 * is assumed to hold everything until lm_xfer_sender_has says otherwise.
 * LM_EINVAL for params the protocol does not carry. */
int lm_xfer_init(lm_xfer *x, uint64_t size, uint32_t chunk, uint32_t window);
/* Resumes with what a partial file holds (LM_EINVAL if not a set of this
 * file's chunks); nothing is asked. */
int lm_xfer_restore(lm_xfer *x, const lm_chunkset *held);
/* The sender holds chunks [0, prefix) (from its HAVE). May go down: a new
 * hub may hold less than the old one did. */
void lm_xfer_sender_has(lm_xfer *x, uint32_t prefix);

/* The chunks to ask for now, lowest first, as at most cap ranges for one
 * REQUEST; they count as asked from here on. 0 when nothing is to be
 * asked (window full, everything asked or held, complete or failed). */
size_t lm_xfer_asks(lm_xfer *x, int64_t now_us, lm_file_range *out, size_t cap);

/* Judges a chunk that arrived (index, len bytes); changes only the
 * counters (dup, refused). */
lm_xfer_verdict lm_xfer_check(lm_xfer *x, uint32_t index, size_t len);
/* A chunk lm_xfer_check took, after its hash was checked: held if good,
 * asked again later if not. Returns 0, LM_EAUTH when this bad chunk makes
 * the transfer fail, LM_EINVAL for a chunk that was not to be taken. */
int lm_xfer_arrived(lm_xfer *x, uint32_t index, bool good, int64_t now_us);
/* What was asked will not come (a link replaced, a new sender): forgets
 * the asks, so lm_xfer_asks asks again. */
void lm_xfer_lost(lm_xfer *x);

bool lm_xfer_complete(const lm_xfer *x);
uint32_t lm_xfer_inflight(const lm_xfer *x); /* chunks asked, not arrived */
uint64_t lm_xfer_bytes(const lm_xfer *x);    /* bytes held: progress */
/* True when chunks are asked and none arrived for after_us. */
bool lm_xfer_stalled(const lm_xfer *x, int64_t now_us, int64_t after_us);

/* ---- the sender's side --------------------------------------------------- */

typedef struct lm_xsend {
    uint32_t nchunks;
    uint32_t have;                       /* this sender holds [0, have) */
    lm_file_range q[LM_FILE_RANGES_MAX]; /* asked, oldest first */
    size_t nq;
    uint32_t queued;  /* chunks in q */
    uint32_t refused; /* asks refused, for stats */
} lm_xsend;

/* LM_EINVAL when have > nchunks or nchunks is past the protocol. */
int lm_xsend_init(lm_xsend *s, uint32_t nchunks, uint32_t have);
void lm_xsend_set_have(lm_xsend *s, uint32_t have);
/* Queues one REQUEST's ranges, all or nothing: LM_EINVAL for a range past
 * the file or not in the codec's form, LM_EFULL when the queue would pass
 * LM_XSEND_QUEUE_MAX chunks or its ranges (a receiver past its window). */
int lm_xsend_ask(lm_xsend *s, const lm_file_range *r, size_t n);
/* The oldest asked chunk this sender holds, taken off the queue; false
 * when there is none (asks for chunks not held yet stay queued). */
bool lm_xsend_next(lm_xsend *s, uint32_t *index);
void lm_xsend_clear(lm_xsend *s); /* the link was replaced */

#endif
