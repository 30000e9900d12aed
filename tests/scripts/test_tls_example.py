"""The TLS Connector the shipped conf/server.xml has commented out, with
the certificate docs/deployment.md tells how to make: uncommented as the
comment says, ``configtest`` accepts it and the server serves HTTPS."""

from __future__ import annotations

import re
import sys

import requests

from tests import tls_certs
from tests.ci import skip_or_fail
from tests.scripts.test_scripts import run
from tests.server import REPO, free_port


def test_the_shipped_tls_example_uncommented(tmp_path):
    missing = tls_certs.missing_openssl()
    if missing:
        skip_or_fail(missing)
    base = tmp_path / "base"
    (base / "conf").mkdir(parents=True)
    (base / "webapps").mkdir()
    text = (REPO / "conf" / "server.xml").read_text()
    # "delete the two comment lines around it"
    text, count = re.subn(
        r"\n    <!--\n(    <Connector port=\"8443\".*?</Connector>\n)    -->\n", r"\n\1", text, flags=re.S
    )
    assert count == 1
    port = free_port()
    text = text.replace('port="8443"', f'port="{port}"')
    text = text.replace('port="8080"', f'port="{free_port()}"').replace('port="8005"', f'port="{free_port()}"')
    (base / "conf" / "server.xml").write_text(text)
    # docs/deployment.md's command
    tls_certs.openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "365",
        "-keyout", "conf/localhost-key.pem", "-out", "conf/localhost-cert.pem",
        "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        cwd=base,
    )  # fmt: skip
    result = run([sys.executable, "-m", "catalina_py", "configtest"], base)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING" not in result.stderr
    started = run([sys.executable, "-m", "catalina_py", "start"], base, timeout=60)
    try:
        assert started.returncode == 0, started.stdout
        answer = requests.get(f"https://localhost:{port}/", verify=base / "conf" / "localhost-cert.pem", timeout=10)
        assert answer.status_code == 404  # no webapp in this base: but over TLS, from the container
    finally:
        run([sys.executable, "-m", "catalina_py", "stop"], base, timeout=60)
