/* test_election.c - tables for core/election.c: single
 * lm_election_decide() calls, one rule or edge per row (the room-wide
 * simulator is test_election_sim.c). */
#include <stdint.h>
#include <stdio.h>

#include "check.h"
#include "election_check.h"
#include "mesh/mesh.h"

/* ------------------------------------------------------------------ */
/* Single calls                                                        */

#define TPEERS 6
#define FORCED 1u
#define MAY 2u
#define TAKE 4u /* the hub handed the hub to self */

typedef struct dcase {
    const char *name;
    uint64_t self;
    uint64_t flags; /* FORCED, MAY (may_claim); wide so the table packs */
    lm_elect_state cur;
    lm_elect_member peers[TPEERS];
    size_t npeers;
    uint64_t gone[TPEERS];
    size_t ngone;
    lm_elect_state want;
    int want_note;
} dcase;

/* clang-format off */
static const dcase cases[] = {
    /* empty room (no claim anywhere) */
    {"alone before grace: no claim", 1, 0, ST(0, 0, 0), {{0}}, 0, {0}, 0,
     ST(0, 0, 0), NONE},
    {"alone after grace: claims, no deputy", 1, MAY, ST(0, 0, 0), {{0}}, 0,
     {0}, 0, ST(1, 1, 0), NONE},
    {"empty room before grace: nobody claims", 1, 0, ST(0, 0, 0),
     {MB(2, 0, 0, 0, 0)}, 1, {0}, 0, ST(0, 0, 0), NONE},
    {"empty room: smallest id claims", 1, MAY, ST(0, 0, 0),
     {MB(3, 0, 0, 0, 0), MB(2, 0, 0, 0, 0)}, 2, {0}, 0, ST(1, 1, 2), NONE},
    {"empty room: larger id waits", 2, MAY, ST(0, 0, 0),
     {MB(1, 0, 0, 0, 0), MB(3, 0, 0, 0, 0)}, 2, {0}, 0, ST(0, 0, 0), NONE},
    {"empty room: claim tops stale terms", 1, MAY, ST(4, 0, 0),
     {MB(2, 0, 6, 0, 0)}, 1, {0}, 0, ST(7, 1, 2), NONE},

    /* hand-over: the hub names a member that reaches more of the room */
    {"handed the hub: claims a term above all", 3, MAY | TAKE, ST(4, 1, 2),
     {MB(1, 0, 4, 1, 2), MB(2, 0, 5, 2, 3)}, 2, {0}, 0, ST(6, 3, 2), NONE},
    {"handed the hub while a forced node lives: the forced node stays", 3,
     MAY | TAKE, ST(4, 1, 2), {MB(1, 1, 4, 1, 2), MB(2, 0, 4, 1, 2)}, 2, {0},
     0, ST(4, 1, 2), NONE},
    {"the old hub follows its successor's claim", 1, MAY, ST(4, 1, 2),
     {MB(3, 0, 5, 3, 2), MB(2, 0, 4, 1, 2)}, 2, {0}, 0, ST(5, 3, 2), NONE},
    {"a member follows the successor's claim", 2, MAY, ST(4, 1, 2),
     {MB(3, 0, 5, 3, 2), MB(1, 0, 5, 3, 2)}, 2, {0}, 0, ST(5, 3, 2), NONE},

    /* adopt / sticky */
    {"adopt live hub with the hub's deputy", 5, MAY, ST(0, 0, 0),
     {MB(1, 0, 3, 1, 2), MB(2, 0, 3, 1, 2)}, 2, {0}, 0, ST(3, 1, 2), NONE},
    {"smaller joiner never takes over", 1, MAY, ST(0, 0, 0),
     {MB(7, 0, 1, 7, 8), MB(8, 0, 1, 7, 8)}, 2, {0}, 0, ST(1, 7, 8), NONE},
    {"hub keeps a live deputy", 1, MAY, ST(2, 1, 3),
     {MB(2, 0, 2, 1, 3), MB(3, 0, 2, 1, 3)}, 2, {0}, 0, ST(2, 1, 3), NONE},
    {"hub names a deputy when one joins", 4, MAY, ST(1, 4, 0),
     {MB(9, 0, 0, 0, 0)}, 1, {0}, 0, ST(1, 4, 9), NONE},
    {"hub replaces a gone deputy by smallest", 1, MAY, ST(2, 1, 3),
     {MB(4, 0, 2, 1, 3), MB(2, 0, 2, 1, 3)}, 2, {3}, 1, ST(2, 1, 2), NONE},
    {"hub alone has no deputy", 1, MAY, ST(2, 1, 3), {{0}}, 0, {3},
     1, ST(2, 1, 0), NONE},
    {"deputy equal to hub is dropped", 9, MAY, ST(0, 0, 0),
     {MB(1, 0, 2, 1, 1)}, 1, {0}, 0, ST(2, 1, 0), NONE},

    /* rule 5 ordering between live hubs */
    {"higher term beats larger support", 9, MAY, ST(0, 0, 0),
     {MB(1, 0, 1, 1, 2), MB(2, 0, 1, 1, 2), MB(3, 0, 1, 1, 2),
      MB(6, 0, 2, 6, 7), MB(7, 0, 2, 6, 7)},
     5, {0}, 0, ST(2, 6, 7), NONE},
    {"equal term: larger support wins", 9, MAY, ST(0, 0, 0),
     {MB(2, 0, 2, 2, 3), MB(3, 0, 2, 2, 3), MB(4, 0, 2, 4, 5),
      MB(5, 0, 2, 4, 5), MB(6, 0, 2, 4, 5)},
     5, {0}, 0, ST(2, 4, 5), NONE},
    {"equal term and support: smaller id", 9, MAY, ST(0, 0, 0),
     {MB(5, 0, 2, 5, 6), MB(6, 0, 2, 5, 6), MB(2, 0, 2, 2, 3),
      MB(3, 0, 2, 2, 3)},
     4, {0}, 0, ST(2, 2, 3), NONE},
    {"self counts in support", 9, MAY, ST(2, 5, 6),
     {MB(2, 0, 2, 2, 3), MB(3, 0, 2, 2, 3), MB(5, 0, 2, 5, 6),
      MB(6, 0, 2, 5, 6)},
     4, {0}, 0, ST(2, 5, 6), NONE},
    {"hub's own word names the deputy", 9, MAY, ST(0, 0, 0),
     {MB(2, 0, 3, 1, 2), MB(3, 0, 3, 1, 2), MB(1, 0, 3, 1, 4)}, 3, {0}, 0,
     ST(3, 1, 4), NONE},
    {"hub silent: deputy by most advertisers", 9, MAY, ST(0, 0, 0),
     {MB(1, 0, 0, 0, 0), MB(2, 0, 3, 1, 3), MB(3, 0, 3, 1, 4),
      MB(4, 0, 3, 1, 4)},
     4, {0}, 0, ST(3, 1, 4), NONE},
    {"hub silent, deputy tie: smaller id", 9, MAY, ST(0, 0, 0),
     {MB(1, 0, 0, 0, 0), MB(2, 0, 3, 1, 4), MB(3, 0, 3, 1, 3)}, 3, {0}, 0,
     ST(3, 1, 3), NONE},

    /* rule 4: hub lost */
    {"deputy takes over a lost hub", 2, 0, ST(4, 1, 2),
     {MB(3, 0, 4, 1, 2), MB(4, 0, 4, 1, 2)}, 2, {1}, 1, ST(5, 2, 3), NONE},
    {"member waits for the deputy's claim", 3, MAY, ST(4, 1, 2),
     {MB(2, 0, 4, 1, 2), MB(4, 0, 4, 1, 2)}, 2, {1}, 1, ST(4, 1, 2), NONE},
    {"member adopts the deputy's claim", 3, MAY, ST(4, 1, 2),
     {MB(2, 0, 5, 2, 3), MB(4, 0, 4, 1, 2)}, 2, {1}, 1, ST(5, 2, 3), NONE},
    {"hub and deputy lost: smallest claims", 3, MAY, ST(4, 1, 2),
     {MB(5, 0, 4, 1, 2), MB(4, 0, 4, 1, 2)}, 2, {1, 2}, 2, ST(5, 3, 4), NONE},
    {"hub and deputy lost: larger waits", 4, MAY, ST(4, 1, 2),
     {MB(3, 0, 4, 1, 2), MB(5, 0, 4, 1, 2)}, 2, {1, 2}, 2, ST(4, 1, 2), NONE},
    {"successor is a follower, not a newcomer", 4, MAY, ST(4, 1, 2),
     {MB(3, 0, 0, 0, 0), MB(5, 0, 4, 1, 2)}, 2, {1, 2}, 2, ST(5, 4, 3), NONE},
    {"hub missing from gone list still lost", 2, MAY, ST(4, 1, 2),
     {MB(3, 0, 4, 1, 2)}, 1, {0}, 0, ST(5, 2, 3), NONE},
    {"live id on the gone list is not lost", 3, MAY, ST(2, 1, 2),
     {MB(1, 0, 2, 1, 2), MB(2, 0, 2, 1, 2)}, 2, {1}, 1, ST(2, 1, 2), NONE},
    {"lost claim older than a live one: adopt", 3, MAY, ST(0, 0, 0),
     {MB(4, 0, 3, 1, 2), MB(5, 0, 4, 5, 4)}, 2, {1}, 1, ST(4, 5, 4), NONE},
    {"term saturates instead of wrapping", 2, MAY,
     ST(UINT64_MAX, 1, 2), {MB(3, 0, UINT64_MAX, 1, 2)}, 1, {1}, 1,
     ST(UINT64_MAX, 2, 3), NONE},

    /* unknown hub: not linked yet */
    {"unknown hub: newcomer waits", 9, MAY, ST(0, 0, 0),
     {MB(3, 0, 1, 1, 2)}, 1, {0}, 0, ST(0, 0, 0), NONE},
    {"unknown hub above best: wait", 9, MAY, ST(0, 0, 0),
     {MB(3, 0, 2, 1, 2), MB(4, 0, 1, 4, 3)}, 2, {0}, 0, ST(0, 0, 0), NONE},
    {"unknown hub below best: adopt best", 9, MAY, ST(0, 0, 0),
     {MB(3, 0, 2, 4, 3), MB(4, 0, 2, 4, 3), MB(5, 0, 1, 1, 2)}, 3, {0}, 0,
     ST(2, 4, 3), NONE},
    {"unknown newer than lost: wait", 3, MAY, ST(4, 1, 2),
     {MB(4, 0, 5, 7, 4)}, 1, {1, 2}, 2, ST(4, 1, 2), NONE},
    {"lost newer than unknown: take over", 3, MAY, ST(4, 1, 2),
     {MB(4, 0, 3, 7, 4)}, 1, {1, 2}, 2, ST(5, 3, 4), NONE},

    /* rule 2: forced */
    {"forced takes over with a higher term", 9, FORCED | MAY, ST(0, 0, 0),
     {MB(1, 0, 3, 1, 2), MB(2, 0, 3, 1, 2)}, 2, {0}, 0, ST(4, 9, 1), NONE},
    {"forced alone claims even before grace", 9, FORCED, ST(0, 0, 0),
     {{0}}, 0, {0}, 0, ST(1, 9, 0), NONE},
    {"forced hub on top stays put", 9, FORCED | MAY, ST(4, 9, 1),
     {MB(1, 0, 4, 9, 1), MB(2, 0, 3, 1, 2)}, 2, {0}, 0, ST(4, 9, 1), NONE},
    {"forced hub below a live hub claims again", 9, FORCED | MAY, ST(4, 9, 1),
     {MB(1, 0, 4, 9, 1), MB(7, 0, 6, 7, 5)}, 2, {0}, 0, ST(7, 9, 1), NONE},
    {"forced hub ignores a relayed unknown term", 9, FORCED | MAY, ST(4, 9, 1),
     {MB(1, 0, 4, 9, 1), MB(5, 0, 6, 7, 5)}, 2, {0}, 0, ST(4, 9, 1), NONE},
    {"member follows the forced claim", 2, MAY, ST(3, 1, 2),
     {MB(1, 0, 3, 1, 2), MB(9, 1, 4, 9, 1)}, 2, {0}, 0, ST(4, 9, 1), NONE},
    {"member keeps hub until forced claims", 2, MAY, ST(3, 1, 2),
     {MB(1, 0, 3, 1, 2), MB(9, 1, 0, 0, 0)}, 2, {0}, 0, ST(3, 1, 2), NONE},
    {"two forced: larger is told, follows", 8, FORCED | MAY, ST(0, 0, 0),
     {MB(5, 1, 4, 5, 1), MB(1, 0, 4, 5, 1)}, 2, {0}, 0, ST(4, 5, 1), LOST},
    {"two forced: larger keeps cur meanwhile", 8, FORCED | MAY, ST(0, 0, 0),
     {MB(5, 1, 0, 0, 0)}, 1, {0}, 0, ST(0, 0, 0), LOST},
    {"two forced: larger hub yields", 8, FORCED | MAY, ST(2, 8, 1),
     {MB(1, 0, 2, 8, 1), MB(5, 1, 3, 5, 1)}, 2, {0}, 0, ST(3, 5, 1), LOST},
    {"two forced: smaller one claims", 5, FORCED | MAY, ST(0, 0, 0),
     {MB(8, 1, 2, 8, 1), MB(1, 0, 2, 8, 1)}, 2, {0}, 0, ST(3, 5, 1), NONE},
    {"forced hub lost: next forced claims", 8, FORCED | MAY, ST(3, 9, 1),
     {MB(1, 0, 3, 9, 1), MB(2, 0, 3, 9, 1)}, 2, {9}, 1, ST(4, 8, 1), NONE},
    {"forced hub lost: member waits", 2, MAY, ST(3, 9, 1),
     {MB(1, 0, 3, 9, 1), MB(8, 1, 3, 9, 1)}, 2, {9}, 1, ST(3, 9, 1), NONE},

    /* a faulty peer list must not add votes */
    {"duplicates and self in peers ignored", 9, MAY, ST(0, 0, 0),
     {MB(2, 0, 2, 2, 3), MB(2, 0, 2, 2, 3), MB(9, 0, 2, 2, 3),
      MB(0, 0, 2, 2, 3), MB(5, 0, 2, 5, 6), MB(6, 0, 2, 5, 6)},
     6, {0}, 0, ST(2, 5, 6), NONE},
};
/* clang-format on */


static void test_decide_table(void)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const dcase *c = &cases[i];
        lm_elect_input in = {c->self, (c->flags & FORCED) != 0, c->cur,
                             c->peers, c->npeers, c->gone, c->ngone,
                             (c->flags & MAY) != 0, 0,
                             (c->flags & TAKE) != 0};
        int note = -1;
        lm_elect_state got = lm_election_decide(&in, &note);
        if (!same_state(got, c->want) || note != c->want_note) {
            fprintf(stderr, "case \"%s\":\n", c->name);
            print_state("  got ", got, note);
            print_state("  want", c->want, c->want_note);
            check_failures++;
        }
        /* pure: same input, same answer, and a NULL note is fine */
        CHECK(same_state(lm_election_decide(&in, NULL), got));
        /* the order peers are listed in must not matter */
        lm_elect_member rev[TPEERS];
        for (size_t k = 0; k < c->npeers; k++)
            rev[k] = c->peers[c->npeers - 1 - k];
        in.peers = rev;
        CHECK(same_state(lm_election_decide(&in, NULL), got));
    }
}

/* A claim belongs to one run of its hub: a node restarted under the same
 * id holds none of its old run's state. Rows: self (with its run), cur,
 * peers (each with the claim's hub_run and its own run now), want. */
typedef struct rcase {
    const char *name;
    uint64_t self;
    uint32_t self_run;
    lm_elect_state cur;
    lm_elect_member peers[3];
    size_t npeers;
    lm_elect_state want;
} rcase;

#define STR(t, h, d, r) {(t), (h), (d), (r)}
#define MBR(id, t, h, d, r, run) {(id), false, STR(t, h, d, r), (run)}

static const rcase restart_cases[] = {
    /* the hub (1) restarted as run 9: its claim of run 7 is lost, the
     * deputy (2) claims a new term */
    {"deputy takes over from a restarted hub", 2, 5, STR(3, 1, 2, 7),
     {MBR(1, 0, 0, 0, 0, 9), MBR(3, 3, 1, 2, 7, 4)}, 2, STR(4, 2, 1, 5)},
    {"member waits for the deputy, not the restarted hub", 3, 4,
     STR(3, 1, 2, 7), {MBR(1, 0, 0, 0, 0, 9), MBR(2, 3, 1, 2, 7, 5)}, 2,
     STR(3, 1, 2, 7)},
    {"member adopts the deputy's new claim", 3, 4, STR(3, 1, 2, 7),
     {MBR(1, 0, 0, 0, 0, 9), MBR(2, 4, 2, 3, 5, 5)}, 2, STR(4, 2, 3, 5)},
    /* the restarted node itself never takes up its old run's claim */
    {"restarted hub does not resume its old claim", 1, 9, STR(0, 0, 0, 0),
     {MBR(2, 3, 1, 2, 7, 5), MBR(3, 3, 1, 2, 7, 4)}, 2, STR(0, 0, 0, 0)},
    {"restarted hub follows the deputy's claim", 1, 9, STR(0, 0, 0, 0),
     {MBR(2, 4, 2, 3, 5, 5), MBR(3, 3, 1, 2, 7, 4)}, 2, STR(4, 2, 3, 5)},
    /* the same run is the same hub */
    {"same run: the hub stays", 3, 4, STR(3, 1, 2, 7),
     {MBR(1, 3, 1, 2, 7, 7), MBR(2, 3, 1, 2, 7, 5)}, 2, STR(3, 1, 2, 7)},
};

static void test_decide_restarts(void)
{
    for (size_t i = 0; i < sizeof restart_cases / sizeof restart_cases[0];
         i++) {
        const rcase *c = &restart_cases[i];
        lm_elect_input in = {c->self, false, c->cur, c->peers, c->npeers,
                             NULL, 0, true, c->self_run, false};
        lm_elect_state got = lm_election_decide(&in, NULL);
        if (!same_state(got, c->want) || got.hub_run != c->want.hub_run) {
            fprintf(stderr, "case \"%s\":\n", c->name);
            print_state("  got ", got, 0);
            print_state("  want", c->want, 0);
            CHECK(!"restart case");
        }
    }
}

static void test_role(void)
{
    lm_elect_state st = ST(3, 7, 9);
    lm_elect_state none = ST(0, 0, 0);
    CHECK_EQ_STR(lm_role_name(&st, 7), "hub");
    CHECK_EQ_STR(lm_role_name(&st, 9), "deputy");
    CHECK_EQ_STR(lm_role_name(&st, 4), "member");
    CHECK_EQ_STR(lm_role_name(&st, 0), "member");
    CHECK_EQ_STR(lm_role_name(&none, 0), "member");
    CHECK_EQ_STR(lm_role_name(NULL, 7), "member");
}

int main(void)
{
    RUN(test_decide_table);
    RUN(test_decide_restarts);
    RUN(test_role);
    return check_report();
}
