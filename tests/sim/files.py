#!/usr/bin/env python3
"""File sharing through the hub, end to end, on loopback.

Three nodes: h (forced hub), a and b, each with its own store and
download directory in a temporary folder. Cases:

  room      a sends files of 0 B, 1 B and 3 MB (random bytes) to the room:
            h and b are offered each (file_offered with the right size,
            sender and sha256), get it, and say file_done with a path
            inside their download directory whose bytes hash to what
            hashlib says of the original; a is told file_done for each.
  again     b gets the 1-byte file a second time: it lands beside the
            first as "NAME (1)", the first is not replaced.
  direct    a sends a file to b only: b is offered it and gets it; h
            (the hub, which stores it) and nobody else is offered it.
  names     a sends files whose names hold "..", leading dots, control
            characters, bad UTF-8, a backslash path and 300 bytes: each
            lands inside b's download directory under a name with no
            separator, no leading dot and no control character.
  failover  four nodes (h, a, b, x): a sends --fail-mb (100) MB to the room,
            b gets it, and h is SIGKILLed once b holds a tenth of it: the
            upload and the download go on through the new hub (the deputy,
            which was copying the store) and b's file hashes right.
  senderleft a sends --fail-mb MB to the room, b gets it, and a is
            SIGKILLed once b holds a tenth: b and the hub's person are told
            file_failed, its reason starting with sender_left, rather than
            left waiting.
  together  a and b each send a 2 MB file at once: h and the other get both.
  restart   h quits and starts again on the same store (and identity): a
            node c that joins only then is offered what h held (LIST, the
            index surviving the restart) and gets it.
  cancel    a sends a 40 MB file and cancels it once b is offered it: a is
            told file_failed (cancelled), b's offer is withdrawn
            (file_failed), and a get of it fails.
  cap       with --cap (a second run, the hub started with --store-max
            1M) a 2 MB send gets file_failed whose reason starts with
            too_big, and nothing is offered.

  files.py --binary build/lanmeet [--case room,again,...,failover]

Every wait is bounded; every process is stopped. Exit 0 on pass."""
import argparse, hashlib, os, random, shutil, sys, tempfile, time

from room import Node, free_port, stop, verdict, wait

CASES = ("room", "again", "direct", "names", "together", "restart", "cancel", "cap",
         "failover", "senderleft")


def start(o, tmp, names, hub_extra=(), ports=None, identity=None):
    ports = ports or [free_port() for _ in names]
    nodes = []
    for i, nm in enumerate(names):
        d = os.path.join(tmp, nm)
        os.makedirs(os.path.join(d, "down"), exist_ok=True)
        extra = ["--no-audio", "--store-dir", os.path.join(d, "store"),
                 "--download-dir", os.path.join(d, "down")]
        if i == 0:
            extra += list(hub_extra)
        nodes.append(Node(o.binary, nm, ports[i], [p for p in ports if p != ports[i]],
                          room="files", extra=extra, forced=i == 0,
                          identity=identity if i == 0 and identity else "ephemeral"))
    hub = nodes[0]
    ok = wait(lambda: all(n.ready for n in nodes), 10) and \
        wait(lambda: all(len(n.linked()) == len(nodes) - 1 and n.hub() == hub.id
                         for n in nodes), 15)
    return nodes, ok


def offered(node, sha):
    return [e for e in node.evs("file_offered") if e.get("id") == sha]


def done(node, sha):
    return [e for e in node.evs("file_done") if e.get("id") == sha]


def failed(node, sha=None):
    return [e for e in node.evs("file_failed") if sha is None or e.get("id") == sha]


def make(path, data):
    with open(path, "wb") as f:
        f.write(data)
    return hashlib.sha256(data).hexdigest()


def check_landed(fails, label, node, sha, down, want_data):
    ev = done(node, sha)
    if not ev:
        fails.append(f"{label}: {node.name} no file_done ({failed(node, sha)})")
        return None
    path = ev[-1].get("path", "")
    if ev[-1].get("sha256") != sha:
        fails.append(f"{label}: {node.name} file_done sha256 {ev[-1].get('sha256')}")
    real = os.path.realpath(path)
    if os.path.dirname(real) != os.path.realpath(down):
        fails.append(f"{label}: {node.name} saved outside its download dir: {path!r}")
        return None
    try:
        with open(real, "rb") as f:
            got = f.read()
    except OSError as e:
        fails.append(f"{label}: {node.name} cannot read {path!r}: {e}")
        return None
    if hashlib.sha256(got).hexdigest() != sha or got != want_data:
        fails.append(f"{label}: {node.name} content differs ({len(got)} bytes)")
    return os.path.basename(real)


def send_and_get(o, fails, label, sender, path, data, getters, others, to=()):
    sha = hashlib.sha256(data).hexdigest()
    sender.send("send " + '"' + path.replace("\\", "\\\\").replace('"', '\\"') + '"' +
                "".join(" " + t for t in to))
    if not wait(lambda: all(offered(g, sha) for g in getters), 20):
        fails.append(f"{label}: not offered to {[g.name for g in getters if not offered(g, sha)]}"
                     f" (sender failed: {failed(sender)})")
        return sha, {}
    for g in getters:
        ev = offered(g, sha)[0]
        if ev.get("size") != len(data) or ev.get("from") != sender.id or ev.get("sha256") != sha:
            fails.append(f"{label}: {g.name} offer says {ev}")
        g.send("get " + sha)
    wait(lambda: all(done(g, sha) or failed(g, sha) for g in getters) and done(sender, sha), 60)
    if not done(sender, sha):
        fails.append(f"{label}: the sender was not told file_done ({failed(sender, sha)})")
    names = {}
    for g in getters:
        names[g.name] = check_landed(fails, label, g, sha, o.down[g.name], data)
    for x in others:
        if offered(x, sha):
            fails.append(f"{label}: {x.name} was offered a file not meant for it")
    return sha, names


def together_restart(o, tmp, src, fails, cases):
    names = ["ht", "at", "bt"]
    o.down.update({nm: os.path.join(tmp, nm, "down") for nm in names + ["ct"]})
    ident = os.path.join(tmp, "ht-identity")
    ports = [free_port() for _ in names]
    nodes, ok = start(o, tmp, names, ports=ports, identity=ident)
    try:
        if not ok:
            fails.append("together: the room did not form")
            return
        h, a, b = nodes
        files = {}
        for who in (a, b):
            data = os.urandom(2 * 1000 * 1000)
            p = os.path.join(src, f"from-{who.name}.bin")
            files[who.name] = (make(p, data), data)
            who.send("send " + p)
        want = {"ht": ["at", "bt"], "at": ["bt"], "bt": ["at"]}
        by = {n.name: n for n in nodes}
        ok = wait(lambda: all(offered(by[g], files[f][0]) for g, fs in want.items() for f in fs), 30)
        if not ok:
            fails.append("together: not every file was offered to every other node")
            return
        for g, fs in want.items():
            for f in fs:
                by[g].send("get " + files[f][0])
        wait(lambda: all(done(by[g], files[f][0]) or failed(by[g], files[f][0])
                         for g, fs in want.items() for f in fs), 60)
        for g, fs in want.items():
            for f in fs:
                check_landed(fails, f"together {f}->{g}", by[g], files[f][0], o.down[g], files[f][1])
        print("together: 2 files from 2 senders at once, each to the 2 others")
        if "restart" not in cases:
            return
        h.send("quit")
        h.proc.wait(timeout=10)
        h.stopped = True
        time.sleep(0.5)
        h2 = Node(o.binary, "ht", ports[0], ports[1:], room="files", forced=True,
                  identity=ident,
                  extra=["--no-audio", "--store-dir", os.path.join(tmp, "ht", "store"),
                         "--download-dir", os.path.join(tmp, "ht", "down")])
        nodes.append(h2)
        c = Node(o.binary, "ct", free_port(), ports, room="files",
                 extra=["--no-audio", "--store-dir", os.path.join(tmp, "ct", "store"),
                        "--download-dir", o.down["ct"]])
        os.makedirs(o.down["ct"], exist_ok=True)
        nodes.append(c)
        sha, data = files["at"]
        if not wait(lambda: c.hub() == h2.id and offered(c, sha), 30):
            fails.append(f"restart: c was not offered a's file by the restarted hub "
                         f"(hub {c.hub()} vs {h2.id})")
            return
        c.send("get " + sha)
        wait(lambda: done(c, sha) or failed(c, sha), 30)
        check_landed(fails, "restart", c, sha, o.down["ct"], data)
        print("restart: a late joiner got a file the hub held before it restarted")
    finally:
        stop(nodes)


def tenth_through(fails, label, src, name, size, a, b):
    """a sends `size` bytes (a random MiB, repeated) to the room, b gets
    it; returns once b holds a tenth (or all): (sha, data, held), held()
    being what b holds now; None, with the failure noted, if it was never
    offered."""
    data = (os.urandom(1 << 20) * (size // (1 << 20) + 1))[:size]
    p = os.path.join(src, name)
    sha = make(p, data)
    a.send("send " + p)
    if not wait(lambda: offered(b, sha), 30):
        fails.append(f"{label}: not offered ({failed(a)})")
        return None
    b.send("get " + sha)

    def held():
        pr = [e.get("bytes", 0) for e in b.evs("file_progress") if e.get("id") == sha]
        return max(pr) if pr else 0
    wait(lambda: held() >= size // 10 or done(b, sha), 60)
    return sha, data, held


def failover(o, tmp, src, fails):
    import signal, time
    nodes, ok = start(o, tmp, ["hf", "af", "bf", "xf"])
    try:
        if not ok:
            fails.append("failover: the room did not form")
            return
        h, a, b, x = nodes
        o.down.update({n.name: os.path.join(tmp, n.name, "down") for n in nodes})
        size = int(o.fail_mb * 1e6)
        got = tenth_through(fails, "failover", src, "failover.bin", size, a, b)
        if not got:
            return
        sha, data, held = got
        if done(b, sha):
            fails.append("failover: the file was all there before the kill: make --fail-mb larger")
            return
        deputy = b.hub_ev.get("deputy") if b.hub_ev else None
        at = held()
        kill = time.monotonic()
        h.proc.send_signal(signal.SIGKILL)
        h.killed = True
        wait(lambda: (done(b, sha) or failed(b, sha)) and (done(a, sha) or failed(a, sha)), 120)
        took = time.monotonic() - kill
        who = {n.id: n.name for n in nodes}
        print(f"failover: killed h with b at {at} of {size} bytes, deputy "
              f"{who.get(deputy, deputy)}, new hub {who.get(b.hub(), b.hub())}, "
              f"{took:.1f} s to the end")
        if not done(a, sha):
            fails.append(f"failover: the upload did not finish ({failed(a, sha)})")
        check_landed(fails, "failover", b, sha, o.down["bf"], data)
    finally:
        stop(nodes)


def sender_left(o, tmp, src, fails):
    import signal, time
    nodes, ok = start(o, tmp, ["hl", "al", "bl"])
    try:
        if not ok:
            fails.append("senderleft: the room did not form")
            return
        h, a, b = nodes
        size = int(o.fail_mb * 1e6)
        got = tenth_through(fails, "senderleft", src, "leaving.bin", size, a, b)
        if not got:
            return
        sha, _, held = got
        if done(b, sha) or done(a, sha):
            fails.append("senderleft: the upload was all in before the kill: make --fail-mb larger")
            return
        at = held()
        kill = time.monotonic()
        a.proc.send_signal(signal.SIGKILL)
        a.killed = True
        told = wait(lambda: failed(b, sha) and failed(h, sha), 30)
        took = time.monotonic() - kill
        why = {n.name: (failed(n, sha) or [{}])[-1].get("reason", "") for n in (h, b)}
        print(f"senderleft: killed a with b at {at} of {size} bytes; "
              f"{'told' if told else 'NOT told'} {took:.1f} s later: {why}")
        if not told:
            fails.append(f"senderleft: not told within 30 s of the sender's kill ({why})")
        for nm, r in why.items():
            if told and not r.startswith("sender_left"):
                fails.append(f"senderleft: {nm}'s reason is {r!r}, not sender_left")
        if done(b, sha):
            fails.append("senderleft: b says file_done for a file that never all came")
    finally:
        stop(nodes)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--case", default=",".join(CASES))
    ap.add_argument("--mb", type=float, default=3.0, help="the big file, MB")
    ap.add_argument("--fail-mb", type=float, default=100.0,
                    help="the file of the failover case, MB")
    o = ap.parse_args()
    cases = o.case.split(",")
    fails = []
    rnd = random.Random(17)
    tmp = tempfile.mkdtemp(prefix="lanmeet-files-")
    src = os.path.join(tmp, "src")
    os.makedirs(src)
    o.down = {nm: os.path.join(tmp, nm, "down") for nm in ("h", "a", "b")}
    nodes = []
    try:
        if "together" in cases or "restart" in cases:
            together_restart(o, tmp, src, fails, cases)
        if any(c in cases for c in ("room", "again", "direct", "names", "cancel")):
            nodes, ok = start(o, tmp, ["h", "a", "b"])
            if not ok:
                fails.append("the room did not form around h")
                return verdict(fails)
            h, a, b = nodes
            if "room" in cases or "again" in cases:
                small = None
                for nm, size in (("empty.bin", 0), ("one.bin", 1),
                                 ("big.bin", int(o.mb * 1e6))):
                    data = bytes(rnd.getrandbits(8) for _ in range(min(size, 4096)))
                    data = (data * (size // 4096 + 1))[:size] if size > 4096 else data
                    p = os.path.join(src, nm)
                    make(p, data)
                    sha, names = send_and_get(o, fails, f"room {nm}", a, p, data, [h, b], [])
                    print(f"room {nm}: {size} bytes -> {names}")
                    if size == 1:
                        small = (sha, data, names.get("b"))
            if "again" in cases and small and small[2]:
                sha, data, first = small
                before = len(done(b, sha))
                b.send("get " + sha)
                wait(lambda: len(done(b, sha)) > before or len(failed(b, sha)) > 0, 20)
                second = check_landed(fails, "again", b, sha, o.down["b"], data) \
                    if len(done(b, sha)) > before else None
                if second is None:
                    fails.append(f"again: no second file_done ({failed(b, sha)})")
                elif second == first or second != "one (1).bin":
                    fails.append(f"again: the second copy is {second!r} beside {first!r}")
                elif not os.path.exists(os.path.join(o.down["b"], first)):
                    fails.append("again: the first copy is gone")
                print(f"again: {first!r} then {second!r}")
            if "direct" in cases:
                data = os.urandom(70000)
                p = os.path.join(src, "for-b.bin")
                make(p, data)
                sha, names = send_and_get(o, fails, "direct", a, p, data, [b], [h], to=["b"])
                print(f"direct: {names}")
            if "names" in cases:
                hostile = [b"..evil", b"...hidden", b"a\\..\\..\\evil.txt", b"-rf",
                           b"bell\x07\x1b[31mred.txt",
                           b"x" * 250 + b".txt", b"rtl\xe2\x80\xaetxt.exe"]
                for raw in hostile:
                    data = os.urandom(1000)
                    d = tempfile.mkdtemp(dir=src)
                    p = os.path.join(os.fsencode(d), raw)
                    with open(p, "wb") as f:
                        f.write(data)
                    sha = hashlib.sha256(data).hexdigest()
                    a.proc.stdin.write("send \"" + p.decode("latin-1").replace("\\", "\\\\") + "\"\n")
                    a.proc.stdin.flush()
                    if not wait(lambda: offered(b, sha) or failed(a), 20):
                        fails.append(f"names {raw!r}: not offered")
                        continue
                    if not offered(b, sha):
                        fails.append(f"names {raw!r}: {failed(a)}")
                        continue
                    b.send("get " + sha)
                    wait(lambda: done(b, sha) or failed(b, sha), 20)
                    got = check_landed(fails, f"names {raw!r}", b, sha, o.down["b"], data)
                    if got is not None:
                        bad = [c for c in got if ord(c) < 32 or 0x7f <= ord(c) < 0xa0 or c in "/\\"
                               or 0x202a <= ord(c) <= 0x202e]
                        if bad or got.startswith((".", "-", " ")) or len(got.encode()) > 255:
                            fails.append(f"names {raw!r}: landed as {got!r}")
                        print(f"names {raw!r} -> {got!r}")
            if "cancel" in cases:
                data = os.urandom(1 << 20) * 40
                p = os.path.join(src, "cancelled.bin")
                sha = make(p, data)
                a.send("send " + p)
                if not wait(lambda: offered(b, sha), 20):
                    fails.append("cancel: not offered")
                else:
                    a.send("cancel " + sha)
                    wait(lambda: failed(a, sha) and failed(b, sha), 20)
                    fa, fb = failed(a, sha), failed(b, sha)
                    if not fa or not fa[0].get("reason", "").startswith("cancelled"):
                        fails.append(f"cancel: the sender was told {fa}")
                    if not fb:
                        fails.append("cancel: b's offer was not withdrawn")
                    b.send("get " + sha)
                    wait(lambda: len(failed(b, sha)) >= 2 or done(b, sha), 10)
                    if done(b, sha) or len(failed(b, sha)) < 2:
                        fails.append(f"cancel: a get after the cancel gave {done(b, sha) or failed(b, sha)}")
                    print(f"cancel: {fa[:1]} / {fb[:1]}")
            for n in nodes:
                if n.contract:
                    fails.append(f"{n.name}: {n.contract[:3]}")
            stop(nodes)
            nodes = []
        if "cap" in cases:
            nodes, ok = start(o, tmp, ["hc", "ac"], hub_extra=["--store-max", "1M"])
            if not ok:
                fails.append("cap: the room did not form")
                return verdict(fails)
            hc, ac = nodes
            data = os.urandom(2 * 1000 * 1000)
            p = os.path.join(src, "too-big.bin")
            sha = make(p, data)
            ac.send("send " + p)
            wait(lambda: failed(ac, sha), 20)
            ev = failed(ac, sha)
            if not ev or not ev[0].get("reason", "").startswith("too_big"):
                fails.append(f"cap: the sender was told {ev}")
            else:
                print(f"cap: {ev[0]['reason']}")
            if offered(hc, sha):
                fails.append("cap: a refused file was offered")
            stop(nodes)
            nodes = []
        if "failover" in cases:
            failover(o, tmp, src, fails)
        if "senderleft" in cases:
            sender_left(o, tmp, src, fails)
    finally:
        stop(nodes)
        shutil.rmtree(tmp, ignore_errors=True)
    return verdict(fails)


if __name__ == "__main__":
    sys.exit(main())
