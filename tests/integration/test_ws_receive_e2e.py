"""Receiving end to end: a real server (tests/integration/webapps/wsrecv)
and an independent client (``websockets``): parts both kinds,
16 MiB messages echoed in parts with the server's memory measured, stream
handlers, pong handlers, a decoder with a path parameter."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os

import pytest
import requests
from websockets.asyncio.client import connect as connect_async
from websockets.sync.client import connect

from tests.server import TEST_WEBAPPS, CatalinaProcess

SIXTEEN_MIB = 16 * 1024 * 1024
PART = 64 * 1024


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    proc = CatalinaProcess(tmp_path_factory.mktemp("wsrecv_base"), webapps={"wsrecv": TEST_WEBAPPS / "wsrecv"})
    proc.start()
    yield proc
    proc.stop()


def url(server: CatalinaProcess, path: str) -> str:
    return f"ws://127.0.0.1:{server.port}/wsrecv{path}"


async def _echo_in_parts(uri: str, message: bytes | str | list[str], memory_url: str) -> tuple[bytes | str, dict]:
    """Send *message* (a list: one fragmented message) and collect what
    comes back until as much came (one message in parts, or a message per
    part); tracemalloc runs in the server meanwhile. The asyncio client
    reads while it sends (the sync client cannot: it holds its lock while
    writing, and a server that echoes parts needs its echo read)."""
    total = sum(map(len, message)) if isinstance(message, list) else len(message)
    text = isinstance(message, (str, list))
    loop = asyncio.get_running_loop()
    async with connect_async(uri, max_size=None, max_queue=None, compression=None) as ws:
        await loop.run_in_executor(None, lambda: requests.get(memory_url + "?start", timeout=10).raise_for_status())
        sender = asyncio.ensure_future(ws.send(message))
        chunks: list = []
        got = 0
        for _ in range(total // 1024 + 16):
            if got >= total:
                break
            received = await asyncio.wait_for(ws.recv(), 60)
            assert isinstance(received, str if text else bytes)
            chunks.append(received)
            got += len(received)
        await sender
        figures = await loop.run_in_executor(None, lambda: requests.get(memory_url, timeout=10).json())
    assert got == total
    return ("".join(chunks) if text else b"".join(chunks)), figures


def test_16_mib_binary_in_parts_holds_a_few_parts(server) -> None:
    payload = os.urandom(SIXTEEN_MIB)  # one 16 MiB frame
    echoed, figures = asyncio.run(_echo_in_parts(url(server, "/echo-parts"), payload, f"{server.url}/wsrecv/memory"))
    assert hashlib.sha256(echoed).digest() == hashlib.sha256(payload).digest()
    print(
        f"16 MiB binary echoed in parts: server tracemalloc peak {figures['peak'] / 1024:.0f} KiB "
        f"({figures['peak'] / PART:.1f} parts of 64 KiB), current {figures['current'] / 1024:.0f} KiB"
    )
    assert figures["peak"] < 2 * 1024 * 1024


def test_16_mib_text_fragmented_in_parts(server) -> None:
    text = ("0123456789abcdef" * 4 + "ünïcødé 😀\n") * (SIXTEEN_MIB // 80)
    pieces = [text[i : i + 100_000] for i in range(0, len(text), 100_000)]  # a frame each
    echoed, figures = asyncio.run(_echo_in_parts(url(server, "/echo-parts"), pieces, f"{server.url}/wsrecv/memory"))
    assert echoed == text
    print(
        f"{len(text.encode()) / 1048576:.1f} MiB text echoed in parts: server tracemalloc peak "
        f"{figures['peak'] / 1024:.0f} KiB"
    )
    assert figures["peak"] < 2 * 1024 * 1024


def test_compressed_message_in_parts(server) -> None:
    payload = b"compressible " * 200_000  # 2.6 MB in 20 kB on the wire, inflated a part at a time
    with connect(url(server, "/echo-parts"), max_size=None, max_queue=None) as ws:
        assert "permessage-deflate" in (ws.response.headers.get("Sec-WebSocket-Extensions") or "")
        ws.send(payload)
        chunks = []
        for _ in range(200):
            if sum(map(len, chunks)) >= len(payload):
                break
            chunks.append(ws.recv(timeout=30))
        assert b"".join(chunks) == payload


def test_pong_handler_sees_unsolicited_pongs(server) -> None:
    with connect(url(server, "/echo-parts")) as ws:
        ws.pong(b"hello")
        assert ws.recv(timeout=10) == "pong:hello"


def test_stream_handlers(server) -> None:
    text = "".join(f"line {i}\n" for i in range(20_000))
    data = os.urandom(300_000)
    with connect(url(server, "/streams"), max_size=None, max_queue=None) as ws:
        ws.send(text)  # 20 times the text buffer: read as a stream, no 1009
        assert json.loads(ws.recv(timeout=30)) == {"lines": 20_000}
        ws.send(data)
        assert json.loads(ws.recv(timeout=30)) == {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def test_decoder_and_path_parameter(server) -> None:
    with connect(url(server, "/game/7")) as ws:
        ws.send('{"piece": "knight", "to": "f3"}')
        assert ws.recv(timeout=10) == "table 7: knight to f3"
        ws.send("{not json")  # DecodeError: on_error, the session stays open
        assert ws.recv(timeout=10) == "error: DecodeError"
        ws.send('{"piece": "pawn", "to": "e4"}')
        assert ws.recv(timeout=10) == "table 7: pawn to e4"
