/* safename.c - a local file name from a hostile one (safename.h). */
#include "safename.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "text.h"

#define EXT_MAX 16 /* bytes of an extension kept when a name is cut */

/* Length of the one UTF-8 sequence at p (n bytes left), 0 if it is not a
 * well-formed one; the code point in *cp. */
static size_t utf8_one(const unsigned char *p, size_t n, uint32_t *cp)
{
    unsigned char b = p[0];
    size_t k = b < 0x80                 ? 1
               : b >= 0xc2 && b <= 0xdf ? 2
               : b >= 0xe0 && b <= 0xef ? 3
               : b >= 0xf0 && b <= 0xf4 ? 4
                                        : 0;
    /* the lead byte fixes the length, so valid k bytes are one sequence */
    if (k == 0 || k > n || !lm_utf8_valid((const char *)p, k))
        return 0;
    static const unsigned char lead_mask[5] = {0, 0x7f, 0x1f, 0x0f, 0x07};
    uint32_t v = b & lead_mask[k];
    for (size_t i = 1; i < k; i++)
        v = (v << 6) | (p[i] & 0x3fu);
    *cp = v;
    return k;
}

static bool is_control(uint32_t cp)
{
    return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f);
}

/* Bidi controls and the marks that steer the order as well (LRM, RLM,
 * ALM): none has a place in a file name. */
static bool is_bidi(uint32_t cp)
{
    return lm_is_bidi_control(cp) || cp == 0x200e || cp == 0x200f ||
           cp == 0x061c;
}

/* Cuts s back to at most max bytes without splitting a character. */
static size_t cut_utf8(const char *s, size_t len, size_t max)
{
    if (len <= max)
        return len;
    size_t n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
        n--; /* s[n] continues a character: cut before its start */
    return n;
}

static size_t trim_end(const char *s, size_t n)
{
    while (n > 0 && (s[n - 1] == '.' || s[n - 1] == ' '))
        n--;
    return n;
}

/* Where a short extension starts (its dot), or len when there is none. */
static size_t ext_start(const char *s, size_t len)
{
    for (size_t i = len; i-- > 1;) {
        if (len - i > EXT_MAX + 1)
            break;
        if (s[i] == '.')
            return i;
        if (s[i] == ' ')
            break;
    }
    return len;
}

void lm_safename(const char *in, size_t len, char out[LM_SAFENAME_MAX + 1])
{
    /* each input byte becomes at most 3 bytes (U+FFFD) */
    char clean[3 * LM_SAFENAME_IN_MAX + 1];
    size_t n = 0;
    clean[0] = '\0';
    const unsigned char *p = (const unsigned char *)in;
    if (!in)
        len = 0;
    if (len > LM_SAFENAME_IN_MAX)
        len = LM_SAFENAME_IN_MAX;
    for (size_t i = 0; i < len;) {
        uint32_t cp = 0;
        size_t k = p[i] == 0 ? 0 : utf8_one(p + i, len - i, &cp);
        if (k == 0) {
            if (p[i] == 0) {
                clean[n++] = '_';
            } else { /* not UTF-8: U+FFFD for this byte */
                memcpy(clean + n, "\xef\xbf\xbd", 3);
                n += 3;
            }
            i++;
            continue;
        }
        if (cp == '/' || cp == '\\' || is_control(cp))
            clean[n++] = '_';
        else if (!is_bidi(cp)) {
            memcpy(clean + n, p + i, k);
            n += k;
        }
        i += k;
    }
    /* no leading dot (hidden, "..", "."), dash (an option) or space */
    size_t start = 0;
    while (start < n &&
           (clean[start] == '.' || clean[start] == '-' || clean[start] == ' '))
        start++;
    const char *s = clean + start;
    n = trim_end(s, n - start);

    size_t e = ext_start(s, n);
    size_t extlen = n - e;
    size_t stem = e;
    if (n > LM_SAFENAME_MAX) {
        if (extlen >= LM_SAFENAME_MAX / 2) { /* no real extension: cut all */
            stem = cut_utf8(s, n, LM_SAFENAME_MAX);
            extlen = 0;
        } else {
            stem = cut_utf8(s, e, LM_SAFENAME_MAX - extlen);
        }
        stem = trim_end(s, stem);
    }
    memcpy(out, s, stem);
    memcpy(out + stem, s + e, extlen);
    out[stem + extlen] = '\0';
    if (stem == 0 || !lm_name_valid(out, stem + extlen))
        strcpy(out, LM_SAFENAME_FALLBACK);
}

/* ---- a new file under a name nobody holds -------------------------------- */

/* Where the part that " (N)" goes before starts: ".tar.gz" stays whole. */
static size_t suffix_at(const char *name, size_t len)
{
    size_t e = ext_start(name, len);
    if (e < len && e >= 5 && memcmp(name + e - 4, ".tar", 4) == 0)
        return e - 4;
    return e;
}

static bool looks_safe(const char *name)
{
    size_t len = strnlen(name, LM_SAFENAME_MAX + 1);
    return len > 0 && len <= LM_SAFENAME_MAX && name[0] != '.' &&
           name[0] != '-' && !strchr(name, '/') && !strchr(name, '\\');
}

int lm_safename_create(int dirfd, const char *name, unsigned mode, char *out,
                       size_t cap)
{
    if (!name || !out || cap < LM_SAFENAME_MAX + 16 || !looks_safe(name))
        return LM_EINVAL;
    size_t len = strlen(name);
    size_t at = suffix_at(name, len);
    for (int i = 0; i < LM_SAFENAME_TRIES; i++) {
        if (i == 0)
            snprintf(out, cap, "%s", name);
        else
            snprintf(out, cap, "%.*s (%d)%s", (int)at, name, i, name + at);
        int fd = openat(dirfd, out,
                        O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                        (mode_t)mode);
        if (fd >= 0)
            return fd;
        if (errno != EEXIST)
            return LM_EIO;
    }
    out[0] = '\0';
    return LM_EFULL;
}
