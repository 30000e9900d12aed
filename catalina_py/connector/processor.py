"""``Http11Processor``: the request loop of one HTTP/1.1 connection.

It is the thin I/O layer around the sans-I/O parser: it receives bytes into
the parser, hands each request head to the adapter (which runs the Catalina
pipeline), writes the response the servlet produced, and then either reads
the next (keep-alive or pipelined) request or closes the connection.

It is also the *channel* the servlet request and response talk to
(``container/channel.py``'s ``Channel``, implemented structurally): the
request reads its body through ``read_body`` and the response sends through
``commit``/``write_body``/``end_body``. How a response is framed and
whether the connection stays open is decided by ``http/plan.py``'s
``plan_response``; the processor executes the plan.

Each step is reported to the event stream (``events.BUS``) when anybody
listens, and to the connection trace (``trace.py``) when it is on.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable, Sequence
from functools import partial
from time import monotonic as _monotonic
from time import time as _time
from typing import TYPE_CHECKING, Any

from gevent import GreenletExit

from ..events import (
    BUS,
    BytesReceived,
    BytesSent,
    ChunkReceived,
    ChunkSent,
    ConnectionAccepted,
    ConnectionClosed,
    KeepAliveDecided,
    RequestHeadParsed,
    RequestRejected,
    ResponseCommitted,
    Upgraded,
    next_connection_id,
)
from ..http.errors import ClientAbortError, HttpParseError
from ..http.parser import CLOSED, NEED_DATA, Data, EndOfMessage, RequestHead, RequestParser
from ..http.plan import STATUS_DROPS_CONNECTION, SWITCHING_PROTOCOLS, ResponsePlan, plan_response
from ..http.writer import CONTINUE_100, LAST_CHUNK, build_error_response, build_response_head, encode_chunk, http_date
from ..sockets import drain_after_shutdown, is_tls
from .upgrade import UpgradedConnection

if TYPE_CHECKING:  # pragma: no cover
    from ..http.headers import Headers
    from .protocols import Owner, UpgradeRequest

log = logging.getLogger("catalina_py.connector")
_RECV_SIZE = 65536
# Lingering close after an error with unread input: at most this long and this much.
_LINGER_SECONDS = 2.0
_LINGER_MAX_BYTES = 1 << 20


class Http11Processor:
    """Serves the requests of one accepted connection, in order."""

    # Slots, not a __dict__: an upgraded connection keeps its processor for
    # its whole life, and ~60 attributes in a dict were ~1.5 KB of every
    # idle WebSocket (docs/performance.md, "Idle WebSockets").
    __slots__ = (
        "_body_received",
        "_body_waited",
        "_chunked",
        "_chunks_in",
        "_chunks_out",
        "_chunks_reader",
        "_continue_sent",
        "_expired",
        "_head_only",
        "_head_started",
        "_keep_alive_header_timeout",
        "_last_read",
        "_max_swallow",
        "_pending",
        "_raw",
        "_upgrade_sent",
        "_upgrade_slot",
        "_wait_readable",
        "abort_after_response",
        "allowed_trailer_headers",
        "body_finished",
        "bytes_in",
        "bytes_out",
        "bytes_sent",
        "close_reason",
        "connection_id",
        "deadline",
        "endpoint",
        "errors",
        "greenlet",
        "head",
        "idle",
        "keep_alive",
        "linger",
        "local_addr",
        "local_port",
        "max_keep_alive_requests",
        "max_parameter_count",
        "max_part_count",
        "max_part_header_size",
        "max_post_size",
        "parser",
        "plan",
        "proxy_name",
        "proxy_port",
        "redirect_port",
        "remote_addr",
        "remote_port",
        "reported",
        "request_slots",
        "requests_served",
        "scheme",
        "secure",
        "sock",
        "stage",
        "started",
        "traced",
        "trailers",
        "upgrade_token",
        "upgraded",
        "upgraded_by",
        "uri_encoding",
        "version",
    )

    def __init__(self, endpoint: Owner, sock: socket.socket, address: Any) -> None:
        # address: what accept() returned, (host, port[, flow, scope]) or "" for a Unix socket.
        config = endpoint.config
        self.endpoint = endpoint
        self.sock = sock
        #: The process-wide connection number (``events.Event.connection``,
        #: the trace's ``[conn N]``).
        #: Set by ``request.upgrade()`` (an ``UpgradeToken``): once the 101 is
        #: sent the connection is handed to the token's handler (``_upgrade``).
        self.upgrade_token: UpgradeRequest | None = None
        #: The ``UpgradedConnection`` once the connection was upgraded.
        self.upgraded: UpgradedConnection | None = None
        self._upgrade_sent = False
        self.connection_id = next_connection_id()
        self.started = time.time()
        self.remote_addr = address[0] if address else ""
        self.remote_port = address[1] if address and len(address) > 1 else 0
        local = sock.getsockname()
        self.local_addr = local[0] if isinstance(local, tuple) else str(local)
        self.local_port = local[1] if isinstance(local, tuple) else 0
        self.scheme = config.scheme
        self.secure = config.secure
        self.proxy_name = config.proxy_name
        self.proxy_port = config.proxy_port
        self.redirect_port = config.redirect_port
        self.uri_encoding = config.uri_encoding
        self.max_post_size = config.max_post_size
        self.allowed_trailer_headers = config.allowed_trailer_headers
        self.max_parameter_count = config.max_parameter_count
        self.max_part_count = config.max_part_count
        self.max_part_header_size = config.max_part_header_size
        self.max_keep_alive_requests = config.max_keep_alive_requests
        self._max_swallow = config.max_swallow_size
        #: The Keep-Alive: timeout= a kept connection announces (whole seconds, 0: none), as Tomcat.
        self._keep_alive_header_timeout = max(0, config.effective_keep_alive_timeout_ms // 1000)
        #: ``maxThreads``: the container acquires one around the pipeline.
        self.request_slots = endpoint.request_slots
        self.parser = RequestParser(max_header_size=config.max_http_header_size)
        self.keep_alive = True
        self.abort_after_response = False
        self.linger = False  # close with a lingering close (unread input)
        self.idle = True  # waiting for the first byte of a request
        self.requests_served = 0
        self.greenlet: Any = None  # the gevent Greenlet serving this connection
        #: Bytes read from and written to the socket by this processor
        #: (the inspector's connection list, ``ConnectionClosed``).
        self.bytes_in = 0
        self.bytes_out = 0
        #: Where the connection is, in the inspector's words: "reading head",
        #: "reading body", "in the servlet", "writing", "keep-alive idle",
        #: "upgraded", "upgraded, parked" (no greenlet: see
        #: ``UpgradedConnection.park``), "closing", "closed".
        self.stage = "reading head"
        #: Whether the current request is traced in full: somebody listens
        #: to the event stream and an observer admitted it (``BUS.admit``;
        #: the inspector admits a few requests a second, the JSON trace
        #: all). Every event of the request is emitted only when it is set.
        self.traced = False
        #: Whether ``ConnectionAccepted`` went out (with the first traced
        #: request): then ``ConnectionClosed`` does too.
        self.reported = False
        self._last_read = b""  # the latest read, shown when its request is admitted
        #: Requests of this connection answered with a status >= 400.
        self.errors = 0
        self._chunks_in = 0  # chunk size lines of the request body reported
        self._chunks_reader: object = None  # ... by this body reader
        self._chunks_out = 0  # chunks of the response sent
        self.close_reason = "the client closed the connection"
        # Monotonic time after which a blocked read or write is given up
        # (0: not blocked); enforced by Endpoint's timeout sweeper.
        self.deadline = 0.0
        # gevent's own wait-for-readable of this socket and the raw socket
        # under it, when available (a plain gevent socket; not a test
        # double, not a TLS socket, whose raw socket carries ciphertext:
        # catalina_py/sockets.py).
        plain = not is_tls(sock)
        wait = getattr(sock, "_wait", None) if plain else None
        event = getattr(sock, "_read_event", None)
        # Any: gevent ships no types; set together with _wait_readable.
        self._raw: Any = getattr(sock, "_sock", None) if plain else None
        self._wait_readable = (
            (lambda: wait(event)) if wait is not None and event is not None and self._raw is not None else None
        )
        # Per-request state:
        self.head: RequestHead | None = None
        #: "METHOD target" of the request that upgraded the connection (the
        #: head itself is dropped at the upgrade); shown by the inspector.
        self.upgraded_by = ""
        #: How the current response was framed, and why (None before commit).
        self.plan: ResponsePlan | None = None
        self.version = "HTTP/1.1"
        self.body_finished = True
        self.trailers: Headers | None = None
        self.bytes_sent = 0  # body bytes of the current response
        self._head_only = False
        self._chunked = False
        self._continue_sent = False
        self._pending = b""
        # Slow clients (docs/http11.md "Slow clients"): when the current
        # head's first byte arrived (monotonic; 0: no head under way), the
        # time the current body has kept us waiting and the bytes it
        # brought, and which of the two deadlines expired ("head", "body").
        self._head_started = 0.0
        self._body_waited = 0.0
        self._body_received = 0
        self._expired = ""
        #: Whether this connection holds one of the endpoint's upgraded
        #: connection slots (taken when the 101 is committed).
        self._upgrade_slot = False

    @property
    def stopping(self) -> bool:
        """The connector is stopping: finish this request, keep nothing alive."""
        return self.endpoint.stopping

    # -- the loop ----------------------------------------------------------
    @property
    def parked(self) -> bool:
        """The connection is upgraded and waits for bytes with no greenlet
        (``UpgradedConnection.park``): it is not over when ``run`` returns."""
        upgraded = self.upgraded
        return upgraded is not None and upgraded.parked

    def run(self, resume: Callable[[], None] | None = None) -> None:
        """Serve requests until the connection ends, or until its upgrade
        handler parks it; never raises. With *resume*: continue a parked
        upgraded connection with the handler's resume step."""
        try:
            if resume is None:
                self._loop()
            else:
                assert self.upgraded is not None
                self._serve_upgraded(self.upgraded, resume)
        except GreenletExit:
            self.close_reason = "killed (server stopping or timeout)"
        except (TimeoutError, OSError) as exc:
            # the client went away or stalled: nothing left to answer
            self.close_reason = f"{type(exc).__name__}: {exc}"
        except HttpParseError as exc:
            # A client error found where nothing can be answered any more.
            self.close_reason = f"bad request: {exc.status} {exc.reason}"
            log.debug("Bad request from %s:%s: %s", self.remote_addr, self.remote_port, exc)
        except Exception:
            self.close_reason = "unexpected error"
            log.exception("Unexpected error on connection from %s:%s", self.remote_addr, self.remote_port)
        finally:
            if not self.parked:
                self.close()

    def _loop(self) -> None:
        parser = self.parser
        endpoint = self.endpoint
        adapter = endpoint.adapter
        max_requests = self.max_keep_alive_requests
        while True:
            try:
                event = parser.next_event()
            except HttpParseError as exc:
                if not parser.eof:
                    self._send_parse_error(exc)
                self.close_reason = f"bad request: {exc.status} {exc.reason}"
                return
            if event is NEED_DATA:
                if not self._fill():
                    if self._expired == "head":
                        # The head did not arrive within requestHeaderTimeout
                        # of its first byte (a slowloris client): 408, close.
                        self._send_parse_error(HttpParseError(408, "The request head took too long to arrive"))
                    return
                continue
            if event is CLOSED:
                return
            # A request head: serve it (between requests the parser yields
            # nothing else).
            assert isinstance(event, RequestHead)
            self.idle = False
            self.stage = "in the servlet"
            self.requests_served += 1
            self.head = event
            self._head_started = 0.0
            self._body_waited = 0.0
            self._body_received = 0
            if BUS.active and BUS.admit():
                self.traced = True
                self._report_head_read()
                BUS.emit(
                    RequestHeadParsed(
                        connection=self.connection_id,
                        method=event.method,
                        target=event.target,
                        version=event.version,
                        headers=tuple(event.headers),
                        body=event.body,
                    )
                )
            self.version = event.version
            self.keep_alive = (
                event.keep_alive and not endpoint.stopping and (max_requests < 0 or self.requests_served < max_requests)
            )
            # A request without a body is finished as soon as its head is
            # read (its empty EndOfMessage need not be fetched).
            self.body_finished = event.body == "none"
            self.trailers = None
            self.bytes_sent = 0
            self._head_only = event.method == "HEAD"
            self._chunked = False
            self._continue_sent = False
            self._pending = b""
            self.plan = None
            adapter.service(self, event)
            if self.upgrade_token is not None:
                del event  # nothing of the request is kept while upgraded
                self._upgrade()
                return
            if not self.keep_alive or not self._finish_request():
                self.linger = not self.body_finished or self.parser.has_buffered_data
                self.stage = "closing"
                if self.traced:
                    self._emit_keep_alive(False)
                self.close_reason = "not kept alive"
                return
            parser.start_next_request()
            if self.traced:
                self._emit_keep_alive(True)
                self.traced = False
            if not parser.has_buffered_data:
                # Nothing pipelined: wait for the next request right away.
                self.idle = True
                self.stage = "keep-alive idle"
                if not self._fill():
                    return
            else:
                self.stage = "reading head"
                self._head_started = _monotonic()  # a pipelined head: its time starts now

    def _upgrade(self) -> None:
        """Tomcat's ``UPGRADING`` hand-off: the 101 was committed, so the
        socket and the bytes the parser read past the request go to the
        upgrade handler, which owns them from now on; this greenlet (and
        with it the connection's ``maxConnections`` slot) waits until the
        handler closes the connection, then calls ``destroy``."""
        token = self.upgrade_token
        if not self._upgrade_sent or token is None:
            # The servlet called upgrade() but the response went out with
            # another status (an error): nothing to hand over; close.
            self.keep_alive = False
            self.close_reason = "upgrade() without a 101"
            return
        handler = token.handler
        leftover = self.parser.release()
        # The upgrade handler reads the socket from now on.
        self._wait_readable = None
        connection = UpgradedConnection(
            self.sock,
            leftover,
            handler,
            connection_id=self.connection_id,
            remote_addr=self.remote_addr,
            remote_port=self.remote_port,
            connector_config=self.endpoint.config,
            traced=self.traced,
            resumer=self._resume_parked,
        )
        if self.traced:
            BUS.emit(Upgraded(connection=self.connection_id, handler=type(handler).__name__, leftover=len(leftover)))
        self.upgraded = connection
        # The request is over: an upgraded connection may live for hours, so
        # it keeps none of it (fewer objects for the garbage collector to
        # walk per connection: docs/hardening.md "Idle WebSockets").
        if self.head is not None:
            self.upgraded_by = f"{self.head.method} {self.head.target[:200]}"
        self.head = None
        self._last_read = b""
        self.stage = "upgraded"
        self.close_reason = "upgraded connection closed"
        # From now on the connection counts against maxUpgradedConnections
        # (its slot was taken with the 101), not against maxConnections.
        self.endpoint.leave_pool(self.greenlet)
        self.endpoint.upgraded.add(connection)
        self._serve_upgraded(connection, partial(handler.init, connection))

    def _serve_upgraded(self, connection: UpgradedConnection, step: Callable[[], None]) -> None:
        """Run the handler's *step* (its ``init``, or the resume of a parked
        connection) in this greenlet, then wait for the connection to close
        and call ``destroy``; when the step parked the connection instead,
        return at once (this greenlet ends, the connection lives on)."""
        try:
            step()
            if connection.parked:
                self.greenlet = None
                self.stage = "upgraded, parked"
                return
            connection.wait_closed()
        finally:
            if not connection.parked:
                self.endpoint.upgraded.discard(connection)
                connection.close()
                try:
                    connection.handler.destroy()
                except Exception:
                    log.exception("Upgrade handler %s raised in destroy()", type(connection.handler).__name__)

    def _resume_parked(self, step: Callable[[], None]) -> None:
        """The parked connection has bytes to read, or was closed: the
        endpoint runs *step* in a new greenlet (``run(step)``)."""
        self.stage = "upgraded"
        self.greenlet = self.endpoint.resume(self, step)

    def _fill(self, body: bool = False) -> bool:
        """Receive more bytes into the parser (of the request body when
        *body*); False when the connection ends (``_expired`` then says
        whether the head's or the body's deadline passed)."""
        endpoint = self.endpoint
        now = _monotonic()
        kind = ""
        if self.idle:
            if endpoint.stopping:
                self.close_reason = "the connector is stopping"
                return False
            timeout = endpoint.keep_alive_timeout
            deadline = now + timeout if timeout is not None else 0.0
        else:
            timeout = endpoint.connection_timeout
            deadline = now + timeout if timeout is not None else 0.0
            # The head and the body have a deadline of their own, which no
            # trickle of bytes resets (connectionTimeout is per read).
            if body:
                allowance = endpoint.request_body_allowance(self._body_received)
                if allowance is not None:
                    left = allowance - self._body_waited
                    if not deadline or now + left < deadline:
                        deadline, kind = now + left, "body"
            else:
                limit = endpoint.request_header_timeout
                if limit is not None and self._head_started and (not deadline or self._head_started + limit < deadline):
                    deadline, kind = self._head_started + limit, "head"
            if kind and deadline <= now:
                return self._expire(kind)
        # No socket timeout: a timer per recv costs more than the recv.
        # The endpoint's sweeper closes connections blocked past their
        # deadline instead, as Tomcat's Poller does.
        self.deadline = deadline
        try:
            if self.idle and self._wait_readable is not None:
                # Right after a response the next request has almost never
                # arrived yet: wait for it first instead of paying for a
                # recv that fails with EAGAIN (and its exception); then the
                # raw socket can be read directly.
                self._wait_readable()
                try:
                    data = self._raw.recv(_RECV_SIZE)
                except BlockingIOError:  # woken, but nothing to read after all
                    data = self.sock.recv(_RECV_SIZE)
            else:
                data = self.sock.recv(_RECV_SIZE)
        except TimeoutError:
            if kind:
                return self._expire(kind)
            self.close_reason = "keepAliveTimeout" if self.idle else "connectionTimeout"
            return False  # keepAliveTimeout or connectionTimeout: close quietly
        finally:
            self.deadline = 0.0
        self.bytes_in += len(data)
        self._last_read = data
        if body:
            self._body_waited += _monotonic() - now
            self._body_received += len(data)
        if self.traced:  # a read of the body of a traced request
            BUS.emit(BytesReceived(connection=self.connection_id, data=bytes(data)))
        if self.idle:
            self.idle = False
            self.stage = "reading head"
            self._head_started = _monotonic()
        self.parser.feed(data)
        return True

    def _expire(self, kind: str) -> bool:
        """The head's or the body's own deadline passed: the connection ends."""
        self._expired = kind
        self.close_reason = "requestHeaderTimeout" if kind == "head" else "requestBodyTimeout"
        log.debug("%s expired for %s:%s", self.close_reason, self.remote_addr, self.remote_port)
        return False

    def _finish_request(self) -> bool:
        """Consume what is left of the request body so the next request can
        be read; False if the connection must close instead."""
        if self.body_finished:
            return True
        head = self.head
        if head is not None and head.expect_continue and not self._continue_sent:
            # The client is waiting for 100 before sending the body; it got
            # a final answer instead, so it may or may not send it: close.
            return False
        limit = self.endpoint.config.max_swallow_size
        swallowed = len(self._pending)
        self._pending = b""
        try:
            while True:
                data = self._next_body_piece()
                if data is None:
                    return True
                swallowed += len(data)
                if 0 <= limit < swallowed:
                    return False
        except (HttpParseError, ClientAbortError) as exc:
            # A body that is malformed, cut short or too slow while it is
            # drained after the response: the client's fault, and nothing
            # is left to answer. Close; no traceback (a client could flood
            # the log with them).
            self.keep_alive = False
            self.close_reason = f"unread request body: {exc}"
            log.debug("Request body from %s:%s not drained: %s", self.remote_addr, self.remote_port, exc)
            return False

    def close(self) -> None:
        """Close the socket (lingering when input was left unread); the end of the connection."""
        sock = self.sock
        self.stage = "closing"
        if self.linger:
            self._lingering_close()
        try:
            sock.close()
        except OSError:
            pass
        self.stage = "closed"
        if self._upgrade_slot:
            self._upgrade_slot = False
            self.endpoint.release_upgrade_slot()
        upgraded = self.upgraded
        if upgraded is not None:  # the frames' bytes, counted by the upgrade handler
            self.bytes_in += upgraded.bytes_in
            self.bytes_out += upgraded.bytes_out
            upgraded.bytes_in = upgraded.bytes_out = 0
        if self.reported and BUS.active:
            BUS.emit(
                ConnectionClosed(
                    connection=self.connection_id,
                    duration=time.time() - self.started,
                    requests=self.requests_served,
                    bytes_in=self.bytes_in,
                    bytes_out=self.bytes_out,
                    reason=self.close_reason,
                )
            )

    def _lingering_close(self) -> None:
        """Close our side, then read and drop what the client is still
        sending for a short while: closing a socket with unread input makes
        the kernel send a reset, which can destroy the error response we
        just wrote before the client reads it."""
        drain_after_shutdown(self.sock, _LINGER_SECONDS, _LINGER_MAX_BYTES, _RECV_SIZE)

    def _send_parse_error(self, exc: HttpParseError) -> None:
        """A request we cannot read gets its status and the connection closes
        (the framing may be unknown, so nothing after it can be trusted)."""
        log.debug("Bad request from %s: %s %s", self.remote_addr, exc.status, exc.reason)
        if BUS.active and BUS.admit():
            self.traced = True
            self._report_head_read()
            BUS.emit(RequestRejected(connection=self.connection_id, status=exc.status, reason=exc.reason))
        self.linger = True
        adapter = self.endpoint.adapter
        if self.endpoint.report_bad_request():
            # Once, then at DEBUG for a day (the line above), as Tomcat.
            adapter.log_bad_request(self, exc)
            log.info("Further bad requests are logged at DEBUG level for the next 24 hours")
        try:
            self.sock.settimeout(self.endpoint.connection_timeout)
            data = build_error_response(
                exc.status,
                adapter.error_body(exc.status, exc.reason),
                content_type="text/html;charset=utf-8",
                # Tomcat says Connection: close only for the statuses of its
                # statusDropsConnection; after a 417 or 505 it just closes.
                close=exc.status in STATUS_DROPS_CONNECTION,
                date=http_date_now(),
                content_language="en",  # the page is English (Tomcat says so too)
            )
            self.sock.sendall(data)
            self.bytes_out += len(data)
            if self.traced:
                BUS.emit(BytesSent(connection=self.connection_id, data=data))
        except OSError:
            pass

    # -- request body (called by the servlet request) -----------------------
    def _next_body_piece(self) -> bytes | None:
        """The next piece of the body, or None at its end.

        :raises HttpParseError: the body is malformed (the container answers 400).
        :raises ClientAbortError: the client stopped sending it.
        """
        parser = self.parser
        while True:
            try:
                event = parser.next_event()
            except HttpParseError:
                self.keep_alive = False
                raise
            if event is NEED_DATA:
                head = self.head
                if not self._continue_sent and head is not None and head.expect_continue:
                    self._continue_sent = True
                    self._send(CONTINUE_100)
                stage, self.stage = self.stage, "reading body"
                if not self._fill(True):
                    self.keep_alive = False
                    if self._expired == "body":
                        raise HttpParseError(408, "The request body arrived too slowly")
                    raise ClientAbortError("the client stopped sending the request body")
                self.stage = stage
                continue
            if type(event) is Data:
                if self.traced:
                    self._emit_chunk(False, 0)
                return event.data
            if type(event) is EndOfMessage:
                self.body_finished = True
                self.trailers = event.trailers
                if self.traced:
                    self._emit_chunk(True, len(event.trailers) if event.trailers is not None else 0)
                return None
            return None  # pragma: no cover - the parser yields nothing else here

    def read_body(self, size: int) -> bytes:
        """Up to *size* bytes of the request body; b"" at its end.

        The first read of a request with ``Expect: 100-continue`` sends the
        ``100 Continue`` (even when body bytes are already there, as
        Tomcat's ``onRead`` timing does)."""
        if not self._continue_sent and not self.body_finished:
            head = self.head
            if head is not None and head.expect_continue:
                self._continue_sent = True
                self._send(CONTINUE_100)
        if self._pending:
            data, self._pending = self._pending[:size], self._pending[size:]
            return data
        if self.body_finished:
            return b""
        piece = self._next_body_piece()
        if piece is None:
            return b""
        if len(piece) > size:
            piece, self._pending = piece[:size], piece[size:]
        return piece

    # -- response (called by the servlet response) ---------------------------
    def commit(
        self, status: int, headers: Sequence[tuple[str, str]], content_length: int, body: bytes | bytearray | None
    ) -> None:
        """Send the status line and *headers* plus the framing, ``Connection``
        and ``Date`` headers ``plan_response`` asks for; with *body* the
        response is complete and goes out in one write."""
        head: RequestHead = self.head  # type: ignore[assignment]  # commit comes after a head
        max_requests = self.max_keep_alive_requests
        # (in plan_response's order: method, version, keep_alive_asked, expect_continue, continue_sent,
        # body_finished, status, headers, content_length, body, stopping, max_requests_reached,
        # keep_alive_so_far, upgrade_pending)
        plan = plan_response(
            head.method,
            self.version,
            head.keep_alive,
            head.expect_continue,
            self._continue_sent,
            self.body_finished,
            status,
            headers,
            content_length,
            body,
            self.endpoint.stopping,
            0 <= max_requests <= self.requests_served,
            self.keep_alive,
            self.upgrade_token is not None,
            head.keep_alive_token,
            self._keep_alive_header_timeout,
            not self.body_finished and 0 <= self._max_swallow < self.parser.body_remaining + len(self._pending),
        )
        framing = plan.framing
        date = http_date(_time()) if plan.date_needed else None
        if framing is SWITCHING_PROTOCOLS and not self._upgrade_slot:
            if not self.endpoint.take_upgrade_slot():
                self._refuse_upgrade(head)
                return
            self._upgrade_slot = True
        data = build_response_head(status, headers, trusted=plan.headers, date=date)
        if framing is SWITCHING_PROTOCOLS:
            self._send(data)
            self._upgrade_sent = True
            if self.traced:
                self._emit_commit(status, headers, plan, date)
            return
        self.keep_alive = plan.keep_alive
        self._chunked = plan.chunked
        if plan.chunked:
            self._chunks_out = 0
        if body is None:
            self._head_only = not plan.send_body
        self.plan = plan
        if status >= 400:
            self.errors += 1
        if self.traced:
            self._emit_commit(status, headers, plan, date)
        if body is not None and plan.send_body:
            self.bytes_sent = len(body)
            self._send(data + body)
        else:
            self._send(data)

    def _refuse_upgrade(self, head: RequestHead) -> None:
        """``maxUpgradedConnections`` are held: answer the upgrade request
        with 503 instead of its 101 and close (the handler never starts).
        The servlet's later writes are dropped."""
        log.debug(
            "Upgrade of %s:%s refused: maxUpgradedConnections (%s) reached",
            self.remote_addr,
            self.remote_port,
            self.endpoint.config.max_upgraded_connections,
        )
        self.upgrade_token = None  # nothing is handed over: the loop closes
        self.keep_alive = False
        self._head_only = True
        self._chunked = False
        self.errors += 1
        body = self.endpoint.adapter.error_body(503, "Too many upgraded connections (maxUpgradedConnections)")
        data = build_error_response(
            503, body, content_type="text/html;charset=utf-8", date=http_date_now(), content_language="en"
        )
        if head.method == "HEAD":
            data = data[: data.index(b"\r\n\r\n") + 4]
        self.linger = True
        self._send(data)

    def _emit_commit(
        self, status: int, headers: Sequence[tuple[str, str]], plan: ResponsePlan, date: str | None
    ) -> None:
        """Tell the stream what went out: every header field, the framing and why."""
        items = (*headers, *plan.headers, *((("Date", date),) if date is not None else ()))
        BUS.emit(
            ResponseCommitted(
                connection=self.connection_id,
                status=status,
                headers=items,
                framing=plan.framing,
                content_length=plan.content_length,
                reason=plan.framing_reason,
            )
        )

    def _report_head_read(self) -> None:
        """A request was admitted to the trace: tell the connection (the
        first time) and the read that completed its head."""
        if not self.reported:
            self.reported = True
            BUS.emit(
                ConnectionAccepted(
                    connection=self.connection_id,
                    at=self.started,
                    connector=self.endpoint.name,
                    remote_addr=self.remote_addr,
                    remote_port=self.remote_port,
                    local_addr=self.local_addr,
                    local_port=self.local_port,
                )
            )
        if self._last_read:
            # Once: a read holding two pipelined requests is shown with the first.
            BUS.emit(BytesReceived(connection=self.connection_id, data=bytes(self._last_read)))
            self._last_read = b""

    def _emit_keep_alive(self, kept: bool) -> None:
        """Tell the stream whether the connection serves another request, and why."""
        plan = self.plan
        if plan is not None and plan.keep_alive == kept:
            reason = plan.keep_alive_reason
        elif plan is None:
            reason = "the request ended without a response"
        elif not self.keep_alive:
            reason = "the response could not be finished (client gone or servlet failure)"
        else:
            reason = "the rest of the request body could not be read"
        buffered = self.parser.buffered_size if kept else 0
        BUS.emit(KeepAliveDecided(connection=self.connection_id, keep_alive=kept, reason=reason, buffered=buffered))

    def _emit_chunk(self, last: bool, trailers: int) -> None:
        """``ChunkReceived`` for the chunk the body data just read came
        from (the first time), or for the last chunk at the body's end
        (called only for a traced request)."""
        head = self.head
        if head is None or head.body != "chunked":
            return
        reader = self.parser.chunked_reader  # gone once the body has ended
        if reader is not None and reader is not self._chunks_reader:  # a new request's body
            self._chunks_reader = reader
            self._chunks_in = 0
        if last:
            self._chunks_in += 1
            BUS.emit(
                ChunkReceived(
                    connection=self.connection_id, index=self._chunks_in, size=0, last=True, trailers=trailers
                )
            )
            self._chunks_reader = None
            return
        if reader is not None and self._chunks_in < reader.chunks:
            self._chunks_in = reader.chunks
            BUS.emit(
                ChunkReceived(
                    connection=self.connection_id, index=self._chunks_in, size=reader.chunk_size, last=False, trailers=0
                )
            )

    def write_body(self, data: bytes) -> None:
        """Send a piece of a committed response's body."""
        if self._head_only or not data:
            return
        self.bytes_sent += len(data)
        if self._chunked:
            self._chunks_out += 1
            if self.traced:
                BUS.emit(ChunkSent(connection=self.connection_id, index=self._chunks_out, size=len(data), last=False))
            self._send(encode_chunk(data))
        else:
            self._send(data)

    def end_body(self) -> None:
        """Finish a committed response (the last chunk when chunked)."""
        if self._chunked and not self._head_only:
            self._chunked = False
            self._chunks_out += 1
            if self.traced:
                BUS.emit(ChunkSent(connection=self.connection_id, index=self._chunks_out, size=0, last=True))
            self._send(LAST_CHUNK)

    def _send(self, data: bytes | bytearray) -> None:
        self.bytes_out += len(data)
        if self.traced:
            BUS.emit(BytesSent(connection=self.connection_id, data=bytes(data)))
        try:
            sent = 0
            raw = self._raw
            if raw is not None:
                # The common case: the socket buffer takes it all at once,
                # straight from the raw (non-blocking) socket.
                try:
                    sent = raw.send(data)
                except BlockingIOError:
                    sent = 0
                if sent == len(data):
                    return
            # The buffer is full: wait for room, bounded by connectionTimeout
            # (enforced by the endpoint's sweeper).
            timeout = self.endpoint.connection_timeout
            self.deadline = _monotonic() + timeout if timeout is not None else 0.0
            self.sock.sendall(memoryview(data)[sent:] if sent else data)
        except OSError as exc:
            self.keep_alive = False
            raise ClientAbortError(f"the client went away while the response was sent: {exc}") from exc
        finally:
            self.deadline = 0.0


def http_date_now() -> str:
    """The Date header value for now."""
    return http_date(time.time())
