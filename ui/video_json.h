/* video_json.h - the video service's events in the headless front end:
 * their JSON fields and their lines for a person. */
#ifndef LM_VIDEO_JSON_H
#define LM_VIDEO_JSON_H

#include <stdbool.h>

#include "json.h"
#include "mesh/node.h"

/* "video", "frame", "video_stats", or NULL for another event. */
const char *lm_video_event_name(lm_event_type t);
/* The event's fields into j (the object is open); false for another
 * event. */
bool lm_video_event_json(lm_json *j, const lm_event *ev);
/* A line for a person on stdout (none for frame events); false for
 * another event. */
bool lm_video_event_text(const lm_event *ev);

#endif
