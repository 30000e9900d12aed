"""StandardManager with a shared session store (the ``<Cluster>``'s Redis
in production; here :class:`MemoryStore`, a dict behind the same
protocol, so that two managers act as two instances): a session made by
one is found by the other, changes travel, invalidation deletes, the
attributes must be plain data, and a store that is down leaves the
process's own copies in use."""

from __future__ import annotations

import json

import pytest

from catalina_py.session import StandardManager
from catalina_py.session.store import SavedSession, StoreUnavailableError, parse_saved_session
from tests.unit.test_session import make_context


class MemoryStore:
    """The SharedSessionStore protocol over a dict of JSON texts (as Redis
    keeps them); ``down`` makes every call fail as an unreachable Redis."""

    def __init__(self) -> None:
        self.records: dict[str, str] = {}
        self.down = False

    def _check(self) -> None:
        if self.down:
            raise StoreUnavailableError("down")

    def load_session(self, context_key: str, session_id: str) -> SavedSession | None:
        self._check()
        text = self.records.get(f"{context_key}:{session_id}")
        return None if text is None else parse_saved_session(text)

    def save_session(self, context_key: str, saved: SavedSession) -> None:
        self._check()
        self.records[f"{context_key}:{saved.id}"] = json.dumps(saved.to_json())

    def delete_session(self, context_key: str, session_id: str) -> None:
        self._check()
        self.records.pop(f"{context_key}:{session_id}", None)


@pytest.fixture
def store(monkeypatch):
    store = MemoryStore()
    monkeypatch.setattr(StandardManager, "session_store", store)
    return store


def make_manager(tmp_path, name: str) -> StandardManager:
    folder = tmp_path / name
    folder.mkdir()
    manager = StandardManager(make_context(folder), sweep_seconds=0, pathname=str(folder / "SESSIONS.json"))
    manager.start()
    return manager


def test_a_session_made_on_one_instance_is_found_on_the_other(tmp_path, store):
    one, two = make_manager(tmp_path, "one"), make_manager(tmp_path, "two")
    assert one.pathname is None  # no sessions file with a shared store
    session = one.create_session()
    assert f"/app:{session.get_id()}" in store.records  # stored at creation
    session.set_attribute("cart", {"items": [1, 2], "total": 9.5})
    one.session_used(session)  # the end of the request
    other = two.find_session(session.get_id())
    assert other is not None and other is not session
    assert other.get_attribute("cart") == {"items": [1, 2], "total": 9.5}
    other.set_attribute("cart", {"items": [], "total": 0})
    two.session_used(other)
    assert one.find_session(session.get_id()).get_attribute("cart") == {"items": [], "total": 0}
    other.invalidate()  # deleted from the store: gone on one too
    assert store.records == {}
    assert one.find_session(session.get_id()) is None
    one.stop()
    two.stop()


@pytest.mark.parametrize("value", [("a", "tuple"), {1: "int key"}, object(), float("nan"), {"deep": [set()]}], ids=repr)
def test_attributes_must_be_plain_data(tmp_path, store, value):
    manager = make_manager(tmp_path, "one")
    session = manager.create_session()
    with pytest.raises(TypeError, match=r"session attribute \[bad\]: .*stored in Redis as JSON"):
        session.set_attribute("bad", value)
    assert session.get_attribute("bad") is None
    manager.stop()


def test_a_store_that_is_down_leaves_the_local_copies(tmp_path, store):
    manager = make_manager(tmp_path, "one")
    session = manager.create_session()
    session.set_attribute("n", 1)
    store.down = True
    assert manager.find_session(session.get_id()) is session  # the process's own copy
    session.set_attribute("n", 2)
    manager.session_used(session)  # skipped, not raised
    session.invalidate()  # the delete is skipped too
    store.down = False
    assert json.loads(store.records[f"/app:{session.get_id()}"])["attributes"] == {}  # stored at creation only
    manager.stop()


def test_stop_keeps_the_sessions_in_the_store(tmp_path, store):
    manager = make_manager(tmp_path, "one")
    session = manager.create_session()
    manager.session_used(session)
    manager.stop()
    assert f"/app:{session.get_id()}" in store.records
    assert not (tmp_path / "one" / "SESSIONS.json").exists()


def test_without_a_store_nothing_changes(tmp_path):
    manager = make_manager(tmp_path, "one")
    session = manager.create_session()
    session.set_attribute("anything", object())  # no store: any value, as before
    assert manager.store is None and manager.pathname is not None
    manager.stop()
