"""Servlets and a WebSocket endpoint for tests/integration/test_login.py:
each answers with what the request knows of its user."""

import json

from catalina_py.servlet import HttpServlet
from catalina_py.servlet.annotation import http_constraint, http_method_constraint, servlet_security, web_servlet
from catalina_py.servlet.exceptions import ServletException
from catalina_py.websocket import on_message, on_open, server_endpoint


def describe(request):
    session = request.get_session(False)
    return {
        "user": request.get_remote_user(),
        "principal": str(request.get_user_principal()) if request.get_user_principal() else None,
        "auth_type": request.get_auth_type(),
        "user_role": request.is_user_in_role("user"),
        "admin_role": request.is_user_in_role("admin"),
        "boss_role": request.is_user_in_role("boss"),
        "any_role": request.is_user_in_role("**"),
        "session": None if session is None else session.get_id(),
        "method": request.get_method(),
        "query": request.get_query_string(),
        "p": request.get_parameter("p"),
        "servlet_path": request.get_servlet_path(),
    }


class WhoServlet(HttpServlet):
    """JSON of the request's user, for every method."""

    def service(self, request, response):
        response.set_content_type("application/json")
        response.get_writer().write(json.dumps(describe(request)))


class LoginServlet(HttpServlet):
    """``?do=session`` (creates one), ``?do=login&u=..&pw=..``, ``?do=logout``, ``?do=authenticate``."""

    def do_get(self, request, response):
        action = request.get_parameter("do")
        result = "ok"
        try:
            if action == "session":
                request.get_session(True)
            elif action == "login":
                request.login(request.get_parameter("u"), request.get_parameter("pw"))
            elif action == "logout":
                request.logout()
            elif action == "authenticate":
                if not request.authenticate(response):
                    return
        except ServletException as exc:
            result = f"ServletException: {exc}"
        response.set_content_type("application/json")
        response.get_writer().write(json.dumps({"result": result, **describe(request)}))


@web_servlet("/annotated/*")
@servlet_security(
    http_constraint(roles_allowed=["admin"]),
    http_method_constraints=[http_method_constraint("GET", roles_allowed=["user", "admin"])],
)
class AnnotatedServlet(WhoServlet):
    """Protected by @servlet_security: GET for user or admin, the rest for admin."""


@server_endpoint("/ws/whoami")
class WhoAmIEndpoint:
    """Sends the session's principal on open; echoes it on every message."""

    @on_open
    def opened(self, session, config):
        principal = session.get_user_principal()
        session.get_basic_remote().send_text(f"principal={principal}")

    @on_message
    def message(self, session, text):
        return f"principal={session.get_user_principal()}"
