"""room: lanmeet processes and what they said.

Node is one `lanmeet --headless --events json` process (its command line,
its stdin, the events its stdout gave), the one every harness here uses;
Room is the nodes of one lmsim run: it launches them (on loopback or on the
simulated hosts of hosts.py), waits on their events under one condition,
records checks and figures, measures elections and chat delivery, and stops
every node at the end. For nodes without a Room (hostile.py, members.py,
trials.py): free_port, wait (on their events), stop and verdict. Also the
event contract, the harness's exceptions and its signal state.
Python 3 standard library only.
"""
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter

import hosts as lmhosts

READY_TIMEOUT = 5.0
REQUIRED = {  # the event contract (DESIGN.md section 8); "ev" and "t" always
    "ready": ("id", "name", "room", "port", "version"),
    "peer_joined": ("id", "name", "addr"),
    "peer_left": ("id", "name", "addr", "reason"),
    "hub": ("hub", "deputy", "term"),
    "chat": ("from", "from_name", "to", "text", "ts"),
    "members": ("peers",),
    "error": ("code", "msg"),
    "audio_stats": ("frame_us", "hub", "streams"),
}
STATE = {"cleaning": 0, "interrupted": False}
CHANGED = threading.Condition()  # notified on every event of a Node without an owner (a Room)


class Interrupted(Exception): pass  # noqa: E701  SIGINT or SIGTERM reached the harness
class RunTimeout(Exception): pass   # noqa: E701  the run went past --timeout
class StepFailed(Exception): pass   # noqa: E701  a fatal check failed: the scenario stops
class NodeCrashed(Exception): pass  # noqa: E701  a node exited that the harness did not stop


def free_udp_ports(count):
    """count distinct UDP ports free on 127.0.0.1 right now."""
    socks = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            socks.append(s)
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def status(rc):
    return f"killed by {signal.Signals(-rc).name}" if rc is not None and rc < 0 else f"status {rc}"


def find(node, text):
    """Chat events with this text seen by node."""
    return [e for e in node.chats if e.get("text") == text]


class Node:
    """One `lanmeet --headless --events json` process: its command line, its
    stdin, and what its stdout said. The process starts at construction.

    Every event is kept in .events (in arrival order, each with "_h", the
    harness's time.monotonic() when its line arrived; a line that is not a
    JSON object becomes {"ev": "BAD_JSON", "line": ...}) and, folded, in
    .ready, .id, .port, .hub_ev, .hubs, .peers, .chats, .got, .members and
    .errors. The reader thread holds .cond (also .lock) while it records an
    event and notifies it after; read under it.

    owner: the Room the node belongs to (lmsim): its condition, its run
    directory for the logs (NAME.stderr.log, NAME.events.log, times from the
    run's start), its harness log for command lines, stdin lines and signals,
    its harness_errors. Without an owner (hostile.py, members.py, trials.py)
    the node notifies the module's CHANGED, which wait() waits on, and keeps
    its stderr and events (times on the monotonic clock) only when
    LM_TRIAL_LOGS names a directory: NAME.PORT.TIME.log and .events there.

    peers: ports on 127.0.0.1 (int) or "ADDR:PORT" strings, for --peer;
    mdns: leave mDNS on (no --no-mdns); forced: --host; extra: more
    arguments; hostobj: the simulated host (hosts.Host) it runs on, None on
    loopback. password goes in LANMEET_PASSWORD, never on the command line.
    stdin and stdout are text pipes in latin-1, so any byte goes through
    (callers may write str to .proc.stdin); the events are decoded as UTF-8.
    """

    def __init__(self, binary, name, port, peers=(), password=None, identity="ephemeral",
                 room="hostile", extra=(), mdns=False, forced=False, hostobj=None, owner=None):
        self.name, self.room, self.forced, self.hostobj, self.owner = name, room, forced, hostobj, owner
        self.addr = hostobj.addr if hostobj else "127.0.0.1"
        self.port_asked = port
        self.peer_addrs = [p if isinstance(p, str) else f"127.0.0.1:{p}" for p in peers]
        self.cond = self.lock = owner.cond if owner else CHANGED
        self.t0 = owner.t0 if owner else 0.0  # the events log's times are from here
        self.log = owner.log if owner else (lambda msg: None)
        self.events = []
        self.exit = self.id = self.port = self.ready = self.hub_ev = self.members = None
        self.peers = {}  # peer id -> its latest peer_joined / peer_left event
        self.hubs, self.chats, self.errors, self.bad, self.contract = [], [], [], [], []
        self.got = Counter()  # (from, text) of group messages -> copies received
        self.eof = self.killed = self.stopped = self.quitting = False
        self.extra = {}  # per-node figures for lmsim's report

        cmd = [binary, "--headless", "--events", "json", "--name", name, "--room", room,
               "--identity", identity, "--port", str(port)] + list(extra)
        if forced:
            cmd.append("--host")
        if not any(a.startswith(("--mic", "--speaker", "--no-audio")) for a in extra):
            cmd += ["--mic", "none", "--speaker", "none"]  # never the machine's sound card
        if not any(a.startswith(("--camera", "--no-camera")) for a in extra):
            cmd.append("--no-camera")  # nor its camera
        if not mdns:
            cmd.append("--no-mdns")
        for p in self.peer_addrs:
            cmd += ["--peer", p]
        if hostobj:
            cmd = hostobj.wrap(cmd)
        env = dict(os.environ)
        env.pop("LANMEET_PASSWORD", None)
        if password:
            env["LANMEET_PASSWORD"] = password  # not on the command line
        self.log(f"start {name}: {' '.join(cmd)}")
        self.errpath = self.errf = self.evf = None
        base = None
        if owner:
            base = os.path.join(owner.dir, name)
            self.errpath, evpath = base + ".stderr.log", base + ".events.log"
        elif os.environ.get("LM_TRIAL_LOGS"):  # a directory: keep stderr and events there
            logs = os.environ["LM_TRIAL_LOGS"]
            os.makedirs(logs, exist_ok=True)
            base = os.path.join(logs, f"{name}.{port}.{time.monotonic():.3f}")
            self.errpath, evpath = base + ".log", base + ".events"
        if base:
            self.errf = open(self.errpath, "wb")
            self.evf = open(evpath, "w", encoding="utf-8")
        self.launched = time.monotonic()
        try:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=self.errf or subprocess.DEVNULL, text=True,
                                         encoding="latin-1", env=env,
                                         cwd=owner.dir if owner else None,
                                         start_new_session=True, preexec_fn=lmhosts.child_setup)
        finally:
            if self.errf:
                self.errf.close()  # the child has its own copy
        self.reading = threading.Event()  # cleared: stop reading stdout
        self.reading.set()
        self.reader = threading.Thread(target=self._read, name=name, daemon=True)
        self.reader.start()

    def pause(self):
        """Stops reading its stdout (a front end that stops reading): the
        pipe fills, and the node must hold its events, not lose them."""
        self.reading.clear()

    def resume(self):
        self.reading.set()

    def _read(self):
        for line in iter(self.proc.stdout.readline, ""):
            self.reading.wait()
            h = time.monotonic()
            # the pipe is read as latin-1 so any byte gets through; the
            # events themselves are UTF-8
            line = line.encode("latin-1").decode("utf-8", "replace").rstrip("\r\n")
            with self.cond:
                if self.evf:
                    self.evf.write(f"{h - self.t0:9.3f} {line}\n")
                    self.evf.flush()
                try:
                    ev = json.loads(line)
                    if not isinstance(ev, dict):
                        raise ValueError("not a JSON object")
                except ValueError as e:
                    ev = {"ev": "BAD_JSON", "line": line}
                    if line.strip():
                        self.bad.append(line[:200])
                        if self.owner:
                            self.owner.harness_errors.append(
                                f"{self.name}: bad stdout line {line[:120]!r}: {e}")
                ev["_h"] = h
                self.events.append(ev)
                self._apply(ev)
                self.cond.notify_all()
        with self.cond:
            self.eof = True
            if self.evf:
                self.evf.close()
            self.cond.notify_all()

    def _apply(self, ev):
        kind = ev.get("ev")
        if kind == "BAD_JSON":
            return
        miss = [f for f in ("ev", "t") + REQUIRED.get(kind, ()) if f not in ev]
        if miss:
            self.contract.append(f"{kind} event without {','.join(miss)}")
        if kind == "ready":
            self.ready, self.id, self.port = ev, ev.get("id"), ev.get("port")
            for f, want in (("name", self.name), ("room", self.room)):
                if ev.get(f) != want:
                    self.contract.append(f"ready: {f}={ev.get(f)!r}, expected {want!r}")
            if self.port_asked and self.port != self.port_asked:
                self.contract.append(f"ready: port {self.port}, asked for {self.port_asked}")
        elif kind in ("peer_joined", "peer_left"):
            self.peers[ev.get("id")] = ev
        elif kind == "hub":
            self.hub_ev = ev
            self.hubs.append(ev)
        elif kind == "chat":
            self.chats.append(ev)
            if ev.get("to") is None:
                self.got[(ev.get("from"), ev.get("text"))] += 1
        elif kind == "members":
            self.members = ev
        elif kind == "error":
            self.errors.append(ev)

    # ---- what it said
    def evs(self, kind):
        """Its events of this kind, in order."""
        with self.lock:
            return [e for e in self.events if e.get("ev") == kind]

    def hub(self):
        """The hub its latest hub event names."""
        with self.lock:
            return self.hub_ev.get("hub") if self.hub_ev else None

    def texts(self, room_only=True):
        """The texts of the chat it received (room_only: group chat only)."""
        with self.lock:
            return [e.get("text") for e in self.chats if not room_only or e.get("to") is None]

    @property
    def live(self):
        return self.ready is not None and not (self.eof or self.killed or self.stopped)

    def linked(self):
        return {i for i, e in self.peers.items() if e.get("ev") == "peer_joined"}

    # ---- driving it
    def send(self, line):
        """One line on its stdin; False if it has exited or the pipe is gone."""
        if self.proc.poll() is not None:
            return False
        try:
            self.proc.stdin.flush()  # what a caller wrote to .proc.stdin goes first
            self.proc.stdin.buffer.write((line + "\n").encode("utf-8"))
            self.proc.stdin.buffer.flush()
        except OSError:
            return False
        self.log(f"{self.name} <- {line}")
        return True

    def signal(self, sig):
        os.kill(self.proc.pid, sig)
        self.killed = self.killed or sig == signal.SIGKILL
        self.stopped = sig == signal.SIGSTOP or (self.stopped and sig != signal.SIGCONT)
        self.log(f"{signal.Signals(sig).name} {self.name} (pid {self.proc.pid})")
        return time.monotonic()

    # ---- what the kernel says of it
    def cpu_ticks(self):
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime

    def rss_kb(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def stderr_tail(self, lines=3):
        if not self.errpath:
            return ""
        with open(self.errpath, "rb") as f:
            return " | ".join(f.read()[-2000:].decode("utf-8", "replace").splitlines()[-lines:])


# ---- nodes without a Room: hostile.py, members.py, trials.py
POLL = 0.05  # wait() looks again at least this often: some conditions are no event


def free_port():
    """A UDP port free on 127.0.0.1 right now."""
    return free_udp_ports(1)[0]


def wait(cond, timeout):
    """cond() until true (True) or timeout (cond()'s last value). It is
    evaluated under CHANGED, each time a node without an owner has an event
    and at least every POLL s."""
    end = time.monotonic() + timeout
    with CHANGED:
        while True:
            if cond():
                return True
            left = end - time.monotonic()
            if left <= 0:
                return cond()
            CHANGED.wait(min(left, POLL))


def verdict(fails):
    """Prints each failure and the overall word; the exit status."""
    for f in fails:
        print("FAIL", f)
    print("PASS" if not fails else "FAIL")
    return 1 if fails else 0


def stop(nodes):
    """quit on every node's stdin; SIGKILL what is left after 3 s."""
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


class Room:
    """The nodes of one run, the condition they signal, checks and figures."""

    def __init__(self, o, rundir, seed):
        self.o, self.dir, self.seed = o, rundir, seed
        os.makedirs(rundir, exist_ok=True)
        self.rng = random.Random(seed)
        self.cond = threading.Condition()
        self.nodes, self.ports, self.ids = [], [], set()
        self.checks, self.figures, self.chat, self.harness_errors = [], {}, {}, []
        self.t0 = time.monotonic()
        self.deadline = self.t0 + o.timeout
        self.lan, self.planned = None, 0  # host mode: the hosts.Lan; nodes planned
        self.info, self.hostfigs = {}, {}  # non-numeric results; figures per host
        self.logf = open(os.path.join(rundir, "harness.log"), "w", encoding="utf-8")

    def log(self, msg):
        line = f"{time.monotonic() - self.t0:9.3f} {msg}"
        self.logf.write(line + "\n")
        self.logf.flush()
        if self.o.verbose:
            print(line, file=sys.stderr)

    def new_id(self):
        while True:
            i = self.rng.getrandbits(64)
            if i and i not in self.ids:
                self.ids.add(i)
                return i

    def node(self, id_):
        return next((n for n in self.nodes if n.id == id_), None)

    def nm(self, id_):
        n = self.node(id_)
        return n.name if n else str(id_)

    # ---- processes
    def plan(self, total):
        """Static discovery: pick the ports of every node the run will start."""
        self.planned = total
        if self.o.discovery == "static" and not self.lan:
            self.ports = free_udp_ports(total)

    def endpoint(self, i):
        """Host mode: node i runs on host i mod H, port BASE_PORT + i div H."""
        hs = self.lan.hosts
        h = hs[i % len(hs)]
        return h, h.addr, lmhosts.BASE_PORT + i // len(hs)

    def launch(self, count, host=False):
        """Start count more nodes at once; wait for their ready events."""
        new, o = [], self.o
        for _ in range(count):
            i, port, peers, hostobj = len(self.nodes), 0, [], None
            if self.lan:
                hostobj, _, port = self.endpoint(i)
                if self.o.discovery == "static":
                    peers = ["%s:%d" % self.endpoint(j)[1:] for j in range(max(self.planned, i + 1)) if j != i]
            elif self.o.discovery == "static":
                while i >= len(self.ports):
                    self.ports += [p for p in free_udp_ports(1) if p not in self.ports]
                port = self.ports[i]
                peers = [f"127.0.0.1:{p}" for j, p in enumerate(self.ports) if j != i]
            n = Node(o.binary, f"node{i}", port, peers, room=o.room, extra=["--test-faults"],
                     mdns=o.discovery != "static", forced=host, hostobj=hostobj, owner=self)
            self.nodes.append(n)
            new.append(n)
        ok = self.wait(lambda: all(n.ready for n in new), READY_TIMEOUT)
        names = ",".join(n.name for n in new)
        self.check("ready", ok, f"{names} ready" if ok else "no ready event from " + ",".join(
            n.name for n in new if not n.ready) + f" within {READY_TIMEOUT:g} s", fatal=True)
        if self.o.loss > 0:
            for n in new:
                n.send(f"test_drop {self.o.loss:g}")
        return new

    # ---- waiting
    def wait(self, pred, timeout):
        """pred() under the lock until true (returned) or timeout (None)."""
        end = min(time.monotonic() + timeout, self.deadline)
        with self.cond:
            while True:
                for n in self.nodes:
                    if n.eof and not (n.killed or n.quitting):
                        raise NodeCrashed(n.name)
                r = pred()
                if r:
                    return r
                left = end - time.monotonic()
                if left <= 0:
                    if time.monotonic() >= self.deadline:
                        raise RunTimeout()
                    return None
                self.cond.wait(min(left, 0.25))

    def sleep(self, seconds):
        self.wait(lambda: False, seconds)

    def check(self, name, ok, detail="", fatal=False, note=False):
        self.checks.append({"name": name, "ok": bool(ok), "detail": detail,
                            "severity": "note" if note else "check"})
        self.log(f"{'ok  ' if ok else 'FAIL' if not note else 'note'} {name}: {detail}")
        if not ok and fatal:
            raise StepFailed(name)

    # ---- election
    def agreement(self, group):
        """Under the lock: the (hub, deputy) every node of group holds, if all
        hold the same one, inside the group, and each is linked to exactly
        the rest of the group; with t, the time of the last hub or peer
        event that made it so."""
        ids = {n.id for n in group}
        key, t = None, 0.0
        for n in group:
            h = n.hub_ev
            if h is None or n.linked() != ids - {n.id}:
                return None
            k = (h.get("hub"), h.get("deputy"))
            if k[0] not in ids or (len(group) > 1 and (k[1] not in ids or k[1] == k[0])):
                return None
            if key is not None and k != key:
                return None
            key = k
            t = max([t, h["_h"]] + [e["_h"] for e in n.peers.values()])
        return {"hub": key[0], "deputy": key[1], "t": t}

    def new_hub(self, group, old):
        """Under the lock: every node of group names the same hub, not old."""
        hubs = {n.hub_ev.get("hub") if n.hub_ev else None for n in group}
        h = hubs.pop() if len(hubs) == 1 else None
        if h is None or h == old:
            return None
        return {"hub": h, "t": max(n.hub_ev["_h"] for n in group)}

    def describe(self, group):
        with self.cond:
            out = []
            for n in group:
                h = n.hub_ev or {}
                out.append(f"{n.name}: hub={self.nm(h.get('hub'))} deputy={self.nm(h.get('deputy'))} "
                           f"term={h.get('term')} linked=[{','.join(sorted(self.nm(i) for i in n.linked()))}]")
            return "; ".join(out)

    def converge(self, group, since, limit, figure, note=False):
        """Wait until group agrees and stays so for --settle s; record the
        time from since as figure, check it against limit."""
        end = time.monotonic() + max(3 * limit, 10.0)
        res = None
        while time.monotonic() < end:
            res = self.wait(lambda: self.agreement(group), end - time.monotonic())
            if not res:
                break
            key = (res["hub"], res["deputy"])

            def moved():
                a = self.agreement(group)
                return a is None or (a["hub"], a["deputy"]) != key
            if not self.wait(moved, self.o.settle):
                break
            self.log(f"{figure}: agreement moved, waiting again")
            res = None
        if not res:
            self.check(figure, False, "no stable agreement: " + self.describe(group), fatal=True)
        took = res["t"] - since
        self.figures[figure] = round(took, 3)
        self.check(f"{figure} <= {limit:g}", took <= limit,
                   f"{took:.3f} s, hub {self.nm(res['hub'])}, deputy {self.nm(res['deputy'])}", note=note)
        return res

    def who(self, group, res):
        """Ask every node `who`; check the members events against res."""
        t = time.monotonic()
        for n in group:
            n.send("who")
        ok = self.wait(lambda: all(n.members and n.members["_h"] >= t for n in group), 3.0)
        bad, ids = [], {n.id for n in group}
        want = {i: "hub" if i == res["hub"] else "deputy" if i == res["deputy"] else "member" for i in ids}
        with self.cond:
            for n in group:
                if not n.members:
                    bad.append(f"{n.name}: no members event")
                    continue
                roles = {p.get("id"): p.get("role") for p in n.members.get("peers") or []}
                if roles != want:
                    bad.append(f"{n.name}: " + ",".join(f"{self.nm(i)}={r}" for i, r in sorted(roles.items())))
        self.check("members", ok and not bad, "; ".join(bad[:4]) or
                   f"all {len(group)} list the {len(ids)} members with the agreed roles")

    # ---- chat
    def say(self, senders, count, tag, expect, gap=None):
        """Every sender says count group messages, interleaved; each text is
        unique; expect: the nodes that must receive them; gap: the pause
        between rounds (default --chat-gap)."""
        msgs, names = [], {x.name for x in expect}
        for k in range(count):
            order = list(senders)
            self.rng.shuffle(order)
            for n in order:
                m = {"text": f"m {n.name} {tag}{k}", "from": n.id, "sender": n.name, "expect": set(names)}
                msgs.append(m)
                n.send("say " + m["text"])
                m["h"] = time.monotonic()
            self.sleep(self.o.chat_gap if gap is None else gap)
        return msgs

    def deliver(self, label, msgs, nodes=None):
        """Wait until every live expected node has every message."""
        nodes = nodes or self.nodes

        def done():
            return all(n.got[(m["from"], m["text"])] for n in nodes if n.live
                       for m in msgs if n.name in m["expect"])
        ok = self.wait(done, self.o.chat_timeout)
        self.log(f"{label}: {len(msgs)} messages {'delivered' if ok else 'NOT all delivered'}")
        return ok

    def chat_report(self, label, msgs, nodes, gaps=True, note=False):
        """Per-node sent/delivered/lost/duplicated/out-of-order figures for
        msgs, and the room's agreement on their seq numbers."""
        texts = {m["text"]: m for m in msgs}
        views, seqs, lat, hlat = {}, {}, [], {}
        with self.cond:
            for n in nodes:
                seen, order, dup = {}, [], 0
                for e in n.chats:
                    if e.get("to") is not None or e.get("text") not in texts:
                        continue
                    key = (e.get("from"), e["text"])
                    if key in seen:
                        dup += 1
                        continue
                    seen[key] = e
                    order.append(e)
                    if not e.get("history"):
                        lat.append(e["_h"] - texts[e["text"]]["h"])
                        if n.hostobj:
                            hlat.setdefault(n.hostobj.name, []).append(lat[-1])
                    seqs.setdefault(e["text"], Counter())[e.get("seq")] += 1
                views[n.name] = (seen, order, dup)
        canon = {t: c.most_common(1)[0][0] for t, c in seqs.items()}
        conflicts = sum(1 for c in seqs.values() if len(c) > 1)
        used = [v for v in canon.values() if isinstance(v, int)]
        reused = len(used) - len(set(used))  # one seq given to several texts
        per, missing = {}, []
        for n in nodes:
            seen, order, dup = views[n.name]
            exp = [m for m in msgs if n.name in m["expect"]]
            lost = [m["text"] for m in exp if (m["from"], m["text"]) not in seen]
            missing += [f"{n.name} lacks {t!r}" for t in lost[:2]]
            ooo, top = 0, None
            for e in order:
                s = e.get("seq")
                if not isinstance(s, int) or (top is not None and s <= top):
                    ooo += 1
                if isinstance(s, int):
                    top = s if top is None else max(top, s)
            per[n.name] = {
                "sent": sum(1 for m in msgs if m["sender"] == n.name), "expected": len(exp),
                "delivered": len(seen), "lost": len(lost), "duplicated": dup, "out_of_order": ooo,
                "seq_mismatch": sum(1 for e in order if e.get("seq") != canon.get(e["text"])),
                "history": sum(1 for e in order if e.get("history")),
                "foreign": sum(1 for k in seen if n.name not in texts[k[1]]["expect"]),
            }
        self.chat[label] = per
        if self.lan:  # the same figures summed over the nodes of each host
            for h in self.lan.hosts:
                mine = [per[n.name] for n in nodes if n.hostobj is h]
                if mine:
                    hf = {k: sum(p[k] for p in mine) for k in ("expected", "delivered", "lost", "duplicated",
                                                             "out_of_order")}
                    if hlat.get(h.name):
                        hf["latency_p50_ms"] = round(1000 * statistics.median(hlat[h.name]), 1)
                    self.hostfigs.setdefault(h.name, {})[label] = hf
        nums = sorted({v for v in canon.values() if isinstance(v, int)})
        tot = {k: sum(p[k] for p in per.values()) for k in ("lost", "duplicated", "out_of_order", "seq_mismatch")}
        f = {"lost": tot["lost"], "duplicated": tot["duplicated"],
             "reordered": tot["out_of_order"] + tot["seq_mismatch"] + conflicts + reused,
             "seq_gaps": nums[-1] - nums[0] + 1 - len(nums) if nums else 0}
        if lat:
            lat.sort()
            f.update({"latency_p50_ms": round(1000 * lat[len(lat) // 2], 1),
                      "latency_p99_ms": round(1000 * lat[min(len(lat) - 1, int(len(lat) * 0.99))], 1),
                      "latency_max_ms": round(1000 * lat[-1], 1)})
        for k, v in f.items():
            self.figures[f"{label}_{k}"] = v
        self.check(f"{label}: none lost", not f["lost"], f"{f['lost']} lost; " + "; ".join(missing[:4])
                   if f["lost"] else f"{len(msgs)} messages reached all {len(nodes)} expected nodes", note=note)
        self.check(f"{label}: none duplicated", not f["duplicated"], f"{f['duplicated']} extra copies", note=note)
        self.check(f"{label}: one order", not f["reordered"],
                   f"out of order {tot['out_of_order']}, seq differing from the room's "
                   f"{tot['seq_mismatch']}, texts with several seqs {conflicts}, seqs with several texts "
                   f"{reused}", note=note)
        if gaps:
            self.check(f"{label}: seq without gaps", not f["seq_gaps"],
                       f"seq {nums[0]}..{nums[-1]}, {f['seq_gaps']} missing" if nums else "no seq", note=note)
        return f

    # ---- end of run
    def close(self):
        """Quit every node, SIGKILL what is left after --grace, reap all."""
        STATE["cleaning"] += 1
        try:
            gone = [n for n in self.nodes if n.proc and not n.killed and n.proc.poll() is not None]
            self.check("no_crash", not gone, "; ".join(
                f"{n.name} exited by itself, {status(n.proc.returncode)}; stderr: {n.stderr_tail()}"
                for n in gone) or "every node ran until stopped")
            running = [n for n in self.nodes if n.proc and n.proc.poll() is None]
            for n in running:
                n.quitting = True
                if n.stopped:
                    n.signal(signal.SIGCONT)
                n.send("quit")
            end, slow = time.monotonic() + self.o.grace, []
            for n in running:
                try:
                    n.proc.wait(max(0.0, end - time.monotonic()))
                except subprocess.TimeoutExpired:
                    slow.append(n.name)
                    n.proc.kill()
                    n.proc.wait(10)
            for n in self.nodes:
                if n.proc:
                    n.exit = n.proc.returncode
                    n.reader.join(2.0)
                    for f in (n.proc.stdin, n.proc.stdout, n.errf, n.evf):
                        try:
                            f.close()
                        except OSError:
                            pass
            badrc = [f"{n.name} {status(n.exit)}" for n in running if n.name not in slow and n.exit != 0]
            self.check("quit", not slow and not badrc, (f"still running {self.o.grace:g} s after quit: "
                       f"{','.join(slow)}; " if slow else "") + (f"exit status after quit: {','.join(badrc)}"
                       if badrc else ""), note=True)
            bad = [f"{n.name}: {b!r}" for n in self.nodes for b in n.bad]
            self.check("stdout is JSON lines", not bad, "; ".join(bad[:3]))
            contract = [f"{n.name}: {c}" for n in self.nodes for c in n.contract]
            self.check("event fields", not contract, "; ".join(contract[:4]))
            errs = [f"{n.name}: {e.get('code')}: {e.get('msg')}" for n in self.nodes for e in n.errors
                    if not e.get("_expected")]
            self.check("error events", not errs, "; ".join(errs[:4]), note=True)
            if self.lan is not None:
                probs = self.lan.close()
                self.check("hosts removed", not probs, "; ".join(probs) or
                           f"{len(self.lan.hosts)} hosts, their daemons and namespaces removed")
        finally:
            if self.lan is not None:
                self.lan.close()  # idempotent; after an exception above
            self.logf.close()
            STATE["cleaning"] -= 1

    def result(self, k):
        nodes = {n.name: {"id": n.id, "port": n.port, "forced": n.forced, "addr": n.addr,
                          "host": n.hostobj.name if n.hostobj else None, "killed": n.killed, "exit": n.exit,
                          "errors": [f"{e.get('code')}: {e.get('msg')}" for e in n.errors],
                          "bad_lines": len(n.bad), "contract": n.contract[:10],
                          "chat": {lab: per[n.name] for lab, per in self.chat.items() if n.name in per},
                          **n.extra} for n in self.nodes}
        failed = [c["name"] for c in self.checks if not c["ok"] and c["severity"] == "check"]
        out = {"run": k, "seed": self.seed, "pass": not failed, "failed": failed, "figures": self.figures,
               "checks": self.checks, "nodes": nodes, "harness_errors": self.harness_errors,
               "workdir": self.dir}
        if self.info:
            out["info"] = self.info
        if self.lan:
            hs = self.lan.describe()
            for name, d in hs.items():
                d["nodes"] = [n.name for n in self.nodes if n.hostobj and n.hostobj.name == name]
                d["figures"] = self.hostfigs.get(name, {})
            out["hosts"] = hs
        return out

