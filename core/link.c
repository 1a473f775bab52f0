/* link.c - the mesh: one ENet link per pair of nodes.
 *
 * Addresses come in as hints (--peer, mDNS, peers' lists). The node with
 * the smaller id dials; an address whose id is unknown (--peer) is dialled
 * anyway and the hello sorts it out. Both ends send a hello as soon as the
 * ENet link is up; a link joins the room only when the other hello has been
 * checked (magic, version, room, not ourselves, not a duplicate). When two
 * links to the same node exist, the one dialled by the smaller id stays, on
 * both ends, so they agree without talking about it. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "err.h"
#include "node_impl.h"

void link_addr_str(uint32_t ipv4, uint16_t port, char *buf, size_t cap)
{
    snprintf(buf, cap, "%u.%u.%u.%u:%u", ipv4 >> 24, (ipv4 >> 16) & 255,
             (ipv4 >> 8) & 255, ipv4 & 255, port);
}

static uint32_t peer_ipv4(const ENetPeer *p)
{
    return ENET_NET_TO_HOST_32(p->address.host);
}

lm_link *link_by_id(lm_node *n, uint64_t id)
{
    for (size_t i = 0; i < LM_MAX_LINKS; i++)
        if (n->links[i].used && n->links[i].hello_ok && n->links[i].id == id)
            return &n->links[i];
    return NULL;
}

/* The link behind an ENet peer, NULL when none (stale data included). */
static lm_link *link_of(ENetPeer *peer)
{
    lm_link *l = peer->data;
    return l && l->used && l->peer == peer ? l : NULL;
}

static lm_link *link_alloc(lm_node *n, ENetPeer *peer, bool dialed)
{
    for (size_t i = 0; i < LM_MAX_LINKS; i++) {
        lm_link *l = &n->links[i];
        if (!l->used) {
            memset(l, 0, sizeof *l);
            l->used = true;
            l->peer = peer;
            l->dialed = dialed;
            l->ipv4 = peer_ipv4(peer);
            l->port = peer->address.port;
            l->opened_us = lm_mono_us();
            peer->data = l;
            return l;
        }
    }
    return NULL;
}

/* Local timers only: safe while the link is still connecting. */
static void tune_peer(ENetPeer *p)
{
    enet_peer_timeout(p, LM_TIMEOUT_LIMIT, LM_TIMEOUT_MIN_MS,
                      LM_TIMEOUT_MAX_MS);
    enet_peer_ping_interval(p, LM_PING_MS);
}

void link_close(lm_node *n, lm_link *l, uint32_t why)
{
    (void)n;
    l->silent = true;
    if (l->peer->state == ENET_PEER_STATE_CONNECTED) {
        /* "later": what is queued (a reject's reason) still goes out */
        enet_peer_disconnect_later(l->peer, why);
        return;
    }
    /* ENet resets a link still connecting without telling us: free it */
    l->peer->data = NULL;
    enet_peer_reset(l->peer);
    l->used = false;
}

/* ---- names: a second "alice" is shown as "alice (2)" ------------------- */

/* True when member a (start, id) came before b: earlier start, then id. */
static bool before(int64_t sa, uint64_t ia, int64_t sb, uint64_t ib)
{
    return sa != sb ? sa < sb : ia < ib;
}

static void display_for(lm_node *n, const char *name, int64_t start,
                        uint64_t id, char *out, size_t cap)
{
    int rank = 1;
    if (strcmp(name, n->name) == 0 && before(n->start_ms, n->id, start, id))
        rank++;
    for (size_t i = 0; i < LM_MAX_LINKS; i++) {
        const lm_link *o = &n->links[i];
        if (o->used && o->hello_ok && o->id != id && strcmp(o->name, name) == 0 &&
            before(o->start_ms, o->id, start, id))
            rank++;
    }
    if (rank == 1)
        snprintf(out, cap, "%s", name);
    else
        snprintf(out, cap, "%s (%d)", name, rank);
}

void link_update_names(lm_node *n)
{
    display_for(n, n->name, n->start_ms, n->id, n->display, sizeof n->display);
    for (size_t i = 0; i < LM_MAX_LINKS; i++) {
        lm_link *l = &n->links[i];
        if (l->used && l->hello_ok)
            display_for(n, l->name, l->start_ms, l->id, l->display,
                        sizeof l->display);
    }
}

const char *node_display_name(lm_node *n, uint64_t id)
{
    if (id == n->id)
        return n->display;
    lm_link *l = link_by_id(n, id);
    return l ? l->display : NULL;
}

/* ---- hints: where peers may be listening ------------------------------- */

static lm_hint *hint_by_addr(lm_node *n, uint32_t ipv4, uint16_t port)
{
    for (size_t i = 0; i < LM_MAX_HINTS; i++)
        if (n->hints[i].used && n->hints[i].ipv4 == ipv4 &&
            n->hints[i].port == port)
            return &n->hints[i];
    return NULL;
}

void link_hint(lm_node *n, uint64_t id, uint32_t ipv4, uint16_t port,
               int source)
{
    if (id == n->id || port == 0 || ipv4 == 0)
        return;
    lm_hint *h = hint_by_addr(n, ipv4, port);
    if (h) {
        if (id)
            h->id = id;
        /* the strongest source wins: static > discovery > gossip */
        if (source < h->source)
            h->source = source;
        if (h->fails) { /* news about it: try again soon */
            h->next_try_us = 0;
            h->backoff_us = LM_DIAL_RETRY_US;
        }
        return;
    }
    for (size_t i = 0; i < LM_MAX_HINTS; i++) {
        h = &n->hints[i];
        if (!h->used) {
            memset(h, 0, sizeof *h);
            h->used = true;
            h->id = id;
            h->ipv4 = ipv4;
            h->port = port;
            h->source = source;
            h->backoff_us = LM_DIAL_RETRY_US;
            return;
        }
    }
    node_log(n, "address table full; ignoring a peer address");
}

void link_forget(lm_node *n, uint64_t id)
{
    for (size_t i = 0; i < LM_MAX_HINTS; i++) {
        lm_hint *h = &n->hints[i];
        if (h->used && h->id == id && h->source == LM_HINT_DISCOVERY)
            h->source = LM_HINT_GOSSIP; /* dropped once dials fail */
    }
}

static bool addr_linked(lm_node *n, uint32_t ipv4, uint16_t port)
{
    for (size_t i = 0; i < LM_MAX_LINKS; i++)
        if (n->links[i].used && n->links[i].ipv4 == ipv4 &&
            (n->links[i].port == port || n->links[i].peer->address.port == port))
            return true;
    return false;
}

static void dial(lm_node *n, lm_hint *h, int64_t now)
{
    ENetAddress a = {.host = ENET_HOST_TO_NET_32(h->ipv4), .port = h->port};
    ENetPeer *p = enet_host_connect(n->host, &a, LM_CH_COUNT, 0);
    if (!p)
        return;
    lm_link *l = link_alloc(n, p, true);
    if (!l) {
        enet_peer_reset(p);
        return;
    }
    tune_peer(p);
    h->next_try_us = now + h->backoff_us;
    if (h->backoff_us < LM_DIAL_RETRY_MAX_US)
        h->backoff_us *= 2;
    h->fails++;
}

void link_tick(lm_node *n, int64_t now)
{
    for (size_t i = 0; i < LM_MAX_HINTS; i++) {
        lm_hint *h = &n->hints[i];
        if (!h->used || h->is_self || now < h->next_try_us)
            continue;
        if (h->id && link_by_id(n, h->id)) {
            h->fails = 0;
            h->backoff_us = LM_DIAL_RETRY_US;
            continue;
        }
        if (addr_linked(n, h->ipv4, h->port))
            continue;
        if (h->source == LM_HINT_GOSSIP && h->fails >= LM_GOSSIP_FAILS) {
            h->used = false;
            continue;
        }
        /* the smaller id dials; unknown ids and --peer are dialled anyway */
        if (h->id && h->id < n->id && h->source != LM_HINT_STATIC)
            continue;
        dial(n, h, now);
    }
}

/* ---- link events ------------------------------------------------------- */

static void send_hello(lm_node *n, lm_link *l)
{
    lm_msg m = {.type = LM_MSG_HELLO};
    m.u.hello.magic = LM_PROTO_MAGIC;
    m.u.hello.version = LM_PROTO_VERSION;
    m.u.hello.id = n->id;
    m.u.hello.start_ms = n->start_ms;
    m.u.hello.flags = n->cfg.force_host ? LM_HELLO_FORCED : 0;
    m.u.hello.port = n->port;
    snprintf(m.u.hello.name, sizeof m.u.hello.name, "%s", n->name);
    snprintf(m.u.hello.room, sizeof m.u.hello.room, "%s", n->room);
    m.u.hello.st = n->st;
    link_send(n, l, LM_CH_CONTROL, &m);
}

void link_on_connect(lm_node *n, ENetPeer *peer)
{
    /* ENet does not clear peer->data between uses: trust it only when it
     * is the link we dialled on this very peer */
    lm_link *l = link_of(peer);
    if (l && !(l->dialed && !l->hello_ok))
        l = NULL;
    if (!l) { /* someone dialled us */
        l = link_alloc(n, peer, false);
        if (!l) {
            enet_peer_disconnect_now(peer, LM_BYE_REJECT);
            return;
        }
        tune_peer(peer);
    }
    /* Keep ENet's throttle wide open: on a LAN its RTT guess drops media
     * for nothing; our own rate control decides (DESIGN.md 10). This
     * sends a command, so only once the link is up. */
    enet_peer_throttle_configure(peer, 5000, ENET_PEER_PACKET_THROTTLE_SCALE,
                                 0);
    send_hello(n, l);
}

static void emit_peer(lm_node *n, lm_link *l, lm_event_type type,
                      const char *reason)
{
    lm_event *ev = node_event(n, type);
    if (!ev)
        return;
    ev->id = l->id;
    snprintf(ev->name, sizeof ev->name, "%s", l->display);
    link_addr_str(l->ipv4, l->port, ev->addr, sizeof ev->addr);
    if (reason)
        snprintf(ev->reason, sizeof ev->reason, "%s", reason);
    node_emit(n, ev);
}

void link_on_disconnect(lm_node *n, ENetPeer *peer, uint32_t data)
{
    lm_link *l = link_of(peer);
    peer->data = NULL;
    if (!l)
        return;
    bool member = l->hello_ok && !l->silent;
    if (member) {
        /* it may be back under this id at once (a restart with --id) */
        l->hello_ok = false;
        emit_peer(n, l, LM_EV_PEER_LEFT, data == LM_BYE_QUIT ? "quit" : "timeout");
        node_log(n, "%s left (%s)", l->display,
                 data == LM_BYE_QUIT ? "quit" : "timeout");
        room_on_peer_gone(n, l->id);
    }
    l->used = false;
    if (member) {
        link_update_names(n);
        room_on_member_change(n);
    }
}

static void send_peers(lm_node *n)
{
    lm_msg m = {.type = LM_MSG_PEERS};
    for (size_t i = 0; i < LM_MAX_LINKS && m.u.peers.n < LM_MAX_PEERS; i++) {
        lm_link *l = &n->links[i];
        if (l->used && l->hello_ok) {
            lm_peer_addr *pa = &m.u.peers.peer[m.u.peers.n++];
            pa->id = l->id;
            pa->ipv4 = l->ipv4;
            pa->port = l->port;
        }
    }
    for (size_t i = 0; i < LM_MAX_LINKS; i++)
        if (n->links[i].used && n->links[i].hello_ok)
            link_send(n, &n->links[i], LM_CH_CONTROL, &m);
}

static void reject(lm_node *n, lm_link *l, uint8_t code, const char *why)
{
    lm_msg m = {.type = LM_MSG_REJECT};
    m.u.reject.code = code;
    snprintf(m.u.reject.reason, sizeof m.u.reject.reason, "%s", why);
    link_send(n, l, LM_CH_CONTROL, &m);
    link_close(n, l, LM_BYE_REJECT);
}

static size_t member_count(lm_node *n)
{
    size_t c = 0;
    for (size_t i = 0; i < LM_MAX_LINKS; i++)
        c += n->links[i].used && n->links[i].hello_ok;
    return c;
}

/* The link the smaller id dialled is the one both ends keep. */
static bool canonical(const lm_node *n, const lm_link *l, uint64_t id)
{
    return l->dialed ? n->id < id : id < n->id;
}

static void on_hello(lm_node *n, lm_link *l, const lm_msg *m)
{
    char addr[32];
    link_addr_str(l->ipv4, l->port, addr, sizeof addr);
    const __typeof__(m->u.hello) *h = &m->u.hello;
    if (h->id == n->id || h->id == 0) {
        lm_hint *hint = hint_by_addr(n, l->ipv4, l->port);
        if (hint)
            hint->is_self = true;
        link_close(n, l, LM_BYE_REJECT);
        return;
    }
    if (strcmp(h->room, n->room) != 0) {
        node_log(n, "%s at %s is in room '%s', not ours: ignored", h->name,
                 addr, h->room);
        reject(n, l, LM_REJECT_ROOM, "another room");
        return;
    }
    lm_link *old = link_by_id(n, h->id);
    if (old && !(canonical(n, l, h->id) && !canonical(n, old, h->id))) {
        link_close(n, l, LM_BYE_DUP);
        return;
    }
    if (!old && member_count(n) + 1 >= LM_MAX_PEERS) {
        reject(n, l, LM_REJECT_FULL, "the room is full");
        node_error(n, "room_full", "%s at %s could not join: the room holds "
                   "at most %d nodes", h->name, addr, LM_MAX_PEERS);
        return;
    }
    l->id = h->id;
    snprintf(l->name, sizeof l->name, "%s", h->name);
    l->start_ms = h->start_ms;
    l->forced = h->flags & LM_HELLO_FORCED;
    l->st = h->st;
    l->port = h->port;
    l->hello_ok = true;
    link_hint(n, l->id, l->ipv4, l->port, LM_HINT_GOSSIP);
    if (old) { /* the canonical link replaces the other, unseen by the room */
        snprintf(l->display, sizeof l->display, "%s", old->display);
        old->hello_ok = false;
        link_close(n, old, LM_BYE_DUP);
        room_on_member_change(n);
        return;
    }
    /* our hello may be older than our state: a change made while their
     * hello was on its way reached every member but them */
    lm_msg st = {.type = LM_MSG_STATE};
    st.u.state.st = n->st;
    st.u.state.flags = n->cfg.force_host ? LM_HELLO_FORCED : 0;
    link_send(n, l, LM_CH_CONTROL, &st);
    link_update_names(n);
    emit_peer(n, l, LM_EV_PEER_JOINED, NULL);
    node_log(n, "%s joined from %s", l->display, addr);
    send_peers(n);
    room_on_member_change(n);
}

static void on_version(lm_node *n, lm_link *l, const lm_msg *m)
{
    char addr[32];
    link_addr_str(l->ipv4, l->port, addr, sizeof addr);
    if (m->u.hello.magic != LM_PROTO_MAGIC) {
        node_error(n, "bad_peer", "the node at %s does not speak the lanmeet "
                   "protocol; link closed", addr);
        link_close(n, l, LM_BYE_REJECT);
        return;
    }
    node_error(n, "version", "the node at %s speaks protocol version %u, "
               "this node speaks %d: update one of them", addr,
               m->u.hello.version, LM_PROTO_VERSION);
    char why[64];
    snprintf(why, sizeof why, "protocol version %d expected", LM_PROTO_VERSION);
    reject(n, l, LM_REJECT_VERSION, why);
}

static void on_reject(lm_node *n, lm_link *l, const lm_msg *m)
{
    char addr[32];
    link_addr_str(l->ipv4, l->port, addr, sizeof addr);
    if (m->u.reject.code == LM_REJECT_VERSION || m->u.reject.code == LM_REJECT_FULL)
        node_error(n, m->u.reject.code == LM_REJECT_FULL ? "room_full" : "version",
                   "the node at %s refused us: %s", addr, m->u.reject.reason);
    else
        node_log(n, "the node at %s refused us: %s", addr, m->u.reject.reason);
    link_close(n, l, LM_BYE_REJECT);
}

#define LM_BAD_LIMIT 16 /* malformed messages before a peer is cut off */

void link_on_receive(lm_node *n, ENetPeer *peer, uint8_t channel,
                     const uint8_t *data, size_t len)
{
    lm_link *l = link_of(peer);
    if (!l || l->silent)
        return;
    static _Thread_local lm_msg m; /* large; one per net thread */
    int rc = lm_wire_decode(data, len, &m);
    if (rc == LM_EUNKNOWN && l->hello_ok) {
        n->unknown_msgs++; /* a newer peer's extension: ignore it */
        return;
    }
    char addr[32];
    link_addr_str(l->ipv4, l->port, addr, sizeof addr);
    if (rc == LM_EVERSION) {
        on_version(n, l, &m);
        return;
    }
    if (rc < 0) {
        n->bad_msgs++;
        if (++l->bad == 1 || l->bad == LM_BAD_LIMIT)
            node_error(n, "bad_message", "malformed message from %s on "
                       "channel %u (%s)%s", addr, channel, lm_strerror(rc),
                       l->bad == LM_BAD_LIMIT ? "; link closed" : "");
        if (l->bad >= LM_BAD_LIMIT || !l->hello_ok)
            link_close(n, l, LM_BYE_REJECT);
        return;
    }
    if (m.type == LM_MSG_REJECT) {
        on_reject(n, l, &m);
        return;
    }
    if (!l->hello_ok) {
        if (m.type == LM_MSG_HELLO)
            on_hello(n, l, &m);
        else
            link_close(n, l, LM_BYE_REJECT); /* talk before hello */
        return;
    }
    switch (m.type) {
    case LM_MSG_HELLO:
        break; /* once is enough */
    case LM_MSG_PEERS:
        for (size_t i = 0; i < m.u.peers.n; i++)
            if (!link_by_id(n, m.u.peers.peer[i].id))
                link_hint(n, m.u.peers.peer[i].id, m.u.peers.peer[i].ipv4,
                          m.u.peers.peer[i].port, LM_HINT_GOSSIP);
        break;
    default:
        room_on_message(n, l, &m);
    }
}
