"""``CoyoteAdapter``: where the connector hands a parsed request to Catalina.

For each request head it decodes and normalises the URI, maps it (host,
context, wrapper) with the Service's Mapper, builds the servlet request and
response, invokes the Engine's pipeline, completes the response and writes
the access log, as Tomcat's ``CoyoteAdapter.service`` and
``postParseRequest`` do.
"""

from __future__ import annotations

import html
import logging
import time
from typing import TYPE_CHECKING, Any

from .. import trace
from ..http.uri import UriError, parse_uri, split_target
from ..servlet.request import HttpServletRequest
from ..servlet.response import HttpServletResponse
from ..http.errors import ClientAbortError
from ..http.writer import REASONS

if TYPE_CHECKING:  # pragma: no cover
    from ..container.host import StandardEngine
    from ..container.mapper import Mapper
    from ..http.errors import HttpParseError
    from .processor import Http11Processor

log = logging.getLogger("catalina_py.connector")


class CoyoteAdapter:
    """Joins a Connector to the Engine of its Service."""

    def __init__(self, engine: "StandardEngine", mapper: "Mapper") -> None:
        self.engine = engine
        self.mapper = mapper
        self.server_info = "catalina_py"

    def service(self, processor: "Http11Processor", head: Any) -> None:
        """Run one request through the container and complete its response."""
        start = time.time()
        path, query, absolute_host = head.target, None, None
        if head.method == "CONNECT":
            # A servlet container is not a forward proxy (Tomcat: 501).
            request = HttpServletRequest(processor, head, path, path, None)
            response = HttpServletResponse(processor, request)
            request._host = self._default_host()
            response.send_error(501, "CONNECT is not supported by this server")
            self._run(request, response, start)
            return
        try:
            path, query, absolute_host = split_target(head.target)
            if path == "*":
                if head.method != "OPTIONS":
                    raise UriError("the asterisk target is only valid for OPTIONS")
                parsed = None
            else:
                parsed = parse_uri(path, query, processor.uri_encoding)
        except UriError as exc:
            request = HttpServletRequest(processor, head, path, path, query)
            response = HttpServletResponse(processor, request)
            request._host = self._default_host()
            response.send_error(exc.status, exc.reason)
            self._run(request, response, start)
            return
        if parsed is None:  # OPTIONS *: what the server as a whole allows
            request = HttpServletRequest(processor, head, "*", "*", None)
            response = HttpServletResponse(processor, request)
            response.set_header("Allow", "GET, HEAD, POST, PUT, DELETE, OPTIONS")
            self._finish(request, response, start)
            return
        request = HttpServletRequest(processor, head, parsed.raw_path, parsed.decoded_path,
                                     parsed.query, parsed.path_params)
        response = HttpServletResponse(processor, request)
        request._response = response
        host_header = absolute_host or head.headers.get("host") or ""
        mapping = self.mapper.map(host_header, parsed.decoded_path)
        request._host = mapping.host
        context = mapping.context
        request._context = context
        if context is not None:
            request._context_path = mapping.context_path
            request._servlet_path = mapping.servlet_path
            request._path_info = mapping.path_info
            request._wrapper = mapping.wrapper
            request._decoded_path_in_context = parsed.decoded_path[len(mapping.context_path):] or "/"
            response.default_charset = context.response_character_encoding
            # The requested session id (;jsessionid= or the session cookie);
            # nothing to do for a request carrying neither.
            manager = getattr(context, "manager", None)
            if manager is not None and (parsed.path_params or "cookie" in head.headers._index):
                manager.parse_requested_session_id(request, parsed.path_params)
        if trace.ENABLED:
            trace.trace(processor.connection_id, "map", _describe_mapping(mapping))
        if mapping.redirect_path is not None:
            # Tomcat's context-root redirect (/examples -> /examples/).
            location = mapping.redirect_path + ("?" + parsed.query if parsed.query else "")
            response.send_redirect(location)
            self._finish(request, response, start)
            return
        self._run(request, response, start)

    def _default_host(self) -> Any:
        return self.engine.hosts.get(self.engine.default_host.lower())

    def _run(self, request: HttpServletRequest, response: HttpServletResponse, start: float) -> None:
        slots = request._channel.request_slots
        slots.acquire()
        try:
            self.engine.pipeline.first.invoke(request, response)
        except ClientAbortError:
            request._channel.keep_alive = False
        except Exception as exc:  # a valve failed: still answer
            log.exception("Exception in the request pipeline")
            if not response.is_committed():
                response._reset_for_error()
                response.send_error(500)
                from ..container.valves.error_report import ErrorReportValve
                ErrorReportValve.render(request, response, exc)
            else:
                request._channel.keep_alive = False
        finally:
            slots.release()
        async_context = request._async_context
        if async_context is not None:
            # start_async() was called: the slot is free while the
            # connection waits for complete(), a dispatch or the timeout.
            async_context.serve(self.engine, slots)
            async_context.finish_response()
            if request._channel.stopping:
                request._channel.keep_alive = False
            self._finish(request, response, start)
            async_context.completed()
            return
        self._finish(request, response, start)

    def _finish(self, request: HttpServletRequest, response: HttpServletResponse, start: float) -> None:
        processor = request._channel
        if processor.abort_after_response:
            # The servlet failed after the response was committed: a last
            # chunk would tell the client the body is complete. Closing the
            # connection without it tells the truth.
            processor.keep_alive = False
        else:
            try:
                response._finish()
            except ClientAbortError:
                processor.keep_alive = False
        context = request._context
        host = request._host
        loggers = context.access_logs if context is not None else (host.access_logs if host is not None else ())
        if loggers:
            elapsed = time.time() - start
            for valve in loggers:
                try:
                    valve.log_access(request, response, elapsed)
                except Exception:
                    log.exception("Access log valve failed")
        session = request._session
        if session is not None:
            # Tomcat's Request.recycle -> Session.endAccess: the session is
            # no longer new and its last accessed time is now.
            session.end_access()
        # Tomcat recycles these objects; here the request, the response and
        # its writer refer to each other, and unless the cycles are broken
        # every request leaves garbage for the cyclic GC (measured: its
        # pauses cost a fifth of the throughput and most of the p99).
        request._response = None
        response._request = None
        response._writer = None
        response._stream = None

    # -- errors found before the pipeline --------------------------------------
    def log_bad_request(self, processor: "Http11Processor", exc: "HttpParseError") -> None:
        log.info("Error parsing HTTP request header from %s: %s", processor.remote_addr, exc.reason)

    def error_body(self, status: int, reason: str) -> bytes:
        """The HTML page for a request that could not even be parsed."""
        from ..container.valves.error_report import error_page_html
        return error_page_html(status, REASONS.get(status, ""), html.escape(reason), None,
                               self.server_info).encode("utf-8")


def _describe_mapping(mapping: Any) -> str:
    """The Mapper's answer, for the trace."""
    if mapping.context is None:
        return "no context"
    context = mapping.context_path or "/ (ROOT)"
    if mapping.redirect_path is not None:
        return f"context {context}: redirect to {mapping.redirect_path}"
    wrapper = mapping.wrapper
    name = wrapper.name if wrapper is not None else "none"
    return (f"context {context}, servlet {name} ({mapping.match_type} match "
            f"{mapping.match_pattern!r}: servlet path {mapping.servlet_path!r}, "
            f"path info {mapping.path_info!r})")
