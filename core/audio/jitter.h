/* jitter.h - the adaptive jitter buffer of one incoming audio stream.
 *
 * Packets come in with a sequence number that rises by one per frame of the
 * sender's capture (wrapping at 2^32; frames not sent, as in silence, still
 * count) and are played out one frame per call of lm_jitter_get, which the
 * player makes once per frame period. The buffer holds at most max_frames
 * frames, in slots allocated once by lm_jitter_new; nothing allocates, locks,
 * reads a clock or does I/O afterwards, so every call is safe in a
 * real-time audio thread. Times are the caller's monotonic clock in
 * microseconds (lm_clock or the audio device's), passed in.
 *
 * How deep it plays: it measures the spread of arrival times against the
 * sender's frame clock (arrival minus seq * frame, over the last ~2 s) and
 * keeps the play point that spread plus one frame plus a small guard behind
 * the earliest arrivals, so the frame being played and the one after it
 * (for FEC) have come. When the spread grows it grows at once, by holding
 * the play point for a period (an EMPTY); when the play point has been a
 * frame or more deeper than needed for a whole second it drops the excess
 * frames at once. On a clean LAN that is one or two frames.
 *
 * Threads: none of its own and no locking. One thread owns a buffer and
 * makes every call on it (the audio thread, fed through an lm_ring); the
 * stats may be read only by that thread too. */
#ifndef LM_JITTER_H
#define LM_JITTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LM_JITTER_PAYLOAD_MAX 1500 /* bytes of one packet, as on the wire */
#define LM_JITTER_MAX_FRAMES 1024  /* the most slots a buffer may have */

typedef struct lm_jitter lm_jitter;

typedef enum lm_jitter_kind {
    LM_JITTER_FRAME, /* a packet: decode it */
    LM_JITTER_LOSS,  /* this frame is missing but later ones have come:
                        conceal it (or decode FEC from lm_jitter_peek) */
    LM_JITTER_EMPTY, /* nothing to play this period: not started yet, an
                        underrun, or the buffer growing by a frame; conceal
                        briefly if a stream was playing, else silence */
} lm_jitter_kind;

typedef struct lm_jitter_stats {
    unsigned depth;     /* frames from the play point to the newest held */
    unsigned target;    /* frames of delay aimed at (ceil of target_us) */
    int64_t jitter_us;  /* spread of arrival offsets over the window */
    int64_t delay_us;   /* play point behind the earliest arrivals */
    int64_t target_us;  /* what delay_us is steered to */
    uint64_t frames;    /* FRAME results */
    uint64_t lost;      /* LOSS results */
    uint64_t late;      /* packets that came after their frame was played */
    uint64_t duplicate; /* packets already held or played */
    uint64_t underruns; /* runs of EMPTY while playing with nothing held */
    uint64_t stretched; /* EMPTY periods spent growing the buffer */
    uint64_t dropped;   /* frames skipped to shrink the buffer */
    uint64_t overflow;  /* frames pushed out by a flood beyond max_frames */
    uint64_t resets;    /* the stream restarted (sender restart, far jump) */
    uint64_t invalid;   /* packets refused: too long, or NULL data */
} lm_jitter_stats;

/* A buffer for frames of frame_us microseconds (2500, 5000 or 10000 at
 * 48 kHz; 1000 to 120000 accepted) holding up to max_frames frames (2 to
 * LM_JITTER_MAX_FRAMES; 32 is plenty on a LAN). NULL on a bad argument or
 * when allocation fails. The only call that allocates. */
lm_jitter *lm_jitter_new(unsigned frame_us, unsigned max_frames);
void lm_jitter_free(lm_jitter *j); /* NULL-safe */

/* Offers one packet that arrived at arrival_us; copies len bytes (0 to
 * LM_JITTER_PAYLOAD_MAX) from data, which it borrows. Never fails: a
 * duplicate, a late packet (its frame already played or concealed), an
 * oversized one, or a lone packet far from the stream is counted and
 * dropped. A flood beyond max_frames pushes the oldest frames out. Two
 * packets in a row far from the stream (a jump of more than max_frames
 * frames ahead, or more than max_frames behind the play point), or
 * max_frames late or already played packets in a row, mean the sender
 * restarted: the buffer resets to the new numbering and fills again before it
 * plays. */
void lm_jitter_put(lm_jitter *j, uint32_t seq, int64_t arrival_us,
                   const uint8_t *data, size_t len);

/* Called once per frame period by the player at now_us. On FRAME copies
 * the packet into out (cap bytes; pass LM_JITTER_PAYLOAD_MAX: a packet
 * longer than cap is reported as LOSS) and sets *len. On FRAME and LOSS
 * sets *seq to the frame's number (len and seq may be NULL). EMPTY moves
 * the play point on by one frame when it is an underrun, and holds it
 * when the buffer is not started or is growing. */
lm_jitter_kind lm_jitter_get(lm_jitter *j, int64_t now_us, uint8_t *out,
                             size_t cap, size_t *len, uint32_t *seq);

/* The packet the next lm_jitter_get would play, if it has come: right
 * after a LOSS that is the frame after the lost one, whose FEC (or
 * redundant copy) can stand in for it. Returns 1 and sets *data (valid
 * until the next put, get or free; owned by the buffer), *len and *seq
 * (seq may be NULL); 0 when it has not come or the buffer is not playing. */
int lm_jitter_peek(const lm_jitter *j, const uint8_t **data, size_t *len,
                   uint32_t *seq);

/* Lean: aim at one frame and the guard whatever the spread, so the play
 * point never waits for a late packet. For a stream passed on to buffers
 * that absorb its jitter themselves (the hub forwarding a lone talker):
 * waiting here too would add the same spread twice. Off by default. */
void lm_jitter_set_lean(lm_jitter *j, bool lean);

/* Whether frame seq is one the play point passed without its packet (it
 * was concealed or skipped over, at most max_frames and 64 frames ago):
 * a packet for it that comes now is late here, but not necessarily for
 * a buffer further on. */
bool lm_jitter_missed(const lm_jitter *j, uint32_t seq);

/* The frame the next get plays; false when the buffer is not playing. */
bool lm_jitter_play_point(const lm_jitter *j, uint32_t *next);

void lm_jitter_stats_get(const lm_jitter *j, lm_jitter_stats *out);

#endif
