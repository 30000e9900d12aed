"""``ServerContainer``: the WebSocket endpoints of one context (Tomcat's
``WsServerContainer``), and the handshake check that runs before the
servlets (Tomcat's ``WsFilter`` + ``UpgradeUtil.doUpgrade``).

Every started context has one, as the ServletContext attribute
``jakarta.websocket.server.ServerContainer``, with the container-wide
settings of the webapp's ``org.apache.tomcat.websocket.*`` context
parameters. The endpoints the deployment's scan found are added when the
context starts (all annotated ones, or what the webapp's
``ServerApplicationConfig``\\ s return: Tomcat's ``WsSci`` rules), before
the ``ServletContextListener``\\ s run, which may add more
(``add_endpoint``, allowed at any time as in Tomcat 10.1). Only once a context has an endpoint does its
``StandardContextValve`` call :meth:`ServerContainer.handshake` for each
request; other webapps pay one attribute check.
"""

from __future__ import annotations

import collections
import logging
import time
from collections.abc import Sequence
from typing import Any, Protocol

import gevent

from ..config.websocket_params import (
    BINARY_BUFFER_SIZE_PARAM,
    BLOCKING_SEND_TIMEOUT_PROPERTY,
    DEFAULT_BUFFER_SIZE,
    IGNORED_PARAMS,
    SESSION_CLOSE_TIMEOUT_PROPERTY,
    TEXT_BUFFER_SIZE_PARAM,
    read_context_params,
)
from ..events import BUS, HandshakeAccepted, HandshakeCheck, HandshakeRefused
from .application_config import ScannedEndpoints, filter_scanned
from .broadcast import Broadcaster
from .core import handshake as hs
from .core.permessage_deflate import EXTENSION_NAME, PerMessageDeflate
from .core.uri_template import EndpointMap, UriTemplateError
from .endpoint import (
    DeploymentError,
    PerSessionEndpointConfig,
    ServerEndpointConfig,
    ServerEndpointConfigurator,
    get_server_endpoint,
)
from .extension import INSTALLED_EXTENSIONS, Extension
from .handshake_request import (
    ContainerUpgradeRequest,
    HandshakeHttpResponse,
    HandshakeRequest,
    HandshakeResponse,
    UpgradeRequest,
    connection_id,
    mapped_servlet_class,
    request_headers,
)
from .processor import WsHttpUpgradeHandler
from .session import WsSession

__all__ = [
    "SERVER_CONTAINER_ATTRIBUTE",
    "ALLOWED_ORIGINS_PARAM",
    "HandshakeRequest",
    "HandshakeResponse",
    "ServerContainer",
    "WsContext",
    "install_server_container",
]

log = logging.getLogger("catalina_py.websocket")

#: The ServletContext attribute holding the context's ServerContainer.
SERVER_CONTAINER_ATTRIBUTE = "jakarta.websocket.server.ServerContainer"
#: Refused handshakes remembered per context, and for how long (seconds).
REFUSALS_KEPT = 64
REFUSAL_SECONDS = 60.0
#: Context init-param: comma-separated origins allowed for every endpoint
#: of the webapp that sets none itself ("*" allows any origin).
ALLOWED_ORIGINS_PARAM = "catalina_py.websocket.allowed_origins"

_DEFAULT_SERVLET = "catalina_py.servlets.default.DefaultServlet"


class WsContext(Protocol):
    """What the ServerContainer needs of its web application's context
    (``StandardContext`` is one)."""

    path: str
    #: The WsFilter hook the context's valve calls (None: no endpoints).
    ws_filter: Any  # Any: Callable[[request, response], bool], assigned here, called by the container
    ws_container: Any  # Any: this ServerContainer, kept for the context's stop

    def resource_exists(self, path: str) -> bool:
        """True if a real file is at *path* in the webapp."""

    # Any: the servlet API's ServletContext (untyped there).
    def get_servlet_context(self) -> Any:
        """The context's ServletContext."""


def _is_default_servlet(cls: str | type) -> bool:
    """The container's DefaultServlet (or a subclass), known by name: the
    WebSocket layer does not import the servlets."""
    if isinstance(cls, str):
        return cls == _DEFAULT_SERVLET
    return isinstance(cls, type) and any(f"{k.__module__}.{k.__qualname__}" == _DEFAULT_SERVLET for k in cls.__mro__)


#: The context parameters the container reads (Tomcat 10.1's names).
CONTEXT_PARAMS = (
    TEXT_BUFFER_SIZE_PARAM,
    BINARY_BUFFER_SIZE_PARAM,
    BLOCKING_SEND_TIMEOUT_PROPERTY,
    SESSION_CLOSE_TIMEOUT_PROPERTY,
)


def _overrides_negotiated_extensions(configurator: ServerEndpointConfigurator) -> bool:
    return type(configurator).get_negotiated_extensions is not ServerEndpointConfigurator.get_negotiated_extensions


class ServerContainer:
    """The endpoints of one context, their open sessions, and the handshake.

    Made when the context starts, with the container-wide settings of the
    webapp's context parameters (``org.apache.tomcat.websocket.*``, see
    docs/websocket.md); raises DeploymentError for a bad value."""

    def __init__(self, context: WsContext) -> None:
        self.context = context
        self._map: EndpointMap[ServerEndpointConfig] = EndpointMap()
        self._configs: list[ServerEndpointConfig] = []
        #: (client address, path) -> (monotonic time, status line, body) of
        #: the latest refused handshakes, for the page that asks why.
        self._refusals: collections.OrderedDict[tuple[str, str], tuple[float, str, str]] = collections.OrderedDict()
        self._sessions: dict[int, set[WsSession]] = {}
        self.default_max_text_message_size = DEFAULT_BUFFER_SIZE
        self.default_max_binary_message_size = DEFAULT_BUFFER_SIZE
        self.default_max_session_idle_timeout = 0.0
        #: The send timeout of new sessions' async remotes (seconds; 0 or
        #: negative: no bound), Jakarta's defaultAsyncSendTimeout.
        self.default_async_send_timeout = 0.0
        #: User properties every endpoint of the context starts with (the
        #: Tomcat timeouts set as context parameters); an endpoint's own win.
        # Any: user property values are whatever the webapp stores.
        self.default_user_properties: dict[str, Any] = {}
        self._read_context_params()
        #: The first path segments of all endpoints, so that a request
        #: elsewhere in the webapp costs one set lookup (None when an
        #: endpoint path starts with a variable).
        self._heads: set[str] | None = set()
        #: ``broadcast``'s state: groups, counters (see websocket/broadcast.py).
        self.broadcaster = Broadcaster(self, str(getattr(context, "path", "") or "/"))

    def _read_context_params(self) -> None:
        """Tomcat's container-wide settings from the context parameters."""
        get_servlet_context = getattr(self.context, "get_servlet_context", None)
        if get_servlet_context is None:
            return  # a context without a servlet API (unit tests' stand-ins)
        servlet_context = get_servlet_context()
        values: dict[str, str] = {}
        for name in (*CONTEXT_PARAMS, *IGNORED_PARAMS):
            value = servlet_context.get_init_parameter(name)
            if value is not None:
                values[name] = value
        if not values:
            return
        try:
            params = read_context_params(values)
        except ValueError as exc:
            raise DeploymentError(f"{self.context.path or '/'}: {exc}") from None
        if params.text_buffer_size is not None:
            self.default_max_text_message_size = params.text_buffer_size
        if params.binary_buffer_size is not None:
            self.default_max_binary_message_size = params.binary_buffer_size
        if params.blocking_send_timeout_ms is not None:
            self.default_user_properties[BLOCKING_SEND_TIMEOUT_PROPERTY] = params.blocking_send_timeout_ms
        if params.session_close_timeout_ms:
            self.default_user_properties[SESSION_CLOSE_TIMEOUT_PROPERTY] = params.session_close_timeout_ms

    # -- endpoints -------------------------------------------------------------
    def add_endpoint(self, endpoint: type | ServerEndpointConfig) -> ServerEndpointConfig:
        """Deploy an endpoint: a ``@server_endpoint`` class, or a
        ServerEndpointConfig (an ``Endpoint`` subclass or an annotated
        class at a path of the caller's choice). Allowed at any time, also
        from a ServletContextListener or after sessions opened (as Tomcat
        10.1, which dropped ``noAddAfterHandshake``). Raises DeploymentError."""
        if isinstance(endpoint, ServerEndpointConfig):
            config = endpoint
        else:
            declared = get_server_endpoint(endpoint)
            if declared is None:
                raise DeploymentError(
                    f"{endpoint!r} has no @server_endpoint: register an Endpoint subclass with "
                    "ServerEndpointConfig.Builder.create(endpoint_class, path).build()"
                )
            # A copy per deployment: user properties are not shared between webapps.
            config = declared.copy()
        for name, value in self.default_user_properties.items():
            config.user_properties.setdefault(name, value)
        try:
            self._map.add(config.path, config)
        except UriTemplateError as exc:
            raise DeploymentError(f"{config.endpoint_class.__name__}: {exc}") from None
        self._configs.append(config)
        if self._heads is not None:
            first = config.template.segments[0] if config.template.segments else ""
            if first is None:
                self._heads = None
            else:
                self._heads.add(first)
        self.context.ws_filter = self.handshake
        log.debug("WebSocket endpoint %s at %s%s", config.endpoint_class.__name__, self.context.path, config.path)
        return config

    def _remember_refusal(self, address: str, path: str, error: hs.HandshakeError) -> None:
        refusals = self._refusals
        refusals.pop((address, path), None)
        refusals[(address, path)] = (time.monotonic(), f"{error.status} {error.reason}", error.body[:2000])
        while len(refusals) > REFUSALS_KEPT:
            refusals.popitem(last=False)

    def _recent_refusal(self, address: str, path: str) -> str | None:
        """What a plain request is told of this client's last refused
        handshake on *path*, if it was refused less than
        :data:`REFUSAL_SECONDS` ago."""
        found = self._refusals.get((address, path))
        if found is None:
            return None
        at, status, body = found
        age = time.monotonic() - at
        if age > REFUSAL_SECONDS:
            return None
        return (
            f"\nThe last WebSocket handshake from your address to this path, {age:.0f} s ago, "
            f"was refused with {status}:\n{body}"
        )

    def endpoint_configs(self) -> list[ServerEndpointConfig]:
        """The deployed endpoints, in deployment order."""
        return list(self._configs)

    def find_mapping(self, path: str) -> tuple[ServerEndpointConfig, dict[str, str]] | None:
        """The endpoint for a path within the context (exact paths first,
        then templates with as many segments), with its path parameters."""
        return self._map.find(path)

    # Jakarta container defaults
    def set_default_max_text_message_buffer_size(self, size: int) -> None:
        """The text message limit of endpoints that set none (bytes)."""
        self.default_max_text_message_size = int(size)

    def get_default_max_text_message_buffer_size(self) -> int:
        """The text message limit of endpoints that set none (bytes)."""
        return self.default_max_text_message_size

    def set_default_max_binary_message_buffer_size(self, size: int) -> None:
        """The binary message limit of endpoints that set none (bytes)."""
        self.default_max_binary_message_size = int(size)

    def get_default_max_binary_message_buffer_size(self) -> int:
        """The binary message limit of endpoints that set none (bytes)."""
        return self.default_max_binary_message_size

    def set_default_max_session_idle_timeout(self, seconds: float) -> None:
        """The idle timeout of endpoints that set none (seconds, 0: never)."""
        self.default_max_session_idle_timeout = float(seconds)

    def get_default_max_session_idle_timeout(self) -> float:
        """The idle timeout of endpoints that set none (seconds, 0: never)."""
        return self.default_max_session_idle_timeout

    def set_default_async_send_timeout(self, seconds: float) -> None:
        """The send timeout new sessions' async remotes start with
        (seconds; 0 or negative: no bound)."""
        self.default_async_send_timeout = float(seconds)

    def get_default_async_send_timeout(self) -> float:
        """The send timeout new sessions' async remotes start with (seconds)."""
        return self.default_async_send_timeout

    def get_installed_extensions(self) -> list[Extension]:
        """The extensions the container implements (permessage-deflate)."""
        return list(INSTALLED_EXTENSIONS)

    # -- sessions ----------------------------------------------------------------
    def register(self, session: WsSession) -> None:
        """A session opened."""
        self._sessions.setdefault(id(session.get_endpoint_config()), set()).add(session)

    def unregister(self, session: WsSession) -> None:
        """A session closed (idempotent)."""
        key = id(session.get_endpoint_config())
        sessions = self._sessions.get(key)
        if sessions is not None:
            sessions.discard(session)
            if not sessions:
                del self._sessions[key]
        self.broadcaster.session_closed(session)

    def sessions_at(self, path: str) -> list[WsSession]:
        """The sessions of the endpoint registered at *path* (none if no
        endpoint is)."""
        for config in self._configs:
            if config.path == path:
                return list(self._sessions.get(id(config), ()))
        return []

    # -- broadcast (websocket/broadcast.py) ---------------------------------------
    def broadcast(self, target: str, message: str | bytes, exclude: WsSession | None = None) -> int:
        """Send *message* to every open session of the endpoint at path
        *target* (``"/websocket/chat"``) or of the group named *target*, in
        this process and -- with a ``<Cluster>`` -- in every other one.
        *exclude* is left out. Returns how many local sessions it was queued
        to; a session whose queue is full misses it (counted, see
        :attr:`broadcast_stats`)."""
        return self.broadcaster.broadcast(target, message, exclude)

    def join_group(self, group: str, session: WsSession) -> None:
        """Add *session* to the broadcast group *group* (until it closes)."""
        self.broadcaster.join(group, session)

    def leave_group(self, group: str, session: WsSession) -> None:
        """Take *session* out of the broadcast group *group*."""
        self.broadcaster.leave(group, session)

    @property
    def broadcast_stats(self) -> Any:
        """The broadcast counters (delivered, dropped, ...) of this webapp."""
        return self.broadcaster.stats

    def open_sessions(self, config: ServerEndpointConfig) -> set[WsSession]:
        """The open sessions of an endpoint."""
        return {s for s in self._sessions.get(id(config), ()) if s.is_open()}

    def all_sessions(self) -> list[WsSession]:
        """Every session still registered, open or closing."""
        return [s for sessions in self._sessions.values() for s in sessions]

    def stop(self) -> None:
        """The context stops: every session gets 1001 Going Away (Tomcat's
        ``WsServerContainer.destroy``)."""
        self.broadcaster.unregister()
        for session in self.all_sessions():
            if session.is_open():
                gevent.spawn(session.close, 1001, "the web application is stopping")

    # -- the handshake (WsFilter + UpgradeUtil) --------------------------------------
    def handshake(self, request: ContainerUpgradeRequest, response: HandshakeHttpResponse) -> bool:
        """Answer the request if it is for an endpoint; False to let the
        servlets have it."""
        path = request.mapping.relative_path  # the decoded path within the context
        heads = self._heads
        if heads is not None:
            end = path.find("/", 1)
            if (path[1:end] if end > 0 else path[1:]) not in heads:
                return False
        match = self._map.find(path)
        if match is None:
            return False
        config, path_parameters = match
        headers = request_headers(request)
        method = request.get_method()
        traced = BUS.active and request.traced
        number = connection_id(request) if traced else 0
        if not hs.is_upgrade_request(method, headers):
            if method not in ("GET", "HEAD") or self._servlet_would_answer(request, path):
                # Tomcat's WsFilter passes every request that is not a GET
                # upgrade to the servlets (a POST with Upgrade: websocket
                # too); only a plain GET (or HEAD) with nobody to answer it
                # gets the 426 that explains what is missing.
                return False
            error = hs.missing_upgrade_error(headers, method)
            earlier = self._recent_refusal(request.get_remote_addr(), path)
            if earlier is not None:
                # A browser cannot read the body of a refused handshake; its
                # page asks again with a plain request, and gets the reason.
                error.body += earlier
            self._refuse(response, error, number)
            return True
        self._upgrade(request, response, config, path_parameters, path, headers, method, number)
        return True

    def upgrade_http_to_websocket(
        self,
        request: ContainerUpgradeRequest,
        response: HandshakeHttpResponse,
        config: ServerEndpointConfig,
        path_parameters: dict[str, str] | None = None,
    ) -> None:
        """Upgrade *request* to a WebSocket session of *config*, which need
        not be deployed (Jakarta 2.1's ``upgradeHttpToWebSocket``, for a
        servlet or filter that chooses the endpoint itself). The same checks
        as a handshake to a deployed endpoint: a refusal is answered on
        *response* (status and reason), a success makes the 101 when the
        servlet returns. Raises DeploymentError if *config* is not a
        ServerEndpointConfig."""
        if not isinstance(config, ServerEndpointConfig):
            raise DeploymentError(f"a ServerEndpointConfig is needed, got {config!r}")
        # Through request wrappers to the container's request.
        while not hasattr(request, "get_mime_headers") and hasattr(request, "get_request"):
            request = request.get_request()
        for name, value in self.default_user_properties.items():
            config.user_properties.setdefault(name, value)
        headers = request_headers(request)
        method = request.get_method()
        number = connection_id(request) if BUS.active and request.traced else 0
        path = request.mapping.relative_path
        if not hs.is_upgrade_request(method, headers):
            self._refuse(response, hs.missing_upgrade_error(headers, method), number)
            return
        self._upgrade(request, response, config, dict(path_parameters or {}), path, headers, method, number)

    def _upgrade(
        self,
        request: ContainerUpgradeRequest,
        response: HandshakeHttpResponse,
        config: ServerEndpointConfig,
        path_parameters: dict[str, str],
        path: str,
        headers: hs.HeaderFields,
        method: str,
        number: int,
    ) -> None:
        """The checks of an upgrade request to *config* (Tomcat's
        ``UpgradeUtil.doUpgrade``), then the 101 or the refusal; *number*
        is the connection's number when the request is traced, else 0."""
        traced = number != 0
        report = _reporter(number) if traced else None
        try:
            key = hs.validate_request(method, request.get_protocol(), headers, report)
            self._check_origin(config, request, headers, report)
            offered = hs.parse_header_list(headers.get_all("Sec-WebSocket-Protocol"))
            subprotocol = None
            if offered and config.subprotocols:
                subprotocol = config.configurator.get_negotiated_subprotocol(config.subprotocols, offered)
            if report is not None:
                report("subprotocol", True, f"offered {offered!r}, chosen {subprotocol!r}")
            deflate, extensions = self.negotiate_extensions(config, headers.get_all("Sec-WebSocket-Extensions"))
            if report is not None:
                report(
                    "extensions",
                    True,
                    f"offered {headers.get_all('Sec-WebSocket-Extensions')!r}, " f"accepted {extensions!r}",
                )
            handshake_request = HandshakeRequest(request)
            handshake_request.negotiated_extensions_header = extensions
            handshake_response = HandshakeResponse()
            # The configurator sees a config of this session's own (Tomcat's
            # WsPerSessionServerEndpointConfig): user properties it puts
            # there are the session's, not every session's.
            session_config = PerSessionEndpointConfig(config)
            handshake_request.user_properties = session_config.user_properties
            config.configurator.modify_handshake(session_config, handshake_request, handshake_response)
        except hs.HandshakeError as exc:
            self._remember_refusal(request.get_remote_addr(), path, exc)
            self._refuse(response, exc, number)
            return
        except Exception as exc:
            log.exception("WebSocket handshake for %s failed", config.endpoint_class.__name__)
            self._refuse(
                response,
                hs.HandshakeError(
                    500, "Internal Server Error", f"The WebSocket handshake failed: {type(exc).__name__}\n"
                ),
                number,
            )
            return
        handler = request.upgrade(WsHttpUpgradeHandler)
        handler.pre_init(config, self, handshake_request, path_parameters, subprotocol, deflate)
        accept_headers = hs.response_headers(key, subprotocol, extensions)
        if traced:
            accept = next((v for n, v in accept_headers if n == "Sec-WebSocket-Accept"), "")
            BUS.emit(
                HandshakeAccepted(
                    connection=number,
                    endpoint=config.endpoint_class.__name__,
                    path=config.path,
                    key=key,
                    accept=accept,
                    subprotocol=subprotocol,
                    extensions=extensions,
                )
            )
        for name, value in accept_headers:
            response.add_header(name, value)
        for name, values in handshake_response.get_headers().items():
            for value in values:
                response.add_header(name, value)

    def negotiate_extensions(
        self, config: ServerEndpointConfig, offers: list[str]
    ) -> tuple[PerMessageDeflate | None, str | None]:
        """The extension agreed and its response header (Tomcat's
        ``UpgradeUtil`` phases): the configurator chooses among the offers
        (``get_negotiated_extensions(installed, requested)``), then the
        first permessage-deflate offer it kept that can be honoured is
        accepted with its parameters negotiated; other names have no
        implementation here and are dropped."""
        if not offers:
            return None, None
        configurator = config.configurator
        if config.extensions or _overrides_negotiated_extensions(configurator):
            installed = list(config.extensions)
            installed += [e for e in INSTALLED_EXTENSIONS if e.get_name() not in {i.get_name() for i in installed}]
            chosen = configurator.get_negotiated_extensions(installed, Extension.parse(offers))
            offers = [e.to_header() for e in chosen or () if e.get_name() == EXTENSION_NAME]
            if not offers:
                return None, None
        return PerMessageDeflate.negotiate(offers)

    def _servlet_would_answer(self, request: ContainerUpgradeRequest, path: str) -> bool:
        """A plain GET on an endpoint path goes to the servlets when one of
        them would answer it: a servlet other than the default one, or the
        default servlet with a file at that path."""
        servlet_class = mapped_servlet_class(request)
        if servlet_class is None:
            return False
        if not _is_default_servlet(servlet_class):
            return True
        return self.context.resource_exists(path)

    def _check_origin(
        self,
        config: ServerEndpointConfig,
        request: UpgradeRequest,
        headers: hs.HeaderFields,
        report: hs.CheckReport | None,
    ) -> None:
        origin = headers.get("Origin")
        host = headers.get("Host")
        scheme = request.get_scheme()
        origins: Sequence[str] | None = None
        if config.checks_origin:
            allowed = bool(config.configurator.check_origin(origin))
        else:
            origins = config.allowed_origins
            if origins is None:
                param = self.context.get_servlet_context().get_init_parameter(ALLOWED_ORIGINS_PARAM)
                if param is not None:
                    origins = [o.strip() for o in param.split(",") if o.strip()]
            allowed = hs.check_origin(origin, host, scheme, origins)
        if report is not None:
            report("origin", allowed, f"Origin: {origin} (Host: {host})")
        if not allowed:
            raise hs.origin_error(origin or "", host, scheme, origins, config.checks_origin)

    @staticmethod
    def _refuse(response: HandshakeHttpResponse, error: hs.HandshakeError, number: int) -> None:
        """Status, headers and the plain-text reason (not an HTML error page);
        *number* is the connection's number when the request is traced, else 0."""
        if number and BUS.active:
            BUS.emit(
                HandshakeRefused(
                    connection=number,
                    status=error.status,
                    reason=(error.body or error.reason).split("\n", 1)[0],
                    check=error.check,
                    compared=error.compared,
                )
            )
        response.set_status(error.status)
        for name, value in error.headers:
            response.add_header(name, value)
        response.set_content_type("text/plain;charset=utf-8")
        response.get_writer().write(error.body or f"{error.status} {error.reason}\n")


def _reporter(number: int) -> hs.CheckReport:
    """A check report that emits ``HandshakeCheck`` (built only while somebody listens)."""

    def report(check: str, passed: bool, detail: str) -> None:
        BUS.emit(HandshakeCheck(connection=number, check=check, passed=passed, detail=detail))

    return report


def install_server_container(context: WsContext, scanned_classes: Sequence[type] = ()) -> ServerContainer:
    """Give a starting context its ServerContainer (as the ServletContext
    attribute) and deploy what the scan found, as Tomcat's ``WsSci``: with
    no ServerApplicationConfig among *scanned_classes* every
    ``@server_endpoint`` class; with some, the configs and annotated
    classes they return (see :mod:`.application_config`). Raises
    DeploymentError."""
    container = ServerContainer(context)
    container.broadcaster.register()
    context.ws_container = container
    context.get_servlet_context().set_attribute(SERVER_CONTAINER_ATTRIBUTE, container)
    configs, annotated = filter_scanned(ScannedEndpoints.of(scanned_classes))
    for config in configs:
        container.add_endpoint(config)
    for cls in annotated:
        container.add_endpoint(cls)
    return container
