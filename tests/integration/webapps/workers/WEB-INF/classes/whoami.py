"""For tests/integration/test_workers.py: which worker process answers.

``GET /workers/pid`` answers the PID of the process that served it (and
closes the connection, so that every request is a new connection the
kernel hands to one of the workers); the WebSocket ``/workers/ws`` sends
the PID when it opens, then echoes.
"""

import os

from catalina_py.servlet import HttpServlet, web_servlet
from catalina_py.websocket import on_message, on_open, server_endpoint


@web_servlet("/pid")
class PidServlet(HttpServlet):
    def do_get(self, request, response):
        response.set_content_type("text/plain")
        response.set_header("Connection", "close")
        response.get_writer().write(str(os.getpid()))


@server_endpoint("/ws")
class PidEcho:
    @on_open
    def opened(self, session, config):
        session.get_basic_remote().send_text(f"pid {os.getpid()}")

    @on_message
    def echo(self, session, message):
        return message
