/* portaudio.c - PortAudio streams behind lm_audio_io; see portaudio.h. */
#define _POSIX_C_SOURCE 200809L
#include "portaudio.h"

#include <fcntl.h>
#include <pa_linux_alsa.h>
#include <portaudio.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#ifdef LM_HAVE_ALSA
#include <alsa/asoundlib.h>
#endif

#include "err.h"
#include "sndring.h"

#define RATE 48000
#define RING_SAMPLES 16384 /* 341 ms: far more than any frame or period */
#define CHUNK 256          /* stereo conversion, on the callback's stack */
/* The most latency a stream asks for: ALSA's pulse PCM says 8.7 ms is its
 * "low", but takes 5 ms and then loops a_mic to a_out in 11.7 ms instead
 * of 17.6 (2.5 ms: 10.8, 1 ms: 10.7; tests/bench/rig/run.sh --route); a
 * card that cannot go this low gets its own lowest (PortAudio rounds up) */
#define LOW_LATENCY_S 0.005

struct lm_audio_dev {
    PaStream *stream;
    lm_sndring *ring;
    bool input;
    int channels; /* 1, or 2 for a card that only opens in stereo */
    atomic_uint_least64_t xruns; /* the host API's own over/underflows */
    char name[128];
};

#ifdef LM_HAVE_ALSA
/* ALSA speaks on stderr about every PCM PortAudio probes and cannot open
 * (surround71, dmix on a busy card...): noise for a person, not news. */
static void alsa_quiet(const char *file, int line, const char *fn, int err,
                       const char *fmt, ...)
{
    (void)file, (void)line, (void)fn, (void)err, (void)fmt;
}
#endif

/* PortAudio's JACK host API tells stderr, several lines a probe, that no
 * JACK server runs (the usual case), through libjack's own printer: it is
 * quieted while PortAudio starts, and only then. Returns the saved fd. */
static int hush_stderr(void)
{
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (saved >= 0 && null >= 0)
        dup2(null, STDERR_FILENO);
    if (null >= 0)
        close(null);
    return saved;
}

static void unhush_stderr(int saved)
{
    if (saved < 0)
        return;
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
}

/* One start_pa each. The last one also lets ALSA free the configuration
 * it caches for the process (PortAudio leaves it), so a leak checker sees
 * nothing of ours. */
static int pa_users; /* start_pa calls not yet stopped (portaudio.h: one
                        thread at a time opens and closes) */

static void stop_pa(void)
{
    Pa_Terminate();
    if (--pa_users > 0)
        return;
#ifdef LM_HAVE_ALSA
    snd_config_update_free_global();
#endif
}

static int start_pa(char *why, size_t cap)
{
#ifdef LM_HAVE_ALSA
    snd_lib_error_set_handler(alsa_quiet);
#endif
    /* PortAudio's JACK host API would start a JACK server of its own */
    setenv("JACK_NO_START_SERVER", "1", 0);
    int saved = hush_stderr();
    PaError e = Pa_Initialize(); /* counted: one Pa_Terminate per call */
    unhush_stderr(saved);
    if (e != paNoError) {
        snprintf(why, cap, "PortAudio does not start: %s", Pa_GetErrorText(e));
        return LM_EIO;
    }
    pa_users++;
    return 0;
}

static bool all_digits(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

static bool has_dir(const PaDeviceInfo *di, bool input)
{
    return di && (input ? di->maxInputChannels : di->maxOutputChannels) > 0;
}

/* Case-insensitive substring; the names are short. */
static bool contains(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return true;
    return n == 0;
}

/* The device a name means, or paNoDevice with a sentence in why. */
static PaDeviceIndex find_device(const char *name, bool input, char *why,
                                 size_t cap)
{
    const char *what = input ? "microphone" : "speaker";
    int count = Pa_GetDeviceCount();
    if (!name || !*name) {
        PaDeviceIndex d = input ? Pa_GetDefaultInputDevice()
                                : Pa_GetDefaultOutputDevice();
        if (d == paNoDevice)
            snprintf(why, cap, "PortAudio finds no %s", what);
        return d;
    }
    if (all_digits(name)) {
        long i = strtol(name, NULL, 10);
        if (i < count && has_dir(Pa_GetDeviceInfo((PaDeviceIndex)i), input))
            return (PaDeviceIndex)i;
        snprintf(why, cap, "no %s has index %s (see --list-devices)", what,
                 name);
        return paNoDevice;
    }
    PaDeviceIndex piece = paNoDevice;
    for (PaDeviceIndex i = 0; i < count; i++) {
        const PaDeviceInfo *di = Pa_GetDeviceInfo(i);
        if (!has_dir(di, input))
            continue;
        if (strcasecmp(di->name, name) == 0)
            return i;
        if (piece == paNoDevice && contains(di->name, name))
            piece = i;
    }
    if (piece == paNoDevice)
        snprintf(why, cap, "no %s is called '%s' (see --list-devices)", what,
                 name);
    return piece;
}

/* Mixes stereo down or spreads mono out, CHUNK frames at a time: the
 * callback's work. */
static int on_audio(const void *in, void *out, unsigned long frames,
                    const PaStreamCallbackTimeInfo *ti,
                    PaStreamCallbackFlags flags, void *ud)
{
    (void)ti;
    lm_audio_dev *d = ud;
    if (flags & (paInputOverflow | paOutputUnderflow))
        atomic_fetch_add_explicit(&d->xruns, 1, memory_order_relaxed);
    if (d->input) {
        const int16_t *p = in;
        if (!p)
            return paContinue;
        if (d->channels == 1) {
            lm_sndring_capture(d->ring, p, frames);
            return paContinue;
        }
        int16_t mono[CHUNK];
        while (frames > 0) {
            size_t k = frames < CHUNK ? frames : CHUNK;
            for (size_t i = 0; i < k; i++)
                mono[i] = (int16_t)(((int32_t)p[2 * i] + p[2 * i + 1]) / 2);
            lm_sndring_capture(d->ring, mono, k);
            p += 2 * k;
            frames -= k;
        }
        return paContinue;
    }
    int16_t *o = out;
    if (d->channels == 1) {
        lm_sndring_play(d->ring, o, frames);
        return paContinue;
    }
    int16_t mono[CHUNK];
    while (frames > 0) {
        size_t k = frames < CHUNK ? frames : CHUNK;
        lm_sndring_play(d->ring, mono, k);
        for (size_t i = 0; i < k; i++)
            o[2 * i] = o[2 * i + 1] = mono[i];
        o += 2 * k;
        frames -= k;
    }
    return paContinue;
}

static void pa_close(lm_audio_dev *d)
{
    if (!d)
        return;
    if (d->stream) {
        Pa_StopStream(d->stream); /* returns once the callback is done */
        Pa_CloseStream(d->stream);
    }
    lm_sndring_stats st;
    if (d->ring) {
        lm_sndring_stats_get(d->ring, &st);
        uint64_t x = atomic_load(&d->xruns);
        if (st.overrun || st.underrun || st.trimmed || st.stalls || x)
            fprintf(stderr, "lanmeet: %s '%s': %llu samples lost to a full "
                    "ring, %llu of silence, %llu trimmed, %llu stalls, %llu "
                    "device xruns\n", d->input ? "microphone" : "speaker",
                    d->name, (unsigned long long)st.overrun,
                    (unsigned long long)st.underrun,
                    (unsigned long long)st.trimmed,
                    (unsigned long long)st.stalls, (unsigned long long)x);
    }
    lm_sndring_free(d->ring);
    free(d);
    stop_pa();
}

static int pa_read(lm_audio_dev *d, int16_t *pcm, size_t n)
{
    int rc = lm_sndring_read(d->ring, pcm, n);
    /* a stall is a slow device or a gone one: only the stream can tell */
    if (rc == 0 && lm_sndring_stalled(d->ring) &&
        Pa_IsStreamActive(d->stream) != 1)
        rc = LM_EIO;
    return rc;
}

static int pa_write(lm_audio_dev *d, const int16_t *pcm, size_t n)
{
    return lm_sndring_write(d->ring, pcm, n);
}

static const lm_audio_io_ops pa_mic_ops = {
    .name = "portaudio", .paced = true, .read = pa_read, .close = pa_close,
};
static const lm_audio_io_ops pa_speaker_ops = {
    .name = "portaudio", .paced = false, .write = pa_write, .close = pa_close,
};

/* Mono if the device takes it, else stereo; 0 when neither at 48 kHz. */
static int pick_channels(PaStreamParameters *p, bool input)
{
    const PaDeviceInfo *di = Pa_GetDeviceInfo(p->device);
    int max = input ? di->maxInputChannels : di->maxOutputChannels;
    for (int ch = 1; ch <= 2 && ch <= max; ch++) {
        p->channelCount = ch;
        if (Pa_IsFormatSupported(input ? p : NULL, input ? NULL : p, RATE) ==
            paFormatIsSupported)
            return ch;
    }
    return 0;
}

static int open_dir(const char *name, bool input, lm_audio_io *out,
                    char *why, size_t cap)
{
    out->ops = NULL;
    out->dev = NULL;
    int rc = start_pa(why, cap);
    if (rc < 0)
        return rc;
    lm_audio_dev *d = calloc(1, sizeof *d);
    if (!d || !(d->ring = lm_sndring_new(RING_SAMPLES))) {
        free(d);
        stop_pa();
        snprintf(why, cap, "out of memory");
        return LM_ENOMEM;
    }
    d->input = input;
    PaStreamParameters p = {.device = find_device(name, input, why, cap),
                            .sampleFormat = paInt16};
    if (p.device == paNoDevice) {
        pa_close(d);
        return LM_ENOTFOUND;
    }
    const PaDeviceInfo *di = Pa_GetDeviceInfo(p.device);
    snprintf(d->name, sizeof d->name, "%s", di->name);
    p.suggestedLatency = input ? di->defaultLowInputLatency
                               : di->defaultLowOutputLatency;
    if (p.suggestedLatency > LOW_LATENCY_S)
        p.suggestedLatency = LOW_LATENCY_S;
    if (!(d->channels = pick_channels(&p, input))) {
        snprintf(why, cap, "'%s' does not take 16-bit sound at 48 kHz in "
                 "mono or stereo", di->name);
        pa_close(d);
        return LM_EIO;
    }
    PaError e = Pa_OpenStream(&d->stream, input ? &p : NULL,
                              input ? NULL : &p, RATE,
                              paFramesPerBufferUnspecified, paClipOff,
                              on_audio, d);
    /* ALSA's callback thread runs real-time where allowed, as the audio
     * thread does (core/audio/audio_thread.c says why) */
    const PaHostApiInfo *hi = Pa_GetHostApiInfo(di->hostApi);
    if (e == paNoError && hi && hi->type == paALSA)
        PaAlsa_EnableRealtimeScheduling(d->stream, 1);
    if (e == paNoError && (e = Pa_StartStream(d->stream)) != paNoError) {
        Pa_CloseStream(d->stream);
        d->stream = NULL;
    }
    if (e != paNoError) {
        d->stream = NULL;
        snprintf(why, cap, "'%s' does not open: %s", di->name,
                 Pa_GetErrorText(e));
        pa_close(d);
        return LM_EIO;
    }
    *out = (lm_audio_io){input ? &pa_mic_ops : &pa_speaker_ops, d};
    return 0;
}

int lm_portaudio_mic(const char *name, lm_audio_io *out, char *why,
                     size_t cap)
{
    return open_dir(name, true, out, why, cap);
}

int lm_portaudio_speaker(const char *name, lm_audio_io *out, char *why,
                         size_t cap)
{
    return open_dir(name, false, out, why, cap);
}

static void list_dir(FILE *f, bool input)
{
    PaDeviceIndex def = input ? Pa_GetDefaultInputDevice()
                              : Pa_GetDefaultOutputDevice();
    int count = Pa_GetDeviceCount(), shown = 0;
    fprintf(f, "%s (PortAudio):\n", input ? "microphones" : "speakers");
    for (PaDeviceIndex i = 0; i < count; i++) {
        const PaDeviceInfo *di = Pa_GetDeviceInfo(i);
        if (!has_dir(di, input))
            continue;
        const PaHostApiInfo *hi = Pa_GetHostApiInfo(di->hostApi);
        double low = input ? di->defaultLowInputLatency
                           : di->defaultLowOutputLatency;
        fprintf(f, "  %3d %c %s  [%s, %d ch, %.0f Hz, low latency %.1f ms]\n",
                (int)i, i == def ? '*' : ' ', di->name,
                hi ? hi->name : "?",
                input ? di->maxInputChannels : di->maxOutputChannels,
                di->defaultSampleRate, low * 1000);
        shown++;
    }
    if (!shown)
        fprintf(f, "  none\n");
}

int lm_portaudio_list(FILE *f)
{
    char why[128];
    if (start_pa(why, sizeof why) < 0) {
        fprintf(f, "PortAudio: %s\n", why);
        return LM_EIO;
    }
    list_dir(f, true);
    list_dir(f, false);
    int n = Pa_GetDeviceCount();
    stop_pa();
    return n < 0 ? 0 : n;
}
