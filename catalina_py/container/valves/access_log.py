"""``AccessLogValve``: one line per request, as Tomcat's ``AccessLogValve``.

The line is described by a *pattern* of ``%`` codes (Apache httpd's
``mod_log_config`` syntax, with Tomcat's codes and meanings; ``common`` and
``combined`` are aliases). It goes to ``directory/prefix + date + suffix``
(``logs/localhost_access_log.2026-11-22.txt`` by default), a new file each
day.

The valve sits on the request path of every request, so it is built for
speed:

* the pattern is compiled once into a ``%``-format template and a tuple of
  small functions, one per variable code (constant codes such as ``%l`` are
  folded into the template);
* the Common Log Format time (``%t``) and ``%{...}t`` formats are computed
  once per second and cached;
* with ``buffered`` (the default) lines are kept in memory and written in
  one ``write`` when they pass 32 KiB, on the first line of a new second,
  about once a second from a background greenlet, and on stop -- so there is
  no system call per request;
* the date of the file name is checked once per second, not per line.

The adapter calls :meth:`AccessLogValve.log_access` after the response is
complete; the valve's ``invoke`` just passes the request on.
"""

from __future__ import annotations

import codecs
import logging
import os
import re
import time
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Mapping

import gevent

from ...http.errors import ClientAbortError
from ...lifecycle import LifecycleState
from ..pipeline import ValveBase, to_bool

if TYPE_CHECKING:  # pragma: no cover
    from ...servlet.request import HttpServletRequest
    from ...servlet.response import HttpServletResponse

log = logging.getLogger("catalina_py.container.valves.access_log")

__all__ = ["AccessLogValve", "compile_pattern", "compile_date_format", "escape",
           "COMMON_PATTERN", "COMBINED_PATTERN"]

COMMON_PATTERN = '%h %l %u %t "%r" %s %b'
COMBINED_PATTERN = COMMON_PATTERN + ' "%{Referer}i" "%{User-Agent}i"'
_ALIASES = {"common": COMMON_PATTERN, "combined": COMBINED_PATTERN}

#: Buffered lines are written out once they hold this many characters.
FLUSH_THRESHOLD = 32 * 1024

#: Request attribute holding what a servlet raised (for ``%X``).
_ERROR_EXCEPTION = "jakarta.servlet.error.exception"

#: One element of a compiled pattern: ``(request, response, elapsed_seconds,
#: now) -> text``, where *now* is the time the line is written.
Element = Callable[[Any, Any, float, float], str]

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


# -- escaping -----------------------------------------------------------------

_NEEDS_ESCAPE = re.compile(r'[^\x20-\x7e]|["\\]')
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape_char(match: re.Match[str]) -> str:
    ch = match.group()
    special = _ESCAPES.get(ch)
    if special is not None:
        return special
    code = ord(ch)
    if code > 0xFFFF:  # as Java sees it: a surrogate pair, two \\u escapes
        code -= 0x10000
        return "\\u%04x\\u%04x" % (0xD800 + (code >> 10), 0xDC00 + (code & 0x3FF))
    return "\\u%04x" % code


def escape(value: str | None) -> str:
    """Make a user-supplied value safe for one log line, as Tomcat's
    ``escapeAndAppend`` (after httpd): ``"`` and ``\\`` get a backslash,
    \\f \\n \\r \\t their C escapes, other control and non-ASCII characters
    ``\\uXXXX``; an empty or missing value is ``-``."""
    if not value:
        return "-"
    if _NEEDS_ESCAPE.search(value) is None:
        return value
    return _NEEDS_ESCAPE.sub(_escape_char, value)


def _escape_nonempty(value: str) -> str:
    """:func:`escape` for values that may legitimately be empty (``%q``)."""
    if not value or _NEEDS_ESCAPE.search(value) is None:
        return value
    return _NEEDS_ESCAPE.sub(_escape_char, value)


# -- time formats -------------------------------------------------------------

def _tz_offset(tm: time.struct_time, colon: bool = False) -> str:
    offset = tm.tm_gmtoff or 0
    sign = "-" if offset < 0 else "+"
    hours, minutes = divmod(abs(offset) // 60, 60)
    return f"{sign}{hours:02d}:{minutes:02d}" if colon else f"{sign}{hours:02d}{minutes:02d}"


def _clf(seconds: int) -> str:
    """``[22/Nov/2026:03:04:05 +0000]`` in the local time zone."""
    tm = time.localtime(seconds)
    return "[%02d/%s/%04d:%02d:%02d:%02d %s]" % (
        tm.tm_mday, _MONTHS[tm.tm_mon - 1][:3], tm.tm_year, tm.tm_hour, tm.tm_min,
        tm.tm_sec, _tz_offset(tm))


def _sdf_field(letter: str, count: int) -> Callable[[time.struct_time, int], str]:
    """The formatter of one Java ``SimpleDateFormat`` field: *letter*
    repeated *count* times. Gets the local time and the milliseconds."""
    def num(get: Callable[[time.struct_time], int]) -> Callable[[time.struct_time, int], str]:
        width = count
        return lambda tm, ms: str(get(tm)).zfill(width)

    if letter == "y":
        if count == 2:
            return lambda tm, ms: "%02d" % (tm.tm_year % 100)
        return num(lambda tm: tm.tm_year)
    if letter == "M":
        if count >= 4:
            return lambda tm, ms: _MONTHS[tm.tm_mon - 1]
        if count == 3:
            return lambda tm, ms: _MONTHS[tm.tm_mon - 1][:3]
        return num(lambda tm: tm.tm_mon)
    if letter == "E":
        if count >= 4:
            return lambda tm, ms: _DAYS[tm.tm_wday]
        return lambda tm, ms: _DAYS[tm.tm_wday][:3]
    simple: dict[str, Callable[[time.struct_time], int]] = {
        "d": lambda tm: tm.tm_mday,
        "D": lambda tm: tm.tm_yday,
        "H": lambda tm: tm.tm_hour,
        "k": lambda tm: tm.tm_hour or 24,
        "K": lambda tm: tm.tm_hour % 12,
        "h": lambda tm: tm.tm_hour % 12 or 12,
        "m": lambda tm: tm.tm_min,
        "s": lambda tm: tm.tm_sec,
        "u": lambda tm: tm.tm_wday + 1,
    }
    if letter in simple:
        return num(simple[letter])
    if letter == "S":
        # Tomcat's reading of S: "SSS" is the zero-padded milliseconds,
        # a lone "S" the plain number.
        if count >= 3:
            return lambda tm, ms: "%03d" % ms
        return lambda tm, ms: str(ms)
    if letter == "a":
        return lambda tm, ms: "AM" if tm.tm_hour < 12 else "PM"
    if letter == "G":
        return lambda tm, ms: "AD"
    if letter == "z":
        return lambda tm, ms: tm.tm_zone or _tz_offset(tm)
    if letter == "Z":
        return lambda tm, ms: _tz_offset(tm)
    if letter == "X":
        def iso(tm: time.struct_time, ms: int) -> str:
            if not tm.tm_gmtoff:
                return "Z"
            text = _tz_offset(tm, colon=count >= 3)
            return text[:3] if count == 1 else text
        return iso
    raise ValueError(f"unsupported date format letter {letter!r}")


def compile_date_format(fmt: str) -> Callable[[float], str]:
    """Compile a Java ``SimpleDateFormat`` pattern (the common subset:
    ``G y M d D E u H k K h a m s S z Z X`` and ``'quoted text'``) into a
    function of a timestamp, formatted in the local time zone. Results are
    cached per second unless the pattern shows milliseconds. Raises
    ValueError for letters it does not know."""
    parts: list[str | Callable[[time.struct_time, int], str]] = []
    uses_ms = False
    i, n = 0, len(fmt)
    while i < n:
        ch = fmt[i]
        if ch == "'":
            end = fmt.find("'", i + 1)
            if end == i + 1:  # '' is a literal quote
                parts.append("'")
                i += 2
                continue
            if end < 0:
                raise ValueError(f"unterminated quote in date format {fmt!r}")
            parts.append(fmt[i + 1:end].replace("''", "'"))
            i = end + 1
            continue
        if ch.isascii() and ch.isalpha():
            j = i
            while j < n and fmt[j] == ch:
                j += 1
            parts.append(_sdf_field(ch, j - i))
            uses_ms = uses_ms or ch == "S"
            i = j
            continue
        parts.append(ch)
        i += 1
    plan = tuple(parts)

    def render(timestamp: float) -> str:
        seconds, ms = divmod(round(timestamp * 1000), 1000)
        tm = time.localtime(seconds)
        return "".join(p if isinstance(p, str) else p(tm, ms) for p in plan)

    if uses_ms:
        return render
    cache: list[Any] = [None, ""]

    def cached(timestamp: float) -> str:
        seconds = int(timestamp)
        if seconds != cache[0]:
            cache[0] = seconds
            cache[1] = render(seconds)
        return cache[1]

    return cached


class _ClfCache:
    """The ``%t`` text of the last second asked for (one entry is enough:
    lines arrive in time order)."""

    __slots__ = ("second", "text")

    def __init__(self) -> None:
        self.second = -1
        self.text = ""

    def element(self, request: Any, response: Any, elapsed: float, now: float) -> str:
        seconds = int(now - elapsed)  # the request's start, as Tomcat logs
        if seconds != self.second:
            self.second = seconds
            self.text = _clf(seconds)
        return self.text


# -- the elements -------------------------------------------------------------

def _remote_addr(rq: Any, rs: Any, el: float, now: float) -> str:
    # The client a RemoteIpValve found, else the socket's peer.
    return getattr(rq, "_remote_addr_override", None) or rq._channel.remote_addr or "-"


def _local_addr(rq: Any, rs: Any, el: float, now: float) -> str:
    return rq._channel.local_addr or "-"


def _bytes_dash(rq: Any, rs: Any, el: float, now: float) -> str:
    sent = rq._channel.bytes_sent
    return str(sent) if sent > 0 else "-"


def _bytes(rq: Any, rs: Any, el: float, now: float) -> str:
    return str(rq._channel.bytes_sent)


def _protocol(rq: Any, rs: Any, el: float, now: float) -> str:
    return _escape_nonempty(rq._head.version or "")


def _method(rq: Any, rs: Any, el: float, now: float) -> str:
    return _escape_nonempty(rq._head.method or "")


def _local_port(rq: Any, rs: Any, el: float, now: float) -> str:
    return str(rq._channel.local_port)


def _remote_port(rq: Any, rs: Any, el: float, now: float) -> str:
    return str(rq._channel.remote_port)


def _query(rq: Any, rs: Any, el: float, now: float) -> str:
    query = rq._query_string
    return "" if query is None else "?" + _escape_nonempty(query)


def _request_line(rq: Any, rs: Any, el: float, now: float) -> str:
    head = rq._head
    if not head.method:
        return "-"
    query = rq._query_string
    if query is None:
        line = f"{head.method} {rq._request_uri} {head.version}"
    else:
        line = f"{head.method} {rq._request_uri}?{query} {head.version}"
    # Tomcat relies on its parser having rejected such characters; escaping
    # here too costs one regex scan and keeps a forged line out of the log.
    if _NEEDS_ESCAPE.search(line) is None:
        return line
    return _NEEDS_ESCAPE.sub(_escape_char, line)


def _status(rq: Any, rs: Any, el: float, now: float) -> str:
    return str(rs._status)


def _session(rq: Any) -> Any:
    """The request's session if it has one (never creates one)."""
    getter = getattr(rq, "get_session", None)
    if getter is None:
        return None
    try:
        return getter(False)
    except TypeError:
        return getter(create=False)


def _session_id(rq: Any, rs: Any, el: float, now: float) -> str:
    session = _session(rq)
    if session is None:
        return "-"
    get_id = getattr(session, "get_id", None)
    return escape(str(get_id() if get_id is not None else getattr(session, "id", "")))


def _remote_user(rq: Any, rs: Any, el: float, now: float) -> str:
    getter = getattr(rq, "get_remote_user", None)
    return escape(getter()) if getter is not None else "-"


def _request_uri(rq: Any, rs: Any, el: float, now: float) -> str:
    return escape(rq._request_uri)


def _server_name(rq: Any, rs: Any, el: float, now: float) -> str:
    return escape(rq.get_server_name())


def _micros(rq: Any, rs: Any, el: float, now: float) -> str:
    return str(int(el * 1_000_000))


def _millis(rq: Any, rs: Any, el: float, now: float) -> str:
    return str(int(el * 1000))


def _nanos(rq: Any, rs: Any, el: float, now: float) -> str:
    return str(int(el * 1_000_000_000))


def _seconds(rq: Any, rs: Any, el: float, now: float) -> str:
    return str(int(el))


def _frac_seconds(rq: Any, rs: Any, el: float, now: float) -> str:
    millis = int(el * 1000)
    return "%d.%03d" % divmod(millis, 1000)


def _thread_name(rq: Any, rs: Any, el: float, now: float) -> str:
    current = gevent.getcurrent()
    name = getattr(current, "name", None)
    return name if isinstance(name, str) and name else "greenlet-%x" % id(current)


def _connection_status(rq: Any, rs: Any, el: float, now: float) -> str:
    channel = rq._channel
    if getattr(channel, "aborted", False):
        return "X"
    if isinstance(rq.get_attribute(_ERROR_EXCEPTION), ClientAbortError):
        return "X"
    return "+" if channel.keep_alive else "-"


def _request_header(name: str) -> Element:
    def element(rq: Any, rs: Any, el: float, now: float) -> str:
        values = rq.get_headers(name)
        if not values:
            return "-"
        return ",".join([escape(v) for v in values])
    return element


def _response_header(name: str) -> Element:
    lower = name.lower()

    def element(rq: Any, rs: Any, el: float, now: float) -> str:
        if lower in ("content-type", "content-length"):
            value = rs.get_header(name)
            values = [value] if value is not None else []
        elif lower == "set-cookie":
            values = [v for k, v in rs._header_items() if k == "Set-Cookie"]
        else:
            values = rs.get_headers(name)
        if not values:
            return "-"
        return ",".join([escape(v) for v in values])
    return element


def _cookie(name: str) -> Element:
    def element(rq: Any, rs: Any, el: float, now: float) -> str:
        values = [c.value for c in rq.get_cookies() if c.name == name]
        return escape(",".join(values)) if values else "-"
    return element


def _request_attribute(name: str) -> Element:
    def element(rq: Any, rs: Any, el: float, now: float) -> str:
        value = rq.get_attribute(name)
        return "-" if value is None else escape(str(value))
    return element


def _session_attribute(name: str) -> Element:
    def element(rq: Any, rs: Any, el: float, now: float) -> str:
        session = _session(rq)
        value = None if session is None else session.get_attribute(name)
        return "-" if value is None else escape(str(value))
    return element


def _connection_id(rq: Any, rs: Any, el: float, now: float) -> str:
    channel = rq._channel
    ident = getattr(channel, "connection_id", None)
    return str(ident) if ident is not None else "%x" % id(channel)


def _time_element(spec: str, clf: _ClfCache) -> Element:
    """``%{spec}t``: ``[begin:|end:]`` then ``sec``, ``msec``, ``msec_frac``
    or a SimpleDateFormat pattern (empty: Common Log Format)."""
    begin = True
    if spec == "begin" or spec.startswith("begin:"):
        spec = spec[6:]
    elif spec == "end" or spec.startswith("end:"):
        begin = False
        spec = spec[4:]

    def stamp(el: float, now: float) -> float:
        return now - el if begin else now

    if not spec:
        if begin:
            return clf.element
        end_clf = _ClfCache()
        return lambda rq, rs, el, now: end_clf.element(rq, rs, 0.0, now)
    if spec == "sec":
        return lambda rq, rs, el, now: str(int(stamp(el, now)))
    if spec == "msec":
        return lambda rq, rs, el, now: str(round(stamp(el, now) * 1000))
    if spec == "msec_frac":
        return lambda rq, rs, el, now: "%03d" % (round(stamp(el, now) * 1000) % 1000)
    formatter = compile_date_format(spec)
    needs_escape = _NEEDS_ESCAPE.search(spec) is not None
    if needs_escape:
        return lambda rq, rs, el, now: escape(formatter(stamp(el, now)))
    return lambda rq, rs, el, now: formatter(stamp(el, now))


_SIMPLE: dict[str, Element] = {
    "a": _remote_addr, "A": _local_addr, "b": _bytes_dash, "B": _bytes, "h": _remote_addr,
    "H": _protocol, "m": _method, "p": _local_port, "q": _query, "r": _request_line,
    "s": _status, "S": _session_id, "u": _remote_user, "U": _request_uri, "v": _server_name,
    "D": _micros, "T": _seconds, "F": _millis, "I": _thread_name, "X": _connection_status,
}
_CONSTANT = {"l": "-"}


def _named_element(name: str, code: str, clf: _ClfCache) -> Element | str:
    """The element of ``%{name}code``."""
    if code == "i":
        return _request_header(name)
    if code == "o":
        return _response_header(name)
    if code == "c":
        return _cookie(name)
    if code == "r":
        return _request_attribute(name)
    if code == "s":
        return _session_attribute(name)
    if code == "t":
        return _time_element(name, clf)
    if code == "a":
        if name not in ("remote", "peer"):
            log.error("Invalid remote address type [%s], using remote (non-peer) address", name)
        return _remote_addr
    if code == "p":
        if name == "remote":
            return _remote_port
        if name != "local":
            log.error("Invalid port type [%s], using server (local) port", name)
        return _local_port
    if code == "T":
        return {"ns": _nanos, "us": _micros, "ms": _millis,
                "fracsec": _frac_seconds}.get(name, _seconds)
    if code == "L":
        if name == "c":
            return _connection_id
        log.error("Invalid identifier type [%s]", name)
        return "???"
    return "???"


def compile_pattern(pattern: str) -> tuple[str, tuple[Element, ...]]:
    """Compile an access log pattern (or the alias ``common``/``combined``)
    into a ``%``-format template and the elements that fill its ``%s``
    slots, parsing it as Tomcat does (an unknown code logs ``???c???``, a
    ``{`` without its ``}`` is read as a code of its own). Raises
    ValueError for a bad ``%{...}t`` date format."""
    pattern = _ALIASES.get(pattern, pattern)
    clf = _ClfCache()
    template: list[str] = []
    elements: list[Element] = []

    def add(item: Element | str) -> None:
        if isinstance(item, str):
            template.append(item.replace("%", "%%"))
        else:
            template.append("%s")
            elements.append(item)

    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch != "%":
            j = pattern.find("%", i)
            j = n if j < 0 else j
            add(pattern[i:j])
            i = j
            continue
        if i + 1 >= n:
            break  # a trailing lone % writes nothing
        code = pattern[i + 1]
        if code == "{":
            close = pattern.find("}", i + 2)
            if close >= 0 and close + 1 < n:
                add(_named_element(pattern[i + 2:close], pattern[close + 1], clf))
                i = close + 2
                continue
        if code == "t":
            add(clf.element)
        elif code in _CONSTANT:
            add(_CONSTANT[code])
        elif code in _SIMPLE:
            add(_SIMPLE[code])
        else:
            add(f"???{code}???")
        i += 2
    return "".join(template), tuple(elements)


# -- attribute converters -------------------------------------------------------

def _pattern(value: str) -> str:
    compile_pattern(value)  # ValueError for a bad %{...}t format
    return value


def _date_format(value: str) -> str:
    compile_date_format(value)
    return value


def _encoding(value: str) -> str:
    try:
        codecs.lookup(value)
    except LookupError:
        raise ValueError(f"unknown character encoding {value!r}") from None
    return value


def _accepted(value: str) -> str:
    return value


class AccessLogValve(ValveBase):
    """Writes an access log line for each request, to a daily file.

    Attributes (Tomcat's names, see ``docs/valves.md``): ``directory``,
    ``prefix``, ``suffix``, ``fileDateFormat``, ``pattern``, ``rotatable``,
    ``renameOnRotate``, ``buffered``, ``encoding``, ``maxDays``,
    ``checkExists``, ``enabled``, ``condition``/``conditionUnless``,
    ``conditionIf``; ``requestAttributesEnabled``, ``locale``,
    ``ipv6Canonical`` and ``maxLogMessageBufferSize`` are accepted and
    ignored.

    ``catalina_base`` (set by the bootstrap) anchors a relative
    ``directory``; ``clock`` (``time.time`` by default) is the time source,
    replaceable by tests.
    """

    ATTRIBUTES: ClassVar[Mapping[str, Callable[[str], Any]]] = {
        "directory": str,
        "prefix": str,
        "suffix": str,
        "fileDateFormat": _date_format,
        "pattern": _pattern,
        "rotatable": to_bool,
        "renameOnRotate": to_bool,
        "buffered": to_bool,
        "encoding": _encoding,
        "maxDays": int,
        "checkExists": to_bool,
        "enabled": to_bool,
        "condition": str,
        "conditionUnless": str,
        "conditionIf": str,
        "requestAttributesEnabled": to_bool,
        "locale": _accepted,
        "ipv6Canonical": to_bool,
        "maxLogMessageBufferSize": int,
    }

    def __init__(self) -> None:
        super().__init__()
        self.catalina_base: str = os.getcwd()
        self.clock: Callable[[], float] = time.time
        self.directory = "logs"
        self.prefix = "localhost_access_log"
        self.suffix = ".txt"
        self.file_date_format = ".yyyy-MM-dd"
        self.pattern = "common"
        self.rotatable = True
        self.rename_on_rotate = False
        self.buffered = True
        self.encoding = "UTF-8"
        self.max_days = -1
        self.check_exists = False
        self.enabled = True
        self.condition: str | None = None
        self.condition_unless: str | None = None
        self.condition_if: str | None = None
        self.request_attributes_enabled = False
        self.locale = ""
        self.ipv6_canonical = False
        self.max_log_message_buffer_size = 256
        # Runtime state
        self._compiled_for: str | None = None
        self._template = ""
        self._elements: tuple[Element, ...] = ()
        self._stamp_format: Callable[[float], str] | None = None
        self._stamp_format_for: str | None = None
        self._date_stamp = ""
        self._file: Any = None
        self._file_path: str | None = None
        self._pending: list[str] = []
        self._pending_chars = 0
        self._second = -1
        self._flusher: Any = None

    def lifecycle_name(self) -> str:
        return "AccessLogValve"

    # -- lifecycle ------------------------------------------------------------
    def start_internal(self) -> None:
        """Compile the pattern, open today's file, start the flusher."""
        self._compile()
        now = self.clock()
        self._second = int(now)
        self._date_stamp = self._stamp(now)
        self._open()
        if self.buffered:
            self._flusher = gevent.spawn(self._flush_loop)

    def stop_internal(self) -> None:
        """Write what is buffered and close the file."""
        flusher, self._flusher = self._flusher, None
        if flusher is not None:
            flusher.kill(block=False)
        self._flush()
        self._close()

    # -- logging --------------------------------------------------------------
    def log_access(self, request: "HttpServletRequest", response: "HttpServletResponse",
                   elapsed: float) -> None:
        """Format the line of a completed request and buffer (or write) it."""
        if self.state is not LifecycleState.STARTED or not self.enabled:
            return
        if (self.condition or self.condition_unless or self.condition_if) and \
                not self._wanted(request):
            return
        if self._compiled_for is not self.pattern:
            self._compile()
        now = self.clock()
        if int(now) != self._second:
            self._new_second(now)
        line = self._template % tuple([e(request, response, elapsed, now) for e in self._elements])
        if self.buffered:
            self._pending.append(line)
            self._pending_chars += len(line)
            if self._pending_chars >= FLUSH_THRESHOLD:
                self._flush()
        else:
            self._write(line + os.linesep)

    def format_line(self, request: Any, response: Any, elapsed: float,
                    now: float | None = None) -> str:
        """The line :meth:`log_access` would write (without the newline)."""
        if self._compiled_for is not self.pattern:
            self._compile()
        if now is None:
            now = self.clock()
        return self._template % tuple([e(request, response, elapsed, now) for e in self._elements])

    def flush(self) -> None:
        """Write the buffered lines to the file now."""
        self._flush()

    def _wanted(self, request: Any) -> bool:
        unless = self.condition_unless or self.condition
        if unless and request.get_attribute(unless) is not None:
            return False
        if self.condition_if and request.get_attribute(self.condition_if) is None:
            return False
        return True

    def _compile(self) -> None:
        pattern = self.pattern
        self._template, self._elements = compile_pattern(pattern or "")
        self._compiled_for = pattern

    # -- files ----------------------------------------------------------------
    def _stamp(self, now: float) -> str:
        """The date part of the file name for time *now*."""
        if not self.rotatable:
            return ""
        if self._stamp_format is None or self._stamp_format_for != self.file_date_format:
            self._stamp_format = compile_date_format(self.file_date_format)
            self._stamp_format_for = self.file_date_format
        return self._stamp_format(now)

    def _directory_path(self) -> str:
        directory = os.path.expanduser(self.directory)
        if not os.path.isabs(directory):
            directory = os.path.join(self.catalina_base, directory)
        return directory

    def current_file(self) -> str:
        """The path lines are written to now."""
        stamp = "" if self.rename_on_rotate else self._date_stamp
        return os.path.join(self._directory_path(), self.prefix + stamp + self.suffix)

    def _open(self) -> None:
        path = self.current_file()
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            self._file = open(path, "ab", buffering=0)
            self._file_path = path
        except OSError as exc:
            log.error("Failed to open access log file [%s]: %s", path, exc)
            self._file = None
            self._file_path = None
            return
        if self.rotatable and self.max_days > 0:
            self._delete_old_files()

    def _close(self) -> None:
        file, self._file = self._file, None
        if file is not None:
            try:
                file.close()
            except OSError as exc:
                log.error("Failed to close access log file: %s", exc)

    def _new_second(self, now: float) -> None:
        """Once per second: flush, then rotate if the date stamp changed,
        or reopen a file that is missing."""
        self._second = int(now)
        if self._pending:
            self._flush()
        stamp = self._stamp(now)
        if stamp != self._date_stamp:
            self._rotate(stamp)
        elif self._file is None or (self.check_exists and self._file_path is not None
                                    and not os.path.exists(self._file_path)):
            self._close()
            self._open()

    def _rotate(self, stamp: str) -> None:
        """Close the current file and start the one of *stamp*."""
        old_stamp, self._date_stamp = self._date_stamp, stamp
        self._close()
        if self.rename_on_rotate and self._file_path is not None:
            directory = os.path.dirname(self._file_path)
            target = os.path.join(directory, self.prefix + old_stamp + self.suffix)
            if os.path.exists(target):
                log.error("Failed to rename access log from [%s] to [%s], file already exists.",
                          self._file_path, target)
            else:
                try:
                    os.rename(self._file_path, target)
                except OSError as exc:
                    log.error("Failed to rename access log from [%s] to [%s]: %s",
                              self._file_path, target, exc)
        self._open()

    def _delete_old_files(self) -> None:
        """Remove this valve's files last modified more than maxDays ago."""
        directory = self._directory_path()
        limit = self.clock() - self.max_days * 86400
        try:
            names = os.listdir(directory)
        except OSError:
            return
        for name in names:
            if self.prefix and not name.startswith(self.prefix):
                continue
            if self.suffix and not name.endswith(self.suffix):
                continue
            if not self.prefix and not self.suffix:
                continue
            path = os.path.join(directory, name)
            if path == self._file_path:
                continue
            try:
                if os.path.isfile(path) and os.path.getmtime(path) < limit:
                    os.remove(path)
            except OSError as exc:
                log.error("Failed to delete old access log [%s]: %s", path, exc)

    def _flush(self) -> None:
        if not self._pending:
            return
        sep = os.linesep
        text = sep.join(self._pending) + sep
        self._pending = []
        self._pending_chars = 0
        self._write(text)

    def _write(self, text: str) -> None:
        file = self._file
        if file is None:
            return  # the file could not be opened; retried once a second
        try:
            file.write(text.encode(self.encoding, "replace"))
        except OSError as exc:
            log.error("Failed to write access log: %s", exc)

    def _flush_loop(self) -> None:
        """Background greenlet: flush about once a second, so lines show up
        even when traffic stops."""
        while True:
            gevent.sleep(1.0)
            try:
                if self._pending:
                    self._flush()
            except Exception:  # pragma: no cover - logged, never fatal
                log.exception("Access log flush failed")
