/* mesh.c - what services see of the node (mesh.h), and how the node
 * hands them its packets, its members and its time. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "err.h"
#include "node_impl.h"

bool link_is_member(const lm_link *l)
{
    return l->used && l->hello_ok && !l->silent;
}

void mesh_member_of(const lm_link *l, lm_member *out)
{
    memset(out, 0, sizeof *out);
    out->id = l->id;
    out->run = l->run;
    snprintf(out->name, sizeof out->name, "%s", l->display);
    snprintf(out->base, sizeof out->base, "%s", l->name);
    out->forced = l->forced;
    out->intro_st = l->st;
}

int lm_mesh_attach(lm_node *n, const lm_service_ops *ops, void *svc)
{
    if (n->started || !ops)
        return LM_EINVAL;
    if (n->nservices == LM_MAX_SERVICES)
        return LM_EFULL;
    for (size_t i = 0; i < n->nservices; i++)
        for (size_t a = 0; a < ops->ntypes; a++)
            for (size_t b = 0; b < n->services[i].ops->ntypes; b++)
                if (ops->types[a] == n->services[i].ops->types[b])
                    return LM_EINVAL; /* one owner per message type */
    n->services[n->nservices].ops = ops;
    n->services[n->nservices].svc = svc;
    n->services[n->nservices].due_us = 0;
    n->nservices++;
    return 0;
}

void mesh_free(lm_node *n)
{
    for (size_t i = n->nservices; i-- > 0;)
        if (n->services[i].ops->free)
            n->services[i].ops->free(n->services[i].svc);
    n->nservices = 0;
}

void mesh_member_changed(lm_node *n, const lm_member *m, lm_member_change c)
{
    for (size_t i = 0; i < n->nservices; i++)
        if (n->services[i].ops->on_member)
            n->services[i].ops->on_member(n->services[i].svc, m, c);
}

bool mesh_dispatch(lm_node *n, lm_link *l, uint8_t channel,
                   const uint8_t *data, size_t len, const char *addr)
{
    for (size_t i = 0; i < n->nservices; i++) {
        const lm_service_ops *ops = n->services[i].ops;
        for (size_t t = 0; t < ops->ntypes; t++) {
            if (ops->types[t] != data[0])
                continue;
            /* each type travels on its service's channel only, so a peer
             * cannot push control traffic through a media lane's limits */
            if (channel != ops->channel) {
                hello_bad_message(n, l, channel, LM_EPROTO, addr);
                return true;
            }
            lm_member from;
            mesh_member_of(l, &from);
            if (ops->on_receive)
                ops->on_receive(n->services[i].svc, &from, data, len);
            return true;
        }
    }
    return false;
}

int64_t mesh_tick(lm_node *n, int64_t now)
{
    int64_t next = 0;
    for (size_t i = 0; i < n->nservices; i++) {
        if (!n->services[i].ops->tick)
            continue;
        if (now >= n->services[i].due_us)
            n->services[i].due_us =
                n->services[i].ops->tick(n->services[i].svc, now);
        int64_t due = n->services[i].due_us;
        if (due && (next == 0 || due < next))
            next = due;
    }
    return next;
}

void lm_mesh_tick_at(lm_node *n, const void *svc, int64_t at_us)
{
    for (size_t i = 0; i < n->nservices; i++) {
        int64_t *due = &n->services[i].due_us;
        if (n->services[i].svc == svc && (*due == 0 || at_us < *due))
            *due = at_us;
    }
}

/* ---- members and roles ---------------------------------------------------- */

bool lm_mesh_next(lm_node *n, size_t *cursor, lm_member *out)
{
    for (; *cursor < LM_MAX_LINKS; (*cursor)++) {
        const lm_link *l = &n->links[*cursor];
        if (link_is_member(l)) {
            mesh_member_of(l, out);
            (*cursor)++;
            return true;
        }
    }
    return false;
}

bool lm_mesh_member(lm_node *n, uint64_t id, lm_member *out)
{
    const lm_link *l = link_by_id(n, id);
    if (l)
        mesh_member_of(l, out);
    return l != NULL;
}

size_t lm_mesh_count(lm_node *n)
{
    size_t c = 0;
    for (size_t i = 0; i < LM_MAX_LINKS; i++)
        c += link_is_member(&n->links[i]);
    return c;
}

uint64_t lm_mesh_self(const lm_node *n)
{
    return n->id;
}

uint32_t lm_mesh_run(const lm_node *n)
{
    return n->run;
}

const char *lm_mesh_self_name(const lm_node *n)
{
    return n->display;
}

bool lm_mesh_forced(const lm_node *n)
{
    return n->cfg.force_host;
}

const lm_elect_state *lm_mesh_roles(const lm_node *n)
{
    return &n->st;
}

const char *lm_role_name(const lm_elect_state *st, uint64_t id)
{
    if (st && id != 0 && id == st->hub)
        return "hub";
    if (st && id != 0 && id == st->deputy)
        return "deputy";
    return "member";
}

void lm_mesh_set_roles(lm_node *n, const lm_elect_state *st)
{
    lm_elect_state old = n->st;
    n->st = *st;
    for (size_t i = 0; i < n->nservices; i++)
        if (n->services[i].ops->on_roles)
            n->services[i].ops->on_roles(n->services[i].svc, &old, &n->st);
}

bool lm_mesh_stale(const lm_node *n)
{
    return lm_mono_us() < n->stall_until_us;
}

bool lm_mesh_cut_lasting(lm_node *n)
{
    return n->cut_lasting;
}

uint64_t lm_mesh_reach_successor(lm_node *n, size_t *theirs, size_t *ours)
{
    return cuts_successor(n, theirs, ours);
}

/* The members event, for the who command: this node first. */
static void members_drop(lm_event *ev)
{
    free(((lm_ev_members *)(void *)ev)->members);
}

void mesh_who(lm_node *n)
{
    lm_ev_members *ev = node_event(n, LM_EV_MEMBERS, sizeof *ev);
    if (!ev)
        return;
    ev->h.drop = members_drop;
    ev->members = calloc(LM_MAX_LINKS + 1, sizeof *ev->members);
    if (!ev->members) {
        lm_event_free(&ev->h);
        return;
    }
    lm_member_info *mi = &ev->members[ev->n++];
    mi->id = n->id;
    snprintf(mi->name, sizeof mi->name, "%s", n->display);
    mi->role = lm_role_name(&n->st, n->id);
    for (size_t i = 0; i < LM_MAX_LINKS; i++) {
        const lm_link *l = &n->links[i];
        if (!link_is_member(l))
            continue;
        mi = &ev->members[ev->n++];
        mi->id = l->id;
        snprintf(mi->name, sizeof mi->name, "%s", l->display);
        mi->role = lm_role_name(&n->st, l->id);
    }
    node_emit(n, &ev->h);
}

/* ---- sending ------------------------------------------------------------- */

int lm_mesh_send(lm_node *n, uint64_t to, uint8_t channel,
                 const uint8_t *data, size_t len, unsigned flags)
{
    lm_link *l = link_by_id(n, to);
    if (!l)
        return LM_EIO;
    return link_send_bytes(n, l, channel, data, len, flags);
}

void lm_mesh_send_all(lm_node *n, uint8_t channel, const uint8_t *data,
                      size_t len, unsigned flags, uint64_t except)
{
    for (size_t i = 0; i < LM_MAX_LINKS; i++) {
        lm_link *l = &n->links[i];
        if (link_is_member(l) && l->id != except)
            link_send_bytes(n, l, channel, data, len, flags);
    }
}

int lm_mesh_send_msg(lm_node *n, uint64_t to, uint8_t channel,
                     const lm_msg *m)
{
    lm_link *l = link_by_id(n, to);
    return l ? link_send(n, l, channel, m) : LM_EIO;
}

/* Encoded once, sealed per link: a chat entry goes to every member. */
void lm_mesh_send_msg_all(lm_node *n, uint8_t channel, const lm_msg *m,
                          uint64_t except)
{
    uint8_t plain[LM_WIRE_MAX];
    int len = link_encode(n, m, plain);
    if (len < 0)
        return;
    lm_mesh_send_all(n, channel, plain, (size_t)len, 0, except);
    lm_secure_wipe(plain, (size_t)len);
}

size_t lm_mesh_queued(lm_node *n, uint64_t to)
{
    const lm_link *l = link_by_id(n, to);
    if (!l || !l->peer)
        return 0;
    size_t bytes = l->peer->reliableDataInTransit;
    for (ENetListIterator it = enet_list_begin(&l->peer->outgoingCommands);
         it != enet_list_end(&l->peer->outgoingCommands);
         it = enet_list_next(it))
        bytes += ((const ENetOutgoingCommand *)(const void *)it)->fragmentLength;
    return bytes;
}

void lm_mesh_bad(lm_node *n, uint64_t from, uint8_t channel, int rc)
{
    lm_link *l = link_by_id(n, from);
    if (!l)
        return;
    char addr[32];
    link_addr_str(l->ipv4, l->port, addr, sizeof addr);
    hello_bad_message(n, l, channel, rc, addr);
}

void lm_mesh_expel(lm_node *n, uint64_t id, const char *reason)
{
    lm_link *l = link_by_id(n, id);
    if (l)
        link_expel(n, l, reason);
}

/* ---- events, log, clock ---------------------------------------------------- */

void *lm_mesh_event(lm_node *n, lm_event_type type, size_t size)
{
    return node_event(n, type, size);
}

void lm_mesh_emit(lm_node *n, lm_event *ev)
{
    node_emit(n, ev);
}

void lm_mesh_error(lm_node *n, const char *code, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    node_error(n, code, "%s", msg);
}

void lm_mesh_log(lm_node *n, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    node_log(n, "%s", line);
}

int64_t lm_mesh_now_us(void)
{
    return lm_mono_us();
}
