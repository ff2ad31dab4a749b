#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Drives tools/hostile-target against the iscsi_ini kernel module (guest side of tests/vm/hostile.sh).

  hostile.py cases --count N --seed S --results FILE
      Two sessions (one without digests, one with header and data digests) log in to the target and
      keep reads and writes going on their disks (every byte read is checked). Then N generated cases
      run one after another: each logs in again (like iscsid after a failure) to a TargetName that
      names the case, binds the socket to a session in recovery, and waits (bounded) for the
      kernel's verdict: the conn-error event with the reason the case's kind calls for, or, for
      legal behaviour, a connection that stays until the target hangs up. FILE gets one line per
      kind: "KIND OUTCOME PASSED TOTAL [first failure]", then "io ..." with the I/O figures.
  hostile.py eh MODE --results FILE
      SCSI error handling: a session to the target in swallow.MODE, a 5 s command timeout, a read
      the target never answers; the module's log lines for each step; I/O afterwards.
  hostile.py fault KIND --results FILE
      One case of KIND (logout-request, drop-connection, drop-all-connections, stop-reading,
      stop-reading-pings) on a session of its own under verified reads and writes, recovered as
      iscsid does (log in again with the same ISID, bind): FILE gets "CHECK 0|1 DETAIL" lines (the
      conn-error reason, the target's view, the module's log lines, the time from the fault to the
      failure by the kernel's clock, the same disk again, no I/O error, no wrong byte) and
      "figure NAME SECONDS" lines.
"""

import argparse
import errno
import mmap
import os
import queue
import random
import socket
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nlclient  # noqa: E402

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
TARGET = os.path.join(TOP, "tools/hostile-target/hostile-target")
BASE = "iqn.2026-11.org.example:hostile"
PORT = 3260
REASONS = {"proto": {errno.EPROTO}, "digest": {errno.EBADMSG}, "timeout": {errno.ETIMEDOUT},
           "reset": {errno.ECONNRESET}, "survive": {errno.ECONNRESET}, "drop": {errno.ECONNRESET},
           "logout": {errno.ECONNABORTED, errno.ECONNRESET}}
LOGOUT_WAIT = 5    # the target's Parameter3 (tools/hostile-target LOGOUT_WAIT)


class Target:
    """The target process; its per-connection report lines, by TargetName suffix."""

    def __init__(self, log):
        self.proc = subprocess.Popen([sys.executable, TARGET, "--port", str(PORT), "--timeout", "60"],
                                     stdout=subprocess.PIPE, text=True, bufsize=1)
        self.lines = queue.Queue()
        self.log = open(log, "a")
        if not self.proc.stdout.readline().startswith("listening"):
            raise SystemExit("hostile-target did not start")
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.log.write(line)
            self.log.flush()
            if line.startswith("conn "):
                self.lines.put(line.split())

    def conn_report(self, suffix, timeout):
        deadline = time.monotonic() + timeout
        while True:
            try:
                words = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                return None
            if words[1] == suffix:
                return dict(w.split("=", 1) for w in words[2:])

    def stop(self):
        self.proc.kill()
        self.proc.wait()


class Events:
    """conn-error events, per session."""

    def __init__(self):
        self.fam = nlclient.Family()
        self.queues = {}
        self.lock = threading.Lock()
        self.fam.nl.sock.setsockopt(nlclient.SOL_NETLINK, nlclient.NETLINK_ADD_MEMBERSHIP,
                                    self.fam.groups["events"])
        threading.Thread(target=self._run, daemon=True).start()

    def q(self, sid):
        with self.lock:
            return self.queues.setdefault(sid, queue.Queue())

    def _run(self):
        for name, attrs in self.fam.listen(1 << 40, 1 << 30):
            if name == "conn-error":
                self.q(attrs["session-id"]).put(attrs.get("reason", 0))

    def wait(self, sid, timeout):
        try:
            return self.q(sid).get(timeout=timeout)
        except queue.Empty:
            return None


class Session:
    def __init__(self, fam, isid, digests):
        self.fam = fam
        self.isid = isid
        self.digests = digests
        self.sid = None
        self.host = None

    def offer(self):
        d = "CRC32C" if self.digests else "None"
        return {"HeaderDigest": d, "DataDigest": d, "MaxConnections": "1", "InitialR2T": "Yes",
                "ImmediateData": "Yes", "MaxRecvDataSegmentLength": "65536", "MaxBurstLength": "262144",
                "FirstBurstLength": "65536", "DefaultTime2Wait": "2", "DefaultTime2Retain": "0",
                "MaxOutstandingR2T": "1", "DataPDUInOrder": "Yes", "DataSequenceInOrder": "Yes",
                "ErrorRecoveryLevel": "0"}

    def connect(self, target, extra=None):
        """Logs in to target and binds the socket (a new session the first time)."""
        sock = socket.create_connection(("127.0.0.1", PORT), timeout=10)
        try:
            lg = nlclient.Login(sock, bytes.fromhex(self.isid), "iqn.2026-11.org.example:hostile-driver", target)
            ans = lg.run(self.offer())
            if self.sid is None:
                attrs = {"target-name": target, "initiator-name": "iqn.2026-11.org.example:hostile-driver",
                         "isid": lg.isid, "tsih": lg.tsih, "portal": f"127.0.0.1:{PORT}", "cmds-max": 32,
                         "replacement-timeout": 60, "noop-interval": 1, "noop-timeout": 2,
                         "max-recv-dlength": 65536,
                         "max-xmit-dlength": int(ans.get("MaxRecvDataSegmentLength", 8192)),
                         "first-burst-length": int(ans["FirstBurstLength"]),
                         "max-burst-length": int(ans["MaxBurstLength"]),
                         "initial-r2t": 1, "immediate-data": 1,
                         "max-outstanding-r2t": int(ans["MaxOutstandingR2T"]),
                         "header-digest": int(self.digests), "data-digest": int(self.digests),
                         "data-pdu-in-order": 1, "data-sequence-in-order": 1, "erl": 0}
                attrs.update(extra or {})
                self.sid = self.fam.do("session-new", attrs)[0]["session-id"]
                self.host = self.fam.do("session-get", {"session-id": self.sid})[0]["host-no"]
            self.fam.do("conn-bind", {"session-id": self.sid, "cid": 0, "sock-fd": sock.fileno(),
                                      "exp-stat-sn": lg.exp_stat_sn, "cmd-sn": lg.cmd_sn,
                                      "exp-cmd-sn": lg.exp_cmd_sn, "max-cmd-sn": lg.max_cmd_sn})
        finally:
            sock.close()

    def state(self):
        with open(f"/sys/class/scsi_host/host{self.host}/session_state") as f:
            return f.read().strip()


class IO:
    """Reads and writes on a disk until stopped; every read is checked."""

    def __init__(self, dev, seed):
        self.dev = dev
        self.stop = threading.Event()
        self.ok = self.errors = self.mismatches = 0
        self.first_mismatch = None
        self.threads = [threading.Thread(target=self.writer, args=(seed,), daemon=True),
                        threading.Thread(target=self.reader, args=(seed + 1,), daemon=True)]
        for t in self.threads:
            t.start()

    def _mismatch(self, what):
        self.mismatches += 1
        self.first_mismatch = self.first_mismatch or what

    def writer(self, seed):
        """Writes random data to the first 4 MiB, reads it back."""
        rng = random.Random(seed)
        fd = os.open(self.dev, os.O_RDWR | os.O_DIRECT)
        wbuf, rbuf = mmap.mmap(-1, 65536), mmap.mmap(-1, 65536)
        while not self.stop.is_set():
            n = 4096 * rng.randrange(1, 17)
            off = 4096 * rng.randrange(0, (4 << 20) // 4096 - 16)
            wbuf[:n] = rng.randbytes(n)
            try:
                os.pwritev(fd, [memoryview(wbuf)[:n]], off)
                got = os.preadv(fd, [memoryview(rbuf)[:n]], off)
            except OSError:
                self.errors += 1
                continue
            if got != n or rbuf[:n] != wbuf[:n]:
                self._mismatch(f"written data read back wrong at {off}+{n}")
            else:
                self.ok += 1
        os.close(fd)

    def reader(self, seed):
        """Reads 8..12 MiB, where every sector holds its LBA (the target's initial pattern)."""
        rng = random.Random(seed)
        fd = os.open(self.dev, os.O_RDONLY | os.O_DIRECT)
        buf = mmap.mmap(-1, 131072)
        while not self.stop.is_set():
            n = 4096 * rng.randrange(1, 33)
            off = (8 << 20) + 4096 * rng.randrange(0, (4 << 20) // 4096 - 32)
            try:
                got = os.preadv(fd, [memoryview(buf)[:n]], off)
            except OSError:
                self.errors += 1
                continue
            want = b"".join(struct.pack(">Q", lba) * 64 for lba in range(off // 512, (off + n) // 512))
            if got != n or buf[:n] != want:
                self._mismatch(f"read wrong data at {off}+{n}")
            else:
                self.ok += 1
        os.close(fd)

    def finish(self, timeout):
        self.stop.set()
        deadline = time.monotonic() + timeout
        for t in self.threads:
            t.join(max(0, deadline - time.monotonic()))
        return not any(t.is_alive() for t in self.threads)


def disk(host, timeout):
    """The session's disk once it has its size, with the SCSI command timeout set."""
    dev = nlclient.wait_disk(host, 1)
    name = os.path.basename(dev)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with open(f"/sys/block/{name}/size") as f:
                if int(f.read()) > 0 and os.path.exists(dev):
                    break
        except OSError:
            pass
        time.sleep(0.2)
    with open(f"/sys/block/{name}/device/timeout", "w") as f:
        f.write(f"{timeout}\n")
    return dev


def kinds():
    out = subprocess.run([sys.executable, TARGET, "--list-kinds"], check=True, capture_output=True, text=True)
    return {line.split()[0]: line.split()[1] for line in out.stdout.splitlines()}


def run_case(events, target, sess, kind, outcome, seed):
    """One case: log in, bind, wait for the verdict; None when it went as it must, else why not."""
    suffix = f"{kind}.{seed}"
    wait = 20 if outcome in ("timeout", "any") else 12
    try:
        sess.connect(f"{BASE}.{suffix}")
    except (OSError, nlclient.NetlinkError, nlclient.LoginError) as e:
        return f"login/bind failed: {e}"
    reason = events.wait(sess.sid, wait)
    rep = target.conn_report(suffix, 10)
    if reason is None:
        return f"no conn-error within {wait} s (session {sess.state()}, target {rep})"
    if rep is None:
        return f"reason {errno.errorcode.get(reason, reason)} but no report from the target"
    if rep["injected"] != "1":
        return f"the target never misbehaved ({rep}), reason {errno.errorcode.get(reason, reason)}"
    if outcome != "any" and reason not in REASONS[outcome]:
        return f"reason {errno.errorcode.get(reason, reason)}, wanted {outcome} ({rep})"
    if outcome == "survive" and (rep["end"] != "target-closed" or int(rep["served_after"]) < 8):
        return f"the connection did not survive: {rep}"
    if outcome in ("proto", "digest", "timeout", "drop") and rep["end"] != "kernel-closed":
        return f"the kernel did not close the connection: {rep}"
    if outcome == "logout" and not logged_out_in_time(rep):
        return f"no Logout Request within {LOGOUT_WAIT} s: {rep}"
    return None


def logged_out_in_time(rep):
    """The target's report shows a Logout Request (reason: close the session) within Parameter3."""
    try:
        return float(rep.get("logout", "none")) <= LOGOUT_WAIT and rep.get("logout_reason") == "0"
    except ValueError:
        return False


def wait_state(sess, states, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sess.state() in states:
            return True
        time.sleep(0.05)
    return False


def cmd_cases(args):
    fam = nlclient.Family()
    events = Events()
    target = Target(args.log)
    all_kinds = kinds()
    plain = Session(fam, "800000000101", False)
    digest = Session(fam, "800000000102", True)
    out = open(args.results, "w")
    for s in (plain, digest):
        s.connect(BASE)
        s.dev = disk(s.host, 30)
    ios = [IO(plain.dev, args.seed), IO(digest.dev, args.seed + 7)]
    # a new connection binds only to a session in recovery: the target hangs up the first ones
    # at a read of LBA 2000, which the next connection then serves
    for s in (plain, digest):
        threading.Thread(target=read_lba, args=(s.dev, 2000), daemon=True).start()
        if events.wait(s.sid, 30) is None:
            raise SystemExit(f"session {s.sid}: the target did not hang up")
    rng = random.Random(args.seed)
    order = list(all_kinds)
    results = {k: [0, 0, None] for k in order}
    start = time.monotonic()
    for i in range(args.count):
        if i % len(order) == 0:
            rng.shuffle(order)
        kind = order[i % len(order)]
        outcome = all_kinds[kind]
        sess = digest if outcome == "digest" or rng.random() < 0.3 else plain
        seed = rng.randrange(1 << 31)
        why = run_case(events, target, sess, kind, outcome, seed)
        results[kind][1] += 1
        if why is None:
            results[kind][0] += 1
        elif results[kind][2] is None:
            results[kind][2] = f"seed {seed}: {why}"
        if why is not None:
            print(f"case {i} {kind} seed {seed}: {why}", flush=True)
            if not wait_state(sess, ("recovering", "failed"), 30):
                print(f"session {sess.sid} stuck in {sess.state()}", flush=True)
                break
    elapsed = time.monotonic() - start
    # back to a well-behaved target: I/O flows again on both sessions
    recovered = True
    for s in (plain, digest):
        try:
            s.connect(BASE)
        except (OSError, nlclient.NetlinkError, nlclient.LoginError) as e:
            print(f"final login: {e}", flush=True)
            recovered = False
    before = [io.ok for io in ios]
    time.sleep(3)
    flowing = all(io.ok > b for io, b in zip(ios, before))
    done = all(io.finish(90) for io in ios)
    for kind in order:
        passed, total, why = results[kind]
        out.write(f"{kind} {all_kinds[kind]} {passed} {total} {why or ''}\n")
    out.write(f"summary cases={sum(r[1] for r in results.values())} passed={sum(r[0] for r in results.values())} "
              f"seed={args.seed} seconds={elapsed:.0f}\n")
    out.write(f"io recovered={int(recovered)} flowing={int(flowing)} finished={int(done)} "
              f"ok={sum(io.ok for io in ios)} errors={sum(io.errors for io in ios)} "
              f"mismatches={sum(io.mismatches for io in ios)} "
              f"{next((io.first_mismatch for io in ios if io.first_mismatch), '')}\n")
    out.close()
    for s in (plain, digest):
        try:
            fam.do("session-logout", {"session-id": s.sid})
        except nlclient.NetlinkError as e:
            print(f"logout {s.sid}: {e}", flush=True)
    target.stop()
    return 0


def read_lba(dev, lba, count=1):
    """A direct read of count sectors at lba; True when it succeeded."""
    fd = os.open(dev, os.O_RDONLY | os.O_DIRECT)
    buf = mmap.mmap(-1, 4096)
    try:
        return os.preadv(fd, [memoryview(buf)[:512 * count]], 512 * lba) == 512 * count
    except OSError:
        return False
    finally:
        os.close(fd)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("cases")
    p.add_argument("--count", type=int, default=200)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--results", required=True)
    p.add_argument("--log", default="/tmp/hostile-target.log")
    p = sub.add_parser("eh")
    p.add_argument("mode", choices=["abort", "lunreset", "hostreset"])
    p.add_argument("--results", required=True)
    p.add_argument("--log", default="/tmp/hostile-target.log")
    p = sub.add_parser("fault")
    p.add_argument("kind", choices=list(FAULTS))
    p.add_argument("--results", required=True)
    p.add_argument("--log", default="/tmp/hostile-target.log")
    args = ap.parse_args()
    return {"cases": cmd_cases, "eh": cmd_eh, "fault": cmd_fault}[args.command](args)


EH_STEPS = {  # mode -> the module's log lines that must appear, and those that must not
    "abort": (["aborting command"], ["logical unit reset", "host reset"]),
    "lunreset": (["aborting command", "abort .* timed out", "logical unit reset"], ["host reset"]),
    "hostreset": (["aborting command", "abort .* timed out", "logical unit reset", "target warm reset",
                   "host reset"], []),
}


def kmsg_mark():
    """Writes a marker to the kernel log; the log after it is what kmsg_since returns."""
    mark = f"hostile.py mark {time.monotonic_ns()}"
    with open("/dev/kmsg", "w") as f:
        f.write(mark + "\n")
    return mark


def kmsg_since(mark):
    # a line count would drift: after many cases the ring buffer is full and old lines fall out
    lines = subprocess.run(["dmesg"], capture_output=True, text=True).stdout.splitlines()
    at = max((i for i, line in enumerate(lines) if mark in line), default=0)
    return lines[at + 1:]


def cmd_eh(args):
    import re
    fam = nlclient.Family()
    events = Events()
    target = Target(args.log)
    sess = Session(fam, "8000000002%02x" % ["abort", "lunreset", "hostreset"].index(args.mode), False)
    name = f"{BASE}.swallow.{args.mode}"
    sess.connect(name, {"noop-interval": 5, "noop-timeout": 5})
    dev = disk(sess.host, 5)
    rebinds = []

    def daemon():  # what iscsid does after a connection failure: log in again, bind
        while True:
            reason = events.wait(sess.sid, 3600)
            try:
                sess.connect(name)
                rebinds.append(reason)
            except (OSError, nlclient.NetlinkError, nlclient.LoginError) as e:
                rebinds.append(f"failed: {e}")

    threading.Thread(target=daemon, daemon=True).start()
    mark = kmsg_mark()
    start = time.monotonic()
    result = []
    t = threading.Thread(target=lambda: result.append(read_lba(dev, 1000, 8)), daemon=True)
    t.start()
    t.join(180)
    elapsed = time.monotonic() - start
    log = "\n".join(kmsg_since(mark))
    out = open(args.results, "w")
    want, unwanted = EH_STEPS[args.mode]
    out.write(f"read-completes {int(bool(result and result[0]))} {'hung' if t.is_alive() else ''}"
              f"{'' if result else ''} after {elapsed:.0f} s\n")
    for step in want:
        out.write(f"logged:{step.replace(' ', '_')} {int(bool(re.search(step, log)))}\n")
    for step in unwanted:
        out.write(f"not-logged:{step.replace(' ', '_')} {int(not re.search(step, log))}\n")
    out.write(f"io-after {int(read_lba(dev, 3000, 8))}\n")
    out.write(f"rebinds {len(rebinds)} {rebinds}\n")
    out.close()
    sys.stdout.write(log + "\n")
    try:
        fam.do("session-logout", {"session-id": sess.sid})
    except nlclient.NetlinkError as e:
        print(f"logout: {e}")
    target.stop()
    return 0



# kind -> the module's log lines that must follow the fault (regular expressions), and whether the
# failure must come within noop-interval + noop-timeout (+ slack) of the target's "stops reading"
FAULTS = {
    "logout-request": (["target requests logout", r"session \d+: logged out"], False),
    "drop-connection": (["target drops the connection"], False),
    "drop-all-connections": (["target drops the connection"], False),
    "stop-reading": (["no answer to a ping|took none of our data"], True),
    "stop-reading-pings": (["took none of our data"], True),
}
FAULT_NOOP = (1, 2)     # the session's noop-interval and noop-timeout
FAULT_SLACK = 2         # the target's receive window filling, the work queue's latency


def kernel_time(lines, pattern, after=None):
    """The kernel timestamp (seconds) of the first log line matching pattern (at or after the time
    after, when given), or None."""
    import re
    for line in lines:
        m = re.match(r"^\[\s*(\d+\.\d+)\]\s*(.*)$", line)
        if m and re.search(pattern, m.group(2)) and (after is None or float(m.group(1)) >= after):
            return float(m.group(1))
    return None


def cmd_fault(args):
    kind = args.kind
    outcome = kinds()[kind]
    fam = nlclient.Family()
    events = Events()
    target = Target(args.log)
    sess = Session(fam, "8000000003%02x" % list(FAULTS).index(kind), False)
    try:
        return fault(args, kind, outcome, fam, events, target, sess)
    finally:
        # a failed run leaves no session and no target behind for the tests after it
        if sess.sid is not None:
            try:
                fam.do("session-logout", {"session-id": sess.sid})
            except nlclient.NetlinkError as e:
                print(f"logout: {e}")
        target.stop()


def fault(args, kind, outcome, fam, events, target, sess):
    import re
    name = f"{BASE}.{kind}.1"
    # the session starts on a well-behaved connection (the LUN scan must not meet the case), which
    # the target hangs up at a read of LBA 2000; the case's connection is the next one
    sess.connect(BASE, {"noop-interval": FAULT_NOOP[0], "noop-timeout": FAULT_NOOP[1]})
    dev = disk(sess.host, 30)
    threading.Thread(target=read_lba, args=(dev, 2000), daemon=True).start()
    if events.wait(sess.sid, 30) is None:
        raise SystemExit(f"session {sess.sid}: the target did not hang up")
    errors = []   # (reason) of each conn-error, in order
    rebinds = []

    def daemon():  # what iscsid does after a connection failure: wait, log in again, bind
        while True:
            reason = events.wait(sess.sid, 3600)
            errors.append(reason)
            time.sleep(1)
            try:
                sess.connect(name)
                rebinds.append("bound")
            except (OSError, nlclient.NetlinkError, nlclient.LoginError) as e:
                rebinds.append(f"failed: {e}")

    threading.Thread(target=daemon, daemon=True).start()
    mark = kmsg_mark()
    sess.connect(name)
    io = IO(dev, 4242)
    deadline = time.monotonic() + 60
    while not rebinds and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1)
    before = io.ok
    time.sleep(3)
    flowing = io.ok > before
    finished = io.finish(90)
    rep = target.conn_report(f"{kind}.1", 30)
    log = kmsg_since(mark)
    out = open(args.results, "w")

    def check(what, ok, detail=""):
        out.write(f"{what.replace(' ', '_')} {int(bool(ok))} {detail}\n")

    reason = errors[0] if errors else None
    rname = errno.errorcode.get(reason, reason)
    check("one connection error", len(errors) == 1, f"reasons {[errno.errorcode.get(r, r) for r in errors]}")
    check(f"reason is {'/'.join(errno.errorcode[r] for r in REASONS[outcome])}",
          reason in REASONS[outcome], f"got {rname}")
    check("the target saw the case through", rep is not None and rep.get("injected") == "1", f"{rep}")
    if outcome == "logout":
        check(f"Logout Request (close the session) within Parameter3 = {LOGOUT_WAIT} s",
              rep is not None and logged_out_in_time(rep), f"{rep}")
    else:
        check("the kernel closed the connection", rep is not None and rep.get("end") == "kernel-closed", f"{rep}")
    for pattern in FAULTS[kind][0]:
        check(f"logged: {pattern}", any(re.search(pattern, line) for line in log))
    failed = kernel_time(log, r"connection \d+ failed")
    resumed = None if failed is None else kernel_time(log, r"bound, I/O resumes", failed)
    if FAULTS[kind][1]:
        stopped = kernel_time(log, f"hostile-target: {kind}.1 stops reading")
        bound = sum(FAULT_NOOP) + FAULT_SLACK
        took = None if stopped is None or failed is None else failed - stopped
        check(f"failed within noop-interval + noop-timeout + {FAULT_SLACK} s = {bound} s of the stop",
              took is not None and 0 <= took <= bound, f"{took if took is None else round(took, 2)} s")
        if took is not None:
            out.write(f"figure stop-to-failure {took:.2f}\n")
    if failed is not None and resumed is not None:
        out.write(f"figure io-held {resumed - failed:.2f}\n")
    if outcome == "logout" and rep is not None and logged_out_in_time(rep):
        out.write(f"figure async-to-logout {float(rep['logout']):.2f}\n")
    check("reconnected (session logged-in again)", rebinds[:1] == ["bound"] and sess.state() == "logged-in",
          f"{rebinds} state {sess.state()}")
    try:
        host = fam.do("session-get", {"session-id": sess.sid})[0]["host-no"]
        same = host == sess.host and nlclient.wait_disk(host, 1) == dev
    except Exception as e:  # noqa: BLE001 - any failure to find it means it is not the same disk
        same = f"{e}"
    check("the same disk", same is True, f"{dev} {same}")
    check("I/O flows afterwards and every request ended", flowing and finished, f"flowing={flowing} finished={finished}")
    check("no I/O error", io.errors == 0, f"errors={io.errors} ok={io.ok}")
    check("no wrong byte read", io.mismatches == 0, f"{io.mismatches} {io.first_mismatch or ''}")
    out.close()
    sys.stdout.write("\n".join(log) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
