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

Layout: this file is the entry point (options, the run loop, the report
and summary); room.py holds the Node and Room classes (processes, waiting,
checks, figures), scenarios.py the loopback scenarios and host_scenarios.py
the hosts_* ones.
"""
import argparse
import json
import os
import random
import shutil
import signal
import statistics
import sys
import tempfile
import time
import traceback

import host_scenarios
import hosts as lmhosts
import scenarios
from room import STATE, Interrupted, NodeCrashed, Room, RunTimeout, StepFailed

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCENARIOS = {**scenarios.SCENARIOS, **host_scenarios.SCENARIOS}
DEFAULT_NODES, MIN_NODES = scenarios.DEFAULT_NODES, scenarios.MIN_NODES
MIN_HOSTS = host_scenarios.MIN_HOSTS


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
        # every scenario here cuts whole nodes or whole sides, never one
        # pair: a node saying two members cannot reach each other is wrong
        told = [f"{n.name}: {e.get('msg')}" for n in room.nodes for e in n.errors
                if e.get("code") == "unreachable"]
        room.check("no_false_cuts", not told,
                   f"{len(told)} 'unreachable' events where no pair was cut" +
                   (f", first: {told[0]}" if told else ""))
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
