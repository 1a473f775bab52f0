/* make_open_corpus.c - writes the seed corpus for fuzz_open: a few valid
 * sealed packets on the fixed link of open_keys.h, each as one file of
 * channel byte || packet, named DIR/NN_name.bin.
 *
 * Build: gcc -std=c11 -Icore -Itests/fuzz core/crypto.c core/err.c \
 *        tests/fuzz/make_open_corpus.c -o make_open_corpus -lsodium
 * Usage: make_open_corpus DIR   (DIR is created if missing, not parents)
 * XChaCha20-Poly1305 is deterministic for a given key, counter and text,
 * so the output is the same on every run; rerun after a change to the
 * packet format or to open_keys.h, and commit the files. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "crypto.h"
#include "open_keys.h"

static int write_seed(const char *dir, int n, const char *name, lm_session *a,
                      uint64_t counter, uint8_t channel, const char *text)
{
    uint8_t buf[1 + 256 + LM_SEAL_OVERHEAD];
    char path[512];
    size_t len = strlen(text);
    a->tx_next = counter;
    buf[0] = channel;
    int sealed = lm_session_seal(a, channel, (const uint8_t *)text, len,
                                 buf + 1, sizeof buf - 1);
    if (sealed < 0)
        return -1;
    snprintf(path, sizeof path, "%s/%02d_%s.bin", dir, n, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(buf, 1, (size_t)sealed + 1, f) != (size_t)sealed + 1 ||
        fclose(f) != 0) {
        perror(path);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    lm_session a, b;
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    if (mkdir(argv[1], 0755) != 0 && errno != EEXIST) {
        perror(argv[1]);
        return 1;
    }
    open_keys_pair(&a, &b);
    int bad = 0;
    /* Relative to the primed window (top 2000; 1500, 1990 seen): new
     * inside the window, next, far ahead, the last counter, and two that
     * are replays, which guide the fuzzer to the rejection paths. */
    bad |= write_seed(argv[1], 1, "in_window", &a, 1995, 0, "hello");
    bad |= write_seed(argv[1], 2, "next", &a, 2001, 1, "chat: hi there");
    bad |= write_seed(argv[1], 3, "empty", &a, 2002, 2, "");
    bad |= write_seed(argv[1], 4, "far", &a, 7000, 3, "jump ahead");
    bad |= write_seed(argv[1], 5, "high_channel", &a, 2003, 255,
                      "0123456789abcdef0123456789abcdef");
    bad |= write_seed(argv[1], 6, "top_counter", &a, UINT64_MAX - 1, 7, "last");
    bad |= write_seed(argv[1], 7, "seen", &a, 1990, 0, "again");
    bad |= write_seed(argv[1], 8, "too_old", &a, 900, 0, "late");
    lm_session_wipe(&a);
    lm_session_wipe(&b);
    return bad ? 1 : 0;
}
