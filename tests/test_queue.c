/* test_queue.c - tests for core/queue.c.
 *
 * Order, the cap, and the two readiness fds: items readable exactly while
 * something waits, space readable exactly while there is room; and a
 * producer thread that waits on the space fd instead of dropping delivers
 * every item of a burst far larger than the queue. */
#include <poll.h>
#include <stdbool.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "err.h"
#include "queue.h"

static bool readable(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

static void test_fifo_and_cap(void)
{
    int items[4] = {1, 2, 3, 4};
    lm_queue *q = lm_queue_new(3);
    CHECK(q != NULL);
    CHECK(lm_queue_pop(q) == NULL);
    for (int i = 0; i < 3; i++)
        CHECK_EQ_INT(lm_queue_push(q, &items[i]), 0);
    CHECK_EQ_INT(lm_queue_push(q, &items[3]), LM_EFULL);
    CHECK_EQ_INT(lm_queue_count(q), 3);
    for (int i = 0; i < 3; i++)
        CHECK(lm_queue_pop(q) == &items[i]);
    CHECK(lm_queue_pop(q) == NULL);
    /* wrap around the ring */
    for (int round = 0; round < 5; round++) {
        CHECK_EQ_INT(lm_queue_push(q, &items[0]), 0);
        CHECK_EQ_INT(lm_queue_push(q, &items[1]), 0);
        CHECK(lm_queue_pop(q) == &items[0]);
        CHECK(lm_queue_pop(q) == &items[1]);
    }
    lm_queue_free(q, NULL);
    CHECK(lm_queue_new(0) == NULL);
}

/* Rows: the count after an operation and what each fd must say then. */
static void test_readiness(void)
{
    int x = 0;
    lm_queue *q = lm_queue_new(2);
    struct {
        int op; /* +1 push, -1 pop */
        bool items, space;
    } rows[] = {
        {0, false, true}, {+1, true, true}, {+1, true, false},
        {-1, true, true}, {+1, true, false}, {-1, true, true},
        {-1, false, true}, {+1, true, true}, {-1, false, true},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        if (rows[i].op > 0)
            CHECK_EQ_INT(lm_queue_push(q, &x), 0);
        else if (rows[i].op < 0)
            CHECK(lm_queue_pop(q) == &x);
        if (readable(lm_queue_fd(q)) != rows[i].items ||
            readable(lm_queue_space_fd(q)) != rows[i].space) {
            fprintf(stderr, "row %zu: items %d space %d\n", i,
                    readable(lm_queue_fd(q)),
                    readable(lm_queue_space_fd(q)));
            CHECK(!"readiness");
        }
    }
    /* a full queue refusing a push does not disturb the fds */
    CHECK_EQ_INT(lm_queue_push(q, &x), 0);
    CHECK_EQ_INT(lm_queue_push(q, &x), 0);
    CHECK_EQ_INT(lm_queue_push(q, &x), LM_EFULL);
    CHECK(readable(lm_queue_fd(q)) && !readable(lm_queue_space_fd(q)));
    lm_queue_free(q, NULL);
}

#define BURST 20000

static void *producer(void *arg)
{
    lm_queue *q = arg;
    for (uintptr_t i = 1; i <= BURST; i++) {
        while (lm_queue_push(q, (void *)i) == LM_EFULL) {
            struct pollfd p = {.fd = lm_queue_space_fd(q), .events = POLLIN};
            poll(&p, 1, 1000);
        }
    }
    return NULL;
}

static void test_backpressure_loses_nothing(void)
{
    lm_queue *q = lm_queue_new(8);
    pthread_t t;
    CHECK_EQ_INT(pthread_create(&t, NULL, producer, q), 0);
    uintptr_t want = 1;
    while (want <= BURST) {
        struct pollfd p = {.fd = lm_queue_fd(q), .events = POLLIN};
        if (poll(&p, 1, 5000) != 1)
            break;
        void *it;
        while ((it = lm_queue_pop(q)) != NULL) {
            if ((uintptr_t)it != want) {
                CHECK(!"out of order or lost");
                break;
            }
            want++;
        }
    }
    pthread_join(t, NULL);
    CHECK_EQ_INT(want, BURST + 1);
    lm_queue_free(q, NULL);
}

static int freed;
static void count_free(void *p)
{
    (void)p;
    freed++;
}

static void test_free_drops_what_is_left(void)
{
    int a, b;
    lm_queue *q = lm_queue_new(4);
    lm_queue_push(q, &a);
    lm_queue_push(q, &b);
    freed = 0;
    lm_queue_free(q, count_free);
    CHECK_EQ_INT(freed, 2);
    lm_queue_free(NULL, count_free); /* NULL-safe */
}

int main(void)
{
    RUN(test_fifo_and_cap);
    RUN(test_readiness);
    RUN(test_backpressure_loses_nothing);
    RUN(test_free_drops_what_is_left);
    return check_report();
}
