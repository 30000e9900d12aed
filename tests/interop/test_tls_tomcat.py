"""The TLS Connector beside a real Tomcat 10.1 with the same PEM
certificate: what each answers to plain HTTP on the TLS port, to bytes
that are neither, to a client that sends nothing, to TLS 1.1, and what a
servlet (a JSP on Tomcat) sees of the scheme. docs/deployment.md "How it
behaves, and how it compares with Tomcat 10.1" is this test's table.

Skipped when tomcat10, javac or openssl is missing, unless ``CI=true``
(then it fails): ``.ci/run`` installs them.
"""

from __future__ import annotations

import re
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests import tls_certs
from tests.ci import skip_or_fail
from tests.server import TEST_WEBAPPS, CatalinaProcess
from tests.tomcat import TomcatProcess, missing_tomcat, stock_server_xml

_MISSING = missing_tomcat() or tls_certs.missing_openssl()

if _MISSING is not None:
    skip_or_fail(f"TLS comparison with Tomcat 10.1 not run: {_MISSING}", module=True)

#: connectionTimeout of both (ms): how long a silent client is kept.
TIMEOUT_MS = 3000

OURS = """<?xml version="1.0" encoding="UTF-8"?>
<Server port="{shutdown_port}" shutdown="SHUTDOWN">
  <Service name="Catalina">
    <Connector port="{port}" address="127.0.0.1" SSLEnabled="true" connectionTimeout="%(timeout)d">
      <SSLHostConfig>
        <Certificate certificateFile="%(cert)s" certificateKeyFile="%(key)s"/>
      </SSLHostConfig>
    </Connector>
    <Engine name="Catalina" defaultHost="localhost">
      <Host name="localhost" appBase="webapps" autoDeploy="false"/>
    </Engine>
  </Service>
</Server>
"""

JSP = (
    '<%@ page contentType="application/json" %>{"scheme": "<%= request.getScheme() %>", '
    '"secure": <%= request.isSecure() %>, "server_port": <%= request.getServerPort() %>}'
)


def _tomcat_xml(cert: Path, key: Path) -> str:
    """Debian's server.xml with its Connector made a TLS one (no scheme or
    secure attributes: their defaults are compared)."""
    text = stock_server_xml(0).replace("{", "{{").replace("}", "}}")
    text = text.replace('connectionTimeout="20000"', f'connectionTimeout="{TIMEOUT_MS}"')
    text, count = re.subn(
        r'(<Connector address="127.0.0.1" port=)"0"([^>]*?)/>',
        r'\1"{port}" SSLEnabled="true"\2>'
        f'<SSLHostConfig><Certificate certificateFile="{cert}" certificateKeyFile="{key}"/></SSLHostConfig>'
        "</Connector>",
        text,
    )
    assert count == 1
    return text


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[CatalinaProcess, TomcatProcess, Path]]:
    """(catalina_py, Tomcat, the certificate): both on TLS with one certificate."""
    if _MISSING is not None:
        pytest.fail(f"CI=true but the TLS comparison cannot run: {_MISSING}")
    base = tmp_path_factory.mktemp("tls_tomcat")
    pair = tls_certs.self_signed(base / "certs")
    jsp = base / "jsp"
    jsp.mkdir()
    (jsp / "info.jsp").write_text(JSP)
    tomcat = TomcatProcess(base / "tomcat", {"tls": jsp}, server_xml=_tomcat_xml(pair.cert, pair.key))
    ours = CatalinaProcess(
        base / "ours",
        webapps={"tls": TEST_WEBAPPS / "tls"},
        server_xml=OURS % {"timeout": TIMEOUT_MS, "cert": pair.cert, "key": pair.key},
    )
    tomcat.start()
    try:
        ours.start()
        try:
            yield ours, tomcat, pair.cert
        finally:
            ours.stop()
    finally:
        tomcat.stop()


def _exchange(port: int, data: bytes) -> bytes:
    """Send *data* in clear text; everything until the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT_MS / 1000 * 5) as sock:
        if data:
            sock.sendall(data)
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except ConnectionResetError:
            pass
        return received


def _s_client(port: int, *args: str) -> str:
    done = subprocess.run(
        [tls_certs.OPENSSL, "s_client", "-connect", f"127.0.0.1:{port}", *args],
        input=b"",
        capture_output=True,
        timeout=30,
    )
    return (done.stdout + done.stderr).decode("utf-8", "replace")


@pytest.mark.parametrize(
    "request_bytes",
    [b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", b"GET /x HTTP/1.0\r\n\r\n", b"GET /x HTTP/1.1\n"],
)
def test_plain_http_gets_the_same_answer(servers, request_bytes):
    ours, tomcat, _ = servers
    theirs, mine = _exchange(tomcat.port, request_bytes), _exchange(ours.port, request_bytes)
    assert theirs.startswith(b"HTTP/1.1 400 \r\n"), theirs
    assert mine.startswith(b"HTTP/1.1 400 Bad Request\r\n"), mine  # our status lines carry the reason
    assert mine.split(b"\r\n", 1)[1] == theirs.split(b"\r\n", 1)[1]


@pytest.mark.parametrize("data", [b"GET /", b"hello world\r\n"])
def test_neither_tls_nor_a_request_line_gets_no_http_answer(servers, data):
    ours, tomcat, _ = servers
    theirs, mine = _exchange(tomcat.port, data), _exchange(ours.port, data)
    assert not theirs.startswith(b"HTTP/") and theirs[:1] == b"\x15", theirs  # a TLS alert record
    assert not mine.startswith(b"HTTP/"), mine  # OpenSSL closes without an alert


def test_a_silent_client_is_closed_without_a_byte(servers):
    ours, tomcat, _ = servers
    assert _exchange(tomcat.port, b"") == b""
    assert _exchange(ours.port, b"") == b""


def test_the_same_protocols(servers):
    ours, tomcat, cert = servers
    for port in (ours.port, tomcat.port):
        assert "New, TLSv1.3," in _s_client(port, "-CAfile", str(cert))
        assert "New, TLSv1.2," in _s_client(port, "-CAfile", str(cert), "-tls1_2")
        refused = _s_client(port, "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0")
        assert "alert protocol version" in refused, refused


def test_the_same_scheme_and_security_without_the_attributes(servers):
    ours, tomcat, cert = servers
    theirs = requests.get(f"https://localhost:{tomcat.port}/tls/info.jsp", verify=cert, timeout=30).json()
    mine = requests.get(f"https://localhost:{ours.port}/tls/info", verify=cert, timeout=30).json()
    assert theirs == {"scheme": "https", "secure": True, "server_port": tomcat.port}
    assert {key: mine[key] for key in theirs} == {"scheme": "https", "secure": True, "server_port": ours.port}


def test_alpn(servers):
    ours, tomcat, cert = servers
    assert "No ALPN negotiated" in _s_client(tomcat.port, "-CAfile", str(cert), "-alpn", "http/1.1")
    assert "ALPN protocol: http/1.1" in _s_client(ours.port, "-CAfile", str(cert), "-alpn", "http/1.1")
    # A client offering only h2 talks HTTP/1.1 to either.
    assert "No ALPN negotiated" in _s_client(ours.port, "-CAfile", str(cert), "-alpn", "h2")
