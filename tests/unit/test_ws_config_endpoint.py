"""Endpoint configuration without sockets: ServerEndpointConfig's coders
and extensions, the Builder, ``@server_endpoint``'s new arguments, the
configurator's defaults, extension negotiation, ServerApplicationConfig's
deployment rules (Tomcat's WsSci) and the ServerContainer's settings."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from catalina_py.websocket import (
    Decoder,
    DeploymentError,
    Encoder,
    Endpoint,
    Extension,
    ServerApplicationConfig,
    ServerEndpointConfig,
    ServerEndpointConfigurator,
    on_message,
    server_endpoint,
)
from catalina_py.websocket.application_config import ScannedEndpoints, filter_scanned, scanned_kind
from catalina_py.websocket.endpoint import PerSessionEndpointConfig, get_server_endpoint
from catalina_py.websocket.extension import INSTALLED_EXTENSIONS
from catalina_py.websocket.server import ServerContainer, install_server_container


class Point:
    def __init__(self, x: int) -> None:
        self.x = x


class PointEncoder(Encoder.Text):
    object_type = Point

    def encode(self, obj):
        return str(obj.x)


class PointDecoder(Decoder.Text):
    object_type = Point

    def decode(self, text):
        return Point(int(text))


class Prog(Endpoint):
    def on_open(self, session, config):
        pass


class Other(Endpoint):
    def on_open(self, session, config):
        pass


class Kind(ServerEndpointConfigurator):
    pass


# -- ServerEndpointConfig and the Builder ---------------------------------------
def test_a_config_keeps_its_coders_and_extensions():
    config = ServerEndpointConfig(
        Prog, "/p", encoders=[PointEncoder], decoders=[PointDecoder], extensions=["permessage-deflate"]
    )
    assert config.get_encoders() == [PointEncoder]
    assert config.get_decoders() == [PointDecoder]
    assert config.get_extensions() == [Extension("permessage-deflate")]
    assert ServerEndpointConfig(Prog, "/p").get_extensions() == []  # Jakarta's default: none configured
    copy = config.copy()
    assert copy is not config and copy.get_encoders() == [PointEncoder] and copy.get_decoders() == [PointDecoder]


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"encoders": [PointDecoder]}, "PointDecoder is not an encoder class"),
        ({"decoders": [PointEncoder]}, "PointEncoder is not a decoder class"),
        ({"encoders": [Point]}, "Point is not an encoder class"),
        ({"decoders": ["mod.Decoder"]}, "'mod.Decoder' is not a decoder class"),
    ],
)
def test_a_coder_of_the_wrong_kind_is_a_deployment_error_naming_it(kwargs, named):
    with pytest.raises(DeploymentError) as error:
        ServerEndpointConfig(Prog, "/p", **kwargs)
    assert named in str(error.value)
    assert "must subclass one of" in str(error.value)


def test_the_builder_sets_everything_and_checks_at_build():
    config = (
        ServerEndpointConfig.Builder.create(Prog, "/b/{id}")
        .subprotocols(["v1"])
        .extensions([Extension("permessage-deflate", [("client_max_window_bits", None)])])
        .encoders([PointEncoder])
        .decoders([PointDecoder])
        .configurator(Kind)
        .allowed_origins(["https://a.example"])
        .max_text_message_size(100)
        .max_binary_message_size(200)
        .max_idle_timeout(5.0)
        .build()
    )
    assert (config.get_endpoint_class(), config.get_path(), config.get_subprotocols()) == (Prog, "/b/{id}", ["v1"])
    assert config.get_extensions()[0].to_header() == "permessage-deflate;client_max_window_bits"
    assert config.get_encoders() == [PointEncoder] and config.get_decoders() == [PointDecoder]
    assert isinstance(config.get_configurator(), Kind)
    assert config.allowed_origins == ["https://a.example"]
    assert (config.max_text_message_size, config.max_binary_message_size, config.max_idle_timeout) == (100, 200, 5.0)
    assert isinstance(
        ServerEndpointConfig.Builder.create(Prog, "/d").build().get_configurator(), ServerEndpointConfigurator
    )
    with pytest.raises(DeploymentError):
        ServerEndpointConfig.Builder.create(Prog, "no-slash").build()
    with pytest.raises(DeploymentError):
        ServerEndpointConfig.Builder.create(Prog, "/x").encoders([int]).build()


def test_server_endpoint_takes_encoders_decoders_and_a_configurator_class():
    @server_endpoint("/typed", encoders=[PointEncoder], decoders=[PointDecoder], configurator=Kind)
    class Typed:
        @on_message
        def text(self, session, message: str):
            return message

    config = get_server_endpoint(Typed)
    assert config.get_encoders() == [PointEncoder] and config.get_decoders() == [PointDecoder]
    assert isinstance(config.get_configurator(), Kind)
    with pytest.raises(DeploymentError, match="is not an encoder class"):
        server_endpoint("/bad", encoders=[str])(type("Bad", (), {}))


# -- the configurator ---------------------------------------------------------
def test_the_default_configurator_keeps_the_installed_offers_in_the_clients_order():
    offers = Extension.parse(["x-unknown; a=1, permessage-deflate; client_max_window_bits, permessage-deflate"])
    chosen = Kind().get_negotiated_extensions(list(INSTALLED_EXTENSIONS), offers)
    assert [e.to_header() for e in chosen] == ["permessage-deflate;client_max_window_bits", "permessage-deflate"]
    assert Kind().get_negotiated_subprotocol(["a", "b"], ["b", "a"]) == "b"
    assert isinstance(Kind().get_endpoint_instance(Prog), Prog)
    default = ServerEndpointConfigurator.get_container_default_configurator()
    assert type(default) is ServerEndpointConfigurator


def test_a_subclass_overriding_one_method_keeps_the_containers_others():
    class OnlyHeaders(ServerEndpointConfigurator):
        def modify_handshake(self, config, request, response):
            response.get_headers()["X"] = ["1"]

    configurator = OnlyHeaders()
    assert configurator.check_origin("https://anywhere") is True
    assert configurator.get_negotiated_subprotocol(["v1"], ["v2", "v1"]) == "v1"
    assert configurator.get_negotiated_extensions(list(INSTALLED_EXTENSIONS), Extension.parse(["permessage-deflate"]))
    assert not ServerEndpointConfig(Prog, "/p", configurator=configurator).checks_origin


def _container(params: dict[str, str] | None = None) -> ServerContainer:
    values = params or {}
    servlet_context = SimpleNamespace(get_init_parameter=values.get, set_attribute=lambda name, value: None)
    context = SimpleNamespace(
        path="/app", ws_filter=None, ws_container=None, get_servlet_context=lambda: servlet_context
    )
    return ServerContainer(context)


def test_extension_negotiation_asks_the_configurator_and_negotiates_deflate_parameters():
    container = _container()
    plain = ServerEndpointConfig(Prog, "/p")
    offer = ["permessage-deflate; client_max_window_bits"]
    assert container.negotiate_extensions(plain, offer)[1] == "permessage-deflate;client_max_window_bits=15"
    assert container.negotiate_extensions(plain, []) == (None, None)

    class Refuse(ServerEndpointConfigurator):
        def get_negotiated_extensions(self, installed, requested):
            assert [e.get_name() for e in installed] == ["permessage-deflate"]
            return []

    assert container.negotiate_extensions(ServerEndpointConfig(Prog, "/p", configurator=Refuse()), offer) == (
        None,
        None,
    )

    class SecondOffer(ServerEndpointConfigurator):
        def get_negotiated_extensions(self, installed, requested):
            return requested[1:]

    offers = ["permessage-deflate; server_no_context_takeover, permessage-deflate"]
    config = ServerEndpointConfig(Prog, "/p", configurator=SecondOffer())
    assert container.negotiate_extensions(config, offers)[1] == "permessage-deflate"

    class Unknown(ServerEndpointConfigurator):
        def get_negotiated_extensions(self, installed, requested):
            return [Extension("x-webkit-deflate-frame")]

    config = ServerEndpointConfig(Prog, "/p", configurator=Unknown())
    assert container.negotiate_extensions(config, offer) == (None, None)  # no implementation: dropped


def test_the_per_session_config_has_its_own_user_properties():
    config = ServerEndpointConfig(Prog, "/p", subprotocols=["v1"])
    config.get_user_properties()["shared"] = 1
    per_session = PerSessionEndpointConfig(config)
    per_session.get_user_properties()["mine"] = 2
    assert per_session.get_user_properties() == {"shared": 1, "mine": 2}
    assert config.get_user_properties() == {"shared": 1}
    assert per_session.get_subprotocols() == ["v1"] and per_session.deployed is config


# -- ServerApplicationConfig (Tomcat's WsSci rules) ------------------------------
@server_endpoint("/a")
class AnnotatedA:
    pass


@server_endpoint("/b")
class AnnotatedB:
    pass


class KeepA(ServerApplicationConfig):
    def get_endpoint_configs(self, endpoint_classes):
        assert endpoint_classes == {Prog, Other}
        return {ServerEndpointConfig.Builder.create(Prog, "/prog").build()}

    def get_annotated_endpoint_classes(self, scanned):
        assert scanned == {AnnotatedA, AnnotatedB}
        return {AnnotatedA}


class KeepB(ServerApplicationConfig):
    def get_endpoint_configs(self, endpoint_classes):
        return None  # counts as nothing

    def get_annotated_endpoint_classes(self, scanned):
        return {AnnotatedB}


def test_the_scan_sorts_classes_by_kind():
    assert scanned_kind(KeepA) == "application_config"
    assert scanned_kind(Prog) == "endpoint"
    assert scanned_kind(AnnotatedA) == "annotated"
    assert scanned_kind(ServerApplicationConfig) is None and scanned_kind(Endpoint) is None
    assert scanned_kind(type("_Private", (Endpoint,), {})) is None
    assert scanned_kind(Point) is None


def test_without_an_application_config_every_annotated_class_deploys_and_no_endpoint_subclass():
    configs, annotated = filter_scanned(ScannedEndpoints.of([Prog, AnnotatedA, AnnotatedB, Point]))
    assert configs == [] and annotated == [AnnotatedA, AnnotatedB]


def test_with_application_configs_only_what_they_return_deploys():
    configs, annotated = filter_scanned(ScannedEndpoints.of([KeepA, Prog, Other, AnnotatedA, AnnotatedB]))
    assert [(c.endpoint_class, c.path) for c in configs] == [(Prog, "/prog")] and annotated == [AnnotatedA]
    configs, annotated = filter_scanned(ScannedEndpoints.of([KeepA, KeepB, Prog, Other, AnnotatedA, AnnotatedB]))
    assert len(configs) == 1 and annotated == [AnnotatedA, AnnotatedB]  # the union


def test_an_application_config_returning_the_wrong_things_is_a_deployment_error():
    class Wrong(ServerApplicationConfig):
        def get_annotated_endpoint_classes(self, scanned):
            return {Prog}

    class Broken(ServerApplicationConfig):
        def get_endpoint_configs(self, endpoint_classes):
            raise RuntimeError("boom")

    with pytest.raises(DeploymentError, match="@server_endpoint classes expected"):
        filter_scanned(ScannedEndpoints.of([Wrong]))
    with pytest.raises(DeploymentError, match="Broken failed: RuntimeError: boom"):
        filter_scanned(ScannedEndpoints.of([Broken]))


def test_install_server_container_deploys_the_filtered_endpoints():
    container = _container()
    context = container.context
    installed = install_server_container(context, [KeepA, Prog, Other, AnnotatedA, AnnotatedB])
    assert [c.path for c in installed.endpoint_configs()] == ["/prog", "/a"]


# -- the ServerContainer's settings --------------------------------------------
def test_the_container_defaults_follow_tomcat():
    container = _container()
    assert container.get_default_max_text_message_buffer_size() == 8192
    assert container.get_default_max_binary_message_buffer_size() == 8192
    assert container.get_default_async_send_timeout() == 0.0
    container.set_default_async_send_timeout(2.5)
    assert container.get_default_async_send_timeout() == 2.5
    assert [e.get_name() for e in container.get_installed_extensions()] == ["permessage-deflate"]


def test_context_params_set_buffer_sizes_and_default_user_properties():
    container = _container(
        {
            "org.apache.tomcat.websocket.textBufferSize": "1000",
            "org.apache.tomcat.websocket.binaryBufferSize": "2000",
            "org.apache.tomcat.websocket.BLOCKING_SEND_TIMEOUT": "-1",
            "org.apache.tomcat.websocket.SESSION_CLOSE_TIMEOUT": "1500",
        }
    )
    assert container.get_default_max_text_message_buffer_size() == 1000
    assert container.get_default_max_binary_message_buffer_size() == 2000
    config = container.add_endpoint(ServerEndpointConfig(Prog, "/p"))
    assert config.get_user_properties() == {
        "org.apache.tomcat.websocket.BLOCKING_SEND_TIMEOUT": -1,
        "org.apache.tomcat.websocket.SESSION_CLOSE_TIMEOUT": 1500,
    }
    own = ServerEndpointConfig(Other, "/o")
    own.get_user_properties()["org.apache.tomcat.websocket.SESSION_CLOSE_TIMEOUT"] = 100
    assert container.add_endpoint(own).get_user_properties()["org.apache.tomcat.websocket.SESSION_CLOSE_TIMEOUT"] == 100


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("org.apache.tomcat.websocket.textBufferSize", "0"),
        ("org.apache.tomcat.websocket.binaryBufferSize", "8k"),
        ("org.apache.tomcat.websocket.SESSION_CLOSE_TIMEOUT", "-5"),
        ("org.apache.tomcat.websocket.BLOCKING_SEND_TIMEOUT", "1.5"),
    ],
)
def test_a_bad_context_param_is_a_deployment_error_naming_it(name, value):
    with pytest.raises(DeploymentError) as error:
        _container({name: value})
    assert f"context-param {name} is {value!r} in web.xml: expected" in str(error.value)


def test_add_endpoint_works_after_sessions_opened_as_tomcat_10_1():
    container = _container()
    container.add_endpoint(ServerEndpointConfig(Prog, "/first"))
    assert container.find_mapping("/first") is not None  # a lookup, as a handshake makes
    container.add_endpoint(ServerEndpointConfig(Other, "/later"))
    assert container.find_mapping("/later")[0].endpoint_class is Other


def test_close_reason_has_jakartas_close_codes():
    from catalina_py.websocket import CloseReason

    assert CloseReason.CloseCodes.GOING_AWAY == 1001
    assert CloseReason(CloseReason.CloseCodes.NORMAL_CLOSURE).get_close_code() == 1000
