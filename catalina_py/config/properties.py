"""Properties: ``catalina.properties`` loading and ``${name}`` substitution.

Configuration files may refer to properties as ``${name}`` (Tomcat's
Digester does the same for every attribute value and element body of
``server.xml``).  Properties come from three places, highest precedence
first:

1. ``catalina.home`` and ``catalina.base``: facts decided by the launcher,
   never overridden;
2. ``-Dname=value`` options given to the launcher (:func:`parse_defines`);
3. ``conf/catalina.properties`` of ``CATALINA_BASE`` (:func:`load_properties`).

Note: in Tomcat, ``catalina.properties`` is copied into the system
properties and so overrides a ``-D`` option of the same name; catalina_py
lets the command line win, which is what people expect.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping

from catalina_py.errors import ConfigError

__all__ = [
    "CATALINA_PROPERTIES",
    "build_properties",
    "load_properties",
    "parse_defines",
    "parse_properties",
    "substitute",
    "substitute_with_unknown",
]

#: Location of the properties file inside ``CATALINA_BASE``.
CATALINA_PROPERTIES = os.path.join("conf", "catalina.properties")

_WHITESPACE = " \t\f"
_NEWLINE = re.compile(r"\r\n|\r|\n")
_SIMPLE_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}


# --------------------------------------------------------------------------
# .properties files
# --------------------------------------------------------------------------


def _logical_lines(text: str) -> Iterable[tuple[int, str]]:
    """Yield ``(first line number, logical line)`` pairs of a properties text.

    Comment and blank lines are skipped; a line ending in an odd number of
    backslashes continues on the next line, whose leading whitespace is
    dropped (the Java ``Properties.load`` rules).
    """
    lines = _NEWLINE.split(text)
    index = 0
    while index < len(lines):
        start = index
        line = lines[index].lstrip(_WHITESPACE)
        index += 1
        if not line or line[0] in "#!":
            continue
        parts: list[str] = []
        while True:
            trailing = len(line) - len(line.rstrip("\\"))
            if trailing % 2 == 1 and index < len(lines):
                parts.append(line[:-1])
                line = lines[index].lstrip(_WHITESPACE)
                index += 1
                continue
            if trailing % 2 == 1:  # continuation at end of file
                line = line[:-1]
            parts.append(line)
            break
        yield start + 1, "".join(parts)


def _unescape(text: str, file: str | None, line: int) -> str:
    """Resolve the backslash escapes of a key or value."""
    if "\\" not in text:
        return text
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        i += 1
        if char != "\\" or i >= len(text):
            if char != "\\":
                out.append(char)
            continue
        char = text[i]
        i += 1
        if char == "u":
            digits = text[i : i + 4]
            if len(digits) != 4 or not all(c in "0123456789abcdefABCDEF" for c in digits):
                raise ConfigError(
                    f"malformed \\u escape '\\u{digits}'",
                    file,
                    line,
                    hint="\\u followed by exactly four hexadecimal digits, " "e.g. \\u00e9",
                )
            out.append(chr(int(digits, 16)))
            i += 4
        else:
            out.append(_SIMPLE_ESCAPES.get(char, char))
    return "".join(out)


def _split_key_value(logical: str) -> tuple[str, str]:
    """Split a logical line into raw (still escaped) key and value."""
    length = len(logical)
    key_end = 0
    separator = False
    while key_end < length:
        char = logical[key_end]
        if char == "\\":
            key_end += 2
            continue
        if char in "=:":
            separator = True
            break
        if char in _WHITESPACE:
            break
        key_end += 1
    key_end = min(key_end, length)
    value_start = key_end + 1 if separator else key_end
    while value_start < length:
        char = logical[value_start]
        if char not in _WHITESPACE:
            if not separator and char in "=:":
                separator = True
            else:
                break
        value_start += 1
    return logical[:key_end], logical[value_start:]


def parse_properties(text: str, file: str | None = None) -> dict[str, str]:
    """Parse the text of a Java ``.properties`` file.

    Supports ``key=value``, ``key:value`` and ``key value``, ``#`` and ``!``
    comments, backslash line continuation and the ``\\t \\n \\r \\f
    \\uXXXX`` escapes.  A later duplicate key replaces an earlier one.
    """
    result: dict[str, str] = {}
    for line_number, logical in _logical_lines(text):
        raw_key, raw_value = _split_key_value(logical)
        key = _unescape(raw_key, file, line_number)
        result[key] = _unescape(raw_value, file, line_number)
    return result


def load_properties(path: str) -> dict[str, str]:
    """Read a Java ``.properties`` file; a missing file gives ``{}``.

    The file is decoded as UTF-8, falling back to ISO-8859-1 (Java's own
    encoding for properties files) when it is not valid UTF-8.
    """
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"cannot read properties file: {exc.strerror}", path) from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("iso-8859-1")
    if text.startswith("\ufeff"):
        text = text[1:]
    return parse_properties(text, path)


def parse_defines(options: Iterable[str]) -> dict[str, str]:
    """Turn launcher options ``-Dname=value`` into a dictionary.

    ``-Dname`` alone defines ``name`` as the empty string, as Java does.
    The ``-D`` prefix is optional; an option without a name is rejected.
    """
    result: dict[str, str] = {}
    for option in options:
        body = option[2:] if option.startswith("-D") else option
        name, _, value = body.partition("=")
        if not name:
            raise ConfigError(f"invalid property definition '{option}'", hint="-Dname=value")
        result[name] = value
    return result


def build_properties(
    catalina_home: str,
    catalina_base: str | None = None,
    defines: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Collect the properties available to ``${name}`` substitution.

    Precedence, highest first: the built-ins ``catalina.home`` and
    ``catalina.base`` (absolute paths), then ``defines`` (``-D`` options),
    then ``conf/catalina.properties`` of ``catalina_base`` (which defaults
    to ``catalina_home``).
    """
    home = os.path.abspath(catalina_home)
    base = os.path.abspath(catalina_base) if catalina_base else home
    result = load_properties(os.path.join(base, CATALINA_PROPERTIES))
    if defines:
        result.update(defines)
    result["catalina.home"] = home
    result["catalina.base"] = base
    return result


# --------------------------------------------------------------------------
# ${name} substitution
# --------------------------------------------------------------------------


def substitute_with_unknown(text: str, props: Mapping[str, str]) -> tuple[str, list[str]]:
    """Replace ``${name}`` references and report the undefined names.

    Follows Tomcat's ``IntrospectionUtils.replaceProperties``:

    * ``${name}`` is replaced by the property ``name``;
    * ``${name:-default}``: the whole text ``name:-default`` is looked up
      first, then ``name``; if neither is defined, ``default`` is used;
    * an undefined name without a default is left as written (``${name}``)
      and reported in the returned list;
    * a ``$`` not followed by ``{``, and an unterminated ``${``, are kept;
    * replacement text is not scanned again, and references do not nest.
    """
    if "$" not in text:
        return text, []
    out: list[str] = []
    unknown: list[str] = []
    prev = 0
    while True:
        pos = text.find("$", prev)
        if pos < 0:
            break
        out.append(text[prev:pos])
        if not text.startswith("{", pos + 1):
            out.append("$")
            prev = pos + 1
            continue
        end = text.find("}", pos)
        if end < 0:
            out.append(text[pos:])
            prev = len(text)
            break
        name = text[pos + 2 : end]
        value = props.get(name)
        if value is None:
            column = name.find(":-")
            if column >= 0:
                value = props.get(name[:column], name[column + 2 :])
            else:
                unknown.append(name)
                value = "${" + name + "}"
        out.append(value)
        prev = end + 1
    out.append(text[prev:])
    return "".join(out), unknown


def substitute(text: str, props: Mapping[str, str]) -> str:
    """Replace ``${name}`` references; see :func:`substitute_with_unknown`."""
    return substitute_with_unknown(text, props)[0]
