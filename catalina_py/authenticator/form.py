"""``FormAuthenticator``: login with an HTML form (Servlet specification
13.6.3, Tomcat's ``FormAuthenticator``).

1. A request to a protected resource, nobody logged in: the request
   (method, URI, query, headers and, for a POST, its body up to
   ``maxSavePostSize``) is saved in the session and the login page is
   *forwarded* to (with GET, whatever the method was).
2. The form posts ``j_username`` and ``j_password`` to
   ``j_security_check``: wrong, the error page is forwarded to; right, the
   session gets a new id and the browser is redirected (303 on HTTP/1.1)
   to the saved URI; without a saved request, to ``landingPage`` if set,
   else 408 as Tomcat.
3. That redirected request is recognised and replaced by the saved one
   (a POST is replayed with its body), and the user is registered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from .base import AuthenticatorBase

__all__ = ["FORM_ACTION", "FormAuthenticator", "SavedRequest"]

#: The path the login form posts to.
FORM_ACTION = "/j_security_check"
_SAVED = "catalina_py.form.request"
_PRINCIPAL = "catalina_py.form.principal"


@dataclass(frozen=True)
class SavedRequest:
    """What a FORM login keeps of the request it interrupted."""

    method: str
    request_uri: str
    decoded_uri: str
    query_string: str | None
    headers: tuple[tuple[str, str], ...]
    body: bytes = b""

    def redirect_url(self) -> str:
        """Where the browser goes back to after the login."""
        return self.request_uri + ("?" + self.query_string if self.query_string is not None else "")

    def matches(self, decoded_uri: str) -> bool:
        """Whether a request for *decoded_uri* is the return to this one."""
        return decoded_uri == self.decoded_uri


class FormAuthenticator(AuthenticatorBase):
    """``<login-config><auth-method>FORM</auth-method>``.

    Attributes: ``landingPage`` (where a login without a saved request
    goes), ``maxSavePostSize`` (bytes of a POST body kept, 4096; a larger
    body answers 403; -1: no limit), ``characterEncoding`` (of the login
    form's parameters).
    """

    ATTRIBUTES: ClassVar[dict[str, Any]] = {
        **AuthenticatorBase.ATTRIBUTES,
        "landingPage": str,
        "maxSavePostSize": int,
        "characterEncoding": str,
    }
    auth_method = "FORM"

    def __init__(self) -> None:
        super().__init__()
        self.landing_page: str | None = None
        self.max_save_post_size = 4096
        self.character_encoding: str | None = None
        self.login_page: str | None = None
        self.error_page: str | None = None

    def is_continuation_required(self, request: Any) -> bool:
        # j_security_check is not a protected resource, nor is the return
        # to the saved request: both continue a login.
        uri = request.mapping.relative_path
        if uri.endswith(FORM_ACTION):
            return True
        session = request.get_session(False)
        if session is None:
            return False
        saved = session.notes.get(_SAVED)
        return saved is not None and _PRINCIPAL in session.notes and saved.matches(request.get_decoded_uri())

    def do_authenticate(self, request: Any, response: Any) -> bool:
        session = request.get_session(False)
        if session is not None and _PRINCIPAL in session.notes:
            saved: SavedRequest | None = session.notes.get(_SAVED)
            if saved is not None and saved.matches(request.get_decoded_uri()):
                principal = session.notes.pop(_PRINCIPAL)
                del session.notes[_SAVED]
                self.register(request, response, principal, self.auth_method, change_session_id=False)
                request.replay_saved(saved.method, saved.headers, saved.query_string, saved.body)
                return True
        if self.check_for_cached_authentication(request):
            return True
        if not request.mapping.relative_path.endswith(FORM_ACTION):
            session = request.get_session(True)
            saved = self._save(request)
            if saved is None:
                response.send_error(
                    403, "The request body was too large to be cached during the authentication process"
                )
                return False
            session.notes[_SAVED] = saved
            self._forward(request, response, self.login_page)
            return False
        # The login form's post.
        if self.character_encoding:
            request.set_character_encoding(self.character_encoding)
        username = request.get_parameter("j_username")
        password = request.get_parameter("j_password")
        realm = self.realm()
        principal = None
        if username is not None and password is not None and realm is not None:
            principal = realm.authenticate(username, password)
        if principal is None:
            self._forward(request, response, self.error_page)
            return False
        session = request.get_session(False)
        if session is None:
            response.send_error(
                408,
                "The time allowed for the login process has been exceeded. If you wish to continue you must either "
                "click back twice and re-click the link you requested or close and re-open your browser",
            )
            return False
        if self.change_session_id_on_authentication:
            request.change_session_id()
        session.notes[_PRINCIPAL] = principal
        saved = session.notes.get(_SAVED)
        if saved is None:
            if self.landing_page is None:
                response.send_error(
                    408,
                    "The time allowed for the login process has been exceeded. If you wish to continue you must "
                    "either click back twice and re-click the link you requested or close and re-open your browser",
                )
                return False
            uri = request.get_context_path() + self.landing_page
            session.notes[_SAVED] = SavedRequest("GET", uri, uri, None, ())
            response.send_redirect(response.encode_redirect_url(uri))
            return False
        status = 303 if request.get_protocol() == "HTTP/1.1" else 302
        response.send_redirect(response.encode_redirect_url(saved.redirect_url()), status)
        return False

    def _save(self, request: Any) -> SavedRequest | None:
        body = b""
        if request.get_method() == "POST":
            limit = self.max_save_post_size
            stream = request.get_input_stream()
            body = stream.read(limit + 1) if limit >= 0 else stream.read()
            if limit >= 0 and len(body) > limit:
                return None
        headers = tuple((name, value) for name in request.get_header_names() for value in request.get_headers(name))
        return SavedRequest(
            request.get_method(),
            request.get_request_uri(),
            request.get_decoded_uri(),
            request.get_query_string(),
            headers,
            body,
        )

    def _forward(self, request: Any, response: Any, page: str | None) -> None:
        """Forward to the login or error page, with GET (Tomcat does the same)."""
        dispatcher = None
        if page is not None:
            dispatcher = request.get_servlet_context().get_request_dispatcher(page)
        if dispatcher is None:
            response.send_error(500, f"the FORM login page {page} cannot be found")
            return
        previous = request.get_method()
        request.override_method("GET")
        try:
            dispatcher.forward(request, response)
        finally:
            request.override_method(previous)
