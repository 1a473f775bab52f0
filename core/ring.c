/* ring.c - single-producer single-consumer ring on two atomic counters.
 *
 * head counts the items ever pushed and is written only by the producer;
 * tail counts the items ever popped and is written only by the consumer.
 * Both run free and wrap at SIZE_MAX; with a power-of-two capacity,
 * `index & mask` is the slot and `head - tail` the count even across the
 * wrap, and a full ring (count == capacity) is told apart from an empty
 * one without wasting a slot.
 *
 * The ordering is the classic pair: a side copies its items, then stores
 * its counter with release; the other side loads that counter with acquire
 * before touching the slots it covers. So the consumer never reads a slot
 * before its bytes are written, and the producer never overwrites a slot
 * before its bytes are read.
 *
 * head and tail sit on cache lines of their own, each beside the copy of
 * the other counter that its owner saw last: a side reloads the other's
 * counter (the cache line that bounces between cores) only when its copy
 * says there is not enough room or not enough items. */
#include "ring.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A cache line on x86-64 and most ARM cores; where it is larger (Apple
 * M-series, 128) two counters may share a line, which costs speed only. */
#define CACHE_LINE 64

/* The padding clang-tidy counts is the point: one line per writer.
 * NOLINTNEXTLINE(clang-analyzer-optin.performance.Padding) */
struct lm_ring {
    /* Set by lm_ring_new and only read afterwards, by both sides. */
    size_t item_size;
    size_t mask; /* capacity - 1 */
    unsigned char *slots;

    /* The producer's line. */
    _Alignas(CACHE_LINE) atomic_size_t head;
    size_t tail_seen; /* tail as the producer last loaded it */

    /* The consumer's line. */
    _Alignas(CACHE_LINE) atomic_size_t tail;
    size_t head_seen; /* head as the consumer last loaded it */
};
/* The slots follow the struct, whose size is a multiple of CACHE_LINE
 * (its members are aligned to one), so they start on a line of their own. */
_Static_assert(sizeof(lm_ring) % CACHE_LINE == 0, "slots start a line");

lm_ring *lm_ring_new(size_t item_size, size_t capacity)
{
    if (item_size == 0 || capacity == 0 || capacity > SIZE_MAX / 2 + 1)
        return NULL;
    size_t cap = 1;
    while (cap < capacity)
        cap <<= 1;
    size_t room = SIZE_MAX - sizeof(lm_ring) - CACHE_LINE;
    if (cap > room / item_size)
        return NULL;
    /* aligned_alloc wants a multiple of the alignment */
    size_t bytes = sizeof(lm_ring) + cap * item_size;
    bytes = (bytes + CACHE_LINE - 1) / CACHE_LINE * CACHE_LINE;
    lm_ring *r = aligned_alloc(CACHE_LINE, bytes);
    if (!r)
        return NULL;
    r->item_size = item_size;
    r->mask = cap - 1;
    r->slots = (unsigned char *)(r + 1);
    atomic_init(&r->head, 0);
    r->tail_seen = 0;
    atomic_init(&r->tail, 0);
    r->head_seen = 0;
    return r;
}

void lm_ring_free(lm_ring *r)
{
    free(r);
}

/* How many of n items from counter `at` on fit before the end of the
 * storage; the rest go from its start. */
static size_t before_end(const lm_ring *r, size_t at, size_t n)
{
    size_t left = r->mask + 1 - (at & r->mask);
    return n < left ? n : left;
}

static void copy_in(lm_ring *r, size_t at, const unsigned char *src, size_t n)
{
    size_t sz = r->item_size, first = before_end(r, at, n);
    memcpy(r->slots + (at & r->mask) * sz, src, first * sz);
    memcpy(r->slots, src + first * sz, (n - first) * sz);
}

static void copy_out(const lm_ring *r, size_t at, unsigned char *dst, size_t n)
{
    size_t sz = r->item_size, first = before_end(r, at, n);
    memcpy(dst, r->slots + (at & r->mask) * sz, first * sz);
    memcpy(dst + first * sz, r->slots, (n - first) * sz);
}

size_t lm_ring_push_many(lm_ring *r, const void *items, size_t n)
{
    size_t cap = r->mask + 1;
    size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    size_t space = cap - (head - r->tail_seen);
    if (space < n) {
        r->tail_seen = atomic_load_explicit(&r->tail, memory_order_acquire);
        space = cap - (head - r->tail_seen);
    }
    if (n > space)
        n = space;
    if (n == 0)
        return 0;
    copy_in(r, head, items, n);
    atomic_store_explicit(&r->head, head + n, memory_order_release);
    return n;
}

size_t lm_ring_pop_many(lm_ring *r, void *out, size_t n)
{
    size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    size_t avail = r->head_seen - tail;
    if (avail < n) {
        r->head_seen = atomic_load_explicit(&r->head, memory_order_acquire);
        avail = r->head_seen - tail;
    }
    if (n > avail)
        n = avail;
    if (n == 0)
        return 0;
    copy_out(r, tail, out, n);
    atomic_store_explicit(&r->tail, tail + n, memory_order_release);
    return n;
}

bool lm_ring_push(lm_ring *r, const void *item)
{
    return lm_ring_push_many(r, item, 1) == 1;
}

bool lm_ring_pop(lm_ring *r, void *out)
{
    return lm_ring_pop_many(r, out, 1) == 1;
}

size_t lm_ring_count(const lm_ring *r)
{
    /* tail first, with acquire: the consumer had seen head at least this
     * far before storing it, so the head loaded next is never behind. */
    size_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
    size_t head = atomic_load_explicit(&r->head, memory_order_acquire);
    size_t n = head - tail;
    return n > r->mask + 1 ? r->mask + 1 : n;
}

size_t lm_ring_capacity(const lm_ring *r)
{
    return r->mask + 1;
}

size_t lm_ring_item_size(const lm_ring *r)
{
    return r->item_size;
}
