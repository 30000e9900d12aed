"""The event stream: what every stage of the container reports, as typed
events, to one observer interface.

A connection's life is told as a sequence of small typed records, one per
decision: accepted, bytes read, head parsed, mapped, each valve and filter
entered and left, servlet called, response committed (with the framing
chosen and why), keep-alive decided (and why), the upgrade handshake, each
WebSocket frame, the close, and the connection closed. The connection
trace (``trace.py``), the live inspector and tests subscribe to it; the
container itself never depends on anybody listening.

Events are plain slotted records (not frozen: a frozen dataclass costs
three times as much to build); subscribers treat them as read-only.

Cost: emitting sites are written ``if BUS.active: BUS.emit(Event(...))``,
so with no subscriber an event costs one attribute test and the record is
never built. And while somebody listens, a request is traced in full only
if an observer *admits* it (:meth:`EventBus.admit`, asked once per request
by ``Http11Processor``; the request's events then test the request's own
``traced`` flag): the JSON trace admits every request, the inspector a few
a second, so a page open on a busy server does not slow every request
down. This module does no I/O and imports only the standard library.
"""

from __future__ import annotations

import itertools
import logging
import time
from dataclasses import dataclass, field
from typing import Protocol

__all__ = [
    "BUS",
    "BytesReceived",
    "BytesSent",
    "ChunkReceived",
    "ChunkSent",
    "ConnectionAccepted",
    "ConnectionClosed",
    "ConnectionParked",
    "ConnectionResumed",
    "Event",
    "EventBus",
    "FilterEntered",
    "FilterLeft",
    "FrameEvent",
    "FrameReceived",
    "FrameSent",
    "HandshakeCheck",
    "HandshakeAccepted",
    "HandshakeRefused",
    "KeepAliveDecided",
    "MessageEvent",
    "MessageReceived",
    "MessageSent",
    "AdmittingObserver",
    "Observer",
    "PongReceived",
    "RequestCompleted",
    "RequestHeadParsed",
    "RequestMapped",
    "RequestRejected",
    "ResponseCommitted",
    "ServletCalled",
    "ServletReturned",
    "Upgraded",
    "ValveEntered",
    "ValveLeft",
    "WebSocketClosed",
    "WebSocketOpened",
    "next_connection_id",
]

log = logging.getLogger("catalina_py.events")

_connection_ids = itertools.count(1)


def next_connection_id() -> int:
    """A process-wide number for a newly accepted connection (1, 2, ...)."""
    return next(_connection_ids)


@dataclass(slots=True, kw_only=True, eq=False)
class Event:
    """Base of every event: which connection (0 when none) and when
    (``time.time()``, seconds since the epoch)."""

    connection: int
    at: float = field(default_factory=time.time)


# -- the connection ------------------------------------------------------------
@dataclass(slots=True, kw_only=True, eq=False)
class ConnectionAccepted(Event):
    """``Endpoint`` accepted a connection into its pool."""

    connector: str
    remote_addr: str
    remote_port: int
    local_addr: str
    local_port: int


@dataclass(slots=True, kw_only=True, eq=False)
class BytesReceived(Event):
    """Bytes ``Http11Processor`` read from the socket (until an upgrade;
    the WebSocket frames after it are ``FrameReceived``)."""

    data: bytes


@dataclass(slots=True, kw_only=True, eq=False)
class BytesSent(Event):
    """Bytes ``Http11Processor`` wrote to the socket (until an upgrade)."""

    data: bytes


@dataclass(slots=True, kw_only=True, eq=False)
class ConnectionClosed(Event):
    """The socket was closed; totals for the whole connection."""

    duration: float
    requests: int
    bytes_in: int
    bytes_out: int
    reason: str


# -- one HTTP request ----------------------------------------------------------
@dataclass(slots=True, kw_only=True, eq=False)
class RequestHeadParsed(Event):
    """``Http11Processor`` parsed a request head (line and headers as read)."""

    method: str
    target: str
    version: str
    headers: tuple[tuple[str, str], ...]
    #: How the body is framed: "none", "length" or "chunked".
    body: str


@dataclass(slots=True, kw_only=True, eq=False)
class RequestRejected(Event):
    """``Http11Processor`` could not read a request (a malformed head, a
    header block over ``maxHttpHeaderSize``, a bad body framing) and
    answers *status*; the connection closes after it."""

    status: int
    reason: str


@dataclass(slots=True, kw_only=True, eq=False)
class RequestMapped(Event):
    """``CoyoteAdapter`` asked the Mapper: which host, context and wrapper,
    and the rule that matched (``match_type``: exact, prefix, extension,
    default, welcome, context-root redirect or none)."""

    host: str
    context_path: str | None
    wrapper: str | None
    match_type: str
    match_pattern: str
    servlet_path: str
    path_info: str | None
    redirect: str | None
    reason: str


@dataclass(slots=True, kw_only=True, eq=False)
class ValveEntered(Event):
    """A Valve of a container's pipeline was invoked."""

    container: str
    valve: str


@dataclass(slots=True, kw_only=True, eq=False)
class ValveLeft(Event):
    """A Valve returned (``elapsed`` includes everything after it)."""

    container: str
    valve: str
    elapsed: float


@dataclass(slots=True, kw_only=True, eq=False)
class FilterEntered(Event):
    """A servlet filter's ``do_filter`` was called."""

    filter: str


@dataclass(slots=True, kw_only=True, eq=False)
class FilterLeft(Event):
    """A servlet filter's ``do_filter`` returned."""

    filter: str
    elapsed: float


@dataclass(slots=True, kw_only=True, eq=False)
class ServletCalled(Event):
    """``StandardWrapperValve`` called ``servlet.service()``."""

    servlet: str
    servlet_class: str
    method: str


@dataclass(slots=True, kw_only=True, eq=False)
class ServletReturned(Event):
    """``servlet.service()`` returned or raised (``error``: the exception's
    type name, or None)."""

    servlet: str
    elapsed: float
    error: str | None


@dataclass(slots=True, kw_only=True, eq=False)
class ChunkReceived(Event):
    """``Http11Processor`` read the size line of a request body chunk
    (``index`` counts from 1; the last chunk has size 0 and ``last`` set,
    with the number of trailer fields that followed it)."""

    index: int
    size: int
    last: bool
    trailers: int


@dataclass(slots=True, kw_only=True, eq=False)
class ChunkSent(Event):
    """``Http11Processor`` sent a chunk of a chunked response (the last
    chunk: size 0, ``last`` set)."""

    index: int
    size: int
    last: bool


@dataclass(slots=True, kw_only=True, eq=False)
class ResponseCommitted(Event):
    """The status line and headers went out. ``framing`` is one of
    "content-length", "chunked", "close-delimited", "no-body" or
    "switching-protocols"; ``reason`` says why it was chosen."""

    status: int
    headers: tuple[tuple[str, str], ...]
    framing: str
    content_length: int
    reason: str


@dataclass(slots=True, kw_only=True, eq=False)
class KeepAliveDecided(Event):
    """After a response: does the connection serve another request?
    ``buffered`` counts the bytes already read past this request (the start
    of a pipelined next request, served from the buffer without a read)."""

    keep_alive: bool
    reason: str
    buffered: int = 0


@dataclass(slots=True, kw_only=True, eq=False)
class RequestCompleted(Event):
    """The response is complete. Carries the request and response objects
    (the servlet API's) for subscribers such as the access log, which
    need every field; valid only during the call."""

    request: object
    response: object
    elapsed: float


# -- the upgrade and WebSocket -------------------------------------------------
@dataclass(slots=True, kw_only=True, eq=False)
class HandshakeCheck(Event):
    """One check of the WebSocket handshake (method, Upgrade, Connection,
    version, key, origin, subprotocol, extensions) and its outcome."""

    check: str
    passed: bool
    detail: str


@dataclass(slots=True, kw_only=True, eq=False)
class HandshakeAccepted(Event):
    """The handshake passed: the key, the ``Sec-WebSocket-Accept`` computed
    from it, and what was negotiated."""

    endpoint: str
    path: str
    key: str
    accept: str
    subprotocol: str | None
    extensions: str | None


@dataclass(slots=True, kw_only=True, eq=False)
class HandshakeRefused(Event):
    """The handshake failed with this status (400, 403, 426): ``check`` is
    the check that failed (as in ``HandshakeCheck``) and ``compared`` the
    values it compared (what the request had, what was required)."""

    status: int
    reason: str
    check: str = ""
    compared: str = ""


@dataclass(slots=True, kw_only=True, eq=False)
class Upgraded(Event):
    """The 101 was sent and the socket handed to the upgrade handler, with
    the bytes already read past the request."""

    handler: str
    leftover: int


@dataclass(slots=True, kw_only=True, eq=False)
class WebSocketOpened(Event):
    """The endpoint's ``on_open`` is about to run."""

    endpoint: str
    path: str
    session_id: str


@dataclass(slots=True, kw_only=True, eq=False)
class FrameEvent(Event):
    """A WebSocket frame, decoded (``opcode`` by name: text, binary,
    continuation, ping, pong, close). ``payload`` is the unmasked payload,
    possibly truncated to what the subscriber needs: ``length`` is the whole."""

    opcode: str
    fin: bool
    rsv1: bool
    masked: bool
    length: int
    payload: bytes
    description: str
    #: RSV2 and RSV3 (no extension here uses them: a frame received with
    #: either set fails the connection before it is reported).
    rsv2: bool = False
    rsv3: bool = False
    #: The 4-byte masking key of a masked frame (clients mask every frame).
    mask_key: bytes | None = None


@dataclass(slots=True, kw_only=True, eq=False)
class FrameReceived(FrameEvent):
    """A frame read from the client."""


@dataclass(slots=True, kw_only=True, eq=False)
class FrameSent(FrameEvent):
    """A frame written to the client."""


@dataclass(slots=True, kw_only=True, eq=False)
class PongReceived(Event):
    """A pong answered the ping the session sent ``rtt`` seconds before."""

    rtt: float


@dataclass(slots=True, kw_only=True, eq=False)
class ConnectionParked(Event):
    """The WebSocket gave up its greenlet: the event loop's read watcher
    waits for its next bytes instead (``why``: it read nothing for
    webSocketParkAfter, or it just opened with nothing to read)."""

    why: str


@dataclass(slots=True, kw_only=True, eq=False)
class ConnectionResumed(Event):
    """A parked WebSocket's bytes arrived (or it was closed) after
    ``parked_for`` seconds: a new greenlet reads on."""

    parked_for: float


@dataclass(slots=True, kw_only=True, eq=False)
class MessageEvent(Event):
    """A whole WebSocket message as the endpoint sees it: reassembled from
    its fragments and decompressed (the frame events show the wire form).
    ``length`` counts characters of a text message, bytes of a binary one;
    ``payload`` is its start (UTF-8 for text), possibly truncated."""

    kind: str
    length: int
    payload: bytes


@dataclass(slots=True, kw_only=True, eq=False)
class MessageReceived(MessageEvent):
    """A message delivered to the endpoint."""


@dataclass(slots=True, kw_only=True, eq=False)
class MessageSent(MessageEvent):
    """A message the endpoint sent."""


@dataclass(slots=True, kw_only=True, eq=False)
class WebSocketClosed(Event):
    """The WebSocket session ended: the close code and reason, and who
    started it ("server", "client" or "abnormal" when no close frame)."""

    code: int
    reason: str
    initiator: str


# -- observers -----------------------------------------------------------------
class Observer(Protocol):
    """Anything that wants the event stream: one method."""

    def on_event(self, event: Event) -> None:
        """Called synchronously, in the greenlet of the stage that emits;
        must be quick and must not raise (an exception is logged and
        dropped)."""


class AdmittingObserver(Observer, Protocol):
    """An observer that wants only some requests traced in full."""

    def admit(self) -> bool:
        """Whether the request starting now should be traced in full."""


class EventBus:
    """Fans each event out to the subscribed observers.

    ``active`` is true while anybody is subscribed: emitting sites test it
    before they build an event, which is what makes an unobserved stream
    free."""

    __slots__ = ("active", "_observers", "_admitters", "_admit_all")

    def __init__(self) -> None:
        self.active = False
        self._observers: tuple[Observer, ...] = ()
        self._admitters: tuple[AdmittingObserver, ...] = ()
        self._admit_all = False

    def subscribe(self, observer: Observer) -> None:
        """Start delivering events to *observer* (once, however often called)."""
        if observer not in self._observers:
            self._observers = (*self._observers, observer)
        self._sort()

    def unsubscribe(self, observer: Observer) -> None:
        """Stop delivering events to *observer*; unknown observers are ignored."""
        self._observers = tuple(o for o in self._observers if o is not observer)
        self._sort()

    def _sort(self) -> None:
        self.active = bool(self._observers)
        self._admitters = tuple(o for o in self._observers if callable(getattr(o, "admit", None)))  # type: ignore[misc]
        self._admit_all = len(self._admitters) < len(self._observers)

    def admit(self) -> bool:
        """Whether the request starting now is traced in full: yes if an
        observer takes every request (has no ``admit``) or one of those
        with an ``admit`` says yes. Every admitting observer is asked, so
        each can count what it was offered."""
        wanted = self._admit_all
        for observer in self._admitters:
            if observer.admit():
                wanted = True
        return wanted

    @property
    def observers(self) -> tuple[Observer, ...]:
        """The subscribed observers, in subscription order."""
        return self._observers

    def emit(self, event: Event) -> None:
        """Deliver *event* to every observer; one that raises is logged and
        the others still get it."""
        for observer in self._observers:
            try:
                observer.on_event(event)
            except Exception:
                log.exception("Event observer %r failed on %s", observer, type(event).__name__)


#: The process's event stream. One per process, as ``logging``'s root
#: logger is: every Server, Connector and webapp of the process reports to it.
BUS = EventBus()
