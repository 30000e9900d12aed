"""The inspector page's WebSocket, ``/inspector/live``.

Each open page is one :class:`LiveEndpoint` session with a feeder greenlet
that, every :data:`TICK` seconds, sends what changed (docs/inspector.md,
"The live WebSocket"): the connections list twice a second, the counters
every second, and the new events of the connection the page watches. The
page chooses that connection with ``{"type": "watch", "connection": N}``.
While a page is open the inspector records (:meth:`Inspector.page_opened`).
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import gevent

from ..websocket.endpoint import on_close, on_error, on_message, on_open, server_endpoint
from . import recorder as bounds

__all__ = ["INSPECTOR_PROPERTY", "LiveEndpoint", "TICK"]

log = logging.getLogger("catalina_py.inspector")

#: The endpoint config's user property holding the Inspector.
INSPECTOR_PROPERTY = "catalina_py.inspector"
#: How often the feeder looks for news, seconds.
TICK = 0.2
#: Open connections sent in one ``connections`` message at most.
MAX_LISTED = 500


def _bounds() -> dict[str, Any]:
    return {
        "recorded_connections": bounds.MAX_RECORDED,
        "events_per_connection": bounds.MAX_EVENTS,
        "closed_kept": bounds.CLOSED_KEEP,
        "closed_seconds": bounds.CLOSED_SECONDS,
        "raw_bytes_per_connection": bounds.RAW_PER_CONNECTION,
        "raw_bytes_total": bounds.RAW_TOTAL,
        "listed_connections": MAX_LISTED,
    }


@server_endpoint("/live", max_text_message_size=4096)
class LiveEndpoint:
    """One inspector page."""

    def __init__(self) -> None:
        self.inspector: Any = None
        self.session: Any = None
        self.watched: int | None = None
        self._sent_seq = 0
        self._reset = False
        self._feeder: gevent.Greenlet | None = None

    @on_open
    def opened(self, session: Any, config: Any) -> None:
        """Start recording and feeding this page."""
        self.inspector = config.user_properties.get(INSPECTOR_PROPERTY)
        self.session = session
        if self.inspector is None:
            session.close(1011, "the inspector is not running")
            return
        self.inspector.page_opened()
        self._send({"type": "hello", "bounds": _bounds(), "recording": self.inspector.recording})
        self._send({"type": "pipeline", "tree": self.inspector.pipeline()})
        self._feeder = gevent.spawn(self._feed)

    @on_message
    def received(self, session: Any, message: str) -> None:
        """``{"type": "watch", "connection": N}`` (or null)."""
        try:
            request = json.loads(message)
        except ValueError:
            return
        if isinstance(request, dict) and request.get("type") == "watch":
            wanted = request.get("connection")
            self.watched = wanted if isinstance(wanted, int) else None
            self._sent_seq = 0
            self._reset = True

    @on_close
    def closed(self, session: Any, reason: Any) -> None:
        """The page went away."""
        self._stop()

    @on_error
    def failed(self, session: Any, error: BaseException) -> None:
        log.debug("Inspector page failed: %s", error)

    def _stop(self) -> None:
        if self._feeder is not None:
            self._feeder.kill(block=False)
            self._feeder = None
            self.inspector.page_closed()

    def _send(self, value: Any) -> None:
        self.session.get_basic_remote().send_text(json.dumps(value, ensure_ascii=False))

    def _feed(self) -> None:
        inspector = self.inspector
        last_list = last_status = 0.0
        try:
            while self.session.is_open():
                now = time.monotonic()
                if now - last_list >= 0.5:
                    last_list = now
                    listing = inspector.connections()
                    total = len(listing["open"])
                    listing["open"] = listing["open"][:MAX_LISTED]
                    listing["open_total"] = total
                    listing["type"] = "connections"
                    self._send(listing)
                if now - last_status >= 1.0:
                    last_status = now
                    status = inspector.status()
                    status["type"] = "status"
                    self._send(status)
                self._send_events()
                gevent.sleep(TICK)
        except gevent.GreenletExit:
            raise
        except Exception as exc:  # the page went away mid-send
            log.debug("Inspector feed ended: %s", exc)

    def _send_events(self) -> None:
        watched = self.watched
        if watched is None:
            if self._reset:
                self._reset = False
                self._send({"type": "events", "connection": None, "events": [], "reset": True})
            return
        recorder = self.inspector.recorder
        record = recorder.find(watched)
        if record is None:
            if self._reset:
                self._reset = False
                self._send({"type": "events", "connection": watched, "events": [], "reset": True})
            return
        events = recorder.events_json(record, self._sent_seq)
        if not events and not self._reset:
            return
        if events:
            self._sent_seq = events[-1]["seq"]
        self._send(
            {
                "type": "events",
                "connection": watched,
                "dropped": record.dropped,
                "events": events,
                "reset": self._reset,
            }
        )
        self._reset = False
