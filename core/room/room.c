/* room.c - the room's election (room.h), on top of the mesh.
 *
 * The rules are election.c's; this file feeds them: what each member last
 * advertised (its intro, then its STATE messages), which hubs this node
 * saw go, whether the start-up grace is over, whether the hub was handed
 * to us. A new result goes to every member as STATE and to the mesh as
 * its roles. STATE is also sent again every LM_STATE_REFRESH_US, so one
 * lost on a replaced link (a deputy that never hears it is deputy holds
 * the room's chat back) heals by itself. */
#include "room.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "election.h"
#include "err.h"

#define LM_MAX_GONE 64
#define LM_CLAIM_GRACE_US 1500000 /* a new node listens before electing */
#define LM_UNKNOWN_HUB_US 3000000 /* a hub nobody can reach counts as gone */
#define LM_HANDOVER_US 5000000    /* a hub hands over at most this often */
#define LM_STATE_REFRESH_US 2000000
#define LM_ROOM_TICK_US 100000

/* What a member last advertised. */
typedef struct lm_said {
    uint64_t id; /* 0: a free slot */
    uint32_t run;
    bool forced;
    lm_elect_state st;
} lm_said;

struct lm_room {
    lm_node *n;
    int64_t start_us;
    lm_said said[LM_MAX_PEERS];
    uint64_t gone[LM_MAX_GONE];
    size_t ngone, gone_next;
    uint64_t unknown_hub;
    int64_t unknown_since_us;
    bool forced_note_sent;
    int64_t handed_us; /* when this hub last handed the hub over */
    bool take_hub;     /* the hub handed it to us: claim at next election */
    int64_t refresh_us; /* next STATE to every member */
};

static lm_said *said_of(lm_room *r, uint64_t id)
{
    for (size_t i = 0; i < LM_MAX_PEERS; i++)
        if (r->said[i].id == id)
            return &r->said[i];
    return NULL;
}

static bool is_gone(const lm_room *r, uint64_t id)
{
    for (size_t i = 0; i < r->ngone; i++)
        if (r->gone[i] == id)
            return true;
    return false;
}

static void add_gone(lm_room *r, uint64_t id)
{
    if (is_gone(r, id))
        return;
    r->gone[r->gone_next] = id; /* a ring: the oldest is forgotten */
    r->gone_next = (r->gone_next + 1) % LM_MAX_GONE;
    if (r->ngone < LM_MAX_GONE)
        r->ngone++;
}

/* Our election state, to one member or (to 0) to every member. */
static void send_state(lm_room *r, uint64_t to, uint8_t flags)
{
    lm_msg m = {.type = LM_MSG_STATE};
    m.u.state.st = *lm_mesh_roles(r->n);
    m.u.state.flags = flags | (lm_mesh_forced(r->n) ? LM_INTRO_FORCED : 0);
    if (to)
        lm_mesh_send_msg(r->n, to, LM_CH_CONTROL, &m);
    else
        lm_mesh_send_msg_all(r->n, LM_CH_CONTROL, &m, 0);
}

static void emit_hub(lm_room *r)
{
    lm_ev_hub *ev = lm_mesh_event(r->n, LM_EV_HUB, sizeof *ev);
    if (!ev)
        return;
    ev->st = *lm_mesh_roles(r->n);
    lm_mesh_emit(r->n, &ev->h);
}

static void elect(lm_room *r)
{
    lm_node *n = r->n;
    lm_elect_member peers[LM_MAX_PEERS];
    size_t np = 0;
    lm_member m;
    for (size_t it = 0; lm_mesh_next(n, &it, &m) && np < LM_MAX_PEERS;) {
        const lm_said *s = said_of(r, m.id);
        peers[np++] = s ? (lm_elect_member){m.id, s->forced, s->st, m.run}
                        : (lm_elect_member){m.id, m.forced, m.intro_st, m.run};
    }
    const lm_elect_state cur = *lm_mesh_roles(n);
    int64_t now = lm_mesh_now_us();
    lm_elect_input in = {
        .self = lm_mesh_self(n),
        .self_run = lm_mesh_run(n),
        .self_forced = lm_mesh_forced(n),
        .cur = cur,
        .peers = peers,
        .npeers = np,
        .gone = r->gone,
        .ngone = r->ngone,
        .may_claim = now - r->start_us >= LM_CLAIM_GRACE_US,
        .take = r->take_hub,
    };
    r->take_hub = false; /* once: the claim it makes is then the best */
    int note = LM_ELECT_NOTE_NONE;
    lm_elect_state s = lm_election_decide(&in, &note);
    if (note == LM_ELECT_NOTE_FORCED_LOST && !r->forced_note_sent) {
        r->forced_note_sent = true;
        lm_mesh_error(n, "host_conflict", "another node started with --host "
                      "has a smaller id and stays hub; this node stays a "
                      "member");
    }
    if (s.term == cur.term && s.hub == cur.hub && s.deputy == cur.deputy &&
        s.hub_run == cur.hub_run)
        return;
    /* just back from our own stall: follow a hub the links bring back, but
     * never take the hub because our stale links dropped */
    if (s.hub == in.self && cur.hub != in.self && lm_mesh_stale(n))
        return;
    char hub[LM_ID_STR], dep[LM_ID_STR];
    lm_id_format(s.hub, hub);
    lm_id_format(s.deputy, dep);
    lm_mesh_log(n, "hub %s deputy %s term %" PRIu64, s.hub ? hub : "none",
                s.deputy ? dep : "none", s.term);
    /* the mesh tells the other services; the room hears it first */
    lm_mesh_set_roles(n, &s);
}

static void on_roles(void *svc, const lm_elect_state *old,
                     const lm_elect_state *now)
{
    (void)old;
    (void)now;
    lm_room *r = svc;
    send_state(r, 0, 0);
    emit_hub(r);
}

static void on_member(void *svc, const lm_member *m, lm_member_change change)
{
    lm_room *r = svc;
    lm_said *s = said_of(r, m->id);
    if (change == LM_MEMBER_LEFT) {
        if (s)
            s->id = 0;
        /* after our own stall, a peer that timed out is not known to be
         * gone: its hub claim stays "unknown" until the links are back */
        if (!lm_mesh_stale(r->n))
            add_gone(r, m->id);
    } else {
        if (!s)
            s = said_of(r, 0);
        if (s) /* its intro is its latest word */
            *s = (lm_said){m->id, m->run, m->forced, m->intro_st};
        /* our state may be newer than the intro it got from us, and what
         * went out on a replaced link may be lost */
        send_state(r, m->id, 0);
    }
    elect(r);
}

static void on_receive(void *svc, const lm_member *from, const uint8_t *data,
                       size_t len)
{
    lm_room *r = svc;
    lm_msg m;
    int rc = lm_wire_decode(data, len, &m);
    if (rc < 0 || m.type != LM_MSG_STATE) {
        lm_mesh_bad(r->n, from->id, LM_CH_CONTROL, rc < 0 ? rc : LM_EPROTO);
        return;
    }
    lm_said *s = said_of(r, from->id);
    if (!s)
        return; /* not a member any more */
    s->st = m.u.state.st;
    s->forced = m.u.state.flags & LM_INTRO_FORCED;
    /* our hub hands us the hub: only the hub of our own term may */
    const lm_elect_state *cur = lm_mesh_roles(r->n);
    if ((m.u.state.flags & LM_STATE_HANDOVER) && from->id == cur->hub &&
        s->st.hub == from->id && s->st.term == cur->term) {
        lm_mesh_log(r->n, "%s hands us the hub: we reach more of the room",
                    from->name);
        r->take_hub = true;
    }
    elect(r);
}

/* A hub that some member cannot reach hands the hub to the member that
 * reaches the most (chat flows member -> hub -> all, so that one gets
 * everybody's words to everybody). */
static void hand_over(lm_room *r, int64_t now)
{
    lm_node *n = r->n;
    if (lm_mesh_roles(n)->hub != lm_mesh_self(n) || lm_mesh_forced(n) ||
        lm_mesh_stale(n) || !lm_mesh_cut_lasting(n) ||
        (r->handed_us && now - r->handed_us < LM_HANDOVER_US))
        return;
    size_t theirs = 0, ours = 0;
    uint64_t succ = lm_mesh_reach_successor(n, &theirs, &ours);
    lm_member m;
    if (!succ || !lm_mesh_member(n, succ, &m))
        return;
    r->handed_us = now;
    lm_mesh_log(n, "%s reaches more of the room than we do (%zu of us "
                "against %zu): handing it the hub", m.name, theirs, ours);
    send_state(r, succ, LM_STATE_HANDOVER);
}

static int64_t tick(void *svc, int64_t now)
{
    lm_room *r = svc;
    hand_over(r, now);
    /* a hub that members name but that we never reach counts as gone
     * after a while, so a stale claim cannot stall the room */
    uint64_t unknown = 0, term = 0, self = lm_mesh_self(r->n);
    lm_member m;
    for (size_t it = 0; lm_mesh_next(r->n, &it, &m);) {
        const lm_said *s = said_of(r, m.id);
        uint64_t h = s ? s->st.hub : 0;
        lm_member hm;
        if (h && h != self && !lm_mesh_member(r->n, h, &hm) &&
            !is_gone(r, h) && s->st.term >= term) {
            unknown = h;
            term = s->st.term;
        }
    }
    if (unknown != r->unknown_hub) {
        r->unknown_hub = unknown;
        r->unknown_since_us = now;
    } else if (unknown && now - r->unknown_since_us > LM_UNKNOWN_HUB_US) {
        add_gone(r, unknown);
    }
    elect(r);
    if (now >= r->refresh_us) {
        r->refresh_us = now + LM_STATE_REFRESH_US;
        if (lm_mesh_roles(r->n)->term)
            send_state(r, 0, 0);
    }
    return now + LM_ROOM_TICK_US;
}

static const uint8_t room_types[] = {LM_MSG_STATE};

static const lm_service_ops room_ops = {
    .name = "room",
    .channel = LM_CH_CONTROL,
    .types = room_types,
    .ntypes = sizeof room_types,
    .on_receive = on_receive,
    .on_member = on_member,
    .on_roles = on_roles,
    .tick = tick,
    .free = free,
};

lm_room *lm_room_attach(lm_node *n, int *err)
{
    lm_room *r = calloc(1, sizeof *r);
    if (!r) {
        *err = LM_ENOMEM;
        return NULL;
    }
    r->n = n;
    r->start_us = lm_mesh_now_us();
    r->refresh_us = r->start_us + LM_STATE_REFRESH_US;
    int rc = lm_mesh_attach(n, &room_ops, r);
    if (rc < 0) {
        free(r);
        *err = rc;
        return NULL;
    }
    return r;
}
