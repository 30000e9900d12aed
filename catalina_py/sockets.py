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

import ssl
from typing import Any

import gevent.ssl

__all__ = ["is_tls"]

_TLS_SOCKETS = (ssl.SSLSocket, gevent.ssl.SSLSocket)


def is_tls(sock: Any) -> bool:
    """Whether *sock* is a TLS socket (the standard library's or gevent's):
    then no raw-socket fast path may be taken on it."""
    return isinstance(sock, _TLS_SOCKETS)
