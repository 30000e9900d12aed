"""``catalina-py digest`` (and ``bin/digest.sh``): print the stored form of
passwords, as Tomcat's ``digest.sh`` does, to paste into
``tomcat-users.xml``::

    catalina-py digest -a SHA-256 -i 100000 -s 16 'the password'
    the password:7f3c...$100000$9a0b...

Options and defaults are Tomcat's: ``-a`` algorithm (``SHA-512`` for the
MessageDigestCredentialHandler, ``PBKDF2WithHmacSHA1`` for the
SecretKeyCredentialHandler), ``-e`` encoding, ``-i`` iterations, ``-s``
salt length in bytes, ``-k`` key length in bits, ``-h`` the handler's
class name.  Each password prints one ``password:stored`` line.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from .credential import CredentialHandler, MessageDigestCredentialHandler, SecretKeyCredentialHandler

__all__ = ["USAGE", "main", "make_handler", "parse"]

USAGE = (
    "Usage: digest [-a <algorithm>] [-e <encoding>] [-i <iterations>] [-s <salt-length>] [-k <key-length>] "
    "[-h <handler-class-name>] <credentials> ..."
)

_MESSAGE_DIGEST = "org.apache.catalina.realm.MessageDigestCredentialHandler"
_SECRET_KEY = "org.apache.catalina.realm.SecretKeyCredentialHandler"
_FLAGS = {
    "-a": "algorithm",
    "-e": "encoding",
    "-i": "iterations",
    "-s": "salt_length",
    "-k": "key_length",
    "-h": "handler",
}


def parse(argv: list[str]) -> tuple[dict[str, str], list[str]]:
    """The options and the passwords of a command line (ValueError for
    a flag without its value)."""
    options: dict[str, str] = {}
    index = 0
    while index < len(argv) and argv[index] in _FLAGS:
        if index + 1 >= len(argv):
            raise ValueError(f"{argv[index]} needs a value")
        options[_FLAGS[argv[index]]] = argv[index + 1]
        index += 2
    return options, argv[index:]


def make_handler(options: dict[str, str]) -> CredentialHandler:
    """The handler the options describe (ValueError for a bad one)."""
    handler = options.get("handler", _MESSAGE_DIGEST)
    salt = int(options["salt_length"]) if "salt_length" in options else 32
    if handler in (_SECRET_KEY, "SecretKeyCredentialHandler"):
        return SecretKeyCredentialHandler(
            options.get("algorithm", "PBKDF2WithHmacSHA1"),
            int(options.get("iterations", "20000")),
            salt,
            int(options.get("key_length", "160")),
        )
    if handler not in (_MESSAGE_DIGEST, "MessageDigestCredentialHandler"):
        raise ValueError(f"unknown handler '{handler}' (known: {_MESSAGE_DIGEST}, {_SECRET_KEY})")
    return MessageDigestCredentialHandler(
        options.get("algorithm", "SHA-512"), int(options.get("iterations", "1")), salt, options.get("encoding", "UTF-8")
    )


def main(argv: list[str], out: Callable[[str], object] = print) -> int:
    """Run the command; 0 on success, 1 (with the usage) otherwise."""
    try:
        options, passwords = parse(argv)
        if not passwords:
            raise ValueError("no credentials given")
        handler = make_handler(options)
    except (ValueError, LookupError) as exc:
        print(f"digest: {exc}", file=sys.stderr)
        print(USAGE, file=sys.stderr)
        return 1
    for password in passwords:
        out(f"{password}:{handler.mutate(password)}")
    return 0
