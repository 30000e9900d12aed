"""A real nginx for tests, on loopback ports, started and stopped by PID.

``NginxProcess`` runs nginx in the foreground with a prefix folder of the
test's own (logs, temp files, PID file) and a configuration given as the
body of an ``http { }`` block; ``check_config`` runs ``nginx -t`` on such a
body. ``shipped_config`` reads a file of ``conf/nginx/`` and rewrites its
ports and paths for a test, failing when a text to rewrite is not in the
file (so a test never silently runs something other than what the file
says). ``nginx_or_skip`` skips a test without nginx, or fails it when
``CI=true``.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from catalina_py.tour.nginx import find_nginx, stop_nginx, wait_listening
from tests.ci import skip_or_fail
from tests.server import REPO

CONF_NGINX = REPO / "conf" / "nginx"


NGINX = find_nginx()
MISSING = (
    "nginx is not installed (looked on PATH and in /usr/sbin, /usr/local/sbin); "
    "install it to run the reverse-proxy interop tests"
)


def nginx_or_skip() -> str:
    """The nginx binary; a skip when it is missing (a failure when CI=true)."""
    if NGINX is None:
        skip_or_fail(MISSING)
    return NGINX


def shipped_config(name: str, replacements: dict[str, str], drop: tuple[str, ...] = ()) -> str:
    """``conf/nginx/<name>`` with each key of *replacements* replaced by its
    value and the lines containing any text of *drop* removed; an
    AssertionError names a text that is not in the file."""
    text = (CONF_NGINX / name).read_text()
    for old, new in replacements.items():
        assert old in text, f"conf/nginx/{name} no longer contains {old!r}"
        text = text.replace(old, new)
    for gone in drop:
        lines = text.splitlines(keepends=True)
        kept = [line for line in lines if gone not in line]
        assert len(kept) < len(lines), f"conf/nginx/{name} has no line with {gone!r}"
        text = "".join(kept)
    return text


def _wrapper(prefix: Path, http_body: str, worker_connections: int = 512) -> str:
    user = "user root;\n" if os.geteuid() == 0 else ""
    return (
        f"{user}worker_processes 1;\n"
        f"error_log {prefix}/error.log info;\n"
        f"events {{ worker_connections {worker_connections}; }}\n"
        "http {\n"
        f"    access_log {prefix}/access.log;\n"
        f"    client_body_temp_path {prefix}/client_body; proxy_temp_path {prefix}/proxy;\n"
        f"    fastcgi_temp_path {prefix}/fastcgi; uwsgi_temp_path {prefix}/uwsgi; scgi_temp_path {prefix}/scgi;\n"
        f"{http_body}\n"
        "}\n"
    )


def _command(binary: str, prefix: Path, conf: Path) -> list[str]:
    return [binary, "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "error.log"),
            "-g", f"daemon off; pid {prefix}/nginx.pid;"]  # fmt: skip


def check_config(prefix: Path, http_body: str) -> subprocess.CompletedProcess[str]:
    """``nginx -t`` on *http_body* inside an ``http`` block (logs and temp
    files in *prefix*); the completed process (its stderr has nginx's verdict)."""
    binary = nginx_or_skip()
    prefix.mkdir(parents=True, exist_ok=True)
    conf = prefix / "nginx.conf"
    conf.write_text(_wrapper(prefix, http_body))
    return subprocess.run([*_command(binary, prefix, conf), "-t"], capture_output=True, text=True, timeout=30)


class NginxProcess:
    """nginx serving *http_body* (the inside of an ``http`` block) from *prefix*."""

    def __init__(self, prefix: Path, http_body: str, worker_connections: int = 512) -> None:
        self.prefix = prefix
        self.http_body = http_body
        #: nginx counts a proxied connection twice (client and upstream).
        self.worker_connections = worker_connections
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, ports: list[int], timeout: float = 10.0) -> NginxProcess:
        """Start nginx and wait (bounded) until it accepts on every port of *ports*."""
        binary = nginx_or_skip()
        self.prefix.mkdir(parents=True, exist_ok=True)
        conf = self.prefix / "nginx.conf"
        conf.write_text(_wrapper(self.prefix, self.http_body, self.worker_connections))
        with open(self.prefix / "nginx.stderr", "wb") as stderr:
            self.proc = subprocess.Popen(_command(binary, self.prefix, conf), stdout=subprocess.DEVNULL, stderr=stderr)
        wait_listening(self.proc, ports, timeout, self.error_log)
        return self

    def error_log(self) -> str:
        """nginx's error log so far (level info)."""
        try:
            return (self.prefix / "error.log").read_text(errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        """SIGTERM by PID (nginx's fast shutdown, its workers included), then SIGKILL."""
        stop_nginx(self.proc)
