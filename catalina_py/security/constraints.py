"""Security constraints of a web application and which of them apply to a
request: the Servlet specification's section 13.8 as Tomcat's
``RealmBase.findSecurityConstraints``, ``hasUserDataPermission`` and
``hasResourcePermission`` implement it.

Everything here is pure: constraints in, decisions out.

Precedence (:func:`find_constraints`): the constraints whose url-pattern
matches the context-relative path *exactly* win; else those of the
*longest path prefix* (``/a/b/*`` over ``/a/*``); else those of an
*extension* pattern (``*.jsp``); else those of the default pattern ``/``.
Within the winning kind, only the web resource collections that cover the
request's method count (``<http-method>`` lists the methods covered,
``<http-method-omission>`` the methods not covered, neither means all).
A method no collection of the winning kind covers is *uncovered*: no
constraint applies, unless ``<deny-uncovered-http-methods/>`` added a
deny-all constraint for it (:func:`uncovered_method_constraints`).

Combining (the specification's 13.8.1): any applicable constraint without
an ``<auth-constraint>`` lets everyone in; an empty ``<auth-constraint/>``
denies everyone; otherwise the roles add up.  A user data constraint of
``NONE`` (or none at all) in any applicable constraint accepts a plain
connection; otherwise INTEGRAL and CONFIDENTIAL need a secure one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from ..errors import Location

__all__ = [
    "ALL_AUTHENTICATED_USERS",
    "ALL_ROLES",
    "TRANSPORT_GUARANTEES",
    "SecurityCollection",
    "SecurityConstraint",
    "find_constraints",
    "is_permitted",
    "needs_authentication",
    "needs_secure_transport",
    "pattern_matches",
    "uncovered_method_constraints",
]

#: ``<role-name>*</role-name>``: any role declared by ``<security-role>``.
ALL_ROLES = "*"
#: ``<role-name>**</role-name>``: any authenticated user (Servlet 3.1).
ALL_AUTHENTICATED_USERS = "**"
#: The values of ``<transport-guarantee>``.
TRANSPORT_GUARANTEES = ("NONE", "INTEGRAL", "CONFIDENTIAL")


@dataclass(frozen=True)
class SecurityCollection:
    """A ``<web-resource-collection>``: url-patterns and the methods they
    cover (``methods`` and ``omitted_methods`` are exclusive; both empty
    means every method)."""

    patterns: tuple[str, ...]
    methods: frozenset[str] = frozenset()
    omitted_methods: frozenset[str] = frozenset()
    name: str = ""

    def covers_method(self, method: str) -> bool:
        """Whether this collection applies to *method* (Tomcat's ``findMethod``)."""
        if self.methods:
            return method in self.methods
        return method not in self.omitted_methods


@dataclass(frozen=True)
class SecurityConstraint:
    """A ``<security-constraint>``.

    ``auth_constraint`` says whether an ``<auth-constraint>`` was given at
    all (given and without roles: nobody may access); ``roles`` are its
    role names other than ``*`` and ``**``, which set ``all_roles`` and
    ``authenticated_users``.  ``transport_guarantee`` is ``NONE`` when no
    ``<user-data-constraint>`` was given.
    """

    collections: tuple[SecurityCollection, ...]
    auth_constraint: bool = False
    roles: tuple[str, ...] = ()
    all_roles: bool = False
    authenticated_users: bool = False
    transport_guarantee: str = "NONE"
    display_name: str = ""
    location: Location | None = field(default=None, compare=False)

    @property
    def denies_all(self) -> bool:
        """An empty ``<auth-constraint/>``: no user may access."""
        return self.auth_constraint and not self.roles and not self.all_roles and not self.authenticated_users


def pattern_matches(pattern: str, path: str) -> bool:
    """Whether url-pattern *pattern* matches the context-relative *path*
    (any kind of match; :func:`find_constraints` ranks them)."""
    if not path:
        path = "/"
    if path == pattern or (pattern == "" and path == "/"):
        return True
    if pattern == "/" or pattern == "/*":
        return True
    if pattern.startswith("/") and pattern.endswith("/*"):
        return _prefix_length(pattern, path) >= 0
    if pattern.startswith("*."):
        return _extension_matches(pattern, path)
    return False


def _prefix_length(pattern: str, path: str) -> int:
    """The length of prefix pattern ``/x/*`` when it matches *path*, else -1."""
    if len(pattern) == 2:
        return 2
    base = pattern[:-2]
    if path == base or path.startswith(base + "/"):
        return len(pattern)
    return -1


def _extension_matches(pattern: str, path: str) -> bool:
    slash = path.rfind("/")
    dot = path.rfind(".")
    return slash >= 0 and dot > slash and dot != len(path) - 1 and path[dot:] == pattern[1:]


def find_constraints(
    constraints: Sequence[SecurityConstraint], path: str, method: str
) -> tuple[SecurityConstraint, ...]:
    """The constraints that apply to *method* on the context-relative
    *path* (empty: none, the request is unconstrained), by the precedence
    in the module documentation, in declaration order."""
    if not constraints:
        return ()
    if not path:
        path = "/"
    # 1. Exact matches (the empty pattern is the context root "/").
    found = False
    results: list[SecurityConstraint] = []
    for constraint in constraints:
        for collection in constraint.collections:
            if any(p == path or (p == "" and path == "/") for p in collection.patterns):
                found = True
                if collection.covers_method(method) and constraint not in results:
                    results.append(constraint)
    if found:
        return tuple(results)
    # 2. The longest matching path prefix.
    longest = -1
    for constraint in constraints:
        for collection in constraint.collections:
            length = max(
                (_prefix_length(p, path) for p in collection.patterns if p.startswith("/") and p.endswith("/*")),
                default=-1,
            )
            if length < 0 or length < longest:
                continue
            if length > longest:
                longest = length
                results = []
                found = False
            if collection.covers_method(method) and constraint not in results:
                found = True
                results.append(constraint)
    if found:
        # As Tomcat: when no collection of the longest prefix covers the
        # method, the extension and default patterns are tried next.
        return tuple(results)
    results = []
    # 3. Extension patterns.
    for constraint in constraints:
        for collection in constraint.collections:
            if any(p.startswith("*.") and _extension_matches(p, path) for p in collection.patterns):
                found = True
                if collection.covers_method(method) and constraint not in results:
                    results.append(constraint)
    if found:
        return tuple(results)
    # 4. The default pattern.
    for constraint in constraints:
        for collection in constraint.collections:
            if "/" in collection.patterns and collection.covers_method(method) and constraint not in results:
                results.append(constraint)
    return tuple(results)


def needs_secure_transport(constraints: Iterable[SecurityConstraint]) -> bool:
    """Whether the applicable *constraints* require a secure connection
    (Tomcat's ``hasUserDataPermission``: one constraint with ``NONE`` is
    enough to accept a plain one)."""
    any_constraint = False
    for constraint in constraints:
        any_constraint = True
        if constraint.transport_guarantee == "NONE":
            return False
    return any_constraint


def needs_authentication(constraints: Iterable[SecurityConstraint]) -> bool:
    """Whether the user must log in before the roles can be checked: every
    applicable constraint has an auth-constraint naming roles (one that
    lets everybody in, or denies everybody, needs no login)."""
    any_constraint = False
    for constraint in constraints:
        any_constraint = True
        if not constraint.auth_constraint or constraint.denies_all:
            return False
    return any_constraint


def is_permitted(
    constraints: Iterable[SecurityConstraint],
    authenticated: bool,
    has_role: Callable[[str], bool],
    security_roles: Iterable[str],
) -> bool:
    """Whether the (possibly anonymous) user may access a resource the
    applicable *constraints* protect (Tomcat's ``hasResourcePermission`` in
    its default ``STRICT_MODE``): ``*`` stands for every role in
    *security_roles*; ``**`` for any authenticated user; a constraint
    without auth-constraint lets everybody in, an empty one nobody (which
    wins over everything)."""
    status = False
    declared = tuple(security_roles)
    for constraint in constraints:
        if constraint.denies_all:
            return False
        if not constraint.auth_constraint:
            status = True
            continue
        if constraint.authenticated_users and authenticated:
            status = True
            continue
        if not authenticated:
            continue
        roles = declared if constraint.all_roles else constraint.roles
        if any(has_role(role) for role in roles):
            status = True
    return status


def uncovered_method_constraints(
    constraints: Sequence[SecurityConstraint], deny: bool
) -> tuple[list[SecurityConstraint], list[str]]:
    """The url-patterns whose methods are only partly covered (Tomcat's
    ``findUncoveredHttpMethods``): returns the deny-all constraints to add
    when *deny* (``<deny-uncovered-http-methods/>``) and a message per
    pattern (Tomcat logs them at INFO when it fixes them, ERROR otherwise)."""
    covered: set[str] = set()
    method_map: dict[str, set[str]] = {}
    omitted_map: dict[str, set[str]] = {}
    for constraint in constraints:
        for collection in constraint.collections:
            if not collection.methods and not collection.omitted_methods:
                covered.update(collection.patterns)
                continue
            for pattern in collection.patterns:
                if pattern in covered:
                    continue
                if collection.methods:
                    method_map.setdefault(pattern, set()).update(collection.methods)
                elif pattern in omitted_map:
                    omitted_map[pattern] &= collection.omitted_methods
                else:
                    omitted_map[pattern] = set(collection.omitted_methods)
    added: list[SecurityConstraint] = []
    messages: list[str] = []
    for pattern, methods in sorted(method_map.items()):
        omitted = omitted_map.pop(pattern, None)
        if pattern in covered:
            continue
        if omitted is None:
            names = " ".join(sorted(methods))
            if deny:
                messages.append(
                    f"For security constraints with URL pattern [{pattern}] only the HTTP methods [{names}] are "
                    "covered. All other methods have been denied (deny-uncovered-http-methods)."
                )
                collection = SecurityCollection((pattern,), omitted_methods=frozenset(methods), name="deny-uncovered")
                added.append(SecurityConstraint((collection,), auth_constraint=True))
            else:
                messages.append(
                    f"For security constraints with URL pattern [{pattern}] only the HTTP methods [{names}] are "
                    "covered. All other methods are uncovered."
                )
            continue
        _omitted(pattern, omitted - methods, deny, added, messages)
    for pattern, omitted in sorted(omitted_map.items()):
        if pattern not in covered:
            _omitted(pattern, omitted, deny, added, messages)
    return added, messages


def _omitted(pattern: str, omitted: set[str], deny: bool, added: list[SecurityConstraint], messages: list[str]) -> None:
    if not omitted:
        return
    names = " ".join(sorted(omitted))
    if deny:
        messages.append(
            f"For security constraints with URL pattern [{pattern}] the HTTP methods [{names}] are uncovered; "
            "they have been denied (deny-uncovered-http-methods)."
        )
        collection = SecurityCollection((pattern,), methods=frozenset(omitted), name="deny-uncovered")
        added.append(SecurityConstraint((collection,), auth_constraint=True))
    else:
        messages.append(
            f"For security constraints with URL pattern [{pattern}] the HTTP methods [{names}] are uncovered."
        )
