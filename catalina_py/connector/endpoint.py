"""The Connector and its Endpoint: the listening socket, the gevent accept
loop and the pool of connection greenlets (Tomcat's ``Connector``,
``NioEndpoint`` and ``Acceptor``).

``maxConnections`` is the size of the pool: when it is full gevent stops
accepting, and further clients wait in the kernel's backlog, as they wait
on Tomcat's ``LimitLatch``. ``maxThreads`` bounds how many requests run in
the Catalina pipeline at once.
"""

from __future__ import annotations

import errno
import logging
import socket
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import gevent
import gevent.lock
import gevent.pool
import gevent.socket
from gevent.server import StreamServer

from .. import trace
from ..errors import ConfigError
from .processor import Http11Processor

if TYPE_CHECKING:  # pragma: no cover
    from ..config.server_xml import ConnectorConfig
    from ..container.adapter import CoyoteAdapter  # the http branch replaces this with connector/protocols.Adapter

log = logging.getLogger("catalina_py.connector")


def _seconds(ms: int | None) -> float | None:
    """Tomcat's milliseconds to a socket timeout; negative means none."""
    if ms is None or ms < 0:
        return None
    return ms / 1000.0


@dataclass(frozen=True)
class ConnectorSettings:
    """The Connector attributes the request loop reads, in the units it uses."""

    port: int
    address: str | None
    connection_timeout: float | None
    keep_alive_timeout: float | None
    max_keep_alive_requests: int
    max_http_header_size: int
    max_post_size: int
    max_swallow_size: int
    max_connections: int
    max_threads: int
    uri_encoding: str
    redirect_port: int
    #: WebSocket heartbeat and close handshake bounds, in seconds.
    web_socket_ping_interval: float = 25.0
    web_socket_ping_timeout: float = 10.0
    web_socket_close_timeout: float = 10.0
    scheme: str = "http"
    secure: bool = False
    proxy_name: str | None = None
    proxy_port: int = 0

    @classmethod
    def from_config(cls, config: "ConnectorConfig") -> "ConnectorSettings":
        keep_alive_ms = config.keep_alive_timeout_ms
        if keep_alive_ms is None:
            keep_alive_ms = config.connection_timeout_ms
        return cls(
            port=config.port,
            address=config.address,
            connection_timeout=_seconds(config.connection_timeout_ms),
            keep_alive_timeout=_seconds(keep_alive_ms),
            max_keep_alive_requests=config.max_keep_alive_requests,
            max_http_header_size=config.max_http_header_size,
            max_post_size=config.max_post_size,
            max_swallow_size=config.max_swallow_size,
            max_connections=config.max_connections,
            max_threads=config.max_threads,
            uri_encoding=config.uri_encoding,
            redirect_port=config.redirect_port,
            web_socket_ping_interval=config.web_socket_ping_interval,
            web_socket_ping_timeout=config.web_socket_ping_timeout,
            web_socket_close_timeout=config.web_socket_close_timeout,
            scheme=config.scheme,
            secure=config.secure,
            proxy_name=config.proxy_name,
            proxy_port=config.proxy_port,
        )


class Endpoint:
    """Accepts connections on one address and runs an Http11Processor for each."""


    def __init__(self, config: ConnectorSettings, adapter: "CoyoteAdapter", location: Any = None) -> None:
        self.config = config
        self.adapter = adapter
        #: What requests on this connector report (Connector scheme/secure).
        self.scheme = config.scheme
        self.secure = config.secure
        self.location = location
        self.stopping = False
        self.listener: socket.socket | None = None
        self.server: StreamServer | None = None
        size = config.max_connections if config.max_connections > 0 else None
        self.pool = gevent.pool.Pool(size)
        self.processors: set[Http11Processor] = set()
        #: The upgraded connections (servlet/upgrade.WebConnection), told
        #: when the server stops gracefully.
        self.upgraded: set[Any] = set()
        self.request_slots = gevent.lock.BoundedSemaphore(max(1, config.max_threads))
        self._sweeper: gevent.Greenlet | None = None

    @property
    def bound_port(self) -> int:
        """The port actually bound (useful with port 0 in tests)."""
        assert self.listener is not None
        return self.listener.getsockname()[1]

    def bind(self) -> None:
        """Open the listening socket, so a port in use is reported before
        anything starts."""
        address = self.config.address or ""
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        sock = gevent.socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((address, self.config.port))
        except OSError as exc:
            sock.close()
            what = "already in use" if exc.errno == errno.EADDRINUSE else exc.strerror
            raise ConfigError(
                f"Connector cannot listen on {address or '*'}:{self.config.port}: {what}",
                file=getattr(self.location, "file", None), line=getattr(self.location, "line", None),
                hint="a free port, or stop the process that holds it") from None
        sock.listen(1024)  # Tomcat's acceptCount is 100; gevent's default backlog is larger
        self.listener = sock

    def start(self) -> None:
        if self.listener is None:
            self.bind()
        self.server = StreamServer(self.listener, self._handle, spawn=self.pool)
        self.server.start()
        self._sweeper = gevent.spawn(self._sweep_timeouts)
        log.info("Starting ProtocolHandler [\"http-gevent-%s\"]", self.bound_port)

    def _handle(self, sock: socket.socket, address: Any) -> None:
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        processor = Http11Processor(self, sock, address)
        processor.greenlet = gevent.getcurrent()
        if trace.ENABLED:
            processor.trace_id = trace.new_connection()
            trace.trace(processor.trace_id, "accept",
                        f"{processor.remote_addr}:{processor.remote_port} -> "
                        f"{processor.local_addr}:{processor.local_port}")
        self.processors.add(processor)
        try:
            processor.run()
        finally:
            self.processors.discard(processor)

    def sweep_interval(self) -> float:
        """How often blocked connections are checked against their deadline:
        a quarter of the shortest timeout, between 50 ms and 1 s."""
        timeouts = [t for t in (self.config.connection_timeout, self.config.keep_alive_timeout)
                    if t is not None]
        if not timeouts:
            return 1.0
        return min(1.0, max(0.05, min(timeouts) / 4))

    def _sweep_timeouts(self) -> None:
        """Tomcat's Poller timeout check: close connections whose read or
        write has been blocked past connectionTimeout/keepAliveTimeout."""
        interval = self.sweep_interval()
        while True:
            gevent.sleep(interval)
            now = time.monotonic()
            for processor in list(self.processors):
                deadline = processor.deadline
                if deadline and now >= deadline and processor.greenlet is not None:
                    processor.deadline = 0.0
                    processor.greenlet.kill(socket.timeout("timed out"), block=False)

    def pause(self) -> None:
        """Stop accepting new connections (the listener stays bound)."""
        self.stopping = True
        if self.server is not None:
            self.server.stop_accepting()

    def stop(self, grace: float = 10.0) -> None:
        """Graceful stop: no new connections, idle keep-alive connections
        closed, in-flight requests allowed *grace* seconds to finish."""
        self.pause()
        for processor in list(self.processors):
            if processor.idle:
                self._kill(processor)
        for connection in list(self.upgraded):
            # WebSockets send 1001 Going Away and wait for the reply (bounded).
            try:
                connection.handler.server_stopping(connection)
            except Exception:
                log.exception("Upgrade handler failed to stop")
                connection.close()
        if not self.pool.join(timeout=grace):
            log.warning("Connections still busy after %.1f s; closing them", grace)
            self.pool.kill(timeout=2)
        if self._sweeper is not None:
            self._sweeper.kill(block=False)
        if self.server is not None:
            self.server.close()
        elif self.listener is not None:
            self.listener.close()

    @staticmethod
    def _kill(processor: Http11Processor) -> None:
        greenlet = processor.greenlet
        if greenlet is not None:
            greenlet.kill(block=False)
        else:
            processor._close()


class Connector:
    """A ``<Connector>``: its settings, its endpoint and the adapter to the
    Service's Engine."""

    def __init__(self, config: "ConnectorConfig", adapter: "CoyoteAdapter") -> None:
        self.config = config
        self.settings = ConnectorSettings.from_config(config)
        self.endpoint = Endpoint(self.settings, adapter, config.location)

    def bind(self) -> None:
        self.endpoint.bind()

    def start(self) -> None:
        self.endpoint.start()

    def pause(self) -> None:
        self.endpoint.pause()

    def stop(self, grace: float = 10.0) -> None:
        self.endpoint.stop(grace)

    @property
    def port(self) -> int:
        return self.endpoint.bound_port
