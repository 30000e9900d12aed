"""The raw-socket client of the differential test: sends an exchange's
bytes, reads back what the server answers (HTTP responses, and WebSocket
frames after a 101) and how it handled the connection afterwards.

Nothing here knows which server it talks to. Every read has a deadline,
so a server that stays silent costs at most ``timeout`` seconds.
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass, field

#: Sent after the answer on a connection still open: if it is answered,
#: the server kept the connection.
#: How long a WebSocket client waits for the server's frames before it
#: sends its next ones, seconds (pacing, not a measurement).
PAUSE = 0.5

PROBE = b"GET /diff/static/hello.txt HTTP/1.1\r\nHost: localhost\r\n\r\n"


@dataclass
class Response:
    """One HTTP response as read off the wire (body de-chunked)."""

    version: str
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes
    framing: str  # "length", "chunked", "close" or "none"
    trailers: list[tuple[str, str]] = field(default_factory=list)

    def header(self, name: str) -> str | None:
        """The first value of ``name`` (case-insensitive), or None."""
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return None


@dataclass
class Frame:
    """One WebSocket frame the server sent."""

    fin: bool
    rsv: int
    opcode: int
    payload: bytes


@dataclass
class Outcome:
    """All a server did with one request (one step of an exchange)."""

    responses: list[Response]
    connection: str  # "closed", "kept", "silent" or "garbage"
    frames: list[Frame] = field(default_factory=list)
    error: str | None = None  # what the reader could not parse


class _Closed(Exception):
    """The peer closed (FIN or RST) before the expected bytes."""


class _Silent(Exception):
    """Nothing more arrived before the deadline."""


class _Garbage(Exception):
    """Bytes that are not an HTTP response."""


class Reader:
    """Buffered reads from a socket, all under one deadline."""

    def __init__(self, sock: socket.socket, timeout: float) -> None:
        self.sock = sock
        self.buf = b""
        self.deadline = time.monotonic() + timeout
        self.eof = False

    def _fill(self) -> None:
        if self.eof:
            raise _Closed()
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise _Silent()
        self.sock.settimeout(remaining)
        try:
            chunk = self.sock.recv(65536)
        except TimeoutError:
            raise _Silent() from None
        except OSError:
            self.eof = True
            raise _Closed() from None
        if not chunk:
            self.eof = True
            raise _Closed()
        self.buf += chunk

    def line(self, limit: int = 65536) -> bytes:
        """One line without its LF (and CR); raises when it does not come."""
        while b"\n" not in self.buf:
            if len(self.buf) > limit:
                raise _Garbage("line too long")
            self._fill()
        line, _, self.buf = self.buf.partition(b"\n")
        return line[:-1] if line.endswith(b"\r") else line

    def exactly(self, n: int) -> bytes:
        while len(self.buf) < n:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def rest(self) -> bytes:
        """Everything until the peer closes (or the deadline)."""
        try:
            while True:
                self._fill()
        except (_Closed, _Silent):
            pass
        data, self.buf = self.buf, b""
        return data


def _headers(reader: Reader) -> list[tuple[str, str]]:
    headers = []
    while True:
        line = reader.line()
        if not line:
            return headers
        name, sep, value = line.partition(b":")
        if not sep:
            raise _Garbage(f"header line without colon: {line[:80]!r}")
        headers.append((name.decode("latin-1"), value.strip().decode("latin-1")))


def read_response(reader: Reader, head: bool) -> Response:
    """One response; ``head`` when it answers a HEAD (no body)."""
    try:
        line = reader.line()
    except _Closed:
        if reader.buf:  # bytes, then EOF before any line end: not HTTP/1.x
            raise _Garbage(f"not a status line: {reader.buf[:80]!r}") from None
        raise
    parts = line.split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/") or not parts[1].isdigit():
        raise _Garbage(f"not a status line: {line[:80]!r}")
    version = parts[0].decode("latin-1")
    status = int(parts[1])
    reason = parts[2].decode("latin-1") if len(parts) > 2 else ""
    headers = _headers(reader)
    response = Response(version, status, reason, headers, b"", "none")
    if head or status < 200 or status in (204, 304):
        return response
    try:
        _read_body(reader, response)
    except _Closed:
        # Cut short: the server gave up on a response it had started.
        response.framing = "truncated " + response.framing
    return response


def _read_body(reader: Reader, response: Response) -> None:
    te = response.header("transfer-encoding")
    length = response.header("content-length")
    if te is not None and te.lower().endswith("chunked"):
        response.framing = "chunked"
        while True:
            size_line = reader.line()
            size = int(size_line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                response.trailers = _headers(reader)
                break
            response.body += reader.exactly(size)
            if reader.line() != b"":
                raise _Garbage("chunk data not followed by CRLF")
    elif length is not None:
        response.framing = "length"
        response.body = reader.exactly(int(length))
    else:
        response.framing = "close"
        response.body = reader.rest()


def read_frame(reader: Reader) -> Frame:
    """One server frame (never masked)."""
    b0, b1 = reader.exactly(2)
    length = b1 & 0x7F
    if length == 126:
        length = int.from_bytes(reader.exactly(2), "big")
    elif length == 127:
        length = int.from_bytes(reader.exactly(8), "big")
    if b1 & 0x80:
        mask = reader.exactly(4)
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(reader.exactly(length)))
    else:
        payload = reader.exactly(length)
    return Frame(bool(b0 & 0x80), (b0 >> 4) & 7, b0 & 0x0F, payload)


def _send(sock: socket.socket, data: bytes) -> bool:
    try:
        sock.sendall(data)
        return True
    except OSError:
        return False


def run_step(
    port: int,
    data: bytes,
    *,
    head: bool = False,
    responses: int = 1,
    frames: tuple[bytes, ...] = (),
    probe: bool = True,
    timeout: float = 5.0,
    split: tuple[int, ...] = (),
) -> Outcome:
    """Sends ``data`` on a new connection to 127.0.0.1:port and reads up to
    ``responses`` final responses; after a 101 sends each blob of ``frames``
    (pausing for the server's frames between them) and reads frames until
    a close frame (``split``: offsets in ``data`` where the client pauses
    for :data:`PAUSE` before sending on); then tells whether the server closed the
    connection, kept it (it answers :data:`PROBE`) or neither."""
    outcome = Outcome([], "silent")
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sent = True
        start = 0
        for offset in (*split, len(data)):
            if start:
                time.sleep(PAUSE)
            sent = sent and _send(sock, data[start:offset])
            start = offset
        reader = Reader(sock, timeout)
        try:
            finals = 0
            while finals < responses:
                response = read_response(reader, head and finals == 0)
                outcome.responses.append(response)
                if response.status == 101:
                    _websocket(sock, reader, frames, outcome)
                    return outcome
                if response.status >= 200:
                    finals += 1
            if response.framing == "close" or response.framing.startswith("truncated"):
                outcome.connection = "closed"
                return outcome
            if not probe:
                outcome.connection = "kept"
                return outcome
            if not sent or not _send(sock, PROBE):
                outcome.connection = "closed"
                return outcome
            reader.deadline = time.monotonic() + timeout
            answer = read_response(reader, False)
            outcome.connection = "kept" if answer.status == 200 else f"kept-{answer.status}"
        except _Closed:
            outcome.connection = "closed"
        except _Silent:
            outcome.connection = "silent"
        except (_Garbage, ValueError) as exc:
            outcome.connection = "garbage"
            outcome.error = str(exc)
    return outcome


def _websocket(sock: socket.socket, reader: Reader, frames: tuple[bytes, ...], outcome: Outcome) -> None:
    """After a 101: send the client's frames, blob by blob; after each but
    the last, read what the server sends until it pauses for
    :data:`PAUSE`; after the last, read until its close frame, then
    whether it closes TCP without our close reply."""
    frames = frames or (b"",)  # nothing to send: read until the server's close
    try:
        for index, blob in enumerate(frames):
            if blob:
                _send(sock, blob)
            last = index == len(frames) - 1
            reader.deadline = time.monotonic() + (5.0 if last else PAUSE)
            while True:
                try:
                    frame = read_frame(reader)
                except _Silent:
                    if last:
                        raise
                    break
                outcome.frames.append(frame)
                reader.deadline = time.monotonic() + (5.0 if last else PAUSE)
                if frame.opcode == 8:
                    break
            if outcome.frames and outcome.frames[-1].opcode == 8:
                break
        reader.deadline = time.monotonic() + 2.0
        reader.rest()
        outcome.connection = "closed" if reader.eof else "silent"
    except _Closed:
        outcome.connection = "closed"
    except _Silent:
        outcome.connection = "silent"
