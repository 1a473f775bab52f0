/* files_json.h - the file service's events for the headless front end:
 * their names, their JSON fields (DESIGN.md §8) and their text lines. */
#ifndef LM_FILES_JSON_H
#define LM_FILES_JSON_H

#include "files/files.h"
#include "json.h"

const char *lm_files_event_name(lm_event_type t);
/* Adds the fields of a file event to an open object. */
void lm_files_event_json(lm_json *j, const lm_event *ev);
/* One line for a person at a terminal (peer text made harmless). */
void lm_files_event_text(const lm_event *ev);

#endif
