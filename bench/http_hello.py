#!/usr/bin/env python3
"""Hello-world HTTP throughput: catalina_py against its peers, with wrk, keep-alive and Connection: close.

    python bench/http_hello.py [--duration 10] [--connections 50] [--repeat N]
                               [--mode keepalive,close]
                               [--only catalina,pywsgi,uvicorn,tomcat] [--profile]
                               [--home DIR[,DIR...]]

Servers, each on its own free port on 127.0.0.1:

  catalina  catalina_py's hello servlet (/examples/servlets/helloworld) through
            the full pipeline, with the shipped conf/ (AccessLogValve on)
  pywsgi    a bare gevent.pywsgi WSGI app, TCP_NODELAY on, log=None
  uvicorn   uvicorn + httptools + uvloop, one worker, raw ASGI app, --no-access-log
  tomcat    Apache Tomcat 10 (Debian's tomcat10-common / libtomcat10-java) with
            the same servlet in Java, AccessLogValve on; skipped if not installed

Modes (--mode, both by default, measured in the same rounds):

  keepalive  wrk keeps its N connections open
  close      every request carries Connection: close, so wrk opens a new TCP
             connection per request: req/s is also the server's opens per second

Each server is pinned to CPU 0 (taskset -c 0), wrk to CPU 1 (taskset -c 1), 1
thread, N connections: a warm-up per mode, then the measured runs with
--latency. Every server is checked to answer 200 with the expected body first
and last (in close mode also that it closes the connection after a response to
Connection: close), and every run counts the TCP connections the kernel
accepted during it (/proc/net/snmp): a close-mode run with fewer connections than
requests, or with wrk's socket errors or non-2xx answers, is flagged.

catalina, pywsgi and uvicorn are started together and measured in interleaved
rounds (every server in every mode, the order reversed every other round), so
the per-round ratios catalina/pywsgi and catalina/uvicorn compare runs taken
under the same conditions; Tomcat is measured after them in rounds of its own.
Results: a table on stdout, the goal lines, and JSON in
bench/results/http_hello-<timestamp>.json.

With --home, catalina runs once per named checkout (before/after a change:
--only catalina --home ../before,.), each on its own .venv, in the same
interleaved rounds; the ratio to the first home is printed per round and mode.

uvicorn, httptools, uvloop (and py-spy for --profile) are not dependencies
of the project: they go into bench/.venv, created on first use.
catalina_py and the pywsgi peer run on the project's .venv (created by
bin/catalina.sh version when missing).
"""

from __future__ import annotations

import argparse
import collections
import http.client
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
PEERS = BENCH / "peers"
RESULTS = BENCH / "results"
PROJECT_PYTHON = REPO / ".venv" / "bin" / "python"
BENCH_VENV = BENCH / ".venv"
BENCH_PYTHON = BENCH_VENV / "bin" / "python"
TOMCAT_HOME = Path("/usr/share/tomcat10")
WRK = shutil.which("wrk") or "/usr/bin/wrk"

sys.path.insert(0, str(PEERS))
from hello_body import CONTENT_TYPE, HELLO_BODY  # noqa: E402
from homes import CatalinaHome, HomeError, describe, ensure_venv, parse_homes  # noqa: E402

SERVER_CPU = "0"
WRK_CPU = "1"
ALL_SERVERS = ["catalina", "pywsgi", "uvicorn", "tomcat"]
# Figures measured elsewhere (the issue), shown for servers not measured here.
REFERENCE_RPS = {"pywsgi": 10_000, "uvicorn": 34_000, "tomcat": 65_000}
GOAL_RATIO = 1.5  # catalina_py / pywsgi
GOAL_UVICORN_RATIO = 1.0  # catalina_py / uvicorn, in each mode, with a p99 no worse than uvicorn's
# keepalive: wrk's connections stay open; close: every request asks for Connection: close (one TCP
# connection per request, so the figure is also the connections opened per second).
MODES = ("keepalive", "close")
# Measured in the same interleaved rounds, so their per-round ratios compare like with like.
PYTHON_SERVERS = ("catalina", "pywsgi", "uvicorn")
RATIO_PEERS = ("pywsgi", "uvicorn")


class BenchError(RuntimeError):
    pass


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --------------------------------------------------------------------------
# Environments


def ensure_project_venv() -> None:
    """The project's .venv with catalina_py installed (bin/catalina.sh creates it)."""

    def ok() -> bool:
        if not PROJECT_PYTHON.exists():
            return False
        probe = subprocess.run(
            [str(PROJECT_PYTHON), "-c", "import catalina_py, gevent"], cwd="/", capture_output=True, timeout=60
        )
        return probe.returncode == 0

    if ok():
        return
    log("project .venv missing or incomplete: running bin/catalina.sh version")
    subprocess.run(
        [str(REPO / "bin" / "catalina.sh"), "version"],
        check=True,
        timeout=900,
        env=dict(os.environ, CATALINA_HOME=str(REPO)),
    )
    if not ok():
        raise BenchError(f"{PROJECT_PYTHON} cannot import catalina_py and gevent")


#: What shows that a package of bench/.venv is installed: the module to import, or None for a program
#: (its script in bench/.venv/bin). The package names are pip's; the keys are what ensure_bench_venv takes.
BENCH_MODULES: dict[str, str | None] = {
    "uvicorn": "uvicorn",
    "httptools": "httptools",
    "uvloop": "uvloop",
    "py-spy": None,
    "websockets": "websockets",
    "aiohttp": "aiohttp",
    "gevent": "gevent",
    "gevent-websocket": "geventwebsocket",
    "wsaccel": "wsaccel",
}

_PROBE = """
import importlib, importlib.metadata, json, sys
out = []
for name, module, version in json.loads(sys.argv[1]):
    try:
        importlib.import_module(module)
        if version and importlib.metadata.version(name) != version:
            out.append(name)
    except Exception:
        out.append(name)
print(json.dumps(out))
"""


def ensure_bench_venv(packages: list[str]) -> None:
    """bench/.venv, created when missing, with ``packages`` installed by pip (those not there yet).

    Each package is a key of BENCH_MODULES, optionally pinned (``gevent==24.11.1``: reinstalled when
    another version is there). Raises BenchError (with pip's output) when they cannot be installed.
    """
    wanted: dict[str, tuple[str, str]] = {}
    for requirement in packages:
        name, _, version = requirement.partition("==")
        if name not in BENCH_MODULES:
            raise ValueError(f"unknown bench package {name!r}; known: {sorted(BENCH_MODULES)}")
        wanted[name] = (requirement, version)

    def missing() -> list[str]:
        if not BENCH_PYTHON.exists():
            return [req for req, _ in wanted.values()]
        out = [
            req
            for name, (req, _) in wanted.items()
            if BENCH_MODULES[name] is None and not (BENCH_VENV / "bin" / name).exists()
        ]
        modules = [(name, BENCH_MODULES[name], version) for name, (_, version) in wanted.items() if BENCH_MODULES[name]]
        if modules:
            probe = subprocess.run(
                [str(BENCH_PYTHON), "-c", _PROBE, json.dumps(modules)],
                cwd="/",
                capture_output=True,
                text=True,
                timeout=120,
            )
            if probe.returncode != 0:
                return [req for req, _ in wanted.values()]
            out += [wanted[name][0] for name in json.loads(probe.stdout)]
        return out

    need = missing()
    if not need:
        return
    if not BENCH_PYTHON.exists():
        log(f"creating {BENCH_VENV}")
        base_python = PROJECT_PYTHON if PROJECT_PYTHON.exists() else Path(sys.executable)
        subprocess.run([str(base_python), "-m", "venv", str(BENCH_VENV)], check=True, timeout=300)
    log(f"installing {' '.join(need)} into {BENCH_VENV}")
    done = subprocess.run(
        [str(BENCH_PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *need],
        capture_output=True,
        text=True,
        timeout=900,
    )
    still = missing()
    if done.returncode != 0 or still:
        raise BenchError(
            f"could not install {' '.join(still or need)} into {BENCH_VENV} (pip exit {done.returncode}): "
            f"{(done.stderr or done.stdout).strip()[-800:]}"
        )


def bench_versions(names: list[str]) -> dict[str, str | None]:
    """The installed version of each package (pip's name) in bench/.venv, None for one that is not there."""
    if not BENCH_PYTHON.exists():
        return dict.fromkeys(names)
    script = (
        "import importlib.metadata as m, json, sys\n"
        "def v(n):\n"
        "    try:\n"
        "        return m.version(n)\n"
        "    except m.PackageNotFoundError:\n"
        "        return None\n"
        "print(json.dumps({n: v(n) for n in sys.argv[1:]}))\n"
    )
    done = subprocess.run(
        [str(BENCH_PYTHON), "-c", script, *names], cwd="/", capture_output=True, text=True, timeout=60
    )
    if done.returncode != 0:
        return dict.fromkeys(names)
    return json.loads(done.stdout)


# --------------------------------------------------------------------------
# Servers


class Server:
    """A server process pinned to CPU 0, stopped by its PID."""

    name = "?"
    path = "/"

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir / self.name
        self.workdir.mkdir(parents=True)
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.output_path = self.workdir / "output.txt"
        self._output = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"

    def command(self) -> list[str]:
        raise NotImplementedError

    def env(self) -> dict[str, str]:
        return dict(os.environ, PYTHONUNBUFFERED="1")

    def ready_marker(self) -> str | None:
        return None

    def prepare(self) -> None:
        pass

    def output(self) -> str:
        try:
            return self.output_path.read_text(errors="replace")
        except OSError:
            return ""

    def start(self, timeout: float = 60.0) -> None:
        self.prepare()
        self._output = open(self.output_path, "ab")
        # taskset execs the server, so proc.pid is the server's own PID.
        self.proc = subprocess.Popen(
            ["taskset", "-c", SERVER_CPU, *self.command()],
            cwd=self.workdir,
            env=self.env(),
            stdin=subprocess.DEVNULL,
            stdout=self._output,
            stderr=subprocess.STDOUT,
        )
        log(f"{self.name}: started PID {self.proc.pid} on port {self.port}")
        deadline = time.monotonic() + timeout
        marker = self.ready_marker()
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(f"{self.name} exited with {self.proc.returncode}:\n{self.output()}")
            if marker is None or marker in self.output():
                try:
                    with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                        return
                except OSError:
                    pass
            time.sleep(0.05)
        raise BenchError(f"{self.name} did not accept on port {self.port} within {timeout} s:\n" f"{self.output()}")

    def check(self) -> None:
        """One GET: must be 200 with exactly the hello body, on a keep-alive connection."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            for _ in range(2):  # twice, so keep-alive is exercised too
                conn.request("GET", self.path)
                response = conn.getresponse()
                body = response.read()
                if response.status != 200 or body != HELLO_BODY:
                    raise BenchError(
                        f"{self.name}: GET {self.url} answered {response.status} "
                        f"with {len(body)} bytes {body[:200]!r}; expected 200 and "
                        f"{len(HELLO_BODY)} bytes {HELLO_BODY!r}"
                    )
                if response.will_close:
                    raise BenchError(f"{self.name}: the response closes the connection " f"(no keep-alive)")
            content_type = response.getheader("Content-Type", "")
            if content_type.replace(" ", "").lower() != CONTENT_TYPE.decode().lower():
                log(f"{self.name}: note: Content-Type is {content_type!r}")
        finally:
            conn.close()

    def check_close(self, timeout: float = 10.0) -> dict[str, Any]:
        """One GET with ``Connection: close``: must be 200 with exactly the hello body, and then the
        server must close the connection (what close mode relies on: wrk opens a new connection per
        request only if the server does not keep the old one).

        Returns the response's Connection header and how the server closed ("fin" or "reset").
        Without ``Connection: close`` in the response wrk would count a read error per request.
        """
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as sock:
            sock.sendall(
                f"GET {self.path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nConnection: close\r\n\r\n".encode()
            )
            response = http.client.HTTPResponse(sock, method="GET")
            response.begin()
            body = response.read()
            if response.status != 200 or body != HELLO_BODY:
                raise BenchError(
                    f"{self.name}: GET {self.url} with Connection: close answered {response.status} "
                    f"with {len(body)} bytes {body[:200]!r}; expected 200 and {len(HELLO_BODY)} bytes"
                )
            header = response.getheader("Connection")
            try:
                rest = sock.recv(1024)
            except TimeoutError as exc:
                raise BenchError(
                    f"{self.name}: the connection is still open {timeout:g} s after a response to "
                    f"Connection: close (Connection header {header!r})"
                ) from exc
            except ConnectionResetError:
                closed = "reset"
            else:
                if rest:
                    raise BenchError(f"{self.name}: {len(rest)} unexpected bytes after the response: {rest[:100]!r}")
                closed = "fin"
        if "close" not in (header or "").lower():
            log(f"{self.name}: WARNING: closes without Connection: close in the response; wrk counts read errors")
        return {"connection_header": header, "closed": closed}

    def stop(self, timeout: float = 20.0) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            log(f"{self.name}: SIGTERM to PID {self.proc.pid}")
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                log(f"{self.name}: PID {self.proc.pid} still running, SIGKILL")
                self.proc.kill()
                self.proc.wait(10)
        if self._output:
            self._output.close()
        return self.proc.returncode

    def notes(self) -> dict:
        return {}


class CatalinaServer(Server):
    """catalina_py from this checkout, or from another CATALINA_HOME (a row "catalina[label]")."""

    name = "catalina"
    path = "/examples/servlets/helloworld"

    def __init__(self, workdir: Path, home: CatalinaHome | None = None) -> None:
        self.home = home or CatalinaHome(REPO, "")
        if home is not None:
            self.name = f"catalina[{home.label}]"
        super().__init__(workdir)

    def prepare(self) -> None:
        base = self.workdir / "base"
        home = self.home.path
        shutil.copytree(home / "conf", base / "conf")
        (base / "logs").mkdir()
        (base / "webapps").mkdir()
        shutil.copytree(home / "webapps" / "examples", base / "webapps" / "examples")
        self.shutdown_port = free_port()
        xml = (home / "conf" / "server.xml").read_text()
        xml, n_server = re.subn(r'(<Server\b[^>]*?\bport=")\d+(")', rf"\g<1>{self.shutdown_port}\2", xml, count=1)

        def connector(match: re.Match) -> str:
            tag = re.sub(r'\bport="\d+"', f'port="{self.port}"', match.group(0), count=1)
            if re.search(r'\baddress="', tag):
                return re.sub(r'\baddress="[^"]*"', 'address="127.0.0.1"', tag)
            return tag.replace("<Connector", '<Connector address="127.0.0.1"', 1)

        xml, n_connector = re.subn(r"<Connector\b[^>]*>", connector, xml, count=1)
        if not (n_server and n_connector):
            raise BenchError("conf/server.xml: could not find the Server and Connector ports")
        if "AccessLogValve" not in xml:
            raise BenchError("conf/server.xml has no AccessLogValve: the goal is with access logging on")
        (base / "conf" / "server.xml").write_text(xml)
        self.base = base

    def command(self) -> list[str]:
        return [str(self.home.python), "-m", "catalina_py", "run"]

    def env(self) -> dict[str, str]:
        return dict(super().env(), CATALINA_HOME=str(self.home.path), CATALINA_BASE=str(self.base))

    def ready_marker(self) -> str:
        return "Server startup in"

    def access_log_lines(self) -> int:
        count = 0
        for path in (self.base / "logs").glob("localhost_access_log*"):
            with open(path, "rb") as f:
                count += sum(1 for _ in f)
        return count

    def notes(self) -> dict:
        return {"access_log_lines": self.access_log_lines()}


class PywsgiServer(Server):
    name = "pywsgi"

    def command(self) -> list[str]:
        return [str(PROJECT_PYTHON), str(PEERS / "pywsgi_hello.py"), str(self.port)]


class UvicornServer(Server):
    name = "uvicorn"

    def command(self) -> list[str]:
        # No --workers: one process, no supervisor, so the PID is the worker.
        return [
            str(BENCH_PYTHON),
            "-m",
            "uvicorn",
            "--app-dir",
            str(PEERS),
            "asgi_hello:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--loop",
            "uvloop",
            "--http",
            "httptools",
            "--no-access-log",
            "--log-level",
            "warning",
        ]


TOMCAT_SERVER_XML = """<?xml version="1.0" encoding="UTF-8"?>
<Server port="{shutdown_port}" shutdown="SHUTDOWN">
  <Service name="Catalina">
    <Connector port="{port}" address="127.0.0.1" protocol="HTTP/1.1" connectionTimeout="20000"/>
    <Engine name="Catalina" defaultHost="localhost">
      <Host name="localhost" appBase="webapps" unpackWARs="true" autoDeploy="false">
        <Valve className="org.apache.catalina.valves.AccessLogValve" directory="logs"
               prefix="localhost_access_log" suffix=".txt"
               pattern="%h %l %u %t &quot;%r&quot; %s %b"/>
      </Host>
    </Engine>
  </Service>
</Server>
"""

TOMCAT_WEB_XML = """<?xml version="1.0" encoding="UTF-8"?>
<web-app xmlns="https://jakarta.ee/xml/ns/jakartaee" version="6.0" metadata-complete="true">
  <servlet>
    <servlet-name>HelloWorld</servlet-name>
    <servlet-class>HelloWorld</servlet-class>
  </servlet>
  <servlet-mapping>
    <servlet-name>HelloWorld</servlet-name>
    <url-pattern>/servlets/helloworld</url-pattern>
  </servlet-mapping>
</web-app>
"""

TOMCAT_CATALINA_PROPERTIES = """\
common.loader="${catalina.base}/lib","${catalina.base}/lib/*.jar","${catalina.home}/lib","${catalina.home}/lib/*.jar"
server.loader=
shared.loader=
tomcat.util.scan.StandardJarScanFilter.jarsToSkip=*.jar
"""


class TomcatServer(Server):
    name = "tomcat"
    path = "/examples/servlets/helloworld"

    @staticmethod
    def available() -> str | None:
        """None when Tomcat 10 and javac are here, else why not."""
        if not (TOMCAT_HOME / "bin" / "bootstrap.jar").exists():
            return f"{TOMCAT_HOME} not found (apt-get install tomcat10-common libtomcat10-java)"
        if not (TOMCAT_HOME / "lib" / "servlet-api.jar").exists():
            return f"{TOMCAT_HOME}/lib/servlet-api.jar not found"
        if not (shutil.which("java") and shutil.which("javac")):
            return "java/javac not on the PATH"
        return None

    def prepare(self) -> None:
        base = self.workdir / "base"
        for sub in ("conf", "logs", "temp", "work", "lib"):
            (base / sub).mkdir(parents=True)
        self.shutdown_port = free_port()
        (base / "conf" / "server.xml").write_text(
            TOMCAT_SERVER_XML.format(port=self.port, shutdown_port=self.shutdown_port)
        )
        (base / "conf" / "catalina.properties").write_text(TOMCAT_CATALINA_PROPERTIES)
        (base / "conf" / "web.xml").write_text(
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<web-app xmlns="https://jakarta.ee/xml/ns/jakartaee" version="6.0"/>\n'
        )
        webinf = base / "webapps" / "examples" / "WEB-INF"
        (webinf / "classes").mkdir(parents=True)
        (webinf / "web.xml").write_text(TOMCAT_WEB_XML)
        compiled = subprocess.run(
            [
                "javac",
                "--release",
                "17",
                "-cp",
                str(TOMCAT_HOME / "lib" / "servlet-api.jar"),
                "-d",
                str(webinf / "classes"),
                str(PEERS / "tomcat" / "HelloWorld.java"),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        if compiled.returncode != 0:
            raise BenchError(f"javac failed:\n{compiled.stdout}{compiled.stderr}")
        self.base = base

    def command(self) -> list[str]:
        bin_dir = TOMCAT_HOME / "bin"
        return [
            "java",
            "-Djava.io.tmpdir=" + str(self.base / "temp"),
            "-Dcatalina.home=" + str(TOMCAT_HOME),
            "-Dcatalina.base=" + str(self.base),
            "-cp",
            f"{bin_dir / 'bootstrap.jar'}:{bin_dir / 'tomcat-juli.jar'}",
            "org.apache.catalina.startup.Bootstrap",
            "start",
        ]

    def ready_marker(self) -> str:
        return "Server startup in"

    def notes(self) -> dict:
        lines = 0
        for path in (self.base / "logs").glob("localhost_access_log*"):
            with open(path, "rb") as f:
                lines += sum(1 for _ in f)
        return {"access_log_lines": lines, "java": java_version()}


SERVER_CLASSES = {"catalina": CatalinaServer, "pywsgi": PywsgiServer, "uvicorn": UvicornServer, "tomcat": TomcatServer}


# --------------------------------------------------------------------------
# Background load: the machine may be shared (2 cores); wait for it to be quiet


def _cpu_times() -> dict[str, tuple[int, int]]:
    times = {}
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("cpu") and line[3:4].isdigit():
                name, *values = line.split()
                values = [int(v) for v in values]
                idle = values[3] + values[4]  # idle + iowait
                times[name] = (sum(values[:8]), idle)
    return times


def _cpu_irq_times() -> dict[str, int]:
    """Jiffies each CPU spent in hard and soft interrupts (/proc/stat's irq and softirq columns).

    Loopback TCP is processed in soft interrupts; opening and closing a connection per request makes
    that a large share of the two CPUs' time, charged to no process.
    """
    times = {}
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("cpu") and line[3:4].isdigit():
                name, *values = line.split()
                times[name] = int(values[5]) + int(values[6])
    return times


def cpu_busy(interval: float = 1.0) -> dict[str, float]:
    """Percentage of each CPU busy over interval seconds."""
    before = _cpu_times()
    time.sleep(interval)
    after = _cpu_times()
    busy = {}
    for name, (total, idle) in after.items():
        d_total = total - before[name][0]
        d_idle = idle - before[name][1]
        busy[name] = round(100.0 * (d_total - d_idle) / d_total, 1) if d_total else 0.0
    return busy


def wait_for_quiet(limit_pct: float = 10.0, timeout: float = 60.0) -> dict[str, float]:
    """Wait (bounded) until CPUs 0 and 1 are both under limit_pct busy; returns the last sample."""
    deadline = time.monotonic() + timeout
    while True:
        busy = cpu_busy()
        relevant = {k: v for k, v in busy.items() if k in (f"cpu{SERVER_CPU}", f"cpu{WRK_CPU}")}
        if all(v < limit_pct for v in relevant.values()):
            return relevant
        if time.monotonic() >= deadline:
            log(f"WARNING: other processes keep the CPUs busy {relevant}: figures will be low")
            return relevant
        time.sleep(1)


# --------------------------------------------------------------------------
# wrk


def process_cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def processes_cpu_seconds(exclude: set[int]) -> dict[int, float]:
    """Every process's CPU time (its threads' and its reaped children's, utime + stime + cutime + cstime),
    in seconds, by PID, except the PIDs in exclude; kernel threads included, vanished processes skipped."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) in exclude:
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rpartition(")")[2].split()
        except OSError:
            continue
        out[int(entry)] = sum(int(v) for v in fields[11:15]) / tick
    return out


def other_processes_cpu_seconds(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds the other processes used between two processes_cpu_seconds() snapshots: the growth of
    those in both, all of those started in between (a process that started and ended in between counts
    in its parent's reaped-children time)."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def wrk_seconds(duration: float) -> int:
    """The whole seconds wrk runs for a duration: wrk takes no fractions (``-d0.5s`` is a usage error)."""
    return max(1, round(duration))


def run_wrk(url: str, duration: float, connections: int, latency: bool, mode: str = "keepalive") -> str:
    """wrk's output for one run on CPU 1; in close mode every request asks for ``Connection: close``.

    wrk opens a new connection after a response that does not keep the connection alive (it reads the
    response's Connection header), so in close mode each request costs a TCP handshake and a close.
    """
    cmd = ["taskset", "-c", WRK_CPU, WRK, "-t1", f"-c{connections}", f"-d{wrk_seconds(duration)}s", "--timeout", "5s"]
    if latency:
        cmd.append("--latency")
    if mode == "close":
        cmd += ["-H", "Connection: close"]
    elif mode != "keepalive":
        raise BenchError(f"unknown mode {mode!r}")
    cmd.append(url)
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60)
    if done.returncode != 0:
        raise BenchError(f"wrk failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return done.stdout


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _to_ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not match:
        raise BenchError(f"cannot parse wrk latency {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_wrk(output: str) -> dict:
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.M)
    total = re.search(r"^\s*(\d+) requests in ([\d.]+)(\w+)", output, re.M)
    if not rps or not total:
        raise BenchError(f"cannot parse wrk output:\n{output}")
    result = {"rps": float(rps.group(1)), "requests": int(total.group(1))}
    for pct in ("50", "75", "90", "99"):
        match = re.search(rf"^\s+{pct}%\s+(\S+)", output, re.M)
        if match:
            result[f"p{pct}_ms"] = _to_ms(match.group(1))
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    result["socket_errors"] = (
        {k: int(v) for k, v in zip(("connect", "read", "write", "timeout"), errors.groups(), strict=False)}
        if errors
        else {}
    )
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    result["non_2xx"] = int(non2xx.group(1)) if non2xx else 0
    return result


def parse_tcp_opens(snmp: str) -> dict[str, int]:
    """The kernel's counts of TCP connections opened, from the text of /proc/net/snmp.

    ``passive`` counts the connections servers accepted (SYN received), ``active`` those clients opened;
    both are for the whole network namespace.
    """
    lines = [line.split() for line in snmp.splitlines() if line.startswith("Tcp:")]
    if len(lines) < 2:
        raise BenchError("no Tcp: lines in /proc/net/snmp")
    fields = dict(zip(lines[0][1:], lines[1][1:], strict=False))
    return {"active": int(fields["ActiveOpens"]), "passive": int(fields["PassiveOpens"])}


def tcp_opens() -> dict[str, int]:
    """TCP connections opened so far in this network namespace (see parse_tcp_opens)."""
    with open("/proc/net/snmp") as f:
        return parse_tcp_opens(f.read())


# In close mode every completed request must have had a connection of its own: the connections the
# server accepted during the run, over wrk's request count, at least this (wrk also opens a connection
# for each request still in flight when the time is up, and other processes' connections only add).
CLOSE_MIN_OPENS_PER_REQUEST = 0.99
# Other processes using more than this share of a CPU during a run make it noisy (flagged).
NOISE_LIMIT_PCT = 20.0


def run_flags(run: dict, closes_without_header: bool = False) -> list[str]:
    """Why a measured run is not a clean measurement (empty when it is): errors, reused connections in
    close mode, or other processes busy during the run.

    closes_without_header: the server closes after a response to Connection: close without saying so in
    the response (gevent.pywsgi). wrk then takes the connection for a kept-alive one and counts a read
    error when it finds it closed, one per request: in close mode these read errors are expected
    and do not flag the run (the connection count still must match).
    """
    flags = []
    errors = {k: v for k, v in run.get("socket_errors", {}).items() if v}
    if closes_without_header and run.get("mode") == "close":
        errors.pop("read", None)
    if errors:
        flags.append("socket errors " + ", ".join(f"{k} {v}" for k, v in errors.items()))
    if run.get("non_2xx"):
        flags.append(f"non-2xx {run['non_2xx']}")
    if run.get("mode") == "close" and run.get("requests"):
        opens = run.get("tcp_opens")
        if opens is not None and opens < CLOSE_MIN_OPENS_PER_REQUEST * run["requests"]:
            flags.append(f"{opens} connections for {run['requests']} requests: connections were reused")
    if run.get("other_processes_cpu_pct", 0.0) > NOISE_LIMIT_PCT:
        flags.append(f"noisy: other processes used {run['other_processes_cpu_pct']:.0f}% of a CPU")
    return flags


def measure(
    server: Server, duration: float, connections: int, mode: str = "keepalive", closes_without_header: bool = False
) -> dict:
    """One measured wrk run, with the CPU used by the server, wrk and everything else, and the TCP
    connections opened during it (the kernel's count of accepted connections); see run_flags for
    closes_without_header."""
    server_cpu0 = process_cpu_seconds(server.proc.pid)
    wrk_cpu0 = children_cpu_seconds()
    # Not counted as other processes: the server, and this script (its reaped children's time is wrk's).
    exclude = {server.proc.pid, os.getpid()}
    procs0 = processes_cpu_seconds(exclude)
    stat0 = _cpu_times()
    irq0 = _cpu_irq_times()
    opens0 = tcp_opens()
    output = run_wrk(server.url, duration, connections, latency=True, mode=mode)
    seconds = wrk_seconds(duration)  # what wrk ran for
    opens1 = tcp_opens()
    irq1 = _cpu_irq_times()
    stat1 = _cpu_times()
    procs1 = processes_cpu_seconds(exclude)
    # CPU used during the run, in % of one core: near 100 for the server means it
    # was the bottleneck; near 100 for wrk would mean wrk was. "others" is what the
    # two CPUs did besides, "other processes" the part that other processes (and
    # kernel threads) used: high means noise. "irq" is the two CPUs' interrupt time,
    # mostly loopback TCP; with tick-based accounting the part that interrupted a
    # process is also in that process's time, the part that interrupted the idle
    # task is in "others" only (large in close mode, which is why the warning
    # looks at other processes).
    server_cpu = 100 * (process_cpu_seconds(server.proc.pid) - server_cpu0) / seconds
    wrk_cpu = 100 * (children_cpu_seconds() - wrk_cpu0) / seconds
    busy = irq = 0.0
    for cpu in (f"cpu{SERVER_CPU}", f"cpu{WRK_CPU}"):
        d_total = stat1[cpu][0] - stat0[cpu][0]
        d_idle = stat1[cpu][1] - stat0[cpu][1]
        busy += 100.0 * (d_total - d_idle) / d_total if d_total else 0.0
        irq += 100.0 * (irq1[cpu] - irq0[cpu]) / d_total if d_total else 0.0
    others = max(0.0, busy - server_cpu - wrk_cpu)
    other_processes = 100 * other_processes_cpu_seconds(procs0, procs1) / seconds
    if other_processes > NOISE_LIMIT_PCT:
        log(f"WARNING: other processes used {other_processes:.0f}% of a CPU during the run: figures are noisy")
    parsed = parse_wrk(output)
    # The server's CPU per request: other processes taking turns on CPU 0 slow the server down but
    # hardly make a request cost more, so this compares two servers better than req/s on a busy machine.
    requests = parsed["requests"]
    parsed["server_cpu_us_per_request"] = 1e4 * server_cpu * seconds / requests if requests else None
    opened = opens1["passive"] - opens0["passive"]
    run = {
        **parsed,
        "mode": mode,
        "server_cpu_pct": round(server_cpu, 1),
        "wrk_cpu_pct": round(wrk_cpu, 1),
        "others_cpu_pct": round(others, 1),
        "other_processes_cpu_pct": round(other_processes, 1),
        "irq_cpu_pct": round(irq, 1),
        "tcp_opens": opened,
        "tcp_opens_per_s": opened / seconds,
        "tcp_opens_per_request": opened / requests if requests else None,
        "wrk_output": output,
    }
    run["flags"] = run_flags(run, closes_without_header)
    if closes_without_header and mode == "close" and parsed["socket_errors"].get("read"):
        run["expected_read_errors"] = parsed["socket_errors"]["read"]
    return run


# --------------------------------------------------------------------------
# Profile (py-spy, own time per function)


def profile(server: Server, duration: float, connections: int, raw_path: Path) -> list[tuple]:
    """Sample the server with py-spy while wrk loads it; top functions by own time."""
    py_spy = BENCH_VENV / "bin" / "py-spy"
    # Blocking mode (py-spy pauses the process for each sample): --nonblocking
    # fails on most samples of a busy gevent process and biases the result.
    spy = subprocess.Popen(
        [
            "taskset",
            "-c",
            WRK_CPU,
            str(py_spy),
            "record",
            "--pid",
            str(server.proc.pid),
            "--duration",
            f"{int(duration)}",
            "--rate",
            "200",
            "--function",
            "--format",
            "raw",
            "--output",
            str(raw_path),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        time.sleep(0.5)
        run_wrk(server.url, duration + 1, connections, latency=False)
        out, _ = spy.communicate(timeout=duration + 60)
    finally:
        if spy.poll() is None:
            spy.send_signal(signal.SIGINT)
            try:
                spy.wait(15)
            except subprocess.TimeoutExpired:
                spy.kill()
                spy.wait(5)
    if spy.returncode != 0 or not raw_path.exists():
        raise BenchError(f"py-spy failed ({spy.returncode}):\n{out}")
    own: collections.Counter = collections.Counter()
    total = 0
    for line in raw_path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        leaf = stack.split(";")[-1]
        own[leaf] += int(count)
        total += int(count)
    return [(frame, samples, 100.0 * samples / total) for frame, samples in own.most_common(15)]


# --------------------------------------------------------------------------
# Main


def cpu_model() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10).stdout
        for line in out.splitlines():
            if line.startswith("Model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def java_version() -> str:
    try:
        done = subprocess.run(["java", "-version"], capture_output=True, text=True, timeout=30)
        return done.stderr.splitlines()[0] if done.stderr else "?"
    except OSError:
        return "?"


def fmt_ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} ms"


def parse_modes(text: str) -> list[str]:
    """``keepalive,close`` as a list of modes in the order given, each once; BenchError for others."""
    modes: list[str] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        if part not in MODES:
            raise BenchError(f"unknown mode {part!r}; choose from {', '.join(MODES)}")
        if part not in modes:
            modes.append(part)
    if not modes:
        raise BenchError(f"no mode in {text!r}")
    return modes


def median(values: list[float]) -> float:
    """The middle value (the lower middle one of an even count), as the rest of the script reports."""
    return sorted(values)[(len(values) - 1) // 2]


def per_round_ratios(numerators: list[float], denominators: list[float]) -> list[float]:
    """Round by round, one server's figure over another's, both measured in the same rounds.

    The rounds interleave the servers, so each round's ratio compares runs taken under the same machine
    conditions; the median of these ratios is the figure that a drifting machine speed disturbs least.
    """
    if len(numerators) != len(denominators):
        raise ValueError(f"{len(numerators)} rounds against {len(denominators)}: not the same rounds")
    return [a / b for a, b in zip(numerators, denominators, strict=True)]


def summarize_runs(name: str, mode: str, group: int, runs: list[dict]) -> dict:
    """The table's and the JSON's row for one server in one mode: its run with the median req/s, every
    run's figures, and every run's flags (a flagged run in any round flags the row)."""
    chosen = sorted(runs, key=lambda r: r["rps"])[(len(runs) - 1) // 2]
    flags = [f"round {i + 1}: {flag}" if len(runs) > 1 else flag for i, run in enumerate(runs) for flag in run["flags"]]
    return {
        "server": name,
        "mode": mode,
        "group": group,
        "measured": True,
        **chosen,
        "flags": flags,
        "all_runs_rps": [r["rps"] for r in runs],
        "all_runs_p99_ms": [r.get("p99_ms") for r in runs],
        "all_runs_cpu_us_per_request": [r["server_cpu_us_per_request"] for r in runs],
        "all_runs_tcp_opens_per_s": [r["tcp_opens_per_s"] for r in runs],
    }


def add_ratios(rows: list[dict], peers: tuple[str, ...] = RATIO_PEERS) -> None:
    """Adds to every measured row its req/s and p99 over each peer's in the same mode.

    ``ratio_to_P`` and ``p99_ratio_to_P`` compare the median runs. When the row and the peer were measured
    in the same interleaved rounds (the same group), ``..._per_round`` has each round's ratio and
    ``..._median_of_rounds`` their median, the figure the goals are judged on.
    """
    measured = [r for r in rows if r.get("measured")]
    for row in measured:
        for peer_name in peers:
            peer = next((r for r in measured if r["server"] == peer_name and r["mode"] == row["mode"]), None)
            if peer is None or not peer["rps"]:
                continue
            row[f"ratio_to_{peer_name}"] = row["rps"] / peer["rps"]
            if row.get("p99_ms") is not None and peer.get("p99_ms"):
                row[f"p99_ratio_to_{peer_name}"] = row["p99_ms"] / peer["p99_ms"]
            if row.get("group") != peer.get("group"):
                continue
            rounds = per_round_ratios(row["all_runs_rps"], peer["all_runs_rps"])
            row[f"ratio_to_{peer_name}_per_round"] = rounds
            row[f"ratio_to_{peer_name}_median_of_rounds"] = median(rounds)
            if None not in row["all_runs_p99_ms"] and None not in peer["all_runs_p99_ms"]:
                p99 = per_round_ratios(row["all_runs_p99_ms"], peer["all_runs_p99_ms"])
                row[f"p99_ratio_to_{peer_name}_per_round"] = p99
                row[f"p99_ratio_to_{peer_name}_median_of_rounds"] = median(p99)


def fmt_ratio(row: dict, peer: str) -> str:
    """The table's "vs peer" cell: the median of the per-round ratios, or in parentheses the ratio of the
    medians when the two were not measured in the same rounds."""
    if f"ratio_to_{peer}_median_of_rounds" in row:
        return f"{row[f'ratio_to_{peer}_median_of_rounds']:.2f}x"
    if f"ratio_to_{peer}" in row:
        return f"({row[f'ratio_to_{peer}']:.2f}x)"
    return "-"


def print_table(rows: list[dict]) -> None:
    w = max([10, *(len(r["server"]) for r in rows)])
    header = (
        f"{'server':<{w}} {'mode':<9} {'req/s':>10} {'p50':>10} {'p99':>10} {'vs pywsgi':>10} "
        f"{'vs uvicorn':>10} {'opens/s':>9}  note"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        if row.get("measured"):
            notes = ["FLAGGED: " + "; ".join(row["flags"])] if row["flags"] else []
            if row.get("expected_read_errors"):
                notes.append(f"{row['expected_read_errors']} read errors: closes without Connection: close")
            note = "; ".join(notes)
            print(
                f"{row['server']:<{w}} {row['mode']:<9} {row['rps']:>10,.0f} {fmt_ms(row.get('p50_ms')):>10} "
                f"{fmt_ms(row.get('p99_ms')):>10} {fmt_ratio(row, 'pywsgi'):>10} {fmt_ratio(row, 'uvicorn'):>10} "
                f"{row['tcp_opens_per_s']:>9,.0f}  {note}"
            )
        else:
            ref = REFERENCE_RPS.get(row["server"])
            ref_text = f"; ~{ref:,} req/s keep-alive measured elsewhere" if ref else ""
            print(
                f"{row['server']:<{w}} {row['mode']:<9} {'-':>10} {'-':>10} {'-':>10} {'-':>10} {'-':>10} "
                f"{'-':>9}  not measured: {row['reason']}{ref_text}"
            )
    if any(r.get("measured") and "ratio_to_pywsgi" in r and "ratio_to_pywsgi_per_round" not in r for r in rows):
        print("(in parentheses: ratio of the medians of servers measured in different rounds)")


def goal_lines(rows: list[dict], modes: list[str]) -> list[str]:
    """Per mode and catalina row, the per-round ratios to pywsgi and to uvicorn and whether they meet the
    goals (req/s at least GOAL_RATIO x pywsgi's and GOAL_UVICORN_RATIO x uvicorn's, p99 no worse than
    uvicorn's), judged on the medians of the per-round ratios."""
    lines = []
    for mode in modes:
        for row in (r for r in rows if r.get("measured") and r["mode"] == mode):
            if not row["server"].startswith("catalina"):
                continue
            flagged = " (a flagged run is involved: see the table)" if row["flags"] else ""
            if "ratio_to_pywsgi_per_round" in row:
                rounds = row["ratio_to_pywsgi_per_round"]
                ratio = median(rounds)
                verdict = "meets" if ratio >= GOAL_RATIO else "does NOT meet"
                lines.append(
                    f"{mode}: {row['server']} / pywsgi req/s per round: {', '.join(f'{r:.2f}' for r in rounds)}; "
                    f"median {ratio:.2f}x: {verdict} the goal of {GOAL_RATIO}x{flagged}"
                )
            if "ratio_to_uvicorn_per_round" in row:
                rounds = row["ratio_to_uvicorn_per_round"]
                ratio = median(rounds)
                verdict = "meets" if ratio >= GOAL_UVICORN_RATIO else "does NOT meet"
                line = (
                    f"{mode}: {row['server']} / uvicorn req/s per round: {', '.join(f'{r:.2f}' for r in rounds)}; "
                    f"median {ratio:.2f}x: {verdict} the goal of {GOAL_UVICORN_RATIO}x"
                )
                p99 = row.get("p99_ratio_to_uvicorn_per_round")
                if p99:
                    p99_ratio = median(p99)
                    p99_verdict = "no worse than" if p99_ratio <= 1.0 else "WORSE than"
                    line += (
                        f"; p99 over uvicorn's per round: {', '.join(f'{r:.2f}' for r in p99)}; median "
                        f"{p99_ratio:.2f}: {p99_verdict} uvicorn's"
                    )
                lines.append(line + flagged)
    return lines


def compare_homes(rows: list[dict], homes: list[CatalinaHome], modes: list[str]) -> dict[str, dict[str, dict]]:
    """Prints and returns, per mode and for each home after the first, its req/s and its server CPU per
    request over the first home's, round by round.

    The rounds interleave the homes (A B, B A, A B ...), so each round's ratio compares runs taken under the
    same machine conditions; the median of those ratios is the before/after figure.
    """
    if len(homes) < 2:
        return {}
    out: dict[str, dict[str, dict]] = {}
    for mode in modes:
        by_name = {r["server"]: r for r in rows if r.get("measured") and r["mode"] == mode}
        base = by_name[f"catalina[{homes[0].label}]"]
        out[mode] = {}
        for home in homes[1:]:
            other = by_name[f"catalina[{home.label}]"]
            rounds = per_round_ratios(other["all_runs_rps"], base["all_runs_rps"])
            cpu = per_round_ratios(other["all_runs_cpu_us_per_request"], base["all_runs_cpu_us_per_request"])
            out[mode][home.label] = {"rps": rounds, "cpu_per_request": cpu}
            print(
                f"\n{mode}: catalina[{home.label}] / catalina[{homes[0].label}] req/s per round: "
                f"{', '.join(f'{r:.3f}' for r in rounds)}; median {median(rounds):.3f} "
                f"(medians {other['rps']:,.0f} / {base['rps']:,.0f} req/s)"
            )
            print(
                f"{mode}: catalina[{home.label}] / catalina[{homes[0].label}] server CPU per request per round: "
                f"{', '.join(f'{r:.3f}' for r in cpu)}; median {median(cpu):.3f} (medians "
                f"{median(other['all_runs_cpu_us_per_request']):.1f} / "
                f"{median(base['all_runs_cpu_us_per_request']):.1f} µs)"
            )
    return out


def port_settings() -> dict[str, str]:
    """The kernel settings that bound how fast a client can open connections (recorded in the JSON)."""
    out = {}
    for name in ("ip_local_port_range", "tcp_tw_reuse", "tcp_max_tw_buckets"):
        try:
            out[name] = " ".join(Path(f"/proc/sys/net/ipv4/{name}").read_text().split())
        except OSError:
            out[name] = "?"
    return out


def measure_group(
    group: int,
    names: list[str],
    modes: list[str],
    homes: list[CatalinaHome],
    workdir: Path,
    args: argparse.Namespace,
    stamp: str,
) -> tuple[list[dict], list[tuple]]:
    """Starts the servers of one group, checks and warms up each in each mode, measures them in
    interleaved rounds and stops them; returns their rows (one per server and mode) and the profile.

    All servers of the group run at once and each round measures every (server, mode) pair, the order
    reversed every other round (A B, B A, ...), so a machine that drifts in speed during the run (a VM)
    affects them alike and the per-round ratios stay comparable. An idle server uses no CPU.
    """
    rows: list[dict] = []
    profile_top: list[tuple] = []
    servers: dict[str, Server] = {}
    background: dict[str, Any] = {}
    close_checks: dict[str, list[dict]] = {}
    closes_without_header: dict[str, bool] = {}
    try:
        for name in names:
            if name == "tomcat":
                reason = TomcatServer.available()
                if reason:
                    log(f"tomcat: skipped: {reason}")
                    for mode in modes:
                        rows.append({"server": name, "mode": mode, "group": group, "measured": False, "reason": reason})
                    continue
            if name == "catalina" and homes:
                new: list[Server] = [CatalinaServer(workdir, home) for home in homes]
            else:
                new = [SERVER_CLASSES[name](workdir)]
            for server in new:
                servers[server.name] = server
                server.start()
                server.check()
                if "close" in modes:
                    close_checks[server.name] = [server.check_close()]
                    header = close_checks[server.name][0]["connection_header"] or ""
                    closes_without_header[server.name] = "close" not in header.lower()
                warmup = args.tomcat_warmup if name == "tomcat" else args.warmup
                background[server.name] = wait_for_quiet(timeout=args.quiet_wait)
                log(
                    f"{server.name}: answers 200 with the {len(HELLO_BODY)}-byte body; "
                    f"warm-up {wrk_seconds(warmup) if warmup else 0} s per mode ({', '.join(modes)})"
                )
                if warmup > 0:
                    for mode in modes:
                        run_wrk(server.url, warmup, args.connections, latency=False, mode=mode)
        runs: dict[tuple[str, str], list[dict]] = {(name, mode): [] for name in servers for mode in modes}
        sequence = [(name, mode) for mode in modes for name in servers]
        for i in range(args.repeat):
            for name, mode in sequence[::-1] if i % 2 else sequence:
                wait_for_quiet(timeout=args.quiet_wait)
                log(
                    f"{name}: measuring {mode} {wrk_seconds(args.duration)} s, {args.connections} connections"
                    + (f" (round {i + 1}/{args.repeat})" if args.repeat > 1 else "")
                )
                run = measure(
                    servers[name], args.duration, args.connections, mode, closes_without_header.get(name, False)
                )
                runs[(name, mode)].append(run)
                log(
                    f"{name}:   {run['rps']:,.0f} req/s, {run['tcp_opens_per_s']:,.0f} connections opened/s, "
                    f"CPU server {run['server_cpu_pct']}%, wrk {run['wrk_cpu_pct']}%, irq {run['irq_cpu_pct']}%, "
                    f"others {run['others_cpu_pct']}% (other processes {run['other_processes_cpu_pct']}%)"
                    + (f"; FLAGGED: {'; '.join(run['flags'])}" if run["flags"] else "")
                )
        for name, server in servers.items():
            for mode in modes:
                row = summarize_runs(name, mode, group, runs[(name, mode)])
                row["url"] = server.url
                row["background_cpu_busy_pct_before"] = background[name]
                rows.append(row)
            server.check()  # still healthy after the load
            if "close" in modes:
                close_checks[name].append(server.check_close())
            if args.profile and isinstance(server, CatalinaServer):
                raw = RESULTS / f"profile-catalina-{stamp}.txt"
                log(f"catalina: py-spy for {args.profile_duration:g} s under load -> {raw}")
                profile_top = profile(server, args.profile_duration, args.connections, raw)
    finally:
        for name, server in servers.items():
            code = server.stop()
            for row in (r for r in rows if r["server"] == name):
                row.update(server.notes())
                row["exit_code"] = code
                if name in close_checks:
                    row["close_checks"] = close_checks[name]
                log(
                    f"{name} {row['mode']}: {row['rps']:,.0f} req/s, p50 {fmt_ms(row.get('p50_ms'))}, "
                    f"p99 {fmt_ms(row.get('p99_ms'))}; CPU server {row['server_cpu_pct']}%, "
                    f"wrk {row['wrk_cpu_pct']}%, irq {row['irq_cpu_pct']}%, others {row['others_cpu_pct']}% "
                    f"(other processes {row['other_processes_cpu_pct']}%); exit code {code}"
                )
    return rows, profile_top


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--duration",
        type=float,
        default=10.0,
        help="measured seconds per run, rounded to whole seconds for wrk (default 10)",
    )
    parser.add_argument(
        "--warmup",
        type=float,
        default=2.0,
        help="warm-up seconds per mode, rounded to whole seconds, at least 1; 0: none (default 2)",
    )
    parser.add_argument(
        "--tomcat-warmup",
        type=float,
        default=10.0,
        help="warm-up seconds per mode for Tomcat, whose JIT needs longer (default 10)",
    )
    parser.add_argument("--connections", type=int, default=50, help="wrk connections (default 50)")
    parser.add_argument(
        "--repeat", type=int, default=1, help="measured runs per server; the median one is reported (default 1)"
    )
    parser.add_argument(
        "--only", default=",".join(ALL_SERVERS), help="comma-separated subset of " + ",".join(ALL_SERVERS)
    )
    parser.add_argument(
        "--mode",
        default=",".join(MODES),
        help="keepalive (wrk's connections stay open), close (every request sends Connection: close, so "
        "each one is a new TCP connection) or both, measured in the same rounds (default keepalive,close)",
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=60.0,
        help="at most this many seconds to wait for idle CPUs before each run (default 60)",
    )
    parser.add_argument(
        "--home",
        metavar="DIR[,DIR...]",
        help="run catalina from each of these checkouts (CATALINA_HOMEs, each on its own "
        ".venv) in interleaved rounds, e.g. --home ../before,. (rows catalina[label])",
    )
    parser.add_argument(
        "--profile", action="store_true", help="also sample catalina_py with py-spy under load (own time per function)"
    )
    parser.add_argument("--profile-duration", type=float, default=8.0)
    args = parser.parse_args(argv)
    if not 0 < args.duration <= 600 or not 0 <= args.warmup <= 60 or not 0 <= args.tomcat_warmup <= 120:
        parser.error("--duration must be in (0, 600], --warmup in [0, 60], --tomcat-warmup in [0, 120]")
    if not 1 <= args.profile_duration <= 60:
        parser.error("--profile-duration must be in [1, 60]")
    if not 0 <= args.quiet_wait <= 600:
        parser.error("--quiet-wait must be in [0, 600]")
    if not 1 <= args.repeat <= 10:
        parser.error("--repeat must be in [1, 10]")
    try:
        modes = parse_modes(args.mode)
    except BenchError as exc:
        parser.error(str(exc))
    selected = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = sorted(set(selected) - set(ALL_SERVERS))
    if unknown:
        parser.error(f"unknown servers {unknown}; choose from {ALL_SERVERS}")
    if not Path(WRK).exists():
        raise BenchError("wrk not found (apt-get install wrk)")
    homes: list[CatalinaHome] = []
    if args.home:
        if "catalina" not in selected:
            parser.error("--home needs catalina in --only")
        try:
            homes = parse_homes(args.home)
            for home in homes:
                ensure_venv(home)
        except HomeError as exc:
            raise BenchError(str(exc)) from exc
    ports = port_settings()
    if "close" in modes and ports["tcp_tw_reuse"] == "0":
        log(
            f"WARNING: net.ipv4.tcp_tw_reuse is 0 and the client ports are {ports['ip_local_port_range']}: each "
            "closed connection may hold its port for 60 s, so close mode may run out of ports (wrk's connect "
            "errors flag such a run); this script changes no system setting"
        )

    if {"catalina", "pywsgi"} & set(selected):
        ensure_project_venv()
    bench_packages = []
    if "uvicorn" in selected:
        bench_packages += ["uvicorn", "httptools", "uvloop"]
    if args.profile and "catalina" in selected:
        bench_packages.append("py-spy")
    if bench_packages:
        ensure_bench_venv(bench_packages)

    stamp = time.strftime("%Y%m%d-%H%M%S")
    RESULTS.mkdir(exist_ok=True)
    rows: list[dict] = []
    profile_top: list[tuple] = []
    workdir = Path(tempfile.mkdtemp(prefix="http_hello-"))
    try:
        # Two groups, each started, warmed up and measured on its own: the Python servers the goals
        # compare (catalina against pywsgi and uvicorn, in the same rounds), then Tomcat (a JVM keeps
        # compiling and collecting after its warm-up, on CPU 0, which the others would share).
        groups = [
            [n for n in selected if n in PYTHON_SERVERS],
            [n for n in selected if n not in PYTHON_SERVERS],
        ]
        for index, group in enumerate(groups):
            if group:
                group_rows, group_profile = measure_group(index, group, modes, homes, workdir, args, stamp)
                rows += group_rows
                profile_top = group_profile or profile_top
        order = {name: i for i, name in enumerate(selected)}
        rows.sort(key=lambda r: (modes.index(r["mode"]), order[r["server"].partition("[")[0]]))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    add_ratios(rows)
    print()
    print(
        f"wrk 1 thread, {args.connections} connections, {wrk_seconds(args.duration)} s per run, "
        f"modes {', '.join(modes)} "
        f"(close: Connection: close on every request, a new TCP connection each; opens/s: connections the "
        f"kernel accepted per second); after {wrk_seconds(args.warmup) if args.warmup else 0} s warm-up per "
        f"mode, Tomcat {wrk_seconds(args.tomcat_warmup) if args.tomcat_warmup else 0} s; {args.repeat} round(s); servers on CPU {SERVER_CPU}, wrk on CPU {WRK_CPU}; "
        f"{os.cpu_count()} CPUs, {cpu_model()}"
    )
    print_table(rows)
    goals = goal_lines(rows, modes)
    if goals:
        print()
        for line in goals:
            print(line)
    home_rounds = compare_homes(rows, homes, modes)
    if profile_top:
        print("\ncatalina_py, own time per function (py-spy samples under load):")
        for frame, _samples, pct in profile_top:
            print(f"  {pct:5.1f}%  {frame}")

    result = {
        "benchmark": "http_hello",
        "timestamp": stamp,
        "settings": {
            "duration_s": args.duration,
            "repeat": args.repeat,
            "warmup_s": args.warmup,
            "tomcat_warmup_s": args.tomcat_warmup,
            "connections": args.connections,
            "wrk_threads": 1,
            "modes": modes,
            "server_cpu": SERVER_CPU,
            "wrk_cpu": WRK_CPU,
            "body_bytes": len(HELLO_BODY),
        },
        "machine": {
            "cpus": os.cpu_count(),
            "cpu_model": cpu_model(),
            "kernel": platform.release(),
            "python": platform.python_version(),
            "net_ipv4": ports,
        },
        "goal": {
            "catalina_over_pywsgi": GOAL_RATIO,
            "catalina_over_uvicorn": GOAL_UVICORN_RATIO,
            "catalina_p99_over_uvicorn_at_most": 1.0,
        },
        "goal_lines": goals,
        "results": rows,
        "homes": [describe(home) for home in homes],
        "homes_ratio_per_round": home_rounds,
        "profile_catalina_own_time": [{"frame": f, "samples": s, "percent": round(p, 2)} for f, s, p in profile_top],
    }
    out_path = RESULTS / f"http_hello-{stamp}.json"
    out_path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nresults: {out_path}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as exc:
        print(f"http_hello: FAILED: {exc}", file=sys.stderr)
        sys.exit(1)
