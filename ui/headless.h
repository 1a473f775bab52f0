/* headless.h - the front end with no window: commands on stdin, events on
 * stdout, one per line, as JSON (the contract tests drive) or as text for
 * a person at a terminal. */
#ifndef LM_HEADLESS_H
#define LM_HEADLESS_H

#include <stdbool.h>

#include "app.h"

/* Runs until `quit`, SIGINT or SIGTERM. Returns the exit status. */
int lm_headless_run(lm_app *app, bool json, bool test_faults);

/* Formats one event as a JSON object (no newline) into a malloc'd string;
 * NULL when out of memory. */
char *lm_headless_event_json(const lm_event *ev);

#endif
