"""Endpoints of the wsconfig test webapp: a ServerApplicationConfig that
deploys an Endpoint subclass at several paths with the Builder and filters
an annotated class out, configurators, and a report of a session's
settings (tests/integration/test_ws_config_deploy.py)."""

import json

from catalina_py.servlet import HttpServlet, web_servlet
from catalina_py.websocket import (
    Endpoint,
    ServerApplicationConfig,
    ServerEndpointConfig,
    ServerEndpointConfigurator,
    on_message,
    server_endpoint,
)


def report(session, scanned=None):
    """What the client asks about: the session's buffer sizes, user
    properties (plain values) and subprotocol."""
    return json.dumps(
        {
            "text": session.get_max_text_message_buffer_size(),
            "binary": session.get_max_binary_message_buffer_size(),
            "props": {k: v for k, v in session.get_user_properties().items() if isinstance(v, (str, int, float, list))},
            "subprotocol": session.get_negotiated_subprotocol(),
            "path_parameters": session.get_path_parameters(),
        }
    )


class Stamp(ServerEndpointConfigurator):
    """Adds a header to the 101 and the ?who= parameter to the session's user properties."""

    def modify_handshake(self, config, request, response):
        response.get_headers().setdefault("X-Stamp", []).append("stamped")
        config.get_user_properties()["who"] = request.get_parameter_map().get("who", ["nobody"])[0]


class NoDeflate(ServerEndpointConfigurator):
    """Refuses every extension the client offers."""

    def get_negotiated_extensions(self, installed, requested):
        return []


class CloseAfter(ServerEndpointConfigurator):
    """Lets the client ask for a session close timeout."""

    def modify_handshake(self, config, request, response):
        value = request.get_parameter_map().get("close_ms")
        if value:
            config.get_user_properties()["org.apache.tomcat.websocket.SESSION_CLOSE_TIMEOUT"] = int(value[0])


class ProgEcho(Endpoint):
    """Echoes text; "report" answers the session's settings; "close" closes."""

    def on_open(self, session, config):
        remote = session.get_basic_remote()

        def text(message):
            if message == "report":
                remote.send_text(report(session))
            elif message == "close":
                session.close(1000, "asked")
            else:
                remote.send_text(message)

        session.add_message_handler(text, str)


class NeverDeployed(Endpoint):
    """Scanned, but the application config builds no config for it."""

    def on_open(self, session, config):
        session.close(1011, "should not be deployed")


@server_endpoint("/kept", configurator=Stamp)
class Kept:
    @on_message
    def text(self, session, message: str):
        return report(session)


@server_endpoint("/dropped")
class Dropped:
    @on_message
    def text(self, session, message: str):
        return "dropped was deployed"


#: What the application config was given by the scan (names, sorted).
SEEN = {}


class AppConfig(ServerApplicationConfig):
    def get_endpoint_configs(self, endpoint_classes):
        SEEN["endpoints"] = sorted(c.__name__ for c in endpoint_classes)
        build = ServerEndpointConfig.Builder.create
        return {
            build(ProgEcho, "/prog").subprotocols(["v1", "v2"]).configurator(Stamp).build(),
            build(ProgEcho, "/nodeflate").configurator(NoDeflate()).build(),
            build(ProgEcho, "/closing").configurator(CloseAfter).build(),
            build(ProgEcho, "/small").max_text_message_size(10).build(),
            build(Seen, "/seen").build(),
        }

    def get_annotated_endpoint_classes(self, scanned):
        SEEN["annotated"] = sorted(c.__name__ for c in scanned)
        return {c for c in scanned if c is not Dropped}


class Seen(Endpoint):
    """Answers what the application config was given."""

    def on_open(self, session, config):
        session.get_basic_remote().send_text(json.dumps(SEEN))


class SendWithin(ServerEndpointConfigurator):
    """Lets the client ask for a blocking send timeout (?send_ms=)."""

    def modify_handshake(self, config, request, response):
        value = request.get_parameter_map().get("send_ms")
        if value:
            config.get_user_properties()["org.apache.tomcat.websocket.BLOCKING_SEND_TIMEOUT"] = int(value[0])


#: How the last flood ended ("failed: ..." once a send gave up).
FLOOD = {}


@server_endpoint("/flood", configurator=SendWithin)
class Flood:
    """Sends 64 KiB messages to a client that reads nothing, until a send fails."""

    @on_message
    def start(self, session, message: str):
        FLOOD["state"] = "sending"
        try:
            for _ in range(100_000):
                session.get_basic_remote().send_binary(b"x" * 65536)
        except Exception as exc:  # the send timeout gave up
            FLOOD["state"] = f"failed: {type(exc).__name__}"
        else:
            FLOOD["state"] = "all sent"


@server_endpoint("/flood-state")
class FloodState:
    @on_message
    def ask(self, session, message: str):
        return FLOOD.get("state", "none")


@web_servlet("/pick")
class Pick(HttpServlet):
    """Chooses the endpoint itself: upgrade_http_to_websocket with a config
    that is not deployed (Jakarta 2.1)."""

    def do_get(self, request, response):
        container = request.get_servlet_context().get_attribute("jakarta.websocket.server.ServerContainer")
        config = ServerEndpointConfig.Builder.create(ProgEcho, "/pick").configurator(Stamp).build()
        container.upgrade_http_to_websocket(request, response, config, {"picked": "yes"})
