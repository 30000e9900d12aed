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

from ..config.websocket_params import DEFAULT_BUFFER_SIZE
from .coders import Decoder, Encoder
from .core.frames import CloseCode
from .core.handshake import negotiate_subprotocol
from .core.uri_template import UriTemplate
from .extension import Extension
from .handshake_request import HandshakeRequest, HandshakeResponse

__all__ = [
    "DEFAULT_BUFFER_SIZE",
    "CloseReason",
    "DeploymentError",
    "Endpoint",
    "PojoEndpoint",
    "PerSessionEndpointConfig",
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

#: The coder kinds an encoder (decoder) class must subclass.
ENCODER_KINDS: tuple[type, ...] = (Encoder.Text, Encoder.TextStream, Encoder.Binary, Encoder.BinaryStream)
DECODER_KINDS: tuple[type, ...] = (Decoder.Text, Decoder.TextStream, Decoder.Binary, Decoder.BinaryStream)


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
    """The code and reason phrase of a closed session. The codes are plain
    ints; ``CloseReason.CloseCodes.GOING_AWAY`` (Jakarta's spelling) is
    :class:`~catalina_py.websocket.core.frames.CloseCode`."""

    __slots__ = ("_code", "_reason")

    #: Jakarta's ``CloseReason.CloseCodes``: the registered codes by name.
    CloseCodes = CloseCode

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

    def get_negotiated_extensions(
        self, installed: Sequence[Extension], requested: Sequence[Extension]
    ) -> list[Extension]:
        """The extensions to use, in the order they apply: by default every
        offer the client made (parameters and all, the client's order)
        whose name is among *installed* (the endpoint's extensions and the
        container's), as Tomcat's ``DefaultServerEndpointConfigurator``.
        Return fewer to refuse some (``[]``: no compression). The container
        then keeps, per name, the first offer it can honour and negotiates
        its parameters (an extension it has no implementation of is
        dropped)."""
        names = {extension.get_name() for extension in installed}
        return [extension for extension in requested if extension.get_name() in names]

    # Any: an instance of the webapp's class, an Endpoint or an annotated (POJO) one.
    def get_endpoint_instance(self, endpoint_class: type) -> Any:
        """A new instance of the endpoint class, one per session."""
        return endpoint_class()

    @staticmethod
    def get_container_default_configurator() -> ServerEndpointConfigurator:
        """The container's configurator (Jakarta's
        ``getContainerDefaultConfigurator``): what every method of this
        class does when a subclass does not override it."""
        return _DEFAULT_CONFIGURATOR


_DEFAULT_CONFIGURATOR = ServerEndpointConfigurator()


def _overrides_check_origin(configurator: ServerEndpointConfigurator) -> bool:
    return type(configurator).check_origin is not ServerEndpointConfigurator.check_origin


def _coder_classes(coders: Sequence[type] | type, kinds: tuple[type, ...], what: str, endpoint: type) -> list[type]:
    """The coder classes of a config, checked: each must be a class
    subclassing one of *kinds* (Tomcat refuses the endpoint likewise)."""
    if isinstance(coders, type):
        coders = [coders]
    checked: list[type] = []
    for coder in coders:
        if not isinstance(coder, type) or not issubclass(coder, kinds):
            name = getattr(coder, "__qualname__", repr(coder))
            expected = ", ".join(f"{what}.{kind.__name__}" for kind in kinds)
            article = "an" if what == "Encoder" else "a"
            raise DeploymentError(
                f"{endpoint.__qualname__}: {name} is not {article} {what.lower()} class: "
                f"it must subclass one of {expected}"
            )
        checked.append(coder)
    return checked


def _extensions(extensions: Sequence[Extension | str]) -> list[Extension]:
    if isinstance(extensions, (str, Extension)):
        extensions = [extensions]
    found: list[Extension] = []
    for extension in extensions:
        if isinstance(extension, str):
            extension = Extension(extension)
        if not isinstance(extension, Extension):
            raise DeploymentError(f"extensions: an Extension or an extension name expected, got {extension!r}")
        found.append(extension)
    return found


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
    """How one endpoint is deployed: its path, class, subprotocols,
    extensions, encoders, decoders, configurator and limits. Made by
    ``@server_endpoint``, by :class:`ServerEndpointConfig.Builder` or
    directly; raises DeploymentError for a value that cannot work."""

    def __init__(
        self,
        endpoint_class: type,
        path: str,
        subprotocols: Sequence[str] = (),
        configurator: ServerEndpointConfigurator | type[ServerEndpointConfigurator] | None = None,
        allowed_origins: Sequence[str] | None = None,
        max_text_message_size: int | None = None,
        max_binary_message_size: int | None = None,
        max_idle_timeout: float | None = None,
        *,
        encoders: Sequence[type] = (),
        decoders: Sequence[type] = (),
        extensions: Sequence[Extension | str] = (),
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
        self.encoders = _coder_classes(encoders, ENCODER_KINDS, "Encoder", endpoint_class)
        self.decoders = _coder_classes(decoders, DECODER_KINDS, "Decoder", endpoint_class)
        self.extensions = _extensions(extensions)
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

    def get_encoders(self) -> list[type]:
        """The encoder classes, in the order ``send_object`` tries them."""
        return list(self.encoders)

    def get_decoders(self) -> list[type]:
        """The decoder classes, in the order incoming messages try them."""
        return list(self.decoders)

    def get_extensions(self) -> list[Extension]:
        """The extensions configured for this endpoint (Jakarta's default:
        none). The handshake offers the configurator these plus the
        container's installed ones (:data:`~catalina_py.websocket.extension.INSTALLED_EXTENSIONS`),
        as Tomcat does."""
        return list(self.extensions)

    def copy(self) -> ServerEndpointConfig:
        """A new config with the same settings and a copy of the user
        properties (one per deployment: webapps share no state)."""
        config = ServerEndpointConfig(
            self.endpoint_class,
            self.path,
            self.subprotocols,
            self.configurator,
            self.allowed_origins,
            self.max_text_message_size,
            self.max_binary_message_size,
            self.max_idle_timeout,
            encoders=self.encoders,
            decoders=self.decoders,
            extensions=self.extensions,
        )
        config.user_properties.update(self.user_properties)
        return config

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

    class Builder:
        """Builds a ServerEndpointConfig step by step (Jakarta's
        ``ServerEndpointConfig.Builder``)::

            config = (
                ServerEndpointConfig.Builder.create(EchoEndpoint, "/echo")
                .subprotocols(["chat"])
                .encoders([JsonEncoder])
                .decoders([JsonDecoder])
                .build()
            )

        Each setter replaces what an earlier call set and returns the
        builder; :meth:`build` checks everything (DeploymentError)."""

        def __init__(self, endpoint_class: type, path: str) -> None:
            self._endpoint_class = endpoint_class
            self._path = path
            # Any: the keyword arguments of ServerEndpointConfig, as given.
            self._settings: dict[str, Any] = {}

        @classmethod
        def create(cls, endpoint_class: type, path: str) -> ServerEndpointConfig.Builder:
            """A builder for *endpoint_class* (an Endpoint subclass or an
            annotated class) at *path* within the context."""
            return cls(endpoint_class, path)

        def subprotocols(self, subprotocols: Sequence[str]) -> ServerEndpointConfig.Builder:
            """The subprotocols the endpoint supports, preferred first."""
            self._settings["subprotocols"] = list(subprotocols)
            return self

        def extensions(self, extensions: Sequence[Extension | str]) -> ServerEndpointConfig.Builder:
            """Extensions added to the container's installed ones for the
            configurator's choice."""
            self._settings["extensions"] = list(extensions)
            return self

        def encoders(self, encoders: Sequence[type]) -> ServerEndpointConfig.Builder:
            """Encoder classes (subclasses of ``Encoder.Text`` etc.)."""
            self._settings["encoders"] = list(encoders)
            return self

        def decoders(self, decoders: Sequence[type]) -> ServerEndpointConfig.Builder:
            """Decoder classes (subclasses of ``Decoder.Text`` etc.)."""
            self._settings["decoders"] = list(decoders)
            return self

        def configurator(
            self, configurator: ServerEndpointConfigurator | type[ServerEndpointConfigurator] | None
        ) -> ServerEndpointConfig.Builder:
            """The configurator (an instance or a class); None: the container's."""
            self._settings["configurator"] = configurator
            return self

        # catalina_py's own settings, also available on @server_endpoint.
        def allowed_origins(self, origins: Sequence[str] | None) -> ServerEndpointConfig.Builder:
            """Origins whose pages may connect ("*": any); None: the
            context's ``catalina_py.websocket.allowed_origins`` or same origin."""
            self._settings["allowed_origins"] = origins
            return self

        def max_text_message_size(self, size: int | None) -> ServerEndpointConfig.Builder:
            """The text buffer size of the endpoint's sessions (bytes)."""
            self._settings["max_text_message_size"] = size
            return self

        def max_binary_message_size(self, size: int | None) -> ServerEndpointConfig.Builder:
            """The binary buffer size of the endpoint's sessions (bytes)."""
            self._settings["max_binary_message_size"] = size
            return self

        def max_idle_timeout(self, seconds: float | None) -> ServerEndpointConfig.Builder:
            """The idle timeout of the endpoint's sessions (seconds, 0: never)."""
            self._settings["max_idle_timeout"] = seconds
            return self

        def build(self) -> ServerEndpointConfig:
            """The config (DeploymentError for a value that cannot work)."""
            return ServerEndpointConfig(self._endpoint_class, self._path, **self._settings)


class PerSessionEndpointConfig(ServerEndpointConfig):
    """The config one handshake's configurator sees (Tomcat's
    ``WsPerSessionServerEndpointConfig``): the endpoint's settings, with a
    copy of its user properties that becomes the session's."""

    def __init__(self, config: ServerEndpointConfig) -> None:  # a view: no super().__init__
        self.__dict__.update(config.__dict__)
        self.user_properties = dict(config.user_properties)
        #: The deployed config this one was made from.
        self.deployed = config


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
    configurator: ServerEndpointConfigurator | type[ServerEndpointConfigurator] | None = None,
    allowed_origins: Sequence[str] | None = None,
    max_text_message_size: int | None = None,
    max_binary_message_size: int | None = None,
    max_idle_timeout: float | None = None,
    *,
    encoders: Sequence[type] = (),
    decoders: Sequence[type] = (),
) -> Callable[[type], type]:
    """Declare a class as a WebSocket endpoint at *path* (``/chat/{room}``
    templates allowed), Jakarta's ``@ServerEndpoint``: *encoders* and
    *decoders* are coder classes (see ``coders.py``), *configurator* a
    ServerEndpointConfigurator class or instance. The class is found by the
    deployment's annotation scan of ``WEB-INF/classes`` (or registered with
    ``ServerContainer.add_endpoint``). A bad value raises DeploymentError
    when the class is defined."""

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
            encoders=encoders,
            decoders=decoders,
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
