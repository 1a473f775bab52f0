/* text.h - checks on text that comes from a user or the network. */
#ifndef LM_TEXT_H
#define LM_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* True when s[0..len) is well-formed UTF-8: no overlongs, no surrogates,
 * nothing above U+10FFFF, no NUL byte. */
bool lm_utf8_valid(const char *s, size_t len);

/* True when s is valid UTF-8 with no control characters (C0, DEL, C1),
 * not empty and not only spaces: fit to show as a display or room name. */
bool lm_name_valid(const char *s, size_t len);

#endif
