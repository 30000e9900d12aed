"""CPU cost of one request through the whole container, without the network.

Runs a real Http11Processor over a fake socket that hands it the same
keep-alive request over and over and throws the responses away, so what is
timed is the Python work per request: parsing, mapping, the valve
pipelines, the servlet, response serialisation and the access log. The
network part (syscalls, greenlet switches) is what ``http_hello.py``
measures on top of this.

It uses only what the old and the new layout have in common (the bootstrap
and ``connector/processor.py``'s ``Http11Processor``), so ``--home DIR``
measures any checkout with the same script (before/after figures in
``docs/performance.md``).

    .venv/bin/python bench/pipeline_cost.py [--requests 100000] [--path /examples/servlets/helloworld]
        [--home DIR] [--profile]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from in_process import catalina_in_process, checkout, timed  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
HOME = os.path.dirname(HERE)


class LoopSocket:
    """A socket whose peer sends *request* *count* times, then closes."""

    def __init__(self, request: bytes, count: int) -> None:
        self.request = request
        self.left = count
        self.sent = 0

    def recv(self, size: int) -> bytes:
        if self.left <= 0:
            return b""
        self.left -= 1
        return self.request

    def send(self, data: bytes) -> int:
        self.sent += 1
        return len(data)

    def sendall(self, data: bytes) -> None:
        self.sent += 1

    def getsockname(self) -> tuple[str, int]:
        return ("127.0.0.1", 8080)

    def setsockopt(self, *args: object) -> None:
        pass

    def settimeout(self, timeout: float | None) -> None:
        pass

    def shutdown(self, how: int) -> None:
        pass

    def close(self) -> None:
        pass


def subscribe(kind: str) -> None:
    """Put an observer on the event stream, as the inspector (a page open)
    or ``run --trace-file`` would."""
    from catalina_py.events import BUS
    from catalina_py.trace_filter import TraceFilter

    if kind == "recorder":
        from catalina_py.inspector.recorder import Recorder

        BUS.subscribe(TraceFilter(Recorder(), exclude_prefix="/inspector/"))
    else:
        from catalina_py.trace_json import JsonTraceWriter

        BUS.subscribe(JsonTraceWriter(open(os.devnull, "w")))  # noqa: SIM115 - for the process's life


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--path", default="/examples/servlets/helloworld")
    parser.add_argument("--home", default=HOME, help="the checkout of catalina_py to measure")
    parser.add_argument(
        "--observe",
        choices=["none", "recorder", "json"],
        default="none",
        help="subscribe an observer to the event stream: the inspector's recorder (as while a page is "
        "open) or the JSON trace writer (to /dev/null)",
    )
    parser.add_argument("--profile", action="store_true", help="print the top functions by own time")
    args = parser.parse_args()
    home = os.path.abspath(args.home)

    with catalina_in_process(home) as (endpoint, Http11Processor):
        if args.observe != "none":
            subscribe(args.observe)
        request = (
            f"GET {args.path} HTTP/1.1\r\nHost: localhost:8080\r\nUser-Agent: bench\r\n" "Accept: */*\r\n\r\n"
        ).encode()
        # Warm up, then measure.
        Http11Processor(endpoint, LoopSocket(request, 2000), ("127.0.0.1", 40000)).run()
        # One connection for all requests: lift maxKeepAliveRequests.
        endpoint.config = dataclasses.replace(endpoint.config, max_keep_alive_requests=-1)
        sock = LoopSocket(request, args.requests)
        processor = Http11Processor(endpoint, sock, ("127.0.0.1", 40001))
        _, elapsed, cpu = timed(processor.run, args.profile)
        served = processor.requests_served
        if served != args.requests or sock.sent < served:
            print(f"only {served} of {args.requests} requests were served", file=sys.stderr)
            return 1
        print(
            f"{served} requests to {args.path} (catalina_py from {checkout()}): {elapsed * 1e6 / served:.2f} us "
            f"per request ({served / elapsed:,.0f} req/s if the network were free), "
            f"{cpu * 1e6 / served:.2f} us of process CPU time (steadier on a busy machine)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
