/* headless.c - stdin commands in, events out; see headless.h.
 *
 * The main thread sleeps in poll() on stdin, the node's event fd and a
 * signalfd. Commands are parsed here and become node API calls; anything
 * malformed gets an error event, never a crash. stdin reaching its end
 * stops the commands, not the node: it runs until `quit` or a signal. */
#define _GNU_SOURCE
#include "headless.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "audio_json.h"
#include "command.h"
#include "err.h"
#include "files_json.h"
#include "json.h"
#include "text.h"
#include "video_json.h"

#define LINE_MAX_BYTES (LM_TEXT_MAX + 512) /* a command word, names, text */

static const char *type_name(lm_event_type t)
{
    switch (t) {
    case LM_EV_READY: return "ready";
    case LM_EV_PEER_JOINED: return "peer_joined";
    case LM_EV_PEER_LEFT: return "peer_left";
    case LM_EV_HUB: return "hub";
    case LM_EV_CHAT: return "chat";
    case LM_EV_MEMBERS: return "members";
    case LM_EV_ERROR: return "error";
    case LM_EV_STATS: return "stats";
    case LM_EV_SPEAKING:
    case LM_EV_MUTED:
    case LM_EV_AUDIO:
    case LM_EV_AUDIO_STATS: return lm_audio_event_name(t);
    case LM_EV_FILE_OFFERED:
    case LM_EV_FILE_PROGRESS:
    case LM_EV_FILE_DONE:
    case LM_EV_FILE_FAILED: return lm_files_event_name(t);
    case LM_EV_VIDEO:
    case LM_EV_VIDEO_FRAME:
    case LM_EV_VIDEO_STATS: return lm_video_event_name(t);
    }
    return "unknown";
}

char *lm_headless_event_json(const lm_event *ev)
{
    lm_json j;
    lm_json_init(&j);
    lm_json_open(&j, NULL, '{');
    lm_json_str(&j, "ev", type_name(ev->type));
    switch (ev->type) {
    case LM_EV_READY: {
        const lm_ev_ready *rd = lm_ev_ready_of(ev);
        lm_json_id(&j, "id", rd->id);
        lm_json_str(&j, "name", rd->name);
        lm_json_str(&j, "room", rd->room);
        lm_json_int(&j, "port", rd->port);
        lm_json_str(&j, "version", LM_VERSION);
        lm_json_str(&j, "fingerprint", rd->fingerprint);
        lm_json_bool(&j, "private", rd->private_room);
        break;
    }
    case LM_EV_PEER_JOINED:
    case LM_EV_PEER_LEFT: {
        const lm_ev_peer *pe = lm_ev_peer_of(ev);
        lm_json_id(&j, "id", pe->id);
        lm_json_str(&j, "name", pe->name);
        lm_json_str(&j, "addr", pe->addr);
        if (ev->type == LM_EV_PEER_LEFT)
            lm_json_str(&j, "reason", pe->reason);
        break;
    }
    case LM_EV_HUB: {
        const lm_ev_hub *hb = lm_ev_hub_of(ev);
        lm_json_id(&j, "hub", hb->st.hub);
        lm_json_id(&j, "deputy", hb->st.deputy);
        lm_json_uint(&j, "term", hb->st.term);
        break;
    }
    case LM_EV_CHAT: {
        const lm_ev_chat *ch = lm_ev_chat_of(ev);
        lm_json_id(&j, "from", ch->from);
        lm_json_str(&j, "from_name", ch->name);
        if (ch->direct) {
            lm_json_open(&j, "to", '[');
            for (size_t i = 0; i < ch->nto; i++)
                lm_json_id(&j, NULL, ch->to[i]);
            lm_json_close(&j, ']');
        } else {
            lm_json_null(&j, "to");
        }
        lm_json_str(&j, "text", ch->text ? ch->text : "");
        lm_json_int(&j, "ts", ch->ts);
        if (!ch->direct)
            lm_json_uint(&j, "seq", ch->seq);
        if (ch->history)
            lm_json_bool(&j, "history", true);
        break;
    }
    case LM_EV_MEMBERS: {
        const lm_ev_members *mb = lm_ev_members_of(ev);
        lm_json_open(&j, "peers", '[');
        for (size_t i = 0; i < mb->n; i++) {
            lm_json_open(&j, NULL, '{');
            lm_json_id(&j, "id", mb->members[i].id);
            lm_json_str(&j, "name", mb->members[i].name);
            lm_json_str(&j, "role", mb->members[i].role);
            lm_json_close(&j, '}');
        }
        lm_json_close(&j, ']');
        break;
    }
    case LM_EV_ERROR: {
        const lm_ev_error *er = lm_ev_error_of(ev);
        lm_json_str(&j, "code", er->code);
        lm_json_str(&j, "msg", er->msg);
        if (er->a) {
            lm_json_id(&j, "a", er->a);
            lm_json_id(&j, "b", er->b);
        }
        break;
    }
    case LM_EV_STATS: {
        const lm_ev_stats *st = lm_ev_stats_of(ev);
        lm_json_uint(&j, "bad_msgs", st->bad_msgs);
        lm_json_uint(&j, "unknown_msgs", st->unknown_msgs);
        lm_json_uint(&j, "stale_msgs", st->stale_msgs);
        lm_json_uint(&j, "slow_hellos", st->slow_hellos);
        lm_json_uint(&j, "dropped_events", st->dropped_events);
        lm_json_uint(&j, "held_events", st->held_events);
        lm_json_open(&j, "peers", '[');
        for (size_t i = 0; i < st->npeers; i++) {
            const lm_peer_stats *p = &st->peers[i];
            lm_json_open(&j, NULL, '{');
            lm_json_id(&j, "id", p->id);
            lm_json_str(&j, "name", p->name);
            lm_json_uint(&j, "rtt_ms", p->rtt_ms);
            lm_json_uint(&j, "loss_permille", (uint64_t)(p->loss * 1000 + 0.5));
            lm_json_uint(&j, "bad", p->bad);
            lm_json_close(&j, '}');
        }
        lm_json_close(&j, ']');
        break;
    }
    case LM_EV_SPEAKING:
    case LM_EV_MUTED:
    case LM_EV_AUDIO:
    case LM_EV_AUDIO_STATS:
        lm_audio_event_json(&j, ev);
        break;
    case LM_EV_FILE_OFFERED:
    case LM_EV_FILE_PROGRESS:
    case LM_EV_FILE_DONE:
    case LM_EV_FILE_FAILED:
        lm_files_event_json(&j, ev);
        break;
    case LM_EV_VIDEO:
    case LM_EV_VIDEO_FRAME:
    case LM_EV_VIDEO_STATS:
        lm_video_event_json(&j, ev);
        break;
    }
    lm_json_int(&j, "t", ev->t_ms);
    lm_json_close(&j, '}');
    if (j.oom) {
        lm_json_free(&j);
        return NULL;
    }
    return j.buf;
}

/* Prints s made harmless (lm_text_shown): text from a peer never reaches
 * the terminal raw. */
static void put_shown(const char *s)
{
    char *t = lm_text_shown(s ? s : "");
    fputs(t ? t : "?", stdout);
    free(t);
}

static void print_text(const lm_event *ev)
{
    char id[LM_ID_STR], clock[16] = "";
    switch (ev->type) {
    case LM_EV_READY: {
        const lm_ev_ready *rd = lm_ev_ready_of(ev);
        lm_id_format(rd->id, id);
        fputs("* you are ", stdout);
        put_shown(rd->name);
        printf(" (id %s, key %s) in %s room '", id, rd->fingerprint,
               rd->private_room ? "private" : "open");
        put_shown(rd->room);
        printf("', port %u\n", rd->port);
        break;
    }
    case LM_EV_PEER_JOINED:
    case LM_EV_PEER_LEFT: {
        const lm_ev_peer *pe = lm_ev_peer_of(ev);
        fputs("* ", stdout);
        put_shown(pe->name);
        if (ev->type == LM_EV_PEER_JOINED)
            printf(" joined from %s\n", pe->addr);
        else
            printf(" left (%s)\n", pe->reason);
        break;
    }
    case LM_EV_HUB: {
        const lm_ev_hub *hb = lm_ev_hub_of(ev);
        char hub[LM_ID_STR], dep[LM_ID_STR];
        lm_id_format(hb->st.hub, hub);
        lm_id_format(hb->st.deputy, dep);
        printf("* hub %s, deputy %s (term %" PRIu64 ")\n",
               hb->st.hub ? hub : "none", hb->st.deputy ? dep : "none",
               hb->st.term);
        break;
    }
    case LM_EV_CHAT: {
        const lm_ev_chat *ch = lm_ev_chat_of(ev);
        time_t secs = (time_t)(ch->ts / 1000);
        struct tm tm;
        if (localtime_r(&secs, &tm))
            strftime(clock, sizeof clock, "%H:%M:%S", &tm);
        printf("[%s] ", clock);
        put_shown(ch->name);
        printf("%s: ", ch->direct ? " (direct)" : "");
        put_shown(ch->text);
        fputc('\n', stdout);
        break;
    }
    case LM_EV_MEMBERS: {
        const lm_ev_members *mb = lm_ev_members_of(ev);
        for (size_t i = 0; i < mb->n; i++) {
            char *t = lm_text_shown(mb->members[i].name);
            printf("  %-24s %s\n", t ? t : "?", mb->members[i].role);
            free(t);
        }
        break;
    }
    case LM_EV_ERROR: {
        const lm_ev_error *er = lm_ev_error_of(ev);
        fputs("! ", stdout);
        put_shown(er->msg);
        fputc('\n', stdout);
        break;
    }
    case LM_EV_STATS: {
        const lm_ev_stats *st = lm_ev_stats_of(ev);
        printf("* messages: %lu malformed, %lu of unknown types, %lu stale; "
               "%lu slow hellos; events: %lu dropped, %lu waited\n",
               st->bad_msgs, st->unknown_msgs, st->stale_msgs,
               st->slow_hellos, st->dropped_events, st->held_events);
        for (size_t i = 0; i < st->npeers; i++) {
            char *t = lm_text_shown(st->peers[i].name);
            printf("  %-24s rtt %u ms, loss %.1f %%, %u malformed\n",
                   t ? t : "?", st->peers[i].rtt_ms,
                   st->peers[i].loss * 100, st->peers[i].bad);
            free(t);
        }
        break;
    }
    case LM_EV_SPEAKING:
    case LM_EV_MUTED:
    case LM_EV_AUDIO:
    case LM_EV_AUDIO_STATS:
        lm_audio_event_text(ev);
        break;
    case LM_EV_FILE_OFFERED:
    case LM_EV_FILE_PROGRESS:
    case LM_EV_FILE_DONE:
    case LM_EV_FILE_FAILED:
        lm_files_event_text(ev);
        break;
    case LM_EV_VIDEO:
    case LM_EV_VIDEO_FRAME:
    case LM_EV_VIDEO_STATS:
        lm_video_event_text(ev);
        break;
    }
}

static void emit(bool json, const lm_event *ev)
{
    if (json) {
        char *line = lm_headless_event_json(ev);
        if (line) {
            fputs(line, stdout);
            fputc('\n', stdout);
            free(line);
        }
    } else {
        print_text(ev);
    }
    fflush(stdout);
}

static const char help_text[] =
    "commands: say TEXT | dm NAME[,NAME...] TEXT | who | stats | mute | "
    "unmute | ptt on|off | camera on|off | send PATH [NAME...] | files | get ID | "
    "cancel ID | quit | help";

/* Runs one line (parsed in place); returns 1 when the user asked to quit,
 * LM_EFULL when the node's command queue is full (nothing was done: the
 * line is to be run again once there is room), else 0. */
static int run_line(lm_app *app, char *line, bool json, bool test_faults)
{
    lm_ucmd c;
    /* a person at a terminal may just type: plain lines are said */
    if (!json && line[0] != '/') {
        if (line[0] == '\0')
            return 0;
        return lm_chat_say(app->chat, line) == LM_EFULL ? LM_EFULL : 0;
    }
    if (lm_command_parse(line[0] == '/' ? line + 1 : line, &c) < 0)
        return lm_node_post_error(app->node, c.code, c.msg) == LM_EFULL
                   ? LM_EFULL : 0;
    int rc = 0;
    switch (c.type) {
    case LM_UC_NONE: break;
    case LM_UC_SAY: rc = lm_chat_say(app->chat, c.text); break;
    case LM_UC_DM: rc = lm_chat_dm(app->chat, c.to, c.nto, c.text); break;
    case LM_UC_WHO: rc = lm_node_who(app->node); break;
    case LM_UC_STATS:
        rc = lm_node_stats(app->node);
        if (rc == 0 && app->audio) /* a lost answer is only figures */
            (void)lm_audio_stats(app->audio);
        if (rc == 0 && app->video)
            (void)lm_video_stats(app->video);
        break;
    case LM_UC_MUTE:
    case LM_UC_UNMUTE:
    case LM_UC_PTT:
        if (!app->audio) {
            rc = lm_node_post_error(app->node, "no_audio", "audio is off "
                                    "(--no-audio)");
            break;
        }
        rc = c.type == LM_UC_PTT ? lm_audio_ptt(app->audio, c.ptt_on)
                                 : lm_audio_mute(app->audio,
                                                 c.type == LM_UC_MUTE);
        break;
    case LM_UC_CAMERA:
        if (!app->video || lm_video_camera(app->video, c.cam_on) < 0)
            rc = lm_node_post_error(app->node, "no_camera", "this node has "
                                    "no camera (--no-camera, or none found)");
        break;
    case LM_UC_SEND:
        rc = lm_files_send(app->files, c.path, c.to, c.nto);
        break;
    case LM_UC_FILES: rc = lm_files_list(app->files); break;
    case LM_UC_GET: rc = lm_files_get(app->files, c.id); break;
    case LM_UC_CANCEL: rc = lm_files_cancel(app->files, c.id); break;
    case LM_UC_QUIT: return 1;
    case LM_UC_HELP:
        rc = lm_node_post_error(app->node, "help", help_text);
        break;
    case LM_UC_TEST_DROP:
    case LM_UC_TEST_BLOCK:
    case LM_UC_TEST_UNBLOCK:
        if (!test_faults) {
            rc = lm_node_post_error(app->node, "not_enabled", "test commands "
                                    "need --test-faults");
            break;
        }
        rc = c.type == LM_UC_TEST_DROP
                 ? lm_node_test_drop(app->node, c.fraction)
                 : lm_node_test_block(app->node, c.ipv4, c.port,
                                      c.type == LM_UC_TEST_BLOCK);
        break;
    }
    return rc == LM_EFULL ? LM_EFULL : 0;
}

/* What stdin gave that is not run yet: complete lines, then a partial one.
 * Lines longer than a command may be are reported and skipped whole. */
typedef struct input {
    char *buf; /* LINE_MAX_BYTES + 1 */
    size_t used;
    bool skipping; /* inside an overlong line */
    bool blocked;  /* the node's queue is full: wait for room */
    char work[LINE_MAX_BYTES + 1]; /* a line being parsed */
} input;

/* Runs the complete lines in the buffer while the node takes them.
 * Back-pressure: a line the node cannot take yet stays first in the
 * buffer, and stdin is not read until there is room, so a burst of
 * commands is slowed down, never dropped. Returns 1 on quit. */
static int run_lines(lm_app *app, input *in, bool json, bool test_faults)
{
    size_t start = 0;
    int rc = 0;
    in->blocked = false;
    for (size_t i = 0; i < in->used; i++) {
        if (in->buf[i] != '\n')
            continue;
        size_t len = i - start;
        if (len && in->buf[start + len - 1] == '\r')
            len--;
        if (in->skipping) {
            in->skipping = false;
        } else if (memchr(in->buf + start, '\0', len) != NULL) {
            if (lm_node_post_error(app->node, "bad_text", "the command holds "
                                   "a NUL byte; ignored") == LM_EFULL) {
                in->blocked = true;
                break;
            }
        } else {
            memcpy(in->work, in->buf + start, len);
            in->work[len] = '\0';
            rc = run_line(app, in->work, json, test_faults);
            if (rc == LM_EFULL) {
                in->blocked = true;
                rc = 0;
                break; /* this line again, once there is room */
            }
            if (rc == 1)
                break;
        }
        start = i + 1;
    }
    memmove(in->buf, in->buf + start, in->used - start);
    in->used -= start;
    return rc;
}

/* Reads what stdin has and runs it. Returns 1 on quit, -1 at EOF. */
static int read_stdin(lm_app *app, input *in, bool json, bool test_faults)
{
    ssize_t r = read(STDIN_FILENO, in->buf + in->used,
                     LINE_MAX_BYTES - in->used);
    if (r == 0)
        return -1;
    if (r < 0)
        return errno == EINTR || errno == EAGAIN ? 0 : -1;
    in->used += (size_t)r;
    int rc = run_lines(app, in, json, test_faults);
    if (rc == 1 || in->blocked)
        return rc;
    if (in->used == LINE_MAX_BYTES) { /* no newline in sight: too long */
        if (!in->skipping)
            lm_node_post_error(app->node, "too_long", "command line over "
                               "the limit; ignored up to its end");
        in->skipping = true;
        in->used = 0;
    }
    return 0;
}

int lm_headless_run(lm_app *app, bool json, bool test_faults)
{
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    int sfd = signalfd(-1, &mask, SFD_CLOEXEC);
    input *in = calloc(1, sizeof *in);
    char *buf = malloc(LINE_MAX_BYTES + 1);
    if (sfd < 0 || !buf || !in) {
        free(buf);
        free(in);
        fprintf(stderr, "lanmeet: cannot set up the headless loop\n");
        return 1;
    }
    in->buf = buf;
    bool stdin_open = true, quit = false;
    while (!quit) {
        struct pollfd pfd[4] = {
            {.fd = lm_node_event_fd(app->node), .events = POLLIN},
            {.fd = sfd, .events = POLLIN},
            {.fd = stdin_open && !in->blocked ? STDIN_FILENO : -1,
             .events = POLLIN},
            {.fd = in->blocked ? lm_node_cmd_fd(app->node) : -1,
             .events = POLLIN},
        };
        if (poll(pfd, 4, -1) < 0 && errno != EINTR)
            break;
        lm_event *ev;
        while ((ev = lm_node_next_event(app->node)) != NULL) {
            lm_app_on_event(app, ev);
            emit(json, ev);
            lm_event_free(ev);
        }
        if (pfd[1].revents & POLLIN)
            quit = true;
        if (pfd[3].revents & POLLIN && run_lines(app, in, json, test_faults))
            quit = true;
        if (!quit && pfd[2].revents & (POLLIN | POLLHUP | POLLERR)) {
            int r = read_stdin(app, in, json, test_faults);
            if (r > 0)
                quit = true;
            else if (r < 0)
                stdin_open = false; /* no more commands; keep serving */
        }
    }
    /* say goodbye, then show what the node still had to say */
    lm_node_wait(app->node);
    lm_event *ev;
    while ((ev = lm_node_next_event(app->node)) != NULL) {
        emit(json, ev);
        lm_event_free(ev);
    }
    free(buf);
    free(in);
    close(sfd);
    return 0;
}
