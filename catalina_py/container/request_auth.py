"""``RequestAuth``: the login half of the container's ``Request``
(Tomcat's ``Request.getUserPrincipal``, ``isUserInRole``, ``login``,
``logout``, ``authenticate``): who the user is, once an authenticator (or
the webapp, through ``login``) said so.

The authenticator of the request's context (``context.authenticator``,
installed by :mod:`catalina_py.authenticator.config`) does the work; this
mixin holds the result and asks the realm for roles.
"""

from __future__ import annotations

import dataclasses
import io
from typing import TYPE_CHECKING, Any, Protocol

from ..servlet.exceptions import IllegalStateError, ServletException

if TYPE_CHECKING:  # pragma: no cover
    from ..http.parser import RequestHead
    from ..realm.base import GenericPrincipal
    from .channel import Channel
    from .mapper import MappingData
    from .response import Response

__all__ = ["Authenticator", "RequestAuth"]


class Authenticator(Protocol):
    """What a request asks of its context's authenticator (Tomcat's
    ``Authenticator`` interface)."""

    def login(self, request: Any, username: str, password: str) -> None:
        """Check the credentials with the realm and register the user, or
        raise ``ServletException``."""

    def logout(self, request: Any) -> None:
        """Forget the user of *request* (and of its session)."""

    def authenticate(self, request: Any, response: Any) -> bool:
        """Authenticate with the login method of the context (a challenge
        or the login page when it cannot); True once a user is known."""


class RequestAuth:
    """Mixed into ``Request``: the authenticated user."""

    mapping: MappingData
    response: Response | None
    _channel: Channel
    _head: RequestHead
    _headers: Any
    _decoded_uri: str
    _query_string: str | None
    _parameters: dict[str, list[str]] | None
    _principal: GenericPrincipal | None = None
    _auth_type: str | None = None

    # -- the servlet API ---------------------------------------------------
    def get_user_principal(self) -> GenericPrincipal | None:
        """The authenticated user, or None."""
        return self._principal

    def get_remote_user(self) -> str | None:
        """The authenticated user's name, or None."""
        principal = self._principal
        return None if principal is None else principal.get_name()

    def get_auth_type(self) -> str | None:
        """``BASIC``, ``FORM``, ``DIGEST`` (or ``NONE`` after
        ``login()`` in a webapp without a login method), None when nobody
        is authenticated."""
        return self._auth_type

    def is_user_in_role(self, role: str) -> bool:
        """Whether the user holds *role*, after the current servlet's
        ``<security-role-ref>`` maps it (Tomcat's ``Request.isUserInRole``:
        ``*`` is never a role; ``**`` means any authenticated user unless
        the webapp declares a role of that name)."""
        principal = self._principal
        if principal is None or role is None or role == "*":
            return False
        context = self.mapping.context
        if context is None:
            return False
        web_xml = context.web_xml
        if role == "**" and "**" not in web_xml.security_roles:
            return True
        wrapper = self.mapping.wrapper
        if wrapper is not None:
            definition = web_xml.servlets.get(wrapper.name)
            if definition is not None:
                role = definition.security_role_refs.get(role, role)
        from ..realm.base import find_realm

        realm = find_realm(context)
        if realm is None:
            return principal.has_role(role)
        return realm.has_role(principal, role)

    def login(self, username: str, password: str) -> None:
        """Log in with the context's realm (``HttpServletRequest.login``).

        :raises ServletException: somebody is already logged in on this
            request, there is no realm, or the credentials are wrong.
        """
        if self._auth_type is not None or self._principal is not None:
            raise ServletException("This request has already been authenticated")
        self._authenticator().login(self, username, password)

    def logout(self) -> None:
        """Forget the user, on this request and in its session."""
        self._authenticator().logout(self)

    def authenticate(self, response: Any) -> bool:
        """Make sure a user is logged in, with the context's login method:
        True when one is; otherwise the response carries the challenge (or
        the login page) and False is returned.

        :raises IllegalStateError: the response is committed.
        """
        if response.is_committed():
            raise IllegalStateError("authenticate() is not possible once the response is committed")
        return self._authenticator().authenticate(self, response)

    # -- container side ----------------------------------------------------
    def set_user_principal(self, principal: GenericPrincipal | None, auth_type: str | None) -> None:
        """Container side: record who the authenticator found (None: nobody)."""
        self._principal = principal
        self._auth_type = auth_type if principal is not None else None

    @property
    def redirect_port(self) -> int:
        """The connector's ``redirectPort`` (0: no redirect to HTTPS)."""
        return self._channel.redirect_port

    def get_decoded_uri(self) -> str:
        """Container side: the request URI, decoded and normalised."""
        return self._decoded_uri

    def override_method(self, method: str) -> None:
        """Container side: the method the request reports from now on (a
        FORM login page is forwarded to with GET)."""
        if method != self._head.method:
            self._head = dataclasses.replace(self._head, method=method)

    def replay_saved(
        self, method: str, headers: tuple[tuple[str, str], ...], query_string: str | None, body: bytes
    ) -> None:
        """Container side: become the request a FORM login saved (method,
        headers, query string and body; the cookies stay this request's),
        as Tomcat's ``FormAuthenticator.restoreRequest``."""
        from ..http.headers import Headers

        cookies = [("Cookie", value) for value in self._headers.get_all("cookie")]
        kept = [(name, value) for name, value in headers if name.lower() != "cookie"]
        self._headers = Headers([*kept, *cookies])
        self._head = dataclasses.replace(
            self._head,
            method=method,
            headers=self._headers,
            content_length=len(body) if body else None,
            body="length" if body else "none",
        )
        self._query_string = query_string
        self._parameters = None
        self._channel = _ReplayedBody(self._channel, body)  # type: ignore[assignment]

    def _authenticator(self) -> Authenticator:
        context = self.mapping.context
        if context is None:
            raise ServletException("no web application: nobody can log in")
        authenticator: Authenticator | None = getattr(context, "authenticator", None)
        if authenticator is None:
            raise ServletException("no authenticator is configured for this web application")
        return authenticator


class _ReplayedBody:
    """The channel of a replayed request: its body is the saved one, the
    rest is the connection's."""

    def __init__(self, channel: Any, body: bytes) -> None:
        self._channel = channel
        self._body = io.BytesIO(body)
        self._size = len(body)

    @property
    def body_finished(self) -> bool:
        return self._body.tell() >= self._size

    def read_body(self, size: int) -> bytes:
        return self._body.read(size)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._channel, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in ("_channel", "_body", "_size"):
            object.__setattr__(self, name, value)
        else:
            setattr(self._channel, name, value)
