/* queue.c - bounded FIFO guarded by one mutex, readiness on two eventfds.
 *
 * The items eventfd is written when the queue goes from empty to non-empty
 * and drained when it goes back to empty, both under the lock, so a
 * consumer that polls it never misses an item and never spins on an empty
 * queue. The space eventfd is the mirror image for producers: readable
 * while the queue is not full, drained when it fills, written again when
 * the consumer takes the item that made it full. */
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
    int fd, space_fd;
};

static void fd_raise(int fd)
{
    uint64_t one = 1;
    /* Cannot fail short of a counter overflow, which one write per
     * transition never reaches. */
    if (write(fd, &one, sizeof one) < 0) {
    }
}

static void fd_lower(int fd)
{
    uint64_t v;
    if (read(fd, &v, sizeof v) < 0) {
    }
}

lm_queue *lm_queue_new(size_t cap)
{
    lm_queue *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    q->items = calloc(cap ? cap : 1, sizeof *q->items);
    q->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    q->space_fd = eventfd(1, EFD_NONBLOCK | EFD_CLOEXEC); /* empty: room */
    if (!q->items || q->fd < 0 || q->space_fd < 0 || cap == 0) {
        free(q->items);
        if (q->fd >= 0)
            close(q->fd);
        if (q->space_fd >= 0)
            close(q->space_fd);
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
    close(q->space_fd);
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
    if (q->count++ == 0)
        fd_raise(q->fd);
    if (q->count == q->cap)
        fd_lower(q->space_fd);
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
        if (q->count == q->cap)
            fd_raise(q->space_fd);
        if (--q->count == 0)
            fd_lower(q->fd);
    }
    pthread_mutex_unlock(&q->mu);
    return it;
}

int lm_queue_fd(const lm_queue *q)
{
    return q->fd;
}

int lm_queue_space_fd(const lm_queue *q)
{
    return q->space_fd;
}

size_t lm_queue_count(lm_queue *q)
{
    pthread_mutex_lock(&q->mu);
    size_t n = q->count;
    pthread_mutex_unlock(&q->mu);
    return n;
}
