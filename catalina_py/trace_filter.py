"""Which connections and requests a trace sink writes: by connector, by
client address, by path prefix.

A :class:`TraceFilter` sits in front of a sink (the terminal lines, the
JSON lines file) and is itself an observer: it passes on the events of the
connections and requests that match, in their order, to the sink's
``on_event``.

* **connector** (``http-gevent-8080``, or just the port ``8080``) and
  **client address** are known when the connection is accepted: a
  connection that does not match is dropped whole.
* **path prefix** (and an **excluded prefix**, which the inspector uses to
  leave its own traffic out) is known only once a request's head is parsed: the
  events of each request (from the first bytes of its head to its
  keep-alive decision) are held until then (at most
  :data:`MAX_HELD` events), then written or dropped together. The
  connection's accept is written with its first matching request, its
  close if any request matched; after an upgrade of a matching request,
  every frame is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .events import (
    ConnectionAccepted,
    ConnectionClosed,
    Event,
    KeepAliveDecided,
    Observer,
    RequestHeadParsed,
    RequestRejected,
)

__all__ = ["MAX_HELD", "TraceFilter"]

#: Events of one request held while its path is not known yet.
MAX_HELD = 256


@dataclass(slots=True)
class _Connection:
    held: list[Event] = field(default_factory=list)
    #: None: the current request's path is not known yet.
    passing: bool | None = None
    accept: ConnectionAccepted | None = None
    any_passed: bool = False


class TraceFilter:
    """Passes to *sink* the events that match every criterion given (None
    or empty: no restriction)."""

    def __init__(
        self,
        sink: Observer,
        connector: str | None = None,
        client: str | None = None,
        path_prefix: str | None = None,
        exclude_prefix: str | None = None,
    ) -> None:
        self.sink = sink
        self.connector = connector or None
        self.client = client or None
        self.path_prefix = path_prefix or None
        self.exclude_prefix = exclude_prefix or None
        self._per_request = self.path_prefix is not None or self.exclude_prefix is not None
        self._connections: dict[int, _Connection] = {}
        self._dropped: set[int] = set()

    def admit(self) -> bool:
        """The sink's own admission (see ``EventBus.admit``), or yes."""
        admit = getattr(self.sink, "admit", None)
        return bool(admit()) if admit is not None else True

    @property
    def restricts(self) -> bool:
        """True if any criterion is set (else the filter passes everything)."""
        return bool(self.connector or self.client or self._per_request)

    def _connector_matches(self, event: ConnectionAccepted) -> bool:
        wanted = self.connector
        if wanted is None:
            return True
        return wanted in (event.connector, str(event.local_port))

    def _release(self, state: _Connection) -> None:
        """The current request passes: its connection's accept (the first
        time) and its held events go to the sink."""
        state.passing = True
        if state.accept is not None:
            self.sink.on_event(state.accept)
            state.accept = None
        state.any_passed = True
        for held in state.held:
            self.sink.on_event(held)
        state.held.clear()

    def on_event(self, event: Event) -> None:
        """Pass *event* on, hold it, or drop it."""
        conn = event.connection
        if conn in self._dropped:
            if type(event) is ConnectionClosed:
                self._dropped.discard(conn)
            return
        if type(event) is ConnectionAccepted:
            if not self._connector_matches(event) or (self.client is not None and event.remote_addr != self.client):
                self._dropped.add(conn)
                return
            if not self._per_request:
                self.sink.on_event(event)
                return
            self._connections[conn] = _Connection(accept=event)
            return
        if not self._per_request:
            self.sink.on_event(event)
            return
        state = self._connections.get(conn)
        if state is None:
            # Accepted before this filter existed (or not a connection
            # event): pass only what follows a matching head.
            state = self._connections[conn] = _Connection()
        kind = type(event)
        if kind is RequestHeadParsed:
            assert isinstance(event, RequestHeadParsed)
            target = event.target
            passing = (self.path_prefix is None or target.startswith(self.path_prefix)) and not (
                self.exclude_prefix is not None and target.startswith(self.exclude_prefix)
            )
            if passing:
                self._release(state)
                self.sink.on_event(event)
            else:
                state.passing = False
                state.held.clear()
            return
        if kind is RequestRejected and state.passing is None and self.path_prefix is None:
            # A request that could not be parsed has no path: with only an
            # exclusion set it is shown (it cannot be the excluded one's).
            self._release(state)
        if kind is ConnectionClosed:
            self._connections.pop(conn, None)
            if state.any_passed:
                self.sink.on_event(event)
            return
        if state.passing is None:
            if len(state.held) < MAX_HELD:
                state.held.append(event)
            return
        if state.passing:
            self.sink.on_event(event)
        if kind is KeepAliveDecided:
            state.passing = None  # the next request decides for itself
