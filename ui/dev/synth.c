/* synth.c - synthetic sources: tone, impulse train, silence.
 *
 * Everything is a function of the sample index t (a 64-bit counter), never
 * of a running phase added up sample by sample, so hours of output land
 * exactly where arithmetic says. */
#include "synth.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

#define MAX_PARAMS 3
#define TWO_PI 6.283185307179586

struct lm_synth {
    lm_synth_config cfg;
    uint64_t t;      /* samples made so far */
    uint64_t period; /* impulse: samples between clicks */
    uint64_t phase;  /* impulse: sample of the first click */
    double peak;     /* amplitude in int16 units */
};

/* Up to MAX_PARAMS numbers after "name:"; returns how many, -1 on junk. */
static int numbers(const char *p, double *v)
{
    int n = 0;

    if (*p == '\0')
        return 0;
    if (*p++ != ':')
        return -1;
    for (;;) {
        char *end;
        if (n == MAX_PARAMS)
            return -1;
        v[n++] = strtod(p, &end);
        if (end == p || (*end != ':' && *end != '\0'))
            return -1;
        if (*end == '\0')
            return n;
        p = end + 1;
    }
}

int lm_synth_parse(const char *text, lm_synth_config *cfg)
{
    double v[MAX_PARAMS];
    lm_synth_config c = {0};
    int n;

    if (!text || !cfg)
        return LM_EINVAL;
    if (strcmp(text, "silence") == 0) {
        c.kind = LM_SYNTH_SILENCE;
    } else if (strncmp(text, "tone", 4) == 0) {
        if ((n = numbers(text + 4, v)) < 1 || n > 2)
            return LM_EINVAL;
        c.kind = LM_SYNTH_TONE;
        c.freq_hz = v[0];
        c.amplitude = n > 1 ? v[1] : 0.5;
    } else if (strncmp(text, "impulse", 7) == 0) {
        if ((n = numbers(text + 7, v)) < 1)
            return LM_EINVAL;
        c.kind = LM_SYNTH_IMPULSE;
        c.period_ms = v[0];
        c.phase_ms = n > 1 ? v[1] : 0;
        c.amplitude = n > 2 ? v[2] : 0.9;
    } else {
        return LM_EINVAL;
    }
    *cfg = c;
    return 0;
}

/* ms to whole samples at 48 kHz, rounded; -1 when out of range. */
static int64_t to_samples(double ms)
{
    double s = ms * (LM_SYNTH_RATE / 1000.0);

    if (!(s >= 0) || s > 1e15) /* also NaN */
        return -1;
    return (int64_t)llround(s);
}

int lm_synth_new(const lm_synth_config *cfg, lm_synth **out)
{
    lm_synth *s;
    int64_t period = 0, phase = 0;

    if (!out)
        return LM_EINVAL;
    *out = NULL;
    if (!cfg || !(cfg->amplitude >= 0 && cfg->amplitude <= 1))
        return LM_EINVAL;
    switch (cfg->kind) {
    case LM_SYNTH_SILENCE: break;
    case LM_SYNTH_TONE:
        if (!(cfg->freq_hz > 0 && cfg->freq_hz < LM_SYNTH_RATE / 2))
            return LM_EINVAL;
        break;
    case LM_SYNTH_IMPULSE:
        period = to_samples(cfg->period_ms);
        phase = to_samples(cfg->phase_ms);
        if (period <= LM_SYNTH_CLICK || phase < 0 || phase >= period)
            return LM_EINVAL;
        break;
    default: return LM_EINVAL;
    }
    if (!(s = calloc(1, sizeof *s)))
        return LM_ENOMEM;
    s->cfg = *cfg;
    s->period = (uint64_t)period;
    s->phase = (uint64_t)phase;
    s->peak = cfg->amplitude * 32767.0;
    *out = s;
    return 0;
}

/* The tone's phase at sample t, in cycles [0, 1): whole seconds and the
 * rest apart, so an integer frequency is exact however large t grows. */
static double tone_cycles(double f, uint64_t t)
{
    double whole = fmod(f * (double)(t / LM_SYNTH_RATE), 1.0);
    double part = f * (double)(t % LM_SYNTH_RATE) / LM_SYNTH_RATE;

    return fmod(whole + part, 1.0);
}

void lm_synth_read(lm_synth *s, int16_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++, s->t++) {
        double v = 0;
        switch (s->cfg.kind) {
        case LM_SYNTH_TONE:
            v = s->peak * sin(TWO_PI * tone_cycles(s->cfg.freq_hz, s->t));
            break;
        case LM_SYNTH_IMPULSE:
            if (s->t >= s->phase &&
                (s->t - s->phase) % s->period < LM_SYNTH_CLICK)
                v = s->peak;
            break;
        case LM_SYNTH_SILENCE: break;
        }
        out[i] = (int16_t)lrint(v);
    }
}

uint64_t lm_synth_position(const lm_synth *s)
{
    return s->t;
}

uint64_t lm_synth_period(const lm_synth *s)
{
    return s->period;
}

uint64_t lm_synth_phase(const lm_synth *s)
{
    return s->phase;
}

void lm_synth_free(lm_synth *s)
{
    free(s);
}
