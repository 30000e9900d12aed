#!/usr/bin/env python3
"""Traversal and exposure: every encoding of ``..``, ``WEB-INF``, ``META-INF``,
backslashes, ``;`` path parameters, overlong UTF-8, NUL, ``%2e``, ``%252e``,
mixed case and symlinks pointing out of a webapp; 0 bytes may be served from
outside a webapp or from WEB-INF/META-INF.

    .venv/bin/python bench/hardening/traversal.py [--limit N]

Canary files with unique content are planted in the temporary CATALINA_BASE:
outside every webapp (``$BASE/outside/secret.txt``, ``$BASE/webapps/loose.txt``),
in ``examples/WEB-INF`` (a file, a Python module under classes/, a marker in
web.xml) and ``examples/META-INF``; symlinks inside ``examples`` point to
them, to ``WEB-INF`` and to ``/etc/passwd``. Every request goes on its own
connection and every response byte is searched for every canary (and for
``root:x:0:0``). Also sent: the absolute-form of each target. Exit status 1
when a canary comes back.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import itertools
import os
import secrets
import socket
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

from bench.hardening.common import new_base, print_table, start_server, verdict  # noqa: E402

TOKEN = secrets.token_hex(8)
CANARIES = {
    "outside": f"CANARY-OUTSIDE-{TOKEN}",
    "loose": f"CANARY-LOOSE-{TOKEN}",
    "webinf": f"CANARY-WEBINF-{TOKEN}",
    "webxml": f"CANARY-WEBXML-{TOKEN}",
    "module": f"CANARY-MODULE-{TOKEN}",
    "metainf": f"CANARY-METAINF-{TOKEN}",
}
PASSWD = "root:x:0:0"


def plant(base: Path) -> None:
    """Writes the canaries and the symlinks into *base*."""
    outside = base / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(CANARIES["outside"] + "\n")
    (base / "webapps" / "loose.txt").write_text(CANARIES["loose"] + "\n")
    app = base / "webapps" / "examples"
    (app / "WEB-INF" / "canary.txt").write_text(CANARIES["webinf"] + "\n")
    (app / "WEB-INF" / "classes" / "canary_mod.py").write_text(f"# {CANARIES['module']}\n")
    web_xml = app / "WEB-INF" / "web.xml"
    text = web_xml.read_text()
    head, sep, rest = text.partition("?>")
    web_xml.write_text(head + sep + f"\n<!-- {CANARIES['webxml']} -->" + rest)
    (app / "META-INF").mkdir(exist_ok=True)
    (app / "META-INF" / "canary.txt").write_text(CANARIES["metainf"] + "\n")
    os.symlink(outside, app / "lnk_out")
    os.symlink(outside / "secret.txt", app / "lnk_file.txt")
    os.symlink(app / "WEB-INF", app / "lnk_webinf")
    os.symlink(app / "META-INF", app / "lnk_metainf")
    os.symlink("WEB-INF", app / "lnk_rel_webinf")
    os.symlink(app / "WEB-INF" / "canary.txt", app / "lnk_canary.txt")
    os.symlink("/etc/passwd", app / "lnk_passwd")
    os.symlink(base / "webapps", app / "lnk_appbase")


DOTS = [
    "..",
    "%2e%2e",
    "%2E%2E",
    ".%2e",
    "%2e.",
    "%252e%252e",
    "%25252e%25252e",
    "%c0%ae%c0%ae",
    "%e0%80%ae%e0%80%ae",
    "%f0%80%80%ae%f0%80%80%ae",
    "%u002e%u002e",
    "..;",
    "..;a=b",
    "%2e%2e;",
    "..%00",
    "..%2500",
    ". .",
    "...",
    "..%20",
    "..%09",
    "%00..",
    "..\\",
    "%2e%2e%5c",
    "..%c0%af",
    "..%ef%bc%8f",
    "。。",
    "%e3%80%82%e3%80%82",
]
SEPS = [
    "/",
    "%2f",
    "%2F",
    "\\",
    "%5c",
    "%5C",
    "%252f",
    "%255c",
    "%c0%af",
    "%c1%9c",
    "%e0%80%af",
    "//",
    "/./",
    "/;/",
    ";/",
    "/%00/",
]
# (levels above the examples webapp root, path there, canary expected if served)
ESCAPES = [
    (1, ["loose.txt"], "loose"),
    (2, ["outside", "secret.txt"], "outside"),
    (8, ["etc", "passwd"], "passwd"),
]
PROTECTED = [
    (["WEB-INF", "canary.txt"], "webinf"),
    (["WEB-INF", "web.xml"], "webxml"),
    (["WEB-INF", "classes", "canary_mod.py"], "module"),
    (["META-INF", "canary.txt"], "metainf"),
]
WEBINF_NAMES = [
    "{}",
    "{lower}",
    "{title}",
    "{mixed}",
    "{}.",
    "{}%00",
    "{}%2500",
    "{};",
    "{};a=b",
    "{}%20",
    "{}%09",
    "{}::$DATA",
    "{}~",
    "{}%2f",
    "{}%5c",
    "{}\\",
    "%57{rest}",
    "%77{rest}",
    "{pct}",
    "{pct_upper}",
    "{double}",
    "{}/.",
    "{};jsessionid=1",
    "{}%c0%af",
    "./{}",
    "%2e/{}",
    "x/../{}",
    "x/%2e%2e/{}",
    "x/..;/{}",
    "x/%252e%252e/{}",
    ";/{}",
    ";a=b/{}",
    "/{}",
    "//{}",
    "{}/",
    "./{}/.",
]
LINKS = [
    ("lnk_out/secret.txt", "outside"),
    ("lnk_file.txt", "outside"),
    ("lnk_webinf/canary.txt", "webinf"),
    ("lnk_webinf/web.xml", "webxml"),
    ("lnk_rel_webinf/canary.txt", "webinf"),
    ("lnk_metainf/canary.txt", "metainf"),
    ("lnk_canary.txt", "webinf"),
    ("lnk_passwd", "passwd"),
    ("lnk_appbase/loose.txt", "loose"),
    ("lnk_appbase/examples/WEB-INF/canary.txt", "webinf"),
    ("lnk_appbase/hard/WEB-INF/web.xml", "none"),
    ("LNK_WEBINF/canary.txt", "webinf"),
    ("lnk_webinf%2fcanary.txt", "webinf"),
    ("lnk_webinf;x/canary.txt", "webinf"),
    ("lnk_out/%2e%2e/outside/secret.txt", "outside"),
    ("lnk_webinf/../WEB-INF/canary.txt", "webinf"),
]


def name_variants(name: str) -> list[str]:
    pct = "".join(f"%{ord(c):02x}" for c in name)
    out = []
    for pattern in WEBINF_NAMES:
        out.append(
            pattern.format(
                name,
                lower=name.lower(),
                title=name.title(),
                mixed="".join(c.lower() if i % 2 else c for i, c in enumerate(name)),
                rest=name[1:],
                pct=pct,
                pct_upper=pct.upper(),
                double="".join(f"%25{ord(c):02x}" for c in name),
            )
        )
    return out


def targets() -> list[tuple[str, str]]:
    """(request target, what it aims at)."""
    out: list[tuple[str, str]] = []
    for prefix in ("/examples", "/examples/websocket", "/hard", ""):
        depth = prefix.count("/")
        for ups, path, aim in ESCAPES:
            for dots, sep, levels in itertools.product(DOTS, SEPS, sorted({ups, ups + depth})):
                climb = sep.join([dots] * levels)
                out.append((f"{prefix}/{climb}{sep}{sep.join(path)}", aim))
    for path, aim in PROTECTED:
        for variant in name_variants(path[0]):
            for sep in ("/", "%2f", "\\", "%5c", ";/"):
                out.append(
                    (
                        f"/examples/{variant}{sep}{sep.join(path[1:])}"
                        if variant[-1:] != "/"
                        else f"/examples/{variant}{'/'.join(path[1:])}",
                        aim,
                    )
                )
        for dots in DOTS:
            out.append((f"/examples/websocket/{dots}/{'/'.join(path)}", aim))
            out.append((f"/hard/{dots}/examples/{'/'.join(path)}", aim))
            out.append((f"/{dots}/examples/{'/'.join(path)}", aim))
    for evil in (
        "//evil.example/..;/examples/websocket",
        "//evil.example/%2e%2e/examples",
        "/\\evil.example/..;/examples/websocket",
        "///evil.example/..;/examples/websocket",
    ):
        out.append((evil, "none"))
    for path, aim in LINKS:
        out.append((f"/examples/{path}", aim))
        out.append((f"/examples/./{path}", aim))
        out.append((f"/examples//{path}", aim))
    absolute = [(f"http://127.0.0.1{t}", a) for t, a in out if t.startswith("/")][::7]
    return out + absolute


def fetch(port: int, target: str) -> bytes:
    request = f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode(
        "utf-8", "surrogateescape"
    )
    chunks = []
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(request)
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
    except OSError as exc:
        return b"ERROR " + str(exc).encode()
    return b"".join(chunks)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--limit", type=int, default=0, help="send only every k-th target so that at most N go (0: all)"
    )
    parser.add_argument("--parallel", type=int, default=8)
    args = parser.parse_args(argv)
    all_targets = targets()
    if args.limit and len(all_targets) > args.limit:
        step = -(-len(all_targets) // args.limit)
        all_targets = all_targets[::step]
    base = new_base("traversal")
    server = start_server(base, prepare=plant)
    print(f"server pid {server.proc.pid} port {server.port} base {base}; {len(all_targets)} requests")
    leaks: list[tuple[str, str, str]] = []
    redirects: list[tuple[str, str, str]] = []
    statuses: dict[str, int] = {}
    per_aim: dict[str, dict[str, int]] = {}
    try:
        markers = {k: v.encode() for k, v in CANARIES.items()} | {"passwd": PASSWD.encode()}
        with concurrent.futures.ThreadPoolExecutor(args.parallel) as pool:
            for (target, aim), data in zip(
                all_targets, pool.map(lambda t: fetch(server.port, t[0]), all_targets), strict=True
            ):
                status = (
                    data[9:12].decode(errors="replace")
                    if data.startswith(b"HTTP/")
                    else (data[:20].decode(errors="replace") or "no answer")
                )
                statuses[status] = statuses.get(status, 0) + 1
                row = per_aim.setdefault(aim, {})
                row[status] = row.get(status, 0) + 1
                location = next(
                    (
                        ln[9:].strip()
                        for ln in data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
                        if ln.lower().startswith(b"location:")
                    ),
                    None,
                )
                if location is not None and (
                    location.startswith(b"//")
                    or (b"://" in location and not location.split(b"://", 1)[1].startswith(b"127.0.0.1"))
                ):
                    redirects.append((target, location.decode(errors="replace"), status))
                for name, marker in markers.items():
                    if marker in data:
                        leaks.append((target, name, status))
        sanity = fetch(server.port, "/examples/index.html")
    finally:
        code = server.stop()
    print(f"server exit code {code}")
    print_table(
        "Responses per target aimed at (status: count)",
        ["aim", "requests", "statuses"],
        [
            [aim, sum(r.values()), ", ".join(f"{k}: {v}" for k, v in sorted(r.items()))]
            for aim, r in sorted(per_aim.items())
        ],
    )
    if leaks:
        print_table("Leaks (canary found in the response)", ["target", "canary", "status"], leaks[:60])
        if len(leaks) > 60:
            print(f"... and {len(leaks) - 60} more")
    if redirects:
        print_table("Redirects to another host", ["target", "Location", "status"], redirects[:20])
    traceback = "Traceback" in server.output()
    return verdict(
        [
            ("0 canary bytes served", not leaks, f"{len(leaks)} of {len(all_targets)} responses carried a canary"),
            (
                "no redirect to another host",
                not redirects,
                f"{len(redirects)} Location values start with // or name a host",
            ),
            (
                "sanity: /examples/index.html served",
                sanity.startswith(b"HTTP/1.1 200"),
                sanity[:15].decode(errors="replace"),
            ),
            ("no traceback in the server log", not traceback, "see catalina.out" if traceback else "none"),
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
