/* test_mix.c - tests for core/audio/mix.c.
 *
 * Plans as tables (0, 1, 2, 3 and 10 speakers among 10 members, and rooms
 * of 64), checked exactly, then against the rule itself on random rooms.
 * Rendering: every listener's mix is exactly the sum of the others (its own
 * signal is exactly absent), sums below the knee are bit-exact, ten
 * full-scale speakers neither wrap nor pin at the rail, the limiter curve
 * is monotonic and continuous over every sum a room can make, and a
 * speaker's level does not move when a silent member or a quiet speaker
 * joins. The cost check counts frame passes; there is no timing here. */
#include <stdbool.h>
#include <stdint.h>

#include "audio/mix.h"
#include "check.h"
#include "err.h"

#define B(i) ((uint64_t)1 << (i))
#define M10 ((uint64_t)0x3ff) /* members 0..9 */
#define ALL64 (~(uint64_t)0)
#define N 480 /* 10 ms */
#define FWD LM_MIX_FORWARD
#define NOF LM_MIX_NO_FORWARD
#define FULL 32767

static int bits(uint64_t x)
{
    int c = 0;
    for (; x; x &= x - 1)
        c++;
    return c;
}

/* ---- planning ---- */

static bool group_eq(const lm_mix_group *a, const lm_mix_group *b)
{
    return a->speakers == b->speakers && a->listeners == b->listeners &&
           a->forward_from == b->forward_from;
}

static void test_plan_table(void)
{
    static const struct {
        const char *name;
        uint64_t members, speaking;
        unsigned flags;
        size_t count;
        lm_mix_group g[10];
    } rows[] = {
        /* clang-format off */
        {"nobody speaks", M10, 0, FWD, 0, {{0, 0, 0}}},
        {"empty room", 0, 0, FWD, 0, {{0, 0, 0}}},
        {"one speaker", M10, B(4), FWD, 1, {{B(4), M10 & ~B(4), 4}}},
        {"one speaker, no forwarding", M10, B(4), 0, 1,
         {{B(4), M10 & ~B(4), NOF}}},
        {"two speakers", M10, B(1) | B(5), FWD, 3,
         {{B(1) | B(5), M10 & ~(B(1) | B(5)), NOF},
          {B(5), B(1), 5},
          {B(1), B(5), 1}}},
        {"two speakers, no forwarding", M10, B(1) | B(5), 0, 3,
         {{B(1) | B(5), M10 & ~(B(1) | B(5)), NOF},
          {B(5), B(1), NOF},
          {B(1), B(5), NOF}}},
        {"three speakers", M10, B(0) | B(3) | B(9), FWD, 4,
         {{B(0) | B(3) | B(9), M10 & ~(B(0) | B(3) | B(9)), NOF},
          {B(3) | B(9), B(0), NOF},
          {B(0) | B(9), B(3), NOF},
          {B(0) | B(3), B(9), NOF}}},
        {"ten speakers", M10, M10, FWD, 10,
         {{M10 & ~B(0), B(0), NOF},
          {M10 & ~B(1), B(1), NOF},
          {M10 & ~B(2), B(2), NOF},
          {M10 & ~B(3), B(3), NOF},
          {M10 & ~B(4), B(4), NOF},
          {M10 & ~B(5), B(5), NOF},
          {M10 & ~B(6), B(6), NOF},
          {M10 & ~B(7), B(7), NOF},
          {M10 & ~B(8), B(8), NOF},
          {M10 & ~B(9), B(9), NOF}}},
        {"lone member speaking", B(7), B(7), FWD, 0, {{0, 0, 0}}},
        {"speaker outside the room", M10, B(12), FWD, 0, {{0, 0, 0}}},
        {"one in, one outside", M10, B(2) | B(12), FWD, 1,
         {{B(2), M10 & ~B(2), 2}}},
        {"two members, both speak", B(0) | B(1), B(0) | B(1), FWD, 2,
         {{B(1), B(0), 1}, {B(0), B(1), 0}}},
        {"64 members, member 63 speaks", ALL64, B(63), FWD, 1,
         {{B(63), ALL64 & ~B(63), 63}}},
        {"64 members, 0 and 63 speak", ALL64, B(0) | B(63), FWD, 3,
         {{B(0) | B(63), ALL64 & ~(B(0) | B(63)), NOF},
          {B(63), B(0), 63},
          {B(0), B(63), 0}}},
        /* clang-format on */
    };
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        lm_mix_plan p;
        lm_mix_plan_make(&p, rows[r].members, rows[r].speaking, rows[r].flags);
        bool ok = p.count == rows[r].count;
        for (size_t i = 0; ok && i < p.count; i++)
            ok = group_eq(&p.group[i], &rows[r].g[i]);
        if (!ok) {
            fprintf(stderr, "row \"%s\": %zu groups (want %zu)\n", rows[r].name,
                    p.count, rows[r].count);
            for (size_t i = 0; i < p.count; i++)
                fprintf(stderr, "  %016llx -> %016llx fwd %d\n",
                        (unsigned long long)p.group[i].speakers,
                        (unsigned long long)p.group[i].listeners,
                        p.group[i].forward_from);
            CHECK(!"plan");
        }
    }
}

static void test_plan_64_all_speak(void)
{
    lm_mix_plan p;
    lm_mix_plan_make(&p, ALL64, ALL64, FWD);
    CHECK_EQ_INT(p.count, 64);
    for (int i = 0; i < 64 && i < (int)p.count; i++) {
        lm_mix_group want = {ALL64 & ~B(i), B(i), NOF};
        CHECK(group_eq(&p.group[i], &want));
        CHECK_EQ_INT(lm_mix_plan_find(&p, i), i);
    }
    /* 63 speakers and one listener: still at most 64 groups */
    lm_mix_plan_make(&p, ALL64, ALL64 & ~B(17), FWD);
    CHECK_EQ_INT(p.count, 64);
    CHECK(p.group[0].listeners == B(17));
    CHECK(p.group[0].speakers == (ALL64 & ~B(17)));
    CHECK_EQ_INT(lm_mix_plan_find(&p, 64), -1);
    CHECK_EQ_INT(lm_mix_plan_find(&p, -1), -1);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rng(void) /* xorshift64: the same rooms on every run */
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* The rule itself on random rooms (sparse and dense, up to 64 members):
 * each member hears exactly the others speaking, through exactly one group;
 * groups are distinct sets; a group of one speaker forwards it. */
static void test_plan_rule(void)
{
    for (int round = 0; round < 20000; round++) {
        uint64_t members = rng(), speaking = rng();
        if (round % 4 == 1)
            members = ALL64;
        if (round % 3 == 1)
            speaking &= rng() & rng(); /* few speakers */
        if (round % 5 == 2)
            speaking = B(rng() % 64);
        unsigned flags = round % 7 ? FWD : 0;
        lm_mix_plan p;
        lm_mix_plan_make(&p, members, speaking, flags);
        uint64_t talk = members & speaking;
        int k = bits(talk);
        size_t quiet = members != talk ? 1 : 0;
        size_t want = k == 0 ? 0 : k == 1 ? quiet : (size_t)k + quiet;
        bool ok = p.count == want;
        for (int m = 0; ok && m < 64; m++) {
            int g = lm_mix_plan_find(&p, m);
            uint64_t hears = talk & ~B(m);
            if (!(members & B(m)) || !hears) {
                ok = g == -1;
                continue;
            }
            ok = g >= 0 && p.group[g].speakers == hears;
            for (size_t j = (size_t)g + 1; ok && j < p.count; j++)
                ok = !(p.group[j].listeners & B(m));
        }
        for (size_t i = 0; ok && i < p.count; i++) {
            const lm_mix_group *g = &p.group[i];
            ok = g->speakers && g->listeners && !(g->speakers & g->listeners) &&
                 !(g->listeners & ~members);
            int fwd = (flags & FWD) && bits(g->speakers) == 1 ? 0 : NOF;
            if (fwd == 0)
                while (!(g->speakers & B(fwd)))
                    fwd++;
            ok = ok && g->forward_from == fwd;
            for (size_t j = 0; ok && j < i; j++)
                ok = p.group[j].speakers != g->speakers;
        }
        if (!ok) {
            fprintf(stderr, "room %016llx speaking %016llx flags %u\n",
                    (unsigned long long)members, (unsigned long long)speaking,
                    flags);
            CHECK(!"plan rule");
            return;
        }
    }
}

/* ---- rendering ---- */

/* A distinct signal for each member: a sawtooth whose period and phase
 * depend on the member, peak `amp`. */
static void fill(int16_t *f, int member, int amp)
{
    int period = 17 + 6 * member;
    for (int t = 0; t < N; t++) {
        int ph = (t + 5 * member) % period;
        f[t] = (int16_t)(amp * (2 * ph - period + 1) / (period - 1));
    }
}

static int16_t frames[LM_MIX_MAX_MEMBERS][N];
static const int16_t *ptrs[LM_MIX_MAX_MEMBERS];

static void fill_room(int count, int amp)
{
    for (int i = 0; i < LM_MIX_MAX_MEMBERS; i++) {
        if (i < count)
            fill(frames[i], i, amp);
        ptrs[i] = frames[i];
    }
}

/* out minus the exact sum of `set`, as the largest residual */
static int residual(const int16_t *out, uint64_t set)
{
    int worst = 0;
    for (int t = 0; t < N; t++) {
        int32_t r = out[t];
        for (int i = 0; i < LM_MIX_MAX_MEMBERS; i++)
            if (set & B(i))
                r -= frames[i][t];
        if (r < 0)
            r = -r;
        if (r > worst)
            worst = (int)r;
    }
    return worst;
}

/* Every listener of every plan for 0, 1, 2, 3 and 10 speakers among 10
 * distinct signals hears exactly the others: the residual after taking them
 * out is exactly zero, so its own signal is not there at all. */
static void test_render_mix_minus(void)
{
    static const struct {
        uint64_t speaking;
        unsigned flags;
    } rows[] = {
        {0, FWD},           {B(6), FWD},        {B(6), 0},
        {B(2) | B(7), FWD}, {B(2) | B(7), 0},   {B(0) | B(4) | B(8), FWD},
        {M10, FWD},         {M10 & ~B(3), FWD},
    };
    lm_mix *m = lm_mix_new(N);
    CHECK(m != NULL);
    if (!m)
        return;
    fill_room(10, 1500); /* 10 x 1500 < the knee: exact sums */
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        lm_mix_plan p;
        lm_mix_plan_make(&p, M10, rows[r].speaking, rows[r].flags);
        CHECK_EQ_INT(lm_mix_begin(m, ptrs, rows[r].speaking), 0);
        static int16_t out[LM_MIX_MAX_GROUPS][N];
        for (size_t g = 0; g < p.count; g++)
            CHECK_EQ_INT(lm_mix_render(m, p.group[g].speakers, out[g]), 0);
        for (int l = 0; l < 10; l++) {
            uint64_t others = rows[r].speaking & ~B(l);
            int g = lm_mix_plan_find(&p, l);
            if (!others) {
                CHECK_EQ_INT(g, -1);
                continue;
            }
            CHECK(g >= 0);
            if (g < 0)
                continue;
            CHECK(!(p.group[g].speakers & B(l)));
            int fwd = p.group[g].forward_from;
            /* a forwarded group carries its speaker's own packet */
            const int16_t *heard = fwd == NOF ? out[g] : frames[fwd];
            if (residual(heard, others) != 0 ||
                residual(heard, others | B(l)) == 0) {
                fprintf(stderr, "row %zu listener %d: residual %d\n", r, l,
                        residual(heard, others));
                CHECK(!"mix-minus");
            }
        }
    }
    lm_mix_free(m);
}

/* Sums within the knee come out bit-exact, both signs, up to the knee. */
static void test_exact_below_knee(void)
{
    static const struct {
        int count; /* speakers 0..count-1, each a constant */
        int32_t level;
    } rows[] = {
        {2, 8192},   {2, -8192}, {4, 4096}, {4, -4096}, {10, 1638},
        {10, -1638}, {3, 5461},  {64, 256}, {64, -256}, {5, 1},
    };
    lm_mix *m = lm_mix_new(N);
    CHECK(m != NULL);
    if (!m)
        return;
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        uint64_t set = rows[r].count == 64 ? ALL64 : B(rows[r].count) - 1;
        for (int i = 0; i < LM_MIX_MAX_MEMBERS; i++) {
            for (int t = 0; t < N; t++)
                frames[i][t] = (int16_t)rows[r].level;
            ptrs[i] = frames[i];
        }
        int16_t out[N];
        CHECK_EQ_INT(lm_mix_begin(m, ptrs, set), 0);
        CHECK_EQ_INT(lm_mix_render(m, set, out), 0);
        CHECK_EQ_INT(out[0], rows[r].count * rows[r].level);
        CHECK_EQ_INT(residual(out, set), 0);
    }
    /* the distinct signals too, with peaks summing to the knee */
    fill_room(8, LM_MIX_KNEE / 8);
    int16_t out[N];
    CHECK_EQ_INT(lm_mix_begin(m, ptrs, B(8) - 1), 0);
    CHECK_EQ_INT(lm_mix_render(m, B(8) - 1, out), 0);
    CHECK_EQ_INT(residual(out, B(8) - 1), 0);
    lm_mix_free(m);
}

/* Ten full-scale speakers in phase (squares of both signs, and sawtooths):
 * every sample keeps the sign of the sum, is never louder than the sum nor
 * quieter than the knee when the sum passes it, and stays off the rail. */
static void test_ten_full_scale(void)
{
    lm_mix *m = lm_mix_new(N);
    CHECK(m != NULL);
    if (!m)
        return;
    for (int shape = 0; shape < 3; shape++) {
        for (int i = 0; i < 10; i++) {
            for (int t = 0; t < N; t++) {
                int sq = (t / 24) % 2 ? FULL : -32768;
                frames[i][t] = (int16_t)(shape == 0 ? sq : -1 - sq);
            }
            if (shape == 2)
                fill(frames[i], 0, FULL); /* the same saw for all ten */
            ptrs[i] = frames[i];
        }
        int16_t out[N];
        CHECK_EQ_INT(lm_mix_begin(m, ptrs, M10), 0);
        CHECK_EQ_INT(lm_mix_render(m, M10, out), 0);
        int bad = 0, top = 0;
        for (int t = 0; t < N; t++) {
            int32_t sum = 0;
            for (int i = 0; i < 10; i++)
                sum += frames[i][t];
            int32_t mag = sum < 0 ? -sum : sum, o = out[t];
            int32_t omag = o < 0 ? -o : o;
            int32_t floor_ = mag < LM_MIX_KNEE ? mag : LM_MIX_KNEE;
            if ((int64_t)o * sum < 0 || omag > mag || omag < floor_ ||
                omag >= FULL)
                bad++;
            if (omag > top)
                top = omag;
        }
        CHECK_EQ_INT(bad, 0);
        CHECK(top > 30000); /* loud, just not clipped */
    }
    lm_mix_free(m);
}

/* The curve over every sum 64 members can make (and the int32 ends):
 * identity within the knee, odd, never decreasing, steps of at most one
 * (continuous, slope <= 1), never at or past the rail. */
static void test_limiter_curve(void)
{
    const int32_t span = 64 * 32768;
    int16_t prev = lm_mix_limit(-span - 1);
    long bad = 0;
    for (int32_t x = -span; x <= span; x++) {
        int16_t y = lm_mix_limit(x);
        int32_t ax = x < 0 ? -x : x;
        if (y < prev || y - prev > 1 || y >= FULL || y <= -FULL ||
            (ax <= LM_MIX_KNEE && y != x) || lm_mix_limit(-x) != -y)
            bad++;
        prev = y;
    }
    CHECK_EQ_INT(bad, 0);
    CHECK(lm_mix_limit(INT32_MAX) > 32000 && lm_mix_limit(INT32_MAX) <= FULL);
    CHECK(lm_mix_limit(INT32_MIN) < -32000 && lm_mix_limit(INT32_MIN) >= -FULL);
    /* no hard knee: just above it almost transparent; louder sums keep
     * coming out louder (a hard clip would give the same value) */
    CHECK_EQ_INT(lm_mix_limit(LM_MIX_KNEE + 1), LM_MIX_KNEE + 1);
    CHECK(lm_mix_limit(LM_MIX_KNEE + 100) >= LM_MIX_KNEE + 99);
    static const int32_t louder[] = {FULL, 2 * FULL, 4 * FULL, 10 * FULL,
                                     64 * FULL};
    for (size_t i = 1; i < sizeof louder / sizeof louder[0]; i++)
        CHECK(lm_mix_limit(louder[i]) > lm_mix_limit(louder[i - 1]));
}

/* Speaker 0's level in the mix that member 2 hears, as members join. */
static void test_level_on_join(void)
{
    lm_mix *m = lm_mix_new(N);
    CHECK(m != NULL);
    if (!m)
        return;
    fill(frames[0], 0, 4000);
    fill(frames[1], 1, 3000);
    fill(frames[3], 3, 2000); /* the quiet speaker who joins */
    for (int t = 0; t < N; t++)
        frames[4][t] = 0; /* flagged as speaking, but silent */
    for (int i = 0; i < LM_MIX_MAX_MEMBERS; i++)
        ptrs[i] = frames[i];
    static const struct {
        uint64_t members, speaking;
    } rows[] = {
        {B(0) | B(1) | B(2), B(0) | B(1)},               /* before */
        {B(0) | B(1) | B(2) | B(3), B(0) | B(1)},        /* silent joins */
        {B(0) | B(1) | B(2) | B(3), B(0) | B(1) | B(3)}, /* quiet speaks */
        {B(0) | B(1) | B(2) | B(4), B(0) | B(1) | B(4)}, /* zeros speak */
        {M10, B(0) | B(1) | B(3) | B(4)},                /* all of that */
    };
    double alone = lm_mix_level_dbfs(frames[0], N), before = 0;
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        lm_mix_plan p;
        lm_mix_plan_make(&p, rows[r].members, rows[r].speaking, FWD);
        int g = lm_mix_plan_find(&p, 2);
        CHECK(g >= 0);
        if (g < 0)
            continue;
        int16_t out[N], only0[N];
        CHECK_EQ_INT(lm_mix_begin(m, ptrs, rows[r].speaking), 0);
        CHECK_EQ_INT(lm_mix_render(m, p.group[g].speakers, out), 0);
        /* take the others out again: what is left is speaker 0 as sent */
        for (int t = 0; t < N; t++) {
            int32_t v = out[t];
            for (int i = 1; i < LM_MIX_MAX_MEMBERS; i++)
                if (p.group[g].speakers & B(i))
                    v -= frames[i][t];
            only0[t] = (int16_t)v;
        }
        CHECK_EQ_INT(residual(only0, B(0)), 0);
        double lv = lm_mix_level_dbfs(only0, N);
        CHECK(lv == alone);
        double mix = lm_mix_level_dbfs(out, N);
        if (r == 0)
            before = mix;
        CHECK(mix >= before); /* joining never turns the mix down */
        /* and in the mix of speaker 1, who hears everyone but itself */
        int g1 = lm_mix_plan_find(&p, 1);
        CHECK(g1 >= 0 && (p.group[g1].speakers & B(0)));
    }
    lm_mix_free(m);
}

/* ---- levels ---- */

static void test_level_dbfs(void)
{
    static int16_t f[N];
    static const struct {
        int a, b;  /* samples alternate a, b; b == 99999: one a, then 0 */
        double db; /* worked out by hand: 20 log10(rms / 32768) */
    } rows[] = {
        {0, 0, LM_MIX_DBFS_SILENT},    {-32768, -32768, 0.0},
        {32767, -32767, -0.000265076}, {16384, 16384, -6.020599913},
        {1000, -1000, -30.308998699},  {1, 99999, -117.121411071},
    };
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        for (int t = 0; t < N; t++)
            f[t] =
                (int16_t)(rows[r].b == 99999 ? (t ? 0 : rows[r].a)
                                             : (t % 2 ? rows[r].b : rows[r].a));
        double got = lm_mix_level_dbfs(f, N), d = got - rows[r].db;
        if (d > 1e-6 || d < -1e-6) {
            fprintf(stderr, "row %zu: %.9f dBFS, want %.9f\n", r, got,
                    rows[r].db);
            CHECK(!"level");
        }
    }
    CHECK(lm_mix_level_dbfs(f, 0) == LM_MIX_DBFS_SILENT);
}

/* ---- cost and contracts ---- */

/* Work follows speakers, never listeners: frames passed per tick and mixes
 * to encode, for the same speakers among 10 and among 64 members. */
static void test_cost(void)
{
    static const struct {
        uint64_t members, speaking;
        size_t mixes;  /* groups to render and encode */
        uint64_t work; /* frames added or subtracted in the tick */
    } rows[] = {
        {M10, 0, 0, 0},
        {M10, B(3), 0, 0},
        {M10, B(3) | B(8), 1, 2},
        {M10, B(0) | B(1) | B(2), 4, 6},
        {ALL64, B(0) | B(1) | B(2), 4, 6},
        {M10, M10, 10, 20},
        {ALL64, ALL64, 64, 128},
    };
    lm_mix *m = lm_mix_new(N);
    CHECK(m != NULL);
    if (!m)
        return;
    fill_room(64, 100);
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        lm_mix_plan p;
        lm_mix_plan_make(&p, rows[r].members, rows[r].speaking, FWD);
        uint64_t w0 = lm_mix_work(m);
        size_t mixes = 0;
        int16_t out[N];
        CHECK_EQ_INT(lm_mix_begin(m, ptrs, rows[r].speaking), 0);
        for (size_t g = 0; g < p.count; g++) {
            if (p.group[g].forward_from != NOF)
                continue;
            mixes++;
            CHECK_EQ_INT(lm_mix_render(m, p.group[g].speakers, out), 0);
        }
        CHECK_EQ_INT(mixes, rows[r].mixes);
        CHECK_EQ_INT(lm_mix_work(m) - w0, rows[r].work);
    }
    lm_mix_free(m);
}

static void test_contracts(void)
{
    CHECK(lm_mix_new(0) == NULL);
    CHECK(lm_mix_new(960) == NULL);
    CHECK(lm_mix_new(100) == NULL);
    lm_mix_free(NULL);
    static const size_t sizes[] = {120, 240, 480};
    for (size_t i = 0; i < 3; i++) {
        lm_mix *m = lm_mix_new(sizes[i]);
        CHECK(m != NULL && lm_mix_frame_samples(m) == sizes[i]);
        lm_mix_free(m);
    }
    lm_mix *m = lm_mix_new(120);
    if (!m)
        return;
    int16_t out[N];
    for (int t = 0; t < N; t++)
        out[t] = 7;
    CHECK_EQ_INT(lm_mix_render(m, 0, out), LM_EINVAL); /* no tick yet */
    fill_room(4, 1000);
    const int16_t *holes[LM_MIX_MAX_MEMBERS] = {frames[0], NULL, frames[2]};
    CHECK_EQ_INT(lm_mix_begin(m, holes, B(0) | B(1)), LM_EINVAL);
    CHECK_EQ_INT(lm_mix_render(m, B(0), out), LM_EINVAL);
    CHECK_EQ_INT(lm_mix_begin(m, NULL, B(0)), LM_EINVAL);
    CHECK_EQ_INT(lm_mix_begin(m, NULL, 0), 0); /* silence needs no frames */
    CHECK_EQ_INT(lm_mix_begin(m, holes, B(0) | B(2)), 0);
    CHECK_EQ_INT(lm_mix_render(m, B(0) | B(1), out), LM_EINVAL);
    CHECK_EQ_INT(out[0], 7); /* untouched */
    CHECK_EQ_INT(lm_mix_render(m, 0, out), 0);
    int nonzero = 0;
    for (int t = 0; t < 120; t++)
        nonzero += out[t] != 0;
    CHECK_EQ_INT(nonzero, 0);
    CHECK_EQ_INT(out[120], 7); /* one frame of 120 samples, no more */
    lm_mix_free(m);
}

int main(void)
{
    RUN(test_plan_table);
    RUN(test_plan_64_all_speak);
    RUN(test_plan_rule);
    RUN(test_render_mix_minus);
    RUN(test_exact_below_knee);
    RUN(test_ten_full_scale);
    RUN(test_limiter_curve);
    RUN(test_level_on_join);
    RUN(test_level_dbfs);
    RUN(test_cost);
    RUN(test_contracts);
    return check_report();
}
