"""Cookies: the ``Cookie`` class servlets use, and the parsing and
serialisation of the ``Cookie`` and ``Set-Cookie`` headers (RFC 6265), as
Tomcat's ``Rfc6265CookieProcessor`` does them."""

from __future__ import annotations

from collections.abc import Callable

from ..http.grammar import TCHAR_SET
from ..http.writer import http_date

_TOKEN_CHARS = TCHAR_SET
# RFC 6265 cookie-octet: printable US-ASCII minus DQUOTE, comma, semicolon, backslash.
_COOKIE_OCTETS = frozenset(chr(c) for c in range(0x21, 0x7F)) - set('",;\\')


class Cookie:
    """An HTTP cookie, named like ``jakarta.servlet.http.Cookie``."""

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
        self.domain = domain.lower()

    def get_secure(self) -> bool:
        return self.secure

    def set_secure(self, secure: bool) -> None:
        self.secure = secure

    def is_http_only(self) -> bool:
        return self.http_only

    def set_http_only(self, http_only: bool) -> None:
        self.http_only = http_only

    def set_attribute(self, name: str, value: str) -> None:
        """Any other attribute, e.g. ``SameSite``."""
        self.attributes[name] = value

    def get_attribute(self, name: str) -> str | None:
        return self.attributes.get(name)

    def __repr__(self) -> str:
        return f"Cookie({self.name!r}, {self.value!r})"


def parse_cookie_header(values: list[str]) -> list[Cookie]:
    """Parse ``Cookie`` request headers into cookies, skipping malformed
    pairs the way Tomcat's RFC 6265 processor does (one bad pair does not
    lose the others). As Tomcat: a name without ``=`` is a cookie with an
    empty value, and bytes above 0x7F in a value are read as UTF-8."""
    cookies: list[Cookie] = []
    for header in values:
        for part in header.split(";"):
            name, _, value = part.strip().partition("=")
            if not name:
                continue
            name = name.strip()
            value = value.strip()
            if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
                value = value[1:-1]
            if any(c not in _COOKIE_OCTETS and not "\x80" <= c <= "\xff" for c in value):
                continue
            if not value.isascii():
                value = value.encode("latin-1").decode("utf-8", "replace")
            try:
                cookies.append(Cookie(name, value))
            except ValueError:
                continue
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
    # Path, Domain and other attribute values: printable, no semicolon.
    return " " <= char <= "~" and char != ";"


def validate_cookie(cookie: Cookie) -> None:
    """Refuse a cookie that cannot be sent as a ``Set-Cookie`` header, as
    Tomcat's ``Rfc6265CookieProcessor`` does when the servlet calls
    ``addCookie`` (IllegalArgumentException there, ValueError here): a
    value with a control character (CR, LF...), space, ``"``, ``,``, ``;``
    or ``\\`` (a value wholly in double quotes is allowed), or a path,
    domain or attribute with a control character or ``;``. Called by
    ``add_cookie``, so that the servlet, not the commit, fails.
    """
    value = cookie.value
    if value is None:
        value = cookie.value = ""
    inner = value[1:-1] if len(value) > 1 and value[0] == '"' and value[-1] == '"' else value
    _check_text("value", inner, _value_char)
    if cookie.path is not None:
        _check_text("path", cookie.path, _attribute_char)
    if cookie.domain is not None:
        _check_text("domain", cookie.domain, _attribute_char)
    for name, val in cookie.attributes.items():
        if not name or any(c not in _TOKEN_CHARS for c in name):
            raise ValueError(f"cookie attribute name {name!r} is not a token")
        _check_text(f"attribute {name}", val or "", _attribute_char)


def format_set_cookie(cookie: Cookie, now: float) -> str:
    """Serialise a cookie as a ``Set-Cookie`` header value (ValueError for
    a cookie :func:`validate_cookie` refuses)."""
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
    for name, val in cookie.attributes.items():
        parts.append(f"{name}={val}" if val else name)
    return "; ".join(parts)
