/* files.h - file sharing, a service on the mesh: store-and-forward
 * through the hub.
 *
 * `send PATH [NAME...]`: this node's disk worker reads the file once for
 * its SHA-256 and hash tree (ftree.h) and the service offers it to the hub
 * (OFFER flagged LM_FILE_UPLOAD). The hub opens it in its store
 * (store.h), answers HAVE (where to resume) and pulls the chunks with
 * REQUEST through a receiver-driven window (xfer.h); every chunk is
 * checked against the root by its proof as it lands, the whole file
 * against its id at the end, and the uploader is told DONE. The hub
 * offers the file to its recipients (the room, or only the named members:
 * a file for one member is never offered to another) as soon as the
 * store took it, so `get ID` may start while the upload still arrives:
 * the hub says with HAVE how far it can serve and says it again as it
 * grows. A download lands in this node's own store, is checked the same
 * way, and is then moved under the download directory with a safe name
 * (safename.h): never outside it, never over an existing file.
 *
 * Late joiners and a new hub: a member asks the hub for its offers (LIST)
 * when it meets one. When the hub changes, unfinished uploads are offered
 * to the new hub (which resumes from what it holds) and downloads ask the
 * new hub from where they stopped.
 *
 * Threads: the ops and the commands' work run on the net thread, which
 * never touches the disk; every store call, every read of a file to send
 * and the final move run on the service's own worker thread ("files"),
 * fed through a bounded queue and answering through lm_mesh_post. The
 * commands below are thread-safe and answered by events.
 *
 * Events: file_offered, file_progress (at most 4 a second per transfer,
 * droppable), file_done, file_failed (DESIGN.md §8). */
#ifndef LM_FILES_H
#define LM_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "files/file_wire.h"
#include "mesh/mesh.h"

typedef struct lm_files lm_files;

typedef struct lm_files_config {
    const char *store_dir;    /* required: the store (created 0700) */
    const char *download_dir; /* required: where downloads are saved */
    uint64_t store_max;       /* bytes; 0: LM_STORE_MAX_DEFAULT */
    uint64_t file_max;        /* bytes per file; 0: store_max */
} lm_files_config;

/* Attach before lm_node_start. The store opens on the worker once the
 * node runs (a store another process holds is an error event, and the
 * service then refuses sends and gets with a reason). Returns NULL with
 * *err (LM_EINVAL, LM_ENOMEM, lm_mesh_attach's code). */
lm_files *lm_files_attach(lm_node *n, const lm_files_config *cfg, int *err);

/* Each returns 0, LM_EFULL (post again once lm_node_cmd_fd is readable),
 * LM_ENOMEM or LM_EINVAL; what happens next comes as events. to: member
 * names (as the room shows them, or as they call themselves, or ids);
 * nto 0 for the room. */
int lm_files_send(lm_files *f, const char *path, const char *const *to,
                  size_t nto);
int lm_files_get(lm_files *f, const char *id_hex);
int lm_files_cancel(lm_files *f, const char *id_hex);
int lm_files_list(lm_files *f); /* a file_offered for each offer to us */

typedef struct lm_ev_file_offered { /* LM_EV_FILE_OFFERED */
    lm_event h;
    uint8_t id[LM_FILE_ID_LEN];
    uint64_t size;
    uint64_t from;
    char from_name[LM_NAME_MAX + 16];
    char name[LM_FILE_NAME_MAX + 1]; /* the sender's: show it with care */
} lm_ev_file_offered;

typedef struct lm_ev_file_progress { /* LM_EV_FILE_PROGRESS, droppable */
    lm_event h;
    uint8_t id[LM_FILE_ID_LEN];
    uint64_t bytes, total;
    uint64_t rate; /* bytes/s since the last one */
    bool up;       /* this node's upload; else a download */
} lm_ev_file_progress;

typedef struct lm_ev_file_done { /* LM_EV_FILE_DONE */
    lm_event h;
    uint8_t id[LM_FILE_ID_LEN]; /* the SHA-256, checked */
    char path[4096 + 256];      /* where it is (the sent file: its path) */
} lm_ev_file_done;

typedef struct lm_ev_file_failed { /* LM_EV_FILE_FAILED */
    lm_event h;
    uint8_t id[LM_FILE_ID_LEN]; /* all zero when the file was never read */
    char reason[200];           /* "too_big: ...": a word, then a sentence */
} lm_ev_file_failed;

LM_EV_ACCESSOR(lm_ev_file_offered, LM_EV_FILE_OFFERED)
LM_EV_ACCESSOR(lm_ev_file_progress, LM_EV_FILE_PROGRESS)
LM_EV_ACCESSOR(lm_ev_file_done, LM_EV_FILE_DONE)
LM_EV_ACCESSOR(lm_ev_file_failed, LM_EV_FILE_FAILED)

#endif
