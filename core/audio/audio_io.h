/* audio_io.h - a microphone or a speaker, whatever is behind it.
 *
 * Every device moves 48 kHz mono int16 in frames of the node's frame size.
 * Backends live in ui/dev/ (WAV files and synthetic sources now; PortAudio
 * next) and fill this table of ops; the audio service never knows which
 * one it drives. A device belongs to the audio service's thread once it is
 * handed over; it is closed there, once.
 *
 * `paced` says who keeps time: a sound card delivers a frame when it has
 * one (read blocks until then), while a file or a synthetic source has a
 * frame at once, so the audio thread paces itself on the clock. */
#ifndef LM_AUDIO_IO_H
#define LM_AUDIO_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct lm_audio_dev lm_audio_dev; /* each backend's own */

typedef struct lm_audio_io_ops {
    const char *name; /* "wav", "synth", ... */
    bool paced;
    /* One frame of n samples; 0, or a negative LM_E* code (the device is
     * gone: the service says so once and goes on silent). NULL for a
     * speaker. */
    int (*read)(lm_audio_dev *d, int16_t *pcm, size_t n);
    /* NULL for a microphone. */
    int (*write)(lm_audio_dev *d, const int16_t *pcm, size_t n);
    void (*close)(lm_audio_dev *d); /* flushes and frees; NULL-safe */
} lm_audio_io_ops;

/* A device: its ops and its state; ops NULL for none. */
typedef struct lm_audio_io {
    const lm_audio_io_ops *ops;
    lm_audio_dev *dev;
} lm_audio_io;

#endif
