"""The inspector webapp on a running server: its JSON API, its live
WebSocket, its loopback-only restriction, and its bounds (docs/inspector.md)."""

from __future__ import annotations

import json
import shutil
import socket
import time
from typing import Any

import requests
from websockets.sync.client import connect

from tests.server import REPO, SERVER_XML

WEBAPPS = {"examples": REPO / "webapps" / "examples", "inspector": REPO / "webapps" / "inspector"}

#: The server.xml of the tests, with a RemoteIpValve on the Engine so that a
#: test can present a non-loopback client address through X-Forwarded-For.
SERVER_XML_WITH_REMOTE_IP = SERVER_XML.replace(
    '<Engine name="Catalina" defaultHost="localhost">',
    '<Engine name="Catalina" defaultHost="localhost">\n'
    '      <Valve className="org.apache.catalina.valves.RemoteIpValve"/>',
)


def api(server: Any, path: str) -> Any:
    response = requests.get(f"{server.url}/inspector/api/{path}", timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/json;charset=utf-8"
    return response.json()


def record(server: Any) -> None:
    answer = requests.post(f"{server.url}/inspector/api/recording", data={"on": "true"}, timeout=10)
    assert answer.status_code == 200 and answer.json() == {"recording": True}


def closed_connection(server: Any, predicate: Any, timeout: float = 5.0) -> dict[str, Any]:
    """The first closed connection whose events satisfy *predicate*."""
    deadline = time.monotonic() + timeout
    while True:
        for summary in api(server, "connections")["closed"]:
            found = api(server, f"connections/{summary['id']}")
            if predicate(found):
                return found  # type: ignore[no-any-return]
        if time.monotonic() > deadline:
            raise AssertionError("no such connection in the inspector")
        time.sleep(0.1)


def names(found: dict[str, Any]) -> list[str]:
    return [e["event"] for e in found["events"]]


def test_recording_follows_the_policy_and_the_api(make_server):
    server = make_server(webapps=WEBAPPS).start()
    # "watched" by default: nobody watches, nothing is recorded.
    assert api(server, "connections")["recording"] is False
    assert api(server, "recording") == {"recording": False, "policy": "watched"}
    record(server)
    assert api(server, "connections")["recording"] is True
    off = requests.post(f"{server.url}/inspector/api/recording?on=false", timeout=10)
    assert off.json() == {"recording": False}
    bad = requests.post(f"{server.url}/inspector/api/recording?on=maybe", timeout=10)
    assert bad.status_code == 400


def test_an_http_request_hop_by_hop_with_secrets_masked(make_server):
    server = make_server(webapps=WEBAPPS).start()
    record(server)
    requests.get(
        f"{server.url}/examples/servlets/helloworld",
        headers={"Cookie": "JSESSIONID=topsecret1", "Authorization": "Basic dG9wc2VjcmV0Mg==", "Connection": "close"},
        timeout=10,
    )
    found = closed_connection(server, lambda c: "ServletCalled" in names(c))
    events = names(found)
    # accept -> read -> parse -> map -> valves -> servlet -> commit -> write -> keep-alive -> close
    for before, after in zip(
        [
            "ConnectionAccepted",
            "BytesReceived",
            "RequestHeadParsed",
            "RequestMapped",
            "ValveEntered",
            "ServletCalled",
            "ServletReturned",
            "ValveLeft",
            "ResponseCommitted",
            "KeepAliveDecided",
        ],
        [
            "BytesReceived",
            "RequestHeadParsed",
            "RequestMapped",
            "ValveEntered",
            "ServletCalled",
            "ServletReturned",
            "ValveLeft",
            "ResponseCommitted",
            "KeepAliveDecided",
            "ConnectionClosed",
        ],
        strict=True,
    ):
        assert events.index(before) < events.index(after), (before, after, events)
    by_name = {e["event"]: e for e in found["events"]}
    assert by_name["ConnectionAccepted"]["component"] == "Endpoint"
    assert by_name["RequestHeadParsed"]["component"] == "Http11Processor"
    mapped = by_name["RequestMapped"]
    assert mapped["component"] == "CoyoteAdapter" and mapped["fields"]["wrapper"] == "HelloWorldExample"
    assert mapped["fields"]["match_type"] == "exact"
    committed = by_name["ResponseCommitted"]["fields"]
    assert committed["status"] == 200 and committed["framing"] == "content-length" and committed["reason"]
    assert by_name["KeepAliveDecided"]["fields"]["keep_alive"] is False
    valves = [e["component"] for e in found["events"] if e["event"] == "ValveEntered"]
    assert valves[0] == "StandardEngineValve" and valves[-1] == "StandardWrapperValve"
    assert all(e["t"] is not None and e["t"] >= 0 for e in found["events"])
    raw = by_name["BytesReceived"]["fields"]["data"]
    assert raw["text"].startswith("GET /examples/servlets/helloworld HTTP/1.1") and raw["hex"].startswith("47 45 54")
    text = json.dumps(found)
    assert "topsecret1" not in text and "dG9wc2VjcmV0Mg" not in text
    headers = dict((k.lower(), v) for k, v in by_name["RequestHeadParsed"]["fields"]["headers"])
    assert headers["cookie"] == "***" and headers["authorization"] == "***"
    # The connections list and the counters.
    assert found["connection"]["requests"] == 1 and found["connection"]["open"] is False
    status = api(server, "status")
    examples = next(c for c in status["contexts"] if c["path"] == "/examples")
    assert examples["requests"] >= 1 and examples["errors"] == 0
    connector = status["connectors"][0]
    assert connector["requests"] >= 1 and connector["bytes_in"] > 0 and connector["bytes_out"] > 0


def test_the_inspectors_own_traffic_is_not_listed(make_server):
    server = make_server(webapps=WEBAPPS).start()
    record(server)
    for _ in range(3):
        api(server, "status")
    requests.get(f"{server.url}/inspector/", timeout=10)
    listing = api(server, "connections")
    every = listing["open"] + listing["closed"]
    assert not any(c["last_request"].split(" ")[-1].startswith("/inspector/") for c in every), every


def test_a_websocket_handshake_and_its_frames(make_server):
    server = make_server(webapps=WEBAPPS).start()
    record(server)
    with connect(f"ws://127.0.0.1:{server.port}/examples/websocket/echo", compression=None) as ws:
        ws.send("Hello")
        assert ws.recv(timeout=5) == "Hello"
        accept = ws.response.headers["Sec-WebSocket-Accept"]
        key = ws.request.headers["Sec-WebSocket-Key"]
    found = closed_connection(server, lambda c: "WebSocketClosed" in names(c))
    by_name: dict[str, list[dict[str, Any]]] = {}
    for event in found["events"]:
        by_name.setdefault(event["event"], []).append(event)
    checks = [e["fields"]["check"] for e in by_name["HandshakeCheck"]]
    assert checks[:7] == ["method", "http-version", "upgrade", "connection", "version", "key", "origin"]
    steps = by_name["HandshakeAccepted"][0]["fields"]["accept_steps"]
    assert steps[0]["value"] == key and steps[1]["value"] == key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
    assert len(steps[2]["value"].split()) == 20 and steps[-1]["value"] == accept
    frame_in = by_name["FrameReceived"][0]
    assert frame_in["component"] == "WsFrameServer"
    fields = frame_in["fields"]
    assert fields["opcode"] == "text" and fields["fin"] is True and fields["masked"] is True
    assert len(fields["mask_key"]) == 8 and fields["payload"]["text"] == "Hello" and fields["length"] == 5
    frame_out = by_name["FrameSent"][0]["fields"]
    assert frame_out["masked"] is False and frame_out["mask_key"] is None and frame_out["payload"]["text"] == "Hello"
    # The close: the client's frame, the server's reply, who started it.
    closes_in = [e for e in by_name["FrameReceived"] if e["fields"]["opcode"] == "close"]
    closes_out = [e for e in by_name["FrameSent"] if e["fields"]["opcode"] == "close"]
    assert closes_in and closes_out
    closed = by_name["WebSocketClosed"][0]["fields"]
    assert closed["code"] == 1000 and closed["initiator"] == "client"
    echo = next(e for e in api(server, "status")["websocket"] if e["path"] == "/websocket/echo")
    assert echo["messages_in"] == 1 and echo["messages_out"] == 1 and echo["close_codes"] == {"1000": 1}
    # Wire bytes: the masked 5-byte text frame (2 + 4 + 5) and the close (2 + 4 + 2).
    assert echo["sessions_total"] == 1 and echo["bytes_in"] == 11 + 8
    # The connection's totals count the frames too, not only the handshake.
    handshake_in = sum(e["fields"]["data"]["length"] for e in by_name["BytesReceived"])
    assert found["connection"]["bytes_in"] == handshake_in + 11 + 8
    closed_event = by_name["ConnectionClosed"][0]["fields"]
    handshake_out = sum(e["fields"]["data"]["length"] for e in by_name["BytesSent"])
    # Out: the unmasked echo (2 + 5) and the close reply (2 + 2).
    assert closed_event["bytes_in"] == handshake_in + 11 + 8 and closed_event["bytes_out"] == handshake_out + 7 + 4


def test_a_refused_handshake_says_which_check_failed(make_server):
    server = make_server(webapps=WEBAPPS).start()
    record(server)
    answer = requests.get(f"{server.url}/examples/websocket/echo", headers={"Connection": "close"}, timeout=10)
    assert answer.status_code == 426
    found = closed_connection(server, lambda c: "HandshakeRefused" in names(c))
    refused = next(e for e in found["events"] if e["event"] == "HandshakeRefused")["fields"]
    assert refused["status"] == 426 and refused["check"] == "upgrade"
    assert "Upgrade: None" in refused["compared"] and "Connection: close" in refused["compared"]


def test_large_and_binary_input_is_shown_cut_and_escaped(make_server):
    server = make_server(webapps=WEBAPPS).start()
    record(server)
    garbage = bytes(range(256)) * 240  # 61,440 bytes, under the echo's 64 KiB
    with connect(f"ws://127.0.0.1:{server.port}/examples/websocket/echo", compression=None, max_size=None) as ws:
        ws.send(garbage)
        assert ws.recv(timeout=10) == garbage
    # A header block far over maxHttpHeaderSize: the 400, and a cut preview.
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw:
        raw.sendall(b"GET /examples/ HTTP/1.1\r\nHost: x\r\nX-Big: " + b"\xff\x00<script>" * 8000 + b"\r\n\r\n")
        reply = raw.recv(65536)
    assert reply.startswith(b"HTTP/1.1 400")
    found = closed_connection(server, lambda c: "FrameReceived" in names(c))
    frame = next(e for e in found["events"] if e["event"] == "FrameReceived")["fields"]
    assert frame["length"] == len(garbage) and frame["payload"]["truncated"] is True
    assert frame["payload"]["length"] == len(garbage) and len(frame["payload"]["hex"].split()) <= 256
    assert set(frame["payload"]["text"]) <= set(chr(c) for c in range(32, 127)) | {"\t", "\r", "\n"}
    big = closed_connection(
        server, lambda c: any(e["event"] == "BytesReceived" for e in c["events"]) and "X-Big" in json.dumps(c)
    )
    reads = [e["fields"]["data"] for e in big["events"] if e["event"] == "BytesReceived"]
    assert all(len(r["hex"].split()) <= 4096 for r in reads)
    assert sum(r["length"] for r in reads) > 4096 and any(r["truncated"] for r in reads)
    assert "<script>" in reads[0]["text"]  # text, to be shown with textContent: the page never parses it


def test_the_pipeline_as_configured(make_server):
    server = make_server(webapps=WEBAPPS).start()
    tree = api(server, "pipeline")
    assert tree["kind"] == "Server"
    service = tree["children"][0]
    kinds = [c["kind"] for c in service["children"]]
    assert kinds == ["Connector", "Engine"]
    assert service["children"][0]["name"] == f"http-gevent-{server.port}"
    host = service["children"][1]["children"][0]
    assert host["kind"] == "Host" and [v["class"] for v in host["valves"]][:1] == ["AccessLogValve"]
    examples = next(c for c in host["children"] if c["name"] == "/examples")
    assert "TimingFilter" in [f["name"] for f in examples["filters"]]
    assert "/websocket/echo" in [e["path"] for e in examples["endpoints"]]
    hello = next(w for w in examples["children"] if w["name"] == "HelloWorldExample")
    assert hello["mappings"] == ["/servlets/helloworld"] and hello["class"] == "hello.HelloWorldExample"
    inspector = next(c for c in host["children"] if c["name"] == "/inspector")
    assert [v["class"] for v in inspector["valves"]][0] == "RemoteAddrValve"


def test_the_live_socket_feeds_a_page(make_server):
    server = make_server(webapps=WEBAPPS).start()
    with connect(f"ws://127.0.0.1:{server.port}/inspector/live") as page:
        kinds = [json.loads(page.recv(timeout=5))["type"] for _ in range(2)]
        assert kinds == ["hello", "pipeline"]
        # A page is open: the inspector records.
        assert api(server, "recording")["recording"] is True
        requests.get(f"{server.url}/examples/servlets/helloworld", timeout=10)
        watched = None
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            message = json.loads(page.recv(timeout=5))
            if message["type"] == "connections" and watched is None:
                candidates = [c for c in message["open"] + message["closed"] if c["requests"] and c["recorded"]]
                if candidates:
                    watched = candidates[0]["id"]
                    page.send(json.dumps({"type": "watch", "connection": watched}))
            elif message["type"] == "events" and message["connection"] == watched and message["events"]:
                assert message["reset"] is True
                assert "RequestHeadParsed" in [e["event"] for e in message["events"]]
                break
        else:
            raise AssertionError("the page never got the watched connection's events")


def test_only_loopback_clients_get_in(make_server):
    server = make_server(webapps=WEBAPPS, server_xml=SERVER_XML_WITH_REMOTE_IP).start()
    far = {"X-Forwarded-For": "203.0.113.9"}
    refused = requests.get(f"{server.url}/inspector/api/status", headers=far, timeout=10)
    assert refused.status_code == 403 and "403" in refused.text
    page = requests.get(f"{server.url}/inspector/", headers=far, timeout=10)
    assert page.status_code == 403
    # The same client elsewhere, and a loopback client here, get through.
    assert requests.get(f"{server.url}/examples/servlets/helloworld", headers=far, timeout=10).status_code == 200
    assert requests.get(f"{server.url}/inspector/api/status", timeout=10).status_code == 200


def test_without_privileged_the_inspector_says_why(make_server, tmp_path):
    plain = tmp_path / "inspector-plain"
    shutil.copytree(REPO / "webapps" / "inspector", plain)
    (plain / "META-INF" / "context.xml").write_text('<Context privileged="false"/>\n')
    server = make_server(webapps={"inspector": plain}).start()
    answer = requests.get(f"{server.url}/inspector/api/status", timeout=10)
    assert answer.status_code == 503 and "privileged" in answer.json()["error"]
    assert "needs a privileged context" in server.output()


def test_unknown_paths_and_ids(make_server):
    server = make_server(webapps=WEBAPPS).start()
    assert requests.get(f"{server.url}/inspector/api/connections/999999", timeout=10).status_code == 404
    assert requests.get(f"{server.url}/inspector/api/connections/abc", timeout=10).status_code == 404
    assert requests.get(f"{server.url}/inspector/api/nothing", timeout=10).status_code == 404


def test_a_page_can_ask_why_its_handshake_was_refused(make_server):
    """A browser cannot read a refused handshake's body; the examples ask
    again with a plain GET (webapps/examples/websocket/explain.js) and get
    the 426 and the reason of this client's last refusal on that path."""
    server = make_server(webapps=WEBAPPS).start()
    handshake = {
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version": "13",
        "Origin": "http://evil.example",
    }
    refused = requests.get(f"{server.url}/examples/websocket/echo", headers=handshake, timeout=10)
    assert refused.status_code == 403
    why = requests.get(f"{server.url}/examples/websocket/echo", timeout=10)
    assert why.status_code == 426
    assert "was refused with 403 Forbidden" in why.text and "evil.example" in why.text
    # Another path knows nothing of it.
    other = requests.get(f"{server.url}/examples/websocket/chat", timeout=10)
    assert other.status_code == 426 and "was refused" not in other.text
