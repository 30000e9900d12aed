"""Filters and the request/response wrappers they use, as ``jakarta.servlet``
defines them (``Filter``, ``FilterChain``, ``FilterConfig``,
``GenericFilter``, ``jakarta.servlet.http.HttpFilter``, ``DispatcherType``,
``HttpServletRequestWrapper``, ``HttpServletResponseWrapper``).

A filter sits in front of a servlet: the container builds a chain of the
filters mapped to a request (``<filter-mapping>`` in web.xml) and calls the
first one's ``do_filter(request, response, chain)``. The filter does its
work and calls ``chain.do_filter(request, response)`` to pass the request
on (or does not, to answer by itself). It may pass wrapped objects down the
chain: subclass :class:`HttpServletRequestWrapper` or
:class:`HttpServletResponseWrapper` and override what should differ;
everything else is delegated to the wrapped object.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Protocol

if TYPE_CHECKING:  # pragma: no cover
    from .context import ServletContext

__all__ = [
    "DispatcherType",
    "Filter",
    "FilterChain",
    "FilterConfig",
    "GenericFilter",
    "HttpFilter",
    "HttpServletRequestWrapper",
    "HttpServletResponseWrapper",
]


class DispatcherType:
    """Why a request reaches a servlet (``jakarta.servlet.DispatcherType``):
    the value of ``request.get_dispatcher_type()`` and of a filter
    mapping's ``<dispatcher>`` elements."""

    #: A request from a client.
    REQUEST = "REQUEST"
    #: ``RequestDispatcher.forward``.
    FORWARD = "FORWARD"
    #: ``RequestDispatcher.include``.
    INCLUDE = "INCLUDE"
    #: The container showing an ``<error-page>``.
    ERROR = "ERROR"
    #: An asynchronous dispatch (not implemented by catalina_py yet).
    ASYNC = "ASYNC"
    #: Every type, in the specification's order.
    ALL = ("REQUEST", "FORWARD", "INCLUDE", "ERROR", "ASYNC")


class FilterChain(Protocol):
    """What a filter calls to pass the request on: the next filter, or the
    servlet after the last filter (``jakarta.servlet.FilterChain``)."""

    def do_filter(self, request: Any, response: Any) -> None:
        """Invoke the rest of the chain with *request* and *response*
        (possibly wrappers of the objects the filter received)."""


class FilterConfig:
    """A filter's name, init parameters and context, handed to
    :meth:`Filter.init` (``jakarta.servlet.FilterConfig``)."""

    def __init__(self, name: str, init_params: dict[str, str] | None, servlet_context: ServletContext | None) -> None:
        self._name = name
        self._init_params = dict(init_params or {})
        self._servlet_context = servlet_context

    def get_filter_name(self) -> str:
        return self._name

    def get_init_parameter(self, name: str) -> str | None:
        return self._init_params.get(name)

    def get_init_parameter_names(self) -> list[str]:
        return list(self._init_params)

    def get_servlet_context(self) -> ServletContext | None:
        return self._servlet_context


class Filter:
    """Base class of filters (``jakarta.servlet.Filter``).

    The container creates one instance per ``<filter>`` when the context
    starts and calls :meth:`init` once (an exception there stops the
    context from starting), :meth:`do_filter` for every request the
    filter's mappings select, and :meth:`destroy` once when the context
    stops.
    """

    def init(self, filter_config: FilterConfig) -> None:
        """Called once before the first request; the default does nothing."""

    def do_filter(self, request: Any, response: Any, chain: FilterChain) -> None:
        """Filter one request; call ``chain.do_filter(request, response)``
        to pass it on. Subclasses must override this."""
        raise NotImplementedError(f"{type(self).__name__} does not implement do_filter()")

    def destroy(self) -> None:
        """Called once when the context stops; the default does nothing."""


class GenericFilter(Filter):
    """A filter that keeps its :class:`FilterConfig` and offers its
    accessors (``jakarta.servlet.GenericFilter``). Override :meth:`on_init`
    for set-up rather than :meth:`init`."""

    _filter_config: FilterConfig | None = None

    def init(self, filter_config: FilterConfig) -> None:
        self._filter_config = filter_config
        self.on_init()

    def on_init(self) -> None:
        """Set-up hook, the Python spelling of the no-argument ``init()``."""

    def get_filter_config(self) -> FilterConfig:
        if self._filter_config is None:
            raise RuntimeError(f"filter {type(self).__name__} used before init()")
        return self._filter_config

    def get_filter_name(self) -> str:
        return self.get_filter_config().get_filter_name()

    def get_init_parameter(self, name: str) -> str | None:
        return self.get_filter_config().get_init_parameter(name)

    def get_init_parameter_names(self) -> list[str]:
        return self.get_filter_config().get_init_parameter_names()

    def get_servlet_context(self) -> ServletContext | None:
        return self.get_filter_config().get_servlet_context()


class HttpFilter(GenericFilter):
    """A filter of HTTP requests (``jakarta.servlet.http.HttpFilter``):
    override :meth:`do_http_filter`; the default passes the request on."""

    def do_filter(self, request: Any, response: Any, chain: FilterChain) -> None:
        if not callable(getattr(request, "get_method", None)) or not callable(getattr(response, "send_error", None)):
            from .exceptions import ServletException

            raise ServletException(
                f"HttpFilter {type(self).__name__} was given a non-HTTP "
                f"request or response ({type(request).__name__}, "
                f"{type(response).__name__})"
            )
        self.do_http_filter(request, response, chain)

    def do_http_filter(self, request: Any, response: Any, chain: FilterChain) -> None:
        """Filter one HTTP request; the default calls the rest of the chain."""
        chain.do_filter(request, response)


class _Wrapper:
    """Delegates every attribute it does not define to the wrapped object,
    so a subclass overrides only what it changes."""

    __slots__ = ("_wrapped",)
    #: The wrapper class whose chain is_wrapper_for() follows.
    _kind: ClassVar[type[_Wrapper]]

    def __init__(self, wrapped: Any) -> None:
        if wrapped is None:
            raise ValueError(f"{type(self).__name__} needs an object to wrap, got None")
        object.__setattr__(self, "_wrapped", wrapped)

    def __getattr__(self, name: str) -> Any:
        # Only called for names the wrapper itself does not have.
        if name == "_wrapped":
            raise AttributeError(name)
        return getattr(self._wrapped, name)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self._wrapped!r}>"

    def _rewrap(self, wrapped: Any) -> None:
        if wrapped is None:
            raise ValueError("cannot wrap None")
        object.__setattr__(self, "_wrapped", wrapped)

    def is_wrapper_for(self, wrapped: Any) -> bool:
        """Whether *wrapped* (an object or, given a class, an instance of it)
        is somewhere below this wrapper (through wrappers of the same kind)."""
        kind = type(self)._kind
        current = self._wrapped
        while True:
            if current is wrapped or (isinstance(wrapped, type) and isinstance(current, wrapped)):
                return True
            if not isinstance(current, kind):
                return False
            current = current._wrapped


class HttpServletRequestWrapper(_Wrapper):
    """A request that delegates to another one
    (``jakarta.servlet.http.HttpServletRequestWrapper``). The container
    accepts it wherever it accepts a request."""

    __slots__ = ()

    def get_request(self) -> Any:
        """The wrapped request."""
        return self._wrapped

    def set_request(self, request: Any) -> None:
        """Wrap *request* instead (ValueError for None)."""
        self._rewrap(request)


class HttpServletResponseWrapper(_Wrapper):
    """A response that delegates to another one
    (``jakarta.servlet.http.HttpServletResponseWrapper``). The container
    accepts it wherever it accepts a response."""

    __slots__ = ()

    def get_response(self) -> Any:
        """The wrapped response."""
        return self._wrapped

    def set_response(self, response: Any) -> None:
        """Wrap *response* instead (ValueError for None)."""
        self._rewrap(response)


# is_wrapper_for() follows only wrappers of its own kind.
HttpServletRequestWrapper._kind = HttpServletRequestWrapper
HttpServletResponseWrapper._kind = HttpServletResponseWrapper


def unwrap_request(request: Any) -> Any:
    """The container's request beneath any number of request wrappers."""
    while isinstance(request, HttpServletRequestWrapper):
        request = request.get_request()
    return request


def unwrap_response(response: Any) -> Any:
    """The container's response beneath any number of response wrappers."""
    while isinstance(response, HttpServletResponseWrapper):
        response = response.get_response()
    return response
