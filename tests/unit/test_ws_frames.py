"""Tests for catalina_py.websocket.core.frames: the RFC 6455 frame codec."""

from __future__ import annotations

import os
import struct

import pytest

from catalina_py.websocket.core.frames import (
    CloseCode,
    Frame,
    FrameParser,
    Opcode,
    ProtocolError,
    apply_mask,
    is_valid_close_code,
    serialize_frame,
)

MASK = b"\x37\xfa\x21\x3d"


def parse_all(data: bytes, **kwargs) -> list[Frame]:
    parser = FrameParser(**kwargs)
    parser.feed(data)
    frames = []
    while (frame := parser.next_frame()) is not None:
        frames.append(frame)
    assert parser.buffered() == 0
    return frames


def raw(first: int, length_bytes: bytes, payload: bytes = b"", mask: bytes | None = MASK) -> bytes:
    """Hand-build a frame: first byte, second byte(s) w/o mask bit."""
    second = bytearray(length_bytes)
    if mask is not None:
        second[0] |= 0x80
        return bytes([first]) + bytes(second) + mask + apply_mask(payload, mask)
    return bytes([first]) + bytes(second) + payload


# -- the RFC 6455 section 5.7 examples ------------------------------------


def test_rfc_unmasked_hello() -> None:
    data = serialize_frame(Frame(Opcode.TEXT, b"Hello"))
    assert data == bytes.fromhex("810548656c6c6f")


def test_rfc_masked_hello() -> None:
    data = serialize_frame(Frame(Opcode.TEXT, b"Hello"), MASK)
    assert data == bytes.fromhex("818537fa213d7f9f4d5158")
    assert parse_all(data) == [Frame(Opcode.TEXT, b"Hello")]


def test_rfc_fragmented_unmasked() -> None:
    data = bytes.fromhex("010348656c80026c6f")
    frames = parse_all(data, require_mask=False)
    assert frames == [Frame(Opcode.TEXT, b"Hel", fin=False), Frame(Opcode.CONTINUATION, b"lo")]


def test_rfc_ping() -> None:
    assert serialize_frame(Frame(Opcode.PING, b"Hello")) == bytes.fromhex("890548656c6c6f")


@pytest.mark.parametrize(
    "size, header",
    [
        (0, b"\x82\x00"),
        (125, b"\x82\x7d"),
        (126, b"\x82\x7e\x00\x7e"),
        (65535, b"\x82\x7e\xff\xff"),
        (65536, b"\x82\x7f" + struct.pack("!Q", 65536)),
        (300_000, b"\x82\x7f" + struct.pack("!Q", 300_000)),
    ],
)
def test_length_forms(size: int, header: bytes) -> None:
    payload = os.urandom(size)
    data = serialize_frame(Frame(Opcode.BINARY, payload))
    assert data[: len(header)] == header
    assert parse_all(data, require_mask=False) == [Frame(Opcode.BINARY, payload)]
    masked = serialize_frame(Frame(Opcode.BINARY, payload), MASK)
    assert parse_all(masked) == [Frame(Opcode.BINARY, payload)]


def test_non_minimal_length_accepted() -> None:
    # Tomcat and python-websockets accept non-minimal encodings; so do we.
    data = raw(0x82, b"\x7e\x00\x05", b"abcde")
    assert parse_all(data) == [Frame(Opcode.BINARY, b"abcde")]
    data = raw(0x82, b"\x7f" + struct.pack("!Q", 3), b"abc")
    assert parse_all(data) == [Frame(Opcode.BINARY, b"abc")]


def test_mask_roundtrip_and_speed_path() -> None:
    payload = os.urandom(1_000_003)
    masked = apply_mask(payload, MASK)
    assert masked != payload
    assert apply_mask(masked, MASK) == payload
    # Compare with the naive definition on a short sample.
    sample = payload[:37]
    assert apply_mask(sample, MASK) == bytes(b ^ MASK[i % 4] for i, b in enumerate(sample))
    assert apply_mask(b"", MASK) == b""
    with pytest.raises(ValueError):
        apply_mask(b"x", b"abc")


@pytest.mark.parametrize("size", [1, 3, 4, 1023, 1024, 1025, 4099, 65536])
@pytest.mark.parametrize("offset", [0, 1, 2, 3, 6])
def test_mask_matches_the_definition_on_both_sides_of_the_lane_threshold(size: int, offset: int) -> None:
    """Small payloads are XORed as integers, large ones lane by lane: both give RFC 6455's bytes,
    from any position in the key (a piece of a payload read in parts starts mid-key)."""
    payload = os.urandom(size)
    key = os.urandom(4)
    expected = bytes(b ^ key[(i + offset) % 4] for i, b in enumerate(payload))
    assert apply_mask(payload, key, offset) == expected
    assert apply_mask(bytearray(payload), key, offset) == expected


def test_byte_at_a_time() -> None:
    frames = [
        Frame(Opcode.TEXT, b"x" * 200, fin=False),
        Frame(Opcode.PING, b"hb"),
        Frame(Opcode.CONTINUATION, b"y" * 70000),
        Frame(Opcode.CLOSE, b"\x03\xe8bye"),
    ]
    data = b"".join(serialize_frame(f, os.urandom(4)) for f in frames)
    parser = FrameParser()
    out = []
    for i in range(len(data)):
        parser.feed(data[i : i + 1])
        while (frame := parser.next_frame()) is not None:
            out.append(frame)
    assert out == frames


def test_rsv_roundtrip_when_allowed() -> None:
    data = serialize_frame(Frame(Opcode.TEXT, b"abc", rsv1=True), MASK)
    assert data[0] == 0xC1
    assert parse_all(data, allow_rsv1=True) == [Frame(Opcode.TEXT, b"abc", rsv1=True)]


VIOLATIONS = {
    "unmasked client frame": (raw(0x81, b"\x02", b"hi", mask=None), {}),
    "masked server frame": (raw(0x81, b"\x02", b"hi"), {"require_mask": False}),
    "rsv1 without extension": (raw(0xC1, b"\x02", b"hi"), {}),
    "rsv2": (raw(0xA1, b"\x02", b"hi"), {"allow_rsv1": True}),
    "rsv3": (raw(0x91, b"\x02", b"hi"), {"allow_rsv1": True}),
    "rsv1 on continuation": (raw(0x01, b"\x01", b"a") + raw(0xC0, b"\x01", b"b"), {"allow_rsv1": True}),
    "rsv1 on ping": (raw(0xC9, b"\x00"), {"allow_rsv1": True}),
    "opcode 3": (raw(0x83, b"\x00"), {}),
    "opcode 7": (raw(0x87, b"\x00"), {}),
    "opcode 0xB": (raw(0x8B, b"\x00"), {}),
    "opcode 0xF": (raw(0x8F, b"\x00"), {}),
    "control too big": (raw(0x89, b"\x7e\x00\x7e", b"p" * 126), {}),
    "fragmented ping": (raw(0x09, b"\x00"), {}),
    "fragmented close": (raw(0x08, b"\x02", b"\x03\xe8"), {}),
    "continuation without start": (raw(0x80, b"\x01", b"a"), {}),
    "new start inside message": (raw(0x01, b"\x01", b"a") + raw(0x81, b"\x01", b"b"), {}),
    "binary inside text message": (raw(0x01, b"\x01", b"a") + raw(0x02, b"\x01", b"b"), {}),
    "64-bit length top bit": (raw(0x82, b"\x7f\x80" + b"\x00" * 7), {}),
}


@pytest.mark.parametrize("name", list(VIOLATIONS))
def test_violations_raise_1002(name: str) -> None:
    data, kwargs = VIOLATIONS[name]
    parser = FrameParser(**kwargs)
    parser.feed(data)
    with pytest.raises(ProtocolError) as info:
        while parser.next_frame() is not None:
            pass
    assert info.value.code == CloseCode.PROTOCOL_ERROR
    # The parser stays failed.
    with pytest.raises(ProtocolError):
        parser.next_frame()


def test_violation_detected_from_header_alone() -> None:
    # An unknown opcode is reported after 2 bytes, before any payload.
    parser = FrameParser()
    parser.feed(b"\x83\xfe")
    with pytest.raises(ProtocolError):
        parser.next_frame()


def test_max_frame_size_1009_before_payload() -> None:
    parser = FrameParser(max_frame_size=1000)
    parser.feed(raw(0x82, b"\x7f" + struct.pack("!Q", 10**9))[:14])
    with pytest.raises(ProtocolError) as info:
        parser.next_frame()
    assert info.value.code == CloseCode.MESSAGE_TOO_BIG
    ok = FrameParser(max_frame_size=1000)
    ok.feed(serialize_frame(Frame(Opcode.BINARY, b"x" * 1000), MASK))
    assert ok.next_frame() == Frame(Opcode.BINARY, b"x" * 1000)


def test_incomplete_returns_none() -> None:
    data = serialize_frame(Frame(Opcode.BINARY, b"x" * 300), MASK)
    parser = FrameParser()
    parser.feed(data[:-1])
    assert parser.next_frame() is None
    assert parser.next_header() is not None
    assert parser.next_header().length == 300
    parser.feed(data[-1:])
    assert parser.next_frame() == Frame(Opcode.BINARY, b"x" * 300)
    assert parser.next_frame() is None


@pytest.mark.parametrize(
    "code, valid",
    [
        (999, False),
        (1000, True),
        (1003, True),
        (1004, False),
        (1005, False),
        (1006, False),
        (1007, True),
        (1011, True),
        (1014, True),
        (1015, False),
        (1016, False),
        (2999, False),
        (3000, True),
        (4999, True),
        (5000, False),
    ],
)
def test_close_code_validity(code: int, valid: bool) -> None:
    assert is_valid_close_code(code) is valid


# -- cross-check with python-websockets ------------------------------------


def _ws_parse(data: bytes, mask: bool) -> list:
    """Parse server frames with a python-websockets sans-I/O client."""
    from websockets.client import ClientProtocol
    from websockets.protocol import State
    from websockets.uri import parse_uri

    client = ClientProtocol(parse_uri("ws://localhost/"), state=State.OPEN, max_size=None)
    client.receive_data(data)
    return client.events_received()


@pytest.mark.parametrize("size", [0, 5, 125, 126, 65535, 65536, 100_000])
def test_websockets_client_frames_parse(size: int) -> None:
    from websockets.frames import Frame as WsFrame
    from websockets.frames import Opcode as WsOpcode

    payload = os.urandom(size)
    data = WsFrame(WsOpcode.BINARY, payload, fin=False).serialize(mask=True)
    data += WsFrame(WsOpcode.CONT, b"end").serialize(mask=True)
    assert parse_all(data) == [Frame(Opcode.BINARY, payload, fin=False), Frame(Opcode.CONTINUATION, b"end")]


@pytest.mark.parametrize("size", [0, 5, 125, 126, 65535, 65536, 100_000])
def test_our_server_frames_parse_in_websockets(size: int) -> None:
    payload = os.urandom(size)
    data = serialize_frame(Frame(Opcode.BINARY, payload, fin=False))
    data += serialize_frame(Frame(Opcode.CONTINUATION, b"end"))
    parsed = _ws_parse(data, mask=False)
    assert [(int(f.opcode), bytes(f.data), f.fin) for f in parsed] == [(2, payload, False), (0, b"end", True)]


def test_peek_frames_reads_what_we_serialized():
    from catalina_py.websocket.core.frames import peek_frames

    data = serialize_frame(Frame(Opcode.TEXT, b"x" * 300, fin=False)) + serialize_frame(
        Frame(Opcode.PING, b"hi"), mask_key=b"abcd"
    )
    first, second = peek_frames(data, 256)
    assert (first.opcode, first.fin, first.masked, first.length, len(first.payload)) == (
        Opcode.TEXT,
        False,
        False,
        300,
        256,
    )
    assert (second.opcode, second.masked, second.payload) == (Opcode.PING, True, b"hi")


def test_describe_frame():
    from catalina_py.websocket.writer import describe_frame

    assert describe_frame(Opcode.TEXT, True, 5, b"hello") == "text frame, 5 bytes"
    assert describe_frame(Opcode.BINARY, False, 3, b"abc") == "binary frame, 3 bytes (more to come)"
    assert describe_frame(Opcode.CLOSE, True, 5, b"\x03\xe8bye") == "close 1000 'bye'"
