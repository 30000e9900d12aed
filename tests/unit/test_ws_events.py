"""The WebSocket layer reports to the event stream (catalina_py.events):
each handshake check, the Accept computed or the refusal, the session
opened, every frame in and out (decoded), and the close with who started it."""

from __future__ import annotations

import io
from types import SimpleNamespace

import pytest

from catalina_py.container.mapper import MappingData
from catalina_py.events import (
    BUS,
    FrameReceived,
    FrameSent,
    HandshakeAccepted,
    HandshakeCheck,
    HandshakeRefused,
    MessageReceived,
    MessageSent,
    WebSocketClosed,
    WebSocketOpened,
)
from catalina_py.http.headers import Headers
from catalina_py.websocket import ServerContainer, server_endpoint
from catalina_py.websocket.core.frames import Opcode
from catalina_py.websocket.core.handshake import accept_key
from tests.unit.test_ws_io import recording_endpoint, run

KEY = "dGhlIHNhbXBsZSBub25jZQ=="


class Recorder:
    def __init__(self):
        self.events = []

    def on_event(self, event):
        self.events.append(event)

    def of(self, kind):
        return [e for e in self.events if isinstance(e, kind)]


@pytest.fixture
def observer():
    recorder = Recorder()
    BUS.subscribe(recorder)
    yield recorder
    BUS.unsubscribe(recorder)


@server_endpoint("/chat", subprotocols=["chat"])
class Chat:
    pass


class FakeRequest:
    """The servlet request of a handshake, as ServerContainer.handshake reads it."""

    def __init__(self, headers, method="GET"):
        self._headers = Headers(headers)
        self.mapping = MappingData(relative_path="/chat")
        self.connection_id = 3
        self.traced = True  # admitted by the stream's observers
        self.method = method
        self.handler = None

    def get_mime_headers(self):
        return self._headers

    def get_remote_addr(self):
        return "127.0.0.1"

    def get_method(self):
        return self.method

    def get_protocol(self):
        return "HTTP/1.1"

    def get_scheme(self):
        return "http"

    def get_header_names(self):
        return self._headers.names()

    def get_headers(self, name):
        return self._headers.get_all(name)

    def get_request_uri(self):
        return "/app/chat"

    def get_query_string(self):
        return None

    def get_parameter_map(self):
        return {}

    def get_session(self, create=True):
        return None

    def upgrade(self, handler_class):
        self.handler = handler_class()
        return self.handler


class FakeResponse:
    def __init__(self):
        self.status = 200
        self.headers = []
        self.body = io.StringIO()

    def set_status(self, status):
        self.status = status

    def add_header(self, name, value):
        self.headers.append((name, value))

    def set_content_type(self, value):
        self.headers.append(("Content-Type", value))

    def get_writer(self):
        return self.body


def container():
    context = SimpleNamespace(
        path="/app",
        ws_filter=None,
        resource_exists=lambda path: False,
        get_servlet_context=lambda: SimpleNamespace(get_init_parameter=lambda name: None),
    )
    server = ServerContainer(context)
    server.add_endpoint(Chat)
    return server


def handshake_headers(**extra):
    headers = [
        ("Host", "example"),
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Version", "13"),
        ("Sec-WebSocket-Key", KEY),
        ("Origin", "http://example"),
        ("Sec-WebSocket-Protocol", "chat"),
    ]
    return headers + list(extra.items())


def test_an_accepted_handshake_reports_each_check_and_the_accept(observer):
    request, response = FakeRequest(handshake_headers()), FakeResponse()
    assert container().handshake(request, response)
    checks = [(e.check, e.passed) for e in observer.of(HandshakeCheck)]
    assert checks == [
        ("method", True),
        ("http-version", True),
        ("upgrade", True),
        ("connection", True),
        ("version", True),
        ("key", True),
        ("origin", True),
        ("subprotocol", True),
        ("extensions", True),
    ]
    (accepted,) = observer.of(HandshakeAccepted)
    assert (accepted.key, accepted.accept, accepted.subprotocol) == (KEY, accept_key(KEY), "chat")
    assert accepted.accept == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" and accepted.connection == 3
    assert ("Sec-WebSocket-Accept", accepted.accept) in response.headers
    assert not observer.of(HandshakeRefused)


def test_a_refused_handshake_reports_the_failed_check_and_the_status(observer):
    headers = [h for h in handshake_headers() if h[0] != "Sec-WebSocket-Version"]
    response = FakeResponse()
    assert container().handshake(FakeRequest(headers), response)
    assert response.status == 426
    failed = observer.of(HandshakeCheck)[-1]
    assert (failed.check, failed.passed) == ("version", False)
    (refused,) = observer.of(HandshakeRefused)
    assert refused.status == 426 and "Sec-WebSocket-Version" in refused.reason
    assert refused.check == "version" and refused.compared == "Sec-WebSocket-Version: none, needs 13"


def test_a_foreign_origin_is_a_failed_origin_check(observer):
    headers = [h for h in handshake_headers() if h[0] != "Origin"] + [("Origin", "http://evil.example")]
    response = FakeResponse()
    container().handshake(FakeRequest(headers), response)
    assert response.status == 403
    assert [(e.check, e.passed) for e in observer.of(HandshakeCheck)][-1] == ("origin", False)
    refused = observer.of(HandshakeRefused)[0]
    assert refused.status == 403 and refused.check == "origin"
    assert refused.compared.startswith("Origin: http://evil.example, Host: ")


def test_no_event_is_built_without_a_subscriber(monkeypatch):
    built = []
    import catalina_py.websocket.processor as processor
    import catalina_py.websocket.server as server
    import catalina_py.websocket.writer as writer

    for module, names in (
        (server, ("HandshakeCheck", "HandshakeAccepted", "HandshakeRefused")),
        (processor, ("WebSocketOpened", "WebSocketClosed", "MessageReceived")),
        (writer, ("FrameReceived", "FrameSent", "MessageSent")),
    ):
        for name in names:
            monkeypatch.setattr(module, name, lambda _name=name, **fields: built.append(_name))
    assert not BUS.active
    container().handshake(FakeRequest(handshake_headers()), FakeResponse())
    endpoint, _ = recording_endpoint()
    _, greenlet, client, _ = run(endpoint)
    client.send(Opcode.TEXT, b"x")
    client.recv()
    client.send(Opcode.CLOSE, (1000).to_bytes(2, "big"))
    greenlet.join(5)
    assert built == []


def test_frames_open_and_close_are_reported(observer):
    endpoint, _ = recording_endpoint()
    handler, greenlet, client, _ = run(endpoint)
    client.send(Opcode.TEXT, b"hello")
    client.recv()
    client.send(Opcode.CLOSE, (1000).to_bytes(2, "big") + b"bye")
    client.recv()
    greenlet.join(5)
    (opened,) = observer.of(WebSocketOpened)
    assert opened.connection == 7 and opened.path == "/t" and opened.session_id == handler.session.get_id()
    received = observer.of(FrameReceived)
    assert [(f.opcode, f.fin, f.masked, f.length, f.payload) for f in received] == [
        ("text", True, True, 5, b"hello"),
        ("close", True, True, 5, b"\x03\xe8bye"),
    ]
    assert received[1].description == "close 1000 'bye'"
    sent = observer.of(FrameSent)
    assert [(f.opcode, f.masked, f.payload) for f in sent] == [
        ("text", False, b"hello"),
        ("close", False, b"\x03\xe8bye"),
    ]
    assert sent[0].description == "text frame, 5 bytes"
    assert [(m.kind, m.length, m.payload) for m in observer.of(MessageReceived)] == [("text", 5, b"hello")]
    assert [(m.kind, m.length, m.payload) for m in observer.of(MessageSent)] == [("text", 5, b"hello")]
    (closed,) = observer.of(WebSocketClosed)
    assert (closed.code, closed.reason, closed.initiator) == (1000, "bye", "client")


def test_a_server_close_is_initiated_by_the_server(observer):
    endpoint, _ = recording_endpoint()
    handler, greenlet, client, _ = run(endpoint)
    handler.session.close(1001, "going")
    client.recv()
    client.send(Opcode.CLOSE, (1001).to_bytes(2, "big"))
    greenlet.join(5)
    (closed,) = observer.of(WebSocketClosed)
    assert (closed.code, closed.reason, closed.initiator) == (1001, "going", "server")


def test_a_payload_is_truncated_to_256_bytes(observer):
    endpoint, _ = recording_endpoint()
    _, greenlet, client, _ = run(endpoint)
    client.send(Opcode.BINARY, b"z" * 1000)
    client.recv()
    client.send(Opcode.CLOSE, (1000).to_bytes(2, "big"))
    greenlet.join(5)
    big_in = observer.of(FrameReceived)[0]
    big_out = observer.of(FrameSent)[0]
    assert (big_in.length, len(big_in.payload)) == (1000, 256)
    assert (big_out.length, len(big_out.payload)) == (1000, 256)
