/* adapt.c - quality, rate and size for one viewer (adapt.h). */
#include "adapt.h"

#include <string.h>

#include "video_wire.h"

#define RATE_STEPS 2 /* 1/1, 1/2, 1/3 of the rate asked for */
#define SIZE_STEPS 2 /* 1/1, 1/2, 1/4 of the size asked for */

void lm_adapt_config_default(lm_adapt_config *c)
{
    *c = (lm_adapt_config){
        .quality_max = 75, .quality_min = 30, .quality_step = 15,
        .clean_pm = 5, .mild_pm = 30, .severe_pm = 200,
        .queue_clean_us = 10000, .queue_mild_us = 20000,
        .queue_severe_us = 80000,
        .mild_hold_us = 3000000, .severe_hold_us = 1000000,
        .cpu_hold_us = 3000000, .up_hold_us = 5000000,
        .up_every_us = 1000000, .probe_us = 3000000,
        .up_hold_max_us = 60000000,
    };
}

void lm_adapt_init(lm_adapt *a, const lm_adapt_config *cfg, uint16_t w,
                   uint16_t h, uint8_t fps)
{
    memset(a, 0, sizeof *a);
    if (cfg)
        a->cfg = *cfg;
    else
        lm_adapt_config_default(&a->cfg);
    if (a->cfg.quality_min > a->cfg.quality_max)
        a->cfg.quality_min = a->cfg.quality_max;
    if (a->cfg.quality_step == 0)
        a->cfg.quality_step = 1;
    a->mild_since = a->severe_since = a->cpu_since = a->clean_since = -1;
    a->last_up = a->last_down = -1;
    a->up_hold = a->cfg.up_hold_us;
    lm_adapt_ask(a, w, h, fps);
}

void lm_adapt_ask(lm_adapt *a, uint16_t w, uint16_t h, uint8_t fps)
{
    a->ask_w = w;
    a->ask_h = h;
    a->ask_fps = fps ? fps : 1;
}

static unsigned q_steps(const lm_adapt *a)
{
    unsigned span = a->cfg.quality_max - a->cfg.quality_min;
    return (span + a->cfg.quality_step - 1) / a->cfg.quality_step;
}

/* Sizes halve while they stay at least the protocol's smallest. */
static unsigned s_steps(const lm_adapt *a)
{
    unsigned n = 0;
    while (n < SIZE_STEPS && (a->ask_w >> (n + 1)) >= LM_VIDEO_W_MIN &&
           (a->ask_h >> (n + 1)) >= LM_VIDEO_H_MIN)
        n++;
    return n;
}

void lm_adapt_current(const lm_adapt *a, lm_adapt_target *out)
{
    int q = a->cfg.quality_max - (int)(a->q * a->cfg.quality_step);
    out->quality = (uint8_t)(q < a->cfg.quality_min ? a->cfg.quality_min : q);
    unsigned div = a->f + 1;
    out->fps = (uint8_t)((a->ask_fps + div - 1) / div);
    unsigned s = a->s < s_steps(a) ? a->s : s_steps(a);
    out->w = (uint16_t)((a->ask_w >> s) & ~1u);
    out->h = (uint16_t)((a->ask_h >> s) & ~1u);
}

/* Since when a condition holds: kept while it lasts, from the start of
 * the report that first shows it, -1 when it ends. */
static void track(int64_t *since, bool on, int64_t start)
{
    if (!on)
        *since = -1;
    else if (*since < 0)
        *since = start;
}

static bool held(int64_t since, int64_t now, int64_t hold)
{
    return since >= 0 && now - since >= hold;
}

static bool step_down(lm_adapt *a, bool severe, bool cpu)
{
    unsigned ss = s_steps(a);
    if (cpu) {
        if (a->f < RATE_STEPS)
            return a->f++, true;
        if (a->s < ss)
            return a->s++, true;
        return false;
    }
    if (a->q < q_steps(a)) {
        if (severe)
            a->q = q_steps(a);
        else
            a->q++;
        return true;
    }
    if (!severe)
        return false;
    if (a->f < RATE_STEPS)
        return a->f++, true;
    if (a->s < ss)
        return a->s++, true;
    return false;
}

static bool step_up(lm_adapt *a)
{
    if (a->q > 0)
        return a->q--, true;
    if (a->f > 0)
        return a->f--, true;
    if (a->s > 0)
        return a->s--, true;
    return false;
}

lm_adapt_change lm_adapt_on_report(lm_adapt *a, const lm_adapt_report *r,
                                int64_t now)
{
    const lm_adapt_config *c = &a->cfg;
    int64_t start = now - (int64_t)r->period_ms * 1000;
    unsigned pm = r->expected
                      ? (unsigned)((uint64_t)r->lost * 1000 / r->expected)
                      : 0;
    bool blackout = r->sent_frames > 0 && r->frames == 0;
    bool cpu = r->budget_us && r->decode_us > r->budget_us;
    bool severe = blackout || pm >= c->severe_pm ||
                  r->queue_us >= c->queue_severe_us;
    bool mild = severe || pm >= c->mild_pm || r->queue_us >= c->queue_mild_us;
    bool clean = !blackout && !cpu && pm <= c->clean_pm &&
                 r->queue_us < c->queue_clean_us;
    track(&a->severe_since, severe, start);
    track(&a->mild_since, mild, start);
    track(&a->cpu_since, cpu, start);
    track(&a->clean_since, clean, start);

    /* a rise is judged once probe_us has passed without a fall */
    if (a->probe_open && now - a->last_up >= c->probe_us) {
        a->probe_open = false;
        a->up_hold /= 2;
        if (a->up_hold < c->up_hold_us)
            a->up_hold = c->up_hold_us;
    }

    bool down = false;
    if (held(a->cpu_since, now, c->cpu_hold_us))
        down = step_down(a, false, true);
    if (!down && held(a->severe_since, now, c->severe_hold_us))
        down = step_down(a, true, false);
    if (!down && held(a->mild_since, now, c->mild_hold_us))
        down = step_down(a, false, false);
    if (down) {
        if (a->probe_open && now - a->last_up < c->probe_us) {
            a->up_hold *= 2; /* the rise overshot */
            if (a->up_hold > c->up_hold_max_us)
                a->up_hold = c->up_hold_max_us;
        }
        a->probe_open = false;
        a->last_down = now;
        /* the next step needs the condition to last again */
        if (a->mild_since >= 0)
            a->mild_since = now;
        if (a->severe_since >= 0)
            a->severe_since = now;
        if (a->cpu_since >= 0)
            a->cpu_since = now;
        a->downs++;
        return LM_ADAPT_DOWN;
    }
    if (!clean || now - a->clean_since < a->up_hold)
        return LM_ADAPT_HOLD;
    if (a->last_up >= a->clean_since && now - a->last_up < c->up_every_us)
        return LM_ADAPT_HOLD;
    if (!step_up(a))
        return LM_ADAPT_HOLD;
    a->last_up = now;
    a->probe_open = true;
    a->ups++;
    return LM_ADAPT_UP;
}
