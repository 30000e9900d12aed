"""``@web_servlet``, ``@web_filter``, ``@web_listener`` and
``@multipart_config``: the Python spelling of
``jakarta.servlet.annotation.WebServlet``, ``WebFilter``, ``WebListener``
and ``MultipartConfig``.

The decorators only record metadata on the class (in its own
``__dict__``, so subclasses are not decorated by inheritance, as Java
annotations are not ``@Inherited``) and return the class unchanged.  When
a webapp whose ``web.xml`` is not ``metadata-complete`` starts, the
container scans the modules under ``WEB-INF/classes`` for decorated
classes and merges them with the descriptor
(:mod:`catalina_py.deploy.context_config`)::

    from catalina_py.servlet import HttpServlet
    from catalina_py.servlet.annotation import web_servlet

    @web_servlet("/hello", load_on_startup=1)
    class HelloServlet(HttpServlet):
        ...

Bad arguments raise :class:`TypeError` or :class:`ValueError` when the
decorator is applied, so a mistake is reported with the module that made
it (and fails the webapp's deployment).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar, overload

from ..errors import Location
from .part import MultipartConfigElement

__all__ = [
    "HttpConstraintInfo",
    "HttpMethodConstraintInfo",
    "MULTIPART_CONFIG_ATTR",
    "SERVLET_SECURITY_ATTR",
    "ServletSecurityInfo",
    "get_servlet_security",
    "http_constraint",
    "http_method_constraint",
    "servlet_security",
    "WEB_FILTER_ATTR",
    "WEB_LISTENER_ATTR",
    "WEB_SERVLET_ATTR",
    "WebFilterInfo",
    "WebListenerInfo",
    "WebServletInfo",
    "get_multipart_config",
    "get_web_filter",
    "get_web_listener",
    "get_web_servlet",
    "web_filter",
    "multipart_config",
    "web_listener",
    "web_servlet",
]

#: Class attribute holding the :class:`WebServletInfo` of ``@web_servlet``.
WEB_SERVLET_ATTR = "__catalina_web_servlet__"
#: Class attribute holding the :class:`WebFilterInfo` of ``@web_filter``.
WEB_FILTER_ATTR = "__catalina_web_filter__"
#: Class attribute holding the :class:`WebListenerInfo` of ``@web_listener``.
WEB_LISTENER_ATTR = "__catalina_web_listener__"
#: Class attribute holding the ``MultipartConfigElement`` of ``@multipart_config``.
MULTIPART_CONFIG_ATTR = "__catalina_multipart_config__"

_DISPATCHERS = ("REQUEST", "FORWARD", "INCLUDE", "ERROR", "ASYNC")

C = TypeVar("C", bound=type)


@dataclass(frozen=True)
class WebServletInfo:
    """What ``@web_servlet`` declared.  ``name`` ``None`` means the
    servlet is named after its class (``module.Class``, as Tomcat names it
    after the fully qualified class name)."""

    url_patterns: tuple[str, ...]
    name: str | None = None
    init_params: Mapping[str, str] = field(default_factory=dict)
    load_on_startup: int | None = None
    async_supported: bool = False
    location: Location | None = None


@dataclass(frozen=True)
class WebFilterInfo:
    """What ``@web_filter`` declared.  ``dispatcher_types`` ``None`` means
    not given (REQUEST, the annotation's default); ``filter_name`` ``None``
    means the filter is named after its class."""

    url_patterns: tuple[str, ...] = ()
    servlet_names: tuple[str, ...] = ()
    dispatcher_types: tuple[str, ...] | None = None
    filter_name: str | None = None
    init_params: Mapping[str, str] = field(default_factory=dict)
    async_supported: bool = False
    location: Location | None = None


@dataclass(frozen=True)
class WebListenerInfo:
    """What ``@web_listener`` declared (a description only)."""

    description: str = ""
    location: Location | None = None


# --------------------------------------------------------------------------
# Argument checks
# --------------------------------------------------------------------------


def _caller_location() -> Location | None:
    """The file and line of the code applying the decorator (two frames
    up: the decorator factory's caller)."""
    try:
        frame = sys._getframe(2)  # reach: the stdlib's way to the decorator's caller
    except ValueError:  # pragma: no cover - no such frame
        return None
    return Location(frame.f_code.co_filename, frame.f_lineno)


def _strings(value: str | Iterable[str] | None, what: str) -> tuple[str, ...]:
    """A string or an iterable of strings, as a tuple without duplicates."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    try:
        items = list(value)
    except TypeError:
        raise TypeError(f"{what} must be a string or a list of strings, " f"got {type(value).__name__}") from None
    result: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise TypeError(f"{what} must contain strings, got " f"{type(item).__name__} {item!r}")
        if item not in result:
            result.append(item)
    return tuple(result)


def _url_patterns(annotation: str, value: Any, url_patterns: Any, for_filter: bool) -> tuple[str, ...]:
    """``value`` or ``url_patterns`` (not both, as Tomcat insists), each
    checked against the Servlet specification's url-pattern syntax."""
    from ..config.web_xml import url_pattern_error

    if value is not None and url_patterns is not None:
        raise ValueError(f"@{annotation} takes value or url_patterns, not " "both")
    patterns = _strings(value if value is not None else url_patterns, "url_patterns")
    for pattern in patterns:
        problem = url_pattern_error(pattern)
        if problem is None and for_filter and pattern == "":
            problem = "the empty url-pattern is only valid for a servlet"
        if problem is not None:
            raise ValueError(f"@{annotation}: invalid url-pattern: {problem}")
    return patterns


def _init_params(value: Mapping[str, str] | None) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise TypeError("init_params must be a dict of str to str, got " f"{type(value).__name__}")
    for key, item in value.items():
        if not isinstance(key, str) or not key or not isinstance(item, str):
            raise TypeError("init_params must map non-empty str names to " f"str values, got {key!r}: {item!r}")
    return dict(value)


def _optional_name(value: str | None, what: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{what} must be a non-empty string, got {value!r}")
    return value.strip()


def _check_bool(value: Any, what: str) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{what} must be True or False, got {value!r}")
    return value


def _check_class(cls: Any, annotation: str) -> None:
    if not isinstance(cls, type):
        raise TypeError(f"@{annotation} decorates a class, not " f"{type(cls).__name__} {cls!r}")


def _dispatchers(value: Any) -> tuple[str, ...] | None:
    """Dispatcher types as upper-case names (strings or enum members are
    accepted), or None when not given."""
    if value is None:
        return None
    items = [value] if isinstance(value, str) or hasattr(value, "name") else list(value)
    result: list[str] = []
    for item in items:
        name = getattr(item, "name", item)
        if not isinstance(name, str) or name.upper() not in _DISPATCHERS:
            raise ValueError(f"unknown dispatcher type {item!r}; expected " "one of " + ", ".join(_DISPATCHERS))
        if name.upper() not in result:
            result.append(name.upper())
    return tuple(result)


# --------------------------------------------------------------------------
# Decorators
# --------------------------------------------------------------------------


def web_servlet(
    value: str | Iterable[str] | None = None,
    *,
    url_patterns: str | Iterable[str] | None = None,
    name: str | None = None,
    init_params: Mapping[str, str] | None = None,
    load_on_startup: int | None = None,
    async_supported: bool = False,
) -> Callable[[C], C]:
    """Declare a servlet class: ``@web_servlet("/hello")`` or
    ``@web_servlet(url_patterns=["/a", "/b/*"], name="ab")``.

    ``value`` and ``url_patterns`` are the same (give one); ``name``
    defaults to ``module.Class``; ``load_on_startup`` as in web.xml (a
    non-negative value loads the servlet when the webapp starts).  If
    web.xml declares a servlet of the same name, web.xml wins: the
    annotation only adds the init-params and settings web.xml leaves out,
    and its url-patterns are used only if web.xml maps that servlet
    nowhere.
    """
    patterns = _url_patterns("web_servlet", value, url_patterns, False)
    info_name = _optional_name(name, "name")
    params = _init_params(init_params)
    if load_on_startup is not None and (isinstance(load_on_startup, bool) or not isinstance(load_on_startup, int)):
        raise TypeError("load_on_startup must be an int or None, got " f"{load_on_startup!r}")
    _check_bool(async_supported, "async_supported")
    location = _caller_location()

    def decorate(cls: C) -> C:
        _check_class(cls, "web_servlet")
        if not callable(getattr(cls, "service", None)):
            raise TypeError(
                f"@web_servlet class {cls.__qualname__} is not "
                "a servlet (it has no service() method); "
                "subclass catalina_py.servlet.HttpServlet"
            )
        setattr(
            cls,
            WEB_SERVLET_ATTR,
            WebServletInfo(patterns, info_name, params, load_on_startup, async_supported, location),
        )
        return cls

    return decorate


def web_filter(
    value: str | Iterable[str] | None = None,
    *,
    url_patterns: str | Iterable[str] | None = None,
    servlet_names: str | Iterable[str] | None = None,
    dispatcher_types: Any = None,
    filter_name: str | None = None,
    init_params: Mapping[str, str] | None = None,
    async_supported: bool = False,
) -> Callable[[C], C]:
    """Declare a filter class: ``@web_filter("/*")`` or
    ``@web_filter(servlet_names=["hello"], dispatcher_types=["REQUEST",
    "FORWARD"])``.

    ``value`` and ``url_patterns`` are the same (give one);
    ``servlet_names`` may hold ``"*"`` (every servlet);
    ``dispatcher_types`` are REQUEST, FORWARD, INCLUDE, ERROR, ASYNC
    (REQUEST when not given); ``filter_name`` defaults to ``module.Class``.
    web.xml wins over the annotation for a filter of the same name.
    """
    patterns = _url_patterns("web_filter", value, url_patterns, True)
    names = _strings(servlet_names, "servlet_names")
    if any(not item for item in names):
        raise ValueError("servlet_names must not contain an empty name")
    dispatchers = _dispatchers(dispatcher_types)
    info_name = _optional_name(filter_name, "filter_name")
    params = _init_params(init_params)
    _check_bool(async_supported, "async_supported")
    location = _caller_location()

    def decorate(cls: C) -> C:
        _check_class(cls, "web_filter")
        if not callable(getattr(cls, "do_filter", None)):
            raise TypeError(f"@web_filter class {cls.__qualname__} is not a " "filter (it has no do_filter() method)")
        setattr(
            cls,
            WEB_FILTER_ATTR,
            WebFilterInfo(patterns, names, dispatchers, info_name, params, async_supported, location),
        )
        return cls

    return decorate


@overload
def web_listener(cls: C, /) -> C: ...


@overload
def web_listener(value: str = "", /) -> Callable[[C], C]: ...


def web_listener(target: Any = "", /) -> Any:
    """Declare a listener class: ``@web_listener``, ``@web_listener()`` or
    ``@web_listener("what it does")``.

    The class must subclass at least one listener interface of
    :mod:`catalina_py.servlet.listeners`.  Listeners found by the scan are
    added after those web.xml declares.
    """
    location = _caller_location()

    def decorate(cls: C, description: str = "") -> C:
        from .listeners import LISTENER_INTERFACES

        _check_class(cls, "web_listener")
        declared: C = cls  # issubclass below narrows cls; the decorator returns it as given
        if not issubclass(cls, LISTENER_INTERFACES):
            names = ", ".join(i.__name__ for i in LISTENER_INTERFACES)
            raise TypeError(
                f"@web_listener class {cls.__qualname__} "
                "implements no listener interface; subclass "
                f"one of {names} (catalina_py.servlet."
                "listeners)"
            )
        setattr(declared, WEB_LISTENER_ATTR, WebListenerInfo(description, location))
        return declared

    if isinstance(target, type):
        return decorate(target)
    if not isinstance(target, str):
        raise TypeError("@web_listener takes a class or a description " f"string, got {type(target).__name__}")
    return lambda cls: decorate(cls, target)


def multipart_config(
    *,
    location: str = "",
    max_file_size: int = -1,
    max_request_size: int = -1,
    file_size_threshold: int = 0,
) -> Callable[[C], C]:
    """Let a servlet class receive ``multipart/form-data`` requests
    (``request.get_parts()``): ``@multipart_config(max_file_size=10485760)``.

    The same settings as web.xml's ``<multipart-config>``, which wins when
    the servlet's ``<servlet>`` has one: ``location`` (where parts over the
    threshold are written; "" for the context's temporary directory,
    relative paths under it), ``max_file_size`` and ``max_request_size``
    in bytes (-1: no limit), ``file_size_threshold`` (larger parts go to
    disk). Read from the class when the servlet is used, whether web.xml or
    ``@web_servlet`` declares it, as Tomcat reads ``@MultipartConfig``.
    """
    for what, value in (
        ("max_file_size", max_file_size),
        ("max_request_size", max_request_size),
        ("file_size_threshold", file_size_threshold),
    ):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{what} must be an int, got {value!r}")
    if file_size_threshold < 0:
        raise ValueError(f"file_size_threshold must not be negative, got {file_size_threshold}")
    if not isinstance(location, str):
        raise TypeError(f"location must be a string, got {location!r}")
    config = MultipartConfigElement(location, max_file_size, max_request_size, file_size_threshold)

    def decorate(cls: C) -> C:
        _check_class(cls, "multipart_config")
        setattr(cls, MULTIPART_CONFIG_ATTR, config)
        return cls

    return decorate


# --------------------------------------------------------------------------
# Reading the metadata
# --------------------------------------------------------------------------


def get_web_servlet(cls: type) -> WebServletInfo | None:
    """The ``@web_servlet`` metadata of ``cls`` itself (not inherited)."""
    info = vars(cls).get(WEB_SERVLET_ATTR)
    return info if isinstance(info, WebServletInfo) else None


def get_web_filter(cls: type) -> WebFilterInfo | None:
    """The ``@web_filter`` metadata of ``cls`` itself (not inherited)."""
    info = vars(cls).get(WEB_FILTER_ATTR)
    return info if isinstance(info, WebFilterInfo) else None


def get_web_listener(cls: type) -> WebListenerInfo | None:
    """The ``@web_listener`` metadata of ``cls`` itself (not inherited)."""
    info = vars(cls).get(WEB_LISTENER_ATTR)
    return info if isinstance(info, WebListenerInfo) else None


def get_multipart_config(cls: type) -> MultipartConfigElement | None:
    """The ``@multipart_config`` of ``cls`` itself (not inherited, as
    ``@MultipartConfig`` is not ``@Inherited``)."""
    info = vars(cls).get(MULTIPART_CONFIG_ATTR)
    return info if isinstance(info, MultipartConfigElement) else None


# --------------------------------------------------------------------------
# @servlet_security (jakarta.servlet.annotation.ServletSecurity)
# --------------------------------------------------------------------------

#: Class attribute holding the :class:`ServletSecurityInfo` of ``@servlet_security``.
SERVLET_SECURITY_ATTR = "__catalina_servlet_security__"

_GUARANTEES = ("NONE", "CONFIDENTIAL")


@dataclass(frozen=True)
class HttpConstraintInfo:
    """``@HttpConstraint``: ``empty_role_semantic`` ``PERMIT`` or ``DENY``
    (what no ``roles_allowed`` means), the roles allowed, the transport
    guarantee (``NONE`` or ``CONFIDENTIAL``)."""

    empty_role_semantic: str = "PERMIT"
    roles_allowed: tuple[str, ...] = ()
    transport_guarantee: str = "NONE"


@dataclass(frozen=True)
class HttpMethodConstraintInfo(HttpConstraintInfo):
    """``@HttpMethodConstraint``: the same for one HTTP method."""

    method: str = "GET"


@dataclass(frozen=True)
class ServletSecurityInfo:
    """What ``@servlet_security`` declared: the constraint of every method
    not listed, and one per listed method."""

    http_constraint: HttpConstraintInfo = HttpConstraintInfo()
    http_method_constraints: tuple[HttpMethodConstraintInfo, ...] = ()
    location: Location | None = None


def _constraint_args(
    empty_role_semantic: str, roles_allowed: str | Iterable[str] | None, transport_guarantee: str
) -> tuple[str, tuple[str, ...], str]:
    semantic = str(getattr(empty_role_semantic, "name", empty_role_semantic)).upper()
    if semantic not in ("PERMIT", "DENY"):
        raise ValueError(f"empty_role_semantic must be PERMIT or DENY, got {empty_role_semantic!r}")
    roles = _strings(roles_allowed, "roles_allowed")
    if semantic == "DENY" and roles:
        raise ValueError("empty_role_semantic DENY with roles_allowed: give one or the other")
    guarantee = str(getattr(transport_guarantee, "name", transport_guarantee)).upper()
    if guarantee not in _GUARANTEES:
        raise ValueError(f"transport_guarantee must be NONE or CONFIDENTIAL, got {transport_guarantee!r}")
    return semantic, roles, guarantee


def http_constraint(
    value: str = "PERMIT",
    *,
    roles_allowed: str | Iterable[str] | None = None,
    transport_guarantee: str = "NONE",
) -> HttpConstraintInfo:
    """``@HttpConstraint``: ``http_constraint(roles_allowed=["admin"])``,
    ``http_constraint("DENY")``, ``http_constraint(transport_guarantee="CONFIDENTIAL")``."""
    return HttpConstraintInfo(*_constraint_args(value, roles_allowed, transport_guarantee))


def http_method_constraint(
    method: str,
    value: str = "PERMIT",
    *,
    roles_allowed: str | Iterable[str] | None = None,
    transport_guarantee: str = "NONE",
) -> HttpMethodConstraintInfo:
    """``@HttpMethodConstraint``: ``http_method_constraint("POST", roles_allowed="admin")``."""
    from ..http.grammar import is_token

    if not isinstance(method, str) or not is_token(method):
        raise ValueError(f"http_method_constraint needs an HTTP method name, got {method!r}")
    semantic, roles, guarantee = _constraint_args(value, roles_allowed, transport_guarantee)
    return HttpMethodConstraintInfo(semantic, roles, guarantee, method)


def servlet_security(
    value: HttpConstraintInfo | None = None,
    *,
    http_method_constraints: Iterable[HttpMethodConstraintInfo] = (),
) -> Callable[[C], C]:
    """Protect a servlet class at every url-pattern it is mapped to
    (``jakarta.servlet.annotation.ServletSecurity``)::

        @servlet_security(http_constraint(roles_allowed=["admin"]),
                          http_method_constraints=[http_method_constraint("GET")])
        class AdminServlet(HttpServlet): ...

    A url-pattern that a web.xml ``<security-constraint>`` already names
    keeps web.xml's constraint (the specification's rule).
    """
    default = value if value is not None else HttpConstraintInfo()
    if not isinstance(default, HttpConstraintInfo) or isinstance(default, HttpMethodConstraintInfo):
        raise TypeError("@servlet_security takes an http_constraint(...)")
    methods = tuple(http_method_constraints)
    seen: set[str] = set()
    for item in methods:
        if not isinstance(item, HttpMethodConstraintInfo):
            raise TypeError("http_method_constraints must hold http_method_constraint(...) values")
        if item.method in seen:
            raise ValueError(f"http_method_constraints names {item.method} twice")
        seen.add(item.method)
    location = _caller_location()

    def decorate(cls: C) -> C:
        _check_class(cls, "servlet_security")
        setattr(cls, SERVLET_SECURITY_ATTR, ServletSecurityInfo(default, methods, location))
        return cls

    return decorate


def get_servlet_security(cls: type) -> ServletSecurityInfo | None:
    """The ``@servlet_security`` of ``cls`` (inherited, as ``@ServletSecurity``
    is ``@Inherited``)."""
    info = getattr(cls, SERVLET_SECURITY_ATTR, None)
    return info if isinstance(info, ServletSecurityInfo) else None
