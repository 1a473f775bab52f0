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
    size_t test_event_cap; /* events queued for the front end before they
                              wait in the node; 0: the default (with
                              test_faults only) */
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
    LM_EV_STATS,
    /* the audio service's (core/audio/audio.h) */
    LM_EV_SPEAKING,
    LM_EV_MUTED,
    LM_EV_AUDIO,
    LM_EV_AUDIO_STATS,
    /* the file service's (core/files/files.h) */
    LM_EV_FILE_OFFERED,
    LM_EV_FILE_PROGRESS,
    LM_EV_FILE_DONE,
    LM_EV_FILE_FAILED,
    /* the video service's (core/video/video.h) */
    LM_EV_VIDEO,
    LM_EV_VIDEO_FRAME,
    LM_EV_VIDEO_STATS,
} lm_event_type;

/* Every event starts with this header; the payload that follows depends on
 * the type (the lm_ev_* structs below, and those a service declares in its
 * own header). Take the payload with the accessor for the type, which
 * returns NULL for an event of another type. Events are heap allocated and
 * freed with lm_event_free. */
typedef struct lm_event {
    lm_event_type type;
    int64_t t_ms;   /* node's monotonic clock, ms */
    bool droppable; /* a media notice: dropped, and counted, when the front
                       end falls far behind. Chat and control never are. */
    void (*drop)(struct lm_event *ev); /* frees what the payload owns */
} lm_event;

typedef struct lm_ev_ready {
    lm_event h;
    uint64_t id;
    char name[LM_NAME_MAX + 16];
    char room[LM_ROOM_MAX + 1];
    uint16_t port;
    bool private_room; /* the room has a password */
    char fingerprint[LM_FINGERPRINT_LEN]; /* of this node's key */
} lm_ev_ready;

typedef struct lm_ev_peer { /* peer_joined, peer_left */
    lm_event h;
    uint64_t id;
    char name[LM_NAME_MAX + 16];
    char addr[32];   /* "a.b.c.d:port" */
    char reason[32]; /* peer_left */
} lm_ev_peer;

typedef struct lm_ev_hub {
    lm_event h;
    lm_elect_state st;
} lm_ev_hub;

typedef struct lm_ev_chat {
    lm_event h;
    uint64_t from;
    char name[LM_NAME_MAX + 16];
    bool direct; /* a direct message: to[] holds the recipients */
    size_t nto;
    uint64_t to[LM_MAX_PEERS];
    int64_t ts;   /* UTC ms at the sender */
    uint64_t seq; /* group messages */
    bool history; /* delivered as history on joining */
    char *text;   /* owned by the event */
} lm_ev_chat;

typedef struct lm_member_info {
    uint64_t id;
    char name[LM_NAME_MAX + 16]; /* display name, made unique: "alice (2)" */
    const char *role;            /* static string: hub, deputy, member */
} lm_member_info;

typedef struct lm_ev_members {
    lm_event h;
    size_t n;
    lm_member_info *members; /* owned by the event; this node first */
} lm_ev_members;

typedef struct lm_ev_error {
    lm_event h;
    char code[24];
    char msg[256];
    uint64_t a, b; /* unreachable / reachable: the two nodes, else 0 */
} lm_ev_error;

typedef struct lm_peer_stats {
    uint64_t id;
    char name[LM_NAME_MAX + 16];
    uint32_t rtt_ms;  /* ENet's smoothed round trip */
    double loss;      /* ENet's packet loss estimate, 0..1 */
    unsigned bad;     /* malformed messages from it */
} lm_peer_stats;

typedef struct lm_ev_stats { /* the answer to `stats` */
    lm_event h;
    unsigned long bad_msgs;      /* malformed, from anyone */
    unsigned long unknown_msgs;  /* of a type no service here owns */
    unsigned long stale_msgs;    /* an earlier run's packets on a new link */
    unsigned long slow_hellos;   /* links closed for not saying hello */
    unsigned long dropped_events; /* media notices dropped for a slow reader */
    unsigned long held_events;   /* events that waited for the reader */
    size_t npeers;
    lm_peer_stats *peers; /* owned by the event */
} lm_ev_stats;

#define LM_EV_ACCESSOR(T, TYPE)                                             \
    static inline const T *T##_of(const lm_event *ev)                      \
    {                                                                      \
        return ev && ev->type == (TYPE) ? (const T *)(const void *)ev : NULL; \
    }
LM_EV_ACCESSOR(lm_ev_ready, LM_EV_READY)
LM_EV_ACCESSOR(lm_ev_hub, LM_EV_HUB)
LM_EV_ACCESSOR(lm_ev_chat, LM_EV_CHAT)
LM_EV_ACCESSOR(lm_ev_members, LM_EV_MEMBERS)
LM_EV_ACCESSOR(lm_ev_error, LM_EV_ERROR)
LM_EV_ACCESSOR(lm_ev_stats, LM_EV_STATS)
static inline const lm_ev_peer *lm_ev_peer_of(const lm_event *ev)
{
    return ev && (ev->type == LM_EV_PEER_JOINED || ev->type == LM_EV_PEER_LEFT)
               ? (const lm_ev_peer *)(const void *)ev : NULL;
}

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
int lm_node_stats(lm_node *n); /* answered by a stats event */
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
