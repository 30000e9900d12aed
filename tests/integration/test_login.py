"""Security constraints and the login methods on a real server, with
``requests`` (and its HTTPDigestAuth) and the ``websockets`` client.

Four copies of tests/integration/webapps/auth are deployed, one per
``<login-config>``: /basic, /form, /digest and /nologin (none); users come
from conf/tomcat-users.xml through a UserDatabaseRealm. What is asserted
was first observed on Tomcat 10.1.60 with the same descriptors (status,
WWW-Authenticate, Cache-Control, the 303 after a FORM login, the saved
POST replayed, 408 without a saved request).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
import time

import pytest
import requests
from requests.auth import HTTPDigestAuth
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.server import TEST_WEBAPPS, CatalinaProcess

SERVER_XML = """<?xml version="1.0" encoding="UTF-8"?>
<Server port="{shutdown_port}" shutdown="SHUTDOWN">
  <GlobalNamingResources>
    <Resource name="UserDatabase" auth="Container" type="org.apache.catalina.UserDatabase"
              factory="org.apache.catalina.users.MemoryUserDatabaseFactory" pathname="conf/tomcat-users.xml"/>
  </GlobalNamingResources>
  <Service name="Catalina">
    <Connector port="{port}" address="127.0.0.1" protocol="HTTP/1.1" redirectPort="8443" {connector_attrs}/>
    <Engine name="Catalina" defaultHost="localhost">
      <Realm className="org.apache.catalina.realm.UserDatabaseRealm" resourceName="UserDatabase"/>
      <Host name="localhost" appBase="webapps" autoDeploy="false"/>
    </Engine>
  </Service>
</Server>
"""

USERS = """<?xml version="1.0" encoding="UTF-8"?>
<tomcat-users xmlns="http://tomcat.apache.org/xml" version="1.0">
  <role rolename="user"/><role rolename="admin"/>
  <user username="alice" password="secret" roles="user"/>
  <user username="bob" password="pw" roles="admin"/>
  <user username="nobody" password="pw" roles=""/>
  <user username="j\u00fcrgen" password="p\u00e4ss" roles="user"/>
</tomcat-users>
"""

LOGIN_CONFIGS = {
    "basic": "<login-config><auth-method>BASIC</auth-method><realm-name>Test Realm</realm-name></login-config>",
    "form": "<login-config><auth-method>FORM</auth-method><realm-name>Test Realm</realm-name><form-login-config>"
    "<form-login-page>/login.html</form-login-page><form-error-page>/error.html</form-error-page>"
    "</form-login-config></login-config>",
    "digest": "<login-config><auth-method>DIGEST</auth-method><realm-name>Test Realm</realm-name></login-config>",
    "nologin": "",
}


def make_webapps(root) -> dict:
    apps = {}
    template = (TEST_WEBAPPS / "auth" / "WEB-INF" / "web-template.xml").read_text()
    for name, login in LOGIN_CONFIGS.items():
        folder = root / name
        shutil.copytree(TEST_WEBAPPS / "auth", folder)
        (folder / "WEB-INF" / "web.xml").write_text(template.replace("LOGIN_CONFIG", login))
        apps[name] = folder
    return apps


#: Contexts declared in server.xml with their own authenticator valves:
#: BASIC decoding and advertising UTF-8 (Tomcat's ``charset``), DIGEST
#: with nonces stale after 1 ms, FORM with a landing page and a 10-byte
#: limit on a saved POST body.
UTF8_CONTEXT = """<Host name="localhost" appBase="webapps" autoDeploy="false">
        <Context path="/utf8" docBase="DOC_BASE/utf8">
          <Valve className="org.apache.catalina.authenticator.BasicAuthenticator" charset="UTF-8"/>
        </Context>
        <Context path="/stale" docBase="DOC_BASE/stale">
          <Valve className="org.apache.catalina.authenticator.DigestAuthenticator" nonceValidity="1"/>
        </Context>
        <Context path="/landing" docBase="DOC_BASE/landing">
          <Valve className="org.apache.catalina.authenticator.FormAuthenticator" landingPage="/open/landed"
                 maxSavePostSize="10"/>
        </Context>
      </Host>"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    apps = make_webapps(tmp_path_factory.mktemp("auth_apps"))
    declared = apps["basic"].parent / "declared"  # copies outside the appBase
    for name, source in (("utf8", "basic"), ("stale", "digest"), ("landing", "form")):
        shutil.copytree(apps[source], declared / name)
    xml = SERVER_XML.replace(
        '<Host name="localhost" appBase="webapps" autoDeploy="false"/>', UTF8_CONTEXT.replace("DOC_BASE", str(declared))
    )
    proc = CatalinaProcess(tmp_path_factory.mktemp("auth_base"), webapps=apps, server_xml=xml)
    (proc.base / "conf" / "tomcat-users.xml").write_text(USERS, encoding="utf-8")
    proc.start()
    yield proc
    proc.stop()


def basic(user: str, password: str) -> str:
    """An ``Authorization: Basic`` value."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def get(server, path, **kwargs):
    return requests.get(server.url + path, timeout=10, allow_redirects=False, **kwargs)


# -- constraints and BASIC -------------------------------------------------------


def test_basic_challenge_as_tomcat(server) -> None:
    response = get(server, "/basic/secure/x")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Basic realm="Test Realm"'
    assert response.headers["Cache-Control"] == "private"
    assert "HTTP Status 401 – Unauthorized" in response.text


def test_basic_login(server) -> None:
    response = get(server, "/basic/secure/x?p=1", auth=("alice", "secret"))
    assert response.status_code == 200
    who = response.json()
    assert (who["user"], who["auth_type"], who["user_role"], who["admin_role"]) == ("alice", "BASIC", True, False)
    assert who["any_role"] is True
    assert get(server, "/basic/secure/x", auth=("alice", "wrong")).status_code == 401
    assert get(server, "/basic/secure/x", auth=("nobody", "wrong")).status_code == 401
    assert get(server, "/basic/secure/x", headers={"Authorization": "Basic !!!"}).status_code == 401


def test_basic_charset_utf8_on_a_declared_valve(server) -> None:
    response = get(server, "/utf8/secure/x")
    assert response.headers["WWW-Authenticate"] == 'Basic realm="Test Realm", charset=UTF-8'
    token = base64.b64encode("j\u00fcrgen:p\u00e4ss".encode()).decode()
    who = get(server, "/utf8/secure/x", headers={"Authorization": "Basic " + token}).json()
    assert who["user"] == "j\u00fcrgen"
    # The default (Tomcat's): ISO-8859-1, nothing advertised.
    assert get(server, "/basic/secure/x", headers={"Authorization": "Basic " + token}).status_code == 401
    latin1 = base64.b64encode("j\u00fcrgen:p\u00e4ss".encode("latin-1")).decode()
    assert get(server, "/basic/secure/x", headers={"Authorization": "Basic " + latin1}).status_code == 200


def test_role_missing_is_403(server) -> None:
    response = get(server, "/basic/admin/x", auth=("alice", "secret"))
    assert response.status_code == 403
    assert "Access to the requested resource has been denied" in response.text


def test_security_role_ref_maps_a_role(server) -> None:
    who = get(server, "/basic/admin/x", auth=("bob", "pw")).json()
    assert (who["boss_role"], who["admin_role"]) == (True, True)


@pytest.mark.parametrize(
    ("method", "path", "user", "status"),
    [
        ("GET", "/deny/x", None, 403),  # empty auth-constraint
        ("GET", "/deny/x", ("bob", "pw"), 403),
        ("GET", "/any/x", ("nobody", "pw"), 200),  # ** any authenticated user
        ("GET", "/any/x", None, 401),
        ("GET", "/star/x", ("nobody", "pw"), 403),  # * any declared role
        ("GET", "/star/x", ("alice", "secret"), 200),
        ("GET", "/m/x", None, 200),  # only POST is constrained
        ("POST", "/m/x", None, 401),
        ("GET", "/secure/exact", ("alice", "secret"), 403),  # exact beats /secure/*
        ("GET", "/secure/exact", ("bob", "pw"), 200),
        ("GET", "/secure/a.do", ("alice", "secret"), 200),  # the prefix beats *.do
        ("GET", "/open/a.do", ("alice", "secret"), 403),  # *.do
        ("GET", "/open/x", None, 200),
        ("GET", "/open.txt", None, 200),
    ],
)
def test_constraint_precedence(server, method, path, user, status) -> None:
    response = requests.request(method, f"{server.url}/basic{path}", auth=user, timeout=10, allow_redirects=False)
    assert response.status_code == status, response.text[:300]


def test_confidential_redirects_to_redirect_port(server) -> None:
    response = get(server, "/basic/conf/x?a=b")
    assert response.status_code == 302
    assert response.headers["Location"] == "https://127.0.0.1:8443/basic/conf/x?a=b"


def test_nologin_app_answers_403(server) -> None:
    assert get(server, "/nologin/secure/x").status_code == 403
    assert get(server, "/nologin/open/x").status_code == 200


def test_annotation_constraints(server) -> None:
    assert get(server, "/basic/annotated/x").status_code == 401
    assert get(server, "/basic/annotated/x", auth=("alice", "secret")).status_code == 200
    post = requests.post(f"{server.url}/basic/annotated/x", auth=("alice", "secret"), timeout=10)
    assert post.status_code == 403
    post = requests.post(f"{server.url}/basic/annotated/x", auth=("bob", "pw"), timeout=10)
    assert post.status_code == 200


# -- the request API -------------------------------------------------------------


def test_request_login_logout(server) -> None:
    with requests.Session() as client:
        wrong = client.get(f"{server.url}/nologin/login?do=login&u=alice&pw=bad", timeout=10).json()
        assert wrong["result"].startswith("ServletException") and wrong["user"] is None
        # A session exists: the login is cached in it, under a new id.
        client.get(f"{server.url}/nologin/login?do=session", timeout=10)
        first = client.cookies.get("JSESSIONID")
        assert first is not None
        client.get(f"{server.url}/nologin/login?do=login&u=alice&pw=secret", timeout=10)
        assert client.cookies.get("JSESSIONID") != first
        who = client.get(f"{server.url}/nologin/open/x", timeout=10).json()
        assert (who["user"], who["auth_type"]) == ("alice", "NONE")
        assert client.get(f"{server.url}/nologin/secure/x", timeout=10).status_code == 200
        again = client.get(f"{server.url}/nologin/login?do=login&u=bob&pw=pw", timeout=10).json()
        assert again["result"].startswith("ServletException")
        client.get(f"{server.url}/nologin/login?do=logout", timeout=10)
        assert client.get(f"{server.url}/nologin/open/x", timeout=10).json()["user"] is None


def test_request_authenticate_sends_the_challenge(server) -> None:
    response = get(server, "/basic/login?do=authenticate")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Basic realm="Test Realm"'
    who = get(server, "/basic/login?do=authenticate", auth=("alice", "secret")).json()
    assert (who["result"], who["user"]) == ("ok", "alice")


# -- FORM ----------------------------------------------------------------------------


def test_form_login_replays_a_saved_post(server) -> None:
    with requests.Session() as client:
        page = client.post(f"{server.url}/form/secure/x?q=1", data={"p": "posted"}, timeout=10, allow_redirects=False)
        assert page.status_code == 200 and 'action="j_security_check"' in page.text
        assert "Cache-Control" not in page.headers  # Tomcat leaves POST responses alone
        before = client.cookies.get("JSESSIONID")
        bad = client.post(
            f"{server.url}/form/j_security_check", data={"j_username": "alice", "j_password": "x"}, timeout=10
        )
        assert bad.status_code == 200 and "Login failed" in bad.text
        good = client.post(
            f"{server.url}/form/j_security_check",
            data={"j_username": "alice", "j_password": "secret"},
            timeout=10,
            allow_redirects=False,
        )
        assert good.status_code == 303
        assert good.headers["Location"] == "/form/secure/x?q=1"
        assert client.cookies.get("JSESSIONID") != before  # changeSessionIdOnAuthentication
        replayed = client.get(server.url + good.headers["Location"], timeout=10).json()
        assert (replayed["method"], replayed["p"], replayed["query"]) == ("POST", "posted", "q=1")
        assert (replayed["user"], replayed["auth_type"]) == ("alice", "FORM")
        after = client.get(f"{server.url}/form/secure/x?q=1", timeout=10).json()
        assert (after["method"], after["p"], after["user"]) == ("GET", None, "alice")
        assert client.get(f"{server.url}/form/admin/x", timeout=10).status_code == 403


def test_form_login_without_saved_request_is_408(server) -> None:
    with requests.Session() as client:
        client.get(f"{server.url}/form/open/x", timeout=10)
        response = client.post(
            f"{server.url}/form/j_security_check", data={"j_username": "alice", "j_password": "secret"}, timeout=10
        )
        assert response.status_code == 408
        assert "The time allowed for the login process has been exceeded" in response.text
    response = requests.post(
        f"{server.url}/form/j_security_check", data={"j_username": "alice", "j_password": "secret"}, timeout=10
    )
    assert response.status_code == 408


# -- DIGEST --------------------------------------------------------------------------


def test_digest_challenge_as_tomcat(server) -> None:
    response = get(server, "/digest/secure/x")
    assert response.status_code == 401
    challenges = response.raw.headers.getlist("WWW-Authenticate")
    assert [re.sub(r'nonce="[^"]*"|opaque="[^"]*"', "X", c) for c in challenges] == [
        'Digest realm="Test Realm", qop="auth", X, X, algorithm=SHA-256',
        'Digest realm="Test Realm", qop="auth", X, X, algorithm=MD5',
    ]


def test_digest_login_and_replay(server) -> None:
    with requests.Session() as client:
        client.auth = HTTPDigestAuth("alice", "secret")
        for _ in range(3):
            response = client.get(f"{server.url}/digest/secure/x?p=1", timeout=10)
            assert response.status_code == 200
            assert (response.json()["user"], response.json()["auth_type"]) == ("alice", "DIGEST")
        header = response.request.headers["Authorization"]
    replayed = get(server, "/digest/secure/x?p=1", headers={"Authorization": header})
    assert replayed.status_code == 401
    assert "stale=true" not in replayed.headers["WWW-Authenticate"]
    wrong = requests.get(f"{server.url}/digest/secure/x", auth=HTTPDigestAuth("alice", "nope"), timeout=10)
    assert wrong.status_code == 401


def digest_header(challenge: str, algorithm: str, uri: str, password: str = "secret", nc: str = "00000001") -> str:
    """An ``Authorization: Digest`` value computed here (RFC 7616), qop=auth."""
    nonce = re.search(r'nonce="([^"]+)"', challenge).group(1)
    opaque = re.search(r'opaque="([^"]+)"', challenge).group(1)
    name = {"MD5": "md5", "SHA-256": "sha256"}[algorithm]

    def h(text: str) -> str:
        return hashlib.new(name, text.encode()).hexdigest()

    answer = h(f"{h(f'alice:Test Realm:{password}')}:{nonce}:{nc}:c0ffee:auth:{h(f'GET:{uri}')}")
    return (
        f'Digest username="alice", realm="Test Realm", nonce="{nonce}", uri="{uri}", qop=auth, nc={nc}, '
        f'cnonce="c0ffee", response="{answer}", opaque="{opaque}", algorithm={algorithm}'
    )


def test_digest_sha256(server) -> None:
    challenge = get(server, "/digest/secure/x").raw.headers.getlist("WWW-Authenticate")[0]
    assert "algorithm=SHA-256" in challenge
    ok = get(
        server, "/digest/secure/x", headers={"Authorization": digest_header(challenge, "SHA-256", "/digest/secure/x")}
    )
    assert (ok.status_code, ok.json()["auth_type"]) == (200, "DIGEST")
    wrong = digest_header(challenge, "SHA-256", "/digest/secure/x", password="nope", nc="00000002")
    assert get(server, "/digest/secure/x", headers={"Authorization": wrong}).status_code == 401
    other_uri = digest_header(challenge, "SHA-256", "/digest/secure/y", nc="00000003")
    assert get(server, "/digest/secure/x", headers={"Authorization": other_uri}).status_code == 401


def test_digest_stale_nonce(server) -> None:
    challenge = get(server, "/stale/secure/x").raw.headers.getlist("WWW-Authenticate")[1]
    header = digest_header(challenge, "MD5", "/stale/secure/x")
    time.sleep(0.01)  # older than the context's nonceValidity of 1 ms
    response = get(server, "/stale/secure/x", headers={"Authorization": header})
    assert response.status_code == 401
    assert all(c.endswith(", stale=true") for c in response.raw.headers.getlist("WWW-Authenticate"))


def test_form_landing_page_and_save_limit(server) -> None:
    with requests.Session() as client:
        client.get(f"{server.url}/landing/login?do=session", timeout=10)
        response = client.post(
            f"{server.url}/landing/j_security_check",
            data={"j_username": "alice", "j_password": "secret"},
            timeout=10,
            allow_redirects=False,
        )
        assert (response.status_code, response.headers["Location"]) == (302, "/landing/open/landed")
        who = client.get(server.url + response.headers["Location"], timeout=10).json()
        assert (who["user"], who["servlet_path"]) == ("alice", "/open")
    big = requests.post(f"{server.url}/landing/secure/x", data={"p": "more than ten bytes"}, timeout=10)
    assert big.status_code == 403


def test_form_error_and_login_pages_are_forwarded_with_get(server) -> None:
    page = get(server, "/form/secure/x")
    assert page.status_code == 200 and "j_security_check" in page.text
    assert page.headers["Cache-Control"] == "private"


# -- WebSocket behind a login -------------------------------------------------------------


def test_websocket_handshake_refused_before_the_upgrade(server) -> None:
    with pytest.raises(InvalidStatus) as refused:
        connect(f"ws://127.0.0.1:{server.port}/basic/ws/whoami", open_timeout=10).close()
    assert refused.value.response.status_code == 401
    assert refused.value.response.headers["WWW-Authenticate"] == 'Basic realm="Test Realm"'
    with pytest.raises(InvalidStatus) as forbidden:
        connect(
            f"ws://127.0.0.1:{server.port}/basic/ws/whoami",
            additional_headers={"Authorization": basic("nobody", "pw")},
            open_timeout=10,
        ).close()
    assert forbidden.value.response.status_code == 403


def test_websocket_session_principal(server) -> None:
    with connect(
        f"ws://127.0.0.1:{server.port}/basic/ws/whoami",
        additional_headers={"Authorization": basic("alice", "secret")},
        open_timeout=10,
    ) as ws:
        assert ws.recv(timeout=10) == "principal=alice"
        ws.send("again")
        assert ws.recv(timeout=10) == "principal=alice"


def test_websocket_after_a_form_login_uses_the_session(server) -> None:
    with requests.Session() as client:
        client.get(f"{server.url}/form/secure/x", timeout=10)
        client.post(
            f"{server.url}/form/j_security_check", data={"j_username": "alice", "j_password": "secret"}, timeout=10
        )
        cookie = f"JSESSIONID={client.cookies.get('JSESSIONID')}"
    with connect(
        f"ws://127.0.0.1:{server.port}/form/ws/whoami", additional_headers={"Cookie": cookie}, open_timeout=10
    ) as ws:
        assert ws.recv(timeout=10) == "principal=alice"
    with pytest.raises(InvalidStatus) as refused:  # no cookie: the login page, not an upgrade
        connect(f"ws://127.0.0.1:{server.port}/form/ws/whoami", open_timeout=10).close()
    assert refused.value.response.status_code == 200


def test_json_of_unprotected_paths_has_no_user(server) -> None:
    who = json.loads(get(server, "/basic/open/x", auth=("alice", "secret")).text)
    assert who["user"] is None  # no constraint: BASIC credentials are not looked at (as Tomcat)
