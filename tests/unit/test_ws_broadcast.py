"""The WebSocket broadcast (catalina_py/websocket/broadcast.py): targets
(endpoint path, group), ``exclude``, text and binary, the slow-consumer
drop, and the relay: published once, delivered by the other process,
never back to the sender's process."""

from __future__ import annotations

import pytest

from catalina_py.websocket import broadcast
from catalina_py.websocket.broadcast import Broadcaster


class Done:
    def done(self):
        return True

    def exception(self, timeout=None):
        return None


class Peer:
    """A session as the broadcaster sees it: open, its queue length, an
    async remote that records what it is given."""

    def __init__(self, name, queued=0):
        self.name, self.queued, self.got, self.open = name, queued, [], True

    def get_id(self):
        return self.name

    def is_open(self):
        return self.open

    def queued_messages(self):
        return self.queued

    def get_async_remote(self):
        return self

    def send_text(self, text):
        self.got.append(text)
        return Done()

    def send_binary(self, data):
        self.got.append(bytes(data))
        return Done()


class Endpoints:
    def __init__(self, **paths):
        self.paths = paths

    def sessions_at(self, path):
        return self.paths.get(path, [])


class Relay:
    def __init__(self):
        self.published = []

    def publish(self, context_key, target, message):
        self.published.append((context_key, target, message))


@pytest.fixture
def relay(monkeypatch):
    relay = Relay()
    monkeypatch.setattr(broadcast, "_relay", relay)
    return relay


def test_endpoint_path_group_exclude_and_binary():
    a, b, c = Peer("a"), Peer("b"), Peer("c")
    caster = Broadcaster(Endpoints(**{"/chat": [a, b]}), "/app")
    assert caster.broadcast("/chat", "hi") == 2
    assert caster.broadcast("/chat", "not to a", exclude=a) == 1
    b.open = False
    assert caster.broadcast("/chat", "b closed") == 1
    caster.join("room", c)
    caster.join("room", a)
    assert caster.broadcast("room", b"\x00\x01") == 2
    caster.session_closed(a)
    assert caster.broadcast("room", "only c") == 1
    assert a.got == ["hi", "b closed", b"\x00\x01"]
    assert b.got == ["hi", "not to a"]
    assert c.got == [b"\x00\x01", "only c"]
    assert caster.broadcast("/nothing/here", "x") == 0
    with pytest.raises(TypeError):
        caster.broadcast("/chat", 42)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        caster.join("", c)


def test_a_full_queue_drops_the_message_for_that_session_only():
    fast, slow = Peer("fast"), Peer("slow", queued=3)
    caster = Broadcaster(Endpoints(**{"/chat": [fast, slow]}), "/app")
    caster.queue_size = 3
    assert caster.broadcast("/chat", "one") == 1
    slow.queued = 2
    assert caster.broadcast("/chat", "two") == 2
    assert (fast.got, slow.got) == (["one", "two"], ["two"])
    assert (caster.stats.dropped, caster.stats.delivered, caster.stats.broadcasts) == (1, 3, 2)


def test_the_relay_carries_a_broadcast_once(relay):
    here, there = Peer("here"), Peer("there")
    sender = Broadcaster(Endpoints(**{"/chat": [here]}), "/app")
    receiver = Broadcaster(Endpoints(**{"/chat": [there]}), "/app")
    sender.broadcast("/chat", "hello")
    assert relay.published == [("/app", "/chat", "hello")]
    # The other process delivers what the relay brought, and does not publish it again.
    assert receiver.deliver_remote("/chat", "hello") == 1
    assert relay.published == [("/app", "/chat", "hello")]
    assert (here.got, there.got) == (["hello"], ["hello"])
    assert receiver.stats.received == 1


def test_registered_broadcasters_are_found_by_context():
    caster = Broadcaster(Endpoints(), "/shop")
    caster.register()
    try:
        assert broadcast.find_broadcaster("/shop") is caster
    finally:
        caster.unregister()
    assert broadcast.find_broadcaster("/shop") is None
