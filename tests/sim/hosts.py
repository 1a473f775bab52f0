"""hosts: simulated hosts on one virtual Ethernet, for lmsim --hosts N.

A Lan is a "switch" network namespace holding a bridge (br0) and N host
namespaces. Host i (1..N) is joined to the switch by a veth pair: its end
is eth0 inside the host (10.203.0.(10+i)/24, multicast on), the other end
is port p<i> of br0. Every host has its own dbus-daemon (a private system
bus, a unix socket in a temp dir) and its own avahi-daemon talking on eth0
only, host name lmhost<i>. Nodes run inside a host with
`ip netns exec NS env DBUS_SYSTEM_BUS_ADDRESS=... lanmeet ...`.
(DESIGN.md section 10.)

Faults: cap a host's link rate (tbf on eth0 in the host and on its switch
port), cut the LAN in two groups of hosts (a second bridge br1 in the switch
takes group B's ports) and heal, take a host's link down and up, restart a
host's avahi-daemon.

Nothing here touches the machine's own network namespace: every link,
address and daemon lives in a namespace this module creates, named
lmsimnet-<pid>-<run>-..., and close() removes all of it (also called from
atexit). sweep_stale() removes what a dead harness (its pid gone) left.
Every subprocess call and every wait is bounded.
"""
import atexit
import ctypes
import glob
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

PREFIX = "lmsimnet"
SUBNET = "10.203.0"
BASE_PORT = 47400
SYSTEM_CONF = "/usr/share/dbus-1/system.conf"
TOOLS = ("ip", "tc", "mount", "dbus-daemon", "dbus-send", "avahi-daemon", "avahi-browse")
CMD_TIMEOUT = 10.0       # any one ip/tc/dbus-send call
DAEMON_READY = 10.0      # dbus socket / avahi RUNNING
STOP_WAIT = 3.0          # TERM, then KILL
AVAHI_START = ('mount -t tmpfs none /run/avahi-daemon && '
               'exec avahi-daemon -f "$1" --no-drop-root --no-chroot')
# dbus-daemon drops to the messagebus user, which clears PR_SET_PDEATHSIG, so
# a shell holds it on a pipe from the harness instead: when the harness goes
# (even by SIGKILL) the pipe closes, `read` returns and the shell ends the bus.
DBUS_START = ('dbus-daemon --config-file="$1" --address="$2" --nofork --nopidfile & '
              'read _; kill -TERM $! 2>/dev/null; wait')

_LIVE = []  # Lans not closed yet, for atexit

try:
    _PRCTL = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError):
    _PRCTL = None


def child_setup():
    """In the child before exec: die with the harness (PR_SET_PDEATHSIG)."""
    if _PRCTL is not None:
        _PRCTL(1, ctypes.c_ulong(signal.SIGKILL), ctypes.c_ulong(0),
               ctypes.c_ulong(0), ctypes.c_ulong(0))


class LanError(Exception):
    """Setting up or changing the simulated LAN failed."""


def _run(cmd, timeout=CMD_TIMEOUT, check=True, env=None, log=None):
    """Run cmd (a list) to completion, bounded; returns CompletedProcess."""
    if log:
        log("$ " + " ".join(cmd))
    try:
        r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout,
                           env=env, preexec_fn=child_setup)
    except subprocess.TimeoutExpired:
        raise LanError(f"{' '.join(cmd)}: no answer within {timeout:g} s")
    except OSError as e:
        raise LanError(f"{' '.join(cmd)}: {e}")
    if check and r.returncode != 0:
        raise LanError(f"{' '.join(cmd)}: status {r.returncode}: "
                       f"{r.stderr.decode('utf-8', 'replace').strip()[:300]}")
    return r


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _netns_list():
    try:
        r = _run(["ip", "netns", "list"], check=False)
    except LanError:
        return []
    return [line.split()[0] for line in r.stdout.decode().splitlines() if line.strip()]


def _kill_netns(ns, log=None):
    """SIGKILL whatever still runs in ns, then delete it."""
    try:
        r = _run(["ip", "netns", "pids", ns], check=False)
        for p in r.stdout.decode().split():
            try:
                os.kill(int(p), signal.SIGKILL)
                if log:
                    log(f"killed leftover pid {p} in {ns}")
            except (ValueError, ProcessLookupError):
                pass
        for _ in range(50):  # a killed process leaves the namespace at once, mostly
            if not _run(["ip", "netns", "pids", ns], check=False).stdout.strip():
                break
            time.sleep(0.1)
        _run(["ip", "netns", "del", ns], check=False, log=log)
    except LanError as e:
        if log:
            log(f"cleanup of {ns}: {e}")
    return ns not in _netns_list()


def skip_reason():
    """Why host mode cannot run here (one line), or None."""
    if os.geteuid() != 0:
        return "--hosts needs root (network namespaces, veth, bridges, tc)"
    for t in TOOLS:
        if not shutil.which(t):
            return f"--hosts needs {t}, which is not installed"
    if not os.path.exists(SYSTEM_CONF):
        return f"--hosts needs {SYSTEM_CONF}"
    if not os.path.isdir("/run/avahi-daemon"):
        try:
            os.makedirs("/run/avahi-daemon", exist_ok=True)  # the mount point only
        except OSError as e:
            return f"cannot create the mount point /run/avahi-daemon: {e}"
    probe = f"{PREFIX}-{os.getpid()}-probe"
    try:
        r = _run(["ip", "netns", "add", probe], check=False)
        if r.returncode != 0:
            return "no network namespace support: " + r.stderr.decode("utf-8", "replace").strip()[:200]
        r = _run(["ip", "-n", probe, "link", "add", "x0", "type", "veth", "peer", "name", "x1"], check=False)
        if r.returncode != 0:
            return "no veth support: " + r.stderr.decode("utf-8", "replace").strip()[:200]
        r = _run(["ip", "-n", probe, "link", "add", "b0", "type", "bridge"], check=False)
        if r.returncode != 0:
            return "no bridge support: " + r.stderr.decode("utf-8", "replace").strip()[:200]
    except LanError as e:
        return f"cannot create a network namespace: {e}"
    finally:
        _kill_netns(probe)
    return None


def sweep_stale(log=None):
    """Remove namespaces and temp dirs of ours whose creating pid is dead."""
    gone = []
    pat = re.compile(rf"^{PREFIX}-(\d+)-")
    for ns in _netns_list():
        m = pat.match(ns)
        if m and not _pid_alive(int(m.group(1))):
            _kill_netns(ns)
            gone.append(ns)
    for d in glob.glob(os.path.join(tempfile.gettempdir(), PREFIX + "-*")):
        m = pat.match(os.path.basename(d))
        if m and not _pid_alive(int(m.group(1))):
            shutil.rmtree(d, ignore_errors=True)
            gone.append(d)
    if gone and log:
        log("removed stale leftovers: " + ", ".join(gone))
    return gone


class Host:
    """One simulated host: namespace, eth0 address, bus, avahi-daemon."""

    def __init__(self, lan, i):
        self.lan, self.index = lan, i
        self.name = f"lmhost{i}"
        self.ns = f"{lan.tag}-h{i}"
        self.addr = f"{SUBNET}.{10 + i}"
        self.port = f"p{i}"              # its veth end in the switch namespace
        self.dir = os.path.join(lan.tmp, self.name)
        self.bus = os.path.join(self.dir, "bus")
        self.bus_addr = "unix:path=" + self.bus
        self.conf = os.path.join(self.dir, "avahi-daemon.conf")
        self.dbus = self.avahi = None    # Popen
        self.bridge = "br0"
        self.capped = None               # rate string while capped
        self.link_up = True
        self.avahi_restarts = 0

    def env(self):
        e = dict(os.environ)
        e["DBUS_SYSTEM_BUS_ADDRESS"] = self.bus_addr
        return e

    def wrap(self, argv):
        """argv run inside this host, on its bus."""
        return ["ip", "netns", "exec", self.ns, "env", f"DBUS_SYSTEM_BUS_ADDRESS={self.bus_addr}"] + list(argv)

    def describe(self):
        return {"name": self.name, "namespace": self.ns, "addr": self.addr, "switch_port": self.port,
                "bridge": self.bridge, "link_up": self.link_up, "capped": self.capped,
                "avahi_restarts": self.avahi_restarts}


class Lan:
    """The switch and the hosts of one run."""

    def __init__(self, count, logdir, run=1, log=None):
        if not 1 <= count <= 200:
            raise LanError(f"hosts must be 1..200, not {count}")
        self.count, self.logdir = count, logdir
        self.log = log or (lambda m: None)
        self.tag = f"{PREFIX}-{os.getpid()}-{run}"
        self.switch = self.tag + "-sw"
        self.tmp = tempfile.mkdtemp(prefix=f"{PREFIX}-{os.getpid()}-")
        self.hosts = [Host(self, i) for i in range(1, count + 1)]
        self.made = []                   # namespaces created, in order
        self.closed = False
        self.split = False
        _LIVE.append(self)

    # ---- building
    def ip(self, ns, *args, check=True):
        return _run(["ip", "-n", ns] + list(args), check=check, log=self.log)

    def _netns_add(self, ns):
        _run(["ip", "netns", "add", ns], log=self.log)
        self.made.append(ns)
        self.ip(ns, "link", "set", "lo", "up")
        self.ip(ns, "link", "set", "lo", "multicast", "on")

    def _bridge(self, name):
        self.ip(self.switch, "link", "add", name, "type", "bridge", "stp_state", "0", "mcast_snooping", "0")
        self.ip(self.switch, "link", "set", name, "up")

    def up(self):
        """Create switch, hosts, links, buses and avahi-daemons; raise LanError."""
        self._netns_add(self.switch)
        self._bridge("br0")
        for h in self.hosts:
            self._netns_add(h.ns)
            self.ip(self.switch, "link", "add", h.port, "type", "veth", "peer", "name", "eth0", "netns", h.ns)
            self.ip(self.switch, "link", "set", h.port, "master", "br0")
            self.ip(self.switch, "link", "set", h.port, "up")
            self.ip(h.ns, "addr", "add", f"{h.addr}/24", "dev", "eth0")
            self.ip(h.ns, "link", "set", "eth0", "multicast", "on")
            self.ip(h.ns, "link", "set", "eth0", "up")
            os.makedirs(h.dir, exist_ok=True)
            self._write_conf(h)
        for h in self.hosts:  # start all buses, then wait for all
            self._start_dbus(h)
        end = time.monotonic() + DAEMON_READY
        for h in self.hosts:
            while not os.path.exists(h.bus):
                if h.dbus.poll() is not None or time.monotonic() > end:
                    raise LanError(f"{h.name}: dbus-daemon did not start ({self._tail(h, 'dbus')})")
                time.sleep(0.05)
        for h in self.hosts:
            self.start_avahi(h, wait=False)
        for h in self.hosts:
            if not self.wait_avahi(h, DAEMON_READY):
                raise LanError(f"{h.name}: avahi-daemon not RUNNING within {DAEMON_READY:g} s "
                               f"({self._tail(h, 'avahi')})")
        return self

    def _write_conf(self, h):
        template = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "avahi-test.conf")
        with open(template) as f:
            conf = f.read().replace("@HOSTNAME@", h.name).replace("@IFACE@", "eth0")
        with open(h.conf, "w") as f:
            f.write(conf)

    def _logfile(self, h, what):
        return open(os.path.join(self.logdir, f"{h.name}.{what}.log"), "ab")

    def _tail(self, h, what):
        try:
            with open(os.path.join(self.logdir, f"{h.name}.{what}.log"), "rb") as f:
                return " | ".join(f.read()[-1500:].decode("utf-8", "replace").splitlines()[-4:])
        except OSError:
            return "no log"

    def _spawn(self, h, cmd, what, watchdog=False):
        self.log(f"start {what} on {h.name}: {' '.join(cmd)}")
        with self._logfile(h, what) as out:
            return subprocess.Popen(cmd, stdin=subprocess.PIPE if watchdog else subprocess.DEVNULL,
                                    stdout=out, stderr=out, env=h.env(), start_new_session=True,
                                    preexec_fn=None if watchdog else child_setup)

    def _start_dbus(self, h):
        h.dbus = self._spawn(h, ["ip", "netns", "exec", h.ns, "sh", "-c", DBUS_START, "sh", SYSTEM_CONF,
                                 h.bus_addr], "dbus", watchdog=True)

    # ---- avahi-daemon
    def _dbus_send(self, h, *args):
        try:
            r = _run(["dbus-send", "--system", "--print-reply", "--reply-timeout=1000"] + list(args),
                     check=False, env=h.env(), timeout=3.0)
        except LanError:
            return ""
        return r.stdout.decode("utf-8", "replace") if r.returncode == 0 else ""

    def avahi_owned(self, h):
        return "boolean true" in self._dbus_send(
            h, "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus",
            "org.freedesktop.DBus.NameHasOwner", "string:org.freedesktop.Avahi")

    def avahi_running(self, h):  # server state 2 is AVAHI_SERVER_RUNNING
        return "int32 2" in self._dbus_send(h, "--dest=org.freedesktop.Avahi", "/",
                                            "org.freedesktop.Avahi.Server.GetState")

    def start_avahi(self, h, wait=True):
        """Start h's avahi-daemon (a fresh tmpfs on /run/avahi-daemon in the
        mount namespace `ip netns exec` makes); True once RUNNING if wait."""
        if h.avahi is not None and h.avahi.poll() is None:
            raise LanError(f"{h.name}: avahi-daemon already running")
        h.avahi = self._spawn(h, ["ip", "netns", "exec", h.ns, "sh", "-c", AVAHI_START, "sh", h.conf], "avahi")
        return self.wait_avahi(h, DAEMON_READY) if wait else True

    def wait_avahi(self, h, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if h.avahi.poll() is not None:
                return False
            if self.avahi_running(h):
                return True
            time.sleep(0.05)
        return False

    def stop_avahi(self, h, sig=signal.SIGTERM):
        """Stop h's avahi-daemon (sig, then SIGKILL after STOP_WAIT); wait
        until its D-Bus name is gone. Returns the time it exited."""
        p = h.avahi
        if p is not None and p.poll() is None:
            self.log(f"{signal.Signals(sig).name} avahi-daemon of {h.name} (pid {p.pid})")
            p.send_signal(sig)
            try:
                p.wait(STOP_WAIT)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(STOP_WAIT)
        t = time.monotonic()
        end = t + STOP_WAIT
        while time.monotonic() < end and self.avahi_owned(h):
            time.sleep(0.05)
        return t

    def restart_avahi(self, h, sig=signal.SIGTERM):
        """Stop and start again; returns (stopped_t, started_t, running_t or None)."""
        ts = self.stop_avahi(h, sig)
        tstart = time.monotonic()
        ok = self.start_avahi(h, wait=True)
        h.avahi_restarts += 1
        return ts, tstart, time.monotonic() if ok else None

    def browse(self, h, timeout=2.0):
        """`avahi-browse -rtp _lanmeet._udp` inside host h, on its bus:
        the resolved lines, each split on ';' (may be partial on timeout)."""
        cmd = h.wrap(["avahi-browse", "-rtp", "_lanmeet._udp"])
        try:
            r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout,
                               preexec_fn=child_setup)
            out = r.stdout
        except subprocess.TimeoutExpired as e:
            out = e.stdout or b""
        return [ln.split(";") for ln in out.decode("utf-8", "replace").splitlines() if ln.startswith("=;")]

    # ---- faults
    def cap(self, h, rate="1mbit", burst="16kbit", latency="100ms"):
        """Shape both directions of h's link: egress of eth0 in the host and
        of its port on the switch."""
        for ns, dev in ((h.ns, "eth0"), (self.switch, h.port)):
            _run(["tc", "-n", ns, "qdisc", "replace", "dev", dev, "root", "tbf", "rate", rate,
                  "burst", burst, "latency", latency], log=self.log)
        h.capped = rate

    def uncap(self, h):
        for ns, dev in ((h.ns, "eth0"), (self.switch, h.port)):
            _run(["tc", "-n", ns, "qdisc", "del", "dev", dev, "root"], check=False, log=self.log)
        h.capped = None

    def tc_stats(self, h):
        """The tbf counters (sent/dropped/overlimits) of both directions."""
        out = {}
        for ns, dev, way in ((h.ns, "eth0", "up"), (self.switch, h.port, "down")):
            r = _run(["tc", "-n", ns, "-s", "qdisc", "show", "dev", dev], check=False)
            m = re.search(r"Sent (\d+) bytes (\d+) pkt \(dropped (\d+), overlimits (\d+)", r.stdout.decode())
            if m:
                out[way] = {"bytes": int(m[1]), "packets": int(m[2]), "dropped": int(m[3]),
                            "overlimits": int(m[4])}
        return out

    def cut(self, group_b):
        """Split the LAN: group_b's ports move to a second bridge br1."""
        if "br1" not in self.ip(self.switch, "link", "show").stdout.decode():
            self._bridge("br1")
        for h in group_b:
            self.ip(self.switch, "link", "set", h.port, "master", "br1")
            h.bridge = "br1"
        self.split = True

    def heal(self):
        for h in self.hosts:
            if h.bridge != "br0":
                self.ip(self.switch, "link", "set", h.port, "master", "br0")
                h.bridge = "br0"
        self.split = False

    def set_link(self, h, up):
        """Take h's eth0 down or up (the address stays)."""
        self.ip(h.ns, "link", "set", "eth0", "up" if up else "down")
        h.link_up = up

    def describe(self):
        return {h.name: h.describe() for h in self.hosts}

    # ---- teardown
    def close(self):
        """Stop the daemons, kill anything left in our namespaces, delete
        them and the temp dir. Idempotent; never raises."""
        if self.closed:
            return []
        self.closed = True
        problems = []
        for h in self.hosts:
            for p, what in ((h.avahi, "avahi-daemon"), (h.dbus, "dbus-daemon")):
                if p is None or p.poll() is not None:
                    continue
                try:
                    if p.stdin:  # the dbus watchdog: EOF ends the bus, then the shell
                        p.stdin.close()
                    else:
                        p.terminate()
                    p.wait(STOP_WAIT)
                except subprocess.TimeoutExpired:
                    p.kill()
                    try:
                        p.wait(STOP_WAIT)
                    except subprocess.TimeoutExpired:
                        problems.append(f"{what} of {h.name} (pid {p.pid}) did not die")
                except OSError as e:
                    problems.append(f"{what} of {h.name}: {e}")
        for ns in reversed(self.made):
            if not _kill_netns(ns, self.log):
                problems.append(f"namespace {ns} not deleted")
        shutil.rmtree(self.tmp, ignore_errors=True)
        if self in _LIVE:
            _LIVE.remove(self)
        for p in problems:
            self.log("cleanup: " + p)
        return problems


@atexit.register
def _close_all():
    for lan in list(_LIVE):
        lan.close()
