"""FrameWriter: the one output path of a WebSocket connection, and how its
close is bounded when a peer reads nothing."""

from __future__ import annotations

import gevent
import gevent.event

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

    def sendall(self, data: bytes) -> None:
        if self.blocking:
            self.release.wait()
            raise OSError("connection aborted")
        self.written += data


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
