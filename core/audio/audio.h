/* audio.h - the room's audio, a service on the mesh.
 *
 * Every member sends its microphone, as Opus frames, to the hub; the hub
 * mixes for each member everyone but that member (mix-minus: core/audio/
 * mix.h) and sends it back; each member plays what it gets through a
 * jitter buffer (jitter.h). A lone speaker's frames are forwarded
 * unchanged, and the hub's buffer for them is lean: the listeners'
 * buffers absorb that stream's jitter, once, and a packet late for the
 * hub goes on to them as it comes. The codec work runs on the service's
 * own thread, never on the net thread; the two talk through lock-free
 * rings.
 *
 * The microphone goes through the capture chain (dsp.h) before Opus. A
 * capture device (its ops are `paced`) gets all of it: echo cancellation
 * against what this node's speaker played (when it has one, unless
 * no_aec), noise suppression and gain control; a WAV file or a synthetic
 * source is sent as it is, since it hears no room. Either way the chain's
 * voice activity marks the frames that hold voice, and the hub tells who
 * speaks from those marks.
 *
 * Attach it before lm_node_start, after the room service; the node frees
 * it. The commands are thread-safe and answered by events. */
#ifndef LM_AUDIO_H
#define LM_AUDIO_H

#include <stdbool.h>

#include "audio/audio_io.h"
#include "audio/jitter.h"
#include "mesh/mesh.h"

typedef struct lm_audio lm_audio;

typedef struct lm_audio_config {
    unsigned frame_us; /* 2500, 5000 or 10000 */
    lm_audio_io mic;     /* ops NULL: none (this node only listens) */
    lm_audio_io speaker; /* ops NULL: none (this node only talks) */
    bool ptt;            /* the microphone opens only between ptt on/off */
    bool no_aec;         /* --aec off: no echo cancellation */
} lm_audio_config;

#define LM_AUDIO_FRAME_DEFAULT_US 2500 /* measured best: README */

/* Takes over the devices (closed by the service, also on failure).
 * Returns NULL with *err set (LM_EINVAL for a bad frame size, LM_ENOMEM,
 * or lm_mesh_attach's code). */
lm_audio *lm_audio_attach(lm_node *n, const lm_audio_config *cfg, int *err);

/* Each returns 0, LM_EFULL (post again once lm_node_cmd_fd is readable)
 * or LM_ENOMEM. Mute takes effect at once, not after a buffer drains. */
int lm_audio_mute(lm_audio *a, bool mute);
int lm_audio_ptt(lm_audio *a, bool on);

/* Posts an LM_EV_AUDIO_STATS event: the figures of the jitter buffers,
 * as of the audio thread's last snapshot (at most 250 ms old). Returns as
 * lm_audio_mute. */
int lm_audio_stats(lm_audio *a);

/* Events of the audio service. */
typedef struct lm_ev_speaking { /* LM_EV_SPEAKING: from the hub's voice activity */
    lm_event h;
    uint64_t id;
    bool on;
} lm_ev_speaking;

typedef struct lm_ev_muted { /* LM_EV_MUTED */
    lm_event h;
    uint64_t id;
    bool muted;
} lm_ev_muted;

typedef struct lm_ev_audio { /* LM_EV_AUDIO: the devices are running */
    lm_event h;
    unsigned frame_us;
    bool mic, speaker;
    /* CLOCK_MONOTONIC, µs, of the first sample captured and of the first
     * written to the speaker: a harness on this machine lines signals up
     * with it */
    int64_t start_us;
} lm_ev_audio;

typedef struct lm_audio_stream_stats {
    uint64_t id;        /* the member whose stream the hub buffers */
    lm_jitter_stats jit;
} lm_audio_stream_stats;

typedef struct lm_ev_audio_stats { /* LM_EV_AUDIO_STATS */
    lm_event h;
    unsigned frame_us;
    bool hub;          /* this node mixes */
    bool playing;      /* play holds the buffer of what the hub sends us */
    lm_jitter_stats play;
    size_t nstreams;   /* hub: one buffer per member that sends */
    lm_audio_stream_stats *streams;
} lm_ev_audio_stats;

LM_EV_ACCESSOR(lm_ev_speaking, LM_EV_SPEAKING)
LM_EV_ACCESSOR(lm_ev_audio_stats, LM_EV_AUDIO_STATS)
LM_EV_ACCESSOR(lm_ev_muted, LM_EV_MUTED)
LM_EV_ACCESSOR(lm_ev_audio, LM_EV_AUDIO)

#endif
