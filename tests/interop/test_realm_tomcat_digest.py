"""Stored passwords made by the real Tomcat 10.1 (``bin/digest.sh``) are
verified by catalina_py's credential handlers, directly and through a
UserDatabaseRealm over a tomcat-users.xml holding them, so a file written
for Tomcat works unchanged."""

from __future__ import annotations

import os
import subprocess

import pytest

from catalina_py.realm.credential import CredentialHandler, MessageDigestCredentialHandler, SecretKeyCredentialHandler
from catalina_py.realm.user_database import UserDatabaseRealm
from tests.ci import skip_or_fail
from tests.tomcat import TOMCAT_HOME

DIGEST_SH = TOMCAT_HOME / "bin" / "digest.sh"
# digest.sh passes its arguments through the shell again: no spaces, no "$".
PASSWORDS = ["secret", "pässwörd", "with:colon", "x"]
SK = "org.apache.catalina.realm.SecretKeyCredentialHandler"

CASES: list[tuple[list[str], CredentialHandler]] = [
    (["-a", "SHA-256", "-i", "1000", "-s", "16"], MessageDigestCredentialHandler("SHA-256")),
    (["-a", "SHA-512"], MessageDigestCredentialHandler("SHA-512")),
    (["-a", "MD5", "-s", "0"], MessageDigestCredentialHandler("MD5")),
    (["-a", "SHA-1", "-s", "0", "-i", "3"], MessageDigestCredentialHandler("SHA-1")),
    (
        ["-h", SK, "-a", "PBKDF2WithHmacSHA256", "-i", "1000", "-s", "16", "-k", "256"],
        SecretKeyCredentialHandler("PBKDF2WithHmacSHA256"),
    ),
    (
        ["-h", SK, "-a", "PBKDF2WithHmacSHA512", "-i", "500", "-k", "512"],
        SecretKeyCredentialHandler("PBKDF2WithHmacSHA512"),
    ),
    (["-h", SK, "-i", "100"], SecretKeyCredentialHandler()),
]


def tomcat_digest(args: list[str]) -> dict[str, str]:
    """password -> stored form, as Tomcat's digest.sh prints them."""
    if not DIGEST_SH.exists():
        skip_or_fail(f"Tomcat 10.1 is not installed ({DIGEST_SH} is missing)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CATALINA_")}
    env["CATALINA_HOME"] = str(TOMCAT_HOME)  # bin/test.sh sets ours
    command = [str(DIGEST_SH), *args, *PASSWORDS]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, env=env, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = [line for line in result.stdout.splitlines() if line.strip()][-len(PASSWORDS) :]
    forms: dict[str, str] = {}
    for password, line in zip(PASSWORDS, lines, strict=True):
        assert line.startswith(password + ":"), (line, result.stderr)
        forms[password] = line[len(password) + 1 :]
    return forms


@pytest.mark.parametrize(("args", "handler"), CASES, ids=[" ".join(a) for a, _ in CASES])
def test_tomcat_stored_forms_verify(tmp_path, args: list[str], handler: CredentialHandler) -> None:
    forms = tomcat_digest(args)
    for password, stored in forms.items():
        assert handler.matches(password, stored), (password, stored)
        assert not handler.matches(password + "x", stored)
    users = "".join(
        f'<user username="u{index}" password="{stored.replace("$", "&#36;")}" roles="r"/>\n'
        for index, stored in enumerate(forms.values())
    )
    path = tmp_path / "tomcat-users.xml"
    path.write_text(f'<tomcat-users xmlns="http://tomcat.apache.org/xml" version="1.0">\n{users}</tomcat-users>\n')
    realm = UserDatabaseRealm(str(path))
    realm.credential_handler = handler
    realm.start()
    for index, password in enumerate(forms):
        principal = realm.authenticate(f"u{index}", password)
        assert principal is not None and principal.has_role("r")
        assert realm.authenticate(f"u{index}", "wrong") is None


def test_tomcats_own_server_xml_and_users_file_are_read() -> None:
    """The realm part of Tomcat's stock server.xml is read as-is (no warning
    about it), and its stock tomcat-users.xml (every user commented out)
    gives no user."""
    from catalina_py.config.server_xml import load_server_xml
    from catalina_py.realm.user_database import load_users
    from tests.tomcat import TOMCAT_CONF

    if not (TOMCAT_CONF / "server.xml").exists() or not (TOMCAT_CONF / "tomcat-users.xml").exists():
        skip_or_fail(f"Tomcat 10.1's configuration is not installed in {TOMCAT_CONF}")
    config, warnings = load_server_xml(str(TOMCAT_CONF / "server.xml"), {})
    about_realms = [w for w in warnings if "<Realm" in w.message or "<Resource" in w.message or "Naming" in w.message]
    assert about_realms == [], warnings
    assert config.user_databases["UserDatabase"].pathname == "conf/tomcat-users.xml"
    realm = config.services[0].engine.realm
    assert realm is not None and realm.kind == "LockOut"
    assert [inner.kind for inner in realm.nested] == ["UserDatabase"]
    database, user_warnings = load_users(str(TOMCAT_CONF / "tomcat-users.xml"))
    assert dict(database.users) == {} and user_warnings == []
