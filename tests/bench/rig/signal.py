#!/usr/bin/env python3
"""signal.py - the rig's test signal: a train of short tone bursts.

  signal.py OUT.wav [BURSTS] [SEED]

48 kHz mono 16-bit: LEAD_S of silence, then BURSTS bursts of BURST_MS of a
TONE_HZ sine at half scale, each followed by a gap drawn from GAP_MS. The
gaps are irregular on purpose: with a fixed period an echo later than one
period would be taken for an early echo of the next burst, and the delay
would come out modulo the period. The seed fixes the draw, so two runs
play the same signal. Standard library only.
"""
import math
import random
import struct
import sys
import wave

RATE = 48000
LEAD_S = 0.5
BURST_MS = 5
TONE_HZ = 1000
AMP = 0.5
GAP_MS = (400, 700)


def burst_times(count, seed):
    """Sample index of each burst's start."""
    rnd = random.Random(seed)
    t, out = int(LEAD_S * RATE), []
    for _ in range(count):
        out.append(t)
        t += int((BURST_MS + rnd.uniform(*GAP_MS)) * RATE / 1000)
    return out, t + RATE  # a second of tail for the last echo


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 40
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 20261125
    starts, total = burst_times(count, seed)
    pcm = bytearray(2 * total)
    n = BURST_MS * RATE // 1000
    for s in starts:
        for i in range(n):
            v = int(AMP * 32767 * math.sin(2 * math.pi * TONE_HZ * i / RATE))
            struct.pack_into("<h", pcm, 2 * (s + i), v)
    with wave.open(sys.argv[1], "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(bytes(pcm))
    print(f"{sys.argv[1]}: {count} bursts, {total / RATE:.1f} s")


if __name__ == "__main__":
    main()
