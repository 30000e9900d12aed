"""Giving a starting context its authenticator (Tomcat's
``ContextConfig.authenticatorConfig`` and the constraint checks of
``StandardContext.startInternal``).

The context's constraints are web.xml's (merged with ``conf/web.xml``),
then those of ``@servlet_security`` servlet classes for the url-patterns
web.xml does not constrain, then the deny-all constraints of
``<deny-uncovered-http-methods/>``. The authenticator class follows
``<login-config><auth-method>``; an authenticator valve the context
already has (declared with ``<Valve>``, to set its attributes) is used
instead of a new one, as Tomcat does.
"""

from __future__ import annotations

import logging
from typing import Any

from ..security.constraints import (
    ALL_AUTHENTICATED_USERS,
    SecurityCollection,
    SecurityConstraint,
    uncovered_method_constraints,
)
from ..servlet.annotation import HttpConstraintInfo, ServletSecurityInfo, get_servlet_security
from .base import AuthenticatorBase, NonLoginAuthenticator
from .basic import BasicAuthenticator
from .digest import DigestAuthenticator
from .form import FormAuthenticator

__all__ = ["AUTHENTICATORS", "annotation_constraints", "install_authenticator"]

log = logging.getLogger("catalina_py.authenticator")

#: ``<auth-method>`` -> the authenticator class.
AUTHENTICATORS: dict[str | None, type[AuthenticatorBase]] = {
    None: NonLoginAuthenticator,
    "BASIC": BasicAuthenticator,
    "FORM": FormAuthenticator,
    "DIGEST": DigestAuthenticator,
}


def _from_info(
    info: HttpConstraintInfo, pattern: str, methods: frozenset[str], omitted: frozenset[str]
) -> SecurityConstraint:
    collection = SecurityCollection((pattern,), methods, omitted, "servlet-security")
    roles = tuple(r for r in info.roles_allowed if r != ALL_AUTHENTICATED_USERS)
    return SecurityConstraint(
        (collection,),
        auth_constraint=bool(info.roles_allowed) or info.empty_role_semantic == "DENY",
        roles=roles,
        authenticated_users=ALL_AUTHENTICATED_USERS in info.roles_allowed,
        transport_guarantee=info.transport_guarantee,
    )


def _needed(info: HttpConstraintInfo) -> bool:
    return info.transport_guarantee != "NONE" or bool(info.roles_allowed) or info.empty_role_semantic != "PERMIT"


def annotation_constraints(info: ServletSecurityInfo, pattern: str) -> list[SecurityConstraint]:
    """The constraints ``@servlet_security`` means at *pattern* (Tomcat's
    ``SecurityConstraint.createConstraints``): one per listed method, and
    one for every other method unless it permits all without HTTPS."""
    result = [
        _from_info(method_info, pattern, frozenset({method_info.method}), frozenset())
        for method_info in info.http_method_constraints
    ]
    if _needed(info.http_constraint):
        omitted = frozenset(m.method for m in info.http_method_constraints)
        result.append(_from_info(info.http_constraint, pattern, frozenset(), omitted))
    return result


def _annotated(context: Any, taken: set[str]) -> list[SecurityConstraint]:
    """Constraints of the servlet classes decorated with ``@servlet_security``."""
    web = context.web_xml
    found: list[SecurityConstraint] = []
    for name, definition in web.servlets.items():
        cls: Any = definition.servlet_class
        if isinstance(cls, str):
            if context.loader is None:
                continue
            try:
                cls = context.loader.load_class(cls)
            except Exception:  # check_classes reported it already
                continue
        info = get_servlet_security(cls) if isinstance(cls, type) else None
        if info is None:
            continue
        for pattern, servlet in web.servlet_mappings.items():
            if servlet == name and pattern not in taken:
                found.extend(annotation_constraints(info, pattern))
    return found


def install_authenticator(context: Any) -> AuthenticatorBase:
    """Build the context's constraints and put its authenticator valve in
    its pipeline (once: a restarted context reuses it); sets and returns
    ``context.authenticator``."""
    web = context.web_xml
    constraints: list[SecurityConstraint] = list(web.security_constraints)
    taken = {p for c in constraints for coll in c.collections for p in coll.patterns}
    constraints.extend(_annotated(context, taken))
    added, messages = uncovered_method_constraints(constraints, web.deny_uncovered_http_methods)
    for message in messages:
        (log.info if web.deny_uncovered_http_methods else log.warning)(
            "Context [%s]: %s", context.display_path(), message
        )
    constraints.extend(added)
    roles = list(web.security_roles)
    for constraint in constraints:
        for role in constraint.roles:
            if role not in roles:
                log.warning(
                    "Context [%s]: security role name [%s] is used in an <auth-constraint> (%s) without being "
                    "declared in a <security-role>; declare it",
                    context.display_path(),
                    role,
                    constraint.location or "an annotation",
                )
                roles.append(role)
    login = web.login_config
    method = login.auth_method if login is not None else None
    wanted = AUTHENTICATORS[method]
    valve = next((v for v in context.pipeline.valves if isinstance(v, AuthenticatorBase)), None)
    if valve is None:
        valve = wanted()
        context.pipeline.add_valve(valve)
    elif type(valve) is not wanted and not isinstance(valve, wanted):
        log.warning(
            "Context [%s]: the declared %s does not match <auth-method>%s</auth-method>; it is used",
            context.display_path(),
            type(valve).__name__,
            method,
        )
    valve.constraints = tuple(constraints)
    valve.security_roles = tuple(roles)
    valve.realm_name = login.realm_name if login is not None else None
    if isinstance(valve, FormAuthenticator) and login is not None:
        valve.login_page = login.login_page
        valve.error_page = login.error_page
    context.authenticator = valve
    return valve
