#!/usr/bin/env bash
# run.sh - lanmeet's audio round trip through a real sound server.
#
# Three lanmeet nodes in a private network namespace (loopback only): a hub
# started with --host and no audio device, and two members A and B on
# PulseAudio devices. A's microphone is fed a train of tone bursts; B's
# speaker is looped back into B's microphone, so B is an echo; A's speaker
# then plays each burst again after A -> hub -> B -> hub -> A. One null
# sink with three channels records the bursts (ch0), A's speaker (ch1) and
# B's speaker (ch2) on one sample clock, and analyze.py reads the round
# trip and its two legs from that one recording. Before the nodes stop,
# each is asked `stats` through its command pipe, and buffers.py prints
# every jitter buffer's delay, aim and jitter (res/LABEL.buffers), so a
# slow run says whether the time was in the buffers or in the devices.
#
#   sudo tests/bench/rig/run.sh                     # 2 runs at 2.5, 5, 10 ms frames
#   sudo tests/bench/rig/run.sh --frames 2.5 --runs 3 --bursts 30
#   sudo tests/bench/rig/run.sh --route             # the devices alone (below)
#   sudo tests/bench/rig/run.sh --backend portaudio # nodes on PortAudio (default
#                                                   # pulse; "pulse portaudio": both)
#   sudo MUMBLE_RIG=/path/to/mumble/run.sh tests/bench/rig/run.sh
#                                                   # and Mumble's rig after it
#
# --route measures each device route with no node in between: the bursts
# looped from a_mic to a_out by parec | pacat (--latency-msec=10, as the
# rig's own recorder and player), and by bench_devloop on each of
# lanmeet's backends: libpulse (ui/dev/pulse.c) and PortAudio through
# ALSA's pulse PCM.
#
# lanmeet reaches the server as a user's lanmeet does, with PULSE_SOURCE /
# PULSE_SINK in each node's environment choosing the server's devices:
# --mic pulse --speaker pulse (libpulse, the default where a server runs)
# or --mic portaudio:pulse --speaker portaudio:pulse (PortAudio, ALSA's
# "pulse" PCM).
#
# Devices (module-null-sink and module-remap-*, all on the one clock of
# the null sink `rec`):
#   a_ref  sink,   rec ch0: the bursts are played here (paplay)
#   a_mic  source, rec.monitor ch0: A's microphone hears exactly the bursts
#   a_out  sink,   rec ch1: A's speaker
#   b_out  sink,   rec ch2: B's speaker
#   b_mic  source, rec.monitor ch2: B's microphone hears B's speaker
# A's microphone hears only ch0, and the hub sends nobody their own voice,
# so nothing loops twice.
#
# Needs root (network namespace), pulseaudio, pulseaudio-utils, python3, a
# built lanmeet and bench_devloop (BUILD=dir, default ./build). PulseAudio
# runs inside the namespace with its own config and a private socket under
# RIG_WORK (default /tmp/lanmeet-rig), never the machine's own; nothing is
# sent outside loopback; every process started is stopped by its PID.
# Environment: BUILD, RIG_WORK, MUMBLE_RIG (Mumble's run.sh), AEC (default
# off: nothing here needs cancelling; on tries the canceller).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
W=${RIG_WORK:-/tmp/lanmeet-rig}
NS=lmrig$$
FRAMES="2.5 5 10"
RUNS=2
BURSTS=40
ROUTE=0
BACKENDS=pulse
AEC=${AEC:-off}
PORT0=47600

while [ $# -gt 0 ]; do
  case $1 in
    --frames) FRAMES=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --bursts) BURSTS=$2; shift 2 ;;
    --route) ROUTE=1; shift ;;
    --backend) BACKENDS=$2; shift 2 ;;
    -h|--help) sed -n '2,51p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

log() { echo "[$(date +%T)] $*" >&2; }
die() { log "$*"; teardown; exit 1; }
for t in pulseaudio parec paplay pacat pactl python3 ip; do
  command -v $t >/dev/null || { echo "run.sh: needs $t (scripts/setup.sh installs it)" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "run.sh: needs root (network namespace)" >&2; exit 1; }
[ -x "$BUILD/lanmeet" ] || { echo "run.sh: no $BUILD/lanmeet (set BUILD)" >&2; exit 1; }

PIDS=()
stop_pids() {   # SIGTERM, up to 3 s, then SIGKILL: our own children only
  local p left
  for p in "$@"; do kill -TERM "$p" 2>/dev/null; done
  for _ in $(seq 30); do
    left=0
    for p in "$@"; do kill -0 "$p" 2>/dev/null && left=1; done
    [ $left = 0 ] && break
    sleep 0.1
  done
  for p in "$@"; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
}
teardown() {
  [ ${#PIDS[@]} -gt 0 ] && stop_pids "${PIDS[@]}"
  PIDS=()
  ip netns del "$NS" 2>/dev/null
  return 0
}
trap 'teardown; exit 130' INT TERM

rm -rf "$W"; mkdir -p "$W"/{home,run,res}; chmod 700 "$W/run"
python3 "$HERE/signal.py" "$W/bursts.wav" "$BURSTS" >/dev/null || die "signal.py failed"

cat > "$W/rig.pa" <<EOF
load-module module-native-protocol-unix auth-anonymous=1 socket=$W/run/native
load-module module-null-sink sink_name=rec rate=48000 channels=3 channel_map=aux0,aux1,aux2 norewinds=1
load-module module-remap-sink sink_name=a_ref master=rec channels=1 channel_map=mono master_channel_map=aux0 remix=no
load-module module-remap-sink sink_name=a_out master=rec channels=1 channel_map=mono master_channel_map=aux1 remix=no
load-module module-remap-sink sink_name=b_out master=rec channels=1 channel_map=mono master_channel_map=aux2 remix=no
load-module module-remap-source source_name=a_mic master=rec.monitor channels=1 channel_map=mono master_channel_map=aux0 remix=no
load-module module-remap-source source_name=b_mic master=rec.monitor channels=1 channel_map=mono master_channel_map=aux2 remix=no
EOF
mkdir -p "$W/home/.config/pulse"
printf 'default-sample-rate = 48000\nalternate-sample-rate = 48000\ndefault-sample-format = s16le\n' \
  > "$W/home/.config/pulse/daemon.conf"
export PULSE_SERVER=unix:$W/run/native
export DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent   # no D-Bus autolaunch

ip netns add "$NS" || die "cannot create a network namespace"
ip netns exec "$NS" ip link set lo up
# --disable-shm: PulseAudio 16.1 aborted once here (memblock.c:780,
# n_imported) as nodes on shared memory stopped; over the socket it cannot
log "pulseaudio in $NS, socket $W/run/native"
HOME=$W/home XDG_RUNTIME_DIR=$W/run XDG_CONFIG_HOME=$W/home/.config \
  ip netns exec "$NS" pulseaudio --system=false -n -F "$W/rig.pa" --daemonize=no \
  --exit-idle-time=-1 --use-pid-file=no --disallow-exit --log-target=stderr --disable-shm=yes \
  >"$W/pulseaudio.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do pactl info >/dev/null 2>&1 && break; sleep 0.1; done
pactl info >/dev/null 2>&1 || die "pulseaudio did not start (see $W/pulseaudio.log)"

# One capture while the bursts play; $1 = result name. The recorder and
# the player ask for 10 ms, or PulseAudio renders the shared sink in huge
# blocks and the figures wander by hundreds of ms.
capture() {
  ip netns exec "$NS" parec -d rec.monitor --format=s16le --rate=48000 --channels=3 \
    --channel-map=aux0,aux1,aux2 --latency-msec=10 --raw "$W/res/$1.raw" &
  local rec=$!
  PIDS+=($rec)
  sleep 0.5
  ip netns exec "$NS" paplay -d a_ref --latency-msec=10 "$W/bursts.wav"
  sleep 1.5
  kill -INT $rec 2>/dev/null; wait $rec 2>/dev/null
}

# ---- the device routes alone ------------------------------------------
route() {   # $1 = label, the rest: the looping command
  local label=$1; shift
  "$@" &
  local pids=($!)
  PIDS+=("${pids[@]}")
  sleep 1
  capture "$label"
  stop_pids "${pids[@]}"
  python3 "$HERE/analyze.py" "$W/res/$label.raw" "$label" --mid -1 --json "$W/res/$label.json" \
    | tee -a "$W/res/summary.txt"
}

if [ $ROUTE = 1 ]; then
  DL=$BUILD/bench_devloop
  mkfifo "$W/loop.fifo"
  ip netns exec "$NS" parec -d a_mic --latency-msec=10 --format=s16le --rate=48000 --channels=1 \
    --raw "$W/loop.fifo" &
  PIDS+=($!); PAREC=$!
  route "parec|pacat" ip netns exec "$NS" pacat -p -d a_out --latency-msec=10 \
    --format=s16le --rate=48000 --channels=1 --raw "$W/loop.fifo"
  stop_pids $PAREC
  for f in $FRAMES; do
    route "pulse-devloop-$f" ip netns exec "$NS" "$DL" --mic dev:pulse:a_mic \
      --speaker dev:pulse:a_out --frame-ms "$f" --seconds 40
    route "portaudio-alsa-devloop-$f" env PULSE_SOURCE=a_mic PULSE_SINK=a_out \
      ip netns exec "$NS" "$DL" --mic dev:portaudio:pulse --speaker dev:portaudio:pulse \
      --frame-ms "$f" --seconds 40
  done
  teardown
  trap - INT TERM
  echo; echo "=== device routes, a_mic -> a_out, no node between (results in $W/res) ==="
  cat "$W/res/summary.txt"
  exit 0
fi

# ---- three nodes -------------------------------------------------------
declare -A CMD_FD_OF   # each node's command pipe, by its name

# $1 name, $2 port, $3 mic, $4 speaker, the rest: more options; $BACKEND
# says which of lanmeet's backends the devices go through
node() {
  local name=$1 port=$2 mic=$3 spk=$4; shift 4
  local envs=()
  if [ "$mic" != none ]; then
    envs=(env PULSE_SOURCE=$mic PULSE_SINK=$spk)
    if [ "$BACKEND" = pulse ]; then mic=pulse; spk=pulse
    else mic=portaudio:pulse; spk=portaudio:pulse; fi
  fi
  local peers=()
  for p in $PORT0 $((PORT0 + 1)) $((PORT0 + 2)); do
    [ $p != "$port" ] && peers+=(--peer "127.0.0.1:$p")
  done
  # its commands come through a pipe we hold open (stats at the end)
  rm -f "$W/$name.in"; mkfifo "$W/$name.in"
  exec {CMD_FD}<>"$W/$name.in"
  CMD_FD_OF[$name]=$CMD_FD
  ${envs[@]+"${envs[@]}"} ip netns exec "$NS" "$BUILD/lanmeet" --headless --events json \
    --name "$name" --room rig --identity ephemeral --no-mdns --port "$port" \
    --mic "$mic" --speaker "$spk" "${peers[@]}" "$@" \
    <"$W/$name.in" >"$W/$name.events" 2>"$W/$name.stderr" &
  NODE_PID=$!
  PIDS+=($NODE_PID)
}

joined() {   # every node sees the two others, all follow the same hub
  local f
  for f in hub A B; do
    [ "$(grep -c '"ev":"peer_joined"' "$W/$f.events" 2>/dev/null)" -ge 2 ] || return 1
  done
  local hub_id
  hub_id=$(grep -o '"ev":"ready","id":"[0-9a-f]*"' "$W/hub.events" | head -1 | grep -o '[0-9a-f]\{16\}')
  for f in A B; do
    grep '"ev":"hub"' "$W/$f.events" | tail -1 | grep -q "\"hub\":\"$hub_id\"" || return 1
  done
}

for BACKEND in $BACKENDS; do
for f in $FRAMES; do
  for r in $(seq "$RUNS"); do
    label="lanmeet-$BACKEND-$f-ms-run$r"
    log "$label"
    node hub $PORT0 none none --host --audio-frame "$f"; HUB=$NODE_PID
    node B $((PORT0 + 2)) b_mic b_out --audio-frame "$f" --aec "$AEC"; NB=$NODE_PID
    node A $((PORT0 + 1)) a_mic a_out --audio-frame "$f" --aec "$AEC"; NA=$NODE_PID
    ok=0
    for _ in $(seq 100); do joined && { ok=1; break; }; sleep 0.1; done
    [ $ok = 1 ] || { tail -n 3 "$W"/*.stderr >&2; die "the three nodes did not form a room"; }
    sleep 2   # buffers settle
    pactl list short sink-inputs > "$W/res/$label.sink-inputs"
    capture "$label"
    for n in hub A B; do echo stats >&"${CMD_FD_OF[$n]}"; done
    sleep 0.5   # the answers: each node's jitter buffers (audio_stats)
    stop_pids $NA $NB $HUB
    for fd in "${CMD_FD_OF[@]}"; do exec {fd}>&-; done
    CMD_FD_OF=()
    python3 "$HERE/buffers.py" "$W" hub A B | tee "$W/res/$label.buffers"
    for n in hub A B; do cp "$W/$n.stderr" "$W/res/$label.$n.stderr"; done
    python3 "$HERE/analyze.py" "$W/res/$label.raw" "$label" --json "$W/res/$label.json" \
      | tee -a "$W/res/summary.txt"
  done
done
done
teardown
trap - INT TERM

if [ -n "${MUMBLE_RIG:-}" ]; then
  log "Mumble's rig: $MUMBLE_RIG"
  NO_INSTALL=${NO_INSTALL:-1} RIG_WORK=$W/mumble bash "$MUMBLE_RIG" > "$W/res/mumble.txt" 2>"$W/res/mumble.log"
  grep "round trip" "$W/res/mumble.txt" | grep -v "all bursts" >> "$W/res/summary.txt"
fi

echo
echo "=== lanmeet round trip A -> hub -> B (echo) -> hub -> A, PulseAudio null sinks ($BACKENDS) ==="
cat "$W/res/summary.txt"
python3 - "$W/res" <<'EOF'
import glob, json, os, re, statistics, sys
res = sys.argv[1]
ours = {}
for p in sorted(glob.glob(os.path.join(res, "lanmeet-*.json"))):
    r = json.load(open(p))
    m = re.match(r"lanmeet-([a-z]+)-([0-9.]+)-ms-", r["label"])
    if m and r.get("round_trip", {}).get("count"):
        ours.setdefault((m.group(1), m.group(2)), []).append(r["round_trip"]["median_ms"])
low = None
mt = os.path.join(res, "mumble.txt")
if os.path.exists(mt):
    for line in open(mt):
        m = re.match(r"\s*lowlat\s+round trip: median ([0-9.]+)", line)
        if m:
            low = float(m.group(1))
for (b, f), v in sorted(ours.items(), key=lambda kv: (kv[0][0], float(kv[0][1]))):
    med = statistics.median(v)
    s = f"lanmeet {b} {f} ms frames: round trip {med:.1f} ms (median of {len(v)} runs: {', '.join(f'{x:.1f}' for x in v)})"
    if low:
        s += f"; Mumble lowlat {low:.1f} ms; ratio {med / low:.2f} (bar 0.60)"
    print(s)
EOF
