/* store_check.h - what the store's tests share: a file to send (content,
 * tree, id), a fresh store folder under one temporary folder per run, and
 * checks on what is on disk. */
#ifndef LM_STORE_CHECK_H
#define LM_STORE_CHECK_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "err.h"
#include "files/sha256.h"
#include "files/store.h"

#define K16 (16u * 1024)

static char top[] = "/tmp/lm_store_XXXXXX"; /* everything of the test */
static char dir[300];                       /* the store in it */

/* A file to send: content, tree, id. */
typedef struct src {
    uint8_t *data;
    uint64_t size;
    uint32_t chunk, n;
    lm_hash *tree;
    uint8_t id[32], root[32];
} src;

static inline void src_make(src *s, uint64_t size, uint32_t chunk,
                            uint32_t seed)
{
    s->size = size;
    s->chunk = chunk;
    s->n = lm_file_nchunks(size, chunk);
    s->data = malloc(size ? size : 1);
    uint32_t x = seed;
    for (uint64_t i = 0; i < size; i++) {
        x = x * 1103515245u + 12345u;
        s->data[i] = (uint8_t)(x >> 16);
    }
    s->tree = calloc(lm_ftree_nodes(s->n), sizeof *s->tree);
    for (uint32_t i = 0; i < s->n; i++)
        lm_ftree_leaf(s->data + (uint64_t)i * chunk,
                      lm_file_chunk_len(size, chunk, i), s->tree[i]);
    lm_ftree_build(s->tree, s->n);
    memcpy(s->root, lm_ftree_root(s->tree, s->n), 32);
    lm_sha256_buf(s->data, size, s->id);
}

static inline void src_free(src *s)
{
    free(s->data);
    free(s->tree);
}

static inline int src_begin(lm_store *st, const src *s, lm_store_blob *b,
                            uint8_t *rf)
{
    return lm_store_begin(st, s->id, s->size, s->chunk, s->root, b, rf);
}

static inline int src_put(lm_store *st, const src *s, uint32_t i,
                          lm_store_blob *b, uint8_t *rf)
{
    lm_hash proof[LM_FILE_DEPTH_MAX];
    size_t np = lm_ftree_proof(s->tree, s->n, i, proof);
    return lm_store_put(st, s->id, i, s->data + (uint64_t)i * s->chunk,
                        lm_file_chunk_len(s->size, s->chunk, i), proof, np, b,
                        rf);
}

static inline lm_store *open_store(uint64_t max_total, uint64_t max_file,
                                   lm_store_report *rep)
{
    lm_store_config cfg = {dir, max_total, max_file, 1};
    lm_store *st = NULL;
    int rc = lm_store_open(&cfg, &st, rep);
    CHECK_EQ_INT(rc, 0);
    return st;
}

static inline bool exists(const char *name)
{
    char p[600];
    struct stat sb;
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return stat(p, &sb) == 0;
}

static inline void hexname(const uint8_t id[32], const char *suffix, char *out)
{
    char hex[65];
    lm_file_id_hex(id, hex);
    sprintf(out, "%s%s", hex, suffix);
}

static inline void remove_tree(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char p[900];
        if (snprintf(p, sizeof p, "%s/%s", path, e->d_name) >= (int)sizeof p)
            continue; /* not one of ours: the test's names are short */
        struct stat sb;
        if (lstat(p, &sb) == 0 && S_ISDIR(sb.st_mode))
            remove_tree(p);
        else
            unlink(p);
    }
    closedir(d);
    rmdir(path);
}

static inline void fresh(const char *name)
{
    snprintf(dir, sizeof dir, "%s/%s", top, name);
    remove_tree(dir);
}

/* Every chunk reads back as sent, with a proof that checks. */
static inline int read_back(lm_store *st, const src *s)
{
    static uint8_t buf[LM_FILE_CHUNK_MAX];
    int bad = 0;
    for (uint32_t i = 0; i < s->n; i++) {
        size_t len = 0, np = 0;
        lm_hash proof[LM_FILE_DEPTH_MAX], leaf;
        if (lm_store_read(st, s->id, i, buf, sizeof buf, &len, proof, &np)) {
            bad++;
            continue;
        }
        lm_ftree_leaf(buf, len, leaf);
        bad += len != lm_file_chunk_len(s->size, s->chunk, i) ||
               memcmp(buf, s->data + (uint64_t)i * s->chunk, len) != 0 ||
               lm_ftree_verify(s->n, i, leaf, proof, np, s->root, NULL) != 0;
    }
    return bad;
}

static inline lm_file_offer offer_of(const src *s, uint64_t from,
                                     const char *name)
{
    lm_file_offer o;
    memset(&o, 0, sizeof o);
    memcpy(o.id, s->id, 32);
    o.size = s->size;
    o.chunk = s->chunk;
    memcpy(o.root, s->root, 32);
    o.from = from;
    o.ts = 1764700000000;
    snprintf(o.from_name, sizeof o.from_name, "node%llu",
             (unsigned long long)from);
    snprintf(o.name, sizeof o.name, "%s", name);
    return o;
}

static inline void write_file(const char *name, const void *data, size_t len)
{
    char p[600];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    CHECK(f && fwrite(data, 1, len, f) == len);
    if (f)
        fclose(f);
}

static inline size_t read_file(const char *name, uint8_t *buf, size_t cap)
{
    char p[600];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "rb");
    size_t n = f ? fread(buf, 1, cap, f) : 0;
    if (f)
        fclose(f);
    return n;
}

/* Fills a store with one complete file, one partial and their offers. */
static inline void fill(src *done, src *part)
{
    lm_store *st = open_store(0, 0, NULL);
    lm_store_blob b;
    CHECK_EQ_INT(src_begin(st, done, &b, NULL), 0);
    for (uint32_t i = 0; i < done->n; i++)
        CHECK_EQ_INT(src_put(st, done, i, &b, NULL), 0);
    CHECK_EQ_INT(src_begin(st, part, &b, NULL), 0);
    CHECK_EQ_INT(src_put(st, part, 0, &b, NULL), 0);
    lm_file_offer o = offer_of(done, 5, "kept.bin");
    CHECK_EQ_INT(lm_store_add_offer(st, &o), 0);
    lm_store_close(st);
}

static inline bool only_store_names(const char *path)
{
    DIR *d = opendir(path);
    bool ok = d != NULL;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        const char *n = e->d_name;
        size_t len = strlen(n);
        bool hex = len >= 64 && strspn(n, "0123456789abcdef") == 64 &&
                   (len == 64 || strcmp(n + 64, ".tree") == 0 ||
                    strcmp(n + 64, ".part") == 0);
        if (!hex && strcmp(n, ".") && strcmp(n, "..") && strcmp(n, "index") &&
            strcmp(n, "lock") && strcmp(n, "index.bad")) {
            printf("  unexpected in the store: %s\n", n);
            ok = false;
        }
    }
    if (d)
        closedir(d);
    return ok;
}

#endif
