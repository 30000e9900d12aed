"""The JSON trace: every event of the stream as one JSON object a line.

Each line is ``{"time", "connection", "event", "component", "step",
"summary", "fields"}``: ``time`` in seconds since the epoch, ``event`` the
event's class name, ``component`` the class of the container that took
the step, ``fields`` the event's own fields as JSON (bytes as a bounded
hex and text preview, sensitive header values masked), as
:mod:`catalina_py.event_views` renders them; docs/trace.md lists every
event and its fields.

Two ways to turn it on:

* ``bin/catalina.sh run --trace-file logs/trace.jsonl`` (with
  ``--trace-connector``, ``--trace-client``, ``--trace-path`` to narrow
  it down);
* a ``<Listener>`` in ``conf/server.xml``, which also works for
  ``startup.sh``::

      <Listener className="catalina_py.trace_json.JsonTraceListener"
                file="logs/trace.jsonl" connector="8080"
                client="127.0.0.1" pathPrefix="/examples/websocket"/>

Lines are buffered and written at least every half second (and when the
server stops), so a file being followed with ``tail -f`` lags by at most
that.
"""

from __future__ import annotations

import io
import json
import logging
import os
import time
from collections.abc import Mapping
from typing import IO, Any

from .event_views import RawMasker, component_of, event_fields, step_of, summary_of
from .events import BUS, ConnectionClosed, Event, Observer
from .trace_filter import TraceFilter

__all__ = ["JsonTraceListener", "JsonTraceWriter", "event_record"]

log = logging.getLogger("catalina_py.trace")

#: How often buffered lines are written out, seconds.
FLUSH_INTERVAL = 0.5


def event_record(event: Event, masker: RawMasker | None = None, mask: bool = True) -> dict[str, Any]:
    """The JSON object of one event (what a line of the file holds)."""
    return {
        "time": event.at,
        "connection": event.connection,
        "event": type(event).__name__,
        "component": component_of(event),
        "step": step_of(event),
        "summary": summary_of(event),
        "fields": event_fields(event, mask=mask, masker=masker),
    }


class JsonTraceWriter:
    """An observer writing each event it gets as a JSON line to *stream*
    (buffered; :meth:`flush` writes what is pending)."""

    def __init__(self, stream: IO[str], mask: bool = True) -> None:
        self.stream = stream
        self.mask = mask
        self.masker = RawMasker()
        self._pending: list[str] = []
        self._last_flush = time.monotonic()
        self.lines = 0

    def on_event(self, event: Event) -> None:
        """Render *event* and buffer its line."""
        self._pending.append(json.dumps(event_record(event, self.masker, self.mask), ensure_ascii=False))
        self.lines += 1
        if type(event) is ConnectionClosed:
            self.masker.forget(event.connection)
        if len(self._pending) >= 512 or time.monotonic() - self._last_flush >= FLUSH_INTERVAL:
            self.flush()

    def flush(self) -> None:
        """Write the buffered lines."""
        self._last_flush = time.monotonic()
        if not self._pending:
            return
        lines, self._pending = self._pending, []
        try:
            self.stream.write("\n".join(lines) + "\n")
            self.stream.flush()
        except (OSError, ValueError) as exc:  # disk full, file closed
            log.warning("JSON trace: cannot write %d line(s): %s", len(lines), exc)


class JsonTraceListener:
    """A server-level ``<Listener>`` (or ``run --trace-file``) that writes
    the JSON trace to a file while the server runs.

    Attributes: ``file`` (relative to CATALINA_BASE; default
    ``logs/trace.jsonl``), ``connector``, ``client``, ``pathPrefix``
    (see :class:`~catalina_py.trace_filter.TraceFilter`), ``maskHeaders``
    (``true``; ``false`` shows Authorization and cookies as sent: only for
    a machine of your own)."""

    ATTRIBUTES = frozenset({"file", "connector", "client", "pathPrefix", "maskHeaders"})

    def __init__(self, attributes: Mapping[str, str] | None = None, catalina_base: str = ".") -> None:
        # Unknown attributes were warned about when server.xml was read.
        attributes = dict(attributes or {})
        path = attributes.get("file", os.path.join("logs", "trace.jsonl"))
        self.path = path if os.path.isabs(path) else os.path.join(catalina_base, path)
        self.connector = attributes.get("connector")
        self.client = attributes.get("client")
        self.path_prefix = attributes.get("pathPrefix")
        self.mask = attributes.get("maskHeaders", "true").lower() != "false"
        self.writer: JsonTraceWriter | None = None
        self._stream: IO[str] | None = None
        self._observer: Observer | None = None
        self._flusher: Any = None

    def start(self) -> None:
        """Open the file (appending) and subscribe to the event stream."""
        directory = os.path.dirname(self.path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        # Each flush is one write() of whole lines to a file opened for
        # appending (O_APPEND): the worker processes of <Server workers="N">
        # may share the file without cutting each other's lines.
        raw = open(self.path, "ab", buffering=0)  # noqa: SIM115 - closed by stop()
        self._stream = io.TextIOWrapper(raw, encoding="utf-8", write_through=True)
        self.writer = JsonTraceWriter(self._stream, self.mask)
        criteria = TraceFilter(self.writer, self.connector, self.client, self.path_prefix)
        self._observer = criteria if criteria.restricts else self.writer
        BUS.subscribe(self._observer)
        import gevent

        self._flusher = gevent.spawn(self._flush_regularly)
        log.info("JSON trace of the event stream to %s", self.path)

    def _flush_regularly(self) -> None:
        import gevent

        while True:
            gevent.sleep(FLUSH_INTERVAL)
            if self.writer is not None:
                self.writer.flush()

    def stop(self) -> None:
        """Unsubscribe, write what is buffered and close the file."""
        if self._observer is not None:
            BUS.unsubscribe(self._observer)
            self._observer = None
        if self._flusher is not None:
            self._flusher.kill(block=False)
            self._flusher = None
        if self.writer is not None:
            self.writer.flush()
        if self._stream is not None:
            self._stream.close()
            self._stream = None
