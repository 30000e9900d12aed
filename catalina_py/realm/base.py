"""The contract between the container and a realm.

A *realm* answers two questions for the authenticators and for
``request.is_user_in_role``: "are these credentials right for this user?"
(an authenticated :class:`GenericPrincipal`, or ``None``) and "does this
principal hold this role?".  It is Tomcat's ``org.apache.catalina.Realm``
cut down to what a Python container needs: no JAAS, no GSS, no X.509
client-certificate login.

A realm is declared with ``<Realm>`` in ``<Engine>``, ``<Host>`` or a
``<Context>``; the nearest one wins, as Tomcat's ``ContainerBase.getRealm``
walks up the parents (:func:`find_realm`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

__all__ = ["DigestCredentials", "GenericPrincipal", "Realm", "find_realm"]


@dataclass(frozen=True)
class GenericPrincipal:
    """An authenticated user: a name and the roles the realm gave it.

    ``get_name()`` is what ``request.get_remote_user()`` returns and what
    ``get_user_principal()`` stands for.  ``roles`` already includes the
    roles of the user's groups.  ``user`` is what the realm wants to keep
    about the user (for a Python-class realm, its own object), never a
    password.
    """

    name: str
    roles: frozenset[str] = frozenset()
    user: Any = field(default=None, compare=False, repr=False)

    def get_name(self) -> str:
        """The user name (``java.security.Principal.getName``)."""
        return self.name

    def has_role(self, role: str) -> bool:
        """True if the realm gave this principal *role*.  ``"*"`` is never
        a role a user holds (it means "any role" only in an
        ``<auth-constraint>``), so it is False here as in Tomcat."""
        return role != "*" and role in self.roles

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class DigestCredentials:
    """What an HTTP DIGEST login (RFC 7616) hands the realm: the fields of
    the client's ``Authorization: Digest`` header, and ``digest_a2``, the
    hex digest of ``method:uri`` the authenticator computed. ``algorithm``
    is ``MD5`` or ``SHA-256`` (``None`` means MD5)."""

    username: str
    response: str
    nonce: str
    nc: str | None
    cnonce: str | None
    qop: str | None
    realm_name: str
    digest_a2: str
    algorithm: str | None


class Realm(ABC):
    """What every realm implements.

    ``start`` and ``stop`` follow the container's lifecycle (a realm that
    reads a file reads it in ``start``; a file that cannot be read makes
    the realm refuse every login and log why, it never stops the whole
    container).
    """

    #: Set by the container: the name logs use (``Realm[UserDatabaseRealm]``).
    name: str = "Realm"

    def start(self) -> None:  # noqa: B027 - a hook with nothing to do by default
        """Make the realm ready (read users, open connections)."""

    def stop(self) -> None:  # noqa: B027 - a hook with nothing to do by default
        """Release what ``start`` took."""

    @abstractmethod
    def authenticate(self, username: str, credentials: str) -> GenericPrincipal | None:
        """The principal for *username* if *credentials* (a password as the
        user typed it) are right, else ``None``.  The comparison takes the
        same time whether the user exists or not, and whether the
        password is right or wrong."""

    @abstractmethod
    def authenticate_digest(self, digest: DigestCredentials) -> GenericPrincipal | None:
        """HTTP DIGEST (RFC 7616): the principal if ``digest.response`` is
        the response computed from the user's secret, else ``None``.
        A realm that stores only one-way password hashes cannot compute
        the response and returns ``None`` (and logs why, once)."""

    def has_role(self, principal: GenericPrincipal | None, role: str) -> bool:
        """True if *principal* holds *role* (after any ``security-role-ref``
        mapping the caller already applied)."""
        return principal is not None and principal.has_role(role)


def find_realm(container: Any) -> Realm | None:
    """The realm that applies to *container* (a context, host or engine):
    its own ``realm`` attribute, else its parent's (context -> host ->
    engine), else ``None``."""
    seen = 0
    while container is not None and seen < 4:
        realm = getattr(container, "realm", None)
        if realm is not None:
            return realm
        container = getattr(container, "host", None) or getattr(container, "engine", None)
        seen += 1
    return None
