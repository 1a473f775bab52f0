#!/usr/bin/env python3
"""Video between N nodes on loopback, measured from the pixels.

Every node sends the test pattern (--camera pattern: each frame painted
with its counter and its CLOCK_MONOTONIC capture time) and watches every
other at tile size (320x180). With --test-faults a node says, for every
frame it decodes, what it read back from the picture's stripe (a `frame`
event: n, capture_us) and when it had decoded it (shown_us, the same
clock: all nodes run on this machine). From those alone, per stream
(sender -> viewer) over --seconds after a warm-up:

  delay     shown_us - capture_us of each frame read: p50, p99
  fps       distinct frame counters read, per second: the pictures that
            changed on the viewer's screen
  missing   counters never read between the first and the last (frames
            lost or shown unreadable)

With --loss F every node drops F of the packets it receives (test_drop):
lost bands are healed from the frame before, so a frame still shows
(its counter read from one of the two stripes). The bar is then --fps-min
of updated pictures (25 by default with loss, 29 without); the delay is
reported, not checked, unless --p50-max is given.

With --probe: --nodes senders watch nobody (--view-size none) and one
more node, with no camera, watches them all at tile size: its CPU from
/proc/PID/stat over --seconds (--cpu-max) and its per-stream figures.

With --hosts H: one node per simulated host (network namespaces on a
virtual switch, as root), each watching the others at 640x360, the last
host's link capped with tbf (--cap-rate 2mbit): that host must still get
every peer (its size, rate and quality are printed) while the others get
each other at 640x360 and >= 29 fps.

With --record-psnr CLIP: node A plays CLIP as its camera and node B
records it at full size (--record); each recorded frame is compared with
the clip's frame of the same number by ffmpeg's psnr filter (--psnr-min,
35 dB).

At the end each node's `stats` answer gives the kbit/s it receives and
sends (video_stats): their sum is the video traffic on the "LAN", and
/proc/PID/stat gives each node's CPU over the measured window.

  video.py --binary build/lanmeet [--nodes 3] [--seconds 8] [--loss 0.1]
           [--p50-max 8] [--fps-min 29]

Loopback only; every wait is bounded; every process is stopped. Exit 0
on pass, 1 on failure."""
import argparse, os, re, shutil, subprocess, sys, tempfile, time

from room import Node, free_port, stop, verdict, wait

WARMUP_S = 2.0
CLK_TCK = os.sysconf("SC_CLK_TCK")


def pct(xs, p):
    xs = sorted(xs)
    if not xs:
        return float("nan")
    return xs[min(len(xs) - 1, int(p / 100.0 * len(xs)))]


def streams(nodes, t0_us, t1_us):
    """Per (sender name, viewer name): the frames read in the window."""
    by_id = {n.id: n.name for n in nodes}
    out = {}
    for v in nodes:
        for e in v.evs("frame"):
            if not e.get("read") or not (t0_us <= e["shown_us"] < t1_us):
                continue
            key = (by_id.get(e["id"], e["id"]), v.name)
            out.setdefault(key, []).append(e)
    return out


def camera_toggle(nodes):
    """`camera off` on the first node: the others are told (video, on
    false) and get none of its frames a moment later; `camera on`: told
    again, with the size, and its frames come back."""
    fails = []
    cam, others = nodes[0], nodes[1:]

    def told(on, since):
        return all(any(e.get("id") == cam.id and bool(e.get("on")) == on and
                       e["_h"] >= since for e in n.evs("video")) for n in others)

    def frames(n, since):
        return [e for e in n.evs("frame") if e.get("id") == cam.id and e["_h"] >= since]

    t_off = time.monotonic()
    cam.send("camera off")
    told_off = wait(lambda: told(False, t_off), 3)
    if not told_off:
        fails.append("camera off: not every node got video {on: false}")
    time.sleep(0.5)  # a pause: bands already sent are shown
    quiet = time.monotonic()
    time.sleep(1.0)  # a pause: a second with the camera off
    late = sum(len(frames(n, quiet)) for n in others)
    if late:
        fails.append(f"camera off: {late} of its frames still shown a second later")
    t_on = time.monotonic()
    cam.send("camera on")
    back = wait(lambda: told(True, t_on) and all(frames(n, t_on) for n in others), 3)
    on_ev = [e for e in others[0].evs("video") if e.get("id") == cam.id and e["_h"] >= t_on]
    if not back:
        fails.append("camera on: not every node was told and got its frames again")
    elif not (on_ev[-1].get("w") and on_ev[-1].get("fps")):
        fails.append(f"camera on: the video event has no size: {on_ev[-1]}")
    print(f"camera off: {'every node told' if told_off else 'NOT told'}, {late} of its "
          f"frames shown 0.5-1.5 s after; on: {'told and back' if back else 'NOT back'} "
          f"within 3 s")
    return fails


def full(peers, first):
    """Every viewer gets what it got before the loss (quality, size, rate)."""
    return all((p.get("tx_quality"), p.get("tx_w"), p.get("tx_fps")) ==
               first.get(p.get("id"), (None,)) for p in peers)


def recovery(nodes, limit):
    """test_drop 0 everywhere, then `stats` once a second until every
    sender sends every viewer what it sent at the start (adaptation came
    back up): the seconds that took, or None past limit."""
    firsts = []
    for n in nodes:
        st = [e for e in n.evs("video_stats")]
        firsts.append({p["id"]: (p.get("tx_quality"), p.get("tx_w"), p.get("tx_fps"))
                       for p in (st[0].get("peers", []) if st else [])})
    for n in nodes:
        n.send("test_drop 0")
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        time.sleep(1.0)
        counts = [len(n.evs("video_stats")) for n in nodes]
        for n in nodes:
            n.send("stats")
        wait(lambda: all(len(n.evs("video_stats")) > c for n, c in zip(nodes, counts)), 3)
        if all(full(n.evs("video_stats")[-1].get("peers", []), f) for n, f in zip(nodes, firsts)):
            return time.monotonic() - t0
    return None


def probe(o):
    """One node's cost of watching: --nodes senders (the pattern, watching
    nobody: --view-size none) and one viewer with no camera and no frame
    events, at tile size. Its CPU over --seconds from /proc/PID/stat, and
    its own figures per stream (video_stats: fps, kbit/s, decode)."""
    ports = [free_port() for _ in range(o.nodes + 1)]
    nodes, fails = [], []
    try:
        for i, p in enumerate(ports[:-1]):
            nodes.append(Node(o.binary, f"s{i}", p, [q for q in ports if q != p],
                              room="video",
                              extra=["--no-audio", "--camera", "pattern", "--view-size", "none"]))
        viewer = Node(o.binary, "viewer", ports[-1], ports[:-1], room="video",
                      extra=["--no-audio", "--no-camera"])
        nodes.append(viewer)
        if not wait(lambda: len(viewer.linked()) >= o.nodes, 15):
            fails.append("the viewer did not link to every sender")
            return verdict(fails)
        time.sleep(WARMUP_S + 1)
        t0, c0 = time.monotonic(), viewer.cpu_ticks()
        time.sleep(o.seconds)
        cpu = (viewer.cpu_ticks() - c0) / CLK_TCK / (time.monotonic() - t0) * 100
        viewer.send("stats")
        wait(lambda: viewer.evs("video_stats"), 5)
        st = viewer.evs("video_stats")
        peers = st[-1].get("peers", []) if st else []
        fps = [p.get("rx_fps", 0) for p in peers]
        kbps = sum(p.get("rx_kbps", 0) for p in peers)
        dec = [p.get("decode_us", 0) for p in peers]
        print(f"one node receiving {len(peers)} streams at "
              f"{peers[0].get('rx_w') if peers else 0}x{peers[0].get('rx_h') if peers else 0}: "
              f"cpu {cpu:.1f} % of one core, {kbps / 1000:.2f} Mbit/s in, fps per stream "
              f"{min(fps or [0])}..{max(fps or [0])}, decode per frame "
              f"{min(dec or [0]) / 1000:.2f}..{max(dec or [0]) / 1000:.2f} ms")
        if len(peers) < o.nodes:
            fails.append(f"the viewer has {len(peers)} streams, not {o.nodes}")
        if o.cpu_max is not None and not cpu <= o.cpu_max:
            fails.append(f"viewer cpu {cpu:.1f} %, over {o.cpu_max:g}")
        return verdict(fails)
    finally:
        stop(nodes)


def host_mode(o):
    """--hosts H: one node per simulated host (network namespaces on a
    virtual switch, tests/sim/hosts.py), each sending the pattern and
    watching the others at full size (--view-size 640x360), the last
    host's link capped with tbf (--cap-rate). After --settle s for
    adaptation, over --seconds: the capped host must still get every
    peer's video (at what size, rate and quality is printed), and the
    others must get each other at 640x360 and >= --fps-min."""
    import hosts as lmhosts
    why = lmhosts.skip_reason()
    if why:
        print(f"SKIP {why}")
        return 77
    tmp = tempfile.mkdtemp(prefix="lanmeet-video-")
    nodes, fails, lan = [], [], None
    try:
        lan = lmhosts.Lan(o.hosts, tmp).up()
        capped = lan.hosts[-1]
        lan.cap(capped, rate=o.cap_rate)
        ports = [lmhosts.BASE_PORT + i for i in range(o.hosts)]
        addrs = [f"{h.addr}:{p}" for h, p in zip(lan.hosts, ports)]
        for i, h in enumerate(lan.hosts):
            nodes.append(Node(o.binary, f"h{i}", ports[i], [a for a in addrs if a != addrs[i]],
                              room="video", hostobj=h,
                              extra=["--no-audio", "--camera", "pattern", "--test-faults",
                                     "--view-size", "640x360"]))
        if not wait(lambda: all(len(n.linked()) >= o.hosts - 1 for n in nodes), 20):
            fails.append("the room did not form")
            return verdict(fails)
        time.sleep(o.settle)
        t0 = time.monotonic()
        time.sleep(o.seconds)
        t1 = time.monotonic()
        for n in nodes:
            n.send("stats")
        wait(lambda: all(n.evs("video_stats") for n in nodes), 5)
        span = t1 - t0
        got = streams(nodes, int(t0 * 1e6), int(t1 * 1e6))
        low = nodes[-1]
        print(f"{o.hosts} hosts, {low.name} capped at {o.cap_rate}; {span:.1f} s measured "
              f"after {o.settle:g} s")
        print("stream          fps  size      delay p50 ms")
        for s in nodes:
            for v in nodes:
                if s is v:
                    continue
                evs = got.get((s.name, v.name), [])
                fps = len({e["n"] for e in evs}) / span
                sizes = sorted({(e["w"], e["h"]) for e in evs})
                p50 = pct([(e["shown_us"] - e["capture_us"]) / 1000.0 for e in evs], 50)
                print(f"{s.name:>3} -> {v.name:<4} {fps:5.1f}  "
                      f"{','.join(f'{w}x{h}' for w, h in sizes) or '-':9} {p50:8.2f}")
                if v is low or s is low:
                    if v is low and fps < 1:
                        fails.append(f"the capped host gets nothing from {s.name}")
                    continue
                if fps < o.fps_min_hosts:
                    fails.append(f"{s.name} -> {v.name}: {fps:.1f} fps, under {o.fps_min_hosts:g}")
                    why_short(s, v)
                if sizes != [(640, 360)]:
                    fails.append(f"{s.name} -> {v.name}: sizes {sizes}, not 640x360")
        for n in nodes[:-1]:
            st = n.evs("video_stats")
            for p in (st[-1].get("peers", []) if st else []):
                if p.get("id") == low.id:
                    print(f"{n.name} sends {low.name}: {p.get('tx_w')}x{p.get('tx_h')} at "
                          f"{p.get('tx_fps')} fps, quality {p.get('tx_quality')}, "
                          f"{p.get('tx_kbps')} kbit/s ({p.get('tx_downs')} steps down, "
                          f"{p.get('tx_ups')} up)")
        st = low.evs("video_stats")
        for p in (st[-1].get("peers", []) if st else []):
            print(f"{low.name} gets {p.get('id')}: {p.get('rx_w')}x{p.get('rx_h')} "
                  f"{p.get('rx_fps')} fps {p.get('rx_kbps')} kbit/s, loss "
                  f"{p.get('loss_permille')} per mille, {p.get('late')} late, "
                  f"{p.get('stale')} stale")
        tc = lan.tc_stats(capped)
        print(f"{capped.name}'s link: " + "; ".join(
            f"{w} {v['bytes'] * 8 / (time.monotonic() - nodes[0].launched) / 1e6:.2f} Mbit/s "
            f"since start, {v['dropped']} dropped" for w, v in tc.items()))
        for n in nodes:
            if n.proc.poll() is not None:
                fails.append(f"{n.name} exited: {n.stderr_tail()}")
        return verdict(fails)
    finally:
        stop(nodes)
        if lan:
            lan.close()
        shutil.rmtree(tmp, ignore_errors=True)


def split_jpegs(data):
    """The JPEGs of an MJPEG clip, split at each SOI that starts a frame
    (enough for a clip we made or chose; the node's own reader walks the
    markers, ui/dev/camfile.c)."""
    starts = []
    i = data.find(b"\xff\xd8\xff")
    while i >= 0:
        starts.append(i)
        i = data.find(b"\xff\xd8\xff", i + 3)
    return [data[a:b] for a, b in zip(starts, starts[1:] + [len(data)])]


def record_psnr(o):
    """A plays --record-psnr CLIP as its camera; B records it at full size
    (--record). Each recorded frame is set against the clip's frame of the
    same number (the file source loops: frame n is clip[n % len]) with
    ffmpeg's psnr filter: the PSNR is printed and checked (--psnr-min)."""
    if not shutil.which("ffmpeg"):
        print("SKIP: no ffmpeg")
        return 77
    tmp = tempfile.mkdtemp(prefix="lanmeet-video-")
    rec = os.path.join(tmp, "rec")
    os.makedirs(rec)
    if o.record_psnr == "gen":  # a clip of ffmpeg's own test source, 3 s
        o.record_psnr = os.path.join(tmp, "clip.mjpeg")
        subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i",
                        "testsrc2=size=640x360:rate=30", "-t", "3", "-pix_fmt", "yuvj420p",
                        "-q:v", "3", "-f", "mjpeg", o.record_psnr], check=True, timeout=60)
    pa, pb = free_port(), free_port()
    nodes, fails = [], []
    try:
        a = Node(o.binary, "a", pa, [pb], room="video",
                 extra=["--no-audio", "--camera-file", o.record_psnr])
        b = Node(o.binary, "b", pb, [pa], room="video",
                 extra=["--no-audio", "--no-camera", "--record", rec])
        nodes += [a, b]
        if not wait(lambda: a.linked() and b.linked(), 15):
            fails.append("the two nodes did not link")
            return verdict(fails)
        time.sleep(o.seconds)
        stop(nodes)
        nodes = []
        base = os.path.join(rec, a.id)
        with open(base + ".index") as f:
            rows = [list(map(int, line.split())) for line in f if line.strip()]
        with open(base + ".mjpeg", "rb") as f:
            got = f.read()
        with open(o.record_psnr, "rb") as f:
            clip = split_jpegs(f.read())
        if not rows or not clip:
            fails.append(f"nothing recorded ({len(rows)} frames) or no clip frames")
            return verdict(fails)
        # the recording's frames, and the clip's frames of the same numbers
        ours, theirs = os.path.join(tmp, "ours.mjpeg"), os.path.join(tmp, "theirs.mjpeg")
        with open(ours, "wb") as fo, open(theirs, "wb") as ft:
            for n, _, off, ln in rows:
                fo.write(got[off:off + ln])
                ft.write(clip[n % len(clip)])
        r = subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-f", "mjpeg", "-i", ours,
                            "-f", "mjpeg", "-i", theirs, "-lavfi", "psnr", "-f", "null", "-"],
                           capture_output=True, text=True, timeout=120)
        m = re.search(r"PSNR y:([0-9.inf]+) u:([0-9.inf]+) v:([0-9.inf]+) average:([0-9.inf]+)",
                      r.stderr)
        if not m:
            fails.append(f"ffmpeg gave no PSNR: {r.stderr[-300:]}")
            return verdict(fails)
        y, u, v, avg = (float(x) for x in m.groups())
        gaps = sum(1 for p, q in zip(rows, rows[1:]) if q[0] != p[0] + 1)
        print(f"recorded {len(rows)} frames over {o.seconds:g} s ({gaps} gaps in numbers), "
              f"PSNR against the clip: y {y:.2f} u {u:.2f} v {v:.2f} average {avg:.2f} dB")
        if not avg >= o.psnr_min:
            fails.append(f"PSNR {avg:.2f} dB, under {o.psnr_min:g}")
        return verdict(fails)
    finally:
        stop(nodes)
        shutil.rmtree(tmp, ignore_errors=True)


def why_short(s, v):
    """What the two ends of a stream that fell short say of it: the
    sender's capture and its figures for v, v's for s."""
    sst, vst = s.evs("video_stats"), v.evs("video_stats")
    if sst:
        top = sst[-1]
        print(f"  {s.name} captured {top.get('frames')} frames, {top.get('dropped')} "
              f"dropped, {top.get('bad_frames')} bad")
        for p in top.get("peers", []):
            if p.get("id") == v.id:
                print(f"  {s.name} sends {v.name}: {p.get('tx_w')}x{p.get('tx_h')} at "
                      f"{p.get('tx_fps')} fps, quality {p.get('tx_quality')}, "
                      f"{p.get('tx_downs')} steps down, {p.get('tx_ups')} up")
    for p in (vst[-1].get("peers", []) if vst else []):
        if p.get("id") == s.id:
            print(f"  {v.name} gets {s.name}: {p.get('rx_fps')} fps, loss "
                  f"{p.get('loss_permille')} per mille, {p.get('late')} late, "
                  f"{p.get('stale')} stale, decode {p.get('decode_us')} µs")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--nodes", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=8)
    ap.add_argument("--loss", type=float, default=0.0)
    ap.add_argument("--p50-max", type=float,
                    help="ms; default 8 without loss, not checked with it")
    ap.add_argument("--fps-min", type=float,
                    help="per stream; default 29, 25 with --loss")
    ap.add_argument("--recover-max", type=float, default=10.0,
                    help="with --loss: seconds for adaptation to come back up")
    ap.add_argument("--record-psnr", metavar="CLIP",
                    help="instead: play CLIP (MJPEG; 'gen': one ffmpeg makes) as A's "
                    "camera, record it at B, and check the recording's PSNR "
                    "against the clip (needs ffmpeg; exit 77 without)")
    ap.add_argument("--psnr-min", type=float, default=35.0)
    ap.add_argument("--probe", action="store_true",
                    help="instead: --nodes senders and one viewer; the viewer's CPU")
    ap.add_argument("--cpu-max", type=float, help="with --probe: % of one core")
    ap.add_argument("--hosts", type=int,
                    help="instead: one node per simulated host (as root), the last capped")
    ap.add_argument("--cap-rate", default="2mbit")
    ap.add_argument("--settle", type=float, default=12.0,
                    help="with --hosts: seconds for adaptation before measuring")
    ap.add_argument("--fps-min-hosts", type=float, default=29.0)
    o = ap.parse_args()
    if o.hosts:
        return host_mode(o)
    if o.probe:
        return probe(o)
    if o.record_psnr:
        return record_psnr(o)
    p50_max = o.p50_max if o.p50_max is not None else (None if o.loss else 8.0)
    fps_min = o.fps_min if o.fps_min is not None else (25.0 if o.loss else 29.0)
    ports = [free_port() for _ in range(o.nodes)]
    nodes, fails = [], []
    try:
        for i, p in enumerate(ports):
            nodes.append(Node(o.binary, f"v{i}", p, [q for q in ports if q != p],
                              room="video",
                              extra=["--no-audio", "--camera", "pattern", "--test-faults"]))
        k = o.nodes - 1
        ids = lambda: {n.id for n in nodes}  # noqa: E731
        if not wait(lambda: all(len(n.linked()) >= k for n in nodes), 15):
            fails.append("the room did not form")
            return verdict(fails)
        # every node told of every camera (and its own)
        if not wait(lambda: all({e.get("id") for e in n.evs("video") if e.get("on")} >= ids()
                                for n in nodes), 10):
            fails.append("not every node was told of every camera (video events)")
        if o.loss:
            time.sleep(WARMUP_S)  # what each viewer gets with no loss
            for n in nodes:
                n.send("stats")
            wait(lambda: all(n.evs("video_stats") for n in nodes), 5)
            for n in nodes:
                n.send(f"test_drop {o.loss}")
        time.sleep(WARMUP_S)
        t0 = time.monotonic()
        c0 = [n.cpu_ticks() for n in nodes]
        time.sleep(o.seconds)
        t1 = time.monotonic()
        c1 = [n.cpu_ticks() for n in nodes]
        for n in nodes:
            n.send("stats")
        wait(lambda: all(n.evs("video_stats") for n in nodes), 5)

        span = t1 - t0
        got = streams(nodes, int(t0 * 1e6), int(t1 * 1e6))
        all_delays, worst_fps = [], None
        print(f"{o.nodes} nodes, {span:.1f} s measured, loss {o.loss:g}")
        print("stream            frames   fps  missing  delay p50   p99 ms")
        for s in nodes:
            for v in nodes:
                if s is v:
                    continue
                evs = got.get((s.name, v.name), [])
                counters = sorted({e["n"] for e in evs})
                fps = len(counters) / span
                missing = (counters[-1] - counters[0] + 1 - len(counters)) if counters else 0
                delays = [(e["shown_us"] - e["capture_us"]) / 1000.0 for e in evs]
                all_delays += delays
                p50, p99 = pct(delays, 50), pct(delays, 99)
                print(f"{s.name:>4} -> {v.name:<6}  {len(evs):6d} {fps:5.1f} {missing:8d}"
                      f"  {p50:9.2f} {p99:6.2f}")
                worst_fps = fps if worst_fps is None else min(worst_fps, fps)
                if fps < fps_min:
                    fails.append(f"{s.name} -> {v.name}: {fps:.1f} fps, under {fps_min:g}")
                if p50_max is not None and not p50 <= p50_max:
                    fails.append(f"{s.name} -> {v.name}: delay p50 {p50:.2f} ms, over {p50_max:g}")
        print(f"all streams: delay p50 {pct(all_delays, 50):.2f} ms, p99 "
              f"{pct(all_delays, 99):.2f} ms; lowest fps {worst_fps or 0:.1f}")
        rx = tx = 0
        for i, n in enumerate(nodes):
            st = n.evs("video_stats")
            cpu = (c1[i] - c0[i]) / CLK_TCK / span * 100
            if not st:
                fails.append(f"{n.name}: no video_stats answer")
                continue
            peers = st[-1].get("peers", [])
            nrx = sum(p.get("rx_kbps", 0) for p in peers)
            ntx = sum(p.get("tx_kbps", 0) for p in peers)
            rx, tx = rx + nrx, tx + ntx
            sizes = sorted({f"{p.get('tx_w')}x{p.get('tx_h')} q{p.get('tx_quality')}"
                            for p in peers})
            print(f"{n.name}: cpu {cpu:5.1f} % of one core, receives {nrx / 1000:.2f} Mbit/s, "
                  f"sends {ntx / 1000:.2f} Mbit/s ({', '.join(sizes)})")
        print(f"video on the LAN (sum of what the nodes send): {tx / 1000:.1f} Mbit/s; "
              f"received: {rx / 1000:.1f} Mbit/s")
        t = os.times()  # this harness, which reads every frame event
        print(f"harness cpu over the whole run: {t.user + t.system:.1f} s")
        if o.loss:
            rec = recovery(nodes, o.recover_max)
            if rec is None:
                now = {n.name: [(p.get("tx_quality"), p.get("tx_w"), p.get("tx_fps"),
                                 p.get("loss_permille"))
                                for p in n.evs("video_stats")[-1].get("peers", [])]
                       for n in nodes}
                fails.append(f"quality not back within {o.recover_max:g} s of the loss "
                             f"stopping: (quality, w, fps, rx loss) {now}")
            else:
                print(f"after the loss stopped, every sender was back at its full quality, "
                      f"size and rate for every viewer in {rec:.1f} s")
        if not o.loss:
            fails += camera_toggle(nodes)
        for n in nodes:
            if n.contract:
                fails.append(f"{n.name}: event contract: {n.contract[:3]}")
            crashed = n.proc.poll()
            if crashed is not None:
                fails.append(f"{n.name} exited ({crashed}): {n.stderr_tail()}")
        return verdict(fails)
    finally:
        stop(nodes)


if __name__ == "__main__":
    sys.exit(main())
