"""What the hardening scripts share: a server in a temporary CATALINA_BASE
(started and stopped by PID, through tests/server.py's CatalinaProcess), the
``hard`` probe webapp planted in it, /proc samples of the server process,
latency percentiles and a table printer.

The ``hard`` webapp is written by the scripts into the temporary base, never
shipped: its servlets are the debug hooks the measurements need.

- ``/hard/stats``: JSON of the server process as seen from inside: open file
  descriptors (``/proc/self/fd``), live greenlets (``gc.get_objects()``
  filtered on ``greenlet.greenlet``), RSS (``/proc/self/status`` VmRSS),
  the number of objects the garbage collector tracks, by type;
- ``/hard/record``: counts and logs every request it sees (method, URI,
  content length, bytes read) to ``$CATALINA_BASE/logs/record.log``;
- ``/hard/header?v=...`` and ``/hard/redirect?to=...``: set a response header
  or a redirect target from a query parameter (CRLF tests);
- ``/hard/read``: reads the whole body in 64 KiB pieces, answers the count;
- ``/hard/form``: ``get_parameter`` on a form POST (maxPostSize);
- ``/hard/ignore``: answers without reading the body (maxSwallowSize);
- ``/hard/gc``: the garbage collector's pauses (count, total and longest per
  generation) since its first GET.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.server import CatalinaProcess, free_port  # noqa: E402

__all__ = [
    "REPO",
    "CatalinaProcess",
    "free_port",
    "new_base",
    "start_server",
    "proc_sample",
    "percentile",
    "print_table",
    "http_get",
    "latency_probe",
    "inner_stats",
]

HARD_WEB_XML = """<?xml version="1.0" encoding="UTF-8"?>
<web-app xmlns="https://jakarta.ee/xml/ns/jakartaee" version="6.0">
  <display-name>hard</display-name>
{servlets}
</web-app>
"""

HARD_SERVLETS = {
    "stats": "/stats",
    "record": "/record/*",
    "header": "/header",
    "redirect": "/redirect",
    "read": "/read",
    "form": "/form",
    "ignore": "/ignore",
    "gc": "/gc",
}

HARD_PY = '''"""Debug hooks of the hardening scripts (bench/hardening/common.py)."""

import gc
import json
import os
import threading
import time

import greenlet

from catalina_py.servlet import HttpServlet

_lock = threading.Lock()


def _rss_kib():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


class StatsServlet(HttpServlet):
    def do_get(self, request, response):
        gc.collect()
        greenlets = sum(1 for o in gc.get_objects() if isinstance(o, greenlet.greenlet) and not o.dead)
        objects = gc.get_objects()
        by_type = {}
        for o in objects:
            name = type(o).__name__
            by_type[name] = by_type.get(name, 0) + 1
        data = {"fds": len(os.listdir("/proc/self/fd")), "greenlets": greenlets, "rss_kib": _rss_kib(),
                "objects": len(objects), "by_type": by_type}
        response.set_content_type("application/json")
        response.get_writer().write(json.dumps(data))


class RecordServlet(HttpServlet):
    def service(self, request, response):
        stream = request.get_input_stream()
        read = 0
        while True:
            piece = stream.read(65536)
            if not piece:
                break
            read += len(piece)
        line = json.dumps({"method": request.get_method(), "uri": request.get_request_uri(),
                           "query": request.get_query_string(),
                           "content_length": request.get_content_length(), "read": read,
                           "te": request.get_header("Transfer-Encoding")})
        path = os.path.join(os.environ["CATALINA_BASE"], "logs", "record.log")
        with _lock, open(path, "a") as log:
            log.write(line + "\\n")
        response.set_content_type("text/plain")
        response.get_writer().write("recorded %d %s\\n" % (read, request.get_request_uri()))


class HeaderServlet(HttpServlet):
    def do_get(self, request, response):
        response.set_header("X-Echo", request.get_parameter("v") or "")
        response.set_content_type("text/plain")
        response.get_writer().write("ok\\n")


class RedirectServlet(HttpServlet):
    def do_get(self, request, response):
        response.send_redirect(request.get_parameter("to") or "/")


class ReadServlet(HttpServlet):
    def do_post(self, request, response):
        stream = request.get_input_stream()
        read = 0
        while True:
            piece = stream.read(65536)
            if not piece:
                break
            read += len(piece)
        response.set_content_type("text/plain")
        response.get_writer().write("read %d\\n" % read)

    do_put = do_post


class FormServlet(HttpServlet):
    def do_post(self, request, response):
        value = request.get_parameter("a")
        response.set_content_type("text/plain")
        response.get_writer().write("a=%s\\n" % (None if value is None else len(value)))


_gc_pauses = {}
_gc_started = [0.0]


def _on_gc(phase, info):
    if phase == "start":
        _gc_started[0] = time.perf_counter()
    else:
        took = time.perf_counter() - _gc_started[0]
        entry = _gc_pauses.setdefault(info["generation"], [0, 0.0, 0.0])
        entry[0] += 1
        entry[1] += took
        entry[2] = max(entry[2], took)


class GcServlet(HttpServlet):
    """GET: the collector's pauses since the first GET (per generation:
    count, total ms, max ms); the first GET starts the recording."""

    def do_get(self, request, response):
        if _on_gc not in gc.callbacks:
            gc.callbacks.append(_on_gc)
        data = {str(g): {"count": e[0], "total_ms": round(e[1] * 1000, 1), "max_ms": round(e[2] * 1000, 1)}
                for g, e in sorted(_gc_pauses.items())}
        response.set_content_type("application/json")
        response.get_writer().write(json.dumps(data))


class IgnoreServlet(HttpServlet):
    def service(self, request, response):
        response.set_content_type("text/plain")
        response.get_writer().write("ignored\\n")
'''


def write_hard_webapp(webapps: Path) -> Path:
    """Plants the ``hard`` webapp under *webapps*; returns its directory."""
    app = webapps / "hard"
    classes = app / "WEB-INF" / "classes"
    classes.mkdir(parents=True, exist_ok=True)
    (classes / "hard.py").write_text(HARD_PY)
    entries = []
    for name, pattern in HARD_SERVLETS.items():
        entries.append(
            f"  <servlet><servlet-name>{name}</servlet-name>"
            f"<servlet-class>hard.{name.capitalize()}Servlet</servlet-class></servlet>\n"
            f"  <servlet-mapping><servlet-name>{name}</servlet-name>"
            f"<url-pattern>{pattern}</url-pattern></servlet-mapping>"
        )
    (app / "WEB-INF" / "web.xml").write_text(HARD_WEB_XML.format(servlets="\n".join(entries)))
    (app / "index.html").write_text("<!doctype html><title>hard</title>hard\n")
    return app


def new_base(prefix: str) -> Path:
    """A fresh temporary directory for one CATALINA_BASE (kept after the run for its logs)."""
    return Path(tempfile.mkdtemp(prefix=f"hardening-{prefix}-"))


def start_server(
    base: Path,
    connector_attrs: str = "",
    examples: bool = True,
    log_pattern: str = "common",
    prepare: Callable[[Path], None] | None = None,
    server_xml: str | None = None,
) -> CatalinaProcess:
    """Starts catalina_py in *base* with the examples webapp (optional) and
    ``hard``; *prepare* gets *base* after the webapps are copied, before the start."""
    webapps: dict[str, Path] = {}
    if examples:
        webapps["examples"] = REPO / "webapps" / "examples"
    server = CatalinaProcess(
        base, webapps=webapps, connector_attrs=connector_attrs, log_pattern=log_pattern, server_xml=server_xml
    )
    write_hard_webapp(base / "webapps")
    if prepare is not None:
        prepare(base)
    return server.start(timeout=60)


def proc_sample(pid: int) -> dict[str, int]:
    """Open fds, threads and RSS (KiB) of process *pid*, read from /proc from outside."""
    rss = -1
    threads = -1
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("Threads:"):
                threads = int(line.split()[1])
    return {"fds": len(os.listdir(f"/proc/{pid}/fd")), "rss_kib": rss, "threads": threads}


def http_get(port: int, path: str, timeout: float = 10.0, headers: str = "") -> tuple[int, bytes]:
    """One GET on a new connection (Connection: close); returns (status, whole response)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{headers}\r\n".encode("latin-1"))
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    data = b"".join(chunks)
    try:
        status = int(data.split(b" ", 2)[1])
    except (IndexError, ValueError):
        status = 0
    return status, data


def inner_stats(port: int) -> dict[str, int]:
    """The ``/hard/stats`` debug hook: fds, live greenlets and RSS as the server sees them."""
    status, data = http_get(port, "/hard/stats")
    if status != 200:
        raise RuntimeError(f"/hard/stats answered {status}: {data[:200]!r}")
    return json.loads(data.split(b"\r\n\r\n", 1)[1])


def percentile(values: Sequence[float], pct: float) -> float:
    """The *pct*-th percentile (nearest rank) of *values*; NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, int(round(pct / 100 * len(ordered) + 0.5)) - 1))
    return ordered[rank]


def latency_probe(
    port: int,
    count: int,
    path: str = "/examples/servlets/helloworld",
    timeout: float = 10.0,
    budget: float = 120.0,
    pace: float = 0.0,
) -> dict:
    """Up to *count* sequential GETs on one keep-alive connection (reconnecting
    when the server closes it), one every *pace* seconds at most (0: back to
    back), for at most *budget* seconds; returns
    latencies (ms), p50/p99/max, the failures (timeouts, errors, non-200) and
    how many were not sent because the budget ran out."""
    latencies: list[float] = []
    failures = 0
    sock: socket.socket | None = None
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
    end = time.monotonic() + budget
    sent = 0
    next_at = time.monotonic()
    for _ in range(count):
        if pace > 0:
            time.sleep(max(0.0, next_at - time.monotonic()))
            next_at += pace
        if time.monotonic() > end:
            break
        sent += 1
        started = time.perf_counter()
        try:
            if sock is None:
                sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
            sock.sendall(request)
            ok, close = _read_response(sock)
            if not ok:
                raise OSError("bad response")
            if close:
                sock.close()
                sock = None
        except OSError:
            failures += 1
            if sock is not None:
                sock.close()
            sock = None
            continue
        latencies.append((time.perf_counter() - started) * 1000)
    if sock is not None:
        sock.close()
    return {
        "count": count,
        "ok": len(latencies),
        "failures": failures,
        "not_sent": count - sent,
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
        "max_ms": max(latencies) if latencies else float("nan"),
        "mean_ms": statistics.fmean(latencies) if latencies else float("nan"),
    }


def _read_response(sock: socket.socket) -> tuple[bool, bool]:
    """Reads one response with Content-Length or chunked framing; returns
    (whether it is a 200, whether the server closes the connection after it)."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            return False, True
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.split(b"\r\n")
    ok = lines[0].split(b" ")[1] == b"200"
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip()
    close = headers.get(b"connection", b"").lower() == b"close"
    if b"content-length" in headers:
        need = int(headers[b"content-length"])
        while len(rest) < need:
            chunk = sock.recv(65536)
            if not chunk:
                return False, True
            rest += chunk
        return ok, close
    if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
        while not rest.endswith(b"0\r\n\r\n"):
            chunk = sock.recv(65536)
            if not chunk:
                return False, True
            rest += chunk
        return ok, close
    return ok, True


def print_table(title: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """Prints a Markdown table under *title* (so it can go into docs/hardening.md as is)."""
    rows = [[_fmt(c) for c in row] for row in rows]
    print(f"\n{title}\n")
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join(" --- " for _ in header) + "|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    sys.stdout.flush()


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}"
    return str(value)


def verdict(checks: list[tuple[str, bool, str]]) -> int:
    """Prints each (name, passed, detail) bound and returns the exit status (1 when any failed)."""
    print_table("Bounds", ["bound", "result", "detail"], [(n, "PASS" if ok else "FAIL", d) for n, ok, d in checks])
    return 0 if all(ok for _, ok, _ in checks) else 1
