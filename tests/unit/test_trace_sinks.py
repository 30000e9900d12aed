"""The trace sinks' pieces without sockets: TraceFilter (connector, client,
path prefix, excluded prefix), the JSON trace writer and its listener, and
the bus's admission of requests."""

from __future__ import annotations

import io
import json
from pathlib import Path

import gevent

from catalina_py.events import (
    BUS,
    BytesReceived,
    ConnectionAccepted,
    ConnectionClosed,
    Event,
    EventBus,
    FrameReceived,
    KeepAliveDecided,
    RequestHeadParsed,
    RequestRejected,
    Upgraded,
)
from catalina_py.inspector.recorder import ADMIT_PER_SECOND, Recorder
from catalina_py.trace_filter import MAX_HELD, TraceFilter
from catalina_py.trace_json import JsonTraceListener, JsonTraceWriter


class Sink:
    def __init__(self) -> None:
        self.events: list[Event] = []

    def on_event(self, event: Event) -> None:
        self.events.append(event)

    def names(self) -> list[str]:
        return [type(e).__name__ for e in self.events]


def accepted(conn: int, port: int = 8080, client: str = "127.0.0.1") -> ConnectionAccepted:
    return ConnectionAccepted(
        connection=conn,
        connector=f"http-gevent-{port}",
        remote_addr=client,
        remote_port=5000,
        local_addr="127.0.0.1",
        local_port=port,
    )


def head(conn: int, target: str) -> RequestHeadParsed:
    return RequestHeadParsed(connection=conn, method="GET", target=target, version="HTTP/1.1", headers=(), body="none")


def kept(conn: int) -> KeepAliveDecided:
    return KeepAliveDecided(connection=conn, keep_alive=True, reason="HTTP/1.1")


def closed(conn: int) -> ConnectionClosed:
    return ConnectionClosed(connection=conn, duration=1.0, requests=1, bytes_in=1, bytes_out=1, reason="x")


def feed(observer: TraceFilter, *stream: Event) -> None:
    for event in stream:
        observer.on_event(event)


def test_no_criterion_passes_everything() -> None:
    sink = Sink()
    criteria = TraceFilter(sink)
    assert not criteria.restricts
    feed(criteria, accepted(1), head(1, "/x"), closed(1))
    assert sink.names() == ["ConnectionAccepted", "RequestHeadParsed", "ConnectionClosed"]


def test_connector_and_client_drop_whole_connections() -> None:
    sink = Sink()
    criteria = TraceFilter(sink, connector="8080", client="10.0.0.1")
    feed(criteria, accepted(1, 8080, "10.0.0.1"), head(1, "/a"), closed(1))
    feed(criteria, accepted(2, 9090, "10.0.0.1"), head(2, "/b"), closed(2))
    feed(criteria, accepted(3, 8080, "10.0.0.2"), head(3, "/c"), closed(3))
    assert [e.connection for e in sink.events] == [1, 1, 1]
    by_name = TraceFilter(Sink(), connector="http-gevent-9090")
    feed(by_name, accepted(4, 9090), head(4, "/"))
    assert len(by_name.sink.events) == 2  # type: ignore[attr-defined]


def test_the_path_prefix_holds_a_requests_events_until_its_head() -> None:
    sink = Sink()
    criteria = TraceFilter(sink, path_prefix="/examples")
    read = BytesReceived(connection=1, data=b"GET /other")
    feed(criteria, accepted(1), read)
    assert sink.events == []  # held: the path is not known yet
    feed(criteria, head(1, "/other"), kept(1))  # not matching: dropped with what was held
    feed(criteria, BytesReceived(connection=1, data=b"GET /examples/a"), head(1, "/examples/a"), kept(1))
    feed(criteria, head(1, "/other/2"), kept(1))
    feed(criteria, head(1, "/examples/b"), Upgraded(connection=1, handler="H", leftover=0))
    frame = FrameReceived(
        connection=1,
        opcode="text",
        fin=True,
        rsv1=False,
        masked=True,
        length=1,
        payload=b"x",
        description="",
    )
    feed(criteria, frame, closed(1))
    assert sink.names() == [
        "ConnectionAccepted",  # with the first matching request
        "BytesReceived",
        "RequestHeadParsed",
        "KeepAliveDecided",
        "RequestHeadParsed",
        "Upgraded",
        "FrameReceived",  # after the upgrade of a matching request, every frame
        "ConnectionClosed",
    ]
    assert [e.target for e in sink.events if isinstance(e, RequestHeadParsed)] == ["/examples/a", "/examples/b"]


def test_a_connection_with_no_matching_request_is_left_out() -> None:
    sink = Sink()
    criteria = TraceFilter(sink, path_prefix="/examples")
    feed(criteria, accepted(1), head(1, "/x"), kept(1), closed(1))
    assert sink.events == []


def test_the_excluded_prefix_and_an_unparsable_request() -> None:
    sink = Sink()
    criteria = TraceFilter(sink, exclude_prefix="/inspector/")
    feed(criteria, accepted(1), head(1, "/inspector/api/status"), kept(1), head(1, "/examples/"), kept(1))
    assert [e.target for e in sink.events if isinstance(e, RequestHeadParsed)] == ["/examples/"]
    # A request that cannot be parsed has no path: shown (it is not the excluded one's).
    feed(criteria, accepted(2), BytesReceived(connection=2, data=b"\x00junk"))
    feed(criteria, RequestRejected(connection=2, status=400, reason="bad"), closed(2))
    assert [type(e).__name__ for e in sink.events if e.connection == 2] == [
        "ConnectionAccepted",
        "BytesReceived",
        "RequestRejected",
        "ConnectionClosed",
    ]


def test_held_events_are_bounded() -> None:
    sink = Sink()
    criteria = TraceFilter(sink, path_prefix="/a")
    feed(criteria, accepted(1))
    for _ in range(MAX_HELD + 50):
        criteria.on_event(BytesReceived(connection=1, data=b"x"))
    criteria.on_event(head(1, "/a"))
    assert sum(1 for e in sink.events if isinstance(e, BytesReceived)) == MAX_HELD


def test_json_lines_with_secrets_masked() -> None:
    stream = io.StringIO()
    writer = JsonTraceWriter(stream)
    writer.on_event(
        RequestHeadParsed(
            connection=3, method="GET", target="/", version="HTTP/1.1", headers=(("Cookie", "s=1"),), body="none"
        )
    )
    writer.on_event(BytesReceived(connection=3, data=b"GET / HTTP/1.1\r\nAuthorization: Basic abc\r\n\r\n"))
    assert stream.getvalue() == ""  # buffered
    writer.flush()
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [set(line) for line in lines] == [
        {"time", "connection", "event", "component", "step", "summary", "fields"}
    ] * 2
    assert lines[0]["event"] == "RequestHeadParsed" and lines[0]["fields"]["headers"] == [["Cookie", "***"]]
    assert "abc" not in lines[1]["fields"]["data"]["text"] and lines[1]["component"] == "Http11Processor"
    unmasked = io.StringIO()
    plain = JsonTraceWriter(unmasked, mask=False)
    plain.on_event(BytesReceived(connection=3, data=b"Cookie: s=1\r\n"))
    plain.flush()
    assert "s=1" in unmasked.getvalue()


def test_the_listener_writes_what_the_bus_carries(tmp_path: Path) -> None:
    listener = JsonTraceListener({"pathPrefix": "/examples"}, catalina_base=str(tmp_path))
    listener.start()
    try:
        for event in (accepted(9), head(9, "/examples/x"), kept(9), head(9, "/nope"), kept(9), closed(9)):
            BUS.emit(event)
        gevent.sleep(0.01)
    finally:
        listener.stop()
    assert BUS.observers == ()
    lines = [json.loads(line) for line in (tmp_path / "logs" / "trace.jsonl").read_text().splitlines()]
    assert [line["event"] for line in lines] == [
        "ConnectionAccepted",
        "RequestHeadParsed",
        "KeepAliveDecided",
        "ConnectionClosed",
    ]


def test_admission_is_asked_of_every_admitting_observer() -> None:
    bus = EventBus()
    assert bus.admit() is False  # nobody listens
    recorder = Recorder()
    bus.subscribe(TraceFilter(recorder))
    answers = [bus.admit() for _ in range(ADMIT_PER_SECOND + 10)]
    assert answers.count(True) == ADMIT_PER_SECOND and recorder.passed_over == 10
    bus.subscribe(Sink())  # an observer without admit() takes every request
    assert bus.admit() is True
