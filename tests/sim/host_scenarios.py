"""host_scenarios: the host-mode scenarios of lmsim (--hosts N, the hosts_*
names), run on the simulated hosts of hosts.py (network namespaces on a
virtual switch, each with its own avahi-daemon): cuts of the switch, an
avahi-daemon restart, a rate-capped host, a link down, a host's nodes
killed. SCENARIOS maps their names to them; MIN_HOSTS gives the hosts each
needs.
"""
import signal
import statistics
import time

from room import find
from scenarios import start_and_converge

def poll(room, fn, timeout, every=0.2):
    """fn() (itself bounded) every `every` s until it returns something
    true: (value, harness time it returned), or (None, None) at timeout."""
    end = time.monotonic() + timeout
    while True:
        v = fn()
        t = time.monotonic()
        if v:
            return v, t
        if t >= end:
            return None, None
        room.sleep(min(every, end - t))


def on_host(nodes, hosts):
    return [n for n in nodes if n.hostobj in hosts]


def signal_host(room, h, sig):
    """Send sig to every node running on host h; returns the harness time."""
    t = time.monotonic()
    for n in room.nodes:
        if n.hostobj is h and n.proc and n.proc.poll() is None and not n.killed:
            n.signal(sig)
    return t


def term_of(room, group, hub):
    with room.cond:
        return max([n.hub_ev.get("term") or 0 for n in group if n.hub_ev and n.hub_ev.get("hub") == hub] or [0])


def host_join_figures(room, nodes):
    """Per node and host: launch to the last peer_joined that linked it to
    every other node (s); and every peer_joined addr is the peer's host."""
    bad = []
    with room.cond:
        for n in nodes:
            joins = [e for e in n.peers.values() if e.get("ev") == "peer_joined"]
            if joins and len(joins) == len(nodes) - 1:
                n.extra["linked_s"] = round(max(e["_h"] for e in joins) - n.launched, 3)
            for e in joins:
                p = room.node(e.get("id"))
                got = str(e.get("addr") or "").rsplit(":", 1)[0]
                if p is not None and got != p.addr:
                    bad.append(f"{n.name} has {p.name} at {e.get('addr')}, not on {p.addr}")
    for h in room.lan.hosts:
        v = [n.extra["linked_s"] for n in nodes if n.hostobj is h and "linked_s" in n.extra]
        if v:
            room.hostfigs.setdefault(h.name, {})["linked_s"] = max(v)
    room.check("peer addresses are the hosts' own", not bad, "; ".join(bad[:4]) or
               "every peer_joined names the peer's host address")


def sc_hosts_converge(room, o):
    nodes, res = start_and_converge(room, o, o.nodes)
    room.info["hub"] = f"{room.nm(res['hub'])} on {room.node(res['hub']).hostobj.name}"
    room.who(nodes, res)
    host_join_figures(room, nodes)


def sc_hosts_chat(room, o):
    nodes, res = start_and_converge(room, o, o.nodes)
    room.info["hub"] = f"{room.nm(res['hub'])} on {room.node(res['hub']).hostobj.name}"
    host_join_figures(room, nodes)
    msgs = room.say(nodes, o.messages, "c", nodes)
    room.deliver("chat", msgs)
    room.chat_report("chat", msgs, nodes)


def sc_hosts_cut(room, o):
    """Cut the LAN into two groups of hosts (bridge br1), chat in each
    half, heal, check the winning hub by the rules, chat again; the cut
    messages must reach the other half after the heal."""
    lan = room.lan
    nodes, res0 = start_and_converge(room, o, o.nodes)
    ga, gb = lan.hosts[:len(lan.hosts) // 2], lan.hosts[len(lan.hosts) // 2:]
    a, b = on_host(nodes, ga), on_host(nodes, gb)
    room.info["cut"] = {"A": [h.name for h in ga], "B": [h.name for h in gb],
                        "hub_before": room.nm(res0["hub"]), "term_before": term_of(room, nodes, res0["hub"])}
    tc = time.monotonic()
    lan.cut(gb)
    room.log(f"cut: {','.join(h.name for h in ga)} | {','.join(h.name for h in gb)}")
    ra = room.converge(a, tc, o.split_max, "split_a_s")
    rb = room.converge(b, tc, o.split_max, "split_b_s")
    room.figures["split_s"] = max(room.figures["split_a_s"], room.figures["split_b_s"])
    claims = []
    for lab, grp, r in (("A", a, ra), ("B", b, rb)):
        term = term_of(room, grp, r["hub"])
        claims.append((term, len(grp), -int(r["hub"], 16), r["hub"], lab))
        room.info["cut"][f"hub_{lab}"] = f"{room.nm(r['hub'])} term {term} support {len(grp)}"
    room.check("one hub per half", ra["hub"] != rb["hub"],
               f"A: {room.info['cut']['hub_A']}; B: {room.info['cut']['hub_B']}")
    cut_a = room.say(a, o.pre_messages, "x", a)
    cut_b = room.say(b, o.pre_messages, "y", b)
    room.deliver("cut", cut_a + cut_b)
    room.chat_report("cut_a", cut_a, a)
    room.chat_report("cut_b", cut_b, b)
    if o.cut_hold > 0:
        room.sleep(max(0.0, tc + o.cut_hold - time.monotonic()))
    room.figures["cut_lasted_s"] = round(time.monotonic() - tc, 3)
    win = max(claims)  # higher term, then larger support, then smaller id
    room.info["cut"]["predicted_hub"] = f"{room.nm(win[3])} (half {win[4]})"
    th = time.monotonic()
    lan.heal()
    room.log("healed")
    res = room.converge(nodes, th, o.heal_max, "heal_s")
    room.info["cut"]["hub_after"] = f"{room.nm(res['hub'])} term {term_of(room, nodes, res['hub'])}"
    room.check("heal hub by the rules", res["hub"] == win[3],
               f"hub {room.nm(res['hub'])} after the heal; by term/support/id: {room.nm(win[3])} "
               f"(A: {room.info['cut']['hub_A']}; B: {room.info['cut']['hub_B']})")
    healed = room.say(nodes, o.messages, "h", nodes)
    room.deliver("healed", healed)
    room.chat_report("healed", healed, nodes)
    # the messages of the cut, now expected by every node: reported per node,
    # and one check that fails until the node merges the halves' histories
    names = {n.name for n in nodes}
    merged = [dict(m, expect=set(names)) for m in cut_a + cut_b]
    room.deliver("cut_merge", merged)
    f = room.chat_report("cut_after_heal", merged, nodes, gaps=False, note=True)
    per = room.chat["cut_after_heal"]
    for n in nodes:
        own = cut_a if n in a else cut_b
        other = cut_b if n in a else cut_a
        n.extra["cut_msgs_from_other_half"] = sum(1 for m in other if n.got[(m["from"], m["text"])])
        n.extra["cut_msgs_own_half"] = sum(1 for m in own if n.got[(m["from"], m["text"])])
    room.check("cut_messages_merged", not f["lost"] and not f["duplicated"],
               f"{len(merged)} cut messages ({len(cut_a)} in A, {len(cut_b)} in B) after the heal: " + ", ".join(
                   f"{n.name} lost {per[n.name]['lost']} dup {per[n.name]['duplicated']}" for n in nodes))


def sc_hosts_avahi_restart(room, o):
    """Restart one host's avahi-daemon; time until another host's
    avahi-browse sees that host's nodes again; the room keeps its hub."""
    lan = room.lan
    nodes, res = start_and_converge(room, o, o.nodes)
    hub = room.node(res["hub"])
    target = lan.hosts[o.restart_host - 1] if o.restart_host else hub.hostobj
    observer = next(h for h in lan.hosts if h is not target)
    watched = on_host(nodes, [target])
    want = {n.id for n in watched}
    room.info["avahi_restart"] = {"host": target.name, "observer": observer.name,
                                  "nodes": [n.name for n in watched], "hub": room.nm(res["hub"])}

    def seen():
        got = set()
        for f in lan.browse(observer, o.browse_timeout):
            if len(f) > 9 and f[7] == target.addr:
                txt = ";".join(f[9:])
                got |= {i for i in want if f'"id={i}"' in txt}
        return got

    v, _ = poll(room, lambda: seen() == want, 5.0)
    room.check("seen before the restart", v, f"{observer.name} sees {len(want)} node(s) of {target.name}"
               if v else f"{observer.name} never saw {target.name}'s nodes by avahi-browse", fatal=True)
    with room.cond:
        marks = {n.name: (len(n.hubs), len(n.chats)) for n in nodes}
    tkill = time.monotonic()
    tstop = lan.stop_avahi(target)  # SIGTERM; the time it exited
    g, tg = poll(room, lambda: not seen(), 3.0)
    if g:
        room.figures["avahi_gone_s"] = round(tg - tstop, 3)
    room.check("records withdrawn while stopped", g, f"{observer.name} lost them {tg - tstop:.3f} s after the stop"
               if g else f"{observer.name} still saw them 3 s after the stop", note=True)
    tstart = time.monotonic()
    ok = lan.start_avahi(target, wait=True)
    target.avahi_restarts += 1
    trun = time.monotonic()
    room.check("avahi-daemon restarted", ok, f"RUNNING after {trun - tstart:.3f} s" if ok else
               "not RUNNING within 10 s", fatal=True)
    room.figures["avahi_running_s"] = round(trun - tstart, 3)
    limit = max(3 * o.republish_max, 10.0)
    back, tb = poll(room, lambda: seen() == want, limit, o.browse_every)
    if back:
        room.figures["republish_s"] = round(tb - tstart, 3)
        room.figures["restart_to_seen_s"] = round(tb - tkill, 3)
        room.hostfigs.setdefault(target.name, {})["republish_s"] = room.figures["republish_s"]
    room.check(f"republish_s <= {o.republish_max:g}", back and tb - tstart <= o.republish_max,
               f"{tb - tstart:.3f} s from the new avahi-daemon's start until {observer.name}'s avahi-browse "
               f"saw {target.name}'s node(s) again (polled every {o.browse_every:g} s)" if back else
               f"not seen again within {limit:g} s")
    # and the restarted host sees the others again through its new daemon
    others = {n.id for n in nodes if n.hostobj is not target}

    def sees_all():
        ids = set()
        for f in lan.browse(target, o.browse_timeout):
            ids |= {i for i in others if f'"id={i}"' in ";".join(f[9:])}
        return ids == others
    sa, ts = poll(room, sees_all, limit, o.browse_every)
    if sa:
        room.figures["restarted_sees_all_s"] = round(ts - tstart, 3)
    room.check("restarted host browses the others again", sa, f"{ts - tstart:.3f} s after the start" if sa
               else f"not within {limit:g} s", note=True)
    a = room.wait(lambda: room.agreement(nodes), 3.0)
    with room.cond:  # the target's nodes may say mDNS went away (and came back): expected
        for n in watched:
            for e in n.errors:
                if e["_h"] >= tkill and e.get("code") in ("no_mdns", "mdns_back"):
                    e["_expected"] = True
        flips = [f"{n.name}->{room.nm(e.get('hub'))}" for n in nodes for e in n.hubs[marks[n.name][0]:]
                 if e.get("hub") != res["hub"]]
        left = [f"{n.name}: {room.nm(i)} left" for n in nodes for i, e in n.peers.items()
                if e.get("ev") == "peer_left" and e["_h"] >= tkill]
    room.check("one hub after the restart", a and a["hub"] == res["hub"] and not flips,
               f"hub {room.nm(res['hub'])} kept by all" if a and not flips else
               f"changes {flips[:4]}; now {room.describe(nodes)}")
    room.check("no link lost during the restart", not left, "; ".join(left[:4]) or "none", note=True)
    msgs = room.say(nodes, o.pre_messages, "r", nodes)
    room.deliver("after_restart", msgs)
    room.chat_report("after_restart", msgs, nodes)


def cross_latency(room, msgs, nodes, skip):
    """Delivery times (ms, harness clock: the sender's `say` written to the
    receiver's chat event) between nodes on different hosts, neither on a
    host in skip."""
    by_text = {m["text"]: m for m in msgs}
    out = []
    with room.cond:
        for n in nodes:
            if n.hostobj in skip:
                continue
            first = {}
            for e in n.chats:
                m = by_text.get(e.get("text"))
                if m and e.get("to") is None and not e.get("history") and e["text"] not in first:
                    first[e["text"]] = e
            for t, e in first.items():
                s = room.node(by_text[t]["from"])
                if s and s.hostobj is not n.hostobj and s.hostobj not in skip:
                    out.append(1000.0 * (e["_h"] - by_text[t]["h"]))
    return sorted(out)


def pct(v, q):
    return v[min(len(v) - 1, int(len(v) * q))] if v else None


def member_host(room, res, what):
    """A host carrying neither the hub nor (when it can) the deputy: the one
    a scenario may cap or cut off without touching the room's roles."""
    hub, dep = room.node(res["hub"]), room.node(res["deputy"])
    lan = room.lan
    cands = [h for h in lan.hosts if h not in (hub.hostobj, dep.hostobj if dep else None)] or \
        [h for h in lan.hosts if h is not hub.hostobj]
    if not cands:
        room.check(what, False, "every node is on the hub's host", fatal=True)
    return cands[-1]


def sc_hosts_slow(room, o):
    """Chat delivery times between hosts, before and after one host (not the
    hub's or the deputy's) is capped at --slow-rate."""
    lan = room.lan
    nodes, res = start_and_converge(room, o, o.nodes)
    hub = room.node(res["hub"])
    slow = member_host(room, res, "a host to cap")
    room.info["slow"] = {"capped_host": slow.name, "rate": o.slow_rate, "hub": f"{hub.name} on {hub.hostobj.name}",
                         "capped_nodes": [n.name for n in on_host(nodes, [slow])]}
    phase = {}
    for lab in ("before", "after"):
        if lab == "after":
            lan.cap(slow, o.slow_rate)
            room.log(f"capped {slow.name} at {o.slow_rate}")
            room.sleep(0.5)
        msgs = room.say(nodes, o.slow_rounds, lab[0], nodes, gap=o.slow_gap)
        room.deliver(lab, msgs)
        room.chat_report(lab, msgs, nodes)
        lat = cross_latency(room, msgs, nodes, {slow})
        phase[lab] = lat
        if lat:
            room.figures[f"slow_{lab}_p50_ms"] = round(statistics.median(lat), 2)
            room.figures[f"slow_{lab}_p99_ms"] = round(pct(lat, 0.99), 2)
        # the capped host's side: what it receives, what the others get from it
        mine = [1000.0 * (e["_h"] - m["h"]) for n in on_host(nodes, [slow]) for m in msgs
                for e in find(n, m["text"])[:1] if m["sender"] != n.name]
        if mine:
            room.hostfigs.setdefault(slow.name, {})[f"{lab}_recv_p50_ms"] = round(statistics.median(mine), 2)
        if lab == "after":
            per, capped = room.chat["after"], room.info["slow"]["capped_nodes"]
            theirs = [m for m in msgs if m["sender"] in capped]
            out_ok = all(n.got[(m["from"], m["text"])] == 1 for n in nodes for m in theirs)
            in_ok = all(per[n.name]["lost"] == 0 and per[n.name]["duplicated"] == 0
                        for n in on_host(nodes, [slow]))
            room.check("capped host's messages reach all", out_ok, f"{len(theirs)} from {','.join(capped)}; got: "
                       + ", ".join(f"{n.name} {sum(1 for m in theirs if n.got[(m['from'], m['text'])])}"
                                   for n in nodes))
            room.check("capped host receives all", in_ok, ", ".join(
                f"{n.name} lost {per[n.name]['lost']} dup {per[n.name]['duplicated']}"
                for n in on_host(nodes, [slow])))
    st = room.info["slow"]["tc"] = lan.tc_stats(slow)
    room.check("cap in effect", "up" in st and "down" in st and slow.capped,
               f"tbf {slow.capped} on {slow.name}'s eth0 and switch port {slow.port}: " + ", ".join(
                   f"{k} {v['packets']} pkts, {v['overlimits']} overlimits, {v['dropped']} dropped"
                   for k, v in st.items()))
    b, a = phase["before"], phase["after"]
    if not b or not a:
        room.check("slow: delivery times", False, "no cross-host delivery times between the other hosts "
                   "(need at least two other hosts)")
        return
    mb, ma = statistics.median(b), statistics.median(a)
    bar = max(2 * mb, mb + 5.0)
    room.check("others' median within 2x (or +5 ms)", ma <= bar,
               f"median {mb:.2f} ms before, {ma:.2f} ms after capping {slow.name} at {o.slow_rate} "
               f"(bar {bar:.2f} ms); p99 {pct(b, 0.99):.2f} -> {pct(a, 0.99):.2f} ms; {len(b)}/{len(a)} samples")


def sc_hosts_linkdown(room, o):
    """A member host's link goes down for --stop-seconds: the others see its
    nodes leave and keep their hub; link up: it rejoins within --heal-max."""
    lan = room.lan
    nodes, res = start_and_converge(room, o, o.nodes)
    h = member_host(room, res, "a host to cut off")
    gone, rest = on_host(nodes, [h]), [n for n in nodes if n.hostobj is not h]
    room.info["linkdown"] = {"host": h.name, "nodes": [n.name for n in gone]}
    td = time.monotonic()
    lan.set_link(h, False)
    ids = {n.id for n in gone}

    def left():
        return all(n.peers.get(i, {}).get("ev") == "peer_left" and n.peers[i]["_h"] >= td
                   for n in rest for i in ids)
    seen = room.wait(left, o.stop_seconds)
    if seen:
        with room.cond:
            room.figures["left_seen_s"] = round(max(n.peers[i]["_h"] for n in rest for i in ids) - td, 3)
    room.check("nodes of the downed host seen leaving", seen, f"{room.figures.get('left_seen_s')} s" if seen
               else f"not within {o.stop_seconds:g} s: " + room.describe(rest))
    room.sleep(max(0.0, td + o.stop_seconds - time.monotonic()))
    a = room.wait(lambda: room.agreement(rest), 1.0)
    room.check("hub kept while the link is down", a and a["hub"] == res["hub"],
               room.describe(rest) if not a else f"hub {room.nm(a['hub'])}")
    tu = time.monotonic()
    lan.set_link(h, True)
    fin = room.converge(nodes, tu, o.heal_max, "rejoin_s")
    room.check("hub after the link is back", fin["hub"] == res["hub"],
               f"before {room.nm(res['hub'])}, after {room.nm(fin['hub'])}", note=True)
    msgs = room.say(nodes, o.pre_messages, "l", nodes)
    room.deliver("after_linkup", msgs)
    room.chat_report("after_linkup", msgs, nodes)


def sc_hosts_hostkill(room, o):
    """SIGKILL every node on the hub's host: the survivors elect a hub
    within --failover-max and chat on."""
    nodes, res = start_and_converge(room, o, o.nodes)
    hub = room.node(res["hub"])
    h = hub.hostobj
    surv = [n for n in nodes if n.hostobj is not h]
    if not surv:
        room.check("survivors", False, "every node is on the hub's host", fatal=True)
    room.info["hostkill"] = {"host": h.name, "nodes": [n.name for n in on_host(nodes, [h])]}
    tk = signal_host(room, h, signal.SIGKILL)
    ids = {n.id for n in on_host(nodes, [h])}
    fo = room.wait(lambda: (lambda r: r if r and r["hub"] not in ids else None)(room.new_hub(surv, hub.id)),
                   max(3 * o.failover_max, 10.0))
    room.check("failover", fo, f"new hub {room.nm(fo['hub'])}" if fo else
               "survivors never agreed on a new hub: " + room.describe(surv), fatal=True)
    room.figures["failover_s"] = round(fo["t"] - tk, 3)
    room.check(f"failover_s <= {o.failover_max:g}", fo["t"] - tk <= o.failover_max, f"{fo['t'] - tk:.3f} s")
    room.converge(surv, tk, o.converge_max, "failover_settled_s", note=True)
    msgs = room.say(surv, o.pre_messages, "k", surv)
    room.deliver("after_kill", msgs)
    room.chat_report("after_kill", msgs, surv)



SCENARIOS = {"hosts_converge": sc_hosts_converge, "hosts_chat": sc_hosts_chat, "hosts_cut": sc_hosts_cut,
             "hosts_avahi_restart": sc_hosts_avahi_restart, "hosts_slow": sc_hosts_slow,
             "hosts_linkdown": sc_hosts_linkdown, "hosts_hostkill": sc_hosts_hostkill}
MIN_HOSTS = {"hosts_converge": 1, "hosts_chat": 1, "hosts_cut": 2, "hosts_avahi_restart": 2,
             "hosts_slow": 3, "hosts_linkdown": 2, "hosts_hostkill": 2}
