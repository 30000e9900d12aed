"""A private Apache Tomcat 10.1 (Debian's ``tomcat10`` package) for tests.

``TomcatProcess`` makes a CATALINA_BASE in a temporary directory from the
stock configuration in ``/etc/tomcat10`` (the connector moved to a free
loopback port, the shutdown port left disabled as Debian ships it),
starts ``catalina.sh run`` with ``CATALINA_HOME=/usr/share/tomcat10``,
waits until the port answers and stops the process by its PID.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from tests.server import free_port

TOMCAT_HOME = Path("/usr/share/tomcat10")
TOMCAT_CONF = Path("/etc/tomcat10")
CATALINA_SH = TOMCAT_HOME / "bin" / "catalina.sh"
SERVLET_API = TOMCAT_HOME / "lib" / "servlet-api.jar"
WEBSOCKET_API = TOMCAT_HOME / "lib" / "websocket-api.jar"
WEBSOCKET_CLIENT_API = TOMCAT_HOME / "lib" / "websocket-client-api.jar"
CONF_FILES = (
    "server.xml",
    "web.xml",
    "logging.properties",
    "catalina.properties",
    "context.xml",
    "tomcat-users.xml",
    "jaspic-providers.xml",
)


def missing_tomcat() -> str | None:
    """Why a private Tomcat cannot be run here, or None when it can."""
    for path in (CATALINA_SH, SERVLET_API, WEBSOCKET_API, TOMCAT_CONF / "server.xml"):
        if not path.exists():
            return f"{path} is missing (install the tomcat10 package)"
    if shutil.which("javac") is None:
        return "javac is not on PATH (install default-jdk-headless)"
    return None


def compile_classes(sources: list[Path], out: Path) -> None:
    """Compiles Java ``sources`` into ``out`` against Tomcat's servlet and
    WebSocket API jars (``OnMessage`` and friends are in the client one); raises with javac's output when that fails."""
    out.mkdir(parents=True, exist_ok=True)
    classpath = os.pathsep.join(str(p) for p in (SERVLET_API, WEBSOCKET_API, WEBSOCKET_CLIENT_API))
    done = subprocess.run(
        ["javac", "-nowarn", "-encoding", "UTF-8", "-cp", classpath, "-d", str(out), *map(str, sources)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode != 0:
        raise RuntimeError(f"javac failed:\n{done.stdout}\n{done.stderr}")


def stock_server_xml(port: int) -> str:
    """Debian's server.xml with its comments removed and its one HTTP
    Connector moved to ``127.0.0.1:port``."""
    text = (TOMCAT_CONF / "server.xml").read_text()
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    text, count = re.subn(r'<Connector\s+port="\d+"', f'<Connector address="127.0.0.1" port="{port}"', text)
    if count != 1:
        raise RuntimeError(f"expected one HTTP Connector in {TOMCAT_CONF}/server.xml, found {count}")
    text = re.sub(r'<Server\s+port="-?\d+"', '<Server port="-1"', text)
    return text


class TomcatProcess:
    """One Tomcat on 127.0.0.1 with its own CATALINA_BASE under ``base``."""

    def __init__(self, base: Path, webapps: dict[str, Path]) -> None:
        self.base = base
        self.port = free_port()
        conf = base / "conf"
        conf.mkdir(parents=True, exist_ok=True)
        for name in ("logs", "temp", "work", "webapps"):
            (base / name).mkdir(exist_ok=True)
        for name in CONF_FILES:
            if (TOMCAT_CONF / name).exists():
                shutil.copyfile(TOMCAT_CONF / name, conf / name)
        (conf / "server.xml").write_text(stock_server_xml(self.port))
        for name, source in webapps.items():
            shutil.copytree(source, base / "webapps" / name, symlinks=True)
        self.proc: subprocess.Popen | None = None
        self.output_path = base / "logs" / "catalina.out"

    def start(self, timeout: float = 90.0) -> TomcatProcess:
        """Starts ``catalina.sh run`` and returns once the connector accepts."""
        env = dict(
            os.environ,
            CATALINA_HOME=str(TOMCAT_HOME),
            CATALINA_BASE=str(self.base),
            CATALINA_TMPDIR=str(self.base / "temp"),
            CATALINA_PID=str(self.base / "tomcat.pid"),
            JAVA_OPTS="-Djava.awt.headless=true -Xshare:auto -XX:TieredStopAtLevel=1",
        )
        self._out = open(self.output_path, "ab")
        self.proc = subprocess.Popen(
            [str(CATALINA_SH), "run"],
            cwd=self.base,
            env=env,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"tomcat exited with {self.proc.returncode}:\n{self.output()}")
            if "Server startup in" in self.output():
                wait_for_port(self.port, max(1.0, deadline - time.monotonic()))
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"tomcat did not start within {timeout} s:\n{self.output()}")

    def output(self) -> str:
        """What Tomcat wrote to stdout/stderr (its console log)."""
        try:
            return self.output_path.read_text(errors="replace")
        except OSError:
            return ""

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM to the PID we started (catalina.sh execs java), then
        SIGKILL if it is still there after ``timeout``."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._out.close()
        self.proc = None


def wait_for_port(port: int, timeout: float = 10.0) -> None:
    """Returns once 127.0.0.1:port accepts a connection."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
