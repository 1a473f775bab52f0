/* test_video_reasm.c - tests for core/video/reasm.c.
 *
 * Step tables: each row is one band arriving and the answer expected
 * (paint, late, duplicate or bad; show the frame before and with how many
 * bands healed; resize; show after). In order, out of order, interleaved
 * with the next frame, late after the next frame began, duplicates, bands
 * that disagree with their frame, a gap in frame numbers, a size change,
 * frame numbers wrapping, a sender restarting, and the wait for a frame
 * whose next never comes. Then the counts. */
#include <stdbool.h>
#include <stdint.h>

#include "check.h"
#include "video/reasm.h"

enum { P = LM_REASM_PAINT, L = LM_REASM_LATE, D = LM_REASM_DUPLICATE,
       B = LM_REASM_BAD };
#define NONE (-1)

typedef struct step {
    uint32_t frame;
    uint16_t index, count, w, h;
    int verdict;
    long long before;   /* frame shown before painting, NONE */
    unsigned healed;    /* its missing bands */
    bool resize;
    bool after;         /* shown after painting */
} step;

static void run(lm_reasm *r, const step *s, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++) {
        lm_reasm_band b = {s[i].frame, s[i].w, s[i].h, s[i].index,
                           s[i].count};
        lm_reasm_out o;
        lm_reasm_put(r, &b, (int64_t)i * 1000, &o);
        bool ok = (int)o.verdict == s[i].verdict &&
                  o.show_before == (s[i].before != NONE) &&
                  (!o.show_before ||
                   ((long long)o.shown_frame == s[i].before &&
                    o.shown_healed == s[i].healed)) &&
                  o.resize == s[i].resize &&
                  (!o.resize || (o.w == s[i].w && o.h == s[i].h)) &&
                  o.show_after == s[i].after;
        if (!ok)
            fprintf(stderr,
                    "%s step %zu: verdict %d before %d (%u, %u) resize %d "
                    "after %d\n",
                    name, i, o.verdict, o.show_before, o.shown_frame,
                    o.shown_healed, o.resize, o.show_after);
        CHECK(ok);
    }
}

static void test_steps(void)
{
    static const step s[] = {
        /* frame, index, count, w, h: verdict, before, healed, resize, after */
        {1, 0, 3, 640, 360, P, NONE, 0, true, false},  /* the stream starts */
        {1, 2, 3, 640, 360, P, NONE, 0, false, false}, /* out of order */
        {1, 1, 3, 640, 360, P, NONE, 0, false, true},  /* complete: shown */
        {1, 1, 3, 640, 360, D, NONE, 0, false, false}, /* again */
        {2, 1, 3, 640, 360, P, NONE, 0, false, false},
        {3, 0, 3, 640, 360, P, 2, 2, false, false},    /* 3 ends 2: healed */
        {2, 0, 3, 640, 360, L, NONE, 0, false, false}, /* 2's band, late */
        {3, 0, 3, 640, 360, D, NONE, 0, false, false},
        {3, 2, 3, 640, 360, P, NONE, 0, false, false},
        {3, 1, 3, 640, 360, P, NONE, 0, false, true},
        {5, 0, 3, 640, 360, P, NONE, 0, false, false}, /* 4 never came */
        {5, 1, 4, 640, 360, B, NONE, 0, false, false}, /* count disagrees */
        {5, 1, 3, 320, 180, B, NONE, 0, false, false}, /* size disagrees */
        {5, 3, 3, 640, 360, B, NONE, 0, false, false}, /* index >= count */
        {5, 0, 0, 640, 360, B, NONE, 0, false, false}, /* count 0 */
        {5, 1, 3, 641, 360, B, NONE, 0, false, false}, /* odd size */
        {6, 0, 2, 320, 180, P, 5, 2, true, false},     /* a new size */
        {5, 2, 3, 640, 360, L, NONE, 0, false, false},
        {6, 1, 2, 320, 180, P, NONE, 0, false, true},
        {7, 0, 1, 320, 180, P, NONE, 0, false, true},  /* one band: shown */
        {7, 0, 1, 320, 180, D, NONE, 0, false, false},
        {6, 0, 2, 320, 180, L, NONE, 0, false, false},
    };
    lm_reasm r;
    lm_reasm_init(&r, 50000);
    run(&r, s, sizeof s / sizeof s[0], "steps");
    CHECK_EQ_INT(r.st.bands, 11);
    CHECK_EQ_INT(r.st.shown, 6);    /* 1, 2, 3, 5, 6, 7 */
    CHECK_EQ_INT(r.st.complete, 4); /* 1, 3, 6, 7 */
    CHECK_EQ_INT(r.st.healed, 4);   /* 2 of 2, 2 of 5 */
    CHECK_EQ_INT(r.st.skipped, 1);  /* 4 */
    CHECK_EQ_INT(r.st.expected, 3 + 3 + 3 + 3 + 3 + 2 + 1); /* 4 as 3 */
    CHECK_EQ_INT(r.st.lost, 4 + 3);
    CHECK_EQ_INT(r.st.late, 3);
    CHECK_EQ_INT(r.st.duplicate, 3);
    CHECK_EQ_INT(r.st.bad, 5);
    CHECK_EQ_INT(r.st.restarts, 0);
}

static void test_interleaved(void)
{
    /* two frames in flight, bands crossing: the newer one wins at once */
    static const step s[] = {
        {10, 0, 4, 640, 360, P, NONE, 0, true, false},
        {10, 1, 4, 640, 360, P, NONE, 0, false, false},
        {11, 0, 4, 640, 360, P, 10, 2, false, false},
        {10, 2, 4, 640, 360, L, NONE, 0, false, false},
        {11, 1, 4, 640, 360, P, NONE, 0, false, false},
        {10, 3, 4, 640, 360, L, NONE, 0, false, false},
        {11, 3, 4, 640, 360, P, NONE, 0, false, false},
        {11, 2, 4, 640, 360, P, NONE, 0, false, true},
    };
    lm_reasm r;
    lm_reasm_init(&r, 50000);
    run(&r, s, sizeof s / sizeof s[0], "interleaved");
    CHECK_EQ_INT(r.st.late, 2);
    CHECK_EQ_INT(r.st.healed, 2);
}

static void test_wrap_and_restart(void)
{
    static const step s[] = {
        {0xfffffffeu, 0, 2, 160, 90, P, NONE, 0, true, false},
        {0xffffffffu, 0, 2, 160, 90, P, 0xfffffffeu, 1, false, false},
        {0, 0, 2, 160, 90, P, 0xffffffffu, 1, false, false}, /* wrapped */
        {0xffffffffu, 1, 2, 160, 90, L, NONE, 0, false, false},
        {0, 1, 2, 160, 90, P, NONE, 0, false, true},
        {2, 0, 2, 160, 90, P, NONE, 0, false, false},       /* 1 skipped */
        /* 2 - 93 is 91 behind: not late, the sender restarted */
        {(uint32_t)-91, 0, 2, 160, 90, P, 2, 1, true, false},
        {(uint32_t)-92, 0, 2, 160, 90, L, NONE, 0, false, false}, /* 1 back */
        /* a jump of more than LM_REASM_RESTART ahead: a restart too */
        {1000, 0, 2, 160, 90, P, (uint32_t)-91, 1, true, false},
        /* 90 behind is still a late band of this stream */
        {910, 0, 2, 160, 90, L, NONE, 0, false, false},
    };
    lm_reasm r;
    lm_reasm_init(&r, 50000);
    run(&r, s, sizeof s / sizeof s[0], "wrap");
    CHECK_EQ_INT(r.st.skipped, 1);
    CHECK_EQ_INT(r.st.restarts, 2);
    CHECK_EQ_INT(r.st.late, 3);
}

static void test_wait(void)
{
    lm_reasm r;
    lm_reasm_init(&r, 50000);
    CHECK_EQ_INT(lm_reasm_due(&r), 0);
    uint32_t f = 0;
    unsigned healed = 9;
    CHECK(!lm_reasm_flush(&r, 1000000, &f, &healed));
    lm_reasm_band b = {42, 640, 360, 0, 3};
    lm_reasm_out o;
    lm_reasm_put(&r, &b, 1000, &o);
    b.index = 2;
    lm_reasm_put(&r, &b, 9000, &o);
    CHECK_EQ_INT(lm_reasm_due(&r), 51000); /* from the first band */
    CHECK(!lm_reasm_flush(&r, 50999, &f, &healed));
    CHECK(lm_reasm_flush(&r, 51000, &f, &healed));
    CHECK_EQ_INT(f, 42);
    CHECK_EQ_INT(healed, 1);
    CHECK_EQ_INT(lm_reasm_due(&r), 0);
    CHECK(!lm_reasm_flush(&r, 99000, &f, &healed)); /* once */
    b.index = 1; /* the missing band, after the frame was shown */
    lm_reasm_put(&r, &b, 60000, &o);
    CHECK_EQ_INT(o.verdict, LM_REASM_LATE);
    b.frame = 43, b.index = 0; /* the next frame shows nothing before */
    lm_reasm_put(&r, &b, 70000, &o);
    CHECK(o.verdict == LM_REASM_PAINT && !o.show_before && !o.resize);
    CHECK_EQ_INT(r.st.shown, 1);
    CHECK_EQ_INT(r.st.healed, 1);
    /* a frame complete before its wait is never flushed */
    b.index = 1;
    lm_reasm_put(&r, &b, 71000, &o);
    b.index = 2;
    lm_reasm_put(&r, &b, 72000, &o);
    CHECK(o.show_after);
    CHECK(!lm_reasm_flush(&r, 1000000, &f, &healed));
}

static void test_most_bands(void)
{
    lm_reasm r;
    lm_reasm_init(&r, 50000);
    lm_reasm_out o;
    int painted = 0, shown = 0;
    for (unsigned k = 0; k < LM_VIDEO_BANDS_MAX; k++) {
        /* every band once, in a scrambled order (k * 7 mod 2048) */
        lm_reasm_band b = {1, 1920, 1080, (uint16_t)(k * 7 % LM_VIDEO_BANDS_MAX),
                           LM_VIDEO_BANDS_MAX};
        lm_reasm_put(&r, &b, k, &o);
        painted += o.verdict == LM_REASM_PAINT;
        shown += o.show_after;
    }
    CHECK_EQ_INT(painted, LM_VIDEO_BANDS_MAX);
    CHECK_EQ_INT(shown, 1);
    CHECK(o.show_after); /* on the very last */
}

int main(void)
{
    RUN(test_steps);
    RUN(test_interleaved);
    RUN(test_wrap_and_restart);
    RUN(test_wait);
    RUN(test_most_bands);
    return check_report();
}
