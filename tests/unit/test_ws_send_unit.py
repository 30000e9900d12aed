"""The send side of a session over ``socket.socketpair()`` (no server):
partial messages, the send writer and stream, send_object with encoders,
async sends (future, handler, cancel, timeout), batching, the blocking send
timeout and the session's getters. The peer is tests/unit/test_ws_io.py's
hand-written client: every frame is checked as it is on the wire."""

from __future__ import annotations

import json
import select
from concurrent.futures import CancelledError
from types import SimpleNamespace
from typing import Any

import gevent
import gevent.event
import gevent.socket
import pytest

from catalina_py.servlet.exceptions import IllegalStateError
from catalina_py.websocket import Endpoint, Extension, SendTimeoutError, ServerContainer, ServerEndpointConfig
from catalina_py.websocket.coders import EncodeError, Encoder
from catalina_py.websocket.core.frames import Opcode
from catalina_py.websocket.core.permessage_deflate import PerMessageDeflate
from catalina_py.websocket.handlers import SendHandler, SendResult
from catalina_py.websocket.handshake_request import HandshakeRequest
from catalina_py.websocket.processor import WsHttpUpgradeHandler
from catalina_py.websocket.session import BLOCKING_SEND_TIMEOUT_PROPERTY, SessionClosedError, WsSession
from tests.unit.test_ws_io import Client, FakeConnection, FakeRequest, connector


class Opened(Endpoint):
    """Keeps its session for the test to drive, and what happened to it."""

    def __init__(self) -> None:
        self.closed: list[Any] = []
        self.errors: list[BaseException] = []

    def on_open(self, session: WsSession, config: Any) -> None:
        Opened.session = session
        Opened.instance = self

    def on_close(self, session: WsSession, close_reason: Any) -> None:
        self.closed.append(close_reason)

    def on_error(self, session: WsSession, error: BaseException) -> None:
        self.errors.append(error)


class Secure(FakeRequest):
    """A handshake request with a user over https."""

    def get_query_string(self) -> str:
        return "room=1&x=a&x=b"

    def get_parameter_map(self) -> dict[str, list[str]]:
        return {"room": ["1"], "x": ["a", "b"]}

    def get_user_principal(self) -> str:
        return "alice"

    def is_secure(self) -> bool:
        return True


def start(config: ServerEndpointConfig | None = None, request: Any = None, deflate: Any = None, **connector_values):
    """A session on one end of a socketpair: (session, client, greenlet, endpoint, registry)."""
    server_sock, client_sock = gevent.socket.socketpair()
    config = config or ServerEndpointConfig(Opened, "/t")
    registry = ServerContainer(SimpleNamespace(path="/app", ws_filter=None))
    handler = WsHttpUpgradeHandler()
    handshake = HandshakeRequest(request or FakeRequest())
    if deflate is not None:  # what the handshake answered (ServerContainer.handshake sets it)
        handshake.negotiated_extensions_header = deflate.response_header()
    handler.pre_init(config, registry, handshake, {}, None, deflate)
    connection = FakeConnection(server_sock, b"", connector(**connector_values))
    greenlet = gevent.spawn(handler.init, connection)
    gevent.sleep(0)
    return Opened.session, Client(client_sock), greenlet, Opened.instance, registry


def finish(client: Client, greenlet: gevent.Greenlet) -> None:
    client.send(Opcode.CLOSE, (1000).to_bytes(2, "big"))
    greenlet.join(5)
    assert greenlet.dead


def frames(client: Client, count: int) -> list[tuple[int, bytes, bool]]:
    return [(f.opcode, f.payload, f.fin) for f in (client.recv() for _ in range(count))]


def nothing_to_read(client: Client) -> bool:
    return not select.select([client.sock], [], [], 0.05)[0] and client.parser.next_frame() is None


# -- partial messages -------------------------------------------------------


def test_a_text_message_in_parts_has_fin_only_on_the_last_frame() -> None:
    session, client, greenlet, _, _ = start()
    remote = session.get_basic_remote()
    remote.send_text("hé", False)
    remote.send_text("l", False)
    remote.send_text("lo", True)
    assert frames(client, 3) == [
        (Opcode.TEXT, "hé".encode(), False),
        (Opcode.CONTINUATION, b"l", False),
        (Opcode.CONTINUATION, b"lo", True),
    ]
    remote.send_binary(b"\x01", False)
    remote.send_binary(bytearray(b"\x02"), True)
    remote.send_text("whole")
    assert frames(client, 3) == [
        (Opcode.BINARY, b"\x01", False),
        (Opcode.CONTINUATION, b"\x02", True),
        (Opcode.TEXT, b"whole", True),
    ]
    finish(client, greenlet)


def test_the_state_rules_of_a_message_in_parts() -> None:
    """As Tomcat's StateMachine: while a text message in parts is open, a
    whole message, a binary part, a writer, a stream and an async send are
    refused; a ping may go between the parts."""
    session, client, greenlet, _, _ = start()
    basic, remote_async = session.get_basic_remote(), session.get_async_remote()
    basic.send_text("a", False)
    with pytest.raises(IllegalStateError):
        basic.send_text("whole")
    with pytest.raises(IllegalStateError):
        basic.send_binary(b"x", False)
    with pytest.raises(IllegalStateError):
        basic.send_binary(b"x")
    with pytest.raises(IllegalStateError):
        basic.get_send_writer()
    with pytest.raises(IllegalStateError):
        basic.get_send_stream()
    with pytest.raises(IllegalStateError):
        remote_async.send_text("async")
    basic.send_ping(b"between")
    basic.send_text("b", True)
    assert frames(client, 3) == [
        (Opcode.TEXT, b"a", False),
        (Opcode.PING, b"between", True),
        (Opcode.CONTINUATION, b"b", True),
    ]
    basic.send_text("after")  # the message ended: whole sends work again
    assert client.recv().payload == b"after"
    finish(client, greenlet)


def test_control_payloads_over_125_bytes_are_refused() -> None:
    session, client, greenlet, _, _ = start()
    for remote in (session.get_basic_remote(), session.get_async_remote()):
        with pytest.raises(ValueError):
            remote.send_ping(b"x" * 126)
        with pytest.raises(ValueError):
            remote.send_pong(b"x" * 126)
    session.get_async_remote().send_pong(b"y" * 125)
    assert frames(client, 1) == [(Opcode.PONG, b"y" * 125, True)]
    finish(client, greenlet)


# -- the writer and the stream -------------------------------------------------


def test_the_send_writer_sends_a_frame_per_full_buffer_and_on_flush() -> None:
    session, client, greenlet, _, _ = start()
    session.set_max_text_message_buffer_size(4)
    with session.get_basic_remote().get_send_writer() as writer:
        assert writer.write("abcdefghij") == 10
        assert frames(client, 2) == [(Opcode.TEXT, b"abcd", False), (Opcode.CONTINUATION, b"efgh", False)]
        writer.flush()
        assert frames(client, 1) == [(Opcode.CONTINUATION, b"ij", False)]
        writer.write("é")
        with pytest.raises(IllegalStateError):
            session.get_basic_remote().send_text("whole")
    assert frames(client, 1) == [(Opcode.CONTINUATION, "é".encode(), True)]
    with pytest.raises(ValueError):
        writer.write("closed")
    with session.get_basic_remote().get_send_writer():
        pass  # an empty message: one empty FIN frame
    assert frames(client, 1) == [(Opcode.TEXT, b"", True)]
    finish(client, greenlet)


def test_the_send_stream_sends_binary_parts() -> None:
    session, client, greenlet, _, _ = start()
    session.set_max_binary_message_buffer_size(3)
    stream = session.get_basic_remote().get_send_stream()
    stream.write(b"12")
    assert nothing_to_read(client)
    stream.write(memoryview(b"3456789"))
    stream.close()
    assert frames(client, 3) == [
        (Opcode.BINARY, b"123", False),
        (Opcode.CONTINUATION, b"456", False),
        (Opcode.CONTINUATION, b"789", False),
    ]
    assert frames(client, 1) == [(Opcode.CONTINUATION, b"", True)]
    finish(client, greenlet)


# -- send_object -----------------------------------------------------------------


class Point:
    def __init__(self, x: int, y: int) -> None:
        self.x, self.y = x, y


class Blob:
    def __init__(self, data: bytes) -> None:
        self.data = data


class Big:
    pass


class Bad:
    pass


LIFECYCLE: list[str] = []


class PointEncoder(Encoder.Text):
    object_type = Point

    def init(self, config: Any) -> None:
        LIFECYCLE.append(f"init {type(config).__name__}")

    def destroy(self) -> None:
        LIFECYCLE.append("destroy")

    def encode(self, obj: Point) -> str:
        return json.dumps({"x": obj.x, "y": obj.y})


class BlobEncoder(Encoder.Binary):
    object_type = Blob

    def encode(self, obj: Blob) -> bytes:
        return obj.data


class BigEncoder(Encoder.TextStream):
    object_type = Big

    def encode(self, obj: Big, writer: Any) -> None:
        for _ in range(3):
            writer.write("xyz")


class BadEncoder(Encoder.Binary):
    object_type = Bad

    def encode(self, obj: Bad) -> bytes:
        raise EncodeError(obj, "cannot")


def with_encoders(*classes: type) -> ServerEndpointConfig:
    return ServerEndpointConfig(Opened, "/t", encoders=list(classes))


def test_send_object_uses_the_endpoints_encoders_and_their_lifecycle() -> None:
    LIFECYCLE.clear()
    session, client, greenlet, _, _ = start(with_encoders(PointEncoder, BlobEncoder, BigEncoder, BadEncoder))
    session.set_max_text_message_buffer_size(4)
    remote = session.get_basic_remote()
    assert LIFECYCLE == []  # made at the first use
    remote.send_object(Point(1, 2))
    remote.send_object(Point(3, 4))
    assert LIFECYCLE == ["init ServerEndpointConfig"]  # one instance per session
    remote.send_object(Blob(b"\x00\xff"))
    remote.send_object(Big())
    assert frames(client, 3) == [
        (Opcode.TEXT, b'{"x": 1, "y": 2}', True),
        (Opcode.TEXT, b'{"x": 3, "y": 4}', True),
        (Opcode.BINARY, b"\x00\xff", True),
    ]
    streamed = frames(client, 3)  # "xyzxyzxyz" in frames of 4 characters: xyzx, yzxy, z
    assert [fin for _, _, fin in streamed] == [False, False, True]
    assert b"".join(payload for _, payload, _ in streamed) == b"xyzxyzxyz"
    with pytest.raises(EncodeError):
        remote.send_object(Bad())
    assert session.is_open()  # an encoder's error closes nothing
    future = session.get_async_remote().send_object(Bad())
    assert isinstance(future.exception(5), EncodeError)
    session.get_async_remote().send_object(Point(5, 6)).result(5)
    assert frames(client, 1) == [(Opcode.TEXT, b'{"x": 5, "y": 6}', True)]
    finish(client, greenlet)
    assert LIFECYCLE == ["init ServerEndpointConfig", "destroy"]


def test_send_object_without_an_encoder() -> None:
    session, client, greenlet, _, _ = start()
    remote = session.get_basic_remote()
    remote.send_object("text")
    remote.send_object(b"bytes")
    remote.send_object(42)
    remote.send_object(True)
    assert frames(client, 4) == [
        (Opcode.TEXT, b"text", True),
        (Opcode.BINARY, b"bytes", True),
        (Opcode.TEXT, b"42", True),
        (Opcode.TEXT, b"true", True),
    ]
    with pytest.raises(EncodeError):
        remote.send_object({"a": 1})
    finish(client, greenlet)


# -- async ---------------------------------------------------------------------


def test_async_sends_with_a_future_and_with_a_handler() -> None:
    session, client, greenlet, _, _ = start()
    remote = session.get_async_remote()
    future = remote.send_text("one")
    assert future is not None
    future.result(5)
    assert future.done() and future.exception() is None
    results: list[tuple[SendResult, Any]] = []
    called = gevent.event.Event()

    class Recorder(SendHandler):
        def on_result(self, result: SendResult) -> None:
            results.append((result, gevent.getcurrent()))
            called.set()

    assert remote.send_binary(b"two", Recorder()) is None
    assert called.wait(5)
    gevent.sleep(0.01)
    assert len(results) == 1 and results[0][0].is_ok()
    assert results[0][1] is not gevent.getcurrent()  # a greenlet of its own
    assert frames(client, 2) == [(Opcode.TEXT, b"one", True), (Opcode.BINARY, b"two", True)]
    finish(client, greenlet)
    failed = gevent.event.AsyncResult()
    assert remote.send_text("late", failed.set) is None
    assert isinstance(failed.get(timeout=5).get_exception(), SessionClosedError)


def test_a_queued_async_send_can_be_cancelled_until_it_starts() -> None:
    session, client, greenlet, _, _ = start()
    remote = session.get_async_remote()
    first = remote.send_text("first")
    second = remote.send_text("second")
    assert second.cancel() is True  # still queued: the writer greenlet has not run
    first.result(5)
    assert first.cancel() is False  # written
    with pytest.raises(CancelledError):
        second.result(5)
    assert second.cancelled() and not first.cancelled()
    remote.send_text("third").result(5)
    assert frames(client, 2) == [(Opcode.TEXT, b"first", True), (Opcode.TEXT, b"third", True)]
    finish(client, greenlet)


def test_an_async_send_not_written_within_the_send_timeout_fails_and_closes_the_connection() -> None:
    session, client, greenlet, endpoint, _ = start()
    remote = session.get_async_remote()
    assert remote.get_send_timeout() == 0.0
    remote.set_send_timeout(0.2)
    futures = [remote.send_binary(b"x" * (1 << 20)) for _ in range(16)]  # the peer reads nothing
    with gevent.Timeout(10):
        errors = [f.exception() for f in futures]
    assert any(isinstance(e, SendTimeoutError) for e in errors)
    greenlet.join(5)
    assert greenlet.dead
    assert endpoint.closed and endpoint.closed[0].get_close_code() == 1006


def test_the_containers_default_async_send_timeout_is_the_sessions() -> None:
    container = ServerContainer(SimpleNamespace(path="/app", ws_filter=None))
    assert container.get_default_async_send_timeout() == 0.0
    container.set_default_async_send_timeout(1.5)
    assert container.get_default_async_send_timeout() == 1.5
    session, client, greenlet, _, registry = start()
    registry.set_default_async_send_timeout(2.0)
    assert session.get_async_remote().get_send_timeout() == 0.0  # set when the session opened
    finish(client, greenlet)


# -- blocking send timeout ---------------------------------------------------


def test_a_blocking_send_is_bounded_by_the_blocking_send_timeout() -> None:
    session, client, greenlet, endpoint, _ = start()
    assert session.get_blocking_send_timeout() == 20.0  # Tomcat's default
    session.get_user_properties()[BLOCKING_SEND_TIMEOUT_PROPERTY] = 200  # ms, as Tomcat
    assert session.get_blocking_send_timeout() == 0.2
    with gevent.Timeout(10), pytest.raises(SendTimeoutError):
        for _ in range(64):  # the peer reads nothing
            session.get_basic_remote().send_binary(b"x" * (1 << 20))
    greenlet.join(5)
    assert greenlet.dead
    assert endpoint.closed and endpoint.closed[0].get_close_code() == 1006
    session.get_user_properties()[BLOCKING_SEND_TIMEOUT_PROPERTY] = -1
    assert session.get_blocking_send_timeout() is None


def test_the_connector_send_timeout_still_bounds_a_blocking_send() -> None:
    session, client, greenlet, endpoint, _ = start(connection_timeout_ms=200)
    session.get_user_properties()[BLOCKING_SEND_TIMEOUT_PROPERTY] = 60_000  # the smaller wins
    with gevent.Timeout(10), pytest.raises(SendTimeoutError):
        for _ in range(64):
            session.get_basic_remote().send_binary(b"x" * (1 << 20))
    greenlet.join(5)
    assert endpoint.closed[0].get_close_code() == 1006


# -- batching -------------------------------------------------------------------


def test_batching_holds_messages_until_flushed_then_writes_them_at_once() -> None:
    session, client, greenlet, _, _ = start()
    basic, remote_async = session.get_basic_remote(), session.get_async_remote()
    assert not basic.get_batching_allowed()
    basic.set_batching_allowed(True)
    assert basic.get_batching_allowed() and remote_async.get_batching_allowed()
    basic.send_text("a")
    basic.send_binary(b"b")
    remote_async.send_text("c").result(5)
    assert nothing_to_read(client)
    basic.flush_batch()
    data = client.sock.recv(65536)  # one write: all three frames in one read
    assert data == b"\x81\x01a\x82\x01b\x81\x01c"
    basic.send_text("d")
    assert nothing_to_read(client)
    basic.send_ping(b"p")  # a control frame is never held: what is held goes first
    assert frames(client, 2) == [(Opcode.TEXT, b"d", True), (Opcode.PING, b"p", True)]
    basic.send_text("e")
    basic.set_batching_allowed(False)  # turning it off sends what is held
    assert frames(client, 1) == [(Opcode.TEXT, b"e", True)]
    basic.send_text("f")  # and sends go out at once again
    assert frames(client, 1) == [(Opcode.TEXT, b"f", True)]
    finish(client, greenlet)


def test_batching_writes_when_the_batch_buffer_fills_and_before_the_close() -> None:
    session, client, greenlet, _, _ = start()
    basic = session.get_basic_remote()
    basic.set_batching_allowed(True)
    for _ in range(10):
        basic.send_text("x" * 1000)  # 1004 bytes a frame: the 9th fills the 8 KiB batch buffer
    assert len(frames(client, 9)) == 9
    basic.send_text("held")
    session.close(1000, "bye")  # the close flushes the batch first
    got = frames(client, 3)
    assert [op for op, _, _ in got] == [Opcode.TEXT, Opcode.TEXT, Opcode.CLOSE]
    assert got[1][1] == b"held"
    finish(client, greenlet)


# -- getters ------------------------------------------------------------------


def test_the_sessions_getters() -> None:
    deflate, _ = PerMessageDeflate.negotiate(["permessage-deflate; client_max_window_bits"])
    session, client, greenlet, _, registry = start(request=Secure(), deflate=deflate)
    assert session.get_user_principal() == "alice"
    assert session.is_secure() is True
    assert session.get_protocol_version() == "13"
    assert session.get_container() is registry
    assert session.get_query_string() == "room=1&x=a&x=b"
    assert session.get_request_parameter_map() == {"room": ["1"], "x": ["a", "b"]}
    [extension] = session.get_negotiated_extensions()
    assert extension.get_name() == "permessage-deflate"
    parameters = [(p.get_name(), p.get_value()) for p in extension.get_parameters()]
    assert parameters == [(p, v) for p, v in parameters if p.endswith("max_window_bits") or v is None]
    assert extension == Extension(extension.get_name(), extension.get_parameters())
    session.get_user_properties()["k"] = "v"
    assert session.get_user_properties() == {"k": "v"}
    session.set_max_idle_timeout(3)
    assert session.get_max_idle_timeout() == 3.0
    session.set_max_text_message_buffer_size(100)
    assert session.get_max_text_message_buffer_size() == 100
    finish(client, greenlet)


def test_getters_without_a_user_tls_or_extensions() -> None:
    session, client, greenlet, _, _ = start()
    assert session.get_user_principal() is None
    assert session.is_secure() is False
    assert session.get_negotiated_extensions() == []
    assert session.get_query_string() is None and session.get_request_parameter_map() == {}
    finish(client, greenlet)


def test_parts_are_in_the_event_stream_and_counted_once() -> None:
    from catalina_py.events import BUS, MessageSent

    class Recorder:
        def __init__(self) -> None:
            self.events: list[Any] = []

        def on_event(self, event: Any) -> None:
            self.events.append(event)

    recorder = Recorder()
    BUS.subscribe(recorder)
    try:
        session, client, greenlet, _, _ = start()
        before = session.get_endpoint_config().stats.messages_out
        remote = session.get_basic_remote()
        remote.send_text("ab", False)
        remote.send_text("c", True)
        remote.send_binary(b"whole")
        frames(client, 3)
        sent = [(e.kind, e.length) for e in recorder.events if isinstance(e, MessageSent)]
        assert sent == [("text part", 2), ("text part (last)", 1), ("binary", 5)]
        assert session.get_endpoint_config().stats.messages_out - before == 2
        finish(client, greenlet)
    finally:
        BUS.unsubscribe(recorder)
