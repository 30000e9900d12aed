"""Error pages: which ``<error-page>`` of a webapp answers an error
response, and showing it (the error-page half of Tomcat's
``StandardHostValve``: ``status`` and ``throwable``).

After the context pipeline, an uncommitted error response (``send_error``,
or an exception the wrapper turned into a 500) is forwarded to the page
web.xml names for its exception class (nearest base first) or its status,
with the dispatcher type ERROR and the ``jakarta.servlet.error.*``
attributes. When there is no page, or the page fails, the response is left
to the ErrorReportValve.

See ``docs/dispatching.md``.
"""

from __future__ import annotations

import builtins
import importlib
import logging
import weakref
from typing import TYPE_CHECKING, Any

from ..servlet.exceptions import ServletException
from ..servlet.filter import DispatcherType, HttpServletResponseWrapper
from ..servlet.mapping import (
    ERROR_EXCEPTION,
    ERROR_EXCEPTION_TYPE,
    ERROR_MESSAGE,
    ERROR_REQUEST_URI,
    ERROR_SERVLET_NAME,
    ERROR_STATUS_CODE,
)
from .dispatcher import get_request_dispatcher

if TYPE_CHECKING:  # pragma: no cover
    from ..config.web_xml import ErrorPage
    from .types import ContainerRequest as Request
    from .types import ContainerResponse as Response
    from .types import WebappContext as StandardContext

log = logging.getLogger("catalina_py.container")

__all__ = ["find_error_page", "process_error_page"]

#: context -> {exception class: error page}, resolved on first use.
_EXCEPTION_PAGES: weakref.WeakKeyDictionary[Any, dict[type, ErrorPage]] = weakref.WeakKeyDictionary()


def _resolve_exception_type(context: StandardContext, name: str) -> type | None:
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
                module, _, attr = name.rpartition(".")
                found = getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError) as exc:
            log.warning(
                "error-page of context [%s]: exception type [%s] cannot be imported (%s)",
                context.display_path(),
                name,
                exc,
            )
            return None
    if not (isinstance(found, type) and issubclass(found, BaseException)):
        log.warning("error-page of context [%s]: [%s] is not an exception class", context.display_path(), name)
        return None
    return found


def _exception_pages(context: StandardContext) -> dict[type, ErrorPage]:
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


def find_error_page(
    context: StandardContext, *, exception: BaseException | None = None, status: int | None = None
) -> ErrorPage | None:
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
        response.restore_error(status, message)


def process_error_page(request: Request, response: Response) -> bool:
    """After the context pipeline (``StandardHostValve.status`` and
    ``throwable``): if the response is an uncommitted error and the webapp
    has an error page for it, forward to that page with the dispatcher type
    ERROR and the ``jakarta.servlet.error.*`` attributes. Returns True when
    a page was shown; False leaves the response to the ErrorReportValve
    (no page, or the page failed: its output is discarded and the original
    status restored)."""
    context = request.mapping.context
    if context is None or response.is_committed() or not response.is_error() or response.error_reported:
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
        ERROR_SERVLET_NAME: request.mapping.wrapper_name,
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
        log.error(
            "error-page location [%s] of context [%s] is invalid: %s", page.location_path, context.display_path(), exc
        )
        return False
    if dispatcher is None:
        log.error(
            "No servlet maps the error-page location [%s] of context [%s]", page.location_path, context.display_path()
        )
        return False
    # Reset the body but keep the error's status and message (Tomcat's
    # resetBuffer(true) and setContentLength(-1)).
    response.reset_for_error()
    page_response = _ErrorPageResponse(response)
    failed = False
    try:
        dispatcher.forward_as(request, page_response, DispatcherType.ERROR)
    except Exception:
        log.exception(
            "Exception processing the error page [%s] of context [%s]", page.location_path, context.display_path()
        )
        failed = True
    response.set_suspended(False)
    if failed or page_response.failed:
        if response.is_committed():
            # Part of the page went out: end the connection without the last chunk.
            request.abort_connection()
            return True
        response.reset_for_error()
        response.restore_error(status, message)
        return False
    response.error_reported = True
    return True
