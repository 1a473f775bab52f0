/* store_load.c - the store's index on disk (store.h): saved atomically,
 * and at open loaded, checked against the files, or rebuilt from them. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "store_impl.h"

#define INDEX "index"
#define INDEX_TMP "index.tmp"
#define INDEX_BAD "index.bad"

/* ---- saving -------------------------------------------------------------- */

static int write_all(int fd, const uint8_t *buf, size_t len)
{
    while (len > 0) {
        ssize_t r = write(fd, buf, len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return LM_EIO;
        buf += r;
        len -= (size_t)r;
    }
    return 0;
}

int store_save(lm_store *st)
{
    size_t max = lm_store_index_max();
    if (!st->ixbuf && !(st->ixbuf = malloc(max)))
        return LM_ENOMEM;
    lm_store_rec *recs = malloc((st->nblobs ? st->nblobs : 1) * sizeof *recs);
    if (!recs)
        return LM_ENOMEM;
    for (size_t i = 0; i < st->nblobs; i++) {
        recs[i] = st->blobs[i].r;
        if (recs[i].complete) /* the record's form of "everything" */
            recs[i].held = (lm_chunkset){st->blobs[i].n, 0};
    }
    lm_store_index ix = {st->nblobs, recs, st->noffers, st->offers};
    lm_store_index_sort(&ix);
    int len = lm_store_index_encode(&ix, st->ixbuf, max);
    free(recs);
    if (len < 0)
        return len;
    int fd =
        openat(st->dirfd, INDEX_TMP,
               O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return LM_EIO;
    int rc = write_all(fd, st->ixbuf, (size_t)len);
    if (rc == 0 && fsync(fd) < 0)
        rc = LM_EIO;
    close(fd);
    /* the new index replaces the old whole, or not at all */
    if (rc == 0 && renameat(st->dirfd, INDEX_TMP, st->dirfd, INDEX) < 0)
        rc = LM_EIO;
    if (rc == 0 && fsync(st->dirfd) < 0)
        rc = LM_EIO;
    if (rc < 0) {
        unlinkat(st->dirfd, INDEX_TMP, 0);
        return rc;
    }
    st->dirty = false;
    return 0;
}

/* ---- reading the index --------------------------------------------------- */

/* The index's bytes (malloc'd) in *buf; 0, LM_ENOTFOUND (none), LM_ETOOBIG,
 * LM_EIO. */
static int read_index(lm_store *st, uint8_t **buf, size_t *len)
{
    int fd = openat(st->dirfd, INDEX, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return errno == ENOENT ? LM_ENOTFOUND : LM_EIO;
    struct stat sb;
    int rc = fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) ? LM_EIO : 0;
    if (rc == 0 && (uint64_t)sb.st_size > lm_store_index_max())
        rc = LM_ETOOBIG;
    size_t n = rc == 0 ? (size_t)sb.st_size : 0;
    *buf = rc == 0 ? malloc(n ? n : 1) : NULL;
    if (rc == 0 && !*buf)
        rc = LM_ENOMEM;
    if (rc == 0)
        rc = store_pread(fd, *buf, n, 0) == 0 ? 0 : LM_EIO;
    close(fd);
    if (rc < 0) {
        free(*buf);
        *buf = NULL;
        return rc;
    }
    *len = n;
    return 0;
}

/* ---- checking files against their records -------------------------------- */

/* Size of a regular file in the store, or -1. */
static int64_t file_size(lm_store *st, const uint8_t id[LM_FILE_ID_LEN],
                         const char *suffix)
{
    char name[NAME_LEN];
    struct stat sb;
    store_name(id, suffix, name);
    if (fstatat(st->dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) < 0 ||
        !S_ISREG(sb.st_mode))
        return -1;
    return (int64_t)sb.st_size;
}

/* Reads a complete file whole: its content must hash to its id; writes
 * its tree (for chunk size r->chunk) and takes the root from it. 0, or
 * LM_EAUTH / LM_EIO / LM_ENOMEM. */
static int scan_complete(lm_store *st, lm_store_rec *r)
{
    char name[NAME_LEN];
    store_name(r->id, "", name);
    int fd = openat(st->dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return LM_EIO;
    uint32_t n = lm_file_nchunks(r->size, r->chunk);
    uint64_t nodes = lm_ftree_nodes(n);
    lm_hash *tree = malloc((size_t)nodes * sizeof *tree);
    uint8_t id[LM_FILE_ID_LEN];
    int rc = tree ? lm_ftree_scan(fd, r->size, r->chunk, st->buf, tree, id)
                  : LM_ENOMEM;
    close(fd);
    if (rc == 0 && memcmp(id, r->id, LM_FILE_ID_LEN) != 0)
        rc = LM_EAUTH;
    if (rc == 0) {
        memcpy(r->root, lm_ftree_root(tree, n), LM_FILE_HASH_LEN);
        store_name(r->id, ".tree", name);
        int tfd =
            openat(st->dirfd, name,
                   O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (tfd < 0)
            rc = LM_EIO;
        for (uint64_t off = 0; rc == 0 && off < nodes * LM_FILE_HASH_LEN;) {
            ssize_t w = pwrite(tfd, (const uint8_t *)tree + off,
                               nodes * LM_FILE_HASH_LEN - off, (off_t)off);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                rc = LM_EIO;
            else
                off += (uint64_t)w;
        }
        if (tfd >= 0) {
            if (rc == 0 && fsync(tfd) < 0)
                rc = LM_EIO;
            close(tfd);
        }
    }
    free(tree);
    return rc;
}

/* A partial's held chunks, read back and checked against its root; those
 * that fail are dropped from what it holds (the prefix is cut at the first
 * that fails). Restarts its running SHA-256 over the prefix. */
static int check_partial(lm_store *st, blob *b, lm_store_report *rep)
{
    if (store_open_blob(st, b) < 0)
        return LM_EIO;
    lm_chunkset was = b->r.held, now = {0, 0};
    lm_sha256_init(&b->whole);
    b->hashed = 0;
    bool cut = false;
    uint64_t end = (uint64_t)was.next + LM_XFER_SLOTS;
    if (end > b->n)
        end = b->n;
    for (uint32_t i = 0; i < end; i++) {
        if (!lm_chunkset_has(&was, i))
            continue;
        size_t len = lm_file_chunk_len(b->r.size, b->r.chunk, i);
        lm_hash leaf, proof[LM_FILE_DEPTH_MAX];
        bool good = !cut && store_pread(b->fd, st->buf, len,
                                        (uint64_t)i * b->r.chunk) == 0;
        if (good) {
            lm_ftree_leaf(st->buf, len, leaf);
            size_t np = lm_ftree_proof(b->tree, b->n, i, proof);
            good =
                lm_ftree_verify(b->n, i, leaf, proof, np, b->r.root, NULL) == 0;
        }
        if (good && lm_chunkset_add(&now, b->n, i) == 0) {
            if (i == b->hashed && now.next > i) {
                lm_sha256_update(&b->whole, st->buf, len);
                b->hashed++;
            }
            continue;
        }
        if (i < was.next)
            cut = true; /* what follows is past the slots of the new prefix */
        rep->chunks_recut++;
    }
    if (now.next != was.next || now.bits != was.bits) {
        b->r.held = now;
        st->dirty = true;
    }
    return 0; /* the prefix was hashed in order above: hashed == next */
}

/* Whether the files of a record are there and as it says; may repair a
 * tree or finish a partial whose rename happened before the index knew. */
static bool check_rec(lm_store *st, lm_store_rec *r)
{
    uint32_t n = lm_file_nchunks(r->size, r->chunk);
    int64_t tree = (int64_t)(lm_ftree_nodes(n) * LM_FILE_HASH_LEN);
    if (!r->complete && file_size(st, r->id, ".part") < 0 &&
        file_size(st, r->id, "") == (int64_t)r->size) {
        lm_store_rec done = *r; /* renamed, then the process died */
        done.complete = true;
        done.held = (lm_chunkset){n, 0};
        if (scan_complete(st, &done) == 0 &&
            memcmp(done.root, r->root, LM_FILE_HASH_LEN) == 0) {
            *r = done;
            st->dirty = true;
            return true;
        }
        return false;
    }
    const char *data = r->complete ? "" : ".part";
    if (file_size(st, r->id, data) != (int64_t)r->size)
        return false;
    if (file_size(st, r->id, ".tree") == tree)
        return true;
    if (!r->complete)
        return false; /* a partial's tree holds what its proofs taught */
    lm_store_rec again = *r;
    if (scan_complete(st, &again) < 0 ||
        memcmp(again.root, r->root, LM_FILE_HASH_LEN) != 0)
        return false;
    return true;
}

/* ---- files with no record ------------------------------------------------ */

/* The id of a name "<64 hex><suffix>", if it is one. */
static bool parse_name(const char *name, const char *suffix,
                       uint8_t id[LM_FILE_ID_LEN])
{
    char hex[65];
    size_t len = strlen(name), sl = strlen(suffix);
    if (len != 64 + sl || strcmp(name + 64, suffix) != 0)
        return false;
    memcpy(hex, name, 64);
    hex[64] = '\0';
    return lm_file_id_parse(hex, id) == 0;
}

/* Complete files with no record are kept if their content is their name;
 * partials and trees with no record go (nothing says what they hold).
 * Names that are not the store's are left alone. */
static int sweep(lm_store *st, lm_store_report *rep)
{
    int fd = dup(st->dirfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return LM_EIO;
    }
    rewinddir(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        uint8_t id[LM_FILE_ID_LEN];
        blob *b = NULL;
        if (parse_name(e->d_name, "", id)) {
            if (store_find(st, id))
                continue;
            int64_t size = file_size(st, id, "");
            lm_store_rec r = {.chunk = LM_FILE_CHUNK_DEFAULT, .complete = true};
            memcpy(r.id, id, LM_FILE_ID_LEN);
            r.size = size < 0 ? 0 : (uint64_t)size;
            r.held.next = lm_file_nchunks(r.size, r.chunk);
            if (size >= 0 && (uint64_t)size <= LM_FILE_SIZE_MAX &&
                scan_complete(st, &r) == 0 && (b = store_add(st, &r))) {
                rep->adopted++;
                continue;
            }
        } else if (parse_name(e->d_name, ".part", id) ||
                   parse_name(e->d_name, ".tree", id)) {
            b = store_find(st, id);
            bool tree = strstr(e->d_name, ".tree") != NULL;
            if (b && (tree || !b->r.complete))
                continue;
        } else {
            continue;
        }
        unlinkat(st->dirfd, e->d_name, 0);
        rep->dropped++;
    }
    closedir(d);
    return 0;
}

/* ---- open ---------------------------------------------------------------- */

int store_load(lm_store *st, lm_store_report *rep)
{
    unlinkat(st->dirfd, INDEX_TMP, 0); /* a save that did not finish */
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = read_index(st, &buf, &len);
    bool had_index = rc != LM_ENOTFOUND;
    if (rc == LM_EIO || rc == LM_ENOMEM)
        return rc;
    lm_store_rec *recs = calloc(LM_STORE_BLOBS_MAX, sizeof *recs);
    if (!recs) {
        free(buf);
        return LM_ENOMEM;
    }
    lm_store_index ix = {0, recs, 0, st->offers};
    const char *why = "larger than any index";
    if (rc == 0)
        rc = lm_store_index_decode(buf, len, &ix, &why);
    free(buf);
    if (had_index && rc < 0) {
        renameat(st->dirfd, INDEX, st->dirfd, INDEX_BAD);
        rep->rebuilt = true;
        snprintf(rep->why, sizeof rep->why,
                 "the file index was refused (%s) and rebuilt from the "
                 "files; it is kept as " INDEX_BAD,
                 why);
        ix.nblobs = ix.noffers = 0;
    }
    for (size_t i = 0; i < ix.nblobs; i++) {
        if (!check_rec(st, &recs[i])) {
            rep->dropped++;
            st->dirty = true;
            continue;
        }
        blob *b = store_add(st, &recs[i]);
        if (b && !b->r.complete && check_partial(st, b, rep) < 0) {
            store_drop(st, b, false);
            rep->dropped++;
        }
    }
    free(recs);
    /* offers of files that did not check out go with them */
    size_t k = 0;
    for (size_t i = 0; i < ix.noffers; i++)
        if (store_find(st, st->offers[i].id))
            st->offers[k++] = st->offers[i];
    st->noffers = k;
    size_t before = st->nblobs;
    rc = sweep(st, rep);
    if (rc < 0)
        return rc;
    if (!had_index && st->nblobs > before) {
        rep->rebuilt = true;
        snprintf(rep->why, sizeof rep->why,
                 "there was no file index: rebuilt from the files");
    }
    rep->files = st->nblobs;
    st->dirty = true; /* the index now says what is on disk */
    return store_save(st);
}
