"""The WAR side of ``HostConfig`` (Tomcat's ``HostConfig.deployWARs`` and
the WAR part of ``checkResources``): deploys the ``.war`` files of the
Host's appBase, and keeps them in step with the file system.

* At start, after the context descriptors and before the folders, every
  ``<name>.war`` of appBase whose path no descriptor or server.xml Context
  already serves is deployed: expanded into ``appBase/<name>/``
  (:mod:`.war`, through a temporary folder) and served from there as a
  folder is. An existing folder is used as it is when it has no
  ``META-INF/war-tracker`` (put there by hand, as Tomcat) or a tracker
  with the WAR's mtime; a folder whose tracker differs was expanded from an
  older WAR and is expanded again.
* With ``autoDeploy``, once its size and mtime looked the same twice in a
  row: a new WAR is deployed; a changed WAR is deployed again beside the
  running version (expanded anew into a hidden folder first, see
  :meth:`WarDeployer.redeploy_war`), which serves until the new one has
  started (a changed WAR that is refused, or fails to start, leaves the
  running version serving); a removed WAR is undeployed and the
  folder expanded from it removed (a folder without the tracker is never
  removed). A WAR whose path a folder already serves is ignored, as in
  Tomcat.
* A WAR refused by the checks of :mod:`.war` (zip-slip, symlinks, bombs)
  deploys nothing: one log line names the archive and the entry, and an
  unavailable placeholder answers 503 at its path until the WAR changes.
* ``name##version.war``: one more version of the path of ``name``,
  deployed beside the others (parallel deployment: the Mapper sends new
  sessions to the newest, the greatest string as Tomcat orders them, and
  keeps older sessions on their version; see ``HostConfig``).
* ``unpackWARs="false"``: the WAR is the context's docBase and is served
  from the archive (``servlets/resources.py`` for the static files,
  ``zipimport`` for ``WEB-INF/classes``), after the same checks as an
  expansion; a folder of the same name is then ignored with a warning, as
  Tomcat does.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..errors import ConfigError
from .file_state import Signature, file_sig, settled
from .naming import ContextName
from .war import (
    ExpansionState,
    WarError,
    WarLimits,
    check_war,
    expand_war,
    expansion_state,
    is_expanded,
    remove_expanded,
    remove_tree,
)

log = logging.getLogger("catalina_py.deploy")

__all__ = ["CONTEXT_XML", "DeployedWar", "Deployer", "WarDeployer"]

#: A webapp's own context configuration (Tomcat's ``ApplicationContextXml``).
CONTEXT_XML = "META-INF/context.xml"


class _Deployed(Protocol):
    doc_base: str


class Deployer(Protocol):
    """What the WAR deployer needs of its ``HostConfig`` (declared here so
    that HostConfig, which owns a WarDeployer, is not imported back)."""

    app_base: str
    deploy_xml: bool
    deploy_ignore: re.Pattern[str] | None
    host: Any  # the StandardHost: its name and contexts

    @property
    def deployed(self) -> Mapping[str, _Deployed]: ...

    def deploy_directory(self, folder: str) -> object: ...

    def deploy(self, path: str, doc_base: str, config: Any = None, version: str = "") -> object: ...

    def deploy_archive(self, path: str, war: str, version: str = "") -> object: ...

    def deploy_failed(self, path: str, doc_base: str, cause: str) -> None: ...

    def undeploy(self, path: str) -> None: ...

    def redeploy(self, path: str) -> object: ...


@dataclass
class DeployedWar:
    """One WAR that HostConfig deployed (or tried to): the archive, its name,
    the folder it is served from, and the archive's state as deployed."""

    war: str
    name: ContextName
    folder: str
    seen: dict[str, Signature] = field(default_factory=dict)
    pending: dict[str, Signature] = field(default_factory=dict)


class WarDeployer:
    """Deploys and watches the WARs of one Host for its :class:`HostConfig`,
    through that HostConfig's public methods (a WAR is deployed as the
    folder it was expanded into).

    :param unpack_wars: the Host's ``unpackWARs``.
    :param limits: the bounds of :func:`~.war.expand_war`.
    """

    def __init__(self, config: Deployer, unpack_wars: bool = True, limits: WarLimits | None = None) -> None:
        self.config = config
        self.unpack_wars = unpack_wars
        self.limits = limits or WarLimits()
        #: context name (the path, with ``##version`` if any) -> the WAR
        #: deployed as that context
        self.deployed: dict[str, DeployedWar] = {}
        #: new WARs seen once, waiting to look the same again
        self._candidates: dict[str, Signature] = {}
        self._noted: set[tuple[str, Signature]] = set()

    # -- what is in appBase ----------------------------------------------
    def war_files(self) -> dict[str, list[tuple[ContextName, str]]]:
        """The WARs of appBase by context path, newest version first
        (invalid names are warned about once and left out)."""
        app_base = self.config.app_base
        try:
            names = sorted(os.listdir(app_base))
        except OSError:
            return {}
        ignore = self.config.deploy_ignore
        found: dict[str, list[tuple[ContextName, str]]] = {}
        for file_name in names:
            full = os.path.join(app_base, file_name)
            if file_name.startswith(".") or not file_name.lower().endswith(".war") or not os.path.isfile(full):
                continue
            if ignore is not None and ignore.fullmatch(file_name):
                continue
            try:
                cn = ContextName.from_base_name(file_name, strip_extension=True)
            except ConfigError as exc:
                self._note(full, None, f"Web application archive [{full}] ignored: {exc}")
                continue
            found.setdefault(cn.path, []).append((cn, full))
        for wars in found.values():
            wars.sort(key=lambda item: item[0].version, reverse=True)
        return found

    def _note(self, war: str, sig: Signature, message: str) -> None:
        """Log *message* once for this WAR in this state."""
        key = (war, sig)
        if key not in self._noted:
            self._noted.add(key)
            log.info("%s", message)

    def _taken(self, cn: ContextName) -> bool:
        """Whether something other than a WAR is deployed under *cn*'s name
        (a descriptor, server.xml, a folder): the WAR then stays
        undeployed, as Tomcat's ``deploymentExists``."""
        name = cn.name
        if name in self.deployed:
            return False
        return name in self.config.deployed or (not cn.version and name in self.config.host.contexts)

    def configtest(self, taken: set[str]) -> tuple[list[tuple[ContextName, str]], list[ConfigError]]:
        """For ``configtest``: the (name, WAR) pairs :meth:`deploy_all`
        would deploy (context names not in *taken*), to be checked as
        webapps (the archive read in place), and an error for each WAR the
        entry checks refuse (its name is added to *taken*)."""
        apps: list[tuple[ContextName, str]] = []
        errors: list[ConfigError] = []
        for wars in self.war_files().values():
            for cn, war in wars:
                if cn.name in taken:
                    continue
                try:
                    check_war(war, self.limits)
                except WarError as exc:
                    errors.append(ConfigError(str(exc), war))
                    taken.add(cn.name)  # its placeholder takes the name
                    continue
                apps.append((cn, war))
        return apps, errors

    # -- deployment ------------------------------------------------------
    def deploy_all(self) -> None:
        """At start: every WAR (every version) nothing else is deployed as,
        the oldest version of a path first, so the newest is registered
        last and takes the new sessions."""
        for wars in self.war_files().values():
            for cn, war in reversed(wars):
                if self._taken(cn):
                    self._note(
                        war, file_sig(war), f"Web application archive [{war}] ignored: [{cn.display()}] is deployed"
                    )
                    continue
                self.deploy_war(cn, war)

    def deploy_war(self, cn: ContextName, war: str) -> None:
        """Expand *war* if needed and deploy the folder; a refused WAR gets
        a placeholder that answers 503 (see :meth:`HostConfig.deploy_failed`)."""
        folder = os.path.join(self.config.app_base, cn.base_name)
        sig = file_sig(war)
        log.info("Deploying web application archive [%s]", war)
        if not self.unpack_wars:
            self.deploy_archive(cn, war, folder)
            self.deployed[cn.name] = DeployedWar(war, cn, war, seen={"war": sig})
            return
        try:
            state = expansion_state(war, folder)
            if state is ExpansionState.STALE:
                log.info("The WAR [%s] changed since [%s] was expanded: expanding it again", war, folder)
                remove_expanded(folder)
            if state in (ExpansionState.MISSING, ExpansionState.STALE):
                expand_war(war, folder, self.limits)
        except (WarError, OSError) as exc:
            self.config.deploy_failed(cn.path, folder, str(exc))
        else:
            self.config.deploy_directory(folder)
        self.deployed[cn.name] = DeployedWar(war, cn, folder, seen={"war": sig})

    def deploy_archive(self, cn: ContextName, war: str, folder: str) -> None:
        """``unpackWARs="false"``: deploy *war* as the docBase, served from
        the archive, once its entries passed the checks of an expansion."""
        if os.path.isdir(folder):
            log.warning(
                'The folder [%s] is ignored: the WAR [%s] takes its place and unpackWARs is "false"', folder, war
            )
        try:
            check_war(war, self.limits)
        except WarError as exc:
            self.config.deploy_failed(cn.path, war, str(exc))
            return
        self.config.deploy_archive(cn.path, war, cn.version)

    def redeploy_war(self, dep: DeployedWar) -> None:
        """The WAR of *dep* changed: deploy it again beside the running
        version, which serves until the new one has started (and goes on
        serving if the new WAR is refused or fails to start; see
        ``HostConfig.redeploy``). Expanded WARs are expanded anew into a
        hidden folder of appBase first; only a WAR that expanded cleanly
        takes the folder's place (the old folder goes once the new version
        serves; the old version's code is already imported)."""
        name = dep.name.name
        if not self.unpack_wars:
            try:
                check_war(dep.war, self.limits)
            except WarError as exc:
                log.error("The changed WAR is refused; the running version of [%s] keeps serving: %s", name, exc)
                return
            self.config.redeploy(name)
            return
        folder = dep.folder
        if not is_expanded(folder):
            # A folder put there by hand is served as it is (Tomcat's rule):
            # a new version of the same folder, nothing expanded.
            self.config.redeploy(name)
            return
        parent, base = os.path.split(folder)
        side = os.path.join(parent, f".{base}.redeploy-{os.getpid()}")
        retired = os.path.join(parent, f".{base}.retired-{os.getpid()}")
        for stale in (side, retired):
            remove_tree(stale)
        try:
            expand_war(dep.war, side, self.limits)
        except (WarError, OSError) as exc:
            log.error("The changed WAR is refused; the running version of [%s] keeps serving: %s", name, exc)
            return
        try:
            os.rename(folder, retired)
            os.rename(side, folder)
        except OSError as exc:
            log.error(
                "Cannot put the new expansion of [%s] in place (%s); the running version keeps serving", name, exc
            )
            if not os.path.exists(folder) and os.path.isdir(retired):
                os.rename(retired, folder)
            remove_tree(side)
            return
        try:
            self.config.redeploy(name)
        finally:
            remove_tree(retired)

    def undeploy_war(self, dep: DeployedWar) -> None:
        """Undeploy the context of *dep* and remove the folder expanded
        from it (only if it carries the tracker: a folder put there by hand
        is kept)."""
        self.deployed.pop(dep.name.name, None)
        self.config.undeploy(dep.name.name)
        if remove_expanded(dep.folder):
            log.info("Removed [%s], expanded from [%s]", dep.folder, dep.war)

    # -- the background check (autoDeploy) ----------------------------------
    def check(self) -> None:
        """One pass: removed, changed and new WARs (the Host's autoDeploy)."""
        for name, dep in list(self.deployed.items()):
            app = self.config.deployed.get(name)
            if app is None or os.path.realpath(app.doc_base) != os.path.realpath(dep.folder):
                # Undeployed by someone else (its folder was removed, the
                # server stops): forget it; a WAR still there is new again.
                self.deployed.pop(name, None)
                continue
            if not os.path.isfile(dep.war):
                log.info("Web application archive [%s] was removed", dep.war)
                self.undeploy_war(dep)
                continue
            current = file_sig(dep.war)
            if settled(dep.seen, dep.pending, "war", current):
                log.info("Web application archive [%s] changed: redeploying [%s]", dep.war, dep.name.display())
                dep.pending.pop("war", None)
                dep.seen["war"] = current
                self.redeploy_war(dep)
        seen: set[str] = set()
        for wars in self.war_files().values():
            for cn, war in reversed(wars):
                seen.add(war)
                if cn.name in self.deployed:
                    continue
                if self._taken(cn):
                    self._note(
                        war, file_sig(war), f"Web application archive [{war}] ignored: [{cn.display()}] is deployed"
                    )
                    continue
                if self._stable(war):
                    self.deploy_war(cn, war)
        for key in [k for k in self._candidates if k not in seen]:
            del self._candidates[key]

    def _stable(self, war: str) -> bool:
        """A new WAR: true once its state is unchanged since the previous
        check (it is not being copied any more)."""
        current = file_sig(war)
        previous = self._candidates.get(war)
        self._candidates[war] = current
        if previous is not None and previous == current:
            del self._candidates[war]
            return True
        return False
