"""``WsSession``: one open WebSocket connection as the endpoint sees it
(Jakarta's ``Session``, Tomcat's ``WsSession``), and its two remotes.

The session does no I/O: every send goes to its :class:`SessionLink` (the
connection's upgrade handler, which hands it to the connection's one
:class:`~catalina_py.websocket.writer.FrameWriter`), and its state is the
link's. The two know each other only through ``SessionLink`` (what the
session asks of the connection) and the session's public methods.
"""

from __future__ import annotations

import collections
import itertools
import logging
from collections.abc import Callable
from typing import Any, Protocol

import gevent
import gevent.event

from .core.frames import Opcode
from .core.protocol import WsProtocol, WsState
from .delivery import MessageHandlers
from .endpoint import CloseReason, ServerEndpointConfig
from .handshake_request import HandshakeRequest

__all__ = [
    "AsyncRemote",
    "BasicRemote",
    "SendFuture",
    "SessionClosedError",
    "SessionLink",
    "SessionRegistry",
    "SlowConsumerError",
    "WsSession",
    "DEFAULT_MAX_QUEUED_BYTES",
]

log = logging.getLogger("catalina_py.websocket")

#: Bytes an async remote may have queued before the session is closed as
#: a slow consumer (catalina_py's bound; Tomcat queues without one).
DEFAULT_MAX_QUEUED_BYTES = 1 << 20

_ids = itertools.count(1)

#: Which handlers ``add_message_handler`` sets, by message type.
_KINDS: dict[type | None, tuple[str, ...]] = {None: ("text", "binary"), str: ("text",), bytes: ("binary",)}


class SessionClosedError(OSError):
    """The session is closed (or closing): nothing more can be sent."""


class SlowConsumerError(OSError):
    """An async send would queue more than the session's bound."""


class SessionLink(Protocol):
    """What a session asks of the connection it runs on (implemented by
    :class:`~catalina_py.websocket.processor.WsHttpUpgradeHandler`)."""

    @property
    def state(self) -> WsState:
        """The session's state (moved by the link alone)."""

    @property
    def protocol(self) -> WsProtocol:
        """The connection's protocol state machine (for its message limits)."""

    def send_message(self, text: bool, payload: str | bytes) -> None:
        """Write a whole message (blocks while the peer is not reading)."""

    def send_control(self, opcode: Opcode, payload: bytes) -> None:
        """Write a ping or pong."""

    def close_session(self, code: int, reason: str, drain: bool = True) -> None:
        """Start the close handshake with this code and reason; with
        *drain*, the async messages already queued go out first (within
        the close timeout)."""

    def idle_timeout_changed(self) -> None:
        """The session's max idle timeout changed: re-arm the timer."""


class SessionRegistry(Protocol):
    """Where a session finds its siblings (the context's ServerContainer)."""

    def open_sessions(self, config: ServerEndpointConfig) -> set[WsSession]:
        """The open sessions of an endpoint."""


class SendFuture:
    """The result of an async send: ``result(timeout)`` blocks the calling
    greenlet until the message was written (or raises why it was not)."""

    __slots__ = ("_result",)

    def __init__(self) -> None:
        # Any: gevent has no type stubs.
        self._result: Any = gevent.event.AsyncResult()

    def done(self) -> bool:
        """True once the send finished (written or failed)."""
        return bool(self._result.ready())

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
        result.get(block=False)

    def exception(self, timeout: float | None = None) -> BaseException | None:
        """The send's error, or None; safe in a done callback (no waiting
        once the future is done)."""
        result = self._result
        if not result.ready():
            result.wait(timeout)
        error: BaseException | None = result.exception
        return error

    def add_done_callback(self, callback: Callable[[SendFuture], Any]) -> None:
        """Call ``callback(future)`` once the send finished."""
        self._result.rawlink(lambda _: callback(self))

    def _set(self) -> None:
        self._result.set(None)

    def _fail(self, error: BaseException) -> None:
        self._result.set_exception(error)


class BasicRemote:
    """Blocking sends: each returns once the frame is in the socket buffer
    (the calling greenlet waits while the peer is not reading)."""

    __slots__ = ("_session",)

    def __init__(self, session: WsSession) -> None:
        self._session = session

    def send_text(self, text: str) -> None:
        """Send a text message."""
        if not isinstance(text, str):
            raise TypeError(f"send_text() takes a str, not {type(text).__name__}")
        self._session._send_message(True, text)

    def send_binary(self, data: bytes) -> None:
        """Send a binary message."""
        self._session._send_message(False, bytes(data))

    def send_ping(self, payload: bytes = b"") -> None:
        """Send a ping (payload at most 125 bytes)."""
        self._session._send_control(Opcode.PING, bytes(payload))

    def send_pong(self, payload: bytes = b"") -> None:
        """Send an unsolicited pong (a heartbeat)."""
        self._session._send_control(Opcode.PONG, bytes(payload))

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

    def __init__(self, session: WsSession) -> None:
        self._session = session

    def send_text(self, text: str) -> SendFuture:
        """Queue a text message."""
        if not isinstance(text, str):
            raise TypeError(f"send_text() takes a str, not {type(text).__name__}")
        return self._session._queue_message(True, text, len(text))

    def send_binary(self, data: bytes) -> SendFuture:
        """Queue a binary message."""
        data = bytes(data)
        return self._session._queue_message(False, data, len(data))

    def send_object(self, data: Any) -> SendFuture:
        """str as text, bytes-like as binary."""
        return self.send_text(data) if isinstance(data, str) else self.send_binary(data)


class WsSession:
    """One WebSocket session (Jakarta ``Session``)."""

    #: Bound on bytes waiting in the async remote's queue.
    max_queued_bytes = DEFAULT_MAX_QUEUED_BYTES

    def __init__(
        self,
        link: SessionLink,
        config: ServerEndpointConfig,
        handshake: HandshakeRequest,
        path_parameters: dict[str, str],
        subprotocol: str | None,
        registry: SessionRegistry,
        max_idle_timeout: float,
    ) -> None:
        self._id = format(next(_ids), "x")
        self._link = link
        self._config = config
        self._handshake = handshake
        self._path_parameters = dict(path_parameters)
        self._subprotocol = subprotocol
        self._registry = registry
        # Any: user properties hold whatever the webapp puts there.
        # The handshake's copy when it made one (the configurator may have added to it).
        own = getattr(handshake, "user_properties", None)
        self._user_properties: dict[str, Any] = own if own is not None else dict(config.user_properties)
        self._max_idle_timeout = float(max_idle_timeout or 0.0)
        #: The message handlers and how each message reaches them (read by
        #: the connection on every message; set through the methods below).
        self.handlers = MessageHandlers(config, link.protocol)
        self._basic = BasicRemote(self)
        self._async = AsyncRemote(self)
        self._queue: collections.deque[tuple[bool, str | bytes, int, SendFuture]] = collections.deque()
        self._queued_bytes = 0
        self._writer: gevent.Greenlet | None = None

    # -- identity and handshake ------------------------------------------
    def get_id(self) -> str:
        """The session's id (unique in the process)."""
        return self._id

    def get_request_uri(self) -> str:
        """The request URI of the handshake."""
        return self._handshake.get_request_uri()

    def get_query_string(self) -> str | None:
        """The query string of the handshake, or None."""
        return self._handshake.get_query_string()

    def get_request_parameter_map(self) -> dict[str, list[str]]:
        """The request parameters of the handshake."""
        return self._handshake.get_parameter_map()

    def get_path_parameters(self) -> dict[str, str]:
        """The values of the endpoint path's ``{variables}``."""
        return dict(self._path_parameters)

    def get_http_session(self) -> Any:
        """The HTTP session of the handshake request, if it had one."""
        return self._handshake.get_http_session()

    def get_negotiated_subprotocol(self) -> str | None:
        """The subprotocol agreed in the handshake, or None."""
        return self._subprotocol

    def get_user_properties(self) -> dict[str, Any]:
        """The session's own properties (a copy of the endpoint config's at open)."""
        return self._user_properties

    def get_endpoint_config(self) -> ServerEndpointConfig:
        """The configuration of the session's endpoint."""
        return self._config

    def get_open_sessions(self) -> set[WsSession]:
        """The open sessions of the same endpoint (this one included)."""
        return self._registry.open_sessions(self._config)

    # -- limits -------------------------------------------------------------
    def get_max_idle_timeout(self) -> float:
        """Seconds without a message either way before the session is
        closed with 1001; 0 means never."""
        return self._max_idle_timeout

    def set_max_idle_timeout(self, seconds: float) -> None:
        """Set the idle timeout (seconds, 0: never)."""
        if seconds < 0:
            raise ValueError("max idle timeout must be >= 0 seconds")
        self._max_idle_timeout = float(seconds)
        self._link.idle_timeout_changed()

    def get_max_text_message_buffer_size(self) -> int:
        """The largest text message accepted (bytes)."""
        return self._link.protocol.max_text_message_size

    def set_max_text_message_buffer_size(self, size: int) -> None:
        """Set the largest text message accepted (bytes)."""
        if size <= 0:
            raise ValueError("buffer size must be positive")
        self._link.protocol.max_text_message_size = int(size)

    def get_max_binary_message_buffer_size(self) -> int:
        """The largest binary message accepted (bytes)."""
        return self._link.protocol.max_binary_message_size

    def set_max_binary_message_buffer_size(self, size: int) -> None:
        """Set the largest binary message accepted (bytes)."""
        if size <= 0:
            raise ValueError("buffer size must be positive")
        self._link.protocol.max_binary_message_size = int(size)

    # -- message handlers ---------------------------------------------------
    # Any: a MessageHandler or a callable; a message type as annotated.
    def add_message_handler(self, handler: Any, message_type: Any = None) -> None:
        """Register a message handler (Jakarta's ``addMessageHandler``).

        *handler* is a :class:`~catalina_py.websocket.handlers.MessageHandler.Whole`
        or any callable taking one message, or a
        :class:`~catalina_py.websocket.handlers.MessageHandler.Partial`
        (``on_message(part, last)``). *message_type*: ``str`` (text),
        ``bytes`` (binary), :class:`~catalina_py.websocket.handlers.PongMessage`,
        ``typing.TextIO`` / ``typing.BinaryIO`` (the message as a stream,
        read in a greenlet of its own while it arrives), or a type one of
        the endpoint's decoders produces; None: the annotation of the
        handler's message parameter, else text and binary alike. One
        handler per kind (text, binary, pong): a second raises
        IllegalStateError, as Jakarta."""
        self.handlers.add(handler, message_type)

    def remove_message_handler(self, handler: Any) -> None:
        """Stop calling *handler* (for whichever kinds it was registered)."""
        self.handlers.remove(handler)

    def get_message_handlers(self) -> set[Any]:
        """The registered message handlers."""
        return self.handlers.handlers()

    # -- state ----------------------------------------------------------------
    def get_state(self) -> WsState:
        """OPEN, CLOSING (our close sent or being sent) or CLOSED."""
        return self._link.state

    def is_open(self) -> bool:
        """True until the close handshake starts."""
        return self._link.state is WsState.OPEN

    def get_basic_remote(self) -> BasicRemote:
        """The blocking sender."""
        return self._basic

    def get_async_remote(self) -> AsyncRemote:
        """The queueing sender."""
        return self._async

    def close(self, code: int | CloseReason = 1000, reason: str = "") -> None:
        """Start the close handshake: our close frame is sent, ``on_close``
        runs with this reason, and the connection ends when the peer's
        close arrives (or after the connector's ``webSocketCloseTimeout``)."""
        if isinstance(code, CloseReason):
            reason = code.get_reason_phrase()
            code = code.get_close_code()
        self._link.close_session(int(code), reason)

    # -- sending (used by the remotes) -------------------------------------
    def _send_message(self, text: bool, payload: str | bytes) -> None:
        if self._link.state is not WsState.OPEN:
            raise SessionClosedError(f"session {self._id} is closed")
        self._link.send_message(text, payload)

    def _send_control(self, opcode: Opcode, payload: bytes) -> None:
        if self._link.state is not WsState.OPEN:
            raise SessionClosedError(f"session {self._id} is closed")
        self._link.send_control(opcode, payload)

    def _queue_message(self, text: bool, payload: str | bytes, size: int) -> SendFuture:
        future = SendFuture()
        if self._link.state is not WsState.OPEN:
            future._fail(SessionClosedError(f"session {self._id} is closed"))
            return future
        if self._queue and self._queued_bytes + size > self.max_queued_bytes:
            error = SlowConsumerError(
                f"session {self._id}: {self._queued_bytes} bytes already queued, the bound is "
                f"{self.max_queued_bytes}; closing the session (1008)"
            )
            future._fail(error)
            gevent.spawn(self._link.close_session, 1008, "slow consumer", False)
            return future
        self._queue.append((text, payload, size, future))
        self._queued_bytes += size
        if self._writer is None:
            self._writer = gevent.spawn(self._drain)
        return future

    def wait_sent(self, timeout: float | None) -> bool:
        """Wait (at most *timeout* seconds) until the async messages queued
        so far are written; True when none is left. Used before our close
        frame, so that what was sent before ``close()`` arrives before it."""
        drain = self._writer
        if drain is None:
            return True
        current = gevent.getcurrent()
        if current is drain or current is gevent.get_hub():
            return False  # cannot wait for ourselves, nor block the hub
        drain.join(timeout)
        return self._writer is None

    def _drain(self) -> None:
        try:
            while self._queue:
                text, payload, size, future = self._queue.popleft()
                try:
                    # Also while the session is closing: the messages queued
                    # before close() go out before our close frame (the
                    # protocol refuses them once that frame is out).
                    if self._link.state is WsState.CLOSED:
                        raise SessionClosedError(f"session {self._id} is closed")
                    self._link.send_message(text, payload)
                except Exception as exc:
                    future._fail(exc)
                else:
                    future._set()
                finally:
                    self._queued_bytes -= size
        finally:
            self._writer = None

    def fail_pending_sends(self) -> None:
        """The session ended: the async messages still queued fail (called
        by the upgrade handler)."""
        while self._queue:
            _, _, size, future = self._queue.popleft()
            self._queued_bytes -= size
            future._fail(SessionClosedError(f"session {self._id} closed before the message was sent"))

    def __repr__(self) -> str:
        return f"<WsSession {self._id} {self._config.path} {self._link.state.name}>"

    def __hash__(self) -> int:
        return id(self)

    def __eq__(self, other: object) -> bool:
        return self is other
