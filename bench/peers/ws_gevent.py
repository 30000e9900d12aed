"""Peer of bench/ws_echo.py: gevent-websocket's WebSocketHandler on gevent.pywsgi, a WSGI app that echoes.

    bench/.venv/bin/python bench/peers/ws_gevent.py PORT            # ws://127.0.0.1:PORT/echo

``gevent.pywsgi.WSGIServer`` with ``geventwebsocket.handler.WebSocketHandler`` (no access log:
``log=None``); the app takes ``environ["wsgi.websocket"]`` and sends each message it receives back,
text (str) as text and binary (bytearray) as binary, until ``receive()`` returns None (the client
closed). The library has no compression and sends no pings; it answers the client's pings itself.
wsaccel, the library's optional accelerator, is installed beside it (UTF-8 checks in C; the unmasking
stays a Python loop over the bytes).

For fairness, as in peers/pywsgi_hello.py, the accepted sockets get TCP_NODELAY: pywsgi leaves Nagle on,
and a small frame written right after another would wait for the client's delayed ACK. catalina_py,
Tomcat and the asyncio peers set it themselves.
"""

from __future__ import annotations

import socket
import sys
from collections.abc import Callable, Iterable

from gevent import pywsgi
from geventwebsocket.handler import WebSocketHandler


def app(environ: dict, start_response: Callable) -> Iterable[bytes]:
    """The echo: every message of the upgraded connection goes back to the client unchanged."""
    ws = environ.get("wsgi.websocket")
    if ws is None:
        start_response("400 Bad Request", [("Content-Type", "text/plain"), ("Content-Length", "15")])
        return [b"WebSocket only\n"]
    while True:
        message = ws.receive()
        if message is None:
            break
        ws.send(message, binary=not isinstance(message, str))
    return []


class NoDelayWebSocketHandler(WebSocketHandler):
    """WebSocketHandler with TCP_NODELAY on the accepted socket (see the module's docstring)."""

    def handle(self) -> None:
        """Sets TCP_NODELAY, then handles the connection as WebSocketHandler does."""
        try:
            self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        super().handle()


def main(port: int) -> None:
    """Serves the echo on 127.0.0.1:``port`` until the process is stopped."""
    server = pywsgi.WSGIServer(("127.0.0.1", port), app, log=None, handler_class=NoDelayWebSocketHandler)
    print(f"gevent-websocket echo on ws://127.0.0.1:{port}/echo", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main(int(sys.argv[1]))
