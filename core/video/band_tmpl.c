/* band_tmpl.c - the standard JPEG header per quality, and taking a JPEG
 * apart into header and scan (band_impl.h). */
#include "band_impl.h"

#include <string.h>

#include "err.h"

#define MARKER_SOF0 0xc0
#define MARKER_SOS 0xda
#define MARKER_EOI 0xd9

static unsigned be16(const uint8_t *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

int lm_band_split(const uint8_t *jpg, size_t len, size_t *hdr_len,
                  size_t *scan_len)
{
    if (!jpg || len < 4 || jpg[0] != 0xff || jpg[1] != 0xd8)
        return LM_EPROTO;
    size_t p = 2;
    for (;;) {
        if (len - p < 4 || jpg[p] != 0xff)
            return LM_EPROTO;
        uint8_t marker = jpg[p + 1];
        size_t seg = be16(jpg + p + 2);
        if (seg < 2 || seg > len - p - 2)
            return LM_EPROTO;
        p += 2 + seg;
        if (marker == MARKER_SOS)
            break;
    }
    if (len - p < 2 || jpg[len - 2] != 0xff || jpg[len - 1] != MARKER_EOI)
        return LM_EPROTO;
    *hdr_len = p;
    *scan_len = len - 2 - p;
    return 0;
}

bool lm_band_scan_clean(const uint8_t *scan, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (scan[i] == 0xff && (i + 1 == len || scan[++i] != 0x00))
            return false;
    return true;
}

/* The SOF0 segment's offset in a header, or 0 when it has none. */
static size_t find_sof(const uint8_t *hdr, size_t len)
{
    for (size_t p = 2; len - p >= 9;) {
        if (hdr[p] != 0xff)
            return 0;
        if (hdr[p + 1] == MARKER_SOF0)
            return p;
        p += 2 + be16(hdr + p + 2);
        if (p > len)
            return 0;
    }
    return 0;
}

static int make(lm_band_tmpl *t, tjhandle tj, int q)
{
    enum { SIDE = 16 }; /* one macroblock: the smallest whole picture */
    uint8_t y[SIDE * SIDE], c[SIDE * SIDE / 4], buf[4096];
    memset(y, 128, sizeof y);
    memset(c, 128, sizeof c);
    if (tjBufSize(SIDE, SIDE, TJSAMP_420) > sizeof buf)
        return LM_EIO;
    const unsigned char *planes[3] = {y, c, c};
    int strides[3] = {SIDE, SIDE / 2, SIDE / 2};
    unsigned char *out = buf;
    unsigned long size = sizeof buf;
    if (tjCompressFromYUVPlanes(tj, planes, SIDE, strides, SIDE, TJSAMP_420,
                                &out, &size, q, TJFLAG_NOREALLOC) != 0)
        return LM_EIO;
    size_t hl, sl;
    if (lm_band_split(buf, size, &hl, &sl) != 0 || hl > LM_BAND_HDR_MAX)
        return LM_EIO;
    size_t sof = find_sof(buf, hl);
    if (!sof)
        return LM_EIO;
    memcpy(t->hdr, buf, hl);
    t->len = (uint16_t)hl;
    t->sof = (uint16_t)sof;
    t->ready = true;
    return 0;
}

int lm_band_header(lm_band_tables *t, tjhandle tj, int q, unsigned w,
                   unsigned h, uint8_t *out, size_t cap)
{
    if (q < 1 || q > 100 || w < 1 || h < 1 || w > 0xffff || h > 0xffff)
        return LM_EINVAL;
    lm_band_tmpl *tm = &t->q[q];
    if (!tm->ready) {
        int rc = make(tm, tj, q);
        if (rc < 0)
            return rc;
    }
    if (cap < tm->len)
        return LM_EINVAL;
    memcpy(out, tm->hdr, tm->len);
    uint8_t *s = out + tm->sof; /* FF C0 len(2) precision(1) h(2) w(2) */
    s[5] = (uint8_t)(h >> 8);
    s[6] = (uint8_t)h;
    s[7] = (uint8_t)(w >> 8);
    s[8] = (uint8_t)w;
    return tm->len;
}
