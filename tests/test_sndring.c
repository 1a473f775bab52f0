/* test_sndring.c - tests for ui/dev/sndring.c.
 *
 * The trimmer as a table of windows (what stood in the ring is dropped
 * down to LM_SNDTRIM_KEEP at each window's end, nothing before); then the
 * ring as a backend drives it, from one thread: capture and read in
 * order, silence and the underrun count on an empty speaker (but not
 * before the first write), the full ring's overrun, a mic cut to its
 * newest LM_SNDRING_BACKLOG, the stall (silence after
 * LM_SNDRING_STALL_US, then at the frame's pace), a failed device, and a
 * speaker whose standing backlog is trimmed as it plays. */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "clock.h"
#include "err.h"
#include "dev/sndring.h"

static void trimmer_table(void)
{
    /* one row per callback: samples taken, samples left, drop expected */
    static const struct {
        size_t took, left, drop;
    } rows[] = {
        {12000, 900, 0},      /* half a window */
        {12000, 500, 404},    /* window ends: least 500, keep 96 */
        {24000, 50, 0},       /* a whole window below keep: nothing */
        {8000, 4000, 0},
        {8000, 96, 0},        /* least exactly keep */
        {8000, 3000, 0},
        {24000, 97, 1},       /* one over keep */
        {1, 0, 0},            /* a new window starts with the next take */
        {23999, 5000, 0},     /* least 0 in this window */
    };
    lm_sndtrim t;
    lm_sndtrim_init(&t);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        size_t d = lm_sndtrim_step(&t, rows[i].took, rows[i].left);
        if (d != rows[i].drop)
            fprintf(stderr, "row %zu: drop %zu, expected %zu\n", i, d,
                    rows[i].drop);
        CHECK_EQ_INT(d, rows[i].drop);
    }
}

static void ramp(int16_t *p, size_t n, int start)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (int16_t)(start + (int)i);
}

static void mic_in_order(void)
{
    lm_sndring *s = lm_sndring_new(8192);
    CHECK(s != NULL);
    int16_t in[300], out[120];
    ramp(in, 300, 0);
    lm_sndring_capture(s, in, 300);
    for (int f = 0; f < 2; f++) {
        CHECK_EQ_INT(lm_sndring_read(s, out, 120), 0);
        CHECK_EQ_INT(out[0], f * 120);
        CHECK_EQ_INT(out[119], f * 120 + 119);
    }
    CHECK(!lm_sndring_stalled(s));
    CHECK_EQ_INT(lm_sndring_read(s, out, 0), LM_EINVAL);
    CHECK_EQ_INT(lm_sndring_read(s, out, LM_SNDRING_BACKLOG + 1), LM_EINVAL);
    lm_sndring_free(s);
}

static void mic_backlog_cut(void)
{
    lm_sndring *s = lm_sndring_new(16384);
    static int16_t in[LM_SNDRING_BACKLOG + 1000];
    int16_t out[120];
    ramp(in, sizeof in / sizeof in[0], 0);
    lm_sndring_capture(s, in, sizeof in / sizeof in[0]);
    CHECK_EQ_INT(lm_sndring_read(s, out, 120), 0);
    CHECK_EQ_INT(out[0], 1000); /* the oldest 1000 went */
    lm_sndring_stats st;
    lm_sndring_stats_get(s, &st);
    CHECK_EQ_INT(st.trimmed, 1000);
    lm_sndring_free(s);
}

static void mic_overrun(void)
{
    lm_sndring *s = lm_sndring_new(256);
    int16_t in[300];
    ramp(in, 300, 0);
    lm_sndring_capture(s, in, 300);
    lm_sndring_stats st;
    lm_sndring_stats_get(s, &st);
    CHECK_EQ_INT(st.overrun, 300 - 256);
    CHECK_EQ_INT(st.callbacks, 1);
    lm_sndring_free(s);
}

static void mic_stall_and_fail(void)
{
    lm_sndring *s = lm_sndring_new(1024);
    int16_t out[240];
    memset(out, 0x55, sizeof out);
    int64_t t0 = lm_mono_us();
    CHECK_EQ_INT(lm_sndring_read(s, out, 240), 0);
    int64_t waited = lm_mono_us() - t0;
    CHECK(waited >= LM_SNDRING_STALL_US);
    CHECK(waited < LM_SNDRING_STALL_US + 150000);
    CHECK_EQ_INT(out[0], 0);
    CHECK_EQ_INT(out[239], 0);
    CHECK(lm_sndring_stalled(s));
    /* stalled: one frame's time (5 ms) per read, not another 200 ms */
    t0 = lm_mono_us();
    CHECK_EQ_INT(lm_sndring_read(s, out, 240), 0);
    waited = lm_mono_us() - t0;
    CHECK(waited >= 5000 && waited < 100000);
    lm_sndring_stats st;
    lm_sndring_stats_get(s, &st);
    CHECK_EQ_INT(st.stalls, 1);
    /* sound again: no longer stalled */
    int16_t in[240];
    ramp(in, 240, 7);
    lm_sndring_capture(s, in, 240);
    CHECK_EQ_INT(lm_sndring_read(s, out, 240), 0);
    CHECK_EQ_INT(out[0], 7);
    CHECK(!lm_sndring_stalled(s));
    lm_sndring_fail(s);
    CHECK_EQ_INT(lm_sndring_read(s, out, 240), LM_EIO);
    CHECK_EQ_INT(lm_sndring_write(s, out, 240), LM_EIO);
    lm_sndring_free(s);
}

static void speaker_underrun(void)
{
    lm_sndring *s = lm_sndring_new(4096);
    int16_t out[256], in[120];
    memset(out, 0x55, sizeof out);
    lm_sndring_play(s, out, 256); /* nothing written yet: silence, no count */
    CHECK_EQ_INT(out[0], 0);
    CHECK_EQ_INT(out[255], 0);
    lm_sndring_stats st;
    lm_sndring_stats_get(s, &st);
    CHECK_EQ_INT(st.underrun, 0);
    ramp(in, 120, 1);
    CHECK_EQ_INT(lm_sndring_write(s, in, 120), 0);
    lm_sndring_play(s, out, 256);
    CHECK_EQ_INT(out[0], 1);
    CHECK_EQ_INT(out[119], 120);
    CHECK_EQ_INT(out[120], 0);
    lm_sndring_stats_get(s, &st);
    CHECK_EQ_INT(st.underrun, 256 - 120);
    lm_sndring_free(s);
}

static void speaker_overrun(void)
{
    lm_sndring *s = lm_sndring_new(256);
    int16_t in[200];
    ramp(in, 200, 0);
    CHECK_EQ_INT(lm_sndring_write(s, in, 200), 0);
    CHECK_EQ_INT(lm_sndring_write(s, in, 200), 0); /* never waits */
    lm_sndring_stats st;
    lm_sndring_stats_get(s, &st);
    CHECK_EQ_INT(st.overrun, 400 - 256);
    lm_sndring_free(s);
}

/* A writer that got 1000 samples ahead (after an underrun, say) keeps
 * them standing; at the end of the first whole window the callback drops
 * all but LM_SNDTRIM_KEEP, and what plays next is the newest sound. */
static void speaker_trims_standing(void)
{
    lm_sndring *s = lm_sndring_new(8192);
    int16_t in[240], out[240];
    int next = 0;
    for (int i = 0; i < 4; i++) { /* 960 ahead */
        ramp(in, 240, next);
        next += 240;
        lm_sndring_write(s, in, 240);
    }
    size_t played = 0;
    while (played < LM_SNDTRIM_WINDOW) {
        ramp(in, 240, next);
        next += 240;
        lm_sndring_write(s, in, 240);
        lm_sndring_play(s, out, 240);
        played += 240;
    }
    lm_sndring_stats st;
    lm_sndring_stats_get(s, &st);
    CHECK_EQ_INT(st.trimmed, 960 - LM_SNDTRIM_KEEP);
    CHECK_EQ_INT(st.underrun, 0);
    ramp(in, 240, next);
    lm_sndring_write(s, in, 240);
    lm_sndring_play(s, out, 240);
    /* int16 wraps in the ramp: compare as it was written */
    CHECK_EQ_INT(out[0], (int16_t)(next - LM_SNDTRIM_KEEP));
    lm_sndring_free(s);
}

int main(void)
{
    RUN(trimmer_table);
    RUN(mic_in_order);
    RUN(mic_backlog_cut);
    RUN(mic_overrun);
    RUN(mic_stall_and_fail);
    RUN(speaker_underrun);
    RUN(speaker_overrun);
    RUN(speaker_trims_standing);
    return check_report();
}
