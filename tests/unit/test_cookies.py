"""Cookies as Tomcat 10.1's Rfc6265CookieProcessor handles them: request
``Cookie`` parsing, the checks made at ``add_cookie`` and the ``Set-Cookie``
header written (the answers below were taken from Tomcat 10.1.60's
processor and jakarta.servlet.http.Cookie)."""

from __future__ import annotations

import pytest

from catalina_py.container.response import Response
from catalina_py.servlet.cookies import Cookie, format_set_cookie, parse_cookie_header, validate_cookie
from tests.unit.test_servlet_api import make_request


def pairs(*headers: str) -> list[tuple[str, str]]:
    return [(c.get_name(), c.get_value()) for c in parse_cookie_header(list(headers))]


# -- request cookies ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ('a="b;c"', [("a", "b")]),  # a ";" ends the value even inside quotes
        ('a="b;c"; d=e', [("a", "b"), ("d", "e")]),
        ('a="quoted"', [("a", "quoted")]),
        ('a=""', [("a", "")]),
        ('a="b', [("a", "b")]),  # unterminated quote: the value up to the end
        ('a="q"x; d=e', [("d", "e")]),  # junk after the closing quote: the pair is dropped
        ("a", [("a", "")]),  # a bare name: an empty value
        ("a=b; c", [("a", "b"), ("c", "")]),
        ("a=", [("a", "")]),
        ("a= b ", [("a", "b")]),
        ("=b; c=d", [("c", "d")]),
        ("a b=c; d=e", [("d", "e")]),
        ("a=b c; d=e", [("d", "e")]),
        ("a=b,c=d", []),
        ("a=b;;c=d", [("a", "b"), ("c", "d")]),
        ("a=b\t; c=d", [("a", "b"), ("c", "d")]),
        ("a=b=c", [("a", "b=c")]),
        ("a=\x01; c=d", [("c", "d")]),
        ("a=caf\xc3\xa9", [("a", "caf\u00e9")]),  # raw UTF-8 bytes (the header as latin-1 text)
        ('a="caf\xc3\xa9"', [("a", "caf\u00e9")]),
        ("$Version=1; a=b", [("$Version", "1"), ("a", "b")]),
        ("A=1; a=2", [("A", "1"), ("a", "2")]),
        (";", []),
        ("", []),
    ],
)
def test_request_cookie_header_parsed_as_tomcat(header, expected):
    assert pairs(header) == expected


def test_request_cookies_from_several_headers():
    assert pairs("a=b", 'c="d;e"', "f") == [("a", "b"), ("c", "d"), ("f", "")]


def test_request_cookies_reach_the_servlet():
    request = make_request(b'GET / HTTP/1.1\r\nHost: h\r\nCookie: a="b;c"; n\r\nCookie: u=caf\xc3\xa9\r\n\r\n')
    assert [(c.get_name(), c.get_value()) for c in request.get_cookies()] == [("a", "b"), ("n", ""), ("u", "café")]


# -- Set-Cookie --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "domain",
    [".Example.COM", ".example.com", "a..b", "a-.b", "-a.b", "a.b-", "a.b.", "a_b.c", "[::1]", "café.com", "a;b"],
)
def test_invalid_domain_refused_at_add_cookie(domain):
    cookie = Cookie("a", "b")
    cookie.set_domain(domain)
    response = Response(make_request(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n")._channel, None)
    with pytest.raises(ValueError, match="invalid domain"):
        response.add_cookie(cookie)
    assert not [v for n, v in response.header_items() if n == "Set-Cookie"]


@pytest.mark.parametrize(
    ("domain", "written"),
    [("Example.COM", "example.com"), ("1.2.3.4", "1.2.3.4"), ("xn--a.b", "xn--a.b"), ("a", "a"), ("a-b.c", "a-b.c")],
)
def test_valid_domain_written_lower_case(domain, written):
    cookie = Cookie("a", "b")
    cookie.set_domain(domain)
    assert format_set_cookie(cookie, 0) == f"a=b; Domain={written}"


@pytest.mark.parametrize(
    ("name", "value", "header"),
    [
        ("Partitioned", "", "a=b"),
        ("Partitioned", "x", "a=b"),
        ("Partitioned", "true", "a=b; Partitioned"),
        ("Partitioned", "TRUE", "a=b; Partitioned"),
        ("SameSite", "Strict", "a=b; SameSite=Strict"),
        ("SameSite", "", "a=b; SameSite="),
        ("X", "", "a=b; X="),
        ("X", "1", "a=b; X=1"),
        ("X", 'a b,\\"=', 'a=b; X=a b,\\"='),
        ("Secure", "", "a=b"),
        ("Secure", "true", "a=b; Secure"),
        ("HttpOnly", "true", "a=b; HttpOnly"),
        ("HttpOnly", "yes", "a=b"),
        ("Domain", "Ex.com", "a=b; Domain=Ex.com"),
        ("Domain", "", "a=b"),
        ("Path", "/p", "a=b; Path=/p"),
        ("Path", "", "a=b"),
        ("Comment", "c", "a=b"),
        ("Expires", "foo", "a=b; Expires=foo"),
        ("$x", "5", "a=b; $x=5"),
    ],
)
def test_attributes_written_as_tomcat(name, value, header):
    cookie = Cookie("a", "b")
    cookie.set_attribute(name, value)
    assert format_set_cookie(cookie, 0) == header


@pytest.mark.parametrize("name", ["Max-Age", "max-age", "MAX-AGE"])
def test_max_age_attribute_is_set_max_age(name):
    cookie = Cookie("a", "b")
    cookie.set_attribute(name, "10")
    assert cookie.get_max_age() == 10
    assert format_set_cookie(cookie, 1e9) == "a=b; Max-Age=10; Expires=Sun, 09 Sep 2001 01:46:50 GMT"
    cookie.set_attribute(name, "0")
    assert format_set_cookie(cookie, 1e9) == "a=b; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:10 GMT"
    cookie.set_attribute(name, "-5")
    assert format_set_cookie(cookie, 1e9) == "a=b"
    cookie.set_attribute(name, "7")
    cookie.set_attribute(name, None)
    assert format_set_cookie(cookie, 1e9) == "a=b"
    for bad in ("abc", " 7", "1.5", ""):
        with pytest.raises(ValueError):
            cookie.set_attribute(name, bad)


def test_attribute_order_as_tomcat():
    cookie = Cookie("a", "b")
    cookie.set_attribute("Z", "1")
    cookie.set_attribute("SameSite", "Lax")
    cookie.set_attribute("b", "2")
    cookie.set_max_age(5)
    cookie.set_path("/x")
    cookie.set_domain("e.com")
    cookie.set_secure(True)
    cookie.set_http_only(True)
    cookie.set_attribute("Partitioned", "true")
    assert format_set_cookie(cookie, 1e9) == (
        "a=b; Max-Age=5; Expires=Sun, 09 Sep 2001 01:46:45 GMT; Domain=e.com; Path=/x; Secure; HttpOnly;"
        " SameSite=Lax; Partitioned; b=2; Z=1"
    )


def test_attribute_names_are_case_insensitive():
    cookie = Cookie("a", "b")
    cookie.set_attribute("x", "1")
    cookie.set_attribute("X", "2")
    assert cookie.get_attribute("X") == "2"
    assert cookie.get_attributes() == {"x": "2"}
    assert format_set_cookie(cookie, 0) == "a=b; x=2"
    cookie.set_attribute("X", None)
    assert format_set_cookie(cookie, 0) == "a=b"


@pytest.mark.parametrize("name", ["X;Y", "", "a b", "\u00e9"])
def test_attribute_name_must_be_a_token(name):
    with pytest.raises(ValueError):
        Cookie("a", "b").set_attribute(name, "1")


@pytest.mark.parametrize("value", ["\u00e9", "\t", "\x7f", "\x01", "v;1", "\u0100"])
def test_invalid_attribute_values_refused(value):
    cookie = Cookie("a", "b")
    cookie.set_attribute("X", value)
    with pytest.raises(ValueError):
        validate_cookie(cookie)


def test_path_checked():
    cookie = Cookie("a", "b")
    cookie.set_path("/\u00e9")
    with pytest.raises(ValueError):
        validate_cookie(cookie)
    cookie.set_path("/a b")
    assert format_set_cookie(cookie, 0) == "a=b; Path=/a b"


def test_header_made_at_add_cookie():
    # Tomcat writes the header in addCookie: a later change is not sent.
    response = Response(make_request(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n")._channel, None)
    cookie = Cookie("a", "b")
    response.add_cookie(cookie)
    cookie.set_value("changed\r\n")
    assert [v for n, v in response.header_items() if n == "Set-Cookie"] == ["a=b"]


def test_set_cookie_is_a_header_in_call_order():
    # Tomcat's addCookie adds a Set-Cookie header: it keeps its place among
    # the other headers and get_headers() shows it.
    response = Response(make_request(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n")._channel, None)
    response.add_header("X-A", "1")
    response.add_cookie(Cookie("a", "b"))
    response.add_header("X-B", "2")
    response.add_cookie(Cookie("c", "d"))
    assert response.get_headers("Set-Cookie") == ["a=b", "c=d"]
    assert response.contains_header("set-cookie")
    names = [n for n, _ in response.header_items() if n in ("X-A", "X-B", "Set-Cookie")]
    assert names == ["X-A", "Set-Cookie", "X-B", "Set-Cookie"]
    response.reset()
    assert response.get_headers("Set-Cookie") == []


def test_session_cookie_replaces_one_of_the_same_name():
    response = Response(make_request(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n")._channel, None)
    response.add_cookie(Cookie("JSESSIONID", "old"))
    response.add_cookie(Cookie("other", "x"))
    response.add_session_cookie(Cookie("JSESSIONID", "new"))
    response.add_session_cookie(Cookie("JSESSIONID", "new"))
    assert response.get_headers("Set-Cookie") == ["JSESSIONID=new", "other=x"]
    response.add_session_cookie(Cookie("S", "1"))
    assert response.get_headers("Set-Cookie") == ["JSESSIONID=new", "other=x", "S=1"]
