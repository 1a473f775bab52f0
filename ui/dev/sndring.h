/* sndring.h - the ring between a sound server's or card's callback and
 * the audio thread, for every real-device backend (portaudio.c, pulse.c).
 *
 * One ring of int16 samples per direction (core/ring.h, lock-free SPSC):
 *
 *   microphone: the device callback puts what it captured; the audio
 *               thread takes one frame per lm_sndring_read, which waits
 *               (polling, below) until a frame is there. The device keeps
 *               time, so the backend's ops are `paced`.
 *   speaker:    the audio thread puts one frame per lm_sndring_write,
 *               which never waits; the callback takes what the device
 *               asks for, with silence for what is missing.
 *
 * The callback side (lm_sndring_capture, lm_sndring_play) is real-time
 * safe: no lock, no allocation, no I/O, no system call; it touches only
 * the ring and atomics. That is also why the microphone's reader polls
 * rather than being woken: a wake-up (sem_post, a futex) is a system call
 * in the callback. Polling every LM_SNDRING_POLL_US costs the frame at
 * most that much delay and a few thousand cheap wake-ups a second. A
 * backend whose callbacks run on a thread that may make system calls
 * (libpulse's main loop, pulse.c) captures with lm_sndring_capture_wake
 * instead: it posts a semaphore, and the reader then sleeps until a
 * fragment comes rather than polling.
 *
 * Latency is kept from creeping up. A speaker ring grows by the length of
 * every underrun (the late frames all arrive, after the device has
 * played silence in their place), so the callback watches the least it
 * held over each window of LM_SNDTRIM_WINDOW samples played and drops
 * what stood there beyond LM_SNDTRIM_KEEP (lm_sndtrim, pure logic). A
 * microphone ring drains by itself (the thread reads as fast as frames
 * come), and is cut to its newest LM_SNDRING_BACKLOG samples if the
 * thread fell far behind.
 *
 * Everything is counted (lm_sndring_stats): samples dropped because a
 * ring was full (overrun), samples of silence played for lack of any
 * (underrun), samples trimmed, and reads that timed out (stalls). */
#ifndef LM_SNDRING_H
#define LM_SNDRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LM_SNDRING_RATE 48000
#define LM_SNDRING_POLL_US 250   /* the reader's poll: <= 0.25 ms late */
#define LM_SNDRING_STALL_US 200000 /* no sound for 0.2 s: the device stalls */
#define LM_SNDRING_BACKLOG 4800  /* 100 ms behind: the oldest are dropped */
#define LM_SNDTRIM_WINDOW 24000  /* 0.5 s of playing between trims */
#define LM_SNDTRIM_KEEP 96       /* 2 ms kept against the thread's jitter */

/* The standing-queue trimmer of a speaker ring: pure logic. */
typedef struct lm_sndtrim {
    size_t played; /* samples played in this window */
    size_t least;  /* the least the ring held after a take, this window */
} lm_sndtrim;

void lm_sndtrim_init(lm_sndtrim *t);
/* After the callback took `took` samples and `left` remain: how many of
 * the oldest to drop now (0 but at the end of a window). */
size_t lm_sndtrim_step(lm_sndtrim *t, size_t took, size_t left);

typedef struct lm_sndring lm_sndring; /* opaque */

typedef struct lm_sndring_stats {
    uint64_t overrun;  /* samples lost to a full ring */
    uint64_t underrun; /* samples of silence played for lack of sound */
    uint64_t trimmed;  /* samples dropped to keep the latency down */
    uint64_t stalls;   /* times the device gave nothing for LM_SNDRING_STALL_US */
    uint64_t callbacks;
} lm_sndring_stats;

/* A ring of at least `capacity` samples; NULL without memory. Any thread,
 * before the device starts. */
lm_sndring *lm_sndring_new(size_t capacity);
void lm_sndring_free(lm_sndring *s); /* NULL-safe; after the device stops */

/* Callback side (the device's thread): real-time safe. */
void lm_sndring_capture(lm_sndring *s, const int16_t *pcm, size_t n);
/* The same, then wakes the reader (a system call: not for a real-time
 * callback). Once a ring has been captured into this way, its reader
 * waits for the wake-up instead of polling. */
void lm_sndring_capture_wake(lm_sndring *s, const int16_t *pcm, size_t n);
void lm_sndring_play(lm_sndring *s, int16_t *out, size_t n);
/* The device reports it is gone (any thread): reads fail from now on. */
void lm_sndring_fail(lm_sndring *s);

/* Audio thread side. One frame of n samples (n <= LM_SNDRING_BACKLOG):
 * 0 with the frame; 0 with silence when the device stalls (after
 * LM_SNDRING_STALL_US, then every n samples' time while it lasts, so the
 * thread goes on at the frame rate); LM_EIO once the device failed. */
int lm_sndring_read(lm_sndring *s, int16_t *pcm, size_t n);
/* Never waits; what does not fit is counted as overrun. 0, or LM_EIO
 * once the device failed. */
int lm_sndring_write(lm_sndring *s, const int16_t *pcm, size_t n);

/* Audio thread: whether the last read timed out (the backend may then ask
 * its device whether it still runs). */
bool lm_sndring_stalled(const lm_sndring *s);

/* Any thread; figures for statistics. */
void lm_sndring_stats_get(const lm_sndring *s, lm_sndring_stats *out);

#endif
