"""A real nginx for the proxy scenarios, on loopback, from a template in
``conf/nginx/`` (the file the learner reads), with its own prefix folder,
started and stopped by its PID."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from .instance import HOME

__all__ = ["Nginx", "find_nginx", "stop_nginx", "wait_listening"]


def find_nginx() -> str | None:
    """The nginx binary, or None."""
    found = shutil.which("nginx")
    if found:
        return found
    for candidate in ("/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/nginx/sbin/nginx"):
        if os.access(candidate, os.X_OK):
            return candidate
    return None


class Nginx:
    """nginx with ``conf/nginx/<name>.conf``; ``{placeholders}`` replaced by *values*."""

    def __init__(self, name: str, **values: float | str) -> None:
        self.template = HOME / "conf" / "nginx" / f"{name}.conf"
        self.prefix = Path(tempfile.mkdtemp(prefix="catalina-tour-nginx-"))
        self.values = dict(values)
        self.proc: subprocess.Popen[bytes] | None = None

    def config(self) -> str:
        """The configuration as nginx gets it (the server block the learner reads)."""
        text = self.template.read_text()
        for key, value in self.values.items():
            text = text.replace("{" + key + "}", str(value))
        return text

    def start(self, listen_ports: list[int], timeout: float = 10.0) -> Nginx:
        """Write the whole nginx.conf (the template inside an ``http`` block
        whose logs and temp files stay in the prefix), start nginx in the
        foreground and wait until it listens on every port of *listen_ports*."""
        binary = find_nginx()
        if binary is None:
            raise FileNotFoundError("nginx is not installed: apt-get install nginx")
        user = "user root;\n" if os.geteuid() == 0 else ""
        prefix = self.prefix
        wrapper = (
            f"{user}worker_processes 1;\nerror_log {prefix}/error.log info;\n"
            f"events {{ worker_connections 64; }}\n"
            f"http {{\n    access_log {prefix}/access.log;\n"
            f"    client_body_temp_path {prefix}/body; proxy_temp_path {prefix}/proxy;\n"
            f"    fastcgi_temp_path {prefix}/fastcgi; uwsgi_temp_path {prefix}/uwsgi; scgi_temp_path {prefix}/scgi;\n"
            f"{self.config()}\n}}\n"
        )
        conf = prefix / "nginx.conf"
        conf.write_text(wrapper)
        self.proc = subprocess.Popen(
            [
                binary,
                "-p",
                str(prefix),
                "-c",
                str(conf),
                "-e",
                str(prefix / "error.log"),
                "-g",
                f"daemon off; pid {prefix}/nginx.pid;",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_listening(self.proc, listen_ports, timeout, self.error_log)
        return self

    def error_log(self) -> str:
        """nginx's error log so far (level ``info``: it has the timeouts)."""
        try:
            return (self.prefix / "error.log").read_text(errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        """Stop nginx by its PID (:func:`stop_nginx`); remove the prefix."""
        stop_nginx(self.proc)
        shutil.rmtree(self.prefix, ignore_errors=True)


def wait_listening(
    proc: subprocess.Popen[bytes], ports: list[int], timeout: float, error_log: Callable[[], str]
) -> None:
    """Wait until nginx (*proc*) accepts on every one of *ports* on
    127.0.0.1; RuntimeError with its error log if it exits, or when
    *timeout* seconds pass."""
    deadline = time.monotonic() + timeout
    for port in ports:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"nginx exited with {proc.returncode}:\n{error_log()}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"nginx did not listen on {port} within {timeout} s") from None
                time.sleep(0.05)


def stop_nginx(proc: subprocess.Popen[bytes] | None) -> None:
    """SIGTERM to nginx by its PID (its fast shutdown, the workers too),
    then SIGKILL if it is still there after 10 s."""
    if proc is not None and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
