"""What an idle WebSocket keeps alive: a structural property, not a timing.

Every object the garbage collector tracks is walked again by each full
collection; with 10,000 idle WebSockets held, those collections stopped the
one process that also answers HTTP for up to 2 s (docs/hardening.md "Idle
WebSockets"). An idle connection should be its socket, its one greenlet and
the session's few objects: nothing of the HTTP request that asked for the
upgrade, no spawning stacks. This runs a real server in this process (real
sockets on 127.0.0.1, gevent clients) and counts the new tracked objects by
type.
"""

from __future__ import annotations

import gc
import shutil
from collections import Counter

import gevent
import gevent.socket
import greenlet

from tests.server import REPO, SERVER_XML, free_port

SOCKETS = 20

HANDSHAKE = (
    "GET /examples/websocket/echo HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
    "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
)


def open_websocket(port: int) -> gevent.socket.socket:
    sock = gevent.socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(HANDSHAKE.format(port=port).encode())
    head = b""
    while b"\r\n\r\n" not in head and len(head) < 4096:
        piece = sock.recv(4096)
        if not piece:
            break
        head += piece
    assert head.startswith(b"HTTP/1.1 101 "), head
    return sock


def close_websocket(sock: gevent.socket.socket) -> None:
    sock.sendall(b"\x88\x82\x00\x00\x00\x00\x03\xe8")  # masked close 1000 (zero mask)
    for _ in range(10):  # the reply, then EOF
        if not sock.recv(4096):
            break
    sock.close()


def wait_until(predicate, seconds: float = 10.0) -> bool:
    for _ in range(int(seconds / 0.02)):
        if predicate():
            return True
        gevent.sleep(0.02)
    return predicate()


def start_catalina(tmp_path, monkeypatch, connector_attrs: str = ""):
    """A server in this process with the examples webapp: (Catalina, port)."""
    base = tmp_path / "base"
    (base / "conf").mkdir(parents=True)
    (base / "logs").mkdir()
    port = free_port()
    (base / "conf" / "server.xml").write_text(
        SERVER_XML.format(port=port, shutdown_port=-1, connector_attrs=connector_attrs, log_pattern="common")
    )
    shutil.copytree(REPO / "webapps" / "examples", base / "webapps" / "examples")
    monkeypatch.setenv("CATALINA_BASE", str(base))
    monkeypatch.setenv("CATALINA_HOME", str(REPO))
    from catalina_py import bootstrap

    catalina = bootstrap.Catalina(bootstrap.Layout.from_environment())
    catalina.start()
    return catalina, port


def test_an_idle_websocket_keeps_nothing_of_its_http_request(tmp_path, monkeypatch):
    from catalina_py import bootstrap
    from catalina_py.container.mapper import MappingData
    from catalina_py.container.request import Request
    from catalina_py.http.parser import RequestHead

    catalina, port = start_catalina(tmp_path, monkeypatch)
    thresholds = gc.get_threshold()
    tracking = gevent.config.track_greenlet_tree
    bootstrap.tune_garbage_collector()  # what ``run`` does once the server serves
    try:
        endpoint = catalina.server.services[0].connectors[0].endpoint
        # Warm up (lazy servlet and endpoint set-up, caches), then count.
        for sock in [open_websocket(port) for _ in range(2)]:
            close_websocket(sock)
        assert wait_until(lambda: not endpoint.upgraded and not endpoint.processors)
        gc.collect()
        before = {id(o) for o in gc.get_objects()}
        socks = [open_websocket(port) for _ in range(SOCKETS)]
        assert wait_until(lambda: len(endpoint.upgraded) == SOCKETS)
        gevent.sleep(0.2)  # every reader blocked in recv
        gc.collect()
        new = [o for o in gc.get_objects() if id(o) not in before]
        kinds = Counter(type(o).__name__ for o in new)
        kept = {
            "Request": sum(isinstance(o, Request) for o in new),
            "RequestHead": sum(isinstance(o, RequestHead) for o in new),
            "MappingData": sum(isinstance(o, MappingData) for o in new),
            "spawning stack frames": kinds.get("_Frame", 0),
        }
        greenlets = sum(isinstance(o, greenlet.greenlet) for o in new)
        per_socket = len(new) / SOCKETS
        del new
        for sock in socks:
            close_websocket(sock)
        assert wait_until(lambda: not endpoint.upgraded and not endpoint.processors)
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
        gevent.config.track_greenlet_tree = tracking
        catalina.stop()
    assert kept == dict.fromkeys(kept, 0), f"an idle WebSocket keeps {kept} (of {SOCKETS} sockets)"
    # One greenlet per socket (its reader) and the one keepalive scheduler;
    # before, each session had a keepalive greenlet of its own (2 per socket).
    assert greenlets <= SOCKETS + 1, f"{greenlets} new greenlets for {SOCKETS} idle WebSockets"
    # Server and client side together (the client's gevent socket is a few
    # objects); before: 106 per socket, the request and spawning stacks.
    assert per_socket <= 90, f"{per_socket:.1f} tracked objects per idle WebSocket: {kinds.most_common(20)}"


def echo(sock: gevent.socket.socket, payload: bytes) -> bytes:
    """Send one masked text frame (zero mask), return the echoed payload."""
    assert len(payload) < 126
    sock.sendall(bytes((0x81, 0x80 | len(payload))) + b"\x00\x00\x00\x00" + payload)
    data = b""
    while len(data) < 2 + len(payload):
        piece = sock.recv(4096)
        assert piece, "connection closed before the echo"
        data += piece
    assert data[:2] == bytes((0x81, len(payload))), data
    return data[2:]


def test_a_quiet_websocket_is_parked_without_a_greenlet_and_resumes(tmp_path, monkeypatch):
    """webSocketParkAfter: a WebSocket that read nothing for that long gives
    up its greenlet (a read watcher waits instead), and its next message
    resumes it in a new greenlet, echoed as before; the close and the
    connection's accounting still happen once."""
    catalina, port = start_catalina(tmp_path, monkeypatch, 'webSocketParkAfter="0.1"')
    try:
        endpoint = catalina.server.services[0].connectors[0].endpoint
        socks = [open_websocket(port) for _ in range(SOCKETS)]
        assert wait_until(lambda: len(endpoint.upgraded) == SOCKETS)
        for sock in socks:
            assert echo(sock, b"before") == b"before"
        # Parked between one and two webSocketParkAfter after the last read.
        assert wait_until(lambda: all(c.parked for c in endpoint.upgraded), 5.0), "not all parked"
        assert len(endpoint.upgraded_pool) == 0, "a parked connection still has its greenlet"
        assert len(endpoint.processors) == SOCKETS, "a parked connection left the connector's books"
        gc.collect()
        readers = [g for g in gc.get_objects() if isinstance(g, greenlet.greenlet) and g and not g.dead]
        # Live greenlets: this test's, the hub, the keepalive scheduler, the
        # accept loop and the timeout sweeper; none per connection.
        assert len(readers) < SOCKETS, f"{len(readers)} live greenlets with {SOCKETS} parked WebSockets"
        for round_ in range(2):
            for index, sock in enumerate(socks):
                payload = f"after {round_} {index}".encode()
                assert echo(sock, payload) == payload
            assert wait_until(lambda: all(c.parked for c in endpoint.upgraded), 5.0), "not parked again"
        served_before = endpoint.closed_requests
        for sock in socks:
            close_websocket(sock)
        assert wait_until(lambda: not endpoint.upgraded and not endpoint.processors)
        assert endpoint.closed_requests == served_before + SOCKETS  # each connection accounted once
    finally:
        catalina.stop()


def test_a_parked_websocket_gets_1001_when_the_server_stops(tmp_path, monkeypatch):
    """The graceful stop tells parked connections too: the 1001 goes out
    with no greenlet reading, the peer's reply resumes the connection, and
    the stop waits for it rather than cutting it off."""
    catalina, port = start_catalina(tmp_path, monkeypatch, 'webSocketParkAfter="0.1"')
    stopper = None
    try:
        endpoint = catalina.server.services[0].connectors[0].endpoint
        sock = open_websocket(port)
        assert wait_until(lambda: len(endpoint.upgraded) == 1)
        assert wait_until(lambda: all(c.parked for c in endpoint.upgraded), 5.0)
        stopper = gevent.spawn(catalina.stop)
        with gevent.Timeout(10):
            head = sock.recv(2)
            while len(head) < 2:
                head += sock.recv(2 - len(head))
            assert head[0] == 0x88, head
            body = b""
            while len(body) < head[1]:
                body += sock.recv(head[1] - len(body))
        assert int.from_bytes(body[:2], "big") == 1001, body
        sock.sendall(b"\x88\x82\x00\x00\x00\x00" + body[:2])  # the reply (zero mask)
        with gevent.Timeout(10):
            while sock.recv(4096):
                pass  # EOF: the server closed after the handshake
        stopper.join(timeout=10)
        assert stopper.dead
        assert not endpoint.upgraded
    finally:
        if stopper is None:
            catalina.stop()
        else:
            stopper.join(timeout=10)
