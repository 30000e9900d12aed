"""For tests/interop/test_nginx_upstreams.py: which instance answers, what
it believes about the request, and an echo that names its instance.

* ``GET /proxied/who``: JSON of the answering process (its PID), the HTTP
  session (created on the first request, a counter incremented on each),
  and the request as the container sees it behind nginx (scheme, secure,
  server name and port, client address);
* ``GET /proxied/go``: a redirect to the absolute URL of ``who``, built from
  the request (``get_request_url()``), as applications build links for
  e-mails, OAuth callbacks or a login page: a wrong scheme or port here is
  what a user would follow;
* ``GET /proxied/stream``: ``first`` at once, ``last`` once ``/release``
  was requested: a streamed answer, to see what ``proxy_buffering`` does;
* WebSocket ``/proxied/ws``: sends ``pid <PID>`` when it opens, answers
  ``secure?`` with ``secure=<is_secure()>``, echoes everything else.
"""

import json
import os
import threading

from catalina_py.servlet import HttpServlet, web_servlet
from catalina_py.websocket import on_message, on_open, server_endpoint


@web_servlet("/who")
class WhoServlet(HttpServlet):
    """The instance, the session and the request's view of the proxy."""

    def do_get(self, request, response):
        session = request.get_session()
        count = (session.get_attribute("count") or 0) + 1
        session.set_attribute("count", count)
        response.set_content_type("application/json")
        response.get_writer().write(
            json.dumps(
                {
                    "pid": os.getpid(),
                    "session": session.get_id(),
                    "requested_session": request.get_requested_session_id(),
                    "new": session.is_new(),
                    "count": count,
                    "scheme": request.get_scheme(),
                    "secure": request.is_secure(),
                    "server_name": request.get_server_name(),
                    "server_port": request.get_server_port(),
                    "remote_addr": request.get_remote_addr(),
                }
            )
        )


@web_servlet("/go")
class GoServlet(HttpServlet):
    """Redirects to the absolute URL of ``who``, made from this request's URL."""

    def do_get(self, request, response):
        url = request.get_request_url()
        response.send_redirect(url[: url.rindex("/")] + "/who")


@server_endpoint("/ws")
class NamedEcho:
    """Names its process first, then echoes."""

    @on_open
    def opened(self, session, config):
        session.get_basic_remote().send_text(f"pid {os.getpid()}")

    @on_message
    def echo(self, session, message):
        if message == "secure?":
            return f"secure={session.is_secure()}"
        return message


#: Set by /release; /stream waits for it (the server monkey-patches
#: threading, so this is a gevent event and waiting blocks one greenlet).
RELEASE = threading.Event()


@web_servlet("/stream")
class StreamServlet(HttpServlet):
    """A streamed answer: ``first`` flushed at once, ``last`` only after
    ``/release`` was requested (or 10 s): what a progress page, a long poll
    or server-sent events do."""

    def do_get(self, request, response):
        RELEASE.clear()
        response.set_content_type("text/plain")
        writer = response.get_writer()
        writer.write("first\n")
        response.flush_buffer()
        RELEASE.wait(10)
        writer.write("last\n")


@web_servlet("/release")
class ReleaseServlet(HttpServlet):
    """Lets the waiting ``/stream`` answer finish."""

    def do_get(self, request, response):
        RELEASE.set()
        response.get_writer().write("released\n")
