"""``RealmBase``: a realm that keeps, per user, a stored credential and
roles, and leaves the checking to its credential handler (Tomcat's
``RealmBase``).  :class:`~catalina_py.realm.user_database.UserDatabaseRealm`
is one; a Python realm for users kept elsewhere (a database, a directory)
subclasses it and implements :meth:`RealmBase.get_password` and
:meth:`RealmBase.get_roles`.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from abc import abstractmethod

from .base import DigestCredentials, GenericPrincipal, Realm
from .credential import CredentialHandler, MessageDigestCredentialHandler

__all__ = ["RealmBase", "digest_response"]

log = logging.getLogger("catalina_py.realm")

_DIGEST_HASHES = {"MD5": "md5", "MD5-SESS": "md5", "SHA-256": "sha256", "SHA-256-SESS": "sha256"}


def digest_response(password: str, digest: DigestCredentials) -> str | None:
    """The HTTP DIGEST ``response`` (RFC 7616 section 3.4.1) the client
    should have sent for *digest* with this plain-text password, or None
    for an algorithm not supported."""
    algorithm, nonce, nc, cnonce, qop = digest.algorithm, digest.nonce, digest.nc, digest.cnonce, digest.qop
    name = _DIGEST_HASHES.get((algorithm or "MD5").upper())
    if name is None:
        return None

    def h(text: str) -> str:
        return hashlib.new(name, text.encode("utf-8")).hexdigest()

    ha1 = h(f"{digest.username}:{digest.realm_name}:{password}")
    if (algorithm or "").upper().endswith("-SESS"):
        ha1 = h(f"{ha1}:{nonce}:{cnonce or ''}")
    if qop:
        return h(f"{ha1}:{nonce}:{nc or ''}:{cnonce or ''}:{qop}:{digest.digest_a2}")
    return h(f"{ha1}:{nonce}:{digest.digest_a2}")


class RealmBase(Realm):
    """A realm over stored credentials: subclasses say what is stored.

    ``credential_handler`` checks a typed password against the stored form
    (plain text by default, as Tomcat's default handler without an
    algorithm).  An unknown user costs the same as a known one: the
    password is checked against a stored form the handler made of a
    random password.
    """

    #: Checks typed passwords against stored forms; plain text by default
    #: (a ``<CredentialHandler>`` nested in the ``<Realm>`` replaces it).
    #: Class-level defaults, so a subclass's ``__init__`` need not call ours.
    credential_handler: CredentialHandler = MessageDigestCredentialHandler()
    _dummy: tuple[CredentialHandler, str] | None = None
    _digest_warned = False

    @abstractmethod
    def get_password(self, username: str) -> str | None:
        """The stored credential of *username*, None for no such user."""

    def get_roles(self, username: str) -> frozenset[str]:
        """The roles of *username* (with those of its groups)."""
        return frozenset()

    def get_principal(self, username: str) -> GenericPrincipal:
        """The principal of an authenticated user."""
        return GenericPrincipal(username, self.get_roles(username))

    def _dummy_stored(self) -> str:
        handler = self.credential_handler
        if self._dummy is None or self._dummy[0] is not handler:
            self._dummy = (handler, handler.mutate(secrets.token_hex(16)))
        return self._dummy[1]

    def authenticate(self, username: str, credentials: str) -> GenericPrincipal | None:
        stored = self.get_password(username)
        if stored is None:
            self.credential_handler.matches(credentials, self._dummy_stored())
            return None
        if self.credential_handler.matches(credentials, stored):
            return self.get_principal(username)
        return None

    def authenticate_digest(self, digest: DigestCredentials) -> GenericPrincipal | None:
        if not self.credential_handler.plain_text:
            if not self._digest_warned:
                self._digest_warned = True
                log.warning(
                    "%s: DIGEST authentication needs the passwords in plain text (a CredentialHandler without "
                    "an algorithm); this realm stores digests, so every DIGEST login is refused. Use BASIC or "
                    "FORM over TLS instead (docs/security.md, Storing passwords)",
                    self.name,
                )
            return None
        stored = self.get_password(digest.username)
        expected = digest_response(stored if stored is not None else secrets.token_hex(16), digest)
        if expected is None:
            return None
        same = hmac.compare_digest(expected.encode("ascii"), digest.response.lower().encode("utf-8", "replace"))
        if same and stored is not None:
            return self.get_principal(digest.username)
        return None
