/* chat_cmd.c - chat's commands (say, dm), run on the net thread, and the
 * event a direct message makes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat_impl.h"
#include "clock.h"
#include "err.h"
#include "text.h"

void chat_emit_dm(lm_chat *c, uint64_t from, const char *name,
                    const lm_msg *m)
{
    lm_ev_chat *ev = chat_new_event(c);
    if (!ev || !(ev->text = strdup(m->u.dm.text))) {
        lm_event_free(ev ? &ev->h : NULL);
        return;
    }
    ev->from = from;
    snprintf(ev->name, sizeof ev->name, "%s", name);
    ev->direct = true;
    ev->nto = m->u.dm.nto;
    memcpy(ev->to, m->u.dm.to, m->u.dm.nto * sizeof ev->to[0]);
    ev->ts = m->u.dm.ts;
    lm_mesh_emit(c->n, &ev->h);
}

/* ---- commands: posted from the front end's thread ------------------------ */

typedef struct lm_chat_cmd {
    char *text;
    size_t nto;
    char **to;
} lm_chat_cmd;

static void cmd_free(void *arg)
{
    lm_chat_cmd *k = arg;
    if (!k)
        return;
    free(k->text);
    for (size_t i = 0; i < k->nto; i++)
        free(k->to[i]);
    free(k->to);
    free(k);
}

/* Checks what a user asked to send, and that they keep to the rate the
 * room's nodes accept; says what is wrong in an error event. */
static bool may_send(lm_chat *c, const char *text)
{
    size_t len = strlen(text);
    if (len == 0) {
        lm_mesh_error(c->n, "empty", "nothing to send: the message is empty");
        return false;
    }
    if (len > LM_TEXT_MAX) {
        lm_mesh_error(c->n, "too_long", "message of %zu bytes is over the "
                      "limit of %d bytes", len, LM_TEXT_MAX);
        return false;
    }
    if (!lm_utf8_valid(text, len)) {
        lm_mesh_error(c->n, "bad_text", "message is not valid UTF-8");
        return false;
    }
    if (!lm_bucket_take(&c->send_rate, lm_mesh_now_us(), LM_CHAT_RATE,
                        LM_SEND_BURST)) {
        lm_mesh_error(c->n, "too_fast", "slow down: at most %.0f messages a "
                      "second (this one was not sent)", LM_CHAT_RATE);
        return false;
    }
    return true;
}

static void run_say(void *svc, void *arg)
{
    lm_chat *c = svc;
    const lm_chat_cmd *k = arg;
    if (!may_send(c, k->text))
        return;
    if (c->npending == LM_MAX_PENDING) {
        lm_mesh_error(c->n, "busy", "%d messages are still waiting for a hub; "
                      "try again once the room has one", LM_MAX_PENDING);
        return;
    }
    char *copy = strdup(k->text);
    if (!copy) {
        lm_mesh_error(c->n, "internal", "out of memory");
        return;
    }
    lm_pending *p = &c->pending[c->npending++];
    p->msgid = c->next_msgid++;
    p->ts = lm_utc_ms();
    p->text = copy;
    uint64_t hub = lm_mesh_roles(c->n)->hub;
    if (hub == lm_mesh_self(c->n)) {
        chat_hub_order(c, hub, lm_mesh_self_name(c->n), p->msgid, p->ts, p->text);
        return;
    }
    lm_member hm;
    if (hub && c->synced_hub == hub && lm_mesh_member(c->n, hub, &hm))
        chat_submit(c, hub, p);
    /* else it goes with the pending ones when a hub is met */
}

/* A member by display name, base name (when only one has it) or id. */
static bool find_member(lm_chat *c, const char *who, lm_member *out)
{
    lm_member m;
    int base_hits = 0;
    uint64_t id;
    for (size_t it = 0; lm_mesh_next(c->n, &it, &m);) {
        if (strcmp(m.name, who) == 0) {
            *out = m;
            return true;
        }
        if (strcmp(m.base, who) == 0 && base_hits++ == 0)
            *out = m;
    }
    if (base_hits == 1)
        return true;
    return strlen(who) == 16 && lm_id_parse(who, &id) == 0 &&
           lm_mesh_member(c->n, id, out);
}

static void run_dm(void *svc, void *arg)
{
    lm_chat *c = svc;
    const lm_chat_cmd *k = arg;
    if (!may_send(c, k->text))
        return;
    lm_msg m = {.type = LM_MSG_DM};
    for (size_t i = 0; i < k->nto && i < LM_MAX_PEERS; i++) {
        lm_member to;
        if (!find_member(c, k->to[i], &to)) {
            lm_mesh_error(c->n, "unknown_peer", "no one called '%s' is in the "
                          "room", k->to[i]);
            return;
        }
        bool again = false; /* "bob,bob": one copy for bob */
        for (size_t j = 0; j < m.u.dm.nto; j++)
            again |= m.u.dm.to[j] == to.id;
        if (!again)
            m.u.dm.to[m.u.dm.nto++] = to.id;
    }
    m.u.dm.msgid = c->next_msgid++;
    m.u.dm.ts = lm_utc_ms();
    snprintf(m.u.dm.text, sizeof m.u.dm.text, "%s", k->text);
    for (size_t i = 0; i < m.u.dm.nto; i++)
        chat_send_to(c, m.u.dm.to[i], &m);
    chat_emit_dm(c, lm_mesh_self(c->n), lm_mesh_self_name(c->n), &m);
}

int lm_chat_say(lm_chat *c, const char *text)
{
    lm_chat_cmd *k = calloc(1, sizeof *k);
    if (!k || !(k->text = strdup(text))) {
        cmd_free(k);
        return LM_ENOMEM;
    }
    return lm_mesh_post(c->n, run_say, c, k, cmd_free);
}

int lm_chat_dm(lm_chat *c, const char *const *to, size_t nto,
               const char *text)
{
    if (nto == 0 || nto > LM_MAX_PEERS)
        return LM_EINVAL;
    lm_chat_cmd *k = calloc(1, sizeof *k);
    if (!k || !(k->text = strdup(text)) ||
        !(k->to = calloc(nto, sizeof *k->to))) {
        cmd_free(k);
        return LM_ENOMEM;
    }
    for (size_t i = 0; i < nto; i++) {
        if (!(k->to[i] = strdup(to[i]))) {
            cmd_free(k);
            return LM_ENOMEM;
        }
        k->nto++;
    }
    return lm_mesh_post(c->n, run_dm, c, k, cmd_free);
}
