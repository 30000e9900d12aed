"""Endpoint.stop in process, over real loopback sockets: whatever is still
open when the grace ends (a request that never finishes, an upgraded
connection whose handler ignores the stop) is closed by the stop itself,
HTTP and upgraded connections alike."""

from __future__ import annotations

import gevent
import gevent.socket

from catalina_py.config.connector_spec import ConnectorSpec
from catalina_py.connector.endpoint import Endpoint


class StubbornHandler:
    """An upgrade handler that ignores the server's stop."""

    def init(self, connection: object) -> None:
        pass

    def destroy(self) -> None:
        pass

    def server_stopping(self, connection: object) -> None:
        pass


class Token:
    def __init__(self) -> None:
        self.handler = StubbornHandler()


class Adapter:
    """/sleep never answers; /upgrade answers 101 and hands over."""

    def service(self, channel, head) -> None:
        if head.target == "/upgrade":
            channel.upgrade_token = Token()
            channel.commit(101, [("Upgrade", "x"), ("Connection", "Upgrade")], -1, b"")
            return
        gevent.sleep(3600)

    def log_bad_request(self, channel, error) -> None:
        pass

    def error_body(self, status: int, reason: str) -> bytes:
        return b""


def test_stop_closes_what_outlives_the_grace():
    endpoint = Endpoint(ConnectorSpec(port=0, address="127.0.0.1"), Adapter())  # type: ignore[arg-type]
    endpoint.start()
    port = endpoint.bound_port
    clients = []
    try:
        for target in ("/sleep", "/upgrade", "/upgrade"):
            sock = gevent.socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(f"GET {target} HTTP/1.1\r\nHost: a\r\n\r\n".encode())
            clients.append(sock)
        for sock in clients[1:]:
            assert sock.recv(1024).startswith(b"HTTP/1.1 101 ")
        assert len(endpoint.upgraded_pool) == 2 and len(endpoint.pool) == 1
        assert endpoint.upgrade_slots_used == 2
        with gevent.Timeout(30):  # a hang guard, not a measurement
            endpoint.stop(grace=0.5)
        assert len(endpoint.pool) == 0 and len(endpoint.upgraded_pool) == 0
        assert endpoint.upgrade_slots_used == 0
        for sock in clients:
            assert sock.recv(1024) == b""  # closed by the server
    finally:
        for sock in clients:
            sock.close()


class ParkingHandler:
    """Parks its connection at once and ignores the stop; when resumed it
    reads once and returns (so it ends the connection)."""

    def __init__(self) -> None:
        self.connection: object = None
        self.resumed: list[str] = []
        self.destroyed = 0

    def init(self, connection) -> None:
        self.connection = connection
        assert connection.park(self.resume)

    def resume(self) -> None:
        try:
            self.resumed.append(repr(self.connection.get_socket().recv(16)))
        except OSError as exc:
            self.resumed.append(type(exc).__name__)
        self.connection.close()

    def destroy(self) -> None:
        self.destroyed += 1

    def server_stopping(self, connection: object) -> None:
        pass


class ParkingAdapter(Adapter):
    def __init__(self) -> None:
        self.handlers: list[ParkingHandler] = []

    def service(self, channel, head) -> None:
        token = Token()
        token.handler = ParkingHandler()  # type: ignore[assignment]
        self.handlers.append(token.handler)  # type: ignore[arg-type]
        channel.upgrade_token = token
        channel.commit(101, [("Upgrade", "x"), ("Connection", "Upgrade")], -1, b"")


def test_stop_closes_parked_connections_and_their_handlers_end():
    """A parked connection (no greenlet) still open when the grace ends is
    closed by the stop, its handler resumed to see it and destroyed once,
    and its slot given back."""
    adapter = ParkingAdapter()
    endpoint = Endpoint(ConnectorSpec(port=0, address="127.0.0.1"), adapter)  # type: ignore[arg-type]
    endpoint.start()
    port = endpoint.bound_port
    clients = []
    try:
        for _ in range(3):
            sock = gevent.socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(b"GET /upgrade HTTP/1.1\r\nHost: a\r\n\r\n")
            assert sock.recv(1024).startswith(b"HTTP/1.1 101 ")
            clients.append(sock)
        for _ in range(100):
            if len(endpoint.upgraded) == 3 and all(c.parked for c in endpoint.upgraded):
                break
            gevent.sleep(0.01)
        assert all(c.parked for c in endpoint.upgraded) and len(endpoint.upgraded) == 3
        assert len(endpoint.upgraded_pool) == 0 and endpoint.upgrade_slots_used == 3
        with gevent.Timeout(30):  # a hang guard, not a measurement
            endpoint.stop(grace=0.5)
        assert not endpoint.upgraded and not endpoint.processors
        assert endpoint.upgrade_slots_used == 0
        assert [h.resumed for h in adapter.handlers] == [["OSError"]] * 3
        assert [h.destroyed for h in adapter.handlers] == [1, 1, 1]
        for sock in clients:
            assert sock.recv(1024) == b""  # closed by the server
    finally:
        for sock in clients:
            sock.close()


def _connects(port: int) -> bool:
    try:
        gevent.socket.create_connection(("127.0.0.1", port), timeout=5).close()
    except ConnectionRefusedError:
        return False
    return True


def test_a_worker_endpoint_lets_go_of_its_listener_when_the_stop_begins():
    """In a worker process (release_listener_on_pause) the listening socket
    closes at pause, so the kernel gives new connections to the sibling
    workers; otherwise (one process, as before) it stays bound until the
    end of the stop. The name and port stay readable for the events."""
    for release in (False, True):
        endpoint = Endpoint(ConnectorSpec(port=0, address="127.0.0.1"), Adapter())  # type: ignore[arg-type]
        endpoint.release_listener_on_pause = release
        endpoint.start()
        port = endpoint.bound_port
        try:
            endpoint.pause()
            assert _connects(port) is not release
            assert endpoint.bound_port == port and endpoint.name == f"http-gevent-{port}"
        finally:
            endpoint.stop(grace=0.5)


def test_an_endpoint_given_a_listener_keeps_it():
    listener = gevent.socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    endpoint = Endpoint(ConnectorSpec(port=1, address="127.0.0.1"), Adapter())  # type: ignore[arg-type]
    endpoint.listener = listener
    endpoint.bind()
    assert endpoint.listener is listener
    endpoint.start()
    try:
        assert endpoint.bound_port == listener.getsockname()[1]
        assert _connects(endpoint.bound_port)
    finally:
        endpoint.stop(grace=0.5)
