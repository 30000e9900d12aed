"""``AsyncContextImpl``: the container side of ``request.start_async()``.

Tomcat splits this between ``AsyncContextImpl`` (the API object),
``AsyncStateMachine`` (which of start/complete/dispatch/timeout may happen
when) and ``CoyoteAdapter.asyncDispatch`` (what a container thread does when
the socket is handed back to it). Here the one class does all three, with
the same state names:

* ``DISPATCHED``: a container greenlet is running the request and it is
  not asynchronous (the start, and after an async dispatch ran).
* ``STARTING``: ``start_async()`` was called; the servlet has not returned.
* ``STARTED``: the servlet returned; the connection greenlet waits.
* ``COMPLETE_PENDING`` / ``DISPATCH_PENDING``: ``complete()`` /
  ``dispatch()`` called before the servlet returned.
* ``COMPLETING`` / ``DISPATCHING``: called while waiting.
* ``TIMING_OUT`` / ``ERROR``: listeners are being told about a timeout or
  an error; ``complete()`` / ``dispatch()`` then lead to ``MUST_COMPLETE``
  / ``MUST_DISPATCH``.
* ``COMPLETED``: the request ended; the context is no longer usable.

Where Tomcat hands the socket back to the poller and frees the thread, the
connection greenlet here releases its ``maxThreads`` slot and waits on an
``Event`` (:meth:`AsyncContextImpl.serve`). ``complete()``, ``dispatch()``
and errors of ``start()`` greenlets set the event; the timeout is the
wait's timeout. Dispatches, timeout and error handling then run in the
connection greenlet again, holding a slot, as they run on a container
thread in Tomcat.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import gevent
import gevent.event

from ..http.errors import ClientAbortError
from ..http.uri import UriError, parse_uri
from ..servlet.asynchronous import AsyncContext, AsyncEvent, AsyncListener, IllegalStateError
from ..servlet.params import merge_parameters, parse_form

if TYPE_CHECKING:  # pragma: no cover
    from ..servlet.context import ServletContext
    from .channel import Slots
    from .host import StandardEngine
    from .types import ContainerRequest as Request
    from .types import ContainerResponse as Response

log = logging.getLogger("catalina_py.container")

__all__ = ["AsyncContextImpl", "DEFAULT_ASYNC_TIMEOUT_MS"]

#: The Connector's ``asyncTimeout`` default in Tomcat (milliseconds).
DEFAULT_ASYNC_TIMEOUT_MS = 30000

#: Request attribute holding the exception of a failed request (Servlet spec).
ERROR_EXCEPTION = "jakarta.servlet.error.exception"

DISPATCHED = "DISPATCHED"
STARTING = "STARTING"
STARTED = "STARTED"
COMPLETE_PENDING = "COMPLETE_PENDING"
COMPLETING = "COMPLETING"
MUST_COMPLETE = "MUST_COMPLETE"
DISPATCH_PENDING = "DISPATCH_PENDING"
DISPATCHING = "DISPATCHING"
MUST_DISPATCH = "MUST_DISPATCH"
TIMING_OUT = "TIMING_OUT"
ERROR = "ERROR"
COMPLETED = "COMPLETED"

# The states in which the request counts as "async started" (Tomcat's
# AsyncState.isStarted).
_STARTED_STATES = frozenset(
    (STARTING, STARTED, COMPLETE_PENDING, MUST_COMPLETE, DISPATCH_PENDING, MUST_DISPATCH, TIMING_OUT, ERROR)
)

_TIMEOUT = "timeout"


class _Registration:
    """A listener with the request and response it was added with."""

    __slots__ = ("listener", "request", "response")

    def __init__(self, listener: AsyncListener, request: Any, response: Any) -> None:
        self.listener = listener
        self.request = request
        self.response = response

    def event(self, base: AsyncEvent, throwable: BaseException | None = None) -> AsyncEvent:
        if self.request is None and throwable is None:
            return base
        return AsyncEvent(
            base.get_async_context(),
            self.request if self.request is not None else base.get_supplied_request(),
            self.response if self.response is not None else base.get_supplied_response(),
            throwable,
        )


class AsyncContextImpl(AsyncContext):
    """The asynchronous cycles of one request; created by the request's
    first ``start_async`` and reused by later ones (in async dispatches)."""

    def __init__(self, request: Request) -> None:
        response = request.response
        assert response is not None
        self._request: Request | None = request
        self._response: Response = response
        self._state = DISPATCHED
        self._listeners: list[_Registration] = []
        self._timeout_ms = DEFAULT_ASYNC_TIMEOUT_MS
        self._started_at = 0.0
        self._servlet_request: Any = None
        self._servlet_response: Any = None
        self._original = True
        self._event: AsyncEvent | None = None
        self._dispatch_target: tuple[Any, str] | None = None
        self._pending_error: BaseException | None = None
        self._seen_exception: Any = None
        self._signal = gevent.event.Event()

    # -- state -------------------------------------------------------------
    @property
    def state(self) -> str:
        """The state machine's state (for tests and diagnostics)."""
        return self._state

    def is_async_started(self) -> bool:
        return self._state in _STARTED_STATES

    def _invalid(self, method: str) -> IllegalStateError:
        return IllegalStateError(f"Calling [{method}] is not valid for a request with Async state [{self._state}]")

    def _check(self) -> Request:
        request = self._request
        if request is None:
            raise IllegalStateError("The request associated with the AsyncContext has already completed processing.")
        return request

    # -- called by HttpServletRequest.start_async -------------------------
    def set_started(self, request: Any, response: Any, original: bool) -> None:
        """Begin an asynchronous cycle (Tomcat's ``setStarted``)."""
        self._check()
        if self._state != DISPATCHED:
            raise self._invalid("start_async()")
        self._state = STARTING
        self._started_at = time.monotonic()
        # As Tomcat's Request.startAsync: every cycle starts with the
        # connector's timeout.
        self._timeout_ms = DEFAULT_ASYNC_TIMEOUT_MS
        self._servlet_request = request
        self._servlet_response = response
        self._original = original
        self._event = event = AsyncEvent(self, request, response)
        registrations, self._listeners = self._listeners, []
        for registration in registrations:
            self._call(registration, "on_start_async", registration.event(event))

    # -- the API ------------------------------------------------------------
    def get_request(self) -> Any:
        self._check()
        if self._servlet_request is None:
            raise IllegalStateError(
                "Illegal call to get_request() after complete() or any of the dispatch() methods " "has been called"
            )
        return self._servlet_request

    def get_response(self) -> Any:
        self._check()
        if self._servlet_response is None:
            raise IllegalStateError(
                "Illegal call to get_response() after complete() or any of the dispatch() methods " "has been called"
            )
        return self._servlet_response

    def has_original_request_and_response(self) -> bool:
        self._check()
        return self._original

    def complete(self) -> None:
        self._check()
        state = self._state
        if state == STARTING:
            self._state = COMPLETE_PENDING
        elif state == STARTED:
            self._state = COMPLETING
            self._signal.set()
        elif state in (TIMING_OUT, ERROR):
            self._state = MUST_COMPLETE
        else:
            raise self._invalid("complete()")

    def dispatch(self, path: str | None = None, context: ServletContext | None = None) -> None:
        request = self._check()
        if self._dispatch_target is not None:
            raise IllegalStateError(
                "Asynchronous dispatch operation has already been called. Additional asynchronous "
                "dispatch operation within the same asynchronous cycle is not allowed."
            )
        if self._state not in (STARTING, STARTED, TIMING_OUT, ERROR):
            raise self._invalid("dispatch()")
        if path is None:
            if context is not None:
                raise ValueError("dispatch(): a context needs a path")
            path = self._current_path()
        elif not isinstance(path, str) or not path.startswith("/"):
            raise ValueError(f'dispatch(): path [{path}] does not start with a "/" character')
        target = request.mapping.context if context is None else getattr(context, "standard_context", None)
        if target is None:
            raise ValueError("dispatch(): the context is not a ServletContext of this container")
        if request.get_attribute(self.ASYNC_REQUEST_URI) is None:
            request.set_attribute(self.ASYNC_REQUEST_URI, request.get_request_uri())
            request.set_attribute(self.ASYNC_CONTEXT_PATH, request.get_context_path())
            request.set_attribute(self.ASYNC_SERVLET_PATH, request.get_servlet_path())
            request.set_attribute(self.ASYNC_PATH_INFO, request.get_path_info())
            request.set_attribute(self.ASYNC_QUERY_STRING, request.get_query_string())
        self._dispatch_target = (target, path)
        state = self._state
        if state == STARTING:
            self._state = DISPATCH_PENDING
        elif state == STARTED:
            self._state = DISPATCHING
            self._signal.set()
        else:
            self._state = MUST_DISPATCH
        self._servlet_request = self._servlet_response = None

    def _current_path(self) -> str:
        """The target of ``dispatch()`` without a path: the (supplied)
        request's URI inside its context, decoded."""
        source = self._servlet_request if self._servlet_request is not None else self._check()
        uri = source.get_request_uri()
        context_path = source.get_context_path()
        if len(context_path) > 1:
            uri = uri[len(context_path) :]
        try:
            return parse_uri(uri or "/", None, "UTF-8").decoded_path
        except UriError as exc:
            raise ValueError(f"dispatch(): the request URI {uri!r} cannot be decoded: {exc}") from None

    def start(self, runnable: Callable[[], Any]) -> None:
        request = self._check()
        if not callable(runnable):
            raise TypeError(f"start() needs a callable, not {type(runnable).__name__}")
        gevent.spawn(self._run_runnable, runnable, request.request_slots)

    def _run_runnable(self, runnable: Callable[[], Any], slots: Slots) -> None:
        # Tomcat runs these on the container's executor: they count
        # against maxThreads as requests do.
        with slots:  # type: ignore[attr-defined]  # gevent's semaphore is a context manager
            try:
                runnable()
            except Exception as exc:
                log.error("A greenlet started with AsyncContext.start() raised", exc_info=exc)
                self._error_from_greenlet(exc)

    def _error_from_greenlet(self, exc: BaseException) -> None:
        if self._request is None or self._state not in _STARTED_STATES:
            return  # the request has ended (or is ending) already
        if self._pending_error is None:
            self._pending_error = exc
        self._signal.set()

    def add_listener(self, listener: AsyncListener, request: Any = None, response: Any = None) -> None:
        self._check()
        for method in ("on_complete", "on_timeout", "on_error", "on_start_async"):
            if not callable(getattr(listener, method, None)):
                raise TypeError(f"{type(listener).__name__} is not an AsyncListener (no {method}())")
        self._listeners.append(_Registration(listener, request, response))

    def create_listener(self, cls: type) -> AsyncListener:
        self._check()
        if not (isinstance(cls, type) and issubclass(cls, AsyncListener)):
            raise TypeError(f"{cls!r} is not an AsyncListener class")
        return cls()

    def set_timeout(self, timeout_ms: int) -> None:
        self._check()
        if isinstance(timeout_ms, bool) or not isinstance(timeout_ms, int):
            raise TypeError(f"set_timeout() takes milliseconds as an int, not {timeout_ms!r}")
        self._timeout_ms = timeout_ms
        self._signal.set()  # a waiting connection re-reads its deadline

    def get_timeout(self) -> int:
        self._check()
        return self._timeout_ms

    # -- listeners ---------------------------------------------------------
    @staticmethod
    def _call(registration: _Registration, method: str, event: AsyncEvent) -> None:
        try:
            getattr(registration.listener, method)(event)
        except Exception:
            log.warning(
                "%s() failed for listener of type [%s]", method, type(registration.listener).__name__, exc_info=True
            )

    def _fire(self, method: str, throwable: BaseException | None = None) -> None:
        base = self._event or AsyncEvent(self)
        for registration in list(self._listeners):
            self._call(registration, method, registration.event(base, throwable))

    # -- the connection greenlet's side -----------------------------------
    def serve(self, engine: StandardEngine, slots: Any) -> None:
        """Run by the connection greenlet after the pipeline returned with
        async started: wait for ``complete()``, run dispatches, handle the
        timeout and errors, and return when the response may be finished."""
        try:
            self._serve(engine, slots)
        except BaseException as exc:
            # The connection greenlet was killed (shutdown, a write
            # blocked past connectionTimeout): tell the listeners, end.
            if self._request is not None and self._state != COMPLETED:
                self._fire(
                    "on_error",
                    exc
                    if isinstance(exc, Exception)
                    else ClientAbortError("the connection was closed while the request was async"),
                )
                self._recycle()
            raise

    def _serve(self, engine: StandardEngine, slots: Any) -> None:
        while True:
            self._check_cycle_error(slots)
            state = self._state
            if state == STARTING:
                self._state = STARTED
            elif state in (COMPLETE_PENDING, MUST_COMPLETE, COMPLETING, DISPATCHED):
                # DISPATCHED: an async dispatch ran without starting async again.
                self._state = COMPLETING
                return
            elif state in (DISPATCH_PENDING, MUST_DISPATCH, DISPATCHING):
                self._run_dispatch(engine, slots)
                continue
            if self._wait() is _TIMEOUT:
                with slots:
                    self._on_timeout()
                continue
            error = self._pending_error
            if error is not None and self._state == STARTED:
                self._pending_error = None
                with slots:
                    self._set_error_state(error, True)

    def _wait(self) -> Any:
        """Wait in STARTED until something changes or the timeout expires."""
        signal = self._signal
        while self._state == STARTED and self._pending_error is None:
            timeout = self._timeout_ms
            if timeout > 0:
                remaining = self._started_at + timeout / 1000.0 - time.monotonic()
                if remaining <= 0:
                    return _TIMEOUT
            else:
                remaining = None
            signal.clear()
            if self._state != STARTED or self._pending_error is not None:
                break
            signal.wait(remaining)
        return None

    def _check_cycle_error(self, slots: Any) -> None:
        """After a container cycle: an exception recorded during it (the
        wrapper stores what the servlet raised) while async is in progress
        triggers the error processing, as in Tomcat's ``CoyoteAdapter``."""
        request = self._request
        exc = request.get_attribute(ERROR_EXCEPTION) if request is not None else None
        if exc is None or exc is self._seen_exception:
            return
        self._seen_exception = exc
        if self._state == DISPATCHED:
            # An async dispatch failed (its error page is written): the
            # listeners of the cycle hear of it, as in Tomcat.
            self._fire("on_error", exc)
        elif self._state in _STARTED_STATES and self._state not in (COMPLETE_PENDING, MUST_COMPLETE):
            with slots:
                self._set_error_state(exc, True)

    def _on_timeout(self) -> None:
        """Tomcat's ``AsyncContextImpl.timeout``: the listeners may complete
        or dispatch; if none does, the error processing answers 500."""
        self._state = TIMING_OUT
        self._fire("on_timeout")
        if self._state == TIMING_OUT:
            self._set_error_state(None, False)

    def _set_error_state(self, exc: BaseException | None, fire_on_error: bool) -> None:
        """Tomcat's ``setErrorState``: tell the listeners, then, unless one
        of them completed or dispatched, a 500 through the error page
        mechanism, and complete."""
        request = self._request
        assert request is not None
        if exc is not None:
            request.set_attribute(ERROR_EXCEPTION, exc)
            self._seen_exception = exc
        self._state = ERROR
        if fire_on_error:
            self._fire("on_error", exc)
        if self._state != ERROR:
            return  # a listener called complete() or dispatch()
        response = self._response
        if response.is_committed():
            # Too late for an error page; the body is incomplete, so the
            # client must see the connection close rather than a last chunk.
            request.abort_connection()
        else:
            response.reset_for_error()
            response.error_reported = False
            response.send_error(500)
            report_error(request, response, exc)
        self._state = MUST_COMPLETE

    def _run_dispatch(self, engine: StandardEngine, slots: Any) -> None:
        """Tomcat's ``AsyncRunnable`` + ``ApplicationDispatcher`` for
        ``DispatcherType.ASYNC``: point the request at the target and run it
        through the container again."""
        request = self._request
        assert request is not None and self._dispatch_target is not None
        context, target = self._dispatch_target
        self._dispatch_target = None
        self._state = DISPATCHED
        path, _, query = target.partition("?")
        current = request.mapping
        host = current.host
        mapper = context.mapper or (current.context.mapper if current.context is not None else None)
        try:
            mapping = None if mapper is None else mapper.map_context(getattr(host, "name", None), context.path, path)
        except KeyError:
            mapping = None
        if mapping is None:
            # the context valve answers 404
            request.set_dispatch(dataclasses.replace(current, wrapper=None), "ASYNC")
        else:
            # The context-relative path the valves check stays the original
            # one, as before the mapping was one value.
            request.set_dispatch(
                dataclasses.replace(mapping, host=host, relative_path=current.relative_path),
                "ASYNC",
                request_uri=mapping.context_path + quote(path, safe="/;=,:@!$&'()*+~"),
                decoded_uri=mapping.context_path + path,
            )
        if query:
            _merge_query(request, query)
        response = self._response
        response.set_suspended(False)
        with slots:
            try:
                engine.pipeline.first.invoke(request, response)
            except ClientAbortError:
                request.disable_keep_alive()
            except Exception as exc:
                log.error("Exception in an async dispatch to [%s]", target, exc_info=exc)
                request.set_attribute(ERROR_EXCEPTION, exc)
                if not response.is_committed() and not response.is_error():
                    response.reset_for_error()
                    response.send_error(500)
                    report_error(request, response, exc)

    # -- the end -------------------------------------------------------------
    def finish_response(self) -> None:
        """Before the adapter finishes the response: an error a non-container
        greenlet signalled with ``send_error`` gets its error page."""
        request, response = self._request, self._response
        if request is not None and response.is_error() and not response.is_committed() and not response.error_reported:
            response.set_suspended(False)
            report_error(request, response, request.get_attribute(ERROR_EXCEPTION))

    def completed(self) -> None:
        """After the response was finished: ``on_complete``, then the
        context is recycled (later calls raise IllegalStateError)."""
        if self._request is None:
            return
        self._fire("on_complete")
        self._recycle()

    def _recycle(self) -> None:
        self._state = COMPLETED
        self._request = None
        self._servlet_request = self._servlet_response = None
        self._listeners = []
        self._dispatch_target = None
        self._signal.set()

    def __repr__(self) -> str:
        return f"<AsyncContextImpl {self._state}>"


def _merge_query(request: Request, query: str) -> None:
    """The query string of a dispatch target replaces the request's; its
    parameters come before the original ones (Tomcat's
    ``ApplicationHttpRequest.mergeParameters``)."""
    original = request.get_parameter_map()
    added: dict[str, list[str]] = {}
    parse_form(query, request.uri_encoding, added)
    request.set_dispatch(request.mapping, "ASYNC", query_string=query)
    request.swap_parameters(merge_parameters(added, original))


def report_error(request: Request, response: Response, exc: BaseException | None) -> None:
    """Write the error page of an error response outside the pipeline:
    the webapp's error page if the host valve knows how to find one (its
    ``throwable``/``status`` methods, as Tomcat's ``StandardHostValve``),
    else the ErrorReportValve's page."""
    host = request.mapping.host
    basic = getattr(getattr(host, "pipeline", None), "basic", None)
    handler = getattr(basic, "throwable" if exc is not None else "status", None)
    if callable(handler):
        try:
            if exc is not None:
                handler(request, response, exc)
            else:
                handler(request, response)
        except Exception:
            log.exception("The error page for an async request failed")
    if not response.is_committed():
        from .valves.error_report import ErrorReportValve

        ErrorReportValve.render(request, response, exc)  # type: ignore[arg-type]  # the container's own objects
