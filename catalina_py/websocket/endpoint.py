"""The Jakarta WebSocket server API in PEP 8 spelling: ``@server_endpoint``
and its method decorators (annotated POJO endpoints), ``Endpoint``
(programmatic endpoints), ``ServerEndpointConfig``,
``ServerEndpointConfigurator`` and ``CloseReason``.

An annotated class is wrapped in a :class:`PojoEndpoint` (Tomcat's
``PojoEndpointServer`` with the methods found by ``PojoMethodMapping``);
one instance of the webapp's class is created per session, as in Jakarta.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from .core.handshake import negotiate_subprotocol
from .core.uri_template import UriTemplate
from .handshake_request import HandshakeRequest, HandshakeResponse

__all__ = [
    "CloseReason",
    "DeploymentError",
    "Endpoint",
    "PojoEndpoint",
    "PojoHandler",
    "ServerEndpointConfig",
    "SessionApi",
    "ServerEndpointConfigurator",
    "get_server_endpoint",
    "on_close",
    "on_error",
    "on_message",
    "on_open",
    "server_endpoint",
]

#: Tomcat's default for both message buffers (Constants.DEFAULT_BUFFER_SIZE).
DEFAULT_BUFFER_SIZE = 8192 * 8


log = logging.getLogger("catalina_py.websocket")

#: A POJO ``@on_message`` method bound to its instance: ``(session, message) -> reply or None``
#: (Any: the message is str or bytes, the reply whatever the method returns).
PojoHandler = Callable[[Any, Any], Any]


class SessionApi(Protocol):
    """What an endpoint is given of its session (``WsSession`` is one): the
    endpoint API does not depend on the session's implementation."""

    def get_id(self) -> str:
        """The session's id."""

    def set_pojo_handlers(self, text: PojoHandler | None, binary: PojoHandler | None) -> None:
        """Deliver messages to a POJO's @on_message methods (replies are sent back)."""


class DeploymentError(ValueError):
    """An endpoint that cannot be deployed (Jakarta's DeploymentException)."""


class CloseReason:
    """The code and reason phrase of a closed session."""

    __slots__ = ("_code", "_reason")

    def __init__(self, code: int, reason: str = "") -> None:
        self._code = int(code)
        self._reason = reason or ""

    def get_close_code(self) -> int:
        return self._code

    def get_reason_phrase(self) -> str:
        return self._reason

    @property
    def code(self) -> int:
        return self._code

    @property
    def reason(self) -> str:
        return self._reason

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CloseReason) and (self._code, self._reason) == (other._code, other._reason)

    def __hash__(self) -> int:
        return hash((self._code, self._reason))

    def __repr__(self) -> str:
        return f"CloseReason({self._code}, {self._reason!r})"


class Endpoint:
    """A programmatic endpoint: one instance per session. Add message
    handlers in ``on_open`` with ``session.add_message_handler``."""

    def on_open(self, session: SessionApi, config: ServerEndpointConfig) -> None:
        raise NotImplementedError

    def on_close(self, session: SessionApi, close_reason: CloseReason) -> None:
        """The session has closed (once per session)."""

    def on_error(self, session: SessionApi, error: BaseException) -> None:
        """An error: an exception raised by the endpoint's code, or an I/O
        failure of the connection."""


class ServerEndpointConfigurator:
    """Hooks into the handshake of one endpoint (Jakarta's
    ``ServerEndpointConfig.Configurator``).

    ``check_origin`` is only consulted when a subclass overrides it;
    otherwise the endpoint's ``allowed_origins``, the context init-param
    ``catalina_py.websocket.allowed_origins`` or the same-origin rule
    decide (see docs/websocket.md).
    """

    def check_origin(self, origin: str | None) -> bool:
        return True

    def modify_handshake(
        self, config: ServerEndpointConfig, request: HandshakeRequest, response: HandshakeResponse
    ) -> None:
        """Called after the checks passed, before the 101 is sent: may read
        ``request`` (a HandshakeRequest), add to ``response.get_headers()``
        and to ``config.get_user_properties()``."""

    def get_negotiated_subprotocol(self, supported: Sequence[str], requested: Sequence[str]) -> str | None:
        """The subprotocol to use: the first the client asked for that the
        endpoint supports (the client's order, as Tomcat)."""
        return negotiate_subprotocol(list(requested), supported)

    # Any: an instance of the webapp's class, an Endpoint or an annotated (POJO) one.
    def get_endpoint_instance(self, endpoint_class: type) -> Any:
        """A new instance of the endpoint class, one per session."""
        return endpoint_class()


def _overrides_check_origin(configurator: ServerEndpointConfigurator) -> bool:
    return type(configurator).check_origin is not ServerEndpointConfigurator.check_origin


class EndpointStats:
    """Counters of one deployed endpoint, kept at all times (a few integer
    additions per message): sessions opened, messages and wire bytes in and
    out, and the close codes seen."""

    __slots__ = ("sessions_total", "messages_in", "messages_out", "bytes_in", "bytes_out", "close_codes")

    def __init__(self) -> None:
        self.sessions_total = 0
        self.messages_in = 0
        self.messages_out = 0
        self.bytes_in = 0
        self.bytes_out = 0
        self.close_codes: dict[int, int] = {}


class ServerEndpointConfig:
    """How one endpoint is deployed: its path, class and limits."""

    def __init__(
        self,
        endpoint_class: type,
        path: str,
        subprotocols: Sequence[str] = (),
        configurator: ServerEndpointConfigurator | None = None,
        allowed_origins: Sequence[str] | None = None,
        max_text_message_size: int | None = None,
        max_binary_message_size: int | None = None,
        max_idle_timeout: float | None = None,
    ) -> None:
        if not isinstance(endpoint_class, type):
            raise DeploymentError(f"endpoint class expected, got {endpoint_class!r}")
        try:
            self.template = UriTemplate(path)
        except ValueError as exc:
            raise DeploymentError(str(exc)) from None
        if isinstance(subprotocols, str):
            subprotocols = [subprotocols]
        if isinstance(allowed_origins, str):
            allowed_origins = [o.strip() for o in allowed_origins.split(",") if o.strip()]
        for name, value in (
            ("max_text_message_size", max_text_message_size),
            ("max_binary_message_size", max_binary_message_size),
        ):
            if value is not None and (not isinstance(value, int) or value <= 0):
                raise DeploymentError(f"{name} must be a positive number of bytes, got {value!r}")
        if max_idle_timeout is not None and max_idle_timeout < 0:
            raise DeploymentError(f"max_idle_timeout must be >= 0 seconds, got {max_idle_timeout!r}")
        if configurator is not None and not isinstance(configurator, ServerEndpointConfigurator):
            if isinstance(configurator, type) and issubclass(configurator, ServerEndpointConfigurator):
                configurator = configurator()
            else:
                raise DeploymentError("configurator must be a ServerEndpointConfigurator")
        self.endpoint_class = endpoint_class
        self.path = path
        self.subprotocols = list(subprotocols)
        self.configurator = configurator or ServerEndpointConfigurator()
        self.allowed_origins = list(allowed_origins) if allowed_origins is not None else None
        self.max_text_message_size = max_text_message_size
        self.max_binary_message_size = max_binary_message_size
        self.max_idle_timeout = max_idle_timeout
        self.user_properties: dict[str, Any] = {}  # Any: whatever the webapp stores
        #: The endpoint's traffic since it was deployed (the inspector's status).
        self.stats = EndpointStats()
        #: How sessions are driven: the class itself for an Endpoint
        #: subclass, else the POJO method table.
        self.pojo: PojoMethods | None = None
        if not issubclass(endpoint_class, Endpoint):
            self.pojo = PojoMethods.of(endpoint_class)

    # Jakarta getters
    def get_path(self) -> str:
        return self.path

    def get_endpoint_class(self) -> type:
        return self.endpoint_class

    def get_subprotocols(self) -> list[str]:
        return list(self.subprotocols)

    def get_configurator(self) -> ServerEndpointConfigurator:
        return self.configurator

    def get_user_properties(self) -> dict[str, Any]:
        return self.user_properties

    @property
    def checks_origin(self) -> bool:
        """True when the configurator overrides ``check_origin``."""
        return _overrides_check_origin(self.configurator)

    def create_endpoint(self) -> Endpoint:
        """The Endpoint driving one new session."""
        instance = self.configurator.get_endpoint_instance(self.endpoint_class)
        if self.pojo is None:
            endpoint: Endpoint = instance  # an Endpoint subclass (checked in __init__)
            return endpoint
        return PojoEndpoint(instance, self.pojo)

    def __repr__(self) -> str:
        return f"ServerEndpointConfig({self.endpoint_class.__name__}, {self.path!r})"


# -- annotated (POJO) endpoints ---------------------------------------------
_ROLE = "_catalina_ws_role"
_CONFIG = "__catalina_server_endpoint__"


def _role(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
        if not callable(function):
            raise TypeError(f"@{name} decorates a method")
        setattr(function, _ROLE, name)
        return function

    decorate.__name__ = name
    return decorate


#: ``method(self, session, config)`` (``config`` may be left out).
on_open = _role("on_open")
#: ``method(self, session, message)``: ``str`` for text, ``bytes`` for binary
#: (annotate the parameter ``str`` or ``bytes`` to take only that kind; one
#: method per kind). A return value other than None is sent back.
on_message = _role("on_message")
#: ``method(self, session, close_reason)``.
on_close = _role("on_close")
#: ``method(self, session, error)``.
on_error = _role("on_error")


def _positional_count(function: Callable[..., Any]) -> int:
    """Positional parameters after ``self`` (a large number for *args)."""
    try:
        parameters = list(inspect.signature(function).parameters.values())[1:]
    except (TypeError, ValueError):
        return 2
    count = 0
    for parameter in parameters:
        if parameter.kind is parameter.VAR_POSITIONAL:
            return 99
        if parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD):
            count += 1
    return count


def _message_kind(function: Callable[..., Any]) -> str:
    """ "text", "binary" or "both", from the annotation of the message parameter."""
    try:
        parameters = list(inspect.signature(function, eval_str=True).parameters.values())
    except Exception:
        try:
            parameters = list(inspect.signature(function).parameters.values())
        except (TypeError, ValueError):
            return "both"
    if len(parameters) < 3:
        return "both"
    annotation = parameters[2].annotation
    if annotation in (str, "str"):
        return "text"
    if annotation in (bytes, "bytes", bytearray, memoryview):
        return "binary"
    return "both"


class PojoMethods:
    """The decorated methods of a POJO endpoint class (Tomcat's
    ``PojoMethodMapping``), found once per class."""

    __slots__ = ("open", "open_args", "close", "error", "text", "binary")

    def __init__(self) -> None:
        self.open: str | None = None
        self.open_args = 2
        self.close: str | None = None
        self.error: str | None = None
        self.text: str | None = None
        self.binary: str | None = None

    @classmethod
    def of(cls, endpoint_class: type) -> PojoMethods:
        methods = cls()
        seen: set[str] = set()
        for klass in endpoint_class.__mro__:
            for attr, value in vars(klass).items():
                if attr in seen:
                    continue
                seen.add(attr)
                role = getattr(value, _ROLE, None)
                if role is None:
                    continue
                where = f"{endpoint_class.__qualname__}.{attr}"
                if role == "on_message":
                    kind = _message_kind(value)
                    kinds = ("text", "binary") if kind == "both" else (kind,)
                    for k in kinds:
                        if getattr(methods, k) is not None:
                            raise DeploymentError(
                                f"{where}: two @on_message methods take {k} messages " f"({getattr(methods, k)} too)"
                            )
                        setattr(methods, k, attr)
                    continue
                slot = role[3:]  # open, close, error
                if getattr(methods, slot) is not None:
                    raise DeploymentError(f"{where}: two @{role} methods ({getattr(methods, slot)} too)")
                setattr(methods, slot, attr)
                if role == "on_open":
                    methods.open_args = min(2, _positional_count(value))
        return methods


class PojoEndpoint(Endpoint):
    """Drives an annotated instance as an Endpoint (Tomcat's ``PojoEndpointServer``)."""

    def __init__(self, instance: object, methods: PojoMethods) -> None:
        self.instance = instance
        self.methods = methods

    def on_open(self, session: SessionApi, config: ServerEndpointConfig) -> None:
        methods = self.methods
        instance = self.instance
        if methods.text is not None or methods.binary is not None:
            session.set_pojo_handlers(self._handler(methods.text), self._handler(methods.binary))
        if methods.open is not None:
            method = getattr(instance, methods.open)
            if methods.open_args >= 2:
                method(session, config)
            else:
                method(session)

    def _handler(self, name: str | None) -> PojoHandler | None:
        if name is None:
            return None
        method = getattr(self.instance, name)
        return lambda session, message: method(session, message)

    def on_close(self, session: SessionApi, close_reason: CloseReason) -> None:
        if self.methods.close is not None:
            getattr(self.instance, self.methods.close)(session, close_reason)

    def on_error(self, session: SessionApi, error: BaseException) -> None:
        if self.methods.error is not None:
            getattr(self.instance, self.methods.error)(session, error)
        else:
            # Tomcat logs an error no @OnError method handles.
            log.error(
                "No @on_error method on %s for an error of session %s",
                type(self.instance).__name__,
                session.get_id(),
                exc_info=error,
            )


def server_endpoint(
    path: str,
    subprotocols: Sequence[str] = (),
    configurator: ServerEndpointConfigurator | None = None,
    allowed_origins: Sequence[str] | None = None,
    max_text_message_size: int | None = None,
    max_binary_message_size: int | None = None,
    max_idle_timeout: float | None = None,
) -> Callable[[type], type]:
    """Declare a class as a WebSocket endpoint at *path* (``/chat/{room}``
    templates allowed). The class is found by the deployment's annotation
    scan of ``WEB-INF/classes`` (or registered with
    ``ServerContainer.add_endpoint``)."""

    def decorate(cls: type) -> type:
        if not isinstance(cls, type):
            raise TypeError("@server_endpoint decorates a class")
        config = ServerEndpointConfig(
            cls,
            path,
            subprotocols,
            configurator,
            allowed_origins,
            max_text_message_size,
            max_binary_message_size,
            max_idle_timeout,
        )
        setattr(cls, _CONFIG, config)
        return cls

    return decorate


def get_server_endpoint(cls: object) -> ServerEndpointConfig | None:
    """The configuration ``@server_endpoint`` put on *cls* (not inherited)."""
    if not isinstance(cls, type):
        return None
    config = cls.__dict__.get(_CONFIG)
    return config if isinstance(config, ServerEndpointConfig) else None
