"""The PID file of ``bin/startup.sh`` through a server's life: removed on
every exit the process controls, and never trusted blindly (a zombie, a
PID reused by another program) by ``startup.sh`` and ``shutdown.sh``.
Real processes throughout."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.scripts.test_scripts import make_base, run
from tests.server import REPO

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux /proc")


def _state(pid: int) -> str:
    """The /proc state letter of *pid*, "" once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except FileNotFoundError:
        return ""
    return stat[stat.rfind(b")") + 1 :].split()[0].decode()


def _wait_exited(pid: int, seconds: float = 30.0) -> None:
    """Wait (bounded) until *pid* has exited (gone or a zombie)."""
    for _ in range(int(seconds / 0.02)):
        if _state(pid) in ("", "Z", "X"):
            return
        time.sleep(0.02)
    raise AssertionError(f"PID {pid} still running after {seconds} s")


def _start(base: Path) -> int:
    started = run([str(REPO / "bin" / "startup.sh")], base)
    assert started.returncode == 0, started.stdout + started.stderr
    return int((base / "logs" / "catalina.pid").read_text())


def _kill(pid: int) -> None:
    if _state(pid) not in ("", "Z", "X"):
        os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_the_server_and_removes_its_pid_file(tmp_path, signum):
    base, port = make_base(tmp_path)
    pid = _start(base)
    try:
        os.kill(pid, signum)
        _wait_exited(pid)
        assert not (base / "logs" / "catalina.pid").exists()
        assert "stopping the Server instance" in (base / "logs" / "catalina.out").read_text()
    finally:
        _kill(pid)


def test_startup_after_sigkill_starts_again(tmp_path):
    """SIGKILL leaves the PID file (nothing can remove it); startup.sh sees
    that PID is gone (or a zombie its parent has not reaped yet) and starts."""
    base, port = make_base(tmp_path)
    pid = _start(base)
    second = None
    try:
        os.kill(pid, signal.SIGKILL)
        _wait_exited(pid)
        assert (base / "logs" / "catalina.pid").read_text().strip() == str(pid)
        second = _start(base)
        assert second != pid
        assert requests.get(f"http://127.0.0.1:{port}/examples/", timeout=10).status_code == 200
        stopped = run([str(REPO / "bin" / "shutdown.sh")], base)
        assert stopped.returncode == 0, stopped.stdout + stopped.stderr
        assert not (base / "logs" / "catalina.pid").exists()
    finally:
        _kill(pid)
        if second is not None:
            _kill(second)


def test_startup_ignores_a_zombie(tmp_path):
    """A PID file naming a zombie (exited, not reaped): not a running server."""
    base, port = make_base(tmp_path)
    zombie = subprocess.Popen([sys.executable, "-c", "pass"])
    pid = None
    try:
        _wait_exited(zombie.pid)
        assert _state(zombie.pid) == "Z"  # our child, not waited for yet
        (base / "logs").mkdir()
        (base / "logs" / "catalina.pid").write_text(f"{zombie.pid}\n")
        pid = _start(base)
        assert requests.get(f"http://127.0.0.1:{port}/examples/", timeout=10).status_code == 200
    finally:
        zombie.wait(5)
        if pid is not None:
            run([str(REPO / "bin" / "shutdown.sh")], base)
            _kill(pid)


def test_startup_ignores_a_pid_reused_by_another_program(tmp_path):
    """The PID file names a live process that is not catalina_py (here the
    test itself): startup.sh starts, and says it removed a stale file."""
    base, port = make_base(tmp_path)
    (base / "logs").mkdir()
    (base / "logs" / "catalina.pid").write_text(f"{os.getpid()}\n")
    started = run([str(REPO / "bin" / "startup.sh")], base)
    pid = int((base / "logs" / "catalina.pid").read_text()) if started.returncode == 0 else None
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        assert "stale PID file" in started.stdout
        assert pid != os.getpid()
    finally:
        if pid is not None:
            run([str(REPO / "bin" / "shutdown.sh")], base)
            _kill(pid)


def test_startup_refuses_while_the_server_of_this_base_runs(tmp_path):
    base, port = make_base(tmp_path)
    pid = _start(base)
    try:
        again = run([str(REPO / "bin" / "startup.sh")], base)
        assert again.returncode != 0 and "appears to be running" in again.stdout
    finally:
        run([str(REPO / "bin" / "shutdown.sh")], base)
        _kill(pid)


def test_shutdown_never_signals_an_unrelated_process(tmp_path):
    """No server, the shutdown port closed, a PID file naming another
    program: shutdown.sh must not send it SIGTERM."""
    xml_base, _ = make_base(tmp_path)
    (xml_base / "logs").mkdir()
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (xml_base / "logs" / "catalina.pid").write_text(f"{other.pid}\n")
        stopped = run([str(REPO / "bin" / "shutdown.sh")], xml_base)
        assert stopped.returncode != 0
        assert other.poll() is None, "shutdown.sh killed a process that is not catalina_py"
        assert not (xml_base / "logs" / "catalina.pid").exists()
    finally:
        other.kill()
        other.wait(5)
