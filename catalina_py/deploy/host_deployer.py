"""``HostDeployer``: what a privileged webapp (the Manager) may do with the
Host it runs in, and nothing more.

Tomcat gives its Manager servlet the ``Wrapper`` (``ContainerServlet``),
from which it walks to the Host and calls the Host's ``Deployer`` MBean
(``check``, ``isDeployed``, ``addServiced``...). Here a context marked
``privileged="true"`` (its ``META-INF/context.xml`` or its descriptor in
``conf/<Engine>/<Host>/``) finds one ``HostDeployer`` under the servlet
context attribute :data:`HOST_DEPLOYER_ATTRIBUTE`; no other context gets
it. It answers with plain data (:class:`ApplicationInfo`,
:class:`SessionsInfo`), never a context or the ``HostConfig`` itself, and
every operation is serialised (one at a time, whichever request greenlet
asks) and keeps the Host's background check away while it works.

What it does not do: copy or delete the webapp's files. The Manager puts a
folder, WAR or descriptor where the Host looks for it and calls
:meth:`HostDeployer.check`, as Tomcat's Manager does with
``Deployer.check``.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import gevent.lock

from ..session.manager import DEFAULT_SESSION_TIMEOUT
from . import naming
from .naming import base_name_for

log = logging.getLogger("catalina_py.deploy")

__all__ = ["HOST_DEPLOYER_ATTRIBUTE", "ApplicationInfo", "DeployingHost", "HostDeployer", "SessionsInfo"]

#: The servlet context attribute holding the :class:`HostDeployer` of a
#: privileged context.
HOST_DEPLOYER_ATTRIBUTE = "catalina_py.deploy.HostDeployer"


@dataclass(frozen=True)
class ApplicationInfo:
    """One deployed webapp as the Manager lists it."""

    #: the context path ("" for ROOT)
    path: str
    #: ``<display-name>`` of its web.xml, or None
    display_name: str | None
    #: started and serving (Tomcat's "running"), else "stopped"
    running: bool
    #: live HttpSessions
    sessions: int
    #: the docBase as Tomcat lists it: the name inside appBase, else the full path
    doc_base: str
    #: defined in server.xml (may not be undeployed)
    server_xml: bool

    @property
    def display_path(self) -> str:
        return self.path or "/"


@dataclass(frozen=True)
class SessionsInfo:
    """The sessions of one webapp: the default timeout and how long each
    live session has been idle."""

    max_inactive_minutes: int
    #: seconds since each session was last accessed; None: it never expires
    idle_seconds: tuple[float | None, ...]


class DeployingHost(Protocol):
    """What the deployer needs of the Host's ``HostConfig`` (declared here,
    as ``HostConfig`` makes the deployers and is not imported back)."""

    host: Any  # the StandardHost: its name
    app_base: str
    serviced: set[str]
    deployed: dict[str, Any]  # path -> DeployedApplication

    @property
    def config_base(self) -> str | None: ...

    def deploy_descriptor(self, file: str) -> object: ...

    def deploy_directory(self, folder: str) -> object: ...

    def undeploy(self, path: str) -> None: ...

    def reload(self, path: str) -> object: ...

    def start_context(self, path: str) -> object: ...

    def stop_context(self, path: str) -> bool: ...


class HostDeployer:
    """The Host's deployer as a privileged webapp sees it.

    :param config: the Host's ``HostConfig``.
    :param own_path: the context path of the privileged webapp holding it
        (the Manager may not stop, reload or undeploy itself).
    """

    def __init__(self, config: DeployingHost, own_path: str) -> None:
        self._config = config
        self.own_path = own_path
        self._lock = gevent.lock.RLock()

    # -- where things go ------------------------------------------------------
    @property
    def host_name(self) -> str:
        return str(self._config.host.name)

    @property
    def app_base(self) -> str:
        """The Host's appBase folder (absolute)."""
        return os.path.abspath(self._config.app_base)

    @property
    def config_base(self) -> str | None:
        """``conf/<Engine>/<Host>``, where context descriptors go."""
        return self._config.config_base

    # -- what is deployed -----------------------------------------------------
    def applications(self) -> list[ApplicationInfo]:
        """Every deployed (or failed) webapp of the Host, by path."""
        return [info for path in sorted(self._config.deployed) if (info := self.find(path)) is not None]

    def find(self, path: str) -> ApplicationInfo | None:
        """The webapp at *path*, or None."""
        app = self._config.deployed.get(path)
        if app is None:
            return None
        context = app.context
        running = context.is_available()
        manager = context.manager
        sessions = manager.get_active_sessions() if running and manager is not None else 0
        doc_base = app.doc_base
        if os.path.dirname(os.path.abspath(doc_base)) == self.app_base:
            doc_base = os.path.basename(doc_base)
        return ApplicationInfo(
            path=path,
            display_name=context.web_xml.display_name,
            running=running,
            sessions=sessions,
            doc_base=doc_base,
            server_xml=app.source == "server.xml",
        )

    def sessions(self, path: str) -> SessionsInfo | None:
        """The sessions of the webapp at *path* (none when it is stopped)."""
        app = self._config.deployed.get(path)
        if app is None:
            return None
        manager = app.context.manager
        if manager is None or not app.context.is_available():
            return SessionsInfo(DEFAULT_SESSION_TIMEOUT, ())
        now = time.time()
        idle: list[float | None] = []
        for session in list(manager.sessions.values()):
            if session.get_max_inactive_interval() <= 0:
                idle.append(None)
            else:
                idle.append(max(0.0, now - session.get_last_accessed_time()))
        return SessionsInfo(manager.max_inactive_interval // 60, tuple(idle))

    def expire_sessions(self, path: str, idle_seconds: float) -> int:
        """Expire the sessions of *path* idle for at least *idle_seconds*;
        returns how many."""
        app = self._config.deployed.get(path)
        if app is None or app.context.manager is None or not app.context.is_available():
            return 0
        now = time.time()
        expired = 0
        for session in list(app.context.manager.sessions.values()):
            if session.get_max_inactive_interval() > 0 and now - session.get_last_accessed_time() >= idle_seconds:
                session.expire()
                expired += 1
        return expired

    # -- operations -------------------------------------------------------------
    @contextmanager
    def servicing(self, path: str) -> Iterator[None]:
        """One Manager operation on *path* at a time; the Host's background
        check (autoDeploy) skips its passes meanwhile, so it never deploys a
        folder being copied or undeploys what is being replaced."""
        with self._lock:
            self._config.serviced.add(path)
            try:
                yield
            finally:
                self._config.serviced.discard(path)

    def check(self, path: str) -> None:
        """Deploy what the Host holds for *path* now (Tomcat's
        ``Deployer.check``): its descriptor ``conf/<Engine>/<Host>/<name>.xml``,
        else ``appBase/<name>.war``, else the folder ``appBase/<name>``;
        a webapp already deployed at *path* is left alone."""
        if path in self._config.deployed:
            return
        name = base_name_for(path)
        base = self.config_base
        descriptor = os.path.join(base, name + ".xml") if base is not None else None
        war = os.path.join(self.app_base, name + ".war")
        folder = os.path.join(self.app_base, name)
        if descriptor is not None and os.path.isfile(descriptor):
            self._config.deploy_descriptor(descriptor)
        elif os.path.isfile(war):
            self._deploy_war(path, war)
        elif os.path.isdir(folder):
            self._config.deploy_directory(folder)

    def _deploy_war(self, path: str, war: str) -> None:
        # WAR files are deployed by the Host's WarDeployer (deploy/war_deployer.py,
        # built on branch "war"): HostConfig's public "wars" and naming's
        # ContextName. Until both are in the container, say so and deploy nothing.
        wars: Any = getattr(self._config, "wars", None)
        context_name: Any = getattr(naming, "ContextName", None)
        if wars is None or context_name is None:
            log.error("Cannot deploy [%s] at [%s]: this server does not deploy WAR files", war, path or "/")
            return
        wars.deploy_war(context_name.from_base_name(os.path.basename(war), strip_extension=True), war)

    def undeploy(self, path: str) -> None:
        """Stop and remove the webapp at *path* (its files are the caller's)."""
        self._config.undeploy(path)

    def reload(self, path: str) -> bool:
        """Reload the webapp at *path*; True when it serves again."""
        return self._config.reload(path) is not None

    def start(self, path: str) -> bool:
        """Start the stopped webapp at *path*; True when it serves."""
        return self._config.start_context(path) is not None

    def stop(self, path: str) -> bool:
        """Stop the webapp at *path* (it stays deployed); False when nothing runs there."""
        return self._config.stop_context(path)
