/* safename_check.h - what every output of lm_safename must be, whatever
 * went in: for the table test and the fuzz target. */
#ifndef LM_SAFENAME_CHECK_H
#define LM_SAFENAME_CHECK_H

#include <stdbool.h>
#include <string.h>

#include "files/safename.h"
#include "text.h"

/* NULL when s is a safe name, else what is wrong with it. */
static inline const char *safename_problem(const char *s)
{
    size_t len = strlen(s);
    if (len == 0 || len > LM_SAFENAME_MAX)
        return "empty or too long";
    if (!lm_utf8_valid(s, len))
        return "not UTF-8";
    if (!lm_name_valid(s, len)) /* no controls, no bidi, something shown */
        return "controls, bidi or nothing visible";
    if (strchr(s, '/') || strchr(s, '\\'))
        return "a path separator";
    if (s[0] == '.' || s[0] == '-' || s[0] == ' ')
        return "a leading dot, dash or space";
    if (s[len - 1] == '.' || s[len - 1] == ' ')
        return "a trailing dot or space";
    for (size_t i = 0; i + 2 < len; i++) /* LRM, RLM */
        if ((unsigned char)s[i] == 0xe2 && (unsigned char)s[i + 1] == 0x80 &&
            ((unsigned char)s[i + 2] == 0x8e ||
             (unsigned char)s[i + 2] == 0x8f))
            return "a bidi mark";
    return NULL;
}

#endif
