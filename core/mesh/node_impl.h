/* node_impl.h - the node's private state, shared by the files of the mesh
 * only: node.c (API, thread, ENet loop), link.c (dialling, peer lists),
 * hello.c (the handshake and the seal), cuts.c (who cannot reach whom)
 * and mesh.c (what services see, mesh.h). Services never include it.
 * Everything here belongs to the net thread once lm_node_start() has run;
 * other threads reach it only through the command queue. */
#ifndef LM_NODE_IMPL_H
#define LM_NODE_IMPL_H

#include <enet/enet.h>
#include <pthread.h>
#include <stdatomic.h>

#include "crypto.h"
#include "mesh/mesh.h"
#include "node.h"
#include "queue.h"

#define LM_MAX_LINKS (2 * LM_MAX_PEERS) /* room for links still saying hello */
#define LM_MAX_HINTS 128
#define LM_MAX_BLOCKS 64

/* Liveness tuned for a LAN (DESIGN.md 10): ping every 200 ms, give up on a
 * peer after 400-1000 ms without an acknowledgement. ENet starts every
 * link believing the round trip is 500 ms, so two lost copies of one
 * command in a link's first seconds used to exceed the 1 s maximum and cut
 * a live peer (seen at 5 % loss). Starting from a LAN's round trip instead
 * makes a cut need five or more losses in a row. */
#define LM_PING_MS 200
#define LM_TIMEOUT_MIN_MS 400
#define LM_TIMEOUT_MAX_MS 1000
#define LM_TIMEOUT_LIMIT 16  /* retry doublings before the minimum applies */
#define LM_INITIAL_RTT_MS 30 /* a LAN's round trip, generously */

/* Two members that cannot reach each other (reach.h) are told once the cut
 * has lasted this long: links come up one by one, so a joining node is a
 * "cut" for a moment. */
#define LM_CUT_STABLE_US 3000000
#define LM_MAX_CUTS 128 /* cut pairs tracked; more are counted, not told */
#define LM_TICK_US 100000 /* the mesh's housekeeping: dials, hello timeouts,
                             orphans, cuts (services keep their own) */
#define LM_DIAL_RETRY_US 500000
#define LM_DIAL_RETRY_MAX_US 4000000
#define LM_PEERS_GAP_US 250000 /* our link list goes out at most this often */
#define LM_ORPHAN_US 1500000 /* how long a member may wait for its link */
#define LM_EARLY_MAX 16      /* messages held for a hello still on its way */
#define LM_HELLO_TIMEOUT_US 4000000 /* a link must finish its hello by then */
/* A loop turn this late means this node was stopped (SIGSTOP, a laptop
 * lid): the links that now time out say nothing about the room. */
#define LM_STALL_US 700000
#define LM_STALL_GRACE_US 2500000
/* A node restarted on our address gets its previous run's last packets
 * for about as long as ENet takes to give up on that run (~1 s). */
#define LM_STALE_US 3000000
#define LM_MAX_OTHERS 32    /* nodes of our room name with another key */
#define LM_OTHER_RETRY_US 30000000 /* such a node, once judged, is dialled
                                      this seldom */
#define LM_MAX_FULL_TOLD 16 /* refused nodes the room was told of */

/* ENet disconnect data: why a link was closed on purpose. */
enum { LM_BYE_NONE = 0, LM_BYE_QUIT = 1, LM_BYE_REJECT = 2, LM_BYE_DUP = 3 };

/* An event waiting for room in the queue to the front end. */
typedef struct lm_held_event {
    lm_event *ev;
    struct lm_held_event *next;
} lm_held_event;
#define LM_EVENT_HOLD_MAX 100000 /* ~100 MB at most, then loss is told */

typedef struct lm_link {
    bool used;
    ENetPeer *peer;
    bool dialed;   /* we initiated it */
    bool hello_ok; /* their hello checked: a member of the room */
    bool silent;   /* closed on purpose: no peer_left for it */
    uint64_t id;
    char name[LM_NAME_MAX + 1];
    char display[LM_NAME_MAX + 16];
    int64_t start_ms;
    uint32_t run; /* its run now, from its intro */
    bool forced;       /* its intro said --host */
    lm_elect_state st; /* the roles its intro advertised */
    uint32_t ipv4; /* host order, as seen on the socket */
    uint16_t port; /* their listening port, from the hello */
    int64_t opened_us;
    /* A member whose ENet link the other end closed as a duplicate: it is
     * still in the room (its other link is on the way) until this time;
     * peer is NULL meanwhile and sends are dropped. 0: not an orphan. */
    int64_t orphan_until_us;
    unsigned bad; /* malformed messages from this peer */
    uint64_t reports[LM_MAX_PEERS]; /* members it says it is linked to */
    size_t nreports;
    lm_ephemeral eph;               /* for the hello; wiped once keyed */
    bool keyed;                     /* hellos swapped, sessions derived */
    int64_t keyed_us;
    lm_session sess[LM_CH_COUNT];   /* one per channel: ENet orders each alone */
    /* ENet orders each channel alone, so a chat message sent right after
     * the other side's hello can overtake it; such messages wait here. */
    struct {
        uint8_t channel;
        uint8_t *data;
        size_t len;
    } early[LM_EARLY_MAX];
    size_t nearly;
} lm_link;

enum lm_hint_source {
    LM_HINT_STATIC = 1,    /* --peer: kept for the node's life */
    LM_HINT_DISCOVERY = 2, /* mDNS: kept until discovery loses it */
    LM_HINT_GOSSIP = 3,    /* a peer's list or a hello: dropped when dead */
};
#define LM_GOSSIP_FAILS 4 /* dials before a gossiped address is dropped */

typedef struct lm_hint {
    bool used;
    uint64_t id; /* 0 when unknown (--peer) */
    uint32_t ipv4;
    uint16_t port;
    int source;   /* lm_hint_source */
    bool is_self; /* this address answered with our own id */
    int fails;    /* dials that came to nothing since the last success */
    int64_t next_try_us;
    int64_t backoff_us;
} lm_hint;

/* A node of our room name whose hello showed another room key. */
typedef struct lm_other {
    uint64_t id;
    uint32_t ipv4;
    uint16_t port;
    int64_t first_us, last_us; /* its first and latest hello */
    uint8_t flags;             /* LM_HELLO_* of the latest */
    bool judged;               /* told about: intruder or neighbouring room */
} lm_other;

typedef enum lm_cmd_type {
    LM_CMD_CALL, /* a service's command: fn(svc, arg) (lm_mesh_post) */
    LM_CMD_WHO,
    LM_CMD_STATS,
    LM_CMD_HINT,
    LM_CMD_FORGET,
    LM_CMD_DROP,
    LM_CMD_BLOCK,
    LM_CMD_UNBLOCK,
    LM_CMD_ERROR, /* a front end's error, passed through as an event */
    LM_CMD_WAKE,  /* nothing: wakes the thread to see the stop flag */
} lm_cmd_type;

typedef struct lm_cmd {
    lm_cmd_type type;
    char *text;
    void (*fn)(void *svc, void *arg);
    void *svc, *arg;
    void (*drop)(void *arg);
    uint64_t id;
    uint32_t ipv4;
    uint16_t port;
    double fraction;
    char code[24];
} lm_cmd;

struct lm_node {
    lm_node_config cfg;
    char name[LM_NAME_MAX + 1];
    char room[LM_ROOM_MAX + 1];
    char display[LM_NAME_MAX + 16]; /* own name as the room shows it */
    uint64_t id; /* lm_id_from_pk(identity.pk) */
    lm_identity identity;
    uint8_t room_key[LM_KEY_BYTES];
    uint64_t room_tag; /* published in the hello: tells rooms apart */
    bool private_room;
    uint64_t key_check;       /* lm_room_key_check(room_key) */
    bool told_wrong_password; /* the joiner is told once */
    bool told_other_room;     /* a neighbouring room is noted once */
    lm_other others[LM_MAX_OTHERS];
    size_t nothers, others_next;
    /* refused by a full room: no dials until full_until_us */
    int64_t full_seen_us, full_until_us, full_backoff_us;
    bool told_full;
    uint64_t full_told[LM_MAX_FULL_TOLD]; /* refused nodes we told of */
    size_t nfull_told, full_told_next;
    int64_t start_ms, start_us;
    ENetHost *host;
    uint16_t port;

    pthread_t thread;
    bool started;
    atomic_bool stop;
    lm_queue *cmds;    /* the front end's commands */
    lm_queue *hints_q; /* discovery's hints and losses */
    lm_queue *events;

    lm_link links[LM_MAX_LINKS];
    lm_hint hints[LM_MAX_HINTS];

    /* roles, set by the room service (lm_mesh_set_roles) */
    lm_elect_state st;
    int64_t stall_until_us; /* after a stall, our view of the room is stale */
    uint32_t run; /* random per run: names it in message ids and claims */
    /* who cannot reach whom (reach.h): pairs and since when */
    struct {
        uint64_t a, b;
        int64_t since_us;
        bool told;
    } cuts[LM_MAX_CUTS];
    size_t ncuts;
    bool reach_dirty; /* a list or a link changed: look again */
    bool peers_due;        /* our link list changed since we last sent it */
    int64_t peers_sent_us; /* when we last sent it; 0 never */
    bool cut_lasting; /* some cut has lasted LM_CUT_STABLE_US */

    /* services, in the order they were attached */
    struct {
        const lm_service_ops *ops;
        void *svc;
        int64_t due_us; /* its next tick; 0: at the next turn */
    } services[LM_MAX_SERVICES];
    size_t nservices;

    /* events the front end has not read yet, beyond the queue (node.c) */
    struct lm_held_event *held_head, *held_tail;
    size_t nheld_events;
    bool told_lost;

    /* counters, reported by the stats command */
    unsigned long unknown_msgs, bad_msgs, slow_hellos;
    unsigned long dropped_events; /* droppable ones, for a slow reader */
    unsigned long lost_events;    /* past LM_EVENT_HOLD_MAX, or no memory */
    unsigned long held_events;    /* that had to wait for the reader */
    unsigned long stale_msgs; /* an earlier run's packets on a new link */

    /* test faults */
    double drop;
    uint64_t rng;
    struct {
        uint32_t ipv4;
        uint16_t port;
    } blocks[LM_MAX_BLOCKS];
    size_t nblocks;
};

/* node.c */
void node_emit(lm_node *n, lm_event *ev); /* takes ownership */
/* A zeroed event of `size` bytes (its lm_ev_* struct) with the header
 * filled; NULL when out of memory. */
void *node_event(lm_node *n, lm_event_type type, size_t size);
void node_error(lm_node *n, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void node_log(lm_node *n, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int link_send(lm_node *n, lm_link *l, uint8_t channel, const lm_msg *m);
/* Encodes m into buf; the length, or the codec's error (logged). */
int link_encode(lm_node *n, const lm_msg *m, uint8_t buf[LM_WIRE_MAX]);
/* Seals plain (an encoded message) for l's channel and sends it. */
int link_send_bytes(lm_node *n, lm_link *l, uint8_t channel,
                    const uint8_t *plain, size_t len, unsigned flags);

/* hello.c: the handshake and the seal */
void link_on_connect(lm_node *n, ENetPeer *peer);
void link_on_receive(lm_node *n, ENetPeer *peer, uint8_t channel,
                     const uint8_t *data, size_t len);
void hello_tick(lm_node *n, int64_t now_us); /* judges nodes of other keys */
bool hello_other_judged(lm_node *n, uint64_t id);
bool hello_may_dial(lm_node *n, int64_t now_us); /* false: a full room waits */

/* link.c: the mesh */
void link_on_disconnect(lm_node *n, ENetPeer *peer, uint32_t data);
lm_link *link_of(ENetPeer *peer);
lm_link *link_alloc(lm_node *n, ENetPeer *peer, bool dialed);
void link_tune(ENetPeer *p);
lm_hint *link_hint_by_addr(lm_node *n, uint32_t ipv4, uint16_t port);
void link_emit_peer(lm_node *n, lm_link *l, lm_event_type type,
                    const char *reason);
void link_peers_changed(lm_node *n);
int64_t link_peers_flush(lm_node *n, int64_t now_us);
void link_tick(lm_node *n, int64_t now_us);
void link_hint(lm_node *n, uint64_t id, uint32_t ipv4, uint16_t port,
               int source);
void link_forget(lm_node *n, uint64_t id);
lm_link *link_by_id(lm_node *n, uint64_t id);
void link_close(lm_node *n, lm_link *l, uint32_t why);
/* Closes a link on purpose; a member leaves the room with this reason. */
void link_expel(lm_node *n, lm_link *l, const char *reason);
void link_release(lm_link *l); /* frees the slot and what it holds */
void link_update_names(lm_node *n);
void link_addr_str(uint32_t ipv4, uint16_t port, char *buf, size_t cap);

/* mesh.c: the services */
bool link_is_member(const lm_link *l); /* the one definition (mesh.h) */
void mesh_member_of(const lm_link *l, lm_member *out);
/* Tells every service, in attach order, that m joined, left or was
 * relinked; for LM_MEMBER_LEFT once the link is no longer a member. */
void mesh_member_changed(lm_node *n, const lm_member *m, lm_member_change c);
/* An opened packet of a type no mesh code owns: to its service. Returns
 * false when no service owns the type. */
bool mesh_dispatch(lm_node *n, lm_link *l, uint8_t channel,
                   const uint8_t *data, size_t len, const char *addr);
/* Runs the services whose deadline has come; returns the next deadline. */
int64_t mesh_tick(lm_node *n, int64_t now_us);
void mesh_free(lm_node *n); /* the services' state, after the thread */
void mesh_who(lm_node *n);  /* the members event */
/* hello.c's check of a malformed message, for mesh.c */
void hello_bad_message(lm_node *n, lm_link *l, uint8_t channel, int rc,
                       const char *addr);

/* cuts.c */
void cuts_on_peers(lm_node *n, lm_link *l, const lm_msg *m); /* PEERS */
void cuts_tick(lm_node *n, int64_t now_us);
/* The member reaching strictly more of the room than us, 0 if none. */
uint64_t cuts_successor(lm_node *n, size_t *theirs, size_t *ours);

#endif
