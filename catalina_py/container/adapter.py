"""``CoyoteAdapter``: where the connector hands a parsed request to Catalina.

For each request head it decodes and normalises the URI, maps it (host,
context, wrapper) with the Service's Mapper, builds the servlet request and
response, invokes the Engine's pipeline, completes the response and tells
the access logs, as Tomcat's ``CoyoteAdapter.service`` and
``postParseRequest`` do. It reaches the connection only through the
:class:`~catalina_py.container.channel.Channel` protocol.
"""

from __future__ import annotations

import html
import logging
import time
from typing import TYPE_CHECKING, Any

from ..events import BUS, RequestCompleted, RequestMapped
from ..http.errors import ClientAbortError
from ..http.uri import UriError, parse_uri, split_target
from ..http.writer import REASONS
from . import pipeline
from .mapper import MappingData, select_version
from .request import Request
from .response import Response

if TYPE_CHECKING:  # pragma: no cover
    from ..http.errors import HttpParseError
    from ..http.parser import RequestHead
    from .channel import Channel
    from .host import StandardEngine, StandardHost
    from .mapper import Mapper

log = logging.getLogger("catalina_py.connector")


class CoyoteAdapter:
    """Joins a Connector to the Engine of its Service."""

    def __init__(self, engine: StandardEngine, mapper: Mapper) -> None:
        self.engine = engine
        self.mapper = mapper
        self.server_info = "catalina_py"

    def service(self, channel: Channel, head: RequestHead) -> None:
        """Run one request through the container and complete its response."""
        start = time.time()
        if BUS.active is not pipeline.observing:  # valves observed only while the bus has listeners
            pipeline.sync_observation()
        path, query, absolute_host = head.target, None, None
        if head.method == "CONNECT":
            # A servlet container is not a forward proxy (Tomcat: 501).
            request, response = self._unmapped(channel, head, path, None)
            response.send_error(501, "CONNECT is not supported by this server")
            self._run(channel, request, response, start)
            return
        try:
            path, query, absolute_host = split_target(head.target)
            if path == "*":
                if head.method != "OPTIONS":
                    raise UriError("the asterisk target is only valid for OPTIONS")
                parsed = None
            else:
                parsed = parse_uri(path, query, channel.uri_encoding)
        except UriError as exc:
            request, response = self._unmapped(channel, head, path, query)
            response.send_error(exc.status, exc.reason)
            self._run(channel, request, response, start)
            return
        if parsed is None:  # OPTIONS *: what the server as a whole allows
            request = Request(channel, head, "*", "*", None)
            response = Response(channel, request)
            response.set_header("Allow", "GET, HEAD, POST, PUT, DELETE, OPTIONS")
            self._finish(channel, request, response, start)
            return
        request = Request(channel, head, parsed.raw_path, parsed.decoded_path, parsed.query, parsed.path_params)
        response = Response(channel, request)
        request.response = response
        host_header = absolute_host or head.headers.get("host") or ""
        mapping = self.mapper.map(host_header, parsed.decoded_path)
        request.mapping = mapping
        context = mapping.context
        if context is not None:
            # The spec's ISO-8859-1 unless web.xml says (conf/web.xml: UTF-8).
            response.default_charset = context.response_character_encoding or "ISO-8859-1"
            if context.mapper is None:  # dispatchers map with the Service's Mapper
                context.mapper = self.mapper
            # The requested session id (;jsessionid= or the session cookie);
            # nothing to do for a request carrying neither.
            manager = getattr(context, "manager", None)
            index = head.headers._index  # reach: hot path: one dict probe, no lower()
            if manager is not None and (parsed.path_params or "cookie" in index):
                manager.parse_requested_session_id(request, parsed.path_params)
                if mapping.versions is not None:
                    mapping = self._map_session_version(
                        request, host_header, parsed.decoded_path, parsed.path_params, mapping
                    )
                    context = mapping.context
        if channel.traced:
            BUS.emit(mapped_event(channel.connection_id, host_header, mapping))
        if mapping.redirect_path is not None:
            # Tomcat's context-root redirect (/examples -> /examples/).
            # The session id the client sent in the URL stays in it (Tomcat).
            session_param = ""
            if request.is_requested_session_id_from_url():
                sid = request.get_requested_session_id()
                for name, value in parsed.path_params.items():
                    if value == sid:
                        session_param = f";{name}={sid}"
                        break
            location = mapping.redirect_path + session_param + ("?" + parsed.query if parsed.query else "")
            response.send_redirect(location)
            self._finish(channel, request, response, start)
            return
        self._run(channel, request, response, start)

    def _map_session_version(
        self, request: Request, host_header: str, path: str, path_params: dict[str, str], mapping: MappingData
    ) -> MappingData:
        """The path holds several versions of its context (a reload or a
        ``name##version`` in progress): a request whose session lives in an
        older version goes to that version, as Tomcat's adapter re-maps."""
        session_id = request.get_requested_session_id()
        if session_id is None or mapping.versions is None:
            return mapping

        def has_session(context: Any) -> bool:  # Any: a context version, as the Mapper holds it
            manager = getattr(context, "manager", None)
            return manager is not None and manager.is_live(session_id)

        chosen = select_version(mapping.versions, has_session)
        if chosen is None or chosen is mapping.context:
            return mapping
        remapped = self.mapper.map(host_header, path, version=chosen)
        request.mapping = remapped
        if remapped.context is chosen and chosen.manager is not None:
            chosen.manager.parse_requested_session_id(request, path_params)
        return remapped

    def _unmapped(self, channel: Channel, head: RequestHead, path: str, query: str | None) -> tuple[Request, Response]:
        """A request answered before mapping (by the default host's valves)."""
        request = Request(channel, head, path, path, query)
        response = Response(channel, request)
        request.mapping = MappingData(host=self._default_host())
        return request, response

    def _default_host(self) -> StandardHost | None:
        return self.engine.hosts.get(self.engine.default_host.lower())

    def _run(self, channel: Channel, request: Request, response: Response, start: float) -> None:
        slots = channel.request_slots
        slots.acquire()
        try:
            self.engine.pipeline.first.invoke(request, response)
        except ClientAbortError:
            channel.keep_alive = False
        except Exception as exc:  # a valve failed: still answer
            log.exception("Exception in the request pipeline")
            if not response.is_committed():
                response.reset_for_error()
                response.send_error(500)
                from .valves.error_report import ErrorReportValve

                ErrorReportValve.render(request, response, exc)
            else:
                channel.keep_alive = False
        finally:
            slots.release()
        async_context = request.async_context
        if async_context is not None:
            # start_async() was called: the slot is free while the
            # connection waits for complete(), a dispatch or the timeout.
            async_context.serve(self.engine, slots)
            async_context.finish_response()
            if channel.stopping:
                channel.keep_alive = False
            self._finish(channel, request, response, start)
            async_context.completed()
            return
        self._finish(channel, request, response, start)

    def _finish(self, channel: Channel, request: Request, response: Response, start: float) -> None:
        if channel.abort_after_response:
            # The servlet failed after the response was committed: a last
            # chunk would tell the client the body is complete. Closing the
            # connection without it tells the truth.
            channel.keep_alive = False
        else:
            request.store_session()  # <Cluster>: before the client can send its next request
            try:
                response.finish_response()
            except ClientAbortError:
                channel.keep_alive = False
        mapping = request.mapping
        context = mapping.context
        host = mapping.host
        if context is not None:
            # Tomcat's requestCount and errorCount of the context.
            context.request_count += 1
            if response.get_status() >= 400:
                context.error_count += 1
        loggers = context.access_logs if context is not None else (host.access_logs if host is not None else ())
        if loggers:
            elapsed = time.time() - start
            for valve in loggers:
                try:
                    valve.log_access(request, response, elapsed)
                except Exception:
                    log.exception("Access log valve failed")
        if channel.traced:
            now = time.time()
            BUS.emit(
                RequestCompleted(
                    connection=channel.connection_id, at=now, request=request, response=response, elapsed=now - start
                )
            )
        # Tomcat recycles these objects; here the request, the response and
        # its writer refer to each other, and the cycles are broken.
        request.recycle()

    # -- errors found before the pipeline --------------------------------------
    def log_bad_request(self, channel: Channel, exc: HttpParseError) -> None:
        log.info("Error parsing HTTP request header from %s: %s", channel.remote_addr, exc.reason)

    def error_body(self, status: int, reason: str) -> bytes:
        """The HTML page for a request that could not even be parsed."""
        from .valves.error_report import error_page_html

        return error_page_html(status, REASONS.get(status, ""), html.escape(reason), None, self.server_info).encode(
            "utf-8"
        )


def describe_mapping(mapping: MappingData) -> str:
    """The Mapper's answer, in words (the trace, ``RequestMapped.reason``)."""
    if mapping.context is None:
        return "no context matched"
    context = mapping.context_path or "/ (ROOT)"
    if mapping.redirect_path is not None:
        return f"context {context}: redirect to {mapping.redirect_path}"
    name = mapping.wrapper_name or "none"
    return (
        f"context {context}, servlet {name} ({mapping.match_type} match "
        f"{mapping.match_pattern!r}: servlet path {mapping.servlet_path!r}, "
        f"path info {mapping.path_info!r})"
    )


def mapped_event(connection: int, host_header: str, mapping: MappingData) -> RequestMapped:
    """The ``RequestMapped`` event for the Mapper's answer *mapping*."""
    host = mapping.host
    return RequestMapped(
        connection=connection,
        host=host.name if host is not None else host_header,
        context_path=mapping.context_path if mapping.context is not None else None,
        wrapper=mapping.wrapper_name,
        match_type=mapping.match_type or ("redirect" if mapping.redirect_path is not None else "none"),
        match_pattern=mapping.match_pattern,
        servlet_path=mapping.servlet_path,
        path_info=mapping.path_info,
        redirect=mapping.redirect_path,
        reason=describe_mapping(mapping),
    )
