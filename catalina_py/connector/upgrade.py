"""``UpgradedConnection``: the gevent implementation of the servlet API's
``WebConnection`` (``servlet/upgrade.py``), what an upgrade handler gets
once the 101 is on the wire: the socket, the bytes the HTTP parser had
already read past the request, and ``close``.

Tomcat's ``WebConnection`` gives servlet streams; here the gevent socket
itself is the stream (blocking calls park only this greenlet).

A handler whose connection has been quiet for a while may ``park`` it:
its greenlet ends and a read watcher of the event loop waits for the next
bytes instead; when they come (or the connection is closed) a new greenlet
resumes the handler. Tomcat's NIO poller keeps no thread per idle
connection for the same reason (docs/architecture.md "Parked connections").
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import gevent.event
from gevent.hub import get_hub

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
        resumer: Callable[[Callable[[], None]], None] | None = None,
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
        #: Whether the connection waits for its next bytes with no greenlet
        #: (:meth:`park`).
        self.parked = False
        # Runs a resume step in a new greenlet (the processor's; None: this
        # connection cannot park). The watcher and the step while parked.
        self._resumer = resumer
        self._watcher: Any = None  # gevent ships no types
        self._resume: Callable[[], None] | None = None

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

    def park(self, resume: Callable[[], None]) -> bool:
        """Let the connection wait for its next bytes without a greenlet.

        Called by the handler from its reading greenlet, which then returns
        from ``init`` (or from the last *resume*) and ends; the connection
        stays open. When bytes arrive, or the connection is closed, *resume*
        runs in a new greenlet. False (nothing done) when the connection
        cannot park: it is closed, bytes are already waiting (the leftover,
        or TLS bytes decrypted but not read), or the connector gave no way
        to resume it.
        """
        if self._resumer is None or self.parked or self._closed.is_set() or self._leftover:
            return False
        pending = getattr(self._sock, "pending", None)  # an SSL socket's decrypted, unread bytes
        if pending is not None and pending():
            return False
        watcher = get_hub().loop.io(self._sock.fileno(), 1)  # 1: readable
        self._watcher = watcher
        self._resume = resume
        self.parked = True
        watcher.start(self._unpark)
        return True

    def _unpark(self) -> None:
        """Readable (run by the event loop), or closed: stop waiting and
        hand the resume step to a new greenlet."""
        watcher, self._watcher = self._watcher, None
        if watcher is not None:
            watcher.stop()
            watcher.close()
        resume, self._resume = self._resume, None
        self.parked = False
        if resume is not None and self._resumer is not None:
            self._resumer(resume)

    def is_closed(self) -> bool:
        """True once :meth:`close` was called."""
        return bool(self._closed.is_set())

    def close(self) -> None:
        """Close the connection (idempotent); the processor then calls the
        handler's ``destroy`` and frees the connection's slot."""
        if self._closed.is_set():
            return
        self._closed.set()
        parked = self.parked
        if parked:  # the watcher goes before its descriptor does
            watcher, self._watcher = self._watcher, None
            watcher.stop()
            watcher.close()
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            self._sock.close()
        except OSError:
            pass
        if parked:
            # The handler finishes in a greenlet of its own: it finds the
            # connection closed and ends the session.
            self._unpark()

    def wait_closed(self, timeout: float | None = None) -> bool:
        """Block until :meth:`close` was called; True if it was."""
        return bool(self._closed.wait(timeout))
