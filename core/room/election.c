/* election.c - choose the hub and the deputy from what the room advertises.
 *
 * lm_election_decide() is a pure function of its input: no I/O, no clock,
 * no globals. The node runs it whenever its view changes (a link comes up or
 * drops, a peer advertises a new state) and advertises the result.
 *
 * A "claim" is an advertised state with a hub. Claims are ordered by term,
 * then support (live nodes advertising the same term and hub), then the
 * smaller hub id. Each claim's hub is live (self or a linked peer), gone (its
 * link dropped) or unknown (not linked yet). The decision, first match wins:
 *   forced  the smallest live forced id claims unless the best live claim
 *           is already its own; everyone else follows the best (rule 2);
 *   take    the hub handed us the hub: claim a new term (rule 6);
 *   wait    the newest claim names a hub we have not linked yet: keep our
 *           state until the link comes up, never claim over it;
 *   lost    the newest claim names a gone hub: its deputy (or, if that is
 *           gone too, the smallest live id among the nodes advertising that
 *           claim) claims a new term (rule 4); everyone else keeps its state
 *           until that claim arrives;
 *   adopt   follow the best claim whose hub is live (rules 3 and 5);
 *   empty   no claim at all: once may_claim, the smallest live id claims.
 * Every claim takes a term above every term seen, so it beats every older
 * claim (rule 5). Ties end on ids only, so equal views give equal answers.
 */
#include "election.h"

typedef struct node {
    uint64_t id;
    bool forced;
    lm_elect_state st;
} node;

typedef struct claim {
    bool ok; /* false: no such claim */
    uint64_t term, hub;
    uint32_t run; /* the hub's run that made it */
    size_t support;
} claim;

/* The live set, built once per decision: self first (holding cur), then
 * each peer once. A peer with id 0, our own id or an id seen earlier in the
 * list is skipped, so a faulty caller cannot add votes; a room holds at
 * most LM_MAX_PEERS nodes, so peers past that are not counted. Built once,
 * every count over it is linear: the decision costs O(n^2), not O(n^4)
 * (in a room of 64 that was a millisecond per decision, dozens a second
 * on every node, and links timed out while it formed). */
typedef struct view {
    size_t n;
    node v[LM_MAX_PEERS + 1];
} view;

static void view_build(view *w, const lm_elect_input *in)
{
    w->v[0] = (node){in->self, in->self_forced, in->cur};
    w->n = 1;
    for (size_t k = 0; k < in->npeers && w->n < LM_MAX_PEERS + 1; k++) {
        const lm_elect_member *p = &in->peers[k];
        bool seen = p->id == 0 || p->id == in->self;
        for (size_t j = 1; j < w->n && !seen; j++)
            seen = w->v[j].id == p->id;
        if (!seen)
            w->v[w->n++] = (node){p->id, p->forced, p->st};
    }
}

static bool is_live(const lm_elect_input *in, uint64_t id)
{
    if (id == 0)
        return false;
    if (id == in->self)
        return true;
    for (size_t i = 0; i < in->npeers; i++)
        if (in->peers[i].id == id)
            return true;
    return false;
}

/* The run a live id is in now. */
static uint32_t run_of(const lm_elect_input *in, uint64_t id)
{
    if (id == in->self)
        return in->self_run;
    for (size_t i = 0; i < in->npeers; i++)
        if (in->peers[i].id == id)
            return in->peers[i].run;
    return 0;
}

/* The hub of this claim is live and is still the run that made it. */
static bool claim_live(const lm_elect_input *in, const claim *c)
{
    return is_live(in, c->hub) && run_of(in, c->hub) == c->run;
}

/* A live id is never gone (a healed link wins over a stale gone entry).
 * The hub of our own state was live when we took that state up, so if it
 * is not live now its link dropped, even if the caller no longer lists it;
 * without this a forgotten gone entry would leave the room waiting forever. */
static bool is_gone(const lm_elect_input *in, uint64_t id)
{
    if (id == 0 || is_live(in, id))
        return false;
    if (id == in->cur.hub)
        return true;
    for (size_t i = 0; i < in->ngone; i++)
        if (in->gone[i] == id)
            return true;
    return false;
}

/* The smallest live id advertising (term, hub); 0 if none. */
static uint64_t first_advertiser(const view *w, const claim *c)
{
    uint64_t low = 0;
    for (size_t k = 0; k < w->n; k++) {
        const node *v = &w->v[k];
        if (v->st.term == c->term && v->st.hub == c->hub &&
            v->st.hub_run == c->run && (low == 0 || v->id < low))
            low = v->id;
    }
    return low;
}

/* Live nodes advertising (term, hub, run) and, unless dep is NULL, *dep
 * too. */
static size_t count(const view *w, uint64_t term, uint64_t hub, uint32_t run,
                    const uint64_t *dep)
{
    size_t n = 0;
    for (size_t k = 0; k < w->n; k++) {
        const node *v = &w->v[k];
        if (v->st.term == term && v->st.hub == hub && v->st.hub_run == run &&
            (!dep || v->st.deputy == *dep))
            n++;
    }
    return n;
}

/* True if a ranks above b; any claim ranks above no claim. */
static bool beats(const claim *a, const claim *b)
{
    if (!b->ok)
        return true;
    if (a->term != b->term)
        return a->term > b->term;
    if (a->support != b->support)
        return a->support > b->support;
    return a->hub < b->hub;
}

/* The deputy that goes with a claim by another node: the hub's own word
 * when we hear it (it is the one that picks), else the deputy most live
 * advertisers name, ties to the smaller id, so all of them pick the same. */
static uint64_t deputy_of(const view *w, const claim *c)
{
    uint64_t best = 0;
    size_t votes = 0;
    for (size_t k = 0; k < w->n; k++) {
        const node *v = &w->v[k];
        if (v->st.term != c->term || v->st.hub != c->hub ||
            v->st.hub_run != c->run)
            continue;
        if (v->id == c->hub)
            return v->st.deputy;
        if (v->st.deputy == 0)
            continue;
        size_t n = count(w, c->term, c->hub, c->run, &v->st.deputy);
        if (n > votes || (n == votes && v->st.deputy < best)) {
            best = v->st.deputy;
            votes = n;
        }
    }
    return best;
}

/* Our deputy when we are hub. Keep the current one while it is live: it
 * already holds a copy of the hub's state. Otherwise the smallest live id,
 * so every node would name the same one; 0 when we are alone. */
static uint64_t choose_deputy(const lm_elect_input *in)
{
    uint64_t d = in->cur.deputy;
    if (d != in->self && is_live(in, d))
        return d;
    d = 0;
    for (size_t i = 0; i < in->npeers; i++) {
        uint64_t id = in->peers[i].id;
        if (id != 0 && id != in->self && (d == 0 || id < d))
            d = id;
    }
    return d;
}

static lm_elect_state claim_hub(const lm_elect_input *in, uint64_t maxterm)
{
    lm_elect_state s;
    /* Saturate: a peer advertising the largest term must not wrap us to 0;
     * at the ceiling, support and id still decide. */
    s.term = maxterm < UINT64_MAX ? maxterm + 1 : UINT64_MAX;
    s.hub = in->self;
    s.deputy = choose_deputy(in);
    s.hub_run = in->self_run;
    return s;
}

static lm_elect_state adopt(const lm_elect_input *in, const view *w,
                            const claim *c)
{
    lm_elect_state s;
    s.term = c->term;
    s.hub = c->hub;
    s.hub_run = c->run;
    s.deputy = c->hub == in->self ? choose_deputy(in) : deputy_of(w, c);
    return s;
}

lm_elect_state lm_election_decide(const lm_elect_input *in, int *note)
{
    claim best = {0}, lost = {0}, unk = {0};
    uint64_t maxterm = 0, fh = 0, low = in->self;
    lm_elect_state out = in->cur;
    view w;

    if (note)
        *note = LM_ELECT_NOTE_NONE;
    view_build(&w, in);

    /* One pass: the highest term, the smallest forced and live ids, and the
     * top claim in each class of hub (live, gone, unknown). */
    for (size_t k = 0; k < w.n; k++) {
        const node *v = &w.v[k];
        if (v->st.term > maxterm)
            maxterm = v->st.term;
        if (v->forced && (fh == 0 || v->id < fh))
            fh = v->id;
        if (v->id < low)
            low = v->id;
        if (v->st.hub == 0)
            continue;
        claim c = {true, v->st.term, v->st.hub, v->st.hub_run,
                   count(&w, v->st.term, v->st.hub, v->st.hub_run, NULL)};
        /* a live hub's earlier run is as good as gone: it lost the state */
        claim *slot = claim_live(in, &c)                        ? &best
                      : is_gone(in, c.hub) || is_live(in, c.hub) ? &lost
                                                                 : &unk;
        if (beats(&c, slot))
            *slot = c;
    }

    if (fh != 0) {
        if (in->self_forced && fh != in->self && note)
            *note = LM_ELECT_NOTE_FORCED_LOST;
        /* Only a live hub's claim makes us claim again: re-claiming over a
         * term relayed from an unlinked hub would let two forced nodes that
         * share a neighbour but no link outbid each other every round. */
        if (best.ok && best.hub == fh)
            out = adopt(in, &w, &best);
        else if (fh == in->self)
            out = claim_hub(in, maxterm);
        else if (best.ok)
            out = adopt(in, &w, &best); /* until the forced node's claim arrives */
    } else if (in->take) {
        out = claim_hub(in, maxterm);
    } else if (unk.ok && (!best.ok || unk.term > best.term) &&
               (!lost.ok || unk.term >= lost.term)) {
        /* The room moved on under a hub we are not linked to yet; claiming
         * now would unseat it once the link comes up (rule 3). Keep cur. */
    } else if (lost.ok && (!best.ok || lost.term > best.term)) {
        uint64_t succ = deputy_of(&w, &lost);
        /* If the deputy went down too: only a node advertising the lost
         * claim followed that hub and so knows it is gone; a newcomer that
         * never linked it sees an unknown hub and would never claim. */
        if (!is_live(in, succ))
            succ = first_advertiser(&w, &lost);
        /* A node left with no peer at all cannot tell a dead room from its
         * own cut or stall (a suspended laptop): it keeps the term, so when
         * the links come back the room's hub, with more support, stays. */
        if (succ == in->self)
            out = claim_hub(in, in->npeers || maxterm == 0 ? maxterm
                                                          : maxterm - 1);
        /* else keep cur: the successor's claim will arrive and win */
    } else if (best.ok) {
        out = adopt(in, &w, &best);
    } else if (in->may_claim && low == in->self) {
        out = claim_hub(in, maxterm);
    }

    if (out.hub == 0 || out.deputy == out.hub)
        out.deputy = 0; /* never our own deputy; no deputy without a hub */
    if (out.hub == 0)
        out.hub_run = 0;
    return out;
}
