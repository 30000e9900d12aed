"""The connection side of the container's ``Request``: Jakarta Servlet 6's
``ServletConnection`` (:class:`RequestConnection`), the request body as the
servlet API reads it (:class:`ChannelBody`), and the container-side methods
the adapter and the valves use to read and change what the connection is
(:class:`RequestConnectionSide`), all over the connection's
:class:`~catalina_py.container.channel.Channel`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..http.errors import HttpParseError
from ..servlet.exceptions import BadRequestError
from ..servlet.request import ServletConnection

if TYPE_CHECKING:  # pragma: no cover
    from ..http.headers import Headers
    from ..http.parser import RequestHead
    from .channel import Channel, Slots
    from .mapper import MappingData

__all__ = ["ChannelBody", "RequestConnection", "RequestConnectionSide"]


class RequestConnection(ServletConnection):
    """``get_servlet_connection()``: the request's channel, as Servlet 6 shows it."""

    __slots__ = ("_channel", "_protocol")

    def __init__(self, channel: Channel, protocol: str) -> None:
        self._channel = channel
        self._protocol = protocol

    def get_connection_id(self) -> str:
        return str(self._channel.connection_id)

    def get_protocol(self) -> str:
        return self._protocol.lower()

    def get_protocol_connection_id(self) -> str:
        return ""

    def is_secure(self) -> bool:
        return self._channel.secure


class ChannelBody:
    """The request body as the servlet API's ``BodySource``: the channel's
    body reader, with a malformed body (bad chunk framing) reported as the
    servlet API's ``BadRequestError``, which the container answers with 400."""

    __slots__ = ("_channel",)

    def __init__(self, channel: Channel) -> None:
        self._channel = channel

    @property
    def body_finished(self) -> bool:
        return self._channel.body_finished

    def read_body(self, size: int) -> bytes:
        try:
            return self._channel.read_body(size)
        except HttpParseError as exc:
            error = BadRequestError(exc.reason)
            error.status = exc.status  # 400, or 408 for a body that trickles
            raise error from None


class RequestConnectionSide:
    """Mixed into ``Request``: the connection it arrived on (Servlet 6), its
    fate (keep-alive, abort), and what a valve (RemoteIpValve, the access
    log, the error report) may read and change of it, as public methods
    outside the servlet API, so that no valve reads the request's private
    fields or its channel."""

    _channel: Channel
    _head: RequestHead
    _headers: Headers
    mapping: MappingData
    _server_name: str | None
    _server_port: int | None
    # What a valve (RemoteIpValve) says the connection is, in place of the
    # socket's own values; None (the default) means the connection's value.
    _remote_addr_override: str | None = None
    _remote_host_override: str | None = None
    _scheme_override: str | None = None
    _secure_override: bool | None = None
    _local_port_override: int | None = None

    if TYPE_CHECKING:  # pragma: no cover

        def _split_host(self) -> None: ...

    def get_servlet_connection(self) -> ServletConnection:
        return RequestConnection(self._channel, self._head.version)

    @property
    def connection_id(self) -> int:
        """The connection's number (``events.Event.connection``)."""
        return self._channel.connection_id

    @property
    def request_slots(self) -> Slots:
        """The connector's ``maxThreads`` slots (held while in the pipeline)."""
        return self._channel.request_slots

    def disable_keep_alive(self) -> None:
        """The connection serves no further request (the client went away,
        or the response cannot be finished cleanly)."""
        self._channel.keep_alive = False

    def abort_connection(self) -> None:
        """The servlet failed after the response was committed: the response
        is cut off (no last chunk) and the connection closed, so the client
        cannot mistake a truncated body for a whole one."""
        channel = self._channel
        channel.keep_alive = False
        channel.abort_after_response = True

    # -- container side: the connection as valves see and change it ---------
    # Public, container-facing methods (not the servlet API) so that the
    # valves (RemoteIpValve, AccessLogValve, ErrorReportValve) never read or
    # write the request's private fields or its channel.
    def get_context(self) -> Any:
        """The ``StandardContext`` the request was mapped to, or None
        (Tomcat's ``Request.getContext``)."""
        return self.mapping.context

    def get_host(self) -> Any:
        """The ``StandardHost`` the request was mapped to, or None."""
        return self.mapping.host

    def set_remote_addr(self, addr: str) -> None:
        """What ``get_remote_addr()`` returns from now on (Tomcat's
        ``Request.setRemoteAddr``; RemoteIpValve)."""
        self._remote_addr_override = addr

    def set_remote_host(self, host: str) -> None:
        """What ``get_remote_host()`` returns from now on."""
        self._remote_host_override = host

    def set_scheme(self, scheme: str, secure: bool) -> None:
        """What ``get_scheme()`` and ``is_secure()`` return from now on."""
        self._scheme_override = scheme
        self._secure_override = secure

    def set_server_name(self, name: str) -> None:
        """What ``get_server_name()`` returns from now on (the Host header
        is parsed first, so the port it names is kept)."""
        if self._server_name is None:
            self._split_host()
        self._server_name = name

    def set_server_port(self, port: int) -> None:
        """What ``get_server_port()`` returns from now on (the Host header
        is parsed first, so the name it names is kept)."""
        if self._server_port is None:
            self._split_host()
        self._server_port = port

    def set_local_port(self, port: int) -> None:
        """What ``get_local_port()`` returns from now on."""
        self._local_port_override = port

    def get_mime_headers(self) -> Headers:
        """The request's header fields, mutable (Tomcat's
        ``getCoyoteRequest().getMimeHeaders()``): RemoteIpValve rewrites
        ``X-Forwarded-For`` in place."""
        return self._headers

    def get_socket_local_port(self) -> int:
        """The port the connection was accepted on, whatever a valve set
        with ``set_local_port`` (the access log's ``%p``)."""
        return self._channel.local_port

    def get_bytes_sent(self) -> int:
        """Body bytes of the response sent so far on the connection."""
        return self._channel.bytes_sent

    def is_keep_alive(self) -> bool:
        """Whether the connection will serve another request after this one."""
        return self._channel.keep_alive

    def is_connection_aborted(self) -> bool:
        """Whether the response was cut off after it was committed (a
        servlet failed): the connection is closed without completing it."""
        return self._channel.abort_after_response
