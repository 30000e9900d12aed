"""``RemoteIpValve``: the client's address and scheme as a proxy reports them,
as Tomcat's ``org.apache.catalina.valves.RemoteIpValve`` (after httpd's
``mod_remoteip``).

Behind a reverse proxy (nginx, a load balancer) every request comes from
the proxy's address, over plain HTTP even when the client used TLS. When
the request comes from an *internal proxy* (``internalProxies``, a regular
expression that must match the whole address; by default the private,
loopback, link-local and shared (100.64/10) ranges and IPv6 ``::1``,
``fe80::/10``, ``fc00::/7``) or a *trusted proxy* (``trustedProxies``, none
by default), the valve:

* reads ``X-Forwarded-For`` (``remoteIpHeader``) from right to left,
  skipping internal proxies and collecting trusted ones; the first other
  address is the client: ``get_remote_addr()`` and ``get_remote_host()``
  return it. The addresses left of it stay in ``X-Forwarded-For``; the
  trusted proxies passed go into ``X-Forwarded-By`` (``proxiesHeader``);
* reads ``X-Forwarded-Proto`` (``protocolHeader``): equal to
  ``protocolHeaderHttpsValue`` (``https``, case-insensitively; every
  element when the value is a list), the request is ``https``, secure, on
  port ``httpsServerPort`` (443); any other value makes it ``http`` on
  ``httpServerPort`` (80). ``portHeader`` names a header whose value is
  the port instead; ``changeLocalPort`` also changes ``get_local_port()``;
* with ``hostHeader`` (e.g. ``X-Forwarded-Host``), takes the server name
  from that header (``changeLocalName`` is accepted; requests here have no
  local name to change).

A request from any other address is left alone, so a client cannot spoof
its address or scheme by sending these headers itself.

With ``requestAttributesEnabled`` (the default) the valve also sets
Tomcat's ``org.apache.catalina.AccessLog.*`` request attributes and
``org.apache.tomcat.remoteAddr``.

Unlike Tomcat, the values are not restored after the request: a request
object serves one request only, and the access log (``%a``, ``%h``) and
the WebSocket same-origin check see the client's values.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from ..pipeline import ValveBase, to_bool

if TYPE_CHECKING:  # pragma: no cover
    from ...http.headers import Headers
    from ...servlet.response import HttpServletResponse


class ProxiedRequest(Protocol):
    """What the valve reads and changes of the container's request (its
    servlet API and the container-side setters of ``container/request.py``)."""

    def get_protocol(self) -> str: ...

    def get_remote_addr(self) -> str: ...

    def get_remote_host(self) -> str: ...

    def get_server_name(self) -> str: ...

    def get_server_port(self) -> int: ...

    def set_attribute(self, name: str, value: Any) -> None: ...

    def get_mime_headers(self) -> Headers: ...

    def set_remote_addr(self, addr: str) -> None: ...

    def set_remote_host(self, host: str) -> None: ...

    def set_scheme(self, scheme: str, secure: bool) -> None: ...

    def set_server_name(self, name: str) -> None: ...

    def set_server_port(self, port: int) -> None: ...

    def set_local_port(self, port: int) -> None: ...


log = logging.getLogger("catalina_py.container.valves.remote_ip")

__all__ = ["RemoteIpValve", "DEFAULT_INTERNAL_PROXIES", "compile_proxies", "split_comma_separated"]

_OCTET = r"\d{1,3}"
#: Tomcat 10.1's default ``internalProxies``, in Python's regex syntax
#: (``\p{XDigit}`` spelt out): 10/8, 192.168/16, 169.254/16, 127/8,
#: 100.64/10, 172.16/12, ::1, fe80::/10 and fc00::/7.
DEFAULT_INTERNAL_PROXIES = "|".join(
    [
        rf"10\.{_OCTET}\.{_OCTET}\.{_OCTET}",
        rf"192\.168\.{_OCTET}\.{_OCTET}",
        rf"169\.254\.{_OCTET}\.{_OCTET}",
        rf"127\.{_OCTET}\.{_OCTET}\.{_OCTET}",
        rf"100\.6[4-9]\.{_OCTET}\.{_OCTET}",
        rf"100\.[7-9]\d\.{_OCTET}\.{_OCTET}",
        rf"100\.1[0-1]\d\.{_OCTET}\.{_OCTET}",
        rf"100\.12[0-7]\.{_OCTET}\.{_OCTET}",
        rf"172\.1[6-9]\.{_OCTET}\.{_OCTET}",
        rf"172\.2[0-9]\.{_OCTET}\.{_OCTET}",
        rf"172\.3[0-1]\.{_OCTET}\.{_OCTET}",
        r"0:0:0:0:0:0:0:1",
        r"::1",
        r"fe[89ab][0-9a-fA-F]:.*",
        r"f[cd][0-9a-fA-F]{2}:.*",
    ]
)

# Java regex classes that Python's re lacks (the ones proxy lists use).
_JAVA_CLASSES = {r"\p{XDigit}": "[0-9a-fA-F]", r"\p{Digit}": "[0-9]", r"\p{Alnum}": "[0-9a-zA-Z]"}

_COMMA = re.compile(r"\s*,\s*")

#: Request attributes, Tomcat's names.
REMOTE_ADDR_ATTRIBUTE = "org.apache.catalina.AccessLog.RemoteAddr"
REMOTE_HOST_ATTRIBUTE = "org.apache.catalina.AccessLog.RemoteHost"
PROTOCOL_ATTRIBUTE = "org.apache.catalina.AccessLog.Protocol"
SERVER_NAME_ATTRIBUTE = "org.apache.catalina.AccessLog.ServerName"
SERVER_PORT_ATTRIBUTE = "org.apache.catalina.AccessLog.ServerPort"
GLOBAL_REMOTE_ADDR_ATTRIBUTE = "org.apache.tomcat.remoteAddr"
REQUEST_FORWARDED_ATTRIBUTE = "org.apache.tomcat.request.forwarded"


def compile_proxies(value: str) -> re.Pattern[str] | None:
    """A ``internalProxies``/``trustedProxies`` value: a regular expression
    in Java's syntax matched against the whole address; empty: none."""
    if not value:
        return None
    for java, python in _JAVA_CLASSES.items():
        value = value.replace(java, python)
    try:
        return re.compile(value)
    except re.error as exc:
        raise ValueError(f"not a regular expression: {exc}") from None


def split_comma_separated(value: str) -> list[str]:
    """``"a, b,,c "`` -> ``["a", "b", "c"]`` (Tomcat's splitCommaSeparated)."""
    return [v for v in _COMMA.split(value.strip()) if v]


def _optional(value: str) -> str | None:
    return value or None


def _strip_port(host: str) -> str | None:
    """The name part of a ``Host``-style value; None if it is malformed."""
    if host.startswith("["):
        end = host.find("]")
        if end < 0:
            return None
        rest = host[end + 1 :]
        if rest and not (rest.startswith(":") and rest[1:].isdigit()):
            return None
        return host[: end + 1]
    name, sep, port = host.rpartition(":")
    if not sep:
        return host or None
    if ":" in name or not port.isdigit() or not name:
        return None
    return name


class RemoteIpValve(ValveBase):
    """Replaces the apparent client address, scheme and port by what a
    trusted proxy reports in ``X-Forwarded-*`` headers. See the module
    documentation and ``docs/valves.md``."""

    ATTRIBUTES: ClassVar[Mapping[str, Callable[[str], Any]]] = {
        "remoteIpHeader": str,
        "internalProxies": compile_proxies,
        "trustedProxies": compile_proxies,
        "proxiesHeader": str,
        # Spelling of the header used by Tomcat's older javadoc samples.
        "remoteIpProxiesHeader": str,
        "protocolHeader": _optional,
        "protocolHeaderHttpsValue": str,
        "portHeader": _optional,
        "hostHeader": _optional,
        "changeLocalPort": to_bool,
        "changeLocalName": to_bool,
        "httpServerPort": int,
        "httpsServerPort": int,
        "requestAttributesEnabled": to_bool,
    }

    def __init__(self) -> None:
        super().__init__()
        self.remote_ip_header = "X-Forwarded-For"
        self.internal_proxies: re.Pattern[str] | None = re.compile(DEFAULT_INTERNAL_PROXIES)
        self.trusted_proxies: re.Pattern[str] | None = None
        self.proxies_header = "X-Forwarded-By"
        self.remote_ip_proxies_header: str | None = None
        self.protocol_header: str | None = "X-Forwarded-Proto"
        self.protocol_header_https_value = "https"
        self.port_header: str | None = None
        self.host_header: str | None = None
        self.change_local_port = False
        self.change_local_name = False
        self.http_server_port = 80
        self.https_server_port = 443
        self.request_attributes_enabled = True

    def lifecycle_name(self) -> str:
        return "RemoteIpValve"

    # -- the proxy chain ------------------------------------------------------
    def _is_internal(self, address: str) -> bool:
        pattern = self.internal_proxies
        return pattern is not None and pattern.fullmatch(address) is not None

    def _is_trusted(self, address: str) -> bool:
        pattern = self.trusted_proxies
        return pattern is not None and pattern.fullmatch(address) is not None

    def resolve(self, peer: str, forwarded_for: list[str]) -> tuple[str | None, list[str], list[str]] | None:
        """The header walk. *peer* is the socket's address, *forwarded_for*
        the values of the ``remoteIpHeader`` fields in arrival order.

        Returns None if *peer* is neither an internal nor a trusted proxy
        (the headers are not to be believed); else ``(client, proxies,
        remaining)``: the client address (None if the header named none),
        the trusted proxies passed (for ``proxiesHeader``) and the
        addresses left of the client (the new ``remoteIpHeader``)."""
        internal = self._is_internal(peer)
        if not internal and not self._is_trusted(peer):
            return None
        addresses = split_comma_separated(", ".join(forwarded_for))
        proxies: list[str] = [] if internal else [peer]
        client = None
        idx = len(addresses) - 1
        while idx >= 0:
            current = addresses[idx]
            idx -= 1
            client = current
            if self._is_internal(current):
                continue
            if self._is_trusted(current):
                proxies.append(current)
                continue
            break
        proxies.reverse()
        return client, proxies, addresses[: idx + 1]

    def _is_https(self, value: str) -> bool:
        expected = self.protocol_header_https_value.lower()
        if "," not in value:
            return value.strip().lower() == expected
        parts = split_comma_separated(value)
        return bool(parts) and all(p.lower() == expected for p in parts)

    # -- the request ----------------------------------------------------------
    def invoke(self, request: ProxiedRequest, response: HttpServletResponse) -> None:
        headers = request.get_mime_headers()
        peer = request.get_remote_addr()
        result = self.resolve(peer, headers.get_all(self.remote_ip_header))
        if result is not None:
            client, proxies, remaining = result
            proxies_header = self.remote_ip_proxies_header or self.proxies_header
            if client is not None:
                request.set_remote_addr(client)
                request.set_remote_host(client)
                if proxies:
                    headers.set(proxies_header, ", ".join(proxies))
                else:
                    headers.remove(proxies_header)
                if remaining:
                    headers.set(self.remote_ip_header, ", ".join(remaining))
                else:
                    headers.remove(self.remote_ip_header)
            if self.protocol_header:
                values = headers.get_all(self.protocol_header)
                if values:
                    request.get_server_name()  # parse Host before the scheme is replaced
                    if self._is_https(",".join(values)):
                        request.set_scheme("https", secure=True)
                        self._set_ports(request, self.https_server_port)
                    else:
                        request.set_scheme("http", secure=False)
                        self._set_ports(request, self.http_server_port)
            if self.host_header:
                value = headers.get(self.host_header)
                if value is not None:
                    name = _strip_port(value.strip())
                    if name is None:
                        log.debug("Invalid host %r in header %s; ignored", value, self.host_header)
                    else:
                        request.set_server_name(name)
                        # changeLocalName: the request has no get_local_name().
            request.set_attribute(REQUEST_FORWARDED_ATTRIBUTE, True)
        if self.request_attributes_enabled:
            addr = request.get_remote_addr()
            request.set_attribute(REMOTE_ADDR_ATTRIBUTE, addr)
            request.set_attribute(GLOBAL_REMOTE_ADDR_ATTRIBUTE, addr)
            request.set_attribute(REMOTE_HOST_ATTRIBUTE, request.get_remote_host())
            request.set_attribute(PROTOCOL_ATTRIBUTE, request.get_protocol())
            request.set_attribute(SERVER_NAME_ATTRIBUTE, request.get_server_name())
            request.set_attribute(SERVER_PORT_ATTRIBUTE, request.get_server_port())
        self.next.invoke(request, response)  # type: ignore[union-attr]

    def _set_ports(self, request: ProxiedRequest, default: int) -> None:
        port = default
        if self.port_header:
            value = request.get_mime_headers().get(self.port_header)
            if value is not None:
                try:
                    port = int(value)
                except ValueError:
                    log.debug("Invalid port %r in header %s; ignored", value, self.port_header)
        request.set_server_port(port)
        if self.change_local_port:
            request.set_local_port(port)
