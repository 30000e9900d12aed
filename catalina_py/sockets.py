"""What the gevent-level code may assume about a connection's socket.

The connector and the WebSocket layer take fast paths on a plain gevent
socket: they wait for the descriptor to become readable and read or write
the raw socket under gevent's object (``_sock``), skipping gevent's Python
layer. None of that is right on a TLS socket: the raw socket carries
ciphertext (a raw write would put plain text on the wire, a raw read would
hand records to the parser), a readable descriptor may hold only part of
a record (no application data yet), and decrypted bytes OpenSSL already
holds leave the descriptor unreadable. A TLS socket is read and written
through its own ``recv``/``send``/``sendall`` only.
"""

from __future__ import annotations

import socket
import ssl
import time
from typing import Any

import gevent.ssl

__all__ = ["drain_after_shutdown", "is_tls"]

_TLS_SOCKETS = (ssl.SSLSocket, gevent.ssl.SSLSocket)


def is_tls(sock: Any) -> bool:
    """Whether *sock* is a TLS socket (the standard library's or gevent's):
    then no raw-socket fast path may be taken on it."""
    return isinstance(sock, _TLS_SOCKETS)


def drain_after_shutdown(sock: socket.socket, seconds: float, max_bytes: int, chunk: int = 65536) -> None:
    """Shut our side of *sock* for writing, then read and drop what the
    client still sends, for at most *seconds* and *max_bytes* (a lingering
    close: closing a socket with unread input makes the kernel send a
    reset, which can destroy the answer we just wrote before the client
    reads it). Errors end it quietly; the caller closes the socket."""
    try:
        sock.shutdown(socket.SHUT_WR)
        sock.settimeout(seconds)
        deadline = time.monotonic() + seconds
        drained = 0
        while drained < max_bytes and time.monotonic() < deadline:
            data = sock.recv(chunk)
            if not data:
                break
            drained += len(data)
    except OSError:
        pass
