"""``catalina-py tour``: every scenario played for real (its own server,
nginx for the proxy scenarios), and it must say that what it observed
matches what it explains (exit 0)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from catalina_py.tour.nginx import find_nginx
from catalina_py.tour.scenarios import SCENARIOS
from tests.server import REPO

_ON_CI = os.environ.get("CI", "").lower() == "true"


def tour(*args: str, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, CATALINA_HOME=str(REPO))
    env.pop("CATALINA_BASE", None)
    return subprocess.run(
        [sys.executable, "-m", "catalina_py", "tour", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=REPO,
        check=False,
    )


def test_the_list_names_all_ten():
    done = tour()
    assert done.returncode == 0
    names = [line.split()[0] for line in done.stdout.splitlines() if line.startswith("  ")]
    assert names == [
        "handshake",
        "keep-alive",
        "chunked",
        "proxy-drops-upgrade",
        "proxy-http10",
        "idle-timeout",
        "origin-host",
        "deflate",
        "close",
        "too-big",
    ]


def test_an_unknown_name():
    done = tour("nope")
    assert done.returncode == 2 and "handshake" in done.stderr


#: A line each scenario's output must hold (besides the verdict).
KEY_LINES = {
    "handshake": "base64 of the digest, Sec-WebSocket-Accept:  s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
    "keep-alive": "bytes of the next request already buffered",
    "chunked": "last chunk (size 0)",
    "proxy-drops-upgrade": "426",
    "proxy-http10": "http-version: FAILED",
    "idle-timeout": "pinging: still open",
    "origin-host": "Host: catalina",
    "deflate": "RSV1=1",
    "close": "started by the server",
    "too-big": "close 1009",
}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_each_scenario_matches_its_explanation(name):
    if SCENARIOS[name].needs_nginx and find_nginx() is None:
        if _ON_CI:
            pytest.fail("CI=true but nginx is not installed: the tour's proxy scenarios must run on CI")
        pytest.skip("nginx is not installed (apt-get install nginx)")
    done = tour(name)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert f"{name}: what happened matches the explanation" in done.stdout
    assert "MISMATCH" not in done.stdout
    assert KEY_LINES[name] in done.stdout, done.stdout[-3000:]
