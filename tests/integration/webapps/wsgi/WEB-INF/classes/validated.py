"""A WSGI application wrapped in wsgiref.validate.validator, with its
warnings made errors: any PEP 3333 violation by the bridge fails the
request with a 500."""

import warnings
from wsgiref.validate import WSGIWarning, validator

warnings.simplefilter("error", WSGIWarning)


def _app(environ, start_response):
    stream = environ["wsgi.input"]
    path = environ["PATH_INFO"]
    if path == "/lines":
        first = stream.readline()
        rest = list(stream)
        body = b"first=" + first + b"rest=" + b"|".join(rest)
    elif path == "/readlines":
        body = b"|".join(stream.readlines())
    elif path == "/read":
        body = stream.read(int(environ.get("CONTENT_LENGTH") or 0))
    else:
        body = b"valid " + environ["SCRIPT_NAME"].encode("latin-1") + b" " + path.encode("latin-1")
    if path == "/stream":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return (piece for piece in (b"one ", b"two ", b"three"))
    write = start_response("200 OK", [("Content-Type", "text/plain")])
    if path == "/write":
        write(b"written ")
    return [body]


application = validator(_app)
