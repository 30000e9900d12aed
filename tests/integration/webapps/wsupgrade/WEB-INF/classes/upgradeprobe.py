"""Servlet 3.1 upgrades (no WebSocket) for tests/integration/test_upgrade.py.

The "linecase" protocol: the client sends lines, the server answers each
with ``prefix + line.upper()``; "quit" closes the connection.
"""

import json

import gevent

from catalina_py.servlet import HttpFilter, HttpServlet, web_filter, web_servlet
from catalina_py.servlet.upgrade import HttpUpgradeHandler

EVENTS: list[str] = []


def serve_lines(handler, connection):
    buffer = b""
    while True:
        data = connection.recv(4096)
        if not data:
            EVENTS.append("eof")
            connection.close()
            return
        buffer += data
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            if line == b"quit":
                connection.sendall(b"bye\n")
                connection.close()
                return
            connection.sendall(handler.prefix + line.upper() + b"\n")


class LineHandler(HttpUpgradeHandler):
    """Serves the protocol in init itself (the connection's greenlet)."""

    prefix = b">"

    def init(self, connection):
        EVENTS.append(f"init leftover={len(connection.get_leftover())}")
        serve_lines(self, connection)

    def destroy(self):
        EVENTS.append("destroy")


class SpawningHandler(LineHandler):
    """Returns from init at once; a greenlet of its own serves."""

    def init(self, connection):
        EVENTS.append("spawning init")
        gevent.spawn(serve_lines, self, connection)


def _upgrade(request, response, handler_class):
    if (request.get_header("Upgrade") or "").lower() != "linecase":
        response.send_error(400, "Upgrade: linecase expected")
        return
    response.set_header("Upgrade", "linecase")
    response.set_header("Connection", "Upgrade")
    handler = request.upgrade(handler_class)
    handler.prefix = (request.get_parameter("prefix") or ">").encode()


@web_servlet("/upgrade")
class UpgradeServlet(HttpServlet):
    def do_get(self, request, response):
        _upgrade(request, response, LineHandler)


@web_servlet("/spawn")
class SpawnServlet(HttpServlet):
    def do_get(self, request, response):
        _upgrade(request, response, SpawningHandler)


@web_servlet("/regret")
class RegretServlet(HttpServlet):
    """Upgrades, then answers an error instead: nothing is handed over."""

    def do_get(self, request, response):
        request.upgrade(LineHandler)
        response.send_error(503, "changed my mind")


@web_filter("/filtered")
class UpgradeFilter(HttpFilter):
    """A filter may upgrade too; the chain stops there."""

    def do_http_filter(self, request, response, chain):
        _upgrade(request, response, LineHandler)


@web_servlet("/filtered")
class NeverServlet(HttpServlet):
    def do_get(self, request, response):
        response.get_writer().write("the servlet ran")


@web_servlet("/events")
class EventsServlet(HttpServlet):
    def do_get(self, request, response):
        response.set_content_type("application/json")
        response.get_writer().write(json.dumps(EVENTS))
