#!/usr/bin/env python3
"""buffers.py - each rig node's jitter buffers at the end of a run.

  buffers.py WORKDIR NAME...

Reads the last audio_stats event in WORKDIR/NAME.events (the answer to
the `stats` the rig sends before it stops the nodes) and prints one line
per buffer: what a member plays from the hub, and on the hub each
member's stream. Standard library only; a node with no answer says so."""
import json
import sys


def last_stats(path):
    found = None
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                if '"audio_stats"' not in line:
                    continue
                try:
                    ev = json.loads(line)
                except ValueError:
                    continue
                if ev.get("ev") == "audio_stats":
                    found = ev
    except OSError:
        return None
    return found


def line(who, b):
    return (f"  {who:<22} delay {b.get('delay_us', 0) / 1000:6.1f} ms (aim "
            f"{b.get('target_us', 0) / 1000:5.1f}, jitter {b.get('jitter_us', 0) / 1000:5.1f}), "
            f"{b.get('frames', 0)} frames, {b.get('lost', 0)} lost, {b.get('late', 0)} late, "
            f"{b.get('underruns', 0)} underruns, {b.get('stretched', 0)} stretched, "
            f"{b.get('dropped', 0)} dropped")


def main():
    work, names = sys.argv[1], sys.argv[2:]
    ids = {}
    for n in names:
        try:
            with open(f"{work}/{n}.events", encoding="utf-8", errors="replace") as f:
                for l in f:
                    if '"ready"' in l:
                        ids[json.loads(l).get("id")] = n
                        break
        except (OSError, ValueError):
            pass
    for n in names:
        st = last_stats(f"{work}/{n}.events")
        if not st:
            print(f"{n}: no audio_stats")
            continue
        if st.get("play"):
            print(line(f"{n} from the hub", st["play"]))
        for s in st.get("streams", []):
            print(line(f"{n} of {ids.get(s.get('id'), s.get('id'))}", s))
    return 0


if __name__ == "__main__":
    sys.exit(main())
