"""The examples' echo endpoint driven by ``wsproto``, a second independent
client: a strict sans-I/O implementation of RFC 6455 and RFC 7692 (it
checks the server's handshake, frame bits, UTF-8 and close codes itself
and raises on anything wrong), on a plain socket to a real server.

``websockets`` (the other client the suite uses) and ``wsproto`` share no
code, so a behaviour both accept is not an accident of one library.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest
from wsproto import ConnectionType, WSConnection
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Event,
    Message,
    Ping,
    Pong,
    RejectConnection,
    RejectData,
    Request,
    TextMessage,
)
from wsproto.extensions import PerMessageDeflate

from tests.server import CatalinaProcess

#: Upper bound of one wait for the server, in seconds.
WAIT = 5.0
ECHO = "/examples/websocket/echo"


class Client:
    """A wsproto client connection over a blocking socket."""

    def __init__(self, port: int, path: str = ECHO, deflate: bool = False) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
        self.ws = WSConnection(ConnectionType.CLIENT)
        self.pending: list[Event] = []
        extensions = [PerMessageDeflate()] if deflate else []
        self.send(Request(host=f"127.0.0.1:{port}", target=path, extensions=extensions))

    def send(self, event: Event) -> None:
        self.sock.sendall(self.ws.send(event))

    def next_event(self) -> Event:
        """The next event from the server (reads as needed, bounded by WAIT)."""
        deadline = time.monotonic() + WAIT
        while not self.pending:
            for event in self.ws.events():
                self.pending.append(event)
            if self.pending:
                break
            if time.monotonic() > deadline:
                raise TimeoutError("no event from the server")
            data = self.sock.recv(65536)
            self.ws.receive_data(data or None)
            if not data and not self.pending:
                self.pending.extend(self.ws.events())
                if not self.pending:
                    raise ConnectionError("the server closed the connection with no event")
        return self.pending.pop(0)

    def message(self) -> str | bytes:
        """The next whole message (joining parts), answering no ping."""
        parts: list[str | bytes] = []
        for _ in range(100_000):
            event = self.next_event()
            assert isinstance(event, Message), event
            parts.append(event.data)
            if event.message_finished:
                break
        return "".join(parts) if isinstance(parts[0], str) else b"".join(parts)  # type: ignore[arg-type]

    def close(self, code: int = 1000) -> CloseConnection:
        """Send a close and return the server's reply."""
        self.send(CloseConnection(code=code))
        reply = self.next_event()
        assert isinstance(reply, CloseConnection), reply
        self.sock.close()
        return reply


@pytest.fixture
def open_client(catalina: CatalinaProcess) -> Iterator[type[Client]]:
    clients: list[Client] = []

    def make(path: str = ECHO, deflate: bool = False) -> Client:
        client = Client(catalina.port, path, deflate)
        clients.append(client)
        accepted = client.next_event()
        assert isinstance(accepted, AcceptConnection), accepted
        return client

    yield make  # type: ignore[misc]
    for client in clients:
        client.sock.close()


@pytest.mark.parametrize("deflate", [False, True], ids=["plain", "permessage-deflate"])
def test_echo_text_and_binary(open_client, deflate: bool) -> None:
    client = open_client(deflate=deflate)
    for text in ["", "hello", "é" * 1000, "x" * 70_000]:
        client.send(TextMessage(data=text))
        assert client.message() == text
    for blob in [b"", bytes(range(256)), bytes(200_000)]:
        client.send(BytesMessage(data=blob))
        assert client.message() == blob
    reply = client.close()
    assert reply.code == 1000


def test_deflate_is_negotiated(catalina: CatalinaProcess) -> None:
    client = Client(catalina.port, deflate=True)
    accepted = client.next_event()
    assert isinstance(accepted, AcceptConnection)
    assert [ext.name for ext in accepted.extensions] == ["permessage-deflate"]
    client.send(TextMessage(data="compress me " * 100))
    assert client.message() == "compress me " * 100
    assert client.close().code == 1000


def test_fragmented_message_is_echoed_whole(open_client) -> None:
    client = open_client()
    pieces = ["first ", "second ", "third"]
    for i, piece in enumerate(pieces):
        client.send(TextMessage(data=piece, message_finished=i == len(pieces) - 1))
    assert client.message() == "".join(pieces)
    client.close()


def test_ping_gets_its_pong(open_client) -> None:
    client = open_client()
    client.send(Ping(payload=b"are you there"))
    event = client.next_event()
    assert isinstance(event, Pong) and event.payload == b"are you there"
    client.close()


def test_close_code_and_reason_are_answered(open_client) -> None:
    client = open_client()
    reply = client.close(code=4000)
    # The endpoint does not choose a code: the server echoes the client's (RFC 6455 5.5.1).
    assert reply.code == 4000


def test_plain_get_is_rejected_with_426(catalina: CatalinaProcess) -> None:
    """A request the handshake cannot accept (no Sec-WebSocket-Key and
    friends) reaches wsproto as a rejection with the 426 this container
    gives a plain GET of an endpoint."""
    sock = socket.create_connection(("127.0.0.1", catalina.port), timeout=WAIT)
    try:
        sock.sendall(f"GET {ECHO} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        head = b""
        while b"\r\n\r\n" not in head and len(head) < 65536:
            chunk = sock.recv(65536)
            if not chunk:
                break
            head += chunk
    finally:
        sock.close()
    assert head.startswith(b"HTTP/1.1 426 ")


def test_unknown_endpoint_is_rejected(catalina: CatalinaProcess) -> None:
    client = Client(catalina.port, path="/examples/websocket/no-such-endpoint")
    event = client.next_event()
    assert isinstance(event, RejectConnection), event
    assert event.status_code == 404
    body = b""
    while event.has_body:
        data = client.next_event()
        assert isinstance(data, RejectData), data
        body += data.data
        if data.body_finished:
            break
    assert b"404" in body
    client.sock.close()
