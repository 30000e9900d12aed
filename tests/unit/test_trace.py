"""catalina_py.trace.TraceObserver: the connection trace as a subscriber of
the event stream, fed hand-built events (no sockets)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from catalina_py import trace
from catalina_py.events import (
    BUS,
    ConnectionAccepted,
    ConnectionClosed,
    FrameReceived,
    FrameSent,
    HandshakeAccepted,
    MessageReceived,
    MessageSent,
    RequestHeadParsed,
    RequestMapped,
    ResponseCommitted,
    ServletCalled,
    Upgraded,
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
    fields: dict[str, object] = dict(
        host="localhost",
        context_path="/examples",
        wrapper="HelloWorldExample",
        match_type="exact",
        match_pattern="/servlets/helloworld",
        servlet_path="/servlets/helloworld",
        path_info=None,
        redirect=None,
        reason="exact match",
    )
    fields.update(changes)
    return RequestMapped(connection=conn, **fields)  # type: ignore[arg-type]


def frame(
    cls: type, conn: int, opcode: str, payload: bytes, fin: bool = True, length: int | None = None
) -> FrameReceived | FrameSent:
    size = len(payload) if length is None else length
    return cls(
        connection=conn,
        opcode=opcode,
        fin=fin,
        rsv1=False,
        masked=cls is FrameReceived,
        length=size,
        payload=payload,
        description="",
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
        head(7, (("Host", "h"), ("Connection", "close"))),
        mapped(7),
        ServletCalled(
            connection=7, servlet="HelloWorldExample", servlet_class="webapps.hello.HelloWorldExample", method="GET"
        ),
        ResponseCommitted(
            connection=7,
            status=200,
            headers=(("Content-Type", "text/html"), ("Connection", "close")),
            framing="content-length",
            content_length=354,
            reason="body complete",
        ),
        ConnectionClosed(connection=7, duration=0.01, requests=1, bytes_in=80, bytes_out=500, reason="close"),
    ):
        observer.on_event(event)
    assert written(caplog) == [
        "[conn 7] accept    127.0.0.1:50000 -> 127.0.0.1:8080",
        "[conn 7] parse     GET /x HTTP/1.1 (2 headers, body: none)",
        "[conn 7] map       context /examples, servlet HelloWorldExample (exact match "
        "'/servlets/helloworld': servlet path '/servlets/helloworld', path info None)",
        "[conn 7] servlet   HelloWorldExample.service() (GET)",
        "[conn 7] response  200 (length 354, then close)",
        "[conn 7] close     after 1 request(s)",
    ]


def test_response_framings(caplog: pytest.LogCaptureFixture) -> None:
    observer = trace.TraceObserver()
    observer.on_event(
        ResponseCommitted(
            connection=1,
            status=200,
            headers=(("Transfer-Encoding", "chunked"),),
            framing="chunked",
            content_length=-1,
            reason="no length",
        )
    )
    observer.on_event(
        ResponseCommitted(connection=1, status=304, headers=(), framing="no-body", content_length=-1, reason="304")
    )
    observer.on_event(
        ResponseCommitted(
            connection=1,
            status=500,
            headers=(("connection", "Keep-Alive, CLOSE"),),
            framing="content-length",
            content_length=10,
            reason="error",
        )
    )
    observer.on_event(
        ResponseCommitted(
            connection=1, status=101, headers=(), framing="switching-protocols", content_length=-1, reason="upgrade"
        )
    )
    assert written(caplog) == [
        "[conn 1] response  200 (chunked)",
        "[conn 1] response  304 (length 0)",
        "[conn 1] response  500 (length 10, then close)",
    ]


def test_mapping_lines() -> None:
    describe = trace.TraceObserver.describe_mapping
    assert describe(mapped(1, context_path=None)) == "no context"
    assert (
        describe(mapped(1, context_path="/examples", redirect="/examples/"))
        == "context /examples: redirect to /examples/"
    )
    assert (
        describe(
            mapped(
                1, context_path="", wrapper=None, match_type="none", match_pattern="", servlet_path="", path_info="/a"
            )
        )
        == "context / (ROOT), servlet none (none match '': servlet path '', path info '/a')"
    )


def test_a_websocket(caplog: pytest.LogCaptureFixture) -> None:
    observer = trace.TraceObserver()
    for event in (
        head(3, (("Host", "h"), ("Upgrade", "websocket"), ("origin", "http://h"))),
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
        frame(FrameReceived, 3, "text", b"Hello"),  # the message tells it
        MessageReceived(connection=3, kind="text", length=5, payload=b"Hello"),
        frame(FrameSent, 3, "text", b"Hello"),
        MessageSent(connection=3, kind="text", length=5, payload=b"Hello"),
        frame(FrameReceived, 3, "close", (1000).to_bytes(2, "big") + b"bye"),
        frame(FrameSent, 3, "close", (1000).to_bytes(2, "big")),  # the session's own reply: no line
        WebSocketClosed(connection=3, code=1000, reason="bye", initiator="client"),
        ConnectionClosed(connection=3, duration=1.0, requests=1, bytes_in=10, bytes_out=10, reason="upgrade"),
    ):
        observer.on_event(event)
    assert written(caplog) == [
        "[conn 3] parse     GET /x HTTP/1.1 (3 headers, body: none)",
        "[conn 3] handshake endpoint EchoEndpoint at /websocket/echo: key accepted, origin 'http://h' allowed, "
        "subprotocol None, extensions None",
        "[conn 3] upgrade   101 sent; the socket and 0 bytes read past the request go to WsHttpUpgradeHandler",
        "[conn 3] open      WebSocket session on /websocket/echo",
        "[conn 3] frame in  text message, 5 characters",
        "[conn 3] frame out text message, 5 characters",
        "[conn 3] frame in  CloseReceived 1000 'bye'",
        "[conn 3] close     after 1 request(s)",
    ]


def test_frames_and_messages(caplog: pytest.LogCaptureFixture) -> None:
    """A line per message (as the endpoint got it, whatever its frames) and
    per control frame received; data frames and frames sent add none."""
    observer = trace.TraceObserver()
    observer.on_event(frame(FrameReceived, 2, "text", "h\u00e9".encode(), fin=False))
    observer.on_event(frame(FrameReceived, 2, "ping", b"abcd"))  # between fragments
    observer.on_event(frame(FrameReceived, 2, "continuation", b"llo"))
    observer.on_event(MessageReceived(connection=2, kind="text", length=5, payload="h\u00e9llo".encode()))
    observer.on_event(MessageReceived(connection=2, kind="binary", length=3, payload=b"\x00\x01\x02"))
    observer.on_event(MessageReceived(connection=2, kind="binary", length=1000, payload=b"\x00" * 16))  # truncated
    observer.on_event(MessageReceived(connection=2, kind="text", length=2000, payload=b"abc"))
    observer.on_event(frame(FrameReceived, 2, "pong", b""))
    observer.on_event(frame(FrameReceived, 2, "close", b""))
    observer.on_event(frame(FrameReceived, 2, "continuation", b"stray"))  # no message: no line
    observer.on_event(frame(FrameSent, 2, "binary", b"xyz"))
    observer.on_event(MessageSent(connection=2, kind="binary", length=3, payload=b"xyz"))
    observer.on_event(frame(FrameSent, 2, "pong", b"abcd"))
    assert [line.split("frame ", 1)[1] for line in written(caplog)] == [
        "in  Ping 4 bytes",
        "in  text message, 5 characters",
        "in  binary message, 3 bytes",
        "in  binary message, 1000 bytes",
        "in  text message, 2000 characters",
        "in  Pong 0 bytes",
        "in  CloseReceived 1005 ''",
        "out binary message, 3 bytes",
    ]


def test_enable_subscribes_to_the_bus() -> None:
    assert trace.OBSERVER not in BUS.observers
    try:
        trace.enable()
        assert trace.ENABLED and trace.OBSERVER in BUS.observers and BUS.active
    finally:
        trace.enable(False)
    assert not trace.ENABLED and trace.OBSERVER not in BUS.observers


def test_the_old_hook_still_writes(caplog: pytest.LogCaptureFixture) -> None:
    trace.trace(4, "map", "x")
    assert written(caplog) == ["[conn 4] map       x"]
