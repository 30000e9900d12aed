"""Worker processes (``<Server workers="N">``, ``run --workers``): the real
server with its supervisor and workers on 127.0.0.1, each behaviour seen
from outside: which PID answers each new connection, what a killed worker
becomes, what SIGTERM, SIGHUP and the shutdown port do, and that
``workers=1`` is still one process."""

from __future__ import annotations

import collections
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.ci import skip_or_fail
from tests.server import REPO, TEST_WEBAPPS, CatalinaProcess
from tests.server import SERVER_XML as BASE_SERVER_XML

if not os.path.isdir("/proc/self"):
    skip_or_fail("needs Linux /proc (process tree, states)", module=True)

#: The tests' server.xml with a place for the workers attribute and a
#: server-level listener.
SERVER_XML = BASE_SERVER_XML.replace(
    '<Server port="{shutdown_port}" shutdown="SHUTDOWN">',
    '<Server port="{shutdown_port}" shutdown="SHUTDOWN" WORKERS>\n  LISTENER',
)
assert "WORKERS" in SERVER_XML

#: A server-level listener that fails its start while a marker file exists:
#: a worker that crashes before it serves (imported from CATALINA_BASE,
#: the server's working folder).
CRASHY = """
import os


class CrashAtStart:
    ATTRIBUTES = frozenset()

    def __init__(self, attributes, catalina_base="."):
        self.marker = os.path.join(catalina_base, "crash-marker")

    def start(self):
        if os.path.exists(self.marker):
            raise RuntimeError("this worker crashes at start (test marker present)")

    def stop(self):
        pass
"""


def server(tmp_path: Path, workers: str | None = "2", listener: str = "", **kwargs) -> CatalinaProcess:
    xml = SERVER_XML.replace("WORKERS", f'workers="{workers}"' if workers else "").replace("LISTENER", listener)
    return CatalinaProcess(
        tmp_path / "base", webapps={"workers": TEST_WEBAPPS / "workers"}, server_xml=xml, log_pattern="%r %s", **kwargs
    )


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return text.rpartition(")")[2].split()


def alive(pid: int) -> bool:
    """Runs (a zombie has exited)."""
    fields = _stat(pid)
    return fields is not None and fields[0] not in ("Z", "X")


def children(pid: int) -> set[int]:
    """The running processes whose parent is *pid*."""
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat(int(entry))
            if fields is not None and int(fields[1]) == pid and fields[0] not in ("Z", "X"):
                found.add(int(entry))
    return found


def wait_until(predicate, seconds: float = 20.0, interval: float = 0.05) -> bool:
    """Poll *predicate* (bounded); its last value."""
    for _ in range(int(seconds / interval)):
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


def pid_answering(port: int) -> int:
    """GET /workers/pid on a new connection: the PID of the worker that served it."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"GET /workers/pid HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        data = b""
        for _ in range(100):
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), data
    return int(body)


def spread(port: int, connections: int) -> collections.Counter[int]:
    return collections.Counter(pid_answering(port) for _ in range(connections))


def kill_leftovers(proc: CatalinaProcess, workers: set[int]) -> None:
    """After a test: stop the server and any worker still running (by PID)."""
    proc.stop()
    for pid in workers:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


# -- spread, log lines ----------------------------------------------------------------
def test_two_workers_share_the_connections_evenly(tmp_path):
    proc = server(tmp_path).start()
    workers = children(proc.proc.pid)
    try:
        assert len(workers) == 2
        connections = 400
        counts = spread(proc.port, connections)
        assert set(counts) == workers, counts
        for count in counts.values():
            assert 0.40 <= count / connections <= 0.60, counts
        output = proc.output()
        assert "Server startup in" in output and "(2 workers, sockets shared by SO_REUSEPORT)" in output
        for index, pid in enumerate(sorted(workers, key=lambda p: output.index(f"(PID {p})")), start=1):
            assert f"[worker-{index} {pid}] [catalina_py.server] Worker startup in" in output
        assert f"[supervisor {proc.proc.pid}]" in output
        assert "unknown to the other workers" in output  # the sessions warning
    finally:
        kill_leftovers(proc, workers)
    assert proc.proc.returncode == 0
    assert not any(alive(pid) for pid in workers)
    # One access log, appended to by both workers: every request, whole lines.
    lines = proc.access_log().splitlines()
    assert lines.count("GET /workers/pid HTTP/1.1 200") == connections, lines[:5]


def test_inherited_socket_mode_serves_from_the_workers(tmp_path):
    proc = server(tmp_path).start(env={"CATALINA_WORKER_SOCKETS": "inherit"})
    workers = children(proc.proc.pid)
    try:
        assert len(workers) == 2
        assert "sockets shared by inheritance" in proc.output()
        counts = spread(proc.port, 100)
        assert set(counts) <= workers and sum(counts.values()) == 100
    finally:
        kill_leftovers(proc, workers)
    assert proc.proc.returncode == 0


def test_workers_auto_is_one_per_core(tmp_path):
    cores = len(os.sched_getaffinity(0))
    proc = server(tmp_path, workers=None).start(run_args=("--workers", "auto"))
    workers = children(proc.proc.pid)
    try:
        if cores > 1:
            assert len(workers) == cores
            assert f"({cores} workers," in proc.output()
        else:  # one core: one process, as workers=1
            assert workers == set() and "supervisor" not in proc.output()
        assert pid_answering(proc.port) in (workers or {proc.proc.pid})
    finally:
        kill_leftovers(proc, workers)


def test_the_option_wins_over_server_xml(tmp_path):
    proc = server(tmp_path, workers="2").start(run_args=("--workers", "1"))
    try:
        assert children(proc.proc.pid) == set()
        assert pid_answering(proc.port) == proc.proc.pid
    finally:
        proc.stop()


# -- workers=1 -----------------------------------------------------------------------
def test_one_worker_is_one_process_as_before(tmp_path):
    proc = server(tmp_path, workers="1").start()
    try:
        assert children(proc.proc.pid) == set()
        assert pid_answering(proc.port) == proc.proc.pid
        output = proc.output()
        assert "supervisor" not in output and "worker-" not in output and "Worker" not in output
        assert re.search(r"\d{3} INFO \[catalina_py\.server\] Server startup in \[\d+\] milliseconds\n", output)
    finally:
        proc.stop()
    assert proc.proc.returncode == 0


# -- a dead worker ----------------------------------------------------------------------
def test_a_killed_worker_is_replaced(tmp_path):
    proc = server(tmp_path).start()
    first = children(proc.proc.pid)
    seen = set(first)
    try:
        victim, survivor = sorted(first)
        os.kill(victim, signal.SIGKILL)
        assert wait_until(lambda: len(children(proc.proc.pid) - first) == 1)
        seen |= children(proc.proc.pid)
        (new,) = children(proc.proc.pid) - first
        assert children(proc.proc.pid) == {survivor, new}
        assert wait_until(lambda: f"(PID {new}) serves" in proc.output())
        counts = spread(proc.port, 60)
        assert set(counts) == {survivor, new}, counts
        assert f"(PID {victim}) killed by SIGKILL; starting a new one in 0.1 s" in proc.output()
    finally:
        kill_leftovers(proc, seen)
    assert proc.proc.returncode == 0


def test_a_worker_that_keeps_crashing_at_start_makes_the_supervisor_give_up(tmp_path):
    proc = server(tmp_path, listener='<Listener className="crashy.CrashAtStart"/>')
    (proc.base / "crashy.py").write_text(CRASHY)
    proc.start()
    first = children(proc.proc.pid)
    seen = set(first)
    try:
        (proc.base / "crash-marker").write_text("")
        victim = min(first)
        os.kill(victim, signal.SIGKILL)
        # Restarts after 0.1, 0.2, 0.4, 0.8 and 1.6 s, each crashing: the fifth ends it.
        assert proc.wait(60) == 1
        output = proc.output()
        assert output.count("RuntimeError: this worker crashes at start") == 5
        assert "before serving, 5 times in a row: giving up" in output
        assert "starting a new one in 1.6 s" in output
        assert wait_until(lambda: not any(alive(pid) for pid in first))
    finally:
        kill_leftovers(proc, seen)


def test_a_worker_that_fails_at_the_first_start_stops_everything(tmp_path):
    proc = server(tmp_path, listener='<Listener className="crashy.CrashAtStart"/>')
    (proc.base / "crashy.py").write_text(CRASHY)
    (proc.base / "crash-marker").write_text("")
    with pytest.raises(RuntimeError, match="exited with 1"):
        proc.start()
    output = proc.output()
    assert "a worker failed to start: stopping" in output
    assert "Server startup in" not in output
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", proc.port), timeout=2).close()


# -- stopping -------------------------------------------------------------------------
def test_sigterm_stops_every_worker_websockets_get_1001_and_the_pid_file_goes(tmp_path):
    proc = server(tmp_path).start()
    workers = children(proc.proc.pid)
    pid_file = proc.base / "logs" / "catalina.pid"
    pid_file.write_text(f"{proc.proc.pid}\n")  # as start writes it: the supervisor's PID
    stack = contextlib.ExitStack()
    try:
        clients = {}
        for _ in range(60):  # new connections until each worker holds one
            client = stack.enter_context(connect(f"ws://127.0.0.1:{proc.port}/workers/ws"))
            pid = int(client.recv(timeout=10).split()[1])
            clients.setdefault(pid, []).append(client)
            if set(clients) == workers:
                break
        assert set(clients) == workers
        proc.proc.send_signal(signal.SIGTERM)
        for pid, held in clients.items():
            for client in held:
                with pytest.raises(ConnectionClosed) as info:
                    client.recv(timeout=15)
                assert info.value.rcvd is not None and info.value.rcvd.code == 1001, pid
        assert proc.wait(30) == 0
        assert not any(alive(pid) for pid in workers)
        assert not pid_file.exists()
        assert "Stopping the workers (received SIGTERM)" in proc.output()
    finally:
        stack.close()
        kill_leftovers(proc, workers)


def test_the_shutdown_port_stops_everything(tmp_path):
    proc = server(tmp_path).start()
    workers = children(proc.proc.pid)
    try:
        with socket.create_connection(("127.0.0.1", proc.shutdown_port), timeout=5) as conn:
            conn.sendall(b"NOT-IT")
        assert wait_until(lambda: "Invalid shutdown command [NOT-IT]" in proc.output())
        assert proc.proc.poll() is None and all(alive(pid) for pid in workers)
        proc.shutdown_command()
        assert proc.wait(30) == 0
        assert not any(alive(pid) for pid in workers)
        assert "A valid shutdown command was received via the shutdown port" in proc.output()
    finally:
        kill_leftovers(proc, workers)


def test_workers_stop_when_the_supervisor_is_killed(tmp_path):
    proc = server(tmp_path).start()
    workers = children(proc.proc.pid)
    try:
        proc.proc.kill()
        proc.proc.wait(10)
        assert wait_until(lambda: not any(alive(pid) for pid in workers))
        assert "The supervisor is gone: stopping" in proc.output()
    finally:
        kill_leftovers(proc, workers)


def test_sighup_replaces_the_workers_one_by_one(tmp_path):
    proc = server(tmp_path).start()
    old = children(proc.proc.pid)
    seen = set(old)
    answered: list[int] = []
    stop = threading.Event()

    def load() -> None:  # requests all along the reload (bounded)
        for _ in range(5000):
            if stop.is_set():
                return
            with contextlib.suppress(OSError, AssertionError, ValueError):
                answered.append(pid_answering(proc.port))

    loader = threading.Thread(target=load)
    loader.start()
    try:
        proc.proc.send_signal(signal.SIGHUP)
        assert wait_until(lambda: "Reload done: 2 new workers serve" in proc.output(), seconds=60)
        new = children(proc.proc.pid)
        seen |= new
        assert len(new) == 2 and not new & old
        assert not any(alive(pid) for pid in old)
        assert wait_until(lambda: bool(set(answered) & new))
        stop.set()
        loader.join(30)
        counts = spread(proc.port, 60)
        assert set(counts) == new
        assert set(answered) <= old | new
    finally:
        stop.set()
        loader.join(30)
        kill_leftovers(proc, seen)
    assert proc.proc.returncode == 0


def test_sighup_with_a_broken_configuration_keeps_the_workers(tmp_path):
    proc = server(tmp_path).start()
    workers = children(proc.proc.pid)
    try:
        xml = proc.base / "conf" / "server.xml"
        xml.write_text(xml.read_text().replace('protocol="HTTP/1.1"', 'protocol="HTTP/1.1" connectionTimeout="soon"'))
        proc.proc.send_signal(signal.SIGHUP)
        assert wait_until(lambda: "Reload refused, the workers keep serving" in proc.output())
        assert "connectionTimeout" in proc.output()
        assert children(proc.proc.pid) == workers
        assert pid_answering(proc.port) in workers
    finally:
        kill_leftovers(proc, workers)


# -- nothing starts with a configuration error ---------------------------------------
def _run(base: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, CATALINA_HOME=str(REPO), CATALINA_BASE=str(base))
    return subprocess.run(
        [sys.executable, "-m", "catalina_py", "run", *args],
        cwd=base,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_config_error_with_two_workers_starts_nothing(tmp_path):
    proc = server(tmp_path)
    xml = proc.base / "conf" / "server.xml"
    xml.write_text(xml.read_text().replace("AccessLogValve", "NoSuchValve"))
    result = _run(proc.base)
    assert result.returncode == 1
    assert "server.xml:" in result.stdout and "NoSuchValve" in result.stdout
    assert "Worker" not in result.stdout and "Server startup" not in result.stdout


def test_a_port_in_use_with_two_workers_starts_nothing(tmp_path):
    proc = server(tmp_path)
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", proc.port))
        holder.listen()
        result = _run(proc.base)
    assert result.returncode == 1
    assert f"Connector cannot listen on 127.0.0.1:{proc.port}: already in use" in result.stdout
    assert "server.xml:5" in result.stdout
    assert "Worker" not in result.stdout


def test_a_bad_workers_attribute_is_a_config_error(tmp_path):
    proc = server(tmp_path, workers="0")
    result = _run(proc.base)
    assert result.returncode == 1
    assert "server.xml:2" in result.stdout and "workers must be from 1" in result.stdout


def test_startup_and_shutdown_scripts_with_workers(tmp_path):
    """bin/startup.sh --workers 2: one PID file (the supervisor's), its two
    workers; bin/shutdown.sh stops them all and the file goes."""
    proc = server(tmp_path, workers=None)
    env = dict(os.environ, CATALINA_BASE=str(proc.base))
    env.pop("CATALINA_HOME", None)
    started = subprocess.run(
        [str(REPO / "bin" / "startup.sh"), "--workers", "2"],
        cwd=proc.base,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert started.returncode == 0, started.stdout + started.stderr
    pid = int((proc.base / "logs" / "catalina.pid").read_text())
    workers = children(pid)
    try:
        assert len(workers) == 2
        assert pid_answering(proc.port) in workers
        stopped = subprocess.run(
            [str(REPO / "bin" / "shutdown.sh")], cwd=proc.base, env=env, capture_output=True, text=True, timeout=120
        )
        assert stopped.returncode == 0, stopped.stdout + stopped.stderr
        assert not alive(pid) and not any(alive(w) for w in workers)
        assert not (proc.base / "logs" / "catalina.pid").exists()
    finally:
        for leftover in (pid, *workers):
            if alive(leftover):
                os.kill(leftover, signal.SIGKILL)
