/* audiodev.c - WAV files, synthetic sources and sound devices behind
 * lm_audio_io, chosen by a spec string (audiodev.h). */
#include "audiodev.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "portaudio.h"
#include "pulse.h"
#include "synth.h"
#include "wav.h"

/* Each backend's lm_audio_dev is its own object, passed back as is. */
static lm_audio_dev *as_dev(void *p) { return p; }

static int wav_in(lm_audio_dev *d, int16_t *pcm, size_t n)
{
    return lm_wav_read((lm_wav_reader *)(void *)d, pcm, n);
}

static void wav_in_close(lm_audio_dev *d)
{
    lm_wav_close((lm_wav_reader *)(void *)d);
}

static const lm_audio_io_ops wav_mic = {
    .name = "wav", .paced = false, .read = wav_in, .close = wav_in_close,
};

static int synth_in(lm_audio_dev *d, int16_t *pcm, size_t n)
{
    lm_synth_read((lm_synth *)(void *)d, pcm, n);
    return 0;
}

static void synth_close(lm_audio_dev *d)
{
    lm_synth_free((lm_synth *)(void *)d);
}

static const lm_audio_io_ops synth_mic = {
    .name = "synth", .paced = false, .read = synth_in, .close = synth_close,
};

static int wav_out(lm_audio_dev *d, const int16_t *pcm, size_t n)
{
    int rc = lm_wav_write((lm_wav_writer *)(void *)d, pcm, n);
    return rc == LM_ETOOBIG ? 0 : rc; /* a full file just stops growing */
}

static void wav_out_close(lm_audio_dev *d)
{
    lm_wav_finish((lm_wav_writer *)(void *)d);
}

static const lm_audio_io_ops wav_speaker = {
    .name = "wav", .paced = false, .write = wav_out, .close = wav_out_close,
};

lm_audiodev_backend lm_audiodev_route(const char *spec, const char **name)
{
    if (strcmp(spec, "auto") == 0) {
        *name = "";
        return LM_AUDIODEV_EITHER;
    }
    const char *n = strncmp(spec, "dev:", 4) == 0 ? spec + 4 : spec;
    if (strcmp(n, "pulse") == 0 || strncmp(n, "pulse:", 6) == 0) {
        *name = n[5] ? n + 6 : "";
        return LM_AUDIODEV_PULSE;
    }
    if (strncmp(n, "portaudio:", 10) == 0) {
        *name = n + 10;
        return LM_AUDIODEV_PORTAUDIO;
    }
    *name = n;
    bool digits = *n != '\0';
    for (const char *c = n; *c; c++)
        digits = digits && *c >= '0' && *c <= '9';
    /* an index is a place in PortAudio's list (the server's own indices
     * change as devices come and go) */
    return digits ? LM_AUDIODEV_PORTAUDIO : LM_AUDIODEV_EITHER;
}

/* A sound device as lm_audiodev_route tells. Either backend: the sound
 * server when one answers and has the device, else PortAudio ("auto"
 * finding neither is not an error: why says so). */
static int open_sound(const char *spec, bool input, lm_audio_io *out,
                      char *why, size_t cap)
{
    const char *name;
    lm_audiodev_backend b = lm_audiodev_route(spec, &name);
    int rc = LM_ENOTFOUND;
    char first[256] = "";
    if (b != LM_AUDIODEV_PORTAUDIO) {
        rc = input ? lm_pulse_mic(name, out, why, cap)
                   : lm_pulse_speaker(name, out, why, cap);
        if (rc == 0 || b == LM_AUDIODEV_PULSE)
            return rc;
        snprintf(first, sizeof first, "%s", why);
    }
    rc = input ? lm_portaudio_mic(name, out, why, cap)
               : lm_portaudio_speaker(name, out, why, cap);
    if (rc < 0 && first[0]) {
        char pa[256];
        snprintf(pa, sizeof pa, "%s", why);
        snprintf(why, cap, "%s; %s", first, pa);
    }
    if (strcmp(spec, "auto") == 0 && rc == LM_ENOTFOUND)
        return 0; /* no sound card: why says so */
    return rc;
}

static bool is_sound(const char *spec)
{
    return strncmp(spec, "dev:", 4) == 0 || strcmp(spec, "auto") == 0;
}

void lm_audiodev_defaults(const char **mic, const char **speaker)
{
    if (!*mic && !*speaker) {
        *mic = *speaker = "auto";
        return;
    }
    if (!*mic && is_sound(*speaker))
        *mic = "auto";
    if (!*speaker && is_sound(*mic))
        *speaker = "auto";
}

int lm_audiodev_list(FILE *f)
{
    int np = lm_pulse_list(f);
    if (np < 0)
        fprintf(f, "sound server: none answers\n");
    int rc = lm_portaudio_list(f);
    if (np >= 0 && rc < 0)
        rc = 0;
    return rc < 0 ? LM_EIO : 0;
}

int lm_audiodev_mic(const char *spec, lm_audio_io *out, char *why,
                    size_t cap)
{
    out->ops = NULL;
    out->dev = NULL;
    if (strcmp(spec, "none") == 0)
        return 0;
    if (is_sound(spec))
        return open_sound(spec, true, out, why, cap);
    if (strncmp(spec, "file:", 5) == 0) {
        lm_wav_reader *r;
        int rc = lm_wav_open(spec + 5, &r, why, cap);
        if (rc < 0)
            return rc;
        *out = (lm_audio_io){&wav_mic, as_dev(r)};
        return 0;
    }
    lm_synth_config sc;
    lm_synth *s = NULL;
    if (lm_synth_parse(spec, &sc) < 0 || lm_synth_new(&sc, &s) < 0) {
        snprintf(why, cap, "'%s' is not a synthetic source: give silence, "
                 "tone:HZ[:AMP] or impulse:PERIOD_MS[:PHASE_MS[:AMP]] (a WAV "
                 "file goes with --mic-file)", spec);
        return LM_EINVAL;
    }
    *out = (lm_audio_io){&synth_mic, as_dev(s)};
    return 0;
}

int lm_audiodev_speaker(const char *spec, lm_audio_io *out, char *why,
                        size_t cap)
{
    out->ops = NULL;
    out->dev = NULL;
    if (strcmp(spec, "none") == 0)
        return 0;
    if (is_sound(spec))
        return open_sound(spec, false, out, why, cap);
    if (strncmp(spec, "file:", 5) != 0) {
        snprintf(why, cap, "'%s' is not a speaker: give file:PATH.wav",
                 spec);
        return LM_EINVAL;
    }
    lm_wav_writer *w;
    int rc = lm_wav_create(spec + 5, &w, why, cap);
    if (rc < 0)
        return rc;
    *out = (lm_audio_io){&wav_speaker, as_dev(w)};
    return 0;
}
