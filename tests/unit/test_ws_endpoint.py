"""The endpoint API without sockets: decorators, method discovery,
configs, the container's mapping and the WsProtocol-driven handler."""

from types import SimpleNamespace

import gevent
import pytest

from catalina_py.config.connector_spec import ConnectorSpec
from catalina_py.websocket import (
    CloseReason,
    DeploymentError,
    Endpoint,
    ServerEndpointConfig,
    ServerEndpointConfigurator,
    on_close,
    on_error,
    on_message,
    on_open,
    server_endpoint,
)
from catalina_py.websocket.endpoint import PojoEndpoint, get_server_endpoint
from catalina_py.websocket.server import ServerContainer
from catalina_py.websocket.session import SendFuture, SessionClosedError


@server_endpoint("/echo/{room}", subprotocols=["chat"], max_text_message_size=100, max_idle_timeout=3)
class Echo:
    def __init__(self):
        self.calls = []

    @on_open
    def opened(self, session):
        self.calls.append(("open", session))

    @on_message
    def text(self, session, message: str):
        return message.upper()

    @on_message
    def binary(self, session, message: bytes):
        return message[::-1]

    @on_close
    def closed(self, session, reason):
        self.calls.append(("close", reason))

    @on_error
    def failed(self, session, error):
        self.calls.append(("error", error))


def test_server_endpoint_records_its_config():
    config = get_server_endpoint(Echo)
    assert config.path == "/echo/{room}"
    assert config.subprotocols == ["chat"]
    assert config.max_text_message_size == 100 and config.max_binary_message_size is None
    assert config.max_idle_timeout == 3
    assert config.pojo.text == "text" and config.pojo.binary == "binary"
    assert config.pojo.open_args == 1
    assert get_server_endpoint(type("Sub", (Echo,), {})) is None  # not inherited


def test_two_on_message_methods_for_the_same_kind_are_refused():
    with pytest.raises(DeploymentError):

        @server_endpoint("/x")
        class Twice:
            @on_message
            def a(self, session, message):
                pass

            @on_message
            def b(self, session, message: str):
                pass


def test_bad_paths_and_limits_are_deployment_errors():
    with pytest.raises(DeploymentError):
        server_endpoint("no-slash")(type("A", (), {}))
    with pytest.raises(DeploymentError):
        server_endpoint("/a", max_text_message_size=0)(type("B", (), {}))


class FakeSession:
    def __init__(self):
        self.handlers = {}
        self.sent = []

    def get_id(self):
        return "1"

    def add_message_handler(self, handler, message_type=None):
        self.handlers[message_type] = handler

    def get_path_parameters(self):
        return {"room": "kitchen"}

    def is_open(self):
        return True

    def get_basic_remote(self):
        return SimpleNamespace(send_object=self.sent.append)


def test_pojo_endpoint_dispatches_to_the_decorated_methods():
    config = get_server_endpoint(Echo)
    endpoint = config.create_endpoint()
    assert isinstance(endpoint, PojoEndpoint)
    session = FakeSession()
    endpoint.on_open(session, config)
    session.handlers[str]("hi")
    session.handlers[bytes](b"ab")
    assert session.sent == ["HI", b"ba"]  # return values are sent back
    endpoint.on_close(session, CloseReason(1000, "done"))
    error = ValueError("x")
    endpoint.on_error(session, error)
    assert endpoint.instance.calls == [("open", session), ("close", CloseReason(1000, "done")), ("error", error)]
    assert config.create_endpoint().instance is not endpoint.instance  # one per session


def test_close_reason():
    reason = CloseReason(1001, "going")
    assert reason.get_close_code() == 1001 and reason.get_reason_phrase() == "going"
    assert CloseReason(1000) == CloseReason(1000, "")


def test_configurator_defaults():
    configurator = ServerEndpointConfigurator()
    assert configurator.get_negotiated_subprotocol(["a", "b"], ["c", "b", "a"]) == "b"
    assert configurator.get_negotiated_subprotocol(["a"], ["c"]) is None
    assert not ServerEndpointConfig(Echo, "/e").checks_origin

    class Strict(ServerEndpointConfigurator):
        def check_origin(self, origin):
            return False

    assert ServerEndpointConfig(Echo, "/e", configurator=Strict()).checks_origin


def _context():
    return SimpleNamespace(path="/app", ws_filter=None, web_xml=SimpleNamespace(context_params={}))


def test_container_maps_endpoints_and_enables_the_filter():
    context = _context()
    container = ServerContainer(context)
    assert context.ws_filter is None
    config = container.add_endpoint(Echo)
    assert context.ws_filter == container.handshake
    assert config is not get_server_endpoint(Echo)  # a copy per deployment
    found, params = container.find_mapping("/echo/kitchen")
    assert found is config and params == {"room": "kitchen"}
    assert container.find_mapping("/echo") is None

    class Prog(Endpoint):
        def on_open(self, session, config):
            pass

    container.add_endpoint(ServerEndpointConfig(Prog, "/prog"))
    assert container.find_mapping("/prog")[0].endpoint_class is Prog
    with pytest.raises(DeploymentError):
        container.add_endpoint(Prog)  # no @server_endpoint
    with pytest.raises(DeploymentError):
        container.add_endpoint(ServerEndpointConfig(Prog, "/echo/{other}"))


def test_connector_websocket_attributes_default():
    config = ConnectorSpec(port=0)
    assert config.web_socket_ping_interval == 25.0
    assert config.web_socket_ping_timeout == 10.0
    assert config.web_socket_close_timeout == 10.0


def test_send_future():
    future = SendFuture()
    assert not future.done()
    with pytest.raises(gevent.Timeout):
        future.result(timeout=0.01)
    future._fail(SessionClosedError("closed"))
    assert future.done()
    with pytest.raises(SessionClosedError):
        future.result()
    ok = SendFuture()
    seen = []
    ok.add_done_callback(seen.append)
    ok._set()
    gevent.sleep(0)
    assert ok.result() is None and seen == [ok]


SERVER_XML = """<?xml version="1.0"?>
<Server port="-1">
  <Service name="Catalina">
    <Connector port="8080" {attrs}/>
    <Engine name="Catalina" defaultHost="localhost"><Host name="localhost"/></Engine>
  </Service>
</Server>
"""


def test_connector_websocket_attributes_in_server_xml(tmp_path):
    from catalina_py.config.server_xml import load_server_xml
    from catalina_py.connector.endpoint import Endpoint
    from catalina_py.errors import ConfigError

    path = tmp_path / "server.xml"
    path.write_text(
        SERVER_XML.format(attrs='webSocketPingInterval="0.5" webSocketPingTimeout="2" webSocketCloseTimeout="0"')
    )
    config, warnings = load_server_xml(str(path), {})
    connector = config.services[0].connectors[0]
    assert (
        connector.web_socket_ping_interval,
        connector.web_socket_ping_timeout,
        connector.web_socket_close_timeout,
    ) == (0.5, 2.0, 0.0)
    settings = Endpoint(connector, adapter=None).config  # what the connector reads (no copy)
    assert (settings.web_socket_ping_interval, settings.web_socket_ping_timeout) == (0.5, 2.0)
    path.write_text(SERVER_XML.format(attrs='webSocketPingInterval="-1"'))
    with pytest.raises(ConfigError) as info:
        load_server_xml(str(path), {})
    assert "webSocketPingInterval" in str(info.value)


def test_send_future_result_waits_and_exception_works_in_a_callback():
    import gevent

    from catalina_py.websocket.session import SendFuture

    future = SendFuture()
    seen = []
    future.add_done_callback(lambda f: seen.append(f.exception()))
    gevent.spawn_later(0.05, future._set)
    assert future.result(timeout=2) is None  # waits for the send, no Timeout
    gevent.sleep(0)
    assert seen == [None]
    failed = SendFuture()
    failed._fail(RuntimeError("peer gone"))
    assert isinstance(failed.exception(), RuntimeError)
    pending = SendFuture()
    try:
        pending.result(timeout=0.01)
    except gevent.Timeout:
        pass
    else:
        raise AssertionError("result() of a pending future must time out")
