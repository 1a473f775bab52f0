/* pcm_check.h - measuring 48 kHz mono PCM in tests (tests only). */
#ifndef LM_PCM_CHECK_H
#define LM_PCM_CHECK_H

#include <stddef.h>
#include <stdint.h>

#define RATE 48000

/* Rising crossings of +-thr in x[from, to), per second. */
static double pitch(const int16_t *x, size_t from, size_t to, int thr)
{
    int below = 0, n = 0;
    for (size_t i = from; i < to; i++) {
        if (x[i] < -thr)
            below = 1;
        else if (below && x[i] > thr) {
            below = 0;
            n++;
        }
    }
    return n / ((double)(to - from) / RATE);
}

#endif
