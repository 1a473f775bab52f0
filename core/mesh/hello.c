/* hello.c - how a link becomes a member, and the seal on everything after.
 *
 * Both ends of a new ENet link send a HELLO in the clear: magic, version,
 * a public tag of the room, an ephemeral X25519 key and the long-term
 * identity key with its signature over the ephemeral one. Each derives the
 * link's keys from the two ephemeral keys mixed with the room key (crypto.h)
 * and sends an INTRO, sealed: start time, port, name, room, election state.
 * A node without the room's password derives other keys, cannot open the
 * INTRO, and never becomes a member. Every later message is sealed with
 * the link's session for its channel; replays and forgeries are dropped and
 * counted. The node id is derived from the identity key, so nobody can take
 * another node's id without its key. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "err.h"
#include "node_impl.h"

#define LM_BAD_LIMIT 16 /* malformed or forged messages before a cut */

/* ---- sending ------------------------------------------------------------ */

static size_t member_count(lm_node *n)
{
    size_t c = 0;
    for (size_t i = 0; i < LM_MAX_LINKS; i++)
        c += link_is_member(&n->links[i]);
    return c;
}

static int send_bytes(lm_link *l, uint8_t channel, const uint8_t *buf,
                      size_t len, unsigned flags)
{
    ENetPacket *p = enet_packet_create(buf, len,
                                       flags & LM_SEND_UNRELIABLE
                                           ? ENET_PACKET_FLAG_UNSEQUENCED
                                           : ENET_PACKET_FLAG_RELIABLE);
    if (!p)
        return LM_ENOMEM;
    if (enet_peer_send(l->peer, channel, p) < 0) {
        enet_packet_destroy(p);
        return LM_EIO;
    }
    return 0;
}

int link_encode(lm_node *n, const lm_msg *m, uint8_t buf[LM_WIRE_MAX])
{
    int len = lm_wire_encode(m, buf, LM_WIRE_MAX);
    if (len < 0)
        node_log(n, "cannot encode %s: %s", lm_wire_type_name(m->type),
                 lm_strerror(len));
    return len;
}

/* Only a HELLO and a REJECT before the keys travel in the clear. */
static int send_plain(lm_node *n, lm_link *l, const lm_msg *m)
{
    uint8_t buf[LM_WIRE_MAX];
    int len = link_encode(n, m, buf);
    return len < 0 ? len : send_bytes(l, LM_CH_CONTROL, buf, (size_t)len, 0);
}

/* A bulk message (a file chunk) is sealed straight into the ENet packet:
 * no 66 KiB buffer on the stack, and one copy less per chunk. Reliable
 * only: an unreliable one would be a packet lost whole for one fragment. */
static int send_bulk(lm_link *l, uint8_t channel, const uint8_t *plain,
                     size_t len)
{
    ENetPacket *p = enet_packet_create(NULL, 1 + len + LM_SEAL_OVERHEAD,
                                       ENET_PACKET_FLAG_RELIABLE);
    if (!p)
        return LM_ENOMEM;
    p->data[0] = LM_MSG_SEALED;
    int slen = lm_session_seal(&l->sess[channel], channel, plain, len,
                               p->data + 1, p->dataLength - 1);
    if (slen < 0 || enet_peer_send(l->peer, channel, p) < 0) {
        enet_packet_destroy(p);
        return slen < 0 ? slen : LM_EIO;
    }
    return 0;
}

int link_send_bytes(lm_node *n, lm_link *l, uint8_t channel,
                    const uint8_t *plain, size_t len, unsigned flags)
{
    (void)n;
    if (!l->peer || !l->keyed || channel >= LM_CH_COUNT)
        return LM_EIO; /* an orphan, or keys not agreed yet */
    if (len == 0 ||
        len > (channel == LM_CH_FILE ? LM_WIRE_BULK_MAX : LM_WIRE_MAX))
        return LM_ETOOBIG;
    if (len > LM_WIRE_MAX)
        return flags & LM_SEND_UNRELIABLE ? LM_EINVAL
                                          : send_bulk(l, channel, plain, len);
    uint8_t sealed[1 + LM_WIRE_MAX + LM_SEAL_OVERHEAD];
    sealed[0] = LM_MSG_SEALED;
    int slen = lm_session_seal(&l->sess[channel], channel, plain, len,
                               sealed + 1, sizeof sealed - 1);
    if (slen < 0)
        return slen;
    return send_bytes(l, channel, sealed, 1 + (size_t)slen, flags);
}

int link_send(lm_node *n, lm_link *l, uint8_t channel, const lm_msg *m)
{
    uint8_t plain[LM_WIRE_MAX];
    int len = link_encode(n, m, plain);
    if (len < 0)
        return len;
    int rc = link_send_bytes(n, l, channel, plain, (size_t)len, 0);
    lm_secure_wipe(plain, (size_t)len);
    return rc;
}

static void send_hello(lm_node *n, lm_link *l)
{
    lm_msg m = {.type = LM_MSG_HELLO};
    m.u.hello.magic = LM_PROTO_MAGIC;
    m.u.hello.version = LM_PROTO_VERSION;
    m.u.hello.flags = (n->private_room ? LM_HELLO_PRIVATE : 0) |
                      (member_count(n) ? LM_HELLO_IN_ROOM : 0);
    m.u.hello.room_tag = n->room_tag;
    m.u.hello.key_check = n->key_check;
    memcpy(m.u.hello.eph_pk, l->eph.pk, LM_KEY_LEN);
    memcpy(m.u.hello.id_pk, n->identity.pk, LM_KEY_LEN);
    lm_hello_sign(&n->identity, l->eph.pk, m.u.hello.sig);
    send_plain(n, l, &m);
}

static void send_intro(lm_node *n, lm_link *l)
{
    lm_msg m = {.type = LM_MSG_INTRO};
    m.u.intro.start_ms = n->start_ms;
    m.u.intro.flags = n->cfg.force_host ? LM_INTRO_FORCED : 0;
    m.u.intro.port = n->port;
    m.u.intro.members = (uint8_t)member_count(n);
    m.u.intro.run = n->run;
    snprintf(m.u.intro.name, sizeof m.u.intro.name, "%s", n->name);
    snprintf(m.u.intro.room, sizeof m.u.intro.room, "%s", n->room);
    m.u.intro.st = n->st;
    link_send(n, l, LM_CH_CONTROL, &m);
}

static void reject(lm_node *n, lm_link *l, uint8_t code, const char *why)
{
    lm_msg m = {.type = LM_MSG_REJECT};
    m.u.reject.code = code;
    snprintf(m.u.reject.reason, sizeof m.u.reject.reason, "%s", why);
    if (l->keyed)
        link_send(n, l, LM_CH_CONTROL, &m);
    else
        send_plain(n, l, &m);
    link_close(n, l, LM_BYE_REJECT);
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
        link_tune(peer);
    }
    /* Keep ENet's throttle wide open: on a LAN its RTT guess drops media
     * for nothing; our own rate control decides (DESIGN.md 10). This
     * sends a command, so only once the link is up. */
    enet_peer_throttle_configure(peer, 5000, ENET_PEER_PACKET_THROTTLE_SCALE,
                                 0);
    lm_ephemeral_new(&l->eph);
    send_hello(n, l);
}

/* ---- the hello and the intro ------------------------------------------- */

/* The link the smaller id dialled is the one both ends keep. */
static bool canonical(const lm_node *n, const lm_link *l, uint64_t id)
{
    return l->dialed ? n->id < id : id < n->id;
}

static void on_version(lm_node *n, lm_link *l, const lm_msg *m, const char *addr)
{
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

/* ---- nodes with another room key ----------------------------------------
 *
 * Their hello says they hold another key for a room of our name. That is
 * a person with a wrong password, or a neighbouring room of the same name
 * with its own (two classes both in 'main'). Which one shows only once the
 * rooms have formed, so the judgement waits: past LM_OTHER_JUDGE_US, on a
 * hello that says whether they are in a room of their own. Each node is
 * judged once; the joiner is told once that it cannot get in, the room is
 * told once per intruder, and a neighbouring room is noted once. */
#define LM_OTHER_JUDGE_US 3000000  /* rooms form within 1.5 s of a start */
#define LM_OTHER_WAIT_US 6000000   /* then judge on the hello we have */

static lm_other *other_find(lm_node *n, uint64_t id)
{
    for (size_t i = 0; i < n->nothers; i++)
        if (n->others[i].id == id)
            return &n->others[i];
    return NULL;
}

bool hello_other_judged(lm_node *n, uint64_t id)
{
    lm_other *o = other_find(n, id);
    return o && o->judged;
}

static void other_seen(lm_node *n, lm_link *l, uint64_t id, uint8_t flags)
{
    int64_t now = lm_mono_us();
    lm_other *o = other_find(n, id);
    if (!o) {
        if (n->nothers < LM_MAX_OTHERS)
            o = &n->others[n->nothers++];
        else /* a ring: the oldest is forgotten */
            o = &n->others[n->others_next++ % LM_MAX_OTHERS];
        *o = (lm_other){.id = id, .ipv4 = l->ipv4, .port = l->port,
                        .first_us = now};
    }
    o->last_us = now;
    o->flags = flags;
    lm_hint *h = link_hint_by_addr(n, l->ipv4, l->port);
    if (h && !h->id)
        h->id = id; /* so the dialler knows whom it would dial */
    link_close(n, l, LM_BYE_REJECT);
}

static void judge_other(lm_node *n, lm_other *o)
{
    char addr[32];
    link_addr_str(o->ipv4, o->port, addr, sizeof addr);
    bool theirs = o->flags & LM_HELLO_PRIVATE;
    bool their_room = o->flags & LM_HELLO_IN_ROOM;
    o->judged = true;
    if (member_count(n) > 0 && their_room) {
        if (!n->told_other_room)
            node_error(n, "other_room", "another room called '%s' with %s is "
                       "on this network (a node at %s); the two are kept "
                       "apart", n->room, theirs ? "its own password"
                       : "no password", addr);
        n->told_other_room = true;
    } else if (member_count(n) > 0) {
        node_error(n, "intruder", "a node at %s tried to join room '%s' %s; "
                   "refused", addr, n->room,
                   !n->private_room ? "with a password this room does not have"
                   : theirs ? "with a wrong password" : "without its password");
    } else if (!n->told_wrong_password) {
        n->told_wrong_password = true;
        if (theirs && !n->private_room)
            node_error(n, "wrong_password", "room '%s' has a password and this "
                       "node has none: start with --password or "
                       "LANMEET_PASSWORD", n->room);
        else if (!theirs)
            node_error(n, "wrong_password", "this node has a password for room "
                       "'%s' but the nodes found there have none", n->room);
        else
            node_error(n, "wrong_password", "wrong password for room '%s'",
                       n->room);
    }
}

void hello_tick(lm_node *n, int64_t now)
{
    for (size_t i = 0; i < n->nothers; i++) {
        lm_other *o = &n->others[i];
        if (o->judged || now - o->first_us < LM_OTHER_JUDGE_US)
            continue;
        if (o->last_us - o->first_us < LM_OTHER_JUDGE_US &&
            now - o->first_us < LM_OTHER_JUDGE_US + LM_OTHER_WAIT_US) {
            /* their news is from before rooms formed: ask again, if we
             * are the one who dials them */
            lm_hint *h = link_hint_by_addr(n, o->ipv4, o->port);
            if (h && h->next_try_us > now + 1000000)
                h->next_try_us = now;
            continue;
        }
        judge_other(n, o);
        lm_hint *h = link_hint_by_addr(n, o->ipv4, o->port);
        if (h)
            h->next_try_us = now + LM_OTHER_RETRY_US;
    }
}

static void on_hello(lm_node *n, lm_link *l, const lm_msg *m, const char *addr)
{
    const __typeof__(m->u.hello) *h = &m->u.hello;
    if (l->keyed)
        return; /* once is enough */
    if (h->room_tag != n->room_tag) {
        node_log(n, "the node at %s is in another room: ignored", addr);
        reject(n, l, LM_REJECT_ROOM, "another room");
        return;
    }
    if (!lm_hello_verify(h->id_pk, h->eph_pk, h->sig)) {
        node_error(n, "bad_peer", "the node at %s sent a hello whose signature "
                   "does not match its key; link closed", addr);
        link_close(n, l, LM_BYE_REJECT);
        return;
    }
    uint64_t id = lm_id_from_pk(h->id_pk);
    if (id == n->id) {
        lm_hint *hint = link_hint_by_addr(n, l->ipv4, l->port);
        if (hint)
            hint->is_self = true;
        link_close(n, l, LM_BYE_REJECT);
        return;
    }
    bool theirs = h->flags & LM_HELLO_PRIVATE;
    if (theirs != n->private_room || h->key_check != n->key_check) {
        node_log(n, "the node at %s holds another key for room '%s'", addr,
                 n->room);
        other_seen(n, l, id, h->flags);
        return;
    }
    lm_session s;
    if (lm_session_derive(&s, &l->eph, h->eph_pk, n->room_key) < 0) {
        node_error(n, "bad_peer", "the node at %s sent an unusable key; link "
                   "closed", addr);
        link_close(n, l, LM_BYE_REJECT);
        return;
    }
    for (size_t c = 0; c < LM_CH_COUNT; c++)
        l->sess[c] = s;
    lm_session_wipe(&s);
    lm_secure_wipe(&l->eph, sizeof l->eph); /* forward secrecy */
    l->keyed = true;
    l->keyed_us = lm_mono_us();
    l->id = id;
    send_intro(n, l);
}

/* ---- a full room ---------------------------------------------------------
 *
 * A room holds at most LM_MAX_PEERS nodes. A node it refuses is told once,
 * in words, and stops dialling for a while that doubles up to a minute;
 * while it waits it links to nobody who is alone (another refused node),
 * so refused nodes never make a room beside the full one. The room says
 * once per refused node that it could not join. */
#define LM_FULL_RETRY_US 5000000
#define LM_FULL_RETRY_MAX_US 60000000
#define LM_FULL_FORGET_US 3000000 /* a retry round with no full room: done */

static void full_refused(lm_node *n, uint64_t id, const char *name,
                         const char *addr, size_t cap)
{
    for (size_t i = 0; i < n->nfull_told; i++)
        if (n->full_told[i] == id)
            return;
    n->full_told[n->full_told_next++ % LM_MAX_FULL_TOLD] = id;
    if (n->nfull_told < LM_MAX_FULL_TOLD)
        n->nfull_told++;
    node_error(n, "room_full", "%s at %s could not join: the room holds at "
               "most %zu nodes", name, addr, cap);
}

/* A full room refused us, or would. */
static void full_room(lm_node *n, size_t cap)
{
    int64_t now = lm_mono_us();
    if (now < n->full_until_us)
        return; /* this round's answer is in already */
    if (n->full_backoff_us == 0)
        n->full_backoff_us = LM_FULL_RETRY_US;
    else if (n->full_seen_us && n->full_backoff_us < LM_FULL_RETRY_MAX_US)
        n->full_backoff_us *= 2;
    if (n->full_backoff_us > LM_FULL_RETRY_MAX_US)
        n->full_backoff_us = LM_FULL_RETRY_MAX_US;
    n->full_seen_us = now;
    n->full_until_us = now + n->full_backoff_us;
    if (!n->told_full)
        node_error(n, "room_full", "room '%s' is full: it holds %zu nodes, "
                   "the most one room can. This node is not in it; it tries "
                   "again in %.0f s and keeps trying less often", n->room, cap,
                   (double)n->full_backoff_us / 1e6);
    else
        node_log(n, "room '%s' is still full; next try in %.0f s", n->room,
                 (double)n->full_backoff_us / 1e6);
    n->told_full = true;
}

/* While refused: no link at all until the next try, then only to a room
 * with space (a node with members), never to another lone node. */
static bool waiting_for_room(lm_node *n, size_t their_members, size_t cap)
{
    if (their_members + 1 >= cap)
        return true; /* they are in a full room: it will refuse us */
    if (!n->full_seen_us)
        return false;
    int64_t now = lm_mono_us();
    if (now >= n->full_until_us + LM_FULL_FORGET_US) {
        n->full_seen_us = 0; /* a whole try and no full room: not waiting */
        return false;
    }
    return now < n->full_until_us || their_members == 0;
}

bool hello_may_dial(lm_node *n, int64_t now)
{
    return now >= n->full_until_us;
}

/* In a room again: the next refusal is news. */
static void full_over(lm_node *n)
{
    n->full_seen_us = 0;
    n->full_until_us = 0;
    n->full_backoff_us = 0;
    n->told_full = false;
}

static void on_intro(lm_node *n, lm_link *l, const lm_msg *m, const char *addr)
{
    const __typeof__(m->u.intro) *in = &m->u.intro;
    if (strcmp(in->room, n->room) != 0) {
        reject(n, l, LM_REJECT_ROOM, "another room");
        return;
    }
    lm_link *old = link_by_id(n, l->id);
    /* keep the link the smaller id dialled; an orphan is always replaced */
    if (old && old->peer &&
        !(canonical(n, l, l->id) && !canonical(n, old, l->id))) {
        link_close(n, l, LM_BYE_DUP);
        return;
    }
    size_t cap = n->cfg.room_cap ? n->cfg.room_cap : LM_MAX_PEERS;
    if (!old && member_count(n) + 1 >= cap) {
        reject(n, l, LM_REJECT_FULL, "the room is full");
        full_refused(n, l->id, in->name, addr, cap);
        return;
    }
    if (!old && waiting_for_room(n, in->members, cap)) {
        node_log(n, "the node at %s is in a full room, or alone while we wait "
                 "for one: not linked", addr);
        link_close(n, l, LM_BYE_REJECT);
        if ((size_t)in->members + 1 >= cap)
            full_room(n, cap);
        return;
    }
    snprintf(l->name, sizeof l->name, "%s", in->name);
    l->start_ms = in->start_ms;
    l->run = in->run;
    l->forced = in->flags & LM_INTRO_FORCED;
    l->st = in->st;
    l->port = in->port;
    l->hello_ok = true;
    full_over(n);
    link_hint(n, l->id, l->ipv4, l->port, LM_HINT_GOSSIP);
    if (old) { /* the canonical link replaces the other, unseen by the room */
        snprintf(l->display, sizeof l->display, "%s", old->display);
        memcpy(l->reports, old->reports, sizeof l->reports);
        l->nreports = old->nreports;
        old->hello_ok = false;
        link_close(n, old, LM_BYE_DUP);
        link_peers_changed(n); /* our list may have been lost with the old link */
        n->reach_dirty = true;
        /* what went out on the old link may have been dropped at the other
         * end: the services send it again (the room its STATE, chat what
         * the deputy lacks and its sync request) */
        lm_member who;
        mesh_member_of(l, &who);
        mesh_member_changed(n, &who, LM_MEMBER_RELINKED);
        return;
    }
    link_update_names(n);
    link_emit_peer(n, l, LM_EV_PEER_JOINED, NULL);
    node_log(n, "%s joined from %s", l->display, addr);
    link_peers_changed(n);
    n->reach_dirty = true;
    lm_member who;
    mesh_member_of(l, &who);
    mesh_member_changed(n, &who, LM_MEMBER_JOINED);
}

static void on_reject(lm_node *n, lm_link *l, const lm_msg *m, const char *addr)
{
    uint8_t code = m->u.reject.code;
    /* a peer's words reach the user only through the event's escaping */
    if (code == LM_REJECT_VERSION)
        node_error(n, "version", "the node at %s refused us: %s", addr,
                   m->u.reject.reason);
    else
        node_log(n, "the node at %s refused us: %s", addr, m->u.reject.reason);
    bool member = link_is_member(l);
    if (code == LM_REJECT_FULL && !member)
        full_room(n, n->cfg.room_cap ? n->cfg.room_cap : LM_MAX_PEERS);
    if (member)
        link_expel(n, l, "refused");
    else
        link_close(n, l, LM_BYE_REJECT);
}

/* ---- receiving ------------------------------------------------------------ */

static void hold_early(lm_node *n, lm_link *l, uint8_t channel,
                       const uint8_t *data, size_t len)
{
    uint8_t *copy = malloc(len);
    if (!copy) {
        node_log(n, "out of memory: a message before a hello was dropped");
        return;
    }
    memcpy(copy, data, len);
    l->early[l->nearly].channel = channel;
    l->early[l->nearly].data = copy;
    l->early[l->nearly].len = len;
    l->nearly++;
}

/* The intro is in: what overtook it is handled now, in arrival order. */
static void replay_early(lm_node *n, lm_link *l)
{
    size_t count = l->nearly;
    l->nearly = 0;
    for (size_t i = 0; i < count; i++) {
        if (l->used && l->hello_ok && l->peer)
            link_on_receive(n, l->peer, l->early[i].channel,
                            l->early[i].data, l->early[i].len);
        free(l->early[i].data);
    }
}

/* Counts a bad message; says so the first time and cuts the link at the
 * limit (or at once before the link is a member). */
void hello_bad_message(lm_node *n, lm_link *l, uint8_t channel, int rc,
                       const char *addr)
{
    n->bad_msgs++;
    if (++l->bad == 1 || l->bad == LM_BAD_LIMIT)
        node_error(n, "bad_message", "malformed message from %s on channel %u "
                   "(%s)%s", addr, channel, lm_strerror(rc),
                   l->bad == LM_BAD_LIMIT || !l->hello_ok ? "; link closed" : "");
    if (l->bad >= LM_BAD_LIMIT || !l->hello_ok)
        link_expel(n, l, "bad messages");
}

/* A plain message: only a hello, or a reject before the keys. */
static void on_plain(lm_node *n, lm_link *l, uint8_t channel,
                     const uint8_t *data, size_t len, const char *addr)
{
    lm_msg m; /* ~6 KiB on the net thread's stack; not static: replaying
               * held messages re-enters this path */
    int rc = lm_wire_decode(data, len, &m);
    if (rc == LM_EVERSION) {
        on_version(n, l, &m, addr);
    } else if (rc < 0) {
        hello_bad_message(n, l, channel, rc, addr);
    } else if (m.type == LM_MSG_HELLO && channel == LM_CH_CONTROL) {
        on_hello(n, l, &m, addr);
    } else if (m.type == LM_MSG_REJECT && !l->keyed) {
        on_reject(n, l, &m, addr);
    } else {
        hello_bad_message(n, l, channel, LM_EPROTO, addr); /* must be sealed */
    }
}

/* The types the mesh itself reads; the rest belong to services. */
static bool is_mesh_type(uint8_t type)
{
    return type == LM_MSG_HELLO || type == LM_MSG_REJECT ||
           type == LM_MSG_PEERS || type == LM_MSG_INTRO ||
           type == LM_MSG_SEALED;
}

/* plain: cap bytes for what the packet opens to (see on_sealed). */
static void open_sealed(lm_node *n, lm_link *l, uint8_t channel,
                        const uint8_t *data, size_t len, const char *addr,
                        uint8_t *plain, size_t cap)
{
    lm_msg m; /* not static: replay_early re-enters on_sealed */
    if (channel >= LM_CH_COUNT) {
        hello_bad_message(n, l, channel, LM_EPROTO, addr);
        return;
    }
    if (!l->hello_ok && channel != LM_CH_CONTROL) {
        /* overtook their hello or intro (ENet orders each channel alone):
         * kept sealed, opened once the link is a member, so the replay
         * window sees it only once */
        if (l->nearly < LM_EARLY_MAX)
            hold_early(n, l, channel, data, len);
        else
            hello_bad_message(n, l, channel, LM_EPROTO, addr);
        return;
    }
    if (!l->keyed) { /* sealed before the hello on the hello's channel */
        hello_bad_message(n, l, channel, LM_EPROTO, addr);
        return;
    }
    int rc = lm_session_open(&l->sess[channel], channel, data + 1, len - 1,
                             plain, cap);
    if (rc == LM_EREPLAY)
        return; /* counted in the session */
    if (rc == LM_EAUTH && lm_mono_us() - l->keyed_us < LM_STALE_US) {
        /* Their hello showed our room key, so this is no wrong password:
         * a node restarted on the same address gets the last packets
         * meant for its previous run, which ENet can hand to the new
         * link. Dropped and counted, not reported. */
        n->stale_msgs++;
        return;
    }
    if (rc < 0) {
        hello_bad_message(n, l, channel, rc, addr);
        return;
    }
    if (l->hello_ok && rc > 0 && !is_mesh_type(plain[0])) {
        /* a service's message: it decodes it itself */
        if (!mesh_dispatch(n, l, channel, plain, (size_t)rc, addr))
            n->unknown_msgs++; /* a newer peer's extension: ignore it */
        lm_secure_wipe(plain, (size_t)rc);
        return;
    }
    int drc = lm_wire_decode(plain, (size_t)rc, &m);
    lm_secure_wipe(plain, (size_t)rc);
    if (drc < 0 || m.type == LM_MSG_HELLO) {
        hello_bad_message(n, l, channel, drc < 0 ? drc : LM_EPROTO, addr);
        return;
    }
    if (!l->hello_ok) { /* on the control channel: the intro comes first */
        if (m.type == LM_MSG_INTRO) {
            on_intro(n, l, &m, addr);
            if (l->used && l->hello_ok)
                replay_early(n, l);
        } else if (m.type == LM_MSG_REJECT) {
            on_reject(n, l, &m, addr);
        } else {
            hello_bad_message(n, l, channel, LM_EPROTO, addr); /* before the intro */
        }
        return;
    }
    if (channel != LM_CH_CONTROL) {
        hello_bad_message(n, l, channel, LM_EPROTO, addr); /* wrong lane */
        return;
    }
    switch (m.type) {
    case LM_MSG_INTRO:
        break; /* once is enough */
    case LM_MSG_REJECT:
        on_reject(n, l, &m, addr);
        break;
    case LM_MSG_PEERS:
        for (size_t i = 0; i < m.u.peers.n; i++)
            if (!link_by_id(n, m.u.peers.peer[i].id))
                link_hint(n, m.u.peers.peer[i].id, m.u.peers.peer[i].ipv4,
                          m.u.peers.peer[i].port, LM_HINT_GOSSIP);
        cuts_on_peers(n, l, &m);
        break;
    default:
        break;
    }
}

/* Opens into the stack up to LM_WIRE_MAX; a bigger packet on the file
 * channel (a chunk, up to LM_WIRE_BULK_MAX) opens into a heap buffer of
 * its own, so re-entry through replay_early never shares one. A big
 * packet on any other channel meets the LM_WIRE_MAX cap in
 * lm_session_open and is refused and counted as a bad message. */
static void on_sealed(lm_node *n, lm_link *l, uint8_t channel,
                      const uint8_t *data, size_t len, const char *addr)
{
    uint8_t small[LM_WIRE_MAX];
    if (channel != LM_CH_FILE || len <= 1 + LM_SEAL_OVERHEAD + LM_WIRE_MAX) {
        open_sealed(n, l, channel, data, len, addr, small, sizeof small);
        return;
    }
    uint8_t *bulk = malloc(LM_WIRE_BULK_MAX);
    if (!bulk) {
        node_log(n, "out of memory: a file chunk was dropped");
        return; /* asked again by its receiver when it stalls */
    }
    open_sealed(n, l, channel, data, len, addr, bulk, LM_WIRE_BULK_MAX);
    free(bulk);
}

void link_on_receive(lm_node *n, ENetPeer *peer, uint8_t channel,
                     const uint8_t *data, size_t len)
{
    lm_link *l = link_of(peer);
    if (!l || l->silent || len == 0)
        return;
    char addr[32];
    link_addr_str(l->ipv4, l->port, addr, sizeof addr);
    if (data[0] == LM_MSG_SEALED)
        on_sealed(n, l, channel, data, len, addr);
    else
        on_plain(n, l, channel, data, len, addr);
}
