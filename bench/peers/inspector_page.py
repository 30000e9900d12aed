"""A stand-in for an open inspector page: connects to /inspector/live with
a raw WebSocket client, watches the busiest connection it is told about,
and reads (and discards) everything the server pushes, answering pings,
until it is stopped (SIGTERM) or the server closes. Prints how many
messages and bytes it got, so the benchmark can check the page was fed.

    python bench/peers/inspector_page.py PORT
"""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import struct
import sys

MASK = b"\x11\x22\x33\x44"


def masked(opcode: int, payload: bytes) -> bytes:
    header = bytes([0x80 | opcode])
    n = len(payload)
    if n < 126:
        header += bytes([0x80 | n])
    elif n < 65536:
        header += bytes([0x80 | 126]) + struct.pack("!H", n)
    else:
        header += bytes([0x80 | 127]) + struct.pack("!Q", n)
    return header + MASK + bytes(b ^ MASK[i % 4] for i, b in enumerate(payload))


def main() -> int:
    port = int(sys.argv[1])
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            f"GET /inspector/live HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Origin: http://127.0.0.1:{port}\r\n\r\n"
        ).encode()
    )
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            print("closed during the handshake", file=sys.stderr)
            return 1
        buf += chunk
    head, _, buf = buf.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 101"):
        print(f"handshake refused: {head[:200]!r}", file=sys.stderr)
        return 1
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
    messages = received = 0
    watching = None
    while not stopping:
        try:
            chunk = sock.recv(1 << 20)
        except InterruptedError:
            continue
        except OSError:
            break
        if not chunk:
            break
        received += len(chunk)
        buf += chunk
        while len(buf) >= 2:
            opcode, n = buf[0] & 0x0F, buf[1] & 0x7F
            pos = 2
            if n == 126:
                if len(buf) < 4:
                    break
                n, pos = struct.unpack("!H", buf[2:4])[0], 4
            elif n == 127:
                if len(buf) < 10:
                    break
                n, pos = struct.unpack("!Q", buf[2:10])[0], 10
            if len(buf) < pos + n:
                break
            payload, buf = buf[pos : pos + n], buf[pos + n :]
            if opcode == 0x9:
                sock.sendall(masked(0xA, payload))
            elif opcode == 0x8:
                stopping.append(1)
            elif opcode == 0x1:
                messages += 1
                message = json.loads(payload)
                if message.get("type") == "connections" and watching is None and message["open"]:
                    # Watch a connection, as a learner clicking a row does.
                    watching = max(message["open"], key=lambda c: c["requests"])["id"]
                    sock.sendall(masked(0x1, json.dumps({"type": "watch", "connection": watching}).encode()))
    print(json.dumps({"messages": messages, "bytes": received, "watching": watching}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
