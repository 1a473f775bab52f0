/* test_wire.c - round trips and the exact bytes of core/wire.c.
 *
 * Every type's typical and largest message survives encode, decode and
 * encode again unchanged; the bytes match the layout in wire.c's header
 * comment, built by hand; hand-built HELLO and INTRO packets decode into
 * their fields. Hostile input (truncated, oversize, bad UTF-8, unknown
 * types, other versions, sealed bytes) is in test_wire_hostile.c; the
 * sample messages and the byte builder are in wire_samples.h. */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "err.h"
#include "wire.h"
#include "wire_samples.h"

/* ---- comparing messages ----------------------------------------------- */

static void check_state(const lm_elect_state *a, const lm_elect_state *b)
{
    CHECK(a->term == b->term);
    CHECK(a->hub == b->hub);
    CHECK(a->deputy == b->deputy);
    CHECK(a->hub_run == b->hub_run);
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
        CHECK(a->u.hello.key_check == b->u.hello.key_check);
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
        CHECK(a->u.chat.chain == b->u.chat.chain);
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
        CHECK(a->u.sync_req.chain == b->u.sync_req.chain);
        CHECK(a->u.sync_req.ask == b->u.sync_req.ask);
        break;
    case LM_MSG_SYNC_START:
        CHECK(a->u.sync_start.seq == b->u.sync_start.seq);
        CHECK_EQ_INT(a->u.sync_start.flags, b->u.sync_start.flags);
        CHECK(a->u.sync_start.ask == b->u.sync_start.ask);
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
        CHECK_EQ_INT(a->u.intro.members, b->u.intro.members);
        CHECK(a->u.intro.run == b->u.intro.run);
        CHECK_EQ_STR(a->u.intro.name, b->u.intro.name);
        CHECK_EQ_STR(a->u.intro.room, b->u.intro.room);
        check_state(&a->u.intro.st, &b->u.intro.st);
        break;
    default:
        CHECK(!"unknown type in check_same");
    }
}

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
    m.u.intro.st = (lm_elect_state){0, 0, 0, 0};
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
    m.u.state.st = (lm_elect_state){UINT64_MAX, 0, UINT64_MAX, UINT32_MAX};
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
            put(&x, 0x0102030405060708u, 8);
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
            put_state_run(&x, 7, 5, 9, 0xdeadbeefu);
            put(&x, 1, 1);
            break;
        case LM_MSG_PEERS:
            put(&x, 3, 1);
            put(&x, 1, 8), put(&x, 0xc0a80102u, 4), put(&x, 7000, 2);
            put(&x, UINT64_MAX, 8), put(&x, 0x7f000001u, 4), put(&x, 65535, 2);
            put(&x, 0, 8), put(&x, 0, 4), put(&x, 0, 2);
            break;
        case LM_MSG_CHAT_SUBMIT:
            put(&x, 1, 8);
            put(&x, 0x8000000000000000u, 8); /* INT64_MIN */
            PUT_S16(&x, "hi \xe2\x9c\x93\nline 2\t");
            break;
        case LM_MSG_CHAT:
            put(&x, UINT64_MAX, 8);
            put(&x, 0x0badc0ffee0ddf00u, 8);
            put(&x, 5, 8);
            put(&x, UINT64_MAX, 8);
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
            put(&x, 0xa0b0c0d0e0f00001u, 8);
            put(&x, 0x1122334455667788u, 8);
            put(&x, 0x01020304u, 4);
            break;
        case LM_MSG_SYNC_START:
            put(&x, 0x8000000000000000u, 8);
            put(&x, LM_SYNC_RESET, 1);
            put(&x, UINT32_MAX, 4);
            break;
        case LM_MSG_DM:
            put(&x, 9, 8);
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
            put(&x, 63, 1);
            put(&x, 0, 4); /* run */
            PUT_S8(&x, "Zo\xc3\xab");
            PUT_S8(&x, "team room");
            put_state_run(&x, 3, 0x1122334455667788u, 42, 17);
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
    static const uint8_t hello_head[] = {1, 'T', 'E', 'M', 'L', 2, 0};
    uint8_t buf[LM_WIRE_MAX];
    lm_msg m;

    sample(LM_MSG_CHAT_ACK, &m);
    m.u.ack.seq = 0x0102030405060708u;
    CHECK_RC(lm_wire_encode(&m, buf, sizeof buf), (int)sizeof ack);
    CHECK(memcmp(buf, ack, sizeof ack) == 0);

    static const uint8_t sync_req[] = {8, 3, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0,
                                       0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0,
                                       0, 9, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0,
                                       0};
    sample(LM_MSG_SYNC_REQ, &m);
    m.u.sync_req.seq = 3;
    m.u.sync_req.origin = 2;
    m.u.sync_req.msgid = 1;
    m.u.sync_req.chain = 9;
    m.u.sync_req.ask = 7;
    CHECK_RC(lm_wire_encode(&m, buf, sizeof buf), (int)sizeof sync_req);
    CHECK(memcmp(buf, sync_req, sizeof sync_req) == 0);

    static const uint8_t sync_start[] = {9, 1, 0, 0, 0, 0, 0, 0, 0, 1,
                                         7, 0, 0, 0};
    sample(LM_MSG_SYNC_START, &m);
    m.u.sync_start.seq = 1;
    m.u.sync_start.ask = 7;
    CHECK_RC(lm_wire_encode(&m, buf, sizeof buf), (int)sizeof sync_start);
    CHECK(memcmp(buf, sync_start, sizeof sync_start) == 0);

    sample(LM_MSG_HELLO, &m);
    CHECK(lm_wire_encode(&m, buf, sizeof buf) > (int)sizeof hello_head);
    CHECK(memcmp(buf, hello_head, sizeof hello_head) == 0);
}

/* ---- type names, hand-built packets ----------------------------------- */

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
    CHECK(out.u.hello.key_check == 6);
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
    put(&x, 5, 1); /* members */
    put(&x, 0x01020304, 4); /* run */
    PUT_S8(&x, "\xe6\x9d\x8e \xf0\x9f\x98\x80");
    PUT_S8(&x, "lab");
    put_state(&x, 9, UINT64_MAX, 1);
    CHECK_RC(decode_bb(&x, &out), 0);
    CHECK_EQ_INT(out.type, LM_MSG_INTRO);
    CHECK(out.u.intro.start_ms == -2);
    CHECK_EQ_INT(out.u.intro.flags, LM_INTRO_FORCED);
    CHECK_EQ_INT(out.u.intro.port, 0xbeef);
    CHECK_EQ_INT(out.u.intro.members, 5);
    CHECK(out.u.intro.run == 0x01020304);
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

int main(void)
{
    RUN(test_roundtrip_each_type);
    RUN(test_roundtrip_max_each_type);
    RUN(test_roundtrip_edges);
    RUN(test_layout_each_type);
    RUN(test_little_endian_bytes);
    RUN(test_type_names);
    RUN(test_hello_decode);
    RUN(test_intro_decode);
    return check_report();
}
