/* chatlog.c - ring of the last N ordered messages plus a small hold for
 * messages that arrive ahead of a gap (live ones racing a history reply). */
#include "chatlog.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"

struct lm_chatlog {
    lm_chat_entry *ring; /* ring[seq % cap] for seq in [first, next) */
    size_t cap;
    uint64_t first, next;
    lm_chat_entry hold[LM_CHATLOG_HOLD]; /* seq > next, unsorted */
    size_t nhold;
    lm_chatlog_deliver_fn deliver;
    void *ud;
};

lm_chatlog *lm_chatlog_new(size_t cap, lm_chatlog_deliver_fn fn, void *ud)
{
    lm_chatlog *log = calloc(1, sizeof *log);
    if (!log)
        return NULL;
    log->ring = calloc(cap, sizeof *log->ring);
    if (!log->ring) {
        free(log);
        return NULL;
    }
    log->cap = cap;
    log->first = log->next = 1; /* sequence numbers start at 1 */
    log->deliver = fn;
    log->ud = ud;
    return log;
}

static void entry_clear(lm_chat_entry *e)
{
    free(e->text);
    memset(e, 0, sizeof *e);
}

void lm_chatlog_free(lm_chatlog *log)
{
    if (!log)
        return;
    for (uint64_t s = log->first; s < log->next; s++)
        entry_clear(&log->ring[s % log->cap]);
    for (size_t i = 0; i < log->nhold; i++)
        entry_clear(&log->hold[i]);
    free(log->ring);
    free(log);
}

static int entry_copy(lm_chat_entry *dst, const lm_chat_entry *src)
{
    char *t = strdup(src->text ? src->text : "");
    if (!t)
        return LM_ENOMEM;
    *dst = *src;
    dst->text = t;
    return 0;
}

/* Moves e (ownership of its text) to the end of the run and delivers it. */
static void append(lm_chatlog *log, lm_chat_entry *e)
{
    if (log->next - log->first == log->cap)
        entry_clear(&log->ring[log->first++ % log->cap]);
    log->ring[e->seq % log->cap] = *e;
    log->next = e->seq + 1;
    if (log->deliver)
        log->deliver(log->ud, &log->ring[e->seq % log->cap]);
}

/* Appends every held entry that now continues the run. */
static void drain_hold(lm_chatlog *log)
{
    for (size_t i = 0; i < log->nhold;) {
        if (log->hold[i].seq < log->next) { /* a duplicate of a delivered one */
            entry_clear(&log->hold[i]);
            log->hold[i] = log->hold[--log->nhold];
            memset(&log->hold[log->nhold], 0, sizeof log->hold[0]);
        } else if (log->hold[i].seq == log->next) {
            lm_chat_entry e = log->hold[i];
            log->hold[i] = log->hold[--log->nhold];
            memset(&log->hold[log->nhold], 0, sizeof log->hold[0]);
            append(log, &e);
            i = 0; /* the next one may sit anywhere */
        } else {
            i++;
        }
    }
}

int lm_chatlog_offer(lm_chatlog *log, const lm_chat_entry *e)
{
    if (e->seq < log->next)
        return 0;
    if (e->seq > log->next) {
        for (size_t i = 0; i < log->nhold; i++)
            if (log->hold[i].seq == e->seq)
                return 0;
        if (log->nhold == LM_CHATLOG_HOLD)
            return LM_EFULL;
        int rc = entry_copy(&log->hold[log->nhold], e);
        if (rc < 0)
            return rc;
        log->nhold++;
        return 1;
    }
    lm_chat_entry copy;
    int rc = entry_copy(&copy, e);
    if (rc < 0)
        return rc;
    append(log, &copy);
    drain_hold(log);
    return 1;
}

void lm_chatlog_skip_to(lm_chatlog *log, uint64_t seq)
{
    if (seq <= log->next)
        return;
    for (uint64_t s = log->first; s < log->next; s++)
        entry_clear(&log->ring[s % log->cap]);
    log->first = log->next = seq;
    drain_hold(log);
}

uint64_t lm_chatlog_next(const lm_chatlog *log)
{
    return log->next;
}

uint64_t lm_chatlog_first(const lm_chatlog *log)
{
    return log->first;
}

const lm_chat_entry *lm_chatlog_get(const lm_chatlog *log, uint64_t seq)
{
    if (seq < log->first || seq >= log->next)
        return NULL;
    return &log->ring[seq % log->cap];
}

bool lm_chatlog_has(const lm_chatlog *log, uint64_t origin, uint64_t msgid)
{
    for (uint64_t s = log->first; s < log->next; s++) {
        const lm_chat_entry *e = &log->ring[s % log->cap];
        if (e->origin == origin && e->msgid == msgid)
            return true;
    }
    return false;
}

void lm_chatlog_reset(lm_chatlog *log, uint64_t seq)
{
    for (uint64_t s = log->first; s < log->next; s++)
        entry_clear(&log->ring[s % log->cap]);
    for (size_t i = 0; i < log->nhold; i++)
        entry_clear(&log->hold[i]);
    log->nhold = 0;
    log->first = log->next = seq ? seq : 1;
}

uint64_t lm_chatlog_chain(uint64_t prev, uint64_t seq, uint64_t origin,
                          uint64_t msgid)
{
    /* splitmix64's finaliser over the fields: not a defence against a
     * lying hub (which can say anything), only against coincidence */
    uint64_t x = prev ^ seq * 0x9E3779B97F4A7C15ULL ^
                 origin * 0xC2B2AE3D27D4EB4FULL ^
                 msgid * 0x165667B19E3779F9ULL;
    x ^= x >> 30;
    x *= 0xBF58476D1CE4E5B9ULL;
    x ^= x >> 27;
    x *= 0x94D049BB133111EBULL;
    x ^= x >> 31;
    return x;
}
