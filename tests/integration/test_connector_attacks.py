"""The connector under the attacks of issue 10, over real sockets: slowloris
heads and bodies (requestHeaderTimeout, requestBodyTimeout/MinRate), idle
WebSockets filling the server (maxUpgradedConnections), and bodies that are
bad or cut short while they are drained after the response (no ERROR, no
traceback in the log). The servers run with short timeouts so that each
test takes seconds; nothing asserts on durations, every loop is bounded."""

from __future__ import annotations

import socket
import time

import pytest

from tests.server import TEST_WEBAPPS, CatalinaProcess

WEBAPPS = {"testapp": TEST_WEBAPPS / "testapp", "ws": TEST_WEBAPPS / "ws"}
KEY = "dGhlIHNhbXBsZSBub25jZQ=="


def read_until_closed(sock: socket.socket, limit: float = 15.0) -> tuple[bytes, bool]:
    """Everything the server sends until it closes (True) or *limit* seconds
    pass (False)."""
    data = b""
    deadline = time.monotonic() + limit
    sock.settimeout(0.5)
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            continue
        except ConnectionResetError:
            return data, True
        if not chunk:
            return data, True
        data += chunk
    return data, False


def trickle(sock: socket.socket, data: bytes, every: float, limit: float = 15.0) -> tuple[bytes, bool]:
    """Send *data* one byte every *every* seconds until the server answers
    or closes; returns what it sent and whether it closed."""
    sock.settimeout(every)
    received = b""
    deadline = time.monotonic() + limit
    for i in range(len(data)):
        if time.monotonic() > deadline:
            break
        try:
            sock.sendall(data[i : i + 1])
        except (BrokenPipeError, ConnectionResetError):
            break
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            continue
        except ConnectionResetError:
            return received, True
        if not chunk:
            return received, True
        received += chunk
        break
    more, closed = read_until_closed(sock, max(1.0, deadline - time.monotonic()))
    return received + more, closed


@pytest.fixture
def slow_server(make_server) -> CatalinaProcess:
    """connectionTimeout (per read) 2 s, the head 1.5 s from its first byte,
    the body 1.5 s of waiting plus 1 s per 1000 bytes; idle keep-alive 5 s."""
    return make_server(
        webapps=WEBAPPS,
        connector_attrs='connectionTimeout="2000" keepAliveTimeout="5000" requestHeaderTimeout="1500" '
        'requestBodyTimeout="1500" requestBodyMinRate="1000"',
    ).start()


# -- slowloris --------------------------------------------------------------
def test_a_head_trickling_one_byte_at_a_time_gets_408_and_close(slow_server):
    # Each byte comes well within connectionTimeout, so only the head's own
    # deadline can end this.
    head = b"GET /testapp/exact HTTP/1.1\r\nHost: a\r\n" + b"X-Slow: " + b"a" * 200
    with socket.create_connection(("127.0.0.1", slow_server.port), timeout=5) as sock:
        data, closed = trickle(sock, head, every=0.25)
    assert data.startswith(b"HTTP/1.1 408 "), data[:100]
    assert b"Connection: close" in data
    assert closed


def test_the_head_deadline_applies_to_every_request_of_a_connection(slow_server):
    with socket.create_connection(("127.0.0.1", slow_server.port), timeout=5) as sock:
        sock.sendall(b"GET /testapp/exact HTTP/1.1\r\nHost: a\r\n\r\n")
        first = sock.recv(65536)
        assert first.startswith(b"HTTP/1.1 200 ")
        # Idle keep-alive time (2 s here) does not count towards the next head.
        time.sleep(2)
        data, closed = trickle(sock, b"GET /testapp/exact HTTP/1.1\r\nHost: a\r\nX: " + b"b" * 200, every=0.25)
    assert data.startswith(b"HTTP/1.1 408 "), data[:100]
    assert closed


def test_an_idle_keep_alive_connection_is_kept_as_before(slow_server):
    # Waiting between requests is keepAliveTimeout's business (5 s here),
    # not the head's deadline (1.5 s).
    with socket.create_connection(("127.0.0.1", slow_server.port), timeout=5) as sock:
        sock.sendall(b"GET /testapp/exact HTTP/1.1\r\nHost: a\r\n\r\n")
        assert sock.recv(65536).startswith(b"HTTP/1.1 200 ")
        time.sleep(2.5)
        sock.sendall(b"GET /testapp/exact HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        data, closed = read_until_closed(sock)
    assert data.startswith(b"HTTP/1.1 200 ")


def test_a_body_trickling_to_a_servlet_that_reads_it_gets_408(slow_server):
    with socket.create_connection(("127.0.0.1", slow_server.port), timeout=5) as sock:
        sock.sendall(b"POST /testapp/echo HTTP/1.1\r\nHost: a\r\nContent-Length: 400\r\n\r\n")
        data, closed = trickle(sock, b"z" * 400, every=0.25)
    assert data.startswith(b"HTTP/1.1 408 "), data[:100]
    assert b"Connection: close" in data
    assert closed


def test_a_body_trickling_after_the_response_is_cut_off(slow_server):
    # The servlet answers without reading; the connector drains the body for
    # keep-alive, and gives up when it trickles (each byte well within
    # connectionTimeout).
    with socket.create_connection(("127.0.0.1", slow_server.port), timeout=5) as sock:
        sock.sendall(b"POST /testapp/exact HTTP/1.1\r\nHost: a\r\nContent-Length: 400\r\n\r\nz")
        answer = sock.recv(65536)
        assert answer.startswith(b"HTTP/1.1 200 "), answer[:100]
        sock.settimeout(0.25)
        closed = False
        for _ in range(48):  # 12 s at most
            try:
                sock.sendall(b"z")
                closed = sock.recv(65536) == b""
            except TimeoutError:
                continue
            except (BrokenPipeError, ConnectionResetError):
                closed = True
            if closed:
                break
    assert closed
    assert "Traceback" not in slow_server.output()


def test_a_fast_upload_is_not_affected(slow_server):
    body = b"u" * 3_000_000
    with socket.create_connection(("127.0.0.1", slow_server.port), timeout=10) as sock:
        sock.sendall(
            f"POST /testapp/echo HTTP/1.1\r\nHost: a\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body
        )
        data, closed = read_until_closed(sock)
    assert data.startswith(b"HTTP/1.1 200 ")
    assert b"X-Received: 3000000" in data


# -- bodies that are bad or cut short while drained ---------------------------
BAD_DRAINS = [
    b"POST /testapp/exact HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    b"POST /testapp/exact HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: y\r\n",
    b"POST /testapp/exact HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nabc",
    b"POST /testapp/exact HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
]


def test_a_bad_or_truncated_body_drained_after_the_response_is_no_error(make_server):
    server = make_server(webapps=WEBAPPS).start()
    for data in BAD_DRAINS:
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)  # EOF: the body ends short
            answer, closed = read_until_closed(sock)
        assert answer.startswith(b"HTTP/1.1 200 "), answer[:100]
        assert closed
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(b"GET /testapp/exact HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        answer, _ = read_until_closed(sock)
    assert answer.startswith(b"HTTP/1.1 200 ")
    log = server.output()
    assert "Traceback" not in log
    assert " ERROR " not in log and "Unexpected error" not in log


# -- WebSockets do not starve HTTP ---------------------------------------------
def open_websocket(port: int) -> tuple[socket.socket, bytes]:
    """A raw WebSocket handshake to /ws/echo; the socket and the response head."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(
        f"GET /ws/echo HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(65536)
        if not chunk:
            break
        head += chunk
    return sock, head


def test_websockets_beyond_max_connections_leave_http_served(make_server):
    server = make_server(
        webapps=WEBAPPS, connector_attrs='maxConnections="4" maxUpgradedConnections="6" keepAliveTimeout="5000"'
    ).start()
    held: list[socket.socket] = []
    try:
        # More idle WebSockets than maxConnections: they left the HTTP pool.
        for _ in range(6):
            sock, head = open_websocket(server.port)
            held.append(sock)
            assert head.startswith(b"HTTP/1.1 101 "), head[:100]
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
            sock.sendall(b"GET /testapp/exact HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            answer, _ = read_until_closed(sock)
        assert answer.startswith(b"HTTP/1.1 200 "), answer[:100]
        # One more WebSocket than maxUpgradedConnections: 503, closed.
        sock, head = open_websocket(server.port)
        with sock:
            rest, closed = read_until_closed(sock)
        assert head.startswith(b"HTTP/1.1 503 "), head[:100]
        assert b"Connection: close" in head
        assert closed
        # A WebSocket that ends gives its slot back.
        held.pop().close()
        for _ in range(50):
            sock, head = open_websocket(server.port)
            if head.startswith(b"HTTP/1.1 101 "):
                held.append(sock)
                break
            sock.close()
            time.sleep(0.1)
        assert head.startswith(b"HTTP/1.1 101 "), head[:100]
    finally:
        for sock in held:
            sock.close()
    assert "Traceback" not in server.output()


# -- a flood of bad requests does not flood the log -----------------------------
def test_bad_requests_are_logged_at_info_once(make_server):
    # As Tomcat's INFO_THEN_DEBUG: the first bad request at INFO, the next
    # ones at DEBUG only (for 24 h).
    server = make_server(webapps=WEBAPPS).start()
    for _ in range(5):
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
            sock.sendall(b"G@T / HTTP/1.1\r\nHost: a\r\n\r\n")
            answer, _ = read_until_closed(sock)
        assert answer.startswith(b"HTTP/1.1 400 ")
    log = server.output()
    assert log.count("Error parsing HTTP request header") == 1
    assert "logged at DEBUG level" in log
