/* reasm.c - one sender's bands back into frames (reasm.h). */
#include "reasm.h"

#include <string.h>

void lm_reasm_init(lm_reasm *r, int64_t wait_us)
{
    memset(r, 0, sizeof *r);
    r->wait_us = wait_us;
}

static bool seen(const lm_reasm *r, unsigned i)
{
    return r->seen[i / 8] >> (i % 8) & 1;
}

/* The current frame is shown now, with what it has. */
static unsigned show(lm_reasm *r)
{
    unsigned missing = (unsigned)(r->count - r->have);
    r->pending = false;
    r->st.shown++;
    r->st.complete += missing == 0;
    r->st.healed += missing;
    r->st.expected += r->count;
    r->st.lost += missing;
    return missing;
}

static void show_before(lm_reasm *r, lm_reasm_out *out)
{
    if (!r->pending)
        return;
    out->show_before = true;
    out->shown_frame = r->frame;
    out->shown_healed = show(r);
}

static void begin(lm_reasm *r, const lm_reasm_band *b, int64_t now_us,
                  lm_reasm_out *out, bool fresh)
{
    if (fresh || b->w != r->w || b->h != r->h) {
        out->resize = true;
        out->w = b->w;
        out->h = b->h;
    }
    r->started = true;
    r->pending = true;
    r->frame = b->frame;
    r->w = b->w;
    r->h = b->h;
    r->count = b->count;
    r->have = 0;
    r->first_us = now_us;
    memset(r->seen, 0, (size_t)(b->count + 7) / 8);
}

static void paint(lm_reasm *r, const lm_reasm_band *b, lm_reasm_out *out)
{
    out->verdict = LM_REASM_PAINT;
    r->seen[b->index / 8] |= (uint8_t)(1u << (b->index % 8));
    r->have++;
    r->st.bands++;
    if (r->have == r->count) {
        show(r);
        out->show_after = true;
    }
}

void lm_reasm_put(lm_reasm *r, const lm_reasm_band *b, int64_t now_us,
                  lm_reasm_out *out)
{
    memset(out, 0, sizeof *out);
    if (b->count < 1 || b->count > LM_VIDEO_BANDS_MAX ||
        b->index >= b->count || !lm_video_size_ok(b->w, b->h)) {
        out->verdict = LM_REASM_BAD;
        r->st.bad++;
        return;
    }
    if (!r->started) {
        begin(r, b, now_us, out, true);
        paint(r, b, out);
        return;
    }
    int32_t d = (int32_t)(b->frame - r->frame); /* serial order, wraps */
    if (d > 0 || d < -LM_REASM_RESTART) {
        show_before(r, out);
        bool restart = d < 0 || d - 1 > LM_REASM_RESTART;
        if (restart) {
            r->st.restarts++;
        } else {
            r->st.skipped += (uint64_t)(d - 1);
            r->st.expected += (uint64_t)(d - 1) * b->count;
            r->st.lost += (uint64_t)(d - 1) * b->count;
        }
        begin(r, b, now_us, out, restart);
        paint(r, b, out);
        return;
    }
    if (d < 0) {
        out->verdict = LM_REASM_LATE;
        r->st.late++;
        return;
    }
    if (b->count != r->count || b->w != r->w || b->h != r->h) {
        out->verdict = LM_REASM_BAD;
        r->st.bad++;
    } else if (seen(r, b->index)) {
        out->verdict = LM_REASM_DUPLICATE;
        r->st.duplicate++;
    } else if (!r->pending) {
        out->verdict = LM_REASM_LATE; /* its frame was shown without it */
        r->st.late++;
    } else {
        paint(r, b, out);
    }
}

int64_t lm_reasm_due(const lm_reasm *r)
{
    return r->pending ? r->first_us + r->wait_us : 0;
}

bool lm_reasm_flush(lm_reasm *r, int64_t now_us, uint32_t *frame,
                    unsigned *healed)
{
    if (!r->pending || now_us < r->first_us + r->wait_us)
        return false;
    *frame = r->frame;
    *healed = show(r);
    return true;
}

void lm_reasm_set_wait(lm_reasm *r, int64_t wait_us)
{
    r->wait_us = wait_us;
}
