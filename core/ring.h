/* ring.h - a lock-free single-producer single-consumer ring of fixed-size
 * items, for the real-time audio callback (DESIGN.md section 3).
 *
 * Exactly two threads use a ring: one producer, which alone may call
 * lm_ring_push and lm_ring_push_many, and one consumer, which alone may call
 * lm_ring_pop and lm_ring_pop_many. Either of them, or any third thread, may
 * call lm_ring_count, lm_ring_capacity and lm_ring_item_size. Every one of
 * those calls is safe in a real-time callback: it takes no lock, allocates
 * nothing, does no I/O and never waits; a full ring refuses, an empty ring
 * returns nothing. Only lm_ring_new allocates, and lm_ring_free must not run
 * while either side may still touch the ring.
 *
 * Items are copied in and out by value (item_size bytes each); the ring
 * owns its storage and no pointer into it ever escapes. */
#ifndef LM_RING_H
#define LM_RING_H

#include <stdbool.h>
#include <stddef.h>

typedef struct lm_ring lm_ring;

/* A ring of at least `capacity` items of item_size bytes; capacity is
 * rounded up to a power of two, and every slot is usable. NULL when either
 * is 0, when the size overflows, or when allocation fails. Any thread,
 * before the two sides start. */
lm_ring *lm_ring_new(size_t item_size, size_t capacity);
/* NULL-safe; only once neither side will touch the ring again. */
void lm_ring_free(lm_ring *r);

/* Producer only. Copies one item in; false, and nothing changes, when the
 * ring is full. */
bool lm_ring_push(lm_ring *r, const void *item);
/* Producer only. Copies in as many of the n items at `items` (n * item_size
 * contiguous bytes) as there is room for, in order; returns how many. */
size_t lm_ring_push_many(lm_ring *r, const void *items, size_t n);

/* Consumer only. Copies the oldest item to `out` and removes it; false,
 * and `out` untouched, when the ring is empty. */
bool lm_ring_pop(lm_ring *r, void *out);
/* Consumer only. Copies up to n of the oldest items to `out` (room for
 * n * item_size bytes), oldest first, and removes them; returns how many. */
size_t lm_ring_pop_many(lm_ring *r, void *out, size_t n);

/* Items waiting, any thread, never more than the capacity. From the
 * consumer: at least this many can be popped now. From the producer: room
 * for at least capacity minus this many. From a third thread: an estimate,
 * for statistics only. */
size_t lm_ring_count(const lm_ring *r);
size_t lm_ring_capacity(const lm_ring *r);  /* after rounding; any thread */
size_t lm_ring_item_size(const lm_ring *r); /* any thread */

#endif
