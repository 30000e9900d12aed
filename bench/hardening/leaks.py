#!/usr/bin/env python3
"""Leaks: N connections and M WebSocket sessions opened and closed; the
server's file descriptors and live greenlets must come back to the baseline
and its RSS stay within a few MiB of it.

    .venv/bin/python bench/hardening/leaks.py [--connections 20000] [--websockets 2000] [--rss-mib 5]

Connections (at most --parallel at once), in four kinds, a quarter each: a
GET and close; a GET, then the client resets (SO_LINGER 0); connect and close
at once; half a request line, then close. WebSockets (examples' echo): open,
echo one message, then a quarter each close with 1000 and wait for the reply,
close and drop the socket at once, abort without a close frame, or send a bad
frame (unmasked). A warm-up (--warmup of a round, a tenth by default) runs before the baseline.
Measures from outside (/proc/PID: fds, RSS) and from inside (the probe
webapp's /hard/stats: fds, live greenlets after gc.collect()). The load runs
--rounds times: a growth in the first round that does not repeat is the
allocator's high-water mark, a growth every round a leak. Exit status 1
when a bound fails.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import struct
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

from bench.hardening import wsclient  # noqa: E402
from bench.hardening.common import inner_stats, new_base, print_table, proc_sample, start_server, verdict  # noqa: E402

GET = b"GET /examples/servlets/helloworld HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


async def one_connection(port: int, kind: int) -> bool:
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return False
    try:
        if kind == 0:
            writer.write(GET)
            await asyncio.wait_for(reader.readuntil(b"</html>"), 10)
        elif kind == 1:
            writer.write(GET)
            await asyncio.wait_for(reader.readuntil(b"</html>"), 10)
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        elif kind == 3:
            writer.write(b"GET /examples/servlets/hel")
            await writer.drain()
        return True
    except (OSError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        return False
    finally:
        writer.close()


async def one_websocket(port: int, kind: int) -> bool:
    try:
        conn = await wsclient.connect(port, "/examples/websocket/echo", 10)
    except (OSError, ConnectionError, TimeoutError, asyncio.IncompleteReadError):
        return False
    conn.send_text("hello")
    try:
        await asyncio.wait_for(conn.arrived.wait(), 10)
    except TimeoutError:
        conn.abort()
        return False
    if kind == 0:
        await conn.close(1000, wait=5)
    elif kind == 1:
        await conn.close(1000, wait=0)
    elif kind == 2:
        conn.abort()
    else:
        conn.writer.write(b"\x81\x05hello")  # unmasked: the server must close with 1002
        try:
            await asyncio.wait_for(asyncio.shield(conn.task), 5)
        except TimeoutError:
            pass
        conn.abort()
    return True


async def load(port: int, connections: int, websockets: int, parallel: int) -> tuple[int, int]:
    sem = asyncio.Semaphore(parallel)

    async def bounded(coro) -> bool:
        async with sem:
            return await coro

    ok_c = sum(await asyncio.gather(*(bounded(one_connection(port, i % 4)) for i in range(connections))))
    ok_w = sum(await asyncio.gather(*(bounded(one_websocket(port, i % 4)) for i in range(websockets))))
    return ok_c, ok_w


def settle(port: int, pid: int, baseline: dict, seconds: float) -> tuple[dict, dict, float]:
    """Samples until fds and greenlets are back to *baseline* or *seconds* passed."""
    t0 = time.monotonic()
    while True:
        outside = proc_sample(pid)
        inside = inner_stats(port)
        waited = time.monotonic() - t0
        if (outside["fds"] <= baseline["fds"] and inside["greenlets"] <= baseline["greenlets"]) or waited > seconds:
            return outside, inside, waited
        time.sleep(0.5)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--connections", type=int, default=20000)
    parser.add_argument("--websockets", type=int, default=2000)
    parser.add_argument("--parallel", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the whole load (RSS compared per round)")
    parser.add_argument("--rss-mib", type=float, default=5.0, help="RSS growth allowed after the load")
    parser.add_argument("--settle", type=float, default=30.0, help="seconds to wait for fds/greenlets to come back")
    parser.add_argument("--connector-attrs", default='connectionTimeout="5000"')
    parser.add_argument(
        "--warmup",
        type=float,
        default=0.1,
        help="the warm-up before the baseline, as a fraction of one round (1: a whole round, so that the "
        "allocator's high-water mark is reached before the baseline is taken)",
    )
    args = parser.parse_args(argv)
    base = new_base("leaks")
    server = start_server(base, connector_attrs=args.connector_attrs)
    pid = server.proc.pid
    print(f"server pid {pid} port {server.port} base {base} attrs: {args.connector_attrs}")
    rows = []
    try:
        warm_connections = int(args.connections * args.warmup)
        warm_websockets = int(args.websockets * args.warmup)
        asyncio.run(load(server.port, warm_connections, warm_websockets, args.parallel))
        time.sleep(1)
        outside0 = proc_sample(pid)
        inside0 = inner_stats(server.port)
        rows.append(
            [
                "baseline (after warm-up)",
                outside0["fds"],
                inside0["fds"],
                inside0["greenlets"],
                outside0["rss_kib"] / 1024,
                "-",
            ]
        )
        t0 = time.monotonic()
        results = []
        for round_no in range(1, args.rounds + 1):
            ok_c, ok_w = asyncio.run(load(server.port, args.connections, args.websockets, args.parallel))
            results.append((ok_c, ok_w))
            mid = proc_sample(pid)
            rows.append([f"round {round_no}: right after the load", mid["fds"], "-", "-", mid["rss_kib"] / 1024, "-"])
            outside1, inside1, waited = settle(
                server.port, pid, {"fds": outside0["fds"], "greenlets": inside0["greenlets"]}, args.settle
            )
            rows.append(
                [
                    f"round {round_no}: settled",
                    outside1["fds"],
                    inside1["fds"],
                    inside1["greenlets"],
                    outside1["rss_kib"] / 1024,
                    f"{waited:.1f}",
                ]
            )
            if round_no == 1:
                after_first = outside1
        took = time.monotonic() - t0
    finally:
        code = server.stop()
    tracebacks = server.output().count("Traceback")
    print(
        f"load took {took:.1f} s; connections ok {ok_c}/{args.connections}, websockets ok {ok_w}/{args.websockets}; server exit {code}"
    )
    print_table(
        "Server process (fds and RSS: /proc/PID from outside; inner fds and live greenlets: /hard/stats)",
        ["when", "fds", "fds (inside)", "greenlets", "RSS MiB", "waited s"],
        rows,
    )
    grown = {
        k: inside1["by_type"].get(k, 0) - v for k, v in inside0["by_type"].items() if inside1["by_type"].get(k, 0) - v
    }
    grown.update({k: v for k, v in inside1["by_type"].items() if k not in inside0["by_type"]})
    top = sorted(grown.items(), key=lambda kv: -abs(kv[1]))[:12]
    print(f"objects tracked by gc: {inside0['objects']} at the baseline, {inside1['objects']} settled")
    print_table("Object types whose count changed (baseline -> settled)", ["type", "change"], top or [["(none)", 0]])
    growth = (outside1["rss_kib"] - outside0["rss_kib"]) / 1024
    later = (outside1["rss_kib"] - after_first["rss_kib"]) / 1024
    return verdict(
        [
            (
                "all connections and sessions completed",
                ok_c == args.connections and ok_w == args.websockets,
                f"{ok_c}, {ok_w}",
            ),
            ("fds back to baseline", outside1["fds"] <= outside0["fds"], f"{outside0['fds']} -> {outside1['fds']}"),
            (
                "greenlets back to baseline",
                inside1["greenlets"] <= inside0["greenlets"],
                f"{inside0['greenlets']} -> {inside1['greenlets']}",
            ),
            (f"RSS within {args.rss_mib:g} MiB of the baseline", growth <= args.rss_mib, f"{growth:+.1f} MiB"),
            (
                f"RSS after round {args.rounds} within {args.rss_mib:g} MiB of round 1",
                later <= args.rss_mib,
                f"{later:+.1f} MiB" if args.rounds > 1 else "one round only",
            ),
            ("no traceback in the server log", tracebacks == 0, str(tracebacks)),
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
