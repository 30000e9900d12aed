"""Parked WebSockets on a real server: a connection that read nothing for
``webSocketParkAfter`` gives up its greenlet, and everything a session
does still works while it has none (docs/architecture.md "Parked
connections"): its next message, the server's pings and the peer's pongs,
the idle timeout, messages other sessions send it, a peer that vanishes.

A server process with ``webSocketParkAfter="0.1"`` (parked within 0.1 to
0.2 s of the last read) and pings every second (a connection
wakes for each pong and parks again); the inspector shows which
connections are parked; the independent ``websockets`` client and raw
sockets talk to it.
"""

from __future__ import annotations

import socket
import time
from typing import Any

import pytest
import requests
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.server import REPO, TEST_WEBAPPS, CatalinaProcess

ATTRS = 'webSocketParkAfter="0.1" webSocketPingInterval="1" webSocketPingTimeout="2"'


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    proc = CatalinaProcess(
        tmp_path_factory.mktemp("parking"),
        webapps={"ws": TEST_WEBAPPS / "ws", "inspector": REPO / "webapps" / "inspector"},
        connector_attrs=ATTRS,
    )
    proc.start()
    yield proc
    proc.stop()


def wait_for(predicate: Any, timeout: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def states(server: CatalinaProcess) -> list[str]:
    """The inspector's state of every open upgraded connection."""
    answer = requests.get(f"{server.url}/inspector/api/connections", timeout=5).json()
    return [c["state"] for c in answer["open"] if c["upgraded"]]


def all_parked(server: CatalinaProcess, count: int) -> bool:
    found = states(server)
    return len(found) == count and all(state == "upgraded, parked" for state in found)


def events(server: CatalinaProcess) -> list[dict]:
    return requests.get(f"{server.url}/ws/events", timeout=5).json()


def test_a_parked_connection_is_shown_and_answers_its_next_message(server):
    with connect(f"ws://127.0.0.1:{server.port}/ws/echo") as ws:
        ws.send("first")
        assert ws.recv(timeout=5) == "first"
        assert wait_for(lambda: all_parked(server, 1)), states(server)
        for round_ in range(3):
            ws.send(f"after parking {round_}")
            assert ws.recv(timeout=5) == f"after parking {round_}"
            assert wait_for(lambda: all_parked(server, 1)), states(server)
    assert wait_for(lambda: states(server) == [])


def test_pings_and_pongs_go_on_across_parking(server):
    """Every ping round wakes the parked connection (the pong is read) and
    it parks again; a peer that answers is never dropped."""
    with connect(f"ws://127.0.0.1:{server.port}/ws/echo") as ws:
        assert wait_for(lambda: all_parked(server, 1)), states(server)
        time.sleep(3.5)  # three ping rounds, each answered by the client
        ws.send("still here")
        assert ws.recv(timeout=5) == "still here"
        pong = ws.ping(b"from the client")
        assert pong.wait(5), "no pong from a parked connection"


def test_the_idle_timeout_closes_a_parked_session(server):
    before = len(events(server))
    with (
        connect(f"ws://127.0.0.1:{server.port}/ws/idle", ping_interval=None) as ws,
        pytest.raises(ConnectionClosed) as closed,
    ):
        ws.recv(timeout=10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001
    closes = [e for e in events(server)[before:] if e.get("endpoint") == "idle"]
    assert closes and closes[-1]["code"] == 1001 and closes[-1]["reason"] == "session idle timeout"


def test_messages_from_other_sessions_reach_parked_ones(server):
    """Sending needs no reader: a broadcast reaches sessions that are parked."""
    url = f"ws://127.0.0.1:{server.port}/ws/broadcast"
    with connect(url) as first, connect(url) as second, connect(url) as third:
        assert wait_for(lambda: all_parked(server, 3)), states(server)
        first.send("to everyone")
        assert second.recv(timeout=5) == "to everyone"
        assert third.recv(timeout=5) == "to everyone"
        assert first.recv(timeout=5) == "to everyone"


def test_a_peer_gone_while_parked_ends_its_session(server):
    """A connection that vanishes (no close frame) while parked: the end of
    the stream resumes it, the session closes with 1006 and the connection
    leaves the server's books."""
    before = len(events(server))
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    sock.sendall(
        b"GET /ws/echo HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(4096)
    assert head.startswith(b"HTTP/1.1 101 ")
    assert wait_for(lambda: all_parked(server, 1)), states(server)
    sock.close()
    assert wait_for(lambda: states(server) == []), states(server)
    closes = [e for e in events(server)[before:] if e.get("event") == "close" and e.get("endpoint") == "echo"]
    assert closes and closes[-1]["code"] == 1006, closes


def test_the_event_stream_shows_parking_and_resuming(server):
    """A learner watching the connection sees when it parks and why, and
    how long it was parked when its next message woke it."""
    answer = requests.post(f"{server.url}/inspector/api/recording", data={"on": "true"}, timeout=5)
    assert answer.status_code == 200
    try:
        with connect(f"ws://127.0.0.1:{server.port}/ws/echo?watched=parking") as ws:
            assert wait_for(lambda: all_parked(server, 1)), states(server)
            ws.send("wake up")
            assert ws.recv(timeout=5) == "wake up"
        found = None
        deadline = time.monotonic() + 5
        while found is None and time.monotonic() < deadline:
            for summary in requests.get(f"{server.url}/inspector/api/connections", timeout=5).json()["closed"]:
                record = requests.get(f"{server.url}/inspector/api/connections/{summary['id']}", timeout=5).json()
                if any(e["event"] == "ConnectionParked" for e in record["events"]):
                    found = record
                    break
            else:
                time.sleep(0.1)
    finally:
        requests.post(f"{server.url}/inspector/api/recording", data={"on": "false"}, timeout=5)
    assert found is not None, "no recorded connection with a ConnectionParked event"
    names = [e["event"] for e in found["events"]]
    parked = names.index("ConnectionParked")
    resumed = names.index("ConnectionResumed")
    assert names.index("WebSocketOpened") < parked < resumed < names.index("MessageReceived")
    event = found["events"][parked]
    assert "opened with nothing to read" in event["summary"], event
    assert found["events"][resumed]["fields"]["parked_for"] > 0
