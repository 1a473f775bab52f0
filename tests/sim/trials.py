#!/usr/bin/env python3
"""Trials: the room tried as a demanding user would, on loopback. Each case
is one thing people hit that the scenario tests did not try:

  restart   a member, then the hub, killed and started again with its own
            identity while the room chats: every message the new run says
            reaches everyone, the sender included
  newhub    the hub killed while its deputy has four messages on the way:
            all four reach everyone once the deputy is hub
  burst     3000 `who` then one `say` on stdin: the say is delivered and
            every who is answered (or refused with an error)
  terminal  chat with ESC sequences, BEL, CR and C1 controls reaches a text
            front end escaped, never raw
  names     alice, alice and "alice (2)": three different names on every
            node, and a dm by each name reaches that person
  full      a room at its cap: two more nodes are refused once each, never
            join, back off, and the room hears of each once
  alarms    a member restarted with a fresh identity on the same port makes
            no bad_message; two private rooms of the same name and other
            passwords on one LAN raise no wrong_password and no intruder
  resumed   the hub stopped (SIGSTOP) while its user types, then resumed:
            what was typed sits at the same seq on every node
  oneway    A and B cannot reach each other but both reach C: the room says
            so, and A's and B's chat still reach everyone
  dmaddr    `dm bob,bob` delivers once; a name holding a quote is reachable
  stopread  a front end stops reading while 500 chat messages arrive, then
            reads again: every message is there, once, in order

  trials.py --binary build/lanmeet --case restart [--rounds N]

Each case prints its figures (sent / delivered, events counted) and PASS
or FAIL. Loopback only; every wait is bounded; every process is stopped at
the end. Exit 0 on pass, 1 on failure."""
import argparse, os, shutil, signal, subprocess, sys, tempfile, threading, time

from room import Node, free_port, stop, verdict, wait


def ports(k):
    ps = []
    while len(ps) < k:
        p = free_port()
        if p not in ps:
            ps.append(p)
    return ps


def room(o, names, extra=(), keydir=None, password=None, port_list=None, peers=None, room="trials"):
    """Starts one node per name, each knowing every other's port."""
    ps = port_list or ports(len(names))
    nodes = []
    for i, nm in enumerate(names):
        ident = os.path.join(keydir, nm) if keydir else "ephemeral"
        pe = peers[i] if peers else [p for p in ps if p != ps[i]]
        nodes.append(Node(o.binary, nm, ps[i], pe, password=password, identity=ident,
                          room=room, extra=extra))
        time.sleep(0.05)  # a clear start order, for the names
    return nodes, ps


def formed(nodes, timeout=10):
    k = len(nodes)
    return wait(lambda: all(n.id for n in nodes) and
                all(len(members(n)) == k - 1 for n in nodes) and
                len({n.hub() for n in nodes}) == 1 and nodes[0].hub(), timeout)


def members(n):
    """Ids n lists as linked now, from its peer_joined / peer_left events."""
    cur = {}
    for e in n.events:
        if e.get("ev") in ("peer_joined", "peer_left"):
            cur[e.get("id")] = e["ev"] == "peer_joined"
    return {i for i, j in cur.items() if j}


def by_id(nodes, i):
    return next((n for n in nodes if n.id == i), None)


def delivered(nodes, texts):
    """How many (node, text) pairs arrived, of len(nodes) * len(texts)."""
    return sum(1 for n in nodes for t in texts if t in n.texts())


def all_got(nodes, texts, timeout):
    return wait(lambda: delivered(nodes, texts) == len(nodes) * len(texts), timeout)


def codes(n, code):
    return [e for e in n.evs("error") if e.get("code") == code]


# ---- cases ----------------------------------------------------------------

def case_restart(o, fails):
    """Kill a member (then, last round, the hub) and start it again at once
    with its own identity; the new run says 3 messages as soon as it is up."""
    keydir = tempfile.mkdtemp(prefix="lanmeet-trial-")
    names = ["r0", "r1", "r2"]
    nodes, ps = room(o, names, keydir=keydir)
    sent = got = 0
    try:
        if not formed(nodes):
            fails.append("the room did not form")
            return
        for r in range(o.rounds):
            hub = nodes[0].hub()
            last = r % 2 == 1  # every other round restarts the hub
            k = next(i for i, n in enumerate(nodes) if (n.id == hub) == last)
            old = nodes[k]
            nodes[0 if k else 1].send(f"say before restart {r}")
            old.proc.send_signal(signal.SIGKILL if r % 2 == 0 else signal.SIGTERM)
            old.proc.wait(timeout=5)
            nodes[k] = Node(o.binary, names[k], ps[k], [p for p in ps if p != ps[k]],
                            identity=os.path.join(keydir, names[k]), room="trials")
            wait(lambda: nodes[k].id, 5)
            texts = [f"restart {r} line {j}" for j in range(3)]
            for t in texts:
                nodes[k].send("say " + t)
            sent += len(texts)
            ok = all_got(nodes, texts, 8)
            got += delivered(nodes, texts)
            print(f"round {r}: restarted {'hub' if last else 'member'} {names[k]}: "
                  f"{delivered(nodes, texts)}/{len(nodes) * len(texts)} deliveries")
            if not ok:
                print("  missing:", [(n.name, t) for n in nodes for t in texts if t not in n.texts()])
                fails.append(f"round {r}: the restarted {'hub' if last else 'member'}'s messages "
                             f"were lost ({delivered(nodes, texts)} of {len(nodes) * len(texts)} deliveries)")
            formed(nodes, 6)
        print(f"messages said by restarted nodes: {sent}, deliveries {got}/{sent * len(nodes)}")
    finally:
        stop(nodes)
        shutil.rmtree(keydir, ignore_errors=True)


def case_newhub(o, fails):
    """Kill the hub and at once have the deputy say four messages (one write,
    before the room notices); repeated with a fresh room per round."""
    total = got = 0
    for r in range(o.rounds):
        nodes, _ = room(o, [f"h{r}{i}" for i in range(4)])
        try:
            if not formed(nodes):
                fails.append(f"round {r}: the room did not form")
                continue
            hub = by_id(nodes, nodes[0].hub())
            dep_id = nodes[0].evs("hub")[-1].get("deputy")
            dep = by_id(nodes, dep_id)
            texts = [f"deputy {r} says {j}" for j in range(4)]
            hub.proc.send_signal(signal.SIGKILL)
            dep.proc.stdin.write("".join(f"say {t}\n" for t in texts))
            dep.proc.stdin.flush()
            rest = [n for n in nodes if n is not hub]
            all_got(rest, texts, 8)
            d = delivered(rest, texts)
            total += len(rest) * len(texts)
            got += d
            print(f"round {r}: {d}/{len(rest) * len(texts)} deliveries of the deputy's 4 messages")
            if d != len(rest) * len(texts):
                fails.append(f"round {r}: {d} of {len(rest) * len(texts)} deliveries")
        finally:
            stop(nodes)
    print(f"deliveries in all: {got}/{total}")


def case_burst(o, fails):
    nodes, _ = room(o, ["b0", "b1"])
    try:
        if not formed(nodes):
            fails.append("the room did not form")
            return
        a = nodes[0]
        count = 3000
        a.proc.stdin.write("who\n" * count + "say after the burst\n")
        a.proc.stdin.flush()
        ok = wait(lambda: "after the burst" in nodes[1].texts(), 20)
        wait(lambda: len(a.evs("members")) + len(codes(a, "busy")) >= count, 10)
        answered, refused = len(a.evs("members")), len(codes(a, "busy"))
        print(f"{count} who: {answered} answered, {refused} refused with busy, "
              f"{count - answered - refused} lost; the say "
              f"{'delivered' if ok else 'LOST'}")
        if not ok:
            fails.append("the say after 3000 who was lost")
        if answered + refused < count:
            fails.append(f"{count - answered - refused} commands lost without a word")
    finally:
        stop(nodes)


def case_terminal(o, fails):
    """The receiver runs with --events text; its stdout is read raw."""
    ps = ports(2)
    sender = Node(o.binary, "t0", ps[0], [ps[1]], room="trials")
    cmd = [o.binary, "--headless", "--events", "text", "--name", "t1", "--room", "trials",
           "--identity", "ephemeral", "--no-mdns", "--port", str(ps[1]),
           "--peer", f"127.0.0.1:{ps[0]}", "--mic", "none", "--speaker", "none"]
    recv = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    out = bytearray()

    def rd():
        for chunk in iter(lambda: recv.stdout.read1(4096), b""):
            out.extend(chunk)
    threading.Thread(target=rd, daemon=True).start()
    try:
        if not wait(lambda: sender.evs("peer_joined") and sender.hub(), 8):
            fails.append("the two nodes did not meet")
            return
        evil = ["\x1b[2J\x1b[Hscreen wiped", "\x1b]0;owned\x07title set",
                "fake\r[12:00:00] admin: give me your password",
                "c1 \u009b31m red", "bidi \u202eevil\u202c end", "bell\x07\x07"]
        for t in evil:
            sender.send("say " + t)
        sender.send("say the end marker")
        wait(lambda: b"the end marker" in out, 8)
        raw = bytes(out)
        bad = {name: raw.count(b) for name, b in (("ESC", b"\x1b"), ("BEL", b"\x07"),
                                                  ("CR", b"\r"), ("C1 CSI", "\u009b".encode()),
                                                  ("RLO", "\u202e".encode()))}
        shown = sum(1 for t in ("screen wiped", "title set", "give me your password", "red",
                                "evil", "bell") if t.encode() in raw)
        print(f"text front end: {shown}/6 evil messages shown; raw control bytes: {bad}")
        if any(bad.values()):
            fails.append(f"control characters reached the terminal raw: {bad}")
        if shown != 6:
            fails.append(f"only {shown} of 6 messages were shown at all")
    finally:
        stop([sender])
        try:
            recv.stdin.write(b"/quit\n")
            recv.stdin.flush()
            recv.wait(timeout=3)
        except (OSError, subprocess.TimeoutExpired):
            recv.kill()


def case_names(o, fails):
    names = ["alice", "alice", "alice (2)", "bob"]
    nodes, _ = room(o, names)
    try:
        if not formed(nodes):
            fails.append("the room did not form")
            return
        for n in nodes:
            n.send("who")
        wait(lambda: all(n.evs("members") for n in nodes), 3)
        views = []
        for n in nodes:
            peers = n.evs("members")[-1]["peers"]
            views.append({p["id"]: p["name"] for p in peers})
        print("names shown by node0:", sorted(views[0].values()))
        for n, v in zip(nodes, views):
            if len(set(v.values())) != len(v):
                fails.append(f"{n.name} shows names that are not unique: {sorted(v.values())}")
        if any(v != views[0] for v in views):
            fails.append("the nodes do not agree on the names")
        # a dm by each shown name reaches the node it names, and only it
        bob = nodes[3]
        for i, n in enumerate(nodes[:3]):
            shown = views[3].get(n.id)
            quoted = '"' + shown.replace("\\", "\\\\").replace('"', '\\"') + '"'
            bob.send(f"dm {quoted} for slot {i}")
        wait(lambda: all(any(e.get("text") == f"for slot {i}" for e in n.evs("chat"))
                         for i, n in enumerate(nodes[:3])), 5)
        for i, n in enumerate(nodes[:3]):
            mine = [e.get("text") for e in n.evs("chat") if e.get("text", "").startswith("for slot")]
            if mine != [f"for slot {i}"]:
                fails.append(f"dm to {views[3].get(n.id)!r} went astray: node {i} got {mine}")
    finally:
        stop(nodes)
    # names that render as nothing or reorder text are refused at start
    for bad in ["\u200b\u200b", "\u0301\u0301", "eve\u202eplh", "\u2066x", "\ufeff"]:
        p = subprocess.run([o.binary, "--headless", "--events", "json", "--name", bad,
                            "--no-mdns", "--identity", "ephemeral", "--port", "0"],
                           input="quit\n", capture_output=True, text=True, timeout=10)
        if p.returncode == 0 or "name" not in p.stderr:
            fails.append(f"the name {bad!r} was accepted (exit {p.returncode}, {p.stderr.strip()!r})")
    print("names that render as nothing or reorder text: refused at start"
          if not any("was accepted" in f for f in fails) else "some bad names accepted")


def case_full(o, fails):
    cap = 4
    extra = ["--test-faults", "--test-room-cap", str(cap)]
    ps = ports(cap + 2)
    nodes, _ = room(o, [f"f{i}" for i in range(cap)], extra=extra, port_list=ps[:cap],
                    peers=[[p for p in ps if p != ps[i]] for i in range(cap)])
    try:
        if not formed(nodes):
            fails.append("the room did not form")
            return
        late = [Node(o.binary, f"late{j}", ps[cap + j], [p for p in ps if p != ps[cap + j]],
                     room="trials", extra=extra) for j in range(2)]
        allnodes = nodes + late
        time.sleep(o.watch)
        for n in late:
            joined, full = len(n.evs("peer_joined")), len(codes(n, "room_full"))
            hubs = len(n.evs("hub"))
            print(f"{n.name}: room_full told {full} times, peer_joined {joined}, hub events {hubs}")
            if full != 1:
                fails.append(f"{n.name} was told room_full {full} times (once expected)")
            if joined:
                fails.append(f"{n.name}, refused, still reported {joined} peer_joined")
            if hubs > 1:
                fails.append(f"{n.name}, refused, elected hubs {hubs} times")
            if full and "full" not in codes(n, "room_full")[0].get("msg", ""):
                fails.append(f"{n.name}: the words do not say the room is full")
        heard = sum(len(codes(n, "room_full")) for n in nodes)
        left = sum(len(n.evs("peer_left")) for n in nodes)
        print(f"room of {cap}: {heard} room_full events in {o.watch:g} s "
              f"(at most {2 * cap} expected), {left} peer_left")
        if heard > 2 * cap:
            fails.append(f"the room heard of the refused nodes {heard} times")
        if left:
            fails.append(f"members left the full room: {left} peer_left")
        nodes = allnodes
    finally:
        stop(nodes)


def case_alarms(o, fails):
    # 1. a member restarted with a fresh identity on the same port
    nodes, ps = room(o, ["a0", "a1", "a2"])
    gone = []
    try:
        if not formed(nodes):
            fails.append("the room did not form")
            return
        for r in range(o.rounds):
            nodes[2].proc.send_signal(signal.SIGKILL)
            nodes[2].proc.wait(timeout=5)
            nodes[0].send(f"say while away {r}")
            gone.append(nodes[2])
            nodes[2] = Node(o.binary, "a2", ps[2], ps[:2], room="trials")
            formed(nodes, 6)
        bad = sum(len(codes(n, "bad_message")) for n in nodes + gone)
        print(f"{o.rounds} restarts with a fresh identity: {bad} bad_message events")
        if bad:
            fails.append(f"{bad} bad_message events for a restart")
    finally:
        stop(nodes)
    # 2. two private rooms called "main" with other passwords, all in one mesh
    ps = ports(6)
    allpeers = [[p for p in ps if p != ps[i]] for i in range(6)]
    a, _ = room(o, ["x0", "x1", "x2"], password="class A secret", port_list=ps[:3],
                peers=allpeers[:3], room="main")
    b, _ = room(o, ["y0", "y1", "y2"], password="class B secret", port_list=ps[3:],
                peers=allpeers[3:], room="main")
    try:
        if not formed(a) or not formed(b):
            fails.append("the two private rooms did not form")
        a[0].send("say class A only")
        b[0].send("say class B only")
        time.sleep(o.watch)
        wp = sum(len(codes(n, "wrong_password")) for n in a + b)
        intr = sum(len(codes(n, "intruder")) for n in a + b)
        other = sum(len(codes(n, "other_room")) for n in a + b)
        print(f"two rooms 'main', other passwords, {o.watch:g} s: wrong_password {wp}, "
              f"intruder {intr}, other_room notes {other}")
        if wp or intr:
            fails.append(f"false alarms: wrong_password {wp}, intruder {intr}")
        if other > 6:
            fails.append(f"the neighbouring room was noted {other} times (once per node at most)")
        if any("class B only" in n.texts() for n in a) or any("class A only" in n.texts() for n in b):
            fails.append("chat crossed between the rooms")
        if not all("class A only" in n.texts() for n in a) or not all("class B only" in n.texts() for n in b):
            fails.append("chat inside a room did not arrive")
    finally:
        stop(a + b)


def case_resumed(o, fails):
    nodes, _ = room(o, ["s0", "s1", "s2"])
    try:
        if not formed(nodes):
            fails.append("the room did not form")
            return
        hub = by_id(nodes, nodes[0].hub())
        rest = [n for n in nodes if n is not hub]
        for r in range(o.rounds):
            hub.proc.send_signal(signal.SIGSTOP)
            texts = [f"typed while stopped {r} {j}" for j in range(3)]
            hub.proc.stdin.write("".join(f"say {t}\n" for t in texts))
            hub.proc.stdin.flush()
            rest[0].send(f"say meanwhile {r}")
            time.sleep(3 + r)
            hub.proc.send_signal(signal.SIGCONT)
            all_got(nodes, texts + [f"meanwhile {r}"], 10)
            time.sleep(1)
            seqs = {}
            for n in nodes:
                for e in n.evs("chat"):
                    if e.get("text") in texts:
                        seqs.setdefault(e["text"], {})[n.name] = e.get("seq")
            split = {t: s for t, s in seqs.items() if len(set(s.values())) != 1 or len(s) != 3}
            print(f"round {r}: stopped {3 + r} s; typed lines at "
                  + "; ".join(f"{t[-3:]}: {sorted(set(s.values()))}" for t, s in seqs.items()))
            if split or len(seqs) != len(texts):
                fails.append(f"round {r}: lines typed on the stopped hub sit at different seqs "
                             f"or are missing: {split or seqs}")
            formed(nodes, 8)
            hub = by_id(nodes, nodes[0].hub()) or hub
            rest = [n for n in nodes if n is not hub]
    finally:
        for n in nodes:
            try:
                n.proc.send_signal(signal.SIGCONT)
            except OSError:
                pass
        stop(nodes)


def case_oneway(o, fails):
    extra = ["--test-faults"]
    nodes, ps = room(o, ["w0", "w1", "w2"], extra=extra)
    try:
        if not formed(nodes):
            fails.append("the room did not form")
            return
        # cut the hub from one member: the case that loses chat
        hub = by_id(nodes, nodes[0].hub())
        other = next(n for n in nodes if n is not hub)
        third = next(n for n in nodes if n is not hub and n is not other)
        hub.send(f"test_block 127.0.0.1:{other.port}")
        other.send(f"test_block 127.0.0.1:{hub.port}")
        texts = []
        for k in range(o.messages):
            for n in (hub, other, third):
                t = f"oneway {n.name} {k}"
                texts.append(t)
                n.send("say " + t)
            time.sleep(0.25)
        all_got(nodes, texts, 10)
        # a cut is told once it has lasted 3 s: the chat may all be in first
        wait(lambda: all(codes(n, "unreachable") for n in nodes), 8)
        per = {n.name: sum(1 for t in texts if t in n.texts()) for n in nodes}
        told = {n.name: len(codes(n, "unreachable")) for n in nodes}
        print(f"A-B cut, {len(texts)} messages: delivered per node {per}; "
              f"'unreachable' events {told}")
        if any(v != len(texts) for v in per.values()):
            fails.append(f"chat lost across the one-way cut: {per} of {len(texts)}")
        if not all(told.values()):
            fails.append(f"not every node was told who cannot reach whom: {told}")
        hub.send(f"test_unblock 127.0.0.1:{other.port}")
        other.send(f"test_unblock 127.0.0.1:{hub.port}")
        if not formed(nodes, 8):
            fails.append("the room did not heal after the cut")
    finally:
        stop(nodes)


def case_dmaddr(o, fails):
    nodes, _ = room(o, ["carol", "bob", 'dan "the man"'])
    try:
        if not formed(nodes):
            fails.append("the room did not form")
            return
        nodes[0].send("dm bob,bob twice named")
        nodes[0].send('dm "dan \\"the man\\"" quoted name')
        wait(lambda: any(e.get("text") == "quoted name" for e in nodes[2].evs("chat")), 5)
        time.sleep(0.5)
        twice = [e for e in nodes[1].evs("chat") if e.get("text") == "twice named"]
        quoted = [e for e in nodes[2].evs("chat") if e.get("text") == "quoted name"]
        print(f"dm bob,bob: {len(twice)} copies; dm to a quoted name: {len(quoted)} copies; "
              f"errors at the sender: {[e.get('code') for e in nodes[0].evs('error')]}")
        if len(twice) != 1:
            fails.append(f"dm bob,bob delivered {len(twice)} times")
        if len(quoted) != 1:
            fails.append("a name holding a quote could not be addressed")
    finally:
        stop(nodes)


def case_stopread(o, fails):
    """A front end stops reading while 500 chat messages arrive (5 senders
    x 100), then reads again: every message is there, once, in order. Its
    event queue is cut to 16 (--test-event-cap) so most of them must wait
    inside the node."""
    names = ["reader"] + [f"s{i}" for i in range(5)]
    ps = ports(len(names))
    nodes = []
    for i, nm in enumerate(names):
        extra = ["--test-faults", "--test-event-cap", "16"] if i == 0 else []
        nodes.append(Node(o.binary, nm, ps[i], [p for p in ps if p != ps[i]],
                          room="trials", extra=extra))
    reader, senders = nodes[0], nodes[1:]
    per, total = 100, 100 * len(senders)
    try:
        if not formed(nodes, 15):
            fails.append("the room did not form")
            return
        reader.pause()
        time.sleep(0.2)  # a pause: let the reader thread stop at a line
        t0 = time.monotonic()
        # 500 x ~0.5 KB of JSON: far more than the pipe holds, so the front
        # end blocks and the node's queue of 16 fills
        pad = " " + "x" * 300
        for k in range(per):  # 18 a second each: under the senders' limit
            for s in senders:
                s.send(f"say stopread {s.name} {k}{pad}")
            time.sleep(1 / 18)
        texts = [f"stopread {s.name} {k}{pad}" for s in senders for k in range(per)]
        ok = all_got(senders, texts, 20)
        print(f"{total} messages said in {time.monotonic() - t0:.1f} s; the "
              f"senders {'all got them' if ok else 'did NOT all get them'}")
        if not ok:
            fails.append("the senders did not get every message")
        alive = reader.proc.poll() is None
        reader.resume()
        all_got([reader], texts, 20)
        reader.send("stats")
        wait(lambda: reader.evs("stats"), 5)
        chats = [e for e in reader.evs("chat") if e.get("text", "").startswith("stopread ")]
        got = [e["text"] for e in chats]
        seqs = [e.get("seq") for e in chats]
        st = reader.evs("stats")[-1] if reader.evs("stats") else {}
        print(f"reader: {len(got)} of {total} chat events, {len(set(got))} distinct, "
              f"seq in order: {seqs == sorted(seqs)}; stats held_events "
              f"{st.get('held_events')}, dropped_events {st.get('dropped_events')}")
        if not alive:
            fails.append("the reader's node exited while it was not read")
        if sorted(got) != sorted(texts) or len(got) != total:
            fails.append(f"the reader got {len(got)} of {total} messages "
                         f"({len(set(got))} distinct)")
        if seqs != sorted(seqs):
            fails.append("the reader's messages are out of order")
        for s in senders:
            mine = [t for t in got if t.startswith(f"stopread {s.name} ")]
            if mine != [f"stopread {s.name} {k}{pad}" for k in range(per)][:len(mine)]:
                fails.append(f"{s.name}'s messages reached the reader out of order")
        if not st.get("held_events"):
            fails.append("no event had to wait: the test did not fill the queue")
        if st.get("dropped_events"):
            fails.append(f"{st.get('dropped_events')} events dropped")
    finally:
        stop(nodes)


CASES = {"restart": case_restart, "newhub": case_newhub, "burst": case_burst,
         "terminal": case_terminal, "names": case_names, "full": case_full,
         "alarms": case_alarms, "resumed": case_resumed, "oneway": case_oneway,
         "dmaddr": case_dmaddr, "stopread": case_stopread}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--case", required=True, choices=sorted(CASES))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--messages", type=int, default=10)
    ap.add_argument("--watch", type=float, default=8.0, help="seconds to watch for repeats")
    o = ap.parse_args()
    fails = []
    CASES[o.case](o, fails)
    return verdict(fails)


if __name__ == "__main__":
    sys.exit(main())
