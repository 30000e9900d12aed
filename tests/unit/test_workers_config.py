"""Worker processes: the ``workers`` setting (``<Server workers>``,
``--workers``), and the supervisor's pure rules (back-off, wait statuses,
socket sharing mode, the shutdown command). The processes themselves:
tests/integration/test_workers.py."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from catalina_py import supervisor
from catalina_py.bootstrap import parse_args, run_options
from catalina_py.config.server_xml import load_server_xml
from catalina_py.config.workers import MAX_WORKERS, available_cores, parse_workers, workers_of_server_xml
from catalina_py.container.server import is_shutdown_command, shutdown_command_complete
from catalina_py.errors import ConfigError

SERVER = """<?xml version="1.0"?>
<Server port="-1" {attrs}>
  <Service name="Catalina">
    <Connector port="8080"/>
    <Engine name="Catalina" defaultHost="localhost"><Host name="localhost" appBase="webapps"/></Engine>
  </Service>
</Server>
"""


def _server_xml(tmp_path, attrs: str) -> str:
    path = tmp_path / "server.xml"
    path.write_text(SERVER.format(attrs=attrs))
    return str(path)


@pytest.mark.parametrize(("text", "count"), [("1", 1), ("2", 2), (" 8 ", 8), (str(MAX_WORKERS), MAX_WORKERS)])
def test_parse_workers_numbers(text, count):
    assert parse_workers(text) == count


@pytest.mark.parametrize("text", ["auto", "AUTO", " Auto "])
def test_parse_workers_auto_is_the_cores_this_process_may_use(text):
    assert parse_workers(text) == available_cores()
    if hasattr(os, "sched_getaffinity"):
        assert available_cores() == len(os.sched_getaffinity(0))


@pytest.mark.parametrize("text", ["0", "-1", str(MAX_WORKERS + 1), "two", "", "1.5", "0x2"])
def test_parse_workers_refuses(text):
    with pytest.raises(ValueError, match="workers"):
        parse_workers(text)


def test_server_workers_attribute(tmp_path):
    config, warnings = load_server_xml(_server_xml(tmp_path, 'workers="3"'), {})
    assert config.workers == 3 and warnings == []
    config, _ = load_server_xml(_server_xml(tmp_path, ""), {})
    assert config.workers == 1
    config, _ = load_server_xml(_server_xml(tmp_path, 'workers="auto"'), {})
    assert config.workers == available_cores()
    config, _ = load_server_xml(_server_xml(tmp_path, 'workers="${n}"'), {"n": "2"})
    assert config.workers == 2


@pytest.mark.parametrize("value", ["0", "many", "1000"])
def test_server_workers_attribute_errors_have_file_line_and_hint(tmp_path, value):
    path = _server_xml(tmp_path, f'workers="{value}"')
    with pytest.raises(ConfigError) as info:
        load_server_xml(path, {})
    error = info.value
    assert error.file == path and error.line == 2
    assert "workers" in error.message and value in error.message
    assert error.hint is not None and 'workers="auto"' in error.hint


def test_workers_of_server_xml_reads_the_attribute_alone(tmp_path):
    assert workers_of_server_xml(_server_xml(tmp_path, 'workers="2"'), {}) == 2
    assert workers_of_server_xml(_server_xml(tmp_path, 'workers="${w}"'), {"w": "4"}) == 4
    assert workers_of_server_xml(_server_xml(tmp_path, ""), {}) == 1
    # Not right: 1, so that the one-process start reports the error as before.
    assert workers_of_server_xml(_server_xml(tmp_path, 'workers="zero"'), {}) == 1
    assert workers_of_server_xml(str(tmp_path / "missing.xml"), {}) == 1
    (tmp_path / "broken.xml").write_text("<Server")
    assert workers_of_server_xml(str(tmp_path / "broken.xml"), {}) == 1


def test_workers_option_and_start_passes_it_on():
    args, _ = parse_args(["run", "--workers", "auto"])
    assert args.workers == "auto"
    args, _ = parse_args(["start", "--workers", "2"])
    assert run_options(args)[:4] == ["--log-level", "INFO", "--workers", "2"]
    args, _ = parse_args(["run"])
    assert args.workers is None and "--workers" not in run_options(args)


@pytest.mark.parametrize("value", ["0", "lots"])
def test_a_bad_workers_option_is_refused_before_anything(tmp_path, value):
    (tmp_path / "conf").mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "catalina_py", "run", "--workers", value],
        env=dict(os.environ, CATALINA_BASE=str(tmp_path)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "--workers" in result.stderr and "expected: --workers" in result.stderr


def test_backoff_doubles_from_a_tenth_of_a_second_up_to_the_cap():
    assert [supervisor.backoff(n) for n in range(1, 6)] == [0.1, 0.2, 0.4, 0.8, 1.6]
    assert supervisor.backoff(0) == supervisor.FIRST_BACKOFF
    assert supervisor.backoff(40) == supervisor.MAX_BACKOFF


def test_describe_status():
    assert supervisor.describe_status(signal.SIGKILL) == "killed by SIGKILL"
    assert supervisor.describe_status(3 << 8) == "exited with 3"


def test_sharing_mode():
    default = "reuseport" if supervisor.reuse_port_available() else "inherit"
    assert supervisor.sharing_mode({}) == default
    assert supervisor.sharing_mode({supervisor.SOCKETS_ENV: "inherit"}) == "inherit"
    with pytest.raises(ConfigError, match="CATALINA_WORKER_SOCKETS"):
        supervisor.sharing_mode({supervisor.SOCKETS_ENV: "magic"})
    if supervisor.reuse_port_available():
        assert supervisor.sharing_mode({supervisor.SOCKETS_ENV: "REUSEPORT"}) == "reuseport"


def test_shutdown_command_rules_shared_by_server_and_supervisor():
    assert is_shutdown_command(b"SHUTDOWN", "SHUTDOWN")
    assert is_shutdown_command(b" SHUTDOWN \r\nmore", "SHUTDOWN")
    assert not is_shutdown_command(b"SHUTDOWNX", "SHUTDOWN")
    assert not is_shutdown_command(b"", "SHUTDOWN")
    assert shutdown_command_complete(b"SHUTDOWN\n")
    assert not shutdown_command_complete(b"SHUTDOWN")
    assert shutdown_command_complete(b"x" * 1025)


@pytest.mark.parametrize("command", ["run", "start"])
def test_run_and_start_help_show_the_workers_option(command, capsys):
    from catalina_py.bootstrap import build_parser

    with pytest.raises(SystemExit):
        build_parser().parse_args([command, "--help"])
    text = capsys.readouterr().out
    assert "--workers N" in text and "auto" in text
