/* store.c - files on disk, content-addressed (store.h): opening, caps,
 * receiving and serving chunks, offers, handing files out. The index and
 * the checks at open are store_load.c's. */
#define _DEFAULT_SOURCE /* flock: one holder per open file, unlike fcntl */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "err.h"
#include "safename.h"
#include "store_impl.h"

static void set_refuse(uint8_t *refuse, uint8_t code)
{
    if (refuse)
        *refuse = code;
}

/* ---- helpers shared with store_load.c ------------------------------------ */

void store_name(const uint8_t id[LM_FILE_ID_LEN], const char *suffix,
                char out[NAME_LEN])
{
    char hex[65];
    lm_file_id_hex(id, hex);
    snprintf(out, NAME_LEN, "%s%s", hex, suffix);
}

blob *store_find(lm_store *st, const uint8_t id[LM_FILE_ID_LEN])
{
    for (size_t i = 0; i < st->nblobs; i++)
        if (memcmp(st->blobs[i].r.id, id, LM_FILE_ID_LEN) == 0)
            return &st->blobs[i];
    return NULL;
}

blob *store_add(lm_store *st, const lm_store_rec *r)
{
    if (st->nblobs == LM_STORE_BLOBS_MAX)
        return NULL;
    blob *b = &st->blobs[st->nblobs++];
    memset(b, 0, sizeof *b);
    b->r = *r;
    b->n = lm_file_nchunks(r->size, r->chunk);
    b->tree_bytes = lm_ftree_nodes(b->n) * LM_FILE_HASH_LEN;
    b->fd = -1;
    lm_sha256_init(&b->whole);
    st->dirty = true;
    return b;
}

int store_pread(int fd, uint8_t *buf, size_t len, uint64_t off)
{
    while (len > 0) {
        ssize_t r = pread(fd, buf, len, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return LM_EIO;
        if (r == 0)
            return LM_EPROTO;
        buf += r;
        len -= (size_t)r;
        off += (uint64_t)r;
    }
    return 0;
}

static int pwrite_all(int fd, const uint8_t *buf, size_t len, uint64_t off)
{
    while (len > 0) {
        ssize_t r = pwrite(fd, buf, len, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return LM_EIO;
        buf += r;
        len -= (size_t)r;
        off += (uint64_t)r;
    }
    return 0;
}

/* Writes what a partial holds to disk before the index says it holds it. */
static int sync_blob(blob *b)
{
    if (!b->unsynced || b->fd < 0)
        return 0;
    if (fdatasync(b->fd) < 0 ||
        (b->tree && msync(b->tree, b->tree_bytes, MS_SYNC) < 0))
        return LM_EIO;
    b->unsynced = false;
    return 0;
}

void store_close_blob(lm_store *st, blob *b)
{
    if (b->fd < 0)
        return;
    sync_blob(b); /* at worst the next open re-checks these chunks */
    if (b->tree)
        munmap(b->tree, b->tree_bytes);
    close(b->fd);
    b->tree = NULL;
    b->fd = -1;
    st->nopen--;
}

int store_open_blob(lm_store *st, blob *b)
{
    b->used = ++st->clock;
    if (b->fd >= 0)
        return 0;
    if (st->nopen >= LM_STORE_OPEN_MAX) {
        blob *oldest = NULL;
        for (size_t i = 0; i < st->nblobs; i++) {
            blob *o = &st->blobs[i];
            if (o != b && o->fd >= 0 && (!oldest || o->used < oldest->used))
                oldest = o;
        }
        if (oldest)
            store_close_blob(st, oldest);
    }
    char name[NAME_LEN], tname[NAME_LEN];
    store_name(b->r.id, b->r.complete ? "" : ".part", name);
    store_name(b->r.id, ".tree", tname);
    int flags = (b->r.complete ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NOFOLLOW;
    int fd = openat(st->dirfd, name, flags);
    if (fd < 0)
        return LM_EIO;
    int tfd = openat(st->dirfd, tname, flags);
    if (tfd < 0) {
        close(fd);
        return LM_EIO;
    }
    struct stat sd, stt;
    int prot = PROT_READ | (b->r.complete ? 0 : PROT_WRITE);
    void *map = MAP_FAILED;
    if (fstat(fd, &sd) == 0 && fstat(tfd, &stt) == 0 && S_ISREG(sd.st_mode) &&
        S_ISREG(stt.st_mode) && (uint64_t)sd.st_size == b->r.size &&
        (uint64_t)stt.st_size == b->tree_bytes)
        map = mmap(NULL, b->tree_bytes, prot, MAP_SHARED, tfd, 0);
    close(tfd);
    if (map == MAP_FAILED) {
        close(fd);
        return LM_EIO;
    }
    b->fd = fd;
    b->tree = map;
    st->nopen++;
    return 0;
}

int store_make_tree(lm_store *st, const uint8_t id[LM_FILE_ID_LEN],
                    uint64_t bytes)
{
    char name[NAME_LEN];
    store_name(id, ".tree", name);
    int fd = openat(st->dirfd, name,
                    O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0)
        return LM_EIO;
    /* Allocated now, not sparse: the tree is written through a mapping,
     * and a store on a full disk that met a hole there would take a
     * SIGBUS instead of an error. */
    int err = posix_fallocate(fd, 0, (off_t)bytes);
    close(fd);
    if (err) {
        unlinkat(st->dirfd, name, 0);
        errno = err;
        return LM_EIO;
    }
    return 0;
}

void store_drop(lm_store *st, blob *b, bool unlink_files)
{
    store_close_blob(st, b);
    if (unlink_files) {
        static const char *const suffixes[] = {"", ".part", ".tree"};
        for (size_t i = 0; i < 3; i++) {
            char name[NAME_LEN];
            store_name(b->r.id, suffixes[i], name);
            unlinkat(st->dirfd, name, 0);
        }
    }
    size_t k = 0; /* its offers go, the others keep their order */
    for (size_t i = 0; i < st->noffers; i++)
        if (memcmp(st->offers[i].id, b->r.id, LM_FILE_ID_LEN) != 0)
            st->offers[k++] = st->offers[i];
    st->noffers = k;
    blob *last = &st->blobs[st->nblobs - 1];
    if (b != last)
        *b = *last; /* an open fd and map move along with it */
    st->nblobs--;
    st->dirty = true;
}

/* ---- open and close ------------------------------------------------------ */

static int lock_store(lm_store *st)
{
    st->lockfd = openat(st->dirfd, "lock",
                        O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (st->lockfd < 0)
        return LM_EIO;
    if (flock(st->lockfd, LOCK_EX | LOCK_NB) < 0)
        return errno == EWOULDBLOCK ? LM_EFULL : LM_EIO;
    return 0;
}

int lm_store_open(const lm_store_config *cfg, lm_store **out,
                  lm_store_report *rep)
{
    lm_store_report unused;
    if (!rep)
        rep = &unused;
    memset(rep, 0, sizeof *rep);
    if (!cfg || !cfg->dir || !cfg->dir[0] || !out)
        return LM_EINVAL;
    *out = NULL;
    if (mkdir(cfg->dir, 0700) < 0 && errno != EEXIST)
        return LM_EIO;
    lm_store *st = calloc(1, sizeof *st);
    if (!st)
        return LM_ENOMEM;
    st->lockfd = -1;
    st->max_total = cfg->max_total ? cfg->max_total : LM_STORE_MAX_DEFAULT;
    st->max_file = cfg->max_file ? cfg->max_file : st->max_total;
    st->reserve = cfg->reserve ? cfg->reserve : LM_STORE_RESERVE_DEFAULT;
    st->blobs = calloc(LM_STORE_BLOBS_MAX, sizeof *st->blobs);
    st->offers = calloc(LM_STORE_OFFERS_MAX, sizeof *st->offers);
    st->dirfd = open(cfg->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = !st->blobs || !st->offers ? LM_ENOMEM
             : st->dirfd < 0           ? LM_EIO
                                       : lock_store(st);
    if (rc == 0)
        rc = store_load(st, rep);
    if (rc < 0) {
        int saved = errno;
        st->dirty = false; /* nothing of this is to be saved */
        lm_store_close(st);
        errno = saved;
        return rc;
    }
    *out = st;
    return 0;
}

void lm_store_close(lm_store *st)
{
    if (!st)
        return;
    if (st->dirfd >= 0 && st->lockfd >= 0)
        lm_store_sync(st);
    for (size_t i = 0; i < st->nblobs; i++)
        store_close_blob(st, &st->blobs[i]);
    if (st->lockfd >= 0)
        close(st->lockfd);
    if (st->dirfd >= 0)
        close(st->dirfd);
    free(st->blobs);
    free(st->offers);
    free(st->ixbuf);
    free(st);
}

int lm_store_sync(lm_store *st)
{
    int rc = 0;
    for (size_t i = 0; i < st->nblobs; i++)
        if (sync_blob(&st->blobs[i]) < 0)
            rc = LM_EIO;
    if (rc == 0 && st->dirty)
        rc = store_save(st);
    return rc;
}

/* ---- what is held -------------------------------------------------------- */

static void blob_info(const blob *b, lm_store_blob *out)
{
    if (!out)
        return;
    memcpy(out->id, b->r.id, LM_FILE_ID_LEN);
    out->size = b->r.size;
    out->chunk = b->r.chunk;
    memcpy(out->root, b->r.root, LM_FILE_HASH_LEN);
    out->complete = b->r.complete;
    out->held = b->r.held;
    out->bytes = lm_chunkset_bytes(&b->r.held, b->r.size, b->r.chunk);
}

int lm_store_info(lm_store *st, const uint8_t id[LM_FILE_ID_LEN],
                  lm_store_blob *out)
{
    blob *b = store_find(st, id);
    if (!b)
        return LM_ENOTFOUND;
    blob_info(b, out);
    return 0;
}

bool lm_store_at(lm_store *st, size_t i, lm_store_blob *out)
{
    if (i >= st->nblobs)
        return false;
    blob_info(&st->blobs[i], out);
    return true;
}

int lm_store_remove(lm_store *st, const uint8_t id[LM_FILE_ID_LEN])
{
    blob *b = store_find(st, id);
    if (!b)
        return LM_ENOTFOUND;
    store_drop(st, b, true);
    return 0;
}

void lm_store_usage(const lm_store *st, uint64_t *bytes, size_t *files)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < st->nblobs; i++)
        sum += st->blobs[i].r.size + st->blobs[i].tree_bytes;
    if (bytes)
        *bytes = sum;
    if (files)
        *files = st->nblobs;
}

/* ---- receiving ----------------------------------------------------------- */

/* Whether a new file of this size fits the caps and the disk. */
static int check_room(lm_store *st, uint64_t size, uint64_t tree,
                      uint8_t *refuse)
{
    if (size > st->max_file) {
        set_refuse(refuse, LM_FILE_TOO_BIG);
        return LM_ETOOBIG;
    }
    uint64_t used, pending = 0;
    lm_store_usage(st, &used, NULL);
    if (st->nblobs == LM_STORE_BLOBS_MAX ||
        used + size + tree > st->max_total) {
        set_refuse(refuse, LM_FILE_STORE_FULL);
        return LM_EFULL;
    }
    /* partials are sparse (their trees are not): what they will still
     * write is spoken for */
    for (size_t i = 0; i < st->nblobs; i++) {
        const blob *b = &st->blobs[i];
        if (!b->r.complete)
            pending += b->r.size -
                       lm_chunkset_bytes(&b->r.held, b->r.size, b->r.chunk);
    }
    struct statvfs vfs;
    if (fstatvfs(st->dirfd, &vfs) < 0) {
        set_refuse(refuse, LM_FILE_IO);
        return LM_EIO;
    }
    uint64_t avail = (uint64_t)vfs.f_bavail * vfs.f_frsize;
    if (avail < pending || avail - pending < size + tree + st->reserve) {
        set_refuse(refuse, LM_FILE_DISK_FULL);
        return LM_EFULL;
    }
    return 0;
}

/* The empty file: no chunks, its id and root fixed by the hashes. */
static int begin_empty(lm_store *st, const uint8_t id[LM_FILE_ID_LEN],
                       const uint8_t root[LM_FILE_HASH_LEN], lm_store_blob *out,
                       uint8_t *refuse)
{
    uint8_t empty_id[LM_FILE_ID_LEN];
    lm_hash empty_root;
    lm_sha256_buf(NULL, 0, empty_id);
    lm_ftree_leaf(NULL, 0, empty_root);
    if (memcmp(id, empty_id, LM_FILE_ID_LEN) != 0 ||
        memcmp(root, empty_root, LM_FILE_HASH_LEN) != 0) {
        set_refuse(refuse, LM_FILE_BAD_HASH);
        return LM_EAUTH;
    }
    static const char *const suffixes[] = {"", ".tree"};
    for (size_t i = 0; i < 2; i++) {
        char name[NAME_LEN];
        store_name(id, suffixes[i], name);
        int fd =
            openat(st->dirfd, name,
                   O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
        int rc = fd < 0 ? LM_EIO : 0;
        if (rc == 0 && i == 1) /* the tree is the root alone */
            rc = pwrite_all(fd, root, LM_FILE_HASH_LEN, 0);
        if (rc == 0 && fsync(fd) < 0)
            rc = LM_EIO;
        if (rc < 0)
            set_refuse(refuse,
                       errno == ENOSPC ? LM_FILE_DISK_FULL : LM_FILE_IO);
        if (fd >= 0)
            close(fd);
        if (rc < 0)
            return rc;
    }
    lm_store_rec r = {.chunk = LM_FILE_CHUNK_DEFAULT, .complete = true};
    memcpy(r.id, id, LM_FILE_ID_LEN);
    memcpy(r.root, root, LM_FILE_HASH_LEN);
    blob *b = store_add(st, &r);
    if (!b) {
        set_refuse(refuse, LM_FILE_STORE_FULL);
        return LM_EFULL;
    }
    blob_info(b, out);
    return store_save(st);
}

int lm_store_begin(lm_store *st, const uint8_t id[LM_FILE_ID_LEN],
                   uint64_t size, uint32_t chunk,
                   const uint8_t root[LM_FILE_HASH_LEN], lm_store_blob *out,
                   uint8_t *refuse)
{
    set_refuse(refuse, 0);
    if (!lm_file_params_ok(size, chunk)) {
        set_refuse(refuse, size > LM_FILE_SIZE_MAX ? LM_FILE_TOO_BIG
                                                   : LM_FILE_NOT_ALLOWED);
        return LM_EINVAL;
    }
    blob *b = store_find(st, id);
    if (b && b->r.complete) { /* held already: stored once */
        blob_info(b, out);
        return 0;
    }
    if (b) {
        if (b->r.size != size || b->r.chunk != chunk ||
            memcmp(b->r.root, root, LM_FILE_HASH_LEN) != 0) {
            set_refuse(refuse, LM_FILE_BAD_HASH);
            return LM_EAUTH;
        }
        blob_info(b, out);
        return 0;
    }
    if (size == 0)
        return begin_empty(st, id, root, out, refuse);
    uint32_t n = lm_file_nchunks(size, chunk);
    uint64_t tree = lm_ftree_nodes(n) * LM_FILE_HASH_LEN;
    int rc = check_room(st, size, tree, refuse);
    if (rc < 0)
        return rc;
    char name[NAME_LEN];
    store_name(id, ".part", name);
    int fd = openat(st->dirfd, name,
                    O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    rc = fd < 0 || ftruncate(fd, (off_t)size) < 0 ? LM_EIO : 0;
    if (rc == 0)
        rc = store_make_tree(st, id, tree);
    int err = errno;
    if (fd >= 0)
        close(fd);
    lm_store_rec r = {.size = size, .chunk = chunk};
    memcpy(r.id, id, LM_FILE_ID_LEN);
    memcpy(r.root, root, LM_FILE_HASH_LEN);
    b = rc == 0 ? store_add(st, &r) : NULL;
    if (b && store_open_blob(st, b) < 0) {
        err = errno;
        store_drop(st, b, true);
        b = NULL;
    }
    if (!b) {
        char tname[NAME_LEN];
        store_name(id, ".tree", tname);
        unlinkat(st->dirfd, name, 0);
        unlinkat(st->dirfd, tname, 0);
        set_refuse(refuse, err == ENOSPC ? LM_FILE_DISK_FULL : LM_FILE_IO);
        return LM_EIO;
    }
    blob_info(b, out);
    return 0;
}

/* Feeds the running SHA-256 with the chunks the prefix now covers; the one
 * just written is in memory, the others are read back. */
static int hash_prefix(lm_store *st, blob *b, uint32_t index,
                       const uint8_t *data)
{
    while (b->hashed < b->r.held.next) {
        uint32_t i = b->hashed;
        size_t len = lm_file_chunk_len(b->r.size, b->r.chunk, i);
        const uint8_t *p = data;
        if (i != index) {
            int rc = store_pread(b->fd, st->buf, len, (uint64_t)i * b->r.chunk);
            if (rc < 0)
                return LM_EIO;
            p = st->buf;
        }
        lm_sha256_update(&b->whole, p, len);
        b->hashed++;
    }
    return 0;
}

/* All chunks are in: the content must be its id; then it is made durable
 * and takes its final name. */
static int complete(lm_store *st, blob *b, uint8_t *refuse)
{
    uint8_t digest[LM_FILE_ID_LEN];
    lm_sha256_final(&b->whole, digest);
    if (memcmp(digest, b->r.id, LM_FILE_ID_LEN) != 0) {
        store_drop(st, b, true);
        set_refuse(refuse, LM_FILE_BAD_HASH);
        return LM_EPROTO;
    }
    char part[NAME_LEN], name[NAME_LEN];
    store_name(b->r.id, ".part", part);
    store_name(b->r.id, "", name);
    b->unsynced = true;
    if (sync_blob(b) < 0 || renameat(st->dirfd, part, st->dirfd, name) < 0 ||
        fsync(st->dirfd) < 0) {
        set_refuse(refuse, LM_FILE_IO);
        return LM_EIO;
    }
    store_close_blob(st, b); /* reopened read-only under its new name */
    b->r.complete = true;
    st->dirty = true;
    return store_save(st);
}

int lm_store_put(lm_store *st, const uint8_t id[LM_FILE_ID_LEN], uint32_t index,
                 const uint8_t *data, size_t len, const lm_hash *proof,
                 size_t nproof, lm_store_blob *out, uint8_t *refuse)
{
    set_refuse(refuse, 0);
    blob *b = store_find(st, id);
    if (!b) {
        set_refuse(refuse, LM_FILE_UNKNOWN);
        return LM_ENOTFOUND;
    }
    if (index >= b->n || !data ||
        len != lm_file_chunk_len(b->r.size, b->r.chunk, index))
        return LM_EINVAL;
    if (lm_chunkset_has(&b->r.held, index)) {
        blob_info(b, out);
        return 0;
    }
    if (index - b->r.held.next >= LM_XFER_SLOTS)
        return LM_EINVAL;
    if (store_open_blob(st, b) < 0) {
        set_refuse(refuse, LM_FILE_IO);
        return LM_EIO;
    }
    lm_hash leaf;
    lm_ftree_leaf(data, len, leaf);
    if (lm_ftree_verify(b->n, index, leaf, proof, nproof, b->r.root, b->tree) <
        0) {
        set_refuse(refuse, LM_FILE_BAD_HASH);
        return LM_EAUTH;
    }
    if (pwrite_all(b->fd, data, len, (uint64_t)index * b->r.chunk) < 0) {
        set_refuse(refuse, errno == ENOSPC ? LM_FILE_DISK_FULL : LM_FILE_IO);
        return LM_EIO;
    }
    lm_chunkset_add(&b->r.held, b->n, index); /* in the slots: checked */
    b->unsynced = true;
    st->dirty = true;
    if (hash_prefix(st, b, index, data) < 0) {
        set_refuse(refuse, LM_FILE_IO);
        return LM_EIO;
    }
    if (b->r.held.next == b->n) {
        int rc = complete(st, b, refuse);
        if (rc < 0)
            return rc;
    }
    blob_info(b, out);
    return 0;
}

/* ---- serving ------------------------------------------------------------- */

int lm_store_read(lm_store *st, const uint8_t id[LM_FILE_ID_LEN],
                  uint32_t index, uint8_t *buf, size_t cap, size_t *len,
                  lm_hash *proof, size_t *nproof)
{
    blob *b = store_find(st, id);
    if (!b)
        return LM_ENOTFOUND;
    size_t n = lm_file_chunk_len(b->r.size, b->r.chunk, index);
    if (index >= b->n || !lm_chunkset_has(&b->r.held, index) || cap < n)
        return LM_EINVAL;
    if (store_open_blob(st, b) < 0)
        return LM_EIO;
    int rc = store_pread(b->fd, buf, n, (uint64_t)index * b->r.chunk);
    if (rc < 0)
        return LM_EIO;
    size_t np = lm_ftree_proof(b->tree, b->n, index, proof);
    lm_hash leaf;
    lm_ftree_leaf(buf, n, leaf);
    if (lm_ftree_verify(b->n, index, leaf, proof, np, b->r.root, NULL) < 0) {
        store_drop(st, b, true); /* rotted on disk: never served */
        return LM_EAUTH;
    }
    *len = n;
    *nproof = np;
    return 0;
}

/* ---- offers -------------------------------------------------------------- */

static bool same_offer(const lm_file_offer *a, const lm_file_offer *b)
{
    return memcmp(a->id, b->id, LM_FILE_ID_LEN) == 0 && a->from == b->from &&
           strcmp(a->name, b->name) == 0 && a->nto == b->nto &&
           memcmp(a->to, b->to, a->nto * sizeof a->to[0]) == 0;
}

int lm_store_add_offer(lm_store *st, const lm_file_offer *o)
{
    uint8_t probe[2048]; /* an offer's fields are under 1 KiB */
    lm_writer w;
    lm_wr_init(&w, probe, sizeof probe);
    lm_file_offer_write(&w, o);
    if (lm_wr_done(&w) < 0)
        return LM_EINVAL;
    if (!store_find(st, o->id))
        return LM_ENOTFOUND;
    for (size_t i = 0; i < st->noffers; i++)
        if (same_offer(&st->offers[i], o))
            return 0;
    if (st->noffers == LM_STORE_OFFERS_MAX)
        return LM_EFULL;
    st->offers[st->noffers] = *o;
    st->offers[st->noffers].flags = 0; /* kept as an offer, not a message */
    st->noffers++;
    st->dirty = true;
    return 0;
}

bool lm_store_offer_at(const lm_store *st, size_t i, lm_file_offer *out)
{
    if (i >= st->noffers)
        return false;
    *out = st->offers[i];
    return true;
}

/* ---- handing a file out -------------------------------------------------- */

static int copy_out(lm_store *st, blob *b, int to)
{
    if (store_open_blob(st, b) < 0)
        return LM_EIO;
    for (uint64_t off = 0; off < b->r.size;) {
        uint64_t left = b->r.size - off;
        size_t len = left < sizeof st->buf ? (size_t)left : sizeof st->buf;
        if (store_pread(b->fd, st->buf, len, off) < 0 ||
            pwrite_all(to, st->buf, len, off) < 0)
            return LM_EIO;
        off += len;
    }
    return fdatasync(to) < 0 ? LM_EIO : 0;
}

int lm_store_export(lm_store *st, const uint8_t id[LM_FILE_ID_LEN], int dirfd,
                    const char *name, bool keep, char *out, size_t cap)
{
    blob *b = store_find(st, id);
    if (!b || !b->r.complete)
        return LM_ENOTFOUND;
    char safe[LM_SAFENAME_MAX + 1];
    lm_safename(name, name ? strlen(name) : 0, safe);
    int fd = lm_safename_create(dirfd, safe, 0644, out, cap);
    if (fd < 0)
        return fd;
    char src[NAME_LEN];
    store_name(id, "", src);
    if (!keep) {
        store_close_blob(st, b);
        /* over the empty file just made: the name stays ours throughout */
        if (renameat(st->dirfd, src, dirfd, out) == 0) {
            close(fd);
            fsync(dirfd);
            store_drop(st, b, true); /* the data is gone from here already */
            return store_save(st);
        }
        if (errno != EXDEV) {
            close(fd);
            unlinkat(dirfd, out, 0);
            return LM_EIO;
        }
    }
    int rc = copy_out(st, b, fd);
    close(fd);
    if (rc < 0) {
        unlinkat(dirfd, out, 0);
        return rc;
    }
    if (!keep) {
        store_drop(st, b, true);
        return store_save(st);
    }
    return 0;
}
