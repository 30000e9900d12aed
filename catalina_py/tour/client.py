"""The tour's own raw client: plain sockets, so every byte it sends is the
one the learner reads about (no HTTP or WebSocket library in between).
The WebSocket frames are built and parsed with the container's own sans-I/O
codec (``websocket/core/frames.py``), in its client role: masked out,
unmasked in."""

from __future__ import annotations

import base64
import os
import socket
import time
from dataclasses import dataclass

from ..websocket.core.frames import Frame, FrameParser, Opcode, serialize_frame

__all__ = ["HttpAnswer", "RawClient", "WsClient"]


@dataclass
class HttpAnswer:
    """One HTTP response as read off the socket."""

    status: int
    head: str
    body: bytes

    def header(self, name: str) -> str | None:
        """The value of the header *name* (any case), or None."""
        for line in self.head.split("\r\n")[1:]:
            key, _, value = line.partition(":")
            if key.strip().lower() == name.lower():
                return value.strip()
        return None


class RawClient:
    """One TCP connection to 127.0.0.1:*port*."""

    def __init__(self, port: int, timeout: float = 10.0) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buffer = b""

    def send(self, data: bytes) -> None:
        """Write *data* as it is: what the learner reads is what goes out."""
        self.sock.sendall(data)

    def _fill(self) -> bool:
        chunk = self.sock.recv(65536)
        if not chunk:
            return False
        self.buffer += chunk
        return True

    def read_response(self) -> HttpAnswer:
        """The next response (Content-Length, chunked, or up to the close)."""
        while b"\r\n\r\n" not in self.buffer:
            if not self._fill():
                raise ConnectionError(f"closed before a response head: {self.buffer[:200]!r}")
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        text = head.decode("latin-1")
        status = int(text.split(" ", 2)[1])
        answer = HttpAnswer(status, text, b"")
        length = answer.header("Content-Length")
        if answer.header("Transfer-Encoding") == "chunked":
            body = b""
            while True:
                while b"\r\n" not in self.buffer:
                    if not self._fill():
                        raise ConnectionError("closed inside a chunked body")
                size_line, _, self.buffer = self.buffer.partition(b"\r\n")
                size = int(size_line.split(b";")[0], 16)
                while len(self.buffer) < size + 2:
                    if not self._fill():
                        raise ConnectionError("closed inside a chunk")
                body, self.buffer = body + self.buffer[:size], self.buffer[size + 2 :]
                if size == 0:
                    break
            answer.body = body
        elif length is not None:
            while len(self.buffer) < int(length):
                if not self._fill():
                    raise ConnectionError("closed inside the body")
            answer.body, self.buffer = self.buffer[: int(length)], self.buffer[int(length) :]
        elif status not in (101, 204, 304):
            while self._fill():
                pass
            answer.body, self.buffer = self.buffer, b""
        return answer

    def close(self) -> None:
        """Close the socket (no close handshake: see :meth:`WsClient.close_handshake`)."""
        try:
            self.sock.close()
        except OSError:
            pass


class WsClient(RawClient):
    """A WebSocket client: the handshake, then masked frames."""

    def handshake(
        self, path: str, host: str, origin: str | None = None, key: str | None = None, extensions: str | None = None
    ) -> HttpAnswer:
        """Send the upgrade request; the answer (101, or the refusal)."""
        self.key = key or base64.b64encode(os.urandom(16)).decode()
        lines = [
            f"GET {path} HTTP/1.1",
            f"Host: {host}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {self.key}",
            "Sec-WebSocket-Version: 13",
        ]
        if origin:
            lines.append(f"Origin: {origin}")
        if extensions:
            lines.append(f"Sec-WebSocket-Extensions: {extensions}")
        #: The request as sent, for the learner to read.
        self.request = "\r\n".join(lines) + "\r\n\r\n"
        self.send(self.request.encode())
        answer = self.read_response()
        #: The server's frames are unmasked; RSV1 is allowed for permessage-deflate.
        self.parser = FrameParser(require_mask=False, allow_rsv1=True)
        #: Set once the connection ended (EOF or reset) under :meth:`recv_frame`.
        self.eof = False
        if self.buffer:
            self.parser.feed(self.buffer)
            self.buffer = b""
        return answer

    def send_frame(self, opcode: int, payload: bytes, fin: bool = True, rsv1: bool = False) -> bytes:
        """Send one masked frame; returns its bytes."""
        data = serialize_frame(Frame(opcode, payload, fin, rsv1), os.urandom(4))
        self.send(data)
        return data

    def recv_frame(self, timeout: float = 10.0) -> Frame | None:
        """The next frame from the server, or None: then :attr:`eof` tells
        whether the connection ended (the server or a proxy closed it) or
        *timeout* seconds passed with nothing."""
        deadline = time.monotonic() + timeout
        while True:
            frame = self.parser.next_frame()
            if frame is not None:
                return frame
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(65536)
            except TimeoutError:
                return None
            except OSError:  # reset: the connection is gone all the same
                chunk = b""
            if not chunk:
                self.eof = True
                return None
            self.parser.feed(chunk)

    def close_handshake(self, code: int = 1000, reason: str = "") -> Frame | None:
        """Send our close frame; the server's close frame back."""
        self.send_frame(Opcode.CLOSE, code.to_bytes(2, "big") + reason.encode())
        while True:
            frame = self.recv_frame()
            if frame is None or frame.opcode == Opcode.CLOSE:
                return frame
