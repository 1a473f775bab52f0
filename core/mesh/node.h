/* node.h - the lanmeet node: the one API every front end drives.
 *
 * Create a node from a config, start it, feed it commands and peer hints,
 * and drain events from it. lm_node_start() spawns the net thread, which
 * owns the ENet host, the mesh, the election and the chat state; nothing
 * else touches them. Every other function here is thread-safe and never
 * blocks on the network: commands and hints go through bounded queues, and
 * events come back through a bounded queue whose readiness is signalled on
 * lm_node_event_fd() for poll().
 *
 * Ids are 64-bit, shown as 16 lowercase hex digits; the smaller id dials.
 */
#ifndef LM_NODE_H
#define LM_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto.h"
#include "wire.h"

#define LM_VERSION "0.1.0"
#define LM_ID_STR 17 /* 16 hex digits and a NUL */

typedef struct lm_node lm_node;

typedef struct lm_node_config {
    const char *name;   /* display name; required */
    const char *room;   /* default "main" */
    const char *bind;   /* IPv4 address to bind, NULL for any */
    uint16_t port;      /* ENet port; 0 picks a free one */
    bool port_fixed;    /* fail rather than try the next ports */
    bool force_host;    /* --host */
    const lm_identity *identity; /* required; copied. The id derives from it */
    const char *password; /* NULL or "": an open room */
    bool test_faults;   /* accept test_* commands (harness only) */
    bool quiet;         /* no log lines on stderr (a person's terminal) */
    double test_drop;   /* fraction of incoming packets to drop */
    size_t room_cap;    /* nodes a room may hold; 0: LM_MAX_PEERS (tests
                           set less, with test_faults only) */
} lm_node_config;

typedef enum lm_event_type {
    LM_EV_READY,
    LM_EV_PEER_JOINED,
    LM_EV_PEER_LEFT,
    LM_EV_HUB,
    LM_EV_CHAT,
    LM_EV_MEMBERS,
    LM_EV_ERROR,
} lm_event_type;

typedef struct lm_member_info {
    uint64_t id;
    char name[LM_NAME_MAX + 16]; /* display name, made unique: "alice (2)" */
    const char *role;            /* static string: hub, deputy, member */
} lm_member_info;

/* One event; heap allocated, freed with lm_event_free. Fields not used by
 * a type are zero. */
typedef struct lm_event {
    lm_event_type type;
    int64_t t_ms; /* node's monotonic clock, ms */
    uint64_t id;  /* ready, peer_*: the node; chat: sender */
    char name[LM_NAME_MAX + 16];
    char room[LM_ROOM_MAX + 1];
    char addr[32];    /* peer_*: "a.b.c.d:port" */
    char reason[32];  /* peer_left */
    uint16_t port;    /* ready */
    bool private_room; /* ready: the room has a password */
    char fingerprint[LM_FINGERPRINT_LEN]; /* ready: of this node's key */
    lm_elect_state st; /* hub */
    /* chat */
    bool direct;      /* a direct message: to[] holds the recipients */
    size_t nto;
    uint64_t to[LM_MAX_PEERS];
    int64_t ts;       /* UTC ms at the sender */
    uint64_t seq;     /* group messages */
    bool history;     /* delivered as history on joining */
    char *text;       /* chat text, owned by the event */
    /* members */
    size_t nmembers;
    lm_member_info *members; /* owned by the event */
    /* error */
    char code[24];
    char msg[256];
    uint64_t pair[2]; /* unreachable / reachable: the two nodes, else 0 */
} lm_event;

void lm_event_free(lm_event *ev); /* NULL-safe */

/* Checks the config and creates the ENet host (so the port is known).
 * Returns NULL with *err set on failure. */
lm_node *lm_node_new(const lm_node_config *cfg, int *err);
void lm_node_free(lm_node *n); /* stops the thread first; NULL-safe */

int lm_node_start(lm_node *n);
/* Asks the net thread to say goodbye to every peer and stop; returns at
 * once. lm_node_free waits for it. */
void lm_node_stop(lm_node *n);
/* Stops the node and waits for the net thread to finish; the events it
 * made on the way out can still be taken. */
void lm_node_wait(lm_node *n);

uint64_t lm_node_id(const lm_node *n);
uint16_t lm_node_port(const lm_node *n);

/* A place where a peer may be listening (from discovery or --peer).
 * id 0 when unknown. Thread-safe. */
int lm_node_hint_peer(lm_node *n, uint64_t id, uint32_t ipv4, uint16_t port);
/* Discovery no longer sees this id (the link decides liveness). */
int lm_node_forget_peer(lm_node *n, uint64_t id);

/* Commands; thread-safe, answered by events. Each returns 0, or LM_EFULL
 * when the command queue is full: nothing was posted, and the caller keeps
 * the command and posts it again once lm_node_cmd_fd() is readable (so a
 * burst is slowed down, never lost). The services attached to the node
 * (chat.h, ...) have their own commands, through the same queue. */
int lm_node_who(lm_node *n); /* answered by a members event */
/* A front end's own error (bad command, discovery trouble), delivered as an
 * error event in order with the node's own events. */
int lm_node_post_error(lm_node *n, const char *code, const char *msg);
/* Test faults (only with test_faults): drop a fraction of incoming
 * packets; block or unblock all packets from an ipv4:port. */
int lm_node_test_drop(lm_node *n, double fraction);
int lm_node_test_block(lm_node *n, uint32_t ipv4, uint16_t port, bool block);

/* Readable while a command can be posted; level-triggered. */
int lm_node_cmd_fd(const lm_node *n);

/* Readable when events are waiting; level-triggered. */
int lm_node_event_fd(const lm_node *n);
/* Takes the next event (ownership passes to the caller), NULL if none. */
lm_event *lm_node_next_event(lm_node *n);

/* Formats id as 16 hex digits into buf[LM_ID_STR]. */
void lm_id_format(uint64_t id, char buf[LM_ID_STR]);
/* Parses 1-16 hex digits; returns 0 or LM_EINVAL. */
int lm_id_parse(const char *s, uint64_t *id);

#endif
