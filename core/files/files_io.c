/* files_io.c - the file service's disk worker (files.h): every store call,
 * every read of a file to send, the final move to the download directory.
 *
 * The net thread queues jobs (files_queue, bounded at FX_JOBS) and the
 * worker runs them in order, puts each back on the answer list and wakes
 * the net thread with lm_mesh_post (one post for a batch: the net thread
 * drains the whole list; a post lost to a full command queue is made up
 * by the service's tick). Chunks to send are encoded here, so the net
 * thread only hands the finished message to the mesh. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "err.h"
#include "files_impl.h"

#define SYNC_US 1000000 /* lm_store_sync: every second while chunks land */

fjob *fjob_new(jkind kind)
{
    fjob *j = calloc(1, sizeof *j);
    if (j)
        j->kind = kind;
    return j;
}

void fjob_free(fjob *j)
{
    if (!j)
        return;
    free(j->path);
    free(j->data);
    free(j);
}

int files_queue(lm_files *f, fjob *j)
{
    pthread_mutex_lock(&f->mu);
    if (f->nin >= FX_JOBS) {
        pthread_mutex_unlock(&f->mu);
        fjob_free(j);
        return LM_EFULL;
    }
    j->next = NULL;
    if (f->in_tail)
        f->in_tail->next = j;
    else
        f->in_head = j;
    f->in_tail = j;
    f->nin++;
    pthread_cond_signal(&f->cv);
    pthread_mutex_unlock(&f->mu);
    return 0;
}

fjob *files_take(lm_files *f)
{
    pthread_mutex_lock(&f->mu);
    fjob *j = f->out_head;
    if (j) {
        f->out_head = j->next;
        if (!f->out_head)
            f->out_tail = NULL;
    }
    pthread_mutex_unlock(&f->mu);
    return j;
}

static void run_answers(void *svc, void *arg)
{
    (void)arg;
    lm_files *f = svc;
    atomic_store(&f->woken, false);
    fjob *j;
    while ((j = files_take(f)) != NULL)
        files_on_answer(f, j);
}

static void answer(lm_files *f, fjob *j)
{
    pthread_mutex_lock(&f->mu);
    j->next = NULL;
    if (f->out_tail)
        f->out_tail->next = j;
    else
        f->out_head = j;
    f->out_tail = j;
    pthread_mutex_unlock(&f->mu);
    if (!atomic_exchange(&f->woken, true) &&
        lm_mesh_post(f->n, run_answers, f, NULL, NULL) < 0)
        atomic_store(&f->woken, false); /* the tick drains it */
}

/* ---- files to send ------------------------------------------------------- */

static fsrc *src_find(lm_files *f, const uint8_t *id)
{
    for (size_t i = 0; i < FX_SRC; i++)
        if (f->src[i].used && memcmp(f->src[i].id, id, LM_FILE_ID_LEN) == 0)
            return &f->src[i];
    return NULL;
}

static void src_close(fsrc *s)
{
    if (!s || !s->used)
        return;
    close(s->fd);
    free(s->tree);
    memset(s, 0, sizeof *s);
}

/* Reads the file once: its size, SHA-256 and tree; keeps it open to
 * serve its chunks (the same bytes: a file changed after this fails at
 * the hub's checks, not silently). */
static void do_scan(lm_files *f, fjob *j)
{
    int fd = open(j->path, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
        j->rc = fd < 0 ? LM_ENOTFOUND : LM_EINVAL;
        if (fd >= 0)
            close(fd);
        return;
    }
    uint64_t size = (uint64_t)sb.st_size;
    uint32_t chunk = LM_FILE_CHUNK_DEFAULT;
    if (!lm_file_params_ok(size, chunk)) {
        close(fd);
        j->rc = LM_ETOOBIG;
        return;
    }
    uint32_t n = lm_file_nchunks(size, chunk);
    lm_hash *tree = calloc((size_t)lm_ftree_nodes(n), sizeof *tree);
    fsrc *slot = NULL;
    for (size_t i = 0; i < FX_SRC && !slot; i++)
        if (!f->src[i].used)
            slot = &f->src[i];
    if (!tree || !slot) {
        free(tree);
        close(fd);
        j->rc = tree ? LM_EFULL : LM_ENOMEM;
        return;
    }
    int rc = lm_ftree_scan(fd, size, chunk, f->buf, tree, j->offer.id);
    if (rc < 0) {
        free(tree);
        close(fd);
        j->rc = rc;
        return;
    }
    fsrc *old = src_find(f, j->offer.id); /* the same content twice */
    if (old)
        src_close(old);
    *slot = (fsrc){.used = true, .fd = fd, .size = size, .chunk = chunk,
                   .nchunks = n, .tree = tree};
    memcpy(slot->id, j->offer.id, LM_FILE_ID_LEN);
    j->offer.size = size;
    j->offer.chunk = chunk;
    memcpy(j->offer.root, lm_ftree_root(tree, n), LM_FILE_HASH_LEN);
    memcpy(j->id, j->offer.id, LM_FILE_ID_LEN);
    j->rc = 0;
}

/* Chunk i of a source into f->buf; its length, or a negative code. */
static int src_read(fsrc *s, uint32_t i, uint8_t *buf)
{
    size_t len = lm_file_chunk_len(s->size, s->chunk, i);
    off_t at = (off_t)((uint64_t)i * s->chunk);
    size_t got = 0;
    while (got < len) {
        ssize_t r = pread(s->fd, buf + got, len - got, at + (off_t)got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return r < 0 ? LM_EIO : LM_EPROTO; /* shrunk since the scan */
        got += (size_t)r;
    }
    return (int)len;
}

/* The hub sends its own file: into its store, chunk by chunk, each
 * checked by the store against the tree as any upload is. */
static void do_selfstore(lm_files *f, fjob *j)
{
    fsrc *s = src_find(f, j->id);
    if (!s || !f->st) {
        j->rc = LM_ENOTFOUND;
        return;
    }
    j->rc = lm_store_begin(f->st, j->id, s->size, s->chunk,
                           lm_ftree_root(s->tree, s->nchunks), &j->blob,
                           &j->refuse);
    for (uint32_t i = 0; j->rc == 0 && !j->blob.complete && i < s->nchunks;
         i++) {
        if (lm_chunkset_has(&j->blob.held, i))
            continue;
        int len = src_read(s, i, f->buf);
        if (len < 0) {
            j->rc = len;
            j->refuse = LM_FILE_IO;
            break;
        }
        size_t np = lm_ftree_proof(s->tree, s->nchunks, i, j->proof);
        j->rc = lm_store_put(f->st, j->id, i, f->buf, (size_t)len,
                             (const lm_hash *)j->proof, np, &j->blob,
                             &j->refuse);
    }
    if (j->rc == 0)
        j->rc = lm_store_add_offer(f->st, &j->offer);
}

/* ---- chunks to send: read and encode ------------------------------------ */

static void encode_chunk(lm_files *f, fjob *j, size_t len)
{
    lm_file_msg *m = &f->wm;
    memset(m, 0, offsetof(lm_file_msg, ranges));
    m->type = LM_MSG_FILE_CHUNK;
    memcpy(m->id, j->id, LM_FILE_ID_LEN);
    m->index = j->index;
    m->nproof = j->nproof;
    memcpy(m->proof, j->proof, j->nproof * LM_FILE_HASH_LEN);
    m->data = f->buf;
    m->len = len;
    j->data = malloc(LM_FILE_WIRE_MAX);
    if (!j->data) {
        j->rc = LM_ENOMEM;
        return;
    }
    int n = lm_file_encode(m, j->data, LM_FILE_WIRE_MAX);
    j->rc = n < 0 ? n : 0;
    j->len = n < 0 ? 0 : (size_t)n;
}

static void do_read(lm_files *f, fjob *j)
{
    size_t len = 0;
    if (j->kind == J_SRC_READ) {
        fsrc *s = src_find(f, j->id);
        if (!s) {
            j->rc = LM_ENOTFOUND;
            return;
        }
        int rc = src_read(s, j->index, f->buf);
        if (rc < 0 || j->index >= s->nchunks) {
            j->rc = rc < 0 ? rc : LM_EINVAL;
            return;
        }
        len = (size_t)rc;
        j->nproof = lm_ftree_proof(s->tree, s->nchunks, j->index, j->proof);
    } else {
        j->rc = f->st ? lm_store_read(f->st, j->id, j->index, f->buf,
                                      LM_FILE_CHUNK_MAX, &len, j->proof,
                                      &j->nproof)
                      : LM_ENOTFOUND;
        if (j->rc < 0)
            return;
    }
    encode_chunk(f, j, len);
}

/* ---- the rest ------------------------------------------------------------ */

static void do_export(lm_files *f, fjob *j)
{
    char got[LM_SAFENAME_MAX + 16];
    if (f->dirfd < 0) {
        f->dirfd = open(f->download_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (f->dirfd < 0 && errno == ENOENT &&
            mkdir(f->download_dir, 0755) == 0)
            f->dirfd = open(f->download_dir,
                            O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    }
    if (f->dirfd < 0 || !f->st) {
        j->rc = LM_EIO;
        return;
    }
    j->rc = lm_store_export(f->st, j->id, f->dirfd, j->offer.name, j->keep,
                            got, sizeof got);
    if (j->rc < 0)
        return;
    size_t cap = strlen(f->download_dir) + 1 + strlen(got) + 1;
    j->path = malloc(cap);
    if (j->path)
        snprintf(j->path, cap, "%s/%s", f->download_dir, got);
}

/* The store, and what it offered before this run, to the net thread. */
static void do_open(lm_files *f, fjob *j)
{
    lm_store_config sc = {.dir = f->store_dir, .max_total = f->cfg.store_max,
                          .max_file = f->cfg.file_max};
    lm_store_report rep;
    j->rc = lm_store_open(&sc, &f->st, &rep);
    if (j->rc < 0) {
        f->st = NULL;
        return;
    }
    lm_store_blob b;
    for (size_t i = 0; lm_store_at(f->st, i, &b); i++) {
        fjob *k = fjob_new(J_LOADED);
        if (!k)
            break;
        k->blob = b;
        memcpy(k->id, b.id, LM_FILE_ID_LEN);
        k->index = UINT32_MAX; /* a blob, no offer */
        answer(f, k);
    }
    for (size_t i = 0; lm_store_offer_at(f->st, i, &j->offer); i++) {
        fjob *k = fjob_new(J_LOADED);
        if (!k)
            break;
        k->offer = j->offer;
        memcpy(k->id, j->offer.id, LM_FILE_ID_LEN);
        answer(f, k);
    }
    memset(&j->offer, 0, sizeof j->offer);
}

static void run_job(lm_files *f, fjob *j, bool *dirty)
{
    switch (j->kind) {
    case J_OPEN: do_open(f, j); break;
    case J_SCAN: do_scan(f, j); break;
    case J_SELFSTORE: do_selfstore(f, j); break;
    case J_BEGIN:
        j->rc = f->st ? lm_store_begin(f->st, j->id, j->offer.size,
                                       j->offer.chunk, j->offer.root,
                                       &j->blob, &j->refuse)
                      : LM_EIO;
        if (j->rc == 0 && j->with_offer)
            (void)lm_store_add_offer(f->st, &j->offer); /* kept once */
        break;
    case J_PUT:
        j->rc = f->st ? lm_store_put(f->st, j->id, j->index, j->data, j->len,
                                     (const lm_hash *)j->proof, j->nproof,
                                     &j->blob, &j->refuse)
                      : LM_EIO;
        free(j->data);
        j->data = NULL;
        *dirty = true;
        break;
    case J_READ:
    case J_SRC_READ: do_read(f, j); break;
    case J_EXPORT: do_export(f, j); break;
    case J_CLOSE_SRC: src_close(src_find(f, j->id)); break;
    case J_REMOVE:
        if (f->st)
            (void)lm_store_remove(f->st, j->id);
        break;
    case J_LOADED: break;
    }
}

void *files_worker(void *arg)
{
    lm_files *f = arg;
    bool dirty = false;
    int64_t synced = lm_mono_us();
    pthread_mutex_lock(&f->mu);
    while (!f->stop) {
        fjob *j = f->in_head;
        if (!j) {
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            ts.tv_sec += 1;
            pthread_cond_timedwait(&f->cv, &f->mu, &ts);
        } else {
            f->in_head = j->next;
            if (!f->in_head)
                f->in_tail = NULL;
            f->nin--;
        }
        pthread_mutex_unlock(&f->mu);
        if (j) {
            run_job(f, j, &dirty);
            answer(f, j);
        }
        int64_t now = lm_mono_us();
        if (dirty && f->st && now - synced >= SYNC_US) {
            (void)lm_store_sync(f->st);
            dirty = false;
            synced = now;
        }
        pthread_mutex_lock(&f->mu);
    }
    pthread_mutex_unlock(&f->mu);
    for (size_t i = 0; i < FX_SRC; i++)
        src_close(&f->src[i]);
    lm_store_close(f->st); /* saves the index */
    f->st = NULL;
    return NULL;
}
