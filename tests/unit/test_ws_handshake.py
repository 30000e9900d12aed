"""Tests for catalina_py.websocket.core.handshake: the RFC 6455 handshake."""

from __future__ import annotations

import base64

import pytest

from catalina_py.http.headers import Headers
from catalina_py.websocket.core.handshake import (
    HandshakeError,
    accept_key,
    check_origin,
    is_upgrade_request,
    missing_upgrade_error,
    negotiate_subprotocol,
    origin_error,
    parse_header_list,
    response_headers,
    validate_request,
)

KEY = "dGhlIHNhbXBsZSBub25jZQ=="


def good_headers(**overrides: str | None) -> Headers:
    fields = {
        "Host": "example.com",
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Key": KEY,
        "Sec-WebSocket-Version": "13",
    }
    fields.update({k.replace("_", "-"): v for k, v in overrides.items()})
    return Headers([(k, v) for k, v in fields.items() if v is not None])


def test_accept_key_rfc_sample() -> None:
    assert accept_key(KEY) == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def test_accept_key_matches_websockets() -> None:
    from websockets.utils import accept_key as ws_accept
    from websockets.utils import generate_key

    for _ in range(5):
        key = generate_key()
        assert accept_key(key) == ws_accept(key)


@pytest.mark.parametrize(
    "method, upgrade, expected",
    [
        ("GET", "websocket", True),
        ("GET", "WebSocket", True),
        ("GET", "h2c, websocket", True),
        ("POST", "websocket", False),
        ("GET", "h2c", False),
        ("GET", None, False),
    ],
)
def test_is_upgrade_request(method: str, upgrade: str | None, expected: bool) -> None:
    assert is_upgrade_request(method, good_headers(Upgrade=upgrade)) is expected


def test_validate_request_ok() -> None:
    assert validate_request("GET", "HTTP/1.1", good_headers()) == KEY
    headers = good_headers(Connection="keep-alive, Upgrade")
    assert validate_request("GET", "HTTP/1.1", headers) == KEY


@pytest.mark.parametrize(
    "method, version, overrides, status",
    [
        ("POST", "HTTP/1.1", {}, 400),
        ("GET", "HTTP/2.0", {}, 400),
        ("GET", "HTTP/1.1", {"Upgrade": "h2c"}, 400),
        ("GET", "HTTP/1.1", {"Connection": "keep-alive"}, 400),
        ("GET", "HTTP/1.1", {"Connection": None}, 400),
        ("GET", "HTTP/1.1", {"Sec_WebSocket_Version": "8"}, 426),
        ("GET", "HTTP/1.1", {"Sec_WebSocket_Version": None}, 426),
        ("GET", "HTTP/1.1", {"Sec_WebSocket_Version": "8, 7"}, 426),
        ("GET", "HTTP/1.1", {"Sec_WebSocket_Version": "013"}, 426),
        ("GET", "HTTP/1.1", {"Sec_WebSocket_Key": KEY + ", " + KEY}, 400),
        ("GET", "HTTP/1.1", {"Sec_WebSocket_Key": "-_AAAAAAAAAAAAAAAAAAAA=="}, 400),
        ("GET", "HTTP/1.1", {"Sec_WebSocket_Key": "AAAAAAAAAAAAAAAAAAAAAAAA"}, 400),
        ("GET", "HTTP/1.1", {"Sec_WebSocket_Key": None}, 400),
        ("GET", "HTTP/1.1", {"Sec_WebSocket_Key": "not base64!!"}, 400),
        ("GET", "HTTP/1.1", {"Sec_WebSocket_Key": base64.b64encode(b"x" * 15).decode()}, 400),
        ("GET", "HTTP/1.1", {"Sec_WebSocket_Key": base64.b64encode(b"x" * 17).decode()}, 400),
    ],
)
def test_validate_request_errors(method: str, version: str, overrides: dict, status: int) -> None:
    with pytest.raises(HandshakeError) as info:
        validate_request(method, version, good_headers(**overrides))
    assert info.value.status == status
    assert info.value.body
    if status == 426:
        assert ("Sec-WebSocket-Version", "13") in info.value.headers


def test_validate_order_connection_before_version() -> None:
    # Tomcat's order: Connection (400) is checked before the version (426).
    headers = good_headers(Connection="close", Sec_WebSocket_Version="8")
    with pytest.raises(HandshakeError) as info:
        validate_request("GET", "HTTP/1.1", headers)
    assert info.value.status == 400


def test_duplicated_key_uses_the_first_as_tomcat_does() -> None:
    # Tomcat reads getHeader("Sec-WebSocket-Key"): the first line; the
    # others are not looked at (a bad second one does not matter).
    other = base64.b64encode(b"y" * 16).decode()
    for second in (KEY, other, "bad"):
        headers = good_headers()
        headers.add("Sec-WebSocket-Key", second)
        assert validate_request("GET", "HTTP/1.1", headers) == KEY
    headers = good_headers(Sec_WebSocket_Key="bad")
    headers.add("Sec-WebSocket-Key", KEY)
    with pytest.raises(HandshakeError) as info:
        validate_request("GET", "HTTP/1.1", headers)
    assert info.value.status == 400


@pytest.mark.parametrize("versions", [["13, 8"], ["8, 13"], ["8", "13"], ["13", "8"], [" 13 "]])
def test_version_lists_naming_13_are_accepted_as_tomcat_does(versions: list[str]) -> None:
    headers = good_headers(Sec_WebSocket_Version=None)
    for value in versions:
        headers.add("Sec-WebSocket-Version", value)
    assert validate_request("GET", "HTTP/1.1", headers) == KEY


def test_http10_upgrade_is_accepted_as_tomcat_does() -> None:
    checks: list[tuple[str, bool, str]] = []
    assert validate_request("GET", "HTTP/1.0", good_headers(), lambda *c: checks.append(c)) == KEY
    assert ("http-version", True, "HTTP/1.0 (accepted, as Tomcat does)") in checks


def test_missing_upgrade_error() -> None:
    error = missing_upgrade_error(Headers([("Host", "h")]))
    assert error.status == 426
    assert ("Upgrade", "websocket") in error.headers
    assert "Upgrade: websocket" in error.body
    assert "Connection: upgrade" in error.body
    assert "proxy_http_version 1.1;" in error.body
    assert "proxy_set_header Upgrade $http_upgrade;" in error.body
    assert 'proxy_set_header Connection "upgrade";' in error.body
    # Only Connection missing: Upgrade is not named as missing.
    error = missing_upgrade_error(Headers([("Upgrade", "websocket"), ("Connection", "close")]))
    assert "Upgrade: websocket" not in error.body.split(".\n")[1]
    assert "got Connection: close" in error.body
    # A HEAD with both headers: the method is what is wrong.
    error = missing_upgrade_error(Headers([("Upgrade", "websocket"), ("Connection", "upgrade")]), "HEAD")
    assert "Missing from the request: nothing, but a handshake must be a GET, not a HEAD." in error.body


def test_parse_header_list() -> None:
    assert parse_header_list(["chat, superchat", " v2 ,,", ""]) == ["chat", "superchat", "v2"]
    assert parse_header_list([]) == []


@pytest.mark.parametrize(
    "offered, supported, expected",
    [
        (["chat", "superchat"], ["superchat", "chat"], "chat"),
        (["superchat", "chat"], ["chat", "superchat"], "superchat"),
        (["v1"], ["v2"], None),
        ([], ["v2"], None),
        (["Chat"], ["chat"], None),
    ],
)
def test_negotiate_subprotocol(offered: list[str], supported: list[str], expected: str | None) -> None:
    assert negotiate_subprotocol(offered, supported) == expected


@pytest.mark.parametrize(
    "origin, host, scheme, allowed, expected",
    [
        (None, "example.com", "http", None, True),
        ("http://example.com", "example.com", "http", None, True),
        ("http://example.com:80", "example.com", "http", None, True),
        ("http://example.com", "example.com:80", "http", None, True),
        ("https://example.com", "example.com:443", "https", None, True),
        ("HTTP://Example.COM", "example.com", "http", None, True),
        ("http://localhost:8080", "localhost:8080", "http", None, True),
        ("https://example.com", "example.com", "http", None, False),
        ("http://example.com:8080", "example.com", "http", None, False),
        ("http://evil.com", "example.com", "http", None, False),
        ("http://example.com", None, "http", None, False),
        ("null", "example.com", "http", None, False),
        ("http://[::1]:8080", "[::1]:8080", "http", None, True),
        ("http://evil.com", "example.com", "http", ["*"], True),
        ("http://a.com", "example.com", "http", ["http://a.com:80"], True),
        ("http://b.com", "example.com", "http", ["http://a.com"], False),
        ("http://example.com", "example.com", "http", ["http://a.com"], False),
        (None, None, "http", ["http://a.com"], True),
    ],
)
def test_check_origin(
    origin: str | None, host: str | None, scheme: str, allowed: list[str] | None, expected: bool
) -> None:
    assert check_origin(origin, host, scheme, allowed) is expected


def test_origin_error() -> None:
    error = origin_error("http://evil.com", "example.com")
    assert error.status == 403
    assert "Origin received: http://evil.com\n" in error.body
    assert "Origin expected: http://example.com " in error.body
    assert "the host differs" in error.body
    assert "proxy_set_header Host $http_host;" in error.body


def test_origin_error_behind_a_tls_proxy_names_the_scheme_not_the_host() -> None:
    # nginx terminates TLS and forwards Host right, but no RemoteIpValve
    # turns X-Forwarded-Proto into the request's scheme.
    error = origin_error("https://example.com", "example.com", "http")
    assert "Origin received: https://example.com\n" in error.body
    assert "Origin expected: http://example.com " in error.body
    assert "the scheme differs" in error.body
    assert "X-Forwarded-Proto" in error.body and "RemoteIpValve" in error.body
    assert "Host is right" in error.body
    assert "the host differs" not in error.body and "$http_host" not in error.body


def test_origin_error_port_mismatch_names_http_host() -> None:
    error = origin_error("http://example.com:8443", "example.com", "http")
    assert "Origin expected: http://example.com " in error.body
    assert "the port differs" in error.body and "$http_host" in error.body


@pytest.mark.parametrize(
    "origin, host, cause",
    [
        ("null", "example.com", "is not scheme://host[:port]"),
        ("http://example.com", None, "no Host header"),
        ("http://example.com", "catalina", "the host differs"),
        ("http://[::1]:8080", "[::1]:9090", "the port differs"),
        ("http://example.com:8443", "example.com:80", "another port than the browser used"),
        ("http://example.com:8443", "example.com", "nginx's $host drops it"),
    ],
)
def test_origin_error_causes(origin: str, host: str | None, cause: str) -> None:
    assert cause in origin_error(origin, host).body


def test_origin_error_with_an_allow_list_shows_the_list() -> None:
    error = origin_error("http://evil.com", "example.com", "http", ["http://a.com", "http://b.com"])
    assert "Origins allowed: http://a.com, http://b.com" in error.body
    assert "Origin expected" not in error.body
    error = origin_error("http://evil.com", "example.com", "http", None, by_configurator=True)
    assert "configurator" in error.body


def test_response_headers() -> None:
    assert response_headers(KEY, None, None) == [
        ("Upgrade", "websocket"),
        ("Connection", "upgrade"),
        ("Sec-WebSocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
    ]
    headers = response_headers(KEY, "chat", "permessage-deflate")
    assert headers[3:] == [("Sec-WebSocket-Protocol", "chat"), ("Sec-WebSocket-Extensions", "permessage-deflate")]


def test_websockets_client_request_validates_and_accepts_response() -> None:
    """A python-websockets client's request passes our validation and it
    accepts our 101 response (subprotocol included)."""
    from websockets.client import ClientProtocol
    from websockets.datastructures import Headers as WsHeaders
    from websockets.http11 import Response
    from websockets.protocol import State
    from websockets.uri import parse_uri

    client = ClientProtocol(parse_uri("ws://example.com/chat"), subprotocols=["v2", "v1"])
    request = client.connect()
    headers = Headers(list(request.headers.raw_items()))
    assert is_upgrade_request("GET", headers)
    key = validate_request("GET", "HTTP/1.1", headers)
    protocol = negotiate_subprotocol(parse_header_list(headers.get_all("Sec-WebSocket-Protocol")), ["v1", "v2"])
    assert protocol == "v2"
    response = Response(101, "Switching Protocols", WsHeaders(response_headers(key, protocol, None)))
    client.send_request(request)
    client.receive_data(response.serialize())
    assert client.state is State.OPEN
    assert client.subprotocol == "v2"
    assert client.handshake_exc is None
