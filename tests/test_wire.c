/* test_wire.c - round trips and hostile input for core/wire.c.
 *
 * Two kinds of message are used throughout: a typical one per type and a
 * largest one per type (every string and count at its cap). Bad input is
 * built byte by byte with a small builder that knows the layout in wire.c's
 * header comment, independently of the encoder, so a test of the decoder
 * does not lean on the encoder being right. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "err.h"
#include "wire.h"

#define FIRST_TYPE LM_MSG_HELLO
#define CHECK_RC(call, want) CHECK_EQ_INT((call), (want))

/* Every type from FIRST_TYPE up is a message the codec encodes, except
 * SEALED, which is framing for the crypto layer; the loops skip it. */
static bool plain_type(uint8_t t) { return t != LM_MSG_SEALED; }

/* ---- messages --------------------------------------------------------- */

static void set_str(char *dst, const char *src) { strcpy(dst, src); }

/* n bytes that count up from first, so a swapped or shifted key shows. */
static void fill_bytes(uint8_t *dst, size_t n, uint8_t first)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = (uint8_t)(first + i);
}

/* dst gets cap bytes made of unit repeated, padded with 'a' at the end. */
static void fill_str(char *dst, size_t cap, const char *unit)
{
    size_t u = strlen(unit), n = 0;
    while (n + u <= cap) {
        memcpy(dst + n, unit, u);
        n += u;
    }
    while (n < cap)
        dst[n++] = 'a';
    dst[n] = '\0';
}

static void sample(uint8_t type, lm_msg *m)
{
    memset(m, 0, sizeof *m);
    m->type = type;
    switch (type) {
    case LM_MSG_HELLO:
        m->u.hello.magic = LM_PROTO_MAGIC;
        m->u.hello.version = LM_PROTO_VERSION;
        m->u.hello.flags = LM_HELLO_PRIVATE;
        m->u.hello.room_tag = 0x1122334455667788u;
        fill_bytes(m->u.hello.eph_pk, LM_KEY_LEN, 0x10);
        fill_bytes(m->u.hello.id_pk, LM_KEY_LEN, 0x80);
        fill_bytes(m->u.hello.sig, LM_SIGNATURE_LEN, 0xc0);
        break;
    case LM_MSG_REJECT:
        m->u.reject.code = LM_REJECT_ROOM;
        set_str(m->u.reject.reason, "room \"x\" is not ours");
        break;
    case LM_MSG_STATE:
        m->u.state.st = (lm_elect_state){7, 5, 9};
        m->u.state.flags = LM_INTRO_FORCED;
        break;
    case LM_MSG_PEERS:
        m->u.peers.n = 3;
        m->u.peers.peer[0] = (lm_peer_addr){1, 0xc0a80102u, 7000};
        m->u.peers.peer[1] = (lm_peer_addr){UINT64_MAX, 0x7f000001u, 65535};
        m->u.peers.peer[2] = (lm_peer_addr){0, 0, 0};
        break;
    case LM_MSG_CHAT_SUBMIT:
        m->u.submit.msgid = 1;
        m->u.submit.ts = INT64_MIN;
        set_str(m->u.submit.text, "hi \xe2\x9c\x93\nline 2\t");
        break;
    case LM_MSG_CHAT:
        m->u.chat.seq = UINT64_MAX;
        m->u.chat.origin = 5;
        m->u.chat.msgid = UINT32_MAX;
        m->u.chat.ts = -1;
        m->u.chat.flags = LM_CHAT_HISTORY;
        set_str(m->u.chat.name, "Ana");
        set_str(m->u.chat.text, "\xf0\x9f\x98\x80 hello");
        break;
    case LM_MSG_CHAT_ACK:
        m->u.ack.seq = 12345;
        break;
    case LM_MSG_SYNC_REQ:
        m->u.sync_req.seq = 0x0102030405060708u;
        m->u.sync_req.origin = UINT64_MAX;
        m->u.sync_req.msgid = 0xa0b0c0d0u;
        break;
    case LM_MSG_SYNC_START:
        m->u.sync_start.seq = 0x8000000000000000u;
        m->u.sync_start.flags = LM_SYNC_RESET;
        break;
    case LM_MSG_DM:
        m->u.dm.msgid = 9;
        m->u.dm.ts = INT64_MAX;
        m->u.dm.nto = 2;
        m->u.dm.to[0] = 4;
        m->u.dm.to[1] = 0;
        set_str(m->u.dm.text, "psst");
        break;
    case LM_MSG_INTRO:
        m->u.intro.start_ms = 1700000000123;
        m->u.intro.flags = LM_INTRO_FORCED;
        m->u.intro.port = 7000;
        set_str(m->u.intro.name, "Zo\xc3\xab");
        set_str(m->u.intro.room, "team room");
        m->u.intro.st = (lm_elect_state){3, 0x1122334455667788u, 42};
        break;
    }
}

/* The largest message of a type: every string and count at its cap. */
static void sample_max(uint8_t type, lm_msg *m)
{
    sample(type, m);
    switch (type) {
    case LM_MSG_INTRO:
        fill_str(m->u.intro.name, LM_NAME_MAX, "\xc3\xa9");
        fill_str(m->u.intro.room, LM_ROOM_MAX, "r");
        break;
    case LM_MSG_REJECT:
        fill_str(m->u.reject.reason, LM_REASON_MAX, "x");
        break;
    case LM_MSG_PEERS:
        m->u.peers.n = LM_MAX_PEERS;
        for (unsigned i = 0; i < LM_MAX_PEERS; i++)
            m->u.peers.peer[i] = (lm_peer_addr){100 + i, 0x0a000000u + i,
                                                (uint16_t)(5000 + i)};
        break;
    case LM_MSG_CHAT_SUBMIT:
        fill_str(m->u.submit.text, LM_TEXT_MAX, "\xe2\x82\xac");
        break;
    case LM_MSG_CHAT:
        fill_str(m->u.chat.name, LM_NAME_MAX, "\xf0\x9f\x98\x80");
        fill_str(m->u.chat.text, LM_TEXT_MAX, "t");
        break;
    case LM_MSG_DM:
        m->u.dm.nto = LM_MAX_PEERS;
        for (unsigned i = 0; i < LM_MAX_PEERS; i++)
            m->u.dm.to[i] = 1000 + i;
        fill_str(m->u.dm.text, LM_TEXT_MAX, "\xc3\xa9");
        break;
    }
}

static void check_state(const lm_elect_state *a, const lm_elect_state *b)
{
    CHECK(a->term == b->term);
    CHECK(a->hub == b->hub);
    CHECK(a->deputy == b->deputy);
}

/* Every field of a and b that their type uses is equal. */
static void check_same(const lm_msg *a, const lm_msg *b)
{
    CHECK_EQ_INT(a->type, b->type);
    if (a->type != b->type)
        return;
    switch (a->type) {
    case LM_MSG_HELLO:
        CHECK(a->u.hello.magic == b->u.hello.magic);
        CHECK_EQ_INT(a->u.hello.version, b->u.hello.version);
        CHECK_EQ_INT(a->u.hello.flags, b->u.hello.flags);
        CHECK(a->u.hello.room_tag == b->u.hello.room_tag);
        CHECK(memcmp(a->u.hello.eph_pk, b->u.hello.eph_pk, LM_KEY_LEN) == 0);
        CHECK(memcmp(a->u.hello.id_pk, b->u.hello.id_pk, LM_KEY_LEN) == 0);
        CHECK(memcmp(a->u.hello.sig, b->u.hello.sig, LM_SIGNATURE_LEN) == 0);
        break;
    case LM_MSG_REJECT:
        CHECK_EQ_INT(a->u.reject.code, b->u.reject.code);
        CHECK_EQ_STR(a->u.reject.reason, b->u.reject.reason);
        break;
    case LM_MSG_STATE:
        check_state(&a->u.state.st, &b->u.state.st);
        CHECK_EQ_INT(a->u.state.flags, b->u.state.flags);
        break;
    case LM_MSG_PEERS:
        CHECK_EQ_INT(a->u.peers.n, b->u.peers.n);
        for (size_t i = 0; i < a->u.peers.n && i < LM_MAX_PEERS; i++) {
            CHECK(a->u.peers.peer[i].id == b->u.peers.peer[i].id);
            CHECK(a->u.peers.peer[i].ipv4 == b->u.peers.peer[i].ipv4);
            CHECK_EQ_INT(a->u.peers.peer[i].port, b->u.peers.peer[i].port);
        }
        break;
    case LM_MSG_CHAT_SUBMIT:
        CHECK(a->u.submit.msgid == b->u.submit.msgid);
        CHECK(a->u.submit.ts == b->u.submit.ts);
        CHECK_EQ_STR(a->u.submit.text, b->u.submit.text);
        break;
    case LM_MSG_CHAT:
        CHECK(a->u.chat.seq == b->u.chat.seq);
        CHECK(a->u.chat.origin == b->u.chat.origin);
        CHECK(a->u.chat.msgid == b->u.chat.msgid);
        CHECK(a->u.chat.ts == b->u.chat.ts);
        CHECK_EQ_INT(a->u.chat.flags, b->u.chat.flags);
        CHECK_EQ_STR(a->u.chat.name, b->u.chat.name);
        CHECK_EQ_STR(a->u.chat.text, b->u.chat.text);
        break;
    case LM_MSG_CHAT_ACK:
        CHECK(a->u.ack.seq == b->u.ack.seq);
        break;
    case LM_MSG_SYNC_REQ:
        CHECK(a->u.sync_req.seq == b->u.sync_req.seq);
        CHECK(a->u.sync_req.origin == b->u.sync_req.origin);
        CHECK(a->u.sync_req.msgid == b->u.sync_req.msgid);
        break;
    case LM_MSG_SYNC_START:
        CHECK(a->u.sync_start.seq == b->u.sync_start.seq);
        CHECK_EQ_INT(a->u.sync_start.flags, b->u.sync_start.flags);
        break;
    case LM_MSG_DM:
        CHECK(a->u.dm.msgid == b->u.dm.msgid);
        CHECK(a->u.dm.ts == b->u.dm.ts);
        CHECK_EQ_INT(a->u.dm.nto, b->u.dm.nto);
        for (size_t i = 0; i < a->u.dm.nto && i < LM_MAX_PEERS; i++)
            CHECK(a->u.dm.to[i] == b->u.dm.to[i]);
        CHECK_EQ_STR(a->u.dm.text, b->u.dm.text);
        break;
    case LM_MSG_INTRO:
        CHECK(a->u.intro.start_ms == b->u.intro.start_ms);
        CHECK_EQ_INT(a->u.intro.flags, b->u.intro.flags);
        CHECK_EQ_INT(a->u.intro.port, b->u.intro.port);
        CHECK_EQ_STR(a->u.intro.name, b->u.intro.name);
        CHECK_EQ_STR(a->u.intro.room, b->u.intro.room);
        check_state(&a->u.intro.st, &b->u.intro.st);
        break;
    default:
        CHECK(!"unknown type in check_same");
    }
}

/* Decodes len bytes from an exact-size heap copy, so that ASan reports any
 * read past the end. */
static int decode_exact(const uint8_t *buf, size_t len, lm_msg *m)
{
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy)
        abort();
    memcpy(copy, buf, len);
    int rc = lm_wire_decode(copy, len, m);
    free(copy);
    return rc;
}

/* ---- a byte builder that knows the layout ----------------------------- */

typedef struct bb {
    uint8_t b[LM_WIRE_MAX + 64];
    size_t n;
} bb;

static void put(bb *x, uint64_t v, size_t width)
{
    for (size_t i = 0; i < width; i++)
        x->b[x->n++] = (uint8_t)(v >> (8 * i));
}

static void put_raw(bb *x, const void *p, size_t len)
{
    memcpy(x->b + x->n, p, len);
    x->n += len;
}

/* A string with a prefix of width bytes holding len, then len bytes. */
static void put_str(bb *x, size_t width, const char *s, size_t len)
{
    put(x, len, width);
    put_raw(x, s, len);
}

#define PUT_S8(x, lit) put_str((x), 1, lit, sizeof(lit) - 1)
#define PUT_S16(x, lit) put_str((x), 2, lit, sizeof(lit) - 1)

static void put_state(bb *x, uint64_t term, uint64_t hub, uint64_t deputy)
{
    put(x, term, 8);
    put(x, hub, 8);
    put(x, deputy, 8);
}

/* A whole HELLO with the given magic and version: keys of 0x11, 0x22
 * and a signature of 0x33. */
static void put_hello(bb *x, uint32_t magic, uint16_t version)
{
    x->n = 0;
    put(x, LM_MSG_HELLO, 1);
    put(x, magic, 4);
    put(x, version, 2);
    put(x, 0, 1); /* flags */
    put(x, 5, 8); /* room_tag */
    memset(x->b + x->n, 0x11, LM_KEY_LEN), x->n += LM_KEY_LEN;
    memset(x->b + x->n, 0x22, LM_KEY_LEN), x->n += LM_KEY_LEN;
    memset(x->b + x->n, 0x33, LM_SIGNATURE_LEN), x->n += LM_SIGNATURE_LEN;
}

/* An INTRO with this name and room, raw bytes, lengths given. */
static void craft_intro(bb *x, const char *name, size_t nlen, const char *room,
                        size_t rlen)
{
    x->n = 0;
    put(x, LM_MSG_INTRO, 1);
    put(x, 2, 8);  /* start_ms */
    put(x, 0, 1);  /* flags */
    put(x, 80, 2); /* port */
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
    put(x, 2, 8); /* origin */
    put(x, 3, 4); /* msgid */
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
    put(x, 1, 4); /* msgid */
    put(x, 2, 8); /* ts */
    put(x, nto, 1);
    for (unsigned i = 0; i < nto; i++)
        put(x, i + 1, 8);
    PUT_S16(x, "hi");
}

static int decode_bb(const bb *x, lm_msg *m) { return decode_exact(x->b, x->n, m); }

/* ---- round trips ------------------------------------------------------ */

static void roundtrip(const lm_msg *in)
{
    uint8_t buf[LM_WIRE_MAX], again[LM_WIRE_MAX];
    lm_msg out;
    int len = lm_wire_encode(in, buf, sizeof buf);
    CHECK(len > 0);
    if (len <= 0)
        return;
    CHECK((size_t)len <= lm_wire_max_size(in->type));
    CHECK_RC(decode_exact(buf, (size_t)len, &out), 0);
    check_same(in, &out);
    /* decoding then encoding gives back the very same bytes */
    CHECK_RC(lm_wire_encode(&out, again, sizeof again), len);
    CHECK(memcmp(buf, again, (size_t)len) == 0);
}

static void test_roundtrip_each_type(void)
{
    lm_msg m;
    for (uint8_t t = FIRST_TYPE; t < LM_MSG_TYPE_END; t++) {
        if (!plain_type(t))
            continue;
        sample(t, &m);
        roundtrip(&m);
    }
}

/* The largest message of each type round-trips and is exactly the size
 * lm_wire_max_size gives, so the size table matches the codec. */
static void test_roundtrip_max_each_type(void)
{
    static lm_msg m;
    uint8_t buf[LM_WIRE_MAX];
    for (uint8_t t = FIRST_TYPE; t < LM_MSG_TYPE_END; t++) {
        if (!plain_type(t))
            continue;
        sample_max(t, &m);
        roundtrip(&m);
        CHECK_RC(lm_wire_encode(&m, buf, sizeof buf), (int)lm_wire_max_size(t));
    }
}

static void test_roundtrip_edges(void)
{
    lm_msg m;

    sample(LM_MSG_CHAT_SUBMIT, &m); /* empty chat text is the node's call */
    m.u.submit.text[0] = '\0';
    roundtrip(&m);

    sample(LM_MSG_REJECT, &m); /* empty reason */
    m.u.reject.reason[0] = '\0';
    roundtrip(&m);

    sample(LM_MSG_PEERS, &m); /* a node with no links yet */
    m.u.peers.n = 0;
    roundtrip(&m);

    sample(LM_MSG_DM, &m); /* one recipient */
    m.u.dm.nto = 1;
    roundtrip(&m);

    sample(LM_MSG_HELLO, &m); /* keys are opaque here: any bytes go */
    m.u.hello.flags = 0xff;
    m.u.hello.room_tag = 0;
    memset(m.u.hello.eph_pk, 0, LM_KEY_LEN);
    memset(m.u.hello.id_pk, 0xff, LM_KEY_LEN);
    memset(m.u.hello.sig, 0, LM_SIGNATURE_LEN);
    roundtrip(&m);
    m.u.hello.flags = 0;
    roundtrip(&m);

    sample(LM_MSG_INTRO, &m); /* ids of 0 are for the node to judge */
    m.u.intro.st = (lm_elect_state){0, 0, 0};
    m.u.intro.start_ms = INT64_MIN;
    m.u.intro.flags = 0xff;
    m.u.intro.port = 0;
    set_str(m.u.intro.name, "x");
    set_str(m.u.intro.room, " r ");
    roundtrip(&m);
    m.u.intro.start_ms = INT64_MAX;
    m.u.intro.port = UINT16_MAX;
    roundtrip(&m);

    sample(LM_MSG_SYNC_REQ, &m); /* a member with no history yet */
    m.u.sync_req.seq = 0;
    m.u.sync_req.origin = 0;
    m.u.sync_req.msgid = 0;
    roundtrip(&m);

    sample(LM_MSG_SYNC_START, &m); /* no reset, unknown flags kept */
    m.u.sync_start.seq = 0;
    m.u.sync_start.flags = 0;
    roundtrip(&m);
    m.u.sync_start.flags = 0xfe;
    roundtrip(&m);

    sample(LM_MSG_STATE, &m);
    m.u.state.st = (lm_elect_state){UINT64_MAX, 0, UINT64_MAX};
    roundtrip(&m);
}

/* ---- the exact bytes -------------------------------------------------- */

/* Every type's typical sample encodes to the bytes the layout in wire.c
 * describes, as built here by hand. */
static void test_layout_each_type(void)
{
    uint8_t buf[LM_WIRE_MAX];
    lm_msg m;
    bb x;

    for (uint8_t t = FIRST_TYPE; t < LM_MSG_TYPE_END; t++) {
        if (!plain_type(t))
            continue;
        sample(t, &m);
        x.n = 0;
        put(&x, t, 1);
        switch (t) {
        case LM_MSG_HELLO:
            put(&x, LM_PROTO_MAGIC, 4);
            put(&x, LM_PROTO_VERSION, 2);
            put(&x, LM_HELLO_PRIVATE, 1);
            put(&x, 0x1122334455667788u, 8);
            for (unsigned i = 0; i < LM_KEY_LEN; i++)
                put(&x, 0x10 + i, 1);
            for (unsigned i = 0; i < LM_KEY_LEN; i++)
                put(&x, 0x80 + i, 1);
            for (unsigned i = 0; i < LM_SIGNATURE_LEN; i++)
                put(&x, (0xc0 + i) & 0xff, 1);
            break;
        case LM_MSG_REJECT:
            put(&x, LM_REJECT_ROOM, 1);
            PUT_S8(&x, "room \"x\" is not ours");
            break;
        case LM_MSG_STATE:
            put_state(&x, 7, 5, 9);
            put(&x, 1, 1);
            break;
        case LM_MSG_PEERS:
            put(&x, 3, 1);
            put(&x, 1, 8), put(&x, 0xc0a80102u, 4), put(&x, 7000, 2);
            put(&x, UINT64_MAX, 8), put(&x, 0x7f000001u, 4), put(&x, 65535, 2);
            put(&x, 0, 8), put(&x, 0, 4), put(&x, 0, 2);
            break;
        case LM_MSG_CHAT_SUBMIT:
            put(&x, 1, 4);
            put(&x, 0x8000000000000000u, 8); /* INT64_MIN */
            PUT_S16(&x, "hi \xe2\x9c\x93\nline 2\t");
            break;
        case LM_MSG_CHAT:
            put(&x, UINT64_MAX, 8);
            put(&x, 5, 8);
            put(&x, UINT32_MAX, 4);
            put(&x, UINT64_MAX, 8); /* -1 */
            put(&x, LM_CHAT_HISTORY, 1);
            PUT_S8(&x, "Ana");
            PUT_S16(&x, "\xf0\x9f\x98\x80 hello");
            break;
        case LM_MSG_CHAT_ACK:
            put(&x, 12345, 8);
            break;
        case LM_MSG_SYNC_REQ:
            put(&x, 0x0102030405060708u, 8);
            put(&x, UINT64_MAX, 8);
            put(&x, 0xa0b0c0d0u, 4);
            break;
        case LM_MSG_SYNC_START:
            put(&x, 0x8000000000000000u, 8);
            put(&x, LM_SYNC_RESET, 1);
            break;
        case LM_MSG_DM:
            put(&x, 9, 4);
            put(&x, INT64_MAX, 8);
            put(&x, 2, 1);
            put(&x, 4, 8);
            put(&x, 0, 8);
            PUT_S16(&x, "psst");
            break;
        case LM_MSG_INTRO:
            put(&x, 1700000000123u, 8);
            put(&x, LM_INTRO_FORCED, 1);
            put(&x, 7000, 2);
            PUT_S8(&x, "Zo\xc3\xab");
            PUT_S8(&x, "team room");
            put_state(&x, 3, 0x1122334455667788u, 42);
            break;
        }
        int len = lm_wire_encode(&m, buf, sizeof buf);
        CHECK_RC(len, (int)x.n);
        if (len == (int)x.n)
            CHECK(memcmp(buf, x.b, x.n) == 0);
    }
}

/* Byte order spelled out once, for anyone reading the tests for the
 * format: the magic is the bytes 'T','E','M','L' on the wire. */
static void test_little_endian_bytes(void)
{
    static const uint8_t ack[] = {7, 8, 7, 6, 5, 4, 3, 2, 1};
    static const uint8_t hello_head[] = {1, 'T', 'E', 'M', 'L', 1, 0};
    uint8_t buf[LM_WIRE_MAX];
    lm_msg m;

    sample(LM_MSG_CHAT_ACK, &m);
    m.u.ack.seq = 0x0102030405060708u;
    CHECK_RC(lm_wire_encode(&m, buf, sizeof buf), (int)sizeof ack);
    CHECK(memcmp(buf, ack, sizeof ack) == 0);

    static const uint8_t sync_req[] = {8, 3, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0,
                                       0, 0, 0, 0, 0, 1, 0, 0, 0};
    sample(LM_MSG_SYNC_REQ, &m);
    m.u.sync_req.seq = 3;
    m.u.sync_req.origin = 2;
    m.u.sync_req.msgid = 1;
    CHECK_RC(lm_wire_encode(&m, buf, sizeof buf), (int)sizeof sync_req);
    CHECK(memcmp(buf, sync_req, sizeof sync_req) == 0);

    static const uint8_t sync_start[] = {9, 1, 0, 0, 0, 0, 0, 0, 0, 1};
    sample(LM_MSG_SYNC_START, &m);
    m.u.sync_start.seq = 1;
    CHECK_RC(lm_wire_encode(&m, buf, sizeof buf), (int)sizeof sync_start);
    CHECK(memcmp(buf, sync_start, sizeof sync_start) == 0);

    sample(LM_MSG_HELLO, &m);
    CHECK(lm_wire_encode(&m, buf, sizeof buf) > (int)sizeof hello_head);
    CHECK(memcmp(buf, hello_head, sizeof hello_head) == 0);
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
    put(&x, 1, 4);
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
    put(&x, 1, 4);
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

static void test_type_names(void)
{
    for (uint8_t t = FIRST_TYPE; t < LM_MSG_TYPE_END; t++) {
        CHECK(strcmp(lm_wire_type_name(t), "unknown") != 0);
        for (uint8_t u = FIRST_TYPE; u < t; u++)
            CHECK(strcmp(lm_wire_type_name(t), lm_wire_type_name(u)) != 0);
    }
    for (uint8_t t = FIRST_TYPE; t < LM_MSG_TYPE_END; t++) {
        if (!plain_type(t))
            continue;
        CHECK(lm_wire_max_size(t) > 0 && lm_wire_max_size(t) <= LM_WIRE_MAX);
    }
    CHECK_EQ_STR(lm_wire_type_name(LM_MSG_HELLO), "hello");
    CHECK_EQ_STR(lm_wire_type_name(LM_MSG_DM), "dm");
    CHECK_EQ_STR(lm_wire_type_name(LM_MSG_INTRO), "intro");
    CHECK_EQ_STR(lm_wire_type_name(LM_MSG_SEALED), "sealed");
    CHECK_EQ_INT(LM_MSG_INTRO, 11);
    CHECK_EQ_INT(LM_MSG_SEALED, 12);
    CHECK_EQ_INT(LM_MSG_TYPE_END, LM_MSG_SEALED + 1);
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

/* A hand-built HELLO decodes into exactly the fields it carries. */
static void test_hello_decode(void)
{
    static lm_msg out;
    bb x;

    put_hello(&x, LM_PROTO_MAGIC, LM_PROTO_VERSION);
    x.b[7] = LM_HELLO_PRIVATE;
    CHECK(x.n == lm_wire_max_size(LM_MSG_HELLO));
    CHECK_RC(decode_bb(&x, &out), 0);
    CHECK_EQ_INT(out.type, LM_MSG_HELLO);
    CHECK(out.u.hello.magic == LM_PROTO_MAGIC);
    CHECK_EQ_INT(out.u.hello.version, LM_PROTO_VERSION);
    CHECK_EQ_INT(out.u.hello.flags, LM_HELLO_PRIVATE);
    CHECK(out.u.hello.room_tag == 5);
    for (size_t i = 0; i < LM_KEY_LEN; i++) {
        CHECK_EQ_INT(out.u.hello.eph_pk[i], 0x11);
        CHECK_EQ_INT(out.u.hello.id_pk[i], 0x22);
    }
    for (size_t i = 0; i < LM_SIGNATURE_LEN; i++)
        CHECK_EQ_INT(out.u.hello.sig[i], 0x33);
}

/* A hand-built INTRO decodes into every field, and every prefix of it is
 * refused: each field boundary is a place a short packet may stop. */
static void test_intro_decode(void)
{
    static lm_msg out;
    bb x;

    x.n = 0;
    put(&x, LM_MSG_INTRO, 1);
    put(&x, 0xfffffffffffffffeu, 8); /* start_ms -2 */
    put(&x, LM_INTRO_FORCED, 1);
    put(&x, 0xbeef, 2);
    PUT_S8(&x, "\xe6\x9d\x8e \xf0\x9f\x98\x80");
    PUT_S8(&x, "lab");
    put_state(&x, 9, UINT64_MAX, 1);
    CHECK_RC(decode_bb(&x, &out), 0);
    CHECK_EQ_INT(out.type, LM_MSG_INTRO);
    CHECK(out.u.intro.start_ms == -2);
    CHECK_EQ_INT(out.u.intro.flags, LM_INTRO_FORCED);
    CHECK_EQ_INT(out.u.intro.port, 0xbeef);
    CHECK_EQ_STR(out.u.intro.name, "\xe6\x9d\x8e \xf0\x9f\x98\x80");
    CHECK_EQ_STR(out.u.intro.room, "lab");
    CHECK(out.u.intro.st.term == 9);
    CHECK(out.u.intro.st.hub == UINT64_MAX);
    CHECK(out.u.intro.st.deputy == 1);

    for (size_t k = 0; k < x.n; k++)
        CHECK_RC(decode_exact(x.b, k, &out), LM_EPROTO);
    x.b[x.n++] = 0;
    CHECK_RC(decode_bb(&x, &out), LM_EPROTO); /* trailing byte */
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
    RUN(test_roundtrip_each_type);
    RUN(test_roundtrip_max_each_type);
    RUN(test_roundtrip_edges);
    RUN(test_layout_each_type);
    RUN(test_little_endian_bytes);
    RUN(test_truncation_every_length);
    RUN(test_trailing_byte);
    RUN(test_oversize_encode);
    RUN(test_oversize_decode);
    RUN(test_encode_small_buffer);
    RUN(test_bad_utf8_encode);
    RUN(test_bad_utf8_decode);
    RUN(test_bad_names);
    RUN(test_unknown_type);
    RUN(test_type_names);
    RUN(test_sealed);
    RUN(test_hello_decode);
    RUN(test_intro_decode);
    RUN(test_version_mismatch);
    RUN(test_counts);
    RUN(test_bad_arguments);
    return check_report();
}
