/* portaudio.h - sound cards through PortAudio, behind lm_audio_io.
 *
 * Capture and playback with PortAudio's callback API, one stream per
 * direction (the microphone and the speaker may be different cards), mono
 * 48 kHz int16 (a card that only opens in stereo is mixed down / fed both
 * channels). The callback meets the audio thread through an lm_sndring
 * (sndring.h: no lock, no allocation, no I/O in the callback); the
 * microphone is `paced`, its read waits for the device's next frame.
 *
 * Latency: each stream asks for the device's defaultLow*Latency as its
 * suggestedLatency, but no more than 5 ms (portaudio.c says why), and
 * leaves the period to PortAudio (paFramesPerBufferUnspecified), which
 * picks one that fits that latency; the ring adds at most a frame.
 *
 * A device is named by its index in the PortAudio list (digits only), or
 * by a piece of its name, case-insensitive (an exact name wins over a
 * piece of one; of several pieces, the first in the list); NULL or ""
 * is the default device. On Debian 12 (PortAudio 19.6, no PulseAudio host
 * API) a sound server is reached through ALSA's "pulse" or "default" PCM;
 * PULSE_SOURCE and PULSE_SINK then choose the server's device.
 *
 * Threads: open and list from any one thread at a time (PortAudio's own
 * rule); the ops belong to the audio thread once handed over. */
#ifndef LM_PORTAUDIO_H
#define LM_PORTAUDIO_H

#include <stddef.h>
#include <stdio.h>

#include "audio/audio_io.h"

/* 0 with *out set, LM_ENOTFOUND when there is no such device (or no
 * device at all), LM_EIO when it will not open; a sentence in why. */
int lm_portaudio_mic(const char *name, lm_audio_io *out, char *why,
                     size_t cap);
int lm_portaudio_speaker(const char *name, lm_audio_io *out, char *why,
                         size_t cap);

/* Prints the microphones and the speakers PortAudio sees, one a line:
 * index, name, host API, default marks. Returns the number of devices, or
 * LM_EIO when PortAudio does not start. */
int lm_portaudio_list(FILE *f);

#endif
