"""The authenticator valve's decisions without a server: CONFIDENTIAL
redirects (redirectPort, 443 left out, 0 answers 403, an IPv6 host, the
session id of the URL kept), the Cache-Control of constrained responses,
the Basic challenge and login, the user cached in the session and a new
session id on login, the roles and `is_user_in_role` with a
security-role-ref."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from catalina_py.authenticator.base import NonLoginAuthenticator
from catalina_py.authenticator.basic import BasicAuthenticator
from catalina_py.config.web_xml_specs import ServletDef, WebXml
from catalina_py.container.pipeline import ValveBase
from catalina_py.container.request_auth import RequestAuth
from catalina_py.realm.base import GenericPrincipal, Realm
from catalina_py.security.constraints import SecurityCollection, SecurityConstraint


class UsersRealm(Realm):
    """Two users in a dict (the realm contract's smallest implementation)."""

    users = {"alice": ("secret", frozenset({"user"})), "bob": ("pw", frozenset({"admin"}))}

    def authenticate(self, username: str, credentials: str) -> GenericPrincipal | None:
        entry = self.users.get(username)
        if entry is None or entry[0] != credentials:
            return None
        return GenericPrincipal(username, entry[1])

    def authenticate_digest(self, *args: Any) -> GenericPrincipal | None:
        return None


@dataclass
class Context:
    realm: Realm | None = None
    web_xml: WebXml = field(default_factory=WebXml)
    authenticator: Any = None


@dataclass
class Mapping:
    context: Any
    wrapper: Any = None
    relative_path: str = "/"
    servlet_path: str = ""
    path_info: str | None = None


@dataclass
class Wrapper:
    name: str


class Session:
    def __init__(self) -> None:
        self.principal: Any = None
        self.auth_type: str | None = None
        self.notes: dict[str, Any] = {}
        self.id = "S1"


class Channel:
    redirect_port = 8443


class Request(RequestAuth):
    def __init__(self, context: Context, path: str, method: str = "GET", headers: dict | None = None) -> None:
        self.mapping = Mapping(context, Wrapper("who"), path, path, None)  # type: ignore[assignment]
        self._channel = Channel()  # type: ignore[assignment]
        self.method = method
        self.headers = {k.lower(): v for k, v in (headers or {}).items()}
        self.session: Session | None = None
        self.secure = False
        self.server_name = "example.org"
        self.query: str | None = "a=b"
        self.url_session = False

    def get_method(self) -> str:
        return self.method

    def get_header(self, name: str) -> str | None:
        return self.headers.get(name)

    def get_session(self, create: bool = True) -> Session | None:
        if self.session is None and create:
            self.session = Session()
        return self.session

    def change_session_id(self) -> str:
        assert self.session is not None
        self.session.id = "S2"
        return "S2"

    def is_secure(self) -> bool:
        return self.secure

    def get_server_name(self) -> str:
        return self.server_name

    def get_request_uri(self) -> str:
        return "/app" + self.mapping.relative_path

    def get_query_string(self) -> str | None:
        return self.query

    def get_requested_session_id(self) -> str | None:
        return "S1" if self.url_session else None

    def is_requested_session_id_from_url(self) -> bool:
        return self.url_session

    def get_response(self) -> Any:
        return None


class Response:
    def __init__(self) -> None:
        self.status = 200
        self.message: str | None = None
        self.headers: dict[str, str] = {}
        self.location: str | None = None

    def set_header(self, name: str, value: str) -> None:
        self.headers[name] = value

    def send_error(self, status: int, message: str | None = None) -> None:
        self.status, self.message = status, message

    def send_redirect(self, location: str, status: int = 302) -> None:
        self.status, self.location = status, location


class Next(ValveBase):
    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def invoke(self, request: Any, response: Any) -> None:
        self.calls += 1


def constraint(pattern: str, roles=(), guarantee="NONE", auth=True) -> SecurityConstraint:
    return SecurityConstraint(
        (SecurityCollection((pattern,)),), auth_constraint=auth, roles=tuple(roles), transport_guarantee=guarantee
    )


def valve(cls=BasicAuthenticator, *constraints: SecurityConstraint) -> tuple[Any, Context, Next]:
    context = Context(realm=UsersRealm())
    authenticator = cls()
    authenticator.container = context
    authenticator.next = following = Next()
    authenticator.constraints = constraints
    authenticator.security_roles = ("user", "admin")
    authenticator.realm_name = "R"
    context.authenticator = authenticator
    return authenticator, context, following


def basic(user: str, password: str) -> dict[str, str]:
    import base64

    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_confidential_redirects_to_the_redirect_port() -> None:
    authenticator, context, following = valve(
        BasicAuthenticator, constraint("/c/*", auth=False, guarantee="CONFIDENTIAL")
    )
    request, response = Request(context, "/c/x"), Response()
    authenticator.invoke(request, response)
    assert (response.status, response.location) == (302, "https://example.org:8443/app/c/x?a=b")
    assert response.headers["Cache-Control"] == "private"
    assert following.calls == 0
    request.secure = True
    authenticator.invoke(request, Response())
    assert following.calls == 1


def test_confidential_redirect_details() -> None:
    authenticator, context, _ = valve(BasicAuthenticator, constraint("/c/*", auth=False, guarantee="INTEGRAL"))
    request, response = Request(context, "/c/x"), Response()
    request._channel.redirect_port = 443  # type: ignore[attr-defined]
    request.server_name, request.query, request.url_session = "::1", None, True
    authenticator.invoke(request, response)
    assert response.location == "https://[::1]/app/c/x;jsessionid=S1"
    for disabled in (0, -1):
        request._channel.redirect_port = disabled  # type: ignore[attr-defined]
        response = Response()
        authenticator.invoke(request, response)
        assert (response.status, response.message) == (403, "/app/c/x")


def test_basic_challenge_login_and_roles() -> None:
    authenticator, context, following = valve(BasicAuthenticator, constraint("/s/*", roles=["user"]))
    response = Response()
    authenticator.invoke(Request(context, "/s/x"), response)
    assert (response.status, response.headers["WWW-Authenticate"]) == (401, 'Basic realm="R"')
    response = Response()
    authenticator.invoke(Request(context, "/s/x", headers=basic("alice", "wrong")), response)
    assert response.status == 401
    response = Response()
    authenticator.invoke(Request(context, "/s/x", headers=basic("bob", "pw")), response)
    assert response.status == 403
    request = Request(context, "/s/x", headers=basic("alice", "secret"))
    authenticator.invoke(request, Response())
    assert following.calls == 1
    assert (request.get_remote_user(), request.get_auth_type()) == ("alice", "BASIC")


def test_user_cached_in_an_existing_session_under_a_new_id() -> None:
    authenticator, context, following = valve(BasicAuthenticator, constraint("/s/*", roles=["user"]))
    request = Request(context, "/s/x", headers=basic("alice", "secret"))
    session = request.session = Session()
    authenticator.invoke(request, Response())
    assert (session.id, session.principal.name, session.auth_type) == ("S2", "alice", "BASIC")
    later = Request(context, "/s/x")
    later.session = session
    authenticator.invoke(later, Response())
    assert following.calls == 2 and later.get_remote_user() == "alice"
    # Without a session nothing is cached (BASIC does not make one).
    request = Request(context, "/s/x", headers=basic("alice", "secret"))
    authenticator.invoke(request, Response())
    assert request.session is None


def test_unconstrained_requests_pass_untouched() -> None:
    authenticator, context, following = valve(BasicAuthenticator, constraint("/s/*", roles=["user"]))
    response = Response()
    authenticator.invoke(Request(context, "/open", headers=basic("alice", "wrong")), response)
    assert following.calls == 1 and response.headers == {} and response.status == 200


def test_nonlogin_answers_403_and_request_login_works() -> None:
    authenticator, context, following = valve(NonLoginAuthenticator, constraint("/s/*", roles=["user"]))
    response = Response()
    authenticator.invoke(Request(context, "/s/x"), response)
    assert response.status == 403 and following.calls == 0
    request = Request(context, "/s/x")
    request.login("alice", "secret")
    assert request.get_auth_type() == "NONE"
    authenticator.invoke(request, Response())
    assert following.calls == 1
    request.logout()
    assert request.get_user_principal() is None and request.get_auth_type() is None


def test_is_user_in_role_follows_security_role_refs() -> None:
    _, context, _ = valve(NonLoginAuthenticator)
    context.web_xml.servlets["who"] = ServletDef("who", "x.Who", security_role_refs={"boss": "admin"})
    request = Request(context, "/x")
    request.login("bob", "pw")
    assert request.is_user_in_role("boss") and request.is_user_in_role("admin")
    assert not request.is_user_in_role("user") and not request.is_user_in_role("*")
    assert request.is_user_in_role("**")
    context.web_xml.security_roles.append("**")  # declared: "**" is then an ordinary role
    assert not request.is_user_in_role("**")
