#!/usr/bin/env python3
"""Worker processes (issue 13): the hello servlet under wrk with workers=1 and workers=2, side by side.

    python bench/workers.py [--duration 5] [--warmup 1] [--connections 50] [--repeat 1]
                            [--mode keepalive,close] [--probe 1000]

Both servers are catalina_py from this checkout with the shipped conf/ (ports changed, AccessLogValve
on) and webapps/examples, as bench/http_hello.py runs it, plus the test webapp that answers its PID
(tests/integration/webapps/workers); one runs ``run --workers 1`` (one process, no supervisor), the
other ``run --workers 2`` (a supervisor and two workers). They are started together and measured in
interleaved rounds, each mode in each round.

What is measured, per run:

  req/s                  wrk's figure
  worker CPU s           utime + stime of every worker process (/proc/PID/stat) over the run; for
                         workers=1 the one process. The supervisor's own CPU is shown apart.
  req per worker CPU s   requests / worker CPU seconds: the throughput per busy server core
  vs workers=1           that figure over workers=1's in the same round and mode
  CPU share              each worker's part of the worker CPU seconds

and once per server, after the runs: the share of --probe new connections (GET /workers/pid with
Connection: close, one connection each) that each worker answered.

This machine has 2 cores and wrk runs on them too: nothing is pinned (a second worker needs the
second core), so workers=2 cannot give twice the req/s here; the per-CPU-second figure is the one that
compares. Results: a table on stdout and JSON in bench/results/workers-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import socket
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import http_hello  # noqa: E402
from http_hello import (  # noqa: E402
    RESULTS,
    BenchError,
    CatalinaServer,
    cpu_model,
    ensure_project_venv,
    log,
    median,
    parse_modes,
    parse_wrk,
    run_wrk,
    wait_for_quiet,
    wrk_seconds,
)

REPO = Path(__file__).resolve().parent.parent
PID_WEBAPP = REPO / "tests" / "integration" / "webapps" / "workers"

# Nothing pinned: taskset -c 0-1 is every CPU of this machine (see the module text).
http_hello.SERVER_CPU = "0-1"
http_hello.WRK_CPU = "0-1"


class WorkersServer(CatalinaServer):
    """catalina_py with ``run --workers N``."""

    def __init__(self, workdir: Path, workers: int) -> None:
        self.workers = workers
        self.name = f"workers={workers}"
        super().__init__(workdir)
        self.name = f"workers={workers}"

    def prepare(self) -> None:
        super().prepare()
        shutil.copytree(PID_WEBAPP, self.base / "webapps" / "workers")

    def command(self) -> list[str]:
        return [*super().command(), "--workers", str(self.workers)]

    def worker_pids(self) -> list[int]:
        """The serving processes: the supervisor's children, or the one process."""
        assert self.proc is not None
        if self.workers == 1:
            return [self.proc.pid]
        found = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    fields = Path(f"/proc/{entry}/stat").read_text().rpartition(")")[2].split()
                except OSError:
                    continue
                if int(fields[1]) == self.proc.pid and fields[0] not in ("Z", "X"):
                    found.append(int(entry))
        if len(found) != self.workers:
            raise BenchError(f"{self.name}: {len(found)} worker processes, expected {self.workers}")
        return sorted(found)


def cpu_seconds(pid: int) -> float:
    """utime + stime of *pid* (its own, not its children's), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(server: WorkersServer, duration: float, connections: int, mode: str) -> dict:
    """One wrk run with the CPU time of every worker before and after."""
    pids = server.worker_pids()
    assert server.proc is not None
    before = {pid: cpu_seconds(pid) for pid in pids}
    supervisor_before = cpu_seconds(server.proc.pid) if server.workers > 1 else 0.0
    output = run_wrk(server.url, duration, connections, latency=True, mode=mode)
    after = {pid: cpu_seconds(pid) for pid in pids}
    supervisor_after = cpu_seconds(server.proc.pid) if server.workers > 1 else 0.0
    if server.worker_pids() != pids:
        raise BenchError(f"{server.name}: the worker processes changed during the run")
    parsed = parse_wrk(output)
    used = {pid: after[pid] - before[pid] for pid in pids}
    total = sum(used.values())
    flags = []
    if any(parsed["socket_errors"].values()):
        flags.append(f"socket errors {parsed['socket_errors']}")
    if parsed["non_2xx"]:
        flags.append(f"non-2xx {parsed['non_2xx']}")
    return {
        "server": server.name,
        "mode": mode,
        "rps": parsed["rps"],
        "requests": parsed["requests"],
        "p99_ms": parsed.get("p99_ms"),
        "seconds": wrk_seconds(duration),
        "worker_cpu_s": round(total, 3),
        "supervisor_cpu_s": round(supervisor_after - supervisor_before, 3),
        "req_per_worker_cpu_s": parsed["requests"] / total if total else None,
        "cpu_share": [round(used[pid] / total, 3) if total else None for pid in pids],
        "flags": flags,
    }


def probe_spread(server: WorkersServer, connections: int) -> dict:
    """*connections* new connections, each a GET /workers/pid: the share each worker answered."""
    counts: collections.Counter[int] = collections.Counter()
    for _ in range(connections):
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            sock.sendall(b"GET /workers/pid HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            data = b""
            for _ in range(100):
                chunk = sock.recv(4096)
                if not chunk:
                    break
                data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            raise BenchError(f"{server.name}: /workers/pid answered {head[:80]!r}")
        counts[int(body)] += 1
    pids = server.worker_pids()
    return {"connections": connections, "share": [round(counts[pid] / connections, 3) for pid in pids]}


def fmt_share(shares: list[float | None]) -> str:
    return " / ".join("-" if s is None else f"{100 * s:.0f}%" for s in shares)


def print_table(rows: list[dict], spreads: dict[str, dict]) -> None:
    header = (
        f"{'server':<10} {'mode':<10} {'req/s':>8} {'worker CPU s':>13} {'req/worker CPU s':>17} "
        f"{'vs workers=1':>13} {'CPU share':>11} {'supervisor CPU s':>17}  flags"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        ratio = row.get("vs_one")
        print(
            f"{row['server']:<10} {row['mode']:<10} {row['rps']:>8.0f} {row['worker_cpu_s']:>13.2f} "
            f"{row['req_per_worker_cpu_s'] or 0:>17.0f} {('-' if ratio is None else f'{ratio:.2f}'):>13} "
            f"{fmt_share(row['cpu_share']):>11} {row['supervisor_cpu_s']:>17.2f}  {'; '.join(row['flags'])}"
        )
    print()
    for mode in sorted({row["mode"] for row in rows}):
        ratios = [r["vs_one"] for r in rows if r["mode"] == mode and r["server"] == "workers=2" and r.get("vs_one")]
        if ratios:
            print(
                f"{mode}: req per worker CPU s, workers=2 / workers=1, median of {len(ratios)} round(s): "
                f"{median(ratios):.2f} (rounds: {', '.join(f'{r:.2f}' for r in ratios)})"
            )
    for name, spread in spreads.items():
        print(f"{name}: share of {spread['connections']} new connections per worker: {fmt_share(spread['share'])}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=5.0, help="measured seconds per run (default 5)")
    parser.add_argument("--warmup", type=float, default=1.0, help="warm-up seconds per server and mode (default 1)")
    parser.add_argument("--connections", type=int, default=50, help="wrk connections (default 50)")
    parser.add_argument("--repeat", type=int, default=1, help="interleaved rounds (default 1, at most 10)")
    parser.add_argument("--mode", default="keepalive,close", help="keepalive, close or both (default both)")
    parser.add_argument("--probe", type=int, default=1000, help="new connections for the spread (default 1000)")
    args = parser.parse_args(argv)
    if not 1 <= args.repeat <= 10 or not 1 <= args.duration <= 60 or not 0 <= args.probe <= 20000:
        parser.error("--repeat 1..10, --duration 1..60, --probe 0..20000")
    modes = parse_modes(args.mode)
    if not os.path.isdir("/proc/self") or shutil.which("wrk") is None:
        print("needs Linux /proc and wrk on the PATH", file=sys.stderr)
        return 2
    ensure_project_venv()
    import tempfile

    rows: list[dict] = []
    spreads: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="bench-workers-") as tmp:
        servers = [WorkersServer(Path(tmp), 1), WorkersServer(Path(tmp), 2)]
        try:
            for server in servers:
                server.start()
                server.check()
            for mode in modes:
                for server in servers:
                    if args.warmup > 0:
                        run_wrk(server.url, args.warmup, args.connections, latency=False, mode=mode)
            for round_ in range(args.repeat):
                order = servers if round_ % 2 == 0 else list(reversed(servers))
                for mode in modes:
                    by_server = {}
                    for server in order:
                        wait_for_quiet(timeout=30)
                        row = measure(server, args.duration, args.connections, mode)
                        row["round"] = round_ + 1
                        by_server[server.name] = row
                        log(f"round {round_ + 1} {mode} {server.name}: {row['rps']:.0f} req/s")
                    one = by_server["workers=1"]["req_per_worker_cpu_s"]
                    for row in by_server.values():
                        per_cpu = row["req_per_worker_cpu_s"]
                        row["vs_one"] = per_cpu / one if per_cpu and one else None
                        rows.append(row)
            for server in servers:
                if args.probe:
                    spreads[server.name] = probe_spread(server, args.probe)
        finally:
            for server in servers:
                server.stop()
    rows.sort(key=lambda r: (r["round"], r["mode"], r["server"]))
    print(f"\nCPU: {cpu_model()}, {os.cpu_count()} cores, shared by wrk and the servers (nothing pinned)")
    print(f"wrk -t1 -c{args.connections} -d{wrk_seconds(args.duration)}s, {args.repeat} round(s)\n")
    print_table(rows, spreads)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"workers-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps({"args": vars(args), "rows": rows, "spreads": spreads}, indent=1))
    print(f"\nJSON: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
