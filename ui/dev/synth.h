/* synth.h - synthetic microphones: a tone, an impulse train, silence.
 *
 * Each source makes 48 kHz mono int16 from an integer count of samples
 * made so far, so nothing drifts over hours: a tone's phase at sample t is
 * computed from t itself, and the n-th impulse starts exactly at sample
 * phase + n * period (both rounded once, at creation, to whole samples).
 * Sample 0 is the first sample of the first lm_synth_read().
 *
 * An impulse is a click of LM_SYNTH_CLICK samples at +amplitude, then
 * zeros until the next one: short enough to time to the sample, long
 * enough to keep energy through a voice codec's low-pass and be found in
 * what comes out.
 *
 * Threads: a source belongs to one thread at a time. lm_synth_read() does
 * no allocation, no I/O and takes no lock, so it may run in a real-time
 * audio callback. */
#ifndef LM_SYNTH_H
#define LM_SYNTH_H

#include <stddef.h>
#include <stdint.h>

#define LM_SYNTH_RATE 48000
#define LM_SYNTH_CLICK 4 /* samples of an impulse (83 us at 48 kHz) */

typedef struct lm_synth lm_synth; /* opaque */

typedef enum lm_synth_kind {
    LM_SYNTH_SILENCE,
    LM_SYNTH_TONE,
    LM_SYNTH_IMPULSE,
} lm_synth_kind;

typedef struct lm_synth_config {
    lm_synth_kind kind;
    double amplitude; /* 0..1 of full scale (tone: peak; impulse: click) */
    double freq_hz;   /* tone: above 0, below 24000 */
    double period_ms; /* impulse: at least LM_SYNTH_CLICK + 1 samples */
    double phase_ms;  /* impulse: first click, 0 <= phase < period */
} lm_synth_config;

/* Reads a source from text, as on a command line: "silence",
 * "tone:HZ[:AMP]" (AMP default 0.5) or "impulse:PERIOD_MS[:PHASE_MS[:AMP]]"
 * (phase 0, amplitude 0.9 by default). Returns 0, or LM_EINVAL with *cfg
 * untouched. The values are checked by lm_synth_new(). */
int lm_synth_parse(const char *text, lm_synth_config *cfg);

/* A new source for cfg (copied). Returns 0 with *out set, LM_EINVAL for a
 * value out of range (*out NULL), or LM_ENOMEM. */
int lm_synth_new(const lm_synth_config *cfg, lm_synth **out);

/* The next n samples. */
void lm_synth_read(lm_synth *s, int16_t *out, size_t n);

/* Samples made so far: the index of the next one. */
uint64_t lm_synth_position(const lm_synth *s);

/* The impulse period and phase as used, in samples (0 when not an impulse
 * train), for tests and the harness to know where clicks are. */
uint64_t lm_synth_period(const lm_synth *s);
uint64_t lm_synth_phase(const lm_synth *s);

/* Frees a source. NULL-safe. */
void lm_synth_free(lm_synth *s);

#endif
