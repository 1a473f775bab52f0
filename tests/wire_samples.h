/* wire_samples.h - what test_wire.c and test_wire_hostile.c share.
 *
 * Two kinds of message are used throughout: a typical one per type
 * (sample) and a largest one per type (sample_max: every string and count
 * at its cap). Raw input is built byte by byte with a small builder (bb)
 * that knows the layout in wire.c's header comment, independently of the
 * encoder, so a test of the decoder does not lean on the encoder being
 * right. Everything here is static inline: each test file takes what it
 * uses. */
#ifndef LM_WIRE_SAMPLES_H
#define LM_WIRE_SAMPLES_H

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
static inline bool plain_type(uint8_t t) { return t != LM_MSG_SEALED; }

/* ---- messages --------------------------------------------------------- */

static inline void set_str(char *dst, const char *src) { strcpy(dst, src); }

/* n bytes that count up from first, so a swapped or shifted key shows. */
static inline void fill_bytes(uint8_t *dst, size_t n, uint8_t first)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = (uint8_t)(first + i);
}

/* dst gets cap bytes made of unit repeated, padded with 'a' at the end. */
static inline void fill_str(char *dst, size_t cap, const char *unit)
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

static inline void sample(uint8_t type, lm_msg *m)
{
    memset(m, 0, sizeof *m);
    m->type = type;
    switch (type) {
    case LM_MSG_HELLO:
        m->u.hello.magic = LM_PROTO_MAGIC;
        m->u.hello.version = LM_PROTO_VERSION;
        m->u.hello.flags = LM_HELLO_PRIVATE;
        m->u.hello.room_tag = 0x1122334455667788u;
        m->u.hello.key_check = 0x0102030405060708u;
        fill_bytes(m->u.hello.eph_pk, LM_KEY_LEN, 0x10);
        fill_bytes(m->u.hello.id_pk, LM_KEY_LEN, 0x80);
        fill_bytes(m->u.hello.sig, LM_SIGNATURE_LEN, 0xc0);
        break;
    case LM_MSG_REJECT:
        m->u.reject.code = LM_REJECT_ROOM;
        set_str(m->u.reject.reason, "room \"x\" is not ours");
        break;
    case LM_MSG_STATE:
        m->u.state.st = (lm_elect_state){7, 5, 9, 0xdeadbeefu};
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
        m->u.chat.chain = 0x0badc0ffee0ddf00u;
        m->u.chat.origin = 5;
        m->u.chat.msgid = UINT64_MAX;
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
        m->u.sync_req.msgid = 0xa0b0c0d0e0f00001u;
        m->u.sync_req.chain = 0x1122334455667788u;
        m->u.sync_req.ask = 0x01020304u;
        break;
    case LM_MSG_SYNC_START:
        m->u.sync_start.seq = 0x8000000000000000u;
        m->u.sync_start.flags = LM_SYNC_RESET;
        m->u.sync_start.ask = UINT32_MAX;
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
        m->u.intro.members = 63;
        set_str(m->u.intro.name, "Zo\xc3\xab");
        set_str(m->u.intro.room, "team room");
        m->u.intro.st = (lm_elect_state){3, 0x1122334455667788u, 42, 17};
        break;
    }
}

/* The largest message of a type: every string and count at its cap. */
static inline void sample_max(uint8_t type, lm_msg *m)
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

/* Decodes len bytes from an exact-size heap copy, so that ASan reports any
 * read past the end. */
static inline int decode_exact(const uint8_t *buf, size_t len, lm_msg *m)
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

static inline void put(bb *x, uint64_t v, size_t width)
{
    for (size_t i = 0; i < width; i++)
        x->b[x->n++] = (uint8_t)(v >> (8 * i));
}

static inline void put_raw(bb *x, const void *p, size_t len)
{
    memcpy(x->b + x->n, p, len);
    x->n += len;
}

/* A string with a prefix of width bytes holding len, then len bytes. */
static inline void put_str(bb *x, size_t width, const char *s, size_t len)
{
    put(x, len, width);
    put_raw(x, s, len);
}

#define PUT_S8(x, lit) put_str((x), 1, lit, sizeof(lit) - 1)
#define PUT_S16(x, lit) put_str((x), 2, lit, sizeof(lit) - 1)

static inline void put_state_run(bb *x, uint64_t term, uint64_t hub,
                                 uint64_t deputy, uint32_t run)
{
    put(x, term, 8);
    put(x, hub, 8);
    put(x, deputy, 8);
    put(x, run, 4);
}

static inline void put_state(bb *x, uint64_t term, uint64_t hub,
                             uint64_t deputy)
{
    put_state_run(x, term, hub, deputy, 0);
}

/* A whole HELLO with the given magic and version: keys of 0x11, 0x22
 * and a signature of 0x33. */
static inline void put_hello(bb *x, uint32_t magic, uint16_t version)
{
    x->n = 0;
    put(x, LM_MSG_HELLO, 1);
    put(x, magic, 4);
    put(x, version, 2);
    put(x, 0, 1); /* flags */
    put(x, 5, 8); /* room_tag */
    put(x, 6, 8); /* key_check */
    memset(x->b + x->n, 0x11, LM_KEY_LEN), x->n += LM_KEY_LEN;
    memset(x->b + x->n, 0x22, LM_KEY_LEN), x->n += LM_KEY_LEN;
    memset(x->b + x->n, 0x33, LM_SIGNATURE_LEN), x->n += LM_SIGNATURE_LEN;
}

static inline int decode_bb(const bb *x, lm_msg *m)
{
    return decode_exact(x->b, x->n, m);
}

#endif
