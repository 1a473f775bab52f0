/* test_file_tree.c - tests for core/files/sha256.c and core/files/ftree.c.
 *
 * SHA-256: the FIPS 180-4 examples, and the SHA-extension code against
 * libsodium's on every length up to 300 bytes fed in pieces of several
 * sizes and on a few large buffers. The tree: its shape by table, a root
 * worked out by hand, every chunk's proof of trees of 1 to 40 chunks (and
 * of 65,536) checked, tampering refused, a blank tree filled from proofs
 * alone, and a file scanned from disk. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "err.h"
#include "files/ftree.h"
#include "files/sha256.h"

static void hex_of(const uint8_t *d, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", d[i]);
}

static void test_sha256_vectors(void)
{
    static const struct {
        const char *msg;
        size_t repeat;
        const char *hex;
    } rows[] = {
        {"abc", 1,
         "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {"", 1,
         "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1,
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
        {"a", 1000000,
         "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        for (int portable = 0; portable < 2; portable++) {
            lm_sha256 s;
            if (portable)
                lm_sha256_init_portable(&s);
            else
                lm_sha256_init(&s);
            for (size_t r = 0; r < rows[i].repeat; r++)
                lm_sha256_update(&s, rows[i].msg, strlen(rows[i].msg));
            uint8_t d[32];
            char hex[65];
            lm_sha256_final(&s, d);
            hex_of(d, 32, hex);
            CHECK_EQ_STR(hex, rows[i].hex);
        }
    }
    printf("  SHA extensions %s\n",
           lm_sha256_accelerated() ? "used" : "absent: libsodium only");
}

static void test_sha256_against_libsodium(void)
{
    size_t big = 1 << 20;
    uint8_t *data = malloc(big);
    CHECK(data != NULL);
    if (!data)
        return;
    uint32_t x = 12345;
    for (size_t i = 0; i < big; i++) {
        x = x * 1103515245u + 12345u;
        data[i] = (uint8_t)(x >> 24);
    }
    static const size_t pieces[] = {1, 7, 63, 64, 65, 200};
    int bad = 0;
    for (size_t len = 0; len <= 300; len++) {
        uint8_t want[32];
        crypto_hash_sha256(want, data, len);
        for (size_t p = 0; p < sizeof pieces / sizeof pieces[0]; p++) {
            lm_sha256 s;
            lm_sha256_init(&s);
            for (size_t off = 0; off < len; off += pieces[p]) {
                size_t k = len - off < pieces[p] ? len - off : pieces[p];
                lm_sha256_update(&s, data + off, k);
            }
            uint8_t got[32];
            lm_sha256_final(&s, got);
            bad += memcmp(got, want, 32) != 0;
        }
    }
    static const size_t larges[] = {4096, 65535, 65536, 65537, 1 << 20};
    for (size_t i = 0; i < sizeof larges / sizeof larges[0]; i++) {
        uint8_t want[32], got[32];
        crypto_hash_sha256(want, data, larges[i]);
        lm_sha256_buf(data, larges[i], got);
        bad += memcmp(got, want, 32) != 0;
    }
    CHECK_EQ_INT(bad, 0);
    free(data);
}

static void test_shape(void)
{
    static const struct {
        uint32_t n;
        unsigned depth;
        uint64_t nodes;
    } rows[] = {
        {0, 0, 1},
        {1, 0, 1},
        {2, 1, 3},
        {3, 2, 6},
        {4, 2, 7},
        {5, 3, 11},
        {7, 3, 14},
        {8, 3, 15},
        {9, 4, 20},
        {65536, 16, 131071},
        {LM_FILE_CHUNKS_MAX, LM_FILE_DEPTH_MAX, 2ull * LM_FILE_CHUNKS_MAX - 1},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        CHECK_EQ_INT(lm_ftree_depth(rows[i].n), rows[i].depth);
        CHECK(lm_ftree_nodes(rows[i].n) == rows[i].nodes);
    }
    /* n = 5: levels of 5, 3, 2, 1 nodes */
    CHECK_EQ_INT(lm_ftree_pos(5, 0, 4), 4);
    CHECK_EQ_INT(lm_ftree_pos(5, 1, 0), 5);
    CHECK_EQ_INT(lm_ftree_pos(5, 2, 1), 9);
    CHECK_EQ_INT(lm_ftree_pos(5, 3, 0), 10);
    /* proof lengths: the odd one out has no sibling on its level */
    CHECK_EQ_INT(lm_ftree_proof_len(5, 0), 3);
    CHECK_EQ_INT(lm_ftree_proof_len(5, 4), 1); /* moves up twice alone */
    CHECK_EQ_INT(lm_ftree_proof_len(1, 0), 0);
}

/* Leaves of n chunks of data derived from i, in nodes[0..n). */
static void make_leaves(lm_hash *nodes, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        uint8_t chunk[40];
        for (size_t k = 0; k < sizeof chunk; k++)
            chunk[k] = (uint8_t)(i * 31 + k);
        lm_ftree_leaf(chunk, sizeof chunk - (i % 5), nodes[i]);
    }
}

static void test_root_by_hand(void)
{
    /* three chunks: root = P(P(L0, L1), L2), L2 moving up alone */
    lm_hash nodes[6], l01, root;
    make_leaves(nodes, 3);
    lm_ftree_build(nodes, 3);
    lm_ftree_parent(nodes[0], nodes[1], l01);
    lm_ftree_parent(l01, nodes[2], root);
    CHECK(memcmp(lm_ftree_root(nodes, 3), root, 32) == 0);
    /* a leaf is not a parent: the prefixes differ */
    uint8_t in[65] = {0x01};
    memcpy(in + 1, nodes[0], 32);
    memcpy(in + 33, nodes[1], 32);
    lm_hash leaf;
    lm_ftree_leaf(in + 1, 64, leaf);
    CHECK(memcmp(leaf, l01, 32) != 0);
    /* the empty file's root is SHA-256(0x00) */
    lm_hash empty;
    lm_ftree_build(&empty, 0);
    uint8_t zero = 0, want[32];
    crypto_hash_sha256(want, &zero, 1);
    CHECK(memcmp(empty, want, 32) == 0);
}

/* Every chunk's proof checks, tampering is refused, and a blank tree
 * filled from proofs in a scattered order can serve each chunk at once. */
static void check_tree(uint32_t n)
{
    uint64_t count = lm_ftree_nodes(n);
    lm_hash *nodes = calloc(count, sizeof *nodes);
    lm_hash *blank = calloc(count, sizeof *blank);
    CHECK(nodes && blank);
    if (!nodes || !blank) {
        free(nodes);
        free(blank);
        return;
    }
    make_leaves(nodes, n);
    lm_ftree_build(nodes, n);
    lm_hash root;
    memcpy(root, lm_ftree_root(nodes, n), 32);
    int bad = 0;
    uint32_t step = n > 1000 ? 977 : 1; /* a big tree: a sample of chunks */
    for (uint64_t k = 0; k < n; k += step) {
        uint32_t i = (uint32_t)((k * 7919) % n); /* scattered */
        lm_hash proof[LM_FILE_DEPTH_MAX], served[LM_FILE_DEPTH_MAX];
        size_t np = lm_ftree_proof(nodes, n, i, proof);
        bad += np != lm_ftree_proof_len(n, i);
        bad += lm_ftree_verify(n, i, nodes[i], proof, np, root, blank) != 0;
        /* what the blank tree learnt serves this chunk's proof */
        bad += lm_ftree_proof(blank, n, i, served) != np;
        bad += memcmp(served, proof, np * 32) != 0;
        lm_hash other;
        memcpy(other, nodes[i], 32);
        other[5] ^= 1;
        bad += lm_ftree_verify(n, i, other, proof, np, root, NULL) != LM_EAUTH;
        if (np > 0) {
            proof[np - 1][0] ^= 0x80;
            bad += lm_ftree_verify(n, i, nodes[i], proof, np, root, NULL) !=
                   LM_EAUTH;
            bad += lm_ftree_verify(n, i, nodes[i], proof, np - 1, root, NULL) !=
                   LM_EPROTO;
        }
        bad += lm_ftree_verify(n, i, nodes[i], proof, np + 1, root, NULL) !=
               LM_EPROTO;
        if (n > 1) { /* a chunk's hash passed off as its neighbour's */
            uint32_t j = i ^ 1;
            if (j < n && lm_ftree_proof_len(n, j) == np)
                bad += lm_ftree_verify(n, j, nodes[i], proof, np, root, NULL) !=
                       LM_EAUTH;
        }
    }
    if (step == 1) /* every chunk came in: the blank tree is the tree */
        bad += memcmp(blank, nodes, count * 32) != 0;
    lm_hash p[LM_FILE_DEPTH_MAX];
    bad += lm_ftree_verify(n, n, nodes[0], p, 0, root, NULL) != LM_EINVAL;
    if (bad)
        printf("  tree of %u chunks: %d failures\n", n, bad);
    CHECK_EQ_INT(bad, 0);
    free(nodes);
    free(blank);
}

static void test_proofs(void)
{
    for (uint32_t n = 1; n <= 40; n++)
        check_tree(n);
    check_tree(65536); /* a 4 GiB file of 64 KiB chunks */
    check_tree(100001);
    lm_hash p[1], r = {0}, l = {0};
    CHECK_EQ_INT(lm_ftree_verify(0, 0, l, p, 0, r, NULL), LM_EINVAL);
    CHECK_EQ_INT(lm_ftree_verify(LM_FILE_CHUNKS_MAX + 1, 0, l, p, 0, r, NULL),
                 LM_EINVAL);
}

static void test_scan(void)
{
    char path[] = "/tmp/lm_tree_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    unlink(path);
    const uint32_t chunk = LM_FILE_CHUNK_MIN;
    const size_t size = 3 * chunk + 17;
    uint8_t *data = malloc(size);
    uint8_t *buf = malloc(chunk);
    lm_hash nodes[8], want[8];
    for (size_t i = 0; i < size; i++)
        data[i] = (uint8_t)(i ^ (i >> 8));
    CHECK(write(fd, data, size) == (ssize_t)size);
    uint8_t id[32], want_id[32];
    CHECK_EQ_INT(lm_ftree_scan(fd, size, chunk, buf, nodes, id), 0);
    crypto_hash_sha256(want_id, data, size);
    CHECK(memcmp(id, want_id, 32) == 0);
    for (uint32_t i = 0; i < 4; i++)
        lm_ftree_leaf(data + (size_t)i * chunk, i < 3 ? chunk : 17, want[i]);
    lm_ftree_build(want, 4);
    CHECK(memcmp(nodes, want, lm_ftree_nodes(4) * 32) == 0);
    /* the file is shorter than it claims */
    CHECK_EQ_INT(lm_ftree_scan(fd, size + 1, chunk, buf, nodes, id), LM_EPROTO);
    CHECK_EQ_INT(lm_ftree_scan(fd, size, 1000, buf, nodes, id), LM_EINVAL);
    CHECK_EQ_INT(lm_ftree_scan(-1, size, chunk, buf, nodes, id), LM_EIO);
    close(fd);
    free(data);
    free(buf);
}

int main(void)
{
    RUN(test_sha256_vectors);
    RUN(test_sha256_against_libsodium);
    RUN(test_shape);
    RUN(test_root_by_hand);
    RUN(test_proofs);
    RUN(test_scan);
    return check_report();
}
