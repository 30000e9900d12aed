"""The Host attributes of reload and parallel deployment in server.xml:
``reloadWebSocketGrace`` and ``undeployOldVersions``."""

from __future__ import annotations

import pytest

from catalina_py.config.server_xml import load_server_xml
from catalina_py.errors import ConfigError

SERVER = """<?xml version="1.0"?>
<Server port="-1">
  <Service name="Catalina">
    <Connector port="8080"/>
    <Engine name="Catalina" defaultHost="localhost">
      <Host name="localhost" {attrs}/>
    </Engine>
  </Service>
</Server>
"""


def host_of(tmp_path, attrs: str):
    path = tmp_path / "server.xml"
    path.write_text(SERVER.format(attrs=attrs))
    spec, warnings = load_server_xml(str(path), {})
    return spec.services[0].engine.hosts[0], warnings


def test_defaults(tmp_path):
    host, warnings = host_of(tmp_path, "")
    assert (host.reload_websocket_grace, host.undeploy_old_versions) == (30, False)
    assert warnings == []


def test_set_without_warnings(tmp_path):
    host, warnings = host_of(tmp_path, 'reloadWebSocketGrace="5" undeployOldVersions="true"')
    assert (host.reload_websocket_grace, host.undeploy_old_versions) == (5, True)
    assert warnings == []


@pytest.mark.parametrize(
    "attrs, fragment",
    [
        ('reloadWebSocketGrace="-1"', "reloadWebSocketGrace"),
        ('reloadWebSocketGrace="soon"', "reloadWebSocketGrace"),
        ('undeployOldVersions="maybe"', "undeployOldVersions"),
    ],
)
def test_bad_values_are_errors_with_file_and_line(tmp_path, attrs, fragment):
    with pytest.raises(ConfigError) as info:
        host_of(tmp_path, attrs)
    assert info.value.line == 6
    assert fragment in str(info.value)
