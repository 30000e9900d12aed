"""A served request must not leave reference cycles behind.

Objects in a cycle are freed only by the cyclic garbage collector; at
thousands of requests a second its pauses cost throughput and show up in
the tail latency (docs/performance.md measured a fifth of the throughput
and a 15 ms p99). This runs a real Http11Processor over a fake socket, with
the collector off, and counts what the collector then finds: a property of
the code, not a timing.
"""

from __future__ import annotations

import gc
import shutil

from tests.server import REPO, SERVER_XML, free_port


class LoopSocket:
    """A peer that sends the same keep-alive request *count* times."""

    def __init__(self, request: bytes, count: int) -> None:
        self.request, self.left = request, count

    def recv(self, size: int) -> bytes:
        if self.left <= 0:
            return b""
        self.left -= 1
        return self.request

    def send(self, data: bytes) -> int:
        return len(data)

    def sendall(self, data: bytes) -> None:
        pass

    def getsockname(self):
        return ("127.0.0.1", 8080)

    def settimeout(self, timeout) -> None:
        pass

    def shutdown(self, how) -> None:
        pass

    def close(self) -> None:
        pass


def test_requests_leave_no_reference_cycles(tmp_path, monkeypatch):
    base = tmp_path / "base"
    (base / "conf").mkdir(parents=True)
    (base / "logs").mkdir()
    (base / "conf" / "server.xml").write_text(
        SERVER_XML.format(
            port=free_port(), shutdown_port=-1, connector_attrs='maxKeepAliveRequests="-1"', log_pattern="common"
        )
    )
    shutil.copytree(REPO / "webapps" / "examples", base / "webapps" / "examples")
    monkeypatch.setenv("CATALINA_BASE", str(base))
    monkeypatch.setenv("CATALINA_HOME", str(REPO))
    from catalina_py.bootstrap import Catalina, Layout
    from catalina_py.connector.processor import Http11Processor

    catalina = Catalina(Layout.from_environment())
    catalina.start()
    try:
        endpoint = catalina.server.services[0].connectors[0].endpoint
        paths = [
            "/examples/servlets/helloworld",
            "/examples/servlets/requestinfo/x?a=1",
            "/examples/index.html",
            "/examples/no-such-page",
        ]
        # Warm up first (lazy servlet init, caches), then count.
        for path in paths:
            request = f"GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode()
            Http11Processor(endpoint, LoopSocket(request, 5), ("127.0.0.1", 1)).run()
        gc.collect()
        gc.disable()
        try:
            served = 0
            for path in paths:
                request = f"GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode()
                processor = Http11Processor(endpoint, LoopSocket(request, 100), ("127.0.0.1", 2))
                processor.run()
                served += processor.requests_served
            found = gc.collect()
        finally:
            gc.enable()
        assert served == 400
        # A handful of objects from connection set-up may be cyclic; one
        # cycle per request would be 400 or more.
        assert found < 40, f"{found} objects in reference cycles after {served} requests"
    finally:
        catalina.stop()
