/* test_files_bulk.c - bulk messages: a file chunk's size passes on the file
 * channel and nowhere else.
 *
 * Two real nodes in this process on loopback, each with two small services
 * (one on LM_CH_FILE, one on LM_CH_CHAT) that record what they receive.
 * A message of LM_WIRE_BULK_MAX bytes goes through on channel 5 intact, a
 * burst of them arrives whole and in order (ENet's waiting-data bound), and
 * the same size on channel 1 is refused; LM_WIRE_MAX still passes there.
 * Every wait is bounded in time. */
#define _POSIX_C_SOURCE 200809L
#include <poll.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "clock.h"
#include "crypto.h"
#include "err.h"
#include "mesh/mesh.h"

#define BURST 64 /* 4 MiB of chunks at once: past the waiting-data bound */

typedef struct rec {
    atomic_uint count;
    atomic_size_t len;     /* of the last one */
    atomic_uint_fast32_t sum; /* FNV-1a of the last one */
    atomic_bool in_order;  /* each burst message carried the next number */
} rec;

typedef struct svc {
    lm_node *n;
    uint8_t channel;
    rec r;
} svc;

static uint32_t fnv(const uint8_t *d, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ d[i]) * 16777619u;
    return h;
}

static void fill(uint8_t *buf, size_t len, uint8_t type, uint32_t seq)
{
    buf[0] = type;
    for (size_t i = 1; i < len; i++)
        buf[i] = (uint8_t)(i * 7 + seq);
    if (len >= 5)
        memcpy(buf + 1, &seq, 4);
}

static void on_receive(void *p, const lm_member *from, const uint8_t *data,
                       size_t len)
{
    (void)from;
    svc *s = p;
    unsigned c = atomic_load(&s->r.count);
    uint32_t seq = 0;
    if (len >= 5)
        memcpy(&seq, data + 1, 4);
    if (seq != c)
        atomic_store(&s->r.in_order, false);
    atomic_store(&s->r.len, len);
    atomic_store(&s->r.sum, fnv(data, len));
    atomic_store(&s->r.count, c + 1);
}

static void svc_free(void *p)
{
    free(p);
}

static const uint8_t file_types[] = {LM_MSG_FILE_CHUNK};
static const uint8_t chat_types[] = {LM_MSG_CHAT_SUBMIT};
static const lm_service_ops file_ops = {
    .name = "bulkfile", .channel = LM_CH_FILE, .types = file_types,
    .ntypes = sizeof file_types, .on_receive = on_receive, .free = svc_free,
};
static const lm_service_ops chat_ops = {
    .name = "bulkchat", .channel = LM_CH_CHAT, .types = chat_types,
    .ntypes = sizeof chat_types, .on_receive = on_receive, .free = svc_free,
};

/* One send, run on the sender's net thread. */
typedef struct req {
    uint8_t channel, type;
    size_t len;
    unsigned count, flags;
    atomic_int rc;
    atomic_bool done;
} req;

static void run_send(void *p, void *arg)
{
    svc *s = p;
    req *q = arg;
    lm_member m;
    size_t it = 0;
    int rc = LM_EIO;
    uint8_t *buf = malloc(q->len ? q->len : 1);
    if (buf && lm_mesh_next(s->n, &it, &m)) {
        for (unsigned i = 0; i < q->count; i++) {
            fill(buf, q->len, q->type, i);
            rc = lm_mesh_send(s->n, m.id, q->channel, buf, q->len, q->flags);
            if (rc < 0)
                break;
        }
    }
    free(buf);
    atomic_store(&q->rc, rc);
    atomic_store(&q->done, true);
}

static int send_wait(lm_node *n, svc *s, uint8_t channel, uint8_t type,
                     size_t len, unsigned count, unsigned flags)
{
    req q = {.channel = channel, .type = type, .len = len, .count = count,
             .flags = flags};
    atomic_init(&q.rc, 1);
    atomic_init(&q.done, false);
    if (lm_mesh_post(n, run_send, s, &q, NULL) < 0)
        return 1;
    int64_t until = lm_mono_us() + 3000000;
    while (!atomic_load(&q.done) && lm_mono_us() < until)
        poll(NULL, 0, 2);
    /* the net thread must be done with q before it leaves this frame */
    while (!atomic_load(&q.done))
        poll(NULL, 0, 10);
    return atomic_load(&q.rc);
}

/* Waits (bounded) for r to count `want`; true when it did. */
static bool wait_count(rec *r, unsigned want, int64_t ms)
{
    int64_t until = lm_mono_us() + ms * 1000;
    while (atomic_load(&r->count) < want && lm_mono_us() < until)
        poll(NULL, 0, 5);
    return atomic_load(&r->count) >= want;
}

static void drain(lm_node *n, bool *joined)
{
    lm_event *ev;
    while ((ev = lm_node_next_event(n)) != NULL) {
        if (ev->type == LM_EV_PEER_JOINED)
            *joined = true;
        lm_event_free(ev);
    }
}

static void test_bulk(void)
{
    lm_identity ida, idb;
    lm_identity_generate(&ida);
    lm_identity_generate(&idb);
    lm_node_config ca = {.name = "a", .room = "bulk", .bind = "127.0.0.1",
                         .identity = &ida, .quiet = true};
    lm_node_config cb = ca;
    cb.name = "b";
    cb.identity = &idb;
    int err;
    lm_node *a = lm_node_new(&ca, &err), *b = lm_node_new(&cb, &err);
    CHECK(a && b);
    if (!a || !b) {
        lm_node_free(a);
        lm_node_free(b);
        return;
    }
    svc *af = calloc(1, sizeof *af), *ac = calloc(1, sizeof *ac);
    svc *bf = calloc(1, sizeof *bf), *bc = calloc(1, sizeof *bc);
    svc *all[] = {af, ac, bf, bc};
    for (int i = 0; i < 4; i++) {
        all[i]->n = i < 2 ? a : b;
        atomic_init(&all[i]->r.in_order, true);
    }
    CHECK_EQ_INT(lm_mesh_attach(a, &file_ops, af), 0);
    CHECK_EQ_INT(lm_mesh_attach(a, &chat_ops, ac), 0);
    CHECK_EQ_INT(lm_mesh_attach(b, &file_ops, bf), 0);
    CHECK_EQ_INT(lm_mesh_attach(b, &chat_ops, bc), 0);
    CHECK_EQ_INT(lm_node_start(a), 0);
    CHECK_EQ_INT(lm_node_start(b), 0);
    lm_node_hint_peer(a, 0, 0x7f000001u, lm_node_port(b));
    bool ja = false, jb = false;
    int64_t until = lm_mono_us() + 5000000;
    while (!(ja && jb) && lm_mono_us() < until) {
        poll(NULL, 0, 10);
        drain(a, &ja);
        drain(b, &jb);
    }
    CHECK(ja && jb);
    if (ja && jb) {
        /* the largest bulk message passes on the file channel, intact */
        uint8_t *want = malloc(LM_WIRE_BULK_MAX);
        fill(want, LM_WIRE_BULK_MAX, LM_MSG_FILE_CHUNK, 0);
        CHECK_EQ_INT(send_wait(a, af, LM_CH_FILE, LM_MSG_FILE_CHUNK,
                               LM_WIRE_BULK_MAX, 1, 0), 0);
        CHECK(wait_count(&bf->r, 1, 3000));
        CHECK_EQ_INT(atomic_load(&bf->r.len), LM_WIRE_BULK_MAX);
        CHECK(atomic_load(&bf->r.sum) == fnv(want, LM_WIRE_BULK_MAX));
        free(want);
        /* a burst: all of it, in order, though it passes what ENet holds
         * of one peer at once */
        atomic_store(&bf->r.count, 0);
        CHECK_EQ_INT(send_wait(a, af, LM_CH_FILE, LM_MSG_FILE_CHUNK,
                               LM_WIRE_BULK_MAX, BURST, 0), 0);
        CHECK(wait_count(&bf->r, BURST, 10000));
        CHECK_EQ_INT(atomic_load(&bf->r.count), BURST);
        CHECK(atomic_load(&bf->r.in_order));
        /* one byte past it, or unreliable: refused at the sender */
        CHECK_EQ_INT(send_wait(a, af, LM_CH_FILE, LM_MSG_FILE_CHUNK,
                               LM_WIRE_BULK_MAX + 1, 1, 0), LM_ETOOBIG);
        CHECK_EQ_INT(send_wait(a, af, LM_CH_FILE, LM_MSG_FILE_CHUNK,
                               LM_WIRE_BULK_MAX, 1, LM_SEND_UNRELIABLE),
                     LM_EINVAL);
        /* the same size on the chat channel is refused; its own cap
         * still passes */
        CHECK_EQ_INT(send_wait(a, ac, LM_CH_CHAT, LM_MSG_CHAT_SUBMIT,
                               LM_WIRE_BULK_MAX, 1, 0), LM_ETOOBIG);
        CHECK_EQ_INT(send_wait(a, ac, LM_CH_CHAT, LM_MSG_CHAT_SUBMIT,
                               LM_WIRE_MAX + 1, 1, 0), LM_ETOOBIG);
        CHECK_EQ_INT(send_wait(a, ac, LM_CH_CHAT, LM_MSG_CHAT_SUBMIT,
                               LM_WIRE_MAX, 1, 0), 0);
        CHECK(wait_count(&bc->r, 1, 3000));
        CHECK_EQ_INT(atomic_load(&bc->r.count), 1);
        CHECK_EQ_INT(atomic_load(&bc->r.len), LM_WIRE_MAX);
        CHECK_EQ_INT(atomic_load(&bf->r.count), BURST); /* nothing more */
    }
    lm_node_free(a);
    lm_node_free(b); /* each frees its services' state: calloc'd above */
}

int main(void)
{
    if (lm_crypto_init() < 0)
        return 1;
    RUN(test_bulk);
    return check_report();
}
