"""The fast path for a read of many small whole messages: FrameParser.take_messages,
WsProtocol taking them in one pass, and the processor delivering them in order when
a handler changes between two of them."""

from __future__ import annotations

import os
import zlib

import gevent
import pytest

from catalina_py.websocket import Endpoint
from catalina_py.websocket.core.frames import Frame, FrameParser, Opcode, ProtocolError, serialize_frame
from catalina_py.websocket.core.permessage_deflate import PerMessageDeflate
from catalina_py.websocket.core.protocol import (
    BinaryMessage,
    BinaryPart,
    CloseReceived,
    ConnectionFailed,
    Ping,
    TextMessage,
    TextPart,
    WsProtocol,
)
from catalina_py.websocket.handlers import MessageHandler
from tests.unit.test_ws_receive_parts import c
from tests.unit.test_ws_receive_session import run


def test_take_messages_takes_complete_plain_messages_and_stops_at_anything_else() -> None:
    parser = FrameParser()
    medium = os.urandom(300)  # a 16-bit length
    parser.feed(c(Opcode.TEXT, b"one") + c(Opcode.BINARY, medium) + c(Opcode.TEXT) + c(Opcode.PING, b"p"))
    assert parser.take_messages(1000, 1000) == [(1, b"one"), (2, medium), (1, b"")]
    assert parser.take_messages(1000, 1000) == []  # a ping is next: the usual path reads it
    assert parser.next_frame() == Frame(Opcode.PING, b"p")
    assert parser.buffered() == 0


def test_take_messages_leaves_what_the_usual_path_must_check() -> None:
    cases = {
        "a fragment": c(Opcode.TEXT, b"a", fin=False),
        "compressed": c(Opcode.TEXT, b"a", rsv1=True),
        "unmasked": serialize_frame(Frame(Opcode.TEXT, b"a")),
        "over the limit": c(Opcode.BINARY, b"x" * 11),
        "64-bit length": c(Opcode.BINARY, b"y" * 70000),
        "not all here": c(Opcode.TEXT, b"abcdef")[:-1],
        "a continuation": c(Opcode.CONTINUATION, b"a"),
    }
    for name, wire in cases.items():
        parser = FrameParser()
        parser.feed(wire)
        assert parser.take_messages(10, 10) == [], name
        assert parser.buffered() == len(wire), name


def test_take_messages_takes_a_compressed_frame_last_when_deflate_is_on() -> None:
    parser = FrameParser(allow_rsv1=True)
    parser.feed(c(Opcode.TEXT, b"plain") + c(Opcode.BINARY, b"\x01\x02", rsv1=True) + c(Opcode.TEXT, b"after"))
    # Still deflated, marked with 0x40, and the run ends with it.
    assert parser.take_messages(100, 100) == [(1, b"plain"), (0x42, b"\x01\x02")]
    assert parser.take_messages(100, 100) == [(1, b"after")]
    assert parser.buffered() == 0


def test_a_compressed_message_failing_after_others_of_its_read_is_answered_after_them() -> None:
    deflate = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
    good = deflate.compress(b"fine") + deflate.flush(zlib.Z_SYNC_FLUSH)
    wire = c(Opcode.TEXT, b"first") + c(Opcode.TEXT, good[:-4], rsv1=True)
    proto = WsProtocol(deflate=PerMessageDeflate())
    assert proto.receive_data(wire) == [TextMessage("first"), TextMessage("fine")]
    proto = WsProtocol(deflate=PerMessageDeflate())
    events = proto.receive_data(c(Opcode.TEXT, b"first") + c(Opcode.TEXT, b"\xff\xff", rsv1=True))
    assert events[0] == TextMessage("first")
    assert isinstance(events[1], ConnectionFailed) and events[1].code == 1002
    assert len(events) == 2


def test_take_messages_respects_the_frame_limit() -> None:
    parser = FrameParser(max_frame_size=4)
    parser.feed(c(Opcode.TEXT, b"abcd") + c(Opcode.TEXT, b"abcde"))
    assert parser.take_messages(100, 100) == [(1, b"abcd")]
    with pytest.raises(ProtocolError) as failed:  # the second is left to the usual path, which refuses it
        parser.next_header()
    assert failed.value.code == 1009


def test_protocol_takes_a_read_of_messages_at_once_but_a_close_after_them_later() -> None:
    proto = WsProtocol()
    wire = c(Opcode.TEXT, b"a") + c(Opcode.BINARY, b"b") + c(Opcode.CLOSE, (1000).to_bytes(2, "big"))
    events = proto.receive_data(wire, stop_after_message=True)
    assert events == [TextMessage("a"), BinaryMessage(b"b")]
    # Nothing of the close is answered before the messages are (the caller answers them first).
    assert proto.data_to_send() == b""
    assert proto.has_buffered_input
    assert proto.receive_buffered(stop_after_message=True) == [CloseReceived(1000, "")]
    assert proto.data_to_send() != b""


def test_protocol_batch_in_parts_mode_gives_one_last_part_each() -> None:
    proto = WsProtocol(100, 100)
    proto.partial_text = proto.partial_binary = True
    events = proto.receive_data(c(Opcode.TEXT, "é".encode()) + c(Opcode.BINARY, b"\x00") + c(Opcode.PING))
    assert events == [TextPart("é", True), BinaryPart(b"\x00", True), Ping(b"")]


def test_protocol_batch_invalid_utf8_fails_after_the_messages_before_it() -> None:
    proto = WsProtocol()
    events = proto.receive_data(c(Opcode.TEXT, b"ok") + c(Opcode.TEXT, b"\xff") + c(Opcode.TEXT, b"never"))
    assert events[0] == TextMessage("ok")
    assert isinstance(events[1], ConnectionFailed) and events[1].code == 1007
    assert len(events) == 2


def test_protocol_batch_invalid_utf8_is_answered_after_the_messages_before_it() -> None:
    """With stop_after_message (the server's reader) the good message comes alone, with no close
    queued yet: its answer goes out before the 1007 (as Tomcat: "hello" echoed, then the close)."""
    proto = WsProtocol()
    events = proto.receive_data(c(Opcode.TEXT, b"hello") + c(Opcode.TEXT, b"\xff"), stop_after_message=True)
    assert events == [TextMessage("hello")]
    assert proto.data_to_send() == b""
    assert proto.has_buffered_input
    failed = proto.receive_buffered(stop_after_message=True)
    assert isinstance(failed[0], ConnectionFailed) and failed[0].code == 1007
    assert proto.data_to_send() != b""


def test_protocol_batch_message_over_the_limit_is_refused_by_the_usual_path() -> None:
    proto = WsProtocol(4, 4)
    events = proto.receive_data(c(Opcode.TEXT, b"ok") + c(Opcode.TEXT, b"too long"))
    assert events[0] == TextMessage("ok")
    assert isinstance(events[1], ConnectionFailed) and events[1].code == 1009


@pytest.mark.parametrize("first", ["whole", "parts"])
def test_handler_switched_between_two_messages_of_one_read_gets_the_second(first: str) -> None:
    """Both messages are parsed together; the first one's handler replaces the whole-message
    handler by a handler of parts (then back): nothing is lost, each goes to the handler in
    place when it is delivered."""
    seen: list = []

    class Whole(MessageHandler.Whole):
        def __init__(self, session: object) -> None:
            self.session = session

        def on_message(self, message: str) -> None:
            seen.append(("whole", message))
            self.session.remove_message_handler(self)
            self.session.add_message_handler(Parts(self.session), str)

    class Parts(MessageHandler.Partial):
        def __init__(self, session: object) -> None:
            self.session = session

        def on_message(self, part: str, last: bool) -> None:
            seen.append(("part", part, last))
            self.session.remove_message_handler(self)
            self.session.add_message_handler(Whole(self.session), str)

    class Switching(Endpoint):
        def on_open(self, session, config):
            session.add_message_handler(Whole(session) if first == "whole" else Parts(session), str)

    handler, greenlet, client = run(Switching)
    client.sock.sendall(c(Opcode.TEXT, b"1") + c(Opcode.TEXT, b"2") + c(Opcode.TEXT, b"3"))
    with gevent.Timeout(5):
        while len(seen) < 3:
            gevent.sleep(0.01)
    if first == "whole":
        assert seen == [("whole", "1"), ("part", "2", True), ("whole", "3")]
    else:
        assert seen == [("part", "1", True), ("whole", "2"), ("part", "3", True)]
    client.send(Opcode.CLOSE, (1000).to_bytes(2, "big"))
    greenlet.join(5)
    assert greenlet.dead
