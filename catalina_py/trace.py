"""Connection traces, for learners: one log line per step a connection
takes through the container -- accept, parse, map, servlet, response,
handshake, upgrade, open, frames, close -- tagged with a connection number,
so the path described in docs/upgrade.md can be watched live.

Off by default. Turn it on with ``bin/catalina.sh run --trace`` or
``CATALINA_TRACE=1``; the lines go to the ``catalina_py.trace`` logger
(``logs/catalina.out`` for a background server).

The lines are written by :class:`TraceObserver`, a subscriber of the event
stream (:data:`catalina_py.events.BUS`): :func:`enable` subscribes it. No
stage writes a trace line itself: each reports an event, and this module
turns the events into lines.
"""

from __future__ import annotations

import itertools
import logging

from .events import (
    BUS,
    ConnectionAccepted,
    ConnectionClosed,
    Event,
    FrameReceived,
    HandshakeAccepted,
    MessageReceived,
    MessageSent,
    RequestHeadParsed,
    RequestMapped,
    ResponseCommitted,
    ServletCalled,
    Upgraded,
    WebSocketOpened,
)

__all__ = ["ENABLED", "TraceObserver", "enable", "new_connection", "trace"]

log = logging.getLogger("catalina_py.trace")

#: Whether the hooks write anything; set once at start-up by enable().
ENABLED = False

_numbers = itertools.count(1)


def enable(on: bool = True) -> None:
    """Switch tracing on (or off) for connections accepted from now on:
    subscribes (or unsubscribes) the :data:`OBSERVER` to the event stream."""
    global ENABLED
    ENABLED = on
    if on:
        BUS.subscribe(OBSERVER)
    else:
        BUS.unsubscribe(OBSERVER)


def new_connection() -> int:
    """A number for a new connection's trace lines."""
    return next(_numbers)


def trace(connection: int, step: str, detail: str) -> None:
    """Write one trace line: ``[conn 7] map      /examples -> HelloWorldExample``."""
    log.info("[conn %d] %-9s %s", connection, step, detail)


def _short(class_name: str) -> str:
    """``pkg.mod.Class`` -> ``Class`` (a bare name stays as it is)."""
    return class_name.rpartition(".")[2]


def _has_close(headers: tuple[tuple[str, str], ...]) -> bool:
    """Whether the headers sent include ``Connection: close``."""
    for name, value in headers:
        if name.lower() == "connection" and any(t.strip().lower() == "close" for t in value.split(",")):
            return True
    return False


def _header(headers: tuple[tuple[str, str], ...], wanted: str) -> str | None:
    """The first value of header *wanted* (case-insensitive), or None."""
    wanted = wanted.lower()
    for name, value in headers:
        if name.lower() == wanted:
            return value
    return None


def _describe_message(kind: str, length: int) -> str:
    """``text message, 5 characters`` / ``binary message, 3 bytes``: a whole
    message as the trace names it."""
    if kind == "text":
        return f"text message, {length} characters"
    return f"binary message, {length} bytes"


def _describe_control(opcode: str, length: int, payload: bytes) -> str:
    """A control frame received, in the words of the protocol's events
    (``CloseReceived 1000 'bye'``, ``Ping 4 bytes``)."""
    if opcode == "close":
        if len(payload) < 2:
            return "CloseReceived 1005 ''"
        code = int.from_bytes(payload[:2], "big")
        return f"CloseReceived {code} {payload[2:].decode('utf-8', 'replace')!r}"
    return f"{opcode.capitalize()} {length} bytes"


class TraceObserver:
    """Writes the trace lines of the event stream's events.

    Keeps a little per-connection state, dropped when the connection
    closes: the ``Origin`` of the last request head (the handshake line
    names it). Messages get one line each, in and out (from the message
    events: reassembled and decompressed); of the frames, only the control
    frames received get a line of their own.
    """

    def __init__(self) -> None:
        self._origins: dict[int, str | None] = {}

    def on_event(self, event: Event) -> None:
        """Write the line of *event*, if it has one."""
        conn = event.connection
        if isinstance(event, ConnectionAccepted):
            trace(
                conn, "accept", f"{event.remote_addr}:{event.remote_port} -> " f"{event.local_addr}:{event.local_port}"
            )
        elif isinstance(event, RequestHeadParsed):
            self._origins[conn] = _header(event.headers, "Origin")
            trace(
                conn,
                "parse",
                f"{event.method} {event.target} {event.version} " f"({len(event.headers)} headers, body: {event.body})",
            )
        elif isinstance(event, RequestMapped):
            trace(conn, "map", self.describe_mapping(event))
        elif isinstance(event, ServletCalled):
            trace(conn, "servlet", f"{_short(event.servlet_class)}.service() ({event.method})")
        elif isinstance(event, ResponseCommitted):
            if event.framing == "switching-protocols":
                return  # the upgrade line tells it
            size = "chunked" if event.framing == "chunked" else f"length {max(event.content_length, 0)}"
            close = ", then close" if _has_close(event.headers) else ""
            trace(conn, "response", f"{event.status} ({size}{close})")
        elif isinstance(event, HandshakeAccepted):
            trace(
                conn,
                "handshake",
                f"endpoint {_short(event.endpoint)} at {event.path}: key accepted, "
                f"origin {self._origins.get(conn)!r} allowed, subprotocol {event.subprotocol!r}, "
                f"extensions {event.extensions!r}",
            )
        elif isinstance(event, Upgraded):
            trace(
                conn,
                "upgrade",
                f"101 sent; the socket and {event.leftover} bytes read past the "
                f"request go to {_short(event.handler)}",
            )
        elif isinstance(event, WebSocketOpened):
            trace(conn, "open", f"WebSocket session on {event.path}")
        elif isinstance(event, MessageReceived):
            trace(conn, "frame in", _describe_message(event.kind, event.length))
        elif isinstance(event, MessageSent):
            trace(conn, "frame out", _describe_message(event.kind, event.length))
        elif isinstance(event, FrameReceived):
            # Data frames are told by their message; control frames here.
            # The control frames the session sends itself (pong, close
            # reply) get no line.
            if event.opcode in ("close", "ping", "pong"):
                trace(conn, "frame in", _describe_control(event.opcode, event.length, event.payload))
        elif isinstance(event, ConnectionClosed):
            self._origins.pop(conn, None)
            trace(conn, "close", f"after {event.requests} request(s)")

    @staticmethod
    def describe_mapping(event: RequestMapped) -> str:
        """The Mapper's answer, as the ``map`` line says it."""
        if event.context_path is None:
            return "no context"
        context = event.context_path or "/ (ROOT)"
        if event.redirect is not None:
            return f"context {context}: redirect to {event.redirect}"
        name = event.wrapper if event.wrapper is not None else "none"
        return (
            f"context {context}, servlet {name} ({event.match_type} match "
            f"{event.match_pattern!r}: servlet path {event.servlet_path!r}, "
            f"path info {event.path_info!r})"
        )


#: The observer :func:`enable` subscribes.
OBSERVER = TraceObserver()
