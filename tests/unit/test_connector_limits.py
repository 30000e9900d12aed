"""The Connector attributes against slow clients and for upgraded
connections (requestHeaderTimeout, requestBodyTimeout, requestBodyMinRate,
maxUpgradedConnections), read from server.xml, and the Endpoint's
arithmetic on them (no sockets)."""

from __future__ import annotations

import pytest

from catalina_py.config.connector_spec import ConnectorSpec
from catalina_py.connector.endpoint import Endpoint
from catalina_py.errors import ConfigError
from tests.unit.test_config_server_xml import CONNECTOR, load, server


def connector(tmp_path, attrs: str) -> ConnectorSpec:
    config, warnings = load(tmp_path, server(connectors=CONNECTOR.format(attrs)))
    assert not [w for w in warnings if "Connector" in str(w)], warnings
    return config.services[0].connectors[0]


def test_defaults_follow_connection_timeout(tmp_path):
    spec = connector(tmp_path, 'connectionTimeout="20000"')
    assert spec.effective_request_header_timeout_ms == 20000
    assert spec.effective_request_body_timeout_ms == 20000
    assert spec.request_body_min_rate == 500
    assert spec.max_upgraded_connections == 10000


def test_attributes_are_read(tmp_path):
    spec = connector(
        tmp_path,
        'requestHeaderTimeout="5000" requestBodyTimeout="-1" requestBodyMinRate="0" maxUpgradedConnections="-1"',
    )
    assert spec.effective_request_header_timeout_ms == 5000
    assert spec.effective_request_body_timeout_ms == -1
    assert spec.request_body_min_rate == 0
    assert spec.max_upgraded_connections == -1


@pytest.mark.parametrize(
    "attrs",
    ['requestHeaderTimeout="5s"', 'requestBodyMinRate="-1"', 'maxUpgradedConnections="-2"', 'requestBodyTimeout="x"'],
)
def test_bad_values_are_config_errors(tmp_path, attrs):
    with pytest.raises(ConfigError) as exc:
        load(tmp_path, server(connectors=CONNECTOR.format(attrs)))
    assert attrs.split("=")[0] in str(exc.value)


class _Adapter:
    pass


def endpoint(**kwargs: object) -> Endpoint:
    return Endpoint(ConnectorSpec(port=0, **kwargs), _Adapter())  # type: ignore[arg-type]


def test_body_allowance_grows_with_the_bytes_received():
    ep = endpoint(connection_timeout_ms=20000, request_body_min_rate=500)
    assert ep.request_body_allowance(0) == 20.0
    assert ep.request_body_allowance(1000) == 22.0
    assert endpoint(request_body_min_rate=0).request_body_allowance(10) is None
    assert endpoint(request_body_timeout_ms=-1).request_body_allowance(10) is None
    assert endpoint(request_body_timeout_ms=0).request_body_allowance(10) is None


def test_header_timeout_in_seconds():
    assert endpoint(connection_timeout_ms=20000).request_header_timeout == 20.0
    assert endpoint(request_header_timeout_ms=1500).request_header_timeout == 1.5
    assert endpoint(request_header_timeout_ms=-1).request_header_timeout is None
    assert endpoint(connection_timeout_ms=-1).request_header_timeout is None


def test_upgrade_slots():
    ep = endpoint(max_upgraded_connections=2)
    assert ep.take_upgrade_slot() and ep.take_upgrade_slot()
    assert not ep.take_upgrade_slot()
    ep.release_upgrade_slot()
    assert ep.take_upgrade_slot()
    assert not endpoint(max_upgraded_connections=0).take_upgrade_slot()
    unlimited = endpoint(max_upgraded_connections=-1)
    assert all(unlimited.take_upgrade_slot() for _ in range(100))
    stopping = endpoint()
    stopping.stopping = True
    assert not stopping.take_upgrade_slot()


def test_a_file_limit_too_low_for_the_connection_limits_is_warned_about(monkeypatch, caplog):
    from catalina_py.connector import endpoint as endpoint_module

    monkeypatch.setattr(endpoint_module, "raise_file_limit", lambda: (1024, 1024))
    with caplog.at_level("WARNING", logger="catalina_py.connector"):
        endpoint(max_connections=8192, max_upgraded_connections=10000)._check_file_limit()
    assert "open-file limit (1024)" in caplog.text and "maxUpgradedConnections" in caplog.text
    caplog.clear()
    monkeypatch.setattr(endpoint_module, "raise_file_limit", lambda: (20000, 20000))
    with caplog.at_level("WARNING", logger="catalina_py.connector"):
        endpoint(max_connections=8192, max_upgraded_connections=10000)._check_file_limit()  # the shipped settings fit
    assert caplog.text == ""


def test_raise_file_limit_reports_the_limits_in_force():
    limits = endpoint_module_limits()
    assert limits is None or limits[0] <= limits[1] or limits[1] < 0


def endpoint_module_limits():
    from catalina_py.connector.endpoint import raise_file_limit

    return raise_file_limit()
