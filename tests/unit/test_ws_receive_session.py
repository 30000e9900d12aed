"""Receiving through a session over ``socket.socketpair()`` (upgrade handler
+ session + handlers, no server): whole, partial, stream, pong and decoded
handlers, Jakarta's registration rules, and decoders' lifecycle."""

from __future__ import annotations

import io
import json
import os
import typing
from types import SimpleNamespace

import gevent
import gevent.event
import gevent.socket

from catalina_py.servlet.exceptions import IllegalStateError
from catalina_py.websocket import CloseReason, Endpoint, ServerContainer, ServerEndpointConfig
from catalina_py.websocket.coders import DecodeError, Decoder
from catalina_py.websocket.core.frames import Opcode
from catalina_py.websocket.handlers import MessageHandler, PongMessage
from catalina_py.websocket.handshake_request import HandshakeRequest
from catalina_py.websocket.processor import WsHttpUpgradeHandler
from catalina_py.websocket.streams import IncompleteMessageError
from tests.unit.test_ws_io import Client, FakeConnection, FakeRequest, connector


def run(endpoint_class: type, size: int = 64, **config_kwargs: typing.Any):
    """A handler on one end of a socketpair with buffers of *size* bytes."""
    server_sock, client_sock = gevent.socket.socketpair()
    config = ServerEndpointConfig(
        endpoint_class, "/t", max_text_message_size=size, max_binary_message_size=size, **config_kwargs
    )
    registry = ServerContainer(SimpleNamespace(path="/app", ws_filter=None))
    handler = WsHttpUpgradeHandler()
    handler.pre_init(config, registry, HandshakeRequest(FakeRequest()), {}, None, None)
    connection = FakeConnection(server_sock, b"", connector())
    greenlet = gevent.spawn(handler.init, connection)
    gevent.sleep(0)
    return handler, greenlet, Client(client_sock)


def close(client: Client, greenlet: typing.Any) -> None:
    client.send(Opcode.CLOSE, (1000).to_bytes(2, "big"))
    for _ in range(20):
        frame = client.recv()
        if frame is None or frame.opcode == Opcode.CLOSE:
            break
    greenlet.join(5)
    assert greenlet.dead


def endpoint_with(register: typing.Callable[[typing.Any, list], None]) -> tuple[type, list]:
    """An Endpoint whose on_open calls ``register(session, seen)``."""
    seen: list = []

    class Registering(Endpoint):
        def on_open(self, session, config):
            register(session, seen)

        def on_close(self, session, close_reason):
            seen.append(("close", close_reason.get_close_code()))

        def on_error(self, session, error):
            seen.append(("error", type(error).__name__, str(error)))

    return Registering, seen


def send_fragmented(client: Client, opcode: int, payload: bytes, size: int) -> None:
    pieces = [payload[i : i + size] for i in range(0, len(payload), size)] or [b""]
    for index, piece in enumerate(pieces):
        client.send(opcode if index == 0 else Opcode.CONTINUATION, piece, fin=index == len(pieces) - 1)


def test_partial_text_handler_gets_parts_of_the_buffer_size() -> None:
    class Parts(MessageHandler.Partial):
        def __init__(self, session, seen):
            self.session, self.seen, self.got = session, seen, []

        def on_message(self, part: str, last: bool) -> None:
            self.got.append(part)
            self.seen.append(("part", len(part), last))
            if last:
                self.session.get_basic_remote().send_text("".join(self.got))
                self.got = []

    endpoint, seen = endpoint_with(lambda s, seen: s.add_message_handler(Parts(s, seen), str))
    handler, greenlet, client = run(endpoint, size=16)
    assert handler.protocol.partial_text and not handler.protocol.partial_binary
    text = "Grüße 😀 " * 40
    send_fragmented(client, Opcode.TEXT, text.encode(), 50)
    assert client.recv().payload.decode() == text
    parts = [entry for entry in seen if entry[0] == "part"]
    assert all(length <= 16 for _, length, _ in parts) and parts[-1][2]
    # An empty message is one empty last part.
    client.send(Opcode.TEXT, b"")
    assert client.recv().payload == b""
    assert seen[-1] == ("part", 0, True)
    close(client, greenlet)
    assert handler.config.stats.messages_in == 2  # a message counts once


def test_partial_binary_message_larger_than_the_buffer() -> None:
    got: list[tuple[int, bool]] = []

    class Parts(MessageHandler.Partial):
        def on_message(self, part: bytes, last: bool) -> None:
            got.append((len(part), last))

    endpoint, seen = endpoint_with(lambda s, seen: s.add_message_handler(Parts(), bytes))
    handler, greenlet, client = run(endpoint, size=1000)
    client.send(Opcode.BINARY, os.urandom(100_000))
    client.send(Opcode.PING, b"sync")
    assert client.recv().payload == b"sync"
    assert sum(length for length, _ in got) == 100_000
    assert max(length for length, _ in got) <= 1000 and got[-1][1]
    close(client, greenlet)


def test_whole_handler_refuses_a_message_above_the_buffer_with_1009() -> None:
    endpoint, seen = endpoint_with(lambda s, seen: s.add_message_handler(lambda m: None, bytes))
    handler, greenlet, client = run(endpoint, size=100)
    client.send(Opcode.BINARY, b"x" * 101)
    frame = client.recv()
    assert frame.opcode == Opcode.CLOSE and frame.payload[:2] == (1009).to_bytes(2, "big")
    greenlet.join(5)


def test_pong_handler_gets_every_pong() -> None:
    def register(session, seen):
        session.add_message_handler(lambda pong: seen.append(("pong", pong.get_application_data())), PongMessage)
        session.add_message_handler(lambda text: session.get_basic_remote().send_text(text), str)

    endpoint, seen = endpoint_with(register)
    handler, greenlet, client = run(endpoint)
    client.send(Opcode.PONG, b"unsolicited")
    client.send(Opcode.TEXT, b"sync")
    assert client.recv().payload == b"sync"
    assert ("pong", b"unsolicited") in seen
    close(client, greenlet)


def test_no_pong_handler_pongs_are_ignored() -> None:
    endpoint, seen = endpoint_with(
        lambda s, seen: s.add_message_handler(lambda m: s.get_basic_remote().send_text(m), str)
    )
    handler, greenlet, client = run(endpoint)
    client.send(Opcode.PONG, b"x")
    client.send(Opcode.TEXT, b"ok")
    assert client.recv().payload == b"ok"
    close(client, greenlet)


def test_text_stream_handler_reads_while_the_message_arrives() -> None:
    """The handler runs before the message's end (it sees the first line
    while the client has not sent the rest), lines across parts, and the
    next message waits until it is done."""
    order: list[str] = []
    first_line = gevent.event.Event()

    def register(session, seen):
        def read(reader: typing.TextIO) -> None:
            lines = []
            line = reader.readline()
            first_line.set()
            while line:
                lines.append(line)
                line = reader.readline()
            gevent.sleep(0.01)
            order.append(f"stream {len(lines)}")
            session.get_basic_remote().send_text(f"{len(lines)} lines, {sum(map(len, lines))} chars")

        session.add_message_handler(read, typing.TextIO)
        session.add_message_handler(lambda data: order.append("binary"), bytes)

    endpoint, seen = endpoint_with(register)
    handler, greenlet, client = run(endpoint, size=32)
    text = "".join(f"line {i} ünïcode\n" for i in range(500))
    raw = text.encode()
    client.send(Opcode.TEXT, raw[:100], fin=False)
    with gevent.Timeout(5):
        first_line.wait()  # read before the message is complete
    client.send(Opcode.CONTINUATION, raw[100:])
    client.send(Opcode.BINARY, b"next")
    assert client.recv().payload.decode() == f"500 lines, {len(text)} chars"
    client.send(Opcode.PING, b"sync")
    assert client.recv().opcode == Opcode.PONG
    assert order == ["stream 500", "binary"]
    close(client, greenlet)


def test_binary_stream_handler_and_early_return() -> None:
    def register(session, seen):
        def read(stream: typing.BinaryIO) -> None:
            head = stream.read(10)
            if head.startswith(b"short"):
                session.get_basic_remote().send_binary(head)  # returns before the end
                return
            rest = stream.read()
            session.get_basic_remote().send_text(f"{len(head) + len(rest)}")

        session.add_message_handler(read, io.BufferedIOBase)

    endpoint, seen = endpoint_with(register)
    handler, greenlet, client = run(endpoint, size=100)
    assert handler.protocol.partial_binary
    client.send(Opcode.BINARY, b"short" + os.urandom(5000))  # the rest is dropped
    assert client.recv().payload[:5] == b"short"
    client.send(Opcode.BINARY, os.urandom(12345))
    assert client.recv().payload == b"12345"
    close(client, greenlet)
    assert not [entry for entry in seen if entry[0] == "error"]


def test_stream_handler_error_goes_to_on_error_and_closes_1011() -> None:
    def register(session, seen):
        def read(reader: typing.TextIO) -> None:
            reader.read(1)
            raise ValueError("bad stream")

        session.add_message_handler(read, typing.TextIO)

    endpoint, seen = endpoint_with(register)
    handler, greenlet, client = run(endpoint, size=10)
    client.send(Opcode.TEXT, b"x" * 1000)
    frame = client.recv()
    assert frame.opcode == Opcode.CLOSE and frame.payload[:2] == (1011).to_bytes(2, "big")
    greenlet.join(5)
    assert ("error", "ValueError", "bad stream") in seen


def test_session_end_mid_stream_fails_the_read() -> None:
    failures: list[BaseException] = []

    def register(session, seen):
        def read(stream: typing.BinaryIO) -> None:
            try:
                stream.read()
            except IncompleteMessageError as exc:
                failures.append(exc)

        session.add_message_handler(read, typing.BinaryIO)

    endpoint, seen = endpoint_with(register)
    handler, greenlet, client = run(endpoint, size=10)
    client.send(Opcode.BINARY, b"abc", fin=False)
    client.send(Opcode.PING, b"sync")
    assert client.recv().opcode == Opcode.PONG
    client.sock.close()
    greenlet.join(5)
    for _ in range(100):  # the stream's greenlet sees the failure next
        if failures:
            break
        gevent.sleep(0)
    assert len(failures) == 1


class Point:
    def __init__(self, x: int, y: int) -> None:
        self.x, self.y = x, y


class PointDecoder(Decoder.Text):
    object_type = Point
    log: typing.ClassVar[list[str]] = []

    def init(self, config):
        self.log.append("init")

    def destroy(self):
        self.log.append("destroy")

    def will_decode(self, text: str) -> bool:
        return text.startswith("{")

    def decode(self, text: str) -> Point:
        try:
            fields = json.loads(text)
            return Point(int(fields["x"]), int(fields["y"]))
        except (ValueError, KeyError) as exc:
            raise DecodeError(text, f"not a point: {exc}") from None


def test_decoder_text_will_decode_and_decode_error_keeps_the_session() -> None:
    PointDecoder.log = []

    def register(session, seen):
        session.add_message_handler(lambda p: session.get_basic_remote().send_text(f"{p.x + p.y}"), Point)

    endpoint, seen = endpoint_with(register)
    handler, greenlet, client = run(endpoint, decoders=[PointDecoder])
    assert PointDecoder.log == ["init"]
    client.send(Opcode.TEXT, b'{"x": 2, "y": 3}')
    assert client.recv().payload == b"5"
    client.send(Opcode.TEXT, b'{"x": "a"}')  # DecodeError: on_error, stays open
    client.send(Opcode.TEXT, b"no")  # no decoder will decode it: DecodeError too
    client.send(Opcode.TEXT, b'{"x": 1, "y": 1}')
    assert client.recv().payload == b"2"
    errors = [entry for entry in seen if entry[0] == "error"]
    assert [e[1] for e in errors] == ["DecodeError", "DecodeError"]
    close(client, greenlet)
    assert PointDecoder.log == ["init", "destroy"]


class Numbers(list):
    pass


class NumbersStreamDecoder(Decoder.BinaryStream):
    object_type = Numbers

    def decode(self, stream: typing.BinaryIO) -> Numbers:
        numbers = Numbers()
        while chunk := stream.read(4):
            numbers.append(int.from_bytes(chunk, "big"))
        return numbers


def test_stream_decoder_reads_a_message_larger_than_the_buffer() -> None:
    def register(session, seen):
        session.add_message_handler(lambda numbers: session.get_basic_remote().send_text(str(sum(numbers))), Numbers)

    endpoint, seen = endpoint_with(register)
    handler, greenlet, client = run(endpoint, size=64, decoders=[NumbersStreamDecoder])
    assert handler.protocol.partial_binary
    payload = b"".join(i.to_bytes(4, "big") for i in range(10_000))
    send_fragmented(client, Opcode.BINARY, payload, 999)
    assert client.recv().payload == str(sum(range(10_000))).encode()
    close(client, greenlet)


def test_registration_rules() -> None:
    results: dict[str, typing.Any] = {}

    def register(session, seen):
        session.add_message_handler(lambda m: None, str)
        try:
            session.add_message_handler(lambda m: None, str)
        except IllegalStateError as exc:
            results["twice"] = exc
        try:
            session.add_message_handler(lambda m: None, typing.TextIO)
        except IllegalStateError as exc:
            results["stream too"] = exc

        class P(MessageHandler.Partial):
            def on_message(self, part, last):
                pass

        for bad in (PongMessage, typing.BinaryIO, Point):
            try:
                session.add_message_handler(P(), bad)
            except TypeError as exc:
                results[f"partial {bad}"] = exc
        try:
            session.add_message_handler(lambda m: None, Point)  # no decoder here
        except TypeError as exc:
            results["no decoder"] = exc
        partial = P()
        session.add_message_handler(partial, bytes)
        results["parts on"] = session.handlers.binary_part is not None and session.handlers.text is not None
        results["handlers"] = len(session.get_message_handlers())
        session.remove_message_handler(partial)
        results["parts off"] = session.handlers.binary_part is None
        results["handlers after"] = len(session.get_message_handlers())

        class Whole(MessageHandler.Whole):
            def on_message(self, message: bytes) -> None:
                pass

        session.add_message_handler(Whole())  # the type from the annotation: binary
        results["annotated"] = session.handlers.binary is not None

    endpoint, seen = endpoint_with(register)
    handler, greenlet, client = run(endpoint)
    close(client, greenlet)
    assert isinstance(results["twice"], IllegalStateError)
    assert isinstance(results["stream too"], IllegalStateError)
    assert len([key for key in results if key.startswith("partial")]) == 3
    assert "no decoder" in results
    assert results["parts on"] and results["handlers"] == 2
    assert results["parts off"] and results["handlers after"] == 1
    assert results["annotated"]
    assert not handler.protocol.partial_binary


def test_message_without_handler_closes_1003() -> None:
    endpoint, seen = endpoint_with(lambda s, seen: s.add_message_handler(lambda m: None, str))
    handler, greenlet, client = run(endpoint)
    client.send(Opcode.BINARY, b"x")
    frame = client.recv()
    assert frame.opcode == Opcode.CLOSE and frame.payload[:2] == (1003).to_bytes(2, "big")
    greenlet.join(5)
    assert ("close", 1003) in seen


def test_handler_exception_closes_1011() -> None:
    def boom(message: str) -> None:
        raise RuntimeError("boom")

    class Parts(MessageHandler.Partial):
        def on_message(self, part: bytes, last: bool) -> None:
            raise RuntimeError("part boom")

    def register(session, seen):
        session.add_message_handler(boom)
        session.add_message_handler(Parts(), bytes)

    endpoint, seen = endpoint_with(register)
    handler, greenlet, client = run(endpoint)
    client.send(Opcode.BINARY, b"x" * 200)
    frame = client.recv()
    assert frame.opcode == Opcode.CLOSE and frame.payload[:2] == (1011).to_bytes(2, "big")
    greenlet.join(5)
    assert ("error", "RuntimeError", "part boom") in seen
    assert seen[-1] == ("close", 1011)
    assert CloseReason(1011, "") is not None


def test_parts_in_the_event_stream() -> None:
    """A frame read in pieces is reported once, with the length its header
    announced; each part is a MessageReceived of kind "text part" / "text
    last part"; the message counts once."""
    from catalina_py.event_views import summary_of
    from catalina_py.events import BUS, FrameReceived, MessageReceived
    from tests.unit.test_ws_events import Recorder

    recorder = Recorder()
    BUS.subscribe(recorder)
    try:

        class Parts(MessageHandler.Partial):
            def on_message(self, part: str, last: bool) -> None:
                pass

        endpoint, seen = endpoint_with(lambda s, seen: s.add_message_handler(Parts(), str))
        handler, greenlet, client = run(endpoint, size=1000)
        first = "a" * 2500
        client.send(Opcode.TEXT, first.encode(), fin=False)
        client.send(Opcode.CONTINUATION, b"b" * 700)
        client.send(Opcode.PING, b"sync")
        assert client.recv().opcode == Opcode.PONG
        close(client, greenlet)
    finally:
        BUS.unsubscribe(recorder)
    frames = [f for f in recorder.of(FrameReceived) if f.opcode in ("text", "continuation")]
    assert [(f.opcode, f.length, f.fin) for f in frames] == [("text", 2500, False), ("continuation", 700, True)]
    assert frames[0].description == "text frame, 2500 bytes (more to come)"
    parts = recorder.of(MessageReceived)
    assert sum(p.length for p in parts) == 3200 and all(p.length <= 1000 for p in parts)
    assert [p.kind for p in parts] == ["text part"] * (len(parts) - 1) + ["text last part"]
    assert summary_of(parts[0]) == f"text part, {parts[0].length} characters"
    assert summary_of(parts[-1]).startswith("text last part, ")
    assert handler.config.stats.messages_in == 1
