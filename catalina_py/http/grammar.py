"""The RFC 9110 / RFC 9112 grammar every other module of catalina_py uses,
defined once: ``tchar`` and ``token``, ``quoted-string``, comma-separated
lists (``#element``), field lines, and the ``Host`` header (``uri-host
[ ":" port ]``, as Tomcat's ``Host.parse`` accepts it).

Pure functions and compiled patterns; no I/O, standard library only.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from typing import NoReturn

from .errors import HttpParseError

__all__ = [
    "BTOKEN",
    "QUOTED_STRING",
    "TCHARS",
    "TCHAR_SET",
    "TOKEN_RE",
    "connection_tokens",
    "is_token",
    "list_contains",
    "parse_fields",
    "split_host",
    "split_list",
    "token_list",
    "valid_host",
]

#: tchar (RFC 9110 5.6.2), as the inside of a regex character class.
TCHARS = r"!#$%&'*+\-.^_`|~0-9A-Za-z"
#: tchar as a set of characters, for scanners that walk a string.
TCHAR_SET = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
#: token = 1*tchar (match it whole: ``TOKEN_RE.match(s)`` or ``fullmatch``).
TOKEN_RE = re.compile(rf"[{TCHARS}]+\Z")
#: token, as a bytes pattern fragment (chunk extensions).
BTOKEN = rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
#: quoted-string (RFC 9110 5.6.4) as a pattern fragment: DQUOTE *( qdtext / quoted-pair ) DQUOTE.
QUOTED_STRING = r'"(?:[\t \x21\x23-\x5b\x5d-\x7e\x80-\xff]|\\[\t \x21-\x7e\x80-\xff])*"'


def is_token(value: str) -> bool:
    """True if *value* is an RFC 9110 token (one or more tchar)."""
    return TOKEN_RE.match(value) is not None


# -- comma-separated lists (RFC 9110 5.6.1) -----------------------------------
def split_list(values: Iterable[str]) -> list[str]:
    """The non-empty elements of comma-separated field values, stripped of
    optional whitespace: ``["chat, superchat", "v2"]`` -> ``["chat", "superchat", "v2"]``."""
    result: list[str] = []
    for value in values:
        for element in value.split(","):
            element = element.strip(" \t")
            if element:
                result.append(element)
    return result


def list_contains(values: Iterable[str], token: str) -> bool:
    """True if the comma-separated *values* hold *token* (lower-case),
    compared without case: ``Connection: keep-alive, Close`` holds "close"."""
    return any(element.lower() == token for element in split_list(values))


def token_list(values: Iterable[str]) -> list[str] | None:
    """A ``#token`` list the way Tomcat's ``TokenList`` reads it: the
    lower-cased tokens, or None if an element is not a token or there is no
    token at all. Empty elements are allowed."""
    tokens: list[str] = []
    for element in split_list(values):
        if TOKEN_RE.match(element) is None:
            return None
        tokens.append(element.lower())
    return tokens or None


def connection_tokens(values: list[str]) -> set[str] | tuple[str]:
    """Lower-cased elements of ``Connection`` header values (the common
    single-token case without building a set)."""
    if len(values) == 1 and "," not in values[0]:
        return (values[0].lower(),)
    return {element.strip(" \t").lower() for value in values for element in value.split(",")}


# -- Host (RFC 9110 7.2, Tomcat's Host.parse) ---------------------------------
# reg-name of letters, digits, "-" and ".", IPv4, or a bracketed IPv6
# literal; optional ":" port of digits.
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?"
_HOST_RE = re.compile(rf"(?:{_LABEL}(?:\.{_LABEL})*\.?|\[([0-9A-Fa-f:.]+)\])(?::([0-9]*))?\Z")
_MAX_PORT = 2**31 - 1  # Tomcat parses the port as a Java int
_CACHE_LIMIT = 512
# Host values already found valid: requests repeat the same few, so a set
# hit replaces a regex match. Bounded so that hostile input cannot grow it.
_GOOD_HOSTS: set[str] = set()


def valid_host(value: str, require_port: bool = False) -> bool:
    """True if *value* is ``host [":" port]`` as Tomcat's ``Host.parse``
    allows. *require_port* (CONNECT's authority-form) insists on a port."""
    if not require_port and value in _GOOD_HOSTS:
        return True
    m = _HOST_RE.match(value)
    if m is None:
        return False
    literal, port = m.group(1), m.group(2)
    if literal is not None:
        try:
            ipaddress.IPv6Address(literal)
        except ValueError:
            return False
    if port:
        if len(port) > 10 or int(port) > _MAX_PORT:
            return False
    elif require_port:
        return False
    if not require_port and len(_GOOD_HOSTS) < _CACHE_LIMIT:
        _GOOD_HOSTS.add(value)
    return True


def split_host(value: str, brackets: bool = False) -> tuple[str, int | None]:
    """A ``Host`` value (or an authority) as (name, port): an IPv6 literal
    without its brackets (with them when *brackets*), the port None when
    absent or not digits. Lenient: it is used on values the parser already
    accepted (a name with more than one ":" and no brackets is taken whole)."""
    if value.startswith("["):
        end = value.find("]")
        if end <= 0:
            return value, None
        rest = value[end + 1 :]
        port = int(rest[1:]) if rest.startswith(":") and rest[1:].isdigit() else None
        return (value[: end + 1] if brackets else value[1:end]), port
    colon = value.find(":")
    if colon < 0 or value.find(":", colon + 1) >= 0:
        return value, None
    digits = value[colon + 1 :]
    return value[:colon], (int(digits) if digits.isdigit() else None)


# -- field lines (RFC 9112 5) -------------------------------------------------
# Raw field name -> lower-cased name, for names already validated.
_FIELD_NAMES: dict[str, str] = {}


def parse_fields(
    lines: list[str], first: int, what: str, max_count: int
) -> tuple[list[tuple[str, str]], dict[str, list[str]]]:
    """Parse ``name: value`` lines ``lines[first:]`` into the ordered items
    and the index by lower-cased name.

    *what* is "header" or "trailer", for error reasons; *max_count* bounds
    the number of fields (negative: unlimited). Control characters were
    rejected before the text was split into lines.
    """
    if max_count >= 0 and len(lines) - first > max_count:
        raise HttpParseError(400, f"Too many {what} fields")
    items: list[tuple[str, str]] = []
    index: dict[str, list[str]] = {}
    names = _FIELD_NAMES
    append = items.append
    for i in range(first, len(lines)):
        name, colon, value = lines[i].partition(":")
        lower = names.get(name)
        if lower is None:
            if not colon or not name or TOKEN_RE.match(name) is None:
                _bad_field(lines[i], what)
            lower = name.lower()
            if len(names) < _CACHE_LIMIT:
                names[name] = lower
        elif not colon:
            _bad_field(lines[i], what)
        value = value.strip(" \t")
        append((name, value))
        values = index.get(lower)
        if values is None:
            index[lower] = [value]
        else:
            values.append(value)
    return items, index


def _bad_field(line: str, what: str) -> NoReturn:
    """Raise the error for a field line whose name part is not valid."""
    if line[:1] in (" ", "\t"):
        raise HttpParseError(400, f"Obsolete line folding in {what} fields is not allowed")
    colon = line.find(":")
    if colon < 0:
        raise HttpParseError(400, f"Invalid {what} field (no colon)")
    if colon == 0:
        raise HttpParseError(400, f"Empty {what} field name")
    raise HttpParseError(400, f"Invalid {what} field name")
