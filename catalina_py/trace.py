"""Connection traces, for learners: one log line per step a connection
takes through the container -- accept, parse, map, each valve and filter,
the servlet, the commit with its framing, each chunk, the keep-alive
decision, the handshake checks, the upgrade, every frame in and out and
every message, the close -- tagged with a connection number, so the path
described in docs/upgrade.md can be watched live.

Off by default. Turn it on with ``bin/catalina.sh run --trace`` or
``CATALINA_TRACE=1``; the lines go to the ``catalina_py.trace`` logger
(``logs/catalina.out`` for a background server). ``--trace-file PATH``
writes the same events as JSON lines (:mod:`catalina_py.trace_json`);
``--trace-connector``, ``--trace-client`` and ``--trace-path`` restrict
both to some connections (:mod:`catalina_py.trace_filter`).

The lines are written by :class:`TraceObserver`, a subscriber of the event
stream (:data:`catalina_py.events.BUS`): :func:`enable` subscribes it. No
stage writes a trace line itself: each reports an event, and this module
turns the events into lines (the words come from
:mod:`catalina_py.event_views`, shared with the JSON trace and the
inspector). Every event of docs/trace.md gets a line except the raw bytes
read and written (``BytesReceived``, ``BytesSent``: the JSON trace has
them) and ``RequestCompleted``.
"""

from __future__ import annotations

import logging

from .event_views import step_of, summary_of
from .events import BUS, BytesReceived, BytesSent, Event, Observer, RequestCompleted
from .trace_filter import TraceFilter

__all__ = ["ENABLED", "OBSERVER", "TraceObserver", "enable", "trace"]

log = logging.getLogger("catalina_py.trace")

#: Whether the terminal trace is on; set at start-up by enable().
ENABLED = False

_SILENT = (BytesReceived, BytesSent, RequestCompleted)


def trace(connection: int, step: str, detail: str) -> None:
    """Write one trace line: ``[conn 7] map       context /examples, ...``."""
    log.info("[conn %d] %-9s %s", connection, step, detail)


class TraceObserver:
    """Writes one line per event of the stream (see the module's docstring)."""

    def on_event(self, event: Event) -> None:
        """Write the line of *event*, if it has one."""
        if isinstance(event, _SILENT):
            return
        trace(event.connection, step_of(event), summary_of(event))


#: The observer :func:`enable` subscribes.
OBSERVER = TraceObserver()
_subscribed: Observer | None = None


def enable(on: bool = True, connector: str | None = None, client: str | None = None, path: str | None = None) -> None:
    """Switch the terminal trace on (or off) for connections accepted from
    now on: subscribes :data:`OBSERVER` to the event stream, behind a
    :class:`~catalina_py.trace_filter.TraceFilter` when a criterion is given."""
    global ENABLED, _subscribed
    if _subscribed is not None:
        BUS.unsubscribe(_subscribed)
        _subscribed = None
    ENABLED = on
    if on:
        criteria = TraceFilter(OBSERVER, connector, client, path)
        _subscribed = criteria if criteria.restricts else OBSERVER
        BUS.subscribe(_subscribed)
