/* bucket.h - a token bucket: `rate` tokens a second refill it up to
 * `burst`; each message takes one. A bucket starts full, so the first
 * burst of an honest sender passes. Times are monotonic microseconds. */
#ifndef LM_BUCKET_H
#define LM_BUCKET_H

#include <stdbool.h>
#include <stdint.h>

typedef struct lm_bucket {
    double tokens;
    int64_t at_us; /* last refill; 0: never used, starts full */
} lm_bucket;

/* Refills for the time since the last call, then takes one token if there
 * is one. A clock that goes back refills nothing. */
bool lm_bucket_take(lm_bucket *b, int64_t now_us, double rate, double burst);

#endif
