/* ftree.h - the hash tree over a file's chunks: per-chunk integrity with
 * memory that does not grow with the file on the receiving side.
 *
 * Leaf i = SHA-256(0x00 || chunk i); a parent = SHA-256(0x01 || left ||
 * right); the prefixes keep a leaf from passing for a parent. Each level
 * has ceil(width / 2) nodes above the one below; the last node of an odd
 * level moves up unchanged. The root goes in the offer (file_wire.h). A
 * chunk travels with its proof, the siblings on its way to the root (at
 * most LM_FILE_DEPTH_MAX hashes), so a receiver checks it on arrival with
 * the root alone and fetches again only a chunk that fails. An empty file
 * (no chunks) has the root SHA-256(0x00).
 *
 * Whoever serves chunks needs the whole tree: the nodes of every level, in
 * one array of lm_ftree_nodes(n) hashes, level 0 (the leaves) first, the
 * root last. For a 4 GiB file of 64 KiB chunks that is 131,071 nodes,
 * 4 MiB: the store keeps it in a file beside the data, mapped (store.h);
 * an uploader may keep it in memory or in a mapped temporary file. A hub
 * that receives chunks with their proofs fills its tree from them
 * (lm_ftree_verify with `into`), so it can serve each chunk it holds at
 * once, before the upload ends.
 *
 * Everything here is pure except lm_ftree_scan (reads a file). Any thread.
 */
#ifndef LM_FTREE_H
#define LM_FTREE_H

#include <stddef.h>
#include <stdint.h>

#include "file_wire.h"

typedef uint8_t lm_hash[LM_FILE_HASH_LEN];

/* Levels above the leaves for n chunks (0 for n <= 1). */
unsigned lm_ftree_depth(uint32_t n);
/* Nodes in the tree of n chunks (1 for n = 0: the empty root). */
uint64_t lm_ftree_nodes(uint32_t n);
/* Where node j of `level` sits in the array (level 0: the leaves). */
uint64_t lm_ftree_pos(uint32_t n, unsigned level, uint32_t j);

void lm_ftree_leaf(const uint8_t *data, size_t len, lm_hash out);
void lm_ftree_parent(const lm_hash left, const lm_hash right, lm_hash out);

/* Fills every level above the leaves, which nodes[0..n) already hold; for
 * n = 0 writes the empty root in nodes[0]. */
void lm_ftree_build(lm_hash *nodes, uint32_t n);
/* The root of a built tree. */
const uint8_t *lm_ftree_root(const lm_hash *nodes, uint32_t n);

/* Hashes in the proof of chunk i (i < n). */
size_t lm_ftree_proof_len(uint32_t n, uint32_t i);
/* Copies the proof of chunk i into proof (LM_FILE_DEPTH_MAX room) and
 * returns its length; the siblings must be in nodes. */
size_t lm_ftree_proof(const lm_hash *nodes, uint32_t n, uint32_t i,
                      lm_hash *proof);

/* Checks that leaf is chunk i of n under root. Returns 0, LM_EINVAL for
 * i >= n or n over LM_FILE_CHUNKS_MAX, LM_EPROTO for a proof of the wrong
 * length, LM_EAUTH when it does not lead to the root. On success and with
 * `into` not NULL, writes the leaf, its siblings and every node on its path
 * into that tree array, so the chunk can be served with its proof. */
int lm_ftree_verify(uint32_t n, uint32_t i, const lm_hash leaf,
                    const lm_hash *proof, size_t nproof, const lm_hash root,
                    lm_hash *into);

/* Reads `size` bytes of fd from offset 0 in chunks (buf: `chunk` bytes of
 * scratch), writes the leaves and builds the tree in nodes (if not NULL),
 * and gives the SHA-256 of the whole content in id (if not NULL). Blocking
 * disk I/O: a worker's job. Returns 0, LM_EINVAL for bad params, LM_EIO for
 * a read error, LM_EPROTO when the file is shorter than size. */
int lm_ftree_scan(int fd, uint64_t size, uint32_t chunk, uint8_t *buf,
                  lm_hash *nodes, uint8_t id[LM_FILE_ID_LEN]);

#endif
