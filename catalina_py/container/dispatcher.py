"""``ApplicationDispatcher``: forward, include and named dispatchers
(Tomcat's ``ApplicationDispatcher``, ``ApplicationHttpRequest`` and
``ApplicationHttpResponse``); the error pages are in ``error_page.py``.

How a dispatch presents other paths: Tomcat wraps the request in an
``ApplicationHttpRequest`` whose getters answer the dispatched paths. Here
the container's one request object (beneath any wrappers the webapp's
filters added) gets its mapping, dispatcher type, parameters and the
``jakarta.servlet.forward.*`` / ``include.*`` attributes set for the
duration of the dispatch, and every one of them is put back afterwards,
so webapp wrappers above it see the dispatched values through delegation
and the caller sees its own values again. An include does not change the
paths; the included resource gets a response wrapper (Tomcat's
``ApplicationHttpResponse`` with ``included=true``) that ignores the
status, headers, cookies, content type and length, ``send_error`` and
``send_redirect``.

See ``docs/dispatching.md``.
"""

from __future__ import annotations

import dataclasses
import logging
import urllib.parse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..http.uri import UriError, parse_uri
from ..servlet.exceptions import IllegalStateError, ServletException
from ..servlet.filter import DispatcherType, HttpServletResponseWrapper, unwrap_request, unwrap_response
from ..servlet.mapping import (
    FORWARD_CONTEXT_PATH,
    FORWARD_MAPPING,
    FORWARD_PATH_INFO,
    FORWARD_QUERY_STRING,
    FORWARD_REQUEST_URI,
    FORWARD_SERVLET_PATH,
    INCLUDE_CONTEXT_PATH,
    INCLUDE_MAPPING,
    INCLUDE_PATH_INFO,
    INCLUDE_QUERY_STRING,
    INCLUDE_REQUEST_URI,
    INCLUDE_SERVLET_PATH,
    HttpServletMapping,
    RequestDispatcher,
)
from ..servlet.params import merge_parameters, parse_form
from .filter_chain import run_chain
from .mapper import MappingData

if TYPE_CHECKING:  # pragma: no cover
    from ..servlet.context import ServletContext
    from .mapper import Mapper
    from .types import ContainerRequest as Request
    from .types import ContainerResponse as Response
    from .types import ServletWrapper as StandardWrapper
    from .types import WebappContext as StandardContext

log = logging.getLogger("catalina_py.container")

__all__ = [
    "ApplicationDispatcher",
    "current_mapping",
    "get_named_dispatcher",
    "get_relative_dispatcher",
    "get_request_dispatcher",
    "servlet_context_for",
]

#: Characters left as they are when a decoded path is put back into a URI.
_PATH_SAFE = "/!$&'()*+,;=:@-._~"


# -- finding the Mapper -----------------------------------------------------------


def _mapper_of(context: StandardContext, request: Any = None) -> Mapper | None:
    """The Service's Mapper for *context*: the one it was given, else the
    one of the context that *request* was mapped to on the same host
    (remembered on the context); None when neither is known."""
    mapper = context.mapper
    if mapper is None and request is not None:
        mapping = unwrap_request(request).mapping
        source = mapping.context
        mapper = None if source is None else source.mapper
        if mapper is not None and mapping.host is context.host:
            context.mapper = mapper
    return mapper


def current_mapping(request: Request) -> HttpServletMapping | None:
    """The mapping of the container request *request* as the Mapper
    made it (computed again on demand for the current path)."""
    mapping = request.mapping
    context = mapping.context
    if context is None or mapping.wrapper is None:
        return None
    mapper = _mapper_of(context, request)
    if mapper is None:
        return None
    try:
        md = mapper.map_context(context.host.name, context.path, mapping.relative_path, context)
    except KeyError:
        return None
    return HttpServletMapping.from_mapping_data(md)


# -- creating dispatchers ---------------------------------------------------------


def _encode_path(path: str) -> str:
    """*path* with the characters a URI path may not hold %-encoded."""
    return urllib.parse.quote(path, safe=_PATH_SAFE + "%")


def get_request_dispatcher(
    context: StandardContext, path: str | None, request: Any = None
) -> ApplicationDispatcher | None:
    """A dispatcher for the context-relative *path* (which may carry a
    query string), as ``ServletContext.getRequestDispatcher``.

    :returns: None for a None path, a path that climbs out of the webapp
        (``/../x``) or is otherwise malformed, and a path no servlet maps.
    :raises ValueError: *path* does not start with ``/``.
    """
    if path is None:
        return None
    if not isinstance(path, str):
        raise TypeError(f"a dispatcher path must be a str, got {type(path).__name__}")
    if not path.startswith("/"):
        raise ValueError(
            f"a dispatcher path must start with '/' (got {path!r}); "
            "use the request's get_request_dispatcher for relative paths"
        )
    path, question, query = path.partition("?")
    query_string = query if question else None
    try:
        parsed = parse_uri(_encode_path(path), None, "utf-8")
    except UriError as exc:
        log.debug("No dispatcher for [%s]: %s", path, exc.reason)
        return None
    decoded = parsed.decoded_path
    request_uri = _encode_path(context.path) + _encode_path(decoded)
    dispatcher = ApplicationDispatcher(context, path=decoded, request_uri=request_uri, query_string=query_string)
    mapper = _mapper_of(context, request)
    if mapper is not None and not dispatcher._map(mapper):
        return None
    return dispatcher


def get_relative_dispatcher(request: Any, path: str | None) -> ApplicationDispatcher | None:
    """``HttpServletRequest.getRequestDispatcher``: *path* absolute within
    the request's context, or relative to the request's servlet path and
    path info (those of the included resource during an include)."""
    if path is None:
        return None
    base = unwrap_request(request)
    context = base.mapping.context
    if context is None:
        return None
    if not path.startswith("/"):
        servlet_path = base.get_attribute(INCLUDE_SERVLET_PATH)
        if servlet_path is None:
            servlet_path = base.get_servlet_path()
            path_info = base.get_path_info()
        else:
            path_info = base.get_attribute(INCLUDE_PATH_INFO)
        current = servlet_path + (path_info or "")
        path = _encode_path(current[: current.rfind("/") + 1] or "/") + path
    return get_request_dispatcher(context, path, request)


def get_named_dispatcher(context: StandardContext, name: str | None) -> ApplicationDispatcher | None:
    """A dispatcher for the servlet called *name*, or None if there is none."""
    if name is None:
        return None
    wrapper = context.wrappers.get(name)
    if wrapper is None:
        return None
    return ApplicationDispatcher(context, wrapper=wrapper, name=name)


def servlet_context_for(context: StandardContext, uripath: str | None) -> ServletContext | None:
    """``ServletContext.getContext``: the ServletContext of the context on
    the same host that maps *uripath* (the longest context path that is a
    prefix of it on a segment boundary, else ROOT), if *context* allows
    cross-context access or it is *context* itself; None otherwise."""
    if not isinstance(uripath, str) or not uripath.startswith("/"):
        return None
    contexts = getattr(context.host, "contexts", None) or {}
    candidate = uripath.rstrip("/")
    child = None
    while True:
        found = contexts.get(candidate)
        if found is not None:
            child = found
            break
        if not candidate:
            break
        candidate = candidate[: candidate.rfind("/")]
    if child is None or not child.is_available():
        return None
    if child is context or context.cross_context:
        return child.get_servlet_context()
    return None


# -- the dispatcher -----------------------------------------------------------------


class ApplicationDispatcher(RequestDispatcher):
    """The container's ``RequestDispatcher`` for a path or a named servlet
    of one context (Tomcat's ``ApplicationDispatcher``)."""

    def __init__(
        self,
        context: StandardContext,
        *,
        path: str | None = None,
        request_uri: str | None = None,
        query_string: str | None = None,
        wrapper: StandardWrapper | None = None,
        name: str | None = None,
    ) -> None:
        if (path is None) == (name is None):
            raise ValueError("a RequestDispatcher needs either a path or a servlet name")
        self._context = context
        self._path = path  # decoded, context-relative, no query
        self._request_uri = request_uri
        self._query_string = query_string
        self._name = name
        self._wrapper = wrapper
        self._md: MappingData | None = None
        self._mapping: HttpServletMapping | None = None

    def __repr__(self) -> str:
        target = f"name={self._name!r}" if self._name is not None else f"path={self._path!r}"
        return f"<ApplicationDispatcher {self._context.display_path()} {target}>"

    # -- mapping --------------------------------------------------------------
    def _map(self, mapper: Mapper) -> bool:
        """Map the path with the Service's Mapper; False if nothing maps it."""
        assert self._path is not None
        try:
            md = mapper.map_context(self._context.host.name, self._context.path, self._path, self._context)
        except KeyError:  # the context is not (or no longer) registered
            return False
        if md.wrapper is None:
            return False
        self._wrapper = md.wrapper
        self._md = md
        self._mapping = HttpServletMapping.from_mapping_data(md)
        return True

    def _target(self, request: Any) -> StandardWrapper:
        """The wrapper to dispatch to, mapping the path now if that could not
        be done when the dispatcher was created."""
        if self._wrapper is None:
            mapper = _mapper_of(self._context, request)
            if mapper is None or not self._map(mapper):
                exc = ServletException(
                    f"no servlet of context [{self._context.display_path()}] " f"maps the path [{self._path}]"
                )
                exc.status = 404
                raise exc
        assert self._wrapper is not None
        return self._wrapper

    # -- forward --------------------------------------------------------------
    def forward(self, request: Any, response: Any) -> None:
        self.forward_as(request, response, DispatcherType.FORWARD)

    def forward_as(self, request: Any, response: Any, dispatcher_type: str) -> None:
        """A forward with *dispatcher_type* (FORWARD; ERROR for an error page)."""
        if response.is_committed():
            raise IllegalStateError("Cannot forward after the response has been committed")
        response.reset_buffer()
        wrapper = self._target(request)
        base: Request = unwrap_request(request)
        saved = _RequestState(base)
        try:
            if self._name is None:
                if base.get_attribute(FORWARD_REQUEST_URI) is None:
                    # The first forward records where the request came from.
                    saved.set_attribute(FORWARD_REQUEST_URI, base.get_request_uri())
                    saved.set_attribute(FORWARD_CONTEXT_PATH, base.get_context_path())
                    saved.set_attribute(FORWARD_SERVLET_PATH, base.get_servlet_path())
                    saved.set_attribute(FORWARD_PATH_INFO, base.get_path_info())
                    saved.set_attribute(FORWARD_QUERY_STRING, base.get_query_string())
                    saved.set_attribute(FORWARD_MAPPING, base.get_http_servlet_mapping())
                md = self._md
                mapping = MappingData(
                    host=base.mapping.host,
                    context=self._context,
                    context_path=self._context.path,
                    wrapper=wrapper,
                    servlet_path=md.servlet_path if md is not None else "",
                    path_info=md.path_info if md is not None else None,
                    match_type=md.match_type if md is not None else "",
                    match_pattern=md.match_pattern if md is not None else "",
                    relative_path=self._path or "/",
                )
                base.set_dispatch(
                    mapping,
                    dispatcher_type,
                    request_uri=self._request_uri,
                    query_string=self._query_string,
                    servlet_mapping=self._mapping,
                )
                if self._query_string is not None:
                    saved.merge_parameters(self._query_string)
            else:
                base.set_dispatch(dataclasses.replace(base.mapping, wrapper=wrapper), dispatcher_type)
            self._invoke(wrapper, dispatcher_type, request, response)
        finally:
            saved.restore()
        self._close_after_forward(base, unwrap_response(response), dispatcher_type)

    @staticmethod
    def _close_after_forward(request: Request, response: Response, dispatcher_type: str) -> None:
        """The spec: when ``forward`` returns, the response has been sent,
        committed and closed, so nothing the caller does afterwards (write,
        status, headers) reaches the client. An error response (and an
        error page's response) is only closed for the application, as
        Tomcat's "not a real close", so the error page processing can still
        write it; an asynchronous request stays open."""
        if request.is_async_started():
            return
        if dispatcher_type != DispatcherType.ERROR and not response.is_error() and not response.is_committed():
            response.commit_whole()  # whole: with its Content-Length
        response.set_suspended(True)

    # -- include --------------------------------------------------------------
    def include(self, request: Any, response: Any) -> None:
        wrapper = self._target(request)
        base: Request = unwrap_request(request)
        saved = _RequestState(base)
        included, undo = _wrap_for_include(response)
        try:
            if self._name is None:
                context = self._context
                saved.set_attribute(INCLUDE_REQUEST_URI, self._request_uri)
                saved.set_attribute(INCLUDE_CONTEXT_PATH, context.path)
                saved.set_attribute(INCLUDE_SERVLET_PATH, self._md.servlet_path if self._md else None)
                saved.set_attribute(INCLUDE_PATH_INFO, self._md.path_info if self._md else None)
                saved.set_attribute(INCLUDE_QUERY_STRING, self._query_string)
                saved.set_attribute(INCLUDE_MAPPING, self._mapping)
                if self._query_string is not None:
                    saved.merge_parameters(self._query_string)
            base.set_dispatch(
                dataclasses.replace(base.mapping, context=self._context, wrapper=wrapper), DispatcherType.INCLUDE
            )
            self._invoke(wrapper, DispatcherType.INCLUDE, request, included)
        finally:
            undo()
            saved.restore()

    # -- the call ---------------------------------------------------------------
    def _invoke(self, wrapper: StandardWrapper, dispatcher_type: str, request: Any, response: Any) -> None:
        servlet = wrapper.allocate()
        run_chain(wrapper.context, self._path, wrapper, dispatcher_type, servlet, request, response)


class _RequestState:
    """What a dispatch changes on the container request, to put back."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.state = request.dispatch_state()
        self.parameters: Any = _UNSET
        self.attributes: dict[str, Any] = {}

    def set_attribute(self, name: str, value: Any) -> None:
        """Set (None: remove) a dispatch attribute, remembering the old value."""
        old = self.request.set_dispatch_attribute(name, value)
        if name not in self.attributes:
            self.attributes[name] = old

    def merge_parameters(self, query_string: str) -> None:
        """Parameters of the dispatch query string first, then the request's
        own, for each name (the new values take precedence, as the spec
        says); the names in Tomcat's order (see ``merge_parameters``)."""
        request = self.request
        original = request.get_parameter_map()
        if self.parameters is _UNSET:
            self.parameters = original
        added: dict[str, list[str]] = {}
        parse_form(query_string, request.uri_encoding, added)
        request.swap_parameters(merge_parameters(added, original))

    def restore(self) -> None:
        request = self.request
        request.restore_dispatch_state(self.state)
        if self.parameters is not _UNSET:
            request.swap_parameters(self.parameters)
        for name, value in self.attributes.items():
            request.set_dispatch_attribute(name, value)


_UNSET = object()


class _IncludedResponse(HttpServletResponseWrapper):
    """The response an included resource writes to: the body goes through,
    everything that would change the status or the headers is ignored
    (Tomcat's ``ApplicationHttpResponse`` with ``included=true``)."""

    __slots__ = ()

    def set_status(self, status: int) -> None:
        pass

    def send_error(self, status: int, message: str | None = None) -> None:
        pass

    def send_redirect(self, location: str, status: int = 302) -> None:
        pass

    def set_header(self, name: str, value: str | None) -> None:
        pass

    def add_header(self, name: str, value: str) -> None:
        pass

    def set_int_header(self, name: str, value: int) -> None:
        pass

    def set_date_header(self, name: str, timestamp: float) -> None:
        pass

    def add_cookie(self, cookie: Any) -> None:
        pass

    def set_content_type(self, content_type: str | None) -> None:
        pass

    def set_content_length(self, length: int) -> None:
        pass

    def set_character_encoding(self, encoding: str | None) -> None:
        pass

    def set_locale(self, locale: str) -> None:
        pass

    def set_buffer_size(self, size: int) -> None:
        pass

    def reset(self) -> None:
        if self.is_committed():  # the response raises, as it would for the caller
            self.get_response().reset()


def _wrap_for_include(response: Any) -> tuple[Any, Callable[[], None]]:
    """Put an :class:`_IncludedResponse` right above the container response
    (beneath the webapp's wrappers, so they still see everything first, as
    Tomcat's ``wrapResponse``). Returns the object to pass down and the
    function that takes it out again."""
    base = unwrap_response(response)
    included = _IncludedResponse(base)
    if response is base:
        return included, lambda: None
    above = response
    while isinstance(above.get_response(), HttpServletResponseWrapper):
        above = above.get_response()
    above.set_response(included)
    return response, lambda: above.set_response(base)
