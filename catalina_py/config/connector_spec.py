"""``<Connector>`` elements: where to listen and the HTTP/1.1 limits.

:class:`ConnectorSpec` is what the connector is built from; the WebSocket
heartbeat defaults (:data:`DEFAULT_WS_PING_INTERVAL`,
:data:`DEFAULT_WS_PING_TIMEOUT`, :data:`DEFAULT_WS_CLOSE_TIMEOUT`) are
defined here only, for every layer that needs them.
"""

from __future__ import annotations

import codecs
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from catalina_py.config.ssl_host_config import DEFAULT_SSL_HOST_CONFIG_NAME, SSLHostConfigSpec, read_ssl_host_config
from catalina_py.config.valve_spec import frozen_map
from catalina_py.config.xml import Element, XmlReader
from catalina_py.errors import Location

__all__ = [
    "CONNECTOR_PASSTHROUGH_ATTRIBUTES",
    "ConnectorSpec",
    "DEFAULT_WS_CLOSE_TIMEOUT",
    "DEFAULT_WS_PARK_AFTER",
    "DEFAULT_WS_PING_INTERVAL",
    "DEFAULT_WS_PING_TIMEOUT",
    "HTTP11_PROTOCOL_ALIASES",
    "read_connector",
]

#: Seconds between two WebSocket pings of a session (0 disables them).
DEFAULT_WS_PING_INTERVAL = 25.0
#: Seconds a WebSocket session waits for the pong of its ping.
DEFAULT_WS_PING_TIMEOUT = 10.0
#: Seconds a close we start waits for the peer's close frame.
DEFAULT_WS_CLOSE_TIMEOUT = 10.0
#: Seconds without a byte read after which a WebSocket gives up its
#: greenlet until its next bytes (0: never).
DEFAULT_WS_PARK_AFTER = 1.0

#: Values of ``<Connector protocol>`` meaning HTTP/1.1 (normalised to
#: ``"HTTP/1.1"``).  Tomcat's NIO2 handler is accepted as an alias too.
HTTP11_PROTOCOL_ALIASES = frozenset(
    {
        "HTTP/1.1",
        "org.apache.coyote.http11.Http11NioProtocol",
        "org.apache.coyote.http11.Http11Nio2Protocol",
    }
)

_AJP_PROTOCOLS = frozenset(
    {
        "AJP/1.3",
        "org.apache.coyote.ajp.AjpNioProtocol",
        "org.apache.coyote.ajp.AjpNio2Protocol",
        "org.apache.coyote.ajp.AjpAprProtocol",
    }
)

#: Tomcat ``<Connector>`` attributes that catalina_py accepts *silently*
#: into :attr:`ConnectorSpec.extra` although they are not modelled as
#: fields.  Add a name here once some component honours it.
CONNECTOR_PASSTHROUGH_ATTRIBUTES: frozenset[str] = frozenset()

_CONNECTOR_ATTRS = frozenset(
    {
        "port",
        "address",
        "protocol",
        "connectionTimeout",
        "keepAliveTimeout",
        "requestHeaderTimeout",
        "requestBodyTimeout",
        "requestBodyMinRate",
        "maxUpgradedConnections",
        "maxKeepAliveRequests",
        "maxHttpHeaderSize",
        "maxPostSize",
        "maxConnections",
        "maxThreads",
        "URIEncoding",
        "redirectPort",
        "maxSwallowSize",
        "maxPartCount",
        "maxPartHeaderSize",
        "webSocketPingInterval",
        "webSocketPingTimeout",
        "webSocketCloseTimeout",
        "webSocketParkAfter",
        "scheme",
        "secure",
        "proxyName",
        "proxyPort",
        "allowedTrailerHeaders",
        "maxParameterCount",
        "SSLEnabled",
        "defaultSSLHostConfigName",
    }
)

# Attributes Tomcat documents but catalina_py does not implement: reported
# as "not supported" rather than as a possible typo.
_TOMCAT_CONNECTOR_ATTRS = frozenset(
    {
        "acceptCount",
        "acceptorThreadPriority",
        "allowBackslash",
        "allowHostHeaderMismatch",
        "allowTrace",
        "asyncTimeout",
        "bindOnInit",
        "compressibleMimeType",
        "compression",
        "compressionMinSize",
        "connectionLinger",
        "connectionUploadTimeout",
        "continueResponseTiming",
        "disableUploadTimeout",
        "discardFacades",
        "enableLookups",
        "encodedReverseSolidusHandling",
        "encodedSolidusHandling",
        "enforceEncodingInGetWriter",
        "executor",
        "executorTerminationTimeoutMillis",
        "maxCookieCount",
        "maxExtensionSize",
        "maxHeaderCount",
        "maxHttpRequestHeaderSize",
        "maxHttpResponseHeaderSize",
        "maxQueueSize",
        "maxSavePostSize",
        "maxTrailerSize",
        "minSpareThreads",
        "noCompressionEncodings",
        "noCompressionUserAgents",
        "parseBodyMethods",
        "pollerThreadPriority",
        "processorCache",
        "rejectIllegalHeader",
        "rejectSuspiciousURIs",
        "relaxedPathChars",
        "relaxedQueryChars",
        "restrictedUserAgents",
        "selectorTimeout",
        "sendReasonPhrase",
        "server",
        "serverRemoveAppProvidedValues",
        "sslImplementationName",
        "sslProtocol",
        "tcpNoDelay",
        "threadPriority",
        "threadsMaxIdleTime",
        "throwOnFailure",
        "unixDomainSocketPath",
        "unixDomainSocketPathPermissions",
        "useAsyncIO",
        "useBodyEncodingForURI",
        "useIPVHosts",
        "useInheritedChannel",
        "useKeepAliveResponseHeader",
        "useSendfile",
        "useVirtualThreads",
        "xpoweredBy",
        "keystoreFile",
        "keystorePass",
        "keystoreType",
        "clientAuth",
        "ciphers",
        "truststoreFile",
        "truststorePass",
    }
)

# Child elements Tomcat knows but catalina_py ignores (with a warning).
_TOMCAT_CONNECTOR_CHILDREN = frozenset({"UpgradeProtocol", "Listener"})


@dataclass(frozen=True)
class ConnectorSpec:
    """An HTTP ``<Connector>``: where to listen and the protocol limits.

    Times are in milliseconds.  As in Tomcat, a ``connection_timeout_ms``
    of ``-1`` (or ``0``) means no timeout, and ``keep_alive_timeout_ms`` of
    ``None`` means "same as ``connection_timeout_ms``" (see
    :attr:`effective_keep_alive_timeout_ms`).  ``max_keep_alive_requests``
    of ``-1`` is unlimited, ``1`` disables keep-alive.  A negative
    ``max_post_size`` or ``max_swallow_size`` means unlimited,
    ``max_connections`` of ``-1`` means unlimited.  ``address`` ``None``
    means all interfaces.  ``extra`` keeps Tomcat attributes that are
    accepted but not modelled.
    """

    port: int
    address: str | None = None
    #: Always ``"HTTP/1.1"`` (the aliases are normalised; AJP is refused).
    protocol: str = "HTTP/1.1"
    connection_timeout_ms: int = 60000
    keep_alive_timeout_ms: int | None = None
    #: catalina_py's answer to slowloris (Tomcat has no such limits; see
    #: docs/http11.md "Slow clients"): the whole request head must arrive
    #: within ``request_header_timeout_ms`` of its first byte (None: the
    #: connectionTimeout; -1: no limit), else 408 and close.
    request_header_timeout_ms: int | None = None
    #: The time a request body may keep the connection waiting for its
    #: bytes: ``request_body_timeout_ms`` (None: the connectionTimeout;
    #: -1: no limit) plus one second for every ``request_body_min_rate``
    #: bytes received (0: no limit), else 408 and close.
    request_body_timeout_ms: int | None = None
    request_body_min_rate: int = 500
    #: Upgraded connections (WebSockets) held at once, outside the
    #: ``max_connections`` pool (-1: unlimited); an upgrade beyond it is
    #: answered with 503.
    max_upgraded_connections: int = 10000
    max_keep_alive_requests: int = 100
    max_http_header_size: int = 8192
    max_post_size: int = 2097152
    max_connections: int = 8192
    max_threads: int = 200
    uri_encoding: str = "UTF-8"
    #: Where a CONFIDENTIAL ``<security-constraint>`` redirects a plain
    #: request (``https://host:redirectPort/...``); 0 or -1: answer 403 instead.
    redirect_port: int = 443
    max_swallow_size: int = 2097152
    #: The most parts of a multipart request, and the most bytes of one
    #: part's header block (Tomcat 10.1.60's defaults; -1: no limit).
    max_part_count: int = 50
    max_part_header_size: int = 512
    #: catalina_py's WebSocket heartbeat (seconds, not ms): a ping every
    #: ``web_socket_ping_interval`` (0 disables), a session whose pong does
    #: not come within ``web_socket_ping_timeout`` is dropped, and a close
    #: we start waits ``web_socket_close_timeout`` for the peer's reply
    #: (see docs/websocket.md).
    web_socket_ping_interval: float = DEFAULT_WS_PING_INTERVAL
    web_socket_ping_timeout: float = DEFAULT_WS_PING_TIMEOUT
    web_socket_close_timeout: float = DEFAULT_WS_CLOSE_TIMEOUT
    #: A WebSocket that read nothing for this many seconds is parked: its
    #: greenlet ends and a read watcher waits for the next bytes (0: never;
    #: docs/architecture.md "Parked connections").
    web_socket_park_after: float = DEFAULT_WS_PARK_AFTER
    #: What requests report when a proxy in front terminates TLS or
    #: listens under another name, as Tomcat's Connector attributes:
    #: ``get_scheme()``/``is_secure()``, and ``get_server_name()``/
    #: ``get_server_port()`` when proxyName/proxyPort are set.
    scheme: str = "http"
    secure: bool = False
    proxy_name: str | None = None
    proxy_port: int = 0
    #: ``allowedTrailerHeaders``: the trailer fields of a chunked request
    #: that ``get_trailer_fields()`` shows (lower case; empty: none, as Tomcat).
    allowed_trailer_headers: frozenset[str] = frozenset()
    #: ``maxParameterCount``: request parameters parsed (query and form
    #: body together); the rest are ignored. Negative: no limit. 10000 as
    #: Tomcat's built-in default (its stock server.xml sets 1000).
    max_parameter_count: int = 10000
    #: ``SSLEnabled``: the connector speaks TLS with the
    #: ``ssl_host_configs`` (``<SSLHostConfig>`` children; the one named
    #: ``default_ssl_host_config_name`` serves clients without SNI or with
    #: an unknown name). Without it the children are ignored, as Tomcat does.
    ssl_enabled: bool = False
    ssl_host_configs: tuple[SSLHostConfigSpec, ...] = ()
    default_ssl_host_config_name: str = DEFAULT_SSL_HOST_CONFIG_NAME
    extra: Mapping[str, str] = field(default_factory=frozen_map)
    location: Location | None = None

    @property
    def effective_keep_alive_timeout_ms(self) -> int:
        """The keep-alive timeout in force (else the connection one)."""
        if self.keep_alive_timeout_ms is None:
            return self.connection_timeout_ms
        return self.keep_alive_timeout_ms

    @property
    def effective_request_header_timeout_ms(self) -> int:
        """The request head's deadline in force (else the connection timeout)."""
        if self.request_header_timeout_ms is None:
            return self.connection_timeout_ms
        return self.request_header_timeout_ms

    @property
    def effective_request_body_timeout_ms(self) -> int:
        """The request body's base allowance in force (else the connection timeout)."""
        if self.request_body_timeout_ms is None:
            return self.connection_timeout_ms
        return self.request_body_timeout_ms


def read_connector(reader: XmlReader, element: Element) -> ConnectorSpec:
    """Read an HTTP/1.1 ``<Connector>`` (port conflicts are the caller's
    business: it knows the other listening sockets)."""
    attrs = reader.attributes(element, "Connector")
    protocol = (attrs.get("protocol") or "HTTP/1.1").strip()
    if protocol in _AJP_PROTOCOLS:
        raise attrs.error("protocol", "the AJP protocol is not supported" " by catalina_py", 'protocol="HTTP/1.1"')
    if protocol not in HTTP11_PROTOCOL_ALIASES:
        raise attrs.error(
            "protocol",
            f"unsupported Connector protocol '{protocol}'",
            'protocol="HTTP/1.1" (or Tomcat\'s ' '"org.apache.coyote.http11.Http11NioProtocol")',
        )
    extra = attrs.check_names(_CONNECTOR_ATTRS, _TOMCAT_CONNECTOR_ATTRS, CONNECTOR_PASSTHROUGH_ATTRIBUTES)
    attrs.required("port", 'port="8080"')
    port = attrs.port("port", 0)
    address = attrs.get("address")
    if address is not None:
        address = address.strip()
        if not address:
            raise attrs.error(
                "address",
                "attribute address of " "<Connector> is empty",
                "an IP address or host name, or no address " "attribute to listen on all interfaces",
            )
    timeout_hint = "a time in milliseconds, or -1 for no timeout"
    encoding = (attrs.get("URIEncoding") or "UTF-8").strip()
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise attrs.error(
            "URIEncoding",
            f"unknown URIEncoding " f"'{encoding}'",
            "a character set name such as" ' "UTF-8" or "ISO-8859-1"',
        ) from None
    ssl_enabled = attrs.boolean("SSLEnabled", False)
    # As Tomcat 10.1: a TLS connector reports https and secure unless told otherwise.
    scheme = (attrs.get("scheme") or ("https" if ssl_enabled else "http")).lower()
    if scheme not in ("http", "https"):
        raise attrs.error("scheme", f"unsupported scheme '{scheme}'", '"http" or "https"')
    spec = ConnectorSpec(
        port=port,
        address=address,
        protocol="HTTP/1.1",
        connection_timeout_ms=attrs.integer("connectionTimeout", 60000, minimum=-1, hint=timeout_hint),
        keep_alive_timeout_ms=attrs.optional_integer("keepAliveTimeout", minimum=-1, hint=timeout_hint),
        request_header_timeout_ms=attrs.optional_integer("requestHeaderTimeout", minimum=-1, hint=timeout_hint),
        request_body_timeout_ms=attrs.optional_integer("requestBodyTimeout", minimum=-1, hint=timeout_hint),
        request_body_min_rate=attrs.integer(
            "requestBodyMinRate", 500, minimum=0, hint="bytes per second, or 0 for no body deadline"
        ),
        max_upgraded_connections=attrs.integer(
            "maxUpgradedConnections",
            10000,
            minimum=0,
            allowed=(-1,),
            hint="a number of upgraded connections (WebSockets), or -1 for no limit",
        ),
        max_keep_alive_requests=attrs.integer(
            "maxKeepAliveRequests",
            100,
            minimum=-1,
            hint="a number of requests, 1 to disable keep-alive or -1 " "for no limit",
        ),
        max_http_header_size=attrs.integer("maxHttpHeaderSize", 8192, minimum=1, hint="a positive size in bytes"),
        max_post_size=attrs.integer("maxPostSize", 2097152, hint="a size in bytes, or -1 for no limit"),
        max_connections=attrs.integer(
            "maxConnections",
            8192,
            minimum=1,
            allowed=(-1,),
            hint="a positive number of connections, or -1 for no limit",
        ),
        max_threads=attrs.integer("maxThreads", 200, minimum=1, hint="a positive number of threads"),
        uri_encoding=encoding,
        redirect_port=attrs.port("redirectPort", 443, allow_disabled=True),
        max_swallow_size=attrs.integer("maxSwallowSize", 2097152, hint="a size in bytes, or -1 for no limit"),
        max_part_count=attrs.integer("maxPartCount", 50, hint="a number of parts, or -1 for no limit"),
        max_part_header_size=attrs.integer("maxPartHeaderSize", 512, hint="a size in bytes, or -1 for no limit"),
        web_socket_ping_interval=attrs.seconds("webSocketPingInterval", DEFAULT_WS_PING_INTERVAL),
        web_socket_ping_timeout=attrs.seconds("webSocketPingTimeout", DEFAULT_WS_PING_TIMEOUT),
        web_socket_close_timeout=attrs.seconds("webSocketCloseTimeout", DEFAULT_WS_CLOSE_TIMEOUT),
        web_socket_park_after=attrs.seconds("webSocketParkAfter", DEFAULT_WS_PARK_AFTER),
        scheme=scheme,
        secure=attrs.boolean("secure", ssl_enabled),
        proxy_name=attrs.get("proxyName") or None,
        proxy_port=attrs.port("proxyPort", 0),
        max_parameter_count=attrs.integer(
            "maxParameterCount", 10000, hint="a number of parameters, or -1 for no limit"
        ),
        allowed_trailer_headers=frozenset(
            name.strip().lower() for name in (attrs.get("allowedTrailerHeaders") or "").split(",") if name.strip()
        ),
        ssl_enabled=ssl_enabled,
        ssl_host_configs=_read_ssl_host_configs(reader, element, ssl_enabled),
        default_ssl_host_config_name=(attrs.get("defaultSSLHostConfigName") or DEFAULT_SSL_HOST_CONFIG_NAME)
        .strip()
        .lower(),
        extra=frozen_map(extra),
        location=attrs.location,
    )
    if ssl_enabled:
        _check_ssl(reader, spec)
    return spec


def _catalina_base(reader: XmlReader) -> str:
    """CATALINA_BASE for relative certificate paths: the ``catalina.base``
    property, else the folder above the file's ``conf/``."""
    base = (reader.properties or {}).get("catalina.base")
    return base or os.path.dirname(os.path.dirname(os.path.abspath(reader.file)))


def _read_ssl_host_configs(reader: XmlReader, element: Element, ssl_enabled: bool) -> tuple[SSLHostConfigSpec, ...]:
    """The ``<SSLHostConfig>`` children (each name once); with SSLEnabled
    off they are read (so mistakes still show) but a warning says they
    are not used."""
    configs: list[SSLHostConfigSpec] = []
    names: dict[str, Location] = {}
    base = _catalina_base(reader)
    for child in reader.children(element, "Connector", ("SSLHostConfig",), _TOMCAT_CONNECTOR_CHILDREN):
        config = read_ssl_host_config(reader, child, base)
        if config.host_name in names:
            raise reader.error(
                config.location,
                f'a second <SSLHostConfig hostName="{config.host_name}"> (the first is at {names[config.host_name]})',
                "a distinct hostName for each <SSLHostConfig> of a Connector",
            )
        names[config.host_name] = config.location
        if not ssl_enabled:
            reader.warn(
                config.location,
                '<SSLHostConfig> on a Connector without SSLEnabled="true": not used, the Connector serves plain HTTP',
            )
        configs.append(config)
    return tuple(configs)


def _check_ssl(reader: XmlReader, spec: ConnectorSpec) -> None:
    """A TLS connector has an SSLHostConfig, and one for its default name."""
    assert spec.location is not None
    shape = (
        '<SSLHostConfig><Certificate certificateFile="conf/cert.pem" certificateKeyFile="conf/key.pem"/>'
        '</SSLHostConfig> inside the <Connector> (docs/deployment.md, "TLS at the container")'
    )
    if not spec.ssl_host_configs:
        raise reader.error(spec.location, 'SSLEnabled="true" but the <Connector> has no <SSLHostConfig>', shape)
    names = [config.host_name for config in spec.ssl_host_configs]
    if spec.default_ssl_host_config_name not in names:
        raise reader.error(
            spec.location,
            f"no <SSLHostConfig> has the hostName '{spec.default_ssl_host_config_name}' "
            f"(defaultSSLHostConfigName; found: {', '.join(names)})",
            "defaultSSLHostConfigName naming one of the SSLHostConfig hostName values, or one <SSLHostConfig> "
            "without hostName (it is _default_)",
        )
