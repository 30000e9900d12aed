"""WebSocket (RFC 6455, RFC 7692) for catalina_py: a sans-I/O protocol core
(``frames``, ``protocol``, ``handshake``, ``permessage_deflate``), the
upgrade hand-off from the HTTP connector, and the Jakarta-WebSocket-style
endpoint API (``@server_endpoint``, ``@on_message``, ``Session``)."""

from .application_config import ServerApplicationConfig
from .coders import DecodeError, Decoder, EncodeError, Encoder
from .core.frames import CloseCode
from .endpoint import (
    CloseReason,
    DeploymentError,
    Endpoint,
    ServerEndpointConfig,
    ServerEndpointConfigurator,
    on_close,
    on_error,
    on_message,
    on_open,
    server_endpoint,
)
from .extension import Extension
from .handlers import MessageHandler, PongMessage, SendHandler, SendResult
from .handshake_request import HandshakeRequest, HandshakeResponse
from .server import SERVER_CONTAINER_ATTRIBUTE, ServerContainer
from .session import SendFuture, SessionClosedError, SlowConsumerError, WsSession

#: Jakarta's name for the session class.
Session = WsSession

__all__ = [
    "CloseCode",
    "CloseReason",
    "DecodeError",
    "Decoder",
    "DeploymentError",
    "EncodeError",
    "Encoder",
    "Endpoint",
    "Extension",
    "HandshakeRequest",
    "HandshakeResponse",
    "MessageHandler",
    "PongMessage",
    "SERVER_CONTAINER_ATTRIBUTE",
    "SendFuture",
    "SendHandler",
    "SendResult",
    "ServerApplicationConfig",
    "ServerContainer",
    "ServerEndpointConfig",
    "ServerEndpointConfigurator",
    "Session",
    "SessionClosedError",
    "SlowConsumerError",
    "WsSession",
    "on_close",
    "on_error",
    "on_message",
    "on_open",
    "server_endpoint",
]
