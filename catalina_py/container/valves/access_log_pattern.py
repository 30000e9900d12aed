"""The access log's pattern compiler: Tomcat's ``%`` codes -> a template
and a tuple of element functions.

A pattern (Apache httpd's ``mod_log_config`` syntax with Tomcat's codes and
meanings; ``common`` and ``combined`` are aliases) is compiled once into a
``%``-format template and a tuple of small functions, one per variable
code; constant codes such as ``%l`` are folded into the template. The
Common Log Format time (``%t``) and ``%{...}t`` formats are computed once per
second and cached (the formats themselves are :mod:`.access_log_dates`).
Also here: :func:`escape`, Tomcat's ``escapeAndAppend``.

Elements read the request and response through their public methods only
(:class:`LoggedRequest` and :class:`LoggedResponse` say which).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from typing import Protocol

import gevent

from ...http.errors import ClientAbortError
from .access_log_dates import clf, compile_date_format

log = logging.getLogger("catalina_py.container.valves.access_log")

__all__ = [
    "COMBINED_PATTERN",
    "COMMON_PATTERN",
    "Element",
    "LoggedRequest",
    "LoggedResponse",
    "compile_pattern",
    "escape",
]

COMMON_PATTERN = '%h %l %u %t "%r" %s %b'
COMBINED_PATTERN = COMMON_PATTERN + ' "%{Referer}i" "%{User-Agent}i"'
_ALIASES = {"common": COMMON_PATTERN, "combined": COMBINED_PATTERN}

#: Request attribute holding what a servlet raised (for ``%X``).
_ERROR_EXCEPTION = "jakarta.servlet.error.exception"


class _Cookie(Protocol):
    name: str
    value: str


class _Session(Protocol):
    def get_id(self) -> str: ...

    def get_attribute(self, name: str) -> object: ...


class _ServletConnection(Protocol):
    def get_connection_id(self) -> str: ...


class LoggedRequest(Protocol):
    """What the elements read of a request (``HttpServletRequest``'s public
    methods; the connection's through its container-side views)."""

    def get_remote_addr(self) -> str: ...

    def get_local_addr(self) -> str: ...

    def get_remote_port(self) -> int: ...

    def get_socket_local_port(self) -> int: ...

    def get_bytes_sent(self) -> int: ...

    def is_keep_alive(self) -> bool: ...

    def is_connection_aborted(self) -> bool: ...

    def get_servlet_connection(self) -> _ServletConnection: ...

    def get_method(self) -> str: ...

    def get_protocol(self) -> str: ...

    def get_request_uri(self) -> str: ...

    def get_query_string(self) -> str | None: ...

    def get_server_name(self) -> str: ...

    def get_headers(self, name: str) -> list[str]: ...

    def get_cookies(self) -> Sequence[_Cookie]: ...

    def get_attribute(self, name: str) -> object: ...

    # The request's session if it has one; never creates one.
    def get_session(self, create: bool = ...) -> _Session | None: ...


class LoggedResponse(Protocol):
    """What the elements read of a response."""

    def get_status(self) -> int: ...

    def get_header(self, name: str) -> str | None: ...

    def get_headers(self, name: str) -> list[str]: ...

    def header_items(self) -> list[tuple[str, str]]: ...


#: One element of a compiled pattern: ``(request, response, elapsed_seconds,
#: now) -> text``, where *now* is the time the line is written.
Element = Callable[[LoggedRequest, LoggedResponse, float, float], str]


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


class _ClfCache:
    """The ``%t`` text of the last second asked for (one entry is enough:
    lines arrive in time order)."""

    __slots__ = ("second", "text")

    def __init__(self) -> None:
        self.second = -1
        self.text = ""

    def element(self, request: LoggedRequest, response: LoggedResponse, elapsed: float, now: float) -> str:
        seconds = int(now - elapsed)  # the request's start, as Tomcat logs
        if seconds != self.second:
            self.second = seconds
            self.text = clf(seconds)
        return self.text


# -- the elements -------------------------------------------------------------


def _remote_addr(rq: LoggedRequest, rs: LoggedResponse, el: float, now: float) -> str:
    # The client a RemoteIpValve found, else the socket's peer.
    return rq.get_remote_addr() or "-"


def _local_addr(rq: LoggedRequest, rs: LoggedResponse, el: float, now: float) -> str:
    return rq.get_local_addr() or "-"


def _bytes_dash(rq: LoggedRequest, rs: LoggedResponse, el: float, now: float) -> str:
    sent = rq.get_bytes_sent()
    return str(sent) if sent > 0 else "-"


def _bytes(rq: LoggedRequest, rs: LoggedResponse, el: float, now: float) -> str:
    return str(rq.get_bytes_sent())


def _protocol(rq: LoggedRequest, rs: LoggedResponse, el: float, now: float) -> str:
    return _escape_nonempty(rq.get_protocol() or "")


def _method(rq: LoggedRequest, rs: LoggedResponse, el: float, now: float) -> str:
    return _escape_nonempty(rq.get_method() or "")


def _local_port(rq: LoggedRequest, rs: LoggedResponse, el: float, now: float) -> str:
    # The socket's port, not the one a RemoteIpValve's changeLocalPort set.
    return str(rq.get_socket_local_port())


def _remote_port(rq: LoggedRequest, rs: LoggedResponse, el: float, now: float) -> str:
    return str(rq.get_remote_port())


def _query(rq: LoggedRequest, rs: LoggedResponse, el: float, now: float) -> str:
    query = rq.get_query_string()
    return "" if query is None else "?" + _escape_nonempty(query)


def _request_line(rq: LoggedRequest, rs: LoggedResponse, el: float, now: float) -> str:
    method = rq.get_method()
    if not method:
        return "-"
    query = rq.get_query_string()
    if query is None:
        line = f"{method} {rq.get_request_uri()} {rq.get_protocol()}"
    else:
        line = f"{method} {rq.get_request_uri()}?{query} {rq.get_protocol()}"
    # Tomcat relies on its parser having rejected such characters; escaping
    # here too costs one regex scan and keeps a forged line out of the log.
    if _NEEDS_ESCAPE.search(line) is None:
        return line
    return _NEEDS_ESCAPE.sub(_escape_char, line)


def _status(rq: LoggedRequest, rs: LoggedResponse, el: float, now: float) -> str:
    return str(rs.get_status())


def _session_id(rq: LoggedRequest, rs: LoggedResponse, el: float, now: float) -> str:
    session = rq.get_session(False)
    if session is None:
        return "-"
    return escape(str(session.get_id()))


def _remote_user(rq: LoggedRequest, rs: LoggedResponse, el: float, now: float) -> str:
    # Optional: requests of this container have no authentication (yet).
    getter = getattr(rq, "get_remote_user", None)
    return escape(getter()) if getter is not None else "-"


def _request_uri(rq: LoggedRequest, rs: LoggedResponse, el: float, now: float) -> str:
    return escape(rq.get_request_uri())


def _server_name(rq: LoggedRequest, rs: LoggedResponse, el: float, now: float) -> str:
    return escape(rq.get_server_name())


def _micros(rq: LoggedRequest, rs: LoggedResponse, el: float, now: float) -> str:
    return str(int(el * 1_000_000))


def _millis(rq: LoggedRequest, rs: LoggedResponse, el: float, now: float) -> str:
    return str(int(el * 1000))


def _nanos(rq: LoggedRequest, rs: LoggedResponse, el: float, now: float) -> str:
    return str(int(el * 1_000_000_000))


def _seconds(rq: LoggedRequest, rs: LoggedResponse, el: float, now: float) -> str:
    return str(int(el))


def _frac_seconds(rq: LoggedRequest, rs: LoggedResponse, el: float, now: float) -> str:
    millis = int(el * 1000)
    return "%d.%03d" % divmod(millis, 1000)


def _thread_name(rq: LoggedRequest, rs: LoggedResponse, el: float, now: float) -> str:
    current = gevent.getcurrent()
    name = getattr(current, "name", None)  # a Greenlet has one, the hub's raw greenlet not
    return name if isinstance(name, str) and name else "greenlet-%x" % id(current)


def _connection_status(rq: LoggedRequest, rs: LoggedResponse, el: float, now: float) -> str:
    if rq.is_connection_aborted():
        return "X"
    if isinstance(rq.get_attribute(_ERROR_EXCEPTION), ClientAbortError):
        return "X"
    return "+" if rq.is_keep_alive() else "-"


def _request_header(name: str) -> Element:
    def element(rq: LoggedRequest, rs: LoggedResponse, el: float, now: float) -> str:
        values = rq.get_headers(name)
        if not values:
            return "-"
        return ",".join([escape(v) for v in values])

    return element


def _response_header(name: str) -> Element:
    lower = name.lower()

    def element(rq: LoggedRequest, rs: LoggedResponse, el: float, now: float) -> str:
        if lower in ("content-type", "content-length"):
            value = rs.get_header(name)
            values = [value] if value is not None else []
        elif lower == "set-cookie":
            values = [v for k, v in rs.header_items() if k == "Set-Cookie"]
        else:
            values = rs.get_headers(name)
        if not values:
            return "-"
        return ",".join([escape(v) for v in values])

    return element


def _cookie(name: str) -> Element:
    def element(rq: LoggedRequest, rs: LoggedResponse, el: float, now: float) -> str:
        values = [c.value for c in rq.get_cookies() if c.name == name]
        return escape(",".join(values)) if values else "-"

    return element


def _request_attribute(name: str) -> Element:
    def element(rq: LoggedRequest, rs: LoggedResponse, el: float, now: float) -> str:
        value = rq.get_attribute(name)
        return "-" if value is None else escape(str(value))

    return element


def _session_attribute(name: str) -> Element:
    def element(rq: LoggedRequest, rs: LoggedResponse, el: float, now: float) -> str:
        session = rq.get_session(False)
        value = None if session is None else session.get_attribute(name)
        return "-" if value is None else escape(str(value))

    return element


def _connection_id(rq: LoggedRequest, rs: LoggedResponse, el: float, now: float) -> str:
    return rq.get_servlet_connection().get_connection_id()


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
    "a": _remote_addr,
    "A": _local_addr,
    "b": _bytes_dash,
    "B": _bytes,
    "h": _remote_addr,
    "H": _protocol,
    "m": _method,
    "p": _local_port,
    "q": _query,
    "r": _request_line,
    "s": _status,
    "S": _session_id,
    "u": _remote_user,
    "U": _request_uri,
    "v": _server_name,
    "D": _micros,
    "T": _seconds,
    "F": _millis,
    "I": _thread_name,
    "X": _connection_status,
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
        return {"ns": _nanos, "us": _micros, "ms": _millis, "fracsec": _frac_seconds}.get(name, _seconds)
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
                add(_named_element(pattern[i + 2 : close], pattern[close + 1], clf))
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
