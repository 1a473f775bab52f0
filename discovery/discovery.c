/* discovery.c - the table of discovery backends, chosen by name, and the
 * calls that reach a backend through its handle.
 *
 * The command line names a backend ("avahi", "static"); this file maps the
 * name to its ops struct. Adding a backend means one line in the table. */
#include "discovery.h"

#include "backend.h"
#include "err.h"

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

lm_discovery *lm_discovery_open(const lm_discovery_ops *ops, const char *arg,
                                const lm_disc_callbacks *cb, int *err)
{
    if (!ops) {
        if (err)
            *err = LM_EINVAL;
        return NULL;
    }
    return ops->open(arg, cb, err);
}

int lm_discovery_publish(lm_discovery *d, const lm_disc_self *self)
{
    return d ? d->ops->publish(d, self) : LM_EINVAL;
}

void lm_discovery_close(lm_discovery *d)
{
    if (d)
        d->ops->close(d);
}
