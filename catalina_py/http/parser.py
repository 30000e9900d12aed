"""Incremental, sans-I/O HTTP/1.1 request parser.

:class:`RequestParser` turns the bytes received on one connection into a
stream of events, one request after the other::

    p = RequestParser()
    p.feed(received_bytes)           # b"" means the peer closed
    ev = p.next_event()              # RequestHead | Data | EndOfMessage
                                     # | NEED_DATA | CLOSED
    ...                              # after EndOfMessage:
    p.start_next_request()           # pipelined bytes stay buffered

It does no I/O and reads no clock, so it can be driven by a gevent socket,
by tests, or by anything else. The rules it enforces follow Apache Tomcat
10.1 (``Http11InputBuffer``, ``Http11Processor.prepareRequest`` and
``ChunkedInputFilter``), stricter in a few places documented in
``docs/http11.md``. Every rejection raises :class:`HttpParseError` carrying
the status to answer with.

Design notes (speed matters, this is on every request's path):

* The common case, a whole head in one ``recv``, costs two ``bytes.find``
  calls to locate the blank line, one latin-1 decode, one split into lines
  and a handful of dict/regex look-ups. No per-byte Python loops.
* Searches remember how far they got (``_scan``), so feeding a head one byte
  at a time does not rescan what was already searched.
* Body bytes are handed out as soon as they are buffered (never
  accumulated); when the whole buffer is body it is handed out without a
  copy.
* Every limit (head size, chunk-extension size, trailer size) is enforced
  while data arrives, so nothing is buffered without bound.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .body import ChunkedReader, Data, EndOfMessage, LengthReader
from .errors import HttpParseError
from .grammar import TOKEN_RE, connection_tokens, parse_fields, token_list, valid_host
from .headers import Headers
from .uri import UriError, parse_uri, split_target

__all__ = [
    "CLOSED",
    "NEED_DATA",
    "Data",
    "EndOfMessage",
    "RequestHead",
    "RequestParser",
]


# ---------------------------------------------------------------- events


class _Sentinel:
    """A named singleton returned by :meth:`RequestParser.next_event`."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return self._name


#: Returned when more bytes must be fed before the next event can be built
#: (also after :class:`EndOfMessage`, until ``start_next_request()``).
NEED_DATA = _Sentinel("NEED_DATA")

#: Returned when the peer closed the connection cleanly between requests.
CLOSED = _Sentinel("CLOSED")


@dataclass(slots=True)
class RequestHead:
    """The request line and header fields of one request.

    ``body`` says how the body is framed: ``"none"`` (no Content-Length nor
    Transfer-Encoding), ``"length"`` (``content_length`` bytes) or
    ``"chunked"``. ``keep_alive`` is the client's wish (HTTP/1.1: yes unless
    ``Connection: close``; HTTP/1.0: only with ``Connection: keep-alive``).
    ``expect_continue`` is true for an HTTP/1.1 ``Expect: 100-continue``.
    ``keep_alive_token`` is true when ``Connection`` names ``keep-alive``
    (Tomcat then answers with a ``Keep-Alive: timeout=`` header).
    """

    method: str
    target: str
    version: str
    headers: Headers
    body: str
    content_length: int | None
    expect_continue: bool
    keep_alive: bool
    keep_alive_token: bool = False


Event = RequestHead | Data | EndOfMessage | _Sentinel


# ------------------------------------------------------- character classes

# Characters Tomcat's HttpParser accepts in the path (isAbsolutePathRelaxed:
# unreserved / pct-encoded / sub-delims / ":" / "@" / "/") and in the query
# (isQueryRelaxed: the same plus "?"), with relaxedPathChars and
# relaxedQueryChars left at their empty default.
_PATH_CHARS = r"A-Za-z0-9\-._~%!$&'()*+,;=:@/"
_ORIGIN_RE = re.compile(rf"/[{_PATH_CHARS}]*(?:\?[{_PATH_CHARS}?]*)?\Z")
_QUERY_RE = re.compile(rf"[{_PATH_CHARS}?]*\Z")
# HttpParser.isNotRequestTarget: controls, SP, " # < > \ ^ ` { | } and
# (Java bytes being signed) anything outside US-ASCII.
_TARGET_CHARS_RE = re.compile(r"[^\x00-\x20\"#<>\\^`{|}\x7f-\U0010ffff]+\Z")
_ABSOLUTE_RE = re.compile(rf"(?i:https?)://([^/?]*)(?:/[{_PATH_CHARS}]*)?(?:\?[{_PATH_CHARS}?]*)?\Z")
_USERINFO_RE = re.compile(r"[A-Za-z0-9\-._~%!$&'()*+,;=:]*\Z")

# Tomcat's HttpParser.isHttpProtocol: a version made of these characters
# only that is not HTTP/1.0 or HTTP/1.1 is "unsupported" (505), any other
# character makes the request line invalid (400).
_HTTP_PROTOCOL_RE = re.compile(r"[HTP/.0-9]+\Z")
_WS_RE = re.compile(r"[ \t]+")

# Every byte except the controls forbidden in a head (all but HT, CR, LF):
# ``head.translate(None, _HEAD_ALLOWED)`` leaves only the forbidden ones.
_HEAD_ALLOWED = bytes(b for b in range(256) if not ((b < 32 and b not in (9, 10, 13)) or b == 127))
_STRAY_CR_RE = re.compile(r"\r(?!\n)")
_STRAY_CR_BYTES_RE = re.compile(rb"\r(?!\n)")

_MAX_CONTENT_LENGTH = 2**63 - 1

# Method names already validated (grammar.py keeps the field names and Host
# values). Requests repeat the same few, so a set hit replaces a regex
# match. Bounded so that hostile input cannot grow it.
_CACHE_LIMIT = 512
_GOOD_METHODS: set[str] = set()

# Parser states.
#: The reason of the error raised when the connection ends inside a request head.
TRUNCATED_HEAD = "Connection closed before the request head was complete"

_S_HEAD = 0
_S_LENGTH = 1  # a LengthReader reads the body
_S_CHUNKED = 2  # a ChunkedReader reads the body
_S_EOM = 6  # emit EndOfMessage (body-less request) next
_S_DONE = 7  # EndOfMessage returned; waiting for start_next_request()
_S_ERROR = 8


def _check_request_line(line: str) -> tuple[str, str, str, bool]:
    """Split and validate a request line; return (method, target, version,
    path_ok).

    Like Tomcat, runs of SP/HT between the three parts are tolerated. Only
    the checks Tomcat makes while it reads the line raise here; the others
    (an unsupported version, the characters of the path, an ``http(s)``
    absolute-form target) are judged with the header fields, in
    :meth:`RequestParser._finish_head`. ``path_ok`` is False when an
    origin-form path holds a character Tomcat does not allow there.
    """
    parts = line.split(" ")
    if len(parts) != 3 or not parts[0] or not parts[1] or not parts[2]:
        if not line or line[0] in " \t":
            raise HttpParseError(400, "Invalid request line")
        parts = _WS_RE.split(line)
        if parts[-1] == "":
            # Trailing whitespace after the version (or after the target of
            # an HTTP/0.9 request): Tomcat rejects both.
            raise HttpParseError(400, "Invalid request line")
        if len(parts) == 2:
            raise HttpParseError(400, "HTTP/0.9 requests (no HTTP version) are not supported")
        if len(parts) != 3:
            raise HttpParseError(400, "Invalid request line")
    method, target, version = parts
    if method not in _GOOD_METHODS:
        if TOKEN_RE.match(method) is None:
            raise HttpParseError(400, "Invalid method in request line")
        if len(_GOOD_METHODS) < _CACHE_LIMIT:
            _GOOD_METHODS.add(method)
    origin = _ORIGIN_RE.match(target) is not None
    if not origin:
        # The general character check Tomcat makes while reading the line.
        if _TARGET_CHARS_RE.match(target) is None:
            raise HttpParseError(400, "Invalid character in request target")
        q = target.find("?")
        if q >= 0 and _QUERY_RE.match(target, q + 1) is None:
            raise HttpParseError(400, "Invalid character in query string")
    if version != "HTTP/1.1" and version != "HTTP/1.0" and _HTTP_PROTOCOL_RE.match(version) is None:
        raise HttpParseError(400, "Invalid HTTP version in request line")
    if not origin and method != "CONNECT":
        _check_target_form(method, target)
    return method, target, version, origin or target[:1] != "/"


def _check_target_form(method: str, target: str) -> None:
    """Validate a request target that is not a valid origin-form, as far as
    Tomcat does before the header fields (CONNECT is not checked: it is
    answered with 501 whatever its target)."""
    if target == "*":
        if method != "OPTIONS":
            raise HttpParseError(400, "Asterisk request target is only allowed for OPTIONS")
        return
    if target[:1] == "/":
        return  # a character not allowed in the path: judged with the fields
    lower = target[:8].lower()
    if not (lower.startswith("http://") or lower == "https://"):
        raise HttpParseError(400, "Invalid request target")


def _absolute_authority(target: str) -> str | None:
    """For an absolute-form target return its host[:port], else ``None``.

    The scheme must be http or https and the authority must be valid; a
    userinfo part is validated and dropped (Tomcat does the same).
    """
    m = _ABSOLUTE_RE.match(target)
    if m is None:
        return None
    authority = m.group(1)
    at = authority.find("@")
    if at >= 0:
        if _USERINFO_RE.match(authority, 0, at) is None:
            return None
        authority = authority[at + 1 :]
    if not authority or not valid_host(authority):
        return None
    return authority


def _uri_decodes(target: str) -> bool:
    """True if the container could decode and normalise *target* (what
    Tomcat's CoyoteAdapter checks even for a request already refused)."""
    try:
        # (the characters were judged before: only decoding counts here)
        path, query, _ = split_target(target, "[]", "[]")
        if path != "*":
            parse_uri(path, query)
    except UriError:
        return False
    return True


# ------------------------------------------------------------------ parser


class RequestParser:
    """Incremental HTTP/1.1 request parser for one connection.

    ``max_header_size`` bounds the request line plus header fields (plus
    any blank lines before the request line and the terminating blank line),
    like Tomcat's ``maxHttpHeaderSize``. ``max_trailer_size`` bounds the
    trailer section of a chunked body, ``max_chunk_extension_size`` the
    total size of chunk extensions in one request (Tomcat's
    ``maxExtensionSize``), ``max_header_count`` the number of header fields
    (Tomcat's ``maxHeaderCount``; negative means unlimited).
    """

    __slots__ = (
        "_buf",
        "_pos",
        "_pending",
        "_eof",
        "_state",
        "_scan",
        "_blank",
        "_reqline",
        "_connect",
        "_body",
        "_error",
        "max_header_size",
        "max_trailer_size",
        "max_chunk_extension_size",
        "max_header_count",
    )

    def __init__(
        self,
        max_header_size: int = 8192,
        max_trailer_size: int = 8192,
        max_chunk_extension_size: int = 8192,
        max_header_count: int = 100,
    ) -> None:
        self.max_header_size = max_header_size
        self.max_trailer_size = max_trailer_size
        self.max_chunk_extension_size = max_chunk_extension_size
        self.max_header_count = max_header_count
        self._buf = b""  # received bytes; _buf[_pos:] unconsumed
        self._pos = 0
        self._pending: list[bytes] = []  # fed, not yet merged into _buf
        self._eof = False
        self._state = _S_HEAD
        self._scan = 0  # where the current search resumes
        self._blank = 0  # blank-line bytes skipped before the head
        self._reqline: tuple[str, str, str, bool] | None = None
        self._connect = False  # the request line starts with the method CONNECT
        self._body: LengthReader | ChunkedReader | None = None  # the body being read
        self._error: HttpParseError | None = None

    # -- feeding -------------------------------------------------------------

    def feed(self, data: bytes) -> None:
        """Append received bytes; ``feed(b"")`` records EOF from the peer."""
        if not data:
            self._eof = True
            return
        if self._eof:
            raise RuntimeError("data fed after EOF")
        if self._pos >= len(self._buf) and not self._pending:
            # Everything so far was consumed: the new bytes become the
            # buffer as they are (no copy).
            self._buf = bytes(data)
            self._pos = 0
            self._scan = 0
        else:
            # Merged lazily by next_event(), so that many feeds without a
            # next_event() in between cost O(n), not O(n^2).
            self._pending.append(bytes(data))

    def _merge(self) -> None:
        pos = self._pos
        self._buf = b"".join([memoryview(self._buf)[pos:], *self._pending])
        self._pending.clear()
        self._scan = self._scan - pos if self._scan > pos else 0
        self._pos = 0

    @property
    def leftover(self) -> bytes:
        """The bytes buffered but not consumed (handed to an upgrade)."""
        rest = self._buf[self._pos :]
        if self._pending:
            return b"".join([rest, *self._pending])
        return rest

    def release(self) -> bytes:
        """The bytes buffered but not consumed (:attr:`leftover`), handed
        over for good: the parser lets go of its buffer (an upgraded
        connection keeps its processor, and with it this parser, for as
        long as it lives)."""
        rest = self.leftover
        self._buf = b""
        self._pos = 0
        self._pending = []
        return rest

    @property
    def buffered_size(self) -> int:
        """How many bytes are buffered but not consumed yet."""
        return len(self._buf) - self._pos + sum(len(p) for p in self._pending)

    @property
    def chunked_reader(self) -> ChunkedReader | None:
        """The reader of the current request's chunked body, if it has one
        (its ``chunks`` and ``chunk_size`` tell the chunks read so far)."""
        body = self._body
        return body if type(body) is ChunkedReader else None

    @property
    def body_remaining(self) -> int:
        """Bytes of a Content-Length body not handed out yet (0 for other bodies)."""
        body = self._body
        return body.remaining if type(body) is LengthReader else 0

    @property
    def has_buffered_data(self) -> bool:
        """True if unconsumed bytes are buffered (e.g. a pipelined request)."""
        return self._pos < len(self._buf) or bool(self._pending)

    @property
    def eof(self) -> bool:
        """True once the peer has closed its side (``feed(b"")``)."""
        return self._eof

    def start_next_request(self) -> None:
        """After :class:`EndOfMessage`, get ready for the next request.

        Buffered bytes (a pipelined request) are kept. For a request without
        a body (``RequestHead.body == "none"``) the caller may skip fetching
        its empty EndOfMessage and call this right after the head.
        """
        if self._state != _S_DONE and self._state != _S_EOM:
            raise RuntimeError("start_next_request() called before EndOfMessage")
        self._state = _S_HEAD
        self._scan = self._pos
        self._blank = 0
        self._reqline = None
        self._connect = False
        self._body = None

    # -- events --------------------------------------------------------------

    def next_event(self) -> Event:
        """Return the next event, ``NEED_DATA`` or ``CLOSED``.

        Raises :class:`HttpParseError` if the request is malformed (and
        again on every later call: the connection cannot be recovered).
        """
        if self._pending:
            self._merge()
        state = self._state
        try:
            if state == _S_HEAD:
                return self._next_head()
            if state in (_S_LENGTH, _S_CHUNKED):
                return self._next_body()
            if state == _S_EOM:
                self._state = _S_DONE
                return EndOfMessage(Headers())
            if state == _S_DONE:
                return NEED_DATA
        except HttpParseError as exc:
            # Tomcat answers every CONNECT with 501, malformed or not; but a
            # head cut short by EOF gets no answer at all (the processor
            # closes silently), so that error is not turned into a 501.
            if self._connect and state == _S_HEAD and exc.status != 501 and exc.reason != TRUNCATED_HEAD:
                exc = HttpParseError(501, "CONNECT is not supported")
            self._state = _S_ERROR
            self._error = exc
            raise exc from None
        assert self._error is not None
        raise self._error

    def _next_head(self) -> Event:
        buf = self._buf
        pos = self._pos
        n = len(buf)
        limit = self.max_header_size
        if pos < n and (buf[pos] == 13 or buf[pos] == 10):
            # Blank lines before the request line are skipped (Tomcat does);
            # they count towards the head size limit.
            chunk = buf[pos : pos + limit + 1]
            skipped = len(chunk) - len(chunk.lstrip(b"\r\n"))
            pos += skipped
            self._pos = pos
            self._blank += skipped
            if self._blank >= limit:
                raise HttpParseError(400, "Request header is too large")
        if pos >= n:
            return CLOSED if self._eof else NEED_DATA
        if self._reqline is None:
            # Whether the method is CONNECT, known from the first bytes, so
            # that every error of the request, whenever it is found, is 501
            # (Tomcat answers CONNECT with 501 whatever else is wrong).
            self._connect = buf.startswith((b"CONNECT ", b"CONNECT\t"), pos)
        scan = self._scan if self._scan > pos else pos
        # The head ends at the first empty line: LF followed by CRLF or LF.
        end = buf.find(b"\n\r\n", scan)
        if end >= 0:
            lf2 = buf.find(b"\n\n", scan, end + 1)
            if lf2 >= 0:
                end, body = lf2, lf2 + 2
            else:
                body = end + 3
        else:
            end = buf.find(b"\n\n", scan)
            body = end + 2
        blank = self._blank
        if end < 0:
            # Incomplete head. A CR not followed by LF can never end a line:
            # refuse it now, as Tomcat does, rather than wait for a timeout.
            stray = _STRAY_CR_BYTES_RE.search(buf, scan)
            if stray is not None and stray.start() < n - 1:  # (a CR last may yet get its LF)
                raise HttpParseError(400, "CR not followed by LF in the request head")
            self._scan = n - 2 if n - 2 > pos else pos
            if self._reqline is None:
                lf = buf.find(b"\n", pos)
                if lf >= 0:
                    if lf - pos + blank >= limit:
                        raise HttpParseError(400, "Request header is too large")
                    self._reqline = self._request_line(buf[pos:lf].decode("latin-1").removesuffix("\r"))
            if n - pos + blank >= limit:
                raise HttpParseError(400, "Request header is too large")
            if self._eof:
                raise HttpParseError(400, TRUNCATED_HEAD)
            return NEED_DATA

        raw = buf[pos:end]
        text = raw.decode("latin-1")
        if text[-1:] == "\r":
            text = text[:-1]
        lf = text.find("\n")
        reqline = self._reqline
        if reqline is None:
            # Same order as when the head arrives piecemeal: the request
            # line is judged as soon as it is complete.
            if (lf if lf >= 0 else end - pos) + blank >= limit:
                raise HttpParseError(400, "Request header is too large")
            if lf < 0:
                line = text
            else:
                line = text[:lf]
                if line[-1:] == "\r":
                    line = line[:-1]
            reqline = self._request_line(line)
        if body - pos + blank > limit:
            raise HttpParseError(400, "Request header is too large")
        self._pos = body
        if lf < 0:
            lines = [text]
        else:
            # The request line was validated (it holds no controls but HT),
            # so any forbidden control found here is in a header field.
            if raw.translate(None, _HEAD_ALLOWED):
                raise HttpParseError(400, "Invalid character in header field")
            lines = text.split("\r\n")
            crlf = len(lines) - 1
            if text.count("\n") != crlf or text.count("\r") != crlf:
                if _STRAY_CR_RE.search(text) is not None:
                    raise HttpParseError(400, "Invalid character in header field")
                # Bare LF line endings, which Tomcat accepts in the head.
                lines = text.replace("\r\n", "\n").split("\n")
        return self._finish_head(reqline, lines)

    def _request_line(self, line: str) -> tuple[str, str, str, bool]:
        """Check the request line (a CONNECT request's errors become 501 in
        :meth:`next_event`: CoyoteAdapter runs even for a refused request)."""
        return _check_request_line(line)

    def _finish_head(self, reqline: tuple[str, str, str, bool], lines: list[str]) -> RequestHead:
        method, target, version, path_ok = reqline
        items, index = parse_fields(lines, 1, "header", self.max_header_count)
        http11 = version == "HTTP/1.1"

        # The checks Tomcat makes once the fields are read
        # (Http11Processor.prepareRequestProtocol, prepareRequest,
        # prepareInputFilters, parseHost), in its order: each failing check
        # replaces the status of the one before, so the LAST failure is
        # the answer (an unsupported version is answered with 505 only
        # when nothing after it fails; a bad Host beats an unknown coding).
        error: HttpParseError | None = None
        if not http11 and version != "HTTP/1.0":
            error = HttpParseError(505, "HTTP version not supported")

        # Connection.
        keep_alive = http11
        keep_alive_token = False
        conn = index.get("connection")
        if conn is not None:
            tokens = connection_tokens(conn)
            keep_alive_token = "keep-alive" in tokens
            if "close" in tokens:
                keep_alive = False
            elif keep_alive_token:
                keep_alive = True

        # Expect (HTTP/1.1 only, first value, as Tomcat).
        expect = False
        if http11:
            values = index.get("expect")
            if values is not None:
                if values[0].lower() != "100-continue":
                    error = HttpParseError(417, "Unsupported expectation")
                else:
                    expect = True

        # Host: more than one, or none on HTTP/1.1.
        hosts = index.get("host")
        if hosts is not None:
            if len(hosts) > 1:
                error = HttpParseError(400, "More than one Host header")
        elif http11:
            error = HttpParseError(400, "Missing Host header")

        # The request target: an absolute-form's authority (and, on
        # HTTP/1.1, its agreement with Host), the characters of the path.
        if target[0] != "/":
            if target != "*" and method != "CONNECT":
                authority = _absolute_authority(target)
                if authority is None:
                    error = HttpParseError(400, "Invalid request target")
                elif http11 and hosts is not None and authority.lower() != hosts[0].lower():
                    error = HttpParseError(400, "Host header does not match the request target")
        elif not path_ok:
            error = HttpParseError(400, "Invalid character in request path")

        # Message body framing: Transfer-Encoding, then Content-Length.
        te = index.get("transfer-encoding")
        cl = index.get("content-length")
        content_length: int | None = None
        te_ok = False
        if te is not None:
            codings = token_list(te)
            if codings is None:
                error = HttpParseError(400, "Invalid Transfer-Encoding header")
            else:
                te_ok = True
                chunked = False
                for coding in codings:
                    if chunked:
                        error = HttpParseError(400, "chunked must be the last transfer coding")
                        te_ok = False
                    elif coding == "chunked":
                        chunked = True
                    else:
                        error = HttpParseError(501, "Unsupported transfer coding")
                        te_ok = False
            if not http11:
                # Tomcat 10.1: Transfer-Encoding is HTTP/1.1 only.
                error = HttpParseError(400, f"Transfer-Encoding in an {version} request")
                te_ok = False
        if cl is not None:
            if len(cl) > 1:
                error = HttpParseError(400, "More than one Content-Length")
            else:
                value = cl[0]
                if not (value.isdigit() and value.isascii()) or len(value) > 19 or int(value) > _MAX_CONTENT_LENGTH:
                    error = HttpParseError(400, "Invalid Content-Length")
                elif te_ok:
                    # Stricter than Tomcat on purpose (request smuggling).
                    error = HttpParseError(400, "Both Content-Length and Transfer-Encoding present")
                else:
                    content_length = int(value)

        # Host: its syntax.
        if hosts is not None:
            host = hosts[0]
            if host and not valid_host(host):
                error = HttpParseError(400, "Invalid Host header")

        if error is not None:
            if error.status != 400 and not _uri_decodes(target):
                # Tomcat's CoyoteAdapter still decodes and normalises the
                # URI of such a request, and a bad one makes it a 400.
                error = HttpParseError(400, "Invalid URI")
            raise error

        if te is not None:
            framing = "chunked"
            self._body = ChunkedReader(self.max_trailer_size, self.max_chunk_extension_size)
            self._state = _S_CHUNKED
            self._scan = self._pos
        elif content_length is not None:
            framing = "length"
            if content_length:
                self._body = LengthReader(content_length)
                self._state = _S_LENGTH
            else:
                self._state = _S_EOM
        else:
            framing = "none"
            self._state = _S_EOM

        return RequestHead(
            method,
            target,
            version,
            Headers.from_parsed(items, index),
            framing,
            content_length,
            expect,
            keep_alive,
            keep_alive_token,
        )

    def _next_body(self) -> Event:
        """The next event of the body, read by the current body reader."""
        body = self._body
        if type(body) is LengthReader:
            event: Event | None = body.next_event(self._buf, self._pos, self._eof)
            self._pos = body.pos
            if body.remaining == 0:
                self._state = _S_EOM
                self._body = None
        else:
            assert type(body) is ChunkedReader
            event = body.next_event(self._buf, self._pos, self._scan, self._eof)
            self._pos = body.pos
            self._scan = body.scan
            if type(event) is EndOfMessage:
                self._state = _S_DONE
                self._body = None
        return NEED_DATA if event is None else event
