"""Cookies: the ``Cookie`` class servlets use, and the parsing and
serialisation of the ``Cookie`` and ``Set-Cookie`` headers (RFC 6265), as
Tomcat's ``Rfc6265CookieProcessor`` does them."""

from __future__ import annotations

import re
from collections.abc import Callable

from ..http.grammar import TCHAR_SET
from ..http.writer import http_date

_TOKEN_CHARS = TCHAR_SET
# RFC 6265 cookie-octet: printable US-ASCII minus DQUOTE, comma, semicolon, backslash.
_COOKIE_OCTETS = frozenset(chr(c) for c in range(0x21, 0x7F)) - set('",;\\')


_INTEGER = re.compile(r"[+-]?[0-9]+", re.ASCII)


def _java_boolean(value: str | None) -> bool:
    # Java's Boolean.parseBoolean: "true" in any case, anything else false.
    return value is not None and value.lower() == "true"


class Cookie:
    """An HTTP cookie, named like ``jakarta.servlet.http.Cookie`` (Servlet
    6.0). Attributes are case-insensitive; setting ``Max-Age``, ``Domain``,
    ``Path``, ``Secure`` or ``HttpOnly`` through :meth:`set_attribute` is
    the same as calling its setter (``Secure``/``HttpOnly`` are on only for
    ``"true"``, as Java's ``Boolean.parseBoolean``)."""

    __slots__ = ("name", "value", "max_age", "domain", "path", "secure", "http_only", "attributes")

    def __init__(self, name: str, value: str) -> None:
        if not name or any(c not in _TOKEN_CHARS for c in name):
            raise ValueError(f"cookie name {name!r} is not an RFC 6265 token")
        self.name = name
        self.value = value
        self.max_age = -1
        self.domain: str | None = None
        self.path: str | None = None
        self.secure = False
        self.http_only = False
        # Other attributes (SameSite, Partitioned, ...), keyed by the name as
        # first set; looked up without regard to case.
        self.attributes: dict[str, str] = {}

    # Servlet-style accessors -------------------------------------------
    def get_name(self) -> str:
        return self.name

    def get_value(self) -> str:
        return self.value

    def set_value(self, value: str) -> None:
        self.value = value

    def get_max_age(self) -> int:
        return self.max_age

    def set_max_age(self, seconds: int) -> None:
        """Negative: a session cookie; 0: delete the cookie now."""
        self.max_age = seconds

    def get_path(self) -> str | None:
        return self.path

    def set_path(self, path: str) -> None:
        self.path = path

    def get_domain(self) -> str | None:
        return self.domain

    def set_domain(self, domain: str) -> None:
        """The ``Domain`` attribute, lower-cased (as the Servlet API does);
        checked when the cookie is added to a response."""
        self.domain = domain.lower()

    def get_secure(self) -> bool:
        return self.secure

    def set_secure(self, secure: bool) -> None:
        self.secure = secure

    def is_http_only(self) -> bool:
        return self.http_only

    def set_http_only(self, http_only: bool) -> None:
        self.http_only = http_only

    def _attribute_key(self, name: str) -> str | None:
        lower = name.lower()
        for key in self.attributes:
            if key.lower() == lower:
                return key
        return None

    def set_attribute(self, name: str, value: str | None) -> None:
        """Set any cookie attribute, e.g. ``SameSite`` or ``Partitioned``
        (written only for ``"true"``); ``None`` removes it.

        :raises ValueError: *name* is not a token, or a ``Max-Age`` value
            is not an integer (Tomcat: IllegalArgumentException and
            NumberFormatException).
        """
        if not name or any(c not in _TOKEN_CHARS for c in name):
            raise ValueError(f"Cookie attribute name [{name}] is not valid as it is not a token")
        lower = name.lower()
        if lower == "max-age":
            if value is not None and not _INTEGER.fullmatch(value):
                raise ValueError(f"cookie Max-Age {value!r} is not an integer")
            self.max_age = -1 if value is None else int(value)
        elif lower == "domain":
            self.domain = value
        elif lower == "path":
            self.path = value
        elif lower == "secure":
            self.secure = _java_boolean(value)
        elif lower == "httponly":
            self.http_only = _java_boolean(value)
        else:
            key = self._attribute_key(name)
            if value is None:
                if key is not None:
                    del self.attributes[key]
            else:
                self.attributes[name if key is None else key] = value

    def get_attribute(self, name: str) -> str | None:
        """The attribute *name* (any case), ``None`` when not set."""
        lower = name.lower()
        if lower == "max-age":
            return None if self.max_age < 0 else str(self.max_age)
        if lower == "domain":
            return self.domain
        if lower == "path":
            return self.path
        if lower == "secure":
            return "true" if self.secure else None
        if lower == "httponly":
            return "true" if self.http_only else None
        key = self._attribute_key(name)
        return None if key is None else self.attributes[key]

    def get_attributes(self) -> dict[str, str]:
        """The attributes set through :meth:`set_attribute` other than the
        ones with their own accessors (a copy)."""
        return dict(self.attributes)

    def __repr__(self) -> str:
        return f"Cookie({self.name!r}, {self.value!r})"


_LWS = " \t"
# Bytes Tomcat's RFC 6265 parser accepts in a request cookie value: the
# cookie-octets, and bytes above 0x7F (decoded as UTF-8 afterwards).
_REQUEST_VALUE_CHARS = _COOKIE_OCTETS | frozenset(chr(c) for c in range(0x80, 0x100))


def _skip_lws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in _LWS:
        pos += 1
    return pos


def _skip_past_semicolon(text: str, pos: int) -> int:
    end = text.find(";", pos)
    return len(text) if end < 0 else end + 1


def _read_request_value(text: str, pos: int) -> tuple[str | None, int]:
    """Read a cookie value at *pos* as Tomcat's ``readCookieValueRfc6265``
    does: an optional opening double quote, then cookie-octets up to a
    ``;``, a space, a tab, the closing quote or the end. A quote does not
    protect a ``;``: ``"b;c"`` reads ``b`` (then the rest of the pair is
    junk). Returns ``(None, pos)`` when another character is met."""
    quoted = pos < len(text) and text[pos] == '"'
    if quoted:
        pos += 1
    start = end = pos
    while pos < len(text):
        char = text[pos]
        if char in _REQUEST_VALUE_CHARS:
            pos += 1
            end = pos
        elif char in ";" + _LWS:
            break
        elif quoted and char == '"':
            pos += 1
            break
        else:
            return None, pos
    return text[start:end], pos


def _parse_one_header(text: str, cookies: list[Cookie]) -> None:
    pos = 0
    while pos < len(text):
        pos = _skip_lws(text, pos)
        start = pos
        while pos < len(text) and text[pos] in _TOKEN_CHARS:
            pos += 1
        name = text[start:pos]
        pos = _skip_lws(text, pos)
        value: str | None = ""
        if pos < len(text) and text[pos] == "=":
            value, pos = _read_request_value(text, _skip_lws(text, pos + 1))
            if value is None:
                pos = _skip_past_semicolon(text, pos)
                continue
            pos = _skip_lws(text, pos)
        if pos < len(text):
            if text[pos] != ";":
                # Junk after the pair (``a b=c``, ``a="q"x``): the pair is dropped.
                pos = _skip_past_semicolon(text, pos)
                continue
            pos += 1
        if name and value is not None:
            if not value.isascii():
                value = value.encode("latin-1").decode("utf-8", "replace")
            cookies.append(Cookie(name, value))


def parse_cookie_header(values: list[str]) -> list[Cookie]:
    """Parse ``Cookie`` request headers (their bytes as latin-1 text) into
    cookies as Tomcat 10.1's ``Rfc6265CookieProcessor`` does, pair by pair,
    a malformed pair skipped up to the next ``;`` without losing the others:
    a name without ``=`` is a cookie with an empty value; a value may be in
    double quotes (removed), but a ``;`` ends it even inside them
    (``a="b;c"`` is ``a`` = ``b``); bytes above 0x7F in a value are decoded
    as UTF-8; a value with a space, comma, backslash or control character
    is dropped with its pair."""
    cookies: list[Cookie] = []
    for header in values:
        _parse_one_header(header, cookies)
    return cookies


def _check_text(what: str, text: str, allowed: Callable[[str], bool]) -> None:
    for char in text:
        if not allowed(char):
            raise ValueError(f"An invalid character [{ord(char)}] was present in the cookie {what} {text!r}")


def _value_char(char: str) -> bool:
    # RFC 6265 cookie-octet as Tomcat's Rfc6265CookieProcessor checks it:
    # no CTL, space, DQUOTE, comma, semicolon or backslash, no DEL; any
    # character above it passes (sent as UTF-8, as Tomcat does).
    return char in _COOKIE_OCTETS or char > "\x7f"


def _attribute_char(char: str) -> bool:
    # Path and other attribute values, as Tomcat checks them: printable
    # US-ASCII (space included), no semicolon.
    return " " <= char <= "~" and char != ";"


_DOMAIN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-")


def _check_domain(domain: str) -> None:
    """Tomcat's domain rule: letters, digits, ``.`` and ``-`` only; every
    label starts and ends with a letter or digit, so no leading or trailing
    dot (``.example.com`` is refused), no ``..``, no ``-`` at a label's edge."""
    previous = ""
    for char in domain:
        if char not in _DOMAIN_CHARS or (previous in ("", ".") and char in ".-") or (previous == "-" and char == "."):
            raise ValueError(f"An invalid domain [{domain}] was specified for this cookie")
        previous = char
    if previous in (".", "-"):
        raise ValueError(f"An invalid domain [{domain}] was specified for this cookie")


# Attributes Tomcat writes in their own place (or, Comment, never) rather
# than among the others.
_SPECIAL_ATTRIBUTES = frozenset({"samesite", "partitioned", "comment"})


def validate_cookie(cookie: Cookie) -> None:
    """Refuse a cookie that cannot be sent as a ``Set-Cookie`` header, as
    Tomcat's ``Rfc6265CookieProcessor`` does when the servlet calls
    ``addCookie`` (IllegalArgumentException there, ValueError here): a
    value with a control character (CR, LF...), space, ``"``, ``,``, ``;``
    or ``\\`` (a value wholly in double quotes is allowed); a domain that is
    not a host name of letters, digits, ``.`` and ``-`` (a leading dot is
    refused); a path or attribute value with a control character, a
    character above ``~`` or ``;``. Called by ``add_cookie``, so that the
    servlet, not the commit, fails.
    """
    value = cookie.value
    if value is None:
        value = cookie.value = ""
    inner = value[1:-1] if len(value) > 1 and value[0] == '"' and value[-1] == '"' else value
    _check_text("value", inner, _value_char)
    if cookie.domain:
        _check_domain(cookie.domain)
    if cookie.path:
        _check_text("path", cookie.path, _attribute_char)
    for name, val in cookie.attributes.items():
        if not name or any(c not in _TOKEN_CHARS for c in name):
            raise ValueError(f"cookie attribute name {name!r} is not a token")
        if name.lower() not in ("partitioned", "comment"):
            # SameSite too (Tomcat writes it unchecked; a ";" there would
            # add attributes, so it is checked like the others here).
            _check_text(f"attribute {name}", val or "", _attribute_char)


def format_set_cookie(cookie: Cookie, now: float) -> str:
    """Serialise a cookie as a ``Set-Cookie`` header value (ValueError for
    a cookie :func:`validate_cookie` refuses), in Tomcat's order: name=value,
    Max-Age and Expires, Domain, Path, Secure, HttpOnly, SameSite,
    Partitioned (only when set to ``"true"``), then the other attributes
    sorted by name without regard to case (``Name=value``, also when the
    value is empty); Comment is never written."""
    validate_cookie(cookie)
    value = cookie.value
    if not value.isascii():
        # Tomcat writes Set-Cookie in its cookie processor's charset, UTF-8;
        # the header line is written as latin-1, so pass the UTF-8 bytes.
        value = value.encode("utf-8").decode("latin-1")
    parts = [f"{cookie.name}={value}"]
    if cookie.max_age >= 0:
        parts.append(f"Max-Age={cookie.max_age}")
        # Expires too, for old clients, as Tomcat does.
        parts.append("Expires=" + http_date(now + cookie.max_age if cookie.max_age else 10))
    if cookie.domain:
        parts.append(f"Domain={cookie.domain}")
    if cookie.path:
        parts.append(f"Path={cookie.path}")
    if cookie.secure:
        parts.append("Secure")
    if cookie.http_only:
        parts.append("HttpOnly")
    same_site = cookie.get_attribute("SameSite")
    if same_site is not None:
        parts.append(f"SameSite={same_site}")
    if _java_boolean(cookie.get_attribute("Partitioned")):
        parts.append("Partitioned")
    for name in sorted(cookie.attributes, key=str.lower):
        if name.lower() not in _SPECIAL_ATTRIBUTES:
            parts.append(f"{name}={cookie.attributes[name]}")
    return "; ".join(parts)
