/* test_files_svc.c - the file service against a hostile peer.
 *
 * Two real nodes in this process on loopback: V runs the file service as
 * the hub (roles set by hand: no election here) with a store capped at
 * 1 MiB; H runs a small service of its own on the file channel that sends
 * what an honest node never would and records what V answers. Checked:
 * a declared size over the cap is refused (too_big), an upload claiming
 * another sender is refused (not_allowed), a HAVE for an unknown file is
 * refused (unknown), a chunk past the file or never asked is dropped and
 * nothing is written, a chunk whose bytes fail the tree is asked again,
 * one that keeps failing ends the upload (bad_hash) and its partial goes,
 * and a good upload completes (DONE, the file in the store under its id,
 * file_offered on V); the failed one, offered while it arrived, is
 * withdrawn (file_failed on V). Every wait is bounded in time. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "clock.h"
#include "crypto.h"
#include "err.h"
#include "files/files.h"
#include "files/ftree.h"
#include "files/sha256.h"
#include "files/xfer.h"
#include "mesh/mesh.h"

#define LOG_MAX 256

typedef struct seen {
    uint8_t type, code;
    uint8_t id[LM_FILE_ID_LEN];
    uint32_t first; /* REQUEST: its first range */
} seen;

typedef struct hostile {
    lm_node *n;
    uint64_t victim;
    pthread_mutex_t mu;
    seen log[LOG_MAX];
    size_t nlog;
} hostile;

static void h_receive(void *p, const lm_member *from, const uint8_t *data,
                      size_t len)
{
    (void)from;
    hostile *h = p;
    static lm_file_msg m; /* net thread of H only */
    if (lm_file_decode(data, len, &m) < 0)
        return;
    pthread_mutex_lock(&h->mu);
    if (h->nlog < LOG_MAX) {
        seen *s = &h->log[h->nlog++];
        s->type = m.type;
        s->code = m.code;
        memcpy(s->id, m.id, LM_FILE_ID_LEN);
        s->first = m.nranges ? m.ranges[0].first : 0;
    }
    pthread_mutex_unlock(&h->mu);
}

static void h_free(void *p)
{
    hostile *h = p;
    pthread_mutex_destroy(&h->mu);
    free(h);
}

static const uint8_t h_types[] = {
    LM_MSG_FILE_OFFER, LM_MSG_FILE_HAVE,   LM_MSG_FILE_REQUEST,
    LM_MSG_FILE_CHUNK, LM_MSG_FILE_DONE,   LM_MSG_FILE_REFUSE,
    LM_MSG_FILE_CANCEL, LM_MSG_FILE_LIST,
};
static const lm_service_ops h_ops = {
    .name = "hostile", .channel = LM_CH_FILE, .types = h_types,
    .ntypes = sizeof h_types, .on_receive = h_receive, .free = h_free,
};

/* Counts answers of `type` (and code, when code != 0) about id. */
static size_t count(hostile *h, uint8_t type, uint8_t code, const uint8_t *id,
                    int first)
{
    size_t c = 0;
    pthread_mutex_lock(&h->mu);
    for (size_t i = 0; i < h->nlog; i++)
        c += h->log[i].type == type && (!code || h->log[i].code == code) &&
             memcmp(h->log[i].id, id, LM_FILE_ID_LEN) == 0 &&
             (first < 0 || h->log[i].first == (uint32_t)first);
    pthread_mutex_unlock(&h->mu);
    return c;
}

static bool wait_count(hostile *h, uint8_t type, uint8_t code,
                       const uint8_t *id, int first, size_t want, int ms)
{
    int64_t until = lm_mono_us() + (int64_t)ms * 1000;
    while (count(h, type, code, id, first) < want && lm_mono_us() < until)
        poll(NULL, 0, 5);
    return count(h, type, code, id, first) >= want;
}

/* ---- sending from H's net thread ---------------------------------------- */

typedef struct out {
    hostile *h;
    lm_file_msg m;
    atomic_bool done;
} out;

static void run_out(void *svc, void *arg)
{
    (void)svc;
    out *o = arg;
    uint8_t *buf = malloc(LM_FILE_WIRE_MAX);
    int len = buf ? lm_file_encode(&o->m, buf, LM_FILE_WIRE_MAX) : -1;
    if (len > 0)
        lm_mesh_send(o->h->n, o->h->victim, LM_CH_FILE, buf, (size_t)len, 0);
    free(buf);
    atomic_store(&o->done, true);
}

static void send_msg(hostile *h, out *o)
{
    o->h = h;
    atomic_store(&o->done, false);
    if (lm_mesh_post(h->n, run_out, h, o, NULL) < 0)
        return;
    while (!atomic_load(&o->done))
        poll(NULL, 0, 1);
}

/* ---- a file H uploads ----------------------------------------------------- */

#define CH (16u * 1024)
typedef struct tfile {
    uint8_t data[40000];
    size_t size;
    uint32_t n;
    lm_hash tree[8];
    uint8_t id[LM_FILE_ID_LEN];
} tfile;

static void tfile_make(tfile *t, uint8_t seed)
{
    t->size = sizeof t->data;
    for (size_t i = 0; i < t->size; i++)
        t->data[i] = (uint8_t)(i * 31 + seed);
    t->n = lm_file_nchunks(t->size, CH);
    for (uint32_t i = 0; i < t->n; i++)
        lm_ftree_leaf(t->data + (size_t)i * CH,
                      lm_file_chunk_len(t->size, CH, i), t->tree[i]);
    lm_ftree_build(t->tree, t->n);
    lm_sha256_buf(t->data, t->size, t->id);
}

static void offer_of(out *o, const tfile *t, uint64_t from, uint64_t size)
{
    memset(&o->m, 0, sizeof o->m);
    o->m.type = LM_MSG_FILE_OFFER;
    lm_file_offer *f = &o->m.offer;
    memcpy(f->id, t->id, LM_FILE_ID_LEN);
    f->size = size;
    f->chunk = CH;
    memcpy(f->root, lm_ftree_root(t->tree, t->n), LM_FILE_HASH_LEN);
    f->from = from;
    f->flags = LM_FILE_UPLOAD;
    snprintf(f->from_name, sizeof f->from_name, "h");
    snprintf(f->name, sizeof f->name, "../../etc/passwd");
}

static void chunk_of(out *o, const tfile *t, uint32_t i, bool spoil)
{
    memset(&o->m, 0, sizeof o->m);
    o->m.type = LM_MSG_FILE_CHUNK;
    memcpy(o->m.id, t->id, LM_FILE_ID_LEN);
    o->m.index = i;
    uint32_t j = i < t->n ? i : 0;
    o->m.nproof = lm_ftree_proof(t->tree, t->n, j, o->m.proof);
    static uint8_t bad[CH];
    size_t len = lm_file_chunk_len(t->size, CH, j);
    memcpy(bad, t->data + (size_t)j * CH, len);
    if (spoil)
        bad[len / 2] ^= 0x40;
    o->m.data = bad;
    o->m.len = len;
}

/* Files in dir whose names hold neither "index" nor "lock". */
static int data_files(const char *dir)
{
    DIR *d = opendir(dir);
    int c = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL)
        c += e->d_name[0] != '.' && !strstr(e->d_name, "index") &&
             strcmp(e->d_name, "lock") != 0;
    if (d)
        closedir(d);
    return c;
}

static bool has_file(const char *dir, const uint8_t *id)
{
    char hex[65], path[512];
    lm_file_id_hex(id, hex);
    snprintf(path, sizeof path, "%s/%s", dir, hex);
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

static void set_roles(void *svc, void *arg)
{
    lm_mesh_set_roles(svc, arg);
}

static void test_hostile(void)
{
    char tmpl[] = "/tmp/lm-files-svc-XXXXXX";
    char *root = mkdtemp(tmpl);
    CHECK(root != NULL);
    if (!root)
        return;
    char store[256], down[256];
    snprintf(store, sizeof store, "%s/store", root);
    snprintf(down, sizeof down, "%s/down", root);
    lm_identity iv, ih;
    lm_identity_generate(&iv);
    lm_identity_generate(&ih);
    lm_node_config cv = {.name = "v", .room = "svc", .bind = "127.0.0.1",
                         .identity = &iv, .quiet = true};
    lm_node_config ch = cv;
    ch.name = "h";
    ch.identity = &ih;
    int err;
    lm_node *v = lm_node_new(&cv, &err), *hn = lm_node_new(&ch, &err);
    hostile *h = calloc(1, sizeof *h);
    CHECK(v && hn && h);
    if (!v || !hn || !h) {
        lm_node_free(v);
        lm_node_free(hn);
        free(h);
        return;
    }
    pthread_mutex_init(&h->mu, NULL);
    h->n = hn;
    h->victim = lm_node_id(v);
    lm_files_config fc = {.store_dir = store, .download_dir = down,
                          .store_max = 1u << 20};
    CHECK(lm_files_attach(v, &fc, &err) != NULL);
    CHECK_EQ_INT(lm_mesh_attach(hn, &h_ops, h), 0);
    lm_node_start(v);
    lm_node_start(hn);
    lm_node_hint_peer(hn, 0, 0x7f000001u, lm_node_port(v));
    bool joined = false, offered = false;
    int64_t until = lm_mono_us() + 5000000;
    while (!joined && lm_mono_us() < until) {
        lm_event *ev;
        while ((ev = lm_node_next_event(v)) != NULL) {
            joined |= ev->type == LM_EV_PEER_JOINED;
            lm_event_free(ev);
        }
        poll(NULL, 0, 10);
    }
    CHECK(joined);
    static lm_elect_state st; /* read by both net threads: set once */
    st = (lm_elect_state){.term = 1, .hub = lm_node_id(v)};
    lm_mesh_post(v, set_roles, v, &st, NULL);
    lm_mesh_post(hn, set_roles, hn, &st, NULL);
    poll(NULL, 0, 100);
    uint64_t self = lm_node_id(hn);
    static out o;
    static tfile good, bad;
    tfile_make(&good, 1);
    tfile_make(&bad, 2);

    /* a declared size over the cap: refused before anything is written */
    offer_of(&o, &good, self, LM_FILE_SIZE_MAX);
    send_msg(h, &o);
    CHECK(wait_count(h, LM_MSG_FILE_REFUSE, LM_FILE_TOO_BIG, good.id, -1, 1,
                     3000));
    /* an upload in another node's name */
    offer_of(&o, &good, self ^ 0x5a5a, good.size);
    send_msg(h, &o);
    CHECK(wait_count(h, LM_MSG_FILE_REFUSE, LM_FILE_NOT_ALLOWED, good.id, -1,
                     1, 3000));
    /* a HAVE (a download opening) for a file the hub does not hold */
    memset(&o.m, 0, sizeof o.m);
    o.m.type = LM_MSG_FILE_HAVE;
    memcpy(o.m.id, bad.id, LM_FILE_ID_LEN);
    send_msg(h, &o);
    CHECK(wait_count(h, LM_MSG_FILE_REFUSE, LM_FILE_UNKNOWN, bad.id, -1, 1,
                     3000));
    CHECK_EQ_INT(data_files(store), 0);

    /* a real upload: the hub asks for the chunks */
    offer_of(&o, &good, self, good.size);
    send_msg(h, &o);
    CHECK(wait_count(h, LM_MSG_FILE_REQUEST, 0, good.id, 0, 1, 3000));
    /* past the end of the file, and a spoiled chunk 0: dropped, asked
     * again; nothing completes */
    chunk_of(&o, &good, 9, false);
    send_msg(h, &o);
    chunk_of(&o, &good, 0, true);
    send_msg(h, &o);
    CHECK(wait_count(h, LM_MSG_FILE_REQUEST, 0, good.id, 0, 2, 3000));
    CHECK_EQ_INT(count(h, LM_MSG_FILE_DONE, 0, good.id, -1), 0);
    /* then the right bytes: DONE, stored under its id */
    for (uint32_t i = 0; i < good.n; i++) {
        chunk_of(&o, &good, i, false);
        send_msg(h, &o);
    }
    CHECK(wait_count(h, LM_MSG_FILE_DONE, 0, good.id, -1, 1, 3000));
    poll(NULL, 0, 100);
    CHECK(has_file(store, good.id));
    /* a chunk sent after the end, never asked: nothing more is written */
    int before = data_files(store);
    chunk_of(&o, &good, 1, false);
    send_msg(h, &o);

    /* an upload whose chunks keep failing: refused, its partial dropped */
    offer_of(&o, &bad, self, bad.size);
    send_msg(h, &o);
    CHECK(wait_count(h, LM_MSG_FILE_REQUEST, 0, bad.id, 0, 1, 3000));
    for (size_t k = 1; k <= LM_XFER_BAD_MAX + 2; k++) {
        if (count(h, LM_MSG_FILE_REFUSE, LM_FILE_BAD_HASH, bad.id, -1))
            break;
        chunk_of(&o, &bad, 0, true);
        send_msg(h, &o);
        /* each bad chunk is asked again, or the upload ends */
        int64_t t_end = lm_mono_us() + 3000000;
        while (count(h, LM_MSG_FILE_REQUEST, 0, bad.id, 0) <= k &&
               !count(h, LM_MSG_FILE_REFUSE, LM_FILE_BAD_HASH, bad.id, -1) &&
               lm_mono_us() < t_end)
            poll(NULL, 0, 2);
    }
    CHECK(wait_count(h, LM_MSG_FILE_REFUSE, LM_FILE_BAD_HASH, bad.id, -1, 1,
                     3000));
    poll(NULL, 0, 200);
    CHECK(!has_file(store, bad.id));
    CHECK_EQ_INT(data_files(store), before); /* its .part and .tree gone */
    CHECK_EQ_INT(data_files(down), 0);       /* nothing reached downloads */

    /* the hub offers a file while it arrives: the bad one is withdrawn */
    lm_event *ev;
    bool bad_offered = false, bad_withdrawn = false;
    while ((ev = lm_node_next_event(v)) != NULL) {
        const lm_ev_file_offered *of = lm_ev_file_offered_of(ev);
        const lm_ev_file_failed *fl = lm_ev_file_failed_of(ev);
        offered |= of && memcmp(of->id, good.id, LM_FILE_ID_LEN) == 0;
        bad_offered |= of && memcmp(of->id, bad.id, LM_FILE_ID_LEN) == 0;
        bad_withdrawn |= fl && memcmp(fl->id, bad.id, LM_FILE_ID_LEN) == 0 &&
                         strncmp(fl->reason, "bad_hash", 8) == 0;
        CHECK(!fl || memcmp(fl->id, good.id, LM_FILE_ID_LEN) != 0);
        lm_event_free(ev);
    }
    CHECK(offered);
    CHECK(!bad_offered || bad_withdrawn);
    lm_node_free(hn);
    lm_node_free(v);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    CHECK_EQ_INT(system(cmd), 0);
}

int main(void)
{
    if (lm_crypto_init() < 0)
        return 1;
    RUN(test_hostile);
    return check_report();
}
