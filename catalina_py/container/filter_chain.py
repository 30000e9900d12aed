"""Filter chains: which filters run for a request, and in what order
(Tomcat's ``ApplicationFilterFactory``, ``ApplicationFilterChain`` and
``ApplicationFilterConfig``).

For a request path, a servlet name and a dispatcher type, the chain holds,
as the Servlet specification (6.2.4) and Tomcat have it:

1. the filters of every mapping whose ``<url-pattern>`` matches the path,
   in mapping (document) order, then
2. the filters of every mapping whose ``<servlet-name>`` names the servlet,
   in mapping order,

skipping mappings that do not list the dispatcher type, and each filter at
most once (its first place wins). URL patterns match as Tomcat's
``matchFiltersURL``: exact, ``/prefix/*`` (also the bare ``/prefix``),
``*.ext`` on the last segment, ``/*`` everything; ``/`` matches only the
path ``/`` (a filter mapping has no "default" match); the special pattern
``*`` matches everything, named dispatches included, and the servlet name
``*`` matches every servlet. A named dispatch has no path, so only ``*``
and servlet-name mappings select its filters.

Chains are computed once per (servlet name, dispatcher type, path) and
kept in a bounded cache; a context without filter mappings has no
:class:`FilterMap` at all and its servlets are called directly.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from ..events import BUS, FilterEntered, FilterLeft
from ..servlet.filter import DispatcherType, FilterConfig, unwrap_request

if TYPE_CHECKING:  # pragma: no cover
    from ..config.web_xml import FilterDef, FilterMapping
    from ..servlet.context import ServletContext

log = logging.getLogger("catalina_py.container")

__all__ = [
    "ApplicationFilterChain",
    "ApplicationFilterConfig",
    "FilterMap",
    "match_filter_url",
    "new_chain",
    "run_chain",
]

#: Chains cached per FilterMap before the cache is cleared and refilled.
CHAIN_CACHE_SIZE = 1024


def match_filter_url(pattern: str, path: str | None) -> bool:
    """Whether the filter url-pattern *pattern* selects the context-relative
    *path* (``None`` for a named dispatch, which only ``*`` selects)."""
    if pattern == "*":
        return True
    if path is None:
        return False
    if pattern == path:
        return True
    if pattern == "/*":
        return True
    if pattern.endswith("/*"):
        stem = pattern[:-2]
        return path.startswith(stem) and (len(path) == len(stem) or path[len(stem)] == "/")
    if pattern.startswith("*."):
        slash = path.rfind("/")
        dot = path.rfind(".")
        return 0 <= slash < dot < len(path) - 1 and path[dot + 1 :] == pattern[2:]
    return False


class ApplicationFilterConfig(FilterConfig):
    """One ``<filter>`` of a running context: its definition and its
    instance, created and ``init``-ed by :meth:`start`, destroyed by
    :meth:`stop`."""

    def __init__(self, definition: FilterDef, servlet_context: ServletContext | None, loader: Any = None) -> None:
        super().__init__(definition.name, definition.init_params, servlet_context)
        self.definition = definition
        self._loader = loader
        self.filter: Any = None
        #: ``<async-supported>`` of the definition, or an ``async_supported``
        #: attribute of the filter class (``@web_filter(async_supported=True)``).
        self.async_supported = bool(definition.async_supported)

    def start(self) -> None:
        """Create the filter instance and call its ``init``; what that raises
        propagates (the context then fails to start)."""
        cls = self.definition.filter_class
        if isinstance(cls, str):
            if self._loader is None:
                raise ImportError(f"no loader to import filter class {cls!r}")
            cls = self._loader.load_class(cls)
        if not isinstance(cls, type):
            raise TypeError(f"filter [{self.definition.name}]: {cls!r} is not a class")
        self.async_supported = bool(self.definition.async_supported or getattr(cls, "async_supported", False))
        instance = cls()
        if not callable(getattr(instance, "do_filter", None)):
            raise TypeError(
                f"filter [{self.definition.name}]: {cls.__qualname__} has no "
                "do_filter(request, response, chain) method"
            )
        init = getattr(instance, "init", None)
        if callable(init):
            init(self)
        self.filter = instance

    def stop(self) -> None:
        """Call the filter's ``destroy`` (logged, not raised, if it fails)."""
        instance, self.filter = self.filter, None
        if instance is None:
            return
        destroy = getattr(instance, "destroy", None)
        if callable(destroy):
            try:
                destroy()
            except Exception:
                log.exception("Filter [%s] raised in destroy()", self.definition.name)

    def __repr__(self) -> str:
        return f"<ApplicationFilterConfig {self.definition.name}>"


class ApplicationFilterChain:
    """One pass through a list of filters (their :class:`ApplicationFilterConfig`)
    and then the servlet. Each ``do_filter`` call moves one step on; a
    filter that does not call it ends the request there. Passing a filter
    that is not async-supported makes the request not async-supported
    (Tomcat's ``ASYNC_SUPPORTED_ATTR``)."""

    __slots__ = ("_filters", "_servlet", "_pos")

    def __init__(self, filters: Sequence[Any], servlet: Any) -> None:
        self._filters = filters
        self._servlet = servlet
        self._pos = 0

    def do_filter(self, request: Any, response: Any) -> None:
        """Run the next filter, or the servlet's ``service`` after the last."""
        pos = self._pos
        if pos < len(self._filters):
            self._pos = pos + 1
            config = self._filters[pos]
            if not config.async_supported:
                # Tomcat's ASYNC_SUPPORTED_ATTR, on the container request beneath the wrappers
                unwrap_request(request)._async_supported = False  # reach: tests pass a bare namespace
            config.filter.do_filter(request, response, self)
        else:
            self._pos = pos + 1
            if pos > len(self._filters):
                raise RuntimeError("FilterChain.do_filter() called again after the servlet ran")
            self._servlet.service(request, response)


class _ObservedFilterChain(ApplicationFilterChain):
    """A chain that reports ``FilterEntered``/``FilterLeft`` for each filter
    (built instead of the plain one while the event bus has listeners)."""

    __slots__ = ()

    def do_filter(self, request: Any, response: Any) -> None:
        pos = self._pos
        if pos >= len(self._filters):
            ApplicationFilterChain.do_filter(self, request, response)
            return
        name = self._filters[pos].get_filter_name()
        connection = getattr(unwrap_request(request), "connection_id", 0)
        BUS.emit(FilterEntered(connection=connection, filter=name))
        started = time.perf_counter()
        try:
            ApplicationFilterChain.do_filter(self, request, response)
        finally:
            BUS.emit(FilterLeft(connection=connection, filter=name, elapsed=time.perf_counter() - started))


def new_chain(filters: Sequence[Any], servlet: Any, observed: bool = False) -> ApplicationFilterChain:
    """A chain through *filters* to *servlet*: one that reports events when
    the request is *observed* (traced, while the bus has listeners; decided
    once per chain, not per filter)."""
    if observed and BUS.active:
        return _ObservedFilterChain(filters, servlet)
    return ApplicationFilterChain(filters, servlet)


class _CompiledMapping:
    """A ``<filter-mapping>`` prepared for matching."""

    __slots__ = ("config", "url_patterns", "servlet_names", "all_servlets", "dispatchers")

    def __init__(self, config: ApplicationFilterConfig, mapping: FilterMapping) -> None:
        self.config = config
        self.url_patterns = tuple(mapping.url_patterns)
        self.servlet_names = frozenset(mapping.servlet_names)
        self.all_servlets = "*" in self.servlet_names
        self.dispatchers = frozenset(d.upper() for d in (mapping.dispatchers or ["REQUEST"]))


class FilterMap:
    """A context's filter mappings, ready to build chains.

    :param configs: the started filters by name.
    :param mappings: the ``<filter-mapping>`` entries in document order;
        mappings naming an unknown filter are logged and skipped, as
        Tomcat does.
    """

    def __init__(self, configs: dict[str, ApplicationFilterConfig], mappings: Iterable[FilterMapping]) -> None:
        compiled = []
        for mapping in mappings:
            config = configs.get(mapping.filter_name)
            if config is None:
                log.warning("No filter named [%s] is declared; its filter-mapping is ignored", mapping.filter_name)
                continue
            bad = [d for d in mapping.dispatchers if d.upper() not in DispatcherType.ALL]
            if bad:
                raise ValueError(
                    f"filter-mapping of [{mapping.filter_name}]: unknown dispatcher "
                    f"{bad[0]!r}; expected one of {', '.join(DispatcherType.ALL)}"
                )
            compiled.append(_CompiledMapping(config, mapping))
        self._mappings = tuple(compiled)
        self._cache: dict[tuple[str | None, str, str | None], tuple[Any, ...]] = {}

    def __bool__(self) -> bool:
        return bool(self._mappings)

    def configs_for(
        self, path: str | None, servlet_name: str | None, dispatcher: str
    ) -> tuple[ApplicationFilterConfig, ...]:
        """The filter configs of the chain for *path* (context-relative,
        decoded; None for a named dispatch), *servlet_name* and
        *dispatcher*, in the order they run."""
        selected: list[ApplicationFilterConfig] = []
        mappings = self._mappings
        for mapping in mappings:
            if dispatcher in mapping.dispatchers and mapping.config not in selected:
                for pattern in mapping.url_patterns:
                    if match_filter_url(pattern, path):
                        selected.append(mapping.config)
                        break
        if servlet_name is not None:
            for mapping in mappings:
                if (
                    dispatcher in mapping.dispatchers
                    and mapping.config not in selected
                    and (mapping.all_servlets or servlet_name in mapping.servlet_names)
                ):
                    selected.append(mapping.config)
        return tuple(selected)

    def filters_for(
        self, path: str | None, servlet_name: str | None, dispatcher: str
    ) -> tuple[ApplicationFilterConfig, ...]:
        """The started filters of the chain, from the cache when possible."""
        key = (servlet_name, dispatcher, path)
        cache = self._cache
        filters = cache.get(key)
        if filters is None:
            filters = tuple(
                config for config in self.configs_for(path, servlet_name, dispatcher) if config.filter is not None
            )
            if len(cache) >= CHAIN_CACHE_SIZE:
                cache.clear()
            cache[key] = filters
        return filters


def run_chain(
    context: Any, path: str | None, wrapper: Any, dispatcher: str, servlet: Any, request: Any, response: Any
) -> None:
    """Call *servlet* for *request* through the filters of *context* that
    select it (directly when the context has no filter mappings)."""
    filter_map = context.filter_map
    if filter_map is None:
        servlet.service(request, response)
        return
    filters = filter_map.filters_for(path, wrapper.name if wrapper is not None else None, dispatcher)
    if not filters:
        servlet.service(request, response)
        return
    observed = BUS.active and bool(getattr(unwrap_request(request), "traced", False))
    new_chain(filters, servlet, observed).do_filter(request, response)
