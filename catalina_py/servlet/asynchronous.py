"""Asynchronous processing, as ``jakarta.servlet.AsyncContext``,
``AsyncListener`` and ``AsyncEvent``.

A servlet (or filter) declared ``async-supported`` may call
``request.start_async()``: when it returns, the container keeps the
response open instead of finishing it. Any other greenlet may then write
to the response and end the request with :meth:`AsyncContext.complete`, or
hand it back to the container with :meth:`AsyncContext.dispatch`. If
neither happens within the timeout, the :class:`AsyncListener` objects are
told (``on_timeout``) and, when none of them completes or dispatches, the
container answers 500.

The container's implementation is
:class:`catalina_py.container.async_context.AsyncContextImpl`; this module
holds what webapps program against.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .exceptions import IllegalStateError

if TYPE_CHECKING:  # pragma: no cover
    from .context import ServletContext

__all__ = ["AsyncContext", "AsyncEvent", "AsyncListener", "IllegalStateError"]


class AsyncEvent:
    """What an :class:`AsyncListener` is told: the context, the request and
    response supplied with the listener (or to ``start_async``), and for
    ``on_error`` the exception."""

    def __init__(
        self,
        async_context: AsyncContext,
        supplied_request: Any = None,
        supplied_response: Any = None,
        throwable: BaseException | None = None,
    ) -> None:
        self._async_context = async_context
        self._supplied_request = supplied_request
        self._supplied_response = supplied_response
        self._throwable = throwable

    def get_async_context(self) -> AsyncContext:
        return self._async_context

    def get_supplied_request(self) -> Any:
        return self._supplied_request

    def get_supplied_response(self) -> Any:
        return self._supplied_response

    def get_throwable(self) -> BaseException | None:
        return self._throwable

    def __repr__(self) -> str:
        return f"<AsyncEvent throwable={self._throwable!r}>"


class AsyncListener:
    """Told about the end of an asynchronous cycle. Override what you need;
    the defaults do nothing. A listener that raises is logged and the
    others are still called."""

    def on_complete(self, event: AsyncEvent) -> None:
        """The request completed (after ``complete()``, after a dispatch
        that did not start async again, or after an error or timeout)."""

    def on_timeout(self, event: AsyncEvent) -> None:
        """The timeout expired. Call ``complete()`` or ``dispatch()`` here,
        or the container answers 500 and completes."""

    def on_error(self, event: AsyncEvent) -> None:
        """Something failed (``event.get_throwable()``): an exception in
        the servlet after ``start_async``, in a greenlet of ``start()``, or
        the connection was lost."""

    def on_start_async(self, event: AsyncEvent) -> None:
        """``start_async`` was called again on this request (in an async
        dispatch); the listener was removed and must add itself again if it
        wants further events."""


class AsyncContext(ABC):
    """The asynchronous cycle of one request (the interface; the container
    provides the implementation)."""

    #: Request attributes holding the original request's paths during an
    #: async dispatch (``AsyncContext.ASYNC_*`` of the Servlet API).
    ASYNC_REQUEST_URI = "jakarta.servlet.async.request_uri"
    ASYNC_CONTEXT_PATH = "jakarta.servlet.async.context_path"
    ASYNC_MAPPING = "jakarta.servlet.async.mapping"
    ASYNC_PATH_INFO = "jakarta.servlet.async.path_info"
    ASYNC_SERVLET_PATH = "jakarta.servlet.async.servlet_path"
    ASYNC_QUERY_STRING = "jakarta.servlet.async.query_string"

    @abstractmethod
    def get_request(self) -> Any:
        """The request given to ``start_async`` (or the original one)."""

    @abstractmethod
    def get_response(self) -> Any:
        """The response given to ``start_async`` (or the original one)."""

    @abstractmethod
    def has_original_request_and_response(self) -> bool:
        """True when ``start_async`` was called without arguments or with
        the container's own request and response."""

    @abstractmethod
    def dispatch(self, path: str | None = None, context: ServletContext | None = None) -> None:
        """Hand the request back to the container, to *path* (relative to
        *context*, by default the request's) or to the request's URI."""

    @abstractmethod
    def complete(self) -> None:
        """Finish the response and end the request."""

    @abstractmethod
    def start(self, runnable: Callable[[], Any]) -> None:
        """Run *runnable* in a new greenlet of the container."""

    @abstractmethod
    def add_listener(self, listener: AsyncListener, request: Any = None, response: Any = None) -> None:
        """Register *listener* for this asynchronous cycle."""

    @abstractmethod
    def create_listener(self, cls: type) -> AsyncListener:
        """An instance of the listener class *cls*."""

    @abstractmethod
    def set_timeout(self, timeout_ms: int) -> None:
        """Milliseconds from ``start_async`` until the timeout; 0 or less: none."""

    @abstractmethod
    def get_timeout(self) -> int:
        """Milliseconds from ``start_async`` until the timeout."""
