/* sha256.c - SHA-256 on the CPU's SHA extensions, or libsodium's
 * (sha256.h).
 *
 * The message padding and the block buffer are FIPS 180-4's (section
 * 5.1.1); the compression of one block follows Intel's description of
 * the instructions: SHA256RNDS2 does two rounds on the state split as
 * {A,B,E,F} and {C,D,G,H}, SHA256MSG1 and SHA256MSG2 extend the message
 * schedule four words at a time.
 */
#include "sha256.h"

#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#define HAVE_SHA_NI 1
#include <cpuid.h>
#include <immintrin.h>
#include <stdatomic.h>
#endif

/* FIPS 180-4 5.3.3: the initial hash value. */
static const uint32_t H0[8] = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

#ifdef HAVE_SHA_NI

/* FIPS 180-4 4.2.2: the round constants. */
static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
    0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
    0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
    0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
    0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
    0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
    0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
    0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

/* CPUID leaf 7 EBX bit 29 is SHA; leaf 1 ECX bits 19 and 9 are SSE4.1
 * and SSSE3. Asked once: in a virtual machine each CPUID is a trip to the
 * hypervisor, and a chunk takes dozens of hashes. */
static int detect(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 19)) ||
        !(c & (1u << 9)))
        return 0;
    if (__get_cpuid_max(0, NULL) < 7)
        return 0;
    __cpuid_count(7, 0, a, b, c, d);
    return (b >> 29) & 1;
}

bool lm_sha256_accelerated(void)
{
    static atomic_int known = -1; /* any thread may be the first to ask */
    int v = atomic_load_explicit(&known, memory_order_relaxed);
    if (v < 0) {
        v = detect();
        atomic_store_explicit(&known, v, memory_order_relaxed);
    }
    return v == 1;
}

/* Hashes nblocks 64-byte blocks into h. */
__attribute__((target("sha,sse4.1,ssse3"))) static void
compress_ni(uint32_t h[8], const uint8_t *p, size_t nblocks)
{
    /* bytes of each 32-bit word reversed: the message is big-endian */
    const __m128i bswap =
        _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
    __m128i dcba = _mm_loadu_si128((const __m128i *)(const void *)&h[0]);
    __m128i hgfe = _mm_loadu_si128((const __m128i *)(const void *)&h[4]);
    /* lanes from low to high: abef = F,E,B,A and cdgh = H,G,D,C */
    __m128i badc = _mm_shuffle_epi32(dcba, 0xb1);
    __m128i efgh = _mm_shuffle_epi32(hgfe, 0x1b);
    __m128i abef = _mm_alignr_epi8(badc, efgh, 8);
    __m128i cdgh = _mm_blend_epi16(efgh, badc, 0xf0);

    for (; nblocks > 0; nblocks--, p += 64) {
        __m128i abef0 = abef, cdgh0 = cdgh;
        __m128i m[4];
        for (int g = 0; g < 16; g++) {
            __m128i *w = &m[g & 3];
            if (g < 4) {
                *w = _mm_shuffle_epi8(
                    _mm_loadu_si128(
                        (const __m128i *)(const void *)(p + 16 * g)),
                    bswap);
            } else {
                /* W[t..t+3] from W[t-16..t-13] (in *w), W[t-12..t-9],
                 * W[t-7..t-4] and W[t-4..t-1] */
                __m128i t16 = _mm_sha256msg1_epu32(*w, m[(g - 3) & 3]);
                __m128i t7 = _mm_alignr_epi8(m[(g - 1) & 3], m[(g - 2) & 3], 4);
                *w = _mm_sha256msg2_epu32(_mm_add_epi32(t16, t7),
                                          m[(g - 1) & 3]);
            }
            __m128i wk = _mm_add_epi32(
                *w, _mm_loadu_si128((const __m128i *)(const void *)&K[4 * g]));
            cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk);
            wk = _mm_shuffle_epi32(wk, 0x0e);
            abef = _mm_sha256rnds2_epu32(abef, cdgh, wk);
        }
        abef = _mm_add_epi32(abef, abef0);
        cdgh = _mm_add_epi32(cdgh, cdgh0);
    }

    __m128i feba = _mm_shuffle_epi32(abef, 0x1b);
    __m128i dchg = _mm_shuffle_epi32(cdgh, 0xb1);
    _mm_storeu_si128((__m128i *)(void *)&h[0],
                     _mm_blend_epi16(feba, dchg, 0xf0));
    _mm_storeu_si128((__m128i *)(void *)&h[4], _mm_alignr_epi8(dchg, feba, 8));
}

#else

bool lm_sha256_accelerated(void)
{
    return false;
}

static void compress_ni(uint32_t h[8], const uint8_t *p, size_t nblocks)
{
    (void)h, (void)p, (void)nblocks; /* never called: ni is never set */
}

#endif

void lm_sha256_init_portable(lm_sha256 *s)
{
    memset(s, 0, sizeof *s);
    s->ni = false;
    crypto_hash_sha256_init(&s->u.sodium);
}

void lm_sha256_init(lm_sha256 *s)
{
    if (!lm_sha256_accelerated()) {
        lm_sha256_init_portable(s);
        return;
    }
    memset(s, 0, sizeof *s);
    s->ni = true;
    memcpy(s->u.own.h, H0, sizeof H0);
}

void lm_sha256_update(lm_sha256 *s, const void *data, size_t len)
{
    const uint8_t *p = data;
    if (len == 0) /* data may be NULL then */
        return;
    if (!s->ni) {
        crypto_hash_sha256_update(&s->u.sodium, p, len);
        return;
    }
    s->u.own.bytes += len;
    if (s->u.own.nbuf > 0) {
        size_t take = 64 - s->u.own.nbuf;
        if (take > len)
            take = len;
        memcpy(s->u.own.buf + s->u.own.nbuf, p, take);
        s->u.own.nbuf += take;
        p += take;
        len -= take;
        if (s->u.own.nbuf < 64)
            return;
        compress_ni(s->u.own.h, s->u.own.buf, 1);
        s->u.own.nbuf = 0;
    }
    if (len >= 64) {
        compress_ni(s->u.own.h, p, len / 64);
        p += len & ~(size_t)63;
        len &= 63;
    }
    memcpy(s->u.own.buf, p, len);
    s->u.own.nbuf = len;
}

void lm_sha256_final(lm_sha256 *s, uint8_t out[LM_SHA256_LEN])
{
    if (!s->ni) {
        crypto_hash_sha256_final(&s->u.sodium, out);
        return;
    }
    /* 0x80, zeros to 56 bytes mod 64, then the length in bits, big-endian */
    uint64_t bits = s->u.own.bytes * 8;
    uint8_t pad[72] = {0x80};
    size_t npad = (s->u.own.nbuf < 56 ? 56 : 120) - s->u.own.nbuf;
    for (int i = 0; i < 8; i++)
        pad[npad + (size_t)i] = (uint8_t)(bits >> (56 - 8 * i));
    lm_sha256_update(s, pad, npad + 8);
    for (int i = 0; i < 8; i++) {
        uint32_t v = s->u.own.h[i];
        out[4 * i] = (uint8_t)(v >> 24);
        out[4 * i + 1] = (uint8_t)(v >> 16);
        out[4 * i + 2] = (uint8_t)(v >> 8);
        out[4 * i + 3] = (uint8_t)v;
    }
    sodium_memzero(s, sizeof *s);
}

void lm_sha256_buf(const void *data, size_t len, uint8_t out[LM_SHA256_LEN])
{
    lm_sha256 s;
    lm_sha256_init(&s);
    lm_sha256_update(&s, data, len);
    lm_sha256_final(&s, out);
}
