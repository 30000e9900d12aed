"""WebSocket endpoints for tests/integration/test_ws_server.py.

``EVENTS`` records what the endpoints heard, read back with
``GET /ws/events`` (JSON); ``GET /ws/stats`` gives the open sessions.
"""

import json

import gevent

from catalina_py.servlet import HttpServlet, ServletContextListener, web_listener, web_servlet
from catalina_py.websocket import (
    SERVER_CONTAINER_ATTRIBUTE,
    CloseReason,
    Endpoint,
    ServerEndpointConfig,
    ServerEndpointConfigurator,
    on_close,
    on_error,
    on_message,
    on_open,
    server_endpoint,
)

EVENTS: list[dict] = []


def record(**what):
    EVENTS.append(what)


@server_endpoint("/echo", subprotocols=("superchat", "chat"), max_text_message_size=1024,
                 max_binary_message_size=2048)
class EchoEndpoint:
    """Echoes text and binary; "close:<code>" makes the server close."""

    @on_open
    def opened(self, session, config):
        record(event="open", endpoint="echo", id=session.get_id(),
               subprotocol=session.get_negotiated_subprotocol(),
               query=session.get_query_string())

    @on_message
    def message(self, session, message):
        if isinstance(message, str) and message.startswith("close:"):
            session.close(int(message[6:]), "server says bye")
            return None
        if message == "count":
            return str(len(session.get_open_sessions()))
        if message == "params":
            return json.dumps(session.get_request_parameter_map(), sort_keys=True)
        return message

    @on_close
    def closed(self, session, reason: CloseReason):
        record(event="close", endpoint="echo", id=session.get_id(),
               code=reason.get_close_code(), reason=reason.get_reason_phrase())

    @on_error
    def error(self, session, error):
        record(event="error", endpoint="echo", id=session.get_id(), error=type(error).__name__)


@server_endpoint("/chat/{room}")
class RoomEndpoint:
    @on_message
    def message(self, session, message: str):
        return f"{session.get_path_parameters()['room']}:{message}"


@server_endpoint("/chat/lobby")
class LobbyEndpoint:
    """Exact paths win over templates."""

    @on_message
    def message(self, session, message: str):
        return f"lobby!{message}"


@server_endpoint("/fail")
class FailingEndpoint:
    @on_message
    def message(self, session, message):
        if message == "boom":
            raise RuntimeError("boom")
        return message

    @on_error
    def error(self, session, error):
        record(event="error", endpoint="fail", error=f"{type(error).__name__}: {error}")

    @on_close
    def closed(self, session, reason):
        record(event="close", endpoint="fail", code=reason.get_close_code())


@server_endpoint("/idle", max_idle_timeout=0.5)
class IdleEndpoint:
    @on_message
    def message(self, session, message):
        return message

    @on_close
    def closed(self, session, reason):
        record(event="close", endpoint="idle", code=reason.get_close_code(),
               reason=reason.get_reason_phrase())


@server_endpoint("/strict", allowed_origins=["http://only.example"])
class StrictOriginEndpoint:
    @on_message
    def message(self, session, message):
        return message


class SameOriginConfigurator(ServerEndpointConfigurator):
    """Replaces the default origin policy: only http://configurator.example
    (or no Origin); adds a header to the 101 and a user property."""

    def check_origin(self, origin):
        return origin in (None, "http://configurator.example")

    def modify_handshake(self, config, request, response):
        response.get_headers()["X-Handshake"] = ["modified"]
        config.get_user_properties()["agent"] = request.get_header("User-Agent")


@server_endpoint("/configured", configurator=SameOriginConfigurator())
class ConfiguredEndpoint:
    @on_message
    def message(self, session, message):
        return session.get_user_properties().get("agent") or ""


@server_endpoint("/broadcast")
class BroadcastEndpoint:
    """Each message goes to every open session through the async remote."""

    @on_message
    def message(self, session, message):
        for other in session.get_open_sessions():
            other.get_async_remote().send_text(message)


@server_endpoint("/flood")
class FloodEndpoint:
    """On "go:<n>:<size>": queue n messages of size bytes at once through
    the async remote (a client that reads nothing is a slow consumer)."""

    @on_message
    def message(self, session, message):
        _, count, size = message.split(":")
        futures = [session.get_async_remote().send_binary(b"x" * int(size)) for _ in range(int(count))]
        failed = [f for f in futures if f.done() and f.exception() is not None]
        record(event="flood", failed=len(failed), queued=len(futures))

    @on_close
    def closed(self, session, reason):
        record(event="close", endpoint="flood", code=reason.get_close_code(),
               reason=reason.get_reason_phrase())


@server_endpoint("/queuethenclose")
class QueueThenCloseEndpoint:
    """On "go:<n>": queue n text messages through the async remote, then
    close with 4000 at once: the messages must arrive before the close."""

    @on_message
    def message(self, session, message):
        count = int(message.split(":")[1])
        for i in range(count):
            session.get_async_remote().send_text(f"m{i}:" + "y" * 1000)
        session.close(4000, "done")


class ProgrammaticEndpoint(Endpoint):
    def on_open(self, session, config):
        session.add_message_handler(lambda message: session.get_basic_remote().send_text(
            f"prog:{message}"), str)

    def on_close(self, session, close_reason):
        record(event="close", endpoint="prog", code=close_reason.get_close_code())


@web_listener
class Deployer(ServletContextListener):
    def context_initialized(self, event):
        container = event.get_servlet_context().get_attribute(SERVER_CONTAINER_ATTRIBUTE)
        container.add_endpoint(ServerEndpointConfig(ProgrammaticEndpoint, "/prog"))


@web_servlet("/events")
class EventsServlet(HttpServlet):
    def do_get(self, request, response):
        response.set_content_type("application/json")
        response.get_writer().write(json.dumps(EVENTS))

    def do_delete(self, request, response):
        EVENTS.clear()


@web_servlet("/stats")
class StatsServlet(HttpServlet):
    def do_get(self, request, response):
        container = request.get_servlet_context().get_attribute(SERVER_CONTAINER_ATTRIBUTE)
        sessions = container.all_sessions()
        response.set_content_type("application/json")
        response.get_writer().write(json.dumps({
            "sessions": len(sessions),
            "open": sum(1 for s in sessions if s.is_open()),
            "greenlets": _greenlet_count(),
        }))


def _greenlet_count():
    import gc
    from greenlet import greenlet
    return sum(1 for o in gc.get_objects() if isinstance(o, greenlet) and not o.dead)


@web_servlet("/files/*")
class FilesServlet(HttpServlet):
    """A servlet at a path an endpoint also claims (/files/ws is not one)."""

    def do_get(self, request, response):
        response.get_writer().write("files servlet")


@server_endpoint("/files/ws")
class FilesEndpoint:
    @on_message
    def message(self, session, message):
        return message


@server_endpoint("/static/hello.txt")
class ShadowEndpoint:
    """An endpoint at the path of a static file: a plain GET gets the file."""

    @on_message
    def message(self, session, message):
        return message


# keep gevent imported for endpoints that sleep
_ = gevent
