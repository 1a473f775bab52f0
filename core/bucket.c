/* bucket.c - the token bucket (bucket.h). */
#include "bucket.h"

bool lm_bucket_take(lm_bucket *b, int64_t now, double rate, double burst)
{
    if (b->at_us == 0) {
        b->tokens = burst;
    } else if (now > b->at_us) {
        b->tokens += rate * (double)(now - b->at_us) / 1e6;
        if (b->tokens > burst)
            b->tokens = burst;
    }
    if (now > b->at_us)
        b->at_us = now;
    if (b->tokens < 1.0)
        return false;
    b->tokens -= 1.0;
    return true;
}
