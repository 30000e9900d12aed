"""``WsHttpUpgradeHandler``: the gevent I/O around one WebSocket connection
(Tomcat's ``WsHttpUpgradeHandler`` + ``WsFrameServer`` +
``WsRemoteEndpointImplServer``; the shape is python-websockets' ``sync``
layer).

* **One reader** — the connection's own greenlet (``init`` runs in it):
  ``recv`` -> :meth:`WsProtocol.receive_data` -> events -> the endpoint.
* **One keepalive greenlet** (the *watchdog*): pings every
  ``webSocketPingInterval`` and drops a peer whose pong does not come
  within ``webSocketPingTimeout``; closes idle sessions (1001); bounds the
  wait for the peer's close reply (``webSocketCloseTimeout``).
* **One lock around every send**: user messages, pings, the protocol's
  own pongs and close frames, so frames never interleave.

Close codes the endpoint's ``on_close`` sees: the peer's code for a close
it started; ours for a close we started (fired when our close frame goes
out, as Tomcat); the protocol error's code (1002, 1007, 1009...) when the
peer broke the protocol; 1006 when the connection just ended (EOF, reset,
no pong, no close reply).
"""

from __future__ import annotations

import logging
import socket
import time
from typing import TYPE_CHECKING, Any

import gevent
import gevent.event
import gevent.lock

from .. import trace
from ..servlet.upgrade import HttpUpgradeHandler, WebConnection
from .endpoint import CloseReason
from .core.frames import CloseCode
from .core.protocol import (BinaryMessage, CloseReceived, ConnectionFailed, Ping, Pong, TextMessage,
                       WsClosedError, WsProtocol)
from .session import SessionClosedError, WsSession

if TYPE_CHECKING:  # pragma: no cover
    from .endpoint import Endpoint, ServerEndpointConfig
    from .core.permessage_deflate import PerMessageDeflate

__all__ = ["WsHttpUpgradeHandler"]

log = logging.getLogger("catalina_py.websocket")

_RECV_SIZE = 65536
_monotonic = time.monotonic


class WsHttpUpgradeHandler(HttpUpgradeHandler):
    """Runs one WebSocket session on an upgraded connection. Configured by
    :meth:`pre_init` (Tomcat's ``preInit``) before the servlet returns."""

    def __init__(self) -> None:
        self.config: "ServerEndpointConfig | None" = None
        self._trace_id = 0
        self.protocol: WsProtocol = WsProtocol()
        self.session: WsSession | None = None
        self.endpoint: "Endpoint | None" = None
        self.connection: WebConnection | None = None
        self._sock: Any = None
        self._send_lock = gevent.lock.RLock()
        self._wake_event = gevent.event.Event()
        self._watchdog: gevent.Greenlet | None = None
        self._finished = False
        self._abort_reason: str | None = None
        self._last_active = _monotonic()
        self._close_deadline = 0.0
        self._pong_deadline = 0.0
        self._ping_payload = b""
        self._ping_count = 0
        self._next_ping = 0.0

    def pre_init(self, config: "ServerEndpointConfig", registry: Any, handshake: Any,
                 path_parameters: dict[str, str], subprotocol: str | None,
                 deflate: "PerMessageDeflate | None", settings: Any) -> None:
        """Everything the handshake decided, before the 101 goes out."""
        self.config = config
        self.registry = registry
        self.handshake = handshake
        self.path_parameters = path_parameters
        self.subprotocol = subprotocol
        self.idle_timeout = float(config.max_idle_timeout if config.max_idle_timeout is not None
                                  else registry.default_max_session_idle_timeout)
        text_limit = config.max_text_message_size or registry.default_max_text_message_size
        binary_limit = config.max_binary_message_size or registry.default_max_binary_message_size
        self.protocol = WsProtocol(text_limit, binary_limit, deflate)
        self.ping_interval = float(getattr(settings, "web_socket_ping_interval", 25.0) or 0.0)
        self.ping_timeout = float(getattr(settings, "web_socket_ping_timeout", 10.0) or 0.0)
        self.close_timeout = float(getattr(settings, "web_socket_close_timeout", 10.0) or 0.0)
        timeout = getattr(settings, "connection_timeout", None)
        #: A send blocked this long (the peer reads nothing) drops the connection.
        self.send_timeout: float | None = timeout if timeout and timeout > 0 else None

    # -- the connection's greenlet -----------------------------------------
    def init(self, connection: WebConnection) -> None:
        """Open the session, then read until the connection ends."""
        if self.config is None:
            raise RuntimeError("WsHttpUpgradeHandler.init() without pre_init()")
        self.connection = connection
        self._sock = connection.get_socket()
        self._trace_id = getattr(connection, "trace_id", 0)
        if self._trace_id:
            trace.trace(self._trace_id, "open", f"WebSocket session on {self.config.path}")
        config = self.config
        try:
            self.endpoint = config.create_endpoint()
        except Exception:
            log.exception("Cannot create the endpoint %s", config.endpoint_class.__name__)
            self._send_raw(self._try(lambda: self.protocol.send_close(CloseCode.INTERNAL_ERROR,
                                                                      "endpoint unavailable")))
            self._finished = True
            connection.close()
            return
        session = self.session = WsSession(self, self.endpoint, config, self.handshake,
                                           self.path_parameters, self.subprotocol, self.registry)
        self.registry.register(session)
        try:
            self._last_active = _monotonic()
            try:
                self.endpoint.on_open(session, config)
            except Exception as exc:
                self._user_error(exc, "on_open")
            if not self._finished:
                self._watchdog = gevent.spawn(self._keepalive)
                self._read_loop()
        finally:
            self._finish()

    def _read_loop(self) -> None:
        protocol = self.protocol
        sock = self._sock
        pending = self.connection.take_leftover() if self.connection is not None else b""
        while protocol.state != "CLOSED":
            if pending:
                data, pending = pending, b""
            else:
                try:
                    data = sock.recv(_RECV_SIZE)
                except OSError as exc:
                    self._connection_lost(exc)
                    return
            events = protocol.receive_data(data)
            self._flush_protocol()
            if self._trace_id:
                for event in events:
                    trace.trace(self._trace_id, "frame in", _describe_event(event))
            for event in events:
                self._dispatch(event)
                if self._finished:
                    return

    def _dispatch(self, event: Any) -> None:
        kind = type(event)
        session = self.session
        assert session is not None
        if kind is TextMessage or kind is BinaryMessage:
            self._last_active = _monotonic()
            if not session.is_open():
                return  # our close is out: messages in flight are dropped
            text = kind is TextMessage
            handler = session._text_handler if text else session._binary_handler
            if handler is None:
                what = "text" if text else "binary"
                self.close_session(CloseCode.UNSUPPORTED_DATA, f"this endpoint takes no {what} messages")
                return
            try:
                handler(event.data)
            except Exception as exc:
                self._user_error(exc, "on_message")
        elif kind is Pong:
            if self._pong_deadline and event.payload == self._ping_payload:
                self._pong_deadline = 0.0
                self._wake()
        elif kind is Ping:
            pass  # answered by the protocol (flushed before dispatch)
        elif kind is CloseReceived:
            code = event.code
            self._fire_close(CloseReason(code, event.reason))
            self._finished = True
        elif kind is ConnectionFailed:
            if event.code == CloseCode.ABNORMAL_CLOSURE:
                self._fire_close(CloseReason(CloseCode.ABNORMAL_CLOSURE,
                                             self._abort_reason or event.reason))
            else:
                log.debug("WebSocket session %s: protocol error %s %s", session.get_id(),
                          event.code, event.reason)
                self._fire_close(CloseReason(event.code, event.reason))
            self._finished = True

    def _connection_lost(self, exc: BaseException) -> None:
        """recv failed: our own abort, or a reset (Tomcat: onError, then 1006)."""
        if self._abort_reason is None and self.session is not None and self.session.is_open():
            self._call_on_error(exc)
        self._fire_close(CloseReason(CloseCode.ABNORMAL_CLOSURE, self._abort_reason or str(exc)))
        self._finished = True

    def _user_error(self, exc: BaseException, where: str) -> None:
        """The endpoint's code raised: on_error, then close 1011 (the
        connection ends, the server goes on)."""
        log.debug("WebSocket endpoint %s raised in %s", type(self.endpoint).__name__, where, exc_info=exc)
        self._call_on_error(exc)
        self.close_session(CloseCode.INTERNAL_ERROR, f"{type(exc).__name__} in {where}")

    def _call_on_error(self, exc: BaseException) -> None:
        try:
            self.endpoint.on_error(self.session, exc)  # type: ignore[union-attr]
        except Exception:
            log.exception("WebSocket endpoint %s raised in on_error", type(self.endpoint).__name__)

    def _fire_close(self, reason: CloseReason) -> None:
        """``on_close`` once per session."""
        session = self.session
        if session is None or session._close_fired:
            return
        session._close_fired = True
        session._state = "CLOSED" if self.protocol.state == "CLOSED" else "CLOSING"
        self.registry.unregister(session)
        session._fail_queued()
        try:
            self.endpoint.on_close(session, reason)  # type: ignore[union-attr]
        except Exception:
            log.exception("WebSocket endpoint %s raised in on_close", type(self.endpoint).__name__)

    def _finish(self) -> None:
        """Free everything: the watchdog, the session, the socket."""
        self._finished = True
        session = self.session
        if session is not None:
            if not session._close_fired:
                self._fire_close(CloseReason(CloseCode.ABNORMAL_CLOSURE, self._abort_reason or "connection ended"))
            session._state = "CLOSED"
            self.registry.unregister(session)
        watchdog, self._watchdog = self._watchdog, None
        if watchdog is not None and watchdog is not gevent.getcurrent():
            watchdog.kill(block=False)
        if self.connection is not None:
            self.connection.close()

    # -- closing -----------------------------------------------------------
    def close_session(self, code: int, reason: str) -> None:
        """Send our close frame; ``on_close`` fires now with this reason;
        the watchdog bounds the wait for the peer's reply."""
        session = self.session
        if session is None or not session.is_open():
            return
        session._state = "CLOSING"
        with self._send_lock:
            try:
                data = self.protocol.send_close(code, reason)
            except WsClosedError:
                data = b""
            except ValueError:
                # A code that may not be sent on the wire (1005, 1006, 1015,
                # reserved): the peer gets 1000, on_close sees the code given.
                data = self.protocol.send_close(CloseCode.NORMAL_CLOSURE, reason)
            if data:
                try:
                    self._write(data)
                except OSError:
                    pass
        self._close_deadline = _monotonic() + (self.close_timeout or 0.0)
        self._wake()
        self._fire_close(CloseReason(code, reason))
        if self.close_timeout <= 0:
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
        """Graceful stop: 1001 Going Away; the reply (or the close timeout)
        ends the connection."""
        if self.session is not None and self.session.is_open():
            gevent.spawn(self.close_session, CloseCode.GOING_AWAY, "server shutting down")
        elif self.session is None:
            connection.close()

    # -- sending -------------------------------------------------------------
    def send_data(self, text: bool, payload: Any) -> None:
        """A whole message, framed and written under the send lock."""
        with self._send_lock:
            protocol = self.protocol
            try:
                data = protocol.send_text(payload) if text else protocol.send_binary(payload)
            except WsClosedError:
                raise SessionClosedError("the session is closed") from None
            if self._trace_id:
                trace.trace(self._trace_id, "frame out",
                            f"{'text' if text else 'binary'} message, {len(payload)} "
                            f"{'characters' if text else 'bytes'}")
            self._write(data)
        self._last_active = _monotonic()

    def send_control(self, kind: str, payload: bytes) -> None:
        with self._send_lock:
            protocol = self.protocol
            try:
                data = protocol.send_ping(payload) if kind == "ping" else protocol.send_pong(payload)
            except WsClosedError:
                raise SessionClosedError("the session is closed") from None
            self._write(data)

    def _flush_protocol(self) -> None:
        """What the protocol queued itself (pongs, close replies)."""
        data = self.protocol.data_to_send()
        if data:
            with self._send_lock:
                try:
                    self._write(data)
                except OSError:
                    pass

    def _write(self, data: bytes) -> None:
        """Write under the lock; a failure or a send blocked past the send
        timeout aborts the connection and raises OSError."""
        sock = self._sock
        try:
            if self.send_timeout is None:
                sock.sendall(data)
            else:
                with gevent.Timeout(self.send_timeout, socket.timeout("send timed out")):
                    sock.sendall(data)
        except (OSError, socket.timeout) as exc:
            self.abort(f"send failed: {exc}")
            raise OSError(f"WebSocket send failed: {exc}") from exc

    def _send_raw(self, data: bytes) -> None:
        if data and self._sock is not None:
            try:
                self._sock.sendall(data)
            except OSError:
                pass

    @staticmethod
    def _try(make: Any) -> bytes:
        try:
            return make()
        except Exception:
            return b""

    # -- the keepalive greenlet ------------------------------------------------
    def _wake(self) -> None:
        self._wake_event.set()

    def _keepalive(self) -> None:
        """Pings, pong deadline, idle timeout and close-reply deadline."""
        try:
            self._next_ping = _monotonic() + self.ping_interval
            while not self._finished:
                now = _monotonic()
                wake_at = float("inf")
                session = self.session
                if session is None:
                    return
                if session._state == "CLOSING" or self.protocol.state == "CLOSING":
                    if self._close_deadline and now >= self._close_deadline:
                        self.abort("no close reply within the close timeout")
                        return
                    if self._close_deadline:
                        wake_at = self._close_deadline
                elif session._state == "OPEN":
                    idle = session._max_idle_timeout
                    if idle > 0:
                        expires = self._last_active + idle
                        if now >= expires:
                            self.close_session(CloseCode.GOING_AWAY, "session idle timeout")
                            continue
                        wake_at = min(wake_at, expires)
                    if self.ping_interval > 0:
                        if self._pong_deadline:
                            if now >= self._pong_deadline:
                                self.abort(f"no pong within {self.ping_timeout:g} s of a ping")
                                return
                            wake_at = min(wake_at, self._pong_deadline)
                        elif now >= self._next_ping:
                            self._ping()
                            continue
                        else:
                            wake_at = min(wake_at, self._next_ping)
                else:
                    return
                self._wake_event.clear()
                self._wake_event.wait(None if wake_at == float("inf") else max(0.0, wake_at - now))
        except gevent.GreenletExit:
            pass
        except Exception:
            log.exception("WebSocket keepalive failed")

    def _ping(self) -> None:
        self._ping_count += 1
        payload = self._ping_count.to_bytes(4, "big")
        now = _monotonic()
        self._next_ping = now + self.ping_interval
        if self.ping_timeout > 0:
            self._ping_payload = payload
            self._pong_deadline = now + self.ping_timeout
        try:
            self.send_control("ping", payload)
        except OSError:
            pass


def _describe_event(event: Any) -> str:
    """A protocol event, for the trace."""
    kind = type(event).__name__
    if isinstance(event, TextMessage):
        return f"text message, {len(event.data)} characters"
    if isinstance(event, BinaryMessage):
        return f"binary message, {len(event.data)} bytes"
    code = getattr(event, "code", None)
    if code is not None:
        return f"{kind} {code} {getattr(event, 'reason', '')!r}"
    return f"{kind} {len(getattr(event, 'payload', b''))} bytes"
