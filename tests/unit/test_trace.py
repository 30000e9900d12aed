"""catalina_py.trace.TraceObserver: the connection trace as a subscriber of
the event stream, fed hand-built events (no sockets)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from types import SimpleNamespace

import pytest

from catalina_py import trace
from catalina_py.container.adapter import mapped_event
from catalina_py.container.mapper import MappingData
from catalina_py.events import (
    BUS,
    BytesReceived,
    BytesSent,
    ChunkReceived,
    ChunkSent,
    ConnectionAccepted,
    ConnectionClosed,
    FilterEntered,
    FilterLeft,
    FrameReceived,
    FrameSent,
    HandshakeAccepted,
    HandshakeCheck,
    HandshakeRefused,
    KeepAliveDecided,
    MessageReceived,
    MessageSent,
    PongReceived,
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


@pytest.fixture(autouse=True)
def trace_logged(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Capture the trace logger's lines."""
    caplog.set_level(logging.INFO, logger="catalina_py.trace")
    yield


def written(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The trace lines written, as text."""
    return [r.getMessage() for r in caplog.records if r.name == "catalina_py.trace"]


def head(conn: int, headers: tuple[tuple[str, str], ...] = (("Host", "h"),), target: str = "/x") -> RequestHeadParsed:
    return RequestHeadParsed(
        connection=conn, method="GET", target=target, version="HTTP/1.1", headers=headers, body="none"
    )


def mapped(conn: int, **changes: object) -> RequestMapped:
    """The event CoyoteAdapter reports for a Mapper answer with these fields
    (its reason in words is the adapter's, describe_mapping)."""
    fields: dict[str, object] = dict(
        context_path="/examples",
        wrapper="HelloWorldExample",
        match_type="exact",
        match_pattern="/servlets/helloworld",
        servlet_path="/servlets/helloworld",
        path_info=None,
        redirect=None,
    )
    fields.update(changes)
    wrapper = fields.pop("wrapper")
    context_path = fields.pop("context_path")
    mapping = MappingData(
        host=SimpleNamespace(name="localhost"),
        context=None if context_path is None else object(),
        context_path=context_path or "",
        wrapper=None if wrapper is None else SimpleNamespace(name=wrapper),
        redirect_path=fields.pop("redirect"),  # type: ignore[arg-type]
        **fields,  # type: ignore[arg-type]
    )
    return mapped_event(conn, "localhost", mapping)


def frame(
    cls: type,
    conn: int,
    opcode: str,
    payload: bytes,
    fin: bool = True,
    length: int | None = None,
    description: str = "",
    mask_key: bytes | None = None,
) -> FrameReceived | FrameSent:
    size = len(payload) if length is None else length
    return cls(  # type: ignore[no-any-return]
        connection=conn,
        opcode=opcode,
        fin=fin,
        rsv1=False,
        masked=mask_key is not None,
        mask_key=mask_key,
        length=size,
        payload=payload,
        description=description,
    )


def test_an_http_request(caplog: pytest.LogCaptureFixture) -> None:
    observer = trace.TraceObserver()
    for event in (
        ConnectionAccepted(
            connection=7,
            connector="http-8080",
            remote_addr="127.0.0.1",
            remote_port=50000,
            local_addr="127.0.0.1",
            local_port=8080,
        ),
        BytesReceived(connection=7, data=b"GET /x HTTP/1.1\r\n\r\n"),  # raw bytes: the JSON trace has them
        head(7, (("Host", "h"), ("Connection", "close"))),
        mapped(7),
        ValveEntered(connection=7, container="StandardEngine[Catalina]", valve="StandardEngineValve"),
        FilterEntered(connection=7, filter="TimingFilter"),
        ServletCalled(
            connection=7, servlet="HelloWorldExample", servlet_class="webapps.hello.HelloWorldExample", method="GET"
        ),
        ServletReturned(connection=7, servlet="HelloWorldExample", elapsed=0.0015, error=None),
        FilterLeft(connection=7, filter="TimingFilter", elapsed=0.002),
        ValveLeft(connection=7, container="StandardEngine[Catalina]", valve="StandardEngineValve", elapsed=0.003),
        ResponseCommitted(
            connection=7,
            status=200,
            headers=(("Content-Type", "text/html"), ("Connection", "close")),
            framing="content-length",
            content_length=354,
            reason="complete body: its length",
        ),
        BytesSent(connection=7, data=b"HTTP/1.1 200 \r\n\r\n"),
        KeepAliveDecided(connection=7, keep_alive=False, reason="Connection: close"),
        ConnectionClosed(connection=7, duration=0.01, requests=1, bytes_in=80, bytes_out=500, reason="not kept alive"),
    ):
        observer.on_event(event)
    assert written(caplog) == [
        "[conn 7] accept    http-8080 accepted 127.0.0.1:50000 -> 127.0.0.1:8080",
        "[conn 7] parse     GET /x HTTP/1.1 (2 headers, body: none)",
        "[conn 7] map       context /examples, servlet HelloWorldExample (exact match "
        "'/servlets/helloworld': servlet path '/servlets/helloworld', path info None)",
        "[conn 7] valve     StandardEngine[Catalina]: StandardEngineValve entered",
        "[conn 7] filter    filter TimingFilter entered",
        "[conn 7] servlet   HelloWorldExample.service() (GET)",
        "[conn 7] servlet   HelloWorldExample returned after 1.500 ms",
        "[conn 7] filter    filter TimingFilter left after 2.000 ms",
        "[conn 7] valve     StandardEngine[Catalina]: StandardEngineValve left after 3.000 ms",
        "[conn 7] commit    200, content-length: complete body: its length",
        "[conn 7] keep-alive close: Connection: close",
        "[conn 7] close     closed after 1 request(s), 80 bytes in, 500 bytes out, 0.010 s: not kept alive",
    ]


def test_chunks_and_the_buffered_next_request(caplog: pytest.LogCaptureFixture) -> None:
    observer = trace.TraceObserver()
    observer.on_event(ChunkReceived(connection=1, index=1, size=5, last=False, trailers=0))
    observer.on_event(ChunkReceived(connection=1, index=2, size=0, last=True, trailers=1))
    observer.on_event(ChunkSent(connection=1, index=1, size=12, last=False))
    observer.on_event(ChunkSent(connection=1, index=2, size=0, last=True))
    observer.on_event(KeepAliveDecided(connection=1, keep_alive=True, reason="HTTP/1.1", buffered=38))
    assert written(caplog) == [
        "[conn 1] chunk     chunk 1: 5 bytes",
        "[conn 1] chunk     last chunk (size 0), 1 trailer field(s)",
        "[conn 1] chunk     chunk 1: 12 bytes",
        "[conn 1] chunk     last chunk (size 0)",
        "[conn 1] keep-alive keep alive: HTTP/1.1 (38 bytes of the next request already buffered)",
    ]


def test_mapping_lines(caplog: pytest.LogCaptureFixture) -> None:
    observer = trace.TraceObserver()
    observer.on_event(mapped(1, context_path=None))
    observer.on_event(mapped(1, context_path="/examples", redirect="/examples/"))
    observer.on_event(
        mapped(1, context_path="", wrapper=None, match_type="none", match_pattern="", servlet_path="", path_info="/a")
    )
    assert [line.split("map       ", 1)[1] for line in written(caplog)] == [
        "no context matched",
        "context /examples: redirect to /examples/",
        "context / (ROOT), servlet none (none match '': servlet path '', path info '/a')",
    ]


def test_a_websocket(caplog: pytest.LogCaptureFixture) -> None:
    observer = trace.TraceObserver()
    for event in (
        HandshakeCheck(connection=3, check="origin", passed=True, detail="Origin: http://h (Host: h)"),
        HandshakeAccepted(
            connection=3,
            endpoint="webapps.examples.EchoEndpoint",
            path="/websocket/echo",
            key="dGhlIHNhbXBsZSBub25jZQ==",
            accept="s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
            subprotocol=None,
            extensions=None,
        ),
        Upgraded(connection=3, handler="WsHttpUpgradeHandler", leftover=0),
        WebSocketOpened(connection=3, endpoint="EchoEndpoint", path="/websocket/echo", session_id="0"),
        frame(FrameReceived, 3, "text", b"Hello", description="text frame, 5 bytes", mask_key=b"\x01\x02\x03\x04"),
        MessageReceived(connection=3, kind="text", length=5, payload=b"Hello"),
        frame(FrameSent, 3, "text", b"Hello", description="text frame, 5 bytes"),
        MessageSent(connection=3, kind="text", length=5, payload=b"Hello"),
        frame(FrameSent, 3, "ping", b"\x00\x00\x00\x01", description="ping frame, 4 bytes"),
        PongReceived(connection=3, rtt=0.0021),
        frame(FrameReceived, 3, "close", (1000).to_bytes(2, "big") + b"bye", description="close 1000 'bye'"),
        frame(FrameSent, 3, "close", (1000).to_bytes(2, "big"), description="close 1000 ''"),  # the reply
        WebSocketClosed(connection=3, code=1000, reason="bye", initiator="client"),
    ):
        observer.on_event(event)
    assert written(caplog) == [
        "[conn 3] handshake origin: passed, Origin: http://h (Host: h)",
        "[conn 3] handshake endpoint EchoEndpoint at /websocket/echo: Sec-WebSocket-Accept "
        "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=, subprotocol None, extensions None",
        "[conn 3] upgrade   101 sent; the socket and 0 bytes read past the request go to WsHttpUpgradeHandler",
        "[conn 3] open      session 0 on /websocket/echo (EchoEndpoint)",
        "[conn 3] frame in  text frame, 5 bytes: FIN=1 RSV1=0 RSV2=0 RSV3=0 opcode=text MASK=1 key 01020304 length=5",
        "[conn 3] message in text message, 5 characters",
        "[conn 3] frame out text frame, 5 bytes: FIN=1 RSV1=0 RSV2=0 RSV3=0 opcode=text MASK=0 length=5",
        "[conn 3] message out text message, 5 characters",
        "[conn 3] frame out ping frame, 4 bytes: FIN=1 RSV1=0 RSV2=0 RSV3=0 opcode=ping MASK=0 length=4",
        "[conn 3] pong      pong for our ping, round trip 2.100 ms",
        "[conn 3] frame in  close 1000 'bye': FIN=1 RSV1=0 RSV2=0 RSV3=0 opcode=close MASK=0 length=5",
        "[conn 3] frame out close 1000 '': FIN=1 RSV1=0 RSV2=0 RSV3=0 opcode=close MASK=0 length=2",
        "[conn 3] close     closed 1000 'bye', started by the client",
    ]


def test_every_fragment_has_its_line(caplog: pytest.LogCaptureFixture) -> None:
    """A fragmented message is one line per frame (FIN 0, 0, 1), then the message."""
    observer = trace.TraceObserver()
    observer.on_event(frame(FrameReceived, 2, "text", b"h", fin=False, description="text frame, 1 bytes"))
    observer.on_event(frame(FrameReceived, 2, "ping", b"abcd", description="ping frame, 4 bytes"))
    observer.on_event(frame(FrameReceived, 2, "continuation", b"el", fin=False, description="continuation frame"))
    observer.on_event(frame(FrameReceived, 2, "continuation", b"lo", description="continuation frame"))
    observer.on_event(MessageReceived(connection=2, kind="text", length=5, payload=b"hello"))
    lines = written(caplog)
    assert [line.split("FIN=", 1)[1][0] for line in lines[:4]] == ["0", "1", "0", "1"]
    assert "opcode=ping" in lines[1] and lines[4] == "[conn 2] message in text message, 5 characters"


def test_a_refused_handshake_says_which_check_and_what_was_compared(caplog: pytest.LogCaptureFixture) -> None:
    observer = trace.TraceObserver()
    observer.on_event(
        HandshakeRefused(
            connection=5,
            status=403,
            reason="WebSocket handshake refused: Origin 'http://evil' does not match this server",
            check="origin",
            compared="Origin: http://evil, Host: h:8080",
        )
    )
    assert written(caplog) == [
        "[conn 5] handshake refused with 403, check origin failed (Origin: http://evil, Host: h:8080): "
        "WebSocket handshake refused: Origin 'http://evil' does not match this server"
    ]


def test_enable_subscribes_to_the_bus() -> None:
    assert trace.OBSERVER not in BUS.observers
    try:
        trace.enable()
        assert trace.ENABLED and trace.OBSERVER in BUS.observers and BUS.active
    finally:
        trace.enable(False)
    assert not trace.ENABLED and trace.OBSERVER not in BUS.observers


def test_enable_with_criteria_puts_a_filter_in_front(caplog: pytest.LogCaptureFixture) -> None:
    try:
        trace.enable(True, path="/examples")
        assert trace.OBSERVER not in BUS.observers and len(BUS.observers) == 1
        BUS.emit(head(9, target="/other"))
        BUS.emit(head(9, target="/examples/x"))
    finally:
        trace.enable(False)
    assert BUS.observers == () and written(caplog) == [
        "[conn 9] parse     GET /examples/x HTTP/1.1 (1 headers, body: none)"
    ]


def test_the_old_hook_still_writes(caplog: pytest.LogCaptureFixture) -> None:
    trace.trace(4, "map", "x")
    assert written(caplog) == ["[conn 4] map       x"]
