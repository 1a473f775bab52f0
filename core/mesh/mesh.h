/* mesh.h - what a service sees of the node: the members, their roles, the
 * channels, the clock and the event queue.
 *
 * A service (chat, the room's election, later audio, video, screen and
 * files) is a table of ops and an opaque state, attached to a node before
 * it starts. The node runs every op on its net thread: it hands each
 * opened packet to the service that owns its message type, tells every
 * service when a member joins, leaves or is relinked and when the roles
 * change, and calls each service's tick by the deadline it asked for.
 * A service includes this header and the base, never the node's private
 * struct, and keeps everything of its own in its own .c.
 *
 *   static const uint8_t types[] = {LM_MSG_CHAT, ...};
 *   static const lm_service_ops ops = {
 *       .name = "chat", .channel = LM_CH_CHAT,
 *       .types = types, .ntypes = sizeof types,
 *       .on_receive = on_receive, .tick = tick, .free = chat_free,
 *   };
 *   lm_mesh_attach(node, &ops, state);
 *
 * A member is a node whose hello has been checked and whose link is not
 * being closed: the one definition every service shares. Its link may be
 * briefly gone while it is replaced (a send is then dropped); the node
 * says so with LM_MEMBER_RELINKED when the new link is up. */
#ifndef LM_MESH_H
#define LM_MESH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "node.h"
#include "wire.h"

typedef struct lm_member {
    uint64_t id;
    uint32_t run;    /* its run now: a restart is a new run */
    char name[LM_NAME_MAX + 16]; /* as the room shows it: "alice (2)" */
    char base[LM_NAME_MAX + 1];  /* as it calls itself */
    bool forced;     /* its intro said it was started with --host */
    lm_elect_state intro_st; /* the roles its intro advertised */
} lm_member;

typedef enum lm_member_change {
    LM_MEMBER_JOINED,
    LM_MEMBER_LEFT,     /* the id is no longer a member */
    LM_MEMBER_RELINKED, /* same member and run, a new link: what went out
                           on the old one may be lost */
} lm_member_change;

typedef struct lm_service_ops {
    const char *name;
    uint8_t channel;       /* the ENet channel its messages travel on */
    const uint8_t *types;  /* the message types it owns */
    size_t ntypes;
    /* A message from a member, opened and checked to be on the right
     * channel: data[0] is its type. The service decodes it. */
    void (*on_receive)(void *svc, const lm_member *from, const uint8_t *data,
                       size_t len);
    void (*on_member)(void *svc, const lm_member *m, lm_member_change change);
    /* the roles changed (old and new, lm_mesh_roles gives the new) */
    void (*on_roles)(void *svc, const lm_elect_state *old,
                     const lm_elect_state *now);
    /* Housekeeping; returns the next monotonic time it wants to run, 0 for
     * no deadline. The node also calls it after every event it delivers. */
    int64_t (*tick)(void *svc, int64_t now_us);
    void (*free)(void *svc); /* at lm_node_free, after the thread stopped */
} lm_service_ops;

#define LM_MAX_SERVICES 8

/* Before lm_node_start. The node keeps ops and svc until it is freed, then
 * calls ops->free(svc). Returns 0, LM_EFULL (too many services) or
 * LM_EINVAL (started, or a type another service owns). */
int lm_mesh_attach(lm_node *n, const lm_service_ops *ops, void *svc);

/* ---- members and roles ---------------------------------------------------
 * Iterate with a cursor starting at 0:
 *   lm_member m;
 *   for (size_t it = 0; lm_mesh_next(n, &it, &m);) ...
 */
bool lm_mesh_next(lm_node *n, size_t *cursor, lm_member *out);
bool lm_mesh_member(lm_node *n, uint64_t id, lm_member *out); /* false: none */
size_t lm_mesh_count(lm_node *n); /* members, not counting this node */

uint64_t lm_mesh_self(const lm_node *n);
uint32_t lm_mesh_run(const lm_node *n);
const char *lm_mesh_self_name(const lm_node *n); /* as the room shows it */
bool lm_mesh_forced(const lm_node *n); /* started with --host */

/* Who is hub and deputy now. Only the room service sets them; every
 * service hears of a change through on_roles. */
const lm_elect_state *lm_mesh_roles(const lm_node *n);
/* "hub", "deputy" or "member" for id under st (NULL: member). */
const char *lm_role_name(const lm_elect_state *st, uint64_t id);
void lm_mesh_set_roles(lm_node *n, const lm_elect_state *st);

/* True for a moment after this node did not run for a while (SIGSTOP, a
 * laptop lid): its view of the room is stale until the links catch up. */
bool lm_mesh_stale(const lm_node *n);

/* True while some pair of members has not reached each other for a few
 * seconds (the cut was told as an "unreachable" error event). */
bool lm_mesh_cut_lasting(lm_node *n);
/* The member that reaches strictly more of the room than this node (the
 * counts in *theirs and *ours), 0 when none does. */
uint64_t lm_mesh_reach_successor(lm_node *n, size_t *theirs, size_t *ours);

/* ---- sending ------------------------------------------------------------- */

#define LM_SEND_UNRELIABLE 0x01 /* may be lost; never resent */

/* Seals and sends an encoded message to one member; LM_EIO when it is no
 * member or its link is being replaced, LM_EINVAL for a bad channel. */
int lm_mesh_send(lm_node *n, uint64_t to, uint8_t channel,
                 const uint8_t *data, size_t len, unsigned flags);
/* To every member but `except` (0 for none). */
void lm_mesh_send_all(lm_node *n, uint8_t channel, const uint8_t *data,
                      size_t len, unsigned flags, uint64_t except);
/* The same for a message of the common codec (wire.h), encoded here. */
int lm_mesh_send_msg(lm_node *n, uint64_t to, uint8_t channel,
                     const lm_msg *m);
void lm_mesh_send_msg_all(lm_node *n, uint8_t channel, const lm_msg *m,
                          uint64_t except);

/* Brings svc's next tick forward to at_us (monotonic µs) when that is
 * sooner than the deadline its last tick returned; net thread. */
void lm_mesh_tick_at(lm_node *n, const void *svc, int64_t at_us);

/* Bytes this node has handed the link to `to` (every channel) that it
 * has not yet seen acknowledged: ENet's queue plus what is in flight; 0
 * for no member. A bulk sender (files) keeps this small, so a chat line
 * or a control message queued after it waits for little: ENet sends one
 * peer's reliable messages in order, whatever their channel. */
size_t lm_mesh_queued(lm_node *n, uint64_t to);

/* A message from `from` did not decode (rc from the codec): counted, and
 * a peer that keeps doing it is reported. */
void lm_mesh_bad(lm_node *n, uint64_t from, uint8_t channel, int rc);
/* Cuts a member off on purpose (a flood); it leaves with this reason. */
void lm_mesh_expel(lm_node *n, uint64_t id, const char *reason);

/* ---- events, log, clock, and the front end's thread ---------------------- */

/* A zeroed event of `size` bytes (its lm_ev_* struct, which starts with
 * the lm_event header) with the header filled; NULL when out of memory.
 * Set h.droppable for a media notice, h.drop when the payload owns memory. */
void *lm_mesh_event(lm_node *n, lm_event_type type, size_t size);
void lm_mesh_emit(lm_node *n, lm_event *ev); /* takes ownership */
void lm_mesh_error(lm_node *n, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void lm_mesh_log(lm_node *n, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int64_t lm_mesh_now_us(void); /* monotonic */

/* Runs fn(svc, arg) on the net thread, in order with the node's other
 * commands; any thread. drop(arg) frees arg after fn ran, or when the
 * node stops first. Returns 0, or LM_EFULL when the command queue is full
 * (nothing posted: wait for lm_node_cmd_fd and post again). */
int lm_mesh_post(lm_node *n, void (*fn)(void *svc, void *arg), void *svc,
                 void *arg, void (*drop)(void *arg));

#endif
