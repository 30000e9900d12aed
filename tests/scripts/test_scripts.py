"""The bin/ scripts and the command line, run as a user runs them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import requests

from tests.server import REPO, SERVER_XML, free_port


def run(args: list[str], base: Path, timeout: float = 120, **env) -> subprocess.CompletedProcess:
    environment = dict(os.environ, CATALINA_BASE=str(base), **env)
    environment.pop("CATALINA_HOME", None)
    return subprocess.run(args, cwd=base, env=environment, capture_output=True, text=True, timeout=timeout)


def make_base(tmp_path: Path, xml: str | None = None) -> tuple[Path, int]:
    base = tmp_path / "base"
    (base / "conf").mkdir(parents=True)
    port = free_port()
    (base / "conf" / "server.xml").write_text(
        (xml or SERVER_XML).format(port=port, shutdown_port=free_port(), connector_attrs="", log_pattern="common")
    )
    shutil.copytree(REPO / "webapps" / "examples", base / "webapps" / "examples")
    return base, port


def _alive(pid: int) -> bool:
    """Whether *pid* runs; an exited process its parent (init, for a server
    started by startup.sh) has not reaped yet counts as gone."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except FileNotFoundError:
        return not os.path.isdir("/proc/self")
    return stat[stat.rfind(b")") + 1 :].split()[0] not in (b"Z", b"X")


def test_startup_then_shutdown(tmp_path):
    base, port = make_base(tmp_path)
    started = run([str(REPO / "bin" / "startup.sh")], base)
    assert started.returncode == 0, started.stdout + started.stderr
    pid = int((base / "logs" / "catalina.pid").read_text())
    try:
        response = requests.get(f"http://127.0.0.1:{port}/examples/", timeout=10)
        assert response.status_code == 200 and "Hello World" in response.text
        assert "Server startup in" in (base / "logs" / "catalina.out").read_text()
        again = run([str(REPO / "bin" / "startup.sh")], base)
        assert again.returncode != 0 and "appears to be running" in again.stdout
        stopped = run([str(REPO / "bin" / "shutdown.sh")], base)
        assert stopped.returncode == 0, stopped.stdout + stopped.stderr
        assert not _alive(pid)
        assert not (base / "logs" / "catalina.pid").exists()
    finally:
        if _alive(pid):
            os.kill(pid, 9)


def test_configtest_accepts_shipped_configuration(tmp_path):
    base, _ = make_base(tmp_path)
    shutil.copy(REPO / "conf" / "server.xml", base / "conf" / "server.xml")
    result = run([str(REPO / "bin" / "catalina.sh"), "configtest"], base)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Configuration OK" in result.stdout


def test_configtest_reports_file_and_line_of_a_broken_server_xml(tmp_path):
    xml = SERVER_XML.replace('protocol="HTTP/1.1"', 'protocol="HTTP/1.1" connectionTimeout="soon"')
    base, _ = make_base(tmp_path, xml)
    result = run([str(REPO / "bin" / "catalina.sh"), "configtest"], base)
    assert result.returncode != 0
    assert "server.xml:4:" in result.stderr
    assert "connectionTimeout" in result.stderr


def test_configtest_reports_malformed_xml(tmp_path):
    base, _ = make_base(tmp_path)
    (base / "conf" / "server.xml").write_text("<Server port='-1'>\n  <Service name='x'>\n</Server>\n")
    result = run([sys.executable, "-m", "catalina_py", "configtest"], base)
    assert result.returncode != 0
    assert "server.xml:3" in result.stderr


def test_configtest_reports_broken_webapp_web_xml(tmp_path):
    base, _ = make_base(tmp_path)
    web_xml = base / "webapps" / "examples" / "WEB-INF" / "web.xml"
    web_xml.write_text(
        web_xml.read_text().replace(
            "<servlet-name>HelloWorldExample</servlet-name>\n    <url-pattern>",
            "<servlet-name>Nobody</servlet-name>\n    <url-pattern>",
        )
    )
    result = run([sys.executable, "-m", "catalina_py", "configtest"], base)
    assert result.returncode != 0
    assert "web.xml" in result.stderr and "Nobody" in result.stderr


def test_run_with_broken_config_exits_before_listening(tmp_path):
    xml = SERVER_XML.replace(
        'className="org.apache.catalina.valves.AccessLogValve"', 'className="org.apache.catalina.valves.NoSuchValve"'
    )
    base, port = make_base(tmp_path, xml)
    result = run([sys.executable, "-m", "catalina_py", "run"], base, timeout=60)
    assert result.returncode == 1
    assert "NoSuchValve" in result.stdout + result.stderr
    assert "Server startup" not in result.stdout


def test_version(tmp_path):
    base, _ = make_base(tmp_path)
    result = run([str(REPO / "bin" / "catalina.sh"), "version"], base)
    assert result.returncode == 0
    assert "catalina_py/" in result.stdout and "gevent" in result.stdout
    assert f"CATALINA_BASE:  {base}" in result.stdout
    console = Path(sys.executable).parent / "catalina-py"
    assert console.exists()
    assert "Server version" in run([str(console), "version"], base).stdout


def test_define_substitution(tmp_path):
    xml = SERVER_XML.replace('port="{port}"', 'port="${{http.port}}"')
    base, _ = make_base(tmp_path, xml)
    port = free_port()
    result = run([sys.executable, "-m", "catalina_py", f"-Dhttp.port={port}", "start"], base)
    try:
        assert result.returncode == 0, result.stdout
        assert requests.get(f"http://127.0.0.1:{port}/examples/", timeout=10).status_code == 200
    finally:
        stopped = run([sys.executable, "-m", "catalina_py", "stop"], base)
        assert stopped.returncode == 0, stopped.stdout
