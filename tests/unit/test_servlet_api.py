"""The servlet API objects with a fake connection: no sockets."""

from __future__ import annotations

import pytest

from catalina_py.container.request import Request
from catalina_py.container.response import Response
from catalina_py.http.headers import Headers
from catalina_py.http.parser import RequestParser
from catalina_py.servlet import Cookie, HttpServlet
from catalina_py.servlet.cookies import format_set_cookie, parse_cookie_header
from catalina_py.servlet.exceptions import RequestTooLargeError
from catalina_py.servlet.params import parse_form


class FakeChannel:
    """Stands in for the Http11Processor: records what the response sends."""

    #: The request is not traced (no observer admitted it).
    traced = False

    uri_encoding = "utf-8"
    remote_addr, remote_port, local_addr, local_port, scheme = "10.0.0.1", 5555, "127.0.0.1", 8080, "http"
    secure, proxy_name, proxy_port = False, None, 0
    allowed_trailer_headers: frozenset[str] = frozenset()
    max_parameter_count = 10000

    def __init__(self, body: bytes = b"", max_post_size: int = 2 * 1024 * 1024) -> None:
        self.body = body
        self.max_post_size = max_post_size
        self.body_finished = False
        self.trailers = None
        self.commits: list[tuple[int, list[tuple[str, str]], bytes | None]] = []
        self.written: list[bytes] = []
        self.ended = False

    def read_body(self, size: int) -> bytes:
        data, self.body = self.body[:size], self.body[size:]
        if not data:
            self.body_finished = True
        return data

    def commit(self, status, headers, content_length, body):
        self.commits.append((status, list(headers), None if body is None else bytes(body)))

    def write_body(self, data):
        self.written.append(bytes(data))

    def end_body(self):
        self.ended = True


def make_request(raw: bytes, body: bytes = b"", **channel_args) -> Request:
    parser = RequestParser()
    parser.feed(raw)
    head = parser.next_event()
    path, _, query = head.target.partition("?")
    return Request(FakeChannel(body, **channel_args), head, path, path, query or None)


def test_parameters_merge_query_and_form_body():
    body = b"b=2&a=3&c=%E2%82%AC+x"
    request = make_request(
        b"POST /p?a=1 HTTP/1.1\r\nHost: h\r\nContent-Type: application/x-www-form-urlencoded; charset=UTF-8\r\n"
        b"Content-Length: %d\r\n\r\n" % len(body),
        body,
    )
    assert request.get_parameter_map() == {"a": ["1", "3"], "b": ["2"], "c": ["\u20ac x"]}
    assert request.get_parameter("a") == "1"
    assert request.get_parameter_values("a") == ["1", "3"]
    assert request.get_parameter("missing") is None
    assert request.get_parameter_values("missing") is None


def test_form_body_not_parsed_for_get_or_other_types():
    request = make_request(b"GET /p?x=1 HTTP/1.1\r\nHost: h\r\n\r\n", b"y=2")
    assert request.get_parameter_map() == {"x": ["1"]}
    request = make_request(
        b"POST /p HTTP/1.1\r\nHost: h\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\n", b"y=2"
    )
    assert request.get_parameter_map() == {}
    assert request.get_reader().read() == "y=2"


def test_form_over_max_post_size_raises_413():
    request = make_request(
        b"POST /p HTTP/1.1\r\nHost: h\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: 20\r\n\r\n",
        b"a=" + b"x" * 18,
        max_post_size=10,
    )
    with pytest.raises(RequestTooLargeError) as info:
        request.get_parameter("a")
    assert info.value.status == 413


def test_reader_and_stream_are_exclusive():
    request = make_request(b"POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\n", b"ab")
    request.get_input_stream()
    with pytest.raises(RuntimeError):
        request.get_reader()


def test_reader_decodes_with_charset_from_content_type():
    body = "caf\u00e9".encode("latin-1")
    request = make_request(
        b"POST /p HTTP/1.1\r\nHost: h\r\nContent-Type: text/plain; charset=ISO-8859-1\r\n" b"Content-Length: 4\r\n\r\n",
        body,
    )
    assert request.get_character_encoding() == "ISO-8859-1"
    assert request.get_reader().read() == "caf\u00e9"


@pytest.mark.parametrize(
    "host, name, port",
    [
        ("example.com", "example.com", 80),
        ("example.com:8443", "example.com", 8443),
        # As Tomcat: an IPv6 literal keeps its brackets.
        ("[::1]:9000", "[::1]", 9000),
        ("[::1]", "[::1]", 80),
    ],
)
def test_server_name_and_port_from_host(host, name, port):
    request = make_request(f"GET / HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    assert (request.get_server_name(), request.get_server_port()) == (name, port)


def test_headers_case_insensitive_and_multi():
    request = make_request(b"GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nx-a: 2\r\n\r\n")
    assert request.get_header("x-A") == "1"
    assert request.get_headers("X-A") == ["1", "2"]
    assert request.get_header_names() == ["Host", "X-A"]
    assert request.get_content_length() == -1


def test_cookie_parsing_skips_bad_pairs():
    # A name without "=" is a cookie with an empty value (Tomcat 10.1);
    # a value with a space is dropped; raw UTF-8 bytes are decoded.
    cookies = parse_cookie_header(['a=1; bare; b="two"; c=x y', "d=4; e=caf\xc3\xa9"])
    assert [(c.name, c.value) for c in cookies] == [
        ("a", "1"),
        ("bare", ""),
        ("b", "two"),
        ("d", "4"),
        ("e", "caf\u00e9"),
    ]


def test_set_cookie_format():
    cookie = Cookie("id", "abc")
    cookie.set_path("/app")
    cookie.set_secure(True)
    cookie.set_http_only(True)
    cookie.set_attribute("SameSite", "Lax")
    assert format_set_cookie(cookie, 0) == "id=abc; Path=/app; Secure; HttpOnly; SameSite=Lax"
    cookie.set_max_age(0)
    assert "Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:10 GMT" in format_set_cookie(cookie, 1e9)
    with pytest.raises(ValueError):
        Cookie("bad name", "x")


def test_parse_form_details():
    out: dict[str, list[str]] = {}
    parse_form("a=1&&b&=x&c=%41+%42", "utf-8", out)
    assert out == {"a": ["1"], "b": [""], "c": ["A B"]}


def test_small_response_sent_whole_with_writer_charset():
    channel = FakeChannel()
    response = Response(channel)
    response.set_content_type("text/html")
    response.get_writer().write("h\u00e9")
    response.finish_response()
    ((status, headers, body),) = channel.commits
    assert status == 200 and body == "h\u00e9".encode()
    assert ("Content-Type", "text/html;charset=UTF-8") in headers


def test_content_type_charset_parameter_sets_encoding():
    response = Response(FakeChannel())
    response.set_content_type("text/plain; charset=ISO-8859-1")
    assert response.get_character_encoding() == "ISO-8859-1"
    assert response.get_content_type() == "text/plain;charset=ISO-8859-1"


def test_outgrowing_the_buffer_commits_and_streams():
    channel = FakeChannel()
    response = Response(channel)
    out = response.get_output_stream()
    out.write(b"a" * 8000)
    assert not response.is_committed()
    out.write(b"b" * 1000)
    assert response.is_committed()
    assert channel.commits[0][2] is None  # streamed: head first, body after
    response.finish_response()
    assert b"".join(channel.written) == b"a" * 8000 + b"b" * 1000
    assert channel.ended


def test_headers_ignored_after_commit_and_send_error_after_commit_fails():
    channel = FakeChannel()
    response = Response(channel)
    response.flush_buffer()
    response.set_header("X-Late", "1")
    assert "X-Late" not in dict(channel.commits[0][1])
    with pytest.raises(RuntimeError):
        response.send_error(500)


def test_send_error_suspends_writes():
    response = Response(FakeChannel())
    response.get_writer().write("before")
    response.send_error(404, "gone")
    response.get_writer().write("after")
    assert response.get_status() == 404 and response.is_error() and response.get_message() == "gone"
    assert bytes(response._buffer) == b""


class OnlyGet(HttpServlet):
    def do_get(self, request, response):
        response.get_writer().write("ok")


@pytest.mark.parametrize(
    "method, status",
    [
        ("GET", 200),
        ("HEAD", 200),
        ("POST", 405),
        ("PUT", 405),
        ("DELETE", 405),
        ("OPTIONS", 200),
        ("TRACE", 405),
        ("PATCH", 501),
    ],
)
def test_http_servlet_dispatch(method, status):
    request = make_request(f"{method} / HTTP/1.1\r\nHost: h\r\n\r\n".encode())
    response = Response(request._channel, request)
    OnlyGet().service(request, response)
    assert response.get_status() == status
    if status == 405:
        assert response.get_header("Allow") == "GET, HEAD, OPTIONS"


def test_headers_class_roundtrip():
    headers = Headers([("A", "1"), ("b", "2")])
    headers.add("a", "3")
    assert headers.get_all("a") == ["1", "3"]
    headers.set("A", "x")
    assert headers.get_all("a") == ["x"]
    assert headers.has_token("b", "2")
