/* clock.h - the two clocks lanmeet uses.
 *
 * Monotonic microseconds for timeouts and media; UTC milliseconds only for
 * what a person sees (chat timestamps). */
#ifndef LM_CLOCK_H
#define LM_CLOCK_H

#include <stdint.h>

int64_t lm_mono_us(void);   /* CLOCK_MONOTONIC, microseconds */
int64_t lm_utc_ms(void);    /* CLOCK_REALTIME, milliseconds since the epoch */
/* Sleeps until lm_mono_us() reaches us (at once if it has), signals or not. */
void lm_sleep_until_us(int64_t us);

#endif
