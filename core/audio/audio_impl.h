/* audio_impl.h - the audio service's own state, shared by its two files
 * only: audio.c (the net thread's side: packets, members, commands) and
 * audio_thread.c (the audio thread: devices, codec, mixing, playback).
 * Which thread owns which field is said at each. */
#ifndef LM_AUDIO_IMPL_H
#define LM_AUDIO_IMPL_H

#include <opus/opus.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "audio.h"
#include "audio/audio_wire.h"
#include "audio/dsp.h"
#include "audio/jitter.h"
#include "audio/mix.h"
#include "ring.h"

#define SLOTS LM_MIX_MAX_MEMBERS /* 64: slot 0 is this node */
#define RING_ITEMS 256
#define JITTER_FRAMES 64

#define MAX_SAMPLES 480 /* 10 ms at 48 kHz */
#define BITRATE 48000
#define SPEAK_DBFS (-50.0)     /* a frame this loud is mixed */
#define SPEAK_HANG_US 300000   /* mixing and speaking end after this much
                                  quiet */
#define IDLE_AFTER_US 1000000  /* a hub with no devices rests after this */

enum {
    /* net thread -> audio thread */
    IN_FRAME = 1, /* hub: a member's frame (slot, seq, data) */
    IN_MIX,       /* member: what the hub sent us */
    IN_JOINED,    /* slot taken */
    IN_LEFT,      /* slot freed */
    IN_ROLES,     /* hub: whether this node is hub now */
    /* audio thread -> net thread */
    OUT_FRAME,    /* our captured frame, for the hub */
    OUT_MIX,      /* hub: a mix or a forwarded frame for the listeners in mask */
    OUT_SPEAKING, /* hub: slot started or stopped speaking */
    OUT_STARTED,  /* the first frame: start_us in capture_us */
};

typedef struct item {
    uint8_t kind;
    uint8_t slot;  /* IN_FRAME, IN_JOINED, IN_LEFT, OUT_SPEAKING; OUT_MIX:
                      the slot forwarded, or 0 for a mix */
    bool on;       /* IN_ROLES: we are hub; OUT_SPEAKING */
    uint8_t flags; /* LM_AUDIO_* */
    uint64_t mask; /* OUT_MIX: the listeners */
    uint32_t seq;
    int64_t capture_us;
    int64_t arrival_us; /* IN_FRAME, IN_MIX: when the net thread got it */
    uint16_t len, red_len;
    uint8_t data[LM_AUDIO_FRAME_MAX];
    uint8_t red[LM_AUDIO_FRAME_MAX]; /* the previous frame again, if any */
} item;

/* The hub's view of one member's stream. */
typedef struct stream {
    lm_jitter *jit;
    OpusDecoder *dec;
    bool live;         /* the slot is a member */
    bool had;          /* a frame came out of the buffer since it joined */
    int64_t voice_us;  /* last frame loud enough to be mixed */
    int64_t vad_us;    /* last frame its sender marked voice */
    bool speaking;
    item fwd; /* this tick's packet as it came, to forward (len 0: none) */
    /* the listeners the last tick forwarded this stream to (0: it was not
     * forwarded), and what turns its seq into the forwarded stream's: a
     * packet late for our buffer goes on to theirs as it comes */
    uint64_t fwd_mask;
    uint32_t fwd_off;
    int16_t pcm[MAX_SAMPLES];
} stream;

typedef struct enc_slot {
    OpusEncoder *enc;
    uint8_t prev[LM_AUDIO_FRAME_MAX];
    uint16_t prev_len;
} enc_slot;

struct lm_audio {
    lm_node *n;
    lm_audio_config cfg;
    size_t samples; /* per frame */
    lm_ring *rx, *tx;

    /* net thread */
    uint64_t slot_id[SLOTS]; /* 0: free; slot 0 is ours */
    bool told_muted;         /* what the room was told */
    uint64_t speaking;       /* hub: the slots speaking now, told again to
                                a member that joins while they speak */
    unsigned long dropped;   /* ring items that found no room */

    /* both threads: the audio thread's last snapshot of its buffers,
     * under stats_lock (slot i's, hub only, while snap_has bit i) */
    pthread_mutex_t stats_lock;
    bool snap_hub, snap_playing;
    lm_jitter_stats snap_play;
    lm_jitter_stats snap[SLOTS];
    uint64_t snap_has;
    int64_t snap_us; /* audio thread: when it was taken */

    pthread_t thread;
    bool started;
    atomic_bool stop, muted, ptt_open;

    /* audio thread */
    bool hub;
    uint64_t members; /* slots taken, ours included */
    stream st[SLOTS];
    lm_dsp *dsp;            /* our microphone's chain (NULL: no mic) */
    /* what the speaker got last tick: the echo's reference (played_any
     * false: nothing yet, or the speaker is gone) */
    int16_t played[MAX_SAMPLES];
    bool played_any;
    OpusEncoder *enc;       /* our microphone */
    uint8_t prev[LM_AUDIO_FRAME_MAX]; /* its previous packet */
    uint16_t prev_len;
    /* hub: a group's encoder and its previous packet: [0] the mix of
     * everyone speaking, [s] everyone but slot s (made when first needed) */
    enc_slot genc[SLOTS];
    OpusDecoder *play_dec;  /* member: the hub's stream to us */
    lm_jitter *play;        /* member: the hub's stream to us */
    bool play_had;          /* a frame of it has played */
    lm_mix *mix;
    uint32_t seq, hub_seq;
    int64_t heard_us; /* hub: the last member frame that came */
    bool dev_failed;
};

/* audio_thread.c */
void *audio_main(void *arg); /* the audio thread */
OpusEncoder *audio_new_encoder(void);
OpusDecoder *audio_new_decoder(void);
void audio_close_io(lm_audio_io *io); /* NULL-safe, once */

/* audio.c: the net thread sends what is ready now (any thread) */
void audio_wake_net(lm_audio *a);

#endif
