"""A private Apache Tomcat 10.1 (Debian's ``tomcat10`` package) for tests
and benches: the one launcher the differential test, the multipart interop
test and the hardening benches share.

``TomcatProcess`` makes a CATALINA_BASE in a given directory from the
stock configuration in ``/etc/tomcat10`` (the HTTP Connector moved to a
free loopback port, optionally with extra attributes, the shutdown port
disabled) or from a server.xml template of the caller's, deploys the given
webapp folders, compiles Java sources into a webapp, starts ``catalina.sh
run`` with ``CATALINA_HOME=/usr/share/tomcat10``, waits until the port
(and optionally a URL) answers and stops the process by its PID.
``missing_tomcat`` says what is not installed. The catalina_py twin is
``tests/server.py``'s ``CatalinaProcess``.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Self

from tests.server import free_port

TOMCAT_HOME = Path("/usr/share/tomcat10")
TOMCAT_CONF = Path("/etc/tomcat10")
CATALINA_SH = TOMCAT_HOME / "bin" / "catalina.sh"
SERVLET_API = TOMCAT_HOME / "lib" / "servlet-api.jar"
WEBSOCKET_API = TOMCAT_HOME / "lib" / "websocket-api.jar"
WEBSOCKET_CLIENT_API = TOMCAT_HOME / "lib" / "websocket-client-api.jar"
#: The jars ``compile_classes`` compiles against unless told otherwise:
#: the servlet and WebSocket APIs (``OnMessage`` and friends are in the client one).
API_JARS = (SERVLET_API, WEBSOCKET_API, WEBSOCKET_CLIENT_API)
CONF_FILES = (
    "server.xml",
    "web.xml",
    "logging.properties",
    "catalina.properties",
    "context.xml",
    "tomcat-users.xml",
    "jaspic-providers.xml",
)
#: A quicker JVM start (C1 only) for tests; benches may pass their own.
QUICK_JAVA_OPTS = "-Djava.awt.headless=true -Xshare:auto -XX:TieredStopAtLevel=1"


def missing_tomcat() -> str | None:
    """Why a private Tomcat cannot be run here, or None when it can."""
    for path in (CATALINA_SH, SERVLET_API, WEBSOCKET_API, TOMCAT_CONF / "server.xml"):
        if not path.exists():
            return f"{path} is missing (install the tomcat10 package)"
    if shutil.which("javac") is None:
        return "javac is not on PATH (install default-jdk-headless)"
    return None


def compile_classes(sources: Sequence[Path], out: Path, jars: Sequence[Path] = API_JARS) -> None:
    """Compiles Java ``sources`` into ``out`` against ``jars`` (Tomcat's
    servlet and WebSocket API jars by default); raises with javac's output
    when that fails."""
    out.mkdir(parents=True, exist_ok=True)
    classpath = os.pathsep.join(str(p) for p in jars)
    done = subprocess.run(
        ["javac", "-nowarn", "-encoding", "UTF-8", "-cp", classpath, "-d", str(out), *map(str, sources)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode != 0:
        raise RuntimeError(f"javac failed:\n{done.stdout}\n{done.stderr}")


def stock_server_xml(port: int, connector_attrs: str = "") -> str:
    """Debian's server.xml with its comments removed, the shutdown port
    disabled and its one HTTP Connector moved to ``127.0.0.1:port``, with
    ``connector_attrs`` (XML attributes) added to it."""
    text = (TOMCAT_CONF / "server.xml").read_text()
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    extra = f" {connector_attrs}" if connector_attrs else ""
    text, count = re.subn(r'<Connector\s+port="\d+"', f'<Connector address="127.0.0.1" port="{port}"{extra}', text)
    if count != 1:
        raise RuntimeError(f"expected one HTTP Connector in {TOMCAT_CONF}/server.xml, found {count}")
    text = re.sub(r'<Server\s+port="-?\d+"', '<Server port="-1"', text)
    return text


class TomcatProcess:
    """One Tomcat on 127.0.0.1 with its own CATALINA_BASE under ``base``.

    ``webapps`` maps context names to folders copied into the appBase
    (symbolic links kept); ``server_xml`` is a template with ``{port}``
    and ``{connector_attrs}`` to use instead of Debian's server.xml;
    ``java_opts`` becomes ``JAVA_OPTS`` (None: the environment's).
    """

    def __init__(
        self,
        base: Path,
        webapps: dict[str, Path] | None = None,
        connector_attrs: str = "",
        server_xml: str | None = None,
        java_opts: str | None = QUICK_JAVA_OPTS,
    ) -> None:
        self.base = base
        self.port = free_port()
        self.java_opts = java_opts
        conf = base / "conf"
        conf.mkdir(parents=True, exist_ok=True)
        for name in ("logs", "temp", "work", "webapps"):
            (base / name).mkdir(exist_ok=True)
        for name in CONF_FILES:
            if (TOMCAT_CONF / name).exists():
                shutil.copyfile(TOMCAT_CONF / name, conf / name)
        if server_xml is None:
            text = stock_server_xml(self.port, connector_attrs)
        else:
            text = server_xml.format(port=self.port, connector_attrs=connector_attrs)
        (conf / "server.xml").write_text(text)
        for name, source in (webapps or {}).items():
            shutil.copytree(source, base / "webapps" / name, symlinks=True)
        self.proc: subprocess.Popen | None = None
        self.output_path = base / "logs" / "catalina.out"

    @property
    def url(self) -> str:
        """``http://127.0.0.1:port``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        """The JVM's PID (catalina.sh run execs java)."""
        assert self.proc is not None
        return self.proc.pid

    def compile(self, webapp: str, sources: Sequence[Path], jars: Sequence[Path] = API_JARS) -> None:
        """Compiles Java ``sources`` into ``webapps/<webapp>/WEB-INF/classes``
        of this base (see ``compile_classes``)."""
        compile_classes(sources, self.base / "webapps" / webapp / "WEB-INF" / "classes", jars)

    def start(self, timeout: float = 90.0, ready_url: str | None = None, ready_method: str = "GET") -> Self:
        """Starts ``catalina.sh run`` and returns once Tomcat logged its
        startup and the connector accepts, and, with ``ready_url`` (a path),
        once ``ready_method ready_url`` with an empty body answers 200."""
        env = dict(
            os.environ,
            CATALINA_HOME=str(TOMCAT_HOME),
            CATALINA_BASE=str(self.base),
            CATALINA_TMPDIR=str(self.base / "temp"),
            CATALINA_PID=str(self.base / "tomcat.pid"),
        )
        if self.java_opts is not None:
            env["JAVA_OPTS"] = self.java_opts
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
                if ready_url is None or self._wait_ready(ready_method, ready_url, deadline):
                    return self
                break
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"tomcat did not start within {timeout} s:\n{self.output()}")

    def _wait_ready(self, method: str, path: str, deadline: float) -> bool:
        """Whether ``method path`` answers 200 before ``deadline``."""
        request = (
            f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        ).encode()
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=10) as sock:
                    sock.sendall(request)
                    status = sock.makefile("rb").readline()
                if status.split(b" ")[1:2] == [b"200"]:
                    return True
            except OSError:
                pass
            if self.proc is None or self.proc.poll() is not None:
                return False
            time.sleep(0.5)
        return False

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
