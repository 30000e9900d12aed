"""Peer 2: a bare gevent.pywsgi hello-world WSGI app.

Run with the project's Python (gevent is installed there):
    python bench/peers/pywsgi_hello.py PORT

No per-request logging (log=None): note that catalina_py writes an access
log line per request to a file while this peer logs nothing, so the
comparison favours pywsgi.
"""

import socket
import sys
from pathlib import Path

from gevent import pywsgi

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hello_body import CONTENT_TYPE, HELLO_BODY  # noqa: E402

HEADERS = [("Content-Type", CONTENT_TYPE.decode("latin-1")), ("Content-Length", str(len(HELLO_BODY)))]


def app(environ, start_response):
    start_response("200 OK", HEADERS)
    return [HELLO_BODY]


class NoDelayHandler(pywsgi.WSGIHandler):
    """WSGIHandler with TCP_NODELAY on the accepted socket.

    As shipped, pywsgi sends the status line and headers with one sendall()
    and the body with a second one (WSGIHandler._write_with_headers). With
    Nagle's algorithm on, the second small segment waits for the ACK of the
    first, which the client delays (delayed ACK, ~40 ms on Linux): every
    keep-alive request then stalls ~40 ms and 50 connections top out around
    1,000 req/s, which would make the comparison meaningless. TCP_NODELAY
    sends both segments at once.
    """

    def handle(self):
        try:
            self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        return super().handle()


def main() -> None:
    port = int(sys.argv[1])
    nodelay = "--no-nodelay" not in sys.argv[2:]
    handler = NoDelayHandler if nodelay else pywsgi.WSGIHandler
    server = pywsgi.WSGIServer(("127.0.0.1", port), app, log=None, handler_class=handler)
    print(f"pywsgi serving on 127.0.0.1:{port} (TCP_NODELAY {'on' if nodelay else 'off'})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
