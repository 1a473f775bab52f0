/* command.c - the headless command parser; see command.h. */
#include "command.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "text.h"

static int fail(lm_ucmd *c, const char *code, const char *msg)
{
    snprintf(c->code, sizeof c->code, "%s", code);
    snprintf(c->msg, sizeof c->msg, "%s", msg);
    return LM_EINVAL;
}

static char *skip_spaces(char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* "A.B.C.D:PORT" -> ipv4 (host order), port. */
static int parse_addr(const char *s, uint32_t *ipv4, uint16_t *port)
{
    unsigned a, b, c, d, p;
    char end;
    if (sscanf(s, "%3u.%3u.%3u.%3u:%5u%c", &a, &b, &c, &d, &p, &end) != 5)
        return LM_EINVAL;
    if (a > 255 || b > 255 || c > 255 || d > 255 || p == 0 || p > 65535)
        return LM_EINVAL;
    *ipv4 = a << 24 | b << 16 | c << 8 | d;
    *port = (uint16_t)p;
    return 0;
}

/* dm recipients: NAME or "NAME", comma separated, then a space. */
static int parse_dm(char *p, lm_ucmd *c)
{
    for (;;) {
        char *name;
        size_t len;
        if (*p == '"') {
            /* inside quotes, \" is a quote and \\ a backslash: any name
             * can be written, quotes included */
            name = ++p;
            char *w = p;
            while (*p && *p != '"') {
                if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
                    p++;
                *w++ = *p++;
            }
            if (*p != '"')
                return fail(c, "bad_command", "a quoted name has no closing "
                            "quote; try: dm \"alice (2)\" hello");
            len = (size_t)(w - name);
            *w = '\0';
            p++;
        } else {
            name = p;
            len = strcspn(p, " \t,");
            p += len;
        }
        if (len == 0)
            return fail(c, "bad_command", "dm needs a name: dm NAME TEXT");
        if (c->nto == LM_MAX_PEERS)
            return fail(c, "bad_command", "too many recipients");
        c->to[c->nto++] = name;
        if (*p == ',') {
            *p++ = '\0';
            continue;
        }
        if (*p != ' ' && *p != '\t')
            return fail(c, "bad_command", "dm needs a text after the name: "
                        "dm NAME TEXT");
        *p++ = '\0';
        break;
    }
    c->text = skip_spaces(p);
    return 0;
}

/* One word: bare up to a space, or in double quotes with \" and \\
 * (as dm's names); NUL-terminated in place. NULL at the end of the line,
 * or on an unclosed quote (*bad set). */
static char *next_word(char **pp, bool *bad)
{
    char *p = skip_spaces(*pp);
    if (!*p)
        return NULL;
    char *word = p;
    if (*p == '"') {
        char *w = word = ++p;
        while (*p && *p != '"') {
            if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
                p++;
            *w++ = *p++;
        }
        if (*p != '"') {
            *bad = true;
            return NULL;
        }
        p++;
        *w = '\0';
    } else {
        p += strcspn(p, " \t");
    }
    if (*p)
        *p++ = '\0';
    *pp = p;
    return word;
}

/* send PATH [NAME...] */
/* "on" or "off" into *on; false for anything else. */
static bool parse_on_off(const char *rest, bool *on)
{
    *on = strcmp(rest, "on") == 0;
    return *on || strcmp(rest, "off") == 0;
}

static int parse_send(char *p, lm_ucmd *c)
{
    bool bad = false;
    c->path = next_word(&p, &bad);
    if (!c->path || !c->path[0])
        return fail(c, "bad_command", bad ? "a quoted path has no closing "
                    "quote" : "send needs a file: send PATH [NAME...]");
    char *name;
    while ((name = next_word(&p, &bad)) != NULL) {
        if (c->nto == LM_MAX_PEERS)
            return fail(c, "bad_command", "too many recipients");
        if (name[0])
            c->to[c->nto++] = name;
    }
    if (bad)
        return fail(c, "bad_command", "a quoted name has no closing quote");
    return 0;
}

int lm_command_parse(char *line, lm_ucmd *c)
{
    memset(c, 0, sizeof *c);
    size_t len = strlen(line);
    while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        line[--len] = '\0';
    if (!lm_utf8_valid(line, len))
        return fail(c, "bad_text", "the command is not valid UTF-8");
    char *p = skip_spaces(line);
    if (!*p) {
        c->type = LM_UC_NONE;
        return 0;
    }
    char *word = p;
    p += strcspn(p, " \t");
    if (*p)
        *p++ = '\0';
    char *rest = skip_spaces(p);

    if (strcmp(word, "say") == 0) {
        c->type = LM_UC_SAY;
        c->text = rest;
        return 0;
    }
    if (strcmp(word, "dm") == 0) {
        c->type = LM_UC_DM;
        return parse_dm(rest, c);
    }
    static const struct {
        const char *word;
        lm_ucmd_type type;
    } bare[] = {
        {"who", LM_UC_WHO},
        {"quit", LM_UC_QUIT},
        {"help", LM_UC_HELP},
        {"stats", LM_UC_STATS},
        {"mute", LM_UC_MUTE},
        {"unmute", LM_UC_UNMUTE},
        {"files", LM_UC_FILES},
    };
    for (size_t i = 0; i < sizeof bare / sizeof bare[0]; i++) {
        if (strcmp(word, bare[i].word) != 0)
            continue;
        if (*rest)
            return fail(c, "bad_command", "this command takes no arguments");
        c->type = bare[i].type;
        return 0;
    }
    if (strcmp(word, "send") == 0) {
        c->type = LM_UC_SEND;
        return parse_send(rest, c);
    }
    if (strcmp(word, "get") == 0 || strcmp(word, "cancel") == 0) {
        c->type = word[0] == 'g' ? LM_UC_GET : LM_UC_CANCEL;
        c->id = rest;
        size_t n = strspn(rest, "0123456789abcdef");
        if (n != 64 || rest[n])
            return fail(c, "bad_command", "get and cancel take a file's id: "
                        "64 lowercase hex digits (see: files)");
        return 0;
    }
    if (strcmp(word, "ptt") == 0) {
        c->type = LM_UC_PTT;
        return parse_on_off(rest, &c->ptt_on) ? 0
               : fail(c, "bad_command", "ptt takes on or off");
    }
    if (strcmp(word, "camera") == 0) {
        c->type = LM_UC_CAMERA;
        return parse_on_off(rest, &c->cam_on) ? 0
               : fail(c, "bad_command", "camera takes on or off");
    }
    if (strcmp(word, "test_drop") == 0) {
        char *end;
        c->type = LM_UC_TEST_DROP;
        c->fraction = strtod(rest, &end);
        if (end == rest || *skip_spaces(end) || !(c->fraction >= 0.0) ||
            !(c->fraction <= 1.0))
            return fail(c, "bad_command", "test_drop takes a fraction from 0 "
                        "to 1, e.g. test_drop 0.05");
        return 0;
    }
    if (strcmp(word, "test_block") == 0 || strcmp(word, "test_unblock") == 0) {
        c->type = word[5] == 'b' ? LM_UC_TEST_BLOCK : LM_UC_TEST_UNBLOCK;
        if (parse_addr(rest, &c->ipv4, &c->port) < 0)
            return fail(c, "bad_command", "test_block and test_unblock take "
                        "A.B.C.D:PORT");
        return 0;
    }
    char msg[200];
    snprintf(msg, sizeof msg, "unknown command '%.40s'; commands: say, dm, "
             "who, quit, help", word);
    return fail(c, "unknown_command", msg);
}
