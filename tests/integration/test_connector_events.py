"""The connector reports a connection's life to the event stream: a real
Endpoint on loopback, an adapter of the test's own (no container), and an
observer that records what it is told."""

from __future__ import annotations

import gevent
import gevent.socket

from catalina_py.config.connector_spec import ConnectorSpec
from catalina_py.connector.endpoint import Connector
from catalina_py.events import (
    BUS,
    BytesReceived,
    BytesSent,
    ConnectionAccepted,
    ConnectionClosed,
    Event,
    KeepAliveDecided,
    RequestHeadParsed,
    ResponseCommitted,
    Upgraded,
)


class Recorder:
    def __init__(self) -> None:
        self.events: list[Event] = []

    def on_event(self, event: Event) -> None:
        self.events.append(event)

    def of(self, kind: type) -> list:
        return [e for e in self.events if type(e) is kind]


class EchoHandler:
    """An upgrade handler that greets and closes."""

    def init(self, connection) -> None:
        connection.sendall(b"hi " + connection.take_leftover())
        connection.close()

    def destroy(self) -> None:
        pass

    def server_stopping(self, connection) -> None:
        connection.close()


class Token:
    def __init__(self) -> None:
        self.handler = EchoHandler()


class Adapter:
    def service(self, channel, head) -> None:
        if head.target == "/upgrade":
            channel.upgrade_token = Token()
            channel.commit(101, [("Upgrade", "echo"), ("Connection", "Upgrade")], -1, None)
            return
        if head.target == "/stream":
            channel.commit(200, [("Content-Type", "text/plain")], -1, None)
            channel.write_body(b"abc")
            channel.end_body()
            return
        channel.commit(200, [("Content-Type", "text/plain")], -1, b"hello")

    def log_bad_request(self, channel, error) -> None:
        pass

    def error_body(self, status: int, reason: str) -> bytes:
        return b"bad"


def exchange(port: int, request: bytes) -> bytes:
    sock = gevent.socket.create_connection(("127.0.0.1", port))
    try:
        sock.sendall(request)
        chunks = []
        with gevent.Timeout(5):
            while True:
                data = sock.recv(65536)
                if not data:
                    break
                chunks.append(data)
        return b"".join(chunks)
    finally:
        sock.close()


def test_a_request_over_loopback_is_told_as_events() -> None:
    connector = Connector(ConnectorSpec(port=0, address="127.0.0.1"), Adapter())
    connector.start()
    port = connector.port
    recorder = Recorder()
    BUS.subscribe(recorder)
    try:
        request = (
            b"GET /a HTTP/1.1\r\nHost: localhost\r\n\r\n"
            b"GET /stream HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        )
        answer = exchange(port, request)
        with gevent.Timeout(5):
            while not recorder.of(ConnectionClosed):
                gevent.sleep(0.01)
    finally:
        BUS.unsubscribe(recorder)
        connector.stop(grace=1)
    assert answer.count(b"HTTP/1.1 200 ") == 2 and answer.endswith(b"3\r\nabc\r\n0\r\n\r\n")
    kinds = [type(e).__name__ for e in recorder.events]
    assert kinds[0] == "ConnectionAccepted" and kinds[-1] == "ConnectionClosed"
    accepted = recorder.of(ConnectionAccepted)[0]
    assert accepted.remote_addr == "127.0.0.1" and accepted.local_port == port
    conn = accepted.connection
    assert conn > 0 and all(e.connection == conn for e in recorder.events)
    heads = recorder.of(RequestHeadParsed)
    assert [(h.method, h.target, h.body) for h in heads] == [("GET", "/a", "none"), ("GET", "/stream", "none")]
    assert ("Host", "localhost") in heads[0].headers
    committed = recorder.of(ResponseCommitted)
    assert [(c.status, c.framing) for c in committed] == [(200, "content-length"), (200, "chunked")]
    assert committed[0].content_length == 5 and ("Content-Length", "5") in committed[0].headers
    assert committed[1].reason == "streamed body of unknown length on HTTP/1.1"
    decided = recorder.of(KeepAliveDecided)
    assert [d.keep_alive for d in decided] == [True, False]
    assert decided[1].reason == "the client sent Connection: close"
    received = b"".join(e.data for e in recorder.of(BytesReceived))
    sent = b"".join(e.data for e in recorder.of(BytesSent))
    assert received == request and sent == answer
    closed = recorder.of(ConnectionClosed)[0]
    assert (closed.requests, closed.bytes_in, closed.bytes_out) == (2, len(request), len(answer))
    assert closed.duration >= 0 and closed.reason


def test_an_upgrade_is_told_as_events() -> None:
    connector = Connector(ConnectorSpec(port=0, address="127.0.0.1"), Adapter())
    connector.start()
    recorder = Recorder()
    BUS.subscribe(recorder)
    try:
        answer = exchange(connector.port, b"GET /upgrade HTTP/1.1\r\nHost: localhost\r\n\r\nearly")
        with gevent.Timeout(5):
            while not recorder.of(ConnectionClosed):
                gevent.sleep(0.01)
    finally:
        BUS.unsubscribe(recorder)
        connector.stop(grace=1)
    assert answer.startswith(b"HTTP/1.1 101 ") and answer.endswith(b"\r\n\r\nhi early")
    committed = recorder.of(ResponseCommitted)
    assert [(c.status, c.framing) for c in committed] == [(101, "switching-protocols")]
    upgraded = recorder.of(Upgraded)
    assert [(u.handler, u.leftover) for u in upgraded] == [("EchoHandler", 5)]
    assert recorder.of(ConnectionClosed)[0].requests == 1


def test_no_event_is_built_without_a_subscriber() -> None:
    assert not BUS.active
    connector = Connector(ConnectorSpec(port=0, address="127.0.0.1"), Adapter())
    connector.start()
    try:
        assert exchange(connector.port, b"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n").startswith(
            b"HTTP/1.1 200 "
        )
    finally:
        connector.stop(grace=1)
