"""The tour's own server: a temporary CATALINA_BASE with the examples, the
JSON trace on, free ports on 127.0.0.1, started as a subprocess and stopped
by its PID; and the events it traced, read back from its trace file."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["HOME", "TourInstance", "free_port"]


def _catalina_home() -> Path:
    """CATALINA_HOME: the environment's when it names an install (it has
    ``conf/web.xml``), else the checkout this package was loaded from."""
    named = os.environ.get("CATALINA_HOME")
    if named and (Path(named) / "conf" / "web.xml").is_file():
        return Path(named).resolve()
    return Path(__file__).resolve().parents[2]


#: The install (CATALINA_HOME) the tour takes conf/web.xml, the examples
#: webapp and conf/nginx/ from.
HOME = _catalina_home()
#: Where this ``catalina_py`` package lives, so that the child process
#: imports the same code even when it is not installed.
_PACKAGE_ROOT = Path(__file__).resolve().parents[2]

SERVER_XML = """<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by catalina-py tour: one server for one scenario. -->
<Server port="{shutdown}" shutdown="SHUTDOWN">
  <Listener className="catalina_py.trace_json.JsonTraceListener" file="logs/trace.jsonl"/>
  <Service name="Catalina">
{connectors}
    <Engine name="Catalina" defaultHost="localhost">
      <Host name="localhost" appBase="webapps" autoDeploy="false"/>
    </Engine>
  </Service>
</Server>
"""


def free_port() -> int:
    """A port free on 127.0.0.1 now (the kernel's choice)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class TourInstance:
    """One catalina_py process; *connectors* maps a name to the extra
    attributes of its ``<Connector>`` (each gets a free port).

    Use it as ``server = TourInstance(); try: server.start() ... finally:
    server.stop()``: :meth:`stop` is safe whatever :meth:`start` got to.
    """

    def __init__(self, connectors: dict[str, str] | None = None) -> None:
        self.base = Path(tempfile.mkdtemp(prefix="catalina-tour-"))
        self.attrs = connectors or {"main": ""}
        self.ports = {name: free_port() for name in self.attrs}
        self.shutdown_port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def port(self) -> int:
        """The first connector's port."""
        return next(iter(self.ports.values()))

    def start(self, timeout: float = 20.0) -> TourInstance:
        """Write the configuration, start the server, wait until it serves."""
        for sub in ("conf", "logs", "webapps"):
            (self.base / sub).mkdir(parents=True, exist_ok=True)
        shutil.copy(HOME / "conf" / "web.xml", self.base / "conf" / "web.xml")
        shutil.copytree(HOME / "webapps" / "examples", self.base / "webapps" / "examples")
        connectors = "\n".join(
            f'    <Connector port="{self.ports[name]}" address="127.0.0.1" protocol="HTTP/1.1" {attrs}/>'
            for name, attrs in self.attrs.items()
        )
        xml = SERVER_XML.format(shutdown=self.shutdown_port, connectors=connectors)
        (self.base / "conf" / "server.xml").write_text(xml)
        env = {k: v for k, v in os.environ.items() if not k.startswith("CATALINA_TRACE")}
        path = os.pathsep.join(p for p in (str(_PACKAGE_ROOT), env.get("PYTHONPATH", "")) if p)
        env.update(CATALINA_HOME=str(HOME), CATALINA_BASE=str(self.base), PYTHONUNBUFFERED="1", PYTHONPATH=path)
        out = open(self.base / "logs" / "catalina.out", "wb")  # noqa: SIM115 - the child writes it
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "catalina_py", "run"], cwd=self.base, env=env, stdout=out, stderr=subprocess.STDOUT
        )
        out.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited with {self.proc.returncode}:\n{self.output()[-3000:]}")
            if "Server startup in" in self.output():
                return self
            time.sleep(0.05)
        raise RuntimeError(f"the server did not start within {timeout:g} s:\n{self.output()[-3000:]}")

    def output(self) -> str:
        """What the server printed so far (its logs/catalina.out)."""
        try:
            return (self.base / "logs" / "catalina.out").read_text(errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        """Stop the server by its PID (SIGTERM, then SIGKILL) and remove the base."""
        proc = self.proc
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        shutil.rmtree(self.base, ignore_errors=True)

    # -- the trace ---------------------------------------------------------------
    def events(self) -> list[dict[str, Any]]:
        """Every event traced so far (the JSON lines of logs/trace.jsonl)."""
        path = self.base / "logs" / "trace.jsonl"
        if not path.exists():
            return []
        out = []
        for line in path.read_text(errors="replace").splitlines():
            if line.strip():
                try:
                    out.append(json.loads(line))
                except json.JSONDecodeError:  # a line still being written
                    break
        return out

    def connections(self, marker: str) -> list[int]:
        """The connections that served a request whose target contains *marker*."""
        found: list[int] = []
        for event in self.events():
            if (
                event["event"] == "RequestHeadParsed"
                and marker in event["fields"]["target"]
                and event["connection"] not in found
            ):
                found.append(event["connection"])
        return found

    def wait_for(
        self, predicate: Callable[[list[dict[str, Any]]], bool], timeout: float = 10.0
    ) -> list[dict[str, Any]]:
        """The events, once *predicate* holds for them (the trace is written
        every half second); raises TimeoutError otherwise."""
        deadline = time.monotonic() + timeout
        while True:
            events = self.events()
            if predicate(events):
                return events
            if time.monotonic() > deadline:
                raise TimeoutError("the trace never showed what was expected")
            time.sleep(0.1)

    def closed_connection(self, marker: str, count: int = 1, timeout: float = 10.0) -> list[list[dict[str, Any]]]:
        """The events of the *count* connections that served *marker*,
        once each has closed."""

        def done(events: list[dict[str, Any]]) -> bool:
            ids = self.connections(marker)
            closed = {e["connection"] for e in events if e["event"] == "ConnectionClosed"}
            return len(ids) >= count and all(i in closed for i in ids[:count])

        events = self.wait_for(done, timeout)
        ids = self.connections(marker)[:count]
        return [[e for e in events if e["connection"] == i] for i in ids]
