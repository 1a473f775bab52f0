/* audio_wire.c - the audio service's codec (audio_wire.h). */
#include "audio_wire.h"

#include <stdbool.h>
#include <string.h>

#include "cursor.h"
#include "err.h"
#include "wire.h"

static bool frame_ok(uint16_t us)
{
    return us == 2500 || us == 5000 || us == 10000;
}

int lm_audio_encode(const lm_audio_msg *m, uint8_t *buf, size_t cap)
{
    if (!m || (!buf && cap))
        return LM_EINVAL;
    lm_writer w;
    lm_wr_init(&w, buf, cap);
    lm_wr_u8(&w, m->type);
    switch (m->type) {
    case LM_MSG_AUDIO:
    case LM_MSG_AUDIO_MIX:
        if (!frame_ok(m->frame_us) || (m->flags & ~LM_AUDIO_FLAGS))
            return LM_EINVAL;
        lm_wr_u32(&w, m->seq);
        lm_wr_i64(&w, m->capture_us);
        lm_wr_u16(&w, m->frame_us);
        lm_wr_u8(&w, m->flags);
        if (m->type == LM_MSG_AUDIO_MIX)
            lm_wr_u64(&w, m->source);
        lm_wr_blob16(&w, m->frame, m->len, LM_AUDIO_FRAME_MAX);
        if (m->flags & LM_AUDIO_REDUNDANT)
            lm_wr_blob16(&w, m->redundant, m->red_len, LM_AUDIO_FRAME_MAX);
        break;
    case LM_MSG_AUDIO_NOTE:
        if (m->kind != LM_NOTE_MUTED && m->kind != LM_NOTE_SPEAKING)
            return LM_EINVAL;
        lm_wr_u8(&w, m->kind);
        lm_wr_u64(&w, m->id);
        lm_wr_u8(&w, m->on ? 1 : 0);
        break;
    default:
        return LM_EINVAL;
    }
    return lm_wr_done(&w);
}

int lm_audio_decode(const uint8_t *buf, size_t len, lm_audio_msg *m)
{
    if (!m || (!buf && len))
        return LM_EINVAL;
    memset(m, 0, sizeof *m);
    if (len == 0)
        return LM_EPROTO;
    if (len > LM_AUDIO_WIRE_MAX)
        return LM_ETOOBIG;
    lm_reader r;
    lm_rd_init(&r, buf + 1, len - 1);
    m->type = buf[0];
    switch (m->type) {
    case LM_MSG_AUDIO:
    case LM_MSG_AUDIO_MIX:
        m->seq = lm_rd_u32(&r);
        m->capture_us = lm_rd_i64(&r);
        m->frame_us = lm_rd_u16(&r);
        m->flags = lm_rd_u8(&r);
        if (!r.err && (!frame_ok(m->frame_us) || (m->flags & ~LM_AUDIO_FLAGS)))
            lm_rd_fail(&r, LM_EPROTO);
        if (m->type == LM_MSG_AUDIO_MIX)
            m->source = lm_rd_u64(&r);
        lm_rd_blob16(&r, m->frame, LM_AUDIO_FRAME_MAX, &m->len);
        if (m->flags & LM_AUDIO_REDUNDANT)
            lm_rd_blob16(&r, m->redundant, LM_AUDIO_FRAME_MAX, &m->red_len);
        break;
    case LM_MSG_AUDIO_NOTE:
        m->kind = lm_rd_u8(&r);
        m->id = lm_rd_u64(&r);
        m->on = lm_rd_u8(&r);
        if (!r.err && ((m->kind != LM_NOTE_MUTED && m->kind != LM_NOTE_SPEAKING) ||
                       m->on > 1))
            lm_rd_fail(&r, LM_EPROTO);
        break;
    default:
        m->type = 0;
        return LM_EUNKNOWN;
    }
    int rc = lm_rd_done(&r);
    if (rc < 0) { /* nothing half-read is left for a careless caller */
        uint8_t type = m->type;
        memset(m, 0, sizeof *m);
        m->type = type;
    }
    return rc;
}
