#!/usr/bin/env bash
# sound_rig_test.sh - sound through a real sound server, end to end.
#
#   sound_rig_test.sh BUILD_DIR
#
# Runs tests/bench/rig/run.sh once, short (2.5 ms frames, 10 bursts): a
# private PulseAudio in a network namespace of its own, three nodes (a hub
# with no device, A and B on the server's devices through libpulse, the
# default backend where a server runs), A's microphone fed bursts, B an
# echo. Passes when B's
# speaker played at least 6 of the 8 bursts counted and A's speaker got at
# least 6 echoes back, each within a second. Exit 77 (skipped) without
# root, network namespaces or pulseaudio.
set -u
BUILD=${1:?usage: sound_rig_test.sh BUILD_DIR}
HERE=$(cd "$(dirname "$0")" && pwd)
skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root for a network namespace"
for t in pulseaudio parec paplay pacat pactl python3 ip; do
  command -v $t >/dev/null || skip "no $t (scripts/setup.sh installs it)"
done
probe=lmprobe$$
ip netns add $probe 2>/dev/null || skip "cannot create a network namespace"
ip netns del $probe
W=$BUILD/sound_rig
rm -rf "$W"
BUILD=$BUILD RIG_WORK=$W timeout 120 bash "$HERE/bench/rig/run.sh" --frames 2.5 --runs 1 --bursts 10
rc=$?
[ $rc = 0 ] || { echo "FAIL: the rig exited $rc (logs in $W)"; exit 1; }
python3 - "$W/res/lanmeet-pulse-2.5-ms-run1.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
ab, rt = r.get("a_to_b", {}), r.get("round_trip", {})
ok = ab.get("count", 0) >= 6 and rt.get("count", 0) >= 6 and rt.get("max_ms", 1e9) < 1000
print(f"B heard {ab.get('count', 0)} of 8 bursts (median {ab.get('median_ms')} ms), "
      f"A got {rt.get('count', 0)} echoes back (median {rt.get('median_ms')} ms)")
print("PASS" if ok else "FAIL")
sys.exit(0 if ok else 1)
PY
