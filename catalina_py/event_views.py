"""Events in words and in JSON: what the trace sinks and the inspector show.

Every subscriber that shows events to a person or a script needs the same
three things of each event: the class of the container that did the step
(its *component*: ``Endpoint``, ``Http11Processor``, ``CoyoteAdapter``, a
valve's class, ...), a short *step* word for a timeline (``accept``,
``parse``, ``map``, ...), a one-line *summary* in words, and its *fields*
as plain JSON values, with bytes shown as a bounded hex and text preview
and secrets masked. This module gives them, for every event of
:mod:`catalina_py.events`; it does no I/O and imports only the standard
library and the events.

Masking: the values of the headers in :data:`SENSITIVE_HEADERS`
(``Authorization``, ``Proxy-Authorization``, ``Cookie``, ``Set-Cookie``)
are replaced by ``***`` in header lists, and in raw bytes by a
:class:`RawMasker`, which also catches a header line split between two
reads.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable
from dataclasses import fields as dataclass_fields
from typing import Any

from .events import (
    BytesReceived,
    BytesSent,
    ChunkReceived,
    ChunkSent,
    ConnectionAccepted,
    ConnectionClosed,
    ConnectionParked,
    ConnectionResumed,
    Event,
    FilterEntered,
    FilterLeft,
    FrameEvent,
    FrameReceived,
    FrameSent,
    HandshakeAccepted,
    HandshakeCheck,
    HandshakeRefused,
    KeepAliveDecided,
    MessageEvent,
    MessageReceived,
    MessageSent,
    PongReceived,
    RequestCompleted,
    RequestHeadParsed,
    RequestMapped,
    RequestRejected,
    ResponseCommitted,
    ServletCalled,
    ServletReturned,
    Upgraded,
    ValveEntered,
    ValveLeft,
    WebSocketClosed,
    WebSocketOpened,
)

__all__ = [
    "MASK",
    "MAX_BYTES",
    "MAX_HEADER_VALUE",
    "MAX_PAYLOAD",
    "SENSITIVE_HEADERS",
    "WS_GUID",
    "RawMasker",
    "accept_steps",
    "bytes_view",
    "component_of",
    "event_fields",
    "mask_headers",
    "step_of",
    "summary_of",
]

#: What a masked header value is shown as.
MASK = "***"
#: Headers whose values never appear in a trace or the inspector.
SENSITIVE_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})
#: Bytes of one read or write kept in a preview (``hex`` and ``text``).
MAX_BYTES = 4096
#: Bytes of a WebSocket frame's or message's payload kept in a preview.
MAX_PAYLOAD = 256
#: Characters of one header value kept.
MAX_HEADER_VALUE = 512
#: RFC 6455's GUID, appended to the key before hashing.
WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

_COMPONENTS: dict[type[Event], str] = {
    ConnectionAccepted: "Endpoint",
    BytesReceived: "Http11Processor",
    BytesSent: "Http11Processor",
    RequestHeadParsed: "Http11Processor",
    ChunkReceived: "Http11Processor",
    ChunkSent: "Http11Processor",
    RequestMapped: "CoyoteAdapter",
    RequestRejected: "Http11Processor",
    ServletCalled: "StandardWrapperValve",
    ServletReturned: "StandardWrapperValve",
    ResponseCommitted: "Http11Processor",
    KeepAliveDecided: "Http11Processor",
    RequestCompleted: "CoyoteAdapter",
    HandshakeCheck: "WsServerContainer",
    HandshakeAccepted: "WsServerContainer",
    HandshakeRefused: "WsServerContainer",
    Upgraded: "Http11Processor",
    WebSocketOpened: "WsSession",
    FrameReceived: "WsFrameServer",
    FrameSent: "WsRemoteEndpoint",
    PongReceived: "WsSession",
    ConnectionParked: "Endpoint",
    ConnectionResumed: "Endpoint",
    MessageReceived: "WsSession",
    MessageSent: "WsRemoteEndpoint",
    WebSocketClosed: "WsSession",
    ConnectionClosed: "Endpoint",
}

_STEPS: dict[type[Event], str] = {
    ConnectionAccepted: "accept",
    BytesReceived: "read",
    BytesSent: "write",
    RequestHeadParsed: "parse",
    ChunkReceived: "chunk",
    ChunkSent: "chunk",
    RequestMapped: "map",
    RequestRejected: "parse",
    ValveEntered: "valve",
    ValveLeft: "valve",
    FilterEntered: "filter",
    FilterLeft: "filter",
    ServletCalled: "servlet",
    ServletReturned: "servlet",
    ResponseCommitted: "commit",
    KeepAliveDecided: "keep-alive",
    RequestCompleted: "complete",
    HandshakeCheck: "handshake",
    HandshakeAccepted: "handshake",
    HandshakeRefused: "handshake",
    Upgraded: "upgrade",
    WebSocketOpened: "open",
    FrameReceived: "frame in",
    FrameSent: "frame out",
    PongReceived: "pong",
    ConnectionParked: "park",
    ConnectionResumed: "resume",
    MessageReceived: "message in",
    MessageSent: "message out",
    WebSocketClosed: "close",
    ConnectionClosed: "close",
}


def component_of(event: Event) -> str:
    """The class of the container that took the step *event* reports."""
    if isinstance(event, (ValveEntered, ValveLeft)):
        return event.valve
    if isinstance(event, (FilterEntered, FilterLeft)):
        return event.filter
    return _COMPONENTS.get(type(event), type(event).__name__)


def step_of(event: Event) -> str:
    """A short word for the timeline: ``accept``, ``parse``, ``map``, ..."""
    return _STEPS.get(type(event), type(event).__name__)


# -- previews ----------------------------------------------------------------
_PRINTABLE = bytes(range(32, 127))
_TEXT_TABLE = bytes(b if b in _PRINTABLE or b in (9, 10, 13) else 46 for b in range(256))


def bytes_view(
    data: bytes, limit: int = MAX_BYTES, length: int | None = None, truncated: bool | None = None
) -> dict[str, Any]:
    """A bounded preview of *data*: its true length, the first *limit*
    bytes as hex pairs and as text (every byte that is not printable ASCII,
    tab, CR or LF shown as ``.``), and whether it was cut. *length* is the
    whole size when *data* is already a cut; *truncated* says so when the
    caller knows better (masked bytes are not the original's length)."""
    total = len(data) if length is None else length
    shown = data[:limit]
    return {
        "length": total,
        "hex": shown.hex(" "),
        "text": shown.translate(_TEXT_TABLE).decode("ascii"),
        "truncated": (total > len(shown)) if truncated is None else truncated,
    }


def _cut(value: str, limit: int = MAX_HEADER_VALUE) -> str:
    return value if len(value) <= limit else value[:limit] + f"... ({len(value)} characters)"


def mask_headers(headers: tuple[tuple[str, str], ...], mask: bool = True) -> list[list[str]]:
    """Header fields as ``[name, value]`` pairs, sensitive values masked
    (when *mask*) and long values cut."""
    return [[name, MASK if mask and name.lower() in SENSITIVE_HEADERS else _cut(value)] for name, value in headers]


_SENSITIVE_LINE = re.compile(rb"(?im)^((?:proxy-)?authorization|cookie|set-cookie)([ \t]*:)[^\r\n]*")


class RawMasker:
    """Masks sensitive header values in raw bytes read or written, per
    connection and direction, including a header line that one read ends
    and the next continues (the unterminated last line of each chunk is
    remembered, at most 1 KiB of it; a sensitive line longer than that
    is hidden until its end, however many reads it spans)."""

    _TAIL = 1024

    def __init__(self) -> None:
        self._tails: dict[tuple[int, bool], bytes] = {}
        #: Connections and directions inside a long sensitive line already shown as ``***``.
        self._hiding: set[tuple[int, bool]] = set()

    @staticmethod
    def _mask(data: bytes) -> bytes:
        return _SENSITIVE_LINE.sub(rb"\1\2 ***", data)

    def mask(self, connection: int, outgoing: bool, data: bytes) -> bytes:
        """*data* with the values of sensitive header lines replaced."""
        key = (connection, outgoing)
        prefix = b""
        if key in self._hiding:
            end = data.find(b"\n")
            if end < 0:
                return b""  # still inside the hidden value
            self._hiding.discard(key)
            prefix = b"\r" if end > 0 and data[end - 1] == 13 else b""
            data = data[end:]
        tail = self._tails.get(key, b"")
        combined = tail + data
        masked = self._mask(combined)
        masked_tail = self._mask(tail)
        out = masked[len(masked_tail) :] if tail and masked.startswith(masked_tail) else self._mask(data)
        end = combined.rfind(b"\n")
        rest = combined[end + 1 :] if end >= 0 else combined
        if rest and len(rest) <= self._TAIL:
            self._tails[key] = rest
        else:
            self._tails.pop(key, None)
            if rest and _SENSITIVE_LINE.match(rest):
                self._hiding.add(key)  # its value continues in the next read: hide it to its end
        return prefix + out

    def forget(self, connection: int) -> None:
        """Drop the state of a closed connection."""
        for outgoing in (False, True):
            self._tails.pop((connection, outgoing), None)
            self._hiding.discard((connection, outgoing))


# -- the WebSocket accept computation ------------------------------------------
def accept_steps(key: str) -> list[dict[str, str]]:
    """``Sec-WebSocket-Accept`` computed step by step from the client's key:
    the key, key + GUID, the SHA-1 digest in hex, and its base64."""
    joined = key + WS_GUID
    digest = hashlib.sha1(joined.encode("ascii", "replace")).digest()
    return [
        {"label": "Sec-WebSocket-Key, as the client sent it", "value": key},
        {"label": "the key followed by the GUID of RFC 6455", "value": joined},
        {"label": "SHA-1 of that, 20 bytes in hex", "value": digest.hex(" ")},
        {"label": "base64 of the digest: Sec-WebSocket-Accept", "value": base64.b64encode(digest).decode("ascii")},
    ]


# -- fields ----------------------------------------------------------------------
def event_fields(
    event: Event,
    *,
    mask: bool = True,
    max_bytes: int = MAX_BYTES,
    masker: RawMasker | None = None,
) -> dict[str, Any]:
    """The fields of *event* as JSON values (``connection`` and ``at``
    left out: the caller has them). Bytes become :func:`bytes_view`
    previews, header lists masked ``[name, value]`` pairs; the request and
    response objects of ``RequestCompleted`` are summarised."""
    if isinstance(event, RequestCompleted):
        return {"elapsed": event.elapsed}
    out: dict[str, Any] = {}
    for f in dataclass_fields(event):
        name = f.name
        if name in ("connection", "at"):
            continue
        value = getattr(event, name)
        if isinstance(value, bytes):
            if name == "data":
                shown = value
                if mask and masker is not None:
                    shown = masker.mask(event.connection, isinstance(event, BytesSent), value)
                elif mask:
                    shown = RawMasker._mask(value)
                out[name] = bytes_view(shown, max_bytes, len(value), truncated=len(shown) > max_bytes)
            elif name == "mask_key":
                out[name] = value.hex()
            else:  # a frame's or message's payload, already cut by the emitter
                length = getattr(event, "length", len(value))
                if isinstance(event, MessageEvent) and event.kind.startswith("text"):
                    # length counts characters; the payload is the UTF-8 of
                    # the first ones: cut if it holds fewer characters.
                    whole = len(value.decode("utf-8", "replace")) >= length
                    out[name] = bytes_view(value, MAX_PAYLOAD, None, truncated=not whole or len(value) > MAX_PAYLOAD)
                    out[name]["length_characters"] = length
                else:
                    out[name] = bytes_view(value, MAX_PAYLOAD, max(length, len(value)))
        elif name == "headers" and isinstance(value, tuple):
            out[name] = mask_headers(value, mask)
        elif value is None or isinstance(value, (str, int, float, bool)):
            out[name] = value
        else:
            out[name] = str(value)
    if isinstance(event, HandshakeAccepted):
        out["accept_steps"] = accept_steps(event.key)
    return out


# -- summaries ---------------------------------------------------------------------
def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.3f} ms"


def _message_summary(event: MessageEvent) -> str:
    """``text message, 5 characters``; a part received in parts mode:
    ``text part, 65522 characters`` / ``binary last part, 3 bytes``."""
    unit = "characters" if event.kind.startswith("text") else "bytes"
    noun = "" if event.kind.endswith("part") else " message"
    return f"{event.kind}{noun}, {event.length} {unit}"


def _frame_summary(event: FrameEvent) -> str:
    bits = [
        f"FIN={int(event.fin)}",
        f"RSV1={int(event.rsv1)}",
        f"RSV2={int(event.rsv2)}",
        f"RSV3={int(event.rsv3)}",
        f"opcode={event.opcode}",
        f"MASK={int(event.masked)}" + (f" key {event.mask_key.hex()}" if event.mask_key else ""),
        f"length={event.length}",
    ]
    return f"{event.description}: " + " ".join(bits)


_SUMMARIES: dict[type[Event], Callable[[Any], str]] = {
    ConnectionAccepted: lambda e: (
        f"{e.connector} accepted {e.remote_addr}:{e.remote_port} -> {e.local_addr}:{e.local_port}"
    ),
    BytesReceived: lambda e: f"read {len(e.data)} bytes",
    BytesSent: lambda e: f"wrote {len(e.data)} bytes",
    RequestHeadParsed: lambda e: (f"{e.method} {e.target} {e.version} ({len(e.headers)} headers, body: {e.body})"),
    ChunkReceived: lambda e: (
        f"last chunk (size 0), {e.trailers} trailer field(s)" if e.last else f"chunk {e.index}: {e.size} bytes"
    ),
    ChunkSent: lambda e: "last chunk (size 0)" if e.last else f"chunk {e.index}: {e.size} bytes",
    RequestMapped: lambda e: e.reason,  # CoyoteAdapter's words (describe_mapping)
    RequestRejected: lambda e: f"cannot read the request: {e.status}, {e.reason}; the connection closes",
    ValveEntered: lambda e: f"{e.container}: {e.valve} entered",
    ValveLeft: lambda e: f"{e.container}: {e.valve} left after {_ms(e.elapsed)}",
    FilterEntered: lambda e: f"filter {e.filter} entered",
    FilterLeft: lambda e: f"filter {e.filter} left after {_ms(e.elapsed)}",
    ServletCalled: lambda e: f"{e.servlet_class.rpartition('.')[2]}.service() ({e.method})",
    ServletReturned: lambda e: (
        f"{e.servlet} returned after {_ms(e.elapsed)}" + (f", raised {e.error}" if e.error else "")
    ),
    ResponseCommitted: lambda e: f"{e.status}, {e.framing}: {e.reason}",
    KeepAliveDecided: lambda e: (
        ("keep alive: " if e.keep_alive else "close: ")
        + e.reason
        + (f" ({e.buffered} bytes of the next request already buffered)" if e.buffered else "")
    ),
    RequestCompleted: lambda e: f"complete after {_ms(e.elapsed)}",
    HandshakeCheck: lambda e: f"{e.check}: {'passed' if e.passed else 'FAILED'}, {e.detail}",
    HandshakeAccepted: lambda e: (
        f"endpoint {e.endpoint.rpartition('.')[2]} at {e.path}: Sec-WebSocket-Accept {e.accept}, "
        f"subprotocol {e.subprotocol!r}, extensions {e.extensions!r}"
    ),
    HandshakeRefused: lambda e: (
        f"refused with {e.status}" + (f", check {e.check} failed ({e.compared})" if e.check else "") + f": {e.reason}"
    ),
    Upgraded: lambda e: (
        f"101 sent; the socket and {e.leftover} bytes read past the request go to {e.handler.rpartition('.')[2]}"
    ),
    WebSocketOpened: lambda e: f"session {e.session_id} on {e.path} ({e.endpoint.rpartition('.')[2]})",
    FrameReceived: _frame_summary,
    FrameSent: _frame_summary,
    PongReceived: lambda e: f"pong for our ping, round trip {_ms(e.rtt)}",
    ConnectionParked: lambda e: (
        f"parked ({e.why}): its greenlet ends, the event loop's read watcher waits for the next bytes"
    ),
    ConnectionResumed: lambda e: f"bytes after {_ms(e.parked_for)} parked: a new greenlet reads on",
    MessageReceived: _message_summary,
    MessageSent: _message_summary,
    WebSocketClosed: lambda e: (
        f"closed {e.code} {e.reason!r}, "
        + ("without a close handshake" if e.initiator == "abnormal" else f"started by the {e.initiator}")
    ),
    ConnectionClosed: lambda e: (
        f"closed after {e.requests} request(s), {e.bytes_in} bytes in, {e.bytes_out} bytes out, "
        f"{e.duration:.3f} s: {e.reason}"
    ),
}


def summary_of(event: Event) -> str:
    """The event in one line of words."""
    describe = _SUMMARIES.get(type(event))
    return describe(event) if describe is not None else type(event).__name__
