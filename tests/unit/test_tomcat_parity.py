"""Unit tests of the pieces that make the container answer as Tomcat 10.1
(issue 10): parameter parsing and its log, header values, cookie
validation, absolute redirect locations, trailer fields, the server name
of a request without Host, the ServletContext encodings and the
``allowLinking``/``allowedTrailerHeaders`` configuration. No sockets; the
integration side is tests/integration/test_tomcat_parity.py."""

from __future__ import annotations

import logging
import types

import pytest

from catalina_py.config.context_spec import load_context_descriptor
from catalina_py.config.server_xml import load_server_xml
from catalina_py.container.request import ParameterErrorLog, local_name
from catalina_py.container.response import Response, absolute_location, header_value
from catalina_py.http.headers import Headers
from catalina_py.servlet.cookies import Cookie, format_set_cookie, validate_cookie
from catalina_py.servlet.params import parse_form
from tests.unit.test_servlet_api import make_request


# -- parameters ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("query", "kept", "skipped"),
    [
        ("a=%zz&b=1", {"b": ["1"]}, ["a=%zz"]),
        ("%zz=2&c=%2&d=%&h=%2x&g=%u0041", {}, ["%zz=2", "c=%2", "d=%", "h=%2x", "g=%u0041"]),
        ("=x&e&f=1+2&i=%41%42", {"e": [""], "f": ["1 2"], "i": ["AB"]}, []),
        ("j=%E9", {"j": ["\ufffd"]}, []),  # undecodable: kept, replaced
    ],
)
def test_parse_form_drops_invalid_percent_encoding(query, kept, skipped):
    out: dict[str, list[str]] = {}
    assert parse_form(query, "UTF-8", out) == skipped
    assert out == kept


def test_parameter_errors_are_logged_at_info_once_then_debug(caplog):
    errors = ParameterErrorLog(logging.getLogger("test.parameters"), quiet_seconds=3600)
    with caplog.at_level(logging.DEBUG, logger="test.parameters"):
        errors.report(["a=%zz", "b=%"])
        errors.report(["c=%1"])
    levels = [(record.levelname, record.getMessage()[:60]) for record in caplog.records]
    assert [level for level, _ in levels] == ["INFO", "DEBUG", "DEBUG"]
    assert "parameter [a] with value [%zz]" in caplog.records[0].getMessage()
    assert "DEBUG level" in caplog.records[0].getMessage()
    errors.last_info = (errors.last_info or 0) - 3600  # the quiet time is over
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="test.parameters"):
        errors.report(["d=%"])
    assert [record.levelname for record in caplog.records] == ["INFO"]


def test_the_body_defaults_to_iso_8859_1_without_any_encoding():
    body = b"c=%E2%82%AC"
    request = make_request(
        b"POST /p HTTP/1.1\r\nHost: h\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: %d\r\n\r\n" % len(body),
        body,
    )
    assert request.get_character_encoding() is None
    assert request.get_parameter("c") == "\u00e2\u0082\u00ac"


def test_the_context_request_encoding_applies_when_the_request_names_none():
    request = make_request(b"GET /p HTTP/1.1\r\nHost: h\r\n\r\n")
    request.mapping = types.SimpleNamespace(context=types.SimpleNamespace(request_character_encoding="UTF-8"))
    assert request.get_character_encoding() == "UTF-8"


# -- trailers, server name ------------------------------------------------------
def test_trailer_fields_only_for_allowed_names():
    request = make_request(b"POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n")
    request._channel.trailers = Headers([("X-Sum", "1"), ("Expires", "0"), ("x-sum", "2")])
    assert request.get_trailer_fields() == {}
    request._channel.allowed_trailer_headers = frozenset({"x-sum"})
    assert request.get_trailer_fields() == {"x-sum": "1,2"}


def test_http10_without_host_uses_the_local_name():
    request = make_request(b"GET /p HTTP/1.0\r\n\r\n")
    assert request.get_server_name() == local_name("127.0.0.1")
    assert request.get_server_port() == 8080
    assert local_name("") == ""
    with_host = make_request(b"GET /p HTTP/1.0\r\nHost: h:81\r\n\r\n")
    assert (with_host.get_server_name(), with_host.get_server_port()) == ("h", 81)


# -- header values ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "sent"),
    [
        ("plain value", "plain value"),
        ("a\r\nX-Inj: 1", "a  X-Inj: 1"),
        ("a\x00b\x07c\x7fd\x1fe", "a b c d e"),
        ("tab\tkept", "tab\tkept"),
        ("caf\u00e9 \x85", "caf\u00e9 \x85"),
        ("wide \u0100", None),
        ("line \u2028 sep", None),
    ],
)
def test_header_value_as_tomcat_sends_it(value, sent):
    assert header_value("X", value) == sent


def test_set_header_add_header_and_content_type_are_cleaned():
    request = make_request(b"GET /p HTTP/1.1\r\nHost: h\r\n\r\n")
    response = Response(request._channel, request)
    response.set_header("X-A", "1\r\nX-B: 2")
    response.add_header("X-C", "\u0100")
    response.set_header("X-D", "ok")
    response.set_header("X-D", "\u0100")  # removes it
    response.set_content_type("text/html\r\nX-E: 1")
    items = response.header_items()
    assert ("X-A", "1  X-B: 2") in items
    assert all(name not in ("X-C", "X-D") for name, _ in items)
    assert ("Content-Type", "text/html  X-E: 1") in items


# -- cookies ---------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["b\r\nX:1", "a b", "a,b", "a;b", "a\\b", 'a"b', "a\x7fb", "a\tb"])
def test_invalid_cookie_values_are_refused_at_add_cookie(value):
    request = make_request(b"GET /p HTTP/1.1\r\nHost: h\r\n\r\n")
    response = Response(request._channel, request)
    with pytest.raises(ValueError, match="invalid character"):
        response.add_cookie(Cookie("n", value))
    assert not any(name == "Set-Cookie" for name, _ in response.header_items())


@pytest.mark.parametrize("value", ['"ab"', "a=b", "\u00e9", "\u0100", "", '"'])
def test_cookie_values_tomcat_accepts(value):
    if value == '"':
        with pytest.raises(ValueError):
            validate_cookie(Cookie("n", value))
        return
    validate_cookie(Cookie("n", value))
    sent = value.encode("utf-8").decode("latin-1")  # the header's bytes are UTF-8, as Tomcat's
    assert format_set_cookie(Cookie("n", value), 0).startswith(f"n={sent}")


def test_cookie_path_domain_and_attributes_are_checked():
    for attribute in ("path", "domain"):
        cookie = Cookie("n", "v")
        setattr(cookie, attribute, "/a;\r\nX: 1")
        with pytest.raises(ValueError):
            validate_cookie(cookie)
    cookie = Cookie("n", "v")
    cookie.set_attribute("SameSite", "Lax\r\n")
    with pytest.raises(ValueError):
        validate_cookie(cookie)
    with pytest.raises(ValueError):
        Cookie("a b", "v")


# -- redirects -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("location", "absolute"),
    [
        ("other", "http://h:81/a/b/other"),
        ("../x/./y", "http://h:81/a/x/y"),
        ("../../../x", "http://h:81/x"),
        ("./", "http://h:81/a/b/"),
        ("?q=1", "http://h:81/a/b/?q=1"),
        ("/abs", "http://h:81/abs"),
        ("//other/p", "http://other/p"),
        ("https://e/x", "https://e/x"),
        ("mailto:x@y", "mailto:x@y"),
    ],
)
def test_absolute_location_as_tomcat_to_absolute(location, absolute):
    request = make_request(b"GET /a/b/c HTTP/1.0\r\nHost: h:81\r\n\r\n")
    assert absolute_location(request, location) == absolute


def test_default_port_is_left_out():
    request = make_request(b"GET /a HTTP/1.0\r\nHost: h\r\n\r\n")
    assert absolute_location(request, "/x") == "http://h/x"


def test_send_redirect_keeps_relative_locations_on_http11():
    request = make_request(b"GET /a/b HTTP/1.1\r\nHost: h\r\n\r\n")
    response = Response(request._channel, request)
    response.send_redirect("other\r\nX: 1")
    assert response.get_header("Location") == "other  X: 1"


# -- configuration ----------------------------------------------------------------------
def test_resources_allow_linking_in_a_context_descriptor(tmp_path):
    path = tmp_path / "app.xml"
    path.write_text('<Context>\n  <Resources allowLinking="true" cachingAllowed="false"/>\n</Context>\n')
    spec, warnings = load_context_descriptor(str(path), "/app", {})
    assert spec.allow_linking is True
    assert [w for w in warnings if "cachingAllowed" in str(w)]
    path.write_text('<Context allowLinking="true"/>\n')
    assert load_context_descriptor(str(path), "/app", {})[0].allow_linking is True
    path.write_text("<Context/>\n")
    assert load_context_descriptor(str(path), "/app", {})[0].allow_linking is False


def test_connector_allowed_trailer_headers(tmp_path):
    path = tmp_path / "server.xml"
    path.write_text(
        '<Server port="-1"><Service name="Catalina">'
        '<Connector port="8080" allowedTrailerHeaders="X-Sum, Digest ,"/>'
        '<Engine name="Catalina" defaultHost="localhost"><Host name="localhost"/></Engine>'
        "</Service></Server>"
    )
    spec, warnings = load_server_xml(str(path), {})
    (connector,) = spec.services[0].connectors
    assert connector.allowed_trailer_headers == frozenset({"x-sum", "digest"})
    assert not [w for w in warnings if "allowedTrailerHeaders" in str(w)]


def test_servlet_context_encodings_can_be_set_only_while_starting():
    from catalina_py.container.application_context import ApplicationContext
    from catalina_py.servlet.exceptions import IllegalStateError

    state = types.SimpleNamespace(
        name="app",
        request_character_encoding=None,
        response_character_encoding="UTF-8",
        available=False,
        is_available=lambda: state.available,
        display_path=lambda: "/app",
    )
    context = ApplicationContext(state)  # type: ignore[arg-type]
    assert (context.get_request_character_encoding(), context.get_response_character_encoding()) == (None, "UTF-8")
    context.set_request_character_encoding("ISO-8859-1")
    context.set_response_character_encoding(None)
    assert (state.request_character_encoding, state.response_character_encoding) == ("ISO-8859-1", None)
    with pytest.raises(LookupError):
        context.set_request_character_encoding("no-such-charset")
    state.available = True
    with pytest.raises(IllegalStateError):
        context.set_response_character_encoding("UTF-8")


def test_max_parameter_count_keeps_the_first_ones(caplog):
    from catalina_py.servlet.params import TooManyParametersError

    out: dict[str, list[str]] = {"q": ["1"]}
    with pytest.raises(TooManyParametersError):
        parse_form("a=1&b=2&a=3&c=4", "UTF-8", out, max_count=3)
    assert out == {"q": ["1"], "a": ["1"], "b": ["2"]}
    out = {}
    assert parse_form("a=1&b=2", "UTF-8", out, max_count=-1) == [] and len(out) == 2
    query = "&".join(f"p{i}=1" for i in range(12))
    request = make_request(f"GET /p?{query} HTTP/1.1\r\nHost: h\r\n\r\n".encode())
    request._channel.max_parameter_count = 10
    with caplog.at_level(logging.INFO, logger="catalina_py.container.parameters"):
        names = request.get_parameter_names()
    assert names == [f"p{i}" for i in range(10)]


def test_merge_parameters_in_tomcats_order():
    from catalina_py.servlet.params import merge_parameters

    merged = merge_parameters({"q": ["1"], "a": ["new"]}, {"to": ["x"], "a": ["old"]})
    assert list(merged.items()) == [("to", ["x"]), ("a", ["new", "old"]), ("q", ["1"])]


def test_a_header_name_that_is_not_a_token_is_refused():
    request = make_request(b"GET /p HTTP/1.1\r\nHost: h\r\n\r\n")
    response = Response(request._channel, request)
    response.set_header("X\r\nB", "1")
    response.add_header("X Y", "1")
    response.set_header("X-Ok", "1")
    assert [name for name, _ in response.header_items()] == ["X-Ok"]
