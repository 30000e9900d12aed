"""@on_message parameter mapping (Jakarta's PojoMethodMapping): by
annotation, name or position; parts, streams, pongs, decoded types, path
parameters; deployment errors naming the class and method."""

from __future__ import annotations

import json
import typing
from dataclasses import dataclass

import pytest

from catalina_py.websocket import DeploymentError, ServerEndpointConfig, on_close, on_error, on_message, on_open
from catalina_py.websocket.coders import Decoder, Encoder
from catalina_py.websocket.core.frames import Opcode
from catalina_py.websocket.endpoint import PojoMethods
from catalina_py.websocket.handlers import PongMessage
from tests.unit.test_ws_receive_session import close, run, send_fragmented


def mapped(cls: type, path: str = "/t", decoders: typing.Sequence[type] = ()) -> PojoMethods:
    return ServerEndpointConfig(cls, path, decoders=list(decoders)).pojo  # type: ignore[return-value]


def test_parameters_in_any_order_by_annotation() -> None:
    class Any_:
        @on_message
        def text(self, last: bool, part: str, session):
            pass

        @on_message
        def binary(self, data: bytes):
            pass

        @on_message
        def pong(self, pong: PongMessage, session):
            pass

    methods = mapped(Any_)
    assert (methods.text, methods.binary, methods.pong) == ("text", "binary", "pong")
    text = next(m for m in methods.messages if m.name == "text")
    assert text.partial and [s for s, _ in text.sources] == ["last", "message", "session"]
    assert text.arguments("S", {}, "p", False) == [False, "p", "S"]
    binary = next(m for m in methods.messages if m.name == "binary")
    assert not binary.partial and [s for s, _ in binary.sources] == ["message"]


def test_any_annotation_says_nothing() -> None:
    """``session: Any`` is the session by its name (the inspector's live
    endpoint has this shape); ``message: Any`` takes both kinds."""

    class Live:
        @on_message
        def received(self, session: typing.Any, message: str):
            pass

    methods = mapped(Live)
    assert [s for s, _ in methods.messages[0].sources] == ["session", "message"]
    assert methods.text == "received" and methods.binary is None

    class Both:
        @on_message
        def received(self, s: object, m: typing.Any):
            pass

    both = mapped(Both)
    assert [s for s, _ in both.messages[0].sources] == ["session", "message"]
    assert both.text == both.binary == "received"


def test_the_inspectors_live_endpoint_deploys() -> None:
    """``opened(self, session: Any, config: Any)`` and ``received(self,
    session: Any, message: str)``: failed deployment before the fix."""
    from catalina_py.inspector.live import LiveEndpoint

    methods = mapped(LiveEndpoint, "/live")
    assert [s for s, _ in methods.open.sources] == ["session", "config"]
    assert [s for s, _ in methods.messages[0].sources] == ["session", "message"]


def test_path_parameters_by_name() -> None:
    class Room:
        @on_open
        def opened(self, session, room):
            pass

        @on_message
        def said(self, session, message: str, room, seat: int):
            pass

    methods = mapped(Room, "/chat/{room}/{seat}")
    said = methods.messages[0]
    assert said.arguments("S", {"room": "kitchen", "seat": "3"}, "hi") == ["S", "hi", "kitchen", 3]
    assert methods.open.arguments("S", {"room": "k"}, "CONFIG") == ["S", "k"]


@pytest.mark.parametrize(
    "body, fragment",
    [
        ("def a(self, session, message: str): pass\n    @on_message\n    def b(self, m: str): pass", "two @on_message"),
        ("def a(self, session, message: typing.TextIO, last: bool): pass", "parts"),
        ("def a(self, session, message: PongMessage, last: bool): pass", "parts"),
        ("def a(self, session, message: Point): pass", "no decoder"),
        ("def a(self, session): pass", "needs a message"),
        ("def a(self, session, message, other, third): pass", "cannot be supplied"),
        ("def a(self, *args): pass", "cannot be supplied"),
        ("def a(self, session, message: str, last: bool, done: bool): pass", "two parameters"),
    ],
)
def test_deployment_errors_name_class_and_method(body: str, fragment: str) -> None:
    namespace = {"on_message": on_message, "typing": typing, "PongMessage": PongMessage, "Point": Point}
    exec(f"class Bad:\n    @on_message\n    {body}\n", namespace)
    with pytest.raises(DeploymentError, match=fragment) as info:
        mapped(namespace["Bad"])
    assert "Bad.a" in str(info.value) or "Bad.b" in str(info.value)


def test_on_error_needs_an_error_parameter_and_close_reason_by_type() -> None:
    class E:
        @on_error
        def failed(self):
            pass

    with pytest.raises(DeploymentError, match="error parameter"):
        mapped(E)

    class C:
        @on_close
        def closed(self, reason, session):  # by name
            pass

        @on_error
        def failed(self, problem: Exception):
            pass

    methods = mapped(C)
    assert methods.close.arguments("S", {}, "R") == ["R", "S"]
    assert methods.error.arguments("S", {}, "E") == ["E"]


@dataclass
class Point:
    x: int
    y: int


class PointDecoder(Decoder.Text):
    object_type = Point

    def decode(self, text: str) -> Point:
        return Point(**json.loads(text))


class PointEncoder(Encoder.Text):
    object_type = Point

    def encode(self, obj: Point) -> str:
        return json.dumps({"x": obj.x, "y": obj.y})


class Pojo:
    """All the receiving shapes in one endpoint."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    @on_message
    def text(self, session, part: str, last: bool):
        self.parts.append(part)
        if last:
            reply = f"{len(self.parts)} parts: {''.join(self.parts)}"
            self.parts = []
            return reply
        return None

    @on_message(max_message_size=50)
    def binary(self, stream: typing.BinaryIO) -> bytes:
        return str(len(stream.read())).encode()

    @on_message
    def pong(self, session, pong: PongMessage):
        session.get_basic_remote().send_text(f"pong {pong.get_application_data().decode()}")


def test_pojo_over_a_socketpair() -> None:
    handler, greenlet, client = run(Pojo, size=8)
    assert handler.session.get_max_binary_message_buffer_size() == 50  # max_message_size
    send_fragmented(client, Opcode.TEXT, b"abcdefghijklmnopqrstuvwxyz", 10)
    frame = client.recv()
    assert frame.payload.decode().endswith(": abcdefghijklmnopqrstuvwxyz")
    assert int(frame.payload.split(b" ")[0]) >= 4  # parts of at most 8
    client.send(Opcode.BINARY, b"x" * 1000)  # a stream: no 1009 above 50 bytes
    assert client.recv().payload == b"1000"
    client.send(Opcode.PONG, b"p1")
    assert client.recv().payload == b"pong p1"
    close(client, greenlet)


class Decoded:
    @on_message
    def moved(self, session, point: Point) -> str:
        return f"{point.y},{point.x}"


def test_pojo_with_a_decoded_parameter() -> None:
    handler, greenlet, client = run(Decoded, decoders=[PointDecoder], encoders=[PointEncoder])
    client.send(Opcode.TEXT, b'{"x": 1, "y": 2}')
    assert client.recv().payload == b"2,1"
    close(client, greenlet)


class Numbers:
    @on_message
    def add(self, session, number: int) -> str:
        return str(number + 1)

    @on_message
    def half(self, data: bytes) -> str:
        return str(len(data) / 2)

    @on_error
    def failed(self, session, error: Exception):
        session.get_basic_remote().send_text(f"error: {type(error).__name__}")


def test_primitive_text_conversion() -> None:
    """Jakarta's primitives: a whole text message to an int parameter; not a
    number: DecodeError to on_error, the session stays open."""
    handler, greenlet, client = run(Numbers)
    client.send(Opcode.TEXT, b" 41 ")
    assert client.recv().payload == b"42"
    client.send(Opcode.TEXT, b"forty")
    assert client.recv().payload == b"error: DecodeError"
    client.send(Opcode.TEXT, b"1")
    assert client.recv().payload == b"2"
    close(client, greenlet)


def test_primitive_parts_are_refused() -> None:
    class Bad:
        @on_message
        def a(self, number: int, last: bool):
            pass

    with pytest.raises(DeploymentError, match="parts"):
        mapped(Bad)
