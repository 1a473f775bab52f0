/* election_check.h - what the election tests share: state literals and
 * comparing and printing a state. */
#ifndef LM_ELECTION_CHECK_H
#define LM_ELECTION_CHECK_H

#include <stdbool.h>
#include <stdio.h>

#include "room/election.h"

/* clang-format off: the tables below read best one case per row */
#define ST(t, h, d) {(t), (h), (d), 0}
#define MB(id, f, t, h, d) {(id), (f), ST(t, h, d), 0}
/* clang-format on */
#define NONE LM_ELECT_NOTE_NONE
#define LOST LM_ELECT_NOTE_FORCED_LOST

static inline bool same_state(lm_elect_state a, lm_elect_state b)
{
    return a.term == b.term && a.hub == b.hub && a.deputy == b.deputy;
}

static inline void print_state(const char *what, lm_elect_state st, int note)
{
    fprintf(stderr, "%s (term %llu, hub %llu, deputy %llu) note %d\n", what,
            (unsigned long long)st.term, (unsigned long long)st.hub,
            (unsigned long long)st.deputy, note);
}

#endif
