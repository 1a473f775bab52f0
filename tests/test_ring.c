/* test_ring.c - tests for core/ring.c.
 *
 * Capacity rounding and refusals; fill to full, refuse, drain in order;
 * wrap around the storage many times; partial push_many / pop_many; random
 * operations against a model; for item sizes from one byte to a 20 ms
 * frame. Then two threads, one pushing and one popping a million
 * sequenced items (one at a time, and in batches of samples), where every
 * item must arrive once and in order, within a time limit. */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "clock.h"
#include "ring.h"

#define FRAME_BYTES (960 * 2) /* 20 ms of 16-bit mono at 48 kHz */
#define MAX_ITEM FRAME_BYTES

/* The bytes of item number seq: differ between neighbours at every size. */
static void fill(unsigned char *p, size_t size, uint64_t seq)
{
    for (size_t i = 0; i < size; i++)
        p[i] = (unsigned char)(seq * 131 + (seq >> 8) + i * 7);
}

static bool holds(const unsigned char *p, size_t size, uint64_t seq)
{
    unsigned char want[MAX_ITEM];
    fill(want, size, seq);
    return memcmp(p, want, size) == 0;
}

static void test_capacity_rounding(void)
{
    struct {
        size_t item_size, capacity;
        size_t want; /* 0: lm_ring_new refuses */
    } rows[] = {
        {1, 1, 1},
        {1, 2, 2},
        {1, 3, 4},
        {4, 5, 8},
        {8, 1024, 1024},
        {8, 1025, 2048},
        {FRAME_BYTES, 960, 1024},
        {0, 4, 0},                /* no item size */
        {4, 0, 0},                /* no capacity */
        {1, SIZE_MAX / 2 + 2, 0}, /* no power of two that large */
        {SIZE_MAX / 4, 8, 0},     /* bytes overflow */
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        lm_ring *r = lm_ring_new(rows[i].item_size, rows[i].capacity);
        if (rows[i].want == 0) {
            CHECK(r == NULL);
        } else if (r == NULL) {
            fprintf(stderr, "row %zu: NULL\n", i);
            CHECK(!"lm_ring_new");
        } else {
            CHECK_EQ_INT(lm_ring_capacity(r), rows[i].want);
            CHECK_EQ_INT(lm_ring_item_size(r), rows[i].item_size);
            CHECK_EQ_INT(lm_ring_count(r), 0);
        }
        lm_ring_free(r);
    }
    lm_ring_free(NULL); /* NULL-safe */
}

/* The shapes the table tests run over. */
static const struct shape {
    size_t item_size, capacity;
} shapes[] = {
    {1, 1}, {1, 4}, {2, 3}, {2, 256}, {3, 5}, {16, 64}, {FRAME_BYTES, 8},
};
#define NSHAPES (sizeof shapes / sizeof shapes[0])

static void test_fill_refuse_drain(void)
{
    unsigned char item[MAX_ITEM], out[MAX_ITEM];
    for (size_t s = 0; s < NSHAPES; s++) {
        size_t sz = shapes[s].item_size;
        lm_ring *r = lm_ring_new(sz, shapes[s].capacity);
        size_t cap = lm_ring_capacity(r);
        int bad = check_failures;
        memset(out, 0xAB, sizeof out);
        CHECK(!lm_ring_pop(r, out)); /* empty: out untouched */
        CHECK(out[0] == 0xAB && out[sz - 1] == 0xAB);
        for (size_t i = 0; i < cap; i++) {
            fill(item, sz, i);
            CHECK(lm_ring_push(r, item));
            CHECK_EQ_INT(lm_ring_count(r), i + 1);
        }
        fill(item, sz, cap);
        CHECK(!lm_ring_push(r, item)); /* full: refused, nothing changes */
        CHECK_EQ_INT(lm_ring_count(r), cap);
        CHECK_EQ_INT(lm_ring_push_many(r, item, 1), 0);
        for (size_t i = 0; i < cap; i++) {
            CHECK(lm_ring_pop(r, out));
            CHECK(holds(out, sz, i));
            CHECK_EQ_INT(lm_ring_count(r), cap - i - 1);
        }
        CHECK(!lm_ring_pop(r, out));
        CHECK_EQ_INT(lm_ring_pop_many(r, out, 1), 0);
        if (check_failures != bad)
            fprintf(stderr, "shape %zu: item %zu cap %zu\n", s, sz, cap);
        lm_ring_free(r);
    }
}

/* A standing backlog of about half the ring, one in and one out per step,
 * for many laps, so every slot is written and read at every phase. */
static void test_wrap_around(void)
{
    unsigned char item[MAX_ITEM], out[MAX_ITEM];
    for (size_t s = 0; s < NSHAPES; s++) {
        size_t sz = shapes[s].item_size;
        lm_ring *r = lm_ring_new(sz, shapes[s].capacity);
        size_t cap = lm_ring_capacity(r);
        size_t backlog = cap / 2 + 1, laps = 50;
        uint64_t in = 0, gone = 0;
        int bad = check_failures;
        while (in < backlog) {
            fill(item, sz, in);
            CHECK(lm_ring_push(r, item));
            in++;
        }
        for (size_t step = 0; step < laps * cap; step++) {
            CHECK(lm_ring_pop(r, out));
            CHECK(holds(out, sz, gone));
            gone++;
            fill(item, sz, in);
            CHECK(lm_ring_push(r, item));
            in++;
            CHECK_EQ_INT(lm_ring_count(r), backlog);
        }
        while (lm_ring_pop(r, out)) {
            CHECK(holds(out, sz, gone));
            gone++;
        }
        CHECK_EQ_INT(gone, in);
        if (check_failures != bad)
            fprintf(stderr, "shape %zu: item %zu cap %zu\n", s, sz, cap);
        lm_ring_free(r);
    }
}

/* push_many / pop_many on a ring of 8: partial at the edges, split across
 * the end of the storage. Each row is an operation and what must follow. */
static void test_many(void)
{
    struct {
        int op; /* +1 push_many, -1 pop_many */
        size_t n, want_done, want_count;
    } rows[] = {
        {+1, 5, 5, 5},   {+1, 5, 3, 8},                /* only 3 fit */
        {+1, 1, 0, 8},   {-1, 2, 2, 6}, {+1, 4, 2, 8}, /* wraps */
        {-1, 100, 8, 0}, {-1, 1, 0, 0}, {+1, 0, 0, 0},
        {+1, 7, 7, 7},   {-1, 3, 3, 4}, {+1, 6, 4, 8}, /* wraps */
        {-1, 5, 5, 3},   {-1, 0, 0, 3}, {-1, 3, 3, 0},
    };
    size_t sz = 3;
    unsigned char buf[100 * 3];
    lm_ring *r = lm_ring_new(sz, 8);
    uint64_t in = 0, gone = 0;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        int bad = check_failures;
        size_t n = rows[i].n, done;
        if (rows[i].op > 0) {
            for (size_t k = 0; k < n; k++)
                fill(buf + k * sz, sz, in + k);
            done = lm_ring_push_many(r, buf, n);
            in += done;
        } else {
            done = lm_ring_pop_many(r, buf, n);
            for (size_t k = 0; k < done; k++)
                CHECK(holds(buf + k * sz, sz, gone + k));
            gone += done;
        }
        CHECK_EQ_INT(done, rows[i].want_done);
        CHECK_EQ_INT(lm_ring_count(r), rows[i].want_count);
        if (check_failures != bad)
            fprintf(stderr, "row %zu\n", i);
    }
    lm_ring_free(r);
}

/* Random batch sizes against a model of what the ring holds. */
static void test_random_against_model(void)
{
    static unsigned char buf[40 * MAX_ITEM];
    const size_t sizes[] = {1, 2, 5, FRAME_BYTES};
    uint32_t rnd = 12345;
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        size_t sz = sizes[s];
        lm_ring *r = lm_ring_new(sz, 16);
        uint64_t in = 0, gone = 0;
        int bad = check_failures;
        for (int step = 0; step < 20000 && check_failures == bad; step++) {
            rnd = rnd * 1103515245u + 12345u;
            size_t n = (rnd >> 16) % 40, held = (size_t)(in - gone), done;
            if ((rnd >> 8) & 1) {
                for (size_t k = 0; k < n; k++)
                    fill(buf + k * sz, sz, in + k);
                done = lm_ring_push_many(r, buf, n);
                CHECK_EQ_INT(done, n < 16 - held ? n : 16 - held);
                in += done;
            } else {
                done = lm_ring_pop_many(r, buf, n);
                CHECK_EQ_INT(done, n < held ? n : held);
                for (size_t k = 0; k < done; k++)
                    CHECK(holds(buf + k * sz, sz, gone + k));
                gone += done;
            }
            CHECK_EQ_INT(lm_ring_count(r), in - gone);
        }
        if (check_failures != bad)
            fprintf(stderr, "item size %zu\n", sz);
        lm_ring_free(r);
    }
}

/* Two threads. The consumer gives up, and tells the producer to, when the
 * deadline passes; a lost, doubled, torn or reordered item is a failure. */
#define THREAD_ITEMS 1000000
#define DEADLINE_US (20 * 1000000) /* far above the ~1 s it takes */

typedef struct {
    uint64_t seq, check; /* check = ~seq: a torn copy shows */
} seq_item;

typedef struct {
    lm_ring *r;
    atomic_bool stop;
    bool batches;
} side;

static void *push_items(void *arg)
{
    side *sd = arg;
    for (uint64_t i = 0; i < THREAD_ITEMS; i++) {
        seq_item it = {i, ~i};
        while (!lm_ring_push(sd->r, &it)) {
            if (atomic_load(&sd->stop))
                return NULL;
            sched_yield();
        }
    }
    return NULL;
}

/* 16-bit samples in batches of 1..960, as a capture callback would. */
static void *push_samples(void *arg)
{
    side *sd = arg;
    uint16_t buf[960];
    uint32_t rnd = 777;
    uint64_t next = 0;
    while (next < THREAD_ITEMS) {
        rnd = rnd * 1103515245u + 12345u;
        size_t n = 1 + (rnd >> 16) % 960;
        if (n > THREAD_ITEMS - next)
            n = (size_t)(THREAD_ITEMS - next);
        for (size_t k = 0; k < n; k++)
            buf[k] = (uint16_t)(next + k);
        size_t done = 0;
        while (done < n) {
            done += lm_ring_push_many(sd->r, buf + done, n - done);
            if (done < n) {
                if (atomic_load(&sd->stop))
                    return NULL;
                sched_yield();
            }
        }
        next += n;
    }
    return NULL;
}

/* Pops until every item came or the deadline passed; returns how many
 * arrived in order before the first wrong one. */
static uint64_t pop_all(side *sd, int64_t deadline)
{
    uint64_t want = 0;
    uint32_t rnd = 4242;
    uint16_t buf[1024];
    int64_t spins = 0;
    while (want < THREAD_ITEMS) {
        size_t got;
        bool ok = true;
        if (sd->batches) {
            rnd = rnd * 1103515245u + 12345u;
            got = lm_ring_pop_many(sd->r, buf, 1 + (rnd >> 16) % 1024);
            for (size_t k = 0; k < got && ok; k++)
                ok = buf[k] == (uint16_t)(want + k);
        } else {
            seq_item it;
            got = lm_ring_pop(sd->r, &it) ? 1 : 0;
            ok = !got || (it.seq == want && it.check == ~want);
        }
        if (!ok) {
            fprintf(stderr, "wrong item after %llu\n",
                    (unsigned long long)want);
            break;
        }
        want += got;
        if (got == 0) {
            sched_yield();
            if (++spins % 1024 == 0 && lm_mono_us() > deadline) {
                fprintf(stderr, "timed out at item %llu\n",
                        (unsigned long long)want);
                break;
            }
        }
        if (lm_ring_count(sd->r) > lm_ring_capacity(sd->r)) {
            fprintf(stderr, "count over capacity\n");
            break;
        }
    }
    return want;
}

static void run_two_threads(bool batches)
{
    side sd = {.batches = batches};
    sd.r = batches ? lm_ring_new(sizeof(uint16_t), 1024)
                   : lm_ring_new(sizeof(seq_item), 64);
    atomic_init(&sd.stop, false);
    CHECK(sd.r != NULL);
    if (!sd.r)
        return;
    pthread_t t;
    int64_t deadline = lm_mono_us() + DEADLINE_US;
    void *(*producer)(void *) = batches ? push_samples : push_items;
    if (pthread_create(&t, NULL, producer, &sd) != 0) {
        CHECK(!"pthread_create");
        lm_ring_free(sd.r);
        return;
    }
    uint64_t got = pop_all(&sd, deadline);
    atomic_store(&sd.stop, true);
    pthread_join(t, NULL);
    CHECK_EQ_INT(got, THREAD_ITEMS);
    CHECK_EQ_INT(lm_ring_count(sd.r), 0);
    lm_ring_free(sd.r);
}

static void test_two_threads_items(void)
{
    run_two_threads(false);
}

static void test_two_threads_batches(void)
{
    run_two_threads(true);
}

int main(void)
{
    RUN(test_capacity_rounding);
    RUN(test_fill_refuse_drain);
    RUN(test_wrap_around);
    RUN(test_many);
    RUN(test_random_against_model);
    RUN(test_two_threads_items);
    RUN(test_two_threads_batches);
    return check_report();
}
