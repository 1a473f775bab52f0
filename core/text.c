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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Characters that draw nothing by themselves: zero-width and other format
 * characters (Cf, bidi marks aside), variation selectors and tags. A name
 * of only these would show as blank. */
static bool is_invisible(uint32_t cp)
{
    return cp == 0xad || cp == 0x34f || cp == 0x61c || cp == 0x115f ||
           cp == 0x1160 || cp == 0x17b4 || cp == 0x17b5 || cp == 0x180e ||
           (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2060 && cp <= 0x2064) ||
           cp == 0x3164 || (cp >= 0xfe00 && cp <= 0xfe0f) || cp == 0xfeff ||
           cp == 0xffa0 || (cp >= 0xe0000 && cp <= 0xe0fff);
}

/* Combining marks of the main blocks: they draw onto the character before
 * them, so a name made of them, or starting with one, is not a name. */
static bool is_combining(uint32_t cp)
{
    return (cp >= 0x300 && cp <= 0x36f) || (cp >= 0x483 && cp <= 0x489) ||
           (cp >= 0x591 && cp <= 0x5bd) || (cp >= 0x610 && cp <= 0x61a) ||
           (cp >= 0x64b && cp <= 0x65f) || (cp >= 0x1ab0 && cp <= 0x1aff) ||
           (cp >= 0x1dc0 && cp <= 0x1dff) || (cp >= 0x20d0 && cp <= 0x20ff) ||
           (cp >= 0xfe20 && cp <= 0xfe2f);
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
        /* bidi controls would let a name reorder the text around it */
        if (is_control(cp) || lm_is_bidi_control(cp))
            return false;
        if (i == 0 && is_combining(cp))
            return false;
        if (!is_space(cp) && !is_invisible(cp) && !is_combining(cp))
            seen_visible = true;
        i += n;
    }
    return seen_visible; /* false for "", spaces only, marks only */
}

bool lm_is_bidi_control(unsigned long cp)
{
    return (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

char *lm_text_shown(const char *s)
{
    size_t len = strlen(s);
    /* worst case: every byte becomes "\x1b" (4) or a break "\n  | " (5) */
    char *out = malloc(5 * len + 1);
    if (!out)
        return NULL;
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, o = 0;
    while (i < len) {
        size_t n = seq_len(p + i, len - i);
        if (n == 0) { /* not UTF-8: U+FFFD, one byte at a time */
            memcpy(out + o, "\xef\xbf\xbd", 3);
            o += 3;
            i++;
            continue;
        }
        uint32_t cp = seq_cp(p + i, n);
        if (cp == '\n') {
            memcpy(out + o, "\n  | ", 5);
            o += 5;
        } else if (cp == '\t') {
            out[o++] = ' ';
        } else if (cp < 0x20 || cp == 0x7f) {
            o += (size_t)snprintf(out + o, 5, "\\x%02x", (unsigned)cp);
        } else if ((cp >= 0x80 && cp <= 0x9f) || lm_is_bidi_control(cp)) {
            /* 2 or 3 input bytes become 6 */
            o += (size_t)snprintf(out + o, 7, "\\u%04x", (unsigned)cp);
        } else {
            memcpy(out + o, p + i, n);
            o += n;
        }
        i += n;
    }
    out[o] = '\0';
    return out;
}
