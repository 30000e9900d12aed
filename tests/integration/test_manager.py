"""The Manager webapp on a running server (docs/deployment.md, "The
Manager"): every text command driven with ``curl``, with Tomcat 10.1's
answers word for word; the HTML page and its CSRF nonce with ``requests``;
the loopback-only valve; and a context that is not privileged getting no
deployer."""

from __future__ import annotations

import html
import shutil
import subprocess
import time
import zipfile
from pathlib import Path
from typing import Any

import requests

from tests.ci import skip_or_fail
from tests.server import REPO, SERVER_XML

#: SERVER_XML with Tomcat's UserDatabaseRealm over conf/tomcat-users.xml.
MANAGER_XML = SERVER_XML.replace(
    "  <Service",
    '  <GlobalNamingResources>\n    <Resource name="UserDatabase" auth="Container"'
    ' type="org.apache.catalina.UserDatabase" pathname="conf/tomcat-users.xml"/>\n'
    "  </GlobalNamingResources>\n  <Service",
).replace(
    '<Engine name="Catalina" defaultHost="localhost">',
    '<Engine name="Catalina" defaultHost="localhost">\n'
    '      <Realm className="org.apache.catalina.realm.UserDatabaseRealm" resourceName="UserDatabase"/>',
)
#: One user per Manager role, as Tomcat advises (docs/deployment.md, "The Manager").
USERS = """<?xml version="1.0" encoding="UTF-8"?>
<tomcat-users>
  <user username="script" password="s3cret-script" roles="manager-script"/>
  <user username="gui" password="s3cret-gui" roles="manager-gui"/>
</tomcat-users>
"""
SCRIPT = ("script", "s3cret-script")
GUI = ("gui", "s3cret-gui")
MANAGER = REPO / "webapps" / "manager"
EXAMPLES = REPO / "webapps" / "examples"
WEBAPPS = {"ROOT": REPO / "webapps" / "ROOT", "manager": MANAGER}
NONCE = "org.apache.catalina.filters.CSRF_NONCE"


def curl(server: Any, command: str, *args: str) -> str:
    """``curl`` the text interface; the answer's body (status must be 200)."""
    if shutil.which("curl") is None:
        skip_or_fail("curl is not installed")
    done = subprocess.run(
        [
            "curl",
            "-sS",
            "--max-time",
            "30",
            "-u",
            ":".join(SCRIPT),
            "-w",
            "\n%{http_code}",
            *args,
            f"{server.url}/manager/text/{command}",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    body, _, status = done.stdout.rpartition("\n")
    assert status == "200", f"{status}: {body}\n{server.output()[-2000:]}"
    return body


def manager_server(make_server: Any, server_xml: str = MANAGER_XML, webapps: Any = None) -> Any:
    """A server with the Manager (or *webapps*), the realm and its two users."""
    server = make_server(webapps=WEBAPPS if webapps is None else webapps, server_xml=server_xml)
    (server.base / "conf" / "tomcat-users.xml").write_text(USERS)
    return server


def hello_app(where: Path, title: str = "Hello app") -> Path:
    """A webapp folder with a display name and one static page."""
    (where / "WEB-INF").mkdir(parents=True)
    (where / "index.html").write_text("hello\n")
    (where / "WEB-INF" / "web.xml").write_text(
        '<web-app xmlns="https://jakarta.ee/xml/ns/jakartaee" version="6.0">'
        f"<display-name>{html.escape(title)}</display-name></web-app>\n"
    )
    return where


def status(server: Any, path: str) -> int:
    return requests.get(server.url + path, timeout=10).status_code


def test_text_commands_with_curl(make_server, tmp_path):
    server = manager_server(make_server).start()
    source = hello_app(tmp_path / "src" / "hello")
    app_base = server.base / "webapps"

    assert curl(server, "list") == (
        "OK - Listed applications for virtual host [localhost]\n/:running:0:ROOT\n/manager:running:0:manager\n"
    )
    info = curl(server, "serverinfo").splitlines()
    assert info[0] == "OK - Server info" and info[1].startswith("Tomcat Version: [catalina_py/")
    assert [line.split(":")[0] for line in info[2:]] == [
        "OS Name",
        "OS Version",
        "OS Architecture",
        "JVM Version",
        "JVM Vendor",
    ]

    # deploy a folder: copied into appBase, deployed, serving
    assert curl(server, f"deploy?path=/h&war=file:{source}") == "OK - Deployed application at context path [/h]\n"
    assert (app_base / "h" / "index.html").is_file()
    assert requests.get(server.url + "/h/", timeout=10).text == "hello\n"
    assert curl(server, f"deploy?path=/h&war=file:{source}") == "FAIL - Application already exists at path [/h]\n"
    assert "/h:running:0:h\n" in curl(server, "list")

    # stop: listed as stopped, requests refused; start: serving again
    assert curl(server, "stop?path=/h") == "OK - Stopped application at context path [/h]\n"
    assert "/h:stopped:0:h\n" in curl(server, "list")
    assert status(server, "/h/") == 503
    assert curl(server, "reload?path=/h").startswith("FAIL - Encountered exception [")
    assert curl(server, "start?path=/h") == "OK - Started application at context path [/h]\n"
    assert status(server, "/h/") == 200

    # reload picks up a change of web.xml (a new display name)
    (app_base / "h" / "WEB-INF" / "web.xml").write_text(
        '<web-app xmlns="https://jakarta.ee/xml/ns/jakartaee" version="6.0">'
        "<display-name>Hello again</display-name></web-app>\n"
    )
    assert curl(server, "reload?path=/h") == "OK - Reloaded application at context path [/h]\n"
    assert status(server, "/h/") == 200

    # the manager refuses to touch itself; bad and unknown input
    for command in ("reload", "stop", "undeploy"):
        assert (
            curl(server, f"{command}?path=/manager") == "FAIL - The manager cannot reload, stop, or undeploy itself\n"
        )
    assert curl(server, "reload?path=/nope") == "FAIL - No context exists named [&#47;nope]\n"
    assert curl(server, "sessions") == "FAIL - Invalid context path [null] was specified\n"
    assert curl(server, "stop?path=bad") == "FAIL - Invalid context path [bad] was specified\n"
    assert curl(server, "deploy?path=/x") == "FAIL - Invalid parameters supplied for command [/deploy]\n"
    assert curl(server, "nonsense") == "FAIL - Unknown command [/nonsense]\n"
    missing = tmp_path / "missing"
    assert curl(server, f"deploy?path=/nf&war=file:{missing}") == (
        f"FAIL - Unable to copy [{missing}] to [{app_base / 'nf'}], details of the error may be in the server logs\n"
    )

    # undeploy: gone from the list, its folder removed, the path answers 404
    assert curl(server, "undeploy?path=/h") == "OK - Undeployed application at context path [/h]\n"
    assert not (app_base / "h").exists()
    assert "/h:" not in curl(server, "list")
    assert status(server, "/h/") == 404
    assert curl(server, "undeploy?path=/h") == "FAIL - No context exists named [&#47;h]\n"

    # no path: the folder's name gives it
    assert curl(server, f"deploy?war=file:{source}") == "OK - Deployed application at context path [/hello]\n"


def test_sessions_and_expire(make_server):
    server = manager_server(make_server).start()
    assert curl(server, f"deploy?path=/ex&war=file:{EXAMPLES}") == "OK - Deployed application at context path [/ex]\n"
    for _ in range(3):  # three clients without cookies: three sessions
        assert requests.get(server.url + "/ex/servlets/sessions", timeout=10).status_code == 200
    assert "/ex:running:3:ex\n" in curl(server, "list")
    assert curl(server, "sessions?path=/ex") == (
        "OK - Session information for application at context path [/ex]\n"
        "Default maximum session inactive interval is [30] minutes\n"
        "Inactive for [<1] minutes: [3] sessions\n"
    )
    assert curl(server, "expire?path=/ex&idle=0") == (
        "OK - Session information for application at context path [/ex]\n"
        "Default maximum session inactive interval is [30] minutes\n"
        "Inactive for [<1] minutes: [3] sessions\n"
        "Inactive for [>0] minutes: [3] sessions were expired\n"
    )
    assert "/ex:running:0:ex\n" in curl(server, "list")


def test_deploy_config_and_update(make_server, tmp_path):
    server = manager_server(make_server).start()
    first = hello_app(tmp_path / "first", "First")
    second = hello_app(tmp_path / "second", "Second")
    (second / "index.html").write_text("second\n")
    descriptor = tmp_path / "ctx.xml"
    descriptor.write_text(f'<Context docBase="{first}"/>\n')
    copied = server.base / "conf" / "Catalina" / "localhost" / "cfg.xml"

    assert curl(server, f"deploy?path=/cfg&config=file:{descriptor}") == (
        "OK - Deployed application at context path [/cfg]\n"
    )
    assert copied.read_text() == descriptor.read_text()
    assert requests.get(server.url + "/cfg/", timeout=10).text == "hello\n"
    assert curl(server, "undeploy?path=/cfg") == "OK - Undeployed application at context path [/cfg]\n"
    assert not copied.exists() and first.is_dir()  # the descriptor goes, the docBase outside appBase stays

    assert curl(server, f"deploy?path=/u&war=file:{first}") == "OK - Deployed application at context path [/u]\n"
    assert curl(server, f"deploy?path=/u&war=file:{second}&update=true") == (
        "OK - Deployed application at context path [/u]\n"
    )
    assert requests.get(server.url + "/u/", timeout=10).text == "second\n"


def test_put_a_war(make_server, tmp_path):
    """``PUT /manager/text/deploy?path=`` with a WAR body: stored in
    appBase as Tomcat does, then deployed by the WAR deployer."""
    server = manager_server(make_server).start()
    war = tmp_path / "hello.war"
    with zipfile.ZipFile(war, "w") as archive:
        archive.writestr("index.html", "from a war\n")
        archive.writestr("WEB-INF/web.xml", '<web-app xmlns="https://jakarta.ee/xml/ns/jakartaee" version="6.0"/>\n')
    assert curl(server, "deploy?path=/put", "-T", str(war)) == "OK - Deployed application at context path [/put]\n"
    assert (server.base / "webapps" / "put.war").is_file()
    assert requests.get(server.url + "/put/", timeout=10).text == "from a war\n"
    assert curl(server, "deploy?path=/put", "-T", str(war)) == "FAIL - Application already exists at path [/put]\n"
    assert curl(server, "deploy?path=/put&update=true", "-T", str(war)) == (
        "OK - Deployed application at context path [/put]\n"
    )
    assert curl(server, f"deploy?path=/w&war=file:{war}") == "OK - Deployed application at context path [/w]\n"
    assert curl(server, "undeploy?path=/put") == "OK - Undeployed application at context path [/put]\n"
    assert not (server.base / "webapps" / "put.war").exists()


def nonce_of(page: str) -> str:
    marker = f'name="{NONCE}" value="'
    start = page.index(marker) + len(marker)
    return page[start : page.index('"', start)]


def test_html_page_and_csrf(make_server, tmp_path):
    server = manager_server(make_server).start()
    curl(server, f"deploy?path=/h&war=file:{hello_app(tmp_path / 'hello', 'Hello <b>app</b>')}")
    browser = requests.Session()
    browser.auth = GUI
    page = browser.get(f"{server.url}/manager/html", timeout=10)
    assert page.status_code == 200 and page.headers["X-Frame-Options"] == "DENY"
    assert "<td>Hello &lt;b&gt;app&lt;/b&gt;</td>" in page.text  # escaped
    assert 'action="/manager/html/stop?path=/h"' in page.text
    nonce = nonce_of(page.text)

    # a POST without the nonce, or with a wrong one, is refused and does nothing
    assert browser.post(f"{server.url}/manager/html/stop?path=/h", timeout=10).status_code == 403
    forged = browser.post(f"{server.url}/manager/html/stop?path=/h", data={NONCE: "0" * 32}, timeout=10)
    assert forged.status_code == 403
    # a nonce of another session is no good either
    other = requests.get(f"{server.url}/manager/html", auth=GUI, timeout=10)
    assert (
        browser.post(
            f"{server.url}/manager/html/stop?path=/h", data={NONCE: nonce_of(other.text)}, timeout=10
        ).status_code
        == 403
    )
    assert status(server, "/h/") == 200

    # with the page's nonce it works
    done = browser.post(f"{server.url}/manager/html/stop?path=/h", data={NONCE: nonce}, timeout=10)
    assert done.status_code == 200
    assert '<span id="message">OK - Stopped application at context path [/h]</span>' in done.text
    assert status(server, "/h/") == 503

    # a state-changing URL by GET is refused, even with a valid nonce
    nonce = nonce_of(done.text)
    by_get = browser.get(f"{server.url}/manager/html/start?path=/h&{NONCE}={nonce}", timeout=10)
    assert "POST is required" in by_get.text and status(server, "/h/") == 503
    started = browser.post(f"{server.url}/manager/html/start?path=/h", data={NONCE: nonce_of(by_get.text)}, timeout=10)
    assert "OK - Started application at context path [/h]" in started.text and status(server, "/h/") == 200

    # the sessions page needs a nonce too
    assert browser.get(f"{server.url}/manager/html/sessions?path=/h", timeout=10).status_code == 403
    sessions = browser.get(f"{server.url}/manager/html/sessions?path=/h&{NONCE}={nonce_of(started.text)}", timeout=10)
    assert "Session information for application at context path [/h]" in sessions.text


def test_remote_addr_valve_refuses_other_addresses(make_server):
    """The loopback-only valve as shipped, turned round: a descriptor whose
    valve denies 127.x makes every Manager URL answer 403 before the Manager
    runs."""
    server = manager_server(make_server, webapps={"ROOT": REPO / "webapps" / "ROOT"})
    descriptors = server.base / "conf" / "Catalina" / "localhost"
    descriptors.mkdir(parents=True)
    (descriptors / "manager.xml").write_text(
        f'<Context docBase="{MANAGER}" privileged="true">\n'
        '  <Valve className="org.apache.catalina.valves.RemoteAddrValve" deny="127\\.\\d+\\.\\d+\\.\\d+"/>\n'
        "</Context>\n"
    )
    server.start()
    assert requests.get(f"{server.url}/manager/text/list", auth=SCRIPT, timeout=10).status_code == 403
    assert requests.get(f"{server.url}/manager/html", auth=GUI, timeout=10).status_code == 403
    assert requests.get(f"{server.url}/", timeout=10).status_code == 200


def test_a_context_that_is_not_privileged_gets_no_deployer(make_server, tmp_path):
    plain = tmp_path / "manager"
    shutil.copytree(MANAGER, plain)
    (plain / "META-INF" / "context.xml").write_text('<Context privileged="false"/>\n')
    server = manager_server(make_server, webapps={"ROOT": REPO / "webapps" / "ROOT", "manager": plain}).start()
    answer = requests.get(f"{server.url}/manager/text/list", auth=SCRIPT, timeout=10)
    assert answer.status_code == 503 and answer.text.startswith("FAIL - The Manager needs a privileged context")
    assert "needs a privileged context" in server.output()


def test_a_stopped_webapp_stays_stopped_when_its_files_change(make_server, tmp_path):
    """autoDeploy does not restart what the Manager stopped (Tomcat's
    background reload skips a stopped context); a marker folder deployed
    after the change shows the checks ran."""
    auto = MANAGER_XML.replace('autoDeploy="false"', 'autoDeploy="true" backgroundProcessorDelay="1"')
    server = manager_server(make_server, server_xml=auto).start()
    assert curl(server, f"deploy?path=/h&war=file:{hello_app(tmp_path / 'hello')}").startswith("OK - Deployed")
    assert curl(server, "stop?path=/h") == "OK - Stopped application at context path [/h]\n"
    (server.base / "webapps" / "h" / "WEB-INF" / "web.xml").write_text(
        '<web-app xmlns="https://jakarta.ee/xml/ns/jakartaee" version="6.0"><display-name>Changed</display-name></web-app>\n'
    )
    hello_app(server.base / "webapps" / "marker")
    deadline = time.monotonic() + 20
    while "/marker:running" not in curl(server, "list"):
        assert time.monotonic() < deadline, server.output()[-2000:]
        time.sleep(0.2)
    assert "/h:stopped:0:h\n" in curl(server, "list")
    assert status(server, "/h/") == 503


def test_each_interface_needs_its_role(make_server):
    """BASIC login as Tomcat ships the Manager: no credentials -> 401 with
    the challenge, a wrong password -> 401, the other interface's role ->
    403; nothing of the Manager runs before that."""
    server = manager_server(make_server).start()
    text, page = f"{server.url}/manager/text/list", f"{server.url}/manager/html"
    anonymous = requests.get(text, timeout=10)
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"] == 'Basic realm="catalina_py Manager Application"'
    assert requests.get(text, auth=("script", "wrong"), timeout=10).status_code == 401
    assert requests.get(text, auth=GUI, timeout=10).status_code == 403
    assert requests.get(page, auth=SCRIPT, timeout=10).status_code == 403
    assert requests.get(page, timeout=10).status_code == 401
    assert requests.get(text, auth=SCRIPT, timeout=10).text.startswith("OK - Listed applications")
