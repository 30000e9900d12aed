"""The WebSocket server end to end: a real server, the independent
``websockets`` client and raw sockets (frames built here by hand).

The test webapp is tests/integration/webapps/ws (endpoints in
WEB-INF/classes/wsprobe.py, mapped under /ws).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import shutil
import socket
import struct
import threading
import time

import pytest
import requests
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.server import TEST_WEBAPPS, CatalinaProcess

KEY = base64.b64encode(b"0123456789abcdef").decode()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    proc = CatalinaProcess(tmp_path_factory.mktemp("ws_base"), webapps={"ws": TEST_WEBAPPS / "ws"})
    proc.start()
    yield proc
    proc.stop()


def ws_url(server: CatalinaProcess, path: str) -> str:
    return f"ws://127.0.0.1:{server.port}/ws{path}"


def events(server: CatalinaProcess) -> list[dict]:
    return requests.get(f"{server.url}/ws/events", timeout=5).json()


def wait_for(predicate, timeout: float = 5.0, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


# -- raw client helpers -----------------------------------------------------
def handshake_bytes(
    port: int, path: str, extra: str = "", version: str = "13", connection: str = "Upgrade", key: str = KEY
) -> bytes:
    return (
        f"GET /ws{path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: {connection}\r\nSec-WebSocket-Key: {key}\r\n"
        f"Sec-WebSocket-Version: {version}\r\n{extra}\r\n"
    ).encode()


def frame(opcode: int, payload: bytes, fin: bool = True, mask: bool = True) -> bytes:
    head = bytearray([(0x80 if fin else 0) | opcode])
    n = len(payload)
    bit = 0x80 if mask else 0
    if n < 126:
        head.append(bit | n)
    elif n < 65536:
        head.append(bit | 126)
        head += struct.pack("!H", n)
    else:
        head.append(bit | 127)
        head += struct.pack("!Q", n)
    if not mask:
        return bytes(head) + payload
    key = os.urandom(4)
    return bytes(head) + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


class RawClient:
    """A socket after a handshake, reading server frames."""

    def __init__(self, port: int, path: str, first: bytes = b"", extra: str = "") -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.sock.sendall(handshake_bytes(port, path, extra) + first)
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            assert chunk, "connection closed during the handshake"
            self.buf += chunk
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        self.head = head.decode()
        assert self.head.startswith("HTTP/1.1 101"), self.head

    def _need(self, n: int) -> bytes:
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def read_frame(self) -> tuple[int, bytes]:
        b0, b1 = self._need(2)
        assert not b1 & 0x80, "server frames are not masked"
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", self._need(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", self._need(8))[0]
        return b0 & 0x0F, self._need(n)

    def read_close(self) -> tuple[int, str]:
        while True:
            opcode, payload = self.read_frame()
            if opcode == 8:
                return struct.unpack("!H", payload[:2])[0], payload[2:].decode()

    def at_eof(self, timeout: float = 5.0) -> bool:
        self.sock.settimeout(timeout)
        try:
            while True:
                if not self.sock.recv(65536):
                    return True
        except ConnectionResetError:
            return True
        except TimeoutError:
            return False

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def close(self) -> None:
        self.sock.close()


def raw_http(port: int, data: bytes) -> tuple[int, dict[str, str], str]:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(data)
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
        head, _, body = received.partition(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        while len(body) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
        return int(lines[0].split()[1]), headers, body.decode()


# -- handshake --------------------------------------------------------------
def test_handshake_accepts_and_negotiates_the_clients_first_supported_subprotocol(server):
    with connect(ws_url(server, "/echo"), subprotocols=["other", "chat", "superchat"]) as client:
        assert client.subprotocol == "chat"
        assert client.response.status_code == 101
    with connect(ws_url(server, "/echo"), subprotocols=["other"]) as client:
        assert client.subprotocol is None


def test_missing_key_is_400_and_bad_connection_is_400(server):
    status, _, body = raw_http(server.port, handshake_bytes(server.port, "/echo", key="short"))
    assert status == 400 and "Sec-WebSocket-Key" in body
    status, _, body = raw_http(server.port, handshake_bytes(server.port, "/echo", connection="keep-alive"))
    assert status == 400 and "Connection" in body


def test_wrong_version_is_426_with_the_supported_version(server):
    status, headers, body = raw_http(server.port, handshake_bytes(server.port, "/echo", version="8"))
    assert status == 426
    assert headers["sec-websocket-version"] == "13"
    assert "13" in body


def _upgrade_and_echo(port: int, request: bytes) -> tuple[str, bytes]:
    """Send a raw handshake; on 101 send one masked text frame and read
    the echo. Returns the response head and the echoed frame (b"" if none)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(request)
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
        head, _, rest = received.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 101"):
            return head.decode(), b""
        sock.sendall(frame(1, b"hello"))
        while len(rest) < 7:
            chunk = sock.recv(65536)
            if not chunk:
                break
            rest += chunk
        return head.decode(), rest[:7]


@pytest.mark.parametrize(
    "name, request_text",
    [
        # Tomcat 10.1 accepts each of these (UpgradeUtil: a token search
        # for 13, getHeader for the first key, no version check).
        ("version list", "Sec-WebSocket-Version: 13, 8\r\n"),
        ("version lines", "Sec-WebSocket-Version: 8\r\nSec-WebSocket-Version: 13\r\n"),
        ("duplicated key", f"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {KEY}\r\n"),
        ("second key bad", "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: bad\r\n"),
        ("HTTP/1.0", "Sec-WebSocket-Version: 13\r\n"),
    ],
)
def test_handshakes_tomcat_accepts_are_accepted(server, name, request_text):
    version = "HTTP/1.0" if name == "HTTP/1.0" else "HTTP/1.1"
    request = (
        f"GET /ws/echo {version}\r\nHost: 127.0.0.1:{server.port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {KEY}\r\n{request_text}\r\n"
    ).encode()
    head, echoed = _upgrade_and_echo(server.port, request)
    assert head.startswith("HTTP/1.1 101"), head
    assert "\r\nConnection: upgrade\r\n" in head  # Tomcat's spelling
    accept = base64.b64encode(
        __import__("hashlib").sha1((KEY + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()
    ).decode()
    assert f"Sec-WebSocket-Accept: {accept}" in head
    assert echoed == b"\x81\x05hello"


@pytest.mark.parametrize("method, status", [("POST", 404), ("PUT", 405), ("DELETE", 405), ("OPTIONS", 200)])
def test_a_non_get_upgrade_goes_to_the_servlets_as_in_tomcat(server, method, status):
    # Tomcat's WsFilter only takes GET upgrades; the default servlet answers these.
    request = handshake_bytes(server.port, "/echo").replace(b"GET ", method.encode() + b" ", 1)
    request = request.replace(b"\r\n\r\n", b"\r\nContent-Length: 0\r\n\r\n", 1)
    got, _, _ = raw_http(server.port, request)
    assert got == status


def test_permessage_deflate_answer_is_tomcats(server):
    extra = "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
    _, headers, _ = raw_http(server.port, handshake_bytes(server.port, "/echo", extra=extra))
    assert headers["sec-websocket-extensions"] == "permessage-deflate;client_max_window_bits=15"


def test_close_code_and_reason_are_echoed_and_an_empty_close_gets_1000(server):
    client = RawClient(server.port, "/echo")
    client.send(frame(8, struct.pack("!H", 4001) + b"bye now"))
    assert client.read_close() == (4001, "bye now")
    client.close()
    client = RawClient(server.port, "/echo")
    client.send(frame(8, b""))
    assert client.read_close() == (1000, "")
    client.close()


@pytest.mark.parametrize(
    "messages",
    [
        [frame(1, b"hello")],
        [frame(2, b"\x00\x01")],
        [frame(1, b"frag", fin=False), frame(0, b"mented")],
        [frame(1, b"one"), frame(1, b"two")],
    ],
)
def test_messages_and_a_close_in_one_segment_are_all_answered_before_the_close(server, messages):
    # Tomcat handles the frames in order: each message gets its echo, then
    # the close its reply. Before, the close was answered first and the
    # echoes were lost.
    client = RawClient(server.port, "/echo")
    client.send(b"".join(messages) + frame(8, struct.pack("!H", 1000)))
    got = []
    while True:
        opcode, payload = client.read_frame()
        got.append((opcode, payload))
        if opcode == 8:
            break
    expected = {1: 1, 2: 2}
    echoes = [(op, p) for op, p in got if op != 8]
    assert [op for op, _ in echoes] == [expected[m[0] & 0x0F] for m in messages if m[0] & 0x0F in expected]
    assert got[-1] == (8, struct.pack("!H", 1000))
    assert client.at_eof()
    client.close()


def test_origin_403_behind_a_tls_proxy_names_the_scheme_not_the_host(server):
    # What nginx terminating TLS sends when Host is forwarded right but no
    # RemoteIpValve makes the scheme https.
    extra = f"Origin: https://127.0.0.1:{server.port}\r\nX-Forwarded-Proto: https\r\n"
    status, _, body = raw_http(server.port, handshake_bytes(server.port, "/echo", extra=extra))
    assert status == 403
    assert f"Origin received: https://127.0.0.1:{server.port}\n" in body
    assert f"Origin expected: http://127.0.0.1:{server.port} " in body
    assert "the scheme differs" in body and "RemoteIpValve" in body and "X-Forwarded-Proto" in body
    assert "$http_host" not in body


def test_plain_get_on_an_endpoint_is_426_with_a_body_naming_the_missing_headers(server):
    response = requests.get(f"{server.url}/ws/echo", timeout=5)
    assert response.status_code == 426
    assert response.headers["Upgrade"].lower() == "websocket"
    assert response.headers["Content-Type"].startswith("text/plain")
    assert "Upgrade: websocket" in response.text and "proxy_set_header Upgrade" in response.text


def test_plain_get_goes_to_a_servlet_or_static_file_that_answers_it(server):
    assert requests.get(f"{server.url}/ws/static/hello.txt", timeout=5).text == "a static file\n"
    assert requests.get(f"{server.url}/ws/files/ws", timeout=5).text == "files servlet"
    # ... while an upgrade at those paths reaches the endpoint.
    with connect(ws_url(server, "/files/ws")) as client:
        client.send("via endpoint")
        assert client.recv() == "via endpoint"


def test_foreign_origin_is_403_with_a_body_showing_origin_and_host(server):
    status, _, body = raw_http(
        server.port, handshake_bytes(server.port, "/echo", extra="Origin: http://evil.example\r\n")
    )
    assert status == 403
    assert "http://evil.example" in body and f"127.0.0.1:{server.port}" in body
    assert "proxy_set_header Host" in body


def test_same_origin_and_no_origin_are_accepted(server):
    with connect(ws_url(server, "/echo"), origin=f"http://127.0.0.1:{server.port}") as client:
        client.send("same")
        assert client.recv() == "same"
    client = RawClient(server.port, "/echo")  # no Origin header at all
    client.close()


def test_endpoint_allowed_origins_replace_same_origin(server):
    with connect(ws_url(server, "/strict"), origin="http://only.example") as client:
        client.send("ok")
        assert client.recv() == "ok"
    status, _, _ = raw_http(
        server.port, handshake_bytes(server.port, "/strict", extra=f"Origin: http://127.0.0.1:{server.port}\r\n")
    )
    assert status == 403


def test_configurator_checks_origin_and_modifies_the_handshake(server):
    with connect(
        ws_url(server, "/configured"), origin="http://configurator.example", user_agent_header="probe/1"
    ) as client:
        assert client.response.headers["X-Handshake"] == "modified"
        client.send("agent?")
        assert client.recv() == "probe/1"
    status, _, _ = raw_http(
        server.port, handshake_bytes(server.port, "/configured", extra=f"Origin: http://127.0.0.1:{server.port}\r\n")
    )
    assert status == 403


def test_context_init_param_allows_origins(tmp_path):
    webapp = tmp_path / "wsorigins"
    shutil.copytree(TEST_WEBAPPS / "ws", webapp)
    (webapp / "WEB-INF" / "web.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<web-app xmlns="https://jakarta.ee/xml/ns/jakartaee" version="6.0">\n'
        "  <context-param><param-name>catalina_py.websocket.allowed_origins</param-name>\n"
        "    <param-value>http://a.example, http://b.example</param-value></context-param>\n"
        "</web-app>\n"
    )
    proc = CatalinaProcess(tmp_path / "base", webapps={"ws": webapp})
    proc.start()
    try:
        with connect(ws_url(proc, "/echo"), origin="http://b.example") as client:
            client.send("b")
            assert client.recv() == "b"
        status, _, _ = raw_http(
            proc.port, handshake_bytes(proc.port, "/echo", extra=f"Origin: http://127.0.0.1:{proc.port}\r\n")
        )
        assert status == 403
    finally:
        proc.stop()


# -- messages ---------------------------------------------------------------
def test_echo_text_and_binary_and_query_parameters(server):
    with connect(ws_url(server, "/echo?room=a&room=b")) as client:
        client.send("héllo")
        assert client.recv() == "héllo"
        client.send(bytes(range(256)) * 4)
        assert client.recv() == bytes(range(256)) * 4
        client.send("params")
        assert json.loads(client.recv()) == {"room": ["a", "b"]}


def test_path_templates_and_exact_paths_first(server):
    with connect(ws_url(server, "/chat/kitchen")) as client:
        client.send("hi")
        assert client.recv() == "kitchen:hi"
    with connect(ws_url(server, "/chat/lobby")) as client:
        client.send("hi")
        assert client.recv() == "lobby!hi"
    response = requests.get(f"{server.url}/ws/chat/a/b", timeout=5)
    assert response.status_code == 404  # more segments: no endpoint


def test_programmatic_endpoint_from_a_listener(server):
    with connect(ws_url(server, "/prog")) as client:
        client.send("x")
        assert client.recv() == "prog:x"


def test_fragmented_message_from_a_raw_client(server):
    client = RawClient(server.port, "/echo")
    client.send(frame(1, b"Hel", fin=False) + frame(0, b"lo ", fin=False))
    client.send(frame(9, b"in-between"))  # a control frame between fragments
    client.send(frame(0, "wörld".encode(), fin=True))
    assert client.read_frame() == (10, b"in-between")
    assert client.read_frame() == (1, "Hello wörld".encode())
    client.close()


def test_ping_is_answered_with_the_same_payload(server):
    client = RawClient(server.port, "/echo")
    client.send(frame(9, b"are you there"))
    assert client.read_frame() == (10, b"are you there")
    client.close()


def test_handshake_and_first_frame_in_one_write(server):
    client = RawClient(server.port, "/echo", first=frame(1, b"early bird"))
    assert client.read_frame() == (1, b"early bird")
    client.close()


# -- closing ----------------------------------------------------------------
def test_client_close_is_echoed_with_its_code_then_tcp_closes(server):
    client = RawClient(server.port, "/echo")
    client.send(frame(8, struct.pack("!H", 4000) + b"bye"))
    assert client.read_close() == (4000, "bye")  # code and reason, as Tomcat echoes them
    assert client.at_eof()
    client.close()
    assert wait_for(lambda: any(e.get("code") == 4000 and e.get("reason") == "bye" for e in events(server)))


def test_server_close_sends_its_code_and_waits_for_the_reply(server):
    with connect(ws_url(server, "/echo")) as client:
        client.send("close:4002")
        with pytest.raises(ConnectionClosed) as info:
            client.recv()
        assert info.value.rcvd.code == 4002
        assert info.value.rcvd.reason == "server says bye"


def test_server_close_without_reply_ends_after_the_close_timeout(tmp_path):
    proc = CatalinaProcess(
        tmp_path / "base", webapps={"ws": TEST_WEBAPPS / "ws"}, connector_attrs='webSocketCloseTimeout="0.5"'
    )
    proc.start()
    try:
        client = RawClient(proc.port, "/echo")
        client.send(frame(1, b"close:4003"))
        assert client.read_close() == (4003, "server says bye")
        started = time.monotonic()
        assert client.at_eof(timeout=5)  # we never answer the close
        assert time.monotonic() - started < 3
        client.close()
    finally:
        proc.stop()


def test_unmasked_frame_is_a_protocol_error_1002(server):
    client = RawClient(server.port, "/echo")
    client.send(frame(1, b"not masked", mask=False))
    assert client.read_close()[0] == 1002
    assert client.at_eof()
    client.close()


def test_message_over_the_limit_is_1009(server):
    with connect(ws_url(server, "/echo")) as client:
        client.send("x" * 2000)  # the endpoint's max_text_message_size is 1024
        with pytest.raises(ConnectionClosed) as info:
            client.recv()
        assert info.value.rcvd.code == 1009


def test_idle_timeout_closes_with_1001(server):
    with connect(ws_url(server, "/idle")) as client:
        client.send("still here")
        assert client.recv() == "still here"
        started = time.monotonic()
        with pytest.raises(ConnectionClosed) as info:
            client.recv(timeout=5)
        assert info.value.rcvd.code == 1001
        assert 0.3 < time.monotonic() - started < 3


def test_user_exception_is_on_error_then_1011_and_the_server_goes_on(server):
    with connect(ws_url(server, "/fail")) as client:
        client.send("boom")
        with pytest.raises(ConnectionClosed) as info:
            client.recv()
        assert info.value.rcvd.code == 1011
    assert wait_for(
        lambda: any(
            e.get("endpoint") == "fail" and e.get("event") == "error" and "boom" in e.get("error", "")
            for e in events(server)
        )
    )
    with connect(ws_url(server, "/fail")) as client:
        client.send("fine")
        assert client.recv() == "fine"


def test_permessage_deflate_with_the_websockets_client(server):
    with connect(ws_url(server, "/echo")) as client:  # it offers permessage-deflate by default
        assert "permessage-deflate" in client.response.headers.get("Sec-WebSocket-Extensions", "")
        text = "compress me " * 80  # 960 bytes, under the 1024 limit
        for _ in range(3):  # context takeover across messages
            client.send(text)
            assert client.recv() == text
        client.send(b"\x00" * 2000)
        assert client.recv() == b"\x00" * 2000


def test_broadcast_from_many_greenlets_never_interleaves_frames(server):
    with contextlib.ExitStack() as stack:
        clients = [stack.enter_context(connect(ws_url(server, "/broadcast"))) for _ in range(4)]
        messages = [f"{i}:" + "y" * (i * 997 % 5000) for i in range(10)]

        def sender(client):
            for message in messages:
                client.send(message)

        threads = [threading.Thread(target=sender, args=(c,)) for c in clients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for client in clients:
            received = [client.recv(timeout=10) for _ in range(len(messages) * len(clients))]
            assert sorted(received) == sorted(messages * len(clients))


def test_slow_consumer_fails_the_send_and_closes_1008(server):
    client = RawClient(server.port, "/flood")
    client.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    client.send(frame(1, b"go:100:65536"))  # 6.5 MB queued, nothing read
    assert wait_for(lambda: any(e.get("event") == "flood" for e in events(server)))
    flood = [e for e in events(server) if e.get("event") == "flood"][-1]
    assert flood["failed"] > 0
    assert wait_for(
        lambda: any(
            e.get("endpoint") == "flood" and e.get("code") == 1008 and e.get("reason") == "slow consumer"
            for e in events(server)
        )
    )
    client.close()


# -- nothing left behind ----------------------------------------------------
def _fd_count(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def test_many_abrupt_disconnects_leave_nothing_behind(server):
    stats = lambda: requests.get(f"{server.url}/ws/stats", timeout=5).json()  # noqa: E731
    assert wait_for(lambda: stats()["sessions"] == 0)
    baseline_fds = _fd_count(server.proc.pid)
    baseline_greenlets = stats()["greenlets"]
    clients = []
    for _ in range(60):
        client = RawClient(server.port, "/echo")
        client.send(frame(1, b"hello"))
        assert client.read_frame() == (1, b"hello")
        clients.append(client)
    assert stats()["open"] == 60
    for i, client in enumerate(clients):
        kind = i % 3
        if kind == 1:
            client.send(frame(1, b"half a frame")[:5])  # then vanish mid-frame
        elif kind == 2:  # a reset (RST) instead of a FIN
            client.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        client.close()
    assert wait_for(lambda: stats()["sessions"] == 0, timeout=10), stats()
    assert wait_for(lambda: _fd_count(server.proc.pid) <= baseline_fds, timeout=10), (
        _fd_count(server.proc.pid),
        baseline_fds,
    )
    assert wait_for(lambda: stats()["greenlets"] <= baseline_greenlets + 2, timeout=10), (
        stats()["greenlets"],
        baseline_greenlets,
    )
    closes = [e for e in events(server) if e.get("event") == "close" and e.get("code") == 1006]
    assert len(closes) >= 60


# -- heartbeats and stop ------------------------------------------------------
def test_heartbeat_keeps_answering_clients_and_drops_silent_ones(tmp_path):
    proc = CatalinaProcess(
        tmp_path / "base",
        webapps={"ws": TEST_WEBAPPS / "ws"},
        connector_attrs='webSocketPingInterval="0.2" webSocketPingTimeout="0.4"',
    )
    proc.start()
    try:
        with connect(ws_url(proc, "/echo")) as client:  # websockets answers pings itself
            time.sleep(1.2)
            client.send("alive")
            assert client.recv() == "alive"
        silent = RawClient(proc.port, "/echo")
        started = time.monotonic()
        opcode, _ = silent.read_frame()
        assert opcode == 9  # a ping, which we never answer
        assert silent.at_eof(timeout=5)
        assert time.monotonic() - started < 0.2 + 0.4 + 1.5
        silent.close()
        assert wait_for(lambda: any(e.get("code") == 1006 and "pong" in e.get("reason", "") for e in events(proc)))
    finally:
        proc.stop()


def test_graceful_stop_sends_1001_to_every_websocket(tmp_path):
    proc = CatalinaProcess(tmp_path / "base", webapps={"ws": TEST_WEBAPPS / "ws"})
    proc.start()
    try:
        stack = contextlib.ExitStack()
        clients = [stack.enter_context(connect(ws_url(proc, "/echo"))) for _ in range(3)]
        raw = RawClient(proc.port, "/echo")
        stopper = threading.Thread(target=proc.stop)
        started = time.monotonic()
        stopper.start()
        for client in clients:
            with pytest.raises(ConnectionClosed) as info:
                client.recv(timeout=10)
            assert info.value.rcvd.code == 1001
        assert raw.read_close()[0] == 1001
        raw.send(frame(8, struct.pack("!H", 1001)))
        stopper.join(20)
        assert not stopper.is_alive()
        assert proc.proc.returncode == 0
        assert time.monotonic() - started < 10
        raw.close()
        stack.close()
    finally:
        proc.stop()


def test_graceful_stop_is_not_held_by_a_client_that_reads_nothing(tmp_path):
    # The echo of a flood blocks in sendall on a client that never reads,
    # holding its session's writer. The 1001 of a graceful stop must not
    # wait for that send's own timeout (connectionTimeout, 60 s here): the
    # close timeout (2 s) bounds the whole close, then the connection is
    # aborted, and the stop finishes well inside the Endpoint's grace.
    proc = CatalinaProcess(
        tmp_path / "base",
        webapps={"ws": TEST_WEBAPPS / "ws"},
        connector_attrs='connectionTimeout="60000" webSocketCloseTimeout="2"',
    )
    proc.start()
    try:
        reader = RawClient(proc.port, "/echo")
        stalled = socket.socket()
        stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stalled.connect(("127.0.0.1", proc.port))
        stalled.sendall(handshake_bytes(proc.port, "/echo"))
        stalled.settimeout(5)
        head = b""
        while b"\r\n\r\n" not in head:
            head += stalled.recv(1)
        assert head.startswith(b"HTTP/1.1 101")
        # 2000-byte binary messages (/echo takes up to 2048 bytes): far
        # more than the socket buffers hold, so the echo blocks.
        stalled.setblocking(False)
        message = frame(2, b"x" * 2000)
        sent = 0
        for _ in range(20000):
            try:
                sent += stalled.send(message)
            except BlockingIOError:
                break
        assert sent > 100_000
        reader.send(frame(1, b"still here"))
        assert reader.read_frame() == (1, b"still here")
        proc.stop(timeout=30)
        assert proc.proc.returncode == 0
        # The Endpoint's grace was not needed ("Connections still busy after
        # 10.0 s" / "Upgraded connections still open after ...").
        assert not re.search(r"still (busy|open) after", proc.output()), proc.output()[-3000:]
        assert reader.read_close()[0] == 1001
        reader.close()
        stalled.close()
    finally:
        proc.stop()


def test_async_messages_queued_before_close_arrive_before_the_close_frame(server):
    client = RawClient(server.port, "/queuethenclose")
    client.send(frame(1, b"go:200"))
    texts = []
    while True:
        opcode, payload = client.read_frame()
        if opcode == 8:
            break
        texts.append(payload.decode()[:5].split(":")[0])
    assert texts == [f"m{i}" for i in range(200)]
    assert struct.unpack("!H", payload[:2])[0] == 4000
    client.close()


def test_a_message_arriving_slower_than_the_idle_timeout_is_not_idle(server):
    """Each read counts as activity (Tomcat's updateLastActiveRead): a text
    frame trickling in over 1.2 s reaches an endpoint whose idle timeout is
    0.5 s and comes back, with no 1001 meanwhile."""
    client = RawClient(server.port, "/idle")
    wire = frame(1, b"slow but steady " * 4)
    step = len(wire) // 6 + 1
    for i in range(0, len(wire), step):
        client.send(wire[i : i + step])
        time.sleep(0.2)
    opcode, payload = client.read_frame()
    assert (opcode, payload) == (1, b"slow but steady " * 4)
    client.close()


def test_pongs_alone_do_not_keep_a_session_from_its_idle_timeout(server):
    """Pongs are not messages: a peer that only answers (or sends) pongs
    is idle, and the 0.5 s timeout closes it with 1001."""
    client = RawClient(server.port, "/idle")
    started = time.monotonic()
    with contextlib.suppress(OSError):
        for _ in range(4):
            client.send(frame(10, b"still?"))
            time.sleep(0.2)
    assert client.read_close()[0] == 1001
    assert time.monotonic() - started < 3
    client.close()
