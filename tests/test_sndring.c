/* test_sndring.c - tests for ui/dev/sndring.c.
 *
 * The trimmer as a table of windows (what stood in the ring is dropped
 * down to LM_SNDTRIM_KEEP at each window's end, nothing before); then the
 * ring as a backend drives it, from one thread: capture and read in
 * order, silence and the underrun count on an empty speaker (but not
 * before the first write), the full ring's overrun, a mic cut to its
 * newest LM_SNDRING_BACKLOG, the stall (silence after
 * LM_SNDRING_STALL_US, then at the frame's pace), a failed device, and a
 * speaker whose standing backlog is trimmed as it plays; a woken reader
 * (lm_sndring_capture_wake from another thread, as libpulse's loop does):
 * it sleeps until fragments come, gets them in order and on time, and a
 * failure wakes it. */
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

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

typedef struct feeder {
    lm_sndring *s;
    int fragments; /* of 60 samples, every 10 ms; then fail if asked */
    int fail;
} feeder;

static void *feed(void *arg)
{
    feeder *f = arg;
    struct timespec ten = {0, 10000000};
    for (int i = 0; i < f->fragments; i++) {
        nanosleep(&ten, NULL);
        int16_t in[60];
        ramp(in, 60, 60 * (i + 1));
        lm_sndring_capture_wake(f->s, in, 60);
    }
    if (f->fail) {
        nanosleep(&ten, NULL);
        lm_sndring_fail(f->s);
    }
    return NULL;
}

static void mic_woken(void)
{
    lm_sndring *s = lm_sndring_new(1024);
    int16_t first[60];
    ramp(first, 60, 0);
    lm_sndring_capture_wake(s, first, 60); /* the ring now wakes its reader */
    feeder f = {s, 8, 1};
    pthread_t t;
    CHECK_EQ_INT(pthread_create(&t, NULL, feed, &f), 0);
    int16_t out[120];
    /* four frames of two fragments: the first waits for one fragment */
    int next = 0;
    for (int k = 0; k < 4; k++) {
        int64_t t0 = lm_mono_us();
        CHECK_EQ_INT(lm_sndring_read(s, out, 120), 0);
        int64_t waited = lm_mono_us() - t0;
        CHECK(!lm_sndring_stalled(s));
        /* the feeder's own pace, not the 0.2 s stall: woken, not timed out */
        CHECK(waited < LM_SNDRING_STALL_US / 2);
        CHECK_EQ_INT(out[0], next);
        CHECK_EQ_INT(out[119], next + 119);
        next += 120;
    }
    /* 60 samples left over; then the failure wakes the reader at once */
    int64_t t0 = lm_mono_us();
    CHECK_EQ_INT(lm_sndring_read(s, out, 120), LM_EIO);
    CHECK(lm_mono_us() - t0 < LM_SNDRING_STALL_US / 2);
    pthread_join(t, NULL);
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
    RUN(mic_woken);
    return check_report();
}
