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
        return sum(1 for _, step, _ in lines if step == "close") >= 2

    lines = wait_for(server, both_closed)
    by_conn: dict[int, list[tuple[str, str]]] = {}
    for conn, step, detail in lines:
        by_conn.setdefault(conn, []).append((step, detail))
    http, ws_steps = [by_conn[c] for c in sorted(by_conn)][:2]
    assert [s for s, _ in http] == ["accept", "parse", "map", "servlet", "response", "close"]
    assert "HelloWorldExample" in dict(http)["map"] and dict(http)["response"].startswith("200")
    assert [s for s, _ in ws_steps] == [
        "accept",
        "parse",
        "map",
        "handshake",
        "upgrade",
        "open",
        "frame in",
        "frame out",
        "frame in",
        "close",
    ]
    steps = dict(ws_steps)
    assert "Echo" in steps["handshake"] and "WsHttpUpgradeHandler" in steps["upgrade"]
    assert steps["frame out"] == "text message, 5 characters"


def test_no_trace_by_default(make_server, monkeypatch):
    monkeypatch.delenv("CATALINA_TRACE", raising=False)
    server = make_server(webapps={"examples": REPO / "webapps" / "examples"}).start()
    requests.get(server.url + "/examples/servlets/helloworld", timeout=10)
    time.sleep(0.2)
    assert "catalina_py.trace" not in server.output()
