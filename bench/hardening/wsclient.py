"""A minimal asyncio WebSocket client for the hardening scripts (standard
library only, independent of catalina_py): thousands of connections in one
process, each answering the server's pings and recording the close code."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import struct
import time
from dataclasses import dataclass, field

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def frame(opcode: int, payload: bytes) -> bytes:
    """A masked, final client frame."""
    mask = os.urandom(4)
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
    elif n < 65536:
        head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return head + mask + masked


@dataclass
class WsConn:
    """One client connection and what happened to it."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    messages: list[str] = field(default_factory=list)
    close_code: int | None = None
    close_reason: str = ""
    closed_at: float | None = None
    eof_without_close: bool = False
    pings: int = 0
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task | None = None

    def send_text(self, text: str) -> None:
        self.writer.write(frame(0x1, text.encode()))

    async def close(self, code: int = 1000, wait: float = 5.0) -> None:
        """Sends a close frame and waits (up to *wait* s) for the server's reply and EOF."""
        try:
            self.writer.write(frame(0x8, struct.pack("!H", code)))
            await self.writer.drain()
        except OSError:
            pass
        if self.task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self.task), wait)
            except TimeoutError:
                pass
        self.writer.close()

    def abort(self) -> None:
        self.writer.close()

    async def run(self) -> None:
        """Reads frames until EOF: pongs pings, keeps text, records the close."""
        r = self.reader
        try:
            while True:
                b0, b1 = await r.readexactly(2)
                n = b1 & 0x7F
                if n == 126:
                    (n,) = struct.unpack("!H", await r.readexactly(2))
                elif n == 127:
                    (n,) = struct.unpack("!Q", await r.readexactly(8))
                payload = await r.readexactly(n) if n else b""
                opcode = b0 & 0x0F
                if opcode == 0x9:
                    self.pings += 1
                    self.writer.write(frame(0xA, payload))
                elif opcode == 0x8:
                    self.close_code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
                    self.close_reason = payload[2:].decode(errors="replace")
                    self.closed_at = time.monotonic()
                    try:
                        self.writer.write(frame(0x8, payload[:2]))
                        await self.writer.drain()
                    except OSError:
                        pass
                elif opcode in (0x1, 0x2, 0x0):
                    self.messages.append(payload.decode(errors="replace"))
                    self.arrived.set()
        except (asyncio.IncompleteReadError, OSError):
            if self.close_code is None:
                self.eof_without_close = True
                self.closed_at = time.monotonic()
        finally:
            self.writer.close()


async def connect(port: int, path: str, timeout: float = 30.0, read: bool = True) -> WsConn:
    """Opens a WebSocket to ``ws://127.0.0.1:port/path`` (no Origin, no
    extensions); with *read* false nothing is read after the handshake (a
    stalled client, whose receive buffer fills up)."""
    key = base64.b64encode(os.urandom(16))
    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), timeout)
    writer.write(
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key.decode()}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    try:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
    except BaseException:
        writer.close()
        raise
    if not head.startswith(b"HTTP/1.1 101"):
        writer.close()
        raise ConnectionError(head.split(b"\r\n", 1)[0].decode(errors="replace"))
    expected = base64.b64encode(hashlib.sha1(key + GUID).digest())
    if expected not in head:
        writer.close()
        raise ConnectionError("bad Sec-WebSocket-Accept")
    conn = WsConn(reader, writer)
    if read:
        conn.task = asyncio.create_task(conn.run())
    return conn
