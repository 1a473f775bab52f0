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

#include "err.h"
#include "command.h"
#include "json.h"
#include "text.h"

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
    }
    return "unknown";
}

static void json_id(lm_json *j, const char *key, uint64_t id)
{
    char b[LM_ID_STR];
    lm_id_format(id, b);
    lm_json_str(j, key, id ? b : NULL);
}

char *lm_headless_event_json(const lm_event *ev)
{
    lm_json j;
    lm_json_init(&j);
    lm_json_open(&j, NULL, '{');
    lm_json_str(&j, "ev", type_name(ev->type));
    switch (ev->type) {
    case LM_EV_READY:
        json_id(&j, "id", ev->id);
        lm_json_str(&j, "name", ev->name);
        lm_json_str(&j, "room", ev->room);
        lm_json_int(&j, "port", ev->port);
        lm_json_str(&j, "version", LM_VERSION);
        lm_json_str(&j, "fingerprint", ev->fingerprint);
        lm_json_bool(&j, "private", ev->private_room);
        break;
    case LM_EV_PEER_JOINED:
    case LM_EV_PEER_LEFT:
        json_id(&j, "id", ev->id);
        lm_json_str(&j, "name", ev->name);
        lm_json_str(&j, "addr", ev->addr);
        if (ev->type == LM_EV_PEER_LEFT)
            lm_json_str(&j, "reason", ev->reason);
        break;
    case LM_EV_HUB:
        json_id(&j, "hub", ev->st.hub);
        json_id(&j, "deputy", ev->st.deputy);
        lm_json_uint(&j, "term", ev->st.term);
        break;
    case LM_EV_CHAT:
        json_id(&j, "from", ev->id);
        lm_json_str(&j, "from_name", ev->name);
        if (ev->direct) {
            lm_json_open(&j, "to", '[');
            for (size_t i = 0; i < ev->nto; i++)
                json_id(&j, NULL, ev->to[i]);
            lm_json_close(&j, ']');
        } else {
            lm_json_null(&j, "to");
        }
        lm_json_str(&j, "text", ev->text ? ev->text : "");
        lm_json_int(&j, "ts", ev->ts);
        if (!ev->direct)
            lm_json_uint(&j, "seq", ev->seq);
        if (ev->history)
            lm_json_bool(&j, "history", true);
        break;
    case LM_EV_MEMBERS:
        lm_json_open(&j, "peers", '[');
        for (size_t i = 0; i < ev->nmembers; i++) {
            lm_json_open(&j, NULL, '{');
            json_id(&j, "id", ev->members[i].id);
            lm_json_str(&j, "name", ev->members[i].name);
            lm_json_str(&j, "role", ev->members[i].role);
            lm_json_close(&j, '}');
        }
        lm_json_close(&j, ']');
        break;
    case LM_EV_ERROR:
        lm_json_str(&j, "code", ev->code);
        lm_json_str(&j, "msg", ev->msg);
        if (ev->pair[0]) {
            json_id(&j, "a", ev->pair[0]);
            json_id(&j, "b", ev->pair[1]);
        }
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
    lm_id_format(ev->id, id);
    switch (ev->type) {
    case LM_EV_READY:
        fputs("* you are ", stdout);
        put_shown(ev->name);
        printf(" (id %s, key %s) in %s room '", id, ev->fingerprint,
               ev->private_room ? "private" : "open");
        put_shown(ev->room);
        printf("', port %u\n", ev->port);
        break;
    case LM_EV_PEER_JOINED:
    case LM_EV_PEER_LEFT:
        fputs("* ", stdout);
        put_shown(ev->name);
        if (ev->type == LM_EV_PEER_JOINED)
            printf(" joined from %s\n", ev->addr);
        else
            printf(" left (%s)\n", ev->reason);
        break;
    case LM_EV_HUB: {
        char hub[LM_ID_STR], dep[LM_ID_STR];
        lm_id_format(ev->st.hub, hub);
        lm_id_format(ev->st.deputy, dep);
        printf("* hub %s, deputy %s (term %" PRIu64 ")\n",
               ev->st.hub ? hub : "none", ev->st.deputy ? dep : "none",
               ev->st.term);
        break;
    }
    case LM_EV_CHAT: {
        time_t secs = (time_t)(ev->ts / 1000);
        struct tm tm;
        if (localtime_r(&secs, &tm))
            strftime(clock, sizeof clock, "%H:%M:%S", &tm);
        printf("[%s] ", clock);
        put_shown(ev->name);
        printf("%s: ", ev->direct ? " (direct)" : "");
        put_shown(ev->text);
        fputc('\n', stdout);
        break;
    }
    case LM_EV_MEMBERS:
        for (size_t i = 0; i < ev->nmembers; i++) {
            char *t = lm_text_shown(ev->members[i].name);
            printf("  %-24s %s\n", t ? t : "?", ev->members[i].role);
            free(t);
        }
        break;
    case LM_EV_ERROR:
        fputs("! ", stdout);
        put_shown(ev->msg);
        fputc('\n', stdout);
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
    "commands: say TEXT | dm NAME[,NAME...] TEXT | who | quit | help";

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
