/* reach.c - cuts and the best-placed hub from the members' link lists
 * (see reach.h). A view is small (at most a room's worth of peers, each
 * with a room's worth of links), so plain loops do. */
#include "reach.h"

#include <stdbool.h>

static const lm_reach_peer *peer_of(const lm_reach_view *v, uint64_t id)
{
    for (size_t i = 0; i < v->npeers; i++)
        if (v->peers[i].id == id)
            return &v->peers[i];
    return NULL;
}

static bool lists(const lm_reach_peer *p, uint64_t id)
{
    for (size_t i = 0; i < p->nlinks; i++)
        if (p->links[i] == id)
            return true;
    return false;
}

/* What we know of a and b: 1 linked, 0 cut, -1 unknown (neither is us or a
 * peer of ours, so nobody told us their links). */
static int linked(const lm_reach_view *v, uint64_t a, uint64_t b)
{
    if (a == v->self)
        return peer_of(v, b) != NULL;
    if (b == v->self)
        return peer_of(v, a) != NULL;
    const lm_reach_peer *pa = peer_of(v, a), *pb = peer_of(v, b);
    if (!pa && !pb)
        return -1;
    return (pa && lists(pa, b)) || (pb && lists(pb, a));
}

static void add(uint64_t *set, size_t *n, uint64_t id)
{
    if (id == 0)
        return;
    for (size_t i = 0; i < *n; i++)
        if (set[i] == id)
            return;
    if (*n < LM_REACH_MAX_NODES)
        set[(*n)++] = id;
}

/* Every node the view names, sorted, self included. */
static size_t known(const lm_reach_view *v, uint64_t set[LM_REACH_MAX_NODES])
{
    size_t n = 0;
    add(set, &n, v->self);
    for (size_t i = 0; i < v->npeers; i++)
        add(set, &n, v->peers[i].id);
    for (size_t i = 0; i < v->npeers; i++)
        for (size_t j = 0; j < v->peers[i].nlinks; j++)
            add(set, &n, v->peers[i].links[j]);
    for (size_t i = 1; i < n; i++) /* insertion sort: n is small */
        for (size_t j = i; j > 0 && set[j - 1] > set[j]; j--) {
            uint64_t t = set[j];
            set[j] = set[j - 1];
            set[j - 1] = t;
        }
    return n;
}

size_t lm_reach_cuts(const lm_reach_view *v, lm_reach_pair *out, size_t cap)
{
    uint64_t set[LM_REACH_MAX_NODES];
    size_t n = known(v, set), cuts = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (linked(v, set[i], set[j]) == 0) {
                if (cuts < cap)
                    out[cuts] = (lm_reach_pair){set[i], set[j]};
                cuts++;
            }
    return cuts;
}

/* Members of set[0..n) that id is known to be linked to; 0 if id is not
 * one of them. */
static size_t reach_in(const lm_reach_view *v, const uint64_t *set, size_t n,
                       uint64_t id)
{
    size_t count = 0;
    bool in = false;
    for (size_t i = 0; i < n; i++) {
        if (set[i] == id)
            in = true;
        else if (linked(v, id, set[i]) == 1)
            count++;
    }
    return in ? count : 0;
}

size_t lm_reach_of(const lm_reach_view *v, uint64_t id)
{
    uint64_t set[LM_REACH_MAX_NODES];
    size_t n = known(v, set);
    return reach_in(v, set, n, id);
}

uint64_t lm_reach_successor(const lm_reach_view *v)
{
    uint64_t set[LM_REACH_MAX_NODES];
    size_t n = known(v, set); /* once: each reach_in walks it */
    size_t mine = reach_in(v, set, n, v->self);
    if (mine + 1 >= n)
        return 0; /* every member reaches us */
    uint64_t best = 0;
    size_t most = mine;
    for (size_t i = 0; i < v->npeers; i++) {
        uint64_t id = v->peers[i].id;
        size_t r = reach_in(v, set, n, id);
        if (r > most || (r == most && best != 0 && id < best)) {
            best = id;
            most = r;
        }
    }
    return best;
}
