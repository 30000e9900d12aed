"""A minimal RFC 6455 WebSocket client for the benchmarks: handshake, masked frames, a frame parser.

Written for bench/ws_echo.py and independent of catalina_py (it imports only the standard library), so
that the benchmark checks the server's wire format instead of sharing its code. Only what a load client
needs: no extensions are offered, so the server must answer with plain frames.
"""

from __future__ import annotations

import base64
import hashlib
import os
import socket
import struct
import time
from dataclasses import dataclass

#: The GUID of RFC 6455 section 1.3, appended to the key to compute Sec-WebSocket-Accept.
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

OP_CONTINUATION = 0x0
OP_TEXT = 0x1
OP_BINARY = 0x2
OP_CLOSE = 0x8
OP_PING = 0x9
OP_PONG = 0xA

MAX_HEAD_BYTES = 16 * 1024
_U16 = struct.Struct("!H")
_U64 = struct.Struct("!Q")


class WsProtocolError(RuntimeError):
    """The server broke the protocol (or the benchmark's expectation of it): the run must fail."""


def accept_key(key: bytes) -> str:
    """The Sec-WebSocket-Accept value a server must answer to the key ``key`` (RFC 6455 4.2.2)."""
    return base64.b64encode(hashlib.sha1(key + GUID).digest()).decode("ascii")


def mask_payload(payload: bytes, mask: bytes) -> bytes:
    """``payload`` XORed with the 4-byte ``mask`` repeated (RFC 6455 5.3), in one big-integer XOR."""
    n = len(payload)
    if n == 0:
        return b""
    key = (mask * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "little") ^ int.from_bytes(key, "little")).to_bytes(n, "little")


def encode_frame(opcode: int, payload: bytes, fin: bool = True, mask: bytes | None = None) -> bytes:
    """One client frame: FIN/opcode, the minimal length encoding, a mask (random unless given), masked payload."""
    if mask is None:
        mask = os.urandom(4)
    n = len(payload)
    first = (0x80 if fin else 0) | opcode
    if n < 126:
        head = bytes((first, 0x80 | n))
    elif n < 1 << 16:
        head = bytes((first, 0x80 | 126)) + _U16.pack(n)
    else:
        head = bytes((first, 0x80 | 127)) + _U64.pack(n)
    return head + mask + mask_payload(payload, mask)


def server_frame(opcode: int, payload: bytes) -> bytes:
    """The exact unmasked, unfragmented frame an RFC 6455 server sends for ``payload`` (for fast comparisons)."""
    n = len(payload)
    first = 0x80 | opcode
    if n < 126:
        return bytes((first, n)) + payload
    if n < 1 << 16:
        return bytes((first, 126)) + _U16.pack(n) + payload
    return bytes((first, 127)) + _U64.pack(n) + payload


def close_payload(code: int, reason: str = "") -> bytes:
    """The body of a close frame: the 2-byte status code and a UTF-8 reason."""
    return _U16.pack(code) + reason.encode("utf-8")


@dataclass(slots=True)
class Message:
    """What the parser hands back: a complete data message or one control frame."""

    opcode: int
    payload: bytes


class FrameParser:
    """Incremental parser of server-to-client frames, with fragmented messages put back together.

    Strict: server frames must be unmasked, use no reserved bits (no extension was offered), use the
    minimal length encoding, and control frames must be final and at most 125 bytes. Any breach raises
    WsProtocolError.
    """

    def __init__(self, max_message: int = 16 * 1024 * 1024) -> None:
        self._buf = bytearray()
        self._fragments: list[bytes] = []
        self._fragment_opcode = 0
        self._fragment_size = 0
        self._max_message = max_message
        #: Data frames parsed so far (text, binary, continuation): over the messages, how a server fragments.
        self.data_frames = 0

    @property
    def buffered(self) -> int:
        """Bytes received but not yet part of a complete frame."""
        return len(self._buf)

    def feed(self, data: bytes | bytearray) -> list[Message]:
        """Adds ``data`` and returns every message and control frame now complete, in order."""
        buf = self._buf
        buf += data
        out: list[Message] = []
        pos = 0
        end = len(buf)
        while end - pos >= 2:
            b0 = buf[pos]
            b1 = buf[pos + 1]
            if b0 & 0x70:
                raise WsProtocolError(f"reserved bits set in frame header 0x{b0:02x} (no extension was negotiated)")
            if b1 & 0x80:
                raise WsProtocolError("the server sent a masked frame")
            opcode = b0 & 0x0F
            n = b1 & 0x7F
            head = 2
            if n == 126:
                if end - pos < 4:
                    break
                n = _U16.unpack_from(buf, pos + 2)[0]
                head = 4
                if n < 126:
                    raise WsProtocolError(f"length {n} sent in 16 bits (not the minimal encoding)")
            elif n == 127:
                if end - pos < 10:
                    break
                n = _U64.unpack_from(buf, pos + 2)[0]
                head = 10
                if n < 1 << 16:
                    raise WsProtocolError(f"length {n} sent in 64 bits (not the minimal encoding)")
            if end - pos < head + n:
                break
            payload = bytes(buf[pos + head : pos + head + n])
            pos += head + n
            out.append(self._frame(bool(b0 & 0x80), opcode, payload))
        if pos:
            del buf[:pos]
        return [m for m in out if m.opcode >= 0]

    def _frame(self, fin: bool, opcode: int, payload: bytes) -> Message:
        """One complete frame: a control frame, a whole message, or a fragment (returned as opcode -1)."""
        if opcode >= 0x8:
            if opcode not in (OP_CLOSE, OP_PING, OP_PONG):
                raise WsProtocolError(f"unknown control opcode 0x{opcode:x}")
            if not fin or len(payload) > 125:
                raise WsProtocolError(f"control frame 0x{opcode:x} fragmented or longer than 125 bytes")
            return Message(opcode, payload)
        self.data_frames += 1
        if opcode == OP_CONTINUATION:
            if not self._fragment_opcode:
                raise WsProtocolError("continuation frame with no message started")
        elif opcode in (OP_TEXT, OP_BINARY):
            if self._fragment_opcode:
                raise WsProtocolError("new data frame inside a fragmented message")
            if fin:
                return Message(opcode, payload)
            self._fragment_opcode = opcode
        else:
            raise WsProtocolError(f"unknown data opcode 0x{opcode:x}")
        self._fragments.append(payload)
        self._fragment_size += len(payload)
        if self._fragment_size > self._max_message:
            raise WsProtocolError(f"message over {self._max_message} bytes")
        if not fin:
            return Message(-1, b"")
        message = Message(self._fragment_opcode, b"".join(self._fragments))
        self._fragments = []
        self._fragment_opcode = 0
        self._fragment_size = 0
        return message


def handshake_request(host: str, port: int, path: str, key: bytes) -> bytes:
    """The opening handshake's GET (RFC 6455 4.1), no extensions, no sub-protocol."""
    return (
        f"GET {path} HTTP/1.1\r\n"
        f"Host: {host}:{port}\r\n"
        "Upgrade: websocket\r\n"
        "Connection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key.decode('ascii')}\r\n"
        "Sec-WebSocket-Version: 13\r\n"
        "\r\n"
    ).encode("ascii")


def check_handshake_response(head: bytes, key: bytes) -> None:
    """Raises WsProtocolError unless ``head`` is a 101 that accepts ``key`` with no extension."""
    lines = head.decode("latin-1").split("\r\n")
    status = lines[0].split(" ", 2)
    if len(status) < 2 or status[0] != "HTTP/1.1" or status[1] != "101":
        raise WsProtocolError(f"handshake answered {lines[0]!r}, not 101")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    if headers.get("upgrade", "").lower() != "websocket":
        raise WsProtocolError(f"101 without Upgrade: websocket ({headers.get('upgrade')!r})")
    if "upgrade" not in [t.strip().lower() for t in headers.get("connection", "").split(",")]:
        raise WsProtocolError(f"101 without Connection: Upgrade ({headers.get('connection')!r})")
    if headers.get("sec-websocket-accept") != accept_key(key):
        raise WsProtocolError(
            f"Sec-WebSocket-Accept {headers.get('sec-websocket-accept')!r}, expected {accept_key(key)!r}"
        )
    if "sec-websocket-extensions" in headers:
        raise WsProtocolError(f"extension accepted that was not offered: {headers['sec-websocket-extensions']!r}")


def connect(host: str, port: int, path: str, timeout: float = 10.0) -> tuple[socket.socket, bytes]:
    """Opens a TCP connection and does the opening handshake (blocking, within ``timeout`` seconds).

    Returns the socket (TCP_NODELAY on, still blocking) and the bytes received after the response head.
    """
    deadline = time.monotonic() + timeout
    sock = socket.create_connection((host, port), timeout=timeout)
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        key = base64.b64encode(os.urandom(16))
        sock.sendall(handshake_request(host, port, path, key))
        received = bytearray()
        while b"\r\n\r\n" not in received:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise WsProtocolError(f"no complete handshake response within {timeout} s")
            sock.settimeout(remaining)
            chunk = sock.recv(4096)
            if not chunk:
                raise WsProtocolError(f"connection closed during the handshake after {bytes(received)!r}")
            received += chunk
            if len(received) > MAX_HEAD_BYTES:
                raise WsProtocolError("handshake response head over 16 KiB")
        head, _, rest = bytes(received).partition(b"\r\n\r\n")
        check_handshake_response(head, key)
        return sock, rest
    except BaseException:
        sock.close()
        raise
