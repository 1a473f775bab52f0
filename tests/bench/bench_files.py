#!/usr/bin/env python3
"""A file through the hub on loopback, against raw one-hop ENet and a TCP
copy in the same run; the memory of each node and chat while it moves.

  bench_files.py --binary build/lanmeet --enet build/bench_files_enet
                 [--mb 1024] [--dir DIR]

Three nodes (hub h started with --host, sender s, receiver r), each with
its own store and download folder under DIR (default: a temporary folder;
the file is written there, so it needs about 4 x the size free). s sends
a file of --mb MiB to the room; r gets it as soon as it is offered (so the
download follows the upload through the hub's store). Measured:

  through hub   size / (send command -> r's file_done), the sha256 checked
  raw ENet      bench_files_enet: the same 64 KiB chunks and 256 KiB
                window on one hop, no seal, hash or disk
  TCP           one loopback TCP copy of the same file (sendfile)
  memory        each node's VmHWM (peak RSS) minus its VmRSS when idle
  chat          s says a line every 100 ms while the file moves; the delay
                to r's chat event (harness clock, pipes included): p50,
                p99, max, and the same for 2 s before the transfer

Bars (issue 17): >= 100 MB/s, >= 0.8 x raw ENet, < 64 MiB above idle,
chat p99 <= 5 ms. Prints the figures and which bars hold; exit 0 when the
run completed (the bars are reported, not enforced: it is no test)."""
import argparse, hashlib, os, shutil, socket, subprocess, sys, tempfile, threading, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sim"))
from room import Node, free_port, stop, wait  # noqa: E402

MIB = 1 << 20


def status_kb(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def pct(vals, p):
    if not vals:
        return float("nan")
    s = sorted(vals)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def chat_probe(s, r, tag, stop_ev, out):
    """Says a numbered line every 100 ms until stop_ev; out gets the delays
    (ms) of those r received."""
    sent, i = {}, 0
    while not stop_ev.is_set() and i < 10000:
        text = f"{tag}{i}"
        sent[text] = time.monotonic()
        s.send("say " + text)
        i += 1
        time.sleep(0.1)  # 10 a second: under the chat rate cap (20/s)
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        got = {e.get("text"): e["_h"] for e in r.evs("chat") if str(e.get("text", "")).startswith(tag)}
        if len(got) >= len(sent):
            break
        time.sleep(0.05)
    out.extend((got[t] - sent[t]) * 1000 for t in sent if t in got)
    out.append(None) if len(got) < len(sent) else None


def tcp_copy(path, size):
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    got = [0]

    def sink():
        c, _ = srv.accept()
        buf = bytearray(MIB)
        while True:
            n = c.recv_into(buf)
            if not n:
                break
            got[0] += n
        c.close()
    t = threading.Thread(target=sink)
    t.start()
    cl = socket.create_connection(srv.getsockname())
    t0 = time.monotonic()
    with open(path, "rb") as f:
        cl.sendfile(f)
    cl.close()
    t.join(60)
    secs = time.monotonic() - t0
    srv.close()
    return got[0] / 1e6 / secs if got[0] == size else float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--enet", required=True, help="bench_files_enet")
    ap.add_argument("--mb", type=int, default=1024, help="file size, MiB")
    ap.add_argument("--dir", help="work folder (default: a temporary one)")
    o = ap.parse_args()
    size = o.mb * MIB
    tmp = tempfile.mkdtemp(prefix="lanmeet-bench-files-", dir=o.dir)
    nodes = []
    try:
        path = os.path.join(tmp, "payload.bin")
        block = os.urandom(MIB)
        h = hashlib.sha256()
        with open(path, "wb") as f:
            for _ in range(o.mb):
                f.write(block)
                h.update(block)
        sha = h.hexdigest()

        enet = subprocess.run([o.enet, str(o.mb)], capture_output=True, text=True, timeout=180)
        enet_rate = float(enet.stdout.split()[2]) if enet.returncode == 0 else float("nan")
        tcp_rate = tcp_copy(path, size)

        ports = [free_port() for _ in range(3)]
        for i, nm in enumerate(("h", "s", "r")):
            d = os.path.join(tmp, nm)
            os.makedirs(os.path.join(d, "down"))
            nodes.append(Node(o.binary, nm, ports[i], [p for p in ports if p != ports[i]],
                              room="bench", forced=i == 0,
                              extra=["--no-audio", "--store-dir", os.path.join(d, "store"),
                                     "--download-dir", os.path.join(d, "down")]))
        hub, s, r = nodes
        if not wait(lambda: all(n.ready and len(n.linked()) == 2 and n.hub() == hub.id
                                for n in nodes), 20):
            print("the room did not form")
            return 1
        time.sleep(1)
        idle = {n.name: status_kb(n.proc.pid, "VmRSS") for n in nodes}
        base = []
        ev = threading.Event()
        th = threading.Thread(target=chat_probe, args=(s, r, "idle", ev, base))
        th.start()
        time.sleep(2)
        ev.set()
        th.join()

        during = []
        ev = threading.Event()
        t0 = time.monotonic()
        s.send("send " + path)
        th = threading.Thread(target=chat_probe, args=(s, r, "busy", ev, during))
        th.start()
        ok = wait(lambda: any(e.get("id") == sha for e in r.evs("file_offered")), 120)
        if ok:
            r.send("get " + sha)
        ok = ok and wait(lambda: any(e.get("id") == sha for e in r.evs("file_done") + r.evs("file_failed")), 600)
        t1 = time.monotonic()
        ev.set()
        th.join()
        done = [e for e in r.evs("file_done") if e.get("id") == sha]
        if not done:
            print("the transfer did not finish:", r.evs("file_failed")[-1:] or "timeout")
            return 1
        got = hashlib.sha256()
        with open(done[0]["path"], "rb") as f:
            for blk in iter(lambda: f.read(MIB), b""):
                got.update(blk)
        if got.hexdigest() != sha:
            print("the received file's sha256 differs")
            return 1
        hub_rate = size / 1e6 / (t1 - t0)
        peak = {n.name: status_kb(n.proc.pid, "VmHWM") for n in nodes}

        lost_b, lost_d = None in base, None in during
        base = [x for x in base if x is not None]
        during = [x for x in during if x is not None]
        print(f"file: {o.mb} MiB ({size / 1e6:.0f} MB), sha256 checked")
        print(f"rates MB/s: through hub {hub_rate:.1f}, raw ENet {enet_rate:.1f}, TCP {tcp_rate:.1f}")
        print(f"ratios: hub/ENet {hub_rate / enet_rate:.2f}, hub/TCP {hub_rate / tcp_rate:.3f}")
        for n in ("s", "h", "r"):
            print(f"memory {dict(s='sender', h='hub', r='receiver')[n]}: idle {idle[n] / 1024:.1f} MiB, "
                  f"peak {peak[n] / 1024:.1f} MiB, above idle {(peak[n] - idle[n]) / 1024:.1f} MiB")
        print(f"chat idle ms: p50 {pct(base, 50):.2f} p99 {pct(base, 99):.2f} max "
              f"{max(base, default=float('nan')):.2f} ({len(base)} lines{', some lost' if lost_b else ''})")
        print(f"chat during ms: p50 {pct(during, 50):.2f} p99 {pct(during, 99):.2f} max "
              f"{max(during, default=float('nan')):.2f} ({len(during)} lines{', some lost' if lost_d else ''})")
        bars = [("through hub >= 100 MB/s", hub_rate >= 100),
                ("through hub >= 0.8 x raw ENet", hub_rate >= 0.8 * enet_rate),
                ("memory < 64 MiB above idle", all(peak[n] - idle[n] < 64 * 1024 for n in peak)),
                ("chat p99 <= 5 ms", pct(during, 99) <= 5 and not lost_d)]
        for name, held in bars:
            print(("holds  " if held else "MISSED ") + name)
        return 0
    finally:
        stop(nodes)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
