/* bench_aec.c - how much echo the capture chain (core/audio/dsp.h) removes:
 * a benchmark, not a test.
 *
 * A simulated echo path: the far end's speech, as this node plays it,
 * reaches the microphone after a delay (the devices' latency as the
 * canceller sees it), through a room (a direct path and a few hundred
 * reflections decaying by 60 dB over RT60) and a small loudspeaker (a
 * band-pass, 200 Hz - 5 kHz), at a chosen level; the near end's speech and
 * a faint noise floor are added. The timeline:
 *
 *   0 - 8 s    far end only      ERLE per 0.5 s window: convergence, then
 *                                "after 2 s" (2.0-2.5 s), 2-5 s and steady
 *                                (5-8 s)
 *   8 - 12 s   double talk       the residual echo, and what the near end
 *                                loses
 *  12 - 14 s   near end only     what the near end loses
 *
 * ERLE = 10 log10(echo energy at the microphone / echo energy left in the
 * output). With the far end alone, what is left is the output itself.
 * During double talk the near end is in the output too: a twin of the
 * same processor, fed the microphone without the echo and nothing played,
 * gives the near end as that processor passes it, and the difference is
 * the echo left (exact for the linear canceller; for the chains with a
 * preprocessor it also counts the near end they damage). Processors, in
 * the same run:
 *   none      the microphone as it is (0 dB: the baseline)
 *   aec-off   the chain with echo cancellation off (noise suppression on)
 *   mdf-8k    SpeexDSP's canceller alone, not told the sampling rate
 *   mdf       SpeexDSP's canceller alone, told 48 kHz
 *   aec+res   the chain: canceller and residual echo suppression
 *   +ns       that and noise suppression
 *   full      the chain with its defaults: that, noise suppression and
 *             gain control (the gain it adds counts against it)
 * at frames of 2.5, 5 and 10 ms, with the CPU time per frame of each (this
 * thread's CPU time, so other work on the machine counts less; a busy
 * machine still slows it through shared caches).
 *
 * Then voice activity: the near end's speech alone, in turns of 2 s with
 * 1.5 s of silence between, clean and in a low, steady room noise, each
 * frame called speech or not, with a 300 ms hangover, by the hub's level
 * threshold (-50 dBFS) on the raw and on the noise-suppressed frames, and
 * by the chain's voice activity; against the truth of the clean signal
 * (its 10 ms level within 40 dB of its loudest, with the same hangover).
 *
 *   bench_aec [--far F.wav] [--near F.wav] [--tail MS] [--delay MS]
 *             [--rt60 MS] [--echo-db DB] [--only echo|vad]
 *
 * WAVs are 48 kHz mono 16-bit, looped to the timeline's length (the same
 * file for both: the near end starts half-way through it). Without them
 * the two talkers are synthesized: syllables of a gliding pitch with
 * harmonics under two formants, some starting with a hiss, and pauses. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <speex/speex_echo.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audio/dsp.h"

#define PI 3.14159265358979323846
#define RATE 48000
#define SECONDS 14
#define TOTAL (SECONDS * RATE)
#define WIN (RATE / 2) /* 0.5 s windows */
#define NWIN (TOTAL / WIN)
#define FAR_END (8 * RATE)           /* far end alone until here */
#define NEAR_AT (8 * RATE)           /* near end from here */
#define DT_END (12 * RATE)           /* far end stops here */
#define MAX_WAV_SAMPLES (600 * RATE) /* 10 minutes */
#define REFLECTIONS 400
#define NOISE_DBFS (-80.0)

typedef struct opts {
    const char *far, *near;
    const char *only; /* "echo", "vad" or NULL for both */
    unsigned tail_ms, delay_ms, rt60_ms;
    double echo_db;
} opts;

/* ---- signals --------------------------------------------------------- */

static uint32_t rng_next(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u; /* Numerical Recipes' LCG */
    return *s >> 8;
}

static double rng_uniform(uint32_t *s, double lo, double hi)
{
    return lo + (hi - lo) * (double)rng_next(s) / 16777216.0;
}

static double formant(double f, double centre, double width)
{
    double x = (f - centre) / width;
    return 1.0 / (1.0 + x * x);
}

/* Speech-like: syllables of 80-300 ms, pitch gliding within [f_lo, f_hi],
 * harmonics to 5 kHz shaped by two formants, a quarter of them opened by
 * 40 ms of hiss; pauses of 40-250 ms. amp is the peak, in full scale. */
static void speechlike(double *out, size_t n, uint32_t seed, double f_lo,
                       double f_hi, double amp)
{
    uint32_t s = seed;
    size_t i = 0;
    double prev = 0;
    while (i < n) {
        size_t dur = (size_t)(rng_uniform(&s, 0.08, 0.30) * RATE);
        double f0 = rng_uniform(&s, f_lo, f_hi);
        double f1 = rng_uniform(&s, f_lo, f_hi);
        double a = amp * rng_uniform(&s, 0.5, 1.0);
        double fa = rng_uniform(&s, 300, 800), fb = rng_uniform(&s, 1000, 2500);
        size_t hiss = rng_next(&s) % 4 == 0 ? RATE / 25 : 0;
        double phase = 0;
        for (size_t k = 0; k < dur && i < n; k++, i++) {
            double x = (double)k / (double)dur;
            double env = sin(PI * x) * sin(PI * x);
            double f = f0 + (f1 - f0) * x;
            phase += 2 * PI * f / RATE;
            double v = 0;
            for (int h = 1; h * f < 5000; h++)
                v += sin(h * phase) *
                     (formant(h * f, fa, 250) + 0.5 * formant(h * f, fb, 400) +
                      0.02) /
                     sqrt(h);
            if (k < hiss) { /* a fricative: differenced noise, high in pitch */
                double w = rng_uniform(&s, -1, 1);
                v += 1.5 * (w - prev);
                prev = w;
            }
            out[i] = a * env * v * 0.35;
        }
        size_t pause = (size_t)(rng_uniform(&s, 0.04, 0.25) * RATE);
        for (size_t k = 0; k < pause && i < n; k++)
            out[i++] = 0;
    }
}

static uint32_t rd_le(const uint8_t *p, int bytes)
{
    uint32_t v = 0;
    for (int i = bytes - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* A 48 kHz mono 16-bit PCM WAV into a new array of doubles (full scale 1);
 * NULL with a message on anything else. */
static double *read_wav(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return NULL;
    }
    uint8_t h[12], ch[8], fmt[16];
    double *out = NULL;
    bool fmt_ok = false;
    if (fread(h, 1, 12, f) != 12 || memcmp(h, "RIFF", 4) ||
        memcmp(h + 8, "WAVE", 4))
        goto bad;
    while (fread(ch, 1, 8, f) == 8) {
        uint32_t size = rd_le(ch + 4, 4);
        if (!memcmp(ch, "fmt ", 4)) {
            if (size < 16 || fread(fmt, 1, 16, f) != 16)
                goto bad;
            fmt_ok = rd_le(fmt, 2) == 1 && rd_le(fmt + 2, 2) == 1 &&
                     rd_le(fmt + 4, 4) == RATE && rd_le(fmt + 14, 2) == 16;
            if (!fmt_ok)
                goto bad;
            size -= 16;
        } else if (!memcmp(ch, "data", 4)) {
            if (!fmt_ok || size < 2)
                goto bad;
            size_t n = size / 2 > MAX_WAV_SAMPLES ? MAX_WAV_SAMPLES : size / 2;
            out = malloc(n * sizeof *out);
            if (!out)
                goto bad;
            uint8_t b[2];
            size_t got = 0;
            while (got < n && fread(b, 1, 2, f) == 2)
                out[got++] = (int16_t)rd_le(b, 2) / 32768.0;
            if (got == 0)
                goto bad;
            *len = got;
            fclose(f);
            return out;
        }
        if (fseek(f, (long)size + (size & 1), SEEK_CUR) != 0)
            goto bad;
    }
bad:
    fprintf(stderr, "%s: not a 48 kHz mono 16-bit PCM WAV with samples\n",
            path);
    free(out);
    fclose(f);
    return NULL;
}

/* One talker over the timeline: from a file (looped, from `skip`) or
 * synthesized. */
static bool talker(double *out, const char *path, bool half, uint32_t seed,
                   double f_lo, double f_hi)
{
    if (!path) {
        speechlike(out, TOTAL, seed, f_lo, f_hi, 0.5);
        return true;
    }
    size_t len = 0;
    double *w = read_wav(path, &len);
    if (!w)
        return false;
    size_t skip = half ? len / 2 : 0;
    for (size_t i = 0; i < TOTAL; i++)
        out[i] = w[(skip + i) % len];
    free(w);
    return true;
}

/* RBJ's cookbook biquads, direct form I. */
typedef struct biquad {
    double b0, b1, b2, a1, a2, x1, x2, y1, y2;
} biquad;

static biquad biquad_make(bool high, double hz)
{
    double w = 2 * PI * hz / RATE, al = sin(w) / (2 * 0.7071), c = cos(w);
    double a0 = 1 + al, k = high ? (1 + c) / 2 : (1 - c) / 2;
    return (biquad){.b0 = k / a0,
                    .b1 = (high ? -2 * k : 2 * k) / a0,
                    .b2 = k / a0,
                    .a1 = -2 * c / a0,
                    .a2 = (1 - al) / a0};
}

static double biquad_run(biquad *q, double x)
{
    double y = q->b0 * x + q->b1 * q->x1 + q->b2 * q->x2 - q->a1 * q->y1 -
               q->a2 * q->y2;
    q->x2 = q->x1;
    q->x1 = x;
    q->y2 = q->y1;
    q->y1 = y;
    return y;
}

static double energy(const double *x, size_t from, size_t to)
{
    double e = 0;
    for (size_t i = from; i < to; i++)
        e += x[i] * x[i];
    return e;
}

/* The echo of `far` at the microphone, echo_db below it in energy. */
static void echo_path(const opts *o, const double *far, double *echo)
{
    size_t d0 = (size_t)o->delay_ms * RATE / 1000;
    size_t span = (size_t)o->rt60_ms * RATE / 1000;
    size_t tap_at[REFLECTIONS];
    double tap_g[REFLECTIONS];
    uint32_t s = 99;
    tap_at[0] = d0;
    tap_g[0] = 1.0;
    for (int k = 1; k < REFLECTIONS; k++) {
        size_t t = 48 + rng_next(&s) % (span ? span : 1); /* after 1 ms */
        tap_at[k] = d0 + t;
        double sign = rng_next(&s) & 1 ? 1.0 : -1.0;
        tap_g[k] = sign * rng_uniform(&s, 0.1, 0.5) *
                   exp(-6.908 * (double)t / (double)(span ? span : 1));
    }
    biquad hp = biquad_make(true, 200), lp = biquad_make(false, 5000);
    for (size_t i = 0; i < TOTAL; i++) {
        double v = 0;
        for (int k = 0; k < REFLECTIONS; k++)
            if (i >= tap_at[k])
                v += tap_g[k] * far[i - tap_at[k]];
        echo[i] = biquad_run(&lp, biquad_run(&hp, v));
    }
    double g = sqrt(energy(far, 0, DT_END) / (energy(echo, 0, DT_END) + 1e-30) *
                    pow(10, o->echo_db / 10));
    for (size_t i = 0; i < TOTAL; i++)
        echo[i] *= g;
}

static int16_t to_s16(double v)
{
    double x = v * 32768.0;
    return (int16_t)(x > 32767 ? 32767 : x < -32768 ? -32768 : lrint(x));
}

/* ---- processors ------------------------------------------------------ */

typedef enum {
    P_NONE,
    P_AEC_OFF,
    P_MDF_8K,
    P_MDF,
    P_AEC_RES,
    P_AEC_NS,
    P_FULL,
    P_COUNT
} pkind;
static const char *const pname[P_COUNT] = {
    "none", "aec-off", "mdf-8k", "mdf", "aec+res", "+ns", "full"};

typedef struct proc {
    pkind kind;
    size_t n;
    SpeexEchoState *echo;
    lm_dsp *dsp;
    int16_t tmp[LM_DSP_MAX_SAMPLES];
} proc;

static int proc_open(proc *p, pkind kind, size_t n, unsigned tail_ms)
{
    memset(p, 0, sizeof *p);
    p->kind = kind;
    p->n = n;
    if (kind == P_MDF || kind == P_MDF_8K) {
        p->echo = speex_echo_state_init((int)n, (int)(tail_ms * RATE / 1000));
        int rate = RATE;
        if (p->echo && kind == P_MDF)
            speex_echo_ctl(p->echo, SPEEX_ECHO_SET_SAMPLING_RATE, &rate);
        return p->echo ? 0 : -1;
    }
    if (kind == P_NONE)
        return 0;
    lm_dsp_config c = lm_dsp_defaults(n);
    c.tail_ms = tail_ms;
    c.aec = kind != P_AEC_OFF;
    c.ns = kind == P_AEC_OFF || kind == P_AEC_NS || kind == P_FULL;
    c.agc = kind == P_FULL;
    int err;
    p->dsp = lm_dsp_new(&c, &err);
    return p->dsp ? 0 : err;
}

static bool proc_run(proc *p, int16_t *mic, const int16_t *played)
{
    switch (p->kind) {
    case P_MDF:
    case P_MDF_8K:
        speex_echo_cancellation(p->echo, mic, played, p->tmp);
        memcpy(mic, p->tmp, p->n * sizeof *mic);
        return true;
    case P_NONE: return true;
    default: return lm_dsp_process(p->dsp, mic, played);
    }
}

static void proc_close(proc *p)
{
    if (p->echo)
        speex_echo_state_destroy(p->echo);
    lm_dsp_free(p->dsp);
}

/* This thread's CPU time: the machine's other work does not count. */
static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The whole timeline through one processor: out gets what it gives,
 * returns the seconds spent in it per frame, or -1 if it cannot open. */
static double run(pkind kind, size_t n, unsigned tail_ms, const int16_t *mic,
                  const int16_t *played, double *out)
{
    proc p;
    if (proc_open(&p, kind, n, tail_ms) < 0) {
        fprintf(stderr, "bench_aec: cannot open %s\n", pname[kind]);
        proc_close(&p);
        return -1;
    }
    int16_t frame[LM_DSP_MAX_SAMPLES];
    double spent = 0;
    size_t frames = TOTAL / n;
    for (size_t f = 0; f < frames; f++) {
        memcpy(frame, mic + f * n, n * sizeof *frame);
        double t0 = now_s();
        proc_run(&p, frame, played + f * n);
        spent += now_s() - t0;
        for (size_t i = 0; i < n; i++)
            out[f * n + i] = frame[i] / 32768.0;
    }
    for (size_t i = frames * n; i < TOTAL; i++)
        out[i] = 0;
    proc_close(&p);
    return spent / (double)frames;
}

/* ---- the echo figures ------------------------------------------------ */

typedef struct scene {
    double *far, *near, *echo, *noise;
    int16_t *played, *mic, *mic_clean; /* mic_clean: no echo in it */
    int16_t *silence;                  /* what the twin is told was played */
    double *out, *twin;
} scene;

static double db(double num, double den)
{
    return 10 * log10((num + 1e-20) / (den + 1e-20));
}

/* ERLE over [from, to): with the far end alone, echo against the output;
 * with the near end in, against the output less the twin's. */
static double erle(const scene *s, size_t from, size_t to, bool twin)
{
    double left = 0;
    for (size_t i = from; i < to; i++) {
        double r = s->out[i] - (twin ? s->twin[i] : 0);
        left += r * r;
    }
    return db(energy(s->echo, from, to), left);
}

typedef struct figures {
    double win[NWIN];
    double after2, from2, steady, dt, dt_near, near_loss, cpu_us;
} figures;

static bool measure(scene *s, pkind kind, size_t n, unsigned tail_ms,
                    figures *fg)
{
    fg->cpu_us = run(kind, n, tail_ms, s->mic, s->played, s->out) * 1e6;
    if (fg->cpu_us < 0 ||
        run(kind, n, tail_ms, s->mic_clean, s->silence, s->twin) < 0)
        return false;
    for (int w = 0; w < NWIN; w++) {
        size_t a = (size_t)w * WIN, b = a + WIN;
        fg->win[w] = b <= FAR_END  ? erle(s, a, b, false)
                     : b <= DT_END ? erle(s, a, b, true)
                                   : NAN;
    }
    fg->after2 = erle(s, 2 * RATE, 2 * RATE + WIN, false);
    fg->from2 = erle(s, 2 * RATE, 5 * RATE, false);
    fg->steady = erle(s, 5 * RATE, FAR_END, false);
    fg->dt = erle(s, NEAR_AT, DT_END, true);
    /* the near end's level in double talk, against the twin's (near end
     * alone through the same processor) */
    fg->dt_near =
        db(energy(s->twin, NEAR_AT, DT_END), energy(s->out, NEAR_AT, DT_END));
    /* after the far end stops (past the tail): the near end in, out */
    double in = 0;
    size_t from = DT_END + RATE / 2;
    for (size_t i = from; i < TOTAL; i++)
        in += (s->mic[i] / 32768.0) * (s->mic[i] / 32768.0);
    fg->near_loss = db(in, energy(s->out, from, TOTAL));
    return true;
}

static bool echo_figures(const opts *o, scene *s)
{
    static const size_t sizes[] = {120, 240, 480};
    printf("echo path: delay %u ms, RT60 %u ms, echo %.1f dB against the far "
           "end; tail %u ms\n",
           o->delay_ms, o->rt60_ms, o->echo_db, o->tail_ms);
    printf("far %s, near %s\n", o->far ? o->far : "synthesized",
           o->near ? o->near : (o->far ? o->far : "synthesized"));
    for (size_t z = 0; z < sizeof sizes / sizeof *sizes; z++) {
        size_t n = sizes[z];
        figures fg[P_COUNT];
        for (int k = 0; k < P_COUNT; k++)
            if (!measure(s, (pkind)k, n, o->tail_ms, &fg[k]))
                return false;
        printf("\nframe %.1f ms (%zu samples): ERLE, dB\n", n / 48.0, n);
        printf("  %-21s", "window, s");
        for (int k = 0; k < P_COUNT; k++)
            printf("%9s", pname[k]);
        printf("\n");
        for (int w = 0; w < (int)(DT_END / WIN); w++) {
            printf("  %4.1f-%-4.1f %-11s", w * 0.5, w * 0.5 + 0.5,
                   (size_t)(w + 1) * WIN > FAR_END ? "double talk" : "");
            for (int k = 0; k < P_COUNT; k++)
                printf("%9.1f", fg[k].win[w]);
            printf("\n");
        }
        static const char *const rows[] = {
            "after 2 s (2.0-2.5 s)", "2-5 s",
            "steady (5-8 s)",        "double talk (8-12 s)",
            "near in double talk",   "near alone, loss",
            "cpu us/frame",          "cpu % of a core"};
        for (int r = 0; r < 8; r++) {
            printf("  %-21s", rows[r]);
            for (int k = 0; k < P_COUNT; k++) {
                const figures *f = &fg[k];
                double v[] = {f->after2,  f->from2,
                              f->steady,  f->dt,
                              f->dt_near, f->near_loss,
                              f->cpu_us,  f->cpu_us / (n / 48.0 * 1000) * 100};
                printf(r >= 6 ? "%9.2f" : "%9.1f", v[r]);
            }
            printf("\n");
        }
    }
    return true;
}

/* ---- voice activity -------------------------------------------------- */

typedef struct vad_score {
    unsigned right, false_on, missed, on, off;
} vad_score;

static void score(vad_score *v, bool truth, bool said)
{
    v->right += truth == said;
    v->on += truth;
    v->off += !truth;
    v->false_on += !truth && said;
    v->missed += truth && !said;
}

/* A detector's frame calls, held for 300 ms after the last one. */
typedef struct hang {
    size_t left;
} hang;

static bool hold(hang *h, bool now, size_t frames)
{
    if (now)
        h->left = frames;
    else if (h->left)
        h->left--;
    return now || h->left > 0;
}

static double level_dbfs(const int16_t *x, size_t n)
{
    double e = 0;
    for (size_t i = 0; i < n; i++)
        e += (double)x[i] * x[i];
    return 10 * log10(e / (double)n / (32768.0 * 32768.0) + 1e-20);
}

static bool vad_figures(const double *near, size_t n)
{
    /* the truth: the clean signal's 10 ms level within 40 dB of its
     * loudest (the talker's pauses are not speech) */
    size_t tw = RATE / 100, nt = TOTAL / tw;
    double *lev = malloc(nt * sizeof *lev), top = -200;
    int16_t *mic = malloc(TOTAL * sizeof *mic);
    bool ok = lev && mic;
    if (!ok)
        goto out;
    for (size_t t = 0; t < nt; t++) {
        lev[t] = db(energy(near, t * tw, (t + 1) * tw) / (double)tw, 1);
        top = lev[t] > top ? lev[t] : top;
    }
    static const double noise_db[] = {-200, -50, -40};
    size_t hang_frames = 300 * RATE / 1000 / n;
    printf("\nvoice activity, frame %.1f ms, 300 ms hangover: %% of frames "
           "right / false on (of silent) / missed (of speech)\n",
           n / 48.0);
    for (size_t k = 0; k < sizeof noise_db / sizeof *noise_db; k++) {
        uint32_t s = 5;
        biquad lp = biquad_make(false, 500); /* a room's hum and fan */
        double g =
            pow(10, noise_db[k] / 20) * 3.0; /* ~ that level, low-passed */
        for (size_t i = 0; i < TOTAL; i++)
            mic[i] =
                to_s16(near[i] + g * biquad_run(&lp, rng_uniform(&s, -1, 1)));
        lm_dsp_config c = lm_dsp_defaults(n);
        c.aec = c.agc = false;
        int err;
        lm_dsp *d = lm_dsp_new(&c, &err);
        if (!(ok = d != NULL))
            goto out;
        vad_score sc[3] = {0};
        hang hg[4] = {0};
        double in_db = -200;
        for (size_t f = 0; f + 1 < TOTAL / n; f++) {
            int16_t fr[LM_DSP_MAX_SAMPLES];
            memcpy(fr, mic + f * n, n * sizeof *fr);
            double raw = level_dbfs(fr, n);
            bool vad = lm_dsp_process(d, fr, NULL);
            /* (the preprocessor gives the previous frame back: one frame
             * late against the truth, well inside the hangover) */
            size_t t = (f * n) / tw;
            bool truth = hold(&hg[0], lev[t] > top - 40, hang_frames);
            score(&sc[0], truth, hold(&hg[1], raw > -50, hang_frames));
            score(&sc[1], truth,
                  hold(&hg[2], level_dbfs(fr, n) > -50, hang_frames));
            score(&sc[2], truth, hold(&hg[3], vad, hang_frames));
            if (f * n >= RATE && !truth && raw > in_db)
                in_db = raw;
        }
        lm_dsp_free(d);
        static const char *const who[] = {"level, raw", "level after NS",
                                          "voice activity"};
        if (noise_db[k] < -100)
            printf("  clean:\n");
        else
            printf("  room noise, loudest silent frame %.1f dBFS:\n", in_db);
        for (int j = 0; j < 3; j++)
            printf("    %-16s %5.1f %%  %5.1f %%  %5.1f %%\n", who[j],
                   100.0 * sc[j].right / (sc[j].on + sc[j].off),
                   sc[j].off ? 100.0 * sc[j].false_on / sc[j].off : 0.0,
                   sc[j].on ? 100.0 * sc[j].missed / sc[j].on : 0.0);
    }
out:
    free(lev);
    free(mic);
    return ok;
}

/* ---- main ------------------------------------------------------------ */

static bool arg_uint(const char *v, unsigned lo, unsigned hi, unsigned *out)
{
    char *end;
    long x = strtol(v, &end, 10);
    if (*end || end == v || x < (long)lo || x > (long)hi)
        return false;
    *out = (unsigned)x;
    return true;
}

static bool parse(int argc, char **argv, opts *o)
{
    for (int i = 1; i < argc; i++) {
        const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        bool ok = v != NULL;
        if (ok && !strcmp(k, "--far"))
            o->far = v;
        else if (ok && !strcmp(k, "--near"))
            o->near = v;
        else if (ok && !strcmp(k, "--only")) {
            o->only = v;
            ok = !strcmp(v, "echo") || !strcmp(v, "vad");
        } else if (ok && !strcmp(k, "--tail"))
            ok = arg_uint(v, LM_DSP_MIN_TAIL_MS, LM_DSP_MAX_TAIL_MS,
                          &o->tail_ms);
        else if (ok && !strcmp(k, "--delay"))
            ok = arg_uint(v, 0, 500, &o->delay_ms);
        else if (ok && !strcmp(k, "--rt60"))
            ok = arg_uint(v, 1, 2000, &o->rt60_ms);
        else if (ok && !strcmp(k, "--echo-db")) {
            char *end;
            o->echo_db = strtod(v, &end);
            ok = !*end && end != v && o->echo_db >= -40 && o->echo_db <= 10;
        } else
            ok = false;
        if (!ok) {
            fprintf(stderr,
                    "usage: bench_aec [--far F.wav] [--near F.wav] "
                    "[--tail 10-1000 ms] [--delay 0-500 ms] [--rt60 1-2000 ms] "
                    "[--echo-db -40..10] [--only echo|vad]\n");
            return false;
        }
        i++;
    }
    return true;
}

/* The scene, the echo figures and the voice activity figures. */
static int bench(const opts *o, scene *s)
{
    const char *near_path = o->near ? o->near : o->far;
    if (!talker(s->far, o->far, false, 1, 100, 160) ||
        !talker(s->near, near_path, o->near == NULL, 2, 170, 280))
        return 1;
    for (size_t i = DT_END; i < TOTAL; i++)
        s->far[i] = 0;
    for (size_t i = 0; i < NEAR_AT; i++)
        s->near[i] = 0;
    echo_path(o, s->far, s->echo);
    uint32_t r = 3;
    double ng =
        pow(10, NOISE_DBFS / 20) * sqrt(3.0); /* uniform: rms a/sqrt 3 */
    for (size_t i = 0; i < TOTAL; i++) {
        s->noise[i] = ng * rng_uniform(&r, -1, 1);
        s->played[i] = to_s16(s->far[i]);
        s->mic[i] = to_s16(s->echo[i] + s->near[i] + s->noise[i]);
        s->mic_clean[i] = to_s16(s->near[i] + s->noise[i]);
    }
    printf("far end %.1f dBFS, echo %.1f dBFS (far alone, rms), near end %.1f "
           "dBFS (rms)\n",
           db(energy(s->far, 0, FAR_END) / FAR_END, 1),
           db(energy(s->echo, 0, FAR_END) / FAR_END, 1),
           db(energy(s->near, NEAR_AT, TOTAL) / (TOTAL - NEAR_AT), 1));
    if ((!o->only || !strcmp(o->only, "echo")) && !echo_figures(o, s))
        return 1;
    if (o->only && !strcmp(o->only, "echo"))
        return 0;
    /* voice activity on the near end alone, from the timeline's start, in
     * turns of 2 s and silences of 1.5 s */
    if (!talker(s->near, near_path, o->near == NULL, 2, 170, 280))
        return 1;
    for (size_t i = 0; i < TOTAL; i++)
        if (i % (RATE * 7 / 2) >= 2 * RATE)
            s->near[i] = 0;
    return vad_figures(s->near, 120) && vad_figures(s->near, 480) ? 0 : 1;
}

int main(int argc, char **argv)
{
    opts o = {.tail_ms = LM_DSP_TAIL_MS,
              .delay_ms = 20,
              .rt60_ms = 300,
              .echo_db = -6};
    if (!parse(argc, argv, &o))
        return 2;
    scene s = {0};
    double **d[] = {&s.far, &s.near, &s.echo, &s.noise, &s.out, &s.twin};
    int16_t **p[] = {&s.played, &s.mic, &s.mic_clean, &s.silence};
    bool ok = true;
    for (size_t k = 0; k < sizeof d / sizeof *d; k++)
        ok &= (*d[k] = calloc(TOTAL, sizeof(double))) != NULL;
    for (size_t k = 0; k < sizeof p / sizeof *p; k++)
        ok &= (*p[k] = calloc(TOTAL, sizeof(int16_t))) != NULL;
    int rc = ok ? bench(&o, &s) : 1;
    for (size_t k = 0; k < sizeof d / sizeof *d; k++)
        free(*d[k]);
    for (size_t k = 0; k < sizeof p / sizeof *p; k++)
        free(*p[k]);
    return rc;
}
