/* video_wire.h - the video service's messages and their codec.
 *
 * Video goes from each sender straight to each viewer on LM_CH_VIDEO. A
 * frame travels as BANDs: rectangles of whole 16x16 macroblocks (a full
 * width of 16*k rows, or part of a row of blocks when one band would not
 * fit), each a JPEG of its own (band.h), so a lost packet costs that band
 * for one frame. The viewer tells each sender the size it shows it at
 * (ASK) and how the stream fares (REPORT); a sender tells everyone when
 * its camera starts, stops or changes (STATE). Types 24..31 are video's
 * (wire.h). Layouts after the type byte (see core/cursor.h):
 *
 *   BAND    frame u32, capture_us i64, w u16, h u16, index u16, count u16,
 *           x u16, y u16, bw u16, bh u16, quality u8, flags u8, jpeg b16
 *   ASK     w u16, h u16, fps u8        (all 0: send me no video)
 *   REPORT  period_ms u16, expected u32, lost u32, late u32, frames u16,
 *           decode_us u32, budget_us u32, queue_us u32
 *   STATE   on u8, w u16, h u16, fps u8 (off: all 0)
 *
 * Size of a BAND: it must go out as one ENet datagram, never as fragments
 * (DESIGN.md section 10: an unreliable packet over the MTU becomes
 * reliable fragments). At ENet's default MTU of 1400, enet_peer_send
 * fragments any packet over 1400 - 4 (protocol header) - 24 (fragment
 * command) = 1372 bytes; measured on loopback, 1372 arrives unsequenced in
 * one datagram and 1373 arrives as reliable fragments. The mesh seals
 * every message: one LM_MSG_SEALED byte, an 8-byte counter and a 16-byte
 * tag (crypto.h). So a plain video message is at most 1372 - 25 = 1347
 * bytes, and with a BAND's 33 bytes of header its JPEG bytes at most 1314.
 *
 * Decoding is strict: every length and size is checked, sizes are even
 * and within 16x16..1920x1080 (1080p, the largest camera picture carried;
 * image.h), a band lies inside its frame on the 16-pixel grid, and
 * anything else is refused, never trusted. Encode then decode then encode
 * gives the same bytes. */
#ifndef LM_VIDEO_WIRE_H
#define LM_VIDEO_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto.h"

#define LM_VIDEO_DATAGRAM_MAX 1372 /* ENet payload unfragmented at MTU 1400 */
#define LM_VIDEO_WIRE_MAX (LM_VIDEO_DATAGRAM_MAX - 1 - LM_SEAL_OVERHEAD)
#define LM_VIDEO_BAND_HEAD 33      /* a BAND's bytes before its JPEG */
#define LM_VIDEO_JPEG_MAX (LM_VIDEO_WIRE_MAX - LM_VIDEO_BAND_HEAD) /* 1314 */

#define LM_VIDEO_MCU 16       /* 4:2:0 macroblock: bands sit on this grid */
#define LM_VIDEO_W_MIN 16
#define LM_VIDEO_H_MIN 16
#define LM_VIDEO_W_MAX 1920
#define LM_VIDEO_H_MAX 1080
#define LM_VIDEO_FPS_MAX 60
/* Bands in one frame: a 1080p frame cut to single macroblocks would be
 * 120 x 68 = 8160; no real picture comes near that at any quality we use
 * (1080p at quality 90 is ~250 KB, ~200 bands), so 2048 is the cap, and
 * a frame needing more is sent in part (band.h). */
#define LM_VIDEO_BANDS_MAX 2048
#define LM_VIDEO_BAND_ROWS_MAX 256 /* rows in one band: bounds decode work */

#define LM_VIDEO_BAND_TABLES 0x01 /* jpeg is a whole JPEG with its own
                                     tables (else a scan for band.h's
                                     standard header at `quality`) */
/* Frames the sender left out on purpose just before this one, 0..3: a
 * viewer it sends at a lower rate than its camera's. The viewer does not
 * count them as lost (a rate step is not loss, or adaptation could never
 * come back up). Set per viewer in the encoded bytes, at
 * LM_VIDEO_BAND_FLAGS_AT, by lm_video_band_set_skip. */
#define LM_VIDEO_BAND_SKIP_MASK 0x06
#define LM_VIDEO_BAND_SKIP_SHIFT 1
#define LM_VIDEO_BAND_SKIP_MAX 3
#define LM_VIDEO_BAND_FLAGS (LM_VIDEO_BAND_TABLES | LM_VIDEO_BAND_SKIP_MASK)
#define LM_VIDEO_BAND_FLAGS_AT 30 /* the flags byte of an encoded BAND */

typedef struct lm_video_band_msg {
    uint32_t frame;      /* the sender's capture count, +1 per frame, wraps */
    int64_t capture_us;  /* the sender's monotonic clock at capture */
    uint16_t w, h;       /* the frame this band belongs to */
    uint16_t index, count; /* index < count: bands of this frame */
    uint16_t x, y, bw, bh; /* where the band goes in the frame */
    uint8_t quality;     /* 1..100 */
    uint8_t flags;       /* LM_VIDEO_BAND_* */
    size_t len;          /* bytes in jpeg, 1..LM_VIDEO_JPEG_MAX */
    uint8_t jpeg[LM_VIDEO_JPEG_MAX];
} lm_video_band_msg;

typedef struct lm_video_msg {
    uint8_t type; /* LM_MSG_VIDEO_* */
    union {
        lm_video_band_msg band;
        struct {
            uint16_t w, h; /* the size the viewer shows this sender at */
            uint8_t fps;   /* the rate it wants, 1..LM_VIDEO_FPS_MAX */
        } ask;
        struct {
            uint16_t period_ms; /* what the counts cover, 1..60000 */
            uint32_t expected;  /* bands of the frames shown or skipped */
            uint32_t lost;      /* of those, never came (<= expected) */
            uint32_t late;      /* came after their frame was shown */
            uint16_t frames;    /* frames shown */
            uint32_t decode_us; /* mean decode time of one frame */
            uint32_t budget_us; /* the viewer's decode budget per frame of
                                   this stream; 0: no limit */
            uint32_t queue_us;  /* delay over the lowest seen: queueing */
        } report;
        struct {
            uint8_t on;
            uint16_t w, h;
            uint8_t fps;
        } state;
    } u;
} lm_video_msg;

/* True for a frame size the protocol carries (even, within the limits). */
bool lm_video_size_ok(unsigned w, unsigned h);

/* Returns the length written, LM_EINVAL for a bad type or field,
 * LM_ETOOBIG for JPEG bytes over the cap or a buffer too small. */
int lm_video_encode(const lm_video_msg *m, uint8_t *buf, size_t cap);
/* Returns 0, LM_EPROTO (truncated, trailing bytes, a field out of range),
 * LM_ETOOBIG (over LM_VIDEO_WIRE_MAX, JPEG over the cap), LM_EUNKNOWN
 * (not a video type). On error *m holds only its type. */
int lm_video_decode(const uint8_t *buf, size_t len, lm_video_msg *m);

/* In an encoded BAND of len bytes: sets its skip (clamped to
 * LM_VIDEO_BAND_SKIP_MAX). 0, or LM_EINVAL when buf is no BAND. */
int lm_video_band_set_skip(uint8_t *buf, size_t len, unsigned skip);
/* The skip of a decoded band's flags. */
static inline unsigned lm_video_band_skip(uint8_t flags)
{
    return (flags & LM_VIDEO_BAND_SKIP_MASK) >> LM_VIDEO_BAND_SKIP_SHIFT;
}

#endif
