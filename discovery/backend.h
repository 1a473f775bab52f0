/* backend.h - what every discovery backend shares: the head of a handle.
 *
 * A backend's own state struct starts with an lm_discovery, so the handle
 * it returns from open() is the address of that first member and the
 * backend gets its struct back from the handle (C11 6.7.2.1: a pointer to
 * a struct, suitably converted, points to its first member and back).
 * The head says which backend made the handle, so lm_discovery_publish
 * and lm_discovery_close need no ops from the caller. Included by the
 * backends and the table only; the rest of the program sees an opaque
 * lm_discovery. */
#ifndef LM_DISCOVERY_BACKEND_H
#define LM_DISCOVERY_BACKEND_H

#include "discovery.h"

struct lm_discovery {
    const lm_discovery_ops *ops; /* the backend that opened it */
};

#endif
