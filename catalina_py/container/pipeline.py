"""Valves and pipelines, as Tomcat's ``Valve``/``ValveBase``/``StandardPipeline``.

A pipeline is a chain of valves that ends in the container's *basic* valve
(the one that passes the request to the next container down). Each valve
does its work and calls ``self.next.invoke(request, response)``.

Events: while anybody listens to ``events.BUS``, every link of every
pipeline goes through an :class:`_ObservedValve` that reports
``ValveEntered``/``ValveLeft``; with no listener the links are the valves
themselves, so an unobserved request pays nothing per valve. The adapter
calls :func:`sync_observation` once per request to switch between the two.
"""

from __future__ import annotations

import logging
import time
import weakref
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from ..errors import ConfigError
from ..events import BUS, ValveEntered, ValveLeft
from ..lifecycle import LifecycleBase

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
                warnings.append(
                    f"{file}:{line}: {type(self).__name__} has no attribute "
                    f"{name!r}; ignored (known: {', '.join(sorted(self.ATTRIBUTES)) or 'none'})"
                )
                continue
            try:
                value = converter(raw)
            except (ValueError, TypeError) as exc:
                raise ConfigError(
                    f"invalid value {raw!r} for {type(self).__name__}.{name}: {exc}", file=file, line=line
                ) from None
            setattr(self, _snake(name), value)
        return warnings

    # Any: the container's Request/Response (types.ContainerRequest and what the valve
    # reads of the servlet API); each valve declares what it uses.
    def invoke(self, request: Any, response: Any) -> None:
        self.next.invoke(request, response)  # type: ignore[union-attr]


def _snake(name: str) -> str:
    out = []
    for i, ch in enumerate(name):
        if ch.isupper() and i and not name[i - 1].isupper():
            out.append("_")
        out.append(ch.lower())
    return "".join(out)


class _ObservedValve(ValveBase):
    """A link of an observed pipeline: reports entering and leaving *valve*."""

    def __init__(self, valve: ValveBase) -> None:
        super().__init__()
        self.valve = valve
        container = valve.container
        name = getattr(container, "lifecycle_name", None)
        self.container_name = name() if callable(name) else type(container).__name__
        self.valve_name = type(valve).__name__

    def invoke(self, request: Any, response: Any) -> None:
        if not getattr(request, "traced", False):
            self.valve.invoke(request, response)  # a request no observer admitted
            return
        connection = getattr(request, "connection_id", 0)
        BUS.emit(ValveEntered(connection=connection, container=self.container_name, valve=self.valve_name))
        started = time.perf_counter()
        try:
            self.valve.invoke(request, response)
        finally:
            BUS.emit(
                ValveLeft(
                    connection=connection,
                    container=self.container_name,
                    valve=self.valve_name,
                    elapsed=time.perf_counter() - started,
                )
            )


#: Every pipeline, to relink when observation starts or stops.
_PIPELINES: weakref.WeakSet[Pipeline] = weakref.WeakSet()
#: Whether the pipelines are linked through observers now (read it; set by
#: :func:`sync_observation`).
observing = False


def sync_observation() -> None:
    """Link every pipeline through observers if anybody listens to the
    event bus, directly if nobody does (a no-op when that is already so)."""
    global observing
    active = BUS.active
    if active != observing:
        observing = active
        for pipeline in list(_PIPELINES):
            pipeline.link()


class Pipeline:
    """An ordered list of valves ending in a basic valve."""

    def __init__(self, basic: ValveBase) -> None:
        self.valves: list[ValveBase] = []
        self.basic = basic
        self.first: ValveBase = basic
        _PIPELINES.add(self)
        if observing:
            self.link()

    def add_valve(self, valve: ValveBase) -> None:
        if valve.container is None:
            # A valve belongs to the container of the pipeline it is in (its
            # basic valve's container), as Tomcat's setContainer does.
            valve.container = self.basic.container
        self.valves.append(valve)
        self.link()

    def link(self) -> None:
        """Chain the valves (through observers while the bus is observed)."""
        # A valve that does not override invoke() only forwards (an access
        # log valve does its work in log_access): the chain goes around it.
        chain = [v for v in self.valves if type(v).invoke is not ValveBase.invoke] + [self.basic]
        links: list[ValveBase] = [_ObservedValve(v) for v in chain] if observing else chain
        for valve, nxt in zip(chain, links[1:], strict=False):
            valve.next = nxt
        self.basic.next = None
        self.first = links[0]

    def start(self) -> None:
        for valve in self.valves:
            valve.start()

    def stop(self) -> None:
        for valve in reversed(self.valves):
            valve.stop()

    def access_logs(self) -> list[Any]:
        """The valves that write an access log line after each request."""
        return [v for v in self.valves if hasattr(v, "log_access")]
