/* avahi.c - the "avahi" discovery backend: mDNS/DNS-SD through avahi-daemon.
 *
 * Publishes this node as LM_SERVICE_TYPE with TXT records
 *     ver=1 id=<16 hex> name=<display name> room=<room> role=<role> term=<n>
 * under the instance name "<name> (<first 8 hex digits of id>)", and browses
 * for the other nodes on every interface (txt.c builds and reads those
 * records; this file only carries them). Each browse result gets a resolver
 * that stays open, because Avahi reports FOUND again whenever the record
 * changes: that is how a new role or term reaches the other nodes.
 *
 * Threads: everything runs on one AvahiThreadedPoll thread per instance,
 * named "the avahi thread" below. open() only starts that thread; the client
 * is created from it, so every call into lm_disc_callbacks (found, lost,
 * status) runs on the avahi thread, with this backend's lock held. The
 * callbacks must return quickly and must not call close(); they may call
 * publish(). publish() and close() take the lock from any other thread.
 *
 * Surviving the daemon: the client is made with AVAHI_CLIENT_NO_FAIL, so a
 * missing avahi-daemon is a state (CONNECTING), not an error. When the daemon
 * stops or restarts the client fails with AVAHI_ERR_DISCONNECTED; we then
 * free everything it owned and make a new client, which waits for the
 * daemon and re-publishes. NO_FAIL does not cover a missing D-Bus system bus
 * (avahi_client_new fails with AVAHI_ERR_NO_DAEMON), so that case is retried
 * every RETRY_MS. One "no_mdns" warning is given per outage and one
 * "mdns_back" when it ends. The records we knew die with the old client, so
 * an outage reports lost() for every known peer; they come back through
 * found() once the new client has browsed again.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* strdup under -std=c11 */
#endif
#include "discovery.h"

#include "backend.h"
#include "err.h"
#include "txt.h"

#include <avahi-client/client.h>
#include <avahi-client/lookup.h>
#include <avahi-client/publish.h>
#include <avahi-common/alternative.h>
#include <avahi-common/error.h>
#include <avahi-common/malloc.h>
#include <avahi-common/strlst.h>
#include <avahi-common/thread-watch.h>
#include <avahi-common/timeval.h>

#include <arpa/inet.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RETRY_MS 1000     /* no bus, or an odd failure: try again after */
#define NAME_TRIES 16     /* alternative instance names tried in a row */
#define ITEMS_ON_STACK 16 /* TXT strings of a record before we malloc */

/* a DNS label, AVAHI_LABEL_MAX - 1 bytes */
#define INSTANCE_MAX LM_TXT_INSTANCE_MAX

static const char no_mdns_msg[] =
    "avahi-daemon is not running: peers will not be found by mDNS; start "
    "avahi-daemon or use --peer HOST[:PORT]";

typedef struct avahi_disc avahi_disc;

/* One browse result (interface, protocol, name, type, domain) and its
 * resolver; it counts as a record of peer.id while `have` is set. */
typedef struct entry {
    struct entry *next;
    avahi_disc *s;
    AvahiServiceResolver *r;
    AvahiIfIndex iface;
    AvahiProtocol proto;
    char *name, *type, *domain;
    int have;
    lm_disc_peer peer; /* as last reported through found() */
} entry;

struct avahi_disc {
    lm_discovery head; /* first: the handle is &head (backend.h) */
    lm_disc_callbacks cb;
    AvahiThreadedPoll *tp;
    const AvahiPoll *api;
    AvahiTimeout *kick; /* (re)connects on the avahi thread */
    AvahiClient *client;
    AvahiEntryGroup *group;
    AvahiServiceBrowser *browser;
    entry *entries;
    int outage; /* no_mdns given, mdns_back owed */

    int have_self; /* the last publish(), kept for every new client */
    uint64_t id;
    uint16_t port;
    lm_txt_record txt;           /* its TXT strings */
    char want[INSTANCE_MAX + 1]; /* and its instance name */

    int added;                   /* service added to the group, committed */
    char base[INSTANCE_MAX + 1]; /* instance name before any collision */
    char svc[INSTANCE_MAX + 1];  /* instance name in use */
    uint16_t svc_port;
};

_Static_assert(offsetof(avahi_disc, head) == 0,
               "the handle must be the first member");

static avahi_disc *disc_of(lm_discovery *d)
{
    return (avahi_disc *)d;
}

/* The instance whose callback is running on this thread, so that publish()
 * called from a callback knows it already holds the lock. */
static _Thread_local const avahi_disc *in_callback;

/* ---- small helpers ---------------------------------------------------- */

/* Calls s->cb.fn(ud, ...) if it is set, marking this thread as inside it. */
#define CALL_OUT(s, fn, ...)                                                \
    do {                                                                    \
        const avahi_disc *prev_ = in_callback;                              \
        if ((s)->cb.fn) {                                                   \
            in_callback = (s);                                              \
            (s)->cb.fn((s)->cb.ud, __VA_ARGS__);                            \
            in_callback = prev_;                                            \
        }                                                                   \
    } while (0)

/* A warning "WHAT: avahi's words for error". */
static void warn(avahi_disc *s, const char *code, const char *what, int error)
{
    char msg[256];

    snprintf(msg, sizeof msg, "%s: %s", what, avahi_strerror(error));
    CALL_OUT(s, status, 1, code, msg);
}

static void schedule(avahi_disc *s, unsigned ms)
{
    struct timeval tv;

    s->api->timeout_update(s->kick, avahi_elapse_time(&tv, ms, 0));
}

static void no_mdns(avahi_disc *s, int error)
{
    if (s->outage)
        return;
    s->outage = 1;
    if (error == 0 || error == AVAHI_ERR_NO_DAEMON ||
        error == AVAHI_ERR_DISCONNECTED)
        CALL_OUT(s, status, 1, "no_mdns", no_mdns_msg);
    else
        warn(s, "no_mdns", "mDNS is unavailable, peers will not be found by "
             "it (use --peer HOST[:PORT])", error);
}

/* ---- TXT records -------------------------------------------------------- */

/* An AvahiStringList is stored in reverse order (strlst.h), so adding ours
 * first to last, as avahi_string_list_new() does with its arguments, keeps
 * the order of the record. */
static AvahiStringList *txt_to_list(const lm_txt_record *r)
{
    AvahiStringList *l = NULL, *next;

    for (size_t i = 0; i < r->n; i++) {
        next = avahi_string_list_add_arbitrary(l, (const uint8_t *)r->str[i],
                                               r->len[i]);
        if (!next) {
            avahi_string_list_free(l);
            return NULL;
        }
        l = next;
    }
    return l;
}

/* Reads a resolved record with lm_txt_parse(), every string of it: a
 * record of ours has LM_TXT_ITEMS, one from the wire may hold thousands. */
static int parse_list(AvahiStringList *txt, lm_disc_peer *p)
{
    lm_txt_item stack[ITEMS_ON_STACK], *items = stack;
    size_t n = 0, max = (size_t)avahi_string_list_length(txt);
    int r;

    if (max > ITEMS_ON_STACK && !(items = malloc(max * sizeof *items)))
        return LM_ENOMEM;
    for (AvahiStringList *l = txt; l && n < max;
         l = avahi_string_list_get_next(l)) {
        items[n].data = (const char *)avahi_string_list_get_text(l);
        items[n].len = avahi_string_list_get_size(l);
        n++;
    }
    r = lm_txt_parse(items, n, p);
    if (items != stack)
        free(items);
    return r;
}

/* ---- publishing --------------------------------------------------------- */

static void rename_svc(avahi_disc *s)
{
    char *alt = avahi_alternative_service_name(s->svc);

    if (alt)
        lm_txt_copy(s->svc, sizeof s->svc, alt, strlen(alt));
    avahi_free(alt);
}

static int add_and_commit(avahi_disc *s, AvahiStringList *txt)
{
    int r = AVAHI_ERR_COLLISION;

    for (int i = 0; i < NAME_TRIES && r == AVAHI_ERR_COLLISION; i++) {
        r = avahi_entry_group_add_service_strlst(
            s->group, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, 0, s->svc,
            LM_SERVICE_TYPE, NULL, NULL, s->port, txt);
        if (r == AVAHI_ERR_COLLISION)
            rename_svc(s);
    }
    if (r < 0 || (r = avahi_entry_group_commit(s->group)) < 0)
        return r;
    s->added = 1;
    s->svc_port = s->port;
    return 0;
}

static void group_cb(AvahiEntryGroup *g, AvahiEntryGroupState state,
                     void *ud);

/* Puts the stored self into the entry group; the client must be RUNNING.
 * Returns 0 or an AVAHI_ERR_* code; says nothing (the caller decides). */
static int apply_self(avahi_disc *s)
{
    const char *base = s->want;
    AvahiStringList *txt;
    int r;

    if (!s->group &&
        !(s->group = avahi_entry_group_new(s->client, group_cb, s)))
        return avahi_client_errno(s->client);
    if (s->added && (strcmp(base, s->base) != 0 || s->port != s->svc_port)) {
        /* a new instance name or port is a new service, not an update */
        avahi_entry_group_reset(s->group);
        s->added = 0;
    }
    if (strcmp(base, s->base) != 0) {
        memcpy(s->base, base, sizeof s->base);
        memcpy(s->svc, base, sizeof s->svc);
    }
    if (!(txt = txt_to_list(&s->txt)))
        return AVAHI_ERR_NO_MEMORY;
    if (s->added)
        r = avahi_entry_group_update_service_txt_strlst(
            s->group, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, 0, s->svc,
            LM_SERVICE_TYPE, NULL, txt);
    else
        r = add_and_commit(s, txt);
    avahi_string_list_free(txt);
    return r < 0 ? r : 0;
}

/* apply_self() from the avahi thread, where a failure becomes a status. */
static void apply_self_or_say(avahi_disc *s)
{
    int r;

    if (s->have_self && (r = apply_self(s)) != 0)
        warn(s, "mdns_publish", "cannot publish this node over mDNS", r);
}

static void group_cb(AvahiEntryGroup *g, AvahiEntryGroupState state,
                     void *ud)
{
    avahi_disc *s = ud;

    s->group = g; /* the first call may come from avahi_entry_group_new */
    if (state == AVAHI_ENTRY_GROUP_COLLISION) {
        /* another host holds our instance name: Avahi has withdrawn the
         * service; take the next name ("... #2") and publish again */
        rename_svc(s);
        avahi_entry_group_reset(g);
        s->added = 0;
        apply_self_or_say(s);
    } else if (state == AVAHI_ENTRY_GROUP_FAILURE) {
        warn(s, "mdns_publish", "publishing over mDNS failed",
             avahi_client_errno(avahi_entry_group_get_client(g)));
    }
}

/* ---- browsing ----------------------------------------------------------- */

static int id_alive(const entry *list, uint64_t id)
{
    for (const entry *e = list; e; e = e->next)
        if (e->have && e->peer.id == id)
            return 1;
    return 0;
}

/* The entry stops counting as a record of its peer. */
static void forget(entry *e)
{
    if (!e->have)
        return;
    e->have = 0;
    if (!id_alive(e->s->entries, e->peer.id))
        CALL_OUT(e->s, lost, e->peer.id);
}

static int same_peer(const lm_disc_peer *a, const lm_disc_peer *b)
{
    return a->id == b->id && a->term == b->term &&
           a->version == b->version && a->ipv4 == b->ipv4 &&
           a->port == b->port && strcmp(a->name, b->name) == 0 &&
           strcmp(a->room, b->room) == 0 && strcmp(a->role, b->role) == 0;
}

static void resolve_cb(AvahiServiceResolver *r, AvahiIfIndex iface,
                       AvahiProtocol proto, AvahiResolverEvent event,
                       const char *name, const char *type,
                       const char *domain, const char *host,
                       const AvahiAddress *a, uint16_t port,
                       AvahiStringList *txt, AvahiLookupResultFlags flags,
                       void *ud)
{
    entry *e = ud;
    avahi_disc *s = e->s;
    lm_disc_peer p;

    (void)r, (void)iface, (void)proto, (void)name, (void)type;
    (void)domain, (void)host, (void)flags;
    /* A FAILURE is a timeout; the resolver stays open and reports FOUND
     * when the records come, and the browser's REMOVE ends it. */
    if (event != AVAHI_RESOLVER_FOUND)
        return;
    memset(&p, 0, sizeof p);
    if (!a || a->proto != AVAHI_PROTO_INET || parse_list(txt, &p) < 0 ||
        (s->have_self && p.id == s->id)) {
        forget(e);
        return;
    }
    p.ipv4 = ntohl(a->data.ipv4.address);
    p.port = port;
    if (e->have && same_peer(&e->peer, &p))
        return; /* a re-announcement, nothing new */
    if (e->have && e->peer.id != p.id)
        forget(e);
    e->peer = p;
    e->have = 1;
    CALL_OUT(s, found, &p);
}

static void free_entry(entry *e)
{
    free(e->name);
    free(e->type);
    free(e->domain);
    free(e);
}

static entry **find_entry(avahi_disc *s, AvahiIfIndex iface,
                          AvahiProtocol proto, const char *name,
                          const char *type, const char *domain)
{
    entry **pp;

    for (pp = &s->entries; *pp; pp = &(*pp)->next) {
        const entry *e = *pp;
        if (e->iface == iface && e->proto == proto &&
            strcmp(e->name, name) == 0 && strcmp(e->type, type) == 0 &&
            strcmp(e->domain, domain) == 0)
            break;
    }
    return pp;
}

static void add_entry(avahi_disc *s, AvahiIfIndex iface, AvahiProtocol proto,
                      const char *name, const char *type, const char *domain)
{
    entry *e;

    if (*find_entry(s, iface, proto, name, type, domain))
        return;
    if (!(e = calloc(1, sizeof *e)))
        return;
    e->s = s;
    e->iface = iface;
    e->proto = proto;
    e->name = strdup(name);
    e->type = strdup(type);
    e->domain = strdup(domain);
    /* the address as IPv4 whatever protocol carried the record: ENet here
     * speaks IPv4 only */
    if (!e->name || !e->type || !e->domain ||
        !(e->r = avahi_service_resolver_new(s->client, iface, proto, name,
                                            type, domain, AVAHI_PROTO_INET,
                                            0, resolve_cb, e))) {
        free_entry(e);
        return;
    }
    e->next = s->entries;
    s->entries = e;
}

static void remove_entry(avahi_disc *s, AvahiIfIndex iface,
                         AvahiProtocol proto, const char *name,
                         const char *type, const char *domain)
{
    entry **pp = find_entry(s, iface, proto, name, type, domain);
    entry *e = *pp;

    if (!e)
        return;
    *pp = e->next; /* unlinked first, so forget() sees the others only */
    avahi_service_resolver_free(e->r);
    forget(e);
    free_entry(e);
}

static void browse_cb(AvahiServiceBrowser *b, AvahiIfIndex iface,
                      AvahiProtocol proto, AvahiBrowserEvent event,
                      const char *name, const char *type, const char *domain,
                      AvahiLookupResultFlags flags, void *ud)
{
    avahi_disc *s = ud;

    (void)b, (void)flags;
    switch (event) {
    case AVAHI_BROWSER_NEW:
        add_entry(s, iface, proto, name, type, domain);
        break;
    case AVAHI_BROWSER_REMOVE:
        remove_entry(s, iface, proto, name, type, domain);
        break;
    case AVAHI_BROWSER_FAILURE:
        warn(s, "mdns_error", "browsing for peers over mDNS failed",
             avahi_client_errno(s->client));
        break;
    default: /* ALL_FOR_NOW, CACHE_EXHAUSTED: nothing to do */
        break;
    }
}

/* ---- the client and its life cycle --------------------------------------- */

/* Frees the client and all it owns; with report, lost() for every peer we
 * knew, since no record of them is left. */
static void drop_client(avahi_disc *s, int report)
{
    entry *old = s->entries, *e;

    s->entries = NULL;
    if (s->group)
        avahi_entry_group_free(s->group);
    if (s->browser)
        avahi_service_browser_free(s->browser);
    for (e = old; e; e = e->next)
        avahi_service_resolver_free(e->r);
    if (s->client)
        avahi_client_free(s->client);
    s->group = NULL;
    s->browser = NULL;
    s->client = NULL;
    s->added = 0;
    while ((e = old)) {
        old = e->next;
        if (report && e->have && !id_alive(old, e->peer.id))
            CALL_OUT(s, lost, e->peer.id);
        free_entry(e);
    }
}

static void client_cb(AvahiClient *c, AvahiClientState state, void *ud)
{
    avahi_disc *s = ud;
    int error;

    s->client = c; /* the first call comes from inside avahi_client_new */
    switch (state) {
    case AVAHI_CLIENT_S_RUNNING:
        if (s->outage) {
            s->outage = 0;
            CALL_OUT(s, status, 0, "mdns_back",
                "avahi-daemon is running again: peers are found by mDNS");
        }
        if (!s->browser &&
            !(s->browser = avahi_service_browser_new(
                  c, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, LM_SERVICE_TYPE,
                  NULL, 0, browse_cb, s))) {
            warn(s, "mdns_error", "cannot browse for peers",
                 avahi_client_errno(c));
        }
        apply_self_or_say(s);
        break;
    case AVAHI_CLIENT_S_REGISTERING:
    case AVAHI_CLIENT_S_COLLISION:
        /* the daemon is (re)claiming its host name: withdraw until it is
         * RUNNING again, as the Avahi documentation asks */
        if (s->group)
            avahi_entry_group_reset(s->group);
        s->added = 0;
        break;
    case AVAHI_CLIENT_CONNECTING:
        no_mdns(s, 0);
        break;
    case AVAHI_CLIENT_FAILURE:
        /* The client is dead. It is freed from the kick timeout rather than
         * here, because we are inside its own D-Bus dispatch. */
        error = avahi_client_errno(c);
        no_mdns(s, error);
        schedule(s, error == AVAHI_ERR_DISCONNECTED ? 0 : RETRY_MS);
        break;
    }
}

static void kick_cb(AvahiTimeout *t, void *ud)
{
    avahi_disc *s = ud;
    int error = 0;
    AvahiClient *c;

    s->api->timeout_update(t, NULL);
    if (s->client)
        drop_client(s, 1);
    c = avahi_client_new(s->api, AVAHI_CLIENT_NO_FAIL, client_cb, s, &error);
    if (!c) {
        /* avahi_client_new freed whatever client_cb had made */
        s->client = NULL;
        s->group = NULL;
        s->browser = NULL;
        s->added = 0;
        no_mdns(s, error);
        schedule(s, RETRY_MS);
        return;
    }
    s->client = c;
}

/* ---- the ops ------------------------------------------------------------ */

static void avahi_close(lm_discovery *d)
{
    avahi_disc *s = disc_of(d);

    if (!s)
        return;
    avahi_threaded_poll_stop(s->tp); /* asserts if called from a callback */
    drop_client(s, 0);
    s->api->timeout_free(s->kick);
    avahi_threaded_poll_free(s->tp);
    free(s);
}

static lm_discovery *avahi_open(const char *arg, const lm_disc_callbacks *cb,
                                int *err)
{
    avahi_disc *s;
    struct timeval now;
    int dummy;

    (void)arg; /* nothing to configure */
    if (!err)
        err = &dummy;
    if (!cb) {
        *err = LM_EINVAL;
        return NULL;
    }
    if (!(s = calloc(1, sizeof *s))) {
        *err = LM_ENOMEM;
        return NULL;
    }
    s->head.ops = &lm_discovery_avahi;
    s->cb = *cb;
    if (!(s->tp = avahi_threaded_poll_new())) {
        free(s);
        *err = LM_ENOMEM;
        return NULL;
    }
    s->api = avahi_threaded_poll_get(s->tp);
    /* the client is made on the avahi thread, at once */
    s->kick = s->api->timeout_new(s->api, avahi_elapse_time(&now, 0, 0),
                                  kick_cb, s);
    if (!s->kick || avahi_threaded_poll_start(s->tp) < 0) {
        *err = s->kick ? LM_EIO : LM_ENOMEM;
        if (s->kick)
            s->api->timeout_free(s->kick);
        avahi_threaded_poll_free(s->tp);
        free(s);
        return NULL;
    }
    *err = 0;
    return &s->head;
}

static int avahi_publish(lm_discovery *d, const lm_disc_self *self)
{
    avahi_disc *s = disc_of(d);
    lm_txt_record txt;
    int locked, r = 0;

    if (!s || !self || lm_txt_build(self, &txt) != 0)
        return LM_EINVAL; /* lm_txt_build refuses id 0 */
    locked = in_callback != s;
    if (locked)
        avahi_threaded_poll_lock(s->tp);
    s->have_self = 1;
    s->id = self->id;
    s->port = self->port;
    s->txt = txt;
    lm_txt_instance_name(self->name, self->id, s->want);
    /* otherwise it is published when the client reaches RUNNING */
    if (s->client &&
        avahi_client_get_state(s->client) == AVAHI_CLIENT_S_RUNNING)
        r = apply_self(s);
    if (locked)
        avahi_threaded_poll_unlock(s->tp);
    return r ? LM_EIO : 0;
}

const lm_discovery_ops lm_discovery_avahi = {
    .name = "avahi",
    .open = avahi_open,
    .publish = avahi_publish,
    .close = avahi_close,
};
