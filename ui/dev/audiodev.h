/* audiodev.h - the audio devices a front end can name, as lm_audio_io.
 *
 *   mic:     "file:PATH.wav" (looped), or a synthetic source as synth.h
 *            reads it: "silence", "tone:HZ[:AMP]",
 *            "impulse:PERIOD_MS[:PHASE_MS[:AMP]]"
 *   speaker: "file:PATH.wav" (48 kHz mono 16-bit, valid even if killed)
 *   both:    "dev:NAME" a sound device by a piece of its name or its
 *            index (--mic NAME), as portaudio.h finds it; "dev:" is the
 *            default device, "dev:portaudio:NAME" says the backend;
 *            "auto" the default device, or none (not an error: the
 *            machine has no sound card; why then says so);
 *            "none" no device.
 *
 * Sound devices go through PortAudio, which reaches a sound server
 * (PulseAudio, PipeWire) through ALSA's pulse PCM; measured on the rig
 * (tests/bench/rig/run.sh --route) that route costs 10 ms more than the
 * server's own parec | pacat at 10 ms, so no libpulse backend is needed.
 * Synthetic and file devices are only ever used when named. */
#ifndef LM_AUDIODEV_H
#define LM_AUDIODEV_H

#include <stddef.h>
#include <stdio.h>

#include "audio/audio_io.h"

/* Returns 0 with *out set (ops NULL for "none", or for "auto" when there
 * is no device: why then says so), or an LM_E* code with a sentence in
 * why. */
int lm_audiodev_mic(const char *spec, lm_audio_io *out, char *why,
                    size_t cap);
int lm_audiodev_speaker(const char *spec, lm_audio_io *out, char *why,
                        size_t cap);

/* What a node opens when its options name some devices or none (pure
 * logic): nothing named at all, both are "auto" (a person who just runs
 * lanmeet hears and is heard on the default devices); a sound device
 * ("dev:") named for one side, the other is "auto"; a file or a synthetic
 * source named for one side, the other stays NULL (none: a recording or a
 * test never grabs a sound card by chance). */
void lm_audiodev_defaults(const char **mic, const char **speaker);

/* Prints every backend's microphones and speakers (and that there are no
 * cameras yet) to f. Returns 0, or LM_EIO when no backend could list. */
int lm_audiodev_list(FILE *f);

#endif
