/* room.h - the room's election, a service on the mesh: who is hub and who
 * is deputy.
 *
 * Every change of membership or of a member's advertised state runs the
 * pure rules of election.h; a new result is advertised to every member
 * (STATE), set as the mesh's roles (so every service hears of it) and
 * reported as a hub event. A hub with a lasting cut in the room hands the
 * hub to the member that reaches the most. Attach it first, before the
 * services that follow the roles; the node frees it. */
#ifndef LM_ROOM_H
#define LM_ROOM_H

#include "mesh/mesh.h"

typedef struct lm_room lm_room;

/* Returns NULL with *err set (LM_ENOMEM, or lm_mesh_attach's code). */
lm_room *lm_room_attach(lm_node *n, int *err);

#endif
