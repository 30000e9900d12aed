"""The WebSocket I/O layer (upgrade handler + session + writer) driven over
``socket.socketpair()``, with no server: a fake WebConnection holds one
end, the test speaks hand-built frames (the pure core's, masked as a
client's) on the other."""

from __future__ import annotations

import os
from types import SimpleNamespace

import gevent
import gevent.event
import gevent.socket
import pytest

from catalina_py.websocket import CloseReason, Endpoint, ServerContainer, ServerEndpointConfig
from catalina_py.websocket.core.frames import Frame, FrameParser, Opcode, serialize_frame
from catalina_py.websocket.core.protocol import WsState
from catalina_py.websocket.handshake_request import HandshakeRequest
from catalina_py.websocket.processor import WsHttpUpgradeHandler
from catalina_py.websocket.settings import WsSettings, settings_for


class FakeRequest:
    """What HandshakeRequest reads of a servlet request."""

    def get_header_names(self):
        return ["Host"]

    def get_headers(self, name):
        return ["example"] if name.lower() == "host" else []

    def get_request_uri(self):
        return "/app/t"

    def get_query_string(self):
        return None

    def get_parameter_map(self):
        return {}

    def get_session(self, create=True):
        return None


class FakeConnection:
    """A WebConnection over one end of a socketpair (contract 4's shape)."""

    def __init__(self, sock, leftover=b"", connector_config=None):
        self.sock = sock
        self.leftover = leftover
        self.connector_config = connector_config
        self.connection_id = 7
        # As after an upgrade the event stream admitted (its frames are
        # reported while somebody listens).
        self.traced = True
        self.bytes_in = self.bytes_out = 0
        self.closed = gevent.event.Event()
        self.parked = False  # a socketpair connection never parks

    def get_socket(self):
        return self.sock

    def take_leftover(self):
        data, self.leftover = self.leftover, b""
        return data

    def close(self):
        if self.closed.is_set():
            return
        self.closed.set()
        try:
            self.sock.shutdown(2)
        except OSError:
            pass
        self.sock.close()


class Client:
    """The peer: masked frames out, the server's frames parsed back."""

    def __init__(self, sock):
        self.sock = sock
        self.parser = FrameParser(require_mask=False)

    def send(self, opcode, payload=b"", fin=True):
        self.sock.sendall(serialize_frame(Frame(opcode, payload, fin), mask_key=os.urandom(4)))

    def recv(self, timeout=5.0):
        """The next frame, or None at EOF."""
        with gevent.Timeout(timeout):
            while True:
                frame = self.parser.next_frame()
                if frame is not None:
                    return frame
                data = self.sock.recv(65536)
                if not data:
                    return None
                self.parser.feed(data)


def connector(**overrides):
    values = dict(
        web_socket_ping_interval=0.0,
        web_socket_ping_timeout=0.0,
        web_socket_close_timeout=1.0,
        web_socket_park_after=0.0,
        connection_timeout_ms=5000,
    )
    values.update(overrides)
    return SimpleNamespace(**values)


def run(endpoint_class, config=None, leftover=b""):
    """Start a handler on one end of a socketpair; the client gets the other."""
    server_sock, client_sock = gevent.socket.socketpair()
    endpoint_config = ServerEndpointConfig(endpoint_class, "/t")
    registry = ServerContainer(SimpleNamespace(path="/app", ws_filter=None))
    handler = WsHttpUpgradeHandler()
    handler.pre_init(endpoint_config, registry, HandshakeRequest(FakeRequest()), {}, None, None)
    connection = FakeConnection(server_sock, leftover, config if config is not None else connector())
    greenlet = gevent.spawn(handler.init, connection)
    gevent.sleep(0)
    return handler, greenlet, Client(client_sock), connection


def recording_endpoint(on_open=None):
    seen: list = []

    class Recorder(Endpoint):
        def on_open(self, session, config):
            seen.append(("open", session.get_id()))
            session.add_message_handler(lambda message: session.get_basic_remote().send_object(message))
            if on_open is not None:
                on_open(session)

        def on_close(self, session, close_reason):
            seen.append(("close", close_reason))

        def on_error(self, session, error):
            seen.append(("error", type(error).__name__))

    return Recorder, seen


def test_settings_are_built_once_per_connector_config():
    config = connector(web_socket_ping_interval=3.0)
    first = settings_for(config)
    assert first is settings_for(config)
    assert first == WsSettings(ping_interval=3.0, ping_timeout=0.0, close_timeout=1.0, send_timeout=5.0, park_after=0.0)
    assert settings_for(None) == WsSettings()
    with pytest.raises(AttributeError):
        first.ping_interval = 1.0  # frozen


def test_echo_text_and_binary():
    endpoint, seen = recording_endpoint()
    handler, greenlet, client, _ = run(endpoint)
    assert handler.state is WsState.OPEN and handler.session.is_open()
    client.send(Opcode.TEXT, "héllo".encode())
    frame = client.recv()
    assert (frame.opcode, frame.payload, frame.fin) == (Opcode.TEXT, "héllo".encode(), True)
    client.send(Opcode.BINARY, b"\x00\x01")
    assert client.recv().payload == b"\x00\x01"
    client.send(Opcode.CLOSE, (1000).to_bytes(2, "big"))
    assert client.recv().opcode == Opcode.CLOSE
    greenlet.join(5)
    assert seen[-1] == ("close", CloseReason(1000, ""))


def test_leftover_bytes_are_read_first():
    endpoint, _ = recording_endpoint()
    first = serialize_frame(Frame(Opcode.TEXT, b"early"), mask_key=b"abcd")
    handler, greenlet, client, _ = run(endpoint, leftover=first)
    assert client.recv().payload == b"early"
    client.send(Opcode.CLOSE, (1000).to_bytes(2, "big"))
    greenlet.join(5)


def test_ping_is_answered_with_a_pong():
    endpoint, _ = recording_endpoint()
    handler, greenlet, client, _ = run(endpoint)
    client.send(Opcode.PING, b"are you there")
    frame = client.recv()
    assert (frame.opcode, frame.payload) == (Opcode.PONG, b"are you there")
    client.send(Opcode.CLOSE, (1000).to_bytes(2, "big"))
    greenlet.join(5)


def test_server_pings_and_drops_a_peer_that_does_not_answer():
    endpoint, seen = recording_endpoint()
    handler, greenlet, client, connection = run(
        endpoint, connector(web_socket_ping_interval=0.05, web_socket_ping_timeout=0.2)
    )
    frame = client.recv()
    assert frame.opcode == Opcode.PING and len(frame.payload) == 4
    client.send(Opcode.PONG, frame.payload)  # answered: the session lives on
    second = client.recv()
    assert second.opcode == Opcode.PING and second.payload != frame.payload
    greenlet.join(5)  # not answered: dropped
    assert connection.closed.is_set()
    code = seen[-1][1]
    assert code.code == 1006 and "no pong" in code.reason


def test_client_close_is_echoed_and_on_close_sees_its_code():
    endpoint, seen = recording_endpoint()
    handler, greenlet, client, connection = run(endpoint)
    client.send(Opcode.CLOSE, (1001).to_bytes(2, "big") + b"bye")
    frame = client.recv()
    assert (frame.opcode, frame.payload) == (Opcode.CLOSE, (1001).to_bytes(2, "big") + b"bye")  # as Tomcat echoes it
    greenlet.join(5)
    assert seen[-1] == ("close", CloseReason(1001, "bye"))
    assert handler.state is WsState.CLOSED and connection.closed.is_set()
    assert client.recv() is None


def test_server_close_waits_for_the_reply():
    endpoint, seen = recording_endpoint()
    handler, greenlet, client, connection = run(endpoint)
    handler.session.close(CloseReason(4000, "done"))
    frame = client.recv()
    assert frame.opcode == Opcode.CLOSE and frame.payload == (4000).to_bytes(2, "big") + b"done"
    assert handler.state is WsState.CLOSING and not handler.session.is_open()
    assert seen[-1] == ("close", CloseReason(4000, "done"))
    client.send(Opcode.CLOSE, (4000).to_bytes(2, "big"))
    greenlet.join(5)
    assert handler.state is WsState.CLOSED and connection.closed.is_set()


def test_concurrent_sends_never_interleave():
    sizes = 20_000  # 4 async senders x 5 x 20 kB stays under the 1 MiB slow-consumer bound
    senders = 8
    per_sender = 5

    def flood(session):
        def basic(mark):
            for _ in range(per_sender):
                session.get_basic_remote().send_binary(bytes([mark]) * sizes)

        def queued(mark):
            futures = [session.get_async_remote().send_text(chr(65 + mark) * sizes) for _ in range(per_sender)]
            for future in futures:
                future.result(10)

        for mark in range(senders):
            gevent.spawn(basic if mark % 2 else queued, mark)

    endpoint, seen = recording_endpoint(on_open=flood)
    handler, greenlet, client, _ = run(endpoint)
    counts: dict[tuple[int, int], int] = {}
    for _ in range(senders * per_sender):
        frame = client.recv(10)
        assert frame.fin and len(frame.payload) == sizes
        assert len(set(frame.payload)) == 1  # one sender's bytes only: no interleaving
        key = (frame.opcode, frame.payload[0])
        counts[key] = counts.get(key, 0) + 1
    assert sorted(counts.values()) == [per_sender] * senders
    client.send(Opcode.CLOSE, (1000).to_bytes(2, "big"))
    greenlet.join(5)
    assert ("error", "SessionClosedError") not in seen


def test_a_protocol_violation_closes_with_its_code():
    endpoint, seen = recording_endpoint()
    handler, greenlet, client, _ = run(endpoint)
    client.sock.sendall(serialize_frame(Frame(Opcode.TEXT, b"unmasked")))  # a client must mask
    frame = client.recv()
    assert frame.opcode == Opcode.CLOSE and frame.payload[:2] == (1002).to_bytes(2, "big")
    greenlet.join(5)
    assert seen[-1][1].code == 1002
