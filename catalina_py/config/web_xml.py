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
url-pattern mapped twice in one file, a servlet or filter declared twice, a
missing servlet-name, servlet-class, filter-name or filter-class, a
filter-mapping without url-pattern and servlet-name, an unknown dispatcher,
an error-page with both an error-code and an exception-type, a bad
error-code, an error-page location not starting with ``/``, an unknown or
unsupported session tracking mode, an unknown character encoding, a
non-integer load-on-startup, session-timeout or max-age, a bad boolean.

Cross references are only checked *after* merging (a servlet-mapping or a
filter-mapping naming an undeclared servlet or filter), because an
application may map the ``default`` servlet or a filter declared only in
``conf/web.xml``: see :func:`validate_web_xml`.

Elements catalina_py does not implement yet (security, JNDI resources,
JSP configuration...) produce :class:`ConfigWarning` entries in
:attr:`WebXml.warnings`.
"""

from __future__ import annotations

import codecs
import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from lxml import etree

from catalina_py.http.grammar import TOKEN_RE
from catalina_py.config.server_xml import SourceLines, read_xml
from catalina_py.errors import ConfigError, ConfigWarning, Location

__all__ = [
    "CookieConfig",
    "DISPATCHER_TYPES",
    "ErrorPage",
    "FilterDef",
    "FilterMapping",
    "JAKARTA_NAMESPACE",
    "ListenerDef",
    "ServletDef",
    "SessionConfig",
    "TRACKING_MODES",
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
    "security-constraint", "login-config", "security-role", "env-entry",
    "ejb-ref", "ejb-local-ref", "resource-ref", "resource-env-ref",
    "message-destination-ref", "message-destination", "service-ref",
    "persistence-context-ref", "persistence-unit-ref", "post-construct",
    "pre-destroy", "data-source", "locale-encoding-mapping-list",
    "jsp-config", "deny-uncovered-http-methods", "absolute-ordering",
    "administered-object", "connection-factory", "jms-connection-factory",
    "jms-destination", "mail-session", "context-service",
    "managed-executor", "managed-scheduled-executor",
    "managed-thread-factory", "taglib",
})

_SERVLET_IGNORED = frozenset({"description", "display-name", "icon"})
_SERVLET_UNSUPPORTED = frozenset({
    "enabled", "run-as", "security-role-ref", "multipart-config",
})

_FILTER_IGNORED = frozenset({"description", "display-name", "icon"})

_INTEGER = re.compile(r"[+-]?[0-9]+")
# A dotted Python name: ``module.Class``, ``pkg.module.Class`` or a
# built-in exception name such as ``ValueError``.
_DOTTED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")
# RFC 6265 cookie-name: an RFC 7230 token.
_TOKEN = TOKEN_RE
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


#: Session tracking modes catalina_py implements (``SSL`` is not).
TRACKING_MODES = ("COOKIE", "URL")


@dataclass
class WebXml:
    """The content of one deployment descriptor, or of a merged one.

    ``servlet_mappings`` maps each url-pattern to a servlet name, in
    declaration order; ``mapping_locations`` gives where each pattern was
    declared.  ``mime_mappings`` keys are lower-case extensions without the
    dot.  ``welcome_files`` is ``None`` when the descriptor has no
    ``<welcome-file-list>``.  ``session_timeout`` is in minutes (the same
    value as ``session_config.session_timeout``).  ``filters`` are keyed by
    name; ``filter_mappings`` and ``listeners`` keep declaration order (the
    order filters run in and listeners are called in); ``error_pages`` has
    at most one entry per error code, exception type and default page.
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
    #: The global descriptor this one was merged over (set by
    #: :func:`merge_web_xml`), kept so that the annotation scan made when
    #: the context starts can redo the merge in Tomcat's order
    #: (application + annotations first, then the defaults under them).
    defaults: "WebXml | None" = field(default=None, repr=False,
                                      compare=False)


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
            "filter": self.filter,
            "filter-mapping": self.filter_mapping,
            "listener": self.listener,
            "error-page": self.error_page,
            "request-character-encoding": self.request_encoding,
            "response-character-encoding": self.response_encoding,
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
        """``<session-config>``: timeout, cookie-config, tracking modes."""
        config = self.web.session_config
        for child_name, child in self.children(element):
            if child_name == "session-timeout":
                text = self.text(child)
                if text:
                    timeout = self.integer(
                        child, text, "session-timeout",
                        "<session-timeout>30</session-timeout> (minutes; "
                        "0 or less: sessions never expire)")
                    config.session_timeout = timeout
                    self.web.session_timeout = timeout
            elif child_name == "cookie-config":
                self.cookie_config(child, config.cookie_config)
            elif child_name == "tracking-mode":
                mode = self.text(child)
                hint = ("<tracking-mode>COOKIE</tracking-mode> or "
                        "<tracking-mode>URL</tracking-mode>")
                if mode == "SSL":
                    raise self.error(child, "session tracking mode SSL is "
                                     "not supported by catalina_py", hint)
                if mode not in TRACKING_MODES:
                    raise self.error(child, f"unknown session tracking mode "
                                     f"'{mode}'", hint)
                if config.tracking_modes is None:
                    config.tracking_modes = []
                if mode not in config.tracking_modes:
                    config.tracking_modes.append(mode)
            else:
                self.warn(child, f"unknown element <{child_name}> in "
                          "<session-config>, ignored")

    def cookie_config(self, element: etree._Element,
                      cookie: CookieConfig) -> None:
        """``<cookie-config>``: the session cookie's name and attributes."""
        for child_name, child in self.children(element):
            text = self.text(child)
            if child_name == "name":
                if not _TOKEN.fullmatch(text):
                    raise self.error(child, f"invalid session cookie name "
                                     f"'{text}'", "a cookie name made of "
                                     "letters, digits and !#$%&'*+-.^_`|~ "
                                     "(no spaces, no '=' or ';')")
                cookie.name = text
            elif child_name == "domain":
                cookie.domain = text
            elif child_name == "path":
                cookie.path = text
            elif child_name == "http-only":
                cookie.http_only = self.boolean(child, text, "http-only")
            elif child_name == "secure":
                cookie.secure = self.boolean(child, text, "secure")
            elif child_name == "max-age":
                cookie.max_age = self.integer(
                    child, text, "max-age",
                    "<max-age>3600</max-age> (seconds; -1: until the "
                    "browser closes)")
            elif child_name == "attribute":
                name, _ = self.child_text(child, "attribute-name")
                value, _ = self.child_text(child, "attribute-value")
                if not name or not _TOKEN.fullmatch(name):
                    raise self.error(child, "<attribute> in <cookie-config> "
                                     "needs an <attribute-name> token",
                                     "<attribute><attribute-name>SameSite"
                                     "</attribute-name><attribute-value>"
                                     "Lax</attribute-value></attribute>")
                cookie.attributes[name] = value or ""
            elif child_name == "comment":
                self.warn(child, "<comment> in <cookie-config> is "
                          "deprecated (RFC 6265 has no comment), ignored")
            else:
                self.warn(child, f"unknown element <{child_name}> in "
                          "<cookie-config>, ignored")

    def filter(self, element: etree._Element) -> None:
        """``<filter>``."""
        name = filter_class = None
        init_params: dict[str, str] = {}
        async_supported = False
        for child_name, child in self.children(element):
            text = self.text(child)
            if child_name == "filter-name":
                name = text
            elif child_name == "filter-class":
                filter_class = text
            elif child_name == "init-param":
                key, value = self.param(child, "init-param")
                init_params[key] = value
            elif child_name == "async-supported":
                async_supported = self.boolean(child, text,
                                               "async-supported")
            elif child_name in _FILTER_IGNORED:
                continue
            else:
                self.warn(child, f"unknown element <{child_name}> in "
                          "<filter>, ignored")
        if not name:
            raise self.error(element, "<filter> without a <filter-name>",
                             "<filter-name>name</filter-name> in every "
                             "<filter>")
        if not filter_class:
            raise self.error(element, f"filter '{name}' has no "
                             "<filter-class>",
                             "<filter-class>package.module.Class"
                             "</filter-class>")
        self.dotted(element, filter_class, f"filter-class of '{name}'")
        if name in self.web.filters:
            first = self.web.filters[name].location
            raise self.error(element, f"filter '{name}' is declared twice "
                             f"(first at {first})",
                             "a unique <filter-name> for each <filter>")
        self.web.filters[name] = FilterDef(
            name, filter_class, init_params, async_supported,
            self.location(element))

    def filter_mapping(self, element: etree._Element) -> None:
        """``<filter-mapping>``: a filter, url-patterns and/or servlet
        names (``*`` is every servlet), dispatcher types."""
        name: str | None = None
        patterns: list[str] = []
        servlet_names: list[str] = []
        dispatchers: list[str] = []
        for child_name, child in self.children(element):
            text = self.text(child)
            if child_name == "filter-name":
                name = text
            elif child_name == "url-pattern":
                problem = url_pattern_error(text)
                if problem is None and text == "":
                    problem = ("the empty url-pattern is only valid in a "
                               "<servlet-mapping>")
                if problem is not None:
                    raise self.error(child, f"invalid url-pattern in a "
                                     f"<filter-mapping>: {problem}",
                                     '"/exact/path", "/prefix/*", "/*", '
                                     '"*.extension" or "/"')
                if _is_suspicious(text):
                    self.warn(child, f"suspicious url-pattern '{text}': the"
                              " '*' is matched literally (only a trailing "
                              "'/*' or a leading '*.' are wildcards)")
                if text not in patterns:
                    patterns.append(text)
            elif child_name == "servlet-name":
                if not text:
                    raise self.error(child, "empty <servlet-name> in a "
                                     "<filter-mapping>",
                                     "the name of a declared servlet, or *"
                                     " for every servlet")
                if text not in servlet_names:
                    servlet_names.append(text)
            elif child_name == "dispatcher":
                dispatcher = text.upper()
                if dispatcher not in DISPATCHER_TYPES:
                    raise self.error(child, f"unknown dispatcher '{text}'",
                                     "one of " + ", ".join(DISPATCHER_TYPES))
                if dispatcher not in dispatchers:
                    dispatchers.append(dispatcher)
            else:
                self.warn(child, f"unknown element <{child_name}> in "
                          "<filter-mapping>, ignored")
        if not name:
            raise self.error(element, "<filter-mapping> without a "
                             "<filter-name>",
                             "<filter-name> naming a declared filter")
        if not patterns and not servlet_names:
            raise self.error(element, f"<filter-mapping> of '{name}' has "
                             "neither a <url-pattern> nor a <servlet-name>",
                             "at least one <url-pattern> or <servlet-name>")
        self.web.filter_mappings.append(FilterMapping(
            name, patterns, servlet_names, dispatchers or ["REQUEST"],
            self.location(element)))

    def listener(self, element: etree._Element) -> None:
        """``<listener>``: one listener class, in declaration order."""
        listener_class, child = self.child_text(element, "listener-class")
        if not listener_class:
            raise self.error(element, "<listener> without a "
                             "<listener-class>",
                             "<listener-class>package.module.Class"
                             "</listener-class>")
        self.dotted(child if child is not None else element, listener_class,
                    "listener-class")
        if any(existing.listener_class == listener_class
               for existing in self.web.listeners):
            self.warn(element, f"listener '{listener_class}' is declared "
                      "twice; it is instantiated once")
            return
        self.web.listeners.append(ListenerDef(listener_class,
                                              self.location(element)))

    def error_page(self, element: etree._Element) -> None:
        """``<error-page>``: error-code or exception-type (or neither: the
        default error page) and a location starting with ``/``."""
        code_text, code_element = self.child_text(element, "error-code")
        exception, exception_element = self.child_text(element,
                                                       "exception-type")
        location, location_element = self.child_text(element, "location")
        hint = ("<error-page><error-code>404</error-code><location>"
                "/errors/404.html</location></error-page>, or "
                "<exception-type>package.module.Error</exception-type> "
                "instead of <error-code>")
        if code_text is not None and exception is not None:
            raise self.error(element, "<error-page> has both an "
                             "<error-code> and an <exception-type>", hint)
        if not location:
            raise self.error(element, "<error-page> without a <location>",
                             hint)
        if not location.startswith("/"):
            raise self.error(location_element if location_element
                             is not None else element,
                             f"error-page location '{location}' must start"
                             " with '/'", "a path inside the webapp, such "
                             "as /errors/404.html")
        code: int | None = None
        if code_text is not None:
            assert code_element is not None
            code = self.integer(code_element, code_text, "error-code",
                                "an HTTP status code such as 404 or 500")
            if not 100 <= code <= 599:
                raise self.error(code_element, f"error-code {code} is not "
                                 "an HTTP status code",
                                 "a status code between 400 and 599")
            if code < 400:
                self.warn(code_element, f"error-page for status {code} is "
                          "never used: error pages apply to statuses of 400"
                          " and above")
        if exception is not None:
            assert exception_element is not None
            self.dotted(exception_element, exception, "exception-type")
        page = ErrorPage(location, code, exception, self.location(element))
        key = error_page_key(page)
        for index, existing in enumerate(self.web.error_pages):
            if error_page_key(existing) == key:
                self.warn(element, f"error-page for {_describe_key(key)} is "
                          "declared twice; the last one is used")
                del self.web.error_pages[index]
                break
        self.web.error_pages.append(page)

    def encoding(self, element: etree._Element, what: str) -> str:
        """A character encoding name Python knows."""
        name = self.text(element)
        try:
            codecs.lookup(name)
        except LookupError:
            raise self.error(element, f"unknown character encoding "
                             f"'{name}' in <{what}>",
                             f"<{what}>UTF-8</{what}> (an encoding name "
                             "such as UTF-8 or ISO-8859-1)") from None
        return name

    def request_encoding(self, element: etree._Element) -> None:
        """``<request-character-encoding>``."""
        self.web.request_character_encoding = self.encoding(
            element, "request-character-encoding")

    def response_encoding(self, element: etree._Element) -> None:
        """``<response-character-encoding>``."""
        self.web.response_character_encoding = self.encoding(
            element, "response-character-encoding")

    def dotted(self, element: etree._Element, name: str, what: str) -> None:
        """Check that ``name`` is a dotted Python name."""
        if not _DOTTED.fullmatch(name):
            raise self.error(element, f"{what} '{name}' is not a Python "
                             "class name", "package.module.ClassName")


def error_page_key(page: ErrorPage) -> int | str:
    """What an error page is for: its status code, its exception type, or
    ``""`` for the default error page.  One descriptor has at most one
    page per key; merging keeps the application's page for a key."""
    if page.error_code is not None:
        return page.error_code
    return page.exception_type or ""


def _describe_key(key: int | str) -> str:
    if isinstance(key, int):
        return f"status {key}"
    return f"exception '{key}'" if key else "the default error page"


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
    """Check cross references: every servlet-mapping names a declared
    servlet, every filter-mapping a declared filter.

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
    for mapping in web.filter_mappings:
        if mapping.filter_name not in web.filters:
            declared = ", ".join(sorted(web.filters)) or "none"
            raise ConfigError.at(
                mapping.location,
                f"<filter-mapping> names filter '{mapping.filter_name}', "
                f"which is not declared (declared filters: {declared})",
                "a <filter-name> declared by a <filter> element")


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


def _copy_mapping(mapping: FilterMapping) -> FilterMapping:
    return dataclasses.replace(mapping, url_patterns=list(mapping.url_patterns),
                               servlet_names=list(mapping.servlet_names),
                               dispatchers=list(mapping.dispatchers))


def _merge_filters(defaults: WebXml, app: WebXml
                   ) -> tuple[dict[str, FilterDef], list[FilterMapping]]:
    """Filters and filter mappings, as ``WebXml.merge`` does: an app filter
    with a default one's name wins (its unset init-params come from the
    default); the defaults' mappings are appended after the app's, except
    those of a filter the app maps itself."""
    filters: dict[str, FilterDef] = {}
    for name, definition in app.filters.items():
        default = defaults.filters.get(name)
        params = dict(definition.init_params)
        if default is not None:
            params = {**default.init_params, **params}
        filters[name] = dataclasses.replace(definition, init_params=params)
    for name, definition in defaults.filters.items():
        if name not in filters:
            filters[name] = dataclasses.replace(
                definition, init_params=dict(definition.init_params))
    mappings = [_copy_mapping(m) for m in app.filter_mappings]
    app_mapped = {m.filter_name for m in app.filter_mappings}
    mappings.extend(_copy_mapping(m) for m in defaults.filter_mappings
                    if m.filter_name not in app_mapped)
    return filters, mappings


def _merge_error_pages(defaults: WebXml, app: WebXml) -> list[ErrorPage]:
    """The app's error pages, then the defaults' for the status codes,
    exception types (and default page) the app does not handle."""
    pages = [dataclasses.replace(page) for page in app.error_pages]
    keys = {error_page_key(page) for page in app.error_pages}
    pages.extend(dataclasses.replace(page) for page in defaults.error_pages
                 if error_page_key(page) not in keys)
    return pages


def _timeout(web: WebXml) -> int | None:
    if web.session_config.session_timeout is not None:
        return web.session_config.session_timeout
    return web.session_timeout


def _first(*values: object) -> object:
    return next((value for value in values if value is not None), None)


def _merge_session_config(defaults: WebXml, app: WebXml) -> SessionConfig:
    """Per field: the app's value if it sets one, else the defaults'."""
    app_cookie = app.session_config.cookie_config
    default_cookie = defaults.session_config.cookie_config
    cookie = CookieConfig(**{
        f.name: _first(getattr(app_cookie, f.name),
                       getattr(default_cookie, f.name))
        for f in dataclasses.fields(CookieConfig) if f.name != "attributes"
    })
    cookie.attributes = {**default_cookie.attributes,
                         **app_cookie.attributes}
    modes = (app.session_config.tracking_modes
             if app.session_config.tracking_modes is not None
             else defaults.session_config.tracking_modes)
    timeout = _timeout(app)
    return SessionConfig(
        session_timeout=timeout if timeout is not None else _timeout(defaults),
        cookie_config=cookie,
        tracking_modes=None if modes is None else list(modes))


def _unknown_filter_targets(web: WebXml) -> list[ConfigWarning]:
    """Warnings for filter-mappings naming servlets that do not exist."""
    warnings = []
    for mapping in web.filter_mappings:
        for name in mapping.servlet_names:
            if name != "*" and name not in web.servlets:
                warnings.append(ConfigWarning.at(
                    mapping.location, f"<filter-mapping> of filter "
                    f"'{mapping.filter_name}' names servlet '{name}', which "
                    "is not declared; it never applies to it"))
    return warnings


def merge_web_xml(defaults: WebXml, app: WebXml) -> WebXml:
    """Merge the global ``defaults`` under ``app`` and validate the result.

    Rules (Tomcat's ``WebXml.merge`` with the defaults as a lowest
    priority fragment):

    * servlets: an app servlet with the name of a default one wins; its
      unset init-params and load-on-startup are taken from the default;
    * mappings: all the app's; a default mapping is added only if the app
      maps neither that url-pattern nor that servlet name at all;
    * filters: as servlets (the app's wins, completed by the default's
      init-params); filter mappings: the app's, then the defaults' for the
      filters the app does not map itself;
    * listeners: the app's, then the defaults' (each class once);
    * error pages: the app's, then the defaults' for the status codes and
      exception types (and the default page) the app does not handle;
    * session-config: per field (timeout, each cookie setting, tracking
      modes), the app's value if set, else the defaults';
    * request/response character encodings, display-name: the app's if
      set, else the defaults';
    * mime mappings, context-params: union, the app wins per key;
    * welcome files: the app's list if it is non-empty, else the
      defaults' (Tomcat's ``alwaysAddWelcomeFiles=false``);
    * file, version, metadata-complete: the app's.

    Neither argument is modified; the result remembers ``defaults`` in
    :attr:`WebXml.defaults`.  Raises :class:`ConfigError` from
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

    filters, filter_mappings = _merge_filters(defaults, app)
    listeners = [dataclasses.replace(listener) for listener in app.listeners]
    listed = {listener.listener_class for listener in listeners}
    listeners.extend(dataclasses.replace(listener)
                     for listener in defaults.listeners
                     if listener.listener_class not in listed)
    session_config = _merge_session_config(defaults, app)

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
        session_timeout=session_config.session_timeout,
        filters=filters,
        filter_mappings=filter_mappings,
        listeners=listeners,
        error_pages=_merge_error_pages(defaults, app),
        session_config=session_config,
        request_character_encoding=(
            app.request_character_encoding
            if app.request_character_encoding is not None
            else defaults.request_character_encoding),
        response_character_encoding=(
            app.response_character_encoding
            if app.response_character_encoding is not None
            else defaults.response_character_encoding),
        mapping_locations=locations,
        warnings=[*defaults.warnings, *app.warnings],
        defaults=defaults,
    )
    validate_web_xml(merged)
    merged.warnings.extend(_unknown_filter_targets(merged))
    return merged
