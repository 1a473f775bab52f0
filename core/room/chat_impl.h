/* chat_impl.h - chat's own state, shared by its two files only: chat.c
 * (the service: ordering, sync, history) and chat_cmd.c (the commands
 * and direct messages). Nothing outside core/room includes it. */
#ifndef LM_CHAT_IMPL_H
#define LM_CHAT_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "bucket.h"
#include "chat.h"
#include "chatlog.h"
#include "wire.h"

#define LM_MAX_PENDING 256 /* own group messages not yet seen ordered */
#define LM_AWAIT_MAX 256   /* hub messages held until it answers our request */
#define LM_MAX_HELD 512    /* submissions a hub holds while its view is stale */
#define LM_SYNC_RETRY_US 2000000 /* a hub answers a sync request within this */
#define LM_ACK_RETRY_US 1000000  /* a deputy acknowledges within this */
/* Limits. A person types far slower than this; the burst covers a sender
 * handing all its pending messages to a new hub at once. A peer past the
 * burst is dropped, and cut off once it has overrun it by LM_FLOOD_LIMIT
 * messages. The sender keeps to LM_SEND_* itself, so an honest node never
 * meets the receiving limit. */
#define LM_CHAT_RATE 20.0   /* messages per second, sustained */
#define LM_CHAT_BURST 400.0 /* at this node, per peer */
#define LM_SEND_BURST 40.0  /* what this node lets its own user send */
#define LM_FLOOD_LIMIT 200

typedef struct lm_pending {
    uint64_t msgid;
    int64_t ts;
    char *text;
} lm_pending;

/* A message the hub took while its view of the room was stale (just back
 * from a stall): ordered once the view is fresh and it is still hub. */
typedef struct lm_held {
    uint64_t origin;
    char name[LM_NAME_MAX + 16];
    uint64_t msgid;
    int64_t ts;
    char *text;
} lm_held;

typedef struct lm_shown {
    uint64_t origin;
    uint64_t msgid;
} lm_shown;

/* What this node allows each member: its chat and direct messages. */
typedef struct lm_allowance {
    uint64_t id; /* 0: a free slot */
    lm_bucket rate;
    unsigned flooded; /* messages dropped by rate */
} lm_allowance;

struct lm_chat {
    lm_node *n;
    lm_chatlog *log;
    uint64_t next_msgid; /* run << 32 | count */
    lm_pending pending[LM_MAX_PENDING];
    size_t npending;
    lm_held held[LM_MAX_HELD]; /* hub: submissions held over a stall */
    size_t nheld;
    uint64_t synced_hub; /* hub we sent our sync request and pending to */
    lm_bucket send_rate; /* our own user's messages */
    /* after histories were joined: messages already shown, not to repeat */
    lm_shown shown[LM_CHATLOG_CAP];
    size_t nshown, shown_next;
    uint32_t sync_ask; /* number of our latest sync request */
    int64_t sync_sent_us;
    bool sync_answered;
    /* the hub's messages that came before its answer to our request */
    lm_chat_entry await[LM_AWAIT_MAX];
    size_t nawait;
    uint64_t acked_upto; /* hub: last seq the deputy holds */
    int64_t ack_seen_us; /* hub: when the deputy last kept up */
    uint64_t ack_deputy; /* hub: the deputy ack_seen_us is about */
    lm_allowance allow[LM_MAX_PEERS];
};

/* chat.c */
bool chat_is_hub(const lm_chat *c);
void chat_send_to(lm_chat *c, uint64_t to, const lm_msg *m);
void chat_hub_order(lm_chat *c, uint64_t origin, const char *name,
                    uint64_t msgid, int64_t ts, const char *text);
void chat_submit(lm_chat *c, uint64_t hub, const lm_pending *p);
lm_ev_chat *chat_new_event(lm_chat *c); /* NULL: no memory */

/* chat_cmd.c */
void chat_emit_dm(lm_chat *c, uint64_t from, const char *name,
                  const lm_msg *m);

#endif
