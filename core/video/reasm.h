/* reasm.h - putting one sender's bands back into frames.
 *
 * Bands of frame N arrive in any order, interleaved with N+1's (the
 * network reorders, a sender may send frames back to back). The newest
 * frame wins: the first band of a newer frame ends the current one, which
 * is shown with whatever has come ("healed": its missing bands keep the
 * rows of the frame before, which is still on the canvas), and a band of
 * an older frame that comes after that is dropped and counted as late. A
 * frame is also shown the moment its last band comes, and by the caller
 * after a wait (lm_reasm_due, lm_reasm_flush) when no later frame comes.
 *
 * The reassembler does not touch pixels. For each band it answers what
 * to do, in order: show the canvas as the previous frame, clear the
 * canvas for a new size, paint this band, show the canvas as this frame.
 * One canvas per sender is then all a viewer needs.
 *
 * Frame numbers are the sender's u32 capture count and wrap. A band more
 * than LM_REASM_RESTART frames behind the current one is not late but a
 * restarted sender: the stream starts again from it.
 *
 * Pure: no allocation, no clock (times are passed in), no I/O. An
 * lm_reasm is a plain value owned by one thread (the viewer's decode
 * thread, say). */
#ifndef LM_VIDEO_REASM_H
#define LM_VIDEO_REASM_H

#include <stdbool.h>
#include <stdint.h>

#include "video_wire.h"

#define LM_REASM_RESTART 90 /* frames behind: 3 s at 30 fps is no reorder */

/* What the reassembler needs of a band (from lm_video_band_msg). */
typedef struct lm_reasm_band {
    uint32_t frame;
    uint16_t w, h;
    uint16_t index, count;
} lm_reasm_band;

typedef enum lm_reasm_verdict {
    LM_REASM_PAINT = 0, /* paint this band into the canvas */
    LM_REASM_LATE,      /* its frame was shown (or a newer one began) */
    LM_REASM_DUPLICATE, /* this band of the current frame came before */
    LM_REASM_BAD,       /* does not agree with its frame's other bands
                           (count or size), or index >= count */
} lm_reasm_verdict;

typedef struct lm_reasm_out {
    lm_reasm_verdict verdict;
    /* Before painting: show the canvas as frame shown_frame, which lacked
     * shown_healed of its bands (0 when complete). */
    bool show_before;
    uint32_t shown_frame;
    unsigned shown_healed;
    /* Before painting: the size changed (or the stream started or
     * restarted): make the canvas w x h, cleared. */
    bool resize;
    uint16_t w, h;
    /* After painting: this band completed its frame; show the canvas. */
    bool show_after;
} lm_reasm_out;

typedef struct lm_reasm_stats {
    uint64_t bands;     /* bands painted */
    uint64_t shown;     /* frames shown, complete or healed */
    uint64_t complete;  /* of those, with every band */
    uint64_t healed;    /* bands missing from frames shown */
    uint64_t skipped;   /* frames never seen at all (a gap in numbers) */
    uint64_t expected;  /* bands of frames shown or skipped (a skipped
                           frame counts as many as the frame after it) */
    uint64_t lost;      /* healed + the bands of skipped frames */
    uint64_t late;      /* bands dropped as late */
    uint64_t duplicate;
    uint64_t bad;
    uint64_t restarts;  /* the sender started numbering again */
} lm_reasm_stats;

typedef struct lm_reasm {
    bool started;   /* a frame has begun */
    bool pending;   /* the current frame is not shown yet */
    uint32_t frame; /* the current frame */
    uint16_t w, h, count, have;
    int64_t first_us; /* when the current frame's first band came */
    int64_t wait_us;
    uint8_t seen[LM_VIDEO_BANDS_MAX / 8]; /* bands of the current frame */
    lm_reasm_stats st;
} lm_reasm;

/* A fresh reassembler; a frame still incomplete wait_us after its first
 * band is due (lm_reasm_due). */
void lm_reasm_init(lm_reasm *r, int64_t wait_us);

/* A new wait for frames from now on (the viewer learns how long a
 * sender's bursts take to come: a thin link spreads them out). */
void lm_reasm_set_wait(lm_reasm *r, int64_t wait_us);

/* One band that arrived at now_us. */
void lm_reasm_put(lm_reasm *r, const lm_reasm_band *b, int64_t now_us,
                  lm_reasm_out *out);

/* When the current frame should be shown though incomplete; 0 for none
 * pending. */
int64_t lm_reasm_due(const lm_reasm *r);

/* At or after lm_reasm_due: shows the pending frame (true, with its
 * number and missing bands) or does nothing (false). */
bool lm_reasm_flush(lm_reasm *r, int64_t now_us, uint32_t *frame,
                    unsigned *healed);

#endif
