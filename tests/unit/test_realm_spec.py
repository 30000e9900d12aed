"""``<Realm>``, ``<CredentialHandler>`` and the UserDatabase resource, as
read from server.xml and context descriptors (catalina_py/config/realm_spec.py),
and the realms built from them (catalina_py/realm/factory.py)."""

from __future__ import annotations

import textwrap

import pytest

from catalina_py.config.context_spec import load_context_descriptor
from catalina_py.config.server_xml import load_server_xml
from catalina_py.errors import ConfigError
from catalina_py.realm.combined import LockOutRealm
from catalina_py.realm.credential import SecretKeyCredentialHandler
from catalina_py.realm.factory import build_realm
from catalina_py.realm.user_database import UserDatabaseRealm

GLOBAL = """\
  <GlobalNamingResources>
    <Resource name="UserDatabase" auth="Container"
              type="org.apache.catalina.UserDatabase"
              description="User database that can be updated and saved"
              factory="org.apache.catalina.users.MemoryUserDatabaseFactory"
              pathname="conf/tomcat-users.xml" />
  </GlobalNamingResources>
"""


def server_xml(tmp_path, engine_realm: str = "", host_realm: str = "", global_resources: str = GLOBAL) -> str:
    text = f"""\
<?xml version="1.0" encoding="UTF-8"?>
<Server port="-1" shutdown="SHUTDOWN">
{global_resources}  <Service name="Catalina">
    <Connector port="8080"/>
    <Engine name="Catalina" defaultHost="localhost">
{engine_realm}
      <Host name="localhost" appBase="webapps">
{host_realm}
      </Host>
    </Engine>
  </Service>
</Server>
"""
    path = tmp_path / "server.xml"
    path.write_text(text)
    return str(path)


def line_of(path: str, needle: str) -> int:
    for number, line in enumerate(open(path, encoding="utf-8"), 1):
        if needle in line:
            return number
    raise AssertionError(needle)


TOMCAT_REALM = """\
      <Realm className="org.apache.catalina.realm.LockOutRealm">
        <Realm className="org.apache.catalina.realm.UserDatabaseRealm"
               resourceName="UserDatabase"/>
      </Realm>"""


def test_tomcat_shipped_shape_is_read(tmp_path) -> None:
    path = server_xml(tmp_path, TOMCAT_REALM)
    config, warnings = load_server_xml(path, {})
    assert warnings == []
    database = config.user_databases["UserDatabase"]
    assert database.pathname == "conf/tomcat-users.xml"
    assert database.location.line == line_of(path, "<Resource")
    realm = config.services[0].engine.realm
    assert realm is not None and realm.kind == "LockOut"
    assert (realm.failure_count, realm.lock_out_time, realm.cache_size, realm.cache_removal_warning_time) == (
        5,
        300,
        1000,
        3600,
    )
    assert realm.location.line == line_of(path, "LockOutRealm")
    [inner] = realm.nested
    assert inner.kind == "UserDatabase" and inner.resource_name == "UserDatabase"
    assert inner.location.line == line_of(path, "UserDatabaseRealm")
    assert config.services[0].engine.hosts[0].realm is None


def test_built_realm_reads_the_users_file(tmp_path) -> None:
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "tomcat-users.xml").write_text(
        '<tomcat-users><user username="u" password="p" roles="r"/></tomcat-users>'
    )
    config, _ = load_server_xml(server_xml(tmp_path, TOMCAT_REALM), {})
    spec = config.services[0].engine.realm
    assert spec is not None
    realm = build_realm(
        spec, catalina_base=str(tmp_path), catalina_home=str(tmp_path), user_databases=config.user_databases
    )
    assert isinstance(realm, LockOutRealm)
    [inner] = realm.realms
    assert isinstance(inner, UserDatabaseRealm)
    assert inner.path == str(tmp_path / "conf" / "tomcat-users.xml")
    realm.start()
    principal = realm.authenticate("u", "p")
    assert principal is not None and principal.roles == frozenset({"r"})
    assert realm.authenticate("u", "wrong") is None


def test_host_realm_with_credential_handler(tmp_path) -> None:
    host_realm = """\
        <Realm className="org.apache.catalina.realm.UserDatabaseRealm">
          <CredentialHandler className="org.apache.catalina.realm.SecretKeyCredentialHandler"
                             algorithm="PBKDF2WithHmacSHA256" iterations="1000" keyLength="256" saltLength="16"/>
        </Realm>"""
    config, warnings = load_server_xml(server_xml(tmp_path, host_realm=host_realm), {})
    spec = config.services[0].engine.hosts[0].realm
    assert spec is not None and spec.credential_handler is not None
    assert spec.credential_handler.kind == "SecretKey"
    assert (spec.credential_handler.iterations, spec.credential_handler.key_length) == (1000, 256)
    realm = build_realm(
        spec, catalina_base=str(tmp_path), catalina_home=str(tmp_path), user_databases=config.user_databases
    )
    assert isinstance(realm, UserDatabaseRealm)
    assert isinstance(realm.credential_handler, SecretKeyCredentialHandler)


def test_context_descriptor_realm(tmp_path) -> None:
    path = tmp_path / "app.xml"
    path.write_text(
        textwrap.dedent(
            """\
            <Context>
              <Realm className="org.apache.catalina.realm.CombinedRealm">
                <Realm className="org.apache.catalina.realm.UserDatabaseRealm" resourceName="Other"/>
              </Realm>
            </Context>
            """
        )
    )
    spec, warnings = load_context_descriptor(str(path), "/app", {})
    assert warnings == []
    assert spec.realm is not None and spec.realm.kind == "Combined"
    assert spec.realm.location.line == 2
    with pytest.raises(ConfigError) as caught:
        build_realm(spec.realm, catalina_base=str(tmp_path), catalina_home=str(tmp_path), user_databases={})
    assert (caught.value.file, caught.value.line) == (str(path), 3)
    assert "no UserDatabase resource named 'Other'" in caught.value.message


@pytest.mark.parametrize(
    ("engine_realm", "needle", "message", "hint"),
    [
        (
            '<Realm className="org.apache.catalina.realm.JNDIRealm" connectionURL="ldap://x"/>',
            "JNDIRealm",
            "JNDIRealm is not implemented by catalina_py",
            "Python realm class",
        ),
        (
            '<Realm className="org.apache.catalina.realm.DataSourceRealm"/>',
            "DataSourceRealm",
            "DataSourceRealm is not implemented",
            "reads the database",
        ),
        (
            '<Realm className="org.apache.catalina.realm.MemoryRealm"/>',
            "MemoryRealm",
            "MemoryRealm is not implemented",
            "UserDatabaseRealm",
        ),
        (
            '<Realm className="org.apache.catalina.realm.LockoutRealm"><Realm className="a.B"/></Realm>',
            "LockoutRealm",
            "unknown realm class 'org.apache.catalina.realm.LockoutRealm'",
            "className=",
        ),
        (
            '<Realm className="UserDatabaseRealm"/>',
            "<Realm",
            "unknown realm class 'UserDatabaseRealm'",
            "UserDatabaseRealm",
        ),
        ("<Realm/>", "<Realm", "<Realm> is missing the required attribute className", "className="),
        (
            '<Realm className="org.apache.catalina.realm.LockOutRealm" lockOutTme="60">'
            '<Realm className="a.B"/></Realm>',
            "lockOutTme",
            "unknown attribute lockOutTme on <Realm> (LockOutRealm); did you mean lockOutTime?",
            "failureCount",
        ),
        (
            '<Realm className="org.apache.catalina.realm.LockOutRealm" failureCount="0">'
            '<Realm className="a.B"/></Realm>',
            "failureCount",
            "attribute failureCount of <Realm> is out of range: 0",
            "1 or more",
        ),
        (
            '<Realm className="org.apache.catalina.realm.LockOutRealm"/>',
            "LockOutRealm",
            "a LockOutRealm needs at least one nested <Realm>",
            "UserDatabaseRealm",
        ),
        (
            '<Realm className="org.apache.catalina.realm.UserDatabaseRealm">\n<Realm className="a.B"/></Realm>',
            '"a.B"',
            "unexpected element <Realm> in <Realm> (UserDatabaseRealm)",
            "CredentialHandler",
        ),
        (
            '<Realm className="org.apache.catalina.realm.UserDatabaseRealm">\n'
            '<CredentialHandler className="org.apache.catalina.realm.MessageDigestCredentialHandler" algoritm="MD5"/>'
            "</Realm>",
            "algoritm",
            "unknown attribute algoritm on <CredentialHandler> (MessageDigestCredentialHandler); did you mean algorithm?",
            "iterations",
        ),
        (
            '<Realm className="org.apache.catalina.realm.UserDatabaseRealm">\n'
            '<CredentialHandler className="org.apache.catalina.realm.PlainCredentialHandler"/></Realm>',
            "PlainCredentialHandler",
            "unknown credential handler class",
            "MessageDigestCredentialHandler",
        ),
        (
            '<Realm className="org.apache.catalina.realm.UserDatabaseRealm">\n'
            '<CredentialHandler className="org.apache.catalina.realm.NestedCredentialHandler"/></Realm>',
            "NestedCredentialHandler",
            "a NestedCredentialHandler needs at least one nested <CredentialHandler>",
            "NestedCredentialHandler",
        ),
        (
            '<Realm className="org.apache.catalina.realm.UserDatabaseRealm" resourceName=" "/>',
            "resourceName",
            "attribute resourceName of <Realm> is empty",
            "UserDatabase",
        ),
        (
            '<Realm className="my.bad realm"/>',
            "my.bad realm",
            "realm class 'my.bad realm' is not a Python class name",
            "package",
        ),
        (
            '<Realm className="a.B"/>\n<Realm className="c.D"/>',
            "c.D",
            "more than one <Realm> in <Engine>",
            "CombinedRealm",
        ),
    ],
)
def test_errors_have_file_and_line(tmp_path, engine_realm: str, needle: str, message: str, hint: str) -> None:
    path = server_xml(tmp_path, engine_realm)
    with pytest.raises(ConfigError) as caught:
        load_server_xml(path, {})
    error = caught.value
    assert message in error.message
    assert hint in (error.hint or "")
    assert (error.file, error.line) == (path, line_of(path, needle))


def test_resource_errors(tmp_path) -> None:
    resource = """  <GlobalNamingResources>
    <Resource name="UserDatabase" type="org.apache.catalina.UserDatabase"
              factory="org.example.LdapFactory" pathname="conf/tomcat-users.xml"/>
  </GlobalNamingResources>
"""
    path = server_xml(tmp_path, global_resources=resource)
    with pytest.raises(ConfigError) as caught:
        load_server_xml(path, {})
    assert "unknown user database factory 'org.example.LdapFactory'" in caught.value.message
    assert caught.value.line == line_of(path, "<Resource")


def test_unsupported_realm_attribute_warns(tmp_path) -> None:
    path = server_xml(
        tmp_path,
        '<Realm className="org.apache.catalina.realm.UserDatabaseRealm" allRolesMode="strict"/>',
    )
    config, warnings = load_server_xml(path, {})
    assert [str(w) for w in warnings] == [
        f"{path}:{line_of(path, 'allRolesMode')}: attribute allRolesMode of <Realm> (UserDatabaseRealm) is not "
        "supported by catalina_py, ignored"
    ]


PY_REALM = """
from catalina_py.realm.realm_base import RealmBase


class SiteRealm(RealmBase):
    def configure(self, attributes):
        self.users = dict(item.split(":") for item in attributes["users"].split(","))

    def get_password(self, username):
        return self.users.get(username)

    def get_roles(self, username):
        return frozenset({"site"}) if username in self.users else frozenset()


class NotARealm:
    pass


class Bare(RealmBase):
    def __init__(self):
        self.users = {"x": "y"}  # no super().__init__(): RealmBase's defaults still hold

    def get_password(self, username):
        return self.users.get(username)
"""


def test_python_realm_from_catalina_base_lib(tmp_path) -> None:
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "site_realm_r2.py").write_text(PY_REALM)
    path = server_xml(tmp_path, '<Realm className="site_realm_r2.SiteRealm" users="ann:pw1,bo:pw2"/>')
    config, _ = load_server_xml(path, {})
    spec = config.services[0].engine.realm
    assert spec is not None and spec.kind == "python"
    realm = build_realm(spec, catalina_base=str(tmp_path), catalina_home="/nonexistent", user_databases={})
    realm.start()
    principal = realm.authenticate("ann", "pw1")
    assert principal is not None and principal.has_role("site")
    assert realm.authenticate("ann", "pw2") is None

    path = server_xml(tmp_path, '<Realm className="site_realm_r2.NotARealm"/>')
    config, _ = load_server_xml(path, {})
    spec = config.services[0].engine.realm
    assert spec is not None
    with pytest.raises(ConfigError) as caught:
        build_realm(spec, catalina_base=str(tmp_path), catalina_home="/nonexistent", user_databases={})
    assert "is not a subclass of Realm" in caught.value.message
    assert caught.value.line == line_of(path, "NotARealm")

    path = server_xml(tmp_path, '<Realm className="site_realm_r2.SiteRealm" userz="a:b"/>')
    config, _ = load_server_xml(path, {})
    spec = config.services[0].engine.realm
    assert spec is not None
    with pytest.raises(ConfigError) as caught:
        build_realm(spec, catalina_base=str(tmp_path), catalina_home="/nonexistent", user_databases={})
    assert caught.value.message == "<Realm className=\"site_realm_r2.SiteRealm\">: KeyError: 'users'"
    assert caught.value.line == line_of(path, "userz")

    path = server_xml(tmp_path, '<Realm className="site_realm_r2.Bare" users="a:b"/>')
    config, _ = load_server_xml(path, {})
    spec = config.services[0].engine.realm
    assert spec is not None
    with pytest.raises(ConfigError) as caught:
        build_realm(spec, catalina_base=str(tmp_path), catalina_home="/nonexistent", user_databases={})
    assert "takes no attributes (it has no configure method): users" in caught.value.message
    path = server_xml(tmp_path, '<Realm className="site_realm_r2.Bare"/>')
    config, _ = load_server_xml(path, {})
    spec = config.services[0].engine.realm
    assert spec is not None
    bare = build_realm(spec, catalina_base=str(tmp_path), catalina_home="/nonexistent", user_databases={})
    assert bare.authenticate("x", "y") is not None and bare.authenticate("nobody", "y") is None

    path = server_xml(tmp_path, '<Realm className="site_realm_r2.Missing"/>')
    config, _ = load_server_xml(path, {})
    spec = config.services[0].engine.realm
    assert spec is not None
    with pytest.raises(ConfigError) as caught:
        build_realm(spec, catalina_base=str(tmp_path), catalina_home="/nonexistent", user_databases={})
    assert "cannot load realm class 'site_realm_r2.Missing'" in caught.value.message
    assert "CATALINA_BASE/lib" in (caught.value.hint or "")
