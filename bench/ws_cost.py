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

With ``--deflate`` the connection negotiates permessage-deflate (context
takeover both ways, as Autobahn's 12.1 and 13.1 cases) and the messages
are 16 to 256 bytes of varied text compressed by the peer beforehand, so
the time includes inflating, deflating and the extension's framing; the
echoes are inflated after the run and compared with what was sent.

    .venv/bin/python bench/ws_cost.py [--messages 200000] [--burst 32] [--deflate] [--home DIR] [--profile]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import struct
import sys
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from in_process import catalina_in_process, checkout, timed  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))

PAYLOAD = b"0123456789abcdef"  # 16 bytes
MASK = b"\x37\xfa\x21\x3d"
KEY = base64.b64encode(b"bench-ws-cost-16").decode()
GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def masked_frame(opcode: int, payload: bytes, rsv1: bool = False) -> bytes:
    """A client frame (FIN set, masked) with a payload under 64 KiB."""
    masked = bytes(b ^ MASK[i % 4] for i, b in enumerate(payload))
    first = 0x80 | (0x40 if rsv1 else 0) | opcode
    if len(payload) < 126:
        return struct.pack("!BB", first, 0x80 | len(payload)) + MASK + masked
    return struct.pack("!BBH", first, 0x80 | 126, len(payload)) + MASK + masked


WORDS = (
    "the connector accepts a connection parses the request head maps it to a context and a wrapper "
    "runs the filter chain and the servlet which upgrades to a websocket whose frames are read "
    "unmasked checked inflated and handed to the endpoint that echoes them back deflated"
).split()


def deflate_messages(count: int) -> list[bytes]:
    """*count* varied text messages of 16 to 256 bytes (deterministic)."""
    messages = []
    for i in range(count):
        size = 16 << (i % 5)  # 16, 32, 64, 128, 256
        words = []
        length = 0
        j = i
        while length < size:
            word = WORDS[(j * 7 + length) % len(WORDS)]
            words.append(word)
            length += len(word) + 1
            j += 3
        messages.append(" ".join(words).encode()[:size])
    return messages


def deflate_stream(messages: list[bytes], burst: int) -> list[bytes]:
    """The peer's reads: masked, compressed text frames (one compressor
    with context takeover, the 0x00 0x00 0xff 0xff tail removed), *burst*
    frames per read."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    frames = []
    for message in messages:
        data = compressor.compress(message) + compressor.flush(zlib.Z_SYNC_FLUSH)
        frames.append(masked_frame(0x1, data[:-4], rsv1=True))
    return [b"".join(frames[i : i + burst]) for i in range(0, len(frames), burst)]


def inflate_echoes(output: bytes) -> list[bytes]:
    """The text messages in the server's unmasked, compressed frames."""
    decompressor = zlib.decompressobj(-15)
    messages = []
    at = 0
    while at < len(output):
        first, second = output[at], output[at + 1]
        length = second & 0x7F
        at += 2
        if length == 126:
            (length,) = struct.unpack_from("!H", output, at)
            at += 2
        payload = output[at : at + length]
        at += length
        if first & 0x0F == 0x8:
            break
        if first & 0x40:
            payload = decompressor.decompress(payload + b"\x00\x00\xff\xff")
        messages.append(payload)
    return messages


class PeerSocket:
    """A socket whose peer sends the handshake, then *bursts* reads of
    *burst* text frames each, then a close frame, then EOF; it hashes what
    the server sends after its 101 so the echoes can be checked."""

    def __init__(self, path: str, bursts: int, burst: int, chunks: list[bytes] | None = None) -> None:
        extensions = "Sec-WebSocket-Extensions: permessage-deflate\r\n" if chunks is not None else ""
        self.handshake = (
            f"GET {path} HTTP/1.1\r\nHost: localhost:8080\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n"
            f"{extensions}\r\n"
        ).encode()
        self.chunk = masked_frame(0x1, PAYLOAD) * burst
        self.chunks = chunks
        self.close_frame = masked_frame(0x8, struct.pack("!H", 1000))
        self.bursts = len(chunks) if chunks is not None else bursts
        self.keep = chunks is not None
        self.output: list[bytes] = []
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
                if self.chunks is not None:
                    return self.chunks[len(self.chunks) - 1 - self.bursts]
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
        if self.keep:
            self.output.append(data)

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


def run_once(
    endpoint: object, processor_class: type, bursts: int, burst: int, chunks: list[bytes] | None = None
) -> PeerSocket:
    sock = PeerSocket("/examples/websocket/echo", bursts, burst, chunks)
    processor_class(endpoint, sock, ("127.0.0.1", 40000)).run()
    return sock


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=200_000, help="messages in the measured run")
    parser.add_argument("--burst", type=int, default=32, help="frames per read")
    parser.add_argument("--home", default=os.path.dirname(HERE), help="the checkout of catalina_py to measure")
    parser.add_argument("--profile", action="store_true", help="print the top functions by own time")
    parser.add_argument("--deflate", action="store_true", help="permessage-deflate, 16-256 byte varied text")
    args = parser.parse_args()
    home = os.path.abspath(args.home)
    bursts = max(1, args.messages // args.burst)
    messages = bursts * args.burst

    with catalina_in_process(home) as (endpoint, Http11Processor):
        warm = run_once(endpoint, Http11Processor, 200, args.burst)  # warm up: imports, endpoint instance
        if not warm.head.startswith(b"HTTP/1.1 101 "):
            print(f"the handshake failed: {warm.head[:200]!r}", file=sys.stderr)
            return 1
        if args.deflate:
            sent = deflate_messages(messages)
            chunks = deflate_stream(sent, args.burst)
            sock, elapsed, cpu = timed(
                lambda: run_once(endpoint, Http11Processor, bursts, args.burst, chunks), args.profile
            )
            if b"permessage-deflate" not in sock.head:
                print(f"permessage-deflate was not negotiated: {sock.head[:300]!r}", file=sys.stderr)
                return 1
            if inflate_echoes(b"".join(sock.output)) != sent:
                print("the inflated echoes differ from what was sent", file=sys.stderr)
                return 1
            print(
                f"{messages} echoes of 16-256 byte deflated text, {args.burst} per read, catalina_py from "
                f"{checkout()}: {elapsed * 1e6 / messages:.3f} us per message, "
                f"{cpu * 1e6 / messages:.3f} us of process CPU time"
            )
            return 0
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
