/* json.c - JSON writer; see json.h. */
#include "json.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mesh/node.h"

void lm_json_init(lm_json *j)
{
    memset(j, 0, sizeof *j);
}

void lm_json_free(lm_json *j)
{
    free(j->buf);
    memset(j, 0, sizeof *j);
}

void lm_json_reset(lm_json *j)
{
    j->len = 0;
    j->need_comma = false;
    j->oom = false;
    if (j->buf)
        j->buf[0] = '\0';
}

static void put(lm_json *j, const char *s, size_t n)
{
    if (j->oom)
        return;
    if (j->len + n + 1 > j->cap) {
        size_t cap = j->cap ? j->cap : 256;
        while (cap < j->len + n + 1)
            cap *= 2;
        char *b = realloc(j->buf, cap);
        if (!b) {
            j->oom = true;
            return;
        }
        j->buf = b;
        j->cap = cap;
    }
    memcpy(j->buf + j->len, s, n);
    j->len += n;
    j->buf[j->len] = '\0';
}

static void puts_(lm_json *j, const char *s)
{
    put(j, s, strlen(s));
}

/* Length of the valid UTF-8 sequence at s (1-4), 0 when invalid. */
static size_t utf8_seq(const unsigned char *s)
{
    unsigned c = s[0];
    size_t n;
    unsigned min;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        min = 0x10000;
    } else {
        return 0;
    }
    unsigned cp = c & (0x7f >> n);
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

static void put_string(lm_json *j, const char *s)
{
    put(j, "\"", 1);
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        size_t n = utf8_seq(p);
        if (n == 0) {
            puts_(j, "\\ufffd");
            p++;
            continue;
        }
        if (n > 1) {
            put(j, (const char *)p, n);
            p += n;
            continue;
        }
        char esc[8];
        switch (*p) {
        case '"': puts_(j, "\\\""); break;
        case '\\': puts_(j, "\\\\"); break;
        case '\n': puts_(j, "\\n"); break;
        case '\r': puts_(j, "\\r"); break;
        case '\t': puts_(j, "\\t"); break;
        default:
            if (*p < 0x20 || *p == 0x7f) {
                snprintf(esc, sizeof esc, "\\u%04x", *p);
                puts_(j, esc);
            } else {
                put(j, (const char *)p, 1);
            }
        }
        p++;
    }
    put(j, "\"", 1);
}

static void key(lm_json *j, const char *k)
{
    if (j->need_comma)
        put(j, ",", 1);
    j->need_comma = true;
    if (k) {
        put_string(j, k);
        put(j, ":", 1);
    }
}

void lm_json_open(lm_json *j, const char *k, char bracket)
{
    key(j, k);
    put(j, &bracket, 1);
    j->need_comma = false;
}

void lm_json_close(lm_json *j, char bracket)
{
    put(j, &bracket, 1);
    j->need_comma = true;
}

void lm_json_str(lm_json *j, const char *k, const char *val)
{
    key(j, k);
    if (val)
        put_string(j, val);
    else
        puts_(j, "null");
}

void lm_json_int(lm_json *j, const char *k, int64_t val)
{
    char b[24];
    snprintf(b, sizeof b, "%" PRId64, val);
    key(j, k);
    puts_(j, b);
}

void lm_json_uint(lm_json *j, const char *k, uint64_t val)
{
    char b[24];
    snprintf(b, sizeof b, "%" PRIu64, val);
    key(j, k);
    puts_(j, b);
}

void lm_json_bool(lm_json *j, const char *k, bool val)
{
    key(j, k);
    puts_(j, val ? "true" : "false");
}

void lm_json_null(lm_json *j, const char *k)
{
    key(j, k);
    puts_(j, "null");
}

void lm_json_id(lm_json *j, const char *k, uint64_t id)
{
    char b[LM_ID_STR];
    lm_id_format(id, b);
    lm_json_str(j, k, id ? b : NULL);
}
