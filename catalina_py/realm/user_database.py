"""``tomcat-users.xml`` and the ``UserDatabaseRealm`` over it.

:func:`load_users` reads the file Tomcat's ``MemoryUserDatabase`` reads:
``<role rolename>``, ``<group groupname roles>``, ``<user username password
roles groups>`` (roles and groups comma-separated; a role or group named
by a user but not declared exists all the same, as in Tomcat).  A user's
roles are its own and those of its groups.

A file that cannot be read or is malformed does not stop the container:
the realm logs the error with ``file:line`` and refuses every login until
the file is fixed.  As Tomcat's ``watchSource="true"`` (its default), a
changed file is read again (checked at most every
:data:`WATCH_INTERVAL` seconds, when a login needs the users); a new
version that is malformed is logged and the users read before stay.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from lxml import etree

from ..config.xml import XmlReader, read_xml
from ..errors import ConfigError
from .realm_base import RealmBase

__all__ = ["UserDatabase", "UserDatabaseRealm", "UserRecord", "WATCH_INTERVAL", "load_users"]

log = logging.getLogger("catalina_py.realm")

#: Seconds between two looks at whether tomcat-users.xml changed.
WATCH_INTERVAL = 10.0

_USER_ATTRS = frozenset({"username", "password", "roles", "groups", "fullName"})
_GROUP_ATTRS = frozenset({"groupname", "roles", "description"})
_ROLE_ATTRS = frozenset({"rolename", "description"})


@dataclass(frozen=True)
class UserRecord:
    """One ``<user>``: its stored credential, roles and groups."""

    username: str
    password: str
    roles: frozenset[str]
    groups: frozenset[str]
    full_name: str | None = None


@dataclass(frozen=True)
class UserDatabase:
    """What a ``tomcat-users.xml`` holds."""

    users: Mapping[str, UserRecord]
    groups: Mapping[str, frozenset[str]]
    roles: frozenset[str]

    def roles_of(self, username: str) -> frozenset[str]:
        """The user's roles and its groups' roles (empty for no such user)."""
        user = self.users.get(username)
        if user is None:
            return frozenset()
        roles = set(user.roles)
        for group in user.groups:
            roles |= self.groups.get(group, frozenset())
        return frozenset(roles)


def _names(value: str | None) -> frozenset[str]:
    return frozenset(name.strip() for name in (value or "").split(",") if name.strip())


def load_users(path: str) -> tuple[UserDatabase, list[str]]:
    """Read ``tomcat-users.xml``: the database and the warnings.  Raises
    :class:`ConfigError` with file and line for a malformed file."""
    tree, lines = read_xml(path, "<tomcat-users>")
    root = tree.getroot()
    namespace = etree.QName(root).namespace or ""  # Tomcat's file is in http://tomcat.apache.org/xml
    reader = XmlReader(path, lines, namespace=namespace)
    if reader.name_of(root) != "tomcat-users":
        raise reader.error(
            root, f"the root element must be <tomcat-users>, found <{reader.name_of(root)}>", "<tomcat-users>"
        )
    roles: set[str] = set()
    groups: dict[str, frozenset[str]] = {}
    users: dict[str, UserRecord] = {}
    where: dict[str, str] = {}
    for child in reader.children(root, "tomcat-users", {"role", "group", "user"}):
        name = reader.name_of(child)
        if name == "role":
            attrs = reader.attributes(child, "role")
            attrs.check_names(_ROLE_ATTRS)
            roles.add(attrs.required("rolename", 'rolename="manager-gui"').strip())
        elif name == "group":
            attrs = reader.attributes(child, "group")
            attrs.check_names(_GROUP_ATTRS)
            group = attrs.required("groupname", 'groupname="admins" roles="admin,manager-gui"').strip()
            groups[group] = _names(attrs.get("roles"))
            roles |= groups[group]
        else:
            attrs = reader.attributes(child, "user")
            attrs.check_names(_USER_ATTRS)
            username = attrs.required("username", 'username="alice" password="..." roles="role1,role2"')
            password = attrs.get("password")
            if password is None:
                raise attrs.error(
                    "password",
                    f'<user username="{username}"> has no password attribute',
                    'password="..." (plain text, or a stored form printed by bin/digest.sh)',
                )
            if username in users:
                raise attrs.error(
                    "username",
                    f"duplicate user '{username}' (first declared at {where[username]})",
                    "each username once",
                )
            where[username] = str(attrs.location)
            user_roles = _names(attrs.get("roles"))
            user_groups = _names(attrs.get("groups"))
            roles |= user_roles
            for group in user_groups:
                groups.setdefault(group, frozenset())
            users[username] = UserRecord(username, password, user_roles, user_groups, attrs.get("fullName"))
        reader.no_children(child, str(name))
    database = UserDatabase(MappingProxyType(users), MappingProxyType(groups), frozenset(roles))
    return database, [str(warning) for warning in reader.warnings]


def _signature(path: str) -> tuple[float, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_mtime, stat.st_size


class UserDatabaseRealm(RealmBase):
    """Tomcat's ``UserDatabaseRealm`` over one ``tomcat-users.xml``.

    ``path`` is the file's absolute path; ``clock`` (seconds, monotonic)
    is injectable for tests.
    """

    def __init__(
        self,
        path: str,
        *,
        watch_source: bool = True,
        resource_name: str = "UserDatabase",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.name = "UserDatabaseRealm"
        self.path = path
        self.watch_source = watch_source
        self.resource_name = resource_name
        self.clock = clock
        #: The users, or None when the file could not be read (every login refused).
        self.database: UserDatabase | None = None
        #: Why the file could not be read (file:line: message), or None.
        self.error: str | None = None
        self._signature: tuple[float, int] | None = None
        self._checked = 0.0

    def start(self) -> None:
        self._checked = self.clock()
        self._load(initial=True)

    def stop(self) -> None:
        self.database = None

    def _load(self, initial: bool) -> None:
        signature = _signature(self.path)
        try:
            database, warnings = load_users(self.path)
        except ConfigError as exc:
            self._signature = signature
            self.error = str(exc)
            if initial or self.database is None:
                log.error(
                    "%s [%s]: cannot read the users, every login is refused until the file is fixed: %s",
                    self.name,
                    self.resource_name,
                    exc,
                )
            else:
                log.error(
                    "%s [%s]: the changed file cannot be read, the users read before stay: %s",
                    self.name,
                    self.resource_name,
                    exc,
                )
            return
        for warning in warnings:
            log.warning("%s", warning)
        self.database = database
        self.error = None
        self._signature = signature
        if not initial:
            log.info("%s [%s]: re-read %s (%d users)", self.name, self.resource_name, self.path, len(database.users))

    def _check_source(self) -> None:
        if not self.watch_source:
            return
        now = self.clock()
        if now - self._checked < WATCH_INTERVAL:
            return
        self._checked = now
        if _signature(self.path) != self._signature:
            self._load(initial=False)

    def get_password(self, username: str) -> str | None:
        self._check_source()
        database = self.database
        if database is None:
            return None
        user = database.users.get(username)
        return None if user is None else user.password

    def get_roles(self, username: str) -> frozenset[str]:
        database = self.database
        return frozenset() if database is None else database.roles_of(username)
