"""Incremental UTF-8 validation for WebSocket text messages (RFC 6455 8.1).

A text message may be split across frames at any byte, even inside a code
point, and the connection must be failed (1007) as soon as the bytes can
no longer be valid UTF-8 -- not only when the message is complete.
:class:`Utf8Validator` wraps the standard incremental decoder, which raises
at the first invalid byte and holds back an incomplete trailing sequence,
and additionally checks that held-back bytes are a *possible* prefix (the
stdlib decoder, for example, holds back ``ED A0`` although no valid
sequence starts with it: that would be a UTF-16 surrogate).
"""

from __future__ import annotations

import codecs

__all__ = ["Utf8Validator", "is_valid_prefix"]

_DecoderFactory = codecs.getincrementaldecoder("utf-8")


def _second_byte_range(lead: int) -> tuple[int, int] | None:
    """Allowed range of the byte after ``lead`` (RFC 3629 table), or None
    if ``lead`` cannot start a multi-byte sequence."""
    if 0xC2 <= lead <= 0xDF:
        return 0x80, 0xBF
    if lead == 0xE0:
        return 0xA0, 0xBF
    if 0xE1 <= lead <= 0xEC or 0xEE <= lead <= 0xEF:
        return 0x80, 0xBF
    if lead == 0xED:
        return 0x80, 0x9F
    if lead == 0xF0:
        return 0x90, 0xBF
    if 0xF1 <= lead <= 0xF3:
        return 0x80, 0xBF
    if lead == 0xF4:
        return 0x80, 0x8F
    return None


def is_valid_prefix(pending: bytes) -> bool:
    """True if ``pending`` (an incomplete sequence) can still become valid."""
    if not pending:
        return True
    second = _second_byte_range(pending[0])
    if second is None:
        return False
    if len(pending) >= 2 and not second[0] <= pending[1] <= second[1]:
        return False
    return all(0x80 <= b <= 0xBF for b in pending[2:])


class Utf8Validator:
    """Decode a text message fragment by fragment, failing at the first
    byte that makes it invalid.

    :meth:`feed` returns the text decoded so far (complete code points
    only) and raises :class:`UnicodeDecodeError` on invalid input;
    :meth:`finish` raises if the message ended inside a code point.
    """

    __slots__ = ("_decoder",)

    def __init__(self) -> None:
        self._decoder = _DecoderFactory("strict")

    def feed(self, data: bytes) -> str:
        """Decode the next fragment; raise at the first invalid byte."""
        text = self._decoder.decode(data, False)
        pending = self._decoder.getstate()[0]
        if pending and not is_valid_prefix(pending):
            raise UnicodeDecodeError("utf-8", pending, 0, len(pending), "invalid continuation byte")
        return text

    def finish(self) -> str:
        """End of the message: raise if a code point is left incomplete."""
        text = self._decoder.decode(b"", True)
        self._decoder.reset()
        return text

    def reset(self) -> None:
        """Forget any state, ready for a new message."""
        self._decoder.reset()
