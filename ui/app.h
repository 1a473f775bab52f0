/* app.h - a node with its services and its discovery backends: what every
 * front end starts (the one place the services are put together).
 *
 * Opens the node, attaches the room and chat services, then the backends
 * (the static --peer list when given, Avahi unless disabled, both chosen by
 * name from the table in discovery.h), and passes what they find to the
 * node. A front end hands every node event to lm_app_on_event before
 * showing it, so the mDNS record follows the node's role. Owned by the
 * front end's thread; the discovery callbacks only post to the node
 * (thread-safe).
 *
 * The app prints nothing. What it has to tell the person once the node
 * exists (a temporary identity, mDNS off or back, a discovery warning)
 * reaches the front end as an error event {code, msg}, in order with the
 * node's own events and after `ready`; codes: temporary_identity,
 * mdns_off (the Avahi backend could not start), and the backends' own
 * (no_mdns, mdns_back, mdns_publish, mdns_error). Only if the node cannot
 * take the event does the sentence go to stderr. */
#ifndef LM_APP_H
#define LM_APP_H

#include <stdbool.h>

#include "discovery.h"
#include "mesh/node.h"
#include "audio/audio.h"
#include "files/files.h"
#include "video/video.h"
#include "room/chat.h"
#include "room/room.h"

typedef struct lm_app_config {
    lm_node_config node;
    bool mdns;         /* use the Avahi backend */
    const char *peers; /* comma-separated HOST[:PORT] list, or NULL */
    /* where the identity lives: NULL for the config directory, or
     * "ephemeral" for a fresh one each run */
    const char *identity;
    /* audio: devices as ui/dev/audiodev.h names them (NULL: none) */
    const char *mic, *speaker;
    unsigned frame_us; /* 0: LM_AUDIO_FRAME_DEFAULT_US */
    bool ptt;
    bool no_aec;   /* --aec off */
    bool no_audio; /* no audio service at all */
    /* files: NULL for the XDG defaults (app.c) */
    const char *store_dir, *download_dir;
    uint64_t store_max; /* bytes; 0: the store's default */
    /* video: a camera as ui/dev/camera.h names it (NULL: /dev/video0 if
     * it opens, else none, said once as a no_camera error) */
    const char *camera;
    bool no_camera;             /* --no-camera: none, silently */
    uint16_t view_w, view_h;    /* 0: the video service's default */
    bool no_view;               /* --view-size none: watch nobody */
    const char *record_dir;     /* --record DIR, or NULL */
} lm_app_config;

typedef struct lm_app {
    lm_node *node;
    lm_room *room_svc; /* the services, owned by the node */
    lm_chat *chat;
    lm_audio *audio; /* NULL with no_audio */
    lm_files *files;
    lm_video *video;
    lm_discovery *disc[2]; /* the --peer list, Avahi; NULL when not open */
    lm_disc_callbacks cb;
    char *why; /* while the --peer list opens: where its warning goes */
    size_t why_cap;
    char name[LM_NAME_MAX + 1];
    char room[LM_ROOM_MAX + 1];
    char role[16];
    uint64_t term;
    lm_identity identity;
    int identity_lock; /* held while the app runs; -1 when none */
} lm_app;

/* Returns 0, or a negative code with a sentence for the user in why. */
int lm_app_open(lm_app *app, const lm_app_config *cfg, char *why, size_t cap);
void lm_app_on_event(lm_app *app, const lm_event *ev);
void lm_app_close(lm_app *app); /* stops discovery, then the node */

#endif
