"""Connection traces (catalina_py/trace.py): a learner runs the container
with CATALINA_TRACE=1 and watches a connection go accept -> parse -> map ->
servlet -> upgrade -> frames -> close in the log."""

from __future__ import annotations

import re
import time

import requests
from websockets.sync.client import connect

from tests.server import REPO


def trace_lines(server) -> list[tuple[int, str, str]]:
    lines = []
    for match in re.finditer(r"\[catalina_py\.trace\] \[conn (\d+)\] (\S+(?: in| out)?)\s+(.*)", server.output()):
        lines.append((int(match.group(1)), match.group(2), match.group(3)))
    return lines


def wait_for(server, predicate, timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = trace_lines(server)
        if predicate(lines):
            return lines
        time.sleep(0.05)
    return trace_lines(server)


def test_trace_follows_an_http_request_and_a_websocket(make_server, monkeypatch):
    monkeypatch.setenv("CATALINA_TRACE", "1")
    server = make_server(webapps={"examples": REPO / "webapps" / "examples"}).start()
    requests.get(server.url + "/examples/servlets/helloworld", headers={"Connection": "close"}, timeout=10)
    with connect(f"ws://127.0.0.1:{server.port}/examples/websocket/echo", open_timeout=5, close_timeout=5) as ws:
        ws.send("Hello")
        assert ws.recv(timeout=5) == "Hello"

    def both_closed(lines):
        return sum(1 for _, step, detail in lines if step == "close" and detail.startswith("closed after")) >= 2

    lines = wait_for(server, both_closed)
    by_conn: dict[int, list[tuple[str, str]]] = {}
    for conn, step, detail in lines:
        by_conn.setdefault(conn, []).append((step, detail))
    http, ws_steps = [by_conn[c] for c in sorted(by_conn)][:2]
    # Every context has an authenticator, as in Tomcat: NonLoginAuthenticator
    # when web.xml has no <login-config> (it serves request.login()).
    valves = [
        "StandardEngineValve",
        "ErrorReportValve",
        "StandardHostValve",
        "NonLoginAuthenticator",
        "StandardContextValve",
    ]
    assert [s for s, _ in http] == (
        ["accept", "parse", "map"]
        + ["valve"] * 6  # the five valves and the wrapper's, entered
        + ["servlet", "servlet"]  # called, returned
        + ["valve"] * 6  # and left, innermost first
        + ["commit", "keep-alive", "close"]
    )
    entered = [d for s, d in http if s == "valve" and d.endswith("entered")]
    assert [d.split(": ", 1)[1].split()[0] for d in entered] == valves + ["StandardWrapperValve"]
    assert "HelloWorldExample" in dict(http)["map"] and dict(http)["commit"].startswith("200, content-length")
    assert dict(http)["keep-alive"].startswith("close: ")
    steps = [s for s, _ in ws_steps]
    assert steps[:3] == ["accept", "parse", "map"]
    checks = [d.split(":", 1)[0] for s, d in ws_steps if s == "handshake"]
    assert checks[:9] == [
        "method",
        "http-version",
        "upgrade",
        "connection",
        "version",
        "key",
        "origin",
        "subprotocol",
        "extensions",
    ]
    after = steps[steps.index("upgrade") :]
    assert after[:2] == ["upgrade", "open"]
    # The client's frame, the message, the echo frame and message, then the
    # close frame from the client, the server's reply, the session closed,
    # the connection closed.
    # If the client's first frame had not arrived when the session opened,
    # the connection parked and its frame resumed it (docs/trace.md).
    waited = [s for s in after[2:] if s in ("park", "resume")]
    assert waited in ([], ["park", "resume"]), waited
    if waited:
        assert after.index("resume") < after.index("frame in")
    assert [s for s in after[2:] if s not in ("commit", "park", "resume")] == [
        "frame in",
        "message in",
        "frame out",
        "message out",
        "frame in",
        "frame out",
        "close",
        "close",
    ]
    detail = dict(ws_steps)
    assert "Sec-WebSocket-Accept" in [d for s, d in ws_steps if s == "handshake"][-1]
    assert "WsHttpUpgradeHandler" in detail["upgrade"]
    assert detail["message out"] == "text message, 5 characters"
    closes = [d for s, d in ws_steps if s == "close"]
    assert closes[0] == "closed 1000 '', started by the client" and closes[1].startswith("closed after 1 request(s)")


def test_no_trace_by_default(make_server, monkeypatch):
    monkeypatch.delenv("CATALINA_TRACE", raising=False)
    server = make_server(webapps={"examples": REPO / "webapps" / "examples"}).start()
    requests.get(server.url + "/examples/servlets/helloworld", timeout=10)
    time.sleep(0.2)
    assert "catalina_py.trace" not in server.output()
