#!/usr/bin/env python3
"""WebSocket echo throughput, latency, handshake rate and idle memory: catalina_py and its peers, with a load
client of its own.

    python bench/ws_echo.py [--servers catalina,websockets,aiohttp,gevent-websocket,tomcat]
                            [--scenarios pipelined,bulk,roundtrip,opens,idle] [--rounds 3] [--duration 10]
                            [--connections 50] [--home DIR[,DIR...]]

Servers, each serving a WebSocket echo on 127.0.0.1 (every message sent back unchanged, text as text, binary as
binary; no compression):

  catalina          catalina_py with the examples webapp: /examples/websocket/echo (parts, blocking sends)
  websockets        the websockets library's asyncio server (bench/peers/ws_websockets.py): /echo
  aiohttp           an aiohttp web.Application with a WebSocketResponse handler (bench/peers/ws_aiohttp.py): /echo
  gevent-websocket  gevent-websocket's WebSocketHandler on gevent.pywsgi (bench/peers/ws_gevent.py): /echo
  tomcat            Tomcat 10.1 (Debian's tomcat10, tomcat10-examples) with its JSR-356 example
                    /examples/websocket/echoAnnotation, text and binary buffers raised to --tomcat-buffer

The Python peers run on bench/.venv (created on first use; the packages are not dependencies of catalina_py).
A peer whose software cannot be installed, or Tomcat when it is not installed, gets a "not measured" row with
the reason; catalina must run.

Scenarios:

  pipelined (a)  16-byte text messages, a window of --window (32) in flight per connection; replies are
                 answered with as many new messages in one write (many frames per write): msgs/s
  bulk      (b)  64 KiB binary messages, --bulk-window (4) in flight per connection: MB/s one way
  roundtrip (c)  one 16-byte text message in flight per connection: round trips/s, p50 and p99 latency
  idle      (d)  --idle-connections (1000) held --idle-hold (30) s, each pinged every --idle-ping-every
                 (10) s, the server's pings answered: server RSS per connection (VmRSS of /proc/PID/status,
                 before opening and at the end), pongs received, connections dropped
  opens     (e)  each connection opens a WebSocket (connect, upgrade: 101 and Sec-WebSocket-Accept checked),
                 echoes one 16-byte text message, closes (close frames both ways, then the server's FIN),
                 and again: opens/s, p50 and p99 of the whole open+echo+close

Every echo is verified byte for byte (a mismatch, a missing or extra message fails the run). The client is
bench/ws_client.py (RFC 6455 framing of its own, masked frames, no extension offered; nothing imported from
catalina_py) driving all connections from one thread with a selector, pinned to CPU 1; each server runs
pinned to CPU 0 (its PID checked to be the server's own process, not a wrapper).

All servers are started together and measured in alternating rounds (A B C, C B A, A B C ...), after a warm-up
per server and scenario (--warmup, Tomcat --tomcat-warmup for its JIT); the table gives each server's median
run and the median of the per-round ratios catalina/this (the first catalina row's figure over this row's),
of the rate and of the server's CPU per message. --home DIR[,DIR...] runs catalina once per checkout (rows
catalina[label]; before/after lines printed after the table). --restart starts a fresh server for every echo
run. The idle scenario always starts a fresh server for each of its runs (memory a process has once used is
not given back). Results: a table on stdout and JSON in bench/results/ws_echo-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import selectors
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.append(str(BENCH.parent))  # tests.autobahn.suite: the one Tomcat-with-examples setup

from homes import CatalinaHome, HomeError, describe, ensure_venv, parse_homes  # noqa: E402
from http_hello import (  # noqa: E402
    BENCH_PYTHON,
    PEERS,
    REPO,
    RESULTS,
    SERVER_CPU,
    WRK_CPU,
    BenchError,
    CatalinaServer,
    Server,
    bench_versions,
    cpu_model,
    ensure_bench_venv,
    java_version,
    log,
    median,
    process_cpu_seconds,
    wait_for_quiet,
)
from ws_client import OP_BINARY, OP_TEXT, FrameParser, WsProtocolError, connect, encode_frame  # noqa: E402
from ws_scenarios import EchoSpec, OpensSpec, close_all, run_echo, run_idle, run_opens  # noqa: E402

from tests.autobahn.suite import (  # noqa: E402
    TOMCAT_ECHO_PATH,
    TOMCAT_READY_PATH,
    missing_tomcat_examples,
    tomcat_examples_process,
)

T = TypeVar("T")
ECHO_PATH = "/examples/websocket/echo"
PEER_PATH = "/echo"
CLIENT_CPU = WRK_CPU
SERVERS = ("catalina", "websockets", "aiohttp", "gevent-websocket", "tomcat")
#: Each Python peer's script in bench/peers/ and the bench/.venv packages it needs.
PEER_SCRIPTS = {
    "websockets": ("ws_websockets.py", ["websockets"]),
    "aiohttp": ("ws_aiohttp.py", ["aiohttp"]),
    "gevent-websocket": ("ws_gevent.py", ["gevent", "gevent-websocket", "wsaccel"]),
}
#: The bench/.venv packages whose versions the results record.
PEER_PACKAGES = ["websockets", "aiohttp", "gevent-websocket", "gevent", "greenlet", "wsaccel"]
SCENARIOS = {"a": "pipelined", "b": "bulk", "c": "roundtrip", "d": "idle", "e": "opens"}
DEFAULT_SCENARIOS = "pipelined,bulk,roundtrip,opens,idle"
#: The figure each scenario is judged on, and whether more is better.
METRIC = {
    "pipelined": ("msgs_per_s", True),
    "bulk": ("mb_per_s", True),
    "roundtrip": ("msgs_per_s", True),
    "opens": ("opens_per_s", True),
    "idle": ("rss_per_connection_kib", False),
}
#: The server's CPU per unit of work, by scenario (none for idle).
CPU_KEY = {
    "pipelined": "server_cpu_us_per_msg",
    "bulk": "server_cpu_us_per_msg",
    "roundtrip": "server_cpu_us_per_msg",
    "opens": "server_cpu_us_per_open",
}
#: The part size catalina_py's echo endpoint is given (webapps/examples/.../websocket/echo.py PART_SIZE).
CATALINA_PART_SIZE = 65536


class WsEcho:
    """What every server of this benchmark shares: its ws:// URL, its PID, and the echo check."""

    name: str
    port: int
    path: str
    proc: subprocess.Popen | None

    @property
    def url(self) -> str:
        """The echo's ws:// URL."""
        return f"ws://127.0.0.1:{self.port}{self.path}"

    @property
    def pid(self) -> int:
        """The server process's own PID (the one whose CPU and memory are read)."""
        assert self.proc is not None
        return self.proc.pid

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
            raise BenchError(f"{self.name}: WebSocket check of {self.url} failed: {exc}") from exc
        finally:
            with selectors.DefaultSelector() as sel:
                close_all(sel, [sock])

    def software(self) -> dict[str, Any]:
        """What runs, for the results (versions)."""
        return {}


class EchoServer(WsEcho, CatalinaServer):
    """catalina_py serving the examples webapp, from this checkout or another CATALINA_HOME."""

    path = ECHO_PATH


class PeerServer(WsEcho, Server):
    """A Python peer of bench/peers/ on bench/.venv, started as ``taskset -c 0 python peers/X.py PORT``
    (taskset execs python, so the PID is the server's)."""

    path = PEER_PATH

    def __init__(self, workdir: Path, name: str) -> None:
        self.name = name
        super().__init__(workdir)

    def command(self) -> list[str]:
        """The peer's script on bench/.venv's interpreter."""
        return [str(BENCH_PYTHON), str(PEERS / PEER_SCRIPTS[self.name][0]), str(self.port)]


@contextmanager
def pinned(cpus: set[int]) -> Iterator[None]:
    """This thread (and the processes it starts meanwhile) on ``cpus``; the previous affinity restored after."""
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, cpus)
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def set_tomcat_buffers(web_xml: Path, size: int) -> None:
    """Adds the context-params that set Tomcat's WebSocket text and binary buffers to ``size`` bytes to a
    copied web.xml (written anew, never through a link to the installed file)."""
    text = web_xml.read_text()
    params = "".join(
        f"\n  <context-param>\n    <param-name>org.apache.tomcat.websocket.{name}</param-name>\n"
        f"    <param-value>{size}</param-value>\n  </context-param>"
        for name in ("textBufferSize", "binaryBufferSize")
    )
    text, count = re.subn(r"(<web-app\b[^>]*>)", lambda m: m.group(1) + params, text, count=1)
    if count != 1:
        raise BenchError(f"{web_xml}: no <web-app> element to add the buffer sizes to")
    web_xml.unlink()
    web_xml.write_text(text)


class TomcatEchoServer(WsEcho):
    """Tomcat 10.1 with Debian's examples webapp (tests/autobahn/suite.py's setup: own CATALINA_BASE, full
    JIT), started on CPU 0; the echo is the JSR-356 example EchoAnnotation (parts echoed as they come).

    ``buffer_size`` (bytes, 0: Tomcat's default of 8 KiB) sets org.apache.tomcat.websocket.textBufferSize
    and binaryBufferSize in the copied webapp's web.xml: the largest part a message is handed over in.
    """

    name = "tomcat"
    path = TOMCAT_ECHO_PATH

    def __init__(self, workdir: Path, buffer_size: int) -> None:
        self.process = tomcat_examples_process(workdir / self.name)
        self.port = self.process.port
        self.buffer_size = buffer_size
        self.proc = None
        if buffer_size:
            set_tomcat_buffers(self.process.base / "webapps" / "examples" / "WEB-INF" / "web.xml", buffer_size)

    def start(self) -> None:
        """Starts catalina.sh run (which execs java) with this thread on CPU 0, so the JVM is pinned there."""
        with pinned({int(SERVER_CPU)}):
            try:
                self.process.start(timeout=180, ready_url=TOMCAT_READY_PATH)
            except RuntimeError as exc:
                raise BenchError(f"tomcat did not start: {exc}") from exc
        self.proc = self.process.proc
        log(f"tomcat: started PID {self.pid} on port {self.port}")

    def stop(self) -> int | None:
        """SIGTERM to the JVM (SIGKILL after 15 s); its exit code."""
        proc = self.process.proc
        self.process.stop()
        return None if proc is None else proc.returncode

    def software(self) -> dict[str, Any]:
        """Tomcat's version (from its start-up log) and Java's."""
        found = re.search(r"Server version name:\s*(.+)", self.process.output())
        return {
            "tomcat": found.group(1).strip() if found else "?",
            "java": java_version(),
            "endpoint": self.path,
            "buffer_bytes": self.buffer_size or "default (8192)",
        }


def check_server_process(server: WsEcho) -> dict[str, str | int]:
    """Fails unless the server's PID is the server itself (not a shell or taskset) and is pinned to CPU 0."""
    pid = server.pid
    try:
        exe = os.readlink(f"/proc/{pid}/exe")
        with open(f"/proc/{pid}/status") as f:
            status = dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)
    except OSError as exc:
        raise BenchError(f"{server.name}: cannot read /proc/{pid}: {exc}") from exc
    if Path(exe).name in ("sh", "bash", "dash", "taskset", "env"):
        raise BenchError(f"{server.name}: PID {pid} is {exe}, a wrapper, not the server")
    cpus = status.get("Cpus_allowed_list", "?").strip()
    if cpus != SERVER_CPU:
        raise BenchError(f"{server.name}: PID {pid} may run on CPUs {cpus}, not only {SERVER_CPU}")
    return {"pid": pid, "exe": exe, "threads": int(status.get("Threads", "0")), "cpus": cpus}


def start_server(server: WsEcho) -> dict[str, Any]:
    """Starts the server, checks its process and its echo; returns what its process is and runs."""
    server.start()
    process = check_server_process(server)
    server.check()
    log(f"{server.name}: PID {process['pid']} is {process['exe']} on CPU {process['cpus']}; echo checked")
    return {**process, **server.software()}


#: How to make a server: its row name and a factory taking the directory to put it in.
Kind = tuple[str, Callable[[Path], WsEcho]]


def server_kinds(
    selected: list[str], homes: list[CatalinaHome], named_homes: bool, tomcat_buffer: int
) -> tuple[list[Kind], dict[str, str]]:
    """The servers to measure, catalina first (one per home), and why each of the others is not measured.

    A Python peer's packages are installed into bench/.venv here (gevent at the version catalina_py's .venv
    has, so both run the same gevent); one that cannot be installed is skipped with pip's reason.
    """
    kinds: list[Kind] = []
    skipped: dict[str, str] = {}
    for home in homes:
        kinds.append(
            (f"catalina[{home.label}]", lambda d, h=home: EchoServer(d, h))
            if named_homes
            else ("catalina", lambda d: EchoServer(d, None))
        )
    for name in (n for n in selected if n != "catalina"):
        if name in PEER_SCRIPTS:
            packages = list(PEER_SCRIPTS[name][1])
            gevent = package_version(homes[0].python, "gevent") if "gevent" in packages else None
            if gevent:
                packages[packages.index("gevent")] = f"gevent=={gevent}"
            try:
                ensure_bench_venv(packages)
            except BenchError as exc:
                skipped[name] = str(exc)
                log(f"{name}: not measured: {exc}")
                continue
            kinds.append((name, lambda d, n=name: PeerServer(d, n)))
        elif name == "tomcat":
            reason = missing_tomcat_examples()
            if reason:
                skipped[name] = reason
                log(f"tomcat: not measured: {reason}")
                continue
            kinds.append(("tomcat", lambda d: TomcatEchoServer(d, tomcat_buffer)))
    return kinds, skipped


def package_version(python: Path, package: str) -> str | None:
    """The version of ``package`` that interpreter ``python`` imports, None when it has none."""
    script = "import importlib.metadata as m, sys\nprint(m.version(sys.argv[1]))"
    done = subprocess.run([str(python), "-c", script, package], cwd="/", capture_output=True, text=True, timeout=60)
    return done.stdout.strip() if done.returncode == 0 else None


def python_version(python: Path) -> str:
    """The version of interpreter ``python``."""
    done = subprocess.run(
        [str(python), "-c", "import platform; print(platform.python_version())"],
        cwd="/",
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done.stdout.strip() if done.returncode == 0 else "?"


def make_spec(name: str, args: argparse.Namespace, duration: float) -> EchoSpec | OpensSpec:
    """The spec of scenario ``name`` with the command line's sizes and windows."""
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
    if name == "opens":
        return OpensSpec(name, args.connections, duration, args.message_size)
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


def measure(server: WsEcho, spec: EchoSpec | OpensSpec) -> dict:
    """One run of an echo or opens scenario, with the CPU used by the server, the client and everything else.

    All in % of one core over the measured seconds: the server near 100 means it was the bottleneck, as
    it should be; "others" well above 0 means other processes shared the two CPUs and the run is noisy.
    """
    pid = server.pid
    busy0, wall0 = busy_seconds(), time.monotonic()
    server0, client0 = process_cpu_seconds(pid), time.process_time()
    try:
        if isinstance(spec, OpensSpec):
            result = run_opens("127.0.0.1", server.port, server.path, spec, lambda: process_cpu_seconds(pid))
        else:
            result = run_echo("127.0.0.1", server.port, server.path, spec, lambda: process_cpu_seconds(pid))
    except (OSError, WsProtocolError) as exc:
        raise BenchError(f"{server.name}: {spec.name}: {exc}") from exc
    # Over the whole call (connections opened, measured seconds, drain, close): what CPUs 0 and 1 did
    # besides the server and this client.
    others = busy_seconds() - busy0 - (process_cpu_seconds(pid) - server0) - (time.process_time() - client0)
    result["others_cpu_pct"] = round(max(0.0, 100 * others / (time.monotonic() - wall0)), 1)
    if result["others_cpu_pct"] > 20:
        log(f"WARNING: {result['others_cpu_pct']:.0f}% of a CPU went to other work during the run: noisy")
    if result["client_cpu_pct"] > 90:
        log(f"WARNING: the client used {result['client_cpu_pct']}% of CPU {CLIENT_CPU}: it may be the bottleneck")
    return result


def warmup_seconds(name: str, args: argparse.Namespace) -> float:
    """The warm-up before a server's runs of a scenario: Tomcat's JIT needs longer."""
    return args.tomcat_warmup if name == "tomcat" else args.warmup


def run_echo_scenarios(
    names: list[str], kinds: list[Kind], workdir: Path, args: argparse.Namespace, processes: dict[str, dict]
) -> dict[str, dict[str, list[dict]]]:
    """Every echo and opens scenario: ``args.rounds`` rounds alternating the servers, each after a warm-up.

    All servers are started first and serve every round, warmed up once per scenario; with ``args.restart``
    each run gets a freshly started (and warmed-up) server instead, so that the rounds also sample what
    differs from one process to the next (memory layout, string hashing), not only the machine's drift.
    """
    runs: dict[str, dict[str, list[dict]]] = {name: {kind: [] for kind, _ in kinds} for name in names}
    shared: dict[str, WsEcho] = {}
    try:
        if not args.restart:
            for kind, make in kinds:
                shared[kind] = make(workdir / "echo")
                processes[kind] = start_server(shared[kind])
        for name in names:
            for server in shared.values():
                warm_up(server, name, args)
            for i in range(args.rounds):
                # Every other round in the reverse order (A B C, C B A, A B C ...): a server that always ran
                # after another would carry whatever that one leaves behind (in the machine, not in it).
                for kind, make in alternate(kinds, i):
                    server = shared[kind] if shared else make(workdir / f"{name}-{i}")
                    try:
                        if not shared:
                            processes[kind] = start_server(server)
                            warm_up(server, name, args)
                        wait_for_quiet(timeout=args.quiet_wait)
                        log(
                            f"{server.name}: {name}: measuring {args.duration:g} s, {args.connections} connections "
                            f"(round {i + 1}/{args.rounds})"
                        )
                        result = measure(server, make_spec(name, args, args.duration))
                        runs[name][kind].append(result)
                        log_result(server, result)
                        server.check()
                    finally:
                        if not shared:
                            server.stop()
    finally:
        for server in shared.values():
            server.stop()
    return runs


def alternate(items: Iterable[T], round_index: int) -> list[T]:
    """``items`` in order in even rounds, reversed in odd ones (A B, B A, A B ...)."""
    ordered = list(items)
    return ordered[::-1] if round_index % 2 else ordered


def warm_up(server: WsEcho, name: str, args: argparse.Namespace) -> None:
    """A short unmeasured run of scenario ``name`` (nothing of it is kept)."""
    seconds = warmup_seconds(server.name, args)
    if seconds > 0:
        log(f"{server.name}: {name}: warm-up {seconds:g} s")
        measure(server, make_spec(name, args, seconds))


def log_result(server: WsEcho, result: dict) -> None:
    """One measured run on stderr, with how evenly the connections were served."""
    spread = (
        f"per connection min {result['per_connection_min']}, median {result['per_connection_median']}, "
        f"max {result['per_connection_max']}"
    )
    cpu = (
        f"CPU server {result['server_cpu_pct']}%, client {result['client_cpu_pct']}%, "
        f"others {result['others_cpu_pct']}%"
    )
    if result["scenario"] == "opens":
        log(
            f"{server.name}:   {result['opens_per_s']:,.0f} opens/s, p50 {result['p50_ms']} ms, p99 "
            f"{result['p99_ms']} ms; {fmt(result['server_cpu_us_per_open'], '.1f')} µs CPU/open; {cpu}; opens {spread}; "
            f"server close frames: code 1000 {result['server_close_1000']}, empty {result['server_close_empty']}"
        )
        return
    log(
        f"{server.name}:   {result['msgs_per_s']:,.0f} msgs/s, {result['mb_per_s']:,.1f} MB/s, "
        f"p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms; {fmt(result['server_cpu_us_per_msg'], '.2f')} "
        f"µs CPU/msg; {cpu}; messages {spread}; {result['reply_frames_per_message']} frames per reply, "
        f"{result['server_pings']} server pings"
    )


def run_idle_scenario(
    kinds: list[Kind], workdir: Path, args: argparse.Namespace, processes: dict[str, dict]
) -> dict[str, list[dict]]:
    """The idle scenario, ``args.rounds`` rounds alternating the servers, each on a freshly started server."""
    runs: dict[str, list[dict]] = {kind: [] for kind, _ in kinds}
    for i in range(args.rounds):
        for kind, make in alternate(kinds, i):
            server = make(workdir / f"idle-{i}")
            try:
                processes[kind] = start_server(server)
                wait_for_quiet(timeout=args.quiet_wait)
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
                    server.pid,
                )
                runs[kind].append(result)
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


def ratios(base: list[float | None], values: list[float | None]) -> list[float | None]:
    """Per round, ``base`` over ``values`` (None where either is missing or the divisor is 0)."""
    return [b / v if b is not None and v else None for b, v in zip(base, values, strict=True)]


def median_of(values: list[float | None]) -> float | None:
    """The median (lower middle) of the values that are there, None when none is."""
    present = [v for v in values if v is not None]
    return median(present) if present else None


def summarize(scenario: str, runs: dict[str, list[dict]]) -> list[dict]:
    """One row per server: its median run, every run's figure, and per round catalina/this.

    The first server of ``runs`` is catalina (the first home): each other row gets, round by round, catalina's
    figure over its own, for the scenario's figure and for the server's CPU per message (or per open), and
    the median of each.
    """
    key, _ = METRIC[scenario]
    cpu_key = CPU_KEY.get(scenario)
    rows = []
    base: dict | None = None
    for name, results in runs.items():
        values = [r[key] for r in results]
        best = sorted(results, key=lambda r: r[key])[(len(results) - 1) // 2]
        row = {"scenario": scenario, "server": name, "measured": True, "metric": key, **best, "all_runs": values}
        if cpu_key:
            row["all_runs_cpu"] = [r[cpu_key] for r in results]
            row["server_cpu_median"] = median_of(row["all_runs_cpu"])
        if base is None:
            base = row
        else:
            rounds = ratios(base["all_runs"], values)
            row["catalina_over_this_per_round"] = rounds
            row["catalina_over_this_median"] = median_of(rounds)
            if cpu_key:
                cpu = ratios(base["all_runs_cpu"], row["all_runs_cpu"])
                row["cpu_catalina_over_this_per_round"] = cpu
                row["cpu_catalina_over_this_median"] = median_of(cpu)
        rows.append(row)
    return rows


def home_ratios(rows: list[dict], labels: list[str]) -> dict[str, dict[str, dict[str, list[float | None]]]]:
    """For each catalina home after the first: its figure and its CPU over the first home's, per round and
    scenario (the before/after reading: > 1 in a rate = the later home is faster)."""
    out: dict[str, dict[str, dict[str, list[float | None]]]] = {}
    for scenario in dict.fromkeys(r["scenario"] for r in rows if r.get("measured")):
        by_name = {r["server"]: r for r in rows if r["scenario"] == scenario and r.get("measured")}
        first = by_name[f"catalina[{labels[0]}]"]
        for label in labels[1:]:
            row = by_name[f"catalina[{label}]"]
            entry = {"rate": ratios(row["all_runs"], first["all_runs"])}
            if "all_runs_cpu" in row:
                entry["cpu"] = ratios(row["all_runs_cpu"], first["all_runs_cpu"])
            out.setdefault(label, {})[scenario] = entry
    return out


def fmt_ratios(median_value: float | None, rounds: list[float | None]) -> str:
    """``0.990 (0.980/0.990/1.010)``: a median ratio and the per-round ones."""
    return f"{fmt(median_value, '.3f')} ({'/'.join(fmt(x, '.3f') for x in rounds)})"


def fmt(value: float | None, spec: str = ",.0f") -> str:
    """``value`` formatted, ``-`` for None."""
    return "-" if value is None else format(value, spec)


def row_ratios(r: dict) -> tuple[str, str]:
    """The two ratio cells of a row (empty for the catalina row the others are compared with)."""
    rate = (
        fmt_ratios(r["catalina_over_this_median"], r["catalina_over_this_per_round"])
        if "catalina_over_this_median" in r
        else ""
    )
    cpu = (
        fmt_ratios(r["cpu_catalina_over_this_median"], r["cpu_catalina_over_this_per_round"])
        if "cpu_catalina_over_this_median" in r
        else ""
    )
    return rate, cpu


def print_table(rows: list[dict]) -> None:
    """The echo rows, the opens rows, then the idle rows; the servers not measured, with why."""
    w = max([8, *(len(r["server"]) for r in rows)])
    sections = [
        ([r for r in rows if r["scenario"] in ("pipelined", "bulk", "roundtrip")], "echo"),
        ([r for r in rows if r["scenario"] == "opens"], "opens"),
        ([r for r in rows if r["scenario"] == "idle"], "idle"),
    ]
    first = True
    for section, kind in sections:
        if not section:
            continue
        if not first:
            print()
        first = False
        if kind == "echo":
            header = (
                f"{'scenario':<10} {'server':<{w}} {'msgs/s':>9} {'MB/s':>8} {'p50 ms':>7} {'p99 ms':>7} "
                f"{'µs/msg':>7} {'srv CPU':>7} {'cli CPU':>7} {'others':>7} {'frm/msg':>7}  "
                f"{'catalina/this msgs/s: median (rounds)':<38} catalina/this µs/msg"
            )
        elif kind == "opens":
            header = (
                f"{'scenario':<10} {'server':<{w}} {'opens/s':>9} {'p50 ms':>7} {'p99 ms':>7} {'µs/open':>8} "
                f"{'srv CPU':>7} {'cli CPU':>7} {'others':>7}  {'catalina/this opens/s: median (rounds)':<38} "
                "catalina/this µs/open"
            )
        else:
            header = (
                f"{'scenario':<10} {'server':<{w}} {'conns':>6} {'KiB/conn':>9} {'pongs':>13} {'dropped':>7} "
                f"{'srv pings':>9} {'opens/s':>8}  catalina/this KiB/conn: median (rounds)"
            )
        print(header)
        print("-" * len(header))
        for r in section:
            if not r.get("measured"):
                print(f"{r['scenario']:<10} {r['server']:<{w}} not measured: {r['reason']}")
                continue
            rate, cpu = row_ratios(r)
            if kind == "echo":
                print(
                    f"{r['scenario']:<10} {r['server']:<{w}} {fmt(r['msgs_per_s']):>9} {fmt(r['mb_per_s'], ',.1f'):>8} "
                    f"{fmt(r['p50_ms'], '.2f'):>7} {fmt(r['p99_ms'], '.2f'):>7} "
                    f"{fmt(r['server_cpu_median'], '.2f'):>7} {r['server_cpu_pct']:>6}% "
                    f"{r['client_cpu_pct']:>6}% {r['others_cpu_pct']:>6}% {fmt(r['reply_frames_per_message'], '.2f'):>7}  "
                    f"{rate:<38} {cpu}"
                )
            elif kind == "opens":
                print(
                    f"{r['scenario']:<10} {r['server']:<{w}} {fmt(r['opens_per_s']):>9} "
                    f"{fmt(r['p50_ms'], '.2f'):>7} {fmt(r['p99_ms'], '.2f'):>7} {fmt(r['server_cpu_median'], '.1f'):>8} "
                    f"{r['server_cpu_pct']:>6}% {r['client_cpu_pct']:>6}% {r['others_cpu_pct']:>6}%  {rate:<38} {cpu}"
                )
            else:
                pongs = f"{r['pongs_ok']}/{r['pings_sent']}"
                print(
                    f"{'idle':<10} {r['server']:<{w}} {r['connections']:>6} {r['rss_per_connection_kib']:>9.1f} "
                    f"{pongs:>13} {r['dropped']:>7} {r['server_pings_answered']:>9} {fmt(r['opens_per_s']):>8}  "
                    f"{rate}"
                )


def print_notes(rows: list[dict]) -> None:
    """Below the tables: the runs where the server served its connections very unevenly (the least served
    connection got under a quarter of the median's echoes, or the most served over four times the median):
    the rate is then mostly that of a few connections."""
    for r in rows:
        if r.get("measured") and "per_connection_min" in r:
            low, mid, high = r["per_connection_min"], r["per_connection_median"], r["per_connection_max"]
            if low == 0 or low * 4 < mid or high > 4 * mid:
                unit = "opens" if r["scenario"] == "opens" else "echoes"
                print(
                    f"note: {r['server']} {r['scenario']}: uneven service, {unit} per connection in the measured "
                    f"time min {low}, median {mid}, max {high}"
                )


def print_homes(homes: dict[str, dict[str, dict[str, list[float | None]]]], first: str) -> None:
    """The before/after lines: each later home over the first, per scenario, per round and median."""
    for label, scenarios in homes.items():
        print()
        for scenario, entry in scenarios.items():
            line = f"catalina[{label}] / catalina[{first}] {scenario}: {METRIC[scenario][0]} " + fmt_ratios(
                median_of(entry["rate"]), entry["rate"]
            )
            if "cpu" in entry:
                line += f"; server CPU per unit {fmt_ratios(median_of(entry['cpu']), entry['cpu'])}"
            print(line)


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


def parse_servers(text: str) -> list[str]:
    """``catalina,tomcat`` as server names, each once, catalina first (the others are compared with it)."""
    names = []
    for part in (p.strip().lower() for p in text.split(",")):
        if not part:
            continue
        if part not in SERVERS:
            raise ValueError(f"unknown server {part!r}; choose from {', '.join(SERVERS)}")
        if part not in names:
            names.append(part)
    if "catalina" not in names:
        raise ValueError("--servers must include catalina (every ratio is to catalina)")
    names.remove("catalina")
    return ["catalina", *names]


def raise_fd_limit(need: int) -> None:
    """Raises this process's open-file limit (which the servers inherit) towards ``need``."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        target = need if hard == resource.RLIM_INFINITY else min(need, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        if target < need:
            log(f"WARNING: open-file limit {target} < {need}: the idle scenario may fail")


def software(kinds: list[Kind], homes: list[CatalinaHome], processes: dict[str, dict]) -> dict[str, Any]:
    """What each measured server ran: checkouts, interpreters, library versions, Tomcat and Java."""
    names = [kind for kind, _ in kinds]
    out: dict[str, Any] = {
        "catalina": [
            {
                "row": row,
                **describe(home),
                "python": python_version(home.python),
                "gevent": package_version(home.python, "gevent"),
            }
            for (row, _), home in zip(kinds, homes, strict=False)
        ]
    }
    if any(name in PEER_SCRIPTS for name in names):
        out["peers"] = {"python": python_version(BENCH_PYTHON), "packages": bench_versions(PEER_PACKAGES)}
    if "tomcat" in processes:
        out["tomcat"] = {k: v for k, v in processes["tomcat"].items() if k in ("tomcat", "java", "buffer_bytes")}
    return out


def software_lines(info: dict[str, Any]) -> list[str]:
    """The versions, for the table's header."""
    lines = []
    for home in info["catalina"]:
        dirty = ", modified" if home["dirty"] else ""
        lines.append(
            f"{home['row']}: catalina_py {home['commit']}{dirty} ({home['path']}) on Python {home['python']}, "
            f"gevent {home['gevent']}"
        )
    if "peers" in info:
        versions = ", ".join(f"{name} {v}" for name, v in info["peers"]["packages"].items() if v)
        lines.append(f"peers (bench/.venv, Python {info['peers']['python']}): {versions}")
    if "tomcat" in info:
        t = info["tomcat"]
        lines.append(f"tomcat: {t['tomcat']}, {t['java']}; echoAnnotation, text/binary buffers {t['buffer_bytes']}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--servers",
        default=",".join(SERVERS),
        help=f"comma-separated, catalina among them: {', '.join(SERVERS)} (default: all)",
    )
    parser.add_argument(
        "--scenarios",
        default=DEFAULT_SCENARIOS,
        help="comma-separated: a/pipelined, b/bulk, c/roundtrip, d/idle, e/opens (default: all)",
    )
    parser.add_argument("--rounds", type=int, default=3, help="measured rounds per server (default 3)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per echo or opens run (default 10)")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds per server and scenario")
    parser.add_argument(
        "--tomcat-warmup",
        type=float,
        default=10.0,
        help="warm-up seconds for Tomcat per scenario, whose JIT needs longer (default 10)",
    )
    parser.add_argument(
        "--tomcat-buffer",
        type=int,
        default=CATALINA_PART_SIZE,
        help="Tomcat's WebSocket text and binary buffer sizes in bytes, the largest part the echo is handed "
        f"(default {CATALINA_PART_SIZE}, catalina_py's echo's part size; 0: Tomcat's own default, 8192)",
    )
    parser.add_argument("--connections", type=int, default=50, help="connections per echo run (default 50)")
    parser.add_argument("--message-size", type=int, default=16, help="bytes of a small text message (16)")
    parser.add_argument("--window", type=int, default=32, help="messages in flight per connection, pipelined")
    parser.add_argument("--bulk-size", type=int, default=65536, help="bytes of a bulk binary message (65536)")
    parser.add_argument("--bulk-window", type=int, default=4, help="bulk messages in flight per connection (4)")
    parser.add_argument("--idle-connections", type=int, default=1000, help="connections held idle (1000)")
    parser.add_argument("--idle-hold", type=float, default=30.0, help="seconds the idle connections are held")
    parser.add_argument("--idle-ping-every", type=float, default=10.0, help="seconds between client pings")
    parser.add_argument(
        "--restart", action="store_true", help="a freshly started server for every echo run (not one per server)"
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
        selected = parse_servers(args.servers)
    except ValueError as exc:
        parser.error(str(exc))
    limits = [
        (1 <= args.rounds <= 20, "--rounds in [1, 20]"),
        (0 < args.duration <= 300, "--duration in (0, 300]"),
        (0 <= args.warmup <= 60, "--warmup in [0, 60]"),
        (0 <= args.tomcat_warmup <= 120, "--tomcat-warmup in [0, 120]"),
        (args.tomcat_buffer == 0 or 1024 <= args.tomcat_buffer <= 1 << 24, "--tomcat-buffer 0 or in [1024, 16 MiB]"),
        (1 <= args.connections <= 5000, "--connections in [1, 5000]"),
        (1 <= args.message_size <= 125, "--message-size in [1, 125]"),
        (1 <= args.window <= 1024, "--window in [1, 1024]"),
        (1 <= args.bulk_size <= 65536, "--bulk-size in [1, 65536] (catalina's echo's part size)"),
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
    kinds, skipped = server_kinds(selected, homes, bool(args.home), args.tomcat_buffer)
    os.sched_setaffinity(0, {int(CLIENT_CPU)})  # the client; each server gets CPU 0 (taskset, or inherited)

    stamp = time.strftime("%Y%m%d-%H%M%S")
    RESULTS.mkdir(exist_ok=True)
    rows: list[dict] = []
    processes: dict[str, dict] = {}
    workdir = Path(tempfile.mkdtemp(prefix="ws_echo-"))
    try:
        echo_names = [n for n in names if n != "idle"]
        order = [*echo_names, *(["idle"] if "idle" in names else [])]
        runs = run_echo_scenarios(echo_names, kinds, workdir, args, processes) if echo_names else {}
        if "idle" in names:
            runs["idle"] = run_idle_scenario(kinds, workdir, args, processes)
        for name in order:
            rows += summarize(name, runs[name])
            rows += [
                {"scenario": name, "server": server, "measured": False, "reason": reason}
                for server, reason in skipped.items()
            ]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    info = software(kinds, homes, processes)

    print()
    print(
        f"ws_echo: {args.connections} connections, {args.duration:g} s runs, {args.rounds} rounds (median run "
        f"shown), warm-up {args.warmup:g} s (Tomcat {args.tomcat_warmup:g} s); servers on CPU {SERVER_CPU}, client "
        f"on CPU {CLIENT_CPU}; {os.cpu_count()} CPUs, {cpu_model()}"
    )
    for line in software_lines(info):
        print(line)
    print(
        "catalina/this: the first catalina row's figure over this row's, per round, median first (rates: > 1 = "
        "catalina faster; µs and KiB: < 1 = catalina uses less)"
    )
    print()
    print_table(rows)
    print_notes(rows)
    homes_over_first = home_ratios(rows, [h.label for h in homes]) if len(homes) > 1 else {}
    if homes_over_first:
        print_homes(homes_over_first, homes[0].label)
    result = {
        "benchmark": "ws_echo",
        "timestamp": stamp,
        "endpoints": {kind: server_path(kind) for kind, _ in kinds},
        "settings": {k: v for k, v in vars(args).items() if k != "home"},
        "machine": {
            "cpus": os.cpu_count(),
            "cpu_model": cpu_model(),
            "kernel": platform.release(),
            "python": platform.python_version(),
        },
        "homes": [describe(home) for home in homes],
        "software": info,
        "processes": processes,
        "not_measured": skipped,
        "ratios": "catalina_over_this_*: the first catalina row's figure over this row's, per round and median",
        "results": rows,
        "homes_this_over_first": homes_over_first,
    }
    out_path = RESULTS / f"ws_echo-{stamp}.json"
    out_path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nresults: {out_path}")
    return 0


def server_path(kind: str) -> str:
    """The echo path a server row was measured on."""
    if kind.startswith("catalina"):
        return ECHO_PATH
    return TOMCAT_ECHO_PATH if kind == "tomcat" else PEER_PATH


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as exc:
        print(f"ws_echo: FAILED: {exc}", file=sys.stderr)
        sys.exit(1)
