"""Receiving a message as a stream: a text reader and a binary input stream
fed by the message's parts as they arrive (Jakarta's ``Reader`` and
``InputStream`` message handlers and stream decoders).

The connection's reader greenlet puts each part into a :class:`PartQueue`
(bounded: it waits while the stream's reader is :data:`MAX_QUEUED_PARTS`
parts behind), and the handler reads in a greenlet of its own, so a
message of any size is read while holding a few parts of it. Unlike
Tomcat, which buffers the whole message before the handler sees the
stream (and refuses a larger one with 1009), the handler starts on the
first part.

A handler that stops reading before the end (it returns, or closes the
stream) leaves the rest of the message to be dropped; a session that ends
before the message does makes the next read raise
:class:`IncompleteMessageError`.
"""

from __future__ import annotations

import collections
import io
from typing import Any

import gevent.event

__all__ = ["IncompleteMessageError", "MessageInputStream", "MessageReader", "PartQueue", "MAX_QUEUED_PARTS"]

#: Parts waiting for a stream's reader before the connection's reader waits.
MAX_QUEUED_PARTS = 2


class IncompleteMessageError(OSError):
    """The message being read ended early: the session closed first."""


class PartQueue:
    """The hand-off of one message's parts from the connection's reader to a
    stream's reader (two greenlets): :meth:`put` waits while
    ``max_parts`` are waiting, :meth:`get` while none is."""

    __slots__ = ("_parts", "_max", "_ended", "_abandoned", "_error", "_data", "_space")

    def __init__(self, max_parts: int = MAX_QUEUED_PARTS) -> None:
        # Any: str parts for text, bytes for binary.
        self._parts: collections.deque[Any] = collections.deque()
        self._max = max(1, max_parts)
        self._ended = False
        self._abandoned = False
        self._error: BaseException | None = None
        # Any: gevent has no type stubs.
        self._data: Any = gevent.event.Event()
        self._space: Any = gevent.event.Event()

    @property
    def abandoned(self) -> bool:
        """True once the reading side stopped taking parts."""
        return self._abandoned

    # Any: a str or bytes part.
    def put(self, part: Any, last: bool) -> None:
        """Add the next part (connection side); waits while the reader is
        behind. Dropped once the reader stopped."""
        while len(self._parts) >= self._max and not self._abandoned:
            self._space.clear()
            self._space.wait()
        if self._abandoned:
            return
        if part:
            self._parts.append(part)
        if last:
            self._ended = True
        self._data.set()

    def get(self) -> Any:
        """The next part (reading side), or None at the message's end;
        waits while none has arrived. Raises the error of :meth:`fail`."""
        parts = self._parts
        while not parts:
            if self._ended:
                return None
            if self._error is not None:
                raise self._error
            self._data.clear()
            self._data.wait()
        part = parts.popleft()
        self._space.set()
        return part

    def fail(self, error: BaseException) -> None:
        """The message will not end: reads raise *error* after the parts
        already queued."""
        if self._error is None:
            self._error = error
        self._data.set()

    def abandon(self) -> None:
        """The reading side stopped: drop what is queued and what comes."""
        self._abandoned = True
        self._parts.clear()
        self._space.set()


class _PartCursor:
    """What the two message streams share: the part being read, the
    position in it, and the end of the message. ``_EMPTY`` is ``b""`` or
    ``""``, ``_NEWLINE`` the line end of the same type."""

    _EMPTY: Any = b""
    _NEWLINE: Any = b"\n"

    def __init__(self, parts: PartQueue) -> None:
        super().__init__()
        self._queue = parts
        self._buffer = self._EMPTY
        self._pos = 0
        self._eof = False

    def readable(self) -> bool:
        return True

    def _fill(self) -> bool:
        """The next part into the buffer; False at the end."""
        if self._eof:
            return False
        part = self._queue.get()
        if part is None:
            self._eof = True
            self._buffer, self._pos = self._EMPTY, 0
            return False
        self._buffer, self._pos = part, 0
        return True

    # Any: str for the reader, bytes for the input stream.
    def _line(self, size: int | None) -> Any:
        """Up to the next line end (included), at most *size* items."""
        chunks = []
        left = -1 if size is None or size < 0 else size
        newline = self._NEWLINE
        while left != 0:
            if self._pos >= len(self._buffer) and not self._fill():
                break
            buffer, start = self._buffer, self._pos
            end = buffer.find(newline, start)
            end = len(buffer) if end < 0 else end + 1
            if left > 0:
                end = min(end, start + left)
                left -= end - start
            chunks.append(buffer[start:end])
            self._pos = end
            if buffer[end - 1 : end] == newline:
                break
        return self._EMPTY.join(chunks)

    def close(self) -> None:
        """Stop reading: the rest of the message is dropped."""
        self._queue.abandon()
        super().close()  # type: ignore[misc]  # io's close, next in the MRO


class MessageInputStream(_PartCursor, io.BufferedIOBase):
    """A binary message as a readable binary stream (``typing.BinaryIO``),
    fed by its parts while it arrives. ``read()`` returns the rest of the
    message, ``read(n)`` up to *n* bytes (fewer only at the end),
    ``read1(n)`` what is at hand; ``b""`` at the end."""

    def read1(self, size: int | None = -1) -> bytes:
        """At most *size* bytes of what is at hand (waits for a part only
        when none is)."""
        if self._pos >= len(self._buffer) and not self._fill():
            return b""
        start = self._pos
        end = len(self._buffer) if size is None or size < 0 else min(len(self._buffer), start + size)
        self._pos = end
        if start == 0 and end == len(self._buffer):
            return bytes(self._buffer)
        return bytes(self._buffer[start:end])

    def read(self, size: int | None = -1) -> bytes:
        """*size* bytes (fewer at the end), or the rest with no size."""
        if size is None or size < 0:
            chunks = []
            while chunk := self.read1():
                chunks.append(chunk)
            return b"".join(chunks)
        chunks = []
        left = size
        while left > 0 and (chunk := self.read1(left)):
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    def readinto(self, buffer: Any) -> int:  # Any: a writable bytes-like object
        view = memoryview(buffer).cast("B")
        data = self.read(len(view))
        view[: len(data)] = data
        return len(data)

    def readline(self, size: int | None = -1) -> bytes:
        """The next line (``\\n`` included), at most *size* bytes."""
        line: bytes = self._line(size)
        return line


class MessageReader(_PartCursor, io.TextIOBase):
    """A text message as a readable text stream (``typing.TextIO``), fed by
    its parts (whole code points) while it arrives: ``read()``,
    ``read(n)`` (characters), ``readline()`` and iteration by line."""

    _EMPTY = ""
    _NEWLINE = "\n"

    def read(self, size: int | None = -1) -> str:
        """*size* characters (fewer at the end), or the rest with no size."""
        chunks = []
        left = -1 if size is None or size < 0 else size
        while left != 0:
            if self._pos >= len(self._buffer) and not self._fill():
                break
            start = self._pos
            end = len(self._buffer) if left < 0 else min(len(self._buffer), start + left)
            chunks.append(self._buffer[start:end] if start or end < len(self._buffer) else self._buffer)
            self._pos = end
            if left > 0:
                left -= end - start
        return "".join(chunks)

    def readline(self, size: int | None = -1) -> str:  # type: ignore[override]
        """The next line (``\\n`` included), at most *size* characters."""
        line: str = self._line(size)
        return line
