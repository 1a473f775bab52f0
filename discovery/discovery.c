/* discovery.c - the table of discovery backends, chosen by name.
 *
 * The command line names a backend ("avahi", "static"); this file maps the
 * name to its ops struct. Adding a backend means one line in the table. */
#include "discovery.h"

#include <string.h>

static const lm_discovery_ops *const backends[] = {
    &lm_discovery_avahi,
    &lm_discovery_static,
};

const lm_discovery_ops *lm_discovery_find(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++)
        if (strcmp(backends[i]->name, name) == 0)
            return backends[i];
    return NULL;
}
