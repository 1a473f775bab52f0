/* fuzz_wav.c - libFuzzer target for the WAV reader (ui/dev/wav.c).
 *
 * The input is a whole WAV file, opened from a heap copy of exactly its
 * size (so AddressSanitizer catches a read past the end even inside
 * libFuzzer's own buffer). When it opens, every frame of one pass and a
 * little more (the loop back to the start) is read in 2.5, 5 and 10 ms
 * frames. A refusal must say why and leave no reader; a reader's info must
 * agree with the bytes (frames fit in the file, 48 kHz length as the
 * header's rate says); a read of an opened file in memory never fails.
 * Any break aborts.
 *
 * Build: see tests/tests.cmake (LM_FUZZ=ON), or
 *        clang -D_POSIX_C_SOURCE=200809L -g \
 *        -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
 *        -Icore -Iui/dev core/err.c ui/dev/wav.c tests/fuzz/fuzz_wav.c \
 *        $(pkg-config --cflags --libs speexdsp) -lm -o fuzz_wav
 * Run:   mkdir -p /tmp/wav_out && ./fuzz_wav /tmp/wav_out tests/fuzz/corpus/wav
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "wav.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_OUT (4 * 48000) /* 8300 bytes of 8 kHz 8-bit: < 50,000 */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t frames[] = {120, 240, 480};
    int16_t out[480];
    char why[LM_WAV_WHY];
    lm_wav_reader *r = (lm_wav_reader *)&why;
    uint8_t *copy = malloc(size ? size : 1);
    int rc;

    if (!copy)
        return 0;
    memcpy(copy, data, size);
    why[0] = '\0';
    rc = lm_wav_open_mem(copy, size, &r, why, sizeof why);
    if (rc != 0) {
        if (r != NULL || why[0] == '\0' || !memchr(why, '\0', sizeof why) ||
            (rc != LM_EPROTO && rc != LM_ENOMEM))
            abort();
        free(copy);
        return 0;
    }
    const lm_wav_info *info = lm_wav_info_of(r);
    if (info->frames == 0 || info->channels == 0 || info->rate < 8000 ||
        info->rate > 192000 ||
        info->frames * info->channels * (info->bits / 8u) > size ||
        info->length != (info->frames * 48000 + info->rate - 1) / info->rate)
        abort();
    uint64_t want = info->length + 480;
    if (want > MAX_OUT)
        want = MAX_OUT;
    for (uint64_t done = 0, k = 0; done < want; k++) {
        size_t n = frames[k % 3];
        if (lm_wav_read(r, out, n) != 0)
            abort();
        done += n;
    }
    lm_wav_close(r);
    free(copy);
    return 0;
}
