"""Tests for catalina_py.websocket.core.protocol: the sans-I/O server connection."""

from __future__ import annotations

import os

import pytest

from catalina_py.websocket.core.frames import Frame, FrameParser, Opcode, serialize_frame
from catalina_py.websocket.core.protocol import (
    BinaryMessage,
    CloseReceived,
    ConnectionFailed,
    Ping,
    Pong,
    TextMessage,
    WsClosedError,
    WsProtocol,
    WsState,
    truncate_reason,
)


def c(opcode: int, payload: bytes = b"", fin: bool = True, rsv1: bool = False) -> bytes:
    """A masked client frame."""
    return serialize_frame(Frame(opcode, payload, fin, rsv1), os.urandom(4))


def server_frames(data: bytes) -> list[Frame]:
    parser = FrameParser(require_mask=False, allow_rsv1=True)
    parser.feed(data)
    frames = []
    while (frame := parser.next_frame()) is not None:
        frames.append(frame)
    assert parser.buffered() == 0
    return frames


def close_frame(code: int, reason: bytes = b"") -> bytes:
    return c(Opcode.CLOSE, code.to_bytes(2, "big") + reason)


def test_text_and_binary() -> None:
    proto = WsProtocol()
    events = proto.receive_data(c(Opcode.TEXT, "héllo".encode()) + c(Opcode.BINARY, b"\x00\x01"))
    assert events == [TextMessage("héllo"), BinaryMessage(b"\x00\x01")]
    assert proto.data_to_send() == b""
    assert proto.state == WsState.OPEN


def test_empty_messages() -> None:
    proto = WsProtocol()
    assert proto.receive_data(c(Opcode.TEXT) + c(Opcode.BINARY)) == [TextMessage(""), BinaryMessage(b"")]


def test_ping_answered_and_reported() -> None:
    proto = WsProtocol()
    assert proto.receive_data(c(Opcode.PING, b"abc")) == [Ping(b"abc")]
    assert server_frames(proto.data_to_send()) == [Frame(Opcode.PONG, b"abc")]
    assert proto.data_to_send() == b""
    assert proto.receive_data(c(Opcode.PONG, b"x")) == [Pong(b"x")]
    assert proto.data_to_send() == b""


def test_fragmentation_with_interleaved_pings() -> None:
    proto = WsProtocol()
    data = (
        c(Opcode.TEXT, b"Hel", fin=False)
        + c(Opcode.PING, b"1")
        + c(Opcode.CONTINUATION, b"lo ", fin=False)
        + c(Opcode.PONG, b"2")
        + c(Opcode.PING, b"3")
        + c(Opcode.CONTINUATION, b"world")
    )
    assert proto.receive_data(data) == [Ping(b"1"), Pong(b"2"), Ping(b"3"), TextMessage("Hello world")]
    assert server_frames(proto.data_to_send()) == [Frame(Opcode.PONG, b"1"), Frame(Opcode.PONG, b"3")]


def test_byte_at_a_time() -> None:
    proto = WsProtocol(max_binary_message_size=80_000)
    data = (
        c(Opcode.BINARY, b"a" * 300, fin=False)
        + c(Opcode.PING, b"p")
        + c(Opcode.CONTINUATION, b"b" * 70000)
        + c(Opcode.TEXT, "日本語".encode())
    )
    events = []
    for i in range(len(data)):
        events += proto.receive_data(data[i : i + 1])
    assert events == [Ping(b"p"), BinaryMessage(b"a" * 300 + b"b" * 70000), TextMessage("日本語")]


def test_16_and_64_bit_lengths() -> None:
    proto = WsProtocol(max_binary_message_size=1 << 20)
    for size in (126, 65535, 65536, 500_000):
        payload = os.urandom(size)
        assert proto.receive_data(c(Opcode.BINARY, payload)) == [BinaryMessage(payload)]


def test_utf8_split_across_fragments_valid() -> None:
    proto = WsProtocol()
    raw = "κόσμε 𝄞".encode()
    events = []
    for i in range(len(raw)):  # one byte per fragment
        opcode = Opcode.TEXT if i == 0 else Opcode.CONTINUATION
        events += proto.receive_data(c(opcode, raw[i : i + 1], fin=i == len(raw) - 1))
    assert events == [TextMessage("κόσμε 𝄞")]


@pytest.mark.parametrize(
    "first, second",
    [
        (b"ab\xce", b"\xff"),  # bad continuation in the next fragment
        (b"ab\xed", b"\xa0\x80"),  # a surrogate, split
        (b"ok", b"\xc0\xaf"),  # overlong
        (b"ok", b"\xf4\x90\x80\x80"),  # above U+10FFFF
    ],
)
def test_utf8_invalid_fails_fast_before_fin(first: bytes, second: bytes) -> None:
    proto = WsProtocol()
    assert proto.receive_data(c(Opcode.TEXT, first, fin=False)) == []
    events = proto.receive_data(c(Opcode.CONTINUATION, second, fin=False))
    assert events[-1].__class__ is ConnectionFailed
    assert events[-1].code == 1007
    assert proto.state == WsState.CLOSED
    (close,) = server_frames(proto.data_to_send())
    assert close.opcode == Opcode.CLOSE and close.payload[:2] == b"\x03\xef"


def test_utf8_surrogate_prefix_fails_without_more_bytes() -> None:
    proto = WsProtocol()
    events = proto.receive_data(c(Opcode.TEXT, b"x\xed\xa0", fin=False))
    assert events == [ConnectionFailed(1007, events[0].reason)]


def test_utf8_message_ending_mid_code_point() -> None:
    proto = WsProtocol()
    events = proto.receive_data(c(Opcode.TEXT, b"ab\xe2\x82", fin=False) + c(Opcode.CONTINUATION, b""))
    assert [type(e) for e in events] == [ConnectionFailed]
    assert events[0].code == 1007
    proto = WsProtocol()
    assert proto.receive_data(c(Opcode.TEXT, b"\xf0\x9f\x98"))[0].code == 1007


VIOLATIONS = [
    ("unmasked", serialize_frame(Frame(Opcode.TEXT, b"hi")), 1002),
    ("rsv1 no deflate", c(Opcode.TEXT, b"hi", rsv1=True), 1002),
    ("rsv2", c(Opcode.TEXT, b"hi")[:1].replace(b"\x81", b"\xa1") + c(Opcode.TEXT, b"hi")[1:], 1002),
    ("opcode 3", c(3, b""), 1002),
    ("opcode 0xB", c(0xB, b""), 1002),
    ("big ping", c(Opcode.PING, b"x" * 126), 1002),
    ("fragmented ping", c(Opcode.PING, b"", fin=False), 1002),
    ("lone continuation", c(Opcode.CONTINUATION, b"x"), 1002),
    ("new start in message", c(Opcode.TEXT, b"a", fin=False) + c(Opcode.BINARY, b"b"), 1002),
    ("close 1 byte", c(Opcode.CLOSE, b"\x03"), 1002),
    ("close 999", close_frame(999), 1002),
    ("close 0", close_frame(0), 1002),
    ("close 1004", close_frame(1004), 1002),
    ("close 1005", close_frame(1005), 1002),
    ("close 1006", close_frame(1006), 1002),
    ("close 1015", close_frame(1015), 1002),
    ("close 1016", close_frame(1016), 1002),
    ("close 2999", close_frame(2999), 1002),
    ("close 5000", close_frame(5000), 1002),
    ("close bad utf8 reason", close_frame(1000, b"\xff"), 1007),
    ("bad utf8 text", c(Opcode.TEXT, b"\xff"), 1007),
    ("text too big", c(Opcode.TEXT, b"x" * 101), 1009),
    ("binary too big", c(Opcode.BINARY, b"x" * 201), 1009),
    ("fragments too big", c(Opcode.BINARY, b"x" * 150, fin=False) + c(Opcode.CONTINUATION, b"x" * 51), 1009),
]


@pytest.mark.parametrize("name, data, code", VIOLATIONS, ids=[v[0] for v in VIOLATIONS])
def test_violations(name: str, data: bytes, code: int) -> None:
    proto = WsProtocol(max_text_message_size=100, max_binary_message_size=200)
    events = proto.receive_data(data)
    assert isinstance(events[-1], ConnectionFailed)
    assert events[-1].code == code
    assert proto.state == WsState.CLOSED
    (close,) = server_frames(proto.data_to_send())
    assert close.opcode == Opcode.CLOSE
    assert int.from_bytes(close.payload[:2], "big") == code
    # Afterwards: data ignored, sending refused.
    assert proto.receive_data(c(Opcode.TEXT, b"late")) == []
    assert proto.data_to_send() == b""
    with pytest.raises(WsClosedError):
        proto.send_text("x")


@pytest.mark.parametrize("code", [1000, 1001, 1003, 1007, 1011, 1012, 1014, 3000, 4999])
def test_valid_close_codes_echoed(code: int) -> None:
    proto = WsProtocol()
    events = proto.receive_data(close_frame(code, "ciao ✓".encode()))
    assert events == [CloseReceived(code, "ciao ✓")]
    assert proto.state == WsState.CLOSED
    # Code and reason echoed, as Tomcat echoes them.
    assert server_frames(proto.data_to_send()) == [Frame(Opcode.CLOSE, code.to_bytes(2, "big") + "ciao ✓".encode())]


def test_message_too_big_refused_from_header() -> None:
    proto = WsProtocol(max_binary_message_size=1000)
    # Only the header of a 1 GB frame: refused before any payload arrives.
    data = bytes([0x82, 0xFF]) + (10**9).to_bytes(8, "big") + b"abcd"
    events = proto.receive_data(data)
    assert events == [ConnectionFailed(1009, events[0].reason)]


def test_limit_exactly_reached_is_fine() -> None:
    proto = WsProtocol(max_text_message_size=10)
    assert proto.receive_data(c(Opcode.TEXT, b"a" * 4, fin=False) + c(Opcode.CONTINUATION, b"b" * 6)) == [
        TextMessage("aaaabbbbbb")
    ]


def test_empty_close_answered_with_1000_as_tomcat() -> None:
    proto = WsProtocol()
    assert proto.receive_data(c(Opcode.CLOSE)) == [CloseReceived(1005, "")]
    assert server_frames(proto.data_to_send()) == [Frame(Opcode.CLOSE, b"\x03\xe8")]
    assert proto.state == WsState.CLOSED


def test_client_initiated_close_then_data_ignored() -> None:
    proto = WsProtocol()
    events = proto.receive_data(close_frame(1001, b"bye") + c(Opcode.TEXT, b"after"))
    assert events == [CloseReceived(1001, "bye")]
    assert proto.close_received == (1001, "bye")
    for send in (
        lambda: proto.send_text("x"),
        lambda: proto.send_binary(b"x"),
        lambda: proto.send_ping(),
        lambda: proto.send_pong(),
        lambda: proto.send_close(),
    ):
        with pytest.raises(WsClosedError):
            send()


def test_server_initiated_close() -> None:
    proto = WsProtocol()
    frame = proto.send_close(1000, "done")
    assert server_frames(frame) == [Frame(Opcode.CLOSE, b"\x03\xe8done")]
    assert proto.state == WsState.CLOSING
    with pytest.raises(WsClosedError):
        proto.send_text("no more")
    # Data and pings still arrive while closing; pings are not answered.
    assert proto.receive_data(c(Opcode.TEXT, b"late") + c(Opcode.PING, b"p")) == [TextMessage("late"), Ping(b"p")]
    assert proto.data_to_send() == b""
    assert proto.receive_data(close_frame(1000)) == [CloseReceived(1000, "")]
    assert proto.state == WsState.CLOSED
    assert proto.data_to_send() == b""  # no second close


def test_violation_while_closing_sends_no_second_close() -> None:
    proto = WsProtocol()
    proto.send_close()
    events = proto.receive_data(c(3))
    assert events[0].code == 1002
    assert proto.state == WsState.CLOSED
    assert proto.data_to_send() == b""


def test_eof() -> None:
    proto = WsProtocol()
    assert proto.receive_data(b"") == [ConnectionFailed(1006, "connection closed without a close frame")]
    assert proto.state == WsState.CLOSED
    assert proto.data_to_send() == b""
    assert proto.receive_data(b"") == []


def test_send_frames() -> None:
    proto = WsProtocol()
    assert proto.send_text("Hello") == bytes.fromhex("810548656c6c6f")
    assert server_frames(proto.send_binary(b"\x01" * 70000)) == [Frame(Opcode.BINARY, b"\x01" * 70000)]
    assert proto.send_ping(b"p") == b"\x89\x01p"
    assert proto.send_pong(b"q") == b"\x8a\x01q"
    with pytest.raises(ValueError):
        proto.send_ping(b"x" * 126)


def test_send_fragmented() -> None:
    proto = WsProtocol()
    data = (
        proto.send_text("Hel", fin=False) + proto.send_ping() + proto.send_text("lo", fin=False) + proto.send_text("!")
    )
    assert server_frames(data) == [
        Frame(Opcode.TEXT, b"Hel", fin=False),
        Frame(Opcode.PING, b""),
        Frame(Opcode.CONTINUATION, b"lo", fin=False),
        Frame(Opcode.CONTINUATION, b"!"),
    ]
    proto.send_binary(b"a", fin=False)
    with pytest.raises(ValueError):
        proto.send_text("mixed")


@pytest.mark.parametrize("code", [999, 1005, 1006, 1015, 2000, 5000])
def test_send_close_invalid_code(code: int) -> None:
    proto = WsProtocol()
    with pytest.raises(ValueError):
        proto.send_close(code)
    assert proto.state == WsState.OPEN


def test_close_reason_truncated_safely() -> None:
    assert truncate_reason("a" * 123) == b"a" * 123
    cut = truncate_reason("é" * 100)  # 200 bytes
    assert len(cut) <= 123 and cut.endswith(b"...")
    cut.decode("utf-8")  # never splits a code point
    proto = WsProtocol()
    (frame,) = server_frames(proto.send_close(1000, "€" * 100))
    assert len(frame.payload) <= 125


# -- cross-check with python-websockets' sans-I/O client --------------------


def _ws_client():
    from websockets.client import ClientProtocol
    from websockets.protocol import State
    from websockets.uri import parse_uri

    return ClientProtocol(parse_uri("ws://localhost/"), state=State.OPEN, max_size=None)


def test_websockets_client_conversation() -> None:
    client = _ws_client()
    proto = WsProtocol(max_binary_message_size=100_000)
    client.send_text(b"Hello", fin=False)
    client.send_ping(b"hb")
    client.send_continuation(b", world", fin=True)
    client.send_binary(b"\x00" * 100_000)
    events = proto.receive_data(b"".join(client.data_to_send()))
    assert events == [Ping(b"hb"), TextMessage("Hello, world"), BinaryMessage(b"\x00" * 100_000)]
    client.receive_data(proto.data_to_send() + proto.send_text("réponse") + proto.send_binary(b"\x01\x02"))
    received = client.events_received()
    assert [(int(f.opcode), bytes(f.data)) for f in received] == [
        (10, b"hb"),
        (1, "réponse".encode()),
        (2, b"\x01\x02"),
    ]
    # The server closes; the client echoes; both end up closed.
    client.receive_data(proto.send_close(1001, "going"))
    assert client.close_rcvd.code == 1001
    events = proto.receive_data(b"".join(client.data_to_send()))
    assert events == [CloseReceived(1001, "going")]
    assert proto.state == WsState.CLOSED


def test_websockets_client_close_echoed() -> None:
    client = _ws_client()
    proto = WsProtocol()
    client.send_close(4000, "app done")
    assert proto.receive_data(b"".join(client.data_to_send())) == [CloseReceived(4000, "app done")]
    client.receive_data(proto.data_to_send())
    assert client.close_rcvd.code == 4000
    assert client.close_rcvd_then_sent is False


def test_stop_after_message_leaves_a_following_close_for_later() -> None:
    # A message and a close in one read: the message's answer may still be
    # sent before the close is handled (Tomcat answers, then closes).
    proto = WsProtocol()
    data = (
        c(Opcode.TEXT, b"hi") + c(Opcode.TEXT, b"again", fin=False) + c(Opcode.CONTINUATION, b"!") + close_frame(1000)
    )
    assert proto.receive_data(data, stop_after_message=True) == [TextMessage("hi")]
    assert proto.state == WsState.OPEN and proto.has_buffered_input
    answer = proto.send_text("hi")
    assert proto.receive_buffered(stop_after_message=True) == [TextMessage("again!")]
    assert proto.receive_buffered(stop_after_message=True) == [CloseReceived(1000, "")]
    assert not proto.has_buffered_input and proto.state == WsState.CLOSED
    assert server_frames(answer + proto.data_to_send()) == [
        Frame(Opcode.TEXT, b"hi"),
        Frame(Opcode.CLOSE, b"\x03\xe8"),
    ]


def test_stop_after_message_then_a_bad_frame() -> None:
    proto = WsProtocol()
    data = c(Opcode.BINARY, b"x") + serialize_frame(Frame(Opcode.TEXT, b"unmasked"))
    assert proto.receive_data(data, stop_after_message=True) == [BinaryMessage(b"x")]
    assert proto.state == WsState.OPEN
    proto.send_binary(b"x")
    (failed,) = proto.receive_buffered(stop_after_message=True)
    assert failed.code == 1002 and proto.state == WsState.CLOSED


def test_a_partial_frame_after_a_message_waits_for_more_bytes() -> None:
    proto = WsProtocol()
    second = c(Opcode.TEXT, b"second")
    assert proto.receive_data(c(Opcode.TEXT, b"first") + second[:3], stop_after_message=True) == [TextMessage("first")]
    assert proto.has_buffered_input
    assert proto.receive_buffered(stop_after_message=True) == []
    assert proto.receive_data(second[3:], stop_after_message=True) == [TextMessage("second")]


@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536, 70000])
def test_send_whole_frames_with_each_length_form(size: int) -> None:
    """The header of a whole uncompressed message is made on a short path: the minimal
    7-, 16- or 64-bit length, FIN set, the payload after it."""
    proto = WsProtocol()
    payload = os.urandom(size)
    data = proto.send_binary(payload)
    assert server_frames(data) == [Frame(Opcode.BINARY, payload)]
    assert len(data) == size + (2 if size < 126 else 4 if size < 65536 else 10)
    assert server_frames(proto.send_text("é" * (size // 2))) == [Frame(Opcode.TEXT, ("é" * (size // 2)).encode())]
