/* lmpoke.c - a misbehaving peer, for tests: connects to a node over ENet
 * and sends what an honest node never would.
 *
 *   lmpoke HOST PORT ROOM CASE...
 *
 * Before any hello: garbage (random bytes), early (a plain chat message),
 * version (a hello of protocol 99), room (a hello for another room),
 * forged (a hello whose signature is wrong), wrongpw (a good hello, then an
 * intro sealed with another room key). After a complete handshake as an
 * open-room member: truncated, unknown (a type from the future), oversize
 * (20 KB), badutf8, replay (one sealed message sent twice), flood (1000
 * chat messages at once); and silent (connect, then never say hello). Each case uses a fresh link and a fresh identity.
 * Prints one line per case: what came back (rejected, disconnected, still
 * linked). Exit 0 when every case ran; the node's own error events and its
 * health are what the test checks. */
#include <enet/enet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "crypto.h"
#include "wire.h"

static ENetHost *host;

/* A node busy with the case before (a flood, under a sanitizer on two
 * loaded cores) may take more than 2 s to answer: three tries, each on a
 * fresh peer. */
static ENetPeer *dial(const char *ip, uint16_t port)
{
    ENetAddress a = {.port = port};
    enet_address_set_host_ip(&a, ip);
    for (int attempt = 0; attempt < 3; attempt++) {
        ENetPeer *p = enet_host_connect(host, &a, LM_CH_COUNT, 0);
        ENetEvent ev;
        int64_t until = lm_mono_us() + 2000000;
        while (p && lm_mono_us() < until)
            if (enet_host_service(host, &ev, 50) > 0 &&
                ev.type == ENET_EVENT_TYPE_CONNECT && ev.peer == p)
                return p;
        if (p)
            enet_peer_reset(p);
    }
    return NULL;
}

static void send_raw(ENetPeer *p, uint8_t ch, const void *buf, size_t len)
{
    ENetPacket *pk = enet_packet_create(buf, len, ENET_PACKET_FLAG_RELIABLE);
    enet_peer_send(p, ch, pk);
    enet_host_flush(host);
}

static void send_plain(ENetPeer *p, uint8_t ch, const lm_msg *m)
{
    uint8_t buf[LM_WIRE_MAX];
    int len = lm_wire_encode(m, buf, sizeof buf);
    if (len > 0)
        send_raw(p, ch, buf, (size_t)len);
}

/* Seals raw plaintext bytes (not necessarily a valid message). */
static void send_sealed_bytes(ENetPeer *p, lm_session *s, uint8_t ch,
                              const uint8_t *pt, size_t len, uint8_t *out,
                              size_t *outlen)
{
    static uint8_t buf[1 + 32768];
    buf[0] = LM_MSG_SEALED;
    int n = lm_session_seal(s, ch, pt, len, buf + 1, sizeof buf - 1);
    if (n < 0)
        return;
    send_raw(p, ch, buf, 1 + (size_t)n);
    if (out) {
        memcpy(out, buf, 1 + (size_t)n);
        *outlen = 1 + (size_t)n;
    }
}

static void send_sealed(ENetPeer *p, lm_session *s, uint8_t ch,
                        const lm_msg *m)
{
    uint8_t buf[LM_WIRE_MAX];
    int len = lm_wire_encode(m, buf, sizeof buf);
    if (len > 0)
        send_sealed_bytes(p, s, ch, buf, (size_t)len, NULL, NULL);
}

static void hello(ENetPeer *p, const lm_identity *me, const lm_ephemeral *eph,
                  const char *room, const uint8_t key[LM_KEY_BYTES],
                  uint16_t version, int forge)
{
    lm_msg m = {.type = LM_MSG_HELLO};
    m.u.hello.magic = LM_PROTO_MAGIC;
    m.u.hello.version = version;
    m.u.hello.room_tag = lm_room_tag(room);
    m.u.hello.key_check = lm_room_key_check(key);
    memcpy(m.u.hello.eph_pk, eph->pk, LM_KEY_LEN);
    memcpy(m.u.hello.id_pk, me->pk, LM_KEY_LEN);
    lm_hello_sign(me, eph->pk, m.u.hello.sig);
    if (forge)
        m.u.hello.sig[0] ^= 1;
    send_plain(p, LM_CH_CONTROL, &m);
}

/* Waits for the node's hello and derives the link keys with room_key. */
static int handshake(const lm_ephemeral *eph,
                     const uint8_t room_key[LM_KEY_BYTES], lm_session *s)
{
    ENetEvent ev;
    int64_t until = lm_mono_us() + 2000000;
    while (lm_mono_us() < until) {
        if (enet_host_service(host, &ev, 20) <= 0)
            continue;
        if (ev.type == ENET_EVENT_TYPE_DISCONNECT)
            return -1;
        if (ev.type != ENET_EVENT_TYPE_RECEIVE)
            continue;
        lm_msg m;
        int rc = lm_wire_decode(ev.packet->data, ev.packet->dataLength, &m);
        enet_packet_destroy(ev.packet);
        if (rc == 0 && m.type == LM_MSG_HELLO)
            return lm_session_derive(s, eph, m.u.hello.eph_pk, room_key);
    }
    return -1;
}

static void intro(ENetPeer *p, lm_session *s, const char *room)
{
    lm_msg m = {.type = LM_MSG_INTRO};
    m.u.intro.start_ms = lm_utc_ms();
    m.u.intro.port = 1;
    snprintf(m.u.intro.name, sizeof m.u.intro.name, "poke");
    snprintf(m.u.intro.room, sizeof m.u.intro.room, "%s", room);
    send_sealed(p, s, LM_CH_CONTROL, &m);
}

/* Waits up to ms for the node's answer; describes it. */
static const char *outcome(ENetPeer *p, int ms)
{
    ENetEvent ev;
    const char *what = "still linked";
    int64_t until = lm_mono_us() + (int64_t)ms * 1000;
    while (lm_mono_us() < until) {
        if (enet_host_service(host, &ev, 20) <= 0)
            continue;
        if (ev.type == ENET_EVENT_TYPE_DISCONNECT)
            return strcmp(what, "rejected") == 0 ? "rejected, disconnected"
                                                  : "disconnected";
        if (ev.type == ENET_EVENT_TYPE_RECEIVE) {
            if (ev.packet->dataLength && ev.packet->data[0] == LM_MSG_REJECT)
                what = "rejected";
            enet_packet_destroy(ev.packet);
        }
    }
    enet_peer_disconnect_now(p, 0);
    return what;
}

static void submit(ENetPeer *p, lm_session *s, uint64_t msgid, const char *t,
                   uint8_t *out, size_t *outlen)
{
    lm_msg m = {.type = LM_MSG_CHAT_SUBMIT};
    m.u.submit.msgid = msgid;
    m.u.submit.ts = lm_utc_ms();
    snprintf(m.u.submit.text, sizeof m.u.submit.text, "%s", t);
    uint8_t buf[LM_WIRE_MAX];
    int len = lm_wire_encode(&m, buf, sizeof buf);
    send_sealed_bytes(p, s, LM_CH_CHAT, buf, (size_t)len, out, outlen);
}

static int run_case(const char *ip, uint16_t port, const char *room,
                    const char *c)
{
    ENetPeer *p = dial(ip, port);
    if (!p) {
        printf("%s: could not connect\n", c);
        return 1;
    }
    lm_identity me;
    lm_ephemeral eph;
    lm_session s;
    uint8_t key[LM_KEY_BYTES], buf[20000];
    size_t blen = 0;
    lm_identity_generate(&me);
    lm_ephemeral_new(&eph);
    lm_room_key_open(room, key);
    if (strcmp(c, "garbage") == 0) {
        for (size_t i = 0; i < 300; i++)
            buf[i] = (uint8_t)(rand() & 255);
        buf[0] = 0xee;
        send_raw(p, LM_CH_CONTROL, buf, 300);
    } else if (strcmp(c, "early") == 0) {
        lm_msg m = {.type = LM_MSG_CHAT_SUBMIT};
        snprintf(m.u.submit.text, sizeof m.u.submit.text, "before hello");
        send_plain(p, LM_CH_CONTROL, &m);
    } else if (strcmp(c, "version") == 0) {
        hello(p, &me, &eph, room, key, 99, 0);
    } else if (strcmp(c, "room") == 0) {
        hello(p, &me, &eph, "not-this-room", key, LM_PROTO_VERSION, 0);
    } else if (strcmp(c, "forged") == 0) {
        hello(p, &me, &eph, room, key, LM_PROTO_VERSION, 1);
    } else if (strcmp(c, "silent") == 0) {
        /* connect and never say a word: the node must not keep the slot */
        printf("%s: %s\n", c, outcome(p, 6000));
        return 0;
    } else {
        /* wrongpw: a hello that says so, as a node with a mistyped
         * password sends; the node answers with a judgement, not keys */
        if (strcmp(c, "wrongpw") == 0) {
            lm_room_key_password(room, "not the password", key);
            hello(p, &me, &eph, room, key, LM_PROTO_VERSION, 0);
            printf("%s: %s\n", c, outcome(p, 700));
            return 0;
        }
        hello(p, &me, &eph, room, key, LM_PROTO_VERSION, 0);
        if (handshake(&eph, key, &s) < 0) {
            printf("%s: no handshake\n", c);
            return 1;
        }
        intro(p, &s, room);
        if (strcmp(c, "truncated") == 0) {
            lm_msg m = {.type = LM_MSG_CHAT_SUBMIT};
            snprintf(m.u.submit.text, sizeof m.u.submit.text, "cut short");
            int len = lm_wire_encode(&m, buf, sizeof buf);
            send_sealed_bytes(p, &s, LM_CH_CHAT, buf, (size_t)len - 4, NULL,
                              NULL);
        } else if (strcmp(c, "unknown") == 0) {
            memset(buf, 0, 16);
            buf[0] = 200;
            send_sealed_bytes(p, &s, LM_CH_CONTROL, buf, 16, NULL, NULL);
        } else if (strcmp(c, "oversize") == 0) {
            memset(buf, 0, sizeof buf);
            buf[0] = LM_MSG_CHAT_SUBMIT;
            send_sealed_bytes(p, &s, LM_CH_CHAT, buf, 12000, NULL, NULL);
        } else if (strcmp(c, "badutf8") == 0) {
            lm_msg m = {.type = LM_MSG_CHAT_SUBMIT};
            snprintf(m.u.submit.text, sizeof m.u.submit.text, "abc");
            int len = lm_wire_encode(&m, buf, sizeof buf);
            buf[len - 2] = 0xff; /* inside the text */
            send_sealed_bytes(p, &s, LM_CH_CHAT, buf, (size_t)len, NULL, NULL);
        } else if (strcmp(c, "replay") == 0) {
            submit(p, &s, 1, "poke said this once", buf, &blen);
            send_raw(p, LM_CH_CHAT, buf, blen); /* the same bytes again */
        } else if (strcmp(c, "flood") == 0) {
            for (uint32_t i = 1; i <= 1000; i++)
                submit(p, &s, i, "flood", NULL, NULL);
        } else if (strcmp(c, "wrongpw") != 0) {
            printf("%s: unknown case\n", c);
            enet_peer_reset(p);
            return 2;
        }
    }
    printf("%s: %s\n", c, outcome(p, 700));
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: lmpoke HOST PORT ROOM CASE...\n");
        return 2;
    }
    if (enet_initialize() != 0 || lm_crypto_init() < 0)
        return 1;
    host = enet_host_create(NULL, 4, LM_CH_COUNT, 0, 0);
    if (!host)
        return 1;
    int rc = 0;
    for (int i = 4; i < argc; i++)
        rc |= run_case(argv[1], (uint16_t)atoi(argv[2]), argv[3], argv[i]);
    enet_host_destroy(host);
    enet_deinitialize();
    return rc;
}
