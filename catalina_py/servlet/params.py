"""Request parameters: the query string and ``application/x-www-form-urlencoded``
bodies decoded into an ordered multi-map, as Tomcat's ``Parameters`` does."""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

#: A ``%`` not followed by two hex digits: the pair is not valid percent-encoding.
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


def merge_parameters(added: dict[str, list[str]], original: dict[str, list[str]]) -> dict[str, list[str]]:
    """The parameters of a dispatch: the request's *original* names first, in
    their order, each with the dispatch query's values (*added*) before its
    own; then the names only the dispatch query has (Tomcat's
    ``ApplicationHttpRequest.mergeParameters``)."""
    merged = {name: added.get(name, []) + values for name, values in original.items()}
    for name, values in added.items():
        if name not in merged:
            merged[name] = list(values)
    return merged


class TooManyParametersError(ValueError):
    """More parameters than the Connector's ``maxParameterCount``: those up
    to the limit were added, the rest ignored (the caller logs it)."""


def parse_form(data: str | bytes, encoding: str, into: dict[str, list[str]], max_count: int = -1) -> list[str]:
    """Add the ``name=value&...`` pairs of *data* to *into*; return the
    pairs that were skipped because their percent-encoding is invalid.

    ``+`` is a space here (unlike in the path); a pair without ``=`` is a
    parameter with an empty value; a pair with an empty name is ignored.
    As in Tomcat, a pair whose name or value holds a ``%`` not followed by
    two hex digits (``a=%zz``) is dropped and the others are kept (the
    caller logs the dropped ones); bytes the *encoding* cannot decode
    become U+FFFD, the pair is kept. With *max_count* >= 0, once *into*
    holds that many values (those already there count, as Tomcat counts
    query and body together) the rest is ignored and
    :class:`TooManyParametersError` raised.
    """
    skipped: list[str] = []
    if isinstance(data, bytes):
        data = data.decode("latin-1")
    if not data:
        return skipped
    room = max_count - sum(len(values) for values in into.values()) if max_count >= 0 else -1
    for pair in data.split("&"):
        if not pair:
            continue
        name, _, value = pair.partition("=")
        if not name:
            continue
        if "%" in pair and _BAD_ESCAPE.search(pair) is not None:
            skipped.append(pair)
            continue
        if "+" in name or "%" in name:
            name = unquote_to_bytes(name.replace("+", " ")).decode(encoding, "replace")
        elif not name.isascii() and encoding.lower() not in ("latin-1", "iso-8859-1"):
            name = name.encode("latin-1").decode(encoding, "replace")
        if "+" in value or "%" in value:
            value = unquote_to_bytes(value.replace("+", " ")).decode(encoding, "replace")
        elif not value.isascii() and encoding.lower() not in ("latin-1", "iso-8859-1"):
            value = value.encode("latin-1").decode(encoding, "replace")
        if room == 0:
            raise TooManyParametersError(f"more than {max_count} request parameters")
        into.setdefault(name, []).append(value)
        room -= 1
    return skipped
