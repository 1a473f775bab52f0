/* names.c - see names.h. */
#include "names.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define NAMES_MAX (2 * LM_MAX_PEERS)

static bool earlier(const lm_name_in *a, const lm_name_in *b)
{
    return a->start_ms != b->start_ms ? a->start_ms < b->start_ms
                                      : a->id < b->id;
}

static bool taken(char (*out)[LM_DISPLAY_MAX], const size_t *order,
                  size_t done, const char *cand)
{
    for (size_t j = 0; j < done; j++)
        if (strcmp(out[order[j]], cand) == 0)
            return true;
    return false;
}

void lm_names_assign(const lm_name_in *in, size_t n, char (*out)[LM_DISPLAY_MAX])
{
    size_t order[NAMES_MAX];
    if (n > NAMES_MAX)
        n = NAMES_MAX;
    for (size_t i = 0; i < n; i++) { /* insertion sort: n is small */
        size_t k = i;
        while (k > 0 && earlier(&in[i], &in[order[k - 1]])) {
            order[k] = order[k - 1];
            k--;
        }
        order[k] = i;
    }
    for (size_t d = 0; d < n; d++) {
        size_t i = order[d];
        char cand[LM_DISPLAY_MAX];
        snprintf(cand, sizeof cand, "%.*s", LM_NAME_MAX, in[i].name);
        /* n members can take at most n suffixes: one of 2..n+1 is free */
        for (size_t k = 2; taken(out, order, d, cand) && k <= n + 1; k++)
            snprintf(cand, sizeof cand, "%.*s (%zu)", LM_NAME_MAX, in[i].name,
                     k);
        memcpy(out[i], cand, sizeof cand);
    }
}
