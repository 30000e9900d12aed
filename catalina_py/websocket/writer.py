"""``FrameWriter``: the one output path of a WebSocket connection.

Every frame the server sends (messages from the basic and async remotes,
pings, pongs, the protocol's own pongs and close replies, our close)
goes through one :class:`FrameWriter` (``send_message``, ``send_control``,
``send_close``, ``flush``), whose ``_write`` is the connection's only
``sendall``, under one lock, so frames of messages sent from many
greenlets at once never interleave. The writer
owns the socket's sending side; the reader (the upgrade handler's
greenlet) never writes.
"""

from __future__ import annotations

import select
import time
from collections.abc import Callable
from typing import Any, Protocol

import gevent
import gevent.lock
from gevent.monkey import get_original

from ..events import BUS, FrameReceived, FrameSent, MessageReceived, MessageSent
from ..sockets import is_tls
from .core.frames import Frame, Opcode, peek_frames
from .core.protocol import WsClosedError, WsProtocol
from .endpoint import EndpointStats

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "FrameWriter",
    "SendSocket",
    "SendTimeoutError",
    "WriteFailed",
    "describe_frame",
    "emit_frame_received",
]

#: Payload bytes an event carries at most.
_EVENT_PAYLOAD = 256
#: Bytes of frames held while batching is allowed before they are written
#: (Tomcat's output buffer, ``org.apache.tomcat.websocket.DEFAULT_BUFFER_SIZE``).
DEFAULT_BATCH_SIZE = 8192
#: The system's poll (gevent's monkey-patching takes ``select.poll`` away).
_poll = get_original("select", "poll")
_monotonic = time.monotonic


class SendSocket(Protocol):
    """The sending side of a (gevent) socket."""

    def send(self, data: bytes, flags: int = 0, timeout: float | None = ..., /) -> int:
        """Send what fits; gevent's *timeout* 0 never waits (a full
        buffer raises BlockingIOError)."""

    def sendall(self, data: bytes | memoryview, /) -> None:
        """Send every byte (blocks this greenlet while the socket is full)."""


class WriteFailed(OSError):
    """The socket refused a write (or it was blocked past the send
    timeout); the connection is being aborted."""


class SendTimeoutError(WriteFailed, TimeoutError):
    """A send was not written within its timeout (Tomcat's
    ``SocketTimeoutException``): the peer reads nothing, the connection is
    being aborted (the session closes with 1006)."""


def describe_frame(opcode: int, fin: bool, length: int, payload: bytes) -> str:
    """One frame in words, for the event stream: ``text frame, 5 bytes``,
    ``close 1000 'bye'``."""
    try:
        name = Opcode(opcode).name.lower()
    except ValueError:
        name = f"opcode {opcode}"
    if opcode == Opcode.CLOSE and len(payload) >= 2:
        reason = payload[2:].decode("utf-8", "replace")
        return f"close {int.from_bytes(payload[:2], 'big')} {reason!r}"
    more = "" if fin else " (more to come)"
    return f"{name} frame, {length} bytes{more}"


def emit_frame_received(connection: int, frame: Frame, mask_key: bytes | None) -> None:
    """``FrameReceived`` for a frame the protocol decoded (called only while
    somebody listens)."""
    payload = frame.payload
    BUS.emit(
        FrameReceived(
            connection=connection,
            opcode=_opcode_name(frame.opcode),
            fin=frame.fin,
            rsv1=frame.rsv1,
            rsv2=frame.rsv2,
            rsv3=frame.rsv3,
            mask_key=mask_key,
            masked=mask_key is not None,
            length=len(payload),
            payload=payload[:_EVENT_PAYLOAD],
            description=describe_frame(frame.opcode, frame.fin, len(payload), payload),
        )
    )


def message_event(
    cls: type[MessageReceived] | type[MessageSent], connection: int, payload: str | bytes
) -> MessageReceived | MessageSent:
    """The event of a whole message (text as ``str``, binary as ``bytes``)."""
    if isinstance(payload, str):
        return cls(
            connection=connection,
            kind="text",
            length=len(payload),
            payload=payload[:_EVENT_PAYLOAD].encode("utf-8", "surrogatepass"),
        )
    return cls(connection=connection, kind="binary", length=len(payload), payload=bytes(payload[:_EVENT_PAYLOAD]))


def _opcode_name(opcode: int) -> str:
    try:
        return Opcode(opcode).name.lower()
    except ValueError:
        return str(opcode)


def _writable(sock: SendSocket) -> bool:
    """Whether a small frame goes into *sock*'s buffer at once (a poll
    that does not wait; POLLOUT means a third of the buffer is free). A
    socket without a descriptor (a test's) counts as writable."""
    fileno = getattr(sock, "fileno", None)
    if fileno is None:
        return True
    try:
        fd = fileno()
        poller = _poll()
        poller.register(fd, select.POLLOUT)
        return bool(poller.poll(0))
    except (OSError, ValueError):
        return True  # a closed socket: the write reports it


class ByteTotals(Protocol):
    """Where the bytes written are added up (the upgraded connection)."""

    bytes_out: int


class FrameWriter:
    """Frames and writes under one lock; a failed write calls *on_failure*
    (which aborts the connection) and raises :class:`WriteFailed`
    (:class:`SendTimeoutError` when it was a timeout).

    *timeout* (seconds, None: none) of the sends bounds the whole send: the
    wait for the lock (another greenlet's send to a peer that reads
    nothing) and the write; the connector's *send_timeout* bounds every
    write too, the smaller wins.

    **Batching** (:attr:`batching`, Jakarta's ``setBatchingAllowed``): data
    frames are held in a buffer and written together, in one ``sendall``,
    when :attr:`batch_size` bytes are held, on :meth:`flush_batch`, or
    before any control frame (a ping, a pong, a close: those are never
    held). Off by default: each message is written at once.
    """

    __slots__ = (
        "_sock",
        "_protocol",
        "_send_timeout",
        "_on_failure",
        "_lock",
        "_batch",
        "_timer",
        "_timer_limit",
        "_corked",
        "_raw_send",
        "_first_send",
        "_cork_pending",
        "batching",
        "batch_size",
        "connection_id",
        "traced",
        "stats",
        "totals",
    )

    def __init__(
        self,
        sock: SendSocket,
        protocol: WsProtocol,
        send_timeout: float | None,
        on_failure: Callable[[str], None],
        connection_id: int = 0,
        traced: bool = False,
        stats: EndpointStats | None = None,
        totals: ByteTotals | None = None,
    ) -> None:
        self._sock = sock
        # The raw (non-blocking) socket's send under gevent's, when there is
        # one: the first, never-waiting send of a write without gevent's
        # Python layer (None: a test double, whose send takes a timeout).
        # Never on a TLS socket: its raw socket carries ciphertext, and its
        # send ignores the timeout 0 (a full buffer would wait unbounded),
        # so every write there is the bounded sendall below.
        tls = is_tls(sock)
        raw = None if tls else getattr(sock, "_sock", None)
        self._raw_send: Callable[[bytes], int] | None = getattr(raw, "send", None) if raw is not None else None
        self._first_send = not tls
        self._protocol = protocol
        self._send_timeout = send_timeout
        self._on_failure = on_failure
        # A plain semaphore (gevent's, in C), not an RLock: no write path
        # takes the lock twice, and the RLock's Python layer was a tenth of
        # the cost of a small send.
        self._lock = gevent.lock.Semaphore(1)
        #: Frames held while batching (empty when batching is off).
        self._batch = bytearray()
        # The loop timer that bounds a write, kept for the next write with
        # the same bound (made on the first bounded write).
        self._timer: Any = None
        self._timer_limit = -1.0
        # Data frames are held while the reader dispatches the messages of
        # one read (cork/uncork), and a flush is due at its next switch.
        self._corked = False
        self._cork_pending = False
        #: Whether data frames are held until the batch fills or is flushed.
        self.batching = False
        #: Bytes held at most before the batch is written.
        self.batch_size = DEFAULT_BATCH_SIZE
        #: The connection's number in events, and in trace lines (0: off).
        self.connection_id = connection_id
        #: Whether the frames written are reported to the event stream.
        self.traced = traced
        #: The endpoint's counters (messages and bytes out), if any.
        self.stats = stats
        #: The connection's byte totals (``bytes_out``), if any.
        self.totals = totals

    def _acquire(self, timeout: float | None) -> float | None:
        """Take the lock within *timeout*; the time left of it (None: no
        bound). A send that cannot start in time aborts the connection (as
        Tomcat closes the session when its message-part semaphore is not
        acquired in time)."""
        if timeout is None:
            self._lock.acquire()
            return None
        if self._lock.acquire(blocking=False):
            return timeout  # the usual case: nobody else is sending
        deadline = _monotonic() + timeout
        if not self._lock.acquire(timeout=max(0.0, timeout)):
            reason = f"send not started within {timeout:g} s: another send is blocked (the peer reads nothing)"
            self._on_failure(reason)
            raise SendTimeoutError(f"WebSocket {reason}")
        return deadline - _monotonic()

    def send_message(self, text: bool, payload: str | bytes, timeout: float | None = None) -> None:
        """A whole message. Raises WsClosedError once our close is out."""
        # The usual case inline: nobody else is sending.
        left = timeout if self._lock.acquire(blocking=False) else self._acquire(timeout)
        try:
            protocol = self._protocol
            if text:
                assert isinstance(payload, str)
                data = protocol.send_text(payload)
            else:
                assert not isinstance(payload, str)
                data = protocol.send_binary(payload)
            self._write(data, left, self.batching or self._corked)
        finally:
            self._lock.release()
        stats = self.stats
        if stats is not None:
            stats.messages_out += 1
        if self.traced and BUS.active:
            BUS.emit(message_event(MessageSent, self.connection_id, payload))

    def send_part(self, text: bool, payload: str | bytes, last: bool, timeout: float | None = None) -> None:
        """One part of a message sent in parts: a frame with FIN only on
        the *last* part (the first part's frame carries the opcode, the
        others are continuations). Raises WsClosedError once our close is
        out, ValueError for a part of another kind than the open message's."""
        left = self._acquire(timeout)
        try:
            protocol = self._protocol
            if text:
                assert isinstance(payload, str)
                data = protocol.send_text(payload, last)
            else:
                assert not isinstance(payload, str)
                data = protocol.send_binary(payload, last)
            if data:  # compressed: a part zlib holds puts no frame out yet
                self._write(data, left, self.batching or self._corked)
        finally:
            self._lock.release()
        if last and self.stats is not None:
            self.stats.messages_out += 1  # a message counts once, at its last part
        if self.traced and BUS.active:
            event = message_event(MessageSent, self.connection_id, payload)
            event.kind += " part" if not last else " part (last)"
            BUS.emit(event)

    def send_control(self, opcode: Opcode, payload: bytes, timeout: float | None = None) -> None:
        """A ping or an unsolicited pong (after the frames held by
        batching, in the same write). Raises WsClosedError once our close
        is out."""
        left = self._acquire(timeout)
        try:
            protocol = self._protocol
            data = protocol.send_ping(payload) if opcode == Opcode.PING else protocol.send_pong(payload)
            self._write(data, left)
        finally:
            self._lock.release()

    def flush_batch(self, timeout: float | None = None) -> None:
        """Write the frames batching holds (nothing when none is held)."""
        if not self._batch:
            return
        left = self._acquire(timeout)
        try:
            if self._batch:
                self._write(b"", left)
        finally:
            self._lock.release()

    def cork(self) -> None:
        """Hold the data frames sent from now on, until :meth:`uncork`: the
        answers to the messages of one read go out in one write, not one
        write each (the reader corks around a read's messages; the blocking
        sends still return at once, their frames are in the batch).

        Corked frames never wait for anything slow: any other write (a
        ping, a close, a send from another greenlet) takes them along, and
        if the reader switches away before it uncorks (a handler that
        waits on I/O), a callback that the hub runs at that switch writes
        them.
        """
        self._corked = True
        if not self._cork_pending:
            self._cork_pending = True
            gevent.get_hub().loop.run_callback(self._reader_switched)

    def uncork(self) -> None:
        """Write what :meth:`cork` held (unless batching holds it); a failed
        write is not raised: the connection is being aborted and the reader
        sees it."""
        self._corked = False
        if self._batch and not self.batching:
            try:
                self.flush_batch()
            except WriteFailed:
                pass

    def _reader_switched(self) -> None:
        """Run by the hub at the first switch after :meth:`cork`: when the
        reader is still corked (it waits inside a handler), what it holds
        goes out now, from a greenlet of its own (the hub may not block)."""
        self._cork_pending = False
        if self._corked:
            self._corked = False
            if self._batch and not self.batching:
                gevent.spawn(self.uncork)

    def set_batching(self, allowed: bool, timeout: float | None = None) -> None:
        """Allow batching or not; turning it off writes what is held."""
        self.batching = bool(allowed)
        if not allowed:
            self.flush_batch(timeout)

    def try_send_control(self, opcode: Opcode, payload: bytes) -> bool:
        """:meth:`send_control` only if it cannot block: False, and nothing
        sent, while another send holds the writer or the socket's buffer is
        full (the keepalive scheduler then sends from a greenlet of its own).
        Raises WsClosedError once our close is out."""
        if not self._lock.acquire(blocking=False):
            return False
        try:
            if not _writable(self._sock):
                return False
            protocol = self._protocol
            data = protocol.send_ping(payload) if opcode == Opcode.PING else protocol.send_pong(payload)
            self._write(data)
            return True
        finally:
            self._lock.release()

    def send_close(self, code: int, reason: str, timeout: float | None = None) -> bool:
        """Our close frame (1000 on the wire for a code that may not be
        sent); False when a close was already sent or could not be written.
        A write failure is swallowed (the connection is being aborted
        anyway).

        *timeout* bounds the whole attempt, the wait for the lock included:
        a peer that does not read keeps another send blocked in
        ``sendall`` while holding the lock, and a graceful stop or a
        slow-consumer close must not wait for that send's own timeout.
        When it runs out the connection is aborted (the peer, which reads
        nothing, could not have read our close either).
        """
        if not self._lock.acquire(timeout=timeout):
            self._on_failure(f"close frame not written within {timeout} s: the peer reads nothing")
            return False
        try:
            protocol = self._protocol
            try:
                data = protocol.send_close(code, reason)
            except WsClosedError:
                return False
            except ValueError:
                # A code that may not be sent on the wire (1005, 1006, 1015,
                # reserved): the peer gets 1000.
                data = protocol.send_close(1000, reason)
            try:
                self._write(data, timeout)
            except OSError:
                return False
            return True
        finally:
            self._lock.release()

    def flush(self) -> None:
        """What the protocol queued itself (pongs, close replies, the close
        after a violation); a failure is swallowed (the reader sees it)."""
        data = self._protocol.data_to_send()
        if data:
            with self._lock:
                try:
                    self._write(data)
                except OSError:
                    pass

    def _write(self, data: bytes, timeout: float | None = None, hold: bool = False) -> None:
        """The only ``sendall`` of the connection (the lock is held), bounded
        by the send timeout or by *timeout* when that is shorter. With
        *hold* (batching) the frames are kept until the batch is full;
        whatever is held goes out before (with) any other write."""
        batch = self._batch
        if batch:
            batch += data
            if hold and len(batch) < self.batch_size:
                return
            data = bytes(batch)
            batch.clear()
        elif hold and len(data) < self.batch_size:
            batch += data
            return
        sock = self._sock
        limit = self._send_timeout
        if timeout is not None and (limit is None or timeout < limit):
            limit = timeout
        try:
            # First one send that never waits (gevent's timeout argument
            # 0): the usual case, a socket buffer with room, writes
            # everything here, without sendall's layers or arming the timer.
            # What did not fit goes out below, bounded.
            raw_send = self._raw_send
            sent = 0
            if self._first_send:
                try:
                    sent = raw_send(data) if raw_send is not None else sock.send(data, 0, 0.0)
                except BlockingIOError:
                    sent = 0
            if sent == len(data):
                pass
            elif limit is None:
                sock.sendall(memoryview(data)[sent:])
            else:
                # One loop timer per writer, re-armed for each write, instead
                # of a gevent.Timeout made and closed per write: about half a
                # microsecond of every bounded send (the usual case: the
                # blocking send timeout or the connector's is always set).
                timer = self._timer
                if timer is None or self._timer_limit != limit:
                    if timer is not None:
                        timer.close()
                    timer = self._timer = gevent.get_hub().loop.timer(max(limit, 0.0))
                    self._timer_limit = limit
                timer.start(gevent.getcurrent().throw, TimeoutError, update=True)
                try:
                    sock.sendall(memoryview(data)[sent:])
                finally:
                    timer.stop()
        except (TimeoutError, OSError) as exc:
            if isinstance(exc, TimeoutError):
                self._on_failure(f"send failed: not written within {limit:g} s (the peer reads nothing)")
                raise SendTimeoutError(f"WebSocket send not written within {limit:g} s") from exc
            self._on_failure(f"send failed: {exc}")
            raise WriteFailed(f"WebSocket send failed: {exc}") from exc
        if self.stats is not None:
            self.stats.bytes_out += len(data)
        if self.totals is not None:
            self.totals.bytes_out += len(data)
        if self.traced and BUS.active:
            self._emit_sent(data)

    def _emit_sent(self, data: bytes) -> None:
        for frame in peek_frames(data, _EVENT_PAYLOAD):
            BUS.emit(
                FrameSent(
                    connection=self.connection_id,
                    opcode=_opcode_name(frame.opcode),
                    fin=frame.fin,
                    rsv1=frame.rsv1,
                    masked=frame.masked,
                    length=frame.length,
                    payload=frame.payload,
                    description=describe_frame(frame.opcode, frame.fin, frame.length, frame.payload),
                )
            )
