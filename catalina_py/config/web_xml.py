"""Reading deployment descriptors (``web.xml``).

:func:`parse_web_xml` reads one descriptor (the global ``conf/web.xml`` or
an application's ``WEB-INF/web.xml``) in the Jakarta EE namespace, one of
the older Java EE / J2EE namespaces, or no namespace (Servlet 2.3 DTD),
into the model of :mod:`catalina_py.config.web_xml_specs`;
:mod:`catalina_py.config.web_xml_merge` merges and checks descriptors.

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

The security elements (``<security-constraint>``, ``<login-config>``,
``<security-role>``, ``<security-role-ref>``) are read by
:mod:`catalina_py.config.web_xml_security`.

Elements catalina_py does not implement yet (JNDI resources,
JSP configuration...) produce :class:`ConfigWarning` entries in
:attr:`WebXml.warnings`.
"""

from __future__ import annotations

from lxml import etree

from catalina_py.config.web_xml_merge import merge_web_xml, validate_web_xml
from catalina_py.config.web_xml_security import (
    read_login_config,
    read_role_ref,
    read_security_constraint,
    read_security_role,
)
from catalina_py.config.web_xml_specs import (
    DISPATCHER_TYPES,
    JAKARTA_NAMESPACE,
    TRACKING_MODES,
    URL_PATTERN_HINT,
    WEB_XML_NAMESPACES,
    CookieConfig,
    ErrorPage,
    FilterDef,
    FilterMapping,
    ListenerDef,
    MultipartConfigDef,
    ServletDef,
    SessionConfig,
    WebXml,
    error_page_key,
    is_suspicious_pattern,
    url_pattern_error,
)
from catalina_py.config.websocket_params import IGNORED_PARAMS, check_context_param
from catalina_py.config.xml import Element, SourceLines, XmlReader, read_xml
from catalina_py.errors import ConfigError
from catalina_py.http.grammar import is_token

# The model and the merge are re-exported: ``catalina_py.config.web_xml``
# stays the one import for everything about deployment descriptors.
__all__ = [
    "CookieConfig",
    "DISPATCHER_TYPES",
    "ErrorPage",
    "FilterDef",
    "FilterMapping",
    "JAKARTA_NAMESPACE",
    "ListenerDef",
    "MultipartConfigDef",
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

# <web-app> children that only describe the application: accepted silently.
_DESCRIPTIVE = frozenset({"description", "icon", "distributable", "module-name"})

# <web-app> children defined by the Servlet specification that catalina_py
# does not implement yet: a warning each.
_UNSUPPORTED = frozenset(
    {
        "env-entry",
        "ejb-ref",
        "ejb-local-ref",
        "resource-ref",
        "resource-env-ref",
        "message-destination-ref",
        "message-destination",
        "service-ref",
        "persistence-context-ref",
        "persistence-unit-ref",
        "post-construct",
        "pre-destroy",
        "data-source",
        "locale-encoding-mapping-list",
        "jsp-config",
        "absolute-ordering",
        "administered-object",
        "connection-factory",
        "jms-connection-factory",
        "jms-destination",
        "mail-session",
        "context-service",
        "managed-executor",
        "managed-scheduled-executor",
        "managed-thread-factory",
        "taglib",
    }
)

_SERVLET_IGNORED = frozenset({"description", "display-name", "icon"})
_SERVLET_UNSUPPORTED = frozenset({"enabled", "run-as"})

_FILTER_IGNORED = frozenset({"description", "display-name", "icon"})

# --------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------


class _Parser(XmlReader):
    """One descriptor read: the shared reader, filling a :class:`WebXml`
    (whose ``warnings`` are the reader's)."""

    def __init__(self, file: str, namespace: str, lines: SourceLines) -> None:
        super().__init__(file, lines, namespace=namespace)
        self.web = WebXml(file=file)
        self.web.warnings = self.warnings

    # -- elements --------------------------------------------------------

    def web_app(self, root: Element) -> WebXml:
        """Read the ``<web-app>`` root element."""
        web = self.web
        web.version = root.get("version")
        complete = root.get("metadata-complete")
        if complete is not None:
            web.metadata_complete = self.text_boolean(root, complete, "metadata-complete")
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
        for name, child in self.elements(root):
            handler = handlers.get(name)
            if handler is not None:
                handler(child)
            elif name in _DESCRIPTIVE:
                continue
            elif name == "security-constraint":
                web.security_constraints.append(read_security_constraint(self, child))
            elif name == "login-config":
                if web.login_config is not None:
                    raise self.error(
                        child,
                        f"a second <login-config> (the first at {web.login_config.location})",
                        "one <login-config> per descriptor",
                    )
                web.login_config = read_login_config(self, child)
            elif name == "security-role":
                role = read_security_role(self, child)
                if role not in web.security_roles:
                    web.security_roles.append(role)
            elif name == "deny-uncovered-http-methods":
                web.deny_uncovered_http_methods = True
            elif name in _UNSUPPORTED:
                self.warn(child, f"<{name}> is not supported by catalina_py" " yet, ignored")
            else:
                self.warn(child, f"unknown element <{name}> in <web-app>, " "ignored")
        return web

    def display_name(self, element: Element) -> None:
        """``<display-name>``: the first one wins."""
        if self.web.display_name is None:
            self.web.display_name = self.text(element)

    def param(self, element: Element, what: str) -> tuple[str, str]:
        """A ``param-name`` / ``param-value`` pair."""
        name, _ = self.child_text(element, "param-name")
        value, _ = self.child_text(element, "param-value")
        if not name:
            raise self.error(
                element,
                f"<{what}> without a <param-name>",
                f"<{what}><param-name>name</param-name>" f"<param-value>value</param-value></{what}>",
            )
        return name, value or ""

    def context_param(self, element: Element) -> None:
        """``<context-param>``."""
        name, value = self.param(element, "context-param")
        if name in self.web.context_params:
            self.warn(element, f"context-param '{name}' is declared twice; " "the last value is used")
        expected = check_context_param(name, value)
        if expected is not None:
            raise self.error(element, f"context-param '{name}' has the value {value!r}", expected)
        if name in IGNORED_PARAMS:
            self.warn(element, f"context-param '{name}' is not used (Tomcat 10.1 ignores it too)")
        self.web.context_params[name] = value

    def servlet(self, element: Element) -> None:
        """``<servlet>``."""
        name = servlet_class = None
        init_params: dict[str, str] = {}
        load_on_startup: int | None = None
        async_supported = False
        jsp_file = False
        multipart: MultipartConfigDef | None = None
        role_refs: dict[str, str] = {}
        for child_name, child in self.elements(element):
            if child_name == "multipart-config":
                multipart = self.multipart_config(child)
                continue
            if child_name == "security-role-ref":
                ref, link = read_role_ref(self, child)
                role_refs[ref] = link
                continue
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
                    load_on_startup = self.text_integer(
                        child,
                        text,
                        "load-on-startup",
                        "<load-on-startup>1</load-on-startup> (an integer;" " lower values are loaded first)",
                    )
            elif child_name == "async-supported":
                async_supported = self.text_boolean(child, text, "async-supported")
            elif child_name in _SERVLET_IGNORED:
                continue
            elif child_name in _SERVLET_UNSUPPORTED:
                self.warn(child, f"<{child_name}> in <servlet> is not " "supported by catalina_py yet, ignored")
            else:
                self.warn(child, f"unknown element <{child_name}> in " "<servlet>, ignored")
        if not name:
            raise self.error(
                element, "<servlet> without a <servlet-name>", "<servlet-name>name</servlet-name> in every " "<servlet>"
            )
        if not servlet_class:
            if jsp_file:
                raise self.error(
                    element,
                    f"servlet '{name}' uses " "<jsp-file>: JSP is not supported by " "catalina_py",
                    "<servlet-class>package.module.Class" "</servlet-class>",
                )
            raise self.error(
                element,
                f"servlet '{name}' has no " "<servlet-class>",
                "<servlet-class>package.module.Class" "</servlet-class>",
            )
        if name in self.web.servlets:
            first = self.web.servlets[name].location
            raise self.error(
                element,
                f"servlet '{name}' is declared twice " f"(first at {first})",
                "a unique <servlet-name> for each <servlet>",
            )
        self.web.servlets[name] = ServletDef(
            name,
            servlet_class,
            init_params,
            load_on_startup,
            async_supported,
            self.location(element),
            multipart,
            role_refs,
        )

    def multipart_config(self, element: Element) -> MultipartConfigDef:
        """``<multipart-config>`` of a ``<servlet>``: each child optional."""
        location = ""
        sizes = {"max-file-size": -1, "max-request-size": -1, "file-size-threshold": 0}
        for child_name, child in self.elements(element):
            text = self.text(child)
            if child_name == "location":
                location = text
            elif child_name in sizes:
                sizes[child_name] = self.text_integer(
                    child,
                    text,
                    child_name,
                    f"<{child_name}>1048576</{child_name}> (a size in bytes"
                    + (")" if child_name == "file-size-threshold" else ", or -1 for no limit)"),
                )
            else:
                self.warn(child, f"unknown element <{child_name}> in <multipart-config>, ignored")
        return MultipartConfigDef(
            location, sizes["max-file-size"], sizes["max-request-size"], sizes["file-size-threshold"]
        )

    def servlet_mapping(self, element: Element) -> None:
        """``<servlet-mapping>``: one servlet, one or more url-patterns."""
        name: str | None = None
        patterns: list[tuple[str, Element]] = []
        for child_name, child in self.elements(element):
            if child_name == "servlet-name":
                name = self.text(child)
            elif child_name == "url-pattern":
                patterns.append((self.text(child), child))
            else:
                self.warn(child, f"unknown element <{child_name}> in " "<servlet-mapping>, ignored")
        if not name:
            raise self.error(
                element, "<servlet-mapping> without a " "<servlet-name>", "<servlet-name> naming a declared servlet"
            )
        if not patterns:
            raise self.error(element, f"<servlet-mapping> of '{name}' has " "no <url-pattern>", URL_PATTERN_HINT)
        for pattern, child in patterns:
            problem = url_pattern_error(pattern)
            if problem is not None:
                raise self.error(child, f"invalid url-pattern for servlet " f"'{name}': {problem}", URL_PATTERN_HINT)
            if is_suspicious_pattern(pattern):
                self.warn(
                    child,
                    f"suspicious url-pattern '{pattern}': the "
                    "'*' is matched literally (only a trailing '/*' "
                    "or a leading '*.' are wildcards)",
                )
            if pattern in self.web.servlet_mappings:
                other = self.web.servlet_mappings[pattern]
                first = self.web.mapping_locations[pattern]
                raise self.error(
                    child,
                    f"url-pattern '{pattern}' is mapped "
                    f"to both servlet '{other}' (at {first}) "
                    f"and servlet '{name}'",
                    "each url-pattern mapped to one servlet " "only",
                )
            self.web.servlet_mappings[pattern] = name
            self.web.mapping_locations[pattern] = self.location(child)

    def mime_mapping(self, element: Element) -> None:
        """``<mime-mapping>``: extension (lower-cased, no dot) -> type."""
        extension, _ = self.child_text(element, "extension")
        mime_type, _ = self.child_text(element, "mime-type")
        hint = "<mime-mapping><extension>html</extension><mime-type>" "text/html</mime-type></mime-mapping>"
        if extension and extension.startswith("."):
            self.warn(element, f"mime-mapping extension '{extension}' " "should be written without the leading dot")
            extension = extension[1:]
        if not extension:
            raise self.error(element, "<mime-mapping> without an " "<extension>", hint)
        if not mime_type:
            raise self.error(element, f"<mime-mapping> of '{extension}' " "without a <mime-type>", hint)
        self.web.mime_mappings[extension.lower()] = mime_type

    def welcome_file_list(self, element: Element) -> None:
        """``<welcome-file-list>``: lists add up; empty entries are
        skipped, as Tomcat does."""
        files = self.web.welcome_files
        if files is None:
            files = self.web.welcome_files = []
        for child_name, child in self.elements(element):
            if child_name != "welcome-file":
                self.warn(child, f"unknown element <{child_name}> in " "<welcome-file-list>, ignored")
                continue
            name = self.text(child)
            if name and name not in files:
                files.append(name)

    def session_config(self, element: Element) -> None:
        """``<session-config>``: timeout, cookie-config, tracking modes."""
        config = self.web.session_config
        for child_name, child in self.elements(element):
            if child_name == "session-timeout":
                text = self.text(child)
                if text:
                    timeout = self.text_integer(
                        child,
                        text,
                        "session-timeout",
                        "<session-timeout>30</session-timeout> (minutes; " "0 or less: sessions never expire)",
                    )
                    config.session_timeout = timeout
                    self.web.session_timeout = timeout
            elif child_name == "cookie-config":
                self.cookie_config(child, config.cookie_config)
            elif child_name == "tracking-mode":
                mode = self.text(child)
                hint = "<tracking-mode>COOKIE</tracking-mode> or " "<tracking-mode>URL</tracking-mode>"
                if mode == "SSL":
                    raise self.error(child, "session tracking mode SSL is " "not supported by catalina_py", hint)
                if mode not in TRACKING_MODES:
                    raise self.error(child, f"unknown session tracking mode " f"'{mode}'", hint)
                if config.tracking_modes is None:
                    config.tracking_modes = []
                if mode not in config.tracking_modes:
                    config.tracking_modes.append(mode)
            else:
                self.warn(child, f"unknown element <{child_name}> in " "<session-config>, ignored")

    def cookie_config(self, element: Element, cookie: CookieConfig) -> None:
        """``<cookie-config>``: the session cookie's name and attributes."""
        for child_name, child in self.elements(element):
            text = self.text(child)
            if child_name == "name":
                if not is_token(text):
                    raise self.error(
                        child,
                        f"invalid session cookie name " f"'{text}'",
                        "a cookie name made of " "letters, digits and !#$%&'*+-.^_`|~ " "(no spaces, no '=' or ';')",
                    )
                cookie.name = text
            elif child_name == "domain":
                cookie.domain = text
            elif child_name == "path":
                cookie.path = text
            elif child_name == "http-only":
                cookie.http_only = self.text_boolean(child, text, "http-only")
            elif child_name == "secure":
                cookie.secure = self.text_boolean(child, text, "secure")
            elif child_name == "max-age":
                cookie.max_age = self.text_integer(
                    child, text, "max-age", "<max-age>3600</max-age> (seconds; -1: until the " "browser closes)"
                )
            elif child_name == "attribute":
                name, _ = self.child_text(child, "attribute-name")
                value, _ = self.child_text(child, "attribute-value")
                if not name or not is_token(name):
                    raise self.error(
                        child,
                        "<attribute> in <cookie-config> " "needs an <attribute-name> token",
                        "<attribute><attribute-name>SameSite"
                        "</attribute-name><attribute-value>"
                        "Lax</attribute-value></attribute>",
                    )
                cookie.attributes[name] = value or ""
            elif child_name == "comment":
                self.warn(child, "<comment> in <cookie-config> is " "deprecated (RFC 6265 has no comment), ignored")
            else:
                self.warn(child, f"unknown element <{child_name}> in " "<cookie-config>, ignored")

    def filter(self, element: Element) -> None:
        """``<filter>``."""
        name = filter_class = None
        init_params: dict[str, str] = {}
        async_supported = False
        for child_name, child in self.elements(element):
            text = self.text(child)
            if child_name == "filter-name":
                name = text
            elif child_name == "filter-class":
                filter_class = text
            elif child_name == "init-param":
                key, value = self.param(child, "init-param")
                init_params[key] = value
            elif child_name == "async-supported":
                async_supported = self.text_boolean(child, text, "async-supported")
            elif child_name in _FILTER_IGNORED:
                continue
            else:
                self.warn(child, f"unknown element <{child_name}> in " "<filter>, ignored")
        if not name:
            raise self.error(
                element, "<filter> without a <filter-name>", "<filter-name>name</filter-name> in every " "<filter>"
            )
        if not filter_class:
            raise self.error(
                element,
                f"filter '{name}' has no " "<filter-class>",
                "<filter-class>package.module.Class" "</filter-class>",
            )
        self.check_dotted(element, filter_class, f"filter-class of '{name}'")
        if name in self.web.filters:
            first = self.web.filters[name].location
            raise self.error(
                element,
                f"filter '{name}' is declared twice " f"(first at {first})",
                "a unique <filter-name> for each <filter>",
            )
        self.web.filters[name] = FilterDef(name, filter_class, init_params, async_supported, self.location(element))

    def filter_mapping(self, element: Element) -> None:
        """``<filter-mapping>``: a filter, url-patterns and/or servlet
        names (``*`` is every servlet), dispatcher types."""
        name: str | None = None
        patterns: list[str] = []
        servlet_names: list[str] = []
        dispatchers: list[str] = []
        for child_name, child in self.elements(element):
            text = self.text(child)
            if child_name == "filter-name":
                name = text
            elif child_name == "url-pattern":
                problem = url_pattern_error(text)
                if problem is None and text == "":
                    problem = "the empty url-pattern is only valid in a " "<servlet-mapping>"
                if problem is not None:
                    raise self.error(
                        child,
                        f"invalid url-pattern in a " f"<filter-mapping>: {problem}",
                        '"/exact/path", "/prefix/*", "/*", ' '"*.extension" or "/"',
                    )
                if is_suspicious_pattern(text):
                    self.warn(
                        child,
                        f"suspicious url-pattern '{text}': the"
                        " '*' is matched literally (only a trailing "
                        "'/*' or a leading '*.' are wildcards)",
                    )
                if text not in patterns:
                    patterns.append(text)
            elif child_name == "servlet-name":
                if not text:
                    raise self.error(
                        child,
                        "empty <servlet-name> in a " "<filter-mapping>",
                        "the name of a declared servlet, or *" " for every servlet",
                    )
                if text not in servlet_names:
                    servlet_names.append(text)
            elif child_name == "dispatcher":
                dispatcher = text.upper()
                if dispatcher not in DISPATCHER_TYPES:
                    raise self.error(child, f"unknown dispatcher '{text}'", "one of " + ", ".join(DISPATCHER_TYPES))
                if dispatcher not in dispatchers:
                    dispatchers.append(dispatcher)
            else:
                self.warn(child, f"unknown element <{child_name}> in " "<filter-mapping>, ignored")
        if not name:
            raise self.error(
                element, "<filter-mapping> without a " "<filter-name>", "<filter-name> naming a declared filter"
            )
        if not patterns and not servlet_names:
            raise self.error(
                element,
                f"<filter-mapping> of '{name}' has " "neither a <url-pattern> nor a <servlet-name>",
                "at least one <url-pattern> or <servlet-name>",
            )
        self.web.filter_mappings.append(
            FilterMapping(name, patterns, servlet_names, dispatchers or ["REQUEST"], self.location(element))
        )

    def listener(self, element: Element) -> None:
        """``<listener>``: one listener class, in declaration order."""
        listener_class, child = self.child_text(element, "listener-class")
        if not listener_class:
            raise self.error(
                element,
                "<listener> without a " "<listener-class>",
                "<listener-class>package.module.Class" "</listener-class>",
            )
        self.check_dotted(child if child is not None else element, listener_class, "listener-class")
        if any(existing.listener_class == listener_class for existing in self.web.listeners):
            self.warn(element, f"listener '{listener_class}' is declared " "twice; it is instantiated once")
            return
        self.web.listeners.append(ListenerDef(listener_class, self.location(element)))

    def error_page(self, element: Element) -> None:
        """``<error-page>``: error-code or exception-type (or neither: the
        default error page) and a location starting with ``/``."""
        code_text, code_element = self.child_text(element, "error-code")
        exception, exception_element = self.child_text(element, "exception-type")
        location, location_element = self.child_text(element, "location")
        hint = (
            "<error-page><error-code>404</error-code><location>"
            "/errors/404.html</location></error-page>, or "
            "<exception-type>package.module.Error</exception-type> "
            "instead of <error-code>"
        )
        if code_text is not None and exception is not None:
            raise self.error(element, "<error-page> has both an " "<error-code> and an <exception-type>", hint)
        if not location:
            raise self.error(element, "<error-page> without a <location>", hint)
        if not location.startswith("/"):
            raise self.error(
                location_element if location_element is not None else element,
                f"error-page location '{location}' must start" " with '/'",
                "a path inside the webapp, such " "as /errors/404.html",
            )
        code: int | None = None
        if code_text is not None:
            assert code_element is not None
            code = self.text_integer(code_element, code_text, "error-code", "an HTTP status code such as 404 or 500")
            if not 100 <= code <= 599:
                raise self.error(
                    code_element,
                    f"error-code {code} is not " "an HTTP status code",
                    "a status code between 400 and 599",
                )
            if code < 400:
                self.warn(
                    code_element,
                    f"error-page for status {code} is " "never used: error pages apply to statuses of 400" " and above",
                )
        if exception is not None:
            assert exception_element is not None
            self.check_dotted(exception_element, exception, "exception-type")
        page = ErrorPage(location, code, exception, self.location(element))
        key = error_page_key(page)
        for index, existing in enumerate(self.web.error_pages):
            if error_page_key(existing) == key:
                self.warn(element, f"error-page for {_describe_key(key)} is " "declared twice; the last one is used")
                del self.web.error_pages[index]
                break
        self.web.error_pages.append(page)

    def request_encoding(self, element: Element) -> None:
        """``<request-character-encoding>``."""
        self.web.request_character_encoding = self.text_encoding(element, "request-character-encoding")

    def response_encoding(self, element: Element) -> None:
        """``<response-character-encoding>``."""
        self.web.response_character_encoding = self.text_encoding(element, "response-character-encoding")


def _describe_key(key: int | str) -> str:
    if isinstance(key, int):
        return f"status {key}"
    return f"exception '{key}'" if key else "the default error page"


def parse_web_xml(path: str, data: bytes | None = None) -> WebXml:
    """Read one deployment descriptor; see the module documentation for
    the checks made.  *data*: its bytes, when read from a WAR (*path* then
    names it, ``.../app.war!/WEB-INF/web.xml``).  Raises :class:`ConfigError`."""
    tree, lines = read_xml(path, "<web-app>", data)
    root = tree.getroot()
    qname = etree.QName(root)
    namespace = qname.namespace or ""
    if qname.localname != "web-app" or namespace not in WEB_XML_NAMESPACES:
        raise ConfigError(
            f"the root element must be <web-app>, found <{root.tag}>",
            path,
            lines.start_line(root),
            f'<web-app xmlns="{JAKARTA_NAMESPACE}" version="6.0">',
        )
    return _Parser(path, namespace, lines).web_app(root)
