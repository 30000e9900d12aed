"""Tests of catalina_py.config.connector_spec: the one definition of the
WebSocket heartbeat defaults and where they are exported."""

from __future__ import annotations

import catalina_py.config as config
from catalina_py.config.connector_spec import (
    DEFAULT_WS_CLOSE_TIMEOUT,
    DEFAULT_WS_PING_INTERVAL,
    DEFAULT_WS_PING_TIMEOUT,
    ConnectorSpec,
)


def test_websocket_defaults_are_the_documented_values() -> None:
    assert (DEFAULT_WS_PING_INTERVAL, DEFAULT_WS_PING_TIMEOUT, DEFAULT_WS_CLOSE_TIMEOUT) == (25.0, 10.0, 10.0)


def test_a_connector_spec_defaults_to_them() -> None:
    spec = ConnectorSpec(port=0)
    assert spec.web_socket_ping_interval == DEFAULT_WS_PING_INTERVAL
    assert spec.web_socket_ping_timeout == DEFAULT_WS_PING_TIMEOUT
    assert spec.web_socket_close_timeout == DEFAULT_WS_CLOSE_TIMEOUT


def test_the_package_exports_them() -> None:
    assert config.DEFAULT_WS_PING_INTERVAL is DEFAULT_WS_PING_INTERVAL
    assert {
        "DEFAULT_WS_PING_INTERVAL",
        "DEFAULT_WS_PING_TIMEOUT",
        "DEFAULT_WS_CLOSE_TIMEOUT",
        "ConnectorSpec",
        "HostSpec",
        "ContextSpec",
    } <= set(config.__all__)
    for name in config.__all__:
        assert hasattr(config, name), name
