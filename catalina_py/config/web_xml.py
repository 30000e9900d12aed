"""Reading and merging deployment descriptors (``web.xml``).

:func:`parse_web_xml` reads one descriptor (the global ``conf/web.xml`` or
an application's ``WEB-INF/web.xml``) in the Jakarta EE namespace, one of
the older Java EE / J2EE namespaces, or no namespace (Servlet 2.3 DTD).

:func:`merge_web_xml` merges the global defaults *under* an application's
descriptor following Tomcat's ``ContextConfig.webConfig`` (the defaults
are merged like a web fragment with the lowest priority, see
``WebXml.merge``), then checks cross references with
:func:`validate_web_xml`.

Checks made by :func:`parse_web_xml` (each raises :class:`ConfigError`
with file, line and the expected form): well-formed XML, a ``<web-app>``
root, url-pattern syntax (Servlet specification section 12.2), the same
url-pattern mapped twice in one file, a servlet declared twice, a missing
servlet-name or servlet-class, a non-integer load-on-startup or
session-timeout, a bad boolean.  A mapping naming an undeclared servlet is
only an error *after* merging, because an application may map the global
``default`` servlet, which is declared in ``conf/web.xml``.

Elements catalina_py does not implement yet (filters, listeners, error
pages, security...) produce :class:`ConfigWarning` entries in
:attr:`WebXml.warnings`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from lxml import etree

from catalina_py.config.server_xml import SourceLines, read_xml
from catalina_py.errors import ConfigError, ConfigWarning, Location

__all__ = [
    "JAKARTA_NAMESPACE",
    "ServletDef",
    "WEB_XML_NAMESPACES",
    "WebXml",
    "merge_web_xml",
    "parse_web_xml",
    "url_pattern_error",
    "validate_web_xml",
]

#: Namespace of Jakarta EE 9+ descriptors (Servlet 5.0 and later).
JAKARTA_NAMESPACE = "https://jakarta.ee/xml/ns/jakartaee"

#: Accepted namespaces of the ``<web-app>`` root; ``""`` means none.
WEB_XML_NAMESPACES: tuple[str, ...] = (
    JAKARTA_NAMESPACE,
    "http://xmlns.jcp.org/xml/ns/javaee",   # Servlet 3.1 / 4.0
    "http://java.sun.com/xml/ns/javaee",    # Servlet 2.5 / 3.0
    "http://java.sun.com/xml/ns/j2ee",      # Servlet 2.4
    "",                                     # Servlet 2.2 / 2.3 (DTD)
)

# <web-app> children that only describe the application: accepted silently.
_DESCRIPTIVE = frozenset({
    "description", "icon", "distributable", "module-name",
})

# <web-app> children defined by the Servlet specification that catalina_py
# does not implement yet: a warning each.
_UNSUPPORTED = frozenset({
    "filter", "filter-mapping", "listener", "error-page",
    "security-constraint", "login-config", "security-role", "env-entry",
    "ejb-ref", "ejb-local-ref", "resource-ref", "resource-env-ref",
    "message-destination-ref", "message-destination", "service-ref",
    "persistence-context-ref", "persistence-unit-ref", "post-construct",
    "pre-destroy", "data-source", "locale-encoding-mapping-list",
    "jsp-config", "deny-uncovered-http-methods", "absolute-ordering",
    "request-character-encoding", "response-character-encoding",
    "administered-object", "connection-factory", "jms-connection-factory",
    "jms-destination", "mail-session", "context-service",
    "managed-executor", "managed-scheduled-executor",
    "managed-thread-factory", "taglib",
})

_SERVLET_IGNORED = frozenset({"description", "display-name", "icon"})
_SERVLET_UNSUPPORTED = frozenset({
    "enabled", "run-as", "security-role-ref", "multipart-config",
})

_INTEGER = re.compile(r"[+-]?[0-9]+")
_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}


@dataclass
class ServletDef:
    """A ``<servlet>`` declaration.

    ``load_on_startup`` ``None`` means "not specified" (load on first
    request); per the specification a negative value means the same.
    """

    name: str
    servlet_class: str
    init_params: dict[str, str] = field(default_factory=dict)
    load_on_startup: int | None = None
    async_supported: bool = False
    location: Location | None = None


@dataclass
class FilterDef:
    """A ``<filter>``: a named filter class and its init parameters."""

    name: str
    filter_class: str
    init_params: dict[str, str] = field(default_factory=dict)
    async_supported: bool = False
    location: Location | None = None


#: The dispatcher types of the Servlet specification, in its order.
DISPATCHER_TYPES = ("REQUEST", "FORWARD", "INCLUDE", "ERROR", "ASYNC")


@dataclass
class FilterMapping:
    """A ``<filter-mapping>``: a filter applied to URL patterns and/or
    servlet names, for the given dispatcher types (REQUEST when none is
    declared, as the spec says). Mappings keep their document order, which
    is the order filters run in."""

    filter_name: str
    url_patterns: list[str] = field(default_factory=list)
    servlet_names: list[str] = field(default_factory=list)
    dispatchers: list[str] = field(default_factory=lambda: ["REQUEST"])
    location: Location | None = None


@dataclass
class ListenerDef:
    """A ``<listener>``: a class implementing one or more listener interfaces."""

    listener_class: str
    location: Location | None = None


@dataclass
class ErrorPage:
    """An ``<error-page>``: a location for a status code or an exception
    class (a dotted Python path), or the default page when both are None."""

    location_path: str
    error_code: int | None = None
    exception_type: str | None = None
    location: Location | None = None


@dataclass
class CookieConfig:
    """``<session-config><cookie-config>``: how the session cookie looks."""

    name: str | None = None
    domain: str | None = None
    path: str | None = None
    http_only: bool | None = None
    secure: bool | None = None
    max_age: int | None = None
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass
class SessionConfig:
    """``<session-config>``: timeout in minutes, cookie settings and tracking modes
    (COOKIE, URL; SSL is not supported)."""

    session_timeout: int | None = None
    cookie_config: CookieConfig = field(default_factory=CookieConfig)
    tracking_modes: list[str] | None = None


@dataclass
class WebXml:
    """The content of one deployment descriptor, or of a merged one.

    ``servlet_mappings`` maps each url-pattern to a servlet name, in
    declaration order; ``mapping_locations`` gives where each pattern was
    declared.  ``mime_mappings`` keys are lower-case extensions without the
    dot.  ``welcome_files`` is ``None`` when the descriptor has no
    ``<welcome-file-list>``.  ``session_timeout`` is in minutes.
    """

    file: str | None = None
    display_name: str | None = None
    context_params: dict[str, str] = field(default_factory=dict)
    servlets: dict[str, ServletDef] = field(default_factory=dict)
    servlet_mappings: dict[str, str] = field(default_factory=dict)
    mime_mappings: dict[str, str] = field(default_factory=dict)
    welcome_files: list[str] | None = None
    metadata_complete: bool = False
    version: str | None = None
    session_timeout: int | None = None
    filters: dict[str, FilterDef] = field(default_factory=dict)
    filter_mappings: list[FilterMapping] = field(default_factory=list)
    listeners: list[ListenerDef] = field(default_factory=list)
    error_pages: list[ErrorPage] = field(default_factory=list)
    session_config: SessionConfig = field(default_factory=SessionConfig)
    request_character_encoding: str | None = None
    response_character_encoding: str | None = None
    mapping_locations: dict[str, Location] = field(default_factory=dict)
    warnings: list[ConfigWarning] = field(default_factory=list)


# --------------------------------------------------------------------------
# url-pattern syntax
# --------------------------------------------------------------------------

_PATTERN_HINT = ('"/exact/path", "/prefix/*", "*.extension", "/" (default '
                 'servlet) or "" (context root only)')


def url_pattern_error(pattern: str) -> str | None:
    """Why ``pattern`` is not a valid Servlet url-pattern, or ``None``.

    Valid forms (Servlet specification 12.2, as Tomcat checks them): an
    exact path ``/x``, a path prefix ``/x/*``, an extension ``*.ext``, the
    default ``/`` and the context root ``""``.
    """
    if "\n" in pattern or "\r" in pattern:
        return "a url-pattern must not contain a line break"
    if pattern == "":
        return None
    if pattern.startswith("*."):
        if "/" in pattern:
            return (f"extension url-pattern '{pattern}' must not contain "
                    "'/'")
        if len(pattern) == 2:
            return "extension url-pattern '*.' has no extension"
        return None
    if pattern.startswith("/"):
        if "*." in pattern:
            return (f"url-pattern '{pattern}' mixes a path and an extension;"
                    " the Servlet specification has no such pattern")
        return None
    return f"url-pattern '{pattern}' must start with '/' or '*.'"


def _is_suspicious(pattern: str) -> bool:
    """Whether a valid pattern holds a ``*`` that will match literally."""
    if pattern.startswith("*."):
        return "*" in pattern[2:]
    body = pattern[:-2] if pattern.endswith("/*") else pattern
    return "*" in body


# --------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------

class _Parser:
    """State of one descriptor read: file, namespace, result."""

    def __init__(self, file: str, namespace: str,
                 lines: SourceLines) -> None:
        self.file = file
        self.namespace = namespace
        self.lines = lines
        self.web = WebXml(file=file)

    def location(self, element: etree._Element) -> Location:
        """The file and line of ``element``."""
        return Location(self.file, self.lines.start_line(element))

    def error(self, element: etree._Element, message: str,
              hint: str) -> ConfigError:
        """A :class:`ConfigError` located at ``element``."""
        return ConfigError.at(self.location(element), message, hint)

    def warn(self, element: etree._Element, message: str) -> None:
        """Record a warning located at ``element``."""
        self.web.warnings.append(
            ConfigWarning.at(self.location(element), message))

    def name_of(self, element: etree._Element) -> str | None:
        """Local name of an element in the descriptor's namespace."""
        if not isinstance(element.tag, str):
            return None  # comment or processing instruction
        qname = etree.QName(element)
        if (qname.namespace or "") != self.namespace:
            return "{" + (qname.namespace or "") + "}" + qname.localname
        return qname.localname

    def children(self, element: etree._Element
                 ) -> Iterator[tuple[str, etree._Element]]:
        """Yield ``(local name, child)`` for the child elements."""
        for child in element:
            name = self.name_of(child)
            if name is not None:
                yield name, child

    @staticmethod
    def text(element: etree._Element) -> str:
        """The trimmed text content of ``element``."""
        return "".join(element.itertext()).strip()

    def child_text(self, element: etree._Element, name: str
                   ) -> tuple[str | None, etree._Element | None]:
        """Text and element of the first child called ``name``."""
        for child_name, child in self.children(element):
            if child_name == name:
                return self.text(child), child
        return None, None

    def boolean(self, element: etree._Element, text: str,
                what: str) -> bool:
        """An ``xsd:boolean`` value."""
        value = _BOOLEANS.get(text.strip().lower())
        if value is None:
            raise self.error(element, f"{what} must be true or false, got "
                             f"'{text}'", f"{what} true or false")
        return value

    def integer(self, element: etree._Element, text: str,
                what: str, hint: str) -> int:
        """An integer value."""
        if not _INTEGER.fullmatch(text):
            raise self.error(element, f"{what} must be an integer, got "
                             f"'{text}'", hint)
        return int(text)

    # -- elements --------------------------------------------------------

    def web_app(self, root: etree._Element) -> WebXml:
        """Read the ``<web-app>`` root element."""
        web = self.web
        web.version = root.get("version")
        complete = root.get("metadata-complete")
        if complete is not None:
            web.metadata_complete = self.boolean(root, complete,
                                                 "metadata-complete")
        handlers = {
            "display-name": self.display_name,
            "context-param": self.context_param,
            "servlet": self.servlet,
            "servlet-mapping": self.servlet_mapping,
            "mime-mapping": self.mime_mapping,
            "welcome-file-list": self.welcome_file_list,
            "session-config": self.session_config,
        }
        for name, child in self.children(root):
            handler = handlers.get(name)
            if handler is not None:
                handler(child)
            elif name in _DESCRIPTIVE:
                continue
            elif name in _UNSUPPORTED:
                self.warn(child, f"<{name}> is not supported by catalina_py"
                          " yet, ignored")
            else:
                self.warn(child, f"unknown element <{name}> in <web-app>, "
                          "ignored")
        return web

    def display_name(self, element: etree._Element) -> None:
        """``<display-name>``: the first one wins."""
        if self.web.display_name is None:
            self.web.display_name = self.text(element)

    def param(self, element: etree._Element, what: str) -> tuple[str, str]:
        """A ``param-name`` / ``param-value`` pair."""
        name, _ = self.child_text(element, "param-name")
        value, _ = self.child_text(element, "param-value")
        if not name:
            raise self.error(element, f"<{what}> without a <param-name>",
                             f"<{what}><param-name>name</param-name>"
                             f"<param-value>value</param-value></{what}>")
        return name, value or ""

    def context_param(self, element: etree._Element) -> None:
        """``<context-param>``."""
        name, value = self.param(element, "context-param")
        if name in self.web.context_params:
            self.warn(element, f"context-param '{name}' is declared twice; "
                      "the last value is used")
        self.web.context_params[name] = value

    def servlet(self, element: etree._Element) -> None:
        """``<servlet>``."""
        name = servlet_class = None
        init_params: dict[str, str] = {}
        load_on_startup: int | None = None
        async_supported = False
        jsp_file = False
        for child_name, child in self.children(element):
            text = self.text(child)
            if child_name == "servlet-name":
                name = text
            elif child_name == "servlet-class":
                servlet_class = text
            elif child_name == "jsp-file":
                jsp_file = True
            elif child_name == "init-param":
                key, value = self.param(child, "init-param")
                init_params[key] = value
            elif child_name == "load-on-startup":
                if text:
                    load_on_startup = self.integer(
                        child, text, "load-on-startup",
                        "<load-on-startup>1</load-on-startup> (an integer;"
                        " lower values are loaded first)")
            elif child_name == "async-supported":
                async_supported = self.boolean(child, text,
                                               "async-supported")
            elif child_name in _SERVLET_IGNORED:
                continue
            elif child_name in _SERVLET_UNSUPPORTED:
                self.warn(child, f"<{child_name}> in <servlet> is not "
                          "supported by catalina_py yet, ignored")
            else:
                self.warn(child, f"unknown element <{child_name}> in "
                          "<servlet>, ignored")
        if not name:
            raise self.error(element, "<servlet> without a <servlet-name>",
                             "<servlet-name>name</servlet-name> in every "
                             "<servlet>")
        if not servlet_class:
            if jsp_file:
                raise self.error(element, f"servlet '{name}' uses "
                                 "<jsp-file>: JSP is not supported by "
                                 "catalina_py",
                                 "<servlet-class>package.module.Class"
                                 "</servlet-class>")
            raise self.error(element, f"servlet '{name}' has no "
                             "<servlet-class>",
                             "<servlet-class>package.module.Class"
                             "</servlet-class>")
        if name in self.web.servlets:
            first = self.web.servlets[name].location
            raise self.error(element, f"servlet '{name}' is declared twice "
                             f"(first at {first})",
                             "a unique <servlet-name> for each <servlet>")
        self.web.servlets[name] = ServletDef(
            name, servlet_class, init_params, load_on_startup,
            async_supported, self.location(element))

    def servlet_mapping(self, element: etree._Element) -> None:
        """``<servlet-mapping>``: one servlet, one or more url-patterns."""
        name: str | None = None
        patterns: list[tuple[str, etree._Element]] = []
        for child_name, child in self.children(element):
            if child_name == "servlet-name":
                name = self.text(child)
            elif child_name == "url-pattern":
                patterns.append((self.text(child), child))
            else:
                self.warn(child, f"unknown element <{child_name}> in "
                          "<servlet-mapping>, ignored")
        if not name:
            raise self.error(element, "<servlet-mapping> without a "
                             "<servlet-name>",
                             "<servlet-name> naming a declared servlet")
        if not patterns:
            raise self.error(element, f"<servlet-mapping> of '{name}' has "
                             "no <url-pattern>", _PATTERN_HINT)
        for pattern, child in patterns:
            problem = url_pattern_error(pattern)
            if problem is not None:
                raise self.error(child, f"invalid url-pattern for servlet "
                                 f"'{name}': {problem}", _PATTERN_HINT)
            if _is_suspicious(pattern):
                self.warn(child, f"suspicious url-pattern '{pattern}': the "
                          "'*' is matched literally (only a trailing '/*' "
                          "or a leading '*.' are wildcards)")
            if pattern in self.web.servlet_mappings:
                other = self.web.servlet_mappings[pattern]
                first = self.web.mapping_locations[pattern]
                raise self.error(child, f"url-pattern '{pattern}' is mapped "
                                 f"to both servlet '{other}' (at {first}) "
                                 f"and servlet '{name}'",
                                 "each url-pattern mapped to one servlet "
                                 "only")
            self.web.servlet_mappings[pattern] = name
            self.web.mapping_locations[pattern] = self.location(child)

    def mime_mapping(self, element: etree._Element) -> None:
        """``<mime-mapping>``: extension (lower-cased, no dot) -> type."""
        extension, _ = self.child_text(element, "extension")
        mime_type, _ = self.child_text(element, "mime-type")
        hint = ("<mime-mapping><extension>html</extension><mime-type>"
                "text/html</mime-type></mime-mapping>")
        if extension and extension.startswith("."):
            self.warn(element, f"mime-mapping extension '{extension}' "
                      "should be written without the leading dot")
            extension = extension[1:]
        if not extension:
            raise self.error(element, "<mime-mapping> without an "
                             "<extension>", hint)
        if not mime_type:
            raise self.error(element, f"<mime-mapping> of '{extension}' "
                             "without a <mime-type>", hint)
        self.web.mime_mappings[extension.lower()] = mime_type

    def welcome_file_list(self, element: etree._Element) -> None:
        """``<welcome-file-list>``: lists add up; empty entries are
        skipped, as Tomcat does."""
        files = self.web.welcome_files
        if files is None:
            files = self.web.welcome_files = []
        for child_name, child in self.children(element):
            if child_name != "welcome-file":
                self.warn(child, f"unknown element <{child_name}> in "
                          "<welcome-file-list>, ignored")
                continue
            name = self.text(child)
            if name and name not in files:
                files.append(name)

    def session_config(self, element: etree._Element) -> None:
        """``<session-config>``: only the session timeout is read."""
        for child_name, child in self.children(element):
            if child_name == "session-timeout":
                text = self.text(child)
                if text:
                    self.web.session_timeout = self.integer(
                        child, text, "session-timeout",
                        "<session-timeout>30</session-timeout> (minutes; "
                        "0 or less: sessions never expire)")
            else:
                self.warn(child, f"<{child_name}> in <session-config> is not"
                          " supported by catalina_py yet, ignored")


def parse_web_xml(path: str) -> WebXml:
    """Read one deployment descriptor; see the module documentation for
    the checks made.  Raises :class:`ConfigError`."""
    tree, lines = read_xml(path, "<web-app>")
    root = tree.getroot()
    qname = etree.QName(root)
    namespace = qname.namespace or ""
    if qname.localname != "web-app" or namespace not in WEB_XML_NAMESPACES:
        raise ConfigError(
            f"the root element must be <web-app>, found <{root.tag}>",
            path, lines.start_line(root),
            f'<web-app xmlns="{JAKARTA_NAMESPACE}" version="6.0">')
    return _Parser(path, namespace, lines).web_app(root)


# --------------------------------------------------------------------------
# Validation and merging
# --------------------------------------------------------------------------

def validate_web_xml(web: WebXml) -> None:
    """Check cross references: every mapping names a declared servlet.

    Raises :class:`ConfigError` located at the faulty mapping.
    """
    for pattern, name in web.servlet_mappings.items():
        if name not in web.servlets:
            declared = ", ".join(sorted(web.servlets)) or "none"
            raise ConfigError.at(
                web.mapping_locations.get(pattern),
                f"url-pattern '{pattern}' is mapped to servlet '{name}', "
                f"which is not declared (declared servlets: {declared})",
                "a <servlet-name> declared by a <servlet> element")


def _merge_servlet(default: ServletDef, app: ServletDef) -> ServletDef:
    """The app's definition, completed by the default one of the same name
    (init-params and load-on-startup it does not set)."""
    return dataclasses.replace(
        app,
        init_params={**default.init_params, **app.init_params},
        load_on_startup=(app.load_on_startup
                         if app.load_on_startup is not None
                         else default.load_on_startup),
    )


def merge_web_xml(defaults: WebXml, app: WebXml) -> WebXml:
    """Merge the global ``defaults`` under ``app`` and validate the result.

    Rules (Tomcat's ``WebXml.merge`` with the defaults as a lowest
    priority fragment):

    * servlets: an app servlet with the name of a default one wins; its
      unset init-params and load-on-startup are taken from the default;
    * mappings: all the app's; a default mapping is added only if the app
      maps neither that url-pattern nor that servlet name at all;
    * mime mappings, context-params: union, the app wins per key;
    * welcome files: the app's list if it is non-empty, else the
      defaults' (Tomcat's ``alwaysAddWelcomeFiles=false``);
    * display-name and session-timeout: the app's if set, else the
      defaults'; file, version, metadata-complete: the app's.

    Neither argument is modified.  Raises :class:`ConfigError` from
    :func:`validate_web_xml`.
    """
    servlets: dict[str, ServletDef] = {}
    for name, servlet in defaults.servlets.items():
        if name in app.servlets:
            servlets[name] = _merge_servlet(servlet, app.servlets[name])
        else:
            servlets[name] = dataclasses.replace(
                servlet, init_params=dict(servlet.init_params))
    for name, servlet in app.servlets.items():
        if name not in servlets:
            servlets[name] = dataclasses.replace(
                servlet, init_params=dict(servlet.init_params))

    mappings = dict(app.servlet_mappings)
    locations = {pattern: app.mapping_locations[pattern]
                 for pattern in mappings if pattern in app.mapping_locations}
    app_mapped_names = set(app.servlet_mappings.values())
    for pattern, name in defaults.servlet_mappings.items():
        if pattern in mappings or name in app_mapped_names:
            continue
        mappings[pattern] = name
        if pattern in defaults.mapping_locations:
            locations[pattern] = defaults.mapping_locations[pattern]

    if app.welcome_files:
        welcome: list[str] | None = list(app.welcome_files)
    elif defaults.welcome_files is not None:
        welcome = list(defaults.welcome_files)
    else:
        welcome = None if app.welcome_files is None else []

    merged = WebXml(
        file=app.file,
        display_name=(app.display_name if app.display_name is not None
                      else defaults.display_name),
        context_params={**defaults.context_params, **app.context_params},
        servlets=servlets,
        servlet_mappings=mappings,
        mime_mappings={**defaults.mime_mappings, **app.mime_mappings},
        welcome_files=welcome,
        metadata_complete=app.metadata_complete,
        version=app.version,
        session_timeout=(app.session_timeout
                         if app.session_timeout is not None
                         else defaults.session_timeout),
        mapping_locations=locations,
        warnings=[*defaults.warnings, *app.warnings],
    )
    validate_web_xml(merged)
    return merged
