/* band.h - a frame cut into bands that each fit one datagram and decode
 * alone (TurboJPEG).
 *
 * Why bands: a JPEG frame sent whole is ~15 ENet fragments, and one lost
 * fragment loses the frame (DESIGN.md section 10). A band is a rectangle
 * of whole 16x16 macroblocks coded as a JPEG of its own, at most
 * LM_VIDEO_JPEG_MAX bytes (video_wire.h says where that bound comes
 * from), so a lost packet costs one band for one frame, and the viewer
 * keeps that band's rows from the frame before ("healed").
 *
 * Why scans, not whole JPEGs: a whole JPEG's header (JFIF, quantisation
 * and Huffman tables, frame and scan headers) is ~620 bytes, as much as a
 * band's picture. At a given quality TurboJPEG always writes the same
 * header apart from the picture's size (the standard tables scaled by
 * quality, 4:2:0), so a band carries only its entropy-coded scan, and the
 * decoder rebuilds the header from (quality, band size): it asks its own
 * TurboJPEG for the header of a 16x16 picture at that quality once and
 * patches the size in. The encoder checks every band's header against
 * that same template and sends a band whose header differs as a whole
 * JPEG (LM_VIDEO_BAND_TABLES), so a library with other tables still
 * interoperates, at a cost in bytes.
 *
 * How bands are sized: full-width bands of 16*k rows, k chosen from the
 * bytes per macroblock row of the previous frame so a band is expected at
 * 7/8 of the bound (lm_band_rows), the frame cut into equal bands; when
 * one macroblock row alone is expected over that, each row is cut across
 * into equal pieces from the start (lm_band_cols). A band
 * that comes out too big anyway is split: rows first, in halves on the
 * 16-row grid, down to one macroblock row; then columns, in halves on the
 * 16-pixel grid, down to one macroblock; a single macroblock still too big
 * is re-coded at lower quality, 15 at a time down to LM_BAND_QUALITY_MIN,
 * and dropped (counted) if even that fails, which a 16x16 block at that
 * quality cannot do. Quality is the viewer's adaptation's choice
 * (adapt.h), so splitting, which costs only headers (96 bytes a packet on
 * the wire: band header, seal, ENet, UDP/IPv4), comes before lowering it.
 * The aim, 7/8 of the bound, is measured (bench_video, the sample clip):
 * at 3/4 a 320x180 q75 frame took 11.7 packets, at 7/8 6.9 with one band
 * in a frame coded twice, and 15/16 gained nothing more.
 *
 * Decoding paints one band into its rectangle of a frame, at full size or
 * scaled by 1/2, 1/4 or 1/8 (TurboJPEG's DCT scaling), and writes nothing
 * outside that rectangle, whatever the bytes: a band's place and size are
 * checked against the frame, a whole JPEG's own header against the band,
 * and a scan may hold no marker.
 *
 * Threads: an encoder or a decoder belongs to one thread (a TurboJPEG
 * handle is not shared); the pure functions are for anyone. */
#ifndef LM_VIDEO_BAND_H
#define LM_VIDEO_BAND_H

#include <stddef.h>
#include <stdint.h>

#include "image.h"
#include "video_wire.h"

#define LM_BAND_QUALITY_MIN 10 /* the lowest a band is re-coded at */
#define LM_BAND_TARGET (LM_VIDEO_JPEG_MAX * 7 / 8) /* a band's aim, bytes */

/* One coded band. data is borrowed from the encoder that made it (until
 * its next encode) or from the caller that fills it in for decoding. */
typedef struct lm_band {
    uint16_t x, y, w, h; /* its rectangle in the frame, luma pixels */
    uint8_t quality;     /* 1..100 */
    uint8_t flags;       /* LM_VIDEO_BAND_TABLES */
    const uint8_t *data; /* a scan, or a whole JPEG with TABLES */
    size_t len;          /* 1..LM_VIDEO_JPEG_MAX */
} lm_band;

typedef struct lm_band_stats {
    uint64_t frames;  /* frames encoded */
    uint64_t bands;   /* bands made */
    uint64_t bytes;   /* their data bytes */
    uint64_t splits;  /* bands split because they came out too big */
    uint64_t requality; /* macroblocks re-coded at lower quality */
    uint64_t tables;  /* bands sent as whole JPEGs (header differed) */
    uint64_t dropped; /* pieces not sent: too big at the floor, or over
                         LM_VIDEO_BANDS_MAX in one frame */
} lm_band_stats;

/* ---- pure ---------------------------------------------------------------
 * Rows per band for a frame of h rows whose previous frame took
 * per_mb_row bytes per macroblock row (16 rows; 0: not known yet), so a
 * band is expected at `target` bytes: a multiple of 16 (or h when one band
 * takes the whole frame), at most LM_VIDEO_BAND_ROWS_MAX, the frame cut
 * into equal bands. Unknown or over-target rows give 16. */
unsigned lm_band_rows(unsigned h, size_t per_mb_row, size_t target);
/* Width of the pieces a macroblock row is cut into when one whole row is
 * expected over `target` (the same estimate): w itself when it is not, or
 * equal shares on the 16-pixel grid, so a busy picture is not coded twice
 * (once whole, once split) frame after frame. */
unsigned lm_band_cols(unsigned w, size_t per_mb_row, size_t target);
/* ceil(n / div): a side of a picture scaled by 1/div. */
unsigned lm_band_scaled(unsigned n, unsigned div);
/* The largest of 8, 4, 2 that still gives at least show_w x show_h from a
 * w x h frame, else 1: the cheapest decode that is not smaller than what
 * is shown. */
unsigned lm_band_pick_div(unsigned w, unsigned h, unsigned show_w,
                          unsigned show_h);

/* ---- encoding ---------------------------------------------------------- */

typedef struct lm_band_enc lm_band_enc;

lm_band_enc *lm_band_enc_new(void); /* NULL when out of memory */
void lm_band_enc_free(lm_band_enc *e); /* NULL-safe */

#define LM_BAND_ENC_TABLES 0x01 /* send whole JPEGs (tests, comparison) */

/* Cuts img (even size, lm_video_size_ok) into bands coded at quality
 * (1..100). *out gets the bands, top to bottom and left to right, valid
 * until the next call on e. Returns their number (>= 1), or LM_EINVAL
 * (bad image or quality), LM_ENOMEM, LM_EIO (TurboJPEG failed). */
int lm_band_encode(lm_band_enc *e, const lm_image *img, int quality,
                   unsigned flags, const lm_band **out);
void lm_band_enc_stats(const lm_band_enc *e, lm_band_stats *out);

/* ---- decoding ---------------------------------------------------------- */

typedef struct lm_band_dec lm_band_dec;

lm_band_dec *lm_band_dec_new(void);
void lm_band_dec_free(lm_band_dec *d);

/* Paints band b of a frame_w x frame_h frame into dst, a picture of that
 * frame scaled by 1/div (div 1, 2, 4 or 8: dst is exactly
 * lm_band_scaled(frame_w, div) x lm_band_scaled(frame_h, div)). Returns 0;
 * LM_EINVAL for a bad dst or div; LM_EPROTO for a band that does not
 * belong in this frame or does not decode (then its rectangle in dst may
 * hold part of it, and nothing outside it is touched). */
int lm_band_decode(lm_band_dec *d, const lm_band *b, unsigned frame_w,
                   unsigned frame_h, unsigned div, lm_image *dst);

#endif
