"""Tomcat's container-wide WebSocket settings: the checks of the context
parameters (web.xml errors with file:line), and how a session's timeouts
are read from its user properties."""

from __future__ import annotations

import pytest

from catalina_py.config.web_xml import parse_web_xml
from catalina_py.config.websocket_params import (
    BINARY_BUFFER_SIZE_PARAM,
    BLOCKING_SEND_TIMEOUT_PROPERTY,
    SESSION_CLOSE_TIMEOUT_PROPERTY,
    TEXT_BUFFER_SIZE_PARAM,
    WsContextParams,
    blocking_send_timeout,
    check_context_param,
    read_context_params,
    session_close_timeout,
)
from catalina_py.errors import ConfigError

WEB_XML = """<?xml version="1.0" encoding="UTF-8"?>
<web-app xmlns="https://jakarta.ee/xml/ns/jakartaee" version="6.0">
  <context-param>
    <param-name>{name}</param-name>
    <param-value>{value}</param-value>
  </context-param>
</web-app>
"""


@pytest.mark.parametrize(
    ("name", "good", "bad"),
    [
        (TEXT_BUFFER_SIZE_PARAM, ["1", " 8192 ", "+10"], ["0", "-1", "8k", "", "1.0", "١٢"]),
        (BINARY_BUFFER_SIZE_PARAM, ["65536"], ["0", "x"]),
        (SESSION_CLOSE_TIMEOUT_PROPERTY, ["0", "30000"], ["-1", "30s"]),
        (BLOCKING_SEND_TIMEOUT_PROPERTY, ["20000", "0", "-1"], ["20s", ""]),
    ],
)
def test_check_context_param(name, good, bad):
    for value in good:
        assert check_context_param(name, value) is None, value
    for value in bad:
        assert check_context_param(name, value), value
    assert check_context_param("some.other.param", "anything") is None


def test_read_context_params():
    assert read_context_params({}) == WsContextParams()
    params = read_context_params(
        {
            TEXT_BUFFER_SIZE_PARAM: "100",
            BINARY_BUFFER_SIZE_PARAM: "200",
            BLOCKING_SEND_TIMEOUT_PROPERTY: "-1",
            SESSION_CLOSE_TIMEOUT_PROPERTY: "0",
            "org.apache.tomcat.websocket.noAddAfterHandshake": "true",
        }
    )
    assert params == WsContextParams(100, 200, -1, 0, ("org.apache.tomcat.websocket.noAddAfterHandshake",))
    with pytest.raises(ValueError, match="textBufferSize is 'big' in web.xml: expected a positive whole number"):
        read_context_params({TEXT_BUFFER_SIZE_PARAM: "big"})


def test_session_close_timeout_reads_the_user_property_in_ms():
    assert session_close_timeout({}, 10.0) == 10.0
    assert session_close_timeout({SESSION_CLOSE_TIMEOUT_PROPERTY: 1500}, 10.0) == 1.5
    assert session_close_timeout({SESSION_CLOSE_TIMEOUT_PROPERTY: "250"}, 10.0) == 0.25
    # Tomcat: zero or negative means the default
    assert session_close_timeout({SESSION_CLOSE_TIMEOUT_PROPERTY: 0}, 10.0) == 10.0
    assert session_close_timeout({SESSION_CLOSE_TIMEOUT_PROPERTY: -3}, 10.0) == 10.0
    assert session_close_timeout({SESSION_CLOSE_TIMEOUT_PROPERTY: "soon"}, 10.0) == 10.0
    assert session_close_timeout({SESSION_CLOSE_TIMEOUT_PROPERTY: True}, 10.0) == 10.0


def test_blocking_send_timeout_reads_the_user_property_in_ms():
    assert blocking_send_timeout({}) == 20.0  # Tomcat's DEFAULT_BLOCKING_SEND_TIMEOUT
    assert blocking_send_timeout({BLOCKING_SEND_TIMEOUT_PROPERTY: 5000}) == 5.0
    assert blocking_send_timeout({BLOCKING_SEND_TIMEOUT_PROPERTY: -1}) is None
    assert blocking_send_timeout({BLOCKING_SEND_TIMEOUT_PROPERTY: "100"}) == 0.1
    assert blocking_send_timeout({}, 60.0) == 60.0  # the connector's connectionTimeout
    assert blocking_send_timeout({BLOCKING_SEND_TIMEOUT_PROPERTY: 300}, 60.0) == 0.3


def test_web_xml_reports_a_bad_value_at_its_line(tmp_path):
    path = tmp_path / "web.xml"
    path.write_text(WEB_XML.format(name=SESSION_CLOSE_TIMEOUT_PROPERTY, value="30s"))
    with pytest.raises(ConfigError) as error:
        parse_web_xml(str(path))
    text = str(error.value)
    assert text.startswith(f"{path}:3: context-param '{SESSION_CLOSE_TIMEOUT_PROPERTY}' has the value '30s'")
    assert "expected: a whole number of milliseconds >= 0" in text


def test_web_xml_warns_about_a_param_tomcat_10_1_ignores(tmp_path):
    path = tmp_path / "web.xml"
    path.write_text(WEB_XML.format(name="org.apache.tomcat.websocket.noAddAfterHandshake", value="true"))
    web = parse_web_xml(str(path))
    assert any("noAddAfterHandshake' is not used (Tomcat 10.1 ignores it too)" in str(w) for w in web.warnings)
    assert web.context_params["org.apache.tomcat.websocket.noAddAfterHandshake"] == "true"
