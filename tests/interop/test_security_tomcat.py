"""Constraint precedence compared with the real Tomcat 10.1: one webapp of
static files and one web.xml with overlapping constraints (exact, prefix,
extension, default, the context root, method lists and omissions,
deny-uncovered-http-methods) deployed on both, BASIC login, the same
users; every (method, path, user) case must get the same status from
both, and the 401's WWW-Authenticate and the 302 of a CONFIDENTIAL
constraint must be the same too.

Skipped without Tomcat (tests/tomcat.py), except with ``CI=true``.
"""

from __future__ import annotations

import re

import pytest
import requests

from tests.ci import skip_or_fail
from tests.integration.test_login import SERVER_XML, USERS
from tests.server import CatalinaProcess
from tests.tomcat import TomcatProcess, missing_tomcat

_MISSING = missing_tomcat()
if _MISSING:
    skip_or_fail(f"constraint comparison with Tomcat 10.1 not run: {_MISSING}", module=True)

WEB_XML = """<web-app xmlns="https://jakarta.ee/xml/ns/jakartaee" version="6.0">
  <security-constraint><web-resource-collection><url-pattern>/a/*</url-pattern></web-resource-collection>
    <auth-constraint><role-name>user</role-name></auth-constraint></security-constraint>
  <security-constraint><web-resource-collection><url-pattern>/a/b/*</url-pattern></web-resource-collection>
    <auth-constraint><role-name>admin</role-name></auth-constraint></security-constraint>
  <security-constraint><web-resource-collection><url-pattern>*.txt</url-pattern></web-resource-collection>
    <auth-constraint><role-name>admin</role-name></auth-constraint></security-constraint>
  <security-constraint><web-resource-collection><url-pattern>/m/*</url-pattern><http-method>PUT</http-method>
    </web-resource-collection><auth-constraint><role-name>user</role-name></auth-constraint></security-constraint>
  <security-constraint><web-resource-collection><url-pattern>/o/*</url-pattern>
    <http-method-omission>GET</http-method-omission></web-resource-collection>
    <auth-constraint><role-name>user</role-name></auth-constraint></security-constraint>
  <security-constraint><web-resource-collection><url-pattern>/e.html</url-pattern><http-method>PUT</http-method>
    </web-resource-collection><auth-constraint><role-name>user</role-name></auth-constraint></security-constraint>
  <security-constraint><web-resource-collection><url-pattern></url-pattern></web-resource-collection>
    <auth-constraint><role-name>admin</role-name></auth-constraint></security-constraint>
  <security-constraint><web-resource-collection><url-pattern>/d/*</url-pattern></web-resource-collection>
    <auth-constraint/></security-constraint>
  <security-constraint><web-resource-collection><url-pattern>/d/*</url-pattern></web-resource-collection>
    <auth-constraint><role-name>user</role-name></auth-constraint></security-constraint>
  <security-constraint><web-resource-collection><url-pattern>/n/*</url-pattern></web-resource-collection>
    </security-constraint>
  <security-constraint><web-resource-collection><url-pattern>/n/*</url-pattern></web-resource-collection>
    <auth-constraint><role-name>admin</role-name></auth-constraint></security-constraint>
  <security-constraint><web-resource-collection><url-pattern>/c/*</url-pattern></web-resource-collection>
    <user-data-constraint><transport-guarantee>CONFIDENTIAL</transport-guarantee></user-data-constraint>
  </security-constraint>
  <security-constraint><web-resource-collection><url-pattern>/u/*</url-pattern><http-method>PUT</http-method>
    </web-resource-collection><auth-constraint><role-name>user</role-name></auth-constraint></security-constraint>
  <deny-uncovered-http-methods/>
  <security-role><role-name>user</role-name></security-role>
  <security-role><role-name>admin</role-name></security-role>
  <login-config><auth-method>BASIC</auth-method><realm-name>Compared</realm-name></login-config>
</web-app>
"""

FILES = [
    "index.html",
    "a/x.html",
    "a/b/x.html",
    "a/x.txt",
    "x.txt",
    "m/x.html",
    "o/x.html",
    "e.html",
    "d/x.html",
    "n/x.html",
    "c/x.html",
    "u/x.html",
    "plain.html",
]

ALICE = ("alice", "secret")  # user
BOB = ("bob", "pw")  # admin

CASES = [
    ("GET", "/", None), ("GET", "/", BOB), ("GET", "/index.html", None),
    ("GET", "/a/x.html", None), ("GET", "/a/x.html", ALICE), ("GET", "/a/x.html", BOB),
    ("GET", "/a/b/x.html", ALICE), ("GET", "/a/b/x.html", BOB),
    ("GET", "/a/x.txt", ALICE), ("GET", "/x.txt", ALICE), ("GET", "/x.txt", BOB),
    ("GET", "/m/x.html", None), ("PUT", "/m/x.html", None), ("PUT", "/m/x.html", ALICE),
    ("GET", "/o/x.html", None), ("DELETE", "/o/x.html", None), ("DELETE", "/o/x.html", ALICE),
    ("GET", "/e.html", None), ("PUT", "/e.html", None),
    ("GET", "/d/x.html", ALICE), ("GET", "/n/x.html", None),
    ("GET", "/u/x.html", None), ("PUT", "/u/x.html", None), ("GET", "/plain.html", None),
]  # fmt: skip


def make_webapp(root):
    app = root / "p"
    for name in FILES:
        path = app / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"file {name}\n")
    (app / "WEB-INF").mkdir()
    (app / "WEB-INF" / "web.xml").write_text(WEB_XML)
    return app


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    app = make_webapp(tmp_path_factory.mktemp("apps"))
    tomcat = TomcatProcess(tmp_path_factory.mktemp("tomcat"), webapps={"p": app})  # stock redirectPort=8443
    (tomcat.base / "conf" / "tomcat-users.xml").write_text(USERS)
    ours = CatalinaProcess(tmp_path_factory.mktemp("ours"), webapps={"p": app}, server_xml=SERVER_XML)
    (ours.base / "conf" / "tomcat-users.xml").write_text(USERS)
    ours.start()
    try:
        tomcat.start(ready_url="/p/plain.html")
        try:
            yield tomcat, ours
        finally:
            tomcat.stop()
    finally:
        ours.stop()


def outcome(response: requests.Response) -> str:
    """The status when security decided it, else "served" (the two default
    servlets may answer a PUT differently)."""
    status = response.status_code
    return str(status) if status in (302, 401, 403) else "served"


@pytest.mark.parametrize(("method", "path", "user"), CASES)
def test_same_decision_as_tomcat(servers, method, path, user) -> None:
    tomcat, ours = servers
    theirs = requests.request(method, f"{tomcat.url}/p{path}", auth=user, timeout=30, allow_redirects=False)
    mine = requests.request(method, f"{ours.url}/p{path}", auth=user, timeout=30, allow_redirects=False)
    assert outcome(mine) == outcome(theirs), (method, path, user, theirs.status_code, mine.status_code)
    if theirs.status_code == 401:
        assert mine.headers["WWW-Authenticate"] == theirs.headers["WWW-Authenticate"]
    if theirs.status_code in (401, 403) and method != "HEAD":
        assert report(mine.text) == report(theirs.text)
        assert mine.headers.get("Cache-Control") == theirs.headers.get("Cache-Control")


def report(page: str) -> list[str]:
    """The title, message and description of an error report page (the
    server's name and the style are not compared)."""
    return re.findall(r"<title>[^<]*</title>|<p><b>(?:Message|Description)</b>[^<]*</p>", page)


def test_confidential_redirect_as_tomcat(servers) -> None:
    tomcat, ours = servers
    theirs = requests.get(f"{tomcat.url}/p/c/x.html?q=1", timeout=30, allow_redirects=False)
    mine = requests.get(f"{ours.url}/p/c/x.html?q=1", timeout=30, allow_redirects=False)
    assert (mine.status_code, mine.headers.get("Cache-Control")) == (
        theirs.status_code,
        theirs.headers.get("Cache-Control"),
    )
    assert mine.headers["Location"] == theirs.headers["Location"]
