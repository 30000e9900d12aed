"""RemoteIpValve: the X-Forwarded-For walk, scheme and port, spoofing."""

from __future__ import annotations

from typing import Any

import pytest

from catalina_py.config.valve_spec import TOMCAT_VALVES, resolve_valve_class
from catalina_py.container.pipeline import ValveBase
from catalina_py.container.request import Request
from catalina_py.container.valves.access_log_pattern import compile_pattern
from catalina_py.container.valves.remote_ip import RemoteIpValve, compile_proxies
from catalina_py.errors import ConfigError
from catalina_py.http.parser import RequestParser


class FakeChannel:
    #: The request is not traced (no observer admitted it).
    traced = False

    uri_encoding = "utf-8"
    local_addr, local_port, remote_port = "127.0.0.1", 8080, 40000

    proxy_name, proxy_port = None, 0  # Connector proxyName/proxyPort unset

    def __init__(self, remote_addr: str, scheme: str = "http") -> None:
        self.remote_addr = remote_addr
        self.scheme = scheme
        self.secure = scheme == "https"


class Recorder(ValveBase):
    """The next valve: what the request looked like when it got there."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: dict[str, Any] = {}

    def invoke(self, request: Any, response: Any) -> None:
        self.seen = {
            "addr": request.get_remote_addr(),
            "host": request.get_remote_host(),
            "scheme": request.get_scheme(),
            "secure": request.is_secure(),
            "server_name": request.get_server_name(),
            "port": request.get_server_port(),
            "local_port": request.get_local_port(),
            "url": request.get_request_url(),
            "xff": request.get_headers("X-Forwarded-For"),
            "xfby": request.get_headers("X-Forwarded-By"),
        }


def make_request(
    peer: str, headers: list[tuple[str, str]], scheme: str = "http", host: str = "example.org:8080"
) -> Request:
    raw = b"GET /app/x HTTP/1.1\r\nHost: " + host.encode() + b"\r\n"
    raw += b"".join(f"{n}: {v}\r\n".encode() for n, v in headers) + b"\r\n"
    parser = RequestParser()
    parser.feed(raw)
    head = parser.next_event()
    return Request(FakeChannel(peer, scheme), head, "/app/x", "/app/x", None)


def run(peer: str, headers: list[tuple[str, str]], **attrs: str) -> tuple[dict[str, Any], Request]:
    valve = RemoteIpValve()
    assert valve.configure(attrs) == []
    recorder = Recorder()
    valve.next = recorder
    request = make_request(peer, headers)
    valve.invoke(request, None)
    return recorder.seen, request


# -- the header walk ------------------------------------------------------------


def test_defaults_are_tomcat_10_1s():
    valve = RemoteIpValve()
    assert valve.remote_ip_header == "X-Forwarded-For"
    assert valve.protocol_header == "X-Forwarded-Proto"
    assert valve.protocol_header_https_value == "https"
    assert valve.proxies_header == "X-Forwarded-By"
    assert (valve.http_server_port, valve.https_server_port) == (80, 443)
    assert valve.trusted_proxies is None and valve.request_attributes_enabled
    for internal in (
        "10.1.2.3",
        "192.168.0.1",
        "169.254.1.1",
        "127.0.0.1",
        "100.64.0.1",
        "100.127.255.255",
        "172.16.0.1",
        "172.31.9.9",
        "::1",
        "0:0:0:0:0:0:0:1",
        "fe80::1",
        "fd12::1",
    ):
        assert valve._is_internal(internal), internal
    for external in (
        "203.0.113.7",
        "100.63.0.1",
        "100.128.0.1",
        "172.15.0.1",
        "172.32.0.1",
        "11.0.0.1",
        "2001:db8::1",
        "127.0.0.1.evil",
    ):
        assert not valve._is_internal(external), external


def test_internal_proxy_gives_the_client():
    seen, request = run("127.0.0.1", [("X-Forwarded-For", "203.0.113.7")])
    assert seen["addr"] == seen["host"] == "203.0.113.7"
    assert seen["xff"] == [] and seen["xfby"] == []
    assert request.get_attribute("org.apache.catalina.AccessLog.RemoteAddr") == "203.0.113.7"
    assert request.get_attribute("org.apache.tomcat.request.forwarded") is True


def test_internal_proxies_in_the_header_are_skipped_right_to_left():
    seen, _ = run("192.168.0.10", [("X-Forwarded-For", "140.211.11.130, 10.0.0.5, 192.168.0.11")])
    assert seen["addr"] == "140.211.11.130"
    assert seen["xff"] == []


def test_the_first_untrusted_address_from_the_right_wins():
    # A client can prepend anything: only what the proxies appended counts.
    seen, _ = run("127.0.0.1", [("X-Forwarded-For", "6.6.6.6, 203.0.113.7, 10.0.0.5")])
    assert seen["addr"] == "203.0.113.7"
    assert seen["xff"] == ["6.6.6.6"]


def test_repeated_header_fields_are_one_list():
    seen, _ = run("127.0.0.1", [("X-Forwarded-For", "1.1.1.1"), ("X-Forwarded-For", "2.2.2.2, 10.0.0.1")])
    assert seen["addr"] == "2.2.2.2"
    assert seen["xff"] == ["1.1.1.1"]


def test_trusted_proxies_go_to_x_forwarded_by():
    attrs = {"internalProxies": r"192\.168\.0\.10|192\.168\.0\.11", "trustedProxies": "proxy1|proxy2"}
    seen, _ = run("192.168.0.10", [("X-Forwarded-For", "140.211.11.130, proxy1, proxy2")], **attrs)
    assert seen["addr"] == "140.211.11.130"
    assert seen["xff"] == [] and seen["xfby"] == ["proxy1, proxy2"]

    seen, _ = run("192.168.0.10", [("X-Forwarded-For", "140.211.11.130, untrusted-proxy, proxy1")], **attrs)
    assert seen["addr"] == "untrusted-proxy"
    assert seen["xff"] == ["140.211.11.130"] and seen["xfby"] == ["proxy1"]


def test_a_trusted_peer_is_a_proxy_of_the_chain():
    seen, _ = run("203.0.113.1", [("X-Forwarded-For", "198.51.100.2")], trustedProxies=r"203\.0\.113\.\d+")
    assert seen["addr"] == "198.51.100.2"
    assert seen["xfby"] == ["203.0.113.1"]


def test_spoofed_headers_from_an_untrusted_peer_are_ignored():
    headers = [
        ("X-Forwarded-For", "10.0.0.1, 1.2.3.4"),
        ("X-Forwarded-Proto", "https"),
        ("X-Forwarded-Host", "bank.example"),
    ]
    seen, request = run("203.0.113.66", headers, hostHeader="X-Forwarded-Host")
    assert seen["addr"] == "203.0.113.66" and seen["scheme"] == "http" and not seen["secure"]
    assert seen["port"] == 8080 and seen["server_name"] == "example.org"
    assert seen["xff"] == ["10.0.0.1, 1.2.3.4"]
    assert request.get_attribute("org.apache.tomcat.request.forwarded") is None
    # The access log attributes still name the real peer.
    assert request.get_attribute("org.apache.catalina.AccessLog.RemoteAddr") == "203.0.113.66"


def test_empty_internal_proxies_trusts_no_one():
    seen, _ = run("127.0.0.1", [("X-Forwarded-For", "1.2.3.4"), ("X-Forwarded-Proto", "https")], internalProxies="")
    assert seen["addr"] == "127.0.0.1" and seen["scheme"] == "http"


def test_no_forwarded_for_keeps_the_peer():
    seen, _ = run("127.0.0.1", [("X-Forwarded-Proto", "https")])
    assert seen["addr"] == "127.0.0.1"
    assert seen["scheme"] == "https"


# -- scheme, port, host -------------------------------------------------------


def test_https_proto_makes_the_request_secure_on_443():
    seen, _ = run("127.0.0.1", [("X-Forwarded-For", "203.0.113.7"), ("X-Forwarded-Proto", "HTTPS")])
    assert seen["scheme"] == "https" and seen["secure"] is True
    assert seen["port"] == 443 and seen["server_name"] == "example.org"
    assert seen["url"] == "https://example.org/app/x"
    assert seen["local_port"] == 8080


def test_http_proto_on_an_https_connector():
    valve = RemoteIpValve()
    recorder = Recorder()
    valve.next = recorder
    request = make_request("127.0.0.1", [("X-Forwarded-Proto", "http")], scheme="https")
    valve.invoke(request, None)
    assert recorder.seen["scheme"] == "http" and recorder.seen["secure"] is False
    assert recorder.seen["port"] == 80


def test_a_proto_list_is_https_only_if_every_hop_was():
    seen, _ = run("127.0.0.1", [("X-Forwarded-Proto", "https, https")])
    assert seen["scheme"] == "https"
    seen, _ = run("127.0.0.1", [("X-Forwarded-Proto", "https, http")])
    assert seen["scheme"] == "http"


def test_ports_and_custom_values():
    seen, _ = run(
        "127.0.0.1",
        [("X-Forwarded-Proto", "on"), ("X-Forwarded-Port", "8443")],
        protocolHeader="X-Forwarded-Ssl",
        protocolHeaderHttpsValue="on",
        portHeader="X-Forwarded-Port",
        changeLocalPort="true",
    )
    # X-Forwarded-Ssl absent: scheme and ports untouched.
    assert seen["scheme"] == "http" and seen["port"] == 8080

    seen, _ = run(
        "127.0.0.1",
        [("X-Forwarded-Ssl", "ON"), ("X-Forwarded-Port", "8443")],
        protocolHeader="X-Forwarded-Ssl",
        protocolHeaderHttpsValue="on",
        portHeader="X-Forwarded-Port",
        changeLocalPort="true",
        httpsServerPort="444",
    )
    assert seen["scheme"] == "https" and seen["port"] == 8443 and seen["local_port"] == 8443

    seen, _ = run(
        "127.0.0.1",
        [("X-Forwarded-Proto", "https"), ("X-Forwarded-Port", "junk")],
        portHeader="X-Forwarded-Port",
        httpsServerPort="444",
    )
    assert seen["port"] == 444 and seen["local_port"] == 8080


def test_protocol_header_can_be_disabled():
    seen, _ = run("127.0.0.1", [("X-Forwarded-Proto", "https")], protocolHeader="")
    assert seen["scheme"] == "http"


@pytest.mark.parametrize(
    "value, name",
    [
        ("www.example.org", "www.example.org"),
        ("www.example.org:8443", "www.example.org"),
        ("[2001:db8::1]:8443", "[2001:db8::1]"),
    ],
)
def test_host_header(value, name):
    seen, _ = run(
        "127.0.0.1", [("X-Forwarded-Host", value), ("X-Forwarded-Proto", "https")], hostHeader="X-Forwarded-Host"
    )
    assert seen["server_name"] == name and seen["port"] == 443


def test_a_bad_host_header_is_ignored():
    seen, _ = run("127.0.0.1", [("X-Forwarded-Host", "a:b:c")], hostHeader="X-Forwarded-Host")
    assert seen["server_name"] == "example.org"


def test_request_attributes_can_be_disabled():
    _, request = run("127.0.0.1", [("X-Forwarded-For", "203.0.113.7")], requestAttributesEnabled="false")
    assert request.get_attribute("org.apache.catalina.AccessLog.RemoteAddr") is None
    assert request.get_remote_addr() == "203.0.113.7"


# -- configuration and neighbours ---------------------------------------------


def test_registered_under_tomcats_name():
    assert (
        resolve_valve_class("org.apache.catalina.valves.RemoteIpValve")
        == "catalina_py.container.valves.remote_ip.RemoteIpValve"
    )
    assert "org.apache.catalina.valves.RemoteIpValve" in TOMCAT_VALVES


def test_java_regex_classes_and_errors():
    pattern = compile_proxies(r"fe[89ab]\p{XDigit}:.*")
    assert pattern.fullmatch("fe80::1") and not pattern.fullmatch("fe8g::1")
    with pytest.raises(ConfigError):
        RemoteIpValve().configure({"internalProxies": "10\\.(", "className": "x"})
    warnings = RemoteIpValve().configure({"bogus": "1"})
    assert warnings and "bogus" in warnings[0]


def test_access_log_sees_the_client():
    _, request = run("127.0.0.1", [("X-Forwarded-For", "203.0.113.7")])
    template, elements = compile_pattern("%a %h")
    line = template % tuple(e(request, None, 0.0, 0.0) for e in elements)
    assert line == "203.0.113.7 203.0.113.7"


def test_unchanged_request_reads_the_connection():
    request = make_request("10.9.9.9", [])
    assert request.get_remote_addr() == request.get_remote_host() == "10.9.9.9"
    assert request.get_scheme() == "http" and request.is_secure() is False
    assert request.get_local_port() == 8080
