#!/usr/bin/env python3
"""10,000 idle WebSockets held 60 s on the examples' echo endpoint, while a
normal HTTP client runs: 0 dropped, and HTTP answered within 2x the p99 of the
baseline measured in the same run before the sockets were opened.

    .venv/bin/python bench/hardening/ws_idle.py [--sockets 10000] [--hold 60]
        [--connector-attrs 'maxConnections="..."'] [--probe 1000] [--probe-pace 0.05]

The WebSockets come from one asyncio process (bench/hardening/wsclient.py, at
most --parallel handshakes at a time); they answer the server's pings and send
nothing else while held. At the end each one sends a text message and must get
it echoed: a socket is "dropped" if it got a close frame or EOF while held, or
no echo within 30 s. The HTTP client is another process (sequential GETs of
/examples/servlets/helloworld on keep-alive, 10 s timeout each, 60 s budget;
with --probe-pace one every that many seconds, so that the requests of the
held phase span the pings and collections of the whole hold, not its first
second).
Server fds, RSS and live greenlets (the probe webapp's /hard/stats hook) are
sampled before and while the sockets are held. Exit status 1 when a bound fails.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import json
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

from bench.hardening import wsclient  # noqa: E402
from bench.hardening.common import (  # noqa: E402
    http_get,
    inner_stats,
    latency_probe,
    new_base,
    print_table,
    proc_sample,
    start_server,
    verdict,
)


async def open_all(
    port: int, count: int, parallel: int, timeout: float
) -> tuple[list[wsclient.WsConn], dict[str, int]]:
    sem = asyncio.Semaphore(parallel)
    conns: list[wsclient.WsConn] = []
    errors: dict[str, int] = {}

    async def one() -> None:
        async with sem:
            try:
                conns.append(await wsclient.connect(port, "/examples/websocket/echo", timeout))
            except (OSError, ConnectionError, TimeoutError, asyncio.IncompleteReadError) as exc:
                key = type(exc).__name__ + (f": {exc}" if str(exc) else "")
                errors[key[:80]] = errors.get(key[:80], 0) + 1

    await asyncio.gather(*(one() for _ in range(count)))
    return conns, errors


def gc_pauses(port: int) -> dict:
    """The /hard/gc hook's figures, or {"error": ...}."""
    try:
        status, data = http_get(port, "/hard/gc")
        return json.loads(data.split(b"\r\n\r\n", 1)[1]) if status == 200 else {"error": status}
    except (OSError, ValueError) as exc:
        return {"error": type(exc).__name__}


def safe_stats(port: int) -> dict:
    """/hard/stats, or {"error": ...} when the server does not answer it."""
    try:
        return inner_stats(port)
    except (OSError, RuntimeError) as exc:
        return {"error": type(exc).__name__}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sockets", type=int, default=10000)
    parser.add_argument("--hold", type=float, default=60.0, help="seconds the sockets stay idle")
    parser.add_argument("--parallel", type=int, default=200, help="handshakes in flight at once")
    parser.add_argument("--connect-timeout", type=float, default=30.0)
    parser.add_argument("--connector-attrs", default="")
    parser.add_argument("--probe", type=int, default=1000)
    parser.add_argument("--p99-factor", type=float, default=2.0)
    parser.add_argument(
        "--probe-pace", type=float, default=0.0, help="seconds between HTTP requests in every phase (0: back to back)"
    )
    args = parser.parse_args(argv)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    base = new_base("ws-idle")
    server = start_server(base, connector_attrs=args.connector_attrs)
    pid = server.proc.pid
    print(f"server pid {pid} port {server.port} base {base} attrs: {args.connector_attrs or '(shipped defaults)'}")
    samples = []
    try:
        with concurrent.futures.ProcessPoolExecutor(1) as pool:
            pool.submit(latency_probe, server.port, 200).result()
            baseline = pool.submit(latency_probe, server.port, args.probe, pace=args.probe_pace).result()
            samples.append(("before", proc_sample(pid), safe_stats(server.port)))
            http_get(server.port, "/hard/gc")  # starts recording the collector's pauses

            async def scenario() -> dict:
                t0 = time.monotonic()
                conns, errors = await open_all(server.port, args.sockets, args.parallel, args.connect_timeout)
                opened_in = time.monotonic() - t0
                print(f"{len(conns)} open in {opened_in:.1f} s; errors {errors}", flush=True)
                hold_start = time.monotonic()
                loop = asyncio.get_running_loop()
                during = await loop.run_in_executor(
                    None,
                    lambda: pool.submit(
                        latency_probe, server.port, args.probe, budget=60.0, pace=args.probe_pace
                    ).result(),
                )
                gc_before = await loop.run_in_executor(None, gc_pauses, server.port)
                stats = await loop.run_in_executor(None, safe_stats, server.port)
                samples.append(("held", proc_sample(pid), stats))
                print(f"HTTP while held: {during}", flush=True)
                print(f"garbage collector pauses (opening + the HTTP phase): {gc_before}", flush=True)
                rest = args.hold - (time.monotonic() - hold_start)
                if rest > 0:
                    await asyncio.sleep(rest)
                held_for = time.monotonic() - hold_start
                dropped_hold = [c for c in conns if c.close_code is not None or c.eof_without_close]
                alive = [c for c in conns if c not in dropped_hold]
                for i, c in enumerate(alive):
                    c.arrived.clear()
                    try:
                        c.send_text(f"still here {i}")
                    except OSError:
                        pass
                end = time.monotonic() + 30
                for c in alive:
                    left = end - time.monotonic()
                    if left > 0 and not c.arrived.is_set():
                        try:
                            await asyncio.wait_for(c.arrived.wait(), left)
                        except TimeoutError:
                            pass
                no_echo = [c for c in alive if not c.arrived.is_set()]
                codes: dict[str, int] = {}
                for c in dropped_hold:
                    key = str(c.close_code) if c.close_code else "EOF"
                    codes[key] = codes.get(key, 0) + 1
                pings = sum(c.pings for c in conns)
                sem = asyncio.Semaphore(500)

                async def close(c: wsclient.WsConn) -> None:
                    async with sem:
                        await c.close(1000, wait=5)

                await asyncio.gather(*(close(c) for c in conns))
                return {
                    "opened": len(conns),
                    "errors": errors,
                    "opened_in": opened_in,
                    "held_for": held_for,
                    "dropped_hold": len(dropped_hold),
                    "codes": codes,
                    "no_echo": len(no_echo),
                    "pings": pings,
                    "during": during,
                }

            result = asyncio.run(scenario())
            time.sleep(2)
            samples.append(("after close", proc_sample(pid), safe_stats(server.port)))
            after = pool.submit(latency_probe, server.port, args.probe, budget=60.0, pace=args.probe_pace).result()
    finally:
        code = server.stop()
    during = result["during"]
    print(f"server exit code {code}")
    print_table(
        "WebSockets",
        [
            "asked",
            "opened",
            "open errors",
            "opened in s",
            "held s",
            "dropped while held",
            "close codes",
            "no echo at end",
            "server pings answered",
        ],
        [
            [
                args.sockets,
                result["opened"],
                result["errors"] or 0,
                result["opened_in"],
                result["held_for"],
                result["dropped_hold"],
                result["codes"] or "-",
                result["no_echo"],
                result["pings"],
            ]
        ],
    )
    print_table(
        "HTTP client (sequential GET /examples/servlets/helloworld)",
        ["phase", "sent", "ok", "failures", "p50 ms", "p99 ms", "max ms"],
        [
            [n, r["count"] - r["not_sent"], r["ok"], r["failures"], r["p50_ms"], r["p99_ms"], r["max_ms"]]
            for n, r in (("baseline", baseline), (f"{result['opened']} WebSockets held", during), ("after", after))
        ],
    )
    print_table(
        "Server process (fds and RSS from /proc/PID; greenlets from /hard/stats)",
        ["when", "fds", "RSS MiB", "threads", "greenlets"],
        [[n, p["fds"], p["rss_kib"] / 1024, p["threads"], s.get("greenlets", s.get("error"))] for n, p, s in samples],
    )
    bound = args.p99_factor * baseline["p99_ms"]
    return verdict(
        [
            ("all opened", result["opened"] == args.sockets, f"{result['opened']}/{args.sockets}"),
            (
                "0 dropped",
                result["dropped_hold"] == 0 and result["no_echo"] == 0 and result["opened"] == args.sockets,
                f"{result['dropped_hold']} closed while held, {result['no_echo']} without echo",
            ),
            (
                f"HTTP p99 while held <= {args.p99_factor:g}x baseline",
                during["ok"] == args.probe and during["p99_ms"] <= bound,
                f"{during['ok']}/{args.probe} ok, p99 {during['p99_ms']:.2f} ms vs {baseline['p99_ms']:.2f} ms (bound {bound:.2f})",
            ),
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
