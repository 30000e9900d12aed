#!/usr/bin/env python3
"""CRLF and control characters in header values, redirect targets and cookies
set by a servlet from a query parameter: each must be refused (an error page)
or encoded, never a split response.

    .venv/bin/python bench/hardening/crlf.py [--tomcat]

Servlets: the probe webapp's ``/hard/header?v=`` (``set_header("X-Echo", v)``),
``/hard/redirect?to=`` (``send_redirect(to)``) and the examples' cookie servlet
(``/examples/servlets/cookies?cookiename=..&cookievalue=..``). Values: every
C0 control, DEL, CR/LF/CRLF followed by an injected header
(``X-Injected: 1``) or a whole injected response, and non-Latin-1 line
breaks (U+0085, U+2028), each percent-encoded in the query. A response is
split when its head has a line starting with ``X-Injected`` or ``Set-Cookie:
injected``, or the bytes after it hold a second status line. "No answer"
(the connection closed without a status line) also fails the bound.
"""

from __future__ import annotations

import argparse
import sys
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

from bench.hardening import tomcat  # noqa: E402
from bench.hardening.common import http_get, new_base, print_table, start_server, verdict  # noqa: E402

INJECTIONS = [
    "a\r\nX-Injected: 1",
    "a\nX-Injected: 1",
    "a\rX-Injected: 1",
    "a\r\n X-Injected: 1",
    "a\r\n\r\nHTTP/1.1 200 OK\r\nX-Injected: 1\r\nContent-Length: 0\r\n\r\n",
    "a\r\nSet-Cookie: injected=1",
    "a\x00X-Injected: 1",
    "a\u0085X-Injected: 1",
    "a\u2028X-Injected: 1",
    "a\u010d\u010aX-Injected: 1",  # U+010D/U+010A: low bytes 0x0D 0x0A when truncated to Latin-1
    "/x\r\nX-Injected: 1",
    "http://127.0.0.1/\r\nX-Injected: 1",
] + [f"a{chr(c)}b" for c in list(range(0, 32)) + [127]]


def cases() -> list[tuple[str, str, str]]:
    """(where, value, request target)."""
    out = []
    for value in INJECTIONS:
        q = urllib.parse.quote(value, safe="")
        out.append(("header", value, f"/hard/header?v={q}"))
        out.append(("redirect", value, f"/hard/redirect?to={q}"))
        out.append(("cookie value", value, f"/examples/servlets/cookies?cookiename=c&cookievalue={q}"))
        out.append(("cookie name", value, f"/examples/servlets/cookies?cookiename={q}&cookievalue=v"))
    return out


def judge(data: bytes) -> tuple[str, bool]:
    """(outcome, split) for one raw response."""
    if not data.startswith(b"HTTP/1.1 "):
        return "no answer", False
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = lines[0][9:12].decode()
    split = any(line.lower().startswith((b"x-injected", b"set-cookie: injected")) for line in lines[1:])
    split = split or b"HTTP/1.1 200 OK\r\nX-Injected" in body
    raw = any(any(b < 32 and b != 9 for b in line) or b"\x7f" in line for line in lines[1:])
    return status + (" raw CTL in head" if raw else ""), split


def echoed(data: bytes) -> bytes:
    """The X-Echo or Location line of a raw response (or its status line when there is none)."""
    head = data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    found = [ln for ln in head[1:] if ln.lower().startswith((b"x-echo:", b"location:"))]
    if found:
        return found[0]
    return b"(no such line)" if head[0].startswith(b"HTTP/") else b"(no answer)"


def compare_tomcat(ours: dict[str, bytes]) -> list[list]:
    """The header and redirect cases against a private Tomcat 10.1; rows where the echoed line differs."""
    tc = tomcat.Tomcat(new_base("crlf-tomcat")).start()
    print(f"tomcat pid {tc.pid} port {tc.port} base {tc.base}")
    rows = []
    try:
        for where, value, target in cases():
            if where not in ("header", "redirect"):
                continue
            _, data = http_get(tc.port, target)
            theirs = echoed(data).replace(f"http://127.0.0.1:{tc.port}".encode(), b"")
            mine = ours[target]
            rows.append(
                [where, repr(value)[:40], repr(mine)[:60], repr(theirs)[:60], "same" if mine == theirs else "DIFFERENT"]
            )
    finally:
        tc.stop()
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tomcat", action="store_true", help="compare the header/redirect lines with Tomcat 10.1")
    args = parser.parse_args(argv)
    base = new_base("crlf")
    server = start_server(base)
    print(f"server pid {server.proc.pid} port {server.port} base {base}")
    rows = []
    ours: dict[str, bytes] = {}
    tally: dict[tuple[str, str], int] = {}
    splits = 0
    silent = 0
    raws = 0
    try:
        for where, value, target in cases():
            status, data = http_get(server.port, target)
            ours[target] = echoed(data).replace(f":{server.port}".encode(), b"")
            outcome, split = judge(data)
            tally[(where, outcome)] = tally.get((where, outcome), 0) + 1
            splits += split
            silent += outcome == "no answer"
            raws += "raw CTL" in outcome
            if len(value) > 3:
                shown = data.split(b"\r\n\r\n", 1)[0]
                echo = [
                    ln for ln in shown.split(b"\r\n") if ln.lower().startswith((b"x-echo", b"location", b"set-cookie"))
                ]
                rows.append(
                    [where, repr(value)[:40], outcome + (" SPLIT" if split else ""), repr(b" | ".join(echo))[:70]]
                )
        sanity_status, _ = http_get(server.port, "/hard/header?v=plain")
    finally:
        code = server.stop()
    tracebacks = server.output().count("Traceback")
    print(f"server exit code {code}; {len(cases())} requests")
    print_table(
        "Outcomes (where the value went, status)",
        ["where", "outcome", "count"],
        [[w, o, n] for (w, o), n in sorted(tally.items())],
    )
    print_table("Selected responses", ["where", "value", "outcome", "what the head carried"], rows)
    if args.tomcat and tomcat.available():
        compared = compare_tomcat(ours)
        print_table(
            "Header and redirect lines, catalina_py vs Tomcat 10.1 (host:port removed)",
            ["where", "value", "catalina_py", "Tomcat", ""],
            [r for r in compared if r[4] != "same"],
        )
        print(f"{sum(r[4] == 'same' for r in compared)} of {len(compared)} the same")
    return verdict(
        [
            ("never a split response", splits == 0, f"{splits} split of {len(cases())}"),
            ("no raw control byte in a header (refused or encoded)", raws == 0, f"{raws} of {len(cases())}"),
            ("always an answer (refused = error page)", silent == 0, f"{silent} closed without a status line"),
            ("sanity: a plain value is set", sanity_status == 200, str(sanity_status)),
            ("tracebacks in the server log (information)", True, str(tracebacks)),
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
