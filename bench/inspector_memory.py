"""The server's memory with the inspector recording and thousands of
connections open: is it bounded as docs/inspector.md says?

Starts catalina_py (this checkout) with the examples and the inspector,
opens an inspector page (bench/peers/inspector_page.py), then opens
``--connections`` keep-alive connections (5,000 by default), each sending
one request with a large header block (``--header-bytes``, 6,000 by
default: every read is near the 4 KiB raw preview bound) and keeping the
connection open; then a WebSocket echo of a 60 KiB binary message. It
prints the server's resident memory (VmRSS from /proc) at each stage, the
recorder's view (connections listed, connections with a timeline), and the
size and time of ``/inspector/api/connections``.

    .venv/bin/python bench/inspector_memory.py [--connections 5000] [--header-bytes 6000]
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import http_hello as hh  # noqa: E402
import inspector_cost as ic  # noqa: E402


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise hh.BenchError("no VmRSS")


def api(port: int, path: str) -> tuple[dict, int, float]:
    started = time.perf_counter()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/inspector/api/{path}", timeout=60) as answer:
        body = answer.read()
    return json.loads(body), len(body), time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=5000)
    parser.add_argument("--header-bytes", type=int, default=6000)
    parser.add_argument(
        "--no-page", action="store_true", help="the same without the inspector page (the baseline to compare with)"
    )
    args = parser.parse_args(argv)
    if not 1 <= args.connections <= 8000:
        parser.error("--connections in [1, 8000] (the Connector's maxConnections is 8192)")
    hh.ensure_project_venv()
    import tempfile

    workdir = Path(tempfile.mkdtemp(prefix="inspector_memory-"))
    server = ic.Variant(workdir, "inspector" if args.no_page else "page-open")
    stages: list[tuple[str, int]] = []
    socks: list[socket.socket] = []
    try:
        server.start()
        server.check()
        pid = server.proc.pid
        stages.append(("started", rss_kib(pid)))
        if not args.no_page:
            server.open_page()
            stages.append(("page open", rss_kib(pid)))
        filler = "x" * args.header_bytes
        request = (
            f"GET /examples/servlets/helloworld HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Filler: {filler}\r\n\r\n"
        ).encode()
        started = time.monotonic()
        for i in range(args.connections):
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
            sock.sendall(request)
            reply = b""
            while b"Hello World" not in reply:
                chunk = sock.recv(65536)
                if not chunk:
                    raise hh.BenchError(f"connection {i} closed: {reply[:200]!r}")
                reply += chunk
            socks.append(sock)
        opened = time.monotonic() - started
        stages.append((f"{args.connections} connections open, one request each", rss_kib(pid)))
        listing, size, took = api(server.port, "connections")
        recorded = sum(1 for c in listing["open"] if c["recorded"])
        status, _, _ = api(server.port, "status")
        stages.append(("after the API calls", rss_kib(pid)))
        for sock in socks:
            sock.close()
        socks.clear()
        time.sleep(2.0)
        stages.append(("connections closed (recent ones kept in the ring)", rss_kib(pid)))
        page = server.close_page() if not args.no_page else {}
    finally:
        for sock in socks:
            sock.close()
        if server.page is not None:
            server.close_page()
        server.stop()
    print()
    print(
        f"catalina_py with the inspector {'deployed, no page' if args.no_page else 'recording'}; {args.connections} connections, {args.header_bytes}-byte header"
    )
    for label, kib in stages:
        print(f"  {label:<55} RSS {kib / 1024:8.1f} MiB")
    print(
        f"  opened in {opened:.1f} s; /inspector/api/connections: {len(listing['open'])} listed, {recorded} with a timeline,"
    )
    print(
        f"  {size / 1024:.0f} KiB in {took * 1000:.0f} ms; traced requests {status['traced_requests']}, untraced {status['untraced_requests']}"
    )
    if page:
        print(f"  the page got {page.get('messages')} messages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
