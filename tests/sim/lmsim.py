#!/usr/bin/env python3
"""lmsim: the simulated-node harness for lanmeet.

Starts N real `lanmeet --headless --events json` processes on loopback,
drives them through their JSON-lines interface, injects faults (SIGKILL,
SIGSTOP, packet loss, partitions), measures what their events say, and
writes a JSON report and a short summary.

  tests/sim/lmsim.py --scenario hubkill --nodes 4 --report out.json

Exit status: 0 every check passed, 1 a check failed, 2 usage error.
Traffic goes to 127.0.0.0/8 only; every wait is bounded; every process the
harness starts is killed when the run ends. Python 3 standard library only.
"""
import argparse
import ctypes
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


try:
    _PRCTL = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError):
    _PRCTL = None


def _child_setup():
    """Runs in the child before exec: die with the harness (PR_SET_PDEATHSIG)."""
    if _PRCTL is not None:
        _PRCTL(1, ctypes.c_ulong(signal.SIGKILL), ctypes.c_ulong(0),
               ctypes.c_ulong(0), ctypes.c_ulong(0))


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

    def __init__(self, room, index, port, peer_ports, host=False):
        self.room, self.name, self.host = room, f"node{index}", host
        self.want_id = "%016x" % room.new_id()
        self.port_asked, self.peer_ports = port, peer_ports
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
               "--room", o.room, "--id", self.want_id, "--test-faults",
               "--port", str(self.port_asked)]
        if self.host:
            cmd.append("--host")
        if o.discovery == "static":
            cmd.append("--no-mdns")
            for p in self.peer_ports:
                cmd += ["--peer", f"127.0.0.1:{p}"]
        r.log(f"start {self.name}: {' '.join(cmd)}")
        self.errf = open(os.path.join(r.dir, self.name + ".stderr.log"), "wb")
        self.evf = open(os.path.join(r.dir, self.name + ".events.log"), "w", encoding="utf-8")
        self.launched = time.monotonic()
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.errf, cwd=r.dir, start_new_session=True,
                                     preexec_fn=_child_setup)
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
            for f, want in (("id", self.want_id), ("name", self.name), ("room", self.room.o.room)):
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
        if self.o.discovery == "static":
            self.ports = free_udp_ports(total)

    def launch(self, count, host=False):
        """Start count more nodes at once; wait for their ready events."""
        new = []
        for _ in range(count):
            i, port, peers = len(self.nodes), 0, []
            if self.o.discovery == "static":
                while i >= len(self.ports):
                    self.ports += [p for p in free_udp_ports(1) if p not in self.ports]
                port, peers = self.ports[i], [p for j, p in enumerate(self.ports) if j != i]
            n = Node(self, i, port, peers, host)
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
    def say(self, senders, count, tag, expect):
        """Every sender says count group messages, interleaved; each text is
        unique; expect: the nodes that must receive them."""
        msgs, names = [], {x.name for x in expect}
        for k in range(count):
            order = list(senders)
            self.rng.shuffle(order)
            for n in order:
                m = {"text": f"m {n.name} {tag}{k}", "from": n.id, "sender": n.name, "expect": set(names)}
                msgs.append(m)
                n.send("say " + m["text"])
                m["h"] = time.monotonic()
            self.sleep(self.o.chat_gap)
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
        views, seqs, lat = {}, {}, []
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
        finally:
            self.logf.close()
            STATE["cleaning"] -= 1

    def result(self, k):
        nodes = {n.name: {"id": n.id, "port": n.port, "host": n.host, "killed": n.killed, "exit": n.exit,
                          "errors": [f"{e.get('code')}: {e.get('msg')}" for e in n.errors],
                          "bad_lines": len(n.bad), "contract": n.contract[:10],
                          "chat": {lab: per[n.name] for lab, per in self.chat.items() if n.name in per},
                          **n.extra} for n in self.nodes}
        failed = [c["name"] for c in self.checks if not c["ok"] and c["severity"] == "check"]
        return {"run": k, "seed": self.seed, "pass": not failed, "failed": failed, "figures": self.figures,
                "checks": self.checks, "nodes": nodes, "harness_errors": self.harness_errors,
                "workdir": self.dir}


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
                x.send(f"{cmd} 127.0.0.1:{y.port}")
                y.send(f"{cmd} 127.0.0.1:{x.port}")
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


SCENARIOS = {"converge": sc_converge, "chat": sc_chat, "dm": sc_dm, "hubkill": sc_hubkill,
             "forcehost": sc_forcehost, "partition": sc_partition, "sigstop": sc_sigstop,
             "soak10": sc_hubkill, "idle": sc_idle}


# ---- driver

def run_one(o, k, seed, rundir):
    room = Room(o, rundir, seed)
    room.log(f"run {k}: scenario {o.scenario}, {o.nodes} nodes, {o.discovery}, loss {o.loss:g}, seed {seed}")
    try:
        SCENARIOS[o.scenario](room, o)
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
    times = " ".join(f"{k}={v:g}" for k, v in figs.items() if k.endswith(("_s", "_pct")))
    chat = "; ".join(f"{lab} " + "/".join(f"{figs.get(f'{lab}_{x}', '-'):g}" for x in (
        "lost", "duplicated", "reordered", "seq_gaps")) + f" p99 {figs.get(f'{lab}_latency_p99_ms', 0):g} ms"
        for lab in (k[:-5] for k in figs if k.endswith("_lost")))
    return times + (f"\n      chat lost/dup/reordered/gaps: {chat}" if chat else "")


def print_summary(o, report):
    runs = report["results"]
    print(f"lmsim {o.scenario}: {o.nodes} nodes, {o.discovery} discovery, loss {o.loss:g}, "
          f"{len(runs)}/{o.runs} run(s), seed {report['seed']}")
    for r in runs:
        print(f"  run {r['run']}: {'PASS' if r['pass'] else 'FAIL'}  {figure_line(r['figures'])}")
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
    p = argparse.ArgumentParser(description="Simulated-node harness for lanmeet (loopback only).")
    a = p.add_argument
    a("--binary", default=os.path.join(REPO, "build", "lanmeet"), help="lanmeet binary (default: build/lanmeet)")
    a("--scenario", required=True, choices=sorted(SCENARIOS))
    a("--nodes", type=int, help="number of nodes (default 4; dm 3, soak10 10)")
    a("--discovery", choices=("static", "avahi"), default="static")
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
    a("-v", "--verbose", action="store_true", help="print the harness log to stderr")
    o = p.parse_args(argv)
    o.nodes = o.nodes if o.nodes is not None else DEFAULT_NODES.get(o.scenario, 4)
    if not MIN_NODES.get(o.scenario, 1) <= o.nodes <= 16:
        p.error(f"--scenario {o.scenario} needs {MIN_NODES.get(o.scenario, 1)}..16 nodes")
    if not 0.0 <= o.loss < 1.0 or o.runs < 1 or o.timeout <= 0 or o.messages < 1 or o.pre_messages < 1:
        p.error("need 0 <= --loss < 1, --runs >= 1, --timeout > 0, --messages and --pre-messages >= 1")
    o.binary = os.path.abspath(o.binary)
    if not os.access(o.binary, os.X_OK):
        p.error(f"no executable lanmeet at {o.binary} (build it, or pass --binary)")
    return o


def main(argv=None):
    o = parse(argv)
    seed = o.seed if o.seed is not None else random.SystemRandom().randrange(1 << 31)
    workdir = os.path.abspath(o.workdir) if o.workdir else tempfile.mkdtemp(prefix="lmsim-")
    os.makedirs(workdir, exist_ok=True)
    old = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
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
    report = {"mode": "loopback", "discovery": o.discovery, "nodes": o.nodes, "scenario": o.scenario,
              "runs": o.runs, "loss": o.loss, "seed": seed, "binary": o.binary, "pass": ok,
              "interrupted": STATE["interrupted"], "workdir": workdir,
              "thresholds": {k: getattr(o, k) for k in ("converge_max", "failover_max", "split_max",
                                                        "heal_max", "idle_cpu_max", "chat_timeout")},
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
