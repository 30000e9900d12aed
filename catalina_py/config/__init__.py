"""Configuration: ``catalina.properties``, ``server.xml`` and ``web.xml``.

Everything here reads and validates files *before* anything is built;
problems are reported as :class:`~catalina_py.errors.ConfigError`
(start-up must stop) or :class:`~catalina_py.errors.ConfigWarning` (to be
logged).  See ``docs/configuration.md``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from catalina_py.config.properties import (
    build_properties,
    load_properties,
    parse_defines,
    substitute,
    substitute_with_unknown,
)
from catalina_py.config.server_xml import (
    TOMCAT_VALVES,
    ConnectorConfig,
    ContextConfig,
    EngineConfig,
    HostConfig,
    ListenerConfig,
    ServerConfig,
    ServiceConfig,
    ValveConfig,
    load_server_xml,
    resolve_app_base,
    resolve_class,
    resolve_doc_base,
)
from catalina_py.config.web_xml import (
    ServletDef,
    WebXml,
    merge_web_xml,
    parse_web_xml,
    validate_web_xml,
)
from catalina_py.errors import ConfigError, ConfigWarning, Location

__all__ = [
    "ConfigError",
    "ConfigWarning",
    "ConnectorConfig",
    "ContextConfig",
    "EngineConfig",
    "HostConfig",
    "ListenerConfig",
    "Location",
    "ServerConfig",
    "ServiceConfig",
    "ServletDef",
    "TOMCAT_VALVES",
    "ValveConfig",
    "WebXml",
    "build_properties",
    "load_configuration",
    "load_properties",
    "load_server_xml",
    "merge_web_xml",
    "parse_defines",
    "parse_web_xml",
    "resolve_app_base",
    "resolve_class",
    "resolve_doc_base",
    "substitute",
    "substitute_with_unknown",
    "validate_web_xml",
]


def load_configuration(
    catalina_base: str,
    catalina_home: str | None = None,
    defines: Mapping[str, str] | None = None,
) -> tuple[ServerConfig, list[ConfigWarning]]:
    """Read ``conf/catalina.properties`` and ``conf/server.xml`` of
    ``catalina_base``.

    ``catalina_home`` defaults to ``catalina_base``; ``defines`` are the
    ``-Dname=value`` options of the launcher (see :func:`parse_defines`).
    """
    properties = build_properties(catalina_home or catalina_base,
                                  catalina_base, defines)
    path = os.path.join(properties["catalina.base"], "conf", "server.xml")
    return load_server_xml(path, properties)
