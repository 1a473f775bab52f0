/* test_bucket.c - tables of calls for the token bucket (core/bucket.c).
 *
 * Each scenario is a fresh bucket, a rate and a burst, and a list of calls
 * at absolute times with whether each one must get a token: a bucket starts
 * full, refills at the rate, stops at the burst, keeps a fraction of a
 * token across refusals, refills nothing when the clock goes back (and does
 * no arithmetic that overflows on the way), and with rate 0 only the first
 * burst passes. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "bucket.h"
#include "check.h"

#define SEC 1000000LL /* microseconds */
#define T0 (5 * SEC)  /* any start but 0, which the bucket reads as unused */
#define MAX_STEPS 16

typedef struct step {
    int64_t now_us;
    bool want;
} step;

typedef struct scenario {
    const char *name;
    double rate, burst;
    step steps[MAX_STEPS]; /* ends at the first {0, false} */
} scenario;

static const scenario scenarios[] = {
    {"starts full: burst passes, next refused",
     1,
     3,
     {{T0, true}, {T0, true}, {T0, true}, {T0, false}, {T0, false}}},
    {"refills at the rate",
     10, /* one token per 100 ms */
     2,
     {{T0, true},
      {T0, true},
      {T0, false},
      {T0 + SEC / 20, false}, /* half a token */
      {T0 + SEC / 10, true},
      {T0 + SEC / 10, false},
      {T0 + SEC / 5, true},
      {T0 + SEC / 5 + SEC / 10, true},
      {T0 + SEC / 5 + SEC / 10, false}}},
    {"capped at burst",
     100,
     2,
     {{T0, true},
      {T0, true},
      {T0, false},
      {T0 + 10 * SEC, true}, /* 1000 tokens' worth, kept to 2 */
      {T0 + 10 * SEC, true},
      {T0 + 10 * SEC, false}}},
    {"capped after a silence as long as the clock allows",
     1e6,
     2,
     {{T0, true},
      {T0, true},
      {T0, false},
      {INT64_MAX, true},
      {INT64_MAX, true},
      {INT64_MAX, false}}},
    {"fractional refill kept across refusals",
     0.5,
     1,
     {{T0, true},
      {T0 + SEC, false}, /* 0.5 */
      {T0 + 2 * SEC, true},
      {T0 + 2 * SEC, false}}},
    {"fractions from many small steps add up",
     1000, /* a quarter token per 250 us, exact in binary */
     1,
     {{T0, true},
      {T0 + 250, false},
      {T0 + 500, false},
      {T0 + 750, false},
      {T0 + 1000, true},
      {T0 + 1000, false}}},
    {"a clock that goes back refills nothing",
     10,
     1,
     {{T0, true},
      {T0 - SEC, false},
      {T0 - 4 * SEC, false},
      {1, false},
      {-SEC, false},
      {INT64_MIN, false},
      /* refill counts from T0, the latest time seen, not from the past */
      {T0 + SEC / 20, false},
      {T0 + SEC / 10, true},
      {T0 + SEC / 10, false}}},
    {"going back with tokens left still spends them",
     1,
     3,
     {{T0, true}, {T0 - SEC, true}, {T0 - 2 * SEC, true}, {T0, false}}},
    {"rate 0: the first burst and nothing more",
     0,
     2,
     {{T0, true},
      {T0, true},
      {T0, false},
      {T0 + SEC, false},
      {T0 + 3600 * SEC, false},
      {INT64_MAX, false}}},
    {"burst below one passes nothing",
     100,
     0.5,
     {{T0, false}, {T0 + SEC, false}, {T0 + 100 * SEC, false}}},
};

static void test_scenarios(void)
{
    for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++) {
        const scenario *sc = &scenarios[i];
        lm_bucket b = {0};
        for (size_t j = 0; j < MAX_STEPS; j++) {
            const step *st = &sc->steps[j];
            if (st->now_us == 0 && !st->want)
                break;
            bool got = lm_bucket_take(&b, st->now_us, sc->rate, sc->burst);
            if (got != st->want) {
                fprintf(stderr, "%s: call %zu at %lld us: got %d, want %d\n",
                        sc->name, j, (long long)st->now_us, got, st->want);
                CHECK(!"bucket decision");
            }
        }
    }
}

/* Two buckets are independent: draining one leaves the other full. */
static void test_buckets_are_independent(void)
{
    lm_bucket a = {0}, b = {0};
    CHECK(lm_bucket_take(&a, T0, 0, 1));
    CHECK(!lm_bucket_take(&a, T0, 0, 1));
    CHECK(lm_bucket_take(&b, T0, 0, 1));
}

/* A steady sender at exactly the rate is never refused after the burst. */
static void test_steady_sender_at_rate(void)
{
    lm_bucket b = {0};
    int refused = 0;
    for (int64_t k = 0; k < 1000; k++)
        refused += !lm_bucket_take(&b, T0 + k * (SEC / 50), 50, 4);
    CHECK_EQ_INT(refused, 0);
    /* twice the rate: about half of it gets through, after the burst */
    lm_bucket c = {0};
    int passed = 0;
    for (int64_t k = 0; k < 1000; k++)
        passed += lm_bucket_take(&c, T0 + k * (SEC / 100), 50, 4);
    CHECK(passed >= 500 && passed <= 505);
}

int main(void)
{
    RUN(test_scenarios);
    RUN(test_buckets_are_independent);
    RUN(test_steady_sender_at_rate);
    return check_report();
}
