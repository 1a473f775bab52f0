/* test_jitter.c - tests for core/audio/jitter.c.
 *
 * Each row of the table is a scripted stream: a sender emitting one frame
 * per frame period, the network's delay (a fixed 250 us plus uniform
 * jitter, reordering, duplicates, late packets, losses at known seqs), and
 * a player calling lm_jitter_get once per period on a simulated clock. The
 * row names the figures that must hold: depth after warm-up, losses
 * exactly where packets were dropped (with the FEC peek seeing the next
 * one), underruns, resets, growth under jitter and shrinking after it. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "audio/jitter.h"
#include "check.h"

#define MAX_PACKETS 8192
#define BASE_US 250      /* the LAN's one-way delay */
#define CLEAN_US 600     /* a clean LAN: 0 to 0.6 ms of jitter */
#define MILLION 1000000u /* a restarted sender's seq jump */
#define PAYLOAD_LEN 24   /* a small Opus packet: 4 bytes of seq, filler */

typedef struct row {
    const char *name;
    unsigned frame_us, max_frames;
    int frames;           /* frames the sender emits */
    uint32_t seq0;        /* its first seq */
    int64_t jitter_us;    /* uniform 0..jitter_us on top of BASE_US */
    int jit_from, jit_to; /* frames that jitter; jit_to 0: all */
    int loss_mod;         /* frame i with i % loss_mod == 7 is lost */
    int reorder;          /* frame i % 50 == 25 comes after frame i+reorder */
    int dup_mod;          /* i % dup_mod == 3 and == 8 come twice */
    int late_mod;         /* i % late_mod == 12 comes late_frames late */
    int late_frames;
    int restart_at; /* from this frame on, seq jumps by restart_jump */
    int64_t restart_jump;
    int burst; /* the first burst frames arrive at once */
    /* the figures that must hold */
    int64_t warm_us;        /* the figures marked "after warm" start here */
    unsigned max_depth;     /* frames held after a get, after warm */
    int underruns_warm;     /* at most, after warm */
    int missing_warm;       /* LOSS results plus late packets, after warm */
    int lost_max, late_max; /* at most, in all; -1: not checked */
    bool exact_missing;     /* LOSS exactly at the lost and late seqs */
    int dup_exact;          /* -1: not checked */
    int resets;
    unsigned target_min; /* the target reached at least this */
    unsigned end_target; /* at most this at the end; 0: not checked */
    int dropped_min;     /* frames skipped to shrink, at least */
    int overflow_min;
} row;

typedef struct sent {
    uint32_t seq;
    int64_t at;
    int order; /* to sort stably */
} sent;

typedef struct result {
    lm_jitter_stats end;
    unsigned max_depth_all, max_depth_warm, max_target;
    uint64_t underruns_warm, missing_warm;
    int order_errors, payload_errors, peek_errors, missing_errors;
    int played;
} result;

static sent packets[MAX_PACKETS];
static int npackets;
static uint32_t rng;

static int64_t uniform(int64_t hi)
{
    rng = rng * 1664525u + 1013904223u; /* Numerical Recipes' LCG */
    return hi > 0 ? (int64_t)((rng >> 8) % (uint32_t)(hi + 1)) : 0;
}

static void add(uint32_t seq, int64_t at)
{
    if (npackets < MAX_PACKETS) {
        packets[npackets].seq = seq;
        packets[npackets].at = at;
        packets[npackets].order = npackets;
        npackets++;
    }
}

static int by_arrival(const void *a, const void *b)
{
    const sent *x = a, *y = b;
    if (x->at != y->at)
        return x->at < y->at ? -1 : 1;
    return x->order - y->order;
}

static bool lost_at(const row *r, int i)
{
    return r->loss_mod && i % r->loss_mod == 7;
}

static bool late_at(const row *r, int i)
{
    return r->late_mod && i % r->late_mod == 12;
}

static uint32_t seq_of(const row *r, int i)
{
    uint32_t s = r->seq0 + (uint32_t)i;
    if (r->restart_at && i >= r->restart_at)
        s += (uint32_t)r->restart_jump;
    return s;
}

/* Frame index of a seq, for the rows without a restart. */
static bool missing_seq(const row *r, uint32_t seq)
{
    int i = (int)(seq - r->seq0);
    return lost_at(r, i) || late_at(r, i);
}

static void script(const row *r)
{
    int64_t f = r->frame_us;
    int64_t at[MAX_PACKETS];
    npackets = 0;
    rng = 12345;
    for (int i = 0; i < r->frames && i < MAX_PACKETS; i++) {
        bool jit = i >= r->jit_from && (r->jit_to == 0 || i < r->jit_to);
        at[i] = i * f + BASE_US + (jit ? uniform(r->jitter_us) : 0);
        if (i < r->burst)
            at[i] = 100000; /* all at once, 100 ms in */
        else if (r->burst)
            at[i] = 100000 + (i - r->burst + 1) * f;
    }
    for (int i = 0; i < r->frames; i++) {
        if (r->reorder && i % 50 == 25 && i + r->reorder < r->frames)
            at[i] = at[i + r->reorder] + 100;
        if (late_at(r, i))
            at[i] += r->late_frames * f;
    }
    for (int i = 0; i < r->frames; i++) {
        if (lost_at(r, i))
            continue;
        add(seq_of(r, i), at[i]);
        if (r->dup_mod && i % r->dup_mod == 3)
            add(seq_of(r, i), at[i] + 300);
        if (r->dup_mod && i % r->dup_mod == 8)
            add(seq_of(r, i), at[i] + 3 * f);
    }
    qsort(packets, (size_t)npackets, sizeof packets[0], by_arrival);
}

static void payload(uint32_t seq, uint8_t *p)
{
    for (int b = 0; b < 4; b++)
        p[b] = (uint8_t)(seq >> (8 * b));
    for (int b = 4; b < PAYLOAD_LEN; b++)
        p[b] = (uint8_t)(seq + (uint32_t)b);
}

static bool payload_ok(uint32_t seq, const uint8_t *p, size_t len)
{
    uint8_t want[PAYLOAD_LEN];
    payload(seq, want);
    return len == PAYLOAD_LEN && memcmp(p, want, len) == 0;
}

/* A get's result against the row: order, payload, the peek after LOSS. */
static void check_get(const row *r, lm_jitter *j, result *res, lm_jitter_kind k,
                      uint32_t seq, const uint8_t *out, size_t len,
                      uint32_t *prev, bool *have_prev, uint64_t *prev_resets)
{
    if (k == LM_JITTER_EMPTY)
        return;
    lm_jitter_stats st;
    lm_jitter_stats_get(j, &st);
    /* in order, unless the stream restarted since the last one */
    if (*have_prev && st.resets == *prev_resets &&
        (seq - *prev) - 1 >= 0x80000000u)
        res->order_errors++;
    *prev = seq;
    *prev_resets = st.resets;
    *have_prev = true;
    if (k == LM_JITTER_FRAME) {
        res->played++;
        if (!payload_ok(seq, out, len))
            res->payload_errors++;
        if (r->exact_missing && missing_seq(r, seq))
            res->missing_errors++;
        return;
    }
    if (r->exact_missing && !missing_seq(r, seq))
        res->missing_errors++;
    if (r->loss_mod) { /* the next frame is never lost: FEC is there */
        const uint8_t *d;
        size_t dl;
        uint32_t ps;
        if (!lm_jitter_peek(j, &d, &dl, &ps) || ps != seq + 1 ||
            !payload_ok(ps, d, dl))
            res->peek_errors++;
    }
}

static void simulate(const row *r, result *res)
{
    memset(res, 0, sizeof *res);
    script(r);
    lm_jitter *j = lm_jitter_new(r->frame_us, r->max_frames);
    CHECK(j != NULL);
    if (!j)
        return;
    int64_t f = r->frame_us;
    int64_t phase = f / 3 + 137; /* the player's clock is not the sender's */
    int64_t last = npackets ? packets[npackets - 1].at : 0;
    int gets = (int)((last + 1000000) / f); /* a bound, not the end */
    int next = 0;
    uint32_t prev = 0;
    bool have_prev = false;
    uint64_t under0 = 0, missing0 = 0, prev_resets = 0;
    bool warm = false, final_put = false;
    uint32_t final_seq = seq_of(r, r->frames - 1);
    for (int k = 0; k < gets; k++) {
        int64_t now = phase + k * f;
        lm_jitter_stats st;
        lm_jitter_stats_get(j, &st);
        if ((next == npackets || final_put) && st.depth == 0)
            break; /* drained: the stream's end is no underrun */
        for (; next < npackets && packets[next].at <= now; next++) {
            uint8_t p[PAYLOAD_LEN];
            payload(packets[next].seq, p);
            final_put |= packets[next].seq == final_seq;
            lm_jitter_put(j, packets[next].seq, packets[next].at, p, sizeof p);
        }
        lm_jitter_stats_get(j, &st);
        if (!warm && now >= r->warm_us) {
            warm = true;
            under0 = st.underruns;
            missing0 = st.lost + st.late;
        }
        uint8_t out[LM_JITTER_PAYLOAD_MAX];
        size_t len = 0;
        uint32_t seq = 0;
        lm_jitter_kind kind =
            lm_jitter_get(j, now, out, sizeof out, &len, &seq);
        check_get(r, j, res, kind, seq, out, len, &prev, &have_prev,
                  &prev_resets);
        lm_jitter_stats_get(j, &st);
        if (st.depth > res->max_depth_all)
            res->max_depth_all = st.depth;
        if (warm && st.depth > res->max_depth_warm)
            res->max_depth_warm = st.depth;
        if (st.target > res->max_target)
            res->max_target = st.target;
    }
    for (; next < npackets; next++) { /* stragglers: the duplicates */
        uint8_t p[PAYLOAD_LEN];
        payload(packets[next].seq, p);
        lm_jitter_put(j, packets[next].seq, packets[next].at, p, sizeof p);
    }
    lm_jitter_stats_get(j, &res->end);
    res->underruns_warm = res->end.underruns - under0;
    res->missing_warm = res->end.lost + res->end.late - missing0;
    lm_jitter_free(j);
}

#define F10 10000u
#define F5 5000u
#define F2 2500u

/* clang-format off */
static const row rows[] = {
    {.name = "clean LAN, 10 ms",
     .frame_us = F10,
     .max_frames = 32,
     .frames = 500,
     .jitter_us = CLEAN_US,
     .warm_us = 500000,
     .max_depth = 2,
     .lost_max = 0,
     .late_max = 0,
     .dup_exact = 0,
     .end_target = 2},
    {.name = "clean LAN, 5 ms",
     .frame_us = F5,
     .max_frames = 32,
     .frames = 1000,
     .jitter_us = CLEAN_US,
     .warm_us = 500000,
     .max_depth = 2,
     .lost_max = 0,
     .late_max = 0,
     .dup_exact = 0,
     .end_target = 2},
    {.name = "clean LAN, 2.5 ms",
     .frame_us = F2,
     .max_frames = 32,
     .frames = 2000,
     .jitter_us = CLEAN_US,
     .warm_us = 500000,
     .max_depth = 2,
     .lost_max = 0,
     .late_max = 0,
     .dup_exact = 0,
     .end_target = 2},
    {.name = "jitter 0-15 ms, 10 ms",
     .frame_us = F10,
     .max_frames = 32,
     .frames = 500,
     .jitter_us = 15000,
     .warm_us = 1000000,
     .max_depth = 32,
     .lost_max = -1,
     .late_max = -1,
     .dup_exact = 0,
     .target_min = 3},
    {.name = "jitter 0-15 ms, 5 ms",
     .frame_us = F5,
     .max_frames = 32,
     .frames = 1000,
     .jitter_us = 15000,
     .warm_us = 1000000,
     .max_depth = 32,
     .lost_max = -1,
     .late_max = -1,
     .dup_exact = 0,
     .target_min = 4},
    {.name = "jitter 0-15 ms, 2.5 ms",
     .frame_us = F2,
     .max_frames = 32,
     .frames = 2000,
     .jitter_us = 15000,
     .warm_us = 1000000,
     .max_depth = 32,
     .lost_max = -1,
     .late_max = -1,
     .dup_exact = 0,
     .target_min = 7},
    {.name = "5% loss at known seqs",
     .frame_us = F10,
     .max_frames = 32,
     .frames = 500,
     .jitter_us = CLEAN_US,
     .loss_mod = 20,
     .warm_us = 500000,
     .max_depth = 2,
     .lost_max = 25,
     .late_max = 0,
     .missing_warm = 25,
     .exact_missing = true,
     .dup_exact = 0},
    {.name = "reordered by one",
     .frame_us = F10,
     .max_frames = 32,
     .frames = 500,
     .jitter_us = CLEAN_US,
     .reorder = 1,
     .warm_us = 0,
     .max_depth = 32,
     .lost_max = 0,
     .late_max = 0,
     .dup_exact = 0},
    {.name = "reordered by two",
     .frame_us = F10,
     .max_frames = 32,
     .frames = 500,
     .jitter_us = CLEAN_US,
     .reorder = 2,
     .warm_us = 500000,
     .max_depth = 32,
     .lost_max = 1,
     .late_max = 1,
     .dup_exact = 0},
    {.name = "duplicates",
     .frame_us = F5,
     .max_frames = 32,
     .frames = 1000,
     .jitter_us = CLEAN_US,
     .dup_mod = 10,
     .warm_us = 500000,
     .max_depth = 2,
     .lost_max = 0,
     .late_max = 0,
     .dup_exact = 200},
    {.name = "late packets",
     .frame_us = F10,
     .max_frames = 4,
     .frames = 500,
     .jitter_us = CLEAN_US,
     .late_mod = 25,
     .late_frames = 4,
     .warm_us = 0,
     .max_depth = 4,
     .missing_warm = 40,
     .lost_max = 20,
     .late_max = 20,
     .exact_missing = true,
     .dup_exact = 0},
    {.name = "seq wraps at 2^32",
     .frame_us = F2,
     .max_frames = 32,
     .frames = 2000,
     .seq0 = 0xFFFFFFFFu - 700,
     .jitter_us = CLEAN_US,
     .warm_us = 500000,
     .max_depth = 2,
     .lost_max = 0,
     .late_max = 0,
     .dup_exact = 0},
    {.name = "sender restart, seq +1e6",
     .frame_us = F10,
     .max_frames = 32,
     .frames = 600,
     .seq0 = 5,
     .jitter_us = CLEAN_US,
     .restart_at = 300,
     .restart_jump = MILLION,
     .warm_us = 500000,
     .max_depth = 2,
     .underruns_warm = 1,
     .lost_max = 0,
     .late_max = 0,
     .dup_exact = 0,
     .resets = 1},
    {.name = "sender restart, seq -1e6",
     .frame_us = F5,
     .max_frames = 32,
     .frames = 1200,
     .seq0 = 5,
     .jitter_us = CLEAN_US,
     .restart_at = 600,
     .restart_jump = -(int64_t)MILLION,
     .warm_us = 500000,
     .max_depth = 2,
     .underruns_warm = 1,
     .lost_max = 0,
     .late_max = 0,
     .dup_exact = 0,
     .resets = 1},
    {.name = "sender restart, seq -10", .frame_us = F10, .max_frames = 32,
     .frames = 900, .seq0 = 5, .jitter_us = CLEAN_US, .restart_at = 300,
     .restart_jump = -10, .warm_us = 5000000, .max_depth = 2,
     .missing_warm = 0, .lost_max = 0, .late_max = 20,
     .dup_exact = -1, .end_target = 2},
    {.name = "burst of 1000 at once",
     .frame_us = F10,
     .max_frames = 32,
     .frames = 1800,
     .burst = 1000,
     .jitter_us = CLEAN_US,
     .warm_us = 5500000,
     .max_depth = 2,
     .lost_max = 0,
     .late_max = 0,
     .dup_exact = 0,
     .end_target = 2,
     .dropped_min = 1,
     .overflow_min = 900},
    {.name = "shrinks after a jitter episode",
     .frame_us = F10,
     .max_frames = 32,
     .frames = 1200,
     .jitter_us = 15000,
     .jit_from = 100,
     .jit_to = 400,
     .warm_us = 9500000,
     .max_depth = 2,
     .lost_max = -1,
     .late_max = -1,
     .dup_exact = 0,
     .target_min = 3,
     .end_target = 2,
     .dropped_min = 1},
};
/* clang-format on */

#define ROW_CHECK(cond, fmt, ...)                                              \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "row \"%s\": " fmt "\n", r->name, __VA_ARGS__);    \
            CHECK(cond);                                                       \
        }                                                                      \
    } while (0)

static void test_scenarios(void)
{
    for (size_t n = 0; n < sizeof rows / sizeof rows[0]; n++) {
        const row *r = &rows[n];
        result res;
        simulate(r, &res);
        const lm_jitter_stats *e = &res.end;
        printf("%-32s played %5d lost %3llu late %3llu dup %3llu under %2llu"
               " stretch %2llu drop %2llu over %3llu resets %llu depth %u"
               " target %u (max %u) jitter %lld us\n",
               r->name, res.played, (unsigned long long)e->lost,
               (unsigned long long)e->late, (unsigned long long)e->duplicate,
               (unsigned long long)e->underruns,
               (unsigned long long)e->stretched, (unsigned long long)e->dropped,
               (unsigned long long)e->overflow, (unsigned long long)e->resets,
               res.max_depth_warm, e->target, res.max_target,
               (long long)e->jitter_us);
        ROW_CHECK(res.order_errors == 0, "%d out of order", res.order_errors);
        ROW_CHECK(res.payload_errors == 0, "%d bad payloads",
                  res.payload_errors);
        ROW_CHECK(res.peek_errors == 0, "%d peeks missed the next packet",
                  res.peek_errors);
        ROW_CHECK(res.missing_errors == 0, "%d LOSS/FRAME at wrong seqs",
                  res.missing_errors);
        ROW_CHECK(res.max_depth_all <= r->max_frames, "depth %u",
                  res.max_depth_all);
        ROW_CHECK(res.max_depth_warm <= r->max_depth, "depth %u after warm",
                  res.max_depth_warm);
        ROW_CHECK(res.underruns_warm <= (uint64_t)r->underruns_warm,
                  "%llu underruns after warm",
                  (unsigned long long)res.underruns_warm);
        ROW_CHECK(res.missing_warm <= (uint64_t)r->missing_warm,
                  "%llu missing after warm",
                  (unsigned long long)res.missing_warm);
        if (r->exact_missing)
            ROW_CHECK(e->lost == (uint64_t)r->lost_max &&
                          e->late == (uint64_t)r->late_max,
                      "lost %llu late %llu, not exactly",
                      (unsigned long long)e->lost, (unsigned long long)e->late);
        if (r->lost_max >= 0)
            ROW_CHECK(e->lost <= (uint64_t)r->lost_max, "lost %llu",
                      (unsigned long long)e->lost);
        if (r->late_max >= 0)
            ROW_CHECK(e->late <= (uint64_t)r->late_max, "late %llu",
                      (unsigned long long)e->late);
        if (r->dup_exact >= 0)
            ROW_CHECK(e->duplicate == (uint64_t)r->dup_exact, "dup %llu",
                      (unsigned long long)e->duplicate);
        ROW_CHECK(e->resets == (uint64_t)r->resets, "resets %llu",
                  (unsigned long long)e->resets);
        ROW_CHECK(res.max_target >= r->target_min, "target reached %u",
                  res.max_target);
        if (r->end_target)
            ROW_CHECK(e->target <= r->end_target, "target %u at the end",
                      e->target);
        ROW_CHECK(e->dropped >= (uint64_t)r->dropped_min, "dropped %llu",
                  (unsigned long long)e->dropped);
        ROW_CHECK(e->overflow >= (uint64_t)r->overflow_min, "overflow %llu",
                  (unsigned long long)e->overflow);
        /* every frame sent is played or accounted for */
        int accounted = res.played + (int)(e->lost + e->dropped + e->overflow);
        if (!r->restart_at && e->underruns == 0)
            ROW_CHECK(accounted == r->frames, "%d of %d frames accounted",
                      accounted, r->frames);
        if (r->restart_at) /* the new numbering plays to the end */
            ROW_CHECK(res.played >= r->frames - 10 - 2 * (int)r->max_frames,
                      "played %d", res.played);
    }
}

/* The edges of the API, one call at a time. */
static void test_contract(void)
{
    CHECK(lm_jitter_new(999, 32) == NULL);
    CHECK(lm_jitter_new(F10, 1) == NULL);
    CHECK(lm_jitter_new(F10, LM_JITTER_MAX_FRAMES + 1) == NULL);
    lm_jitter_free(NULL);

    lm_jitter *j = lm_jitter_new(F10, 8);
    CHECK(j != NULL);
    uint8_t out[LM_JITTER_PAYLOAD_MAX], big[LM_JITTER_PAYLOAD_MAX + 1] = {0};
    size_t len = 99;
    uint32_t seq = 99;
    const uint8_t *d;
    lm_jitter_stats st;
    /* not started */
    CHECK_EQ_INT(lm_jitter_get(j, 0, out, sizeof out, &len, &seq),
                 LM_JITTER_EMPTY);
    CHECK_EQ_INT(lm_jitter_peek(j, &d, &len, &seq), 0);
    /* refused */
    lm_jitter_put(j, 1, 0, big, sizeof big);
    lm_jitter_put(j, 1, 0, NULL, 3);
    lm_jitter_stats_get(j, &st);
    CHECK_EQ_INT(st.invalid, 2);
    CHECK_EQ_INT(st.depth, 0);
    /* an empty packet is a packet (Opus: conceal from it) */
    lm_jitter_put(j, 7, 0, NULL, 0);
    lm_jitter_put(j, 8, 10000, big, 3);
    CHECK_EQ_INT(lm_jitter_peek(j, &d, &len, &seq), 0); /* not playing */
    CHECK_EQ_INT(lm_jitter_get(j, 10600, out, sizeof out, &len, &seq),
                 LM_JITTER_FRAME);
    CHECK_EQ_INT(len, 0);
    CHECK_EQ_INT(seq, 7);
    CHECK_EQ_INT(lm_jitter_peek(j, &d, &len, &seq), 1);
    CHECK_EQ_INT(seq, 8);
    CHECK_EQ_INT(len, 3);
    /* a packet longer than the caller's buffer is a loss, not an overrun */
    CHECK_EQ_INT(lm_jitter_get(j, 20600, out, 2, &len, &seq), LM_JITTER_LOSS);
    CHECK_EQ_INT(seq, 8);
    /* nothing held: an underrun, counted once however long it lasts */
    CHECK_EQ_INT(lm_jitter_get(j, 30600, out, sizeof out, NULL, NULL),
                 LM_JITTER_EMPTY);
    CHECK_EQ_INT(lm_jitter_get(j, 40600, out, sizeof out, NULL, NULL),
                 LM_JITTER_EMPTY);
    lm_jitter_stats_get(j, &st);
    CHECK_EQ_INT(st.underruns, 1);
    CHECK_EQ_INT(st.frames, 1);
    CHECK_EQ_INT(st.lost, 1);
    /* a lone packet far ahead is noise, not a restart */
    lm_jitter_put(j, 5000000, 41000, big, 3);
    lm_jitter_put(j, 11, 41000, big, 3);
    lm_jitter_stats_get(j, &st);
    CHECK_EQ_INT(st.resets, 0);
    CHECK_EQ_INT(st.depth, 1);
    lm_jitter_free(j);
}

/* A flood far beyond the slots, without any get: memory and depth stay
 * bounded and the newest frames are the ones kept. */
static void test_flood(void)
{
    lm_jitter *j = lm_jitter_new(F2, 16);
    uint8_t p[PAYLOAD_LEN], out[LM_JITTER_PAYLOAD_MAX];
    for (uint32_t s = 0; s < 100000; s++) {
        payload(s, p);
        lm_jitter_put(j, s, 1000, p, sizeof p);
    }
    lm_jitter_stats st;
    lm_jitter_stats_get(j, &st);
    CHECK_EQ_INT(st.depth, 16);
    CHECK_EQ_INT(st.overflow, 100000 - 16);
    CHECK_EQ_INT(st.resets, 0);
    size_t len;
    uint32_t seq = 0;
    CHECK_EQ_INT(lm_jitter_get(j, 2000, out, sizeof out, &len, &seq),
                 LM_JITTER_FRAME);
    CHECK_EQ_INT(seq, 100000 - 16);
    CHECK(payload_ok(seq, out, len));
    lm_jitter_free(j);
}

/* A sender that restarted onto numbers just played: its packets look like
 * replays, and max_frames of them in a row, none in time between, reset. */
static void test_replayed_run(void)
{
    lm_jitter *j = lm_jitter_new(F10, 8);
    uint8_t p[PAYLOAD_LEN], out[LM_JITTER_PAYLOAD_MAX];
    int64_t t = 0;
    for (uint32_t s = 0; s <= 20; s++, t += F10) {
        payload(s, p);
        lm_jitter_put(j, s, t, p, sizeof p);
        lm_jitter_get(j, t + 500, out, sizeof out, NULL, NULL);
    }
    lm_jitter_stats st;
    lm_jitter_stats_get(j, &st);
    CHECK_EQ_INT(st.resets, 0);
    CHECK_EQ_INT(st.frames, 20); /* 0 to 19; 20 waits for its get */
    for (uint32_t s = 0; s < 8; s++) {
        payload(12 + s, p);
        lm_jitter_put(j, 12 + s, t, p, sizeof p);
    }
    lm_jitter_stats_get(j, &st);
    CHECK_EQ_INT(st.resets, 1);
    CHECK_EQ_INT(st.duplicate, 8); /* counted; the eighth restarts too */
    CHECK_EQ_INT(st.depth, 1);
    lm_jitter_free(j);
}

/* A stream whose first get comes late (a player that looked in 20 ms
 * after the first packet, evenly spaced ones behind it): play starts a
 * frame above the target, the older frames are dropped as stale. */
static void test_late_start(void)
{
    lm_jitter *j = lm_jitter_new(F2, 32);
    uint8_t p[PAYLOAD_LEN], out[LM_JITTER_PAYLOAD_MAX];
    for (uint32_t s = 0; s < 8; s++) {
        payload(s, p);
        lm_jitter_put(j, s, (int64_t)s * F2, p, sizeof p);
    }
    size_t len;
    uint32_t seq = 0;
    CHECK_EQ_INT(lm_jitter_get(j, 8 * F2, out, sizeof out, &len, &seq),
                 LM_JITTER_FRAME);
    lm_jitter_stats st;
    lm_jitter_stats_get(j, &st);
    /* the target is the spread (0) + a frame + a guard: 2 frames of
     * 2.5 ms, so 3 are kept and the 5 before them dropped */
    CHECK_EQ_INT(seq, 5);
    CHECK_EQ_INT(st.dropped, 5);
    CHECK(payload_ok(seq, out, len));
    lm_jitter_free(j);
}

/* Lean: one packet 3 frames late does not make the buffer wait (the
 * target stays a frame and the guard), its frame is concealed, and
 * lm_jitter_missed tells that frame from one that played or is still to
 * come. A buffer that is not lean grows for the same packet. */
static void test_lean(void)
{
    for (int lean = 0; lean <= 1; lean++) {
        lm_jitter *j = lm_jitter_new(F10, 32);
        lm_jitter_set_lean(j, lean);
        uint8_t p[PAYLOAD_LEN], out[LM_JITTER_PAYLOAD_MAX];
        size_t len;
        int64_t t = 0;
        uint32_t next = 0;
        CHECK(!lm_jitter_play_point(j, &next));
        CHECK(!lm_jitter_missed(j, 0));
        for (uint32_t s = 0; s < 40; s++, t += F10) {
            if (s != 20) { /* frame 20 comes 3 frames late, after 23 */
                payload(s, p);
                lm_jitter_put(j, s, t, p, sizeof p);
            }
            if (s == 23) {
                payload(20, p);
                if (lean) {
                    CHECK(lm_jitter_missed(j, 20));
                    CHECK(!lm_jitter_missed(j, 19)); /* it played */
                    CHECK(!lm_jitter_missed(j, 30)); /* still to come */
                }
                lm_jitter_put(j, 20, t, p, sizeof p);
            }
            (void)lm_jitter_get(j, t + F10 / 2, out, sizeof out, &len, NULL);
        }
        lm_jitter_stats st;
        lm_jitter_stats_get(j, &st);
        CHECK(lm_jitter_play_point(j, &next));
        if (lean) {
            CHECK_EQ_INT(st.target, 2);
            CHECK_EQ_INT(st.late, 1);
            CHECK_EQ_INT(st.stretched, 0);
        } else {
            CHECK(st.target >= 4);
            CHECK(st.stretched >= 1);
        }
        lm_jitter_free(j);
    }
}

int main(void)
{
    RUN(test_lean);
    RUN(test_late_start);
    RUN(test_contract);
    RUN(test_flood);
    RUN(test_replayed_run);
    RUN(test_scenarios);
    return check_report();
}
