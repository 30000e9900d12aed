"""Endpoint configuration end to end, with the independent ``websockets``
client (and a raw socket where a client must misbehave): a
ServerApplicationConfig deploying an Endpoint subclass through the
Builder and filtering an annotated class out, configurators
(modify_handshake headers and user properties, get_negotiated_extensions
refusing deflate), and Tomcat's context parameters (buffer sizes, the
session close timeout, the blocking send timeout).

The webapp is tests/integration/webapps/wsconfig (WEB-INF/classes/wsconf.py).
"""

from __future__ import annotations

import base64
import json
import shutil
import socket
import sys
import time
from pathlib import Path

import pytest
import requests
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from tests.scripts.test_scripts import make_base, run
from tests.server import TEST_WEBAPPS, CatalinaProcess

WEBAPP = TEST_WEBAPPS / "wsconfig"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # Long connector timeouts: the context parameter's and the configurators' must win.
    proc = CatalinaProcess(
        tmp_path_factory.mktemp("wsconfig_base"),
        webapps={"wsconfig": WEBAPP},
        connector_attrs='webSocketCloseTimeout="60" connectionTimeout="60000"',
    )
    proc.start()
    yield proc
    proc.stop()


def url(server: CatalinaProcess, path: str) -> str:
    return f"ws://127.0.0.1:{server.port}/wsconfig{path}"


def report(ws) -> dict:
    ws.send("report")
    return json.loads(ws.recv(timeout=10))


def test_the_application_config_sees_the_scanned_classes(server):
    with connect(url(server, "/seen")) as ws:
        seen = json.loads(ws.recv(timeout=10))
    assert seen == {
        "endpoints": ["NeverDeployed", "ProgEcho", "Seen"],
        "annotated": ["Dropped", "Flood", "FloodState", "Kept"],
    }


def test_a_builder_config_deploys_an_endpoint_subclass_with_its_subprotocols_and_configurator(server):
    with connect(url(server, "/prog?who=ann"), subprotocols=["v2", "v1"]) as ws:
        assert ws.response.headers["X-Stamp"] == "stamped"
        assert ws.subprotocol == "v2"  # the client's order, as Tomcat
        ws.send("hello")
        assert ws.recv(timeout=10) == "hello"
        got = report(ws)
    assert got["subprotocol"] == "v2"
    assert got["props"]["who"] == "ann"


def test_user_properties_of_modify_handshake_belong_to_one_session(server):
    with connect(url(server, "/prog?who=first")) as first, connect(url(server, "/prog")) as second:
        assert report(first)["props"]["who"] == "first"
        assert report(second)["props"]["who"] == "nobody"


def test_the_annotated_class_the_application_config_keeps_is_deployed_and_the_other_is_not(server):
    with connect(url(server, "/kept?who=bob")) as ws:
        assert ws.response.headers["X-Stamp"] == "stamped"
        ws.send("anything")
        assert json.loads(ws.recv(timeout=10))["props"]["who"] == "bob"
    with pytest.raises(InvalidStatus) as refused:
        connect(url(server, "/dropped"))
    assert refused.value.response.status_code == 404


def test_a_servlet_upgrades_to_an_endpoint_it_chooses(server):
    with connect(url(server, "/pick?who=servlet")) as ws:
        assert ws.response.headers["X-Stamp"] == "stamped"
        ws.send("echo me")
        assert ws.recv(timeout=10) == "echo me"
        got = report(ws)
    assert got["props"]["who"] == "servlet" and got["path_parameters"] == {"picked": "yes"}
    assert got["props"]["org.apache.tomcat.websocket.SESSION_CLOSE_TIMEOUT"] == 700  # the context's defaults too
    plain = requests.get(f"{server.url}/wsconfig/pick", timeout=10)
    assert plain.status_code == 426 and plain.headers["Upgrade"] == "websocket"


def test_context_params_set_buffer_sizes_and_the_timeouts_as_user_properties(server):
    with connect(url(server, "/prog")) as ws:
        got = report(ws)
    assert (got["text"], got["binary"]) == (1000, 2000)
    assert got["props"]["org.apache.tomcat.websocket.SESSION_CLOSE_TIMEOUT"] == 700
    assert got["props"]["org.apache.tomcat.websocket.BLOCKING_SEND_TIMEOUT"] == 5000
    with connect(url(server, "/small")) as ws:
        assert report(ws)["text"] == 10  # the endpoint's own size wins


def test_a_whole_message_over_the_context_text_buffer_size_closes_with_1009(server):
    with connect(url(server, "/prog")) as ws:
        ws.send("x" * 1000)
        assert ws.recv(timeout=10) == "x" * 1000
        ws.send("x" * 1001)
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009


def test_deflate_is_agreed_by_default_and_refused_by_get_negotiated_extensions(server):
    with connect(url(server, "/prog")) as ws:  # websockets offers permessage-deflate
        assert ws.response.headers["Sec-WebSocket-Extensions"].startswith("permessage-deflate")
    with connect(url(server, "/nodeflate")) as ws:
        assert "Sec-WebSocket-Extensions" not in ws.response.headers
        ws.send("plain " * 100)
        assert ws.recv(timeout=10) == "plain " * 100


def _close_without_answering(server: CatalinaProcess, path: str) -> bytes:
    """Open a session on a raw socket, ask the server to close, never
    answer its close frame; return what arrives until the server drops the
    connection (the socket times out after 20 s, the connector's own close
    timeout is 60 s)."""
    key = base64.b64encode(b"0123456789abcdef").decode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=20) as sock:
        sock.sendall(
            f"GET /wsconfig{path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        mask = b"\x01\x02\x03\x04"
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(b"close"))
        sock.sendall(bytes([0x81, 0x80 | 5]) + mask + payload)
        received = b""
        for _ in range(1000):  # bounded: each recv waits at most 20 s
            chunk = sock.recv(65536)
            if not chunk:
                return received
            received += chunk
    raise AssertionError("the connection stayed open")


def test_the_session_close_timeout_of_the_context_param_wins_over_the_connectors(server):
    received = _close_without_answering(server, "/prog")
    assert b"HTTP/1.1 101" in received
    assert b"\x88" in received.split(b"\r\n\r\n", 1)[1]  # our close frame came first


def test_a_configurator_may_set_the_session_close_timeout_per_session(server):
    received = _close_without_answering(server, "/closing?close_ms=300")
    assert b"HTTP/1.1 101" in received


def _open_raw(server: CatalinaProcess, path: str) -> socket.socket:
    """A raw socket after the 101 (a client that reads nothing more)."""
    key = base64.b64encode(b"0123456789abcdef").decode()
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=20)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.sendall(
        f"GET /wsconfig{path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(1)
        assert chunk, "closed during the handshake"
        head += chunk
    assert head.startswith(b"HTTP/1.1 101"), head
    return sock


def _text_frame(text: str) -> bytes:
    mask = b"\x01\x02\x03\x04"
    data = text.encode()
    return bytes([0x81, 0x80 | len(data)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data))


def test_the_blocking_send_timeout_user_property_bounds_a_send_to_a_client_that_reads_nothing(server):
    """The connector's connectionTimeout (60 s) would hold the send past
    the 20 s this test waits; the session's 300 ms gives up."""
    with _open_raw(server, "/flood?send_ms=300") as flood, connect(url(server, "/flood-state")) as ask:
        flood.sendall(_text_frame("go"))  # then never read
        state = "none"
        for _ in range(200):  # bounded: at most 200 x 0.1 s
            ask.send("state?")
            state = ask.recv(timeout=10)
            if state.startswith("failed"):
                break
            time.sleep(0.1)
        assert state.startswith("failed"), state


# -- bad values: deployment and configtest errors with file:line --------------------
BAD_WEB_XML = """<?xml version="1.0" encoding="UTF-8"?>
<web-app xmlns="https://jakarta.ee/xml/ns/jakartaee" version="6.0">
  <context-param>
    <param-name>org.apache.tomcat.websocket.textBufferSize</param-name>
    <param-value>{value}</param-value>
  </context-param>
</web-app>
"""


@pytest.mark.parametrize("value", ["big", "-1", "0"])
def test_configtest_reports_a_bad_buffer_size_with_file_line_and_what_to_write(tmp_path: Path, value: str):
    base, _ = make_base(tmp_path)
    app = base / "webapps" / "bad"
    (app / "WEB-INF").mkdir(parents=True)
    (app / "WEB-INF" / "web.xml").write_text(BAD_WEB_XML.format(value=value))
    result = run([sys.executable, "-m", "catalina_py", "configtest"], base)
    assert result.returncode == 1, result.stdout + result.stderr
    assert (
        f"{app}/WEB-INF/web.xml:3: context-param 'org.apache.tomcat.websocket.textBufferSize' has the value "
        f"'{value}'" in result.stderr
    )
    assert "expected: a positive whole number of bytes" in result.stderr


def test_a_metadata_complete_webapp_still_deploys_its_websocket_endpoints(tmp_path: Path):
    """Tomcat's WsSci is a ServletContainerInitializer: metadata-complete
    does not turn its scan off (the servlet annotations are off)."""
    app = tmp_path / "wsconfig"
    shutil.copytree(WEBAPP, app)
    web_xml = app / "WEB-INF" / "web.xml"
    web_xml.write_text(web_xml.read_text().replace('version="6.0">', 'version="6.0" metadata-complete="true">'))
    proc = CatalinaProcess(tmp_path / "base", webapps={"wsconfig": app})
    proc.start()
    try:
        with connect(url(proc, "/kept")) as ws:
            ws.send("x")
            assert json.loads(ws.recv(timeout=10))["text"] == 1000
    finally:
        proc.stop()


BROKEN_APP_CONFIG = """from catalina_py.websocket import Endpoint, ServerApplicationConfig


class Plain(Endpoint):
    def on_open(self, session, config):
        pass


class App(ServerApplicationConfig):
    def get_annotated_endpoint_classes(self, scanned):
        return {Plain}
"""


def test_an_application_config_returning_a_class_without_server_endpoint_fails_the_start(tmp_path: Path):
    app = tmp_path / "broken"
    (app / "WEB-INF" / "classes").mkdir(parents=True)
    (app / "WEB-INF" / "classes" / "appconf.py").write_text(BROKEN_APP_CONFIG)
    proc = CatalinaProcess(tmp_path / "base", webapps={"broken": app})
    proc.start()
    try:
        with pytest.raises(InvalidStatus) as refused:
            connect(f"ws://127.0.0.1:{proc.port}/broken/anything")
        assert refused.value.response.status_code == 503
    finally:
        proc.stop()
    output = proc.output_path.read_text()
    assert (
        f"{proc.base}/webapps/broken/WEB-INF/classes/appconf.py:9: appconf.App.get_annotated_endpoint_classes returned"
        in output
    )
    assert "@server_endpoint classes expected" in output


BAD_CODER = """from catalina_py.websocket import server_endpoint


@server_endpoint("/x", encoders=[int])
class X:
    pass
"""


def test_configtest_imports_the_websocket_classes_of_a_metadata_complete_webapp(tmp_path: Path):
    base, _ = make_base(tmp_path)
    app = base / "webapps" / "bad"
    (app / "WEB-INF" / "classes").mkdir(parents=True)
    (app / "WEB-INF" / "web.xml").write_text(
        '<web-app xmlns="https://jakarta.ee/xml/ns/jakartaee" version="6.0" metadata-complete="true"/>'
    )
    (app / "WEB-INF" / "classes" / "ep.py").write_text(BAD_CODER)
    result = run([sys.executable, "-m", "catalina_py", "configtest"], base)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{app}/WEB-INF/classes/ep.py:4: cannot import ep.py" in result.stderr
    assert "X: int is not an encoder class: it must subclass one of Encoder.Text" in result.stderr
