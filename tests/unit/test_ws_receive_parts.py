"""Parts mode of the sans-I/O protocol: ``partial_text`` / ``partial_binary``
give :class:`TextPart` / :class:`BinaryPart` events while a message arrives
(frames read in pieces, deflate inflated a part at a time, UTF-8 checked
incrementally)."""

from __future__ import annotations

import os
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from catalina_py.websocket.core.frames import Frame, FrameParser, Opcode, ProtocolError, apply_mask, serialize_frame
from catalina_py.websocket.core.permessage_deflate import PerMessageDeflate
from catalina_py.websocket.core.protocol import (
    BinaryMessage,
    BinaryPart,
    CloseReceived,
    ConnectionFailed,
    Event,
    Ping,
    TextMessage,
    TextPart,
    WsProtocol,
)


def c(opcode: int, payload: bytes = b"", fin: bool = True, rsv1: bool = False) -> bytes:
    """A masked client frame."""
    return serialize_frame(Frame(opcode, payload, fin, rsv1), os.urandom(4))


def parts_proto(limit: int = 16, **kwargs: object) -> WsProtocol:
    proto = WsProtocol(limit, limit, **kwargs)  # type: ignore[arg-type]
    proto.partial_text = proto.partial_binary = True
    return proto


def feed_in_chunks(proto: WsProtocol, data: bytes, size: int) -> list[Event]:
    events: list[Event] = []
    for i in range(0, len(data), size):
        events += proto.receive_data(data[i : i + size])
    return events


def joined(events: list[Event]) -> str | bytes:
    parts = [e for e in events if isinstance(e, (TextPart, BinaryPart))]
    assert parts and parts[-1].last and not any(p.last for p in parts[:-1])
    if isinstance(parts[0], TextPart):
        return "".join(p.data for p in parts)  # type: ignore[misc]
    return b"".join(p.data for p in parts)  # type: ignore[misc]


def test_apply_mask_offset_matches_whole() -> None:
    key = os.urandom(4)
    data = os.urandom(1001)
    whole = apply_mask(data, key)
    pieces = b"".join(apply_mask(data[i : i + 7], key, i) for i in range(0, len(data), 7))
    assert pieces == whole


def test_parser_reads_payload_in_pieces() -> None:
    payload = os.urandom(5000)
    wire = c(Opcode.BINARY, payload) + c(Opcode.PING, b"p")
    parser = FrameParser()
    got: list[bytes] = []
    for i in range(0, len(wire), 333):
        parser.feed(wire[i : i + 333])
        while (header := parser.next_header()) is not None and header.opcode == Opcode.BINARY:
            read = parser.read_payload(1000)
            if read is None:
                break
            got.append(read[0])
            assert len(read[0]) <= 1000
            if read[1]:
                break
    assert b"".join(got) == payload
    assert parser.next_frame() == Frame(Opcode.PING, b"p")


def test_small_messages_one_part_each() -> None:
    proto = parts_proto(100)
    events = proto.receive_data(c(Opcode.TEXT, "héllo".encode()) + c(Opcode.BINARY, b"\x00\x01"))
    assert events == [TextPart("héllo", True), BinaryPart(b"\x00\x01", True)]


def test_empty_message_gives_one_empty_last_part() -> None:
    proto = parts_proto()
    assert proto.receive_data(c(Opcode.TEXT) + c(Opcode.BINARY)) == [TextPart("", True), BinaryPart(b"", True)]
    # An empty last frame after parts ends the message with an empty part.
    events = proto.receive_data(c(Opcode.BINARY, b"ab", fin=False))
    events += proto.receive_data(c(Opcode.CONTINUATION, b""))
    assert events == [BinaryPart(b"ab", False), BinaryPart(b"", True)]


def test_small_fragments_in_one_read_make_one_part() -> None:
    proto = parts_proto(1000)
    frames = [c(Opcode.TEXT if i == 0 else Opcode.CONTINUATION, b"ab" * 8, fin=i == 99) for i in range(100)]
    events = proto.receive_data(b"".join(frames[:50]))
    assert events == [TextPart("ab" * 400, False)]
    # A control frame between fragments ends the part before it, in order.
    events = proto.receive_data(b"".join(frames[50:60]) + c(Opcode.PING, b"p") + b"".join(frames[60:]))
    assert events == [TextPart("ab" * 80, False), Ping(b"p"), TextPart("ab" * 320, True)]
    # The part size still bounds a gathered part.
    proto = parts_proto(40)
    events = proto.receive_data(b"".join(frames))
    assert all(len(e.data) <= 40 for e in events) and joined(events) == "ab" * 800


def test_parts_at_most_the_buffer_size_and_unbounded_total() -> None:
    proto = parts_proto(16)
    payload = os.urandom(1000)
    events = proto.receive_data(c(Opcode.BINARY, payload))
    assert all(len(e.data) <= 16 for e in events if isinstance(e, BinaryPart))
    assert joined(events) == payload
    # The same limit in whole mode refuses the message (1009, as before).
    whole = WsProtocol(16, 16)
    assert whole.receive_data(c(Opcode.BINARY, payload)) == [
        ConnectionFailed(1009, "message exceeds the limit of 16 bytes")
    ]


def test_fragmented_text_keeps_code_points_whole() -> None:
    text = "añ€😀" * 50
    raw = text.encode()
    proto = parts_proto(8)
    data = b"".join(
        c(Opcode.TEXT if i == 0 else Opcode.CONTINUATION, raw[i : i + 5], fin=i + 5 >= len(raw))
        for i in range(0, len(raw), 5)
    )
    events = feed_in_chunks(proto, data, 3)
    assert joined(events) == text
    for event in events:
        assert isinstance(event, TextPart) and len(event.data) <= 8


def test_invalid_utf8_fails_as_soon_as_seen() -> None:
    proto = parts_proto(100)
    events = proto.receive_data(c(Opcode.TEXT, b"ok", fin=False))
    events += proto.receive_data(c(Opcode.CONTINUATION, b"\xed\xa0", fin=False))
    assert events[0] == TextPart("ok", False)
    assert isinstance(events[-1], ConnectionFailed) and events[-1].code == 1007
    # A message ending inside a code point.
    proto = parts_proto(100)
    events = proto.receive_data(c(Opcode.TEXT, "é".encode()[:1]))
    assert isinstance(events[-1], ConnectionFailed) and events[-1].code == 1007


def test_control_frames_between_parts() -> None:
    proto = parts_proto(100)
    data = c(Opcode.TEXT, b"ab", fin=False) + c(Opcode.PING, b"1") + c(Opcode.CONTINUATION, b"cd")
    assert proto.receive_data(data) == [TextPart("ab", False), Ping(b"1"), TextPart("cd", True)]


def test_large_frame_streamed_not_buffered() -> None:
    """A 1 MiB frame fed 4 KiB at a time: the payload is never buffered
    whole and comes out in full parts."""
    proto = parts_proto(65536)
    payload = os.urandom(1 << 20)
    wire = c(Opcode.BINARY, payload)
    got: list[BinaryPart] = []
    for i in range(0, len(wire), 4096):
        events = proto.receive_data(wire[i : i + 4096])
        assert len(events) <= 1
        got += [e for e in events if isinstance(e, BinaryPart)]
        # Binary bytes wait in the parser until they fill a part: never
        # more than a part, a read and a header.
        assert proto._parser.buffered() < 65536 + 4096 + 14
    assert b"".join(e.data for e in got) == payload
    assert [len(e.data) for e in got] == [65536] * 16


@pytest.mark.parametrize("chop", [1, 64, 1000])
def test_small_reads_do_not_make_small_parts(chop: int) -> None:
    """A frame written in many small chops (Autobahn 9.5/9.6): a part is
    delivered when it is full, the frame ends or the message ends, never
    because a read ended (as Tomcat's WsFrameBase)."""
    proto = parts_proto(1000)
    text = "é" * 2500  # 5000 bytes: parts of at most 1000 bytes, code points whole
    wire = c(Opcode.TEXT, text.encode(), fin=False) + c(Opcode.CONTINUATION, b"abc")
    events = feed_in_chunks(proto, wire, chop)
    parts = [e for e in events if isinstance(e, TextPart)]
    assert joined(events) == text + "abc"
    # Five full parts for the first frame (its end flushes the fifth), then
    # the second frame's three bytes.
    assert [len(p.data) for p in parts] == [500] * 5 + [3]


def test_invalid_utf8_in_a_part_not_yet_full_fails_at_once() -> None:
    proto = parts_proto(1000)
    wire = c(Opcode.TEXT, b"a" * 100 + b"\xff" + b"b" * 100)
    events = proto.receive_data(wire[:50])
    assert events == []  # the part is not full yet
    events = proto.receive_data(wire[50:110])  # the bad byte, frame not done
    assert len(events) == 1 and isinstance(events[0], ConnectionFailed) and events[0].code == 1007


def test_deflate_parts_full_size_over_small_reads() -> None:
    payload = os.urandom(3000) * 20  # 60,000 bytes, compressible
    proto = deflate_proto(8192)
    wire = c(Opcode.BINARY, compress(payload), rsv1=True)
    events = feed_in_chunks(proto, wire, 64)
    parts = [e for e in events if isinstance(e, BinaryPart)]
    assert b"".join(p.data for p in parts) == payload
    assert [len(p.data) for p in parts[:-1]] == [8192] * (len(parts) - 1)
    assert len(parts) == -(-len(payload) // 8192)


def test_mode_read_at_the_first_frame() -> None:
    proto = WsProtocol(100, 100)
    events = proto.receive_data(c(Opcode.TEXT, b"ab", fin=False))
    assert events == []
    proto.partial_text = True  # too late for this message
    assert proto.receive_data(c(Opcode.CONTINUATION, b"cd")) == [TextMessage("abcd")]
    events = proto.receive_data(c(Opcode.TEXT, b"ef", fin=False))
    proto.partial_text = False  # too late again: this one stays in parts
    events += proto.receive_data(c(Opcode.CONTINUATION, b"gh"))
    assert events == [TextPart("ef", False), TextPart("gh", True)]


def test_stop_after_message_stops_after_a_part() -> None:
    proto = parts_proto(4)
    data = c(Opcode.BINARY, b"abcdefgh") + c(Opcode.CLOSE, (1000).to_bytes(2, "big"))
    events = proto.receive_data(data, stop_after_message=True)
    assert events == [BinaryPart(b"abcd", False)]
    assert proto.has_buffered_input
    assert proto.receive_buffered(stop_after_message=True) == [BinaryPart(b"efgh", True)]
    assert proto.receive_buffered(stop_after_message=True) == [CloseReceived(1000, "")]


def deflate_proto(limit: int, **kwargs: object) -> WsProtocol:
    return parts_proto(limit, deflate=PerMessageDeflate(**kwargs))  # type: ignore[arg-type]


def compress(data: bytes) -> bytes:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    out = compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)
    assert out.endswith(b"\x00\x00\xff\xff")
    return out[:-4]


def test_deflate_bomb_in_parts_bounded_per_part() -> None:
    """10 MB of zeros in a tiny frame: parts of the buffer size, one at a
    time with stop_after_message, no 1009 (the total is not bounded)."""
    payload = b"\x00" * 10_000_000
    proto = deflate_proto(65536)
    wire = c(Opcode.BINARY, compress(payload), rsv1=True)
    assert len(wire) < 20_000
    events = proto.receive_data(wire, stop_after_message=True)
    total = 0
    for _ in range(1000):
        assert len(events) == 1
        part = events[0]
        assert isinstance(part, BinaryPart) and len(part.data) <= 65536
        assert part.data.count(0) == len(part.data)
        total += len(part.data)
        if part.last:
            break
        events = proto.receive_buffered(stop_after_message=True)
    assert total == len(payload)
    assert not proto.has_buffered_input
    # The decoder goes on with the context for the next message.
    assert proto.receive_data(c(Opcode.TEXT, compress(b"hi"), rsv1=True)) == [TextPart("hi", True)]


def test_deflate_fragmented_text_in_parts() -> None:
    text = "Grüße, 世界! " * 400
    comp = compress(text.encode())
    proto = deflate_proto(100, client_no_context_takeover=True)
    frames = b"".join(
        c(Opcode.TEXT if i == 0 else Opcode.CONTINUATION, comp[i : i + 50], fin=i + 50 >= len(comp), rsv1=i == 0)
        for i in range(0, len(comp), 50)
    )
    events = feed_in_chunks(proto, frames, 37)
    assert all(len(e.data) <= 100 for e in events if isinstance(e, TextPart))
    assert joined(events) == text


def test_deflate_empty_message_in_parts() -> None:
    proto = deflate_proto(100)
    assert proto.receive_data(c(Opcode.BINARY, b"\x00", rsv1=True)) == [BinaryPart(b"", True)]
    assert proto.receive_data(c(Opcode.TEXT, b"", rsv1=True)) == [TextPart("", True)]


def test_invalid_deflate_in_parts_1002() -> None:
    proto = deflate_proto(100)
    events = proto.receive_data(c(Opcode.BINARY, b"\xff\xff\xff\xff", rsv1=True))
    assert isinstance(events[-1], ConnectionFailed) and events[-1].code == 1002


def test_whole_mode_unchanged_next_to_parts() -> None:
    proto = WsProtocol(100, 100)
    proto.partial_binary = True
    events = proto.receive_data(c(Opcode.TEXT, b"whole") + c(Opcode.BINARY, b"part"))
    assert events == [TextMessage("whole"), BinaryPart(b"part", True)]
    proto.partial_binary = False
    assert proto.receive_data(c(Opcode.BINARY, b"x")) == [BinaryMessage(b"x")]


@settings(max_examples=60, deadline=None)
@given(
    text=st.text(max_size=300),
    frame_size=st.integers(1, 64),
    chunk=st.integers(1, 97),
    limit=st.integers(1, 40),
    compressed=st.booleans(),
)
def test_parts_reassemble_to_the_message(text: str, frame_size: int, chunk: int, limit: int, compressed: bool) -> None:
    raw = text.encode()
    proto = deflate_proto(limit) if compressed else parts_proto(limit)
    payload = compress(raw) if compressed else raw
    pieces = [payload[i : i + frame_size] for i in range(0, len(payload), frame_size)] or [b""]
    wire = b"".join(
        c(Opcode.TEXT if i == 0 else Opcode.CONTINUATION, p, fin=i == len(pieces) - 1, rsv1=compressed and i == 0)
        for i, p in enumerate(pieces)
    )
    events = feed_in_chunks(proto, wire, chunk)
    for _ in range(10_000):
        if not proto.has_buffered_input:
            break
        events += proto.receive_buffered()
    assert joined(events) == text
    assert all(len(e.data) <= limit for e in events if isinstance(e, TextPart))


@pytest.mark.parametrize("size", [0, 1, 125, 126, 65535, 65536, 200_000])
def test_binary_sizes(size: int) -> None:
    payload = os.urandom(size)
    proto = parts_proto(65536)
    assert joined(feed_in_chunks(proto, c(Opcode.BINARY, payload), 10_000)) == payload


def test_whole_mode_text_fails_fast_on_invalid_utf8_in_an_incomplete_frame() -> None:
    """Autobahn 6.4.3/6.4.4: a text frame arriving in pieces with invalid
    UTF-8 in its first piece is failed (1007) before the rest comes."""
    proto = WsProtocol(1000, 1000)
    wire = c(Opcode.TEXT, "κόσμε".encode() + b"\xf4\x90\x80\x80" + b"edited" * 10)
    events = proto.receive_data(wire[:20])
    assert isinstance(events[-1], ConnectionFailed) and events[-1].code == 1007
    # Valid pieces assemble into the whole message (fragmented too).
    proto = WsProtocol(1000, 1000)
    raw = ("Grüße 😀 " * 20).encode()
    wire = c(Opcode.TEXT, raw[:77], fin=False) + c(Opcode.CONTINUATION, raw[77:])
    assert feed_in_chunks(proto, wire, 13) == [TextMessage("Grüße 😀 " * 20)]
    # Compressed: assembled whole as before (inflated when complete).
    proto = WsProtocol(10_000, 10_000, PerMessageDeflate())
    text = "deflated text " * 300
    assert feed_in_chunks(proto, c(Opcode.TEXT, compress(text.encode()), rsv1=True), 7) == [TextMessage(text)]
    # The limit still holds for a message read in pieces (checked at the header).
    proto = WsProtocol(100, 100)
    events = feed_in_chunks(proto, c(Opcode.TEXT, b"a" * 60, fin=False) + c(Opcode.CONTINUATION, b"b" * 60), 5)
    assert isinstance(events[-1], ConnectionFailed) and events[-1].code == 1009


def test_take_continuations_takes_complete_plain_fragments_only() -> None:
    parser = FrameParser()
    parser.feed(c(Opcode.BINARY, b"a", fin=False))
    assert parser.next_frame() == Frame(Opcode.BINARY, b"a", fin=False)
    big = os.urandom(300)  # a 16-bit length
    parser.feed(
        c(Opcode.CONTINUATION, b"bc", fin=False)
        + c(Opcode.CONTINUATION, big, fin=False)
        + c(Opcode.CONTINUATION, b"", fin=False)
        + c(Opcode.PING, b"p")
        + c(Opcode.CONTINUATION, b"de")
    )
    assert parser.take_continuations(10_000) == ([b"bc", big, b""], 302, False)
    assert parser.take_continuations(10_000) == ([], 0, False)  # a ping is next: the usual path
    assert parser.next_frame() == Frame(Opcode.PING, b"p")
    wire = c(Opcode.CONTINUATION, b"de")
    assert parser.take_continuations(1) == ([], 0, False)  # over the bound: left for read_payload
    assert parser.take_continuations(2) == ([b"de"], 2, True)
    assert parser.buffered() == 0
    # The message is over: a continuation now is an error, for the usual path.
    parser.feed(wire)
    assert parser.take_continuations(100) == ([], 0, False)
    with pytest.raises(ProtocolError):
        parser.next_header()


def test_take_continuations_leaves_partial_and_bad_frames() -> None:
    parser = FrameParser()
    parser.feed(c(Opcode.TEXT, b"a", fin=False))
    parser.next_frame()
    whole = c(Opcode.CONTINUATION, b"xyz", fin=False)
    parser.feed(whole + whole[:-1])  # the second not complete
    assert parser.take_continuations(100) == ([b"xyz"], 3, False)
    parser.feed(whole[-1:])
    assert parser.take_continuations(100) == ([b"xyz"], 3, False)
    # RSV1 on a continuation: not taken; next_header fails it with 1002.
    parser.feed(c(Opcode.CONTINUATION, b"q", rsv1=True))
    assert parser.take_continuations(100) == ([], 0, False)
    with pytest.raises(ProtocolError) as info:
        parser.next_header()
    assert info.value.code == 1002


def test_payload_ready_counts_what_arrived_of_the_current_frame() -> None:
    parser = FrameParser()
    wire = c(Opcode.BINARY, b"0123456789")  # 6-byte header
    parser.feed(wire[:9])
    assert parser.next_header() is not None
    assert parser.payload_ready() == (3, 10)
    assert parser.read_payload(2) == (b"01", False)
    assert parser.payload_ready() == (1, 8)
    parser.feed(wire[9:] + c(Opcode.PING))
    assert parser.payload_ready() == (8, 8)  # the ping after it is not counted


def test_binary_bytes_wait_in_the_parser_until_a_part_fills() -> None:
    proto = parts_proto(100)
    wire = c(Opcode.BINARY, bytes(250))
    assert proto.receive_data(wire[:60]) == []
    assert proto._parser.buffered() == 60  # not unmasked piece by piece
    events = proto.receive_data(wire[60:120])
    assert events == [BinaryPart(bytes(100), False)]
    assert feed_in_chunks(proto, wire[120:], 7) == [BinaryPart(bytes(100), False), BinaryPart(bytes(50), True)]


def test_compressed_one_frame_messages_in_one_step() -> None:
    proto = deflate_proto(100)
    wire = c(Opcode.TEXT, compress("héllo".encode()), rsv1=True) + c(Opcode.BINARY, compress(b"\x00\x01"), rsv1=True)
    assert proto.receive_data(wire) == [TextPart("héllo", True), BinaryPart(b"\x00\x01", True)]
    # The decoder goes on for the next message.
    assert proto.receive_data(c(Opcode.TEXT, compress(b"again"), rsv1=True)) == [TextPart("again", True)]
    bad = deflate_proto(100)
    events = bad.receive_data(c(Opcode.TEXT, compress(b"\xff\xfe"), rsv1=True))
    assert isinstance(events[-1], ConnectionFailed) and events[-1].code == 1007
    # One small frame that inflates past the part size: parts as usual.
    big = deflate_proto(100)
    events = big.receive_data(c(Opcode.BINARY, compress(bytes(250)), rsv1=True))
    assert [len(e.data) for e in events if isinstance(e, BinaryPart)] == [100, 100, 50]
    assert joined(events) == bytes(250)


@pytest.mark.parametrize("partial", [False, True])
def test_receiving_message_while_a_message_arrives_not_for_control_frames(partial: bool) -> None:
    proto = parts_proto(100) if partial else WsProtocol(100, 100)
    assert not proto.receiving_message
    proto.receive_data(c(Opcode.PONG, b"p"))
    assert not proto.receiving_message  # a pong alone is not a message
    wire = c(Opcode.BINARY, bytes(50))
    proto.receive_data(wire[:10])
    assert proto.receiving_message
    proto.receive_data(wire[10:] + c(Opcode.TEXT, b"a", fin=False))
    assert proto.receiving_message  # the fragmented text is open
    proto.receive_data(c(Opcode.PING) + c(Opcode.CONTINUATION, b"b"))
    assert not proto.receiving_message
