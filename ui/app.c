/* app.c - wires discovery to the node; see app.h. */
#include "app.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dev/audiodev.h"
#include "dev/camera.h"
#include "crypto.h"
#include "err.h"
#include "mesh/mesh.h"
#include "wire.h"

/* the identity sentence: the lock's reason (a path) and our words; the
 * event holds 255 bytes of it */
#define NOTICE_MAX 320

static void on_found(void *ud, const lm_disc_peer *p)
{
    lm_app *app = ud;
    /* another room, or a version we cannot talk to: not ours to dial */
    if (p->room[0] && strcmp(p->room, app->room) != 0)
        return;
    if (p->version && p->version != LM_PROTO_VERSION)
        return;
    lm_node_hint_peer(app->node, p->id, p->ipv4, p->port);
}

static void on_lost(void *ud, uint64_t id)
{
    lm_app *app = ud;
    lm_node_forget_peer(app->node, id);
}

/* One sentence for the person, as an error event in order with the node's
 * own: the text front end prints it as one line, --events json as one
 * object. Thread-safe (the Avahi thread calls it). stderr is the last
 * resort, when the node cannot take the event. */
static void tell(lm_app *app, const char *code, const char *msg)
{
    if (lm_node_post_error(app->node, code, msg) < 0)
        fprintf(stderr, "lanmeet: %s\n", msg);
}

/* The audio service and its devices; a device that cannot open is an
 * error the person must fix (a wrong path), no device at all is not. */
static int open_audio(lm_app *app, const lm_app_config *cfg, char *why,
                      size_t cap, int *err)
{
    lm_audio_config ac = {
        .frame_us = cfg->frame_us ? cfg->frame_us : LM_AUDIO_FRAME_DEFAULT_US,
        .ptt = cfg->ptt,
        .no_aec = cfg->no_aec,
    };
    char dev_why[256] = "";
    if (cfg->mic &&
        (*err = lm_audiodev_mic(cfg->mic, &ac.mic, dev_why, sizeof dev_why)) < 0) {
        snprintf(why, cap, "microphone: %s", dev_why);
        return *err;
    }
    if (cfg->speaker && (*err = lm_audiodev_speaker(cfg->speaker, &ac.speaker,
                                                    dev_why, sizeof dev_why)) < 0) {
        if (ac.mic.ops)
            ac.mic.ops->close(ac.mic.dev);
        snprintf(why, cap, "speaker: %s", dev_why);
        return *err;
    }
    if (!ac.mic.ops && !ac.speaker.ops) {
        char msg[384];
        snprintf(msg, sizeof msg, "no microphone and no speaker%s%s%s: "
                 "the node runs on, silent", dev_why[0] ? " (" : "",
                 dev_why, dev_why[0] ? ")" : "");
        tell(app, "no_audio_device", msg);
    }
    app->audio = lm_audio_attach(app->node, &ac, err);
    if (!app->audio) {
        snprintf(why, cap, "cannot start audio: %s", lm_strerror(*err));
        return *err;
    }
    return 0;
}

/* The video service and its camera; a camera named that cannot open is
 * an error the person must fix, no camera at all is not (said once). */
static int open_video(lm_app *app, const lm_app_config *cfg, char *why,
                      size_t cap, int *err)
{
    lm_video_config vc = {
        .view_w = cfg->view_w,
        .view_h = cfg->view_h,
        .no_view = cfg->no_view,
        .frame_events = cfg->node.test_faults,
        .record_dir = cfg->record_dir,
    };
    char cam_why[256] = "";
    if (cfg->camera && (*err = lm_camera_open(cfg->camera, &vc.camera,
                                              cam_why, sizeof cam_why)) < 0) {
        snprintf(why, cap, "camera: %s", cam_why);
        return *err;
    }
    if (!cfg->camera && !cfg->no_camera &&
        lm_camera_open("/dev/video0", &vc.camera, cam_why, sizeof cam_why) < 0) {
        char msg[384];
        snprintf(msg, sizeof msg, "no camera (%s): the node runs on, camera "
                 "off", cam_why);
        tell(app, "no_camera", msg);
    }
    if (!vc.view_w && cfg->record_dir) { /* a recording keeps full size */
        vc.view_w = LM_VIDEO_W_MAX;
        vc.view_h = LM_VIDEO_H_MAX;
    }
    app->video = lm_video_attach(app->node, &vc, err);
    if (!app->video) {
        snprintf(why, cap, "cannot start video: %s", lm_strerror(*err));
        return *err;
    }
    return 0;
}

/* dir under $XDG_<var> or ~/<fallback>, with its parents made (the
 * store makes only its own folder). */
static void xdg_dir(const char *var, const char *fallback, const char *leaf,
                    char *out, size_t cap)
{
    const char *base = getenv(var), *home = getenv("HOME");
    if (base && base[0] == '/')
        snprintf(out, cap, "%s%s%s", base, leaf[0] ? "/" : "", leaf);
    else
        snprintf(out, cap, "%s/%s%s%s", home && home[0] ? home : ".",
                 fallback, leaf[0] ? "/" : "", leaf);
    for (char *p = out + 1; *p; p++) /* the parents, not the leaf */
        if (*p == '/') {
            *p = '\0';
            (void)mkdir(out, 0700);
            *p = '/';
        }
}

/* The file service: store and downloads default to the XDG folders. */
static int open_files(lm_app *app, const lm_app_config *cfg, char *why,
                      size_t cap, int *err)
{
    char store[4096], down[4096];
    if (!cfg->store_dir)
        xdg_dir("XDG_DATA_HOME", ".local/share", "lanmeet/store", store,
                sizeof store);
    if (!cfg->download_dir)
        xdg_dir("XDG_DOWNLOAD_DIR", "Downloads", "", down, sizeof down);
    lm_files_config fc = {
        .store_dir = cfg->store_dir ? cfg->store_dir : store,
        .download_dir = cfg->download_dir ? cfg->download_dir : down,
        .store_max = cfg->store_max,
    };
    app->files = lm_files_attach(app->node, &fc, err);
    if (!app->files) {
        snprintf(why, cap, "cannot start file sharing: %s", lm_strerror(*err));
        return *err;
    }
    return 0;
}

static void on_status(void *ud, int level, const char *code, const char *msg)
{
    lm_app *app = ud;
    /* while lm_app_open runs the --peer list, its warning is the reason
     * the open fails: the events would die with the node */
    if (app->why) {
        snprintf(app->why, app->why_cap, "bad --peer list: %s", msg);
        return;
    }
    /* warnings and news alike (mdns_back ends a no_mdns the person has
     * seen), each once */
    (void)level;
    tell(app, code, msg);
}

static void publish(lm_app *app)
{
    for (int i = 0; i < 2; i++) {
        if (!app->disc[i])
            continue;
        lm_disc_self self = {
            .id = lm_node_id(app->node),
            .name = app->name,
            .room = app->room,
            .port = lm_node_port(app->node),
            .role = app->role,
            .term = app->term,
        };
        lm_discovery_publish(app->disc[i], &self);
    }
}

/* This node's long-term key: the one in the config directory, unless
 * another lanmeet on this machine holds it (then a fresh one, and the
 * sentence to say so once in notice, empty otherwise). */
static int load_identity(lm_app *app, const char *where, char *notice,
                         size_t ncap, char *why, size_t cap)
{
    notice[0] = '\0';
    app->identity_lock = -1;
    if (lm_crypto_init() < 0) {
        snprintf(why, cap, "cannot initialise libsodium");
        return LM_EIO;
    }
    if (where && strcmp(where, "ephemeral") == 0) {
        lm_identity_generate(&app->identity);
        return 0;
    }
    char busy[256];
    int rc = lm_identity_lock(where, &app->identity_lock, busy, sizeof busy);
    if (rc == LM_EFULL) {
        snprintf(notice, ncap, "%s; using a temporary identity for this run",
                 busy);
        lm_identity_generate(&app->identity);
        return 0;
    }
    if (rc < 0) {
        snprintf(why, cap, "%s", busy);
        return rc;
    }
    return lm_identity_load(where, &app->identity, why, cap);
}

int lm_app_open(lm_app *app, const lm_app_config *cfg, char *why, size_t cap)
{
    memset(app, 0, sizeof *app);
    char notice[NOTICE_MAX];
    int err =
        load_identity(app, cfg->identity, notice, sizeof notice, why, cap);
    if (err < 0) {
        if (app->identity_lock >= 0)
            close(app->identity_lock);
        return err;
    }
    lm_node_config nc = cfg->node;
    nc.identity = &app->identity;
    app->node = lm_node_new(&nc, &err);
    if (!app->node) {
        if (app->identity_lock >= 0)
            close(app->identity_lock);
        if (err == LM_ENOMEM && nc.password)
            snprintf(why, cap, "not enough memory to stretch the password "
                     "(Argon2id needs 64 MiB)");
        else if (err == LM_EIO)
            snprintf(why, cap, "cannot open a UDP port for ENet%s",
                     cfg->node.port ? " (is the port taken? try --port 0)" : "");
        else
            snprintf(why, cap, "bad name or room: a name is 1-%d bytes of "
                     "UTF-8 that shows something, with no control or "
                     "direction-changing characters", LM_NAME_MAX);
        return err ? err : LM_EINVAL;
    }
    if (notice[0]) /* run by the net thread once it starts, after ready */
        tell(app, "temporary_identity", notice);
    /* the services every front end has: the room's election first, since
     * the others follow the roles it sets */
    if (!(app->room_svc = lm_room_attach(app->node, &err)) ||
        !(app->chat = lm_chat_attach(app->node, &err))) {
        snprintf(why, cap, "cannot set up the room: %s", lm_strerror(err));
        lm_app_close(app);
        return err;
    }
    if (!cfg->no_audio && open_audio(app, cfg, why, cap, &err) < 0) {
        lm_app_close(app);
        return err;
    }
    if (open_files(app, cfg, why, cap, &err) < 0) {
        lm_app_close(app);
        return err;
    }
    if (open_video(app, cfg, why, cap, &err) < 0) {
        lm_app_close(app);
        return err;
    }
    snprintf(app->name, sizeof app->name, "%s", cfg->node.name);
    snprintf(app->room, sizeof app->room, "%s",
             cfg->node.room ? cfg->node.room : "main");
    snprintf(app->role, sizeof app->role, "member");
    app->cb = (lm_disc_callbacks){on_found, on_lost, on_status, app};
    int n = 0;
    if (cfg->peers) {
        why[0] = '\0';
        app->why = why;
        app->why_cap = cap;
        app->disc[n] = lm_discovery_open(lm_discovery_find("static"),
                                         cfg->peers, &app->cb, &err);
        app->why = NULL;
        if (!app->disc[n]) {
            if (!why[0])
                snprintf(why, cap, "bad --peer list '%s'", cfg->peers);
            lm_app_close(app);
            return err ? err : LM_EINVAL;
        }
        n++;
    }
    if (cfg->mdns) {
        app->disc[n] =
            lm_discovery_open(lm_discovery_find("avahi"), NULL, &app->cb, &err);
        if (!app->disc[n]) {
            char msg[160];
            snprintf(msg, sizeof msg,
                     "mDNS discovery is off: %s; use --peer HOST[:PORT]",
                     lm_strerror(err));
            tell(app, "mdns_off", msg);
        }
    }
    publish(app);
    int rc = lm_node_start(app->node);
    if (rc < 0) {
        snprintf(why, cap, "cannot start the network thread");
        lm_app_close(app);
        return rc;
    }
    return 0;
}

void lm_app_on_event(lm_app *app, const lm_event *ev)
{
    const lm_ev_hub *hb = lm_ev_hub_of(ev);
    if (!hb)
        return;
    const char *role = lm_role_name(&hb->st, lm_node_id(app->node));
    if (strcmp(role, app->role) == 0 && hb->st.term == app->term)
        return;
    snprintf(app->role, sizeof app->role, "%s", role);
    app->term = hb->st.term;
    publish(app);
}

void lm_app_close(lm_app *app)
{
    for (int i = 0; i < 2; i++) {
        lm_discovery_close(app->disc[i]);
        app->disc[i] = NULL;
    }
    lm_node_free(app->node);
    app->node = NULL;
    lm_secure_wipe(&app->identity, sizeof app->identity);
    if (app->identity_lock >= 0)
        close(app->identity_lock);
    app->identity_lock = -1;
}
