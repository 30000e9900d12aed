#!/usr/bin/env python3
"""Bodies of 1 GiB, chunked and with Content-Length, to a servlet that reads
them, a servlet that does not, a form servlet and a static file: the server's
memory must stay bounded (RSS sampled every 50 ms), maxPostSize and
maxSwallowSize honoured; with --tomcat the same cases go to a private Tomcat
10.1 with the same servlets in Java, for comparison.

    .venv/bin/python bench/hardening/bodies.py [--size-mib 1024] [--rss-mib 64] [--tomcat]

Per case the client sends the body in 1 MiB writes from one thread while the
main thread reads the response; "sent MiB" is what the client managed to
write before the server answered and closed (or everything), "closed" whether
the server closed the connection (within 5 s of its response). Defaults of
both servers: maxPostSize 2 MiB, maxSwallowSize 2 MiB. Exit status 1 when
catalina_py's RSS grows by more than --rss-mib or a reading servlet did not
get every byte.
"""

from __future__ import annotations

import argparse
import socket
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

from bench.hardening import tomcat  # noqa: E402
from bench.hardening.common import new_base, print_table, proc_sample, start_server, verdict  # noqa: E402

MIB = 1024 * 1024

CASES = [
    ("servlet reads", "/hard/read", "application/octet-stream"),
    ("servlet ignores", "/hard/ignore", "application/octet-stream"),
    ("form (get_parameter)", "/hard/form", "application/x-www-form-urlencoded"),
    ("static file", "/hard/index.html", "application/octet-stream"),
]


class Sampler(threading.Thread):
    """Samples the RSS of *pid* every 50 ms; keeps the maximum."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.max_kib = 0
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                self.max_kib = max(self.max_kib, proc_sample(self.pid)["rss_kib"])
            except OSError:
                pass
            time.sleep(0.05)


def send_body(port: int, path: str, ctype: str, size: int, chunked: bool) -> dict:
    sock = socket.create_connection(("127.0.0.1", port), timeout=120)
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {size}"
    sock.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {ctype}\r\n{framing}\r\n\r\n".encode())
    piece = (b"a=" + b"x" * (MIB - 2)) if ctype.endswith("urlencoded") else b"\0" * MIB
    if chunked:
        piece = b"%x\r\n" % len(piece) + piece + b"\r\n"
    state = {"sent": 0, "error": ""}

    def sender() -> None:
        try:
            for _ in range(size // MIB):
                sock.sendall(piece)
                state["sent"] += MIB
            if chunked:
                sock.sendall(b"0\r\n\r\n")
        except OSError as exc:
            state["error"] = type(exc).__name__

    thread = threading.Thread(target=sender, daemon=True)
    t0 = time.monotonic()
    thread.start()
    data = b""
    answered_at = None
    closed = False
    sent_at_answer = None
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                closed = True
                break
            data += chunk
            if answered_at is None and b"\r\n\r\n" in data:
                head, _, body = data.partition(b"\r\n\r\n")
                length = next(
                    (int(ln.split(b":")[1]) for ln in head.split(b"\r\n") if ln.lower().startswith(b"content-length:")),
                    None,
                )
                if length is not None and len(body) >= length:
                    answered_at = time.monotonic() - t0
                    sent_at_answer = state["sent"]
                    sock.settimeout(5 if not thread.is_alive() else 120)
    except TimeoutError:
        pass
    except OSError as exc:
        state["error"] = state["error"] or type(exc).__name__
        closed = True
    took = time.monotonic() - t0
    sock.close()
    thread.join(10)
    head, _, body = data.partition(b"\r\n\r\n")
    status = head.split(b"\r\n", 1)[0].decode(errors="replace") or "(no answer)"
    return {
        "status": status,
        "body": body[:40].decode(errors="replace").strip(),
        "sent_mib": state["sent"] / MIB,
        "sent_at_answer": None if sent_at_answer is None else sent_at_answer / MIB,
        "closed": closed,
        "error": state["error"],
        "answered_s": answered_at,
        "took": took,
    }


def run_all(port: int, pid: int, size: int) -> list[list]:
    rows = []
    for name, path, ctype in CASES:
        for chunked in (False, True):
            before = proc_sample(pid)["rss_kib"]
            sampler = Sampler(pid)
            sampler.start()
            r = send_body(port, path, ctype, size, chunked)
            sampler.stopped.set()
            sampler.join()
            rows.append(
                [
                    name,
                    "chunked" if chunked else "Content-Length",
                    r["status"],
                    r["body"],
                    r["sent_at_answer"] if r["sent_at_answer"] is not None else "-",
                    r["sent_mib"],
                    "yes" if r["closed"] else "no",
                    r["error"] or "-",
                    r["took"],
                    before / 1024,
                    (sampler.max_kib - before) / 1024,
                ]
            )
            print(" | ".join(str(c) for c in rows[-1]), flush=True)
    return rows


HEADER = [
    "case",
    "framing",
    "status line",
    "body",
    "sent MiB at answer",
    "sent MiB",
    "closed",
    "client error",
    "s",
    "RSS MiB before",
    "RSS growth MiB",
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--rss-mib", type=float, default=64.0)
    parser.add_argument("--tomcat", action="store_true", help="run the same cases against Tomcat 10.1 too")
    parser.add_argument("--connector-attrs", default="")
    args = parser.parse_args(argv)
    size = args.size_mib * MIB
    base = new_base("bodies")
    server = start_server(base, connector_attrs=args.connector_attrs, examples=False)
    print(f"catalina_py pid {server.proc.pid} port {server.port} base {base}")
    try:
        rows = run_all(server.port, server.proc.pid, size)
    finally:
        code = server.stop()
    print(f"server exit code {code}; tracebacks in its log: {server.output().count('Traceback')}")
    print_table(f"catalina_py, {args.size_mib} MiB bodies", HEADER, rows)
    if args.tomcat:
        if not tomcat.available():
            print("Tomcat 10 or javac not installed: comparison skipped")
        else:
            tc = tomcat.Tomcat(new_base("bodies-tomcat")).start()
            print(f"tomcat pid {tc.pid} port {tc.port} base {tc.base}")
            try:
                trows = run_all(tc.port, tc.pid, size)
            finally:
                tc.stop()
            print_table(f"Tomcat 10.1, {args.size_mib} MiB bodies", HEADER, trows)
    growth = max(r[10] for r in rows)
    reads = [r for r in rows if r[0] == "servlet reads"]
    return verdict(
        [
            (f"RSS growth <= {args.rss_mib:g} MiB", growth <= args.rss_mib, f"max {growth:.1f} MiB"),
            (
                "reading servlet got every byte",
                all(r[3] == f"read {size}" for r in reads),
                "; ".join(r[3] for r in reads),
            ),
            (
                "every request answered",
                all(r[2] != "(no answer)" for r in rows),
                f"{sum(r[2] == '(no answer)' for r in rows)} without answer",
            ),
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
