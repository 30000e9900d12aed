"""The model of a deployment descriptor (``web.xml``): what
:func:`~catalina_py.config.web_xml.parse_web_xml` produces,
:func:`~catalina_py.config.web_xml_merge.merge_web_xml` combines and the
container builds a webapp from, plus the url-pattern syntax of the Servlet
specification (also used by the ``@web_servlet`` annotations).

These records are mutable: the annotation scan of a starting context
completes them (Tomcat's ``WebXml`` is mutable for the same reason).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from catalina_py.errors import ConfigWarning, Location
from catalina_py.security.constraints import SecurityConstraint

__all__ = [
    "CookieConfig",
    "DISPATCHER_TYPES",
    "ErrorPage",
    "FilterDef",
    "FilterMapping",
    "JAKARTA_NAMESPACE",
    "ListenerDef",
    "LoginConfig",
    "MultipartConfigDef",
    "ServletDef",
    "SessionConfig",
    "TRACKING_MODES",
    "URL_PATTERN_HINT",
    "WEB_XML_NAMESPACES",
    "WebXml",
    "error_page_key",
    "is_suspicious_pattern",
    "url_pattern_error",
]

#: Namespace of Jakarta EE 9+ descriptors (Servlet 5.0 and later).
JAKARTA_NAMESPACE = "https://jakarta.ee/xml/ns/jakartaee"

#: Accepted namespaces of the ``<web-app>`` root; ``""`` means none.
WEB_XML_NAMESPACES: tuple[str, ...] = (
    JAKARTA_NAMESPACE,
    "http://xmlns.jcp.org/xml/ns/javaee",  # Servlet 3.1 / 4.0
    "http://java.sun.com/xml/ns/javaee",  # Servlet 2.5 / 3.0
    "http://java.sun.com/xml/ns/j2ee",  # Servlet 2.4
    "",  # Servlet 2.2 / 2.3 (DTD)
)


@dataclass(frozen=True)
class MultipartConfigDef:
    """A ``<servlet><multipart-config>``: where and how large the parts of
    a ``multipart/form-data`` request may be (sizes in bytes, -1: no limit;
    ``location`` "" means the context's temporary directory)."""

    location: str = ""
    max_file_size: int = -1
    max_request_size: int = -1
    file_size_threshold: int = 0


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
    #: ``<multipart-config>``, None when the servlet has none.
    multipart_config: MultipartConfigDef | None = None
    #: ``<security-role-ref>``: the role name the servlet's code uses ->
    #: the ``<role-link>`` (a role of ``<security-role>``).
    security_role_refs: dict[str, str] = field(default_factory=dict)


@dataclass
class FilterDef:
    """A ``<filter>``: a named filter class and its init parameters."""

    name: str
    filter_class: str
    init_params: dict[str, str] = field(default_factory=dict)
    async_supported: bool = False
    location: Location | None = None


@dataclass(frozen=True)
class LoginConfig:
    """``<login-config>``: how users log in (``BASIC``, ``FORM`` or
    ``DIGEST``; ``None``: no login method, only ``request.login()``), the
    realm name of the challenge, and FORM's login and error pages
    (context-relative, starting with ``/``)."""

    auth_method: str | None = None
    realm_name: str | None = None
    login_page: str | None = None
    error_page: str | None = None
    location: Location | None = field(default=None, compare=False)


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
    #: ``<security-constraint>`` elements, in declaration order.
    security_constraints: list[SecurityConstraint] = field(default_factory=list)
    #: ``<login-config>``, None when there is none.
    login_config: LoginConfig | None = None
    #: ``<security-role>`` role names, in declaration order.
    security_roles: list[str] = field(default_factory=list)
    #: ``<deny-uncovered-http-methods/>``.
    deny_uncovered_http_methods: bool = False
    #: The global descriptor this one was merged over (set by
    #: :func:`~catalina_py.config.web_xml_merge.merge_web_xml`), kept so that the annotation scan made when
    #: the context starts can redo the merge in Tomcat's order
    #: (application + annotations first, then the defaults under them).
    defaults: WebXml | None = field(default=None, repr=False, compare=False)


# --------------------------------------------------------------------------
# url-pattern syntax
# --------------------------------------------------------------------------

#: The url-pattern forms, for the hint of a message about a bad one.
URL_PATTERN_HINT = '"/exact/path", "/prefix/*", "*.extension", "/" (default ' 'servlet) or "" (context root only)'


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
            return f"extension url-pattern '{pattern}' must not contain " "'/'"
        if len(pattern) == 2:
            return "extension url-pattern '*.' has no extension"
        return None
    if pattern.startswith("/"):
        if "*." in pattern:
            return (
                f"url-pattern '{pattern}' mixes a path and an extension;"
                " the Servlet specification has no such pattern"
            )
        return None
    return f"url-pattern '{pattern}' must start with '/' or '*.'"


def is_suspicious_pattern(pattern: str) -> bool:
    """Whether a valid pattern holds a ``*`` that will match literally."""
    if pattern.startswith("*."):
        return "*" in pattern[2:]
    body = pattern[:-2] if pattern.endswith("/*") else pattern
    return "*" in body


def error_page_key(page: ErrorPage) -> int | str:
    """What an error page is for: its status code, its exception type, or
    ``""`` for the default error page.  One descriptor has at most one
    page per key; merging keeps the application's page for a key."""
    if page.error_code is not None:
        return page.error_code
    return page.exception_type or ""
