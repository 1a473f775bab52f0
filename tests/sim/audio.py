#!/usr/bin/env python3
"""Audio through the hub, measured from the signal itself, on loopback.

A hub started with --host and no audio device mixes for two members:
A talks (an impulse train, --mic-synth) and records what it hears, B
records what it hears (--speaker-file). From the recordings:

  latency   each click's arrival in B's recording against the moment A's
            microphone made it (both nodes say, in their `audio` event,
            the CLOCK_MONOTONIC time of their first frame): p50, p99
  missed    clicks A made that never reached B
  self      A's own clicks in what A hears (mix-minus: none), in dB below
            what B hears
  mute      A mutes: no click of hers reaches B after that, and B is told

With --failover: four nodes, the forced hub is killed mid-call, and the
time from the kill to the first click B hears through the new hub is
measured (2 s allowed). With --loss F: A plays a tone, the hub and B drop
F of what they receive, and the longest gap in B's recording is measured
(--gap-max, 20 ms by default). With --speech: A plays a speech-like WAV
(44.1 kHz stereo, so it is converted) with --mic-file; B's recording must
follow it (10 ms envelope correlation >= 0.9 at the best lag), A must hear
nothing of herself (40 dB), and B must be told that A speaks; with
--speech --loss F both hops lose F and 0.8 is enough (20 % in CI). With
--nodes N: N nodes each click at their own phase and record; every click
is put down to its talker: latency per pair, missed clicks, self-echo.
With --nodes N --hosts H the nodes run round-robin on H simulated
hosts (network namespaces on a virtual switch), the last host's link
capped with tbf (--cap-rate, 2 Mbit/s). With --ptt: A runs with --ptt; B hears her only between `ptt on` and
`ptt off`.

  audio.py --binary build/lanmeet [--frame 10] [--seconds 6]
           [--p50-max 60] [--p99-max 100]

Loopback only; every wait is bounded; every process is stopped. Exit 0
on pass, 1 on failure."""
import argparse, math, os, shutil, signal, struct, sys, tempfile, time

from room import Node, free_port, stop, verdict, wait

PERIOD_MS = 250
RATE = 48000


def read_wav(path):
    """Samples of a 48 kHz mono 16-bit WAV the node wrote."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError(f"{path}: not a WAV file")
    pos = 12
    while pos + 8 <= len(data):
        cid, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        if cid == b"data":
            body = data[pos + 8:pos + 8 + size]
            n = len(body) // 2
            return list(struct.unpack(f"<{n}h", body[:2 * n]))
        pos += 8 + size + (size & 1)
    raise ValueError(f"{path}: no data chunk")


def clicks(samples, threshold):
    """Sample indexes where a click starts: the first sample above the
    threshold after at least 40 ms below it."""
    out, quiet = [], RATE
    for i, v in enumerate(samples):
        if abs(v) >= threshold:
            if quiet >= RATE // 25:
                out.append(i)
            quiet = 0
        else:
            quiet += 1
    return out


def rms_db(samples):
    if not samples:
        return -200.0
    e = sum(v * v for v in samples) / len(samples)
    return 10 * math.log10(e / 32768.0 ** 2) if e > 0 else -200.0


def pct(vals, p):
    s = sorted(vals)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def launch(o, spec, common, nodes):
    """Starts one node per (name, options) of spec, each knowing every
    other's port, into nodes (so the caller's finally stops them all)."""
    ps = [free_port() for _ in spec]
    for i, (nm, extra) in enumerate(spec):
        nodes.append(Node(o.binary, nm, ps[i], [p for p in ps if p != ps[i]],
                          room="audio", extra=common + extra))


def formed_around(nodes, hub, timeout=10):
    """Every node linked to every other, all following the forced hub."""
    k = len(nodes) - 1
    return wait(lambda: all(len(n.evs("peer_joined")) >= k for n in nodes) and
                all(n.hub() == hub.id and hub.id for n in nodes), timeout)


def failover(o):
    """The hub is killed mid-call: the sound comes back through the new
    hub, measured from the first click bob hears after the kill."""
    tmp = tempfile.mkdtemp(prefix="lanmeet-audio-")
    b_wav = os.path.join(tmp, "b.wav")
    common = ["--audio-frame", o.frame]
    spec = [("hub", ["--host"]),
            ("alice", ["--mic-synth", f"impulse:{PERIOD_MS}:0:0.9"]),
            ("bob", ["--speaker-file", b_wav]),
            ("carol", [])]
    nodes, fails = [], []
    try:
        launch(o, spec, common, nodes)
        hub, alice, bob, carol = nodes
        if not formed_around(nodes, hub):
            fails.append("the room did not form with the forced hub")
            return verdict(fails)
        time.sleep(3)  # a pause: the call runs through the first hub
        kill_us = time.monotonic() * 1e6
        hub.proc.send_signal(signal.SIGKILL)
        hub.proc.wait(timeout=5)
        wait(lambda: bob.hub() not in (None, hub.id), 5)
        new = bob.hub()
        time.sleep(4)  # a pause: the call runs through the new hub
    finally:
        stop(nodes)
    try:
        start = bob.evs("audio")[0]["start_us"] if bob.evs("audio") else None
        if start is None:
            fails.append("bob never said its audio started")
            return verdict(fails)
        times = [start + j * 1e6 / RATE for j in clicks(read_wav(b_wav), 3000)]
        before = [t for t in times if t < kill_us]
        after = [t for t in times if t >= kill_us]
        name = next((n.name for n in nodes if n.id == new), "nobody")
        if not before or not after:
            fails.append(f"clicks before the kill: {len(before)}, after: {len(after)}")
            return verdict(fails)
        gap = (after[0] - kill_us) / 1e6
        print(f"hub killed; {name} took over; bob heard the first click "
              f"{gap:.2f} s after the kill ({len(after)} clicks after it)")
        if gap > 2.0:
            fails.append(f"the sound came back {gap:.2f} s after the kill (2 s allowed)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return verdict(fails)


def longest_gap_ms(samples, start, end):
    """The longest run, in ms, of 1 ms windows whose peak is under a tenth
    of the median window's peak, between samples start and end."""
    w = RATE // 1000
    peaks = [max(abs(v) for v in samples[i:i + w])
             for i in range(start, end - w, w)]
    if not peaks:
        return None, 0
    ref = sorted(peaks)[len(peaks) // 2]
    run = best = 0
    for pk in peaks:
        run = run + 1 if pk < ref / 10 else 0
        best = max(best, run)
    return best, ref


def lossy(o):
    """A tone through a hub with packets lost on both hops: the longest
    gap in what bob hears while alice talks."""
    tmp = tempfile.mkdtemp(prefix="lanmeet-audio-")
    b_wav = os.path.join(tmp, "b.wav")
    common = ["--audio-frame", o.frame, "--test-faults"]
    spec = [("hub", ["--host"]),
            ("alice", ["--mic-synth", "tone:440:0.5"]),
            ("bob", ["--speaker-file", b_wav])]
    nodes, fails = [], []
    try:
        launch(o, spec, common, nodes)
        hub, alice, bob = nodes
        if not formed_around(nodes, hub):
            fails.append("the room did not form with the forced hub")
            return verdict(fails)
        time.sleep(1)  # a pause: the streams settle before the loss starts
        from_us = time.monotonic() * 1e6
        for n in (hub, bob):  # each hop loses its share
            n.send(f"test_drop {o.loss}")
        time.sleep(o.seconds)  # a pause: the lossy call runs this long
        to_us = time.monotonic() * 1e6
    finally:
        stop(nodes)
    try:
        start = bob.evs("audio")[0]["start_us"] if bob.evs("audio") else None
        if start is None:
            fails.append("bob never said its audio started")
            return verdict(fails)
        b = read_wav(b_wav)
        lo = int((from_us - start) / 1e6 * RATE)
        hi = min(len(b), int((to_us - start) / 1e6 * RATE))
        gap, ref = longest_gap_ms(b, lo, hi)
        if gap is None:
            fails.append("bob recorded nothing during the lossy call")
            return verdict(fails)
        print(f"loss {o.loss:.0%} on both hops, frame {o.frame} ms, {o.seconds:g} s: "
              f"longest gap in bob's tone {gap} ms (peak level {ref})")
        if ref < 1000:
            fails.append(f"bob hears almost nothing (peak {ref})")
        if gap > o.gap_max:
            fails.append(f"a gap of {gap} ms ({o.gap_max:g} ms allowed)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return verdict(fails)


def write_speechlike(path, seconds, rate=44100, seed=7):
    """A 16-bit stereo WAV of syllable-like bursts (a voiced pitch with
    harmonics under an envelope, then a pause), at 44.1 kHz so the node
    must convert it. Returns its 10 ms envelope at that rate."""
    import random
    rnd = random.Random(seed)
    n = int(seconds * rate)
    out = [0.0] * n
    i = 0
    while i < n:
        dur = int(rnd.uniform(0.08, 0.25) * rate)
        f0 = rnd.uniform(120, 250)
        amp = rnd.uniform(0.2, 0.6)
        for k in range(min(dur, n - i)):
            env = math.sin(math.pi * k / dur)
            t = k / rate
            v = sum(math.sin(2 * math.pi * f0 * h * t) / h for h in (1, 2, 3, 4))
            out[i + k] = amp * env * v / 2.1
        i += dur + int(rnd.uniform(0.05, 0.3) * rate)
    frames = b"".join(struct.pack("<hh", int(v * 32767), int(v * 32767)) for v in out)
    with open(path, "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", 36 + len(frames)) + b"WAVE")
        f.write(b"fmt " + struct.pack("<IHHIIHH", 16, 1, 2, rate, rate * 4, 4, 16))
        f.write(b"data" + struct.pack("<I", len(frames)) + frames)
    return envelope([int(v * 32767) for v in out], rate)


def envelope(samples, rate):
    w = rate // 100
    return [math.sqrt(sum(v * v for v in samples[i:i + w]) / w)
            for i in range(0, len(samples) - w + 1, w)]


def pearson(x, y):
    n = len(x)
    mx, my = sum(x) / n, sum(y) / n
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y))
    sx = math.sqrt(sum((a - mx) ** 2 for a in x))
    sy = math.sqrt(sum((b - my) ** 2 for b in y))
    return sxy / (sx * sy) if sx and sy else 0.0


def speech(o):
    """A plays a speech-like WAV (--mic-file), B records: B's recording
    follows A's (envelope correlation at the best lag), and what A hears
    holds no trace of A. With --loss F the hub and B drop F of what they
    receive, and the bar is --r-min (0.8 then, 0.9 without loss)."""
    tmp = tempfile.mkdtemp(prefix="lanmeet-audio-")
    src, a_wav, b_wav = (os.path.join(tmp, f) for f in ("src.wav", "a.wav", "b.wav"))
    loop_s = 4.0
    env_src = write_speechlike(src, loop_s)
    # the window compared is the last --loops loops: they must all be call
    o.seconds = max(o.seconds, loop_s * o.loops + 2)
    common = ["--audio-frame", o.frame] + (["--test-faults"] if o.loss else [])
    r_min = o.r_min if o.r_min is not None else (0.8 if o.loss else 0.9)
    spec = [("hub", ["--host"]),
            ("alice", ["--mic-file", src, "--speaker-file", a_wav]),
            ("bob", ["--speaker-file", b_wav])]
    nodes, fails = [], []
    try:
        launch(o, spec, common, nodes)
        hub, alice, bob = nodes
        if not formed_around(nodes, hub):
            fails.append("the room did not form with the forced hub")
            return verdict(fails)
        if o.loss:
            for n in (hub, bob):  # each hop loses its share
                n.send(f"test_drop {o.loss}")
        time.sleep(o.seconds)  # a pause: the call runs this long
        spoke = any(e.get("id") == alice.id and e.get("on") for e in bob.evs("speaking"))
    finally:
        stop(nodes)
    try:
        a, b = read_wav(a_wav), read_wav(b_wav)
        env_b = envelope(b, RATE)
        # the last --loops loops bob heard, against the looped source at
        # every lag of 10 ms within one loop: the best is the delay
        one = int(loop_s * 100)
        n = one * o.loops
        tail = env_b[-n - 50:-50]
        looped = env_src * (o.loops + 2)
        best = max(((pearson(tail, looped[k:k + n]), k) for k in range(one)),
                   default=(0.0, 0))
        la, lb = rms_db(a[-RATE * 2:]), rms_db(b[-RATE * 2:])
        lost = f", {o.loss:.0%} lost on both hops" if o.loss else ""
        print(f"speech-like clip through the hub{lost}, frame {o.frame} ms: "
              f"envelope correlation {best[0]:.3f} at a lag of {best[1] * 10} ms "
              f"(mod the {loop_s:g} s loop); alice hears {la:.1f} dBFS, bob {lb:.1f} dBFS "
              f"({lb - la:.1f} dB apart); bob was told alice speaks: {spoke}")
        if best[0] < r_min:
            fails.append(f"bob's recording follows the clip only at r={best[0]:.3f} "
                         f"({r_min:g} needed)")
        if lb - la < 40:
            fails.append(f"alice hears herself: {lb - la:.1f} dB below bob")
        if not spoke:
            fails.append("bob never got a speaking event for alice")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return verdict(fails)


def crowd(o):
    """N nodes, each clicking at its own phase of a 1 s period and
    recording what it hears, through a hub among them: every click is put
    down to the talker whose schedule it follows, which gives each
    talker-to-listener latency, the clicks that never arrived, and any
    click a node hears of its own (self-echo: none allowed)."""
    period_ms = 1000
    step = period_ms // o.nodes
    tmp = tempfile.mkdtemp(prefix="lanmeet-audio-")
    nodes, fails, lan = [], [], None
    wavs = [os.path.join(tmp, f"n{i}.wav") for i in range(o.nodes)]
    spec = [(f"n{i}", ["--mic-synth", f"impulse:{period_ms}:{i * step}:0.9",
                       "--speaker-file", wavs[i]]) for i in range(o.nodes)]
    try:
        if o.hosts:
            lan = on_hosts(o, spec, nodes, tmp)
            if lan is None:
                return 77
        else:
            launch(o, spec, ["--audio-frame", o.frame], nodes)
        if not wait(lambda: all(len({e.get("id") for e in n.evs("peer_joined")}) >= o.nodes - 1
                                for n in nodes) and
                    len({n.hub() for n in nodes}) == 1 and nodes[0].hub(), 20):
            fails.append("the room did not form")
            return verdict(fails)
        t0, c0 = time.monotonic(), [n.cpu_ticks() for n in nodes]
        from_us = t0 * 1e6 + 1e6  # the first second: streams settle
        time.sleep(o.seconds)  # a pause: the call runs this long
        hz = os.sysconf("SC_CLK_TCK")
        took = time.monotonic() - t0
        cpu = {n.name: 100.0 * (n.cpu_ticks() - c) / hz / took for n, c in zip(nodes, c0)}
        to_us = time.monotonic() * 1e6
        hub = next((n for n in nodes if n.id == nodes[0].hub()), None)
        if lan:
            h = lan.hosts[-1]
            tc = lan.tc_stats(h)
            print(f"{h.name} capped at {h.capped} (nodes " +
                  ", ".join(n.name for n in nodes if n.hostobj is h) + "): " +
                  "; ".join(f"{w} {v['bytes'] * 8 / took / 1e6:.2f} Mbit/s over the call "
                            f"and start, {v['dropped']} dropped" for w, v in tc.items()))
    finally:
        stop(nodes)
        if lan:
            lan.close()
    try:
        starts = {}
        for n in nodes:
            if not n.evs("audio"):
                fails.append(f"{n.name} never said its audio started")
                return verdict(fails)
            starts[n.name] = n.evs("audio")[0]["start_us"]
        lat, selfs, got = [], 0, {}
        level = {}  # (talker, listener) -> peaks of the talker's clicks heard
        own_db = []  # per listener: its own signal, in dB under the others
        for li, n in enumerate(nodes):
            rec = read_wav(wavs[li])
            # where this node's own clicks would land if the hub sent them
            # back: 2-80 ms after each (every other talker's click is at
            # least 1000/N ms away in phase, and arrives in 20-40 ms)
            first = starts[n.name] + li * step * 1000
            own_pk = []
            for k in range(int(o.seconds) + 2):
                tk = first + k * period_ms * 1000
                if from_us <= tk and tk + 200000 < to_us:
                    a_ = int((tk + 2000 - starts[n.name]) / 1e6 * RATE)
                    b_ = int((tk + min(80000, step * 800) - starts[n.name]) / 1e6 * RATE)
                    if 0 <= a_ < b_ <= len(rec):
                        own_pk.append(max(abs(v) for v in rec[a_:b_]))
            for j in clicks(rec, 3000):
                t = starts[n.name] + j * 1e6 / RATE
                if t < from_us or t > to_us - 200000:
                    continue
                # the talkers whose click this can be (made up to 100 ms
                # before); the listener itself only when nobody else fits,
                # since the launch times put some schedules close together
                cand = []
                for si, s_ in enumerate(nodes):
                    first = starts[s_.name] + si * step * 1000
                    k = math.floor((t - first) / (period_ms * 1000))
                    d = (t - (first + k * period_ms * 1000)) / 1000.0
                    if k >= 0 and d <= 100:
                        cand.append((d, si, k))
                others = [c for c in cand if c[1] != li]
                if not others:
                    selfs += 1 if cand else 0
                    continue
                best = min(others)
                lat.append(best[0])
                got[(best[1], li, best[2])] = True
                level.setdefault((best[1], li), []).append(
                    max(abs(v) for v in rec[j:j + RATE // 200]))
            heard_pk = [max(v) for (t_, l_), v in level.items() if l_ == li]
            if own_pk and heard_pk:
                own_db.append(20 * math.log10(min(heard_pk) / max(max(own_pk), 1)))
        # every talker's clicks in the window, at every other listener
        want = 0
        for si, s_ in enumerate(nodes):
            first = starts[s_.name] + si * step * 1000
            for k in range(int(o.seconds) + 2):
                tk = first + k * period_ms * 1000
                if from_us <= tk and tk + 200000 < to_us:
                    want += o.nodes - 1
        missed = max(0, want - len(got))
        print(f"{o.nodes} nodes, frame {o.frame} ms, {o.seconds:g} s, hub "
              f"{hub.name if hub else '?'}: {len(lat)} clicks heard of {want} expected, "
              f"{missed} missed, {selfs} heard by their own talker")
        if lat:
            print(f"mouth-to-ear latency over all pairs: p50 {pct(lat, 50):.1f} ms, "
                  f"p99 {pct(lat, 99):.1f} ms, max {max(lat):.1f} ms")
        if level:
            dbs = {k: 20 * math.log10(max(1, sorted(v)[len(v) // 2]) / 32768.0)
                   for k, v in level.items()}
            lo_k, hi_k = min(dbs, key=dbs.get), max(dbs, key=dbs.get)
            print(f"each talker's level in each mix ({len(dbs)} pairs of "
                  f"{o.nodes * (o.nodes - 1)}): median click peak from "
                  f"{dbs[lo_k]:.1f} dBFS (n{lo_k[0]} at n{lo_k[1]}) to "
                  f"{dbs[hi_k]:.1f} dBFS (n{hi_k[0]} at n{hi_k[1]})")
        if own_db:
            print(f"own signal in each node's mix: at least {min(own_db):.1f} dB "
                  f"under the quietest talker it hears")
        print("cpu: " + ", ".join(f"{k} {v:.1f} %" for k, v in cpu.items()))
        if not lat:
            fails.append("no click was heard")
        elif pct(lat, 50) > o.p50_max or pct(lat, 99) > o.p99_max:
            fails.append(f"latency p50 {pct(lat, 50):.1f} / p99 {pct(lat, 99):.1f} ms "
                         f"over {o.p50_max:g} / {o.p99_max:g}")
        if selfs:
            fails.append(f"{selfs} clicks were heard by their own talker")
        if len(own_db) < o.nodes:
            fails.append(f"the own-signal level was measured at {len(own_db)} "
                         f"of {o.nodes} nodes")
        elif min(own_db) < 60:
            fails.append(f"a node hears itself {min(own_db):.1f} dB under the "
                         f"others (60 needed)")
        if missed > want * 0.02:
            fails.append(f"{missed} of {want} clicks missed")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return verdict(fails)


def on_hosts(o, spec, nodes, tmp):
    """Starts the nodes of spec round-robin on o.hosts simulated hosts
    (tests/sim/hosts.py: namespaces on a virtual switch), the first as the
    forced hub on host 1 and the last host's link capped at o.cap_rate.
    Returns the Lan, or None (said why) when host mode cannot run here."""
    import hosts as lmhosts
    why = lmhosts.skip_reason()
    if why:
        print(f"SKIP {why}")
        return None
    lan = lmhosts.Lan(o.hosts, tmp).up()
    lan.cap(lan.hosts[-1], rate=o.cap_rate)
    where = [lan.hosts[i % o.hosts] for i in range(len(spec))]
    ports = [lmhosts.BASE_PORT + i for i in range(len(spec))]
    addrs = [f"{h.addr}:{p}" for h, p in zip(where, ports)]
    for i, (nm, extra) in enumerate(spec):
        nodes.append(Node(o.binary, nm, ports[i], [a for a in addrs if a != addrs[i]],
                          room="audio", hostobj=where[i], forced=i == 0,
                          extra=["--audio-frame", o.frame] + extra))
    return lan


def ptt(o):
    """alice runs with --ptt: bob hears none of her clicks until she says
    `ptt on`, all of them while it is on, and none after `ptt off`."""
    tmp = tempfile.mkdtemp(prefix="lanmeet-audio-")
    b_wav = os.path.join(tmp, "b.wav")
    common = ["--audio-frame", o.frame]
    spec = [("hub", ["--host"]),
            ("alice", ["--mic-synth", f"impulse:{PERIOD_MS}:0:0.9", "--ptt"]),
            ("bob", ["--speaker-file", b_wav])]
    nodes, fails = [], []
    try:
        launch(o, spec, common, nodes)
        hub, alice, bob = nodes
        if not formed_around(nodes, hub):
            fails.append("the room did not form with the forced hub")
            return verdict(fails)
        time.sleep(1.5)  # a pause: the key is up
        on_us = time.monotonic() * 1e6
        alice.send("ptt on")
        time.sleep(2.0)  # a pause: she holds the key
        off_us = time.monotonic() * 1e6
        alice.send("ptt off")
        time.sleep(1.5)  # a pause: the key is up again
    finally:
        stop(nodes)
    try:
        start = bob.evs("audio")[0]["start_us"] if bob.evs("audio") else None
        if start is None:
            fails.append("bob never said its audio started")
            return verdict(fails)
        times = [start + j * 1e6 / RATE for j in clicks(read_wav(b_wav), 3000)]
        slack = o.p99_max * 1000  # a click said just before may still arrive
        before = sum(1 for t in times if t < on_us)
        during = sum(1 for t in times if on_us + slack < t < off_us)
        after = sum(1 for t in times if t > off_us + slack)
        print(f"push-to-talk: bob heard {before} clicks before 'ptt on', "
              f"{during} while it was held (about {int(2000 / PERIOD_MS) - 1} said), "
              f"{after} after 'ptt off'")
        if before or after:
            fails.append("clicks got through with the key up")
        if during < 2000 / PERIOD_MS - 3:
            fails.append(f"only {during} clicks got through with the key down")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return verdict(fails)


def buffers_report(hub, alice, bob):
    """The jitter buffers as the nodes tell them (audio_stats): bob's of
    the hub's stream, the hub's of alice's. Both must have played frames."""
    fails = []
    play = bob.evs("audio_stats")[-1].get("play")
    mine = [s for s in hub.evs("audio_stats")[-1].get("streams", [])
            if s.get("id") == alice.id]
    for who, b in (("bob's buffer of the hub", play),
                   ("the hub's of alice", mine[0] if mine else None)):
        if not b or not b.get("frames"):
            fails.append(f"{who}: no frames played ({b})")
            continue
        print(f"{who}: {b['frames']} frames, {b['lost']} lost, {b['late']} late, "
              f"{b['underruns']} underruns, {b['stretched']} stretched, "
              f"{b['dropped']} dropped; delay {b['delay_us'] / 1000:.1f} ms "
              f"(aim {b['target_us'] / 1000:.1f}, jitter {b['jitter_us'] / 1000:.1f})")
    return fails


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--frame", default="2.5", choices=["2.5", "5", "10"])
    ap.add_argument("--seconds", type=float, default=6)
    ap.add_argument("--p50-max", type=float, default=60.0)
    ap.add_argument("--p99-max", type=float, default=100.0)
    ap.add_argument("--failover", action="store_true",
                    help="kill the hub mid-call instead (see failover)")
    ap.add_argument("--loss", type=float,
                    help="a tone with this fraction of packets lost on both "
                    "hops instead (see lossy)")
    ap.add_argument("--gap-max", type=float, default=20.0)
    ap.add_argument("--speech", action="store_true",
                    help="a speech-like WAV instead (see speech); with --loss, "
                    "through lossy hops")
    ap.add_argument("--loops", type=int, default=1,
                    help="with --speech: how many 4 s loops of what B heard are "
                    "compared (more: a figure less at the mercy of where the "
                    "random losses fell)")
    ap.add_argument("--r-min", type=float,
                    help="the envelope correlation --speech needs "
                    "(default 0.9, 0.8 with --loss)")
    ap.add_argument("--nodes", type=int,
                    help="N talking and listening nodes instead (see crowd)")
    ap.add_argument("--hosts", type=int,
                    help="with --nodes: on this many simulated hosts (as root), "
                    "n0 the forced hub on the first, the last one's link capped")
    ap.add_argument("--cap-rate", default="2mbit",
                    help="with --hosts: the tbf rate of the last host (default 2mbit)")
    ap.add_argument("--ptt", action="store_true",
                    help="push-to-talk instead (see ptt)")
    o = ap.parse_args()
    if o.ptt:
        return ptt(o)
    if o.nodes:
        return crowd(o)
    if o.speech:
        return speech(o)
    if o.failover:
        return failover(o)
    if o.loss is not None:
        return lossy(o)
    tmp = tempfile.mkdtemp(prefix="lanmeet-audio-")
    a_wav, b_wav = os.path.join(tmp, "a.wav"), os.path.join(tmp, "b.wav")
    common = ["--audio-frame", o.frame]
    spec = [("hub", ["--host"]),
            ("alice", ["--mic-synth", f"impulse:{PERIOD_MS}:0:0.9",
                       "--speaker-file", a_wav]),
            ("bob", ["--speaker-file", b_wav])]
    nodes = []
    fails = []
    stats_ok = False
    try:
        launch(o, spec, common, nodes)
        hub, alice, bob = nodes
        if not formed_around(nodes, hub):
            fails.append("the room did not form with the forced hub")
            return verdict(fails)
        t0, c0 = time.monotonic(), [n.cpu_ticks() for n in nodes]
        time.sleep(o.seconds)  # a pause: the call runs this long
        # then alice mutes: from that moment bob must hear none of her
        mute_us = time.monotonic() * 1e6  # CLOCK_MONOTONIC, as the nodes'
        alice.send("mute")
        told = wait(lambda: any(e.get("id") == alice.id and e.get("muted")
                                for e in bob.evs("muted")), 3)
        time.sleep(1.0)  # a pause: a second of muted call
        for n in (hub, bob):
            n.send("stats")
        stats_ok = wait(lambda: hub.evs("audio_stats") and bob.evs("audio_stats"), 3)
        hz = os.sysconf("SC_CLK_TCK")
        took = time.monotonic() - t0
        cpu = [100.0 * (n.cpu_ticks() - c) / hz / took for n, c in zip(nodes, c0)]
        print("cpu during the call: " + ", ".join(
            f"{n.name} {c:.1f} %" for n, c in zip(nodes, cpu)))
    finally:
        stop(nodes)
    if not stats_ok:
        fails.append("no audio_stats from the hub and bob after stats")
    else:
        fails += buffers_report(hub, alice, bob)
    try:
        starts = {}
        for n in (alice, bob):
            ev = n.evs("audio")
            if not ev:
                fails.append(f"{n.name} never said its audio started")
                return verdict(fails)
            starts[n.name] = ev[0]["start_us"]
        a, b = read_wav(a_wav), read_wav(b_wav)
        # alice's n-th click left her microphone at start + n * period
        a0 = starts["alice"]
        period_us = PERIOD_MS * 1000
        lat = []
        after_mute = 0
        for j in clicks(b, 3000):
            t = starts["bob"] + j * 1e6 / RATE
            n = math.floor((t - a0) / period_us)
            if t > mute_us + o.p99_max * 1000:
                after_mute += 1  # left her microphone after the mute
            elif n >= 0:
                lat.append((t - (a0 + n * period_us)) / 1000.0)
        print(f"after alice muted: {after_mute} clicks reached bob; bob was "
              f"{'told' if told else 'NOT told'} (muted event)")
        if after_mute:
            fails.append(f"{after_mute} clicks reached bob after alice muted")
        if not told:
            fails.append("bob got no muted event for alice")
        # the room takes a moment to form: count clicks from B's first
        said = int(o.seconds * 1000 / PERIOD_MS)
        heard = len(lat)
        # the levels over the second half of the call, before the mute
        end = int((mute_us - starts["bob"]) / 1e6 * RATE)
        level_b = rms_db(b[max(0, end - int(RATE * o.seconds / 2)):end])
        end = int((mute_us - starts["alice"]) / 1e6 * RATE)
        level_a = rms_db(a[max(0, end - int(RATE * o.seconds / 2)):end])
        print(f"frame {o.frame} ms: {heard} clicks reached bob (about {said} "
              f"said while linked)")
        if lat:
            print(f"mouth-to-ear latency: p50 {pct(lat, 50):.1f} ms, p99 "
                  f"{pct(lat, 99):.1f} ms, min {min(lat):.1f} ms, max {max(lat):.1f} ms")
        print(f"level: bob hears {level_b:.1f} dBFS, alice hears {level_a:.1f} dBFS "
              f"(her own clicks: {level_b - level_a:.1f} dB below)")
        if heard < said * 0.6:
            fails.append(f"only {heard} clicks reached bob")
        if lat and pct(lat, 50) > o.p50_max:
            fails.append(f"p50 {pct(lat, 50):.1f} ms over {o.p50_max} ms")
        if lat and pct(lat, 99) > o.p99_max:
            fails.append(f"p99 {pct(lat, 99):.1f} ms over {o.p99_max} ms")
        if level_b - level_a < 60:
            fails.append(f"alice hears herself: only {level_b - level_a:.1f} dB "
                         f"below what bob hears")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return verdict(fails)


if __name__ == "__main__":
    sys.exit(main())
