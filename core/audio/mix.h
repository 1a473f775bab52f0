/* mix.h - the hub's mix-minus mixer: who hears which mix, and the mixes.
 *
 * Pure logic (DESIGN.md section 5, issue 15 item 3): no I/O, no clock, no
 * allocation after lm_mix_new. Audio is 48 kHz mono int16 PCM in frames of
 * a fixed size (120, 240 or 480 samples: 2.5, 5 or 10 ms). Room members are
 * small indices 0..63, and sets of them are 64-bit masks (bit i: member i).
 *
 * Each tick the hub (1) plans: everyone hears everyone speaking but
 * themself, and listeners who hear the same set of speakers share one group,
 * so one mix and one Opus encode; (2) renders each group that is not
 * forwarded: the speakers' frames summed in 32 bits, never divided by their
 * number (the level does not drop as people join), then limited to int16.
 *
 * The limiter is a fixed per-sample curve, the same for every group:
 *   |sum| <= LM_MIX_KNEE (half full scale): out = sum, bit-exact;
 *   above: out = sign * (KNEE + ROOM * d / (d + ROOM)), d = |sum| - KNEE,
 *          ROOM = 32767 - KNEE, rounded to nearest.
 * It is odd-symmetric, monotonic (never decreasing), continuous with slope 1
 * at the knee and below 1 above it (no kink, no jump), and approaches but
 * never reaches 32767 for any sum a 64-member room can make: louder sums
 * still come out louder, nothing is hard-clipped and nothing wraps. It has
 * no state, so a mix depends only on its own inputs (see mix.c for why).
 *
 * Threads: a plan is a plain value, made and read by any thread. An lm_mix
 * belongs to one thread (the hub's net thread); none of its calls blocks,
 * allocates or does I/O after lm_mix_new. */
#ifndef LM_AUDIO_MIX_H
#define LM_AUDIO_MIX_H

#include <stddef.h>
#include <stdint.h>

enum {
    LM_MIX_MAX_MEMBERS = 64, /* member indices 0..63: one uint64_t mask */
    LM_MIX_MAX_GROUPS = 64,  /* k >= 2 speakers: k groups, + 1 if others */
    LM_MIX_MAX_FRAME = 480,  /* 10 ms at 48 kHz */
    LM_MIX_KNEE = 16384,     /* half of int16 full scale */
    LM_MIX_NO_FORWARD = -1,  /* lm_mix_group.forward_from: render a mix */
    LM_MIX_FORWARD = 1,      /* lm_mix_plan_make flag, see there */
};

/* What an all-zero frame reads in lm_mix_level_dbfs: a number, so it prints
 * in JSON, and below any non-zero frame of fewer than 10^11 samples. */
#define LM_MIX_DBFS_SILENT (-200.0)

/* One mix and who receives it. */
typedef struct lm_mix_group {
    uint64_t speakers;  /* whose frames are in it; never empty */
    uint64_t listeners; /* who receive it; never empty, never a speaker of it */
    /* LM_MIX_NO_FORWARD: decode, render with lm_mix_render and encode once
     * for all listeners. Otherwise the index of the group's one speaker:
     * send that speaker's packet to the listeners unchanged (no decode, no
     * re-encode, no second codec delay). */
    int forward_from;
} lm_mix_group;

/* A tick's groups. Each member of the room is a listener of at most one
 * group, and of none only when nobody else is speaking. */
typedef struct lm_mix_plan {
    size_t count;
    lm_mix_group group[LM_MIX_MAX_GROUPS];
} lm_mix_plan;

/* Plans a tick for the room `members` of whom `speaking` speak (bits of
 * `speaking` outside `members` are ignored). The groups, in this order:
 *   - everyone speaking, heard by every member not speaking (if there is
 *     one);
 *   - for each speaker s, in increasing index, "all speakers but s", heard
 *     by s alone (only when at least two speak).
 * So nobody speaking gives an empty plan (nothing is encoded), and k >= 2
 * speakers give k groups, plus one when someone listens only. With flags &
 * LM_MIX_FORWARD, a group that hears exactly one speaker forwards that
 * speaker's packet: with one speaker, everyone else gets it forwarded and
 * the speaker gets nothing; with two, each speaker gets the other's packet.
 * Without the flag such groups are rendered like any other (to measure what
 * forwarding saves). Any thread; never fails. */
void lm_mix_plan_make(lm_mix_plan *plan, uint64_t members, uint64_t speaking,
                      unsigned flags);

/* The index in plan->group of the group `member` listens to, or -1 when it
 * hears nothing this tick (or is not 0..63). */
int lm_mix_plan_find(const lm_mix_plan *plan, int member);

typedef struct lm_mix lm_mix; /* opaque: scratch sums for one tick */

/* A mixer for frames of frame_samples samples (120, 240 or 480); NULL for
 * any other size or when allocation fails. Any thread, before use. */
lm_mix *lm_mix_new(size_t frame_samples);
void lm_mix_free(lm_mix *m); /* NULL-safe */
size_t lm_mix_frame_samples(const lm_mix *m);

/* Starts a tick: frames[i] is member i's decoded frame (frame_samples
 * samples) for every i in `speakers`; the other entries are not read and
 * may be NULL. The mixer keeps the pointers, borrowed: the frames must stay
 * unchanged until the tick's last lm_mix_render. LM_EINVAL, and no tick,
 * when a speaker's frame is NULL. */
int lm_mix_begin(lm_mix *m, const int16_t *const frames[LM_MIX_MAX_MEMBERS],
                 uint64_t speakers);

/* Renders the mix of `speakers`, a subset of the tick's speakers (a group's
 * speakers from the tick's plan), into out (frame_samples samples): the
 * 32-bit sum, limited as described above; an empty set renders silence.
 * Groups of one tick share the work: "all but s" is the tick's total minus
 * s, so a tick of k speakers costs about 2k frame passes whatever the
 * number of listeners. LM_EINVAL, out untouched, without a tick or when
 * `speakers` is not in the tick's. */
int lm_mix_render(lm_mix *m, uint64_t speakers, int16_t *out);

/* Frames added or subtracted since lm_mix_new: the mixer's work, so tests
 * and benchmarks can check that cost follows speakers, not listeners, and
 * that silence costs nothing. */
uint64_t lm_mix_work(const lm_mix *m);

/* The limiter's curve on one 32-bit sum (see above). */
int16_t lm_mix_limit(int32_t sum);

/* RMS level of n samples in dBFS, 0 dBFS being an RMS of 32768 (a
 * full-scale square wave; a full-scale sine reads -3.01). LM_MIX_DBFS_SILENT
 * for all zeros or n == 0. Accurate to about 1e-9 dB; n up to 2^33. */
double lm_mix_level_dbfs(const int16_t *pcm, size_t n);

#endif
