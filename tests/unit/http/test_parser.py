"""Tests for the sans-I/O HTTP/1.1 request parser (no sockets).

Expected statuses follow Tomcat 10.1 except where docs/http11.md says
catalina_py is deliberately stricter.
"""

from __future__ import annotations

import random

import h11
import pytest

from catalina_py.http.errors import HttpParseError
from catalina_py.http.headers import Headers
from catalina_py.http.parser import (
    CLOSED,
    NEED_DATA,
    Data,
    EndOfMessage,
    RequestHead,
    RequestParser,
)

# --------------------------------------------------------------- helpers


def drive(chunks, eof: bool = False, **limits) -> list:
    """Feed ``chunks`` one by one, draining events after each feed.

    Starts the next request after every EndOfMessage. Consecutive Data
    events are merged, so the result does not depend on how the input was
    split. A parse error ends the list as ``("error", status)``; with
    ``eof`` the final NEED_DATA/CLOSED sentinel is recorded.
    """
    parser = RequestParser(**limits)
    out: list = []

    def drain():
        while True:
            ev = parser.next_event()
            if ev is NEED_DATA or ev is CLOSED:
                return ev
            if isinstance(ev, Data):
                assert ev.data, "empty Data event"
                if out and isinstance(out[-1], Data):
                    out[-1] = Data(out[-1].data + ev.data)
                    continue
            out.append(ev)
            if isinstance(ev, EndOfMessage):
                parser.start_next_request()

    try:
        for chunk in chunks:
            parser.feed(chunk)
            drain()
        if eof:
            parser.feed(b"")
            out.append(drain())
    except HttpParseError as exc:
        out.append(("error", exc.status))
    return out


def whole(data: bytes, eof: bool = False, **limits) -> list:
    return drive([data], eof=eof, **limits)


def bytewise(data: bytes, eof: bool = False, **limits) -> list:
    return drive([data[i : i + 1] for i in range(len(data))], eof=eof, **limits)


def status_of(data: bytes, eof: bool = False, **limits) -> int | None:
    """The error status for ``data`` fed whole (None if it parses)."""
    events = whole(data, eof=eof, **limits)
    if events and isinstance(events[-1], tuple):
        return events[-1][1]
    return None


def head_of(data: bytes, **limits) -> RequestHead:
    events = whole(data, **limits)
    assert events and isinstance(events[0], RequestHead), events
    return events[0]


def req(head: str, body: bytes = b"") -> bytes:
    """Build a request from a head written with \\n line ends."""
    return head.replace("\n", "\r\n").encode("latin-1") + b"\r\n" + body


# ----------------------------------------------------------- good requests


def test_simple_get():
    p = RequestParser()
    p.feed(
        b"GET /index.html?x=1&y=%20 HTTP/1.1\r\nHost: example.com\r\n"
        b"Accept: */*\r\nX-Multi: a\r\nx-multi:  b \t\r\n\r\n"
    )
    ev = p.next_event()
    assert isinstance(ev, RequestHead)
    assert ev.method == "GET"
    assert ev.target == "/index.html?x=1&y=%20"
    assert ev.version == "HTTP/1.1"
    assert ev.body == "none"
    assert ev.content_length is None
    assert ev.keep_alive is True
    assert ev.expect_continue is False
    assert ev.headers.get("host") == "example.com"
    assert ev.headers.get_all("X-MULTI") == ["a", "b"]
    assert ev.headers.names() == ["Host", "Accept", "X-Multi"]
    eom = p.next_event()
    assert isinstance(eom, EndOfMessage)
    assert len(eom.trailers) == 0
    assert p.next_event() is NEED_DATA
    assert p.next_event() is NEED_DATA
    assert not p.has_buffered_data


def test_post_with_content_length_hands_out_pieces():
    p = RequestParser()
    p.feed(b"POST /form HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n" b"abc")
    head = p.next_event()
    assert head.body == "length" and head.content_length == 10
    assert p.next_event() == Data(b"abc")
    assert p.next_event() is NEED_DATA
    p.feed(b"defg")
    assert p.next_event() == Data(b"defg")
    p.feed(b"hijGET / HTTP/1.1\r\n")  # body end + start of pipelined
    assert p.next_event() == Data(b"hij")
    assert isinstance(p.next_event(), EndOfMessage)
    assert p.has_buffered_data
    assert p.leftover == b"GET / HTTP/1.1\r\n"


def test_content_length_zero():
    events = whole(req("POST / HTTP/1.1\nHost: a\nContent-Length: 0\n"))
    assert events[0].body == "length" and events[0].content_length == 0
    assert isinstance(events[1], EndOfMessage)
    assert len(events) == 2


def test_chunked_with_extensions_and_trailers():
    data = req(
        "POST /up HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\n",
        b"5;name=value\r\nhello\r\n"
        b'1;a;b="q v" ; c = d\r\n \r\n'
        b"A\r\n0123456789\r\n"
        b"0;last\r\nX-Checksum: abc\r\nX-Other:  1 \r\n\r\n",
    )
    events = whole(data)
    head, body, eom = events
    assert head.body == "chunked" and head.content_length is None
    assert body == Data(b"hello 0123456789")
    assert eom.trailers.items() == [("X-Checksum", "abc"), ("X-Other", "1")]


def test_chunked_data_is_not_accumulated():
    p = RequestParser()
    p.feed(req("POST / HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\n", b"10\r\n0123"))
    assert p.next_event().body == "chunked"
    assert p.next_event() == Data(b"0123")
    assert p.next_event() is NEED_DATA
    p.feed(b"456789abcdef\r\n0\r\n\r\n")
    assert p.next_event() == Data(b"456789abcdef")
    assert isinstance(p.next_event(), EndOfMessage)


def test_uppercase_hex_and_chunked_case_insensitive():
    data = req("POST / HTTP/1.1\nHost: a\nTransfer-Encoding: ChUnKeD\n", b"1A\r\n" + b"x" * 26 + b"\r\n0\r\n\r\n")
    assert whole(data)[1] == Data(b"x" * 26)


def test_http10_request():
    head = head_of(req("GET / HTTP/1.0\n"))
    assert head.version == "HTTP/1.0"
    assert head.keep_alive is False
    assert "host" not in head.headers


@pytest.mark.parametrize(
    "version,connection,expected",
    [
        ("HTTP/1.1", None, True),
        ("HTTP/1.1", "close", False),
        ("HTTP/1.1", "Close", False),
        ("HTTP/1.1", "keep-alive", True),
        ("HTTP/1.1", "Upgrade, close", False),
        ("HTTP/1.1", "close, keep-alive", False),
        ("HTTP/1.1", "upgrade", True),
        ("HTTP/1.0", None, False),
        ("HTTP/1.0", "keep-alive", True),
        ("HTTP/1.0", "Keep-Alive", True),
        ("HTTP/1.0", "foo, keep-alive", True),
        ("HTTP/1.0", "close", False),
    ],
)
def test_keep_alive(version, connection, expected):
    head = f"GET / {version}\nHost: a\n"
    if connection is not None:
        head += f"Connection: {connection}\n"
    assert head_of(req(head)).keep_alive is expected


@pytest.mark.parametrize("coding", ["chunked", "gzip", "identity", "chunked, gzip", ""])
@pytest.mark.parametrize("version", ["HTTP/1.0", "HTTP/2.0", "HTTP/1"])
def test_transfer_encoding_outside_http11_is_400_as_tomcat(version, coding):
    # Tomcat 10.1.60: any Transfer-Encoding field on a request that is not
    # HTTP/1.1 is a 400, even an unknown coding (501 on HTTP/1.1).
    data = req(f"POST / {version}\nConnection: keep-alive\nTransfer-Encoding: {coding}\n", b"1\r\nx\r\n0\r\n\r\n")
    assert status_of(data) == 400


@pytest.mark.parametrize(
    "version,expect,expected",
    [
        ("HTTP/1.1", "100-continue", True),
        ("HTTP/1.1", "100-Continue", True),
        ("HTTP/1.1", None, False),
        ("HTTP/1.0", "100-continue", False),
        ("HTTP/1.0", "something-else", False),
    ],
)
def test_expect_continue(version, expect, expected):
    head = f"POST / {version}\nHost: a\nContent-Length: 1\n"
    if expect is not None:
        head += f"Expect: {expect}\n"
    assert head_of(req(head, b"x")).expect_continue is expected


def test_unsupported_expectation_is_417():
    assert status_of(req("POST / HTTP/1.1\nHost: a\nExpect: 200-ok\n" "Content-Length: 1\n", b"x")) == 417


@pytest.mark.parametrize(
    "target,host",
    [
        ("http://example.com/p?q=1", "example.com"),
        ("HTTP://Example.COM:8080/p", "example.com:8080"),
        ("https://example.com", "example.com"),
        ("http://example.com?q", "example.com"),
        ("http://user:pw@example.com/x", "example.com"),
        ("http://[::1]:8080/x", "[::1]:8080"),
        ("http://10.0.0.1/", "10.0.0.1"),
    ],
)
def test_absolute_form_accepted(target, host):
    head = head_of(req(f"GET {target} HTTP/1.1\nHost: {host}\n"))
    assert head.target == target


@pytest.mark.parametrize(
    "target,host",
    [
        ("http://example.com/p", "other.com"),
        ("http://example.com:80/p", "example.com"),  # Tomcat compares exactly
        ("http://example.com/p", ""),
        ("ftp://example.com/p", "example.com"),
        ("httpx://example.com/p", "example.com"),
        ("http:/example.com/p", "example.com"),
        ("http:///p", ""),
        ("http://exa_mple.com/p", "exa_mple.com"),
        ("http://us er@example.com/", "example.com"),
        ("http://u[x]@example.com/", "example.com"),
        ("http://example.com/a[b]", "example.com"),
    ],
)
def test_absolute_form_rejected(target, host):
    assert status_of(req(f"GET {target} HTTP/1.1\nHost: {host}\n")) == 400


def test_absolute_form_http10_without_host():
    head = head_of(req("GET http://example.com/x HTTP/1.0\n"))
    assert head.target == "http://example.com/x"


def test_absolute_form_http10_bad_authority():
    assert status_of(req("GET http://bad_host/x HTTP/1.0\n")) == 400


@pytest.mark.parametrize(
    "line,status",
    [
        ("OPTIONS * HTTP/1.1", None),
        ("GET * HTTP/1.1", 400),
        ("CONNECT example.com:443 HTTP/1.1", None),
        ("CONNECT [::1]:443 HTTP/1.1", None),
        # CONNECT: whatever its target, left to the container (501, as Tomcat).
        ("CONNECT example.com HTTP/1.1", None),
        ("CONNECT /path HTTP/1.1", None),
        ("CONNECT http://example.com/ HTTP/1.1", None),
        ("GET example.com:443 HTTP/1.1", 400),
        ("GET path HTTP/1.1", 400),
    ],
)
def test_asterisk_and_authority_forms(line, status):
    assert status_of(req(f"{line}\nHost: example.com\n")) == status


def test_pipelined_requests():
    data = (
        req("GET /1 HTTP/1.1\nHost: a\n")
        + req("POST /2 HTTP/1.1\nHost: a\nContent-Length: 3\n", b"abc")
        + req("POST /3 HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\n", b"2\r\nxy\r\n0\r\n\r\n")
        + req("GET /4 HTTP/1.0\n")
    )
    events = whole(data, eof=True)
    kinds = [type(e).__name__ if e is not CLOSED else "CLOSED" for e in events]
    assert kinds == [
        "RequestHead",
        "EndOfMessage",
        "RequestHead",
        "Data",
        "EndOfMessage",
        "RequestHead",
        "Data",
        "EndOfMessage",
        "RequestHead",
        "EndOfMessage",
        "CLOSED",
    ]
    assert [e.target for e in events if isinstance(e, RequestHead)] == ["/1", "/2", "/3", "/4"]


def test_pipelined_bytes_wait_for_start_next_request():
    p = RequestParser()
    p.feed(req("GET /1 HTTP/1.1\nHost: a\n") + req("GET /2 HTTP/1.1\n" "Host: a\n"))
    assert p.next_event().target == "/1"
    assert isinstance(p.next_event(), EndOfMessage)
    for _ in range(3):
        assert p.next_event() is NEED_DATA
    assert p.has_buffered_data
    p.start_next_request()
    assert p.next_event().target == "/2"


def test_start_next_request_before_end_is_an_error():
    p = RequestParser()
    with pytest.raises(RuntimeError):
        p.start_next_request()
    p.feed(req("POST / HTTP/1.1\nHost: a\nContent-Length: 5\n", b"ab"))
    p.next_event()
    with pytest.raises(RuntimeError):
        p.start_next_request()


def test_leftover_after_head_for_upgrade():
    p = RequestParser()
    frame = b"\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58"
    p.feed(req("GET /ws HTTP/1.1\nHost: a\nConnection: Upgrade\n" "Upgrade: websocket\n") + frame)
    head = p.next_event()
    assert head.headers.has_token("connection", "upgrade")
    assert p.leftover == frame
    assert isinstance(p.next_event(), EndOfMessage)
    assert p.leftover == frame
    p.feed(b"more")
    assert p.leftover == frame + b"more"
    assert p.has_buffered_data


def test_leftover_empty_and_eof_property():
    p = RequestParser()
    assert p.leftover == b"" and not p.has_buffered_data and not p.eof
    p.feed(b"")
    assert p.eof
    with pytest.raises(RuntimeError):
        p.feed(b"x")


@pytest.mark.parametrize("prefix", [b"\r\n", b"\n", b"\r\n\r\n\n", b"\r\r\n"])
def test_leading_blank_lines_are_skipped(prefix):
    events = whole(prefix + req("GET / HTTP/1.1\nHost: a\n"))
    assert events[0].target == "/"


def test_leading_blank_lines_count_towards_limit():
    data = req("GET / HTTP/1.1\nHost: a\n")
    assert status_of(b"\r\n" * 10 + data, max_header_size=len(data) + 20) is None
    assert status_of(b"\r\n" * 10 + data + b"\r\n", max_header_size=len(data) + 19) == 400
    assert status_of(b"\r\n" * 100, max_header_size=100) == 400
    # Endless blank lines fed in small pieces are not skipped forever.
    assert bytewise(b"\r\n" * 50, max_header_size=100) == [("error", 400)]
    assert bytewise(b"\r\n" * 49 + b"\r", max_header_size=100) == []


def test_blank_lines_then_eof_is_closed():
    assert whole(b"\r\n\r\n", eof=True) == [CLOSED]


def test_bare_lf_line_endings_accepted_in_head():
    data = b"GET / HTTP/1.1\nHost: a\nX: 1\r\nY: 2\n\n"
    head = head_of(data)
    assert head.headers.items() == [("Host", "a"), ("X", "1"), ("Y", "2")]
    assert head_of(b"GET / HTTP/1.1\nHost: a\r\n\n").headers.get("host") == "a"
    assert head_of(b"GET / HTTP/1.1\r\nHost: a\n\r\n").headers.get("host") == "a"


def test_multiple_spaces_in_request_line_tolerated_like_tomcat():
    head = head_of(req("GET  /a \t HTTP/1.1\nHost: a\n"))
    assert (head.method, head.target, head.version) == ("GET", "/a", "HTTP/1.1")


def test_header_values_keep_obs_text_and_tabs():
    head = head_of(b"GET / HTTP/1.1\r\nHost: a\r\nX: caf\xe9\tau lait\r\n" b"Empty:\r\nSpaces:    \r\n\r\n")
    assert head.headers.get("x") == "caf\xe9\tau lait"
    assert head.headers.get("empty") == ""
    assert head.headers.get("spaces") == ""


def test_empty_host_is_allowed_like_tomcat():
    assert head_of(req("GET / HTTP/1.1\nHost:\n")).headers.get("host") == ""


@pytest.mark.parametrize(
    "host",
    [
        "example.com",
        "example.com.",
        "a-b.c",
        "1.2.3.4",
        "localhost:8080",
        "[::1]",
        "[2001:db8::1]:443",
        "[::ffff:1.2.3.4]",
        "EXAMPLE.com:",
        "999.1.1.1",
    ],
)
def test_valid_hosts(host):
    assert status_of(req(f"GET / HTTP/1.1\nHost: {host}\n")) is None


@pytest.mark.parametrize(
    "host",
    [
        "exa_mple.com",
        "-a.com",
        "a-.com",
        "a..b",
        ".a",
        "a b",
        "a:x",
        "a:99999999999",
        "[::1",
        "[zz::1]",
        "[::1]x",
        "[1:2:3:4:5:6:7:8:9]",
        "[fe80::1%eth0]",
        "a@b",
        "a/b",
        "caf\xe9.com",
    ],
)
def test_invalid_hosts_are_400(host):
    assert status_of(req(f"GET / HTTP/1.1\nHost: {host}\n")) == 400


# --------------------------------------------------------- malformed input

MALFORMED = [
    # request line
    ("empty method", b" / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    ("leading space", b" GET / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    ("trailing space", b"GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400),
    ("four parts", b"GET / x HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    ("method only", b"GET\r\nHost: a\r\n\r\n", 400),
    ("http/0.9", b"GET /\r\n\r\n", 400),
    ("http/0.9 lf", b"GET /\n", 400),
    ("bad method char", b"G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    ("bad method slash", b"GE/T / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    ("non-ascii method", b"G\xc9T / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    ("cr in request line", b"GET /\r HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    ("crcr", b"GET / HTTP/1.1\r\r\nHost: a\r\n\r\n", 400),
    ("nul in target", b"GET /\x00 HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    ("del in target", b"GET /\x7f HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    ("8bit target", b"GET /caf\xe9 HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    ("8bit query", b"GET /?q=\xe9 HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    ("fragment", b"GET /#frag HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    ("bracket in path", b"GET /a[1] HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    ("bracket in query", b"GET /?a[]=1 HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    ("no slash", b"GET index.html HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    ("version HTTP/1", b"GET / HTTP/1\r\nHost: a\r\n\r\n", 505),
    ("version HTTX", b"GET / HTTX/1.1\r\nHost: a\r\n\r\n", 400),
    ("version lower", b"GET / http/1.1\r\nHost: a\r\n\r\n", 400),
    # Tomcat: a version of HTTP-protocol characters (H T P / . 0-9) only
    # that is not 1.0/1.1 is unsupported (505); any other character is 400.
    ("version 11", b"GET / HTTP/11\r\nHost: a\r\n\r\n", 505),
    ("version 1.1.1", b"GET / HTTP/1.1.1\r\nHost: a\r\n\r\n", 505),
    ("version 1.10", b"GET / HTTP/1.10\r\nHost: a\r\n\r\n", 505),
    ("version 2", b"GET / HTTP/2\r\nHost: a\r\n\r\n", 505),
    ("version HTTP/", b"GET / HTTP/\r\nHost: a\r\n\r\n", 505),
    ("version H", b"GET / H\r\nHost: a\r\n\r\n", 505),
    ("version TTP/1.1", b"GET / TTP/1.1\r\nHost: a\r\n\r\n", 505),
    ("version HTTP1.1", b"GET / HTTP1.1\r\nHost: a\r\n\r\n", 505),
    ("version 1:1", b"GET / HTTP/1:1\r\nHost: a\r\n\r\n", 400),
    ("version -1", b"GET / HTTP/-1\r\nHost: a\r\n\r\n", 400),
    ("version 1.1a", b"GET / HTTP/1.1a\r\nHost: a\r\n\r\n", 400),
    ("version xHTTP", b"GET / xHTTP/1.1\r\nHost: a\r\n\r\n", 400),
    ("version 2.0", b"GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505),
    ("version 1.2", b"GET / HTTP/1.2\r\nHost: a\r\n\r\n", 505),
    ("version 0.9", b"GET / HTTP/0.9\r\nHost: a\r\n\r\n", 505),
    ("version 3.0", b"GET / HTTP/3.0\r\nHost: a\r\n\r\n", 505),
    # Tomcat 10.1.60 closes without an answer on the HTTP/2 preface.
    ("h2 preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 400),
    # header fields
    ("obs-fold", b"GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n 2\r\n\r\n", 400),
    ("obs-fold tab", b"GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n\t2\r\n\r\n", 400),
    ("first header indented", b"GET / HTTP/1.1\r\n Host: a\r\n\r\n", 400),
    ("space before colon", b"GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400),
    ("tab before colon", b"GET / HTTP/1.1\r\nHost\t: a\r\n\r\n", 400),
    ("no colon", b"GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", 400),
    ("cached name no colon", b"GET / HTTP/1.1\r\nHost: a\r\nHost\r\n\r\n", 400),
    ("empty name", b"GET / HTTP/1.1\r\nHost: a\r\n: x\r\n\r\n", 400),
    ("bad name char", b"GET / HTTP/1.1\r\nHost: a\r\nX(y): 1\r\n\r\n", 400),
    ("8bit name", b"GET / HTTP/1.1\r\nHost: a\r\nX\xe9: 1\r\n\r\n", 400),
    ("nul in value", b"GET / HTTP/1.1\r\nHost: a\r\nX: a\x00b\r\n\r\n", 400),
    ("ctl in value", b"GET / HTTP/1.1\r\nHost: a\r\nX: a\x01b\r\n\r\n", 400),
    ("esc in value", b"GET / HTTP/1.1\r\nHost: a\r\nX: \x1b[0m\r\n\r\n", 400),
    ("del in value", b"GET / HTTP/1.1\r\nHost: a\r\nX: a\x7fb\r\n\r\n", 400),
    ("cr in value", b"GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n", 400),
    ("crcrlf header", b"GET / HTTP/1.1\r\nHost: a\r\r\n\r\n", 400),
    ("missing host", b"GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", 400),
    ("two hosts", b"GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400),
    ("two hosts http/1.0", b"GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n", 400),
    ("bad host", b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400),
    # Content-Length
    ("cl negative", b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n" b"\r\n", 400),
    ("cl plus", b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +1\r\n\r\n", 400),
    ("cl inner space", b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1 2" b"\r\n\r\n", 400),
    ("cl hex", b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x10\r\n\r\n", 400),
    ("cl list", b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1,1\r\n\r\n", 400),
    ("cl empty", b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n", 400),
    ("cl superscript", b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \xb2" b"\r\n\r\n", 400),
    ("cl underscore", b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1_0" b"\r\n\r\n", 400),
    ("cl overflow", b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: " b"9223372036854775808\r\n\r\n", 400),
    ("cl huge", b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: " + b"9" * 5000 + b"\r\n\r\n", 400),
    ("two cl equal", b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n" b"Content-Length: 1\r\n\r\nx", 400),
    ("two cl different", b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1" b"\r\ncontent-length: 2\r\n\r\nxy", 400),
    # Transfer-Encoding
    (
        "cl and te",
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n" b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        400,
    ),
    (
        "te and cl",
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked" b"\r\nContent-Length: 5\r\n\r\n0\r\n\r\n",
        400,
    ),
    ("te gzip", b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n" b"\r\n", 501),
    ("te identity", b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: " b"identity\r\n\r\n", 501),
    ("te gzip chunked", b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: " b"gzip, chunked\r\n\r\n", 501),
    ("te chunked gzip", b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: " b"chunked, gzip\r\n\r\n", 400),
    ("te chunked twice", b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: " b"chunked, chunked\r\n\r\n", 400),
    (
        "te two headers",
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: " b"chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
        400,
    ),
    ("te params", b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: " b"chunked;q=1\r\n\r\n", 400),
    ("te empty", b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n\r\n", 400),
    ("te comma only", b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ," b"\r\n\r\n", 400),
    ("te http/1.0 gzip", b"POST / HTTP/1.0\r\nTransfer-Encoding: gzip\r\n" b"\r\n", 400),
]


@pytest.mark.parametrize("name,data,status", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed(name, data, status):
    assert status_of(data) == status
    # Feeding byte by byte gives the same answer.
    assert bytewise(data)[-1] == ("error", status)


@pytest.mark.parametrize(
    "line,status",
    [
        # Tomcat checks query characters while reading the request line; the
        # path characters after the version, and the version's 505 is only
        # the answer when nothing checked after it fails (all seen on 10.1.60).
        (b"GET /?a[]=1 HTTP/2.0", 400),
        (b"GET /a[1] HTTP/2.0", 400),
        (b"GET /a{ HTTP/2.0", 400),
        (b"G@T / HTTP/2.0", 400),
        (b"GET * HTTP/2.0", 400),
        (b"OPTIONS * HTTP/2.0", 505),
        (b"GET http://a/b HTTP/2.0", 505),
        (b"GET /%zz HTTP/2.0", 400),
        (b"GET /../x HTTP/2.0", 400),
        (b"GET /;a HTTP/2.0", 505),
    ],
)
def test_error_order_in_request_line(line, status):
    assert status_of(line + b"\r\nHost: a\r\n\r\n") == status


def test_error_is_sticky():
    p = RequestParser()
    p.feed(b"GET / HTTP/2.0\r\n\r\n")
    with pytest.raises(HttpParseError) as first:
        p.next_event()
    with pytest.raises(HttpParseError) as second:
        p.next_event()
    assert first.value.status == second.value.status == 505
    assert first.value.reason
    assert "505" in str(first.value)


def test_request_line_errors_are_raised_before_the_head_ends():
    p = RequestParser()
    p.feed(b"GET / HTTP/3.0\r\nHost: a\r\n")
    assert p.next_event() is NEED_DATA  # the 505 waits for the fields
    p.feed(b"\r\n")
    with pytest.raises(HttpParseError) as exc:
        p.next_event()
    assert exc.value.status == 505
    p = RequestParser()
    p.feed(b"GET /\r\n")
    with pytest.raises(HttpParseError) as exc:
        p.next_event()
    assert exc.value.status == 400


def test_well_formed_chunked_te_with_empty_elements():
    data = req("POST / HTTP/1.1\nHost: a\nTransfer-Encoding: , chunked ,\n", b"0\r\n\r\n")
    assert head_of(data).body == "chunked"


def test_too_many_headers():
    head = "GET / HTTP/1.1\nHost: a\n" + "".join(f"X-{i}: {i}\n" for i in range(99))
    assert status_of(req(head)) is None
    assert status_of(req(head + "X-Last: 1\n")) == 400
    assert status_of(req(head + "X-Last: 1\n"), max_header_count=-1) is None


# ------------------------------------------------------------ size limits


def _sized_request(total: int) -> bytes:
    """A GET whose head (incl. the final blank line) is ``total`` bytes."""
    base = b"GET / HTTP/1.1\r\nHost: a\r\nX-Pad: \r\n\r\n"
    pad = total - len(base)
    assert pad >= 0
    data = b"GET / HTTP/1.1\r\nHost: a\r\nX-Pad: " + b"p" * pad + b"\r\n\r\n"
    assert len(data) == total
    return data


@pytest.mark.parametrize("limit", [100, 8192])
def test_header_size_exactly_at_limit(limit):
    data = _sized_request(limit)
    assert status_of(data, max_header_size=limit) is None
    assert bytewise(data, max_header_size=limit)[0].headers.get("x-pad")


@pytest.mark.parametrize("limit", [100, 8192])
def test_header_size_one_over_limit(limit):
    data = _sized_request(limit + 1)
    assert status_of(data, max_header_size=limit) == 400
    assert bytewise(data, max_header_size=limit)[-1] == ("error", 400)


def test_header_size_default_is_8192():
    assert status_of(_sized_request(8192)) is None
    assert status_of(_sized_request(8193)) == 400


def test_body_does_not_count_towards_header_limit():
    head = b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 50\r\n\r\n"
    events = whole(head + b"b" * 50, max_header_size=len(head))
    assert events[1] == Data(b"b" * 50)


def test_header_limit_enforced_before_head_is_complete():
    start = b"GET / HTTP/1.1\r\nHost: a\r\nX: "
    p = RequestParser(max_header_size=100)
    p.feed(start + b"x" * (99 - len(start)))
    assert p.next_event() is NEED_DATA  # 99 bytes: could still fit
    p.feed(b"x")  # 100 bytes buffered, no end of head yet
    with pytest.raises(HttpParseError) as exc:
        p.next_event()
    assert exc.value.status == 400
    assert "too large" in exc.value.reason


def test_request_line_alone_too_long():
    data = b"GET /" + b"a" * 200 + b" HTTP/1.1\r\nHost: a\r\n\r\n"
    assert status_of(data, max_header_size=100) == 400
    # Too large wins over what the over-long request line says, whether the
    # head is complete or not, fed whole or byte by byte.
    for tail in (b"\r\nHost: a\r\n\r\n", b"\r\nHost: a\r\n", b"\r\n"):
        data = b"GET /" + b"a" * 200 + b" HTTP/2.0" + tail
        assert status_of(data, max_header_size=100) == 400
        assert bytewise(data, max_header_size=100)[-1] == ("error", 400)
        assert status_of(data, max_header_size=1000) == (505 if tail.endswith(b"\r\n\r\n") else None)
    p = RequestParser(max_header_size=100)
    p.feed(b"GET /" + b"a" * 200)
    with pytest.raises(HttpParseError):
        p.next_event()


# ----------------------------------------------------------------- chunked

CHUNKED_HEAD = b"POST / HTTP/1.1\r\nHost: a\r\n" b"Transfer-Encoding: chunked\r\n\r\n"


@pytest.mark.parametrize(
    "body",
    [
        b"g\r\n",
        b"\r\n",
        b"-1\r\n",
        b"0x5\r\n",
        b" 5\r\n",
        b"5 \r\n",
        b"+5\r\n",
        b"5_0\r\n",
        b"000000005\r\nhello\r\n",
        b"80000000\r\n",
        b"ffffffff\r\n",
        b"123456789\r\n",
        b";ext\r\n",
        b"5\rX\r\n",
        b"5 ;a\r\n",  # no whitespace before ";" (Tomcat rejects it too)
    ],
)
def test_bad_chunk_size(body):
    assert status_of(CHUNKED_HEAD + body) == 400
    assert bytewise(CHUNKED_HEAD + body)[-1] == ("error", 400)


@pytest.mark.parametrize(
    "partial",
    [
        b"123456789",
        b"zz",
        b"1 ",
        b"-",
        b";a",
    ],
)
def test_bad_chunk_size_detected_before_line_ends(partial):
    p = RequestParser()
    p.feed(CHUNKED_HEAD + partial)
    p.next_event()
    with pytest.raises(HttpParseError) as exc:
        p.next_event()
    assert exc.value.status == 400


def test_largest_chunk_size_is_accepted():
    p = RequestParser()
    p.feed(CHUNKED_HEAD + b"7fffffff\r\nabc")
    p.next_event()
    assert p.next_event() == Data(b"abc")
    p = RequestParser()
    p.feed(CHUNKED_HEAD + b"00000001\r\nz\r\n0\r\n\r\n")
    p.next_event()
    assert p.next_event() == Data(b"z")


@pytest.mark.parametrize(
    "body",
    [
        b"5\r\nhelloX\r\n0\r\n\r\n",  # no CRLF after data
        b"5\r\nhello\n0\r\n\r\n",  # bare LF after data
        b"5\r\nhello\r\r\n0\r\n\r\n",
        b"5\nhello\r\n0\r\n\r\n",  # bare LF after chunk size
        b"11\nx\r\n0\r\n\r\n",
        b"1\r\nx\r01\r\ny\r\n0\r\n\r\n",  # CR + garbage after data
        b"0\n\r\n",
    ],
)
def test_chunk_framing_errors(body):
    assert status_of(CHUNKED_HEAD + body) == 400
    assert bytewise(CHUNKED_HEAD + body)[-1] == ("error", 400)


@pytest.mark.parametrize(
    "ext",
    [
        b";a",
        b";a=b",
        b';a="quoted value"',
        b"; a = b ; c",
        b";a=b;c=d",
        b';a=""',
        b";a\t=\tb",
        b";a ",
        b';a="\xe9"',
    ],
)
def test_valid_chunk_extensions(ext):
    data = CHUNKED_HEAD + b"1" + ext + b"\r\nx\r\n0" + ext + b"\r\n\r\n"
    assert whole(data)[1] == Data(b"x")


@pytest.mark.parametrize(
    "ext",
    [
        b";",
        b";=b",
        b';a="x\\y"',
        b";a=b c",
        b";a=",
        b';a="open',
        b";a b",
        b";a=(b)",
        b";a\x00",
        b';a="\x01"',
    ],
)
def test_invalid_chunk_extensions(ext):
    data = CHUNKED_HEAD + b"1" + ext + b"\r\nx\r\n0\r\n\r\n"
    assert status_of(data) == 400


def test_chunk_extension_limit_is_per_request_total():
    ext = b";" + b"e" * 9  # 10 bytes each
    body = (b"1" + ext + b"\r\nx\r\n") * 3 + b"0" + ext + b"\r\n\r\n"
    assert status_of(CHUNKED_HEAD + body, max_chunk_extension_size=40) is None
    assert status_of(CHUNKED_HEAD + body, max_chunk_extension_size=39) == 400
    assert bytewise(CHUNKED_HEAD + body, max_chunk_extension_size=39)[-1] == ("error", 400)


def test_chunk_extension_limit_enforced_before_line_ends():
    p = RequestParser(max_chunk_extension_size=50)
    p.feed(CHUNKED_HEAD + b"5;" + b"x" * 40)
    p.next_event()
    assert p.next_event() is NEED_DATA
    p.feed(b"x" * 20)
    with pytest.raises(HttpParseError) as exc:
        p.next_event()
    assert exc.value.status == 400


def _trailer_body(total: int) -> bytes:
    """Last chunk plus a trailer section of exactly ``total`` bytes."""
    base = b"X-T: \r\n\r\n"
    return b"0\r\nX-T: " + b"t" * (total - len(base)) + b"\r\n\r\n"


def test_trailer_size_limit():
    assert status_of(CHUNKED_HEAD + _trailer_body(64), max_trailer_size=64) is None
    assert status_of(CHUNKED_HEAD + _trailer_body(65), max_trailer_size=64) == 400
    assert bytewise(CHUNKED_HEAD + _trailer_body(65), max_trailer_size=64)[-1] == ("error", 400)
    assert bytewise(CHUNKED_HEAD + _trailer_body(64), max_trailer_size=64)[-1].trailers.get("x-t")


def test_trailer_limit_enforced_before_section_ends():
    p = RequestParser(max_trailer_size=64)
    p.feed(CHUNKED_HEAD + b"0\r\nX-T: " + b"t" * 57)  # 62 bytes
    p.next_event()
    assert p.next_event() is NEED_DATA
    p.feed(b"\r\n")  # 64 bytes of trailer section, still not ended
    with pytest.raises(HttpParseError) as exc:
        p.next_event()
    assert exc.value.status == 400


@pytest.mark.parametrize(
    "trailer",
    [
        b"X: 1\r\n 2\r\n\r\n",  # obs-fold
        b"X : 1\r\n\r\n",  # space before colon
        b"X: 1\n\r\n",  # bare LF
        b"X: 1\r\n\n",
        b"\n",
        b"X: a\x00\r\n\r\n",
        b"X: a\rb\r\n\r\n",
        b"NoColon\r\n\r\n",
        b"\rX: 1\r\n\r\n",
    ],
)
def test_bad_trailers(trailer):
    data = CHUNKED_HEAD + b"0\r\n" + trailer
    assert status_of(data) == 400
    assert bytewise(data)[-1] == ("error", 400)


def test_repeated_trailers_kept():
    data = CHUNKED_HEAD + b"0\r\nA: 1\r\na: 2\r\n\r\n"
    assert whole(data)[-1].trailers.get_all("A") == ["1", "2"]


# --------------------------------------------------------------------- EOF


def test_eof_on_fresh_connection_is_closed():
    p = RequestParser()
    p.feed(b"")
    assert p.next_event() is CLOSED
    assert p.next_event() is CLOSED


def test_eof_after_complete_request_is_closed():
    events = whole(req("GET / HTTP/1.1\nHost: a\n"), eof=True)
    assert events[-1] is CLOSED


@pytest.mark.parametrize(
    "data",
    [
        b"G",
        b"GET / HTTP/1.1\r\n",
        b"GET / HTTP/1.1\r\nHost: a\r\n",
        b"GET / HTTP/1.1\r\nHost: a\r\n\r",
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nabc",
        CHUNKED_HEAD,
        CHUNKED_HEAD + b"5",
        CHUNKED_HEAD + b"5\r\nhel",
        CHUNKED_HEAD + b"5\r\nhello",
        CHUNKED_HEAD + b"5\r\nhello\r",
        CHUNKED_HEAD + b"0\r\n",
        CHUNKED_HEAD + b"0\r\nX: 1\r\n",
    ],
)
def test_eof_mid_request_is_400(data):
    assert whole(data, eof=True)[-1] == ("error", 400)
    assert bytewise(data, eof=True)[-1] == ("error", 400)


def test_body_data_is_delivered_before_eof_error():
    p = RequestParser()
    p.feed(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nabc")
    p.feed(b"")
    assert isinstance(p.next_event(), RequestHead)
    assert p.next_event() == Data(b"abc")
    with pytest.raises(HttpParseError) as exc:
        p.next_event()
    assert exc.value.status == 400


# ----------------------------------------------------------- resumability

GOOD_STREAMS = [
    req("GET / HTTP/1.1\nHost: example.com\nUser-Agent: t\n"),
    b"\r\n\n" + req("GET /a?b=c HTTP/1.0\n"),
    b"GET / HTTP/1.1\nHost: a\nX: 1\r\n\n",
    req("POST /p HTTP/1.1\nHost: a\nContent-Length: 11\n", b"hello world"),
    req(
        "POST /c HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\n",
        b'3;x=y\r\nabc\r\n10; q="r s" \r\n0123456789abcdef\r\n' b"0;end\r\nT1: v1\r\nT2:v2\r\n\r\n",
    ),
    # Pipelined mix.
    req("GET /1 HTTP/1.1\nHost: a\n")
    + req("POST /2 HTTP/1.1\nHost: a\nContent-Length: 2\n", b"xy")
    + b"\r\n"
    + req("POST /3 HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\n", b"1\r\nz\r\n0\r\n\r\n")
    + req("OPTIONS * HTTP/1.1\nHost: a\nExpect: 100-continue\n"),
    req("GET http://a/x HTTP/1.1\nHost: a\nConnection: close\n"),
]


@pytest.mark.parametrize("data", GOOD_STREAMS)
def test_byte_at_a_time_matches_whole(data):
    expected = whole(data, eof=True)
    assert not any(isinstance(e, tuple) for e in expected), expected
    assert bytewise(data, eof=True) == expected


@pytest.mark.parametrize("data", GOOD_STREAMS + [m[1] for m in MALFORMED])
def test_random_splits_match_whole(data):
    rng = random.Random(len(data))
    expected = whole(data, eof=True)
    for _ in range(20):
        cuts = sorted(rng.sample(range(1, len(data)), min(len(data) - 1, rng.randint(1, 6))))
        chunks = [data[a:b] for a, b in zip([0] + cuts, cuts + [len(data)], strict=False)]
        assert drive(chunks, eof=True) == expected


@pytest.mark.parametrize("data", GOOD_STREAMS)
def test_every_two_piece_split_matches_whole(data):
    expected = whole(data, eof=True)
    for i in range(1, len(data)):
        assert drive([data[:i], data[i:]], eof=True) == expected


def test_many_feeds_without_next_event():
    p = RequestParser()
    data = req("POST / HTTP/1.1\nHost: a\nContent-Length: 5\n", b"hello")
    for i in range(len(data)):
        p.feed(data[i : i + 1])
    assert p.leftover == data
    assert isinstance(p.next_event(), RequestHead)
    assert p.next_event() == Data(b"hello")


def test_whole_buffer_body_is_not_copied():
    p = RequestParser()
    p.feed(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 8\r\n\r\n")
    p.next_event()
    chunk = b"12345678"
    p.feed(chunk)
    assert p.next_event().data is chunk


# ----------------------------------------------------------- h11 as oracle

ORACLE_REQUESTS = [
    req("GET / HTTP/1.1\nHost: example.com\n"),
    req(
        "GET /a/b;c=d?e=f&g=%41 HTTP/1.1\nHost: example.com:8080\n"
        "Accept: text/html, */*;q=0.1\nCookie: a=b; c=d\n"
        "User-Agent: Mozilla/5.0 (X11)\nX-Empty:\n"
    ),
    req("HEAD /x HTTP/1.0\nUser-Agent: old\n"),
    req("POST /submit HTTP/1.1\nHost: h\nContent-Type: application/json\n" "Content-Length: 13\n", b'{"a": "bcd"}\n'),
    req(
        "PUT /up HTTP/1.1\nHost: h\nTransfer-Encoding: chunked\n",
        b"4\r\nWiki\r\n5;ext=1\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n" b"0\r\nExpires: never\r\nX-Sum: 12\r\n\r\n",
    ),
    req("OPTIONS * HTTP/1.1\nHost: h\n"),
    req("GET http://h:81/abs?q HTTP/1.1\nHost: h:81\n"),
    req("DELETE /r HTTP/1.1\nHost: h\nConnection: close\n"),
    req(
        "GET /ws HTTP/1.1\nHost: h\nUpgrade: websocket\n" "Connection: keep-alive, Upgrade\nSec-WebSocket-Version: 13\n"
    ),
    req("POST /e HTTP/1.1\nHost: h\nExpect: 100-continue\n" "Content-Length: 3\n", b"abc"),
    req("GET / HTTP/1.1\nHost: h\nX-Tab: a\tb\nX-Obs: caf\xe9\n"),
]


def _h11_events(data: bytes) -> list:
    conn = h11.Connection(h11.SERVER)
    conn.receive_data(data)
    out = []
    while True:
        ev = conn.next_event()
        if ev is h11.NEED_DATA or ev is h11.PAUSED:
            break
        if isinstance(ev, h11.Request):
            out.append(
                (
                    "head",
                    ev.method.decode(),
                    ev.target.decode("latin-1"),
                    "HTTP/" + ev.http_version.decode(),
                    [(n.decode(), v.decode("latin-1")) for n, v in ev.headers.raw_items()],
                )
            )
        elif isinstance(ev, h11.Data):
            if out and out[-1][0] == "data":
                out[-1] = ("data", out[-1][1] + bytes(ev.data))
            else:
                out.append(("data", bytes(ev.data)))
        elif isinstance(ev, h11.EndOfMessage):
            out.append(("end", [(n.decode(), v.decode("latin-1")) for n, v in ev.headers.raw_items()]))
            break
    return out


def _our_events(data: bytes) -> list:
    out = []
    for ev in whole(data):
        if isinstance(ev, RequestHead):
            out.append(("head", ev.method, ev.target, ev.version, ev.headers.items()))
        elif isinstance(ev, Data):
            out.append(("data", ev.data))
        elif isinstance(ev, EndOfMessage):
            out.append(("end", ev.trailers.items()))
        else:
            raise AssertionError(ev)
    return out


@pytest.mark.parametrize("data", ORACLE_REQUESTS)
def test_agrees_with_h11(data):
    assert _our_events(data) == _h11_events(data)
    assert drive([data[i : i + 1] for i in range(len(data))]) == whole(data)


def test_h11_keep_alive_and_expect_agree():
    for data in ORACLE_REQUESTS:
        conn = h11.Connection(h11.SERVER)
        conn.receive_data(data)
        ev = conn.next_event()
        head = head_of(data)
        assert head.expect_continue == conn.they_are_waiting_for_100_continue
        h11_keep = (
            not any(n == b"connection" and b"close" in v.lower() for n, v in ev.headers) and ev.http_version == b"1.1"
        )
        if head.version == "HTTP/1.1":
            assert head.keep_alive == h11_keep


# ----------------------------------------------------------------- Headers


def test_headers_api():
    h = Headers([("Host", "a"), ("Accept", "x"), ("accept", "y")])
    assert h.get("ACCEPT") == "x"
    assert h.get("missing") is None and h.get("missing", "d") == "d"
    assert h.get_all("accept") == ["x", "y"]
    assert h.get_all("nope") == []
    assert "HOST" in h and "nope" not in h and 3 not in h
    assert list(h) == [("Host", "a"), ("Accept", "x"), ("accept", "y")]
    assert len(h) == 3
    assert h.names() == ["Host", "Accept"]
    h.add("X", "1")
    assert h.items()[-1] == ("X", "1")
    h.set("ACCEPT", "z")
    assert h.items() == [("Host", "a"), ("ACCEPT", "z"), ("X", "1")]
    assert h.get_all("accept") == ["z"]
    h.set("New", "n")
    assert h.items()[-1] == ("New", "n")
    h.remove("host")
    h.remove("not-there")
    assert "host" not in h and h.get("host") is None
    assert h.items() == [("ACCEPT", "z"), ("X", "1"), ("New", "n")]
    assert Headers() == Headers([])
    assert h != Headers()
    # get_all / items return copies.
    h.get_all("x").append("mutated")
    h.items().clear()
    assert h.get_all("x") == ["1"] and len(h) == 3


def test_headers_has_token():
    h = Headers([("Connection", "keep-alive, Upgrade"), ("connection", " TE ")])
    assert h.has_token("connection", "upgrade")
    assert h.has_token("CONNECTION", "Keep-Alive")
    assert h.has_token("connection", "te")
    assert not h.has_token("connection", "close")
    assert not h.has_token("connection", "keep")
    assert not h.has_token("upgrade", "websocket")


def test_start_next_request_right_after_a_bodyless_head():
    parser = RequestParser()
    parser.feed(b"GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n")
    first = parser.next_event()
    assert first.body == "none"
    parser.start_next_request()
    second = parser.next_event()
    assert second.target == "/b"


def test_start_next_request_refused_in_the_middle_of_a_body():
    parser = RequestParser()
    parser.feed(b"POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nab")
    parser.next_event()
    with pytest.raises(RuntimeError):
        parser.start_next_request()


# ------------------------------------------- Tomcat's order of head checks


@pytest.mark.parametrize(
    "head,status",
    [
        # Tomcat 10.1 checks a parsed head in one order and answers with the
        # status of the LAST check that failed (all seen on 10.1.60).
        ("POST / HTTP/1.1\nTransfer-Encoding: gzip\n", 501),  # no Host, then TE
        ("POST /a[ HTTP/1.1\nHost: a\nTransfer-Encoding: gzip\n", 501),
        ("POST /a HTTP/1.1\nHost: a\nHost: b\nTransfer-Encoding: gzip\n", 501),
        ("POST http://b/a HTTP/1.1\nHost: a\nTransfer-Encoding: gzip\n", 501),
        ("POST / HTTP/1.1\nHost: a\nTransfer-Encoding: foo, chunked, gzip\n", 400),
        ("POST / HTTP/1.1\nHost: a\nTransfer-Encoding: gzip\nTransfer-Encoding: chunked\n", 501),
        ("POST / HTTP/1.1\nHost: a\nTransfer-Encoding: gzip\nContent-Length: 1\n", 501),
        ("POST / HTTP/1.1\nHost: a\nTransfer-Encoding: gzip\nContent-Length: x\n", 400),
        ("POST / HTTP/1.1\nHost: a_b\nTransfer-Encoding: gzip\n", 400),
        ("POST / HTTP/1.1\nHost: a\nExpect: foo\nTransfer-Encoding: gzip\n", 501),
        ("POST / HTTP/1.1\nHost: a\nExpect: foo\nContent-Length: x\n", 400),
        ("POST / HTTP/1.1\nExpect: foo\n", 400),
        ("POST /%zz HTTP/1.1\nHost: a\nTransfer-Encoding: gzip\n", 400),
        ("POST / HTTP/2.0\nHost: x\nExpect: foo\n", 505),  # Expect is HTTP/1.1 only
        ("POST / HTTP/2.0\n", 505),  # no Host needed
        ("POST / HTTP/2.0\nHost: a\nHost: b\n", 400),
        ("POST / HTTP/2.0\nHost: a_b\n", 400),
        ("POST / HTTP/2.0\nHost: x\nContent-Length: x\n", 400),
        ("GET http://a/b HTTP/2.0\nHost: y\n", 505),  # no Host agreement off HTTP/1.1
    ],
)
def test_last_failing_check_gives_the_status(head, status):
    assert status_of(req(head)) == status
    assert bytewise(req(head))[-1] == ("error", status)


@pytest.mark.parametrize(
    "data",
    [
        b"CONNECT a:1 HTTP/1\r\n\r\n",
        b"CONNECT a^b HTTP/1.1\r\nHost: a\r\n\r\n",
        b"CONNECT a:1 HTTX/1.1\r\nHost: a\r\n\r\n",
        b"CONNECT a:1 HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n",
        b"CONNECT a:1 HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n",
        b"CONNECT a:1 HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        b"CONNECT a:1 HTTP/1.1\r\nHost: a\r\nExpect: foo\r\n\r\n",
        # found by a mutation fuzzer: a bare CR seen before the request line ends
        b"CONNECT a:1 HTT..P/1\r\r\nHost: a:1\n\r\n",
        b"CONNECT a:1 HTTP/1.1\r\n:::Host: a:1\r].##\r]z",
    ],
)
def test_a_bad_connect_request_is_501_as_tomcat(data):
    # Tomcat's CoyoteAdapter answers CONNECT with 501 even when the request
    # was already refused.
    assert status_of(data) == 501
    assert bytewise(data)[-1] == ("error", 501)


@pytest.mark.parametrize(
    "data",
    [b"CONNECT a:1 HTTP/1.1\r\nHost: a\r\n", b"\r\n\r\nCONNECT /examples/servlets/hellowo", b"CONNECT"],
)
def test_a_connect_head_cut_short_by_eof_is_not_answered(data):
    # Found by fuzzing through a server: the 501 is for a CONNECT request
    # that arrived; a head the client cut short gets no answer (the processor
    # closes silently), so the parser keeps the truncation error for it.
    p = RequestParser()
    p.feed(data)
    assert p.next_event() is NEED_DATA
    p.feed(b"")
    with pytest.raises(HttpParseError) as exc:
        p.next_event()
    assert (exc.value.status, exc.value.reason) == (400, "Connection closed before the request head was complete")


def test_a_good_connect_request_goes_to_the_container():
    assert head_of(req("CONNECT a:1 HTTP/1.1\nHost: a:1\n")).method == "CONNECT"
    # The next request on the connection is judged on its own.
    p = RequestParser()
    p.feed(req("CONNECT a:1 HTTP/1.1\nHost: a:1\n") + b"GET / HTTP/1.1\r\n\r\n")
    assert p.next_event().method == "CONNECT"
    assert isinstance(p.next_event(), EndOfMessage)
    p.start_next_request()
    with pytest.raises(HttpParseError) as exc:
        p.next_event()
    assert exc.value.status == 400


@pytest.mark.parametrize(
    "data",
    [
        b"GET / HTTP/1.1\rHost: x\r\r",
        b"GET / HTTP/1.1\r\nHost: x\rX: y\r",
        b"GET /\rx HTTP/1.1",
    ],
)
def test_a_bare_cr_is_refused_before_the_head_ends(data):
    # Tomcat answers 400 at once; no line can end there, so do not wait.
    assert status_of(data) == 400
    assert bytewise(data)[-1] == ("error", 400)


def test_a_cr_at_the_end_of_what_arrived_waits_for_its_lf():
    assert whole(b"GET / HTTP/1.1\r") == []
    assert whole(b"GET / HTTP/1.1\r\nHost: x\r") == []


_FUZZ_SEEDS = [
    b"GET /a?b=c HTTP/1.1\r\nHost: a\r\n\r\n",
    b"POST /x HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    b"CONNECT a:1 HTTP/1.1\r\nHost: a:1\r\n\r\n",
    b"GET http://u@h:80/p?q HTTP/2.0\r\nHost: h:80\r\nExpect: foo\r\nContent-Length: 3\r\n\r\nabc",
    b"OPTIONS * HTTP/1\r\nTransfer-Encoding: gzip, chunked\r\nConnection: keep-alive\r\n\r\n",
    b"GET /%zz/../%c3%28;x=1 HTTP/1.1.1\r\nHost: [::1]:8\r\n\r\n",
]
_FUZZ_BYTES = b'\r\n :/%?#[]*.;HTTP/1.0chunkedgzip\x00\x7f\xff\t,="\\'


def test_mutated_heads_get_the_same_answer_whole_and_byte_by_byte():
    # A seeded mutation fuzzer over heads near every rule above: whatever
    # the input, only HttpParseError is raised, and the events and status
    # do not depend on how the bytes arrive.
    rnd = random.Random(20261207)
    for _ in range(3000):
        data = bytearray(rnd.choice(_FUZZ_SEEDS))
        for _ in range(rnd.randint(1, 6)):
            op, at = rnd.random(), rnd.randrange(len(data) + 1)
            if op < 0.4 and data:
                data[min(at, len(data) - 1)] = rnd.choice(_FUZZ_BYTES)
            elif op < 0.7:
                data[at:at] = bytes([rnd.choice(_FUZZ_BYTES)]) * rnd.randint(1, 3)
            elif data:
                del data[min(at, len(data) - 1)]
        assert whole(bytes(data)) == bytewise(bytes(data)), bytes(data)
