/* dsp.c - the microphone's processing chain (dsp.h), over SpeexDSP.
 *
 * Two SpeexDSP objects: the echo canceller (MDF, a frequency-domain
 * adaptive filter split into blocks of one frame) and the preprocessor.
 * The preprocessor is told the canceller's state, so it also removes what
 * the linear filter could not (the residual echo it estimates from the
 * filter's own figures).
 *
 * Things that matter, each measured with tests/bench/bench_aec.c (a
 * speech recording and a synthetic talker, 200 ms tail, RT60 300 ms):
 *   - SPEEX_ECHO_SET_SAMPLING_RATE: MDF assumes 8 kHz until told; at 48
 *     kHz its steps and smoothing are then six times too large: it
 *     removed 6.3-7.5 dB of the near end's voice after double talk, where
 *     told the rate it removes 0.1 dB.
 *   - Frames go through at the node's own size, 2.5 ms included, not
 *     buffered to larger blocks: a 10 ms block would delay every frame by
 *     7.5 ms more. Once converged the sizes cancel alike (20.4-21.3 dB
 *     at 2.5 ms, 19.5-22.8 dB at 10 ms, from 5 to 8 s); 2.5 ms converges
 *     later on the synthetic talker (5 dB at 2.0-2.5 s, where 10 ms has
 *     21 dB; on the recording both have over 30 dB there). Small frames
 *     cost more partitions per second (tail / frame): 2 to 3 times the CPU
 *     of 10 ms frames per second of sound.
 *   - The preprocessor overlaps its windows by half a block of two
 *     frames, so what it gives back is the previous frame: one frame of
 *     delay whenever it shapes the signal. With voice activity alone it
 *     looks at a copy and the frame goes on untouched and on time.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <speex/speex_echo.h>
#include <speex/speex_preprocess.h>
#include <stdlib.h>
#include <string.h>

#include "audio/dsp.h"
#include "err.h"

/* The preprocessor's own defaults for the residual echo it removes at
 * most: 40 dB while only the far end talks, 15 dB while the near end does
 * too. Deeper (60 and 25 dB) changed bench_aec's figures by under 1 dB:
 * what limits the suppression is SpeexDSP's estimate of the residual,
 * not these floors. */
#define ECHO_SUPPRESS_DB 40
#define ECHO_SUPPRESS_ACTIVE_DB 15
/* The gain control is ours, not SpeexDSP's: SpeexDSP's counts the echo
 * the canceller left as speech and raised it by its whole range (+20 dB
 * within 4 s of far-end speech alone: bench_aec's ERLE fell from 20 to
 * 0.5 dB). Ours learns the talker's level only from frames that hold
 * voice, at least AGC_FLOOR_DBFS loud, while nothing loud was played for
 * the echo's tail and the room's reverberation after it (AGC_REVERB_MS),
 * so neither echo nor double talk moves it. It brings the talker's voiced
 * frames to AGC_DBFS (RMS), within +-AGC_RANGE_DB (more up would raise
 * the room's noise with the voice), at most AGC_UP_DB_S up and
 * AGC_DOWN_DB_S down per second (SpeexDSP's own steps), and never lets a
 * frame's peak pass AGC_PEAK. */
#define AGC_DBFS (-23.0)
#define AGC_RANGE_DB 20.0
#define AGC_UP_DB_S 12.0
#define AGC_DOWN_DB_S 40.0
#define AGC_LEVEL_S 1.0 /* the talker's level: mean power of this much voice   \
                         */
#define AGC_FLOOR_DBFS (-55.0)
#define AGC_REVERB_MS 300
#define AGC_PEAK 29000.0
#define FAR_LOUD_DBFS (-50.0) /* a played frame this loud may echo */

/* Voice activity: the preprocessor's probability of speech in the frame,
 * in percent, with a hysteresis. SpeexDSP's own thresholds (35 and 20)
 * call a steady room noise at -50 dBFS speech: the probability it gives
 * noise wanders between 20 and 90 %, voiced speech stays above 95 %
 * (bench_aec's voice activity figures). */
#define VOICE_COMES_PCT 95
#define VOICE_GOES_PCT 80

struct lm_dsp {
    lm_dsp_config cfg;
    SpeexEchoState *echo;      /* NULL with aec off */
    SpeexPreprocessState *pre; /* always: it gives voice activity */
    bool shapes;               /* the preprocessor changes the frame */
    bool voice;                /* the last frame's call */
    /* the gain control */
    double gain_db;      /* applied now */
    double level_ms;     /* the talker's voiced mean square, before the
                            gain; 0: not heard yet */
    size_t quiet;        /* frames since a loud one was played */
    size_t quiet_needed; /* the tail and the reverberation after it */
    int16_t silence[LM_DSP_MAX_SAMPLES]; /* the reference when nothing played */
    int16_t work[LM_DSP_MAX_SAMPLES];
};

lm_dsp_config lm_dsp_defaults(size_t samples)
{
    return (lm_dsp_config){.samples = samples,
                           .rate = LM_DSP_RATE,
                           .aec = true,
                           .tail_ms = LM_DSP_TAIL_MS,
                           .ns = true,
                           .ns_db = LM_DSP_NS_DB,
                           .agc = true};
}

static bool config_ok(const lm_dsp_config *c)
{
    if (c->samples < LM_DSP_MIN_SAMPLES || c->samples > LM_DSP_MAX_SAMPLES ||
        c->rate != LM_DSP_RATE)
        return false;
    if (c->aec &&
        (c->tail_ms < LM_DSP_MIN_TAIL_MS || c->tail_ms > LM_DSP_MAX_TAIL_MS))
        return false;
    if (c->ns && (c->ns_db < 1 || c->ns_db > LM_DSP_MAX_NS_DB))
        return false;
    return true;
}

static void pre_set(SpeexPreprocessState *p, int request, spx_int32_t v)
{
    speex_preprocess_ctl(p, request, &v);
}

static void setup_preprocessor(lm_dsp *d)
{
    const lm_dsp_config *c = &d->cfg;
    SpeexPreprocessState *p = d->pre;
    /* the residual echo is removed by the same spectral gain as the
     * noise, which SpeexDSP applies only with denoise on: with the
     * canceller and no noise suppression, the noise's floor is 0 dB */
    pre_set(p, SPEEX_PREPROCESS_SET_DENOISE, c->ns || d->echo);
    pre_set(p, SPEEX_PREPROCESS_SET_NOISE_SUPPRESS,
            c->ns ? -(spx_int32_t)c->ns_db : 0);
    pre_set(p, SPEEX_PREPROCESS_SET_AGC, 0); /* ours: see AGC_DBFS */
    /* SPEEX_PREPROCESS_SET_VAD would only apply these two thresholds to
     * the same probability, and print a warning on stderr each time */
    pre_set(p, SPEEX_PREPROCESS_SET_DEREVERB, 0);
    if (d->echo) {
        speex_preprocess_ctl(p, SPEEX_PREPROCESS_SET_ECHO_STATE, d->echo);
        pre_set(p, SPEEX_PREPROCESS_SET_ECHO_SUPPRESS, -ECHO_SUPPRESS_DB);
        pre_set(p, SPEEX_PREPROCESS_SET_ECHO_SUPPRESS_ACTIVE,
                -ECHO_SUPPRESS_ACTIVE_DB);
    }
}

lm_dsp *lm_dsp_new(const lm_dsp_config *cfg, int *err)
{
    if (!config_ok(cfg)) {
        *err = LM_EINVAL;
        return NULL;
    }
    lm_dsp *d = calloc(1, sizeof *d);
    if (!d) {
        *err = LM_ENOMEM;
        return NULL;
    }
    d->cfg = *cfg;
    int n = (int)cfg->samples, rate = (int)cfg->rate;
    if (cfg->aec) {
        int tail = (int)(cfg->tail_ms * cfg->rate / 1000);
        d->echo = speex_echo_state_init(n, tail);
        if (d->echo)
            speex_echo_ctl(d->echo, SPEEX_ECHO_SET_SAMPLING_RATE, &rate);
    }
    d->pre = speex_preprocess_state_init(n, rate);
    if (!d->pre || (cfg->aec && !d->echo)) {
        lm_dsp_free(d);
        *err = LM_ENOMEM;
        return NULL;
    }
    d->shapes = cfg->aec || cfg->ns || cfg->agc;
    /* the tail and the reverberation after it, in frames, rounded up */
    d->quiet_needed =
        (((size_t)cfg->tail_ms + AGC_REVERB_MS) * cfg->rate / 1000 +
         cfg->samples - 1) /
        cfg->samples;
    d->quiet = d->quiet_needed;
    setup_preprocessor(d);
    *err = 0;
    return d;
}

void lm_dsp_free(lm_dsp *d)
{
    if (!d)
        return;
    if (d->pre)
        speex_preprocess_state_destroy(d->pre);
    if (d->echo)
        speex_echo_state_destroy(d->echo);
    free(d);
}

bool lm_dsp_shapes(const lm_dsp *d)
{
    return d->shapes;
}

static double mean_square(const int16_t *x, size_t n)
{
    double e = 0;
    for (size_t i = 0; i < n; i++)
        e += (double)x[i] * x[i];
    return e / (double)n;
}

static double to_db(double ms)
{
    return 10 * log10(ms / (32768.0 * 32768.0) + 1e-12);
}

/* The gain control on a frame the preprocessor gave back: learn the
 * talker's level when allowed, move the gain towards its aim within the
 * steps, and apply it, ramped across the frame so it makes no click. */
static void agc_run(lm_dsp *d, int16_t *x, bool learn)
{
    size_t n = d->cfg.samples;
    double secs = (double)n / d->cfg.rate;
    double ms = mean_square(x, n);
    if (learn && to_db(ms) > AGC_FLOOR_DBFS) {
        double a = secs / AGC_LEVEL_S;
        d->level_ms =
            d->level_ms > 0 ? d->level_ms + a * (ms - d->level_ms) : ms;
    }
    double aim = d->level_ms > 0 ? AGC_DBFS - to_db(d->level_ms) : 0;
    aim = fmax(-AGC_RANGE_DB, fmin(AGC_RANGE_DB, aim));
    double g_db = d->gain_db + fmax(-AGC_DOWN_DB_S * secs,
                                    fmin(AGC_UP_DB_S * secs, aim - d->gain_db));
    int peak = 0;
    for (size_t i = 0; i < n; i++)
        peak = abs(x[i]) > peak ? abs(x[i]) : peak;
    double g = pow(10, g_db / 20);
    if (peak * g > AGC_PEAK) { /* no clipping: down at once */
        g = AGC_PEAK / peak;
        g_db = 20 * log10(g);
    }
    double g0 = pow(10, d->gain_db / 20);
    for (size_t i = 0; i < n; i++) {
        double gi = g0 + (g - g0) * (double)(i + 1) / (double)n;
        x[i] = (int16_t)lrint(fmax(-32768, fmin(32767, x[i] * gi)));
    }
    d->gain_db = g_db;
}

bool lm_dsp_process(lm_dsp *d, int16_t *mic, const int16_t *played)
{
    size_t bytes = d->cfg.samples * sizeof *mic;
    if (d->echo && played &&
        to_db(mean_square(played, d->cfg.samples)) > FAR_LOUD_DBFS)
        d->quiet = 0;
    else if (d->quiet < d->quiet_needed)
        d->quiet++;
    if (d->echo) {
        /* nothing played is a frame of silence: the filter's history of
         * the far end must stay in step with time */
        speex_echo_cancellation(d->echo, mic, played ? played : d->silence,
                                d->work);
        memcpy(mic, d->work, bytes);
    }
    if (d->shapes) {
        speex_preprocess_run(d->pre, mic);
    } else {
        memcpy(d->work, mic, bytes);
        speex_preprocess_run(d->pre, d->work);
    }
    spx_int32_t prob = 0;
    speex_preprocess_ctl(d->pre, SPEEX_PREPROCESS_GET_PROB, &prob);
    d->voice = prob >= (d->voice ? VOICE_GOES_PCT : VOICE_COMES_PCT);
    if (d->cfg.agc)
        agc_run(d, mic, d->voice && d->quiet >= d->quiet_needed);
    return d->voice;
}
