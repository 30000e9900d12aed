"""``WsSession``: one open WebSocket connection as the endpoint sees it
(Jakarta's ``Session``, Tomcat's ``WsSession``), and its two remotes.

Every frame the session sends goes through :meth:`WsSession._send_frames`,
under one lock per session, so frames of messages sent from many
greenlets at once (a broadcast) never interleave. The I/O itself belongs
to the connection's :class:`~catalina_py.websocket.processor.WsHttpUpgradeHandler`.
"""

from __future__ import annotations

import collections
import itertools
import logging
from typing import TYPE_CHECKING, Any, Callable

import gevent
import gevent.event

from .endpoint import CloseReason

if TYPE_CHECKING:  # pragma: no cover
    from .endpoint import Endpoint, ServerEndpointConfig
    from .processor import WsHttpUpgradeHandler

__all__ = ["AsyncRemote", "BasicRemote", "SendFuture", "SessionClosedError", "SlowConsumerError",
           "WsSession", "DEFAULT_MAX_QUEUED_BYTES"]

log = logging.getLogger("catalina_py.websocket")

#: Bytes an async remote may have queued before the session is closed as
#: a slow consumer (catalina_py's bound; Tomcat queues without one).
DEFAULT_MAX_QUEUED_BYTES = 1 << 20

_ids = itertools.count(1)


class SessionClosedError(OSError):
    """The session is closed (or closing): nothing more can be sent."""


class SlowConsumerError(OSError):
    """An async send would queue more than the session's bound."""


class SendFuture:
    """The result of an async send: ``result(timeout)`` blocks the calling
    greenlet until the message was written (or raises why it was not)."""

    __slots__ = ("_result",)

    def __init__(self) -> None:
        self._result = gevent.event.AsyncResult()

    def done(self) -> bool:
        return self._result.ready()

    def result(self, timeout: float | None = None) -> None:
        """None once sent; raises the error, or ``gevent.Timeout`` after
        *timeout* seconds."""
        result = self._result
        if not result.ready():
            # AsyncResult.wait() returns the value (None here), not whether
            # it is ready: ask again after waiting.
            result.wait(timeout)
            if not result.ready():
                raise gevent.Timeout(timeout)
        return result.get(block=False)

    def exception(self, timeout: float | None = None) -> BaseException | None:
        """The send's error, or None; safe in a done callback (no waiting
        once the future is done)."""
        result = self._result
        if not result.ready():
            result.wait(timeout)
        return result.exception

    def add_done_callback(self, callback: Callable[["SendFuture"], Any]) -> None:
        self._result.rawlink(lambda _: callback(self))

    def _set(self) -> None:
        self._result.set(None)

    def _fail(self, error: BaseException) -> None:
        self._result.set_exception(error)


class BasicRemote:
    """Blocking sends: each returns once the frame is in the socket buffer
    (the calling greenlet waits while the peer is not reading)."""

    __slots__ = ("_session",)

    def __init__(self, session: "WsSession") -> None:
        self._session = session

    def send_text(self, text: str) -> None:
        if not isinstance(text, str):
            raise TypeError(f"send_text() takes a str, not {type(text).__name__}")
        self._session._send_message(True, text)

    def send_binary(self, data: bytes) -> None:
        self._session._send_message(False, bytes(data))

    def send_ping(self, payload: bytes = b"") -> None:
        self._session._send_control("ping", bytes(payload))

    def send_pong(self, payload: bytes = b"") -> None:
        self._session._send_control("pong", bytes(payload))

    def send_object(self, data: Any) -> None:
        """str as text, bytes-like as binary."""
        if isinstance(data, str):
            self.send_text(data)
        else:
            self.send_binary(data)


class AsyncRemote:
    """Sends that return at once with a :class:`SendFuture`; messages go
    out in order from a writer greenlet. More than the session's
    ``max_queued_bytes`` waiting fails the send with
    :class:`SlowConsumerError` and closes the session with 1008."""

    __slots__ = ("_session",)

    def __init__(self, session: "WsSession") -> None:
        self._session = session

    def send_text(self, text: str) -> SendFuture:
        if not isinstance(text, str):
            raise TypeError(f"send_text() takes a str, not {type(text).__name__}")
        return self._session._queue_message(True, text, len(text))

    def send_binary(self, data: bytes) -> SendFuture:
        data = bytes(data)
        return self._session._queue_message(False, data, len(data))

    def send_object(self, data: Any) -> SendFuture:
        return self.send_text(data) if isinstance(data, str) else self.send_binary(data)


class WsSession:
    """One WebSocket session (Jakarta ``Session``)."""

    #: Bound on bytes waiting in the async remote's queue.
    max_queued_bytes = DEFAULT_MAX_QUEUED_BYTES

    def __init__(self, handler: "WsHttpUpgradeHandler", endpoint: "Endpoint",
                 config: "ServerEndpointConfig", handshake: Any, path_parameters: dict[str, str],
                 subprotocol: str | None, registry: Any) -> None:
        self._id = format(next(_ids), "x")
        self._handler = handler
        self._endpoint = endpoint
        self._config = config
        self._handshake = handshake
        self._path_parameters = dict(path_parameters)
        self._subprotocol = subprotocol
        self._registry = registry
        self._user_properties: dict[str, Any] = dict(config.user_properties)
        #: "OPEN", "CLOSING" (our close sent or being sent) or "CLOSED".
        self._state = "OPEN"
        self._close_fired = False
        self._max_idle_timeout = float(getattr(handler, "idle_timeout", 0.0) or 0.0)
        self._text_handler: Callable[[str], Any] | None = None
        self._binary_handler: Callable[[bytes], Any] | None = None
        self._basic = BasicRemote(self)
        self._async = AsyncRemote(self)
        self._queue: collections.deque[tuple[bool, Any, int, SendFuture]] = collections.deque()
        self._queued_bytes = 0
        self._writer: gevent.Greenlet | None = None

    # -- identity and handshake ------------------------------------------
    def get_id(self) -> str:
        return self._id

    def get_request_uri(self) -> str:
        return self._handshake.get_request_uri()

    def get_query_string(self) -> str | None:
        return self._handshake.get_query_string()

    def get_request_parameter_map(self) -> dict[str, list[str]]:
        return self._handshake.get_parameter_map()

    def get_path_parameters(self) -> dict[str, str]:
        return dict(self._path_parameters)

    def get_http_session(self) -> Any:
        """The HTTP session of the handshake request, if it had one."""
        return self._handshake.get_http_session()

    def get_negotiated_subprotocol(self) -> str | None:
        return self._subprotocol

    def get_user_properties(self) -> dict[str, Any]:
        return self._user_properties

    def get_endpoint_config(self) -> "ServerEndpointConfig":
        return self._config

    def get_open_sessions(self) -> set["WsSession"]:
        """The open sessions of the same endpoint (this one included)."""
        return self._registry.open_sessions(self._config)

    # -- limits -------------------------------------------------------------
    def get_max_idle_timeout(self) -> float:
        """Seconds without a message either way before the session is
        closed with 1001; 0 means never."""
        return self._max_idle_timeout

    def set_max_idle_timeout(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("max idle timeout must be >= 0 seconds")
        self._max_idle_timeout = float(seconds)
        self._handler._wake()

    def get_max_text_message_buffer_size(self) -> int:
        return self._handler.protocol.max_text_message_size

    def set_max_text_message_buffer_size(self, size: int) -> None:
        if size <= 0:
            raise ValueError("buffer size must be positive")
        self._handler.protocol.max_text_message_size = int(size)

    def get_max_binary_message_buffer_size(self) -> int:
        return self._handler.protocol.max_binary_message_size

    def set_max_binary_message_buffer_size(self, size: int) -> None:
        if size <= 0:
            raise ValueError("buffer size must be positive")
        self._handler.protocol.max_binary_message_size = int(size)

    # -- message handlers ---------------------------------------------------
    def add_message_handler(self, handler: Callable[[Any], Any], message_type: type | None = None) -> None:
        """Call ``handler(message)`` for each whole message: text (str)
        when *message_type* is ``str``, binary (bytes) when ``bytes``,
        both when None. One handler per kind, as Jakarta."""
        kinds = {None: ("text", "binary"), str: ("text",), bytes: ("binary",)}.get(message_type)
        if kinds is None:
            raise TypeError("message_type must be str, bytes or None")
        for kind in kinds:
            if getattr(self, f"_{kind}_handler") is not None:
                from ..servlet.exceptions import IllegalStateError
                raise IllegalStateError(f"a {kind} message handler is already registered")
        for kind in kinds:
            setattr(self, f"_{kind}_handler", handler)

    def remove_message_handler(self, handler: Callable[[Any], Any]) -> None:
        if self._text_handler is handler:
            self._text_handler = None
        if self._binary_handler is handler:
            self._binary_handler = None

    def get_message_handlers(self) -> set[Callable[[Any], Any]]:
        return {h for h in (self._text_handler, self._binary_handler) if h is not None}

    def _set_pojo_handlers(self, text: Callable[["WsSession", Any], Any] | None,
                           binary: Callable[["WsSession", Any], Any] | None) -> None:
        """POJO @on_message methods: what they return is sent back."""
        def wrap(method: Callable[["WsSession", Any], Any]) -> Callable[[Any], Any]:
            def deliver(message: Any) -> None:
                reply = method(self, message)
                if reply is not None and self.is_open():
                    self._basic.send_object(reply)
            return deliver
        self._text_handler = wrap(text) if text is not None else None
        self._binary_handler = wrap(binary) if binary is not None else None

    # -- state ----------------------------------------------------------------
    def is_open(self) -> bool:
        return self._state == "OPEN"

    def get_basic_remote(self) -> BasicRemote:
        return self._basic

    def get_async_remote(self) -> AsyncRemote:
        return self._async

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Start the close handshake: our close frame is sent, ``on_close``
        runs with this reason, and the connection ends when the peer's
        close arrives (or after the connector's ``webSocketCloseTimeout``)."""
        if isinstance(code, CloseReason):
            code, reason = code.get_close_code(), code.get_reason_phrase()
        self._handler.close_session(int(code), reason)

    # -- sending (used by the remotes) -------------------------------------
    def _send_message(self, text: bool, payload: Any) -> None:
        if self._state != "OPEN":
            raise SessionClosedError(f"session {self._id} is closed")
        handler = self._handler
        handler.send_data(text, payload)

    def _send_control(self, kind: str, payload: bytes) -> None:
        if self._state != "OPEN":
            raise SessionClosedError(f"session {self._id} is closed")
        self._handler.send_control(kind, payload)

    def _queue_message(self, text: bool, payload: Any, size: int) -> SendFuture:
        future = SendFuture()
        if self._state != "OPEN":
            future._fail(SessionClosedError(f"session {self._id} is closed"))
            return future
        if self._queue and self._queued_bytes + size > self.max_queued_bytes:
            error = SlowConsumerError(
                f"session {self._id}: {self._queued_bytes} bytes already queued, the bound is "
                f"{self.max_queued_bytes}; closing the session (1008)")
            future._fail(error)
            gevent.spawn(self._handler.close_session, 1008, "slow consumer")
            return future
        self._queue.append((text, payload, size, future))
        self._queued_bytes += size
        if self._writer is None:
            self._writer = gevent.spawn(self._drain)
        return future

    def _drain(self) -> None:
        try:
            while self._queue:
                text, payload, size, future = self._queue.popleft()
                try:
                    self._send_message(text, payload)
                except Exception as exc:
                    future._fail(exc)
                else:
                    future._set()
                finally:
                    self._queued_bytes -= size
        finally:
            self._writer = None

    def _fail_queued(self) -> None:
        """The session ended: the messages still queued fail."""
        while self._queue:
            _, _, size, future = self._queue.popleft()
            self._queued_bytes -= size
            future._fail(SessionClosedError(f"session {self._id} closed before the message was sent"))

    def __repr__(self) -> str:
        return f"<WsSession {self._id} {self._config.path} {self._state}>"

    def __hash__(self) -> int:
        return id(self)

    def __eq__(self, other: object) -> bool:
        return self is other
