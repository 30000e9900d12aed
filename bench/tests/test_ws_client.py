"""Unit tests of the benchmark's own WebSocket client (bench/ws_client.py, bench/ws_scenarios.py): no server.

Run with: bin/test.sh bench/tests -q
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ws_client import (  # noqa: E402
    OP_BINARY,
    OP_CLOSE,
    OP_CONTINUATION,
    OP_PING,
    OP_PONG,
    OP_TEXT,
    FrameParser,
    WsProtocolError,
    accept_key,
    check_handshake_response,
    encode_frame,
    mask_payload,
    server_frame,
)
from ws_scenarios import EchoConn, OpenExchange, PayloadPool, percentile  # noqa: E402


def test_accept_key_matches_the_rfc_example() -> None:
    assert accept_key(b"dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def test_mask_is_its_own_inverse_and_matches_bytewise_xor() -> None:
    payload = bytes(range(256)) * 3 + b"xyz"
    mask = b"\x01\x80\xfe\x33"
    masked = mask_payload(payload, mask)
    assert masked == bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    assert mask_payload(masked, mask) == payload
    assert mask_payload(b"", mask) == b""


@pytest.mark.parametrize("size, head_len", [(0, 2), (125, 2), (126, 4), (65535, 4), (65536, 10)])
def test_client_frames_use_the_minimal_length_and_a_mask(size: int, head_len: int) -> None:
    payload = b"a" * size
    frame = encode_frame(OP_BINARY, payload, mask=b"\x00\x00\x00\x00")
    assert frame[0] == 0x80 | OP_BINARY
    assert frame[1] & 0x80
    assert len(frame) == head_len + 4 + size
    assert frame[head_len + 4 :] == payload


def test_parser_reads_frames_split_anywhere() -> None:
    stream = server_frame(OP_TEXT, b"hello") + server_frame(OP_BINARY, b"x" * 70000) + server_frame(OP_PING, b"p")
    for cut in (1, 3, 7, 50, 69999, len(stream) - 1):
        parser = FrameParser()
        got = parser.feed(stream[:cut]) + parser.feed(stream[cut:])
        assert [(m.opcode, len(m.payload)) for m in got] == [(OP_TEXT, 5), (OP_BINARY, 70000), (OP_PING, 1)]
        assert parser.buffered == 0


def test_parser_joins_fragments_around_a_control_frame() -> None:
    first = bytes((OP_TEXT, 3)) + b"abc"
    ping = server_frame(OP_PING, b"")
    last = bytes((0x80 | OP_CONTINUATION, 2)) + b"de"
    got = FrameParser().feed(first + ping + last)
    assert [(m.opcode, m.payload) for m in got] == [(OP_PING, b""), (OP_TEXT, b"abcde")]


@pytest.mark.parametrize(
    "frame, why",
    [
        (bytes((0x81, 0x81)) + b"\0\0\0\0a", "masked"),
        (bytes((0xC1, 1)) + b"a", "reserved"),
        (bytes((0x81, 126, 0, 5)) + b"abcde", "minimal"),
        (bytes((0x09, 0)), "control"),
        (bytes((0x80, 1)) + b"a", "continuation"),
    ],
)
def test_parser_refuses_what_a_server_must_not_send(frame: bytes, why: str) -> None:
    with pytest.raises(WsProtocolError, match=why):
        FrameParser().feed(frame)


def test_handshake_response_is_checked() -> None:
    key = b"dGhlIHNhbXBsZSBub25jZQ=="
    good = (
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    )
    check_handshake_response(good, key)
    with pytest.raises(WsProtocolError, match="Accept"):
        check_handshake_response(good.replace(b"xOo=", b"xOx="), key)
    with pytest.raises(WsProtocolError, match="101"):
        check_handshake_response(b"HTTP/1.1 403 Forbidden", key)


def _conn(window: int, opcode: int = OP_TEXT, size: int = 16) -> EchoConn:
    conn = EchoConn(sock=None, pool=PayloadPool(size, opcode, 8), start=6)  # type: ignore[arg-type]
    conn.queue(window, 0.0)
    return conn


def test_echo_fast_path_counts_exact_replies_across_the_wrap() -> None:
    conn = _conn(4)
    replies = b"".join(server_frame(OP_TEXT, conn.pool.payloads[i % 8]) for i in range(6, 10))
    assert conn.on_data(replies[:20]) == 1
    assert conn.on_data(replies[20:]) == 3
    assert conn.parser is None and conn.next_expect == 2


def test_echo_general_path_after_a_ping_still_verifies() -> None:
    conn = _conn(2)
    data = server_frame(OP_PING, b"hb") + server_frame(OP_TEXT, conn.pool.payloads[6])
    assert conn.on_data(data) == 1
    assert conn.parser is not None
    assert conn.out.endswith(mask_payload(b"hb", bytes(conn.out[-6:-2])))  # the pong, masked
    assert conn.on_data(server_frame(OP_TEXT, conn.pool.payloads[7])) == 1


@pytest.mark.parametrize(
    "reply",
    [
        lambda pool: server_frame(OP_TEXT, pool.payloads[7]),  # out of order
        lambda pool: server_frame(OP_BINARY, pool.payloads[6]),  # wrong type
        lambda pool: server_frame(OP_TEXT, pool.payloads[6][:-1] + b"!"),  # one byte changed
    ],
)
def test_echo_mismatch_fails(reply) -> None:  # type: ignore[no-untyped-def]
    conn = _conn(2)
    with pytest.raises(WsProtocolError, match="mismatch"):
        conn.on_data(reply(conn.pool))


def test_echo_extra_message_fails() -> None:
    conn = _conn(1)
    data = server_frame(OP_TEXT, conn.pool.payloads[6]) + server_frame(OP_TEXT, conn.pool.payloads[7])
    with pytest.raises(WsProtocolError, match="none in flight"):
        conn.on_data(data)


def test_a_close_from_the_server_fails_the_load() -> None:
    conn = _conn(1)
    with pytest.raises(WsProtocolError, match="closed"):
        conn.on_data(server_frame(OP_CLOSE, b"\x03\xe8"))


def test_percentile_nearest_rank() -> None:
    values = [float(i) for i in range(1, 101)]
    assert percentile(values, 0.5) == 50.0
    assert percentile(values, 0.99) == 99.0
    assert percentile([], 0.5) is None


def test_parser_counts_data_frames_not_control_frames() -> None:
    parser = FrameParser()
    first = bytes((OP_BINARY, 3)) + b"abc"
    last = bytes((0x80 | OP_CONTINUATION, 2)) + b"de"
    got = parser.feed(first + server_frame(OP_PING, b"") + last + server_frame(OP_TEXT, b"x"))
    assert [(m.opcode, m.payload) for m in got] == [(OP_PING, b""), (OP_BINARY, b"abcde"), (OP_TEXT, b"x")]
    assert parser.data_frames == 3


def test_echo_counts_the_frames_a_fragmented_reply_came_in() -> None:
    conn = _conn(2, OP_BINARY, 10)
    payload = conn.pool.payloads[6]
    fragmented = bytes((OP_BINARY, 4)) + payload[:4] + bytes((0x80 | OP_CONTINUATION, 6)) + payload[4:]
    assert conn.on_data(fragmented) == 1
    assert conn.on_data(server_frame(OP_BINARY, conn.pool.payloads[7])) == 1
    assert (conn.messages, conn.frames) == (2, 3)


def test_echo_counts_server_pings() -> None:
    conn = _conn(1)
    assert conn.on_data(server_frame(OP_PING, b"a") + server_frame(OP_TEXT, conn.pool.payloads[6])) == 1
    assert conn.server_pings == 1 and (conn.messages, conn.frames) == (1, 1)


# The opens scenario's exchange, fed what a server would send.


def client_frames(data: bytes) -> list[tuple[int, bytes]]:
    """The (opcode, unmasked payload) of each masked client frame in ``data`` (all final, under 126 bytes)."""
    frames = []
    while data:
        assert data[0] & 0x80 and data[1] & 0x80, "final and masked"
        n = data[1] & 0x7F
        assert n < 126
        mask, payload = data[2:6], data[6 : 6 + n]
        frames.append((data[0] & 0x0F, mask_payload(payload, mask)))
        data = data[6 + n :]
    return frames


def _exchange() -> OpenExchange:
    return OpenExchange("127.0.0.1", 8080, "/echo", b"0001000000a2abcd")


def _accept(ex: OpenExchange) -> bytes:
    return (
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Accept: " + accept_key(ex.key).encode() + b"\r\n\r\n"
    )


def test_open_exchange_goes_through_handshake_echo_and_close() -> None:
    ex = _exchange()
    assert ex.request.startswith(b"GET /echo HTTP/1.1\r\n") and ex.key in ex.request
    head = _accept(ex)
    assert ex.feed(head[:10]) == b""  # the head split anywhere
    assert client_frames(ex.feed(head[10:])) == [(OP_TEXT, ex.payload)]
    assert ex.state == OpenExchange.ECHO
    assert client_frames(ex.feed(server_frame(OP_TEXT, ex.payload))) == [(OP_CLOSE, b"\x03\xe8")]
    assert ex.state == OpenExchange.CLOSING
    assert ex.feed(server_frame(OP_CLOSE, b"\x03\xe8")) == b""
    assert ex.state == OpenExchange.CLOSED and ex.close_body == b"\x03\xe8"
    ex.eof()


def test_open_exchange_takes_the_echo_in_the_same_read_as_the_head_and_an_empty_close() -> None:
    ex = _exchange()
    out = ex.feed(_accept(ex))
    ex2_out = ex.feed(server_frame(OP_PING, b"p") + server_frame(OP_TEXT, ex.payload) + server_frame(OP_CLOSE, b""))
    assert client_frames(out) == [(OP_TEXT, ex.payload)]
    assert client_frames(ex2_out) == [(OP_PONG, b"p"), (OP_CLOSE, b"\x03\xe8")]
    assert ex.state == OpenExchange.CLOSED and ex.close_body == b"" and ex.server_pings == 1


@pytest.mark.parametrize(
    "response, why",
    [
        (lambda ex: b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", "101"),
        (lambda ex: _accept(ex).replace(accept_key(ex.key).encode(), b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), "Accept"),
        (lambda ex: _accept(ex)[:-2] + b"Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n", "extension"),
    ],
)
def test_open_exchange_checks_the_handshake(response, why: str) -> None:  # type: ignore[no-untyped-def]
    ex = _exchange()
    with pytest.raises(WsProtocolError, match=why):
        ex.feed(response(ex))


@pytest.mark.parametrize(
    "reply, why",
    [
        (lambda p: server_frame(OP_TEXT, p[:-1] + b"!"), "mismatch"),
        (lambda p: server_frame(OP_BINARY, p), "mismatch"),
        (lambda p: server_frame(OP_CLOSE, b"\x03\xe8"), "closed before the echo"),
    ],
)
def test_open_exchange_checks_the_echo(reply, why: str) -> None:  # type: ignore[no-untyped-def]
    ex = _exchange()
    ex.feed(_accept(ex))
    with pytest.raises(WsProtocolError, match=why):
        ex.feed(reply(ex.payload))


def test_open_exchange_checks_the_close() -> None:
    ex = _exchange()
    ex.feed(_accept(ex))
    ex.feed(server_frame(OP_TEXT, ex.payload))
    with pytest.raises(WsProtocolError, match="code 1000"):
        ex.feed(server_frame(OP_CLOSE, b"\x03\xe9going"))
    ex = _exchange()
    ex.feed(_accept(ex))
    ex.feed(server_frame(OP_TEXT, ex.payload))
    with pytest.raises(WsProtocolError, match="unexpected"):
        ex.feed(server_frame(OP_TEXT, ex.payload))


def test_open_exchange_fails_on_an_early_end_of_the_connection() -> None:
    ex = _exchange()
    with pytest.raises(WsProtocolError, match="handshake"):
        ex.eof()
    ex.feed(_accept(ex))
    ex.feed(server_frame(OP_TEXT, ex.payload))
    with pytest.raises(WsProtocolError, match="closing"):
        ex.eof()
