"""Connector scheme/secure/proxyName/proxyPort, as Tomcat's: for a
connector that sits behind a TLS-terminating proxy."""

from __future__ import annotations

import pytest
import requests
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.server import REPO, TEST_WEBAPPS

ATTRS = 'scheme="https" secure="true" proxyName="www.example.com" proxyPort="443"'


def test_requests_report_the_proxy_scheme_name_and_port(make_server):
    server = make_server(connector_attrs=ATTRS, webapps={"testapp": TEST_WEBAPPS / "testapp"}).start()
    data = requests.get(server.url + "/testapp/info/x", timeout=10).json()
    assert data["scheme"] == "https"
    assert (data["server_name"], data["server_port"]) == ("www.example.com", 443)
    assert data["request_url"] == "https://www.example.com/testapp/info/x"


def test_websocket_origin_check_uses_the_connector_scheme(make_server):
    server = make_server(connector_attrs=ATTRS, webapps={"examples": REPO / "webapps" / "examples"}).start()
    url = f"ws://127.0.0.1:{server.port}/examples/websocket/echo"
    host = f"127.0.0.1:{server.port}"
    # An https page on the proxy's address: same origin for this connector.
    with connect(url, origin=f"https://{host}", open_timeout=5, close_timeout=2) as ws:
        ws.send("over tls")
        assert ws.recv(timeout=5) == "over tls"
    with pytest.raises(InvalidStatus) as info:
        connect(url, origin=f"http://{host}", open_timeout=5)
    assert info.value.response.status_code == 403


def test_default_connector_is_plain_http(make_server):
    server = make_server(webapps={"testapp": TEST_WEBAPPS / "testapp"}).start()
    data = requests.get(server.url + "/testapp/info/x", timeout=10).json()
    assert data["scheme"] == "http" and data["server_port"] == server.port
