"""Context names: how a folder, WAR or descriptor base name gives a context
path and a version, and back (Tomcat's ``ContextName``):

* ``ROOT`` <-> "", ``a#b`` <-> ``/a/b`` (``#`` stands for ``/``);
* ``name##version`` is a *parallel deployment* version of the same path:
  ``shop##2`` -> path ``/shop``, version ``2``; ``ROOT##3`` (or ``##3``) ->
  path "", version ``3``;
* ``.war`` and ``.xml`` are stripped when asked (a WAR or descriptor name).

Versions are ordered as Tomcat orders them: as plain strings
(``String.compareTo``), so ``app##10`` is *older* than ``app##9``; give
versions a fixed width (``001``, ``002``) or dates (``20260101``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..errors import ConfigError

__all__ = [
    "VERSION_MARKER",
    "ContextName",
    "base_name_for",
    "context_path_for",
    "newest",
    "newest_first",
    "split_version",
]

#: What separates a base name from its version (Tomcat's ``VERSION_MARKER``).
VERSION_MARKER = "##"

_ROOT = "ROOT"

_EXTENSIONS = (".war", ".xml")


@dataclass(frozen=True, order=True)
class ContextName:
    """A context's path and parallel deployment version (``""`` when it has
    none), as read from a base name or given."""

    path: str
    version: str = ""

    @classmethod
    def from_base_name(cls, name: str, strip_extension: bool = False) -> ContextName:
        """Read a folder name (``shop``, ``a#b``, ``shop##2``, ``ROOT``) or,
        with *strip_extension*, a WAR or descriptor file name
        (``shop##2.war``, ``a#b.xml``).

        :raises ConfigError: the name gives no valid path (an empty
            segment, ``.`` or ``..`` as a segment, an empty name) or has an
            empty version (``shop##``).
        """
        base = name
        if strip_extension and base.lower().endswith(_EXTENSIONS):
            base = base[:-4]
        if base.startswith(VERSION_MARKER):
            base = _ROOT + base  # Tomcat: "##2" is ROOT's version 2
        head, marker, version = base.partition(VERSION_MARKER)
        if marker and not version:
            raise ConfigError(f"'{name}' has an empty version after '{VERSION_MARKER}'", hint="e.g. shop##2")
        if head == _ROOT:
            return cls("", version)
        segments = head.split("#")
        if not head or any(segment in ("", ".", "..") for segment in segments):
            raise ConfigError(
                f"'{name}' gives no valid context path (an empty, '.' or '..' path segment)",
                hint="a name such as shop, a#b (for /a/b), ROOT (for /) or shop##2 (version 2 of /shop)",
            )
        if "/" in head or "\\" in head or "\x00" in head:
            raise ConfigError(f"'{name}' gives no valid context path (a slash or NUL in the name)")
        return cls("/" + "/".join(segments), version)

    @property
    def base_name(self) -> str:
        """The folder name (without ``.war``): ``shop##2``, ``ROOT``, ``a#b``."""
        base = _ROOT if self.path == "" else self.path[1:].replace("/", "#")
        return base + (VERSION_MARKER + self.version if self.version else "")

    @property
    def name(self) -> str:
        """Tomcat's context name: the path, with ``##version`` when versioned."""
        return self.path + (VERSION_MARKER + self.version if self.version else "")

    def display(self) -> str:
        """The path for log lines ("/" for ROOT), with its version if any."""
        return (self.path or "/") + (VERSION_MARKER + self.version if self.version else "")


def newest(names: Iterable[ContextName]) -> ContextName | None:
    """The newest version among *names* (Tomcat compares versions as
    strings; no version, ``""``, is the oldest); None when empty."""
    found: ContextName | None = None
    for cn in names:
        if found is None or cn.version > found.version:
            found = cn
    return found


def newest_first(names: Iterable[str]) -> list[str]:
    """Folder names sorted by name, except that the versions of one path
    come newest first (``a##2``, ``a##1``, ``a``), so that deploying them in
    this order deploys the newest version of each path. Names that give no
    valid path keep their place by name."""

    def key(name: str) -> tuple[str, str]:
        try:
            cn = ContextName.from_base_name(name)
        except ConfigError:
            return (name, "")
        return (cn.base_name.partition(VERSION_MARKER)[0], cn.version)

    by_version = sorted(sorted(names), key=lambda name: key(name)[1], reverse=True)
    return sorted(by_version, key=lambda name: key(name)[0])


def split_version(name: str) -> tuple[str, str]:
    """A folder or descriptor base name -> (context path, version):
    ``shop##2`` -> ("/shop", "2"), ``ROOT##3`` and ``##3`` -> ("", "3"),
    ``shop`` -> ("/shop", "").

    :raises ConfigError: see :meth:`ContextName.from_base_name`.
    """
    cn = ContextName.from_base_name(name)
    return cn.path, cn.version


def context_path_for(name: str) -> str:
    """The context path a folder or descriptor base name gives (its version,
    if any, set aside): ``ROOT`` -> "", ``a#b`` -> "/a/b", ``a##2`` -> "/a".

    :raises ConfigError: see :meth:`ContextName.from_base_name`.
    """
    return ContextName.from_base_name(name).path


def base_name_for(path: str, version: str = "") -> str:
    """The inverse of :func:`context_path_for`: "" -> ``ROOT``, "/a/b" ->
    ``a#b``, ("/a", "2") -> ``a##2``."""
    return ContextName(path, version).base_name
