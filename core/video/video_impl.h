/* video_impl.h - the video service's own state, shared by its files only:
 * video.c (the net thread: packets, members, viewers' sizes and
 * adaptation, commands), video_send.c (the capture thread: camera,
 * scaling, band encoding) and video_recv.c (the decode thread:
 * reassembly, decoding, the pattern read back, reports, recording).
 * Which thread owns which field is said at each. */
#ifndef LM_VIDEO_IMPL_H
#define LM_VIDEO_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "ring.h"
#include "video.h"
#include "video/adapt.h"
#include "video/band.h"
#include "video/reasm.h"
#include "video/video_wire.h"

#define SLOTS LM_MAX_PEERS /* 64: slot 0 is this node, never a peer */
#define SIZES_MAX 4        /* distinct sizes encoded per frame */
#define TX_ITEMS 1024      /* bands waiting for the net thread: ~2 frames
                              at 1080p, dozens at tile size */
#define RX_ITEMS 1024      /* bands waiting for the decode thread: 9
                              streams of ~7 bands a frame, 10+ frames */
#define OUT_ITEMS 1024
#define REPORT_US 1000000  /* a viewer reports once a second */
/* An incomplete frame is shown this long after its first band: a sender
 * sends a frame's bands in one burst, so what has not come by then is
 * lost. The wait follows each sender: twice the mean spread of its
 * complete frames' bands plus REASM_WAIT_PAD_US, between the bounds. At
 * a fixed 20 ms, 10 % loss took the delay p50
 * from 2 to 21 ms (tests/sim/video.py), and on a 2 Mbit/s link a frame's
 * few packets from three senders take ~30 ms to come, so a fixed 8 ms
 * made most bands late there. */
#define REASM_WAIT_US 8000     /* to start with */
#define REASM_WAIT_MIN_US 8000 /* at 4 ms, a node on two loaded cores
                                  showed a frame healed now and then with
                                  no loss at all, and its viewer's quality
                                  never came back after a loss */
#define REASM_WAIT_MAX_US 40000
#define REASM_WAIT_PAD_US 3000

/* One size the capture thread encodes each frame. */
typedef struct vsize {
    uint16_t w, h;
    uint8_t quality;
} vsize;

/* A sender's camera as its STATE said. */
typedef struct vstate {
    bool on;
    uint16_t w, h;
    uint8_t fps;
} vstate;

enum {
    /* capture thread -> net thread (tx) */
    TX_BAND = 1,  /* an encoded BAND message, for the viewers of its size */
    TX_STARTED,   /* the camera gives w x h at fps */
    TX_STOPPED,   /* the camera is gone */
    TX_PAUSED,    /* the user turned the camera off */
    /* net thread -> decode thread (rx) */
    RX_BAND,
    RX_JOINED,
    RX_LEFT,
    /* decode thread -> net thread (out) */
    OUT_FRAME,    /* a frame shown, with its pattern read back */
    OUT_REPORT,   /* a REPORT for slot's sender */
};

typedef struct tx_item {
    uint8_t kind;
    vsize size;         /* TX_BAND: the size it was coded at */
    uint16_t w, h;      /* TX_STARTED */
    uint8_t fps;
    uint16_t index;     /* TX_BAND: band index in its frame */
    uint32_t frame;
    int64_t capture_us;
    uint16_t len;
    uint8_t bytes[LM_VIDEO_WIRE_MAX];
} tx_item;

typedef struct rx_item {
    uint8_t kind;
    uint8_t slot;
    uint64_t id;        /* RX_JOINED: the sender */
    int64_t arrival_us;
    lm_video_band_msg band; /* RX_BAND */
} rx_item;

typedef struct out_item {
    uint8_t kind;
    uint8_t slot;
    lm_ev_video_frame frame; /* OUT_FRAME: the payload, h unused */
    uint8_t len;             /* OUT_REPORT: the encoded message */
    uint8_t bytes[48];
} out_item;

/* What the decode thread says of one sender, for the stats answer:
 * written under stats_lock once a second. */
typedef struct rx_snap {
    double fps, kbps;
    unsigned loss_pm;
    uint64_t late, healed, stale;
    uint32_t decode_us, delay_us;
    uint16_t w, h;
} rx_snap;

/* The net thread's view of one peer as a viewer of our camera. */
typedef struct viewer {
    bool asked;        /* it sent an ASK with a size */
    bool tile;         /* ... of a tile: a lower quality cap (video.c) */
    lm_adapt ad;
    vsize enc;         /* what it gets now: one of the sizes encoded */
    uint8_t fps;
    int64_t next_us;   /* rate: the next frame it gets, by capture time */
    uint32_t frame;    /* the frame being sent */
    bool sending;      /* this frame goes to it */
    bool sent_any;
    uint32_t last_sent; /* the last frame it got */
    uint8_t skip;      /* frames left out before this one (its rate) */
    uint32_t sent_frames; /* since its last report */
    uint64_t tx_bytes, tx_bytes_mark;
    int64_t tx_mark_us;
    double tx_kbps;
} viewer;

/* One sender as the decode thread sees it. */
typedef struct stream {
    bool live;
    lm_reasm ra;
    lm_image canvas;   /* the frame, at the decoded size */
    unsigned div;      /* decode scale: 1, 2, 4 or 8 */
    uint16_t fw, fh;   /* the frame size the sender codes */
    int64_t capture_us; /* the current frame's, from its bands */
    int64_t decode_acc; /* µs spent decoding the current frame */
    int64_t min_transit; /* lowest arrival - capture seen (queueing) */
    int64_t transit_acc; /* sum over the period of arrival - capture */
    uint32_t transit_n;
    /* over the current report period */
    int64_t period_us;
    uint32_t frames, decode_sum, delay_n;
    int64_t delay_sum;
    lm_reasm_stats mark; /* reasm's counts at the period's start */
    void *rec;           /* the recording, or NULL (video_rec.c) */
    uint64_t stale;      /* bands skipped: a newer frame had come */
    uint32_t cur_frame;  /* the frame whose first band came at cur_first */
    int64_t cur_first;
    int64_t spread_us;   /* mean first-to-last band of complete frames */
    bool skip_seen;      /* a band of skip_frame came: its skip is counted */
    uint32_t skip_frame;
    uint64_t planned, planned_mark; /* bands of frames the sender left out
                                       on purpose (its rate for us) */
} stream;

struct lm_video {
    lm_node *n;
    lm_video_config cfg;
    uint16_t view_w, view_h;
    uint8_t view_fps;
    lm_ring *tx, *rx, *out;
    int rx_fd; /* eventfd: the decode thread's wake */

    /* net thread */
    uint64_t slot_id[SLOTS];
    viewer view[SLOTS];
    uint64_t rx_bytes[SLOTS], rx_bytes_mark[SLOTS];
    int64_t rx_mark_us;
    double rx_kbps[SLOTS];
    vstate told[SLOTS]; /* each sender's last STATE, told as an event */
    bool cam_on;       /* told the room so */
    uint16_t cam_w, cam_h;
    uint8_t cam_fps;
    unsigned long dropped; /* ring items that found no room */
    int64_t next_rate_us;

    /* the sizes to encode: net thread writes, capture thread reads */
    pthread_mutex_t want_lock;
    vsize want[SIZES_MAX];
    unsigned nwant;

    /* decode thread writes, net thread reads */
    pthread_mutex_t stats_lock;
    rx_snap snap[SLOTS];

    /* both threads */
    pthread_t cap_thread, dec_thread;
    bool cap_started, dec_started;
    atomic_bool stop;
    atomic_bool cam_paused; /* lm_video_camera(v, false) */
    /* the frame of the last band the net thread took from each sender:
     * the decode thread skips bands of older frames it is behind on */
    atomic_uint_least32_t newest[SLOTS];
    atomic_ulong frames, bad_frames, tx_dropped;

    /* decode thread */
    stream st[SLOTS];
    lm_band_dec *dec;
};

/* video_send.c */
void *video_capture_main(void *arg);
/* The largest even size inside bw x bh with the camera's (cw x ch) shape,
 * never larger than the camera, at least 16x16: what a viewer's box
 * gets. Pure. */
void video_fit(unsigned cw, unsigned ch, unsigned bw, unsigned bh,
               uint16_t *w, uint16_t *h);
/* video_recv.c */
void *video_decode_main(void *arg);
void video_stream_reset(lm_video *v, stream *s);
/* video_rec.c */
void *video_rec_open(const char *dir, uint64_t id);
void video_rec_frame(void *rec, const lm_image *img, uint32_t frame,
                     int64_t now_us);
void video_rec_close(void *rec);
/* video.c: the net thread sends what is ready now (any thread) */
void video_wake_net(lm_video *v);

#endif
