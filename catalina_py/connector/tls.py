"""TLS on a Connector: the SSL contexts built from its ``<SSLHostConfig>``
elements, and the start of every connection (Tomcat's ``SSLUtil``,
``SecureNioChannel`` handshake and ``TLSClientHelloExtractor``).

:class:`ServerTls` is built while the configuration is loaded, so that a
missing file, a key that does not match its certificate, a wrong pass
phrase or a damaged PEM file stops the start-up with the file and line of
the ``<Certificate>`` before anything listens; an expired certificate is
a warning. The contexts are gevent's ``SSLContext`` (the standard
library's, with sockets that yield to the hub).

:meth:`ServerTls.accept` runs in the connection's greenlet, never in the
accept loop: it looks at the client's first bytes (a plain-text HTTP
request is answered as Tomcat answers it), then wraps the socket and does
the handshake. The endpoint bounds the whole of it by connectionTimeout.
"""

from __future__ import annotations

import logging
import os
import socket
import ssl
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import gevent.ssl

from ..config.x509_dates import certificate_validity
from ..errors import ConfigError
from ..http.tls_sniff import USE_TLS_RESPONSE, is_plain_http
from ..sockets import drain_after_shutdown

if TYPE_CHECKING:  # pragma: no cover
    from ..config.connector_spec import ConnectorSpec
    from ..config.ssl_host_config import CertificateSpec, SSLHostConfigSpec

__all__ = ["ALPN_PROTOCOLS", "ServerTls"]

log = logging.getLogger("catalina_py.connector")

#: What ALPN offers: HTTP/1.1 only (no h2 here).
ALPN_PROTOCOLS = ("http/1.1",)

_VERSIONS = {
    "TLSv1": ssl.TLSVersion.TLSv1,
    "TLSv1.1": ssl.TLSVersion.TLSv1_1,
    "TLSv1.2": ssl.TLSVersion.TLSv1_2,
    "TLSv1.3": ssl.TLSVersion.TLSv1_3,
}
_VERIFY = {"none": ssl.CERT_NONE, "optional": ssl.CERT_OPTIONAL, "required": ssl.CERT_REQUIRED}

#: Bytes looked at (not taken) before the handshake: a request line fits.
_PROBE_SIZE = 4096
#: After the plain-HTTP answer: read and drop what the client still sends
#: for this long and this much, so that closing does not reset the answer away.
_LINGER_SECONDS = 1.0
_LINGER_MAX_BYTES = 1 << 16


class _NoPassword(Exception):
    """The key is encrypted and no certificateKeyPassword was given
    (raised by the password callback, so that OpenSSL never asks the
    terminal)."""


def _no_password() -> str:
    raise _NoPassword()


def _read(path: str) -> bytes:
    with open(path, "rb") as fh:
        return fh.read()


class ServerTls:
    """The SSL contexts of one TLS connector: one per ``<SSLHostConfig>``,
    chosen by the client's SNI name (the default one without it)."""

    def __init__(self, config: ConnectorSpec) -> None:
        self.config = config
        #: Problems that do not stop the start-up (an expired certificate).
        self.warnings: list[str] = []
        #: One line per certificate for the start-up log (as Tomcat logs them).
        self.descriptions: list[str] = []
        self.contexts: dict[str, ssl.SSLContext] = {}
        for host in config.ssl_host_configs:
            self.contexts[host.host_name] = self._context(host)
        self.default = self.contexts[config.default_ssl_host_config_name]
        if len(self.contexts) > 1:
            self._check_shared_settings()
            self.default.sni_callback = self._select

    # -- building ------------------------------------------------------------
    def _context(self, host: SSLHostConfigSpec) -> ssl.SSLContext:
        """An SSLContext for *host*; ConfigError at its element for what is wrong."""
        context = gevent.ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = _VERSIONS[host.protocols[0]]
        context.maximum_version = _VERSIONS[host.protocols[-1]]
        try:
            context.set_ciphers(host.ciphers)
        except ssl.SSLError:
            raise ConfigError.at(
                host.location,
                f"attribute ciphers of <SSLHostConfig>: OpenSSL selects no cipher from '{host.ciphers}'",
                'a cipher list in OpenSSL syntax, e.g. ciphers="HIGH:!aNULL:!MD5" '
                "(openssl ciphers -v 'LIST' shows what a list selects; TLS 1.3 suites are not set here)",
            ) from None
        if host.honor_cipher_order:
            context.options |= ssl.OP_CIPHER_SERVER_PREFERENCE
        # A client may not renegotiate (TLS 1.2): each renegotiation costs
        # the server a handshake's work.
        context.options |= ssl.OP_NO_RENEGOTIATION
        context.set_alpn_protocols(list(ALPN_PROTOCOLS))
        context.verify_mode = _VERIFY[host.certificate_verification]
        if host.certificate_verification != "none":
            try:
                if host.ca_certificate_file or host.ca_certificate_path:
                    context.load_verify_locations(host.ca_certificate_file, host.ca_certificate_path)
                else:
                    context.load_default_certs(ssl.Purpose.CLIENT_AUTH)
            except ssl.SSLError as exc:
                raise ConfigError.at(
                    host.location,
                    f"caCertificateFile {host.ca_certificate_file}: not a PEM file of certificates ({exc})",
                    "a PEM file of the CA certificates that sign the clients' certificates",
                ) from None
        for certificate in host.certificates:
            self._load_certificate(context, certificate)
            self._check_dates(certificate)
            chain = certificate.certificate_chain_file or "none"
            self.descriptions.append(
                f"TLS virtual host [{host.host_name}], certificate type [{certificate.type}] configured from "
                f"key [{certificate.certificate_key_file}], certificate [{certificate.certificate_file}] "
                f"and certificate chain [{chain}]"
            )
        return context

    @staticmethod
    def _load_certificate(context: ssl.SSLContext, cert: CertificateSpec) -> None:
        """Load one certificate, its chain and its key into *context*."""
        where = cert.location
        pem = _read(cert.certificate_file)
        if b"-----BEGIN CERTIFICATE-----" not in pem:
            raise ConfigError.at(
                where,
                f"certificateFile {cert.certificate_file} holds no PEM certificate "
                "(no -----BEGIN CERTIFICATE----- line)",
                "a PEM certificate; a DER one converts with: openssl x509 -inform der -in cert.der -out cert.pem",
            )
        try:  # the certificate alone, so that its own damage is told apart from the key's
            ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cadata=pem.decode("ascii", "replace"))
        except (ssl.SSLError, ValueError) as exc:
            raise ConfigError.at(
                where,
                f"certificateFile {cert.certificate_file}: the PEM certificate cannot be read ({exc})",
                "an intact PEM certificate (openssl x509 -in FILE -noout -text reads it)",
            ) from None
        key = _read(cert.certificate_key_file)
        if b"PRIVATE KEY-----" not in key:
            raise ConfigError.at(
                where,
                f"certificateKeyFile {cert.certificate_key_file} holds no PEM private key "
                "(no -----BEGIN ... PRIVATE KEY----- line)",
                "certificateKeyFile naming the PEM file of the certificate's private key",
            )
        encrypted = b"ENCRYPTED" in key
        chain = cert.certificate_chain_file
        if chain is not None:
            chain_pem = _read(chain)
            if b"-----BEGIN CERTIFICATE-----" not in chain_pem:
                raise ConfigError.at(
                    where,
                    f"certificateChainFile {chain} holds no PEM certificate",
                    "a PEM file of the intermediate certificates, the one that signed the server's first",
                )
        password: str | Callable[[], str] = (
            cert.certificate_key_password if cert.certificate_key_password is not None else _no_password
        )
        combined = None
        try:
            certfile = cert.certificate_file
            if chain is not None:
                # load_cert_chain takes the chain after the certificate in one
                # file: a private temporary file with both (certificates only).
                fd, combined = tempfile.mkstemp(prefix="catalina-py-chain-", suffix=".pem")
                with os.fdopen(fd, "wb") as fh:
                    fh.write(pem.rstrip(b"\n") + b"\n" + _read(chain))
                certfile = combined
            context.load_cert_chain(certfile, cert.certificate_key_file, password=password)
        except _NoPassword:
            raise ConfigError.at(
                where,
                f"certificateKeyFile {cert.certificate_key_file} is encrypted and no pass phrase is given",
                'certificateKeyPassword="..." (or certificateKeyPasswordFile), or a key without pass phrase',
            ) from None
        except ssl.SSLError as exc:
            if exc.reason == "KEY_VALUES_MISMATCH":
                raise ConfigError.at(
                    where,
                    f"the key in {cert.certificate_key_file} does not match the certificate in "
                    f"{cert.certificate_file}",
                    "the private key the certificate was made for (compare: openssl x509 -in CERT -noout -pubkey "
                    "and openssl pkey -in KEY -pubout)",
                ) from None
            if encrypted:
                raise ConfigError.at(
                    where,
                    f"certificateKeyFile {cert.certificate_key_file}: the key cannot be decrypted with "
                    f"certificateKeyPassword (wrong pass phrase?) ({exc})",
                    "the pass phrase the key was encrypted with",
                ) from None
            raise ConfigError.at(
                where,
                f"certificateKeyFile {cert.certificate_key_file}: the private key cannot be read ({exc})",
                "an intact PEM private key (openssl pkey -in FILE -noout checks it)",
            ) from None
        finally:
            if combined is not None:
                os.unlink(combined)

    def _check_dates(self, cert: CertificateSpec) -> None:
        """A warning for a certificate outside its validity dates."""
        dates = certificate_validity(_read(cert.certificate_file))
        if dates is None:
            return
        not_before, not_after = dates
        now = datetime.now(UTC)
        span = f"valid from {not_before:%Y-%m-%d %H:%M:%S} to {not_after:%Y-%m-%d %H:%M:%S} UTC"
        if now > not_after:
            self.warnings.append(
                f"{cert.location}: the certificate in {cert.certificate_file} expired on "
                f"{not_after:%Y-%m-%d %H:%M:%S} UTC ({span}): clients will refuse it; renew it"
            )
        elif now < not_before:
            self.warnings.append(
                f"{cert.location}: the certificate in {cert.certificate_file} is not valid yet ({span}): "
                "clients will refuse it until then (check the clock)"
            )

    def _check_shared_settings(self) -> None:
        """OpenSSL fixes the protocol version, the cipher and whether a
        client certificate is asked for before it reads the SNI name, and
        Python can only switch a connection's certificate after it: every
        SSLHostConfig of the connector must have the default one's
        settings, or some names would be served more weakly than written."""
        default_name = self.config.default_ssl_host_config_name
        default = next(h for h in self.config.ssl_host_configs if h.host_name == default_name)
        for host in self.config.ssl_host_configs:
            differs = [
                name
                for name, mine, theirs in (
                    ("protocols", host.protocols, default.protocols),
                    ("ciphers", host.ciphers, default.ciphers),
                    ("honorCipherOrder", host.honor_cipher_order, default.honor_cipher_order),
                    ("certificateVerification", host.certificate_verification, default.certificate_verification),
                    ("caCertificateFile", host.ca_certificate_file, default.ca_certificate_file),
                    ("caCertificatePath", host.ca_certificate_path, default.ca_certificate_path),
                )
                if mine != theirs
            ]
            if differs:
                raise ConfigError.at(
                    host.location,
                    f"{', '.join(differs)} of <SSLHostConfig hostName=\"{host.host_name}\"> differ from those of "
                    f"the default one ({default_name}): OpenSSL settles them before it reads the SNI name, so only "
                    "the certificate can follow the name",
                    "the same protocols, ciphers, honorCipherOrder, certificateVerification and CA files in every "
                    "<SSLHostConfig> of a Connector (another Connector, on another port, for other settings)",
                )

    # -- serving -------------------------------------------------------------
    def context_for(self, server_name: str | None) -> ssl.SSLContext:
        """The context for an SNI name: exact (any case), then a
        ``*.domain`` wildcard for one label, then the default."""
        if server_name:
            name = server_name.lower().rstrip(".")
            context = self.contexts.get(name)
            if context is not None:
                return context
            _, dot, rest = name.partition(".")
            if dot:
                context = self.contexts.get("*." + rest)
                if context is not None:
                    return context
        return self.default

    def _select(self, sock: Any, server_name: str | None, context: ssl.SSLContext) -> None:
        """The SNI callback: switch the connection to its host's context."""
        chosen = self.context_for(server_name)
        if chosen is not context:
            sock.context = chosen

    def accept(self, sock: socket.socket) -> ssl.SSLSocket | None:
        """Start TLS on an accepted connection: the TLS socket after the
        handshake, or None when the connection ended first (it closed, or
        it sent plain HTTP and got Tomcat's answer; *sock* is then closed).
        Raises what a failed handshake raises (``ssl.SSLError``,
        ``OSError``); the caller bounds the time."""
        first = sock.recv(_PROBE_SIZE, socket.MSG_PEEK)
        if not first:
            sock.close()
            return None
        if is_plain_http(first):
            self._answer_plain_http(sock, len(first))
            return None
        tls = self.default.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        try:
            tls.do_handshake()
        except BaseException:
            tls.close()
            raise
        return tls

    @staticmethod
    def _answer_plain_http(sock: socket.socket, seen: int) -> None:
        """Tomcat's answer to plain HTTP on a TLS port, then a lingering close."""
        try:
            sock.recv(seen)  # what was looked at: taken, so that closing sends no reset
            sock.sendall(USE_TLS_RESPONSE)
            drain_after_shutdown(sock, _LINGER_SECONDS, _LINGER_MAX_BYTES, _LINGER_MAX_BYTES)
        except OSError:
            pass
        finally:
            sock.close()
