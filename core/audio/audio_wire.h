/* audio_wire.h - the audio service's messages and their codec.
 *
 * On the unreliable audio channel (LM_CH_AUDIO), each packet is one Opus
 * frame: a member sends its captured frames to the hub (AUDIO), the hub
 * sends each member its mix-minus or forwards a lone speaker's frame
 * unchanged (AUDIO_MIX). A packet may carry the previous frame again
 * (redundancy), so one lost packet costs nothing audible. NOTE messages
 * (reliable, same channel) tell who is muted and, from the hub, who is
 * speaking. Layouts after the type byte (see core/cursor.h):
 *
 *   AUDIO      seq u32, capture_us i64, frame_us u16, flags u8,
 *              frame b16, [redundant b16 if LM_AUDIO_REDUNDANT]
 *   AUDIO_MIX  seq u32, capture_us i64, frame_us u16, flags u8, source u64,
 *              frame b16, [redundant b16 if LM_AUDIO_REDUNDANT]
 *   AUDIO_NOTE kind u8, id u64, on u8
 *
 *   bN = a u16 length, then that many bytes (at most LM_AUDIO_FRAME_MAX)
 *
 * Decoding checks every length, the frame duration (2.5, 5 or 10 ms), the
 * flags and the note kind; anything else is refused, never trusted. */
#ifndef LM_AUDIO_WIRE_H
#define LM_AUDIO_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define LM_AUDIO_FRAME_MAX 1275 /* Opus's largest frame */

#define LM_AUDIO_REDUNDANT 0x01 /* the previous frame follows this one */
#define LM_AUDIO_VOICE 0x02     /* the sender's voice activity says voice */
#define LM_AUDIO_FLAGS (LM_AUDIO_REDUNDANT | LM_AUDIO_VOICE)

enum lm_audio_note_kind {
    LM_NOTE_MUTED = 1,    /* id is (or is no longer) muted */
    LM_NOTE_SPEAKING = 2, /* from the hub: id started or stopped speaking */
};

typedef struct lm_audio_msg {
    uint8_t type; /* LM_MSG_AUDIO, LM_MSG_AUDIO_MIX or LM_MSG_AUDIO_NOTE */
    uint32_t seq;        /* per stream, +1 per frame, wraps */
    int64_t capture_us;  /* the capturing node's monotonic clock */
    uint16_t frame_us;   /* 2500, 5000 or 10000 */
    uint8_t flags;       /* LM_AUDIO_* */
    uint64_t source;     /* AUDIO_MIX: the speaker forwarded, 0 for a mix */
    size_t len, red_len; /* bytes in frame and redundant */
    uint8_t frame[LM_AUDIO_FRAME_MAX];
    uint8_t redundant[LM_AUDIO_FRAME_MAX]; /* the previous frame, if flagged */
    /* AUDIO_NOTE */
    uint8_t kind; /* lm_audio_note_kind */
    uint64_t id;
    uint8_t on;
} lm_audio_msg;

/* Largest encoded message, type byte included. */
#define LM_AUDIO_WIRE_MAX (1 + 4 + 8 + 2 + 1 + 8 + 2 * (2 + LM_AUDIO_FRAME_MAX))

/* Returns the length written, LM_EINVAL for a bad type, duration, flag or
 * kind, LM_ETOOBIG for a frame over the cap or a buffer too small. */
int lm_audio_encode(const lm_audio_msg *m, uint8_t *buf, size_t cap);
/* Returns 0, LM_EPROTO (truncated, trailing bytes, bad duration, flags or
 * kind), LM_ETOOBIG (a frame over the cap), LM_EUNKNOWN (not an audio
 * type). *m is fully written either way. */
int lm_audio_decode(const uint8_t *buf, size_t len, lm_audio_msg *m);

#endif
