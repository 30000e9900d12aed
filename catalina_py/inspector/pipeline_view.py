"""The configured pipeline as a tree: Server -> Service -> Connector and
Engine -> Host -> Context -> Wrapper, with their valves, filters and
WebSocket endpoints, for the inspector's drawing and its
``/inspector/api/pipeline``.

Read from the running objects (what ``conf/server.xml`` and each
``web.xml`` built), not from the files, so what is drawn is what serves.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["connector_name", "pipeline_tree"]

_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def connector_name(connector: Any) -> str:
    """The name events and the inspector give a connector (Tomcat's
    ``http-nio-8080`` is ``http-gevent-8080`` here)."""
    try:
        return f"http-gevent-{connector.port}"
    except (AssertionError, AttributeError):  # not bound yet
        return f"http-gevent-{connector.config.port}"


def _valve(valve: Any) -> dict[str, Any]:
    attributes: dict[str, str] = {}
    for name in sorted(getattr(valve, "ATTRIBUTES", {})):
        value = getattr(valve, _CAMEL.sub("_", name).lower(), None)
        if value is not None and not callable(value):
            attributes[name] = str(value)
    return {"class": type(valve).__name__, "attributes": attributes}


def _valves(pipeline: Any) -> list[dict[str, Any]]:
    return [_valve(v) for v in pipeline.valves] + [dict(_valve(pipeline.basic), basic=True)]


def _node(kind: str, name: str, **extra: Any) -> dict[str, Any]:
    node: dict[str, Any] = {"kind": kind, "name": name, "attributes": {}, "valves": [], "counters": {}, "children": []}
    node.update(extra)
    return node


def _connector(connector: Any) -> dict[str, Any]:
    spec = connector.config
    attributes = {
        "port": str(spec.port),
        "address": spec.address or "*",
        "protocol": spec.protocol,
        "connectionTimeout": str(spec.connection_timeout_ms),
        "keepAliveTimeout": str(spec.keep_alive_timeout_ms if spec.keep_alive_timeout_ms is not None else "-"),
        "maxKeepAliveRequests": str(spec.max_keep_alive_requests),
        "maxConnections": str(spec.max_connections),
        "maxThreads": str(spec.max_threads),
        "webSocketPingInterval": str(spec.web_socket_ping_interval),
    }
    return _node("Connector", connector_name(connector), attributes=attributes)


def _endpoints(context: Any) -> list[dict[str, Any]]:
    container = getattr(context, "ws_container", None)
    if container is None or not hasattr(container, "endpoint_configs"):
        return []
    out = []
    for config in container.endpoint_configs():
        out.append(
            {
                "path": config.path,
                "class": config.endpoint_class.__name__,
                "sessions_open": len(container.open_sessions(config)),
                "counters": {},
            }
        )
    return out


def _context(context: Any) -> dict[str, Any]:
    web_xml = context.web_xml
    filters = []
    for mapping in web_xml.filter_mappings:
        definition = web_xml.filters.get(mapping.filter_name)
        filters.append(
            {
                "name": mapping.filter_name,
                "class": definition.filter_class if definition is not None else "?",
                "url_patterns": list(mapping.url_patterns),
                "servlet_names": list(mapping.servlet_names),
            }
        )
    mappings: dict[str, list[str]] = {}
    for pattern, servlet in web_xml.servlet_mappings.items():
        mappings.setdefault(servlet, []).append(pattern)
    wrappers = []
    for name, wrapper in sorted(context.wrappers.items()):
        cls = wrapper.servlet_class
        wrappers.append(
            _node(
                "Wrapper",
                name,
                **{
                    "class": cls if isinstance(cls, str) else f"{cls.__module__}.{cls.__qualname__}",
                    "mappings": mappings.get(name, []),
                },
            )
        )
    manager = getattr(context, "manager", None)
    sessions = getattr(manager, "get_active_sessions", None)
    node = _node(
        "Context",
        context.path or "/",
        attributes={"path": context.path, "docBase": context.doc_base},
        valves=_valves(context.pipeline),
        filters=filters,
        endpoints=_endpoints(context),
        sessions_active=sessions() if callable(sessions) else None,
        children=wrappers,
    )
    return node


def pipeline_tree(server: Any) -> dict[str, Any]:
    """The tree of *server* (a ``StandardServer``), as JSON values."""
    root = _node("Server", f"port {server.port}", attributes={"port": str(server.port)})
    for service in server.services:
        engine = service.engine
        service_node = _node("Service", service.name)
        for connector in service.connectors:
            service_node["children"].append(_connector(connector))
        engine_node = _node(
            "Engine",
            engine.name,
            attributes={"defaultHost": engine.default_host},
            valves=_valves(engine.pipeline),
        )
        for host in engine.hosts.values():
            host_node = _node(
                "Host",
                host.name,
                attributes={"appBase": host.app_base, "autoDeploy": str(host.auto_deploy).lower()},
                valves=_valves(host.pipeline),
            )
            for _path, context in sorted(host.contexts.items()):
                if hasattr(context, "web_xml"):
                    host_node["children"].append(_context(context))
            engine_node["children"].append(host_node)
        service_node["children"].append(engine_node)
        root["children"].append(service_node)
    return root
