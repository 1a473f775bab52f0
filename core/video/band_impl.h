/* band_impl.h - what band.c (encoding) and band_dec.c (decoding) share:
 * the standard JPEG header per quality, and taking a JPEG apart.
 * Private to core/video; see band.h for the why. */
#ifndef LM_VIDEO_BAND_IMPL_H
#define LM_VIDEO_BAND_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <turbojpeg.h>

#define LM_BAND_HDR_MAX 1024 /* TurboJPEG's 4:2:0 header is ~620 bytes */

/* The header TurboJPEG writes at one quality, made once on demand. */
typedef struct lm_band_tmpl {
    bool ready;
    uint16_t len; /* bytes from SOI through the SOS segment */
    uint16_t sof; /* offset of the SOF0 marker, whose size is patched */
    uint8_t hdr[LM_BAND_HDR_MAX];
} lm_band_tmpl;

typedef struct lm_band_tables {
    lm_band_tmpl q[101]; /* by quality, 1..100 */
} lm_band_tables;

/* The header of a w x h 4:2:0 JPEG at quality q into out (cap bytes),
 * made with the compressor tj on first use. Returns its length, or
 * LM_EINVAL (bad q or size, cap too small), LM_EIO (TurboJPEG failed). */
int lm_band_header(lm_band_tables *t, tjhandle tj, int q, unsigned w,
                   unsigned h, uint8_t *out, size_t cap);

/* Finds the end of the header (through the SOS segment) and the scan
 * (what follows, up to the final EOI) of a baseline JPEG. 0, or
 * LM_EPROTO when it is not laid out so. */
int lm_band_split(const uint8_t *jpg, size_t len, size_t *hdr_len,
                  size_t *scan_len);

/* True when a scan holds no marker: every 0xFF byte is followed by 0x00
 * (byte stuffing). Our encoder sets no restart interval, so a scan of
 * ours never holds one, and a scan from the wire that does is refused. */
bool lm_band_scan_clean(const uint8_t *scan, size_t len);

#endif
