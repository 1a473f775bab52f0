/* video_json.c - the video service's events for the headless front end
 * (video_json.h). Field names are the contract of DESIGN.md section 8:
 * video {id, on, w, h, fps}; frame {id, n, capture_us, shown_us, w, h,
 * healed, read}; video_stats {camera, w, h, frames, bad_frames, dropped,
 * peers: [{id, rx_fps, rx_kbps, loss_permille, late, healed, stale, decode_us,
 * delay_us, rx_w, rx_h, tx, tx_w, tx_h, tx_fps, tx_quality, tx_kbps,
 * tx_downs, tx_ups}]}. Rates are whole numbers (fps and kbit/s rounded). */
#include "video_json.h"

#include <inttypes.h>
#include <stdio.h>

#include "video/video.h"

static void json_id(lm_json *j, const char *key, uint64_t id)
{
    char b[LM_ID_STR];
    lm_id_format(id, b);
    lm_json_str(j, key, b);
}

static uint64_t whole(double x)
{
    return x > 0 ? (uint64_t)(x + 0.5) : 0;
}

const char *lm_video_event_name(lm_event_type t)
{
    switch (t) {
    case LM_EV_VIDEO: return "video";
    case LM_EV_VIDEO_FRAME: return "frame";
    case LM_EV_VIDEO_STATS: return "video_stats";
    default: return NULL;
    }
}

static void peer_json(lm_json *j, const lm_video_peer_stats *p)
{
    lm_json_open(j, NULL, '{');
    json_id(j, "id", p->id);
    lm_json_uint(j, "rx_fps", whole(p->rx_fps));
    lm_json_uint(j, "rx_kbps", whole(p->rx_kbps));
    lm_json_uint(j, "loss_permille", p->loss_pm);
    lm_json_uint(j, "late", p->late);
    lm_json_uint(j, "healed", p->healed);
    lm_json_uint(j, "stale", p->stale);
    lm_json_uint(j, "decode_us", p->decode_us);
    lm_json_uint(j, "delay_us", p->delay_us);
    lm_json_uint(j, "rx_w", p->rx_w);
    lm_json_uint(j, "rx_h", p->rx_h);
    lm_json_bool(j, "tx", p->tx_on);
    lm_json_uint(j, "tx_w", p->tx_w);
    lm_json_uint(j, "tx_h", p->tx_h);
    lm_json_uint(j, "tx_fps", p->tx_fps);
    lm_json_uint(j, "tx_quality", p->tx_quality);
    lm_json_uint(j, "tx_kbps", whole(p->tx_kbps));
    lm_json_uint(j, "tx_downs", p->tx_downs);
    lm_json_uint(j, "tx_ups", p->tx_ups);
    lm_json_close(j, '}');
}

bool lm_video_event_json(lm_json *j, const lm_event *ev)
{
    const lm_ev_video *vd = lm_ev_video_of(ev);
    const lm_ev_video_frame *fr = lm_ev_video_frame_of(ev);
    const lm_ev_video_stats *st = lm_ev_video_stats_of(ev);
    if (vd) {
        json_id(j, "id", vd->id);
        lm_json_bool(j, "on", vd->on);
        lm_json_uint(j, "w", vd->width);
        lm_json_uint(j, "h", vd->height);
        lm_json_uint(j, "fps", vd->fps);
    } else if (fr) {
        json_id(j, "id", fr->id);
        lm_json_bool(j, "read", fr->read);
        lm_json_uint(j, "n", fr->n);
        lm_json_int(j, "capture_us", fr->capture_us);
        lm_json_int(j, "shown_us", fr->shown_us);
        lm_json_uint(j, "w", fr->width);
        lm_json_uint(j, "h", fr->height);
        lm_json_uint(j, "healed", fr->healed);
    } else if (st) {
        lm_json_bool(j, "camera", st->camera);
        lm_json_uint(j, "w", st->width);
        lm_json_uint(j, "h", st->height);
        lm_json_uint(j, "frames", st->frames);
        lm_json_uint(j, "bad_frames", st->bad_frames);
        lm_json_uint(j, "dropped", st->dropped);
        lm_json_open(j, "peers", '[');
        for (size_t i = 0; i < st->npeers; i++)
            peer_json(j, &st->peers[i]);
        lm_json_close(j, ']');
    } else {
        return false;
    }
    return true;
}

bool lm_video_event_text(const lm_event *ev)
{
    char id[LM_ID_STR];
    const lm_ev_video *vd = lm_ev_video_of(ev);
    const lm_ev_video_stats *st = lm_ev_video_stats_of(ev);
    if (vd) {
        lm_id_format(vd->id, id);
        if (vd->on)
            printf("* camera of %s on: %ux%u at %u fps\n", id, vd->width,
                   vd->height, vd->fps);
        else
            printf("* camera of %s off\n", id);
    } else if (st) {
        printf("* video: camera %s, %" PRIu64 " frames captured\n",
               st->camera ? "on" : "off", st->frames);
        for (size_t i = 0; i < st->npeers; i++) {
            const lm_video_peer_stats *p = &st->peers[i];
            lm_id_format(p->id, id);
            printf("  %s  in %ux%u %.1f fps %.0f kbit/s, loss %.1f %%, "
                   "decode %.2f ms; out %ux%u %u fps q%u %.0f kbit/s\n", id,
                   p->rx_w, p->rx_h, p->rx_fps, p->rx_kbps,
                   p->loss_pm / 10.0, p->decode_us / 1000.0, p->tx_w, p->tx_h,
                   p->tx_fps, p->tx_quality, p->tx_kbps);
        }
    } else {
        return ev->type == LM_EV_VIDEO_FRAME;
    }
    return true;
}
