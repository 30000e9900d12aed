"""WebSocket endpoint paths and path templates (Tomcat's ``UriTemplate``
and the matching part of ``WsServerContainer.findMapping``).

A path is either exact (``/echo``) or a template whose segments may be
whole-segment variables (``/chat/{room}``). Matching follows Tomcat:
exact paths first, then the templates with the same number of segments,
in the order of their normalised form (``/chat/{room}`` normalises to
``/chat/{0}``); the first template whose literal segments all match wins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Generic, TypeVar

__all__ = ["UriTemplate", "UriTemplateError", "EndpointMap"]

T = TypeVar("T")

_VARIABLE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.\-]*)\}")


class UriTemplateError(ValueError):
    """A path that cannot be an endpoint path (Tomcat's DeploymentException)."""


class UriTemplate:
    """One endpoint path, parsed into segments.

    :ivar path: the path as declared.
    :ivar segments: literal strings, or ``None`` where a variable stands.
    :ivar names: the variable names, in order.
    :ivar normalized: the path with each variable replaced by ``{index}``,
        which is how two templates are found to clash.
    """

    __slots__ = ("path", "segments", "names", "normalized")

    def __init__(self, path: str) -> None:
        if not isinstance(path, str) or not path.startswith("/"):
            raise UriTemplateError(f"endpoint path {path!r} must start with '/'")
        if "?" in path or "#" in path:
            raise UriTemplateError(f"endpoint path {path!r} must not contain a query or fragment")
        self.path = path
        raw_segments = path[1:].split("/") if path != "/" else []
        segments: list[str | None] = []
        names: list[str] = []
        normalized: list[str] = []
        for segment in raw_segments:
            if segment == "" and len(raw_segments) > 1:
                raise UriTemplateError(f"endpoint path {path!r} has an empty segment")
            match = _VARIABLE.fullmatch(segment)
            if match is not None:
                name = match.group(1)
                if name in names:
                    raise UriTemplateError(f"endpoint path {path!r} uses the variable {{{name}}} twice")
                normalized.append("{%d}" % len(names))
                names.append(name)
                segments.append(None)
            elif "{" in segment or "}" in segment:
                raise UriTemplateError(
                    f"endpoint path {path!r}: a variable must be a whole segment such as "
                    f"'{{name}}', not {segment!r}"
                )
            else:
                normalized.append(segment)
                segments.append(segment)
        self.segments = tuple(segments)
        self.names = tuple(names)
        self.normalized = "/" + "/".join(normalized)

    @property
    def has_variables(self) -> bool:
        """True for a template, False for an exact path."""
        return bool(self.names)

    @property
    def segment_count(self) -> int:
        return len(self.segments)

    def match(self, path: str) -> dict[str, str] | None:
        """The variables' values if *path* matches, else None."""
        parts = path[1:].split("/") if path != "/" else []
        if len(parts) != len(self.segments):
            return None
        values: dict[str, str] = {}
        index = 0
        for literal, part in zip(self.segments, parts, strict=False):
            if literal is None:
                if part == "":
                    return None
                values[self.names[index]] = part
                index += 1
            elif literal != part:
                return None
        return values

    def __repr__(self) -> str:
        return f"UriTemplate({self.path!r})"


@dataclass
class EndpointMap(Generic[T]):
    """Paths to values, matched as ``WsServerContainer.findMapping`` does."""

    exact: dict[str, T] = field(default_factory=dict)
    #: segment count -> [(normalized, template, value)], kept sorted by normalized path
    templates: dict[int, list[tuple[str, UriTemplate, T]]] = field(default_factory=dict)

    def add(self, path: str, value: T) -> UriTemplate:
        """Register *value* at *path*; raises UriTemplateError on a clash."""
        template = UriTemplate(path)
        if not template.has_variables:
            if path in self.exact:
                raise UriTemplateError(f"two endpoints are registered at the same path {path!r}")
            self.exact[path] = value
            return template
        bucket = self.templates.setdefault(template.segment_count, [])
        for normalized, other, _ in bucket:
            if normalized == template.normalized:
                raise UriTemplateError(f"endpoint paths {other.path!r} and {path!r} are the same template")
        bucket.append((template.normalized, template, value))
        bucket.sort(key=lambda item: item[0])
        return template

    def find(self, path: str) -> tuple[T, dict[str, str]] | None:
        """``(value, path parameters)`` for *path*, or None."""
        value = self.exact.get(path)
        if value is not None:
            return value, {}
        if not self.templates:
            return None
        count = path.count("/") if path != "/" else 0
        for _, template, candidate in self.templates.get(count, ()):
            params = template.match(path)
            if params is not None:
                return candidate, params
        return None

    def __bool__(self) -> bool:
        return bool(self.exact) or bool(self.templates)

    def __len__(self) -> int:
        return len(self.exact) + sum(len(bucket) for bucket in self.templates.values())
