/* test_election_sim.c - core/election.c across a room: a small simulator.
 *
 * N nodes, each with its own state, a link matrix, per-node gone lists,
 * forced and may_claim flags. One round = every live node decides on what
 * its linked peers advertised the round before; rounds repeat until
 * nothing changes (or the test fails after SIM_ROUNDS). Every settled state
 * is checked: inside each group of linked nodes, all agree on (term, hub,
 * deputy), the hub is in the group, and the deputy is another member of the
 * group (0 when the node is alone).
 */
#include <stdint.h>
#include <stdio.h>

#include "check.h"
#include "election_check.h"
#include "mesh/mesh.h"

#define SIM_MAX 12
#define SIM_ROUNDS 50
#define SIM_GONE 128 /* gone ids remembered per node */

typedef struct sim {
    size_t n;
    uint64_t id[SIM_MAX];
    bool up[SIM_MAX], forced[SIM_MAX], may_claim[SIM_MAX];
    bool link[SIM_MAX][SIM_MAX];
    uint64_t gone[SIM_MAX][SIM_GONE];
    size_t ngone[SIM_MAX];
    lm_elect_state st[SIM_MAX];
    int note[SIM_MAX];
} sim;

/* n nodes, all down and unlinked. */
static void sim_init(sim *s, size_t n, const uint64_t *ids)
{
    *s = (sim){0};
    s->n = n;
    for (size_t i = 0; i < n; i++)
        s->id[i] = ids[i];
}

static void gone_set(sim *s, size_t a, uint64_t id, bool on)
{
    for (size_t i = 0; i < s->ngone[a]; i++) {
        if (s->gone[a][i] != id)
            continue;
        if (!on)
            s->gone[a][i] = s->gone[a][--s->ngone[a]];
        return;
    }
    if (on) {
        CHECK(s->ngone[a] < SIM_GONE);
        if (s->ngone[a] < SIM_GONE)
            s->gone[a][s->ngone[a]++] = id;
    }
}

static void sim_link(sim *s, size_t a, size_t b)
{
    if (a == b || !s->up[a] || !s->up[b])
        return;
    s->link[a][b] = s->link[b][a] = true;
    gone_set(s, a, s->id[b], false);
    gone_set(s, b, s->id[a], false);
}

/* A link drops: each side notes the other as gone. */
static void sim_cut(sim *s, size_t a, size_t b)
{
    if (!s->link[a][b])
        return;
    s->link[a][b] = s->link[b][a] = false;
    gone_set(s, a, s->id[b], true);
    gone_set(s, b, s->id[a], true);
}

/* A fresh start: empty state, no memory of earlier links. */
static void sim_start(sim *s, size_t a, bool forced, bool may_claim)
{
    s->up[a] = true;
    s->forced[a] = forced;
    s->may_claim[a] = may_claim;
    s->ngone[a] = 0;
    s->st[a] = (lm_elect_state){0};
    s->note[a] = NONE;
}

static void sim_kill(sim *s, size_t a)
{
    for (size_t b = 0; b < s->n; b++)
        sim_cut(s, a, b);
    s->up[a] = false;
}

/* Links every pair of running nodes. */
static void sim_mesh(sim *s)
{
    for (size_t a = 0; a < s->n; a++)
        for (size_t b = a + 1; b < s->n; b++)
            sim_link(s, a, b);
}

/* Only nodes on the same side stay linked; side[] per node. */
static void sim_partition(sim *s, const int *side)
{
    for (size_t a = 0; a < s->n; a++)
        for (size_t b = a + 1; b < s->n; b++) {
            if (side[a] == side[b])
                sim_link(s, a, b);
            else
                sim_cut(s, a, b);
        }
}

static void sim_all_may_claim(sim *s)
{
    for (size_t a = 0; a < s->n; a++)
        s->may_claim[a] = true;
}

/* One synchronous round; returns true if any state or note changed. */
static bool sim_round(sim *s)
{
    lm_elect_state next[SIM_MAX];
    int notes[SIM_MAX];
    for (size_t a = 0; a < s->n; a++) {
        if (!s->up[a])
            continue;
        lm_elect_member peers[SIM_MAX];
        size_t np = 0;
        for (size_t b = 0; b < s->n; b++)
            if (s->link[a][b])
                peers[np++] =
                    (lm_elect_member){s->id[b], s->forced[b], s->st[b], 0};
        lm_elect_input in = {s->id[a], s->forced[a], s->st[a], peers, np,
                             s->gone[a], s->ngone[a], s->may_claim[a], 0, false};
        next[a] = lm_election_decide(&in, &notes[a]);
    }
    bool changed = false;
    for (size_t a = 0; a < s->n; a++) {
        if (!s->up[a])
            continue;
        if (!same_state(next[a], s->st[a]) || notes[a] != s->note[a])
            changed = true;
        s->st[a] = next[a];
        s->note[a] = notes[a];
    }
    return changed;
}

/* Rounds until one changes nothing; the rounds used, or -1. */
static int sim_run(sim *s)
{
    for (int r = 1; r <= SIM_ROUNDS; r++)
        if (!sim_round(s))
            return r;
    return -1;
}

static void sim_dump(const sim *s)
{
    for (size_t a = 0; a < s->n; a++) {
        if (!s->up[a])
            continue;
        fprintf(stderr, "  node %llu%s, links:", (unsigned long long)s->id[a],
                s->forced[a] ? " (forced)" : "");
        for (size_t b = 0; b < s->n; b++)
            if (s->link[a][b])
                fprintf(stderr, " %llu", (unsigned long long)s->id[b]);
        print_state("\n   ", s->st[a], s->note[a]);
    }
}

/* Marks in comp[] the running nodes reachable from a over links. */
static size_t sim_component(const sim *s, size_t a, bool *comp)
{
    size_t stack[SIM_MAX], top = 0, size = 0;
    for (size_t b = 0; b < SIM_MAX; b++)
        comp[b] = b == a;
    stack[top++] = a;
    while (top) {
        size_t x = stack[--top];
        size++;
        for (size_t b = 0; b < s->n; b++)
            if (s->link[x][b] && !comp[b]) {
                comp[b] = true;
                stack[top++] = b;
            }
    }
    return size;
}

static bool sim_has(const sim *s, const bool *comp, uint64_t id)
{
    for (size_t b = 0; b < s->n; b++)
        if (comp[b] && s->id[b] == id)
            return true;
    return false;
}

/* The invariant of a settled room, per group of linked nodes. */
static void sim_check_agree(const sim *s)
{
    for (size_t a = 0; a < s->n; a++) {
        if (!s->up[a])
            continue;
        bool comp[SIM_MAX];
        size_t size = sim_component(s, a, comp);
        for (size_t b = 0; b < s->n; b++)
            if (comp[b])
                CHECK(same_state(s->st[a], s->st[b]));
        CHECK(s->st[a].hub != 0 && sim_has(s, comp, s->st[a].hub));
        CHECK(s->st[a].deputy != s->st[a].hub);
        if (size == 1)
            CHECK_EQ_INT(s->st[a].deputy, 0);
        else
            CHECK(sim_has(s, comp, s->st[a].deputy));
    }
}

/* Runs to a stable state, which must satisfy sim_check_agree unless
 * agree is false (a view that is not transitive may legitimately differ). */
static void settle_at(sim *s, bool agree, int line)
{
    int before = check_failures;
    int r = sim_run(s);
    CHECK(r > 0);
    if (agree)
        sim_check_agree(s);
    if (check_failures != before) {
        fprintf(stderr, "  ^ settling at %s:%d (%d rounds)\n", __FILE__, line,
                r);
        sim_dump(s);
    }
}
#define SETTLE(s) settle_at((s), true, __LINE__)
#define SETTLE_ANY(s) settle_at((s), false, __LINE__)

#define CHECK_ST(s, i, t, h, d)                                            \
    do {                                                                   \
        CHECK_EQ_INT((s)->st[i].term, (t));                                \
        CHECK_EQ_INT((s)->st[i].hub, (h));                                 \
        CHECK_EQ_INT((s)->st[i].deputy, (d));                              \
    } while (0)

/* n nodes 1..n all started, meshed, settled on (1, 1, 2). */
static void sim_room(sim *s, size_t n)
{
    uint64_t ids[SIM_MAX];
    for (size_t i = 0; i < n; i++)
        ids[i] = i + 1;
    sim_init(s, n, ids);
    for (size_t i = 0; i < n; i++)
        sim_start(s, i, false, true);
    sim_mesh(s);
    SETTLE(s);
    CHECK_ST(s, 0, 1, 1, n > 1 ? 2 : 0);
}

static void test_sim_before_grace(void)
{
    static const uint64_t ids[] = {4, 2, 9, 7};
    sim s;
    sim_init(&s, 4, ids);
    for (size_t i = 0; i < 4; i++)
        sim_start(&s, i, false, false);
    sim_mesh(&s);
    CHECK(sim_run(&s) == 1); /* nothing to do, nobody claims */
    for (size_t i = 0; i < 4; i++)
        CHECK_ST(&s, i, 0, 0, 0);
    sim_all_may_claim(&s);
    SETTLE(&s);
    CHECK_ST(&s, 0, 1, 2, 4); /* smallest id, deputy the next smallest */
}

static void test_sim_join_order(void)
{
    static const uint64_t ids[] = {30, 20, 10}; /* A, B, C */
    sim s;
    sim_init(&s, 3, ids);
    sim_start(&s, 0, false, false);
    SETTLE_ANY(&s);
    CHECK_ST(&s, 0, 0, 0, 0);
    s.may_claim[0] = true;
    SETTLE(&s);
    CHECK_ST(&s, 0, 1, 30, 0);

    /* B and C have smaller ids and their grace is over: still no takeover */
    sim_start(&s, 1, false, true);
    sim_link(&s, 0, 1);
    SETTLE(&s);
    CHECK_ST(&s, 1, 1, 30, 20);
    sim_start(&s, 2, false, true);
    sim_link(&s, 2, 0);
    sim_link(&s, 2, 1);
    SETTLE(&s);
    CHECK_ST(&s, 2, 1, 30, 20); /* deputy sticks, term unchanged */
    CHECK_EQ_STR(lm_role_name(&s.st[2], 10), "member");
}

static void test_sim_sticky(void)
{
    sim s;
    sim_room(&s, 4);
    /* id 1 leaves and a fresh node with an id below everyone's joins */
    sim_kill(&s, 0);
    SETTLE(&s);
    CHECK_ST(&s, 1, 2, 2, 3);
    s.id[0] = 1; /* slot 0 again, as a newcomer */
    sim_start(&s, 0, false, true);
    sim_mesh(&s);
    SETTLE(&s);
    CHECK_ST(&s, 0, 2, 2, 3);
}

static void test_sim_unknown_hub(void)
{
    static const uint64_t ids[] = {1, 2, 3, 9};
    sim s;
    sim_init(&s, 4, ids);
    for (size_t i = 0; i < 3; i++)
        sim_start(&s, i, false, true);
    sim_mesh(&s);
    SETTLE(&s);
    sim_start(&s, 3, false, true);
    sim_link(&s, 3, 2); /* linked to a member, not yet to hub 1 */
    SETTLE_ANY(&s);
    CHECK_ST(&s, 3, 0, 0, 0); /* waits instead of claiming */
    CHECK_ST(&s, 0, 1, 1, 2);
    sim_mesh(&s);
    SETTLE(&s);
    CHECK_ST(&s, 3, 1, 1, 2);
}

static void test_sim_forced_join(void)
{
    sim s;
    sim_room(&s, 4); /* slot 3 becomes the forced newcomer */
    sim_kill(&s, 3);
    SETTLE(&s);
    s.id[3] = 9;
    sim_start(&s, 3, true, false);
    sim_mesh(&s);
    SETTLE(&s);
    CHECK_ST(&s, 0, 2, 9, 1);

    /* same, but the forced node links one member first */
    sim_room(&s, 4);
    sim_kill(&s, 3);
    SETTLE(&s);
    s.id[3] = 9;
    sim_start(&s, 3, true, false);
    sim_link(&s, 3, 2);
    SETTLE_ANY(&s);
    CHECK_ST(&s, 3, 2, 9, 3);
    CHECK_ST(&s, 0, 1, 1, 2); /* hub 9 unknown to 1: no change yet */
    sim_mesh(&s);
    SETTLE(&s);
    CHECK_ST(&s, 0, 2, 9, 3);
}

static void test_sim_two_forced(void)
{
    static const uint64_t ids[] = {1, 2, 3, 5, 8};
    sim s;
    sim_init(&s, 5, ids);
    for (size_t i = 0; i < 3; i++)
        sim_start(&s, i, false, true);
    sim_mesh(&s);
    SETTLE(&s);
    sim_start(&s, 3, true, false);
    sim_start(&s, 4, true, false);
    SETTLE(&s); /* unlinked, each forced node is its own hub */
    CHECK_ST(&s, 3, 1, 5, 0);
    CHECK_ST(&s, 4, 1, 8, 0);
    sim_mesh(&s);
    SETTLE(&s);
    CHECK_EQ_INT(s.st[0].hub, 5);
    CHECK_EQ_INT(s.note[4], LOST);
    CHECK_EQ_INT(s.note[3], NONE);
    CHECK_EQ_STR(lm_role_name(&s.st[4], 8), "member");

    /* two forced nodes that share a neighbour but no link: each holds
     * its own claim, no term war; once linked, the smaller wins */
    static const uint64_t ids3[] = {5, 3, 8};
    sim_init(&s, 3, ids3);
    sim_start(&s, 0, true, true);
    sim_start(&s, 1, false, true);
    sim_start(&s, 2, true, true);
    SETTLE(&s);
    sim_link(&s, 0, 1);
    sim_link(&s, 1, 2);
    SETTLE_ANY(&s);
    CHECK(s.st[0].term <= 2 && s.st[2].term <= 2);
    CHECK_EQ_INT(s.st[0].hub, 5);
    CHECK_EQ_INT(s.st[2].hub, 8);
    sim_link(&s, 0, 2);
    SETTLE(&s);
    CHECK_EQ_INT(s.st[2].hub, 5);
    CHECK_EQ_INT(s.note[2], LOST);

    /* the two forced nodes alone: the smaller still wins */
    sim_init(&s, 2, ids + 3);
    sim_start(&s, 0, true, true);
    sim_start(&s, 1, true, true);
    sim_link(&s, 0, 1);
    SETTLE(&s);
    CHECK_EQ_INT(s.st[1].hub, 5);
    CHECK_EQ_INT(s.note[1], LOST);
}

static void test_sim_crashes(void)
{
    sim s;
    sim_room(&s, 5);
    sim_kill(&s, 0); /* hub */
    SETTLE(&s);
    CHECK_ST(&s, 1, 2, 2, 3);
    sim_kill(&s, 1); /* and the new hub */
    SETTLE(&s);
    CHECK_ST(&s, 2, 3, 3, 4);

    sim_room(&s, 5);
    sim_kill(&s, 1); /* deputy */
    SETTLE(&s);
    CHECK_ST(&s, 0, 1, 1, 3);

    sim_room(&s, 5);
    sim_kill(&s, 0); /* hub and deputy in the same round */
    sim_kill(&s, 1);
    SETTLE(&s);
    CHECK_ST(&s, 2, 2, 3, 4);

    /* hub and deputy die while newcomer 1 has linked only members: the
     * smallest follower takes over, not 1, which never saw hub 5 */
    static const uint64_t ids[] = {5, 6, 7, 8, 1};
    sim_init(&s, 5, ids);
    for (size_t i = 0; i < 4; i++)
        sim_start(&s, i, false, true);
    sim_mesh(&s);
    SETTLE(&s);
    CHECK_ST(&s, 0, 1, 5, 6);
    sim_start(&s, 4, false, true);
    sim_link(&s, 4, 2);
    sim_link(&s, 4, 3);
    SETTLE_ANY(&s);
    CHECK_ST(&s, 4, 0, 0, 0);
    sim_kill(&s, 0);
    sim_kill(&s, 1);
    SETTLE(&s);
    CHECK_ST(&s, 4, 2, 7, 1);

    sim_room(&s, 2);
    sim_kill(&s, 0); /* last one standing: hub, but keeps the term, so */
    SETTLE(&s);      /* a room it was only cut from would win on return */
    CHECK_ST(&s, 1, 1, 2, 0);
}

typedef struct split_case {
    int side[7];
    lm_elect_state during[3]; /* per side */
    lm_elect_state healed;
} split_case;

static void test_sim_partition_heal(void)
{
    static const split_case splits[] = {
        /* higher term beats larger membership */
        {{0, 0, 0, 0, 0, 1, 1}, {ST(1, 1, 2), ST(2, 6, 7)}, ST(2, 6, 7)},
        /* equal terms: larger membership */
        {{0, 1, 1, 2, 2, 2, 2}, {ST(1, 1, 0), ST(2, 2, 3), ST(2, 4, 5)},
         ST(2, 4, 5)},
        /* equal terms and membership: smaller id */
        {{0, 1, 1, 1, 2, 2, 2}, {ST(1, 1, 0), ST(2, 2, 3), ST(2, 5, 6)},
         ST(2, 2, 3)},
    };
    for (size_t c = 0; c < sizeof splits / sizeof splits[0]; c++) {
        const split_case *sc = &splits[c];
        sim s;
        sim_room(&s, 7);
        sim_partition(&s, sc->side);
        SETTLE(&s); /* exactly one hub per side */
        for (size_t i = 0; i < 7; i++) {
            const lm_elect_state *w = &sc->during[sc->side[i]];
            CHECK_ST(&s, i, w->term, w->hub, w->deputy);
        }
        sim_mesh(&s);
        SETTLE(&s);
        CHECK_ST(&s, 0, sc->healed.term, sc->healed.hub,
                 sc->healed.deputy);
    }
}

/* xorshift64: a fixed, portable sequence for the randomised scenarios */
static uint64_t rnd(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* Links every pair in a random order, k links per round. */
static void link_slowly(sim *s, uint64_t *seed, size_t k)
{
    size_t pa[SIM_MAX * SIM_MAX], pb[SIM_MAX * SIM_MAX], np = 0;
    for (size_t a = 0; a < s->n; a++)
        for (size_t b = a + 1; b < s->n; b++)
            if (s->up[a] && s->up[b] && !s->link[a][b]) {
                pa[np] = a;
                pb[np++] = b;
            }
    for (size_t i = np; i > 1; i--) {
        size_t j = (size_t)(rnd(seed) % i), t;
        t = pa[i - 1], pa[i - 1] = pa[j], pa[j] = t;
        t = pb[i - 1], pb[i - 1] = pb[j], pb[j] = t;
    }
    for (size_t i = 0; i < np; i++) {
        sim_link(s, pa[i], pb[i]);
        if ((i + 1) % k == 0)
            sim_round(s);
    }
}

static void test_sim_simultaneous_start(void)
{
    static const uint64_t ids[10] = {907, 113, 555, 42, 768,
                                     301, 999, 64,  450, 222};
    sim s;
    /* all linked when the grace ends together: the smallest id */
    sim_init(&s, 10, ids);
    for (size_t i = 0; i < 10; i++)
        sim_start(&s, i, false, true);
    sim_mesh(&s);
    SETTLE(&s);
    CHECK_ST(&s, 0, 1, 42, 64);

    /* grace over before the mesh is complete: many claim, one remains */
    for (uint64_t seed = 1; seed <= 40; seed++) {
        uint64_t x = seed * 0x9e3779b97f4a7c15u;
        sim_init(&s, 10, ids);
        for (size_t i = 0; i < 10; i++)
            sim_start(&s, i, false, true);
        link_slowly(&s, &x, 1 + (size_t)(seed % 6));
        SETTLE(&s);
        CHECK(s.st[0].hub != 0 && s.st[0].deputy != 0);
    }
}

/* A random id no slot holds: restarts may land below every live id. */
static uint64_t fresh_id(const sim *s, uint64_t *x)
{
    for (;;) {
        uint64_t id = 1 + rnd(x) % 500, i;
        for (i = 0; i < s->n && s->id[i] != id; i++)
            ;
        if (i == s->n)
            return id;
    }
}

/* Random kills, restarts (with fresh random ids), cuts and links; after each
 * burst the survivors are meshed and must settle with one hub, and that
 * hub is the smallest running forced node if there is one (rule 2).
 * With even seeds a node sometimes loses its gone list when a link drops,
 * as a careless caller might; the room must still converge. */
static void test_sim_random(void)
{
    for (uint64_t seed = 1; seed <= 120; seed++) {
        uint64_t x = seed * 0xd1b54a32d192ed03u;
        bool forgetful = seed % 2 == 0;
        sim s;
        uint64_t ids[8] = {0};
        sim_init(&s, 8, ids);
        for (size_t i = 0; i < 8; i++)
            s.id[i] = fresh_id(&s, &x);
        for (size_t i = 0; i < 8; i++)
            sim_start(&s, i, rnd(&x) % 8 == 0, true);
        for (int burst = 0; burst < 12; burst++) {
            for (int step = 0; step < 6; step++) {
                size_t a = (size_t)(rnd(&x) % 8), b = (size_t)(rnd(&x) % 8);
                switch (rnd(&x) % 5) {
                case 0:
                    sim_kill(&s, a);
                    break;
                case 1:
                    if (!s.up[a]) {
                        s.id[a] = fresh_id(&s, &x);
                        sim_start(&s, a, rnd(&x) % 6 == 0, rnd(&x) % 2);
                    }
                    break;
                case 2:
                    sim_cut(&s, a, b);
                    if (forgetful && rnd(&x) % 2)
                        s.ngone[a] = 0;
                    break;
                default:
                    sim_link(&s, a, b);
                    break;
                }
                for (uint64_t r = rnd(&x) % 3; r > 0; r--)
                    sim_round(&s);
            }
            /* any topology, even one that is not transitive, must come
             * to rest: no two nodes may outbid each other forever */
            SETTLE_ANY(&s);
            sim_all_may_claim(&s);
            link_slowly(&s, &x, 1 + (size_t)(rnd(&x) % 4));
            SETTLE(&s);
            uint64_t fh = 0;
            size_t first = SIM_MAX;
            for (size_t i = 0; i < 8; i++) {
                if (!s.up[i])
                    continue;
                if (first == SIM_MAX)
                    first = i;
                if (s.forced[i] && (fh == 0 || s.id[i] < fh))
                    fh = s.id[i];
            }
            if (fh != 0 && first != SIM_MAX)
                CHECK_EQ_INT(s.st[first].hub, fh);
        }
    }
}

int main(void)
{
    RUN(test_sim_before_grace);
    RUN(test_sim_join_order);
    RUN(test_sim_sticky);
    RUN(test_sim_unknown_hub);
    RUN(test_sim_forced_join);
    RUN(test_sim_two_forced);
    RUN(test_sim_crashes);
    RUN(test_sim_partition_heal);
    RUN(test_sim_simultaneous_start);
    RUN(test_sim_random);
    return check_report();
}
