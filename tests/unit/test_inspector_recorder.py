"""catalina_py.inspector.recorder.Recorder: what the inspector remembers of
each connection, fed hand-built events of an HTTP request and a WebSocket
connection (no sockets, no server)."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from catalina_py.event_views import MAX_BYTES, MAX_PAYLOAD
from catalina_py.events import (
    BytesReceived,
    BytesSent,
    ConnectionAccepted,
    ConnectionClosed,
    Event,
    FrameReceived,
    FrameSent,
    HandshakeAccepted,
    HandshakeCheck,
    KeepAliveDecided,
    MessageReceived,
    MessageSent,
    RequestCompleted,
    RequestHeadParsed,
    RequestMapped,
    ResponseCommitted,
    ServletCalled,
    ServletReturned,
    Upgraded,
    ValveEntered,
    ValveLeft,
    WebSocketClosed,
    WebSocketOpened,
)
from catalina_py.inspector import recorder as recorder_module
from catalina_py.inspector.recorder import (
    CLOSED_KEEP,
    CLOSED_SECONDS,
    MAX_EVENTS,
    RAW_PER_CONNECTION,
    ConnectionRecord,
    Recorder,
)

EVENT_KEYS = {"seq", "at", "t", "event", "component", "step", "summary", "fields"}
REQUEST = b"GET /examples/servlets/helloworld HTTP/1.1\r\nHost: localhost\r\nCookie: JSESSIONID=s3cr3t\r\n\r\n"
RESPONSE = b"HTTP/1.1 200 \r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\nhello"


# -- builders ------------------------------------------------------------------------
def accepted(conn: int, at: float, connector: str = "http-gevent-8080") -> ConnectionAccepted:
    return ConnectionAccepted(
        connection=conn,
        at=at,
        connector=connector,
        remote_addr="127.0.0.1",
        remote_port=51234,
        local_addr="127.0.0.1",
        local_port=8080,
    )


def head(conn: int, at: float, target: str = "/examples/servlets/helloworld", method: str = "GET") -> RequestHeadParsed:
    return RequestHeadParsed(
        connection=conn,
        at=at,
        method=method,
        target=target,
        version="HTTP/1.1",
        headers=(("Host", "localhost"), ("Cookie", "JSESSIONID=s3cr3t")),
        body="none",
    )


def mapped(conn: int, at: float, context_path: str | None = "/examples") -> RequestMapped:
    return RequestMapped(
        connection=conn,
        at=at,
        host="localhost",
        context_path=context_path,
        wrapper="HelloWorldExample",
        match_type="exact",
        match_pattern="/servlets/helloworld",
        servlet_path="/servlets/helloworld",
        path_info=None,
        redirect=None,
        reason="exact match",
    )


def closed(conn: int, at: float, bytes_in: int = 1000, bytes_out: int = 2000) -> ConnectionClosed:
    return ConnectionClosed(
        connection=conn, at=at, duration=0.5, requests=1, bytes_in=bytes_in, bytes_out=bytes_out, reason="client EOF"
    )


def http_request(conn: int, t0: float) -> list[Event]:
    """The events of one HTTP request on a new connection accepted at *t0*."""
    return [
        accepted(conn, t0),
        BytesReceived(connection=conn, at=t0 + 0.001, data=REQUEST),
        head(conn, t0 + 0.002),
        mapped(conn, t0 + 0.003),
        ValveEntered(connection=conn, at=t0 + 0.004, container="StandardEngine[Catalina]", valve="StandardEngineValve"),
        ServletCalled(
            connection=conn, at=t0 + 0.005, servlet="HelloWorldExample", servlet_class="x.HelloWorld", method="GET"
        ),
        ServletReturned(connection=conn, at=t0 + 0.006, servlet="HelloWorldExample", elapsed=0.001, error=None),
        ValveLeft(
            connection=conn,
            at=t0 + 0.007,
            container="StandardEngine[Catalina]",
            valve="StandardEngineValve",
            elapsed=0.003,
        ),
        ResponseCommitted(
            connection=conn,
            at=t0 + 0.008,
            status=200,
            headers=(("Content-Type", "text/html"), ("Content-Length", "5")),
            framing="content-length",
            content_length=5,
            reason="the servlet set Content-Length",
        ),
        BytesSent(connection=conn, at=t0 + 0.009, data=RESPONSE),
        RequestCompleted(connection=conn, at=t0 + 0.010, request=object(), response=object(), elapsed=0.008),
        KeepAliveDecided(connection=conn, at=t0 + 0.011, keep_alive=True, reason="HTTP/1.1 default"),
    ]


def frame(
    cls: type, conn: int, opcode: str, length: int, *, fin: bool = True, rsv1: bool = False, at: float | None = None
) -> Any:
    return cls(
        connection=conn,
        at=time.time() if at is None else at,
        opcode=opcode,
        fin=fin,
        rsv1=rsv1,
        masked=cls is FrameReceived,
        length=length,
        payload=b"p" * min(length, MAX_PAYLOAD),
        description=f"{opcode} frame, {length} bytes",
        mask_key=b"\x01\x02\x03\x04" if cls is FrameReceived else None,
    )


def websocket_upgrade(conn: int, t0: float) -> list[Event]:
    return [
        accepted(conn, t0),
        BytesReceived(connection=conn, at=t0 + 0.001, data=b"GET /examples/websocket/echo HTTP/1.1\r\n\r\n"),
        head(conn, t0 + 0.002, "/examples/websocket/echo"),
        mapped(conn, t0 + 0.003),
        HandshakeCheck(connection=conn, at=t0 + 0.004, check="version", passed=True, detail="13"),
        HandshakeAccepted(
            connection=conn,
            at=t0 + 0.005,
            endpoint="examples.EchoEndpoint",
            path="/websocket/echo",
            key="dGhlIHNhbXBsZSBub25jZQ==",
            accept="s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
            subprotocol=None,
            extensions="permessage-deflate",
        ),
        BytesSent(connection=conn, at=t0 + 0.006, data=b"HTTP/1.1 101 \r\nUpgrade: websocket\r\n\r\n"),
        Upgraded(connection=conn, at=t0 + 0.007, handler="catalina_py.websocket.WsHttpUpgradeHandler", leftover=0),
        WebSocketOpened(
            connection=conn, at=t0 + 0.008, endpoint="examples.EchoEndpoint", path="/websocket/echo", session_id="0"
        ),
    ]


def feed(recorder: Recorder, events: list[Event]) -> None:
    for event in events:
        recorder.on_event(event)


def names(recorder: Recorder, record: ConnectionRecord) -> list[str]:
    return [e["event"] for e in recorder.events_json(record)]


def of(recorder: Recorder, record: ConnectionRecord, name: str) -> list[dict[str, Any]]:
    return [e for e in recorder.events_json(record) if e["event"] == name]


# -- an HTTP request -------------------------------------------------------------
def test_an_http_request_is_recorded_on_its_connection() -> None:
    recorder = Recorder()
    t0 = time.time()
    feed(recorder, http_request(1, t0))
    record = recorder.open[1]
    assert recorder.find(1) is record
    assert record.connector == "http-gevent-8080"
    assert record.client == "127.0.0.1:51234" and record.server == "127.0.0.1:8080"
    assert record.accepted_at == t0
    assert record.requests == 1 and record.last_request == "GET /examples/servlets/helloworld"
    assert record.context_path == "/examples"
    assert record.bytes_in == len(REQUEST) and record.bytes_out == len(RESPONSE)
    assert record.upgraded is False and record.endpoint is None
    assert names(recorder, record) == [
        "ConnectionAccepted",
        "BytesReceived",
        "RequestHeadParsed",
        "RequestMapped",
        "ValveEntered",
        "ServletCalled",
        "ServletReturned",
        "ValveLeft",
        "ResponseCommitted",
        "BytesSent",
        "KeepAliveDecided",
    ]


def test_request_completed_is_not_kept() -> None:
    recorder = Recorder()
    feed(recorder, http_request(1, time.time()))
    record = recorder.open[1]
    assert not any(isinstance(event, RequestCompleted) for _seq, event, _extra in record.events)
    assert "RequestCompleted" not in names(recorder, record)


def test_the_connection_summary() -> None:
    recorder = Recorder()
    t0 = time.time()
    feed(recorder, http_request(1, t0))
    summary = recorder.open[1].summary(t0 + 2.5)
    assert summary == {
        "id": 1,
        "connector": "http-gevent-8080",
        "client": "127.0.0.1:51234",
        "server": "127.0.0.1:8080",
        "state": "open",
        "requests": 1,
        "bytes_in": len(REQUEST),
        "bytes_out": len(RESPONSE),
        "age": 2.5,
        "open": True,
        "upgraded": False,
        "last_request": "GET /examples/servlets/helloworld",
        "events": 11,
        "recorded": True,
        "closed_at": None,
        "close_reason": None,
    }
    json.dumps(summary)


def test_a_second_request_on_the_connection() -> None:
    recorder = Recorder()
    t0 = time.time()
    feed(recorder, http_request(1, t0))
    feed(recorder, [head(1, t0 + 1, "/docs/", "HEAD"), mapped(1, t0 + 1.001, None)])
    record = recorder.open[1]
    assert record.requests == 2 and record.last_request == "HEAD /docs/"
    assert record.context_path is None  # the second request mapped to no context


def test_the_context_is_reset_by_each_head() -> None:
    recorder = Recorder()
    t0 = time.time()
    feed(recorder, http_request(1, t0))
    recorder.on_event(head(1, t0 + 1, "/other"))
    assert recorder.open[1].context_path is None


def test_a_long_target_is_cut_in_last_request() -> None:
    recorder = Recorder()
    feed(recorder, [accepted(1, time.time()), head(1, time.time(), "/" + "x" * 1000)])
    assert recorder.open[1].last_request == "GET /" + "x" * 199


def test_secrets_are_masked_in_what_is_kept() -> None:
    recorder = Recorder()
    t0 = time.time()
    cut = REQUEST.index(b"s3c") + 2
    feed(
        recorder,
        [
            accepted(1, t0),
            BytesReceived(connection=1, at=t0, data=REQUEST[:cut]),
            BytesReceived(connection=1, at=t0, data=REQUEST[cut:]),
            head(1, t0),
        ],
    )
    record = recorder.open[1]
    kept = [event.data for _seq, event, _extra in record.events if isinstance(event, BytesReceived)]
    assert b"s3" not in kept[0] and b"cr3t" not in kept[1]
    text = json.dumps(recorder.events_json(record))
    assert "s3cr3t" not in text and "cr3t" not in text
    assert of(recorder, record, "RequestHeadParsed")[0]["fields"]["headers"][1] == ["Cookie", "***"]


# -- event_json ------------------------------------------------------------------------
def test_event_json_shape() -> None:
    recorder = Recorder()
    t0 = time.time()
    feed(recorder, http_request(1, t0))
    record = recorder.open[1]
    shown = recorder.events_json(record)
    assert all(set(e) == EVENT_KEYS for e in shown)
    seqs = [e["seq"] for e in shown]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    json.dumps(shown)
    first, mapping = shown[0], shown[3]
    assert first["t"] == 0.0 and first["at"] == t0
    assert first["component"] == "Endpoint" and first["step"] == "accept"
    assert first["summary"] == "http-gevent-8080 accepted 127.0.0.1:51234 -> 127.0.0.1:8080"
    assert mapping["event"] == "RequestMapped" and mapping["component"] == "CoyoteAdapter"
    assert mapping["t"] == pytest.approx(0.003, abs=1e-6)
    assert mapping["fields"]["context_path"] == "/examples"
    assert "connection" not in mapping["fields"] and "at" not in mapping["fields"]
    valve = shown[4]
    assert valve["component"] == "StandardEngineValve" and valve["step"] == "valve"
    read = shown[1]["fields"]["data"]
    assert set(read) >= {"length", "hex", "text", "truncated"} and read["length"] == len(REQUEST)


def test_events_after_a_sequence_number() -> None:
    recorder = Recorder()
    feed(recorder, http_request(1, time.time()))
    record = recorder.open[1]
    everything = recorder.events_json(record)
    middle = everything[4]["seq"]
    later = list(recorder.events_after(record, middle))
    assert [seq for seq, _event, _extra in later] == [e["seq"] for e in everything[5:]]
    assert recorder.events_json(record, after=middle) == everything[5:]
    assert recorder.events_json(record, after=everything[-1]["seq"]) == []
    assert recorder.events_json(record, after=0) == everything


def test_sequence_numbers_run_over_all_connections() -> None:
    recorder = Recorder()
    t0 = time.time()
    feed(recorder, [accepted(1, t0), accepted(2, t0), head(1, t0), head(2, t0)])
    one = [e["seq"] for e in recorder.events_json(recorder.open[1])]
    two = [e["seq"] for e in recorder.events_json(recorder.open[2])]
    assert one == [1, 3] and two == [2, 4]


# -- the close and the ring of closed connections ------------------------------------
def test_after_the_close_the_connection_is_in_the_closed_ring() -> None:
    recorder = Recorder()
    t0 = time.time()
    feed(recorder, http_request(1, t0))
    recorder.on_event(closed(1, t0 + 0.5, bytes_in=4000, bytes_out=9000))
    assert 1 not in recorder.open and list(recorder.closed) == [1]
    record = recorder.find(1)
    assert record is not None and record is recorder.closed[1]
    assert record.closed_at == t0 + 0.5 and record.close_reason == "client EOF"
    assert (record.bytes_in, record.bytes_out) == (4000, 9000)  # the connection's own totals
    summary = record.summary(t0 + 100)
    assert summary["state"] == "closed" and summary["open"] is False and summary["age"] == 0.5
    assert names(recorder, record)[-1] == "ConnectionClosed"
    # Events after the close start a record only with an anchor.
    recorder.on_event(BytesReceived(connection=1, data=b"late"))
    assert 1 not in recorder.open


def test_unknown_connections_are_anchored_only_by_an_accept_or_a_head() -> None:
    recorder = Recorder()
    t0 = time.time()
    recorder.on_event(BytesReceived(connection=5, at=t0, data=b"GET / HTTP/1.1\r\n\r\n"))
    recorder.on_event(KeepAliveDecided(connection=5, at=t0, keep_alive=True, reason="r"))
    assert recorder.find(5) is None
    recorder.on_event(head(5, t0 + 1))  # accepted before recording began
    record = recorder.open[5]
    assert record.accepted_at == t0 + 1 and record.requests == 1 and record.connector == ""


def test_at_most_max_recorded_connections_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(recorder_module, "MAX_RECORDED", 2)
    recorder = Recorder()
    t0 = time.time()
    feed(recorder, [accepted(1, t0), accepted(2, t0), accepted(3, t0)])
    assert sorted(recorder.open) == [1, 2]
    recorder.on_event(closed(1, t0))
    recorder.on_event(accepted(4, t0))
    assert sorted(recorder.open) == [2, 4]


def test_expire_by_count() -> None:
    recorder = Recorder()
    t0 = time.time()
    for conn in range(1, CLOSED_KEEP + 6):
        feed(recorder, [accepted(conn, t0), closed(conn, t0)])
    assert len(recorder.closed) == CLOSED_KEEP
    assert list(recorder.closed)[0] == 6 and list(recorder.closed)[-1] == CLOSED_KEEP + 5
    assert recorder.find(5) is None and recorder.find(6) is not None


def test_expire_by_age() -> None:
    recorder = Recorder()
    t0 = time.time()
    feed(recorder, [accepted(1, t0), BytesReceived(connection=1, at=t0, data=b"x" * 100), closed(1, t0)])
    feed(recorder, [accepted(2, t0), closed(2, t0 + 100)])
    assert recorder.raw_total == 100
    recorder.expire(now=t0 + CLOSED_SECONDS - 1)
    assert list(recorder.closed) == [1, 2]
    recorder.expire(now=t0 + CLOSED_SECONDS + 1)
    assert list(recorder.closed) == [2]
    assert recorder.raw_total == 0  # its raw bytes released
    recorder.expire(now=t0 + 100 + CLOSED_SECONDS + 1)
    assert not recorder.closed


# -- bounds ------------------------------------------------------------------------
def test_at_most_max_events_per_connection_with_the_rest_counted() -> None:
    recorder = Recorder()
    t0 = time.time()
    recorder.on_event(accepted(1, t0))
    for i in range(MAX_EVENTS + 49):
        recorder.on_event(KeepAliveDecided(connection=1, at=t0, keep_alive=True, reason=f"r{i}"))
    record = recorder.open[1]
    assert len(record.events) == MAX_EVENTS and record.dropped == 50
    assert record.summary(t0)["events"] == MAX_EVENTS + 50
    shown = recorder.events_json(record)
    assert shown[0]["summary"] == "keep alive: r49" and shown[-1]["summary"] == f"keep alive: r{MAX_EVENTS + 48}"


def test_a_read_keeps_at_most_max_bytes_with_its_true_length() -> None:
    recorder = Recorder()
    t0 = time.time()
    recorder.on_event(accepted(1, t0))
    recorder.on_event(BytesReceived(connection=1, at=t0, data=b"A" * (1 << 20)))
    record = recorder.open[1]
    assert record.raw_bytes == MAX_BYTES and recorder.raw_total == MAX_BYTES
    assert record.bytes_in == 1 << 20
    view = of(recorder, record, "BytesReceived")[0]["fields"]["data"]
    assert view["length"] == 1 << 20 and view["truncated"] is True and len(view["text"]) == MAX_BYTES


def test_raw_bytes_per_connection_are_bounded() -> None:
    recorder = Recorder()
    t0 = time.time()
    recorder.on_event(accepted(1, t0))
    reads = RAW_PER_CONNECTION // 3000 + 3
    for _ in range(reads):
        recorder.on_event(BytesReceived(connection=1, at=t0, data=b"B" * 3000))
    record = recorder.open[1]
    assert record.raw_bytes == RAW_PER_CONNECTION
    assert record.bytes_in == 3000 * reads
    views = [e["fields"]["data"] for e in of(recorder, record, "BytesReceived")]
    assert all(v["length"] == 3000 for v in views)  # the true length, kept or not
    assert sum(len(v["text"]) for v in views) == RAW_PER_CONNECTION
    full = RAW_PER_CONNECTION // 3000
    assert [v["truncated"] for v in views] == [False] * full + [True] * (reads - full)
    assert views[-1]["hex"] == "" and views[-1]["text"] == ""
    # Another connection has its own allowance.
    recorder.on_event(accepted(2, t0))
    recorder.on_event(BytesSent(connection=2, at=t0, data=b"C" * 3000))
    assert recorder.open[2].raw_bytes == 3000
    assert recorder.raw_total == RAW_PER_CONNECTION + 3000


def test_raw_bytes_are_released_when_their_events_drop_out() -> None:
    recorder = Recorder()
    t0 = time.time()
    recorder.on_event(accepted(1, t0))
    recorder.on_event(BytesReceived(connection=1, at=t0, data=b"D" * 1000))
    recorder.on_event(BytesReceived(connection=1, at=t0, data=b"E" * 500))
    for _ in range(MAX_EVENTS - 3):  # exactly full
        recorder.on_event(KeepAliveDecided(connection=1, at=t0, keep_alive=True, reason="r"))
    record = recorder.open[1]
    assert len(record.events) == MAX_EVENTS and record.dropped == 0
    assert record.raw_bytes == 1500
    recorder.on_event(KeepAliveDecided(connection=1, at=t0, keep_alive=True, reason="r"))
    assert record.raw_bytes == 1500  # the accept dropped: no raw bytes
    recorder.on_event(KeepAliveDecided(connection=1, at=t0, keep_alive=True, reason="r"))
    assert record.raw_bytes == 500 and recorder.raw_total == 500


def test_a_masked_read_kept_whole_is_not_shown_truncated() -> None:
    recorder = Recorder()
    t0 = time.time()
    feed(recorder, [accepted(1, t0), BytesReceived(connection=1, at=t0, data=REQUEST)])
    view = of(recorder, recorder.open[1], "BytesReceived")[0]["fields"]["data"]
    assert "s3cr3t" not in view["text"] and view["length"] == len(REQUEST)
    assert view["truncated"] is False


# -- a WebSocket connection -------------------------------------------------------------
def test_a_websocket_connection_is_recorded() -> None:
    recorder = Recorder()
    t0 = time.time()
    feed(recorder, websocket_upgrade(1, t0))
    record = recorder.open[1]
    assert record.upgraded is True and record.endpoint == "/websocket/echo" and record.context_path == "/examples"
    assert record.summary(t0)["state"] == "upgraded"
    accepted_json = of(recorder, record, "HandshakeAccepted")[0]
    assert accepted_json["component"] == "WsServerContainer"
    assert accepted_json["fields"]["accept_steps"][-1]["value"] == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    feed(
        recorder,
        [
            frame(FrameReceived, 1, "text", 5),
            MessageReceived(connection=1, kind="text", length=5, payload=b"hello"),
            frame(FrameSent, 1, "text", 5),
            MessageSent(connection=1, kind="text", length=5, payload=b"hello"),
            frame(FrameReceived, 1, "close", 2),
            frame(FrameSent, 1, "close", 2),
            WebSocketClosed(connection=1, code=1000, reason="", initiator="client"),
            closed(1, time.time(), bytes_in=300, bytes_out=400),
        ],
    )
    assert 1 in recorder.closed and (record.bytes_in, record.bytes_out) == (300, 400)
    shown = recorder.events_json(record)
    assert [e["step"] for e in shown[-8:]] == [
        "frame in",
        "message in",
        "frame out",
        "message out",
        "frame in",
        "frame out",
        "close",
        "close",
    ]
    frame_in = of(recorder, record, "FrameReceived")[0]["fields"]
    assert frame_in["mask_key"] == "01020304" and frame_in["payload"]["length"] == 5
    message_in = of(recorder, record, "MessageReceived")[0]["fields"]
    assert (message_in["wire_length"], message_in["compressed"]) == (5, False)
    assert "uncompressed" not in message_in


def test_a_compressed_fragmented_message_carries_its_wire_length() -> None:
    recorder = Recorder()
    feed(recorder, websocket_upgrade(1, time.time()))
    feed(
        recorder,
        [
            frame(FrameReceived, 1, "text", 30, fin=False, rsv1=True),
            frame(FrameReceived, 1, "ping", 4),  # a control frame between fragments counts for nothing
            frame(FrameReceived, 1, "continuation", 12),
            MessageReceived(connection=1, kind="text", length=400, payload=b"a" * 256),
            frame(FrameSent, 1, "binary", 20, rsv1=True),
            MessageSent(connection=1, kind="binary", length=1000, payload=b"\x00" * 256),
            frame(FrameSent, 1, "binary", 7),
            MessageSent(connection=1, kind="binary", length=7, payload=b"\x00" * 7),
        ],
    )
    record = recorder.open[1]
    received = of(recorder, record, "MessageReceived")[0]["fields"]
    assert received["wire_length"] == 42 and received["compressed"] is True
    assert received["uncompressed"] is None  # a text message's byte size is not known
    sent = [e["fields"] for e in of(recorder, record, "MessageSent")]
    assert (sent[0]["wire_length"], sent[0]["compressed"], sent[0]["uncompressed"]) == (20, True, 1000)
    assert (sent[1]["wire_length"], sent[1]["compressed"]) == (7, False) and "uncompressed" not in sent[1]
    # The frames themselves are shown as on the wire.
    assert [e["fields"]["rsv1"] for e in of(recorder, record, "FrameSent")] == [True, False]


def test_a_message_without_frames_seen_has_no_wire_length() -> None:
    recorder = Recorder()
    feed(recorder, websocket_upgrade(1, time.time()))
    recorder.on_event(MessageReceived(connection=1, kind="text", length=2, payload=b"hi"))
    fields = of(recorder, recorder.open[1], "MessageReceived")[0]["fields"]
    assert fields["wire_length"] == -1 and fields["compressed"] is False


def test_directions_of_wire_lengths_are_kept_apart() -> None:
    recorder = Recorder()
    feed(recorder, websocket_upgrade(1, time.time()))
    feed(
        recorder,
        [
            frame(FrameSent, 1, "text", 99, rsv1=True),
            frame(FrameReceived, 1, "text", 11),
            MessageReceived(connection=1, kind="text", length=11, payload=b"x" * 11),
            MessageSent(connection=1, kind="text", length=500, payload=b"y" * 256),
        ],
    )
    record = recorder.open[1]
    assert of(recorder, record, "MessageReceived")[0]["fields"]["wire_length"] == 11
    sent = of(recorder, record, "MessageSent")[0]["fields"]
    assert sent["wire_length"] == 99 and sent["compressed"] is True
