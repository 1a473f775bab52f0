/* main.c - lanmeet's command line: options, --help, --version, and the
 * choice of front end. The window is not built yet, so every run uses the
 * headless front end (JSON lines for programs, text for people). */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "dev/audiodev.h"
#include "dev/camera.h"
#include "video/video_wire.h"
#include "err.h"
#include "headless.h"

#define MAX_PEER_LIST 4096

static void usage(FILE *f)
{
    fputs(
"Usage: lanmeet [OPTION]...\n"
"Meet on a local network with no server and no address to type: start\n"
"lanmeet on each machine and everyone is in one room. Nodes find each other\n"
"with mDNS (avahi-daemon), link in a mesh and elect a hub that orders the\n"
"group chat and mixes the audio. This version has the room, its chat,\n"
"audio, video and files; screen sharing and the window are not built yet.\n"
"\n"
"Options:\n"
"  -n, --name NAME        display name (default: $USER@hostname)\n"
"  -r, --room ROOM        room to join (default: main); nodes in other rooms\n"
"                         are ignored\n"
"      --host             make this node the hub (of two, the smaller id wins)\n"
"  -p, --peer HOST[:PORT] also join the node at HOST without mDNS (default\n"
"                         port 47400); repeatable\n"
"      --port N           UDP port to listen on (default 47400, or the next\n"
"                         free one; 0 picks any free port)\n"
"      --bind ADDR        IPv4 address to listen on (default: all)\n"
"      --no-mdns          do not publish or browse with Avahi\n"
"      --headless         no window: commands on stdin, events on stdout\n"
"      --events FORMAT    json (one object per line) or text (default)\n"
"      --password PASS    make the room private: only nodes with the same\n"
"                         password join, see or read it. Better: set\n"
"                         LANMEET_PASSWORD (not visible to other users)\n"
"      --identity DIR     keep this node's key in DIR (default\n"
"                         $XDG_CONFIG_HOME/lanmeet or ~/.config/lanmeet);\n"
"                         'ephemeral' makes a new one each run\n"
"      --mic NAME|INDEX   the microphone to use: a piece of its name or its\n"
"                         index in --list-devices ('none': no microphone).\n"
"                         Default: the system's default microphone, when\n"
"                         no file or synthetic device is named\n"
"      --speaker NAME|INDEX  the speaker to use, likewise. Where a sound\n"
"                         server runs (PulseAudio, PipeWire) lanmeet speaks\n"
"                         to it directly; pulse:NAME names one of its\n"
"                         devices, portaudio:NAME a PortAudio device\n"
"      --list-devices     list the microphones and speakers and exit\n"
"      --mic-file F.wav   play F (any common rate, mono or stereo; looped)\n"
"                         as this node's microphone\n"
"      --mic-synth SPEC   a synthetic microphone: silence, tone:HZ[:AMP] or\n"
"                         impulse:PERIOD_MS[:PHASE_MS[:AMP]]\n"
"      --speaker-file F.wav  write what this node hears to F (48 kHz mono\n"
"                         16-bit; valid even if the node is killed)\n"
"      --audio-frame MS   2.5, 5 or 10 ms frames (default 2.5)\n"
"      --ptt              push-to-talk: the microphone is open only between\n"
"                         'ptt on' and 'ptt off'\n"
"      --aec on|off       cancel the echo of what the speaker plays from a\n"
"                         sound card's microphone (default on; a --mic-file\n"
"                         or --mic-synth source is sent as it is)\n"
"      --no-audio         no audio at all\n"
"      --store-dir DIR    where files shared through this node are kept, by\n"
"                         SHA-256 (default $XDG_DATA_HOME/lanmeet/store or\n"
"                         ~/.local/share/lanmeet/store)\n"
"      --store-max SIZE   the store's cap, per file and in total, in bytes\n"
"                         or with K, M, G, T (default 4G)\n"
"      --download-dir DIR where downloads are saved (default\n"
"                         $XDG_DOWNLOAD_DIR or ~/Downloads)\n"
"      --camera SPEC      the camera: /dev/videoN (V4L2) or pattern (a test\n"
"                         pattern with a frame counter and capture time)\n"
"                         Default: /dev/video0 if it opens, else none\n"
"      --camera-file F.mjpeg  play F (concatenated JPEGs, looped, 30 fps;\n"
"                         F.mjpeg@FPS for another rate) as the camera\n"
"      --no-camera        send no video (still watch the others)\n"
"      --view-size WxH    the size this node shows each camera at (default\n"
"                         320x180, a tile of a grid of 9; full with --record);\n"
"                         none: watch nobody\n"
"      --record DIR       save each peer's video in DIR: ID.mjpeg and\n"
"                         ID.index (frame, receive time, offset, length)\n"
"      --test-faults      accept the test_* commands (for the test harness)\n"
"      --test-room-cap N  with --test-faults: a room holds N nodes, not 64\n"
"      --test-event-cap N with --test-faults: N events queue for this front\n"
"                         end before they wait inside the node\n"
"      --verbose          log what the node does on stderr (always on with\n"
"                         --events json)\n"
"  -h, --help             show this help and exit\n"
"  -V, --version          show the version and exit\n"
"\n"
"Commands (stdin, one per line; with --events text a plain line is said\n"
"to the room and commands start with '/'):\n"
"  say TEXT                  send TEXT to the room (UTF-8, at most 4096 bytes)\n"
"  dm NAME[,NAME...] TEXT    direct message; quote names with spaces:\n"
"                            dm \"alice (2)\" hello (in quotes, \\\" is a quote)\n"
"  who                       list the room (a members event)\n"
"  mute | unmute             stop or resume sending your microphone, at once\n"
"  ptt on | ptt off          with --ptt: open or close the microphone\n"
"  camera on | camera off    start or stop sending your camera (a video\n"
"                            event tells the room)\n"
"  send PATH [NAME...]       share a file with the room, or only with the\n"
"                            named members (quote a path or name with spaces)\n"
"  files                     list the files offered to you (file_offered)\n"
"  get ID | cancel ID        download a file (its sha256) or stop a transfer\n"
"  stats                     the node's counters and each link's round trip\n"
"                            and loss (a stats event)\n"
"  quit                      leave the room and exit\n"
"  test_drop FRACTION        drop that fraction of incoming packets\n"
"  test_block A.B.C.D:PORT   drop all packets from that node (test_unblock)\n"
"\n"
"Events (--events json), one object per line, each with \"ev\" and \"t\" (ms\n"
"since start, monotonic):\n"
"  ready        id, name, room, port, version\n"
"  peer_joined  id, name, addr          peer_left  id, name, addr, reason\n"
"  hub          hub, deputy (ids or null), term\n"
"  chat         from, from_name, to (null for the room, else a list of ids),\n"
"               text, ts (UTC ms), seq (room messages), history (if replayed)\n"
"  members      peers: [{id, name, role}] (self included)\n"
"  error        code, msg (unreachable/reachable add a, b: the two ids)\n"
"  speaking     id, on (from the hub's voice activity)\n"
"  muted        id, muted\n"
"  audio        frame_us, mic, speaker, start_us (CLOCK_MONOTONIC of the\n"
"               first frame: the devices are running)\n"
"  audio_stats  after stats: frame_us, hub, play (a member: the buffer of\n"
"               what it hears), streams: [{id, ...}] (the hub: each\n"
"               member's); a buffer is frames, lost, late, duplicate,\n"
"               underruns, stretched, dropped, overflow, resets, depth,\n"
"               delay_us, target_us, jitter_us\n"
"  video        id, on, w, h, fps (a camera started or stopped)\n"
"  frame        with --test-faults, per frame shown: id, read, n,\n"
"               capture_us (the pattern's, read from the pixels), shown_us,\n"
"               w, h, healed (droppable)\n"
"  video_stats  after stats: camera, w, h, frames, bad_frames, dropped,\n"
"               peers: [{id, rx_fps, rx_kbps, loss_permille, late, healed,\n"
"               stale, decode_us, delay_us, rx_w, rx_h, tx, tx_w, tx_h,\n"
"               tx_fps, tx_quality, tx_kbps, tx_downs, tx_ups}]\n"
"  file_offered id (the sha256), name, size, from, from_name, sha256\n"
"  file_progress id, bytes, total, rate (bytes/s), dir (up or down), at\n"
"               most 4 a second per transfer (droppable)\n"
"  file_done    id, path, sha256     file_failed  id, reason (a word: text)\n"
"  stats        bad_msgs, unknown_msgs, stale_msgs, slow_hellos,\n"
"               dropped_events, held_events, peers: [{id, name, rtt_ms,\n"
"               loss_permille, bad}]\n"
"Chat and control events are never dropped: if the front end stops\n"
"reading, they wait in the node (up to 100000, then an events_lost error).\n"
"\n"
"Without avahi-daemon the node says so once and goes on; use --peer.\n",
        f);
}

static void default_name(char *buf, size_t cap)
{
    const char *user = getenv("USER");
    char host[64] = "";
    if (gethostname(host, sizeof host - 1) != 0)
        host[0] = '\0';
    snprintf(buf, cap, "%s%s%s", user && *user ? user : "guest",
             host[0] ? "@" : "", host);
    if (strlen(buf) > LM_NAME_MAX)
        buf[LM_NAME_MAX] = '\0';
}

/* "4G", "500M", "123": bytes; 0 or LM_EINVAL (nothing, zero, junk,
 * past 2^63). */
static int parse_size(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || errno || s[0] == '-' || v == 0)
        return LM_EINVAL;
    static const char units[] = "KMGT";
    const char *u = *end ? strchr(units, *end) : NULL;
    unsigned shift = u ? 10u * (unsigned)(u - units + 1) : 0;
    if ((*end && (!u || end[1])) || v > (1ull << 63) >> shift)
        return LM_EINVAL;
    *out = (uint64_t)v << shift;
    return 0;
}

int main(int argc, char **argv)
{
    enum { O_HOST = 256, O_PORT, O_BIND, O_NO_MDNS, O_HEADLESS, O_EVENTS,
           O_PASSWORD, O_IDENTITY, O_TEST_FAULTS, O_TEST_ROOM_CAP,
           O_TEST_EVENT_CAP, O_VERBOSE, O_MIC_FILE, O_MIC_SYNTH,
           O_SPEAKER_FILE, O_AUDIO_FRAME, O_PTT, O_NO_AUDIO,
           O_STORE_DIR, O_STORE_MAX, O_DOWNLOAD_DIR,
           O_AEC, O_MIC, O_SPEAKER, O_LIST_DEVICES,
           O_CAMERA, O_CAMERA_FILE, O_NO_CAMERA, O_VIEW_SIZE, O_RECORD };
    static const struct option opts[] = {
        {"name", required_argument, NULL, 'n'},
        {"room", required_argument, NULL, 'r'},
        {"host", no_argument, NULL, O_HOST},
        {"peer", required_argument, NULL, 'p'},
        {"port", required_argument, NULL, O_PORT},
        {"bind", required_argument, NULL, O_BIND},
        {"no-mdns", no_argument, NULL, O_NO_MDNS},
        {"headless", no_argument, NULL, O_HEADLESS},
        {"events", required_argument, NULL, O_EVENTS},
        {"password", required_argument, NULL, O_PASSWORD},
        {"identity", required_argument, NULL, O_IDENTITY},
        {"test-faults", no_argument, NULL, O_TEST_FAULTS},
        {"test-room-cap", required_argument, NULL, O_TEST_ROOM_CAP},
        {"test-event-cap", required_argument, NULL, O_TEST_EVENT_CAP},
        {"verbose", no_argument, NULL, O_VERBOSE},
        {"mic-file", required_argument, NULL, O_MIC_FILE},
        {"mic-synth", required_argument, NULL, O_MIC_SYNTH},
        {"speaker-file", required_argument, NULL, O_SPEAKER_FILE},
        {"audio-frame", required_argument, NULL, O_AUDIO_FRAME},
        {"ptt", no_argument, NULL, O_PTT},
        {"no-audio", no_argument, NULL, O_NO_AUDIO},
        {"aec", required_argument, NULL, O_AEC},
        {"mic", required_argument, NULL, O_MIC},
        {"speaker", required_argument, NULL, O_SPEAKER},
        {"list-devices", no_argument, NULL, O_LIST_DEVICES},
        {"store-dir", required_argument, NULL, O_STORE_DIR},
        {"store-max", required_argument, NULL, O_STORE_MAX},
        {"download-dir", required_argument, NULL, O_DOWNLOAD_DIR},
        {"camera", required_argument, NULL, O_CAMERA},
        {"camera-file", required_argument, NULL, O_CAMERA_FILE},
        {"no-camera", no_argument, NULL, O_NO_CAMERA},
        {"view-size", required_argument, NULL, O_VIEW_SIZE},
        {"record", required_argument, NULL, O_RECORD},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {0, 0, 0, 0},
    };
    char name[LM_NAME_MAX + 1];
    default_name(name, sizeof name);
    char peers[MAX_PEER_LIST] = "";
    char mic[4096 + 8], speaker[4096 + 8]; /* "file:" and a path */
    char camera[4096 + 8];
    lm_app_config cfg = {.node = {.name = name, .room = "main",
                                  .port = LM_DEFAULT_PORT},
                         .mdns = true};
    bool json = false, headless = false, verbose = false;
    int c;
    while ((c = getopt_long(argc, argv, "n:r:p:hV", opts, NULL)) != -1) {
        switch (c) {
        case 'n': cfg.node.name = optarg; break;
        case 'r': cfg.node.room = optarg; break;
        case O_HOST: cfg.node.force_host = true; break;
        case 'p':
            if (strlen(peers) + strlen(optarg) + 2 > sizeof peers) {
                fprintf(stderr, "lanmeet: too many --peer addresses\n");
                return 2;
            }
            if (peers[0])
                strcat(peers, ",");
            strcat(peers, optarg);
            break;
        case O_PORT: {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || end == optarg || v < 0 || v > 65535) {
                fprintf(stderr, "lanmeet: --port takes 0-65535, not '%s'\n",
                        optarg);
                return 2;
            }
            cfg.node.port = (uint16_t)v;
            cfg.node.port_fixed = true; /* asked for: that port or none */
            break;
        }
        case O_BIND: cfg.node.bind = optarg; break;
        case O_NO_MDNS: cfg.mdns = false; break;
        case O_HEADLESS: headless = true; break;
        case O_EVENTS:
            if (strcmp(optarg, "json") != 0 && strcmp(optarg, "text") != 0) {
                fprintf(stderr, "lanmeet: --events takes json or text\n");
                return 2;
            }
            json = strcmp(optarg, "json") == 0;
            break;
        case O_PASSWORD: cfg.node.password = optarg; break;
        case O_IDENTITY: cfg.identity = optarg; break;
        case O_TEST_FAULTS: cfg.node.test_faults = true; break;
        case O_TEST_ROOM_CAP: {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || end == optarg || v < 2 || v > LM_MAX_PEERS) {
                fprintf(stderr, "lanmeet: --test-room-cap takes 2-%d\n",
                        LM_MAX_PEERS);
                return 2;
            }
            cfg.node.room_cap = (size_t)v;
            break;
        }
        case O_TEST_EVENT_CAP: {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || end == optarg || v < 1 || v > 65536) {
                fprintf(stderr, "lanmeet: --test-event-cap takes 1-65536\n");
                return 2;
            }
            cfg.node.test_event_cap = (size_t)v;
            break;
        }
        case O_VERBOSE: verbose = true; break;
        case O_MIC_FILE:
        case O_MIC_SYNTH: {
            bool file = c == O_MIC_FILE;
            snprintf(mic, sizeof mic, "%s%s", file ? "file:" : "", optarg);
            cfg.mic = mic;
            break;
        }
        case O_MIC:
            snprintf(mic, sizeof mic, "%s%s",
                     strcmp(optarg, "none") == 0 ? "" : "dev:", optarg);
            cfg.mic = mic;
            break;
        case O_SPEAKER:
            snprintf(speaker, sizeof speaker, "%s%s",
                     strcmp(optarg, "none") == 0 ? "" : "dev:", optarg);
            cfg.speaker = speaker;
            break;
        case O_LIST_DEVICES: {
            int bad = lm_audiodev_list(stdout) < 0;
            return lm_camera_list(stdout) < 0 || bad ? 1 : 0;
        }
        case O_CAMERA: cfg.camera = optarg; break;
        case O_CAMERA_FILE:
            snprintf(camera, sizeof camera, "file:%s", optarg);
            cfg.camera = camera;
            break;
        case O_NO_CAMERA: cfg.no_camera = true; break;
        case O_VIEW_SIZE: {
            unsigned w, h;
            char end;
            if (strcmp(optarg, "none") == 0) {
                cfg.no_view = true;
                break;
            }
            if (sscanf(optarg, "%5ux%5u%c", &w, &h, &end) != 2 ||
                !lm_video_size_ok(w, h)) {
                fprintf(stderr, "lanmeet: --view-size takes WxH, even, "
                        "16x16 to 1920x1080\n");
                return 2;
            }
            cfg.view_w = (uint16_t)w;
            cfg.view_h = (uint16_t)h;
            break;
        }
        case O_RECORD: cfg.record_dir = optarg; break;
        case O_SPEAKER_FILE:
            snprintf(speaker, sizeof speaker, "file:%s", optarg);
            cfg.speaker = speaker;
            break;
        case O_AUDIO_FRAME:
            if (strcmp(optarg, "2.5") == 0)
                cfg.frame_us = 2500;
            else if (strcmp(optarg, "5") == 0)
                cfg.frame_us = 5000;
            else if (strcmp(optarg, "10") == 0)
                cfg.frame_us = 10000;
            else {
                fprintf(stderr, "lanmeet: --audio-frame takes 2.5, 5 or 10\n");
                return 2;
            }
            break;
        case O_PTT: cfg.ptt = true; break;
        case O_STORE_DIR: cfg.store_dir = optarg; break;
        case O_DOWNLOAD_DIR: cfg.download_dir = optarg; break;
        case O_STORE_MAX:
            if (parse_size(optarg, &cfg.store_max) < 0) {
                fprintf(stderr, "lanmeet: --store-max takes a size such as "
                        "500M or 4G (at least 1)\n");
                return 2;
            }
            break;
        case O_NO_AUDIO: cfg.no_audio = true; break;
        case O_AEC:
            if (strcmp(optarg, "on") != 0 && strcmp(optarg, "off") != 0) {
                fprintf(stderr, "lanmeet: --aec takes on or off\n");
                return 2;
            }
            cfg.no_aec = strcmp(optarg, "off") == 0;
            break;
        case 'h': usage(stdout); return 0;
        case 'V': printf("lanmeet %s (protocol %d)\n", LM_VERSION,
                         LM_PROTO_VERSION);
            return 0;
        default:
            fputs("Try 'lanmeet --help'.\n", stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "lanmeet: unexpected argument '%s'\nTry 'lanmeet "
                "--help'.\n", argv[optind]);
        return 2;
    }
    if ((cfg.node.room_cap || cfg.node.test_event_cap) &&
        !cfg.node.test_faults) {
        fprintf(stderr, "lanmeet: --test-room-cap and --test-event-cap need "
                "--test-faults\n");
        return 2;
    }
    if (!headless)
        fprintf(stderr, "lanmeet: the window is not built yet; running in "
                "the terminal (type to chat, /who, /quit)\n");
    cfg.peers = peers[0] ? peers : NULL;
    lm_audiodev_defaults(&cfg.mic, &cfg.speaker);
    /* log lines go to stderr when a program reads the events (JSON) or
     * when asked; a person at a terminal sees only the events */
    cfg.node.quiet = !json && !verbose;
    if (!cfg.node.password)
        cfg.node.password = getenv("LANMEET_PASSWORD");

    /* SIGINT/SIGTERM go to the front end's signalfd: block them before any
     * thread starts so every thread inherits the mask. */
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &mask, NULL);
    signal(SIGPIPE, SIG_IGN);

    lm_app app;
    char why[256] = "";
    int rc = lm_app_open(&app, &cfg, why, sizeof why);
    if (rc < 0) {
        fprintf(stderr, "lanmeet: %s\n", why);
        return 1;
    }
    rc = lm_headless_run(&app, json, cfg.node.test_faults);
    lm_app_close(&app);
    return rc;
}
