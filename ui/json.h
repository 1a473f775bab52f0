/* json.h - a small writer for one-line JSON objects (the headless events).
 *
 * Builds into a growing buffer; strings are escaped, and bytes that are not
 * valid UTF-8 become U+FFFD, so whatever a user or peer typed, the line is
 * valid JSON. Nesting is tracked only as far as commas need it. */
#ifndef LM_JSON_H
#define LM_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct lm_json {
    char *buf;
    size_t len, cap;
    bool need_comma;
    bool oom; /* sticky: an allocation failed */
} lm_json;

void lm_json_init(lm_json *j);
void lm_json_free(lm_json *j);
void lm_json_reset(lm_json *j);

void lm_json_open(lm_json *j, const char *key, char bracket); /* key NULL in arrays */
void lm_json_close(lm_json *j, char bracket);
void lm_json_str(lm_json *j, const char *key, const char *val); /* NULL -> null */
void lm_json_int(lm_json *j, const char *key, int64_t val);
void lm_json_uint(lm_json *j, const char *key, uint64_t val);
void lm_json_bool(lm_json *j, const char *key, bool val);
void lm_json_null(lm_json *j, const char *key);
/* A node id as its 16 hex digits; 0 (no node) as null. */
void lm_json_id(lm_json *j, const char *key, uint64_t id);

#endif
