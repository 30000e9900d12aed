"""CPU cost of one WebSocket message through the container, without the network.

The WebSocket twin of ``pipeline_cost.py``: a real ``Http11Processor`` over a
fake socket whose peer sends an upgrade request for the examples' echo
endpoint (``/examples/websocket/echo``), then bursts of masked 16-byte text
frames (many frames per read, as the pipelined scenario of ``ws_echo.py``),
then a close frame. What is timed is the Python work per message: the
handshake once, then frame parsing, unmasking, UTF-8 checking, dispatch to
the endpoint, the echo's framing and the writer. Every echo is checked byte
for byte (the server's frames are unmasked, so the expected output is known).

It uses only what both the old and the new layout have in common (the
bootstrap and ``connector/processor.py``'s ``Http11Processor``), so it runs
against any checkout: ``--home DIR`` imports catalina_py from *DIR*.

    .venv/bin/python bench/ws_cost.py [--messages 200000] [--burst 32] [--home DIR] [--profile]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from in_process import catalina_in_process, checkout, timed  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))

PAYLOAD = b"0123456789abcdef"  # 16 bytes
MASK = b"\x37\xfa\x21\x3d"
KEY = base64.b64encode(b"bench-ws-cost-16").decode()
GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def masked_frame(opcode: int, payload: bytes) -> bytes:
    """A client frame (FIN set, masked) with a short payload."""
    assert len(payload) < 126
    masked = bytes(b ^ MASK[i % 4] for i, b in enumerate(payload))
    return struct.pack("!BB", 0x80 | opcode, 0x80 | len(payload)) + MASK + masked


class PeerSocket:
    """A socket whose peer sends the handshake, then *bursts* reads of
    *burst* text frames each, then a close frame, then EOF; it hashes what
    the server sends after its 101 so the echoes can be checked."""

    def __init__(self, path: str, bursts: int, burst: int) -> None:
        self.handshake = (
            f"GET {path} HTTP/1.1\r\nHost: localhost:8080\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
        self.chunk = masked_frame(0x1, PAYLOAD) * burst
        self.close_frame = masked_frame(0x8, struct.pack("!H", 1000))
        self.bursts = bursts
        self.stage = 0  # 0 handshake, 1 frames, 2 close sent, 3 EOF
        self.head = b""
        self.upgraded = False
        self.digest = hashlib.sha256()
        self.out_bytes = 0

    def recv(self, size: int) -> bytes:
        if self.stage == 0:
            self.stage = 1
            return self.handshake
        if self.stage == 1:
            if self.bursts > 0:
                self.bursts -= 1
                return self.chunk
            self.stage = 2
            return self.close_frame
        return b""

    def recv_into(self, buffer: bytearray | memoryview, size: int = 0) -> int:
        data = self.recv(size or len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def sendall(self, data: bytes) -> None:
        data = bytes(data)
        if not self.upgraded:
            self.head += data
            end = self.head.find(b"\r\n\r\n")
            if end < 0:
                return
            data = self.head[end + 4 :]
            self.head = self.head[: end + 4]
            self.upgraded = True
        self.digest.update(data)
        self.out_bytes += len(data)

    def send(self, data: bytes, flags: int = 0, timeout: float | None = None) -> int:
        """Takes everything (gevent's ``send(data, flags, timeout)`` shape, which the writer calls)."""
        self.sendall(data)
        return len(data)

    def getsockname(self) -> tuple[str, int]:
        return ("127.0.0.1", 8080)

    def getpeername(self) -> tuple[str, int]:
        return ("127.0.0.1", 40000)

    def setsockopt(self, *args: object) -> None:
        pass

    def settimeout(self, timeout: float | None) -> None:
        pass

    def setblocking(self, flag: bool) -> None:
        pass

    def shutdown(self, how: int) -> None:
        pass

    def close(self) -> None:
        pass

    def fileno(self) -> int:
        return -1


def expected(messages: int) -> tuple[str, int]:
    """The digest and length of the server's output after the 101: one
    unmasked echo per message, then the close reply."""
    digest = hashlib.sha256()
    echo = struct.pack("!BB", 0x81, len(PAYLOAD)) + PAYLOAD
    block = echo * 1024
    left = messages
    while left >= 1024:
        digest.update(block)
        left -= 1024
    digest.update(echo * left)
    close = struct.pack("!BB", 0x88, 2) + struct.pack("!H", 1000)
    digest.update(close)
    return digest.hexdigest(), len(echo) * messages + len(close)


def run_once(endpoint: object, processor_class: type, bursts: int, burst: int) -> PeerSocket:
    sock = PeerSocket("/examples/websocket/echo", bursts, burst)
    processor_class(endpoint, sock, ("127.0.0.1", 40000)).run()
    return sock


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=200_000, help="messages in the measured run")
    parser.add_argument("--burst", type=int, default=32, help="frames per read")
    parser.add_argument("--home", default=os.path.dirname(HERE), help="the checkout of catalina_py to measure")
    parser.add_argument("--profile", action="store_true", help="print the top functions by own time")
    args = parser.parse_args()
    home = os.path.abspath(args.home)
    bursts = max(1, args.messages // args.burst)
    messages = bursts * args.burst

    with catalina_in_process(home) as (endpoint, Http11Processor):
        warm = run_once(endpoint, Http11Processor, 200, args.burst)  # warm up: imports, endpoint instance
        if not warm.head.startswith(b"HTTP/1.1 101 "):
            print(f"the handshake failed: {warm.head[:200]!r}", file=sys.stderr)
            return 1
        sock, elapsed, cpu = timed(lambda: run_once(endpoint, Http11Processor, bursts, args.burst), args.profile)
        want_digest, want_length = expected(messages)
        if sock.out_bytes != want_length or sock.digest.hexdigest() != want_digest:
            print(
                f"the echoes differ from what was sent: {sock.out_bytes} bytes out, {want_length} expected",
                file=sys.stderr,
            )
            return 1
        print(
            f"{messages} echoes of 16-byte text frames, {args.burst} per read, catalina_py from {checkout()}: "
            f"{elapsed * 1e6 / messages:.3f} us per message "
            f"({messages / elapsed:,.0f} msgs/s if the network were free), "
            f"{cpu * 1e6 / messages:.3f} us of process CPU time"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
