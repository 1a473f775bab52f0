/* text.c - checks on text that comes from a user or the network.
 *
 * UTF-8 is checked against the well-formed byte sequences of the Unicode
 * standard (Table 3-7): that one table rules out overlong forms, UTF-16
 * surrogates (U+D800..U+DFFF) and anything above U+10FFFF in a single pass,
 * without decoding to code points first. NUL is refused as well, because
 * every string we keep is also handed to C code as a NUL-terminated string
 * and an embedded NUL would silently cut it short.
 */
#include "text.h"

#include <stdint.h>

/* Length of the well-formed sequence at s[0..n), or 0 if there is none. */
static size_t seq_len(const unsigned char *s, size_t n)
{
    unsigned char b = s[0];
    unsigned char lo = 0x80, hi = 0xbf; /* range of the second byte */
    size_t len;

    if (b == 0x00)
        return 0;
    if (b < 0x80)
        return 1;
    if (b >= 0xc2 && b <= 0xdf) {
        len = 2;
    } else if (b >= 0xe0 && b <= 0xef) {
        len = 3;
        if (b == 0xe0)
            lo = 0xa0; /* below is an overlong 2-byte form */
        else if (b == 0xed)
            hi = 0x9f; /* above is a surrogate */
    } else if (b >= 0xf0 && b <= 0xf4) {
        len = 4;
        if (b == 0xf0)
            lo = 0x90; /* below is an overlong 3-byte form */
        else if (b == 0xf4)
            hi = 0x8f; /* above is past U+10FFFF */
    } else {
        return 0; /* 0x80..0xc1 (continuation, overlong) or 0xf5..0xff */
    }
    if (n < len)
        return 0;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    return len;
}

/* Code point of a sequence seq_len() accepted. */
static uint32_t seq_cp(const unsigned char *s, size_t len)
{
    static const unsigned char lead_mask[5] = {0, 0x7f, 0x1f, 0x0f, 0x07};
    uint32_t cp = s[0] & lead_mask[len];

    for (size_t i = 1; i < len; i++)
        cp = (cp << 6) | (s[i] & 0x3fu);
    return cp;
}

/* Unicode space separators (general category Zs): a name made only of
 * these would show as blank. */
static bool is_space(uint32_t cp)
{
    return cp == 0x20 || cp == 0xa0 || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200a) || cp == 0x202f || cp == 0x205f ||
           cp == 0x3000;
}

static bool is_control(uint32_t cp)
{
    return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f);
}

bool lm_utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;

    while (i < len) {
        size_t n = seq_len(p + i, len - i);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}

bool lm_name_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    bool seen_visible = false;
    size_t i = 0;

    while (i < len) {
        size_t n = seq_len(p + i, len - i);
        if (n == 0)
            return false;
        uint32_t cp = seq_cp(p + i, n);
        if (is_control(cp))
            return false;
        if (!is_space(cp))
            seen_visible = true;
        i += n;
    }
    return seen_visible; /* false for "" and for spaces only */
}
