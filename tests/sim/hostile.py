#!/usr/bin/env python3
"""Hostile-peer test: a room of honest nodes keeps working while lmpoke
throws malformed, forged, replayed and flooding traffic at one of them.

  hostile.py --binary build/lanmeet --poke build/lmpoke

Checks: the attacked node reports each attack with an error event and never
crashes; replayed bytes are delivered once; the honest nodes' chat still
reaches everyone; the attacked node's memory (VmRSS) stays within a bound.
Loopback only; every wait is bounded. Exit 0 on pass, 1 on failure."""
import argparse, subprocess, sys, time

from room import Node, free_port, stop, verdict, wait

CASES = ["garbage", "early", "version", "room", "forged", "wrongpw",
         "truncated", "unknown", "oversize", "badutf8", "replay", "flood",
         "silent"]
EXPECT = {"bad_message", "version", "bad_peer", "flood"}
# counters the attack must raise: truncated/badutf8/oversize are malformed,
# unknown is a type from the future, silent never says hello
COUNTERS = ["bad_msgs", "unknown_msgs", "slow_hellos"]


def stats(node):
    """The node's answer to the stats command (a dict; empty if none)."""
    k = len(node.evs("stats"))
    node.send("stats")
    wait(lambda: len(node.evs("stats")) > k, 3)
    got = node.evs("stats")
    return got[-1] if len(got) > k else {}


def wrong_password(o):
    """A private room of three, and a fourth node with the wrong password
    that knows all their addresses: it never appears, is told why, the
    room hears of it, and the room's chat goes on."""
    ports = [free_port() for _ in range(4)]
    room = [Node(o.binary, f"n{i}", ports[i], [p for p in ports[:3] if p != ports[i]],
                 password="right horse battery") for i in range(3)]
    fails = []
    try:
        if not wait(lambda: all(len(n.evs("peer_joined")) >= 2 for n in room), 8):
            fails.append("the private room did not form")
        eve = Node(o.binary, "eve", ports[3], ports[:3], password="wrong")
        room.append(eve)
        wait(lambda: any(e.get("code") == "wrong_password" for e in eve.evs("error")), 8)
        time.sleep(2)  # let it retry
        room[0].send("say private words")
        if not wait(lambda: all(any(e.get("text") == "private words" for e in n.evs("chat"))
                                for n in room[:3]), 5):
            fails.append("the room's chat did not reach every member")
        if any(e.get("name") == "eve" for n in room[:3] for e in n.evs("peer_joined")):
            fails.append("the node with the wrong password appeared in the room")
        if eve.evs("chat") or eve.evs("peer_joined"):
            fails.append("the node with the wrong password saw the room")
        told = [e.get("msg") for e in eve.evs("error") if e.get("code") == "wrong_password"]
        if len(told) != 1:
            fails.append(f"the joiner was told {len(told)} times (once expected): {told}")
        else:
            print("joiner was told:", told[0])
        heard = [e for n in room[:3] for e in n.evs("error") if e.get("code") == "intruder"]
        if not heard:
            fails.append("the room did not hear of the intruder")
        else:
            print("room was told:", heard[0].get("msg"))
    finally:
        stop(room)
    return verdict(fails)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--poke")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--wrong-password", action="store_true",
                    help="run the wrong-password test instead of lmpoke's")
    o = ap.parse_args()
    if o.wrong_password:
        return wrong_password(o)
    if not o.poke:
        ap.error("--poke is needed")
    ports = [free_port() for _ in range(3)]
    nodes = [Node(o.binary, f"n{i}", ports[i], [p for p in ports if p != ports[i]])
             for i in range(3)]
    fails = []
    try:
        if not wait(lambda: all(len(n.evs("peer_joined")) >= 2 for n in nodes) and
                    all(n.evs("hub") and n.evs("hub")[-1].get("hub") for n in nodes), 8):
            fails.append("room did not form")
        # attack the hub: it is the node that orders (and so shows) the
        # poke's chat, which the replay check counts
        hub = nodes[0].evs("hub")[-1].get("hub") if nodes[0].evs("hub") else None
        ti = next((i for i, n in enumerate(nodes)
                   if n.evs("ready") and n.evs("ready")[0].get("id") == hub), 0)
        target = nodes[ti]
        before = stats(target)
        rss0 = target.rss_kb()
        for r in range(o.rounds):
            out = subprocess.run([o.poke, "127.0.0.1", str(ports[ti]), "hostile"] + CASES,
                                 capture_output=True, text=True, timeout=60)
            print(out.stdout.strip().replace("\n", "; "))
            if "silent: disconnected" not in out.stdout:
                fails.append(f"round {r}: a link that never said hello was kept")
            # the honest nodes still chat through it all
            nodes[(ti + 1) % 3].send(f"say honest {r}")
            if not wait(lambda: all(any(e.get("text") == f"honest {r}" for e in n.evs("chat"))
                                    for n in nodes), 5):
                fails.append(f"round {r}: honest chat did not reach every node")
        rss1 = target.rss_kb()
        codes = {e.get("code") for e in target.evs("error")}
        missing = EXPECT - codes
        if missing:
            fails.append(f"no error event for: {sorted(missing)}")
        once = [e for e in target.evs("chat") if e.get("text") == "poke said this once"]
        if len(once) != o.rounds:
            fails.append(f"replayed message delivered {len(once)} times in {o.rounds} rounds")
        if any(n.proc.poll() is not None for n in nodes):
            fails.append("a node exited")
        if any(n.evs("BAD_JSON") for n in nodes):
            fails.append("a node printed a line that is not JSON")
        print(f"attacked node VmRSS {rss0} kB -> {rss1} kB after {o.rounds} rounds")
        if rss1 > rss0 + 20000:
            fails.append(f"memory grew by {rss1 - rss0} kB")
        target.send("who")
        if not wait(lambda: target.evs("members"), 3):
            fails.append("attacked node stopped answering")
        # the attack shows in the node's counters (the stats command)
        after = stats(target)
        print("stats before:", {k: before.get(k) for k in COUNTERS})
        print("stats after: ", {k: after.get(k) for k in COUNTERS})
        for k in COUNTERS:
            if not isinstance(after.get(k), int) or after[k] <= (before.get(k) or 0):
                fails.append(f"stats: {k} did not rise under attack "
                             f"({before.get(k)} -> {after.get(k)})")
        if len(after.get("peers") or []) != 2:
            fails.append(f"stats: {len(after.get('peers') or [])} peers listed, 2 expected")
    finally:
        stop(nodes)
    return verdict(fails)


if __name__ == "__main__":
    sys.exit(main())
