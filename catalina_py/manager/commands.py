"""The Manager's commands (Tomcat's ``ManagerServlet`` methods): each takes
the Host's :class:`~catalina_py.deploy.host_deployer.HostDeployer` and the
request's parameters and returns the lines of the answer. The text
interface writes them as they are; the HTML page shows the first one.

Deploying copies what it is given where the Host looks for it, as
Tomcat's Manager does (a folder to ``appBase/<name>``, a WAR to
``appBase/<name>.war``, a ``config`` to ``conf/<Engine>/<Host>/<name>.xml``),
then asks the deployer to deploy it; undeploying removes those same
files. Nothing else on disk is touched.
"""

from __future__ import annotations

import logging
import os
import platform
import shutil
from collections.abc import Callable
from typing import BinaryIO

from ..container.valves.error_report import SERVER_INFO
from ..deploy.host_deployer import HostDeployer
from ..deploy.naming import base_name_for
from .text import escape, message, parse_context_path, session_histogram

__all__ = ["ManagerCommands"]

log = logging.getLogger("catalina_py.manager")

#: Bytes read from a PUT body at a time.
_CHUNK = 64 * 1024


def _local_file(url: str | None) -> str | None:
    """A ``war``/``config`` parameter -> a local path: ``file:`` stripped,
    as Tomcat does; an empty value is no value."""
    if not url:
        return None
    return url[len("file:") :] if url.startswith("file:") else url


def _path_from_file(file: str) -> str | None:
    """No ``path`` given: the one the WAR, folder or descriptor name gives
    (``/x/hello.war`` -> ``/hello``), as Tomcat does."""
    name = os.path.basename(file.rstrip("/"))
    for ext in (".war", ".xml"):
        if name.lower().endswith(ext):
            name = name[: -len(ext)]
    if not name or "##" in name:
        return None
    return "" if name == "ROOT" else "/" + name.replace("#", "/")


class ManagerCommands:
    """The text interface's commands over one Host."""

    def __init__(self, deployer: HostDeployer) -> None:
        self.deployer = deployer

    # -- reading ---------------------------------------------------------------
    def list_applications(self) -> list[str]:
        lines = [message("listed", self.deployer.host_name)]
        for app in self.deployer.applications():
            state = "running" if app.running else "stopped"
            lines.append(message("listitem", app.display_path, state, app.sessions, app.doc_base))
        return lines

    def serverinfo(self) -> list[str]:
        """Tomcat's labels (scripts read them), the Python runtime's values."""
        return [
            "OK - Server info",
            f"Tomcat Version: [{SERVER_INFO}]",
            f"OS Name: [{platform.system()}]",
            f"OS Version: [{platform.release()}]",
            f"OS Architecture: [{platform.machine()}]",
            f"JVM Version: [{platform.python_implementation()} {platform.python_version()}]",
            f"JVM Vendor: [{platform.python_implementation()}]",
        ]

    def sessions(self, raw_path: str | None, idle: str | None = None) -> list[str]:
        """``sessions`` and ``expire`` (with ``idle`` minutes)."""
        path = parse_context_path(raw_path)
        if path is None:
            return [message("invalidPath", escape(raw_path) if raw_path is not None else None)]
        info = self.deployer.sessions(path)
        if info is None:
            return [message("noContext", escape(path or "/"))]
        minutes = -1
        if idle is not None:
            try:
                minutes = int(idle)
            except ValueError:
                log.warning("Could not parse integer idle parameter [%s]", idle)
        expired = self.deployer.expire_sessions(path, minutes * 60) if minutes >= 0 else 0
        return [message("sessions", path or "/")] + session_histogram(
            info.max_inactive_minutes, info.idle_seconds, minutes, expired
        )

    # -- changing --------------------------------------------------------------
    def _target(self, raw_path: str | None, *, not_self: bool) -> tuple[str | None, list[str]]:
        """The context path a command names, or the answer refusing it."""
        path = parse_context_path(raw_path)
        if path is None:
            return None, [message("invalidPath", escape(raw_path) if raw_path is not None else None)]
        if self.deployer.find(path) is None:
            return None, [message("noContext", escape(path or "/"))]
        if not_self and path == self.deployer.own_path:
            return None, [message("noSelf")]
        return path, []

    def reload(self, raw_path: str | None) -> list[str]:
        path, refused = self._target(raw_path, not_self=True)
        if path is None:
            return refused
        info = self.deployer.find(path)
        if info is not None and not info.running:
            # Tomcat: Context.reload() of a stopped context throws.
            return [
                message("exception", f"IllegalStateError: Context with name [{path or '/'}] has not yet been started")
            ]
        with self.deployer.servicing(path):
            ok = self.deployer.reload(path)
        return [message("reloaded" if ok else "startFailed", path or "/")]

    def start(self, raw_path: str | None) -> list[str]:
        path, refused = self._target(raw_path, not_self=False)
        if path is None:
            return refused
        with self.deployer.servicing(path):
            ok = self.deployer.start(path)
        return [message("started" if ok else "startFailed", path or "/")]

    def stop(self, raw_path: str | None) -> list[str]:
        path, refused = self._target(raw_path, not_self=True)
        if path is None:
            return refused
        with self.deployer.servicing(path):
            self.deployer.stop(path)
        return [message("stopped", path or "/")]

    def undeploy(self, raw_path: str | None) -> list[str]:
        path, refused = self._target(raw_path, not_self=True)
        if path is None:
            return refused
        info = self.deployer.find(path)
        if info is not None and info.server_xml:
            return [message("notDeployed", escape(path or "/"))]
        with self.deployer.servicing(path):
            self.deployer.undeploy(path)
            failed = self._remove_files(path)
        return failed or [message("undeployed", path or "/")]

    def _remove_files(self, path: str) -> list[str]:
        """Remove ``<name>.war`` and ``<name>/`` of appBase and the
        descriptor ``<name>.xml``, as Tomcat's undeploy does; a symbolic
        link is removed, never followed."""
        name = base_name_for(path)
        targets = [os.path.join(self.deployer.app_base, name + ".war"), os.path.join(self.deployer.app_base, name)]
        if self.deployer.config_base is not None:
            targets.append(os.path.join(self.deployer.config_base, name + ".xml"))
        for target in targets:
            try:
                if os.path.islink(target) or os.path.isfile(target):
                    os.unlink(target)
                elif os.path.isdir(target):
                    shutil.rmtree(target)
            except OSError as exc:
                log.error("Undeploying [%s]: cannot delete [%s]: %s", path or "/", target, exc)
                return [message("deleteFail", target)]
        return []

    def deploy(self, raw_path: str | None, war: str | None, config: str | None, update: bool) -> list[str]:
        """``deploy?path=&war=`` (a folder or a WAR on this machine) and
        ``deploy?config=`` (a context descriptor, with or without ``war``)."""
        war_file = _local_file(war)
        config_file = _local_file(config)
        if war_file is None and config_file is None:
            return [message("invalidCommand", "/deploy")]
        if raw_path is None:
            raw_path = _path_from_file(config_file or war_file or "")
        return self._deploy(raw_path, update, lambda path: self._copy_sources(path, war_file, config_file))

    def deploy_upload(self, raw_path: str | None, body: BinaryIO, update: bool) -> list[str]:
        """``PUT /deploy?path=``: the request body is the WAR, written to
        ``appBase/<name>.war`` (removed again when nothing could be
        deployed from it, so it is not picked up later by surprise)."""
        lines = self._deploy(raw_path, update, lambda path: self._write_war(path, body))
        path = parse_context_path(raw_path)
        if path is not None and lines[0] == message("deployFailed", path or "/"):
            try:
                os.unlink(os.path.join(self.deployer.app_base, base_name_for(path) + ".war"))
            except OSError:
                pass
        return lines

    def _deploy(self, raw_path: str | None, update: bool, install: Callable[[str], list[str]]) -> list[str]:
        path = parse_context_path(raw_path)
        if path is None:
            return [message("invalidPath", escape(raw_path) if raw_path is not None else None)]
        if update and self.deployer.find(path) is not None:
            if path == self.deployer.own_path:
                return [message("noSelf")]
            refused = self.undeploy(path)
            if not refused[0].startswith("OK"):
                return refused
        if self.deployer.find(path) is not None:
            return [message("alreadyContext", path or "/")]
        with self.deployer.servicing(path):
            failed = install(path)
            if failed:
                return failed
            self.deployer.check(path)
        info = self.deployer.find(path)
        if info is None:
            return [message("deployFailed", path or "/")]
        if not info.running:
            return [message("deployedButNotStarted", path or "/")]
        return [message("deployed", path or "/")]

    def _copy_sources(self, path: str, war: str | None, config: str | None) -> list[str]:
        name = base_name_for(path)
        if config is not None:
            base = self.deployer.config_base
            if base is None:
                return [message("mkdirFail", "conf")]
            try:
                os.makedirs(base, exist_ok=True)
            except OSError:
                return [message("mkdirFail", base)]
            target = os.path.join(base, name + ".xml")
            if not _copy(config, target):
                return [message("copyFail", config, target)]
        if war is not None:
            target = os.path.join(self.deployer.app_base, name + (".war" if war.lower().endswith(".war") else ""))
            if not _copy(war, target):
                return [message("copyFail", war, target)]
        return []

    def _write_war(self, path: str, body: BinaryIO) -> list[str]:
        target = os.path.join(self.deployer.app_base, base_name_for(path) + ".war")
        partial = target + ".part"
        try:
            with open(partial, "wb") as out:
                while chunk := body.read(_CHUNK):
                    out.write(chunk)
            os.replace(partial, target)
        except OSError as exc:
            log.error("Writing the uploaded WAR to [%s] failed: %s", target, exc)
            try:
                os.unlink(partial)
            except OSError:
                pass
            return [message("exception", f"{type(exc).__name__}: {exc}")]
        return []


def _copy(source: str, target: str) -> bool:
    """Copy a file or a folder (symbolic links kept as links) to a target
    that does not exist yet (a file may be replaced); False, logged, when
    that fails or the source is missing or relative."""
    try:
        if not os.path.isabs(source):
            raise OSError(f"not an absolute path: {source}")
        if os.path.realpath(source) == os.path.realpath(target):
            raise OSError("the source is the target")
        if os.path.isdir(source):
            shutil.copytree(source, target, symlinks=True)
        else:
            shutil.copyfile(source, target)
    except OSError as exc:
        log.error("Unable to copy [%s] to [%s]: %s", source, target, exc)
        return False
    return True
