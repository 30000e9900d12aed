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


def test_an_idle_websocket_keeps_nothing_of_its_http_request(tmp_path, monkeypatch):
    base = tmp_path / "base"
    (base / "conf").mkdir(parents=True)
    (base / "logs").mkdir()
    port = free_port()
    (base / "conf" / "server.xml").write_text(
        SERVER_XML.format(port=port, shutdown_port=-1, connector_attrs="", log_pattern="common")
    )
    shutil.copytree(REPO / "webapps" / "examples", base / "webapps" / "examples")
    monkeypatch.setenv("CATALINA_BASE", str(base))
    monkeypatch.setenv("CATALINA_HOME", str(REPO))
    from catalina_py import bootstrap
    from catalina_py.container.mapper import MappingData
    from catalina_py.container.request import Request
    from catalina_py.http.parser import RequestHead

    catalina = bootstrap.Catalina(bootstrap.Layout.from_environment())
    catalina.start()
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
