"""What the WebSocket side reads of the servlet request that asks for an
upgrade: ``HandshakeRequest`` (Jakarta's, captured before the upgrade),
``HandshakeResponse``, and the few accessors that reach past the servlet
API (through the container request's public, container-side methods).
"""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from ..container.mapper import MappingData
from ..servlet.upgrade import HttpUpgradeHandler
from .core.handshake import HeaderFields
from .extension import Extension

__all__ = [
    "ContainerUpgradeRequest",
    "HandshakeHttpResponse",
    "HandshakeRequest",
    "HandshakeResponse",
    "HeaderFields",
    "UpgradeRequest",
    "connection_id",
    "mapped_servlet_class",
    "request_headers",
]

_H = TypeVar("_H", bound=HttpUpgradeHandler)


class UpgradeRequest(Protocol):
    """What the handshake reads of the servlet request (``HttpServletRequest`` is one)."""

    def get_method(self) -> str: ...

    def get_protocol(self) -> str: ...

    def get_scheme(self) -> str: ...

    def get_header_names(self) -> list[str]: ...

    def get_headers(self, name: str) -> list[str]: ...

    def get_request_uri(self) -> str: ...

    def get_query_string(self) -> str | None: ...

    def get_parameter_map(self) -> dict[str, list[str]]: ...

    # Any: the HTTP session is the container's object (untyped in the servlet API).
    def get_session(self, create: bool = True) -> Any: ...

    def upgrade(self, handler_class: type[_H]) -> _H: ...


class _TextSink(Protocol):
    def write(self, text: str, /) -> object: ...


class HandshakeHttpResponse(Protocol):
    """What the handshake sets on the servlet response (``HttpServletResponse`` is one)."""

    def set_status(self, status: int) -> None: ...

    def add_header(self, name: str, value: str) -> None: ...

    def set_content_type(self, content_type: str) -> None: ...

    def get_writer(self) -> _TextSink: ...


class ContainerUpgradeRequest(UpgradeRequest, Protocol):
    """The container's request (``container/request.py``'s ``Request``) as
    the endpoint filter reads it: the servlet API plus three public,
    container-side views the checks need (the header fields whole, for the
    token search; the mapping; the connection's number)."""

    #: Where the Mapper sent the request (the path in the context, the servlet).
    mapping: MappingData

    @property
    def connection_id(self) -> int: ...

    @property
    def traced(self) -> bool: ...

    def get_mime_headers(self) -> HeaderFields: ...

    def get_remote_addr(self) -> str: ...


def request_headers(request: ContainerUpgradeRequest) -> HeaderFields:
    """The request's header fields, whole (the servlet API gives them one
    name at a time; the checks need the token search)."""
    return request.get_mime_headers()


def mapped_servlet_class(request: ContainerUpgradeRequest) -> str | type | None:
    """The class (or its dotted name) of the servlet the request was mapped
    to; None when it was mapped to none."""
    wrapper = request.mapping.wrapper
    if wrapper is None:
        return None
    cls: str | type = wrapper.servlet_class
    return cls


def connection_id(request: ContainerUpgradeRequest) -> int:
    """The number of the request's connection in the event stream."""
    return request.connection_id


class HandshakeFacts:
    """What an open session keeps of its handshake: the request URI, query
    string, parameters, HTTP session, user, whether it was secure and the
    agreed extensions (Tomcat's ``WsSession`` copies the same fields). Not
    the whole :class:`HandshakeRequest`: its headers are for
    ``modify_handshake``, and an idle session carrying them paid about a
    kilobyte for nothing (:meth:`HandshakeRequest.facts`)."""

    __slots__ = (
        "_request_uri",
        "_query_string",
        "_parameters",
        "_http_session",
        "_principal",
        "_secure",
        "_extensions",
    )

    # Any: the container's HTTP session and Principal (untyped there).
    def __init__(
        self,
        request_uri: str,
        query_string: str | None,
        parameters: dict[str, list[str]] | None,
        http_session: Any,
        principal: Any,
        secure: bool,
        extensions: str | None,
    ) -> None:
        self._request_uri = request_uri
        self._query_string = query_string
        self._parameters = parameters or None
        self._http_session = http_session
        self._principal = principal
        self._secure = secure
        self._extensions = extensions

    def get_request_uri(self) -> str:
        """The request URI of the handshake (path, not decoded)."""
        return self._request_uri

    def get_query_string(self) -> str | None:
        """The handshake's query string, or None."""
        return self._query_string

    def get_parameter_map(self) -> dict[str, list[str]]:
        """The request parameters of the handshake (a copy)."""
        parameters = self._parameters
        return {k: list(v) for k, v in parameters.items()} if parameters else {}

    def get_http_session(self) -> Any:
        """The HTTP session of the handshake request, or None."""
        return self._http_session

    # Any: the servlet API's Principal.
    def get_user_principal(self) -> Any:
        """The authenticated user of the handshake request, or None."""
        return self._principal

    def is_secure(self) -> bool:
        """True when the handshake came over a secure connection (https/wss)."""
        return self._secure

    def get_negotiated_extensions(self) -> list[Extension]:
        """The extensions agreed in the handshake, with their parameters
        as answered (what the session's ``get_negotiated_extensions`` returns)."""
        header = self._extensions
        return Extension.parse([header]) if header else []


class HandshakeRequest(HandshakeFacts):
    """What ``modify_handshake`` and the session see of the handshake
    request (Jakarta's ``HandshakeRequest``), captured before the upgrade."""

    def __init__(self, request: UpgradeRequest) -> None:
        principal = getattr(request, "get_user_principal", None)
        is_secure = getattr(request, "is_secure", None)
        super().__init__(
            request.get_request_uri(),
            request.get_query_string(),
            {k: list(v) for k, v in request.get_parameter_map().items()},
            request.get_session(False),
            principal() if callable(principal) else None,
            bool(is_secure()) if callable(is_secure) else False,
            None,
        )
        self._headers: dict[str, list[str]] = {}
        for name in request.get_header_names():
            self._headers.setdefault(name.lower(), []).extend(request.get_headers(name))
        self._request: UpgradeRequest | None = request
        #: The user properties of the session this handshake opens (a copy
        #: of the endpoint's, which the configurator's ``modify_handshake``
        #: may change); None: the endpoint's are copied when it opens.
        # Any: user property values are whatever the webapp stores.
        self.user_properties: dict[str, Any] | None = None

    @property
    def negotiated_extensions_header(self) -> str | None:
        """The ``Sec-WebSocket-Extensions`` value of the 101 (None: none agreed)."""
        return self._extensions

    @negotiated_extensions_header.setter
    def negotiated_extensions_header(self, value: str | None) -> None:
        self._extensions = value

    def facts(self) -> HandshakeFacts:
        """What a session keeps of this handshake (not the headers)."""
        return HandshakeFacts(
            self._request_uri,
            self._query_string,
            self._parameters,
            self._http_session,
            self._principal,
            self._secure,
            self._extensions,
        )

    def get_headers(self) -> dict[str, list[str]]:
        """Header values by lower-case name."""
        return self._headers

    def get_header(self, name: str) -> str | None:
        """The first value of header *name*, or None."""
        values = self._headers.get(name.lower())
        return values[0] if values else None

    def is_user_in_role(self, role: str) -> bool:
        """Whether the authenticated user has *role* (False once upgraded
        or when nobody is logged in)."""
        request = self._request
        check = getattr(request, "is_user_in_role", None)
        return bool(check(role)) if callable(check) and self._principal is not None else False

    def get_servlet_request(self) -> UpgradeRequest | None:
        """The servlet request during the handshake; None once the
        connection is upgraded (:meth:`finished`)."""
        return self._request

    def finished(self) -> None:
        """The upgrade happened: let go of the servlet request (Tomcat's
        ``WsHandshakeRequest.finished``), so that an open session does not
        keep the HTTP request, its headers and its connection state alive."""
        self._request = None


class HandshakeResponse:
    """Headers ``modify_handshake`` adds to the 101 response."""

    def __init__(self) -> None:
        self._headers: dict[str, list[str]] = {}

    def get_headers(self) -> dict[str, list[str]]:
        """Header values by name; add to the lists to send more."""
        return self._headers
