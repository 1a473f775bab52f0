#!/bin/bash
# with-xvfb.sh - run a command beside a private X server.
#
#   tests/with-xvfb.sh [-s WxH] CMD ARGS...
#
# Starts Xvfb (1920x1080x24 unless -s) on the first free display number
# from 90 up, on its unix socket only (-nolisten tcp: no traffic leaves
# the machine), runs CMD with DISPLAY set to it and WAYLAND_DISPLAY unset,
# and stops the server again, also on failure or interrupt.
#
# Exit status: CMD's; 77 (ctest "skipped") when Xvfb is not installed;
# 1 when the server does not come up within 5 s.
set -u

say() { echo "with-xvfb.sh: $*" >&2; }
SIZE=1920x1080
if [ "${1:-}" = "-s" ]; then SIZE=$2; shift 2; fi
[ $# -ge 1 ] || { say "usage: with-xvfb.sh [-s WxH] CMD ARGS..."; exit 2; }
command -v Xvfb >/dev/null 2>&1 || { echo "with-xvfb.sh: skipped: Xvfb is not installed"; exit 77; }

N=90
while [ -e "/tmp/.X$N-lock" ] || [ -e "/tmp/.X11-unix/X$N" ]; do
    N=$((N + 1))
    [ $N -lt 200 ] || { say "no free display number"; exit 1; }
done
LOG=$(mktemp /tmp/lanmeet-xvfb.XXXXXX)
Xvfb ":$N" -screen 0 "${SIZE}x24" -nolisten tcp -noreset >"$LOG" 2>&1 &
XPID=$!
cleanup() {
    kill "$XPID" 2>/dev/null && wait "$XPID" 2>/dev/null
    rm -f "$LOG"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for _ in $(seq 50); do
    [ -e "/tmp/.X11-unix/X$N" ] && break
    kill -0 "$XPID" 2>/dev/null || break
    sleep 0.1
done
if [ ! -e "/tmp/.X11-unix/X$N" ]; then
    say "Xvfb :$N did not start:"; cat "$LOG" >&2; exit 1
fi
export DISPLAY=":$N"
unset WAYLAND_DISPLAY
"$@"
