"""Reload and redeploy without a 503, against a real server: the new version
starts beside the old one and takes the requests once it has started; the
old one finishes its requests in flight and its WebSockets (1001 after
``reloadWebSocketGrace``); a new version that fails to start leaves the old
one serving; HttpSessions go on in the new version; ``name##version``
folders are versions of one path side by side (``undeployOldVersions``).
"""

from __future__ import annotations

import re
import shutil
import threading
import time

import pytest
import requests
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.reload_load import Load
from tests.server import TEST_WEBAPPS

APPS = TEST_WEBAPPS / "reload"

SERVER_XML = """<?xml version="1.0" encoding="UTF-8"?>
<Server port="{shutdown_port}" shutdown="SHUTDOWN">
  <Service name="Catalina">
    <Connector port="{port}" address="127.0.0.1" protocol="HTTP/1.1" {connector_attrs}/>
    <Engine name="Catalina" defaultHost="localhost">
      <Host name="localhost" appBase="webapps" autoDeploy="true" backgroundProcessorDelay="1"
            reloadWebSocketGrace="GRACE" undeployOldVersions="UNDEPLOY_OLD"/>
    </Engine>
  </Service>
</Server>
"""


def server_xml(grace: int = 30, undeploy_old: bool = False) -> str:
    return SERVER_XML.replace("GRACE", str(grace)).replace("UNDEPLOY_OLD", "true" if undeploy_old else "false")


def start(make_server, grace: int = 30, undeploy_old: bool = False, apps: dict | None = None):
    webapps = {"app": APPS / "app", "reloader": APPS / "reloader"} if apps is None else apps
    return make_server(webapps=webapps, server_xml=server_xml(grace, undeploy_old)).start()


def hello(server, path: str = "/app/hello") -> str:
    response = requests.get(server.url + path, timeout=10)
    assert response.status_code == 200, (response.status_code, response.text[:300])
    return response.text


def token(server, path: str = "/app/hello") -> str:
    """The token of the version answering (new at each start of the webapp)."""
    return hello(server, path).split()[1]


def api(server, op: str, path: str = "/app") -> str:
    """The Manager-less deployment API, from a request greenlet."""
    response = requests.post(f"{server.url}/reloader/do", params={"op": op, "path": path}, timeout=30)
    assert response.status_code == 200, response.text
    return response.text


def wait_new_token(server, old: str, timeout: float = 15.0, path: str = "/app/hello") -> str:
    """Poll until another version than *old* answers (bounded)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = token(server, path)
        if current != old:
            return current
        time.sleep(0.1)
    raise AssertionError(f"no new version of {path} within {timeout} s\n{server.output()[-3000:]}")


def wait_log(server, text: str, count: int = 1, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.output().count(text) >= count:
            return
        time.sleep(0.1)
    raise AssertionError(f"{text!r} not logged {count} time(s) within {timeout} s\n{server.output()[-3000:]}")


def set_version(server, version: str) -> None:
    """Rewrite the webapp's version module: a code change (reloadable)."""
    (server.base / "webapps" / "app" / "WEB-INF" / "classes" / "version.py").write_text(f'VERSION = "{version}"\n')


def touch_web_xml(server) -> None:
    web_xml = server.base / "webapps" / "app" / "WEB-INF" / "web.xml"
    web_xml.write_text(web_xml.read_text().replace("</web-app>", "<!-- touched -->\n</web-app>"))


# -- the figure: reloads under a running load -----------------------------------


def test_reloads_under_load_answer_no_error_and_reset_no_connection(make_server):
    """At least 200 requests/s (kept-alive and new connections) while the
    webapp is reloaded five times, by a code change, by a web.xml change and
    by the API (reload and redeploy): every request is answered 2xx, no
    connection is reset."""
    server = start(make_server)
    first = token(server)
    load = Load(server.port, "/app/hello", rate=300, keepalive=4, new_connections=2, max_seconds=40).start()
    tokens = [first]
    windows = []
    try:
        time.sleep(0.5)
        for step, trigger in enumerate(("code", "api-reload", "web.xml", "api-redeploy", "code")):
            began = time.monotonic()
            if trigger == "code":
                set_version(server, f"{step + 2}")
            elif trigger == "web.xml":
                touch_web_xml(server)
            else:
                assert api(server, trigger.removeprefix("api-")) == "OK"
            tokens.append(wait_new_token(server, tokens[-1]))
            windows.append((began, time.monotonic()))
            time.sleep(0.3)
    finally:
        result = load.stop()
    assert result.non_2xx == [], result.non_2xx[:5]
    assert result.resets == [], result.resets[:5]
    # The load ran through every reload: requests started in the quarter
    # second before each one began and in the quarter second after it
    # ended (an API reload lasts some 20 ms, too short to ask for a request
    # inside it on a busy machine); the counts above cover the reloads
    # themselves. And every version answered it.
    for began, ended in windows:
        assert any(began - 0.25 <= s.started <= began for s in result.samples), (began, ended)
        assert any(ended <= s.started <= ended + 0.25 for s in result.samples), (began, ended)
    seen = {body.split()[1] for body in result.bodies()}
    assert set(tokens) <= seen | {tokens[0]}, (tokens, seen)
    print(f"{result.requests} requests, {result.rate:.0f}/s, 5 reloads, 0 non-2xx, 0 resets")
    output = server.output()
    assert output.count("Reloading Context with name [/app] is completed") >= 3
    assert output.count("Redeploying context [/app]") >= 2
    assert "Service Unavailable" not in output


def test_request_in_flight_finishes_on_the_old_version(make_server):
    server = start(make_server)
    old = token(server)
    results: list[requests.Response] = []
    slow = threading.Thread(
        target=lambda: results.append(requests.get(server.url + "/app/slow?ms=1500", timeout=20)), daemon=True
    )
    slow.start()
    time.sleep(0.3)
    assert api(server, "reload") == "OK"
    new = token(server)  # at once: the reload returned with the new version serving
    assert new != old
    slow.join(20)
    assert results and results[0].status_code == 200
    assert results[0].text.split()[1] == old  # finished on the version it started on
    wait_log(server, "The replaced version of context [/app] is stopped")


# -- a new version that fails to start ------------------------------------------


BROKEN_WEB_XML = "<web-app><servlet><servlet-name>x</servlet-name>"  # not well-formed

LOAD_ON_STARTUP_WEB_XML = """<?xml version="1.0" encoding="UTF-8"?>
<web-app xmlns="https://jakarta.ee/xml/ns/jakartaee" version="6.0">
  <servlet><servlet-name>broken</servlet-name><servlet-class>broken.Broken</servlet-class>
    <load-on-startup>1</load-on-startup></servlet>
</web-app>
"""

BROKEN_SERVLET = """from catalina_py.servlet import HttpServlet


class Broken(HttpServlet):
    def init(self, config=None):
        raise RuntimeError("load-on-startup says no")
"""


@pytest.mark.parametrize("breakage", ["import", "web.xml", "load-on-startup"])
def test_failed_new_version_leaves_the_old_one_serving(make_server, breakage):
    server = start(make_server)
    old = token(server)
    classes = server.base / "webapps" / "app" / "WEB-INF" / "classes"
    web_xml = server.base / "webapps" / "app" / "WEB-INF" / "web.xml"
    good_web_xml = web_xml.read_text()
    if breakage == "import":
        (classes / "version.py").write_text('import a_module_that_is_not_there\nVERSION = "x"\n')
        expected = "a_module_that_is_not_there"
    elif breakage == "web.xml":
        web_xml.write_text(BROKEN_WEB_XML)
        expected = "web.xml"
    else:
        (classes / "broken.py").write_text(BROKEN_SERVLET)
        web_xml.write_text(LOAD_ON_STARTUP_WEB_XML)
        expected = "load-on-startup says no"
    wait_log(server, "the new version failed to start; the running version keeps serving")
    tail = server.output().split("the new version failed to start")[-1]
    assert expected in tail[:5000]
    # The old version still answers, and so does the API's reload (FAIL, old kept).
    assert token(server) == old
    if breakage == "import":
        assert api(server, "reload") == "FAIL"
        assert token(server) == old
    # Fixed: the next change deploys the new version.
    if breakage == "import":
        set_version(server, "2")
    else:
        web_xml.write_text(good_web_xml.replace("</web-app>", "<!-- fixed -->\n</web-app>"))
    assert wait_new_token(server, old) != old


# -- WebSockets on the old version --------------------------------------------------


def test_websocket_on_the_old_version_runs_through_the_reload_then_gets_1001(make_server):
    server = start(make_server, grace=3)
    ws_url = f"ws://127.0.0.1:{server.port}/app/ws"
    with connect(ws_url, origin=server.url, open_timeout=10) as ws:
        opened = ws.recv(timeout=10)
        assert opened.startswith("open ")
        old = opened.split()[1]
        assert api(server, "reload") == "OK"
        new = token(server)
        assert new != old
        # The old version's session keeps working after the switch.
        ws.send("still there")
        assert ws.recv(timeout=10) == f"{old}:still there"
        # Until the grace is over: 1001 Going Away.
        with pytest.raises(ConnectionClosed) as closed:
            for _ in range(100):
                ws.recv(timeout=15)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001
    # A new connection reaches the new version.
    with connect(ws_url, origin=server.url, open_timeout=10) as ws:
        assert ws.recv(timeout=10) == f"open {new}"
    assert "WebSocket grace of 3 s is over" in server.output()


def test_server_stop_does_not_wait_for_the_websocket_grace(make_server):
    """A graceful stop during an old version's WebSocket grace (30 s) ends
    it: the session gets 1001 and the server exits cleanly, not killed."""
    server = start(make_server, grace=30)
    with connect(f"ws://127.0.0.1:{server.port}/app/ws", origin=server.url, open_timeout=10) as ws:
        old = ws.recv(timeout=10).split()[1]
        assert api(server, "reload") == "OK"
        assert token(server) != old
        assert server.stop(timeout=20) == 0
        with pytest.raises(ConnectionClosed) as closed:
            for _ in range(100):
                ws.recv(timeout=10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001
    assert "WebSocket grace of 30 s is over" not in server.output()


# -- HttpSessions ----------------------------------------------------------------


def test_session_survives_reload_and_redeploy(make_server):
    server = start(make_server)
    client = requests.Session()
    assert client.get(server.url + "/app/session", timeout=10).text.endswith("n=1")
    first = token(server)
    assert api(server, "reload") == "OK"
    body = client.get(server.url + "/app/session", timeout=10).text
    second = body.split()[1]
    assert second != first and body.endswith("n=2"), body
    touch_web_xml(server)
    wait_new_token(server, second)
    body = client.get(server.url + "/app/session", timeout=10).text
    assert body.endswith("n=3") and body.split()[1] != second, body
    assert "session(s) carried over to the new version" in server.output()


# -- name##version folders ---------------------------------------------------------


def test_versions_side_by_side_sessions_stay_on_their_version(make_server):
    """Tomcat's parallel deployment: ``shop##001`` and then ``shop##002`` at
    /shop; a session made on 001 stays there, new clients get 002; with
    undeployOldVersions, 001 goes once its session is invalidated."""
    server = make_server(
        webapps={"shop##001": APPS / "app", "reloader": APPS / "reloader"}, server_xml=server_xml(undeploy_old=True)
    ).start()
    old_client = requests.Session()
    body = old_client.get(server.url + "/shop/session", timeout=10).text
    old = body.split()[1]
    assert body.endswith("n=1")
    shutil.copytree(APPS / "app", server.base / "webapps" / "shop##002")
    new = wait_new_token(server, old, path="/shop/hello")
    # The old client's session keeps it on version 001; a new client gets 002.
    body = old_client.get(server.url + "/shop/session", timeout=10).text
    assert body.split()[1] == old and body.endswith("n=2"), body
    assert token(server, "/shop/hello") == new
    assert "Undeploying old version" not in server.output()
    # The session of version 001 ends: 001 has none left and is undeployed.
    assert old_client.get(server.url + "/shop/logout", timeout=10).text.split()[1] == old
    wait_log(server, "Undeploying old version [/shop##001]")
    body = old_client.get(server.url + "/shop/session", timeout=10).text
    assert body.split()[1] == new and body.endswith("n=1"), body
    assert re.search(r"Deployment of web application \[/shop##002\]", server.output())


# -- in process: the version in a folder name -----------------------------------------


@pytest.mark.parametrize(
    "name, expected",
    [
        ("shop", ("/shop", "")),
        ("shop##2", ("/shop", "2")),
        ("a#b##20260101", ("/a/b", "20260101")),
        ("ROOT", ("", "")),
        ("ROOT##3", ("", "3")),
        ("##3", ("", "3")),
    ],
)
def test_split_version(name, expected):
    from catalina_py.deploy.naming import split_version

    assert split_version(name) == expected


@pytest.mark.parametrize("name", ["shop##", "a#", "#a", ""])
def test_split_version_refuses_bad_names(name):
    from catalina_py.deploy.naming import split_version
    from catalina_py.errors import ConfigError

    with pytest.raises(ConfigError):
        split_version(name)
