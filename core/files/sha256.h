/* sha256.h - SHA-256 at the speed of the link, for file ids and chunks.
 *
 * libsodium's crypto_hash_sha256 is portable C: 172 MB/s on these
 * machines (64 KiB blocks), and a hub hashes every byte twice (the chunk's
 * leaf, the whole file), which would cap a transfer near 86 MB/s, under
 * the 100 MB/s. Where the CPU has the SHA extensions (Intel since
 * Goldmont and Ice Lake, AMD since Zen) this module runs the compression
 * on them instead (~1.1 GB/s, as OpenSSL measures on the same machine);
 * elsewhere it is libsodium's. Both give the same digest: the tests
 * compare them on every length of a table and on random data.
 *
 * State is the caller's; no globals. Any thread.
 */
#ifndef LM_SHA256_H
#define LM_SHA256_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#define LM_SHA256_LEN 32

typedef struct lm_sha256 {
    bool ni; /* the SHA extensions run it; else libsodium */
    union {
        crypto_hash_sha256_state sodium;
        struct {
            uint32_t h[8];
            uint64_t bytes;  /* hashed so far */
            uint8_t buf[64]; /* a partial block */
            size_t nbuf;
        } own;
    } u;
} lm_sha256;

/* True when this CPU has the SHA extensions (and SSE4.1). */
bool lm_sha256_accelerated(void);

void lm_sha256_init(lm_sha256 *s);
/* libsodium's code whatever the CPU: for tests and the benchmark. */
void lm_sha256_init_portable(lm_sha256 *s);
void lm_sha256_update(lm_sha256 *s, const void *data, size_t len);
void lm_sha256_final(lm_sha256 *s, uint8_t out[LM_SHA256_LEN]);

/* The digest of one buffer. */
void lm_sha256_buf(const void *data, size_t len, uint8_t out[LM_SHA256_LEN]);

#endif
