/* video.h - the room's video, a service on the mesh.
 *
 * Every member with a camera sends it straight to each peer that asks
 * (the mesh, not through the hub): each frame is cut into bands that fit
 * one datagram and decode alone (band.h), sent unreliable. A viewer tells
 * each sender the size it shows it at (ASK, video_wire.h) and how the
 * stream fares (REPORT, once a second); the sender encodes each distinct
 * size once per frame and keeps, per viewer, a controller (adapt.h) that
 * lowers quality, then rate, then size for that viewer alone.
 *
 * Threads: the service ops run on the net thread and never touch a codec.
 * The capture thread ("video-cap") reads the camera, scales and encodes;
 * the decode thread ("video-dec") reassembles each sender's frames
 * (reasm.h), decodes them at the size shown and reads the test pattern
 * back when asked. They meet the net thread through lock-free rings
 * (ring.h) and one small lock-held table of the sizes to encode.
 *
 * Attach it before lm_node_start; the node frees it. The commands are
 * thread-safe and answered by events. */
#ifndef LM_VIDEO_H
#define LM_VIDEO_H

#include <stdbool.h>
#include <stdint.h>

#include "mesh/mesh.h"
#include "video/video_source.h"
#include "video/video_wire.h"

typedef struct lm_video lm_video;

#define LM_VIDEO_VIEW_W 320 /* a tile in a grid of 9 */
#define LM_VIDEO_VIEW_H 180
#define LM_VIDEO_VIEW_FPS 30

typedef struct lm_video_config {
    lm_video_source camera; /* ops NULL: none (this node only watches) */
    /* the size this node shows every sender at (0: LM_VIDEO_VIEW_W x H;
     * a size larger than a sender's camera gets the camera's own) */
    uint16_t view_w, view_h;
    uint8_t view_fps; /* 0: LM_VIDEO_VIEW_FPS */
    bool no_view;     /* watch nobody: every sender is asked for nothing */
    /* a droppable `frame` event per frame shown, with the pattern's
     * counter and capture time read from its pixels (the harness) */
    bool frame_events;
    /* NULL, or a directory: one MJPEG file per sender with an index of
     * frame numbers and receive times (video_rec.c) */
    const char *record_dir;
} lm_video_config;

/* Takes over the camera (closed by the service, also on failure).
 * Returns NULL with *err set (LM_ENOMEM, LM_EIO, lm_mesh_attach's code). */
lm_video *lm_video_attach(lm_node *n, const lm_video_config *cfg, int *err);

/* Answered by a video_stats event. 0, LM_EFULL (post again once
 * lm_node_cmd_fd is readable) or LM_ENOMEM. */
int lm_video_stats(lm_video *v);

/* Turns this node's camera off (nothing is captured, coded or sent; the
 * room gets video {on: false}) or on again (video {on: true} with the
 * first frame). Thread-safe. 0, or LM_ENOTFOUND when this node has no
 * camera. The device itself stays open while off. */
int lm_video_camera(lm_video *v, bool on);

/* ---- events ---------------------------------------------------------------- */

typedef struct lm_ev_video { /* LM_EV_VIDEO: a sender's camera state */
    lm_event h;
    uint64_t id;
    bool on;
    uint16_t width, height; /* "w", "h" in JSON (the header is h) */
    uint8_t fps;
} lm_ev_video;

typedef struct lm_ev_video_frame { /* LM_EV_VIDEO_FRAME (frame_events) */
    lm_event h;
    uint64_t id;       /* the sender */
    bool read;         /* the pattern read back: n and capture_us hold */
    uint32_t n;        /* the pattern's frame counter */
    int64_t capture_us; /* the pattern's capture time (CLOCK_MONOTONIC) */
    int64_t shown_us;  /* when the frame was decoded here (same clock) */
    uint16_t width, height; /* the picture decoded */
    unsigned healed;   /* bands of it that came from the frame before */
} lm_ev_video_frame;

typedef struct lm_video_peer_stats {
    uint64_t id;
    /* what this node receives from it, over the last second */
    double rx_fps;
    double rx_kbps;
    unsigned loss_pm;    /* bands lost, per mille */
    uint64_t late;       /* bands dropped as late, in all */
    uint64_t healed;     /* bands shown from the frame before, in all */
    uint64_t stale;      /* bands not decoded because a newer frame had
                            come (this node fell behind), in all */
    uint32_t decode_us;  /* mean decode time of one frame */
    uint32_t delay_us;   /* mean capture-to-decoded (the sender's clock:
                            meaningful on one machine only) */
    uint16_t rx_w, rx_h;
    /* what this node sends it now (adaptation's target) */
    bool tx_on;
    uint16_t tx_w, tx_h;
    uint8_t tx_fps, tx_quality;
    double tx_kbps;
    uint64_t tx_downs, tx_ups; /* adaptation's steps */
} lm_video_peer_stats;

typedef struct lm_ev_video_stats { /* LM_EV_VIDEO_STATS */
    lm_event h;
    bool camera;            /* this node sends */
    uint16_t width, height; /* its camera's picture */
    uint64_t frames;        /* captured */
    uint64_t bad_frames;    /* camera frames that did not decode */
    uint64_t dropped;       /* bands that found a ring full */
    size_t npeers;
    lm_video_peer_stats *peers; /* owned by the event */
} lm_ev_video_stats;

LM_EV_ACCESSOR(lm_ev_video, LM_EV_VIDEO)
LM_EV_ACCESSOR(lm_ev_video_frame, LM_EV_VIDEO_FRAME)
LM_EV_ACCESSOR(lm_ev_video_stats, LM_EV_VIDEO_STATS)

#endif
