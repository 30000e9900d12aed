"""Checking and merging deployment descriptors.

:func:`merge_web_xml` merges the global ``conf/web.xml`` *under* an
application's descriptor following Tomcat's ``ContextConfig.webConfig``
(the defaults are merged like a web fragment with the lowest priority, see
``WebXml.merge``), then checks cross references with
:func:`validate_web_xml`.
"""

from __future__ import annotations

import dataclasses
from typing import TypeVar

from catalina_py.config.web_xml_specs import (
    CookieConfig,
    ErrorPage,
    FilterDef,
    FilterMapping,
    ServletDef,
    SessionConfig,
    WebXml,
    error_page_key,
)
from catalina_py.errors import ConfigError, ConfigWarning

__all__ = ["merge_web_xml", "validate_web_xml"]

_T = TypeVar("_T")


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
                "a <servlet-name> declared by a <servlet> element",
            )
    for mapping in web.filter_mappings:
        if mapping.filter_name not in web.filters:
            declared = ", ".join(sorted(web.filters)) or "none"
            raise ConfigError.at(
                mapping.location,
                f"<filter-mapping> names filter '{mapping.filter_name}', "
                f"which is not declared (declared filters: {declared})",
                "a <filter-name> declared by a <filter> element",
            )


def _merge_servlet(default: ServletDef, app: ServletDef) -> ServletDef:
    """The app's definition, completed by the default one of the same name
    (init-params and load-on-startup it does not set)."""
    return dataclasses.replace(
        app,
        init_params={**default.init_params, **app.init_params},
        load_on_startup=(app.load_on_startup if app.load_on_startup is not None else default.load_on_startup),
        multipart_config=app.multipart_config or default.multipart_config,
        security_role_refs={**default.security_role_refs, **app.security_role_refs},
    )


def _copy_mapping(mapping: FilterMapping) -> FilterMapping:
    return dataclasses.replace(
        mapping,
        url_patterns=list(mapping.url_patterns),
        servlet_names=list(mapping.servlet_names),
        dispatchers=list(mapping.dispatchers),
    )


def _merge_filters(defaults: WebXml, app: WebXml) -> tuple[dict[str, FilterDef], list[FilterMapping]]:
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
            filters[name] = dataclasses.replace(definition, init_params=dict(definition.init_params))
    mappings = [_copy_mapping(m) for m in app.filter_mappings]
    app_mapped = {m.filter_name for m in app.filter_mappings}
    mappings.extend(_copy_mapping(m) for m in defaults.filter_mappings if m.filter_name not in app_mapped)
    return filters, mappings


def _merge_error_pages(defaults: WebXml, app: WebXml) -> list[ErrorPage]:
    """The app's error pages, then the defaults' for the status codes,
    exception types (and default page) the app does not handle."""
    pages = [dataclasses.replace(page) for page in app.error_pages]
    keys = {error_page_key(page) for page in app.error_pages}
    pages.extend(dataclasses.replace(page) for page in defaults.error_pages if error_page_key(page) not in keys)
    return pages


def _timeout(web: WebXml) -> int | None:
    if web.session_config.session_timeout is not None:
        return web.session_config.session_timeout
    return web.session_timeout


def _first(value: _T | None, fallback: _T | None) -> _T | None:
    """``value`` if it is set, else ``fallback``."""
    return value if value is not None else fallback


def _merge_session_config(defaults: WebXml, app: WebXml) -> SessionConfig:
    """Per field: the app's value if it sets one, else the defaults'."""
    app_cookie = app.session_config.cookie_config
    default_cookie = defaults.session_config.cookie_config
    cookie = CookieConfig(
        name=_first(app_cookie.name, default_cookie.name),
        domain=_first(app_cookie.domain, default_cookie.domain),
        path=_first(app_cookie.path, default_cookie.path),
        http_only=_first(app_cookie.http_only, default_cookie.http_only),
        secure=_first(app_cookie.secure, default_cookie.secure),
        max_age=_first(app_cookie.max_age, default_cookie.max_age),
        attributes={**default_cookie.attributes, **app_cookie.attributes},
    )
    modes = (
        app.session_config.tracking_modes
        if app.session_config.tracking_modes is not None
        else defaults.session_config.tracking_modes
    )
    timeout = _timeout(app)
    return SessionConfig(
        session_timeout=timeout if timeout is not None else _timeout(defaults),
        cookie_config=cookie,
        tracking_modes=None if modes is None else list(modes),
    )


def _unknown_filter_targets(web: WebXml) -> list[ConfigWarning]:
    """Warnings for filter-mappings naming servlets that do not exist."""
    warnings = []
    for mapping in web.filter_mappings:
        for name in mapping.servlet_names:
            if name != "*" and name not in web.servlets:
                warnings.append(
                    ConfigWarning.at(
                        mapping.location,
                        f"<filter-mapping> of filter "
                        f"'{mapping.filter_name}' names servlet '{name}', which "
                        "is not declared; it never applies to it",
                    )
                )
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
    * file, version, metadata-complete: the app's;
    * security constraints: the app's, then the defaults' (they add up, as
      the specification's fragments do); security roles: the union;
      login-config: the app's, else the defaults'; deny-uncovered-http-methods:
      set when either sets it.

    Neither argument is modified; the result remembers ``defaults`` in
    :attr:`WebXml.defaults`.  Raises :class:`ConfigError` from
    :func:`validate_web_xml`.
    """
    servlets: dict[str, ServletDef] = {}
    for name, servlet in defaults.servlets.items():
        if name in app.servlets:
            servlets[name] = _merge_servlet(servlet, app.servlets[name])
        else:
            servlets[name] = dataclasses.replace(servlet, init_params=dict(servlet.init_params))
    for name, servlet in app.servlets.items():
        if name not in servlets:
            servlets[name] = dataclasses.replace(servlet, init_params=dict(servlet.init_params))

    mappings = dict(app.servlet_mappings)
    locations = {pattern: app.mapping_locations[pattern] for pattern in mappings if pattern in app.mapping_locations}
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
    listeners.extend(
        dataclasses.replace(listener) for listener in defaults.listeners if listener.listener_class not in listed
    )
    session_config = _merge_session_config(defaults, app)

    merged = WebXml(
        file=app.file,
        display_name=(app.display_name if app.display_name is not None else defaults.display_name),
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
            else defaults.request_character_encoding
        ),
        response_character_encoding=(
            app.response_character_encoding
            if app.response_character_encoding is not None
            else defaults.response_character_encoding
        ),
        mapping_locations=locations,
        warnings=[*defaults.warnings, *app.warnings],
        defaults=defaults,
        security_constraints=[*app.security_constraints, *defaults.security_constraints],
        login_config=app.login_config if app.login_config is not None else defaults.login_config,
        security_roles=[*app.security_roles, *(r for r in defaults.security_roles if r not in app.security_roles)],
        deny_uncovered_http_methods=app.deny_uncovered_http_methods or defaults.deny_uncovered_http_methods,
    )
    validate_web_xml(merged)
    merged.warnings.extend(_unknown_filter_targets(merged))
    return merged
