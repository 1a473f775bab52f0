/* bench_store.c - what hashing and the store cost per byte: a benchmark,
 * not a test.
 *
 * Prints MB/s for SHA-256 alone (this CPU's SHA extensions, and
 * libsodium's portable code in the same run), for an uploader's scan (a
 * leaf hash per chunk and the whole file's SHA-256: the work before an
 * offer), for store writes of a synthetic file (lm_store_put: the chunk's
 * proof checked, written, the running SHA-256, and at the end fsync and
 * rename) and for store reads (lm_store_read: read and checked against the
 * tree, from the page cache). The file lives in a temporary folder under
 * DIR and is removed after.
 *
 *   bench_store [--size MiB] [--chunk KiB] [--dir DIR]   (256, 64, /tmp)
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "files/ftree.h"
#include "files/sha256.h"
#include "files/store.h"

#define PATTERNS 16

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint8_t *patterns[PATTERNS];

/* Chunk i of the synthetic file: a pattern stamped with its index. */
static const uint8_t *chunk_of(uint32_t i, uint8_t *scratch, size_t len)
{
    memcpy(scratch, patterns[i % PATTERNS], len);
    memcpy(scratch, &i, len < sizeof i ? len : sizeof i);
    return scratch;
}

static void remove_dir(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        char p[1400];
        if (e->d_name[0] == '.')
            continue;
        snprintf(p, sizeof p, "%s/%s", path, e->d_name);
        unlink(p);
    }
    if (d)
        closedir(d);
    rmdir(path);
}

static double sha_rate(bool portable, uint64_t size, uint32_t chunk)
{
    lm_sha256 s;
    if (portable)
        lm_sha256_init_portable(&s);
    else
        lm_sha256_init(&s);
    double t = now_s();
    for (uint64_t off = 0; off < size; off += chunk)
        lm_sha256_update(&s, patterns[(off / chunk) % PATTERNS], chunk);
    uint8_t d[32];
    lm_sha256_final(&s, d);
    return (double)size / (now_s() - t) / 1e6;
}

int main(int argc, char **argv)
{
    uint64_t mib = 256;
    uint32_t chunk = LM_FILE_CHUNK_DEFAULT;
    const char *base = "/tmp";
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--size") == 0)
            mib = strtoull(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--chunk") == 0)
            chunk = (uint32_t)strtoul(argv[i + 1], NULL, 10) * 1024;
        else if (strcmp(argv[i], "--dir") == 0)
            base = argv[i + 1];
    }
    uint64_t size = mib << 20;
    if (!lm_file_params_ok(size, chunk) || size == 0) {
        fprintf(stderr, "bench_store: bad --size or --chunk\n");
        return 2;
    }
    uint32_t x = 1;
    for (int p = 0; p < PATTERNS; p++) {
        patterns[p] = malloc(chunk);
        for (uint32_t i = 0; i < chunk; i++) {
            x ^= x << 13, x ^= x >> 17, x ^= x << 5;
            patterns[p][i] = (uint8_t)x;
        }
    }
    printf("file %llu MiB in %u KiB chunks; SHA extensions %s\n",
           (unsigned long long)mib, chunk / 1024,
           lm_sha256_accelerated() ? "present" : "absent");
    printf("sha256 alone:        %8.0f MB/s\n", sha_rate(false, size, chunk));
    printf("sha256 (libsodium):  %8.0f MB/s\n", sha_rate(true, size, chunk));

    /* the uploader's pass: leaves and the whole file's hash */
    uint32_t n = lm_file_nchunks(size, chunk);
    lm_hash *tree = malloc(lm_ftree_nodes(n) * sizeof *tree);
    uint8_t *buf = malloc(chunk), id[32];
    lm_sha256 whole;
    lm_sha256_init(&whole);
    double t = now_s();
    for (uint32_t i = 0; i < n; i++) {
        size_t len = lm_file_chunk_len(size, chunk, i);
        const uint8_t *c = chunk_of(i, buf, len);
        lm_sha256_update(&whole, c, len);
        lm_ftree_leaf(c, len, tree[i]);
    }
    lm_ftree_build(tree, n);
    lm_sha256_final(&whole, id);
    printf("scan (leaf + whole): %8.0f MB/s\n",
           (double)size / (now_s() - t) / 1e6);

    char dir[1024];
    snprintf(dir, sizeof dir, "%s/lm_bench_store_XXXXXX", base);
    if (!mkdtemp(dir)) {
        perror(dir);
        return 1;
    }
    char sdir[1100];
    snprintf(sdir, sizeof sdir, "%s/store", dir);
    lm_store_config cfg = {sdir, size * 2, 0, 0};
    lm_store *st = NULL;
    int rc = lm_store_open(&cfg, &st, NULL);
    lm_store_blob b;
    uint8_t refuse = 0;
    if (rc == 0)
        rc = lm_store_begin(st, id, size, chunk, lm_ftree_root(tree, n), &b,
                            &refuse);
    t = now_s();
    for (uint32_t i = 0; rc == 0 && i < n; i++) {
        size_t len = lm_file_chunk_len(size, chunk, i);
        lm_hash proof[LM_FILE_DEPTH_MAX];
        size_t np = lm_ftree_proof(tree, n, i, proof);
        rc = lm_store_put(st, id, i, chunk_of(i, buf, len), len, proof, np, &b,
                          &refuse);
        if (rc == 0 && i % 4096 == 4095) /* as the service would, ~1/s */
            rc = lm_store_sync(st);
    }
    double wt = now_s() - t;
    if (rc == 0 && b.complete) {
        printf("store writes:        %8.0f MB/s (verify, write, SHA-256, "
               "fsync, rename)\n",
               (double)size / wt / 1e6);
        size_t len, np;
        lm_hash proof[LM_FILE_DEPTH_MAX];
        t = now_s();
        for (uint32_t i = 0; rc == 0 && i < n; i++)
            rc = lm_store_read(st, id, i, buf, chunk, &len, proof, &np);
        printf("store reads:         %8.0f MB/s (read, checked against the "
               "tree)\n",
               (double)size / (now_s() - t) / 1e6);
    }
    if (rc < 0)
        fprintf(stderr, "bench_store: %s (refuse %s)\n", lm_strerror(rc),
                lm_file_refuse_word(refuse));
    lm_store_close(st);
    remove_dir(sdir);
    rmdir(dir);
    for (int p = 0; p < PATTERNS; p++)
        free(patterns[p]);
    free(tree);
    free(buf);
    return rc < 0;
}
