"""The Connector and its Endpoint: the listening socket, the gevent accept
loop and the pool of connection greenlets (Tomcat's ``Connector``,
``NioEndpoint`` and ``Acceptor``).

``maxConnections`` is the size of the pool: when it is full gevent stops
accepting, and further clients wait in the kernel's backlog, as they wait
on Tomcat's ``LimitLatch``. ``maxThreads`` bounds how many requests run in
the Catalina pipeline at once.

A TLS connector (``SSLEnabled="true"``) starts each connection with the
handshake, in the connection's greenlet, bounded by connectionTimeout
(``connector/tls.py``); the processor then reads and writes the TLS socket.

Upgraded connections (WebSockets) leave that pool once their 101 is sent
and count against ``maxUpgradedConnections`` instead, so that idle
WebSockets cannot starve HTTP (docs/upgrade.md "Connection limits").
A quiet upgraded connection may be parked by its handler: no greenlet at
all until its next bytes (``UpgradedConnection.park``, :meth:`Endpoint.resume`).
"""

from __future__ import annotations

import errno
import logging
import socket
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import gevent
import gevent.lock
import gevent.pool
import gevent.socket
import gevent.ssl
from gevent.server import StreamServer

from ..errors import ConfigError
from .processor import Http11Processor
from .tls import ServerTls
from .upgrade import UpgradedConnection

if TYPE_CHECKING:  # pragma: no cover
    from ..config.connector_spec import ConnectorSpec
    from .protocols import Adapter

log = logging.getLogger("catalina_py.connector")

#: How often a stop looks again whether the parked connections it told to
#: close have ended (seconds).
_PARKED_POLL = 0.02


def _seconds(ms: int | None) -> float | None:
    """Tomcat's milliseconds to a socket timeout; negative means none."""
    if ms is None or ms < 0:
        return None
    return ms / 1000.0


#: After a bad request is logged at INFO, the next ones are logged at DEBUG
#: only, for this long (Tomcat's UserDataHelper: INFO_THEN_DEBUG, 24 h), so
#: that a client cannot flood the log with malformed requests.
BAD_REQUEST_LOG_QUIET_SECONDS = 86400.0

#: File descriptors kept free for what is not a connection (the listener,
#: log files, webapp files, gevent's own) when checking the limit.
_FD_RESERVE = 256


def raise_file_limit() -> tuple[int, int] | None:
    """Raise the soft limit on open files (``ulimit -n``) to the hard limit,
    as a server holding thousands of sockets needs; returns the (soft,
    hard) limits now in force, None where the platform has none."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not POSIX
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard and (hard == resource.RLIM_INFINITY or soft < hard):
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            log.info("Raised the open-file limit from %s to %s", soft, target)
            soft = target
        except (ValueError, OSError) as exc:  # pragma: no cover - platform refusal
            log.warning("Could not raise the open-file limit from %s to %s: %s", soft, target, exc)
    return soft, hard


class _ConnectionServer(StreamServer):
    """gevent's StreamServer, but a connection's socket stays open when its
    first greenlet ends with the connection parked (gevent closes the
    socket as soon as the handler returns)."""

    def __init__(self, listener: socket.socket, handle: Callable[..., None], spawn: Any) -> None:
        super().__init__(listener, handle, spawn=spawn)
        #: Sockets whose handler returned with the connection parked (each
        #: there only until gevent's close call that follows).
        self.left_open: set[socket.socket] = set()

    def do_close(self, sock: socket.socket, *args: Any) -> None:
        if sock in self.left_open:
            self.left_open.discard(sock)
            return
        super().do_close(sock, *args)


class Endpoint:
    """Accepts connections on one address and runs an Http11Processor for each.

    Reads the ``<Connector>``'s ``ConnectorSpec`` directly; only the two
    timeouts are converted (once) to the seconds the request loop uses.
    """

    def __init__(self, config: ConnectorSpec, adapter: Adapter) -> None:
        self.config = config
        self.adapter = adapter
        #: connectionTimeout / keepAliveTimeout in seconds (None: no timeout).
        self.connection_timeout = _seconds(config.connection_timeout_ms)
        self.keep_alive_timeout = _seconds(config.effective_keep_alive_timeout_ms)
        #: requestHeaderTimeout / requestBodyTimeout in seconds (None: no
        #: deadline of their own; 0 counts as none, as for connectionTimeout).
        self.request_header_timeout = _seconds(config.effective_request_header_timeout_ms or -1)
        self.request_body_timeout = _seconds(config.effective_request_body_timeout_ms or -1)
        self.request_body_min_rate = config.request_body_min_rate
        self.stopping = False
        self.listener: socket.socket | None = None
        self.server: _ConnectionServer | None = None
        size = config.max_connections if config.max_connections > 0 else None
        self.pool = gevent.pool.Pool(size)
        self.processors: set[Http11Processor] = set()
        #: The upgraded connections, told when the server stops gracefully.
        self.upgraded: set[UpgradedConnection] = set()
        #: The greenlets of upgraded connections, out of ``pool`` (joined at stop).
        self.upgraded_pool = gevent.pool.Group()
        #: Upgraded connection slots taken (``maxUpgradedConnections``).
        self.upgrade_slots_used = 0
        self._bad_request_logged_at: float | None = None
        self.request_slots = gevent.lock.BoundedSemaphore(max(1, config.max_threads))
        #: Requests, error responses and bytes of the connections closed so
        #: far (the open ones count their own): Tomcat's request processor
        #: statistics, read by the inspector.
        self.closed_requests = 0
        self.closed_errors = 0
        self.closed_bytes_in = 0
        self.closed_bytes_out = 0
        self._sweeper: gevent.Greenlet | None = None
        #: The SSL contexts of a TLS connector (None: plain HTTP), built now,
        #: while the configuration loads, so that a bad certificate or key
        #: stops the start-up before anything listens.
        self.tls = ServerTls(config) if config.ssl_enabled else None
        #: The greenlets of connections still in their TLS handshake.
        self.handshaking: set[Any] = set()
        #: Close the listening socket as soon as a stop begins, instead of at
        #: its end: set in a worker process, whose siblings listen on the same
        #: port (the kernel then gives new connections to them; a listener
        #: kept open would take its share and reset them at the end).
        self.release_listener_on_pause = False
        self._released_port: int | None = None

    def request_body_allowance(self, received: int) -> float | None:
        """How long a request body that brought *received* bytes so far may
        have kept the connection waiting in all (seconds), None for no limit:
        ``requestBodyTimeout`` plus a second per ``requestBodyMinRate`` bytes."""
        base = self.request_body_timeout
        rate = self.request_body_min_rate
        if base is None or rate <= 0:
            return None
        return base + received / rate

    def report_bad_request(self) -> bool:
        """Whether a bad request is reported at INFO now (the first one, then
        one a day at most); the others go to DEBUG."""
        now = time.monotonic()
        last = self._bad_request_logged_at
        if last is not None and now - last < BAD_REQUEST_LOG_QUIET_SECONDS:
            return False
        self._bad_request_logged_at = now
        return True

    def take_upgrade_slot(self) -> bool:
        """Reserve an upgraded connection slot; False when
        ``maxUpgradedConnections`` are held already (or the connector stops)."""
        limit = self.config.max_upgraded_connections
        if self.stopping or 0 <= limit <= self.upgrade_slots_used:
            return False
        self.upgrade_slots_used += 1
        return True

    def release_upgrade_slot(self) -> None:
        """Give back a slot taken by :meth:`take_upgrade_slot`."""
        self.upgrade_slots_used -= 1

    def leave_pool(self, greenlet: Any) -> None:
        """The connection was upgraded: its greenlet leaves the
        ``maxConnections`` pool (freeing an HTTP slot, so gevent accepts
        again) for the upgraded connections' group."""
        if greenlet is not None and greenlet in self.pool:
            self.pool.discard(greenlet)
            self.upgraded_pool.add(greenlet)

    @property
    def name(self) -> str:
        """The name events give the connector (Tomcat: ``http-nio-8080``)."""
        if self._released_port is not None:
            return f"http-gevent-{self._released_port}"
        port = self.listener.getsockname()[1] if self.listener is not None else self.config.port
        # As Tomcat's https-jsse-nio-8443 for a TLS connector.
        return f"{'https' if self.tls is not None else 'http'}-gevent-{port}"

    @property
    def bound_port(self) -> int:
        """The port actually bound (useful with port 0 in tests)."""
        if self._released_port is not None:
            return self._released_port
        assert self.listener is not None
        return self.listener.getsockname()[1]

    def bind(self) -> None:
        """Open the listening socket, so a port in use is reported before
        anything starts; nothing to do when it was given one (a worker
        process's)."""
        if self.listener is not None:
            return
        address = self.config.address or ""
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        sock = gevent.socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((address, self.config.port))
        except OSError as exc:
            sock.close()
            location = self.config.location
            what = "already in use" if exc.errno == errno.EADDRINUSE else exc.strerror
            raise ConfigError(
                f"Connector cannot listen on {address or '*'}:{self.config.port}: {what}",
                file=location.file if location else None,
                line=location.line if location else None,
                hint="a free port, or stop the process that holds it",
            ) from None
        sock.listen(1024)  # Tomcat's acceptCount is 100; gevent's default backlog is larger
        self.listener = sock

    def start(self) -> None:
        if self.listener is None:
            self.bind()
        assert self.listener is not None
        self._check_file_limit()
        self.server = _ConnectionServer(self.listener, self._handle, spawn=self.pool)
        self.server.start()
        self._sweeper = gevent.spawn(self._sweep_timeouts)
        if self.tls is not None:
            for line in self.tls.descriptions:
                log.info("Connector [%s], %s", self.name, line)
        log.info('Starting ProtocolHandler ["%s"]', self.name)

    def _check_file_limit(self) -> None:
        """Raise the open-file limit, and warn when the connection limits
        could not all be held with it."""
        limits = raise_file_limit()
        config = self.config
        if limits is None or config.max_connections < 0 or config.max_upgraded_connections < 0:
            return
        needed = config.max_connections + config.max_upgraded_connections + _FD_RESERVE
        if limits[0] < needed:
            log.warning(
                "The open-file limit (%s) is below maxConnections (%s) + maxUpgradedConnections (%s) + %s: "
                "accepting will fail with 'too many open files' before the limits are reached; raise it "
                "(ulimit -n, LimitNOFILE=) or lower the limits",
                limits[0],
                config.max_connections,
                config.max_upgraded_connections,
                _FD_RESERVE,
            )

    def _handle(self, sock: socket.socket, address: Any) -> None:
        accepted = sock  # the socket gevent closes when this returns
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        if self.tls is not None:
            tls_sock = self._tls_handshake(sock, address)
            if tls_sock is None:
                return
            sock = tls_sock
        processor = Http11Processor(self, sock, address)
        # ConnectionAccepted is reported by the processor with the first
        # request an observer admits (Http11Processor._report_head_read).
        self.processors.add(processor)
        self._serve(processor)
        if processor.parked and self.server is not None:
            self.server.left_open.add(accepted)

    def _serve(self, processor: Http11Processor, resume: Callable[[], None] | None = None) -> None:
        """Run *processor* in this greenlet (with *resume*: continue its
        parked upgraded connection); account for the connection when it
        ends, not when it was only parked."""
        processor.greenlet = gevent.getcurrent()
        try:
            processor.run(resume)
        finally:
            if not processor.parked:
                self.processors.discard(processor)
                # The closed connections' totals (the inspector's status).
                self.closed_requests += processor.requests_served
                self.closed_errors += processor.errors
                self.closed_bytes_in += processor.bytes_in
                self.closed_bytes_out += processor.bytes_out

    def resume(self, processor: Http11Processor, step: Callable[[], None]) -> gevent.Greenlet:
        """A parked upgraded connection has bytes to read (or was closed):
        its handler's *step* runs in a new greenlet of the upgraded
        connections' group."""
        return self.upgraded_pool.spawn(self._serve, processor, step)

    def _tls_handshake(self, sock: socket.socket, address: Any) -> gevent.ssl.SSLSocket | None:
        """The TLS socket of an accepted connection after its handshake
        (bounded by connectionTimeout), or None when the connection ended
        (closed, plain HTTP answered, handshake failed or timed out: logged
        at DEBUG, as Tomcat logs a failed handshake)."""
        greenlet = gevent.getcurrent()
        self.handshaking.add(greenlet)
        assert self.tls is not None
        try:
            with gevent.Timeout(self.connection_timeout, TimeoutError("no TLS handshake within connectionTimeout")):
                return self.tls.accept(sock)
        except (OSError, ValueError, TimeoutError) as exc:  # ssl.SSLError is an OSError
            peer = address[0] if address else ""
            port = address[1] if address and len(address) > 1 else 0
            log.debug("TLS handshake with %s:%s failed: %s", peer, port, exc)
            sock.close()
            return None
        finally:
            self.handshaking.discard(greenlet)

    def sweep_interval(self) -> float:
        """How often blocked connections are checked against their deadline:
        a quarter of the shortest timeout, between 50 ms and 1 s."""
        timeouts = [
            t
            for t in (
                self.connection_timeout,
                self.keep_alive_timeout,
                self.request_header_timeout,
                self.request_body_timeout,
            )
            if t is not None
        ]
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
                    processor.greenlet.kill(TimeoutError("timed out"), block=False)

    def pause(self) -> None:
        """Stop accepting new connections (the listener stays bound)."""
        self.stopping = True
        if self.server is not None:
            if self.release_listener_on_pause:
                if self._released_port is None:
                    self._released_port = self.bound_port  # the name events give stays
                self.server.close()
            else:
                self.server.stop_accepting()

    def stop(self, grace: float = 10.0) -> None:
        """Graceful stop: no new connections, idle keep-alive connections
        closed, upgraded connections told (WebSockets send 1001), in-flight
        requests and closing handshakes allowed to finish; whatever is still
        open at the end is killed, so the whole stop takes *grace* seconds
        at most (plus what the killed greenlets take to unwind)."""
        deadline = time.monotonic() + grace
        self.pause()
        for processor in list(self.processors):
            if processor.idle:
                self._kill(processor)
        for greenlet in list(self.handshaking):  # no request under way yet
            greenlet.kill(block=False)
        for connection in list(self.upgraded):
            # WebSockets send 1001 Going Away and wait for the reply (bounded).
            try:
                connection.handler.server_stopping(connection)
            except Exception:
                log.exception("Upgrade handler failed to stop")
                connection.close()
        # The last part of the grace is kept for killing what is left.
        reserve = min(1.0, grace / 4)
        pools = (self.pool, self.upgraded_pool)
        while True:
            for pool in pools:
                pool.join(timeout=max(0.0, deadline - reserve - time.monotonic()))
            # A parked connection has no greenlet to join: it gets one when
            # the peer answers (a WebSocket's close reply), so wait for it.
            if not any(connection.parked for connection in self.upgraded):
                break
            if time.monotonic() >= deadline - reserve:
                break
            gevent.sleep(_PARKED_POLL)
        parked = [connection for connection in self.upgraded if connection.parked]
        for connection in parked:
            connection.close()  # its handler ends in a greenlet of its own
        if parked:
            gevent.sleep(0)  # let those greenlets start (a greenlet killed before it starts runs no cleanup)
        busy = [greenlet for pool in pools for greenlet in list(pool)]
        if busy:
            log.warning("%d connection(s) still open at the end of the %.1f s grace; closing them", len(busy), grace)
            for pool in pools:
                pool.kill(block=False)
            gevent.joinall(busy, timeout=max(0.1, deadline - time.monotonic()))
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
            processor.close()


class Connector:
    """A ``<Connector>``: its settings, its endpoint and the adapter to the
    Service's Engine (any ``protocols.Adapter``; bootstrap passes the
    container's ``CoyoteAdapter``)."""

    def __init__(self, config: ConnectorSpec, adapter: Adapter) -> None:
        self.config = config
        self.endpoint = Endpoint(config, adapter)

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

    @property
    def warnings(self) -> list[str]:
        """Problems of the configuration that do not stop the start-up (an
        expired certificate), for the start-up log and configtest."""
        return self.endpoint.tls.warnings if self.endpoint.tls is not None else []
