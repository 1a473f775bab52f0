/* audio_json.c - the audio service's events for the headless front end
 * (audio_json.h). Field names are the contract of DESIGN.md section 8:
 * speaking {id, on}; muted {id, muted}; audio {frame_us, mic, speaker,
 * start_us}; audio_stats {frame_us, hub, play: BUF, streams: [{id, BUF}]}
 * where BUF is {frames, lost, late, duplicate, underruns, stretched,
 * dropped, overflow, resets, depth, delay_us, target_us, jitter_us}: play
 * is the buffer of what this member hears (absent on the hub), streams the
 * hub's buffer of each member that sends. */
#include "audio_json.h"

#include <inttypes.h>
#include <stdio.h>

#include "audio/audio.h"

const char *lm_audio_event_name(lm_event_type t)
{
    switch (t) {
    case LM_EV_SPEAKING: return "speaking";
    case LM_EV_MUTED: return "muted";
    case LM_EV_AUDIO: return "audio";
    case LM_EV_AUDIO_STATS: return "audio_stats";
    default: return NULL;
    }
}

static void buffer_json(lm_json *j, const lm_jitter_stats *b)
{
    lm_json_uint(j, "frames", b->frames);
    lm_json_uint(j, "lost", b->lost);
    lm_json_uint(j, "late", b->late);
    lm_json_uint(j, "duplicate", b->duplicate);
    lm_json_uint(j, "underruns", b->underruns);
    lm_json_uint(j, "stretched", b->stretched);
    lm_json_uint(j, "dropped", b->dropped);
    lm_json_uint(j, "overflow", b->overflow);
    lm_json_uint(j, "resets", b->resets);
    lm_json_uint(j, "depth", b->depth);
    lm_json_int(j, "delay_us", b->delay_us);
    lm_json_int(j, "target_us", b->target_us);
    lm_json_int(j, "jitter_us", b->jitter_us);
}

bool lm_audio_event_json(lm_json *j, const lm_event *ev)
{
    const lm_ev_speaking *sp = lm_ev_speaking_of(ev);
    const lm_ev_muted *mu = lm_ev_muted_of(ev);
    const lm_ev_audio *au = lm_ev_audio_of(ev);
    const lm_ev_audio_stats *st = lm_ev_audio_stats_of(ev);
    if (sp) {
        lm_json_id(j, "id", sp->id);
        lm_json_bool(j, "on", sp->on);
    } else if (mu) {
        lm_json_id(j, "id", mu->id);
        lm_json_bool(j, "muted", mu->muted);
    } else if (au) {
        lm_json_uint(j, "frame_us", au->frame_us);
        lm_json_bool(j, "mic", au->mic);
        lm_json_bool(j, "speaker", au->speaker);
        lm_json_int(j, "start_us", au->start_us);
    } else if (st) {
        lm_json_uint(j, "frame_us", st->frame_us);
        lm_json_bool(j, "hub", st->hub);
        if (st->playing) {
            lm_json_open(j, "play", '{');
            buffer_json(j, &st->play);
            lm_json_close(j, '}');
        }
        lm_json_open(j, "streams", '[');
        for (size_t i = 0; i < st->nstreams; i++) {
            lm_json_open(j, NULL, '{');
            lm_json_id(j, "id", st->streams[i].id);
            buffer_json(j, &st->streams[i].jit);
            lm_json_close(j, '}');
        }
        lm_json_close(j, ']');
    } else {
        return false;
    }
    return true;
}

static void buffer_line(const char *who, const lm_jitter_stats *b)
{
    printf("  %-18s %" PRIu64 " frames, %" PRIu64 " lost, %" PRIu64
           " late, %" PRIu64 " underruns; delay %.1f ms (aim %.1f, "
           "jitter %.1f)\n", who, b->frames, b->lost, b->late, b->underruns,
           b->delay_us / 1000.0, b->target_us / 1000.0,
           b->jitter_us / 1000.0);
}

bool lm_audio_event_text(const lm_event *ev)
{
    const lm_ev_audio_stats *st = lm_ev_audio_stats_of(ev);
    if (!st)
        return lm_audio_event_name(ev->type) != NULL;
    printf("* audio: %.1f ms frames, %s\n", st->frame_us / 1000.0,
           st->hub ? "mixing for the room" : "a member");
    if (st->playing)
        buffer_line("from the hub", &st->play);
    for (size_t i = 0; i < st->nstreams; i++) {
        char id[LM_ID_STR];
        lm_id_format(st->streams[i].id, id);
        buffer_line(id, &st->streams[i].jit);
    }
    return true;
}
