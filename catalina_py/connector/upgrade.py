"""``UpgradedConnection``: the gevent implementation of the servlet API's
``WebConnection`` (``servlet/upgrade.py``), what an upgrade handler gets
once the 101 is on the wire: the socket, the bytes the HTTP parser had
already read past the request, and ``close``.

Tomcat's ``WebConnection`` gives servlet streams; here the gevent socket
itself is the stream (blocking calls park only this greenlet).
"""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING

import gevent.event

if TYPE_CHECKING:  # pragma: no cover
    from ..config.connector_spec import ConnectorSpec
    from .protocols import UpgradeHandler

__all__ = ["UpgradedConnection"]


class UpgradedConnection:
    """One upgraded connection; implements ``servlet.upgrade.WebConnection``."""

    def __init__(
        self,
        sock: socket.socket,
        leftover: bytes,
        handler: UpgradeHandler,
        *,
        connection_id: int,
        remote_addr: str,
        remote_port: int,
        connector_config: ConnectorSpec,
        traced: bool = False,
    ) -> None:
        self._sock = sock
        self._leftover = leftover
        self.handler = handler
        self._closed = gevent.event.Event()
        #: The process-wide connection number (``events.Event.connection``).
        self.connection_id = connection_id
        self.remote_addr = remote_addr
        self.remote_port = remote_port
        #: The connector's settings (the WebSocket ping and close bounds).
        self.connector_config = connector_config
        #: Whether the upgrade request was traced: the frames that follow
        #: are reported to the event stream only then.
        self.traced = traced
        #: Counted by the handler (``WebConnection.bytes_in``/``bytes_out``).
        self.bytes_in = 0
        self.bytes_out = 0

    def get_socket(self) -> socket.socket:
        """The connection's (gevent) socket."""
        return self._sock

    def get_leftover(self) -> bytes:
        """The bytes received after the request head, before the upgrade
        (the client may send its first frames together with the request)."""
        return self._leftover

    def take_leftover(self) -> bytes:
        """The leftover bytes, once: later calls return b""."""
        data, self._leftover = self._leftover, b""
        return data

    def recv(self, size: int = 65536) -> bytes:
        """The leftover bytes first, then what the socket receives; b"" at EOF."""
        if self._leftover:
            data, self._leftover = self._leftover[:size], self._leftover[size:]
            return data
        return self._sock.recv(size)

    def sendall(self, data: bytes) -> None:
        """Send *data* (blocks this greenlet while the socket is full)."""
        self._sock.sendall(data)

    def is_closed(self) -> bool:
        """True once :meth:`close` was called."""
        return bool(self._closed.is_set())

    def close(self) -> None:
        """Close the connection (idempotent); the processor then calls the
        handler's ``destroy`` and frees the connection's slot."""
        if self._closed.is_set():
            return
        self._closed.set()
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            self._sock.close()
        except OSError:
            pass

    def wait_closed(self, timeout: float | None = None) -> bool:
        """Block until :meth:`close` was called; True if it was."""
        return bool(self._closed.wait(timeout))
