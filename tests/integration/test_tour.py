"""``catalina-py tour``: every scenario played for real (its own server,
a real nginx for the proxy scenarios), as a learner runs it, and it must
say that what it observed matches what it explains (exit 0).

The proxy scenarios are skipped when nginx is not installed, unless
``CI=true`` (then they fail), as in tests/interop/test_nginx.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import catalina_py.tour as tour_package
from catalina_py.tour.nginx import find_nginx
from catalina_py.tour.scenarios import SCENARIOS

REPO = Path(__file__).resolve().parents[2]
_ON_CI = os.environ.get("CI", "").lower() == "true"
NAMES = [
    "handshake",
    "keep-alive",
    "chunked",
    "proxy-drops-upgrade",
    "proxy-http10",
    "idle-timeout",
    "origin-host",
    "deflate",
    "close",
    "in-parts",
    "too-big",
]


def tour(*args: str, timeout: float = 90.0) -> subprocess.CompletedProcess[str]:
    """``python -m catalina_py tour ARGS`` with CATALINA_HOME the checkout."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CATALINA_")}
    env["CATALINA_HOME"] = str(REPO)
    return subprocess.run(
        [sys.executable, "-m", "catalina_py", "tour", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=REPO,
        check=False,
    )


def test_the_list_names_all_eleven_with_a_sentence_each():
    done = tour()
    assert done.returncode == 0, done.stderr
    rows = [line.split(None, 1) for line in done.stdout.splitlines() if line.startswith("  ")]
    assert [name for name, _ in rows] == NAMES
    assert all(len(text) > 20 for _, text in rows)


def test_an_unknown_name_lists_the_names_and_exits_2():
    done = tour("nope")
    assert done.returncode == 2
    assert "nope" in done.stderr
    for name in NAMES:
        assert name in done.stderr


def test_a_proxy_scenario_without_nginx_says_how_to_install_it(monkeypatch, capsys):
    monkeypatch.setattr(tour_package, "find_nginx", lambda: None)
    assert tour_package.main(["origin-host"]) == 3
    assert "nginx is not installed: apt-get install nginx" in capsys.readouterr().out


#: Lines each scenario's output must hold (besides the verdict).
KEY_LINES = {
    "handshake": (
        "base64 of the digest, Sec-WebSocket-Accept:  s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
        "< Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
        "base64 of the digest: Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
    ),
    "keep-alive": ("bytes of the next request already buffered", "close: the client sent Connection: close"),
    "chunked": ("chunk 1: 13 bytes", "last chunk (size 0)", "First name: Ada, Last name: Lovelace"),
    "proxy-drops-upgrade": (
        "< HTTP/1.1 426 Upgrade Required",
        "check upgrade failed (Upgrade: None, Connection: close",
    ),
    "proxy-http10": (
        "HTTP/1.0 (6 headers",
        "http-version: passed, HTTP/1.0 (accepted, as Tomcat does)",
        "< HTTP/1.1 101",
    ),
    "idle-timeout": (
        "quiet: the client, silent, got EOF after",
        "pinging: still open after",
        "closed 1006",
        "opcode=pong",
        "upstream timed out",
    ),
    "origin-host": ("check origin failed (Origin: http://127.0.0.1:", "Host: catalina", "< HTTP/1.1 101"),
    "deflate": ("RSV1=1", "MessageReceived          480 characters"),
    "close": ("closed 1000 'bye', started by the client", "started by the server", "close 1007"),
    "in-parts": ("frame in    text frame, 100000 bytes (more to come)", "text last part", "the same message"),
    "too-big": ("closed 1009", "message exceeds the limit of 65536 bytes"),
}


@pytest.mark.parametrize("name", NAMES)
def test_each_scenario_matches_its_explanation(name):
    if SCENARIOS[name].needs_nginx and find_nginx() is None:
        if _ON_CI:
            pytest.fail("CI=true but nginx is not installed: the tour's proxy scenarios must run on CI")
        pytest.skip("nginx is not installed (looked on PATH and in /usr/sbin, /usr/local/sbin): apt-get install nginx")
    done = tour(name)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert f"{name}: what happened matches the explanation" in done.stdout
    assert "MISMATCH" not in done.stdout
    for line in KEY_LINES[name]:
        assert line in done.stdout, (line, done.stdout[-3000:])
