/* fuzz_open.c - libFuzzer target for lm_session_open.
 *
 * Input: first byte = channel, the rest = a sealed packet. Each input
 * starts from the same receiving session (a copy of one derived once from
 * the fixed keys in open_keys.h), so a run is reproducible from its input
 * alone. Beyond "never crash or read out of bounds" (the sanitizers), the
 * target checks the contract: only the documented results come back, a
 * packet that opened opens only once, and a packet that did not open
 * leaves the replay window exactly as it was.
 *
 * Build: clang -g -fsanitize=fuzzer,address,undefined -Icore -Itests/fuzz \
 *        core/crypto.c core/err.c tests/fuzz/fuzz_open.c -o fuzz_open -lsodium
 * Run:   mkdir -p /tmp/open_out && ./fuzz_open /tmp/open_out \
 *        tests/fuzz/corpus/open
 * The seeds (valid packets from make_open_corpus.c) let the fuzzer start
 * past the tag check: mutations of them exercise the replay window and
 * the forgery path; it cannot make new valid tags, which is the point. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "err.h"
#include "open_keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static lm_session pristine;
    static int ready;
    static uint8_t pt[1 << 16];
    if (!ready) {
        lm_session sender;
        open_keys_pair(&sender, &pristine);
        lm_session_wipe(&sender);
        ready = 1;
    }
    if (size < 1)
        return 0;

    lm_session s = pristine;
    uint8_t ch = data[0];
    const uint8_t *pkt = data + 1;
    size_t len = size - 1;
    size_t cap = len > sizeof pt ? sizeof pt : len;
    int rc = lm_session_open(&s, ch, pkt, len, pt, cap);

    if (rc >= 0) {
        if ((size_t)rc + LM_SEAL_OVERHEAD != len || s.rx_top == 0)
            abort();
        if (lm_session_open(&s, ch, pkt, len, pt, cap) != LM_EREPLAY)
            abort(); /* opened twice */
    } else if (rc == LM_EAUTH || rc == LM_EREPLAY || rc == LM_EPROTO ||
               rc == LM_ETOOBIG) {
        if (s.rx_top != pristine.rx_top ||
            memcmp(s.rx_window, pristine.rx_window, sizeof s.rx_window))
            abort(); /* a rejected packet moved the window */
    } else {
        abort(); /* not a documented result */
    }
    return 0;
}
