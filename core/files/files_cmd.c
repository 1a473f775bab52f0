/* files_cmd.c - the file service's commands, the worker's answers, the
 * room's changes and the service's life (files.h). Net thread, apart
 * from the lm_files_* calls, which only post. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "err.h"
#include "files_impl.h"

#define RETRY_US 1000000       /* a new hub that lacks a file: ask again */
#define RETRY_AFTER_US 10000000 /* ... for this long after the change */

/* ---- the worker's answers ------------------------------------------------ */

static void on_scanned(lm_files *f, fjob *j)
{
    fup *u = j->index < FX_UP ? &f->up[j->index] : NULL;
    if (!u || !u->used || u->scanned || strcmp(u->path, j->path) != 0)
        return; /* cancelled meanwhile */
    if (j->rc < 0) {
        files_emit_failed(f, NULL, "%s: %s '%s'",
                          j->rc == LM_ETOOBIG ? "too_big" : "bad_path",
                          j->rc == LM_ENOTFOUND ? "cannot open"
                          : j->rc == LM_EINVAL  ? "not a regular file:"
                          : j->rc == LM_ETOOBIG ? "over 1 TiB:"
                                                : "cannot read",
                          u->path);
        memset(u, 0, sizeof *u);
        return;
    }
    memcpy(u->o.id, j->offer.id, LM_FILE_ID_LEN);
    u->o.size = j->offer.size;
    u->o.chunk = j->offer.chunk;
    memcpy(u->o.root, j->offer.root, LM_FILE_HASH_LEN);
    u->scanned = true;
    u->prog_us = lm_mesh_now_us();
    files_start_upload(f, u);
}

static void on_selfstored(lm_files *f, fjob *j)
{
    if (j->keep) { /* the deputy's copy of its own upload */
        if (j->rc == 0) {
            fx_blob_set(f, &j->blob);
            fx_offer_add(f->catalog, &f->ncatalog, &j->offer);
        }
        return;
    }
    fup *u = fx_up_find(f, j->id);
    if (!u)
        return;
    u->selfstore = false;
    if (j->rc < 0) {
        uint8_t code = j->refuse ? j->refuse : LM_FILE_IO;
        files_emit_failed(f, u->o.id, "%s: %s", lm_file_refuse_word(code),
                          fx_refuse_sentence(code));
        fx_up_end(f, u);
        return;
    }
    fblob *b = fx_blob_set(f, &j->blob);
    fx_offer_add(f->catalog, &f->ncatalog, &u->o);
    fx_announce(f, &u->o);
    if (b)
        fx_serve_grown(f, b, true);
    fx_progress(f, u->o.id, true, u->o.size, u->o.size, &u->prog_us,
                &u->prog_bytes, lm_mesh_now_us(), true);
    fx_emit_done(f, u->o.id, u->path);
    fx_up_end(f, u);
}

void files_on_answer(lm_files *f, fjob *j)
{
    switch (j->kind) {
    case J_OPEN:
        f->store_ok = j->rc == 0;
        if (j->rc < 0)
            lm_mesh_error(f->n, "store", "cannot open the file store '%s': "
                          "%s; files cannot be shared through this node",
                          f->store_dir, j->rc == LM_EFULL
                                            ? "another lanmeet holds it"
                                            : lm_strerror(j->rc));
        break;
    case J_LOADED:
        if (j->index == UINT32_MAX)
            fx_blob_set(f, &j->blob);
        else
            fx_offer_add(f->catalog, &f->ncatalog, &j->offer);
        break;
    case J_SCAN: on_scanned(f, j); break;
    case J_SELFSTORE: on_selfstored(f, j); break;
    case J_BEGIN: fx_on_begin(f, j); break;
    case J_PUT: fx_on_put(f, j); break;
    case J_READ:
    case J_SRC_READ:
        if (fx_on_read(f, j))
            return; /* held until its link has room */
        break;
    case J_EXPORT:
        if (j->rc < 0)
            files_emit_failed(f, j->id, "io: the file could not be saved in "
                              "'%s' (%s)", f->download_dir,
                              lm_strerror(j->rc));
        else
            fx_emit_done(f, j->id, j->path);
        break;
    case J_CLOSE_SRC:
    case J_REMOVE: break;
    }
    fjob_free(j);
}

static void drain_answers(lm_files *f)
{
    fjob *j;
    while ((j = files_take(f)) != NULL)
        files_on_answer(f, j);
}

/* ---- starting things ----------------------------------------------------- */

void files_start_upload(lm_files *f, fup *u)
{
    uint64_t hub = fx_hub_id(f);
    if (!hub || u->selfstore)
        return; /* offered when the room has a hub */
    if (hub != fx_self_id(f)) {
        u->hub = hub;
        fx_send_offer(f, hub, &u->o, LM_FILE_UPLOAD);
        return;
    }
    if (!f->store_ok) {
        files_emit_failed(f, u->o.id, "io: this node is the hub and its "
                          "store is not open");
        fx_up_end(f, u);
        return;
    }
    fjob *j = fjob_new(J_SELFSTORE);
    if (!j)
        return;
    memcpy(j->id, u->o.id, LM_FILE_ID_LEN);
    j->offer = u->o;
    u->hub = hub;
    u->selfstore = fx_queue_job(f, j);
}

void files_start_get(lm_files *f, const uint8_t id[LM_FILE_ID_LEN])
{
    char hex[65];
    lm_file_id_hex(id, hex);
    const lm_file_offer *o = fx_offer_find(f->offers, f->noffers, id);
    if (!o) {
        files_emit_failed(f, id, "unknown: no file %.16s... is offered to "
                          "you (see: files)", hex);
        return;
    }
    frx *rr = fx_rx_find(f, id, true);
    if (rr && rr->replica) { /* the deputy's copy: now also the person's */
        rr->replica = false;
        rr->prog_us = lm_mesh_now_us();
        return;
    }
    if (rr) {
        lm_mesh_error(f->n, "busy", "file %.16s... is already coming", hex);
        return;
    }
    bool hub = fx_hub_id(f) == fx_self_id(f);
    fblob *b = fx_blob_find(f, id);
    if (hub && b && b->complete) { /* held here: a copy, the store keeps it */
        fx_export(f, o, true);
        return;
    }
    frx *r = fx_rx_new(f);
    if (!r) {
        lm_mesh_error(f->n, "busy", "%d files are already coming; try again "
                      "when one is done", FX_RX);
        return;
    }
    r->down = true;
    r->o = *o;
    r->prog_us = lm_mesh_now_us();
    if (hub) {
        if (b) { /* still arriving here: saved once it is all in */
            r->export_pending = true;
            return;
        }
        files_emit_failed(f, id, "unknown: this hub does not hold the file");
        r->used = false;
        return;
    }
    r->from = fx_hub_id(f);
    fx_open_rx(f, r, false);
}

void files_cancel(lm_files *f, const uint8_t id[LM_FILE_ID_LEN])
{
    frx *r = fx_rx_find(f, id, true);
    fup *u = NULL;
    for (size_t i = 0; i < FX_UP && !u; i++)
        if (f->up[i].used && f->up[i].scanned && fx_same(f->up[i].o.id, id))
            u = &f->up[i];
    if (!r && !u) {
        lm_mesh_error(f->n, "unknown_file", "no transfer of that file to "
                      "cancel");
        return;
    }
    if (r) {
        if (r->from && r->from != fx_self_id(f))
            fx_send_simple(f, r->from, LM_MSG_FILE_CANCEL, id, 0);
        r->used = false;
    }
    if (u) {
        if (u->hub && u->hub != fx_self_id(f))
            fx_send_simple(f, u->hub, LM_MSG_FILE_CANCEL, id, 0);
        fx_up_end(f, u);
    }
    files_emit_failed(f, id, "cancelled: you cancelled it");
}

void files_list(lm_files *f)
{
    for (size_t i = 0; i < f->noffers; i++)
        files_emit_offered(f, &f->offers[i]);
}

/* ---- the room's changes -------------------------------------------------- */

static void ask_list(lm_files *f, uint64_t hub)
{
    if (!hub || hub == fx_self_id(f) || f->listed_hub == hub)
        return;
    lm_file_msg *m = &f->m;
    m->type = LM_MSG_FILE_LIST;
    if (files_send_msg(f, hub, m) == 0)
        f->listed_hub = hub;
}

static void on_member(void *svc, const lm_member *m, lm_member_change change)
{
    lm_files *f = svc;
    if (change == LM_MEMBER_JOINED) {
        if (m->id == fx_hub_id(f))
            ask_list(f, m->id);
        return;
    }
    for (size_t i = 0; i < FX_TX; i++) {
        ftx *t = &f->tx[i];
        if (!t->used || t->to != m->id)
            continue;
        if (change == LM_MEMBER_LEFT)
            t->used = false;
        else
            lm_xsend_clear(&t->s); /* what it asked died with the link */
    }
    for (size_t i = 0; i < FX_RX; i++) {
        frx *r = &f->rx[i];
        if (!r->used || r->from != m->id)
            continue;
        lm_xfer_lost(&r->x);
        if (change == LM_MEMBER_RELINKED) {
            if (r->down)
                fx_send_have(f, r->from, r->o.id, &r->x.held);
            fx_ask(f, r);
        } else if (r->down) {
            r->from = 0; /* waits for the next hub */
            r->told = false;
        } else {
            /* an upload to us, the hub, whose sender is gone: those who
             * wait for it are told, not left waiting; the partial stays
             * in the store, so sent again it resumes */
            if (change == LM_MEMBER_LEFT)
                fx_withdraw(f, &r->o, LM_FILE_SENDER_LEFT,
                            "sender_left: its sender left before the upload "
                            "finished");
            r->used = false;
        }
    }
    if (change == LM_MEMBER_LEFT && m->id == f->listed_hub)
        f->listed_hub = 0;
    for (size_t i = 0; i < FX_UP; i++)
        if (f->up[i].used && f->up[i].hub == m->id &&
            change == LM_MEMBER_LEFT)
            f->up[i].hub = 0;
}

/* A download turns to the hub now in place, from where it stopped. */
static void rehome(lm_files *f, frx *r, uint64_t hub)
{
    r->told = false;
    lm_xfer_lost(&r->x);
    if (hub == fx_self_id(f)) {
        fblob *b = fx_blob_find(f, r->o.id);
        if (r->replica || (b && b->complete)) {
            if (!r->replica)
                fx_export(f, &r->o, true);
            r->used = false;
        } else {
            /* its uploader offers it here now and resumes into what this
             * node's store already holds; saved once it is all in */
            r->opened = false;
            r->export_pending = true;
            r->from = 0;
        }
        return;
    }
    r->from = hub;
    if (r->opened && hub)
        fx_send_have(f, hub, r->o.id, &r->x.held);
}

static void on_roles(void *svc, const lm_elect_state *old,
                     const lm_elect_state *now)
{
    lm_files *f = svc;
    uint64_t self = fx_self_id(f);
    if (now->deputy == self && old->deputy != self) {
        f->listed_hub = 0; /* asked again: the deputy copies it all */
        ask_list(f, now->hub);
    }
    if (old->hub == now->hub)
        return;
    f->hub_changed_us = lm_mesh_now_us();
    f->listed_hub = 0;
    ask_list(f, now->hub);
    for (size_t i = 0; i < FX_TX; i++) /* served as the old hub, or to it */
        if (f->tx[i].used && (f->tx[i].src ? f->tx[i].to == old->hub
                                           : now->hub != self))
            f->tx[i].used = false;
    for (size_t i = 0; i < FX_RX; i++) {
        frx *r = &f->rx[i];
        if (!r->used)
            continue;
        if (!r->down && now->hub != self)
            r->used = false; /* no longer the hub: the uploader moves on */
        else if (r->down && !r->export_pending)
            rehome(f, r, now->hub);
    }
    for (size_t i = 0; i < FX_UP; i++)
        if (f->up[i].used && f->up[i].scanned && !f->up[i].selfstore)
            files_start_upload(f, &f->up[i]);
}

static int64_t tick(void *svc, int64_t now)
{
    lm_files *f = svc;
    drain_answers(f); /* a wake lost to a full command queue */
    bool busy = false;
    for (size_t i = 0; i < FX_RX; i++) {
        frx *r = &f->rx[i];
        if (!r->used)
            continue;
        busy = true;
        if (r->down && r->opened && !r->told && r->from &&
            r->retry_us && now >= r->retry_us) {
            r->retry_us = 0;
            fx_send_have(f, r->from, r->o.id, &r->x.held);
        }
        if (r->opened && r->told && lm_xfer_stalled(&r->x, now, FX_STALL_US)) {
            lm_xfer_lost(&r->x);
            if (r->down && r->from)
                fx_send_have(f, r->from, r->o.id, &r->x.held);
            fx_ask(f, r);
        }
        if (r->down && r->opened)
            fx_progress(f, r->o.id, false, lm_xfer_bytes(&r->x), r->o.size,
                        &r->prog_us, &r->prog_bytes, now, false);
    }
    if (fx_flush_held(f))
        return now + FX_HELD_US;
    for (size_t i = 0; i < FX_TX && !busy; i++)
        busy = f->tx[i].used;
    return now + (busy ? 100000 : 1000000);
}

/* A download whose new hub does not hold the file yet (its uploader may
 * still be offering it there): asked again for a while. */
bool files_retry_later(lm_files *f, frx *r)
{
    int64_t now = lm_mesh_now_us();
    if (now - f->hub_changed_us > RETRY_AFTER_US)
        return false;
    r->told = false;
    r->retry_us = now + RETRY_US;
    return true;
}

/* ---- the service --------------------------------------------------------- */

static void files_free(void *svc)
{
    lm_files *f = svc;
    if (!f)
        return;
    if (f->started) {
        pthread_mutex_lock(&f->mu);
        f->stop = true;
        pthread_cond_signal(&f->cv);
        pthread_mutex_unlock(&f->mu);
        pthread_join(f->thread, NULL);
    }
    for (fjob *j = f->in_head, *next; j; j = next) {
        next = j->next;
        fjob_free(j);
    }
    for (fjob *j = f->out_head, *next; j; j = next) {
        next = j->next;
        fjob_free(j);
    }
    fx_drop_held(f);
    pthread_mutex_destroy(&f->mu);
    pthread_cond_destroy(&f->cv);
    free(f->offers);
    free(f->catalog);
    free(f->blobs);
    free(f->out);
    free(f->buf);
    free(f->store_dir);
    free(f->download_dir);
    free(f);
}

static const uint8_t files_types[] = {
    LM_MSG_FILE_OFFER, LM_MSG_FILE_HAVE,   LM_MSG_FILE_REQUEST,
    LM_MSG_FILE_CHUNK, LM_MSG_FILE_DONE,   LM_MSG_FILE_REFUSE,
    LM_MSG_FILE_CANCEL, LM_MSG_FILE_LIST,
};

static const lm_service_ops files_ops = {
    .name = "files",
    .channel = LM_CH_FILE,
    .types = files_types,
    .ntypes = sizeof files_types,
    .on_receive = files_on_receive,
    .on_member = on_member,
    .on_roles = on_roles,
    .tick = tick,
    .free = files_free,
};

lm_files *lm_files_attach(lm_node *n, const lm_files_config *cfg, int *err)
{
    if (!cfg->store_dir || !cfg->download_dir || !cfg->store_dir[0] ||
        !cfg->download_dir[0]) {
        *err = LM_EINVAL;
        return NULL;
    }
    lm_files *f = calloc(1, sizeof *f);
    if (!f) {
        *err = LM_ENOMEM;
        return NULL;
    }
    f->n = n;
    f->cfg = *cfg;
    f->dirfd = -1;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&f->cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&f->mu, NULL);
    f->store_dir = strdup(cfg->store_dir);
    f->download_dir = strdup(cfg->download_dir);
    f->offers = calloc(FX_OFFERS, sizeof *f->offers);
    f->catalog = calloc(FX_OFFERS, sizeof *f->catalog);
    f->blobs = calloc(FX_BLOBS, sizeof *f->blobs);
    f->out = malloc(LM_FILE_WIRE_MAX);
    f->buf = malloc(LM_FILE_CHUNK_MAX);
    fjob *open = fjob_new(J_OPEN);
    int rc = LM_ENOMEM;
    if (f->store_dir && f->download_dir && f->offers && f->catalog &&
        f->blobs && f->out && f->buf && open)
        rc = lm_mesh_attach(n, &files_ops, f);
    if (rc < 0) {
        fjob_free(open);
        files_free(f);
        *err = rc;
        return NULL;
    }
    files_queue(f, open); /* the first job: the store */
    if (pthread_create(&f->thread, NULL, files_worker, f) != 0) {
        *err = LM_EIO; /* attached: the node frees it */
        return NULL;
    }
    f->started = true;
    *err = 0;
    return f;
}

/* ---- commands (any thread) ----------------------------------------------- */

typedef struct fcmd {
    char *path;
    char **to;
    size_t nto;
    uint8_t id[LM_FILE_ID_LEN];
} fcmd;

static void fcmd_free(void *p)
{
    fcmd *k = p;
    if (!k)
        return;
    for (size_t i = 0; i < k->nto; i++)
        free(k->to[i]);
    free(k->to);
    free(k->path);
    free(k);
}

/* A member by display name, base name (when only one has it) or id. */
static bool find_member(lm_files *f, const char *who, uint64_t *id)
{
    lm_member m;
    int base_hits = 0;
    for (size_t it = 0; lm_mesh_next(f->n, &it, &m);) {
        if (strcmp(m.name, who) == 0) {
            *id = m.id;
            return true;
        }
        if (strcmp(m.base, who) == 0 && base_hits++ == 0)
            *id = m.id;
    }
    if (base_hits == 1)
        return true;
    return strlen(who) == 16 && lm_id_parse(who, id) == 0 &&
           lm_mesh_member(f->n, *id, &m);
}

static int cmp_id(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void run_send(void *svc, void *arg)
{
    lm_files *f = svc;
    fcmd *k = arg;
    fup *u = NULL;
    size_t slot = 0;
    for (; slot < FX_UP && !u; slot++)
        if (!f->up[slot].used)
            u = &f->up[slot];
    if (!u) {
        lm_mesh_error(f->n, "busy", "%d files are already being sent; try "
                      "again when one is done", FX_UP);
        return;
    }
    slot--;
    fup nu = {.used = true};
    for (size_t i = 0; i < k->nto; i++) {
        uint64_t id;
        if (!find_member(f, k->to[i], &id)) {
            lm_mesh_error(f->n, "unknown_peer", "no one called '%s' is in "
                          "the room", k->to[i]);
            return;
        }
        bool again = false;
        for (size_t j = 0; j < nu.o.nto; j++)
            again |= nu.o.to[j] == id;
        if (!again && nu.o.nto < LM_MAX_PEERS)
            nu.o.to[nu.o.nto++] = id;
    }
    qsort(nu.o.to, nu.o.nto, sizeof nu.o.to[0], cmp_id);
    snprintf(nu.path, sizeof nu.path, "%s", k->path);
    const char *base = strrchr(k->path, '/');
    base = base && base[1] ? base + 1 : k->path;
    char safe[LM_SAFENAME_MAX + 1];
    lm_safename(base, strlen(base), safe); /* valid UTF-8, no separators */
    snprintf(nu.o.name, sizeof nu.o.name, "%s", safe);
    nu.o.from = fx_self_id(f);
    snprintf(nu.o.from_name, sizeof nu.o.from_name, "%s",
             lm_mesh_self_name(f->n));
    nu.o.ts = lm_utc_ms();
    fjob *j = fjob_new(J_SCAN);
    if (!j || !(j->path = strdup(k->path))) {
        fjob_free(j);
        return;
    }
    j->index = (uint32_t)slot;
    *u = nu;
    if (!fx_queue_job(f, j))
        memset(u, 0, sizeof *u);
}

static void run_get(void *svc, void *arg)
{
    files_start_get(svc, ((fcmd *)arg)->id);
}

static void run_cancel(void *svc, void *arg)
{
    files_cancel(svc, ((fcmd *)arg)->id);
}

static void run_list(void *svc, void *arg)
{
    (void)arg;
    files_list(svc);
}

int lm_files_send(lm_files *f, const char *path, const char *const *to,
                  size_t nto)
{
    if (!path || !path[0] || strlen(path) >= FX_PATH_MAX ||
        nto > LM_MAX_PEERS)
        return LM_EINVAL;
    fcmd *k = calloc(1, sizeof *k);
    if (!k || !(k->path = strdup(path)) ||
        (nto && !(k->to = calloc(nto, sizeof *k->to)))) {
        fcmd_free(k);
        return LM_ENOMEM;
    }
    for (size_t i = 0; i < nto; i++) {
        if (!(k->to[i] = strdup(to[i]))) {
            fcmd_free(k);
            return LM_ENOMEM;
        }
        k->nto++;
    }
    int rc = lm_mesh_post(f->n, run_send, f, k, fcmd_free);
    if (rc == LM_EFULL) /* not posted: ours to free (ENOMEM dropped it) */
        fcmd_free(k);
    return rc;
}

static int post_id(lm_files *f, const char *hex,
                   void (*fn)(void *svc, void *arg))
{
    fcmd *k = calloc(1, sizeof *k);
    if (!k)
        return LM_ENOMEM;
    if (lm_file_id_parse(hex, k->id) < 0) {
        free(k);
        return LM_EINVAL;
    }
    int rc = lm_mesh_post(f->n, fn, f, k, fcmd_free);
    if (rc == LM_EFULL)
        fcmd_free(k);
    return rc;
}

int lm_files_get(lm_files *f, const char *id_hex)
{
    return post_id(f, id_hex, run_get);
}

int lm_files_cancel(lm_files *f, const char *id_hex)
{
    return post_id(f, id_hex, run_cancel);
}

int lm_files_list(lm_files *f)
{
    return lm_mesh_post(f->n, run_list, f, NULL, NULL);
}
