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
from .coders import Decoder, Encoder, produces
from .core.frames import CloseCode
from .core.handshake import negotiate_subprotocol
from .core.uri_template import UriTemplate
from .delivery import message_kind
from .extension import Extension
from .handlers import MessageHandler
from .handshake_request import HandshakeRequest, HandshakeResponse

__all__ = [
    "DEFAULT_BUFFER_SIZE",
    "CloseReason",
    "DeploymentError",
    "Endpoint",
    "PojoEndpoint",
    "PerSessionEndpointConfig",
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


class SessionApi(Protocol):
    """What an endpoint is given of its session (``WsSession`` is one): the
    endpoint API does not depend on the session's implementation."""

    def get_id(self) -> str:
        """The session's id."""

    # Any: a message handler (a MessageHandler or a callable) and its message type.
    def add_message_handler(self, handler: Any, message_type: Any = None) -> None:
        """Deliver messages of *message_type* to *handler* (a POJO's
        @on_message methods are registered this way)."""

    def get_path_parameters(self) -> dict[str, str]:
        """The values of the endpoint path's ``{variables}``."""

    def set_max_text_message_buffer_size(self, size: int) -> None:
        """The text buffer size (a whole message's limit, a part's size)."""

    def set_max_binary_message_buffer_size(self, size: int) -> None:
        """The binary buffer size."""


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
            self.pojo = PojoMethods.of(endpoint_class, self.template.names, self.decoders)

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


def _role(name: str) -> Any:
    """The decorator marking a method for *name*; ``@on_message`` also
    takes ``max_message_size`` (Jakarta's ``maxMessageSize``: the session's
    buffer size for the kinds the method takes)."""

    # Any: the decorated function, or the decorator when called with options.
    def decorate(function: Any = None, *, max_message_size: int | None = None) -> Any:
        if function is None:
            if name != "on_message":
                raise TypeError(f"@{name} takes no options")
            if max_message_size is not None and (not isinstance(max_message_size, int) or max_message_size <= 0):
                raise DeploymentError(f"max_message_size must be a positive number of bytes, got {max_message_size!r}")
            return lambda f: _mark(decorate(f), max_message_size)
        if not callable(function):
            raise TypeError(f"@{name} decorates a method")
        setattr(function, _ROLE, name)
        return function

    decorate.__name__ = name
    return decorate


def _mark(function: Any, max_message_size: int | None) -> Any:
    setattr(function, _MAX_SIZE, max_message_size)
    return function


#: ``method(self, session, config)``: each parameter optional, found by
#: annotation or name (see :class:`PojoMethods`), path parameters by name.
on_open = _role("on_open")
#: ``method(self, session, message[, last: bool])``: the message parameter's
#: annotation chooses what it takes: ``str`` (text), ``bytes`` (binary),
#: :class:`~catalina_py.websocket.handlers.PongMessage`, ``typing.TextIO`` /
#: ``typing.BinaryIO`` (a stream, read while the message arrives) or a type a
#: decoder of the endpoint produces; unannotated, text and binary alike. A
#: ``last: bool`` parameter takes the message in parts. One method per kind
#: (text, binary, pong). A return value other than None is sent back.
on_message = _role("on_message")
#: ``method(self, session, close_reason)``.
on_close = _role("on_close")
#: ``method(self, session, error)``.
on_error = _role("on_error")

#: Where a POJO method's parameter comes from.
_SESSION, _CONFIG_ARG, _REASON, _ERROR, _MESSAGE, _LAST, _PATH = (
    "session",
    "config",
    "reason",
    "error",
    "message",
    "last",
    "path",
)
#: The unannotated parameters of a role, by position when their names say
#: nothing: (with two or more, with one).
_POSITIONAL: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "on_open": ((_SESSION, _CONFIG_ARG), (_SESSION,)),
    "on_close": ((_SESSION, _REASON), (_SESSION,)),
    "on_error": ((_SESSION, _ERROR), (_ERROR,)),
    "on_message": ((_SESSION, _MESSAGE), (_MESSAGE,)),
}
_NAMES = {
    "session": _SESSION,
    "config": _CONFIG_ARG,
    "endpoint_config": _CONFIG_ARG,
    "reason": _REASON,
    "close_reason": _REASON,
    "error": _ERROR,
    "exc": _ERROR,
    "exception": _ERROR,
    "last": _LAST,
    "is_last": _LAST,
}
_SESSION_TYPES = frozenset({"Session", "WsSession", "SessionApi"})


def _is_config_type(annotation: Any) -> bool:
    if isinstance(annotation, type) and issubclass(annotation, ServerEndpointConfig):
        return True
    return getattr(annotation, "__name__", annotation) in ("EndpointConfig", "ServerEndpointConfig")


def _is_session_type(annotation: Any) -> bool:
    name = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
    return name in _SESSION_TYPES


#: Prepared argument lists of the usual @on_message signatures, by their sources.
_FAST_ARGUMENTS: dict[tuple[str, ...], Callable[[Any, Any, bool], tuple[Any, ...]]] = {
    (_SESSION, _MESSAGE, _LAST): lambda session, value, last: (session, value, last),
    (_SESSION, _MESSAGE): lambda session, value, last: (session, value),
    (_MESSAGE, _SESSION): lambda session, value, last: (value, session),
    (_MESSAGE, _LAST): lambda session, value, last: (value, last),
    (_MESSAGE, _SESSION, _LAST): lambda session, value, last: (value, session, last),
    (_MESSAGE,): lambda session, value, last: (value,),
}


class PojoMethod:
    """One decorated method and where each of its parameters comes from
    (Tomcat's ``PojoMethodMapping`` for one method)."""

    __slots__ = ("name", "role", "sources", "message_type", "partial", "kinds", "max_message_size", "fast_arguments")

    def __init__(self, name: str, role: str, sources: list[tuple[str, Any]], message_type: Any) -> None:
        #: The method's attribute name on the class.
        self.name = name
        self.role = role
        #: Per positional parameter: (source, detail); detail is the path
        #: variable's name and conversion for a path parameter.
        self.sources = sources
        #: The message parameter's annotation (on_message; None: none).
        self.message_type = message_type
        #: on_message with a ``last: bool`` parameter.
        self.partial = any(source == _LAST for source, _ in sources)
        #: The message kinds it takes ("text", "binary", "pong").
        self.kinds: tuple[str, ...] = ()
        #: ``@on_message(max_message_size=...)``: the session's buffer size
        #: for the kind (None: the endpoint's).
        self.max_message_size: int | None = None
        #: The usual parameter lists (no path parameter) as one prepared
        #: call: ``fast_arguments(session, value, last)`` is what
        #: :meth:`arguments` returns, without its loop (a message's handler
        #: is the hot path). None: use :meth:`arguments`.
        self.fast_arguments: Callable[[Any, Any, bool], tuple[Any, ...]] | None = _FAST_ARGUMENTS.get(
            tuple(source for source, _ in sources)
        )

    def arguments(self, session: Any, path: dict[str, str], value: Any = None, last: bool = True) -> list[Any]:
        """The positional arguments of a call (after ``self``)."""
        args: list[Any] = []
        for source, detail in self.sources:
            if source == _SESSION:
                args.append(session)
            elif source == _PATH:
                name, convert = detail
                raw = path.get(name)
                args.append(convert(raw) if raw is not None and convert is not None else raw)
            elif source == _LAST:
                args.append(last)
            else:
                args.append(value)
        return args


def _parameters(function: Callable[..., Any], where: str) -> list[inspect.Parameter]:
    try:
        signature = inspect.signature(function, eval_str=True)
    except (NameError, TypeError, SyntaxError):
        signature = inspect.signature(function)
    except ValueError as exc:
        raise DeploymentError(f"{where}: cannot read the signature: {exc}") from None
    parameters = list(signature.parameters.values())[1:]  # after self
    for parameter in parameters:
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD, parameter.KEYWORD_ONLY):
            raise DeploymentError(
                f"{where}: parameter {parameter.name} cannot be supplied (only positional parameters are)"
            )
    return parameters


def _map_method(name: str, role: str, function: Callable[..., Any], where: str, path_names: set[str]) -> PojoMethod:
    """Where each parameter of a decorated method comes from: its
    annotation, else its name, else its position (the role's usual
    order); DeploymentError for one that cannot be supplied."""
    parameters = _parameters(function, where)
    empty = inspect.Parameter.empty
    sources: list[tuple[str, Any] | None] = []
    message_type: Any = None
    unknown: list[int] = []
    for index, parameter in enumerate(parameters):
        annotation = parameter.annotation
        if annotation in (Any, object, "Any", "typing.Any", "object"):
            annotation = empty  # says nothing: the name or the position decides
        source: tuple[str, Any] | None = None
        if parameter.name in path_names and annotation in (empty, str, int, float, "str", "int", "float"):
            convert = {int: int, float: float, "int": int, "float": float}.get(annotation)
            source = (_PATH, (parameter.name, convert))
        elif annotation is not empty:
            if _is_session_type(annotation):
                source = (_SESSION, None)
            elif role == "on_message":
                source = (_LAST, None) if annotation in (bool, "bool") else (_MESSAGE, None)
                if source[0] == _MESSAGE:
                    message_type = annotation
            elif role == "on_open" and _is_config_type(annotation):
                source = (_CONFIG_ARG, None)
            elif role == "on_close" and annotation is CloseReason:
                source = (_REASON, None)
            elif role == "on_error" and isinstance(annotation, type) and issubclass(annotation, BaseException):
                source = (_ERROR, None)
        if source is None and parameter.name in _NAMES:
            named = _NAMES[parameter.name]
            if named in (_SESSION,) or named in _POSITIONAL[role][0] or (named == _LAST and role == "on_message"):
                source = (named, None)
        if source is None:
            unknown.append(index)
        sources.append(source)
    taken = {s[0] for s in sources if s is not None and s[0] != _PATH}
    if unknown:
        wanted = [s for s in _POSITIONAL[role][0 if len(unknown) >= 2 else 1] if s not in taken]
        if _LAST in taken and role == "on_message" and _MESSAGE not in taken:
            wanted = [s for s in (_SESSION, _MESSAGE) if s not in taken][-len(unknown) :]
        for index in unknown:
            parameter = parameters[index]
            if wanted:
                sources[index] = (wanted.pop(0), None)
            elif parameter.default is not inspect.Parameter.empty:
                sources[index] = None  # left to its default
            else:
                raise DeploymentError(
                    f"{where}: parameter {parameter.name} cannot be supplied to an @{role} method "
                    f"(annotate it, or name it after a path parameter)"
                )
    seen: set[str] = set()
    for source in sources:
        if source is not None and source[0] != _PATH:
            if source[0] in seen:
                raise DeploymentError(f"{where}: two parameters take the {source[0]}")
            seen.add(source[0])
    if role == "on_message" and _MESSAGE not in seen:
        raise DeploymentError(f"{where}: an @on_message method needs a message parameter")
    if role == "on_error" and _ERROR not in seen:
        raise DeploymentError(f"{where}: an @on_error method needs an error parameter")
    # Parameters left to their defaults must come last (positional calls).
    while sources and sources[-1] is None:
        sources.pop()
    if any(source is None for source in sources):
        raise DeploymentError(f"{where}: a parameter left to its default is followed by others")
    method = PojoMethod(name, role, [s for s in sources if s is not None], message_type)
    if role == "on_message":
        method.kinds = _message_kinds(method, where)
        size = getattr(function, _MAX_SIZE, None)
        method.max_message_size = size
    return method


def _message_kinds(method: PojoMethod, where: str) -> tuple[str, ...]:
    """The kinds an @on_message method takes, checked as Jakarta: parts only
    of str or bytes."""
    message_type = method.message_type
    if message_type is None or message_type in (Any, object) or message_type == (str | bytes):
        return ("text", "binary")
    if isinstance(message_type, str):
        message_type = {"str": str, "bytes": bytes, "int": int, "float": float}.get(message_type, message_type)
        method.message_type = message_type
    known = message_kind(message_type)
    name = getattr(message_type, "__name__", repr(message_type))
    if known is None:
        if method.partial:
            raise DeploymentError(f"{where}: a method taking parts (last: bool) takes str or bytes, not {name}")
        return ("decoded",)
    kind, how = known
    if method.partial and (how != "whole" or kind == "pong" or message_type in (int, float)):
        raise DeploymentError(f"{where}: a method taking parts (last: bool) takes str or bytes, not {name}")
    return (kind,)


_MAX_SIZE = "_catalina_ws_max_message_size"


class PojoMethods:
    """The decorated methods of a POJO endpoint class (Tomcat's
    ``PojoMethodMapping``), found and checked once per class.

    Each parameter of a decorated method is found by its annotation
    (``Session``, ``bool`` for ``last``, ``CloseReason``, an exception
    type, the config, the message's type), else by its name (``session``,
    ``last``, ``config``, ``reason``, ``error`` and the path's
    ``{variables}``, given as ``str``, or ``int`` / ``float`` when so
    annotated), else by its position in the usual order
    (``session, message``). A signature that cannot be supplied, two
    methods for one kind or a decoded type without a decoder raise
    DeploymentError naming the class and method.
    """

    __slots__ = ("open", "close", "error", "messages", "text", "binary", "pong")

    def __init__(self) -> None:
        self.open: PojoMethod | None = None
        self.close: PojoMethod | None = None
        self.error: PojoMethod | None = None
        #: The @on_message methods.
        self.messages: list[PojoMethod] = []
        #: Names of the methods taking text, binary messages and pongs.
        self.text: str | None = None
        self.binary: str | None = None
        self.pong: str | None = None

    @property
    def open_args(self) -> int:
        """Positional parameters of the @on_open method (after self)."""
        return len(self.open.sources) if self.open is not None else 0

    @classmethod
    def of(
        cls, endpoint_class: type, path_names: Sequence[str] = (), decoders: Sequence[type] | None = None
    ) -> PojoMethods:
        """Map *endpoint_class*'s decorated methods; *path_names* are the
        path's variables, *decoders* the endpoint's decoder classes (None:
        not known yet, decoded types are then not checked)."""
        methods = cls()
        names = set(path_names)
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
                method = _map_method(attr, role, value, where, names)
                if role == "on_message":
                    methods._add_message(method, where, decoders)
                    continue
                slot = role[3:]  # open, close, error
                other = getattr(methods, slot)
                if other is not None:
                    raise DeploymentError(f"{where}: two @{role} methods ({other.name} too)")
                setattr(methods, slot, method)
        return methods

    def _add_message(self, method: PojoMethod, where: str, decoders: Sequence[type] | None) -> None:
        kinds = method.kinds
        if kinds == ("decoded",):
            name = getattr(method.message_type, "__name__", repr(method.message_type))
            if decoders is None:
                self.messages.append(method)
                return
            found = [d for d in decoders if produces(d, method.message_type)]
            if not found:
                raise DeploymentError(
                    f"{where}: no decoder of the endpoint produces {name} "
                    f"(list one with object_type = {name} in decoders=[...])"
                )
            kinds = method.kinds = (
                ("text",) if issubclass(found[0], (Decoder.Text, Decoder.TextStream)) else ("binary",)
            )
        for kind in kinds:
            other = getattr(self, kind)
            if other is not None:
                raise DeploymentError(f"{where}: two @on_message methods take {kind} messages ({other} too)")
            setattr(self, kind, method.name)
        self.messages.append(method)


class _PojoCall:
    """What a handler made from an @on_message method calls: the bound
    method, its parameter mapping, the session and the path parameters."""

    __slots__ = ("_call", "_method", "_session", "_path")

    def __init__(self, bound: Callable[..., Any], method: PojoMethod, session: Any, path: dict[str, str]) -> None:
        self._call = bound
        self._method = method
        self._session = session
        self._path = path


class _PojoWhole(_PojoCall):
    """A whole-message handler calling an @on_message method; a return
    value is sent back."""

    __slots__ = ()

    # Any: the message as its kind (str, bytes, PongMessage, a stream or a decoded object).
    def __call__(self, message: Any) -> None:
        method = self._method
        fast = method.fast_arguments
        if fast is not None:
            reply = self._call(*fast(self._session, message, True))
        else:
            reply = self._call(*method.arguments(self._session, self._path, message))
        if reply is not None:
            _send_back(self._session, reply)


class _PojoPartial(_PojoCall, MessageHandler.Partial):
    """A partial handler calling an @on_message method with ``last``."""

    __slots__ = ()

    def on_message(self, part: Any, last: bool) -> None:
        method = self._method
        fast = method.fast_arguments
        if fast is not None:
            reply = self._call(*fast(self._session, part, last))
        else:
            reply = self._call(*method.arguments(self._session, self._path, part, last))
        if reply is not None:
            _send_back(self._session, reply)


# Any: what the method returned.
def _send_back(session: Any, reply: Any) -> None:
    """A return value other than None goes back (as Tomcat: through
    ``send_object``, so encoders apply)."""
    if reply is not None and session.is_open():
        session.get_basic_remote().send_object(reply)


class PojoEndpoint(Endpoint):
    """Drives an annotated instance as an Endpoint (Tomcat's ``PojoEndpointServer``)."""

    def __init__(self, instance: object, methods: PojoMethods) -> None:
        self.instance = instance
        self.methods = methods

    def _path(self, session: SessionApi) -> dict[str, str]:
        return session.get_path_parameters()

    def on_open(self, session: SessionApi, config: ServerEndpointConfig) -> None:
        methods = self.methods
        instance = self.instance
        path = self._path(session)
        for method in methods.messages:
            bound = getattr(instance, method.name)
            handler: Any = (
                _PojoPartial(bound, method, session, path)
                if method.partial
                else _PojoWhole(bound, method, session, path)
            )
            if method.kinds == ("text", "binary"):
                message_types: tuple[Any, ...] = (str, bytes)
            else:
                message_types = (method.message_type,)
            for message_type in message_types:
                session.add_message_handler(handler, message_type)
            size = method.max_message_size
            if size is not None:
                for kind in method.kinds:
                    if kind == "text":
                        session.set_max_text_message_buffer_size(size)
                    elif kind == "binary":
                        session.set_max_binary_message_buffer_size(size)
        if methods.open is not None:
            open_method = methods.open
            args = open_method.arguments(session, path, config)
            getattr(instance, open_method.name)(*args)

    def on_close(self, session: SessionApi, close_reason: CloseReason) -> None:
        method = self.methods.close
        if method is not None:
            getattr(self.instance, method.name)(*method.arguments(session, self._path(session), close_reason))

    def on_error(self, session: SessionApi, error: BaseException) -> None:
        method = self.methods.error
        if method is not None:
            getattr(self.instance, method.name)(*method.arguments(session, self._path(session), error))
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
