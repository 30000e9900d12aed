"""The Connector over raw sockets: pipelining, keep-alive, 100-continue,
malformed input, limits and timeouts. Each malformed request must get its
status and a closed connection, and the server must go on serving."""

from __future__ import annotations

import socket
import time

import pytest

from tests.server import raw_request


def parse_responses(data: bytes) -> list[tuple[int, dict[str, str], bytes]]:
    """Split a byte stream into (status, headers, body) using Content-Length
    or chunked framing (enough for these tests)."""
    out = []
    while data:
        head, sep, rest = data.partition(b"\r\n\r\n")
        assert sep, f"incomplete response head: {data[:200]!r}"
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            n = int(headers["content-length"])
            body, data = rest[:n], rest[n:]
        elif headers.get("transfer-encoding") == "chunked":
            body = b""
            while True:
                size_line, _, rest = rest.partition(b"\r\n")
                size = int(size_line, 16)
                if size == 0:
                    _, _, rest = rest.partition(b"\r\n")
                    break
                body += rest[:size]
                rest = rest[size + 2 :]
            data = rest
        else:
            body, data = rest, b""
        out.append((status, headers, body))
    return out


def get(path: str, extra: str = "") -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: localhost\r\n{extra}\r\n".encode()


def test_pipelined_requests_answered_in_order(catalina):
    data = (
        get("/testapp/info/one")
        + get("/testapp/behave/big?n=20000")
        + get("/testapp/info/three")
        + get("/testapp/exact", "Connection: close\r\n")
    )
    responses = parse_responses(raw_request(catalina.port, data))
    assert [r[0] for r in responses] == [200, 200, 200, 200]
    assert b'"/one"' in responses[0][2]
    assert responses[1][2] == b"x" * 20000
    assert b'"/three"' in responses[2][2]
    assert responses[3][1]["connection"] == "close"


def test_pipelined_post_bodies(catalina):
    body1, body2 = b"a" * 3000, b"b" * 10
    data = (
        f"POST /testapp/echo HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body1)}\r\n\r\n".encode()
        + body1
        + b"POST /testapp/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        + b"5;ext=1\r\nbbbbb\r\n5\r\nbbbbb\r\n0\r\nX-Sum: 10\r\n\r\n"
        + get("/testapp/exact", "Connection: close\r\n")
    )
    responses = parse_responses(raw_request(catalina.port, data))
    assert responses[0][2] == body1
    assert responses[1][2] == body2
    # Trailer fields are read but not exposed: the Connector's
    # allowedTrailerHeaders is empty by default, as Tomcat's.
    assert "x-trailers" not in responses[1][1]
    assert responses[2][0] == 200


def test_unread_body_is_swallowed_for_keep_alive(catalina):
    data = (
        b"POST /testapp/exact HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n"
        + b"z" * 5000
        + get("/testapp/info/after", "Connection: close\r\n")
    )
    responses = parse_responses(raw_request(catalina.port, data))
    assert [r[0] for r in responses] == [200, 200]
    assert b'"/after"' in responses[1][2]


def test_http10_closes_by_default_and_keeps_alive_on_request(catalina):
    raw = raw_request(catalina.port, b"GET /testapp/exact HTTP/1.0\r\n\r\n")
    ((status, headers, _),) = parse_responses(raw)
    assert status == 200 and headers["connection"] == "close"
    data = b"GET /testapp/exact HTTP/1.0\r\nConnection: keep-alive\r\n\r\n" b"GET /testapp/exact HTTP/1.0\r\n\r\n"
    responses = parse_responses(raw_request(catalina.port, data))
    assert len(responses) == 2
    assert responses[0][1]["connection"] == "keep-alive"


def test_http10_streamed_response_is_close_delimited(catalina):
    raw = raw_request(catalina.port, b"GET /testapp/behave/stream HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    head, _, body = raw.partition(b"\r\n\r\n")
    assert b"Transfer-Encoding" not in head
    assert b"Connection: close" in head
    assert body == b"part 0\npart 1\npart 2\n"


def test_expect_100_continue(catalina):
    with socket.create_connection(("127.0.0.1", catalina.port), timeout=5) as sock:
        sock.sendall(b"POST /testapp/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n" b"Expect: 100-continue\r\n\r\n")
        interim = sock.recv(1024)
        assert interim.startswith(b"HTTP/1.1 100 ")
        assert interim.endswith(b"\r\n\r\n")
        sock.sendall(b"ping")
        final = sock.recv(65536)
        assert final.startswith(b"HTTP/1.1 200 ")
        assert final.endswith(b"ping")


def test_expect_100_not_sent_when_body_unread(catalina):
    with socket.create_connection(("127.0.0.1", catalina.port), timeout=5) as sock:
        sock.sendall(
            b"POST /testapp/exact HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n" b"Expect: 100-continue\r\n\r\n"
        )
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    assert data.startswith(b"HTTP/1.1 200 ")
    assert b"100 Continue" not in data
    assert b"Connection: close" in data


MALFORMED = [
    (b"GET /x HTTP/1.1\r\n\r\n", 400),  # no Host on 1.1
    (b"GET /x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),  # two Hosts
    (b"GARBAGE\r\n\r\n", 400),  # request line
    (b"GET /x HTTP/1.1\r\nHost: a\r\nBad Header: v\r\n\r\n", 400),  # space in name
    (b"GET /x HTTP/1.1\r\nHost: a\r\nName : v\r\n\r\n", 400),  # space before colon
    (b"GET /x HTTP/1.1\r\nHost: a\r\nX: a\r\n folded\r\n\r\n", 400),  # obs-fold
    (b"GET /x HTTP/2.0\r\nHost: a\r\n\r\n", 505),
    (b"GET /x HTTP/1.2\r\nHost: a\r\n\r\n", 505),
    (b"GET /x HTTP/1\r\nHost: a\r\n\r\n", 505),
    (b"GET /x HTTP/1.1.1\r\nHost: a\r\n\r\n", 505),
    (b"GET /x HTTP/11\r\nHost: a\r\n\r\n", 505),
    (b"GET /x HTTP/1:1\r\nHost: a\r\n\r\n", 400),
    (b"GET /x HTTP/1.1\r\nHost: a\r\nExpect: foo\r\n\r\n", 417),
    (b"POST /x HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    (b"POST /x HTTP/1.0\r\nTransfer-Encoding: gzip\r\n\r\n", 400),
    (b"POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\nContent-Length: 1\r\n\r\nx", 501),
    (b"GET / HTTP/1.1\rHost: x\r\r", 400),
    (b"GET /x HTTX/1.1\r\nHost: a\r\n\r\n", 400),
    (b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx", 400),
    (b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400),
    (b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 1x\r\n\r\n", 400),
    (b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    (b"POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
    (b"GET /a/../../etc/passwd HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    (b"GET /a/%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    (b"GET /a%2fb HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    (b"GET /a%00b HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    (b"GET /a%zzb HTTP/1.1\r\nHost: a\r\n\r\n", 400),
]


@pytest.mark.parametrize("data, status", MALFORMED, ids=[repr(m[0][:40]) for m in MALFORMED])
def test_malformed_request_gets_status_and_close(catalina, data, status):
    raw = raw_request(catalina.port, data)  # (read until the server closes)
    assert raw.startswith(f"HTTP/1.1 {status} ".encode()), raw[:200]
    # As Tomcat: Connection: close on its statusDropsConnection statuses;
    # after a 417 or 505 it closes without saying so.
    said = b"\r\nConnection: close\r\n" in raw.partition(b"\r\n\r\n")[0] + b"\r\n"
    assert said is (status not in (417, 505))
    assert b"Traceback" not in raw


def test_extra_spaces_in_request_line_are_tolerated_as_tomcat_does(catalina):
    raw = raw_request(catalina.port, b"GET  /testapp/exact  HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    assert raw.startswith(b"HTTP/1.1 200 "), raw[:200]


def test_bad_chunk_size_gets_400(catalina):
    raw = raw_request(
        catalina.port,
        b"POST /testapp/echo HTTP/1.1\r\nHost: a\r\n" b"Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
    )
    assert raw.startswith(b"HTTP/1.1 400 "), raw[:200]
    assert b"Connection: close" in raw


def test_header_too_large_gets_400(catalina):
    raw = raw_request(catalina.port, b"GET /x HTTP/1.1\r\nHost: a\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n")
    assert raw.startswith(b"HTTP/1.1 400 "), raw[:200]


def test_server_survives_malformed_input(catalina):
    for data, _ in MALFORMED:
        raw_request(catalina.port, data)
    raw = raw_request(catalina.port, get("/testapp/exact", "Connection: close\r\n"))
    assert raw.startswith(b"HTTP/1.1 200 ")


def test_absolute_form_target(catalina):
    raw = raw_request(
        catalina.port,
        b"GET http://localhost/testapp/info/abs?q=1 HTTP/1.1\r\n" b"Host: localhost\r\nConnection: close\r\n\r\n",
    )
    ((status, _, body),) = parse_responses(raw)
    assert status == 200
    assert b'"path_info": "/abs"' in body and b'"query_string": "q=1"' in body


def test_a_servlet_exception_closes_the_connection_as_tomcat(catalina):
    # 500 is in Tomcat's statusDropsConnection: Connection: close, then close.
    data = get("/testapp/behave/raise") + get("/testapp/info/next", "Connection: close\r\n")
    responses = parse_responses(raw_request(catalina.port, data))
    assert [r[0] for r in responses] == [500]
    assert responses[0][1]["connection"] == "close"
    raw = raw_request(catalina.port, get("/testapp/info/next", "Connection: close\r\n"))
    assert raw.startswith(b"HTTP/1.1 200 ")


@pytest.mark.parametrize(
    "path, status, kept",
    [
        ("/testapp/behave/send_error?code=404", 404, True),
        ("/testapp/behave/send_error?code=405", 405, True),
        ("/testapp/behave/send_error?code=417", 417, True),
        ("/testapp/behave/send_error?code=505", 505, True),
        ("/testapp/behave/status?code=401", 401, True),
        ("/testapp/behave/send_error?code=503", 503, False),
        ("/testapp/behave/status?code=500", 500, False),
        ("/testapp/behave/send_error?code=408", 408, False),
        ("/testapp/behave/status?code=413", 413, False),
        ("/no-such-app/x", 404, True),
    ],
)
def test_error_statuses_keep_or_drop_the_connection_as_tomcat(catalina, path, status, kept):
    # What Tomcat 10.1.60 does on the wire (docs/http11.md): only its
    # statusDropsConnection list closes, and only then is Connection: close sent.
    data = get(path) + get("/testapp/info/next", "Connection: close\r\n")
    responses = parse_responses(raw_request(catalina.port, data))
    assert responses[0][0] == status
    assert ("connection" in responses[0][1]) is not kept
    assert len(responses) == (2 if kept else 1)


def test_connect_is_not_implemented(catalina):
    raw = raw_request(catalina.port, b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n")
    assert raw.startswith(b"HTTP/1.1 501 "), raw[:200]
    assert b"Connection: close" in raw


def test_options_asterisk(catalina):
    raw = raw_request(catalina.port, b"OPTIONS * HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    ((status, headers, _),) = parse_responses(raw)
    assert status == 200 and "GET" in headers["allow"]


def test_asterisk_target_is_400_for_other_methods(catalina):
    raw = raw_request(catalina.port, b"GET * HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    ((status, _, _),) = parse_responses(raw)
    assert status == 400


def test_web_inf_and_meta_inf_are_never_served(catalina):
    for path in [
        "/testapp/WEB-INF/web.xml",
        "/testapp/WEB-INF/secret/data.txt",
        "/testapp/web-inf/web.xml",
        "/testapp/META-INF/MANIFEST.MF",
        "/testapp/static/../WEB-INF/web.xml",
        "/testapp/%57EB-INF/web.xml",
        "/testapp/WEB-INF;x=1/web.xml",
        "/testapp//WEB-INF/web.xml",
    ]:
        raw = raw_request(catalina.port, get(path, "Connection: close\r\n"))
        assert raw.startswith(b"HTTP/1.1 404 ") or raw.startswith(b"HTTP/1.1 400 "), (path, raw[:100])
        assert b"<servlet>" not in raw and b"secret" not in raw.partition(b"\r\n\r\n")[2]


def test_form_over_max_post_size_is_413(make_server):
    server = make_server(connector_attrs='maxPostSize="100"').start()
    body = b"a=" + b"x" * 200
    raw = raw_request(
        server.port,
        b"POST /testapp/behave/form HTTP/1.1\r\nHost: a\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n" + f"Content-Length: {len(body)}\r\n\r\n".encode() + body,
    )
    assert raw.startswith(b"HTTP/1.1 413 "), raw[:200]


def test_max_keep_alive_requests(make_server):
    server = make_server(connector_attrs='maxKeepAliveRequests="2"').start()
    responses = parse_responses(raw_request(server.port, get("/testapp/exact") * 3))
    assert len(responses) == 2
    assert "connection" not in responses[0][1]
    assert responses[1][1]["connection"] == "close"


def test_keep_alive_timeout_closes_idle_connection(make_server):
    server = make_server(connector_attrs='keepAliveTimeout="300" connectionTimeout="5000"').start()
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(get("/testapp/exact"))
        first = sock.recv(65536)
        assert first.startswith(b"HTTP/1.1 200 ")
        started = time.monotonic()
        assert sock.recv(1024) == b""  # closed by the server
        assert time.monotonic() - started < 3


def test_connection_timeout_against_slow_client(make_server):
    server = make_server(connector_attrs='connectionTimeout="400"').start()
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(b"GET /testapp/exact HTTP/1.1\r\nHost:")  # and then nothing
        started = time.monotonic()
        data = sock.recv(1024)
        assert time.monotonic() - started < 3
    assert data == b"" or data.startswith(b"HTTP/1.1 4")
    assert raw_request(server.port, get("/testapp/exact", "Connection: close\r\n")).startswith(b"HTTP/1.1 200")


def test_max_connections_queues_extra_clients(make_server):
    server = make_server(connector_attrs='maxConnections="2" keepAliveTimeout="2000"').start()
    held = [socket.create_connection(("127.0.0.1", server.port), timeout=5) for _ in range(2)]
    try:
        for sock in held:
            sock.sendall(get("/testapp/exact"))
            assert sock.recv(65536).startswith(b"HTTP/1.1 200")
        extra = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        extra.sendall(get("/testapp/exact", "Connection: close\r\n"))
        extra.settimeout(0.5)
        with pytest.raises(socket.timeout):
            extra.recv(1024)  # not accepted while both slots are held
        held[0].close()
        extra.settimeout(5)
        assert extra.recv(65536).startswith(b"HTTP/1.1 200")
        extra.close()
    finally:
        for sock in held:
            sock.close()


def test_keep_alive_header_as_tomcat(make_server):
    # useKeepAliveResponseHeader: a request naming keep-alive gets
    # Keep-Alive: timeout=<keepAliveTimeout s> (and Connection: keep-alive).
    server = make_server(connector_attrs='connectionTimeout="20000"').start()
    data = (
        b"GET /testapp/exact HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
        + b"GET /testapp/exact HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\n\r\n"
        + get("/testapp/exact")
        + get("/testapp/exact", "Connection: close\r\n")
    )
    responses = parse_responses(raw_request(server.port, data))
    assert [r[1].get("keep-alive") for r in responses] == ["timeout=20", "timeout=20", None, None]
    assert [r[1].get("connection") for r in responses] == ["keep-alive", "keep-alive", None, "close"]


def test_expect_100_sent_at_the_first_read_even_with_the_body_there(catalina):
    # The client did not wait: Tomcat still sends the 100 before the answer.
    data = (
        b"POST /testapp/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n"
        b"Connection: close\r\n\r\nping"
    )
    raw = raw_request(catalina.port, data)
    assert raw.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 "), raw[:100]
    assert raw.endswith(b"ping")


def test_unread_body_over_max_swallow_size_says_connection_close(make_server):
    server = make_server(connector_attrs='maxSwallowSize="1000"').start()
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(b"POST /testapp/exact HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\n\r\n" + b"z" * 100)
        head = sock.recv(65536).partition(b"\r\n\r\n")[0]
    assert head.startswith(b"HTTP/1.1 200 ")
    assert b"\r\nConnection: close" in head
