/* txt.c - building and reading the TXT record of a lanmeet node.
 *
 * The reader is strict about the fields it knows and lenient about the rest,
 * so that a later version can add keys without breaking this one; see txt.h
 * for the rules. Every item is read through its length only: TXT strings
 * come off the wire and need not be NUL-terminated.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* strncasecmp under -std=c11 */
#endif
#include "txt.h"

#include "err.h"

#include <assert.h>
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define ID_TAG_LEN 11 /* " (" + 8 hex digits + ")" */
#define PEER_FIELD(m) sizeof(((lm_disc_peer *)0)->m) /* bytes, with NUL */

static_assert(LM_TXT_ITEM_MAX >= sizeof "name=" - 1 + PEER_FIELD(name),
              "a name item must fit its buffer");
static_assert(LM_TXT_ITEM_MAX >= sizeof "room=" - 1 + PEER_FIELD(room),
              "a room item must fit its buffer");
static_assert(LM_TXT_ITEM_MAX >= sizeof "role=" - 1 + PEER_FIELD(role),
              "a role item must fit its buffer");
static_assert(LM_TXT_ITEM_MAX >= sizeof "term=18446744073709551615",
              "a term item must fit its buffer");

size_t lm_txt_copy(char *dst, size_t cap, const char *src, size_t len)
{
    size_t n = src ? len : 0;

    if (n >= cap) { /* cut, and step back to the start of a character */
        n = cap - 1;
        while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
            n--;
    }
    if (n)
        memcpy(dst, src, n);
    dst[n] = '\0';
    return n;
}

static size_t copy_str(char *dst, size_t cap, const char *src)
{
    return lm_txt_copy(dst, cap, src, src ? strlen(src) : 0);
}

/* ---- reading ------------------------------------------------------------ */

/* 1..maxlen digits in base 10 or 16, no sign, no overflow past max. */
static int parse_num(const char *v, size_t n, unsigned base, size_t maxlen,
                     uint64_t max, uint64_t *out)
{
    static const char digits[] = "0123456789abcdef";
    uint64_t x = 0;

    if (n < 1 || n > maxlen)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const char *d = memchr(digits, tolower((unsigned char)v[i]), base);
        if (!d || x > (max - (uint64_t)(d - digits)) / base)
            return -1;
        x = x * base + (uint64_t)(d - digits);
    }
    *out = x;
    return 0;
}

int lm_txt_parse(const lm_txt_item *items, size_t n, lm_disc_peer *out)
{
    lm_disc_peer p;
    uint64_t ver = 0;
    struct {
        const char *key;
        char *text; /* a text field of `cap` bytes, or ... */
        size_t cap;
        uint64_t *num; /* ... a number */
        unsigned base;
        size_t maxlen;
        uint64_t max;
    } f[] = {
        {"id", NULL, 0, &p.id, 16, 16, UINT64_MAX},
        {"ver", NULL, 0, &ver, 10, 10, UINT32_MAX},
        {"term", NULL, 0, &p.term, 10, 20, UINT64_MAX},
        {"name", p.name, sizeof p.name, NULL, 0, 0, 0},
        {"room", p.room, sizeof p.room, NULL, 0, 0, 0},
        {"role", p.role, sizeof p.role, NULL, 0, 0, 0},
    };
    const size_t nf = sizeof f / sizeof f[0];
    unsigned seen = 0;

    if (!out || (!items && n > 0))
        return LM_EINVAL;
    memset(&p, 0, sizeof p);
    for (size_t k = 0; k < n; k++) {
        const char *d = items[k].data;
        size_t len = items[k].len, klen, vlen, i;
        const char *eq = d ? memchr(d, '=', len) : NULL;

        if (!eq)
            continue; /* a flag without value, or nothing */
        klen = (size_t)(eq - d);
        vlen = len - klen - 1;
        for (i = 0; i < nf; i++)
            if (klen == strlen(f[i].key) && !strncasecmp(d, f[i].key, klen))
                break;
        if (i == nf)
            continue; /* a key of a later version, or an empty key */
        if (seen & 1u << i)
            return LM_EPROTO;
        seen |= 1u << i;
        if (f[i].num ? parse_num(eq + 1, vlen, f[i].base, f[i].maxlen, f[i].max,
                                 f[i].num) < 0
                     : memchr(eq + 1, '\0', vlen) != NULL)
            return LM_EPROTO;
        if (f[i].text)
            lm_txt_copy(f[i].text, f[i].cap, eq + 1, vlen);
    }
    if (p.id == 0) /* missing, or 0: both mean no lanmeet node */
        return LM_EPROTO;
    p.version = (unsigned)ver; /* at most UINT32_MAX, checked above */
    p.ipv4 = out->ipv4;
    p.port = out->port;
    *out = p;
    return 0;
}

/* ---- building ----------------------------------------------------------- */

/* Appends "key=" and the text, cut to a field of cap bytes. */
static void add_text(lm_txt_record *r, const char *key, const char *text,
                     size_t cap)
{
    char *s = r->str[r->n];
    size_t klen = strlen(key);

    memcpy(s, key, klen);
    s[klen] = '=';
    r->len[r->n] = klen + 1 + copy_str(s + klen + 1, cap, text);
    r->n++;
}

/* Ends an item that snprintf wrote into the next slot; every format here
 * fits LM_TXT_ITEM_MAX. */
static void add_fmt(lm_txt_record *r, int len)
{
    r->len[r->n] = len > 0 ? (size_t)len : 0;
    r->n++;
}

int lm_txt_build(const lm_disc_self *self, lm_txt_record *out)
{
    if (!self || !out || self->id == 0)
        return LM_EINVAL;
    memset(out, 0, sizeof *out);
    add_fmt(out, snprintf(out->str[out->n], LM_TXT_ITEM_MAX, "ver=%d",
                          LM_TXT_VERSION));
    add_fmt(out, snprintf(out->str[out->n], LM_TXT_ITEM_MAX, "id=%016" PRIx64,
                          self->id));
    add_text(out, "name", self->name, PEER_FIELD(name));
    add_text(out, "room", self->room, PEER_FIELD(room));
    add_text(out, "role", self->role, PEER_FIELD(role));
    add_fmt(out, snprintf(out->str[out->n], LM_TXT_ITEM_MAX, "term=%" PRIu64,
                          self->term));
    return 0;
}

void lm_txt_instance_name(const char *name, uint64_t id,
                          char out[LM_TXT_INSTANCE_MAX + 1])
{
    char cut[LM_TXT_INSTANCE_MAX + 1 - ID_TAG_LEN];

    copy_str(cut, sizeof cut, name && name[0] ? name : "lanmeet");
    snprintf(out, LM_TXT_INSTANCE_MAX + 1, "%s (%08" PRIx32 ")", cut,
             (uint32_t)(id >> 32));
}
