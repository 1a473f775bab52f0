/* text.h - checks on text that comes from a user or the network. */
#ifndef LM_TEXT_H
#define LM_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* True when s[0..len) is well-formed UTF-8: no overlongs, no surrogates,
 * nothing above U+10FFFF, no NUL byte. */
bool lm_utf8_valid(const char *s, size_t len);

/* True when s is fit to show as a display or room name: valid UTF-8 with
 * no control characters (C0, DEL, C1) and no bidi controls, not starting
 * with a combining mark, and with at least one character that draws
 * something (not only spaces, zero-width or format characters, or marks). */
bool lm_name_valid(const char *s, size_t len);

/* The bidirectional controls that reorder what follows them (embeddings,
 * overrides, isolates): they make one name look like another. */
bool lm_is_bidi_control(unsigned long cp);

/* s made safe to print on a terminal or draw in a window, as a new
 * string (malloc'd; NULL when out of memory). Nothing in it can drive a
 * terminal: C0 and C1 controls, DEL and bidi controls are shown as
 * escapes (\x1b, \u009b, \u202e); a line break is kept but the next line
 * starts with "  | ", so a message cannot print a line that looks like
 * another; a tab becomes a space; bytes that are not UTF-8 become U+FFFD. */
char *lm_text_shown(const char *s);

#endif
