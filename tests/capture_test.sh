#!/usr/bin/env bash
# A packet capture of a chat session holds none of its text: two nodes on
# loopback chat a unique phrase (group and direct) and a name while
# tcpdump records their ports; the capture must have the session's packets
# and none of the words. Needs root and tcpdump (exit 77: skipped).
set -u
bin=${1:?usage: capture_test.sh LANMEET}
command -v tcpdump >/dev/null || { echo "skipped: tcpdump is not installed"; exit 77; }
[ "$(id -u)" -eq 0 ] || { echo "skipped: capturing needs root"; exit 77; }
dir=$(mktemp -d)
cleanup() { kill "$tcpdump_pid" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
pa=$(free_port); pb=$(free_port)
canary="zebra-$RANDOM-$RANDOM"
tcpdump -U -i lo -w "$dir/cap.pcap" "udp and (port $pa or port $pb)" 2>"$dir/tcpdump.err" &
tcpdump_pid=$!
for _ in $(seq 50); do grep -q "listening" "$dir/tcpdump.err" && break; sleep 0.1; done
(sleep 2.5; echo "say group-$canary"; echo "dm bob direct-$canary"; sleep 1; echo quit) |
  timeout 10 "$bin" --headless --events json --name "alice$canary" --port "$pa" \
    --no-mdns --identity ephemeral --mic none --speaker none --peer "127.0.0.1:$pb" >"$dir/a.out" 2>/dev/null &
(sleep 4; echo quit) |
  timeout 10 "$bin" --headless --events json --name bob --port "$pb" \
    --no-mdns --identity ephemeral --mic none --speaker none >"$dir/b.out" 2>/dev/null
wait %2 2>/dev/null
sleep 0.5
kill "$tcpdump_pid"; wait "$tcpdump_pid" 2>/dev/null
packets=$(tcpdump -r "$dir/cap.pcap" 2>/dev/null | wc -l)
received=$(grep -c "$canary" "$dir/b.out")
leaked=$(grep -c "$canary" "$dir/cap.pcap")
echo "captured $packets packets; bob received $received messages carrying the phrase; capture holds it $leaked times"
[ "$packets" -ge 10 ] && [ "$received" -ge 2 ] && [ "$leaked" -eq 0 ] || { echo FAIL; exit 1; }
echo PASS
