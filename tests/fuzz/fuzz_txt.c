/* fuzz_txt.c - libFuzzer target for the TXT record reader (discovery/txt.c).
 *
 * The input is the RDATA of a DNS TXT record, as it comes off the wire: a
 * sequence of strings, each one length byte and that many bytes. A last
 * string cut short by the end of the input keeps what is there. Each string
 * is copied into a heap buffer of exactly its length, so a read past a
 * length is caught by AddressSanitizer even inside the input.
 *
 * When lm_txt_parse() succeeds: the id is not 0; every text field is
 * NUL-terminated inside its array and is a prefix of the value it came from
 * (empty when its key is absent), whole when the value fits, and cut at a
 * character boundary with valid UTF-8 kept valid when it does not; the
 * address is left alone; and the peer built again with lm_txt_build()
 * parses back to the same values. When it fails, the output is untouched.
 * Any break aborts.
 *
 * Build: clang -D_POSIX_C_SOURCE=200809L -g \
 *        -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
 *        -Icore -Idiscovery core/text.c core/err.c discovery/txt.c \
 *        tests/fuzz/fuzz_txt.c -o fuzz_txt
 * Run:   mkdir -p /tmp/txt_out && ./fuzz_txt /tmp/txt_out tests/fuzz/corpus/txt
 * The seeds in tests/fuzz/corpus/txt come from tests/fuzz/make_txt_corpus.c.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "err.h"
#include "text.h"
#include "txt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The value of the item with this key (keys are unique once parsed), or
 * NULL. */
static const char *value_of(const lm_txt_item *it, size_t n, const char *key,
                            size_t *vlen)
{
    size_t klen = strlen(key);

    for (size_t i = 0; i < n; i++) {
        const char *eq = memchr(it[i].data, '=', it[i].len);
        if (eq && (size_t)(eq - it[i].data) == klen &&
            strncasecmp(it[i].data, key, klen) == 0) {
            *vlen = it[i].len - klen - 1;
            return eq + 1;
        }
    }
    return NULL;
}

/* field (an array of cap bytes) against the value it was read from. */
static void check_text(const char *field, size_t cap, const lm_txt_item *it,
                       size_t n, const char *key)
{
    size_t vlen = 0, len;
    const char *v = value_of(it, n, key, &vlen);
    const char *end = memchr(field, '\0', cap);

    if (!end)
        abort(); /* not terminated inside its field */
    len = (size_t)(end - field);
    if (!v) {
        if (len != 0)
            abort();
        return;
    }
    if (len > vlen || memcmp(field, v, len) != 0)
        abort(); /* not a prefix of its value */
    if (vlen < cap && len != vlen)
        abort();       /* it fitted, yet was cut */
    if (vlen >= cap) { /* cut: before v[len], the first byte of a char */
        if (len > 0 && ((unsigned char)v[len] & 0xC0) == 0x80)
            abort();
        for (size_t k = len + 1; k < cap; k++)
            if (((unsigned char)v[k] & 0xC0) != 0x80)
                abort(); /* cut further back than the character */
    }
    if (lm_utf8_valid(v, vlen) &&
        (!lm_utf8_valid(field, len) || (vlen >= cap && len + 4 < cap)))
        abort(); /* valid text cut into invalid text, or too short */
}

static void check_peer(const lm_disc_peer *p, const lm_txt_item *it, size_t n)
{
    lm_disc_self self;
    lm_txt_record r;
    lm_txt_item again[LM_TXT_ITEMS];
    lm_disc_peer q;

    if (p->id == 0 || p->ipv4 != 0xdeadbeef || p->port != 0xbeef)
        abort();
    check_text(p->name, sizeof p->name, it, n, "name");
    check_text(p->room, sizeof p->room, it, n, "room");
    check_text(p->role, sizeof p->role, it, n, "role");

    self = (lm_disc_self){p->id, p->name, p->room, 0, p->role, p->term};
    if (lm_txt_build(&self, &r) != 0 || r.n != LM_TXT_ITEMS)
        abort();
    for (size_t i = 0; i < r.n; i++) {
        if (r.len[i] != strlen(r.str[i]))
            abort();
        again[i] = (lm_txt_item){r.str[i], r.len[i]};
    }
    memset(&q, 0, sizeof q);
    if (lm_txt_parse(again, r.n, &q) != 0 || q.id != p->id ||
        q.term != p->term || q.version != LM_TXT_VERSION ||
        strcmp(q.name, p->name) != 0 || strcmp(q.room, p->room) != 0 ||
        strcmp(q.role, p->role) != 0)
        abort(); /* what we read does not survive a build */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lm_txt_item *it = calloc(size + 1, sizeof *it);
    lm_disc_peer p, before;
    size_t n = 0, pos = 0;

    if (!it)
        return 0;
    while (pos < size) {
        size_t len = data[pos++];
        char *copy;

        if (len > size - pos)
            len = size - pos; /* a string cut short by the end */
        if (!(copy = malloc(len ? len : 1)))
            break;
        memcpy(copy, data + pos, len);
        it[n++] = (lm_txt_item){copy, len};
        pos += len;
    }

    memset(&p, 0xa5, sizeof p);
    p.ipv4 = 0xdeadbeef;
    p.port = 0xbeef;
    memcpy(&before, &p, sizeof p); /* padding too */
    int rc = lm_txt_parse(it, n, &p);
    if (rc == 0)
        check_peer(&p, it, n);
    else if (rc != LM_EPROTO || memcmp(&p, &before, sizeof p) != 0)
        abort(); /* a refusal must leave the output alone */

    for (size_t i = 0; i < n; i++)
        free((char *)it[i].data);
    free(it);
    return 0;
}
