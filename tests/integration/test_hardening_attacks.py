"""Small, bounded runs of the hardening measurements (bench/hardening/): the
same scripts and bounds as the figures in docs/hardening.md, with counts cut
down so that each runs in seconds. Each script starts its own server in a
temporary CATALINA_BASE (under pytest's tmp_path) and stops it by PID.

Not here: slowloris.py and ws_idle.py, whose bounds are latencies (no timed
assertions in the suite); their behaviour is covered by the connector's own
tests.
"""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

from bench.hardening import bodies, crlf, graceful, leaks, smuggling, traversal

_ON_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture(autouse=True)
def _bases_under_tmp_path(tmp_path, monkeypatch):
    """The scripts' temporary CATALINA_BASEs go under this test's tmp_path."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))


def test_crlf_in_headers_redirects_and_cookies_never_splits_a_response():
    assert crlf.main([]) == 0


def test_traversal_encodings_and_symlinks_serve_no_canary():
    assert traversal.main(["--limit", "600"]) == 0


def test_smuggling_through_nginx_reaches_the_container_only_as_nginx_sent_it():
    if shutil.which("nginx") is None and not os.access("/usr/sbin/nginx", os.X_OK):
        if _ON_CI:
            pytest.fail("CI=true but nginx is not installed: the smuggling test must run on CI")
        pytest.skip("nginx is not installed (looked on PATH and /usr/sbin)")
    assert smuggling.main([]) == 0


def test_connections_and_websockets_opened_and_closed_leave_no_fd_or_greenlet():
    assert leaks.main(["--connections", "1000", "--websockets", "100", "--rss-mib", "16"]) == 0


def test_large_bodies_keep_memory_bounded():
    assert bodies.main(["--size-mib", "16", "--rss-mib", "32"]) == 0


def test_graceful_stop_under_chat_load_and_pid_file_after_signals():
    # --grace 60: a hang guard, not a timing bound (the figure is in docs/hardening.md).
    assert graceful.main(["--clients", "10", "--load", "1", "--rate", "10", "--grace", "60"]) == 0
