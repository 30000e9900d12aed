"""The XML reading layer shared by the ``server.xml``, ``web.xml`` and
context descriptor readers.

:func:`read_xml` parses a file safely (no DTD, no entities, no network) and
keeps what is needed to point a message at ``file:line``.  An
:class:`XmlReader` holds the state of one file read (its name, its lines,
the warnings found so far, the ``${property}`` values if the format
substitutes them) and walks elements: :meth:`XmlReader.children` yields the
child elements a reader models and warns about the others, and
:meth:`XmlReader.attributes` gives an :class:`Attributes` with typed readers
(string, integer, port, boolean, seconds, size, enum) that raise a
:class:`~catalina_py.errors.ConfigError` located at the element, with the
expected form as a hint.

Unknown attributes and child elements are warned about the way Tomcat's
digester does (``{Server/Service/Connector} Setting property 'x' ... did not
find a matching property``), in catalina_py's words: the warning names the
attribute, the element, its path from the root, and the closest known name.
"""

from __future__ import annotations

import codecs
import difflib
import re
from collections.abc import Collection, Iterable, Iterator, Mapping
from typing import TypeAlias

from lxml import etree

from catalina_py.config.properties import substitute_with_unknown
from catalina_py.errors import ConfigError, ConfigWarning, Location

__all__ = [
    "Attributes",
    "Element",
    "ElementTree",
    "SourceLines",
    "XmlReader",
    "read_xml",
]

#: An element of a parsed file (lxml's public element type).
Element: TypeAlias = etree._Element  # reach: lxml's public element class is named _Element
#: A parsed document.
ElementTree: TypeAlias = etree._ElementTree  # reach: lxml's public tree class is named _ElementTree

_INTEGER = re.compile(r"[+-]?[0-9]+")
# A dotted Python name: ``module.Class``, ``pkg.module.Class`` or a
# built-in exception name such as ``ValueError``.
_DOTTED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")
_SIZE = re.compile(r"([0-9]+)\s*([kKmMgG]?)[bB]?")
_SIZE_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}
_PORT_HINT = "an integer port number from 0 to 65535"


class SourceLines:
    """The lines of an XML file, to report where a start tag *begins*.

    libxml2 gives the line on which a start tag ends; for a tag written
    over several lines (attributes one per line) the line of its ``<`` is
    more useful, so messages point at the beginning of the element.
    """

    _NEWLINE = re.compile(r"\r\n|\r|\n")

    def __init__(self, tree: ElementTree, data: bytes) -> None:
        encoding = tree.docinfo.encoding or "utf-8"
        try:
            text = data.decode(encoding, errors="replace")
        except LookupError:
            text = data.decode("utf-8", errors="replace")
        self.lines = self._NEWLINE.split(text)

    def start_line(self, element: Element) -> int | None:
        """Line of the ``<`` opening ``element`` (1-based), if known."""
        end = element.sourceline if isinstance(element.sourceline, int) else None
        if end is None or not isinstance(element.tag, str):
            return end
        qname = etree.QName(element)
        name = f"{element.prefix}:{qname.localname}" if element.prefix else qname.localname
        pattern = re.compile("<" + re.escape(name) + r"(?=[\s/>]|$)")
        # A start tag holds no "<" (not even in attribute values), so the
        # nearest line at or above ``end`` that opens this tag is its start.
        for number in range(min(end, len(self.lines)), 0, -1):
            if pattern.search(self.lines[number - 1]):
                return number
        return end


def read_xml(path: str, root_hint: str, data: bytes | None = None) -> tuple[ElementTree, SourceLines]:
    """Parse an XML file safely (no DTD, no entities, no network).

    ``root_hint`` names the expected root element (``"<Server>"``) for the
    message of a file that is not well-formed.  *data*, when given, is the
    document already read (an entry of a WAR), and *path* only names it in
    messages.  Raises :class:`ConfigError` with the file (and the line, for
    a syntax error).
    """
    if data is None:
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            raise ConfigError(f"cannot read file: {exc.strerror or exc}", path) from exc
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(data, parser, base_url=path)
    except etree.XMLSyntaxError as exc:
        raise ConfigError(
            f"not well-formed XML: {exc.msg}",
            path,
            exc.lineno or None,
            "a well-formed XML document with a " f"{root_hint} root element",
        ) from exc
    tree = root.getroottree()
    return tree, SourceLines(tree, data)


class XmlReader:
    """The state of one file read: where each element is, the warnings.

    ``properties``, when given, are substituted for ``${name}`` in every
    attribute value read through :meth:`attributes` (``server.xml`` and
    context descriptors do so, ``web.xml`` does not).  ``namespace`` is the
    namespace whose elements :meth:`name_of` gives by their local name
    (``""``: elements in no namespace).
    """

    def __init__(
        self, file: str, lines: SourceLines, *, properties: Mapping[str, str] | None = None, namespace: str = ""
    ) -> None:
        self.file = file
        self.lines = lines
        self.properties = properties
        self.namespace = namespace
        self.warnings: list[ConfigWarning] = []

    # -- where -----------------------------------------------------------

    def location(self, element: Element) -> Location:
        """The file and line of ``element``."""
        return Location(self.file, self.lines.start_line(element))

    def path_of(self, element: Element) -> str:
        """The element's path from the root, as Tomcat's digester logs it
        (``Server/Service/Connector``)."""
        names: list[str] = []
        node: Element | None = element
        while node is not None:
            names.append(self.name_of(node) or "?")
            node = node.getparent()
        return "/".join(reversed(names))

    def warn(self, where: Element | Location, message: str) -> None:
        """Record a warning at an element or a location."""
        location = where if isinstance(where, Location) else self.location(where)
        self.warnings.append(ConfigWarning.at(location, message))

    def error(self, where: Element | Location, message: str, hint: str) -> ConfigError:
        """A :class:`ConfigError` at an element or a location (to raise)."""
        location = where if isinstance(where, Location) else self.location(where)
        return ConfigError.at(location, message, hint)

    # -- elements --------------------------------------------------------

    def name_of(self, element: Element) -> str | None:
        """The local name of an element in the reader's namespace, the
        ``{namespace}name`` of one in another, ``None`` for a comment or a
        processing instruction."""
        if not isinstance(element.tag, str):
            return None
        qname = etree.QName(element)
        if (qname.namespace or "") != self.namespace:
            return "{" + (qname.namespace or "") + "}" + qname.localname
        return qname.localname

    def elements(self, element: Element) -> Iterator[tuple[str, Element]]:
        """Yield ``(name, child)`` for each child element (comments and
        processing instructions skipped)."""
        for child in element:
            name = self.name_of(child)
            if name is not None:
                yield name, child

    def children(
        self, element: Element, tag: str, modelled: Collection[str], tomcat: Collection[str] = ()
    ) -> Iterator[Element]:
        """Yield the child elements of ``element`` (called ``tag`` in the
        messages) whose name is in ``modelled``; warn about and skip the
        others: those in ``tomcat`` (known to Tomcat) as not supported, any
        other as unknown."""
        for name, child in self.elements(element):
            if name in modelled:
                yield child
            elif name in tomcat:
                self.warn(child, f"<{name}> in <{tag}> is not supported by " "catalina_py, ignored")
            else:
                expected = ", ".join(sorted(modelled)) or "no child elements"
                self.warn(
                    child,
                    f"unknown element <{etree.QName(child).localname}>"
                    f" in <{tag}>, ignored (expected: {expected})"
                    f" [{{{self.path_of(element)}}}]",
                )

    def no_children(self, element: Element, tag: str) -> None:
        """Warn about every child element of an element that has none."""
        for _ in self.children(element, tag, ()):
            pass

    @staticmethod
    def text(element: Element) -> str:
        """The trimmed text content of ``element``."""
        return "".join(str(text) for text in element.itertext()).strip()

    def child_text(self, element: Element, name: str) -> tuple[str | None, Element | None]:
        """Text and element of the first child called ``name``."""
        for child_name, child in self.elements(element):
            if child_name == name:
                return self.text(child), child
        return None, None

    def substituted(self, element: Element, text: str, what: str) -> str:
        """``text`` with ``${name}`` replaced from the properties (warning
        about undefined ones); as written when the reader has none."""
        if self.properties is None:
            return text
        value, unknown = substitute_with_unknown(text, self.properties)
        for prop in dict.fromkeys(unknown):
            self.warn(element, f"property ${{{prop}}} used in {what} is not" " defined; the value is used as written")
        return value

    def attributes(self, element: Element, tag: str) -> Attributes:
        """The (substituted) attributes of ``element``, called ``tag`` in
        the messages, with typed readers."""
        return Attributes(self, element, tag)

    # -- element text values ---------------------------------------------

    def text_boolean(self, element: Element, text: str, what: str) -> bool:
        """An ``xsd:boolean`` text (``true``, ``false``, ``1``, ``0``)."""
        value = {"true": True, "1": True, "false": False, "0": False}.get(text.strip().lower())
        if value is None:
            raise self.error(element, f"{what} must be true or false, got " f"'{text}'", f"{what} true or false")
        return value

    def text_integer(self, element: Element, text: str, what: str, hint: str) -> int:
        """An integer text."""
        if not _INTEGER.fullmatch(text):
            raise self.error(element, f"{what} must be an integer, got " f"'{text}'", hint)
        return int(text)

    def text_encoding(self, element: Element, what: str) -> str:
        """The text of ``element`` (called ``<what>`` in the messages): a
        character encoding name Python knows."""
        name = self.text(element)
        try:
            codecs.lookup(name)
        except LookupError:
            raise self.error(
                element,
                f"unknown character encoding " f"'{name}' in <{what}>",
                f"<{what}>UTF-8</{what}> (an encoding name " "such as UTF-8 or ISO-8859-1)",
            ) from None
        return name

    def check_dotted(self, element: Element, name: str, what: str) -> None:
        """Check that ``name`` (read from ``element``) is a dotted Python
        name such as ``package.module.ClassName``."""
        if not _DOTTED.fullmatch(name):
            raise self.error(element, f"{what} '{name}' is not a Python " "class name", "package.module.ClassName")


class Attributes:
    """The attributes of one element, substituted, with typed readers.

    Each reader returns the default when the attribute is absent and raises
    a :class:`ConfigError` at the element (noting the undefined
    ``${properties}`` of the value, if any) when it is malformed.
    """

    def __init__(self, reader: XmlReader, element: Element, tag: str) -> None:
        self.reader = reader
        self.element = element
        self.tag = tag
        self.location = reader.location(element)
        self.values: dict[str, str] = {}
        self.unknown: dict[str, list[str]] = {}
        for name, raw in element.attrib.items():
            name, raw = str(name), str(raw)
            if reader.properties is None:
                self.values[name] = raw
                continue
            value, unknown = substitute_with_unknown(raw, reader.properties)
            self.values[name] = value
            if unknown:
                self.unknown[name] = unknown
                for prop in dict.fromkeys(unknown):
                    reader.warn(
                        self.location,
                        f"property ${{{prop}}} used in attribute "
                        f"{name} of <{tag}> is not defined; the "
                        "value is used as written",
                    )

    def __contains__(self, name: object) -> bool:
        return name in self.values

    def error(self, name: str, message: str, hint: str) -> ConfigError:
        """An error about attribute ``name``, noting undefined properties."""
        if name in self.unknown:
            props = ", ".join(f"${{{p}}}" for p in self.unknown[name])
            message += f" (property {props} is not defined)"
        return ConfigError.at(self.location, message, hint)

    def get(self, name: str, default: str | None = None) -> str | None:
        """The substituted value of ``name``, or ``default``."""
        return self.values.get(name, default)

    def others(self, *names: str) -> dict[str, str]:
        """Every attribute except ``names``, as written (substituted)."""
        return {k: v for k, v in self.values.items() if k not in names}

    def required(self, name: str, hint: str) -> str:
        """The value of a mandatory, non-empty attribute."""
        value = self.values.get(name)
        if value is None:
            raise ConfigError.at(self.location, f"<{self.tag}> is missing the required attribute {name}", hint)
        if not value.strip():
            raise self.error(name, f"attribute {name} of <{self.tag}> is " "empty", hint)
        return value

    def integer(
        self,
        name: str,
        default: int,
        *,
        minimum: int | None = None,
        maximum: int | None = None,
        allowed: Iterable[int] = (),
        hint: str,
    ) -> int:
        """An integer attribute in ``minimum..maximum`` (or one of
        ``allowed``)."""
        value = self.optional_integer(name, minimum=minimum, maximum=maximum, allowed=allowed, hint=hint)
        return default if value is None else value

    def optional_integer(
        self,
        name: str,
        *,
        minimum: int | None = None,
        maximum: int | None = None,
        allowed: Iterable[int] = (),
        hint: str,
    ) -> int | None:
        """As :meth:`integer`, ``None`` when the attribute is absent."""
        value = self.values.get(name)
        if value is None:
            return None
        text = value.strip()
        if not _INTEGER.fullmatch(text):
            raise self.error(name, f"attribute {name} of <{self.tag}> must be an " f"integer, got '{value}'", hint)
        number = int(text)
        if number in tuple(allowed):
            return number
        if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
            raise self.error(name, f"attribute {name} of <{self.tag}> is out of range: " f"{number}", hint)
        return number

    def size(self, name: str, default: int, *, hint: str) -> int:
        """A size in bytes: an integer, or one with a ``K``/``M``/``G``
        suffix (``64K``, ``2MB``); ``-1`` means no limit."""
        value = self.values.get(name)
        if value is None:
            return default
        text = value.strip()
        if text == "-1":
            return -1
        match = _SIZE.fullmatch(text)
        if match is None:
            raise self.error(name, f"attribute {name} of <{self.tag}> must be a size in " f"bytes, got '{value}'", hint)
        return int(match.group(1)) * _SIZE_UNITS[match.group(2).lower()]

    def seconds(self, name: str, default: float) -> float:
        """A non-negative duration in seconds (decimals allowed)."""
        value = self.values.get(name)
        if value is None:
            return default
        try:
            number = float(value.strip())
        except ValueError:
            number = -1.0
        if not (number >= 0.0 and number != float("inf")):
            raise self.error(
                name,
                f"attribute {name} of <{self.tag}> must be a " f"number of seconds, got '{value}'",
                "a duration in seconds such as 25 or 0.5 (0 disables)",
            )
        return number

    def port(self, name: str, default: int, *, allow_disabled: bool = False) -> int:
        """A TCP port attribute (0..65535, optionally -1 for disabled)."""
        hint = _PORT_HINT + (", or -1 to disable" if allow_disabled else "")
        return self.integer(name, default, minimum=0, maximum=65535, allowed=(-1,) if allow_disabled else (), hint=hint)

    def boolean(self, name: str, default: bool) -> bool:
        """A boolean attribute: ``true`` or ``false``, any case."""
        value = self.values.get(name)
        if value is None:
            return default
        lowered = value.strip().lower()
        if lowered not in ("true", "false"):
            raise self.error(
                name,
                f"attribute {name} of <{self.tag}> must be true or " f"false, got '{value}'",
                f'{name}="true" or {name}="false"',
            )
        return lowered == "true"

    def enum(self, name: str, default: str, choices: Collection[str], *, case_sensitive: bool = False) -> str:
        """One of ``choices`` (compared without case unless
        ``case_sensitive``; returned as listed in ``choices``)."""
        value = self.values.get(name)
        if value is None:
            return default
        text = value.strip()
        for choice in choices:
            if text == choice or (not case_sensitive and text.lower() == choice.lower()):
                return choice
        wanted = " or ".join(f'"{choice}"' for choice in choices)
        raise self.error(
            name, f"attribute {name} of <{self.tag}> must be " f"{wanted}, got '{value}'", f"{name}={wanted}"
        )

    def check_names(
        self, modelled: Collection[str], tomcat: Collection[str] = (), passthrough: Collection[str] = ()
    ) -> dict[str, str]:
        """Warn about attributes that are not modelled.

        An attribute in ``tomcat`` (documented by Tomcat, not implemented)
        is reported as not supported; any other is unknown, with the
        closest known name and the element's path, as Tomcat's digester
        reports a property it cannot set.  Returns the kept Tomcat
        attributes (``passthrough`` ones silently, ``tomcat`` ones with the
        warning), for an ``extra`` mapping.
        """
        kept: dict[str, str] = {}
        for name, value in self.values.items():
            if name in modelled:
                continue
            if name in passthrough:
                kept[name] = value
            elif name in tomcat:
                kept[name] = value
                self.reader.warn(
                    self.location, f"attribute {name} of <{self.tag}> is not " "supported by catalina_py, ignored"
                )
            else:
                message = f"unknown attribute {name} on <{self.tag}>, " "ignored"
                close = difflib.get_close_matches(name, sorted({*modelled, *tomcat, *passthrough}), n=1)
                if close:
                    message += f" (did you mean {close[0]}?)"
                message += (
                    f" [{{{self.reader.path_of(self.element)}}} "
                    f"Setting property '{name}' did not find a "
                    "matching property.]"
                )
                self.reader.warn(self.location, message)
        return kept
