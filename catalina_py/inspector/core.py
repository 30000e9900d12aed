"""The inspector of one running server: when it records, what it lists.

One :class:`Inspector` per server, created when the inspector webapp
starts (:mod:`.webapp`) and shared by its API servlet and its live
WebSocket endpoint. It subscribes its :class:`~.recorder.Recorder` to the
event stream only while somebody watches (docs/inspector.md, "When it
records"): an unobserved stream costs nothing, so the inspector costs
nothing while no page is open.

The connections list joins two sources: the Endpoints' live processors
(every open connection, recorded or not, with its stage, requests and
bytes: the processors count them at all times) and the recorder's records
(the timeline, and the connections closed recently).
"""

from __future__ import annotations

import logging
import time
from typing import Any

import gevent

from ..events import BUS
from ..trace_filter import TraceFilter
from .pipeline_view import connector_name, pipeline_tree
from .recorder import Recorder

__all__ = ["GRACE_SECONDS", "Inspector"]

log = logging.getLogger("catalina_py.inspector")

#: How long recording goes on after the last page closed (a reload loses nothing).
GRACE_SECONDS = 60.0
#: The recording policies of the ``recording`` context parameter.
POLICIES = ("watched", "always", "off")


def _bytes(processor: Any, name: str) -> int:
    """A connection's bytes so far: the HTTP part, and the frames of an
    upgraded connection (counted by its handler until it closes)."""
    total: int = getattr(processor, name)
    upgraded = processor.upgraded
    if upgraded is not None:
        total += getattr(upgraded, name)
    return total


class Inspector:
    """Records and describes the connections of *server* (a
    ``StandardServer``); *own_path* is the inspector's context path, whose
    requests are never recorded or listed."""

    def __init__(self, server: Any, own_path: str = "/inspector", policy: str = "watched") -> None:
        if policy not in POLICIES:
            raise ValueError(f"recording must be one of {', '.join(POLICIES)}, not {policy!r}")
        self.server = server
        self.own_path = own_path
        self.policy = policy
        self.recorder = Recorder()
        self._filter = TraceFilter(self.recorder, exclude_prefix=own_path + "/")
        self._subscribed = False
        self.pages = 0
        self.api_recording = False
        self._grace_until = 0.0
        self.started_at = time.time()
        self.update_subscription()

    # -- recording ---------------------------------------------------------------
    @property
    def recording(self) -> bool:
        """Whether events are being recorded now."""
        return self._subscribed

    def wanted(self, now: float | None = None) -> bool:
        """Whether the policy wants recording now."""
        if self.policy == "off":
            return False
        if self.policy == "always" or self.pages > 0 or self.api_recording:
            return True
        return (time.monotonic() if now is None else now) < self._grace_until

    def update_subscription(self) -> None:
        """Subscribe or unsubscribe the recorder as :meth:`wanted` says."""
        want = self.wanted()
        if want and not self._subscribed:
            BUS.subscribe(self._filter)
            self._subscribed = True
            log.info("Inspector: recording the event stream")
        elif not want and self._subscribed:
            BUS.unsubscribe(self._filter)
            self._subscribed = False
            log.info("Inspector: recording stopped")

    def page_opened(self) -> None:
        """A live page connected."""
        self.pages += 1
        self.update_subscription()

    def page_closed(self) -> None:
        """A live page went away: recording goes on for the grace period."""
        self.pages = max(0, self.pages - 1)
        if self.pages == 0:
            self._grace_until = time.monotonic() + GRACE_SECONDS
            gevent.spawn_later(GRACE_SECONDS + 0.1, self.update_subscription)

    def set_api_recording(self, on: bool) -> None:
        """The API's switch (``POST /inspector/api/recording``)."""
        self.api_recording = on
        if not on:
            self._grace_until = 0.0
        self.update_subscription()

    def close(self) -> None:
        """The inspector webapp stops: stop recording for good."""
        self.policy = "off"
        self.pages = 0
        self.api_recording = False
        self.update_subscription()

    # -- connections ---------------------------------------------------------------
    def _processors(self) -> list[tuple[str, Any]]:
        out = []
        for service in self.server.services:
            for connector in service.connectors:
                name = connector_name(connector)
                for processor in list(connector.endpoint.processors):
                    out.append((name, processor))
        return out

    def _own(self, processor: Any) -> bool:
        head = processor.head
        return head is not None and head.target.startswith(self.own_path + "/")

    def connections(self) -> dict[str, Any]:
        """The connections list (docs/inspector.md, ``GET /inspector/api/connections``)."""
        now = time.time()
        recorder = self.recorder
        recorder.expire(now)
        live = []
        for name, processor in self._processors():
            if self._own(processor):
                continue
            record = recorder.open.get(processor.connection_id)
            head = processor.head
            live.append(
                {
                    "id": processor.connection_id,
                    "connector": name,
                    "client": f"{processor.remote_addr}:{processor.remote_port}",
                    "server": f"{processor.local_addr}:{processor.local_port}",
                    "state": processor.stage,
                    "requests": processor.requests_served,
                    "bytes_in": _bytes(processor, "bytes_in"),
                    "bytes_out": _bytes(processor, "bytes_out"),
                    "age": round(now - processor.started, 3),
                    "open": True,
                    "upgraded": processor.upgraded is not None,
                    "last_request": f"{head.method} {head.target[:200]}" if head is not None else processor.upgraded_by,
                    "events": (len(record.events) + record.dropped) if record is not None else 0,
                    "recorded": record is not None,
                    "closed_at": None,
                    "close_reason": None,
                }
            )
        live.sort(key=lambda c: -c["id"])
        closed = [r.summary(now) for r in reversed(recorder.closed.values())]
        return {"recording": self.recording, "now": now, "open": live, "closed": closed}

    def connection(self, connection: int) -> dict[str, Any] | None:
        """One connection with its recorded events, or None if unknown."""
        listing = self.connections()
        summary = next((c for c in listing["open"] + listing["closed"] if c["id"] == connection), None)
        record = self.recorder.find(connection)
        if summary is None and record is None:
            return None
        if summary is None:
            assert record is not None
            summary = record.summary(time.time())
        events = self.recorder.events_json(record) if record is not None else []
        return {"connection": summary, "dropped": record.dropped if record is not None else 0, "events": events}

    # -- the pipeline and the counters ------------------------------------------------
    def pipeline(self) -> dict[str, Any]:
        """The configured tree (``GET /inspector/api/pipeline``)."""
        return pipeline_tree(self.server)

    def status(self) -> dict[str, Any]:
        """Counters per connector, context and WebSocket endpoint
        (``GET /inspector/api/status``), like the manager's status page:
        kept by the container at all times, so they count every request,
        traced or not (the inspector's own included)."""
        connectors = []
        contexts = []
        endpoints = []
        for service in self.server.services:
            for connector in service.connectors:
                endpoint = connector.endpoint
                processors = list(endpoint.processors)
                connectors.append(
                    {
                        "name": connector_name(connector),
                        "requests": endpoint.closed_requests + sum(p.requests_served for p in processors),
                        "errors": endpoint.closed_errors + sum(p.errors for p in processors),
                        "bytes_in": endpoint.closed_bytes_in + sum(_bytes(p, "bytes_in") for p in processors),
                        "bytes_out": endpoint.closed_bytes_out + sum(_bytes(p, "bytes_out") for p in processors),
                        "open_connections": sum(1 for p in processors if not self._own(p)),
                    }
                )
            for host in service.engine.hosts.values():
                for path, context in sorted(host.contexts.items()):
                    if not hasattr(context, "web_xml"):
                        continue
                    manager = getattr(context, "manager", None)
                    contexts.append(
                        {
                            "host": host.name,
                            "path": path or "/",
                            "requests": context.request_count,
                            "errors": context.error_count,
                            "sessions_active": manager.get_active_sessions() if manager is not None else 0,
                        }
                    )
                    container = getattr(context, "ws_container", None)
                    if container is None or not hasattr(container, "endpoint_configs"):
                        continue
                    for config in container.endpoint_configs():
                        stats = config.stats
                        endpoints.append(
                            {
                                "context": path or "/",
                                "path": config.path,
                                "class": config.endpoint_class.__name__,
                                "sessions_open": len(container.open_sessions(config)),
                                "sessions_total": stats.sessions_total,
                                "messages_in": stats.messages_in,
                                "messages_out": stats.messages_out,
                                "bytes_in": stats.bytes_in,
                                "bytes_out": stats.bytes_out,
                                "close_codes": {str(k): v for k, v in sorted(stats.close_codes.items())},
                            }
                        )
        recorder = self.recorder
        return {
            "recording": self.recording,
            "since": self.started_at,
            "traced_requests": recorder.admitted,
            "untraced_requests": recorder.passed_over,
            "connectors": connectors,
            "contexts": contexts,
            "websocket": endpoints,
        }
