/* names.h - display names made unique in a room: pure logic, no I/O.
 *
 * Every node runs the same assignment over the same members, so every node
 * shows the same names. Members are taken in the order they started
 * (start time, then id): each keeps its own name when no earlier member
 * shows it, else takes "name (k)" with the smallest k >= 2 that no earlier
 * member shows. A member that joins later never renames one already there
 * (unless it started earlier, as after a partition heal).
 */
#ifndef LM_NAMES_H
#define LM_NAMES_H

#include <stddef.h>
#include <stdint.h>

#include "wire.h"

#define LM_DISPLAY_MAX (LM_NAME_MAX + 16) /* "name (k)" and its NUL */

typedef struct lm_name_in {
    const char *name; /* the member's own name, as it chose it */
    int64_t start_ms;
    uint64_t id;
} lm_name_in;

/* out[i] receives the name member in[i] is shown under. n is at most a
 * room's worth of members plus links on their way (LM_MAX_PEERS * 2). */
void lm_names_assign(const lm_name_in *in, size_t n, char (*out)[LM_DISPLAY_MAX]);

#endif
