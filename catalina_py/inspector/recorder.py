"""The inspector's memory: the recent events of each connection, bounded.

:class:`Recorder` is an observer of the event stream (behind a
:class:`~catalina_py.trace_filter.TraceFilter` that leaves the inspector's
own requests out). It keeps, for each connection accepted while it
records, the last :data:`MAX_EVENTS` events, with raw bytes cut and
sensitive headers masked as they arrive, and closed connections stay in a ring for a while. It admits a bounded
number of requests a second to the trace (:meth:`Recorder.admit`); the
traffic counters are the container's own (``Inspector.status``). Rendering to JSON happens only when asked
(:meth:`Recorder.events_json`), so recording costs an append per event.

Bounds (docs/inspector.md, "Bounds"): see the constants below.
"""

from __future__ import annotations

import collections
import itertools
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..event_views import MAX_BYTES, RawMasker, component_of, event_fields, step_of, summary_of
from ..events import (
    BytesReceived,
    BytesSent,
    ConnectionAccepted,
    ConnectionClosed,
    Event,
    FrameReceived,
    FrameSent,
    HandshakeAccepted,
    MessageReceived,
    MessageSent,
    RequestCompleted,
    RequestHeadParsed,
    RequestMapped,
    Upgraded,
)

__all__ = [
    "ADMIT_PER_SECOND",
    "CLOSED_KEEP",
    "CLOSED_SECONDS",
    "MAX_EVENTS",
    "MAX_RECORDED",
    "RAW_PER_CONNECTION",
    "RAW_TOTAL",
    "ConnectionRecord",
    "Recorder",
]

#: Connections with a timeline at once (further ones are listed without).
MAX_RECORDED = 1000
#: Events kept per connection (the oldest dropped first).
MAX_EVENTS = 200
#: Raw bytes kept per connection, over all its reads and writes; past it a
#: read or write is recorded with its length only.
RAW_PER_CONNECTION = 32 * 1024
#: Raw bytes kept over all recorded connections.
RAW_TOTAL = 16 * 1024 * 1024
#: Requests traced in full per second at most (the others are served
#: untraced: counted by the container's own counters, absent from the
#: timelines). A learner's clicks fit easily; a load test does not slow down.
ADMIT_PER_SECOND = 50
#: Closed connections kept, and for how long (seconds).
CLOSED_KEEP = 200
CLOSED_SECONDS = 600.0


@dataclass(slots=True, eq=False)
class ConnectionRecord:
    """What the inspector remembers of one connection."""

    id: int
    connector: str = ""
    client: str = ""
    server: str = ""
    accepted_at: float = 0.0
    events: collections.deque[tuple[int, Event, dict[str, Any] | None]] = field(
        default_factory=lambda: collections.deque(maxlen=MAX_EVENTS)
    )
    dropped: int = 0
    raw_bytes: int = 0
    closed_at: float | None = None
    close_reason: str | None = None
    requests: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    last_request: str = ""
    context_path: str | None = None
    upgraded: bool = False
    endpoint: str | None = None
    #: WebSocket data frames on the wire per message not yet reported:
    #: (wire payload bytes, compressed), in and out.
    wire_in: collections.deque[tuple[int, bool]] = field(default_factory=collections.deque)
    wire_out: collections.deque[tuple[int, bool]] = field(default_factory=collections.deque)
    _frame_in: list[int] = field(default_factory=lambda: [0, 0])  # wire bytes, compressed flag
    _frame_out: list[int] = field(default_factory=lambda: [0, 0])

    def summary(self, now: float) -> dict[str, Any]:
        """The connection as the connections list shows it."""
        return {
            "id": self.id,
            "connector": self.connector,
            "client": self.client,
            "server": self.server,
            "state": "closed" if self.closed_at is not None else ("upgraded" if self.upgraded else "open"),
            "requests": self.requests,
            "bytes_in": self.bytes_in,
            "bytes_out": self.bytes_out,
            "age": round((self.closed_at or now) - self.accepted_at, 3) if self.accepted_at else None,
            "open": self.closed_at is None,
            "upgraded": self.upgraded,
            "last_request": self.last_request,
            "events": len(self.events) + self.dropped,
            "recorded": True,
            "closed_at": self.closed_at,
            "close_reason": self.close_reason,
        }


class Recorder:
    """Keeps the recent events of the connections (see the module docstring)."""

    def __init__(self) -> None:
        self.open: dict[int, ConnectionRecord] = {}
        self.closed: collections.OrderedDict[int, ConnectionRecord] = collections.OrderedDict()
        self.raw_total = 0
        #: Requests admitted to the trace, and those passed over, so far.
        self.admitted = 0
        self.passed_over = 0
        self._window = 0.0
        self._window_admitted = 0
        self._seq = itertools.count(1)
        self._masker = RawMasker()

    # -- the observer -----------------------------------------------------------
    def admit(self) -> bool:
        """Trace this request in full? Yes for the first
        :data:`ADMIT_PER_SECOND` requests of each second."""
        now = time.monotonic()
        if now - self._window >= 1.0:
            self._window = now
            self._window_admitted = 0
        if self._window_admitted < ADMIT_PER_SECOND:
            self._window_admitted += 1
            self.admitted += 1
            return True
        self.passed_over += 1
        return False

    def on_event(self, event: Event) -> None:
        """Record *event* on its connection's record."""
        conn = event.connection
        kind = type(event)
        record = self.open.get(conn)
        if record is None:
            if kind is not ConnectionAccepted and kind is not RequestHeadParsed:
                return  # a connection accepted before recording began: nothing to anchor it
            if len(self.open) >= MAX_RECORDED:
                return
            record = self.open[conn] = ConnectionRecord(conn)
        extra: dict[str, Any] | None = None
        if kind is ConnectionAccepted:
            assert isinstance(event, ConnectionAccepted)
            record.connector = event.connector
            record.client = f"{event.remote_addr}:{event.remote_port}"
            record.server = f"{event.local_addr}:{event.local_port}"
            record.accepted_at = event.at
        elif kind is BytesReceived or kind is BytesSent:
            assert isinstance(event, (BytesReceived, BytesSent))
            event, extra = self._cut_bytes(record, event)
        elif kind is RequestHeadParsed:
            assert isinstance(event, RequestHeadParsed)
            if not record.accepted_at:
                record.accepted_at = event.at
            record.requests += 1
            record.last_request = f"{event.method} {event.target[:200]}"
            record.context_path = None
        elif kind is RequestMapped:
            assert isinstance(event, RequestMapped)
            record.context_path = event.context_path
        elif kind is RequestCompleted:
            return  # holds the request and response objects: not kept
        elif kind is HandshakeAccepted:
            assert isinstance(event, HandshakeAccepted)
            record.endpoint = event.path
        elif kind is Upgraded:
            record.upgraded = True
        elif kind is FrameReceived or kind is FrameSent:
            assert isinstance(event, (FrameReceived, FrameSent))
            self._count_frame(record, event)
        elif kind is MessageReceived or kind is MessageSent:
            assert isinstance(event, (MessageReceived, MessageSent))
            extra = self._count_message(record, event)
        elif kind is ConnectionClosed:
            assert isinstance(event, ConnectionClosed)
            record.closed_at = event.at
            record.close_reason = event.reason
            # The connection's own totals (WebSocket frames included).
            record.bytes_in = event.bytes_in
            record.bytes_out = event.bytes_out
            self._masker.forget(conn)
        events = record.events
        if len(events) == MAX_EVENTS:
            record.dropped += 1
            _seq, old, old_extra = events[0]
            if old_extra is not None:
                released = old_extra.get("raw_kept", 0)
                record.raw_bytes -= released
                self.raw_total -= released
        events.append((next(self._seq), event, extra))
        if kind is ConnectionClosed:
            del self.open[conn]
            self._close(record)

    def _cut_bytes(
        self, record: ConnectionRecord, event: BytesReceived | BytesSent
    ) -> tuple[BytesReceived | BytesSent, dict[str, Any]]:
        data = event.data
        length = len(data)
        outgoing = type(event) is BytesSent
        if outgoing:
            record.bytes_out += length
        else:
            record.bytes_in += length
        room = min(MAX_BYTES, RAW_PER_CONNECTION - record.raw_bytes, RAW_TOTAL - self.raw_total)
        masked = self._masker.mask(event.connection, outgoing, data)
        kept = masked[: max(room, 0)]
        record.raw_bytes += len(kept)
        self.raw_total += len(kept)
        cut = type(event)(connection=event.connection, at=event.at, data=kept)
        # Masking changes the length: what was cut is the masked bytes.
        return cut, {"length": length, "masked_length": len(masked), "raw_kept": len(kept)}

    def _count_frame(self, record: ConnectionRecord, event: FrameReceived | FrameSent) -> None:
        if event.opcode in ("close", "ping", "pong"):
            return
        incoming = type(event) is FrameReceived
        current = record._frame_in if incoming else record._frame_out
        if event.opcode != "continuation":
            current[0], current[1] = 0, int(event.rsv1)
        current[0] += event.length
        if event.fin:
            (record.wire_in if incoming else record.wire_out).append((current[0], bool(current[1])))
            if len(record.wire_in) > 64:
                record.wire_in.popleft()
            if len(record.wire_out) > 64:
                record.wire_out.popleft()

    def _count_message(self, record: ConnectionRecord, event: MessageReceived | MessageSent) -> dict[str, Any]:
        incoming = type(event) is MessageReceived
        wire = record.wire_in if incoming else record.wire_out
        wire_length, compressed = wire.popleft() if wire else (-1, False)
        data_length = event.length if event.kind == "binary" else -1
        extra: dict[str, Any] = {"wire_length": wire_length, "compressed": compressed}
        if compressed:
            extra["uncompressed"] = data_length if data_length >= 0 else None
        return extra

    def _close(self, record: ConnectionRecord) -> None:
        if not record.requests and not record.events:
            return
        self.closed[record.id] = record
        self.expire()

    def expire(self, now: float | None = None) -> None:
        """Forget closed connections past :data:`CLOSED_KEEP` or
        :data:`CLOSED_SECONDS`."""
        now = time.time() if now is None else now
        while self.closed:
            oldest = next(iter(self.closed.values()))
            if len(self.closed) <= CLOSED_KEEP and (oldest.closed_at or now) > now - CLOSED_SECONDS:
                break
            self.closed.popitem(last=False)
            self.raw_total -= oldest.raw_bytes

    # -- reading ---------------------------------------------------------------
    def find(self, connection: int) -> ConnectionRecord | None:
        """The record of an open or recently closed connection."""
        return self.open.get(connection) or self.closed.get(connection)

    def events_after(self, record: ConnectionRecord, seq: int) -> Iterator[tuple[int, Event, dict[str, Any] | None]]:
        """The kept events of *record* numbered after *seq*."""
        for item in record.events:
            if item[0] > seq:
                yield item

    @staticmethod
    def event_json(record: ConnectionRecord, item: tuple[int, Event, dict[str, Any] | None]) -> dict[str, Any]:
        """One kept event as the API shows it (docs/inspector.md, EVENT)."""
        seq, event, extra = item
        fields = event_fields(event, mask=True)
        if extra is not None:
            if "length" in extra and "data" in fields:
                view = fields["data"]
                view["length"] = extra["length"]
                view["truncated"] = extra.get("masked_length", extra["length"]) > extra.get("raw_kept", 0)
            if "wire_length" in extra:
                fields["wire_length"] = extra["wire_length"]
                fields["compressed"] = extra["compressed"]
                if extra.get("compressed"):
                    fields["uncompressed"] = extra.get("uncompressed")
        return {
            "seq": seq,
            "at": event.at,
            "t": round(event.at - record.accepted_at, 6) if record.accepted_at else None,
            "event": type(event).__name__,
            "component": component_of(event),
            "step": step_of(event),
            "summary": summary_of(event),
            "fields": fields,
        }

    def events_json(self, record: ConnectionRecord, after: int = 0) -> list[dict[str, Any]]:
        """The kept events of *record* after *after*, as JSON objects."""
        return [self.event_json(record, item) for item in self.events_after(record, after)]
