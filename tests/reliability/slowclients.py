#!/usr/bin/python3
"""make slowclients: slow and abusive clients against a running server.

  (a) connections that trickle their heads a byte a second: normal requests
      on other connections keep their p99 (<= 2x idle); every trickler is
      closed within the header timeout
  (b) the same for bodies (the body timeout)
  (c) thousands of idle keep-alive connections: still served; RSS per worker
  (d) connections opened and dropped mid-request in a loop: no worker
      crash, no database slot lost (the next requests still get one)
  (e) pipelined requests on one connection: answered, in order

Started by tests/reliability/run.sh, which sets up the database and the
server (conf/mtapi.conf). Loopback only; each phase is bounded in time and
connections. Prints a table and exits non-zero when a figure is missed.
"""

import argparse
import multiprocessing as mp
import random
import selectors
import socket
import struct
import sys
import time

import rlib
from rlib import Closed, Conn, now, percentile

PROBE_PATH = "/api/v1/projects/?page_size=5"
TRICKLER_KIB = 64       # memory a slow client may cost a worker
IDLE_KIB = 32           # memory an idle kept-alive connection may cost
results = []            # (check, figure, limit, ok)


def record(check, figure, limit, ok):
    """ok None: a known limit of Kore 4.1, reported, not counted."""
    results.append((check, figure, limit, ok))
    print("  %-5s %s: %s (limit: %s)" % (
        "limit" if ok is None else ("ok" if ok else "MISS"), check, figure,
        limit), flush=True)


# ------------------------------------------------------------------ probes
def probe_proc(port, token, until, nconn, q):
    """Normal requests, one after another, over nconn keep-alive
    connections (so over both workers): (start time, ms) per answer."""
    lat, errors = [], 0
    conns = [Conn(port) for _ in range(nconn)]
    i = 0
    while now() < until:
        k = i % nconn
        i += 1
        if conns[k].stale():
            conns[k].close()
            conns[k] = Conn(port)
        t0 = now()
        try:
            r = conns[k].request("GET", PROBE_PATH, token)
            if r.status == 200:
                lat.append((t0, (now() - t0) * 1000.0))
            else:
                errors += 1
        except (Closed, OSError):
            errors += 1
            conns[k].close()
            conns[k] = Conn(port)
    for c in conns:
        c.close()
    q.put((lat, errors))


def probe(port, token, seconds, nconn=4, sample=None):
    """Run a probe process; while it runs, call sample() every 0.5 s.
    Returns the latencies (ms) and the number of failed requests."""
    q = mp.Queue()
    p = mp.Process(target=probe_proc,
                   args=(port, token, now() + seconds, nconn, q))
    p.start()
    while p.is_alive() and q.empty():
        if sample:
            sample()
        p.join(0.5)
    lat, errors = q.get(timeout=seconds + 30)
    p.join()
    return [ms for _, ms in lat], errors


class RssPeak:
    """The largest RSS seen per worker (workers are replaced: by pid)."""

    def __init__(self, server_pid):
        self.server_pid = server_pid
        self.peak = {}

    def __call__(self):
        for pid in rlib.workers(self.server_pid):
            self.peak[pid] = max(self.peak.get(pid, 0), rlib.rss_kib(pid))

    def text(self):
        return ", ".join("%d MiB" % round(v / 1024.0)
                         for _, v in sorted(self.peak.items()))


# --------------------------------------------------------------- tricklers
def trickle_proc(port, population, windows, prefix, q):
    """During each (start, end) window hold `population` connections that
    send prefix, then one byte a second, replacing each one the server
    closes; at a window's end the rest are closed by us. Reports the
    lifetime (connect to close) of every connection the server closed,
    and how it closed them."""
    sel = selectors.DefaultSelector()
    live = {}               # sock -> opened
    lifetimes, how = [], {"408": 0, "eof": 0, "reset": 0, "other": 0}
    opened = 0

    def open_one():
        nonlocal opened
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(5)
        t = now()
        try:
            s.connect((rlib.HOST, port))
            s.sendall(prefix)
        except OSError:
            s.close()
            return
        s.setblocking(False)
        live[s] = t
        sel.register(s, selectors.EVENT_READ)
        opened += 1

    def gone(s, kind):
        t = live.pop(s)
        sel.unregister(s)
        s.close()
        if kind is not None:
            lifetimes.append(now() - t)
            how[kind] += 1

    for start, end in windows:
        while now() < start:
            time.sleep(min(0.05, start - now()))
        # Ramp up in steps, so the listen queue never overflows.
        while len(live) < population and now() < end:
            for _ in range(min(100, population - len(live))):
                open_one()
            time.sleep(0.02)
        next_tick = now() + 1.0
        while now() < end:
            wait = max(0.0, min(next_tick, end) - now())
            for key, _ in sel.select(timeout=wait):
                s = key.fileobj
                try:
                    d = s.recv(4096)
                    kind = "408" if d.startswith(b"HTTP/1.1 408") else \
                        ("eof" if d == b"" else "other")
                except BlockingIOError:
                    continue
                except OSError:
                    kind = "reset"
                gone(s, kind)
            if now() >= next_tick:
                next_tick += 1.0
                for s in list(live):
                    try:
                        s.send(b"a")
                    except BlockingIOError:
                        pass
                    except OSError:
                        gone(s, "reset")
                while len(live) < population and now() < end:
                    open_one()
        for s in list(live):
            gone(s, None)
    q.put((opened, lifetimes, how))


def trickle_phase(a, name, token, prefix, timeout, limit_label):
    """Rounds of an idle window and a window with the tricklers, the probe
    running throughout: p99 in the idle windows against p99 in the
    loaded ones (interleaved, so that other load on the machine weighs
    on both alike)."""
    print("%s: %d connections trickling a byte a second, %d rounds" %
          (name, a.tricklers, a.rounds), flush=True)
    idle_s, load_s, guard = 4.0, timeout + 3.0, 1.0
    t = now() + 1.0
    idle_w, load_w = [], []
    for _ in range(a.rounds):
        idle_w.append((t, t + idle_s))
        load_w.append((t + idle_s, t + idle_s + load_s))
        t += idle_s + load_s
    end = t + 0.5

    rss = RssPeak(a.server_pid)
    rss()
    base = dict(rss.peak)
    tq, pq = mp.Queue(), mp.Queue()
    tp = mp.Process(target=trickle_proc,
                    args=(a.port, a.tricklers, load_w, prefix, tq))
    pp = mp.Process(target=probe_proc, args=(a.port, token, end, 4, pq))
    tp.start()
    pp.start()
    while pp.is_alive() and pq.empty():
        rss()
        pp.join(0.5)
    lat, perr = pq.get(timeout=60)
    pp.join()
    opened, lifetimes, how = tq.get(timeout=120)
    tp.join()

    def inside(ws, skip):
        return [ms for t0, ms in lat
                if any(s + skip <= t0 < e for s, e in ws)]
    idle = inside(idle_w, 0.5)
    loaded = inside(load_w, guard)
    idle99, loaded99 = percentile(idle, 99), percentile(loaded, 99)
    longest = max(lifetimes) if lifetimes else float("nan")

    record(name + ": p99 under tricklers",
           "%.2f ms (idle %.2f ms; p50 %.2f / %.2f ms; %d / %d requests)"
           % (loaded99, idle99, percentile(loaded, 50), percentile(idle, 50),
              len(loaded), len(idle)),
           "<= 2x idle", loaded99 <= 2 * idle99 and perr == 0)
    record(name + ": tricklers closed",
           "%d opened, %d closed by the server, longest %.1f s "
           "(408: %d, closed: %d, reset: %d)" % (
               opened, len(lifetimes), longest, how["408"], how["eof"],
               how["reset"] + how["other"]),
           "%s %d s (+1 s: Kore looks every 0.5 s)" % (limit_label, timeout),
           len(lifetimes) > 0 and longest <= timeout + 1.0)
    grow = sum(v - base.get(p, 0) for p, v in rss.peak.items()) / \
        float(a.tricklers)
    record(name + ": memory",
           "%.0f KiB per trickler; RSS peak %s (before: %s)" % (
               grow, rss.text(), ", ".join("%d MiB" % round(v / 1024.0)
                                           for _, v in sorted(base.items()))),
           "<= %d KiB per trickler" % TRICKLER_KIB, grow <= TRICKLER_KIB)


# -------------------------------------------------------------- idle conns
def idle_phase(a, token):
    n = a.idle
    print("(c) %d idle keep-alive connections" % n, flush=True)
    rss = RssPeak(a.server_pid)
    rss()
    base = dict(rss.peak)
    conns, served, failed = [], 0, 0
    t0 = now()
    req = rlib.build("GET", "/health/live/")
    # In steps of 250: connect, one request each, then leave them idle.
    for start in range(0, n, 250):
        batch = []
        for _ in range(min(250, n - start)):
            try:
                c = Conn(a.port, timeout=10)
                c.send(req)
                batch.append(c)
            except (OSError, Closed):
                failed += 1
        for c in batch:
            try:
                r = c.read_response()
                if r.status == 200:
                    served += 1
                    conns.append(c)
                    continue
            except Closed:
                pass
            failed += 1
            c.close()
    setup = now() - t0
    rss()
    open_now = sum(1 for c in conns if not c.stale())
    per = rlib.conns_per_pid(a.port)
    wk = rlib.workers(a.server_pid)
    spread = ", ".join("%d" % per.get(pid, 0) for pid in sorted(wk))
    lat, perr = probe(a.port, token, 2.0, sample=rss)
    # Still there after the probe? (the server's idle timeout may end them)
    alive = sum(1 for c in conns if not c.stale())
    grow = sum(rss.peak.get(p, 0) - base.get(p, 0) for p in wk)
    record("(c) idle keep-alive: all served",
           "%d/%d answered 200 in %.1f s, %d open at once (%s per worker)" %
           (served, n, setup, open_now, spread), "all, all open at once",
           served == n and failed == 0 and open_now == n)
    record("(c) idle keep-alive: others still served",
           "%d requests, 0 errors wanted: %d errors; p99 %.2f ms, "
           "%d of %d idle still open" % (len(lat), perr,
                                          percentile(lat, 99), alive, n),
           "no error", perr == 0 and len(lat) > 0)
    record("(c) idle keep-alive: memory",
           "%.1f KiB per connection; RSS peak %s (before: %s)" % (
               grow / max(1, served), rss.text(), ", ".join(
                   "%d MiB" % round(v / 1024.0)
                   for _, v in sorted(base.items()))),
           "<= %d KiB per connection" % IDLE_KIB,
           grow / max(1, served) <= IDLE_KIB)
    # The server closes idle connections (keep-alive timeout): count how.
    t1 = now()
    closed_at, kinds = [], {"silent": 0, "408": 0}
    pending = list(conns)
    while pending and now() - t1 < a.keepalive + 8:
        rest = []
        for c in pending:
            if c.stale():
                try:
                    c.sock.settimeout(0.5)
                    d = c.sock.recv(64)
                except OSError:
                    d = b""
                kinds["408" if d.startswith(b"HTTP/1.1 408") else
                      "silent"] += 1
                closed_at.append(now() - t1)
                c.close()
            else:
                rest.append(c)
        pending = rest
        time.sleep(0.25)
    left = len(pending)
    for c in pending:
        c.close()
    record("(c) idle keep-alive: idle ones closed",
           "%d closed silently, %d with 408, %d still open" %
           (kinds["silent"], kinds["408"], left),
           "closed by the keep-alive timeout (%d s)" % a.keepalive,
           left == 0)


# ------------------------------------------------------------ drop in loop
def drop_one(port, kind, token, path_id):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(5)
    try:
        s.connect((rlib.HOST, port))
        if kind == "connect":
            pass
        elif kind == "half-head":
            s.sendall(b"GET /api/v1/projects/ HTTP/1.1\r\nHost: 127.0.0.1\r\nAuth")
        elif kind == "db-read":
            s.sendall(rlib.build("GET", "/api/v1/projects/?page_size=50",
                                 token))
        elif kind == "db-detail":
            s.sendall(rlib.build("GET", "/api/v1/projects/%d/" % path_id,
                                 token))
        elif kind == "db-write":
            s.sendall(rlib.build("POST", "/api/v1/projects/", token,
                                 {"name": "dropped %d" % random.random()}))
        elif kind == "half-body":
            b = rlib.build("POST", "/api/v1/projects/", token,
                           {"name": "never complete"})
            s.sendall(b[:-5])
        elif kind == "login":
            s.sendall(rlib.build("POST", "/api/v1/auth/token/", None,
                                 {"username": "nobody", "password": "x"}))
        if random.random() < 0.5:
            # An abortive close: RST instead of FIN.
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                         struct.pack("ii", 1, 0))
        elif random.random() < 0.5:
            time.sleep(random.random() * 0.005)
    except OSError:
        pass
    finally:
        s.close()


def drop_proc(port, token, ids, seconds, q):
    kinds = ["connect", "half-head", "db-read", "db-detail", "db-write",
             "half-body", "login"]
    counts = {k: 0 for k in kinds}
    end = now() + seconds
    while now() < end:
        k = random.choice(kinds)
        drop_one(port, k, token, random.choice(ids))
        counts[k] += 1
    q.put(counts)


def drop_phase(a, token, ids):
    print("(d) connections dropped mid-request, %d s, %d at a time" %
          (a.drop_seconds, a.drop_parallel), flush=True)
    before = rlib.workers(a.server_pid)
    q = mp.Queue()
    ps = [mp.Process(target=drop_proc,
                     args=(a.port, token, ids, a.drop_seconds, q))
          for _ in range(a.drop_parallel)]
    for p in ps:
        p.start()
    for p in ps:
        p.join(a.drop_seconds + 60)
    counts = {}
    for _ in ps:
        for k, v in q.get(timeout=10).items():
            counts[k] = counts.get(k, 0) + v
    total = sum(counts.values())
    time.sleep(1)
    after = rlib.workers(a.server_pid)
    # Afterwards: the database routes still get connections, many at once.
    ok, bad = 0, []
    for i in range(4 * 2 * 4):
        try:
            c = Conn(a.port, timeout=10)
            r1 = c.request("GET", "/health/")
            r2 = c.request("GET", "/api/v1/projects/?page_size=5", token)
            c.close()
            if r1.status == 200 and r2.status == 200:
                ok += 1
            else:
                bad.append("%d/%d" % (r1.status, r2.status))
        except (Closed, OSError) as e:
            bad.append(str(e))
    par = parallel_db(a.port, token, 24)
    died = 0
    with open(a.server_log, "rb") as f:
        for line in f:
            if b"died" in line or b"sandbox violation" in line or \
                    b"exited with status" in line:
                died += 1
    record("(d) drops: workers",
           "%d dropped (%s); workers before %s, after %s; %d deaths logged"
           % (total, ", ".join("%s %d" % kv for kv in sorted(counts.items())),
              sorted(before), sorted(after), died),
           "no crash", set(before) == set(after) and died == 0)
    record("(d) drops: database slots",
           "afterwards %d/%d /health/ + projects 200 one by one, %d/%d "
           "at once%s" % (ok, 32, par[0], par[1],
                          (" (" + ", ".join(bad[:3]) + ")") if bad else ""),
           "all 200 within 10 s", ok == 32 and par[0] == par[1])


def parallel_db(port, token, n):
    """n authed database requests at once, each on its own connection."""
    conns = []
    for _ in range(n):
        c = Conn(port, timeout=10)
        c.send(rlib.build("GET", "/api/v1/projects/?page_size=5", token))
        conns.append(c)
    good = 0
    for c in conns:
        try:
            if c.read_response().status == 200:
                good += 1
        except Closed:
            pass
        c.close()
    return good, n


# -------------------------------------------------------------- pipelining
def pipeline_phase(a, token, ids):
    print("(e) pipelined requests on one connection", flush=True)
    rounds, good, detail = 20, 0, ""
    for rnd in range(rounds):
        n = 2 + rnd % 9
        reqs, want = [], []
        for i in range(n):
            rid = "pipe-%d-%d" % (rnd, i)
            kind = i % 4
            if kind == 0:
                path, tok = "/health/live/", None
            elif kind == 1:
                path, tok = "/api/v1/projects/?page=1&page_size=%d" % (
                    1 + i), token
            elif kind == 2:
                path, tok = "/api/v1/projects/%d/" % ids[i % len(ids)], token
            else:
                path, tok = "/nowhere/%d/" % i, None
            reqs.append(rlib.build("GET", path, tok,
                                   headers={"X-Request-ID": rid}))
            want.append(rid)
        c = Conn(a.port, timeout=a.header_timeout + 3)
        got = []
        try:
            if rnd % 2:
                c.send(b"".join(reqs))      # all in one write
            else:
                blob = b"".join(reqs)       # split at odd places
                cut = random.randrange(1, len(blob))
                c.send(blob[:cut])
                time.sleep(0.01)
                c.send(blob[cut:])
            for _ in range(n):
                r = c.read_response()
                got.append(r.headers.get("x-request-id", "?%d" % r.status))
        except Closed as e:
            got.append("(%s)" % e)
        c.close()
        if got == want:
            good += 1
        elif not detail:
            detail = "; first miss: sent %s, got %s" % (want, got)
    record("(e) pipelined GETs answered in order",
           "%d/%d rounds of 2-10 requests%s" % (good, rounds, detail),
           "all, in order", good == rounds)

    # A write behind a read (allowed), then a read behind a write (RFC
    # 9112 9.3.2: a client SHOULD NOT pipeline after a non-idempotent
    # method), each in one segment.
    for label, first, second, want, limit in (
            ("(e) a GET with a POST behind it",
             ("GET", "/health/live/", None, None),
             ("POST", "/api/v1/projects/", token, {"name": "pipelined"}),
             ["pipe-w-0 200", "pipe-w-1 201"], True),
            ("(e) a POST with a GET behind it",
             ("POST", "/api/v1/projects/", token, {"name": "pipelined 2"}),
             ("GET", "/health/live/", None, None),
             ["pipe-w-0 201", "pipe-w-1 200"], None)):
        c = Conn(a.port, timeout=a.body_timeout + 3)
        blob = rlib.build(*first, headers={"X-Request-ID": "pipe-w-0"}) + \
            rlib.build(*second, headers={"X-Request-ID": "pipe-w-1"})
        got = []
        t0 = now()
        try:
            c.send(blob)
            for _ in range(2):
                r = c.read_response()
                got.append("%s %d" % (r.headers.get("x-request-id", "-"),
                                      r.status))
        except Closed as e:
            got.append("(%s)" % e)
        c.close()
        if limit:
            record(label, "%s in %.2f s" % (", ".join(got), now() - t0),
                   "both answered, in order", got == want)
        else:
            record(label, "%s in %.1f s" % (", ".join(got), now() - t0),
                   "Kore 4.1 reads the GET into the POST's body: the POST "
                   "waits for the body timeout (docs/reliability.md)",
                   True if got == want else None)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--fixture", required=True)
    ap.add_argument("--server-pid", type=int, required=True)
    ap.add_argument("--server-log", required=True)
    ap.add_argument("--conf", required=True)
    ap.add_argument("--pg")
    ap.add_argument("--db")
    ap.add_argument("--tricklers", type=int, default=1000)
    ap.add_argument("--idle", type=int, default=5000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--drop-seconds", type=float, default=10.0)
    ap.add_argument("--drop-parallel", type=int, default=8)
    ap.add_argument("--only", default="abcde")
    a = ap.parse_args()

    a.header_timeout = rlib.conf_value(a.conf, "http_header_timeout", 10)
    a.body_timeout = rlib.conf_value(a.conf, "http_body_timeout", 60)
    a.keepalive = rlib.conf_value(a.conf, "http_keepalive_time", 20)
    tenants = rlib.fixture(a.fixture)
    token = tenants[0]["access_token"]
    c = Conn(a.port)
    r = c.request("GET", "/api/v1/projects/?page_size=100", token)
    ids = [p["id"] for p in r.json()["results"]]
    c.close()
    print("slowclients: port %d, header timeout %d s, body timeout %d s, "
          "keep-alive %d s, workers %s; load average %s" % (
              a.port, a.header_timeout, a.body_timeout, a.keepalive,
              sorted(rlib.workers(a.server_pid)),
              open("/proc/loadavg").read().split()[0]), flush=True)

    t0 = now()
    if "a" in a.only:
        trickle_phase(a, "(a) heads", token,
                      b"GET /health/live/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      b"X-Slow: ", a.header_timeout, "header timeout")
    if "b" in a.only:
        trickle_phase(a, "(b) bodies", token,
                      b"POST /api/v1/auth/token/ HTTP/1.1\r\n"
                      b"Host: 127.0.0.1\r\nContent-Type: application/json\r\n"
                      b"Content-Length: 1048576\r\n\r\n{",
                      a.body_timeout, "body timeout")
    if "c" in a.only:
        idle_phase(a, token)
    if "d" in a.only:
        drop_phase(a, token, ids)
    if "e" in a.only:
        pipeline_phase(a, token, ids)

    rlib.table("slowclients: %.0f s" % (now() - t0),
               [[c, f, l, "LIMIT" if ok is None else
                 ("PASS" if ok else "FAIL")] for c, f, l, ok in results],
               ["check", "figure", "limit", "result"])
    failed = sum(1 for r in results if r[3] is False)
    known = sum(1 for r in results if r[3] is None)
    print()
    print("%d passed, %d failed, %d known limits" % (
        len(results) - failed - known, failed, known))
    return 1 if failed else 0


if __name__ == "__main__":
    mp.set_start_method("fork")
    sys.exit(main())
