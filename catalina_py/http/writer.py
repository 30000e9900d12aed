"""Pure serialisation of HTTP/1.1 responses.

Nothing here touches a socket: these helpers build the bytes the connector
writes. :func:`build_response_head` refuses header names that are not tokens
and values that could split the response (CR, LF, NUL), so an application
cannot inject extra header fields or a second response.

Unlike Tomcat 10, which sends status lines without a reason phrase
(``HTTP/1.1 200``), the status line carries the standard reason phrase
(``HTTP/1.1 200 OK``), for readability; see ``docs/http11.md``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from .grammar import TOKEN_RE

__all__ = [
    "CONTINUE_100",
    "LAST_CHUNK",
    "REASONS",
    "build_error_response",
    "build_response_head",
    "encode_chunk",
    "http_date",
]

#: Standard reason phrases (RFC 9110 section 15, plus the registered
#: WebDAV / RFC 6585 / RFC 8297 / RFC 8470 / RFC 7725 codes).
REASONS: dict[int, str] = {
    100: "Continue",
    101: "Switching Protocols",
    102: "Processing",
    103: "Early Hints",
    200: "OK",
    201: "Created",
    202: "Accepted",
    203: "Non-Authoritative Information",
    204: "No Content",
    205: "Reset Content",
    206: "Partial Content",
    207: "Multi-Status",
    208: "Already Reported",
    226: "IM Used",
    300: "Multiple Choices",
    301: "Moved Permanently",
    302: "Found",
    303: "See Other",
    304: "Not Modified",
    305: "Use Proxy",
    307: "Temporary Redirect",
    308: "Permanent Redirect",
    400: "Bad Request",
    401: "Unauthorized",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    407: "Proxy Authentication Required",
    408: "Request Timeout",
    409: "Conflict",
    410: "Gone",
    411: "Length Required",
    412: "Precondition Failed",
    413: "Content Too Large",
    414: "URI Too Long",
    415: "Unsupported Media Type",
    416: "Range Not Satisfiable",
    417: "Expectation Failed",
    421: "Misdirected Request",
    422: "Unprocessable Content",
    423: "Locked",
    424: "Failed Dependency",
    425: "Too Early",
    426: "Upgrade Required",
    428: "Precondition Required",
    429: "Too Many Requests",
    431: "Request Header Fields Too Large",
    451: "Unavailable For Legal Reasons",
    500: "Internal Server Error",
    501: "Not Implemented",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
    505: "HTTP Version Not Supported",
    506: "Variant Also Negotiates",
    507: "Insufficient Storage",
    508: "Loop Detected",
    510: "Not Extended",
    511: "Network Authentication Required",
}

#: The terminating zero-length chunk with an empty trailer section.
LAST_CHUNK = b"0\r\n\r\n"

#: The interim response sent to a client waiting on ``Expect: 100-continue``.
CONTINUE_100 = b"HTTP/1.1 100 Continue\r\n\r\n"

# Header names already checked; bounded so it cannot grow without limit.
_GOOD_NAMES: set[str] = set()
_CACHE_LIMIT = 512
# Whole header lines already checked and formatted, by (name, value): a
# server sends the same few (Content-Type, Server...) on every response.
_GOOD_LINES: dict[tuple[str, str], str] = {}
_LINE_CACHE_LIMIT = 1024
# Pre-built status lines for the standard codes, "HTTP/1.1 200 OK\r\n".
_STATUS_LINES: dict[int, str] = {code: f"HTTP/1.1 {code} {reason}\r\n" for code, reason in REASONS.items()}


def _check_name(name: str) -> None:
    if name in _GOOD_NAMES:
        return
    if not isinstance(name, str) or TOKEN_RE.match(name) is None:
        raise ValueError(f"invalid header name {name!r}")
    if len(_GOOD_NAMES) < _CACHE_LIMIT:
        _GOOD_NAMES.add(name)


def _check_value(name: str, value: str) -> None:
    if "\r" in value or "\n" in value or "\0" in value:
        raise ValueError(f"header {name!r} has a value containing CR, LF or NUL")


def build_response_head(
    status: int,
    headers: Iterable[tuple[str, str]],
    reason: str | None = None,
    version: str = "HTTP/1.1",
    *,
    trusted: Iterable[tuple[str, str]] = (),
    date: str | None = None,
) -> bytes:
    """Return the status line and header fields, ending in CRLF CRLF.

    ``reason`` overrides the standard phrase (an unknown status without
    one gets an empty phrase). Raises ``ValueError`` for a status outside
    100-999, a header name that is not a token, a value or reason holding
    CR/LF/NUL, or text that latin-1 cannot encode. ``trusted`` fields (the
    framing and ``Connection`` fields ``plan_response`` lists) follow
    ``headers`` without those checks, then ``Date: date`` when given.
    """
    if type(status) is not int or not 100 <= status <= 999:
        raise ValueError(f"invalid status code {status!r}")
    if reason is None and version == "HTTP/1.1":
        line = _STATUS_LINES.get(status)
        if line is None:
            line = f"HTTP/1.1 {status} \r\n"
    else:
        if reason is None:
            reason = REASONS.get(status, "")
        elif "\r" in reason or "\n" in reason or "\0" in reason:
            raise ValueError("reason phrase contains CR, LF or NUL")
        if version not in ("HTTP/1.1", "HTTP/1.0"):
            raise ValueError(f"invalid HTTP version {version!r}")
        line = f"{version} {status} {reason}\r\n"
    parts = [line]
    append = parts.append
    lines = _GOOD_LINES
    for item in headers:
        text = lines.get(item)
        if text is None:
            name, value = item
            if name not in _GOOD_NAMES:
                _check_name(name)
            if "\r" in value or "\n" in value or "\0" in value:
                _check_value(name, value)
            text = f"{name}: {value}\r\n"
            if len(lines) < _LINE_CACHE_LIMIT and len(text) <= 256:
                lines[item] = text
        append(text)
    for name, value in trusted:
        append(f"{name}: {value}\r\n")
    if date is not None:
        append(f"Date: {date}\r\n")
    append("\r\n")
    return "".join(parts).encode("latin-1")


def encode_chunk(data: bytes) -> bytes:
    """Frame ``data`` as one chunk (hex size CRLF data CRLF).

    Empty data gives ``b""``: a zero-length chunk would end the body.
    """
    if not data:
        return b""
    return b"%x\r\n%s\r\n" % (len(data), data)


def build_error_response(
    status: int,
    body: bytes = b"",
    content_type: str = "text/plain;charset=UTF-8",
    close: bool = True,
    date: str | None = None,
    content_language: str | None = None,
) -> bytes:
    """A complete minimal response for a request that failed to parse.

    Used by the connector before any servlet runs (400, 413, 417, 501,
    505 ...). Carries, in Tomcat's order, ``Content-Type`` and
    ``Content-Language`` (when given) if there is a body, ``Content-Length``,
    ``Date`` if the caller passes one (see :func:`http_date`), and
    ``Connection: close`` unless ``close`` is false.
    """
    headers: list[tuple[str, str]] = []
    if body:
        headers.append(("Content-Type", content_type))
        if content_language:
            headers.append(("Content-Language", content_language))
    headers.append(("Content-Length", str(len(body))))
    if date is not None:
        headers.append(("Date", date))
    if close:
        headers.append(("Connection", "close"))
    return build_response_head(status, headers) + body


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# (whole second, formatted) of the last call: a server formats the same
# second many times in a row.
_date_cache: tuple[int, str] = (-1, "")


def http_date(timestamp: float) -> str:
    """Format a POSIX timestamp as an IMF-fixdate (RFC 9110 5.6.7).

    ``http_date(784111777) == "Sun, 06 Nov 1994 08:49:37 GMT"``. The last
    result is cached per whole second. Day and month names are fixed
    English, whatever the locale.
    """
    global _date_cache
    second = int(timestamp // 1)
    cached = _date_cache
    if cached[0] == second:
        return cached[1]
    t = time.gmtime(second)
    text = (
        f"{_DAYS[t.tm_wday]}, {t.tm_mday:02d} {_MONTHS[t.tm_mon]} "
        f"{t.tm_year:04d} {t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} "
        "GMT"
    )
    _date_cache = (second, text)
    return text
