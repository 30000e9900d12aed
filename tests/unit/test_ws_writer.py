"""FrameWriter: the one output path of a WebSocket connection, and how its
close is bounded when a peer reads nothing."""

from __future__ import annotations

import gevent
import gevent.event
from gevent import socket

from catalina_py.websocket.core.frames import FrameParser, Opcode
from catalina_py.websocket.core.protocol import WsProtocol
from catalina_py.websocket.writer import FrameWriter


class StuckSocket:
    """A socket whose sendall blocks until released (a peer that reads
    nothing), then keeps what was written."""

    def __init__(self) -> None:
        self.release = gevent.event.Event()
        self.blocking = True
        self.written = b""
        #: Each write that went through, as one bytes object.
        self.writes: list[bytes] = []

    def send(self, data: bytes, flags: int = 0, timeout: float | None = None) -> int:
        """gevent's send: with ``timeout=0.0`` it never waits (a full
        buffer raises BlockingIOError)."""
        if self.blocking:
            if timeout == 0.0:
                raise BlockingIOError("the peer reads nothing")
            self.release.wait()
            raise OSError("connection aborted")
        self.written += data
        self.writes.append(bytes(data))
        return len(data)

    def sendall(self, data: bytes | memoryview) -> None:
        if self.blocking:
            self.release.wait()
            raise OSError("connection aborted")
        self.written += bytes(data)
        self.writes.append(bytes(data))


def writer_on(sock: StuckSocket, send_timeout: float | None = 60.0) -> tuple[FrameWriter, list[str]]:
    aborted: list[str] = []

    def abort(reason: str) -> None:
        aborted.append(reason)
        sock.release.set()  # shutdown(): the blocked sendall fails

    return FrameWriter(sock, WsProtocol(), send_timeout, abort), aborted


def test_close_waits_for_a_blocked_send_no_longer_than_its_timeout() -> None:
    sock = StuckSocket()
    writer, aborted = writer_on(sock)
    sender = gevent.spawn(writer.send_message, True, "x" * 100)
    gevent.sleep(0)  # the send now holds the lock, blocked in sendall
    with gevent.Timeout(5):  # bounded: without the fix this waited for the 60 s send timeout
        assert writer.send_close(1001, "server shutting down", timeout=0.05) is False
    assert aborted and "reads nothing" in aborted[0]
    sender.join(5)
    assert sender.dead


def test_close_write_is_bounded_by_its_timeout() -> None:
    sock = StuckSocket()
    writer, aborted = writer_on(sock)
    with gevent.Timeout(5):
        assert writer.send_close(1001, "bye", timeout=0.05) is False  # sendall blocked past 0.05 s
    assert aborted and "send failed" in aborted[0]


def test_close_without_a_blocked_send_goes_out() -> None:
    sock = StuckSocket()
    sock.blocking = False
    writer, aborted = writer_on(sock)
    assert writer.send_close(1001, "bye", timeout=0.05) is True
    parser = FrameParser(require_mask=False)
    parser.feed(sock.written)
    frame = parser.next_frame()
    assert frame is not None and frame.opcode == Opcode.CLOSE and frame.payload == b"\x03\xe9bye"
    assert not aborted


def test_try_send_control_sends_nothing_while_another_send_holds_the_writer() -> None:
    sock = StuckSocket()
    writer, _ = writer_on(sock)
    sender = gevent.spawn(writer.send_message, True, "x")
    gevent.sleep(0)  # the send holds the lock, blocked in sendall
    assert writer.try_send_control(Opcode.PING, b"1") is False  # returned at once, nothing framed
    sock.release.set()
    sender.join(5)


def test_try_send_control_sends_nothing_to_a_socket_whose_buffer_is_full() -> None:
    left, right = socket.socketpair()
    try:
        left.setblocking(False)
        try:
            while True:  # fill the buffer: the peer reads nothing
                left.send(b"x" * 65536)
        except BlockingIOError:
            pass
        writer = FrameWriter(left, WsProtocol(), 60.0, lambda reason: None)
        assert writer.try_send_control(Opcode.PING, b"1") is False
    finally:
        left.close()
        right.close()


def test_try_send_control_writes_a_ping_when_it_can() -> None:
    left, right = socket.socketpair()
    try:
        writer = FrameWriter(left, WsProtocol(), 60.0, lambda reason: None)
        assert writer.try_send_control(Opcode.PING, b"1") is True
        right.settimeout(5)
        assert right.recv(16) == b"\x89\x011"
    finally:
        left.close()
        right.close()


def test_a_send_waiting_for_the_lock_is_bounded_by_its_timeout() -> None:
    """As Tomcat's blocking send that cannot get the message-part semaphore
    in time: SendTimeoutError, and the connection is aborted."""
    from catalina_py.websocket.writer import SendTimeoutError

    sock = StuckSocket()
    writer, aborted = writer_on(sock)
    sender = gevent.spawn(writer.send_message, True, "x" * 100)
    gevent.sleep(0)  # holds the lock, blocked in sendall
    with gevent.Timeout(5):
        try:
            writer.send_message(True, "second", timeout=0.05)
        except SendTimeoutError:
            pass
        else:
            raise AssertionError("the send did not time out")
    assert aborted and "not started within" in aborted[0]
    sender.join(5)


def test_batched_frames_go_out_with_the_next_control_frame_in_one_write() -> None:
    sock = StuckSocket()
    sock.blocking = False
    writes = sock.writes
    writer, _ = writer_on(sock)
    writer.set_batching(True)
    writer.send_message(True, "a")
    writer.send_part(False, b"b", False)
    writer.send_part(False, b"c", True)
    assert writes == []
    writer.send_control(Opcode.PING, b"")
    assert writes == [b"\x81\x01a\x02\x01b\x80\x01c\x89\x00"]
    writer.send_message(True, "d")
    assert len(writes) == 1
    # Turning batching off writes what is held, in one write.
    writer.set_batching(False)
    assert writes[1:] == [b"\x81\x01d"]


def test_the_write_timer_kept_between_writes_still_bounds_a_blocked_one() -> None:
    from catalina_py.websocket.writer import SendTimeoutError

    sock = StuckSocket()
    sock.blocking = False
    writer, aborted = writer_on(sock, send_timeout=0.05)
    writer.send_message(True, "one")
    writer.send_message(True, "two")  # the same timer, re-armed
    assert not aborted
    sock.blocking = True
    with gevent.Timeout(5):
        try:
            writer.send_message(True, "three")
        except SendTimeoutError:
            pass
        else:
            raise AssertionError("the blocked write did not time out")
    assert aborted and "not written within 0.05 s" in aborted[0]


def test_a_write_larger_than_the_socket_buffer_goes_out_whole_and_in_order() -> None:
    """The first send takes what fits without waiting; the rest follows
    through the bounded sendall, from where the first stopped."""
    left, right = socket.socketpair()
    try:
        payload = bytes(range(256)) * 8192  # 2 MiB: far more than a socket buffer
        writer = FrameWriter(left, WsProtocol(), 60.0, lambda reason: None)
        sender = gevent.spawn(writer.send_message, False, payload)
        received = bytearray()
        parser = FrameParser(require_mask=False)
        frame = None
        with gevent.Timeout(10):
            while frame is None:
                data = right.recv(65536)
                assert data
                received += data
                parser.feed(data)
                frame = parser.next_frame()
        sender.get(timeout=5)
        assert frame.opcode == Opcode.BINARY and frame.payload == payload
    finally:
        left.close()
        right.close()


def frames_of(data: bytes) -> list[tuple[int, bytes]]:
    parser = FrameParser(require_mask=False)
    parser.feed(data)
    out = []
    while (frame := parser.next_frame()) is not None:
        out.append((frame.opcode, frame.payload))
    return out


def test_corked_sends_go_out_in_one_write_at_uncork() -> None:
    sock = StuckSocket()
    sock.blocking = False
    writer, aborted = writer_on(sock)
    writer.cork()
    for i in range(5):
        writer.send_message(True, f"answer {i}")
    assert sock.writes == []  # held: the blocking sends returned, their frames are in the batch
    writer.uncork()
    assert len(sock.writes) == 1
    assert frames_of(sock.written) == [(Opcode.TEXT, f"answer {i}".encode()) for i in range(5)]
    writer.send_message(True, "after")  # uncorked: at once
    assert len(sock.writes) == 2 and not aborted


def test_a_control_frame_takes_the_corked_frames_along_in_order() -> None:
    sock = StuckSocket()
    sock.blocking = False
    writer, _ = writer_on(sock)
    writer.cork()
    writer.send_message(True, "first")
    writer.send_close(1000, "bye", timeout=1.0)
    assert frames_of(sock.written) == [(Opcode.TEXT, b"first"), (Opcode.CLOSE, b"\x03\xe8bye")]
    writer.uncork()
    assert len(sock.writes) == 1


def test_corked_frames_go_out_when_the_corking_greenlet_waits() -> None:
    """A handler that sends, then waits on something slow: its answer is not held
    until the wait ends (the hub writes it at the switch)."""
    sock = StuckSocket()
    sock.blocking = False
    writer, _ = writer_on(sock)
    seen_during_wait: list[bytes] = []

    def reader() -> None:
        writer.cork()
        writer.send_message(True, "early answer")
        gevent.sleep(0.05)  # the handler waits (a database, a remote call)
        seen_during_wait.append(sock.written)
        writer.uncork()

    with gevent.Timeout(5):
        gevent.spawn(reader).join()
    assert frames_of(seen_during_wait[0]) == [(Opcode.TEXT, b"early answer")]
