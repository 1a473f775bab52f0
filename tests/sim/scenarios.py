"""scenarios: the loopback scenarios of lmsim (any mode: they also run on
simulated hosts with --hosts N).

Each scenario is a function (room, options) that starts nodes through the
Room, drives them, and records checks and figures; SCENARIOS maps the
--scenario names to them, with their default and minimum node counts.
"""
import os
import signal
import statistics
import time

from room import find

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
                x.send(f"{cmd} {y.addr}:{y.port}")
                y.send(f"{cmd} {x.addr}:{x.port}")
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
DEFAULT_NODES = {"soak10": 10, "dm": 3}
MIN_NODES = {"dm": 2, "hubkill": 2, "soak10": 2, "forcehost": 2, "partition": 2, "sigstop": 2}
