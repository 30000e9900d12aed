"""A running HTTP load on a real server, for tests/integration/test_reload.py
and bench/reload_load.py: client threads sending ``GET`` to one path at a
paced rate, some over kept-alive connections and some opening a new
connection per request (``Connection: close``), counting what a reload
must never cause: a non-2xx answer, or a connection reset / closed without
an answer.

Every thread is bounded in time and in requests.
"""

from __future__ import annotations

import http.client
import socket
import threading
import time
from dataclasses import dataclass, field

#: What a client counts as a reset connection: the server closed or reset
#: it before answering, or refused it.
RESETS = (
    ConnectionResetError,
    ConnectionAbortedError,
    ConnectionRefusedError,
    BrokenPipeError,
    http.client.RemoteDisconnected,
    http.client.BadStatusLine,
    http.client.IncompleteRead,
    socket.timeout,
)


@dataclass
class Sample:
    """One request: when it started (monotonic), how long it took, its status
    (0: reset) and its body (or the exception)."""

    started: float
    seconds: float
    status: int
    body: str


@dataclass
class LoadResult:
    """Everything the clients saw."""

    samples: list[Sample] = field(default_factory=list)
    started: float = 0.0
    ended: float = 0.0

    @property
    def requests(self) -> int:
        return len(self.samples)

    @property
    def non_2xx(self) -> list[Sample]:
        return [s for s in self.samples if s.status != 0 and not 200 <= s.status < 300]

    @property
    def resets(self) -> list[Sample]:
        return [s for s in self.samples if s.status == 0]

    @property
    def rate(self) -> float:
        """Requests per second over the whole run."""
        return self.requests / max(self.ended - self.started, 1e-9)

    def bodies(self) -> set[str]:
        return {s.body for s in self.samples if s.status == 200}

    def longest_between(self, start: float, end: float) -> float:
        """The longest response time among the requests started between
        *start* and *end* (monotonic times)."""
        return max((s.seconds for s in self.samples if start <= s.started <= end), default=0.0)


class Load:
    """``keepalive`` threads on kept-alive connections and ``new_connections``
    threads opening one connection per request, each sending *rate* / threads
    requests a second to ``http://127.0.0.1:<port><path>`` until :meth:`stop`,
    *max_seconds* or *max_requests* (per thread)."""

    def __init__(
        self,
        port: int,
        path: str,
        rate: float = 300.0,
        keepalive: int = 4,
        new_connections: int = 2,
        max_seconds: float = 60.0,
        max_requests: int = 20_000,
        timeout: float = 10.0,
    ) -> None:
        self.port = port
        self.path = path
        self.threads = keepalive + new_connections
        self.interval = self.threads / rate
        self.max_seconds = max_seconds
        self.max_requests = max_requests
        self.timeout = timeout
        self.result = LoadResult()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._workers = [
            threading.Thread(target=self._run, args=(i < keepalive,), daemon=True) for i in range(self.threads)
        ]

    def start(self) -> Load:
        self.result.started = time.monotonic()
        for worker in self._workers:
            worker.start()
        return self

    def stop(self) -> LoadResult:
        self._stop.set()
        for worker in self._workers:
            worker.join(self.timeout + 5)
        self.result.ended = time.monotonic()
        return self.result

    def _run(self, keepalive: bool) -> None:
        deadline = time.monotonic() + self.max_seconds
        conn: http.client.HTTPConnection | None = None
        headers = {} if keepalive else {"Connection": "close"}
        next_at = time.monotonic()
        samples: list[Sample] = []
        for _ in range(self.max_requests):
            if self._stop.is_set() or time.monotonic() > deadline:
                break
            pause = next_at - time.monotonic()
            if pause > 0 and self._stop.wait(pause):
                break
            next_at = max(next_at + self.interval, time.monotonic() - self.interval)
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            started = time.monotonic()
            try:
                conn.request("GET", self.path, headers=headers)
                response = conn.getresponse()
                body = response.read().decode("utf-8", "replace")
                samples.append(Sample(started, time.monotonic() - started, response.status, body))
                if not keepalive or response.will_close:
                    conn.close()
                    conn = None
            except RESETS as exc:
                samples.append(Sample(started, time.monotonic() - started, 0, repr(exc)))
                conn.close()
                conn = None
        if conn is not None:
            conn.close()
        with self._lock:
            self.result.samples.extend(samples)
