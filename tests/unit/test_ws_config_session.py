"""What a session takes from its configuration, over ``socket.socketpair()``
with no server: the user properties of its own handshake (what a
configurator's ``modify_handshake`` put there), and Tomcat's
``SESSION_CLOSE_TIMEOUT`` / ``BLOCKING_SEND_TIMEOUT`` user properties
winning over the connector's timeouts."""

from __future__ import annotations

import os
from types import SimpleNamespace

import gevent
import gevent.event
import gevent.socket

from catalina_py.config.websocket_params import BLOCKING_SEND_TIMEOUT_PROPERTY, SESSION_CLOSE_TIMEOUT_PROPERTY
from catalina_py.websocket import Endpoint, ServerContainer, ServerEndpointConfig
from catalina_py.websocket.core.frames import Frame, FrameParser, Opcode, serialize_frame
from catalina_py.websocket.endpoint import PerSessionEndpointConfig
from catalina_py.websocket.handshake_request import HandshakeRequest
from catalina_py.websocket.processor import WsHttpUpgradeHandler
from tests.unit.test_ws_io import FakeConnection, FakeRequest, connector


def start(endpoint_class, session_properties=None):
    """A handler on one end of a socketpair, its handshake carrying
    *session_properties* as a configurator would have left them."""
    server_sock, client_sock = gevent.socket.socketpair()
    config = ServerEndpointConfig(endpoint_class, "/t")
    config.get_user_properties()["endpoint"] = "shared"
    handshake = HandshakeRequest(FakeRequest())
    if session_properties is not None:
        per_session = PerSessionEndpointConfig(config)
        per_session.get_user_properties().update(session_properties)
        handshake.user_properties = per_session.get_user_properties()
    handler = WsHttpUpgradeHandler()
    handler.pre_init(config, ServerContainer(SimpleNamespace(path="/app", ws_filter=None)), handshake, {}, None, None)
    connection = FakeConnection(
        server_sock, connector_config=connector(web_socket_close_timeout=30.0, connection_timeout_ms=60_000)
    )
    greenlet = gevent.spawn(handler.init, connection)
    gevent.sleep(0)
    return config, handler, greenlet, connection, client_sock


def test_the_session_gets_the_user_properties_of_its_handshake():
    seen = {}

    class Reader(Endpoint):
        def on_open(self, session, config):
            seen.update(session.get_user_properties())

    config, handler, greenlet, connection, client = start(Reader, {"who": "ann"})
    assert seen == {"endpoint": "shared", "who": "ann"}
    assert config.get_user_properties() == {"endpoint": "shared"}  # not every session's
    handler.session.get_user_properties()["later"] = 1
    assert "later" not in config.get_user_properties()
    client.sendall(serialize_frame(Frame(Opcode.CLOSE, (1000).to_bytes(2, "big")), mask_key=os.urandom(4)))
    greenlet.join(5)
    client.close()


class ClosesAtOnce(Endpoint):
    def on_open(self, session, config):
        gevent.spawn(session.close, 1000, "bye")


def test_the_session_close_timeout_property_wins_over_the_connectors():
    """The connector waits 30 s for the close reply; the session's 200 ms
    drops the silent peer first (the wait below is at most 10 s)."""
    _, _, greenlet, connection, client = start(ClosesAtOnce, {SESSION_CLOSE_TIMEOUT_PROPERTY: 200})
    parser = FrameParser(require_mask=False)
    with gevent.Timeout(10):
        frame = None
        while frame is None:
            parser.feed(client.recv(65536))
            frame = parser.next_frame()
        assert frame.opcode == Opcode.CLOSE  # our close; the client never answers
        connection.closed.wait()
    greenlet.join(5)
    client.close()


def test_the_blocking_send_timeout_property_wins_over_the_connection_timeout():
    """A peer that reads nothing: the connector's 60 s would hold the send;
    the session's 200 ms gives up and drops the connection."""
    outcome = {}

    class Floods(Endpoint):
        def on_open(self, session, config):
            def flood():
                try:
                    for _ in range(10_000):
                        session.get_basic_remote().send_binary(b"x" * 65536)
                except Exception as exc:
                    outcome["error"] = type(exc).__name__

            gevent.spawn(flood)

    _, _, greenlet, connection, client = start(Floods, {BLOCKING_SEND_TIMEOUT_PROPERTY: 200})
    with gevent.Timeout(10):
        connection.closed.wait()
    greenlet.join(5)
    client.close()
    assert connection.closed.is_set()
