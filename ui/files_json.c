/* files_json.c - the file service's events as JSON and text; see
 * files_json.h. */
#include "files_json.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "text.h"

const char *lm_files_event_name(lm_event_type t)
{
    switch (t) {
    case LM_EV_FILE_OFFERED: return "file_offered";
    case LM_EV_FILE_PROGRESS: return "file_progress";
    case LM_EV_FILE_DONE: return "file_done";
    case LM_EV_FILE_FAILED: return "file_failed";
    default: return "unknown";
    }
}

static bool zero(const uint8_t *id)
{
    for (size_t i = 0; i < LM_FILE_ID_LEN; i++)
        if (id[i])
            return false;
    return true;
}

static void json_fid(lm_json *j, const char *key, const uint8_t *id)
{
    char hex[65];
    lm_file_id_hex(id, hex);
    lm_json_str(j, key, zero(id) ? NULL : hex);
}

void lm_files_event_json(lm_json *j, const lm_event *ev)
{
    char from[LM_ID_STR];
    const lm_ev_file_offered *of = lm_ev_file_offered_of(ev);
    const lm_ev_file_progress *pr = lm_ev_file_progress_of(ev);
    const lm_ev_file_done *dn = lm_ev_file_done_of(ev);
    const lm_ev_file_failed *fl = lm_ev_file_failed_of(ev);
    if (of) {
        json_fid(j, "id", of->id);
        lm_json_str(j, "name", of->name);
        lm_json_uint(j, "size", of->size);
        lm_id_format(of->from, from);
        lm_json_str(j, "from", from);
        lm_json_str(j, "from_name", of->from_name);
        json_fid(j, "sha256", of->id);
    } else if (pr) {
        json_fid(j, "id", pr->id);
        lm_json_uint(j, "bytes", pr->bytes);
        lm_json_uint(j, "total", pr->total);
        lm_json_uint(j, "rate", pr->rate);
        lm_json_str(j, "dir", pr->up ? "up" : "down");
    } else if (dn) {
        json_fid(j, "id", dn->id);
        lm_json_str(j, "path", dn->path);
        json_fid(j, "sha256", dn->id);
    } else if (fl) {
        json_fid(j, "id", fl->id);
        lm_json_str(j, "reason", fl->reason);
    }
}

static void put_shown(const char *s)
{
    char *t = lm_text_shown(s ? s : "");
    fputs(t ? t : "?", stdout);
    free(t);
}

void lm_files_event_text(const lm_event *ev)
{
    char hex[65];
    const lm_ev_file_offered *of = lm_ev_file_offered_of(ev);
    const lm_ev_file_done *dn = lm_ev_file_done_of(ev);
    const lm_ev_file_failed *fl = lm_ev_file_failed_of(ev);
    if (of) {
        lm_file_id_hex(of->id, hex);
        fputs("* ", stdout);
        put_shown(of->from_name);
        fputs(" offers '", stdout);
        put_shown(of->name);
        printf("' (%" PRIu64 " bytes): /get %s\n", of->size, hex);
    } else if (dn) {
        fputs("* file saved: ", stdout);
        put_shown(dn->path);
        fputc('\n', stdout);
    } else if (fl) {
        fputs("! file: ", stdout);
        put_shown(fl->reason);
        fputc('\n', stdout);
    } /* progress: too many lines for a terminal */
}
