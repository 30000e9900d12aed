"""``KeepaliveScheduler``: one greenlet for the timers of every WebSocket
session of the process (pings, pong deadlines, idle timeouts, close-reply
deadlines).

What it buys: a session used to have a keepalive greenlet of its own, so
10,000 idle sessions were 10,000 more greenlets (each with its saved stack
and a timer) and every ping round woke each of them twice (the ping, then
the pong). Now a session is an entry in one heap ordered by due time; one
greenlet sleeps until the earliest entry, asks each session that is due what
to do (:meth:`KeepaliveClient.keepalive_due`), and sleeps again. A session
with nothing to time (pings and idle timeout off) is not in the heap at all.

The scheduler never waits for one session: a client's ``keepalive_due``
must return at once (a ping is written only when that cannot block, a close
runs in a greenlet of its own; see ``WsHttpUpgradeHandler``).

Entries are lazy: rescheduling a client earlier pushes a new entry and the
old one is skipped when it comes up (:attr:`_due` holds each client's live
time); a client due later than its entry is simply asked early and answers
with its real time.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import time
from typing import Protocol

import gevent
import gevent.event
from gevent.hub import Hub, get_hub

__all__ = ["KeepaliveClient", "KeepaliveScheduler", "keepalive_scheduler"]

log = logging.getLogger("catalina_py.websocket")

_monotonic = time.monotonic
_INF = float("inf")


class KeepaliveClient(Protocol):
    """A session the scheduler keeps alive."""

    def keepalive_due(self, now: float) -> float | None:
        """Do what is due at *now* without blocking; the next time to be
        asked, or None when there is nothing more to time."""


class KeepaliveScheduler:
    """The keepalive timers of many sessions, run by one greenlet that
    exists only while some session is scheduled."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, KeepaliveClient]] = []
        #: Each scheduled client's live due time (other entries are stale).
        self._due: dict[KeepaliveClient, float] = {}
        self._seq = itertools.count()
        self._wake = gevent.event.Event()
        #: When the greenlet wakes next (inf: not sleeping on a time).
        self._sleeping_until = _INF
        self._greenlet: gevent.Greenlet | None = None

    def __len__(self) -> int:
        """How many clients are scheduled."""
        return len(self._due)

    def schedule(self, client: KeepaliveClient, due: float) -> None:
        """Ask *client* at *due* at the latest (an earlier entry stays)."""
        current = self._due.get(client)
        if current is not None and current <= due:
            return
        self._due[client] = due
        heapq.heappush(self._heap, (due, next(self._seq), client))
        if self._greenlet is None:
            self._greenlet = gevent.spawn(self._run)
        elif due < self._sleeping_until:
            self._wake.set()

    def unregister(self, client: KeepaliveClient) -> None:
        """Forget *client* (idempotent); its entries are dropped when they
        come up."""
        self._due.pop(client, None)

    def _run(self) -> None:
        heap, due_of = self._heap, self._due
        try:
            while due_of:
                now = _monotonic()
                while heap and heap[0][0] <= now:
                    due, _, client = heapq.heappop(heap)
                    if due_of.get(client) != due:
                        continue  # stale: rescheduled earlier, or unregistered
                    del due_of[client]
                    try:
                        following = client.keepalive_due(now)
                    except Exception:
                        log.exception("WebSocket keepalive failed")
                        continue
                    if following is not None:
                        self.schedule(client, following)
                if not due_of:
                    break
                while heap and due_of.get(heap[0][2]) != heap[0][0]:
                    heapq.heappop(heap)  # stale entries need no wake-up
                self._sleeping_until = heap[0][0]
                self._wake.clear()
                self._wake.wait(max(0.0, self._sleeping_until - _monotonic()))
                self._sleeping_until = _INF
        finally:
            heap.clear()
            due_of.clear()
            self._greenlet = None
            self._sleeping_until = _INF


#: One scheduler per gevent hub (per thread that runs a server).
_schedulers: dict[int, tuple[Hub, KeepaliveScheduler]] = {}


def keepalive_scheduler() -> KeepaliveScheduler:
    """The scheduler of the current thread's hub, made on first use."""
    hub = get_hub()
    entry = _schedulers.get(id(hub))
    if entry is None or entry[0] is not hub:
        entry = _schedulers[id(hub)] = (hub, KeepaliveScheduler())
    return entry[1]
