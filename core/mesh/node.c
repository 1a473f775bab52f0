/* node.c - the node API, its net thread and the ENet loop.
 *
 * The net thread owns the ENet host and all protocol state (node_impl.h).
 * Front ends talk to it through two bounded queues: commands in, events
 * out. The thread sleeps in poll() on the ENet socket and the command
 * queue's eventfd, so an idle node costs nothing but ENet's own pings and
 * a housekeeping tick. */
#define _GNU_SOURCE
#include "node_impl.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "clock.h"
#include "err.h"
#include "text.h"

#define LM_CMD_QUEUE 1024
#define LM_HINT_QUEUE 512 /* discovery's own lane: a busy user cannot
                             crowd out where the peers are */
#define LM_EVENT_QUEUE 65536 /* events are small; a front end drains fast */
#define LM_PORT_TRIES 64     /* ports tried upward from the default */
#define LM_POLL_MAX_MS 10    /* ENet retransmits need a regular service */
#define LM_BYE_LINGER_US 300000

void lm_id_format(uint64_t id, char buf[LM_ID_STR])
{
    snprintf(buf, LM_ID_STR, "%016" PRIx64, id);
}

int lm_id_parse(const char *s, uint64_t *id)
{
    uint64_t v = 0;
    size_t i = 0;
    for (; s[i]; i++) {
        int d;
        char c = s[i];
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return LM_EINVAL;
        if (i >= 16)
            return LM_EINVAL;
        v = v << 4 | (uint64_t)d;
    }
    if (i == 0)
        return LM_EINVAL;
    *id = v;
    return 0;
}

void lm_event_free(lm_event *ev)
{
    if (!ev)
        return;
    if (ev->drop)
        ev->drop(ev);
    free(ev);
}

void *node_event(lm_node *n, lm_event_type type, size_t size)
{
    if (size < sizeof(lm_event))
        return NULL;
    lm_event *ev = calloc(1, size);
    if (!ev)
        return NULL;
    ev->type = type;
    ev->t_ms = (lm_mono_us() - n->start_us) / 1000;
    return ev;
}

/* ---- events: the front end may read slowly, never lose chat ------------
 * The queue to the front end is bounded. When it is full, a media notice
 * is dropped and counted; anything else waits here, in order, and every
 * later event queues behind it, until the front end reads again. What
 * waits is bounded too (LM_EVENT_HOLD_MAX): past it, the front end is
 * told once, in an error event that itself waits, that events were lost. */

static void hold_event(lm_node *n, lm_event *ev)
{
    lm_held_event *h = malloc(sizeof *h);
    if (!h) {
        n->lost_events++;
        lm_event_free(ev);
        return;
    }
    h->ev = ev;
    h->next = NULL;
    if (n->held_tail)
        n->held_tail->next = h;
    else
        n->held_head = h;
    n->held_tail = h;
    n->nheld_events++;
    n->held_events++;
}

/* Takes the oldest waiting event out of the list; NULL when none. */
static lm_event *unhold(lm_node *n)
{
    lm_held_event *h = n->held_head;
    if (!h)
        return NULL;
    n->held_head = h->next;
    if (!n->held_head)
        n->held_tail = NULL;
    n->nheld_events--;
    lm_event *ev = h->ev;
    free(h);
    return ev;
}

/* Moves what waits into the queue while it has room. */
static void flush_held(lm_node *n)
{
    while (n->held_head && lm_queue_push(n->events, n->held_head->ev) == 0)
        (void)unhold(n); /* the queue has it now */
    if (!n->held_head)
        n->told_lost = false; /* caught up: a new loss is news again */
}

void node_emit(lm_node *n, lm_event *ev)
{
    if (!ev)
        return;
    flush_held(n);
    if (!n->held_head && lm_queue_push(n->events, ev) == 0)
        return;
    if (ev->droppable) {
        n->dropped_events++;
        lm_event_free(ev);
        return;
    }
    if (n->nheld_events >= LM_EVENT_HOLD_MAX) {
        n->lost_events++;
        lm_event_free(ev);
        if (!n->told_lost) {
            n->told_lost = true;
            lm_ev_error *e = node_event(n, LM_EV_ERROR, sizeof *e);
            if (e) {
                snprintf(e->code, sizeof e->code, "events_lost");
                snprintf(e->msg, sizeof e->msg, "the front end stopped "
                         "reading events; %d are waiting and later ones "
                         "are lost until it reads again", LM_EVENT_HOLD_MAX);
                hold_event(n, &e->h);
            }
        }
        return;
    }
    hold_event(n, ev);
}

void node_error(lm_node *n, const char *code, const char *fmt, ...)
{
    lm_ev_error *ev = node_event(n, LM_EV_ERROR, sizeof *ev);
    if (!ev)
        return;
    snprintf(ev->code, sizeof ev->code, "%s", code);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ev->msg, sizeof ev->msg, fmt, ap);
    va_end(ap);
    node_emit(n, &ev->h);
}

void node_log(lm_node *n, const char *fmt, ...)
{
    if (n->cfg.quiet)
        return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    /* log lines quote peers' names and words: never raw on a terminal */
    char *shown = lm_text_shown(line);
    char *name = lm_text_shown(n->name);
    fprintf(stderr, "lanmeet[%s] %.3f %s\n", name ? name : "?",
            (double)(lm_mono_us() - n->start_us) / 1e6,
            shown ? shown : "(out of memory)");
    free(shown);
    free(name);
}

/* ---- test faults: ENet's intercept sees every datagram first ---------- */

static uint64_t rng_next(uint64_t *s)
{
    /* xorshift64*: plenty for dropping packets at a rate */
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545F4914F6CDD1DULL;
}

/* ENet's host has no user pointer; the intercept runs on the net thread,
 * which owns exactly one node, so a thread-local names it. */
static _Thread_local lm_node *intercept_node;

static int ENET_CALLBACK intercept(ENetHost *host, ENetEvent *event)
{
    (void)event;
    lm_node *n = intercept_node;
    if (!n)
        return 0;
    uint32_t ip = ENET_NET_TO_HOST_32(host->receivedAddress.host);
    uint16_t port = host->receivedAddress.port;
    for (size_t i = 0; i < n->nblocks; i++)
        if (n->blocks[i].ipv4 == ip && n->blocks[i].port == port)
            return 1;
    if (n->drop > 0 &&
        (double)(rng_next(&n->rng) >> 11) / 9007199254740992.0 < n->drop)
        return 1;
    return 0;
}

static void set_block(lm_node *n, uint32_t ip, uint16_t port, bool block)
{
    for (size_t i = 0; i < n->nblocks; i++) {
        if (n->blocks[i].ipv4 == ip && n->blocks[i].port == port) {
            if (!block)
                n->blocks[i] = n->blocks[--n->nblocks];
            return;
        }
    }
    if (block && n->nblocks < LM_MAX_BLOCKS) {
        n->blocks[n->nblocks].ipv4 = ip;
        n->blocks[n->nblocks].port = port;
        n->nblocks++;
    }
}

/* ---- creation ---------------------------------------------------------- */

static pthread_once_t enet_once = PTHREAD_ONCE_INIT;
static int enet_init_rc; /* written once, under enet_once */

static void init_enet(void)
{
    enet_init_rc = enet_initialize();
}

static ENetHost *open_host(lm_node *n, int *err)
{
    ENetAddress addr = {0};
    addr.host = ENET_HOST_ANY;
    if (n->cfg.bind && enet_address_set_host_ip(&addr, n->cfg.bind) < 0) {
        *err = LM_EINVAL;
        return NULL;
    }
    int tries = (n->cfg.port == 0 || n->cfg.port_fixed) ? 1 : LM_PORT_TRIES;
    for (int i = 0; i < tries; i++) {
        if (n->cfg.port && (unsigned)n->cfg.port + (unsigned)i > 65535)
            break;
        addr.port = (uint16_t)(n->cfg.port ? n->cfg.port + i : 0);
        ENetHost *h = enet_host_create(&addr, LM_MAX_LINKS, LM_CH_COUNT, 0, 0);
        if (h)
            return h;
    }
    *err = LM_EIO;
    return NULL;
}

lm_node *lm_node_new(const lm_node_config *cfg, int *err)
{
    int dummy;
    if (!err)
        err = &dummy;
    *err = LM_EINVAL;
    const char *room = cfg->room ? cfg->room : "main";
    if (!cfg->name || strlen(cfg->name) > LM_NAME_MAX ||
        !lm_name_valid(cfg->name, strlen(cfg->name)) ||
        strlen(room) > LM_ROOM_MAX || !lm_name_valid(room, strlen(room)))
        return NULL;
    pthread_once(&enet_once, init_enet);
    if (enet_init_rc != 0 || lm_crypto_init() < 0 || !cfg->identity) {
        *err = cfg->identity ? LM_EIO : LM_EINVAL;
        return NULL;
    }

    lm_node *n = calloc(1, sizeof *n);
    if (!n) {
        *err = LM_ENOMEM;
        return NULL;
    }
    n->cfg = *cfg;
    snprintf(n->name, sizeof n->name, "%s", cfg->name);
    snprintf(n->room, sizeof n->room, "%s", room);
    snprintf(n->display, sizeof n->display, "%s", n->name);
    n->cfg.name = n->name;
    n->cfg.room = n->room;
    n->cfg.bind = NULL; /* not kept: only used below */
    n->cfg.password = NULL; /* not kept: only its stretched key */
    n->identity = *cfg->identity;
    n->cfg.identity = &n->identity;
    n->id = n->identity.id;
    n->private_room = cfg->password && cfg->password[0];
    int krc = 0;
    if (n->private_room)
        krc = lm_room_key_password(n->room, cfg->password, n->room_key);
    else
        lm_room_key_open(n->room, n->room_key);
    n->room_tag = lm_room_tag(n->room);
    n->key_check = lm_room_key_check(n->room_key);
    if (n->cfg.room_cap > LM_MAX_PEERS || !cfg->test_faults)
        n->cfg.room_cap = 0;
    if (getrandom(&n->rng, sizeof n->rng, 0) != sizeof n->rng)
        n->rng = (uint64_t)lm_mono_us() * 0x9E3779B97F4A7C15ULL;
    n->rng |= 1;
    n->drop = cfg->test_drop;
    n->start_ms = lm_utc_ms();
    n->start_us = lm_mono_us();
    /* a run names this start of the node: message ids and hub claims
     * carry it, so nothing is taken for an earlier run's */
    do
        n->run = (uint32_t)(rng_next(&n->rng) >> 32);
    while (n->run == 0);
    n->cmds = lm_queue_new(LM_CMD_QUEUE);
    n->hints_q = lm_queue_new(LM_HINT_QUEUE);
    size_t ecap = cfg->test_faults && cfg->test_event_cap
                      ? cfg->test_event_cap : LM_EVENT_QUEUE;
    n->events = lm_queue_new(ecap);
    if (!n->cmds || !n->hints_q || !n->events || krc < 0) {
        *err = LM_ENOMEM;
        lm_node_free(n);
        return NULL;
    }
    n->cfg.bind = cfg->bind;
    n->host = open_host(n, err);
    n->cfg.bind = NULL;
    if (!n->host) {
        lm_node_free(n);
        return NULL;
    }
    n->port = n->host->address.port;
    n->host->intercept = intercept;
    /* Our largest message is a sealed file chunk (LM_WIRE_BULK_MAX, on
     * LM_CH_FILE only; hello.c refuses it elsewhere). Waiting data (what
     * ENet holds of one peer before we take it, fragments included) is
     * bounded by what the peer may have unacknowledged towards us: the
     * file service hands a link a chunk only while less than 192 KiB
     * waits in it (FX_QUEUE_MAX, core/files/files_impl.h), and ENet keeps
     * at most 64 KiB in flight per peer: the 2.5 MiB per peer kept here
     * (eight 256 KiB windows and what the other channels held before)
     * is over ten times that. Past it ENet leaves a packet unacked and
     * it is resent: flow control, not loss. */
    n->host->maximumPacketSize = 1 + LM_WIRE_BULK_MAX + LM_SEAL_OVERHEAD;
    n->host->maximumWaitingData = 8 * (256u * 1024) + 64 * LM_WIRE_MAX;
    *err = 0;
    return n;
}

static void cmd_free(void *p)
{
    lm_cmd *c = p;
    if (!c)
        return;
    if (c->drop)
        c->drop(c->arg);
    free(c->text);
    free(c);
}

static void event_drop(void *p)
{
    lm_event_free(p);
}

void lm_node_wait(lm_node *n)
{
    if (n->started) {
        lm_node_stop(n);
        pthread_join(n->thread, NULL);
        n->started = false;
    }
}

void lm_node_free(lm_node *n)
{
    if (!n)
        return;
    lm_node_wait(n);
    for (size_t i = 0; i < LM_MAX_LINKS; i++)
        if (n->links[i].used)
            link_release(&n->links[i]);
    if (n->host)
        enet_host_destroy(n->host);
    mesh_free(n);
    lm_queue_free(n->cmds, cmd_free);
    lm_queue_free(n->hints_q, cmd_free);
    lm_secure_wipe(n->room_key, sizeof n->room_key);
    lm_secure_wipe(&n->identity, sizeof n->identity);
    while (n->held_head)
        lm_event_free(unhold(n));
    lm_queue_free(n->events, event_drop);
    free(n);
}

uint64_t lm_node_id(const lm_node *n)
{
    return n->id;
}

uint16_t lm_node_port(const lm_node *n)
{
    return n->port;
}

int lm_node_event_fd(const lm_node *n)
{
    return lm_queue_fd(n->events);
}

lm_event *lm_node_next_event(lm_node *n)
{
    lm_event *ev = lm_queue_pop(n->events);
    if (ev || n->started || !n->held_head)
        return ev;
    /* the thread is gone (lm_node_wait): what still waited is ours now */
    return unhold(n);
}

/* ---- commands: any thread -> net thread -------------------------------- */

static int post_to(lm_queue *q, lm_cmd *c)
{
    if (!c)
        return LM_ENOMEM;
    int rc = lm_queue_push(q, c);
    if (rc < 0)
        cmd_free(c);
    return rc;
}

static int post(lm_node *n, lm_cmd *c)
{
    return post_to(n->cmds, c);
}

int lm_node_cmd_fd(const lm_node *n)
{
    return lm_queue_space_fd(n->cmds);
}

static lm_cmd *cmd_new(lm_cmd_type type, const char *text)
{
    lm_cmd *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->type = type;
    if (text && !(c->text = strdup(text))) {
        free(c);
        return NULL;
    }
    return c;
}

int lm_mesh_post(lm_node *n, void (*fn)(void *svc, void *arg), void *svc,
                 void *arg, void (*drop)(void *arg))
{
    lm_cmd *c = cmd_new(LM_CMD_CALL, NULL);
    if (!c) {
        if (drop)
            drop(arg);
        return LM_ENOMEM;
    }
    c->fn = fn;
    c->svc = svc;
    c->arg = arg;
    c->drop = drop;
    int rc = lm_queue_push(n->cmds, c);
    if (rc < 0) { /* the caller keeps arg, to post again */
        c->drop = NULL;
        cmd_free(c);
    }
    return rc;
}

int lm_node_who(lm_node *n)
{
    return post(n, cmd_new(LM_CMD_WHO, NULL));
}

int lm_node_stats(lm_node *n)
{
    return post(n, cmd_new(LM_CMD_STATS, NULL));
}

int lm_node_hint_peer(lm_node *n, uint64_t id, uint32_t ipv4, uint16_t port)
{
    lm_cmd *c = cmd_new(LM_CMD_HINT, NULL);
    if (c) {
        c->id = id;
        c->ipv4 = ipv4;
        c->port = port;
    }
    return post_to(n->hints_q, c);
}

int lm_node_forget_peer(lm_node *n, uint64_t id)
{
    lm_cmd *c = cmd_new(LM_CMD_FORGET, NULL);
    if (c)
        c->id = id;
    return post_to(n->hints_q, c);
}

int lm_node_post_error(lm_node *n, const char *code, const char *msg)
{
    lm_cmd *c = cmd_new(LM_CMD_ERROR, msg);
    if (c)
        snprintf(c->code, sizeof c->code, "%s", code);
    return post(n, c);
}

int lm_node_test_drop(lm_node *n, double fraction)
{
    if (!n->cfg.test_faults)
        return LM_EINVAL;
    if (!(fraction >= 0.0 && fraction <= 1.0))
        return LM_EINVAL;
    lm_cmd *c = cmd_new(LM_CMD_DROP, NULL);
    if (c)
        c->fraction = fraction;
    return post(n, c);
}

int lm_node_test_block(lm_node *n, uint32_t ipv4, uint16_t port, bool block)
{
    if (!n->cfg.test_faults)
        return LM_EINVAL;
    lm_cmd *c = cmd_new(block ? LM_CMD_BLOCK : LM_CMD_UNBLOCK, NULL);
    if (c) {
        c->ipv4 = ipv4;
        c->port = port;
    }
    return post(n, c);
}

static void stats_drop(lm_event *ev)
{
    free(((lm_ev_stats *)(void *)ev)->peers);
}

static void emit_stats(lm_node *n)
{
    lm_ev_stats *ev = node_event(n, LM_EV_STATS, sizeof *ev);
    if (!ev)
        return;
    ev->h.drop = stats_drop;
    ev->bad_msgs = n->bad_msgs;
    ev->unknown_msgs = n->unknown_msgs;
    ev->stale_msgs = n->stale_msgs;
    ev->slow_hellos = n->slow_hellos;
    ev->dropped_events = n->dropped_events + n->lost_events;
    ev->held_events = n->held_events;
    ev->peers = calloc(LM_MAX_LINKS, sizeof *ev->peers);
    for (size_t i = 0; ev->peers && i < LM_MAX_LINKS; i++) {
        const lm_link *l = &n->links[i];
        if (!link_is_member(l))
            continue;
        lm_peer_stats *p = &ev->peers[ev->npeers++];
        p->id = l->id;
        snprintf(p->name, sizeof p->name, "%s", l->display);
        p->bad = l->bad;
        if (l->peer) {
            p->rtt_ms = l->peer->roundTripTime;
            p->loss = (double)l->peer->packetLoss / ENET_PEER_PACKET_LOSS_SCALE;
        }
    }
    node_emit(n, &ev->h);
}

static void run_command(lm_node *n, lm_cmd *c)
{
    switch (c->type) {
    case LM_CMD_CALL: c->fn(c->svc, c->arg); break;
    case LM_CMD_WHO: mesh_who(n); break;
    case LM_CMD_STATS: emit_stats(n); break;
    case LM_CMD_HINT:
        link_hint(n, c->id, c->ipv4, c->port,
                  c->id ? LM_HINT_DISCOVERY : LM_HINT_STATIC);
        break;
    case LM_CMD_FORGET: link_forget(n, c->id); break;
    case LM_CMD_DROP: n->drop = c->fraction; break;
    case LM_CMD_BLOCK: set_block(n, c->ipv4, c->port, true); break;
    case LM_CMD_UNBLOCK: set_block(n, c->ipv4, c->port, false); break;
    case LM_CMD_ERROR: node_error(n, c->code, "%s", c->text); break;
    case LM_CMD_WAKE: break;
    }
}

/* ---- the net thread ---------------------------------------------------- */

/* Runs what the queues hold. At most one queue's worth of commands per
 * turn, so a front end that keeps posting cannot starve the network. */
static void run_queued(lm_node *n)
{
    lm_cmd *c;
    while ((c = lm_queue_pop(n->hints_q)) != NULL) {
        run_command(n, c);
        cmd_free(c);
    }
    for (size_t i = 0; i < LM_CMD_QUEUE && (c = lm_queue_pop(n->cmds)); i++) {
        run_command(n, c);
        cmd_free(c);
    }
}

static void handle_enet(lm_node *n, ENetEvent *ev)
{
    switch (ev->type) {
    case ENET_EVENT_TYPE_CONNECT:
        link_on_connect(n, ev->peer);
        break;
    case ENET_EVENT_TYPE_DISCONNECT:
        link_on_disconnect(n, ev->peer, ev->data);
        break;
    case ENET_EVENT_TYPE_RECEIVE:
        link_on_receive(n, ev->peer, ev->channelID, ev->packet->data,
                        ev->packet->dataLength);
        enet_packet_destroy(ev->packet);
        break;
    case ENET_EVENT_TYPE_NONE:
        break;
    }
}

static void emit_ready(lm_node *n)
{
    lm_ev_ready *ev = node_event(n, LM_EV_READY, sizeof *ev);
    if (!ev)
        return;
    ev->id = n->id;
    snprintf(ev->name, sizeof ev->name, "%s", n->name);
    snprintf(ev->room, sizeof ev->room, "%s", n->room);
    ev->port = n->port;
    ev->private_room = n->private_room;
    snprintf(ev->fingerprint, sizeof ev->fingerprint, "%s",
             n->identity.fingerprint);
    node_emit(n, &ev->h);
}

/* Says goodbye to every peer and gives ENet a moment to deliver it. */
static void say_goodbye(lm_node *n)
{
    /* "later": queued messages go out before the goodbye */
    for (size_t i = 0; i < LM_MAX_LINKS; i++)
        if (n->links[i].used && n->links[i].peer)
            enet_peer_disconnect_later(n->links[i].peer, LM_BYE_QUIT);
        else if (n->links[i].used)
            link_release(&n->links[i]);
    enet_host_flush(n->host);
    int64_t until = lm_mono_us() + LM_BYE_LINGER_US;
    ENetEvent ev;
    while (lm_mono_us() < until) {
        bool any = false;
        for (size_t i = 0; i < LM_MAX_LINKS; i++)
            any |= n->links[i].used;
        if (!any)
            break;
        if (enet_host_service(n->host, &ev, 10) > 0 &&
            ev.type == ENET_EVENT_TYPE_DISCONNECT) {
            for (size_t i = 0; i < LM_MAX_LINKS; i++)
                if (n->links[i].used && n->links[i].peer == ev.peer)
                    link_release(&n->links[i]);
        } else if (ev.type == ENET_EVENT_TYPE_RECEIVE) {
            enet_packet_destroy(ev.packet);
        }
    }
}

/* The thread did not run for a while (SIGSTOP, a laptop lid): say so
 * before anything acts on a view of the room that old. Checked where the
 * loop is about to act: before the timers and right after poll. */
static void notice_stall(lm_node *n, int64_t *last_turn)
{
    int64_t now = lm_mono_us();
    if (now - *last_turn > LM_STALL_US) {
        node_log(n, "this node did not run for %.1f s; its links will drop "
                 "and come back, and the room's hub is kept",
                 (double)(now - *last_turn) / 1e6);
        n->stall_until_us = now + LM_STALL_GRACE_US;
    }
    *last_turn = now;
}

static void *net_main(void *arg)
{
    lm_node *n = arg;
    intercept_node = n;
    emit_ready(n);
    node_log(n, "id %016" PRIx64 " room '%s' port %u", n->id, n->room,
             n->port);
    int64_t next_tick = lm_mono_us(), last_turn = next_tick, due = 0;
    while (!atomic_load(&n->stop)) {
        notice_stall(n, &last_turn); /* before the timers run */
        flush_held(n); /* the front end may have read some */
        int64_t now = lm_mono_us();
        if (now >= next_tick) {
            link_tick(n, now);
            cuts_tick(n, now);
            next_tick = now + LM_TICK_US;
        }
        due = mesh_tick(n, now);
        int64_t peers = link_peers_flush(n, now);
        if (peers && (!due || peers < due))
            due = peers;
        /* sleep until the earliest deadline: ours or a service's */
        int64_t wake = due && due < next_tick ? due : next_tick;
        /* to the microsecond: a service may ask for less than a ms (the
         * file service, waiting for a link's queue to drain) */
        int64_t wait_us = wake - now;
        if (wait_us < 0)
            wait_us = 0;
        if (wait_us > LM_POLL_MAX_MS * 1000)
            wait_us = LM_POLL_MAX_MS * 1000;
        struct timespec wait = {.tv_sec = wait_us / 1000000,
                                .tv_nsec = (long)(wait_us % 1000000) * 1000};
        struct pollfd pfd[3] = {
            {.fd = n->host->socket, .events = POLLIN},
            {.fd = lm_queue_fd(n->cmds), .events = POLLIN},
            {.fd = lm_queue_fd(n->hints_q), .events = POLLIN},
        };
        if (ppoll(pfd, 3, &wait, NULL) < 0 && errno != EINTR) {
            node_error(n, "internal", "poll failed: %s", strerror(errno));
            break;
        }
        notice_stall(n, &last_turn); /* before any command runs */
        run_queued(n);
        ENetEvent ev;
        int rc;
        while ((rc = enet_host_service(n->host, &ev, 0)) > 0)
            handle_enet(n, &ev);
        if (rc < 0)
            node_log(n, "network receive error (ignored)");
        enet_host_flush(n->host);
    }
    /* what was asked before the stop is still done: a `say` then `quit`
     * sends the message before the goodbye */
    run_queued(n);
    say_goodbye(n);
    return NULL;
}

int lm_node_start(lm_node *n)
{
    if (n->started)
        return LM_EINVAL;
    if (pthread_create(&n->thread, NULL, net_main, n) != 0)
        return LM_EIO;
    n->started = true;
    return 0;
}

void lm_node_stop(lm_node *n)
{
    atomic_store(&n->stop, true);
    /* wake the thread out of poll() */
    lm_cmd *c = cmd_new(LM_CMD_WAKE, NULL);
    if (c && lm_queue_push(n->cmds, c) < 0)
        cmd_free(c);
}
