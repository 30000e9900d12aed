#!/usr/bin/env python3
"""Graceful stop under chat load, then SIGTERM, SIGKILL and restart through
bin/startup.sh: every message the server accepted is delivered, every socket
gets 1001, the stop takes no longer than the grace period, and no stale PID
file or busy port is left.

    .venv/bin/python bench/hardening/graceful.py [--clients 20] [--load 3] [--rate 20] [--grace 10] [--stalled 0]

Part 1: N clients join (and, with --stalled K, K more that never read) the examples' chat (/examples/websocket/chat?name=cK);
each sends ``cK-i`` --rate times a second. After --load seconds the script
sends SIGTERM to the server's PID and the clients keep sending until their
socket closes. A message counts as accepted when at least one client received
it back (the chat broadcasts to every open session, the sender included);
it is delivered when every reading client received it. The client is one
asyncio process: at clients x rate x clients frames a second beyond ~10,000 it
cannot read as fast as the server sends, and becomes a slow reader itself. The stop time is from SIGTERM
to the process's exit; the grace is the Endpoint's (10 s, not configurable).

Part 2 (bin/startup.sh with CATALINA_BASE a temporary directory): start,
SIGTERM the PID in the PID file, check the PID file and the port; start,
SIGKILL; start again over the stale file; a PID file naming a live process
that is not catalina_py (a ``sleep`` started here); shutdown.sh then
startup.sh. Every process is stopped by its PID. Exit status 1 when a bound
fails.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

from bench.hardening import wsclient  # noqa: E402
from bench.hardening.common import REPO, new_base, print_table, start_server, verdict  # noqa: E402


async def chat(port: int, pid: int, clients: int, load: float, rate: float, stalled: int) -> dict:
    conns = []
    for k in range(clients):
        conns.append(await wsclient.connect(port, f"/examples/websocket/chat?name=c{k}", 10))
    stuck = []
    for k in range(stalled):
        stuck.append(await wsclient.connect(port, f"/examples/websocket/chat?name=stalled{k}", 10, read=False))
    await asyncio.sleep(0.5)
    sent: dict[int, int] = {k: 0 for k in range(clients)}
    stop_sending = asyncio.Event()

    async def sender(k: int, conn: wsclient.WsConn) -> None:
        while not stop_sending.is_set() and conn.close_code is None and not conn.eof_without_close:
            try:
                conn.send_text(f"c{k}-{sent[k]}")
                await conn.writer.drain()
            except (OSError, RuntimeError):
                return
            sent[k] += 1
            await asyncio.sleep(1 / rate)

    tasks = [asyncio.create_task(sender(k, c)) for k, c in enumerate(conns)]
    await asyncio.sleep(load)
    t_term = time.monotonic()
    os.kill(pid, signal.SIGTERM)
    loop = asyncio.get_running_loop()
    exit_at = await loop.run_in_executor(None, wait_exit, pid, 60.0)
    stop_sending.set()
    await asyncio.gather(*tasks)
    for c in conns:
        try:
            await asyncio.wait_for(asyncio.shield(c.task), 5)
        except TimeoutError:
            c.abort()
    for c in stuck:
        c.abort()
    received = [set(m for m in c.messages if ": c" in m) for c in conns]
    accepted = set().union(*received)
    missing = sum(len(accepted - r) for r in received)
    undelivered = sum(1 for m in accepted if any(m not in r for r in received))
    codes: dict[str, int] = {}
    for c in conns:
        key = str(c.close_code) if c.close_code is not None else "EOF, no close frame"
        codes[key] = codes.get(key, 0) + 1
    last_close = max((c.closed_at or t_term) for c in conns) - t_term
    return {
        "sent": sum(sent.values()),
        "accepted": len(accepted),
        "undelivered": undelivered,
        "missing": missing,
        "codes": codes,
        "stop_s": (exit_at - t_term) if exit_at else None,
        "last_close_s": last_close,
        "reasons": sorted({c.close_reason for c in conns}),
    }


def wait_exit(pid: int, timeout: float) -> float | None:
    """Waits for child *pid* to exit; returns the monotonic time it did (None: still running)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done:
            return time.monotonic()
        time.sleep(0.01)
    return None


def port_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def lifecycle() -> list[list]:
    """Part 2: startup.sh / signals / shutdown.sh in a fresh base."""
    from tests.server import CatalinaProcess

    base = new_base("lifecycle")
    holder = CatalinaProcess(base, webapps={"examples": REPO / "webapps" / "examples"})
    port = holder.port
    env = dict(os.environ, CATALINA_HOME=str(REPO), CATALINA_BASE=str(base))
    env.pop("CATALINA_PID", None)
    pidfile = base / "logs" / "catalina.pid"
    rows: list[list] = []

    def startup(label: str) -> int | None:
        t0 = time.monotonic()
        r = subprocess.run([str(REPO / "bin" / "startup.sh")], env=env, capture_output=True, text=True, timeout=90)
        took = time.monotonic() - t0
        pid = int(pidfile.read_text()) if pidfile.exists() else None
        ok = r.returncode == 0 and pid is not None and pid_alive(pid)
        rows.append(
            [
                label,
                f"startup.sh exit {r.returncode} in {took:.1f} s",
                f"PID {pid}",
                "ok" if ok else "FAIL: " + (r.stdout + r.stderr).strip()[-120:],
            ]
        )
        return pid if ok else None

    def after(label: str, pid: int, how: str) -> None:
        deadline = time.monotonic() + 30
        while pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        stale = pidfile.exists()
        free = port_free(port)
        good = not pid_alive(pid) and free and (not stale or how == "SIGKILL")
        rows.append(
            [
                label,
                f"process gone: {not pid_alive(pid)}",
                f"PID file left: {stale}; port free: {free}",
                "ok" if good else "FAIL",
            ]
        )

    pid = startup("start")
    if pid:
        os.kill(pid, signal.SIGTERM)
        after("SIGTERM", pid, "SIGTERM")
    pid = startup("start after SIGTERM")
    if pid:
        os.kill(pid, signal.SIGKILL)
        after("SIGKILL", pid, "SIGKILL")
    pid = startup("start over the PID file SIGKILL left")
    if pid:
        os.kill(pid, signal.SIGTERM)
        after("SIGTERM", pid, "SIGTERM")
    sleeper = subprocess.Popen(["sleep", "120"])
    pidfile.write_text(f"{sleeper.pid}\n")
    pid = startup("start with a PID file naming another live process (sleep)")
    sleeper.kill()
    sleeper.wait()
    if pid:
        t0 = time.monotonic()
        r = subprocess.run([str(REPO / "bin" / "shutdown.sh")], env=env, capture_output=True, text=True, timeout=90)
        rows.append(
            [
                "shutdown.sh",
                f"exit {r.returncode} in {time.monotonic() - t0:.1f} s",
                r.stdout.strip()[-80:],
                "ok" if r.returncode == 0 else "FAIL",
            ]
        )
        after("after shutdown.sh", pid, "shutdown")
        pid = startup("restart after shutdown.sh")
        if pid:
            os.kill(pid, signal.SIGTERM)
            after("SIGTERM", pid, "SIGTERM")
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--load", type=float, default=3.0, help="seconds of chat before SIGTERM")
    parser.add_argument("--rate", type=float, default=20.0, help="messages a second per client")
    parser.add_argument("--grace", type=float, default=10.0)
    parser.add_argument(
        "--stalled", type=int, default=0, help="extra clients that join and never read (their buffers fill up)"
    )
    parser.add_argument("--skip-lifecycle", action="store_true")
    args = parser.parse_args(argv)
    base = new_base("graceful")
    server = start_server(base)
    pid = server.proc.pid
    print(f"server pid {pid} port {server.port} base {base}")
    try:
        result = asyncio.run(chat(server.port, pid, args.clients, args.load, args.rate, args.stalled))
    finally:
        server.stop()
    port_after = port_free(server.port)
    print_table(
        f"Chat: {args.clients} clients x {args.rate:g} msg/s ({args.stalled} stalled) for {args.load:g} s, then SIGTERM",
        [
            "sent",
            "accepted (echoed to someone)",
            "not delivered to all",
            "missing deliveries",
            "close codes",
            "close reasons",
            "last close s",
            "stop s (SIGTERM -> exit)",
            "port free after",
        ],
        [
            [
                result["sent"],
                result["accepted"],
                result["undelivered"],
                result["missing"],
                result["codes"],
                result["reasons"],
                result["last_close_s"],
                result["stop_s"],
                port_after,
            ]
        ],
    )
    rows = [] if args.skip_lifecycle else lifecycle()
    if rows:
        print_table(
            "startup.sh, signals, shutdown.sh (PID file: $CATALINA_BASE/logs/catalina.pid)",
            ["step", "what", "state", "result"],
            rows,
        )
    stop_s = result["stop_s"]
    return verdict(
        [
            (
                "every accepted message delivered to every client",
                result["undelivered"] == 0,
                f"{result['undelivered']} of {result['accepted']} not delivered to all ({result['missing']} deliveries missing)",
            ),
            ("every socket got 1001", set(result["codes"]) == {"1001"}, str(result["codes"])),
            (
                f"stop within the grace ({args.grace:g} s)",
                stop_s is not None and stop_s <= args.grace,
                f"{stop_s:.2f} s" if stop_s else "did not exit",
            ),
            ("port free after the stop", port_after, str(port_after)),
            (
                "startup/signal/shutdown steps",
                all(r[3] == "ok" for r in rows),
                f"{sum(r[3] != 'ok' for r in rows)} failed of {len(rows)}",
            ),
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
