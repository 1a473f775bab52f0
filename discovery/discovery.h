/* discovery.h - finding the other nodes of the room.
 *
 * One interface, several backends chosen by name: "avahi" publishes this
 * node as _lanmeet._udp over mDNS and browses for the others; "static"
 * hands over the --peer list. A backend reports what it finds through the
 * callbacks; they may run on the backend's own thread, so they must only
 * hand the news on (lm_node_hint_peer and friends are thread-safe).
 * Discovery is a hint: a peer is in the room only once its ENet link has
 * said hello, and it leaves when that link drops.
 */
#ifndef LM_DISCOVERY_H
#define LM_DISCOVERY_H

#include <stdint.h>

#define LM_SERVICE_TYPE "_lanmeet._udp"

typedef struct lm_disc_peer {
    uint64_t id;      /* from TXT "id", 0 when unknown (--peer) */
    char name[64];    /* TXT "name", may be empty */
    char room[64];    /* TXT "room", may be empty (then: any room) */
    char role[16];    /* TXT "role": hub, deputy, member */
    uint64_t term;    /* TXT "term" */
    unsigned version; /* TXT "ver", 0 when unknown */
    uint32_t ipv4;    /* host byte order */
    uint16_t port;
} lm_disc_peer;

typedef struct lm_disc_callbacks {
    /* A peer was seen or its record changed; one call per address. */
    void (*found)(void *ud, const lm_disc_peer *p);
    /* Every record of this peer id is gone. */
    void (*lost)(void *ud, uint64_t id);
    /* One line for the user: the daemon is missing, is back, ... level 0
     * is information, 1 a warning. */
    void (*status)(void *ud, int level, const char *code, const char *msg);
    void *ud;
} lm_disc_callbacks;

/* What this node publishes; the backend copies it. */
typedef struct lm_disc_self {
    uint64_t id;
    const char *name;
    const char *room;
    uint16_t port;
    const char *role; /* "hub", "deputy", "member" */
    uint64_t term;
} lm_disc_self;

/* One opened backend. Opaque: each backend keeps its own state behind it
 * (backend.h). */
typedef struct lm_discovery lm_discovery;

typedef struct lm_discovery_ops {
    const char *name;
    /* arg is backend specific: for "static" a comma-separated HOST[:PORT]
     * list. Returns the new handle, or NULL with *err set (err may be
     * NULL). The backend keeps a copy of *cb, never the pointer. */
    lm_discovery *(*open)(const char *arg, const lm_disc_callbacks *cb,
                          int *err);
    /* First publication and every later change (role, term). */
    int (*publish)(lm_discovery *d, const lm_disc_self *self);
    void (*close)(lm_discovery *d); /* NULL-safe */
} lm_discovery_ops;

extern const lm_discovery_ops lm_discovery_avahi;
extern const lm_discovery_ops lm_discovery_static;

/* Backend by name ("avahi", "static"), NULL when there is none by that
 * name (or name is NULL). */
const lm_discovery_ops *lm_discovery_find(const char *name);

/* The ops, called through the handle, which knows its backend. open with
 * ops NULL (an unknown name from lm_discovery_find) fails with LM_EINVAL.
 * publish returns 0 or a negative LM_E* code. Threads are the backend's
 * rules (avahi.c: any thread; publish also from inside a callback, close
 * never). close is NULL-safe, and no callback runs once it returns. */
lm_discovery *lm_discovery_open(const lm_discovery_ops *ops, const char *arg,
                                const lm_disc_callbacks *cb, int *err);
int lm_discovery_publish(lm_discovery *d, const lm_disc_self *self);
void lm_discovery_close(lm_discovery *d);

#define LM_DEFAULT_PORT 47400

#endif
