/* wire.c - encode and decode every lanmeet message (see wire.h).
 *
 * The byte work is cursor.h's: a reader and a writer with a sticky error,
 * so a message body is a straight run of gets or puts with one check at
 * the end, and nothing is ever read past the packet.
 *
 * Layout of each message after its type byte (uN = N-bit unsigned LE,
 * iN = two's complement LE, sN = string with an N-bit length prefix):
 *
 *   HELLO       magic u32, version u16, flags u8, room_tag u64,
 *               key_check u64, eph_pk k, id_pk k, sig g
 *   REJECT      code u8, reason s8
 *   STATE       state, flags u8
 *   PEERS       n u8, n x (id u64, ipv4 u32, port u16)
 *   CHAT_SUBMIT msgid u64, ts i64, text s16
 *   CHAT        seq u64, chain u64, origin u64, msgid u64, ts i64, flags u8,
 *               name s8, text s16
 *   CHAT_ACK    seq u64
 *   SYNC_REQ    seq u64, origin u64, msgid u64, chain u64, ask u32
 *   SYNC_START  seq u64, flags u8, ask u32
 *   DM          msgid u64, ts i64, nto u8, nto x to u64, text s16
 *   INTRO       start_ms i64, flags u8, port u16, members u8, run u32,
 *               name s8, room s8, state
 *   SEALED      not decoded here: opaque bytes for the crypto layer
 *
 *   state = term u64, hub u64, deputy u64, hub_run u32
 *   k = LM_KEY_LEN raw bytes, g = LM_SIGNATURE_LEN raw bytes
 *
 * Error codes. Encode: LM_EINVAL for an unknown type or SEALED, a string that
 * is not valid UTF-8 or not a valid name, or a DM with no recipient; LM_ETOOBIG
 * for a field over its cap (a string with no NUL inside its array, a count over
 * LM_MAX_PEERS) or a buffer too small. When a message has both a bad field
 * and too small a buffer, the bad field is reported. Decode: LM_EPROTO for
 * truncated input, trailing bytes, a name or room that holds controls or
 * nothing visible, a DM with no recipient, or a SEALED packet; LM_EUTF8 for a
 * string that is not valid UTF-8; LM_ETOOBIG for a message over its type's
 * maximum size or a field over its cap (the same fields encode calls
 * LM_ETOOBIG).
 *
 * HELLO is the one place the order is not "size first": its magic and
 * version are read before the size cap is applied, so that a hello from a
 * later protocol version, which may well be larger, still comes back as
 * LM_EVERSION with the version the peer speaks.
 *
 * The encoder writes hello.magic and hello.version as given in the struct;
 * the sender sets them to LM_PROTO_MAGIC and LM_PROTO_VERSION.
 */
#include "wire.h"

#include <stdbool.h>
#include <string.h>

#include "cursor.h"
#include "err.h"

/* ---- sizes ------------------------------------------------------------ */

#define STATE_SIZE (8 + 8 + 8 + 4) /* term, hub, deputy, hub_run */
#define PEER_SIZE (8 + 4 + 2)     /* id, ipv4, port */
#define STR8_SIZE(cap) (1 + (cap))  /* u8 length + bytes */
#define STR16_SIZE(cap) (2 + (cap)) /* u16 length + bytes */

enum {
    HELLO_MAX = 1 + 4 + 2 + 1 + 8 + 8 + 2 * LM_KEY_LEN + LM_SIGNATURE_LEN,
    REJECT_MAX = 1 + 1 + STR8_SIZE(LM_REASON_MAX),
    STATE_MAX = 1 + STATE_SIZE + 1,
    PEERS_MAX = 1 + 1 + LM_MAX_PEERS * PEER_SIZE,
    SUBMIT_MAX = 1 + 8 + 8 + STR16_SIZE(LM_TEXT_MAX),
    CHAT_MAX = 1 + 8 + 8 + 8 + 8 + 8 + 1 + STR8_SIZE(LM_NAME_MAX) +
               STR16_SIZE(LM_TEXT_MAX),
    ACK_MAX = 1 + 8,
    SYNC_REQ_MAX = 1 + 8 + 8 + 8 + 8 + 4,
    SYNC_START_MAX = 1 + 8 + 1 + 4,
    DM_MAX = 1 + 8 + 8 + 1 + LM_MAX_PEERS * 8 + STR16_SIZE(LM_TEXT_MAX),
    INTRO_MAX = 1 + 8 + 1 + 2 + 1 + 4 + STR8_SIZE(LM_NAME_MAX) +
                STR8_SIZE(LM_ROOM_MAX) + STATE_SIZE,
};

_Static_assert(HELLO_MAX <= LM_WIRE_MAX && REJECT_MAX <= LM_WIRE_MAX &&
                   STATE_MAX <= LM_WIRE_MAX && PEERS_MAX <= LM_WIRE_MAX &&
                   SUBMIT_MAX <= LM_WIRE_MAX && CHAT_MAX <= LM_WIRE_MAX &&
                   ACK_MAX <= LM_WIRE_MAX && SYNC_REQ_MAX <= LM_WIRE_MAX &&
                   SYNC_START_MAX <= LM_WIRE_MAX && DM_MAX <= LM_WIRE_MAX &&
                   INTRO_MAX <= LM_WIRE_MAX,
               "a message type is larger than LM_WIRE_MAX");
_Static_assert(LM_MAX_PEERS <= UINT8_MAX, "peer counts are one byte");
_Static_assert(LM_NAME_MAX <= UINT8_MAX && LM_ROOM_MAX <= UINT8_MAX &&
                   LM_REASON_MAX <= UINT8_MAX && LM_TEXT_MAX <= UINT16_MAX,
               "string caps must fit their length prefix");

/* SEALED has a name but no size: a size of 0 is what keeps encode and
 * decode off it. */
static const struct {
    const char *name;
    size_t max;
} types[LM_MSG_TYPE_END] = {
    [LM_MSG_HELLO] = {"hello", HELLO_MAX},
    [LM_MSG_REJECT] = {"reject", REJECT_MAX},
    [LM_MSG_STATE] = {"state", STATE_MAX},
    [LM_MSG_PEERS] = {"peers", PEERS_MAX},
    [LM_MSG_CHAT_SUBMIT] = {"chat_submit", SUBMIT_MAX},
    [LM_MSG_CHAT] = {"chat", CHAT_MAX},
    [LM_MSG_CHAT_ACK] = {"chat_ack", ACK_MAX},
    [LM_MSG_SYNC_REQ] = {"sync_req", SYNC_REQ_MAX},
    [LM_MSG_SYNC_START] = {"sync_start", SYNC_START_MAX},
    [LM_MSG_DM] = {"dm", DM_MAX},
    [LM_MSG_INTRO] = {"intro", INTRO_MAX},
    [LM_MSG_SEALED] = {"sealed", 0},
};

size_t lm_wire_max_size(uint8_t type)
{
    return type < LM_MSG_TYPE_END ? types[type].max : 0;
}

const char *lm_wire_type_name(uint8_t type)
{
    if (type < LM_MSG_TYPE_END && types[type].name)
        return types[type].name;
    return "unknown";
}

/* ---- strings ---------------------------------------------------------- */

/* Names and rooms must also be fit to show (lm_name_valid); other strings
 * need only be UTF-8. */
static const lm_strspec NAME = {1, LM_NAME_MAX, true};
static const lm_strspec ROOM = {1, LM_ROOM_MAX, true};
static const lm_strspec REASON = {1, LM_REASON_MAX, false};
static const lm_strspec TEXT = {2, LM_TEXT_MAX, false};

/* The codec relies on each array being exactly cap + 1 bytes. */
#define FIELD_SIZE(f) sizeof(((lm_msg *)0)->u.f)
_Static_assert(FIELD_SIZE(intro.name) == LM_NAME_MAX + 1, "intro.name");
_Static_assert(FIELD_SIZE(intro.room) == LM_ROOM_MAX + 1, "intro.room");
_Static_assert(FIELD_SIZE(reject.reason) == LM_REASON_MAX + 1, "reason");
_Static_assert(FIELD_SIZE(submit.text) == LM_TEXT_MAX + 1, "submit.text");
_Static_assert(FIELD_SIZE(chat.name) == LM_NAME_MAX + 1, "chat.name");
_Static_assert(FIELD_SIZE(chat.text) == LM_TEXT_MAX + 1, "chat.text");
_Static_assert(FIELD_SIZE(dm.text) == LM_TEXT_MAX + 1, "dm.text");
/* ...and on the key arrays being exactly their wire length. */
_Static_assert(FIELD_SIZE(hello.eph_pk) == LM_KEY_LEN, "hello.eph_pk");
_Static_assert(FIELD_SIZE(hello.id_pk) == LM_KEY_LEN, "hello.id_pk");
_Static_assert(FIELD_SIZE(hello.sig) == LM_SIGNATURE_LEN, "hello.sig");

/* ---- the shared parts of messages ---------------------------------------- */

static void wr_state(lm_writer *w, const lm_elect_state *st)
{
    lm_wr_u64(w, st->term);
    lm_wr_u64(w, st->hub);
    lm_wr_u64(w, st->deputy);
    lm_wr_u32(w, st->hub_run);
}

static void rd_state(lm_reader *r, lm_elect_state *st)
{
    st->term = lm_rd_u64(r);
    st->hub = lm_rd_u64(r);
    st->deputy = lm_rd_u64(r);
    st->hub_run = lm_rd_u32(r);
}

/* A peer or recipient count: at most LM_MAX_PEERS, at least min. */
static uint8_t rd_count(lm_reader *r, uint8_t min)
{
    uint8_t n = lm_rd_u8(r);
    if (r->err)
        return 0;
    if (n > LM_MAX_PEERS)
        lm_rd_fail(r, LM_ETOOBIG);
    else if (n < min)
        lm_rd_fail(r, LM_EPROTO);
    return r->err ? 0 : n;
}

/* ---- encode ----------------------------------------------------------- */

static void wr_count(lm_writer *w, uint8_t n, uint8_t min)
{
    if (n > LM_MAX_PEERS)
        lm_wr_fail(w, LM_ETOOBIG);
    else if (n < min)
        lm_wr_fail(w, LM_EINVAL);
    lm_wr_u8(w, n);
}

static void encode_body(lm_writer *w, const lm_msg *m)
{
    switch (m->type) {
    case LM_MSG_HELLO:
        lm_wr_u32(w, m->u.hello.magic);
        lm_wr_u16(w, m->u.hello.version);
        lm_wr_u8(w, m->u.hello.flags);
        lm_wr_u64(w, m->u.hello.room_tag);
        lm_wr_u64(w, m->u.hello.key_check);
        lm_wr_bytes(w, m->u.hello.eph_pk, LM_KEY_LEN);
        lm_wr_bytes(w, m->u.hello.id_pk, LM_KEY_LEN);
        lm_wr_bytes(w, m->u.hello.sig, LM_SIGNATURE_LEN);
        break;
    case LM_MSG_REJECT:
        lm_wr_u8(w, m->u.reject.code);
        lm_wr_str(w, &REASON, m->u.reject.reason);
        break;
    case LM_MSG_STATE:
        wr_state(w, &m->u.state.st);
        lm_wr_u8(w, m->u.state.flags);
        break;
    case LM_MSG_PEERS:
        wr_count(w, m->u.peers.n, 0);
        for (size_t i = 0; i < m->u.peers.n && i < LM_MAX_PEERS; i++) {
            lm_wr_u64(w, m->u.peers.peer[i].id);
            lm_wr_u32(w, m->u.peers.peer[i].ipv4);
            lm_wr_u16(w, m->u.peers.peer[i].port);
        }
        break;
    case LM_MSG_CHAT_SUBMIT:
        lm_wr_u64(w, m->u.submit.msgid);
        lm_wr_i64(w, m->u.submit.ts);
        lm_wr_str(w, &TEXT, m->u.submit.text);
        break;
    case LM_MSG_CHAT:
        lm_wr_u64(w, m->u.chat.seq);
        lm_wr_u64(w, m->u.chat.chain);
        lm_wr_u64(w, m->u.chat.origin);
        lm_wr_u64(w, m->u.chat.msgid);
        lm_wr_i64(w, m->u.chat.ts);
        lm_wr_u8(w, m->u.chat.flags);
        lm_wr_str(w, &NAME, m->u.chat.name);
        lm_wr_str(w, &TEXT, m->u.chat.text);
        break;
    case LM_MSG_CHAT_ACK:
        lm_wr_u64(w, m->u.ack.seq);
        break;
    case LM_MSG_SYNC_REQ:
        lm_wr_u64(w, m->u.sync_req.seq);
        lm_wr_u64(w, m->u.sync_req.origin);
        lm_wr_u64(w, m->u.sync_req.msgid);
        lm_wr_u64(w, m->u.sync_req.chain);
        lm_wr_u32(w, m->u.sync_req.ask);
        break;
    case LM_MSG_SYNC_START:
        lm_wr_u64(w, m->u.sync_start.seq);
        lm_wr_u8(w, m->u.sync_start.flags);
        lm_wr_u32(w, m->u.sync_start.ask);
        break;
    case LM_MSG_DM:
        lm_wr_u64(w, m->u.dm.msgid);
        lm_wr_i64(w, m->u.dm.ts);
        wr_count(w, m->u.dm.nto, 1);
        for (size_t i = 0; i < m->u.dm.nto && i < LM_MAX_PEERS; i++)
            lm_wr_u64(w, m->u.dm.to[i]);
        lm_wr_str(w, &TEXT, m->u.dm.text);
        break;
    case LM_MSG_INTRO:
        lm_wr_i64(w, m->u.intro.start_ms);
        lm_wr_u8(w, m->u.intro.flags);
        lm_wr_u16(w, m->u.intro.port);
        wr_count(w, m->u.intro.members, 0);
        lm_wr_u32(w, m->u.intro.run);
        lm_wr_str(w, &NAME, m->u.intro.name);
        lm_wr_str(w, &ROOM, m->u.intro.room);
        wr_state(w, &m->u.intro.st);
        break;
    }
}

int lm_wire_encode(const lm_msg *m, uint8_t *buf, size_t cap)
{
    if (!m || (!buf && cap))
        return LM_EINVAL;
    if (lm_wire_max_size(m->type) == 0)
        return LM_EINVAL;

    lm_writer w;
    lm_wr_init(&w, buf, cap);
    lm_wr_u8(&w, m->type);
    encode_body(&w, m);
    return lm_wr_done(&w); /* at most LM_WIRE_MAX */
}

/* ---- decode ----------------------------------------------------------- */

static void decode_body(lm_reader *r, lm_msg *m)
{
    switch (m->type) {
    case LM_MSG_HELLO: /* magic and version were read by the caller */
        m->u.hello.flags = lm_rd_u8(r);
        m->u.hello.room_tag = lm_rd_u64(r);
        m->u.hello.key_check = lm_rd_u64(r);
        lm_rd_raw(r, m->u.hello.eph_pk, LM_KEY_LEN);
        lm_rd_raw(r, m->u.hello.id_pk, LM_KEY_LEN);
        lm_rd_raw(r, m->u.hello.sig, LM_SIGNATURE_LEN);
        break;
    case LM_MSG_REJECT:
        m->u.reject.code = lm_rd_u8(r);
        lm_rd_str(r, &REASON, m->u.reject.reason);
        break;
    case LM_MSG_STATE:
        rd_state(r, &m->u.state.st);
        m->u.state.flags = lm_rd_u8(r);
        break;
    case LM_MSG_PEERS:
        m->u.peers.n = rd_count(r, 0);
        for (size_t i = 0; i < m->u.peers.n; i++) {
            m->u.peers.peer[i].id = lm_rd_u64(r);
            m->u.peers.peer[i].ipv4 = lm_rd_u32(r);
            m->u.peers.peer[i].port = lm_rd_u16(r);
        }
        break;
    case LM_MSG_CHAT_SUBMIT:
        m->u.submit.msgid = lm_rd_u64(r);
        m->u.submit.ts = lm_rd_i64(r);
        lm_rd_str(r, &TEXT, m->u.submit.text);
        break;
    case LM_MSG_CHAT:
        m->u.chat.seq = lm_rd_u64(r);
        m->u.chat.chain = lm_rd_u64(r);
        m->u.chat.origin = lm_rd_u64(r);
        m->u.chat.msgid = lm_rd_u64(r);
        m->u.chat.ts = lm_rd_i64(r);
        m->u.chat.flags = lm_rd_u8(r);
        lm_rd_str(r, &NAME, m->u.chat.name);
        lm_rd_str(r, &TEXT, m->u.chat.text);
        break;
    case LM_MSG_CHAT_ACK:
        m->u.ack.seq = lm_rd_u64(r);
        break;
    case LM_MSG_SYNC_REQ:
        m->u.sync_req.seq = lm_rd_u64(r);
        m->u.sync_req.origin = lm_rd_u64(r);
        m->u.sync_req.msgid = lm_rd_u64(r);
        m->u.sync_req.chain = lm_rd_u64(r);
        m->u.sync_req.ask = lm_rd_u32(r);
        break;
    case LM_MSG_SYNC_START:
        m->u.sync_start.seq = lm_rd_u64(r);
        m->u.sync_start.flags = lm_rd_u8(r);
        m->u.sync_start.ask = lm_rd_u32(r);
        break;
    case LM_MSG_DM:
        m->u.dm.msgid = lm_rd_u64(r);
        m->u.dm.ts = lm_rd_i64(r);
        m->u.dm.nto = rd_count(r, 1);
        for (size_t i = 0; i < m->u.dm.nto; i++)
            m->u.dm.to[i] = lm_rd_u64(r);
        lm_rd_str(r, &TEXT, m->u.dm.text);
        break;
    case LM_MSG_INTRO:
        m->u.intro.start_ms = lm_rd_i64(r);
        m->u.intro.flags = lm_rd_u8(r);
        m->u.intro.port = lm_rd_u16(r);
        m->u.intro.members = rd_count(r, 0);
        m->u.intro.run = lm_rd_u32(r);
        lm_rd_str(r, &NAME, m->u.intro.name);
        lm_rd_str(r, &ROOM, m->u.intro.room);
        rd_state(r, &m->u.intro.st);
        break;
    }
}

int lm_wire_decode(const uint8_t *buf, size_t len, lm_msg *m)
{
    if (!m || (!buf && len))
        return LM_EINVAL;
    memset(m, 0, sizeof *m);
    if (len == 0)
        return LM_EPROTO;

    uint8_t type = buf[0];
    if (type == LM_MSG_SEALED)
        return LM_EPROTO; /* the caller opens sealed packets, not us */
    size_t max = lm_wire_max_size(type);
    if (max == 0)
        return LM_EUNKNOWN;
    m->type = type;

    lm_reader r;
    lm_rd_init(&r, buf + 1, len - 1);
    if (type == LM_MSG_HELLO) {
        m->u.hello.magic = lm_rd_u32(&r);
        m->u.hello.version = lm_rd_u16(&r);
        if (r.err)
            return r.err;
        if (m->u.hello.magic != LM_PROTO_MAGIC ||
            m->u.hello.version != LM_PROTO_VERSION)
            return LM_EVERSION;
    }
    if (len > max)
        return LM_ETOOBIG;

    decode_body(&r, m);
    return lm_rd_done(&r); /* trailing bytes are LM_EPROTO */
}
