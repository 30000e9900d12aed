"""The scenarios of the guided tour (docs/tour.md walks through each).

Each scenario starts its own server (and nginx where it needs one), plays
its part with the raw client, prints the container's trace of the
connections involved with the reasons ("why") interleaved at the steps
that matter, and checks that what it observed is what it explains:
:meth:`Tour.expect` records each check, and the scenario fails (exit 1)
when one does not hold.

The traces are read back from the server's JSON trace
(``logs/trace.jsonl``, one event a line, see docs/trace.md); a scenario
finds its own connections by a marker in the request target
(``?tour=...``) and waits until each of them has closed.
"""

from __future__ import annotations

import base64
import hashlib
import re
import textwrap
import time
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..event_views import WS_GUID
from ..websocket.core.frames import Frame, Opcode
from ..websocket.core.handshake import accept_key
from .client import HttpAnswer, RawClient, WsClient
from .instance import TourInstance, free_port
from .nginx import Nginx

__all__ = ["SCENARIOS", "Scenario", "Tour"]

#: The sample key of RFC 6455 section 1.3, and the answer the RFC gives.
RFC_KEY = "dGhlIHNhbXBsZSBub25jZQ=="
RFC_ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
#: The echo endpoint of the examples webapp (messages of any size, taken
#: and echoed in parts of at most 64 KiB).
ECHO = "/examples/websocket/echo"
#: The examples' echo that takes whole messages (64 KiB at most each).
ECHO_WHOLE = "/examples/websocket/echoAsync"
#: Events left out of the printed traces unless a scenario wants them: the
#: valves (every request passes the same ones) and the raw reads and writes.
QUIET = ("ValveEntered", "ValveLeft", "BytesReceived", "BytesSent")

Trace = list[dict[str, Any]]


@dataclass
class Tour:
    """What a scenario prints and checks."""

    out: Callable[[str], None] = print
    failures: list[str] = field(default_factory=list)

    def say(self, text: str = "") -> None:
        """Print a line of the scenario's story."""
        self.out(text)

    def expect(self, holds: bool, explained: str, observed: object) -> None:
        """A check of what the scenario explains against what it observed:
        ``ok: ...`` when it holds, else ``MISMATCH: expected ..., observed ...``."""
        if holds:
            self.out(f"  ok: {explained}")
        else:
            shown = " | ".join(str(observed).splitlines())
            self.out(f"  MISMATCH: expected {explained}, observed {shown[:600]}")
            self.failures.append(explained)

    def trace(
        self,
        events: Trace,
        why: dict[str, str] | None = None,
        *,
        only: tuple[str, ...] | None = None,
        skip: tuple[str, ...] = QUIET,
        ping_rounds: int = 0,
    ) -> None:
        """The events of one connection, one line each: milliseconds since
        the connection was accepted, the component that took the step, the
        step, its summary.

        *why* maps an event to the reason printed below its line, the first
        time the event occurs. A key is ``EventName``, ``EventName/word``
        (``word`` being the frame's opcode or the handshake check, as in
        ``FrameSent/ping`` or ``HandshakeCheck/origin``) or
        ``EventName#n`` (its n-th occurrence). *only* keeps just those
        events, *skip* leaves those out; *ping_rounds* > 0 shows that many
        ping/pong rounds and counts the rest.
        """
        why = dict(why or {})
        accepted = [e for e in events if e["event"] == "ConnectionAccepted"]
        start = (accepted or events or [{"time": 0.0}])[0]["time"]
        seen: dict[str, int] = {}
        rounds = hidden = 0
        for event in events:
            name = event["event"]
            seen[name] = seen.get(name, 0) + 1
            if name in skip or (only is not None and name not in only):
                continue
            fields = event["fields"]
            word = fields.get("opcode") or fields.get("check") or ""
            if ping_rounds:
                periodic = (name, word) in (("FrameSent", "ping"), ("FrameReceived", "pong")) or name == "PongReceived"
                if periodic:
                    rounds += name == "FrameSent"
                    if rounds > ping_rounds:
                        hidden += name == "FrameSent"
                        continue
                if hidden and not periodic:
                    self.out(f"  {'':12}  ... {hidden} more ping/pong round(s) like these ...")
                    hidden = 0
            ms = (event["time"] - start) * 1000
            summary = event["summary"] if len(event["summary"]) <= 160 else event["summary"][:157] + "..."
            self.out(f"  {ms:9.3f} ms  {event['component']:<22} {event['step']:<11} {summary}")
            for key in (f"{name}#{seen[name]}", f"{name}/{word}", name):
                reason = why.pop(key, None)
                if reason:
                    self.out(
                        textwrap.fill(
                            reason,
                            width=120,
                            initial_indent=" " * 38 + "why: ",
                            subsequent_indent=" " * 43,
                            break_on_hyphens=False,
                            break_long_words=False,
                        )
                    )
                    break
        if hidden:
            self.out(f"  {'':12}  ... {hidden} more ping/pong round(s) like these ...")


@dataclass(frozen=True)
class Scenario:
    """One scenario: its name on the command line, a one-sentence summary,
    the function that plays it, and whether it needs nginx."""

    name: str
    summary: str
    run: Callable[[Tour], None]
    needs_nginx: bool = False


def _marker() -> str:
    """A query string that finds this scenario's connections in the trace."""
    return "tour=" + uuid.uuid4().hex[:8]


def _of(events: Trace, name: str, word: str | None = None) -> Trace:
    """The events called *name* (and, with *word*, of that opcode or check)."""
    return [
        e
        for e in events
        if e["event"] == name and (word is None or word in (e["fields"].get("opcode"), e["fields"].get("check")))
    ]


def _show_request(tour: Tour, text: str, arrow: str = ">") -> None:
    for line in text.rstrip("\r\n").split("\r\n"):
        tour.say(f"  {arrow} {line}")


def _show_answer(tour: Tour, answer: HttpAnswer, body_lines: int = 0) -> None:
    _show_request(tour, answer.head, "<")
    if body_lines:
        for line in answer.body.decode(errors="replace").splitlines()[:body_lines]:
            tour.say(f"  < {line}")


def _show_arrived(tour: Tour, events: Trace) -> None:
    """The request head as the container read it (RequestHeadParsed)."""
    heads = _of(events, "RequestHeadParsed")
    if not heads:
        return
    head = heads[0]["fields"]
    tour.say("What reached the container (its RequestHeadParsed event):")
    tour.say(f"  {head['method']} {head['target']} {head['version']}")
    for name, value in head["headers"]:
        tour.say(f"  {name}: {value}")


def _header(events: Trace, name: str) -> str | None:
    """A header of the first request head of *events*, or None."""
    for head in _of(events, "RequestHeadParsed")[:1]:
        for key, value in head["fields"]["headers"]:
            if key.lower() == name.lower():
                return str(value)
    return None


def _close_code(frame: Frame | None) -> int | None:
    if frame is None or frame.opcode != Opcode.CLOSE or len(frame.payload) < 2:
        return None
    return int.from_bytes(frame.payload[:2], "big")


# -- handshake -------------------------------------------------------------------
def handshake(tour: Tour) -> None:
    """The opening handshake with the RFC's sample key, and the Accept."""
    joined = RFC_KEY + WS_GUID
    digest = hashlib.sha1(joined.encode()).digest()
    accept = base64.b64encode(digest).decode()
    tour.say("RFC 6455 section 1.3: the server proves it read the handshake by hashing the client's key.")
    tour.say(f"  1. Sec-WebSocket-Key, as the client sends it:  {RFC_KEY}")
    tour.say(f"  2. followed by the GUID:                        {joined}")
    tour.say(f"  3. SHA-1 of that (20 bytes):                    {digest.hex(' ')}")
    tour.say(f"  4. base64 of the digest, Sec-WebSocket-Accept:  {accept}")
    tour.expect(accept == RFC_ACCEPT, f"the RFC's own answer {RFC_ACCEPT}", accept)
    tour.expect(
        accept_key(RFC_KEY) == accept, "the container's accept_key() (websocket/core/handshake.py) agrees", accept
    )
    server = TourInstance()
    try:
        server.start()
        marker = _marker()
        client = WsClient(server.port)
        answer = client.handshake(f"{ECHO}?{marker}", f"127.0.0.1:{server.port}", key=RFC_KEY)
        tour.say("\nThe client's handshake, and the server's answer:")
        _show_request(tour, client.request)
        _show_answer(tour, answer)
        client.close_handshake()
        client.close()
        tour.say("\nThe container's trace of that connection:")
        (events,) = server.closed_connection(marker)
        tour.trace(
            events,
            {
                "RequestHeadParsed": "Http11Processor._loop parsed the head; nothing here says WebSocket yet",
                "RequestMapped": "the Mapper picks the default servlet (no servlet claims this path); the endpoint "
                "is matched after it, before any servlet runs, as Tomcat's WsFilter does",
                "HandshakeCheck/method": "ServerContainer.handshake (websocket/server.py) found the endpoint and "
                "runs each check of RFC 6455 4.2.1 in turn (websocket/core/handshake.py validate_request)",
                "HandshakeCheck/origin": "no Origin header: not a browser, so the same-origin check lets it "
                "through (ServerContainer._check_origin -> hs.check_origin)",
                "HandshakeAccepted": "hs.response_headers puts accept_key(key) = base64(SHA-1(key + GUID)) in "
                "Sec-WebSocket-Accept; the event carries the computation as accept_steps",
                "ResponseCommitted": "http/plan.py plan_response: a 101 with an upgrade token goes out as is, "
                "no Content-Length, no Connection: keep-alive",
                "Upgraded": "Http11Processor._upgrade hands the socket, and any bytes read past the request, to "
                "WsHttpUpgradeHandler (websocket/processor.py); the HTTP loop never reads it again",
                "FrameReceived/close": "our client closes; WsProtocol echoes the code, the server closes TCP",
            },
        )
        accepted = _of(events, "HandshakeAccepted")
        steps = accepted[0]["fields"]["accept_steps"] if accepted else []
        tour.say("\nThe HandshakeAccepted event's accept_steps:")
        for step in steps:
            tour.say(f"  {step['label']}: {step['value']}")
        tour.expect(answer.status == 101, "101 Switching Protocols", answer.status)
        tour.expect(
            answer.header("Sec-WebSocket-Accept") == RFC_ACCEPT,
            f"Sec-WebSocket-Accept {RFC_ACCEPT}",
            answer.header("Sec-WebSocket-Accept"),
        )
        tour.expect(
            len(steps) == 4 and steps[1]["value"] == joined and steps[2]["value"] == digest.hex(" "),
            "the trace joins the same key + GUID and gets the same SHA-1",
            [step["value"] for step in steps],
        )
        tour.expect(
            bool(steps) and steps[-1]["value"] == accepted[0]["fields"]["accept"] == RFC_ACCEPT,
            "the trace's Accept is the one the client received",
            [a["fields"]["accept"] for a in accepted],
        )
    finally:
        server.stop()


# -- keep-alive --------------------------------------------------------------------
def keep_alive(tour: Tour) -> None:
    """Two pipelined requests in one write, one connection."""
    server = TourInstance()
    try:
        server.start()
        marker = _marker()
        client = RawClient(server.port)
        two = (
            f"GET /examples/servlets/helloworld?{marker}-1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
            f"GET /examples/servlets/helloworld?{marker}-2 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        ).encode()
        tour.say(f"Two requests in one write ({len(two)} bytes), the second with Connection: close:")
        _show_request(tour, two.decode())
        client.send(two)
        first, second = client.read_response(), client.read_response()
        client.close()
        tour.say(f"Two answers on the same socket: {first.head.splitlines()[0]}, then {second.head.splitlines()[0]}")
        (events,) = server.closed_connection(marker)
        reads = _of(events, "BytesReceived")
        tour.say(f"\nThe container's trace of connection {events[0]['connection']}, both requests on it:")
        tour.trace(
            events,
            {
                "BytesReceived#1": (
                    f"one recv() brought both requests ({len(two)} bytes): the parser takes the first head "
                    "and keeps the rest in its buffer"
                    if len(reads) == 1
                    else f"the {len(two)} bytes came in {len(reads)} reads here (TCP does not keep write boundaries)"
                ),
                "KeepAliveDecided#1": "http/plan.py plan_response: HTTP/1.1 and nobody said close, so keep "
                "alive; 'buffered' counts the bytes of the next request already read",
                "RequestHeadParsed#2": "Http11Processor._loop finds the second head in the buffer "
                "(parser.has_buffered_data) and parses it without waiting for the socket: pipelining",
                "KeepAliveDecided#2": "the second request said Connection: close, so the connection ends after it",
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
            "kept alive after the first, with the second already buffered (buffered > 0)",
            [d["fields"] for d in decided],
        )
        tour.expect(
            len(decided) == 2 and not decided[1]["fields"]["keep_alive"],
            "closed after the second (Connection: close)",
            [d["fields"] for d in decided],
        )
    finally:
        server.stop()


# -- chunked -------------------------------------------------------------------------
def chunked(tour: Tour) -> None:
    """A form POSTed with Transfer-Encoding: chunked, in three chunks."""
    server = TourInstance()
    try:
        server.start()
        marker = _marker()
        chunks = [b"firstname=Ada", b"&lastname=", b"Lovelace"]
        head = (
            f"POST /examples/servlets/requestparams?{marker} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n"
            "Connection: close\r\n\r\n"
        )
        tour.say(f"A form POSTed in {len(chunks)} chunks, each in its own write 50 ms apart, then the last chunk:")
        _show_request(tour, head)
        client = RawClient(server.port)
        client.send(head.encode())
        for chunk in chunks:
            client.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            tour.say(f"  > {len(chunk):x}\\r\\n{chunk.decode()}\\r\\n")
            time.sleep(0.05)
        client.send(b"0\r\n\r\n")
        tour.say("  > 0\\r\\n\\r\\n")
        answer = client.read_response()
        client.close()
        shown = re.findall(r"(First name|Last name): <b>([^<]*)</b>", answer.body.decode(errors="replace"))
        tour.say(f"The servlet's answer: {answer.head.splitlines()[0]}; " + ", ".join(f"{k}: {v}" for k, v in shown))
        (events,) = server.closed_connection(marker)
        tour.say("\nThe container's trace:")
        tour.trace(
            events,
            {
                "RequestHeadParsed": "body: chunked. No Content-Length: the body's end is the zero-size chunk",
                "ServletCalled": "RequestParamExample.do_post asks get_parameter(); the form body is read now, "
                "through Http11Processor.read_body",
                "ChunkReceived#1": "http/body.py ChunkedReader parses each chunk-size line "
                "(Http11Processor._next_body_piece reports it); the servlet only sees the decoded bytes",
                "BytesReceived#2": "the servlet's read is waiting for the rest of the body: the next chunk arrives",
                "ChunkReceived#4": "the last chunk (size 0, no trailers): the body is complete, the parameters "
                "are parsed, the servlet writes its page",
                "ResponseCommitted": "the page fits the buffer: Content-Length framing (http/plan.py plan_response)",
            },
            skip=("ValveEntered", "ValveLeft", "BytesSent"),
        )
        got = _of(events, "ChunkReceived")
        sizes = [e["fields"]["size"] for e in got]
        tour.expect(sizes == [13, 10, 8, 0], "ChunkReceived of 13, 10 and 8 bytes, then the last chunk", sizes)
        tour.expect(bool(got) and got[-1]["fields"]["last"], "the last one marked last", got[-1:])
        tour.expect(
            answer.status == 200 and ("First name", "Ada") in shown and ("Last name", "Lovelace") in shown,
            "the servlet saw the parameters firstname=Ada, lastname=Lovelace",
            (answer.status, shown, answer.body[:200]),
        )
    finally:
        server.stop()


# -- behind nginx ------------------------------------------------------------------------
def _through_nginx(tour: Tour, port: int, marker: str) -> tuple[WsClient, HttpAnswer]:
    """A browser-like handshake (with the page's Origin) sent to nginx."""
    client = WsClient(port)
    answer = client.handshake(f"{ECHO}?{marker}", f"127.0.0.1:{port}", origin=f"http://127.0.0.1:{port}")
    tour.say(f"\nThe client's handshake to nginx on port {port}:")
    _show_request(tour, client.request)
    return client, answer


def _refused_behind_nginx(
    tour: Tour, template: str, body_lines: int, why: dict[str, str]
) -> tuple[HttpAnswer, list[dict[str, Any]]]:
    """Start the server and nginx with *template* in front, send one
    browser-like handshake through nginx, show what came back, what reached
    the container and its trace (with *why*); the answer and the events."""
    server = TourInstance()
    listen = free_port()
    nginx = Nginx(template, listen=listen, upstream=server.port)
    try:
        server.start()
        tour.say(f"nginx, configured so (conf/nginx/{template}.conf, ports filled in):\n")
        tour.say(nginx.config())
        nginx.start([listen])
        marker = _marker()
        client, answer = _through_nginx(tour, listen, marker)
        tour.say("and its answer, relayed by nginx:")
        _show_answer(tour, answer, body_lines=body_lines)
        client.close()
        (events,) = server.closed_connection(marker)
        tour.say()
        _show_arrived(tour, events)
        tour.say("\nThe container's trace:")
        tour.trace(events, why)
        return answer, events
    finally:
        nginx.stop()
        server.stop()


def proxy_drops_upgrade(tour: Tour) -> None:
    """nginx without the Upgrade/Connection lines: a plain GET arrives."""
    answer, events = _refused_behind_nginx(
        tour,
        "proxy-drops-upgrade",
        3,
        {
            "RequestHeadParsed": "Upgrade and Connection are hop-by-hop (RFC 9110 7.6.1): nginx consumed "
            "them and sent its own Connection: close; Sec-WebSocket-Key and -Version are end-to-end, so "
            "they did arrive",
            "HandshakeRefused": "ServerContainer.handshake: a GET on an endpoint's path that is not an "
            "upgrade (hs.is_upgrade_request is false) gets 426 naming the missing headers "
            "(websocket/core/handshake.py missing_upgrade_error); 'compared' shows what it got",
            "ResponseCommitted": "426 Upgrade Required with Upgrade: websocket and the reason as text/plain",
        },
    )
    refused = _of(events, "HandshakeRefused")
    tour.expect(answer.status == 426, "426 Upgrade Required, not a 101", answer.status)
    tour.expect(
        _header(events, "Upgrade") is None and (_header(events, "Connection") or "").lower() == "close",
        "the request reached the container without Upgrade, with Connection: close",
        (_header(events, "Upgrade"), _header(events, "Connection")),
    )
    tour.expect(
        bool(refused)
        and refused[0]["fields"]["check"] == "upgrade"
        and "Upgrade: None" in refused[0]["fields"]["compared"],
        "HandshakeRefused names the check upgrade and compares Upgrade: None, Connection: close",
        [r["fields"] for r in refused],
    )


def proxy_http10(tour: Tour) -> None:
    """nginx with the upgrade lines but its default proxy_http_version 1.0:
    accepted, as Tomcat 10.1 accepts it."""
    server = TourInstance()
    listen = free_port()
    nginx = Nginx("proxy-http10", listen=listen, upstream=server.port)
    try:
        server.start()
        tour.say("nginx, configured so (conf/nginx/proxy-http10.conf, ports filled in):\n")
        tour.say(nginx.config())
        nginx.start([listen])
        marker = _marker()
        client, answer = _through_nginx(tour, listen, marker)
        tour.say("and its answer, relayed by nginx:")
        _show_answer(tour, answer)
        if answer.status == 101:
            client.close_handshake()
        client.close()
        (events,) = server.closed_connection(marker)
        tour.say()
        _show_arrived(tour, events)
        tour.say("\nThe container's trace:")
        tour.trace(
            events,
            {
                "RequestHeadParsed": "nginx spoke HTTP/1.0 to the container (proxy_http_version defaults to 1.0), "
                "with the Upgrade and Connection headers it was told to set",
                "HandshakeCheck/http-version": "RFC 6455 4.1 asks for HTTP/1.1, but Tomcat 10.1 does not check the "
                "version and neither does validate_request (websocket/core/handshake.py): HTTP/1.0 passes",
                "HandshakeAccepted": "101 Switching Protocols: nginx relays it and tunnels the frames",
            },
            only=("RequestHeadParsed", "HandshakeCheck", "HandshakeAccepted", "Upgraded", "WebSocketClosed"),
        )
    finally:
        nginx.stop()
        server.stop()
    heads = _of(events, "RequestHeadParsed")
    checks = _of(events, "HandshakeCheck", "http-version")
    tour.expect(
        bool(heads) and heads[0]["fields"]["version"] == "HTTP/1.0",
        "the request arrives as HTTP/1.0",
        [h["fields"]["version"] for h in heads],
    )
    tour.expect(_header(events, "Upgrade") == "websocket", "Upgrade: websocket did arrive", _header(events, "Upgrade"))
    tour.expect(answer.status == 101, "101 Switching Protocols, as from Tomcat", answer.status)
    tour.expect(
        bool(checks) and checks[0]["fields"]["passed"],
        "HandshakeCheck http-version passed with HTTP/1.0",
        [c["fields"] for c in checks],
    )


def idle_timeout(tour: Tour) -> None:
    """proxy_read_timeout against an idle WebSocket, with and without pings."""
    read_timeout, ping = 2, 0.5
    server = TourInstance({"quiet": 'webSocketPingInterval="0"', "pinging": f'webSocketPingInterval="{ping}"'})
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
        server.start()
        tour.say(
            f"Two connectors: port {server.ports['quiet']} with webSocketPingInterval=\"0\" (no pings), "
            f"port {server.ports['pinging']} with webSocketPingInterval=\"{ping}\"."
        )
        tour.say("nginx, configured so (conf/nginx/idle-timeout.conf, ports filled in):\n")
        tour.say(nginx.config())
        nginx.start([quiet, pinging])
        marker = _marker()
        observed: dict[str, dict[str, Any]] = {}
        for name, port in (("quiet", quiet), ("pinging", pinging)):
            client = WsClient(port, timeout=15)
            answer = client.handshake(f"{ECHO}?{marker}-{name}", f"127.0.0.1:{port}", origin=f"http://127.0.0.1:{port}")
            if answer.status != 101:
                tour.expect(False, f"a 101 through nginx on port {port}", answer.head)
                client.close()
                return
            started = time.monotonic()
            deadline = started + 2 * read_timeout + 1
            pings = closes = 0
            while time.monotonic() < deadline and not client.eof:
                frame = client.recv_frame(timeout=deadline - time.monotonic())
                if frame is None:
                    continue
                if frame.opcode == Opcode.PING:
                    client.send_frame(Opcode.PONG, frame.payload)  # what a browser does on its own
                    pings += 1
                elif frame.opcode == Opcode.CLOSE:
                    closes += 1
            lived = time.monotonic() - started
            observed[name] = {"lived": round(lived, 2), "eof": client.eof, "pings": pings, "close frames": closes}
            if client.eof:
                tour.say(
                    f"{name}: the client, silent, got EOF after {lived:.1f} s"
                    f" ({closes} close frame(s), {pings} ping(s) before it)"
                )
            else:
                tour.say(f"{name}: still open after {lived:.1f} s of silence; {pings} pings answered with pongs")
                client.close_handshake()
            client.close()
        for name in ("quiet", "pinging"):
            (events,) = server.closed_connection(f"{marker}-{name}")
            tour.say(f"\nThe container's trace of the {name} connection:")
            if name == "quiet":
                tour.trace(
                    events,
                    {
                        "WebSocketOpened": "from here nobody talks: the client is silent and this connector does "
                        "not ping, so nginx reads nothing from the upstream",
                        "WebSocketClosed": f"about {read_timeout} s later the socket ends without a close frame "
                        f"(1006, initiator abnormal): nginx's proxy_read_timeout ({read_timeout}s) passed with no "
                        "byte from the upstream, and nginx closed both sides",
                    },
                    skip=(*QUIET, "HandshakeCheck"),
                )
                closed = _of(events, "WebSocketClosed")
                tour.expect(
                    observed[name]["eof"]
                    and observed[name]["close frames"] == 0
                    and read_timeout - 0.5 <= observed[name]["lived"] <= read_timeout + 1.5,
                    f"without pings the client gets EOF, no close frame, after about {read_timeout} s",
                    observed[name],
                )
                tour.expect(
                    bool(closed)
                    and closed[0]["fields"]["code"] == 1006
                    and closed[0]["fields"]["initiator"] == "abnormal",
                    "the trace shows the session closed 1006 with no close handshake (initiator abnormal)",
                    [c["fields"] for c in closed],
                )
            else:
                tour.trace(
                    events,
                    {
                        "FrameSent/ping": f"WsHttpUpgradeHandler.keepalive_due pings every {ping} s (the shared "
                        "KeepaliveScheduler, FrameWriter.try_send_control, websocket/writer.py): traffic from the "
                        "upstream, which restarts nginx's "
                        "proxy_read_timeout",
                        "FrameReceived/pong": "the client answers with a pong carrying the same payload "
                        "(RFC 6455 5.5.3); a browser does it by itself",
                        "PongReceived": "the pong matches the ping: no webSocketPingTimeout to enforce",
                        "WebSocketClosed": "the end of the tour: our client closed normally",
                    },
                    skip=(*QUIET, "HandshakeCheck"),
                    ping_rounds=2,
                )
                tour.expect(
                    not observed[name]["eof"] and observed[name]["lived"] >= 2 * read_timeout,
                    f"with pings every {ping} s the WebSocket lives past {2 * read_timeout} s",
                    observed[name],
                )
                sent = len(_of(events, "FrameSent", "ping"))
                pongs = len(_of(events, "FrameReceived", "pong"))
                tour.expect(
                    sent >= 2 * read_timeout / ping - 1 and pongs >= sent - 1,
                    "the server's pings and the client's pongs in the trace",
                    {"pings sent": sent, "pongs received": pongs},
                )
        deadline = time.monotonic() + 3
        while "upstream timed out" not in nginx.error_log() and time.monotonic() < deadline:
            time.sleep(0.1)
        lines = [line for line in nginx.error_log().splitlines() if "upstream timed out" in line]
        tour.say("\nnginx's error log (level info):")
        for line in lines[:2]:
            tour.say("  " + re.sub(r", client: .*", "", line.split("] ", 1)[-1]))
        tour.expect(
            len(lines) == 1 and "while proxying upgraded connection" in lines[0],
            "nginx logs one 'upstream timed out ... while proxying upgraded connection'",
            lines,
        )
    finally:
        nginx.stop()
        server.stop()


def origin_host(tour: Tour) -> None:
    """nginx not forwarding Host: the same-origin check refuses, then the fix."""
    server = TourInstance()
    listen, fixed = free_port(), free_port()
    nginx = Nginx("origin-host", listen=listen, listen_fixed=fixed, upstream=server.port)
    try:
        server.start()
        tour.say("nginx, configured so (conf/nginx/origin-host.conf, ports filled in):\n")
        tour.say(nginx.config())
        nginx.start([listen, fixed])
        marker = _marker()
        answers: dict[int, HttpAnswer] = {}
        for label, port in (("bare", listen), ("fixed", fixed)):
            # A browser on a page of http://127.0.0.1:PORT sends that page's origin.
            client, answer = _through_nginx(tour, port, f"{marker}-{label}")
            answers[port] = answer
            tour.say("and its answer:")
            _show_answer(tour, answer, body_lines=1 if answer.status != 101 else 0)
            if answer.status == 101:
                client.close_handshake()
            client.close()
        refused_trace, fixed_trace = (server.closed_connection(f"{marker}-{label}")[0] for label in ("bare", "fixed"))
        tour.say()
        _show_arrived(tour, refused_trace)
        tour.say(f"\nThe container's trace, port {listen} (no Host line):")
        tour.trace(
            refused_trace,
            {
                "RequestHeadParsed": "Host is nginx's default, $proxy_host: the name of the upstream block "
                "(catalina), not the host the browser used",
                "HandshakeCheck/origin": "ServerContainer._check_origin -> hs.check_origin: the Origin must be "
                "scheme://Host as the container sees it (default ports normalised); "
                f"http://127.0.0.1:{listen} is not http://catalina",
                "HandshakeRefused": "403, with both values compared (websocket/core/handshake.py origin_error) "
                "and the fix in the body",
                "KeepAliveDecided": "nginx sent HTTP/1.1 with Connection: upgrade, not close, so the container "
                "would serve another request; nginx (no upstream keepalive) closes the connection instead",
            },
        )
        tour.say(f"\nThe container's trace, port {fixed} (proxy_set_header Host $http_host;):")
        tour.trace(
            fixed_trace,
            {
                "HandshakeCheck/origin": f"Host: 127.0.0.1:{fixed} as the browser sent it ($http_host keeps the "
                "port; $host would drop it), so Origin and Host agree",
            },
            only=("RequestHeadParsed", "HandshakeCheck", "HandshakeAccepted", "Upgraded", "WebSocketClosed"),
        )
        refused = _of(refused_trace, "HandshakeRefused")
        passed = _of(fixed_trace, "HandshakeCheck", "origin")
        tour.expect(answers[listen].status == 403, "403 Forbidden without the Host line", answers[listen].status)
        tour.expect(
            bool(refused)
            and refused[0]["fields"]["check"] == "origin"
            and refused[0]["fields"]["compared"] == f"Origin: http://127.0.0.1:{listen}, Host: catalina",
            f"HandshakeRefused: check origin, compared Origin: http://127.0.0.1:{listen}, Host: catalina",
            [r["fields"] for r in refused],
        )
        tour.expect(answers[fixed].status == 101, "101 once Host is forwarded", answers[fixed].status)
        tour.expect(
            bool(passed)
            and passed[0]["fields"]["passed"]
            and f"Host: 127.0.0.1:{fixed}" in passed[0]["fields"]["detail"],
            f"the origin check passed with Host: 127.0.0.1:{fixed}",
            [p["fields"] for p in passed],
        )
    finally:
        nginx.stop()
        server.stop()


# -- WebSocket on its own ----------------------------------------------------------------
def deflate(tour: Tour) -> None:
    """permessage-deflate: a compressed message in, a compressed echo out."""
    server = TourInstance()
    try:
        server.start()
        marker = _marker()
        client = WsClient(server.port)
        answer = client.handshake(f"{ECHO}?{marker}", f"127.0.0.1:{server.port}", extensions="permessage-deflate")
        negotiated = answer.header("Sec-WebSocket-Extensions")
        tour.say(f"Offered Sec-WebSocket-Extensions: permessage-deflate; the server answered: {negotiated}")
        text = "Tomcat, Tomcat, Tomcat, " * 20
        compressor = zlib.compressobj(wbits=-15)  # raw deflate: no zlib header, no checksum
        flushed = compressor.compress(text.encode()) + compressor.flush(zlib.Z_SYNC_FLUSH)
        wire = flushed[:-4] if flushed.endswith(b"\x00\x00\xff\xff") else flushed  # RFC 7692 7.2.1
        tour.say(
            f"The message: {len(text)} characters; raw deflate and a sync flush give {len(flushed)} bytes "
            f"ending in {flushed[-4:].hex(' ')}, sent without that tail: {len(wire)} bytes, RSV1 set."
        )
        client.send_frame(Opcode.TEXT, wire, rsv1=True)
        echo = client.recv_frame()
        inflated = b""
        if echo is not None:
            inflated = zlib.decompressobj(wbits=-15).decompress(echo.payload + b"\x00\x00\xff\xff")
        tour.say(
            f"The echo: {len(echo.payload) if echo else 0} bytes with RSV1={int(bool(echo and echo.rsv1))}; "
            f"the tail put back and inflated: {len(inflated.decode(errors='replace'))} characters."
        )
        client.close_handshake()
        client.close()
        (events,) = server.closed_connection(marker)
        tour.say("\nThe container's trace:")
        tour.trace(
            events,
            {
                "HandshakeCheck/extensions": "PerMessageDeflate.negotiate (websocket/core/permessage_deflate.py) "
                "accepts the offer; the 101 carries the agreed parameters",
                "FrameReceived/text": "RSV1=1: this message is compressed (RFC 7692). 'length' is the wire size",
                "MessageReceived": "WsProtocol inflated it (tail put back) before the endpoint saw it: the message "
                "size, in characters",
                "FrameSent/text": "the echo deflated again by FrameWriter.send_message (websocket/writer.py): "
                "the wire size again",
            },
        )
        frames_in = _of(events, "FrameReceived", "text")
        frames_out = _of(events, "FrameSent", "text")
        messages = _of(events, "MessageReceived")
        tour.say("\nSizes, from the trace:")
        for label, found, unit in (
            ("FrameReceived (wire)", frames_in, "bytes"),
            ("MessageReceived", messages, "characters"),
            ("FrameSent (wire)", frames_out, "bytes"),
            ("MessageSent", _of(events, "MessageSent"), "characters"),
        ):
            if found:
                tour.say(f"  {label:<22} {found[0]['fields']['length']:>5} {unit}")
        tour.expect("permessage-deflate" in (negotiated or ""), "permessage-deflate negotiated", answer.head)
        tour.expect(
            bool(frames_in) and frames_in[0]["fields"]["rsv1"] and frames_in[0]["fields"]["length"] == len(wire),
            f"FrameReceived: {len(wire)} bytes on the wire, RSV1 set",
            [f["fields"] for f in frames_in],
        )
        tour.expect(
            bool(messages) and messages[0]["fields"]["length"] == len(text),
            f"MessageReceived: {len(text)} characters",
            [m["fields"] for m in messages],
        )
        tour.expect(
            bool(frames_out)
            and echo is not None
            and frames_out[0]["fields"]["rsv1"]
            and frames_out[0]["fields"]["length"] == len(echo.payload),
            "FrameSent: the compressed echo, RSV1 set, as many bytes as the client received",
            [f["fields"] for f in frames_out],
        )
        tour.expect(
            echo is not None and echo.rsv1 and inflated.decode(errors="replace") == text,
            "the echo inflates to the text sent",
            inflated[:80],
        )
    finally:
        server.stop()


def in_parts(tour: Tour) -> None:
    """A message larger than the echo's buffer, taken and echoed in parts."""
    server = TourInstance()
    try:
        server.start()
        marker = _marker()
        client = WsClient(server.port)
        client.handshake(f"{ECHO}?{marker}", f"127.0.0.1:{server.port}")
        text = ("0123456789abcdef" * 8 + "\n") * 1200  # 154,800 characters, ASCII: as many bytes
        data = text.encode()
        first, second = data[:100_000], data[100_000:]
        client.send_frame(Opcode.TEXT, first, fin=False)
        client.send_frame(Opcode.CONTINUATION, second)
        tour.say(
            f"Sent one text message of {len(data)} bytes as two frames: {len(first)} bytes with FIN=0, then a "
            f"continuation of {len(second)} bytes with FIN=1. The echo endpoint's buffer is 65536 bytes."
        )
        echoed: list[Frame] = []
        for _ in range(64):
            frame = client.recv_frame()
            if frame is None:
                break
            echoed.append(frame)
            if frame.fin:
                break
        back = b"".join(f.payload for f in echoed)
        tour.say(
            f"The echo came back as {len(echoed)} frames of "
            + ", ".join(str(len(f.payload)) for f in echoed)
            + f" bytes, FIN only on the last: {len(back)} bytes, the same message."
        )
        client.close_handshake()
        client.close()
        (events,) = server.closed_connection(marker)
        tour.say("\nThe container's trace:")
        tour.trace(
            events,
            {
                "FrameReceived/text": "the first frame's header; its payload is read and unmasked in pieces as it "
                "arrives (FrameParser.read_payload, websocket/core/frames.py), never held whole",
                "MessageReceived": "a part, at most the session's buffer size (65536 bytes) and never splitting a "
                "character: the endpoint's @on_message has a `last: bool` parameter, so WsProtocol is in parts "
                "mode (partial_text) and emits TextPart events",
                "FrameSent/text": "send_text(part, last) writes each part as a frame at once, FIN=0 until the last "
                "part: the reply is a fragmented message",
            },
            only=("Upgraded", "WebSocketOpened", "FrameReceived", "MessageReceived", "FrameSent", "WebSocketClosed"),
        )
        frames_in = [e for e in _of(events, "FrameReceived") if e["fields"]["opcode"] in ("text", "continuation")]
        parts = _of(events, "MessageReceived")
        frames_out = [e for e in _of(events, "FrameSent") if e["fields"]["opcode"] in ("text", "continuation")]
        tour.expect(back == data, "the echo is the message sent", len(back))
        tour.expect(
            [f["fields"]["length"] for f in frames_in] == [len(first), len(second)],
            f"FrameReceived: the two frames as sent ({len(first)} and {len(second)} bytes)",
            [f["fields"] for f in frames_in],
        )
        tour.expect(
            len(parts) >= 3 and all(p["fields"]["length"] <= 65536 for p in parts),
            "MessageReceived: at least 3 parts, none over 65536 bytes",
            [p["fields"]["length"] for p in parts],
        )
        tour.expect(
            len(frames_out) == len(parts)
            and [f["fields"]["fin"] for f in frames_out][-1:] == [True]
            and not any(f["fields"]["fin"] for f in frames_out[:-1]),
            "FrameSent: a frame per part, FIN only on the last",
            [(f["fields"]["length"], f["fields"]["fin"]) for f in frames_out],
        )
    finally:
        server.stop()


def close(tour: Tour) -> None:
    """The close handshake, started by the client and by the server."""
    server = TourInstance()
    try:
        server.start()
        marker = _marker()
        client = WsClient(server.port)
        client.handshake(f"{ECHO}?{marker}-client", f"127.0.0.1:{server.port}")
        reply = client.close_handshake(1000, "bye")
        client.close()
        code = _close_code(reply)
        tour.say(f"1. The client starts: close 1000 'bye'; the server's close frame comes back with {code}.")
        other = WsClient(server.port)
        other.handshake(f"{ECHO}?{marker}-server", f"127.0.0.1:{server.port}")
        other.send_frame(Opcode.TEXT, b"\xc3\x28 not UTF-8")
        frame = other.recv_frame()
        server_code = _close_code(frame)
        if frame is not None and server_code is not None:
            try:
                other.send_frame(Opcode.CLOSE, frame.payload[:2])  # our reply, as a client must
            except OSError:
                pass  # after a protocol error the server may close without waiting for it (RFC 6455 7.1.7)
        other.close()
        reason = frame.payload[2:].decode(errors="replace") if frame is not None else ""
        tour.say(
            "2. The client sends a text frame whose payload is not UTF-8 (c3 28); "
            f"the server starts the close: {server_code} {reason!r}."
        )
        first, second = server.closed_connection(f"{marker}-client")[0], server.closed_connection(f"{marker}-server")[0]
        shown = ("Upgraded", "FrameReceived", "FrameSent", "WebSocketClosed", "ConnectionClosed")
        tour.say("\nThe container's trace of the client-started close:")
        tour.trace(
            first,
            {
                "FrameReceived/close": "the client's close frame, code 1000 and reason 'bye'",
                "FrameSent/close": "WsProtocol._handle_close answers with the same code (RFC 6455 5.5.1), "
                "written by the connection's FrameWriter",
                "WebSocketClosed": "WsHttpUpgradeHandler._fire_close: on_close runs once, initiator client",
                "ConnectionClosed": "after the exchange the server closes the TCP connection first "
                "(RFC 6455 7.1.1 asks it of servers)",
            },
            only=shown,
        )
        after = [e for e in second if e["event"] == "FrameReceived" and e["fields"]["opcode"] == "close"]
        tour.say("\nThe container's trace of the server-started close:")
        tour.trace(
            second,
            {
                "FrameReceived/text": "a well-formed frame (so it is reported) whose text is not UTF-8",
                "FrameSent/close": "RFC 6455 8.1: a text message that is not UTF-8 fails the connection with "
                "1007; WsProtocol._fail queues the close frame (websocket/core/protocol.py)",
                "WebSocketClosed": "initiator server: the server sent the first close frame",
                "ConnectionClosed": (
                    "the client's reply was read before the socket closed"
                    if after
                    else "the server closed TCP right after its close frame, without waiting for the reply: "
                    "_Fail the WebSocket Connection_ (RFC 6455 7.1.7)"
                ),
            },
            only=shown,
        )
        closed = [_of(first, "WebSocketClosed"), _of(second, "WebSocketClosed")]
        tour.expect(code == 1000, "the server answers the client's 1000 with 1000", code)
        tour.expect(
            bool(closed[0])
            and closed[0][0]["fields"]["initiator"] == "client"
            and closed[0][0]["fields"]["code"] == 1000,
            "WebSocketClosed 1000, initiator client",
            [c["fields"] for c in closed[0]],
        )
        tour.expect(server_code == 1007, "close 1007 (invalid frame payload data) for bad UTF-8", server_code)
        tour.expect(
            bool(closed[1])
            and closed[1][0]["fields"]["initiator"] == "server"
            and closed[1][0]["fields"]["code"] == 1007,
            "WebSocketClosed 1007, initiator server",
            [c["fields"] for c in closed[1]],
        )
    finally:
        server.stop()


def too_big(tour: Tour) -> None:
    """A text message over the whole-message echo endpoint's 64 KiB limit."""
    server = TourInstance()
    try:
        server.start()
        marker = _marker()
        client = WsClient(server.port)
        client.handshake(f"{ECHO_WHOLE}?{marker}", f"127.0.0.1:{server.port}")
        size = 64 * 1024 + 1
        try:
            data = client.send_frame(Opcode.TEXT, b"x" * size)
            tour.say(
                f"Sent one text frame: a 14-byte header announcing {size} bytes ({data[:14].hex(' ')}), then them."
            )
        except OSError as exc:  # the server closed before it read the whole frame: it judged the header
            tour.say(f"Sending the {size}-byte frame failed half-way ({exc.strerror}): the server had closed.")
        frame = client.recv_frame()
        code = _close_code(frame)
        if frame is not None and code is not None:
            try:
                client.send_frame(Opcode.CLOSE, frame.payload[:2])
            except OSError:
                pass  # after a protocol error the server may close without waiting for our reply (RFC 6455 7.1.7)
        client.close()
        reason = frame.payload[2:].decode(errors="replace") if frame is not None else ""
        tour.say(f"echoAsync takes whole messages of 65536 bytes at most; the server's close frame: {code} {reason!r}.")
        (events,) = server.closed_connection(marker)
        tour.say("\nThe container's trace:")
        tour.trace(
            events,
            {
                "WebSocketOpened": "no FrameReceived follows: the frame is refused from its header alone",
                "FrameSent/close": "WsProtocol._check_size (websocket/core/protocol.py) compares the announced "
                "length with the endpoint's max_text_message_size before buffering the payload: 1009",
                "WebSocketClosed": "initiator server; the payload was never collected into a message: the read loop "
                "stops at the refused header",
            },
            only=("Upgraded", "WebSocketOpened", "FrameReceived", "FrameSent", "WebSocketClosed", "ConnectionClosed"),
        )
        closed = _of(events, "WebSocketClosed")
        tour.expect(code == 1009, "close 1009 (message too big)", code)
        tour.expect(
            not _of(events, "FrameReceived", "text"),
            "no FrameReceived for the big frame: refused on its header",
            _of(events, "FrameReceived"),
        )
        tour.expect(
            bool(closed) and closed[0]["fields"]["code"] == 1009 and closed[0]["fields"]["initiator"] == "server",
            "WebSocketClosed 1009, initiator server",
            [c["fields"] for c in closed],
        )
    finally:
        server.stop()


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(
            "handshake",
            "The opening handshake, Sec-WebSocket-Accept computed step by step from RFC 6455's sample key.",
            handshake,
        ),
        Scenario("keep-alive", "Two pipelined requests in one write, served on one kept-alive connection.", keep_alive),
        Scenario("chunked", "A form POSTed with Transfer-Encoding: chunked, read chunk by chunk.", chunked),
        Scenario(
            "proxy-drops-upgrade",
            "nginx without the Upgrade/Connection lines: the handshake arrives as a plain GET and gets 426.",
            proxy_drops_upgrade,
            True,
        ),
        Scenario(
            "proxy-http10",
            "nginx left at proxy_http_version 1.0: the HTTP/1.0 handshake is accepted, as Tomcat accepts it.",
            proxy_http10,
            True,
        ),
        Scenario(
            "idle-timeout",
            "nginx's proxy_read_timeout cuts an idle WebSocket; the server's pings keep another one open.",
            idle_timeout,
            True,
        ),
        Scenario(
            "origin-host",
            "nginx not forwarding Host: the same-origin check refuses with 403; Host $http_host fixes it.",
            origin_host,
            True,
        ),
        Scenario("deflate", "permessage-deflate: wire sizes against message sizes, in and out.", deflate),
        Scenario("close", "The close handshake started by the client (1000) and by the server (1007).", close),
        Scenario(
            "in-parts",
            "A 154,800-byte message to the echo, whose buffer is 64 KiB: taken and echoed in parts.",
            in_parts,
        ),
        Scenario(
            "too-big",
            "A text message over echoAsync's 64 KiB limit (it takes whole messages): the server closes with 1009.",
            too_big,
        ),
    )
}
