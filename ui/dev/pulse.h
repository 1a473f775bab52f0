/* pulse.h - a sound server's devices through libpulse, behind lm_audio_io.
 *
 * PulseAudio, or PipeWire's pulse server, spoken to natively: one record
 * or playback stream per device, mono 48 kHz int16, each on a threaded
 * main loop of its own (its thread runs libpulse's callbacks), meeting
 * the audio thread through an lm_sndring (sndring.h) as portaudio.c's
 * callbacks do. The microphone is `paced`: its read waits for the
 * server's next fragment.
 *
 * Why not only PortAudio: Debian 12's PortAudio has no PulseAudio host
 * API and reaches the server through ALSA's pulse PCM, which buffers a
 * period more each way than the server needs (pulse.c gives the figures
 * of tests/bench/rig/run.sh --route). Here the streams ask the server for
 * small buffers directly (pa_buffer_attr, in pulse.c).
 *
 * A device is the server's source or sink: NULL or "" the server's
 * default (PULSE_SOURCE / PULSE_SINK choose it, as for every libpulse
 * client), else an exact name, else a piece of a name or of a
 * description, case-insensitive (lm_pulse_pick). The server is never
 * started for us (no autospawn): with none answering, open says
 * LM_ENOTFOUND and the caller may try another backend.
 *
 * Threads: open, list and close from the thread that owns the device;
 * the ops belong to the audio thread once handed over. */
#ifndef LM_PULSE_H
#define LM_PULSE_H

#include <stddef.h>
#include <stdio.h>

#include "audio/audio_io.h"

/* 0 with *out set; LM_ENOTFOUND when no server answers or it has no such
 * device; LM_EIO when the stream will not open; a sentence in why. */
int lm_pulse_mic(const char *name, lm_audio_io *out, char *why, size_t cap);
int lm_pulse_speaker(const char *name, lm_audio_io *out, char *why,
                     size_t cap);

/* Prints the server's sources and sinks, one a line (name, description,
 * default mark). Returns their number, or LM_ENOTFOUND when no server
 * answers. */
int lm_pulse_list(FILE *f);

/* Which of n devices `want` means (pure logic): the index of an exact
 * name, else of the first whose name or description holds want as a
 * piece (case-insensitive); -1 for none. A NULL description is "". */
int lm_pulse_pick(const char *const *names, const char *const *descs,
                  size_t n, const char *want);

#endif
