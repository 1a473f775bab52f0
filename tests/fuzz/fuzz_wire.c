/* fuzz_wire.c - libFuzzer target for the wire decoder.
 *
 * Whatever the input, decoding must not crash or read out of bounds (the
 * sanitizers watch that). When it succeeds, the message must encode again,
 * and because the format has exactly one encoding per message (fixed
 * widths, exact length prefixes, no padding, no trailing bytes), encoding
 * must give back the very input; decoding that must succeed once more and
 * encode to the same bytes. Any break in that chain aborts. A packet that
 * starts with LM_MSG_SEALED belongs to the crypto layer and must always be
 * refused as LM_EPROTO, whatever follows.
 *
 * Build: clang -g -fsanitize=fuzzer,address,undefined -Icore core/wire.c \
 *        core/text.c core/err.c tests/fuzz/fuzz_wire.c -o fuzz_wire
 * Run:   mkdir -p /tmp/wire_out && ./fuzz_wire -max_len=8300 \
 *        /tmp/wire_out tests/fuzz/corpus/wire
 * The seeds in tests/fuzz/corpus/wire (from tests/fuzz/make_corpus.c) are
 * read-only here: new inputs go to the first directory, so the committed
 * corpus stays one seed per type. -max_len must exceed LM_WIRE_MAX, or
 * libFuzzer's 4096-byte default never tries the largest messages. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static lm_msg m, again;
    static uint8_t buf[LM_WIRE_MAX], buf2[LM_WIRE_MAX];

    int rc = lm_wire_decode(data, size, &m);
    if (size > 0 && data[0] == LM_MSG_SEALED && rc != LM_EPROTO)
        abort(); /* sealed packets are never plain messages */
    if (rc != 0)
        return 0;

    int len = lm_wire_encode(&m, buf, sizeof buf);
    if (len <= 0 || (size_t)len != size || memcmp(buf, data, size) != 0)
        abort(); /* a decoded message must encode back to its input */
    if ((size_t)len > lm_wire_max_size(m.type))
        abort();

    if (lm_wire_decode(buf, (size_t)len, &again) != 0)
        abort();
    int len2 = lm_wire_encode(&again, buf2, sizeof buf2);
    if (len2 != len || memcmp(buf, buf2, (size_t)len) != 0)
        abort();
    return 0;
}
