"""Settings catalina_py cannot honour and must not ignore are errors
(unixDomainSocketPath; SSLEnabled with a certificate that cannot be
loaded); the Host's deployXML and deployIgnore,
which limit what gets deployed, are honoured."""

from __future__ import annotations

import shutil
import sys

import requests

from tests import tls_certs
from tests.ci import skip_or_fail
from tests.scripts.test_scripts import make_base, run
from tests.server import REPO, SERVER_XML


def _xml_with(connector_attrs: str) -> str:
    return SERVER_XML.replace('protocol="HTTP/1.1" {connector_attrs}', f'protocol="HTTP/1.1" {connector_attrs}')


def test_ssl_enabled_with_a_missing_certificate_is_a_config_error_in_configtest_and_at_start(tmp_path):
    xml = _xml_with('SSLEnabled="true"').replace(
        "/>\n    <Engine",
        '>\n      <SSLHostConfig>\n        <Certificate certificateFile="conf/none.pem"/>\n'
        "      </SSLHostConfig>\n    </Connector>\n    <Engine",
        1,
    )
    base, port = make_base(tmp_path, xml)
    result = run([sys.executable, "-m", "catalina_py", "configtest"], base)
    assert result.returncode == 1
    assert f"server.xml:6: certificateFile {base}/conf/none.pem: no such file" in result.stderr
    started = run([sys.executable, "-m", "catalina_py", "run"], base, timeout=60)
    assert started.returncode == 1
    assert "none.pem: no such file" in started.stdout + started.stderr
    assert "Server startup" not in started.stdout


def test_an_expired_certificate_is_a_warning_of_configtest_and_of_the_start_up_log(tmp_path):
    missing = tls_certs.missing_openssl()
    if missing:
        skip_or_fail(missing)
    pair = tls_certs.dated(tmp_path / "certs", "expired", "20200101000000Z", "20200201000000Z")
    xml = _xml_with('SSLEnabled="true"').replace(
        "/>\n    <Engine",
        f'>\n      <SSLHostConfig>\n        <Certificate certificateFile="{pair.cert}" certificateKeyFile="{pair.key}"/>\n'
        "      </SSLHostConfig>\n    </Connector>\n    <Engine",
        1,
    )
    base, _ = make_base(tmp_path, xml)
    warning = (
        f"server.xml:6: the certificate in {pair.cert} expired on 2020-02-01 00:00:00 UTC "
        "(valid from 2020-01-01 00:00:00 to 2020-02-01 00:00:00 UTC): clients will refuse it; renew it"
    )
    result = run([sys.executable, "-m", "catalina_py", "configtest"], base)
    assert result.returncode == 0, result.stderr
    assert f"WARNING: {base}/conf/{warning}" in result.stderr


def test_ssl_enabled_false_is_accepted_silently(tmp_path):
    base, _ = make_base(tmp_path, _xml_with('SSLEnabled="false"'))
    result = run([sys.executable, "-m", "catalina_py", "configtest"], base)
    assert result.returncode == 0, result.stderr
    assert "SSLEnabled" not in result.stderr


def test_unix_domain_socket_is_a_config_error(tmp_path):
    base, _ = make_base(tmp_path, _xml_with('unixDomainSocketPath="/tmp/x.sock"'))
    result = run([sys.executable, "-m", "catalina_py", "configtest"], base)
    assert result.returncode == 1
    assert "server.xml:4: unixDomainSocketPath: Unix domain sockets are not supported" in result.stderr


def test_bad_deploy_ignore_is_a_config_error(tmp_path):
    base, _ = make_base(tmp_path, SERVER_XML.replace('autoDeploy="false"', 'autoDeploy="false" deployIgnore="(x"'))
    result = run([sys.executable, "-m", "catalina_py", "configtest"], base)
    assert result.returncode == 1
    assert "server.xml:6: attribute deployIgnore of <Host> is not a regular expression" in result.stderr


def test_deploy_xml_false_blocks_a_webapp_with_its_own_context_xml(make_server):
    """The inspector's META-INF/context.xml makes it privileged: with
    deployXML="false" it is not deployed at all, as Tomcat 10.1 blocks a
    webapp whose META-INF/context.xml it may not read (the file may hold
    settings its security depends on); a descriptor in conf/ deploys it."""
    xml = SERVER_XML.replace('autoDeploy="false"', 'autoDeploy="false" deployXML="false"')
    server = make_server(webapps={"inspector": REPO / "webapps" / "inspector"}, server_xml=xml).start()
    answer = requests.get(f"{server.url}/inspector/api/status", timeout=10)
    assert answer.status_code == 503
    assert "prevented by the deployXML setting of this host" in server.output()
    assert "attribute deployXML" not in server.output()  # honoured, so no "not supported" warning


def test_deploy_ignore_skips_matching_folders(make_server, tmp_path):
    xml = SERVER_XML.replace('autoDeploy="false"', 'autoDeploy="false" deployIgnore="priv.*"')
    private = tmp_path / "private"
    private.mkdir()
    (private / "secret.txt").write_text("secret")
    server = make_server(
        webapps={"private": private, "privacy": private, "examples": REPO / "webapps" / "examples"}, server_xml=xml
    ).start()
    assert requests.get(f"{server.url}/private/secret.txt", timeout=10).status_code == 404
    assert requests.get(f"{server.url}/privacy/secret.txt", timeout=10).status_code == 404
    assert requests.get(f"{server.url}/examples/", timeout=10).status_code == 200
    shutil.rmtree(private)


def test_a_broken_security_constraint_is_an_error_not_an_open_door(tmp_path):
    base, _ = make_base(tmp_path)
    web_xml = base / "webapps" / "examples" / "WEB-INF" / "web.xml"
    text = web_xml.read_text()
    web_xml.write_text(
        text.replace(
            "</web-app>",
            "  <security-constraint>\n    <web-resource-collection><web-resource-name>admin</web-resource-name>"
            "<url-pattern>/admin/*</url-pattern></web-resource-collection>\n"
            "    <user-data-constraint><transport-guarantee>SECRET</transport-guarantee></user-data-constraint>\n"
            "  </security-constraint>\n</web-app>",
        )
    )
    line = web_xml.read_text().splitlines().index("  <security-constraint>") + 3
    result = run([sys.executable, "-m", "catalina_py", "configtest"], base)
    assert result.returncode == 1
    assert f"examples/WEB-INF/web.xml:{line}: <transport-guarantee> 'SECRET' is not NONE" in result.stderr
    assert "CONFIDENTIAL" in result.stderr


def test_configtest_reports_context_xml_problems(tmp_path):
    """configtest finds what deployment would refuse: a webapp whose
    META-INF/context.xml deployXML="false" blocks, a bad conf/context.xml."""
    xml = SERVER_XML.replace('autoDeploy="false"', 'autoDeploy="false" deployXML="false"')
    base, _ = make_base(tmp_path, xml)
    (base / "webapps" / "examples" / "META-INF").mkdir(exist_ok=True)
    (base / "webapps" / "examples" / "META-INF" / "context.xml").write_text("<Context/>\n")
    (base / "conf" / "context.xml").write_text("<Context>\n  <Manager maxActiveSessions='x'/>\n</Context>\n")
    result = run([sys.executable, "-m", "catalina_py", "configtest"], base)
    assert result.returncode == 1
    assert "The web application with context path [/examples] was not deployed" in result.stderr
    assert f"{base}/conf/context.xml:2: attribute maxActiveSessions of <Manager> must be an integer" in result.stderr
