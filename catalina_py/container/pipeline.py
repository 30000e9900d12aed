"""Valves and pipelines, as Tomcat's ``Valve``/``ValveBase``/``StandardPipeline``.

A pipeline is a chain of valves that ends in the container's *basic* valve
(the one that passes the request to the next container down). Each valve
does its work and calls ``self.next.invoke(request, response)``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Mapping

from ..errors import ConfigError
from ..lifecycle import LifecycleBase

if TYPE_CHECKING:  # pragma: no cover
    from ..servlet.request import HttpServletRequest
    from ..servlet.response import HttpServletResponse

log = logging.getLogger("catalina_py.container")


def to_bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    raise ValueError(f"{value!r} is not true or false")


class ValveBase(LifecycleBase):
    """Base class of valves.

    Subclasses declare the attributes they accept in ``ATTRIBUTES``, a map
    from the XML attribute name (Tomcat's camelCase) to a converter; the
    converted value is stored on the instance under the snake_case name.
    """

    ATTRIBUTES: ClassVar[Mapping[str, Callable[[str], Any]]] = {}

    def __init__(self) -> None:
        self.next: ValveBase | None = None
        self.container: Any = None

    def configure(self, attributes: Mapping[str, str], location: Any = None) -> list[str]:
        """Apply XML attributes; returns warnings for unknown ones, raises
        ConfigError (with the element's file and line) for bad values."""
        warnings = []
        file = getattr(location, "file", None)
        line = getattr(location, "line", None)
        for name, raw in attributes.items():
            if name == "className":
                continue
            converter = self.ATTRIBUTES.get(name)
            if converter is None:
                warnings.append(f"{file}:{line}: {type(self).__name__} has no attribute "
                                f"{name!r}; ignored (known: {', '.join(sorted(self.ATTRIBUTES)) or 'none'})")
                continue
            try:
                value = converter(raw)
            except (ValueError, TypeError) as exc:
                raise ConfigError(f"invalid value {raw!r} for {type(self).__name__}.{name}: {exc}",
                                  file=file, line=line) from None
            setattr(self, _snake(name), value)
        return warnings

    def invoke(self, request: "HttpServletRequest", response: "HttpServletResponse") -> None:
        self.next.invoke(request, response)  # type: ignore[union-attr]


def _snake(name: str) -> str:
    out = []
    for i, ch in enumerate(name):
        if ch.isupper() and i and not name[i - 1].isupper():
            out.append("_")
        out.append(ch.lower())
    return "".join(out)


class Pipeline:
    """An ordered list of valves ending in a basic valve."""

    def __init__(self, basic: ValveBase) -> None:
        self.valves: list[ValveBase] = []
        self.basic = basic
        self.first: ValveBase = basic

    def add_valve(self, valve: ValveBase) -> None:
        self.valves.append(valve)
        self._link()

    def _link(self) -> None:
        # A valve that does not override invoke() only forwards (an access
        # log valve does its work in log_access): the chain goes around it.
        chain = [v for v in self.valves if type(v).invoke is not ValveBase.invoke] + [self.basic]
        for valve, nxt in zip(chain, chain[1:]):
            valve.next = nxt
        self.basic.next = None
        self.first = chain[0]

    def start(self) -> None:
        for valve in self.valves:
            valve.start()

    def stop(self) -> None:
        for valve in reversed(self.valves):
            valve.stop()

    def access_logs(self) -> list[Any]:
        """The valves that write an access log line after each request."""
        return [v for v in self.valves if hasattr(v, "log_access")]
