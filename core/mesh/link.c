/* link.c - the mesh: one ENet link per pair of nodes, and who is a member.
 *
 * Addresses come in as hints (--peer, mDNS, peers' lists). The node with
 * the smaller id dials; an address whose id is unknown (--peer) is dialled
 * anyway and the hello sorts it out. Both ends send a hello as soon as the
 * ENet link is up; a link joins the room only when the other's hello and
 * intro have been checked (hello.c). When two links to the same node
 * exist, the one dialled by the smaller id stays, on both ends, so they
 * agree without talking about it. A member joining, leaving or relinked
 * is told to every service (mesh.c). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "err.h"
#include "names.h"
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

/* The member with this id (link_is_member), NULL when none (and for 0,
 * which names nobody: "no hub", "no deputy"). */
lm_link *link_by_id(lm_node *n, uint64_t id)
{
    for (size_t i = 0; id && i < LM_MAX_LINKS; i++)
        if (link_is_member(&n->links[i]) && n->links[i].id == id)
            return &n->links[i];
    return NULL;
}

/* The link behind an ENet peer, NULL when none (stale data included). */
lm_link *link_of(ENetPeer *peer)
{
    lm_link *l = peer->data;
    return l && l->used && l->peer == peer ? l : NULL;
}

lm_link *link_alloc(lm_node *n, ENetPeer *peer, bool dialed)
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
void link_release(lm_link *l)
{
    for (size_t i = 0; i < l->nearly; i++)
        free(l->early[i].data);
    l->nearly = 0;
    l->used = false;
}

void link_tune(ENetPeer *p)
{
    enet_peer_timeout(p, LM_TIMEOUT_LIMIT, LM_TIMEOUT_MIN_MS,
                      LM_TIMEOUT_MAX_MS);
    enet_peer_ping_interval(p, LM_PING_MS);
    if (p->roundTripTime > LM_INITIAL_RTT_MS) {
        p->roundTripTime = LM_INITIAL_RTT_MS;
        p->roundTripTimeVariance = 0;
    }
}

void link_close(lm_node *n, lm_link *l, uint32_t why)
{
    (void)n;
    l->silent = true;
    if (!l->peer) { /* an orphan has no ENet link left to close */
        link_release(l);
        return;
    }
    if (l->peer->state == ENET_PEER_STATE_CONNECTED) {
        /* "later": what is queued (a reject's reason) still goes out */
        enet_peer_disconnect_later(l->peer, why);
        return;
    }
    /* ENet resets a link still connecting without telling us: free it */
    l->peer->data = NULL;
    enet_peer_reset(l->peer);
    link_release(l);
}

static void member_left(lm_node *n, lm_link *l, const char *reason);

/* ---- names: a second "alice" is shown as "alice (2)" ------------------- */

void link_update_names(lm_node *n)
{
    lm_name_in in[LM_MAX_LINKS + 1];
    char out[LM_MAX_LINKS + 1][LM_DISPLAY_MAX];
    lm_link *who[LM_MAX_LINKS + 1];
    size_t k = 0;
    in[k] = (lm_name_in){n->name, n->start_ms, n->id};
    who[k++] = NULL; /* ourselves */
    for (size_t i = 0; i < LM_MAX_LINKS; i++) {
        lm_link *l = &n->links[i];
        if (link_is_member(l)) {
            in[k] = (lm_name_in){l->name, l->start_ms, l->id};
            who[k++] = l;
        }
    }
    lm_names_assign(in, k, out);
    for (size_t i = 0; i < k; i++) {
        char *dst = who[i] ? who[i]->display : n->display;
        memcpy(dst, out[i], LM_DISPLAY_MAX);
    }
}

/* ---- hints: where peers may be listening ------------------------------- */

lm_hint *link_hint_by_addr(lm_node *n, uint32_t ipv4, uint16_t port)
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
    lm_hint *h = link_hint_by_addr(n, ipv4, port);
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
            (n->links[i].port == port ||
             (n->links[i].peer && n->links[i].peer->address.port == port)))
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
    link_tune(p);
    h->next_try_us = now + h->backoff_us;
    if (h->backoff_us < LM_DIAL_RETRY_MAX_US)
        h->backoff_us *= 2;
    h->fails++;
}

void link_tick(lm_node *n, int64_t now)
{
    for (size_t i = 0; i < LM_MAX_LINKS; i++) {
        lm_link *l = &n->links[i];
        if (l->used && !l->peer && l->orphan_until_us <= now) {
            member_left(n, l, "timeout");
        } else if (l->used && l->peer && !l->hello_ok && !l->silent &&
                   l->peer->state == ENET_PEER_STATE_CONNECTED &&
                   now - l->opened_us > LM_HELLO_TIMEOUT_US) {
            /* a link that never says who it is holds a slot for nothing */
            char addr[32];
            link_addr_str(l->ipv4, l->port, addr, sizeof addr);
            node_log(n, "the node at %s never finished its hello; closed",
                     addr);
            n->slow_hellos++;
            link_close(n, l, LM_BYE_REJECT);
        }
    }
    hello_tick(n, now);
    if (!hello_may_dial(n, now))
        return; /* a full room refused us: wait before asking again */
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
        if (h->id && hello_other_judged(n, h->id))
            h->next_try_us = now + LM_OTHER_RETRY_US; /* another key: seldom */
    }
}

/* ---- members ---------------------------------------------------------- */

void link_emit_peer(lm_node *n, lm_link *l, lm_event_type type,
                    const char *reason)
{
    lm_ev_peer *ev = node_event(n, type, sizeof *ev);
    if (!ev)
        return;
    ev->id = l->id;
    snprintf(ev->name, sizeof ev->name, "%s", l->display);
    link_addr_str(l->ipv4, l->port, ev->addr, sizeof ev->addr);
    if (reason)
        snprintf(ev->reason, sizeof ev->reason, "%s", reason);
    node_emit(n, &ev->h);
}

/* A member is gone: tell the room, free the slot, tell the services. */
static void member_left(lm_node *n, lm_link *l, const char *reason)
{
    lm_member m;
    mesh_member_of(l, &m);
    l->hello_ok = false;
    link_emit_peer(n, l, LM_EV_PEER_LEFT, reason);
    node_log(n, "%s left (%s)", l->display, reason);
    link_release(l);
    link_update_names(n);
    link_peers_changed(n); /* who is left, for everyone's view of the cuts */
    n->reach_dirty = true;
    mesh_member_changed(n, &m, LM_MEMBER_LEFT);
}

void link_expel(lm_node *n, lm_link *l, const char *reason)
{
    bool member = link_is_member(l);
    lm_member m;
    mesh_member_of(l, &m);
    if (member) {
        l->hello_ok = false;
        link_emit_peer(n, l, LM_EV_PEER_LEFT, reason);
        node_log(n, "%s cut off (%s)", l->display, reason);
    }
    link_close(n, l, LM_BYE_REJECT); /* may free l */
    if (member) {
        link_update_names(n);
        link_peers_changed(n);
        n->reach_dirty = true;
        mesh_member_changed(n, &m, LM_MEMBER_LEFT);
    }
}

void link_on_disconnect(lm_node *n, ENetPeer *peer, uint32_t data)
{
    lm_link *l = link_of(peer);
    peer->data = NULL;
    if (!l)
        return;
    bool member = link_is_member(l);
    if (member && data == LM_BYE_DUP) {
        /* the other end keeps another link with us, whose hello may still
         * be on its way here: stay in the room a moment rather than flap */
        l->peer = NULL;
        l->orphan_until_us = lm_mono_us() + LM_ORPHAN_US;
        return;
    }
    if (member)
        member_left(n, l, data == LM_BYE_QUIT ? "quit" : "timeout");
    else
        link_release(l);
}

/* Our link list changed: every member gets it (for gossip and for the view
 * of the cuts), at once after a quiet spell, else at most every
 * LM_PEERS_GAP_US. A forming room changes each list once per joining
 * member: sent each time, a room of 64 sent a quarter of a million lists,
 * links timed out under the load, and the room took 15 s to form. */
void link_peers_changed(lm_node *n)
{
    n->peers_due = true;
    link_peers_flush(n, lm_mono_us());
}

/* Sends the list if it is due; returns when it will be (0: not due). */
int64_t link_peers_flush(lm_node *n, int64_t now)
{
    if (!n->peers_due)
        return 0;
    if (n->peers_sent_us && now - n->peers_sent_us < LM_PEERS_GAP_US)
        return n->peers_sent_us + LM_PEERS_GAP_US;
    n->peers_due = false;
    n->peers_sent_us = now;
    lm_msg m = {.type = LM_MSG_PEERS};
    for (size_t i = 0; i < LM_MAX_LINKS && m.u.peers.n < LM_MAX_PEERS; i++) {
        lm_link *l = &n->links[i];
        if (link_is_member(l)) {
            lm_peer_addr *pa = &m.u.peers.peer[m.u.peers.n++];
            pa->id = l->id;
            pa->ipv4 = l->ipv4;
            pa->port = l->port;
        }
    }
    lm_mesh_send_msg_all(n, LM_CH_CONTROL, &m, 0);
    return 0;
}

