#!/usr/bin/env python3
"""WebSocket echo throughput, latency and idle memory of catalina_py, with a load client of its own.

    python bench/ws_echo.py [--scenarios pipelined,bulk,roundtrip,idle] [--rounds 3] [--duration 10]
                            [--connections 50] [--home DIR[,DIR...]]

Scenarios, against the examples webapp's echo endpoint (/examples/websocket/echo, blocking sends):

  pipelined (a)  16-byte text messages, a window of --window (32) in flight per connection; replies are
                 answered with as many new messages in one write (many frames per write): msgs/s
  bulk      (b)  64 KiB binary messages, --bulk-window (4) in flight per connection: MB/s one way
  roundtrip (c)  one 16-byte text message in flight per connection: round trips/s, p50 and p99 latency
  idle      (d)  --idle-connections (1000) held --idle-hold (30) s, each pinged every --idle-ping-every
                 (10) s, the server's pings answered: server RSS per connection (VmRSS of /proc/PID/status,
                 before opening and at the end), pongs received, connections dropped

Every echo is verified byte for byte (a mismatch, a missing or extra message fails the run). The client is
bench/ws_client.py (RFC 6455 framing of its own, masked frames; nothing imported from catalina_py) driving
all connections from one thread with a selector, pinned to CPU 1; each server runs pinned to CPU 0 with its
own temporary CATALINA_BASE (a copy of the checkout's conf/ and webapps/examples, port changed, on 127.0.0.1).

Before/after: --home DIR[,DIR...] runs the same scenarios against each checkout (its own .venv, created by
its bin/catalina.sh version when missing), all servers started together and measured in alternating rounds
(A B, B A, A B ...); the table gives each home's median run and the median of the per-round ratios to the first
home, of the rate and of the server's CPU per message. --restart starts a fresh server for every echo run
(the rounds then also sample the differences between processes). The idle scenario always starts a fresh
server for each of its runs (memory a process has once used is not given back, so a second run in the same
process would measure nothing). Results: a table on stdout and JSON in bench/results/ws_echo-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import selectors
import shutil
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TypeVar

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from homes import CatalinaHome, HomeError, describe, ensure_venv, parse_homes  # noqa: E402
from http_hello import (  # noqa: E402
    REPO,
    RESULTS,
    SERVER_CPU,
    WRK_CPU,
    BenchError,
    CatalinaServer,
    cpu_model,
    log,
    median,
    process_cpu_seconds,
    wait_for_quiet,
)
from ws_client import OP_BINARY, OP_TEXT, FrameParser, WsProtocolError, connect, encode_frame  # noqa: E402
from ws_scenarios import EchoSpec, close_all, run_echo, run_idle  # noqa: E402

T = TypeVar("T")
ECHO_PATH = "/examples/websocket/echo"
CLIENT_CPU = WRK_CPU
SCENARIOS = {"a": "pipelined", "b": "bulk", "c": "roundtrip", "d": "idle"}
#: The figure each scenario is judged on, and whether more is better.
METRIC = {
    "pipelined": ("msgs_per_s", True),
    "bulk": ("mb_per_s", True),
    "roundtrip": ("msgs_per_s", True),
    "idle": ("rss_per_connection_kib", False),
}


class EchoServer(CatalinaServer):
    """catalina_py serving the examples webapp, checked with one text and one binary echo."""

    path = ECHO_PATH

    def check(self) -> None:
        """A handshake, a 16-byte text and a 64 KiB binary message echoed unchanged, then a clean close."""
        try:
            sock, leftover = connect("127.0.0.1", self.port, self.path)
        except (OSError, WsProtocolError) as exc:
            raise BenchError(f"{self.name}: WebSocket handshake on port {self.port} failed: {exc}") from exc
        try:
            parser = FrameParser()
            messages = parser.feed(leftover)
            sent = [(OP_TEXT, b"check-text-16byt"), (OP_BINARY, os.urandom(65536))]
            for opcode, payload in sent:
                sock.sendall(encode_frame(opcode, payload))
            sock.settimeout(10)
            deadline = time.monotonic() + 10
            while len(messages) < len(sent) and time.monotonic() < deadline:
                data = sock.recv(1 << 17)
                if not data:
                    break
                messages += [m for m in parser.feed(data) if m.opcode in (OP_TEXT, OP_BINARY)]
            got = [(m.opcode, m.payload) for m in messages]
            if got != sent:
                raise BenchError(
                    f"{self.name}: {self.url} did not echo the check messages: got {[(o, len(p)) for o, p in got]}"
                )
        except (OSError, WsProtocolError) as exc:
            raise BenchError(
                f"{self.name}: WebSocket check of ws://127.0.0.1:{self.port}{self.path} failed: {exc}"
            ) from exc
        finally:
            with selectors.DefaultSelector() as sel:
                close_all(sel, [sock])


def make_spec(name: str, args: argparse.Namespace, duration: float) -> EchoSpec:
    """The EchoSpec of scenario ``name`` with the command line's sizes and windows."""
    if name == "pipelined":
        return EchoSpec(name, args.message_size, OP_TEXT, args.window, args.connections, duration)
    if name == "bulk":
        return EchoSpec(
            name,
            args.bulk_size,
            OP_BINARY,
            args.bulk_window,
            args.connections,
            duration,
            pool_size=max(8, args.bulk_window),
        )
    if name == "roundtrip":
        return EchoSpec(name, args.message_size, OP_TEXT, 1, args.connections, duration)
    raise ValueError(name)


def busy_seconds() -> float:
    """CPU seconds CPUs 0 and 1 (the server's and the client's) have been busy since boot, per /proc/stat."""
    busy = 0
    with open("/proc/stat") as f:
        for line in f:
            name, *values = line.split()
            if name in (f"cpu{SERVER_CPU}", f"cpu{CLIENT_CPU}"):
                ticks = [int(v) for v in values[:8]]
                busy += sum(ticks) - ticks[3] - ticks[4]  # all but idle and iowait
    return busy / os.sysconf("SC_CLK_TCK")


def measure_echo(server: EchoServer, spec: EchoSpec) -> dict:
    """One run of an echo scenario, with the CPU used by the server, the client and everything else.

    All in % of one core over the measured seconds: the server near 100 means it was the bottleneck, as
    it should be; "others" well above 0 means other processes shared the two CPUs and the run is noisy.
    """
    assert server.proc is not None
    pid = server.proc.pid
    busy0 = busy_seconds()
    try:
        result = run_echo("127.0.0.1", server.port, server.path, spec, server_cpu=lambda: process_cpu_seconds(pid))
    except (OSError, WsProtocolError) as exc:
        raise BenchError(f"{server.name}: {spec.name}: {exc}") from exc
    # busy_seconds() also covers the handshakes and the drain around the measured seconds: approximate.
    busy = 100 * (busy_seconds() - busy0) / result["seconds"]
    result["others_cpu_pct"] = round(max(0.0, busy - result["server_cpu_pct"] - result["client_cpu_pct"]), 1)
    if result["others_cpu_pct"] > 20:
        log(f"WARNING: {result['others_cpu_pct']:.0f}% of a CPU went to other work during the run: noisy")
    if result["client_cpu_pct"] > 90:
        log(f"WARNING: the client used {result['client_cpu_pct']}% of CPU {CLIENT_CPU}: it may be the bottleneck")
    return result


def run_echo_scenarios(names: list[str], homes: list[CatalinaHome], workdir: Path, args: argparse.Namespace) -> dict:
    """Every echo scenario: ``args.rounds`` rounds alternating the homes, each run after a warm-up.

    One server per home serves every round, warmed up once per scenario; with ``args.restart`` each run
    gets a freshly started (and warmed-up) server instead, so that the rounds also sample what differs
    from one process to the next (memory layout, string hashing), not only the machine's drift.
    """
    runs: dict[str, dict[str, list[dict]]] = {name: {} for name in names}
    shared = [] if args.restart else [EchoServer(workdir / "echo", home) for home in homes]
    try:
        for server in shared:
            server.start()
            server.check()
        for name in names:
            for server in shared:
                warm_up(server, name, args)
            for i in range(args.rounds):
                # Every other round in the reverse order (A B, B A, A B ...): a server that always ran
                # second would carry whatever the first one leaves behind (in the machine, not in it).
                for j, home in alternate(enumerate(homes), i):
                    server = shared[j] if shared else EchoServer(workdir / f"{name}-{i}", home)
                    try:
                        if not shared:
                            server.start()
                            server.check()
                            warm_up(server, name, args)
                        wait_for_quiet(timeout=args.quiet_wait)
                        log(
                            f"{server.name}: {name}: measuring {args.duration:g} s, {args.connections} connections "
                            f"(round {i + 1}/{args.rounds})"
                        )
                        result = measure_echo(server, make_spec(name, args, args.duration))
                        runs[name].setdefault(server.name, []).append(result)
                        log_result(server, result)
                        server.check()
                    finally:
                        if not shared:
                            server.stop()
    finally:
        for server in shared:
            server.stop()
    return runs


def alternate(items: Iterable[T], round_index: int) -> list[T]:
    """``items`` in order in even rounds, reversed in odd ones (A B, B A, A B ...)."""
    ordered = list(items)
    return ordered[::-1] if round_index % 2 else ordered


def warm_up(server: EchoServer, name: str, args: argparse.Namespace) -> None:
    """A short unmeasured run of scenario ``name`` (nothing of it is kept)."""
    if args.warmup > 0:
        log(f"{server.name}: {name}: warm-up {args.warmup:g} s")
        measure_echo(server, make_spec(name, args, args.warmup))


def log_result(server: EchoServer, result: dict) -> None:
    """One measured run on stderr, with how evenly the connections were served."""
    log(
        f"{server.name}:   {result['msgs_per_s']:,.0f} msgs/s, {result['mb_per_s']:,.1f} MB/s, "
        f"p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms; {result['server_cpu_us_per_msg']:.2f} µs CPU/msg; "
        f"CPU server {result['server_cpu_pct']}%, client {result['client_cpu_pct']}%, "
        f"others {result['others_cpu_pct']}%; messages per connection min {result['per_connection_min']}, "
        f"median {result['per_connection_median']}, max {result['per_connection_max']}"
    )


def run_idle_scenario(homes: list[CatalinaHome], workdir: Path, args: argparse.Namespace) -> dict:
    """The idle scenario, ``args.rounds`` rounds alternating the homes, each on a freshly started server."""
    runs: dict[str, list[dict]] = {}
    for i in range(args.rounds):
        for home in alternate(homes, i):
            server = EchoServer(workdir / f"idle-{i}", home)
            runs.setdefault(server.name, [])
            try:
                server.start()
                server.check()
                wait_for_quiet(timeout=args.quiet_wait)
                assert server.proc is not None
                log(
                    f"{server.name}: idle: {args.idle_connections} connections held {args.idle_hold:g} s "
                    f"(round {i + 1}/{args.rounds})"
                )
                result = run_idle(
                    "127.0.0.1",
                    server.port,
                    server.path,
                    args.idle_connections,
                    args.idle_hold,
                    args.idle_ping_every,
                    server.proc.pid,
                )
                runs[server.name].append(result)
                log(
                    f"{server.name}:   {result['rss_per_connection_kib']:.1f} KiB per connection, "
                    f"{result['pongs_ok']}/{result['pings_sent']} pongs, {result['dropped']} dropped, "
                    f"{result['server_pings_answered']} server pings answered"
                )
                server.check()
            except (OSError, WsProtocolError) as exc:
                raise BenchError(f"{server.name}: idle: {exc}") from exc
            finally:
                server.stop()
    return runs


def summarize(scenario: str, runs: dict[str, list[dict]]) -> list[dict]:
    """One row per server: its median run, every run's figure and the per-round ratio to the first server."""
    key, _ = METRIC[scenario]
    rows = []
    first: list[float] | None = None
    first_results: list[dict] = []
    for name, results in runs.items():
        values = [r[key] for r in results]
        best = sorted(results, key=lambda r: r[key])[(len(results) - 1) // 2]
        row = {"scenario": scenario, "server": name, "metric": key, **best, "all_runs": values}
        if first is None:
            first_results = results
            first = values
        else:
            rounds = [v / f for v, f in zip(values, first, strict=True)]
            row["ratio_per_round"] = rounds
            row["ratio_median"] = median(rounds)
            if scenario != "idle":
                # The same for the server's CPU per message (lower is better), the figure less noisy.
                cpu = [
                    r["server_cpu_us_per_msg"] / f["server_cpu_us_per_msg"]
                    for r, f in zip(results, first_results, strict=True)
                ]
                row["cpu_ratio_per_round"] = cpu
                row["cpu_ratio_median"] = median(cpu)
        if scenario != "idle":
            row["server_cpu_us_per_msg_median"] = median([r["server_cpu_us_per_msg"] for r in results])
        rows.append(row)
    return rows


def fmt_ratios(median_value: float, rounds: list[float]) -> str:
    """``0.990 (0.980/0.990/1.010)``: a median ratio and the per-round ones."""
    return f"{median_value:.3f} ({'/'.join(f'{x:.3f}' for x in rounds)})"


def fmt(value: float | None, spec: str = ",.0f") -> str:
    return "-" if value is None else format(value, spec)


def print_table(rows: list[dict]) -> None:
    """The echo rows, then the idle rows, with the ratio to the first home where there is one."""
    w = max([8, *(len(r["server"]) for r in rows)])
    echo = [r for r in rows if r["scenario"] != "idle"]
    if echo:
        header = (
            f"{'scenario':<10} {'server':<{w}} {'msgs/s':>9} {'MB/s':>8} {'p50 ms':>7} {'p99 ms':>7} "
            f"{'µs/msg':>7} {'srv CPU':>7} {'cli CPU':>7} {'others':>7}  {'rate vs first: median (rounds)':<32} "
            f"{'CPU/msg vs first'}"
        )
        print(header)
        print("-" * len(header))
        for r in echo:
            ratio = fmt_ratios(r["ratio_median"], r["ratio_per_round"]) if "ratio_median" in r else ""
            cpu = fmt_ratios(r["cpu_ratio_median"], r["cpu_ratio_per_round"]) if "cpu_ratio_median" in r else ""
            print(
                f"{r['scenario']:<10} {r['server']:<{w}} {fmt(r['msgs_per_s']):>9} {fmt(r['mb_per_s'], ',.1f'):>8} "
                f"{fmt(r['p50_ms'], '.2f'):>7} {fmt(r['p99_ms'], '.2f'):>7} "
                f"{fmt(r['server_cpu_us_per_msg_median'], '.2f'):>7} {r['server_cpu_pct']:>6}% "
                f"{r['client_cpu_pct']:>6}% {r['others_cpu_pct']:>6}%  {ratio:<32} {cpu}"
            )
    idle = [r for r in rows if r["scenario"] == "idle"]
    if idle:
        if echo:
            print()
        header = (
            f"{'scenario':<10} {'server':<{w}} {'conns':>6} {'KiB/conn':>9} {'pongs':>13} {'dropped':>7} "
            f"{'srv pings':>9} {'opens/s':>8}  {'vs first: median (rounds)'}"
        )
        print(header)
        print("-" * len(header))
        for r in idle:
            ratio = fmt_ratios(r["ratio_median"], r["ratio_per_round"]) if "ratio_median" in r else ""
            pongs = f"{r['pongs_ok']}/{r['pings_sent']}"
            print(
                f"{'idle':<10} {r['server']:<{w}} {r['connections']:>6} {r['rss_per_connection_kib']:>9.1f} "
                f"{pongs:>13} {r['dropped']:>7} {r['server_pings_answered']:>9} {fmt(r['opens_per_s']):>8}  "
                f"{ratio}"
            )


def parse_scenarios(text: str) -> list[str]:
    """``a,c`` or ``pipelined,roundtrip`` (letters of issue 12 or names) as scenario names, in order."""
    names = []
    for part in (p.strip().lower() for p in text.split(",")):
        if not part:
            continue
        name = SCENARIOS.get(part, part)
        if name not in SCENARIOS.values():
            raise ValueError(
                f"unknown scenario {part!r}; choose from {', '.join(f'{k}/{v}' for k, v in SCENARIOS.items())}"
            )
        if name not in names:
            names.append(name)
    return names


def raise_fd_limit(need: int) -> None:
    """Raises this process's open-file limit (which the servers inherit) towards ``need``."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        target = need if hard == resource.RLIM_INFINITY else min(need, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        if target < need:
            log(f"WARNING: open-file limit {target} < {need}: the idle scenario may fail")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scenarios",
        default="pipelined,bulk,roundtrip,idle",
        help="comma-separated: a/pipelined, b/bulk, c/roundtrip, d/idle (default: all)",
    )
    parser.add_argument("--rounds", type=int, default=3, help="measured rounds per server (default 3)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per echo run (default 10)")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds per server and scenario")
    parser.add_argument("--connections", type=int, default=50, help="connections per echo run (default 50)")
    parser.add_argument("--message-size", type=int, default=16, help="bytes of a small text message (16)")
    parser.add_argument("--window", type=int, default=32, help="messages in flight per connection, pipelined")
    parser.add_argument("--bulk-size", type=int, default=65536, help="bytes of a bulk binary message (65536)")
    parser.add_argument("--bulk-window", type=int, default=4, help="bulk messages in flight per connection (4)")
    parser.add_argument("--idle-connections", type=int, default=1000, help="connections held idle (1000)")
    parser.add_argument("--idle-hold", type=float, default=30.0, help="seconds the idle connections are held")
    parser.add_argument("--idle-ping-every", type=float, default=10.0, help="seconds between client pings")
    parser.add_argument(
        "--restart", action="store_true", help="a freshly started server for every echo run (not one per home)"
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=20.0,
        help="at most this many seconds to wait for idle CPUs before each run (default 20)",
    )
    parser.add_argument(
        "--home",
        metavar="DIR[,DIR...]",
        help="catalina_py checkouts to compare (each on its own .venv), e.g. ../before,. (default: this checkout only)",
    )
    args = parser.parse_args(argv)
    try:
        names = parse_scenarios(args.scenarios)
    except ValueError as exc:
        parser.error(str(exc))
    limits = [
        (1 <= args.rounds <= 20, "--rounds in [1, 20]"),
        (0 < args.duration <= 300, "--duration in (0, 300]"),
        (0 <= args.warmup <= 60, "--warmup in [0, 60]"),
        (1 <= args.connections <= 5000, "--connections in [1, 5000]"),
        (1 <= args.message_size <= 125, "--message-size in [1, 125]"),
        (1 <= args.window <= 1024, "--window in [1, 1024]"),
        (1 <= args.bulk_size <= 65536, "--bulk-size in [1, 65536] (the endpoint's limit)"),
        (1 <= args.bulk_window <= 64, "--bulk-window in [1, 64]"),
        (1 <= args.idle_connections <= 20000, "--idle-connections in [1, 20000]"),
        (1 <= args.idle_hold <= 600, "--idle-hold in [1, 600]"),
        (0.5 <= args.idle_ping_every <= 600, "--idle-ping-every in [0.5, 600]"),
        (0 <= args.quiet_wait <= 600, "--quiet-wait in [0, 600]"),
    ]
    for ok, text in limits:
        if not ok:
            parser.error(text)
    if not names:
        parser.error("no scenario")
    try:
        homes = parse_homes(args.home) if args.home else [CatalinaHome(REPO, REPO.name)]
        for home in homes:
            ensure_venv(home)
    except HomeError as exc:
        raise BenchError(str(exc)) from exc
    raise_fd_limit(max(args.idle_connections, args.connections) * 2 + 256)
    os.sched_setaffinity(0, {int(CLIENT_CPU)})  # the client; each server gets CPU 0 through taskset

    stamp = time.strftime("%Y%m%d-%H%M%S")
    RESULTS.mkdir(exist_ok=True)
    rows: list[dict] = []
    workdir = Path(tempfile.mkdtemp(prefix="ws_echo-"))
    try:
        echo_names = [n for n in names if n != "idle"]
        if echo_names:
            runs = run_echo_scenarios(echo_names, homes, workdir, args)
            for name in echo_names:
                rows += summarize(name, runs[name])
        if "idle" in names:
            rows += summarize("idle", run_idle_scenario(homes, workdir, args))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    print()
    print(
        f"ws_echo: {args.connections} connections, {args.duration:g} s runs, {args.rounds} rounds (median run "
        f"shown); server on CPU {SERVER_CPU}, client on CPU {CLIENT_CPU}; {os.cpu_count()} CPUs, {cpu_model()}"
    )
    print_table(rows)
    result = {
        "benchmark": "ws_echo",
        "timestamp": stamp,
        "endpoint": ECHO_PATH,
        "settings": {k: v for k, v in vars(args).items() if k != "home"},
        "machine": {
            "cpus": os.cpu_count(),
            "cpu_model": cpu_model(),
            "kernel": platform.release(),
            "python": platform.python_version(),
        },
        "homes": [describe(home) for home in homes],
        "results": rows,
    }
    out_path = RESULTS / f"ws_echo-{stamp}.json"
    out_path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nresults: {out_path}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as exc:
        print(f"ws_echo: FAILED: {exc}", file=sys.stderr)
        sys.exit(1)
