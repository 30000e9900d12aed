"""``<Context>`` elements, in ``server.xml`` or in a context descriptor
(``conf/<Engine>/<Host>/<name>.xml``).

:func:`read_context` reads the element wherever it is;
:func:`load_context_descriptor` reads a descriptor file, whose name gives
the context path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from catalina_py.config.realm_spec import RealmSpec, read_realm
from catalina_py.config.valve_spec import ValveSpec, frozen_map, read_valve
from catalina_py.config.xml import Element, XmlReader, read_xml
from catalina_py.errors import ConfigError, ConfigWarning, Location

__all__ = [
    "CONTEXT_ATTRIBUTES",
    "CONTEXT_CHILDREN",
    "CONTEXT_PASSTHROUGH_ATTRIBUTES",
    "ContextSpec",
    "TOMCAT_CONTEXT_ATTRIBUTES",
    "TOMCAT_CONTEXT_CHILDREN",
    "default_doc_base",
    "load_context_descriptor",
    "read_context",
]

#: Tomcat ``<Context>`` attributes accepted silently into
#: :attr:`ContextSpec.attributes`.  Add a name here once it is honoured.
CONTEXT_PASSTHROUGH_ATTRIBUTES: frozenset[str] = frozenset(
    {"allowCasualMultipartParsing", "crossContext", "privileged"}
)

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
        "allowCasualMultipartParsing",
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
        "cookies",
        "copyXML",
        "createUploadTargets",
        "crossContext",
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
        "privileged",
        "renewThreadsWhenStoppingContext",
        "resourceOnlyServlets",
        "sendRedirectBody",
        "sessionCookieDomain",
        "sessionCookieName",
        "sessionCookiePath",
        "sessionCookiePathUsesTrailingSlash",
        "skipMemoryLeakChecksOnJvmShutdown",
        "suspendWrappedResponseAfterForward",
        "swallowAbortedUploads",
        "swallowOutput",
        "tldValidation",
        "unloadDelay",
        "unpackWAR",
        "useHttpOnly",
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
CONTEXT_CHILDREN = frozenset({"Valve", "Resources", "Realm"})
TOMCAT_CONTEXT_CHILDREN = frozenset(
    {
        "Listener",
        "Loader",
        "Manager",
        "Parameter",
        "Environment",
        "Resource",
        "ResourceLink",
        "ResourceEnvRef",
        "Transaction",
        "WatchedResource",
        "WrapperLifecycle",
        "WrapperListener",
        "JarScanner",
        "CookieProcessor",
        "InstanceListener",
        "SessionIdGenerator",
    }
)


@dataclass(frozen=True)
class ContextSpec:
    """A ``<Context>`` declared in ``server.xml`` inside a ``<Host>``, or
    read from a context descriptor.

    ``doc_base`` is as written (absolute, or relative to the Host's
    appBase; see :func:`~catalina_py.config.server_xml.resolve_doc_base`).
    ``attributes`` keeps the other Tomcat Context attributes, which
    catalina_py does not interpret (except ``crossContext``).
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
    #: The context's own ``<Realm>`` (None: the Host's or Engine's applies).
    realm: RealmSpec | None = None


def default_doc_base(path: str) -> str:
    """Tomcat's base name for a context path: ``""`` -> ``ROOT``, ``/a/b``
    -> ``a#b``."""
    return "ROOT" if path == "" else path[1:].replace("/", "#")


def read_context(reader: XmlReader, element: Element) -> ContextSpec:
    """Read ``<Context>``: path, docBase, reloadable and valves."""
    attrs = reader.attributes(element, "Context")
    extra = attrs.check_names(CONTEXT_ATTRIBUTES, TOMCAT_CONTEXT_ATTRIBUTES, CONTEXT_PASSTHROUGH_ATTRIBUTES)
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
    allow_linking = attrs.boolean("allowLinking", False)
    realm: RealmSpec | None = None
    for child in reader.children(element, "Context", CONTEXT_CHILDREN, TOMCAT_CONTEXT_CHILDREN):
        if str(child.tag).rsplit("}", 1)[-1] == "Realm":
            if realm is not None:
                raise reader.error(
                    child, f"more than one <Realm> in <Context> (first at {realm.location})", "one <Realm>"
                )
            realm = read_realm(reader, child)
        elif str(child.tag).rsplit("}", 1)[-1] == "Resources":
            resources = reader.attributes(child, "Resources")
            resources.check_names(RESOURCES_ATTRIBUTES, TOMCAT_RESOURCES_ATTRIBUTES)
            allow_linking = resources.boolean("allowLinking", allow_linking)
            reader.no_children(child, "Resources")
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
        realm=realm,
    )


def load_context_descriptor(
    path: str, context_path: str, properties: Mapping[str, str]
) -> tuple[ContextSpec, list[ConfigWarning]]:
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
            f"the root element of a context descriptor must be <Context>, " f"found <{root.tag}>",
            path,
            lines.start_line(root),
            '<Context docBase="/path/to/webapp" reloadable="false">',
        )
    reader = XmlReader(path, lines, properties=properties)
    written = root.get("path")
    if written is not None and written != context_path:
        reader.warn(
            root,
            f"the path attribute '{written}' of a context "
            f"descriptor is ignored: the file name gives the path "
            f"'{context_path}'",
        )
    root.set("path", context_path)
    return read_context(reader, root), reader.warnings
