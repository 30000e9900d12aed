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
import enum
import io
import itertools
import logging
import time
from collections.abc import Callable
from concurrent.futures import CancelledError
from typing import Any, BinaryIO, Protocol, TextIO, cast

import gevent
import gevent.event

from ..config.websocket_params import (
    BLOCKING_SEND_TIMEOUT_PROPERTY,
    DEFAULT_BLOCKING_SEND_TIMEOUT_MS,
    blocking_send_timeout,
)
from ..servlet.exceptions import IllegalStateError
from .coders import Coder, EncodeError, Encoder
from .core.frames import Opcode
from .core.protocol import WsProtocol, WsState
from .delivery import MessageHandlers
from .endpoint import CloseReason, ServerEndpointConfig
from .extension import Extension
from .handlers import SendResult
from .handshake_request import HandshakeRequest
from .send_streams import SendStream, SendWriter
from .writer import SendTimeoutError

__all__ = [
    "AsyncRemote",
    "BasicRemote",
    "SendFuture",
    "SendTimeoutError",
    "SessionClosedError",
    "SessionLink",
    "SessionRegistry",
    "SlowConsumerError",
    "WsSession",
    "BLOCKING_SEND_TIMEOUT_PROPERTY",
    "DEFAULT_BLOCKING_SEND_TIMEOUT",
    "DEFAULT_MAX_QUEUED_BYTES",
]

log = logging.getLogger("catalina_py.websocket")

#: Bytes an async remote may have queued before the session is closed as
#: a slow consumer (catalina_py's bound; Tomcat queues without one).
DEFAULT_MAX_QUEUED_BYTES = 1 << 20

#: Seconds a blocking send may take when the user property
#: ``BLOCKING_SEND_TIMEOUT_PROPERTY`` is not set (Tomcat's 20 000 ms).
DEFAULT_BLOCKING_SEND_TIMEOUT = DEFAULT_BLOCKING_SEND_TIMEOUT_MS / 1000.0

#: The WebSocket protocol version of every session (RFC 6455).
PROTOCOL_VERSION = "13"

_ids = itertools.count(1)
_monotonic = time.monotonic


class _Sending(enum.Enum):
    """Which message the session is sending in parts (Tomcat's remote
    endpoint StateMachine, less its "whole message being written" states:
    here whole sends from several greenlets wait for each other)."""

    IDLE = "no message in parts"
    TEXT_PARTS = "a text message in parts"
    BINARY_PARTS = "a binary message in parts"
    WRITER = "a text message through get_send_writer()"
    STREAM = "a binary message through get_send_stream()"


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

    def send_message(self, text: bool, payload: str | bytes, timeout: float | None = None) -> None:
        """Write a whole message (blocks while the peer is not reading, at
        most *timeout* seconds)."""

    def send_part(self, text: bool, payload: str | bytes, last: bool, timeout: float | None = None) -> None:
        """Write one part of a message (FIN only on the *last*)."""

    def send_control(self, opcode: Opcode, payload: bytes, timeout: float | None = None) -> None:
        """Write a ping or pong (after the frames batching holds)."""

    def set_batching(self, allowed: bool, timeout: float | None = None) -> None:
        """Hold data frames until the batch fills or is flushed (or not,
        writing what is held)."""

    def batching_allowed(self) -> bool:
        """Whether data frames are held."""

    def flush_batch(self, timeout: float | None = None) -> None:
        """Write the frames batching holds."""

    def abort(self, reason: str) -> None:
        """End the connection now (the session closes with 1006)."""

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
    """The result of an async send (Jakarta's ``Future<Void>``):
    ``result(timeout)`` blocks the calling greenlet until the message was
    written (or raises why it was not)."""

    __slots__ = ("_result", "_started")

    def __init__(self) -> None:
        # Any: gevent has no type stubs.
        self._result: Any = gevent.event.AsyncResult()
        self._started = False

    def done(self) -> bool:
        """True once the send finished (written, failed or cancelled)."""
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

    def cancel(self) -> bool:
        """Take the message out of the queue if its write has not started
        (True; ``result()`` then raises ``CancelledError``); False once it
        started or finished (as Java's ``Future.cancel``)."""
        if self._started or self._result.ready():
            return False
        self._result.set_exception(CancelledError())
        return True

    def cancelled(self) -> bool:
        """True when :meth:`cancel` took the message out of the queue."""
        return self._result.ready() and isinstance(self._result.exception, CancelledError)

    def _set(self) -> None:
        self._result.set(None)

    def _fail(self, error: BaseException) -> None:
        if not self._result.ready():
            self._result.set_exception(error)


class _Remote:
    """What both remotes share (Jakarta's ``RemoteEndpoint``): batching,
    pings and pongs. Batching is the session's: both remotes see it."""

    __slots__ = ("_session",)

    def __init__(self, session: WsSession) -> None:
        self._session = session

    def set_batching_allowed(self, allowed: bool) -> None:
        """Hold the messages sent until the batch buffer fills or
        :meth:`flush_batch`; turning it off sends what is held."""
        self._session._set_batching(allowed)

    def get_batching_allowed(self) -> bool:
        """Whether messages are held for a batch."""
        return self._session._link.batching_allowed()

    def flush_batch(self) -> None:
        """Send the messages batching holds (blocks like a send)."""
        self._session._flush_batch()

    def send_ping(self, payload: bytes = b"") -> None:
        """Send a ping (payload at most 125 bytes, else ValueError); blocks
        like a basic send."""
        self._session._send_control(Opcode.PING, _control_payload(payload))

    def send_pong(self, payload: bytes = b"") -> None:
        """Send an unsolicited pong (a heartbeat; payload at most 125 bytes)."""
        self._session._send_control(Opcode.PONG, _control_payload(payload))


def _control_payload(payload: Any) -> bytes:
    data = bytes(payload)
    if len(data) > 125:
        raise ValueError(f"a ping or pong carries at most 125 bytes, not {len(data)}")
    return data


def _check_text(text: Any) -> str:
    if not isinstance(text, str):
        raise TypeError(f"send_text() takes a str, not {type(text).__name__}")
    return text


class BasicRemote(_Remote):
    """Blocking sends (Jakarta's ``RemoteEndpoint.Basic``): each returns
    once its frames are in the socket buffer (the calling greenlet waits
    while the peer is not reading, at most the blocking send timeout)."""

    __slots__ = ()

    def send_text(self, text: str, is_last: bool | None = None) -> None:
        """``send_text(text)``: a whole text message. ``send_text(part,
        is_last)``: a part of one (Jakarta's ``sendText(String, boolean)``),
        the message ends with the part sent with ``is_last=True``. A whole
        message while one in parts is open raises IllegalStateError."""
        if type(text) is not str:
            _check_text(text)
        session = self._session
        if is_last is None or (is_last and session._sending is _Sending.IDLE):
            session._send_message(True, text)
        else:
            session._send_part(True, text, bool(is_last), _Sending.TEXT_PARTS)

    def send_binary(self, data: bytes, is_last: bool | None = None) -> None:
        """A whole binary message (any bytes-like object), or with
        *is_last* a part of one (see :meth:`send_text`)."""
        session = self._session
        if is_last is None or (is_last and session._sending is _Sending.IDLE):
            session._send_message(False, bytes(data))
        else:
            session._send_part(False, bytes(data), bool(is_last), _Sending.BINARY_PARTS)

    def get_send_writer(self) -> SendWriter:
        """A writer for one text message, sent in frames of the session's
        text buffer size as it fills; ``close()`` (or the end of a
        ``with`` block) ends the message."""
        session = self._session
        session._start_parts(_Sending.WRITER)
        return SendWriter(session._part_sender(True, _Sending.WRITER), session.get_max_text_message_buffer_size())

    def get_send_stream(self) -> SendStream:
        """An output stream for one binary message (see
        :meth:`get_send_writer`)."""
        session = self._session
        session._start_parts(_Sending.STREAM)
        return SendStream(session._part_sender(False, _Sending.STREAM), session.get_max_binary_message_buffer_size())

    # Any: whatever the endpoint's encoders take.
    def send_object(self, obj: Any) -> None:
        """Send *obj* through the first of the endpoint's encoders for its
        type; without one a ``str`` goes as text, a bytes-like object as
        binary, a number or bool as its text; anything else raises
        :class:`~catalina_py.websocket.coders.EncodeError`."""
        encoder = self._session._encoder_for(obj)
        if encoder is None:
            kind, payload = _primitive(obj)
            if kind:
                self.send_text(payload)
            else:
                self.send_binary(payload)
        elif isinstance(encoder, Encoder.Text):
            self.send_text(_encoded(encoder.encode(obj), str, encoder, obj))
        elif isinstance(encoder, Encoder.Binary):
            self.send_binary(_encoded(encoder.encode(obj), (bytes, bytearray, memoryview), encoder, obj))
        elif isinstance(encoder, Encoder.TextStream):
            with self.get_send_writer() as writer:
                encoder.encode(obj, cast(TextIO, writer))
        else:
            assert isinstance(encoder, Encoder.BinaryStream)
            with self.get_send_stream() as stream:
                encoder.encode(obj, cast(BinaryIO, stream))


# Any: the object to send.
def _primitive(obj: Any) -> tuple[bool, Any]:
    """How an object no encoder takes is sent: (True, text) or (False,
    bytes); EncodeError for anything else (as Jakarta)."""
    if isinstance(obj, str):
        return True, obj
    if isinstance(obj, (bytes, bytearray, memoryview)):
        return False, bytes(obj)
    if isinstance(obj, bool):
        return True, "true" if obj else "false"  # Java's Boolean.toString
    if isinstance(obj, (int, float)):
        return True, str(obj)
    raise EncodeError(obj, f"no encoder for {type(obj).__name__} (list one in the endpoint's encoders)")


# Any: what an encoder returned, and the object it encoded.
def _encoded(value: Any, kind: type | tuple[type, ...], encoder: Coder, obj: Any) -> Any:
    if not isinstance(value, kind):
        raise EncodeError(obj, f"{type(encoder).__name__}.encode() returned {type(value).__name__}")
    return value


class AsyncRemote(_Remote):
    """Sends that return at once (Jakarta's ``RemoteEndpoint.Async``):
    with no handler a :class:`SendFuture`, with one None and
    ``handler(SendResult)`` called once, in a greenlet of its own, when the
    send ended. Messages go out in order from a writer greenlet. More than
    the session's ``max_queued_bytes`` waiting fails the send with
    :class:`SlowConsumerError` and closes the session with 1008; a send not
    written within the send timeout fails with :class:`SendTimeoutError`
    and the connection is closed (as Tomcat)."""

    __slots__ = ()

    def send_text(self, text: str, handler: Callable[[SendResult], Any] | None = None) -> SendFuture | None:
        """Queue a text message."""
        _check_text(text)
        return self._session._send_async(True, text, len(text), handler)

    def send_binary(self, data: bytes, handler: Callable[[SendResult], Any] | None = None) -> SendFuture | None:
        """Queue a binary message (any bytes-like object)."""
        payload = bytes(data)
        return self._session._send_async(False, payload, len(payload), handler)

    # Any: whatever the endpoint's encoders take.
    def send_object(self, obj: Any, handler: Callable[[SendResult], Any] | None = None) -> SendFuture | None:
        """Queue *obj*, encoded as :meth:`BasicRemote.send_object` does (a
        stream encoder's output is collected, then queued whole). An
        EncodeError fails the send (the future, or the handler's result)."""
        session = self._session
        try:
            encoder = session._encoder_for(obj)
            if encoder is None:
                text, payload = _primitive(obj)
            elif isinstance(encoder, Encoder.Text):
                text, payload = True, _encoded(encoder.encode(obj), str, encoder, obj)
            elif isinstance(encoder, Encoder.Binary):
                text = False
                payload = bytes(_encoded(encoder.encode(obj), (bytes, bytearray, memoryview), encoder, obj))
            elif isinstance(encoder, Encoder.TextStream):
                buffer = io.StringIO()
                encoder.encode(obj, buffer)
                text, payload = True, buffer.getvalue()
            else:
                assert isinstance(encoder, Encoder.BinaryStream)
                raw = io.BytesIO()
                encoder.encode(obj, raw)
                text, payload = False, raw.getvalue()
        except Exception as exc:
            future = SendFuture()
            future._fail(exc)
            return _deliver(future, handler)
        return session._send_async(text, payload, len(payload), handler)

    def get_send_timeout(self) -> float:
        """Seconds an async send may wait to be written (0: no bound;
        from the container's default async send timeout)."""
        return self._session._async_send_timeout

    def set_send_timeout(self, seconds: float) -> None:
        """Set the async send timeout (seconds; 0 or negative: none)."""
        self._session._async_send_timeout = max(0.0, float(seconds))


def _deliver(future: SendFuture, handler: Callable[[SendResult], Any] | None) -> SendFuture | None:
    """The future itself, or (with a handler) None and the handler called
    once with the result, in a greenlet of its own."""
    if handler is None:
        return future

    def done(finished: SendFuture) -> None:
        gevent.spawn(handler, SendResult(finished.exception(0)))

    future.add_done_callback(done)
    return None


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
        # Only what the session's getters need, not the request's headers.
        self._handshake = handshake.facts()
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
        # Made at the first async send: most sessions never queue, and an
        # empty deque is ~600 bytes of every idle session.
        self._queue: collections.deque[tuple[bool, str | bytes, int, SendFuture, float | None]] | None = None
        self._queued_bytes = 0
        self._writer: gevent.Greenlet | None = None
        #: The message being sent in parts, if any (one at a time, as Jakarta).
        self._sending = _Sending.IDLE
        #: Seconds an async send may wait to be written (0: no bound).
        self._async_send_timeout = max(0.0, float(getattr(registry, "default_async_send_timeout", 0.0) or 0.0))
        #: One instance of each of the endpoint's encoders, made (and
        #: ``init``) at the first send_object, ``destroy``-ed at the end.
        self._encoders: list[Coder] | None = None

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

    def get_user_principal(self) -> Any:
        """The authenticated user of the handshake request, or None."""
        return self._handshake.get_user_principal()

    def is_secure(self) -> bool:
        """True when the handshake came over a secure connection (wss)."""
        return self._handshake.is_secure()

    def get_protocol_version(self) -> str:
        """The WebSocket protocol version: ``"13"`` (RFC 6455)."""
        return PROTOCOL_VERSION

    def get_negotiated_extensions(self) -> list[Extension]:
        """The extensions agreed in the handshake, with their agreed
        parameters (``permessage-deflate`` when the client offered it)."""
        return self._handshake.get_negotiated_extensions()

    # Any: the ServerContainer (typed as the registry it is to the session).
    def get_container(self) -> Any:
        """The ServerContainer the session's endpoint is deployed in."""
        return self._registry

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
    def get_blocking_send_timeout(self) -> float | None:
        """Seconds a blocking send may take (the user property
        ``org.apache.tomcat.websocket.BLOCKING_SEND_TIMEOUT``, milliseconds
        as Tomcat; 20 s when unset; None when negative: no bound). A send
        not written in time raises SendTimeoutError and closes the
        connection (the session closes with 1006), as Tomcat does."""
        return blocking_send_timeout(self._user_properties)

    def _check_open(self) -> None:
        if self._link.state is not WsState.OPEN:
            raise SessionClosedError(f"session {self._id} is closed")

    def _send_message(self, text: bool, payload: str | bytes) -> None:
        link = self._link
        if link.state is not WsState.OPEN:
            raise SessionClosedError(f"session {self._id} is closed")
        if self._sending is not _Sending.IDLE:
            raise IllegalStateError(f"a whole message cannot be sent while {self._sending.value} is open")
        # The hot path: one dict lookup when the property is not set.
        properties = self._user_properties
        timeout = (
            blocking_send_timeout(properties)
            if BLOCKING_SEND_TIMEOUT_PROPERTY in properties
            else DEFAULT_BLOCKING_SEND_TIMEOUT
        )
        link.send_message(text, payload, timeout)

    def _start_parts(self, mode: _Sending) -> float | None:
        """Begin a message in parts (IllegalStateError while another is
        open); the async messages queued before it go out first. The
        blocking send timeout left."""
        self._check_open()
        if self._sending is not _Sending.IDLE:
            raise IllegalStateError(f"{mode.value} cannot start while {self._sending.value} is open")
        timeout = self.get_blocking_send_timeout()
        if self._writer is not None:
            started = _monotonic()
            if not self.wait_sent(timeout):
                reason = "the async messages queued before a message in parts were not written in time"
                self._link.abort(reason)
                raise SendTimeoutError(f"WebSocket send not started: {reason}")
            if timeout is not None:
                timeout = max(0.0, timeout - (_monotonic() - started))
        self._sending = mode
        return timeout

    def _send_part(self, text: bool, payload: str | bytes, last: bool, mode: _Sending) -> None:
        if self._sending is not mode:
            self._start_parts(mode)
        else:
            self._check_open()
        try:
            self._link.send_part(text, payload, last, self.get_blocking_send_timeout())
        finally:
            if last:
                self._sending = _Sending.IDLE

    def _part_sender(self, text: bool, mode: _Sending) -> Callable[[Any, bool], None]:
        """``send_part(part, last)`` for a writer or stream the session
        started (in *mode*)."""

        def send_part(part: Any, last: bool) -> None:
            self._send_part(text, part, last, mode)

        return send_part

    def _send_control(self, opcode: Opcode, payload: bytes) -> None:
        self._check_open()
        self._link.send_control(opcode, payload, self.get_blocking_send_timeout())

    def _set_batching(self, allowed: bool) -> None:
        self._link.set_batching(allowed, self.get_blocking_send_timeout())

    def _flush_batch(self) -> None:
        self._link.flush_batch(self.get_blocking_send_timeout())

    # Any: whatever the endpoint's encoders take.
    def _encoder_for(self, obj: Any) -> Coder | None:
        """The first of the endpoint's encoders for *obj*'s type (made and
        ``init``-ed at the first call), or None."""
        encoders = self._encoders
        if encoders is None:
            encoders = self._encoders = []
            config = self._config
            for cls in config.get_encoders():
                made: Coder = cls()
                made.init(config)
                encoders.append(made)
        for encoder in encoders:
            if isinstance(obj, type(encoder).object_type):
                return encoder
        return None

    def _send_async(
        self, text: bool, payload: str | bytes, size: int, handler: Callable[[SendResult], Any] | None
    ) -> SendFuture | None:
        if self._sending is not _Sending.IDLE:
            # As Tomcat: an async send while a message in parts is open is
            # refused at once (its frames could not be put between those).
            raise IllegalStateError(f"an async message cannot be sent while {self._sending.value} is open")
        return _deliver(self._queue_message(text, payload, size), handler)

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
        timeout = self._async_send_timeout
        deadline = _monotonic() + timeout if timeout > 0 else None
        if self._queue is None:
            self._queue = collections.deque()
        self._queue.append((text, payload, size, future, deadline))
        self._queued_bytes += size
        if self._writer is None:
            self._writer = gevent.spawn(self._drain)
        return future

    def queued_messages(self) -> int:
        """How many async messages wait to be written (the broadcast's
        slow-consumer bound counts them)."""
        queue = self._queue
        return len(queue) if queue else 0

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
                text, payload, size, future, deadline = self._queue.popleft()
                try:
                    if future.done():
                        continue  # cancelled while queued
                    future._started = True
                    # Also while the session is closing: the messages queued
                    # before close() go out before our close frame (the
                    # protocol refuses them once that frame is out).
                    if self._link.state is WsState.CLOSED:
                        raise SessionClosedError(f"session {self._id} is closed")
                    left = None
                    if deadline is not None:
                        left = deadline - _monotonic()
                        if left <= 0:
                            # As Tomcat's async write timeout: the send fails
                            # and the connection is closed.
                            reason = f"async send not written within {self._async_send_timeout:g} s"
                            self._link.abort(reason)
                            raise SendTimeoutError(f"WebSocket {reason}")
                    self._link.send_message(text, payload, left)
                except Exception as exc:
                    future._fail(exc)
                else:
                    future._set()
                finally:
                    self._queued_bytes -= size
        finally:
            self._writer = None

    def fail_pending_sends(self) -> None:
        """The session ended (called by the upgrade handler): the async
        messages still queued fail, the encoders are destroyed."""
        while self._queue:
            _, _, size, future, _ = self._queue.popleft()
            self._queued_bytes -= size
            future._fail(SessionClosedError(f"session {self._id} closed before the message was sent"))
        encoders, self._encoders = self._encoders, []
        for encoder in encoders or ():
            try:
                encoder.destroy()
            except Exception:
                log.exception("WebSocket encoder %s raised in destroy()", type(encoder).__name__)

    def __repr__(self) -> str:
        return f"<WsSession {self._id} {self._config.path} {self._link.state.name}>"

    def __hash__(self) -> int:
        return id(self)

    def __eq__(self, other: object) -> bool:
        return self is other
