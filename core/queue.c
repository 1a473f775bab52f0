/* queue.c - bounded FIFO guarded by one mutex, readiness on an eventfd.
 *
 * The eventfd is written when the queue goes from empty to non-empty and
 * drained when it goes back to empty, both under the lock, so a consumer
 * that polls the fd never misses an item and never spins on an empty queue. */
#define _GNU_SOURCE
#include "queue.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "err.h"

struct lm_queue {
    pthread_mutex_t mu;
    void **items;
    size_t cap, head, count;
    int fd;
};

lm_queue *lm_queue_new(size_t cap)
{
    lm_queue *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    q->items = calloc(cap, sizeof *q->items);
    q->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (!q->items || q->fd < 0) {
        free(q->items);
        if (q->fd >= 0)
            close(q->fd);
        free(q);
        return NULL;
    }
    q->cap = cap;
    pthread_mutex_init(&q->mu, NULL);
    return q;
}

void lm_queue_free(lm_queue *q, void (*drop)(void *))
{
    if (!q)
        return;
    void *it;
    while ((it = lm_queue_pop(q)) != NULL)
        if (drop)
            drop(it);
    close(q->fd);
    pthread_mutex_destroy(&q->mu);
    free(q->items);
    free(q);
}

int lm_queue_push(lm_queue *q, void *item)
{
    pthread_mutex_lock(&q->mu);
    if (q->count == q->cap) {
        pthread_mutex_unlock(&q->mu);
        return LM_EFULL;
    }
    q->items[(q->head + q->count) % q->cap] = item;
    if (q->count++ == 0) {
        uint64_t one = 1;
        /* Cannot fail short of a counter overflow, which one writer per
         * empty-to-full transition never reaches. */
        if (write(q->fd, &one, sizeof one) < 0) {
        }
    }
    pthread_mutex_unlock(&q->mu);
    return 0;
}

void *lm_queue_pop(lm_queue *q)
{
    void *it = NULL;
    pthread_mutex_lock(&q->mu);
    if (q->count > 0) {
        it = q->items[q->head];
        q->head = (q->head + 1) % q->cap;
        if (--q->count == 0) {
            uint64_t v;
            if (read(q->fd, &v, sizeof v) < 0) {
            }
        }
    }
    pthread_mutex_unlock(&q->mu);
    return it;
}

int lm_queue_fd(const lm_queue *q)
{
    return q->fd;
}
