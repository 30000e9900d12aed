"""Reading the security elements of a deployment descriptor:
``<security-constraint>``, ``<login-config>``, ``<security-role>`` and a
servlet's ``<security-role-ref>`` (Servlet specification chapter 13, as
Tomcat's ``WebRuleSet`` reads them).

Each function takes the descriptor's reader (for file:line in errors and
warnings) and one element, and returns the model: the constraints are
:class:`~catalina_py.security.constraints.SecurityConstraint` records, the
form the resolver uses.
"""

from __future__ import annotations

from urllib.parse import unquote

from catalina_py.config.web_xml_specs import LoginConfig, url_pattern_error
from catalina_py.config.xml import Element, XmlReader
from catalina_py.http.grammar import is_token
from catalina_py.security.constraints import (
    ALL_AUTHENTICATED_USERS,
    ALL_ROLES,
    TRANSPORT_GUARANTEES,
    SecurityCollection,
    SecurityConstraint,
)

__all__ = ["AUTH_METHODS", "read_login_config", "read_role_ref", "read_security_constraint", "read_security_role"]

#: The ``<auth-method>`` values catalina_py implements.
AUTH_METHODS = ("BASIC", "FORM", "DIGEST")

_IGNORED = frozenset({"description", "display-name", "web-resource-name"})

_CONSTRAINT_HINT = (
    "<security-constraint><web-resource-collection><web-resource-name>admin</web-resource-name>"
    "<url-pattern>/admin/*</url-pattern></web-resource-collection><auth-constraint>"
    "<role-name>admin</role-name></auth-constraint></security-constraint>"
)


def _collection(reader: XmlReader, element: Element) -> SecurityCollection:
    """``<web-resource-collection>``."""
    name = ""
    patterns: list[str] = []
    methods: list[str] = []
    omissions: list[str] = []
    for child_name, child in reader.elements(element):
        text = reader.text(child)
        if child_name == "web-resource-name":
            name = text
        elif child_name == "url-pattern":
            problem = url_pattern_error(text)
            if problem is not None:
                raise reader.error(
                    child,
                    f"invalid url-pattern in a <web-resource-collection>: {problem}",
                    '"/exact/path", "/prefix/*", "*.extension", "/" or "" (the context root)',
                )
            decoded = unquote(text, encoding="utf-8", errors="strict")
            if decoded not in patterns:
                patterns.append(decoded)
        elif child_name in ("http-method", "http-method-omission"):
            if not is_token(text):
                raise reader.error(
                    child,
                    f"<{child_name}> '{text}' is not an HTTP method name",
                    f"<{child_name}>POST</{child_name}> (a method token, case-sensitive)",
                )
            (methods if child_name == "http-method" else omissions).append(text)
        elif child_name in _IGNORED:
            continue
        else:
            reader.warn(child, f"unknown element <{child_name}> in <web-resource-collection>, ignored")
    if not patterns:
        raise reader.error(element, "<web-resource-collection> without a <url-pattern>", _CONSTRAINT_HINT)
    if methods and omissions:
        raise reader.error(
            element,
            "<web-resource-collection> has both <http-method> and <http-method-omission>",
            "one kind only: list the methods covered, or the methods not covered",
        )
    return SecurityCollection(tuple(patterns), frozenset(methods), frozenset(omissions), name)


def read_security_constraint(reader: XmlReader, element: Element) -> SecurityConstraint:
    """``<security-constraint>``: collections, auth-constraint (roles,
    ``*``, ``**``; empty: deny all) and user-data-constraint."""
    collections: list[SecurityCollection] = []
    auth_constraint = False
    roles: list[str] = []
    all_roles = authenticated_users = False
    guarantee = "NONE"
    display_name = ""
    for child_name, child in reader.elements(element):
        if child_name == "web-resource-collection":
            collections.append(_collection(reader, child))
        elif child_name == "auth-constraint":
            auth_constraint = True
            for role_child_name, role_child in reader.elements(child):
                if role_child_name == "role-name":
                    role = reader.text(role_child)
                    if not role:
                        raise reader.error(
                            role_child, "empty <role-name> in <auth-constraint>", "<role-name>admin</role-name>"
                        )
                    if role == ALL_ROLES:
                        all_roles = True
                    elif role == ALL_AUTHENTICATED_USERS:
                        authenticated_users = True
                    elif role not in roles:
                        roles.append(role)
                elif role_child_name != "description":
                    reader.warn(role_child, f"unknown element <{role_child_name}> in <auth-constraint>, ignored")
        elif child_name == "user-data-constraint":
            text, where = reader.child_text(child, "transport-guarantee")
            value = (text or "").upper()
            if value not in TRANSPORT_GUARANTEES:
                raise reader.error(
                    where if where is not None else child,
                    f"<transport-guarantee> '{text or ''}' is not NONE, INTEGRAL or CONFIDENTIAL",
                    "<transport-guarantee>CONFIDENTIAL</transport-guarantee> (HTTPS required) or NONE",
                )
            guarantee = value
        elif child_name == "display-name":
            display_name = reader.text(child)
        else:
            reader.warn(child, f"unknown element <{child_name}> in <security-constraint>, ignored")
    if not collections:
        raise reader.error(element, "<security-constraint> without a <web-resource-collection>", _CONSTRAINT_HINT)
    return SecurityConstraint(
        tuple(collections),
        auth_constraint,
        tuple(roles),
        all_roles,
        authenticated_users,
        guarantee,
        display_name,
        reader.location(element),
    )


def read_login_config(reader: XmlReader, element: Element) -> LoginConfig:
    """``<login-config>``: auth-method, realm-name, form-login-config."""
    method: str | None = None
    realm: str | None = None
    login_page: str | None = None
    error_page: str | None = None
    hint = (
        "<login-config><auth-method>FORM</auth-method><form-login-config><form-login-page>/login.html"
        "</form-login-page><form-error-page>/error.html</form-error-page></form-login-config></login-config>"
    )
    for child_name, child in reader.elements(element):
        text = reader.text(child)
        if child_name == "auth-method":
            method = text.upper() or None
            if method == "CLIENT-CERT":
                raise reader.error(
                    child,
                    "<auth-method>CLIENT-CERT</auth-method> is not supported by catalina_py",
                    "BASIC, FORM or DIGEST (client certificates can be checked by a TLS proxy in front)",
                )
            if method is not None and method not in AUTH_METHODS:
                raise reader.error(child, f"unknown <auth-method> '{text}'", "BASIC, FORM or DIGEST")
        elif child_name == "realm-name":
            realm = text
        elif child_name == "form-login-config":
            for page_name, page in reader.elements(child):
                value = reader.text(page)
                if page_name not in ("form-login-page", "form-error-page"):
                    reader.warn(page, f"unknown element <{page_name}> in <form-login-config>, ignored")
                    continue
                if not value.startswith("/"):
                    raise reader.error(
                        page, f"<{page_name}> '{value}' must start with '/'", "a path inside the webapp: /login.html"
                    )
                if page_name == "form-login-page":
                    login_page = value
                else:
                    error_page = value
        else:
            reader.warn(child, f"unknown element <{child_name}> in <login-config>, ignored")
    if method == "FORM" and (login_page is None or error_page is None):
        raise reader.error(element, "FORM login needs a <form-login-page> and a <form-error-page>", hint)
    return LoginConfig(method, realm, login_page, error_page, reader.location(element))


def read_security_role(reader: XmlReader, element: Element) -> str:
    """``<security-role>``: its role name."""
    role, _ = reader.child_text(element, "role-name")
    if not role:
        raise reader.error(
            element,
            "<security-role> without a <role-name>",
            "<security-role><role-name>admin</role-name></security-role>",
        )
    return role


def read_role_ref(reader: XmlReader, element: Element) -> tuple[str, str]:
    """``<security-role-ref>`` of a ``<servlet>``: (role-name, role-link);
    without a role-link the name links to itself."""
    name, _ = reader.child_text(element, "role-name")
    link, _ = reader.child_text(element, "role-link")
    if not name:
        raise reader.error(
            element,
            "<security-role-ref> without a <role-name>",
            "<security-role-ref><role-name>boss</role-name><role-link>manager</role-link></security-role-ref>",
        )
    return name, link or name
