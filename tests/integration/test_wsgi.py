"""WSGI applications through WsgiServlet over real sockets (webapp
tests/integration/webapps/wsgi)."""

from __future__ import annotations

import socket

import pytest
import requests

from tests.server import TEST_WEBAPPS


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from tests.server import CatalinaProcess

    process = CatalinaProcess(tmp_path_factory.mktemp("wsgi_base"), webapps={"wsgi": TEST_WEBAPPS / "wsgi"})
    process.start()
    yield process
    process.stop()


def url(server, path: str) -> str:
    return f"{server.url}/wsgi{path}"


def test_hello_has_content_length(server):
    r = requests.get(url(server, "/hello"), timeout=5)
    assert (r.status_code, r.text) == (200, "Hello from WSGI\n")
    assert r.headers["Content-Length"] == "16"
    assert r.headers["Content-Type"] == "text/plain"
    assert r.headers["X-App"] == "hello"


def test_head_sends_no_body(server):
    r = requests.head(url(server, "/hello"), timeout=5)
    assert r.status_code == 200 and r.content == b""


def test_echo_post_body(server):
    body = bytes(range(256)) * 300
    r = requests.post(url(server, "/echo"), data=body, timeout=5, headers={"Content-Type": "application/x-test"})
    assert r.status_code == 200
    assert r.content == body
    assert r.headers["Content-Type"] == "application/x-test"


def test_echo_chunked_request_body(server):
    r = requests.post(url(server, "/echo"), data=iter([b"chunk1-", b"chunk2"]), timeout=5)
    assert r.content == b"chunk1-chunk2"


def test_streaming_generator_is_chunked_and_closed(server):
    r = requests.get(url(server, "/stream"), timeout=5)
    assert r.status_code == 200
    assert r.headers.get("Transfer-Encoding") == "chunked"
    assert r.text == "block 0\nblock 1\nblock 2\nblock 3\n"
    assert "stream" in requests.get(url(server, "/stream?closed"), timeout=5).json()


def test_streaming_blocks_arrive_as_produced(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(b"GET /wsgi/stream HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        first = sock.recv(65536)
        # The head and the first block come before the generator is done.
        while b"block 0" not in first:
            first += sock.recv(65536)
        assert b"block 3" not in first


def test_environ_prefix_mapping(server):
    r = requests.get(
        url(server, "/env/a%C3%A9b%20c?q=1&r=2"),
        timeout=5,
        headers={"X-Custom": "one", "X_Under_Score": "dropped"},
        cookies={"a": "1"},
    )
    env = r.json()
    assert env["SCRIPT_NAME"] == "/wsgi/env"
    assert env["PATH_INFO"] == "/a\u00c3\u00a9b c"  # UTF-8 bytes as latin-1 (PEP 3333)
    assert env["QUERY_STRING"] == "q=1&r=2"
    assert env["REQUEST_METHOD"] == "GET"
    assert env["SERVER_PORT"] == str(server.port)
    assert env["SERVER_PROTOCOL"] == "HTTP/1.1"
    assert env["HTTP_X_CUSTOM"] == "one"
    assert env["HTTP_X_UNDER_SCORE"] is None
    assert env["HTTP_COOKIE"] == "a=1"
    assert env["CONTENT_TYPE"] is None and env["CONTENT_LENGTH"] is None
    assert env["wsgi.url_scheme"] == "http"
    assert (env["wsgi.multithread"], env["wsgi.multiprocess"], env["wsgi.run_once"]) == (True, False, False)
    assert env["wsgi.version"] == [1, 0]


def test_environ_default_mapping(server):
    env = requests.get(url(server, "/some/where"), timeout=5).json()
    assert (env["SCRIPT_NAME"], env["PATH_INFO"]) == ("/wsgi", "/some/where")


def test_environ_post_content_headers(server):
    env = requests.post(url(server, "/env/x"), data=b"abc", timeout=5, headers={"Content-Type": "text/plain"}).json()
    assert (env["CONTENT_TYPE"], env["CONTENT_LENGTH"]) == ("text/plain", "3")


def test_wsgi_errors_goes_to_the_log(server):
    requests.get(url(server, "/env/log"), timeout=5)
    assert "environ dumped" in server.output()


@pytest.mark.parametrize(
    "path, data, expected",
    [
        ("/valid/x", None, b"valid /wsgi/valid /x"),
        ("/valid/lines", b"l1\nl2\nl3", b"first=l1\nrest=l2\n|l3"),
        ("/valid/readlines", b"l1\nl2\nl3", b"l1\n|l2\n|l3"),
        ("/valid/read", b"xyz", b"xyz"),
        ("/valid/stream", None, b"one two three"),
        ("/valid/write", None, b"written valid /wsgi/valid /write"),
    ],
)
def test_under_wsgiref_validator(server, path, data, expected):
    method = "POST" if data is not None else "GET"
    r = requests.request(method, url(server, path), data=data, timeout=5)
    assert r.status_code == 200, r.text
    assert r.content == expected


def test_validator_found_nothing(server):
    # The validator reports an iterator that was never closed from __del__,
    # which cannot fail the request: look for it in the output instead.
    out = server.output()
    assert "AssertionError" not in out and "WSGIWarning" not in out


def test_exc_info_replaces_status_before_body(server):
    r = requests.get(url(server, "/oops"), timeout=5)
    assert r.status_code == 503
    assert r.headers["Retry-After"] == "5"
    assert r.text == "try again later"


def test_unknown_application_is_500(server):
    r = requests.get(url(server, "/missing"), timeout=5)
    assert r.status_code == 500
    assert "cannot load the WSGI application 'wsgiapps:no_such_app'" in server.output()
