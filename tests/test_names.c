/* test_names.c - tables for core/names.c: every member of a room gets a
 * name no other member shows, the same on every node. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "mesh/names.h"

#define MAXM 6

typedef struct ncase {
    const char *why;
    lm_name_in in[MAXM];
    size_t n;
    const char *want[MAXM];
} ncase;

static const ncase cases[] = {
    {"distinct names stay", {{"alice", 1, 1}, {"bob", 2, 2}}, 2,
     {"alice", "bob"}},
    {"the later alice is (2)", {{"alice", 2, 9}, {"alice", 1, 5}}, 2,
     {"alice (2)", "alice"}},
    {"same start: the smaller id first", {{"alice", 1, 9}, {"alice", 1, 5}},
     2, {"alice (2)", "alice"}},
    {"a chosen 'alice (2)' does not collide",
     {{"alice", 1, 1}, {"alice", 2, 2}, {"alice (2)", 3, 3}}, 3,
     {"alice", "alice (2)", "alice (2) (2)"}},
    {"a chosen 'alice (2)' that came first keeps it",
     {{"alice (2)", 1, 1}, {"alice", 2, 2}, {"alice", 3, 3}}, 3,
     {"alice (2)", "alice", "alice (3)"}},
    {"three of one name", {{"x", 3, 3}, {"x", 1, 1}, {"x", 2, 2}}, 3,
     {"x (3)", "x", "x (2)"}},
    {"names are compared whole", {{"al", 1, 1}, {"alice", 2, 2}}, 2,
     {"al", "alice"}},
    {"one member", {{"solo", 5, 5}}, 1, {"solo"}},
};

static void test_table(void)
{
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char out[MAXM][LM_DISPLAY_MAX];
        lm_names_assign(cases[c].in, cases[c].n, out);
        for (size_t i = 0; i < cases[c].n; i++)
            if (strcmp(out[i], cases[c].want[i]) != 0) {
                fprintf(stderr, "%s: member %zu shown as \"%s\", want \"%s\"\n",
                        cases[c].why, i, out[i], cases[c].want[i]);
                CHECK(!"names");
            }
    }
}

/* Any mix of names, many alike, some posing as suffixed ones: all unique,
 * and the same whatever order the members are listed in. */
static void test_unique_any_order(void)
{
    static const char *pool[] = {"a", "a (2)", "a (3)", "a (2) (2)", "b"};
    enum { N = 40 };
    lm_name_in in[N], rev[N];
    char out[N][LM_DISPLAY_MAX], out2[N][LM_DISPLAY_MAX];
    unsigned seed = 7;
    for (int round = 0; round < 200; round++) {
        for (size_t i = 0; i < N; i++) {
            seed = seed * 1103515245u + 12345u;
            in[i] = (lm_name_in){pool[(seed >> 16) % 5], (seed >> 8) % 4,
                                 i + 1};
            rev[N - 1 - i] = in[i];
        }
        lm_names_assign(in, N, out);
        lm_names_assign(rev, N, out2);
        for (size_t i = 0; i < N; i++) {
            CHECK(strcmp(out[i], out2[N - 1 - i]) == 0);
            for (size_t j = 0; j < i; j++)
                CHECK(strcmp(out[i], out[j]) != 0);
        }
    }
}

/* A 48-byte name still gets its suffix. */
static void test_long_name(void)
{
    char longname[LM_NAME_MAX + 1];
    memset(longname, 'n', LM_NAME_MAX);
    longname[LM_NAME_MAX] = '\0';
    lm_name_in in[2] = {{longname, 1, 1}, {longname, 2, 2}};
    char out[2][LM_DISPLAY_MAX];
    lm_names_assign(in, 2, out);
    CHECK(strcmp(out[0], longname) == 0);
    CHECK(strlen(out[1]) == LM_NAME_MAX + 4);
    CHECK(strcmp(out[1] + LM_NAME_MAX, " (2)") == 0);
}

int main(void)
{
    RUN(test_table);
    RUN(test_unique_any_order);
    RUN(test_long_name);
    return check_report();
}
