/* audiodev.h - the audio devices a front end can name, as lm_audio_io.
 *
 *   mic:     "file:PATH.wav" (looped), or a synthetic source as synth.h
 *            reads it: "silence", "tone:HZ[:AMP]",
 *            "impulse:PERIOD_MS[:PHASE_MS[:AMP]]"
 *   speaker: "file:PATH.wav" (48 kHz mono 16-bit, valid even if killed)
 *   both:    "dev:NAME" a sound device by a piece of its name (--mic
 *            NAME), on the sound server when one answers and has it (or
 *            "dev:" its default), else through PortAudio (portaudio.h);
 *            "dev:INDEX" PortAudio's device of that index;
 *            "dev:pulse[:NAME]" the sound server only (pulse.h);
 *            "dev:portaudio:NAME" PortAudio only;
 *            "auto" the default device, or none (not an error: the
 *            machine has no sound card; why then says so);
 *            "none" no device.
 *
 * Where a sound server runs (PulseAudio, PipeWire) it is spoken to
 * natively (pulse.c): on the rig (tests/bench/rig/run.sh --route) a mic
 * looped to a speaker took less that way than through PortAudio, which
 * on Debian 12 reaches the server through ALSA's pulse PCM (pulse.c
 * gives the figures). Synthetic and file devices are only ever used
 * when named. */
#ifndef LM_AUDIODEV_H
#define LM_AUDIODEV_H

#include <stddef.h>
#include <stdio.h>

#include "audio/audio_io.h"

/* Which backend a sound spec ("auto", "dev:...") names, and the device
 * name it gives that backend (a pointer into spec, "" for the default):
 * pure logic. */
typedef enum lm_audiodev_backend {
    LM_AUDIODEV_EITHER,    /* the sound server if it has it, else PortAudio */
    LM_AUDIODEV_PULSE,
    LM_AUDIODEV_PORTAUDIO,
} lm_audiodev_backend;
lm_audiodev_backend lm_audiodev_route(const char *spec, const char **name);

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

/* Prints every backend's microphones and speakers to f (the cameras are
 * listed by ui/dev/camera.h). Returns 0, or LM_EIO when no backend could
 * list. */
int lm_audiodev_list(FILE *f);

#endif
