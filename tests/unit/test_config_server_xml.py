"""Tests of catalina_py.config.server_xml: reading, defaults, warnings and
every validation error of conf/server.xml."""

from __future__ import annotations

import dataclasses
import os
import textwrap
import uuid

import pytest

from catalina_py.config import connector_spec, load_configuration, server_xml, valve_spec
from catalina_py.config.connector_spec import ConnectorSpec
from catalina_py.config.server_xml import (
    ServerSpec,
    load_server_xml,
    resolve_app_base,
    resolve_doc_base,
)
from catalina_py.config.valve_spec import resolve_class
from catalina_py.errors import ConfigError, ConfigWarning

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ACCESS_LOG = "org.apache.catalina.valves.AccessLogValve"


# --------------------------------------------------------------------------
# Helpers and fixtures
# --------------------------------------------------------------------------


@pytest.fixture
def valve_module(tmp_path, monkeypatch) -> str:
    """A throw-away module with a valve class, importable by name; the
    Tomcat valve names are mapped to it (the real valves are written
    elsewhere)."""
    name = f"cfgtest_valves_{uuid.uuid4().hex}"
    directory = tmp_path / "modules"
    directory.mkdir()
    (directory / f"{name}.py").write_text(
        textwrap.dedent("""
        class DummyValve:
            pass

        def not_a_class():
            pass

        NUMBER = 42
    """)
    )
    monkeypatch.syspath_prepend(str(directory))
    for tomcat_name in list(valve_spec.TOMCAT_VALVES):
        monkeypatch.setitem(valve_spec.TOMCAT_VALVES, tomcat_name, f"{name}.DummyValve")
    return name


def write(tmp_path, text: str) -> str:
    """Write a server.xml and return its path."""
    path = tmp_path / "server.xml"
    path.write_text(textwrap.dedent(text).lstrip())
    return str(path)


def line_of(path: str, needle: str, occurrence: int = 1) -> int:
    """1-based line of the ``occurrence``-th line containing ``needle``."""
    seen = 0
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if needle in line:
                seen += 1
                if seen == occurrence:
                    return number
    raise AssertionError(f"{needle!r} not in {path}")


def server(
    body: str = "",
    *,
    connectors: str | None = None,
    host_body: str = "",
    server_attrs: str = 'port="-1"',
    hosts: str | None = None,
    engine_attrs: str = 'name="Catalina" defaultHost="localhost"',
) -> str:
    """A small valid server.xml around the given pieces."""
    if connectors is None:
        connectors = '<Connector port="8080"/>'
    if hosts is None:
        hosts = f'<Host name="localhost">{host_body}</Host>'
    return f"""\
<?xml version="1.0"?>
<Server {server_attrs}>
  {body}
  <Service name="Catalina">
    {connectors}
    <Engine {engine_attrs}>
      {hosts}
    </Engine>
  </Service>
</Server>
"""


def load(tmp_path, text: str, props: dict[str, str] | None = None) -> tuple[ServerSpec, list[ConfigWarning]]:
    """Write and load a server.xml."""
    return load_server_xml(write(tmp_path, text), props or {})


def assert_error_at(
    tmp_path, text: str, needle: str, fragment: str, props: dict[str, str] | None = None, occurrence: int = 1
) -> ConfigError:
    """Loading ``text`` fails with ``fragment`` at the line of ``needle``."""
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_server_xml(path, props or {})
    error = info.value
    expected_line = line_of(path, needle, occurrence)
    assert error.file == path
    assert error.line == expected_line, str(error)
    assert str(error).startswith(f"{path}:{expected_line}: "), str(error)
    assert fragment in str(error)
    assert error.hint, "every error says what is expected"
    assert "\n  expected: " in str(error)
    return error


# --------------------------------------------------------------------------
# Shipped configuration
# --------------------------------------------------------------------------


def test_shipped_server_xml_loads_without_warnings_dummy_valves(valve_module) -> None:
    config, warnings = load_configuration(ROOT)
    assert warnings == []
    service = config.services[0]
    assert (config.port, config.shutdown) == (8005, "SHUTDOWN")
    assert service.name == "Catalina"
    connector = service.connectors[0]
    assert (connector.port, connector.protocol) == (8080, "HTTP/1.1")
    assert connector.connection_timeout_ms == 20000
    assert connector.redirect_port == 8443
    host = service.engine.hosts[0]
    assert (host.name, host.app_base, host.unpack_wars, host.auto_deploy) == ("localhost", "webapps", True, True)
    valve = host.valves[0]
    assert valve.class_name == ACCESS_LOG
    assert dict(valve.attributes) == {
        "directory": "logs",
        "prefix": "localhost_access_log",
        "suffix": ".txt",
        "pattern": '%h %l %u %t "%r" %s %b',
    }


def test_shipped_server_xml_loads_with_real_valves() -> None:
    config, warnings = load_configuration(ROOT)
    assert warnings == []
    valve = config.services[0].engine.hosts[0].valves[0]
    assert valve.python_class == valve_spec.TOMCAT_VALVES[ACCESS_LOG]


# --------------------------------------------------------------------------
# Defaults and values
# --------------------------------------------------------------------------


def test_tomcat_defaults(tmp_path) -> None:
    config, warnings = load(
        tmp_path,
        """\
        <Server>
          <Service name="S">
            <Connector port="8080"/>
            <Engine name="E" defaultHost="localhost">
              <Host name="localhost"/>
            </Engine>
          </Service>
        </Server>
    """,
    )
    assert warnings == []
    assert (config.port, config.shutdown, config.address) == (8005, "SHUTDOWN", "localhost")
    assert config.listeners == ()
    connector = config.services[0].connectors[0]
    assert connector == ConnectorSpec(port=8080, location=connector.location)
    assert connector.address is None
    assert connector.connection_timeout_ms == 60000
    assert connector.keep_alive_timeout_ms is None
    assert connector.effective_keep_alive_timeout_ms == 60000
    assert connector.max_keep_alive_requests == 100
    assert connector.max_http_header_size == 8192
    assert connector.max_post_size == 2097152
    assert connector.max_connections == 8192
    assert connector.max_threads == 200
    assert connector.uri_encoding == "UTF-8"
    assert connector.redirect_port == 443
    assert connector.max_swallow_size == 2097152
    assert dict(connector.extra) == {}
    host = config.services[0].engine.hosts[0]
    assert (host.app_base, host.auto_deploy, host.deploy_on_startup, host.unpack_wars, host.aliases, host.contexts) == (
        "webapps",
        True,
        True,
        True,
        (),
        (),
    )


def test_all_connector_attributes(tmp_path) -> None:
    config, warnings = load(
        tmp_path,
        server(
            connectors="""
        <Connector port="9000" address="127.0.0.1"
                   protocol="org.apache.coyote.http11.Http11NioProtocol"
                   connectionTimeout="-1" keepAliveTimeout="5000"
                   maxKeepAliveRequests="-1" maxHttpHeaderSize="16384"
                   maxPostSize="-1" maxConnections="-1" maxThreads="10"
                   URIEncoding="ISO-8859-1" redirectPort="9443"
                   maxSwallowSize="-1"/>"""
        ),
    )
    assert warnings == []
    c = config.services[0].connectors[0]
    assert (c.port, c.address, c.protocol) == (9000, "127.0.0.1", "HTTP/1.1")
    assert (c.connection_timeout_ms, c.keep_alive_timeout_ms, c.effective_keep_alive_timeout_ms) == (-1, 5000, 5000)
    assert (c.max_keep_alive_requests, c.max_http_header_size, c.max_post_size, c.max_connections, c.max_threads) == (
        -1,
        16384,
        -1,
        -1,
        10,
    )
    assert (c.uri_encoding, c.redirect_port, c.max_swallow_size) == ("ISO-8859-1", 9443, -1)


@pytest.mark.parametrize(
    "protocol",
    [
        "HTTP/1.1",
        "org.apache.coyote.http11.Http11NioProtocol",
        "org.apache.coyote.http11.Http11Nio2Protocol",
    ],
)
def test_http11_protocol_aliases(tmp_path, protocol: str) -> None:
    config, _ = load(tmp_path, server(connectors=f'<Connector port="8080" protocol="{protocol}"/>'))
    assert config.services[0].connectors[0].protocol == "HTTP/1.1"


def test_config_objects_are_frozen(tmp_path) -> None:
    config, _ = load(tmp_path, server())
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.port = 1  # type: ignore[misc]
    with pytest.raises(TypeError):
        config.services[0].connectors[0].extra["x"] = "y"  # type: ignore


def test_host_names_aliases_and_contexts(tmp_path, valve_module) -> None:
    config, warnings = load(
        tmp_path,
        server(
            hosts=f"""
        <Host name="LocalHost" appBase="/srv/apps" autoDeploy="FALSE"
              deployOnStartup="false" unpackWARs="False">
          <Alias>WWW.Example.com</Alias>
          <Alias> ${{alias.name}} </Alias>
          <Context path="" />
          <Context path="/a/b" reloadable="TRUE" crossContext="true">
            <Valve className="{valve_module}.DummyValve" x="1"/>
          </Context>
          <Context path="/c" docBase="/abs/dir"/>
        </Host>""",
            engine_attrs='name="E" defaultHost="LOCALHOST"',
        ),
        {"alias.name": "Other"},
    )
    engine = config.services[0].engine
    host = engine.hosts[0]
    assert engine.default_host == "localhost"
    assert host.name == "localhost"
    assert host.aliases == ("www.example.com", "other")
    assert (host.app_base, host.auto_deploy, host.deploy_on_startup, host.unpack_wars) == (
        "/srv/apps",
        False,
        False,
        False,
    )
    root, ab, c = host.contexts
    assert (root.path, root.doc_base, root.reloadable) == ("", "ROOT", False)
    assert (ab.path, ab.doc_base, ab.reloadable) == ("/a/b", "a#b", True)
    assert dict(ab.attributes) == {"crossContext": "true"}
    assert ab.valves[0].python_class == f"{valve_module}.DummyValve"
    assert dict(ab.valves[0].attributes) == {"x": "1"}
    assert c.doc_base == "/abs/dir"
    # crossContext is honoured (ServletContext.get_context), so no warning.
    assert not [str(w) for w in warnings if "crossContext" in w.message]


def test_valves_at_every_level(tmp_path, valve_module) -> None:
    config, warnings = load(
        tmp_path,
        server(host_body=f'<Valve className="{ACCESS_LOG}" directory="logs"/>', hosts=None).replace(
            '<Engine name="Catalina" defaultHost="localhost">',
            '<Engine name="Catalina" defaultHost="localhost">' f'<Valve className="{valve_module}.DummyValve"/>',
        ),
    )
    assert warnings == []
    engine = config.services[0].engine
    assert engine.valves[0].class_name == f"{valve_module}.DummyValve"
    host_valve = engine.hosts[0].valves[0]
    assert host_valve.class_name == ACCESS_LOG
    assert host_valve.python_class == f"{valve_module}.DummyValve"


def test_resolve_paths(tmp_path) -> None:
    config, _ = load(
        tmp_path,
        server(
            host_body="""
        <Context path="/rel" docBase="reldir"/>
        <Context path="/abs" docBase="/x/y"/>"""
        ),
    )
    host = config.services[0].engine.hosts[0]
    base = str(tmp_path)
    assert resolve_app_base(host, base) == os.path.join(base, "webapps")
    rel, absolute = host.contexts
    assert resolve_doc_base(rel, host, base) == os.path.join(base, "webapps", "reldir")
    assert resolve_doc_base(absolute, host, base) == "/x/y"
    absolute_host = dataclasses.replace(host, app_base="/srv/apps")
    assert resolve_app_base(absolute_host, base) == "/srv/apps"


def test_multiple_services_and_listeners(tmp_path) -> None:
    text = server(body='<Listener className="org.example.L" a="1"/>').replace(
        "</Server>",
        """
  <Service name="Second">
    <Connector port="9090"/>
    <Engine name="E2" defaultHost="h2"><Host name="h2"/></Engine>
  </Service>
</Server>""",
    )
    config, warnings = load(tmp_path, text)
    assert [s.name for s in config.services] == ["Catalina", "Second"]
    assert config.listeners[0].class_name == "org.example.L"
    assert dict(config.listeners[0].attributes) == {"a": "1"}
    assert any("org.example.L is not supported" in w.message for w in warnings)


# --------------------------------------------------------------------------
# ${name} substitution
# --------------------------------------------------------------------------


def test_property_substitution_in_attributes(tmp_path) -> None:
    config, warnings = load(
        tmp_path,
        server(
            connectors='<Connector port="${http.port}" '
            'address="${http.address:-0.0.0.0}" '
            'connectionTimeout="${timeout}"/>',
            hosts='<Host name="localhost" appBase="${catalina.base}/apps"/>',
        ),
        {"http.port": "9999", "timeout": "1234", "catalina.base": "/b"},
    )
    assert warnings == []
    connector = config.services[0].connectors[0]
    assert (connector.port, connector.address, connector.connection_timeout_ms) == (9999, "0.0.0.0", 1234)
    assert config.services[0].engine.hosts[0].app_base == "/b/apps"


def test_load_configuration_uses_properties_and_defines(tmp_path, valve_module) -> None:
    base = tmp_path / "base"
    (base / "conf").mkdir(parents=True)
    (base / "conf" / "catalina.properties").write_text("http.port=7001\nshutdown.port=7005\n")
    (base / "conf" / "server.xml").write_text(
        server(
            server_attrs='port="${shutdown.port}"',
            connectors='<Connector port="${http.port}"/>',
            hosts='<Host name="localhost" appBase="${catalina.base}/w"/>',
        )
    )
    config, warnings = load_configuration(str(base))
    assert warnings == []
    assert config.port == 7005
    assert config.services[0].connectors[0].port == 7001
    assert config.services[0].engine.hosts[0].app_base == f"{base}/w"
    config, _ = load_configuration(str(base), defines={"http.port": "7002"})
    assert config.services[0].connectors[0].port == 7002


def test_undefined_property_is_a_warning_with_line(tmp_path) -> None:
    path = write(tmp_path, server(hosts='<Host name="localhost" appBase="${no.such}"/>'))
    config, warnings = load_server_xml(path, {})
    assert config.services[0].engine.hosts[0].app_base == "${no.such}"
    [warning] = warnings
    assert (warning.file, warning.line) == (path, line_of(path, "<Host name"))
    assert "property ${no.such} used in attribute appBase of <Host> is not " "defined" in str(warning)
    assert str(warning).startswith(f"{path}:{warning.line}: ")


def test_undefined_property_in_a_port_is_an_error(tmp_path) -> None:
    error = assert_error_at(
        tmp_path,
        server(connectors='<Connector port="${http.port}"/>'),
        "<Connector",
        "must be an integer, got '${http.port}'",
    )
    assert "(property ${http.port} is not defined)" in str(error)


# --------------------------------------------------------------------------
# Warnings
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "needle", "fragment"),
    [
        (
            server(body="<GlobalNamingResources><Environment name='x'/>" "</GlobalNamingResources>"),
            "<GlobalNamingResources>",
            "<Environment> in <GlobalNamingResources> is not supported by " "catalina_py, ignored",
        ),
        (
            server(
                body="<GlobalNamingResources><Resource name='x' type='javax.sql.DataSource'/>"
                "</GlobalNamingResources>"
            ),
            "<GlobalNamingResources>",
            '<Resource name="x" type="javax.sql.DataSource"> in <GlobalNamingResources> is not supported',
        ),
        (
            server(body='<Listener className="org.apache.catalina.startup.' 'VersionLoggerListener"/>'),
            "<Listener",
            "<Listener> org.apache.catalina.startup.VersionLoggerListener is " "not supported by catalina_py, ignored",
        ),
        (
            server(hosts='<Realm className="my.Realm" /><Listener className="x"/><Host name="localhost"/>'),
            "<Listener",
            "<Listener> in <Engine> is not supported by catalina_py",
        ),
        (
            server(connectors='<Executor name="pool"/><Connector port="1"/>'),
            "<Executor",
            "<Executor> in <Service> is not supported",
        ),
        (
            server(host_body="<Hots/>"),
            "<Hots/>",
            "unknown element <Hots> in <Host>, ignored (expected: Alias, " "Context, Realm, Valve)",
        ),
        (
            server(connectors='<Connector port="8080" compression="on"/>'),
            "<Connector",
            "attribute compression of <Connector> is not supported by " "catalina_py, ignored",
        ),
        (
            server(connectors='<Connector port="8080" conectionTimeout="5"/>'),
            "<Connector",
            "unknown attribute conectionTimeout on <Connector>, ignored (did " "you mean connectionTimeout?)",
        ),
        (
            server(hosts='<Host name="localhost" appbase="x"/>'),
            "<Host name",
            "unknown attribute appbase on <Host>, ignored (did you mean " "appBase?)",
        ),
        (server(connectors=""), '<Service name="Catalina">', "has no <Connector>: it will not accept any request"),
        ('<Server port="-1"/>\n', "<Server", "no <Service> in <Server>"),
    ],
)
def test_warnings(tmp_path, text: str, needle: str, fragment: str) -> None:
    path = write(tmp_path, text)
    _, warnings = load_server_xml(path, {})
    assert len(warnings) == 1, warnings
    [warning] = warnings
    assert fragment in warning.message
    assert warning.file == path
    assert warning.line == line_of(path, needle)
    assert str(warning) == f"{path}:{warning.line}: {warning.message}"


def test_unsupported_connector_attribute_is_kept_in_extra(tmp_path) -> None:
    config, _ = load(
        tmp_path, server(connectors='<Connector port="8080" compression="on" ' 'SSLEnabled="false" typo="1"/>')
    )
    assert dict(config.services[0].connectors[0].extra) == {"compression": "on"}
    assert config.services[0].connectors[0].ssl_enabled is False


def test_passthrough_attribute_is_silent(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(connector_spec, "CONNECTOR_PASSTHROUGH_ATTRIBUTES", frozenset({"server"}))
    config, warnings = load(tmp_path, server(connectors='<Connector port="8080" server="Me"/>'))
    assert warnings == []
    assert dict(config.services[0].connectors[0].extra) == {"server": "Me"}


def test_comments_are_ignored(tmp_path) -> None:
    _, warnings = load(tmp_path, server(body="<!-- <Foo/> --><?pi data?>", host_body="<!-- x -->"))
    assert warnings == []


# --------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------

CONNECTOR = '<Connector port="8080" {}/>'


@pytest.mark.parametrize(
    ("text", "needle", "fragment"),
    [
        # XML and structure
        ('<?xml version="1.0"?>\n<Server>\n  <Service>\n</Server>\n', "</Server>", "not well-formed XML"),
        (
            '<?xml version="1.0"?>\n<Serverr port="1"/>\n',
            "<Serverr",
            "the root element must be <Server>, found <Serverr>",
        ),
        (
            '<Server port="-1">\n  <Service name="S">\n' '    <Connector port="1"/>\n  </Service>\n</Server>\n',
            '<Service name="S">',
            '<Service name="S"> has no <Engine>',
        ),
        (
            server().replace(
                "</Service>", '<Engine name="X" defaultHost="h">' '<Host name="h"/></Engine>\n  </Service>'
            ),
            '<Engine name="X"',
            "has more than one <Engine>",
        ),
        (
            server(engine_attrs='name="E" defaultHost="nohost"'),
            "<Engine",
            "defaultHost 'nohost' of <Engine> names no <Host> (hosts: " "localhost)",
        ),
        (server(engine_attrs='name="E"'), "<Engine", "<Engine> is missing the required attribute defaultHost"),
        (
            server().replace('<Service name="Catalina">', "<Service>"),
            "<Service>",
            "<Service> is missing the required attribute name",
        ),
        (
            server(hosts='<Host name="localhost"/>\n      ' '<Host name="LOCALHOST"/>'),
            '<Host name="LOCALHOST"',
            "duplicate host name 'localhost'",
        ),
        (
            server(hosts='<Host name="localhost"/>\n      ' '<Host name="b"><Alias>localhost</Alias></Host>'),
            '<Host name="b"',
            "duplicate host name 'localhost'",
        ),
        (server(hosts='<Host appBase="x"/>'), "<Host", "<Host> is missing the required attribute name"),
        (server(host_body="<Alias> </Alias>"), "<Alias>", "<Alias> is empty"),
        (
            server().replace(
                "</Server>",
                """
  <Service  name="Catalina">
    <Engine name="E" defaultHost="h"><Host name="h"/></Engine>
  </Service>
</Server>""",
            ),
            "<Service  name",
            "duplicate <Service> name 'Catalina'",
        ),
        # Server
        (
            server(server_attrs='port="shutdown"'),
            "<Server",
            "attribute port of <Server> must be an integer, got 'shutdown'",
        ),
        (server(server_attrs='port="70000"'), "<Server", "attribute port of <Server> is out of range: 70000"),
        (server(server_attrs='port="-2"'), "<Server", "attribute port of <Server> is out of range: -2"),
        (server(server_attrs='port="-1" shutdown=""'), "<Server", "attribute shutdown of <Server> is empty"),
        # Connector
        (
            server(connectors='<Connector port="80a"/>'),
            "<Connector",
            "attribute port of <Connector> must be an integer, got '80a'",
        ),
        (server(connectors='<Connector port="1_000"/>'), "<Connector", "must be an integer, got '1_000'"),
        (
            server(connectors='<Connector port="65536"/>'),
            "<Connector",
            "attribute port of <Connector> is out of range: 65536",
        ),
        (
            server(connectors='<Connector port="-1"/>'),
            "<Connector",
            "attribute port of <Connector> is out of range: -1",
        ),
        (
            server(connectors='<Connector protocol="HTTP/1.1"/>'),
            "<Connector",
            "<Connector> is missing the required attribute port",
        ),
        (server(connectors=CONNECTOR.format('address=""')), "<Connector", "attribute address of <Connector> is empty"),
        (
            server(connectors=CONNECTOR.format('connectionTimeout="20s"')),
            "<Connector",
            "attribute connectionTimeout of <Connector> must be " "an integer, got '20s'",
        ),
        (
            server(connectors=CONNECTOR.format('connectionTimeout="-5"')),
            "<Connector",
            "connectionTimeout of <Connector> is out of range",
        ),
        (
            server(connectors=CONNECTOR.format('keepAliveTimeout="1.5"')),
            "<Connector",
            "keepAliveTimeout of <Connector> must be an integer",
        ),
        (
            server(connectors=CONNECTOR.format('maxKeepAliveRequests="x"')),
            "<Connector",
            "maxKeepAliveRequests of <Connector> must be an " "integer",
        ),
        (
            server(connectors=CONNECTOR.format('maxHttpHeaderSize="0"')),
            "<Connector",
            "maxHttpHeaderSize of <Connector> is out of range",
        ),
        (
            server(connectors=CONNECTOR.format('maxPostSize="2MB"')),
            "<Connector",
            "maxPostSize of <Connector> must be an integer",
        ),
        (
            server(connectors=CONNECTOR.format('maxConnections="0"')),
            "<Connector",
            "maxConnections of <Connector> is out of range",
        ),
        (
            server(connectors=CONNECTOR.format('maxThreads="0"')),
            "<Connector",
            "maxThreads of <Connector> is out of range",
        ),
        (
            server(connectors=CONNECTOR.format('redirectPort="99999"')),
            "<Connector",
            "redirectPort of <Connector> is out of range",
        ),
        (
            server(connectors=CONNECTOR.format('maxSwallowSize="big"')),
            "<Connector",
            "maxSwallowSize of <Connector> must be an integer",
        ),
        (
            server(connectors=CONNECTOR.format('URIEncoding="klingon-8"')),
            "<Connector",
            "unknown URIEncoding 'klingon-8'",
        ),
        (
            server(connectors=CONNECTOR.format('protocol="AJP/1.3"')),
            "<Connector",
            "the AJP protocol is not supported by catalina_py",
        ),
        (
            server(connectors=CONNECTOR.format('protocol="org.apache.coyote.ajp.AjpNioProtocol"')),
            "<Connector",
            "the AJP protocol is not supported",
        ),
        (
            server(connectors=CONNECTOR.format('protocol="HTTP/2"')),
            "<Connector",
            "unsupported Connector protocol 'HTTP/2'",
        ),
        # Booleans
        (
            server(hosts='<Host name="localhost" autoDeploy="yes"/>'),
            "<Host name",
            "attribute autoDeploy of <Host> must be true or " "false, got 'yes'",
        ),
        (
            server(hosts='<Host name="localhost" unpackWARs="1"/>'),
            "<Host name",
            "attribute unpackWARs of <Host> must be true or " "false",
        ),
        (
            server(host_body='<Context path="/a" reloadable="on"/>'),
            "<Context",
            "attribute reloadable of <Context> must be true or " "false, got 'on'",
        ),
        # Contexts
        (
            server(host_body='<Context path="/a"/>\n<Context path="/a" ' 'docBase="b"/>'),
            'docBase="b"',
            "duplicate <Context> path '/a'",
        ),
        (server(host_body='<Context path="a"/>'), "<Context", "invalid <Context> path 'a'"),
        (server(host_body='<Context path="/a/"/>'), "<Context", "invalid <Context> path '/a/'"),
        (server(host_body='<Context path="/"/>'), "<Context", "invalid <Context> path '/'"),
        (server(host_body='<Context docBase="x"/>'), "<Context", "<Context> is missing the required attribute path"),
        (server(host_body='<Context path="/a" docBase=""/>'), "<Context", "attribute docBase of <Context> is empty"),
        # Valves
        (
            server(host_body='<Valve className="org.apache.catalina.valves.' 'StuckThreadDetectionValve"/>'),
            "<Valve",
            "unknown valve class 'org.apache.catalina.valves."
            "StuckThreadDetectionValve', known: org.apache.catalina.authenticator.BasicAuthenticator",
        ),
        (
            server(host_body='<Valve className="AccessLogValve"/>'),
            "<Valve",
            "unknown valve class 'AccessLogValve', known:",
        ),
        (
            server(host_body='<Valve directory="logs"/>'),
            "<Valve",
            "<Valve> is missing the required attribute className",
        ),
        (
            server(host_body='<Valve className="no_such_module_xyz.Valve"/>'),
            "<Valve",
            "cannot load valve class 'no_such_module_xyz.Valve': " "No module named 'no_such_module_xyz'",
        ),
    ],
)
def test_errors(tmp_path, text: str, needle: str, fragment: str) -> None:
    assert_error_at(tmp_path, text, needle, fragment)


@pytest.mark.parametrize(
    ("attribute", "fragment"),
    [
        ("Missing", "has no attribute 'Missing'"),
        ("not_a_class", "is not a class (it is a function)"),
        ("NUMBER", "is not a class (it is a int)"),
    ],
)
def test_valve_class_must_be_an_importable_class(tmp_path, valve_module, attribute: str, fragment: str) -> None:
    assert_error_at(tmp_path, server(host_body=f'<Valve className="{valve_module}.{attribute}"/>'), "<Valve", fragment)


def test_tomcat_valve_whose_module_is_missing(tmp_path, monkeypatch) -> None:
    monkeypatch.setitem(valve_spec.TOMCAT_VALVES, ACCESS_LOG, "no_such_module_xyz.AccessLogValve")
    assert_error_at(
        tmp_path,
        server(host_body=f'<Valve className="{ACCESS_LOG}"/>'),
        "<Valve",
        f"cannot load valve class '{ACCESS_LOG}' (implemented by " "no_such_module_xyz.AccessLogValve)",
    )


def test_valve_hint_suggests_tomcat_name(tmp_path) -> None:
    error = assert_error_at(
        tmp_path, server(host_body='<Valve className="AccessLogValve"/>'), "<Valve", "unknown valve class"
    )
    assert error.hint == f'className="{ACCESS_LOG}"'


def test_broken_valve_module_is_reported(tmp_path, monkeypatch) -> None:
    name = f"cfgtest_broken_{uuid.uuid4().hex}"
    (tmp_path / f"{name}.py").write_text("raise RuntimeError('boom')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert_error_at(tmp_path, server(host_body=f'<Valve className="{name}.V"/>'), "<Valve", "RuntimeError: boom")


def test_resolve_class(valve_module) -> None:
    assert resolve_class(f"{valve_module}.DummyValve").__name__ == "DummyValve"
    assert resolve_class("collections.OrderedDict").__name__ == "OrderedDict"
    with pytest.raises(ImportError):
        resolve_class("NoDots")
    with pytest.raises(ImportError):
        resolve_class("no_such_module_xyz.Class")
    with pytest.raises(TypeError):
        resolve_class(f"{valve_module}.not_a_class")


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ('<Connector port="8080"/>', '<Connector port="8080"/>'),
        ('<Connector port="8080" address="127.0.0.1"/>', '<Connector port="8080" address="127.0.0.1"/>'),
        ('<Connector port="8080"/>', '<Connector port="8080" address="127.0.0.1"/>'),
        ('<Connector port="8080" address="127.0.0.1"/>', '<Connector port="8080"/>'),
        ('<Connector port="8080" address="127.0.0.1"/>', '<Connector port="8080" address="0.0.0.0"/>'),
        ('<Connector port="8080" address="::"/>', '<Connector port="8080" address="::1"/>'),
        ('<Connector port="8080" address="::1"/>', '<Connector port="8080" address="0:0:0:0:0:0:0:1"/>'),
    ],
)
def test_connector_conflicts_in_one_service(tmp_path, first: str, second: str) -> None:
    text = server(connectors=f"{first}\n    {second}")
    error = assert_error_at(tmp_path, text, "<Connector", "conflicts with", occurrence=2)
    assert "port 8080" in error.message


def test_connector_conflict_across_services(tmp_path) -> None:
    text = server().replace(
        "</Server>",
        """
  <Service name="Other">
    <Connector port="8080" address="10.0.0.1"/>
    <Engine name="E" defaultHost="h"><Host name="h"/></Engine>
  </Service>
</Server>""",
    )
    path = write(tmp_path, text)
    error = assert_error_at(tmp_path, text, "<Connector", "conflicts with " "<Connector> at", occurrence=2)
    assert f"{path}:{line_of(path, '<Connector')}" in error.message


def test_connector_conflicts_with_shutdown_port(tmp_path) -> None:
    assert_error_at(
        tmp_path, server(server_attrs='port="8080"'), "<Connector", "conflicts with the shutdown port of " "<Server>"
    )


@pytest.mark.parametrize(
    "connectors",
    [
        '<Connector port="8080"/><Connector port="8081"/>',
        '<Connector port="8080" address="127.0.0.1"/>' '<Connector port="8080" address="127.0.0.2"/>',
        '<Connector port="0"/><Connector port="0"/>',
    ],
)
def test_connectors_that_do_not_conflict(tmp_path, connectors: str) -> None:
    config, _ = load(tmp_path, server(connectors=connectors))
    assert len(config.services[0].connectors) == 2


def test_server_port_minus_one_and_zero_are_allowed(tmp_path) -> None:
    assert load(tmp_path, server(server_attrs='port="-1"'))[0].port == -1
    assert load(tmp_path, server(server_attrs='port="0"'))[0].port == 0


def test_error_line_is_where_a_multiline_tag_starts(tmp_path) -> None:
    text = server(
        connectors="""<Connector
        port="8080"
        connectionTimeout="oops"
    />"""
    )
    assert_error_at(tmp_path, text, "<Connector", "connectionTimeout of <Connector> must be an integer")


def test_missing_file(tmp_path) -> None:
    path = str(tmp_path / "absent.xml")
    with pytest.raises(ConfigError) as info:
        load_server_xml(path, {})
    assert info.value.file == path
    assert "cannot read file" in str(info.value)


def test_connector_proxy_attributes(tmp_path) -> None:
    xml = tmp_path / "server.xml"
    xml.write_text("""<Server port="-1"><Service name="S">
      <Connector port="8080" scheme="HTTPS" secure="true" proxyName="www.example.com" proxyPort="443"/>
      <Connector port="8081"/>
      <Engine name="E" defaultHost="h"><Host name="h"/></Engine></Service></Server>""")
    config, warnings = server_xml.load_server_xml(str(xml), {})
    proxied, plain = config.services[0].connectors
    assert (proxied.scheme, proxied.secure, proxied.proxy_name, proxied.proxy_port) == (
        "https",
        True,
        "www.example.com",
        443,
    )
    assert (plain.scheme, plain.secure, plain.proxy_name, plain.proxy_port) == ("http", False, None, 0)
    assert not [w for w in warnings if "scheme" in w.message or "proxy" in w.message]


def test_connector_scheme_must_be_http_or_https(tmp_path) -> None:
    xml = tmp_path / "server.xml"
    xml.write_text(
        '<Server port="-1"><Service name="S">\n<Connector port="8080" scheme="ftp"/>\n'
        '<Engine name="E" defaultHost="h"><Host name="h"/></Engine></Service></Server>'
    )
    with pytest.raises(ConfigError) as info:
        server_xml.load_server_xml(str(xml), {})
    assert "server.xml:2" in str(info.value) and "scheme" in str(info.value)
