"""The receive streams (catalina_py/websocket/streams.py): a reader and an
input stream fed part by part from another greenlet through a bounded
queue."""

from __future__ import annotations

import gevent
import pytest

from catalina_py.websocket.streams import (
    IncompleteMessageError,
    MessageInputStream,
    MessageReader,
    PartQueue,
)


def feed(queue: PartQueue, parts: list, log: list | None = None) -> gevent.Greenlet:
    def run() -> None:
        for index, part in enumerate(parts):
            queue.put(part, index == len(parts) - 1)
            if log is not None:
                log.append(f"put {index}")

    return gevent.spawn(run)


def test_reader_lines_across_parts() -> None:
    queue = PartQueue()
    feeder = feed(queue, ["ab\ncd", "e\n", "", "f\ng", "h"])
    reader = MessageReader(queue)
    assert list(reader) == ["ab\n", "cde\n", "f\n", "gh"]
    assert reader.read() == ""
    feeder.join(1)


def test_reader_read_sizes() -> None:
    queue = PartQueue()
    feed(queue, ["héllo", " wörld", "!"])
    reader = MessageReader(queue)
    assert reader.read(3) == "hél"
    assert reader.readline(4) == "lo w"
    assert reader.read() == "örld!"


def test_input_stream_read_read1_readinto_readline() -> None:
    queue = PartQueue()
    feed(queue, [b"0123", b"45\n67", b"89"])
    stream = MessageInputStream(queue)
    assert stream.read1(10) == b"0123"
    assert stream.readline() == b"45\n"
    buffer = bytearray(3)
    assert stream.readinto(buffer) == 3 and bytes(buffer) == b"678"
    assert stream.read(10) == b"9"
    assert stream.read() == b""


def settle(condition) -> bool:
    """Let the other greenlets run until *condition* holds (bounded)."""
    for _ in range(100):
        if condition():
            return True
        gevent.sleep(0)
    return condition()


def test_the_queue_holds_at_most_two_parts() -> None:
    """The feeder waits while the reader is two parts behind."""
    queue = PartQueue()
    log: list[str] = []
    feeder = feed(queue, [b"a", b"b", b"c", b"d"], log)
    settle(lambda: len(log) >= 2)
    for _ in range(10):
        gevent.sleep(0)
    assert log == ["put 0", "put 1"]  # the third waits for a read
    stream = MessageInputStream(queue)
    assert stream.read1() == b"a"
    assert settle(lambda: len(log) == 3)
    assert log == ["put 0", "put 1", "put 2"]
    assert stream.read() == b"bcd"
    feeder.join(1)
    assert feeder.dead


def test_close_drops_the_rest_and_frees_the_feeder() -> None:
    queue = PartQueue()
    feeder = feed(queue, [b"x"] * 10)
    stream = MessageInputStream(queue)
    assert stream.read(1) == b"x"
    stream.close()
    feeder.join(1)
    assert feeder.dead and queue.abandoned


def test_failed_queue_raises_after_the_queued_parts() -> None:
    queue = PartQueue()
    queue.put("abc", False)
    queue.fail(IncompleteMessageError("gone"))
    reader = MessageReader(queue)
    assert reader.read(3) == "abc"
    with pytest.raises(IncompleteMessageError):
        reader.read()
