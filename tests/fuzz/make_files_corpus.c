/* make_files_corpus.c - writes the seed corpus for fuzz_files: one valid
 * encoding of each file message (tests/file_samples.h), the body of a
 * store index with a complete file, a partial and an offer (no digest:
 * the target signs what it is given), and a transfer script, as
 * DIR/NN_name.bin.
 *
 * Usage: make_files_corpus DIR   (DIR is created if missing, not its
 * parents). The seeds are committed in tests/fuzz/corpus/files; rerun
 * this after a change to the formats and commit the new files.
 *
 * Build: cc -std=c11 -D_POSIX_C_SOURCE=200809L -Icore -Itests \
 *        core/err.c core/text.c core/cursor.c core/files/file_wire.c \
 *        core/files/xfer.c core/files/sha256.c core/files/store_index.c \
 *        tests/fuzz/make_files_corpus.c -lsodium -o make_files_corpus
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "err.h"
#include "file_samples.h"
#include "files/file_wire.h"
#include "files/sha256.h"
#include "files/store_index.h"

static int put(const char *dir, const char *name, const uint8_t *b, size_t n)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s.bin", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(b, 1, n, f) != n) {
        perror(path);
        if (f)
            fclose(f);
        return 1;
    }
    return fclose(f) != 0;
}

int main(int argc, char **argv)
{
    static const char *const names[] = {"offer", "have",   "request", "chunk",
                                        "done",  "refuse", "cancel",  "list"};
    static uint8_t buf[LM_FILE_WIRE_MAX];
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    if (mkdir(argv[1], 0755) < 0 && errno != EEXIST) {
        perror(argv[1]);
        return 1;
    }
    int bad = 0;
    for (size_t t = 0; t < FILE_SAMPLE_TYPES; t++) {
        lm_file_msg m;
        file_sample(file_sample_types[t], &m);
        int n = lm_file_encode(&m, buf, sizeof buf);
        char name[32];
        snprintf(name, sizeof name, "%02zu_%s", t + 1, names[t]);
        bad |= n < 0 || put(argv[1], name, buf, (size_t)n);
    }
    /* an index: one complete file, one partial holding 0-1 and 3, an offer */
    lm_store_rec recs[2];
    lm_file_msg offer;
    memset(recs, 0, sizeof recs);
    file_sample(LM_MSG_FILE_OFFER, &offer);
    for (int i = 0; i < 2; i++) {
        memset(recs[i].id, 0x30 + i, LM_FILE_ID_LEN);
        memset(recs[i].root, 0x50 + i, LM_FILE_HASH_LEN);
        recs[i].size = 5ull * LM_FILE_CHUNK_MIN + 7;
        recs[i].chunk = LM_FILE_CHUNK_MIN;
    }
    recs[0].complete = true;
    recs[0].held.next = 6;
    recs[1].held = (lm_chunkset){2, 2};
    memcpy(offer.offer.id, recs[1].id, LM_FILE_ID_LEN);
    lm_store_index ix = {2, recs, 1, &offer.offer};
    int n = lm_store_index_encode(&ix, buf, sizeof buf);
    bad |= n < LM_SHA256_LEN ||
           put(argv[1], "09_index_body", buf, (size_t)n - LM_SHA256_LEN);
    /* a transfer: 300 KiB in 16 KiB chunks, default window, then asks,
     * arrivals good and bad, a lost link and the sender's holdings */
    static const uint8_t script[] = {
        0x00, 0xb0, 0x04, 0, 0, 0, 0, 0, /* size 0x04b000, chunk 16 KiB */
        0,    8,    1,    0, 1, 1, 2, 2, 0, 8, 1, 2, 3,  0, 0,
        8,    4,    5,    0, 8, 1, 3, 1, 4, 5, 9, 1, 70, 0, 8,
    };
    bad |= put(argv[1], "10_transfer", script, sizeof script);
    return bad;
}
