/* test_dsp.c - the capture chain (core/audio/dsp.h): configs refused and
 * accepted, echo cancelled and not, the near end kept, voice found. */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "audio/dsp.h"
#include "check.h"
#include "err.h"

#define PI 3.14159265358979323846
#define RATE 48000
#define SECS 4
#define LEN (SECS * RATE)

/* ---- configs -------------------------------------------------------- */

typedef struct cfg_row {
    size_t samples;
    unsigned rate;
    bool aec;
    unsigned tail_ms;
    bool ns;
    unsigned ns_db;
    bool ok;
} cfg_row;

static void test_configs(void)
{
    static const cfg_row rows[] = {
        {120, 48000, true, 200, true, 20, true}, /* the node's default */
        {240, 48000, true, 200, true, 20, true},
        {480, 48000, true, 200, true, 20, true},
        {48, 48000, true, 10, true, 1, true},     /* every lower bound */
        {960, 48000, true, 1000, true, 60, true}, /* every upper bound */
        {120, 48000, false, 0, false, 0, true},   /* unused knobs are free */
        {0, 48000, true, 200, true, 20, false},
        {47, 48000, true, 200, true, 20, false},
        {961, 48000, true, 200, true, 20, false},
        {(size_t)-1, 48000, true, 200, true, 20, false},
        {120, 44100, true, 200, true, 20, false},
        {120, 0, true, 200, true, 20, false},
        {120, 48000, true, 0, true, 20, false},
        {120, 48000, true, 9, true, 20, false},
        {120, 48000, true, 1001, true, 20, false},
        {120, 48000, true, 100000, true, 20, false},
        {120, 48000, true, UINT_MAX, true, 20, false},
        {120, 48000, false, 200, true, 0, false},
        {120, 48000, false, 200, true, 61, false},
        {120, 48000, false, 200, true, UINT_MAX, false},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        const cfg_row *r = &rows[i];
        lm_dsp_config c = {.samples = r->samples,
                           .rate = r->rate,
                           .aec = r->aec,
                           .tail_ms = r->tail_ms,
                           .ns = r->ns,
                           .ns_db = r->ns_db,
                           .agc = true};
        int err = 1;
        lm_dsp *d = lm_dsp_new(&c, &err);
        if ((d != NULL) != r->ok)
            fprintf(stderr, "config row %zu: %s\n", i,
                    d ? "accepted" : "refused");
        CHECK((d != NULL) == r->ok);
        CHECK_EQ_INT(err, r->ok ? 0 : LM_EINVAL);
        lm_dsp_free(d);
    }
    lm_dsp_free(NULL);
}

/* ---- signals -------------------------------------------------------- */

/* A voice-like signal: a pitch stepping every 150 ms between values
 * picked by seed, its harmonics to 4 kHz falling as 1/h; with `pauses`,
 * syllables of 200 ms (sine-shaped) and 400 ms of silence, else a level
 * moving by 3 Hz. Peak about amp of full scale. */
#define SYLLABLE (RATE / 5)
#define SYL_PERIOD (RATE * 6 / 10)

static void voice(int16_t *x, size_t n, unsigned seed, double amp, bool pauses)
{
    uint32_t s = seed * 2654435761u;
    double phase = 0, f0 = 150;
    for (size_t i = 0; i < n; i++) {
        if (i % (RATE * 15 / 100) == 0) {
            s = s * 1664525u + 1013904223u;
            f0 = 110 + (double)(s >> 24) / 255.0 * 140; /* 110-250 Hz */
        }
        size_t in_syl = i % SYL_PERIOD;
        double env = pauses
                         ? (in_syl < SYLLABLE ? sin(PI * in_syl / SYLLABLE) : 0)
                         : 0.6 + 0.4 * sin(2 * PI * 3 * (double)i / RATE);
        phase += 2 * PI * f0 / RATE;
        double v = 0;
        for (int h = 1; h * f0 < 4000; h++)
            v += sin(h * phase) / h;
        x[i] = (int16_t)lrint(amp * 32767 * env * v / 3.5);
    }
}

/* The echo: 10 ms late, 6 dB down, through a one-pole low-pass and one
 * reflection 25 ms after that. */
static void echo_of(const int16_t *far, int16_t *echo, size_t n)
{
    size_t d = RATE / 100, r = RATE / 40;
    double lp = 0;
    for (size_t i = 0; i < n; i++) {
        double x = i >= d ? far[i - d] : 0;
        x += i >= d + r ? -0.4 * far[i - d - r] : 0;
        lp += 0.5 * (x - lp);
        echo[i] = (int16_t)lrint(0.5 * lp);
    }
}

static double energy(const int16_t *x, size_t from, size_t to)
{
    double e = 0;
    for (size_t i = from; i < to; i++)
        e += (double)x[i] * x[i];
    return e;
}

/* Runs the whole of mic through a chain; `played` may be NULL (nothing
 * played). voiced[f] gets each frame's call, when not NULL. */
static void run(lm_dsp *d, size_t n, int16_t *mic, const int16_t *played,
                bool *voiced)
{
    for (size_t f = 0; (f + 1) * n <= LEN; f++) {
        bool v = lm_dsp_process(d, mic + f * n, played ? played + f * n : NULL);
        if (voiced)
            voiced[f] = v;
    }
}

static lm_dsp *chain(size_t n, bool aec, bool ns, bool agc)
{
    lm_dsp_config c = lm_dsp_defaults(n);
    c.aec = aec;
    c.ns = ns;
    c.agc = agc;
    int err;
    lm_dsp *d = lm_dsp_new(&c, &err);
    CHECK(d != NULL);
    return d;
}

/* ---- echo ----------------------------------------------------------- */

typedef struct echo_row {
    size_t samples;
    bool aec;
    double min_db, max_db; /* echo removed over the last second */
} echo_row;

static void test_echo(void)
{
    static const echo_row rows[] = {
        {120, true, 15, 200},
        {240, true, 15, 200},
        {480, true, 15, 200},
        /* off: nothing removed (only the preprocessor's one frame late) */
        {120, false, -1, 1},
        {480, false, -1, 1},
    };
    int16_t *far = malloc(LEN * sizeof *far), *mic = malloc(LEN * sizeof *mic);
    CHECK(far && mic);
    if (!far || !mic)
        goto out;
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        const echo_row *r = &rows[i];
        voice(far, LEN, 1, 0.5, false);
        echo_of(far, mic, LEN);
        double in = energy(mic, LEN - RATE, LEN);
        lm_dsp *d = chain(r->samples, r->aec, false, false);
        if (!d)
            continue;
        run(d, r->samples, mic, far, NULL);
        double gone = 10 * log10(in / (energy(mic, LEN - RATE, LEN) + 1));
        if (gone < r->min_db || gone > r->max_db)
            fprintf(stderr, "echo row %zu: %.1f dB removed\n", i, gone);
        CHECK(gone >= r->min_db && gone <= r->max_db);
        lm_dsp_free(d);
    }
out:
    free(far);
    free(mic);
}

/* The near end alone, with the canceller on: it comes through whole
 * when nothing was played (NULL or silence). When something was played
 * that never reached the microphone (a headset), the residual echo
 * suppression takes it for echo the filter has not learnt yet and costs
 * the near end about 3 dB (2.5-2.8 measured), not more; without SPEEX_ECHO_
 * SET_SAMPLING_RATE the canceller ate 10-20 dB of it here. */
typedef enum { PLAYED_NULL, PLAYED_SILENCE, PLAYED_ELSEWHERE } played_kind;

static void test_near_kept(void)
{
    static const struct {
        size_t samples;
        played_kind played;
        double max_loss_db;
    } rows[] = {
        {120, PLAYED_NULL, 1},      {120, PLAYED_SILENCE, 1},
        {480, PLAYED_NULL, 1},      {480, PLAYED_SILENCE, 1},
        {120, PLAYED_ELSEWHERE, 4}, {240, PLAYED_ELSEWHERE, 4},
        {480, PLAYED_ELSEWHERE, 4},
    };
    int16_t *near = malloc(LEN * sizeof *near),
            *mic = malloc(LEN * sizeof *mic);
    int16_t *zero = calloc(LEN, sizeof *zero), *far = malloc(LEN * sizeof *far);
    CHECK(near && mic && zero && far);
    if (!near || !mic || !zero || !far)
        goto out;
    voice(near, LEN, 2, 0.3, true);
    voice(far, LEN, 5, 0.5, false);
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        memcpy(mic, near, LEN * sizeof *mic);
        lm_dsp *d = chain(rows[i].samples, true, false, false);
        if (!d)
            continue;
        const int16_t *played = rows[i].played == PLAYED_NULL      ? NULL
                                : rows[i].played == PLAYED_SILENCE ? zero
                                                                   : far;
        run(d, rows[i].samples, mic, played, NULL);
        double loss =
            10 * log10(energy(near, RATE, LEN) / energy(mic, RATE, LEN));
        if (fabs(loss) > rows[i].max_loss_db)
            fprintf(stderr, "near row %zu: %.2f dB lost\n", i, loss);
        CHECK(fabs(loss) <= rows[i].max_loss_db);
        lm_dsp_free(d);
    }
out:
    free(near);
    free(mic);
    free(zero);
    free(far);
}

/* ---- voice activity and pass-through -------------------------------- */

typedef struct vad_row {
    size_t samples;
    bool ns;
    double amp;     /* of the syllables; 0: silence */
    double noise;   /* white noise's peak, of full scale */
    double min_in;  /* of the frames in a syllable's middle, called voice */
    double max_out; /* of the frames in a pause's second half, called voice */
} vad_row;

static void test_vad(void)
{
    static const vad_row rows[] = {
        /* digital silence and steady noise are not voice */
        {120, false, 0, 0, 0, 0.02},
        {480, false, 0, 0, 0, 0.02},
        {120, true, 0, 0.003, 0, 0.02},
        {480, true, 0, 0.003, 0, 0.02},
        {120, true, 0, 0.03, 0, 0.02},
        {480, true, 0, 0.03, 0, 0.02},
        /* syllables are, loud or quiet, in quiet or in noise */
        {120, false, 0.3, 0, 0.9, 0.1},
        {480, false, 0.3, 0, 0.9, 0.1},
        {120, true, 0.05, 0, 0.9, 0.1},
        {480, true, 0.05, 0, 0.9, 0.1},
        {120, true, 0.3, 0.01, 0.9, 0.1},
        {480, true, 0.3, 0.01, 0.9, 0.1},
    };
    int16_t *mic = malloc(LEN * sizeof *mic);
    bool *voiced = malloc(LEN * sizeof *voiced);
    CHECK(mic && voiced);
    if (!mic || !voiced)
        goto out;
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        const vad_row *r = &rows[i];
        voice(mic, LEN, 3, r->amp, true);
        uint32_t s = 11;
        for (size_t k = 0; k < LEN; k++) {
            s = s * 1664525u + 1013904223u;
            double w = ((double)(s >> 8) / 8388608.0 - 1) * r->noise * 32767;
            mic[k] = (int16_t)lrint(fmax(-32768, fmin(32767, mic[k] + w)));
        }
        lm_dsp *d = chain(r->samples, false, r->ns, false);
        if (!d)
            continue;
        run(d, r->samples, mic, NULL, voiced);
        /* after a second: the middle 100 ms of each syllable, the last
         * 100 ms of each pause (the call lags the sound's end by about 12
         * frames: 30 ms at 2.5 ms, 130 ms at 10 ms) */
        size_t in = 0, in_v = 0, out = 0, out_v = 0;
        for (size_t f = RATE / r->samples; (f + 1) * r->samples <= LEN; f++) {
            size_t at = f * r->samples % SYL_PERIOD;
            if (at >= SYLLABLE / 4 && at < SYLLABLE * 3 / 4) {
                in++;
                in_v += voiced[f];
            } else if (at >= SYL_PERIOD - RATE / 10) {
                out++;
                out_v += voiced[f];
            }
        }
        double fin = r->amp > 0 ? (double)in_v / (double)in : 1;
        double fout = (double)out_v / (double)out;
        if (fin < r->min_in || fout > r->max_out)
            fprintf(stderr,
                    "vad row %zu: %.3f of syllables, %.3f of pauses "
                    "voiced\n",
                    i, fin, fout);
        CHECK(fin >= r->min_in && fout <= r->max_out);
        lm_dsp_free(d);
    }
out:
    free(mic);
    free(voiced);
}

/* ---- gain control --------------------------------------------------- */

/* The mean square of the syllables' middles in [from, LEN). */
static double syllable_ms(const int16_t *x, size_t from)
{
    double e = 0;
    size_t k = 0;
    for (size_t i = from; i < LEN; i++) {
        size_t at = i % SYL_PERIOD;
        if (at >= SYLLABLE / 4 && at < SYLLABLE * 3 / 4) {
            e += (double)x[i] * x[i];
            k++;
        }
    }
    return k ? e / (double)k : 0;
}

static double dbfs(double ms)
{
    return 10 * log10(ms / (32768.0 * 32768.0) + 1e-12);
}

/* A talker at any level comes out at one level, within the gain's +-20
 * dB: the voiced frames' RMS at -23 dBFS, which puts the syllables'
 * middles measured here about 4 dB above it (-19 measured). */
static void test_agc_level(void)
{
    static const struct {
        size_t samples;
        double in_db, lo_db, hi_db;
    } rows[] = {
        {120, -40, -22, -16},
        {480, -40, -22, -16},
        {120, -30, -22, -16},
        {480, -15, -22, -16},
        {120, -8, -22, -16},
        /* too quiet for 20 dB: as far up as it goes */
        {480, -50, -32, -28},
    };
    int16_t *mic = malloc(LEN * sizeof *mic);
    CHECK(mic != NULL);
    if (!mic)
        return;
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        voice(mic, LEN, 6, 0.3, true);
        double g = pow(10, (rows[i].in_db - dbfs(syllable_ms(mic, 0))) / 20);
        for (size_t k = 0; k < LEN; k++)
            mic[k] = (int16_t)lrint(fmax(-32768, fmin(32767, mic[k] * g)));
        lm_dsp *d = chain(rows[i].samples, false, true, true);
        if (!d)
            continue;
        run(d, rows[i].samples, mic, NULL, NULL);
        /* the preprocessor's frame of delay is well inside a syllable */
        double out = dbfs(syllable_ms(mic, 2 * RATE));
        if (out < rows[i].lo_db || out > rows[i].hi_db)
            fprintf(stderr, "agc row %zu: %.1f dBFS in, %.1f out\n", i,
                    rows[i].in_db, out);
        CHECK(out >= rows[i].lo_db && out <= rows[i].hi_db);
        lm_dsp_free(d);
    }
    free(mic);
}

/* Echo alone, however long, does not raise the gain: the chain with it
 * leaves no more echo than the chain without it. */
static void test_agc_ignores_echo(void)
{
    static const size_t sizes[] = {120, 480};
    int16_t *far = malloc(LEN * sizeof *far), *mic = malloc(LEN * sizeof *mic);
    int16_t *ref = malloc(LEN * sizeof *ref);
    CHECK(far && mic && ref);
    if (!far || !mic || !ref)
        goto out;
    voice(far, LEN, 1, 0.5, true);
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        echo_of(far, mic, LEN);
        memcpy(ref, mic, LEN * sizeof *mic);
        lm_dsp *with = chain(sizes[i], true, true, true);
        lm_dsp *without = chain(sizes[i], true, true, false);
        if (with && without) {
            run(with, sizes[i], mic, far, NULL);
            run(without, sizes[i], ref, far, NULL);
            double more = 10 * log10((energy(mic, RATE, LEN) + 1) /
                                     (energy(ref, RATE, LEN) + 1));
            if (more > 1)
                fprintf(stderr, "agc echo row %zu: %.1f dB more echo\n", i,
                        more);
            CHECK(more <= 1);
        }
        lm_dsp_free(with);
        lm_dsp_free(without);
    }
out:
    free(far);
    free(mic);
    free(ref);
}

/* Voice activity alone leaves every sample as it was, on time. */
static void test_untouched(void)
{
    int16_t *mic = malloc(LEN * sizeof *mic),
            *orig = malloc(LEN * sizeof *orig);
    CHECK(mic && orig);
    if (mic && orig) {
        voice(orig, LEN, 4, 0.5, true);
        memcpy(mic, orig, LEN * sizeof *mic);
        lm_dsp *d = chain(120, false, false, false);
        if (d) {
            CHECK(!lm_dsp_shapes(d));
            run(d, 120, mic, orig, NULL);
            CHECK(memcmp(mic, orig, LEN * sizeof *mic) == 0);
        }
        lm_dsp_free(d);
        d = chain(120, false, true, false);
        if (d)
            CHECK(lm_dsp_shapes(d));
        lm_dsp_free(d);
    }
    free(mic);
    free(orig);
}

int main(void)
{
    RUN(test_configs);
    RUN(test_echo);
    RUN(test_near_kept);
    RUN(test_vad);
    RUN(test_agc_level);
    RUN(test_agc_ignores_echo);
    RUN(test_untouched);
    return check_report();
}
