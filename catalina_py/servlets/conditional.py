"""The pure decision logic of the DefaultServlet: ETags, HTTP dates,
conditional requests (RFC 9110 section 13) and byte ranges (section 14).

Behaviour follows Tomcat 10.1's ``DefaultServlet`` (``checkIfHeaders``,
``parseRange``, ``checkIfRange``, the multipart ``copy``) and
``AbstractResource.getETag``; where Tomcat departs from the RFC's "MAY"s the
Tomcat choice is taken and noted.  Nothing here does I/O or reads the clock:
the servlet passes in the resource's length, modification time and ETag, and
the request headers through a getter.
"""

from __future__ import annotations

import calendar
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ..http.grammar import TCHAR_SET
from ..http.writer import http_date

__all__ = [
    "MIME_BOUNDARY",
    "make_etag",
    "http_date",
    "parse_http_date",
    "check_conditions",
    "RangeResult",
    "parse_range",
    "content_range",
    "unsatisfied_content_range",
    "multipart_content_type",
    "multipart_part_header",
    "multipart_end",
    "multipart_length",
]

#: The boundary Tomcat's DefaultServlet uses for multipart/byteranges.
MIME_BOUNDARY = "CATALINA_MIME_BOUNDARY"

_LONG_MAX = 2**63 - 1


# --------------------------------------------------------------------------
# ETags
# --------------------------------------------------------------------------


def make_etag(length: int, last_modified_ms: int) -> str:
    """Tomcat's default (weak) ETag: ``W/"<length>-<lastModifiedMillis>"``."""
    return f'W/"{length}-{last_modified_ms}"'


_ETAG_RE = re.compile(r'[ \t]*(W/)?("(?:[^"\\]|\\.)*")[ \t]*')


def _parse_etags(value: str) -> list[tuple[bool, str]] | None:
    """Parse ``1#entity-tag`` into ``[(weak, '"opaque"'), ...]``.

    Returns ``None`` for a malformed list (empty elements included), as
    Tomcat's ``EntityTag.compareEntityTag`` does.
    """
    tags: list[tuple[bool, str]] = []
    pos, end = 0, len(value)
    while True:
        match = _ETAG_RE.match(value, pos)
        if match is None:
            return None
        tags.append((match.group(1) is not None, match.group(2)))
        pos = match.end()
        if pos == end:
            return tags
        if value[pos] != ",":
            return None
        pos += 1


def _split_etag(etag: str) -> tuple[bool, str]:
    """Split a resource ETag into ``(weak, opaque_tag)``."""
    if etag.startswith("W/"):
        return True, etag[2:]
    return False, etag


# --------------------------------------------------------------------------
# HTTP dates
# --------------------------------------------------------------------------

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_NUM = {m.lower(): i + 1 for i, m in enumerate(_MONTHS)}
_DAY_NAMES = "mon|tue|wed|thu|fri|sat|sun"
_LONG_DAY_NAMES = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_MONTH_NAMES = "|".join(m.lower() for m in _MONTHS)
_TIME = r"(\d\d):(\d\d):(\d\d)"

_IMF_RE = re.compile(rf"(?:{_DAY_NAMES}), (\d\d) ({_MONTH_NAMES}) (\d{{4}}) {_TIME} gmt", re.I)
_RFC850_RE = re.compile(rf"(?:{_LONG_DAY_NAMES}), (\d\d)-({_MONTH_NAMES})-(\d\d) {_TIME} gmt", re.I)
_ASCTIME_RE = re.compile(rf"(?:{_DAY_NAMES}) ({_MONTH_NAMES}) ( \d|\d\d?) {_TIME} (\d{{4}})", re.I)


def parse_http_date(value: str | None, now: float | None = None) -> float | None:
    """Parse an HTTP date into seconds since the epoch, or ``None``.

    Accepts the three forms RFC 9110 section 5.6.7 says recipients must:
    IMF-fixdate (``Sun, 06 Nov 1994 08:49:37 GMT``), RFC 850
    (``Sunday, 06-Nov-94 08:49:37 GMT``) and asctime
    (``Sun Nov  6 08:49:37 1994``).  Names are matched case-insensitively
    (Tomcat's ``FastHttpDateFormat`` is as lenient); the day name is not
    checked against the date.

    :param now: the current time, for the RFC 850 two-digit year: a year
        more than 50 years ahead of ``now`` means the previous century.
        Without it (this module reads no clock) ``69``-``99`` are 19xx and
        ``00``-``68`` are 20xx.
    """
    if not value:
        return None
    value = value.strip()
    match = _IMF_RE.fullmatch(value)
    if match is not None:
        day, mon, year, hh, mm, ss = match.groups()
    else:
        match = _RFC850_RE.fullmatch(value)
        if match is not None:
            day, mon, yy, hh, mm, ss = match.groups()
            year = str(_expand_year(int(yy), now))
        else:
            match = _ASCTIME_RE.fullmatch(value)
            if match is None:
                return None
            mon, day, hh, mm, ss, year = match.groups()
    y, m, d = int(year), _MONTH_NUM[mon.lower()], int(day)
    h, mi, s = int(hh), int(mm), int(ss)
    if y < 1 or not 1 <= d <= calendar.monthrange(y, m)[1]:
        return None
    if h > 23 or mi > 59 or s > 60:
        return None
    return float(calendar.timegm((y, m, d, h, mi, s, 0, 0, 0)))


def _expand_year(yy: int, now: float | None) -> int:
    """Expand an RFC 850 two-digit year."""
    if now is None:
        return 1900 + yy if yy >= 69 else 2000 + yy
    this_year = time.gmtime(int(now)).tm_year
    year = this_year - this_year % 100 + yy
    if year > this_year + 50:
        year -= 100
    return year


def _to_ms(seconds: float) -> int:
    """Seconds (float) to whole milliseconds, as Tomcat's ``long`` times."""
    return round(seconds * 1000)


# --------------------------------------------------------------------------
# Conditional requests
# --------------------------------------------------------------------------


def check_conditions(
    method: str, headers_get: Callable[[str], str | None], etag: str | None, last_modified: float
) -> int | None:
    """Evaluate the preconditions, as Tomcat's ``checkIfHeaders``.

    RFC 9110 section 13.2.2 order: If-Match, else If-Unmodified-Since; then
    If-None-Match, else If-Modified-Since.

    * **If-Match** -- strong comparison, so Tomcat's weak ETags only ever
      match ``*``; no match -> 412; a malformed list -> 400.
    * **If-Unmodified-Since** (only without If-Match) -- 412 when modified
      one second or more after the date; ignored if unparseable or if the
      resource has no modification time (``last_modified <= 0``).
    * **If-None-Match** -- weak comparison, ``*`` matches any existing
      resource; a match -> 304 for GET/HEAD, 412 otherwise; malformed -> 400.
      When present, If-Modified-Since is not looked at.
    * **If-Modified-Since** (GET/HEAD only) -- 304 unless modified one
      second or more after the date; ignored if unparseable (a list of
      dates is unparseable) or without a modification time.

    :param headers_get: returns a request header's (combined) value or
        ``None``; names are passed as spelled above.
    :param etag: the resource's ETag (``make_etag``), ``None`` if it has none.
    :param last_modified: modification time, seconds since the epoch.
    :returns: 304, 400 or 412 to stop (on 304 the caller sends the ETag),
        or ``None`` to go on.
    """
    lm_ms = _to_ms(last_modified)

    if_match = headers_get("If-Match")
    if if_match is not None:
        status = _check_if_match(if_match.strip(), etag)
        if status is not None:
            return status
    else:
        ius = headers_get("If-Unmodified-Since")
        if ius is not None and lm_ms > 0:
            date = parse_http_date(ius)
            if date is not None and lm_ms >= _to_ms(date) + 1000:
                return 412

    if_none_match = headers_get("If-None-Match")
    if if_none_match is not None:
        matched = _if_none_match_matches(if_none_match.strip(), etag)
        if matched is None:
            return 400
        if matched:
            return 304 if method in ("GET", "HEAD") else 412
        return None

    ims = headers_get("If-Modified-Since")
    if ims is not None and method in ("GET", "HEAD") and lm_ms > 0:
        date = parse_http_date(ims)
        if date is not None and lm_ms < _to_ms(date) + 1000:
            return 304
    return None


def _check_if_match(value: str, etag: str | None) -> int | None:
    """If-Match: ``None`` if satisfied, else 412 (or 400 when malformed)."""
    if value == "*":
        return None if etag is not None else 412
    tags = _parse_etags(value)
    if tags is None:
        return 400
    if etag is not None:
        weak, opaque = _split_etag(etag)
        if not weak and any(not w and t == opaque for w, t in tags):
            return None
    return 412


def _if_none_match_matches(value: str, etag: str | None) -> bool | None:
    """If-None-Match: does a tag match (weakly)?  ``None`` if malformed."""
    if value == "*":
        return etag is not None
    tags = _parse_etags(value)
    if tags is None:
        return None
    if etag is None:
        return False
    opaque = _split_etag(etag)[1]
    return any(t == opaque for _, t in tags)


# --------------------------------------------------------------------------
# Ranges
# --------------------------------------------------------------------------


@dataclass(slots=True)
class RangeResult:
    """What to send for a (possible) Range request.

    :ivar kind: ``"full"`` (200, whole body), ``"partial"`` (206),
        ``"unsatisfiable"`` (416 with :func:`unsatisfied_content_range`) or
        ``"bad_request"`` (400: a malformed If-Range, as in Tomcat).
    :ivar ranges: for ``"partial"``, inclusive ``(start, end)`` byte
        positions already resolved against the length, in request order.
        One range -> a single part with Content-Range; more ->
        multipart/byteranges.
    """

    kind: str
    ranges: list[tuple[int, int]] = field(default_factory=list)

    @property
    def status(self) -> int:
        """The HTTP status this result calls for."""
        return {"full": 200, "partial": 206, "unsatisfiable": 416, "bad_request": 400}[self.kind]


_DIGITS = frozenset("0123456789")


def parse_range(
    range_header: str | None,
    if_range: str | None,
    length: int,
    etag: str | None,
    last_modified: float,
    method: str = "GET",
) -> RangeResult:
    """Decide between a full, partial, 416 or 400 answer; Tomcat's ``parseRange``.

    In Tomcat's order:

    1. no Range header, or a method other than GET -> ``full`` (RFC 9110
       14.2: Range is only defined for GET; HEAD gets the full headers);
    2. If-Range (``checkIfRange``): an entity-tag must equal the resource's
       ETag by *strong* comparison (so a weak tag, or Tomcat's weak ETags,
       never match); a date must equal the modification time to the second;
       no match -> ``full``; neither a single entity-tag nor a date ->
       ``bad_request``;
    3. an empty resource -> ``full`` (Tomcat ignores the header);
    4. a syntactically invalid header -> ``unsatisfiable`` (Tomcat has always
       answered 416 here rather than ignoring it);
    5. a unit other than ``bytes`` (case-insensitive) -> ``full``;
    6. ``unsatisfiable`` if *any* range is unsatisfiable (start beyond the
       end, or ``-0``), or, with three or more ranges, if more than two of
       them overlap (RFC 9110 allows rejecting such requests); Tomcat does
       not merge overlapping ranges, it serves them as asked;
    7. otherwise ``partial``: ``a-b`` is clamped to the length, ``a-`` runs
       to the end, ``-n`` is the last ``n`` bytes (the whole body if ``n``
       is at least the length).
    """
    if range_header is None or method != "GET":
        return RangeResult("full")
    if if_range is not None:
        verdict = _check_if_range(if_range, etag, last_modified)
        if verdict is None:
            return RangeResult("bad_request")
        if not verdict:
            return RangeResult("full")
    if length == 0:
        return RangeResult("full")
    parsed = _parse_range_header(range_header)
    if parsed is None:
        return RangeResult("unsatisfiable")
    units, entries = parsed
    if units != "bytes":
        return RangeResult("full")
    ranges = _resolve(entries, length)
    if ranges is None:
        return RangeResult("unsatisfiable")
    return RangeResult("partial", ranges)


def _check_if_range(value: str, etag: str | None, last_modified: float) -> bool | None:
    """If-Range: ``True`` to honour Range, ``False`` to send all, ``None`` = 400."""
    value = value.strip()
    if len(value) > 2 and (value[0] == '"' or value[2] == '"'):
        weak = value.startswith('W/"')
        if (not weak and value[0] != '"') or value[-1] != '"' or value.find('"', 3 if weak else 1) != len(value) - 1:
            return None  # not a single entity-tag
        return not weak and etag is not None and etag == value
    date = parse_http_date(value)
    if date is None:
        return None
    date_ms, lm_ms = _to_ms(date), _to_ms(last_modified)
    return date_ms <= lm_ms < date_ms + 1000


def _parse_range_header(value: str) -> tuple[str, list[tuple[int, int]]] | None:
    """Parse ``unit=a-b, c-, -n``; ``-1`` stands for an absent number.

    Syntax as Tomcat's ``Ranges.parse``: optional SP/HT around tokens, at
    least one range, no empty elements, ``a <= b``, numbers that fit in a
    signed 64-bit integer.  Returns ``None`` when invalid.
    """
    n = len(value)
    pos = _skip_ws(value, 0)
    start = pos
    while pos < n and value[pos] in TCHAR_SET:
        pos += 1
    units = value[start:pos].lower()
    if not units:
        return None
    pos = _skip_ws(value, pos)
    if pos >= n or value[pos] != "=":
        return None
    pos += 1
    entries: list[tuple[int, int]] = []
    while True:
        first, pos = _read_long(value, pos)
        pos = _skip_ws(value, pos)
        if pos >= n or value[pos] != "-":
            return None
        last, pos = _read_long(value, pos + 1)
        if first is None or last is None:
            return None  # a number too large for a long
        if first == -1 and last == -1:
            return None
        if last != -1 and first > last:
            return None
        entries.append((first, last))
        pos = _skip_ws(value, pos)
        if pos == n:
            return units, entries
        if value[pos] != ",":
            return None
        pos += 1


def _skip_ws(value: str, pos: int) -> int:
    """Skip SP and HT."""
    n = len(value)
    while pos < n and value[pos] in " \t":
        pos += 1
    return pos


def _read_long(value: str, pos: int) -> tuple[int | None, int]:
    """Read optional whitespace and digits: -1 if none, None if too large."""
    pos = _skip_ws(value, pos)
    start = pos
    n = len(value)
    while pos < n and value[pos] in _DIGITS:
        pos += 1
    if pos == start:
        return -1, pos
    number = int(value[start:pos])
    return (number if number <= _LONG_MAX else None), pos


def _resolve(entries: Sequence[tuple[int, int]], length: int) -> list[tuple[int, int]] | None:
    """Resolve parsed ranges against ``length``; ``None`` if unsatisfiable.

    Mirrors Tomcat's ``validate``: every range must be satisfiable, and with
    three or more ranges at most two may overlap (duplicates count).
    """
    resolved: list[tuple[int, int]] = []
    for first, last in entries:
        if first == -1:  # suffix: the last `last` bytes
            start = 0 if last >= length else length - last
            end = length - 1
        else:
            start = first
            end = length - 1 if last == -1 or last >= length else last
        if start > end:
            return None
        resolved.append((start, end))
    if len(resolved) < 3:
        return resolved
    ordered = sorted(set(resolved))
    overlaps = len(resolved) - len(ordered)
    if overlaps > 1:
        return None
    latest_end = -1
    for start, end in ordered:
        if start <= latest_end:
            overlaps += 1
            if overlaps > 1:
                return None
        latest_end = max(latest_end, end)
    return resolved


def content_range(start: int, end: int, length: int) -> str:
    """The Content-Range value of a part: ``bytes start-end/length``."""
    return f"bytes {start}-{end}/{length}"


def unsatisfied_content_range(length: int) -> str:
    """The Content-Range value of a 416: ``bytes */length``."""
    return f"bytes */{length}"


# --------------------------------------------------------------------------
# multipart/byteranges, byte for byte as Tomcat's DefaultServlet writes it:
#   for each range: CRLF "--" boundary CRLF [Content-Type: t CRLF]
#                   "Content-Range: bytes s-e/len" CRLF CRLF <bytes s..e>
#   then:           CRLF "--" boundary "--"
# --------------------------------------------------------------------------


def multipart_content_type(boundary: str = MIME_BOUNDARY) -> str:
    """The response Content-Type for a multi-range answer."""
    return f"multipart/byteranges; boundary={boundary}"


def multipart_part_header(boundary: str, content_type: str | None, start: int, end: int, length: int) -> bytes:
    """The bytes written before one part's data (``content_type`` may be None)."""
    type_line = f"Content-Type: {content_type}\r\n" if content_type else ""
    return (f"\r\n--{boundary}\r\n{type_line}" f"Content-Range: {content_range(start, end, length)}\r\n\r\n").encode(
        "latin-1"
    )


def multipart_end(boundary: str) -> bytes:
    """The bytes written after the last part."""
    return f"\r\n--{boundary}--".encode("latin-1")


def multipart_length(boundary: str, content_type: str | None, ranges: Sequence[tuple[int, int]], length: int) -> int:
    """The exact Content-Length of the multipart body for ``ranges``."""
    total = len(multipart_end(boundary))
    for start, end in ranges:
        total += len(multipart_part_header(boundary, content_type, start, end, length))
        total += end - start + 1
    return total
