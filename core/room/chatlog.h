/* chatlog.h - the room's ordered group messages: pure logic, no I/O.
 *
 * Every node keeps one, so any node can take over as hub with the history.
 * It holds the last `cap` messages of a contiguous run of sequence numbers
 * [first, next). Messages offered out of order are held (a bounded number)
 * until the gap fills; each message that becomes part of the run is handed
 * to the deliver callback exactly once, in order. Owned by the net thread.
 */
#ifndef LM_CHATLOG_H
#define LM_CHATLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire.h"

#define LM_CHATLOG_CAP 1000 /* group messages a hub keeps for late joiners */
#define LM_CHATLOG_HOLD 512 /* out-of-order messages held for a gap */

typedef struct lm_chat_entry {
    uint64_t seq;
    uint64_t chain; /* the hub's digest of the history up to here */
    uint64_t origin;
    uint64_t msgid;
    int64_t ts;
    uint8_t flags; /* LM_CHAT_HISTORY when it arrived as history */
    char name[LM_NAME_MAX + 1];
    char *text; /* owned by the log */
} lm_chat_entry;

typedef void (*lm_chatlog_deliver_fn)(void *ud, const lm_chat_entry *e);

typedef struct lm_chatlog lm_chatlog;

lm_chatlog *lm_chatlog_new(size_t cap, lm_chatlog_deliver_fn fn, void *ud);
void lm_chatlog_free(lm_chatlog *log); /* NULL-safe */

/* Offers a message (text is copied). Returns 1 when it was delivered or
 * held, 0 when it is a duplicate (seq already past), LM_EFULL when the hold
 * is full, LM_ENOMEM. Delivery of it and of any held successors happens
 * inside the call. */
int lm_chatlog_offer(lm_chatlog *log, const lm_chat_entry *e);

/* The hub's history starts at seq: when that is past next, drop what is
 * held below it and continue from there (older messages are gone). */
void lm_chatlog_skip_to(lm_chatlog *log, uint64_t seq);

uint64_t lm_chatlog_next(const lm_chatlog *log);  /* next seq expected */
uint64_t lm_chatlog_first(const lm_chatlog *log); /* oldest kept, == next when empty */
/* Entry with this seq, NULL when not kept. Borrowed until the next offer. */
const lm_chat_entry *lm_chatlog_get(const lm_chatlog *log, uint64_t seq);
/* True when the entry (origin, msgid) is kept. */
bool lm_chatlog_has(const lm_chatlog *log, uint64_t origin, uint64_t msgid);
/* Forgets everything, held messages too, and expects seq next: the hub's
 * history took another course than ours (a healed partition). */
void lm_chatlog_reset(lm_chatlog *log, uint64_t seq);

/* The digest a hub stamps on the entry after prev: equal digests at one
 * seq mean one history up to there (a message handed again after a split
 * can sit at the same seq in two histories; the digest tells them apart). */
uint64_t lm_chatlog_chain(uint64_t prev, uint64_t seq, uint64_t origin,
                          uint64_t msgid);

#endif
