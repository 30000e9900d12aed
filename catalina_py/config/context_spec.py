"""``<Context>`` elements, in ``server.xml``, in a context descriptor
(``conf/<Engine>/<Host>/<name>.xml``), in a webapp's
``META-INF/context.xml``, and the defaults of every context
(``conf/context.xml``).

:func:`read_context` reads the element wherever it is;
:func:`load_context_descriptor` reads a descriptor file (or a webapp's
``META-INF/context.xml``), whose name or folder gives the context path;
:func:`load_context_defaults` reads ``conf/context.xml`` and
:func:`merge_context_defaults` lays it under a context. Which file wins is
``catalina_py.deploy.context_xml``'s business.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from catalina_py.config.realm_spec import RealmSpec, read_realm
from catalina_py.config.valve_spec import ValveSpec, frozen_map, read_valve
from catalina_py.config.xml import Element, XmlReader, read_xml
from catalina_py.errors import ConfigError, ConfigWarning, Location

__all__ = [
    "CONTEXT_ATTRIBUTES",
    "CONTEXT_CHILDREN",
    "CONTEXT_PASSTHROUGH_ATTRIBUTES",
    "ContextEnvironment",
    "ContextParameter",
    "ContextSpec",
    "ENVIRONMENT_TYPES",
    "ManagerSpec",
    "TOMCAT_CONTEXT_ATTRIBUTES",
    "TOMCAT_CONTEXT_CHILDREN",
    "default_doc_base",
    "load_context_defaults",
    "load_context_descriptor",
    "merge_context_defaults",
    "read_context",
]

#: Tomcat ``<Context>`` attributes accepted silently into
#: :attr:`ContextSpec.attributes`.  Add a name here once it is honoured.
CONTEXT_PASSTHROUGH_ATTRIBUTES: frozenset[str] = frozenset(
    {
        "allowCasualMultipartParsing",
        "cookies",
        "copyXML",
        "crossContext",
        "privileged",
        "sessionCookieDomain",
        "sessionCookieName",
        "sessionCookiePath",
        "useHttpOnly",
    }
)

#: The passthrough attributes that take true or false (checked when read).
BOOLEAN_ATTRIBUTES = frozenset(
    {"allowCasualMultipartParsing", "cookies", "copyXML", "crossContext", "privileged", "useHttpOnly"}
)

#: ``<Environment type>`` values (Java's, as Tomcat's ``<env-entry-type>``)
#: and the Python type a value is converted to.
ENVIRONMENT_TYPES: Mapping[str, type] = {
    "java.lang.String": str,
    "java.lang.Character": str,
    "java.lang.Boolean": bool,
    "java.lang.Byte": int,
    "java.lang.Short": int,
    "java.lang.Integer": int,
    "java.lang.Long": int,
    "java.lang.Float": float,
    "java.lang.Double": float,
}

#: ``<Manager>`` attributes honoured, and the ones Tomcat's StandardManager
#: documents (reported as not supported).
MANAGER_ATTRIBUTES = frozenset({"className", "maxActiveSessions", "pathname"})
TOMCAT_MANAGER_ATTRIBUTES = frozenset(
    {
        "maxInactiveInterval",
        "notifyAttributeListenerOnUnchangedValue",
        "notifyBindingListenerOnUnchangedValue",
        "persistAuthentication",
        "processExpiresFrequency",
        "secureRandomAlgorithm",
        "secureRandomClass",
        "secureRandomProvider",
        "sessionAttributeNameFilter",
        "sessionAttributeValueClassNameFilter",
        "warnOnSessionAttributeFilterFailure",
    }
)
#: The one ``<Manager className>`` there is.
STANDARD_MANAGER = "org.apache.catalina.session.StandardManager"

#: ``<Context>`` attributes modelled by :class:`ContextSpec`.
CONTEXT_ATTRIBUTES = frozenset({"path", "docBase", "reloadable", "allowLinking"})

#: ``<Resources>`` attributes modelled (only ``allowLinking``), and the
#: ones Tomcat documents (reported as not supported).
RESOURCES_ATTRIBUTES = frozenset({"allowLinking"})
TOMCAT_RESOURCES_ATTRIBUTES = frozenset(
    {
        "cacheMaxSize",
        "cacheObjectMaxSize",
        "cacheTtl",
        "cachingAllowed",
        "className",
        "trackLockedFiles",
        "archiveIndexStrategy",
    }
)

#: ``<Context>`` attributes Tomcat documents but catalina_py does not
#: implement: reported as "not supported" rather than as a possible typo.
TOMCAT_CONTEXT_ATTRIBUTES = frozenset(
    {
        "addWebinfClassesResources",
        "allowMultipleLeadingForwardSlashInPath",
        "altDDName",
        "alwaysAccessSession",
        "antiResourceLocking",
        "backgroundProcessorDelay",
        "className",
        "clearReferencesHttpClientKeepAliveThread",
        "clearReferencesRmiTargets",
        "clearReferencesStopThreads",
        "clearReferencesStopTimerThreads",
        "clearReferencesThreadLocals",
        "containerSciFilter",
        "contextGetResourceRequiresSlash",
        "createUploadTargets",
        "dispatcherWrapsSameObject",
        "dispatchersUseEncodedPaths",
        "encodedReverseSolidusHandling",
        "encodedSolidusHandling",
        "failCtxIfServletStartFails",
        "fireRequestListenersOnForwards",
        "ignoreAnnotations",
        "jndiExceptionOnFailedWrite",
        "logEffectiveWebXml",
        "mapperContextRootRedirectEnabled",
        "mapperDirectoryRedirectEnabled",
        "override",
        "parallelAnnotationScanning",
        "preemptiveAuthentication",
        "renewThreadsWhenStoppingContext",
        "resourceOnlyServlets",
        "sendRedirectBody",
        "sessionCookiePathUsesTrailingSlash",
        "skipMemoryLeakChecksOnJvmShutdown",
        "suspendWrappedResponseAfterForward",
        "swallowAbortedUploads",
        "swallowOutput",
        "tldValidation",
        "unloadDelay",
        "unpackWAR",
        "useNaming",
        "usePartitioned",
        "useRelativeRedirects",
        "validateClientProvidedNewSessionId",
        "workDir",
        "wrapperClass",
        "xmlBlockExternal",
        "xmlNamespaceAware",
        "xmlValidation",
    }
)

#: ``<Context>`` children modelled, and the ones Tomcat knows but
#: catalina_py ignores (with a warning).
CONTEXT_CHILDREN = frozenset({"Valve", "Resources", "Parameter", "Environment", "Manager", "WatchedResource", "Realm"})
TOMCAT_CONTEXT_CHILDREN = frozenset(
    {
        "Listener",
        "Loader",
        "Resource",
        "ResourceLink",
        "ResourceEnvRef",
        "Transaction",
        "WrapperLifecycle",
        "WrapperListener",
        "JarScanner",
        "CookieProcessor",
        "InstanceListener",
        "SessionIdGenerator",
    }
)


@dataclass(frozen=True)
class ContextParameter:
    """``<Parameter name value override>``: a context init parameter.

    ``override`` true (the default, as Tomcat): a ``<context-param>`` of the
    same name in web.xml wins; false: this value wins over web.xml's."""

    name: str
    value: str
    override: bool
    location: Location


@dataclass(frozen=True)
class ContextEnvironment:
    """``<Environment name value type override>``: a named value for the
    webapp's code (Tomcat's ``java:comp/env`` entry), already converted to
    the Python type its Java ``type`` names (:data:`ENVIRONMENT_TYPES`)."""

    name: str
    value: str | int | float | bool
    type: str
    override: bool
    location: Location


@dataclass(frozen=True)
class ManagerSpec:
    """``<Manager>``: the StandardManager's ``maxActiveSessions`` (None: not
    set) and ``pathname`` (None: not set, the default sessions file in the
    work folder; ``""``: no persistence; relative: to the work folder)."""

    max_active_sessions: int | None
    pathname: str | None
    location: Location


@dataclass(frozen=True)
class ContextSpec:
    """A ``<Context>`` declared in ``server.xml`` inside a ``<Host>``, or
    read from a context descriptor, a webapp's ``META-INF/context.xml`` or
    ``conf/context.xml``.

    ``doc_base`` is as written (absolute, or relative to the Host's
    appBase; see :func:`~catalina_py.config.server_xml.resolve_doc_base`).
    ``attributes`` keeps the other Tomcat Context attributes as written
    (:data:`CONTEXT_PASSTHROUGH_ATTRIBUTES`, read through the properties
    below, and the unsupported ones, which were warned about).
    """

    path: str
    doc_base: str
    reloadable: bool
    valves: tuple[ValveSpec, ...]
    attributes: Mapping[str, str]
    location: Location
    #: ``<Resources allowLinking="true"/>`` (Tomcat 10.1's place for it) or
    #: ``allowLinking`` on ``<Context>`` (Tomcat 7's, accepted too): follow
    #: symbolic links inside the webapp. False by default, as in Tomcat.
    allow_linking: bool = False
    #: ``<Parameter>`` children, in document order.
    parameters: tuple[ContextParameter, ...] = ()
    #: ``<Environment>`` children, in document order.
    environments: tuple[ContextEnvironment, ...] = ()
    #: ``<Manager>`` (None: the defaults).
    manager: ManagerSpec | None = None
    #: ``<WatchedResource>`` texts: files (relative to the docBase, or
    #: absolute) whose change reloads the context.
    watched_resources: tuple[str, ...] = ()
    #: The modelled attributes written on the element (``docBase``,
    #: ``reloadable``, ``allowLinking``), so that ``conf/context.xml``'s
    #: value applies only where the context's own file says nothing.
    written: frozenset[str] = frozenset({"path", "docBase", "reloadable"})
    #: The context's own ``<Realm>`` (None: the Host's or Engine's applies).
    realm: RealmSpec | None = None

    def _flag(self, name: str, default: bool) -> bool:
        value = self.attributes.get(name)
        return default if value is None else value.lower() == "true"

    @property
    def cross_context(self) -> bool:
        """``crossContext``: ``ServletContext.get_context`` may return other webapps."""
        return self._flag("crossContext", False)

    @property
    def privileged(self) -> bool:
        """``privileged``: the webapp may reach the container (the Manager)."""
        return self._flag("privileged", False)

    @property
    def copy_xml(self) -> bool:
        """``copyXML`` on the Context (the Host's attribute also turns it on)."""
        return self._flag("copyXML", False)

    @property
    def cookies(self) -> bool:
        """``cookies``: session ids may travel in a cookie (default true)."""
        return self._flag("cookies", True)

    @property
    def use_http_only(self) -> bool | None:
        """``useHttpOnly`` as written (None: not written; Tomcat's default is true)."""
        value = self.attributes.get("useHttpOnly")
        return None if value is None else value.lower() == "true"

    @property
    def session_cookie_name(self) -> str | None:
        """``sessionCookieName``: wins over web.xml's ``<cookie-config><name>``."""
        return self.attributes.get("sessionCookieName") or None

    @property
    def session_cookie_path(self) -> str | None:
        """``sessionCookiePath``: wins over web.xml's ``<cookie-config><path>``."""
        return self.attributes.get("sessionCookiePath") or None

    @property
    def session_cookie_domain(self) -> str | None:
        """``sessionCookieDomain``: wins over web.xml's ``<cookie-config><domain>``."""
        return self.attributes.get("sessionCookieDomain") or None


def default_doc_base(path: str) -> str:
    """Tomcat's base name for a context path: ``""`` -> ``ROOT``, ``/a/b``
    -> ``a#b``."""
    return "ROOT" if path == "" else path[1:].replace("/", "#")


def read_context(reader: XmlReader, element: Element) -> ContextSpec:
    """Read ``<Context>``: its attributes, ``<Valve>``, ``<Resources>``,
    ``<Parameter>``, ``<Environment>``, ``<Manager>`` and
    ``<WatchedResource>`` children."""
    attrs = reader.attributes(element, "Context")
    extra = attrs.check_names(CONTEXT_ATTRIBUTES, TOMCAT_CONTEXT_ATTRIBUTES, CONTEXT_PASSTHROUGH_ATTRIBUTES)
    for name in BOOLEAN_ATTRIBUTES & extra.keys():
        extra[name] = "true" if attrs.boolean(name, False) else "false"
    path_hint = 'path="" for the root context, or "/name" (starting ' 'and not ending with "/")'
    if "path" not in attrs:
        raise ConfigError.at(attrs.location, "<Context> is missing the required attribute" " path", path_hint)
    path = attrs.values["path"]
    if path != "" and (not path.startswith("/") or path.endswith("/")):
        if path == "/":
            suggestion = 'path="" (the root context)'
        else:
            suggestion = f'path="/{path.strip("/")}"'
        raise attrs.error("path", f"invalid <Context> path '{path}'", suggestion)
    doc_base = attrs.get("docBase")
    if doc_base is None:
        doc_base = default_doc_base(path)
    elif not doc_base.strip():
        raise attrs.error(
            "docBase",
            "attribute docBase of <Context> is " "empty",
            "a directory, absolute or relative to" " the Host's appBase",
        )
    valves = []
    parameters: list[ContextParameter] = []
    environments: list[ContextEnvironment] = []
    watched: list[str] = []
    manager: ManagerSpec | None = None
    allow_linking = attrs.boolean("allowLinking", False)
    written = {name for name in ("path", "docBase", "reloadable", "allowLinking") if name in attrs}
    realm: RealmSpec | None = None
    for child in reader.children(element, "Context", CONTEXT_CHILDREN, TOMCAT_CONTEXT_CHILDREN):
        tag = str(child.tag).rsplit("}", 1)[-1]
        if tag == "Realm":
            if realm is not None:
                raise reader.error(
                    child, f"more than one <Realm> in <Context> (first at {realm.location})", "one <Realm>"
                )
            realm = read_realm(reader, child)
        elif tag == "Resources":
            resources = reader.attributes(child, "Resources")
            resources.check_names(RESOURCES_ATTRIBUTES, TOMCAT_RESOURCES_ATTRIBUTES)
            if "allowLinking" in resources:
                written.add("allowLinking")
            allow_linking = resources.boolean("allowLinking", allow_linking)
            reader.no_children(child, "Resources")
        elif tag == "Parameter":
            parameters.append(_read_parameter(reader, child))
        elif tag == "Environment":
            environments.append(_read_environment(reader, child))
        elif tag == "Manager":
            if manager is not None:
                raise reader.error(child, "<Context> has two <Manager> elements", "keep one <Manager>")
            manager = _read_manager(reader, child)
        elif tag == "WatchedResource":
            text = reader.substituted(child, reader.text(child), "<WatchedResource>")
            if not text:
                raise reader.error(
                    child, "<WatchedResource> is empty", "a file relative to the docBase, e.g. WEB-INF/web.xml"
                )
            watched.append(text)
        else:
            valves.append(read_valve(reader, child))
    return ContextSpec(
        path,
        doc_base,
        attrs.boolean("reloadable", False),
        tuple(valves),
        frozen_map(extra),
        attrs.location,
        allow_linking=allow_linking,
        parameters=tuple(parameters),
        environments=tuple(environments),
        manager=manager,
        watched_resources=tuple(watched),
        written=frozenset(written),
        realm=realm,
    )


def _read_parameter(reader: XmlReader, element: Element) -> ContextParameter:
    attrs = reader.attributes(element, "Parameter")
    attrs.check_names({"name", "value", "override", "description"})
    reader.no_children(element, "Parameter")
    name = attrs.required("name", '<Parameter name="companyName" value="My Company" override="false"/>')
    value = attrs.get("value")
    if value is None:
        raise ConfigError.at(
            attrs.location,
            "<Parameter> is missing the required attribute value",
            f'<Parameter name="{name}" value="..."/>',
        )
    return ContextParameter(name, value, attrs.boolean("override", True), attrs.location)


def _read_environment(reader: XmlReader, element: Element) -> ContextEnvironment:
    attrs = reader.attributes(element, "Environment")
    attrs.check_names({"name", "value", "type", "override", "description"})
    reader.no_children(element, "Environment")
    example = '<Environment name="maxExemptions" value="10" type="java.lang.Integer" override="false"/>'
    name = attrs.required("name", example)
    type_name = attrs.required("type", ", ".join(ENVIRONMENT_TYPES))
    if type_name not in ENVIRONMENT_TYPES:
        raise attrs.error(
            "type", f"<Environment> type '{type_name}' is not supported", "one of " + ", ".join(ENVIRONMENT_TYPES)
        )
    text = attrs.get("value")
    if text is None:
        raise ConfigError.at(attrs.location, "<Environment> is missing the required attribute value", example)
    value: str | int | float | bool
    kind = ENVIRONMENT_TYPES[type_name]
    try:
        if kind is bool:
            value = text.strip().lower() == "true"  # Java's Boolean.valueOf
        elif kind is int:
            value = int(text.strip())
        elif kind is float:
            value = float(text.strip())
        else:
            value = text
    except ValueError:
        raise attrs.error(
            "value", f"<Environment> {name}: '{text}' is not a {type_name}", f"a {type_name} value"
        ) from None
    if type_name == "java.lang.Character" and len(text) != 1:
        raise attrs.error("value", f"<Environment> {name}: a java.lang.Character is one character", "one character")
    return ContextEnvironment(name, value, type_name, attrs.boolean("override", True), attrs.location)


def _read_manager(reader: XmlReader, element: Element) -> ManagerSpec:
    attrs = reader.attributes(element, "Manager")
    attrs.check_names(MANAGER_ATTRIBUTES, TOMCAT_MANAGER_ATTRIBUTES)
    class_name = attrs.get("className", STANDARD_MANAGER)
    if class_name != STANDARD_MANAGER:
        raise attrs.error(
            "className",
            f'<Manager className="{class_name}"> is not supported: catalina_py has Tomcat\'s StandardManager only',
            f"remove className or write {STANDARD_MANAGER}",
        )
    max_active = attrs.optional_integer("maxActiveSessions", minimum=-1, hint="-1 (no limit) or a number of sessions")
    for tag, child in reader.elements(element):
        reader.warn(child, f"<{tag}> in <Manager> is not supported by catalina_py, ignored")
    return ManagerSpec(max_active, attrs.get("pathname"), attrs.location)


def load_context_descriptor(
    path: str, context_path: str, properties: Mapping[str, str], data: bytes | None = None
) -> tuple[ContextSpec, list[ConfigWarning]]:
    """Read a context descriptor (``conf/<Engine>/<Host>/<name>.xml``) or a
    webapp's ``META-INF/context.xml`` (*data*: its bytes, when already
    read, e.g. from a WAR).

    Its root is a ``<Context>`` as in ``server.xml``, except that the file
    name (or the webapp's folder) gives the path (``context_path``): as in
    Tomcat, a ``path`` attribute is ignored with a warning.  Raises
    :class:`ConfigError` with file and line on the first error.
    """
    reader, root = _open_context_file(path, properties, data, '<Context docBase="/path/to/webapp" reloadable="false">')
    written = root.get("path")
    if written is not None and written != context_path:
        reader.warn(
            root,
            f"The path attribute with value [{written}] in deployment descriptor [{path}] has been ignored: "
            f"the file name gives the path [{context_path}]",
        )
    root.set("path", context_path)
    return read_context(reader, root), reader.warnings


def load_context_defaults(path: str, properties: Mapping[str, str]) -> tuple[ContextSpec, list[ConfigWarning]]:
    """Read ``conf/context.xml``: the ``<Context>`` laid under every context
    of the server (see :func:`merge_context_defaults`). Its ``path`` and
    ``docBase`` mean nothing there and are ignored with a warning."""
    reader, root = _open_context_file(
        path, properties, None, "<Context><WatchedResource>WEB-INF/web.xml</WatchedResource>"
    )
    for name in ("path", "docBase"):
        if root.get(name) is not None:
            reader.warn(root, f"attribute {name} of the default <Context> in [{path}] is ignored")
            del root.attrib[name]
    root.set("path", "")
    return read_context(reader, root), reader.warnings


def _open_context_file(
    path: str, properties: Mapping[str, str], data: bytes | None, hint: str
) -> tuple[XmlReader, Element]:
    tree, lines = read_xml(path, "<Context>", data)
    root = tree.getroot()
    if root.tag != "Context":
        raise ConfigError(
            f"the root element of a context file must be <Context>, found <{root.tag}>",
            path,
            lines.start_line(root),
            hint,
        )
    return XmlReader(path, lines, properties=properties), root


def merge_context_defaults(defaults: ContextSpec | None, spec: ContextSpec) -> ContextSpec:
    """*spec* over the defaults of ``conf/context.xml`` (Tomcat reads that
    file first into every context, then the context's own): an attribute
    the context's file does not write takes the default's value; valves,
    environment entries, parameters and watched resources add up, the
    context's own winning for a name both give; its ``<Manager>`` replaces
    the default's, and so does its ``<Realm>``."""
    if defaults is None:
        return spec
    changes: dict[str, object] = {}
    if "reloadable" not in spec.written and "reloadable" in defaults.written:
        changes["reloadable"] = defaults.reloadable
    if "allowLinking" not in spec.written and "allowLinking" in defaults.written:
        changes["allow_linking"] = defaults.allow_linking
    own_parameters = {parameter.name for parameter in spec.parameters}
    own_environments = {environment.name for environment in spec.environments}
    changes["attributes"] = frozen_map({**defaults.attributes, **spec.attributes})
    changes["valves"] = defaults.valves + spec.valves
    changes["parameters"] = tuple(p for p in defaults.parameters if p.name not in own_parameters) + spec.parameters
    changes["environments"] = (
        tuple(e for e in defaults.environments if e.name not in own_environments) + spec.environments
    )
    changes["watched_resources"] = tuple(dict.fromkeys(defaults.watched_resources + spec.watched_resources))
    changes["manager"] = spec.manager if spec.manager is not None else defaults.manager
    changes["realm"] = spec.realm if spec.realm is not None else defaults.realm
    return replace(spec, **changes)  # type: ignore[arg-type]
