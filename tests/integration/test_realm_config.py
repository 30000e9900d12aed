"""Realms on a real server: the Tomcat-shaped ``<GlobalNamingResources>``
and Engine ``<Realm>`` reach every webapp, a Host ``<Realm>`` and a
context.xml ``<Realm>`` take precedence, a malformed tomcat-users.xml stops
only the realm (logged with file:line, every login refused) and never the
container, and a context.xml ``<Realm>`` that cannot be built stops only
that webapp.

The webapps ask the realm that applies to them through a probe servlet
(``find_realm`` over their context), since logging in over HTTP is the
authenticators' business (docs/security.md)."""

from __future__ import annotations

from pathlib import Path

import requests

from tests.server import CatalinaProcess

SERVER_XML = """<?xml version="1.0" encoding="UTF-8"?>
<Server port="{shutdown_port}" shutdown="SHUTDOWN">
  <GlobalNamingResources>
    <Resource name="UserDatabase" auth="Container"
              type="org.apache.catalina.UserDatabase"
              description="User database that can be updated and saved"
              factory="org.apache.catalina.users.MemoryUserDatabaseFactory"
              pathname="conf/tomcat-users.xml" />
    <Resource name="HostUsers" auth="Container" type="org.apache.catalina.UserDatabase"
              factory="org.apache.catalina.users.MemoryUserDatabaseFactory" pathname="conf/host-users.xml" />
  </GlobalNamingResources>
  <Service name="Catalina">
    <Connector port="{port}" address="127.0.0.1" protocol="HTTP/1.1" {connector_attrs}/>
    <Engine name="Catalina" defaultHost="localhost">
      <Realm className="org.apache.catalina.realm.LockOutRealm">
        <Realm className="org.apache.catalina.realm.UserDatabaseRealm"
               resourceName="UserDatabase"/>
      </Realm>
      <Host name="localhost" appBase="webapps" autoDeploy="false"/>
      <Host name="other.test" appBase="other" autoDeploy="false">
        <Realm className="org.apache.catalina.realm.UserDatabaseRealm" resourceName="HostUsers"/>
      </Host>
    </Engine>
  </Service>
</Server>
"""

WEB_XML = """<?xml version="1.0" encoding="UTF-8"?>
<web-app xmlns="https://jakarta.ee/xml/ns/jakartaee" version="6.0">
  <servlet><servlet-name>check</servlet-name><servlet-class>realmprobe.Check</servlet-class></servlet>
  <servlet-mapping><servlet-name>check</servlet-name><url-pattern>/check</url-pattern></servlet-mapping>
</web-app>
"""

PROBE = '''
from catalina_py.realm.base import find_realm
from catalina_py.servlet import HttpServlet


class Check(HttpServlet):
    """Answers the realm's verdict on ?u=&p= as "name roles" or "refused"."""

    def do_get(self, request, response):
        realm = find_realm(request.get_servlet_context().standard_context)
        response.set_content_type("text/plain")
        if realm is None:
            response.get_writer().write("no realm")
            return
        principal = realm.authenticate(request.get_parameter("u") or "", request.get_parameter("p") or "")
        text = "refused" if principal is None else principal.get_name() + " " + ",".join(sorted(principal.roles))
        response.get_writer().write(type(realm).__name__ + ": " + text)
'''

USERS = """<?xml version="1.0" encoding="UTF-8"?>
<tomcat-users xmlns="http://tomcat.apache.org/xml" version="1.0">
  <group groupname="staff" roles="staff-role"/>
  <user username="ann" password="ann-pw" roles="r1" groups="staff"/>
</tomcat-users>
"""

HOST_USERS = '<tomcat-users><user username="hal" password="hal-pw" roles="host-role"/></tomcat-users>\n'

APP_USERS_CONTEXT = """<?xml version="1.0" encoding="UTF-8"?>
<Context>
  <Realm className="org.apache.catalina.realm.UserDatabaseRealm" resourceName="HostUsers"/>
</Context>
"""

BAD_CONTEXT = """<?xml version="1.0" encoding="UTF-8"?>
<Context>
  <Realm className="org.apache.catalina.realm.UserDatabaseRealm"
         resourceName="NoSuchDatabase"/>
</Context>
"""


def probe_app(root: Path, name: str, context_xml: str | None = None) -> Path:
    app = root / name
    (app / "WEB-INF" / "classes").mkdir(parents=True)
    (app / "WEB-INF" / "web.xml").write_text(WEB_XML)
    (app / "WEB-INF" / "classes" / "realmprobe.py").write_text(PROBE)
    if context_xml is not None:
        (app / "META-INF").mkdir()
        (app / "META-INF" / "context.xml").write_text(context_xml)
    return app


def check(server: CatalinaProcess, path: str, user: str, password: str, host: str = "localhost") -> str:
    response = requests.get(server.url + path, params={"u": user, "p": password}, headers={"Host": host}, timeout=5)
    assert response.status_code == 200, (path, response.status_code, server.output()[-3000:])
    return response.text


def make(tmp_path: Path, users: str) -> CatalinaProcess:
    src = tmp_path / "src"
    webapps = {
        "engine": probe_app(src, "engine"),
        "own": probe_app(src, "own", APP_USERS_CONTEXT),
        "bad": probe_app(src, "bad", BAD_CONTEXT),
    }
    server = CatalinaProcess(tmp_path / "base", webapps=webapps, server_xml=SERVER_XML)
    (server.base / "conf" / "tomcat-users.xml").write_text(users)
    (server.base / "conf" / "host-users.xml").write_text(HOST_USERS)
    other = server.base / "other"
    other.mkdir()
    probe_app(other, "ROOT")
    return server


def test_realms_at_engine_host_and_context(tmp_path) -> None:
    server = make(tmp_path, USERS).start()
    try:
        assert check(server, "/engine/check", "ann", "ann-pw") == "LockOutRealm: ann r1,staff-role"
        assert check(server, "/engine/check", "ann", "wrong") == "LockOutRealm: refused"
        assert check(server, "/engine/check", "hal", "hal-pw") == "LockOutRealm: refused"
        # the context's own <Realm> (META-INF/context.xml)
        assert check(server, "/own/check", "hal", "hal-pw") == "UserDatabaseRealm: hal host-role"
        assert check(server, "/own/check", "ann", "ann-pw") == "UserDatabaseRealm: refused"
        # the Host's <Realm>
        assert check(server, "/check", "hal", "hal-pw", host="other.test") == "UserDatabaseRealm: hal host-role"
        # a context.xml <Realm> that cannot be built stops that webapp only, with file:line
        assert requests.get(server.url + "/bad/check", timeout=5).status_code == 503
        output = server.output()
        assert "Context [/bad] failed to start" in output
        assert (
            "bad/META-INF/context.xml:3: UserDatabaseRealm: no UserDatabase resource named 'NoSuchDatabase'" in output
        )
    finally:
        server.stop()


def test_malformed_users_file_stops_only_the_realm(tmp_path) -> None:
    broken = USERS.replace('roles="r1" groups="staff"/>', 'roles="r1" groups="staff">')
    server = make(tmp_path, broken).start()
    try:
        users_file = server.base / "conf" / "tomcat-users.xml"
        output = server.output()
        assert f"{users_file}:5: not well-formed XML" in output
        assert "every login is refused until the file is fixed" in output
        assert check(server, "/engine/check", "ann", "ann-pw") == "LockOutRealm: refused"
        # everything else serves
        assert check(server, "/own/check", "hal", "hal-pw") == "UserDatabaseRealm: hal host-role"
        assert "Server startup in" in output
    finally:
        server.stop()
