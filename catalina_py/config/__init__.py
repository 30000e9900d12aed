"""Configuration: ``catalina.properties``, ``server.xml`` and ``web.xml``.

Modules: :mod:`~catalina_py.config.xml` (the XML reading layer every reader
stands on), :mod:`~catalina_py.config.server_xml` (Server, Service, Engine,
Host), :mod:`~catalina_py.config.connector_spec`,
:mod:`~catalina_py.config.context_spec`,
:mod:`~catalina_py.config.valve_spec`, :mod:`~catalina_py.config.web_xml`
(parsing descriptors), :mod:`~catalina_py.config.web_xml_specs` (their
model), :mod:`~catalina_py.config.web_xml_merge` and
:mod:`~catalina_py.config.properties`.

Everything here reads and validates files *before* anything is built;
problems are reported as :class:`~catalina_py.errors.ConfigError`
(start-up must stop) or :class:`~catalina_py.errors.ConfigWarning` (to be
logged).  See ``docs/configuration.md``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from catalina_py.config.connector_spec import (
    DEFAULT_WS_CLOSE_TIMEOUT,
    DEFAULT_WS_PING_INTERVAL,
    DEFAULT_WS_PING_TIMEOUT,
    ConnectorSpec,
)
from catalina_py.config.context_spec import ContextSpec, load_context_descriptor
from catalina_py.config.properties import (
    build_properties,
    load_properties,
    parse_defines,
    substitute,
    substitute_with_unknown,
)
from catalina_py.config.server_xml import (
    EngineSpec,
    HostSpec,
    ListenerSpec,
    ServerSpec,
    ServiceSpec,
    load_server_xml,
    resolve_app_base,
    resolve_doc_base,
)
from catalina_py.config.valve_spec import (
    TOMCAT_VALVES,
    ValveSpec,
    resolve_class,
    resolve_valve_class,
)
from catalina_py.config.web_xml import (
    CookieConfig,
    ErrorPage,
    FilterDef,
    FilterMapping,
    ListenerDef,
    ServletDef,
    SessionConfig,
    WebXml,
    merge_web_xml,
    parse_web_xml,
    url_pattern_error,
    validate_web_xml,
)
from catalina_py.errors import ConfigError, ConfigWarning, Location

__all__ = [
    "ConfigError",
    "ConfigWarning",
    "ConnectorSpec",
    "ContextSpec",
    "CookieConfig",
    "DEFAULT_WS_CLOSE_TIMEOUT",
    "DEFAULT_WS_PING_INTERVAL",
    "DEFAULT_WS_PING_TIMEOUT",
    "EngineSpec",
    "ErrorPage",
    "FilterDef",
    "FilterMapping",
    "HostSpec",
    "ListenerDef",
    "ListenerSpec",
    "Location",
    "ServerSpec",
    "ServiceSpec",
    "ServletDef",
    "SessionConfig",
    "TOMCAT_VALVES",
    "ValveSpec",
    "WebXml",
    "build_properties",
    "load_configuration",
    "load_context_descriptor",
    "load_properties",
    "load_server_xml",
    "merge_web_xml",
    "parse_defines",
    "parse_web_xml",
    "resolve_app_base",
    "resolve_class",
    "resolve_doc_base",
    "resolve_valve_class",
    "substitute",
    "substitute_with_unknown",
    "url_pattern_error",
    "validate_web_xml",
]


def load_configuration(
    catalina_base: str,
    catalina_home: str | None = None,
    defines: Mapping[str, str] | None = None,
) -> tuple[ServerSpec, list[ConfigWarning]]:
    """Read ``conf/catalina.properties`` and ``conf/server.xml`` of
    ``catalina_base``.

    ``catalina_home`` defaults to ``catalina_base``; ``defines`` are the
    ``-Dname=value`` options of the launcher (see :func:`parse_defines`).
    """
    properties = build_properties(catalina_home or catalina_base, catalina_base, defines)
    path = os.path.join(properties["catalina.base"], "conf", "server.xml")
    return load_server_xml(path, properties)
