/* test_synth.c - tests for ui/dev/synth.c: ten minutes of impulses each
 * at its exact sample, a tone's pitch and its phase unmoved after a
 * minute, and the text a source is named by. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "dev/synth.h"
#include "err.h"
#include "pcm_check.h"

/* Ten minutes of an impulse train in 2.5/5/10 ms frames: each click where
 * phase + n * period says (found by adding, not by the modulo synth.c
 * uses), and nothing anywhere else. */
static void test_impulses_exact(void)
{
    static const size_t sizes[] = {120, 240, 480};
    const uint64_t total = 10ull * 60 * RATE;
    lm_synth_config cfg = {.kind = LM_SYNTH_IMPULSE,
                           .amplitude = 0.8,
                           .period_ms = 21.3,
                           .phase_ms = 7.25};
    lm_synth *s;
    int16_t f[480];
    uint64_t t = 0, next, clicks = 0, wrong = 0;
    const int16_t peak = (int16_t)lrint(0.8 * 32767);

    CHECK_EQ_INT(lm_synth_new(&cfg, &s), 0);
    if (!s)
        return;
    CHECK_EQ_INT(lm_synth_period(s), 1022); /* 21.3 ms = 1022.4 samples */
    CHECK_EQ_INT(lm_synth_phase(s), 348);   /* 7.25 ms */
    next = 348;
    for (int k = 0; t < total; k++) {
        size_t m = sizes[k % 3];
        if (m > total - t)
            m = (size_t)(total - t);
        lm_synth_read(s, f, m);
        for (size_t i = 0; i < m; i++, t++) {
            int in_click = t >= next && t < next + LM_SYNTH_CLICK;
            wrong += f[i] != (in_click ? peak : 0);
            if (t == next + LM_SYNTH_CLICK - 1) {
                clicks++;
                next += 1022;
            }
        }
    }
    CHECK_EQ_INT(wrong, 0);
    CHECK_EQ_INT(lm_synth_position(s), total);
    CHECK_EQ_INT(clicks, (total - 348 - LM_SYNTH_CLICK) / 1022 + 1);
    lm_synth_free(s);
}

/* Pitch by zero crossings; an integer frequency repeats every second
 * exactly, so second 59 equals second 0. */
static void test_tone(void)
{
    static int16_t x[60 * RATE];
    const double hz[] = {440, 1000, 123.4};
    for (size_t i = 0; i < 3; i++) {
        lm_synth_config cfg = {
            .kind = LM_SYNTH_TONE, .amplitude = 0.5, .freq_hz = hz[i]};
        lm_synth *s;
        int peak = 0;
        CHECK_EQ_INT(lm_synth_new(&cfg, &s), 0);
        if (!s)
            continue;
        lm_synth_read(s, x, 60 * RATE);
        for (size_t k = 0; k < RATE; k++)
            peak = abs(x[k]) > peak ? abs(x[k]) : peak;
        CHECK(abs(peak - 16384) <= 2);
        CHECK(fabs(pitch(x, 0, 10 * RATE, 1000) - hz[i]) <= 0.2);
        if (hz[i] == floor(hz[i]))
            CHECK(memcmp(x, x + 59 * RATE, RATE * sizeof *x) == 0);
        lm_synth_free(s);
    }
}

static void test_synth_config(void)
{
    static const struct {
        const char *text;
        int rc;
        lm_synth_kind kind;
        double a, b, c; /* freq or period, phase, amplitude */
        int new_rc;
    } rows[] = {
        {"silence", 0, LM_SYNTH_SILENCE, 0, 0, 0, 0},
        {"tone:440", 0, LM_SYNTH_TONE, 440, 0, 0.5, 0},
        {"tone:1000:0.25", 0, LM_SYNTH_TONE, 1000, 0, 0.25, 0},
        {"impulse:500", 0, LM_SYNTH_IMPULSE, 500, 0, 0.9, 0},
        {"impulse:20:5:1", 0, LM_SYNTH_IMPULSE, 20, 5, 1, 0},
        {"tone:24000", 0, LM_SYNTH_TONE, 24000, 0, 0.5, LM_EINVAL},
        {"tone:0", 0, LM_SYNTH_TONE, 0, 0, 0.5, LM_EINVAL},
        {"tone:440:1.5", 0, LM_SYNTH_TONE, 440, 0, 1.5, LM_EINVAL},
        {"impulse:0.08", 0, LM_SYNTH_IMPULSE, 0.08, 0, 0.9, LM_EINVAL},
        {"impulse:20:20", 0, LM_SYNTH_IMPULSE, 20, 20, 0.9, LM_EINVAL},
        {"impulse:20:-1", 0, LM_SYNTH_IMPULSE, 20, -1, 0.9, LM_EINVAL},
        {"tone", LM_EINVAL, 0, 0, 0, 0, 0},
        {"tone:", LM_EINVAL, 0, 0, 0, 0, 0},
        {"tone:x", LM_EINVAL, 0, 0, 0, 0, 0},
        {"tone:440:", LM_EINVAL, 0, 0, 0, 0, 0},
        {"tones:440", LM_EINVAL, 0, 0, 0, 0, 0},
        {"tone:1:2:3", LM_EINVAL, 0, 0, 0, 0, 0},
        {"impulse:1:2:3:4", LM_EINVAL, 0, 0, 0, 0, 0},
        {"noise", LM_EINVAL, 0, 0, 0, 0, 0},
        {"", LM_EINVAL, 0, 0, 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        lm_synth_config c;
        lm_synth *s = NULL;
        int rc = lm_synth_parse(rows[i].text, &c);
        CHECK_EQ_INT(rc, rows[i].rc);
        if (rc != 0)
            continue;
        CHECK_EQ_INT(c.kind, rows[i].kind);
        if (c.kind == LM_SYNTH_TONE)
            CHECK(c.freq_hz == rows[i].a && c.amplitude == rows[i].c);
        if (c.kind == LM_SYNTH_IMPULSE)
            CHECK(c.period_ms == rows[i].a && c.phase_ms == rows[i].b &&
                  c.amplitude == rows[i].c);
        rc = lm_synth_new(&c, &s);
        if (rc != rows[i].new_rc)
            fprintf(stderr, "  %s: new gives %d\n", rows[i].text, rc);
        CHECK_EQ_INT(rc, rows[i].new_rc);
        CHECK((s != NULL) == (rc == 0));
        lm_synth_free(s);
    }
}

int main(void)
{
    RUN(test_impulses_exact);
    RUN(test_tone);
    RUN(test_synth_config);
    return check_report();
}
