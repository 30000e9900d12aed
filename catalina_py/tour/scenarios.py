"""The scenarios of the guided tour (docs/tour.md walks through each).

Each scenario starts its own server (and nginx where it needs one), plays
its part with the raw client, prints the container's trace of the
connections involved with the reasons interleaved, and checks that what it
observed is what it explains: :class:`Tour.expect` records each check, and
the scenario fails (exit 1) when one does not hold.
"""

from __future__ import annotations

import base64
import hashlib
import time
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..event_views import WS_GUID
from ..websocket.core.frames import Opcode
from .client import RawClient, WsClient
from .instance import TourInstance, free_port
from .nginx import Nginx

__all__ = ["SCENARIOS", "Scenario", "Tour"]

RFC_KEY = "dGhlIHNhbXBsZSBub25jZQ=="
RFC_ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


@dataclass
class Tour:
    """What a scenario prints and checks."""

    out: Callable[[str], None] = print
    failures: list[str] = field(default_factory=list)

    def say(self, text: str = "") -> None:
        self.out(text)

    def expect(self, holds: bool, explained: str, observed: object) -> None:
        """A check of what the scenario explains against what it observed."""
        if holds:
            self.out(f"  ok: {explained}")
        else:
            self.out(f"  MISMATCH: expected {explained}, observed {observed}")
            self.failures.append(explained)

    def trace(
        self, events: list[dict[str, Any]], why: dict[str, str] | None = None, skip: tuple[str, ...] = ()
    ) -> None:
        """The events of one connection, one line each, with the reason of
        the steps named in *why* (by event name) below their line."""
        why = dict(why or {})
        start = events[0]["time"] if events else 0.0
        for event in events:
            if event["event"] in skip:
                continue
            ms = (event["time"] - start) * 1000
            self.out(f"  {ms:9.3f} ms  {event['component']:<22} {event['step']:<11} {event['summary'][:150]}")
            reason = why.pop(event["event"], None)
            if reason:
                for line in reason.split("\n"):
                    self.out(f"  {'':12}  {'':22} why: {line}")


@dataclass(frozen=True)
class Scenario:
    name: str
    summary: str
    run: Callable[[Tour], None]
    needs_nginx: bool = False


def _marker() -> str:
    return "tour=" + uuid.uuid4().hex[:8]


def _of(events: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [e for e in events if e["event"] == name]


# -- handshake -------------------------------------------------------------------
def handshake(tour: Tour) -> None:
    joined = RFC_KEY + WS_GUID
    digest = hashlib.sha1(joined.encode()).digest()
    accept = base64.b64encode(digest).decode()
    tour.say("RFC 6455 section 1.3: the server proves it read the handshake by hashing the client's key.")
    tour.say(f"  1. Sec-WebSocket-Key, as the client sends it:  {RFC_KEY}")
    tour.say(f"  2. followed by the GUID:                        {joined}")
    tour.say(f"  3. SHA-1 of that (20 bytes):                    {digest.hex(' ')}")
    tour.say(f"  4. base64 of the digest, Sec-WebSocket-Accept:  {accept}")
    tour.expect(accept == RFC_ACCEPT, f"the RFC's own answer {RFC_ACCEPT}", accept)
    server = TourInstance().start()
    try:
        marker = _marker()
        client = WsClient(server.port)
        answer = client.handshake(f"/examples/websocket/echo?{marker}", f"127.0.0.1:{server.port}", key=RFC_KEY)
        client.close_handshake()
        client.close()
        tour.say()
        tour.say("The container's trace of that handshake:")
        (events,) = server.closed_connection(marker)
        tour.trace(
            events,
            {
                "HandshakeCheck": "WsServerContainer.handshake runs each check of RFC 6455 4.2.1 in turn "
                "(catalina_py/websocket/core/handshake.py validate_request)",
                "HandshakeAccepted": "hs.response_headers puts base64(SHA-1(key + GUID)) in Sec-WebSocket-Accept",
                "Upgraded": "Http11Processor._upgrade hands the socket to WsHttpUpgradeHandler",
            },
            skip=("ValveEntered", "ValveLeft", "BytesReceived", "BytesSent"),
        )
        accepted = _of(events, "HandshakeAccepted")
        steps = accepted[0]["fields"]["accept_steps"] if accepted else []
        tour.expect(answer.status == 101, "101 Switching Protocols", answer.status)
        tour.expect(
            answer.header("Sec-WebSocket-Accept") == RFC_ACCEPT, f"Sec-WebSocket-Accept {RFC_ACCEPT}", answer.head
        )
        tour.expect(
            bool(steps) and steps[-1]["value"] == RFC_ACCEPT and steps[2]["value"] == digest.hex(" "),
            "the trace computes the same digest and Accept",
            steps,
        )
    finally:
        server.stop()


# -- keep-alive --------------------------------------------------------------------
def keep_alive(tour: Tour) -> None:
    server = TourInstance().start()
    try:
        marker = _marker()
        client = RawClient(server.port)
        two = (
            f"GET /examples/servlets/helloworld?{marker}-1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
            f"GET /examples/servlets/helloworld?{marker}-2 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        ).encode()
        tour.say(f"Two requests in one write ({len(two)} bytes), the second with Connection: close.")
        client.send(two)
        first, second = client.read_response(), client.read_response()
        client.close()
        (events,) = server.closed_connection(marker)
        tour.trace(
            events,
            {
                "KeepAliveDecided": "HTTP/1.1 keeps the connection unless a side says close; the bytes of the "
                "second request were read with the first and wait in the parser's buffer "
                "(Http11Processor._loop, http/plan.py plan_response)",
            },
            skip=("ValveEntered", "ValveLeft"),
        )
        heads = _of(events, "RequestHeadParsed")
        decided = _of(events, "KeepAliveDecided")
        tour.expect(
            first.status == second.status == 200, "two 200 answers on one connection", (first.status, second.status)
        )
        tour.expect(len(heads) == 2, "both requests on the same connection number", len(heads))
        tour.expect(
            len(decided) == 2 and decided[0]["fields"]["keep_alive"] and decided[0]["fields"]["buffered"] > 0,
            "kept alive after the first, with the second already buffered",
            [d["fields"] for d in decided],
        )
        tour.expect(
            len(decided) == 2 and not decided[1]["fields"]["keep_alive"],
            "closed after the second (Connection: close)",
            decided,
        )
    finally:
        server.stop()


# -- chunked -------------------------------------------------------------------------
def chunked(tour: Tour) -> None:
    server = TourInstance().start()
    try:
        marker = _marker()
        chunks = [b"firstname=Ada", b"&lastname=", b"Lovelace"]
        client = RawClient(server.port)
        client.send(
            (
                f"POST /examples/servlets/requestparams?{marker} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n"
                "Connection: close\r\n\r\n"
            ).encode()
        )
        # Each chunk in its own write, a little apart, as a streaming client sends them.
        for chunk in chunks:
            client.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            time.sleep(0.05)
        client.send(b"0\r\n\r\n")
        answer = client.read_response()
        client.close()
        tour.say(
            f"A form POSTed in {len(chunks)} chunks of {', '.join(str(len(c)) for c in chunks)} bytes, then the last chunk."
        )
        (events,) = server.closed_connection(marker)
        tour.trace(
            events,
            {
                "ChunkReceived": "http/body.py ChunkedReader reads each chunk-size line; the servlet reads the "
                "decoded body through Http11Processor.read_body, never the chunk framing",
            },
            skip=("ValveEntered", "ValveLeft", "BytesSent"),
        )
        got = _of(events, "ChunkReceived")
        sizes = [e["fields"]["size"] for e in got]
        tour.expect(sizes == [13, 10, 8, 0], "chunks of 13, 10 and 8 bytes, then the last chunk", sizes)
        tour.expect(
            answer.status == 200 and b"Ada" in answer.body and b"Lovelace" in answer.body,
            "the servlet saw the parameters firstname=Ada, lastname=Lovelace",
            (answer.status, answer.body[:200]),
        )
    finally:
        server.stop()


# -- behind nginx ------------------------------------------------------------------------
def proxy_drops_upgrade(tour: Tour) -> None:
    server = TourInstance().start()
    listen = free_port()
    nginx = Nginx("proxy-drops-upgrade", listen=listen, upstream=server.port)
    try:
        tour.say("nginx, configured so (conf/nginx/proxy-drops-upgrade.conf):")
        tour.say(nginx.config())
        nginx.start([listen])
        marker = _marker()
        client = WsClient(listen)
        answer = client.handshake(
            f"/examples/websocket/echo?{marker}", f"127.0.0.1:{listen}", origin=f"http://127.0.0.1:{listen}"
        )
        client.close()
        tour.say(f"The client sent a full WebSocket handshake to nginx and got: {answer.head.splitlines()[0]}")
        tour.say("  " + answer.body.decode(errors="replace").replace("\n", "\n  ")[:600])
        (events,) = server.closed_connection(marker)
        tour.trace(
            events,
            {
                "RequestHeadParsed": "what reached the container: no Upgrade, and Connection as nginx set it",
                "HandshakeRefused": "ServerContainer.handshake: a GET on an endpoint path that is not an upgrade "
                "gets 426 with the missing headers named (websocket/core/handshake.py missing_upgrade_error)",
            },
            skip=("ValveEntered", "ValveLeft", "BytesReceived", "BytesSent"),
        )
        refused = _of(events, "HandshakeRefused")
        tour.expect(answer.status == 426, "426 Upgrade Required, not a 101", answer.status)
        tour.expect(
            bool(refused)
            and refused[0]["fields"]["check"] == "upgrade"
            and "Upgrade: None" in refused[0]["fields"]["compared"],
            "the trace names the upgrade check and shows the Upgrade header missing",
            refused,
        )
    finally:
        nginx.stop()
        server.stop()


def proxy_http10(tour: Tour) -> None:
    server = TourInstance().start()
    listen = free_port()
    nginx = Nginx("proxy-http10", listen=listen, upstream=server.port)
    try:
        tour.say("nginx, configured so (conf/nginx/proxy-http10.conf):")
        tour.say(nginx.config())
        nginx.start([listen])
        marker = _marker()
        client = WsClient(listen)
        answer = client.handshake(
            f"/examples/websocket/echo?{marker}", f"127.0.0.1:{listen}", origin=f"http://127.0.0.1:{listen}"
        )
        client.close()
        tour.say(f"The client got: {answer.head.splitlines()[0]}")
        (events,) = server.closed_connection(marker)
        tour.trace(
            events,
            {
                "RequestHeadParsed": "nginx spoke HTTP/1.0 to the container (its default proxy_http_version)",
                "HandshakeRefused": "RFC 6455 4.1: the handshake must be HTTP/1.1 or later; validate_request "
                "refuses anything else with 400",
            },
            skip=("ValveEntered", "ValveLeft", "BytesReceived", "BytesSent"),
        )
        heads = _of(events, "RequestHeadParsed")
        refused = _of(events, "HandshakeRefused")
        tour.expect(
            bool(heads) and heads[0]["fields"]["version"] == "HTTP/1.0", "the request arrives as HTTP/1.0", heads
        )
        tour.expect(answer.status == 400, "400 Bad Request", answer.status)
        tour.expect(
            bool(refused) and refused[0]["fields"]["check"] == "http-version",
            "the failed check is http-version",
            refused,
        )
    finally:
        nginx.stop()
        server.stop()


def idle_timeout(tour: Tour) -> None:
    read_timeout, ping = 2, 0.5
    server = TourInstance({"quiet": 'webSocketPingInterval="0"', "pinging": f'webSocketPingInterval="{ping}"'}).start()
    quiet, pinging = free_port(), free_port()
    nginx = Nginx(
        "idle-timeout",
        listen_quiet=quiet,
        listen_pinging=pinging,
        upstream_quiet=server.ports["quiet"],
        upstream_pinging=server.ports["pinging"],
        read_timeout=read_timeout,
        ping_interval=ping,
    )
    try:
        tour.say("nginx, configured so (conf/nginx/idle-timeout.conf):")
        tour.say(nginx.config())
        nginx.start([quiet, pinging])
        lived: dict[str, float] = {}
        pongs = 0
        for name, port in (("quiet", quiet), ("pinging", pinging)):
            client = WsClient(port, timeout=15)
            answer = client.handshake(
                f"/examples/websocket/echo?tour-{name}", f"127.0.0.1:{port}", origin=f"http://127.0.0.1:{port}"
            )
            if answer.status != 101:
                tour.expect(False, "a 101 through nginx", answer.head)
                return
            started = time.monotonic()
            deadline = started + 2 * read_timeout + 1
            while time.monotonic() < deadline:
                frame = client.recv_frame(timeout=max(0.05, deadline - time.monotonic()))
                if frame is None:
                    break
                if frame.opcode == Opcode.PING:
                    client.send_frame(Opcode.PONG, frame.payload)
                    pongs += 1
            lived[name] = time.monotonic() - started
            alive = client.parser is not None and lived[name] >= 2 * read_timeout
            tour.say(f"{name}: {'still open' if alive else 'cut'} after {lived[name]:.1f} s of silence from the client")
            if alive:
                client.close_handshake()
            client.close()
        events = server.wait_for(lambda ev: len(_of(ev, "ConnectionClosed")) >= 2, timeout=10)
        for name in ("quiet", "pinging"):
            ids = server.connections(f"tour-{name}")
            tour.say(f"\nThe trace of the {name} connection:")
            tour.trace(
                [e for e in events if ids and e["connection"] == ids[0]],
                {
                    "FrameSent": "WsHttpUpgradeHandler's keepalive greenlet pings every webSocketPingInterval; "
                    "each ping is traffic from the upstream, which restarts nginx's proxy_read_timeout",
                    "WebSocketClosed": "no close frame came: nginx closed both sockets when proxy_read_timeout "
                    "passed without a byte from the upstream",
                },
                skip=("ValveEntered", "ValveLeft", "BytesReceived", "BytesSent", "HandshakeCheck"),
            )
        tour.expect(
            lived["quiet"] < 2 * read_timeout,
            f"without pings nginx cuts the socket after about {read_timeout} s",
            lived,
        )
        tour.expect(
            lived["pinging"] >= 2 * read_timeout, f"with pings every {ping} s it lives past {2 * read_timeout} s", lived
        )
        tour.expect(pongs > 0, "the client answered the server's pings", pongs)
    finally:
        nginx.stop()
        server.stop()


def origin_host(tour: Tour) -> None:
    server = TourInstance().start()
    listen, fixed = free_port(), free_port()
    nginx = Nginx("origin-host", listen=listen, listen_fixed=fixed, upstream=server.port)
    try:
        tour.say("nginx, configured so (conf/nginx/origin-host.conf):")
        tour.say(nginx.config())
        nginx.start([listen, fixed])
        answers = {}
        for name, port in (("without Host", listen), ("with Host", fixed)):
            client = WsClient(port)
            # A browser on http://127.0.0.1:PORT sends its page's origin.
            answer = client.handshake(
                f"/examples/websocket/echo?tour-{port}", f"127.0.0.1:{port}", origin=f"http://127.0.0.1:{port}"
            )
            answers[name] = answer
            tour.say(f"{name}: {answer.head.splitlines()[0]}")
            if answer.status == 101:
                client.close_handshake()
            client.close()
        (events,) = server.closed_connection(f"tour-{listen}")
        tour.trace(
            events,
            {
                "RequestHeadParsed": "the Host header is nginx's upstream name, not the browser's host",
                "HandshakeRefused": "same-origin check (ServerContainer._check_origin, hs.check_origin): the "
                "Origin must be scheme://Host as the container sees it; the fix is "
                "proxy_set_header Host $http_host;",
            },
            skip=("ValveEntered", "ValveLeft", "BytesReceived", "BytesSent"),
        )
        refused = _of(events, "HandshakeRefused")
        tour.expect(answers["without Host"].status == 403, "403 without the Host line", answers["without Host"].status)
        tour.expect(
            bool(refused)
            and refused[0]["fields"]["check"] == "origin"
            and "Host: catalina" in refused[0]["fields"]["compared"],
            "the trace shows the origin check comparing the Origin with Host: catalina",
            refused,
        )
        tour.expect(answers["with Host"].status == 101, "101 once Host is forwarded", answers["with Host"].status)
    finally:
        nginx.stop()
        server.stop()


# -- WebSocket on its own ----------------------------------------------------------------
def deflate(tour: Tour) -> None:
    server = TourInstance().start()
    try:
        marker = _marker()
        client = WsClient(server.port)
        answer = client.handshake(
            f"/examples/websocket/echo?{marker}", f"127.0.0.1:{server.port}", extensions="permessage-deflate"
        )
        tour.say(
            f"Offered permessage-deflate; the server answered: Sec-WebSocket-Extensions: {answer.header('Sec-WebSocket-Extensions')}"
        )
        text = "Tomcat, Tomcat, Tomcat, " * 20
        compressor = zlib.compressobj(wbits=-15)
        wire = compressor.compress(text.encode()) + compressor.flush(zlib.Z_SYNC_FLUSH)
        wire = wire[:-4] if wire.endswith(b"\x00\x00\xff\xff") else wire  # RFC 7692 7.2.1
        client.send_frame(Opcode.TEXT, wire, rsv1=True)
        echo = client.recv_frame()
        inflated = b""
        if echo is not None:
            inflated = zlib.decompressobj(wbits=-15).decompress(echo.payload + b"\x00\x00\xff\xff")
        tour.say(
            f"Sent {len(text)} characters as {len(wire)} compressed bytes; got {len(echo.payload) if echo else 0} back."
        )
        client.close_handshake()
        client.close()
        (events,) = server.closed_connection(marker)
        tour.trace(
            events,
            {
                "FrameReceived": "RSV1 set: the payload is deflated (RFC 7692); WsProtocol inflates it "
                "(websocket/core/permessage_deflate.py)",
                "MessageReceived": "the endpoint gets the whole text, inflated",
                "FrameSent": "the echo is deflated again on the way out",
            },
            skip=("ValveEntered", "ValveLeft", "BytesReceived", "BytesSent", "HandshakeCheck"),
        )
        frames_in = [e for e in _of(events, "FrameReceived") if e["fields"]["opcode"] == "text"]
        messages = _of(events, "MessageReceived")
        tour.expect(
            "permessage-deflate" in (answer.header("Sec-WebSocket-Extensions") or ""),
            "permessage-deflate negotiated",
            answer.head,
        )
        tour.expect(
            bool(frames_in) and frames_in[0]["fields"]["rsv1"] and frames_in[0]["fields"]["length"] == len(wire),
            f"a {len(wire)}-byte compressed frame with RSV1",
            frames_in,
        )
        tour.expect(
            bool(messages) and messages[0]["fields"]["length"] == len(text),
            f"a {len(text)}-character message",
            messages,
        )
        tour.expect(
            echo is not None and echo.rsv1 and inflated.decode() == text,
            "the echo, deflated, inflates to the text",
            inflated[:80],
        )
    finally:
        server.stop()


def close(tour: Tour) -> None:
    server = TourInstance().start()
    try:
        marker = _marker()
        client = WsClient(server.port)
        client.handshake(f"/examples/websocket/echo?{marker}-client", f"127.0.0.1:{server.port}")
        reply = client.close_handshake(1000, "bye")
        client.close()
        code = int.from_bytes(reply.payload[:2], "big") if reply is not None else None
        tour.say(f"1. The client starts: close 1000 'bye'; the server replies {code}.")
        other = WsClient(server.port)
        other.handshake(f"/examples/websocket/echo?{marker}-server", f"127.0.0.1:{server.port}")
        other.send_frame(Opcode.TEXT, b"\xc3\x28 not UTF-8")
        frame = other.recv_frame()
        server_code = (
            int.from_bytes(frame.payload[:2], "big") if frame is not None and frame.opcode == Opcode.CLOSE else None
        )
        if frame is not None and frame.opcode == Opcode.CLOSE:
            other.send_frame(Opcode.CLOSE, frame.payload[:2])
        other.close()
        tour.say(f"2. The client sends a text frame that is not UTF-8; the server starts the close: {server_code}.")
        first, second = server.closed_connection(marker, count=2)
        for label, events in (("client-started", first), ("server-started", second)):
            tour.say(f"\nThe {label} close:")
            tour.trace(
                [
                    e
                    for e in events
                    if e["event"] in ("FrameReceived", "FrameSent", "WebSocketClosed", "ConnectionClosed")
                ],
                {
                    "WebSocketClosed": "WsHttpUpgradeHandler._fire_close: on_close runs once, with the code and "
                    "who started the close handshake",
                },
            )
        closed = [_of(first, "WebSocketClosed"), _of(second, "WebSocketClosed")]
        tour.expect(code == 1000, "the server echoes 1000 to the client's close", code)
        tour.expect(
            bool(closed[0]) and closed[0][0]["fields"]["initiator"] == "client",
            "the first close started by the client",
            closed[0],
        )
        tour.expect(server_code == 1007, "1007 Invalid frame payload data for bad UTF-8 (RFC 6455 8.1)", server_code)
        tour.expect(
            bool(closed[1]) and closed[1][0]["fields"]["initiator"] == "server",
            "the second close started by the server",
            closed[1],
        )
    finally:
        server.stop()


def too_big(tour: Tour) -> None:
    server = TourInstance().start()
    try:
        marker = _marker()
        client = WsClient(server.port)
        client.handshake(f"/examples/websocket/echo?{marker}", f"127.0.0.1:{server.port}")
        size = 64 * 1024 + 1
        try:
            client.send_frame(Opcode.TEXT, b"x" * size)
        except OSError:
            pass  # the server may close before it has read the whole frame: it judged the length
        frame = client.recv_frame()
        code = int.from_bytes(frame.payload[:2], "big") if frame is not None and frame.opcode == Opcode.CLOSE else None
        if code is not None:
            client.send_frame(Opcode.CLOSE, frame.payload[:2])  # type: ignore[union-attr]
        client.close()
        tour.say(f"A {size}-byte text message to an endpoint that takes 65536: the server closes with {code}.")
        (events,) = server.closed_connection(marker)
        tour.trace(
            [
                e
                for e in events
                if e["event"] in ("Upgraded", "FrameReceived", "FrameSent", "WebSocketClosed", "ConnectionClosed")
            ],
            {
                "FrameSent": "WsProtocol checks the frame's announced length against maxTextMessageSize before "
                "reading its payload (websocket/core/protocol.py _check_size): 1009",
            },
        )
        tour.expect(code == 1009, "1009 Message Too Big", code)
    finally:
        server.stop()


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario("handshake", "Sec-WebSocket-Accept computed step by step from the RFC's sample key", handshake),
        Scenario("keep-alive", "two pipelined requests on one connection, and why it stays open", keep_alive),
        Scenario("chunked", "a chunked POST, chunk by chunk", chunked),
        Scenario(
            "proxy-drops-upgrade",
            "nginx without the Upgrade/Connection lines: the 426 and why",
            proxy_drops_upgrade,
            True,
        ),
        Scenario("proxy-http10", "nginx left at proxy_http_version 1.0: the handshake refused", proxy_http10, True),
        Scenario("idle-timeout", "proxy_read_timeout cuts an idle WebSocket; server pings keep it", idle_timeout, True),
        Scenario("origin-host", "nginx not forwarding Host: the Origin check refuses with 403", origin_host, True),
        Scenario("deflate", "permessage-deflate: frames before and after compression", deflate),
        Scenario("close", "the close handshake started by each side, with its codes", close),
        Scenario("too-big", "a message over the endpoint's limit: close 1009", too_big),
    )
}
