/* dsp.h - the microphone's processing chain, before Opus (SpeexDSP).
 *
 * Each frame of the microphone goes, in order, through
 *   1. echo cancellation (SpeexDSP's MDF adaptive filter), with the frame
 *      this node played as the far-end reference;
 *   2. SpeexDSP's preprocessor: suppression of the echo the filter left
 *      (linked to the canceller's state), noise suppression, and the
 *      probability of speech that gives voice activity;
 *   3. automatic gain, our own (dsp.c says why not SpeexDSP's): it learns
 *      the talker's level only from voice heard while nothing was played.
 * Each stage is chosen in the config. When no stage is on but voice
 * activity, the frame is not changed at all: the preprocessor then looks
 * at a copy (a clean file or a synthetic source keeps its exact samples
 * and gains no delay). When the preprocessor shapes the signal it delays
 * it by one frame (its windows overlap by half: see dsp.c).
 *
 * Frames are 48 kHz mono int16, of a fixed size chosen at creation.
 *
 * Threads: an lm_dsp belongs to one thread (the audio thread); lm_dsp_new
 * and lm_dsp_free allocate, lm_dsp_process never allocates, blocks or
 * does I/O. */
#ifndef LM_AUDIO_DSP_H
#define LM_AUDIO_DSP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LM_DSP_RATE 48000
#define LM_DSP_MIN_SAMPLES 48  /* 1 ms */
#define LM_DSP_MAX_SAMPLES 960 /* 20 ms */
#define LM_DSP_MIN_TAIL_MS 10
#define LM_DSP_MAX_TAIL_MS 1000
#define LM_DSP_MAX_NS_DB 60

/* Defaults, from bench_aec's figures (see dsp.c). */
#define LM_DSP_TAIL_MS 200 /* device round trip plus the room's echo */
#define LM_DSP_NS_DB 20

typedef struct lm_dsp_config {
    size_t samples;   /* per frame, LM_DSP_MIN_SAMPLES..LM_DSP_MAX_SAMPLES */
    unsigned rate;    /* Hz; LM_DSP_RATE only */
    bool aec;         /* cancel the echo of what was played */
    unsigned tail_ms; /* the longest echo cancelled (aec) */
    bool ns;          /* suppress stationary noise ... */
    unsigned ns_db;   /* ... by this much, 1..LM_DSP_MAX_NS_DB dB */
    bool agc;         /* bring speech to a steady level */
} lm_dsp_config;

typedef struct lm_dsp lm_dsp;

/* Every stage on, with the defaults above, for frames of `samples`. */
lm_dsp_config lm_dsp_defaults(size_t samples);

/* Returns NULL with *err set: LM_EINVAL for a config out of the ranges
 * above (nothing is clamped), LM_ENOMEM. */
lm_dsp *lm_dsp_new(const lm_dsp_config *cfg, int *err);
void lm_dsp_free(lm_dsp *d); /* NULL-safe */

/* One frame: `mic` (cfg.samples) is processed in place; `played` is the
 * frame this node sent to its speaker most recently before `mic` was
 * captured (cfg.samples), or NULL when it played nothing. The echo of a
 * frame must reach the microphone no earlier than that frame is passed
 * here, and no later than tail_ms after. Ignored with aec off. Returns
 * whether the frame holds voice. */
bool lm_dsp_process(lm_dsp *d, int16_t *mic, const int16_t *played);

/* Whether process changes the samples (a stage other than voice
 * activity is on). */
bool lm_dsp_shapes(const lm_dsp *d);

#endif
