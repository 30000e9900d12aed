"""Request-URI processing done before mapping (Tomcat's CoyoteAdapter).

Tomcat turns the request-target of the request line into the path the
``Mapper`` sees in a fixed order, and this module does the same, with the
same defaults as a Tomcat 10.1 ``<Connector>``:

1. :func:`split_target` splits the request-target into path, query and
   (for the absolute form) the authority.  It rejects what Tomcat's HTTP/1.1
   request-line parser (``Http11InputBuffer``/``Http11Processor``) rejects:
   ``#`` and other characters that are never valid in a request-target, and
   path/query characters outside RFC 3986 ``pchar`` (``relaxedPathChars`` /
   ``relaxedQueryChars`` default to nothing).
2. :func:`parse_uri` then, like ``CoyoteAdapter.postParseRequest``:

   a. strips path parameters (``;name=value``) from every segment and
      records them (``parsePathParameters``); ``jsessionid`` is the one the
      container uses.  This happens on the *raw* URI, before decoding, so
      ``%3b`` is data, not a delimiter.
   b. %-decodes the path (``UDecoder.convert``): a malformed escape is a
      400; ``%2f`` is a 400 (``encodedSolidusHandling="reject"``); ``%5c``
      is decoded (``encodedReverseSolidusHandling="decode"``) and the
      resulting ``\\`` is then rejected by step (c); ``+`` stays ``+``.
   c. normalises the decoded bytes (``CoyoteAdapter.normalize``): ``\\`` is
      a 400 (``allowBackslash="false"``), NUL is a 400, ``//`` collapses to
      ``/``, ``.`` segments go, ``..`` segments remove their parent and a
      path that would climb above ``/`` is a 400.  A trailing ``/.`` or
      ``/..`` is resolved as if a ``/`` followed, and that helper slash is
      then dropped again (``/a/b/..`` -> ``/a``, ``/a/..`` -> ``/``).
   d. decodes the bytes with the URI charset (``URIEncoding``, default
      UTF-8); bytes invalid in that charset are a 400 (``B2CConverter``
      reports malformed input).

Because decoding (b) happens before normalisation (c), encoded dots such as
``/%2e%2e/`` are resolved like literal ones, and nothing can reach outside
the web application's root.

Everything here is pure: no I/O, no clock.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

__all__ = ["UriError", "ParsedUri", "split_target", "parse_uri"]


class UriError(Exception):
    """A request-target Tomcat would refuse; the connector answers ``status``.

    :param reason: a short, log-friendly description (never echo it to the
        client unescaped: it may quote part of the request).
    :param status: the HTTP status to send (always 400 today).
    """

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.status: int = status
        self.reason: str = reason


@dataclass(slots=True)
class ParsedUri:
    """The request URI after Tomcat's pre-mapping processing.

    :ivar raw_path: the path exactly as sent, without the query, path
        parameters included; this is ``HttpServletRequest.getRequestURI()``.
    :ivar decoded_path: path parameters removed, %-decoded, normalised and
        charset-decoded; the mapper works on this.
    :ivar path_params: the ``;name=value`` path parameters, raw (not
        %-decoded); the last one of a name wins.
    :ivar query: the query string as sent (without ``?``), or ``None``.
    """

    raw_path: str
    decoded_path: str
    path_params: dict[str, str] = field(default_factory=dict)
    query: str | None = None


# --------------------------------------------------------------------------
# Request-target syntax (Tomcat's HttpParser, default relaxed*Chars = "")
# --------------------------------------------------------------------------

#: pchar = unreserved / pct-encoded / sub-delims / ":" / "@"; plus "/".
_PATH_CHARS = "A-Za-z0-9\\-._~%!$&'()*+,;=:@/"
#: query = *( pchar / "/" / "?" )
_QUERY_CHARS = _PATH_CHARS + "?"
#: userinfo = *( unreserved / pct-encoded / sub-delims / ":" )
_USERINFO_RE = re.compile(r"[A-Za-z0-9\-._~%!$&'()*+,;=:]*")


@functools.lru_cache(maxsize=16)
def _charset_re(base: str, relaxed: str) -> re.Pattern[str]:
    """Compile a full-match pattern for ``base`` plus ``relaxed`` characters."""
    extra = "".join(re.escape(c) for c in relaxed)
    return re.compile("[" + base + extra + "]*")


_PATH_RE = _charset_re(_PATH_CHARS, "")
_QUERY_RE = _charset_re(_QUERY_CHARS, "")


def split_target(
    target: str,
    relaxed_path_chars: str = "",
    relaxed_query_chars: str = "",
) -> tuple[str, str | None, str | None]:
    """Split an HTTP/1.1 request-target into ``(path, query, host)``.

    * origin-form ``/p?q`` -> ``("/p", "q", None)``;
    * absolute-form ``http://h:p/p?q`` -> ``("/p", "q", "h:p")`` (scheme
      ``http`` or ``https``, case-insensitive; any ``userinfo@`` is dropped;
      no path gives ``"/"``);
    * asterisk-form ``*`` -> ``("*", None, None)``.

    ``query`` is ``None`` when there is no ``?`` and ``""`` for a bare ``?``.

    :param relaxed_path_chars: like Tomcat's ``relaxedPathChars``: extra
        characters (from ``"<>[\\]^`{|}``) to allow in the path.
    :param relaxed_query_chars: like ``relaxedQueryChars``, for the query.
    :raises UriError: (400) a fragment (``#``), a character not allowed in a
        request-target (controls, space, non-ASCII, ``"<>\\^`{|}`` and, by
        default, ``[]``), an empty target, a non-HTTP absolute URI, an
        authority-form target or an absolute URI with an empty host.
    """
    if target == "*":
        return "*", None, None
    if not target:
        raise UriError("empty request-target")
    if "#" in target:
        # HttpParser.IS_NOT_REQUEST_TARGET contains '#': a fragment is never
        # sent to a server (RFC 9112 section 3.2).
        raise UriError("fragment in request-target")

    qpos = target.find("?")
    if qpos >= 0:
        path, query = target[:qpos], target[qpos + 1 :]
        query_re = _charset_re(_QUERY_CHARS, relaxed_query_chars) if relaxed_query_chars else _QUERY_RE
        if query_re.fullmatch(query) is None:
            raise UriError("invalid character in query")
    else:
        path, query = target, None

    host: str | None = None
    if not path.startswith("/"):
        path, host = _split_absolute(path)

    path_re = _charset_re(_PATH_CHARS, relaxed_path_chars) if relaxed_path_chars else _PATH_RE
    if path_re.fullmatch(path) is None:
        raise UriError("invalid character in path")
    return path, query, host


def _split_absolute(uri: str) -> tuple[str, str]:
    """Split an absolute-form ``http(s)://authority/path`` (no query)."""
    lower = uri[:8].lower()
    if lower.startswith("http://"):
        pos = 7
    elif lower.startswith("https://"):
        pos = 8
    else:
        # Tomcat: "http..." without "://" is invalidScheme; anything else
        # not starting with '/' fails normalisation.  Both are a 400.
        raise UriError("request-target is neither origin- nor absolute-form")
    slash = uri.find("/", pos)
    if slash < 0:
        authority, path = uri[pos:], "/"
    else:
        authority, path = uri[pos:slash], uri[slash:]
    at = authority.rfind("@")
    if at >= 0:
        if _USERINFO_RE.fullmatch(authority[:at]) is None:
            raise UriError("invalid userinfo in absolute-form target")
        authority = authority[at + 1 :]
    if not authority:
        raise UriError("empty host in absolute-form target")
    return path, authority


# --------------------------------------------------------------------------
# Path processing (CoyoteAdapter.postParseRequest)
# --------------------------------------------------------------------------

_HEX = b"0123456789abcdefABCDEF"
_PARAM_END_RE = re.compile(r"[;/]")
_MULTI_SLASH_RE = re.compile(r"/{2,}")


@functools.lru_cache(maxsize=8)
def _check_encoding(encoding: str) -> str:
    """Return ``encoding`` if it is a US-ASCII superset, else raise.

    Tomcat only accepts such ``URIEncoding`` values, which is what makes it
    safe to normalise bytes before the charset decoding.
    """
    probe = "/.;%\\azAZ09"
    try:
        ok = probe.encode(encoding) == probe.encode("ascii")
    except (LookupError, UnicodeError):
        ok = False
    if not ok:
        raise ValueError(f"URI encoding {encoding!r} is not a US-ASCII superset")
    return encoding


def parse_uri(path: str, query: str | None = None, encoding: str = "utf-8") -> ParsedUri:
    """Decode and normalise a request path the way Tomcat 10.1 does.

    :param path: the path part of the request-target as sent (see
        :func:`split_target`), path parameters and %-escapes included.
    :param query: the query string, passed through untouched.
    :param encoding: the URI charset (Tomcat's ``URIEncoding``); must be a
        US-ASCII superset.
    :returns: the :class:`ParsedUri`; ``"*"`` is returned as is.
    :raises UriError: (400) for everything listed in the module docstring.
    """
    # Fast path: nothing to strip, decode or normalise.  A dot segment
    # always starts with "/." once "//" and "\" are known to be absent.
    if (
        path[:1] == "/"
        and "%" not in path
        and ";" not in path
        and "/." not in path
        and "//" not in path
        and "\\" not in path
        and "\x00" not in path
        and path.isascii()
    ):
        if encoding != "utf-8":
            _check_encoding(encoding)
        return ParsedUri(path, path, {}, query)
    if path == "*":
        return ParsedUri(path, path, {}, query)
    return _parse_slow(path, query, encoding)


def _parse_slow(path: str, query: str | None, encoding: str) -> ParsedUri:
    """The full processing; :func:`parse_uri` falls back to it."""
    _check_encoding(encoding)
    if not path.isascii():
        # The request-line parser never lets a byte >= 0x80 through.
        raise UriError("non-ASCII character in request path")
    if not path.startswith("/"):
        raise UriError("request path does not start with '/'")

    stripped, params = _strip_path_parameters(path) if ";" in path else (path, {})
    raw = _percent_decode(stripped) if "%" in stripped else stripped.encode("ascii")
    # Work on a latin-1 view of the bytes: one char per byte, so the
    # normalisation below is exactly Tomcat's byte-level one.
    normalised = _normalize(raw.decode("latin-1"))
    try:
        decoded = normalised.encode("latin-1").decode(encoding)
    except UnicodeDecodeError:
        raise UriError(f"request path is not valid {encoding}") from None
    return ParsedUri(path, decoded, params, query)


def _strip_path_parameters(path: str) -> tuple[str, dict[str, str]]:
    """Remove ``;name=value`` from every segment, as ``parsePathParameters``.

    A parameter runs from ``;`` to the next ``;`` or ``/``.  Parameters
    without ``=`` are removed but not recorded.  The search starts at index
    1: a leading ``;`` would make the path invalid anyway.
    """
    params: dict[str, str] = {}
    semicolon = path.find(";", 1)
    while semicolon >= 0:
        match = _PARAM_END_RE.search(path, semicolon + 1)
        if match is None:
            value = path[semicolon + 1 :]
            path = path[:semicolon]
        else:
            value = path[semicolon + 1 : match.start()]
            path = path[:semicolon] + path[match.start() :]
        name, eq, val = value.partition("=")
        if eq:
            params[name] = val
        semicolon = path.find(";", semicolon)
    return path, params


def _percent_decode(path: str) -> bytes:
    """%-decode an ASCII path into bytes (``UDecoder.convert``, path mode)."""
    parts = path.encode("ascii").split(b"%")
    out = bytearray(parts[0])
    for part in parts[1:]:
        digits = part[:2]
        if len(digits) < 2:
            raise UriError("truncated %-escape in request path")
        if digits.strip(_HEX):
            raise UriError("invalid %-escape in request path")
        value = int(digits, 16)
        if value == 0x2F:
            # encodedSolidusHandling="reject" (Tomcat's default): %2f would
            # let "/a%2f..%2fb" hide a segment boundary from the proxy in
            # front and from the mapper.
            raise UriError("encoded '/' (%2f) in request path")
        out.append(value)
        out += part[2:]
    return bytes(out)


def _normalize(path: str) -> str:
    """Normalise a decoded path (one char per byte); ``CoyoteAdapter.normalize``.

    :raises UriError: backslash, NUL, or a climb above the root.
    """
    if "\\" in path:
        # allowBackslash="false": on Windows '\' is a separator, so "..\"
        # would be a traversal the '/'-based rules below cannot see.
        raise UriError("backslash in request path")
    if "\x00" in path:
        # A NUL would truncate the path in a C-level file API.
        raise UriError("NUL in request path")
    if "//" in path:
        path = _MULTI_SLASH_RE.sub("/", path)
    if "/." not in path:
        return path

    appended = False
    if path.endswith("/.") or path.endswith("/.."):
        path += "/"
        appended = True
    segments = path[1:].split("/")
    last = segments.pop()  # "" when the path ends in '/'
    stack: list[str] = []
    for seg in segments:
        if seg == ".":
            continue
        if seg == "..":
            if not stack:
                raise UriError("request path climbs above the root")
            stack.pop()
        else:
            stack.append(seg)
    stack.append(last)
    result = "/" + "/".join(stack)
    if appended and len(result) > 1 and result.endswith("/"):
        result = result[:-1]
    return result
