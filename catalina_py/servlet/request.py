"""``HttpServletRequest``: what a servlet sees of one HTTP request (the
interface, ``jakarta.servlet.http.HttpServletRequest`` in PEP 8 spelling).

Webapps program against this class (and ``isinstance`` with it); the
container's implementation is ``catalina_py.container.request.Request``
(Tomcat's ``org.apache.catalina.connector.Request``). Request wrappers
(``HttpServletRequestWrapper``) delegate to whatever they wrap.
"""

from __future__ import annotations

import io
from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # pragma: no cover
    from .asynchronous import AsyncContext
    from .context import ServletContext
    from .cookies import Cookie
    from .mapping import HttpServletMapping, RequestDispatcher
    from .part import Part

__all__ = ["BodySource", "HttpServletRequest", "ServletConnection", "ServletInputStream"]


class BodySource(Protocol):
    """Where a :class:`ServletInputStream` reads the request body from."""

    @property
    def body_finished(self) -> bool:
        """The body was read to its end."""
        ...

    def read_body(self, size: int) -> bytes:
        """Up to *size* bytes of the body; b"" at its end."""
        ...


class ServletInputStream(io.RawIOBase):
    """The request body as a binary stream (de-chunked, bounded by the
    message framing). Reading it may send ``100 Continue`` first."""

    def __init__(self, source: BodySource) -> None:
        super().__init__()
        self._source = source

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:  # Any: any writable buffer (bytearray, memoryview)
        data = self._source.read_body(len(buffer))
        n = len(data)
        buffer[:n] = data
        return n

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            return self.readall()
        return self._source.read_body(size)

    def readall(self) -> bytes:
        chunks: list[bytes] = []
        while True:
            data = self._source.read_body(65536)
            if not data:
                return b"".join(chunks)
            chunks.append(data)

    def is_finished(self) -> bool:
        """Whether the whole body has been read."""
        return self._source.body_finished


class ServletConnection(ABC):
    """The connection a request arrived on (Jakarta Servlet 6's
    ``jakarta.servlet.ServletConnection``)."""

    @abstractmethod
    def get_connection_id(self) -> str:
        """The container's number for this connection, as text (the same for
        every request of a keep-alive connection)."""

    @abstractmethod
    def get_protocol(self) -> str:
        """The protocol the connection speaks: ``"http/1.1"`` (or ``"http/1.0"``)."""

    @abstractmethod
    def get_protocol_connection_id(self) -> str:
        """The protocol's own connection id: ``""`` for HTTP/1.x, which has none."""

    @abstractmethod
    def is_secure(self) -> bool:
        """Whether the connection is secure (the connector's ``secure``)."""


class HttpServletRequest(ABC):
    """One HTTP request as the servlet API presents it."""

    # -- request line ---------------------------------------------------
    @abstractmethod
    def get_method(self) -> str:
        """The method of the request line (``"GET"``, ``"POST"`` ...)."""

    @abstractmethod
    def get_protocol(self) -> str:
        """The protocol of the request line (``"HTTP/1.1"``)."""

    @abstractmethod
    def get_request_uri(self) -> str:
        """The path part of the request line, not decoded (path parameters kept)."""

    @abstractmethod
    def get_request_url(self) -> str:
        """Scheme, host, port and request URI, without the query string."""

    @abstractmethod
    def get_context_path(self) -> str:
        """The path of the webapp (``""`` for ROOT, else ``"/name"``)."""

    @abstractmethod
    def get_servlet_path(self) -> str:
        """The part of the path that selected the servlet."""

    @abstractmethod
    def get_path_info(self) -> str | None:
        """The rest of the path after the servlet path; None when there is none."""

    @abstractmethod
    def get_path_translated(self) -> str | None:
        """The file the path info names inside the webapp, or None."""

    @abstractmethod
    def get_query_string(self) -> str | None:
        """The query string of the request line (not decoded), or None."""

    @abstractmethod
    def get_path_parameter(self, name: str) -> str | None:
        """A ``;name=value`` path parameter (Tomcat keeps these for ``jsessionid``)."""

    # -- headers --------------------------------------------------------
    @abstractmethod
    def get_header(self, name: str) -> str | None:
        """The first value of the header *name* (case-insensitive), or None."""

    @abstractmethod
    def get_headers(self, name: str) -> list[str]:
        """Every value of the header *name*, in order."""

    @abstractmethod
    def get_header_names(self) -> list[str]:
        """The names of the request's headers."""

    @abstractmethod
    def get_int_header(self, name: str) -> int:
        """The header as an int, -1 if absent; ValueError if not a number."""

    @abstractmethod
    def get_date_header(self, name: str) -> float:
        """Seconds since the epoch, or -1 if absent; ValueError if malformed."""

    @abstractmethod
    def get_content_type(self) -> str | None:
        """The Content-Type header, or None."""

    @abstractmethod
    def get_content_length(self) -> int:
        """The declared body length, or -1 if unknown (chunked or none)."""

    @abstractmethod
    def get_character_encoding(self) -> str | None:
        """The charset of the body: set by ``set_character_encoding``, else
        the ``charset`` of Content-Type, else the context's request encoding."""

    @abstractmethod
    def set_character_encoding(self, encoding: str) -> None:
        """Only has an effect before the body or parameters were read;
        LookupError for an unknown charset."""

    @abstractmethod
    def get_locale(self) -> str | None:
        """The first language of Accept-Language, or None."""

    # -- body -----------------------------------------------------------
    @abstractmethod
    def get_input_stream(self) -> ServletInputStream:
        """The body as bytes (not together with :meth:`get_reader`)."""

    @abstractmethod
    def get_reader(self) -> io.TextIOWrapper:
        """The body as text, in the request's character encoding."""

    @abstractmethod
    def get_trailer_fields(self) -> dict[str, str]:
        """Trailer fields of a chunked body, once the body has been read."""

    @abstractmethod
    def is_trailer_fields_ready(self) -> bool:
        """Whether the trailer fields can be read (the body is finished)."""

    # -- parameters -----------------------------------------------------
    @abstractmethod
    def get_parameter_map(self) -> dict[str, list[str]]:
        """Query string and (for a POST form) body parameters."""

    @abstractmethod
    def get_parameter(self, name: str) -> str | None:
        """The first value of the parameter *name*, or None."""

    @abstractmethod
    def get_parameter_values(self, name: str) -> list[str] | None:
        """Every value of the parameter *name*, or None."""

    @abstractmethod
    def get_parameter_names(self) -> list[str]:
        """The names of the parameters."""

    # -- multipart (Servlet 3.0; see docs/multipart.md) ---------------------
    @abstractmethod
    def get_parts(self) -> list[Part]:
        """The parts of a ``multipart/form-data`` body; IllegalStateError
        when the servlet has no multipart configuration or a limit is
        exceeded, ServletException when the request is not multipart."""

    @abstractmethod
    def get_part(self, name: str) -> Part | None:
        """The first part named *name*, or None (raises as :meth:`get_parts`)."""

    # -- cookies, attributes -------------------------------------------
    @abstractmethod
    def get_cookies(self) -> list[Cookie]:
        """The cookies the client sent."""

    @abstractmethod
    def get_attribute(self, name: str) -> Any:
        """The attribute bound to *name*, or None."""

    @abstractmethod
    def get_attribute_names(self) -> list[str]:
        """The names of the bound attributes."""

    @abstractmethod
    def set_attribute(self, name: str, value: Any) -> None:
        """Bind *value* to *name* (``None`` removes it); the context's
        ServletRequestAttributeListeners are told."""

    @abstractmethod
    def remove_attribute(self, name: str) -> None:
        """Unbind *name*."""

    # -- connection -----------------------------------------------------
    @abstractmethod
    def get_remote_addr(self) -> str:
        """The client's address (or what a RemoteIpValve says it is)."""

    @abstractmethod
    def get_remote_host(self) -> str:
        """The client's host name (its address: no reverse lookups)."""

    @abstractmethod
    def get_remote_port(self) -> int:
        """The client's port."""

    @abstractmethod
    def get_local_addr(self) -> str:
        """The address the request was received on."""

    @abstractmethod
    def get_local_port(self) -> int:
        """The port the request was received on."""

    @abstractmethod
    def get_scheme(self) -> str:
        """``"http"`` or ``"https"``."""

    @abstractmethod
    def is_secure(self) -> bool:
        """Whether the request came over a secure channel."""

    @abstractmethod
    def get_server_name(self) -> str:
        """The host the client addressed (Host header), as Tomcat reports it."""

    @abstractmethod
    def get_server_port(self) -> int:
        """The port the client addressed."""

    @abstractmethod
    def get_servlet_connection(self) -> ServletConnection:
        """The connection this request arrived on (Servlet 6)."""

    # -- sessions -------------------------------------------------------
    @abstractmethod
    def get_session(self, create: bool = True) -> Any:
        """The request's ``HttpSession``; with *create* a new one when there
        is none (None without *create*). ``IllegalStateError`` when a
        session would be created after the response was committed."""

    @abstractmethod
    def get_requested_session_id(self) -> str | None:
        """The session id the client sent (cookie or URL), valid or not."""

    @abstractmethod
    def is_requested_session_id_valid(self) -> bool:
        """Whether the id the client sent names a live session of this webapp."""

    @abstractmethod
    def is_requested_session_id_from_cookie(self) -> bool:
        """Whether the requested session id came in a cookie."""

    @abstractmethod
    def is_requested_session_id_from_url(self) -> bool:
        """Whether the requested session id came as ``;jsessionid=``."""

    @abstractmethod
    def change_session_id(self) -> str:
        """Give the request's session a new id (against session fixation)
        and return it."""

    # -- security (docs/security.md) ---------------------------------------
    @abstractmethod
    def get_user_principal(self) -> Any:
        """The authenticated user (a ``GenericPrincipal``: ``get_name()``,
        ``str()``), or None."""

    @abstractmethod
    def get_remote_user(self) -> str | None:
        """The authenticated user's name, or None."""

    @abstractmethod
    def get_auth_type(self) -> str | None:
        """How the user logged in (``BASIC``, ``FORM``, ``DIGEST``, ``NONE``), or None."""

    @abstractmethod
    def is_user_in_role(self, role: str) -> bool:
        """Whether the user holds *role* (through the servlet's ``<security-role-ref>``)."""

    @abstractmethod
    def login(self, username: str, password: str) -> None:
        """Log in with the webapp's realm; ``ServletException`` when it refuses."""

    @abstractmethod
    def logout(self) -> None:
        """Forget the user, on the request and in its session."""

    @abstractmethod
    def authenticate(self, response: Any) -> bool:
        """Log in with the webapp's login method: True once a user is known,
        else False with the challenge (or login page) in *response*."""

    # -- container -------------------------------------------------------
    @abstractmethod
    def get_servlet_context(self) -> ServletContext | None:
        """The ServletContext of the webapp the request was mapped to."""

    @abstractmethod
    def get_dispatcher_type(self) -> str:
        """REQUEST, or ASYNC while an ``AsyncContext.dispatch`` runs, or
        FORWARD/INCLUDE/ERROR during a RequestDispatcher dispatch."""

    @abstractmethod
    def get_request_dispatcher(self, path: str) -> RequestDispatcher | None:
        """A ``RequestDispatcher`` for *path*: absolute within this request's
        context ("/x"), or relative to the current servlet path and path
        info ("other", "../x"); None if the path leaves the webapp or no
        servlet maps it."""

    @abstractmethod
    def get_http_servlet_mapping(self) -> HttpServletMapping | None:
        """How this request (or the current forward) was mapped to its
        servlet: an ``HttpServletMapping``, or None when unmapped."""

    # -- asynchronous processing -----------------------------------------
    @abstractmethod
    def is_async_supported(self) -> bool:
        """Whether the servlet and every filter of the current chain are
        async-supported (``<async-supported>`` in web.xml)."""

    @abstractmethod
    def start_async(self, request: Any = None, response: Any = None) -> AsyncContext:
        """Put the request in asynchronous mode: when the servlet returns
        the response stays open until ``complete()`` or ``dispatch()`` on
        the returned ``AsyncContext``. With *request* and *response*, those
        (wrapped) objects are what ``get_request``/``get_response`` give.

        :raises IllegalStateError: the servlet or a filter is not
            async-supported, async is already started in this dispatch,
            or the request has completed.
        """

    @abstractmethod
    def is_async_started(self) -> bool:
        """True from ``start_async`` until ``complete``/``dispatch`` took effect."""

    @abstractmethod
    def get_async_context(self) -> AsyncContext:
        """The ``AsyncContext`` of the current asynchronous cycle.

        :raises IllegalStateError: ``start_async`` was not called.
        """

    # -- HTTP upgrade (Servlet 3.1; see docs/upgrade.md) -------------------
    @abstractmethod
    def upgrade(self, handler_class: type) -> Any:
        """Switch this connection to another protocol once the servlet
        returns: the response becomes ``101 Switching Protocols`` (with the
        headers the servlet sets, such as ``Upgrade``), and after it is
        sent the connection calls ``handler.init(connection)`` with the raw
        connection. Returns the new handler instance.

        :raises IllegalStateError: the response is committed, the request
            is in asynchronous mode or was already upgraded.
        :raises TypeError: *handler_class* is not an HttpUpgradeHandler.
        """

    @abstractmethod
    def __iter__(self) -> Iterator[tuple[str, str]]:
        """The header fields as (name, value) pairs."""
