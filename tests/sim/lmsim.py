#!/usr/bin/env python3
"""lmsim: the simulated-node harness for lanmeet.

Starts N real `lanmeet --headless --events json` processes on loopback,
drives them through their JSON-lines interface, injects faults (SIGKILL,
SIGSTOP, packet loss, partitions), measures what their events say, and
writes a JSON report and a short summary.

  tests/sim/lmsim.py --scenario hubkill --nodes 4 --report out.json
  tests/sim/lmsim.py --scenario hosts_cut --hosts 4      # as root

With --hosts N the nodes run on N simulated hosts instead (hosts.py: one
network namespace per host on a virtual Ethernet switch, each with its own
D-Bus bus and avahi-daemon, so discovery is real mDNS between hosts).

Exit status: 0 every check passed, 1 a check failed, 2 usage error, 77 host
mode cannot run here (not root, no namespaces; ctest "skipped").
Traffic goes to 127.0.0.0/8 only, or in host mode to addresses inside the
namespaces the harness creates; every wait is bounded; every process,
namespace and daemon the harness starts is removed when the run ends.
Python 3 standard library only.
"""
import argparse
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter

import hosts as lmhosts

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
READY_TIMEOUT = 5.0
REQUIRED = {  # the event contract (DESIGN.md section 8); "ev" and "t" always
    "ready": ("id", "name", "room", "port", "version"),
    "peer_joined": ("id", "name", "addr"),
    "peer_left": ("id", "name", "addr", "reason"),
    "hub": ("hub", "deputy", "term"),
    "chat": ("from", "from_name", "to", "text", "ts"),
    "members": ("peers",),
    "error": ("code", "msg"),
}
DEFAULT_NODES = {"soak10": 10, "dm": 3}
MIN_NODES = {"dm": 2, "hubkill": 2, "soak10": 2, "forcehost": 2, "partition": 2, "sigstop": 2}
STATE = {"cleaning": 0, "interrupted": False}


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
    """One lanmeet process: its command line, its stdin, what its stdout said."""

    def __init__(self, room, index, port, peers, forced=False, hostobj=None):
        self.room, self.name, self.forced = room, f"node{index}", forced
        self.hostobj = hostobj  # the simulated host (hosts.Host) it runs on; None on loopback
        self.addr = hostobj.addr if hostobj else "127.0.0.1"
        self.port_asked, self.peer_addrs = port, peers  # peers: "ADDR:PORT" for --peer
        self.proc = self.reader = self.launched = self.exit = None
        self.id = self.port = self.ready = self.hub_ev = self.members = None
        self.peers = {}  # peer id -> its latest peer_joined / peer_left event
        self.hubs, self.chats, self.errors, self.bad, self.contract = [], [], [], [], []
        self.got = Counter()  # (from, text) of group messages -> copies received
        self.eof = self.killed = self.stopped = self.quitting = False
        self.extra = {}  # per-node figures for the report

    def start(self):
        r, o = self.room, self.room.o
        cmd = [o.binary, "--headless", "--events", "json", "--name", self.name,
               "--room", o.room, "--identity", "ephemeral", "--test-faults",
               "--port", str(self.port_asked)]
        if self.forced:
            cmd.append("--host")
        if o.discovery == "static":
            cmd.append("--no-mdns")
            for p in self.peer_addrs:
                cmd += ["--peer", p]
        if self.hostobj:
            cmd = self.hostobj.wrap(cmd)
        r.log(f"start {self.name}: {' '.join(cmd)}")
        self.errf = open(os.path.join(r.dir, self.name + ".stderr.log"), "wb")
        self.evf = open(os.path.join(r.dir, self.name + ".events.log"), "w", encoding="utf-8")
        self.launched = time.monotonic()
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.errf, cwd=r.dir, start_new_session=True,
                                     preexec_fn=lmhosts.child_setup)
        self.reader = threading.Thread(target=self._read, name=self.name, daemon=True)
        self.reader.start()

    def _read(self):
        r = self.room
        for raw in self.proc.stdout:
            h = time.monotonic()
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            if not line.strip():
                continue
            with r.cond:
                self.evf.write(f"{h - r.t0:9.3f} {line}\n")
                try:
                    ev = json.loads(line)
                    if not isinstance(ev, dict):
                        raise ValueError("not a JSON object")
                except ValueError as e:
                    self.bad.append(line[:200])
                    r.harness_errors.append(f"{self.name}: bad stdout line {line[:120]!r}: {e}")
                    continue
                ev["_h"] = h
                self._apply(ev)
                r.cond.notify_all()
        with r.cond:
            self.eof = True
            r.cond.notify_all()

    def _apply(self, ev):
        kind = ev.get("ev")
        miss = [f for f in ("ev", "t") + REQUIRED.get(kind, ()) if f not in ev]
        if miss:
            self.contract.append(f"{kind} event without {','.join(miss)}")
        if kind == "ready":
            self.ready, self.id, self.port = ev, ev.get("id"), ev.get("port")
            for f, want in (("name", self.name), ("room", self.room.o.room)):
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

    @property
    def live(self):
        return self.ready is not None and not (self.eof or self.killed or self.stopped)

    def linked(self):
        return {i for i, e in self.peers.items() if e.get("ev") == "peer_joined"}

    def send(self, line):
        if self.proc is None or self.proc.poll() is not None:
            return False
        try:
            self.proc.stdin.write((line + "\n").encode())
            self.proc.stdin.flush()
        except OSError:
            return False
        self.room.log(f"{self.name} <- {line}")
        return True

    def signal(self, sig):
        os.kill(self.proc.pid, sig)
        self.killed = self.killed or sig == signal.SIGKILL
        self.stopped = sig == signal.SIGSTOP or (self.stopped and sig != signal.SIGCONT)
        self.room.log(f"{signal.Signals(sig).name} {self.name} (pid {self.proc.pid})")
        return time.monotonic()

    def cpu_ticks(self):
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime

    def stderr_tail(self, lines=3):
        with open(os.path.join(self.room.dir, self.name + ".stderr.log"), "rb") as f:
            return " | ".join(f.read()[-2000:].decode("utf-8", "replace").splitlines()[-lines:])


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
        new = []
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
            n = Node(self, i, port, peers, host, hostobj)
            self.nodes.append(n)
            n.start()
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


# ---- scenarios: each gets the room and the options, records checks/figures

def start_and_converge(room, o, count, total=None):
    room.plan(total or count)
    nodes = room.launch(count)
    res = room.converge(nodes, nodes[0].launched, o.converge_max, "converge_s")
    return nodes, res


def sc_converge(room, o):
    nodes, res = start_and_converge(room, o, o.nodes)
    room.who(nodes, res)


def sc_chat(room, o):
    nodes, _ = start_and_converge(room, o, o.nodes)
    msgs = room.say(nodes, o.messages, "c", nodes)
    room.deliver("chat", msgs)
    room.chat_report("chat", msgs, nodes)


def sc_dm(room, o):
    nodes, _ = start_and_converge(room, o, o.nodes)
    a = nodes[0]
    targets = [(nodes[1], nodes[1].name, "name")] + ([(nodes[2], nodes[2].id, "id")] if len(nodes) > 2 else [])
    for b, addr, how in targets:
        text = f"d {a.name} {b.name} by {how} {room.rng.getrandbits(32):08x}"
        t = time.monotonic()
        a.send(f"dm {addr} {text}")
        got = room.wait(lambda: find(b, text), o.chat_timeout)
        room.check(f"dm by {how}: delivered", got, f"{b.name} got it" if got else f"{b.name} never got {text!r}")
        if not got:
            continue
        room.figures[f"dm_{how}_s"] = round(got[0]["_h"] - t, 3)
        room.sleep(o.dm_quiet)
        with room.cond:
            copies, own = find(b, text), find(a, text)
            leak = [n.name for n in nodes if n not in (a, b) and find(n, text)]
        ev = copies[0]
        room.check(f"dm by {how}: fields", ev.get("from") == a.id and ev.get("to") == [b.id],
                   f"from={room.nm(ev.get('from'))} to={ev.get('to')} (want from={a.name} to=[{b.id}])")
        room.check(f"dm by {how}: no seq", "seq" not in ev, f"seq={ev.get('seq')}", note=True)
        room.check(f"dm by {how}: one copy", len(copies) == 1, f"{b.name} got {len(copies)}")
        room.check(f"dm by {how}: sender's copy", len(own) == 1 and own[0].get("to") == [b.id],
                   f"{a.name} saw {len(own)} copies" + (f", to={own[0].get('to')}" if own else ""))
        room.check(f"dm by {how}: private", not leak, "also seen by " + ",".join(leak) if leak
                   else f"nobody else had it {o.dm_quiet:g} s after delivery")
    for cmd, what in ((f"dm nobody{room.rng.getrandbits(16):04x} hello", "dm to an unknown name"),
                      ("frobnicate now", "an unknown command")):
        t = time.monotonic()
        a.send(cmd)
        e = room.wait(lambda: [x for x in a.errors if x["_h"] >= t], 2.0)
        for x in e or []:
            x["_expected"] = True
        room.check(f"error event for {what}", e, f"{e[0].get('code')}: {e[0].get('msg')}" if e
                   else f"no error event within 2 s for {cmd!r}")


def sc_hubkill(room, o):
    nodes, res = start_and_converge(room, o, o.nodes, total=o.nodes + 1)
    pre = room.say(nodes, o.pre_messages, "a", nodes)
    room.deliver("pre", pre)
    with room.cond:
        res = room.agreement(nodes) or res
    hub, deputy = room.node(res["hub"]), res["deputy"]
    tk = hub.signal(signal.SIGKILL)
    surv = [n for n in nodes if n is not hub]
    fo = room.wait(lambda: room.new_hub(surv, hub.id), max(3 * o.failover_max, 10.0))
    room.check("failover", fo, f"new hub {room.nm(fo['hub'])}" if fo else
               "survivors never agreed on a new hub: " + room.describe(surv), fatal=True)
    took = fo["t"] - tk
    room.figures["failover_s"] = round(took, 3)
    room.check(f"failover_s <= {o.failover_max:g}", took <= o.failover_max, f"{took:.3f} s")
    room.check("deputy took over", fo["hub"] == deputy,
               f"old deputy {room.nm(deputy)}, new hub {room.nm(fo['hub'])}")
    room.converge(surv, tk, o.converge_max, "failover_settled_s", note=True)
    post = room.say(surv, o.messages, "b", surv)
    room.deliver("post", post)
    late = room.launch(1)[0]
    res3 = room.converge(surv + [late], late.launched, o.converge_max, "join_s")
    room.check("hub sticky on join", res3["hub"] == fo["hub"],
               f"hub {room.nm(res3['hub'])} after {late.name} joined")
    for m in pre + post:
        m["expect"].add(late.name)
    room.deliver("history", pre + post, nodes=[late])
    room.chat_report("chat", pre + post, nodes + [late])
    per = room.chat["chat"][late.name]
    room.check("history complete", per["lost"] == 0,
               f"{late.name} got {per['delivered']} of {len(pre + post)} earlier messages")
    room.check("history flagged", per["delivered"] and per["history"] == per["delivered"],
               f"{per['history']} of {per['delivered']} carry history:true")


def sc_forcehost(room, o):
    nodes, _ = start_and_converge(room, o, o.nodes - 1, total=o.nodes)
    forced = room.launch(1, host=True)[0]
    res = room.converge(nodes + [forced], forced.launched, o.converge_max, "forcehost_s")
    room.check("forced node is hub", res["hub"] == forced.id, f"hub {room.nm(res['hub'])}")


def sc_partition(room, o):
    nodes, _ = start_and_converge(room, o, o.nodes)
    half = len(nodes) // 2
    a, b = nodes[:half], nodes[half:]

    def cut(cmd):
        for x in a:
            for y in b:
                x.send(f"{cmd} {y.addr}:{y.port}")
                y.send(f"{cmd} {x.addr}:{x.port}")
    tc = time.monotonic()
    cut("test_block")
    room.converge(a, tc, o.split_max, "split_a_s")
    room.converge(b, tc, o.split_max, "split_b_s")
    room.figures["split_s"] = max(room.figures["split_a_s"], room.figures["split_b_s"])
    cut_a = room.say(a, o.pre_messages, "x", a)
    cut_b = room.say(b, o.pre_messages, "y", b)
    room.deliver("cut", cut_a + cut_b)
    room.chat_report("cut_a", cut_a, a)
    room.chat_report("cut_b", cut_b, b)
    th = time.monotonic()
    cut("test_unblock")
    room.converge(nodes, th, o.heal_max, "heal_s")
    healed = room.say(nodes, o.messages, "h", nodes)
    room.deliver("healed", healed)
    room.chat_report("healed", healed, nodes)
    # messages sent during the cut: reported, never failed on
    room.chat_report("cut_after_heal", cut_a + cut_b, nodes, gaps=False, note=True)
    cross = {n.name: room.chat["cut_after_heal"][n.name]["foreign"] for n in nodes}
    for n in nodes:
        n.extra["cut_msgs_from_other_half"] = cross[n.name]
    room.check("cut messages crossed after heal", all(cross[n.name] == len(cut_b if n in a else cut_a)
               for n in nodes), "got from the other half: " + ", ".join(f"{k} {v}" for k, v in cross.items())
               + f" (of {len(cut_b)} for {a[0].name}.., {len(cut_a)} for {b[0].name}..)", note=True)


def sc_sigstop(room, o):
    nodes, res = start_and_converge(room, o, o.nodes)
    cand = [n for n in nodes if n.id not in (res["hub"], res["deputy"])] or \
        [n for n in nodes if n.id != res["hub"]]
    v = cand[-1]
    others = [n for n in nodes if n is not v]
    ts = v.signal(signal.SIGSTOP)

    def left():
        return all(n.peers.get(v.id, {}).get("ev") == "peer_left" and n.peers[v.id]["_h"] >= ts
                   for n in others)
    seen = room.wait(left, o.stop_seconds)
    if seen:
        with room.cond:
            room.figures["left_seen_s"] = round(max(n.peers[v.id]["_h"] for n in others) - ts, 3)
    room.check("stopped node seen leaving", seen, f"{room.figures.get('left_seen_s')} s" if seen
               else f"not within {o.stop_seconds:g} s: " + room.describe(others))
    room.sleep(max(0.0, ts + o.stop_seconds - time.monotonic()))
    with room.cond:
        a = room.agreement(others)
        flips = [f"{n.name}->{room.nm(e.get('hub'))}" for n in others for e in n.hubs
                 if e["_h"] >= ts and e.get("hub") != res["hub"]]
    room.check("one hub while stopped", a and a["hub"] == res["hub"] and not flips,
               f"hub {room.nm(res['hub'])} kept" if a and not flips else
               f"changes {flips[:4]}; now {room.describe(others)}")
    tc = v.signal(signal.SIGCONT)
    fin = room.converge(nodes, tc, o.heal_max, "rejoin_s")
    with room.cond:
        back = [n.name for n in others if n.peers.get(v.id, {}).get("ev") == "peer_joined"
                and n.peers[v.id]["_h"] >= ts]
    room.check("stopped node seen rejoining", len(back) == len(others), f"by {len(back)} of {len(others)}")
    room.check("hub unchanged after rejoin", fin["hub"] == res["hub"],
               f"before {room.nm(res['hub'])}, after {room.nm(fin['hub'])}")


def sc_idle(room, o):
    nodes, _ = start_and_converge(room, o, o.nodes)
    hz = os.sysconf("SC_CLK_TCK")
    t1, c1 = time.monotonic(), {n.name: n.cpu_ticks() for n in nodes}
    room.sleep(o.idle_seconds)
    t2, c2 = time.monotonic(), {n.name: n.cpu_ticks() for n in nodes}
    pct = {k: round(100.0 * (c2[k] - c1[k]) / hz / (t2 - t1), 2) for k in c1}
    for n in nodes:
        n.extra["idle_cpu_pct"] = pct[n.name]
    room.figures["idle_cpu_max_pct"] = max(pct.values())
    room.figures["idle_cpu_mean_pct"] = round(statistics.mean(pct.values()), 2)
    room.check(f"idle CPU <= {o.idle_cpu_max:g}%", max(pct.values()) <= o.idle_cpu_max,
               ", ".join(f"{k} {v:g}%" for k, v in pct.items()))
    with room.cond:
        churn = [n.name for n in nodes for e in n.hubs if e["_h"] >= t1]
        churn += [n.name for n in nodes for e in n.peers.values() if e["_h"] >= t1]
    room.check("quiet while idle", not churn, f"hub/peer events during the idle window from {sorted(set(churn))}"
               if churn else "no hub or peer events")


# ---- host mode (--hosts N): scenarios on simulated hosts (hosts.py)

def poll(room, fn, timeout, every=0.2):
    """fn() (itself bounded) every `every` s until it returns something
    true: (value, harness time it returned), or (None, None) at timeout."""
    end = time.monotonic() + timeout
    while True:
        v = fn()
        t = time.monotonic()
        if v:
            return v, t
        if t >= end:
            return None, None
        room.sleep(min(every, end - t))


def on_host(nodes, hosts):
    return [n for n in nodes if n.hostobj in hosts]


def signal_host(room, h, sig):
    """Send sig to every node running on host h; returns the harness time."""
    t = time.monotonic()
    for n in room.nodes:
        if n.hostobj is h and n.proc and n.proc.poll() is None and not n.killed:
            n.signal(sig)
    return t


def term_of(room, group, hub):
    with room.cond:
        return max([n.hub_ev.get("term") or 0 for n in group if n.hub_ev and n.hub_ev.get("hub") == hub] or [0])


def host_join_figures(room, nodes):
    """Per node and host: launch to the last peer_joined that linked it to
    every other node (s); and every peer_joined addr is the peer's host."""
    bad = []
    with room.cond:
        for n in nodes:
            joins = [e for e in n.peers.values() if e.get("ev") == "peer_joined"]
            if joins and len(joins) == len(nodes) - 1:
                n.extra["linked_s"] = round(max(e["_h"] for e in joins) - n.launched, 3)
            for e in joins:
                p = room.node(e.get("id"))
                got = str(e.get("addr") or "").rsplit(":", 1)[0]
                if p is not None and got != p.addr:
                    bad.append(f"{n.name} has {p.name} at {e.get('addr')}, not on {p.addr}")
    for h in room.lan.hosts:
        v = [n.extra["linked_s"] for n in nodes if n.hostobj is h and "linked_s" in n.extra]
        if v:
            room.hostfigs.setdefault(h.name, {})["linked_s"] = max(v)
    room.check("peer addresses are the hosts' own", not bad, "; ".join(bad[:4]) or
               "every peer_joined names the peer's host address")


def sc_hosts_converge(room, o):
    nodes, res = start_and_converge(room, o, o.nodes)
    room.info["hub"] = f"{room.nm(res['hub'])} on {room.node(res['hub']).hostobj.name}"
    room.who(nodes, res)
    host_join_figures(room, nodes)


def sc_hosts_chat(room, o):
    nodes, res = start_and_converge(room, o, o.nodes)
    room.info["hub"] = f"{room.nm(res['hub'])} on {room.node(res['hub']).hostobj.name}"
    host_join_figures(room, nodes)
    msgs = room.say(nodes, o.messages, "c", nodes)
    room.deliver("chat", msgs)
    room.chat_report("chat", msgs, nodes)


def sc_hosts_cut(room, o):
    """Cut the LAN into two groups of hosts (bridge br1), chat in each
    half, heal, check the winning hub by the rules, chat again; the cut
    messages must reach the other half after the heal."""
    lan = room.lan
    nodes, res0 = start_and_converge(room, o, o.nodes)
    ga, gb = lan.hosts[:len(lan.hosts) // 2], lan.hosts[len(lan.hosts) // 2:]
    a, b = on_host(nodes, ga), on_host(nodes, gb)
    room.info["cut"] = {"A": [h.name for h in ga], "B": [h.name for h in gb],
                        "hub_before": room.nm(res0["hub"]), "term_before": term_of(room, nodes, res0["hub"])}
    tc = time.monotonic()
    lan.cut(gb)
    room.log(f"cut: {','.join(h.name for h in ga)} | {','.join(h.name for h in gb)}")
    ra = room.converge(a, tc, o.split_max, "split_a_s")
    rb = room.converge(b, tc, o.split_max, "split_b_s")
    room.figures["split_s"] = max(room.figures["split_a_s"], room.figures["split_b_s"])
    claims = []
    for lab, grp, r in (("A", a, ra), ("B", b, rb)):
        term = term_of(room, grp, r["hub"])
        claims.append((term, len(grp), -int(r["hub"], 16), r["hub"], lab))
        room.info["cut"][f"hub_{lab}"] = f"{room.nm(r['hub'])} term {term} support {len(grp)}"
    room.check("one hub per half", ra["hub"] != rb["hub"],
               f"A: {room.info['cut']['hub_A']}; B: {room.info['cut']['hub_B']}")
    cut_a = room.say(a, o.pre_messages, "x", a)
    cut_b = room.say(b, o.pre_messages, "y", b)
    room.deliver("cut", cut_a + cut_b)
    room.chat_report("cut_a", cut_a, a)
    room.chat_report("cut_b", cut_b, b)
    if o.cut_hold > 0:
        room.sleep(max(0.0, tc + o.cut_hold - time.monotonic()))
    room.figures["cut_lasted_s"] = round(time.monotonic() - tc, 3)
    win = max(claims)  # higher term, then larger support, then smaller id
    room.info["cut"]["predicted_hub"] = f"{room.nm(win[3])} (half {win[4]})"
    th = time.monotonic()
    lan.heal()
    room.log("healed")
    res = room.converge(nodes, th, o.heal_max, "heal_s")
    room.info["cut"]["hub_after"] = f"{room.nm(res['hub'])} term {term_of(room, nodes, res['hub'])}"
    room.check("heal hub by the rules", res["hub"] == win[3],
               f"hub {room.nm(res['hub'])} after the heal; by term/support/id: {room.nm(win[3])} "
               f"(A: {room.info['cut']['hub_A']}; B: {room.info['cut']['hub_B']})")
    healed = room.say(nodes, o.messages, "h", nodes)
    room.deliver("healed", healed)
    room.chat_report("healed", healed, nodes)
    # the messages of the cut, now expected by every node: reported per node,
    # and one check that fails until the node merges the halves' histories
    names = {n.name for n in nodes}
    merged = [dict(m, expect=set(names)) for m in cut_a + cut_b]
    room.deliver("cut_merge", merged)
    f = room.chat_report("cut_after_heal", merged, nodes, gaps=False, note=True)
    per = room.chat["cut_after_heal"]
    for n in nodes:
        own = cut_a if n in a else cut_b
        other = cut_b if n in a else cut_a
        n.extra["cut_msgs_from_other_half"] = sum(1 for m in other if n.got[(m["from"], m["text"])])
        n.extra["cut_msgs_own_half"] = sum(1 for m in own if n.got[(m["from"], m["text"])])
    room.check("cut_messages_merged", not f["lost"] and not f["duplicated"],
               f"{len(merged)} cut messages ({len(cut_a)} in A, {len(cut_b)} in B) after the heal: " + ", ".join(
                   f"{n.name} lost {per[n.name]['lost']} dup {per[n.name]['duplicated']}" for n in nodes))


def sc_hosts_avahi_restart(room, o):
    """Restart one host's avahi-daemon; time until another host's
    avahi-browse sees that host's nodes again; the room keeps its hub."""
    lan = room.lan
    nodes, res = start_and_converge(room, o, o.nodes)
    hub = room.node(res["hub"])
    target = lan.hosts[o.restart_host - 1] if o.restart_host else hub.hostobj
    observer = next(h for h in lan.hosts if h is not target)
    watched = on_host(nodes, [target])
    want = {n.id for n in watched}
    room.info["avahi_restart"] = {"host": target.name, "observer": observer.name,
                                  "nodes": [n.name for n in watched], "hub": room.nm(res["hub"])}

    def seen():
        got = set()
        for f in lan.browse(observer, o.browse_timeout):
            if len(f) > 9 and f[7] == target.addr:
                txt = ";".join(f[9:])
                got |= {i for i in want if f'"id={i}"' in txt}
        return got

    v, _ = poll(room, lambda: seen() == want, 5.0)
    room.check("seen before the restart", v, f"{observer.name} sees {len(want)} node(s) of {target.name}"
               if v else f"{observer.name} never saw {target.name}'s nodes by avahi-browse", fatal=True)
    with room.cond:
        marks = {n.name: (len(n.hubs), len(n.chats)) for n in nodes}
    tkill = time.monotonic()
    tstop = lan.stop_avahi(target)  # SIGTERM; the time it exited
    g, tg = poll(room, lambda: not seen(), 3.0)
    if g:
        room.figures["avahi_gone_s"] = round(tg - tstop, 3)
    room.check("records withdrawn while stopped", g, f"{observer.name} lost them {tg - tstop:.3f} s after the stop"
               if g else f"{observer.name} still saw them 3 s after the stop", note=True)
    tstart = time.monotonic()
    ok = lan.start_avahi(target, wait=True)
    target.avahi_restarts += 1
    trun = time.monotonic()
    room.check("avahi-daemon restarted", ok, f"RUNNING after {trun - tstart:.3f} s" if ok else
               "not RUNNING within 10 s", fatal=True)
    room.figures["avahi_running_s"] = round(trun - tstart, 3)
    limit = max(3 * o.republish_max, 10.0)
    back, tb = poll(room, lambda: seen() == want, limit, o.browse_every)
    if back:
        room.figures["republish_s"] = round(tb - tstart, 3)
        room.figures["restart_to_seen_s"] = round(tb - tkill, 3)
        room.hostfigs.setdefault(target.name, {})["republish_s"] = room.figures["republish_s"]
    room.check(f"republish_s <= {o.republish_max:g}", back and tb - tstart <= o.republish_max,
               f"{tb - tstart:.3f} s from the new avahi-daemon's start until {observer.name}'s avahi-browse "
               f"saw {target.name}'s node(s) again (polled every {o.browse_every:g} s)" if back else
               f"not seen again within {limit:g} s")
    # and the restarted host sees the others again through its new daemon
    others = {n.id for n in nodes if n.hostobj is not target}

    def sees_all():
        ids = set()
        for f in lan.browse(target, o.browse_timeout):
            ids |= {i for i in others if f'"id={i}"' in ";".join(f[9:])}
        return ids == others
    sa, ts = poll(room, sees_all, limit, o.browse_every)
    if sa:
        room.figures["restarted_sees_all_s"] = round(ts - tstart, 3)
    room.check("restarted host browses the others again", sa, f"{ts - tstart:.3f} s after the start" if sa
               else f"not within {limit:g} s", note=True)
    a = room.wait(lambda: room.agreement(nodes), 3.0)
    with room.cond:  # the target's nodes may say mDNS went away (and came back): expected
        for n in watched:
            for e in n.errors:
                if e["_h"] >= tkill and e.get("code") in ("no_mdns", "mdns_back"):
                    e["_expected"] = True
        flips = [f"{n.name}->{room.nm(e.get('hub'))}" for n in nodes for e in n.hubs[marks[n.name][0]:]
                 if e.get("hub") != res["hub"]]
        left = [f"{n.name}: {room.nm(i)} left" for n in nodes for i, e in n.peers.items()
                if e.get("ev") == "peer_left" and e["_h"] >= tkill]
    room.check("one hub after the restart", a and a["hub"] == res["hub"] and not flips,
               f"hub {room.nm(res['hub'])} kept by all" if a and not flips else
               f"changes {flips[:4]}; now {room.describe(nodes)}")
    room.check("no link lost during the restart", not left, "; ".join(left[:4]) or "none", note=True)
    msgs = room.say(nodes, o.pre_messages, "r", nodes)
    room.deliver("after_restart", msgs)
    room.chat_report("after_restart", msgs, nodes)


def cross_latency(room, msgs, nodes, skip):
    """Delivery times (ms, harness clock: the sender's `say` written to the
    receiver's chat event) between nodes on different hosts, neither on a
    host in skip."""
    by_text = {m["text"]: m for m in msgs}
    out = []
    with room.cond:
        for n in nodes:
            if n.hostobj in skip:
                continue
            first = {}
            for e in n.chats:
                m = by_text.get(e.get("text"))
                if m and e.get("to") is None and not e.get("history") and e["text"] not in first:
                    first[e["text"]] = e
            for t, e in first.items():
                s = room.node(by_text[t]["from"])
                if s and s.hostobj is not n.hostobj and s.hostobj not in skip:
                    out.append(1000.0 * (e["_h"] - by_text[t]["h"]))
    return sorted(out)


def pct(v, q):
    return v[min(len(v) - 1, int(len(v) * q))] if v else None


def sc_hosts_slow(room, o):
    """Chat delivery times between hosts, before and after one host (not the
    hub's or the deputy's) is capped at --slow-rate."""
    lan = room.lan
    nodes, res = start_and_converge(room, o, o.nodes)
    hub, dep = room.node(res["hub"]), room.node(res["deputy"])
    cands = [h for h in lan.hosts if h not in (hub.hostobj, dep.hostobj if dep else None)] or \
        [h for h in lan.hosts if h is not hub.hostobj]
    if not cands:
        room.check("a host to cap", False, "every node is on the hub's host", fatal=True)
    slow = cands[-1]
    room.info["slow"] = {"capped_host": slow.name, "rate": o.slow_rate, "hub": f"{hub.name} on {hub.hostobj.name}",
                         "capped_nodes": [n.name for n in on_host(nodes, [slow])]}
    phase = {}
    for lab in ("before", "after"):
        if lab == "after":
            lan.cap(slow, o.slow_rate)
            room.log(f"capped {slow.name} at {o.slow_rate}")
            room.sleep(0.5)
        msgs = room.say(nodes, o.slow_rounds, lab[0], nodes, gap=o.slow_gap)
        room.deliver(lab, msgs)
        room.chat_report(lab, msgs, nodes)
        lat = cross_latency(room, msgs, nodes, {slow})
        phase[lab] = lat
        if lat:
            room.figures[f"slow_{lab}_p50_ms"] = round(statistics.median(lat), 2)
            room.figures[f"slow_{lab}_p99_ms"] = round(pct(lat, 0.99), 2)
        # the capped host's side: what it receives, what the others get from it
        mine = [1000.0 * (e["_h"] - m["h"]) for n in on_host(nodes, [slow]) for m in msgs
                for e in find(n, m["text"])[:1] if m["sender"] != n.name]
        if mine:
            room.hostfigs.setdefault(slow.name, {})[f"{lab}_recv_p50_ms"] = round(statistics.median(mine), 2)
        if lab == "after":
            per, capped = room.chat["after"], room.info["slow"]["capped_nodes"]
            theirs = [m for m in msgs if m["sender"] in capped]
            out_ok = all(n.got[(m["from"], m["text"])] == 1 for n in nodes for m in theirs)
            in_ok = all(per[n.name]["lost"] == 0 and per[n.name]["duplicated"] == 0
                        for n in on_host(nodes, [slow]))
            room.check("capped host's messages reach all", out_ok, f"{len(theirs)} from {','.join(capped)}; got: "
                       + ", ".join(f"{n.name} {sum(1 for m in theirs if n.got[(m['from'], m['text'])])}"
                                   for n in nodes))
            room.check("capped host receives all", in_ok, ", ".join(
                f"{n.name} lost {per[n.name]['lost']} dup {per[n.name]['duplicated']}"
                for n in on_host(nodes, [slow])))
    st = room.info["slow"]["tc"] = lan.tc_stats(slow)
    room.check("cap in effect", "up" in st and "down" in st and slow.capped,
               f"tbf {slow.capped} on {slow.name}'s eth0 and switch port {slow.port}: " + ", ".join(
                   f"{k} {v['packets']} pkts, {v['overlimits']} overlimits, {v['dropped']} dropped"
                   for k, v in st.items()))
    b, a = phase["before"], phase["after"]
    if not b or not a:
        room.check("slow: delivery times", False, "no cross-host delivery times between the other hosts "
                   "(need at least two other hosts)")
        return
    mb, ma = statistics.median(b), statistics.median(a)
    bar = max(2 * mb, mb + 5.0)
    room.check("others' median within 2x (or +5 ms)", ma <= bar,
               f"median {mb:.2f} ms before, {ma:.2f} ms after capping {slow.name} at {o.slow_rate} "
               f"(bar {bar:.2f} ms); p99 {pct(b, 0.99):.2f} -> {pct(a, 0.99):.2f} ms; {len(b)}/{len(a)} samples")


def sc_hosts_linkdown(room, o):
    """A member host's link goes down for --stop-seconds: the others see its
    nodes leave and keep their hub; link up: it rejoins within --heal-max."""
    lan = room.lan
    nodes, res = start_and_converge(room, o, o.nodes)
    hub, dep = room.node(res["hub"]), room.node(res["deputy"])
    cands = [h for h in lan.hosts if h not in (hub.hostobj, dep.hostobj if dep else None)] or \
        [h for h in lan.hosts if h is not hub.hostobj]
    if not cands:
        room.check("a host to cut off", False, "every node is on the hub's host", fatal=True)
    h = cands[-1]
    gone, rest = on_host(nodes, [h]), [n for n in nodes if n.hostobj is not h]
    room.info["linkdown"] = {"host": h.name, "nodes": [n.name for n in gone]}
    td = time.monotonic()
    lan.set_link(h, False)
    ids = {n.id for n in gone}

    def left():
        return all(n.peers.get(i, {}).get("ev") == "peer_left" and n.peers[i]["_h"] >= td
                   for n in rest for i in ids)
    seen = room.wait(left, o.stop_seconds)
    if seen:
        with room.cond:
            room.figures["left_seen_s"] = round(max(n.peers[i]["_h"] for n in rest for i in ids) - td, 3)
    room.check("nodes of the downed host seen leaving", seen, f"{room.figures.get('left_seen_s')} s" if seen
               else f"not within {o.stop_seconds:g} s: " + room.describe(rest))
    room.sleep(max(0.0, td + o.stop_seconds - time.monotonic()))
    a = room.wait(lambda: room.agreement(rest), 1.0)
    room.check("hub kept while the link is down", a and a["hub"] == res["hub"],
               room.describe(rest) if not a else f"hub {room.nm(a['hub'])}")
    tu = time.monotonic()
    lan.set_link(h, True)
    fin = room.converge(nodes, tu, o.heal_max, "rejoin_s")
    room.check("hub after the link is back", fin["hub"] == res["hub"],
               f"before {room.nm(res['hub'])}, after {room.nm(fin['hub'])}", note=True)
    msgs = room.say(nodes, o.pre_messages, "l", nodes)
    room.deliver("after_linkup", msgs)
    room.chat_report("after_linkup", msgs, nodes)


def sc_hosts_hostkill(room, o):
    """SIGKILL every node on the hub's host: the survivors elect a hub
    within --failover-max and chat on."""
    nodes, res = start_and_converge(room, o, o.nodes)
    hub = room.node(res["hub"])
    h = hub.hostobj
    surv = [n for n in nodes if n.hostobj is not h]
    if not surv:
        room.check("survivors", False, "every node is on the hub's host", fatal=True)
    room.info["hostkill"] = {"host": h.name, "nodes": [n.name for n in on_host(nodes, [h])]}
    tk = signal_host(room, h, signal.SIGKILL)
    ids = {n.id for n in on_host(nodes, [h])}
    fo = room.wait(lambda: (lambda r: r if r and r["hub"] not in ids else None)(room.new_hub(surv, hub.id)),
                   max(3 * o.failover_max, 10.0))
    room.check("failover", fo, f"new hub {room.nm(fo['hub'])}" if fo else
               "survivors never agreed on a new hub: " + room.describe(surv), fatal=True)
    room.figures["failover_s"] = round(fo["t"] - tk, 3)
    room.check(f"failover_s <= {o.failover_max:g}", fo["t"] - tk <= o.failover_max, f"{fo['t'] - tk:.3f} s")
    room.converge(surv, tk, o.converge_max, "failover_settled_s", note=True)
    msgs = room.say(surv, o.pre_messages, "k", surv)
    room.deliver("after_kill", msgs)
    room.chat_report("after_kill", msgs, surv)


SCENARIOS = {"converge": sc_converge, "chat": sc_chat, "dm": sc_dm, "hubkill": sc_hubkill,
             "forcehost": sc_forcehost, "partition": sc_partition, "sigstop": sc_sigstop,
             "soak10": sc_hubkill, "idle": sc_idle,
             "hosts_converge": sc_hosts_converge, "hosts_chat": sc_hosts_chat, "hosts_cut": sc_hosts_cut,
             "hosts_avahi_restart": sc_hosts_avahi_restart, "hosts_slow": sc_hosts_slow,
             "hosts_linkdown": sc_hosts_linkdown, "hosts_hostkill": sc_hosts_hostkill}
MIN_HOSTS = {"hosts_converge": 1, "hosts_chat": 1, "hosts_cut": 2, "hosts_avahi_restart": 2,
             "hosts_slow": 3, "hosts_linkdown": 2, "hosts_hostkill": 2}


# ---- driver

def run_one(o, k, seed, rundir):
    room = Room(o, rundir, seed)
    room.log(f"run {k}: scenario {o.scenario}, {o.nodes} nodes, {o.discovery}, loss {o.loss:g}, seed {seed}"
             + (f", {o.hosts} hosts" if o.hosts else ", loopback"))
    try:
        if o.hosts:
            room.lan = lmhosts.Lan(o.hosts, rundir, run=k, log=room.log)
            t = time.monotonic()
            room.lan.up()
            room.log(f"{o.hosts} hosts up in {time.monotonic() - t:.3f} s: " + ", ".join(
                f"{h.name} {h.addr} ({h.ns})" for h in room.lan.hosts))
        SCENARIOS[o.scenario](room, o)
    except lmhosts.LanError as e:
        room.check("hosts", False, f"simulated LAN: {e}")
    except StepFailed:
        pass
    except NodeCrashed as e:
        room.log(f"{e} exited unexpectedly; stopping the scenario")
    except RunTimeout:
        room.check("run_timeout", False, f"the run went past --timeout {o.timeout:g} s")
    except Interrupted as e:
        STATE["interrupted"] = True
        room.check("interrupted", False, f"{e} received")
    except Exception:  # a harness bug: report it, still clean up
        room.check("harness_exception", False, traceback.format_exc(limit=4))
        traceback.print_exc()
    finally:
        room.close()
    return room.result(k)


def summarize(runs):
    out = {}
    for key in sorted({f for r in runs for f in r["figures"]}):
        vals = [r["figures"][key] for r in runs if key in r["figures"]]
        out[key] = {"median": round(statistics.median(vals), 3), "worst": max(vals), "n": len(vals)}
    return out


def figure_line(figs):
    """Times and CPU, then lost/duplicated/reordered/gaps and p99 per chat phase."""
    times = " ".join(f"{k}={v:g}" for k, v in figs.items()
                     if k.endswith(("_s", "_pct")) or (k.endswith("_ms") and "latency" not in k))
    chat = "; ".join(f"{lab} " + "/".join(f"{figs.get(f'{lab}_{x}', '-'):g}" for x in (
        "lost", "duplicated", "reordered", "seq_gaps")) + f" p99 {figs.get(f'{lab}_latency_p99_ms', 0):g} ms"
        for lab in (k[:-5] for k in figs if k.endswith("_lost")))
    return times + (f"\n      chat lost/dup/reordered/gaps: {chat}" if chat else "")


def host_lines(r):
    """Host mode: one line per host (address, nodes, figures), then info."""
    out = []
    for name, h in (r.get("hosts") or {}).items():
        nodes = ",".join(f"{n}" + (f" {r['nodes'][n]['addr']}:{r['nodes'][n]['port']}" if n in r["nodes"] else "")
                         for n in h["nodes"])
        figs = "; ".join(f"{k} " + (" ".join(f"{x}={y:g}" for x, y in v.items()) if isinstance(v, dict)
                                    else f"{v:g}") for k, v in h["figures"].items())
        out.append(f"      {name} {h['addr']}: {nodes or '-'}" + (f"  [{figs}]" if figs else ""))
    for k, v in (r.get("info") or {}).items():
        out.append(f"      {k}: {json.dumps(v, default=sorted)}")
    return out


def print_summary(o, report):
    runs = report["results"]
    print(f"lmsim {o.scenario}: {report['mode']} mode" + (f", {o.hosts} hosts" if o.hosts else "") +
          f", {o.nodes} nodes, {o.discovery} discovery, loss {o.loss:g}, "
          f"{len(runs)}/{o.runs} run(s), seed {report['seed']}")
    for r in runs:
        print(f"  run {r['run']}: {'PASS' if r['pass'] else 'FAIL'}  {figure_line(r['figures'])}")
        for line in host_lines(r):
            print(line)
        for c in r["checks"]:
            if not c["ok"]:
                print(f"    {'FAIL' if c['severity'] == 'check' else 'note'} {c['name']}: {c['detail']}")
    if len(runs) > 1:
        print(f"  median: {figure_line({k: v['median'] for k, v in report['summary'].items()})}")
        print(f"  worst:  {figure_line({k: v['worst'] for k, v in report['summary'].items()})}")


def on_signal(signum, _frame):
    STATE["interrupted"] = True
    if not STATE["cleaning"]:
        raise Interrupted(signal.Signals(signum).name)


def parse(argv):
    p = argparse.ArgumentParser(description="Simulated-node harness for lanmeet: nodes on loopback, or "
                                "with --hosts N on N simulated hosts (network namespaces, as root).")
    a = p.add_argument
    a("--binary", default=os.path.join(REPO, "build", "lanmeet"), help="lanmeet binary (default: build/lanmeet)")
    a("--scenario", required=True, choices=sorted(SCENARIOS))
    a("--nodes", type=int, help="number of nodes (default 4; dm 3, soak10 10; hosts_* one per host)")
    a("--hosts", type=int, help="run the nodes on N simulated hosts, round-robin (default: loopback; "
      "hosts_* scenarios 4)")
    a("--discovery", choices=("static", "avahi"), help="static --peer lists, or mDNS (default: static on "
      "loopback, avahi with --hosts)")
    a("--loss", type=float, default=0.0, help="fraction of incoming packets each node drops")
    a("--runs", type=int, default=1)
    a("--report", help="write the JSON report here")
    a("--workdir", help="logs go here (kept); default a temp dir kept only on failure")
    a("--keep", action="store_true", help="keep the default temp dir even on success")
    a("--timeout", type=float, default=60.0, help="bound on one run, seconds")
    a("--seed", type=int, help="seed for node ids and message order")
    a("--room", default="lmsim")
    a("--messages", type=int, default=20, help="group messages per node")
    a("--pre-messages", type=int, default=5, help="messages per node before a kill / during a cut")
    a("--converge-max", type=float, default=3.0)
    a("--failover-max", type=float, default=2.0)
    a("--split-max", type=float, default=3.0)
    a("--heal-max", type=float, default=5.0)
    a("--chat-timeout", type=float, default=10.0)
    a("--chat-gap", type=float, default=0.01, help="pause between rounds of messages")
    a("--dm-quiet", type=float, default=1.0, help="wait this long for stray copies of a dm")
    a("--stop-seconds", type=float, default=3.0)
    a("--idle-seconds", type=float, default=10.0)
    a("--idle-cpu-max", type=float, default=5.0, help="percent of one core")
    a("--settle", type=float, default=0.5, help="an agreement must hold this long")
    a("--grace", type=float, default=1.0, help="wait after quit before SIGKILL")
    a("--republish-max", type=float, default=5.0, help="hosts_avahi_restart bar, s")
    a("--cut-hold", type=float, default=0.0, help="hosts_cut: keep the LAN cut at least this long, s")
    a("--restart-host", type=int, default=0, help="hosts_avahi_restart: host to restart (1..N; default the hub's)")
    a("--browse-every", type=float, default=0.2, help="avahi-browse poll interval, s")
    a("--browse-timeout", type=float, default=2.0, help="bound on one avahi-browse call, s")
    a("--slow-rate", default="1mbit", help="hosts_slow: tbf rate of the capped host")
    a("--slow-rounds", type=int, default=20, help="hosts_slow: messages per node per phase")
    a("--slow-gap", type=float, default=0.05, help="hosts_slow: pause between rounds, s")
    a("-v", "--verbose", action="store_true", help="print the harness log to stderr")
    o = p.parse_args(argv)
    if o.scenario.startswith("hosts_"):
        o.hosts = o.hosts if o.hosts is not None else 4
        if o.hosts < MIN_HOSTS[o.scenario]:
            p.error(f"--scenario {o.scenario} needs --hosts >= {MIN_HOSTS[o.scenario]}")
    o.hosts = o.hosts or 0
    if not 0 <= o.hosts <= 16:
        p.error("--hosts must be 1..16")
    if not 0 <= o.restart_host <= o.hosts:
        p.error(f"--restart-host must be 1..{o.hosts} (or 0: the hub's host)")
    o.discovery = o.discovery or ("avahi" if o.hosts else "static")
    default = o.hosts if o.scenario.startswith("hosts_") else DEFAULT_NODES.get(o.scenario, 4)
    o.nodes = o.nodes if o.nodes is not None else default
    if not MIN_NODES.get(o.scenario, 1) <= o.nodes <= 16:
        p.error(f"--scenario {o.scenario} needs {MIN_NODES.get(o.scenario, 1)}..16 nodes")
    if o.hosts and o.nodes < o.hosts and o.scenario.startswith("hosts_"):
        p.error(f"--scenario {o.scenario} needs at least one node per host")
    if not 0.0 <= o.loss < 1.0 or o.runs < 1 or o.timeout <= 0 or o.messages < 1 or o.pre_messages < 1:
        p.error("need 0 <= --loss < 1, --runs >= 1, --timeout > 0, --messages and --pre-messages >= 1")
    o.binary = os.path.abspath(o.binary)
    if not os.access(o.binary, os.X_OK):
        p.error(f"no executable lanmeet at {o.binary} (build it, or pass --binary)")
    return o


def main(argv=None):
    o = parse(argv)
    if o.hosts:
        why = lmhosts.skip_reason()
        if why:
            print(f"lmsim: skipped: {why}")
            return 77
        lmhosts.sweep_stale(lambda m: print(f"lmsim: {m}", file=sys.stderr))
    seed = o.seed if o.seed is not None else random.SystemRandom().randrange(1 << 31)
    workdir = os.path.abspath(o.workdir) if o.workdir else tempfile.mkdtemp(prefix="lmsim-")
    os.makedirs(workdir, exist_ok=True)
    sigs = (signal.SIGINT, signal.SIGTERM) + ((signal.SIGHUP,) if o.hosts else ())
    old = {s: signal.signal(s, on_signal) for s in sigs}
    runs = []
    try:
        for k in range(1, o.runs + 1):
            if STATE["interrupted"]:
                break
            runs.append(run_one(o, k, seed + k - 1, os.path.join(workdir, f"run{k}")))
    except Interrupted:
        STATE["interrupted"] = True
    finally:
        for s, h in old.items():
            signal.signal(s, h)
    ok = len(runs) == o.runs and all(r["pass"] for r in runs) and not STATE["interrupted"]
    report = {"mode": "hosts" if o.hosts else "loopback", "hosts": o.hosts, "discovery": o.discovery,
              "nodes": o.nodes, "scenario": o.scenario,
              "runs": o.runs, "loss": o.loss, "seed": seed, "binary": o.binary, "pass": ok,
              "interrupted": STATE["interrupted"], "workdir": workdir,
              "thresholds": {k: getattr(o, k) for k in ("converge_max", "failover_max", "split_max",
                                                        "heal_max", "idle_cpu_max", "chat_timeout",
                                                        "republish_max")},
              "results": runs, "summary": summarize(runs)}
    text = json.dumps(report, indent=1, sort_keys=False, default=sorted)
    with open(os.path.join(workdir, "report.json"), "w") as f:
        f.write(text + "\n")
    if o.report:
        with open(o.report, "w") as f:
            f.write(text + "\n")
    print_summary(o, report)
    if ok and not o.workdir and not o.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        print(f"  logs: {workdir}")
    print("PASS" if ok else "INTERRUPTED" if STATE["interrupted"] else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
