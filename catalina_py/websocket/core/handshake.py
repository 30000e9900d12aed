"""The WebSocket opening handshake (RFC 6455 section 4), as pure functions.

The HTTP connector parses the request; these functions decide whether it
is an upgrade request, whether it is a *valid* one (raising
:class:`HandshakeError` with the HTTP status and a plain-text body to send
back when it is not), negotiate the subprotocol, check the ``Origin`` and
build the ``101 Switching Protocols`` response headers.

The validation order follows Apache Tomcat's ``UpgradeUtil``: request line
(GET, HTTP/1.1), then ``Connection: upgrade`` (400), then
``Sec-WebSocket-Version: 13`` (426 naming the supported version), then the
``Sec-WebSocket-Key`` (400).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable, Sequence
from typing import Protocol
from urllib.parse import urlsplit

from ...http.grammar import split_list

__all__ = [
    "WS_GUID",
    "WS_VERSION",
    "accept_key",
    "is_upgrade_request",
    "HandshakeError",
    "HeaderFields",
    "CheckReport",
    "validate_request",
    "missing_upgrade_error",
    "negotiate_subprotocol",
    "parse_header_list",
    "check_origin",
    "origin_error",
    "response_headers",
]

#: The fixed GUID appended to the client key (RFC 6455 section 1.3).
WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#: The only protocol version this server speaks.
WS_VERSION = "13"

_PROXY_HINT = (
    "If a reverse proxy sits in front of this server it must forward the "
    "upgrade; for nginx:\n"
    "    proxy_http_version 1.1;\n"
    "    proxy_set_header Upgrade $http_upgrade;\n"
    '    proxy_set_header Connection "upgrade";\n'
)

_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
_SCHEME_ALIASES = {"ws": "http", "wss": "https"}


class HeaderFields(Protocol):
    """The request's header fields as the handshake checks read them (the
    connector's ``Headers``)."""

    def get(self, name: str) -> str | None:
        """The first value of *name*, or None."""

    def get_all(self, name: str) -> list[str]:
        """Every value of *name* in arrival order."""

    def has_token(self, name: str, token: str) -> bool:
        """True if the comma-separated values of *name* contain *token*."""


def accept_key(key: str) -> str:
    """The ``Sec-WebSocket-Accept`` value for a client's ``Sec-WebSocket-Key``.

    base64(SHA-1(key + GUID)); the RFC's sample key
    ``dGhlIHNhbXBsZSBub25jZQ==`` gives ``s3pPLMBiTxaQ9kYGzzhZRbK+xOo=``.
    """
    digest = hashlib.sha1((key + WS_GUID).encode("ascii")).digest()
    return base64.b64encode(digest).decode("ascii")


def is_upgrade_request(method: str, headers: HeaderFields) -> bool:
    """True if this request asks for a WebSocket upgrade at all.

    A GET whose ``Upgrade`` header contains the token ``websocket`` (any
    case). Whether the rest of the handshake is valid is
    :func:`validate_request`'s job.
    """
    return method == "GET" and headers.has_token("Upgrade", "websocket")


class HandshakeError(Exception):
    """A handshake the server refuses, ready to turn into an HTTP response.

    ``status`` and ``reason`` form the status line, ``headers`` are extra
    response headers (e.g. ``Sec-WebSocket-Version: 13`` with a 426) and
    ``body`` is a plain-text explanation for the client (or whoever is
    debugging a proxy). ``check`` names the check that failed (``method``,
    ``http-version``, ``upgrade``, ``connection``, ``version``, ``key``,
    ``origin``; empty for other failures) and ``compared`` the values it
    compared, for the event stream.
    """

    def __init__(
        self,
        status: int,
        reason: str,
        body: str = "",
        headers: list[tuple[str, str]] | None = None,
        check: str = "",
        compared: str = "",
    ) -> None:
        super().__init__(f"{status} {reason}")
        self.status = status
        self.reason = reason
        self.body = body
        self.headers: list[tuple[str, str]] = list(headers or [])
        self.check = check
        self.compared = compared


def _bad_request(body: str) -> HandshakeError:
    return HandshakeError(400, "Bad Request", body)


def _valid_key(key: str) -> bool:
    """True if ``key`` is the base64 encoding of exactly 16 bytes."""
    if len(key) != 24:
        return False
    try:
        raw = base64.b64decode(key.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return False
    return len(raw) == 16


#: ``report(check, passed, detail)``: told the outcome of each handshake check.
CheckReport = Callable[[str, bool, str], None]


def validate_request(method: str, version: str, headers: HeaderFields, report: CheckReport | None = None) -> str:
    """Check an upgrade request and return its ``Sec-WebSocket-Key``.

    Raises :class:`HandshakeError`:

    * method not GET, or not HTTP/1.1 -> 400;
    * ``Upgrade`` without the ``websocket`` token -> 400;
    * ``Connection`` without the ``upgrade`` token -> 400;
    * ``Sec-WebSocket-Version`` missing or not 13 -> 426 with
      ``Sec-WebSocket-Version: 13`` (RFC 6455 section 4.4);
    * ``Sec-WebSocket-Key`` missing, repeated, or not base64 of 16 bytes
      -> 400.

    *report*, when given, is told each check as it is made (``method``,
    ``http-version``, ``upgrade``, ``connection``, ``version``, ``key``):
    the failed one last.
    """

    def refuse(check: str, error: HandshakeError, compared: str) -> HandshakeError:
        error.check = check
        error.compared = compared
        if report is not None:
            report(check, False, f"{error.body.split(chr(10), 1)[0]} ({compared})")
        return error

    if method != "GET":
        raise refuse(
            "method", _bad_request(f"A WebSocket handshake must use GET, not " f"{method}.\n"), f"{method}, needs GET"
        )
    if report is not None:
        report("method", True, method)
    if version != "HTTP/1.1":
        raise refuse(
            "http-version",
            _bad_request(f"A WebSocket handshake needs HTTP/1.1, not " f"{version}.\n" + _PROXY_HINT),
            f"{version}, needs HTTP/1.1",
        )
    if report is not None:
        report("http-version", True, version)
    if not headers.has_token("Upgrade", "websocket"):
        raise refuse(
            "upgrade",
            _bad_request("The Upgrade header does not name websocket.\n" + _PROXY_HINT),
            f"Upgrade: {headers.get('Upgrade')}, needs the token websocket",
        )
    if report is not None:
        report("upgrade", True, f"Upgrade: {headers.get('Upgrade')}")
    if not headers.has_token("Connection", "upgrade"):
        raise refuse(
            "connection",
            _bad_request("The Connection header does not contain the " "upgrade token.\n" + _PROXY_HINT),
            f"Connection: {headers.get('Connection')}, needs the token upgrade",
        )
    if report is not None:
        report("connection", True, f"Connection: {headers.get('Connection')}")
    versions = headers.get_all("Sec-WebSocket-Version")
    if len(versions) != 1 or versions[0].strip() != WS_VERSION:
        shown = ", ".join(versions) if versions else "none"
        raise refuse(
            "version",
            HandshakeError(
                426,
                "Upgrade Required",
                f"Unsupported Sec-WebSocket-Version ({shown}); this server " f"supports version {WS_VERSION}.\n",
                [("Sec-WebSocket-Version", WS_VERSION)],
            ),
            f"Sec-WebSocket-Version: {shown}, needs {WS_VERSION}",
        )
    if report is not None:
        report("version", True, f"Sec-WebSocket-Version: {WS_VERSION}")
    keys = headers.get_all("Sec-WebSocket-Key")
    if not keys:
        raise refuse("key", _bad_request("The Sec-WebSocket-Key header is missing.\n"), "absent, needs one")
    if len(keys) > 1:
        raise refuse("key", _bad_request("More than one Sec-WebSocket-Key header.\n"), f"{len(keys)} keys, needs one")
    key = keys[0].strip()
    if not _valid_key(key):
        raise refuse(
            "key",
            _bad_request("The Sec-WebSocket-Key header is not the base64 " "encoding of 16 bytes.\n"),
            f"Sec-WebSocket-Key: {key[:64]!r}, needs the base64 of 16 bytes",
        )
    if report is not None:
        report("key", True, f"Sec-WebSocket-Key: {key}")
    return key


def missing_upgrade_error(headers: HeaderFields) -> HandshakeError:
    """The 426 answer to a plain GET on a WebSocket endpoint's path.

    Names which of ``Upgrade`` / ``Connection`` were missing (the usual
    cause is a proxy that drops them) and how to make nginx forward them.
    """
    missing = []
    compared = (
        f"Upgrade: {headers.get('Upgrade')}, Connection: {headers.get('Connection')}; needs websocket and upgrade"
    )
    if not headers.has_token("Upgrade", "websocket"):
        upgrade = headers.get("Upgrade")
        missing.append("Upgrade: websocket" + (f" (got Upgrade: {upgrade})" if upgrade else " (absent)"))
    if not headers.has_token("Connection", "upgrade"):
        connection = headers.get("Connection")
        missing.append("Connection: upgrade" + (f" (got Connection: {connection})" if connection else " (absent)"))
    body = (
        "This URL is a WebSocket endpoint; it needs a WebSocket "
        "handshake.\nMissing from the request: "
        + ("; ".join(missing) if missing else "nothing (but the " "request was not an upgrade)")
        + ".\n"
        + _PROXY_HINT
    )
    return HandshakeError(426, "Upgrade Required", body, [("Upgrade", "websocket")], "upgrade", compared)


def parse_header_list(values: list[str]) -> list[str]:
    """Split comma-separated header values into their non-empty elements.

    ``["chat, superchat", "v2"]`` -> ``["chat", "superchat", "v2"]``.
    """
    return split_list(values)


def negotiate_subprotocol(offered: list[str], supported: Sequence[str]) -> str | None:
    """The first of the client's offers (in its order) the endpoint supports.

    Subprotocol names are compared case-sensitively. None when nothing
    matches; the handshake then goes ahead without a
    ``Sec-WebSocket-Protocol`` response header (RFC 6455 4.2.2).
    """
    supported_set = set(supported)
    for name in offered:
        if name in supported_set:
            return name
    return None


def _origin_tuple(scheme: str, host: str, port: int | None) -> tuple[str, str, int | None]:
    scheme = scheme.lower()
    if port is None:
        port = _DEFAULT_PORTS.get(scheme)
    return _SCHEME_ALIASES.get(scheme, scheme), host.lower(), port


def _parse_origin(origin: str) -> tuple[str, str, int | None] | None:
    """``scheme://host[:port]`` -> normalised tuple, or None if unparsable."""
    try:
        parts = urlsplit(origin.strip())
        port = parts.port
    except ValueError:
        return None
    if not parts.scheme or not parts.hostname:
        return None
    return _origin_tuple(parts.scheme, parts.hostname, port)


def check_origin(
    origin: str | None, host: str | None, scheme: str, allowed_origins: Sequence[str] | None = None
) -> bool:
    """Decide whether a handshake's ``Origin`` is acceptable.

    * No ``Origin`` header (a non-browser client): allowed.
    * ``allowed_origins`` given: ``"*"`` allows everything, otherwise the
      origin must equal one of the entries (compared normalised: case of
      scheme and host, default ports 80/443).
    * Otherwise same-origin: the origin must be ``scheme://host`` of this
      request, ``host`` being the ``Host`` header and ``scheme`` the
      connector's (``http``/``https``); an absent ``Host`` fails.
    """
    if origin is None:
        return True
    parsed = _parse_origin(origin)
    if allowed_origins is not None:
        if "*" in allowed_origins:
            return True
        if parsed is None:
            return False
        return any(_parse_origin(allowed) == parsed for allowed in allowed_origins)
    if parsed is None or not host:
        return False
    return parsed == _parse_origin(f"{scheme}://{host}")


def origin_error(origin: str, host: str | None) -> HandshakeError:
    """The 403 for a refused ``Origin``, showing what was compared."""
    body = (
        f"WebSocket handshake refused: Origin {origin!r} does not match "
        f"this server (Host {host!r}).\n"
        "If a reverse proxy sits in front of this server it must forward "
        "the original Host header, port included; for nginx:\n"
        "    proxy_set_header Host $http_host;\n"
        "($host drops the port, which only works on ports 80 and 443.)\n"
        "If the proxy terminates TLS, it must also send X-Forwarded-Proto "
        "for a RemoteIpValve to read, so the schemes match.\n"
        "Otherwise list the origin in the endpoint's allowed origins.\n"
    )
    return HandshakeError(403, "Forbidden", body, check="origin", compared=f"Origin: {origin}, Host: {host}")


def response_headers(key: str, subprotocol: str | None, extensions: str | None) -> list[tuple[str, str]]:
    """Headers of the ``101 Switching Protocols`` response.

    ``extensions`` is the negotiated ``Sec-WebSocket-Extensions`` value
    (e.g. from :meth:`PerMessageDeflate.negotiate`), or None.
    """
    headers = [
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Accept", accept_key(key)),
    ]
    if subprotocol is not None:
        headers.append(("Sec-WebSocket-Protocol", subprotocol))
    if extensions is not None:
        headers.append(("Sec-WebSocket-Extensions", extensions))
    return headers
