"""``<Realm>``, ``<CredentialHandler>`` and the ``UserDatabase`` resources of
``<GlobalNamingResources>``, read into frozen specs with ``file:line``.

A ``<Realm className>`` is one of Tomcat's realm classes catalina_py
implements (:data:`TOMCAT_REALMS`), or the dotted path of a Python class,
a subclass of :class:`catalina_py.realm.base.Realm`, for users kept
elsewhere.  The Python class is imported when the realm is built
(:mod:`catalina_py.realm.factory`), not here: it is looked for in
``CATALINA_BASE/lib``, then ``CATALINA_HOME/lib``, then ``sys.path``, as
Tomcat loads realms with its server class loader, never from a webapp.

Unlike other elements, a ``<Realm>`` or ``<CredentialHandler>`` with an
attribute catalina_py does not know is an error, not a warning: a misspelt
``lockOutTime`` silently ignored would weaken a security setting.  The
attributes Tomcat documents but catalina_py does not implement are
warned about (:data:`TOMCAT_REALM_ATTRIBUTES`).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass

from catalina_py.config.valve_spec import frozen_map
from catalina_py.config.xml import Attributes, Element, XmlReader
from catalina_py.errors import ConfigError, Location

__all__ = [
    "CREDENTIAL_HANDLERS",
    "CredentialHandlerSpec",
    "RealmSpec",
    "TOMCAT_REALMS",
    "UNSUPPORTED_REALMS",
    "USER_DATABASE_FACTORY",
    "USER_DATABASE_TYPE",
    "UserDatabaseSpec",
    "read_credential_handler",
    "read_realm",
    "read_user_database",
]

_PKG = "org.apache.catalina.realm."

#: Tomcat realm class names catalina_py implements -> the kind of realm.
TOMCAT_REALMS: dict[str, str] = {
    _PKG + "UserDatabaseRealm": "UserDatabase",
    _PKG + "LockOutRealm": "LockOut",
    _PKG + "CombinedRealm": "Combined",
}

#: Tomcat realms catalina_py does not implement, with what to use instead.
UNSUPPORTED_REALMS: dict[str, str] = {
    _PKG + "JNDIRealm": "a Python realm class (a subclass of catalina_py.realm.realm_base.RealmBase) that asks the "
    "directory, e.g. with the ldap3 package",
    _PKG + "DataSourceRealm": "a Python realm class (a subclass of catalina_py.realm.realm_base.RealmBase) that reads "
    "the database",
    _PKG + "JDBCRealm": "a Python realm class (a subclass of catalina_py.realm.realm_base.RealmBase) that reads the "
    "database",
    _PKG + "JAASRealm": "a Python realm class (a subclass of catalina_py.realm.base.Realm)",
    _PKG + "MemoryRealm": 'org.apache.catalina.realm.UserDatabaseRealm with resourceName="UserDatabase" (the '
    "same tomcat-users.xml file)",
    _PKG + "NullRealm": "no <Realm> at all",
    _PKG + "JavaEERealm": "a Python realm class (a subclass of catalina_py.realm.base.Realm)",
}

#: Tomcat credential handler class names -> kind.
CREDENTIAL_HANDLERS: dict[str, str] = {
    _PKG + "MessageDigestCredentialHandler": "MessageDigest",
    _PKG + "SecretKeyCredentialHandler": "SecretKey",
    _PKG + "NestedCredentialHandler": "Nested",
}

#: ``type`` and ``factory`` of a ``<Resource>`` that is a user database.
USER_DATABASE_TYPE = "org.apache.catalina.UserDatabase"
USER_DATABASE_FACTORY = "org.apache.catalina.users.MemoryUserDatabaseFactory"

#: Attributes modelled per realm kind (className is always allowed).
_REALM_ATTRIBUTES: dict[str, frozenset[str]] = {
    "UserDatabase": frozenset({"resourceName"}),
    "Combined": frozenset(),
    "LockOut": frozenset({"failureCount", "lockOutTime", "cacheSize", "cacheRemovalWarningTime"}),
}

#: Attributes Tomcat documents for its realms that catalina_py does not
#: implement: warned about, not refused.
TOMCAT_REALM_ATTRIBUTES = frozenset(
    {
        "allRolesMode",
        "transportGuaranteeRedirectStatus",
        "realmPath",
        "stripRealmForGss",
        "validate",
        "X509UsernameRetrieverClassName",
        "useStaticPrincipal",
        "localJndiResource",
    }
)

_HANDLER_ATTRIBUTES: dict[str, frozenset[str]] = {
    "MessageDigest": frozenset({"algorithm", "iterations", "saltLength", "encoding"}),
    "SecretKey": frozenset({"algorithm", "iterations", "saltLength", "keyLength"}),
    "Nested": frozenset(),
}

_REALM_HINT = (
    'className="org.apache.catalina.realm.UserDatabaseRealm" (or LockOutRealm, CombinedRealm), or the dotted '
    "path of a Python subclass of catalina_py.realm.base.Realm"
)
_HANDLER_HINT = (
    'className="org.apache.catalina.realm.MessageDigestCredentialHandler" (or SecretKeyCredentialHandler, '
    "NestedCredentialHandler)"
)


@dataclass(frozen=True)
class CredentialHandlerSpec:
    """A ``<CredentialHandler>``: how stored passwords are checked.

    ``kind`` is ``MessageDigest``, ``SecretKey`` or ``Nested``; the
    numbers are None where the element leaves Tomcat's default.
    """

    class_name: str
    kind: str
    location: Location
    algorithm: str | None = None
    iterations: int | None = None
    salt_length: int | None = None
    key_length: int | None = None
    encoding: str = "UTF-8"
    nested: tuple[CredentialHandlerSpec, ...] = ()


@dataclass(frozen=True)
class RealmSpec:
    """A ``<Realm>``.

    ``kind`` is ``UserDatabase``, ``LockOut``, ``Combined`` or ``python``
    (then ``python_class`` is the dotted path as written, imported when the
    realm is built).  ``attributes`` holds every attribute but className,
    as written (substituted); the typed fields hold the checked values of
    Tomcat's realms.
    """

    class_name: str
    kind: str
    location: Location
    attributes: Mapping[str, str]
    python_class: str | None = None
    nested: tuple[RealmSpec, ...] = ()
    credential_handler: CredentialHandlerSpec | None = None
    resource_name: str = "UserDatabase"
    failure_count: int = 5
    lock_out_time: int = 300
    cache_size: int = 1000
    cache_removal_warning_time: int = 3600


@dataclass(frozen=True)
class UserDatabaseSpec:
    """A ``<Resource type="org.apache.catalina.UserDatabase">`` of
    ``<GlobalNamingResources>``: a ``tomcat-users.xml`` file by name.
    ``pathname`` is as written (relative to CATALINA_BASE)."""

    name: str
    pathname: str
    location: Location
    readonly: bool = True
    watch_source: bool = True


def _unknown(attrs: Attributes, name: str, tag: str, known: frozenset[str], what: str) -> ConfigError:
    message = f"unknown attribute {name} on <{tag}> ({what})"
    close = difflib.get_close_matches(name, sorted(known), n=1)
    if close:
        message += f"; did you mean {close[0]}?"
    allowed = ", ".join(sorted(known)) or "only className"
    return attrs.error(name, message, f"one of: {allowed}")


def _check_attributes(attrs: Attributes, tag: str, known: frozenset[str], what: str, tomcat: frozenset[str]) -> None:
    for name in attrs.values:
        if name == "className" or name in known:
            continue
        if name in tomcat:
            attrs.reader.warn(
                attrs.location, f"attribute {name} of <{tag}> ({what}) is not supported by catalina_py, ignored"
            )
            continue
        raise _unknown(attrs, name, tag, known, what)


def read_credential_handler(reader: XmlReader, element: Element) -> CredentialHandlerSpec:
    """Read ``<CredentialHandler>`` (with nested ones for the Nested handler)."""
    attrs = reader.attributes(element, "CredentialHandler")
    class_name = attrs.required("className", _HANDLER_HINT).strip()
    kind = CREDENTIAL_HANDLERS.get(class_name)
    if kind is None:
        short = class_name.rsplit(".", 1)[-1]
        suggestion = [name for name in CREDENTIAL_HANDLERS if name.rsplit(".", 1)[-1] == short]
        raise attrs.error(
            "className",
            f"unknown credential handler class '{class_name}'",
            f'className="{suggestion[0]}"' if suggestion else _HANDLER_HINT,
        )
    _check_attributes(attrs, "CredentialHandler", _HANDLER_ATTRIBUTES[kind], class_name.rsplit(".", 1)[-1], frozenset())
    nested: list[CredentialHandlerSpec] = []
    for name, child in reader.elements(element):
        if kind == "Nested" and name == "CredentialHandler":
            nested.append(read_credential_handler(reader, child))
        else:
            raise reader.error(
                child,
                f"unexpected element <{name}> in <CredentialHandler> ({class_name.rsplit('.', 1)[-1]})",
                "nested <CredentialHandler> elements only inside a NestedCredentialHandler",
            )
    if kind == "Nested" and not nested:
        raise attrs.error(
            "className",
            "a NestedCredentialHandler needs at least one nested <CredentialHandler>",
            '<CredentialHandler className="...NestedCredentialHandler"><CredentialHandler className="..."/>'
            "</CredentialHandler>",
        )
    hint_number = "an integer, 1 or more"
    algorithm = attrs.get("algorithm")
    if algorithm is not None and not algorithm.strip():
        raise attrs.error("algorithm", "attribute algorithm of <CredentialHandler> is empty", 'algorithm="SHA-256"')
    encoding = attrs.get("encoding", "UTF-8") or "UTF-8"
    try:
        "".encode(encoding)
    except LookupError:
        raise attrs.error("encoding", f"unknown character encoding '{encoding}'", 'encoding="UTF-8"') from None
    return CredentialHandlerSpec(
        class_name=class_name,
        kind=kind,
        location=attrs.location,
        algorithm=algorithm.strip() if algorithm else None,
        iterations=attrs.optional_integer("iterations", minimum=1, hint=hint_number),
        salt_length=attrs.optional_integer("saltLength", minimum=0, hint="an integer number of bytes, 0 or more"),
        key_length=attrs.optional_integer("keyLength", minimum=8, hint="a number of bits such as 256"),
        encoding=encoding,
        nested=tuple(nested),
    )


def read_realm(reader: XmlReader, element: Element) -> RealmSpec:
    """Read ``<Realm>`` with its nested realms and credential handler."""
    attrs = reader.attributes(element, "Realm")
    class_name = attrs.required("className", _REALM_HINT).strip()
    if class_name in UNSUPPORTED_REALMS:
        raise attrs.error(
            "className",
            f"{class_name.rsplit('.', 1)[-1]} is not implemented by catalina_py",
            UNSUPPORTED_REALMS[class_name],
        )
    kind = TOMCAT_REALMS.get(class_name)
    python_class: str | None = None
    if kind is None:
        if class_name.startswith(("org.", "com.", "net.", "jakarta.", "javax.", "java.")) or "." not in class_name:
            short = class_name.rsplit(".", 1)[-1]
            suggestion = [name for name in TOMCAT_REALMS if name.rsplit(".", 1)[-1] == short]
            raise attrs.error(
                "className",
                f"unknown realm class '{class_name}'",
                f'className="{suggestion[0]}"' if suggestion else _REALM_HINT,
            )
        reader.check_dotted(element, class_name, "realm class")
        kind = "python"
        python_class = class_name
    else:
        _check_attributes(
            attrs, "Realm", _REALM_ATTRIBUTES[kind], class_name.rsplit(".", 1)[-1], TOMCAT_REALM_ATTRIBUTES
        )
    nested: list[RealmSpec] = []
    handler: CredentialHandlerSpec | None = None
    for name, child in reader.elements(element):
        if name == "Realm" and kind in ("LockOut", "Combined"):
            nested.append(read_realm(reader, child))
        elif name == "CredentialHandler" and kind not in ("LockOut", "Combined"):
            if handler is not None:
                raise reader.error(child, "more than one <CredentialHandler> in <Realm>", "one <CredentialHandler>")
            handler = read_credential_handler(reader, child)
        else:
            expected = (
                "nested <Realm> elements"
                if kind in ("LockOut", "Combined")
                else "one <CredentialHandler> (nested realms belong in a LockOutRealm or CombinedRealm)"
            )
            raise reader.error(
                child, f"unexpected element <{name}> in <Realm> ({class_name.rsplit('.', 1)[-1]})", expected
            )
    if kind in ("LockOut", "Combined") and not nested:
        raise attrs.error(
            "className",
            f"a {class_name.rsplit('.', 1)[-1]} needs at least one nested <Realm>",
            '<Realm className="org.apache.catalina.realm.LockOutRealm"><Realm className='
            '"org.apache.catalina.realm.UserDatabaseRealm" resourceName="UserDatabase"/></Realm>',
        )
    resource_name = attrs.get("resourceName", "UserDatabase") or ""
    if kind == "UserDatabase" and not resource_name.strip():
        raise attrs.error("resourceName", "attribute resourceName of <Realm> is empty", 'resourceName="UserDatabase"')
    seconds = "a number of seconds, 0 or more"
    return RealmSpec(
        class_name=class_name,
        kind=kind,
        location=attrs.location,
        attributes=frozen_map(attrs.others("className")),
        python_class=python_class,
        nested=tuple(nested),
        credential_handler=handler,
        resource_name=resource_name.strip(),
        failure_count=attrs.integer("failureCount", 5, minimum=1, hint="a number of failures, 1 or more"),
        lock_out_time=attrs.integer("lockOutTime", 300, minimum=0, hint=seconds),
        cache_size=attrs.integer("cacheSize", 1000, minimum=1, hint="a number of users, 1 or more"),
        cache_removal_warning_time=attrs.integer("cacheRemovalWarningTime", 3600, minimum=0, hint=seconds),
    )


def read_user_database(reader: XmlReader, element: Element) -> UserDatabaseSpec | None:
    """Read a ``<Resource>`` of ``<GlobalNamingResources>``: a user
    database spec, or None (with a warning) for any other resource type."""
    attrs = reader.attributes(element, "Resource")
    name = attrs.required("name", 'name="UserDatabase"').strip()
    kind = (attrs.get("type") or "").strip()
    if kind != USER_DATABASE_TYPE:
        reader.warn(
            attrs.location,
            f'<Resource name="{name}" type="{kind}"> in <GlobalNamingResources> is not supported by catalina_py '
            f"(only type {USER_DATABASE_TYPE}), ignored",
        )
        return None
    factory = (attrs.get("factory") or USER_DATABASE_FACTORY).strip()
    if factory != USER_DATABASE_FACTORY:
        raise attrs.error(
            "factory",
            f"unknown user database factory '{factory}'",
            f'factory="{USER_DATABASE_FACTORY}" (a tomcat-users.xml file)',
        )
    known = frozenset({"name", "type", "factory", "pathname", "readonly", "watchSource", "auth", "description"})
    for attribute in attrs.values:
        if attribute not in known:
            raise _unknown(attrs, attribute, "Resource", known, "a UserDatabase")
    pathname = attrs.get("pathname", "conf/tomcat-users.xml") or ""
    if not pathname.strip():
        raise attrs.error("pathname", "attribute pathname of <Resource> is empty", 'pathname="conf/tomcat-users.xml"')
    readonly = attrs.boolean("readonly", True)
    if not readonly:
        reader.warn(
            attrs.location,
            f'<Resource name="{name}">: readonly="false" has no effect, catalina_py never writes the file',
        )
    return UserDatabaseSpec(name, pathname.strip(), attrs.location, readonly, attrs.boolean("watchSource", True))
