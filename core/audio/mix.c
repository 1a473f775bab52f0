/* mix.c - the hub's mix-minus mixer (mix.h): plans, sums and the limiter.
 *
 * The limiter is a per-sample soft-knee curve rather than a gain envelope
 * with instant attack and slow release. Why: groups are re-formed every
 * tick as people start and stop talking (a listener moves from "all
 * speakers" to "all but me" and back), and an envelope's state would have
 * to follow each speaker set or each listener through those moves, or jump
 * when a listener changes group. A curve has no state: a mix depends only
 * on its own inputs, so sharing one mix (one encode) between listeners is
 * exact and regrouping costs nothing. Its price is some waveshaping of the
 * peaks above half full scale, where an envelope would only turn the gain
 * down; speech after automatic gain control (around -20 dBFS) rarely sums
 * that high, and below the knee the mix is bit-exact. Real-time cost: one
 * compare per sample, and a 64-bit division only for samples above the
 * knee. The curve ROOM * d / (d + ROOM) has slope 1 at d = 0, falls off
 * smoothly, and stays below ROOM for every d, so the output never reaches
 * the rail.
 *
 * Sums are exact in 32 bits: 64 members * 32768 = 2^21. */
#include "mix.h"

#include <stdbool.h>
#include <stdlib.h>

#include "err.h"

#define ROOM (32767 - LM_MIX_KNEE) /* what is left above the knee */

struct lm_mix {
    size_t n;                                  /* samples per frame */
    const int16_t *frames[LM_MIX_MAX_MEMBERS]; /* borrowed, this tick */
    uint64_t speakers;                         /* this tick's */
    bool ticking;
    bool have_total; /* total[] holds the sum of all this tick's speakers */
    uint64_t work;   /* frames added or subtracted, ever */
    int32_t total[LM_MIX_MAX_FRAME];
    int32_t acc[LM_MIX_MAX_FRAME];
};

static int count_bits(uint64_t x)
{
    int c = 0;
    for (; x; x &= x - 1)
        c++;
    return c;
}

static int lowest_bit(uint64_t x)
{
    for (int i = 0; i < LM_MIX_MAX_MEMBERS; i++)
        if (x >> i & 1)
            return i;
    return -1;
}

/* ---- planning ---- */

static void add_group(lm_mix_plan *plan, uint64_t speakers, uint64_t listeners,
                      unsigned flags)
{
    lm_mix_group *g = &plan->group[plan->count++];
    g->speakers = speakers;
    g->listeners = listeners;
    g->forward_from = LM_MIX_NO_FORWARD;
    if ((flags & LM_MIX_FORWARD) && count_bits(speakers) == 1)
        g->forward_from = lowest_bit(speakers);
}

void lm_mix_plan_make(lm_mix_plan *plan, uint64_t members, uint64_t speaking,
                      unsigned flags)
{
    uint64_t talk = speaking & members;
    uint64_t quiet = members & ~talk;
    plan->count = 0;
    if (!talk)
        return;
    if (quiet)
        add_group(plan, talk, quiet, flags);
    if (count_bits(talk) < 2)
        return; /* a lone speaker hears nobody */
    /* k speakers, + 1 group only if someone is quiet: at most 64 groups */
    for (int i = 0; i < LM_MIX_MAX_MEMBERS; i++) {
        uint64_t me = (uint64_t)1 << i;
        if (talk & me)
            add_group(plan, talk & ~me, me, flags);
    }
}

int lm_mix_plan_find(const lm_mix_plan *plan, int member)
{
    if (member < 0 || member >= LM_MIX_MAX_MEMBERS)
        return -1;
    for (size_t i = 0; i < plan->count; i++)
        if (plan->group[i].listeners >> member & 1)
            return (int)i;
    return -1;
}

/* ---- the limiter ---- */

static inline int16_t limit_one(int32_t sum)
{
    int64_t mag = sum < 0 ? -(int64_t)sum : (int64_t)sum;
    if (mag <= LM_MIX_KNEE)
        return (int16_t)sum;
    int64_t d = mag - LM_MIX_KNEE;
    /* ROOM * d / (d + ROOM), rounded to nearest: always <= ROOM, since the
     * exact value is below ROOM and rounding adds less than one half */
    int64_t y = LM_MIX_KNEE + (2 * ROOM * d + d + ROOM) / (2 * (d + ROOM));
    return (int16_t)(sum < 0 ? -y : y);
}

int16_t lm_mix_limit(int32_t sum)
{
    return limit_one(sum);
}

/* ---- rendering ---- */

lm_mix *lm_mix_new(size_t frame_samples)
{
    if (frame_samples != 120 && frame_samples != 240 && frame_samples != 480)
        return NULL; /* 2.5, 5 and 10 ms at 48 kHz, the sizes Opus takes */
    lm_mix *m = calloc(1, sizeof *m);
    if (m)
        m->n = frame_samples;
    return m;
}

void lm_mix_free(lm_mix *m)
{
    free(m);
}

size_t lm_mix_frame_samples(const lm_mix *m)
{
    return m->n;
}

uint64_t lm_mix_work(const lm_mix *m)
{
    return m->work;
}

int lm_mix_begin(lm_mix *m, const int16_t *const frames[LM_MIX_MAX_MEMBERS],
                 uint64_t speakers)
{
    m->ticking = false;
    m->have_total = false;
    if (speakers && !frames)
        return LM_EINVAL;
    for (int i = 0; i < LM_MIX_MAX_MEMBERS; i++) {
        const int16_t *f = NULL;
        if (speakers >> i & 1) {
            f = frames[i];
            if (!f)
                return LM_EINVAL;
        }
        m->frames[i] = f;
    }
    m->speakers = speakers;
    m->ticking = true;
    return 0;
}

/* acc = the sum of the frames of `set` (not empty). */
static void sum_frames(lm_mix *m, int32_t *acc, uint64_t set)
{
    bool first = true;
    for (int i = 0; i < LM_MIX_MAX_MEMBERS; i++) {
        if (!(set >> i & 1))
            continue;
        const int16_t *f = m->frames[i];
        if (first) {
            for (size_t j = 0; j < m->n; j++)
                acc[j] = f[j];
            first = false;
        } else {
            for (size_t j = 0; j < m->n; j++)
                acc[j] += f[j];
        }
        m->work++;
    }
}

static void subtract_frames(lm_mix *m, int32_t *acc, uint64_t set)
{
    for (int i = 0; i < LM_MIX_MAX_MEMBERS; i++) {
        if (!(set >> i & 1))
            continue;
        const int16_t *f = m->frames[i];
        for (size_t j = 0; j < m->n; j++)
            acc[j] -= f[j];
        m->work++;
    }
}

int lm_mix_render(lm_mix *m, uint64_t speakers, int16_t *out)
{
    if (!m->ticking || (speakers & ~m->speakers))
        return LM_EINVAL;
    if (!speakers) {
        for (size_t j = 0; j < m->n; j++)
            out[j] = 0;
        return 0;
    }
    /* Take the tick's total and subtract the speakers left out when they
     * are fewer than those in, else sum the set. The total is summed once a
     * tick and serves every later group: k speakers give "all" plus k
     * groups "all but s", about 2k frames in all instead of k^2. */
    uint64_t left_out = m->speakers & ~speakers;
    const int32_t *src = m->acc;
    if (count_bits(left_out) < count_bits(speakers)) {
        if (!m->have_total) {
            sum_frames(m, m->total, m->speakers);
            m->have_total = true;
        }
        if (left_out) {
            for (size_t j = 0; j < m->n; j++)
                m->acc[j] = m->total[j];
            subtract_frames(m, m->acc, left_out);
        } else {
            src = m->total;
        }
    } else {
        sum_frames(m, m->acc, speakers);
    }
    for (size_t j = 0; j < m->n; j++)
        out[j] = limit_one(src[j]);
    return 0;
}

/* ---- levels ---- */

/* log2 of v > 0 without libm (lmcore links none): the exponent from the
 * top bit, and ln of the mantissa m in [1, 2) as 2 atanh((m-1)/(m+1)),
 * whose series in z <= 1/3 gains a factor 9 a term. */
static double log2_u64(uint64_t v)
{
    int e = 0;
    while (v >> e > 1)
        e++;
    double m = (double)v / (double)((uint64_t)1 << e);
    double z = (m - 1.0) / (m + 1.0), z2 = z * z, term = z, ln = 0.0;
    for (int k = 1; term > 1e-18; k += 2) {
        ln += term / k;
        term *= z2;
    }
    return e + 2.0 * ln / 0.69314718055994530942; /* ln 2 */
}

double lm_mix_level_dbfs(const int16_t *pcm, size_t n)
{
    uint64_t sumsq = 0; /* up to 2^30 a sample: room for 2^33 samples */
    for (size_t i = 0; i < n; i++)
        sumsq += (uint64_t)((int32_t)pcm[i] * pcm[i]);
    if (sumsq == 0)
        return LM_MIX_DBFS_SILENT;
    /* 10 log10(sumsq / n / 32768^2), in base 2 */
    double l2 = log2_u64(sumsq) - log2_u64(n) - 30.0;
    return 10.0 * 0.30102999566398119521 * l2; /* log10(2) */
}
