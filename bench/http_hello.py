#!/usr/bin/env python3
"""Hello-world HTTP throughput: catalina_py against its peers, with wrk.

    python bench/http_hello.py [--duration 10] [--connections 50]
                               [--only catalina,pywsgi,uvicorn,tomcat] [--profile]
                               [--home DIR[,DIR...]]

Servers measured one after the other, each on its own free port on 127.0.0.1:

  catalina  catalina_py's hello servlet (/examples/servlets/helloworld) through
            the full pipeline, with the shipped conf/ (AccessLogValve on)
  pywsgi    a bare gevent.pywsgi WSGI app, TCP_NODELAY on, log=None
  uvicorn   uvicorn + httptools + uvloop, one worker, raw ASGI app, --no-access-log
  tomcat    Apache Tomcat 10 (Debian's tomcat10-common / libtomcat10-java) with
            the same servlet in Java, AccessLogValve on; skipped if not installed

Each server is pinned to CPU 0 (taskset -c 0), wrk to CPU 1 (taskset -c 1).
wrk runs keep-alive, 1 thread, N connections: a 2 s warm-up, then the
measured run with --latency. Every server is checked to answer 200 with
the expected body first. Results: a table on stdout and JSON in
bench/results/http_hello-<timestamp>.json.

With --home, catalina runs once per named checkout (before/after a change:
--only catalina --home ../before,.), each on its own .venv, in the same
interleaved rounds; the ratio to the first home is printed per round.

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


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_wrk(url: str, duration: float, connections: int, latency: bool) -> str:
    cmd = ["taskset", "-c", WRK_CPU, WRK, "-t1", f"-c{connections}", f"-d{duration:g}s", "--timeout", "5s"]
    if latency:
        cmd.append("--latency")
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


def measure(server: Server, duration: float, connections: int) -> dict:
    """One measured wrk run, with the CPU used by the server, wrk and everything else."""
    server_cpu0 = process_cpu_seconds(server.proc.pid)
    wrk_cpu0 = children_cpu_seconds()
    stat0 = _cpu_times()
    output = run_wrk(server.url, duration, connections, latency=True)
    stat1 = _cpu_times()
    # CPU used during the run, in % of one core: near 100 for the server means it
    # was the bottleneck; near 100 for wrk would mean wrk was. "others" is what
    # the two CPUs did besides (other processes, interrupts): high means noise.
    server_cpu = 100 * (process_cpu_seconds(server.proc.pid) - server_cpu0) / duration
    wrk_cpu = 100 * (children_cpu_seconds() - wrk_cpu0) / duration
    busy = 0.0
    for cpu in (f"cpu{SERVER_CPU}", f"cpu{WRK_CPU}"):
        d_total = stat1[cpu][0] - stat0[cpu][0]
        d_idle = stat1[cpu][1] - stat0[cpu][1]
        busy += 100.0 * (d_total - d_idle) / d_total if d_total else 0.0
    others = max(0.0, busy - server_cpu - wrk_cpu)
    if others > 20:
        log(f"WARNING: {others:.0f}% of a CPU went to other work during the run: figures are noisy")
    parsed = parse_wrk(output)
    # The server's CPU per request: other processes taking turns on CPU 0 slow the server down but
    # hardly make a request cost more, so this compares two servers better than req/s on a busy machine.
    requests = parsed["requests"]
    parsed["server_cpu_us_per_request"] = 1e4 * server_cpu * duration / requests if requests else None
    return {
        **parsed,
        "server_cpu_pct": round(server_cpu, 1),
        "wrk_cpu_pct": round(wrk_cpu, 1),
        "others_cpu_pct": round(others, 1),
        "wrk_output": output,
    }


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


def print_table(rows: list[dict]) -> None:
    base = next((r["rps"] for r in rows if r["server"] == "pywsgi" and r.get("measured")), None)
    w = max([10, *(len(r["server"]) for r in rows)])
    header = f"{'server':<{w}} {'req/s':>10} {'p50':>10} {'p99':>10} {'vs pywsgi':>10}  note"
    print(header)
    print("-" * len(header))
    for row in rows:
        if row.get("measured"):
            ratio = f"{row['rps'] / base:.2f}x" if base else "-"
            note = ""
            if row["non_2xx"] or any(row["socket_errors"].values()):
                note = f"errors: non-2xx {row['non_2xx']}, socket {row['socket_errors']}"
            print(
                f"{row['server']:<{w}} {row['rps']:>10,.0f} {fmt_ms(row.get('p50_ms')):>10} "
                f"{fmt_ms(row.get('p99_ms')):>10} {ratio:>10}  {note}"
            )
        else:
            ref = REFERENCE_RPS.get(row["server"])
            ref_text = f"~{ref:,} req/s measured elsewhere" if ref else ""
            print(
                f"{row['server']:<{w}} {'-':>10} {'-':>10} {'-':>10} {'-':>10}  "
                f"not measured: {row['reason']}; {ref_text}"
            )
    if base:
        cat = next((r for r in rows if r["server"].startswith("catalina") and r.get("measured")), None)
        pyw = next((r for r in rows if r["server"] == "pywsgi" and r.get("measured")), None)
        if cat and pyw:
            # The rounds interleave the servers, so each round's ratio was
            # measured under the same machine conditions; their median is
            # the figure that drifting machine speed disturbs least.
            rounds = [c / p for c, p in zip(cat["all_runs_rps"], pyw["all_runs_rps"], strict=False)]
            ratio = sorted(rounds)[(len(rounds) - 1) // 2]
            verdict = "meets" if ratio >= GOAL_RATIO else "does NOT meet"
            per_round = ", ".join(f"{r:.2f}" for r in rounds)
            print(
                f"\ncatalina_py / pywsgi per round: {per_round}; median {ratio:.2f}x: "
                f"{verdict} the goal of {GOAL_RATIO}x"
            )


def median(values: list[float]) -> float:
    """The middle value (the lower middle one of an even count), as the rest of the script reports."""
    return sorted(values)[(len(values) - 1) // 2]


def compare_homes(rows: list[dict], homes: list[CatalinaHome]) -> dict[str, dict[str, list[float]]]:
    """Prints and returns, for each home after the first, its req/s and its server CPU per request over
    the first home's, round by round.

    The rounds interleave the homes (A B, B A, A B ...), so each round's ratio compares runs taken under the
    same machine conditions; the median of those ratios is the before/after figure.
    """
    by_name = {r["server"]: r for r in rows if r.get("measured")}
    if len(homes) < 2:
        return {}
    base = by_name[f"catalina[{homes[0].label}]"]
    out: dict[str, dict[str, list[float]]] = {}
    for home in homes[1:]:
        other = by_name[f"catalina[{home.label}]"]
        rounds = [o / b for o, b in zip(other["all_runs_rps"], base["all_runs_rps"], strict=False)]
        cpu = [
            o / b
            for o, b in zip(other["all_runs_cpu_us_per_request"], base["all_runs_cpu_us_per_request"], strict=False)
        ]
        out[home.label] = {"rps": rounds, "cpu_per_request": cpu}
        print(
            f"\ncatalina[{home.label}] / catalina[{homes[0].label}] req/s per round: "
            f"{', '.join(f'{r:.3f}' for r in rounds)}; median {median(rounds):.3f} "
            f"(medians {other['rps']:,.0f} / {base['rps']:,.0f} req/s)"
        )
        print(
            f"catalina[{home.label}] / catalina[{homes[0].label}] server CPU per request per round: "
            f"{', '.join(f'{r:.3f}' for r in cpu)}; median {median(cpu):.3f} (medians "
            f"{median(other['all_runs_cpu_us_per_request']):.1f} / "
            f"{median(base['all_runs_cpu_us_per_request']):.1f} µs)"
        )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds (default 10)")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds (default 2)")
    parser.add_argument(
        "--tomcat-warmup",
        type=float,
        default=10.0,
        help="warm-up seconds for Tomcat, whose JIT needs longer (default 10)",
    )
    parser.add_argument("--connections", type=int, default=50, help="wrk connections (default 50)")
    parser.add_argument(
        "--repeat", type=int, default=1, help="measured runs per server; the median one is reported (default 1)"
    )
    parser.add_argument(
        "--only", default=",".join(ALL_SERVERS), help="comma-separated subset of " + ",".join(ALL_SERVERS)
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
    selected = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = sorted(set(selected) - set(ALL_SERVERS))
    if unknown:
        parser.error(f"unknown servers {unknown}; choose from {ALL_SERVERS}")
    if not Path(WRK).exists():
        raise BenchError("wrk not found")
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
        # Two groups, each started, warmed up and measured on its own: the
        # Python servers the goal compares, then the others (a JVM that is
        # still compiling after its warm-up must not share CPU 0 with them).
        groups = [
            [n for n in selected if n in ("catalina", "pywsgi")],
            [n for n in selected if n not in ("catalina", "pywsgi")],
        ]
        for group in (g for g in groups if g):
            # All servers are started first and the measured runs interleave
            # (round 1: every server, round 2: every server, ...), so a machine
            # that drifts in speed during the run (a VM) affects them alike and
            # the ratios stay comparable. An idle server uses no CPU.
            servers: dict[str, Any] = {}
            background: dict[str, Any] = {}
            try:
                for name in group:
                    if name == "tomcat":
                        reason = TomcatServer.available()
                        if reason:
                            log(f"tomcat: skipped: {reason}")
                            rows.append(
                                {
                                    "server": name,
                                    "measured": False,
                                    "reason": reason,
                                    "reference_rps": REFERENCE_RPS["tomcat"],
                                }
                            )
                            continue
                    if name == "catalina" and homes:
                        new = [CatalinaServer(workdir, home) for home in homes]
                    else:
                        new = [SERVER_CLASSES[name](workdir)]
                    for server in new:
                        servers[server.name] = server
                        server.start()
                        server.check()
                        warmup = args.tomcat_warmup if name == "tomcat" else args.warmup
                        background[server.name] = wait_for_quiet(timeout=args.quiet_wait)
                        log(
                            f"{server.name}: answers 200 with the {len(HELLO_BODY)}-byte body; " f"warm-up {warmup:g} s"
                        )
                        if warmup > 0:
                            run_wrk(server.url, warmup, args.connections, latency=False)
                runs: dict[str, list[dict]] = {name: [] for name in servers}
                for i in range(args.repeat):
                    # Every other round in the reverse order (A B, B A, A B ...): a server that
                    # always ran second would carry whatever the first one leaves behind.
                    order = list(servers.items())
                    for name, server in order[::-1] if i % 2 else order:
                        wait_for_quiet(timeout=args.quiet_wait)
                        log(
                            f"{name}: measuring {args.duration:g} s, {args.connections} connections"
                            + (f" (round {i + 1}/{args.repeat})" if args.repeat > 1 else "")
                        )
                        runs[name].append(measure(server, args.duration, args.connections))
                        log(
                            f"{name}:   {runs[name][-1]['rps']:,.0f} req/s, CPU server "
                            f"{runs[name][-1]['server_cpu_pct']}%, others {runs[name][-1]['others_cpu_pct']}%"
                        )
                for name, server in servers.items():
                    # The run with the median req/s is the result; all runs are kept in the JSON.
                    median = sorted(runs[name], key=lambda r: r["rps"])[(len(runs[name]) - 1) // 2]
                    rows.append(
                        {
                            "server": name,
                            "measured": True,
                            "url": server.url,
                            **median,
                            "background_cpu_busy_pct_before": background[name],
                            "all_runs_rps": [r["rps"] for r in runs[name]],
                            "all_runs_cpu_us_per_request": [r["server_cpu_us_per_request"] for r in runs[name]],
                        }
                    )
                    server.check()  # still healthy after the load
                    if args.profile and isinstance(server, CatalinaServer):
                        raw = RESULTS / f"profile-catalina-{stamp}.txt"
                        log(f"catalina: py-spy for {args.profile_duration:g} s under load -> {raw}")
                        profile_top = profile(server, args.profile_duration, args.connections, raw)
            finally:
                for name, server in servers.items():
                    code = server.stop()
                    row = next((r for r in rows if r["server"] == name), None)
                    if row is not None:
                        row.update(server.notes())
                        row["exit_code"] = code
                        log(
                            f"{name}: {row['rps']:,.0f} req/s, p50 {fmt_ms(row.get('p50_ms'))}, "
                            f"p99 {fmt_ms(row.get('p99_ms'))}; CPU server {row['server_cpu_pct']}%, "
                            f"wrk {row['wrk_cpu_pct']}%, others {row['others_cpu_pct']}%; exit code {code}"
                        )
        order = {name: i for i, name in enumerate(selected)}
        rows.sort(key=lambda r: order[r["server"].partition("[")[0]])
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    print()
    print(
        f"wrk keep-alive, 1 thread, {args.connections} connections, {args.duration:g} s "
        f"(after {args.warmup:g} s warm-up, Tomcat {args.tomcat_warmup:g} s); servers on CPU {SERVER_CPU}, wrk on CPU {WRK_CPU}; "
        f"{os.cpu_count()} CPUs, {cpu_model()}"
    )
    print_table(rows)
    home_rounds = compare_homes(rows, homes)
    if profile_top:
        print("\ncatalina_py, own time per function (py-spy samples under load):")
        for frame, _samples, pct in profile_top:
            print(f"  {pct:5.1f}%  {frame}")

    base = next((r["rps"] for r in rows if r["server"] == "pywsgi" and r.get("measured")), None)
    pyw = next((r for r in rows if r["server"] == "pywsgi" and r.get("measured")), None)
    for row in rows:
        if row.get("measured") and base:
            row["ratio_to_pywsgi"] = row["rps"] / base
            rounds = [a / b for a, b in zip(row["all_runs_rps"], pyw["all_runs_rps"], strict=False)]
            row["ratio_to_pywsgi_per_round"] = rounds
            row["ratio_to_pywsgi_median_of_rounds"] = sorted(rounds)[(len(rounds) - 1) // 2]
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
            "keep_alive": True,
            "server_cpu": SERVER_CPU,
            "wrk_cpu": WRK_CPU,
            "body_bytes": len(HELLO_BODY),
        },
        "machine": {
            "cpus": os.cpu_count(),
            "cpu_model": cpu_model(),
            "kernel": platform.release(),
            "python": platform.python_version(),
        },
        "goal": {"catalina_over_pywsgi": GOAL_RATIO},
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
