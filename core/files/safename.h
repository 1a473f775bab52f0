/* safename.h - a local file name from a name a hostile sender chose.
 *
 * lm_safename makes a name that stays where it is put and shows what it
 * is: path separators ('/' and '\') and control characters (C0, DEL, C1)
 * become '_'; bidi controls and marks (which can make "txt.exe" show as
 * "exe.txt") are removed; bytes that are not UTF-8 become U+FFFD; leading
 * dots, dashes and spaces go (no hidden files, no "..", nothing a shell
 * takes for an option) and so do trailing dots and spaces; the result is
 * at most LM_SAFENAME_MAX bytes, cut between characters and keeping a
 * short extension; a name with nothing visible left is "file".
 *
 * lm_safename_create then makes the file in a directory without ever
 * replacing one: O_CREAT | O_EXCL with "name", "name (1).ext",
 * "name (2).ext", ..., so there is no window between a check and the
 * creation for anything to slip into. Pure apart from that one call;
 * any thread.
 */
#ifndef LM_SAFENAME_H
#define LM_SAFENAME_H

#include <stddef.h>

/* Bytes of a safe name: with " (NNNNNN)" and ".part" added it is still
 * under NAME_MAX (255). */
#define LM_SAFENAME_MAX 200
#define LM_SAFENAME_IN_MAX 1024 /* input bytes looked at; the rest is cut */
#define LM_SAFENAME_TRIES 1000  /* "name (999).ext" is the last tried */
#define LM_SAFENAME_FALLBACK "file"

/* in: len bytes, any bytes at all. out: LM_SAFENAME_MAX + 1 bytes, always
 * a non-empty NUL-terminated name. */
void lm_safename(const char *in, size_t len, char out[LM_SAFENAME_MAX + 1]);

/* Creates a new file under dirfd named `name` (lm_safename's output) or
 * the first free "stem (N).ext", opened write-only with O_CLOEXEC and
 * `mode`; the name it got goes in out (cap bytes, at least
 * LM_SAFENAME_MAX + 16). Returns the fd, LM_EFULL when all
 * LM_SAFENAME_TRIES names exist, LM_EINVAL for a name that is not
 * lm_safename's output (a separator, a leading dot, empty, too long), or
 * LM_EIO (errno says why). Blocking: a worker's call. */
int lm_safename_create(int dirfd, const char *name, unsigned mode, char *out,
                       size_t cap);

#endif
