/* cuts.c - who cannot reach whom, told to the person; the room service
 * hands the hub to the member that reaches the most (the pure part is
 * reach.c).
 *
 * Each member's PEERS list is kept on its link. When a list or a link
 * changes, the view is judged again; a cut pair starts its clock, is told
 * (error "unreachable") once it has lasted LM_CUT_STABLE_US, and is told
 * healed ("reachable") when it goes. While a cut lasts, the room service
 * asks cuts_successor for a member that reaches strictly more of the room
 * and hands it the hub.
 */
#include <stdio.h>

#include "clock.h"
#include "node_impl.h"
#include "reach.h"

void cuts_on_peers(lm_node *n, lm_link *l, const lm_msg *m)
{
    l->nreports = 0;
    for (size_t i = 0; i < m->u.peers.n && i < LM_MAX_PEERS; i++)
        l->reports[l->nreports++] = m->u.peers.peer[i].id;
    n->reach_dirty = true;
}

/* Our view two hops deep: our members and what each reports. */
static size_t reach_view(lm_node *n, lm_reach_peer *peers)
{
    size_t np = 0;
    for (size_t i = 0; i < LM_MAX_LINKS; i++) {
        lm_link *l = &n->links[i];
        if (link_is_member(l) && np < LM_MAX_LINKS)
            peers[np++] = (lm_reach_peer){l->id, l->reports, l->nreports};
    }
    return np;
}

/* A member's name as this node shows it, else its id. */
static void name_of(lm_node *n, uint64_t id, char *buf, size_t cap)
{
    lm_link *l = id == n->id ? NULL : link_by_id(n, id);
    if (id == n->id) {
        snprintf(buf, cap, "%s (this node)", n->display);
    } else if (l && l->hello_ok) {
        snprintf(buf, cap, "%s", l->display);
    } else {
        char hex[LM_ID_STR];
        lm_id_format(id, hex);
        snprintf(buf, cap, "node %s", hex);
    }
}

static void tell_cut(lm_node *n, uint64_t a, uint64_t b, bool cut)
{
    lm_ev_error *ev = node_event(n, LM_EV_ERROR, sizeof *ev);
    if (!ev)
        return;
    char na[LM_NAME_MAX + 32], nb[LM_NAME_MAX + 32];
    name_of(n, a, na, sizeof na);
    name_of(n, b, nb, sizeof nb);
    snprintf(ev->code, sizeof ev->code, "%s", cut ? "unreachable" : "reachable");
    /* a long name may cut the sentence short: the ids are in the event */
    int len = snprintf(ev->msg, sizeof ev->msg,
                       cut ? "%s and %s cannot reach each other; their chat "
                             "goes through the hub"
                           : "%s and %s reach each other again",
                       na, nb);
    (void)len;
    ev->a = a;
    ev->b = b;
    node_log(n, "%s", ev->msg);
    node_emit(n, &ev->h);
}

/* Keeps the table of cut pairs in step with the view: a new pair starts
 * its clock, a pair no longer cut is forgotten (and, if it was told, told
 * healed). */
static void reach_update(lm_node *n, int64_t now, const lm_reach_view *v)
{
    lm_reach_pair now_cut[LM_MAX_CUTS];
    size_t k = lm_reach_cuts(v, now_cut, LM_MAX_CUTS);
    if (k > LM_MAX_CUTS)
        k = LM_MAX_CUTS;
    size_t w = 0;
    for (size_t i = 0; i < n->ncuts; i++) {
        bool still = false;
        for (size_t j = 0; j < k && !still; j++)
            still = now_cut[j].a == n->cuts[i].a && now_cut[j].b == n->cuts[i].b;
        if (still)
            n->cuts[w++] = n->cuts[i];
        else if (n->cuts[i].told)
            tell_cut(n, n->cuts[i].a, n->cuts[i].b, false);
    }
    n->ncuts = w;
    for (size_t j = 0; j < k; j++) {
        bool have = false;
        for (size_t i = 0; i < n->ncuts && !have; i++)
            have = now_cut[j].a == n->cuts[i].a && now_cut[j].b == n->cuts[i].b;
        if (!have && n->ncuts < LM_MAX_CUTS) {
            size_t i = n->ncuts++;
            n->cuts[i].a = now_cut[j].a;
            n->cuts[i].b = now_cut[j].b;
            n->cuts[i].since_us = now;
            n->cuts[i].told = false;
        }
    }
}

/* Tells lasting cuts. */
void cuts_tick(lm_node *n, int64_t now)
{
    if (n->reach_dirty) {
        lm_reach_peer peers[LM_MAX_LINKS];
        lm_reach_view v = {n->id, peers, reach_view(n, peers)};
        n->reach_dirty = false;
        reach_update(n, now, &v);
    }
    n->cut_lasting = false;
    for (size_t i = 0; i < n->ncuts; i++) {
        if (now - n->cuts[i].since_us < LM_CUT_STABLE_US)
            continue;
        n->cut_lasting = true;
        if (!n->cuts[i].told) {
            n->cuts[i].told = true;
            tell_cut(n, n->cuts[i].a, n->cuts[i].b, true);
        }
    }
}

uint64_t cuts_successor(lm_node *n, size_t *theirs, size_t *ours)
{
    lm_reach_peer peers[LM_MAX_LINKS];
    lm_reach_view v = {n->id, peers, reach_view(n, peers)};
    uint64_t succ = lm_reach_successor(&v);
    *theirs = succ ? lm_reach_of(&v, succ) : 0;
    *ours = lm_reach_of(&v, n->id);
    return succ;
}
