/* audiodev.h - the audio devices a front end can name, as lm_audio_io.
 *
 *   mic:     "file:PATH.wav" (looped), or a synthetic source as synth.h
 *            reads it: "silence", "tone:HZ[:AMP]",
 *            "impulse:PERIOD_MS[:PHASE_MS[:AMP]]"
 *   speaker: "file:PATH.wav" (48 kHz mono 16-bit, valid even if killed)
 *
 * Sound cards (PortAudio) come next behind the same ops. */
#ifndef LM_AUDIODEV_H
#define LM_AUDIODEV_H

#include <stddef.h>

#include "audio/audio_io.h"

/* Returns 0 with *out set, or an LM_E* code with a sentence in why. */
int lm_audiodev_mic(const char *spec, lm_audio_io *out, char *why,
                    size_t cap);
int lm_audiodev_speaker(const char *spec, lm_audio_io *out, char *why,
                        size_t cap);

#endif
