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
/* The gain control: SpeexDSP's target is a loudness of its own; 16000
 * brings a speech recording to -25 dBFS RMS whether it came in at -18 or
 * -35 dBFS (4000, a guess at -18 dBFS, gave -37). Never more than 20 dB
 * up: more would raise the room's noise with the voice. SpeexDSP's own
 * steps of +12 dB/s and -40 dB/s. */
#define AGC_LEVEL 16000.0f
#define AGC_MAX_GAIN_DB 20

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
    pre_set(p, SPEEX_PREPROCESS_SET_AGC, c->agc);
    if (c->agc) {
        float level = AGC_LEVEL;
        speex_preprocess_ctl(p, SPEEX_PREPROCESS_SET_AGC_LEVEL, &level);
        pre_set(p, SPEEX_PREPROCESS_SET_AGC_MAX_GAIN, AGC_MAX_GAIN_DB);
    }
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

bool lm_dsp_process(lm_dsp *d, int16_t *mic, const int16_t *played)
{
    size_t bytes = d->cfg.samples * sizeof *mic;
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
    return d->voice;
}
