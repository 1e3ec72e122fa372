#!/usr/bin/python3
"""make chaos: faults injected while reads and writes run.

  (a) PostgreSQL stopped for 5 s, then started
  (b) PostgreSQL crashed and recovered (pg_ctl restart -m immediate)
      both: only 200/201/503, every 503 with Retry-After, the first
      success <= 2 s after PostgreSQL accepts connections again
  (c) one Kore worker SIGKILLed every second for 10 s: only requests in
      flight on the killed worker are lost, all others succeed
  (d) the server stopped with SIGTERM under load: the requests in flight
      are answered, no 5xx
  and every write answered 201 is in the database afterwards (by id).

Started by tests/reliability/run.sh (database, server). Loopback only,
modest concurrency, bounded in time. Prints one table; exits non-zero
when a figure is missed.
"""

import argparse
import os
import random
import signal
import subprocess
import sys
import threading
import time

import rlib
from rlib import Closed, Conn, now

PG_READY_LIMIT = 2.0        # s from "accepting connections" to a success
KILL_SLACK = 0.05           # s: a request "in flight" at a kill


class Event:
    __slots__ = ("t0", "t1", "kind", "status", "retry_after", "id",
                 "port", "err")

    def __init__(self, t0, t1, kind, status, retry_after=False, oid=None,
                 port=0, err=None):
        self.t0, self.t1, self.kind, self.status = t0, t1, kind, status
        self.retry_after, self.id, self.port, self.err = \
            retry_after, oid, port, err


class Load:
    """Readers and writers on keep-alive connections, one thread each."""

    def __init__(self, port, tenants, readers, writers):
        self.port = port
        self.tenants = tenants
        self.events = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.threads = []
        for i in range(readers):
            self.threads.append(threading.Thread(
                target=self.run, args=("read", i), daemon=True))
        for i in range(writers):
            self.threads.append(threading.Thread(
                target=self.run, args=("write", i), daemon=True))
        self.conns = readers + writers

    def start(self):
        for t in self.threads:
            t.start()

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join(30)

    def add(self, ev):
        with self.lock:
            self.events.append(ev)

    def run(self, kind, i):
        tenant = self.tenants[i % len(self.tenants)]
        token = tenant["access_token"]
        c, n = None, 0
        while not self.stop.is_set():
            if c is not None and c.stale():
                c.close()
                c = None
            if c is None:
                t0 = now()
                try:
                    c = Conn(self.port, timeout=15)
                except OSError as e:
                    # Refused: only once the server is gone (phase d).
                    self.add(Event(t0, now(), kind, "refused",
                                   err=str(e)))
                    time.sleep(0.05)
                    continue
            n += 1
            if kind == "write":
                method, path = "POST", "/api/v1/projects/"
                body = {"name": "chaos %d-%d-%d" % (os.getpid(), i, n)}
            else:
                method, body = "GET", None
                path = "/health/" if n % 4 == 0 else \
                    "/api/v1/projects/?page_size=5"
            port = c.sock.getsockname()[1]
            t0 = now()
            try:
                r = c.request(method, path, token, body)
            except Closed as e:
                self.add(Event(t0, now(), kind, "lost", port=port,
                               err=str(e)))
                c.close()
                c = None
                continue
            oid = None
            if r.status == 201:
                js = r.json()
                oid = js.get("id") if isinstance(js, dict) else None
            self.add(Event(t0, now(), kind, r.status,
                           "retry-after" in r.headers, oid, port))
            if r.headers.get("connection", "").lower() == "close":
                c.close()
                c = None
            if r.status == 503:
                time.sleep(0.01)    # no busy loop while it is down

    def window(self, t_from, t_to):
        with self.lock:
            return [e for e in self.events if t_from <= e.t0 < t_to]


def pg_ready_watch(stop, out):
    """The first moment pg_isready says the server accepts connections."""
    port = os.environ.get("DB_PORT", "54329")
    while not stop.is_set():
        r = subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1", "-p",
                            port], timeout=10)
        if r.returncode == 0:
            out.append(now())
            return
        time.sleep(0.02)


def pg(args, *cmd):
    subprocess.run([args.pg] + list(cmd), check=True,
                   stdout=subprocess.DEVNULL)


def by_status(events):
    counts = {}
    for e in events:
        counts[str(e.status)] = counts.get(str(e.status), 0) + 1
    return counts


def fmt_counts(counts):
    return " ".join("%s:%d" % kv for kv in sorted(counts.items()))


def db_phase(args, load, name, fault):
    """(a) and (b): the fault, then PostgreSQL accepts again."""
    print("%s ..." % name, flush=True)
    time.sleep(args.settle)
    t_from = now()
    ready = []
    stop = threading.Event()
    t_fault = now()
    if fault == "stop":
        pg(args, "stop")
        time.sleep(5)
        w = threading.Thread(target=pg_ready_watch, args=(stop, ready))
        w.start()
        pg(args, "start")
    else:
        w = threading.Thread(target=pg_ready_watch, args=(stop, ready))
        # pg_isready would still see the old server: watch after the crash.
        p = subprocess.Popen([args.pg, "restart", "immediate"],
                             stdout=subprocess.DEVNULL)
        time.sleep(0.2)
        w.start()
        p.wait(timeout=90)
    w.join(90)
    stop.set()
    time.sleep(args.settle + 2)
    t_to = now()
    evs = load.window(t_from, t_to)
    t_ready = ready[0] if ready else float("nan")
    # The first 2xx of a request sent once PostgreSQL accepts (pg_isready
    # polls every 20 ms: give it that much), and the last 503.
    db_evs = [e for e in evs if e.status in (200, 201) and
              e.t0 >= t_ready - 0.02]
    first = min((e.t1 for e in db_evs), default=float("nan")) - t_ready
    last503 = max((e.t1 for e in evs if e.status == 503),
                  default=float("nan")) - t_ready
    bad = [e for e in evs if e.status not in (200, 201, 503)]
    no_ra = [e for e in evs if e.status == 503 and not e.retry_after]
    n503 = sum(1 for e in evs if e.status == 503)
    ok = not bad and not no_ra and n503 > 0 and first <= PG_READY_LIMIT
    return {
        "phase": name,
        "load": "%.0f req/s" % (len(evs) / max(0.001, t_to - t_from)),
        "fault": ("PostgreSQL down %.1f s" % (t_ready - t_fault)) if
        fault == "stop" else ("crash + recovery, %.1f s" % (
            t_ready - t_fault)),
        "status": fmt_counts(by_status(evs)),
        "extra": "503 w/o Retry-After: %d; PostgreSQL accepts at t: "
                 "first 2xx t%+.2f s, last 503 t%+.2f s" % (
                     len(no_ra), first, last503),
        "ok": ok,
        "why": "" if ok else "; ".join(filter(None, [
            ("%d not 200/201/503: %s" % (len(bad), fmt_counts(by_status(
                bad)))) if bad else "",
            "%d 503 without Retry-After" % len(no_ra) if no_ra else "",
            "no 503 seen" if n503 == 0 else "",
            "first success %.2f s after ready" % first
            if not first <= PG_READY_LIMIT else ""])),
    }


def kill_phase(args, load):
    print("(c) a worker SIGKILLed every second for %d s ..." % args.kills,
          flush=True)
    time.sleep(args.settle)
    t_from = now()
    kills = []          # (time, pid, client ports on it)
    for _ in range(args.kills):
        wk = sorted(rlib.workers(args.server_pid))
        if wk:
            pid = random.choice(wk)
            ports = set()
            for line in subprocess.run(
                    ["ss", "-Htnp", "state", "established",
                     "( sport = :%d )" % args.port],
                    capture_output=True, text=True).stdout.splitlines():
                # Recv-Q Send-Q local peer users:(("kore",pid=N,fd=M))
                f = line.split()
                if len(f) >= 5 and "pid=%d," % pid in f[4]:
                    ports.add(int(f[3].rsplit(":", 1)[1]))
            t = now()
            os.kill(pid, signal.SIGKILL)
            kills.append((t, pid, ports))
        time.sleep(1.0)
    time.sleep(args.settle + 1)
    t_to = now()
    evs = load.window(t_from, t_to)
    lost = [e for e in evs if e.status == "lost"]
    unexplained = []
    for e in lost:
        if not any(e.port in ports and e.t0 <= t + KILL_SLACK and
                   e.t1 >= t - KILL_SLACK for t, _, ports in kills):
            unexplained.append(e)
    bad = [e for e in evs if e.status not in (200, 201, "lost")]
    after = rlib.workers(args.server_pid)
    ok = not unexplained and not bad and len(after) == len(
        rlib.workers(args.server_pid)) and len(after) > 0
    return {
        "phase": "(c) worker SIGKILL",
        "load": "%.0f req/s" % (len(evs) / max(0.001, t_to - t_from)),
        "fault": "%d workers killed" % len(kills),
        "status": fmt_counts(by_status(evs)),
        "extra": "lost %d, all in flight on the killed worker: %s; "
                 "workers now %d" % (len(lost), "yes" if not unexplained
                                     else "NO (%d)" % len(unexplained),
                                     len(after)),
        "ok": ok,
        "why": "" if ok else "; ".join(filter(None, [
            "%d lost outside a kill" % len(unexplained) if unexplained
            else "", "%d other failures: %s" % (len(bad), fmt_counts(
                by_status(bad))) if bad else ""])),
    }


def term_phase(args, load):
    print("(d) SIGTERM under load ...", flush=True)
    time.sleep(args.settle)
    t_from = now()
    t_term = now()
    os.kill(args.server_pid, signal.SIGTERM)
    gone = None
    for _ in range(600):
        try:
            os.kill(args.server_pid, 0)
        except ProcessLookupError:
            gone = now()
            break
        # run.sh is the parent: a stopped server stays a zombie until
        # reaped, so look at its state too.
        try:
            with open("/proc/%d/stat" % args.server_pid) as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    gone = now()
                    break
        except OSError:
            gone = now()
            break
        time.sleep(0.05)
    time.sleep(0.5)
    t_to = now()
    evs = load.window(t_from, t_to)
    with load.lock:
        before = [e for e in load.events if e.t0 < t_term <= e.t1]
    after = [e for e in evs if e.t0 >= t_term]
    unanswered = [e for e in before if not isinstance(e.status, int)]
    s5xx = [e for e in before + after
            if isinstance(e.status, int) and e.status >= 500]
    ok = not unanswered and not s5xx and gone is not None
    return {
        "phase": "(d) SIGTERM",
        "load": "%d in flight" % len(before),
        "fault": "SIGTERM, exit after %.2f s" % ((gone or now()) - t_term),
        "status": "in flight: %s; after: %s" % (
            fmt_counts(by_status(before)), fmt_counts(by_status(after))),
        "extra": "in flight unanswered %d, 5xx %d" % (len(unanswered),
                                                      len(s5xx)),
        "ok": ok,
        "why": "" if ok else "; ".join(filter(None, [
            "%d in flight unanswered (%s)" % (
                len(unanswered), unanswered[0].err) if unanswered else "",
            "%d 5xx" % len(s5xx) if s5xx else "",
            "server still running" if gone is None else ""])),
    }


def writes_check(args, load):
    acked = [e.id for e in load.events if e.status == 201 and e.id]
    if not acked:
        return 0, 0
    sql = ("SELECT count(*) FROM projects WHERE id = ANY('{%s}'::bigint[])"
           % ",".join(str(i) for i in acked))
    out = subprocess.run([args.pg, "psql", "-d", args.db, "-At"],
                         input=sql, capture_output=True, text=True,
                         check=True).stdout.strip()
    return len(acked), int(out.splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--fixture", required=True)
    ap.add_argument("--server-pid", type=int, required=True)
    ap.add_argument("--server-log", required=True)
    ap.add_argument("--conf")
    ap.add_argument("--pg", required=True)
    ap.add_argument("--db", required=True)
    ap.add_argument("--readers", type=int, default=6)
    ap.add_argument("--writers", type=int, default=4)
    ap.add_argument("--kills", type=int, default=10)
    ap.add_argument("--settle", type=float, default=2.0)
    ap.add_argument("--only", default="abcd")
    args = ap.parse_args()

    tenants = rlib.fixture(args.fixture)
    load = Load(args.port, tenants, args.readers, args.writers)
    print("chaos: port %d, %d readers + %d writers on keep-alive "
          "connections" % (args.port, args.readers, args.writers),
          flush=True)
    t0 = now()
    load.start()
    rows = []
    if "a" in args.only:
        rows.append(db_phase(args, load, "(a) PostgreSQL stop 5 s", "stop"))
    if "b" in args.only:
        rows.append(db_phase(args, load, "(b) PostgreSQL crash",
                             "immediate"))
    if "c" in args.only:
        rows.append(kill_phase(args, load))
    if "d" in args.only:
        rows.append(term_phase(args, load))
    load.finish()

    acked, found = writes_check(args, load)
    total = len(load.events)
    rows.append({
        "phase": "writes", "load": "%.0f req/s overall" % (
            total / max(0.001, now() - t0)),
        "fault": "-", "status": fmt_counts(by_status(load.events)),
        "extra": "acknowledged 201: %d, found in the database: %d" % (
            acked, found),
        "ok": acked == found and acked > 0,
        "why": "" if acked == found else "%d acknowledged writes missing"
        % (acked - found)})

    rlib.table("chaos: %.0f s, %d requests" % (now() - t0, total),
               [[r["phase"], r["load"], r["fault"], r["status"], r["extra"],
                 "PASS" if r["ok"] else "FAIL"] for r in rows],
               ["phase", "load held", "fault injected", "requests by status",
                "checks", "result"])
    failed = [r for r in rows if not r["ok"]]
    for r in failed:
        print("FAIL %s: %s" % (r["phase"], r["why"]))
    print()
    print("%d passed, %d failed" % (len(rows) - len(failed), len(failed)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
