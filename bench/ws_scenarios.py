"""The load of bench/ws_echo.py: echo scenarios over many WebSocket connections, one thread, one selector.

Every scenario opens its connections first (handshakes checked), then drives them all from one
``selectors`` loop, bounded in time, and verifies every echo byte for byte: a wrong, missing, reordered
or extra message raises WsProtocolError and fails the run.

- echo (scenarios pipelined, bulk, roundtrip): each connection keeps ``window`` messages in flight; when
  replies come back, as many new messages go out in one write. Window 1 is the round-trip scenario.
- idle: N connections held open, pinged by the client at intervals (each pong checked), the server's
  own pings answered, and the server's resident memory read from /proc before and after.
"""

from __future__ import annotations

import base64
import collections
import errno
import os
import random
import selectors
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ws_client import (
    MAX_HEAD_BYTES,
    OP_BINARY,
    OP_CLOSE,
    OP_PING,
    OP_PONG,
    OP_TEXT,
    FrameParser,
    Message,
    WsProtocolError,
    check_handshake_response,
    close_payload,
    connect,
    encode_frame,
    handshake_request,
    server_frame,
)

RECV_BYTES = 256 * 1024


@dataclass(frozen=True)
class EchoSpec:
    """One echo scenario: what each connection sends and how many messages it keeps in flight."""

    name: str
    payload_size: int
    opcode: int
    window: int
    connections: int = 50
    duration: float = 10.0
    #: Distinct payloads cycled through (each echo is compared with the one sent).
    pool_size: int = 1024


class PayloadPool:
    """Precomputed messages, their masked client frames and the server frames expected back.

    Both streams are stored twice over, end to end, so that any run of up to ``count`` consecutive
    frames starting anywhere in the cycle is one slice: a write is one slice of ``frame_stream`` and
    the check of a read is one comparison with a slice of ``reply_stream``. The masks are random but
    reused each cycle (RFC 6455 wants a fresh unpredictable mask per frame against proxy cache
    poisoning; on loopback, to a benchmark server, reuse changes nothing but the client's cost).
    """

    def __init__(self, size: int, opcode: int, count: int) -> None:
        self.size = size
        self.opcode = opcode
        self.count = count
        if opcode == OP_TEXT:
            # Printable ASCII, distinct per message: its number, then letters.
            letters = b"abcdefghijklmnopqrstuvwxyz" * (size // 26 + 1)
            self.payloads = [(b"%08x" % i + letters)[:size] for i in range(count)]
        else:
            self.payloads = [os.urandom(size) for _ in range(count)]
        frames = [encode_frame(opcode, p) for p in self.payloads]
        replies = [server_frame(opcode, p) for p in self.payloads]
        self.frame_len = len(frames[0])
        self.reply_len = len(replies[0])
        self.frame_stream = b"".join(frames) * 2
        self.reply_stream = b"".join(replies) * 2


class EchoConn:
    """One connection of an echo scenario: what was sent, what is expected next, what is still to write."""

    __slots__ = (
        "sock",
        "pool",
        "next_send",
        "next_expect",
        "sent_at",
        "out",
        "rbuf",
        "parser",
        "events",
        "echoed",
        "messages",
        "frames",
        "server_pings",
    )

    def __init__(self, sock: socket.socket, pool: PayloadPool, start: int) -> None:
        self.sock = sock
        self.pool = pool
        self.next_send = start
        self.next_expect = start
        self.sent_at: collections.deque[float] = collections.deque()
        self.out = bytearray()
        self.rbuf = bytearray()
        #: None while the replies are exactly the frames expected (fast path); the general parser after.
        self.parser: FrameParser | None = None
        self.events = selectors.EVENT_READ
        #: Messages echoed within the measured time (to see how evenly the server serves connections).
        self.echoed = 0
        #: Messages checked and the data frames they came in (more frames than messages: the server
        #: fragments), and the pings the server sent (each answered): over the whole run, drain included.
        self.messages = 0
        self.frames = 0
        self.server_pings = 0

    def queue(self, k: int, now: float) -> None:
        """Appends the next ``k`` messages (one slice of frames) to the output."""
        pool = self.pool
        s = self.next_send
        self.out += pool.frame_stream[s * pool.frame_len : (s + k) * pool.frame_len]
        self.next_send = (s + k) % pool.count
        self.sent_at.extend([now] * k)

    def flush(self, sel: selectors.BaseSelector) -> None:
        """Writes what the socket takes now; watches for writability while something is left."""
        if self.out:
            try:
                sent = self.sock.send(self.out)
            except (BlockingIOError, InterruptedError):
                sent = 0
            del self.out[:sent]
        want = selectors.EVENT_READ | (selectors.EVENT_WRITE if self.out else 0)
        if want != self.events:
            sel.modify(self.sock, want, self)
            self.events = want

    def on_data(self, data: bytes) -> int:
        """Checks received bytes against the expected echoes; returns how many messages they completed.

        Fast path: the bytes are compared with the exact frames an RFC 6455 server sends (unmasked, one
        frame per message, minimal length). Anything else (a ping, a fragmented message) switches this
        connection to the general frame parser for good, which compares message by message.
        """
        pool = self.pool
        if self.parser is None:
            rbuf = self.rbuf
            rbuf += data
            j = self.next_expect * pool.reply_len
            m = min(len(rbuf), len(self.sent_at) * pool.reply_len)
            if m == len(rbuf) and rbuf == pool.reply_stream[j : j + m]:
                n = m // pool.reply_len
                if n:
                    del rbuf[: n * pool.reply_len]
                    self.next_expect = (self.next_expect + n) % pool.count
                    self.messages += n
                    self.frames += n
                return n
            self.parser = FrameParser(max_message=pool.size)
            data = bytes(rbuf)
            rbuf.clear()
        n = 0
        frames_before = self.parser.data_frames
        messages = self.parser.feed(data)
        self.frames += self.parser.data_frames - frames_before
        for message in messages:
            if message.opcode in (OP_TEXT, OP_BINARY):
                if not self.sent_at or n >= len(self.sent_at):
                    raise WsProtocolError(f"unexpected message ({len(message.payload)} bytes): none in flight")
                expected = pool.payloads[self.next_expect]
                if message.opcode != pool.opcode or message.payload != expected:
                    raise WsProtocolError(
                        f"echo mismatch: got opcode {message.opcode} {message.payload[:40]!r} "
                        f"({len(message.payload)} bytes), expected opcode {pool.opcode} {expected[:40]!r} "
                        f"({len(expected)} bytes)"
                    )
                self.next_expect = (self.next_expect + 1) % pool.count
                n += 1
            else:
                self.on_control(message)
        self.messages += n
        return n

    def on_control(self, message: Message) -> None:
        """Answers a ping; a close from the server during the load fails the run."""
        if message.opcode == OP_PING:
            self.out += encode_frame(OP_PONG, message.payload)
            self.server_pings += 1
        elif message.opcode == OP_CLOSE:
            raise WsProtocolError(
                f"the server closed the connection: {message.payload[:2].hex()} {message.payload[2:]!r}"
            )


def open_connections(host: str, port: int, path: str, count: int, timeout: float) -> list[tuple[socket.socket, bytes]]:
    """``count`` handshaken connections, opened one after the other within ``timeout`` seconds in all."""
    deadline = time.monotonic() + timeout
    opened: list[tuple[socket.socket, bytes]] = []
    try:
        for i in range(count):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise WsProtocolError(f"only {i} of {count} connections opened within {timeout} s")
            opened.append(connect(host, port, path, timeout=min(remaining, 10.0)))
    except BaseException:
        for sock, _ in opened:
            sock.close()
        raise
    return opened


def percentile(sorted_values: list[float], q: float) -> float | None:
    """The nearest-rank ``q`` quantile (0..1) of an already sorted list; None when empty."""
    if not sorted_values:
        return None
    return sorted_values[min(len(sorted_values) - 1, max(0, round(q * len(sorted_values)) - 1))]


def close_all(sel: selectors.BaseSelector, socks: list[socket.socket], timeout: float = 5.0) -> int:
    """Sends a 1000 close on every socket, waits (bounded) for the server's close or EOF; returns how many came."""
    pending: dict[socket.socket, FrameParser] = {}
    for sock in socks:
        try:
            sock.setblocking(True)
            sock.settimeout(1.0)
            sock.sendall(encode_frame(OP_CLOSE, close_payload(1000, "done")))
            sock.setblocking(False)
            pending[sock] = FrameParser()
            try:
                sel.modify(sock, selectors.EVENT_READ, None)
            except KeyError:
                sel.register(sock, selectors.EVENT_READ, None)
        except OSError:
            sock.close()
    closed = 0
    deadline = time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=0.2):
            sock = key.fileobj
            assert isinstance(sock, socket.socket)
            try:
                data = sock.recv(RECV_BYTES)
                done = not data or any(m.opcode == OP_CLOSE for m in pending[sock].feed(data))
            except (OSError, WsProtocolError):
                done = True
            if done:
                closed += 1
                sel.unregister(sock)
                sock.close()
                del pending[sock]
    for sock in pending:
        sel.unregister(sock)
        sock.close()
    return closed


def _common_figures(
    latencies: list[float], elapsed: float, client_cpu: float, server_seconds: float | None, per_connection: list[int]
) -> dict:
    """The figures every timed scenario reports: latency percentiles (``latencies`` sorted), the CPU
    shares of the client and the server over ``elapsed`` seconds, and how evenly the connections were
    served (``per_connection`` sorted)."""
    return {
        "p50_ms": _ms(percentile(latencies, 0.50)),
        "p99_ms": _ms(percentile(latencies, 0.99)),
        "max_ms": _ms(latencies[-1] if latencies else None),
        "client_cpu_pct": round(100 * client_cpu / elapsed, 1),
        "server_cpu_pct": None if server_seconds is None else round(100 * server_seconds / elapsed, 1),
        "per_connection_min": per_connection[0],
        "per_connection_median": per_connection[(len(per_connection) - 1) // 2],
        "per_connection_max": per_connection[-1],
    }


def run_echo(
    host: str,
    port: int,
    path: str,
    spec: EchoSpec,
    server_cpu: Callable[[], float] | None = None,
    drain_timeout: float = 10.0,
) -> dict:
    """Runs one echo scenario for ``spec.duration`` seconds; returns rates and latency percentiles.

    ``server_cpu`` (the server's CPU seconds so far), read when the measured time starts and ends, gives
    the server's CPU per message: a figure that other processes taking turns on the server's CPU disturb
    much less than the rate (they slow the server down, they do not make a message cost more).
    """
    pool = PayloadPool(spec.payload_size, spec.opcode, spec.pool_size)
    if spec.window > pool.count:
        raise ValueError(f"window {spec.window} larger than the payload pool {pool.count}")
    opened = open_connections(host, port, path, spec.connections, timeout=30.0)
    sel = selectors.DefaultSelector()
    conns: list[EchoConn] = []
    try:
        for sock, leftover in opened:
            sock.setblocking(False)
            conn = EchoConn(sock, pool, random.randrange(pool.count))
            conns.append(conn)
            sel.register(sock, selectors.EVENT_READ, conn)
            if leftover:
                conn.on_data(leftover)
        latencies: list[float] = []
        record = latencies.append
        server_cpu0 = server_cpu() if server_cpu else 0.0
        cpu0 = time.process_time()
        start = time.perf_counter()
        end = start + spec.duration
        for conn in conns:
            conn.queue(spec.window, start)
            conn.flush(sel)
        echoed = 0
        now = start
        while now < end:
            for key, mask in sel.select(timeout=min(0.5, end - now)):
                conn = key.data
                if mask & selectors.EVENT_READ:
                    data = conn.sock.recv(RECV_BYTES)
                    if not data:
                        raise WsProtocolError("the server closed a connection during the load")
                    t = time.perf_counter()
                    n = conn.on_data(data)
                    if n and t < end:
                        echoed += n
                        conn.echoed += n
                        popleft = conn.sent_at.popleft
                        for _ in range(n):
                            record(t - popleft())
                        conn.queue(n, t)
                    else:
                        for _ in range(n):
                            conn.sent_at.popleft()
                conn.flush(sel)
            now = time.perf_counter()
        elapsed = now - start
        client_cpu = time.process_time() - cpu0
        server_seconds = server_cpu() - server_cpu0 if server_cpu else None
        per_connection = sorted(c.echoed for c in conns)
        # Drain: everything still in flight must come back (and match) too.
        drain_end = time.perf_counter() + drain_timeout
        while any(c.sent_at for c in conns):
            if time.perf_counter() >= drain_end:
                missing = sum(len(c.sent_at) for c in conns)
                raise WsProtocolError(f"{missing} messages not echoed within {drain_timeout} s after the load")
            for key, mask in sel.select(timeout=0.2):
                conn = key.data
                if mask & selectors.EVENT_READ:
                    data = conn.sock.recv(RECV_BYTES)
                    if not data:
                        raise WsProtocolError("the server closed a connection while draining")
                    for _ in range(conn.on_data(data)):
                        conn.sent_at.popleft()
                conn.flush(sel)
        checked = sum(c.messages for c in conns)
        frames = sum(c.frames for c in conns)
        server_pings = sum(c.server_pings for c in conns)
        closed = close_all(sel, [c.sock for c in conns])
        conns = []
    finally:
        for conn in conns:
            conn.sock.close()
        sel.close()
    latencies.sort()
    return {
        "scenario": spec.name,
        "connections": spec.connections,
        "window": spec.window,
        "payload_bytes": spec.payload_size,
        "opcode": spec.opcode,
        "seconds": round(elapsed, 3),
        "messages": echoed,
        "msgs_per_s": echoed / elapsed,
        "mb_per_s": echoed * spec.payload_size / elapsed / 1e6,
        **_common_figures(latencies, elapsed, client_cpu, server_seconds, per_connection),
        "server_cpu_us_per_msg": None if server_seconds is None or not echoed else 1e6 * server_seconds / echoed,
        "closed_cleanly": closed,
        "reply_frames_per_message": round(frames / checked, 3) if checked else None,
        "server_pings": server_pings,
    }


@dataclass(frozen=True)
class OpensSpec:
    """The opens scenario: ``connections`` slots, each opening a WebSocket, echoing one message and closing it,
    over and over for ``duration`` seconds."""

    name: str = "opens"
    connections: int = 50
    duration: float = 10.0
    payload_size: int = 16
    #: The longest one open+echo+close may take: a slot stuck longer fails the run.
    cycle_timeout: float = 10.0


class OpenExchange:
    """The client's side of one short WebSocket life, without the socket: handshake, one echo, close handshake.

    ``request`` is the handshake to send first; ``feed`` takes what the server sent and returns the bytes to
    send next (the text message once the 101 checks out, the close frame once its echo is right, pongs for
    the server's pings); ``eof`` is called when the server ends the TCP connection, which it must do only
    after its close frame. Anything else (a status other than 101, a wrong Sec-WebSocket-Accept, an
    extension, a wrong echo, a close too early, a close code other than 1000) raises WsProtocolError.
    The close is sent with code 1000 and no reason; the server's close may echo 1000 or be empty.
    """

    HANDSHAKE, ECHO, CLOSING, CLOSED = "handshake", "echo", "closing", "closed"

    __slots__ = ("key", "payload", "request", "state", "_head", "_parser", "close_body", "server_pings")

    def __init__(self, host: str, port: int, path: str, payload: bytes) -> None:
        self.key = base64.b64encode(os.urandom(16))
        self.payload = payload
        self.request = handshake_request(host, port, path, self.key)
        self.state = self.HANDSHAKE
        self._head = bytearray()
        self._parser = FrameParser(max_message=max(125, len(payload)))
        #: The body of the server's close frame, once it came.
        self.close_body: bytes | None = None
        self.server_pings = 0

    def feed(self, data: bytes) -> bytes:
        """Takes bytes from the server; returns what to send in answer (possibly nothing)."""
        out = bytearray()
        if self.state == self.HANDSHAKE:
            self._head += data
            end = self._head.find(b"\r\n\r\n")
            if end < 0:
                if len(self._head) > MAX_HEAD_BYTES:
                    raise WsProtocolError("handshake response head over 16 KiB")
                return b""
            check_handshake_response(bytes(self._head[:end]), self.key)
            data = bytes(self._head[end + 4 :])
            self._head.clear()
            self.state = self.ECHO
            out += encode_frame(OP_TEXT, self.payload)
        for message in self._parser.feed(data) if data else ():
            if message.opcode == OP_PING:
                out += encode_frame(OP_PONG, message.payload)
                self.server_pings += 1
            elif message.opcode == OP_PONG:
                continue  # an unsolicited pong is allowed (RFC 6455 5.5.3)
            elif self.state == self.ECHO:
                if message.opcode == OP_CLOSE:
                    raise WsProtocolError(f"the server closed before the echo: {message.payload[:40]!r}")
                if message.opcode != OP_TEXT or message.payload != self.payload:
                    raise WsProtocolError(
                        f"echo mismatch after the handshake: got opcode {message.opcode} {message.payload[:40]!r}, "
                        f"expected text {self.payload!r}"
                    )
                self.state = self.CLOSING
                out += encode_frame(OP_CLOSE, close_payload(1000))
            elif self.state == self.CLOSING and message.opcode == OP_CLOSE:
                body = message.payload
                if body and (len(body) < 2 or body[:2] != close_payload(1000)):
                    raise WsProtocolError(f"the server's close frame {body[:40]!r} does not echo code 1000")
                self.close_body = body
                self.state = self.CLOSED
            else:
                raise WsProtocolError(
                    f"unexpected frame 0x{message.opcode:x} {message.payload[:40]!r} in state {self.state}"
                )
        return bytes(out)

    def eof(self) -> None:
        """The server closed the TCP connection: fine after its close frame, a failure before."""
        if self.state != self.CLOSED:
            raise WsProtocolError(f"the server closed the connection in state {self.state}")


class OpenSlot:
    """One of the opens scenario's connections: a socket driven through an OpenExchange, then a new one."""

    __slots__ = (
        "host",
        "port",
        "path",
        "index",
        "size",
        "cycles",
        "sock",
        "exchange",
        "started",
        "out",
        "events",
        "connected",
    )

    def __init__(self, host: str, port: int, path: str, index: int, size: int) -> None:
        self.host = host
        self.port = port
        self.path = path
        self.index = index
        self.size = size
        #: Cycles completed within the measured time.
        self.cycles = 0
        self.sock: socket.socket | None = None
        self.exchange: OpenExchange | None = None
        self.started = 0.0
        self.out = b""
        self.events = 0
        self.connected = False

    def start(self, sel: selectors.BaseSelector, now: float, serial: int) -> None:
        """Opens a new non-blocking connection (its handshake goes out once it is connected)."""
        letters = b"abcdefghijklmnopqrstuvwxyz" * (self.size // 26 + 1)
        payload = (b"%04x%08x" % (self.index & 0xFFFF, serial & 0xFFFFFFFF) + letters)[: self.size]
        self.exchange = OpenExchange(self.host, self.port, self.path, payload)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        err = sock.connect_ex((self.host, self.port))
        if err not in (0, errno.EINPROGRESS):
            sock.close()
            raise WsProtocolError(f"connect to {self.host}:{self.port}: {os.strerror(err)}")
        self.sock = sock
        self.connected = False
        self.started = now
        self.out = self.exchange.request
        self.events = selectors.EVENT_WRITE
        sel.register(sock, self.events, self)

    def on_event(self, sel: selectors.BaseSelector, mask: int) -> bool:
        """Reads or writes what is ready; True when the cycle is over (close frames exchanged, EOF seen)."""
        sock, exchange = self.sock, self.exchange
        assert sock is not None and exchange is not None
        if not self.connected:
            err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err:
                raise WsProtocolError(f"connect to {self.host}:{self.port}: {os.strerror(err)}")
            self.connected = True
        if mask & selectors.EVENT_READ:
            try:
                data = sock.recv(RECV_BYTES)
            except (BlockingIOError, InterruptedError):
                data = None
            except OSError as exc:
                raise WsProtocolError(f"{exc} in state {exchange.state}") from exc
            if data == b"":
                exchange.eof()
                return True
            if data:
                self.out += exchange.feed(data)
        self._flush(sel)
        return False

    def _flush(self, sel: selectors.BaseSelector) -> None:
        """Writes what the socket takes; watches for reading, and for writing while something is left."""
        assert self.sock is not None
        if self.out:
            try:
                sent = self.sock.send(self.out)
            except (BlockingIOError, InterruptedError):
                sent = 0
            except OSError as exc:
                raise WsProtocolError(f"send: {exc}") from exc
            self.out = self.out[sent:]
        want = selectors.EVENT_READ | (selectors.EVENT_WRITE if self.out else 0)
        if want != self.events:
            sel.modify(self.sock, want, self)
            self.events = want

    def finish(self, sel: selectors.BaseSelector) -> None:
        """Forgets the finished (or abandoned) connection."""
        if self.sock is not None:
            sel.unregister(self.sock)
            self.sock.close()
            self.sock = None


def run_opens(
    host: str,
    port: int,
    path: str,
    spec: OpensSpec,
    server_cpu: Callable[[], float] | None = None,
    drain_timeout: float = 10.0,
) -> dict:
    """Runs the opens scenario for ``spec.duration`` seconds; returns opens/s and the time percentiles.

    Each slot connects, does the opening handshake (101 and Sec-WebSocket-Accept checked), sends one text
    message, checks its echo, sends a close frame, waits for the server's close frame and for the server to
    end the connection (so the server, not the client, keeps the TIME_WAIT), closes, and starts again.
    The time of a cycle runs from the connect to that end. Cycles still running when the time is up are
    finished and checked, not counted.
    """
    sel = selectors.DefaultSelector()
    slots = [OpenSlot(host, port, path, i, spec.payload_size) for i in range(spec.connections)]
    latencies: list[float] = []
    record = latencies.append
    serial = 0
    counts: collections.Counter[str] = collections.Counter()
    try:
        server_cpu0 = server_cpu() if server_cpu else 0.0
        cpu0 = time.process_time()
        start = time.perf_counter()
        end = start + spec.duration
        for slot in slots:
            serial += 1
            slot.start(sel, start, serial)
        now = start
        elapsed = client_cpu = 0.0
        server_seconds: float | None = None
        next_check = start + 0.5
        while True:
            if now >= end and not elapsed:
                elapsed = now - start
                client_cpu = time.process_time() - cpu0
                server_seconds = server_cpu() - server_cpu0 if server_cpu else None
            if elapsed and not any(slot.sock is not None for slot in slots):
                break
            for key, mask in sel.select(timeout=0.2):
                slot = key.data
                exchange = slot.exchange
                if slot.on_event(sel, mask):
                    t = time.perf_counter()
                    slot.finish(sel)
                    counts["close_1000" if exchange.close_body else "close_empty"] += 1
                    counts["server_pings"] += exchange.server_pings
                    if t < end:
                        record(t - slot.started)
                        slot.cycles += 1
                        serial += 1
                        slot.start(sel, t, serial)
            now = time.perf_counter()
            if now >= next_check:
                next_check = now + 0.5
                limit = spec.cycle_timeout if now < end else max(spec.cycle_timeout, drain_timeout)
                for slot in slots:
                    if slot.sock is not None and now - slot.started > limit:
                        state = slot.exchange.state if slot.exchange else "?"
                        raise WsProtocolError(f"an open+echo+close took over {limit:g} s (stuck in state {state})")
    finally:
        for slot in slots:
            slot.finish(sel)
        sel.close()
    latencies.sort()
    opened = len(latencies)
    per_connection = sorted(slot.cycles for slot in slots)
    return {
        "scenario": spec.name,
        "connections": spec.connections,
        "payload_bytes": spec.payload_size,
        "seconds": round(elapsed, 3),
        "opens": opened,
        "opens_per_s": opened / elapsed,
        **_common_figures(latencies, elapsed, client_cpu, server_seconds, per_connection),
        "server_cpu_us_per_open": None if server_seconds is None or not opened else 1e6 * server_seconds / opened,
        "server_close_1000": counts["close_1000"],
        "server_close_empty": counts["close_empty"],
        "server_pings": counts["server_pings"],
    }


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 3)


def rss_kib(pid: int) -> int:
    """Resident set size of a process, in KiB (VmRSS of /proc/PID/status)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise WsProtocolError(f"no VmRSS for PID {pid}")


@dataclass
class IdleConn:
    """One held connection: its parser, the ping payload awaiting its pong, what is left to write."""

    sock: socket.socket
    parser: FrameParser = field(default_factory=FrameParser)
    awaiting: bytes | None = None
    out: bytearray = field(default_factory=bytearray)
    alive: bool = True


#: Opens between two passes over the idle connections already open.
_SERVE_WHILE_OPENING = 100


def run_idle(host: str, port: int, path: str, count: int, hold: float, ping_every: float, server_pid: int) -> dict:
    """Holds ``count`` connections for ``hold`` seconds, pinging each every ``ping_every`` seconds."""
    rss_before = rss_kib(server_pid)
    sel = selectors.DefaultSelector()
    conns: list[IdleConn] = []
    counts = collections.Counter()
    try:
        # Opened one after the other; every _SERVE_WHILE_OPENING opens the
        # connections already open are served (the server's pings
        # answered), as a real client would: an opening that takes longer
        # than the server's ping interval plus its pong timeout would
        # otherwise have the first connections dropped.
        t0 = time.perf_counter()
        deadline = time.monotonic() + max(60.0, count / 50)
        for i in range(count):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise WsProtocolError(f"only {i} of {count} connections opened in time")
            sock, _ = connect(host, port, path, timeout=min(remaining, 10.0))
            conn = IdleConn(sock)
            conns.append(conn)
            sock.setblocking(False)
            sel.register(sock, selectors.EVENT_READ, conn)
            if i % _SERVE_WHILE_OPENING == _SERVE_WHILE_OPENING - 1:
                for key, _ in sel.select(timeout=0):
                    _idle_read(key.data, sel, counts)
        open_seconds = time.perf_counter() - t0
        rss_open = rss_kib(server_pid)
        end = time.perf_counter() + hold
        next_ping = time.perf_counter() + min(ping_every, hold / 2)
        round_no = 0
        while True:
            now = time.perf_counter()
            if now >= next_ping and now < end:
                round_no += 1
                for i, conn in enumerate(conns):
                    if conn.alive:
                        if conn.awaiting is not None:
                            counts["pongs_missing"] += 1
                        conn.awaiting = b"bench-%d-%d" % (round_no, i)
                        conn.out += encode_frame(OP_PING, conn.awaiting)
                        _idle_flush(conn)
                        counts["pings_sent"] += 1
                next_ping = now + ping_every
            if now >= end and not any(c.alive and c.awaiting is not None for c in conns):
                break
            if now >= end + 10.0:
                break
            for key, _ in sel.select(timeout=0.2):
                _idle_read(key.data, sel, counts)
        counts["pongs_missing"] += sum(1 for c in conns if c.alive and c.awaiting is not None)
        rss_end = rss_kib(server_pid)
        alive = [c.sock for c in conns if c.alive]
        closed = close_all(sel, alive)
        conns = []
    finally:
        for conn in conns:
            conn.sock.close()
        sel.close()
    return {
        "scenario": "idle",
        "connections": count,
        "hold_s": hold,
        "ping_every_s": ping_every,
        "open_seconds": round(open_seconds, 2),
        "opens_per_s": count / open_seconds if open_seconds else None,
        "rss_before_kib": rss_before,
        "rss_open_kib": rss_open,
        "rss_end_kib": rss_end,
        "rss_per_connection_kib": (rss_end - rss_before) / count,
        "pings_sent": counts["pings_sent"],
        "pongs_ok": counts["pongs_ok"],
        "pongs_missing": counts["pongs_missing"],
        "server_pings_answered": counts["server_pings"],
        "dropped": counts["dropped"],
        "closed_cleanly": closed,
    }


def _idle_flush(conn: IdleConn) -> None:
    """Writes an idle connection's few pending bytes (a ping or a pong), blocking briefly if needed."""
    if conn.out and conn.alive:
        try:
            conn.sock.setblocking(True)
            conn.sock.settimeout(5.0)
            conn.sock.sendall(conn.out)
            conn.sock.setblocking(False)
        except OSError:
            conn.alive = False
        conn.out.clear()


def _idle_read(conn: IdleConn, sel: selectors.BaseSelector, counts: collections.Counter) -> None:
    """Handles what an idle connection received: pongs checked, server pings answered, drops counted."""
    try:
        data = conn.sock.recv(RECV_BYTES)
    except (BlockingIOError, InterruptedError):
        return
    except OSError:
        data = b""
    messages = conn.parser.feed(data) if data else []
    for message in messages:
        if message.opcode == OP_PONG:
            if conn.awaiting is None or message.payload != conn.awaiting:
                raise WsProtocolError(f"pong {message.payload!r}, expected {conn.awaiting!r}")
            conn.awaiting = None
            counts["pongs_ok"] += 1
        elif message.opcode == OP_PING:
            conn.out += encode_frame(OP_PONG, message.payload)
            counts["server_pings"] += 1
        elif message.opcode == OP_CLOSE:
            data = b""
        else:
            raise WsProtocolError(f"unexpected message on an idle connection: {message.payload[:40]!r}")
    _idle_flush(conn)
    if not data:
        counts["dropped"] += 1
        conn.alive = False
        conn.awaiting = None
        sel.unregister(conn.sock)
        conn.sock.close()
