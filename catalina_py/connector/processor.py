"""``Http11Processor``: the request loop of one HTTP/1.1 connection.

It is the thin I/O layer around the sans-I/O parser: it receives bytes into
the parser, hands each request head to the adapter (which runs the Catalina
pipeline), writes the response the servlet produced, and then either reads
the next (keep-alive or pipelined) request or closes the connection.

It is also the *channel* the servlet request and response talk to: the
request reads its body through ``read_body`` and the response sends through
``commit``/``write_body``/``end_body``.
"""

from __future__ import annotations

import logging
import socket
import time
from time import monotonic as _monotonic
from typing import TYPE_CHECKING, Any

from gevent import GreenletExit

from .. import trace
from .errors import ClientAbortError
from .http11.errors import HttpParseError
from .http11.parser import CLOSED, NEED_DATA, Data, EndOfMessage, RequestParser
from .http11.writer import CONTINUE_100, LAST_CHUNK, build_error_response, build_response_head, encode_chunk, http_date

if TYPE_CHECKING:  # pragma: no cover
    from .endpoint import Endpoint

log = logging.getLogger("catalina_py.connector")

_NO_BODY_STATUSES = frozenset((204, 304))
# Statuses after which the connection is closed, as Tomcat's
# Http11Processor.statusDropsConnection, except 500 and 503: a servlet that
# fails leaves the connection usable here (the request was read whole).
_STATUS_DROPS_CONNECTION = frozenset((400, 408, 411, 413, 414, 501))
_RECV_SIZE = 65536
# Lingering close after an error with unread input: at most this long and this much.
_LINGER_SECONDS = 2.0
_LINGER_MAX_BYTES = 1 << 20


class Http11Processor:
    """Serves the requests of one accepted connection, in order."""

    #: Set by ``request.upgrade()`` (an ``UpgradeToken``): once the 101 is
    #: sent the connection is handed to the token's handler (``_upgrade``).
    upgrade_token: Any = None
    #: The ``WebConnection`` once the connection was upgraded.
    upgraded: Any = None
    _upgrade_sent = False

    def __init__(self, endpoint: "Endpoint", sock: socket.socket, address: Any) -> None:
        config = endpoint.config
        self.endpoint = endpoint
        self.sock = sock
        self.remote_addr = address[0] if address else ""
        self.remote_port = address[1] if address and len(address) > 1 else 0
        local = sock.getsockname()
        self.local_addr = local[0] if isinstance(local, tuple) else str(local)
        self.local_port = local[1] if isinstance(local, tuple) else 0
        self.scheme = endpoint.scheme
        self.secure = endpoint.secure
        self.proxy_name = config.proxy_name
        self.proxy_port = config.proxy_port
        self.uri_encoding = config.uri_encoding
        self.max_post_size = config.max_post_size
        self.parser = RequestParser(max_header_size=config.max_http_header_size)
        self.keep_alive = True
        self.abort_after_response = False
        self.linger = False  # close with a lingering close (unread input)
        self.idle = True  # waiting for the first byte of a request
        self.requests_served = 0
        self.greenlet: Any = None
        #: Connection number in the trace lines (0: tracing is off).
        self.trace_id = 0
        # Monotonic time after which a blocked read or write is given up
        # (0: not blocked); enforced by Endpoint's timeout sweeper.
        self.deadline = 0.0
        # gevent's own wait-for-readable of this socket and the raw socket
        # under it, when available (a gevent socket; not a test double).
        wait = getattr(sock, "_wait", None)
        event = getattr(sock, "_read_event", None)
        self._raw = getattr(sock, "_sock", None)
        self._wait_readable = ((lambda: wait(event))
                               if wait is not None and event is not None and self._raw is not None else None)
        # Per-request state:
        self.head: Any = None
        self.version = "HTTP/1.1"
        self.body_finished = True
        self.trailers: Any = None
        self.bytes_sent = 0  # body bytes of the current response
        self._head_only = False
        self._chunked = False
        self._continue_sent = False
        self._pending = b""

    # -- the loop ----------------------------------------------------------
    def run(self) -> None:
        """Serve requests until the connection ends; never raises."""
        try:
            self._loop()
        except GreenletExit:
            pass
        except (OSError, socket.timeout):
            pass  # the client went away or stalled: nothing left to answer
        except Exception:
            log.exception("Unexpected error on connection from %s:%s", self.remote_addr, self.remote_port)
        finally:
            self._close()

    def _loop(self) -> None:
        parser = self.parser
        endpoint = self.endpoint
        adapter = endpoint.adapter
        max_requests = endpoint.config.max_keep_alive_requests
        while True:
            try:
                event = parser.next_event()
            except HttpParseError as exc:
                if not parser.eof:
                    self._send_parse_error(exc)
                return
            if event is NEED_DATA:
                if not self._fill():
                    return
                continue
            if event is CLOSED:
                return
            # A request head: serve it.
            self.idle = False
            self.requests_served += 1
            self.head = event
            if self.trace_id:
                trace.trace(self.trace_id, "parse",
                            f"{event.method} {event.target} {event.version} "
                            f"({len(event.headers)} headers, body: {event.body})")
            self.version = event.version
            self.keep_alive = (event.keep_alive and not endpoint.stopping
                               and (max_requests < 0 or self.requests_served < max_requests))
            # A request without a body is finished as soon as its head is
            # read (its empty EndOfMessage need not be fetched).
            self.body_finished = event.body == "none"
            self.trailers = None
            self.bytes_sent = 0
            self._head_only = event.method == "HEAD"
            self._chunked = False
            self._continue_sent = False
            self._pending = b""
            adapter.service(self, event)
            if self.upgrade_token is not None:
                self._upgrade()
                return
            if not self.keep_alive or not self._finish_request():
                self.linger = not self.body_finished or self.parser.has_buffered_data
                return
            parser.start_next_request()
            if not parser.has_buffered_data:
                # Nothing pipelined: wait for the next request right away.
                self.idle = True
                if not self._fill():
                    return

    def _upgrade(self) -> None:
        """Tomcat's ``UPGRADING`` hand-off: the 101 was committed, so the
        socket and the bytes the parser read past the request go to the
        upgrade handler, which owns them from now on; this greenlet (and
        with it the connection's ``maxConnections`` slot) waits until the
        handler closes the connection, then calls ``destroy``."""
        token = self.upgrade_token
        if not self._upgrade_sent:
            # The servlet called upgrade() but the response went out with
            # another status (an error): nothing to hand over; close.
            self.keep_alive = False
            return
        from ..servlet.upgrade import WebConnection
        handler = token.handler
        connection = WebConnection(self.sock, self.parser.leftover, self, handler)
        connection.trace_id = self.trace_id
        if self.trace_id:
            trace.trace(self.trace_id, "upgrade",
                        f"101 sent; the socket and {len(self.parser.leftover)} bytes read past the "
                        f"request go to {type(handler).__name__}")
        self.upgraded = connection
        upgraded = self.endpoint.upgraded
        upgraded.add(connection)
        try:
            handler.init(connection)
            connection.wait_closed()
        finally:
            upgraded.discard(connection)
            connection.close()
            try:
                handler.destroy()
            except Exception:
                log.exception("Upgrade handler %s raised in destroy()", type(handler).__name__)

    def _fill(self) -> bool:
        """Receive more bytes into the parser; False when the connection ends."""
        config = self.endpoint.config
        if self.idle:
            if self.endpoint.stopping:
                return False
            timeout = config.keep_alive_timeout
        else:
            timeout = config.connection_timeout
        # No socket timeout: a timer per recv costs more than the recv.
        # The endpoint's sweeper closes connections blocked past their
        # deadline instead, as Tomcat's Poller does.
        self.deadline = _monotonic() + timeout if timeout is not None else 0.0
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
        except socket.timeout:
            return False  # keepAliveTimeout or connectionTimeout: close quietly
        finally:
            self.deadline = 0.0
        self.idle = False
        self.parser.feed(data)
        return True

    def _finish_request(self) -> bool:
        """Consume what is left of the request body so the next request can
        be read; False if the connection must close instead."""
        if self.body_finished:
            return True
        head = self.head
        if head.expect_continue and not self._continue_sent:
            # The client is waiting for 100 before sending the body; it got
            # a final answer instead, so it may or may not send it: close.
            return False
        limit = self.endpoint.config.max_swallow_size
        swallowed = len(self._pending)
        self._pending = b""
        while True:
            data = self._next_body_piece()
            if data is None:
                return True
            swallowed += len(data)
            if 0 <= limit < swallowed:
                return False

    def _close(self) -> None:
        if self.trace_id:
            trace.trace(self.trace_id, "close", f"after {self.requests_served} request(s)")
        sock = self.sock
        if self.linger:
            self._lingering_close()
        try:
            sock.close()
        except OSError:
            pass

    def _lingering_close(self) -> None:
        """Close our side, then read and drop what the client is still
        sending for a short while: closing a socket with unread input makes
        the kernel send a reset, which can destroy the error response we
        just wrote before the client reads it."""
        sock = self.sock
        try:
            sock.shutdown(socket.SHUT_WR)
            sock.settimeout(_LINGER_SECONDS)
            deadline = time.monotonic() + _LINGER_SECONDS
            drained = 0
            while drained < _LINGER_MAX_BYTES and time.monotonic() < deadline:
                data = sock.recv(_RECV_SIZE)
                if not data:
                    break
                drained += len(data)
        except OSError:
            pass

    def _send_parse_error(self, exc: HttpParseError) -> None:
        """A request we cannot read gets its status and the connection closes
        (the framing may be unknown, so nothing after it can be trusted)."""
        log.debug("Bad request from %s: %s %s", self.remote_addr, exc.status, exc.reason)
        self.linger = True
        self.endpoint.adapter.log_bad_request(self, exc)
        try:
            self.sock.settimeout(self.endpoint.config.connection_timeout)
            self.sock.sendall(build_error_response(exc.status, self.endpoint.adapter.error_body(exc.status, exc.reason),
                                                   content_type="text/html;charset=utf-8", date=http_date_now()))
        except OSError:
            pass

    # -- request body (called by the servlet request) -----------------------
    def _next_body_piece(self) -> bytes | None:
        """The next piece of the body, or None at its end."""
        parser = self.parser
        while True:
            try:
                event = parser.next_event()
            except HttpParseError as exc:
                self.keep_alive = False
                from ..servlet.exceptions import BadRequestError
                raise BadRequestError(exc.reason) from None
            if event is NEED_DATA:
                if not self._continue_sent and self.head.expect_continue:
                    self._continue_sent = True
                    self._send(CONTINUE_100)
                if not self._fill():
                    self.keep_alive = False
                    raise ClientAbortError("the client stopped sending the request body")
                continue
            if type(event) is Data:
                return event.data
            if type(event) is EndOfMessage:
                self.body_finished = True
                self.trailers = event.trailers
                return None
            return None  # pragma: no cover - the parser yields nothing else here

    def read_body(self, size: int) -> bytes:
        """Up to *size* bytes of the request body; b"" at its end."""
        if self._pending:
            data, self._pending = self._pending[:size], self._pending[size:]
            return data
        if self.body_finished:
            return b""
        data = self._next_body_piece()
        if data is None:
            return b""
        if len(data) > size:
            data, self._pending = data[:size], data[size:]
        return data

    # -- response (called by the servlet response) ---------------------------
    # CONTRACT: container/channel.py's names, which the http branch's processor
    # provides itself; this block only lets the servlet branch run on the old
    # processor and goes at the merge.
    @property
    def connection_id(self) -> int:
        return self.trace_id

    @property
    def request_slots(self) -> Any:
        return self.endpoint.request_slots

    @property
    def stopping(self) -> bool:
        return self.endpoint.stopping

    def commit(self, response: Any, body: bytes | bytearray | None) -> None:
        """Send the status line and headers; with *body* the response is
        complete and goes out in one write with a Content-Length."""
        status = response._status
        headers = response._header_items()
        declared = response._content_length
        if status == 101 and self.upgrade_token is not None:
            # Switching protocols: no body, no keep-alive headers; the
            # connection is handed over once the servlet returns.
            if "date" not in response._headers:
                headers.append(("Date", http_date_now()))
            self._send(build_response_head(101, headers))
            self._upgrade_sent = True
            return
        # The servlet's own headers (lower-cased names); usually none.
        own = response._headers._index
        servlet_close = bool(own) and "connection" in own and response._headers.has_token("connection", "close")
        if status in _STATUS_DROPS_CONNECTION or servlet_close:
            self.keep_alive = False
        elif self.endpoint.stopping:
            self.keep_alive = False
        elif body is not None and not self.body_finished and self.head.expect_continue \
                and not self._continue_sent:
            # The body was never asked for, so the client may never send it:
            # the connection cannot be reused (see _finish_request).
            self.keep_alive = False
        if status in _NO_BODY_STATUSES or status < 200:
            body = b"" if body is not None else None
            if body is None:
                self._head_only = True
        elif body is not None:
            headers.append(("Content-Length", str(declared if declared >= 0 and self._head_only else len(body))))
        elif declared >= 0:
            headers.append(("Content-Length", str(declared)))
        elif self.version == "HTTP/1.1":
            headers.append(("Transfer-Encoding", "chunked"))
            self._chunked = True
        else:
            self.keep_alive = False  # HTTP/1.0: the end of the body is the close
        if not self.keep_alive:
            if not servlet_close:
                headers.append(("Connection", "close"))
        elif self.version == "HTTP/1.0":
            headers.append(("Connection", "keep-alive"))
        if "date" not in own:
            headers.append(("Date", http_date_now()))
        head = build_response_head(status, headers)
        if self.trace_id:
            trace.trace(self.trace_id, "response",
                        f"{status} ({'chunked' if self._chunked else 'length ' + str(len(body or b''))}"
                        f"{'' if self.keep_alive else ', then close'})")
        if body and not self._head_only and status not in _NO_BODY_STATUSES:
            self.bytes_sent = len(body)
            self._send(head + body)
        else:
            self._send(head)

    def write_body(self, data: bytes) -> None:
        """Send a piece of a committed response's body."""
        if self._head_only or not data:
            return
        self.bytes_sent += len(data)
        self._send(encode_chunk(data) if self._chunked else data)

    def end_body(self) -> None:
        """Finish a committed response (the last chunk when chunked)."""
        if self._chunked and not self._head_only:
            self._chunked = False
            self._send(LAST_CHUNK)

    def _send(self, data: bytes | bytearray) -> None:
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
            timeout = self.endpoint.config.connection_timeout
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
