/* audio_json.h - the audio service's events in the headless front end:
 * their JSON fields and their lines for a person. */
#ifndef LM_AUDIO_JSON_H
#define LM_AUDIO_JSON_H

#include <stdbool.h>

#include "json.h"
#include "mesh/node.h"

/* "speaking", "muted", "audio", "audio_stats", or NULL for another
 * event. */
const char *lm_audio_event_name(lm_event_type t);
/* The event's fields into j (the object is open); false for another
 * event. */
bool lm_audio_event_json(lm_json *j, const lm_event *ev);
/* A line for a person on stdout (audio_stats only: the others are for
 * programs); false for another event. */
bool lm_audio_event_text(const lm_event *ev);

#endif
