/* jitter.c - the adaptive playout buffer of one audio stream.
 *
 * Two clocks are compared, both as offsets that stay constant when nothing
 * jitters: each packet's arrival minus its frame's place on the sender's
 * clock (arrival - seq * frame), and each get's time minus its place on
 * the player's clock (now - gets * frame). The earliest of each over a
 * window is the reference: a frame is surely there at its get when
 *
 *     delay = (earliest get offset + gets * frame)
 *           - (earliest arrival offset + seq * frame)
 *
 * is at least the spread of arrival offsets (latest minus earliest). A get
 * advances both gets and seq, so delay moves only when the buffer holds
 * the play point (+1 frame), skips frames (-n frames) or the references
 * drift with the clocks. That makes it a quiet control variable: hold when
 * delay is below the spread + one frame (the next packet, for FEC) + a
 * guard; skip when it has been a frame above that for 2 s, and at a
 * stream's start play from the target (what waited longer is stale).
 *
 * The windows are eight blocks of min/max, so a spike is forgotten within
 * ~2 s and each update costs O(1), each read O(8). Slots are indexed by the
 * unwrapped sequence number, so the 2^32 wrap needs no care beyond
 * seq_diff. */
#include "jitter.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define WINDOW_US 2000000 /* how long a spread is remembered */
#define WINDOW_BLOCKS 8   /* it is forgotten an eighth at a time */
#define GUARD_US 500      /* beyond the spread seen: what is not seen yet */
/* above target this long before skipping: on the machines measured a
 * 10-20 ms stall came every 1-5 s, and a buffer that shrank after 1 s
 * grew again at the next one, a shift of the sound each time (20 % loss
 * clip, envelope r 0.78-0.85 at 1 s, 0.82-0.86 at 2 s, 0.82-0.87 at 3 s;
 * 3 s kept the extra delay too long on the sound-card rig) */
#define SHRINK_HOLD_US 2000000
#define RECENT_BITS 64 /* played frames remembered, to tell duplicates */

typedef struct span_win {
    int64_t lo[WINDOW_BLOCKS], hi[WINDOW_BLOCKS];
    unsigned per_block; /* samples in a full block */
    unsigned in_block;  /* samples in the current block */
    unsigned cur;       /* the current block */
    unsigned blocks;    /* blocks holding samples, the current one included */
} span_win;

typedef struct slot {
    uint32_t seq;
    bool full;
    uint16_t len;
    uint8_t data[LM_JITTER_PAYLOAD_MAX];
} slot;

enum state { IDLE, BUFFERING, PLAYING };

struct lm_jitter {
    int64_t frame_us;
    unsigned max_frames;
    enum state state;
    uint32_t next_seq; /* the frame the next get plays */
    uint32_t highest;  /* newest held, or next_seq - 1 when none is */
    int64_t ext_next;  /* next_seq unwrapped, 0 at the stream's start */
    unsigned held;     /* packets in the slots */
    uint64_t recent;   /* bit i: frame next_seq - 1 - i had its packet */
    int64_t gets;      /* gets since playing began: the player's clock */
    span_win arrivals; /* arrival - ext * frame_us */
    span_win players;  /* now - gets * frame_us */
    bool lean;         /* aim at a frame + guard, whatever the spread */
    bool shrink_armed;
    int64_t shrink_since;
    bool starved;        /* in an underrun */
    unsigned behind_run; /* late or replayed packets in a row */
    bool probe_full;     /* a packet far from the stream, kept to compare */
    int64_t probe_arrival;
    slot probe;
    lm_jitter_stats st;
    slot slots[]; /* max_frames */
};

/* a - b as a signed distance on the 2^32 circle */
static int64_t seq_diff(uint32_t a, uint32_t b)
{
    uint32_t d = a - b;
    return d < 0x80000000u ? (int64_t)d : (int64_t)d - 0x100000000LL;
}

static void win_clear(span_win *w)
{
    w->in_block = 0;
    w->cur = 0;
    w->blocks = 0;
}

static void win_add(span_win *w, int64_t v)
{
    if (w->blocks == 0 || w->in_block == w->per_block) {
        if (w->blocks > 0)
            w->cur = (w->cur + 1) % WINDOW_BLOCKS;
        if (w->blocks < WINDOW_BLOCKS)
            w->blocks++;
        w->lo[w->cur] = w->hi[w->cur] = v;
        w->in_block = 1;
        return;
    }
    if (v < w->lo[w->cur])
        w->lo[w->cur] = v;
    if (v > w->hi[w->cur])
        w->hi[w->cur] = v;
    w->in_block++;
}

/* Earliest and latest over the window; false when it is empty. */
static bool win_span(const span_win *w, int64_t *lo, int64_t *hi)
{
    if (w->blocks == 0)
        return false;
    *lo = w->lo[w->cur];
    *hi = w->hi[w->cur];
    for (unsigned i = 1; i < w->blocks; i++) {
        unsigned b = (w->cur + WINDOW_BLOCKS - i) % WINDOW_BLOCKS;
        if (w->lo[b] < *lo)
            *lo = w->lo[b];
        if (w->hi[b] > *hi)
            *hi = w->hi[b];
    }
    return true;
}

static size_t slot_index(const lm_jitter *j, int64_t ext)
{
    int64_t m = j->max_frames;
    return (size_t)(((ext % m) + m) % m);
}

static slot *slot_at(lm_jitter *j, int64_t ext)
{
    return &j->slots[slot_index(j, ext)];
}

lm_jitter *lm_jitter_new(unsigned frame_us, unsigned max_frames)
{
    if (frame_us < 1000 || frame_us > 120000 || max_frames < 2 ||
        max_frames > LM_JITTER_MAX_FRAMES)
        return NULL;
    lm_jitter *j = calloc(1, sizeof *j + (size_t)max_frames * sizeof(slot));
    if (!j)
        return NULL;
    j->frame_us = frame_us;
    j->max_frames = max_frames;
    unsigned per = WINDOW_US / frame_us / WINDOW_BLOCKS;
    j->arrivals.per_block = j->players.per_block = per ? per : 1;
    return j;
}

void lm_jitter_free(lm_jitter *j)
{
    free(j);
}

/* Delay aimed at: the spread, the next frame, a guard; never more than
 * the slots can hold. */
static int64_t target_us(const lm_jitter *j, int64_t *spread)
{
    int64_t lo, hi;
    *spread = win_span(&j->arrivals, &lo, &hi) ? hi - lo : 0;
    int64_t t = (j->lean ? 0 : *spread) + j->frame_us + GUARD_US;
    int64_t cap = (int64_t)(j->max_frames - 1) * j->frame_us;
    return t < cap ? t : cap;
}

static int64_t delay_us(const lm_jitter *j)
{
    int64_t alo, ahi, plo, phi;
    if (j->state != PLAYING || !win_span(&j->arrivals, &alo, &ahi) ||
        !win_span(&j->players, &plo, &phi))
        return 0;
    return (plo + j->gets * j->frame_us) - (alo + j->ext_next * j->frame_us);
}

static unsigned depth(const lm_jitter *j)
{
    if (j->state == IDLE)
        return 0;
    return (unsigned)(seq_diff(j->highest, j->next_seq) + 1);
}

static void start_stream(lm_jitter *j, uint32_t seq)
{
    for (unsigned i = 0; i < j->max_frames; i++)
        j->slots[i].full = false;
    j->state = BUFFERING;
    j->next_seq = seq;
    j->highest = seq - 1;
    j->ext_next = 0;
    j->held = 0;
    j->recent = 0;
    j->gets = 0;
    win_clear(&j->arrivals);
    win_clear(&j->players);
    j->shrink_armed = false;
    j->starved = false;
    j->behind_run = 0;
    j->probe_full = false;
}

/* seq lies in [next_seq, next_seq + max_frames) and its slot is free. */
static void store(lm_jitter *j, uint32_t seq, int64_t arrival,
                  const uint8_t *data, size_t len)
{
    int64_t ext = j->ext_next + seq_diff(seq, j->next_seq);
    slot *s = slot_at(j, ext);
    s->seq = seq;
    s->full = true;
    s->len = (uint16_t)len;
    if (len)
        memcpy(s->data, data, len);
    j->held++;
    if (seq_diff(seq, j->highest) > 0)
        j->highest = seq;
    win_add(&j->arrivals, arrival - ext * j->frame_us);
}

/* Moves the play point on by one frame, emptying its slot. */
static void advance(lm_jitter *j)
{
    slot *s = slot_at(j, j->ext_next);
    bool had = s->full && s->seq == j->next_seq;
    if (had) {
        s->full = false;
        j->held--;
    }
    j->recent = (j->recent << 1) | (had ? 1u : 0u);
    j->next_seq++;
    j->ext_next++;
    if (seq_diff(j->highest, j->next_seq) < -1)
        j->highest = j->next_seq - 1;
}

static void skip(lm_jitter *j, int64_t n, uint64_t *count)
{
    for (int64_t i = 0; i < n; i++)
        advance(j);
    *count += (uint64_t)n;
}

static void restart(lm_jitter *j, uint32_t seq, int64_t arrival,
                    const uint8_t *data, size_t len)
{
    start_stream(j, seq);
    j->st.resets++;
    store(j, seq, arrival, data, len);
}

/* A packet far from the stream: alone it is noise, but a second one just
 * after it is a sender that started again with other numbers. */
static void far_packet(lm_jitter *j, uint32_t seq, int64_t arrival,
                       const uint8_t *data, size_t len)
{
    int64_t dp = j->probe_full ? seq_diff(seq, j->probe.seq) : 0;
    if (dp > 0 && dp < j->max_frames) {
        restart(j, j->probe.seq, j->probe_arrival, j->probe.data, j->probe.len);
        store(j, seq, arrival, data, len);
        return;
    }
    j->probe_full = true;
    j->probe_arrival = arrival;
    j->probe.seq = seq;
    j->probe.len = (uint16_t)len;
    if (len)
        memcpy(j->probe.data, data, len);
}

/* Late and replayed packets with none in between for max_frames in a row:
 * a sender that restarted just behind the play point (a stream that is
 * merely late or duplicated has packets in time between). */
static void behind_run(lm_jitter *j, uint32_t seq, int64_t arrival,
                       const uint8_t *data, size_t len)
{
    if (++j->behind_run >= j->max_frames)
        restart(j, seq, arrival, data, len);
}

/* seq is before the play point, by back frames. */
static void behind(lm_jitter *j, uint32_t seq, int64_t back, int64_t arrival,
                   const uint8_t *data, size_t len)
{
    int64_t m = j->max_frames;
    if (back <= RECENT_BITS && ((j->recent >> (back - 1)) & 1u)) {
        j->st.duplicate++;
        behind_run(j, seq, arrival, data, len);
        return;
    }
    if (j->state == BUFFERING && seq_diff(j->highest, seq) < m) {
        /* nothing played yet: reach back for a reordered first frame */
        j->next_seq = seq;
        j->ext_next -= back;
        store(j, seq, arrival, data, len);
        return;
    }
    if (back > m) {
        far_packet(j, seq, arrival, data, len);
        return;
    }
    j->st.late++;
    /* its lateness is what the spread must cover */
    win_add(&j->arrivals, arrival - (j->ext_next - back) * j->frame_us);
    behind_run(j, seq, arrival, data, len);
}

void lm_jitter_put(lm_jitter *j, uint32_t seq, int64_t arrival_us,
                   const uint8_t *data, size_t len)
{
    if (len > LM_JITTER_PAYLOAD_MAX || (len && !data)) {
        j->st.invalid++;
        return;
    }
    if (j->state == IDLE) {
        start_stream(j, seq);
        store(j, seq, arrival_us, data, len);
        return;
    }
    int64_t m = j->max_frames;
    int64_t d = seq_diff(seq, j->next_seq);
    if (d < 0) {
        behind(j, seq, -d, arrival_us, data, len);
        return;
    }
    if (d >= m) {
        if (seq_diff(seq, j->highest) > m) {
            far_packet(j, seq, arrival_us, data, len);
            return;
        }
        /* a flood: push the oldest out so the newest fits */
        skip(j, d - m + 1, &j->st.overflow);
        d = m - 1;
    }
    j->behind_run = 0;
    slot *s = slot_at(j, j->ext_next + d);
    if (s->full && s->seq == seq)
        j->st.duplicate++;
    else
        store(j, seq, arrival_us, data, len);
}

/* Skips the excess once delay has stayed a frame above target for
 * SHRINK_HOLD_US, keeping the frame about to play. */
static void maybe_shrink(lm_jitter *j, int64_t now_us, int64_t excess)
{
    int64_t hyst = j->frame_us / 4; /* so a skip does not land on a hold */
    if (excess < j->frame_us + hyst) {
        j->shrink_armed = false;
        return;
    }
    if (!j->shrink_armed) {
        j->shrink_armed = true;
        j->shrink_since = now_us;
        return;
    }
    if (now_us - j->shrink_since < SHRINK_HOLD_US)
        return;
    int64_t n = (excess - hyst) / j->frame_us;
    int64_t keep = (int64_t)depth(j) - 1;
    if (n > keep)
        n = keep;
    if (n > 0) {
        skip(j, n, &j->st.dropped);
        j->shrink_armed = false;
    }
}

lm_jitter_kind lm_jitter_get(lm_jitter *j, int64_t now_us, uint8_t *out,
                             size_t cap, size_t *len, uint32_t *seq)
{
    int64_t spread;
    int64_t want = target_us(j, &spread);
    if (j->state == IDLE)
        return LM_JITTER_EMPTY;
    if (j->state == BUFFERING) {
        int64_t need = (want + j->frame_us - 1) / j->frame_us;
        if ((int64_t)depth(j) < need)
            return LM_JITTER_EMPTY;
        /* what waited longer than the target (a thread that looked in
         * late, a backlog at a stream's start) is stale: play from a
         * frame above the target, not from a delay the shrinking would
         * take seconds to undo */
        if ((int64_t)depth(j) > need + 1)
            skip(j, (int64_t)depth(j) - need - 1, &j->st.dropped);
        j->state = PLAYING;
        j->gets = 0;
    } else {
        j->gets++;
    }
    win_add(&j->players, now_us - j->gets * j->frame_us);

    int64_t delay = delay_us(j);
    if (delay < want && depth(j) < j->max_frames) {
        j->st.stretched++;
        return LM_JITTER_EMPTY;
    }
    maybe_shrink(j, now_us, delay - want);

    uint32_t s_seq = j->next_seq;
    slot *s = slot_at(j, j->ext_next);
    if (s->full && s->seq == s_seq && s->len <= cap) {
        if (s->len)
            memcpy(out, s->data, s->len);
        if (len)
            *len = s->len;
        if (seq)
            *seq = s_seq;
        j->st.frames++;
        j->starved = false;
        advance(j);
        return LM_JITTER_FRAME;
    }
    if (j->held > 0) {
        if (seq)
            *seq = s_seq;
        j->st.lost++;
        advance(j);
        return LM_JITTER_LOSS;
    }
    if (!j->starved) {
        j->st.underruns++;
        j->starved = true;
    }
    advance(j);
    return LM_JITTER_EMPTY;
}

int lm_jitter_peek(const lm_jitter *j, const uint8_t **data, size_t *len,
                   uint32_t *seq)
{
    if (j->state != PLAYING)
        return 0;
    const slot *s = &j->slots[slot_index(j, j->ext_next)];
    if (!s->full || s->seq != j->next_seq)
        return 0;
    *data = s->data;
    *len = s->len;
    if (seq)
        *seq = s->seq;
    return 1;
}

void lm_jitter_set_lean(lm_jitter *j, bool lean)
{
    j->lean = lean;
}

bool lm_jitter_missed(const lm_jitter *j, uint32_t seq)
{
    if (j->state != PLAYING)
        return false;
    int64_t back = -seq_diff(seq, j->next_seq);
    if (back < 1 || back > RECENT_BITS || back > (int64_t)j->max_frames ||
        back > j->ext_next)
        return false;
    return !((j->recent >> (back - 1)) & 1u);
}

bool lm_jitter_play_point(const lm_jitter *j, uint32_t *next)
{
    if (j->state != PLAYING)
        return false;
    *next = j->next_seq;
    return true;
}

void lm_jitter_stats_get(const lm_jitter *j, lm_jitter_stats *out)
{
    *out = j->st;
    out->depth = depth(j);
    out->target_us = target_us(j, &out->jitter_us);
    out->target = (unsigned)((out->target_us + j->frame_us - 1) / j->frame_us);
    out->delay_us = delay_us(j);
}
