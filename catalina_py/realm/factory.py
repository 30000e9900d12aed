"""Building realms and credential handlers from their specs
(:mod:`catalina_py.config.realm_spec`).

A user's realm class (``<Realm className="mypackage.MyRealm">``) is
imported from ``CATALINA_BASE/lib``, then ``CATALINA_HOME/lib``, then
``sys.path``: those folders are put in front of ``sys.path`` when one is
needed, as Tomcat loads realms with its server class loader (``lib/``),
never from a webapp.  The class must be a subclass of
:class:`catalina_py.realm.base.Realm` and is made with no arguments; the
``<Realm>``'s other attributes are given to its ``configure(attributes)``
method (a realm with attributes but no ``configure`` is an error), and a
nested ``<CredentialHandler>`` is set as its ``credential_handler``.

Every problem is a :class:`~catalina_py.errors.ConfigError` at the
``<Realm>``'s ``file:line``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

from ..config.realm_spec import CredentialHandlerSpec, RealmSpec, UserDatabaseSpec
from ..config.valve_spec import resolve_class
from ..errors import ConfigError
from .base import Realm
from .combined import CombinedRealm, LockOutRealm
from .credential import (
    CredentialHandler,
    MessageDigestCredentialHandler,
    NestedCredentialHandler,
    SecretKeyCredentialHandler,
)
from .user_database import UserDatabaseRealm

__all__ = ["build_credential_handler", "build_realm", "realm_lib_path"]


def build_credential_handler(spec: CredentialHandlerSpec) -> CredentialHandler:
    """The handler a ``<CredentialHandler>`` describes."""
    try:
        if spec.kind == "Nested":
            return NestedCredentialHandler([build_credential_handler(nested) for nested in spec.nested])
        if spec.kind == "SecretKey":
            return SecretKeyCredentialHandler(
                spec.algorithm or "PBKDF2WithHmacSHA1",
                spec.iterations or 20000,
                32 if spec.salt_length is None else spec.salt_length,
                spec.key_length or 160,
            )
        return MessageDigestCredentialHandler(
            spec.algorithm, spec.iterations or 1, 32 if spec.salt_length is None else spec.salt_length, spec.encoding
        )
    except (ValueError, LookupError) as exc:
        raise ConfigError.at(
            spec.location,
            f'<CredentialHandler className="{spec.class_name}">: {exc}',
            'algorithm="SHA-256" for a MessageDigestCredentialHandler, algorithm="PBKDF2WithHmacSHA256" and '
            'keyLength="256" for a SecretKeyCredentialHandler',
        ) from None


def realm_lib_path(catalina_base: str, catalina_home: str) -> list[str]:
    """The folders a user's realm class is imported from first."""
    found: list[str] = []
    for root in (catalina_base, catalina_home):
        lib = os.path.join(root, "lib")
        if os.path.isdir(lib) and lib not in found:
            found.append(lib)
    return found


def _python_realm(spec: RealmSpec, catalina_base: str, catalina_home: str) -> Realm:
    assert spec.python_class is not None
    for lib in reversed(realm_lib_path(catalina_base, catalina_home)):
        if lib not in sys.path:
            sys.path.insert(0, lib)
    hint = (
        "the dotted path of a subclass of catalina_py.realm.base.Realm (or catalina_py.realm.realm_base.RealmBase), "
        "importable from CATALINA_BASE/lib, CATALINA_HOME/lib or sys.path"
    )
    try:
        cls = resolve_class(spec.python_class)
    except (ImportError, TypeError) as exc:
        raise ConfigError.at(spec.location, f"cannot load realm class '{spec.python_class}': {exc}", hint) from None
    if not issubclass(cls, Realm):
        raise ConfigError.at(spec.location, f"realm class '{spec.python_class}' is not a subclass of Realm", hint)
    try:
        realm = cls()
    except Exception as exc:
        raise ConfigError.at(
            spec.location, f"realm class '{spec.python_class}' failed: {type(exc).__name__}: {exc}", hint
        ) from None
    configure = getattr(realm, "configure", None)
    if spec.attributes and configure is None:
        names = ", ".join(sorted(spec.attributes))
        raise ConfigError.at(
            spec.location,
            f"realm class '{spec.python_class}' takes no attributes (it has no configure method): {names}",
            "remove the attributes, or give the class a configure(attributes) method",
        )
    if configure is not None:
        try:
            configure(dict(spec.attributes))
        except (ValueError, TypeError, KeyError) as exc:
            raise ConfigError.at(
                spec.location, f'<Realm className="{spec.python_class}">: {type(exc).__name__}: {exc}', hint
            ) from None
    if spec.credential_handler is not None:
        realm.credential_handler = build_credential_handler(spec.credential_handler)  # type: ignore[attr-defined]
    return realm


def build_realm(
    spec: RealmSpec,
    *,
    catalina_base: str,
    catalina_home: str,
    user_databases: Mapping[str, UserDatabaseSpec],
) -> Realm:
    """The realm a ``<Realm>`` describes (not started).  ``user_databases``
    are the UserDatabase resources of ``<GlobalNamingResources>``."""
    if spec.kind in ("LockOut", "Combined"):
        nested = [
            build_realm(child, catalina_base=catalina_base, catalina_home=catalina_home, user_databases=user_databases)
            for child in spec.nested
        ]
        if spec.kind == "Combined":
            return CombinedRealm(nested)
        return LockOutRealm(
            nested,
            failure_count=spec.failure_count,
            lock_out_time=spec.lock_out_time,
            cache_size=spec.cache_size,
            cache_removal_warning_time=spec.cache_removal_warning_time,
        )
    if spec.kind == "UserDatabase":
        database = user_databases.get(spec.resource_name)
        if database is None:
            known = ", ".join(sorted(user_databases)) or "none"
            raise ConfigError.at(
                spec.location,
                f"UserDatabaseRealm: no UserDatabase resource named '{spec.resource_name}' in "
                f"<GlobalNamingResources> of server.xml (declared: {known})",
                '<GlobalNamingResources><Resource name="UserDatabase" auth="Container" '
                'type="org.apache.catalina.UserDatabase" '
                'factory="org.apache.catalina.users.MemoryUserDatabaseFactory" '
                'pathname="conf/tomcat-users.xml"/></GlobalNamingResources>',
            )
        path = os.path.expanduser(database.pathname)
        if not os.path.isabs(path):
            path = os.path.join(catalina_base, path)
        realm = UserDatabaseRealm(
            os.path.normpath(path), watch_source=database.watch_source, resource_name=database.name
        )
        if spec.credential_handler is not None:
            realm.credential_handler = build_credential_handler(spec.credential_handler)
        return realm
    return _python_realm(spec, catalina_base, catalina_home)
