"""``WsSettings``: the connection-level WebSocket settings of one connector,
read once from its configuration and frozen.

The defaults are ``config/connector_spec.py``'s: this module defines none
of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..config.connector_spec import (
    DEFAULT_WS_CLOSE_TIMEOUT,
    DEFAULT_WS_PARK_AFTER,
    DEFAULT_WS_PING_INTERVAL,
    DEFAULT_WS_PING_TIMEOUT,
    ConnectorSpec,
)

__all__ = ["WsSettings", "settings_for"]

_PING_INTERVAL = float(DEFAULT_WS_PING_INTERVAL)
_PING_TIMEOUT = float(DEFAULT_WS_PING_TIMEOUT)
_CLOSE_TIMEOUT = float(DEFAULT_WS_CLOSE_TIMEOUT)
_PARK_AFTER = float(DEFAULT_WS_PARK_AFTER)


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
    #: A connection that read nothing for this long gives up its greenlet
    #: until its next bytes (``webSocketParkAfter``).
    park_after: float = _PARK_AFTER
    #: Bytes asked of the socket per read.
    recv_size: int = 65536

    @classmethod
    def from_connector(cls, config: ConnectorSpec) -> WsSettings:
        """Read a connector's configuration (its times are in milliseconds
        for connectionTimeout, seconds for the WebSocket timers)."""
        timeout_ms = config.connection_timeout_ms
        return cls(
            ping_interval=float(config.web_socket_ping_interval or 0.0),
            ping_timeout=float(config.web_socket_ping_timeout or 0.0),
            close_timeout=float(config.web_socket_close_timeout or 0.0),
            park_after=float(config.web_socket_park_after or 0.0),
            send_timeout=timeout_ms / 1000.0 if timeout_ms and timeout_ms > 0 else None,
        )


#: One WsSettings per connector config (by identity; the config is kept so
#: that its id is not reused).
_built: dict[int, tuple[ConnectorSpec, WsSettings]] = {}
_NO_CONFIG = WsSettings()


def settings_for(config: ConnectorSpec | None) -> WsSettings:
    """The WsSettings of a connector config, built on first use; the
    defaults when there is no config (a handler run without a connector)."""
    if config is None:
        return _NO_CONFIG
    entry = _built.get(id(config))
    if entry is None or entry[0] is not config:
        entry = _built[id(config)] = (config, WsSettings.from_connector(config))
    return entry[1]
