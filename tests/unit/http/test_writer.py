"""Tests for the pure HTTP/1.1 response serialisation helpers."""

from __future__ import annotations

import email.utils
import locale

import h11
import pytest

from catalina_py.http import writer
from catalina_py.http.parser import (
    Data,
    EndOfMessage,
    RequestParser,
)
from catalina_py.http.writer import (
    CONTINUE_100,
    LAST_CHUNK,
    REASONS,
    build_error_response,
    build_response_head,
    encode_chunk,
    http_date,
)


def _h11_response(data: bytes, method: bytes = b"GET") -> list:
    """Parse ``data`` as the response to a ``method`` request with h11."""
    client = h11.Connection(h11.CLIENT)
    client.send(h11.Request(method=method, target="/", headers=[("Host", "x")]))
    client.send(h11.EndOfMessage())
    client.receive_data(data)
    events = []
    while True:
        ev = client.next_event()
        if ev is h11.NEED_DATA or ev is h11.PAUSED:
            break
        events.append(ev)
        if isinstance(ev, h11.EndOfMessage):
            break
    return events


# ------------------------------------------------------ build_response_head


def test_basic_head():
    head = build_response_head(200, [("Content-Type", "text/plain"), ("Content-Length", "5")])
    assert head == (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n" b"Content-Length: 5\r\n\r\n")
    (resp,) = [e for e in _h11_response(head + b"hello") if isinstance(e, h11.Response)]
    assert resp.status_code == 200 and resp.reason == b"OK"


def test_head_accepts_any_iterable_and_repeats():
    head = build_response_head(404, iter([("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")]))
    assert head == (b"HTTP/1.1 404 Not Found\r\nSet-Cookie: a=1\r\n" b"Set-Cookie: b=2\r\n\r\n")


def test_head_without_headers():
    assert build_response_head(204, []) == b"HTTP/1.1 204 No Content\r\n\r\n"


@pytest.mark.parametrize(
    "status,reason",
    [
        (200, "OK"),
        (206, "Partial Content"),
        (304, "Not Modified"),
        (400, "Bad Request"),
        (413, "Content Too Large"),
        (417, "Expectation Failed"),
        (431, "Request Header Fields Too Large"),
        (501, "Not Implemented"),
        (505, "HTTP Version Not Supported"),
    ],
)
def test_standard_reason_phrases(status, reason):
    assert REASONS[status] == reason
    assert build_response_head(status, []).startswith(f"HTTP/1.1 {status} {reason}\r\n".encode())


def test_reason_table_is_sane():
    for code, reason in REASONS.items():
        assert 100 <= code <= 599
        assert reason and reason.isprintable() and reason.isascii()


def test_custom_reason_unknown_status_and_http10():
    assert build_response_head(200, [], reason="Fine").startswith(b"HTTP/1.1 200 Fine\r\n")
    assert build_response_head(299, []).startswith(b"HTTP/1.1 299 \r\n")
    assert build_response_head(200, [], version="HTTP/1.0").startswith(b"HTTP/1.0 200 OK\r\n")
    assert build_response_head(200, [], reason="").startswith(b"HTTP/1.1 200 \r\n")


def test_latin1_values_are_encoded_as_latin1():
    head = build_response_head(200, [("X-Name", "caf\xe9")])
    assert b"X-Name: caf\xe9\r\n" in head


@pytest.mark.parametrize(
    "name",
    [
        "",
        "Bad Name",
        "Bad:Name",
        "Bad\r\nX-Injected",
        "N\u00e9",
        "(x)",
        "a/b",
        "a\tb",
        7,
    ],
)
def test_invalid_header_names_rejected(name):
    with pytest.raises(ValueError):
        build_response_head(200, [(name, "v")])


@pytest.mark.parametrize(
    "value",
    [
        "a\r\nX-Injected: 1",
        "a\nb",
        "a\rb",
        "a\x00b",
        "\r\n\r\nHTTP/1.1 200 OK",
        "\u20ac",
    ],
)
def test_invalid_header_values_rejected(value):
    with pytest.raises(ValueError):
        build_response_head(200, [("X-Value", value)])


@pytest.mark.parametrize("status", [99, 1000, -1, "200", 200.0, True])
def test_invalid_status_rejected(status):
    with pytest.raises(ValueError):
        build_response_head(status, [])


def test_invalid_reason_and_version_rejected():
    with pytest.raises(ValueError):
        build_response_head(200, [], reason="OK\r\nX: 1")
    with pytest.raises(ValueError):
        build_response_head(200, [], version="HTTP/2.0")


def test_tab_in_value_allowed():
    assert b"X: a\tb\r\n" in build_response_head(200, [("X", "a\tb")])


# ---------------------------------------------------------------- chunking


@pytest.mark.parametrize(
    "data,expected",
    [
        (b"", b""),
        (b"a", b"1\r\na\r\n"),
        (b"x" * 26, b"1a\r\n" + b"x" * 26 + b"\r\n"),
        (b"y" * 4096, b"1000\r\n" + b"y" * 4096 + b"\r\n"),
    ],
)
def test_encode_chunk(data, expected):
    assert encode_chunk(data) == expected


def test_constants():
    assert LAST_CHUNK == b"0\r\n\r\n"
    assert CONTINUE_100 == b"HTTP/1.1 100 Continue\r\n\r\n"


def test_chunks_round_trip_through_our_parser():
    pieces = [b"hello", b" ", b"x" * 300, b"", b"\r\n0\r\n"]
    body = b"".join(encode_chunk(p) for p in pieces) + LAST_CHUNK
    p = RequestParser()
    p.feed(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + body)
    p.next_event()
    got = b""
    while True:
        ev = p.next_event()
        if isinstance(ev, EndOfMessage):
            break
        assert isinstance(ev, Data)
        got += ev.data
    assert got == b"".join(pieces)


def test_chunked_response_parsed_by_h11():
    head = build_response_head(200, [("Transfer-Encoding", "chunked")])
    data = head + encode_chunk(b"abc") + encode_chunk(b"defg") + LAST_CHUNK
    events = _h11_response(data)
    body = b"".join(bytes(e.data) for e in events if isinstance(e, h11.Data))
    assert body == b"abcdefg"
    assert isinstance(events[-1], h11.EndOfMessage)


def test_continue_100_parsed_by_h11():
    events = _h11_response(CONTINUE_100 + build_response_head(200, [("Content-Length", "0")]))
    assert isinstance(events[0], h11.InformationalResponse)
    assert events[0].status_code == 100


# --------------------------------------------------------- error responses


def test_build_error_response_defaults():
    body = b"Bad Request: header too large"
    data = build_error_response(400, body)
    head, _, rest = data.partition(b"\r\n\r\n")
    assert rest == body
    lines = head.split(b"\r\n")
    assert lines[0] == b"HTTP/1.1 400 Bad Request"
    assert b"Content-Type: text/plain;charset=UTF-8" in lines
    assert f"Content-Length: {len(body)}".encode() in lines
    assert b"Connection: close" in lines
    assert not any(line.startswith(b"Date:") for line in lines)
    events = _h11_response(data)
    assert events[0].status_code == 400
    assert bytes(events[1].data) == body


def test_build_error_response_options():
    date = http_date(0)
    data = build_error_response(505, b"<p>x</p>", content_type="text/html", close=False, date=date)
    assert b"Date: Thu, 01 Jan 1970 00:00:00 GMT\r\n" in data
    assert b"Content-Type: text/html\r\n" in data
    assert b"Connection" not in data
    assert data.startswith(b"HTTP/1.1 505 HTTP Version Not Supported\r\n")


def test_build_error_response_headers_in_tomcats_order():
    data = build_error_response(
        400, b"<p>x</p>", content_type="text/html;charset=utf-8", date="D", content_language="en"
    )
    head = data.partition(b"\r\n\r\n")[0].split(b"\r\n")[1:]
    assert head == [
        b"Content-Type: text/html;charset=utf-8",
        b"Content-Language: en",
        b"Content-Length: 8",
        b"Date: D",
        b"Connection: close",
    ]
    assert b"Content-Language" not in build_error_response(400, content_language="en")


def test_build_error_response_without_body():
    data = build_error_response(501)
    assert data.endswith(b"Content-Length: 0\r\nConnection: close\r\n\r\n")
    assert b"Content-Type" not in data
    events = _h11_response(data)
    assert events[0].status_code == 501
    assert isinstance(events[-1], h11.EndOfMessage)


# ---------------------------------------------------------------- http_date


@pytest.mark.parametrize(
    "ts,expected",
    [
        (784111777, "Sun, 06 Nov 1994 08:49:37 GMT"),
        (784111777.999, "Sun, 06 Nov 1994 08:49:37 GMT"),
        (0, "Thu, 01 Jan 1970 00:00:00 GMT"),
        (951782400, "Tue, 29 Feb 2000 00:00:00 GMT"),
        (4102444799, "Thu, 31 Dec 2099 23:59:59 GMT"),
    ],
)
def test_http_date_known_values(ts, expected):
    assert http_date(ts) == expected


def test_http_date_matches_email_utils():
    for ts in range(1_600_000_000, 1_600_000_000 + 400 * 86400, 86400 + 37):
        assert http_date(ts) == email.utils.formatdate(ts, usegmt=True)


def test_http_date_cache_switches_seconds():
    a = http_date(1_700_000_000.1)
    b = http_date(1_700_000_000.9)
    c = http_date(1_700_000_001.0)
    d = http_date(1_700_000_000.5)
    assert a == b == d != c
    assert writer._date_cache[0] == 1_700_000_000


def test_http_date_is_locale_independent():
    old = locale.setlocale(locale.LC_TIME)
    try:
        for name in ("de_DE.UTF-8", "fr_FR.UTF-8"):
            try:
                locale.setlocale(locale.LC_TIME, name)
            except locale.Error:
                continue
            assert http_date(784111777) == "Sun, 06 Nov 1994 08:49:37 GMT"
    finally:
        locale.setlocale(locale.LC_TIME, old)


def test_trusted_fields_and_date_follow_the_responses_own():
    head = build_response_head(
        200, [("Content-Type", "text/plain")], trusted=(("Content-Length", "5"),), date="Sun, 06 Nov 1994 08:49:37 GMT"
    )
    assert head == (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n"
        b"Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n"
    )
