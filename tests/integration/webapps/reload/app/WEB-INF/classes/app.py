"""For tests/integration/test_reload.py and bench/reload_load.py: a webapp
that says which loaded version of itself answered.

``TOKEN`` is new each time the module is imported, that is for each
version the container starts (a reload imports the webapp afresh), so a
client can tell the old version from the new one.

- ``GET /hello``: ``v<VERSION> <TOKEN>``;
- ``GET /slow?ms=N``: the same after N milliseconds (a request in flight);
- ``GET /session``: counts the requests of the HttpSession:
  ``v<VERSION> <TOKEN> n=<count>``;
- ``GET /logout``: invalidates the HttpSession, if any;
- WebSocket ``/ws``: sends ``open <TOKEN>``, then answers each message
  with ``<TOKEN>:<message>``.
"""

import time
import uuid

from version import VERSION

from catalina_py.servlet import HttpServlet, web_servlet
from catalina_py.websocket import on_message, on_open, server_endpoint

TOKEN = uuid.uuid4().hex[:12]


def _answer(response, text):
    response.set_content_type("text/plain")
    response.get_writer().write(text)


@web_servlet("/hello")
class Hello(HttpServlet):
    def do_get(self, request, response):
        _answer(response, f"v{VERSION} {TOKEN}")


@web_servlet("/slow")
class Slow(HttpServlet):
    def do_get(self, request, response):
        time.sleep(int(request.get_parameter("ms") or "0") / 1000)
        _answer(response, f"v{VERSION} {TOKEN}")


@web_servlet("/session")
class Counter(HttpServlet):
    def do_get(self, request, response):
        session = request.get_session()
        count = (session.get_attribute("n") or 0) + 1
        session.set_attribute("n", count)
        _answer(response, f"v{VERSION} {TOKEN} n={count}")


@web_servlet("/logout")
class Logout(HttpServlet):
    def do_get(self, request, response):
        session = request.get_session(False)
        if session is not None:
            session.invalidate()
        _answer(response, f"v{VERSION} {TOKEN} out")


@server_endpoint("/ws")
class Echo:
    @on_open
    def opened(self, session, config):
        session.get_basic_remote().send_text(f"open {TOKEN}")

    @on_message
    def echo(self, session, message):
        return f"{TOKEN}:{message}"
