"""Broadcast: send one message to every session of an endpoint, or of a
named group, wherever the sessions are connected.

:class:`Broadcaster` belongs to one ServerContainer (one web application).
``container.broadcast(target, message)`` delivers to the local sessions at
once -- always, with or without a cluster -- and hands the message to the
process's :class:`BroadcastRelay` when one is installed (the Redis cluster,
``catalina_py/cluster/``), which publishes it to the other processes and
instances; each of them delivers it to *its* local sessions with
:meth:`Broadcaster.deliver_remote`. The publishing process never gets its
own message back (the relay filters its own origin), so no session receives
a message twice.

*target* is an endpoint path (it starts with ``/``: every open session of
the endpoint registered at that path, e.g. ``"/websocket/chat"``) or a group
name (every open session added with :meth:`Broadcaster.join`).

Slow consumers: each session's async queue (its
:class:`~catalina_py.websocket.session.AsyncRemote`) holds at most
:attr:`Broadcaster.queue_size` messages waiting to be written. A broadcast
that finds a session's queue full **drops the message for that session
only** and counts it (:attr:`BroadcastStats.dropped`); the session stays
open and gets the next messages once it reads again. (The async queue's own
byte bound, 1 MiB, still closes a session with 1008 when one huge message
would overflow it: counted in :attr:`BroadcastStats.closed`.)
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from .session import SessionClosedError, SlowConsumerError, WsSession

__all__ = [
    "DEFAULT_BROADCAST_QUEUE_SIZE",
    "BroadcastRelay",
    "BroadcastStats",
    "Broadcaster",
    "get_relay",
    "set_relay",
]

log = logging.getLogger("catalina_py.websocket")

#: Messages one session may have waiting in its async queue before a
#: broadcast drops the next ones for it.
DEFAULT_BROADCAST_QUEUE_SIZE = 1000


class BroadcastRelay(Protocol):
    """What carries broadcasts to the other processes (the cluster)."""

    def publish(self, context_key: str, target: str, message: str | bytes) -> None:
        """Hand *message* for *target* of web application *context_key* to
        the other processes; never blocks for long, never raises."""


_relay: BroadcastRelay | None = None
#: The broadcasters of this process by context key, for the relay's deliveries.
_broadcasters: dict[str, Broadcaster] = {}


def set_relay(relay: BroadcastRelay | None) -> None:
    """Install (or, with None, remove) the process's relay."""
    global _relay
    _relay = relay


def get_relay() -> BroadcastRelay | None:
    """The installed relay, or None (one process: local delivery only)."""
    return _relay


def find_broadcaster(context_key: str) -> Broadcaster | None:
    """The broadcaster of the web application *context_key* in this process."""
    return _broadcasters.get(context_key)


@dataclass
class BroadcastStats:
    """Counters of one broadcaster (since the web application started)."""

    #: Broadcasts made in this process (``broadcast`` calls).
    broadcasts: int = 0
    #: Broadcasts received from other processes through the relay.
    received: int = 0
    #: Messages queued to a local session.
    delivered: int = 0
    #: Messages dropped for a session whose queue was full.
    dropped: int = 0
    #: Sessions closed (1008) because a message overflowed their byte bound.
    closed: int = 0


class SessionSource(Protocol):
    """What a broadcaster needs of its ServerContainer."""

    def sessions_at(self, path: str) -> Iterable[WsSession]:
        """The open sessions of the endpoint registered at *path*."""


class Broadcaster:
    """The broadcasts of one web application (see the module text)."""

    queue_size: int = DEFAULT_BROADCAST_QUEUE_SIZE

    def __init__(self, source: SessionSource, context_key: str) -> None:
        self._source = source
        #: Names the web application across processes (its context path).
        self.context_key = context_key
        self._groups: dict[str, set[WsSession]] = {}
        self.stats = BroadcastStats()

    # -- registration (the ServerContainer's start and stop) -----------------
    def register(self) -> None:
        """Receive the relay's deliveries for this web application."""
        _broadcasters[self.context_key] = self

    def unregister(self) -> None:
        """Stop receiving them (the web application stops)."""
        if _broadcasters.get(self.context_key) is self:
            del _broadcasters[self.context_key]

    # -- groups ---------------------------------------------------------------
    def join(self, group: str, session: WsSession) -> None:
        """Add *session* to *group* (left again when it closes)."""
        _check_group(group)
        self._groups.setdefault(group, set()).add(session)

    def leave(self, group: str, session: WsSession) -> None:
        """Take *session* out of *group* (nothing if it is not in it)."""
        members = self._groups.get(group)
        if members is not None:
            members.discard(session)
            if not members:
                del self._groups[group]

    def session_closed(self, session: WsSession) -> None:
        """A session ended: out of every group."""
        for group in [name for name, members in self._groups.items() if session in members]:
            self.leave(group, session)

    def recipients(self, target: str) -> list[WsSession]:
        """The open local sessions *target* names."""
        if target.startswith("/"):
            return [s for s in self._source.sessions_at(target) if s.is_open()]
        return [s for s in self._groups.get(target, ()) if s.is_open()]

    # -- sending ---------------------------------------------------------------
    def broadcast(self, target: str, message: str | bytes, exclude: WsSession | None = None) -> int:
        """Send *message* (text or binary) to every session *target* names,
        here and, through the relay, in every other process. *exclude* (a
        local session, e.g. the sender) is left out. Returns the number of
        local sessions it was queued to. Never waits for a write."""
        if not isinstance(message, (str, bytes)):
            raise TypeError(f"a broadcast message is a str or bytes, not {type(message).__name__}")
        if not target.startswith("/"):
            _check_group(target)
        self.stats.broadcasts += 1
        relay = _relay
        if relay is not None:
            relay.publish(self.context_key, target, message)
        return self._deliver(target, message, exclude)

    def deliver_remote(self, target: str, message: str | bytes) -> int:
        """A broadcast made in another process: deliver it locally."""
        self.stats.received += 1
        return self._deliver(target, message, None)

    def _deliver(self, target: str, message: str | bytes, exclude: WsSession | None) -> int:
        stats = self.stats
        limit = self.queue_size
        text = isinstance(message, str)
        queued = 0
        for session in self.recipients(target):
            if session is exclude:
                continue
            if session.queued_messages() >= limit:
                stats.dropped += 1
                continue
            remote = session.get_async_remote()
            try:
                future = remote.send_text(message) if text else remote.send_binary(message)  # type: ignore[arg-type]
            except Exception as exc:  # the session is closing; go on
                log.debug("broadcast to session %s failed: %s", session.get_id(), exc)
                continue
            if future is not None and future.done():
                error = future.exception(0)
                if isinstance(error, SlowConsumerError):
                    stats.closed += 1
                    continue
                if isinstance(error, SessionClosedError):
                    continue
            stats.delivered += 1
            queued += 1
        return queued


def _check_group(group: str) -> None:
    if not isinstance(group, str) or not group:
        raise ValueError("a broadcast group is a non-empty str (an endpoint path starts with '/')")
