"""``StandardWrapper``: one servlet of a context, and its basic valve which
calls the servlet and turns what it raises into an error response."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import gevent.lock

from ..events import BUS, ServletCalled, ServletReturned
from ..http.errors import ClientAbortError
from ..lifecycle import LifecycleBase
from ..servlet.annotation import get_multipart_config
from ..servlet.exceptions import ServletException
from ..servlet.http import ServletConfig
from ..servlet.part import MultipartConfigElement
from .filter_chain import new_chain
from .pipeline import Pipeline, ValveBase

if TYPE_CHECKING:  # pragma: no cover
    from .types import ContainerRequest as Request
    from .types import ContainerResponse as Response
    from .types import WebappContext

log = logging.getLogger("catalina_py.container")

#: Request attribute holding the exception a servlet raised (Servlet spec name).
ERROR_EXCEPTION = "jakarta.servlet.error.exception"


class StandardWrapperValve(ValveBase):
    """Allocates the servlet and calls ``service``; exceptions become errors."""

    def invoke(self, request: Request, response: Response) -> None:
        wrapper: StandardWrapper = self.container
        try:
            servlet = wrapper.allocate()
        except Exception as exc:  # the servlet could not be loaded or initialised
            log.error(
                "Allocate exception for servlet [%s] of context [%s]",
                wrapper.name,
                wrapper.context.display_path(),
                exc_info=exc,
            )
            request.set_attribute(ERROR_EXCEPTION, exc)
            response.send_error(getattr(exc, "status", 500) if isinstance(exc, ServletException) else 500)
            return
        observed = BUS.active and getattr(request, "traced", False)
        filter_map = wrapper.context.filter_map
        filters: Sequence[Any] = ()
        if filter_map is not None:  # the filters mapped to this path and servlet
            mapping = request.mapping
            path = mapping.servlet_path + (mapping.path_info or "")
            filters = filter_map.filters_for(path, wrapper.name, "REQUEST")
        try:
            if filters:
                # The servlet runs at the end of the chain: observed, it is
                # reported there, after the filters entered (the order a
                # learner reads in the trace).
                target = _ReportedServlet(servlet, wrapper.name, request.connection_id) if observed else servlet
                new_chain(filters, target, observed).do_filter(request, response)
            elif observed:
                _ReportedServlet(servlet, wrapper.name, request.connection_id).service(request, response)
            else:
                servlet.service(request, response)
        except ClientAbortError:
            request.disable_keep_alive()
        except ServletException as exc:
            self._failed(request, response, exc, exc.status)
        except Exception as exc:
            self._failed(request, response, exc, 500)

    def _failed(self, request: Request, response: Response, exc: BaseException, status: int) -> None:
        if status >= 500:
            log.error(
                "Servlet.service() for servlet [%s] in context with path [%s] threw exception",
                self.container.name,
                self.container.context.path,
                exc_info=exc,
            )
        request.set_attribute(ERROR_EXCEPTION, exc)
        if response.is_committed():
            # Too late for an error page: the client must not mistake a
            # truncated body for a whole one, so the connection is closed.
            request.abort_connection()
            return
        response.reset_for_error()
        response.send_error(status, str(exc) if status < 500 else None)


class StandardWrapper(LifecycleBase):
    """A servlet definition and its (lazily initialised) instance."""

    def __init__(
        self,
        context: WebappContext,
        name: str,
        servlet_class: str | type,
        init_params: dict[str, str] | None = None,
        load_on_startup: int | None = None,
    ) -> None:
        self.context = context
        self.name = name
        self.servlet_class = servlet_class
        self.init_params = dict(init_params or {})
        self.load_on_startup = load_on_startup
        self.instance: Any = None
        self._lock = gevent.lock.RLock()
        basic = StandardWrapperValve()
        basic.container = self
        self.pipeline = Pipeline(basic)

    def lifecycle_name(self) -> str:
        return f"StandardWrapper[{self.name}]"

    _async_supported: bool | None = None  # set explicitly; None: as declared

    @property
    def async_supported(self) -> bool:
        """Whether the servlet may ``start_async``: set explicitly, else its
        web.xml ``<async-supported>``, else an ``async_supported`` attribute
        of the servlet class (what ``@web_servlet(async_supported=True)``
        records)."""
        if self._async_supported is not None:
            return self._async_supported
        definition = self.context.web_xml.servlets.get(self.name)
        if definition is not None and getattr(definition, "async_supported", False):
            return True
        cls = type(self.instance) if self.instance is not None else self.servlet_class
        return isinstance(cls, type) and bool(getattr(cls, "async_supported", False))

    @async_supported.setter
    def async_supported(self, value: bool) -> None:
        self._async_supported = bool(value)

    #: Set explicitly (ServletRegistration's ``set_multipart_config``).
    _multipart_config: MultipartConfigElement | None = None

    @property
    def multipart_config(self) -> MultipartConfigElement | None:
        """How the servlet receives multipart requests: set explicitly,
        else its web.xml ``<multipart-config>``, else the
        ``@multipart_config`` of its class (Tomcat's
        ``getMultipartConfigElement``); None when it has none."""
        if self._multipart_config is not None:
            return self._multipart_config
        definition = self.context.web_xml.servlets.get(self.name)
        spec = getattr(definition, "multipart_config", None)
        if spec is not None:
            return MultipartConfigElement(
                spec.location, spec.max_file_size, spec.max_request_size, spec.file_size_threshold
            )
        cls = type(self.instance) if self.instance is not None else self.servlet_class
        return get_multipart_config(cls) if isinstance(cls, type) else None

    @multipart_config.setter
    def multipart_config(self, value: MultipartConfigElement | None) -> None:
        self._multipart_config = value

    def allocate(self) -> Any:
        """The servlet instance, created and ``init``-ed on first use."""
        instance = self.instance
        if instance is not None:
            return instance
        with self._lock:
            if self.instance is None:
                self.instance = self._load()
            return self.instance

    def _load(self) -> Any:
        spec = self.servlet_class
        if isinstance(spec, str):
            loader = self.context.loader
            if loader is None:  # a started context always has one
                raise RuntimeError(f"no loader to load servlet class {spec!r}")
            cls = loader.load_class(spec)
        else:
            cls = spec
        servlet = cls()
        servlet.init(ServletConfig(self.name, self.init_params, self.context.get_servlet_context()))
        return servlet

    def stop_internal(self) -> None:
        instance, self.instance = self.instance, None
        if instance is not None:
            try:
                instance.destroy()
            except Exception:
                log.exception("Servlet [%s] raised in destroy()", self.name)


class _ReportedServlet:
    """A servlet whose ``service`` is reported to the event stream
    (``ServletCalled`` / ``ServletReturned``), for a traced request."""

    __slots__ = ("servlet", "name", "connection")

    def __init__(self, servlet: Any, name: str, connection: int) -> None:
        self.servlet = servlet
        self.name = name
        self.connection = connection

    def service(self, request: Any, response: Any) -> None:
        BUS.emit(
            ServletCalled(
                connection=self.connection,
                servlet=self.name,
                servlet_class=type(self.servlet).__name__,
                method=request.get_method(),
            )
        )
        started = time.perf_counter()
        error: str | None = None  # the type name only: keeping the exception would make a cycle
        try:
            self.servlet.service(request, response)
        except BaseException as exc:
            error = type(exc).__name__
            raise
        finally:
            BUS.emit(
                ServletReturned(
                    connection=self.connection, servlet=self.name, elapsed=time.perf_counter() - started, error=error
                )
            )
