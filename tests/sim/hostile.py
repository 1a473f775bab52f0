#!/usr/bin/env python3
"""Hostile-peer test: a room of honest nodes keeps working while lmpoke
throws malformed, forged, replayed and flooding traffic at one of them.

  hostile.py --binary build/lanmeet --poke build/lmpoke

Checks: the attacked node reports each attack with an error event and never
crashes; replayed bytes are delivered once; the honest nodes' chat still
reaches everyone; the attacked node's memory (VmRSS) stays within a bound.
Loopback only; every wait is bounded. Exit 0 on pass, 1 on failure."""
import argparse, json, os, socket, subprocess, sys, threading, time

CASES = ["garbage", "early", "version", "room", "forged", "wrongpw",
         "truncated", "unknown", "oversize", "badutf8", "replay", "flood",
         "silent"]
EXPECT = {"bad_message", "version", "bad_peer", "flood"}


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Node:
    def __init__(self, binary, name, port, peers, password=None,
                 identity="ephemeral", room="hostile", extra=()):
        cmd = [binary, "--headless", "--events", "json", "--name", name,
               "--room", room, "--identity", identity, "--no-mdns",
               "--port", str(port)] + list(extra)
        for p in peers:
            cmd += ["--peer", f"127.0.0.1:{p}"]
        self.name, self.port = name, port
        env = dict(os.environ)
        env.pop("LANMEET_PASSWORD", None)
        if password:
            env["LANMEET_PASSWORD"] = password  # not on the command line
        self.events, self.lock = [], threading.Lock()
        logs = os.environ.get("LM_TRIAL_LOGS")  # a directory: keep stderr there
        err = subprocess.DEVNULL
        if logs:
            os.makedirs(logs, exist_ok=True)
            err = open(os.path.join(logs, f"{name}.{port}.{time.monotonic():.3f}.log"), "wb")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE,
                                     stderr=err, text=True,
                                     encoding="latin-1", env=env)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            # the pipe is read as latin-1 so any byte gets through; the
            # events themselves are UTF-8
            line = line.encode("latin-1").decode("utf-8", "replace")
            try:
                ev = json.loads(line)
            except ValueError:
                ev = {"ev": "BAD_JSON", "line": line}
            with self.lock:
                self.events.append(ev)

    def send(self, line):
        self.proc.stdin.flush()
        self.proc.stdin.buffer.write((line + "\n").encode("utf-8"))
        self.proc.stdin.buffer.flush()

    def evs(self, kind):
        with self.lock:
            return [e for e in self.events if e.get("ev") == kind]

    @property
    def id(self):
        r = self.evs("ready")
        return r[0].get("id") if r else None

    def hub(self):
        h = self.evs("hub")
        return h[-1].get("hub") if h else None

    def texts(self, room_only=True):
        return [e.get("text") for e in self.evs("chat")
                if not room_only or e.get("to") is None]

    def rss_kb(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0


def wait(cond, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.05)
    return cond()


def verdict(fails):
    """Prints each failure and the overall word; the exit status."""
    for f in fails:
        print("FAIL", f)
    print("PASS" if not fails else "FAIL")
    return 1 if fails else 0


def stop(nodes):
    for n in nodes:
        try:
            n.send("quit")
        except OSError:
            pass
    for n in nodes:
        try:
            n.proc.wait(timeout=3)
        except subprocess.TimeoutExpired:
            n.proc.kill()


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
        wait(lambda: eve.evs("error"), 5)
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
    finally:
        stop(nodes)
    return verdict(fails)


if __name__ == "__main__":
    sys.exit(main())
