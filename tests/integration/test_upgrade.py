"""The generic Servlet 3.1 upgrade (request.upgrade + HttpUpgradeHandler)
over real sockets, with a line protocol that is not WebSocket (webapp
tests/integration/webapps/wsupgrade)."""

from __future__ import annotations

import socket
import time

import pytest
import requests

from tests.server import TEST_WEBAPPS, CatalinaProcess


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    proc = CatalinaProcess(tmp_path_factory.mktemp("upgrade_base"), webapps={"up": TEST_WEBAPPS / "wsupgrade"})
    proc.start()
    yield proc
    proc.stop()


def request_bytes(path: str, upgrade: str = "linecase") -> bytes:
    return (
        f"GET /up{path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: {upgrade}\r\n" "Connection: Upgrade\r\n\r\n"
    ).encode()


class LineClient:
    def __init__(self, port: int, path: str, first: bytes = b"") -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.sock.sendall(request_bytes(path) + first)
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            assert chunk, self.buf
            self.buf += chunk
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        self.head = head.decode()

    def line(self) -> bytes:
        while b"\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise EOFError(self.buf)
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line

    def eof(self) -> bool:
        try:
            return self.sock.recv(4096) == b""
        except ConnectionResetError:
            return True


def events(server) -> list[str]:
    return requests.get(f"{server.url}/up/events", timeout=5).json()


def test_upgrade_sends_101_with_the_servlets_headers_and_hands_over_the_socket(server):
    client = LineClient(server.port, "/upgrade?prefix=%23")
    status_line, *headers = client.head.split("\r\n")
    assert status_line == "HTTP/1.1 101 Switching Protocols"
    lowered = [h.lower() for h in headers]
    assert "upgrade: linecase" in lowered and "connection: upgrade" in lowered
    assert not any(h.startswith(("content-length", "transfer-encoding")) for h in lowered)
    client.sock.sendall(b"hello\nworld\n")
    assert client.line() == b"#HELLO"
    assert client.line() == b"#WORLD"
    client.sock.sendall(b"quit\n")
    assert client.line() == b"bye"
    assert client.eof()
    deadline = time.monotonic() + 5
    while "destroy" not in events(server) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "destroy" in events(server)


def test_bytes_sent_with_the_request_reach_the_handler(server):
    client = LineClient(server.port, "/upgrade", first=b"early\n")
    assert client.line() == b">EARLY"
    assert any(e == "init leftover=6" for e in events(server))
    client.sock.close()


def test_the_connection_stays_open_after_init_returns(server):
    client = LineClient(server.port, "/spawn")
    time.sleep(0.2)
    client.sock.sendall(b"later\n")
    assert client.line() == b">LATER"
    client.sock.sendall(b"quit\n")
    assert client.line() == b"bye"
    assert client.eof()


def test_a_filter_can_upgrade(server):
    client = LineClient(server.port, "/filtered")
    assert client.head.startswith("HTTP/1.1 101")
    client.sock.sendall(b"x\n")
    assert client.line() == b">X"
    client.sock.close()


def test_no_upgrade_when_the_response_is_not_101(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(request_bytes("/regret"))
        data = b""
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    assert data.startswith(b"HTTP/1.1 503")


def test_http_keeps_working_beside_upgraded_connections(server):
    client = LineClient(server.port, "/upgrade")
    response = requests.get(f"{server.url}/up/upgrade", timeout=5)
    assert response.status_code == 400  # no Upgrade header: the servlet refuses
    client.sock.sendall(b"still\n")
    assert client.line() == b">STILL"
    client.sock.close()


def test_graceful_stop_closes_upgraded_connections(tmp_path):
    proc = CatalinaProcess(tmp_path / "base", webapps={"up": TEST_WEBAPPS / "wsupgrade"})
    proc.start()
    try:
        client = LineClient(proc.port, "/upgrade")
        started = time.monotonic()
        assert proc.stop() == 0
        assert time.monotonic() - started < 8
        assert client.eof()
    finally:
        proc.stop()
