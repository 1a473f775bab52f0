/* queue.h - a bounded, thread-safe FIFO of pointers with a pollable fd.
 *
 * Many producers, one consumer. lm_queue_fd() is readable while items are
 * waiting (an eventfd, level-triggered), so a consumer can poll() on it
 * beside its other fds; lm_queue_space_fd() is readable while there is
 * room, so a producer can wait for room instead of dropping. Items are opaque; the queue never frees them except
 * through the destructor given to lm_queue_free for what is left. */
#ifndef LM_QUEUE_H
#define LM_QUEUE_H

#include <stddef.h>

typedef struct lm_queue lm_queue;

lm_queue *lm_queue_new(size_t cap); /* cap >= 1; NULL on failure */
/* Frees what is left with drop (may be NULL); NULL-safe. */
void lm_queue_free(lm_queue *q, void (*drop)(void *));

/* Appends item; LM_EFULL when cap items are already waiting (the caller
 * keeps ownership then). */
int lm_queue_push(lm_queue *q, void *item);
/* Oldest item or NULL; clears the fd's readiness when it empties. */
void *lm_queue_pop(lm_queue *q);
int lm_queue_fd(const lm_queue *q);       /* readable: items waiting */
int lm_queue_space_fd(const lm_queue *q); /* readable: room for one more */
size_t lm_queue_count(lm_queue *q);        /* items waiting now */

#endif
