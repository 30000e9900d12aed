"""``WsHttpUpgradeHandler``: the gevent I/O around one WebSocket connection
(Tomcat's ``WsHttpUpgradeHandler`` + ``WsFrameServer`` +
``WsRemoteEndpointImplServer``; the shape is python-websockets' ``sync``
layer).

* **One reader** — the connection's own greenlet (``init`` runs in it):
  ``recv`` -> :meth:`WsProtocol.receive_data` -> events -> the endpoint.
* **No keepalive greenlet of its own**: the handler is a client of the
  process's one :class:`~catalina_py.websocket.keepalive.KeepaliveScheduler`
  (:meth:`WsHttpUpgradeHandler.keepalive_due`), which pings every
  ``webSocketPingInterval`` and drops a peer whose pong does not come
  within ``webSocketPingTimeout``; closes idle sessions (1001); bounds the
  wait for the peer's close reply (``webSocketCloseTimeout``).
* **No greenlet at all while quiet**: a connection that read nothing for
  ``webSocketParkAfter`` seconds is *parked* (the keepalive asks the
  event loop to stop the reader where it waits; the reader hands the
  connection to a read watcher and its greenlet ends); its next bytes
  resume it in a new greenlet (:meth:`WsHttpUpgradeHandler._resume`).
* **One writer** (:class:`~catalina_py.websocket.writer.FrameWriter`):
  user messages, pings, the protocol's own pongs and close frames all go
  through it, under one lock, so frames never interleave.

The session state (:class:`~catalina_py.websocket.core.protocol.WsState`)
is moved here only (:meth:`WsHttpUpgradeHandler._move`); the session
reads it through :class:`~catalina_py.websocket.session.SessionLink`.

Close codes the endpoint's ``on_close`` sees: the peer's code for a close
it started; ours for a close we started (fired when our close frame goes
out, as Tomcat); the protocol error's code (1002, 1007, 1009...) when the
peer broke the protocol; 1006 when the connection just ended (EOF, reset,
no pong, no close reply).
"""

from __future__ import annotations

import logging
import random
import socket
import time
from collections.abc import Callable
from functools import partial
from typing import Any, Protocol, cast

import gevent
from gevent.hub import get_hub

from ..config.websocket_params import blocking_send_timeout, session_close_timeout
from ..events import (
    BUS,
    ConnectionParked,
    ConnectionResumed,
    FrameReceived,
    MessageReceived,
    PongReceived,
    WebSocketClosed,
    WebSocketOpened,
)
from ..servlet.upgrade import HttpUpgradeHandler, WebConnection
from ..sockets import is_tls
from .coders import DecodeError
from .core.frames import CloseCode, Frame, FrameHeader, Opcode
from .core.permessage_deflate import PerMessageDeflate
from .core.protocol import (
    MESSAGE_EVENTS,
    BinaryMessage,
    BinaryPart,
    CloseReceived,
    ConnectionFailed,
    Event,
    Ping,
    Pong,
    TextMessage,
    TextPart,
    WsClosedError,
    WsProtocol,
    WsState,
)
from .endpoint import CloseReason, Endpoint, EndpointStats, ServerEndpointConfig
from .handlers import PongMessage
from .handshake_request import HandshakeRequest
from .keepalive import KeepaliveScheduler, keepalive_scheduler
from .session import SessionClosedError, SessionRegistry, WsSession
from .settings import WsSettings, settings_for
from .writer import FrameWriter, SendSocket, describe_frame, emit_frame_received, message_event

__all__ = ["HandlerRegistry", "WsHttpUpgradeHandler"]

#: Share of the close timeout a close for a server stop may take in all.
_STOP_CLOSE_SHARE = 0.5
#: Share of the close timeout a close waits for the async messages queued
#: before it (the rest is for the close frame and the peer's reply).
_DRAIN_SHARE = 0.25
#: Seconds a close frame may take to write when the peer is behind with its
#: queued messages (it then most likely reads nothing).
_BEHIND_CLOSE_WRITE = 1.0

log = logging.getLogger("catalina_py.websocket")

#: Bytes of a frame's payload an event carries.
_EVENT_PAYLOAD = 256

_monotonic = time.monotonic


class _Park(BaseException):
    """Thrown by the event loop into a reader waiting for bytes: park the
    connection (not an error; a BaseException so that no ``except
    Exception`` on the way can take it for one)."""


class HandlerRegistry(SessionRegistry, Protocol):
    """What the handler needs of the context's ServerContainer: the
    sessions' book-keeping and the container-wide defaults."""

    default_max_text_message_size: int
    default_max_binary_message_size: int
    default_max_session_idle_timeout: float

    def register(self, session: WsSession) -> None:
        """A session opened."""

    def unregister(self, session: WsSession) -> None:
        """A session closed (idempotent)."""


class WsHttpUpgradeHandler(HttpUpgradeHandler):
    """Runs one WebSocket session on an upgraded connection. Configured by
    :meth:`pre_init` (Tomcat's ``preInit``) before the servlet returns."""

    def __init__(self) -> None:
        self.config: ServerEndpointConfig | None = None
        self._registry: HandlerRegistry | None = None
        self._handshake: HandshakeRequest | None = None
        self._path_parameters: dict[str, str] = {}
        self._subprotocol: str | None = None
        self._idle_timeout = 0.0
        self._protocol: WsProtocol = WsProtocol()
        #: The session's state: CONNECTING until ``init``, then OPEN, CLOSING
        #: (our close is out, or on_close fired before the end), CLOSED. Read
        #: by the session on every send, so a plain attribute; only
        #: ``_move`` changes it.
        self.state = WsState.CONNECTING
        self._settings: WsSettings = settings_for(None)
        self.session: WsSession | None = None
        self.endpoint: Endpoint | None = None
        self.connection: WebConnection | None = None
        self._sock: socket.socket | None = None
        self._writer: FrameWriter | None = None
        self._connection_id = 0
        self._stats: EndpointStats | None = None
        self._traced = False
        #: The scheduler that times pings and deadlines (from ``init`` on).
        self._keepalive: KeepaliveScheduler | None = None
        self._finished = False
        # A message in parts is being delivered (its last part not yet).
        self._in_parts = False
        self._close_fired = False
        self._abort_reason: str | None = None
        self._last_active = _monotonic()
        self._close_deadline = 0.0
        self._pong_deadline = 0.0
        self._ping_payload = b""
        self._ping_sent_at = 0.0
        self._ping_count = 0
        self._next_ping = 0.0
        # Parking: the greenlet reading the connection, whether it waits
        # for bytes right now, and the keepalive's view of the reads (the
        # bytes read when it last looked, and when it looks next).
        self._reader: Any = None
        self._waiting = False
        self._park_mark = -1
        self._park_check_at = 0.0
        self._parked_at = 0.0

    def pre_init(
        self,
        config: ServerEndpointConfig,
        registry: HandlerRegistry,
        handshake: HandshakeRequest,
        path_parameters: dict[str, str],
        subprotocol: str | None,
        deflate: PerMessageDeflate | None,
    ) -> None:
        """Everything the handshake decided, before the 101 goes out."""
        self.config = config
        self._stats = config.stats
        self._registry = registry
        self._handshake = handshake
        self._path_parameters = path_parameters
        self._subprotocol = subprotocol
        self._idle_timeout = float(
            config.max_idle_timeout
            if config.max_idle_timeout is not None
            else registry.default_max_session_idle_timeout
        )
        text_limit = config.max_text_message_size or registry.default_max_text_message_size
        binary_limit = config.max_binary_message_size or registry.default_max_binary_message_size
        self._protocol = WsProtocol(text_limit, binary_limit, deflate)

    # -- SessionLink ---------------------------------------------------------
    @property
    def protocol(self) -> WsProtocol:
        """The connection's protocol state machine."""
        return self._protocol

    @property
    def settings(self) -> WsSettings:
        """The connector's WebSocket settings (known from ``init`` on)."""
        return self._settings

    def _move(self, state: WsState) -> None:
        """The one place the session's state changes."""
        self.state = state

    def idle_timeout_changed(self) -> None:
        """The session's idle timeout changed: the keepalive re-arms."""
        self._wake()

    # -- the connection's greenlet -----------------------------------------
    def init(self, connection: WebConnection) -> None:
        """Open the session, then read until the connection ends."""
        config, registry = self.config, self._registry
        if config is None or registry is None or self._handshake is None:
            raise RuntimeError("WsHttpUpgradeHandler.init() without pre_init()")
        self._handshake.finished()
        self.connection = connection
        self._settings = settings_for(connection.connector_config)
        sock = self._sock = connection.get_socket()
        self._connection_id = connection.connection_id
        #: Whether the upgrade request was traced: then so are the frames.
        self._traced = bool(getattr(connection, "traced", False))
        # The session's BLOCKING_SEND_TIMEOUT user property (Tomcat's) wins over the connector's.
        properties = self._handshake.user_properties
        self._writer = FrameWriter(
            cast(SendSocket, sock),  # gevent's socket: send() takes a timeout
            self._protocol,
            blocking_send_timeout(
                config.user_properties if properties is None else properties, self._settings.send_timeout
            ),
            self.abort,
            self._connection_id,
            traced=self._traced,
            stats=config.stats,
            totals=connection,
        )
        try:
            self.endpoint = config.create_endpoint()
        except Exception:
            log.exception("Cannot create the endpoint %s", config.endpoint_class.__name__)
            self._writer.send_close(CloseCode.INTERNAL_ERROR, "endpoint unavailable")
            self._finished = True
            self._move(WsState.CLOSED)
            connection.close()
            return
        session = self.session = WsSession(
            self, config, self._handshake, self._path_parameters, self._subprotocol, registry, self._idle_timeout
        )
        self._handshake = None  # the session copied what it keeps of it
        self._move(WsState.OPEN)
        registry.register(session)
        config.stats.sessions_total += 1
        parked = False
        try:
            self._last_active = _monotonic()
            if self._traced and BUS.active:
                BUS.emit(
                    WebSocketOpened(
                        connection=self._connection_id,
                        endpoint=config.endpoint_class.__name__,
                        path=config.path,
                        session_id=session.get_id(),
                    )
                )
            try:
                self.endpoint.on_open(session, config)
            except Exception as exc:
                self._user_error(exc, "on_open")
            if not self._finished:
                # The first ping comes after 50-100 % of the interval, so
                # that the pings of many sessions opened together are spread
                # over the interval instead of all falling due at once.
                now = _monotonic()
                self._next_ping = now + self._settings.ping_interval * (0.5 + 0.5 * random.random())
                self._park_check_at = now + self._settings.park_after
                self._keepalive = keepalive_scheduler()
                self._wake()
                parked = self._read_loop(connection, sock)
        finally:
            if not parked:
                self._finish()

    def _resume(self) -> None:
        """The parked connection has bytes to read, or was closed: read on,
        in the new greenlet the connector runs this in."""
        parked = False
        if self._traced and BUS.active:
            BUS.emit(ConnectionResumed(connection=self._connection_id, parked_for=_monotonic() - self._parked_at))
        try:
            self._park_mark = -1
            self._park_check_at = _monotonic() + self._settings.park_after
            self._wake()
            assert self.connection is not None and self._sock is not None
            parked = self._read_loop(self.connection, self._sock, readable=True)
        finally:
            if not parked:
                self._finish()

    def _parked(self, why: str) -> None:
        """The connection was just parked (*why*, for the event stream)."""
        self._parked_at = _monotonic()
        if self._traced and BUS.active:
            BUS.emit(ConnectionParked(connection=self._connection_id, why=why))

    def _read_loop(self, connection: WebConnection, sock: socket.socket, readable: bool = False) -> bool:
        """Read and dispatch until the connection ends (False), or until it
        is parked (True: this greenlet ends, the connection stays open).
        *readable*: bytes are known to be waiting (a resumed connection),
        so the first read need not wait for them."""
        protocol = self._protocol
        writer = self._writer
        assert writer is not None
        recv_size = self._settings.recv_size
        stats = self.config.stats if self.config is not None else EndpointStats()
        pending = connection.take_leftover()
        # gevent's own wait-for-readable of this socket and the raw socket
        # under it (as the HTTP processor uses them; None for a test double
        # and for a TLS socket, which is read through its own recv only:
        # catalina_py/sockets.py).
        tls = is_tls(sock)
        raw: Any = None if tls else getattr(sock, "_sock", None)
        wait: Any = getattr(sock, "_wait", None)
        read_event: Any = getattr(sock, "_read_event", None)
        if raw is None or wait is None or read_event is None:
            raw = None
        # Each read waits for readability first (see below), the first one
        # too: only a wait of this loop can be turned into parking. A TLS
        # socket waits too, unless OpenSSL holds decrypted bytes already
        # (``pending``: the descriptor says nothing of those), and is then
        # read through its own recv.
        waits = raw is not None or (tls and wait is not None and read_event is not None)
        wait_first = waits and not readable
        hooked = protocol.on_frame is not None  # the protocol's frame hooks are set (traced)
        if wait_first and not pending and self._settings.park_after > 0 and connection.park(self._resume):
            # Just opened, nothing sent yet: parked at once, so that a burst
            # of new connections that then stay quiet (a page load, a
            # reconnect storm) never holds a greenlet each.
            self._parked("opened with nothing to read yet")
            return True
        self._reader = gevent.getcurrent()
        while protocol.state != WsState.CLOSED:
            if pending:
                data, pending = pending, b""
            else:
                try:
                    if wait_first and tls and sock.pending():  # type: ignore[attr-defined]
                        # Decrypted bytes are waiting: read them, after the
                        # other connections had their turn (the fairness the
                        # wait gives).
                        gevent.sleep(0)
                        data = sock.recv(recv_size)
                    elif wait_first:
                        # Every read after the first waits for readability,
                        # for two reasons. After a small read the answers are
                        # out and the peer's next bytes have almost never
                        # arrived yet: waiting first saves the recv that
                        # would fail with EAGAIN (a syscall and an exception,
                        # a tenth of a small round trip's cost here). After a
                        # full read more may be there, but a greenlet that
                        # never waits never lets the others run: one peer
                        # streaming large messages starved the rest (a p99 of
                        # a second in the bulk benchmark). Waiting puts this
                        # connection behind the others ready in the loop, as
                        # an event loop reads once per readiness.
                        self._waiting = True
                        try:
                            wait(read_event)
                        except _Park:
                            # Quiet for webSocketParkAfter (_park_now): the
                            # read watcher waits instead of this greenlet.
                            if connection.park(self._resume):
                                self._reader = None
                                self._parked(f"nothing read for {self._settings.park_after:g} s or more")
                                return True
                            continue
                        finally:
                            self._waiting = False
                        if raw is None:  # TLS: a readable descriptor may hold part of a record
                            data = sock.recv(recv_size)
                        else:
                            try:
                                data = raw.recv(recv_size)
                            except BlockingIOError:  # woken, but nothing to read after all
                                data = sock.recv(recv_size)
                    else:
                        data = sock.recv(recv_size)
                    wait_first = waits
                    stats.bytes_in += len(data)
                    connection.bytes_in += len(data)
                except (OSError, ValueError) as exc:
                    # ValueError: a TLS socket aborted (shut down) under the
                    # reader ("Read on closed or unwrapped SSL socket").
                    self._connection_lost(exc)
                    return False
            traced = self._traced and BUS.active
            if traced is not hooked:  # set or cleared when that changes, not per read
                protocol.on_frame = self._frame_received if traced else None
                protocol.on_frame_header = self._frame_header_received if traced else None
                hooked = traced
            # One message at a time, answered before the frames after it are
            # handled (as Tomcat does): a message and a close (or a bad
            # frame) in one read still get the message's answer before the
            # close.
            events = protocol.receive_data(data, stop_after_message=True)
            if protocol.receiving_message:
                # The bytes of a message still arriving are activity for the
                # idle timeout (Tomcat counts every read; pings and pongs do
                # not count here, or the heartbeat would keep every session
                # alive): a large message arriving slowly is not idle.
                self._last_active = _monotonic()
            while True:
                writer.flush()
                if len(events) > 1:
                    # The answers to this read's messages in one write
                    # (a pipelining peer: one send, not one per message).
                    writer.cork()
                    try:
                        finished = self._dispatch_all(events)
                    finally:
                        writer.uncork()
                    if finished:
                        return False
                elif self._dispatch_all(events):
                    return False
                # More only when this batch stopped after a message (a
                # partial frame left buffered waits for the next read).
                if not (events and isinstance(events[-1], MESSAGE_EVENTS) and protocol.has_buffered_input):
                    break
                events = protocol.receive_buffered(stop_after_message=True)
            # Nothing of the last read stays alive while recv waits (an idle
            # connection allocates nothing the collector would have to walk).
            del events
        self._reader = None
        return False

    def _dispatch_all(self, events: list[Event]) -> bool:
        """Hand *events* to the endpoint; True once the session is finished."""
        session = self.session
        assert session is not None
        for event in events:
            if type(event) is TextPart or type(event) is BinaryPart:
                # The usual event straight to its delivery (no type chain).
                self._deliver_part(session, event)
            else:
                self._dispatch(event)
            if self._finished:
                return True
        return False

    def _frame_received(self, frame: Frame, mask_key: bytes | None) -> None:
        emit_frame_received(self._connection_id, frame, mask_key)

    def _frame_header_received(self, header: FrameHeader, first_piece: bytes) -> None:
        """``FrameReceived`` for a frame read in pieces (parts mode): once,
        with the length its header announced and its first bytes."""
        BUS.emit(
            FrameReceived(
                connection=self._connection_id,
                opcode=Opcode(header.opcode).name.lower(),
                fin=header.fin,
                rsv1=header.rsv1,
                rsv2=False,
                rsv3=False,
                mask_key=header.mask_key,
                masked=header.mask_key is not None,
                length=header.length,
                payload=first_piece[:_EVENT_PAYLOAD],
                description=describe_frame(header.opcode, header.fin, header.length, first_piece),
            )
        )

    def _dispatch(self, event: Event) -> None:
        """Any event but a part (:meth:`_dispatch_all` delivers those)."""
        session = self.session
        assert session is not None
        if isinstance(event, (TextMessage, BinaryMessage)):
            self._last_active = _monotonic()
            if self.state is not WsState.OPEN:
                return  # our close is out: messages in flight are dropped
            text = type(event) is TextMessage
            stats = self._stats
            if stats is not None:
                stats.messages_in += 1
            if self._traced and BUS.active:
                BUS.emit(message_event(MessageReceived, self._connection_id, event.data))
            handlers = session.handlers
            handler = handlers.text if text else handlers.binary
            if handler is None:
                part_handler = handlers.text_part if text else handlers.binary_part
                if part_handler is None:
                    self._no_handler(text)
                    return
                # Parsed with the next messages of its read before an earlier
                # one's handler switched the kind to parts: its only part.
                handler = partial(_as_last_part, part_handler)
            try:
                handler(event.data)
            except DecodeError as exc:
                self._call_on_error(exc)  # the session stays open, as Tomcat
            except Exception as exc:
                self._user_error(exc, "on_message")
        elif isinstance(event, Pong):
            on_pong = session.handlers.pong
            if on_pong is not None and self.state is WsState.OPEN:
                try:
                    on_pong(PongMessage(event.payload))
                except Exception as exc:
                    self._user_error(exc, "on_message")
            if self._pong_deadline and event.payload == self._ping_payload:
                self._pong_deadline = 0.0
                if self._traced and BUS.active:
                    BUS.emit(PongReceived(connection=self._connection_id, rtt=_monotonic() - self._ping_sent_at))
                # The next ping is due before the pong deadline's entry only
                # when the timeout is longer than the interval; otherwise
                # that entry finds the pong came and moves on (no wake-up).
                keepalive = self._keepalive
                if keepalive is not None and not self._finished:
                    keepalive.schedule(self, self._next_ping)
        elif isinstance(event, Ping):
            pass  # answered by the protocol (flushed before dispatch)
        elif isinstance(event, CloseReceived):
            self._fire_close(CloseReason(event.code, event.reason), "client")
            self._finished = True
        elif isinstance(event, ConnectionFailed):
            if event.code == CloseCode.ABNORMAL_CLOSURE:
                self._fire_close(
                    CloseReason(CloseCode.ABNORMAL_CLOSURE, self._abort_reason or event.reason), "abnormal"
                )
            else:
                log.debug("WebSocket session %s: protocol error %s %s", session.get_id(), event.code, event.reason)
                self._fire_close(CloseReason(event.code, event.reason), "server")
            self._finished = True

    def _deliver_part(self, session: WsSession, event: TextPart | BinaryPart) -> None:
        """A part of a message received in parts, to the kind's handler of
        parts (a partial handler, or a stream's feeder, which waits for
        the stream's reader at the message's end)."""
        self._last_active = _monotonic()
        if self.state is not WsState.OPEN:
            return
        text = type(event) is TextPart
        last = event.last
        if last and self._stats is not None:
            self._stats.messages_in += 1  # a message counts once, at its end
        if self._traced and BUS.active:
            # A part shows as a message of kind "text part" / "binary part"
            # ("text last part" / "binary last part" for the last).
            shown = message_event(MessageReceived, self._connection_id, event.data)
            shown.kind += " last part" if last else " part"
            BUS.emit(shown)
        handlers = session.handlers
        handler = handlers.text_part if text else handlers.binary_part
        first = not self._in_parts
        self._in_parts = not last
        if handler is None:
            whole = handlers.text if text else handlers.binary
            if whole is None:
                self._no_handler(text)
            elif first and last:
                # A message whole in one part, parsed with the next messages of
                # its read before an earlier one's handler switched the kind to
                # whole messages: it is delivered whole.
                try:
                    whole(event.data)
                except DecodeError as exc:
                    self._call_on_error(exc)
                except Exception as exc:
                    self._user_error(exc, "on_message")
            # Otherwise the handler was removed while the message arrived in parts.
            return
        try:
            handler(event.data, last)
        except DecodeError as exc:
            self._call_on_error(exc)
        except Exception as exc:
            self._user_error(exc, "on_message")

    def _no_handler(self, text: bool) -> None:
        """A message of a kind no handler takes: 1003, as Tomcat."""
        what = "text" if text else "binary"
        self.close_session(CloseCode.UNSUPPORTED_DATA, f"this endpoint takes no {what} messages")

    def _connection_lost(self, exc: BaseException) -> None:
        """recv failed: our own abort, or a reset (Tomcat: onError, then 1006)."""
        if self._abort_reason is None and self.session is not None and self.session.is_open():
            self._call_on_error(exc)
        self._fire_close(CloseReason(CloseCode.ABNORMAL_CLOSURE, self._abort_reason or str(exc)), "abnormal")
        self._finished = True

    def _user_error(self, exc: BaseException, where: str) -> None:
        """The endpoint's code raised: on_error, then close 1011 (the
        connection ends, the server goes on)."""
        log.debug("WebSocket endpoint %s raised in %s", type(self.endpoint).__name__, where, exc_info=exc)
        self._call_on_error(exc)
        self.close_session(CloseCode.INTERNAL_ERROR, f"{type(exc).__name__} in {where}")

    def _call_on_error(self, exc: BaseException) -> None:
        if self.endpoint is None or self.session is None:
            return
        try:
            self.endpoint.on_error(self.session, exc)
        except Exception:
            log.exception("WebSocket endpoint %s raised in on_error", type(self.endpoint).__name__)

    def _fire_close(self, reason: CloseReason, initiator: str) -> None:
        """``on_close`` once per session (and ``WebSocketClosed``)."""
        session = self.session
        if session is None or self._close_fired:
            return
        self._close_fired = True
        self._move(WsState.CLOSED if self._protocol.state == WsState.CLOSED else WsState.CLOSING)
        if self._registry is not None:
            self._registry.unregister(session)
        session.fail_pending_sends()
        if self._stats is not None:
            codes = self._stats.close_codes
            codes[reason.code] = codes.get(reason.code, 0) + 1
        if self._traced and BUS.active:
            BUS.emit(
                WebSocketClosed(
                    connection=self._connection_id, code=reason.code, reason=reason.reason, initiator=initiator
                )
            )
        if self.endpoint is None:
            return
        try:
            self.endpoint.on_close(session, reason)
        except Exception:
            log.exception("WebSocket endpoint %s raised in on_close", type(self.endpoint).__name__)

    def _finish(self) -> None:
        """Free everything: the keepalive entry, the session, the socket."""
        self._finished = True
        session = self.session
        if session is not None:
            if not self._close_fired:
                self._fire_close(
                    CloseReason(CloseCode.ABNORMAL_CLOSURE, self._abort_reason or "connection ended"), "abnormal"
                )
            self._move(WsState.CLOSED)
            if self._registry is not None:
                self._registry.unregister(session)
            session.handlers.close()  # a stream read mid-message fails; decoders destroyed
        keepalive, self._keepalive = self._keepalive, None
        if keepalive is not None:
            keepalive.unregister(self)
        if self.connection is not None:
            self.connection.close()

    # -- closing -----------------------------------------------------------
    def close_session(self, code: int, reason: str, drain: bool = True, timeout: float | None = None) -> None:
        """Send our close frame; ``on_close`` fires now with this reason;
        the keepalive bounds the wait for the peer's reply. With *drain* the
        async messages already queued are written first."""
        session = self.session
        if session is None or not session.is_open():
            return
        self._move(WsState.CLOSING)
        # The close timeout bounds the whole close: the queued messages,
        # writing our frame (a send to a peer that reads nothing may hold
        # the writer) and waiting for the reply.
        close_timeout = session_close_timeout(session.get_user_properties(), self._settings.close_timeout)
        if timeout is not None and close_timeout > 0:
            close_timeout = min(close_timeout, timeout)
        deadline = self._close_deadline = _monotonic() + (close_timeout or 0.0)
        self._wake()
        write_timeout = close_timeout if close_timeout > 0 else None
        if drain and not session.wait_sent(_DRAIN_SHARE * close_timeout if close_timeout > 0 else 0.0):
            # The peer is behind (or reads nothing): a last short try for
            # our close frame, then the connection is aborted.
            write_timeout = min(_BEHIND_CLOSE_WRITE, close_timeout) if close_timeout > 0 else 0.0
        if self._writer is not None:
            if write_timeout is not None:
                write_timeout = max(0.0, min(write_timeout, deadline - _monotonic()))
            self._writer.send_close(code, reason, write_timeout)
            if close_timeout > 0 and _monotonic() >= deadline:
                self.abort("no close reply within the close timeout")
        self._fire_close(CloseReason(code, reason), "server")
        if close_timeout <= 0:
            self.abort("close handshake not awaited")

    def abort(self, reason: str) -> None:
        """End the connection now, without a close handshake: the reader
        sees EOF and the session closes with 1006 and *reason*."""
        if self._abort_reason is None:
            self._abort_reason = reason
        sock = self._sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def server_stopping(self, connection: WebConnection) -> None:
        """Graceful stop: 1001 Going Away; the reply (or half the close
        timeout: the whole stop has a grace of its own, which a peer that
        reads nothing must not use up) ends the connection."""
        if self.session is not None and self.session.is_open():
            gevent.spawn(
                self.close_session,
                CloseCode.GOING_AWAY,
                "server shutting down",
                True,
                self._settings.close_timeout * _STOP_CLOSE_SHARE,
            )
        elif self.session is None:
            connection.close()

    # -- sending (SessionLink) -----------------------------------------------
    def _live_writer(self) -> FrameWriter:
        writer = self._writer
        if writer is None:
            raise SessionClosedError("the session is not open")
        return writer

    def send_message(self, text: bool, payload: str | bytes, timeout: float | None = None) -> None:
        """A whole message, through the writer (within *timeout* seconds)."""
        writer = self._writer
        if writer is None:
            raise SessionClosedError("the session is not open")
        try:
            writer.send_message(text, payload, timeout)
        except WsClosedError:
            raise SessionClosedError("the session is closed") from None
        self._last_active = _monotonic()

    def send_part(self, text: bool, payload: str | bytes, last: bool, timeout: float | None = None) -> None:
        """One part of a message (FIN on the *last*), through the writer."""
        try:
            self._live_writer().send_part(text, payload, last, timeout)
        except WsClosedError:
            raise SessionClosedError("the session is closed") from None
        self._last_active = _monotonic()

    def send_control(self, opcode: Opcode, payload: bytes, timeout: float | None = None) -> None:
        """A ping or pong, through the writer."""
        try:
            self._live_writer().send_control(opcode, payload, timeout)
        except WsClosedError:
            raise SessionClosedError("the session is closed") from None

    def set_batching(self, allowed: bool, timeout: float | None = None) -> None:
        """Batching on or off (off writes what is held)."""
        self._live_writer().set_batching(allowed, timeout)

    def batching_allowed(self) -> bool:
        """Whether the writer holds data frames for a batch."""
        writer = self._writer
        return writer is not None and writer.batching

    def flush_batch(self, timeout: float | None = None) -> None:
        """Write what batching holds."""
        self._live_writer().flush_batch(timeout)

    # -- the keepalive (a client of the shared scheduler) -------------------
    def _wake(self) -> None:
        """Have the scheduler look at this session now (a deadline moved)."""
        keepalive = self._keepalive
        if keepalive is not None and not self._finished:
            keepalive.schedule(self, _monotonic())

    def keepalive_due(self, now: float) -> float | None:
        """Pings, pong deadline, idle timeout and close-reply deadline, run
        by the :class:`KeepaliveScheduler`: what is due at *now*, without
        blocking; the next time to look, or None for no more timing."""
        session = self.session
        if self._finished or session is None:
            return None
        settings = self._settings
        if self.state == WsState.CLOSING or self._protocol.state == WsState.CLOSING:
            if self._close_deadline and now >= self._close_deadline:
                self.abort("no close reply within the close timeout")
                return None
            return self._close_deadline or None
        if self.state != WsState.OPEN:
            return None
        wake_at = float("inf")
        idle = session.get_max_idle_timeout()
        if idle > 0:
            expires = self._last_active + idle
            if now >= expires:
                # The close waits for queued messages and writes a frame:
                # its own greenlet, which re-arms the close-reply deadline.
                gevent.spawn(self._close_idle)
                return None
            wake_at = expires
        if settings.ping_interval > 0:
            if not self._pong_deadline and now >= self._next_ping:
                self._ping(now)
            if self._pong_deadline:
                if now >= self._pong_deadline:
                    self.abort(f"no pong within {settings.ping_timeout:g} s of a ping")
                    return None
                wake_at = min(wake_at, self._pong_deadline)
            else:
                wake_at = min(wake_at, self._next_ping)
        connection = self.connection
        if settings.park_after > 0 and connection is not None and not connection.parked:
            if now >= self._park_check_at:
                # Parked when no byte was read since the last look (between
                # one and two webSocketParkAfter after the last read):
                # counting bytes costs the read loop nothing more.
                seen = connection.bytes_in
                if seen == self._park_mark and self._waiting:
                    get_hub().loop.run_callback(self._park_now)
                self._park_mark = seen
                self._park_check_at = now + settings.park_after
            wake_at = min(wake_at, self._park_check_at)
        return None if wake_at == float("inf") else wake_at

    def _park_now(self) -> None:
        """Run by the event loop (a callback, so nothing else runs between
        the check and the throw): if the reader still waits for bytes, stop
        it there; it parks the connection and its greenlet ends."""
        reader = self._reader
        if self._waiting and reader is not None and self.state == WsState.OPEN and not self._finished:
            reader.throw(_Park())

    def _close_idle(self) -> None:
        try:
            self.close_session(CloseCode.GOING_AWAY, "session idle timeout")
        except Exception:
            log.exception("WebSocket keepalive failed")

    def _ping(self, now: float) -> None:
        """A ping now, if the writer can take it at once; else from a
        short-lived greenlet (a peer that reads nothing must not hold up the
        scheduler). The pong deadline runs from now either way."""
        settings = self._settings
        self._ping_count += 1
        payload = self._ping_count.to_bytes(4, "big")
        self._next_ping = now + settings.ping_interval
        if settings.ping_timeout > 0:
            self._ping_payload = payload
            self._ping_sent_at = now
            self._pong_deadline = now + settings.ping_timeout
        writer = self._writer
        if writer is None:
            return
        try:
            if writer.try_send_control(Opcode.PING, payload):
                return
        except (WsClosedError, OSError):
            return
        gevent.spawn(self._send_ping, payload)

    def _send_ping(self, payload: bytes) -> None:
        try:
            self.send_control(Opcode.PING, payload)
        except OSError:
            pass


# Any: a message of either kind (str or bytes).
def _as_last_part(part_handler: Callable[[Any, bool], Any], message: Any) -> None:
    """*message*, whole, to a handler of parts: as its only (last) part."""
    part_handler(message, True)
