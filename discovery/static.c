/* static.c - the "static" discovery backend: peers named on the command line.
 *
 * arg is a comma-separated list of HOST[:PORT] (PORT defaults to
 * LM_DEFAULT_PORT). open() resolves every entry with getaddrinfo, IPv4 only
 * because our ENet is IPv4-only, and then reports each distinct address once
 * through cb->found with id 0 (the id is learnt from the ENet hello).
 * Everything happens inside open(), on the caller's thread; nothing is
 * reported later and publish() has nothing to do.
 *
 * All or nothing: if one entry is bad, no address is reported, open() fails
 * with LM_EINVAL and cb->status(ud, 1, "bad_peer", "cannot resolve peer
 * 'ENTRY': REASON") says which entry and why. Nothing is printed here.
 *
 * Note that getaddrinfo may block while it asks DNS about a host name. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* getaddrinfo under -std=c11 */
#endif
#include "discovery.h"

#include "backend.h"
#include "err.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define ENTRY_MAX 300 /* a DNS name is at most 253 bytes, plus ":65535" */

typedef struct static_state {
    lm_discovery head;   /* first: the handle is &head (backend.h) */
    lm_disc_peer *peers; /* distinct addresses, in the order given */
    size_t n, cap;
} static_state;

_Static_assert(offsetof(static_state, head) == 0,
               "the handle must be the first member");

static static_state *state_of(lm_discovery *d)
{
    return (static_state *)d;
}

static void bad_peer(const lm_disc_callbacks *cb, const char *entry,
                     size_t len, const char *reason)
{
    char msg[ENTRY_MAX + 160];

    if (!cb->status)
        return;
    if (len > ENTRY_MAX)
        len = ENTRY_MAX;
    snprintf(msg, sizeof msg, "cannot resolve peer '%.*s': %s", (int)len,
             entry, reason);
    cb->status(cb->ud, 1, "bad_peer", msg);
}

/* Adds an address unless it is already listed. */
static int add_peer(static_state *s, uint32_t ipv4, uint16_t port)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->peers[i].ipv4 == ipv4 && s->peers[i].port == port)
            return 0;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        lm_disc_peer *p = realloc(s->peers, cap * sizeof *p);
        if (!p)
            return LM_ENOMEM;
        s->peers = p;
        s->cap = cap;
    }
    memset(&s->peers[s->n], 0, sizeof s->peers[s->n]);
    s->peers[s->n].ipv4 = ipv4;
    s->peers[s->n].port = port;
    s->n++;
    return 0;
}

/* Decimal 1..65535, digits only; returns 0 when not a port. */
static uint16_t parse_port(const char *s, size_t len)
{
    unsigned long v = 0;

    if (len == 0 || len > 5)
        return 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (unsigned long)(s[i] - '0');
    }
    return v <= 65535 ? (uint16_t)v : 0;
}

/* One HOST[:PORT] entry, not NUL-terminated; *reason is set on failure. */
static int resolve_entry(static_state *s, const char *entry, size_t len,
                         const char **reason)
{
    char host[ENTRY_MAX + 1];
    const char *colon = memchr(entry, ':', len);
    size_t hlen = colon ? (size_t)(colon - entry) : len;
    uint16_t port = LM_DEFAULT_PORT;
    struct addrinfo hints, *res = NULL, *ai;
    int rc;

    if (len == 0) {
        *reason = "empty entry in the peer list";
        return LM_EINVAL;
    }
    if (len > ENTRY_MAX) {
        *reason = "entry too long";
        return LM_EINVAL;
    }
    if (memchr(entry, '\0', len)) {
        *reason = "bad character";
        return LM_EINVAL;
    }
    if (colon) {
        size_t plen = len - hlen - 1;
        if (memchr(colon + 1, ':', plen)) {
            *reason = "IPv6 addresses are not supported (use an IPv4 "
                      "address or a host name)";
            return LM_EINVAL;
        }
        if (!(port = parse_port(colon + 1, plen))) {
            *reason = "port must be a number from 1 to 65535";
            return LM_EINVAL;
        }
    }
    if (hlen == 0) {
        *reason = "missing host";
        return LM_EINVAL;
    }
    memcpy(host, entry, hlen);
    host[hlen] = '\0';

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_DGRAM; /* one answer per address, not per type */
    rc = getaddrinfo(host, NULL, &hints, &res);
    if (rc != 0) {
        *reason = rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc);
        return LM_EINVAL;
    }
    rc = 0;
    for (ai = res; ai && rc == 0; ai = ai->ai_next) {
        const struct sockaddr_in *sin;
        if (ai->ai_family != AF_INET ||
            ai->ai_addrlen < (socklen_t)sizeof *sin)
            continue;
        sin = (const struct sockaddr_in *)(const void *)ai->ai_addr;
        rc = add_peer(s, ntohl(sin->sin_addr.s_addr), port);
    }
    freeaddrinfo(res);
    if (rc)
        *reason = lm_strerror(rc);
    return rc;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t';
}

static void static_close(lm_discovery *d)
{
    static_state *s = state_of(d);

    if (!s)
        return;
    free(s->peers);
    free(s);
}

static lm_discovery *static_open(const char *arg, const lm_disc_callbacks *cb,
                                 int *err)
{
    static_state *s;
    const char *p = arg;
    int rc = 0, dummy;

    if (!err)
        err = &dummy;
    if (!cb) {
        *err = LM_EINVAL;
        return NULL;
    }
    if (!arg || !*arg) {
        bad_peer(cb, "", 0, "no peer given (expected HOST[:PORT],...)");
        *err = LM_EINVAL;
        return NULL;
    }
    if (!(s = calloc(1, sizeof *s))) {
        *err = LM_ENOMEM;
        return NULL;
    }
    s->head.ops = &lm_discovery_static;
    for (;;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *reason = NULL;

        while (len && is_space(*p)) { /* "a, b" is a natural way to type it */
            p++;
            len--;
        }
        while (len && is_space(p[len - 1]))
            len--;
        rc = resolve_entry(s, p, len, &reason);
        if (rc) {
            bad_peer(cb, p, len, reason ? reason : lm_strerror(rc));
            break;
        }
        if (!end)
            break;
        p = end + 1;
    }
    if (rc == 0 && s->n == 0) { /* resolved, but to no IPv4 address */
        bad_peer(cb, arg, strlen(arg), "no IPv4 address");
        rc = LM_EINVAL;
    }
    if (rc) {
        static_close(&s->head);
        *err = rc == LM_ENOMEM ? LM_ENOMEM : LM_EINVAL;
        return NULL;
    }
    if (cb->found)
        for (size_t i = 0; i < s->n; i++)
            cb->found(cb->ud, &s->peers[i]);
    *err = 0;
    return &s->head;
}

static int static_publish(lm_discovery *d, const lm_disc_self *self)
{
    (void)d;
    (void)self;
    return 0;
}

const lm_discovery_ops lm_discovery_static = {
    .name = "static",
    .open = static_open,
    .publish = static_publish,
    .close = static_close,
};
