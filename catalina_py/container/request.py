"""``Request``: the container's ``HttpServletRequest`` (Tomcat's
``org.apache.catalina.connector.Request``).

Tomcat keeps a Coyote request (raw bytes), a Catalina request and a facade;
here one object plays the first two, with the container's fields kept
private (``_``-prefixed), the servlet API as its public methods and the
container's own operations as public methods outside that API (mapping,
dispatch paths, the connection's fate). It reaches its connection only
through the :class:`~catalina_py.container.channel.Channel` protocol.
"""

from __future__ import annotations

import codecs
import io
import logging
import socket
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ..http.grammar import split_host
from ..servlet.attributes import AttributeHolder
from ..servlet.cookies import Cookie, parse_cookie_header
from ..servlet.exceptions import BadRequestError, IllegalStateError, RequestTooLargeError
from ..servlet.listeners import ServletRequestAttributeEvent
from ..servlet.mapping import HttpServletMapping
from ..servlet.params import TooManyParametersError, parse_form
from ..servlet.request import HttpServletRequest, ServletInputStream
from ..servlet.upgrade import HttpUpgradeHandler, UpgradeToken
from ..servlets.conditional import parse_http_date
from .mapper import UNMAPPED, MappingData
from .multipart_request import MultipartState, parse_request_parts
from .request_auth import RequestAuth
from .request_connection import ChannelBody, RequestConnectionSide
from .request_dispatch import RequestDispatchState
from .request_session import RequestSessions

if TYPE_CHECKING:  # pragma: no cover
    from ..http.headers import Headers
    from ..http.parser import RequestHead
    from ..servlet.context import ServletContext
    from ..servlet.part import Part
    from .async_context import AsyncContextImpl
    from .channel import Channel
    from .dispatcher import ApplicationDispatcher
    from .response import Response

log = logging.getLogger("catalina_py.container")


#: Marks "no such attribute" for the attribute events (None is never stored).
_NO_VALUE = object()


class ParameterErrorLog:
    """Logs the parameters dropped for invalid percent-encoding, as Tomcat's
    ``UserDataHelper`` does in its default mode: the first at INFO with a
    note that the next ones go to DEBUG, the following ones at DEBUG, and
    after *quiet_seconds* (Tomcat: 24 hours) at INFO again. Client data must
    not be able to flood the log."""

    def __init__(self, logger: logging.Logger, quiet_seconds: float = 86400.0) -> None:
        self.logger = logger
        self.quiet_seconds = quiet_seconds
        #: time.monotonic() of the last INFO line (None: never).
        self.last_info: float | None = None

    def report(self, pairs: list[str]) -> None:
        """Log the dropped ``name=value`` *pairs* of one request."""
        for pair in pairs:
            name, _, value = pair.partition("=")
            self.log(f"Invalid percent-encoding: parameter [{name}] with value [{value}] was ignored")

    def too_many(self, limit: int) -> None:
        """Log that a request had more than *limit* parameters (the rest
        were ignored)."""
        self.log(
            f"More than the Connector's maxParameterCount ({limit}) request parameters (query and form body "
            "together): the rest were ignored"
        )

    def log(self, message: str) -> None:
        """*message* at INFO (with the note) or DEBUG, as explained above."""
        now = time.monotonic()
        if self.last_info is None or now - self.last_info >= self.quiet_seconds:
            self.last_info = now
            self.logger.info(
                "%s. Further parameter errors are logged at DEBUG level for %d s.", message, self.quiet_seconds
            )
        else:
            self.logger.debug("%s.", message)


#: Host names of the local addresses requests arrived on (a handful per process).
_LOCAL_NAMES: dict[str, str] = {}


def local_name(address: str) -> str:
    """The host name of the local *address* (reverse lookup, cached);
    *address* itself when it has none."""
    name = _LOCAL_NAMES.get(address)
    if name is None:
        try:
            name = socket.gethostbyaddr(address)[0] if address else address
        except (OSError, UnicodeError):
            name = address
        if len(_LOCAL_NAMES) < 64:
            _LOCAL_NAMES[address] = name
    return name


#: The process's log of dropped parameters (logger ``catalina_py.container.parameters``).
PARAMETER_ERRORS = ParameterErrorLog(logging.getLogger("catalina_py.container.parameters"))


class Request(
    RequestAuth, RequestSessions, RequestDispatchState, RequestConnectionSide, AttributeHolder, HttpServletRequest
):
    """One HTTP request: the servlet API over the parsed head and the
    connection's :class:`Channel`."""

    # Defaults shared by every request until set (fewer stores per request).
    _parameters: dict[str, list[str]] | None = None
    _cookies: list[Cookie] | None = None
    _char_encoding: str | None = None
    _input: ServletInputStream | None = None
    _reader: io.TextIOWrapper | None = None
    #: Where the Mapper sent the request (host, context, wrapper, paths):
    #: set by the adapter, replaced whole while a dispatch runs; read-only.
    mapping: MappingData = UNMAPPED
    _server_name: str | None = None
    _server_port: int | None = None
    # Asynchronous processing (see container/async_context.py):
    #: The container response of this request (set by the adapter; None once recycled).
    response: Response | None = None
    #: The async context, once ``start_async`` was called.
    async_context: AsyncContextImpl | None = None
    # None: the wrapper's async-supported decides; a filter chain with a
    # filter that is not async-supported sets False (Tomcat's ASYNC_SUPPORTED_ATTR).
    _async_supported: bool | None = None
    _dispatcher_type = "REQUEST"
    # The HttpServletMapping of the request or of the current forward,
    # computed on demand (container/dispatcher.py sets it while dispatching).
    _servlet_mapping: HttpServletMapping | None = None
    # The parts of a multipart body, once parsed (container/multipart_request.py).
    _multipart: MultipartState | None = None

    def __init__(
        self,
        channel: Channel,
        head: RequestHead,
        request_uri: str,
        decoded_uri: str,
        query_string: str | None,
        path_params: dict[str, str] | None = None,
    ) -> None:
        self._channel = channel
        #: Whether this request's events are reported (an observer of the
        #: event stream admitted it); a plain attribute, read by every
        #: observed valve, filter chain and the servlet's wrapper.
        self.traced: bool = channel.traced
        self._head = head
        self._headers: Headers = head.headers
        self._request_uri = request_uri
        self._decoded_uri = decoded_uri
        self._query_string = query_string
        self._path_params = path_params or {}
        self._attributes: dict[str, Any] = {}
        self._uri_encoding: str = channel.uri_encoding

    # -- request line ---------------------------------------------------
    def get_method(self) -> str:
        return self._head.method

    def get_protocol(self) -> str:
        return self._head.version

    def get_request_uri(self) -> str:
        """The path part of the request line, not decoded (path parameters kept)."""
        return self._request_uri

    def get_request_url(self) -> str:
        """Scheme, host, port and request URI, without the query string."""
        scheme = self.get_scheme()
        port = self.get_server_port()
        default = (scheme == "http" and port == 80) or (scheme == "https" and port == 443)
        host = self.get_server_name()
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        return f"{scheme}://{host}{'' if default else ':' + str(port)}{self._request_uri}"

    def get_context_path(self) -> str:
        return self.mapping.context_path

    def get_servlet_path(self) -> str:
        return self.mapping.servlet_path

    def get_path_info(self) -> str | None:
        return self.mapping.path_info

    def get_path_translated(self) -> str | None:
        mapping = self.mapping
        if mapping.path_info is None or mapping.context is None:
            return None
        return mapping.context.get_servlet_context().get_real_path(mapping.path_info)

    def get_query_string(self) -> str | None:
        return self._query_string

    def get_path_parameter(self, name: str) -> str | None:
        """A ``;name=value`` path parameter (Tomcat keeps these for ``jsessionid``)."""
        return self._path_params.get(name)

    # -- headers --------------------------------------------------------
    def get_header(self, name: str) -> str | None:
        return self._headers.get(name)

    def get_headers(self, name: str) -> list[str]:
        return self._headers.get_all(name)

    def get_header_names(self) -> list[str]:
        return self._headers.names()

    def get_int_header(self, name: str) -> int:
        value = self._headers.get(name)
        return -1 if value is None else int(value)

    def get_date_header(self, name: str) -> float:
        """Seconds since the epoch, or -1 if absent; ValueError if malformed."""
        value = self._headers.get(name)
        if value is None:
            return -1
        parsed = parse_http_date(value)
        if parsed is None:
            raise ValueError(f"{name}: {value!r} is not an HTTP date")
        return parsed

    def get_content_type(self) -> str | None:
        return self._headers.get("content-type")

    def get_content_length(self) -> int:
        """The declared body length, or -1 if unknown (chunked or none)."""
        length = self._head.content_length
        return -1 if length is None else length

    def get_character_encoding(self) -> str | None:
        """The charset of the body: set by ``set_character_encoding``, else
        the ``charset`` of Content-Type, else the context's request encoding."""
        if self._char_encoding:
            return self._char_encoding
        ctype = self.get_content_type()
        if ctype:
            for param in ctype.split(";")[1:]:
                key, _, value = param.strip().partition("=")
                if key.lower() == "charset" and value:
                    return value.strip('"')
        context = self.mapping.context
        if context is not None:
            return context.request_character_encoding
        return None

    def set_character_encoding(self, encoding: str) -> None:
        """Only has an effect before the body or parameters were read."""
        codecs.lookup(encoding)  # LookupError for an unknown charset
        if self._reader is None and self._parameters is None:
            self._char_encoding = encoding

    def get_locale(self) -> str | None:
        value = self._headers.get("accept-language")
        if not value:
            return None
        return value.split(",")[0].split(";")[0].strip() or None

    # -- body -----------------------------------------------------------
    def get_input_stream(self) -> ServletInputStream:
        if self._reader is not None:
            raise RuntimeError("get_reader() has already been called for this request")
        if self._input is None:
            self._input = ServletInputStream(ChannelBody(self._channel))
        return self._input

    def get_reader(self) -> io.TextIOWrapper:
        if self._reader is None:
            if self._input is not None:
                raise RuntimeError("get_input_stream() has already been called for this request")
            stream = io.BufferedReader(ServletInputStream(ChannelBody(self._channel)))
            # Malformed input fails the read (UnicodeDecodeError: 500), as
            # Tomcat's reader reports it; no encoding anywhere: ISO-8859-1.
            encoding = self.get_character_encoding() or "ISO-8859-1"
            self._reader = io.TextIOWrapper(stream, encoding=encoding, errors="strict")
        return self._reader

    def get_trailer_fields(self) -> dict[str, str]:
        """Trailer fields of a chunked body, once the body has been read:
        only those the Connector's ``allowedTrailerHeaders`` names (none by
        default, as Tomcat), names in lower case, repeated fields joined
        with ``,``."""
        trailers = self._channel.trailers
        allowed = self._channel.allowed_trailer_headers
        if trailers is None or not allowed:
            return {}
        fields: dict[str, str] = {}
        for name, value in trailers:
            key = name.lower()
            if key in allowed:
                fields[key] = f"{fields[key]},{value}" if key in fields else value
        return fields

    def is_trailer_fields_ready(self) -> bool:
        return self._channel.body_finished

    # -- parameters -----------------------------------------------------
    def _parse_parameters(self) -> dict[str, list[str]]:
        params: dict[str, list[str]] = {}
        query_encoding = self._uri_encoding
        limit = self._channel.max_parameter_count
        try:
            if self._query_string:
                skipped = parse_form(self._query_string, query_encoding, params, limit)
                if skipped:
                    PARAMETER_ERRORS.report(skipped)
            self._parse_form_body(params, limit)
        except TooManyParametersError:
            PARAMETER_ERRORS.too_many(limit)
        return params

    def _parse_form_body(self, params: dict[str, list[str]], max_count: int) -> None:
        """Add the parameters of a POSTed form body (at most *max_count* in all)."""
        # Tomcat reads form bodies only for POST (Connector parseBodyMethods).
        if self._head.method == "POST":
            ctype = (self.get_content_type() or "").split(";")[0].strip().lower()
            if ctype == "application/x-www-form-urlencoded":
                if self._input is not None or self._reader is not None:
                    return  # the servlet consumed the body itself
                post_limit = self._channel.max_post_size
                length = self._head.content_length
                if post_limit >= 0 and length is not None and length > post_limit:
                    raise RequestTooLargeError(
                        f"the form body ({length} bytes) is larger than the "
                        f"Connector's maxPostSize ({post_limit} bytes)"
                    )
                body = self._read_body_bounded(post_limit)
                if length is not None and len(body) < length:
                    raise BadRequestError("the request body ended before Content-Length")
                skipped = parse_form(body, self._body_encoding(), params, max_count)
                if skipped:
                    PARAMETER_ERRORS.report(skipped)
            elif ctype == "multipart/form-data":
                for name, value in self._parts_state(False).fields:
                    params.setdefault(name, []).append(value)

    def _body_encoding(self) -> str:
        """The encoding form bodies decode with: the request's; when it
        names a charset Python does not know (``charset=bogus``), the
        context's, as Tomcat ignores it; with none anywhere, the spec's
        ISO-8859-1 (the shipped conf/web.xml sets UTF-8)."""
        encoding = self.get_character_encoding()
        if encoding:
            try:
                codecs.lookup(encoding)
                return encoding
            except LookupError:
                context = self.mapping.context
                encoding = None if context is None else context.request_character_encoding
        return encoding or "ISO-8859-1"

    # -- multipart (container/multipart_request.py) -------------------------
    def _parts_state(self, explicit: bool) -> MultipartState:
        state = self._multipart
        if state is None:
            body = ChannelBody(self._channel)
            mapping = self.request_mapping or self.mapping  # the servlet first mapped, as Tomcat
            state = self._multipart = parse_request_parts(self, mapping, self._channel, body.read_body, explicit)
            if self._parameters is not None:  # parameters parsed before: add the fields
                for name, value in state.fields:
                    self._parameters.setdefault(name, []).append(value)
        return state

    def get_parts(self) -> list[Part]:
        """The parts of a ``multipart/form-data`` body (see docs/multipart.md).

        :raises IllegalStateError: the servlet has no multipart config, or a
            size or count limit was exceeded.
        :raises ServletException: the request is not ``multipart/*``.
        :raises OSError: the body is malformed or cut short.
        """
        return self._parts_state(True).get_parts()

    def get_part(self, name: str) -> Part | None:
        """The first part named *name*, or None (raises as :meth:`get_parts`)."""
        return next((part for part in self.get_parts() if part.get_name() == name), None)

    def _read_body_bounded(self, limit: int) -> bytes:
        chunks: list[bytes] = []
        total = 0
        body = ChannelBody(self._channel)
        while True:
            data = body.read_body(65536)
            if not data:
                return b"".join(chunks)
            total += len(data)
            if 0 <= limit < total:
                raise RequestTooLargeError(f"the form body is larger than the Connector's maxPostSize ({limit} bytes)")
            chunks.append(data)

    def get_parameter_map(self) -> dict[str, list[str]]:
        if self._parameters is None:
            self._parameters = self._parse_parameters()
        return self._parameters

    def get_parameter(self, name: str) -> str | None:
        values = self.get_parameter_map().get(name)
        return values[0] if values else None

    def get_parameter_values(self, name: str) -> list[str] | None:
        values = self.get_parameter_map().get(name)
        return list(values) if values else None

    def get_parameter_names(self) -> list[str]:
        return list(self.get_parameter_map())

    # -- cookies, attributes -------------------------------------------
    def get_cookies(self) -> list[Cookie]:
        if self._cookies is None:
            self._cookies = parse_cookie_header(self._headers.get_all("cookie"))
        return list(self._cookies)

    def set_attribute(self, name: str, value: Any) -> None:
        """Bind ``value`` to ``name`` (``None`` removes it); the context's
        ServletRequestAttributeListeners get ``attribute_added`` or
        ``attribute_replaced`` (with the old value), as in Tomcat."""
        if value is None:
            self.remove_attribute(name)
            return
        attributes = self._attributes
        old = attributes.get(name, _NO_VALUE)
        attributes[name] = value
        listeners = getattr(self.mapping.context, "_request_attribute_listeners", None)
        if listeners:
            if old is _NO_VALUE:
                self._notify_attribute(listeners, "attribute_added", name, value)
            else:
                self._notify_attribute(listeners, "attribute_replaced", name, old)

    def remove_attribute(self, name: str) -> None:
        """Unbind ``name``; ``attribute_removed`` if it was bound."""
        old = self._attributes.pop(name, _NO_VALUE)
        if old is not _NO_VALUE:
            listeners = getattr(self.mapping.context, "_request_attribute_listeners", None)
            if listeners:
                self._notify_attribute(listeners, "attribute_removed", name, old)

    def _notify_attribute(self, listeners: list[Any], method: str, name: str, value: Any) -> None:
        event = ServletRequestAttributeEvent(self.mapping.context.get_servlet_context(), self, name, value)
        for listener in listeners:
            try:
                getattr(listener, method)(event)
            except Exception:
                log.exception("Listener %s.%s raised", type(listener).__name__, method)

    # -- connection -----------------------------------------------------
    def get_remote_addr(self) -> str:
        return self._remote_addr_override or self._channel.remote_addr

    def get_remote_host(self) -> str:
        return self._remote_host_override or self._remote_addr_override or self._channel.remote_addr

    def get_remote_port(self) -> int:
        return self._channel.remote_port

    def get_local_addr(self) -> str:
        return self._channel.local_addr

    def get_local_name(self) -> str:
        """The host name of the address the request arrived on (Tomcat's
        ``getLocalName``: a reverse lookup of the local address, cached per
        address; the address itself when the lookup fails)."""
        return local_name(self._channel.local_addr)

    def get_local_port(self) -> int:
        override = self._local_port_override
        return self._channel.local_port if override is None else override

    def get_scheme(self) -> str:
        return self._scheme_override or self._channel.scheme

    def is_secure(self) -> bool:
        secure = self._secure_override
        return self._channel.secure if secure is None else secure

    def _split_host(self) -> None:
        host = self._headers.get("host")
        # An IPv6 literal keeps its brackets ("[::1]"), as Tomcat reports it.
        name, port = split_host(host or "", brackets=True)
        if host is None:
            # No Host (HTTP/1.0): the connector's local name and port, as
            # Tomcat's populateHost ("localhost" for 127.0.0.1).
            name = local_name(self._channel.local_addr)
            port = self._channel.local_port
        elif not name:
            # "Host:" empty (allowed for a target without authority):
            # Tomcat reports an empty name and the local port.
            port = self._channel.local_port
        if port is None:
            port = 443 if self.get_scheme() == "https" else 80
        # Connector proxyName/proxyPort: what a proxy in front is known by.
        channel = self._channel
        if channel.proxy_name:
            name = channel.proxy_name
        if channel.proxy_port:
            port = channel.proxy_port
        self._server_name, self._server_port = name, port

    def get_server_name(self) -> str:
        """The host the client addressed (Host header), as Tomcat reports it."""
        if self._server_name is None:
            self._split_host()
        return self._server_name  # type: ignore[return-value]

    def get_server_port(self) -> int:
        if self._server_port is None:
            self._split_host()
        return self._server_port  # type: ignore[return-value]

    # -- container -------------------------------------------------------
    def get_servlet_context(self) -> ServletContext | None:
        context = self.mapping.context
        return None if context is None else context.get_servlet_context()

    def get_dispatcher_type(self) -> str:
        """REQUEST, or ASYNC while an ``AsyncContext.dispatch`` runs, or
        FORWARD/INCLUDE/ERROR during a RequestDispatcher dispatch."""
        return self._dispatcher_type

    def get_request_dispatcher(self, path: str) -> ApplicationDispatcher | None:
        """A ``RequestDispatcher`` for *path*: absolute within this request's
        context ("/x"), or relative to the current servlet path and path
        info ("other", "../x"); None if the path leaves the webapp or no
        servlet maps it."""
        from .dispatcher import get_relative_dispatcher

        return get_relative_dispatcher(self, path)

    def get_http_servlet_mapping(self) -> HttpServletMapping | None:
        """How this request (or the current forward) was mapped to its
        servlet: an ``HttpServletMapping``, or None when unmapped."""
        if self._servlet_mapping is None:
            from .dispatcher import current_mapping

            self._servlet_mapping = current_mapping(self)
        return self._servlet_mapping

    # -- asynchronous processing -----------------------------------------
    def is_async_supported(self) -> bool:
        """Whether the servlet and every filter of the current chain are
        async-supported (``<async-supported>`` in web.xml)."""
        if self._async_supported is not None:
            return self._async_supported
        wrapper = self.mapping.wrapper
        return wrapper is not None and bool(getattr(wrapper, "async_supported", False))

    def start_async(self, request: Any = None, response: Any = None) -> AsyncContextImpl:
        """Put the request in asynchronous mode: when the servlet returns
        the response stays open until ``complete()`` or ``dispatch()`` on
        the returned ``AsyncContext``. With *request* and *response*, those
        (wrapped) objects are what ``get_request``/``get_response`` give.

        :raises IllegalStateError: the servlet or a filter is not
            async-supported, async is already started in this dispatch,
            or the request has completed.
        """
        if not self.is_async_supported():
            raise IllegalStateError(
                "A filter or servlet of the current chain does not support asynchronous " "operations."
            )
        if (request is None) != (response is None):
            raise ValueError("start_async() takes both a request and a response, or neither")
        context = self.async_context
        if context is None:
            from .async_context import AsyncContextImpl

            context = self.async_context = AsyncContextImpl(self)
        if request is None:
            context.set_started(self, self.response, True)
        else:
            context.set_started(request, response, request is self and response is self.response)
        return context

    def is_async_started(self) -> bool:
        """True from ``start_async`` until ``complete``/``dispatch`` took effect."""
        context = self.async_context
        return context is not None and context.is_async_started()

    def get_async_context(self) -> AsyncContextImpl:
        """The ``AsyncContext`` of the current asynchronous cycle.

        :raises IllegalStateError: ``start_async`` was not called.
        """
        context = self.async_context
        if context is None or not context.is_async_started():
            raise IllegalStateError(
                "It is illegal to call get_async_context() if the current "
                "request is not in asynchronous mode (is_async_started() "
                "returns False)"
            )
        return context

    # -- HTTP upgrade (Servlet 3.1; see docs/upgrade.md) -------------------
    def upgrade(self, handler_class: type) -> Any:
        """Switch this connection to another protocol once the servlet
        returns: the response becomes ``101 Switching Protocols`` (with the
        headers the servlet sets, such as ``Upgrade``), and after it is
        sent the connection's processor calls ``handler.init(connection)``
        with the raw connection. Returns the new handler instance (Tomcat's
        ``Request.upgrade``, which leaves an ``UpgradeToken`` on the
        connection).

        :raises IllegalStateError: the response is committed, the request
            is in asynchronous mode or was already upgraded.
        :raises TypeError: *handler_class* is not an HttpUpgradeHandler.
        """
        if not (isinstance(handler_class, type) and issubclass(handler_class, HttpUpgradeHandler)):
            raise TypeError(f"upgrade() needs an HttpUpgradeHandler subclass, got {handler_class!r}")
        response = self.response
        if self._channel.upgrade_token is not None:
            raise IllegalStateError("the request was already upgraded")
        if response is None or response.is_committed() or self.is_async_started():
            raise IllegalStateError(
                "upgrade() is not possible once the response is committed " "or in asynchronous mode"
            )
        handler = handler_class()
        self._channel.upgrade_token = UpgradeToken(handler, self.mapping.context)
        response.set_status(101)
        return handler

    def get_response(self) -> Response | None:
        """Container side: the response of this request, None once it has
        ended (Tomcat's ``Request.getResponse``)."""
        return self.response

    # -- container side: the response, dispatches, the end -------------------
    @property
    def uri_encoding(self) -> str:
        """The connector's ``URIEncoding`` (query strings are decoded with it)."""
        return self._uri_encoding

    def store_session(self) -> None:
        """Container side, before the response's last bytes go out: with a
        ``<Cluster>``, the session this request used is written back to the
        shared store (its access ended), so the client's next request finds
        it on any instance."""
        session = self._session
        if session is None:
            return
        context = self.mapping.context
        manager = None if context is None else getattr(context, "manager", None)
        if manager is not None and manager.store is not None:
            session.end_access()
            manager.session_used(session)

    def recycle(self) -> None:
        """After the response is finished (Tomcat's ``Request.recycle``):
        the session's access ends, and the links between request, response
        and writer are broken so that no reference cycle outlives the
        request (measured: the cyclic GC's pauses would cost a fifth of the
        throughput and most of the p99)."""
        multipart = self._multipart
        if multipart is not None:
            multipart.cleanup()  # the parts' temporary files
        session = self._session
        if session is not None:
            # Session.endAccess: no longer new; last accessed now.
            session.end_access()
        response = self.response
        if response is not None:
            self.response = None
            response.recycle()

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._headers)

    def __repr__(self) -> str:
        return f"<Request {self._head.method} {self._request_uri}>"


__all__ = ["Request"]
