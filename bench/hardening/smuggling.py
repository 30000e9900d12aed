#!/usr/bin/env python3
"""Request smuggling through a real nginx in front of catalina_py: CL+TE,
duplicated Content-Length, odd Transfer-Encoding spellings, obs-fold, bad
chunk sizes; no request may reach the container that nginx did not send.

    .venv/bin/python bench/hardening/smuggling.py

Two nginx servers on loopback (nginx started here with its own prefix, stopped
by PID): ``keepalive`` reuses upstream connections (``proxy_http_version 1.1``,
``keepalive 4``; where a desync would poison the next client's request) and
``plain`` (nginx's default HTTP/1.0, one upstream connection per request).
Each attack hides ``GET /hard/record/SMUGGLED-<n>`` in a body; right after
it, on the same client connection, ``GET /hard/record/after-<n>`` follows,
then ``GET /hard/record/probe-<n>`` on a new connection. nginx logs every
request it proxied (``$request_method $request_uri``); the container's access
log (``%r``) lists the requests it parsed. Bounds: every request line in the
container's log is one nginx proxied (as a multiset), no SMUGGLED path is
seen by the container unless nginx logged it, and each probe gets its own
answer. Skips (exit 0 with a message) when nginx is not installed.
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

from bench.hardening.common import free_port, new_base, print_table, start_server, verdict  # noqa: E402

NGINX = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)

CONF = """\
{user}
worker_processes 1;
error_log {base}/error.log info;
events {{ worker_connections 256; }}
http {{
    log_format seen '$request_method $request_uri|$upstream_addr|$status';
    access_log {base}/access.log seen;
    client_body_temp_path {base}/client_body;
    proxy_temp_path {base}/proxy;
    fastcgi_temp_path {base}/fastcgi;
    uwsgi_temp_path {base}/uwsgi;
    scgi_temp_path {base}/scgi;
    upstream reused {{ server 127.0.0.1:{upstream}; keepalive 4; }}
    server {{
        listen 127.0.0.1:{keepalive};
        location / {{
            proxy_pass http://reused;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
        }}
    }}
    server {{
        listen 127.0.0.1:{plain};
        location / {{
            proxy_pass http://127.0.0.1:{upstream};
            proxy_set_header Host $http_host;
        }}
    }}
}}
"""


def attacks() -> list[tuple[str, bytes]]:
    """(name, raw request) with the smuggled request inside; {n} is filled in later."""
    smuggled = b"GET /hard/record/SMUGGLED-{n} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    chunked_then = b"0\r\n\r\n" + smuggled
    post = b"POST /hard/record/attack-{n} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    out: list[tuple[str, bytes]] = []

    def cl(body: bytes) -> bytes:
        return b"Content-Length: %d\r\n" % len(body)

    out.append(("CL+TE", post + cl(chunked_then) + b"Transfer-Encoding: chunked\r\n\r\n" + chunked_then))
    out.append(("TE+CL", post + b"Transfer-Encoding: chunked\r\n" + cl(b"0\r\n\r\n") + b"\r\n" + chunked_then))
    out.append(("CL short + TE", post + b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked_then))
    out.append(("duplicated CL, different", post + b"Content-Length: 0\r\n" + cl(smuggled) + b"\r\n" + smuggled))
    out.append(("duplicated CL, different (rev)", post + cl(smuggled) + b"Content-Length: 0\r\n\r\n" + smuggled))
    out.append(("duplicated CL, same", post + cl(smuggled) + cl(smuggled) + b"\r\n" + smuggled))
    out.append(("CL list 'n, n'", post + b"Content-Length: %d, %d\r\n\r\n" % (len(smuggled), len(smuggled)) + smuggled))
    for value in [b"+0", b"-1", b"0x10", b" 0", b"0 ", b"00", b"1e2", b"99999999999999999999"]:
        out.append((f"CL {value.decode()!r}", post + b"Content-Length: " + value + b"\r\n\r\n" + smuggled))
    for te in [
        b"chunked ",
        b"Chunked",
        b"CHUNKED",
        b"\tchunked",
        b" chunked",
        b"x-chunked",
        b"chunked, identity",
        b"identity, chunked",
        b"chunked;x=1",
        b"chunked\x0b",
        b"chunk",
        b"chunked, chunked",
        b"gzip, chunked",
        b'"chunked"',
        b"chunked\x00",
    ]:
        out.append(
            (f"TE {te!r}", post + b"Transfer-Encoding: " + te + b"\r\n" + cl(chunked_then) + b"\r\n" + chunked_then)
        )
        out.append((f"TE {te!r} alone", post + b"Transfer-Encoding: " + te + b"\r\n\r\n" + chunked_then))
    out.append(
        (
            "two TE headers",
            post
            + b"Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n"
            + cl(chunked_then)
            + b"\r\n"
            + chunked_then,
        )
    )
    out.append(
        ("TE name with space", post + b"Transfer-Encoding : chunked\r\n" + cl(chunked_then) + b"\r\n" + chunked_then)
    )
    out.append(
        ("TE name underscore", post + b"Transfer_Encoding: chunked\r\n" + cl(chunked_then) + b"\r\n" + chunked_then)
    )
    out.append(
        (
            "obs-fold TE value",
            post + b"Transfer-Encoding: identity\r\n chunked\r\n" + cl(chunked_then) + b"\r\n" + chunked_then,
        )
    )
    out.append(
        (
            "obs-fold hides TE",
            post + b"X-A: a\r\n Transfer-Encoding: chunked\r\n" + cl(chunked_then) + b"\r\n" + chunked_then,
        )
    )
    out.append(("obs-fold CL", post + b"Content-Length: 0\r\n %d\r\n\r\n" % len(smuggled) + smuggled))
    out.append(
        (
            "bare LF head",
            post.replace(b"\r\n", b"\n")
            + b"Transfer-Encoding: chunked\n"
            + cl(chunked_then).replace(b"\r\n", b"\n")
            + b"\n"
            + chunked_then,
        )
    )
    out.append(
        (
            "bare CR in header",
            post + b"X-A: a\rTransfer-Encoding: chunked\r\n" + cl(chunked_then) + b"\r\n" + chunked_then,
        )
    )
    for size in [b"0x5", b"5 ", b"5;a=b", b"ffffffffffffffff1", b"-1", b"+5", b"5\x00"]:
        body = size + b"\r\nhello\r\n0\r\n\r\n" + smuggled
        out.append((f"chunk size {size!r}", post + b"Transfer-Encoding: chunked\r\n\r\n" + body))
    out.append(("chunk LF only", post + b"Transfer-Encoding: chunked\r\n\r\n5\nhello\n0\n\n" + smuggled))
    out.append(("trailer smuggles", post + b"Transfer-Encoding: chunked\r\n\r\n0\r\nX: y\r\n\r\n" + smuggled))
    out.append(
        (
            "GET with CL body",
            b"GET /hard/record/attack-{n} HTTP/1.1\r\nHost: 127.0.0.1\r\n" + cl(smuggled) + b"\r\n" + smuggled,
        )
    )
    out.append(
        (
            "HTTP/1.0 + TE",
            post.replace(b"HTTP/1.1", b"HTTP/1.0")
            + b"Transfer-Encoding: chunked\r\n"
            + cl(chunked_then)
            + b"\r\n"
            + chunked_then,
        )
    )
    out.append(
        (
            "Expect + CL + TE",
            post
            + b"Expect: 100-continue\r\n"
            + cl(chunked_then)
            + b"Transfer-Encoding: chunked\r\n\r\n"
            + chunked_then,
        )
    )
    return out


def exchange(port: int, data: bytes, timeout: float = 3.0) -> bytes:
    chunks = []
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.sendall(data)
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
    except OSError:
        pass
    return b"".join(chunks)


def statuses(data: bytes) -> list[str]:
    return [m.decode() for m in re.findall(rb"HTTP/1\.[01] (\d{3})", data)]


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args(argv)
    if NGINX is None:
        print("nginx is not installed: nothing measured")
        return 0
    base = new_base("smuggling")
    server = start_server(base, examples=False, log_pattern="%r")
    ngx = base / "nginx"
    ngx.mkdir()
    ports = {"keepalive": free_port(), "plain": free_port()}
    (ngx / "nginx.conf").write_text(
        CONF.format(user="user root;" if os.geteuid() == 0 else "", base=ngx, upstream=server.port, **ports)
    )
    proc = subprocess.Popen(
        [
            NGINX,
            "-p",
            str(ngx),
            "-c",
            str(ngx / "nginx.conf"),
            "-e",
            str(ngx / "error.log"),
            "-g",
            f"daemon off; pid {ngx}/nginx.pid;",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    print(f"server pid {server.proc.pid} port {server.port}; nginx pid {proc.pid} ports {ports}; base {base}")
    rows = []
    desync = 0
    n = 0
    direct_ns: set[int] = set()
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", ports["plain"]), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        fronts = dict(ports, direct=server.port)
        for front, port in fronts.items():
            for name, template in attacks():
                n += 1
                if front == "direct":
                    direct_ns.add(n)
                attack = template.replace(b"{n}", str(n).encode())
                after = b"GET /hard/record/after-%d HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n" % n
                answer = exchange(port, attack + after)
                probe = exchange(
                    port, b"GET /hard/record/probe-%d HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n" % n
                )
                probe_ok = b"recorded 0 /hard/record/probe-%d\n" % n in probe
                desync += not probe_ok and front != "direct"
                rows.append(
                    [
                        front,
                        name,
                        " ".join(statuses(answer)) or "(none)",
                        b"SMUGGLED" in answer,
                        "ok" if probe_ok else "WRONG: " + repr(probe[-60:]),
                    ]
                )
        time.sleep(1)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        code = server.stop()
    direct = [r for r in rows if r[0] == "direct"]
    rows = [r for r in rows if r[0] != "direct"]
    sent = collections.Counter()
    for line in (ngx / "access.log").read_text().splitlines():
        req, upstream, _status = line.rsplit("|", 2)
        if upstream not in ("-", "") and True:
            sent[req] += upstream.count("127.0.0.1")
    seen = collections.Counter()
    for line in server.access_log().splitlines():
        parts = line.split(" ")
        number = re.search(r"-(\d+)$", parts[1]) if len(parts) >= 2 else None
        if number and int(number.group(1)) in direct_ns:
            continue
        if len(parts) >= 2:
            seen[f"{parts[0]} {parts[1]}"] += 1
    extra = seen - sent
    smuggled_seen = sum(v for k, v in seen.items() if "SMUGGLED" in k)
    smuggled_sent = sum(v for k, v in sent.items() if "SMUGGLED" in k)
    print(
        f"server exit {code}; {n} attacks, {sum(sent.values())} requests proxied by nginx, {sum(seen.values())} seen by the container"
    )
    print_table(
        "Attacks (statuses the client got for attack + follow-up; probe on a new connection)",
        ["nginx", "attack", "statuses", "SMUGGLED answered", "probe"],
        rows,
    )
    print_table(
        "The same attacks sent to catalina_py directly (information: its own answers)",
        ["", "attack", "statuses", "SMUGGLED answered", "probe"],
        direct,
    )
    if extra:
        print_table("Seen by the container, not sent by nginx", ["request", "count"], sorted(extra.items()))
    return verdict(
        [
            ("container saw only what nginx sent", not extra, f"{sum(extra.values())} extra request(s)"),
            (
                "no SMUGGLED request reached the container unless nginx sent it",
                smuggled_seen <= smuggled_sent,
                f"seen {smuggled_seen}, nginx sent {smuggled_sent}",
            ),
            ("every probe got its own answer", desync == 0, f"{desync} of {n - len(direct_ns)} wrong"),
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
