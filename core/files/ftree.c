/* ftree.c - the hash tree over a file's chunks (ftree.h). */
#include "ftree.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "sha256.h"

unsigned lm_ftree_depth(uint32_t n)
{
    unsigned d = 0;
    for (uint64_t w = n; w > 1; w = (w + 1) / 2)
        d++;
    return d;
}

uint64_t lm_ftree_nodes(uint32_t n)
{
    if (n == 0)
        return 1;
    uint64_t total = 0, w = n;
    for (;;) {
        total += w;
        if (w == 1)
            return total;
        w = (w + 1) / 2;
    }
}

uint64_t lm_ftree_pos(uint32_t n, unsigned level, uint32_t j)
{
    uint64_t off = 0, w = n;
    for (unsigned k = 0; k < level; k++) {
        off += w;
        w = (w + 1) / 2;
    }
    return off + j;
}

void lm_ftree_leaf(const uint8_t *data, size_t len, lm_hash out)
{
    static const uint8_t tag = 0x00;
    lm_sha256 s;
    lm_sha256_init(&s);
    lm_sha256_update(&s, &tag, 1);
    lm_sha256_update(&s, data, len);
    lm_sha256_final(&s, out);
}

void lm_ftree_parent(const lm_hash left, const lm_hash right, lm_hash out)
{
    uint8_t in[1 + 2 * LM_FILE_HASH_LEN];
    in[0] = 0x01;
    memcpy(in + 1, left, LM_FILE_HASH_LEN);
    memcpy(in + 1 + LM_FILE_HASH_LEN, right, LM_FILE_HASH_LEN);
    lm_sha256_buf(in, sizeof in, out);
}

void lm_ftree_build(lm_hash *nodes, uint32_t n)
{
    if (n == 0) {
        lm_ftree_leaf(NULL, 0, nodes[0]);
        return;
    }
    uint64_t off = 0, w = n;
    while (w > 1) {
        uint64_t up = off + w; /* the level above starts here */
        for (uint64_t j = 0; 2 * j < w; j++) {
            if (2 * j + 1 < w)
                lm_ftree_parent(nodes[off + 2 * j], nodes[off + 2 * j + 1],
                                nodes[up + j]);
            else /* the odd one out moves up as it is */
                memcpy(nodes[up + j], nodes[off + 2 * j], LM_FILE_HASH_LEN);
        }
        off = up;
        w = (w + 1) / 2;
    }
}

const uint8_t *lm_ftree_root(const lm_hash *nodes, uint32_t n)
{
    return nodes[lm_ftree_nodes(n) - 1];
}

size_t lm_ftree_proof_len(uint32_t n, uint32_t i)
{
    size_t len = 0;
    uint64_t w = n, idx = i;
    for (; w > 1; w = (w + 1) / 2, idx /= 2)
        if ((idx ^ 1) < w)
            len++;
    return len;
}

size_t lm_ftree_proof(const lm_hash *nodes, uint32_t n, uint32_t i,
                      lm_hash *proof)
{
    size_t len = 0;
    uint64_t off = 0, w = n, idx = i;
    for (; w > 1; off += w, w = (w + 1) / 2, idx /= 2)
        if ((idx ^ 1) < w)
            memcpy(proof[len++], nodes[off + (idx ^ 1)], LM_FILE_HASH_LEN);
    return len;
}

int lm_ftree_verify(uint32_t n, uint32_t i, const lm_hash leaf,
                    const lm_hash *proof, size_t nproof, const lm_hash root,
                    lm_hash *into)
{
    if (n == 0 || n > LM_FILE_CHUNKS_MAX || i >= n)
        return LM_EINVAL;
    if (nproof != lm_ftree_proof_len(n, i))
        return LM_EPROTO;
    /* path[k]: the node at level k on the way up (the leaf at 0) */
    lm_hash path[LM_FILE_DEPTH_MAX + 1];
    memcpy(path[0], leaf, LM_FILE_HASH_LEN);
    unsigned k = 0;
    size_t used = 0;
    uint64_t w = n, idx = i;
    for (; w > 1; w = (w + 1) / 2, idx /= 2, k++) {
        if ((idx ^ 1) >= w) /* no sibling: moves up unchanged */
            memcpy(path[k + 1], path[k], LM_FILE_HASH_LEN);
        else if (idx & 1)
            lm_ftree_parent(proof[used++], path[k], path[k + 1]);
        else
            lm_ftree_parent(path[k], proof[used++], path[k + 1]);
    }
    if (sodium_memcmp(path[k], root, LM_FILE_HASH_LEN) != 0)
        return LM_EAUTH;
    if (!into)
        return 0;
    uint64_t off = 0;
    used = 0;
    w = n, idx = i, k = 0;
    for (;; off += w, w = (w + 1) / 2, idx /= 2, k++) {
        memcpy(into[off + idx], path[k], LM_FILE_HASH_LEN);
        if (w == 1)
            break;
        if ((idx ^ 1) < w)
            memcpy(into[off + (idx ^ 1)], proof[used++], LM_FILE_HASH_LEN);
    }
    return 0;
}

/* Reads exactly len bytes at off, or says why not. */
static int read_at(int fd, uint8_t *buf, size_t len, uint64_t off)
{
    while (len > 0) {
        ssize_t r = pread(fd, buf, len, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return LM_EIO;
        if (r == 0)
            return LM_EPROTO; /* shorter than it said */
        buf += r;
        len -= (size_t)r;
        off += (uint64_t)r;
    }
    return 0;
}

int lm_ftree_scan(int fd, uint64_t size, uint32_t chunk, uint8_t *buf,
                  lm_hash *nodes, uint8_t id[LM_FILE_ID_LEN])
{
    if (!lm_file_params_ok(size, chunk) || !buf)
        return LM_EINVAL;
    uint32_t n = lm_file_nchunks(size, chunk);
    lm_sha256 whole;
    lm_sha256_init(&whole);
    for (uint32_t i = 0; i < n; i++) {
        size_t len = lm_file_chunk_len(size, chunk, i);
        int rc = read_at(fd, buf, len, (uint64_t)i * chunk);
        if (rc < 0)
            return rc;
        lm_sha256_update(&whole, buf, len);
        if (nodes)
            lm_ftree_leaf(buf, len, nodes[i]);
    }
    if (nodes)
        lm_ftree_build(nodes, n);
    uint8_t digest[LM_FILE_ID_LEN];
    lm_sha256_final(&whole, digest);
    if (id)
        memcpy(id, digest, sizeof digest);
    return 0;
}
