"""``<SSLHostConfig>`` and ``<Certificate>`` of a TLS ``<Connector>``.

Tomcat 10.1's shape, PEM files only::

    <Connector port="8443" SSLEnabled="true" ...>
      <SSLHostConfig hostName="_default_" protocols="TLSv1.2+TLSv1.3">
        <Certificate certificateFile="conf/cert.pem"
                     certificateKeyFile="conf/key.pem"
                     certificateChainFile="conf/chain.pem"/>
      </SSLHostConfig>
    </Connector>

This module only reads and checks the elements (names, values, that the
files exist); relative paths are resolved against CATALINA_BASE, as
Tomcat's ``ConfigFileLoader`` does. Loading the files into an
``ssl.SSLContext`` (where a key that does not match its certificate, a
wrong password or a damaged PEM file are found) is
``connector/tls.py``'s, still before anything listens.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from catalina_py.config.xml import Attributes, Element, XmlReader
from catalina_py.errors import Location

__all__ = [
    "CertificateSpec",
    "DEFAULT_CIPHERS",
    "DEFAULT_PROTOCOLS",
    "DEFAULT_SSL_HOST_CONFIG_NAME",
    "SSLHostConfigSpec",
    "TLS_PROTOCOLS",
    "parse_protocols",
    "read_ssl_host_config",
]

#: The hostName of the SSLHostConfig used without SNI (Tomcat's).
DEFAULT_SSL_HOST_CONFIG_NAME = "_default_"

#: The protocol names catalina_py can enable, oldest first (the order the
#: minimum and maximum version are taken from).
TLS_PROTOCOLS = ("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")

#: Tomcat 10.1's default ``protocols``: TLS 1.2 and 1.3.
DEFAULT_PROTOCOLS = ("TLSv1.2", "TLSv1.3")

#: Tomcat 10.1's default ``ciphers`` (OpenSSL syntax; TLS 1.2 and older:
#: the TLS 1.3 suites are OpenSSL's own and cannot be set from Python).
DEFAULT_CIPHERS = "HIGH:!aNULL:!eNULL:!EXPORT:!DES:!RC4:!MD5:!kRSA"

_SSL_HOST_CONFIG_ATTRS = frozenset(
    {
        "hostName",
        "protocols",
        "ciphers",
        "honorCipherOrder",
        "certificateVerification",
        "caCertificateFile",
        "caCertificatePath",
    }
)
#: Documented by Tomcat, not implemented here (a warning each).
_TOMCAT_SSL_HOST_CONFIG_ATTRS = frozenset(
    {
        "certificateRevocationListFile",
        "certificateRevocationListPath",
        "certificateVerificationDepth",
        "disableCompression",
        "disableSessionTickets",
        "groups",
        "insecureRenegotiation",
        "keyManagerAlgorithm",
        "ocspEnabled",
        "revocationEnabled",
        "sessionCacheSize",
        "sessionTimeout",
        "sslProtocol",
        "trustManagerClassName",
        "truststoreAlgorithm",
        "truststoreFile",
        "truststorePassword",
        "truststoreProvider",
        "truststoreType",
        "openSSLConf",
    }
)
_CERTIFICATE_ATTRS = frozenset(
    {
        "certificateFile",
        "certificateKeyFile",
        "certificateChainFile",
        "certificateKeyPassword",
        "certificateKeyPasswordFile",
        "type",
    }
)
#: Keystores need Java's tools or a PKCS#12 reader; catalina_py takes PEM.
_KEYSTORE_ATTRS = frozenset(
    {
        "certificateKeystoreFile",
        "certificateKeystorePassword",
        "certificateKeystorePasswordFile",
        "certificateKeystoreType",
        "certificateKeystoreProvider",
        "certificateKeyAlias",
    }
)
_CERTIFICATE_TYPES = ("UNDEFINED", "RSA", "EC", "DSA")

#: certificateVerification values -> what they mean here (Tomcat's
#: aliases included).
_VERIFICATION = {
    "none": "none",
    "false": "none",
    "no": "none",
    "optional": "optional",
    "want": "optional",
    "required": "required",
    "true": "required",
    "yes": "required",
    "require": "required",
}


@dataclass(frozen=True)
class CertificateSpec:
    """A ``<Certificate>``: absolute paths (resolved against CATALINA_BASE)
    and what it was declared with, for messages."""

    certificate_file: str
    #: The private key; Tomcat's default is the certificate file itself.
    certificate_key_file: str
    #: Intermediate certificates sent after the server's (None: none).
    certificate_chain_file: str | None
    #: The key's pass phrase (None: the key is not encrypted).
    certificate_key_password: str | None
    #: ``UNDEFINED``, ``RSA``, ``EC`` or ``DSA`` (one of each kind per host).
    type: str
    location: Location


@dataclass(frozen=True)
class SSLHostConfigSpec:
    """One ``<SSLHostConfig>``: the TLS settings for one SNI host name."""

    #: Lower case; ``_default_`` or ``*.example.com`` as Tomcat has them.
    host_name: str
    #: The enabled protocol versions, oldest first (names of TLS_PROTOCOLS).
    protocols: tuple[str, ...]
    #: OpenSSL cipher string (TLS 1.2 and older).
    ciphers: str
    honor_cipher_order: bool
    #: ``none``, ``optional`` or ``required`` (client certificates).
    certificate_verification: str
    #: Where client certificates are checked against (absolute; None: the
    #: system's trust store when verification is on).
    ca_certificate_file: str | None
    ca_certificate_path: str | None
    certificates: tuple[CertificateSpec, ...]
    location: Location


def parse_protocols(text: str) -> tuple[str, ...] | str:
    """Tomcat's ``protocols`` value -> the enabled versions, oldest first,
    or an error message. Tokens are separated by ``,``, ``+``, ``-`` or
    white space; a ``-`` token removes, any other adds; ``all`` is every
    version (TLSv1 to TLSv1.3); ``SSLv2Hello`` is accepted and ignored
    (OpenSSL has no SSLv2 hello any more)."""
    enabled: set[str] = set()
    names = {name.lower(): name for name in TLS_PROTOCOLS}
    tokens = re.findall(r"([+-]?)\s*([^\s,+-]+)", text)
    leftover = re.sub(r"[+-]?\s*[^\s,+-]+", "", text)
    if not tokens or leftover.strip(" \t\r\n,"):
        return f"'{text}' is not a list of protocols"
    for sign, name in tokens:
        lowered = name.lower()
        if lowered == "all":
            chosen = set(TLS_PROTOCOLS)
        elif lowered == "sslv2hello":
            continue
        elif lowered in names:
            chosen = {names[lowered]}
        else:
            return f"unknown protocol '{name}'"
        if sign == "-":
            enabled -= chosen
        else:
            enabled |= chosen
    ordered = tuple(name for name in TLS_PROTOCOLS if name in enabled)
    if not ordered:
        return f"'{text}' enables no protocol"
    first, last = TLS_PROTOCOLS.index(ordered[0]), TLS_PROTOCOLS.index(ordered[-1])
    if len(ordered) != last - first + 1:
        return f"'{text}' leaves a gap between {ordered[0]} and {ordered[-1]} (OpenSSL takes a range of versions)"
    return ordered


def _resolve(path: str, catalina_base: str) -> str:
    """A file path as Tomcat resolves it: absolute, or relative to CATALINA_BASE."""
    path = os.path.expanduser(path.strip())
    if not os.path.isabs(path):
        path = os.path.join(catalina_base, path)
    return os.path.normpath(path)


def _readable_file(attrs: Attributes, name: str, path: str, hint: str) -> None:
    """Raise at the element when *path* (attribute *name*) is not a readable file."""
    if not os.path.exists(path):
        raise attrs.error(name, f"{name} {path}: no such file", hint)
    if not os.path.isfile(path):
        raise attrs.error(name, f"{name} {path} is not a file", hint)
    if not os.access(path, os.R_OK):
        raise attrs.error(name, f"{name} {path} is not readable by this process (uid {os.getuid()})", hint)


def read_certificate(reader: XmlReader, element: Element, catalina_base: str) -> CertificateSpec:
    """Read a ``<Certificate>``: the PEM files exist and are readable."""
    attrs = reader.attributes(element, "Certificate")
    for name in sorted(set(attrs.values) & _KEYSTORE_ATTRS):
        raise attrs.error(
            name,
            f"{name}: keystores (JKS, PKCS#12) are not supported by catalina_py, only PEM files",
            'certificateFile="conf/cert.pem" certificateKeyFile="conf/key.pem"; convert a PKCS#12 keystore '
            "with: openssl pkcs12 -in keystore.p12 -nokeys -out cert.pem && "
            "openssl pkcs12 -in keystore.p12 -nocerts -nodes -out key.pem (docs/deployment.md)",
        )
    attrs.check_names(_CERTIFICATE_ATTRS)
    reader.no_children(element, "Certificate")
    file_hint = "the path of a PEM file, absolute or relative to CATALINA_BASE"
    certificate = _resolve(attrs.required("certificateFile", 'certificateFile="conf/cert.pem"'), catalina_base)
    _readable_file(attrs, "certificateFile", certificate, file_hint)
    key = certificate
    if (attrs.get("certificateKeyFile") or "").strip():
        key = _resolve(attrs.get("certificateKeyFile") or "", catalina_base)
        _readable_file(attrs, "certificateKeyFile", key, file_hint)
    chain = None
    if (attrs.get("certificateChainFile") or "").strip():
        chain = _resolve(attrs.get("certificateChainFile") or "", catalina_base)
        _readable_file(attrs, "certificateChainFile", chain, file_hint)
    password = attrs.get("certificateKeyPassword")
    password_file = (attrs.get("certificateKeyPasswordFile") or "").strip()
    if password_file:
        if password is not None:
            raise attrs.error(
                "certificateKeyPasswordFile",
                "both certificateKeyPassword and certificateKeyPasswordFile are set",
                "one of them",
            )
        path = _resolve(password_file, catalina_base)
        _readable_file(attrs, "certificateKeyPasswordFile", path, "a file whose first line is the key's pass phrase")
        with open(path, encoding="utf-8") as fh:
            password = fh.readline().rstrip("\r\n")
    kind = attrs.enum("type", "UNDEFINED", _CERTIFICATE_TYPES)
    return CertificateSpec(
        certificate_file=certificate,
        certificate_key_file=key,
        certificate_chain_file=chain,
        certificate_key_password=password,
        type=kind,
        location=attrs.location,
    )


def read_ssl_host_config(reader: XmlReader, element: Element, catalina_base: str) -> SSLHostConfigSpec:
    """Read an ``<SSLHostConfig>`` and its ``<Certificate>`` elements."""
    attrs = reader.attributes(element, "SSLHostConfig")
    attrs.check_names(_SSL_HOST_CONFIG_ATTRS, _TOMCAT_SSL_HOST_CONFIG_ATTRS)
    host_name = (attrs.get("hostName") or DEFAULT_SSL_HOST_CONFIG_NAME).strip().lower()
    protocols_text = attrs.get("protocols")
    protocols: tuple[str, ...] = DEFAULT_PROTOCOLS
    if protocols_text is not None:
        parsed = parse_protocols(protocols_text)
        if isinstance(parsed, str):
            raise attrs.error(
                "protocols",
                f"attribute protocols of <SSLHostConfig>: {parsed}",
                'protocols="TLSv1.2+TLSv1.3" (or "+TLSv1.2 +TLSv1.3", "all -TLSv1 -TLSv1.1"; '
                "names: TLSv1, TLSv1.1, TLSv1.2, TLSv1.3, all)",
            )
        protocols = parsed
    ciphers = (attrs.get("ciphers") or "").strip() or DEFAULT_CIPHERS
    verification_text = (attrs.get("certificateVerification") or "none").strip()
    verification = _VERIFICATION.get(verification_text.lower())
    if verification is None:
        hint = 'certificateVerification="none", "optional" or "required"'
        if verification_text.lower() in ("optionalnoca", "optional_no_ca"):
            raise attrs.error(
                "certificateVerification",
                "certificateVerification optionalNoCA is not supported by catalina_py",
                hint,
            )
        raise attrs.error("certificateVerification", f"unknown certificateVerification '{verification_text}'", hint)
    ca_file = None
    if (attrs.get("caCertificateFile") or "").strip():
        ca_file = _resolve(attrs.get("caCertificateFile") or "", catalina_base)
        _readable_file(
            attrs,
            "caCertificateFile",
            ca_file,
            "a PEM file of the CA certificates client certificates are checked against",
        )
    ca_path = None
    if (attrs.get("caCertificatePath") or "").strip():
        ca_path = _resolve(attrs.get("caCertificatePath") or "", catalina_base)
        if not os.path.isdir(ca_path):
            raise attrs.error(
                "caCertificatePath",
                f"caCertificatePath {ca_path} is not a directory",
                "a directory of hashed CA certificates (openssl rehash)",
            )
    certificates: list[CertificateSpec] = []
    for child in reader.children(element, "SSLHostConfig", ("Certificate",), ("OpenSSLConf",)):
        certificates.append(read_certificate(reader, child, catalina_base))
    if not certificates:
        raise attrs.error(
            "hostName",
            f'<SSLHostConfig hostName="{host_name}"> has no <Certificate>',
            '<Certificate certificateFile="conf/cert.pem" certificateKeyFile="conf/key.pem"/> inside it',
        )
    kinds: dict[str, Location] = {}
    for cert in certificates:
        if len(certificates) > 1 and cert.type == "UNDEFINED":
            raise reader.error(
                cert.location,
                "several <Certificate> elements in one <SSLHostConfig>: each needs its type",
                'type="RSA" on one and type="EC" on the other (one certificate per key type)',
            )
        if cert.type in kinds:
            raise reader.error(
                cert.location,
                f'a second <Certificate type="{cert.type}"> (the first is at {kinds[cert.type]})',
                "one certificate per key type in an <SSLHostConfig>",
            )
        kinds[cert.type] = cert.location
    return SSLHostConfigSpec(
        host_name=host_name,
        protocols=protocols,
        ciphers=ciphers,
        honor_cipher_order=attrs.boolean("honorCipherOrder", False),
        certificate_verification=verification,
        ca_certificate_file=ca_file,
        ca_certificate_path=ca_path,
        certificates=tuple(certificates),
        location=attrs.location,
    )
