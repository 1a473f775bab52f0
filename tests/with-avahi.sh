#!/bin/bash
# shellcheck disable=SC2317 # cleanup and stop_pid run from the traps
# with-avahi.sh - run a command beside a private avahi-daemon.
#
#   tests/with-avahi.sh CMD ARGS...
#
# Creates a fresh network namespace (only lo, multicast on), a private D-Bus
# system bus and an avahi-daemon with a config of our own that talks on lo
# only (DESIGN.md section 10), runs CMD inside that namespace and then removes
# all of it again, also on failure or interrupt. mDNS never touches the
# machine's own interfaces: the daemon only ever runs inside the namespace.
#
# CMD sees:
#   DBUS_SYSTEM_BUS_ADDRESS  the private bus (libavahi-client honours it)
#   LANMEET_AVAHI_NS         the namespace name
#   LANMEET_AVAHI_BUS        the bus socket path
#   LANMEET_AVAHI_RESTART    a script that stops this avahi-daemon, waits
#                            until its D-Bus name is gone, starts it again and
#                            waits until it is RUNNING (exit 0) or fails
#
# Exit status: CMD's; 77 (ctest "skipped") when not root, without network
# namespaces or without avahi-daemon/dbus-daemon; 1 when the setup fails.

set -u

say() { echo "with-avahi.sh: $*" >&2; }
skip() { echo "with-avahi.sh: skipped: $*"; exit 77; }

[ $# -ge 1 ] || { say "usage: with-avahi.sh CMD ARGS..."; exit 2; }
[ "$(id -u)" = 0 ] || skip "needs root to create a network namespace"
for tool in ip avahi-daemon dbus-daemon dbus-send mount; do
    command -v "$tool" >/dev/null 2>&1 || skip "$tool is not installed"
done
[ -r /usr/share/dbus-1/system.conf ] || skip "no /usr/share/dbus-1/system.conf"

NS="lanmeet-test-$$-$RANDOM"
DIR=""
DBUS_PID=""
CMD_PID=""
CLEANED=""

# Kills a process we started, by pid, if it is still the program we think.
stop_pid() { # PID COMM
    local pid="$1" comm="$2"
    [ -n "$pid" ] || return 0
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$comm" ] || return 0
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 50); do # up to 5 s, then no more asking
        [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$comm" ] || return 0
        grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null && return 0
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null
}

cleanup() {
    local pid
    [ -n "$CLEANED" ] && return
    CLEANED=1
    if [ -n "$CMD_PID" ] && kill -0 "$CMD_PID" 2>/dev/null; then
        kill -TERM "$CMD_PID" 2>/dev/null
        for _ in $(seq 20); do # 2 s to end on its own
            kill -0 "$CMD_PID" 2>/dev/null || break
            sleep 0.1
        done
    fi
    if [ -n "$DIR" ] && [ -f "$DIR/avahi.pid" ]; then
        stop_pid "$(cat "$DIR/avahi.pid")" avahi-daemon
    fi
    stop_pid "$DBUS_PID" dbus-daemon
    if ip netns list 2>/dev/null | grep -qw "^$NS"; then
        # whatever CMD left behind in our namespace is ours to end
        for pid in $(ip netns pids "$NS" 2>/dev/null); do
            kill -KILL "$pid" 2>/dev/null
        done
        ip netns del "$NS" 2>/dev/null || say "could not delete namespace $NS"
    fi
    [ -n "$DIR" ] && rm -rf "$DIR"
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM

ip netns add "$NS" 2>/dev/null || skip "cannot create a network namespace"
ip -n "$NS" link set lo up || { say "cannot set lo up in $NS"; exit 1; }
ip -n "$NS" link set lo multicast on || { say "no multicast on lo"; exit 1; }

DIR="$(mktemp -d /tmp/lanmeet-avahi.XXXXXX)" || exit 1
BUS="$DIR/bus"
export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$BUS"

sed -e 's/@HOSTNAME@/lanmeet-test/' -e 's/@IFACE@/lo/' \
  "$(dirname "$0")/avahi-test.conf" >"$DIR/avahi-daemon.conf" || exit 1

# The daemon, its restart and its readiness check live in one helper script
# so that LANMEET_AVAHI_RESTART can do exactly what we do here.
cat >"$DIR/avahi-ctl" <<EOF
#!/bin/bash
# avahi-ctl start|stop|restart|wait - this test's avahi-daemon in $NS only.
set -u
export DBUS_SYSTEM_BUS_ADDRESS='unix:path=$BUS'
DIR='$DIR'
NS='$NS'
EOF
cat >>"$DIR/avahi-ctl" <<'EOF'
has_owner() {
    dbus-send --system --print-reply --dest=org.freedesktop.DBus \
        /org/freedesktop/DBus org.freedesktop.DBus.NameHasOwner \
        string:org.freedesktop.Avahi 2>/dev/null | grep -q 'boolean true'
}
running() { # server state 2 is AVAHI_SERVER_RUNNING
    has_owner && dbus-send --system --print-reply \
        --dest=org.freedesktop.Avahi / org.freedesktop.Avahi.Server.GetState \
        2>/dev/null | grep -q 'int32 2'
}
wait_for() { # TEST TENTHS
    for _ in $(seq "$2"); do
        $1 && return 0
        sleep 0.1
    done
    return 1
}
start() {
    mkdir -p /run/avahi-daemon # the mount point; empty in the host
    # tmpfs over /run/avahi-daemon in the private mount namespace that
    # "ip netns exec" makes, so pid file and socket stay ours
    ip netns exec "$NS" sh -c 'mount -t tmpfs none /run/avahi-daemon &&
        exec avahi-daemon -f "$1" --no-drop-root --no-chroot' \
        sh "$DIR/avahi-daemon.conf" </dev/null >>"$DIR/avahi.log" 2>&1 &
    echo $! >"$DIR/avahi.pid"
    wait_for running 100 # 10 s
}
stop() {
    local pid
    pid="$(cat "$DIR/avahi.pid" 2>/dev/null)" || return 0
    if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = avahi-daemon ]; then
        kill -TERM "$pid"
    fi
    rm -f "$DIR/avahi.pid"
    for _ in $(seq 50); do
        has_owner || return 0
        sleep 0.1
    done
    return 1
}
case "${1:-}" in
start) start ;;
stop) stop ;;
restart) stop && start ;;
wait) wait_for running 100 ;;
*) echo "usage: avahi-ctl start|stop|restart|wait" >&2; exit 2 ;;
esac
EOF
chmod +x "$DIR/avahi-ctl"
printf '#!/bin/sh\nexec %s restart\n' "$DIR/avahi-ctl" >"$DIR/restart"
chmod +x "$DIR/restart"

ip netns exec "$NS" dbus-daemon --config-file=/usr/share/dbus-1/system.conf \
    --address="$DBUS_SYSTEM_BUS_ADDRESS" --nofork --nopidfile \
    </dev/null >"$DIR/dbus.log" 2>&1 &
DBUS_PID=$!
for _ in $(seq 50); do
    [ -S "$BUS" ] && break
    sleep 0.1
done
if [ ! -S "$BUS" ]; then
    say "dbus-daemon did not start:"
    cat "$DIR/dbus.log" >&2
    exit 1
fi

if ! "$DIR/avahi-ctl" start; then
    say "avahi-daemon did not reach RUNNING within 10 s:"
    cat "$DIR/avahi.log" >&2
    exit 1
fi

export LANMEET_AVAHI_NS="$NS"
export LANMEET_AVAHI_BUS="$BUS"
export LANMEET_AVAHI_RESTART="$DIR/restart"

# In the background so that a TERM to us ends the run at once; stdin is
# passed on explicitly (a background job would get /dev/null otherwise).
ip netns exec "$NS" "$@" <&0 &
CMD_PID=$!
wait "$CMD_PID"
status=$?
CMD_PID=""
exit "$status"
