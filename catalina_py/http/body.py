"""Request body framing (RFC 9112 6 and 7): the Content-Length reader and
the chunked reader, as Tomcat's ``IdentityInputFilter`` and
``ChunkedInputFilter`` accept them.

Both are sans-I/O: the request parser owns the receive buffer and calls
``next_event(buf, pos, ...)``; the reader returns the next body event
(:class:`Data`, :class:`EndOfMessage`) or ``None`` when it needs more bytes,
and leaves in ``pos`` (and ``scan``) how far it consumed (searched). Body
bytes are handed out as soon as they are buffered, without a copy when the
whole buffer is body; every limit is enforced while data arrives.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .errors import HttpParseError
from .grammar import BTOKEN, parse_fields
from .headers import Headers

__all__ = ["ChunkedReader", "Data", "EndOfMessage", "LengthReader"]


@dataclass(slots=True)
class Data:
    """A piece of the (de-chunked) request body."""

    data: bytes


@dataclass(slots=True)
class EndOfMessage:
    """The body is complete; ``trailers`` holds chunked trailer fields."""

    trailers: Headers = field(default_factory=Headers)


_HEX_RE = re.compile(rb"[0-9A-Fa-f]+\Z")
# chunk-ext as Tomcat's ChunkExtension state machine accepts it:
# 1*( ";" BWS name [ BWS "=" BWS ( token / quoted-string ) ] BWS ), i.e. no
# whitespace between the size and the first ";". Quoted strings may not
# contain "\" nor controls other than HT.
_CHUNK_EXT_RE = re.compile(
    rb"(?:;[ \t]*" + BTOKEN + rb"(?:[ \t]*=[ \t]*(?:" + BTOKEN + rb"|\"[^\"\\\x00-\x08\x0a-\x1f\x7f]*\"))?[ \t]*)+\Z"
)
# In a trailer section: the controls forbidden in a head, and also LF
# without CR (Tomcat requires CRLF in trailers).
_BAD_TRAILER_RE = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\r(?!\n)|(?<!\r)\n")
_BARE_LF_RE = re.compile(rb"(?<!\r)\n")

_MAX_CHUNK_SIZE = 0x7FFFFFFF  # Tomcat: at most 8 hex digits, int >= 0
_MAX_CHUNK_DIGITS = 8

_TRUNCATED = "Connection closed before the request body was complete"


class LengthReader:
    """A body of ``Content-Length`` bytes (more than zero)."""

    __slots__ = ("remaining", "pos")

    def __init__(self, length: int) -> None:
        self.remaining = length
        #: Where the last call stopped consuming the buffer.
        self.pos = 0

    def next_event(self, buf: bytes, pos: int, eof: bool) -> Data | None:
        """The next piece of the body from ``buf[pos:]``, None if nothing is
        buffered; ``remaining`` is 0 after the last piece."""
        avail = len(buf) - pos
        if avail <= 0:
            if eof:
                raise HttpParseError(400, _TRUNCATED)
            self.pos = pos
            return None
        remaining = self.remaining
        take = remaining if avail >= remaining else avail
        self.remaining = remaining - take
        self.pos = pos + take
        if pos == 0 and take == len(buf):
            return Data(buf)
        return Data(buf[pos : pos + take])


# Chunked reader states.
_SIZE = 0
_DATA = 1
_CRLF = 2
_TRAILERS = 3
_DONE = 4


class ChunkedReader:
    """A ``Transfer-Encoding: chunked`` body: chunk-size lines, chunk data,
    the last chunk and the trailer section.

    ``max_trailer_size`` bounds the trailer section, ``max_extension_size``
    the total size of chunk extensions (Tomcat's ``maxExtensionSize``).
    """

    __slots__ = (
        "state",
        "remaining",
        "ext_total",
        "pos",
        "scan",
        "max_trailer_size",
        "max_extension_size",
        "chunks",
        "chunk_size",
    )

    def __init__(self, max_trailer_size: int, max_extension_size: int) -> None:
        self.state = _SIZE
        self.remaining = 0
        self.ext_total = 0
        #: Chunk size lines parsed so far (the last chunk included), and the
        #: size the latest one announced: what a trace shows chunk by chunk.
        self.chunks = 0
        self.chunk_size = 0
        #: Where the last call stopped consuming / searching the buffer.
        self.pos = 0
        self.scan = 0
        self.max_trailer_size = max_trailer_size
        self.max_extension_size = max_extension_size

    def next_event(self, buf: bytes, pos: int, scan: int, eof: bool) -> Data | EndOfMessage | None:
        """The next body event from ``buf[pos:]`` (*scan*: where a search
        for a line end may resume), None if more bytes are needed."""
        self.pos = pos
        self.scan = scan
        n = len(buf)
        while True:
            state = self.state
            pos = self.pos
            if state == _DATA:
                avail = n - pos
                if avail <= 0:
                    break
                remaining = self.remaining
                if avail >= remaining:
                    take = remaining
                    self.state = _CRLF
                else:
                    take = avail
                self.remaining = remaining - take
                self.pos = pos + take
                if pos == 0 and take == n:
                    return Data(buf)
                return Data(buf[pos : pos + take])
            if state == _SIZE:
                if not self._size_line(buf, pos, n):
                    break
                continue
            if state == _CRLF:
                avail = n - pos
                if avail >= 2:
                    if buf[pos] != 13 or buf[pos + 1] != 10:
                        raise HttpParseError(400, "Chunk data not followed by CRLF")
                    self.pos = pos + 2
                    self.scan = pos + 2
                    self.state = _SIZE
                    continue
                if avail == 1 and buf[pos] != 13:
                    raise HttpParseError(400, "Chunk data not followed by CRLF")
                break
            # _TRAILERS
            trailers = self._trailer_section(buf, pos, n)
            if trailers is None:
                break
            self.state = _DONE
            return EndOfMessage(trailers)
        if eof:
            raise HttpParseError(400, _TRUNCATED)
        return None

    def _size_line(self, buf: bytes, pos: int, n: int) -> bool:
        """Parse ``chunk-size [chunk-ext] CRLF``; False if incomplete."""
        scan = self.scan if self.scan > pos else pos
        lf = buf.find(b"\n", scan, n)
        if lf < 0:
            self.scan = n
            # Validate what is there so that garbage fails early and the
            # line cannot grow beyond 8 digits plus the extension limit.
            part = buf[pos:n]
            if part[-1:] == b"\r":
                part = part[:-1]
            semi = part.find(b";")
            digits = part if semi < 0 else part[:semi]
            if len(digits) > _MAX_CHUNK_DIGITS or (digits and _HEX_RE.match(digits) is None) or semi == 0:
                raise HttpParseError(400, "Invalid chunk size")
            if semi > 0 and self.ext_total + len(part) - semi > self.max_extension_size:
                raise HttpParseError(400, "Chunk extensions are too large")
            return False
        if lf == pos or buf[lf - 1] != 13:
            raise HttpParseError(400, "Chunk size line not ended by CRLF")
        line = buf[pos : lf - 1]
        semi = line.find(b";")
        digits = line if semi < 0 else line[:semi]
        if not digits or len(digits) > _MAX_CHUNK_DIGITS or _HEX_RE.match(digits) is None:
            raise HttpParseError(400, "Invalid chunk size")
        size = int(digits, 16)
        if size > _MAX_CHUNK_SIZE:
            raise HttpParseError(400, "Invalid chunk size")
        if semi > 0:
            self.ext_total += len(line) - semi
            if self.ext_total > self.max_extension_size:
                raise HttpParseError(400, "Chunk extensions are too large")
            if _CHUNK_EXT_RE.match(line, semi) is None:
                raise HttpParseError(400, "Invalid chunk extension")
        pos = lf + 1
        self.pos = pos
        self.scan = pos
        self.chunks += 1
        self.chunk_size = size
        if size:
            self.remaining = size
            self.state = _DATA
        else:
            self.state = _TRAILERS
        return True

    def _trailer_section(self, buf: bytes, pos: int, n: int) -> Headers | None:
        """Parse the trailer section; None if it is incomplete."""
        avail = n - pos
        if avail <= 0:
            return None
        if buf[pos] == 13:
            if avail == 1:
                return None
            if buf[pos + 1] == 10:
                self.pos = pos + 2
                return Headers()
        limit = self.max_trailer_size
        scan = self.scan if self.scan > pos else pos
        end = buf.find(b"\r\n\r\n", scan, n)
        if end < 0:
            if avail >= limit:
                raise HttpParseError(400, "Trailer section is too large")
            if _BARE_LF_RE.search(buf, scan, n) is not None:
                raise HttpParseError(400, "Trailer field line not ended by CRLF")
            self.scan = n - 3 if n - 3 > pos else pos
            return None
        if end + 4 - pos > limit:
            raise HttpParseError(400, "Trailer section is too large")
        section = buf[pos:end]
        if _BAD_TRAILER_RE.search(section) is not None:
            raise HttpParseError(400, "Invalid character in trailer field")
        lines = section.decode("latin-1").split("\r\n")
        items, index = parse_fields(lines, 0, "trailer", -1)
        self.pos = end + 4
        return Headers.from_parsed(items, index)
