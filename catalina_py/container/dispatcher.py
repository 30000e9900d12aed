"""``RequestDispatcher``: forward, include, named dispatchers and error
pages (Tomcat's ``ApplicationDispatcher``, ``ApplicationHttpRequest``,
``ApplicationHttpResponse`` and the error-page half of
``StandardHostValve``).

How a dispatch presents other paths: Tomcat wraps the request in an
``ApplicationHttpRequest`` whose getters answer the dispatched paths. Here
the container's one request object (beneath any wrappers the webapp's
filters added) gets its path fields, dispatcher type, parameters and the
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

import builtins
import logging
import urllib.parse
import weakref
from typing import TYPE_CHECKING, Any

from ..servlet.exceptions import ServletException
from ..servlet.filter import (DispatcherType, HttpServletResponseWrapper, unwrap_request,
                              unwrap_response)
from ..servlet.params import parse_form
from .filter_chain import run_chain
from ..http.uri import UriError, parse_uri

if TYPE_CHECKING:  # pragma: no cover
    from ..config.web_xml import ErrorPage
    from .context import StandardContext

log = logging.getLogger("catalina_py.container")

__all__ = [
    "HttpServletMapping",
    "RequestDispatcher",
    "find_error_page",
    "get_named_dispatcher",
    "get_request_dispatcher",
    "process_error_page",
    "servlet_context_for",
]

# -- attribute names (jakarta.servlet.RequestDispatcher) ----------------------
FORWARD_REQUEST_URI = "jakarta.servlet.forward.request_uri"
FORWARD_CONTEXT_PATH = "jakarta.servlet.forward.context_path"
FORWARD_SERVLET_PATH = "jakarta.servlet.forward.servlet_path"
FORWARD_PATH_INFO = "jakarta.servlet.forward.path_info"
FORWARD_QUERY_STRING = "jakarta.servlet.forward.query_string"
FORWARD_MAPPING = "jakarta.servlet.forward.mapping"
INCLUDE_REQUEST_URI = "jakarta.servlet.include.request_uri"
INCLUDE_CONTEXT_PATH = "jakarta.servlet.include.context_path"
INCLUDE_SERVLET_PATH = "jakarta.servlet.include.servlet_path"
INCLUDE_PATH_INFO = "jakarta.servlet.include.path_info"
INCLUDE_QUERY_STRING = "jakarta.servlet.include.query_string"
INCLUDE_MAPPING = "jakarta.servlet.include.mapping"
ERROR_STATUS_CODE = "jakarta.servlet.error.status_code"
ERROR_MESSAGE = "jakarta.servlet.error.message"
ERROR_EXCEPTION = "jakarta.servlet.error.exception"
ERROR_EXCEPTION_TYPE = "jakarta.servlet.error.exception_type"
ERROR_REQUEST_URI = "jakarta.servlet.error.request_uri"
ERROR_SERVLET_NAME = "jakarta.servlet.error.servlet_name"

_FORWARD_ATTRIBUTES = (FORWARD_REQUEST_URI, FORWARD_CONTEXT_PATH, FORWARD_SERVLET_PATH,
                       FORWARD_PATH_INFO, FORWARD_QUERY_STRING, FORWARD_MAPPING)
_INCLUDE_ATTRIBUTES = (INCLUDE_REQUEST_URI, INCLUDE_CONTEXT_PATH, INCLUDE_SERVLET_PATH,
                       INCLUDE_PATH_INFO, INCLUDE_QUERY_STRING, INCLUDE_MAPPING)

#: Characters left as they are when a decoded path is put back into a URI.
_PATH_SAFE = "/!$&'()*+,;=:@-._~"


class HttpServletMapping:
    """How a request was mapped to its servlet
    (``jakarta.servlet.http.HttpServletMapping``).

    ``get_mapping_match`` answers one of ``CONTEXT_ROOT``, ``DEFAULT``,
    ``EXACT``, ``EXTENSION``, ``PATH`` (``jakarta.servlet.http.MappingMatch``).
    """

    __slots__ = ("_match_value", "_pattern", "_servlet_name", "_mapping_match")

    _MATCHES = {"exact": "EXACT", "prefix": "PATH", "extension": "EXTENSION",
                "default": "DEFAULT", "context_root": "CONTEXT_ROOT"}

    def __init__(self, match_value: str, pattern: str, servlet_name: str,
                 mapping_match: str | None) -> None:
        self._match_value = match_value
        self._pattern = pattern
        self._servlet_name = servlet_name
        self._mapping_match = mapping_match

    @classmethod
    def from_mapping_data(cls, md: Any) -> "HttpServletMapping":
        """Build the mapping from the Mapper's ``MappingData``."""
        name = md.wrapper.name if md.wrapper is not None else ""
        match = cls._MATCHES.get(md.match_type)
        servlet_path = md.servlet_path or ""
        if match == "EXACT":
            value = servlet_path[1:]
        elif match == "PATH":
            value = (md.path_info or "/")[1:]
        elif match == "EXTENSION":
            dot = servlet_path.rfind(".")
            value = servlet_path[1:dot] if dot > 0 else servlet_path[1:]
        else:
            value = ""
        return cls(value, md.match_pattern, name, match)

    def get_match_value(self) -> str:
        return self._match_value

    def get_pattern(self) -> str:
        return self._pattern

    def get_servlet_name(self) -> str:
        return self._servlet_name

    def get_mapping_match(self) -> str | None:
        return self._mapping_match

    def __repr__(self) -> str:
        return (f"<HttpServletMapping {self._mapping_match} pattern={self._pattern!r} "
                f"value={self._match_value!r} servlet={self._servlet_name!r}>")


# -- finding the Mapper -----------------------------------------------------------

def _mapper_of(context: "StandardContext", request: Any = None) -> Any:
    """The Service's Mapper for *context*: the one it was given, else the
    one of the connector that received *request* (remembered on the
    context); None when neither is known."""
    mapper = context.mapper
    if mapper is None and request is not None:
        base = unwrap_request(request)
        channel = getattr(base, "_channel", None)
        adapter = getattr(getattr(channel, "endpoint", None), "adapter", None)
        mapper = getattr(adapter, "mapper", None)
        if mapper is not None and getattr(base, "_host", None) is context.host:
            context.mapper = mapper
    return mapper


def current_mapping(request: Any) -> HttpServletMapping | None:
    """The mapping of the container request *request* as the Mapper
    made it (computed again on demand: the adapter keeps only the paths)."""
    context = request._context
    if context is None or request._wrapper is None:
        return None
    mapper = _mapper_of(context, request)
    if mapper is None:
        return None
    try:
        md = mapper.map_context(context.host.name, context.path, request._decoded_path_in_context)
    except KeyError:
        return None
    return HttpServletMapping.from_mapping_data(md)


# -- creating dispatchers ---------------------------------------------------------

def _encode_path(path: str) -> str:
    """*path* with the characters a URI path may not hold %-encoded."""
    return urllib.parse.quote(path, safe=_PATH_SAFE + "%")


def get_request_dispatcher(context: "StandardContext", path: str | None,
                           request: Any = None) -> "RequestDispatcher | None":
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
        raise ValueError(f"a dispatcher path must start with '/' (got {path!r}); "
                         "use the request's get_request_dispatcher for relative paths")
    path, question, query = path.partition("?")
    query_string = query if question else None
    try:
        parsed = parse_uri(_encode_path(path), None, "utf-8")
    except UriError as exc:
        log.debug("No dispatcher for [%s]: %s", path, exc.reason)
        return None
    decoded = parsed.decoded_path
    request_uri = _encode_path(context.path) + _encode_path(decoded)
    dispatcher = RequestDispatcher(context, path=decoded, request_uri=request_uri,
                                   query_string=query_string)
    mapper = _mapper_of(context, request)
    if mapper is not None and not dispatcher._map(mapper):
        return None
    return dispatcher


def get_relative_dispatcher(request: Any, path: str | None) -> "RequestDispatcher | None":
    """``HttpServletRequest.getRequestDispatcher``: *path* absolute within
    the request's context, or relative to the request's servlet path and
    path info (those of the included resource during an include)."""
    if path is None:
        return None
    base = unwrap_request(request)
    context = base._context
    if context is None:
        return None
    if not path.startswith("/"):
        servlet_path = base.get_attribute(INCLUDE_SERVLET_PATH)
        if servlet_path is None:
            servlet_path = base._servlet_path
            path_info = base._path_info
        else:
            path_info = base.get_attribute(INCLUDE_PATH_INFO)
        current = servlet_path + (path_info or "")
        path = _encode_path(current[:current.rfind("/") + 1] or "/") + path
    return get_request_dispatcher(context, path, request)


def get_named_dispatcher(context: "StandardContext", name: str | None) -> "RequestDispatcher | None":
    """A dispatcher for the servlet called *name*, or None if there is none."""
    if name is None:
        return None
    wrapper = context.wrappers.get(name)
    if wrapper is None:
        return None
    return RequestDispatcher(context, wrapper=wrapper, name=name)


def servlet_context_for(context: "StandardContext", uripath: str | None) -> Any:
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
        candidate = candidate[:candidate.rfind("/")]
    if child is None or not child.is_available():
        return None
    if child is context or context.cross_context:
        return child.get_servlet_context()
    return None


# -- the dispatcher -----------------------------------------------------------------

class RequestDispatcher:
    """Forwards a request to, or includes in its response, another
    resource of a webapp (``jakarta.servlet.RequestDispatcher``; Tomcat's
    ``ApplicationDispatcher``). Obtain one from
    ``request.get_request_dispatcher(path)``,
    ``servlet_context.get_request_dispatcher(path)`` or
    ``servlet_context.get_named_dispatcher(name)``."""

    FORWARD_REQUEST_URI = FORWARD_REQUEST_URI
    FORWARD_CONTEXT_PATH = FORWARD_CONTEXT_PATH
    FORWARD_SERVLET_PATH = FORWARD_SERVLET_PATH
    FORWARD_PATH_INFO = FORWARD_PATH_INFO
    FORWARD_QUERY_STRING = FORWARD_QUERY_STRING
    FORWARD_MAPPING = FORWARD_MAPPING
    INCLUDE_REQUEST_URI = INCLUDE_REQUEST_URI
    INCLUDE_CONTEXT_PATH = INCLUDE_CONTEXT_PATH
    INCLUDE_SERVLET_PATH = INCLUDE_SERVLET_PATH
    INCLUDE_PATH_INFO = INCLUDE_PATH_INFO
    INCLUDE_QUERY_STRING = INCLUDE_QUERY_STRING
    INCLUDE_MAPPING = INCLUDE_MAPPING
    ERROR_STATUS_CODE = ERROR_STATUS_CODE
    ERROR_MESSAGE = ERROR_MESSAGE
    ERROR_EXCEPTION = ERROR_EXCEPTION
    ERROR_EXCEPTION_TYPE = ERROR_EXCEPTION_TYPE
    ERROR_REQUEST_URI = ERROR_REQUEST_URI
    ERROR_SERVLET_NAME = ERROR_SERVLET_NAME

    def __init__(self, context: "StandardContext", *, path: str | None = None,
                 request_uri: str | None = None, query_string: str | None = None,
                 wrapper: Any = None, name: str | None = None) -> None:
        if (path is None) == (name is None):
            raise ValueError("a RequestDispatcher needs either a path or a servlet name")
        self._context = context
        self._path = path              # decoded, context-relative, no query
        self._request_uri = request_uri
        self._query_string = query_string
        self._name = name
        self._wrapper = wrapper
        self._servlet_path: str | None = None
        self._path_info: str | None = None
        self._mapping: HttpServletMapping | None = None

    def __repr__(self) -> str:
        target = f"name={self._name!r}" if self._name is not None else f"path={self._path!r}"
        return f"<RequestDispatcher {self._context.display_path()} {target}>"

    # -- mapping --------------------------------------------------------------
    def _map(self, mapper: Any) -> bool:
        """Map the path with the Service's Mapper; False if nothing maps it."""
        try:
            md = mapper.map_context(self._context.host.name, self._context.path, self._path)
        except KeyError:  # the context is not (or no longer) registered
            return False
        if md.wrapper is None:
            return False
        self._wrapper = md.wrapper
        self._servlet_path = md.servlet_path
        self._path_info = md.path_info
        self._mapping = HttpServletMapping.from_mapping_data(md)
        return True

    def _target(self, request: Any) -> Any:
        """The wrapper to dispatch to, mapping the path now if that could not
        be done when the dispatcher was created."""
        if self._wrapper is None:
            mapper = _mapper_of(self._context, request)
            if mapper is None or not self._map(mapper):
                exc = ServletException(f"no servlet of context [{self._context.display_path()}] "
                                       f"maps the path [{self._path}]")
                exc.status = 404
                raise exc
        return self._wrapper

    # -- forward --------------------------------------------------------------
    def forward(self, request: Any, response: Any) -> None:
        """Let the target answer the request instead of the caller.

        The buffered body is discarded (status and headers are kept); the
        target sees the new paths and, for a path dispatcher, the
        ``jakarta.servlet.forward.*`` attributes with the original ones.
        Afterwards the response is finished: what the caller writes is
        dropped.

        :raises IllegalStateError: the response has been committed.
        """
        self._forward(request, response, DispatcherType.FORWARD)

    def _forward(self, request: Any, response: Any, dispatcher_type: str) -> None:
        if response.is_committed():
            # The class catalina_py.servlet exports (imported here, late, as
            # that package imports this module).
            from ..servlet import IllegalStateError
            raise IllegalStateError("Cannot forward after the response has been committed")
        response.reset_buffer()
        wrapper = self._target(request)
        base = unwrap_request(request)
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
                base._context = self._context
                base._context_path = self._context.path
                base._request_uri = self._request_uri
                base._servlet_path = self._servlet_path or ""
                base._path_info = self._path_info
                base._decoded_path_in_context = self._path
                base._mapping = self._mapping
                if self._query_string is not None:
                    base._query_string = self._query_string
                    saved.merge_parameters(self._query_string)
            base._wrapper = wrapper
            base._dispatcher_type = dispatcher_type
            self._invoke(wrapper, dispatcher_type, request, response)
        finally:
            saved.restore()
        self._close_after_forward(base, unwrap_response(response), dispatcher_type)

    @staticmethod
    def _close_after_forward(request: Any, response: Any, dispatcher_type: str) -> None:
        """The spec: when ``forward`` returns, the response has been sent,
        committed and closed, so nothing the caller does afterwards (write,
        status, headers) reaches the client. An error response (and an
        error page's response) is only closed for the application, as
        Tomcat's "not a real close", so the error page processing can still
        write it; an asynchronous request stays open."""
        if request.is_async_started():
            return
        if dispatcher_type != DispatcherType.ERROR and not response.is_error() \
                and not response.is_committed():
            response._commit(final=True)  # whole: with its Content-Length
        response._suspended = True

    # -- include --------------------------------------------------------------
    def include(self, request: Any, response: Any) -> None:
        """Add the target's output to the response.

        The caller's paths stay as they are; a path dispatcher sets the
        ``jakarta.servlet.include.*`` attributes to the included resource's
        values. The target cannot change the status or the headers (those
        calls are ignored).
        """
        wrapper = self._target(request)
        base = unwrap_request(request)
        saved = _RequestState(base)
        included, undo = _wrap_for_include(response)
        try:
            if self._name is None:
                context = self._context
                saved.set_attribute(INCLUDE_REQUEST_URI, self._request_uri)
                saved.set_attribute(INCLUDE_CONTEXT_PATH, context.path)
                saved.set_attribute(INCLUDE_SERVLET_PATH, self._servlet_path)
                saved.set_attribute(INCLUDE_PATH_INFO, self._path_info)
                saved.set_attribute(INCLUDE_QUERY_STRING, self._query_string)
                saved.set_attribute(INCLUDE_MAPPING, self._mapping)
                if self._query_string is not None:
                    saved.merge_parameters(self._query_string)
            base._context = self._context
            base._wrapper = wrapper
            base._dispatcher_type = DispatcherType.INCLUDE
            self._invoke(wrapper, DispatcherType.INCLUDE, request, included)
        finally:
            undo()
            saved.restore()

    # -- the call ---------------------------------------------------------------
    def _invoke(self, wrapper: Any, dispatcher_type: str, request: Any, response: Any) -> None:
        servlet = wrapper.allocate()
        run_chain(wrapper.context, self._path, wrapper, dispatcher_type, servlet, request, response)


class _RequestState:
    """What a dispatch changes on the container request, to put back."""

    _FIELDS = ("_context", "_context_path", "_request_uri", "_servlet_path", "_path_info",
               "_decoded_path_in_context", "_query_string", "_wrapper", "_dispatcher_type",
               "_mapping")

    def __init__(self, request: Any) -> None:
        self.request = request
        self.fields = {name: getattr(request, name) for name in self._FIELDS}
        self.parameters: Any = _UNSET
        self.attributes: dict[str, Any] = {}

    def set_attribute(self, name: str, value: Any) -> None:
        """Set (None: remove) a dispatch attribute, remembering the old value."""
        request = self.request
        if name not in self.attributes:
            self.attributes[name] = request._attributes.get(name)
        if value is None:
            request._attributes.pop(name, None)
        else:
            request._attributes[name] = value

    def merge_parameters(self, query_string: str) -> None:
        """Parameters of the dispatch query string first, then the request's
        own (the new values take precedence, as the spec says)."""
        request = self.request
        original = request.get_parameter_map()
        if self.parameters is _UNSET:
            self.parameters = original
        added: dict[str, list[str]] = {}
        parse_form(query_string, request._uri_encoding, added)
        merged = {name: list(values) for name, values in added.items()}
        for name, values in original.items():
            merged.setdefault(name, []).extend(values)
        request._parameters = merged

    def restore(self) -> None:
        request = self.request
        for name, value in self.fields.items():
            setattr(request, name, value)
        if self.parameters is not _UNSET:
            request._parameters = self.parameters
        for name, value in self.attributes.items():
            if value is None:
                request._attributes.pop(name, None)
            else:
                request._attributes[name] = value


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


def _wrap_for_include(response: Any) -> tuple[Any, Any]:
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


# -- error pages ---------------------------------------------------------------------

#: context -> {exception class: error page}, resolved on first use.
_EXCEPTION_PAGES: "weakref.WeakKeyDictionary[Any, dict[type, ErrorPage]]" = weakref.WeakKeyDictionary()


def _resolve_exception_type(context: "StandardContext", name: str) -> type | None:
    """The class an ``<exception-type>`` names: a builtin by its bare name
    ("ValueError"), else a dotted path imported through the webapp's loader
    ("errors.QuotaError", "builtins.KeyError")."""
    if "." not in name:
        found = getattr(builtins, name, None)
    else:
        try:
            if context.loader is not None:
                found = context.loader.load_class(name)
            else:
                import importlib
                module, _, attr = name.rpartition(".")
                found = getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError) as exc:
            log.warning("error-page of context [%s]: exception type [%s] cannot be imported (%s)",
                        context.display_path(), name, exc)
            return None
    if not (isinstance(found, type) and issubclass(found, BaseException)):
        log.warning("error-page of context [%s]: [%s] is not an exception class",
                    context.display_path(), name)
        return None
    return found


def _exception_pages(context: "StandardContext") -> dict[type, "ErrorPage"]:
    pages = _EXCEPTION_PAGES.get(context)
    if pages is None:
        pages = {}
        for page in context.web_xml.error_pages:
            if page.exception_type:
                cls = _resolve_exception_type(context, page.exception_type)
                if cls is not None:
                    pages.setdefault(cls, page)
        _EXCEPTION_PAGES[context] = pages
    return pages


def find_error_page(context: "StandardContext", *, exception: BaseException | None = None,
                    status: int | None = None) -> "ErrorPage | None":
    """The ``<error-page>`` for *exception* (its class, then its bases,
    nearest first) or for *status* (the page for that code, else the
    default page, which names neither a code nor a type)."""
    if exception is not None:
        pages = _exception_pages(context)
        if pages:
            for cls in type(exception).__mro__:
                page = pages.get(cls)
                if page is not None:
                    return page
        return None
    default = None
    for page in context.web_xml.error_pages:
        if page.error_code is not None:
            if page.error_code == status:
                return page
        elif not page.exception_type and default is None:
            default = page
    return default


class _ErrorPageResponse(HttpServletResponseWrapper):
    """The response an error page writes to: it keeps the status of the
    error, and a ``send_error`` from the page itself marks the page as
    failed (the default error report is shown instead: no loop)."""

    __slots__ = ("failed",)

    def __init__(self, response: Any) -> None:
        super().__init__(response)
        self.failed = False

    def set_status(self, status: int) -> None:
        pass

    def send_error(self, status: int, message: str | None = None) -> None:
        self.failed = True
        log.warning("The error page called send_error(%s); showing the default error report", status)

    def reset(self) -> None:
        response = self.get_response()
        status, message = response.get_status(), response.get_message()
        response.reset()
        response._status, response._message, response._error = status, message, True


def process_error_page(request: Any, response: Any) -> bool:
    """After the context pipeline (``StandardHostValve.status`` and
    ``throwable``): if the response is an uncommitted error and the webapp
    has an error page for it, forward to that page with the dispatcher type
    ERROR and the ``jakarta.servlet.error.*`` attributes. Returns True when
    a page was shown; False leaves the response to the ErrorReportValve
    (no page, or the page failed: its output is discarded and the original
    status restored)."""
    context = request._context
    if context is None or response.is_committed() or not response.is_error() \
            or getattr(response, "_error_reported", False):
        return False
    status = response.get_status()
    exception = request.get_attribute(ERROR_EXCEPTION)
    page = None
    real = exception
    if exception is not None:
        cause = exception.__cause__
        if isinstance(exception, ServletException) and cause is not None:
            real = cause  # Tomcat's getRootCause()
        page = find_error_page(context, exception=exception)
        if page is None and real is not exception:
            page = find_error_page(context, exception=real)
    if page is None:
        page = find_error_page(context, status=status)
    if page is None:
        return False
    message = response.get_message()
    attributes = {
        ERROR_STATUS_CODE: status,
        ERROR_REQUEST_URI: request.get_request_uri(),
        ERROR_SERVLET_NAME: request._wrapper.name if request._wrapper is not None else None,
    }
    if exception is not None:
        attributes[ERROR_EXCEPTION] = real
        attributes[ERROR_EXCEPTION_TYPE] = type(real)
        attributes[ERROR_MESSAGE] = str(exception) if page.exception_type else (message or "")
    else:
        attributes[ERROR_MESSAGE] = message or ""
    for name, value in attributes.items():
        request.set_attribute(name, value)
    try:
        dispatcher = get_request_dispatcher(context, page.location_path, request)
    except ValueError as exc:
        log.error("error-page location [%s] of context [%s] is invalid: %s", page.location_path,
                  context.display_path(), exc)
        return False
    if dispatcher is None:
        log.error("No servlet maps the error-page location [%s] of context [%s]",
                  page.location_path, context.display_path())
        return False
    # Reset the body but keep the error's status and message (Tomcat's
    # resetBuffer(true) and setContentLength(-1)).
    response._reset_for_error()
    page_response = _ErrorPageResponse(response)
    failed = False
    try:
        dispatcher._forward(request, page_response, DispatcherType.ERROR)
    except Exception:
        log.exception("Exception processing the error page [%s] of context [%s]",
                      page.location_path, context.display_path())
        failed = True
    response._suspended = False
    if failed or page_response.failed:
        if response.is_committed():
            # Part of the page went out: end the connection without the last chunk.
            request._channel.keep_alive = False
            request._channel.abort_after_response = True
            return True
        response._reset_for_error()
        response._status, response._message, response._error = status, message, True
        return False
    response._error_reported = True
    return True
