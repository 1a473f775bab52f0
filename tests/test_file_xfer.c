/* test_file_xfer.c - tests for core/files/xfer.c, by tables.
 *
 * Each scenario is a run of steps on one receiver: ask (and the ranges it
 * must ask for), a chunk that arrives good, with a bad hash or the wrong
 * length (and the verdict), the link lost, the sender's holdings; then
 * the state it must end in. In order, out of order, duplicates, out of
 * the window, a bad hash asked again, resume after a gap, 0- and 1-byte
 * files, the last partial chunk, a sender still receiving, the credit
 * step; then the set of held chunks, the stall clock and the sender's
 * queue. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "err.h"
#include "files/xfer.h"

#define K16 (16u * 1024)
#define K64 (64u * 1024)

typedef struct step {
    char op; /* A ask, G good chunk, B bad hash, L wrong length, X lost,
                H sender holds [0, index) */
    uint32_t index;
    const char *want; /* A: ranges "0-3,5"; G B L: verdict; B: "take-fail"
                         when this bad chunk fails the transfer */
} step;

typedef struct scenario {
    const char *what;
    uint64_t size;
    uint32_t chunk, window;
    lm_chunkset resume; /* restored before the steps if next or bits */
    step steps[20];
    uint32_t next; /* after the steps */
    bool complete;
    uint64_t bytes;
} scenario;

static void ranges_str(const lm_file_range *r, size_t n, char *out, size_t cap)
{
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(out);
        if (r[i].count == 1)
            snprintf(out + len, cap - len, "%s%u", i ? "," : "", r[i].first);
        else
            snprintf(out + len, cap - len, "%s%u-%u", i ? "," : "", r[i].first,
                     r[i].first + r[i].count - 1);
    }
}

static const char *verdict_word(lm_xfer_verdict v)
{
    switch (v) {
    case LM_XFER_TAKE: return "take";
    case LM_XFER_DUP: return "dup";
    case LM_XFER_UNASKED: return "unasked";
    case LM_XFER_BADLEN: return "badlen";
    case LM_XFER_RANGE: return "range";
    }
    return "?";
}

/* clang-format off: one step per cell, one scenario per paragraph */
static const scenario scenarios[] = {
    {"in order, last chunk partial",
     4 * K64 + 1000,
     K64,
     0,
     {0, 0},
     {{'A', 0, "0-3"},
      {'G', 0, "take"},
      {'A', 0, "4"},
      {'G', 1, "take"},
      {'A', 0, ""},
      {'G', 2, "take"},
      {'G', 3, "take"},
      {'G', 4, "take"},
      {'A', 0, ""}},
     5,
     true,
     4 * K64 + 1000},
    {"out of order",
     8 * K64,
     K64,
     0,
     {0, 0},
     {{'A', 0, "0-3"},
      {'G', 2, "take"},
      {'G', 1, "take"},
      {'A', 0, "4-5"},
      {'G', 0, "take"},
      {'G', 5, "take"},
      {'A', 0, "6-7"},
      {'G', 3, "take"},
      {'G', 4, "take"}},
     6,
     false,
     6 * K64},
    {"duplicates",
     4 * K64,
     K64,
     0,
     {0, 0},
     {{'A', 0, "0-3"},
      {'G', 0, "take"},
      {'G', 0, "dup"},
      {'G', 2, "take"},
      {'G', 2, "dup"},
      {'G', 1, "take"},
      {'G', 1, "dup"}},
     3,
     false,
     3 * K64},
    {"not asked, past the window, past the end",
     100 * K64,
     K64,
     0,
     {0, 0},
     {{'A', 0, "0-3"},
      {'G', 5, "unasked"},
      {'G', 70, "unasked"},
      {'G', 100, "range"},
      {'G', 4000000, "range"},
      {'A', 0, ""}},
     0,
     false,
     0},
    {"a bad hash is asked again, alone",
     6 * K64,
     K64,
     0,
     {0, 0},
     {{'A', 0, "0-3"},
      {'B', 1, "take"},
      {'A', 0, "1"},
      {'G', 1, "take"},
      {'G', 1, "dup"},
      {'G', 0, "take"}},
     2,
     false,
     2 * K64},
    {"resume after a gap",
     10 * K64,
     K64,
     0,
     {3, 1u << 2},
     {{'A', 0, "3-4,6-7"},
      {'G', 5, "dup"},
      {'G', 3, "take"},
      {'G', 4, "take"},
      {'A', 0, "8-9"}},
     6,
     false,
     6 * K64},
    {"0-byte file",
     0,
     K64,
     0,
     {0, 0},
     {{'A', 0, ""}, {'G', 0, "range"}},
     0,
     true,
     0},
    {"1-byte file",
     1,
     K64,
     0,
     {0, 0},
     {{'A', 0, "0"}, {'L', 0, "badlen"}, {'G', 0, "take"}, {'A', 0, ""}},
     1,
     true,
     1},
    {"short last chunk in 16 KiB chunks",
     2 * K16 + 5,
     K16,
     0,
     {0, 0},
     {{'A', 0, "0-2"},
      {'L', 2, "badlen"},
      {'G', 2, "take"},
      {'G', 0, "take"},
      {'G', 1, "take"}},
     3,
     true,
     2 * K16 + 5},
    {"sender still receiving",
     8 * K64,
     K64,
     0,
     {0, 0},
     {{'H', 2, ""},
      {'A', 0, "0-1"},
      {'G', 0, "take"},
      {'A', 0, ""},
      {'G', 1, "take"},
      {'H', 5, ""},
      {'A', 0, "2-4"},
      {'G', 3, "take"}},
     2,
     false,
     3 * K64},
    {"link lost: asks forgotten, asked again",
     8 * K64,
     K64,
     0,
     {0, 0},
     {{'A', 0, "0-3"},
      {'G', 0, "take"},
      {'X', 0, ""},
      {'G', 1, "unasked"},
      {'A', 0, "1-4"},
      {'G', 1, "take"}},
     2,
     false,
     2 * K64},
    {"16 KiB chunks: 16 in flight, asked 4 at a time",
     40 * K16,
     K16,
     0,
     {0, 0},
     {{'A', 0, "0-15"},
      {'G', 0, "take"},
      {'G', 1, "take"},
      {'G', 2, "take"},
      {'A', 0, ""},
      {'G', 3, "take"},
      {'A', 0, "16-19"}},
     4,
     false,
     4 * K16},
    {"a window of one chunk",
     3 * K64,
     K64,
     K16,
     {0, 0},
     {{'A', 0, "0"},
      {'G', 1, "unasked"},
      {'A', 0, ""},
      {'G', 0, "take"},
      {'A', 0, "1"}},
     1,
     false,
     K64},
};
/* clang-format on */

static void run_scenario(const scenario *sc)
{
    lm_xfer x;
    int fails = check_failures;
    CHECK_EQ_INT(lm_xfer_init(&x, sc->size, sc->chunk, sc->window), 0);
    if (sc->resume.next || sc->resume.bits)
        CHECK_EQ_INT(lm_xfer_restore(&x, &sc->resume), 0);
    for (size_t i = 0; i < sizeof sc->steps / sizeof sc->steps[0]; i++) {
        const step *s = &sc->steps[i];
        if (!s->op)
            break;
        lm_file_range r[LM_FILE_RANGES_MAX];
        char got[256];
        size_t want_len = lm_file_chunk_len(sc->size, sc->chunk, s->index);
        switch (s->op) {
        case 'A': {
            size_t n = lm_xfer_asks(&x, (int64_t)i, r, LM_FILE_RANGES_MAX);
            ranges_str(r, n, got, sizeof got);
            if (strcmp(got, s->want) != 0)
                printf("  '%s' step %zu: asked \"%s\", want \"%s\"\n", sc->what,
                       i, got, s->want);
            CHECK_EQ_STR(got, s->want);
            break;
        }
        case 'G':
        case 'B':
        case 'L': {
            size_t len = s->op == 'L' ? want_len + 1 : want_len;
            lm_xfer_verdict v = lm_xfer_check(&x, s->index, len);
            const char *w = verdict_word(v);
            bool fail = strcmp(s->want, "take-fail") == 0;
            if (strcmp(w, fail ? "take" : s->want) != 0)
                printf("  '%s' step %zu: chunk %u is %s, want %s\n", sc->what,
                       i, s->index, w, s->want);
            CHECK_EQ_STR(w, fail ? "take" : s->want);
            if (v == LM_XFER_TAKE)
                CHECK_EQ_INT(
                    lm_xfer_arrived(&x, s->index, s->op == 'G', (int64_t)i),
                    fail ? LM_EAUTH : 0);
            else if (v != LM_XFER_BADLEN) /* not asked: arrived refuses */
                CHECK_EQ_INT(lm_xfer_arrived(&x, s->index, true, 0), LM_EINVAL);
            break;
        }
        case 'X': lm_xfer_lost(&x); break;
        case 'H': lm_xfer_sender_has(&x, s->index); break;
        }
    }
    CHECK_EQ_INT(x.held.next, sc->next);
    CHECK_EQ_INT(lm_xfer_complete(&x), sc->complete);
    CHECK(lm_xfer_bytes(&x) == sc->bytes);
    CHECK(lm_xfer_inflight(&x) <= x.slots);
    if (check_failures != fails)
        printf("  in scenario '%s'\n", sc->what);
}

static void test_scenarios(void)
{
    for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++)
        run_scenario(&scenarios[i]);
}

static void test_bad_chunks_fail_the_transfer(void)
{
    lm_xfer x;
    lm_file_range r[4];
    CHECK_EQ_INT(lm_xfer_init(&x, 10 * K64, K64, K64), 0);
    for (int i = 0; i < LM_XFER_BAD_MAX; i++) {
        CHECK_EQ_INT(lm_xfer_asks(&x, 0, r, 4), 1);
        CHECK_EQ_INT(lm_xfer_check(&x, 0, K64), LM_XFER_TAKE);
        CHECK_EQ_INT(lm_xfer_arrived(&x, 0, false, 0), 0);
    }
    CHECK_EQ_INT(lm_xfer_asks(&x, 0, r, 4), 1);
    CHECK_EQ_INT(lm_xfer_arrived(&x, 0, false, 0), LM_EAUTH);
    CHECK(x.failed);
    CHECK_EQ_INT(lm_xfer_asks(&x, 0, r, 4), 0); /* nothing more is asked */
    CHECK_EQ_INT(lm_xfer_check(&x, 0, K64), LM_XFER_UNASKED);
    CHECK_EQ_INT((int)x.bad, LM_XFER_BAD_MAX + 1);
}

static void test_stall_clock(void)
{
    lm_xfer x;
    lm_file_range r[4];
    CHECK_EQ_INT(lm_xfer_init(&x, 10 * K64, K64, 0), 0);
    CHECK(!lm_xfer_stalled(&x, 5000000, 1000)); /* nothing asked */
    CHECK_EQ_INT(lm_xfer_asks(&x, 1000000, r, 4), 1);
    CHECK(!lm_xfer_stalled(&x, 1400000, 500000));
    CHECK(lm_xfer_stalled(&x, 1500000, 500000));
    CHECK_EQ_INT(lm_xfer_check(&x, 0, K64), LM_XFER_TAKE);
    CHECK_EQ_INT(lm_xfer_arrived(&x, 0, true, 1600000), 0);
    /* asking more while others are in flight does not reset the clock */
    CHECK_EQ_INT(lm_xfer_asks(&x, 1900000, r, 4), 1);
    CHECK(!lm_xfer_stalled(&x, 2000000, 500000));
    CHECK(lm_xfer_stalled(&x, 2100000, 500000));
}

static void test_init_refuses(void)
{
    lm_xfer x;
    CHECK_EQ_INT(lm_xfer_init(&x, LM_FILE_SIZE_MAX + 1, K64, 0), LM_EINVAL);
    CHECK_EQ_INT(lm_xfer_init(&x, 100, 1000, 0), LM_EINVAL);
    /* a hostile huge size is only a number: the state stays its size */
    CHECK_EQ_INT(lm_xfer_init(&x, LM_FILE_SIZE_MAX, K16, 1u << 30), 0);
    CHECK_EQ_INT(x.slots, LM_XFER_SLOTS);
    CHECK(sizeof x < 128);
    lm_chunkset past = {5, 1u << 9};
    CHECK_EQ_INT(lm_xfer_init(&x, 10 * K64, K64, 0), 0);
    CHECK_EQ_INT(lm_xfer_restore(&x, &past), LM_EINVAL); /* chunk 14 of 10 */
}

static void test_chunkset(void)
{
    static const struct {
        lm_chunkset s;
        uint32_t n;
        bool ok;
        const char *ranges;
        uint32_t count;
    } rows[] = {
        {{0, 0}, 0, true, "", 0},
        {{0, 0}, 5, true, "", 0},
        {{5, 0}, 5, true, "0-4", 5},
        {{6, 0}, 5, false, "0-5", 6},    /* prefix past the end */
        {{2, 1}, 10, false, "0-1,2", 3}, /* bit 0 belongs in the prefix */
        {{2, 0x6}, 10, true, "0-1,3-4", 4},
        {{2, 0x6}, 4, false, "0-1,3-4", 4}, /* chunk 4 of 4 */
        {{0, 0xaaaaaaaaaaaaaaaaull}, 100, true, NULL, 32},
        {{100, 1ull << 63}, 200, true, "0-99,163", 101},
        {{100, 1ull << 63}, 163, false, "0-99,163", 101},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        CHECK_EQ_INT(lm_chunkset_ok(&rows[i].s, rows[i].n), rows[i].ok);
        CHECK_EQ_INT(lm_chunkset_count(&rows[i].s), rows[i].count);
        lm_file_range r[LM_FILE_RANGES_MAX];
        size_t n = lm_chunkset_ranges(&rows[i].s, r, LM_FILE_RANGES_MAX);
        CHECK(!rows[i].ok || lm_file_ranges_ok(r, n));
        if (rows[i].ranges) {
            char got[128];
            ranges_str(r, n, got, sizeof got);
            CHECK_EQ_STR(got, rows[i].ranges);
        } else {
            CHECK_EQ_INT((int)n, 32); /* every other chunk: 32 runs */
        }
    }
    lm_chunkset s = {0, 0};
    CHECK_EQ_INT(lm_chunkset_add(&s, 100, 3), 0);
    CHECK_EQ_INT(lm_chunkset_add(&s, 100, 64), LM_ETOOBIG);
    CHECK_EQ_INT(lm_chunkset_add(&s, 100, 100), LM_EINVAL);
    CHECK_EQ_INT(lm_chunkset_add(&s, 100, 1), 0);
    CHECK_EQ_INT(lm_chunkset_add(&s, 100, 2), 0);
    CHECK_EQ_INT(lm_chunkset_add(&s, 100, 0), 0); /* joins 0-3 */
    CHECK_EQ_INT(s.next, 4);
    CHECK(s.bits == 0);
    CHECK(lm_chunkset_has(&s, 3) && !lm_chunkset_has(&s, 4));
    CHECK_EQ_INT(lm_chunkset_add(&s, 100, 67), 0); /* 4 + 63: the last slot */
    CHECK(lm_chunkset_has(&s, 67));
    /* bytes with a short last chunk */
    lm_chunkset last = {0, 1u << 2};
    CHECK(lm_chunkset_bytes(&last, 2 * K64 + 7, K64) == 7);
    lm_chunkset all = {3, 0};
    CHECK(lm_chunkset_bytes(&all, 2 * K64 + 7, K64) == 2 * K64 + 7);
}

static void test_sender_queue(void)
{
    lm_xsend s;
    uint32_t i;
    CHECK_EQ_INT(lm_xsend_init(&s, 10, 11), LM_EINVAL);
    CHECK_EQ_INT(lm_xsend_init(&s, 200, 4), 0);
    CHECK(!lm_xsend_next(&s, &i));
    lm_file_range a[] = {{2, 3}};
    CHECK_EQ_INT(lm_xsend_ask(&s, a, 1), 0);
    lm_file_range b[] = {{5, 2}, {9, 1}}; /* joins the last range */
    CHECK_EQ_INT(lm_xsend_ask(&s, b, 2), 0);
    CHECK_EQ_INT((int)s.nq, 2);
    CHECK_EQ_INT(s.queued, 6);
    /* only what it holds leaves: 2 and 3, then it waits */
    CHECK(lm_xsend_next(&s, &i) && i == 2);
    CHECK(lm_xsend_next(&s, &i) && i == 3);
    CHECK(!lm_xsend_next(&s, &i));
    lm_xsend_set_have(&s, 200);
    uint32_t order[4];
    for (int k = 0; k < 4; k++)
        CHECK(lm_xsend_next(&s, &order[k]));
    CHECK(order[0] == 4 && order[1] == 5 && order[2] == 6 && order[3] == 9);
    CHECK(!lm_xsend_next(&s, &i));
    CHECK_EQ_INT(s.queued, 0);
    /* a receiver past its window: refused whole */
    lm_file_range big[] = {{0, LM_XSEND_QUEUE_MAX}};
    CHECK_EQ_INT(lm_xsend_ask(&s, big, 1), 0);
    lm_file_range one[] = {{150, 1}};
    CHECK_EQ_INT(lm_xsend_ask(&s, one, 1), LM_EFULL);
    CHECK_EQ_INT(s.queued, LM_XSEND_QUEUE_MAX);
    lm_xsend_clear(&s);
    CHECK_EQ_INT(lm_xsend_ask(&s, one, 1), 0);
    /* past the file, or not in the codec's form */
    lm_file_range past[] = {{199, 2}};
    CHECK_EQ_INT(lm_xsend_ask(&s, past, 1), LM_EINVAL);
    lm_file_range touching[] = {{1, 1}, {2, 1}};
    CHECK_EQ_INT(lm_xsend_ask(&s, touching, 2), LM_EINVAL);
    CHECK(s.refused >= 2);
    /* more separate ranges than the queue keeps */
    lm_xsend_clear(&s);
    for (uint32_t k = 0; k < LM_FILE_RANGES_MAX; k++) {
        lm_file_range r1[] = {{2 * k, 1}};
        CHECK_EQ_INT(lm_xsend_ask(&s, r1, 1), 0);
    }
    lm_file_range r2[] = {{190, 1}};
    CHECK_EQ_INT(lm_xsend_ask(&s, r2, 1), LM_EFULL);
}

int main(void)
{
    RUN(test_scenarios);
    RUN(test_bad_chunks_fail_the_transfer);
    RUN(test_stall_clock);
    RUN(test_init_refuses);
    RUN(test_chunkset);
    RUN(test_sender_queue);
    return check_report();
}
