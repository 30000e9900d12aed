"""The Manager's words: Tomcat's text-interface messages (the first line of
every answer, ``OK - ...`` or ``FAIL - ...``), the context-path rules of
its commands and the session histogram of ``sessions``/``expire``. Pure:
no I/O, unit-tested in ``tests/unit/test_manager_text.py``.

The wording is Tomcat 10.1's (``org.apache.catalina.manager``'s
LocalStrings), because scripts and build tools parse it: compared with a
Tomcat 10.1.60 Manager answering the same commands.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..deploy.naming import base_name_for

__all__ = ["MESSAGES", "escape", "message", "parse_context_path", "session_histogram"]

#: Tomcat's message keys (``managerServlet.*``) -> their English text.
MESSAGES: dict[str, str] = {
    "alreadyContext": "FAIL - Application already exists at path [{0}]",
    "copyFail": "FAIL - Unable to copy [{0}] to [{1}], details of the error may be in the server logs",
    "deleteFail": "FAIL - Unable to delete [{0}]. The continued presence of this file may cause problems.",
    "deployFailed": "FAIL - Failed to deploy application at context path [{0}]",
    "deployed": "OK - Deployed application at context path [{0}]",
    "deployedButNotStarted": "FAIL - Deployed application at context path [{0}] but context failed to start",
    "exception": "FAIL - Encountered exception [{0}]",
    "invalidCommand": "FAIL - Invalid parameters supplied for command [{0}]",
    "invalidPath": "FAIL - Invalid context path [{0}] was specified",
    "listed": "OK - Listed applications for virtual host [{0}]",
    "listitem": "{0}:{1}:{2}:{3}",
    "mkdirFail": "FAIL - Unable to create directory [{0}]",
    "noContext": "FAIL - No context exists named [{0}]",
    "noSelf": "FAIL - The manager cannot reload, stop, or undeploy itself",
    "notDeployed": "FAIL - Context [{0}] is defined in server.xml and may not be undeployed",
    "postCommand": "FAIL - Tried to use command [{0}] via a GET request but POST is required",
    "reloaded": "OK - Reloaded application at context path [{0}]",
    "sessions": "OK - Session information for application at context path [{0}]",
    "sessiondefaultmax": "Default maximum session inactive interval is [{0}] minutes",
    "sessiontimeout": "Inactive for [{0}] minutes: [{1}] sessions",
    "sessiontimeout.expired": "Inactive for [{0}] minutes: [{1}] sessions were expired",
    "sessiontimeout.unlimited": "Unlimited time: [{0}] sessions",
    "startFailed": "FAIL - Application at context path [{0}] could not be started",
    "started": "OK - Started application at context path [{0}]",
    "stopped": "OK - Stopped application at context path [{0}]",
    "undeployed": "OK - Undeployed application at context path [{0}]",
    "unknownCommand": "FAIL - Unknown command [{0}]",
}


def message(key: str, *args: object) -> str:
    """The message *key* with its ``{0}``, ``{1}``... filled in."""
    text = MESSAGES[key]
    for index, arg in enumerate(args):
        text = text.replace("{" + str(index) + "}", "null" if arg is None else str(arg))
    return text


_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;", "/": "&#47;"}


def escape(text: str) -> str:
    """Tomcat's ``Escape.htmlElementContent``, which its Manager applies to
    a path it echoes from the request in ``noContext`` (``/x`` ->
    ``&#47;x``): the answer may be shown in a browser."""
    return "".join(_ESCAPES.get(ch, ch) for ch in text)


def parse_context_path(path: str | None) -> str | None:
    """A command's ``path`` parameter -> the context path ("" for ROOT), or
    None when it is missing or not one (Tomcat's ``validateContextName``:
    it must start with ``/``; here also no empty, ``.`` or ``..`` segment,
    no ``#``, backslash or control character, so that the name it gives
    in appBase, ``base_name_for``, stays one plain file name)."""
    if path is None:
        return None
    if path in ("", "/"):
        return ""
    if not path.startswith("/") or path.endswith("/"):
        return None
    segments = path[1:].split("/")
    if any(seg in ("", ".", "..") for seg in segments):
        return None
    if any(ch in "#\\" or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in path):
        return None
    if base_name_for(path) == "ROOT":
        return None  # /ROOT would share ROOT's folder
    return path


def session_histogram(
    max_inactive_minutes: int, idle_seconds: Sequence[float | None], idle: int = -1, expired: int = 0
) -> list[str]:
    """The lines after ``sessions``'s first one, as Tomcat writes them: the
    default timeout, then how many sessions have been idle for how long, in
    at most 60 intervals up to the timeout (``<1``, ``1 - <2``...,
    ``>=30``), the sessions that never expire, and with *idle* (``expire``)
    how many were expired."""
    max_count = 60
    interval = 1
    if max_inactive_minutes > 0:
        interval = max_inactive_minutes // max_count
        if interval * max_count < max_inactive_minutes:
            interval += 1
        if interval == 0:
            interval = 1
        max_count = max_inactive_minutes // interval
        if interval * max_count < max_inactive_minutes:
            max_count += 1
    counts = [0] * (max_count + 1)
    unlimited = 0
    for seconds in idle_seconds:
        if seconds is None:
            unlimited += 1
            continue
        slot = int(seconds) // 60 // interval
        counts[min(slot, max_count)] += 1
    lines = [message("sessiondefaultmax", max_inactive_minutes)]
    if counts[0]:
        lines.append(message("sessiontimeout", f"<{interval}", counts[0]))
    for i in range(1, max_count):
        if counts[i]:
            lines.append(message("sessiontimeout", f"{i * interval} - <{(i + 1) * interval}", counts[i]))
    if counts[max_count]:
        lines.append(message("sessiontimeout", f">={max_count * interval}", counts[max_count]))
    if unlimited:
        lines.append(message("sessiontimeout.unlimited", unlimited))
    if idle >= 0:
        lines.append(message("sessiontimeout.expired", f">{idle}", expired))
    return lines
