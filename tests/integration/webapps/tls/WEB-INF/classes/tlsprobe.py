"""Servlets and an endpoint for tests/integration/test_tls.py: what a
request on a TLS connector reports, an echo of bodies, a WebSocket echo."""

import json

from catalina_py.servlet import HttpServlet, web_servlet
from catalina_py.websocket import on_message, on_open, server_endpoint


@web_servlet("/info")
class InfoServlet(HttpServlet):
    """JSON of the request's scheme, security and URL."""

    def do_get(self, request, response):
        response.set_content_type("application/json")
        response.get_writer().write(
            json.dumps(
                {
                    "scheme": request.get_scheme(),
                    "secure": request.is_secure(),
                    "server_port": request.get_server_port(),
                    "request_url": request.get_request_url(),
                    "path": request.get_request_uri(),
                }
            )
        )


@web_servlet("/echo")
class EchoServlet(HttpServlet):
    """Answers a POST with its body."""

    def do_post(self, request, response):
        body = request.get_input_stream().read()
        response.set_content_type("application/octet-stream")
        response.set_header("X-Received", str(len(body)))
        response.get_output_stream().write(body)


@web_servlet("/big")
class BigServlet(HttpServlet):
    """?size=N bytes of a repeating pattern."""

    def do_get(self, request, response):
        size = int(request.get_parameter("size") or "0")
        pattern = bytes(range(256))
        response.set_content_type("application/octet-stream")
        response.set_content_length(size)
        response.get_output_stream().write((pattern * (size // 256 + 1))[:size])


@server_endpoint("/ws")
class Echo:
    """Sends every message back, and "secure=<is_secure()>" for the text "secure?"."""

    @on_open
    def opened(self, session, config):
        # Messages of up to 4 MiB (the default buffers take 8 KiB).
        session.set_max_text_message_buffer_size(4 << 20)
        session.set_max_binary_message_buffer_size(4 << 20)

    @on_message
    def echo(self, session, message):
        if message == "secure?":
            return f"secure={session.is_secure()}"
        return message
