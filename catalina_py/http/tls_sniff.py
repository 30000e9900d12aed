"""What the first bytes on a TLS port are: a TLS handshake, or a
plain-text HTTP request sent to the wrong port (``curl http://host:8443/``).

Tomcat 10.1 looks at the first bytes a client sends on a TLS connector;
when they hold a whole HTTP request line it answers a 400 in clear text
saying the port requires TLS and closes, anything else goes to the TLS
engine (which fails a handshake that is no handshake). The answer below
has Tomcat's header fields and body byte for byte (recorded from Tomcat
10.1.60, docs/deployment.md "TLS at the container"); the status line has
the reason phrase, as every status line of catalina_py (docs/http11.md).
"""

from __future__ import annotations

import re

from .grammar import BTOKEN

__all__ = ["TLS_HANDSHAKE_RECORD", "USE_TLS_RESPONSE", "is_plain_http"]

#: The content type of a TLS record holding handshake messages (RFC 8446
#: 5.1): the first byte a TLS client sends.
TLS_HANDSHAKE_RECORD = 0x16

#: The answer to a plain-text HTTP request on a TLS port.
USE_TLS_RESPONSE = (
    b"HTTP/1.1 400 Bad Request\r\n"
    b"Content-Type: text/plain;charset=UTF-8\r\n"
    b"Connection: close\r\n"
    b"\r\n"
    b"Bad Request\r\n"
    b"This combination of host and port requires TLS.\r\n"
)

# Blank lines, a method token, white space, a request target (visible
# bytes), white space, an HTTP version spelling, the end of the line. The
# method, target and version are not validated further: the question is
# only whether a person pointed an http:// URL at this port.
_REQUEST_LINE = re.compile(rb"[\r\n]*" + BTOKEN + rb"[ \t]+[^\x00-\x20\x7f]+[ \t]+[HTPhtp/.0-9]+[ \t]*[\r\n]")


def is_plain_http(data: bytes) -> bool:
    """Whether *data*, the first bytes received on a TLS port, start with
    a complete HTTP request line (a TLS ClientHello starts with 0x16,
    which no request line does)."""
    if not data or data[0] == TLS_HANDSHAKE_RECORD:
        return False
    return _REQUEST_LINE.match(data) is not None
