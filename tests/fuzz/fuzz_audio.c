/* fuzz_audio.c - libFuzzer target for the audio codec (core/audio).
 *
 * Any bytes: decode must not crash, read out of bounds or leak; what
 * decodes must encode back to exactly the same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audio/audio_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static lm_audio_msg m;
    static uint8_t out[LM_AUDIO_WIRE_MAX];
    if (lm_audio_decode(data, size, &m) != 0)
        return 0;
    int n = lm_audio_encode(&m, out, sizeof out);
    if (n < 0 || (size_t)n != size || memcmp(out, data, size) != 0)
        abort(); /* decode accepted what encode would not write back */
    return 0;
}
