"""Reading ``<Context>`` files and the precedence rules of context.xml
(config/context_spec.py, deploy/context_xml.py, the session cookie rules of
session/manager.py), on files in a temporary folder, without a server."""

from __future__ import annotations

import pytest

from catalina_py.config.context_spec import (
    load_context_defaults,
    load_context_descriptor,
    merge_context_defaults,
)
from catalina_py.config.web_xml_specs import CookieConfig
from catalina_py.deploy.context_xml import ContextXml, merge_parameters
from catalina_py.errors import ConfigError
from catalina_py.session.manager import context_cookie_rules, manager_pathname


def load(tmp_path, text: str, path: str = "/shop"):
    file = tmp_path / "context.xml"
    file.write_text(text)
    spec, warnings = load_context_descriptor(str(file), path, {"catalina.base": "/base"})
    return spec, [str(w) for w in warnings]


def test_parameters_environment_manager_watched(tmp_path):
    spec, warnings = load(
        tmp_path,
        "<Context reloadable='true' sessionCookieName='S' cookies='false' copyXML='true'>\n"
        "  <Parameter name='a' value='1'/>\n"
        "  <Parameter name='b' value='' override='false'/>\n"
        "  <Environment name='n' value=' 42 ' type='java.lang.Integer'/>\n"
        "  <Environment name='f' value='1.5' type='java.lang.Double' override='false'/>\n"
        "  <Environment name='t' value='TRUE' type='java.lang.Boolean'/>\n"
        "  <Manager maxActiveSessions='5' pathname='sessions.json'/>\n"
        "  <WatchedResource>${catalina.base}/conf/extra.xml</WatchedResource>\n"
        "</Context>\n",
    )
    assert warnings == []
    assert [(p.name, p.value, p.override) for p in spec.parameters] == [("a", "1", True), ("b", "", False)]
    assert [(e.name, e.value, e.override) for e in spec.environments] == [
        ("n", 42, True),
        ("f", 1.5, False),
        ("t", True, True),
    ]
    assert spec.manager is not None and spec.manager.max_active_sessions == 5
    assert spec.manager.pathname == "sessions.json"
    assert spec.watched_resources == ("/base/conf/extra.xml",)
    assert spec.reloadable and spec.session_cookie_name == "S" and not spec.cookies and spec.copy_xml
    assert spec.use_http_only is None and not spec.cross_context
    assert spec.parameters[0].location.line == 2


@pytest.mark.parametrize(
    ("child", "message"),
    [
        ("<Parameter value='x'/>", ":2: <Parameter> is missing the required attribute name"),
        ("<Parameter name='x'/>", ":2: <Parameter> is missing the required attribute value"),
        ("<Environment name='x' value='y' type='java.util.Date'/>", "type 'java.util.Date' is not supported"),
        ("<Environment name='x' value='ten' type='java.lang.Integer'/>", "'ten' is not a java.lang.Integer"),
        ("<Environment name='x' value='1'/>", "<Environment> is missing the required attribute type"),
        ("<Manager className='org.apache.catalina.session.PersistentManager'/>", "StandardManager only"),
        ("<Manager maxActiveSessions='many'/>", "maxActiveSessions of <Manager> must be an integer"),
        ("<WatchedResource> </WatchedResource>", ":2: <WatchedResource> is empty"),
    ],
)
def test_errors_carry_file_and_line(tmp_path, child, message):
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, f"<Context>\n  {child}\n</Context>\n")
    assert message in str(caught.value)
    assert "context.xml" in str(caught.value)


def test_bad_boolean_attribute_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match=r"context.xml:1: attribute useHttpOnly of <Context> must be true or false"):
        load(tmp_path, "<Context useHttpOnly='yes'/>")


def test_malformed_xml_is_an_error_with_its_line(tmp_path):
    with pytest.raises(ConfigError, match=r"context.xml:4: not well-formed XML"):
        load(tmp_path, "<Context>\n  <Parameter name='a' value='1'/>\n  <Parameter name=\n</Context>\n")


def test_unsupported_attributes_and_children_are_warnings(tmp_path):
    _, warnings = load(tmp_path, "<Context swallowOutput='true'>\n  <Resource name='jdbc/x'/>\n</Context>\n")
    assert any("swallowOutput of <Context> is not supported" in w for w in warnings)
    assert any("Resource" in w and "not supported" in w for w in warnings)


def test_path_attribute_is_ignored_with_tomcats_warning(tmp_path):
    spec, warnings = load(tmp_path, "<Context path='/other'/>")
    assert spec.path == "/shop"
    assert any("The path attribute with value [/other] in deployment descriptor [" in w for w in warnings)


def test_defaults_merge_under_a_context(tmp_path):
    defaults_file = tmp_path / "defaults.xml"
    defaults_file.write_text(
        "<Context path='/x' reloadable='true' crossContext='true'>\n"
        "  <Parameter name='a' value='default'/><Parameter name='d' value='default'/>\n"
        "  <Environment name='e' value='1' type='java.lang.Integer'/>\n"
        "  <WatchedResource>WEB-INF/web.xml</WatchedResource>\n"
        "  <Manager pathname=''/>\n"
        "</Context>\n"
    )
    defaults, warnings = load_context_defaults(str(defaults_file), {})
    assert any("attribute path of the default <Context>" in str(w) for w in warnings)
    own, _ = load(
        tmp_path,
        "<Context crossContext='false'><Parameter name='a' value='own'/>"
        "<WatchedResource>WEB-INF/web.xml</WatchedResource><WatchedResource>x</WatchedResource></Context>",
    )
    merged = merge_context_defaults(defaults, own)
    assert merged.reloadable  # not written by the context: the default's
    assert not merged.cross_context  # written: the context's
    assert [(p.name, p.value) for p in merged.parameters] == [("d", "default"), ("a", "own")]
    assert [e.name for e in merged.environments] == ["e"]
    assert merged.watched_resources == ("WEB-INF/web.xml", "x")
    assert merged.manager is not None and merged.manager.pathname == ""
    assert merge_context_defaults(None, own) is own
    written, _ = load(tmp_path, "<Context reloadable='false'/>")
    assert not merge_context_defaults(defaults, written).reloadable


def test_merge_parameters_follows_override(tmp_path):
    spec, _ = load(
        tmp_path,
        "<Context><Parameter name='wins' value='ctx' override='false'/>"
        "<Parameter name='loses' value='ctx'/><Parameter name='new' value='ctx'/></Context>",
    )
    merged = merge_parameters({"wins": "web", "loses": "web", "other": "web"}, spec)
    assert merged == {"wins": "ctx", "loses": "web", "other": "web", "new": "ctx"}


def test_cookie_rules(tmp_path):
    spec, _ = load(
        tmp_path,
        "<Context sessionCookieName='S' sessionCookiePath='/' sessionCookieDomain='example.org' useHttpOnly='false'/>",
    )
    config, modes = context_cookie_rules(spec, CookieConfig(name="W", path="/w"), None)
    assert (config.name, config.path, config.domain, config.http_only, modes) == ("S", "/", "example.org", False, None)
    # HttpOnly when web.xml's <http-only> or useHttpOnly says so (Tomcat 10.1.60:
    # <http-only>false</http-only> with the default useHttpOnly still sends HttpOnly).
    config, _ = context_cookie_rules(spec, CookieConfig(http_only=True), None)
    assert config.http_only is True
    plain, _ = load(tmp_path, "<Context/>")
    assert context_cookie_rules(plain, CookieConfig(http_only=False), None)[0].http_only is True
    # <tracking-mode> wins over cookies="false".
    no_cookies, _ = load(tmp_path, "<Context cookies='false'/>")
    assert context_cookie_rules(no_cookies, CookieConfig(), None)[1] == ["URL"]
    assert context_cookie_rules(no_cookies, CookieConfig(), ["COOKIE"])[1] == ["COOKIE"]
    assert context_cookie_rules(plain, CookieConfig(), None) == (CookieConfig(), None)


def test_manager_pathname():
    assert manager_pathname("", "/work") is None
    assert manager_pathname("s.json", "/work") == "/work/s.json"
    assert manager_pathname("s.json", None) is None
    assert manager_pathname("/abs/s.json", None) == "/abs/s.json"


def make_app(tmp_path, text: str | None):
    folder = tmp_path / "webapps" / "shop"
    (folder / "META-INF").mkdir(parents=True)
    if text is not None:
        (folder / "META-INF" / "context.xml").write_text(text)
    return folder


def test_own_context_xml_rules(tmp_path):
    conf = tmp_path / "conf" / "Catalina" / "localhost"
    folder = make_app(tmp_path, "<Context docBase='/elsewhere'><Parameter name='a' value='1'/></Context>")
    read = ContextXml(str(tmp_path), str(conf), {}).own_context_xml(str(folder), "/shop", "shop")
    assert read.error is None and read.descriptor is None
    assert read.config is not None and read.config.doc_base == str(folder)  # docBase ignored
    blocked = ContextXml(str(tmp_path), str(conf), {}, deploy_xml=False).own_context_xml(str(folder), "/shop", "shop")
    assert blocked.config is None and blocked.error is not None
    assert "was not deployed because it contained a deployment descriptor" in str(blocked.error)
    assert str(conf / "shop.xml") in str(blocked.error)
    copied = ContextXml(str(tmp_path), str(conf), {}, copy_xml=True).own_context_xml(str(folder), "/shop", "shop")
    assert copied.descriptor == str(conf / "shop.xml")
    assert (conf / "shop.xml").read_text() == (folder / "META-INF" / "context.xml").read_text()


def test_own_context_xml_copy_xml_on_the_context(tmp_path):
    conf = tmp_path / "conf" / "Catalina" / "localhost"
    folder = make_app(tmp_path, "<Context copyXML='true'/>")
    copied = ContextXml(str(tmp_path), str(conf), {}).own_context_xml(str(folder), "/shop", "shop")
    assert copied.descriptor == str(conf / "shop.xml") and (conf / "shop.xml").is_file()


def test_no_own_context_xml(tmp_path):
    folder = make_app(tmp_path, None)
    for deploy_xml in (True, False):
        own = ContextXml(str(tmp_path), None, {}, deploy_xml=deploy_xml).own_context_xml(str(folder), "/shop", "shop")
        assert own.config is None and own.error is None


def test_defaults_come_from_base_then_home(tmp_path):
    base, home = tmp_path / "base", tmp_path / "home"
    (base / "conf").mkdir(parents=True)
    (home / "conf").mkdir(parents=True)
    (home / "conf" / "context.xml").write_text("<Context><Parameter name='from' value='home'/></Context>")
    files = ContextXml(str(base), None, {"catalina.home": str(home)})
    spec = files.effective("/a", None)
    assert spec is not None and spec.path == "/a" and spec.parameters[0].value == "home"
    (base / "conf" / "context.xml").write_text("<Context><Parameter name='from' value='base'/></Context>")
    host = base / "conf" / "Catalina" / "localhost"
    host.mkdir(parents=True)
    (host / "context.xml.default").write_text("<Context><Parameter name='host' value='yes'/></Context>")
    files = ContextXml(str(base), str(host), {"catalina.home": str(home)})
    spec = files.effective("/a", None)
    assert spec is not None and [(p.name, p.value) for p in spec.parameters] == [("from", "base"), ("host", "yes")]
    assert ContextXml(str(tmp_path / "none"), None, {}).effective("/a", None) is None


def test_a_bad_defaults_file_is_an_error(tmp_path):
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "context.xml").write_text("<Context>\n<Environment name='x'/>\n</Context>")
    with pytest.raises(ConfigError, match=r"conf/context.xml:2"):
        ContextXml(str(tmp_path), None, {}).effective("/a", None)


def test_the_shipped_conf_context_xml_reads_cleanly():
    from pathlib import Path

    shipped = Path(__file__).resolve().parents[2] / "conf" / "context.xml"
    spec, warnings = load_context_defaults(str(shipped), {"catalina.base": "/b"})
    assert warnings == []
    assert spec.watched_resources == ("WEB-INF/web.xml", "/b/conf/web.xml")


def test_archive_context_xml(tmp_path):
    import zipfile

    war = tmp_path / "shop.war"
    with zipfile.ZipFile(war, "w") as archive:
        archive.writestr("META-INF/context.xml", "<Context docBase='x'><Parameter name='a' value='1'/></Context>")
    read = ContextXml(str(tmp_path), None, {}).archive_context_xml(str(war), "/shop")
    assert read.config is not None and read.config.doc_base == str(war) and read.config.parameters[0].value == "1"
    blocked = ContextXml(str(tmp_path), str(tmp_path / "conf"), {}, deploy_xml=False).archive_context_xml(
        str(war), "/shop"
    )
    assert blocked.error is not None and "shop.war!/META-INF/context.xml] which may include" in str(blocked.error)
    assert str(tmp_path / "conf" / "shop.xml") in str(blocked.error)
    plain = tmp_path / "plain.war"
    with zipfile.ZipFile(plain, "w") as archive:
        archive.writestr("index.html", "x")
    assert ContextXml(str(tmp_path), None, {}, deploy_xml=False).archive_context_xml(str(plain), "/p").error is None
