"""Reading and validating ``conf/server.xml``.

:func:`load_server_xml` turns Tomcat's ``server.xml`` (same element and
attribute names, same defaults) into a tree of frozen dataclasses.  The
whole file is validated before anything is built, so a mistake is reported
as one :class:`~catalina_py.errors.ConfigError` pointing at ``file:line``
with the expected form, instead of failing half-way through start-up.

Problems that do not prevent start-up (an element or attribute of Tomcat
that catalina_py does not implement, a typo in an attribute name, an
undefined ``${property}``) are returned as
:class:`~catalina_py.errors.ConfigWarning` objects for the caller to log.

``${name}`` references are substituted in every attribute value and in the
text of ``<Alias>`` before validation (see
:mod:`catalina_py.config.properties`).
"""

from __future__ import annotations

import codecs
import difflib
import importlib
import ipaddress
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from lxml import etree

from catalina_py.config.properties import substitute_with_unknown
from catalina_py.errors import ConfigError, ConfigWarning, Location

__all__ = [
    "CONNECTOR_PASSTHROUGH_ATTRIBUTES",
    "CONTEXT_PASSTHROUGH_ATTRIBUTES",
    "ConnectorConfig",
    "ContextConfig",
    "EngineConfig",
    "HTTP11_PROTOCOL_ALIASES",
    "HostConfig",
    "ListenerConfig",
    "Location",
    "ServerConfig",
    "ServiceConfig",
    "SourceLines",
    "TOMCAT_VALVES",
    "ValveConfig",
    "load_context_descriptor",
    "load_server_xml",
    "resolve_app_base",
    "resolve_class",
    "resolve_doc_base",
    "read_xml",
    "resolve_valve_class",
]

#: Tomcat valve class names accepted in ``className`` and the Python class
#: implementing each.  Any other ``className`` must be a Python dotted path
#: (``package.module.ClassName``).
TOMCAT_VALVES: dict[str, str] = {
    "org.apache.catalina.valves.AccessLogValve":
        "catalina_py.container.valves.access_log.AccessLogValve",
    "org.apache.catalina.valves.ErrorReportValve":
        "catalina_py.container.valves.error_report.ErrorReportValve",
    "org.apache.catalina.valves.RemoteIpValve":
        "catalina_py.container.valves.remote_ip.RemoteIpValve",
}

#: Values of ``<Connector protocol>`` meaning HTTP/1.1 (normalised to
#: ``"HTTP/1.1"``).  Tomcat's NIO2 handler is accepted as an alias too.
HTTP11_PROTOCOL_ALIASES = frozenset({
    "HTTP/1.1",
    "org.apache.coyote.http11.Http11NioProtocol",
    "org.apache.coyote.http11.Http11Nio2Protocol",
})

_AJP_PROTOCOLS = frozenset({
    "AJP/1.3",
    "org.apache.coyote.ajp.AjpNioProtocol",
    "org.apache.coyote.ajp.AjpNio2Protocol",
    "org.apache.coyote.ajp.AjpAprProtocol",
})

#: Tomcat ``<Connector>`` attributes that catalina_py accepts *silently*
#: into :attr:`ConnectorConfig.extra` although they are not modelled as
#: fields.  Add a name here once some component honours it.
CONNECTOR_PASSTHROUGH_ATTRIBUTES: frozenset[str] = frozenset()

#: Tomcat ``<Context>`` attributes accepted silently into
#: :attr:`ContextConfig.attributes`.  Add a name here once it is honoured.
CONTEXT_PASSTHROUGH_ATTRIBUTES: frozenset[str] = frozenset({"crossContext"})

# Attributes modelled as fields, per element.
_SERVER_ATTRS = frozenset({"port", "shutdown", "address"})
_SERVICE_ATTRS = frozenset({"name"})
_CONNECTOR_ATTRS = frozenset({
    "port", "address", "protocol", "connectionTimeout", "keepAliveTimeout",
    "maxKeepAliveRequests", "maxHttpHeaderSize", "maxPostSize",
    "maxConnections", "maxThreads", "URIEncoding", "redirectPort",
    "maxSwallowSize", "webSocketPingInterval", "webSocketPingTimeout",
    "webSocketCloseTimeout", "scheme", "secure", "proxyName", "proxyPort",
})
_ENGINE_ATTRS = frozenset({"name", "defaultHost"})
_HOST_ATTRS = frozenset({
    "name", "appBase", "autoDeploy", "deployOnStartup", "unpackWARs",
    "backgroundProcessorDelay",
})
_CONTEXT_ATTRS = frozenset({"path", "docBase", "reloadable"})

# Attributes Tomcat documents for each element but catalina_py does not
# implement: reported as "not supported" rather than as a possible typo.
_TOMCAT_SERVER_ATTRS = frozenset({
    "className", "portOffset", "utilityThreads", "utilityThreadsAsDaemon",
    "periodicEventDelay",
})
_TOMCAT_SERVICE_ATTRS = frozenset({"className", "gracefulStopAwaitMillis"})
_TOMCAT_CONNECTOR_ATTRS = frozenset({
    "SSLEnabled", "acceptCount", "acceptorThreadPriority", "allowBackslash",
    "allowHostHeaderMismatch", "allowTrace", "allowedTrailerHeaders",
    "asyncTimeout", "bindOnInit", "compressibleMimeType", "compression",
    "compressionMinSize", "connectionLinger", "connectionUploadTimeout",
    "continueResponseTiming", "defaultSSLHostConfigName",
    "disableUploadTimeout", "discardFacades", "enableLookups",
    "encodedReverseSolidusHandling", "encodedSolidusHandling",
    "enforceEncodingInGetWriter", "executor",
    "executorTerminationTimeoutMillis", "maxCookieCount", "maxExtensionSize",
    "maxHeaderCount", "maxHttpRequestHeaderSize",
    "maxHttpResponseHeaderSize", "maxParameterCount", "maxPartCount",
    "maxPartHeaderSize", "maxQueueSize", "maxSavePostSize", "maxTrailerSize",
    "minSpareThreads", "noCompressionEncodings", "noCompressionUserAgents",
    "parseBodyMethods", "pollerThreadPriority", "processorCache",
    "rejectIllegalHeader", "rejectSuspiciousURIs",
    "relaxedPathChars", "relaxedQueryChars", "restrictedUserAgents",
    "selectorTimeout", "sendReasonPhrase", "server",
    "serverRemoveAppProvidedValues", "sslImplementationName", "sslProtocol",
    "tcpNoDelay", "threadPriority", "threadsMaxIdleTime", "throwOnFailure",
    "unixDomainSocketPath", "unixDomainSocketPathPermissions", "useAsyncIO",
    "useBodyEncodingForURI", "useIPVHosts", "useInheritedChannel",
    "useKeepAliveResponseHeader", "useSendfile", "useVirtualThreads",
    "xpoweredBy", "keystoreFile", "keystorePass", "keystoreType",
    "clientAuth", "ciphers", "truststoreFile", "truststorePass",
})
_TOMCAT_ENGINE_ATTRS = frozenset({
    "className", "backgroundProcessorDelay", "jvmRoute", "startStopThreads",
})
_TOMCAT_HOST_ATTRS = frozenset({
    "className", "copyXML", "createDirs",
    "deployIgnore", "deployXML", "errorReportValveClass",
    "failCtxIfServletStartFails", "legacyAppBase", "startStopThreads",
    "undeployOldVersions", "workDir", "xmlBase", "xmlNamespaceAware",
    "xmlValidation",
})
_TOMCAT_CONTEXT_ATTRS = frozenset({
    "addWebinfClassesResources", "allowCasualMultipartParsing",
    "allowMultipleLeadingForwardSlashInPath", "altDDName",
    "alwaysAccessSession", "antiResourceLocking", "backgroundProcessorDelay",
    "className", "clearReferencesHttpClientKeepAliveThread",
    "clearReferencesRmiTargets", "clearReferencesStopThreads",
    "clearReferencesStopTimerThreads", "clearReferencesThreadLocals",
    "containerSciFilter", "contextGetResourceRequiresSlash", "cookies",
    "copyXML", "createUploadTargets", "crossContext",
    "dispatcherWrapsSameObject", "dispatchersUseEncodedPaths",
    "encodedReverseSolidusHandling", "encodedSolidusHandling",
    "failCtxIfServletStartFails", "fireRequestListenersOnForwards",
    "ignoreAnnotations", "jndiExceptionOnFailedWrite", "logEffectiveWebXml",
    "mapperContextRootRedirectEnabled", "mapperDirectoryRedirectEnabled",
    "override", "parallelAnnotationScanning", "preemptiveAuthentication",
    "privileged", "renewThreadsWhenStoppingContext", "resourceOnlyServlets",
    "sendRedirectBody", "sessionCookieDomain", "sessionCookieName",
    "sessionCookiePath", "sessionCookiePathUsesTrailingSlash",
    "skipMemoryLeakChecksOnJvmShutdown", "suspendWrappedResponseAfterForward",
    "swallowAbortedUploads", "swallowOutput", "tldValidation",
    "unloadDelay", "unpackWAR", "useHttpOnly", "useNaming", "usePartitioned",
    "useRelativeRedirects", "validateClientProvidedNewSessionId",
    "workDir", "wrapperClass", "xmlBlockExternal", "xmlNamespaceAware",
    "xmlValidation",
})

# Child elements: the ones modelled, and the ones Tomcat knows but
# catalina_py ignores (with a warning), per parent element.
_CHILDREN: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "Server": (frozenset({"Service", "Listener"}),
               frozenset({"GlobalNamingResources"})),
    "Service": (frozenset({"Connector", "Engine"}),
                frozenset({"Listener", "Executor"})),
    "Connector": (frozenset(),
                  frozenset({"SSLHostConfig", "UpgradeProtocol", "Listener"})),
    "Engine": (frozenset({"Host", "Valve"}),
               frozenset({"Listener", "Realm", "Cluster"})),
    "Host": (frozenset({"Alias", "Context", "Valve"}),
             frozenset({"Listener", "Realm", "Cluster"})),
    "Context": (frozenset({"Valve"}),
                frozenset({
                    "Listener", "Loader", "Manager", "Parameter",
                    "Environment", "Resources", "Resource", "ResourceLink",
                    "ResourceEnvRef", "Transaction", "WatchedResource",
                    "WrapperLifecycle", "WrapperListener", "JarScanner",
                    "CookieProcessor", "Realm", "InstanceListener",
                    "SessionIdGenerator",
                })),
    "Valve": (frozenset(), frozenset()),
    "Listener": (frozenset(), frozenset()),
    "Alias": (frozenset(), frozenset()),
}

_WILDCARD_ADDRESSES = frozenset({"0.0.0.0", "::", "[::]"})
_INTEGER = re.compile(r"[+-]?[0-9]+")
_PORT_HINT = "an integer port number from 0 to 65535"


# --------------------------------------------------------------------------
# Configuration objects
# --------------------------------------------------------------------------

def _frozen_map(values: Mapping[str, str] | None = None) -> Mapping[str, str]:
    """Return a read-only copy of ``values``."""
    return MappingProxyType(dict(values or {}))


@dataclass(frozen=True)
class ValveConfig:
    """A ``<Valve>``: which class to instantiate and with which attributes.

    ``class_name`` is the ``className`` as written (a Tomcat name or a
    Python dotted path); ``python_class`` is the dotted path of the Python
    class, already checked to be importable.  ``attributes`` holds every
    other attribute, substituted but otherwise uninterpreted: the valve
    class is responsible for them.
    """

    class_name: str
    python_class: str
    attributes: Mapping[str, str]
    location: Location


@dataclass(frozen=True)
class ListenerConfig:
    """A Server-level ``<Listener>``: recorded but not run by catalina_py."""

    class_name: str
    attributes: Mapping[str, str]
    location: Location


@dataclass(frozen=True)
class ConnectorConfig:
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
    protocol: str = "HTTP/1.1"
    connection_timeout_ms: int = 60000
    keep_alive_timeout_ms: int | None = None
    max_keep_alive_requests: int = 100
    max_http_header_size: int = 8192
    max_post_size: int = 2097152
    max_connections: int = 8192
    max_threads: int = 200
    uri_encoding: str = "UTF-8"
    redirect_port: int = 443
    max_swallow_size: int = 2097152
    #: catalina_py's WebSocket heartbeat (seconds, not ms): a ping every
    #: ``web_socket_ping_interval`` (0 disables), a session whose pong does
    #: not come within ``web_socket_ping_timeout`` is dropped, and a close
    #: we start waits ``web_socket_close_timeout`` for the peer's reply
    #: (see docs/websocket.md).
    web_socket_ping_interval: float = 25.0
    web_socket_ping_timeout: float = 10.0
    web_socket_close_timeout: float = 10.0
    #: What requests report when a proxy in front terminates TLS or
    #: listens under another name, as Tomcat's Connector attributes:
    #: ``get_scheme()``/``is_secure()``, and ``get_server_name()``/
    #: ``get_server_port()`` when proxyName/proxyPort are set.
    scheme: str = "http"
    secure: bool = False
    proxy_name: str | None = None
    proxy_port: int = 0
    extra: Mapping[str, str] = field(default_factory=_frozen_map)
    location: Location | None = None

    @property
    def effective_keep_alive_timeout_ms(self) -> int:
        """The keep-alive timeout in force (else the connection one)."""
        if self.keep_alive_timeout_ms is None:
            return self.connection_timeout_ms
        return self.keep_alive_timeout_ms


@dataclass(frozen=True)
class ContextConfig:
    """A ``<Context>`` declared in ``server.xml`` inside a ``<Host>``.

    ``doc_base`` is as written (absolute, or relative to the Host's
    appBase; see :func:`resolve_doc_base`).  ``attributes`` keeps the
    other Tomcat Context attributes, which catalina_py does not interpret.
    """

    path: str
    doc_base: str
    reloadable: bool
    valves: tuple[ValveConfig, ...]
    attributes: Mapping[str, str]
    location: Location


@dataclass(frozen=True)
class HostConfig:
    """A virtual ``<Host>``.  ``name`` and ``aliases`` are lower-cased."""

    name: str
    app_base: str
    auto_deploy: bool
    deploy_on_startup: bool
    unpack_wars: bool
    aliases: tuple[str, ...]
    valves: tuple[ValveConfig, ...]
    contexts: tuple[ContextConfig, ...]
    location: Location
    #: Seconds between two checks of the Host's background processing
    #: (autoDeploy, reloadable contexts); Tomcat's default is 10, ours 1.
    background_processor_delay: int = 1


@dataclass(frozen=True)
class EngineConfig:
    """The ``<Engine>`` of a Service: its valves and virtual hosts."""

    name: str
    default_host: str
    valves: tuple[ValveConfig, ...]
    hosts: tuple[HostConfig, ...]
    location: Location


@dataclass(frozen=True)
class ServiceConfig:
    """A ``<Service>``: connectors sharing one engine."""

    name: str
    connectors: tuple[ConnectorConfig, ...]
    engine: EngineConfig
    location: Location


@dataclass(frozen=True)
class ServerConfig:
    """The whole ``server.xml``; ``port`` -1 disables the shutdown port."""

    port: int
    shutdown: str
    address: str
    services: tuple[ServiceConfig, ...]
    listeners: tuple[ListenerConfig, ...]
    file: str


# --------------------------------------------------------------------------
# Class resolution and paths
# --------------------------------------------------------------------------

def resolve_class(dotted: str) -> type:
    """Import ``package.module.ClassName`` and return the class.

    Raises :class:`ImportError` if the module or the attribute does not
    exist (or the module fails to import) and :class:`TypeError` if the
    attribute is not a class.
    """
    module_name, _, attr = dotted.rpartition(".")
    if not module_name or not attr:
        raise ImportError(f"'{dotted}' is not a dotted path "
                          "package.module.ClassName")
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        raise
    except Exception as exc:  # the module exists but is broken
        raise ImportError(
            f"importing module '{module_name}' failed: "
            f"{type(exc).__name__}: {exc}") from exc
    try:
        value = getattr(module, attr)
    except AttributeError:
        raise ImportError(
            f"module '{module_name}' has no attribute '{attr}'") from None
    if not isinstance(value, type):
        raise TypeError(f"'{dotted}' is not a class "
                        f"(it is a {type(value).__name__})")
    return value


def resolve_valve_class(class_name: str, location: Location | None = None
                        ) -> str:
    """Map a ``<Valve className>`` to an importable Python dotted path.

    Tomcat names are looked up in :data:`TOMCAT_VALVES`; anything else
    must be a Python dotted path.  The class is imported to check it
    exists; a :class:`ConfigError` located at ``location`` is raised
    otherwise.
    """
    known = ", ".join(sorted(TOMCAT_VALVES))
    if class_name in TOMCAT_VALVES:
        dotted = TOMCAT_VALVES[class_name]
    elif (class_name.startswith(("org.apache.", "jakarta.", "javax.",
                                 "java."))
          or "." not in class_name):
        suggestion = [name for name in TOMCAT_VALVES
                      if name.rsplit(".", 1)[-1] == class_name]
        hint = (f"className=\"{suggestion[0]}\"" if suggestion else
                "one of the known Tomcat valves, or the dotted path of a "
                "Python class (package.module.ClassName)")
        raise ConfigError.at(
            location, f"unknown valve class '{class_name}', known: {known}",
            hint)
    else:
        dotted = class_name
    try:
        resolve_class(dotted)
    except (ImportError, TypeError) as exc:
        via = "" if dotted == class_name else f" (implemented by {dotted})"
        raise ConfigError.at(
            location,
            f"cannot load valve class '{class_name}'{via}: {exc}",
            "the dotted path of an importable Python class "
            "(package.module.ClassName)") from exc
    return dotted


def resolve_app_base(host: HostConfig, catalina_base: str) -> str:
    """Absolute directory of ``host``'s appBase (relative to CATALINA_BASE)."""
    path = os.path.expanduser(host.app_base)
    if not os.path.isabs(path):
        path = os.path.join(catalina_base, path)
    return os.path.normpath(os.path.abspath(path))


def resolve_doc_base(context: ContextConfig, host: HostConfig,
                     catalina_base: str) -> str:
    """Absolute docBase of ``context`` (relative to the Host's appBase)."""
    path = os.path.expanduser(context.doc_base)
    if not os.path.isabs(path):
        path = os.path.join(resolve_app_base(host, catalina_base), path)
    return os.path.normpath(os.path.abspath(path))


def _default_doc_base(path: str) -> str:
    """Tomcat's base name for a context path: ``""`` -> ``ROOT``, ``/a/b``
    -> ``a#b``."""
    return "ROOT" if path == "" else path[1:].replace("/", "#")


# --------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------

class SourceLines:
    """The lines of an XML file, to report where a start tag *begins*.

    libxml2 gives the line on which a start tag ends; for a tag written
    over several lines (attributes one per line) the line of its ``<`` is
    more useful, so messages point at the beginning of the element.
    """

    _NEWLINE = re.compile(r"\r\n|\r|\n")

    def __init__(self, tree: etree._ElementTree, data: bytes) -> None:
        encoding = tree.docinfo.encoding or "utf-8"
        try:
            text = data.decode(encoding, errors="replace")
        except LookupError:
            text = data.decode("utf-8", errors="replace")
        self.lines = self._NEWLINE.split(text)

    def start_line(self, element: etree._Element) -> int | None:
        """Line of the ``<`` opening ``element`` (1-based), if known."""
        end = element.sourceline
        if end is None or not isinstance(element.tag, str):
            return end
        qname = etree.QName(element)
        name = (f"{element.prefix}:{qname.localname}" if element.prefix
                else qname.localname)
        pattern = re.compile("<" + re.escape(name) + r"(?=[\s/>]|$)")
        # A start tag holds no "<" (not even in attribute values), so the
        # nearest line at or above ``end`` that opens this tag is its start.
        for number in range(min(end, len(self.lines)), 0, -1):
            if pattern.search(self.lines[number - 1]):
                return number
        return end


def read_xml(path: str, root_hint: str
              ) -> tuple[etree._ElementTree, SourceLines]:
    """Parse an XML file safely (no DTD, no entities, no network)."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise ConfigError(f"cannot read file: {exc.strerror or exc}",
                          path) from exc
    parser = etree.XMLParser(resolve_entities=False, no_network=True,
                             load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(data, parser, base_url=path)
    except etree.XMLSyntaxError as exc:
        raise ConfigError(f"not well-formed XML: {exc.msg}", path,
                          exc.lineno or None,
                          "a well-formed XML document with a "
                          f"{root_hint} root element") from exc
    tree = root.getroottree()
    return tree, SourceLines(tree, data)


class _Attributes:
    """The substituted attributes of one element, with checked accessors."""

    def __init__(self, reader: "_Reader", element: etree._Element,
                 tag: str) -> None:
        self.tag = tag
        self.location = reader.location(element)
        self.values: dict[str, str] = {}
        self.unknown: dict[str, list[str]] = {}
        for name, raw in element.attrib.items():
            value, unknown = substitute_with_unknown(raw, reader.properties)
            self.values[name] = value
            if unknown:
                self.unknown[name] = unknown
                for prop in dict.fromkeys(unknown):
                    reader.warn(self.location,
                                f"property ${{{prop}}} used in attribute "
                                f"{name} of <{tag}> is not defined; the "
                                "value is used as written")

    def error(self, name: str, message: str, hint: str) -> ConfigError:
        """An error about attribute ``name``, noting undefined properties."""
        if name in self.unknown:
            props = ", ".join(f"${{{p}}}" for p in self.unknown[name])
            message += f" (property {props} is not defined)"
        return ConfigError.at(self.location, message, hint)

    def get(self, name: str, default: str | None = None) -> str | None:
        """The substituted value of ``name``, or ``default``."""
        return self.values.get(name, default)

    def required(self, name: str, hint: str) -> str:
        """The value of a mandatory, non-empty attribute."""
        value = self.values.get(name)
        if value is None:
            raise ConfigError.at(
                self.location,
                f"<{self.tag}> is missing the required attribute {name}",
                hint)
        if not value.strip():
            raise self.error(name, f"attribute {name} of <{self.tag}> is "
                             "empty", hint)
        return value

    def integer(self, name: str, default: int | None, *,
                minimum: int | None = None, maximum: int | None = None,
                allowed: Iterable[int] = (), hint: str) -> int | None:
        """An integer attribute checked against a range."""
        value = self.values.get(name)
        if value is None:
            return default
        text = value.strip()
        if not _INTEGER.fullmatch(text):
            raise self.error(
                name, f"attribute {name} of <{self.tag}> must be an "
                f"integer, got '{value}'", hint)
        number = int(text)
        if number in tuple(allowed):
            return number
        if ((minimum is not None and number < minimum)
                or (maximum is not None and number > maximum)):
            raise self.error(
                name, f"attribute {name} of <{self.tag}> is out of range: "
                f"{number}", hint)
        return number

    def seconds(self, name: str, default: float) -> float:
        """A non-negative duration in seconds (decimals allowed)."""
        value = self.values.get(name)
        if value is None:
            return default
        try:
            number = float(value.strip())
        except ValueError:
            number = -1.0
        if not (number >= 0.0 and number != float("inf")):
            raise self.error(
                name, f"attribute {name} of <{self.tag}> must be a "
                f"number of seconds, got '{value}'",
                "a duration in seconds such as 25 or 0.5 (0 disables)")
        return number

    def port(self, name: str, default: int | None, *,
             allow_disabled: bool = False) -> int | None:
        """A TCP port attribute (0..65535, optionally -1 for disabled)."""
        hint = _PORT_HINT + (", or -1 to disable" if allow_disabled else "")
        return self.integer(name, default, minimum=0, maximum=65535,
                            allowed=(-1,) if allow_disabled else (),
                            hint=hint)

    def boolean(self, name: str, default: bool) -> bool:
        """A boolean attribute: ``true`` or ``false``, any case."""
        value = self.values.get(name)
        if value is None:
            return default
        lowered = value.strip().lower()
        if lowered not in ("true", "false"):
            raise self.error(
                name, f"attribute {name} of <{self.tag}> must be true or "
                f"false, got '{value}'", f'{name}="true" or {name}="false"')
        return lowered == "true"

    def check_names(self, reader: "_Reader", modelled: frozenset[str],
                    tomcat: frozenset[str],
                    passthrough: frozenset[str] = frozenset()
                    ) -> dict[str, str]:
        """Warn about attributes that are not modelled.

        Returns the Tomcat attributes that are kept (passthrough ones and
        the documented-but-unsupported ones), for an ``extra`` mapping.
        """
        kept: dict[str, str] = {}
        for name, value in self.values.items():
            if name in modelled:
                continue
            if name in passthrough:
                kept[name] = value
            elif name in tomcat:
                kept[name] = value
                reader.warn(self.location,
                            f"attribute {name} of <{self.tag}> is not "
                            "supported by catalina_py, ignored")
            else:
                message = (f"unknown attribute {name} on <{self.tag}>, "
                           "ignored")
                close = difflib.get_close_matches(
                    name, sorted(modelled | tomcat | passthrough), n=1)
                if close:
                    message += f" (did you mean {close[0]}?)"
                reader.warn(self.location, message)
        return kept


@dataclass
class _Bound:
    """A listening socket declared in the file, for conflict detection."""

    port: int
    address: str | None
    what: str
    location: Location


class _Reader:
    """State of one ``server.xml`` read: file, properties, warnings."""

    def __init__(self, file: str, properties: Mapping[str, str],
                 lines: SourceLines) -> None:
        self.file = file
        self.properties = properties
        self.lines = lines
        self.warnings: list[ConfigWarning] = []
        self.bound: list[_Bound] = []

    # -- helpers ---------------------------------------------------------

    def location(self, element: etree._Element) -> Location:
        """The file and line of ``element``."""
        return Location(self.file, self.lines.start_line(element))

    def warn(self, location: Location, message: str) -> None:
        """Record a warning."""
        self.warnings.append(ConfigWarning.at(location, message))

    def children(self, element: etree._Element, tag: str
                 ) -> Iterator[etree._Element]:
        """Yield the modelled child elements of ``element``, warning about
        (and skipping) the others."""
        modelled, tomcat = _CHILDREN[tag]
        for child in element:
            if not isinstance(child.tag, str):
                continue  # comment or processing instruction
            name = child.tag
            if name in modelled:
                yield child
            elif name in tomcat:
                self.warn(self.location(child),
                          f"<{name}> in <{tag}> is not supported by "
                          "catalina_py, ignored")
            else:
                expected = ", ".join(sorted(modelled)) or "no child elements"
                self.warn(self.location(child),
                          f"unknown element <{etree.QName(child).localname}>"
                          f" in <{tag}>, ignored (expected: {expected})")

    # -- elements --------------------------------------------------------

    def server(self, root: etree._Element) -> ServerConfig:
        """Read ``<Server>``."""
        attrs = _Attributes(self, root, "Server")
        attrs.check_names(self, _SERVER_ATTRS, _TOMCAT_SERVER_ATTRS)
        port = attrs.port("port", 8005, allow_disabled=True)
        assert port is not None
        shutdown = attrs.get("shutdown", "SHUTDOWN") or ""
        if not shutdown:
            raise attrs.error("shutdown", "attribute shutdown of <Server> is "
                              "empty", 'shutdown="SHUTDOWN"')
        address = attrs.get("address", "localhost") or ""
        if not address.strip():
            raise attrs.error("address", "attribute address of <Server> is "
                              "empty", 'address="localhost"')
        if port > 0:
            self.bound.append(_Bound(port, address, "the shutdown port of "
                                     "<Server>", attrs.location))
        listeners: list[ListenerConfig] = []
        services: list[ServiceConfig] = []
        names: dict[str, Location] = {}
        for child in self.children(root, "Server"):
            if child.tag == "Listener":
                listeners.append(self.listener(child))
                continue
            service = self.service(child)
            if service.name in names:
                raise ConfigError.at(
                    service.location,
                    f"duplicate <Service> name '{service.name}' (first "
                    f"declared at {names[service.name]})",
                    "a unique name for each <Service>")
            names[service.name] = service.location
            services.append(service)
        if not services:
            self.warn(attrs.location, "no <Service> in <Server>: the server "
                      "will not accept any request")
        return ServerConfig(port=port, shutdown=shutdown, address=address,
                            services=tuple(services),
                            listeners=tuple(listeners), file=self.file)

    def listener(self, element: etree._Element) -> ListenerConfig:
        """Read a Server-level ``<Listener>`` (kept, with a warning)."""
        attrs = _Attributes(self, element, "Listener")
        class_name = attrs.required("className", 'className="..."')
        self.warn(attrs.location, f"<Listener> {class_name} is not supported"
                  " by catalina_py, ignored")
        list(self.children(element, "Listener"))
        values = {k: v for k, v in attrs.values.items() if k != "className"}
        return ListenerConfig(class_name, _frozen_map(values), attrs.location)

    def service(self, element: etree._Element) -> ServiceConfig:
        """Read ``<Service>``: its connectors and exactly one engine."""
        attrs = _Attributes(self, element, "Service")
        attrs.check_names(self, _SERVICE_ATTRS, _TOMCAT_SERVICE_ATTRS)
        name = attrs.required("name", '<Service name="Catalina">')
        connectors: list[ConnectorConfig] = []
        engines: list[EngineConfig] = []
        for child in self.children(element, "Service"):
            if child.tag == "Connector":
                connectors.append(self.connector(child))
            else:
                if engines:
                    raise ConfigError.at(
                        self.location(child),
                        f"<Service name=\"{name}\"> has more than one "
                        "<Engine>", "exactly one <Engine> per <Service>")
                engines.append(self.engine(child))
        if not engines:
            raise ConfigError.at(
                attrs.location, f"<Service name=\"{name}\"> has no <Engine>",
                "exactly one <Engine name=\"...\" defaultHost=\"...\"> per "
                "<Service>")
        if not connectors:
            self.warn(attrs.location, f"<Service name=\"{name}\"> has no "
                      "<Connector>: it will not accept any request")
        return ServiceConfig(name, tuple(connectors), engines[0],
                             attrs.location)

    def connector(self, element: etree._Element) -> ConnectorConfig:
        """Read an HTTP/1.1 ``<Connector>``."""
        attrs = _Attributes(self, element, "Connector")
        protocol = (attrs.get("protocol") or "HTTP/1.1").strip()
        if protocol in _AJP_PROTOCOLS:
            raise attrs.error("protocol", "the AJP protocol is not supported"
                              " by catalina_py", 'protocol="HTTP/1.1"')
        if protocol not in HTTP11_PROTOCOL_ALIASES:
            raise attrs.error("protocol",
                              f"unsupported Connector protocol '{protocol}'",
                              'protocol="HTTP/1.1" (or Tomcat\'s '
                              '"org.apache.coyote.http11.Http11NioProtocol")')
        extra = attrs.check_names(self, _CONNECTOR_ATTRS,
                                  _TOMCAT_CONNECTOR_ATTRS,
                                  CONNECTOR_PASSTHROUGH_ATTRIBUTES)
        attrs.required("port", 'port="8080"')
        port = attrs.port("port", None)
        assert port is not None
        address = attrs.get("address")
        if address is not None:
            address = address.strip()
            if not address:
                raise attrs.error("address", "attribute address of "
                                  "<Connector> is empty",
                                  "an IP address or host name, or no address "
                                  "attribute to listen on all interfaces")
        timeout_hint = "a time in milliseconds, or -1 for no timeout"
        encoding = (attrs.get("URIEncoding") or "UTF-8").strip()
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise attrs.error("URIEncoding", f"unknown URIEncoding "
                              f"'{encoding}'", 'a character set name such as'
                              ' "UTF-8" or "ISO-8859-1"') from None
        scheme = (attrs.get("scheme") or "http").lower()
        if scheme not in ("http", "https"):
            raise attrs.error("scheme", f"unsupported scheme '{scheme}'", '"http" or "https"')
        config = ConnectorConfig(
            port=port,
            address=address,
            protocol="HTTP/1.1",
            connection_timeout_ms=attrs.integer(
                "connectionTimeout", 60000, minimum=-1, hint=timeout_hint),
            keep_alive_timeout_ms=attrs.integer(
                "keepAliveTimeout", None, minimum=-1, hint=timeout_hint),
            max_keep_alive_requests=attrs.integer(
                "maxKeepAliveRequests", 100, minimum=-1,
                hint="a number of requests, 1 to disable keep-alive or -1 "
                     "for no limit"),
            max_http_header_size=attrs.integer(
                "maxHttpHeaderSize", 8192, minimum=1,
                hint="a positive size in bytes"),
            max_post_size=attrs.integer(
                "maxPostSize", 2097152,
                hint="a size in bytes, or -1 for no limit"),
            max_connections=attrs.integer(
                "maxConnections", 8192, minimum=1, allowed=(-1,),
                hint="a positive number of connections, or -1 for no limit"),
            max_threads=attrs.integer(
                "maxThreads", 200, minimum=1,
                hint="a positive number of threads"),
            uri_encoding=encoding,
            redirect_port=attrs.port("redirectPort", 443),
            max_swallow_size=attrs.integer(
                "maxSwallowSize", 2097152,
                hint="a size in bytes, or -1 for no limit"),
            web_socket_ping_interval=attrs.seconds("webSocketPingInterval", 25.0),
            web_socket_ping_timeout=attrs.seconds("webSocketPingTimeout", 10.0),
            web_socket_close_timeout=attrs.seconds("webSocketCloseTimeout", 10.0),
            scheme=scheme,
            secure=attrs.boolean("secure", False),
            proxy_name=attrs.get("proxyName") or None,
            proxy_port=attrs.port("proxyPort", 0),
            extra=_frozen_map(extra),
            location=attrs.location,
        )
        list(self.children(element, "Connector"))
        self.bind(_Bound(port, address, "<Connector>", attrs.location))
        return config

    def bind(self, new: _Bound) -> None:
        """Register a listening socket, failing if it clashes with one
        declared earlier."""
        if new.port == 0:  # an ephemeral port never clashes
            return
        for old in self.bound:
            if old.port == new.port and _addresses_clash(old.address,
                                                         new.address):
                raise ConfigError.at(
                    new.location,
                    f"{new.what} port {new.port} on "
                    f"{_describe_address(new.address)} conflicts with "
                    f"{old.what} at {old.location} (port {old.port} on "
                    f"{_describe_address(old.address)})",
                    "a different port, or distinct specific addresses, for "
                    "each listening socket")
        self.bound.append(new)

    def engine(self, element: etree._Element) -> EngineConfig:
        """Read ``<Engine>``: its valves and hosts."""
        attrs = _Attributes(self, element, "Engine")
        attrs.check_names(self, _ENGINE_ATTRS, _TOMCAT_ENGINE_ATTRS)
        name = attrs.required("name", '<Engine name="Catalina" '
                              'defaultHost="localhost">')
        default_host = attrs.required(
            "defaultHost", 'defaultHost="localhost" naming one of the '
            '<Host> elements').strip().lower()
        valves: list[ValveConfig] = []
        hosts: list[HostConfig] = []
        seen: dict[str, tuple[str, Location]] = {}
        for child in self.children(element, "Engine"):
            if child.tag == "Valve":
                valves.append(self.valve(child))
                continue
            host = self.host(child)
            for alias in (host.name, *host.aliases):
                if alias in seen:
                    kind, where = seen[alias]
                    raise ConfigError.at(
                        host.location,
                        f"duplicate host name '{alias}': already used as a "
                        f"{kind} at {where}",
                        "a unique name and aliases for each <Host>")
                seen[alias] = ("<Host> name" if alias == host.name
                               else "<Alias>", host.location)
            hosts.append(host)
        if default_host not in {host.name for host in hosts}:
            names = ", ".join(host.name for host in hosts) or "none"
            raise attrs.error(
                "defaultHost",
                f"defaultHost '{default_host}' of <Engine> names no <Host> "
                f"(hosts: {names})",
                "defaultHost equal to the name of one of the Engine's "
                "<Host> elements")
        return EngineConfig(name, default_host, tuple(valves), tuple(hosts),
                            attrs.location)

    def host(self, element: etree._Element) -> HostConfig:
        """Read ``<Host>``: aliases, valves and contexts."""
        attrs = _Attributes(self, element, "Host")
        attrs.check_names(self, _HOST_ATTRS, _TOMCAT_HOST_ATTRS)
        name = attrs.required("name", '<Host name="localhost" '
                              'appBase="webapps">').strip().lower()
        app_base = attrs.get("appBase", "webapps") or ""
        if not app_base.strip():
            raise attrs.error("appBase", "attribute appBase of <Host> is "
                              "empty", 'appBase="webapps" (relative to '
                              'CATALINA_BASE) or an absolute directory')
        aliases: list[str] = []
        valves: list[ValveConfig] = []
        contexts: list[ContextConfig] = []
        paths: dict[str, Location] = {}
        for child in self.children(element, "Host"):
            if child.tag == "Alias":
                aliases.append(self.alias(child))
            elif child.tag == "Valve":
                valves.append(self.valve(child))
            else:
                context = self.context(child)
                if context.path in paths:
                    raise ConfigError.at(
                        context.location,
                        f"duplicate <Context> path '{context.path}' in "
                        f"<Host name=\"{name}\"> (first declared at "
                        f"{paths[context.path]})",
                        "a unique path for each <Context> of a <Host>")
                paths[context.path] = context.location
                contexts.append(context)
        return HostConfig(
            name=name,
            app_base=app_base,
            auto_deploy=attrs.boolean("autoDeploy", True),
            deploy_on_startup=attrs.boolean("deployOnStartup", True),
            unpack_wars=attrs.boolean("unpackWARs", True),
            aliases=tuple(alias for alias in dict.fromkeys(aliases)
                          if alias != name),
            valves=tuple(valves),
            contexts=tuple(contexts),
            location=attrs.location,
            background_processor_delay=attrs.integer(
                "backgroundProcessorDelay", 1, minimum=1,
                hint="a number of seconds, 1 or more"),
        )

    def alias(self, element: etree._Element) -> str:
        """Read ``<Alias>``: another name of the enclosing Host."""
        location = self.location(element)
        for name in element.attrib:
            self.warn(location, f"unknown attribute {name} on <Alias>, "
                      "ignored")
        list(self.children(element, "Alias"))
        text, unknown = substitute_with_unknown(element.text or "",
                                                self.properties)
        for prop in dict.fromkeys(unknown):
            self.warn(location, f"property ${{{prop}}} used in <Alias> is not"
                      " defined; the value is used as written")
        alias = text.strip().lower()
        if not alias:
            raise ConfigError.at(location, "<Alias> is empty",
                                 "<Alias>www.example.com</Alias>")
        return alias

    def context(self, element: etree._Element) -> ContextConfig:
        """Read ``<Context>``: path, docBase, reloadable and valves."""
        attrs = _Attributes(self, element, "Context")
        extra = attrs.check_names(self, _CONTEXT_ATTRS,
                                  _TOMCAT_CONTEXT_ATTRS,
                                  CONTEXT_PASSTHROUGH_ATTRIBUTES)
        path_hint = ('path="" for the root context, or "/name" (starting '
                     'and not ending with "/")')
        if "path" not in attrs.values:
            raise ConfigError.at(
                attrs.location, "<Context> is missing the required attribute"
                " path", path_hint)
        path = attrs.values["path"]
        if path != "" and (not path.startswith("/") or path.endswith("/")):
            if path == "/":
                suggestion = 'path="" (the root context)'
            else:
                suggestion = f'path="/{path.strip("/")}"'
            raise attrs.error("path", f"invalid <Context> path '{path}'",
                              suggestion)
        doc_base = attrs.get("docBase")
        if doc_base is None:
            doc_base = _default_doc_base(path)
        elif not doc_base.strip():
            raise attrs.error("docBase", "attribute docBase of <Context> is "
                              "empty", "a directory, absolute or relative to"
                              " the Host's appBase")
        valves = [self.valve(child)
                  for child in self.children(element, "Context")]
        return ContextConfig(path, doc_base,
                             attrs.boolean("reloadable", False),
                             tuple(valves), _frozen_map(extra),
                             attrs.location)

    def valve(self, element: etree._Element) -> ValveConfig:
        """Read ``<Valve>`` and check its class can be loaded."""
        attrs = _Attributes(self, element, "Valve")
        class_name = attrs.required(
            "className",
            'className="org.apache.catalina.valves.AccessLogValve" or a '
            'Python dotted path').strip()
        python_class = resolve_valve_class(class_name, attrs.location)
        list(self.children(element, "Valve"))
        values = {k: v for k, v in attrs.values.items() if k != "className"}
        return ValveConfig(class_name, python_class, _frozen_map(values),
                           attrs.location)


def _normalise_address(address: str | None) -> str | None:
    """``None`` for a wildcard address, else a canonical spelling."""
    if address is None:
        return None
    text = address.strip().lower()
    if text in _WILDCARD_ADDRESSES:
        return None
    try:
        return ipaddress.ip_address(text.strip("[]")).compressed
    except ValueError:
        return text


def _addresses_clash(first: str | None, second: str | None) -> bool:
    """Whether two listening addresses on one port would collide."""
    a, b = _normalise_address(first), _normalise_address(second)
    return a is None or b is None or a == b


def _describe_address(address: str | None) -> str:
    """Human wording of an address for messages."""
    if _normalise_address(address) is None:
        return "all interfaces"
    return str(address)


def load_server_xml(path: str, properties: Mapping[str, str]
                    ) -> tuple[ServerConfig, list[ConfigWarning]]:
    """Read, substitute and validate ``server.xml``.

    ``properties`` supplies the ``${name}`` values (see
    :func:`catalina_py.config.properties.build_properties`).  Returns the
    configuration and the warnings; raises :class:`ConfigError` (with file,
    line and the expected form) on the first error.
    """
    tree, lines = read_xml(path, "<Server>")
    root = tree.getroot()
    if root.tag != "Server":
        raise ConfigError(
            f"the root element must be <Server>, found <{root.tag}>",
            path, lines.start_line(root),
            '<Server port="8005" shutdown="SHUTDOWN">')
    reader = _Reader(path, properties, lines)
    config = reader.server(root)
    return config, reader.warnings


def load_context_descriptor(path: str, context_path: str,
                            properties: Mapping[str, str]
                            ) -> tuple[ContextConfig, list[ConfigWarning]]:
    """Read a context descriptor (``conf/<Engine>/<Host>/<name>.xml``).

    Its root is a ``<Context>`` as in ``server.xml``, except that the file
    name gives the path (``context_path``): as in Tomcat, a ``path``
    attribute is ignored with a warning.  Raises :class:`ConfigError`
    with file and line on the first error.
    """
    tree, lines = read_xml(path, "<Context>")
    root = tree.getroot()
    if root.tag != "Context":
        raise ConfigError(
            f"the root element of a context descriptor must be <Context>, "
            f"found <{root.tag}>", path, lines.start_line(root),
            '<Context docBase="/path/to/webapp" reloadable="false">')
    reader = _Reader(path, properties, lines)
    written = root.get("path")
    if written is not None and written != context_path:
        reader.warn(reader.location(root),
                    f"the path attribute '{written}' of a context "
                    f"descriptor is ignored: the file name gives the path "
                    f"'{context_path}'")
    root.set("path", context_path)
    return reader.context(root), reader.warnings
