"""Shared pieces of the reliability checks (slowclients.py, chaos.py).

Plain sockets and a minimal HTTP/1.1 client, so that every byte on the wire
is the check's own choice; Debian's python3 only (no pip).
"""

import json
import os
import re
import socket
import subprocess
import time

HOST = "127.0.0.1"


class Closed(Exception):
    """The server closed (or reset) the connection before a full answer."""


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers      # lower-case name -> value
        self.body = body

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            return None


class Conn:
    """One keep-alive HTTP/1.1 connection."""

    def __init__(self, port, timeout=10.0):
        self.port = port
        self.timeout = timeout
        self.sock = socket.create_connection((HOST, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.used = 0

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def stale(self):
        """The server has closed this idle connection (EOF or data waiting)."""
        try:
            self.sock.setblocking(False)
            try:
                self.sock.recv(1, socket.MSG_PEEK)
            finally:
                self.sock.settimeout(self.timeout)
            # EOF, or an answer nobody asked for (a 408): either way gone.
            return True
        except BlockingIOError:
            return False
        except OSError:
            return True

    def send(self, data):
        try:
            self.sock.sendall(data)
        except OSError as e:
            raise Closed("send: %s" % e) from None

    def _fill(self):
        try:
            d = self.sock.recv(65536)
        except socket.timeout:
            raise Closed("timeout") from None
        except OSError as e:
            raise Closed("recv: %s" % e) from None
        if not d:
            raise Closed("eof")
        self.buf += d

    def read_response(self, head_request=False):
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        n = 0 if head_request else int(headers.get("content-length", "0"))
        while len(self.buf) < n:
            self._fill()
        body, self.buf = self.buf[:n], self.buf[n:]
        self.used += 1
        return Response(status, headers, body)

    def request(self, method, path, token=None, body=None, headers=None):
        self.send(build(method, path, token, body, headers))
        return self.read_response(head_request=(method == "HEAD"))


def build(method, path, token=None, body=None, headers=None):
    h = ["%s %s HTTP/1.1" % (method, path), "Host: %s" % HOST]
    if token:
        h.append("Authorization: Bearer %s" % token)
    if body is not None:
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode()
        h.append("Content-Type: application/json")
        h.append("Content-Length: %d" % len(body))
    for k, v in (headers or {}).items():
        h.append("%s: %s" % (k, v))
    return ("\r\n".join(h) + "\r\n\r\n").encode() + (body or b"")


def percentile(values, p):
    if not values:
        return float("nan")
    v = sorted(values)
    k = min(len(v) - 1, max(0, int(round(p / 100.0 * len(v) + 0.5)) - 1))
    return v[k]


def fixture(path):
    with open(path) as f:
        fx = json.load(f)
    # Active tenants only (create-test-data makes one inactive).
    return [t for t in fx["tenants"] if t.get("is_active", True)]


def workers(server_pid):
    """The Kore worker processes of a server: {pid: name}."""
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                st = f.read()
            with open("/proc/%s/cmdline" % d, "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        ppid = int(st.rsplit(")", 1)[1].split()[1])
        if ppid == server_pid and "wrk" in cmd:
            out[int(d)] = cmd.strip()
    return out


def rss_kib(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return -1


def conns_per_pid(port):
    """Established server-side connections on port, by owning pid."""
    try:
        out = subprocess.run(
            ["ss", "-Htnp", "state", "established",
             "( sport = :%d )" % port],
            capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return {}
    counts = {}
    for line in out.splitlines():
        for pid in set(re.findall(r"pid=(\d+)", line)):
            counts[int(pid)] = counts.get(int(pid), 0) + 1
    return counts


def conf_value(path, name, default):
    """A top-level setting of a Kore configuration file."""
    try:
        with open(path) as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 2 and parts[0] == name:
                    return int(parts[1])
    except OSError:
        pass
    return default


def now():
    return time.monotonic()


def table(title, rows, header):
    """Print rows (lists of str) as an aligned text table."""
    widths = [len(h) for h in header]
    for r in rows:
        for i, c in enumerate(r):
            widths[i] = max(widths[i], len(c))
    line = "  ".join("%%-%ds" % w for w in widths)
    print()
    print(title)
    print(line % tuple(header))
    print(line % tuple("-" * w for w in widths))
    for r in rows:
        print(line % tuple(r))
