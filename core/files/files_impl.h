/* files_impl.h - what files.c (the net thread), files_io.c (the disk
 * worker) and files_cmd.c (the commands) share. Not a public header.
 *
 * Ownership: struct lm_files is the net thread's, except the job queue
 * (its mutex) and the worker's part (wk), which only the worker touches
 * after lm_files_attach. A job is owned by whoever holds it: the net
 * thread fills it and queues it, the worker runs it and posts it back,
 * the net thread reads the answer and frees it. */
#ifndef LM_FILES_IMPL_H
#define LM_FILES_IMPL_H

#include <pthread.h>
#include <stdatomic.h>

#include "files.h"
#include "files/ftree.h"
#include "files/store.h"
#include "files/store_index.h"
#include "files/xfer.h"

#define FX_OFFERS 256  /* offers a node keeps (to it, or in its hub store) */
#define FX_BLOBS LM_STORE_BLOBS_MAX
#define FX_RX 16       /* transfers this node receives at once */
#define FX_TX 32       /* transfers this node serves at once */
#define FX_UP 16       /* its own uploads not finished */
#define FX_SRC FX_UP   /* files the worker keeps open to send */
#define FX_READS 16    /* chunks read ahead per served transfer (in the
                          worker or held for the link): a 1 MiB window */
#define FX_JOBS 1024   /* jobs queued for the worker: 32 served
                          transfers x 16 reads, 16 received x 16 puts at
                          most, with room for the rest */
#define FX_PROGRESS_US 250000 /* file_progress at most 4 a second */
#define FX_STALL_US 3000000   /* asked and nothing came: ask again */
/* Bytes asked per transfer and not yet arrived. The credit goes round
 * through both workers and both net threads, so a window of 4 chunks left
 * the link idle between rounds (30 MB/s through the hub, bench_files);
 * 16 chunks keep it busy. What the window lets the sender have ready is
 * not all queued in ENet: see FX_QUEUE_MAX. */
#define FX_WINDOW (1024u * 1024)
/* A chunk is handed to a link only while less than this waits in it
 * unacknowledged (lm_mesh_queued): ENet sends one peer's reliable
 * messages in order, so a chat line queued behind a whole window of
 * chunks waited for all of it (chat p99 47 ms during a transfer). */
#define FX_QUEUE_MAX (192u * 1024)
#define FX_HELD_US 200 /* a held chunk looks at its link again after this */
#define FX_PATH_MAX 4096

typedef enum jkind {
    J_OPEN,      /* open the store; answers with the offers it holds */
    J_SCAN,      /* hash a file to send: in path; out offer, rc */
    J_SELFSTORE, /* the hub's own upload: copy the source into the store */
    J_BEGIN,     /* lm_store_begin (+ the offer, on the hub) */
    J_PUT,       /* a chunk that arrived, to the store */
    J_READ,      /* a chunk from the store, encoded as CHUNK for `to` */
    J_SRC_READ,  /* a chunk from a file being sent, the same */
    J_EXPORT,    /* a complete file to the download directory */
    J_CLOSE_SRC, /* the file to send is no longer needed */
    J_REMOVE,    /* a partial that failed its check */
    J_LOADED,    /* (answer only) an offer found in the store at open */
} jkind;

typedef struct fjob {
    jkind kind;
    int rc;
    uint8_t refuse; /* lm_file_refuse when rc < 0 and the store said why */
    uint8_t id[LM_FILE_ID_LEN];
    uint64_t to; /* J_READ, J_SRC_READ: whom the chunk is for */
    uint32_t index;
    bool with_offer; /* J_BEGIN: keep offer in the store (hub) */
    bool keep;       /* J_EXPORT */
    lm_file_offer offer;
    lm_store_blob blob; /* the store's state after */
    char *path;         /* J_SCAN in; J_EXPORT out (owned) */
    uint8_t *data;      /* J_PUT in: the chunk; J_READ out: the message */
    size_t len;
    size_t nproof;
    lm_hash proof[LM_FILE_DEPTH_MAX];
    struct fjob *next;
} fjob;

/* A file being sent from this node: the worker's. */
typedef struct fsrc {
    bool used;
    uint8_t id[LM_FILE_ID_LEN];
    int fd;
    uint64_t size;
    uint32_t chunk, nchunks;
    lm_hash *tree;
} fsrc;

/* What this node's store holds, as the net thread knows it. */
typedef struct fblob {
    bool used;
    uint8_t id[LM_FILE_ID_LEN];
    uint64_t size;
    uint32_t chunk, nchunks;
    uint32_t have; /* chunks [0, have) held */
    bool complete;
} fblob;

/* A transfer this node receives: an upload to it as hub, or a download. */
typedef struct frx {
    bool used;
    bool down;    /* a download (else an upload to this hub) */
    bool opened;  /* the store began it */
    bool told;    /* the sender said what it holds (HAVE) */
    bool export_pending; /* the hub's own get of a file still arriving */
    bool replica; /* the deputy's copy of the hub's store: no events, kept */
    int64_t retry_us;    /* ask the hub again then (0: not waiting) */
    uint64_t from; /* the sender: the uploader, or the hub */
    lm_file_offer o;
    lm_xfer x;
    int64_t prog_us;
    uint64_t prog_bytes;
} frx;

/* A transfer this node serves: from its store (hub) or a source (uploader). */
typedef struct ftx {
    bool used;
    bool src;
    uint8_t id[LM_FILE_ID_LEN];
    uint64_t to;
    lm_xsend s;
    uint32_t reading; /* chunk reads in the worker */
    uint64_t sent;    /* bytes sent */
    uint32_t told;    /* the last HAVE sent to a downloader */
} ftx;

/* One of this node's uploads, until the hub says DONE. */
typedef struct fup {
    bool used;
    bool scanned;
    bool selfstore; /* in the worker's hands on the hub */
    lm_file_offer o;
    char path[FX_PATH_MAX];
    uint64_t hub; /* offered to this hub (0: none yet) */
    int64_t prog_us;
    uint64_t prog_bytes;
} fup;

struct lm_files {
    lm_node *n;
    lm_files_config cfg;
    char *store_dir, *download_dir;
    /* net thread */
    bool store_ok;
    lm_file_offer *offers; /* FX_OFFERS: offered to this node */
    size_t noffers;
    lm_file_offer *catalog; /* FX_OFFERS: offers in this node's store */
    size_t ncatalog;
    fblob *blobs; /* FX_BLOBS */
    frx rx[FX_RX];
    ftx tx[FX_TX];
    fup up[FX_UP];
    uint64_t listed_hub; /* the hub asked for its offers */
    int64_t hub_changed_us;
    lm_file_msg m;       /* scratch for decoding and encoding */
    uint8_t *out;        /* LM_FILE_WIRE_MAX: scratch for encoding */
    atomic_bool woken;   /* a drain is posted */
    /* chunks read and encoded, waiting for their link's queue to drain
     * (FX_QUEUE_MAX), oldest first; each still counts in its ftx's
     * `reading`, so there are at most FX_READS per transfer */
    fjob *held_head, *held_tail;
    /* the queue to the worker and back */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    fjob *in_head, *in_tail, *out_head, *out_tail;
    size_t nin;
    bool stop;
    pthread_t thread;
    bool started;
    /* the worker's */
    lm_store *st;
    int dirfd;
    fsrc src[FX_SRC];
    uint8_t *buf;     /* LM_FILE_CHUNK_MAX */
    lm_file_msg wm;   /* scratch */
};

/* files_io.c */
void *files_worker(void *arg);
fjob *fjob_new(jkind kind);
void fjob_free(fjob *j);
/* Queues j for the worker (takes it); LM_EFULL when FX_JOBS wait. */
int files_queue(lm_files *f, fjob *j);
/* Takes the worker's answers, oldest first (net thread). */
fjob *files_take(lm_files *f);

/* files_util.c: messages out, events, tables */
int files_send_msg(lm_files *f, uint64_t to, const lm_file_msg *m);
void files_emit_failed(lm_files *f, const uint8_t *id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void files_emit_offered(lm_files *f, const lm_file_offer *o);
bool fx_same(const uint8_t *a, const uint8_t *b);
uint64_t fx_self_id(lm_files *f);
uint64_t fx_hub_id(lm_files *f);
bool fx_for_member(const lm_file_offer *o, uint64_t id);
void fx_send_simple(lm_files *f, uint64_t to, uint8_t type, const uint8_t *id, uint8_t code);
void fx_send_have(lm_files *f, uint64_t to, const uint8_t *id, const lm_chunkset *held);
void fx_send_offer(lm_files *f, uint64_t to, const lm_file_offer *o, uint8_t flags);
bool fx_queue_job(lm_files *f, fjob *j);
uint64_t fx_deputy_id(lm_files *f);
void fx_emit_done(lm_files *f, const uint8_t *id, const char *path);
void fx_progress(lm_files *f, const uint8_t *id, bool up, uint64_t bytes, uint64_t total, int64_t *at_us, uint64_t *at_bytes, int64_t now, bool force);
const char *fx_refuse_sentence(uint8_t code);
lm_file_offer *fx_offer_find(lm_file_offer *tab, size_t n, const uint8_t *id);
bool fx_offer_add(lm_file_offer *tab, size_t *n, const lm_file_offer *o);
fblob *fx_blob_find(lm_files *f, const uint8_t *id);
fblob *fx_blob_set(lm_files *f, const lm_store_blob *b);
frx *fx_rx_find(lm_files *f, const uint8_t *id, bool down);
frx *fx_rx_new(lm_files *f);
ftx *fx_tx_find(lm_files *f, const uint8_t *id, uint64_t to);
ftx *fx_tx_open(lm_files *f, const uint8_t *id, uint64_t to, bool src, uint32_t nchunks, uint32_t have);
fup *fx_up_find(lm_files *f, const uint8_t *id);
void fx_up_end(lm_files *f, fup *u);

/* files.c: the messages in, serving and receiving */
void files_on_receive(void *svc, const lm_member *from, const uint8_t *data,
                      size_t len);
void fx_pump(lm_files *f, ftx *t);
bool fx_on_read(lm_files *f, fjob *j); /* true: it kept j */
bool fx_flush_held(lm_files *f);      /* true: some are still held */
void fx_drop_held(lm_files *f);       /* at the end */
void fx_serve_grown(lm_files *f, const fblob *b, bool force);
void fx_ask(lm_files *f, frx *r);
/* Asks the worker to begin r (its offer o set) in this node's store
 * (J_BEGIN; with_offer: the hub keeps the offer too); r is freed if the
 * job cannot be queued. */
void fx_open_rx(lm_files *f, frx *r, bool with_offer);
void fx_rx_fail(lm_files *f, frx *r, uint8_t code, const char *why);
void fx_withdraw(lm_files *f, const lm_file_offer *o, uint8_t code,
                 const char *why);
void fx_export(lm_files *f, const lm_file_offer *o, bool keep);
void fx_announce(lm_files *f, const lm_file_offer *o);
void fx_on_begin(lm_files *f, fjob *j);
void fx_on_put(lm_files *f, fjob *j);

/* files_cmd.c: the worker's answers, the commands, the service's ops */
void files_on_answer(lm_files *f, fjob *j); /* frees j */
void files_start_upload(lm_files *f, fup *u);
void files_start_get(lm_files *f, const uint8_t id[LM_FILE_ID_LEN]);
void files_cancel(lm_files *f, const uint8_t id[LM_FILE_ID_LEN]);
void files_list(lm_files *f);
/* True when r is to ask its new hub again later (files_cmd.c). */
bool files_retry_later(lm_files *f, frx *r);

#endif
