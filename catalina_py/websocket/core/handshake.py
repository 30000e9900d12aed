"""The WebSocket opening handshake (RFC 6455 section 4), as pure functions.

The HTTP connector parses the request; these functions decide whether it
is an upgrade request, whether it is a *valid* one (raising
:class:`HandshakeError` with the HTTP status and a plain-text body to send
back when it is not), negotiate the subprotocol, check the ``Origin`` and
build the ``101 Switching Protocols`` response headers.

The validation order follows Apache Tomcat's ``UpgradeUtil``: request line
(GET; HTTP/1.1 or 1.0), then ``Connection: upgrade`` (400), then a
``Sec-WebSocket-Version`` naming 13 (426 naming the supported version),
then the first ``Sec-WebSocket-Key`` (400). What Tomcat accepts is
accepted; docs/websocket.md lists where the answers still differ.
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

    The checks and their answers are Tomcat 10.1's (``UpgradeUtil``);
    :class:`HandshakeError` is raised for:

    * method not GET -> 400;
    * a version other than HTTP/1.0 or HTTP/1.1 -> 400 (HTTP/1.0 is
      accepted as Tomcat accepts it, although RFC 6455 4.1 asks for 1.1:
      nginx's default ``proxy_http_version 1.0`` with the upgrade headers
      set then works);
    * ``Upgrade`` without the ``websocket`` token -> 400;
    * ``Connection`` without the ``upgrade`` token -> 400;
    * ``Sec-WebSocket-Version`` without the token ``13`` in any of its
      lines (``13, 8`` and two lines ``8`` / ``13`` are fine) -> 426 with
      ``Sec-WebSocket-Version: 13`` (RFC 6455 section 4.4);
    * the first ``Sec-WebSocket-Key`` missing or not 24 characters of
      base64 for 16 bytes -> 400. Later ``Sec-WebSocket-Key`` lines are
      ignored, as Tomcat's ``getHeader`` ignores them.

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
    if version not in ("HTTP/1.1", "HTTP/1.0"):
        raise refuse(
            "http-version",
            _bad_request(f"A WebSocket handshake needs HTTP/1.1, not " f"{version}.\n" + _PROXY_HINT),
            f"{version}, needs HTTP/1.1 (or 1.0)",
        )
    if report is not None:
        report("http-version", True, version if version == "HTTP/1.1" else f"{version} (accepted, as Tomcat does)")
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
    shown = ", ".join(versions) if versions else "none"
    if not headers.has_token("Sec-WebSocket-Version", WS_VERSION):
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
        report("version", True, f"Sec-WebSocket-Version: {shown}")
    keys = headers.get_all("Sec-WebSocket-Key")
    if not keys:
        raise refuse("key", _bad_request("The Sec-WebSocket-Key header is missing.\n"), "absent, needs one")
    key = keys[0].strip()
    if not _valid_key(key):
        raise refuse(
            "key",
            _bad_request("The Sec-WebSocket-Key header is not the base64 " "encoding of 16 bytes.\n"),
            f"Sec-WebSocket-Key: {key[:64]!r}, needs the base64 of 16 bytes",
        )
    if report is not None:
        more = f" (the first of {len(keys)} lines; the others are ignored, as Tomcat does)" if len(keys) > 1 else ""
        report("key", True, f"Sec-WebSocket-Key: {key}{more}")
    return key


def missing_upgrade_error(headers: HeaderFields, method: str = "GET") -> HandshakeError:
    """The 426 answer to a plain GET (or HEAD) on a WebSocket endpoint's path.

    Names which of ``Upgrade`` / ``Connection`` were missing (the usual
    cause is a proxy that drops them) and how to make nginx forward them;
    for a HEAD with both, that a handshake must be a GET.
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
        + (
            "; ".join(missing)
            if missing
            else (f"nothing, but a handshake must be a GET, not a {method}" if method != "GET" else "nothing")
        )
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


def _show_origin(parsed: tuple[str, str, int | None]) -> str:
    """``scheme://host[:port]`` from a normalised tuple (default port left out)."""
    scheme, host, port = parsed
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}" if port in (None, _DEFAULT_PORTS.get(scheme)) else f"{scheme}://{host}:{port}"


def _likely_cause(origin: str, host: str | None, scheme: str) -> str:
    """Why a same-origin check failed, read from what the request shows."""
    received = _parse_origin(origin)
    if received is None:
        return (
            f"the Origin {origin!r} is not scheme://host[:port] ('null' comes from sandboxed frames, file: "
            "pages and redirects across sites); it can never be the same origin: list the origins you "
            "trust in the endpoint's allowed origins."
        )
    if not host:
        return (
            "the request has no Host header, so this server cannot know its own origin; a proxy in front "
            "must forward it (nginx: proxy_set_header Host $http_host;)."
        )
    expected = _parse_origin(f"{scheme}://{host}")
    if expected is None:
        return f"the Host header {host!r} is not a host[:port]; a proxy in front must forward the browser's Host."
    if received[0] != expected[0] and received[1] == expected[1]:
        if received[0] == "https":
            return (
                f"the scheme differs: the page was loaded over https but this request reached the server "
                f"over {expected[0]}, so a proxy in front terminates TLS. Have it send X-Forwarded-Proto "
                "(nginx: proxy_set_header X-Forwarded-Proto $scheme;) and add a RemoteIpValve to "
                "conf/server.xml (its protocolHeader is X-Forwarded-Proto), so that the request's scheme "
                "becomes https. Host is right."
            )
        return (
            f"the scheme differs: the page was loaded over {received[0]} but this request counts as "
            f"{expected[0]} (a RemoteIpValve read X-Forwarded-Proto, or the connector says secure/scheme); "
            "load the page over the same scheme, or list its origin in the endpoint's allowed origins."
        )
    if received[1] != expected[1]:
        also = ""
        if received[0] == "https" and expected[0] != "https":
            also = (
                " The scheme differs too (an https page, an http request): a proxy terminating TLS must also "
                "send X-Forwarded-Proto for a RemoteIpValve to read."
            )
        return (
            f"the host differs: the Host header names {expected[1]!r}, the page came from {received[1]!r}. "
            "Either a proxy in front does not forward the browser's Host (nginx: proxy_set_header Host "
            "$http_host;), or the page really is on another site: then list its origin in the endpoint's "
            "allowed origins." + also
        )
    if received[2] != expected[2]:
        explicit = host.rstrip("0123456789").endswith(":") and not host.endswith("]")
        why = (
            "a proxy in front forwards a Host with another port than the browser used (its own, or "
            "proxy_set_header Host $host:$server_port); forward the browser's: proxy_set_header Host $http_host;"
            if explicit
            else "a proxy in front forwards Host without the port the browser used: nginx's $host drops it, "
            "use proxy_set_header Host $http_host;"
        )
        return (
            f"the port differs: the page came from port {received[2]}, the Host header says "
            f"{host!r} (port {expected[2]}): {why}"
        )
    return "the origins differ."


def origin_error(
    origin: str,
    host: str | None,
    scheme: str = "http",
    allowed_origins: Sequence[str] | None = None,
    by_configurator: bool = False,
) -> HandshakeError:
    """The 403 for a refused ``Origin``: the origin received, the one
    expected and the likely cause, read from the request.

    *scheme* is the request's (``get_scheme()``); *allowed_origins* the
    endpoint's allow-list when it has one; *by_configurator* True when the
    endpoint's configurator refused it (its own rule, not same-origin).
    """
    lines = [f"WebSocket handshake refused: Origin {origin!r} is not allowed (Host {host!r}, scheme {scheme})."]
    if by_configurator:
        lines.append("The endpoint's configurator refused it (its check_origin returned False).")
    elif allowed_origins is not None:
        lines.append(f"Origin received: {origin}")
        lines.append(f"Origins allowed: {', '.join(allowed_origins) or '(none)'}")
        lines.append("Add the origin to the endpoint's allowed origins if the page is yours.")
    else:
        expected = f"{scheme}://{host}" if host else f"{scheme}://(no Host header)"
        parsed = _parse_origin(expected) if host else None
        lines.append(f"Origin received: {origin}")
        lines.append(
            f"Origin expected: {_show_origin(parsed) if parsed else expected} "
            "(same origin: the request's scheme and its Host header)"
        )
        lines.append("Likely cause: " + _likely_cause(origin, host, scheme))
        lines.append(
            "Or list the origin in the endpoint's allowed origins (or the context parameter "
            "catalina_py.websocket.allowed_origins)."
        )
    return HandshakeError(
        403, "Forbidden", "\n".join(lines) + "\n", check="origin", compared=f"Origin: {origin}, Host: {host}"
    )


def response_headers(key: str, subprotocol: str | None, extensions: str | None) -> list[tuple[str, str]]:
    """Headers of the ``101 Switching Protocols`` response.

    ``extensions`` is the negotiated ``Sec-WebSocket-Extensions`` value
    (e.g. from :meth:`PerMessageDeflate.negotiate`), or None.
    """
    headers = [
        ("Upgrade", "websocket"),
        # Lower case, byte for byte as Tomcat sends it.
        ("Connection", "upgrade"),
        ("Sec-WebSocket-Accept", accept_key(key)),
    ]
    if subprotocol is not None:
        headers.append(("Sec-WebSocket-Protocol", subprotocol))
    if extensions is not None:
        headers.append(("Sec-WebSocket-Extensions", extensions))
    return headers
