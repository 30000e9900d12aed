"""catalina_py.trace_filter.TraceFilter: which connections and requests reach
a trace sink (by connector, client, path prefix, excluded prefix), fed
hand-built events and a sink that collects them in a list (no sockets)."""

from __future__ import annotations

import pytest

from catalina_py.events import (
    BytesReceived,
    BytesSent,
    ConnectionAccepted,
    ConnectionClosed,
    Event,
    FrameReceived,
    FrameSent,
    KeepAliveDecided,
    MessageReceived,
    RequestHeadParsed,
    RequestMapped,
    RequestRejected,
    ResponseCommitted,
    Upgraded,
    WebSocketClosed,
)
from catalina_py.trace_filter import MAX_HELD, TraceFilter


class Sink:
    """An observer keeping what it gets."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def on_event(self, event: Event) -> None:
        self.events.append(event)

    def names(self, connection: int | None = None) -> list[str]:
        return [type(e).__name__ for e in self.events if connection is None or e.connection == connection]

    def targets(self) -> list[str]:
        return [e.target for e in self.events if isinstance(e, RequestHeadParsed)]


class AdmittingSink(Sink):
    def __init__(self, answer: bool) -> None:
        super().__init__()
        self.answer = answer
        self.asked = 0

    def admit(self) -> bool:
        self.asked += 1
        return self.answer


def accepted(conn: int, port: int = 8080, client: str = "127.0.0.1") -> ConnectionAccepted:
    return ConnectionAccepted(
        connection=conn,
        connector=f"http-gevent-{port}",
        remote_addr=client,
        remote_port=40000 + conn,
        local_addr="127.0.0.1",
        local_port=port,
    )


def read(conn: int, data: bytes = b"GET / HTTP/1.1\r\n\r\n") -> BytesReceived:
    return BytesReceived(connection=conn, data=data)


def head(conn: int, target: str) -> RequestHeadParsed:
    return RequestHeadParsed(
        connection=conn, method="GET", target=target, version="HTTP/1.1", headers=(("Host", "h"),), body="none"
    )


def mapped(conn: int) -> RequestMapped:
    return RequestMapped(
        connection=conn,
        host="localhost",
        context_path="/examples",
        wrapper="w",
        match_type="exact",
        match_pattern="/x",
        servlet_path="/x",
        path_info=None,
        redirect=None,
        reason="exact",
    )


def committed(conn: int, status: int = 200) -> ResponseCommitted:
    return ResponseCommitted(
        connection=conn, status=status, headers=(), framing="content-length", content_length=2, reason="known length"
    )


def written(conn: int) -> BytesSent:
    return BytesSent(connection=conn, data=b"HTTP/1.1 200 \r\nContent-Length: 2\r\n\r\nok")


def kept(conn: int) -> KeepAliveDecided:
    return KeepAliveDecided(connection=conn, keep_alive=True, reason="HTTP/1.1 default")


def closed(conn: int, requests: int = 1) -> ConnectionClosed:
    return ConnectionClosed(connection=conn, duration=0.5, requests=requests, bytes_in=10, bytes_out=20, reason="eof")


def request(conn: int, target: str) -> list[Event]:
    """One request's events, from its first read to its keep-alive decision."""
    return [read(conn), head(conn, target), mapped(conn), committed(conn), written(conn), kept(conn)]


REQUEST_NAMES = [
    "BytesReceived",
    "RequestHeadParsed",
    "RequestMapped",
    "ResponseCommitted",
    "BytesSent",
    "KeepAliveDecided",
]


def frame(cls: type, conn: int, opcode: str = "text") -> FrameReceived | FrameSent:
    return cls(  # type: ignore[no-any-return]
        connection=conn,
        opcode=opcode,
        fin=True,
        rsv1=False,
        masked=cls is FrameReceived,
        length=2,
        payload=b"hi",
        description=f"{opcode} frame, 2 bytes",
    )


def feed(criteria: TraceFilter, *stream: Event | list[Event]) -> None:
    for item in stream:
        for event in item if isinstance(item, list) else [item]:
            criteria.on_event(event)


# -- restricts --------------------------------------------------------------------
def test_no_criteria_restricts_nothing() -> None:
    assert TraceFilter(Sink()).restricts is False
    assert TraceFilter(Sink(), connector="", client="", path_prefix="", exclude_prefix="").restricts is False


@pytest.mark.parametrize("criterion", ["connector", "client", "path_prefix", "exclude_prefix"])
def test_any_one_criterion_restricts(criterion: str) -> None:
    assert TraceFilter(Sink(), **{criterion: "x"}).restricts is True


def test_without_criteria_every_event_passes_in_order() -> None:
    sink = Sink()
    stream: list[Event] = [accepted(1), *request(1, "/a"), accepted(2), *request(2, "/b"), closed(1), closed(2)]
    feed(TraceFilter(sink), stream)
    assert sink.events == stream


def test_admission_is_the_sinks() -> None:
    assert TraceFilter(Sink()).admit() is True
    refusing = AdmittingSink(False)
    assert TraceFilter(refusing).admit() is False and refusing.asked == 1
    assert TraceFilter(AdmittingSink(True)).admit() is True


# -- connector and client: whole connections ---------------------------------------
def test_connector_by_name_drops_other_connections_whole() -> None:
    sink = Sink()
    criteria = TraceFilter(sink, connector="http-gevent-8080")
    feed(criteria, accepted(1, 8080), accepted(2, 9090), request(2, "/b"), request(1, "/a"), closed(2), closed(1))
    assert {e.connection for e in sink.events} == {1}
    assert sink.names() == ["ConnectionAccepted", *REQUEST_NAMES, "ConnectionClosed"]


def test_connector_by_port() -> None:
    sink = Sink()
    criteria = TraceFilter(sink, connector="9090")
    feed(criteria, accepted(1, 8080), request(1, "/a"), closed(1))
    feed(criteria, accepted(2, 9090), request(2, "/b"), closed(2))
    assert {e.connection for e in sink.events} == {2}
    assert len(sink.events) == 2 + len(REQUEST_NAMES)


def test_a_connector_criterion_is_matched_whole() -> None:
    sink = Sink()
    feed(TraceFilter(sink, connector="808"), accepted(1, 8080), request(1, "/a"), closed(1))
    feed(TraceFilter(sink, connector="http-gevent"), accepted(2, 8080), request(2, "/a"), closed(2))
    assert sink.events == []


def test_client_drops_other_clients_connections() -> None:
    sink = Sink()
    criteria = TraceFilter(sink, client="10.0.0.7")
    feed(criteria, accepted(1, client="10.0.0.7"), accepted(2, client="10.0.0.70"), accepted(3, client="10.0.0.8"))
    feed(criteria, request(3, "/c"), request(2, "/b"), request(1, "/a"), closed(1), closed(2), closed(3))
    assert {e.connection for e in sink.events} == {1}
    assert sink.names(1) == ["ConnectionAccepted", *REQUEST_NAMES, "ConnectionClosed"]


def test_connector_and_client_must_both_match() -> None:
    sink = Sink()
    criteria = TraceFilter(sink, connector="8080", client="10.0.0.7")
    feed(criteria, accepted(1, 8080, "10.0.0.7"), accepted(2, 9090, "10.0.0.7"), accepted(3, 8080, "10.0.0.8"))
    for conn in (1, 2, 3):
        feed(criteria, request(conn, "/x"), closed(conn))
    assert {e.connection for e in sink.events} == {1}


def test_a_dropped_connections_websocket_frames_are_dropped_too() -> None:
    sink = Sink()
    criteria = TraceFilter(sink, connector="8080")
    feed(criteria, accepted(4, 9090), read(4), head(4, "/ws"), Upgraded(connection=4, handler="H", leftover=0))
    feed(criteria, frame(FrameReceived, 4), frame(FrameSent, 4), closed(4))
    assert sink.events == []


# -- path prefix: per request ---------------------------------------------------
def test_the_bytes_before_a_head_are_held_then_released_with_the_accept() -> None:
    sink = Sink()
    criteria = TraceFilter(sink, path_prefix="/examples")
    accept = accepted(1)
    first, second = read(1, b"GET /exam"), read(1, b"ples/x HTTP/1.1\r\n\r\n")
    feed(criteria, accept, first, second)
    assert sink.events == []  # the path is not known yet
    parsed = head(1, "/examples/x")
    criteria.on_event(parsed)
    assert sink.events == [accept, first, second, parsed]  # the same objects, in order
    feed(criteria, mapped(1), kept(1))
    assert sink.names()[-2:] == ["RequestMapped", "KeepAliveDecided"]


def test_a_request_that_does_not_match_is_dropped_with_what_was_held() -> None:
    sink = Sink()
    criteria = TraceFilter(sink, path_prefix="/examples")
    feed(criteria, accepted(1), request(1, "/docs/"))
    assert sink.events == []
    feed(criteria, closed(1, requests=1))
    assert sink.events == []  # no request of it passed: neither does its close


def test_the_prefix_is_a_prefix_of_the_target() -> None:
    sink = Sink()
    criteria = TraceFilter(sink, path_prefix="/examples/")
    feed(criteria, accepted(1), request(1, "/examples"), request(1, "/x/examples/"), request(1, "/examples/?q=1"))
    assert sink.targets() == ["/examples/?q=1"]


def test_each_request_of_a_keep_alive_connection_decides_for_itself() -> None:
    sink = Sink()
    criteria = TraceFilter(sink, path_prefix="/examples")
    accept = accepted(1)
    feed(criteria, accept, request(1, "/examples/one"), request(1, "/docs/two"), request(1, "/examples/three"))
    feed(criteria, closed(1, requests=3))
    assert sink.targets() == ["/examples/one", "/examples/three"]
    assert sink.events[0] is accept and sink.names().count("ConnectionAccepted") == 1
    assert sink.names() == ["ConnectionAccepted", *REQUEST_NAMES, *REQUEST_NAMES, "ConnectionClosed"]
    # Nothing of the second request: none of its bytes either.
    assert len([e for e in sink.events if isinstance(e, BytesReceived)]) == 2


def test_the_accept_comes_with_the_first_matching_request_even_when_it_is_not_the_first() -> None:
    sink = Sink()
    criteria = TraceFilter(sink, path_prefix="/examples")
    accept = accepted(1)
    feed(criteria, accept, request(1, "/docs/"), request(1, "/examples/"), closed(1, requests=2))
    assert sink.events[0] is accept
    assert sink.names() == ["ConnectionAccepted", *REQUEST_NAMES, "ConnectionClosed"]
    assert sink.targets() == ["/examples/"]


def test_the_frames_after_a_matching_upgrade_pass() -> None:
    sink = Sink()
    criteria = TraceFilter(sink, path_prefix="/examples/websocket")
    feed(criteria, accepted(1), read(1), head(1, "/examples/websocket/echo"), committed(1, 101))
    feed(criteria, Upgraded(connection=1, handler="WsHttpUpgradeHandler", leftover=0))
    ws = [
        frame(FrameReceived, 1),
        MessageReceived(connection=1, kind="text", length=2, payload=b"hi"),
        frame(FrameSent, 1),
        frame(FrameReceived, 1, "close"),
        WebSocketClosed(connection=1, code=1000, reason="", initiator="client"),
    ]
    feed(criteria, ws, closed(1))
    assert sink.events[-len(ws) - 1 : -1] == ws
    assert sink.names()[-1] == "ConnectionClosed"


def test_the_frames_after_an_upgrade_that_does_not_match_are_dropped() -> None:
    sink = Sink()
    criteria = TraceFilter(sink, path_prefix="/examples")
    feed(criteria, accepted(1), read(1), head(1, "/other/ws"), Upgraded(connection=1, handler="H", leftover=0))
    feed(criteria, frame(FrameReceived, 1), frame(FrameSent, 1), closed(1))
    assert sink.events == []


def test_held_requests_of_two_connections_stay_apart() -> None:
    sink = Sink()
    criteria = TraceFilter(sink, path_prefix="/a")
    r1, r2 = read(1, b"one"), read(2, b"two")
    feed(criteria, accepted(1), accepted(2), r1, r2, head(2, "/b"), head(1, "/a"))
    assert [e for e in sink.events if isinstance(e, BytesReceived)] == [r1]
    assert {e.connection for e in sink.events} == {1}


def test_a_connection_the_filter_never_saw_accepted_passes_from_a_matching_head() -> None:
    sink = Sink()
    criteria = TraceFilter(sink, path_prefix="/a")
    early = read(5)
    feed(criteria, early, head(5, "/a/x"), kept(5), closed(5))
    assert sink.names() == ["BytesReceived", "RequestHeadParsed", "KeepAliveDecided", "ConnectionClosed"]
    assert sink.events[0] is early


def test_a_rejected_request_has_no_path_and_does_not_pass_a_path_prefix() -> None:
    sink = Sink()
    criteria = TraceFilter(sink, path_prefix="/a")
    feed(criteria, accepted(1), read(1, b"\x16\x03\x01"), RequestRejected(connection=1, status=400, reason="x"))
    feed(criteria, closed(1, requests=0))
    assert sink.events == []


# -- the excluded prefix ------------------------------------------------------------
def test_the_excluded_prefix_leaves_out_only_the_excluded_requests() -> None:
    sink = Sink()
    criteria = TraceFilter(sink, exclude_prefix="/inspector/")
    feed(criteria, accepted(1), request(1, "/inspector/api/status"), request(1, "/examples/"))
    feed(criteria, request(1, "/inspector/live"), request(1, "/"), closed(1, requests=4))
    assert sink.targets() == ["/examples/", "/"]
    assert sink.names() == ["ConnectionAccepted", *REQUEST_NAMES, *REQUEST_NAMES, "ConnectionClosed"]
    # A connection that served only excluded requests is left out whole.
    feed(criteria, accepted(2), request(2, "/inspector/"), closed(2))
    assert sink.names(2) == []


def test_an_excluded_prefix_inside_a_path_prefix() -> None:
    sink = Sink()
    criteria = TraceFilter(sink, path_prefix="/examples/", exclude_prefix="/examples/private/")
    criteria.on_event(accepted(1))
    for target in ("/examples/a", "/examples/private/b", "/docs/c", "/examples/privateer"):
        feed(criteria, request(1, target))
    assert sink.targets() == ["/examples/a", "/examples/privateer"]


def test_a_rejected_request_passes_an_exclusion_only_filter() -> None:
    sink = Sink()
    criteria = TraceFilter(sink, exclude_prefix="/inspector/")
    junk = read(1, b"\x00junk")
    rejected = RequestRejected(connection=1, status=400, reason="not HTTP")
    feed(criteria, accepted(1), junk, rejected, closed(1, requests=0))
    assert sink.names() == ["ConnectionAccepted", "BytesReceived", "RequestRejected", "ConnectionClosed"]
    assert sink.events[1] is junk and sink.events[2] is rejected


# -- the close --------------------------------------------------------------------
def test_the_close_passes_only_if_some_request_passed() -> None:
    sink = Sink()
    criteria = TraceFilter(sink, path_prefix="/a")
    feed(criteria, accepted(1), closed(1, requests=0))  # no request at all
    feed(criteria, accepted(2), request(2, "/b"), closed(2))  # none matched
    feed(criteria, accepted(3), request(3, "/a"), request(3, "/b"), closed(3, requests=2))  # one matched
    assert [e.connection for e in sink.events if isinstance(e, ConnectionClosed)] == [3]


def test_a_half_read_request_at_the_close_is_not_written() -> None:
    sink = Sink()
    criteria = TraceFilter(sink, path_prefix="/a")
    feed(criteria, accepted(1), request(1, "/a"), read(1, b"GET /a/2 HT"), closed(1))
    assert sink.names() == ["ConnectionAccepted", *REQUEST_NAMES, "ConnectionClosed"]


# -- bounds -----------------------------------------------------------------------
def test_held_events_are_bounded_by_max_held() -> None:
    sink = Sink()
    criteria = TraceFilter(sink, path_prefix="/a")
    accept = accepted(1)
    criteria.on_event(accept)
    reads = [read(1, b"%d" % i) for i in range(MAX_HELD * 2)]
    feed(criteria, reads)
    assert sink.events == []
    parsed = head(1, "/a")
    criteria.on_event(parsed)
    # The accept, the first MAX_HELD reads (the later ones were dropped), the head.
    assert sink.events == [accept, *reads[:MAX_HELD], parsed]
    # The next request is held afresh, again bounded.
    criteria.on_event(kept(1))
    before = len(sink.events)
    feed(criteria, [read(1) for _ in range(MAX_HELD + 1)], head(1, "/a/2"))
    assert len(sink.events) - before == MAX_HELD + 1
