/* chat.c - group chat and direct messages (chat.h).
 *
 * Group chat goes through the hub, which gives each message the next
 * sequence number. Before a message goes to the room it goes to the deputy
 * and waits for its acknowledgement, so whatever anyone has seen, the
 * deputy holds: when the hub dies the deputy takes over with the whole
 * history. Senders keep their messages until they see them ordered and
 * hand them again to a new hub, which drops what it already ordered (per
 * sender message ids), so a failover loses and repeats nothing. A member
 * that meets a new hub asks it for what follows its last sequence number;
 * late joiners get the history the same way.
 *
 * Everything here runs on the node's net thread, called by the mesh
 * through the ops at the end; the commands reach it through lm_mesh_post. */
#include "chat_impl.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bucket.h"
#include "chatlog.h"
#include "clock.h"
#include "err.h"
#include "text.h"


bool chat_is_hub(const lm_chat *c)
{
    return lm_mesh_roles(c->n)->hub == lm_mesh_self(c->n);
}

void chat_send_to(lm_chat *c, uint64_t to, const lm_msg *m)
{
    lm_mesh_send_msg(c->n, to, LM_CH_CHAT, m);
}

/* ---- hub side ---------------------------------------------------------- */

static bool is_pending(const lm_chat *c, uint64_t msgid)
{
    for (size_t i = 0; i < c->npending; i++)
        if (c->pending[i].msgid == msgid)
            return true;
    return false;
}

static void send_entry(lm_chat *c, uint64_t to, uint64_t seq, bool history)
{
    const lm_chat_entry *e = lm_chatlog_get(c->log, seq);
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
    if (to) {
        chat_send_to(c, to, &m);
        return;
    }
    lm_mesh_send_msg_all(c->n, LM_CH_CHAT, &m, lm_mesh_roles(c->n)->deputy);
}

/* Sends to the room every message up to seq that the deputy now holds. */
static void release(lm_chat *c, uint64_t upto)
{
    uint64_t last = lm_chatlog_next(c->log) - 1;
    if (upto > last)
        upto = last;
    for (uint64_t s = c->acked_upto + 1; s <= upto; s++)
        send_entry(c, 0, s, false);
    if (upto > c->acked_upto)
        c->acked_upto = upto;
}

/* The deputy, when it is a member now; 0 otherwise. */
static uint64_t deputy_linked(lm_chat *c)
{
    uint64_t d = lm_mesh_roles(c->n)->deputy;
    lm_member m;
    return d && lm_mesh_member(c->n, d, &m) ? d : 0;
}

/* What the deputy has not acknowledged, to it again; returns how many. */
static uint64_t resend_to_deputy(lm_chat *c)
{
    uint64_t dep = deputy_linked(c);
    uint64_t last = lm_chatlog_next(c->log) - 1;
    if (!dep || last <= c->acked_upto)
        return 0;
    for (uint64_t s = c->acked_upto + 1; s <= last; s++)
        send_entry(c, dep, s, false);
    return last - c->acked_upto;
}

/* No deputy to wait for (any more): everything ordered goes out now,
 * to the deputy too, since it may be new and missed them. */
static void flush_to_room(lm_chat *c)
{
    uint64_t last = lm_chatlog_next(c->log) - 1;
    uint64_t dep = deputy_linked(c);
    for (uint64_t s = c->acked_upto + 1; s <= last; s++) {
        send_entry(c, 0, s, false);
        if (dep)
            send_entry(c, dep, s, false);
    }
    c->acked_upto = last;
}

/* Holds a submission while this node is just back from a stall: its idea
 * that it is hub may be seconds old, and what it ordered now could sit
 * elsewhere than on the hub the room chose meanwhile. */
static bool hold_if_stale(lm_chat *c, uint64_t origin, const char *name,
                          uint64_t msgid, int64_t ts, const char *text)
{
    if (!lm_mesh_stale(c->n))
        return false;
    for (size_t i = 0; i < c->nheld; i++)
        if (c->held[i].origin == origin && c->held[i].msgid == msgid)
            return true;
    char *copy = strdup(text);
    if (!copy || c->nheld == LM_MAX_HELD) {
        free(copy); /* its sender still has it pending and hands it again */
        return true;
    }
    lm_held *h = &c->held[c->nheld++];
    *h = (lm_held){.origin = origin, .msgid = msgid, .ts = ts, .text = copy};
    snprintf(h->name, sizeof h->name, "%s", name);
    return true;
}

void chat_hub_order(lm_chat *c, uint64_t origin, const char *name,
                      uint64_t msgid, int64_t ts, const char *text)
{
    if (lm_chatlog_has(c->log, origin, msgid))
        return; /* handed again after a failover: already ordered */
    if (hold_if_stale(c, origin, name, msgid, ts, text))
        return;
    uint64_t seq = lm_chatlog_next(c->log);
    const lm_chat_entry *prev = lm_chatlog_get(c->log, seq - 1);
    lm_chat_entry e = {.seq = seq, .origin = origin, .msgid = msgid, .ts = ts,
                       .text = (char *)text};
    e.chain = lm_chatlog_chain(prev ? prev->chain : 0, seq, origin, msgid);
    snprintf(e.name, sizeof e.name, "%s", name);
    if (lm_chatlog_offer(c->log, &e) != 1) {
        lm_mesh_error(c->n, "internal", "could not store a chat message");
        return;
    }
    uint64_t dep = deputy_linked(c);
    if (dep)
        send_entry(c, dep, e.seq, false); /* the room gets it on the ack */
    else
        release(c, e.seq);
}

/* The view is fresh again: a hub orders what it held, anyone else drops
 * it (the senders keep their messages pending for the hub they meet). */
static void release_held(lm_chat *c)
{
    size_t count = c->nheld;
    c->nheld = 0;
    bool hub = chat_is_hub(c);
    if (count)
        lm_mesh_log(c->n, "back from a stall: %zu held messages %s", count,
                    hub ? "ordered now" : "left to the new hub");
    for (size_t i = 0; i < count; i++) {
        lm_held *h = &c->held[i];
        if (hub && (h->origin != lm_mesh_self(c->n) || is_pending(c, h->msgid)))
            chat_hub_order(c, h->origin, h->name, h->msgid, h->ts, h->text);
        free(h->text);
    }
}

static void become_hub(lm_chat *c)
{
    c->acked_upto = lm_chatlog_next(c->log) - 1;
    /* ordering one of ours may deliver it here at once, which takes it out
     * of the pending list: walk a copy, and order each one still pending
     * (its text is alive exactly as long as it is in the list) */
    lm_pending snap[LM_MAX_PENDING];
    size_t count = c->npending;
    memcpy(snap, c->pending, count * sizeof snap[0]);
    for (size_t i = 0; i < count; i++)
        if (is_pending(c, snap[i].msgid))
            chat_hub_order(c, lm_mesh_self(c->n), lm_mesh_self_name(c->n),
                      snap[i].msgid, snap[i].ts, snap[i].text);
}

/* The room hears a message only once the deputy holds it. A deputy that
 * never learned it is deputy (its STATE went down with a replaced link),
 * or missed an entry, would hold the room's chat back for ever: when it
 * falls behind for a while, tell it again what it lacks (who it is, the
 * room service tells every member again every 2 s). */
static void nudge_deputy(lm_chat *c, int64_t now)
{
    const lm_elect_state *st = lm_mesh_roles(c->n);
    bool same = st->hub == lm_mesh_self(c->n) && st->deputy == c->ack_deputy;
    c->ack_deputy = st->hub == lm_mesh_self(c->n) ? st->deputy : 0;
    uint64_t dep = same ? deputy_linked(c) : 0;
    if (!dep || c->acked_upto + 1 >= lm_chatlog_next(c->log)) {
        c->ack_seen_us = now; /* a new hub or deputy: the wait starts now */
        return;
    }
    if (now - c->ack_seen_us < LM_ACK_RETRY_US)
        return;
    c->ack_seen_us = now;
    lm_mesh_log(c->n, "the deputy holds only up to seq %" PRIu64 " of %"
                PRIu64 "; telling it again", c->acked_upto,
                lm_chatlog_next(c->log) - 1);
    (void)resend_to_deputy(c);
}

/* ---- every node: meeting the hub ----------------------------------------- */

void chat_submit(lm_chat *c, uint64_t hub, const lm_pending *p)
{
    lm_msg m = {.type = LM_MSG_CHAT_SUBMIT};
    m.u.submit.msgid = p->msgid;
    m.u.submit.ts = p->ts;
    snprintf(m.u.submit.text, sizeof m.u.submit.text, "%s", p->text);
    chat_send_to(c, hub, &m);
}

static void hand_pending(lm_chat *c, uint64_t hub)
{
    for (size_t i = 0; i < c->npending; i++)
        chat_submit(c, hub, &c->pending[i]);
}

static void drop_awaited(lm_chat *c)
{
    for (size_t i = 0; i < c->nawait; i++)
        free(c->await[i].text);
    c->nawait = 0;
}

/* Meets the current hub once: asks for what we miss, hands our pending. */
static void check_sync(lm_chat *c)
{
    uint64_t hub = lm_mesh_roles(c->n)->hub;
    if (!hub || c->synced_hub == hub)
        return;
    if (hub == lm_mesh_self(c->n)) {
        c->synced_hub = hub;
        become_hub(c);
        return;
    }
    lm_member hm;
    if (!lm_mesh_member(c->n, hub, &hm))
        return;
    c->synced_hub = hub;
    /* our last message and what it was, so the hub can tell whether its
     * history and ours are one (not so after a healed partition) */
    lm_msg m = {.type = LM_MSG_SYNC_REQ};
    m.u.sync_req.seq = lm_chatlog_next(c->log) - 1;
    m.u.sync_req.ask = ++c->sync_ask; /* only this request's answer counts */
    drop_awaited(c); /* they were for an earlier request */
    c->sync_sent_us = lm_mesh_now_us();
    c->sync_answered = false;
    const lm_chat_entry *last = lm_chatlog_get(c->log, m.u.sync_req.seq);
    if (last) {
        m.u.sync_req.origin = last->origin;
        m.u.sync_req.msgid = last->msgid;
        m.u.sync_req.chain = last->chain;
    }
    chat_send_to(c, hub, &m);
    lm_mesh_log(c->n, "sync request %u to the hub after seq %" PRIu64 ", %zu "
                "pending", m.u.sync_req.ask, m.u.sync_req.seq, c->npending);
    hand_pending(c, hub);
}

/* True when the member's last message is not ours at that seq, digest of
 * the history before it included: its history and ours went separate ways
 * (the same message can sit at the same seq in two histories once halves
 * hand their messages to a new hub; the digest tells them apart). */
static bool diverged(const lm_chat *c, const lm_msg *req)
{
    uint64_t seq = req->u.sync_req.seq;
    if (seq == 0 || seq < lm_chatlog_first(c->log))
        return false; /* nothing to compare, or older than we keep */
    const lm_chat_entry *e = lm_chatlog_get(c->log, seq);
    return !e || e->chain != req->u.sync_req.chain ||
           e->origin != req->u.sync_req.origin ||
           e->msgid != req->u.sync_req.msgid;
}

static void on_sync_req(lm_chat *c, const lm_member *from, const lm_msg *req)
{
    if (!chat_is_hub(c))
        return;
    uint64_t last = req->u.sync_req.seq;
    lm_msg m = {.type = LM_MSG_SYNC_START};
    uint64_t first = lm_chatlog_first(c->log);
    if (diverged(c, req))
        m.u.sync_start.flags = LM_SYNC_RESET; /* all of ours, from the start */
    else if (last + 1 > first)
        first = last + 1;
    m.u.sync_start.seq = first;
    m.u.sync_start.ask = req->u.sync_req.ask;
    chat_send_to(c, from->id, &m);
    lm_mesh_log(c->n, "sync answer %u to %s: from seq %" PRIu64 "%s, held by "
                "the deputy up to %" PRIu64, m.u.sync_start.ask, from->name,
                first, m.u.sync_start.flags ? " (reset)" : "", c->acked_upto);
    /* only what the deputy holds; the rest follows as it is released */
    for (uint64_t s = first; s <= c->acked_upto; s++)
        send_entry(c, from->id, s, true);
}

/* ---- every node: the ordered messages ------------------------------------ */

static bool was_shown(const lm_chat *c, uint64_t origin, uint64_t msgid)
{
    for (size_t i = 0; i < c->nshown; i++)
        if (c->shown[i].origin == origin && c->shown[i].msgid == msgid)
            return true;
    return false;
}

/* The hub's history is not ours: after a partition each half ordered its
 * own messages. Take the hub's history, showing nobody a message twice,
 * and hand the hub again every message of ours it lacks, so the halves'
 * conversations join instead of one of them being lost. */
static void rejoin_history(lm_chat *c, uint64_t hub, uint64_t first)
{
    /* ours from the old history go first, in their order, then what was
     * still pending: the order we said them in (ids of several runs do
     * not sort) */
    lm_pending again[LM_MAX_PENDING];
    size_t nagain = 0;
    uint64_t self = lm_mesh_self(c->n);
    for (uint64_t s = lm_chatlog_first(c->log); s < lm_chatlog_next(c->log);
         s++) {
        const lm_chat_entry *e = lm_chatlog_get(c->log, s);
        if (!was_shown(c, e->origin, e->msgid)) { /* a ring: oldest go */
            c->shown[c->shown_next] = (lm_shown){e->origin, e->msgid};
            c->shown_next = (c->shown_next + 1) % LM_CHATLOG_CAP;
            if (c->nshown < LM_CHATLOG_CAP)
                c->nshown++;
        }
        if (e->origin != self || is_pending(c, e->msgid) ||
            nagain + c->npending == LM_MAX_PENDING)
            continue;
        char *text = strdup(e->text);
        if (!text)
            continue;
        again[nagain++] = (lm_pending){e->msgid, e->ts, text};
    }
    memcpy(again + nagain, c->pending, c->npending * sizeof again[0]);
    c->npending += nagain;
    memcpy(c->pending, again, c->npending * sizeof again[0]);
    lm_mesh_log(c->n, "the hub's chat history differs from ours (a healed "
                "split): joining them, %zu of ours to hand again",
                c->npending);
    lm_chatlog_reset(c->log, first);
    hand_pending(c, hub);
}

static void chat_event_drop(lm_event *ev)
{
    free(((lm_ev_chat *)(void *)ev)->text);
}

lm_ev_chat *chat_new_event(lm_chat *c)
{
    lm_ev_chat *ev = lm_mesh_event(c->n, LM_EV_CHAT, sizeof *ev);
    if (ev)
        ev->h.drop = chat_event_drop;
    return ev;
}

/* The log hands each message here once, in order. */
static void deliver(void *ud, const lm_chat_entry *e)
{
    lm_chat *c = ud;
    if (e->origin == lm_mesh_self(c->n)) {
        /* ours came back ordered: it and the earlier ones of the same run
         * are no longer pending (a hub orders one sender's words in the
         * order it said them); another run's entry settles nothing here */
        size_t k = 0;
        for (size_t i = 0; i < c->npending; i++) {
            uint64_t id = c->pending[i].msgid;
            if (LM_MSGID_RUN(id) == LM_MSGID_RUN(e->msgid) &&
                LM_MSGID_COUNT(id) <= LM_MSGID_COUNT(e->msgid))
                free(c->pending[i].text);
            else
                c->pending[k++] = c->pending[i];
        }
        c->npending = k;
    }
    if (was_shown(c, e->origin, e->msgid))
        return; /* shown before the histories were joined */
    lm_ev_chat *ev = chat_new_event(c);
    if (!ev || !(ev->text = strdup(e->text))) {
        lm_event_free(ev ? &ev->h : NULL);
        return;
    }
    ev->from = e->origin;
    snprintf(ev->name, sizeof ev->name, "%s", e->name);
    ev->ts = e->ts;
    ev->seq = e->seq;
    ev->history = e->flags & LM_CHAT_HISTORY;
    lm_mesh_emit(c->n, &ev->h);
}

static void ack_if_deputy(lm_chat *c, uint64_t hub)
{
    if (lm_mesh_roles(c->n)->deputy != lm_mesh_self(c->n))
        return;
    lm_msg ack = {.type = LM_MSG_CHAT_ACK};
    ack.u.ack.seq = lm_chatlog_next(c->log) - 1;
    chat_send_to(c, hub, &ack);
}

static void await_entry(lm_chat *c, const lm_chat_entry *e)
{
    char *text = strdup(e->text);
    if (!text || c->nawait == LM_AWAIT_MAX) {
        free(text);
        lm_mesh_log(c->n, "too many chat messages before the hub's answer; "
                    "one dropped (the answer's history brings it)");
        return;
    }
    c->await[c->nawait] = *e;
    c->await[c->nawait++].text = text;
}

static void on_chat(lm_chat *c, const lm_member *from, const lm_msg *m)
{
    if (from->id != lm_mesh_roles(c->n)->hub)
        return; /* an old hub's late words; the current hub resends */
    lm_chat_entry e = {.seq = m->u.chat.seq, .chain = m->u.chat.chain,
                       .origin = m->u.chat.origin,
                       .msgid = m->u.chat.msgid, .ts = m->u.chat.ts,
                       .flags = m->u.chat.flags,
                       .text = (char *)m->u.chat.text};
    snprintf(e.name, sizeof e.name, "%s", m->u.chat.name);
    if (c->synced_hub == from->id && !c->sync_answered) {
        /* sent before the hub read our request: it may belong to a history
         * other than ours (a healed split), so it waits for the answer */
        await_entry(c, &e);
        return;
    }
    if (lm_chatlog_offer(c->log, &e) == LM_EFULL)
        lm_mesh_log(c->n, "too many chat messages ahead of a gap; one dropped");
    ack_if_deputy(c, from->id);
}

/* The sync answer is in: what came before it joins the log now. */
static void release_awaited(lm_chat *c, uint64_t hub)
{
    for (size_t i = 0; i < c->nawait; i++) {
        if (lm_chatlog_offer(c->log, &c->await[i]) == LM_EFULL)
            lm_mesh_log(c->n, "too many chat messages ahead of a gap; one "
                        "dropped");
        free(c->await[i].text);
    }
    c->nawait = 0;
    ack_if_deputy(c, hub);
}

static void on_sync_start(lm_chat *c, const lm_member *from, const lm_msg *m)
{
    /* an answer to an older request (a link replaced while it was on its
     * way) would reset our history a second time */
    if (from->id != lm_mesh_roles(c->n)->hub ||
        m->u.sync_start.ask != c->sync_ask)
        return;
    c->sync_answered = true;
    lm_mesh_log(c->n, "sync answer %u: history from seq %" PRIu64 "%s",
                m->u.sync_start.ask, m->u.sync_start.seq,
                m->u.sync_start.flags & LM_SYNC_RESET ? " (reset)" : "");
    if (m->u.sync_start.flags & LM_SYNC_RESET)
        rejoin_history(c, from->id, m->u.sync_start.seq);
    else
        lm_chatlog_skip_to(c->log, m->u.sync_start.seq);
    release_awaited(c, from->id);
}

/* ---- direct messages ----------------------------------------------------- */

static void on_dm(lm_chat *c, const lm_member *from, const lm_msg *m)
{
    bool for_us = false;
    for (size_t i = 0; i < m->u.dm.nto; i++)
        for_us |= m->u.dm.to[i] == lm_mesh_self(c->n);
    if (for_us) /* the link says who sent it, not the message */
        chat_emit_dm(c, from->id, from->name, m);
}

/* ---- what peers send ------------------------------------------------------ */

static lm_allowance *allowance(lm_chat *c, uint64_t id)
{
    lm_allowance *free_slot = NULL;
    for (size_t i = 0; i < LM_MAX_PEERS; i++) {
        if (c->allow[i].id == id)
            return &c->allow[i];
        if (!free_slot && c->allow[i].id == 0)
            free_slot = &c->allow[i];
    }
    if (free_slot)
        *free_slot = (lm_allowance){.id = id};
    return free_slot;
}

/* A peer's chat within its allowance; a flood is dropped and, past a
 * limit, cut off and reported. */
static bool within_rate(lm_chat *c, const lm_member *from)
{
    lm_allowance *a = allowance(c, from->id);
    if (!a || lm_bucket_take(&a->rate, lm_mesh_now_us(), LM_CHAT_RATE,
                             LM_CHAT_BURST))
        return true;
    if (++a->flooded == LM_FLOOD_LIMIT) {
        lm_mesh_error(c->n, "flood", "%s sent chat faster than %.0f messages "
                      "a second for too long; disconnected", from->name,
                      LM_CHAT_RATE);
        lm_mesh_expel(c->n, from->id, "flood");
    }
    return false;
}

static void on_receive(void *svc, const lm_member *from, const uint8_t *data,
                       size_t len)
{
    lm_chat *c = svc;
    lm_msg m; /* a few KB: not static, the thread owns one node at a time */
    int rc = lm_wire_decode(data, len, &m);
    if (rc < 0) {
        lm_mesh_bad(c->n, from->id, LM_CH_CHAT, rc);
        return;
    }
    switch (m.type) {
    case LM_MSG_CHAT_SUBMIT:
        if (within_rate(c, from) && chat_is_hub(c))
            chat_hub_order(c, from->id, from->name, m.u.submit.msgid,
                      m.u.submit.ts, m.u.submit.text);
        break;
    case LM_MSG_DM:
        if (within_rate(c, from))
            on_dm(c, from, &m);
        break;
    case LM_MSG_CHAT:
        on_chat(c, from, &m);
        break;
    case LM_MSG_CHAT_ACK:
        if (chat_is_hub(c) && from->id == lm_mesh_roles(c->n)->deputy) {
            if (m.u.ack.seq > c->acked_upto)
                c->ack_seen_us = lm_mesh_now_us();
            release(c, m.u.ack.seq);
        }
        break;
    case LM_MSG_SYNC_REQ:
        on_sync_req(c, from, &m);
        break;
    case LM_MSG_SYNC_START:
        on_sync_start(c, from, &m);
        break;
    }
}

static void on_member(void *svc, const lm_member *m, lm_member_change change)
{
    lm_chat *c = svc;
    const lm_elect_state *st = lm_mesh_roles(c->n);
    if (change != LM_MEMBER_LEFT) {
        lm_allowance *a = allowance(c, m->id);
        if (a) /* a new link starts with a fresh allowance */
            *a = (lm_allowance){.id = m->id};
    } else {
        for (size_t i = 0; i < LM_MAX_PEERS; i++)
            if (c->allow[i].id == m->id)
                c->allow[i].id = 0;
    }
    if (change != LM_MEMBER_JOINED && m->id == c->synced_hub)
        c->synced_hub = 0; /* check_sync asks again and hands our pending */
    /* what the deputy had not acknowledged went down with its old link
     * (or its old run): without it the deputy holds a gap, never
     * acknowledges past it, and the room waits for ever */
    if (change == LM_MEMBER_RELINKED && st->hub == lm_mesh_self(c->n) &&
        m->id == st->deputy) {
        uint64_t k = resend_to_deputy(c);
        if (k)
            lm_mesh_log(c->n, "the deputy's link was replaced: %" PRIu64
                        " messages sent to it again", k);
    }
    check_sync(c);
}

static void on_roles(void *svc, const lm_elect_state *old,
                     const lm_elect_state *now)
{
    lm_chat *c = svc;
    uint64_t self = lm_mesh_self(c->n);
    /* a hub whose deputy changed sends what waited for the old one */
    if (now->hub == self && old->hub == self && now->deputy != old->deputy)
        flush_to_room(c);
    check_sync(c);
}

static int64_t tick(void *svc, int64_t now)
{
    lm_chat *c = svc;
    if (c->nheld && !lm_mesh_stale(c->n))
        release_held(c);
    /* an answer lost with a replaced link: ask the hub again */
    uint64_t hub = lm_mesh_roles(c->n)->hub;
    if (c->synced_hub && c->synced_hub == hub &&
        c->synced_hub != lm_mesh_self(c->n) && !c->sync_answered &&
        now - c->sync_sent_us > LM_SYNC_RETRY_US) {
        lm_mesh_log(c->n, "no answer from the hub to our sync request; "
                    "asking again");
        c->synced_hub = 0;
    }
    check_sync(c);
    nudge_deputy(c, now);
    return now + 100000; /* the retries above are checked ten times a second */
}

static void chat_free(void *svc)
{
    lm_chat *c = svc;
    if (!c)
        return;
    drop_awaited(c);
    for (size_t i = 0; i < c->nheld; i++)
        free(c->held[i].text);
    for (size_t i = 0; i < c->npending; i++)
        free(c->pending[i].text);
    lm_chatlog_free(c->log);
    free(c);
}

static const uint8_t chat_types[] = {
    LM_MSG_CHAT_SUBMIT, LM_MSG_CHAT,       LM_MSG_CHAT_ACK,
    LM_MSG_SYNC_REQ,    LM_MSG_SYNC_START, LM_MSG_DM,
};

static const lm_service_ops chat_ops = {
    .name = "chat",
    .channel = LM_CH_CHAT,
    .types = chat_types,
    .ntypes = sizeof chat_types,
    .on_receive = on_receive,
    .on_member = on_member,
    .on_roles = on_roles,
    .tick = tick,
    .free = chat_free,
};

lm_chat *lm_chat_attach(lm_node *n, int *err)
{
    lm_chat *c = calloc(1, sizeof *c);
    if (c)
        c->log = lm_chatlog_new(LM_CHATLOG_CAP, deliver, c);
    if (!c || !c->log) {
        chat_free(c);
        *err = LM_ENOMEM;
        return NULL;
    }
    c->n = n;
    /* message ids differ from every earlier run's under the same identity,
     * or the hub takes a restarted node's words for repeats */
    c->next_msgid = (uint64_t)lm_mesh_run(n) << 32 | 1;
    int rc = lm_mesh_attach(n, &chat_ops, c);
    if (rc < 0) {
        chat_free(c);
        *err = rc;
        return NULL;
    }
    return c;
}
