"""Credential handlers: how a stored password is checked and made, in the
forms Tomcat's ``CredentialHandler`` classes store, so a ``tomcat-users.xml``
written for Tomcat works unchanged.

* :class:`MessageDigestCredentialHandler` (Tomcat's default): without an
  ``algorithm``, the stored password is the password itself; with one
  (``SHA-256``, ``SHA-512``, ``MD5``...), the stored form is
  ``hexsalt$iterations$hexdigest``, where the digest is the algorithm over
  the salt followed by the password's bytes, then over its own result
  ``iterations - 1`` more times; with no salt and one iteration, just the
  hex digest.  ``{MD5}``, ``{SHA}`` (base64 digests) and ``{SSHA}``
  (base64 of a SHA-1 digest followed by its salt) are read too.
* :class:`SecretKeyCredentialHandler`: PBKDF2 (``PBKDF2WithHmacSHA256``,
  ``...SHA512``, ``...SHA1``), stored as ``hexsalt$iterations$hexkey``;
  the key length is the stored key's.
* :class:`NestedCredentialHandler`: any of its handlers may match (to move
  from one form to another); new forms are made by the first.

Every comparison is constant-time (:func:`hmac.compare_digest`).  The
computations are pure: no I/O, the random salt aside.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from abc import ABC, abstractmethod
from collections.abc import Sequence

__all__ = [
    "CredentialHandler",
    "MessageDigestCredentialHandler",
    "NestedCredentialHandler",
    "SecretKeyCredentialHandler",
    "digest_algorithm",
    "pbkdf2_algorithm",
]

#: Java MessageDigest names (upper case, as Java compares them) -> hashlib.
_DIGESTS = {
    "MD5": "md5",
    "SHA": "sha1",
    "SHA1": "sha1",
    "SHA-1": "sha1",
    "SHA-224": "sha224",
    "SHA-256": "sha256",
    "SHA-384": "sha384",
    "SHA-512": "sha512",
    "SHA-512/224": "sha512_224",
    "SHA-512/256": "sha512_256",
    "SHA3-224": "sha3_224",
    "SHA3-256": "sha3_256",
    "SHA3-384": "sha3_384",
    "SHA3-512": "sha3_512",
}

#: Java SecretKeyFactory PBKDF2 names (upper case) -> hashlib digest.
_PBKDF2 = {
    "PBKDF2WITHHMACSHA1": "sha1",
    "PBKDF2WITHHMACSHA224": "sha224",
    "PBKDF2WITHHMACSHA256": "sha256",
    "PBKDF2WITHHMACSHA384": "sha384",
    "PBKDF2WITHHMACSHA512": "sha512",
}


def digest_algorithm(name: str) -> str:
    """The hashlib name of a Java message digest name (``SHA-256`` ->
    ``sha256``); ValueError for one catalina_py does not know."""
    found = _DIGESTS.get(name.strip().upper())
    if found is None:
        raise ValueError(f"unknown message digest algorithm '{name}' (known: {', '.join(sorted(_DIGESTS))})")
    return found


def pbkdf2_algorithm(name: str) -> str:
    """The hashlib digest of a Java PBKDF2 name (``PBKDF2WithHmacSHA256``
    -> ``sha256``); ValueError otherwise."""
    found = _PBKDF2.get(name.strip().upper())
    if found is None:
        known = (
            "PBKDF2WithHmacSHA1, PBKDF2WithHmacSHA224, PBKDF2WithHmacSHA256, PBKDF2WithHmacSHA384, PBKDF2WithHmacSHA512"
        )
        raise ValueError(f"unknown secret key algorithm '{name}' (known: {known})")
    return found


def _same(first: str, second: str) -> bool:
    """Constant-time comparison of two strings (as UTF-8 bytes)."""
    return hmac.compare_digest(first.encode("utf-8", "surrogatepass"), second.encode("utf-8", "surrogatepass"))


def _split_salted(stored: str) -> tuple[bytes, int, str] | None:
    """``hexsalt$iterations$encoded`` -> (salt, iterations, encoded), or
    None when *stored* is not of that form."""
    parts = stored.split("$")
    if len(parts) != 3:
        return None
    salt_hex, rounds, encoded = parts
    try:
        salt = bytes.fromhex(salt_hex)
        iterations = int(rounds)
    except ValueError:
        return None
    if iterations < 1 or not encoded:
        return None
    return salt, iterations, encoded


class CredentialHandler(ABC):
    """Checks a password against its stored form, and makes stored forms."""

    @abstractmethod
    def matches(self, password: str, stored: str) -> bool:
        """Whether *password* (as typed) is the one *stored* stands for."""

    @abstractmethod
    def mutate(self, password: str) -> str:
        """The stored form of *password* (with a new random salt)."""

    @property
    def plain_text(self) -> bool:
        """Whether stored credentials are the passwords as typed (then a
        realm can compute HTTP DIGEST responses)."""
        return False


class MessageDigestCredentialHandler(CredentialHandler):
    """Tomcat's ``MessageDigestCredentialHandler`` (the default handler).

    ``algorithm`` None keeps passwords in plain text, as Tomcat does when
    no algorithm is set.  Defaults as Tomcat: one iteration, a 32-byte
    salt for new forms, UTF-8.
    """

    def __init__(
        self, algorithm: str | None = None, iterations: int = 1, salt_length: int = 32, encoding: str = "UTF-8"
    ) -> None:
        self.algorithm = algorithm
        self._hash = digest_algorithm(algorithm) if algorithm else None
        if iterations < 1:
            raise ValueError("iterations must be 1 or more")
        if salt_length < 0:
            raise ValueError("saltLength must be 0 or more")
        self.iterations = iterations
        self.salt_length = salt_length
        self.encoding = encoding
        "".encode(encoding)  # LookupError for an unknown encoding

    @property
    def plain_text(self) -> bool:
        return self._hash is None

    def _digest(self, name: str, salt: bytes, password: str, iterations: int) -> bytes:
        result = hashlib.new(name, salt + password.encode(self.encoding, "replace")).digest()
        for _ in range(iterations - 1):
            result = hashlib.new(name, result).digest()
        return result

    def matches(self, password: str, stored: str) -> bool:
        if self._hash is None:
            return _same(password, stored)
        head = stored[:6].upper()
        if head.startswith("{MD5}") or head.startswith("{SHA}"):
            name = "md5" if head.startswith("{MD5}") else "sha1"
            try:
                expected = base64.b64decode(stored[5:], validate=True)
            except (binascii.Error, ValueError):
                expected = b""
            return hmac.compare_digest(self._digest(name, b"", password, 1), expected)
        if head.startswith("{SSHA}"):
            try:
                decoded = base64.b64decode(stored[6:], validate=True)
            except (binascii.Error, ValueError):
                decoded = b""
            # LDAP's salted SHA-1: the digest of the password followed by the salt.
            computed = hashlib.sha1(password.encode(self.encoding, "replace") + decoded[20:]).digest()
            return hmac.compare_digest(computed, decoded[:20])
        salted = _split_salted(stored) if "$" in stored else None
        if salted is not None:
            salt, iterations, encoded = salted
            return _same(self._digest(self._hash, salt, password, iterations).hex(), encoded.lower())
        if "$" in stored:
            self._digest(self._hash, b"", password, self.iterations)  # the same cost for a malformed form
            return False
        return _same(self._digest(self._hash, b"", password, self.iterations).hex(), stored.lower())

    def mutate(self, password: str) -> str:
        if self._hash is None:
            return password
        salt = os.urandom(self.salt_length) if self.salt_length else b""
        hexdigest = self._digest(self._hash, salt, password, self.iterations).hex()
        if not salt and self.iterations == 1:
            return hexdigest
        return f"{salt.hex()}${self.iterations}${hexdigest}"


class SecretKeyCredentialHandler(CredentialHandler):
    """Tomcat's ``SecretKeyCredentialHandler``: PBKDF2.  Defaults as
    Tomcat: ``PBKDF2WithHmacSHA1``, 160-bit keys, 20,000 iterations, a
    32-byte salt."""

    def __init__(
        self,
        algorithm: str = "PBKDF2WithHmacSHA1",
        iterations: int = 20000,
        salt_length: int = 32,
        key_length: int = 160,
    ) -> None:
        self.algorithm = algorithm
        self._hash = pbkdf2_algorithm(algorithm)
        if iterations < 1:
            raise ValueError("iterations must be 1 or more")
        if salt_length < 0:
            raise ValueError("saltLength must be 0 or more")
        if key_length < 8 or key_length % 8:
            raise ValueError("keyLength must be a multiple of 8 bits, 8 or more")
        self.iterations = iterations
        self.salt_length = salt_length
        self.key_length = key_length

    def _derive(self, password: str, salt: bytes, iterations: int, length: int) -> bytes:
        return hashlib.pbkdf2_hmac(self._hash, password.encode("utf-8", "replace"), salt, iterations, length)

    def matches(self, password: str, stored: str) -> bool:
        salted = _split_salted(stored)
        if salted is None or len(salted[2]) % 2:
            self._derive(password, b"", self.iterations, self.key_length // 8)  # the same cost
            return False
        salt, iterations, encoded = salted
        return _same(self._derive(password, salt, iterations, len(encoded) // 2).hex(), encoded.lower())

    def mutate(self, password: str) -> str:
        salt = os.urandom(self.salt_length) if self.salt_length else b""
        key = self._derive(password, salt, self.iterations, self.key_length // 8)
        return f"{salt.hex()}${self.iterations}${key.hex()}"


class NestedCredentialHandler(CredentialHandler):
    """Several handlers: a stored form matches if one of them says so
    (Tomcat's ``NestedCredentialHandler``); :meth:`mutate` uses the first."""

    def __init__(self, handlers: Sequence[CredentialHandler]) -> None:
        if not handlers:
            raise ValueError("a NestedCredentialHandler needs at least one handler")
        self.handlers = tuple(handlers)

    @property
    def plain_text(self) -> bool:
        return all(handler.plain_text for handler in self.handlers)

    def matches(self, password: str, stored: str) -> bool:
        return any(handler.matches(password, stored) for handler in self.handlers)

    def mutate(self, password: str) -> str:
        return self.handlers[0].mutate(password)
