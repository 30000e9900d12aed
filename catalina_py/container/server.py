"""``StandardServer`` and ``StandardService``: the top of the component tree.

A Server holds Services and listens on its shutdown port; a Service ties
Connectors to one Engine through a Mapper. Start-up binds every connector
before any of them accepts, so a port in use stops the server before it
serves anything; stop-up is graceful (see :meth:`StandardServer.stop`).
"""

from __future__ import annotations

import logging
import signal
import time
from typing import Any

import gevent
import gevent.event
from gevent import socket

from ..lifecycle import LifecycleBase
from .host import StandardEngine
from .mapper import Mapper

log = logging.getLogger("catalina_py.server")

#: Tomcat reads at most this much of a shutdown command.
SHUTDOWN_COMMAND_LIMIT = 1024


def shutdown_command_complete(received: bytes) -> bool:
    """Whether the shutdown port has read enough of *received*: a control
    character ends a command, and nothing past 1 KiB is read (as Tomcat)."""
    return len(received) > SHUTDOWN_COMMAND_LIMIT or any(byte < 32 for byte in received)


def is_shutdown_command(received: bytes, expected: str) -> bool:
    """Whether *received* (everything read from one shutdown-port client)
    is the command *expected*: its first line, stripped."""
    return received.split(b"\n")[0].strip() == expected.encode("utf-8")


class StandardService(LifecycleBase):
    """Connectors sharing one Engine."""

    def __init__(self, name: str, engine: StandardEngine, mapper: Mapper) -> None:
        self.name = name
        self.engine = engine
        self.mapper = mapper
        self.connectors: list[Any] = []
        self.host_configs: list[Any] = []

    def lifecycle_name(self) -> str:
        return f"StandardService[{self.name}]"

    def bind(self) -> None:
        for connector in self.connectors:
            connector.bind()

    def start_internal(self) -> None:
        self.engine.start()
        for host_config in self.host_configs:
            host_config.deploy_apps()
            # autoDeploy and reloadable contexts: HostConfig's watcher.
            host_config.start_background()
        for connector in self.connectors:
            connector.start()

    def pause(self) -> None:
        for connector in self.connectors:
            connector.pause()

    def stop_internal(self) -> None:
        for connector in self.connectors:
            connector.stop(grace=getattr(self, "graceful_stop_seconds", 10.0))
        for host_config in self.host_configs:
            host_config.stop()
        self.engine.stop()


class StandardServer(LifecycleBase):
    """The whole container: services and the shutdown port."""

    def __init__(self, port: int = 8005, shutdown: str = "SHUTDOWN", address: str = "localhost") -> None:
        self.port = port
        self.shutdown = shutdown
        self.address = address
        self.services: list[StandardService] = []
        self._stop_event = gevent.event.Event()
        self._shutdown_socket: socket.socket | None = None
        self._await_greenlet: gevent.Greenlet | None = None
        #: The start-up line (a worker process says "Worker startup in"; its
        #: supervisor says "Server startup in" once every worker serves).
        self.startup_message = "Server startup in [%d] milliseconds"

    def lifecycle_name(self) -> str:
        return "StandardServer"

    def bind(self) -> None:
        """Bind the shutdown port and every connector, before anything starts."""
        if self.port >= 0:
            sock = socket.socket(socket.AF_INET6 if ":" in self.address else socket.AF_INET)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((self.address, self.port))
            except OSError as exc:
                sock.close()
                from ..errors import ConfigError

                raise ConfigError(
                    f"the shutdown port {self.address}:{self.port} cannot be bound: "
                    f"{exc.strerror} (is another instance running?)",
                    hint='Server port="-1" disables it, or choose a free port',
                ) from None
            sock.listen(5)
            self._shutdown_socket = sock
        for service in self.services:
            service.bind()

    @property
    def shutdown_port(self) -> int:
        return self._shutdown_socket.getsockname()[1] if self._shutdown_socket else -1

    def start_internal(self) -> None:
        started = time.monotonic()
        for service in self.services:
            service.start()
        if self._shutdown_socket is not None:
            self._await_greenlet = gevent.spawn(self._await_shutdown_command)
        log.info(self.startup_message, (time.monotonic() - started) * 1000)

    def _await_shutdown_command(self) -> None:
        """Tomcat's ``StandardServer.await``: accept on the shutdown port and
        stop when a client sends the shutdown command."""
        assert self._shutdown_socket is not None
        while not self._stop_event.is_set():
            try:
                conn, peer = self._shutdown_socket.accept()
            except OSError:
                return
            try:
                conn.settimeout(10)
                received = b""
                # Like Tomcat: read until the peer closes or sends a control
                # character, and never more than 1 KiB.
                while not shutdown_command_complete(received):
                    chunk = conn.recv(1024)
                    if not chunk:
                        break
                    received += chunk
            except OSError:
                received = b""
            finally:
                conn.close()
            if is_shutdown_command(received, self.shutdown):
                log.info("A valid shutdown command was received via the shutdown port. Stopping the Server instance.")
                self._stop_event.set()
                return
            log.warning(
                "Invalid shutdown command [%s] received from %s and ignored",
                received[:64].decode("latin-1", "replace"),
                peer[0],
            )

    def install_signal_handlers(self) -> None:
        """SIGTERM and SIGINT stop the server gracefully, as the shutdown command does."""
        for signum in (signal.SIGTERM, signal.SIGINT):
            gevent.signal_handler(signum, self._on_signal, signum)

    def _on_signal(self, signum: int) -> None:
        log.info("Received %s: stopping the Server instance.", signal.Signals(signum).name)
        self._stop_event.set()

    def request_stop(self) -> None:
        """Stop as the shutdown command does (a worker process whose
        supervisor is gone calls this)."""
        self._stop_event.set()

    def await_stop(self, timeout: float | None = None) -> bool:
        """Block until a shutdown command or a signal."""
        return self._stop_event.wait(timeout)

    def stop_internal(self) -> None:
        """Graceful stop: stop accepting everywhere first, then let each
        service finish its in-flight requests and stop its contexts."""
        self._stop_event.set()
        for service in self.services:
            service.pause()
        for service in self.services:
            service.stop()
        if self._shutdown_socket is not None:
            self._shutdown_socket.close()
        if self._await_greenlet is not None:
            self._await_greenlet.kill(block=False)
        log.info("Server stopped")
