#!/usr/bin/env python3
"""Slowloris: N slow connections (half trickle a header byte every few seconds,
half stay silent; with --body-timeout-ms a third kind sends a whole head and then
trickles its body) while a normal client runs; the normal client's p99 must stay
within 2x its baseline of the same run, and every slow connection must be closed
by the server at its configured timeout.

    .venv/bin/python bench/hardening/slowloris.py [--slow 1000] [--interval 2]
        [--connection-timeout-ms 10000] [--head-timeout-ms 20000]
        [--connector-attrs 'headerTimeout="20000"'] [--max-wait 90] [--probe 2000]

The server (examples + the probe webapp, temporary CATALINA_BASE, stopped by
PID) gets ``connectionTimeout`` and whatever ``--connector-attrs`` adds (the
head deadline's attribute). A silent connection must be closed at
connectionTimeout; a trickling one at the head deadline (``--head-timeout-ms``;
0 = the container has none, so the bound fails as "never closed"). Each close
is timed from the connection's start; "late" means more than ``--slack`` s after
its timeout. Exit status 1 when a bound fails.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

from bench.hardening.common import latency_probe, new_base, percentile, print_table, start_server, verdict  # noqa: E402

HEAD = b"GET /examples/servlets/helloworld HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
BODY_HEAD = b"POST /hard/read HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n\r\n"


async def slow_client(port: int, kind: str, interval: float, max_wait: float, started: float) -> dict:
    """One slow connection; returns when the server closed it (or max_wait passed)."""
    t0 = time.monotonic()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError as exc:
        return {"kind": kind, "connected": False, "error": str(exc), "closed_after": None, "answer": b""}
    answer = b""
    sent = 0
    closed_after = None

    async def watch() -> None:
        nonlocal answer, closed_after
        try:
            while True:
                data = await reader.read(4096)
                if not data:
                    break
                answer += data
        except OSError:
            pass
        closed_after = time.monotonic() - t0

    watcher = asyncio.create_task(watch())
    if kind == "body":
        writer.write(BODY_HEAD)
    deadline = t0 + max_wait
    try:
        while not watcher.done() and time.monotonic() < deadline:
            if kind in ("trickle", "body"):
                byte = (HEAD[sent : sent + 1] or b"a") if kind == "trickle" else b"x"
                try:
                    writer.write(byte)
                    await writer.drain()
                except OSError:
                    break
                sent += 1
            try:
                await asyncio.wait_for(asyncio.shield(watcher), timeout=interval)
            except TimeoutError:
                pass
        if not watcher.done():
            await asyncio.wait_for(asyncio.shield(watcher), timeout=max(0.1, deadline - time.monotonic()))
    except TimeoutError:
        pass
    finally:
        watcher.cancel()
        writer.close()
    return {
        "kind": kind,
        "connected": True,
        "closed_after": closed_after,
        "answer": answer[:40],
        "sent": sent,
    }


async def run_slow(port: int, count: int, interval: float, max_wait: float, kinds: list[str]) -> list[dict]:
    started = time.monotonic()
    tasks = []
    for i in range(count):
        kind = kinds[i % len(kinds)]
        tasks.append(asyncio.create_task(slow_client(port, kind, interval, max_wait, started)))
        if i % 100 == 99:
            await asyncio.sleep(0.05)
    return await asyncio.gather(*tasks)


def summarise(results: list[dict], kind: str, timeout_s: float | None, slack: float) -> tuple[list, bool, str]:
    mine = [r for r in results if r["kind"] == kind]
    closes = [r["closed_after"] for r in mine if r["closed_after"] is not None]
    never = sum(1 for r in mine if r["closed_after"] is None)
    not_connected = sum(1 for r in mine if not r["connected"])
    early = late = 0
    if timeout_s is not None:
        early = sum(1 for c in closes if c < timeout_s - 0.05)
        late = sum(1 for c in closes if c > timeout_s + slack)
    answers: dict[bytes, int] = {}
    for r in mine:
        first = r["answer"].split(b"\r\n", 1)[0] if r["answer"] else b"(nothing)"
        answers[first] = answers.get(first, 0) + 1
    row = [
        kind,
        len(mine),
        not_connected,
        "-" if timeout_s is None else f"{timeout_s:g}",
        len(closes),
        never,
        percentile(closes, 0) if closes else "-",
        percentile(closes, 50) if closes else "-",
        percentile(closes, 100) if closes else "-",
        early,
        late,
        "; ".join(f"{k.decode('latin-1')} x{v}" for k, v in sorted(answers.items())),
    ]
    ok = timeout_s is not None and never == 0 and not_connected == 0 and early == 0 and late == 0
    detail = f"{len(closes)}/{len(mine)} closed, {early} early, {late} late (> {slack:g} s after {timeout_s} s), {never} never"
    return row, ok, detail


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--slow", type=int, default=1000, help="slow connections (half trickle, half silent)")
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between a trickler's bytes")
    parser.add_argument("--connection-timeout-ms", type=int, default=10000)
    parser.add_argument("--head-timeout-ms", type=int, default=0, help="the head deadline configured (0: none)")
    parser.add_argument(
        "--body-timeout-ms", type=int, default=0, help="the body deadline configured (0: none; adds body tricklers)"
    )
    parser.add_argument("--connector-attrs", default="", help="extra Connector attributes (the head deadline)")
    parser.add_argument("--max-wait", type=float, default=60.0, help="seconds a slow connection waits at most")
    parser.add_argument("--probe", type=int, default=2000, help="requests of the normal client, each phase")
    parser.add_argument("--slack", type=float, default=2.0, help="seconds a close may come after its timeout")
    parser.add_argument("--p99-factor", type=float, default=2.0)
    args = parser.parse_args(argv)

    kinds = ["trickle", "silent"] + (["body"] if args.body_timeout_ms else [])
    base = new_base("slowloris")
    attrs = f'connectionTimeout="{args.connection_timeout_ms}" {args.connector_attrs}'
    server = start_server(base, connector_attrs=attrs)
    print(f"server pid {server.proc.pid} port {server.port} base {base} attrs: {attrs}")
    try:
        with concurrent.futures.ProcessPoolExecutor(1) as pool:
            pool.submit(latency_probe, server.port, 200).result()  # warm-up
            baseline = pool.submit(latency_probe, server.port, args.probe).result()

            async def attack() -> tuple[list[dict], dict]:
                slow = asyncio.create_task(run_slow(server.port, args.slow, args.interval, args.max_wait, kinds))
                await asyncio.sleep(min(3.0, args.connection_timeout_ms / 4000))  # let them all connect
                loop = asyncio.get_running_loop()
                under = await loop.run_in_executor(
                    None, lambda: pool.submit(latency_probe, server.port, args.probe).result()
                )
                return await slow, under

            t0 = time.monotonic()
            results, under = asyncio.run(attack())
            elapsed = time.monotonic() - t0
            after = pool.submit(latency_probe, server.port, args.probe).result()
    finally:
        code = server.stop()
    print(f"attack phase took {elapsed:.1f} s; server exit code {code}")
    print_table(
        "Normal client (sequential GET /examples/servlets/helloworld, keep-alive)",
        ["phase", "requests", "ok", "failures", "p50 ms", "p99 ms", "max ms"],
        [
            [name, r["count"], r["ok"], r["failures"], r["p50_ms"], r["p99_ms"], r["max_ms"]]
            for name, r in (("baseline", baseline), (f"with {args.slow} slow", under), ("after", after))
        ],
    )
    head_s = args.head_timeout_ms / 1000 if args.head_timeout_ms else None
    trow, tok, tdetail = summarise(results, "trickle", head_s, args.slack)
    srow, sok, sdetail = summarise(results, "silent", args.connection_timeout_ms / 1000, args.slack)
    rows = [trow, srow]
    checks = [
        ("silent closed at connectionTimeout", sok, sdetail),
        ("tricklers closed at the head deadline", tok, tdetail),
    ]
    if args.body_timeout_ms:
        brow, bok, bdetail = summarise(results, "body", args.body_timeout_ms / 1000, args.slack)
        rows.append(brow)
        checks.append(("body tricklers closed at the body deadline", bok, bdetail))
    print_table(
        f"Slow connections (trickle: one header byte every {args.interval:g} s; silent: nothing; body: a whole head "
        f"then one body byte every {args.interval:g} s), close time in s from connect",
        ["kind", "count", "refused", "timeout s", "closed", "never", "min", "p50", "max", "early", "late", "answers"],
        rows,
    )
    bound = args.p99_factor * baseline["p99_ms"]
    return verdict(
        [
            (
                f"p99 with slow clients <= {args.p99_factor:g}x baseline",
                under["p99_ms"] <= bound and under["failures"] == 0,
                f"{under['p99_ms']:.2f} ms vs {baseline['p99_ms']:.2f} ms (bound {bound:.2f}), {under['failures']} failures",
            ),
        ]
        + checks
    )


if __name__ == "__main__":
    sys.exit(main())
