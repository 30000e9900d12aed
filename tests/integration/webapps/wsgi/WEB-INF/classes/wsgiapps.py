"""WSGI applications for tests/integration/test_wsgi.py."""

import json
import sys

import gevent

CLOSED = []


def hello(environ, start_response):
    body = b"Hello from WSGI\n"
    start_response("200 OK", [("Content-Type", "text/plain"), ("X-App", "hello")])
    return [body]


def echo(environ, start_response):
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", environ.get("CONTENT_TYPE", "application/octet-stream"))])
    return [body]


class _Stream:
    """A generator-like iterable with close(), to see that close is called."""

    def __init__(self, count):
        self.count = count

    def __iter__(self):
        for i in range(self.count):
            gevent.sleep(0.02)
            yield f"block {i}\n".encode()

    def close(self):
        CLOSED.append("stream")


def stream(environ, start_response):
    if environ["QUERY_STRING"] == "closed":
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(CLOSED).encode()]
    start_response("200 OK", [("Content-Type", "text/plain")])
    return _Stream(4)


def environ_dump(environ, start_response):
    keys = ("REQUEST_METHOD", "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING", "SERVER_NAME",
            "SERVER_PORT", "SERVER_PROTOCOL", "CONTENT_TYPE", "CONTENT_LENGTH", "HTTP_X_CUSTOM",
            "HTTP_X_UNDER_SCORE", "HTTP_COOKIE", "wsgi.url_scheme", "wsgi.multithread",
            "wsgi.multiprocess", "wsgi.run_once", "wsgi.version")
    out = {k: environ.get(k) for k in keys}
    environ["wsgi.errors"].write("environ dumped\n")
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps(out).encode()]


def error_page(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    try:
        raise KeyError("something went wrong")
    except KeyError:
        start_response("503 Service Unavailable", [("Content-Type", "text/plain"), ("Retry-After", "5")],
                       sys.exc_info())
    return [b"try again later"]
