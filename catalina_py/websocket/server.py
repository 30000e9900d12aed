"""``ServerContainer``: the WebSocket endpoints of one context (Tomcat's
``WsServerContainer``), and the handshake check that runs before the
servlets (Tomcat's ``WsFilter`` + ``UpgradeUtil.doUpgrade``).

Every started context has one, as the ServletContext attribute
``jakarta.websocket.server.ServerContainer``. Annotated endpoints found by
the deployment's scan are added when the context starts, before the
``ServletContextListener``\\ s run, which may add more
(``add_endpoint``). Only once a context has an endpoint does its
``StandardContextValve`` call :meth:`ServerContainer.handshake` for each
request; other webapps pay one attribute check.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import gevent

from .. import trace
from .core import handshake as hs
from .endpoint import (DEFAULT_BUFFER_SIZE, DeploymentError, ServerEndpointConfig,
                       get_server_endpoint)
from .core.permessage_deflate import PerMessageDeflate
from .core.uri_template import EndpointMap, UriTemplateError

if TYPE_CHECKING:  # pragma: no cover
    from .session import WsSession

__all__ = ["SERVER_CONTAINER_ATTRIBUTE", "ALLOWED_ORIGINS_PARAM", "HandshakeRequest",
           "HandshakeResponse", "ServerContainer", "install_server_container"]

log = logging.getLogger("catalina_py.websocket")

#: The ServletContext attribute holding the context's ServerContainer.
SERVER_CONTAINER_ATTRIBUTE = "jakarta.websocket.server.ServerContainer"
#: Context init-param: comma-separated origins allowed for every endpoint
#: of the webapp that sets none itself ("*" allows any origin).
ALLOWED_ORIGINS_PARAM = "catalina_py.websocket.allowed_origins"

_DEFAULT_SERVLET = "catalina_py.servlets.default.DefaultServlet"


class HandshakeRequest:
    """What ``modify_handshake`` and the session see of the handshake
    request (Jakarta's ``HandshakeRequest``), captured before the upgrade."""

    def __init__(self, request: Any) -> None:
        self._headers: dict[str, list[str]] = {}
        for name, value in request._headers:
            self._headers.setdefault(name.lower(), []).append(value)
        self._request_uri = request.get_request_uri()
        self._query_string = request.get_query_string()
        self._parameters = {k: list(v) for k, v in request.get_parameter_map().items()}
        self._http_session = request.get_session(False)
        self._request = request

    def get_headers(self) -> dict[str, list[str]]:
        """Header values by lower-case name."""
        return self._headers

    def get_header(self, name: str) -> str | None:
        values = self._headers.get(name.lower())
        return values[0] if values else None

    def get_request_uri(self) -> str:
        return self._request_uri

    def get_query_string(self) -> str | None:
        return self._query_string

    def get_parameter_map(self) -> dict[str, list[str]]:
        return {k: list(v) for k, v in self._parameters.items()}

    def get_http_session(self) -> Any:
        return self._http_session

    def get_servlet_request(self) -> Any:
        """The servlet request (valid during the handshake only)."""
        return self._request


class HandshakeResponse:
    """Headers ``modify_handshake`` adds to the 101 response."""

    def __init__(self) -> None:
        self._headers: dict[str, list[str]] = {}

    def get_headers(self) -> dict[str, list[str]]:
        return self._headers


def _is_default_servlet(wrapper: Any) -> bool:
    cls = wrapper.servlet_class
    if isinstance(cls, str):
        return cls == _DEFAULT_SERVLET
    from ..servlets.default import DefaultServlet
    return isinstance(cls, type) and issubclass(cls, DefaultServlet)


class ServerContainer:
    """The endpoints of one context, their open sessions, and the handshake."""

    def __init__(self, context: Any) -> None:
        self.context = context
        self._map: EndpointMap[ServerEndpointConfig] = EndpointMap()
        self._sessions: dict[int, set["WsSession"]] = {}
        self.default_max_text_message_size = DEFAULT_BUFFER_SIZE
        self.default_max_binary_message_size = DEFAULT_BUFFER_SIZE
        self.default_max_session_idle_timeout = 0.0
        #: The first path segments of all endpoints, so that a request
        #: elsewhere in the webapp costs one set lookup (None when an
        #: endpoint path starts with a variable).
        self._heads: set[str] | None = set()

    # -- endpoints -------------------------------------------------------------
    def add_endpoint(self, endpoint: type | ServerEndpointConfig) -> ServerEndpointConfig:
        """Deploy an endpoint: a ``@server_endpoint`` class, or a
        ServerEndpointConfig (an ``Endpoint`` subclass or an annotated
        class at a path of the caller's choice). Raises DeploymentError."""
        if isinstance(endpoint, ServerEndpointConfig):
            config = endpoint
        else:
            declared = get_server_endpoint(endpoint)
            if declared is None:
                raise DeploymentError(
                    f"{endpoint!r} has no @server_endpoint: register an Endpoint subclass with "
                    "ServerEndpointConfig(endpoint_class, path)")
            # A copy per deployment: user properties are not shared between webapps.
            config = ServerEndpointConfig(
                declared.endpoint_class, declared.path, declared.subprotocols, declared.configurator,
                declared.allowed_origins, declared.max_text_message_size,
                declared.max_binary_message_size, declared.max_idle_timeout)
            config.user_properties.update(declared.user_properties)
        try:
            self._map.add(config.path, config)
        except UriTemplateError as exc:
            raise DeploymentError(f"{config.endpoint_class.__name__}: {exc}") from None
        if self._heads is not None:
            first = config.template.segments[0] if config.template.segments else ""
            if first is None:
                self._heads = None
            else:
                self._heads.add(first)
        self.context.ws_filter = self.handshake
        log.debug("WebSocket endpoint %s at %s%s", config.endpoint_class.__name__,
                  self.context.path, config.path)
        return config

    def get_endpoints(self) -> list[ServerEndpointConfig]:
        configs = list(self._map.exact.values())
        for bucket in self._map.templates.values():
            configs.extend(value for _, _, value in bucket)
        return configs

    def find_mapping(self, path: str) -> tuple[ServerEndpointConfig, dict[str, str]] | None:
        """The endpoint for a path within the context (exact paths first,
        then templates with as many segments), with its path parameters."""
        return self._map.find(path)

    # Jakarta container defaults
    def set_default_max_text_message_buffer_size(self, size: int) -> None:
        self.default_max_text_message_size = int(size)

    def get_default_max_text_message_buffer_size(self) -> int:
        return self.default_max_text_message_size

    def set_default_max_binary_message_buffer_size(self, size: int) -> None:
        self.default_max_binary_message_size = int(size)

    def get_default_max_binary_message_buffer_size(self) -> int:
        return self.default_max_binary_message_size

    def set_default_max_session_idle_timeout(self, seconds: float) -> None:
        self.default_max_session_idle_timeout = float(seconds)

    def get_default_max_session_idle_timeout(self) -> float:
        return self.default_max_session_idle_timeout

    # -- sessions ----------------------------------------------------------------
    def register(self, session: "WsSession") -> None:
        self._sessions.setdefault(id(session._config), set()).add(session)

    def unregister(self, session: "WsSession") -> None:
        sessions = self._sessions.get(id(session._config))
        if sessions is not None:
            sessions.discard(session)
            if not sessions:
                del self._sessions[id(session._config)]

    def open_sessions(self, config: ServerEndpointConfig) -> set["WsSession"]:
        return {s for s in self._sessions.get(id(config), ()) if s.is_open()}

    def all_sessions(self) -> list["WsSession"]:
        return [s for sessions in self._sessions.values() for s in sessions]

    def stop(self) -> None:
        """The context stops: every session gets 1001 Going Away (Tomcat's
        ``WsServerContainer.destroy``)."""
        for session in self.all_sessions():
            if session.is_open():
                gevent.spawn(session.close, 1001, "the web application is stopping")

    # -- the handshake (WsFilter + UpgradeUtil) --------------------------------------
    def handshake(self, request: Any, response: Any) -> bool:
        """Answer the request if it is for an endpoint; False to let the
        servlets have it."""
        path = request._decoded_path_in_context
        heads = self._heads
        if heads is not None:
            end = path.find("/", 1)
            if (path[1:end] if end > 0 else path[1:]) not in heads:
                return False
        match = self._map.find(path)
        if match is None:
            return False
        config, path_parameters = match
        headers = request._headers
        method = request.get_method()
        if not hs.is_upgrade_request(method, headers):
            if self._servlet_would_answer(request, path):
                return False
            self._refuse(response, hs.missing_upgrade_error(headers))
            return True
        try:
            key = hs.validate_request(method, request.get_protocol(), headers)
            self._check_origin(config, request)
            offered = hs.parse_header_list(headers.get_all("Sec-WebSocket-Protocol"))
            subprotocol = None
            if offered and config.subprotocols:
                subprotocol = config.configurator.get_negotiated_subprotocol(config.subprotocols, offered)
            deflate, extensions = PerMessageDeflate.negotiate(headers.get_all("Sec-WebSocket-Extensions"))
            handshake_request = HandshakeRequest(request)
            handshake_response = HandshakeResponse()
            config.configurator.modify_handshake(config, handshake_request, handshake_response)
        except hs.HandshakeError as exc:
            self._refuse(response, exc)
            return True
        except Exception as exc:
            log.exception("WebSocket handshake for %s failed", config.endpoint_class.__name__)
            self._refuse(response, hs.HandshakeError(500, "Internal Server Error",
                                                     f"The WebSocket handshake failed: {type(exc).__name__}\n"))
            return True
        trace_id = request._channel.trace_id
        if trace_id:
            trace.trace(trace_id, "handshake",
                        f"endpoint {config.endpoint_class.__name__} at {config.path}: key accepted, "
                        f"origin {request._headers.get('Origin')!r} allowed, subprotocol {subprotocol!r}, "
                        f"extensions {extensions!r}")
        from .processor import WsHttpUpgradeHandler
        handler = request.upgrade(WsHttpUpgradeHandler)
        handler.pre_init(config, self, handshake_request, path_parameters, subprotocol, deflate,
                         request._channel.endpoint.config)
        for name, value in hs.response_headers(key, subprotocol, extensions):
            response.add_header(name, value)
        for name, values in handshake_response.get_headers().items():
            for value in values:
                response.add_header(name, value)
        return True

    def _servlet_would_answer(self, request: Any, path: str) -> bool:
        """A plain GET on an endpoint path goes to the servlets when one of
        them would answer it: a servlet other than the default one, or the
        default servlet with a file at that path."""
        wrapper = request._wrapper
        if wrapper is None:
            return False
        if not _is_default_servlet(wrapper):
            return True
        return self.context.resource_exists(path)

    def _check_origin(self, config: ServerEndpointConfig, request: Any) -> None:
        headers = request._headers
        origin = headers.get("Origin")
        host = headers.get("Host")
        if config.checks_origin:
            allowed = bool(config.configurator.check_origin(origin))
        else:
            origins = config.allowed_origins
            if origins is None:
                param = self.context.web_xml.context_params.get(ALLOWED_ORIGINS_PARAM)
                if param is not None:
                    origins = [o.strip() for o in param.split(",") if o.strip()]
            allowed = hs.check_origin(origin, host, request.get_scheme(), origins)
        if not allowed:
            raise hs.origin_error(origin or "", host)

    @staticmethod
    def _refuse(response: Any, error: hs.HandshakeError) -> None:
        """Status, headers and the plain-text reason (not an HTML error page)."""
        response.set_status(error.status)
        for name, value in error.headers:
            response.add_header(name, value)
        response.set_content_type("text/plain;charset=utf-8")
        response.get_writer().write(error.body or f"{error.status} {error.reason}\n")


def install_server_container(context: Any, endpoint_classes: list[type] = ()) -> ServerContainer:
    """Give a starting context its ServerContainer (as the ServletContext
    attribute) and deploy the annotated endpoint classes the scan found."""
    container = ServerContainer(context)
    context.ws_container = container
    context.get_servlet_context().set_attribute(SERVER_CONTAINER_ATTRIBUTE, container)
    for cls in endpoint_classes:
        container.add_endpoint(cls)
    return container
