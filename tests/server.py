"""A real catalina_py server in a temporary CATALINA_BASE, for tests.

``CatalinaProcess`` writes a server.xml, copies the webapps a test asks
for, starts ``python -m catalina_py run`` as a child process and stops it
by its PID (shutdown port first, then SIGTERM, then SIGKILL).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TEST_WEBAPPS = Path(__file__).resolve().parent / "integration" / "webapps"

SERVER_XML = """<?xml version="1.0" encoding="UTF-8"?>
<Server port="{shutdown_port}" shutdown="SHUTDOWN">
  <Service name="Catalina">
    <Connector port="{port}" address="127.0.0.1" protocol="HTTP/1.1" {connector_attrs}/>
    <Engine name="Catalina" defaultHost="localhost">
      <Host name="localhost" appBase="webapps" autoDeploy="false">
        <Valve className="org.apache.catalina.valves.AccessLogValve" directory="logs"
               prefix="localhost_access_log" suffix=".txt" pattern="{log_pattern}"/>
      </Host>
    </Engine>
  </Service>
</Server>
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class CatalinaProcess:
    """One server process on 127.0.0.1 with its own CATALINA_BASE."""

    def __init__(
        self,
        base: Path,
        webapps: dict[str, Path] | None = None,
        connector_attrs: str = "",
        server_xml: str | None = None,
        log_pattern: str = "common",
    ) -> None:
        self.base = base
        self.port = free_port()
        self.shutdown_port = free_port()
        (base / "conf").mkdir(parents=True, exist_ok=True)
        (base / "logs").mkdir(exist_ok=True)
        (base / "webapps").mkdir(exist_ok=True)
        text = server_xml or SERVER_XML
        (base / "conf" / "server.xml").write_text(
            text.format(
                port=self.port,
                shutdown_port=self.shutdown_port,
                connector_attrs=connector_attrs,
                log_pattern=log_pattern,
            )
        )
        if webapps is None:
            webapps = {
                "ROOT": REPO / "webapps" / "ROOT",
                "examples": REPO / "webapps" / "examples",
                "testapp": TEST_WEBAPPS / "testapp",
            }
        for name, source in webapps.items():
            shutil.copytree(source, base / "webapps" / name)
        self.proc: subprocess.Popen | None = None
        self.output_path = base / "logs" / "catalina.out"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(
        self, timeout: float = 30.0, run_args: tuple[str, ...] = (), env: dict[str, str] | None = None
    ) -> CatalinaProcess:
        """Start ``run`` (with *run_args*, and *env* added to the environment)
        and wait until it logs that it serves."""
        env = dict(
            os.environ, CATALINA_HOME=str(REPO), CATALINA_BASE=str(self.base), PYTHONUNBUFFERED="1", **(env or {})
        )
        # Only the output of this start counts (see restart()).
        offset = len(self.output())
        self._out = open(self.output_path, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "catalina_py", "run", *run_args],
            cwd=self.base,
            env=env,
            stdout=self._out,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.output()}")
            if "Server startup in" in self.output()[offset:]:
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"server did not start within {timeout} s:\n{self.output()}")

    def output(self) -> str:
        try:
            return self.output_path.read_text(errors="replace")
        except OSError:
            return ""

    def shutdown_command(self, command: bytes = b"SHUTDOWN") -> None:
        with socket.create_connection(("127.0.0.1", self.shutdown_port), timeout=5) as conn:
            conn.sendall(command)

    def wait(self, timeout: float) -> int | None:
        assert self.proc is not None
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, timeout: float = 15.0) -> int | None:
        """Stop the server; returns its exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            try:
                self.shutdown_command()
            except OSError:
                self.proc.send_signal(signal.SIGTERM)
            if self.wait(timeout) is None:
                self.proc.kill()
                self.proc.wait(5)
        self._out.close()
        return self.proc.returncode

    def restart(self, timeout: float = 30.0) -> CatalinaProcess:
        """Stop the server gracefully (shutdown port), then start a new
        process on the same CATALINA_BASE, ports and webapps."""
        self.stop()
        return self.start(timeout)

    def access_log(self) -> str:
        logs = sorted((self.base / "logs").glob("localhost_access_log*.txt"))
        return "".join(p.read_text() for p in logs)


def raw_request(port: int, data: bytes, timeout: float = 5.0, read_until_close: bool = True) -> bytes:
    """Send raw bytes and return everything the server sends until it closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        chunks = []
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
                if not read_until_close:
                    break
        except TimeoutError:
            pass
        return b"".join(chunks)
