"""The shared keepalive scheduler: one greenlet asks each scheduled session
when it is due, skips stale entries, and goes away when nothing is left."""

from __future__ import annotations

import time

import gevent

from catalina_py.websocket.keepalive import KeepaliveScheduler, keepalive_scheduler


class Client:
    """Answers each call with the next time from *answers* (None: done)."""

    def __init__(self, *answers: float | None) -> None:
        self.answers = list(answers)
        self.calls: list[float] = []

    def keepalive_due(self, now: float) -> float | None:
        self.calls.append(now)
        return self.answers.pop(0) if self.answers else None


def _settle(scheduler: KeepaliveScheduler, rounds: int = 200) -> None:
    """Let the scheduler run until nothing is scheduled (bounded)."""
    for _ in range(rounds):
        if not len(scheduler):
            break
        gevent.sleep(0.01)
    gevent.sleep(0)


def test_asks_each_client_until_it_is_done_then_the_greenlet_ends() -> None:
    scheduler = KeepaliveScheduler()
    now = time.monotonic()
    first, second = Client(now + 0.02, None), Client(None)
    scheduler.schedule(first, now)
    scheduler.schedule(second, now)
    _settle(scheduler)
    assert len(first.calls) == 2
    assert len(second.calls) == 1
    assert first.calls[1] >= now + 0.02
    assert len(scheduler) == 0
    assert scheduler._greenlet is None


def test_an_earlier_time_wakes_the_sleeping_scheduler_and_the_old_entry_is_stale() -> None:
    scheduler = KeepaliveScheduler()
    client = Client(None)
    scheduler.schedule(client, time.monotonic() + 3600)
    gevent.sleep(0)  # the greenlet now sleeps for an hour
    scheduler.schedule(client, time.monotonic())
    _settle(scheduler)
    assert len(client.calls) == 1  # the hour-later entry is never asked
    assert scheduler._greenlet is None


def test_a_later_time_keeps_the_earlier_entry() -> None:
    scheduler = KeepaliveScheduler()
    client = Client(None)
    now = time.monotonic()
    scheduler.schedule(client, now)
    scheduler.schedule(client, now + 3600)
    _settle(scheduler)
    assert len(client.calls) == 1


def test_an_unregistered_client_is_not_asked() -> None:
    scheduler = KeepaliveScheduler()
    gone, kept = Client(None), Client(None)
    now = time.monotonic()
    scheduler.schedule(gone, now + 0.01)
    scheduler.schedule(kept, now + 0.01)
    scheduler.unregister(gone)
    scheduler.unregister(gone)  # idempotent
    _settle(scheduler)
    assert gone.calls == []
    assert len(kept.calls) == 1


def test_a_client_that_raises_is_dropped_and_the_others_go_on() -> None:
    class Broken:
        def keepalive_due(self, now: float) -> float | None:
            raise RuntimeError("boom")

    scheduler = KeepaliveScheduler()
    client = Client(None)
    now = time.monotonic()
    scheduler.schedule(Broken(), now)
    scheduler.schedule(client, now)
    _settle(scheduler)
    assert len(client.calls) == 1
    assert len(scheduler) == 0


def test_one_scheduler_per_hub() -> None:
    assert keepalive_scheduler() is keepalive_scheduler()


def test_an_unregistered_or_rescheduled_client_is_not_kept_alive_by_the_heap() -> None:
    # Found by bench/hardening/leaks.py: closed sessions stayed reachable from
    # their heap entries until the old due time (up to a ping interval).
    import gc
    import weakref

    scheduler = KeepaliveScheduler()
    later = time.monotonic() + 60
    closed, moved = Client(None), Client(None)
    scheduler.schedule(closed, later)
    scheduler.schedule(moved, later)
    scheduler.schedule(moved, later - 1)  # the first entry of *moved* is now stale
    scheduler.unregister(closed)
    gone = weakref.ref(closed)
    del closed
    gc.collect()
    assert gone() is None
    assert sum(entry.client is moved for entry in scheduler._heap) == 1
    scheduler.unregister(moved)
    gevent.sleep(0)
    assert len(scheduler) == 0


def test_many_sessions_closing_at_once_leave_no_empty_entries_behind() -> None:
    scheduler = KeepaliveScheduler()
    later = time.monotonic() + 60
    clients = [Client(None) for _ in range(200)]
    for client in clients:
        scheduler.schedule(client, later)
    for client in clients[:150]:
        scheduler.unregister(client)
    assert len(scheduler._heap) < 120  # rebuilt once most entries were empty
    assert sum(entry.client is not None for entry in scheduler._heap) == 50
    for client in clients[150:]:
        scheduler.unregister(client)
    gevent.sleep(0)
    assert len(scheduler) == 0
