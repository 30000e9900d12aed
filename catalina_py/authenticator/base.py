"""``AuthenticatorBase``: the valve every login method shares (Tomcat's
``AuthenticatorBase.invoke``).

For each request: the user cached in the session (``cache``) is put back
on the request; the constraints that apply are found
(:func:`~catalina_py.security.constraints.find_constraints`); a
CONFIDENTIAL one on a plain connection redirects to the connector's
``redirectPort`` (403 when it is 0); when the constraints name roles the
login method runs (:meth:`AuthenticatorBase.do_authenticate`: a challenge,
the login page...); then the roles are checked (403) and the request goes
on to the context's basic valve, and so to the WebSocket handshake and the
servlets.

A subclass implements :meth:`do_authenticate` and names its method
(``auth_method``); this base gives the request its ``login``, ``logout``
and ``authenticate``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, ClassVar

from ..container.pipeline import ValveBase, to_bool
from ..realm.base import GenericPrincipal, Realm, find_realm
from ..security.constraints import (
    SecurityConstraint,
    find_constraints,
    is_permitted,
    needs_authentication,
    needs_secure_transport,
)
from ..servlet.exceptions import ServletException

__all__ = ["AuthenticatorBase", "NonLoginAuthenticator"]

log = logging.getLogger("catalina_py.authenticator")

#: The 403 message of a role check that failed (Tomcat's ``realmBase.forbidden``).
FORBIDDEN_MESSAGE = "Access to the requested resource has been denied"


def constrained_path(mapping: Any) -> str:
    """The context-relative path the constraints are matched against:
    the path the request was mapped with, so a directory request answered
    by a welcome file is checked as that file (Tomcat's
    ``getRequestPathMB`` after the Mapper's welcome-file rule)."""
    if mapping.wrapper is None:
        return str(mapping.relative_path)
    path_info = mapping.path_info
    return str(mapping.servlet_path + path_info if path_info is not None else mapping.servlet_path)


class AuthenticatorBase(ValveBase):
    """The shared part of the login methods (see the module documentation).

    Attributes (as on Tomcat's authenticator valves): ``cache`` (keep the
    user in the HTTP session, when there is one), ``changeSessionIdOnAuthentication``
    (a new session id once logged in, against session fixation),
    ``disableProxyCaching`` / ``securePagesWithPragma`` (the
    ``Cache-Control`` of constrained responses), ``alwaysUseSession``
    (create a session to cache the user in).
    """

    ATTRIBUTES: ClassVar[dict[str, Any]] = {
        "cache": to_bool,
        "changeSessionIdOnAuthentication": to_bool,
        "disableProxyCaching": to_bool,
        "securePagesWithPragma": to_bool,
        "alwaysUseSession": to_bool,
    }
    #: The auth type a successful login records (``request.get_auth_type()``).
    auth_method: ClassVar[str] = "NONE"

    def __init__(self) -> None:
        super().__init__()
        self.cache = True
        self.change_session_id_on_authentication = True
        self.disable_proxy_caching = True
        self.secure_pages_with_pragma = False
        self.always_use_session = False
        #: The webapp's constraints (web.xml, annotations, uncovered methods).
        self.constraints: Sequence[SecurityConstraint] = ()
        #: ``<security-role>`` names (what ``*`` stands for).
        self.security_roles: tuple[str, ...] = ()
        #: ``<login-config><realm-name>`` (None: Tomcat's default, "Authentication required").
        self.realm_name: str | None = None

    # -- the valve ----------------------------------------------------------
    def invoke(self, request: Any, response: Any) -> None:
        if self.cache and request.get_user_principal() is None:
            session = request.get_session(False)
            if session is not None and session.principal is not None:
                request.set_user_principal(session.principal, session.auth_type)
        auth_required = self.is_continuation_required(request)
        constraints = (
            find_constraints(self.constraints, constrained_path(request.mapping), request.get_method())
            if self.constraints
            else ()
        )
        if not constraints and not auth_required:
            self.next.invoke(request, response)  # type: ignore[union-attr]
            return
        if constraints:
            if self.disable_proxy_caching and request.get_method() != "POST":
                if self.secure_pages_with_pragma:
                    response.set_header("Pragma", "No-cache")
                    response.set_header("Cache-Control", "no-cache")
                else:
                    response.set_header("Cache-Control", "private")
            if needs_secure_transport(constraints) and not request.is_secure():
                self.redirect_to_secure(request, response)
                return
            auth_required = auth_required or needs_authentication(constraints)
        if auth_required and not self.do_authenticate(request, response):
            return
        if constraints and not self.has_resource_permission(request, constraints):
            response.send_error(403, FORBIDDEN_MESSAGE)
            return
        self.next.invoke(request, response)  # type: ignore[union-attr]

    def has_resource_permission(self, request: Any, constraints: Sequence[SecurityConstraint]) -> bool:
        """Whether the request's user (or nobody) passes the role checks."""
        principal = request.get_user_principal()
        realm = self.realm()

        def has_role(role: str) -> bool:
            if principal is None:
                return False
            return realm.has_role(principal, role) if realm is not None else principal.has_role(role)

        return is_permitted(constraints, principal is not None, has_role, self.security_roles)

    def redirect_to_secure(self, request: Any, response: Any) -> None:
        """A CONFIDENTIAL or INTEGRAL constraint on a plain connection:
        302 to ``https://host[:redirectPort]/uri[?query]``, or 403 with the
        URI when the connector's ``redirectPort`` is 0 (Tomcat's
        ``hasUserDataPermission``)."""
        port = request.redirect_port
        if port <= 0:
            response.send_error(403, request.get_request_uri())
            return
        host = request.get_server_name()
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        location = f"https://{host}{'' if port == 443 else f':{port}'}{request.get_request_uri()}"
        session_id = request.get_requested_session_id()
        if session_id is not None and request.is_requested_session_id_from_url():
            location += f";jsessionid={session_id}"
        query = request.get_query_string()
        if query is not None:
            location += "?" + query
        response.send_redirect(location, 302)

    # -- what a login method provides ----------------------------------------
    def is_continuation_required(self, request: Any) -> bool:
        """Whether this request continues a login even if no constraint
        applies to it (FORM's ``j_security_check``)."""
        return False

    def do_authenticate(self, request: Any, response: Any) -> bool:
        """Authenticate the request with this login method: True when a
        user is known, else False with the response written (401 and a
        challenge, the login page...)."""
        if self.check_for_cached_authentication(request):
            return True
        response.send_error(401)
        return False

    # -- shared helpers --------------------------------------------------------
    def realm(self) -> Realm | None:
        """The realm of the context (or its host or engine)."""
        return find_realm(self.container)

    def display_realm_name(self) -> str:
        """The realm name of a challenge: ``<realm-name>``, else Tomcat's
        default (``Authentication required``)."""
        return self.realm_name if self.realm_name is not None else "Authentication required"

    def check_for_cached_authentication(self, request: Any) -> bool:
        """True when the request already has a user (from the session)."""
        return request.get_user_principal() is not None

    def register(
        self,
        request: Any,
        response: Any,
        principal: GenericPrincipal | None,
        auth_type: str | None,
        change_session_id: bool = True,
    ) -> None:
        """Record *principal* (None: log out) on the request and, with
        ``cache``, in its session; a new session id on login (Tomcat's
        ``register``)."""
        request.set_user_principal(principal, auth_type)
        session = request.get_session(False)
        if session is not None:
            if principal is not None and change_session_id and self.change_session_id_on_authentication:
                request.change_session_id()
        elif self.always_use_session and principal is not None:
            session = request.get_session(True)
        if session is not None and self.cache:
            session.principal = principal
            session.auth_type = auth_type if principal is not None else None

    # -- the request API (Authenticator protocol) ------------------------------
    def login(self, request: Any, username: str, password: str) -> None:
        """``request.login``: the realm decides."""
        realm = self.realm()
        if realm is None:
            raise ServletException("no realm is configured: nobody can log in")
        principal = realm.authenticate(username, password)
        if principal is None:
            raise ServletException("Login failed")
        self.register(request, request.get_response(), principal, self.auth_method)

    def logout(self, request: Any) -> None:
        """``request.logout``: forget the user on the request and in the session."""
        self.register(request, request.get_response(), None, None)

    def authenticate(self, request: Any, response: Any) -> bool:
        """``request.authenticate``: this login method, now."""
        return self.do_authenticate(request, response)


class NonLoginAuthenticator(AuthenticatorBase):
    """The authenticator of a webapp without ``<login-config>``: it applies
    the constraints (a role check with nobody logged in answers 403) and
    supports ``request.login``; ``request.authenticate`` is True only
    when a user is already known (Tomcat's ``NonLoginAuthenticator``)."""

    auth_method = "NONE"

    def do_authenticate(self, request: Any, response: Any) -> bool:
        # Nobody can log in here: the role check then answers 403.
        return True

    def authenticate(self, request: Any, response: Any) -> bool:
        if request.get_user_principal() is not None:
            return True
        response.send_error(403)
        return False
