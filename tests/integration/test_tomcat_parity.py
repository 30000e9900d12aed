"""The container against what Tomcat 10.1 answers (issue 10), over raw
sockets: character encodings from conf/web.xml, when the charset is added
to Content-Type, parameters with invalid percent-encoding, trailer fields
and ``allowedTrailerHeaders``, the server name of an HTTP/1.0 request
without Host, static files with a trailing slash, the directory redirect
(no open redirect), symbolic links and ``allowLinking``, invalid cookies
and control characters in header values and redirects set by a servlet.

Each expectation was taken from a Tomcat 10.1.60 with its stock
conf/web.xml (see docs/webapps.md, "catalina_py vs Tomcat 10.1")."""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path

import pytest

from tests.integration.test_connector_raw import parse_responses
from tests.server import REPO, TEST_WEBAPPS, raw_request


def exchange(port: int, request: bytes) -> tuple[int, dict[str, str], bytes, bytes]:
    """One request on its own connection: status, headers (lower-case
    names, last value wins), body and the raw response head."""
    data = raw_request(port, request)
    assert data, f"empty reply to {request[:80]!r}"
    ((status, headers, body),) = parse_responses(data)
    return status, headers, body, data.partition(b"\r\n\r\n")[0]


def get(port: int, target: str, version: str = "HTTP/1.1", extra: str = "") -> tuple[int, dict[str, str], bytes, bytes]:
    host = "Host: x\r\n" if version == "HTTP/1.1" else ""
    return exchange(port, f"GET {target} {version}\r\n{host}{extra}Connection: close\r\n\r\n".encode("latin-1"))


def wait_for_output(server, text: str) -> str:
    """The server's output once it shows *text* (at most 5 s, 100 polls)."""
    output = server.output()
    for _ in range(100):
        if text in output:
            break
        time.sleep(0.05)
        output = server.output()
    return output


# -- 1. character encodings -------------------------------------------------------
def test_conf_web_xml_sets_utf8_for_requests_and_responses(catalina):
    status, headers, body, _ = get(catalina.port, "/testapp/behave/encodings")
    assert status == 200
    data = json.loads(body)
    assert (data["request"], data["response"]) == ("UTF-8", "UTF-8")
    assert (data["context_request"], data["context_response"]) == ("UTF-8", "UTF-8")
    # Written through the output stream: Tomcat adds no charset.
    assert headers["content-type"] == "application/json"


def test_a_charset_in_content_type_wins_for_the_request(catalina):
    body = b"a=%E9"
    status, _, raw, _ = exchange(
        catalina.port,
        b"POST /testapp/behave/params HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        b"Content-Type: application/x-www-form-urlencoded; charset=ISO-8859-1\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (len(body), body),
    )
    assert status == 200 and json.loads(raw) == {"a": ["\u00e9"]}


def test_non_ascii_parameters_decode_as_utf8(catalina):
    body = b"b=%C3%A9&c=%E9"
    status, headers, raw, _ = exchange(
        catalina.port,
        b"POST /testapp/behave/params?a=%%C3%%A9 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body),
    )
    assert status == 200
    # Invalid UTF-8 is kept as U+FFFD (Tomcat too); the writer adds the charset.
    assert json.loads(raw) == {"a": ["\u00e9"], "b": ["\u00e9"], "c": ["\ufffd"]}
    assert headers["content-type"] == "application/json;charset=UTF-8"


@pytest.mark.parametrize(
    ("query", "content_type", "body"),
    [
        # The charset is added when the writer is used or a charset was set,
        # whatever the media type; never for the output stream alone.
        ("type=text/html&out=writer", "text/html;charset=UTF-8", b"h\xc3\xa9"),
        ("type=text/html&out=stream", "text/html", b"hi"),
        ("type=text/html", "text/html", b""),
        ("type=image/png&out=writer", "image/png;charset=UTF-8", b"h\xc3\xa9"),
        ("type=application/json&out=stream", "application/json", b"hi"),
        ("type=text/plain;charset=ISO-8859-1&out=writer", "text/plain;charset=ISO-8859-1", b"h\xe9"),
        ("type=text/plain;+charset=ISO-8859-1&out=stream", "text/plain;charset=ISO-8859-1", b"hi"),
        ("type=text/html&encoding=ISO-8859-1&out=writer", "text/html;charset=ISO-8859-1", b"h\xe9"),
        ("type=text/html&encoding=ISO-8859-1&out=stream", "text/html;charset=ISO-8859-1", b"hi"),
    ],
)
def test_content_type_charset_as_tomcat_adds_it(catalina, query, content_type, body):
    status, headers, raw, _ = get(catalina.port, f"/testapp/behave/content_type?{query}")
    assert status == 200
    assert headers.get("content-type") == content_type
    assert raw == body


def test_without_the_web_xml_elements_responses_default_to_iso_8859_1(make_server):
    text = (REPO / "conf" / "web.xml").read_text()
    for element in ("request-character-encoding", "response-character-encoding"):
        text = text.replace(f"<{element}>UTF-8</{element}>", "")
    server = make_server(webapps={"testapp": TEST_WEBAPPS / "testapp"})
    # The server's own conf/web.xml (CATALINA_BASE wins over CATALINA_HOME).
    (server.base / "conf" / "web.xml").write_text(text)
    server.start()
    data = json.loads(get(server.port, "/testapp/behave/encodings")[2])
    assert (data["request"], data["response"]) == (None, "ISO-8859-1")
    assert (data["context_request"], data["context_response"]) == (None, None)
    _, headers, raw, _ = get(server.port, "/testapp/behave/content_type?type=text/plain&out=writer")
    assert headers["content-type"] == "text/plain;charset=ISO-8859-1" and raw == b"h\xe9"


# -- 2. invalid percent-encoding -------------------------------------------------------
def test_parameters_with_invalid_percent_encoding_are_dropped_and_logged_once(make_server):
    # Its own server: the INFO line is logged once per process.
    server = make_server(webapps={"testapp": TEST_WEBAPPS / "testapp"}).start()
    query = "a=%zz&b=1&%zz=2&c=%2&d=%&=x&e&f=1+2&g=%u0041&h=%2x"
    status, _, raw, _ = get(server.port, f"/testapp/behave/params?{query}")
    assert status == 200
    assert json.loads(raw) == {"b": ["1"], "e": [""], "f": ["1 2"]}
    get(server.port, "/testapp/behave/params?late=%zz&ok=1")
    output = wait_for_output(server, "parameter [a] with value [%zz]")
    infos = [line for line in output.splitlines() if "Invalid percent-encoding" in line]
    # INFO for the first one only (then DEBUG, as Tomcat's UserDataHelper).
    assert len(infos) == 1 and "INFO" in infos[0] and "parameter [a] with value [%zz]" in infos[0]
    assert "Traceback" not in output


# -- 3. trailer fields -------------------------------------------------------------
CHUNKED_WITH_TRAILERS = (
    b"POST /testapp/behave/encodings HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    b"3\r\nabc\r\n0\r\nX-Sum: 10\r\nExpires: 0\r\nx-sum: 11\r\n\r\n"
)


def test_trailer_fields_are_not_exposed_by_default(catalina):
    status, _, raw, _ = exchange(catalina.port, CHUNKED_WITH_TRAILERS)
    data = json.loads(raw)
    assert status == 200 and data["body_length"] == 3 and data["trailers"] == {}


def test_allowed_trailer_headers_exposes_the_named_fields(make_server):
    server = make_server(
        webapps={"testapp": TEST_WEBAPPS / "testapp"}, connector_attrs='allowedTrailerHeaders="X-Sum, x-other"'
    ).start()
    data = json.loads(exchange(server.port, CHUNKED_WITH_TRAILERS)[2])
    assert data["trailers"] == {"x-sum": "10,11"}
    assert "not supported" not in server.output()


# -- 4. HTTP/1.0 without Host ----------------------------------------------------------
def test_http10_without_host_reports_the_local_name(catalina):
    try:
        expected = socket.gethostbyaddr("127.0.0.1")[0]
    except OSError:
        expected = "127.0.0.1"
    data = json.loads(get(catalina.port, "/testapp/behave/encodings", version="HTTP/1.0")[2])
    assert (data["server_name"], data["server_port"]) == (expected, catalina.port)
    assert data["local_name"] == expected


# -- 5. and 6. static files: trailing slash, directory redirect ------------------------------
def test_a_static_file_with_a_trailing_slash_is_404(catalina):
    assert get(catalina.port, "/testapp/static/hello.txt")[0] == 200
    assert get(catalina.port, "/testapp/static/hello.txt/")[0] == 404
    assert get(catalina.port, "/examples/index.html/")[0] == 404


@pytest.mark.parametrize(
    ("target", "location"),
    [
        ("//evil.com/..;/testapp/static", "/evil.com/..;/testapp/static/"),
        ("///testapp/static?q=1", "/testapp/static/?q=1"),
        ("/testapp/static?q=1", "/testapp/static/?q=1"),
        ("//evil.com/..;/examples/websocket", "/evil.com/..;/examples/websocket/"),
    ],
)
def test_the_directory_redirect_never_leaves_the_host(catalina, target, location):
    status, headers, _, _ = get(catalina.port, target)
    assert status == 302
    assert headers["location"] == location
    assert not headers["location"].startswith("//")


def test_http10_redirects_are_absolute(catalina):
    status, headers, _, _ = get(catalina.port, "//evil.com/..;/testapp/static", version="HTTP/1.0")
    name = json.loads(get(catalina.port, "/testapp/behave/encodings", version="HTTP/1.0")[2])["server_name"]
    assert status == 302
    assert headers["location"] == f"http://{name}:{catalina.port}/evil.com/..;/testapp/static/"


# -- 7. symbolic links -------------------------------------------------------------------
def _linked_server(make_server, tmp_path: Path, allow_linking: bool):
    server = make_server(webapps={"testapp": TEST_WEBAPPS / "testapp"})
    app = server.base / "webapps" / "testapp"
    outside = tmp_path / f"outside{int(allow_linking)}"
    outside.mkdir()
    (outside / "out.txt").write_text("OUTSIDE-CONTENT")
    (app / "WEB-INF" / "canary.txt").write_text("CANARY-CONTENT")
    os.symlink("WEB-INF", app / "lnk_webinf")  # relative link to the folder
    os.symlink(app / "META-INF", app / "lnk_metainf")
    os.symlink(app / "WEB-INF" / "canary.txt", app / "lnk_canary.txt")  # a file inside WEB-INF
    os.symlink("..", app / "lnk_appbase")  # the appBase, then into WEB-INF again
    os.symlink("static", app / "lnk_static")  # harmless, inside the webapp
    os.symlink(outside, app / "lnk_out")
    other = server.base / "webapps" / "other" / "WEB-INF"  # another webapp of the appBase
    other.mkdir(parents=True)
    (other / "other.txt").write_text("CANARY-CONTENT of other")
    if allow_linking:
        (app / "META-INF" / "context.xml").write_text('<Context><Resources allowLinking="true"/></Context>\n')
    return server.start()


PROTECTED = [
    "/testapp/lnk_webinf/web.xml",
    "/testapp/lnk_webinf/canary.txt",
    "/testapp/lnk_metainf/MANIFEST.MF",
    "/testapp/lnk_canary.txt",
    "/testapp/lnk_appbase/testapp/WEB-INF/canary.txt",
    "/testapp/lnk_appbase/testapp/WEB-INF/web.xml",
    "/testapp/lnk_appbase/other/WEB-INF/other.txt",
]


def test_symlinks_are_not_followed_without_allow_linking(make_server, tmp_path):
    server = _linked_server(make_server, tmp_path, allow_linking=False)
    for target in [*PROTECTED, "/testapp/lnk_static/hello.txt", "/testapp/lnk_out/out.txt"]:
        status, _, body, _ = get(server.port, target)
        assert status == 404, target
        assert b"CANARY-CONTENT" not in body and b"OUTSIDE-CONTENT" not in body and b"<servlet" not in body
    assert get(server.port, "/testapp/static/hello.txt")[0] == 200
    assert "canonical path" in server.output()


def test_allow_linking_follows_links_but_never_into_web_inf(make_server, tmp_path):
    server = _linked_server(make_server, tmp_path, allow_linking=True)
    assert get(server.port, "/testapp/lnk_static/hello.txt")[0] == 200
    status, _, body, _ = get(server.port, "/testapp/lnk_out/out.txt")
    assert (status, body) == (200, b"OUTSIDE-CONTENT")
    for target in PROTECTED:
        status, _, body, _ = get(server.port, target)
        assert status == 404, target
        assert b"CANARY-CONTENT" not in body and b"<servlet" not in body
    assert "is not supported" not in server.output()


# -- 8. cookies and header values set by a servlet ------------------------------------------
@pytest.mark.parametrize("value", ["b%0d%0aX:1", "a%20b", "a,b", "a;b", "a%7fb", "a%5Cb"])
def test_an_invalid_cookie_value_fails_in_the_servlet(catalina, value):
    status, headers, body, head = get(catalina.port, f"/testapp/behave/raw_cookie?value={value}")
    assert status == 500
    assert "set-cookie" not in headers and b"X:1" not in head
    assert b"HTTP Status 500" in body


@pytest.mark.parametrize(("value", "sent"), [("%22ab%22", '"ab"'), ("a=b", "a=b"), ("%C3%A9", "\u00c3\u00a9")])
def test_cookie_values_tomcat_accepts(catalina, value, sent):
    status, headers, _, _ = get(catalina.port, f"/testapp/behave/raw_cookie?value={value}")
    assert status == 200
    assert headers["set-cookie"] == f"n={sent}"


def test_the_cookies_example_refuses_a_crlf_value(catalina):
    body = b"cookiename=n&cookievalue=b%0d%0aX:1"
    status, headers, page, head = exchange(
        catalina.port,
        b"POST /examples/servlets/cookies HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body),
    )
    assert status in (200, 500) and page
    assert b"\r\nX:1" not in head and "set-cookie" not in headers


@pytest.mark.parametrize("how", ["set", "add"])
@pytest.mark.parametrize(
    ("value", "sent"),
    [
        ("a%0d%0aX-Inj:1", b"a  X-Inj:1"),
        ("a%0aX-Inj:1", b"a X-Inj:1"),
        ("a%00b", b"a b"),
        ("a%07b", b"a b"),
        ("a%7fb", b"a b"),
        ("a%09b", b"a\tb"),
        ("%C3%A9", b"\xe9"),
        ("a%C2%85b", b"a\x85b"),
        ("a%C4%80b", None),
        ("a%E2%80%A8b", None),
    ],
)
def test_control_characters_in_header_values_are_sent_as_spaces(catalina, how, value, sent):
    status, headers, body, head = get(catalina.port, f"/testapp/behave/header?how={how}&v={value}")
    assert (status, body) == (200, b"set")
    assert "x-inj" not in headers
    lines = [line for line in head.split(b"\r\n") if line.lower().startswith(b"x-echo:")]
    assert lines == ([] if sent is None else [b"X-Echo: " + sent])


@pytest.mark.parametrize(
    ("value", "location"),
    [
        ("/x%0d%0aX-Inj:1", b"/x  X-Inj:1"),
        ("other", b"other"),
        ("../x", b"../x"),
        ("http://e/x", b"http://e/x"),
        ("a%C4%80b", None),
    ],
)
def test_redirect_targets_as_tomcat_sends_them(catalina, value, location):
    status, headers, _, head = get(catalina.port, f"/testapp/behave/header?how=redirect&v={value}")
    assert status == 302 and "x-inj" not in headers
    lines = [line for line in head.split(b"\r\n") if line.lower().startswith(b"location:")]
    assert lines == ([] if location is None else [b"Location: " + location])


@pytest.mark.parametrize(
    ("value", "location"),
    [
        ("other", "/testapp/behave/other"),
        ("../x/./y", "/testapp/x/y"),
        ("/abs", "/abs"),
        ("?q=1", "/testapp/behave/?q=1"),
    ],
)
def test_http10_redirect_targets_are_made_absolute(catalina, value, location):
    status, headers, _, _ = exchange(
        catalina.port, f"GET /testapp/behave/header?how=redirect&v={value} HTTP/1.0\r\nHost: h:81\r\n\r\n".encode()
    )
    assert status == 302 and headers["location"] == "http://h:81" + location
    status, headers, _, _ = exchange(
        catalina.port, b"GET /testapp/behave/header?how=redirect&v=//h/p HTTP/1.0\r\nHost: h:81\r\n\r\n"
    )
    assert headers["location"] == "http://h/p"


# -- differences the differential test found (FINDINGS.md, "found by difftest") ------------------
def test_an_empty_host_and_an_ipv6_host_as_tomcat_reports_them(catalina):
    raw = exchange(catalina.port, b"GET /testapp/behave/encodings HTTP/1.1\r\nHost:\r\nConnection: close\r\n\r\n")[2]
    data = json.loads(raw)
    assert (data["server_name"], data["server_port"]) == ("", catalina.port)
    for host, port in (("[::1]:80", 80), ("[::1]", 80), ("[::1]:8443", 8443)):
        request = f"GET /testapp/behave/encodings HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
        data = json.loads(exchange(catalina.port, request.encode())[2])
        assert (data["server_name"], data["server_port"]) == ("[::1]", port)


def test_an_unknown_form_charset_falls_back_to_the_context_encoding(catalina):
    body = b"a=%C3%A9"
    status, _, raw, _ = exchange(
        catalina.port,
        b"POST /testapp/behave/params HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        b"Content-Type: application/x-www-form-urlencoded; charset=bogus\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (len(body), body),
    )
    assert (status, json.loads(raw)) == (200, {"a": ["\u00e9"]})


def _etag(port: int) -> str:
    return get(port, "/testapp/static/hello.txt")[1]["etag"]


def test_conditional_and_range_answers_carry_tomcats_headers(catalina):
    etag = _etag(catalina.port)
    status, headers, _, _ = get(catalina.port, "/testapp/static/hello.txt", extra=f"If-None-Match: {etag}\r\n")
    assert status == 304 and headers["etag"] == etag
    assert "accept-ranges" not in headers and "last-modified" not in headers and "content-type" not in headers
    status, headers, _, _ = get(catalina.port, "/testapp/static/hello.txt", extra='If-Match: "other"\r\n')
    assert status == 412
    assert not {"etag", "accept-ranges", "last-modified"} & set(headers)
    status, headers, _, _ = get(catalina.port, "/testapp/static/hello.txt", extra="Range: bytes=100000-\r\n")
    assert status == 416 and headers["accept-ranges"] == "bytes" and headers["content-range"].startswith("bytes */")
    assert "etag" not in headers and "last-modified" not in headers
    status, headers, _, head = get(catalina.port, "/testapp/static/hello.txt", extra="Range: bytes=0-0,2-2\r\n")
    assert status == 206 and {"etag", "last-modified", "accept-ranges"} <= set(headers)
    assert b"Content-Type: multipart/byteranges; boundary=" in head


def test_a_static_error_page_has_no_validators(catalina):
    status, headers, body, _ = get(catalina.port, "/testapp/behave/send_error?code=451")
    assert status == 451 and body == (TEST_WEBAPPS / "testapp" / "static" / "hello.txt").read_bytes()
    assert not {"etag", "accept-ranges", "last-modified"} & set(headers)


def test_the_404_of_the_default_servlet_and_the_error_report(catalina):
    status, headers, body, _ = get(catalina.port, "/testapp/static/nothing")
    assert status == 404
    assert b"The requested resource [/testapp/static/nothing] is not available" in body
    assert headers["content-language"] == "en"


def test_a_forward_into_web_inf_is_served_and_an_include_of_nothing_fails(catalina):
    status, _, body, _ = get(catalina.port, "/testapp/behave/dispatch?mode=forward&to=/WEB-INF/secret/data.txt")
    assert status == 200 and body == (TEST_WEBAPPS / "testapp" / "WEB-INF" / "secret" / "data.txt").read_bytes()
    assert get(catalina.port, "/testapp/WEB-INF/secret/data.txt")[0] == 404
    assert get(catalina.port, "/testapp/behave/dispatch?mode=include&to=/static/nothing")[0] == 500


def test_a_304_set_by_a_servlet_has_no_content_type(catalina):
    status, headers, body, _ = get(catalina.port, "/testapp/behave/status_then_write?code=304")
    assert (status, body) == (304, b"") and "content-type" not in headers
    # 204 keeps it (a special case of Tomcat's prepareResponse), 205 not.
    status, headers, _, _ = get(catalina.port, "/testapp/behave/status_then_write?code=204")
    assert status == 204 and headers["content-type"] == "text/plain;charset=UTF-8"
    status, headers, _, _ = get(catalina.port, "/testapp/behave/status_then_write?code=205")
    assert status == 205 and "content-type" not in headers


def test_no_more_body_than_the_declared_content_length(catalina):
    status, headers, body, _ = get(catalina.port, "/testapp/behave/short_length")
    assert (status, headers["content-length"], body) == (200, "3", b"DIF")


def test_utf16_is_written_big_endian_with_one_byte_order_mark(catalina):
    status, headers, body, _ = get(catalina.port, "/testapp/behave/utf16")
    assert headers["content-type"] == "text/plain;charset=UTF-16"
    assert body == b"\xfe\xff\x00a\x00b"


def test_request_cookies_as_tomcat_parses_them(catalina):
    status, _, body, _ = get(catalina.port, "/testapp/behave/cookies", extra="Cookie: a; b=caf\xc3\xa9; c=1\r\n")
    assert json.loads(body) == [["a", ""], ["b", "caf\u00e9"], ["c", "1"]]


def test_the_context_root_redirect_keeps_the_session_id_of_the_url(catalina):
    status, headers, _, _ = get(catalina.port, "/testapp;jsessionid=abc?x=1")
    assert status == 302 and headers["location"] == "/testapp/;jsessionid=abc?x=1"


def test_max_parameter_count(make_server):
    server = make_server(webapps={"testapp": TEST_WEBAPPS / "testapp"}, connector_attrs='maxParameterCount="1000"')
    server.start()
    query = "&".join(f"p{i}=1" for i in range(1005))
    status, _, body, _ = get(server.port, f"/testapp/behave/params?{query}")
    assert status == 200 and len(json.loads(body)) == 1000
    form = "&".join(f"f{i}=1" for i in range(1001)).encode()
    status, _, body, _ = exchange(
        server.port,
        b"POST /testapp/behave/params?q=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s" % (len(form), form),
    )
    params = json.loads(body)
    assert status == 200 and len(params) == 1000 and "q" in params and "f998" in params and "f999" not in params
    assert "maxParameterCount (1000)" in wait_for_output(server, "maxParameterCount (1000)")


def test_a_header_name_that_is_not_a_token_is_not_sent(catalina):
    status, headers, body, head = get(catalina.port, "/testapp/behave/header?how=set&name=X%0D%0AB&v=1")
    assert (status, body) == (200, b"set")
    assert b"\r\nB" not in head and b"X  B" not in head


def test_non_ascii_cookie_values_are_sent_as_utf8(catalina):
    status, _, _, head = get(catalina.port, "/testapp/behave/raw_cookie?value=caf%C3%A9")
    assert status == 200 and b"\r\nSet-Cookie: n=caf\xc3\xa9" in head
    status, _, _, head = get(catalina.port, "/testapp/behave/raw_cookie?value=%C4%80")
    assert status == 200 and b"\r\nSet-Cookie: n=\xc4\x80" in head


def test_a_forward_merges_parameters_in_tomcats_order(catalina):
    status, _, body, _ = get(
        catalina.port, "/testapp/behave/dispatch?mode=forward&to=/behave/params%3Fq%3D1%26mode%3Dx"
    )
    assert status == 200
    assert list(json.loads(body).items()) == [
        ("mode", ["x", "forward"]),
        ("to", ["/behave/params?q=1&mode=x"]),
        ("q", ["1"]),
    ]


def test_the_reader_fails_on_malformed_input(catalina):
    def post(body: bytes, ctype: str = "text/plain") -> tuple[int, bytes]:
        status, _, raw, _ = exchange(
            catalina.port,
            b"POST /testapp/behave/reader HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: %s\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (ctype.encode(), len(body), body),
        )
        return status, raw

    assert post("caf\u00e9 \U0001f600".encode()) == (200, json.dumps({"text": "caf\u00e9 \U0001f600"}).encode())
    assert post(b"caf\xe9", "text/plain; charset=ISO-8859-1")[0] == 200
    assert post(b"caf\xe9")[0] == 500  # not UTF-8: Tomcat's reader reports it (500)
    assert post(b"\xed\xa0\x80")[0] == 500


def test_an_error_without_a_page_still_says_its_language(catalina):
    status, headers, body, _ = get(catalina.port, "/testapp/behave/send_error?code=599")
    assert (status, body) == (599, b"") and headers["content-language"] == "en"
