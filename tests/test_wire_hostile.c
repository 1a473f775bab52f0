/* test_wire_hostile.c - hostile input for core/wire.c.
 *
 * Truncated and trailing bytes, strings and counts over their caps, bad
 * UTF-8 and names unfit to show, unknown types, other protocol versions,
 * sealed bytes, small buffers and bad arguments: each is refused with the
 * right error, by both the encoder and the decoder. Malformed packets are
 * crafted byte by byte with the builder in wire_samples.h; the round
 * trips are in test_wire.c. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "err.h"
#include "wire.h"
#include "wire_samples.h"

/* ---- crafted packets -------------------------------------------------- */

/* An INTRO with this name and room, raw bytes, lengths given. */
static void craft_intro(bb *x, const char *name, size_t nlen, const char *room,
                        size_t rlen)
{
    x->n = 0;
    put(x, LM_MSG_INTRO, 1);
    put(x, 2, 8);  /* start_ms */
    put(x, 0, 1);  /* flags */
    put(x, 80, 2); /* port */
    put(x, 0, 1);  /* members */
    put(x, 0, 4);  /* run */
    put_str(x, 1, name, nlen);
    put_str(x, 1, room, rlen);
    put_state(x, 0, 0, 0);
}

/* A CHAT with this name and text, the text's prefix given separately so
 * it can lie. */
static void craft_chat(bb *x, const char *name, size_t nlen, size_t tprefix,
                       const char *text, size_t tlen)
{
    x->n = 0;
    put(x, LM_MSG_CHAT, 1);
    put(x, 1, 8); /* seq */
    put(x, 7, 8); /* chain */
    put(x, 2, 8); /* origin */
    put(x, 3, 8); /* msgid */
    put(x, 4, 8); /* ts */
    put(x, 0, 1); /* flags */
    put_str(x, 1, name, nlen);
    put(x, tprefix, 2);
    put_raw(x, text, tlen);
}

/* A DM that claims nto recipients and carries them, then "hi". */
static void craft_dm(bb *x, unsigned nto)
{
    x->n = 0;
    put(x, LM_MSG_DM, 1);
    put(x, 1, 8); /* msgid */
    put(x, 2, 8); /* ts */
    put(x, nto, 1);
    for (unsigned i = 0; i < nto; i++)
        put(x, i + 1, 8);
    PUT_S16(x, "hi");
}

/* ---- truncated, trailing, oversize ------------------------------------ */

/* Every proper prefix of every message fails as malformed. */
static void test_truncation_every_length(void)
{
    static lm_msg m, out;
    uint8_t buf[LM_WIRE_MAX];
    int fails = 0;

    for (int big = 0; big <= 1; big++) {
        for (uint8_t t = FIRST_TYPE; t < LM_MSG_TYPE_END; t++) {
            if (!plain_type(t))
                continue;
            if (big)
                sample_max(t, &m);
            else
                sample(t, &m);
            int len = lm_wire_encode(&m, buf, sizeof buf);
            CHECK(len > 0);
            for (int k = 0; k < len; k++)
                if (decode_exact(buf, (size_t)k, &out) != LM_EPROTO)
                    fails++;
        }
    }
    CHECK_EQ_INT(fails, 0);
}

static void test_trailing_byte(void)
{
    static lm_msg m, out;
    uint8_t buf[LM_WIRE_MAX + 1];

    for (uint8_t t = FIRST_TYPE; t < LM_MSG_TYPE_END; t++) {
        if (!plain_type(t))
            continue;
        sample(t, &m);
        int len = lm_wire_encode(&m, buf, sizeof buf);
        CHECK(len > 0);
        buf[len] = 0;
        /* fixed-size types are always at their cap, so the size check
         * catches the extra byte before the parser does */
        CHECK_RC(decode_exact(buf, (size_t)len + 1, &out),
                 (size_t)len < lm_wire_max_size(t) ? LM_EPROTO : LM_ETOOBIG);

        /* at the cap, one more byte is over the type's size */
        sample_max(t, &m);
        len = lm_wire_encode(&m, buf, sizeof buf);
        CHECK(len > 0);
        buf[len] = 0;
        CHECK_RC(decode_exact(buf, (size_t)len + 1, &out), LM_ETOOBIG);
    }
}

/* Every string field of every type, for the tests that treat them alike. */
static const struct strfield {
    uint8_t type;
    size_t off, size; /* where in lm_msg, and the char array's size */
    bool name;        /* must also pass lm_name_valid */
} str_fields[] = {
#define FIELD(t, f, nm) {t, offsetof(lm_msg, u.f), sizeof(((lm_msg *)0)->u.f), nm}
    FIELD(LM_MSG_INTRO, intro.name, true),
    FIELD(LM_MSG_INTRO, intro.room, true),
    FIELD(LM_MSG_REJECT, reject.reason, false),
    FIELD(LM_MSG_CHAT_SUBMIT, submit.text, false),
    FIELD(LM_MSG_CHAT, chat.name, true),
    FIELD(LM_MSG_CHAT, chat.text, false),
    FIELD(LM_MSG_DM, dm.text, false),
#undef FIELD
};

#define N_STR_FIELDS (sizeof str_fields / sizeof str_fields[0])

/* The sample of f's type, with f set to s (len bytes and a NUL). */
static char *sample_with(const struct strfield *f, lm_msg *m, const char *s,
                         size_t len)
{
    sample(f->type, m);
    char *dst = (char *)m + f->off;
    memcpy(dst, s, len);
    dst[len] = '\0';
    return dst;
}

/* A string that fills its whole array has no NUL: longer than its cap. */
static void test_oversize_encode(void)
{
    static lm_msg m;
    uint8_t buf[LM_WIRE_MAX];

    for (size_t i = 0; i < N_STR_FIELDS; i++) {
        char *dst = sample_with(&str_fields[i], &m, "", 0);
        memset(dst, 'x', str_fields[i].size);
        CHECK_RC(lm_wire_encode(&m, buf, sizeof buf), LM_ETOOBIG);
    }
}

static void test_oversize_decode(void)
{
    static char big[LM_TEXT_MAX + 1];
    static lm_msg out;
    bb x;

    memset(big, 'a', sizeof big);

    /* a name one byte over its cap, in a message under the type's cap */
    craft_intro(&x, big, LM_NAME_MAX + 1, "r", 1);
    CHECK(x.n <= lm_wire_max_size(LM_MSG_INTRO));
    CHECK_RC(decode_bb(&x, &out), LM_ETOOBIG);
    craft_intro(&x, "n", 1, big, LM_ROOM_MAX + 1);
    CHECK(x.n <= lm_wire_max_size(LM_MSG_INTRO));
    CHECK_RC(decode_bb(&x, &out), LM_ETOOBIG);
    craft_intro(&x, big, UINT8_MAX, "r", 1);
    CHECK_RC(decode_bb(&x, &out), LM_ETOOBIG);
    /* at the cap exactly, both are fine */
    craft_intro(&x, big, LM_NAME_MAX, big, LM_ROOM_MAX);
    CHECK(x.n == lm_wire_max_size(LM_MSG_INTRO));
    CHECK_RC(decode_bb(&x, &out), 0);
    CHECK_EQ_INT(strlen(out.u.intro.name), LM_NAME_MAX);
    CHECK_EQ_INT(strlen(out.u.intro.room), LM_ROOM_MAX);
    craft_chat(&x, big, LM_NAME_MAX + 1, 2, "hi", 2);
    CHECK_RC(decode_bb(&x, &out), LM_ETOOBIG);
    x.n = 0;
    put(&x, LM_MSG_REJECT, 1);
    put(&x, 1, 1);
    put_str(&x, 1, big, LM_REASON_MAX + 1); /* also over the type's size */
    CHECK_RC(decode_bb(&x, &out), LM_ETOOBIG);

    /* a text prefix one over the cap, with few bytes behind it */
    craft_chat(&x, "n", 1, LM_TEXT_MAX + 1, "hi", 2);
    CHECK_RC(decode_bb(&x, &out), LM_ETOOBIG);
    craft_chat(&x, "n", 1, UINT16_MAX, "hi", 2);
    CHECK_RC(decode_bb(&x, &out), LM_ETOOBIG);

    /* the whole message over its type's size, caught before parsing */
    x.n = 0;
    put(&x, LM_MSG_CHAT_SUBMIT, 1);
    put(&x, 1, 8);
    put(&x, 2, 8);
    put_str(&x, 2, big, LM_TEXT_MAX + 1);
    CHECK(x.n == lm_wire_max_size(LM_MSG_CHAT_SUBMIT) + 1);
    CHECK_RC(decode_bb(&x, &out), LM_ETOOBIG);
    x.n = 0;
    put(&x, LM_MSG_CHAT_ACK, 1);
    put(&x, 1, 8);
    put(&x, 0, 1);
    CHECK_RC(decode_bb(&x, &out), LM_ETOOBIG);
    uint8_t huge[LM_WIRE_MAX + 1] = {LM_MSG_STATE};
    CHECK_RC(decode_exact(huge, sizeof huge, &out), LM_ETOOBIG);
}

/* Encode needs the whole message to fit the buffer, and no more. */
static void test_encode_small_buffer(void)
{
    static lm_msg m;
    uint8_t buf[LM_WIRE_MAX];

    for (uint8_t t = FIRST_TYPE; t < LM_MSG_TYPE_END; t++) {
        if (!plain_type(t))
            continue;
        sample(t, &m);
        int len = lm_wire_encode(&m, buf, sizeof buf);
        CHECK(len > 0);
        for (int cap = 0; cap < len; cap++) {
            uint8_t *p = malloc((size_t)cap + 1);
            if (!p)
                abort();
            CHECK_RC(lm_wire_encode(&m, p, (size_t)cap), LM_ETOOBIG);
            free(p);
        }
        uint8_t *p = malloc((size_t)len);
        if (!p)
            abort();
        CHECK_RC(lm_wire_encode(&m, p, (size_t)len), len);
        free(p);
    }
    sample(LM_MSG_CHAT_ACK, &m);
    CHECK_RC(lm_wire_encode(&m, NULL, 0), LM_ETOOBIG);

    /* a bad field is reported ahead of a small buffer */
    sample(LM_MSG_INTRO, &m);
    m.u.intro.name[0] = '\x01';
    CHECK_RC(lm_wire_encode(&m, buf, 3), LM_EINVAL);
}

/* ---- bad strings ------------------------------------------------------ */

#define LIT(s) {s, sizeof(s) - 1}

static void test_bad_utf8_encode(void)
{
    static const struct {
        const char *s;
        size_t len;
    } bad[] = {
        LIT("ok \xff"), LIT("\xed\xa0\x80"), /* surrogate */
        LIT("\xc0\xaf"),                    /* overlong */
        LIT("cut \xe2\x82"), LIT("\xf4\x90\x80\x80"), /* > U+10FFFF */
    };
    static lm_msg m;
    uint8_t buf[LM_WIRE_MAX];

    for (size_t i = 0; i < N_STR_FIELDS; i++) {
        for (size_t j = 0; j < sizeof bad / sizeof bad[0]; j++) {
            sample_with(&str_fields[i], &m, bad[j].s, bad[j].len);
            CHECK_RC(lm_wire_encode(&m, buf, sizeof buf), LM_EINVAL);
        }
    }
}

static void test_bad_utf8_decode(void)
{
    static lm_msg out;
    bb x;

    craft_chat(&x, "n", 1, 2, "\xc3\x28", 2);
    CHECK_RC(decode_bb(&x, &out), LM_EUTF8);
    craft_chat(&x, "n", 1, 3, "a\0b", 3); /* NUL inside text */
    CHECK_RC(decode_bb(&x, &out), LM_EUTF8);
    craft_chat(&x, "\xff", 1, 2, "hi", 2);
    CHECK_RC(decode_bb(&x, &out), LM_EUTF8);
    craft_intro(&x, "ok", 2, "\xed\xbf\xbf", 3);
    CHECK_RC(decode_bb(&x, &out), LM_EUTF8);
    craft_intro(&x, "\xe2\x82", 2, "r", 1);
    CHECK_RC(decode_bb(&x, &out), LM_EUTF8);
    craft_intro(&x, "a\0b", 3, "r", 1); /* NUL inside a name */
    CHECK_RC(decode_bb(&x, &out), LM_EUTF8);
    craft_intro(&x, "n", 1, "\xc0\xaf", 2); /* overlong */
    CHECK_RC(decode_bb(&x, &out), LM_EUTF8);

    x.n = 0;
    put(&x, LM_MSG_CHAT_SUBMIT, 1);
    put(&x, 1, 8);
    put(&x, 2, 8);
    PUT_S16(&x, "\xf0\x9f\x98"); /* cut 4-byte sequence */
    CHECK_RC(decode_bb(&x, &out), LM_EUTF8);

    x.n = 0;
    put(&x, LM_MSG_REJECT, 1);
    put(&x, 1, 1);
    PUT_S8(&x, "\xc0\x80");
    CHECK_RC(decode_bb(&x, &out), LM_EUTF8);

    craft_dm(&x, 1);
    x.b[x.n - 1] = 0x80; /* "h" then a lone continuation byte */
    CHECK_RC(decode_bb(&x, &out), LM_EUTF8);
}

/* Names and rooms are UTF-8 and also fit to show; other strings need only
 * be UTF-8, so the same bytes pass there. */
static void test_bad_names(void)
{
    static const struct {
        const char *s;
        size_t len;
    } bad[] = {
        LIT(""), LIT("   "), LIT("a\nb"), LIT("\x1b[2J"), LIT("x\x7f"),
        LIT("\xc2\x9b"), LIT("\xc2\xa0"),
    };
    static lm_msg m, out;
    uint8_t buf[LM_WIRE_MAX];
    bb x;

    for (size_t j = 0; j < sizeof bad / sizeof bad[0]; j++) {
        for (size_t i = 0; i < N_STR_FIELDS; i++) {
            sample_with(&str_fields[i], &m, bad[j].s, bad[j].len);
            int rc = lm_wire_encode(&m, buf, sizeof buf);
            if (str_fields[i].name)
                CHECK_RC(rc, LM_EINVAL);
            else
                CHECK(rc > 0);
        }
        craft_intro(&x, bad[j].s, bad[j].len, "r", 1);
        CHECK_RC(decode_bb(&x, &out), LM_EPROTO);
        craft_intro(&x, "n", 1, bad[j].s, bad[j].len);
        CHECK_RC(decode_bb(&x, &out), LM_EPROTO);
        craft_chat(&x, bad[j].s, bad[j].len, 2, "hi", 2);
        CHECK_RC(decode_bb(&x, &out), LM_EPROTO);
        craft_chat(&x, "n", 1, bad[j].len, bad[j].s, bad[j].len);
        CHECK_RC(decode_bb(&x, &out), 0);
        CHECK_EQ_STR(out.u.chat.text, bad[j].s);
    }
}

/* ---- types, versions, counts ------------------------------------------ */

static void test_unknown_type(void)
{
    static const uint8_t types[] = {0, LM_MSG_TYPE_END, 100, 255};
    static lm_msg m, out;
    uint8_t buf[16] = {0};

    for (size_t i = 0; i < sizeof types; i++) {
        buf[0] = types[i];
        CHECK_RC(decode_exact(buf, 1, &out), LM_EUNKNOWN);
        CHECK_RC(decode_exact(buf, sizeof buf, &out), LM_EUNKNOWN);
        CHECK_EQ_INT(lm_wire_max_size(types[i]), 0);
        CHECK_EQ_STR(lm_wire_type_name(types[i]), "unknown");
        sample(LM_MSG_CHAT_ACK, &m);
        m.type = types[i];
        CHECK_RC(lm_wire_encode(&m, buf, sizeof buf), LM_EINVAL);
    }
    CHECK_RC(lm_wire_decode(NULL, 0, &out), LM_EPROTO);
    CHECK_RC(lm_wire_decode(buf, 0, &out), LM_EPROTO);
}

/* A sealed packet is the crypto layer's: never a plain message, whatever
 * follows its first byte, and never something the codec writes. */
static void test_sealed(void)
{
    static lm_msg m, out;
    uint8_t buf[LM_WIRE_MAX + 1];

    CHECK_EQ_INT(lm_wire_max_size(LM_MSG_SEALED), 0);
    memset(buf, 0, sizeof buf);
    buf[0] = LM_MSG_SEALED;
    CHECK_RC(decode_exact(buf, 1, &out), LM_EPROTO);
    CHECK_RC(decode_exact(buf, 64, &out), LM_EPROTO);
    CHECK_RC(decode_exact(buf, sizeof buf, &out), LM_EPROTO);
    CHECK_EQ_INT(out.type, 0); /* nothing decoded */

    /* not even when the bytes after it would make a fine message */
    sample(LM_MSG_CHAT, &m);
    int len = lm_wire_encode(&m, buf, sizeof buf);
    CHECK(len > 0);
    buf[0] = LM_MSG_SEALED;
    CHECK_RC(decode_exact(buf, (size_t)len, &out), LM_EPROTO);

    sample(LM_MSG_CHAT_ACK, &m);
    m.type = LM_MSG_SEALED;
    CHECK_RC(lm_wire_encode(&m, buf, sizeof buf), LM_EINVAL);
}

static void test_version_mismatch(void)
{
    static lm_msg m, out;
    uint8_t buf[LM_WIRE_MAX];
    bb x;

    sample(LM_MSG_HELLO, &m);
    m.u.hello.version = LM_PROTO_VERSION + 1;
    int len = lm_wire_encode(&m, buf, sizeof buf);
    CHECK(len > 0);
    CHECK_RC(decode_exact(buf, (size_t)len, &out), LM_EVERSION);
    CHECK_EQ_INT(out.type, LM_MSG_HELLO);
    CHECK_EQ_INT(out.u.hello.version, LM_PROTO_VERSION + 1);
    CHECK(out.u.hello.magic == LM_PROTO_MAGIC);
    /* only magic and version are filled */
    CHECK_EQ_INT(out.u.hello.flags, 0);
    CHECK(out.u.hello.room_tag == 0);
    for (size_t i = 0; i < LM_KEY_LEN; i++)
        CHECK(out.u.hello.eph_pk[i] == 0 && out.u.hello.id_pk[i] == 0);
    for (size_t i = 0; i < LM_SIGNATURE_LEN; i++)
        CHECK_EQ_INT(out.u.hello.sig[i], 0);

    sample(LM_MSG_HELLO, &m);
    m.u.hello.magic = 0xdeadbeefu;
    len = lm_wire_encode(&m, buf, sizeof buf);
    CHECK_RC(decode_exact(buf, (size_t)len, &out), LM_EVERSION);
    CHECK(out.u.hello.magic == 0xdeadbeefu);
    CHECK_EQ_INT(out.u.hello.version, LM_PROTO_VERSION);

    /* magic and version alone are enough to say which version it is */
    put_hello(&x, LM_PROTO_MAGIC, 0);
    x.n = 7;
    CHECK_RC(decode_bb(&x, &out), LM_EVERSION);
    CHECK_EQ_INT(out.u.hello.version, 0);

    /* a later version's larger hello still reads as a version mismatch */
    put_hello(&x, LM_PROTO_MAGIC, 0xffff);
    x.n = lm_wire_max_size(LM_MSG_HELLO) + 100;
    memset(x.b + 7, 0xee, x.n - 7);
    CHECK_RC(decode_bb(&x, &out), LM_EVERSION);
    CHECK_EQ_INT(out.u.hello.version, 0xffff);

    /* too short to hold a version at all */
    put_hello(&x, LM_PROTO_MAGIC, 7);
    x.n = 6;
    CHECK_RC(decode_bb(&x, &out), LM_EPROTO);
    x.n = 1;
    CHECK_RC(decode_bb(&x, &out), LM_EPROTO);

    /* the right version, too large for this version's hello */
    put_hello(&x, LM_PROTO_MAGIC, LM_PROTO_VERSION);
    x.b[x.n++] = 0;
    CHECK(x.n == lm_wire_max_size(LM_MSG_HELLO) + 1);
    CHECK_RC(decode_bb(&x, &out), LM_ETOOBIG);

    /* ...and a shorter one is malformed, even by one byte */
    put_hello(&x, LM_PROTO_MAGIC, LM_PROTO_VERSION);
    x.n--;
    CHECK_RC(decode_bb(&x, &out), LM_EPROTO);

    /* a whole hello of another version: still only the version */
    put_hello(&x, LM_PROTO_MAGIC, LM_PROTO_VERSION + 1);
    CHECK_RC(decode_bb(&x, &out), LM_EVERSION);
    CHECK_EQ_INT(out.u.hello.version, LM_PROTO_VERSION + 1);
    CHECK(out.u.hello.room_tag == 0);
    CHECK_EQ_INT(out.u.hello.eph_pk[0], 0);
}

static void test_counts(void)
{
    static lm_msg m, out;
    uint8_t buf[LM_WIRE_MAX];
    bb x;

    sample(LM_MSG_DM, &m);
    m.u.dm.nto = 0;
    CHECK_RC(lm_wire_encode(&m, buf, sizeof buf), LM_EINVAL);
    m.u.dm.nto = LM_MAX_PEERS + 1;
    CHECK_RC(lm_wire_encode(&m, buf, sizeof buf), LM_ETOOBIG);
    m.u.dm.nto = 255;
    CHECK_RC(lm_wire_encode(&m, buf, sizeof buf), LM_ETOOBIG);

    craft_dm(&x, 0);
    CHECK_RC(decode_bb(&x, &out), LM_EPROTO);
    craft_dm(&x, LM_MAX_PEERS + 1);
    CHECK(x.n <= lm_wire_max_size(LM_MSG_DM));
    CHECK_RC(decode_bb(&x, &out), LM_ETOOBIG);
    craft_dm(&x, LM_MAX_PEERS);
    CHECK_RC(decode_bb(&x, &out), 0);
    CHECK_EQ_INT(out.u.dm.nto, LM_MAX_PEERS);
    CHECK(out.u.dm.to[LM_MAX_PEERS - 1] == LM_MAX_PEERS);

    sample(LM_MSG_PEERS, &m);
    m.u.peers.n = LM_MAX_PEERS + 1;
    CHECK_RC(lm_wire_encode(&m, buf, sizeof buf), LM_ETOOBIG);

    x.n = 0;
    put(&x, LM_MSG_PEERS, 1);
    put(&x, LM_MAX_PEERS + 1, 1);
    CHECK_RC(decode_bb(&x, &out), LM_ETOOBIG);
    /* a count that promises more peers than follow */
    x.n = 0;
    put(&x, LM_MSG_PEERS, 1);
    put(&x, 2, 1);
    put(&x, 1, 8), put(&x, 2, 4), put(&x, 3, 2);
    CHECK_RC(decode_bb(&x, &out), LM_EPROTO);
}

static void test_bad_arguments(void)
{
    static lm_msg m;
    uint8_t buf[16];

    sample(LM_MSG_CHAT_ACK, &m);
    CHECK_RC(lm_wire_encode(NULL, buf, sizeof buf), LM_EINVAL);
    CHECK_RC(lm_wire_encode(&m, NULL, 5), LM_EINVAL);
    CHECK_RC(lm_wire_decode(buf, sizeof buf, NULL), LM_EINVAL);
    CHECK_RC(lm_wire_decode(NULL, 5, &m), LM_EINVAL);
}

int main(void)
{
    RUN(test_truncation_every_length);
    RUN(test_trailing_byte);
    RUN(test_oversize_encode);
    RUN(test_oversize_decode);
    RUN(test_encode_small_buffer);
    RUN(test_bad_utf8_encode);
    RUN(test_bad_utf8_decode);
    RUN(test_bad_names);
    RUN(test_unknown_type);
    RUN(test_sealed);
    RUN(test_version_mismatch);
    RUN(test_counts);
    RUN(test_bad_arguments);
    return check_report();
}
