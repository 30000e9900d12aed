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
old one is skipped when it comes up (:attr:`_entries` holds each client's
live entry); a client due later than its entry is simply asked early and
answers with its real time. A replaced or unregistered entry lets go of its
client at once (its slot is set to None), so a closed session is not kept
alive by the heap until its old due time (up to a ping interval later).
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


class _Entry:
    """One place in the heap: *client* is due at *due*; None once the entry
    was replaced or the client unregistered (then it holds nothing alive)."""

    __slots__ = ("due", "seq", "client")

    def __init__(self, due: float, seq: int, client: KeepaliveClient) -> None:
        self.due = due
        self.seq = seq
        self.client: KeepaliveClient | None = client

    def __lt__(self, other: _Entry) -> bool:
        return (self.due, self.seq) < (other.due, other.seq)


class KeepaliveScheduler:
    """The keepalive timers of many sessions, run by one greenlet that
    exists only while some session is scheduled."""

    def __init__(self) -> None:
        self._heap: list[_Entry] = []
        self._entries: dict[KeepaliveClient, _Entry] = {}
        #: Empty entries still in the heap; past half of it, it is rebuilt.
        self._stale = 0
        self._seq = itertools.count()
        self._wake = gevent.event.Event()
        self._sleeping_until = _INF
        self._greenlet: gevent.Greenlet | None = None

    def __len__(self) -> int:
        """How many clients are scheduled."""
        return len(self._entries)

    def schedule(self, client: KeepaliveClient, due: float) -> None:
        """Ask *client* at *due* at the latest (an earlier entry stays)."""
        current = self._entries.get(client)
        if current is not None:
            if current.due <= due:
                return
            current.client = None  # replaced: the stale entry keeps nothing alive
            self._stale += 1
        entry = self._entries[client] = _Entry(due, next(self._seq), client)
        heapq.heappush(self._heap, entry)
        if self._greenlet is None:
            self._greenlet = gevent.spawn(self._run)
        elif due < self._sleeping_until:
            self._wake.set()

    def unregister(self, client: KeepaliveClient) -> None:
        """Forget *client* (idempotent); its entry stays in the heap, empty,
        until it comes up."""
        entry = self._entries.pop(client, None)
        if entry is not None:
            entry.client = None
            self._stale += 1
            if self._stale > 64 and self._stale * 2 > len(self._heap):
                # Many sessions closed at once: drop their empty entries
                # now rather than one by one at their old due times.
                self._heap[:] = [e for e in self._heap if e.client is not None]
                heapq.heapify(self._heap)
                self._stale = 0

    def _run(self) -> None:
        heap, entries = self._heap, self._entries
        try:
            while entries:
                now = _monotonic()
                while heap and heap[0].due <= now:
                    client = heapq.heappop(heap).client
                    if client is None:
                        self._stale -= 1
                        continue  # stale: rescheduled earlier, or unregistered
                    del entries[client]
                    try:
                        following = client.keepalive_due(now)
                    except Exception:
                        log.exception("WebSocket keepalive failed")
                        continue
                    if following is not None:
                        self.schedule(client, following)
                if not entries:
                    break
                while heap and heap[0].client is None:
                    heapq.heappop(heap)  # stale entries need no wake-up
                    self._stale -= 1
                self._sleeping_until = heap[0].due
                self._wake.clear()
                self._wake.wait(max(0.0, self._sleeping_until - _monotonic()))
                self._sleeping_until = _INF
        finally:
            heap.clear()
            entries.clear()
            self._stale = 0
            self._greenlet = None
            self._sleeping_until = _INF


_schedulers: dict[int, tuple[Hub, KeepaliveScheduler]] = {}


def keepalive_scheduler() -> KeepaliveScheduler:
    """The scheduler of the current thread's hub, made on first use."""
    hub = get_hub()
    entry = _schedulers.get(id(hub))
    if entry is None or entry[0] is not hub:
        entry = _schedulers[id(hub)] = (hub, KeepaliveScheduler())
    return entry[1]
