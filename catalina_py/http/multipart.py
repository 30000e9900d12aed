"""A streaming parser of ``multipart/form-data`` bodies (RFC 7578, RFC 2046
section 5.1), sans-I/O: bytes in, events out.

:class:`MultipartParser` is fed the request body in pieces of any size
(:meth:`~MultipartParser.feed`) and told where it ends
(:meth:`~MultipartParser.feed_eof`); each call returns the events the bytes
completed, in order:

- :class:`PartStart`: a part's header block (raw bytes, undecoded: the
  container decodes it with the request's character encoding, as Tomcat
  does);
- :class:`PartData`: a piece of the part's body (never the whole body at
  once unless it arrived at once; the parser keeps back at most a
  delimiter's length, so memory stays bounded whatever the part's size);
- :class:`PartEnd`: the part's body is complete;
- :class:`MultipartEnd`: the close delimiter was read (what follows it, the
  epilogue, is ignored);
- :class:`MultipartFailed`: the body is malformed or over a limit; the
  parser then ignores everything it is fed. Errors are data, not
  exceptions, so a caller can tell a limit from a malformed body.

It follows what Tomcat 10.1 (its fork of Commons FileUpload) accepts,
checked against Tomcat 10.1.60: a preamble before the first delimiter is
skipped (even without a CRLF before the delimiter); a lone LF after a
delimiter is taken for its CRLF; a body holding no delimiter at all, or whose first delimiter is followed by anything but CRLF
or ``--``, has no parts; a delimiter later followed by other characters
ends the body quietly; a body ending before its close delimiter is
malformed; a part's header block (up to and including its blank line) over
``max_header_size`` bytes is refused.

The module also holds the helpers to read what a part's headers say
(:func:`parse_part_headers`, :func:`content_disposition`,
:func:`get_boundary`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal
from urllib.parse import unquote_to_bytes

__all__ = [
    "MultipartEnd",
    "MultipartEvent",
    "MultipartFailed",
    "MultipartParser",
    "PartData",
    "PartEnd",
    "PartStart",
    "content_disposition",
    "get_boundary",
    "parse_part_headers",
]

#: Tomcat's Connector ``maxPartHeaderSize`` default (bytes of one part's headers).
DEFAULT_MAX_HEADER_SIZE: Final = 512

#: Why a parse failed: ``malformed`` (the body does not follow the syntax),
#: ``header_too_large`` (a part's header block over ``max_header_size``),
#: ``part_too_large`` (a part's body over ``max_part_size``),
#: ``body_too_large`` (the whole body over ``max_body_size``).
FailReason = Literal["malformed", "header_too_large", "part_too_large", "body_too_large"]


@dataclass(frozen=True, slots=True)
class PartStart:
    """A part begins: its header block as sent (lines separated by CRLF,
    without the blank line that ends it)."""

    raw_headers: bytes


@dataclass(frozen=True, slots=True)
class PartData:
    """Some bytes of the current part's body."""

    data: bytes


@dataclass(frozen=True, slots=True)
class PartEnd:
    """The current part's body is complete."""


@dataclass(frozen=True, slots=True)
class MultipartEnd:
    """The body ended properly (its close delimiter, or a delimiter that
    Tomcat takes for the end); nothing more will come."""


@dataclass(frozen=True, slots=True)
class MultipartFailed:
    """The body cannot be parsed (``reason`` says why, ``message`` in words
    for a log or an exception); nothing more will come."""

    reason: FailReason
    message: str


MultipartEvent = PartStart | PartData | PartEnd | MultipartEnd | MultipartFailed

_CRLF: Final = b"\r\n"
_HEADER_END: Final = b"\r\n\r\n"

# Parser states.
_PREAMBLE: Final = 0  # looking for the first "--boundary"
_AFTER_DELIMITER: Final = 1  # need the two bytes after a delimiter
_HEADERS: Final = 2  # reading a part's header block
_BODY: Final = 3  # reading a part's body
_DONE: Final = 4  # ended (or failed): input is ignored


class MultipartParser:
    """The state of one ``multipart/form-data`` body being parsed.

    *boundary* is the ``boundary`` parameter of the Content-Type (bytes,
    see :func:`get_boundary`). Limits (``-1``: none): *max_header_size*
    bytes of one part's header block (including the CRLFCRLF that ends
    it), *max_part_size* bytes of one part's body, *max_body_size* bytes
    of the whole body as fed.
    """

    def __init__(
        self,
        boundary: bytes,
        *,
        max_header_size: int = DEFAULT_MAX_HEADER_SIZE,
        max_part_size: int = -1,
        max_body_size: int = -1,
    ) -> None:
        if not boundary:
            raise ValueError("a multipart boundary cannot be empty")
        self._dash_boundary = b"--" + boundary
        self._delimiter = b"\r\n--" + boundary
        self._max_header_size = max_header_size
        self._max_part_size = max_part_size
        self._max_body_size = max_body_size
        self._buffer = bytearray()
        self._state = _PREAMBLE
        self._first = True  # the next delimiter is the first one
        self._received = 0  # bytes fed in all
        self._part_size = 0  # body bytes of the current part
        #: Number of parts started so far.
        self.parts = 0

    @property
    def buffered(self) -> int:
        """Bytes fed but not yet handed out (at most a possible delimiter's
        length, or a header block being read): the parser's memory."""
        return len(self._buffer)

    @property
    def done(self) -> bool:
        """Whether the parser has ended (properly or not)."""
        return self._state == _DONE

    def feed(self, data: bytes) -> list[MultipartEvent]:
        """Parse the next bytes of the body; returns the events they complete."""
        events: list[MultipartEvent] = []
        if self._state == _DONE or not data:
            return events
        self._received += len(data)
        if 0 <= self._max_body_size < self._received:
            return self._fail(
                events,
                "body_too_large",
                f"the request was rejected because its size ({self._received}) "
                f"exceeds the configured maximum ({self._max_body_size})",
            )
        self._buffer += data
        self._run(events, eof=False)
        return events

    def feed_eof(self) -> list[MultipartEvent]:
        """The body has ended: the events that follows from that (a failure
        if a part was open, no parts if no delimiter was ever seen)."""
        events: list[MultipartEvent] = []
        if self._state == _DONE:
            return events
        self._run(events, eof=True)
        if self._state != _DONE:
            if self._state == _PREAMBLE:
                # Tomcat: a body without any delimiter simply has no parts.
                self._state = _DONE
                self._buffer.clear()
                events.append(MultipartEnd())
            else:
                self._fail(events, "malformed", "Stream ended unexpectedly")
        return events

    # -- the machine -------------------------------------------------------
    def _fail(self, events: list[MultipartEvent], reason: FailReason, message: str) -> list[MultipartEvent]:
        self._state = _DONE
        self._buffer.clear()
        events.append(MultipartFailed(reason, message))
        return events

    def _end(self, events: list[MultipartEvent]) -> None:
        self._state = _DONE
        self._buffer.clear()
        events.append(MultipartEnd())

    def _run(self, events: list[MultipartEvent], eof: bool) -> None:
        buffer = self._buffer
        while self._state != _DONE:
            state = self._state
            if state == _BODY:
                if not self._body(events, eof):
                    return
            elif state == _PREAMBLE:
                at = buffer.find(self._dash_boundary)
                if at < 0:
                    # Keep what could be the start of the delimiter.
                    keep = len(self._dash_boundary) - 1
                    if len(buffer) > keep:
                        del buffer[: len(buffer) - keep]
                    return
                del buffer[: at + len(self._dash_boundary)]
                self._state = _AFTER_DELIMITER
            elif state == _AFTER_DELIMITER:
                if buffer[:1] == b"\n":
                    # A lone LF stands for the CRLF (Tomcat's workaround
                    # for an old browser's bug).
                    del buffer[:1]
                    self._first = False
                    self._state = _HEADERS
                    continue
                if len(buffer) < 2:
                    if eof and self._first:
                        self._end(events)  # no parts (Tomcat's skipPreamble)
                    elif eof:
                        self._fail(events, "malformed", "Stream ended unexpectedly")
                    return
                marker = bytes(buffer[:2])
                del buffer[:2]
                if marker == b"--":
                    self._end(events)
                elif marker == _CRLF:
                    self._first = False
                    self._state = _HEADERS
                else:
                    # Tomcat ends the body there: no more parts, no error.
                    self._end(events)
            elif state == _HEADERS:
                limit = self._max_header_size
                if buffer[:2] == _CRLF:
                    raw = b""  # an empty header block: the blank line at once
                    del buffer[:2]
                else:
                    end = buffer.find(_HEADER_END)
                    if end < 0:
                        if limit >= 0 and len(buffer) > limit:
                            self._fail(events, "header_too_large", self._header_message())
                        elif eof:
                            self._fail(events, "malformed", "Stream ended unexpectedly")
                        return
                    if limit >= 0 and end + 4 > limit:
                        self._fail(events, "header_too_large", self._header_message())
                        return
                    raw = bytes(buffer[:end])
                    del buffer[: end + 4]
                self.parts += 1
                self._part_size = 0
                events.append(PartStart(raw))
                self._state = _BODY

    def _header_message(self) -> str:
        return f"Header section has more than {self._max_header_size} bytes " "(maybe it is not properly terminated)"

    def _body(self, events: list[MultipartEvent], eof: bool) -> bool:
        """Move body bytes out; True when the delimiter was found."""
        buffer = self._buffer
        delimiter = self._delimiter
        at = buffer.find(delimiter)
        if at < 0:
            # All but what could be the start of the delimiter is data.
            safe = len(buffer) - (len(delimiter) - 1)
            if safe > 0:
                self._data(events, bytes(buffer[:safe]))
                del buffer[:safe]
            if eof and self._state != _DONE:
                self._fail(events, "malformed", "Stream ended unexpectedly")
            return False
        if at:
            self._data(events, bytes(buffer[:at]))
            if self._state == _DONE:
                return False
        del buffer[: at + len(delimiter)]
        events.append(PartEnd())
        self._state = _AFTER_DELIMITER
        return True

    def _data(self, events: list[MultipartEvent], data: bytes) -> None:
        self._part_size += len(data)
        if 0 <= self._max_part_size < self._part_size:
            self._fail(
                events, "part_too_large", f"the part exceeds its maximum permitted size of {self._max_part_size} bytes"
            )
            return
        events.append(PartData(data))


# --------------------------------------------------------------------------
# Reading headers and parameters
# --------------------------------------------------------------------------


def parse_part_headers(raw: bytes, encoding: str) -> list[tuple[str, str]]:
    """A part's header lines as ``(lower-case name, value)`` pairs, decoded
    with *encoding* (the request's; undecodable bytes replaced). A line
    starting with a space or tab continues the previous one; a line without
    a colon is skipped (as Tomcat does)."""
    text = raw.decode(encoding, "replace")
    lines: list[str] = []
    for line in text.split("\r\n"):
        if line[:1] in (" ", "\t") and lines:
            lines[-1] += " " + line.strip()
        elif line:
            lines.append(line)
    headers: list[tuple[str, str]] = []
    for line in lines:
        name, colon, value = line.partition(":")
        if not colon:
            continue
        headers.append((name.strip().lower(), value.strip()))
    return headers


def _parameters(value: str) -> tuple[str, dict[str, str]]:
    """``type; a=b; c="d"`` as the type and its parameters (lower-case
    names): quoted strings may hold ``;`` and backslash escapes, as Tomcat's
    ``ParameterParser`` reads them; ``name*`` values (RFC 2231/5987,
    ``charset'lang'pct-encoded``) are decoded and stored under ``name``,
    winning over a plain ``name``."""
    items: list[str] = []
    current: list[str] = []
    quoted = False
    escaped = False
    for char in value:
        if escaped:
            current.append(char)
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == ";" and not quoted:
            items.append("".join(current))
            current = []
        else:
            current.append(char)
    items.append("".join(current))
    kind = items[0].strip()
    params: dict[str, str] = {}
    extended: dict[str, str] = {}
    for item in items[1:]:
        name, equals, text = item.partition("=")
        name = name.strip().lower()
        if not name:
            continue
        text = text.strip() if equals else ""
        if name.endswith("*"):
            decoded = _decode_extended(text)
            if decoded is not None:
                extended[name[:-1]] = decoded
            continue
        params.setdefault(name, text)
    params.update(extended)
    return kind, params


def _decode_extended(text: str) -> str | None:
    """An RFC 5987 ``charset'language'value``; None if it is not one."""
    charset, quote, rest = text.partition("'")
    if not quote:
        return None
    _language, quote, encoded = rest.partition("'")
    if not quote:
        return None
    try:
        return unquote_to_bytes(encoded).decode(charset or "utf-8")
    except (LookupError, UnicodeDecodeError):
        return None


def content_disposition(headers: list[tuple[str, str]]) -> tuple[str | None, str | None]:
    """The field name and the file name of a part, from its
    ``Content-Disposition`` (``form-data; name="f"; filename="a.txt"``).

    The name is None when the disposition is absent, is not ``form-data``
    or has no ``name`` or an empty one: Tomcat skips such parts. The file name is None
    without a ``filename`` parameter, ``""`` with an empty one; it is given
    as sent (paths kept; a backslash in a quoted string escapes the next
    character, as in Tomcat)."""
    value = next((v for n, v in headers if n == "content-disposition"), None)
    if value is None:
        return None, None
    kind, params = _parameters(value)
    lowered = kind.lower()
    filename = params.get("filename") if lowered in ("form-data", "attachment") else None
    if lowered != "form-data":
        return None, filename
    name = params.get("name") or None  # an empty name is none (Tomcat)
    return name, filename


def get_boundary(content_type: str | None) -> bytes | None:
    """The ``boundary`` parameter of a multipart Content-Type (quotes
    removed, as ISO-8859-1 bytes), or None when absent or empty."""
    if not content_type:
        return None
    _kind, params = _parameters(content_type)
    boundary = params.get("boundary")
    if not boundary:
        return None
    try:
        return boundary.encode("latin-1")
    except UnicodeEncodeError:
        return None
