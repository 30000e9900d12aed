"""What the WebSocket side reads of the servlet request that asks for an
upgrade: ``HandshakeRequest`` (Jakarta's, captured before the upgrade),
``HandshakeResponse``, and the few accessors that reach past the servlet
API, kept here, in one place, each marked ``# CONTRACT``.
"""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from .. import trace
from ..servlet.upgrade import HttpUpgradeHandler
from .core.handshake import HeaderFields

__all__ = ["HandshakeHttpResponse", "HandshakeRequest", "HandshakeResponse", "HeaderFields", "UpgradeRequest",
           "connection_id", "mapped_servlet_class", "path_in_context", "request_headers", "trace_id"]

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



# Any (in the four accessors below): they read past the servlet API, which has no type for these fields.
def request_headers(request: Any) -> HeaderFields:
    """The request's header fields, whole (the servlet API gives them one
    name at a time; the checks need the token search)."""
    headers: HeaderFields = request._headers  # reach: CONTRACT: the request's Headers, read-only
    return headers


def path_in_context(request: Any) -> str:
    """The decoded request path within its context ("/chat/lobby")."""
    path: str = request._decoded_path_in_context  # reach: CONTRACT: the mapped path, set by the adapter
    return path


def mapped_servlet_class(request: Any) -> str | type | None:
    """The class (or its dotted name) of the servlet the request was mapped
    to; None when it was mapped to none."""
    wrapper = request._wrapper  # reach: CONTRACT: the mapping result (one typed value on the servlet branch)
    if wrapper is None:
        return None
    cls: str | type = wrapper.servlet_class
    return cls


def connection_id(request: Any) -> int:
    """The number of the request's connection in the event stream (0 when
    unknown). CONTRACT 5: ``request.get_servlet_connection()``; until the
    servlet branch adds it, the channel's trace number."""
    get_connection = getattr(request, "get_servlet_connection", None)
    if get_connection is not None:
        return int(get_connection().get_connection_id())
    channel = request._channel  # reach: CONTRACT 5 fallback, until get_servlet_connection() lands
    return int(getattr(channel, "connection_id", 0) or getattr(channel, "trace_id", 0))


def trace_id(request: Any) -> int:
    """The connection's number for trace lines; 0 when tracing is off."""
    return connection_id(request) if trace.ENABLED else 0


class HandshakeRequest:
    """What ``modify_handshake`` and the session see of the handshake
    request (Jakarta's ``HandshakeRequest``), captured before the upgrade."""

    def __init__(self, request: UpgradeRequest) -> None:
        self._headers: dict[str, list[str]] = {}
        for name in request.get_header_names():
            self._headers.setdefault(name.lower(), []).extend(request.get_headers(name))
        self._request_uri: str = request.get_request_uri()
        self._query_string: str | None = request.get_query_string()
        self._parameters = {k: list(v) for k, v in request.get_parameter_map().items()}
        # Any: the HTTP session is the container's (servlet API) object, untyped there.
        self._http_session: Any = request.get_session(False)
        self._request = request

    def get_headers(self) -> dict[str, list[str]]:
        """Header values by lower-case name."""
        return self._headers

    def get_header(self, name: str) -> str | None:
        """The first value of header *name*, or None."""
        values = self._headers.get(name.lower())
        return values[0] if values else None

    def get_request_uri(self) -> str:
        """The request URI of the handshake (path, not decoded)."""
        return self._request_uri

    def get_query_string(self) -> str | None:
        """The handshake's query string, or None."""
        return self._query_string

    def get_parameter_map(self) -> dict[str, list[str]]:
        """The request parameters of the handshake (a copy)."""
        return {k: list(v) for k, v in self._parameters.items()}

    def get_http_session(self) -> Any:
        """The HTTP session of the handshake request, or None."""
        return self._http_session

    def get_servlet_request(self) -> UpgradeRequest:
        """The servlet request (valid during the handshake only)."""
        return self._request


class HandshakeResponse:
    """Headers ``modify_handshake`` adds to the 101 response."""

    def __init__(self) -> None:
        self._headers: dict[str, list[str]] = {}

    def get_headers(self) -> dict[str, list[str]]:
        """Header values by name; add to the lists to send more."""
        return self._headers
