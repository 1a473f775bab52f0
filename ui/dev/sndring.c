/* sndring.c - a device callback's ring and its counters; see sndring.h. */
#define _POSIX_C_SOURCE 200809L
#include "sndring.h"

#include <errno.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "ring.h"

struct lm_sndring {
    lm_ring *r;
    atomic_bool failed;
    atomic_bool fed;  /* the writer has put something: silence is now an underrun */
    atomic_bool woken; /* the capturer posts `more`: the reader need not poll */
    sem_t more;        /* posted by lm_sndring_capture_wake */
    atomic_uint_least64_t overrun, underrun, trimmed, stalls, callbacks;
    lm_sndtrim trim; /* the callback's own */
    bool stalled;    /* the reader's own */
};

void lm_sndtrim_init(lm_sndtrim *t)
{
    t->played = 0;
    t->least = SIZE_MAX;
}

size_t lm_sndtrim_step(lm_sndtrim *t, size_t took, size_t left)
{
    if (left < t->least)
        t->least = left;
    t->played += took;
    if (t->played < LM_SNDTRIM_WINDOW)
        return 0;
    /* what stood in the ring the whole window is delay, not a cushion */
    size_t drop = t->least > LM_SNDTRIM_KEEP ? t->least - LM_SNDTRIM_KEEP : 0;
    lm_sndtrim_init(t);
    return drop;
}

lm_sndring *lm_sndring_new(size_t capacity)
{
    lm_sndring *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    if (!(s->r = lm_ring_new(sizeof(int16_t), capacity))) {
        free(s);
        return NULL;
    }
    if (sem_init(&s->more, 0, 0) != 0) {
        lm_ring_free(s->r);
        free(s);
        return NULL;
    }
    lm_sndtrim_init(&s->trim);
    return s;
}

void lm_sndring_free(lm_sndring *s)
{
    if (!s)
        return;
    lm_ring_free(s->r);
    sem_destroy(&s->more);
    free(s);
}

void lm_sndring_fail(lm_sndring *s)
{
    atomic_store(&s->failed, true);
    sem_post(&s->more); /* a reader asleep hears it now */
}

void lm_sndring_capture(lm_sndring *s, const int16_t *pcm, size_t n)
{
    atomic_fetch_add_explicit(&s->callbacks, 1, memory_order_relaxed);
    size_t put = lm_ring_push_many(s->r, pcm, n);
    if (put < n) /* the reader is far behind: the newest are lost */
        atomic_fetch_add_explicit(&s->overrun, n - put, memory_order_relaxed);
}

void lm_sndring_capture_wake(lm_sndring *s, const int16_t *pcm, size_t n)
{
    lm_sndring_capture(s, pcm, n);
    if (!atomic_load_explicit(&s->woken, memory_order_relaxed))
        atomic_store(&s->woken, true);
    sem_post(&s->more);
}

/* Drops the n oldest samples; consumer side only. */
static void discard(lm_ring *r, size_t n)
{
    int16_t sink[256];
    while (n > 0) {
        size_t k = n < 256 ? n : 256;
        size_t got = lm_ring_pop_many(r, sink, k);
        if (got == 0)
            return;
        n -= got;
    }
}

void lm_sndring_play(lm_sndring *s, int16_t *out, size_t n)
{
    atomic_fetch_add_explicit(&s->callbacks, 1, memory_order_relaxed);
    size_t got = lm_ring_pop_many(s->r, out, n);
    if (got < n) {
        memset(out + got, 0, (n - got) * sizeof *out);
        if (atomic_load_explicit(&s->fed, memory_order_relaxed))
            atomic_fetch_add_explicit(&s->underrun, n - got,
                                      memory_order_relaxed);
    }
    size_t drop = lm_sndtrim_step(&s->trim, n, lm_ring_count(s->r));
    if (drop) {
        discard(s->r, drop);
        atomic_fetch_add_explicit(&s->trimmed, drop, memory_order_relaxed);
    }
}

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void nap_us(int64_t us)
{
    struct timespec ts = {.tv_sec = us / 1000000,
                          .tv_nsec = (long)(us % 1000000) * 1000};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
}

/* Until the capturer posts, or us microseconds. sem_timedwait counts on
 * the wall clock: a step of it makes one wait short or long, and the
 * caller's loop, on the monotonic clock, sets that right. */
static void wait_more(lm_sndring *s, int64_t us)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t ns = ts.tv_nsec + (us % 1000000) * 1000;
    ts.tv_sec += (time_t)(us / 1000000 + ns / 1000000000);
    ts.tv_nsec = (long)(ns % 1000000000);
    while (sem_timedwait(&s->more, &ts) == -1 && errno == EINTR)
        ;
}

int lm_sndring_read(lm_sndring *s, int16_t *pcm, size_t n)
{
    if (n == 0 || n > LM_SNDRING_BACKLOG)
        return LM_EINVAL;
    /* while stalled, one frame's time per frame keeps the thread at its
     * rate; otherwise the wait is long enough for any device's period */
    int64_t wait = s->stalled ? (int64_t)n * 1000000 / LM_SNDRING_RATE
                              : LM_SNDRING_STALL_US;
    int64_t deadline = mono_us() + wait;
    for (;;) {
        if (atomic_load(&s->failed))
            return LM_EIO;
        size_t have = lm_ring_count(s->r);
        if (have >= n) {
            if (have > LM_SNDRING_BACKLOG) {
                discard(s->r, have - LM_SNDRING_BACKLOG);
                atomic_fetch_add_explicit(&s->trimmed,
                                          have - LM_SNDRING_BACKLOG,
                                          memory_order_relaxed);
            }
            lm_ring_pop_many(s->r, pcm, n);
            s->stalled = false;
            return 0;
        }
        int64_t now = mono_us();
        if (now >= deadline)
            break;
        if (atomic_load(&s->woken))
            wait_more(s, deadline - now);
        else
            nap_us(deadline - now < LM_SNDRING_POLL_US ? deadline - now
                                                       : LM_SNDRING_POLL_US);
    }
    if (!s->stalled)
        atomic_fetch_add_explicit(&s->stalls, 1, memory_order_relaxed);
    s->stalled = true;
    memset(pcm, 0, n * sizeof *pcm);
    return 0;
}

bool lm_sndring_stalled(const lm_sndring *s) { return s->stalled; }

int lm_sndring_write(lm_sndring *s, const int16_t *pcm, size_t n)
{
    if (atomic_load(&s->failed))
        return LM_EIO;
    atomic_store_explicit(&s->fed, true, memory_order_relaxed);
    size_t put = lm_ring_push_many(s->r, pcm, n);
    if (put < n)
        atomic_fetch_add_explicit(&s->overrun, n - put, memory_order_relaxed);
    return 0;
}

void lm_sndring_stats_get(const lm_sndring *s, lm_sndring_stats *out)
{
    lm_sndring *m = (lm_sndring *)s; /* atomics are read, not changed */
    out->overrun = atomic_load(&m->overrun);
    out->underrun = atomic_load(&m->underrun);
    out->trimmed = atomic_load(&m->trimmed);
    out->stalls = atomic_load(&m->stalls);
    out->callbacks = atomic_load(&m->callbacks);
}
