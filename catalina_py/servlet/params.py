"""Request parameters: the query string and ``application/x-www-form-urlencoded``
bodies decoded into an ordered multi-map, as Tomcat's ``Parameters`` does."""

from __future__ import annotations

from urllib.parse import unquote_to_bytes


def parse_form(data: str | bytes, encoding: str, into: dict[str, list[str]]) -> None:
    """Add the ``name=value&...`` pairs of *data* to *into*.

    ``+`` is a space here (unlike in the path); a pair without ``=`` is a
    parameter with an empty value; undecodable bytes are replaced rather than
    failing the whole request (Tomcat skips them with a log line).
    """
    if isinstance(data, bytes):
        data = data.decode("latin-1")
    if not data:
        return
    for pair in data.split("&"):
        if not pair:
            continue
        name, _, value = pair.partition("=")
        if "+" in name or "%" in name:
            name = unquote_to_bytes(name.replace("+", " ")).decode(encoding, "replace")
        if "+" in value or "%" in value:
            value = unquote_to_bytes(value.replace("+", " ")).decode(encoding, "replace")
        elif encoding.lower() not in ("latin-1", "iso-8859-1") and not value.isascii():
            value = value.encode("latin-1").decode(encoding, "replace")
        if not name:
            continue
        into.setdefault(name, []).append(value)
