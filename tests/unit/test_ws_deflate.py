"""Tests for catalina_py.websocket.core.permessage_deflate (RFC 7692)."""

from __future__ import annotations

import os
import zlib

import pytest

from catalina_py.http.headers import Headers
from catalina_py.websocket.core.frames import Frame, Opcode, ProtocolError, peek_frames, serialize_frame
from catalina_py.websocket.core.handshake import response_headers, validate_request
from catalina_py.websocket.core.permessage_deflate import PerMessageDeflate, parse_extension_header
from catalina_py.websocket.core.protocol import BinaryMessage, ConnectionFailed, TextMessage, WsProtocol


def negotiate(*values: str, **policy):
    return PerMessageDeflate.negotiate(list(values), **policy)


# -- negotiation -----------------------------------------------------------


@pytest.mark.parametrize(
    "offer, response",
    [
        ("permessage-deflate", "permessage-deflate"),
        # Tomcat 10.1's answers, byte for byte (checked against a running one).
        ("permessage-deflate; client_max_window_bits", "permessage-deflate;client_max_window_bits=15"),
        ("permessage-deflate; client_max_window_bits=10", "permessage-deflate;client_max_window_bits=10"),
        ("permessage-deflate; client_max_window_bits=09", "permessage-deflate;client_max_window_bits=9"),
        ("permessage-deflate; server_max_window_bits=12", "permessage-deflate;server_max_window_bits=12"),
        ("permessage-deflate; server_no_context_takeover", "permessage-deflate;server_no_context_takeover"),
        ("permessage-deflate; client_no_context_takeover", "permessage-deflate;client_no_context_takeover"),
        ('permessage-deflate; server_max_window_bits="10"', "permessage-deflate;server_max_window_bits=10"),
        (
            "permessage-deflate; client_no_context_takeover; client_max_window_bits",
            "permessage-deflate;client_no_context_takeover;client_max_window_bits=15",
        ),
        (
            "permessage-deflate ; server_no_context_takeover ; " "client_max_window_bits = 9",
            "permessage-deflate;server_no_context_takeover;" "client_max_window_bits=9",
        ),
    ],
)
def test_negotiate_accepts(offer: str, response: str) -> None:
    extension, header = negotiate(offer)
    assert header == response
    assert extension is not None
    assert extension.response_header() == response


@pytest.mark.parametrize(
    "offer",
    [
        "permessage-deflate; foo",  # unknown parameter
        "permessage-deflate; server_no_context_takeover; " "server_no_context_takeover",  # duplicate
        "permessage-deflate; client_max_window_bits=9; " "client_max_window_bits=10",  # duplicate
        "permessage-deflate; server_max_window_bits",  # value required
        "permessage-deflate; server_max_window_bits=16",
        "permessage-deflate; server_max_window_bits=7",
        "permessage-deflate; client_max_window_bits=abc",
        "permessage-deflate; client_max_window_bits=+9",
        # Names are case-sensitive, as in Tomcat and python-websockets.
        "PerMessage-Deflate",
        "permessage-deflate; Server_No_Context_Takeover",
        "permessage-deflate; server_no_context_takeover=1",  # takes no value
        "permessage-deflate; server_max_window_bits=8",  # zlib cannot
        'permessage-deflate; server_max_window_bits="1 0"',
        "x-webkit-deflate-frame",
        "",
    ],
)
def test_negotiate_declines(offer: str) -> None:
    assert negotiate(offer) == (None, None)


def test_negotiate_skips_to_next_offer() -> None:
    extension, header = negotiate(
        "permessage-deflate; server_max_window_bits=8, " "permessage-deflate; bogus, foo-ext",
        "permessage-deflate; client_no_context_takeover",
    )
    assert header == "permessage-deflate;client_no_context_takeover"
    assert extension.client_no_context_takeover is True


def test_negotiate_server_policy() -> None:
    _, header = negotiate(
        "permessage-deflate; client_max_window_bits",
        server_no_context_takeover=True,
        client_no_context_takeover=True,
        server_max_window_bits=11,
        client_max_window_bits=10,
    )
    assert header == (
        "permessage-deflate;server_no_context_takeover;server_max_window_bits=11;"
        "client_no_context_takeover;client_max_window_bits=10"
    )
    # The smaller of offer and cap wins.
    _, header = negotiate(
        "permessage-deflate; server_max_window_bits=10; " "client_max_window_bits=12",
        server_max_window_bits=12,
        client_max_window_bits=11,
    )
    assert header == "permessage-deflate;server_max_window_bits=10;client_max_window_bits=11"
    # A client that did not offer client_max_window_bits cannot be capped.
    _, header = negotiate("permessage-deflate", client_max_window_bits=10)
    assert header == "permessage-deflate"
    with pytest.raises(ValueError):
        negotiate("permessage-deflate", server_max_window_bits=8)


def test_parse_extension_header() -> None:
    assert parse_extension_header(['a; x=1; y="q\\z", b', "c"]) == [
        ("a", [("x", "1"), ("y", "qz")]),
        ("b", []),
        ("c", []),
    ]
    # A quoted value must still be a token once unquoted (RFC 7692 7.1).
    assert parse_extension_header(['a; y="q,z", b']) == [("b", [])]
    assert parse_extension_header(["foo; x=1, permessage-deflate; " 'server_max_window_bits="10"']) == [
        ("foo", [("x", "1")]),
        ("permessage-deflate", [("server_max_window_bits", "10")]),
    ]
    # Malformed elements are dropped, the rest kept.
    assert parse_extension_header(["a b, c; =1, d"]) == [("d", [])]


# -- the codec -------------------------------------------------------------


def test_rfc7692_examples() -> None:
    # 7.2.3.1: "Hello" in one compressed message.
    ext = PerMessageDeflate()
    assert ext.compress(b"Hello") == bytes.fromhex("f248cdc9c90700")
    # 7.2.3.2: the same message again, using the sliding window.
    assert ext.compress(b"Hello") == bytes.fromhex("f200110000")
    receiver = PerMessageDeflate()
    assert receiver.decompress(bytes.fromhex("f248cdc9c90700"), 100) == b"Hello"
    assert receiver.decompress(bytes.fromhex("f200110000"), 100) == b"Hello"
    # 7.2.3.3: a stored (uncompressed) block.
    assert PerMessageDeflate().decompress(bytes.fromhex("000500faff48656c6c6f00"), 100) == b"Hello"
    # 7.2.3.6: an empty message compresses to a single 0x00.
    assert PerMessageDeflate().compress(b"") == b"\x00"
    assert PerMessageDeflate().decompress(b"\x00", 10) == b""


def test_no_context_takeover_resets_compressor() -> None:
    ext = PerMessageDeflate(server_no_context_takeover=True)
    first = ext.compress(b"Hello")
    assert ext.compress(b"Hello") == first
    # A receiver that resets per message decodes both independently.
    receiver = PerMessageDeflate(client_no_context_takeover=True)
    assert receiver.decompress(first, 10) == b"Hello"
    assert receiver.decompress(first, 10) == b"Hello"


@pytest.mark.parametrize("bits", [None, 9, 12])
def test_no_context_takeover_same_bytes_as_a_new_compressor(bits: int | None) -> None:
    # One compressor, flushed in full after each message: each message's
    # bytes are those a compressor made for it alone would give, and a new
    # inflater reads each alone (nothing refers to an earlier message).
    ext = PerMessageDeflate(server_no_context_takeover=True, server_max_window_bits=bits)
    messages = [b'{"id": %d, "name": "catalina", "tags": ["a", "b", "c"]}' % n * (n + 1) for n in range(6)]
    messages.append(os.urandom(3000) + messages[2])
    for message in messages:
        alone = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -(bits or 15))
        expected = alone.compress(message) + alone.flush(zlib.Z_SYNC_FLUSH)
        sent = ext.compress(message)
        assert sent == expected[:-4]
        assert zlib.decompressobj(-(bits or 15)).decompress(sent + b"\x00\x00\xff\xff") == message
    # In parts too: the message ends the history, not each part.
    first = ext.compress_fragment(messages[3][:40], False) + ext.compress_fragment(messages[3][40:], True)
    assert zlib.decompressobj(-15).decompress(first + b"\x00\x00\xff\xff") == messages[3]


def test_server_window_bits_respected() -> None:
    block = os.urandom(600)
    data = block + os.urandom(100) + block  # repeat at distance 700 > 512
    ext = PerMessageDeflate(server_max_window_bits=9)
    compressed = ext.compress(data)
    assert zlib.decompressobj(-9).decompress(compressed + b"\x00\x00\xff\xff") == data
    # The 9-bit compressor could not reach back 700 bytes (zlib's inflate
    # does not police distances, so the size is what proves the window);
    # a 15-bit one finds the repeat.
    wide = PerMessageDeflate().compress(data)
    assert len(compressed) > len(data) > len(wide)


def test_bomb_stopped_at_bound() -> None:
    bomb = PerMessageDeflate().compress(b"\x00" * 5_000_000)
    assert len(bomb) < 10_000
    with pytest.raises(ProtocolError) as info:
        PerMessageDeflate().decompress(bomb, 1_000_000)
    assert info.value.code == 1009
    assert PerMessageDeflate().decompress(bomb, 5_000_000) == b"\x00" * 5_000_000


def test_bomb_through_protocol() -> None:
    bomb = PerMessageDeflate().compress(b"A" * 3_000_000)
    proto = WsProtocol(max_text_message_size=65536, deflate=PerMessageDeflate())
    events = proto.receive_data(serialize_frame(Frame(Opcode.TEXT, bomb, rsv1=True), os.urandom(4)))
    assert events == [ConnectionFailed(1009, events[0].reason)]


def test_fragmented_bomb_through_protocol() -> None:
    bomb = PerMessageDeflate().compress(b"B" * 2_000_000)
    half = len(bomb) // 2
    proto = WsProtocol(max_binary_message_size=100_000, deflate=PerMessageDeflate())
    data = serialize_frame(Frame(Opcode.BINARY, bomb[:half], fin=False, rsv1=True), os.urandom(4)) + serialize_frame(
        Frame(Opcode.CONTINUATION, bomb[half:]), os.urandom(4)
    )
    events = proto.receive_data(data)
    assert [e.code for e in events] == [1009]


def test_invalid_deflate_data_1002_as_tomcat() -> None:
    proto = WsProtocol(deflate=PerMessageDeflate())
    events = proto.receive_data(serialize_frame(Frame(Opcode.BINARY, b"\xff\xff\xff\xff", rsv1=True), os.urandom(4)))
    assert events[0].code == 1002


def test_protocol_uncompressed_message_with_deflate_on() -> None:
    proto = WsProtocol(deflate=PerMessageDeflate())
    events = proto.receive_data(serialize_frame(Frame(Opcode.TEXT, b"raw"), os.urandom(4)))
    assert events == [TextMessage("raw")]


def test_protocol_rsv1_on_continuation_1002() -> None:
    proto = WsProtocol(deflate=PerMessageDeflate())
    payload = PerMessageDeflate().compress(b"abcdef")
    events = proto.receive_data(
        serialize_frame(Frame(Opcode.TEXT, payload[:2], fin=False, rsv1=True), os.urandom(4))
        + serialize_frame(Frame(Opcode.CONTINUATION, payload[2:], rsv1=True), os.urandom(4))
    )
    assert events[0].code == 1002


# -- end to end against python-websockets' client --------------------------

COMBINATIONS = [
    {},
    {"server_no_context_takeover": True},
    {"client_no_context_takeover": True},
    {"server_max_window_bits": 10},
    {"client_max_window_bits": 9},
    {"client_max_window_bits": None},
    {
        "server_max_window_bits": 9,
        "client_max_window_bits": 9,
        "server_no_context_takeover": True,
        "client_no_context_takeover": True,
    },
    {"server_max_window_bits": 12, "client_max_window_bits": 11, "client_no_context_takeover": True},
]


@pytest.mark.parametrize(
    "params", COMBINATIONS, ids=[",".join(f"{k}={v}" for k, v in p.items()) or "defaults" for p in COMBINATIONS]
)
def test_round_trip_with_websockets(params: dict) -> None:
    from websockets.client import ClientProtocol
    from websockets.datastructures import Headers as WsHeaders
    from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory
    from websockets.http11 import Response
    from websockets.protocol import State
    from websockets.uri import parse_uri

    client = ClientProtocol(
        parse_uri("ws://localhost/"), max_size=None, extensions=[ClientPerMessageDeflateFactory(**params)]
    )
    request = client.connect()
    headers = Headers(list(request.headers.raw_items()))
    key = validate_request("GET", "HTTP/1.1", headers)
    deflate, ext_header = PerMessageDeflate.negotiate(headers.get_all("Sec-WebSocket-Extensions"))
    assert deflate is not None
    client.send_request(request)
    client.receive_data(
        Response(101, "Switching Protocols", WsHeaders(response_headers(key, None, ext_header))).serialize()
    )
    assert client.state is State.OPEN, client.handshake_exc
    client.data_to_send()  # drop the already "sent" HTTP request
    client.events_received()  # and the Response event

    proto = WsProtocol(max_text_message_size=1 << 20, max_binary_message_size=1 << 20, deflate=deflate)
    text = "Un message répété, encore et encore. " * 50
    blob = os.urandom(3000) * 5
    expected = []
    for _ in range(3):
        client.send_text(text.encode())
        client.send_binary(blob)
        expected += [TextMessage(text), BinaryMessage(blob)]
    client.send_text(b"frag-", fin=False)
    client.send_ping(b"mid")
    client.send_continuation("mented ✓".encode(), fin=True)
    client.send_text(b"")
    wire = b"".join(client.data_to_send())
    assert len(wire) < 3 * (len(text) + len(blob))  # it really compressed
    events = [e for e in proto.receive_data(wire) if e.__class__.__name__ != "Ping"]
    assert events == expected + [TextMessage("frag-mented ✓"), TextMessage("")]

    out = proto.data_to_send()  # the pong
    for _ in range(3):
        out += proto.send_text(text) + proto.send_binary(blob)
    out += (
        proto.send_binary(b"par", fin=False)
        + proto.send_binary(b"tial", fin=False)
        + proto.send_binary(b"", fin=True)
        + proto.send_text("")
    )
    client.receive_data(out)
    received = [(int(f.opcode), bytes(f.data), f.fin) for f in client.events_received()]
    # The parts before the last stay in zlib (as Tomcat's NO_FLUSH): small
    # parts leave as one frame.
    assert received == [(10, b"mid", True)] + [(1, text.encode(), True), (2, blob, True)] * 3 + [
        (2, b"partial", True),
        (1, b"", True),
    ]
    # Parts whose compressed form zlib emits before the last: a fragmented
    # message, RSV1 on its first frame only, whole again at the client.
    noise = os.urandom(150_000)
    out = b""
    for start in range(0, len(noise), 50_000):
        out += proto.send_binary(noise[start : start + 50_000], fin=False)
    out += proto.send_binary(b"!", fin=True)
    frames = list(peek_frames(out, 0))
    assert len(frames) >= 2
    assert [f.rsv1 for f in frames] == [True] + [False] * (len(frames) - 1)
    assert [f.opcode for f in frames] == [Opcode.BINARY] + [Opcode.CONTINUATION] * (len(frames) - 1)
    client.receive_data(out)
    received = [(int(f.opcode), bytes(f.data), f.fin) for f in client.events_received()]
    assert b"".join(data for _, data, _ in received) == noise + b"!"
