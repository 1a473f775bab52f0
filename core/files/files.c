/* files.c - the file service on the net thread (files.h): the messages of
 * LM_CH_FILE, the transfers' windows, the offers, the events.
 *
 * Nothing here touches the disk: what needs it becomes a job for the
 * worker (files_io.c), whose answer comes back to files_on_answer. A
 * chunk that arrives is judged by its transfer's window (lm_xfer_check),
 * copied into a job, checked and written by the store, and only then
 * counted as arrived, so the window also bounds the worker's queue. */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "err.h"
#include "files_impl.h"

_Static_assert(LM_FILE_WIRE_MAX <= LM_WIRE_BULK_MAX,
               "a file chunk must fit a bulk message (core/wire.h)");

/* ---- serving chunks ------------------------------------------------------ */

/* Hands the worker the chunks t's receiver asked for and t holds. */
void fx_pump(lm_files *f, ftx *t)
{
    uint32_t i;
    while (t->reading < FX_READS && lm_xsend_next(&t->s, &i)) {
        fjob *j = fjob_new(t->src ? J_SRC_READ : J_READ);
        if (!j)
            return;
        memcpy(j->id, t->id, LM_FILE_ID_LEN);
        j->to = t->to;
        j->index = i;
        if (!fx_queue_job(f, j))
            return; /* the receiver asks again when it stalls */
        t->reading++;
    }
}

/* Sends a chunk the worker read for t. */
static void send_read(lm_files *f, ftx *t, const fjob *j)
{
    if (t->reading)
        t->reading--;
    bool sent = lm_mesh_send(f->n, j->to, LM_CH_FILE, j->data, j->len, 0) == 0;
    fblob *b = fx_blob_find(f, j->id);
    fup *u = fx_up_find(f, j->id);
    uint64_t size = b ? b->size : u ? u->o.size : 0;
    uint32_t chunk = b ? b->chunk : u ? u->o.chunk : 1;
    if (sent)
        t->sent += lm_file_chunk_len(size, chunk, j->index);
    if (u && t->src)
        fx_progress(f, u->o.id, true, t->sent, u->o.size, &u->prog_us,
                    &u->prog_bytes, lm_mesh_now_us(), false);
}

/* Hands the link every held chunk whose link has room, oldest first; a
 * chunk whose transfer ended meanwhile is dropped. */
bool fx_flush_held(lm_files *f)
{
    fjob **at = &f->held_head, *last = NULL;
    while (*at) {
        fjob *j = *at;
        ftx *t = fx_tx_find(f, j->id, j->to);
        if (t && lm_mesh_queued(f->n, j->to) >= FX_QUEUE_MAX) {
            last = j;
            at = &j->next;
            continue;
        }
        *at = j->next;
        if (t) {
            send_read(f, t, j);
            fx_pump(f, t); /* may hold no chunk: reads come back later */
        }
        fjob_free(j);
    }
    f->held_tail = last;
    return f->held_head != NULL;
}

void fx_drop_held(lm_files *f)
{
    while (f->held_head) {
        fjob *j = f->held_head;
        f->held_head = j->next;
        fjob_free(j);
    }
    f->held_tail = NULL;
}

bool fx_on_read(lm_files *f, fjob *j)
{
    ftx *t = fx_tx_find(f, j->id, j->to);
    if (!t)
        return false;
    if (j->rc < 0) {
        if (t->reading)
            t->reading--;
        lm_mesh_log(f->n, "files: cannot read a chunk to send: %s",
                    lm_strerror(j->rc));
        fx_pump(f, t);
        return false;
    }
    j->next = NULL;
    if (f->held_tail)
        f->held_tail->next = j;
    else
        f->held_head = j;
    f->held_tail = j;
    if (fx_flush_held(f))
        lm_mesh_tick_at(f->n, f, lm_mesh_now_us() + FX_HELD_US);
    return true;
}

/* The store holds more of id: every downloader of it may have it. */
void fx_serve_grown(lm_files *f, const fblob *b, bool force)
{
    for (size_t i = 0; i < FX_TX; i++) {
        ftx *t = &f->tx[i];
        if (!t->used || t->src || !fx_same(t->id, b->id))
            continue;
        lm_xsend_set_have(&t->s, b->have);
        /* say it every 64 chunks (4 MiB), and at the end */
        if (force || b->have >= t->told + 64 || b->complete) {
            lm_chunkset held = {.next = b->have};
            fx_send_have(f, t->to, b->id, &held);
            t->told = b->have;
        }
        fx_pump(f, t);
    }
}

/* ---- receiving ----------------------------------------------------------- */

void fx_ask(lm_files *f, frx *r)
{
    if (!r->opened || !r->told || !r->from)
        return;
    lm_file_msg *m = &f->m;
    size_t n = lm_xfer_asks(&r->x, lm_mesh_now_us(), m->ranges,
                            LM_FILE_RANGES_MAX);
    if (n == 0)
        return;
    m->type = LM_MSG_FILE_REQUEST;
    memcpy(m->id, r->o.id, LM_FILE_ID_LEN);
    m->nranges = n;
    if (files_send_msg(f, r->from, m) < 0)
        lm_xfer_lost(&r->x); /* asked again on the next link */
}

/* Forgets an offer; true when it was there. */
static bool forget(lm_file_offer *tab, size_t *n, const uint8_t *id)
{
    bool found = false;
    for (size_t i = 0; i < *n;)
        if (fx_same(tab[i].id, id)) {
            tab[i] = tab[--*n];
            found = true;
        } else {
            i++;
        }
    return found;
}

/* An upload the hub offered before it was all in failed its check, or
 * its sender cancelled it or left: its recipients are told (CANCEL with
 * code, 0 for none), and so is this hub's person. */
void fx_withdraw(lm_files *f, const lm_file_offer *o, uint8_t code,
                 const char *why)
{
    forget(f->catalog, &f->ncatalog, o->id);
    lm_member m;
    uint64_t dep = fx_deputy_id(f);
    for (size_t it = 0; lm_mesh_next(f->n, &it, &m);)
        if (m.id != o->from && (fx_for_member(o, m.id) || m.id == dep))
            fx_send_simple(f, m.id, LM_MSG_FILE_CANCEL, o->id, code);
    if (forget(f->offers, &f->noffers, o->id))
        files_emit_failed(f, o->id, "%s", why);
}

void fx_rx_fail(lm_files *f, frx *r, uint8_t code, const char *why)
{
    if (r->from && r->from != fx_self_id(f))
        fx_send_simple(f, r->from, r->down ? LM_MSG_FILE_CANCEL
                                        : LM_MSG_FILE_REFUSE,
                    r->o.id, code);
    if (r->down && !r->replica)
        files_emit_failed(f, r->o.id, "%s: %s", lm_file_refuse_word(code),
                          why);
    if (code == LM_FILE_BAD_HASH) {
        fjob *j = fjob_new(J_REMOVE);
        if (j) {
            memcpy(j->id, r->o.id, LM_FILE_ID_LEN);
            fx_queue_job(f, j);
        }
        if (!r->down) /* offered while it arrived: withdrawn */
            fx_withdraw(f, &r->o, 0, "bad_hash: the upload failed its check at "
                     "the hub; it is withdrawn");
    }
    r->used = false;
}

void fx_export(lm_files *f, const lm_file_offer *o, bool keep)
{
    keep |= fx_deputy_id(f) == fx_self_id(f); /* its store is the copy */
    fjob *j = fjob_new(J_EXPORT);
    if (!j)
        return;
    memcpy(j->id, o->id, LM_FILE_ID_LEN);
    j->offer = *o;
    j->keep = keep;
    fx_queue_job(f, j);
}

/* Offers a stored file to its recipients (and to this hub's person). */
void fx_announce(lm_files *f, const lm_file_offer *o)
{
    lm_member m;
    uint64_t dep = fx_deputy_id(f);
    for (size_t it = 0; lm_mesh_next(f->n, &it, &m);)
        if (m.id != o->from && fx_for_member(o, m.id))
            fx_send_offer(f, m.id, o, 0);
        else if (m.id == dep) /* its copy of the store, never shown */
            fx_send_offer(f, m.id, o, LM_FILE_LISTED);
    if (o->from != fx_self_id(f) && fx_for_member(o, fx_self_id(f)) &&
        fx_offer_add(f->offers, &f->noffers, o))
        files_emit_offered(f, o);
}

void fx_on_begin(lm_files *f, fjob *j)
{
    frx *r = fx_rx_find(f, j->id, !j->with_offer);
    if (!r)
        return;
    if (j->rc < 0) {
        uint8_t code = j->refuse ? j->refuse : LM_FILE_IO;
        fx_rx_fail(f, r, code, fx_refuse_sentence(code));
        return;
    }
    fblob *b = fx_blob_set(f, &j->blob);
    r->opened = true;
    if (!r->down) { /* an upload to this hub */
        fx_offer_add(f->catalog, &f->ncatalog, &r->o);
        fx_announce(f, &r->o);
        fx_send_have(f, r->from, r->o.id, &j->blob.held);
        if (j->blob.complete) {
            fx_send_simple(f, r->from, LM_MSG_FILE_DONE, r->o.id, 0);
            if (b)
                fx_serve_grown(f, b, true);
            r->used = false;
            return;
        }
    } else if (j->blob.complete) {
        if (!r->replica)
            fx_export(f, &r->o, false);
        r->used = false;
        return;
    } else if (r->from) {
        fx_send_have(f, r->from, r->o.id, &j->blob.held); /* open, resume */
    }
    if (lm_xfer_init(&r->x, r->o.size, r->o.chunk, FX_WINDOW) < 0 ||
        lm_xfer_restore(&r->x, &j->blob.held) < 0) {
        fx_rx_fail(f, r, LM_FILE_IO, "the transfer could not resume");
        return;
    }
    fx_ask(f, r);
}

void fx_on_put(lm_files *f, fjob *j)
{
    frx *r = NULL;
    for (size_t i = 0; i < FX_RX && !r; i++)
        if (f->rx[i].used && f->rx[i].opened && fx_same(f->rx[i].o.id, j->id))
            r = &f->rx[i];
    if (j->rc == 0 || j->rc == LM_EAUTH) {
        fblob *b = j->rc == 0 ? fx_blob_set(f, &j->blob) : NULL;
        if (b)
            fx_serve_grown(f, b, false);
    }
    if (!r)
        return;
    int64_t now = lm_mesh_now_us();
    if (j->rc == LM_EAUTH || j->rc == 0) {
        if (lm_xfer_arrived(&r->x, j->index, j->rc == 0, now) == LM_EAUTH) {
            fx_rx_fail(f, r, LM_FILE_BAD_HASH, "chunks kept failing their hash");
            return;
        }
    } else if (j->rc == LM_EPROTO) {
        fx_rx_fail(f, r, LM_FILE_BAD_HASH, fx_refuse_sentence(LM_FILE_BAD_HASH));
        return;
    } else if (j->rc != LM_EINVAL) { /* EINVAL: a duplicate past the window */
        uint8_t code = j->refuse ? j->refuse : LM_FILE_IO;
        fx_rx_fail(f, r, code, fx_refuse_sentence(code));
        return;
    }
    if (r->down && !r->replica)
        fx_progress(f, r->o.id, false, lm_xfer_bytes(&r->x), r->o.size,
                 &r->prog_us, &r->prog_bytes, now, false);
    if (j->rc == 0 && j->blob.complete) {
        if (r->down && r->replica) {
            fx_send_simple(f, r->from, LM_MSG_FILE_DONE, r->o.id, 0);
        } else if (r->down) {
            fx_send_simple(f, r->from, LM_MSG_FILE_DONE, r->o.id, 0);
            fx_progress(f, r->o.id, false, r->o.size, r->o.size, &r->prog_us,
                     &r->prog_bytes, now, true);
            fx_export(f, &r->o, false);
        } else {
            fx_send_simple(f, r->from, LM_MSG_FILE_DONE, r->o.id, 0);
            for (size_t i = 0; i < FX_RX; i++) /* the hub's own get */
                if (f->rx[i].used && f->rx[i].export_pending &&
                    fx_same(f->rx[i].o.id, j->id)) {
                    fx_export(f, &f->rx[i].o, true);
                    f->rx[i].used = false;
                }
        }
        r->used = false;
        return;
    }
    fx_ask(f, r);
}

static void on_chunk(lm_files *f, const lm_member *from, lm_file_msg *m)
{
    frx *r = NULL;
    for (size_t i = 0; i < FX_RX && !r; i++)
        if (f->rx[i].used && f->rx[i].opened && f->rx[i].from == from->id &&
            fx_same(f->rx[i].o.id, m->id))
            r = &f->rx[i];
    if (!r)
        return; /* cancelled, or never asked: dropped */
    if (lm_xfer_check(&r->x, m->index, m->len) != LM_XFER_TAKE)
        return; /* counted in the transfer */
    fjob *j = fjob_new(J_PUT);
    if (!j || !(j->data = malloc(m->len))) {
        fjob_free(j);
        return; /* asked again when the transfer stalls */
    }
    memcpy(j->id, m->id, LM_FILE_ID_LEN);
    j->index = m->index;
    memcpy(j->data, m->data, m->len);
    j->len = m->len;
    j->nproof = m->nproof;
    memcpy(j->proof, m->proof, m->nproof * LM_FILE_HASH_LEN);
    fx_queue_job(f, j);
}

/* ---- the messages -------------------------------------------------------- */

void fx_open_rx(lm_files *f, frx *r, bool with_offer)
{
    fjob *j = fjob_new(J_BEGIN);
    if (!j) {
        r->used = false;
        return;
    }
    memcpy(j->id, r->o.id, LM_FILE_ID_LEN);
    j->offer = r->o;
    j->with_offer = with_offer;
    if (!fx_queue_job(f, j))
        r->used = false;
}

static void on_upload_offer(lm_files *f, const lm_member *from,
                            lm_file_offer *o)
{
    if (o->from != from->id) {
        fx_send_simple(f, from->id, LM_MSG_FILE_REFUSE, o->id,
                    LM_FILE_NOT_ALLOWED);
        return;
    }
    /* the name it calls itself (fits an offer); recipients show the
     * room's name for it (files_emit_offered) */
    size_t nl = strnlen(from->base, LM_NAME_MAX);
    memcpy(o->from_name, from->base, nl);
    o->from_name[nl] = '\0';
    o->flags = 0;
    frx *r = fx_rx_find(f, o->id, false);
    if (r) { /* offered again (a relink): resume with this link */
        r->from = from->id;
        lm_xfer_lost(&r->x);
        fx_send_have(f, from->id, o->id, &r->x.held);
        fx_ask(f, r);
        return;
    }
    if (!f->store_ok || !(r = fx_rx_new(f))) {
        fx_send_simple(f, from->id, LM_MSG_FILE_REFUSE, o->id,
                    f->store_ok ? LM_FILE_STORE_FULL : LM_FILE_IO);
        return;
    }
    r->from = from->id;
    r->o = *o;
    r->told = true; /* the uploader holds it all */
    fx_open_rx(f, r, true);
}

/* The deputy copies every file the hub holds into its own store, as a
 * download nobody sees, so a new hub already has what the old one held. */
static void replicate(lm_files *f, const lm_file_offer *o)
{
    fx_offer_add(f->catalog, &f->ncatalog, o);
    fblob *b = fx_blob_find(f, o->id);
    if (!f->store_ok || (b && b->complete) || fx_rx_find(f, o->id, true) ||
        fx_up_find(f, o->id))
        return; /* its own upload: copied from the source at DONE */
    frx *r = fx_rx_new(f);
    if (!r)
        return; /* copied when a LIST comes again */
    r->down = r->replica = true;
    r->from = fx_hub_id(f);
    r->o = *o;
    fx_open_rx(f, r, false);
}

static void on_offer(lm_files *f, const lm_member *from, lm_file_msg *m)
{
    lm_file_offer *o = &m->offer;
    bool hub = fx_hub_id(f) == fx_self_id(f);
    if (o->flags & LM_FILE_UPLOAD) {
        if (hub)
            on_upload_offer(f, from, o);
        else /* not the hub (any more): the uploader learns of the new one */
            fx_send_simple(f, from->id, LM_MSG_FILE_REFUSE, o->id,
                        LM_FILE_UNKNOWN);
        return;
    }
    if (from->id != fx_hub_id(f))
        return; /* only the hub offers */
    bool listed = o->flags & LM_FILE_LISTED;
    o->flags = 0;
    if (fx_deputy_id(f) == fx_self_id(f))
        replicate(f, o);
    if (!fx_for_member(o, fx_self_id(f)) || o->from == fx_self_id(f))
        return; /* only what is for us is shown */
    if (fx_offer_add(f->offers, &f->noffers, o) || !listed)
        files_emit_offered(f, o);
}

static void on_have(lm_files *f, const lm_member *from, lm_file_msg *m)
{
    uint32_t prefix = lm_file_ranges_prefix(m->ranges, m->nranges);
    frx *r = fx_rx_find(f, m->id, true);
    if (r && r->from == from->id) { /* the hub: what it can serve */
        lm_xfer_sender_has(&r->x, prefix);
        if (!r->told) {
            r->told = true;
            lm_xfer_lost(&r->x);
        }
        fx_ask(f, r);
        return;
    }
    if (fx_up_find(f, m->id) && from->id == fx_hub_id(f))
        return; /* the hub's resume point: it asks from there */
    if (fx_hub_id(f) != fx_self_id(f))
        return;
    /* a downloader opens (or resumes) with what it holds */
    const lm_file_offer *o = fx_offer_find(f->catalog, f->ncatalog, m->id);
    fblob *b = fx_blob_find(f, m->id);
    if (!o || !b) {
        fx_send_simple(f, from->id, LM_MSG_FILE_REFUSE, m->id, LM_FILE_UNKNOWN);
        return;
    }
    bool allowed = from->id == fx_deputy_id(f); /* its copy */
    for (size_t i = 0; i < f->ncatalog; i++)
        allowed |= fx_same(f->catalog[i].id, m->id) &&
                   fx_for_member(&f->catalog[i], from->id);
    if (!allowed) {
        fx_send_simple(f, from->id, LM_MSG_FILE_REFUSE, m->id,
                    LM_FILE_NOT_ALLOWED);
        return;
    }
    ftx *t = fx_tx_open(f, m->id, from->id, false, b->nchunks, b->have);
    if (!t) {
        fx_send_simple(f, from->id, LM_MSG_FILE_REFUSE, m->id, LM_FILE_IO);
        return;
    }
    lm_chunkset held = {.next = b->have};
    fx_send_have(f, from->id, m->id, &held);
    t->told = b->have;
}

static void on_request(lm_files *f, const lm_member *from, lm_file_msg *m)
{
    ftx *t = NULL;
    for (size_t i = 0; i < FX_TX && !t; i++)
        if (f->tx[i].used && f->tx[i].to == from->id &&
            fx_same(f->tx[i].id, m->id))
            t = &f->tx[i];
    fup *u = fx_up_find(f, m->id);
    if (!t && u && from->id == fx_hub_id(f)) /* the hub pulls our upload */
        t = fx_tx_open(f, m->id, from->id, true,
                    lm_file_nchunks(u->o.size, u->o.chunk),
                    lm_file_nchunks(u->o.size, u->o.chunk));
    if (!t)
        return; /* not served here (cancelled): the asker stalls and asks
                   the hub again */
    if (lm_xsend_ask(&t->s, m->ranges, m->nranges) < 0)
        return; /* past its window: counted in t->s.refused */
    fx_pump(f, t);
}

static void on_done(lm_files *f, const lm_member *from, lm_file_msg *m)
{
    fup *u = fx_up_find(f, m->id);
    if (u && from->id == fx_hub_id(f)) {
        fblob *b = fx_blob_find(f, u->o.id);
        fjob *j = fx_deputy_id(f) == fx_self_id(f) && f->store_ok &&
                          !(b && b->complete)
                      ? fjob_new(J_SELFSTORE)
                      : NULL;
        if (j) { /* the deputy's copy, from the source before it closes */
            memcpy(j->id, u->o.id, LM_FILE_ID_LEN);
            j->offer = u->o;
            j->keep = true;
            fx_queue_job(f, j);
        }
        fx_progress(f, u->o.id, true, u->o.size, u->o.size, &u->prog_us,
                 &u->prog_bytes, lm_mesh_now_us(), true);
        fx_emit_done(f, u->o.id, u->path);
        fx_up_end(f, u);
        return;
    }
    ftx *t = fx_tx_find(f, m->id, from->id);
    if (t)
        t->used = false;
}

static void on_refuse(lm_files *f, const lm_member *from, lm_file_msg *m)
{
    fup *u = fx_up_find(f, m->id);
    if (u && from->id == u->hub) {
        if (m->code == LM_FILE_UNKNOWN) {
            u->hub = 0; /* it was no hub: offered again at the next one */
            return;
        }
        files_emit_failed(f, u->o.id, "%s: %s", lm_file_refuse_word(m->code),
                          fx_refuse_sentence(m->code));
        fx_up_end(f, u);
        return;
    }
    frx *r = fx_rx_find(f, m->id, true);
    if (r && r->from == from->id && m->code == LM_FILE_UNKNOWN &&
        files_retry_later(f, r))
        return;
    if (r && r->from == from->id) {
        r->from = 0; /* so rx_fail sends nothing back */
        fx_rx_fail(f, r, m->code, fx_refuse_sentence(m->code));
    }
}

static void on_cancel(lm_files *f, const lm_member *from, lm_file_msg *m)
{
    ftx *t = fx_tx_find(f, m->id, from->id);
    if (t)
        t->used = false;
    frx *r = fx_rx_find(f, m->id, false); /* the uploader gave up */
    if (r && r->from == from->id) {
        fx_withdraw(f, &r->o, 0, "cancelled: its sender cancelled the upload");
        fjob *j = fjob_new(J_REMOVE);
        if (j) {
            memcpy(j->id, m->id, LM_FILE_ID_LEN);
            fx_queue_job(f, j);
        }
        r->used = false;
        return;
    }
    r = fx_rx_find(f, m->id, true);
    if (r && r->from == from->id) {
        r->from = 0;
        bool replica = r->replica;
        if (m->code == LM_FILE_SENDER_LEFT)
            fx_rx_fail(f, r, m->code, fx_refuse_sentence(m->code));
        else
            fx_rx_fail(f, r, LM_FILE_UNKNOWN, "the hub withdrew this file");
        if (!replica) {
            forget(f->offers, &f->noffers, m->id);
            return;
        }
    }
    if (from->id == fx_hub_id(f)) { /* withdrawn before we asked for it */
        forget(f->catalog, &f->ncatalog, m->id);
        if (forget(f->offers, &f->noffers, m->id)) {
            if (m->code == LM_FILE_SENDER_LEFT)
                files_emit_failed(f, m->id, "sender_left: %s",
                                  fx_refuse_sentence(m->code));
            else
                files_emit_failed(f, m->id, "unknown: the hub withdrew this "
                                  "file (its upload did not finish)");
        }
    }
}

static void on_list(lm_files *f, const lm_member *from)
{
    if (fx_hub_id(f) != fx_self_id(f))
        return;
    bool deputy = from->id == fx_deputy_id(f); /* it copies them all */
    for (size_t i = 0; i < f->ncatalog; i++)
        if (deputy || (fx_for_member(&f->catalog[i], from->id) &&
                       f->catalog[i].from != from->id))
            fx_send_offer(f, from->id, &f->catalog[i], LM_FILE_LISTED);
}

void files_on_receive(void *svc, const lm_member *from, const uint8_t *data,
                       size_t len)
{
    lm_files *f = svc;
    lm_file_msg *m = &f->m;
    int rc = lm_file_decode(data, len, m);
    if (rc < 0) {
        lm_mesh_bad(f->n, from->id, LM_CH_FILE, rc);
        return;
    }
    switch (m->type) {
    case LM_MSG_FILE_OFFER: on_offer(f, from, m); break;
    case LM_MSG_FILE_HAVE: on_have(f, from, m); break;
    case LM_MSG_FILE_REQUEST: on_request(f, from, m); break;
    case LM_MSG_FILE_CHUNK: on_chunk(f, from, m); break;
    case LM_MSG_FILE_DONE: on_done(f, from, m); break;
    case LM_MSG_FILE_REFUSE: on_refuse(f, from, m); break;
    case LM_MSG_FILE_CANCEL: on_cancel(f, from, m); break;
    case LM_MSG_FILE_LIST: on_list(f, from); break;
    default: break;
    }
}
