"""The Servlet 3.1 HTTP upgrade API: ``HttpUpgradeHandler`` and
``WebConnection`` (``jakarta.servlet.http.HttpUpgradeHandler``,
``WebConnection``), in the gevent shape of catalina_py.

A servlet (or filter) calls ``request.upgrade(HandlerClass)``; the request
answers ``101 Switching Protocols`` with the headers the servlet set, and
once the servlet has returned and the 101 is on the wire, the
``Http11Processor`` of the connection calls ``handler.init(connection)``
*in the connection's own greenlet*. From then on the handler owns the
socket: the HTTP side never reads from it again.

``init`` may block (it runs in a greenlet of its own) and may return
before the connection is finished (after spawning greenlets of its own):
either way the connection, and its ``maxUpgradedConnections`` slot, stays open
until :meth:`WebConnection.close` is called; then ``destroy`` is called.
See ``docs/upgrade.md``.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # pragma: no cover
    from ..config.connector_spec import ConnectorSpec

__all__ = ["HttpUpgradeHandler", "UpgradeToken", "WebConnection"]


class UpgradeToken:
    """What ``request.upgrade`` leaves on the connection for the processor
    (Tomcat's ``UpgradeToken``): the handler and the webapp it belongs to."""

    __slots__ = ("handler", "context")

    def __init__(self, handler: HttpUpgradeHandler, context: Any) -> None:
        self.handler = handler
        self.context = context

    def __repr__(self) -> str:
        return f"UpgradeToken({type(self.handler).__name__})"


class HttpUpgradeHandler:
    """Base class of the protocol handlers a servlet upgrades to.

    Subclasses must have a constructor without arguments (the container
    instantiates them, as Tomcat's ``InstanceManager`` does); the object
    ``request.upgrade`` returns can be configured before the servlet
    returns.
    """

    def init(self, connection: WebConnection) -> None:
        """The upgrade has happened: *connection* is the raw connection.

        Runs in the connection's greenlet; the connection stays open after
        ``init`` returns until ``connection.close()``.
        """
        raise NotImplementedError

    def destroy(self) -> None:
        """The connection has been closed (by the handler, the peer or the
        server stopping). Called once."""

    def server_stopping(self, connection: WebConnection) -> None:
        """The server is stopping gracefully (catalina_py's addition: Tomcat
        has no such hook for upgraded connections). The default closes the
        connection; the WebSocket handler sends ``1001 Going Away`` first.
        Must not block for long: the Endpoint waits for the connection's
        greenlet to finish, bounded by its grace period."""
        connection.close()


class WebConnection(Protocol):
    """The upgraded connection as a handler sees it: its socket, the bytes
    the HTTP parser had already read past the request, and ``close``.

    Tomcat's ``WebConnection`` gives servlet streams; here the gevent
    socket itself is the stream (blocking calls park only this greenlet).
    The connector implements it (``connector/upgrade.py``).
    """

    #: The process-wide connection number (``events.Event.connection``).
    connection_id: int
    #: The connector's settings (the WebSocket ping and close bounds).
    connector_config: ConnectorSpec
    #: Bytes the handler read from and wrote to the socket after the
    #: upgrade (the handler counts them; the connection's totals add them).
    bytes_in: int
    bytes_out: int

    @property
    def remote_addr(self) -> str:
        """The client's address."""
        ...

    @property
    def remote_port(self) -> int:
        """The client's port."""
        ...

    def get_socket(self) -> socket.socket:
        """The connection's (gevent) socket."""
        ...

    def get_leftover(self) -> bytes:
        """The bytes received after the request head, before the upgrade
        (the client may send its first frames together with the request)."""
        ...

    def take_leftover(self) -> bytes:
        """The leftover bytes, once: later calls return b""."""
        ...

    def recv(self, size: int = 65536) -> bytes:
        """The leftover bytes first, then what the socket receives; b"" at EOF."""
        ...

    def sendall(self, data: bytes) -> None:
        """Send *data* (blocks this greenlet while the socket is full)."""
        ...

    #: Whether the connection waits for its next bytes with no greenlet.
    parked: bool

    def park(self, resume: Callable[[], None]) -> bool:
        """Let the connection wait for its next bytes without a greenlet:
        the calling greenlet returns from ``init`` and ends; *resume* runs
        in a new one when bytes arrive or the connection closes. False when
        it cannot park now."""
        ...

    def is_closed(self) -> bool:
        """True once :meth:`close` was called."""
        ...

    def close(self) -> None:
        """Close the connection (idempotent); the container then calls the
        handler's ``destroy`` and frees the connection's slot."""
        ...

    def wait_closed(self, timeout: float | None = None) -> bool:
        """Block until :meth:`close` was called; True if it was."""
        ...
