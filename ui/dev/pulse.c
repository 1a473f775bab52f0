/* pulse.c - libpulse streams behind lm_audio_io; see pulse.h.
 *
 * Each device is a session of its own (a threaded main loop and a
 * context) with one stream. The server asks for sound or hands it over
 * in libpulse's callbacks, on the main loop's thread; they only move
 * samples between the stream and the device's lm_sndring, so the audio
 * thread never waits on the server (and never takes its lock, but to ask
 * whether a stalled stream still runs). */
#define _POSIX_C_SOURCE 200809L
#include "pulse.h"

#include <pthread.h>
#include <pulse/pulseaudio.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "err.h"
#include "sndring.h"

#define RATE 48000
#define RING_SAMPLES 16384   /* 341 ms: far more than any frame or fragment */
#define CONNECT_US 2000000   /* a server that has not answered in 2 s: none */
#define LIST_MAX 64          /* devices looked at by name */
#define BYTES_PER_MS (RATE / 1000 * 2) /* mono int16 */

/* Buffers, as asked of the server (tests/bench/rig/run.sh --route, the
 * bursts looped from a_mic to a_out by bench_devloop at 2.5 ms frames).
 * Capture: the server hands over a fragment of CAP_FRAG_MS once it holds
 * one. Playback: PLAY_TLEN_MS in all, the device's own latency included
 * (PA_STREAM_ADJUST_LATENCY: the server gives the device (tlength - 2 x
 * minreq) / 2 and keeps the rest queued), more asked for each time
 * PLAY_MINREQ_MS has played, and playing starts once that much is there.
 * Measured in one session on a loaded 2-core machine (median / p90):
 *   fragment 2.5, tlength 5:   15.5 / 31.0 ms (the device gets 0 ms,
 *                              which the server makes 0.5 ms; a null sink
 *                              driven so was seen 400 ms behind)
 *   fragment 2.5, tlength 10:  22.0 / 27.5 ms
 *   fragment 5, tlength 10:    15.0 / 15.0 ms (the one kept)
 *   fragment 2.5, tlength 5, no ADJUST_LATENCY: 30.0 / 61.5 ms
 * and on a quieter hour: parec | pacat 7.5 ms, this backend 10.5 ms (2.5
 * / 5), PortAudio through ALSA's pulse PCM 21.6 ms. */
#define CAP_FRAG_MS 5.0
/* What the server may hold for us when our thread is late (a loaded
 * machine) before it drops the oldest: a late thread costs a glitch, not
 * a delay that stays. */
#define CAP_MAX_MS 40.0
#define PLAY_TLEN_MS 10.0
#define PLAY_MINREQ_MS 2.5

typedef struct session {
    pa_threaded_mainloop *ml;
    pa_context *ctx;
    bool timed_out;
} session;

/* libpulse's loop thread moves every sample to and from the ring: it is
 * asked to run real-time as the audio thread is (audio_thread.c says
 * why), at the same priority, from its first callback; without the right
 * to, it runs as before. */
#define LOOP_RT_PRIORITY 4

struct lm_audio_dev {
    session s;
    bool rt_asked; /* the loop thread's own */
    pa_stream *st;
    lm_sndring *ring;
    bool input;
    atomic_uint_least64_t xruns; /* the server's own over/underflows */
    char name[128];
};

/* ---- a session: main loop + context ----------------------------------- */

static void on_context(pa_context *c, void *ud)
{
    (void)c;
    pa_threaded_mainloop_signal(((session *)ud)->ml, 0);
}

static void on_timeout(pa_mainloop_api *api, pa_time_event *e,
                       const struct timeval *tv, void *ud)
{
    (void)api, (void)e, (void)tv;
    session *s = ud;
    s->timed_out = true;
    pa_threaded_mainloop_signal(s->ml, 0);
}

static void sess_close(session *s)
{
    if (!s->ml)
        return;
    pa_threaded_mainloop_stop(s->ml);
    if (s->ctx) {
        pa_context_set_state_callback(s->ctx, NULL, NULL);
        pa_context_disconnect(s->ctx);
        pa_context_unref(s->ctx);
    }
    pa_threaded_mainloop_free(s->ml);
    s->ml = NULL;
    s->ctx = NULL;
}

/* Connected, with the loop running and its lock held; or a code. */
static int sess_open(session *s, char *why, size_t cap)
{
    *s = (session){0};
    if (!(s->ml = pa_threaded_mainloop_new()) ||
        !(s->ctx = pa_context_new(pa_threaded_mainloop_get_api(s->ml),
                                  "lanmeet"))) {
        sess_close(s);
        snprintf(why, cap, "out of memory");
        return LM_ENOMEM;
    }
    pa_context_set_state_callback(s->ctx, on_context, s);
    /* never start a server of our own: a machine without one is told */
    if (pa_context_connect(s->ctx, NULL, PA_CONTEXT_NOAUTOSPAWN, NULL) < 0 ||
        pa_threaded_mainloop_start(s->ml) < 0) {
        snprintf(why, cap, "no sound server answers (%s)",
                 pa_strerror(pa_context_errno(s->ctx)));
        sess_close(s);
        return LM_ENOTFOUND;
    }
    pa_threaded_mainloop_lock(s->ml);
    pa_time_event *te = pa_context_rttime_new(
        s->ctx, pa_rtclock_now() + CONNECT_US, on_timeout, s);
    pa_context_state_t st;
    while ((st = pa_context_get_state(s->ctx)) != PA_CONTEXT_READY &&
           PA_CONTEXT_IS_GOOD(st) && !s->timed_out)
        pa_threaded_mainloop_wait(s->ml);
    if (te)
        pa_threaded_mainloop_get_api(s->ml)->time_free(te);
    if (st != PA_CONTEXT_READY) {
        snprintf(why, cap, "no sound server answers (%s)",
                 s->timed_out ? "timed out"
                              : pa_strerror(pa_context_errno(s->ctx)));
        pa_threaded_mainloop_unlock(s->ml);
        sess_close(s);
        return LM_ENOTFOUND;
    }
    return 0;
}

/* Waits for an operation (lock held); false if it did not complete. */
static bool finish(session *s, pa_operation *op)
{
    if (!op)
        return false;
    pa_operation_state_t st;
    while ((st = pa_operation_get_state(op)) == PA_OPERATION_RUNNING)
        pa_threaded_mainloop_wait(s->ml);
    pa_operation_unref(op);
    return st == PA_OPERATION_DONE;
}

/* ---- device lists ------------------------------------------------------ */

typedef struct dev_list {
    session *s;
    size_t n;
    char *name[LIST_MAX], *desc[LIST_MAX];
    bool monitor[LIST_MAX];
} dev_list;

static void list_add(dev_list *l, const char *name, const char *desc,
                     bool monitor)
{
    if (l->n >= LIST_MAX || !name)
        return;
    char *a = strdup(name), *b = strdup(desc ? desc : "");
    if (!a || !b) {
        free(a);
        free(b);
        return;
    }
    l->name[l->n] = a;
    l->desc[l->n] = b;
    l->monitor[l->n++] = monitor;
}

static void on_source(pa_context *c, const pa_source_info *i, int eol,
                      void *ud)
{
    (void)c;
    dev_list *l = ud;
    if (eol)
        pa_threaded_mainloop_signal(l->s->ml, 0);
    else if (i)
        list_add(l, i->name, i->description,
                 i->monitor_of_sink != PA_INVALID_INDEX);
}

static void on_sink(pa_context *c, const pa_sink_info *i, int eol, void *ud)
{
    (void)c;
    dev_list *l = ud;
    if (eol)
        pa_threaded_mainloop_signal(l->s->ml, 0);
    else if (i)
        list_add(l, i->name, i->description, false);
}

/* The server's sources or sinks (lock held). */
static bool list_get(session *s, bool input, dev_list *l)
{
    *l = (dev_list){.s = s};
    return finish(s, input ? pa_context_get_source_info_list(s->ctx,
                                                             on_source, l)
                           : pa_context_get_sink_info_list(s->ctx, on_sink,
                                                           l));
}

static void list_free(dev_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->name[i]);
        free(l->desc[i]);
    }
    l->n = 0;
}

static bool contains(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return true;
    return n == 0;
}

int lm_pulse_pick(const char *const *names, const char *const *descs,
                  size_t n, const char *want)
{
    int piece = -1;
    for (size_t i = 0; i < n; i++) {
        if (!names[i])
            continue;
        if (strcmp(names[i], want) == 0)
            return (int)i;
        const char *d = descs && descs[i] ? descs[i] : "";
        if (piece < 0 && (contains(names[i], want) || contains(d, want)))
            piece = (int)i;
    }
    return piece;
}

/* ---- streams ----------------------------------------------------------- */

static void on_stream(pa_stream *st, void *ud)
{
    lm_audio_dev *d = ud;
    if (!PA_STREAM_IS_GOOD(pa_stream_get_state(st)))
        lm_sndring_fail(d->ring);
    pa_threaded_mainloop_signal(d->s.ml, 0);
}

static void on_xrun(pa_stream *st, void *ud)
{
    (void)st;
    lm_audio_dev *d = ud;
    atomic_fetch_add_explicit(&d->xruns, 1, memory_order_relaxed);
}

static void ask_realtime(lm_audio_dev *d)
{
    if (d->rt_asked)
        return;
    d->rt_asked = true;
    struct sched_param sp = {.sched_priority = LOOP_RT_PRIORITY};
    (void)pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
}

/* The server has sound for us: all of it into the ring. */
static void on_read(pa_stream *st, size_t nbytes, void *ud)
{
    (void)nbytes;
    lm_audio_dev *d = ud;
    ask_realtime(d);
    while (pa_stream_readable_size(st) > 0) {
        const void *p;
        size_t n;
        if (pa_stream_peek(st, &p, &n) < 0 || n == 0)
            return;
        if (p) /* NULL: a hole in the stream, nothing to hear */
            lm_sndring_capture_wake(d->ring, p, n / 2);
        pa_stream_drop(st);
    }
}

/* The server wants nbytes: from the ring, silence for what it lacks. */
static void on_write(pa_stream *st, size_t nbytes, void *ud)
{
    lm_audio_dev *d = ud;
    ask_realtime(d);
    while (nbytes >= 2) {
        void *buf = NULL;
        size_t n = nbytes;
        if (pa_stream_begin_write(st, &buf, &n) < 0 || !buf || n < 2)
            return;
        if (n > nbytes)
            n = nbytes;
        n &= ~(size_t)1;
        lm_sndring_play(d->ring, buf, n / 2);
        if (pa_stream_write(st, buf, n, NULL, 0, PA_SEEK_RELATIVE) < 0)
            return;
        nbytes -= n;
    }
}

static void pulse_close(lm_audio_dev *d)
{
    if (!d)
        return;
    if (d->st) {
        pa_threaded_mainloop_lock(d->s.ml);
        pa_stream_set_state_callback(d->st, NULL, NULL);
        pa_stream_set_read_callback(d->st, NULL, NULL);
        pa_stream_set_write_callback(d->st, NULL, NULL);
        pa_stream_set_overflow_callback(d->st, NULL, NULL);
        pa_stream_set_underflow_callback(d->st, NULL, NULL);
        pa_stream_disconnect(d->st);
        pa_threaded_mainloop_unlock(d->s.ml);
    }
    sess_close(&d->s); /* the loop stops: no callback runs after this */
    if (d->st)
        pa_stream_unref(d->st);
    if (d->ring) {
        lm_sndring_stats st;
        lm_sndring_stats_get(d->ring, &st);
        uint64_t x = atomic_load(&d->xruns);
        if (st.overrun || st.underrun || st.trimmed || st.stalls || x)
            fprintf(stderr, "lanmeet: %s '%s': %llu samples lost to a full "
                    "ring, %llu of silence, %llu trimmed, %llu stalls, %llu "
                    "server xruns\n", d->input ? "microphone" : "speaker",
                    d->name, (unsigned long long)st.overrun,
                    (unsigned long long)st.underrun,
                    (unsigned long long)st.trimmed,
                    (unsigned long long)st.stalls, (unsigned long long)x);
    }
    lm_sndring_free(d->ring);
    free(d);
}

static int pulse_read(lm_audio_dev *d, int16_t *pcm, size_t n)
{
    int rc = lm_sndring_read(d->ring, pcm, n);
    if (rc == 0 && lm_sndring_stalled(d->ring)) {
        /* a slow server or a gone one: only the stream can tell */
        pa_threaded_mainloop_lock(d->s.ml);
        bool up = pa_stream_get_state(d->st) == PA_STREAM_READY;
        pa_threaded_mainloop_unlock(d->s.ml);
        if (!up)
            rc = LM_EIO;
    }
    return rc;
}

static int pulse_write(lm_audio_dev *d, const int16_t *pcm, size_t n)
{
    return lm_sndring_write(d->ring, pcm, n);
}

static const lm_audio_io_ops pulse_mic_ops = {
    .name = "pulse", .paced = true, .read = pulse_read, .close = pulse_close,
};
static const lm_audio_io_ops pulse_speaker_ops = {
    .name = "pulse", .paced = false, .write = pulse_write,
    .close = pulse_close,
};

static uint32_t ms_bytes(double ms)
{
    return (uint32_t)(ms * BYTES_PER_MS + 0.5) & ~1u;
}

/* The server's name for what `name` means (lock held): NULL for its
 * default, or a copy in out; false with a sentence when none matches. */
static bool resolve(session *s, const char *name, bool input, char *out,
                    size_t outcap, char *why, size_t cap)
{
    const char *what = input ? "microphone" : "speaker";
    out[0] = '\0';
    if (!name || !*name)
        return true;
    dev_list l;
    if (!list_get(s, input, &l)) {
        list_free(&l);
        snprintf(why, cap, "the sound server does not list its %ss", what);
        return false;
    }
    int i = lm_pulse_pick((const char *const *)l.name,
                          (const char *const *)l.desc, l.n, name);
    if (i >= 0)
        snprintf(out, outcap, "%s", l.name[i]);
    else
        snprintf(why, cap, "the sound server has no %s called '%s' (see "
                 "--list-devices)", what, name);
    list_free(&l);
    return i >= 0;
}

/* Lock held: the stream connected and running, or a code. */
static int open_stream(lm_audio_dev *d, const char *dev, char *why,
                       size_t cap)
{
    static const pa_sample_spec ss = {PA_SAMPLE_S16LE, RATE, 1};
    pa_channel_map map;
    pa_channel_map_init_mono(&map);
    d->st = pa_stream_new(d->s.ctx, d->input ? "microphone" : "speaker",
                          &ss, &map);
    if (!d->st) {
        snprintf(why, cap, "out of memory");
        return LM_ENOMEM;
    }
    pa_stream_set_state_callback(d->st, on_stream, d);
    pa_stream_flags_t fl = PA_STREAM_ADJUST_LATENCY;
    pa_buffer_attr at = {.maxlength = (uint32_t)-1, .tlength = (uint32_t)-1,
                         .prebuf = (uint32_t)-1, .minreq = (uint32_t)-1,
                         .fragsize = (uint32_t)-1};
    int rc;
    if (d->input) {
        at.fragsize = ms_bytes(CAP_FRAG_MS);
        at.maxlength = ms_bytes(CAP_MAX_MS);
        pa_stream_set_read_callback(d->st, on_read, d);
        pa_stream_set_overflow_callback(d->st, on_xrun, d);
        rc = pa_stream_connect_record(d->st, dev, &at, fl);
    } else {
        at.tlength = ms_bytes(PLAY_TLEN_MS);
        at.minreq = ms_bytes(PLAY_MINREQ_MS);
        at.prebuf = at.minreq;
        pa_stream_set_write_callback(d->st, on_write, d);
        pa_stream_set_underflow_callback(d->st, on_xrun, d);
        rc = pa_stream_connect_playback(d->st, dev, &at, fl, NULL, NULL);
    }
    pa_stream_state_t st = PA_STREAM_FAILED;
    if (rc == 0)
        while ((st = pa_stream_get_state(d->st)) == PA_STREAM_CREATING)
            pa_threaded_mainloop_wait(d->s.ml);
    if (st != PA_STREAM_READY) {
        snprintf(why, cap, "'%s' does not open: %s", d->name,
                 pa_strerror(pa_context_errno(d->s.ctx)));
        return LM_EIO;
    }
    return 0;
}

static int open_dir(const char *name, bool input, lm_audio_io *out,
                    char *why, size_t cap)
{
    out->ops = NULL;
    out->dev = NULL;
    lm_audio_dev *d = calloc(1, sizeof *d);
    if (!d || !(d->ring = lm_sndring_new(RING_SAMPLES))) {
        free(d);
        snprintf(why, cap, "out of memory");
        return LM_ENOMEM;
    }
    d->input = input;
    int rc = sess_open(&d->s, why, cap);
    if (rc < 0) {
        pulse_close(d);
        return rc;
    }
    char dev[sizeof d->name];
    if (!resolve(&d->s, name, input, dev, sizeof dev, why, cap)) {
        pa_threaded_mainloop_unlock(d->s.ml);
        pulse_close(d);
        return LM_ENOTFOUND;
    }
    snprintf(d->name, sizeof d->name, "%s", dev[0] ? dev : "default");
    rc = open_stream(d, dev[0] ? dev : NULL, why, cap);
    pa_threaded_mainloop_unlock(d->s.ml);
    if (rc < 0) {
        pulse_close(d);
        return rc;
    }
    *out = (lm_audio_io){input ? &pulse_mic_ops : &pulse_speaker_ops, d};
    return 0;
}

int lm_pulse_mic(const char *name, lm_audio_io *out, char *why, size_t cap)
{
    return open_dir(name, true, out, why, cap);
}

int lm_pulse_speaker(const char *name, lm_audio_io *out, char *why,
                     size_t cap)
{
    return open_dir(name, false, out, why, cap);
}

/* ---- listing ----------------------------------------------------------- */

typedef struct defaults {
    session *s;
    char source[128], sink[128];
} defaults;

static void on_server(pa_context *c, const pa_server_info *i, void *ud)
{
    (void)c;
    defaults *df = ud;
    if (i) {
        snprintf(df->source, sizeof df->source, "%s",
                 i->default_source_name ? i->default_source_name : "");
        snprintf(df->sink, sizeof df->sink, "%s",
                 i->default_sink_name ? i->default_sink_name : "");
    }
    pa_threaded_mainloop_signal(df->s->ml, 0);
}

static int list_dir(FILE *f, session *s, bool input, const char *def)
{
    dev_list l;
    fprintf(f, "%s (sound server):\n", input ? "microphones" : "speakers");
    bool ok = list_get(s, input, &l);
    for (size_t i = 0; i < l.n; i++)
        fprintf(f, "    %c pulse:%s  [%s%s]\n",
                strcmp(l.name[i], def) == 0 ? '*' : ' ', l.name[i],
                l.desc[i], l.monitor[i] ? ", what a speaker plays" : "");
    if (!l.n)
        fprintf(f, "  %s\n", ok ? "none" : "(the server did not say)");
    int n = (int)l.n;
    list_free(&l);
    return n;
}

int lm_pulse_list(FILE *f)
{
    session s;
    char why[128];
    if (sess_open(&s, why, sizeof why) < 0)
        return LM_ENOTFOUND;
    defaults df = {.s = &s};
    finish(&s, pa_context_get_server_info(s.ctx, on_server, &df));
    int n = list_dir(f, &s, true, df.source);
    n += list_dir(f, &s, false, df.sink);
    pa_threaded_mainloop_unlock(s.ml);
    sess_close(&s);
    return n;
}
