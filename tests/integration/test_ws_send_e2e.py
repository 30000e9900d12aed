"""The send side end to end: a real server (tests/integration/webapps/wssend),
the independent ``websockets`` client for whole messages, and a raw socket
with a frame parser of its own for what is on the wire (FIN bits, frames
per TCP read, a peer that reads nothing)."""

from __future__ import annotations

import base64
import json
import os
import socket
import struct
import time

import pytest
import requests
from websockets.sync.client import connect

from tests.server import TEST_WEBAPPS, CatalinaProcess


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    proc = CatalinaProcess(tmp_path_factory.mktemp("wssend_base"), webapps={"wssend": TEST_WEBAPPS / "wssend"})
    proc.start()
    yield proc
    proc.stop()


def url(server: CatalinaProcess, query: str = "") -> str:
    return f"ws://127.0.0.1:{server.port}/wssend/send{query}"


def events(server: CatalinaProcess) -> list[dict]:
    return requests.get(f"{server.url}/wssend/events", timeout=5).json()


def wait_for_event(server: CatalinaProcess, predicate, timeout: float = 15.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    for _ in range(int(timeout / 0.05) + 1):
        seen = events(server)
        if any(predicate(e) for e in seen) or time.monotonic() > deadline:
            return seen
        time.sleep(0.05)
    return events(server)


class Raw:
    """A WebSocket client on a plain socket: masked frames out, the server's
    frames parsed here (opcode, FIN, payload), nothing from catalina_py."""

    def __init__(self, server: CatalinaProcess, rcvbuf: int | None = None) -> None:
        self.sock = socket.socket()
        if rcvbuf is not None:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(10)
        self.sock.connect(("127.0.0.1", server.port))
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            f"GET /wssend/send HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self.sock.recv(4096)
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        assert head.startswith(b"HTTP/1.1 101")

    def send_text(self, text: str) -> None:
        payload = text.encode()
        mask = os.urandom(4)
        assert len(payload) < 126
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(bytes([0x81, 0x80 | len(payload)]) + mask + masked)

    def read_some(self) -> bytes:
        """One TCP read."""
        data = self.sock.recv(65536)
        self.buffer += data
        return data

    def frame(self) -> tuple[int, bool, bytes]:
        """The next frame: (opcode, fin, payload)."""
        while True:
            if len(self.buffer) >= 2:
                first, second = self.buffer[0], self.buffer[1]
                length, offset = second & 0x7F, 2
                if length == 126 and len(self.buffer) >= 4:
                    length, offset = struct.unpack("!H", self.buffer[2:4])[0], 4
                elif length == 127 and len(self.buffer) >= 10:
                    length, offset = struct.unpack("!Q", self.buffer[2:10])[0], 10
                if (length < 126 or offset > 2) and len(self.buffer) >= offset + length:
                    payload = self.buffer[offset : offset + length]
                    self.buffer = self.buffer[offset + length :]
                    return first & 0x0F, bool(first & 0x80), payload
            if not self.read_some():
                raise EOFError("the server closed the connection")

    def close(self) -> None:
        self.sock.close()


def test_parts_arrive_as_fragmented_frames_with_fin_on_the_last(server) -> None:
    raw = Raw(server)
    raw.send_text("parts:ab,cd,é")
    assert [raw.frame() for _ in range(3)] == [
        (0x1, False, b"ab"),
        (0x0, False, b"cd"),
        (0x0, True, "é".encode()),
    ]
    raw.send_text("binparts:3")
    assert [raw.frame() for _ in range(3)] == [
        (0x2, False, b"\x00\x00\x00"),
        (0x0, False, b"\x01\x01\x01"),
        (0x0, True, b"\x02\x02\x02"),
    ]
    raw.close()
    with connect(url(server)) as ws:  # permessage-deflate (websockets offers it): one compressed message in parts
        ws.send("parts:ab,cd,é")
        assert ws.recv(timeout=10) == "abcdé"
        ws.send("binparts:3")
        assert ws.recv(timeout=10) == b"\x00\x00\x00\x01\x01\x01\x02\x02\x02"


def test_writer_and_stream_messages_in_frames_of_the_buffer_size(server) -> None:
    raw = Raw(server)
    raw.send_text("writer:10000")  # the session's text buffer is 4096 characters
    got = [raw.frame() for _ in range(3)]
    assert [(op, fin, len(p)) for op, fin, p in got] == [(1, False, 4096), (0, False, 4096), (0, True, 1808)]
    assert b"".join(p for _, _, p in got) == b"".join(b"abcdefghij"[i % 10 : i % 10 + 1] for i in range(10000))
    raw.close()
    with connect(url(server)) as ws:  # and whole, through an independent client
        ws.send("stream:10000")
        assert ws.recv(timeout=10) == bytes(i % 256 for i in range(10000))
        ws.send("writer:5")
        assert ws.recv(timeout=10) == "abcde"


def test_send_object_with_encoders(server) -> None:
    with connect(url(server)) as ws:
        ws.send("object")
        assert json.loads(ws.recv(timeout=10)) == {"x": 1, "y": 2}
        assert ws.recv(timeout=10) == b"\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x02"
        assert ws.recv(timeout=10) == "7"


def test_async_sends_with_a_future_and_with_a_handler(server) -> None:
    with connect(url(server)) as ws:
        ws.send("future")
        assert [ws.recv(timeout=10), ws.recv(timeout=10)] == ["by future", "future done"]
        ws.send("handler")
        assert [ws.recv(timeout=10), ws.recv(timeout=10)] == ["by handler", "handler ok=True"]


def test_a_batch_arrives_in_one_tcp_read(server) -> None:
    raw = Raw(server)
    raw.send_text("batch:20")
    data = raw.read_some()
    expected = b"".join(bytes([0x81, len(f"m{i}")]) + f"m{i}".encode() for i in range(20))
    assert data == expected  # all 20 frames written at once, read at once
    raw.close()


def test_an_async_send_timeout_against_a_peer_that_reads_nothing(server) -> None:
    requests.delete(f"{server.url}/wssend/events", timeout=5)
    raw = Raw(server, rcvbuf=65536)
    raw.send_text("flood:300")  # then read nothing
    seen = wait_for_event(server, lambda e: e["event"] == "close")
    assert {"event": "async failed", "error": "SendTimeoutError"} in seen
    assert {"event": "close", "code": 1006} in seen  # the connection was closed, as Tomcat
    raw.close()


def test_a_blocking_send_timeout_against_a_peer_that_reads_nothing(server) -> None:
    requests.delete(f"{server.url}/wssend/events", timeout=5)
    raw = Raw(server, rcvbuf=65536)
    raw.send_text("block:300")
    seen = wait_for_event(server, lambda e: e["event"] == "close")
    failed = [e for e in seen if e["event"] == "blocking failed"]
    assert failed and failed[0]["error"] == "SendTimeoutError"
    assert {"event": "close", "code": 1006} in seen
    raw.close()


def test_the_getters(server) -> None:
    with connect(url(server, "?room=7&x=a&x=b")) as ws:  # websockets offers permessage-deflate
        ws.send("getters")
        got = json.loads(ws.recv(timeout=10))
    assert got["principal"] is None and got["secure"] is False and got["version"] == "13"
    assert got["query"] == "room=7&x=a&x=b" and got["params"] == {"room": ["7"], "x": ["a", "b"]}
    assert got["container"] == "ServerContainer"
    [[name, parameters]] = got["extensions"]
    assert name == "permessage-deflate"
    assert all(isinstance(p, list) and len(p) == 2 for p in parameters)
