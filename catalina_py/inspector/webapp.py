"""The inspector webapp's servlet classes: its context listener and its
JSON API servlet (``webapps/inspector/WEB-INF/web.xml`` names them).

They live in the container, as Tomcat's manager servlet lives in
``catalina.jar``: they need the running server, which only a privileged
context gets (``webapps/inspector/META-INF/context.xml``,
``privileged="true"``; the server is its servlet context attribute
``catalina_py.container.Server``).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from ..deploy.host_config import SERVER_ATTRIBUTE
from ..servlet import HttpServlet
from ..servlet.listeners import ServletContextEvent, ServletContextListener
from ..websocket.endpoint import ServerEndpointConfig
from ..websocket.server import SERVER_CONTAINER_ATTRIBUTE
from .core import Inspector
from .live import INSPECTOR_PROPERTY, LiveEndpoint

__all__ = ["INSPECTOR_ATTRIBUTE", "InspectorApiServlet", "InspectorContextListener"]

log = logging.getLogger("catalina_py.inspector")

#: The servlet context attribute holding the context's :class:`Inspector`.
INSPECTOR_ATTRIBUTE = "catalina_py.inspector.Inspector"


class InspectorContextListener(ServletContextListener):
    """Creates the inspector when its context starts, registers the live
    WebSocket endpoint (``/live``), and stops recording when it stops."""

    def context_initialized(self, event: ServletContextEvent) -> None:
        context = event.get_servlet_context()
        server = context.get_attribute(SERVER_ATTRIBUTE)
        if server is None:
            log.error(
                'The inspector needs a privileged context (privileged="true" in its META-INF/context.xml '
                "or conf/Catalina/localhost/inspector.xml); it answers 503 until then"
            )
            return
        policy = (context.get_init_parameter("recording") or "watched").strip()
        inspector = Inspector(server, context.get_context_path(), policy)
        context.set_attribute(INSPECTOR_ATTRIBUTE, inspector)
        container = context.get_attribute(SERVER_CONTAINER_ATTRIBUTE)
        config = ServerEndpointConfig(LiveEndpoint, "/live", max_text_message_size=4096)
        config.user_properties[INSPECTOR_PROPERTY] = inspector
        container.add_endpoint(config)

    def context_destroyed(self, event: ServletContextEvent) -> None:
        inspector = event.get_servlet_context().get_attribute(INSPECTOR_ATTRIBUTE)
        if inspector is not None:
            inspector.close()


def _send_json(response: Any, value: Any, status: int = 200) -> None:
    response.set_status(status)
    response.set_content_type("application/json;charset=utf-8")
    response.set_header("Cache-Control", "no-store")
    response.get_writer().write(json.dumps(value, ensure_ascii=False))


class InspectorApiServlet(HttpServlet):
    """``/inspector/api/*``: connections, one connection, pipeline, status,
    recording (docs/inspector.md, "The JSON API")."""

    def _inspector(self, response: Any) -> Inspector | None:
        inspector = self.get_servlet_context().get_attribute(INSPECTOR_ATTRIBUTE)
        if inspector is None:
            _send_json(response, {"error": "the inspector is not running: its context is not privileged"}, 503)
        return inspector

    def do_get(self, request: Any, response: Any) -> None:
        inspector = self._inspector(response)
        if inspector is None:
            return
        path = (request.get_path_info() or "/").rstrip("/") or "/"
        if path == "/connections":
            _send_json(response, inspector.connections())
        elif path.startswith("/connections/"):
            ident = path[len("/connections/") :]
            if not ident.isdigit():
                _send_json(response, {"error": f"not a connection id: {ident!r}"}, 404)
                return
            found = inspector.connection(int(ident))
            if found is None:
                _send_json(response, {"error": f"no connection {ident} is open or kept"}, 404)
            else:
                _send_json(response, found)
        elif path == "/pipeline":
            _send_json(response, inspector.pipeline())
        elif path == "/status":
            _send_json(response, inspector.status())
        elif path == "/recording":
            _send_json(response, {"recording": inspector.recording, "policy": inspector.policy})
        else:
            _send_json(
                response,
                {"error": f"no such API: {path}", "see": ["connections", "connections/{id}", "pipeline", "status"]},
                404,
            )

    def do_post(self, request: Any, response: Any) -> None:
        inspector = self._inspector(response)
        if inspector is None:
            return
        path = (request.get_path_info() or "/").rstrip("/")
        if path != "/recording":
            _send_json(response, {"error": f"no such API: POST {path}"}, 404)
            return
        value = (request.get_parameter("on") or "").strip().lower()
        if value not in ("true", "false", "1", "0", "on", "off"):
            _send_json(response, {"error": "on=true or on=false"}, 400)
            return
        inspector.set_api_recording(value in ("true", "1", "on"))
        _send_json(response, {"recording": inspector.recording})
