#!/usr/bin/env python3
"""Members of a room as people see them, on loopback:

* names: two nodes called "alice" are shown as "alice" (the one that started
  first) and "alice (2)", the same on every node;
* restart: a member killed with SIGKILL and started again with the same
  identity and port leaves and comes back under the same id, and the hub
  does not move;
* stdin: garbage on a node's stdin (random bytes, NULs, invalid UTF-8, an
  overlong line) gets error events and the node goes on serving.

  members.py --binary build/lanmeet

Every wait is bounded; every process is stopped at the end. Exit 0 on
pass, 1 on failure."""
import argparse, os, random, shutil, signal, sys, tempfile, time

from room import Node, free_port, stop, verdict, wait


def ids(node):
    return {e.get("id") for e in node.evs("ready")}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    o = ap.parse_args()
    fails = []
    keydir = tempfile.mkdtemp(prefix="lanmeet-members-")
    ports = [free_port() for _ in range(3)]
    peers = lambda i: [p for p in ports if p != ports[i]]
    names = ["alice", "bob", "alice"]
    nodes = []
    try:
        for i in range(3):
            n = Node(o.binary, names[i], ports[i], peers(i),
                     identity=os.path.join(keydir, str(i)))
            nodes.append(n)
            # a clear start order for the names: a node takes its start time
            # before it says ready, so the next one starts after it (one
            # that never says ready fails "the room did not form" below)
            wait(lambda: n.ready, 3)
        if not wait(lambda: all(len(n.evs("peer_joined")) >= 2 for n in nodes) and
                    all(n.evs("hub") and n.evs("hub")[-1].get("hub") for n in nodes), 8):
            fails.append("the room did not form")

        # names: every node shows the same unique names
        for n in nodes:
            n.send("who")
        wait(lambda: all(n.evs("members") for n in nodes), 3)
        shown = [sorted(p["name"] for p in n.evs("members")[-1]["peers"]) for n in nodes]
        print("names shown:", shown[0])
        if any(s != ["alice", "alice (2)", "bob"] for s in shown):
            fails.append(f"names not unique or not the same everywhere: {shown}")
        first = nodes[0].evs("ready")[0]["id"]
        for n in nodes[1:]:
            row = [p for p in n.evs("members")[-1]["peers"] if p["id"] == first]
            if not row or row[0]["name"] != "alice":
                fails.append("the alice that started first is not the plain 'alice'")

        # restart: kill a member that is not the hub, start it again
        hub = nodes[0].evs("hub")[-1]["hub"]
        victim = next(i for i, n in enumerate(nodes) if n.evs("ready")[0]["id"] != hub)
        vid = nodes[victim].evs("ready")[0]["id"]
        nodes[victim].proc.send_signal(signal.SIGKILL)
        nodes[victim].proc.wait(timeout=3)
        others = [n for i, n in enumerate(nodes) if i != victim]
        if not wait(lambda: all(any(e.get("id") == vid for e in n.evs("peer_left"))
                                for n in others), 3):
            fails.append("the killed member was not seen leaving within 3 s")
        t0 = time.monotonic()
        nodes[victim] = Node(o.binary, names[victim], ports[victim], peers(victim),
                             identity=os.path.join(keydir, str(victim)))
        back = nodes[victim]
        if not wait(lambda: back.evs("ready"), 3) or back.evs("ready")[0]["id"] != vid:
            fails.append("the restarted node did not keep its id (same identity)")
        if not wait(lambda: all(sum(e.get("id") == vid for e in n.evs("peer_joined")) >= 2
                                for n in others) and len(back.evs("peer_joined")) >= 2, 5):
            fails.append("the restarted node did not rejoin within 5 s")
        else:
            print(f"restarted member back in the room after {time.monotonic() - t0:.2f} s")
        wait(lambda: back.evs("hub") and back.evs("hub")[-1].get("hub"), 3)
        if any(n.evs("hub")[-1].get("hub") != hub for n in nodes if n.evs("hub")):
            fails.append("the hub moved when a member restarted")

        # stdin: garbage in, errors out, still serving
        target = others[0]
        rng = random.Random(7)
        junk = bytes(rng.getrandbits(8) for _ in range(4000))
        target.proc.stdin.write(junk.decode("latin-1") + "\n")
        target.proc.stdin.write("say \udcff\n".encode("utf-8", "surrogateescape").decode("latin-1"))
        target.proc.stdin.write("x" * 20000 + "\n")
        target.proc.stdin.write("frobnicate\nwho me\ndm\n")
        target.proc.stdin.flush()
        target.send("say still here")
        if not wait(lambda: all(any(e.get("text") == "still here" for e in n.evs("chat"))
                                for n in nodes), 5):
            fails.append("after garbage on stdin the node's chat did not reach the room")
        codes = {e.get("code") for e in target.evs("error")}
        print("stdin garbage answered with:", sorted(c for c in codes if c))
        if not {"bad_text", "too_long", "unknown_command", "bad_command"} <= codes:
            fails.append(f"missing error events for bad commands: got {sorted(codes)}")
        if any(n.proc.poll() is not None for n in nodes):
            fails.append("a node exited")
    finally:
        stop(nodes)
        shutil.rmtree(keydir, ignore_errors=True)
    return verdict(fails)


if __name__ == "__main__":
    sys.exit(main())
