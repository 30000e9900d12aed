"""RemoteIpValve on a real server: a TLS-terminating proxy (simulated by
X-Forwarded-* headers from 127.0.0.1) shows the client's address and
scheme to servlets, the access log and the WebSocket origin check."""

from __future__ import annotations

import time

import pytest
import requests
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.server import SERVER_XML

HOST_LINE = '<Host name="localhost" appBase="webapps" autoDeploy="false">'
VALVE = '<Valve className="org.apache.catalina.valves.RemoteIpValve" protocolHeader="x-forwarded-proto"/>'
assert HOST_LINE in SERVER_XML
WITH_VALVE = SERVER_XML.replace(HOST_LINE, HOST_LINE + "\n        " + VALVE)

FORWARDED = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}


def ws_connect(server, **kwargs):
    return connect(
        f"ws://127.0.0.1:{server.port}/examples/websocket/echo",
        proxy=None,
        open_timeout=10,
        close_timeout=2,
        compression=None,
        origin=f"https://127.0.0.1:{server.port}",
        additional_headers={"X-Forwarded-Proto": "https"},
        **kwargs,
    )


def wait_for_log(server, text: str, timeout: float = 5.0) -> str:
    deadline = time.monotonic() + timeout
    log = ""
    while time.monotonic() < deadline:
        log = server.access_log()
        if text in log:
            return log
        time.sleep(0.1)
    return log


@pytest.fixture
def proxied(make_server):
    return make_server(server_xml=WITH_VALVE, log_pattern="%a %h %r %s").start()


def test_servlet_sees_the_forwarded_client_and_scheme(proxied):
    info = requests.get(f"{proxied.url}/testapp/info", headers=FORWARDED, timeout=10).json()
    assert info["remote_addr"] == "203.0.113.7"
    assert info["scheme"] == "https"
    assert info["server_port"] == 443
    assert info["request_url"] == "https://127.0.0.1/testapp/info"
    assert "x-forwarded-for" not in info["headers"]  # consumed: every hop was internal
    # The access log line names the client, not the proxy.
    log = wait_for_log(proxied, "203.0.113.7 203.0.113.7 GET /testapp/info")
    assert "203.0.113.7 203.0.113.7 GET /testapp/info HTTP/1.1 200" in log


def test_without_forwarded_headers_nothing_changes(proxied):
    info = requests.get(f"{proxied.url}/testapp/info", timeout=10).json()
    assert info["remote_addr"] == "127.0.0.1"
    assert info["scheme"] == "http"
    assert info["server_port"] == proxied.port


def test_websocket_from_an_https_page_through_the_proxy(proxied):
    with ws_connect(proxied) as ws:
        ws.send("hello")
        assert ws.recv(timeout=10) == "hello"


def test_websocket_from_an_https_page_is_refused_without_the_valve(make_server):
    server = make_server().start()
    with pytest.raises(InvalidStatus) as info, ws_connect(server):
        pass
    assert info.value.response.status_code == 403
