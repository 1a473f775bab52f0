#!/usr/bin/env python3
"""analyze.py - delays of the rig's bursts, read from one capture.

  analyze.py CAPTURE.raw LABEL [--channels 3] [--ref 0] [--echo 1]
             [--mid 2] [--warmup 2] [--json OUT.json]

CAPTURE is interleaved s16le at 48 kHz, every channel on one sample clock
(one null sink's monitor), so delays between channels are exact. `ref`
holds the bursts as played into A's microphone, `echo` what came back to
A's speaker (the round trip), `mid` (optional, -1 for none) what B's
speaker played, which splits the round trip into its two legs.

For each channel the lag is found first, once for all bursts: every
difference between a burst and a loud onset in that channel within
MAX_LAG_S goes into a histogram of BIN_MS bins, and the fullest bin wins
(the gaps between bursts are irregular, so only the true lag lines up for
every burst). Then each burst's own delay is the first sample, in a window
of +-WIN_MS around its expected arrival, that reaches ONSET of that
window's peak. A burst whose window holds nothing above the noise counts
as lost. The first `warmup` bursts are left out of the headline (buffers
settle), and reported apart. Standard library only.
"""
import argparse
import array
import json
import sys

RATE = 48000
MAX_LAG_S = 1.5
BIN_MS = 2.0
WIN_MS = 60.0
ONSET = 0.25
QUIET_MS = 50.0  # an onset follows this much quiet


def onsets(x, thr, quiet):
    out, last = [], -quiet - 1
    for i, v in enumerate(x):
        if v > thr or v < -thr:
            if i - last > quiet:
                out.append(i)
            last = i
    return out


def peak(x, a, b):
    a, b = max(a, 0), min(b, len(x))
    if a >= b:
        return 0
    w = x[a:b]
    return max(max(w), -min(w))


def find_lag(ref_on, x):
    top = peak(x, 0, len(x))
    if top == 0:
        return None
    cand = onsets(x, 0.1 * top, int(QUIET_MS * RATE / 1000))
    bins, width = {}, BIN_MS * RATE / 1000
    for r in ref_on:
        for c in cand:
            d = c - r
            if 0 < d <= MAX_LAG_S * RATE:
                bins.setdefault(int(d // width), []).append(d)
    if not bins:
        return None
    best = max(bins, key=lambda k: (len(bins[k]) + len(bins.get(k - 1, [])) +
                                    len(bins.get(k + 1, [])), -k))
    near = sorted(bins.get(best - 1, []) + bins[best] + bins.get(best + 1, []))
    return near[len(near) // 2]


def delays(ref_on, x, lag):
    """Per burst: delay in samples, or None if lost."""
    top = peak(x, 0, len(x))
    win = int(WIN_MS * RATE / 1000)
    out = []
    for r in ref_on:
        a, b = r + lag - win, r + lag + win
        m = peak(x, a, b)
        if m < max(0.05 * top, 200):
            out.append(None)
            continue
        thr = ONSET * m
        a = max(a, 0)
        k = next(i for i in range(a, min(b, len(x))) if abs(x[i]) >= thr)
        out.append(k - r)
    return out


def stats(vals):
    v = sorted(d for d in vals if d is not None)
    if not v:
        return {"count": 0}
    ms = [d * 1000 / RATE for d in v]
    pick = lambda p: ms[min(len(ms) - 1, int(round(p * (len(ms) - 1))))]
    return {"count": len(ms), "median_ms": round(pick(0.5), 2),
            "p90_ms": round(pick(0.9), 2), "min_ms": round(ms[0], 2),
            "max_ms": round(ms[-1], 2)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("capture")
    ap.add_argument("label")
    ap.add_argument("--channels", type=int, default=3)
    ap.add_argument("--ref", type=int, default=0)
    ap.add_argument("--echo", type=int, default=1)
    ap.add_argument("--mid", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--json")
    o = ap.parse_args()
    raw = array.array("h")
    with open(o.capture, "rb") as f:
        raw.frombytes(f.read())
    if sys.byteorder != "little":
        raw.byteswap()
    c = o.channels
    raw = raw[:len(raw) - len(raw) % c]
    ref, echo = raw[o.ref::c], raw[o.echo::c]
    top = peak(ref, 0, len(ref))
    ref_on = onsets(ref, 0.3 * top, int(0.1 * RATE)) if top else []
    res = {"label": o.label, "bursts": len(ref_on), "warmup": o.warmup}
    for name, ch in (("round_trip", echo), ("a_to_b", raw[o.mid::c] if o.mid >= 0 else None)):
        if ch is None:
            continue
        lag = find_lag(ref_on, ch)
        d = delays(ref_on, ch, lag) if lag is not None else [None] * len(ref_on)
        res[name] = stats(d[o.warmup:])
        res[name]["all"] = stats(d)
        res[name]["lost"] = sum(x is None for x in d)
        res[name + "_ms"] = [None if x is None else round(x * 1000 / RATE, 2) for x in d]
    rt, ab = res.get("round_trip", {}), res.get("a_to_b")
    if ab and ab.get("count") and rt.get("count"):
        res["b_to_a"] = {"median_ms": round(rt["median_ms"] - ab["median_ms"], 2)}
    line = f"{o.label}: "
    if rt.get("count"):
        line += (f"round trip median {rt['median_ms']:.1f} ms, p90 {rt['p90_ms']:.1f}, "
                 f"min {rt['min_ms']:.1f}, max {rt['max_ms']:.1f}, n={rt['count']} "
                 f"({res['bursts']} bursts, first {o.warmup} left out, {res['round_trip']['lost']} lost)")
        if "b_to_a" in res:
            line += f"; legs A->B {ab['median_ms']:.1f} ms, B->A {res['b_to_a']['median_ms']:.1f} ms"
    else:
        line += f"no echo found ({res['bursts']} bursts sent)"
    print(line)
    if o.json:
        with open(o.json, "w") as f:
            json.dump(res, f, indent=1)
    return 0 if rt.get("count") else 1


if __name__ == "__main__":
    sys.exit(main())
