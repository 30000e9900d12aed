"""The WSGI bridge without sockets: environ building, start_response and
the body, on fake requests and a servlet response over a recording channel."""

from __future__ import annotations

import io
import sys
import warnings
from wsgiref.validate import WSGIWarning, validator

import pytest

from catalina_py.container.response import Response
from catalina_py.servlet.wsgi import (
    WsgiErrors,
    WsgiInput,
    WsgiResponder,
    build_environ,
    load_application,
    run_application,
)


class FakeRequest:
    """The part of HttpServletRequest the bridge reads."""

    def __init__(
        self,
        method="GET",
        context_path="/ctx",
        servlet_path="/app",
        path_info="/x",
        query=None,
        headers=(),
        body=b"",
        content_length=None,
        uri_encoding="UTF-8",
    ):
        self.method = method
        self.context_path = context_path
        self.servlet_path = servlet_path
        self.path_info = path_info
        self.query = query
        self.headers = list(headers)
        self.body = io.BytesIO(body)
        self.content_length = len(body) if content_length is None and body else (content_length or -1)
        self._uri_encoding = uri_encoding

    def get_method(self):
        return self.method

    def get_context_path(self):
        return self.context_path

    def get_servlet_path(self):
        return self.servlet_path

    def get_path_info(self):
        return self.path_info

    def get_query_string(self):
        return self.query

    def get_request_uri(self):
        return self.context_path + self.servlet_path + (self.path_info or "")

    def get_content_length(self):
        return self.content_length

    def get_server_name(self):
        return "example.org"

    def get_server_port(self):
        return 8080

    def get_protocol(self):
        return "HTTP/1.1"

    def get_remote_addr(self):
        return "10.0.0.1"

    def get_remote_port(self):
        return 5555

    def get_scheme(self):
        return "http"

    def get_input_stream(self):
        return self.body

    def get_content_type(self):
        return next((v for n, v in self.headers if n.lower() == "content-type"), None)

    def get_header_names(self):
        seen = []
        for name, _ in self.headers:
            if name.lower() not in [s.lower() for s in seen]:
                seen.append(name)
        return seen

    def get_headers(self, name):
        return [v for n, v in self.headers if n.lower() == name.lower()]


class RecordingChannel:
    """What Response sends, recorded."""

    def __init__(self):
        self.committed = None
        self.sent = []
        self.ended = False

    def commit(self, status, headers, content_length, body):
        self.committed = (status, list(headers), content_length)
        if body:
            self.sent.append(bytes(body))

    def write_body(self, data):
        self.sent.append(bytes(data))

    def end_body(self):
        self.ended = True


def serve(app, request=None, **kwargs):
    request = request or FakeRequest(**kwargs)
    channel = RecordingChannel()
    response = Response(channel)
    run_application(app, build_environ(request), response)
    response.finish_response()
    return response, channel


# -- environ -----------------------------------------------------------------------


def test_environ_prefix_mapping():
    env = build_environ(FakeRequest(query="a=1&b=%20", headers=[("X-Thing", "1"), ("Accept", "*/*")]))
    assert env["SCRIPT_NAME"] == "/ctx/app" and env["PATH_INFO"] == "/x"
    assert env["QUERY_STRING"] == "a=1&b=%20"
    assert env["REQUEST_METHOD"] == "GET"
    assert (env["SERVER_NAME"], env["SERVER_PORT"], env["SERVER_PROTOCOL"]) == ("example.org", "8080", "HTTP/1.1")
    assert env["HTTP_X_THING"] == "1" and env["HTTP_ACCEPT"] == "*/*"
    assert env["wsgi.version"] == (1, 0)
    assert env["wsgi.multithread"] is True and env["wsgi.multiprocess"] is False
    assert env["wsgi.run_once"] is False
    assert env["wsgi.url_scheme"] == "http"
    assert "CONTENT_LENGTH" not in env and "CONTENT_TYPE" not in env


def test_environ_exact_and_default_mappings():
    env = build_environ(FakeRequest(servlet_path="/exact", path_info=None))
    assert (env["SCRIPT_NAME"], env["PATH_INFO"]) == ("/ctx/exact", "")
    env = build_environ(FakeRequest(servlet_path="/a/b", path_info=None), default_mapping=True)
    assert (env["SCRIPT_NAME"], env["PATH_INFO"]) == ("/ctx", "/a/b")
    env = build_environ(FakeRequest(context_path="", servlet_path="", path_info="/all"))
    assert (env["SCRIPT_NAME"], env["PATH_INFO"]) == ("", "/all")


def test_environ_paths_are_bytes_as_latin1():
    env = build_environ(FakeRequest(context_path="/caf\u00e9", path_info="/\u20ac"))
    assert env["SCRIPT_NAME"] == "/caf\u00c3\u00a9/app"
    assert env["PATH_INFO"].encode("latin-1").decode("utf-8") == "/\u20ac"


def test_environ_headers():
    env = build_environ(
        FakeRequest(
            headers=[
                ("Content-Type", "text/plain"),
                ("Content-Length", "3"),
                ("Cookie", "a=1"),
                ("cookie", "b=2"),
                ("X-Multi", "1"),
                ("X-Multi", "2"),
                ("X_Smuggled", "no"),
            ],
            body=b"abc",
        )
    )
    assert env["CONTENT_TYPE"] == "text/plain" and env["CONTENT_LENGTH"] == "3"
    assert "HTTP_CONTENT_TYPE" not in env and "HTTP_CONTENT_LENGTH" not in env
    assert env["HTTP_COOKIE"] == "a=1; b=2"
    assert env["HTTP_X_MULTI"] == "1,2"
    assert "HTTP_X_SMUGGLED" not in env


def test_wsgi_input_methods():
    stream = WsgiInput(io.BytesIO(b"one\ntwo\nthree"))
    assert stream.read(2) == b"on"
    assert stream.readline() == b"e\n"
    assert list(stream) == [b"two\n", b"three"]
    assert stream.read() == b""
    assert WsgiInput(io.BytesIO(b"a\nb\n")).readlines() == [b"a\n", b"b\n"]
    assert WsgiInput(io.BytesIO(b"abcdef")).readline(3) == b"abc"


def test_wsgi_errors_logs_lines(caplog):
    errors = WsgiErrors()
    with caplog.at_level("ERROR", logger="catalina_py.wsgi"):
        errors.write("first line\nsecond ")
        errors.writelines(["part\n"])
        errors.write("tail")
        errors.flush()
    assert [r.getMessage() for r in caplog.records] == ["first line", "second part", "tail"]
    with pytest.raises(TypeError):
        errors.write(b"bytes")


# -- start_response and body ---------------------------------------------------------


def test_list_body_is_buffered_with_content_length():
    def app(environ, start_response):
        start_response("201 Created", [("Content-Type", "text/plain"), ("X-A", "1")])
        return [b"hello ", b"world"]

    response, channel = serve(app)
    status, headers, length = channel.committed
    assert status == 201
    assert ("X-A", "1") in headers and ("Content-Type", "text/plain") in headers
    assert b"".join(channel.sent) == b"hello world"
    assert response.is_committed()


def test_generator_body_is_flushed_block_by_block():
    produced = []

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        for i in range(3):
            produced.append(i)
            yield f"{i}".encode()

    channel = RecordingChannel()
    response = Response(channel)
    responder_sent = []
    original = channel.write_body
    channel.write_body = lambda data: (responder_sent.append((len(produced), data)), original(data))
    run_application(app, build_environ(FakeRequest()), response)
    # Each block was sent before the next one was produced.
    assert responder_sent == [(1, b"0"), (2, b"1"), (3, b"2")]


def test_empty_blocks_do_not_commit_and_close_is_called():
    closed = []

    class Result:
        def __iter__(self):
            return iter([b"", b""])

        def close(self):
            closed.append(True)

    def app(environ, start_response):
        start_response("204 No Content", [])
        return Result()

    response, channel = serve(app)
    assert closed == [True]
    assert channel.committed[0] == 204 and channel.sent == []


def test_close_is_called_when_iteration_fails():
    closed = []

    class Result:
        def __iter__(self):
            yield b"x"
            raise RuntimeError("boom")

        def close(self):
            closed.append(True)

    def app(environ, start_response):
        start_response("200 OK", [])
        return Result()

    with pytest.raises(RuntimeError, match="boom"):
        serve(app)
    assert closed == [True]


def test_write_callable_sends_immediately():
    def app(environ, start_response):
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        write(b"early ")
        return [b"late"]

    response, channel = serve(app)
    assert channel.sent[0] == b"early "
    assert b"".join(channel.sent) == b"early late"


def test_exc_info_before_body_replaces_status_and_headers():
    def app(environ, start_response):
        start_response("200 OK", [("X-Old", "1")])
        try:
            raise ValueError("x")
        except ValueError:
            start_response("500 Internal Server Error", [("X-New", "1")], sys.exc_info())
        return [b"error"]

    response, channel = serve(app)
    status, headers, _ = channel.committed
    assert status == 500
    assert ("X-New", "1") in headers and ("X-Old", "1") not in headers


def test_exc_info_after_body_reraises():
    def app(environ, start_response):
        start_response("200 OK", [])
        yield b"body started"
        try:
            raise KeyError("late")
        except KeyError:
            start_response("500 Internal Server Error", [], sys.exc_info())
        yield b"never"

    with pytest.raises(KeyError, match="late"):
        serve(app)


def test_second_start_response_without_exc_info_is_an_error():
    def app(environ, start_response):
        start_response("200 OK", [])
        start_response("200 OK", [])
        return []

    with pytest.raises(RuntimeError, match="again without exc_info"):
        serve(app)


def test_body_before_start_response_is_an_error():
    def app(environ, start_response):
        yield b"too soon"

    with pytest.raises(RuntimeError, match="before calling start_response"):
        serve(app)


def test_no_start_response_at_all_is_an_error():
    with pytest.raises(RuntimeError, match="without calling start_response"):
        serve(lambda environ, start_response: [])


@pytest.mark.parametrize(
    "status, headers, error",
    [
        ("200", [], ValueError),
        ("OK 200", [], ValueError),
        (200, [], TypeError),
        ("200 OK", (("A", "b"),), TypeError),
        ("200 OK", [("A", 1)], TypeError),
        ("200 OK", [("Bad Name", "x")], ValueError),
        ("200 OK", [("X-A", "a\r\nInjected: 1")], ValueError),
        ("200 OK", [("X-A", "\u20ac")], ValueError),
        ("200 OK", [("Transfer-Encoding", "chunked")], ValueError),
        ("200 OK", [("Connection", "upgrade")], ValueError),
        ("200 OK", [("Content-Length", "ten")], ValueError),
    ],
)
def test_bad_status_and_headers_are_refused(status, headers, error):
    responder = WsgiResponder(Response(RecordingChannel()))
    with pytest.raises(error):
        responder.start_response(status, headers)


def test_connection_close_is_allowed():
    response = Response(RecordingChannel())
    WsgiResponder(response).start_response("200 OK", [("Connection", "close")])
    assert response.get_header("Connection") == "close"


def test_str_body_is_refused():
    def app(environ, start_response):
        start_response("200 OK", [])
        return ["text"]

    with pytest.raises(TypeError, match="must produce bytes"):
        serve(app)


def test_content_length_from_the_application():
    def app(environ, start_response):
        start_response("200 OK", [("Content-Length", "5")])
        return iter([b"12", b"345"])

    response, channel = serve(app)
    assert response.get_content_length() == 5
    assert b"".join(channel.sent) == b"12345"


# -- wsgiref.validate --------------------------------------------------------------


def test_bridge_satisfies_wsgiref_validator():
    def app(environ, start_response):
        stream = environ["wsgi.input"]
        first = stream.readline()
        rest = stream.read(int(environ["CONTENT_LENGTH"]) - len(first))
        environ["wsgi.errors"].write("")
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        write(b"w:")
        return iter([first, rest])

    with warnings.catch_warnings():
        warnings.simplefilter("error", WSGIWarning)
        request = FakeRequest(
            method="POST",
            body=b"line1\nline2",
            query="x=1",
            headers=[("Content-Type", "text/plain"), ("Content-Length", "11")],
        )
        response, channel = serve(validator(app), request=request)
    assert b"".join(channel.sent) == b"w:line1\nline2"


# -- loading -----------------------------------------------------------------------


class FakeLoader:
    def __init__(self, objects):
        self.objects = objects

    def load_class(self, dotted):
        try:
            return self.objects[dotted]
        except KeyError:
            raise ImportError(f"no {dotted}") from None


def test_load_application_through_the_loader():
    def app(environ, start_response):
        return []

    class Holder:
        inner = staticmethod(app)

    loader = FakeLoader({"site.app": app, "site.Holder": Holder})
    assert load_application("site:app", loader) is app
    assert load_application("site:Holder.inner", loader) is app


@pytest.mark.parametrize(
    "spec, error",
    [
        ("site.app", ValueError),
        ("site:", ValueError),
        (":app", ValueError),
        ("site:a..b", ValueError),
        ("site:nothing", ImportError),
        ("site:value", TypeError),
    ],
)
def test_load_application_errors(spec, error):
    with pytest.raises(error):
        load_application(spec, FakeLoader({"site.value": 42}))


def test_load_application_without_loader():
    assert load_application("wsgiref.simple_server:demo_app") is not None
    with pytest.raises(ImportError):
        load_application("wsgiref.simple_server:missing")
