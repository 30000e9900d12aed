"""The Manager's servlets: ``ManagerServlet`` (the text interface,
``/manager/text/*``, for scripts and ``curl``) and ``HTMLManagerServlet``
(the page, ``/manager/html/*``, for a browser), as Tomcat's are named.

Both need the Host's deployer, which only a privileged context is given
(``webapps/manager/META-INF/context.xml``: ``privileged="true"``); without
it they answer 503 and say why.
"""

from __future__ import annotations

import html
import logging
from typing import Any
from urllib.parse import quote

from ..deploy.host_deployer import HOST_DEPLOYER_ATTRIBUTE, HostDeployer
from ..servlet import HttpServlet
from .commands import ManagerCommands
from .csrf import NONCE_ATTRIBUTE, NONCE_PARAMETER
from .text import message

__all__ = ["HTMLManagerServlet", "ManagerServlet"]

log = logging.getLogger("catalina_py.manager")

NOT_PRIVILEGED = (
    'FAIL - The Manager needs a privileged context (privileged="true" in its META-INF/context.xml '
    "or conf/Catalina/localhost/manager.xml)"
)


def _commands(servlet: HttpServlet, response: Any) -> ManagerCommands | None:
    """The commands over this Host, or None (503 written) when the context
    is not privileged."""
    deployer = servlet.get_servlet_context().get_attribute(HOST_DEPLOYER_ATTRIBUTE)
    if not isinstance(deployer, HostDeployer):
        log.error("%s", NOT_PRIVILEGED[len("FAIL - ") :])
        response.set_status(503)
        response.set_content_type("text/plain;charset=utf-8")
        response.get_writer().write(NOT_PRIVILEGED + "\n")
        return None
    return ManagerCommands(deployer)


def _is_true(value: str | None) -> bool:
    return value == "true"


class ManagerServlet(HttpServlet):
    """``/manager/text/<command>``: one answer in Tomcat's format, a first
    line ``OK - ...`` or ``FAIL - ...`` then the command's lines, as
    ``text/plain;charset=utf-8`` with status 200 (the outcome is in the
    text, as in Tomcat)."""

    def do_get(self, request: Any, response: Any) -> None:
        commands = _commands(self, response)
        if commands is None:
            return
        command = request.get_path_info() or request.get_servlet_path()
        path = request.get_parameter("path")
        if command == "/deploy":
            lines = commands.deploy(
                path,
                request.get_parameter("war"),
                request.get_parameter("config"),
                _is_true(request.get_parameter("update")),
            )
        elif command == "/list":
            lines = commands.list_applications()
        elif command == "/reload":
            lines = commands.reload(path)
        elif command == "/serverinfo":
            lines = commands.serverinfo()
        elif command in ("/sessions", "/expire"):
            lines = commands.sessions(path, request.get_parameter("idle"))
        elif command == "/start":
            lines = commands.start(path)
        elif command == "/stop":
            lines = commands.stop(path)
        elif command == "/undeploy":
            lines = commands.undeploy(path)
        else:
            lines = [message("unknownCommand", command)]
        self._answer(response, lines)

    def do_put(self, request: Any, response: Any) -> None:
        commands = _commands(self, response)
        if commands is None:
            return
        command = request.get_path_info() or request.get_servlet_path()
        if command == "/deploy":
            lines = commands.deploy_upload(
                request.get_parameter("path"), request.get_input_stream(), _is_true(request.get_parameter("update"))
            )
        else:
            lines = [message("unknownCommand", command)]
        self._answer(response, lines)

    @staticmethod
    def _answer(response: Any, lines: list[str]) -> None:
        response.set_content_type("text/plain;charset=utf-8")
        response.set_header("Cache-Control", "private")
        response.get_writer().write("".join(line + "\n" for line in lines))


#: The page's commands that change something: POST only, with a nonce.
_ACTIONS = ("/start", "/stop", "/reload", "/undeploy", "/expire")


class HTMLManagerServlet(HttpServlet):
    """``/manager/html``: the applications of this Host with their path,
    display name, state and sessions, and a form per command. The
    ``CsrfPreventionFilter`` in front of it refuses an action without the
    page's nonce; this servlet refuses an action by GET."""

    def do_get(self, request: Any, response: Any) -> None:
        commands = _commands(self, response)
        if commands is None:
            return
        command = request.get_path_info() or "/"
        if command in ("/", "/list"):
            self._page(request, response, commands, "OK")
        elif command == "/sessions":
            self._sessions_page(request, response, commands)
        elif command in _ACTIONS:
            self._page(request, response, commands, message("postCommand", command))
        else:
            self._page(request, response, commands, message("unknownCommand", command))

    def do_post(self, request: Any, response: Any) -> None:
        commands = _commands(self, response)
        if commands is None:
            return
        command = request.get_path_info() or "/"
        path = request.get_parameter("path")
        if command == "/start":
            lines = commands.start(path)
        elif command == "/stop":
            lines = commands.stop(path)
        elif command == "/reload":
            lines = commands.reload(path)
        elif command == "/undeploy":
            lines = commands.undeploy(path)
        elif command == "/expire":
            lines = commands.sessions(path, request.get_parameter("idle") or "0")
        else:
            lines = [message("unknownCommand", command)]
        self._page(request, response, commands, lines[0])

    # -- rendering ---------------------------------------------------------------
    @staticmethod
    def _start(response: Any, title: str) -> Any:
        response.set_content_type("text/html;charset=utf-8")
        response.set_header("Cache-Control", "no-store")
        response.set_header("X-Frame-Options", "DENY")
        response.set_header("X-Content-Type-Options", "nosniff")
        writer = response.get_writer()
        writer.write(
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{html.escape(title)}</title>"
            "<style>body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse}"
            "td,th{border:1px solid #999;padding:.3em .6em;text-align:left}"
            "form{display:inline;margin:0}.msg{padding:.4em;background:#eee}</style></head><body>\n"
        )
        return writer

    def _page(self, request: Any, response: Any, commands: ManagerCommands, msg: str) -> None:
        nonce = request.get_attribute(NONCE_ATTRIBUTE) or ""
        base = request.get_context_path() + request.get_servlet_path()
        deployer = commands.deployer
        writer = self._start(response, "catalina_py Web Application Manager")
        writer.write(
            f"<h1>catalina_py Web Application Manager</h1>\n"
            f'<p class="msg"><strong>Message:</strong> <span id="message">{html.escape(msg)}</span></p>\n'
            f"<h2>Applications of host {html.escape(deployer.host_name)}</h2>\n"
            '<table id="applications"><tr><th>Path</th><th>Display Name</th><th>Running</th>'
            "<th>Sessions</th><th>Commands</th></tr>\n"
        )
        for app in deployer.applications():
            query = f"path={quote(app.display_path, safe='/')}"
            sessions_url = f"{base}/sessions?{query}&{NONCE_PARAMETER}={nonce}"
            writer.write(
                f"<tr><td><a href=\"{html.escape(app.path)}/\">{html.escape(app.display_path)}</a></td>"
                f"<td>{html.escape(app.display_name or '')}</td>"
                f"<td>{'true' if app.running else 'false'}</td>"
                f"<td><a href=\"{html.escape(sessions_url)}\">{app.sessions}</a></td><td>"
            )
            if app.path == deployer.own_path:
                names: tuple[str, ...] = ("expire",)
            else:
                names = ("stop", "reload", "undeploy", "expire") if app.running else ("start", "undeploy")
            for name in names:
                action = f"{base}/{name}?{query}"
                extra = ""
                if name == "expire":
                    extra = ' idle &ge; <input type="text" name="idle" size="4" value="30"> minutes'
                writer.write(
                    f'<form method="post" action="{html.escape(action)}">'
                    f'<input type="hidden" name="{NONCE_PARAMETER}" value="{html.escape(nonce)}">'
                    f'<button type="submit" name="do" value="{name}">{name.capitalize()}</button>'
                    f"{extra}</form> "
                )
            writer.write("</td></tr>\n")
        writer.write(f'</table>\n<p><a href="{html.escape(base)}/list">List Applications</a></p>\n</body></html>\n')

    def _sessions_page(self, request: Any, response: Any, commands: ManagerCommands) -> None:
        lines = commands.sessions(request.get_parameter("path"))
        base = request.get_context_path() + request.get_servlet_path()
        writer = self._start(response, "Sessions")
        writer.write(
            f'<h1>Sessions</h1>\n<p class="msg"><strong>Message:</strong> '
            f'<span id="message">{html.escape(lines[0])}</span></p>\n'
            f'<pre id="sessions">{html.escape(chr(10).join(lines[1:]))}</pre>\n'
            f'<p><a href="{html.escape(base)}/list">List Applications</a></p>\n</body></html>\n'
        )
