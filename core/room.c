/* room.c - the room on top of the mesh: election and chat.
 *
 * Election: every change of membership or of a peer's advertised state
 * runs the pure rules of election.c; a new result is advertised to every
 * peer and reported as a hub event.
 *
 * Group chat goes through the hub, which gives each message the next
 * sequence number. Before a message goes to the room it goes to the deputy
 * and waits for its acknowledgement, so whatever anyone has seen, the
 * deputy holds: when the hub dies the deputy takes over with the whole
 * history. Senders keep their messages until they see them ordered and
 * hand them again to a new hub, which drops what it already ordered (per
 * sender message ids), so a failover loses and repeats nothing. A member
 * that meets a new hub asks it for what follows its last sequence number;
 * late joiners get the history the same way. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "err.h"
#include "node_impl.h"
#include "text.h"

/* ---- election ---------------------------------------------------------- */

static bool is_gone(const lm_node *n, uint64_t id)
{
    for (size_t i = 0; i < n->ngone; i++)
        if (n->gone[i] == id)
            return true;
    return false;
}

static void add_gone(lm_node *n, uint64_t id)
{
    if (is_gone(n, id))
        return;
    n->gone[n->gone_next] = id; /* a ring: the oldest is forgotten */
    n->gone_next = (n->gone_next + 1) % LM_MAX_GONE;
    if (n->ngone < LM_MAX_GONE)
        n->ngone++;
}

static void broadcast(lm_node *n, uint8_t channel, const lm_msg *m,
                      uint64_t except)
{
    for (size_t i = 0; i < LM_MAX_LINKS; i++) {
        lm_link *l = &n->links[i];
        if (l->used && l->hello_ok && !l->silent && l->id != except)
            link_send(n, l, channel, m);
    }
}

static void emit_hub(lm_node *n)
{
    lm_event *ev = node_event(n, LM_EV_HUB);
    if (!ev)
        return;
    ev->st = n->st;
    node_emit(n, ev);
}

/* Our election state, to one link or (l NULL) to every member. */
void room_send_state(lm_node *n, lm_link *l, uint8_t flags)
{
    lm_msg m = {.type = LM_MSG_STATE};
    m.u.state.st = n->st;
    m.u.state.flags = flags | (n->cfg.force_host ? LM_INTRO_FORCED : 0);
    if (l)
        link_send(n, l, LM_CH_CONTROL, &m);
    else
        broadcast(n, LM_CH_CONTROL, &m, 0);
}

static void check_sync(lm_node *n);
static void drop_awaited(lm_node *n);
static void flush_to_room(lm_node *n);

static void elect(lm_node *n)
{
    lm_elect_member peers[LM_MAX_LINKS];
    size_t np = 0;
    for (size_t i = 0; i < LM_MAX_LINKS; i++) {
        lm_link *l = &n->links[i];
        if (l->used && l->hello_ok && !l->silent)
            peers[np++] = (lm_elect_member){l->id, l->forced, l->st, l->run};
    }
    lm_elect_input in = {
        .self = n->id,
        .self_run = n->run,
        .self_forced = n->cfg.force_host,
        .cur = n->st,
        .peers = peers,
        .npeers = np,
        .gone = n->gone,
        .ngone = n->ngone,
        .may_claim = lm_mono_us() - n->start_us >= LM_CLAIM_GRACE_US,
        .take = n->take_hub,
    };
    n->take_hub = false; /* once: the claim it makes is then the best */
    int note = LM_ELECT_NOTE_NONE;
    lm_elect_state s = lm_election_decide(&in, &note);
    if (note == LM_ELECT_NOTE_FORCED_LOST && !n->forced_note_sent) {
        n->forced_note_sent = true;
        node_error(n, "host_conflict", "another node started with --host has "
                   "a smaller id and stays hub; this node stays a member");
    }
    if (s.term == n->st.term && s.hub == n->st.hub &&
        s.deputy == n->st.deputy && s.hub_run == n->st.hub_run)
        return;
    /* just back from our own stall: follow a hub the links bring back, but
     * never take the hub because our stale links dropped */
    if (s.hub == n->id && n->st.hub != n->id && lm_mono_us() < n->stall_until_us)
        return;
    lm_elect_state old = n->st;
    n->st = s;
    room_send_state(n, NULL, 0);
    char hub[LM_ID_STR], dep[LM_ID_STR];
    lm_id_format(s.hub, hub);
    lm_id_format(s.deputy, dep);
    node_log(n, "hub %s deputy %s term %" PRIu64, s.hub ? hub : "none",
             s.deputy ? dep : "none", s.term);
    emit_hub(n);
    /* a hub whose deputy changed sends what waited for the old one */
    if (s.hub == n->id && old.hub == n->id && s.deputy != old.deputy)
        flush_to_room(n);
    check_sync(n);
}

void room_on_member_change(lm_node *n)
{
    n->reach_dirty = true;
    elect(n);
    check_sync(n);
}

static uint64_t resend_to_deputy(lm_node *n);

void room_on_relink(lm_node *n, uint64_t id)
{
    if (id == n->synced_hub)
        n->synced_hub = 0; /* check_sync asks again and hands our pending */
    /* what the deputy had not acknowledged went down with its old link
     * (or its old run): without it the deputy holds a gap, never
     * acknowledges past it, and the room waits for ever */
    uint64_t k = n->st.hub == n->id && id == n->st.deputy ?
                 resend_to_deputy(n) : 0;
    if (k)
        node_log(n, "the deputy's link was replaced: %" PRIu64 " messages "
                 "sent to it again", k);
}

void room_on_stall(lm_node *n, int64_t now, int64_t stalled)
{
    node_log(n, "this node did not run for %.1f s; its links will drop and "
             "come back, and the room's hub is kept", (double)stalled / 1e6);
    n->stall_until_us = now + LM_STALL_GRACE_US;
}

void room_on_peer_gone(lm_node *n, uint64_t id)
{
    /* after our own stall, a peer that timed out is not known to be gone:
     * its hub claim stays "unknown" until the links are back */
    if (lm_mono_us() >= n->stall_until_us)
        add_gone(n, id);
    if (id == n->synced_hub)
        n->synced_hub = 0;
}

static bool is_pending(const lm_node *n, uint64_t msgid);
static void hub_order(lm_node *n, uint64_t origin, const char *name,
                      uint64_t msgid, int64_t ts, const char *text);

/* The view is fresh again: a hub orders what it held, anyone else drops
 * it (the senders keep their messages pending for the hub they meet). */
static void release_held(lm_node *n)
{
    size_t count = n->nheld;
    n->nheld = 0;
    if (count)
        node_log(n, "back from a stall: %zu held messages %s", count,
                 n->st.hub == n->id ? "ordered now" : "left to the new hub");
    for (size_t i = 0; i < count; i++) {
        lm_held *h = &n->held[i];
        if (n->st.hub == n->id && (h->origin != n->id || is_pending(n, h->msgid)))
            hub_order(n, h->origin, h->name, h->msgid, h->ts, h->text);
        free(h->text);
    }
}

/* The room hears a message only once the deputy holds it. A deputy that
 * never learned it is deputy (its STATE went down with a replaced link),
 * or missed an entry, would hold the room's chat back for ever: when it
 * falls behind for a while, tell it again who it is and what it lacks. */
static void nudge_deputy(lm_node *n, int64_t now)
{
    lm_link *dep = n->st.deputy ? link_by_id(n, n->st.deputy) : NULL;
    if (!dep || n->acked_upto + 1 >= lm_chatlog_next(n->log)) {
        n->ack_seen_us = now;
        return;
    }
    if (now - n->ack_seen_us < LM_ACK_RETRY_US)
        return;
    n->ack_seen_us = now;
    node_log(n, "the deputy holds only up to seq %" PRIu64 " of %" PRIu64
             "; telling it again", n->acked_upto, lm_chatlog_next(n->log) - 1);
    room_send_state(n, dep, 0);
    (void)resend_to_deputy(n);
}

void room_tick(lm_node *n, int64_t now)
{
    if (n->nheld && now >= n->stall_until_us)
        release_held(n);
    /* a hub that peers name but that we never reach counts as gone after a
     * while, so a stale claim cannot stall the room */
    uint64_t unknown = 0, term = 0;
    for (size_t i = 0; i < LM_MAX_LINKS; i++) {
        lm_link *l = &n->links[i];
        uint64_t h = l->st.hub;
        if (l->used && l->hello_ok && h && h != n->id && !link_by_id(n, h) &&
            !is_gone(n, h) && l->st.term >= term) {
            unknown = h;
            term = l->st.term;
        }
    }
    /* an answer lost with a replaced link: ask the hub again */
    if (n->synced_hub && n->synced_hub == n->st.hub && n->synced_hub != n->id &&
        !n->sync_answered && now - n->sync_sent_us > LM_SYNC_RETRY_US) {
        node_log(n, "no answer from the hub to our sync request; asking again");
        n->synced_hub = 0;
        check_sync(n);
    }
    if (n->st.hub == n->id && n->st.deputy == n->ack_deputy)
        nudge_deputy(n, now);
    else
        n->ack_seen_us = now; /* a new hub or deputy: the wait starts now */
    n->ack_deputy = n->st.hub == n->id ? n->st.deputy : 0;
    if (unknown != n->unknown_hub) {
        n->unknown_hub = unknown;
        n->unknown_since_us = now;
    } else if (unknown && now - n->unknown_since_us > LM_UNKNOWN_HUB_US) {
        add_gone(n, unknown);
    }
    elect(n);
}

/* ---- group chat: hub side ---------------------------------------------- */

static void send_entry(lm_node *n, lm_link *l, uint64_t seq, bool history)
{
    const lm_chat_entry *e = lm_chatlog_get(n->log, seq);
    if (!e)
        return;
    lm_msg m = {.type = LM_MSG_CHAT};
    m.u.chat.seq = e->seq;
    m.u.chat.chain = e->chain;
    m.u.chat.origin = e->origin;
    m.u.chat.msgid = e->msgid;
    m.u.chat.ts = e->ts;
    m.u.chat.flags = history ? LM_CHAT_HISTORY : 0;
    snprintf(m.u.chat.name, sizeof m.u.chat.name, "%s", e->name);
    snprintf(m.u.chat.text, sizeof m.u.chat.text, "%s", e->text);
    if (l) {
        link_send(n, l, LM_CH_CHAT, &m);
        return;
    }
    broadcast(n, LM_CH_CHAT, &m, n->st.deputy);
}

/* Sends to the room every message up to seq that the deputy now holds. */
static void release(lm_node *n, uint64_t upto)
{
    uint64_t last = lm_chatlog_next(n->log) - 1;
    if (upto > last)
        upto = last;
    for (uint64_t s = n->acked_upto + 1; s <= upto; s++)
        send_entry(n, NULL, s, false);
    if (upto > n->acked_upto)
        n->acked_upto = upto;
}

/* What the deputy has not acknowledged, to it again; returns how many. */
static uint64_t resend_to_deputy(lm_node *n)
{
    lm_link *dep = n->st.deputy ? link_by_id(n, n->st.deputy) : NULL;
    uint64_t last = lm_chatlog_next(n->log) - 1;
    if (!dep || last <= n->acked_upto)
        return 0;
    for (uint64_t s = n->acked_upto + 1; s <= last; s++)
        send_entry(n, dep, s, false);
    return last - n->acked_upto;
}

/* No deputy to wait for (any more): everything ordered goes out now,
 * to the deputy too, since it may be new and missed them. */
static void flush_to_room(lm_node *n)
{
    uint64_t last = lm_chatlog_next(n->log) - 1;
    lm_link *dep = n->st.deputy ? link_by_id(n, n->st.deputy) : NULL;
    for (uint64_t s = n->acked_upto + 1; s <= last; s++) {
        send_entry(n, NULL, s, false);
        if (dep)
            send_entry(n, dep, s, false);
    }
    n->acked_upto = last;
}

/* Holds a submission while this node is just back from a stall: its idea
 * that it is hub may be seconds old, and what it ordered now could sit
 * elsewhere than on the hub the room chose meanwhile. */
static bool hold_if_stale(lm_node *n, uint64_t origin, const char *name,
                          uint64_t msgid, int64_t ts, const char *text)
{
    if (lm_mono_us() >= n->stall_until_us)
        return false;
    for (size_t i = 0; i < n->nheld; i++)
        if (n->held[i].origin == origin && n->held[i].msgid == msgid)
            return true;
    char *copy = strdup(text);
    if (!copy || n->nheld == LM_MAX_HELD) {
        free(copy); /* its sender still has it pending and hands it again */
        return true;
    }
    lm_held *h = &n->held[n->nheld++];
    *h = (lm_held){.origin = origin, .msgid = msgid, .ts = ts, .text = copy};
    snprintf(h->name, sizeof h->name, "%s", name);
    return true;
}

static void hub_order(lm_node *n, uint64_t origin, const char *name,
                      uint64_t msgid, int64_t ts, const char *text)
{
    if (lm_chatlog_has(n->log, origin, msgid))
        return; /* handed again after a failover: already ordered */
    if (hold_if_stale(n, origin, name, msgid, ts, text))
        return;
    uint64_t seq = lm_chatlog_next(n->log);
    const lm_chat_entry *prev = lm_chatlog_get(n->log, seq - 1);
    lm_chat_entry e = {.seq = seq, .origin = origin, .msgid = msgid, .ts = ts,
                       .text = (char *)text};
    e.chain = lm_chatlog_chain(prev ? prev->chain : 0, seq, origin, msgid);
    snprintf(e.name, sizeof e.name, "%s", name);
    if (lm_chatlog_offer(n->log, &e) != 1) {
        node_error(n, "internal", "could not store a chat message");
        return;
    }
    lm_link *dep = n->st.deputy ? link_by_id(n, n->st.deputy) : NULL;
    if (dep)
        send_entry(n, dep, e.seq, false); /* the room gets it on the ack */
    else
        release(n, e.seq);
}

static void become_hub(lm_node *n)
{
    n->acked_upto = lm_chatlog_next(n->log) - 1;
    /* ordering one of ours may deliver it here at once, which takes it out
     * of the pending list: walk a copy, and order each one still pending
     * (its text is alive exactly as long as it is in the list) */
    lm_pending snap[LM_MAX_PENDING];
    size_t count = n->npending;
    memcpy(snap, n->pending, count * sizeof snap[0]);
    for (size_t i = 0; i < count; i++)
        if (is_pending(n, snap[i].msgid))
            hub_order(n, n->id, n->display, snap[i].msgid, snap[i].ts,
                      snap[i].text);
}

static void submit(lm_node *n, lm_link *hub, const lm_pending *p)
{
    lm_msg m = {.type = LM_MSG_CHAT_SUBMIT};
    m.u.submit.msgid = p->msgid;
    m.u.submit.ts = p->ts;
    snprintf(m.u.submit.text, sizeof m.u.submit.text, "%s", p->text);
    link_send(n, hub, LM_CH_CHAT, &m);
}

static void hand_pending(lm_node *n, lm_link *hub)
{
    for (size_t i = 0; i < n->npending; i++)
        submit(n, hub, &n->pending[i]);
}

/* Meets the current hub once: asks for what we miss, hands our pending. */
static void check_sync(lm_node *n)
{
    if (!n->st.hub || n->synced_hub == n->st.hub)
        return;
    if (n->st.hub == n->id) {
        n->synced_hub = n->id;
        become_hub(n);
        return;
    }
    lm_link *hub = link_by_id(n, n->st.hub);
    if (!hub)
        return;
    n->synced_hub = n->st.hub;
    /* our last message and what it was, so the hub can tell whether its
     * history and ours are one (not so after a healed partition) */
    lm_msg m = {.type = LM_MSG_SYNC_REQ};
    m.u.sync_req.seq = lm_chatlog_next(n->log) - 1;
    m.u.sync_req.ask = ++n->sync_ask; /* only this request's answer counts */
    drop_awaited(n); /* they were for an earlier request */
    n->sync_sent_us = lm_mono_us();
    n->sync_answered = false;
    const lm_chat_entry *last = lm_chatlog_get(n->log, m.u.sync_req.seq);
    if (last) {
        m.u.sync_req.origin = last->origin;
        m.u.sync_req.msgid = last->msgid;
        m.u.sync_req.chain = last->chain;
    }
    link_send(n, hub, LM_CH_CHAT, &m);
    node_log(n, "sync request %u to the hub after seq %" PRIu64 ", %zu "
             "pending", m.u.sync_req.ask, m.u.sync_req.seq, n->npending);
    hand_pending(n, hub);
}

/* True when the member's last message is not ours at that seq, digest of
 * the history before it included: its history and ours went separate ways
 * (the same message can sit at the same seq in two histories once halves
 * hand their messages to a new hub; the digest tells them apart). */
static bool diverged(const lm_node *n, const lm_msg *req)
{
    uint64_t seq = req->u.sync_req.seq;
    if (seq == 0 || seq < lm_chatlog_first(n->log))
        return false; /* nothing to compare, or older than we keep */
    const lm_chat_entry *e = lm_chatlog_get(n->log, seq);
    return !e || e->chain != req->u.sync_req.chain ||
           e->origin != req->u.sync_req.origin ||
           e->msgid != req->u.sync_req.msgid;
}

static void on_sync_req(lm_node *n, lm_link *l, const lm_msg *req)
{
    if (n->st.hub != n->id)
        return;
    uint64_t last = req->u.sync_req.seq;
    lm_msg m = {.type = LM_MSG_SYNC_START};
    uint64_t first = lm_chatlog_first(n->log);
    if (diverged(n, req))
        m.u.sync_start.flags = LM_SYNC_RESET; /* all of ours, from the start */
    else if (last + 1 > first)
        first = last + 1;
    m.u.sync_start.seq = first;
    m.u.sync_start.ask = req->u.sync_req.ask;
    link_send(n, l, LM_CH_CHAT, &m);
    node_log(n, "sync answer %u to %s: from seq %" PRIu64 "%s, held by the "
             "deputy up to %" PRIu64, m.u.sync_start.ask, l->display, first,
             m.u.sync_start.flags ? " (reset)" : "", n->acked_upto);
    /* only what the deputy holds; the rest follows as it is released */
    for (uint64_t s = first; s <= n->acked_upto; s++)
        send_entry(n, l, s, true);
}

/* ---- group chat: every node -------------------------------------------- */

static bool was_shown(const lm_node *n, uint64_t origin, uint64_t msgid)
{
    for (size_t i = 0; i < n->nshown; i++)
        if (n->shown[i].origin == origin && n->shown[i].msgid == msgid)
            return true;
    return false;
}

static bool is_pending(const lm_node *n, uint64_t msgid)
{
    for (size_t i = 0; i < n->npending; i++)
        if (n->pending[i].msgid == msgid)
            return true;
    return false;
}

/* The hub's history is not ours: after a partition each half ordered its
 * own messages. Take the hub's history, showing nobody a message twice,
 * and hand the hub again every message of ours it lacks, so the halves'
 * conversations join instead of one of them being lost. */
static void rejoin_history(lm_node *n, lm_link *hub, uint64_t first)
{
    /* ours from the old history go first, in their order, then what was
     * still pending: the order we said them in (ids of several runs do
     * not sort) */
    lm_pending again[LM_MAX_PENDING];
    size_t nagain = 0;
    for (uint64_t s = lm_chatlog_first(n->log); s < lm_chatlog_next(n->log);
         s++) {
        const lm_chat_entry *e = lm_chatlog_get(n->log, s);
        if (!was_shown(n, e->origin, e->msgid)) { /* a ring: oldest go */
            n->shown[n->shown_next] = (lm_shown){e->origin, e->msgid};
            n->shown_next = (n->shown_next + 1) % LM_CHATLOG_CAP;
            if (n->nshown < LM_CHATLOG_CAP)
                n->nshown++;
        }
        if (e->origin != n->id || is_pending(n, e->msgid) ||
            nagain + n->npending == LM_MAX_PENDING)
            continue;
        char *text = strdup(e->text);
        if (!text)
            continue;
        again[nagain++] = (lm_pending){e->msgid, e->ts, text};
    }
    memcpy(again + nagain, n->pending, n->npending * sizeof again[0]);
    n->npending += nagain;
    memcpy(n->pending, again, n->npending * sizeof again[0]);
    node_log(n, "the hub's chat history differs from ours (a healed split): "
             "joining them, %zu of ours to hand again", n->npending);
    lm_chatlog_reset(n->log, first);
    hand_pending(n, hub);
}

void room_deliver(void *ud, const lm_chat_entry *e)
{
    lm_node *n = ud;
    if (e->origin == n->id) {
        /* ours came back ordered: it and the earlier ones of the same run
         * are no longer pending (a hub orders one sender's words in the
         * order it said them); another run's entry settles nothing here */
        size_t k = 0;
        for (size_t i = 0; i < n->npending; i++) {
            uint64_t id = n->pending[i].msgid;
            if (LM_MSGID_RUN(id) == LM_MSGID_RUN(e->msgid) &&
                LM_MSGID_COUNT(id) <= LM_MSGID_COUNT(e->msgid))
                free(n->pending[i].text);
            else
                n->pending[k++] = n->pending[i];
        }
        n->npending = k;
    }
    if (was_shown(n, e->origin, e->msgid))
        return; /* shown before the histories were joined */
    lm_event *ev = node_event(n, LM_EV_CHAT);
    if (!ev)
        return;
    ev->id = e->origin;
    snprintf(ev->name, sizeof ev->name, "%s", e->name);
    ev->ts = e->ts;
    ev->seq = e->seq;
    ev->history = e->flags & LM_CHAT_HISTORY;
    ev->text = strdup(e->text);
    if (!ev->text) {
        lm_event_free(ev);
        return;
    }
    node_emit(n, ev);
}

static void on_dm(lm_node *n, lm_link *l, const lm_msg *m);

static void ack_if_deputy(lm_node *n, lm_link *hub)
{
    if (n->st.deputy != n->id)
        return;
    lm_msg ack = {.type = LM_MSG_CHAT_ACK};
    ack.u.ack.seq = lm_chatlog_next(n->log) - 1;
    link_send(n, hub, LM_CH_CHAT, &ack);
}

static void drop_awaited(lm_node *n)
{
    for (size_t i = 0; i < n->nawait; i++)
        free(n->await[i].text);
    n->nawait = 0;
}

static void await_entry(lm_node *n, const lm_chat_entry *e)
{
    char *text = strdup(e->text);
    if (!text || n->nawait == LM_AWAIT_MAX) {
        free(text);
        node_log(n, "too many chat messages before the hub's answer; one "
                 "dropped (the answer's history brings it)");
        return;
    }
    n->await[n->nawait] = *e;
    n->await[n->nawait++].text = text;
}

static void on_chat(lm_node *n, lm_link *l, const lm_msg *m)
{
    if (l->id != n->st.hub)
        return; /* an old hub's late words; the current hub resends */
    lm_chat_entry e = {.seq = m->u.chat.seq, .chain = m->u.chat.chain,
                       .origin = m->u.chat.origin,
                       .msgid = m->u.chat.msgid, .ts = m->u.chat.ts,
                       .flags = m->u.chat.flags,
                       .text = (char *)m->u.chat.text};
    snprintf(e.name, sizeof e.name, "%s", m->u.chat.name);
    if (n->synced_hub == l->id && !n->sync_answered) {
        /* sent before the hub read our request: it may belong to a history
         * other than ours (a healed split), so it waits for the answer */
        await_entry(n, &e);
        return;
    }
    if (lm_chatlog_offer(n->log, &e) == LM_EFULL)
        node_log(n, "too many chat messages ahead of a gap; one dropped");
    ack_if_deputy(n, l);
}

/* The sync answer is in: what came before it joins the log now. */
static void release_awaited(lm_node *n, lm_link *hub)
{
    for (size_t i = 0; i < n->nawait; i++) {
        if (lm_chatlog_offer(n->log, &n->await[i]) == LM_EFULL)
            node_log(n, "too many chat messages ahead of a gap; one dropped");
        free(n->await[i].text);
    }
    n->nawait = 0;
    ack_if_deputy(n, hub);
}

void room_on_message(lm_node *n, lm_link *l, const lm_msg *m)
{
    switch (m->type) {
    case LM_MSG_STATE:
        l->st = m->u.state.st;
        l->forced = m->u.state.flags & LM_INTRO_FORCED;
        /* our hub hands us the hub: only the hub of our own term may */
        if ((m->u.state.flags & LM_STATE_HANDOVER) && l->id == n->st.hub &&
            l->st.hub == l->id && l->st.term == n->st.term) {
            node_log(n, "%s hands us the hub: we reach more of the room",
                     l->display);
            n->take_hub = true;
        }
        elect(n);
        break;
    case LM_MSG_CHAT_SUBMIT:
        if (n->st.hub == n->id)
            hub_order(n, l->id, l->display, m->u.submit.msgid, m->u.submit.ts,
                      m->u.submit.text);
        break;
    case LM_MSG_CHAT:
        on_chat(n, l, m);
        break;
    case LM_MSG_CHAT_ACK:
        if (n->st.hub == n->id && l->id == n->st.deputy) {
            if (m->u.ack.seq > n->acked_upto)
                n->ack_seen_us = lm_mono_us();
            release(n, m->u.ack.seq);
        }
        break;
    case LM_MSG_SYNC_REQ:
        on_sync_req(n, l, m);
        break;
    case LM_MSG_SYNC_START:
        /* an answer to an older request (a link replaced while it was on
         * its way) would reset our history a second time */
        if (l->id != n->st.hub || m->u.sync_start.ask != n->sync_ask)
            break;
        n->sync_answered = true;
        node_log(n, "sync answer %u: history from seq %" PRIu64 "%s",
                 m->u.sync_start.ask, m->u.sync_start.seq,
                 m->u.sync_start.flags & LM_SYNC_RESET ? " (reset)" : "");
        if (m->u.sync_start.flags & LM_SYNC_RESET)
            rejoin_history(n, l, m->u.sync_start.seq);
        else
            lm_chatlog_skip_to(n->log, m->u.sync_start.seq);
        release_awaited(n, l);
        break;
    case LM_MSG_DM:
        on_dm(n, l, m);
        break;
    default:
        n->unknown_msgs++;
    }
}

/* ---- commands ------------------------------------------------------------ */

/* Checks what a user asked to send, and that they keep to the rate the
 * room's nodes accept; says what is wrong in an error event. */
static bool may_send(lm_node *n, const char *text)
{
    size_t len = strlen(text);
    if (len == 0) {
        node_error(n, "empty", "nothing to send: the message is empty");
        return false;
    }
    if (len > LM_TEXT_MAX) {
        node_error(n, "too_long", "message of %zu bytes is over the limit of "
                   "%d bytes", len, LM_TEXT_MAX);
        return false;
    }
    if (!lm_utf8_valid(text, len)) {
        node_error(n, "bad_text", "message is not valid UTF-8");
        return false;
    }
    if (!lm_bucket_take(&n->send_rate, lm_mono_us(), LM_CHAT_RATE,
                        LM_SEND_BURST)) {
        node_error(n, "too_fast", "slow down: at most %.0f messages a second "
                   "(this one was not sent)", LM_CHAT_RATE);
        return false;
    }
    return true;
}

void room_say(lm_node *n, const char *text)
{
    if (!may_send(n, text))
        return;
    if (n->npending == LM_MAX_PENDING) {
        node_error(n, "busy", "%d messages are still waiting for a hub; try "
                   "again once the room has one", LM_MAX_PENDING);
        return;
    }
    char *copy = strdup(text);
    if (!copy) {
        node_error(n, "internal", "out of memory");
        return;
    }
    lm_pending *p = &n->pending[n->npending++];
    p->msgid = n->next_msgid++;
    p->ts = lm_utc_ms();
    p->text = copy;
    if (n->st.hub == n->id) {
        hub_order(n, n->id, n->display, p->msgid, p->ts, p->text);
        return;
    }
    lm_link *hub = n->st.hub ? link_by_id(n, n->st.hub) : NULL;
    if (hub && n->synced_hub == hub->id)
        submit(n, hub, p);
    /* else it goes with the pending ones when a hub is met */
}

/* A member by display name, base name (when only one has it) or id. */
static lm_link *find_member(lm_node *n, const char *who)
{
    lm_link *by_name = NULL;
    int base_hits = 0;
    uint64_t id;
    for (size_t i = 0; i < LM_MAX_LINKS; i++) {
        lm_link *l = &n->links[i];
        if (!l->used || !l->hello_ok || l->silent)
            continue;
        if (strcmp(l->display, who) == 0)
            return l;
        if (strcmp(l->name, who) == 0) {
            by_name = l;
            base_hits++;
        }
    }
    if (base_hits == 1)
        return by_name;
    if (strlen(who) == 16 && lm_id_parse(who, &id) == 0)
        return link_by_id(n, id);
    return NULL;
}

void room_dm(lm_node *n, char **to, size_t nto, const char *text)
{
    if (!may_send(n, text))
        return;
    lm_link *dest[LM_MAX_PEERS];
    lm_msg m = {.type = LM_MSG_DM};
    size_t nd = 0;
    for (size_t i = 0; i < nto && i < LM_MAX_PEERS; i++) {
        lm_link *l = find_member(n, to[i]);
        if (!l) {
            node_error(n, "unknown_peer", "no one called '%s' is in the room",
                       to[i]);
            return;
        }
        bool again = false; /* "bob,bob": one copy for bob */
        for (size_t j = 0; j < nd; j++)
            again |= dest[j] == l;
        if (!again) {
            dest[nd++] = l;
            m.u.dm.to[m.u.dm.nto++] = l->id;
        }
    }
    m.u.dm.msgid = n->next_msgid++;
    m.u.dm.ts = lm_utc_ms();
    snprintf(m.u.dm.text, sizeof m.u.dm.text, "%s", text);
    for (size_t i = 0; i < m.u.dm.nto; i++)
        link_send(n, dest[i], LM_CH_CHAT, &m);
    lm_event *ev = node_event(n, LM_EV_CHAT);
    if (!ev || !(ev->text = strdup(text))) {
        lm_event_free(ev);
        return;
    }
    ev->id = n->id;
    snprintf(ev->name, sizeof ev->name, "%s", n->display);
    ev->direct = true;
    ev->nto = m.u.dm.nto;
    memcpy(ev->to, m.u.dm.to, m.u.dm.nto * sizeof ev->to[0]);
    ev->ts = m.u.dm.ts;
    node_emit(n, ev);
}

static void on_dm(lm_node *n, lm_link *l, const lm_msg *m)
{
    bool for_us = false;
    for (size_t i = 0; i < m->u.dm.nto; i++)
        for_us |= m->u.dm.to[i] == n->id;
    if (!for_us)
        return;
    lm_event *ev = node_event(n, LM_EV_CHAT);
    if (!ev || !(ev->text = strdup(m->u.dm.text))) {
        lm_event_free(ev);
        return;
    }
    ev->id = l->id; /* the link says who sent it, not the message */
    snprintf(ev->name, sizeof ev->name, "%s", l->display);
    ev->direct = true;
    ev->nto = m->u.dm.nto;
    memcpy(ev->to, m->u.dm.to, m->u.dm.nto * sizeof ev->to[0]);
    ev->ts = m->u.dm.ts;
    node_emit(n, ev);
}

void room_who(lm_node *n)
{
    lm_event *ev = node_event(n, LM_EV_MEMBERS);
    if (!ev)
        return;
    ev->members = calloc(LM_MAX_LINKS + 1, sizeof *ev->members);
    if (!ev->members) {
        lm_event_free(ev);
        return;
    }
    lm_member_info *mi = &ev->members[ev->nmembers++];
    mi->id = n->id;
    snprintf(mi->name, sizeof mi->name, "%s", n->display);
    mi->role = lm_election_role(&n->st, n->id);
    for (size_t i = 0; i < LM_MAX_LINKS; i++) {
        lm_link *l = &n->links[i];
        if (!l->used || !l->hello_ok || l->silent)
            continue;
        mi = &ev->members[ev->nmembers++];
        mi->id = l->id;
        snprintf(mi->name, sizeof mi->name, "%s", l->display);
        mi->role = lm_election_role(&n->st, l->id);
    }
    node_emit(n, ev);
}

void room_free(lm_node *n)
{
    drop_awaited(n);
    for (size_t i = 0; i < n->nheld; i++)
        free(n->held[i].text);
    n->nheld = 0;
    for (size_t i = 0; i < n->npending; i++)
        free(n->pending[i].text);
    n->npending = 0;
}
