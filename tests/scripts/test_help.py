"""``--help``: plain text for every command, with the -D options."""

from __future__ import annotations

import subprocess
import sys

import pytest

from catalina_py.bootstrap import COMMANDS, build_parser, parse_args, run_options
from tests.server import REPO


def _help(*argv: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "catalina_py", *argv, "--help"], capture_output=True, text=True, timeout=60, cwd=REPO
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def _assert_plain(text: str) -> None:
    assert "``" not in text and ":class:" not in text and ":meth:" not in text, text


def test_main_help_is_plain_text_listing_commands_and_defines():
    text = _help()
    _assert_plain(text)
    for command in COMMANDS:
        assert command in text
    assert "-Dname=value" in text and "-Dcatalina.base=DIR" in text
    assert "CATALINA_PID" in text


@pytest.mark.parametrize("command", [c for c in COMMANDS if c not in ("tour", "digest")])
def test_each_command_has_its_help_with_the_defines(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args([command, "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    _assert_plain(text)
    assert f"catalina-py {command}:" in text
    assert "-Dname=value" in text
    if command in ("run", "start"):
        assert "--trace-file" in text and "--log-level" in text
    if command in ("start", "stop"):
        assert "--wait" in text


def test_digest_help_is_tomcats_usage():
    """``digest`` takes Tomcat's digest.sh flags (``-h`` is the handler, so
    argparse's help is off); ``--help`` alone prints that usage."""
    text = _help("digest")
    assert text.startswith("Usage: digest [-a <algorithm>]") and "<credentials>" in text


def test_tour_help_is_the_tours():
    text = _help("tour")
    _assert_plain(text)
    assert "handshake" in text


def test_options_before_or_after_the_command_and_defines_anywhere():
    args, defines = parse_args(["--trace", "-Da=1", "run", "--log-level", "DEBUG", "-Db", "-Dc=x=y"])
    assert args.command == "run" and args.trace and args.log_level == "DEBUG"
    assert defines == {"a": "1", "b": "", "c": "x=y"}
    args, _ = parse_args(["stop", "--wait", "2"])
    assert args.command == "stop" and args.wait == 2.0


def test_start_passes_the_run_options_on():
    args, _ = parse_args(["start", "--trace", "--log-level", "DEBUG", "--trace-path", "/examples"])
    assert run_options(args) == ["--log-level", "DEBUG", "--trace", "--trace-path", "/examples"]
