"""``WsSettings``: the connection-level WebSocket settings of one connector,
read once from its configuration and frozen.

The defaults are ``ConnectorConfig``'s (``config/server_xml.py``): this
module defines none of its own.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ..config.server_xml import ConnectorConfig

__all__ = ["WsSettings", "settings_for"]


def _default(name: str) -> float:
    """A ``ConnectorConfig`` field's default (the one place it is written)."""
    for field in dataclasses.fields(ConnectorConfig):
        if field.name == name:
            return float(field.default)  # type: ignore[arg-type]  # the ping fields default to floats
    raise LookupError(name)


_PING_INTERVAL = _default("web_socket_ping_interval")
_PING_TIMEOUT = _default("web_socket_ping_timeout")
_CLOSE_TIMEOUT = _default("web_socket_close_timeout")


@dataclass(frozen=True, slots=True)
class WsSettings:
    """How a connector's WebSocket connections keep alive and close
    (seconds; 0 disables the timer). Built once per connector config by
    :func:`settings_for` and shared by its connections."""

    #: A ping every this many seconds (``webSocketPingInterval``).
    ping_interval: float = _PING_INTERVAL
    #: A peer whose pong does not come within this is dropped.
    ping_timeout: float = _PING_TIMEOUT
    #: How long a close we start waits for the peer's reply.
    close_timeout: float = _CLOSE_TIMEOUT
    #: A send blocked this long (the peer reads nothing) drops the
    #: connection; None: no bound (the connector's connectionTimeout).
    send_timeout: float | None = None
    #: Bytes asked of the socket per read.
    recv_size: int = 65536

    @classmethod
    def from_connector(cls, config: object) -> "WsSettings":
        """Read a connector's configuration: a ``ConnectorConfig`` (times in
        ms, contract 4) or the connector's own settings object (seconds)."""
        timeout: float | None
        timeout_ms = getattr(config, "connection_timeout_ms", None)
        if timeout_ms is not None:
            timeout = timeout_ms / 1000.0 if timeout_ms > 0 else None
        else:
            raw = getattr(config, "connection_timeout", None)
            timeout = float(raw) if raw else None
        if timeout is not None and timeout <= 0:
            timeout = None
        return cls(
            ping_interval=float(getattr(config, "web_socket_ping_interval", _PING_INTERVAL) or 0.0),
            ping_timeout=float(getattr(config, "web_socket_ping_timeout", _PING_TIMEOUT) or 0.0),
            close_timeout=float(getattr(config, "web_socket_close_timeout", _CLOSE_TIMEOUT) or 0.0),
            send_timeout=timeout,
        )


#: One WsSettings per connector config (by identity; the config is kept so
#: that its id is not reused).
_built: dict[int, tuple[object, WsSettings]] = {}
_NO_CONFIG = WsSettings()


def settings_for(config: object | None) -> WsSettings:
    """The WsSettings of a connector config, built on first use; the
    defaults when there is no config (a handler run without a connector)."""
    if config is None:
        return _NO_CONFIG
    entry = _built.get(id(config))
    if entry is None or entry[0] is not config:
        entry = _built[id(config)] = (config, WsSettings.from_connector(config))
    return entry[1]
