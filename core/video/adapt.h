/* adapt.h - how well to send to one viewer: quality, rate and size from
 * what the viewer reports.
 *
 * A sender keeps one controller per viewer, so a viewer on a thin link
 * gets a smaller or slower picture while the others keep full quality.
 * Each REPORT (video_wire.h, about once a second) is classed:
 *   clean   loss <= clean_pm and queueing delay < queue_clean_us and
 *           decoding within budget;
 *   mild    loss >= mild_pm or queueing >= queue_mild_us;
 *   severe  loss >= severe_pm or queueing >= queue_severe_us, or the
 *           sender sent frames and none was shown (nothing got through);
 *   cpu     decoding over the viewer's budget;
 *   neither, in between: nothing moves (the band between clean and mild
 *           is the hysteresis that keeps it from see-sawing).
 * Loss counts bands (late ones are already lost: their frame was shown
 * healed), so it is what the viewer saw. A condition counts from the
 * start of the first report showing it, and acts when it has lasted:
 *   mild for mild_hold_us     quality one step lower (not below the floor;
 *                             loss that lowering quality does not cure,
 *                             such as a noisy radio, leaves rate and size
 *                             alone: they would cost more than they save)
 *   severe for severe_hold_us quality to the floor at once, then the rate
 *                             (1/2, then 1/3), then the size (1/2, 1/4)
 *   cpu for cpu_hold_us       the rate, then the size (quality costs the
 *                             decoder little)
 * one step per hold, each step restarting the hold. After up_hold_us of
 * clean reports it raises one step, then one per up_every_us while clean:
 * quality first (the smallest increase in bytes), then rate, then size.
 * A step down within probe_us of a rise means the rise overshot: the
 * next wait doubles (up to up_hold_max_us); a rise that holds halves it
 * back towards up_hold_us.
 *
 * Pure: a plain value, times passed in; one thread (the net thread). */
#ifndef LM_VIDEO_ADAPT_H
#define LM_VIDEO_ADAPT_H

#include <stdbool.h>
#include <stdint.h>

typedef struct lm_adapt_config {
    uint8_t quality_max, quality_min, quality_step; /* 75, 30, 15 */
    unsigned clean_pm, mild_pm, severe_pm;          /* 5, 30, 200 per mille */
    uint32_t queue_clean_us, queue_mild_us, queue_severe_us; /* 10/20/80 ms */
    int64_t mild_hold_us;   /* 3 s */
    int64_t severe_hold_us; /* 1 s */
    int64_t cpu_hold_us;    /* 3 s */
    int64_t up_hold_us;     /* 5 s */
    int64_t up_every_us;    /* 1 s */
    int64_t probe_us;       /* 3 s */
    int64_t up_hold_max_us; /* 60 s */
} lm_adapt_config;

void lm_adapt_config_default(lm_adapt_config *c);

/* One report, as the viewer sent it, plus the sender's own count. */
typedef struct lm_adapt_report {
    uint32_t period_ms;   /* what it covers */
    uint32_t expected, lost;
    uint32_t frames;      /* shown by the viewer */
    uint32_t sent_frames; /* the sender's count for this viewer in the
                             period; 0 when not known */
    uint32_t decode_us, budget_us, queue_us;
} lm_adapt_report;

typedef struct lm_adapt_target {
    uint8_t quality;
    uint8_t fps;
    uint16_t w, h;
} lm_adapt_target;

typedef enum lm_adapt_change {
    LM_ADAPT_HOLD = 0,
    LM_ADAPT_DOWN,
    LM_ADAPT_UP,
} lm_adapt_change;

typedef struct lm_adapt {
    lm_adapt_config cfg;
    uint16_t ask_w, ask_h; /* what the viewer asked for */
    uint8_t ask_fps;
    unsigned q, f, s;      /* steps down: quality, rate, size */
    int64_t mild_since, severe_since, cpu_since, clean_since; /* -1: not */
    int64_t last_up, last_down; /* -1: never */
    bool probe_open;       /* the last rise is not judged yet */
    int64_t up_hold;       /* the wait before rising now */
    uint64_t downs, ups;
} lm_adapt;

/* cfg NULL: the defaults. The viewer asked for w x h at fps. */
void lm_adapt_init(lm_adapt *a, const lm_adapt_config *cfg, uint16_t w,
                   uint16_t h, uint8_t fps);
/* The viewer asked again (a new tile size): the steps stay. */
void lm_adapt_ask(lm_adapt *a, uint16_t w, uint16_t h, uint8_t fps);
/* A report that came at now_us (its period ended then). */
lm_adapt_change lm_adapt_on_report(lm_adapt *a, const lm_adapt_report *r,
                                int64_t now_us);
/* What to send now: size even and at least 16x16, fps at least 1. */
void lm_adapt_current(const lm_adapt *a, lm_adapt_target *out);

#endif
