"""``<SSLHostConfig>``/``<Certificate>`` read from server.xml, and the SSL
contexts built from them (connector/tls.py ServerTls): every mistake is a
ConfigError at the element's file:line that says what is wrong, an expired
certificate a warning with its dates. Certificates are made with the
openssl command; no socket is opened."""

from __future__ import annotations

import json
import os
import shutil
import ssl
import tempfile
from pathlib import Path

import pytest

from catalina_py.config.connector_spec import ConnectorSpec
from catalina_py.config.server_xml import load_server_xml
from catalina_py.config.ssl_host_config import DEFAULT_CIPHERS, parse_protocols
from catalina_py.config.x509_dates import certificate_validity
from catalina_py.connector.tls import ServerTls
from catalina_py.errors import ConfigError
from catalina_py.http.tls_sniff import is_plain_http
from catalina_py.sockets import is_tls
from tests import tls_certs
from tests.ci import skip_or_fail

_ON_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with: server.pem/server-key.pem (self-signed), other-key.pem
    (an unrelated key), enc-key.pem (encrypted with "secret"), enc.pem (its
    certificate), a chain (root, intermediate, leaf), expired.pem and future.pem."""
    missing = tls_certs.missing_openssl()
    if missing:
        skip_or_fail(missing)
    folder = tmp_path_factory.mktemp("certs")
    tls_certs.self_signed(folder)
    tls_certs.new_key(folder, "other")
    key = tls_certs.new_key(folder, "enc", password="secret")
    tls_certs.openssl(
        "req", "-x509", "-new", "-key", str(key), "-passin", "pass:secret", "-days", "30", "-subj", "/CN=enc",
        "-out", str(folder / "enc.pem"), cwd=folder,
    )  # fmt: skip
    tls_certs.chain(folder)
    tls_certs.dated(folder, "expired", "20200101000000Z", "20200201000000Z")
    tls_certs.dated(folder, "future", "20990101000000Z", "20990201000000Z")
    (folder / "password.txt").write_text("secret\n")
    (folder / "garbage.pem").write_text("this is no certificate\n")
    text = (folder / "server.pem").read_text()
    (folder / "damaged.pem").write_text(text[:60] + "!!!!" + text[64:])
    return folder


SERVER = """<?xml version="1.0"?>
<Server port="-1">
  <Service name="Catalina">
    <Connector port="8443" {attrs}>
{body}
    </Connector>
    <Engine name="Catalina" defaultHost="localhost"><Host name="localhost"/></Engine>
  </Service>
</Server>
"""


def _load(tmp_path: Path, body: str, attrs: str = 'SSLEnabled="true"') -> tuple[ConnectorSpec, list[str], Path]:
    conf = tmp_path / "conf"
    conf.mkdir(exist_ok=True)
    path = conf / "server.xml"
    path.write_text(SERVER.format(attrs=attrs, body=body))
    config, warnings = load_server_xml(str(path), {"catalina.base": str(tmp_path)})
    return config.services[0].connectors[0], [str(w) for w in warnings], path


def _host(certificate: str, host_attrs: str = "") -> str:
    return f"      <SSLHostConfig {host_attrs}>\n        <Certificate {certificate}/>\n      </SSLHostConfig>"


def _error(tmp_path: Path, body: str, attrs: str = 'SSLEnabled="true"') -> ConfigError:
    """The ConfigError reading the file, or else building its contexts, raises."""
    with pytest.raises(ConfigError) as caught:
        spec, _, _ = _load(tmp_path, body, attrs)
        ServerTls(spec)
    return caught.value


def _cert(certs: Path, cert: str = "server.pem", key: str = "server-key.pem", extra: str = "") -> str:
    return f'certificateFile="{certs / cert}" certificateKeyFile="{certs / key}" {extra}'


# -- reading -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("TLSv1.2+TLSv1.3", ("TLSv1.2", "TLSv1.3")),
        ("+TLSv1.2 +TLSv1.3", ("TLSv1.2", "TLSv1.3")),
        ("TLSv1.2,TLSv1.3", ("TLSv1.2", "TLSv1.3")),
        ("all -TLSv1 -TLSv1.1", ("TLSv1.2", "TLSv1.3")),
        ("all", ("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")),
        ("tlsv1.3", ("TLSv1.3",)),
        ("SSLv2Hello+TLSv1.2", ("TLSv1.2",)),
    ],
)
def test_protocols_as_tomcat_writes_them(text, expected) -> None:
    assert parse_protocols(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("TLSv1+TLSv1.2", "leaves a gap between TLSv1 and TLSv1.2"),
        ("SSLv3", "unknown protocol 'SSLv3'"),
        ("all -all", "enables no protocol"),
        ("", "is not a list of protocols"),
    ],
)
def test_protocols_that_cannot_be_configured(text, message) -> None:
    result = parse_protocols(text)
    assert isinstance(result, str) and message in result


def test_defaults_and_relative_paths(tmp_path, certs) -> None:
    (tmp_path / "conf").mkdir()
    for name in ("server.pem", "server-key.pem"):
        (tmp_path / "conf" / name).write_bytes((certs / name).read_bytes())
    spec, warnings, _ = _load(
        tmp_path, _host('certificateFile="conf/server.pem" certificateKeyFile="conf/server-key.pem"')
    )
    assert warnings == []
    assert (spec.ssl_enabled, spec.scheme, spec.secure) == (True, "https", True)  # as Tomcat 10.1
    [host] = spec.ssl_host_configs
    assert host.host_name == "_default_"
    assert host.protocols == ("TLSv1.2", "TLSv1.3")
    assert host.ciphers == DEFAULT_CIPHERS
    assert host.certificate_verification == "none"
    [cert] = host.certificates
    assert cert.certificate_file == str(tmp_path / "conf" / "server.pem")
    assert cert.certificate_key_file == str(tmp_path / "conf" / "server-key.pem")
    tls = ServerTls(spec)
    assert tls.warnings == []
    assert tls.default.minimum_version == ssl.TLSVersion.TLSv1_2
    assert tls.default.maximum_version == ssl.TLSVersion.TLSv1_3


def test_explicit_scheme_and_secure_win(tmp_path, certs) -> None:
    spec, _, _ = _load(tmp_path, _host(_cert(certs)), 'SSLEnabled="true" scheme="http" secure="false"')
    assert (spec.scheme, spec.secure) == ("http", False)


def test_the_key_defaults_to_the_certificate_file(tmp_path, certs) -> None:
    both = tmp_path / "both.pem"
    both.write_text((certs / "server-key.pem").read_text() + (certs / "server.pem").read_text())
    spec, _, _ = _load(tmp_path, _host(f'certificateFile="{both}"'))
    assert spec.ssl_host_configs[0].certificates[0].certificate_key_file == str(both)
    ServerTls(spec)


def test_ssl_host_config_without_ssl_enabled_is_a_warning(tmp_path, certs) -> None:
    spec, warnings, path = _load(tmp_path, _host(_cert(certs)), "")
    assert spec.ssl_enabled is False and spec.scheme == "http" and spec.secure is False
    assert warnings == [
        f'{path}:5: <SSLHostConfig> on a Connector without SSLEnabled="true": not used, the Connector serves '
        "plain HTTP"
    ]


def test_sni_contexts_and_wildcards(tmp_path, certs) -> None:
    body = _host(_cert(certs)) + "\n" + _host(_cert(certs), 'hostName="*.Example.com"') + "\n"
    body += _host(_cert(certs), 'hostName="www.test"')
    spec, _, _ = _load(tmp_path, body)
    tls = ServerTls(spec)
    assert tls.context_for("www.test") is tls.contexts["www.test"]
    assert tls.context_for("WWW.TEST.") is tls.contexts["www.test"]
    assert tls.context_for("a.example.com") is tls.contexts["*.example.com"]
    assert tls.context_for("a.b.example.com") is tls.default
    assert tls.context_for(None) is tls.default
    assert tls.default.sni_callback is not None


# -- errors at the right line --------------------------------------------------


@pytest.mark.parametrize(
    ("attrs", "names"),
    [
        ('protocols="TLSv1.3"', "protocols"),
        ('ciphers="HIGH"', "ciphers"),
        ('certificateVerification="required"', "certificateVerification"),
        ('honorCipherOrder="true" certificateVerification="optional"', "honorCipherOrder, certificateVerification"),
    ],
)
def test_settings_openssl_fixes_before_sni_must_be_the_default_ones(tmp_path, certs, attrs, names) -> None:
    # Python switches only the certificate of a connection in the SNI
    # callback: a name with stricter settings would be served with the default's.
    error = _error(tmp_path, _host(_cert(certs)) + "\n" + _host(_cert(certs), f'hostName="b.test" {attrs}'))
    assert error.line == 8
    assert error.message.startswith(f'{names} of <SSLHostConfig hostName="b.test"> differ from those of the default')


def test_ssl_enabled_without_ssl_host_config(tmp_path) -> None:
    error = _error(tmp_path, "")
    assert (error.line, error.message) == (4, 'SSLEnabled="true" but the <Connector> has no <SSLHostConfig>')
    assert "<SSLHostConfig><Certificate certificateFile=" in (error.hint or "")


def test_missing_certificate_file(tmp_path, certs) -> None:
    error = _error(tmp_path, _host(_cert(certs, cert="nothing.pem")))
    assert error.line == 6
    assert error.message == f"certificateFile {certs / 'nothing.pem'}: no such file"
    assert str(error).startswith(f"{tmp_path / 'conf' / 'server.xml'}:6: certificateFile")


def test_a_folder_given_as_certificate_file(tmp_path, certs) -> None:
    error = _error(tmp_path, _host(f'certificateFile="{certs}"'))
    assert (error.line, error.message) == (6, f"certificateFile {certs} is not a file")


def _error_as_nobody(base: Path, body: str) -> tuple[int | None, str]:
    """:func:`_error` in a forked child that runs as ``nobody`` (uid and gid
    65534): root reads every file, so a test run as root (CI) checks an
    unreadable file through a process that cannot read it. (line, message)."""
    conf = base / "conf"
    conf.mkdir()
    conf.chmod(0o755)
    path = conf / "server.xml"
    path.write_text(SERVER.format(attrs='SSLEnabled="true"', body=body))
    path.chmod(0o644)
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: drop root, read the configuration, report, exit
        try:
            os.close(reader)
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            try:
                config, _ = load_server_xml(str(path), {"catalina.base": str(base)})
                ServerTls(config.services[0].connectors[0])
                result = [None, "no ConfigError"]
            except ConfigError as error:
                result = [error.line, error.message]
            os.write(writer, json.dumps(result).encode())
        except BaseException as exc:  # reported to the parent, which fails the test
            os.write(writer, json.dumps([None, f"{type(exc).__name__}: {exc}"]).encode())
        finally:
            os._exit(0)
    os.close(writer)
    with os.fdopen(reader, "rb") as answer:
        data = answer.read()
    os.waitpid(pid, 0)
    line, message = json.loads(data)
    return line, message


def test_unreadable_key_file(tmp_path, certs) -> None:
    key_text = (certs / "server-key.pem").read_bytes()
    if os.geteuid() != 0:
        key = tmp_path / "key.pem"
        key.write_bytes(key_text)
        key.chmod(0)
        error = _error(tmp_path, _host(f'certificateFile="{certs / "server.pem"}" certificateKeyFile="{key}"'))
        line, message = error.line, error.message
    else:
        # A folder ``nobody`` can enter, with a certificate it can read and
        # a key it cannot (root's, mode 000).
        public = Path(tempfile.mkdtemp(prefix="catalina-ssl-"))
        try:
            public.chmod(0o755)
            cert = public / "server.pem"
            cert.write_bytes((certs / "server.pem").read_bytes())
            cert.chmod(0o644)
            key = public / "key.pem"
            key.write_bytes(key_text)
            key.chmod(0)
            line, message = _error_as_nobody(public, _host(f'certificateFile="{cert}" certificateKeyFile="{key}"'))
        finally:
            shutil.rmtree(public, ignore_errors=True)
    assert line == 6 and "is not readable by this process" in message, message


def test_a_key_that_does_not_match(tmp_path, certs) -> None:
    error = _error(tmp_path, _host(_cert(certs, key="other-key.pem")))
    assert error.line == 6
    assert error.message == (
        f"the key in {certs / 'other-key.pem'} does not match the certificate in {certs / 'server.pem'}"
    )


def test_an_encrypted_key_with_its_password_and_from_a_file(tmp_path, certs) -> None:
    spec, _, _ = _load(tmp_path, _host(_cert(certs, "enc.pem", "enc-key.pem", 'certificateKeyPassword="secret"')))
    ServerTls(spec)
    password_file = f'certificateKeyPasswordFile="{certs / "password.txt"}"'
    spec, _, _ = _load(tmp_path, _host(_cert(certs, "enc.pem", "enc-key.pem", password_file)))
    ServerTls(spec)


def test_a_wrong_password(tmp_path, certs) -> None:
    error = _error(tmp_path, _host(_cert(certs, "enc.pem", "enc-key.pem", 'certificateKeyPassword="wrong"')))
    assert error.line == 6
    assert "the key cannot be decrypted with certificateKeyPassword (wrong pass phrase?)" in error.message


def test_an_encrypted_key_without_password(tmp_path, certs) -> None:
    error = _error(tmp_path, _host(_cert(certs, "enc.pem", "enc-key.pem")))
    assert error.line == 6
    assert error.message == f"certificateKeyFile {certs / 'enc-key.pem'} is encrypted and no pass phrase is given"


def test_a_file_that_is_no_pem_certificate(tmp_path, certs) -> None:
    error = _error(tmp_path, _host(_cert(certs, cert="garbage.pem")))
    assert error.line == 6 and "holds no PEM certificate" in error.message
    assert "openssl x509 -inform der" in (error.hint or "")


def test_a_damaged_pem_certificate(tmp_path, certs) -> None:
    error = _error(tmp_path, _host(_cert(certs, cert="damaged.pem")))
    assert error.line == 6 and "the PEM certificate cannot be read" in error.message


def test_a_certificate_given_as_key(tmp_path, certs) -> None:
    error = _error(tmp_path, _host(_cert(certs, key="server.pem")))
    assert error.line == 6 and "holds no PEM private key" in error.message


def test_keystores_are_refused_with_the_conversion(tmp_path) -> None:
    error = _error(tmp_path, _host('certificateKeystoreFile="conf/keystore.p12"'))
    assert error.line == 6
    assert "keystores (JKS, PKCS#12) are not supported" in error.message
    assert "openssl pkcs12" in (error.hint or "")


def test_bad_protocols_and_ciphers_at_the_ssl_host_config(tmp_path, certs) -> None:
    error = _error(tmp_path, _host(_cert(certs), 'protocols="TLSv1.4"'))
    assert error.line == 5 and "unknown protocol 'TLSv1.4'" in error.message
    error = _error(tmp_path, _host(_cert(certs), 'ciphers="NOTHING-AT-ALL"'))
    assert error.line == 5 and "OpenSSL selects no cipher from 'NOTHING-AT-ALL'" in error.message


def test_default_ssl_host_config_name_must_name_one(tmp_path, certs) -> None:
    error = _error(tmp_path, _host(_cert(certs), 'hostName="a.test"'), 'SSLEnabled="true"')
    assert error.line == 4 and "no <SSLHostConfig> has the hostName '_default_'" in error.message
    spec, _, _ = _load(
        tmp_path, _host(_cert(certs), 'hostName="a.test"'), 'SSLEnabled="true" defaultSSLHostConfigName="A.test"'
    )
    tls = ServerTls(spec)
    assert tls.default is tls.contexts["a.test"]


def test_duplicate_host_names(tmp_path, certs) -> None:
    error = _error(tmp_path, _host(_cert(certs)) + "\n" + _host(_cert(certs), 'hostName="_DEFAULT_"'))
    assert error.line == 8 and 'a second <SSLHostConfig hostName="_default_">' in error.message


def test_certificate_verification_values(tmp_path, certs) -> None:
    ca = f'caCertificateFile="{certs / "root.pem"}"'
    spec, _, _ = _load(tmp_path, _host(_cert(certs), f'certificateVerification="required" {ca}'))
    assert ServerTls(spec).default.verify_mode == ssl.CERT_REQUIRED
    spec, _, _ = _load(tmp_path, _host(_cert(certs), f'certificateVerification="optional" {ca}'))
    assert ServerTls(spec).default.verify_mode == ssl.CERT_OPTIONAL
    error = _error(tmp_path, _host(_cert(certs), 'certificateVerification="sometimes"'))
    assert error.line == 5 and "unknown certificateVerification 'sometimes'" in error.message


# -- dates ---------------------------------------------------------------------


def test_validity_dates_are_those_openssl_prints(certs) -> None:
    printed = tls_certs.openssl("x509", "-in", str(certs / "expired.pem"), "-noout", "-dates", cwd=certs)
    assert printed.split() == [
        "notBefore=Jan",
        "1",
        "00:00:00",
        "2020",
        "GMT",
        "notAfter=Feb",
        "1",
        "00:00:00",
        "2020",
        "GMT",
    ]
    dates = certificate_validity((certs / "expired.pem").read_bytes())
    assert dates is not None
    assert [f"{d:%Y-%m-%d %H:%M:%S}" for d in dates] == ["2020-01-01 00:00:00", "2020-02-01 00:00:00"]
    assert certificate_validity(b"no certificate") is None


def test_an_expired_certificate_is_a_warning_with_its_dates(tmp_path, certs) -> None:
    spec, _, path = _load(tmp_path, _host(_cert(certs, "expired.pem", "expired-key.pem")))
    tls = ServerTls(spec)
    assert tls.warnings == [
        f"{path}:6: the certificate in {certs / 'expired.pem'} expired on 2020-02-01 00:00:00 UTC "
        "(valid from 2020-01-01 00:00:00 to 2020-02-01 00:00:00 UTC): clients will refuse it; renew it"
    ]


def test_a_certificate_not_valid_yet_is_a_warning(tmp_path, certs) -> None:
    spec, _, path = _load(tmp_path, _host(_cert(certs, "future.pem", "future-key.pem")))
    [warning] = ServerTls(spec).warnings
    assert warning.startswith(f"{path}:6: the certificate in {certs / 'future.pem'} is not valid yet (valid from 2099")


# -- the first bytes on a TLS port, and which sockets are TLS ------------------


@pytest.mark.parametrize(
    ("data", "plain"),
    [
        (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", True),
        (b"\r\nPOST /a?b=c HTTP/1.0\r\n", True),
        (b"GET /x HTTP/1.1\n", True),
        (b"GET /", False),  # no whole request line: Tomcat hands it to the TLS engine too
        (b"hello world\r\n", False),
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", False),
        (b"", False),
    ],
)
def test_plain_http_is_a_whole_request_line(data, plain) -> None:
    assert is_plain_http(data) is plain


def test_tls_sockets_are_told_from_plain_ones() -> None:
    import socket

    import gevent.socket
    import gevent.ssl

    assert is_tls(gevent.ssl.SSLSocket.__new__(gevent.ssl.SSLSocket))
    assert is_tls(ssl.SSLSocket.__new__(ssl.SSLSocket))
    assert not is_tls(gevent.socket.socket.__new__(gevent.socket.socket))
    assert not is_tls(socket.socket.__new__(socket.socket))
