"""The two streams a message can be sent through (Jakarta's
``RemoteEndpoint.Basic.getSendWriter()`` and ``getSendStream()``): a text
writer and a binary output stream, each one message sent in parts.

Each holds at most one buffer (the session's text or binary buffer size):
a full buffer goes out as a frame without FIN, ``flush()`` sends what is
held the same way, ``close()`` ends the message with a FIN frame (empty if
nothing is held). A stream is closed at the end of a ``with`` block.

The streams know nothing of the session: they are given ``send_part(part,
last)``, which does the sending (and keeps the session's sending state).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

__all__ = ["SendStream", "SendWriter"]


class SendWriter(io.TextIOBase):
    """A text message written as it is produced (``typing.TextIO``-like):
    ``write(str)``, ``flush()``, ``close()``."""

    def __init__(self, send_part: Callable[[str, bool], None], buffer_size: int) -> None:
        super().__init__()
        self._send_part = send_part
        self._buffer_size = max(1, int(buffer_size))
        self._held: list[str] = []
        self._size = 0
        self._ending = False

    def writable(self) -> bool:
        """True: this is a writer."""
        return True

    def write(self, text: str) -> int:
        """Add *text* to the message; each full buffer is sent as a frame."""
        if self.closed:
            raise ValueError("write to a closed WebSocket send writer")
        if not isinstance(text, str):
            raise TypeError(f"write() takes a str, not {type(text).__name__}")
        if not text:
            return 0
        self._held.append(text)
        self._size += len(text)
        size = self._buffer_size
        if self._size >= size:
            joined = "".join(self._held)
            whole = len(joined) - len(joined) % size
            self._held = [joined[whole:]] if whole < len(joined) else []
            self._size = len(joined) - whole
            for start in range(0, whole, size):
                self._send_part(joined[start : start + size], False)
        return len(text)

    def flush(self) -> None:
        """Send what is held as a frame of the message (not its last)."""
        if self._size and not self._ending and not self.closed:
            held = "".join(self._held)
            self._held, self._size = [], 0
            self._send_part(held, False)

    def close(self) -> None:
        """End the message: what is held goes out in a FIN frame."""
        if self.closed or self._ending:
            return
        self._ending = True
        try:
            held = "".join(self._held)
            self._held, self._size = [], 0
            self._send_part(held, True)
        finally:
            super().close()

    def __del__(self) -> None:
        # Not closed by its owner: nothing is sent from the collector (which
        # may run in any greenlet); the message stays open, as in Jakarta.
        pass


class SendStream(io.RawIOBase):
    """A binary message written as it is produced (``typing.BinaryIO``-like):
    ``write(bytes)``, ``flush()``, ``close()``."""

    def __init__(self, send_part: Callable[[bytes, bool], None], buffer_size: int) -> None:
        super().__init__()
        self._send_part = send_part
        self._buffer_size = max(1, int(buffer_size))
        self._held = bytearray()
        self._ending = False

    def writable(self) -> bool:
        """True: this is an output stream."""
        return True

    # Any: any bytes-like object (bytes, bytearray, memoryview, array).
    def write(self, data: Any) -> int:
        """Add *data* to the message; each full buffer is sent as a frame."""
        if self.closed:
            raise ValueError("write to a closed WebSocket send stream")
        view = memoryview(data).cast("B")
        length = len(view)
        held = self._held
        size = self._buffer_size
        start = 0
        while start < length:
            take = min(size - len(held), length - start)
            held += view[start : start + take]
            start += take
            if len(held) >= size:
                part = bytes(held)
                held.clear()
                self._send_part(part, False)
        return length

    def flush(self) -> None:
        """Send what is held as a frame of the message (not its last)."""
        if self._held and not self._ending and not self.closed:
            part = bytes(self._held)
            self._held.clear()
            self._send_part(part, False)

    def close(self) -> None:
        """End the message: what is held goes out in a FIN frame."""
        if self.closed or self._ending:
            return
        self._ending = True
        try:
            part = bytes(self._held)
            self._held.clear()
            self._send_part(part, True)
        finally:
            super().close()

    def __del__(self) -> None:
        # See SendWriter.__del__: nothing is sent from the collector.
        pass
