"""Certificates for the TLS tests, made with the ``openssl`` command in a
directory of the test's: a self-signed one, a root CA -> intermediate CA
-> server chain, an encrypted key, and certificates outside their dates.

``missing_openssl`` says why they cannot be made here (the tests then skip,
or fail when CI=true).
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

OPENSSL = "/usr/bin/openssl"

#: Subject alternative names of every server certificate made here.
SERVER_NAMES = "subjectAltName=DNS:localhost,IP:127.0.0.1"


def missing_openssl() -> str | None:
    """Why certificates cannot be made here, or None."""
    if not Path(OPENSSL).exists() and shutil.which("openssl") is None:
        return "the openssl command is not installed (apt-get install openssl)"
    return None


def openssl(*args: str, cwd: Path) -> str:
    """Run ``openssl ARGS`` in *cwd*; its output, or an error with its stderr."""
    command = OPENSSL if Path(OPENSSL).exists() else "openssl"
    done = subprocess.run([command, *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout


@dataclass(frozen=True)
class Pair:
    """A certificate and its key (PEM files)."""

    cert: Path
    key: Path


def self_signed(directory: Path, name: str = "server", cn: str = "localhost", san: str = SERVER_NAMES) -> Pair:
    """A self-signed server certificate for *cn* (valid 30 days)."""
    directory.mkdir(parents=True, exist_ok=True)
    cert, key = directory / f"{name}.pem", directory / f"{name}-key.pem"
    openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "30",
        "-keyout", str(key), "-out", str(cert), "-subj", f"/CN={cn}", "-addext", san,
        cwd=directory,
    )  # fmt: skip
    return Pair(cert, key)


def new_key(directory: Path, name: str, password: str | None = None) -> Path:
    """An RSA key, encrypted with *password* when given."""
    key = directory / f"{name}-key.pem"
    args = ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", str(key)]
    if password is not None:
        args += ["-aes-256-cbc", "-pass", f"pass:{password}"]
    openssl(*args, cwd=directory)
    return key


@dataclass(frozen=True)
class Chain:
    """A root CA, an intermediate CA it signed, and a server certificate
    the intermediate signed."""

    root: Path
    intermediate: Path
    server: Pair


def _ca(directory: Path, name: str, subject: str, issuer: Pair | None) -> Pair:
    key = new_key(directory, name)
    cert = directory / f"{name}.pem"
    ext = directory / f"{name}.ext"
    ext.write_text("basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n")
    if issuer is None:
        openssl(
            "req", "-x509", "-new", "-key", str(key), "-sha256", "-days", "30", "-subj", subject,
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            "-out", str(cert), cwd=directory,
        )  # fmt: skip
    else:
        csr = directory / f"{name}.csr"
        openssl("req", "-new", "-key", str(key), "-subj", subject, "-out", str(csr), cwd=directory)
        openssl(
            "x509", "-req", "-in", str(csr), "-CA", str(issuer.cert), "-CAkey", str(issuer.key),
            "-CAcreateserial", "-days", "30", "-sha256", "-extfile", str(ext), "-out", str(cert),
            cwd=directory,
        )  # fmt: skip
    return Pair(cert, key)


def signed(directory: Path, name: str, issuer: Pair, cn: str = "localhost", san: str = SERVER_NAMES) -> Pair:
    """A server (or client) certificate for *cn* signed by *issuer* (30 days)."""
    key = new_key(directory, name)
    csr, cert, ext = directory / f"{name}.csr", directory / f"{name}.pem", directory / f"{name}.ext"
    ext.write_text(f"{san}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth,clientAuth\n")
    openssl("req", "-new", "-key", str(key), "-subj", f"/CN={cn}", "-out", str(csr), cwd=directory)
    openssl(
        "x509", "-req", "-in", str(csr), "-CA", str(issuer.cert), "-CAkey", str(issuer.key), "-CAcreateserial",
        "-days", "30", "-sha256", "-extfile", str(ext), "-out", str(cert), cwd=directory,
    )  # fmt: skip
    return Pair(cert, key)


def chain(directory: Path) -> Chain:
    """Root CA -> intermediate CA -> server certificate for localhost."""
    directory.mkdir(parents=True, exist_ok=True)
    root = _ca(directory, "root", "/CN=catalina_py test root CA", None)
    intermediate = _ca(directory, "intermediate", "/CN=catalina_py test intermediate CA", root)
    server = signed(directory, "leaf", intermediate)
    return Chain(root.cert, intermediate.cert, server)


def dated(directory: Path, name: str, start: str, end: str) -> Pair:
    """A certificate for localhost valid from *start* to *end*
    (``YYYYMMDDHHMMSSZ``), signed by a CA of its own (``openssl ca``
    is the command that sets both dates)."""
    directory.mkdir(parents=True, exist_ok=True)
    work = directory / f"{name}-ca"
    work.mkdir()
    ca = _ca(work, "ca", f"/CN={name} CA", None)
    key = new_key(directory, name)
    csr = work / "request.csr"
    openssl("req", "-new", "-key", str(key), "-subj", "/CN=localhost", "-out", str(csr), cwd=work)
    (work / "index.txt").write_text("")
    (work / "serial").write_text("1000\n")
    (work / "ca.cnf").write_text(
        "[ca]\ndefault_ca = own\n"
        "[own]\ndir = .\ndatabase = index.txt\nnew_certs_dir = .\nserial = serial\n"
        "default_md = sha256\npolicy = any\nunique_subject = no\n"
        "[any]\ncommonName = supplied\n"
    )
    cert = directory / f"{name}.pem"
    openssl(
        "ca", "-batch", "-config", "ca.cnf", "-cert", str(ca.cert), "-keyfile", str(ca.key), "-in", str(csr),
        "-startdate", start, "-enddate", end, "-notext", "-out", str(cert), cwd=work,
    )  # fmt: skip
    return Pair(cert, key)
