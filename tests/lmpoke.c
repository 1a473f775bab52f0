/* lmpoke.c - a misbehaving peer, for tests: connects to a node over ENet
 * and sends what an honest node never would.
 *
 *   lmpoke HOST PORT ROOM CASE...
 *
 * Cases: garbage (random bytes before any hello), version (a hello of
 * protocol 99), room (a hello for another room), early (chat before the
 * hello), truncated (a cut message after a good hello), unknown (a type
 * from the future after a good hello), oversize (20 KB after a good hello),
 * badutf8 (a chat with invalid UTF-8 after a good hello).
 * Each case uses a fresh link. Prints one line per case: what it sent and
 * what came back (rejected, disconnected, still linked). Exit 0 when every
 * case ran; the node's own error events are what the test checks. */
#include <enet/enet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "wire.h"

static ENetHost *host;

static ENetPeer *dial(const char *ip, uint16_t port)
{
    ENetAddress a = {.port = port};
    enet_address_set_host_ip(&a, ip);
    ENetPeer *p = enet_host_connect(host, &a, LM_CH_COUNT, 0);
    ENetEvent ev;
    int64_t until = lm_mono_us() + 2000000;
    while (p && lm_mono_us() < until)
        if (enet_host_service(host, &ev, 50) > 0 &&
            ev.type == ENET_EVENT_TYPE_CONNECT)
            return p;
    return NULL;
}

static void send_raw(ENetPeer *p, uint8_t ch, const void *buf, size_t len)
{
    ENetPacket *pk = enet_packet_create(buf, len, ENET_PACKET_FLAG_RELIABLE);
    enet_peer_send(p, ch, pk);
    enet_host_flush(host);
}

static void send_msg(ENetPeer *p, uint8_t ch, const lm_msg *m)
{
    uint8_t buf[LM_WIRE_MAX];
    int len = lm_wire_encode(m, buf, sizeof buf);
    if (len > 0)
        send_raw(p, ch, buf, (size_t)len);
}

static void hello(ENetPeer *p, const char *room, uint16_t version)
{
    lm_msg m = {.type = LM_MSG_HELLO};
    m.u.hello.magic = LM_PROTO_MAGIC;
    m.u.hello.version = version;
    m.u.hello.id = 0x5eed000000000000ull | (uint64_t)(lm_mono_us() & 0xffffff);
    m.u.hello.start_ms = lm_utc_ms();
    m.u.hello.port = 1;
    snprintf(m.u.hello.name, sizeof m.u.hello.name, "poke");
    snprintf(m.u.hello.room, sizeof m.u.hello.room, "%s", room);
    send_msg(p, LM_CH_CONTROL, &m);
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
    enet_peer_reset(p);
    return what;
}

static int run_case(const char *ip, uint16_t port, const char *room,
                    const char *c)
{
    ENetPeer *p = dial(ip, port);
    if (!p) {
        printf("%s: could not connect\n", c);
        return 1;
    }
    uint8_t buf[20000];
    if (strcmp(c, "garbage") == 0) {
        for (size_t i = 0; i < 300; i++)
            buf[i] = (uint8_t)(rand() & 255);
        buf[0] = 0xee;
        send_raw(p, LM_CH_CONTROL, buf, 300);
    } else if (strcmp(c, "version") == 0) {
        hello(p, room, 99);
    } else if (strcmp(c, "room") == 0) {
        hello(p, "not-this-room", LM_PROTO_VERSION);
    } else if (strcmp(c, "early") == 0) {
        lm_msg m = {.type = LM_MSG_CHAT_SUBMIT};
        m.u.submit.msgid = 1;
        snprintf(m.u.submit.text, sizeof m.u.submit.text, "before hello");
        send_msg(p, LM_CH_CHAT, &m);
    } else {
        hello(p, room, LM_PROTO_VERSION);
        if (strcmp(c, "truncated") == 0) {
            lm_msg m = {.type = LM_MSG_CHAT_SUBMIT};
            m.u.submit.msgid = 1;
            snprintf(m.u.submit.text, sizeof m.u.submit.text, "cut short");
            int len = lm_wire_encode(&m, buf, sizeof buf);
            send_raw(p, LM_CH_CHAT, buf, (size_t)len - 4);
        } else if (strcmp(c, "unknown") == 0) {
            buf[0] = 200;
            send_raw(p, LM_CH_CONTROL, buf, 16);
        } else if (strcmp(c, "oversize") == 0) {
            memset(buf, 0, sizeof buf);
            buf[0] = LM_MSG_CHAT_SUBMIT;
            send_raw(p, LM_CH_CHAT, buf, sizeof buf);
        } else if (strcmp(c, "badutf8") == 0) {
            lm_msg m = {.type = LM_MSG_CHAT_SUBMIT};
            m.u.submit.msgid = 1;
            snprintf(m.u.submit.text, sizeof m.u.submit.text, "abc");
            int len = lm_wire_encode(&m, buf, sizeof buf);
            buf[len - 2] = 0xff; /* inside the text */
            send_raw(p, LM_CH_CHAT, buf, (size_t)len);
        } else {
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
    if (enet_initialize() != 0)
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
