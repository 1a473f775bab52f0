/* test_reach.c - tables for core/reach.c: which pairs are cut and who
 * should be hub, as seen from one node of a small room.
 *
 * Each row is a room drawn as the links each node reports, and the node
 * whose view is taken; the view holds that node's links and, for each
 * linked node, what it reports. */
#include <stdio.h>

#include "check.h"
#include "mesh/reach.h"

#define MAXN 6

typedef struct rcase {
    const char *why;
    uint64_t self;
    /* links[i] lists what node i + 1 reports (0 ends a list) */
    uint64_t links[MAXN][MAXN];
    lm_reach_pair cuts[8];
    size_t ncuts;
    uint64_t successor;
} rcase;

static const rcase cases[] = {
    {"full mesh of three: nothing cut", 1, {{2, 3}, {1, 3}, {1, 2}}, {}, 0, 0},
    {"A-B cut seen by the node between them", 3, {{3}, {3}, {1, 2}},
     {{1, 2}}, 1, 0},
    {"A-B cut seen by A: hand to C, who reaches both", 1, {{3}, {3}, {1, 2}},
     {{1, 2}}, 1, 3},
    {"A-B cut seen by B", 2, {{3}, {3}, {1, 2}}, {{1, 2}}, 1, 3},
    {"a partition is not a cut: the far side is not named", 1,
     {{2}, {1}, {}}, {}, 0, 0},
    {"two nodes we know nothing of are not judged", 1,
     {{2, 4}, {1, 3}, {2}, {1, 5}, {4}},
     {{1, 3}, {1, 5}, {2, 4}, {2, 5}, {3, 4}}, 5, 0},
    {"of two better placed nodes the smaller id", 1,
     {{3, 5}, {}, {1, 4, 5}, {3, 5}, {1, 3, 4}}, {{1, 4}}, 1, 3},
    {"one side reporting the link is enough", 1, {{2, 3}, {1}, {1}},
     {{2, 3}}, 1, 0},
    {"a hub every node reaches keeps the hub", 2,
     {{2}, {1, 3, 4}, {2}, {2}}, {{1, 3}, {1, 4}, {3, 4}}, 3, 0},
    {"a middle node reaches more: hand to it", 1, {{2}, {1, 3}, {2}},
     {{1, 3}}, 1, 2},
    {"a square with both diagonals cut: equal reach, no hand-over", 1,
     {{2, 3}, {1, 4}, {1, 4}, {2, 3}}, {{1, 4}, {2, 3}}, 2, 0},
    {"alone", 1, {{}}, {}, 0, 0},
};

static void build(const rcase *c, lm_reach_peer *peers, size_t *np,
                  uint64_t lists[MAXN][MAXN])
{
    *np = 0;
    const uint64_t *mine = c->links[c->self - 1];
    for (size_t i = 0; i < MAXN && mine[i]; i++) {
        uint64_t id = mine[i];
        size_t k = 0;
        for (size_t j = 0; j < MAXN && c->links[id - 1][j]; j++)
            lists[*np][k++] = c->links[id - 1][j];
        peers[*np] = (lm_reach_peer){id, lists[*np], k};
        (*np)++;
    }
}

static void test_table(void)
{
    for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++) {
        const rcase *c = &cases[t];
        lm_reach_peer peers[MAXN];
        uint64_t lists[MAXN][MAXN];
        size_t np;
        build(c, peers, &np, lists);
        lm_reach_view v = {c->self, peers, np};
        lm_reach_pair got[8];
        size_t n = lm_reach_cuts(&v, got, 8);
        int bad = n != c->ncuts;
        for (size_t i = 0; !bad && i < n; i++)
            bad = got[i].a != c->cuts[i].a || got[i].b != c->cuts[i].b;
        uint64_t succ = lm_reach_successor(&v);
        if (bad || succ != c->successor)
            fprintf(stderr, "case '%s': %zu cuts, successor %llu\n", c->why,
                    n, (unsigned long long)succ);
        CHECK(!bad);
        CHECK(succ == c->successor);
    }
}

/* More cuts than room to write them: the count is still the whole. */
static void test_cap(void)
{
    uint64_t none[1] = {0};
    lm_reach_peer peers[1] = {{2, none, 0}};
    uint64_t far[3] = {3, 4, 5};
    peers[0].links = far;
    peers[0].nlinks = 3;
    lm_reach_view v = {1, peers, 1};
    lm_reach_pair out[2];
    /* 1 is linked to 2 only; 3, 4, 5 are known through 2 alone: 1-3, 1-4
     * and 1-5 are cut, and nothing is known among 3, 4 and 5 */
    CHECK_EQ_INT(lm_reach_cuts(&v, out, 2), 3);
    CHECK(out[0].a == 1 && out[0].b == 3);
    CHECK(out[1].a == 1 && out[1].b == 4);
}

/* What a peer reports is hostile: zeros, our own id, repeats, itself. */
static void test_hostile_lists(void)
{
    uint64_t junk[6] = {0, 1, 1, 2, 3, 3};
    uint64_t three[2] = {1, 2};
    lm_reach_peer peers[2] = {{2, junk, 6}, {3, three, 2}};
    lm_reach_view v = {1, peers, 2};
    lm_reach_pair out[4];
    CHECK_EQ_INT(lm_reach_cuts(&v, out, 4), 0);
    CHECK_EQ_INT(lm_reach_of(&v, 2), 2);
    CHECK_EQ_INT(lm_reach_of(&v, 9), 0);
    CHECK_EQ_INT(lm_reach_successor(&v), 0);
}

int main(void)
{
    RUN(test_table);
    RUN(test_cap);
    RUN(test_hostile_lists);
    return check_report();
}
