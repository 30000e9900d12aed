"""``HttpServletRequest``: what a servlet sees of one HTTP request.

Tomcat keeps a Coyote request (raw bytes), a Catalina request and a facade;
here one object plays all three, with the container's fields kept private
(``_``-prefixed) and the servlet API as its public methods in PEP 8 spelling.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any, Iterator

from .attributes import AttributeHolder
from .cookies import Cookie, parse_cookie_header
from .exceptions import BadRequestError, IllegalStateError, RequestTooLargeError
from .params import parse_form

if TYPE_CHECKING:  # pragma: no cover
    from ..connector.http11.headers import Headers
    from ..connector.http11.parser import RequestHead


class ServletInputStream(io.RawIOBase):
    """The request body as a binary stream (de-chunked, bounded by the
    message framing). Reading it may send ``100 Continue`` first."""

    def __init__(self, channel: Any) -> None:
        super().__init__()
        self._channel = channel

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._channel.read_body(len(buffer))
        n = len(data)
        buffer[:n] = data
        return n

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            return self.readall()
        return self._channel.read_body(size)

    def readall(self) -> bytes:
        chunks = []
        while True:
            data = self._channel.read_body(65536)
            if not data:
                return b"".join(chunks)
            chunks.append(data)

    def is_finished(self) -> bool:
        return self._channel.body_finished


#: Marks "no such attribute" for the attribute events (None is never stored).
_NO_VALUE = object()


class HttpServletRequest(AttributeHolder):
    """One HTTP request as the servlet API presents it."""

    # Defaults shared by every request until set (fewer stores per request).
    _parameters: dict[str, list[str]] | None = None
    _cookies: list[Cookie] | None = None
    _char_encoding: str | None = None
    _input: ServletInputStream | None = None
    _reader: io.TextIOWrapper | None = None
    # Set by the adapter once the request is mapped:
    _context: Any = None
    _context_path = ""
    _servlet_path = ""
    _path_info: str | None = None
    _decoded_path_in_context = "/"
    _wrapper: Any = None
    _host: Any = None
    _server_name: str | None = None
    _server_port: int | None = None
    # What a valve (RemoteIpValve) says the connection is, in place of the
    # socket's own values; None (the default) means the connection's value.
    # get_server_name/get_server_port are changed through _server_name and
    # _server_port above.
    _remote_addr_override: str | None = None
    _remote_host_override: str | None = None
    _scheme_override: str | None = None
    _secure_override: bool | None = None
    _local_port_override: int | None = None
    # Sessions (see catalina_py/session/): what the client asked for, set by
    # the adapter through the context's manager, and the session in use.
    _requested_session_id: str | None = None
    _requested_session_cookie = False
    _requested_session_url = False
    _session: Any = None
    # Asynchronous processing (see container/async_context.py):
    _response: Any = None  # the response of this request (set by the adapter)
    _async_context: Any = None  # AsyncContextImpl once start_async was called
    # None: the wrapper's async-supported decides; a filter chain with a
    # filter that is not async-supported sets False (Tomcat's ASYNC_SUPPORTED_ATTR).
    _async_supported: bool | None = None
    _dispatcher_type = "REQUEST"
    # The HttpServletMapping of the request or of the current forward,
    # computed on demand (container/dispatcher.py sets it while dispatching).
    _mapping: Any = None

    def __init__(self, channel: Any, head: "RequestHead", request_uri: str,
                 decoded_uri: str, query_string: str | None,
                 path_params: dict[str, str] | None = None) -> None:
        self._channel = channel
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
        if ":" in host:
            host = f"[{host}]"
        return f"{scheme}://{host}{'' if default else ':' + str(port)}{self._request_uri}"

    def get_context_path(self) -> str:
        return self._context_path

    def get_servlet_path(self) -> str:
        return self._servlet_path

    def get_path_info(self) -> str | None:
        return self._path_info

    def get_path_translated(self) -> str | None:
        if self._path_info is None or self._context is None:
            return None
        return self._context.get_servlet_context().get_real_path(self._path_info)

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
        from ..servlets.conditional import parse_http_date
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
        if self._context is not None:
            return self._context.request_character_encoding
        return None

    def set_character_encoding(self, encoding: str) -> None:
        """Only has an effect before the body or parameters were read."""
        import codecs
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
            self._input = ServletInputStream(self._channel)
        return self._input

    def get_reader(self) -> io.TextIOWrapper:
        if self._reader is None:
            if self._input is not None:
                raise RuntimeError("get_input_stream() has already been called for this request")
            stream = io.BufferedReader(ServletInputStream(self._channel))
            self._reader = io.TextIOWrapper(
                stream, encoding=self.get_character_encoding() or "utf-8", errors="replace")
        return self._reader

    def get_trailer_fields(self) -> dict[str, str]:
        """Trailer fields of a chunked body, once the body has been read."""
        trailers = self._channel.trailers
        if trailers is None:
            return {}
        return {name.lower(): value for name, value in trailers}

    def is_trailer_fields_ready(self) -> bool:
        return self._channel.body_finished

    # -- parameters -----------------------------------------------------
    def _parse_parameters(self) -> dict[str, list[str]]:
        params: dict[str, list[str]] = {}
        query_encoding = self._uri_encoding
        if self._query_string:
            parse_form(self._query_string, query_encoding, params)
        # Tomcat reads form bodies only for POST (Connector parseBodyMethods).
        if self._head.method == "POST":
            ctype = (self.get_content_type() or "").split(";")[0].strip().lower()
            if ctype == "application/x-www-form-urlencoded":
                if self._input is not None or self._reader is not None:
                    return params  # the servlet consumed the body itself
                limit = self._channel.max_post_size
                length = self._head.content_length
                if limit >= 0 and length is not None and length > limit:
                    raise RequestTooLargeError(
                        f"the form body ({length} bytes) is larger than the "
                        f"Connector's maxPostSize ({limit} bytes)")
                body = self._read_body_bounded(limit)
                if length is not None and len(body) < length:
                    raise BadRequestError("the request body ended before Content-Length")
                parse_form(body, self.get_character_encoding() or "utf-8", params)
        return params

    def _read_body_bounded(self, limit: int) -> bytes:
        chunks = []
        total = 0
        while True:
            data = self._channel.read_body(65536)
            if not data:
                return b"".join(chunks)
            total += len(data)
            if 0 <= limit < total:
                raise RequestTooLargeError(
                    f"the form body is larger than the Connector's maxPostSize ({limit} bytes)")
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
        listeners = getattr(self._context, "_request_attribute_listeners", None)
        if listeners:
            if old is _NO_VALUE:
                self._notify_attribute(listeners, "attribute_added", name, value)
            else:
                self._notify_attribute(listeners, "attribute_replaced", name, old)

    def remove_attribute(self, name: str) -> None:
        """Unbind ``name``; ``attribute_removed`` if it was bound."""
        old = self._attributes.pop(name, _NO_VALUE)
        if old is not _NO_VALUE:
            listeners = getattr(self._context, "_request_attribute_listeners", None)
            if listeners:
                self._notify_attribute(listeners, "attribute_removed", name, old)

    def _notify_attribute(self, listeners: list[Any], method: str, name: str, value: Any) -> None:
        import logging

        from .listeners import ServletRequestAttributeEvent
        event = ServletRequestAttributeEvent(self._context.get_servlet_context(), self, name, value)
        for listener in listeners:
            try:
                getattr(listener, method)(event)
            except Exception:
                logging.getLogger("catalina_py.container").exception(
                    "Listener %s.%s raised", type(listener).__name__, method)

    # -- connection -----------------------------------------------------
    def get_remote_addr(self) -> str:
        return self._remote_addr_override or self._channel.remote_addr

    def get_remote_host(self) -> str:
        return self._remote_host_override or self._remote_addr_override or self._channel.remote_addr

    def get_remote_port(self) -> int:
        return self._channel.remote_port

    def get_local_addr(self) -> str:
        return self._channel.local_addr

    def get_local_port(self) -> int:
        override = self._local_port_override
        return self._channel.local_port if override is None else override

    def get_scheme(self) -> str:
        return self._scheme_override or self._channel.scheme

    def is_secure(self) -> bool:
        secure = self._secure_override
        return self._channel.secure if secure is None else secure

    def _split_host(self) -> None:
        host = self._headers.get("host") or ""
        name, port = host, None
        if host.startswith("["):
            end = host.find("]")
            name = host[1:end] if end > 0 else host
            rest = host[end + 1:] if end > 0 else ""
            if rest.startswith(":") and rest[1:].isdigit():
                port = int(rest[1:])
        elif ":" in host:
            name, _, p = host.rpartition(":")
            if p.isdigit():
                port = int(p)
        if not name:
            name = self._channel.local_addr
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

    # -- sessions (Tomcat's Request.doGetSession and friends) --------------
    def get_session(self, create: bool = True) -> Any:
        """The session of this request: the one already used, else the live
        session the client named (cookie or ``;jsessionid=``), else -- with
        *create* -- a new one (its cookie is added to the response). None
        without *create* when there is none. Creating a session once the
        response is committed raises ``IllegalStateError``."""
        session = self._session
        if session is not None:
            if session.is_valid():
                return session
            self._session = None
        manager = None if self._context is None else getattr(self._context, "manager", None)
        if manager is None:
            return None
        if self._requested_session_id is not None:
            session = manager.find_session(self._requested_session_id)
            if session is not None and session.is_valid():
                session.access()
                self._session = session
                return session
        if not create:
            return None
        if self._response is not None and self._response.is_committed():
            raise IllegalStateError("cannot create a session after the response has been committed")
        session = manager.create_session()
        self._session = session
        manager.send_session_cookie(self, session.get_id())
        session.access()
        return session

    def get_requested_session_id(self) -> str | None:
        """The session id the client sent (cookie or URL), valid or not."""
        return self._requested_session_id

    def is_requested_session_id_valid(self) -> bool:
        """Whether the id the client sent names a live session of this webapp."""
        manager = None if self._context is None else getattr(self._context, "manager", None)
        return manager is not None and manager.is_live(self._requested_session_id)

    def is_requested_session_id_from_cookie(self) -> bool:
        return self._requested_session_cookie

    def is_requested_session_id_from_url(self) -> bool:
        return self._requested_session_url

    # CONTRACT: deploy branch needs this (session tracking, catalina_py/session/tracking.py)
    def set_requested_session_id(self, session_id: str, *, from_cookie: bool | None = None,
                                 from_url: bool | None = None) -> None:
        """Container side: record the session id the client sent, and (when
        given) whether it came in a cookie or the URL (Tomcat's
        ``setRequestedSessionId``/``Cookie``/``URL``); set by the manager
        while the adapter maps the request."""
        self._requested_session_id = session_id
        if from_cookie is not None:
            self._requested_session_cookie = from_cookie
        if from_url is not None:
            self._requested_session_url = from_url

    # CONTRACT: deploy branch needs this (StandardContextValve, catalina_py/container/context.py)
    def get_wrapper(self) -> Any:
        """Container side: the wrapper (servlet) the request is mapped to,
        None when nothing matched (Tomcat's ``Request.getWrapper``)."""
        return self._wrapper

    # CONTRACT: deploy branch needs this (StandardContextValve, catalina_py/container/context.py)
    def get_decoded_path_in_context(self) -> str:
        """Container side: the decoded, normalised path after the context
        path ("/" at least), which the Mapper matched."""
        return self._decoded_path_in_context

    # CONTRACT: deploy branch needs this (session tracking, catalina_py/session/tracking.py)
    def get_response(self) -> Any:
        """Container side: the response of this request, None once it has
        ended (Tomcat's ``Request.getResponse``)."""
        return self._response

    def change_session_id(self) -> str:
        """Give the request's session a new id (against session fixation)
        and return it; the old id no longer finds the session. The new
        cookie is sent; ``HttpSessionIdListener``\\ s are told."""
        session = self.get_session(False)
        if session is None:
            raise IllegalStateError("change_session_id(): this request has no session")
        manager = self._context.manager
        new_id = manager.change_session_id(session)
        if self._requested_session_id:
            self._requested_session_id = new_id
        manager.send_session_cookie(self, new_id)
        return new_id

    # -- container -------------------------------------------------------
    def get_servlet_context(self) -> Any:
        return None if self._context is None else self._context.get_servlet_context()

    def get_dispatcher_type(self) -> str:
        """REQUEST, or ASYNC while an ``AsyncContext.dispatch`` runs, or
        FORWARD/INCLUDE/ERROR during a RequestDispatcher dispatch."""
        return self._dispatcher_type

    def get_request_dispatcher(self, path: str) -> Any:
        """A ``RequestDispatcher`` for *path*: absolute within this request's
        context ("/x"), or relative to the current servlet path and path
        info ("other", "../x"); None if the path leaves the webapp or no
        servlet maps it."""
        from ..container.dispatcher import get_relative_dispatcher
        return get_relative_dispatcher(self, path)

    def get_http_servlet_mapping(self) -> Any:
        """How this request (or the current forward) was mapped to its
        servlet: an ``HttpServletMapping``, or None when unmapped."""
        if self._mapping is None:
            from ..container.dispatcher import current_mapping
            self._mapping = current_mapping(self)
        return self._mapping

    # -- asynchronous processing -----------------------------------------
    def is_async_supported(self) -> bool:
        """Whether the servlet and every filter of the current chain are
        async-supported (``<async-supported>`` in web.xml)."""
        if self._async_supported is not None:
            return self._async_supported
        wrapper = self._wrapper
        return wrapper is not None and bool(getattr(wrapper, "async_supported", False))

    def start_async(self, request: Any = None, response: Any = None) -> Any:
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
                "A filter or servlet of the current chain does not support asynchronous "
                "operations.")
        if (request is None) != (response is None):
            raise ValueError("start_async() takes both a request and a response, or neither")
        context = self._async_context
        if context is None:
            from ..container.async_context import AsyncContextImpl
            context = self._async_context = AsyncContextImpl(self)
        if request is None:
            context.set_started(self, self._response, True)
        else:
            context.set_started(request, response, request is self and response is self._response)
        return context

    def is_async_started(self) -> bool:
        """True from ``start_async`` until ``complete``/``dispatch`` took effect."""
        context = self._async_context
        return context is not None and context.is_async_started()

    def get_async_context(self) -> Any:
        """The ``AsyncContext`` of the current asynchronous cycle.

        :raises IllegalStateError: ``start_async`` was not called.
        """
        context = self._async_context
        if context is None or not context.is_async_started():
            raise IllegalStateError("It is illegal to call get_async_context() if the current "
                                    "request is not in asynchronous mode (is_async_started() "
                                    "returns False)")
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
        from .upgrade import HttpUpgradeHandler, UpgradeToken
        if not (isinstance(handler_class, type) and issubclass(handler_class, HttpUpgradeHandler)):
            raise TypeError(f"upgrade() needs an HttpUpgradeHandler subclass, got {handler_class!r}")
        response = self._response
        if getattr(self._channel, "upgrade_token", None) is not None:
            raise IllegalStateError("the request was already upgraded")
        if response is None or response.is_committed() or self.is_async_started():
            raise IllegalStateError("upgrade() is not possible once the response is committed "
                                "or in asynchronous mode")
        handler = handler_class()
        self._channel.upgrade_token = UpgradeToken(handler, self._context)
        response.set_status(101)
        return handler

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._headers)

    def __repr__(self) -> str:
        return f"<HttpServletRequest {self._head.method} {self._request_uri}>"


__all__ = ["HttpServletRequest", "ServletInputStream"]
