/* files_util.c - the file service's small parts on the net thread
 * (files.h): sending its messages, its events, its tables. */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "err.h"
#include "files_impl.h"

/* ---- small helpers ------------------------------------------------------- */

bool fx_same(const uint8_t *a, const uint8_t *b)
{
    return memcmp(a, b, LM_FILE_ID_LEN) == 0;
}

uint64_t fx_self_id(lm_files *f)
{
    return lm_mesh_self(f->n);
}

uint64_t fx_deputy_id(lm_files *f)
{
    return lm_mesh_roles(f->n)->deputy;
}

uint64_t fx_hub_id(lm_files *f)
{
    return lm_mesh_roles(f->n)->hub;
}

bool fx_for_member(const lm_file_offer *o, uint64_t id)
{
    if (o->nto == 0 || o->from == id)
        return true;
    for (size_t i = 0; i < o->nto; i++)
        if (o->to[i] == id)
            return true;
    return false;
}

int files_send_msg(lm_files *f, uint64_t to, const lm_file_msg *m)
{
    int len = lm_file_encode(m, f->out, LM_FILE_WIRE_MAX);
    if (len < 0) {
        lm_mesh_log(f->n, "files: cannot encode type %u: %s", m->type,
                    lm_strerror(len));
        return len;
    }
    return lm_mesh_send(f->n, to, LM_CH_FILE, f->out, (size_t)len, 0);
}

void fx_send_simple(lm_files *f, uint64_t to, uint8_t type,
                        const uint8_t *id, uint8_t code)
{
    lm_file_msg *m = &f->m;
    m->type = type;
    memcpy(m->id, id, LM_FILE_ID_LEN);
    m->code = code;
    files_send_msg(f, to, m);
}

void fx_send_have(lm_files *f, uint64_t to, const uint8_t *id,
                      const lm_chunkset *held)
{
    lm_file_msg *m = &f->m;
    m->type = LM_MSG_FILE_HAVE;
    memcpy(m->id, id, LM_FILE_ID_LEN);
    m->nranges = held ? lm_chunkset_ranges(held, m->ranges, LM_FILE_RANGES_MAX)
                      : 0;
    files_send_msg(f, to, m);
}

void fx_send_offer(lm_files *f, uint64_t to, const lm_file_offer *o,
                       uint8_t flags)
{
    lm_file_msg *m = &f->m;
    m->type = LM_MSG_FILE_OFFER;
    m->offer = *o;
    m->offer.flags = flags;
    memcpy(m->id, o->id, LM_FILE_ID_LEN);
    files_send_msg(f, to, m);
}

bool fx_queue_job(lm_files *f, fjob *j)
{
    if (files_queue(f, j) == 0)
        return true;
    lm_mesh_log(f->n, "files: the disk worker's queue is full");
    return false;
}

/* ---- events -------------------------------------------------------------- */

void files_emit_failed(lm_files *f, const uint8_t *id, const char *fmt, ...)
{
    lm_ev_file_failed *ev = lm_mesh_event(f->n, LM_EV_FILE_FAILED, sizeof *ev);
    if (!ev)
        return;
    if (id)
        memcpy(ev->id, id, LM_FILE_ID_LEN);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ev->reason, sizeof ev->reason, fmt, ap);
    va_end(ap);
    lm_mesh_emit(f->n, &ev->h);
}

void files_emit_offered(lm_files *f, const lm_file_offer *o)
{
    lm_ev_file_offered *ev =
        lm_mesh_event(f->n, LM_EV_FILE_OFFERED, sizeof *ev);
    if (!ev)
        return;
    memcpy(ev->id, o->id, LM_FILE_ID_LEN);
    ev->size = o->size;
    ev->from = o->from;
    lm_member m; /* the room's name for it, when it is here */
    snprintf(ev->from_name, sizeof ev->from_name, "%s",
             lm_mesh_member(f->n, o->from, &m) ? m.name
             : o->from == lm_mesh_self(f->n)     ? lm_mesh_self_name(f->n)
                                                 : o->from_name);
    snprintf(ev->name, sizeof ev->name, "%s", o->name);
    lm_mesh_emit(f->n, &ev->h);
}

void fx_emit_done(lm_files *f, const uint8_t *id, const char *path)
{
    lm_ev_file_done *ev = lm_mesh_event(f->n, LM_EV_FILE_DONE, sizeof *ev);
    if (!ev)
        return;
    memcpy(ev->id, id, LM_FILE_ID_LEN);
    snprintf(ev->path, sizeof ev->path, "%s", path ? path : "");
    lm_mesh_emit(f->n, &ev->h);
}

/* At most every FX_PROGRESS_US per transfer, and only when it moved. */
void fx_progress(lm_files *f, const uint8_t *id, bool up, uint64_t bytes,
                     uint64_t total, int64_t *at_us, uint64_t *at_bytes,
                     int64_t now, bool force)
{
    if (!force && (now - *at_us < FX_PROGRESS_US || bytes == *at_bytes))
        return;
    lm_ev_file_progress *ev =
        lm_mesh_event(f->n, LM_EV_FILE_PROGRESS, sizeof *ev);
    if (ev) {
        ev->h.droppable = true;
        memcpy(ev->id, id, LM_FILE_ID_LEN);
        ev->bytes = bytes;
        ev->total = total;
        int64_t dt = now - *at_us;
        ev->rate = dt > 0 && bytes >= *at_bytes
                       ? (uint64_t)((double)(bytes - *at_bytes) * 1e6 /
                                    (double)dt)
                       : 0;
        ev->up = up;
        lm_mesh_emit(f->n, &ev->h);
    }
    *at_us = now;
    *at_bytes = bytes;
}

const char *fx_refuse_sentence(uint8_t code)
{
    switch (code) {
    case LM_FILE_TOO_BIG: return "the file is over the hub's per-file cap";
    case LM_FILE_STORE_FULL: return "the hub's store is full (--store-max)";
    case LM_FILE_DISK_FULL: return "not enough free disk";
    case LM_FILE_BAD_HASH: return "the file did not match its SHA-256";
    case LM_FILE_NOT_ALLOWED: return "this file is not offered to you";
    case LM_FILE_UNKNOWN: return "the hub does not hold this file";
    case LM_FILE_IO: return "the disk said no";
    case LM_FILE_SENDER_LEFT:
        return "its sender left before the upload finished; it can be sent again";
    }
    return "refused";
}

/* ---- tables -------------------------------------------------------------- */

lm_file_offer *fx_offer_find(lm_file_offer *tab, size_t n,
                                 const uint8_t *id)
{
    for (size_t i = 0; i < n; i++)
        if (fx_same(tab[i].id, id))
            return &tab[i];
    return NULL;
}

/* Adds o once per (id, sender); false when it was known or no room. */
bool fx_offer_add(lm_file_offer *tab, size_t *n, const lm_file_offer *o)
{
    for (size_t i = 0; i < *n; i++)
        if (fx_same(tab[i].id, o->id) && tab[i].from == o->from)
            return false;
    if (*n == FX_OFFERS)
        return false;
    tab[(*n)++] = *o;
    return true;
}

fblob *fx_blob_find(lm_files *f, const uint8_t *id)
{
    for (size_t i = 0; i < FX_BLOBS; i++)
        if (f->blobs[i].used && fx_same(f->blobs[i].id, id))
            return &f->blobs[i];
    return NULL;
}

fblob *fx_blob_set(lm_files *f, const lm_store_blob *b)
{
    fblob *e = fx_blob_find(f, b->id);
    for (size_t i = 0; !e && i < FX_BLOBS; i++)
        if (!f->blobs[i].used)
            e = &f->blobs[i];
    if (!e)
        return NULL;
    e->used = true;
    memcpy(e->id, b->id, LM_FILE_ID_LEN);
    e->size = b->size;
    e->chunk = b->chunk;
    e->nchunks = lm_file_nchunks(b->size, b->chunk);
    e->complete = b->complete;
    e->have = b->complete ? e->nchunks : b->held.next;
    return e;
}

frx *fx_rx_find(lm_files *f, const uint8_t *id, bool down)
{
    for (size_t i = 0; i < FX_RX; i++)
        if (f->rx[i].used && f->rx[i].down == down && fx_same(f->rx[i].o.id, id))
            return &f->rx[i];
    return NULL;
}

frx *fx_rx_new(lm_files *f)
{
    for (size_t i = 0; i < FX_RX; i++)
        if (!f->rx[i].used) {
            memset(&f->rx[i], 0, sizeof f->rx[i]);
            f->rx[i].used = true;
            return &f->rx[i];
        }
    return NULL;
}

ftx *fx_tx_find(lm_files *f, const uint8_t *id, uint64_t to)
{
    for (size_t i = 0; i < FX_TX; i++)
        if (f->tx[i].used && f->tx[i].to == to && fx_same(f->tx[i].id, id))
            return &f->tx[i];
    return NULL;
}

ftx *fx_tx_open(lm_files *f, const uint8_t *id, uint64_t to, bool src,
                    uint32_t nchunks, uint32_t have)
{
    ftx *t = fx_tx_find(f, id, to);
    for (size_t i = 0; !t && i < FX_TX; i++)
        if (!f->tx[i].used)
            t = &f->tx[i];
    if (!t)
        return NULL;
    uint32_t reading = t->used ? t->reading : 0;
    memset(t, 0, sizeof *t);
    if (lm_xsend_init(&t->s, nchunks, have) < 0)
        return NULL;
    t->used = true;
    t->src = src;
    t->to = to;
    t->reading = reading;
    memcpy(t->id, id, LM_FILE_ID_LEN);
    return t;
}

fup *fx_up_find(lm_files *f, const uint8_t *id)
{
    for (size_t i = 0; i < FX_UP; i++)
        if (f->up[i].used && f->up[i].scanned && fx_same(f->up[i].o.id, id))
            return &f->up[i];
    return NULL;
}

void fx_up_end(lm_files *f, fup *u)
{
    fjob *j = fjob_new(J_CLOSE_SRC);
    if (j) {
        memcpy(j->id, u->o.id, LM_FILE_ID_LEN);
        fx_queue_job(f, j);
    }
    for (size_t i = 0; i < FX_TX; i++)
        if (f->tx[i].used && f->tx[i].src && fx_same(f->tx[i].id, u->o.id))
            f->tx[i].used = false;
    memset(u, 0, sizeof *u);
}

