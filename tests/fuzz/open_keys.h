/* open_keys.h - the fixed link shared by fuzz_open and make_open_corpus.
 *
 * Both ends derive their keys from fixed seeds and a fixed room, so the
 * seed corpus written by make_open_corpus stays valid for fuzz_open from
 * run to run and machine to machine. "a" seals, "b" opens. Test use only:
 * these keys are public. */
#ifndef LM_OPEN_KEYS_H
#define LM_OPEN_KEYS_H

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto.h"

#define OPEN_KEYS_ROOM "fuzz-room"

/* Counters b has accepted before any input: its window starts part-full
 * (top 2000), so inputs reach every branch of the replay check. */
#define OPEN_KEYS_TOP 2000

/* Derives the two ends of the fixed link and primes b's window; aborts if
 * anything fails, since a harness without keys would fuzz nothing. */
static void open_keys_pair(lm_session *a, lm_session *b)
{
    static const uint64_t seen[] = {1500, 1990, OPEN_KEYS_TOP};
    uint8_t seed[crypto_kx_SEEDBYTES], room[LM_KEY_BYTES], pkt[64];
    lm_ephemeral ea, eb;
    if (lm_crypto_init() != 0)
        abort();
    memset(seed, 0xA1, sizeof seed);
    crypto_kx_seed_keypair(ea.pk, ea.sk, seed);
    memset(seed, 0xB2, sizeof seed);
    crypto_kx_seed_keypair(eb.pk, eb.sk, seed);
    lm_room_key_open(OPEN_KEYS_ROOM, room);
    if (lm_session_derive(a, &ea, eb.pk, room) != 0 ||
        lm_session_derive(b, &eb, ea.pk, room) != 0)
        abort();
    for (size_t i = 0; i < sizeof seen / sizeof seen[0]; i++) {
        a->tx_next = seen[i];
        int n = lm_session_seal(a, 0, NULL, 0, pkt, sizeof pkt);
        if (n < 0 || lm_session_open(b, 0, pkt, (size_t)n, NULL, 0) != 0)
            abort();
    }
    a->tx_next = OPEN_KEYS_TOP + 1;
}

#endif
