"""Reading and validating ``conf/server.xml``.

:func:`load_server_xml` turns Tomcat's ``server.xml`` (same element and
attribute names, same defaults) into a tree of frozen specs: a
:class:`ServerSpec` of :class:`ServiceSpec` (each with its
:class:`~catalina_py.config.connector_spec.ConnectorSpec` and its
:class:`EngineSpec`), :class:`HostSpec`,
:class:`~catalina_py.config.context_spec.ContextSpec` and
:class:`~catalina_py.config.valve_spec.ValveSpec`.  The whole file is
validated before anything is built, so a mistake is reported as one
:class:`~catalina_py.errors.ConfigError` pointing at ``file:line`` with the
expected form, instead of failing half-way through start-up.

Problems that do not prevent start-up (an element or attribute of Tomcat
that catalina_py does not implement, a typo in an attribute name, an
undefined ``${property}``) are returned as
:class:`~catalina_py.errors.ConfigWarning` objects for the caller to log.

``${name}`` references are substituted in every attribute value and in the
text of ``<Alias>`` before validation (see
:mod:`catalina_py.config.properties`).
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from catalina_py.config.cluster_spec import ClusterSpec, read_cluster
from catalina_py.config.connector_spec import ConnectorSpec, read_connector
from catalina_py.config.context_spec import ContextSpec, read_context
from catalina_py.config.realm_spec import RealmSpec, UserDatabaseSpec, read_realm, read_user_database
from catalina_py.config.valve_spec import ValveSpec, frozen_map, read_valve, resolve_class
from catalina_py.config.workers import WORKERS_HINT, parse_workers
from catalina_py.config.xml import Attributes, Element, SourceLines, XmlReader, read_xml
from catalina_py.errors import ConfigError, ConfigWarning, Location

__all__ = [
    "EngineSpec",
    "HostSpec",
    "ListenerSpec",
    "ServerSpec",
    "ServiceSpec",
    "load_server_xml",
    "resolve_app_base",
    "resolve_doc_base",
]

# Attributes modelled as fields, per element.
_SERVER_ATTRS = frozenset({"port", "shutdown", "address", "workers"})
_SERVICE_ATTRS = frozenset({"name"})
_ENGINE_ATTRS = frozenset({"name", "defaultHost"})
_HOST_ATTRS = frozenset(
    {
        "name",
        "appBase",
        "autoDeploy",
        "deployOnStartup",
        "unpackWARs",
        "backgroundProcessorDelay",
        "deployXML",
        "deployIgnore",
    }
)

# Attributes Tomcat documents for each element but catalina_py does not
# implement: reported as "not supported" rather than as a possible typo.
_TOMCAT_SERVER_ATTRS = frozenset(
    {
        "className",
        "portOffset",
        "utilityThreads",
        "utilityThreadsAsDaemon",
        "periodicEventDelay",
    }
)
_TOMCAT_SERVICE_ATTRS = frozenset({"className", "gracefulStopAwaitMillis"})
_TOMCAT_ENGINE_ATTRS = frozenset(
    {
        "className",
        "backgroundProcessorDelay",
        "jvmRoute",
        "startStopThreads",
    }
)
_TOMCAT_HOST_ATTRS = frozenset(
    {
        "className",
        "copyXML",
        "createDirs",
        "errorReportValveClass",
        "failCtxIfServletStartFails",
        "legacyAppBase",
        "startStopThreads",
        "undeployOldVersions",
        "workDir",
        "xmlBase",
        "xmlNamespaceAware",
        "xmlValidation",
    }
)

# Child elements: the ones modelled, and the ones Tomcat knows but
# catalina_py ignores (with a warning), per parent element.
_CHILDREN: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "Server": (frozenset({"Service", "Listener", "GlobalNamingResources"}), frozenset()),
    "Service": (frozenset({"Connector", "Engine"}), frozenset({"Listener", "Executor"})),
    "Engine": (frozenset({"Host", "Valve", "Cluster", "Realm"}), frozenset({"Listener"})),
    "Host": (frozenset({"Alias", "Context", "Valve", "Realm"}), frozenset({"Listener", "Cluster"})),
    "GlobalNamingResources": (frozenset({"Resource"}), frozenset({"Environment", "ResourceLink", "Transaction"})),
}

_WILDCARD_ADDRESSES = frozenset({"0.0.0.0", "::", "[::]"})


# --------------------------------------------------------------------------
# Specs
# --------------------------------------------------------------------------


#: Class names of the Java world: a Tomcat (or third-party Java) listener,
#: recorded with a warning rather than imported.
_JAVA_PREFIXES = ("org.", "com.", "net.", "jakarta.", "javax.", "java.")


@dataclass(frozen=True)
class ListenerSpec:
    """A Server-level ``<Listener>``. Tomcat's own listener classes are
    recorded (with a warning) but not run; a Python class (a dotted path,
    checked importable while the file is read, such as
    ``catalina_py.trace_json.JsonTraceListener``) is run: ``python_class``
    names it (None for a Tomcat class)."""

    class_name: str
    attributes: Mapping[str, str]
    location: Location
    python_class: str | None = None


@dataclass(frozen=True)
class HostSpec:
    """A virtual ``<Host>``.  ``name`` and ``aliases`` are lower-cased."""

    name: str
    app_base: str
    auto_deploy: bool
    deploy_on_startup: bool
    #: Recorded only: catalina_py deploys directories, not WAR files.
    unpack_wars: bool
    aliases: tuple[str, ...]
    valves: tuple[ValveSpec, ...]
    contexts: tuple[ContextSpec, ...]
    location: Location
    #: Seconds between two checks of the Host's background processing
    #: (autoDeploy, reloadable contexts); Tomcat's default is 10, ours 1.
    background_processor_delay: int = 1
    #: ``deployXML``: whether a webapp's own ``META-INF/context.xml`` is
    #: read (its valves, ``privileged``...); false keeps webapps from
    #: configuring themselves.
    deploy_xml: bool = True
    #: ``deployIgnore``: a regular expression; appBase folders whose whole
    #: name matches it are not deployed.
    deploy_ignore: str | None = None
    #: The ``<Realm>`` of this Host (None: the Engine's applies).
    realm: RealmSpec | None = None


@dataclass(frozen=True)
class EngineSpec:
    """The ``<Engine>`` of a Service: its valves and virtual hosts."""

    name: str
    default_host: str
    valves: tuple[ValveSpec, ...]
    hosts: tuple[HostSpec, ...]
    location: Location
    #: The ``<Cluster>`` (Redis), or None: one process on its own.
    cluster: ClusterSpec | None = None
    #: The ``<Realm>`` of this Engine (None: no realm).
    realm: RealmSpec | None = None


@dataclass(frozen=True)
class ServiceSpec:
    """A ``<Service>``: connectors sharing one engine."""

    name: str
    connectors: tuple[ConnectorSpec, ...]
    engine: EngineSpec
    location: Location


@dataclass(frozen=True)
class ServerSpec:
    """The whole ``server.xml``; ``port`` -1 disables the shutdown port."""

    port: int
    shutdown: str
    address: str
    services: tuple[ServiceSpec, ...]
    listeners: tuple[ListenerSpec, ...]
    #: Worker processes (``workers``, not a Tomcat attribute): 1 is one
    #: process, as Tomcat; see catalina_py/config/workers.py.
    workers: int = 1
    #: The ``UserDatabase`` resources of ``<GlobalNamingResources>`` by
    #: name (what a UserDatabaseRealm's ``resourceName`` names).
    user_databases: Mapping[str, UserDatabaseSpec] = field(default_factory=dict)


# --------------------------------------------------------------------------
# Paths
# --------------------------------------------------------------------------


def resolve_app_base(host: HostSpec, catalina_base: str) -> str:
    """Absolute directory of ``host``'s appBase (relative to CATALINA_BASE)."""
    path = os.path.expanduser(host.app_base)
    if not os.path.isabs(path):
        path = os.path.join(catalina_base, path)
    return os.path.normpath(os.path.abspath(path))


def resolve_doc_base(context: ContextSpec, host: HostSpec, catalina_base: str) -> str:
    """Absolute docBase of ``context`` (relative to the Host's appBase)."""
    path = os.path.expanduser(context.doc_base)
    if not os.path.isabs(path):
        path = os.path.join(resolve_app_base(host, catalina_base), path)
    return os.path.normpath(os.path.abspath(path))


# --------------------------------------------------------------------------
# Listening sockets
# --------------------------------------------------------------------------


@dataclass
class _Bound:
    """A listening socket declared in the file, for conflict detection."""

    port: int
    address: str | None
    what: str
    location: Location


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


# --------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------


class _ServerXmlReader(XmlReader):
    """One ``server.xml`` read: the shared reader plus the listening
    sockets declared so far (the shutdown port and the connectors)."""

    def __init__(self, file: str, lines: SourceLines, properties: Mapping[str, str]) -> None:
        super().__init__(file, lines, properties=properties)
        self.bound: list[_Bound] = []

    def modelled(self, element: Element, tag: str) -> list[Element]:
        """The modelled children of a ``<tag>`` element (warning about the
        others)."""
        modelled, tomcat = _CHILDREN[tag]
        return list(self.children(element, tag, modelled, tomcat))

    def bind(self, new: _Bound) -> None:
        """Register a listening socket, failing if it clashes with one
        declared earlier."""
        if new.port == 0:  # an ephemeral port never clashes
            return
        for old in self.bound:
            if old.port == new.port and _addresses_clash(old.address, new.address):
                raise ConfigError.at(
                    new.location,
                    f"{new.what} port {new.port} on "
                    f"{_describe_address(new.address)} conflicts with "
                    f"{old.what} at {old.location} (port {old.port} on "
                    f"{_describe_address(old.address)})",
                    "a different port, or distinct specific addresses, for " "each listening socket",
                )
        self.bound.append(new)

    def server(self, root: Element) -> ServerSpec:
        """Read ``<Server>``."""
        attrs = self.attributes(root, "Server")
        attrs.check_names(_SERVER_ATTRS, _TOMCAT_SERVER_ATTRS)
        port = attrs.port("port", 8005, allow_disabled=True)
        shutdown = attrs.get("shutdown", "SHUTDOWN") or ""
        if not shutdown:
            raise attrs.error("shutdown", "attribute shutdown of <Server> is " "empty", 'shutdown="SHUTDOWN"')
        address = attrs.get("address", "localhost") or ""
        if not address.strip():
            raise attrs.error("address", "attribute address of <Server> is " "empty", 'address="localhost"')
        workers = 1
        if "workers" in attrs:
            try:
                workers = parse_workers(attrs.get("workers") or "")
            except ValueError as exc:
                raise attrs.error("workers", f"attribute workers of <Server>: {exc}", WORKERS_HINT) from None
        if port > 0:
            self.bound.append(_Bound(port, address, "the shutdown port of " "<Server>", attrs.location))
        listeners: list[ListenerSpec] = []
        services: list[ServiceSpec] = []
        names: dict[str, Location] = {}
        user_databases: dict[str, UserDatabaseSpec] = {}
        for child in self.modelled(root, "Server"):
            if child.tag == "Listener":
                listeners.append(self.listener(child))
                continue
            if child.tag == "GlobalNamingResources":
                self.global_resources(child, user_databases)
                continue
            service = self.service(child)
            if service.name in names:
                raise ConfigError.at(
                    service.location,
                    f"duplicate <Service> name '{service.name}' (first " f"declared at {names[service.name]})",
                    "a unique name for each <Service>",
                )
            names[service.name] = service.location
            services.append(service)
        if not services:
            self.warn(attrs.location, "no <Service> in <Server>: the server " "will not accept any request")
        return ServerSpec(
            port=port,
            shutdown=shutdown,
            address=address,
            services=tuple(services),
            listeners=tuple(listeners),
            workers=workers,
            user_databases=MappingProxyType(user_databases),
        )

    def global_resources(self, element: Element, found: dict[str, UserDatabaseSpec]) -> None:
        """Read ``<GlobalNamingResources>``: its UserDatabase resources."""
        self.attributes(element, "GlobalNamingResources").check_names(())
        for child in self.modelled(element, "GlobalNamingResources"):
            database = read_user_database(self, child)
            if database is None:
                continue
            if database.name in found:
                raise ConfigError.at(
                    database.location,
                    f"duplicate <Resource> name '{database.name}' (first declared at {found[database.name].location})",
                    "a unique name for each <Resource>",
                )
            found[database.name] = database

    def realm_once(self, child: Element, realm: RealmSpec | None, tag: str) -> RealmSpec:
        """Read a ``<Realm>`` child of ``<tag>``, refusing a second one."""
        if realm is not None:
            raise self.error(
                child,
                f"more than one <Realm> in <{tag}> (first at {realm.location})",
                "one <Realm> per container; combine several with org.apache.catalina.realm.CombinedRealm",
            )
        return read_realm(self, child)

    def listener(self, element: Element) -> ListenerSpec:
        """Read a Server-level ``<Listener>``: a Python class is checked and
        kept to run; one of Tomcat's is kept with a warning."""
        attrs = self.attributes(element, "Listener")
        class_name = attrs.required("className", 'className="catalina_py.trace_json.JsonTraceListener"')
        self.no_children(element, "Listener")
        attributes = frozen_map(attrs.others("className"))
        if class_name.startswith(_JAVA_PREFIXES) or "." not in class_name:
            self.warn(attrs.location, f"<Listener> {class_name} is not supported" " by catalina_py, ignored")
            return ListenerSpec(class_name, attributes, attrs.location)
        try:
            cls = resolve_class(class_name)
        except (ImportError, TypeError) as exc:
            raise ConfigError.at(
                attrs.location,
                f"cannot load listener class '{class_name}': {exc}",
                'a Python class path such as className="catalina_py.trace_json.JsonTraceListener"',
            ) from None
        known = getattr(cls, "ATTRIBUTES", None)
        if known is not None:
            for name in sorted(set(attributes) - set(known)):
                self.warn(attrs.location, f"<Listener> {class_name} has no attribute '{name}', ignored")
        return ListenerSpec(class_name, attributes, attrs.location, class_name)

    def service(self, element: Element) -> ServiceSpec:
        """Read ``<Service>``: its connectors and exactly one engine."""
        attrs = self.attributes(element, "Service")
        attrs.check_names(_SERVICE_ATTRS, _TOMCAT_SERVICE_ATTRS)
        name = attrs.required("name", '<Service name="Catalina">')
        connectors: list[ConnectorSpec] = []
        engines: list[EngineSpec] = []
        for child in self.modelled(element, "Service"):
            if child.tag == "Connector":
                connector = read_connector(self, child)
                assert connector.location is not None
                self.bind(_Bound(connector.port, connector.address, "<Connector>", connector.location))
                connectors.append(connector)
            else:
                if engines:
                    raise self.error(
                        child,
                        f'<Service name="{name}"> has more than one ' "<Engine>",
                        "exactly one <Engine> per <Service>",
                    )
                engines.append(self.engine(child))
        if not engines:
            raise ConfigError.at(
                attrs.location,
                f'<Service name="{name}"> has no <Engine>',
                'exactly one <Engine name="..." defaultHost="..."> per ' "<Service>",
            )
        if not connectors:
            self.warn(attrs.location, f'<Service name="{name}"> has no ' "<Connector>: it will not accept any request")
        return ServiceSpec(name, tuple(connectors), engines[0], attrs.location)

    def engine(self, element: Element) -> EngineSpec:
        """Read ``<Engine>``: its valves and hosts."""
        attrs = self.attributes(element, "Engine")
        attrs.check_names(_ENGINE_ATTRS, _TOMCAT_ENGINE_ATTRS)
        name = attrs.required("name", '<Engine name="Catalina" ' 'defaultHost="localhost">')
        default_host = (
            attrs.required("defaultHost", 'defaultHost="localhost" naming one of the ' "<Host> elements")
            .strip()
            .lower()
        )
        valves: list[ValveSpec] = []
        hosts: list[HostSpec] = []
        seen: dict[str, tuple[str, Location]] = {}
        cluster: ClusterSpec | None = None
        realm: RealmSpec | None = None
        for child in self.modelled(element, "Engine"):
            if child.tag == "Realm":
                realm = self.realm_once(child, realm, "Engine")
                continue
            if child.tag == "Valve":
                valves.append(read_valve(self, child))
                continue
            if child.tag == "Cluster":
                if cluster is not None:
                    raise self.error(child, "more than one <Cluster> in <Engine>", "one <Cluster> per <Engine>")
                cluster = read_cluster(self, child)
                continue
            host = self.host(child)
            for alias in (host.name, *host.aliases):
                if alias in seen:
                    kind, where = seen[alias]
                    raise ConfigError.at(
                        host.location,
                        f"duplicate host name '{alias}': already used as a " f"{kind} at {where}",
                        "a unique name and aliases for each <Host>",
                    )
                seen[alias] = ("<Host> name" if alias == host.name else "<Alias>", host.location)
            hosts.append(host)
        if default_host not in {host.name for host in hosts}:
            names = ", ".join(host.name for host in hosts) or "none"
            raise attrs.error(
                "defaultHost",
                f"defaultHost '{default_host}' of <Engine> names no <Host> " f"(hosts: {names})",
                "defaultHost equal to the name of one of the Engine's " "<Host> elements",
            )
        return EngineSpec(name, default_host, tuple(valves), tuple(hosts), attrs.location, cluster, realm)

    def host(self, element: Element) -> HostSpec:
        """Read ``<Host>``: aliases, valves and contexts."""
        attrs = self.attributes(element, "Host")
        attrs.check_names(_HOST_ATTRS, _TOMCAT_HOST_ATTRS)
        name = attrs.required("name", '<Host name="localhost" ' 'appBase="webapps">').strip().lower()
        app_base = attrs.get("appBase", "webapps") or ""
        if not app_base.strip():
            raise attrs.error(
                "appBase",
                "attribute appBase of <Host> is " "empty",
                'appBase="webapps" (relative to ' "CATALINA_BASE) or an absolute directory",
            )
        aliases: list[str] = []
        valves: list[ValveSpec] = []
        contexts: list[ContextSpec] = []
        paths: dict[str, Location] = {}
        realm: RealmSpec | None = None
        for child in self.modelled(element, "Host"):
            if child.tag == "Realm":
                realm = self.realm_once(child, realm, "Host")
            elif child.tag == "Alias":
                aliases.append(self.alias(child))
            elif child.tag == "Valve":
                valves.append(read_valve(self, child))
            else:
                context = read_context(self, child)
                if context.path in paths:
                    raise ConfigError.at(
                        context.location,
                        f"duplicate <Context> path '{context.path}' in "
                        f'<Host name="{name}"> (first declared at '
                        f"{paths[context.path]})",
                        "a unique path for each <Context> of a <Host>",
                    )
                paths[context.path] = context.location
                contexts.append(context)
        return HostSpec(
            name=name,
            app_base=app_base,
            auto_deploy=attrs.boolean("autoDeploy", True),
            deploy_on_startup=attrs.boolean("deployOnStartup", True),
            unpack_wars=attrs.boolean("unpackWARs", True),
            aliases=tuple(alias for alias in dict.fromkeys(aliases) if alias != name),
            valves=tuple(valves),
            contexts=tuple(contexts),
            location=attrs.location,
            background_processor_delay=attrs.integer(
                "backgroundProcessorDelay", 1, minimum=1, hint="a number of seconds, 1 or more"
            ),
            deploy_xml=attrs.boolean("deployXML", True),
            deploy_ignore=self.deploy_ignore(attrs),
            realm=realm,
        )

    @staticmethod
    def deploy_ignore(attrs: Attributes) -> str | None:
        """``deployIgnore`` of a Host, checked to be a regular expression."""
        pattern = attrs.get("deployIgnore")
        if not pattern:
            return None
        try:
            re.compile(pattern)
        except re.error as exc:
            raise attrs.error(
                "deployIgnore",
                f"attribute deployIgnore of <Host> is not a regular expression ({exc})",
                'a regular expression matched against whole folder names, e.g. deployIgnore="private|.*\\.bak"',
            ) from None
        return str(pattern)

    def alias(self, element: Element) -> str:
        """Read ``<Alias>``: another name of the enclosing Host."""
        location = self.location(element)
        for name in element.attrib:
            self.warn(location, f"unknown attribute {name!s} on <Alias>, " "ignored")
        self.no_children(element, "Alias")
        alias = self.substituted(element, element.text or "", "<Alias>").strip().lower()
        if not alias:
            raise ConfigError.at(location, "<Alias> is empty", "<Alias>www.example.com</Alias>")
        return alias


def load_server_xml(path: str, properties: Mapping[str, str]) -> tuple[ServerSpec, list[ConfigWarning]]:
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
            path,
            lines.start_line(root),
            '<Server port="8005" shutdown="SHUTDOWN">',
        )
    reader = _ServerXmlReader(path, lines, properties)
    return reader.server(root), reader.warnings
