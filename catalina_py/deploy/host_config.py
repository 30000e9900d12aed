"""``HostConfig``: turns the Host's ``appBase`` folders, its context
descriptors and the ``<Context>`` elements of server.xml into running
contexts, and keeps them in step with the file system while the server
runs, as Tomcat's ``HostConfig`` does.

At start (``deploy_apps``), in Tomcat's order:

1. every ``<Context>`` of server.xml;
2. every context descriptor ``<CATALINA_BASE>/conf/<Engine>/<Host>/*.xml``
   (a ``<Context docBase=... reloadable=...>`` file; its name gives the
   path: ``ROOT.xml`` -> "", ``a#b.xml`` -> ``/a/b``);
3. every ``.war`` of appBase that no descriptor or server.xml Context
   uses, expanded into the folder of its name (``deploy/war_deployer.py``);
4. every folder of appBase (``ROOT`` -> "", ``examples`` -> ``/examples``,
   ``a#b`` -> ``/a/b``, ``shop##2`` -> ``/shop``) that none of the above uses.

While running, a background greenlet (Tomcat's background processor)
checks every ``backgroundProcessorDelay`` seconds (1 s by default here, 10 s
in Tomcat):

- with the Host's ``autoDeploy``: a new folder or descriptor is deployed, a
  removed one undeployed, a changed descriptor or ``WEB-INF/web.xml``
  redeploys its webapp;
- a context with ``reloadable="true"`` is reloaded when a ``.py``, ``.whl``
  or ``.zip`` under ``WEB-INF/classes`` or ``WEB-INF/lib`` changes.

A change is acted on only once it has been the same for two checks in a
row, so a webapp still being copied is not deployed half-way.

A webapp that fails to deploy is logged with its cause and replaced by an
unavailable placeholder context, so its requests get 503 instead of
falling through to ROOT; it is retried when its files change again. Every
other webapp keeps serving throughout. See ``docs/deployment.md``.

A reload or redeploy never answers 503 (Tomcat's parallel deployment is
the model): the new version of the context is built and started beside the
running one, and put in the Mapper as the newest version only once it has
started; the old version finishes its requests in flight, its open
WebSockets may go on for ``reloadWebSocketGrace`` seconds (then 1001), and
it is stopped. Its HttpSessions are copied into the new version at the
switch (as Tomcat's StandardManager carries them across a reload). A new
version that fails to start is discarded and the old one keeps serving.
Folders named ``name##version`` are versions of one path deployed side by
side; with the Host's ``undeployOldVersions`` an older one goes once it has
no session left.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import gevent
import gevent.event
import gevent.lock

from ..config.web_xml import WebXml, merge_web_xml
from ..container.context import StandardContext
from ..container.pipeline import ValveBase
from ..container.valves.error_report import ErrorReportValve
from ..errors import ConfigError
from ..lifecycle import LifecycleState
from ..servlet.context import TEMPDIR
from ..servlets.resources import is_archive
from ..websocket.server import ServerContainer
from .configtest import check_host_apps
from .context_config import WebappConfigurator, build_web_xml
from .context_xml import APPLICATION_CONTEXT_XML, ContextXml, ContextXmlConfigurator
from .file_state import Signature, code_sig, file_sig, folder_sig, settled
from .host_deployer import HOST_DEPLOYER_ATTRIBUTE, HostDeployer
from .naming import VERSION_MARKER, base_name_for, newest_first, split_version
from .placeholders import failed_answer, stopped_answer
from .war_deployer import WarDeployer

if TYPE_CHECKING:  # pragma: no cover
    from ..config.context_spec import ContextSpec
    from ..config.realm_spec import RealmSpec
    from ..config.valve_spec import ValveSpec
    from ..container.host import StandardHost
    from ..container.mapper import Mapper
    from ..container.types import WebappContext
    from ..realm.base import Realm

log = logging.getLogger("catalina_py.deploy")

#: The servlet context attribute holding the ``StandardServer`` in a
#: privileged context (``<Context privileged="true">``).
SERVER_ATTRIBUTE = "catalina_py.container.Server"

#: The key prefix of a ``<WatchedResource>`` in ``DeployedApplication.seen``.
WATCHED_PREFIX = "watched:"

#: Where a deployed webapp came from.
SERVER_XML = "server.xml"
DESCRIPTOR = "descriptor"
DIRECTORY = "directory"


@dataclass
class DeployedApplication:
    """What HostConfig knows about one deployed (or failed) webapp: where
    it came from and the state of the files it watches (Tomcat's
    ``HostConfig.DeployedApplication``)."""

    path: str
    doc_base: str
    source: str
    context: StandardContext
    failed: bool = False
    descriptor: str | None = None
    config: ContextSpec | None = None
    #: watched key -> signature when deployed (descriptor, web.xml, code, exists)
    seen: dict[str, Signature] = field(default_factory=dict)
    #: watched key -> changed signature seen once, waiting for a second look
    pending: dict[str, Signature] = field(default_factory=dict)
    #: the parallel deployment version (``shop##2`` -> "2"), "" for none
    version: str = ""
    #: ``config`` over conf/context.xml's defaults: what the context got
    effective: ContextSpec | None = None

    @property
    def reloadable(self) -> bool:
        spec = self.effective if self.effective is not None else self.config
        return bool(spec is not None and spec.reloadable)

    @property
    def name(self) -> str:
        """Tomcat's context name, the key in ``HostConfig.deployed``: the
        path, followed by ``##version`` for a versioned webapp."""
        return self.path + (VERSION_MARKER + self.version if self.version else "")


class HostConfig:
    """Deploys the webapps of one Host, registers them with the Mapper and
    watches them (autoDeploy, reloadable) while the server runs.

    :param catalina_base: the instance folder; gives the descriptor folder
        ``conf/<Engine>/<Host>`` and the work folders
        ``work/<Engine>/<Host>/<name>``. Without it, no descriptors are
        read and WEB-INF/lib archives go to temporary folders.
    :param properties: values for ``${name}`` in context descriptors.
    :param background_processor_delay: seconds between two checks.
    :param unload_delay: how long an undeploy or reload waits for the
        requests in flight on the old context to finish.
    :param undeploy_old_versions: the Host's ``undeployOldVersions``.
    :param reload_websocket_grace: the Host's ``reloadWebSocketGrace``:
        seconds an old version's open WebSockets may go on after a reload.
    """

    def __init__(
        self,
        host: StandardHost,
        app_base: str,
        mapper: Mapper,
        global_web_xml: WebXml,
        context_configs: tuple[ContextSpec, ...] = (),
        make_valve: Callable[[ValveSpec], ValveBase] | None = None,
        *,
        catalina_base: str | None = None,
        properties: Mapping[str, str] | None = None,
        deploy_on_startup: bool = True,
        background_processor_delay: float = 1.0,
        unload_delay: float = 10.0,
        server: Any = None,
        deploy_xml: bool = True,
        deploy_ignore: str | None = None,
        unpack_wars: bool = True,
        undeploy_old_versions: bool = False,
        reload_websocket_grace: float = 30.0,
        copy_xml: bool = False,
        make_realm: Callable[[RealmSpec], Realm] | None = None,
    ) -> None:
        if background_processor_delay <= 0:
            raise ValueError("background_processor_delay must be positive")
        self.host = host
        self.app_base = app_base
        self.mapper = mapper
        self.global_web_xml = global_web_xml
        self.context_configs = context_configs
        self.make_valve = make_valve
        self.catalina_base = catalina_base
        self.properties = dict(properties or {})
        self.deploy_on_startup = deploy_on_startup
        self.background_processor_delay = background_processor_delay
        self.unload_delay = unload_delay
        #: The ``StandardServer``, given to privileged contexts (Tomcat's
        #: ``privileged="true"``: the manager, here the inspector) as the
        #: servlet context attribute :data:`SERVER_ATTRIBUTE`.
        self.server = server
        #: The Host's ``deployXML``: read a webapp's own META-INF/context.xml.
        self.deploy_xml = deploy_xml
        #: The Host's ``deployIgnore``: appBase folder names not deployed.
        self.deploy_ignore = re.compile(deploy_ignore) if deploy_ignore else None
        #: Builds a context's ``<Realm>`` (bootstrap's; None: context realms are refused).
        self.make_realm = make_realm
        #: display path -> cause, for the webapps that failed to deploy
        self.failed: dict[str, str] = {}
        #: context name (the path; ``path##version`` for a versioned
        #: webapp, as Tomcat keys it) -> what was deployed there
        self.deployed: dict[str, DeployedApplication] = {}
        #: new folders/descriptors seen once, waiting to be stable
        self._candidates: dict[str, Signature] = {}
        self._warned: set[str] = set()
        self._stop_event = gevent.event.Event()
        self._watcher: gevent.Greenlet | None = None
        #: The WARs of appBase (the Host's ``unpackWARs``).
        self.wars = WarDeployer(self, unpack_wars)
        #: The Host's ``undeployOldVersions``: an older ``##version`` of a
        #: path is undeployed once it has no session left.
        self.undeploy_old_versions = undeploy_old_versions
        #: How long (seconds) the open WebSockets of a version replaced by a
        #: reload or redeploy may go on before they get 1001 Going Away.
        self.reload_websocket_grace = reload_websocket_grace
        #: One deployment operation at a time, whoever calls (the background
        #: check, the Manager's request greenlets).
        self._lock = gevent.lock.RLock()
        #: old context -> the greenlet retiring it (drain, WebSockets, stop)
        self._retiring: dict[StandardContext, gevent.Greenlet] = {}
        #: versioned folders that failed to start beside a running version
        #: -> their state then (not retried until it changes)
        self._failed_beside: dict[str, Signature] = {}
        #: Context paths a Manager command is working on (Tomcat's
        #: ``addServiced``): the background check leaves the Host alone meanwhile.
        self.serviced: set[str] = set()
        #: The context files: conf/context.xml defaults, META-INF/context.xml
        #: under deployXML and copyXML (``deploy/context_xml.py``).
        self.context_xml = ContextXml(
            catalina_base, self.config_base, self.properties, deploy_xml=deploy_xml, copy_xml=copy_xml
        )

    # -- locations -----------------------------------------------------------
    @property
    def engine_name(self) -> str:
        engine = self.host.engine
        return engine.name if engine is not None else "Catalina"

    @property
    def config_base(self) -> str | None:
        """``<CATALINA_BASE>/conf/<Engine>/<Host>``, the descriptor folder."""
        if self.catalina_base is None:
            return None
        return os.path.join(self.catalina_base, "conf", self.engine_name, self.host.name)

    def work_dir_for(self, path: str, version: str = "") -> str | None:
        """``<CATALINA_BASE>/work/<Engine>/<Host>/<base name>`` of a context
        (``shop##2`` for version 2 of /shop, as Tomcat names it)."""
        if self.catalina_base is None:
            return None
        name = base_name_for(path, version)
        return os.path.join(self.catalina_base, "work", self.engine_name, self.host.name, name)

    def doc_base_of(self, config: ContextSpec) -> str:
        doc_base = os.path.expanduser(config.doc_base)
        if not os.path.isabs(doc_base):
            doc_base = os.path.join(self.app_base, doc_base)
        return os.path.normpath(os.path.abspath(doc_base))

    def _inside_app_base(self, doc_base: str) -> bool:
        """*doc_base* is under appBase (at any depth), links resolved."""
        real, base = os.path.realpath(doc_base), os.path.realpath(self.app_base)
        return real == base or real.startswith(base + os.sep)

    def _in_app_base(self, doc_base: str) -> bool:
        return os.path.dirname(os.path.realpath(doc_base)) == os.path.realpath(self.app_base)

    # -- deployment at start -------------------------------------------------
    def deploy_apps(self) -> None:
        """Deploy the server.xml contexts, then (with ``deployOnStartup``)
        the descriptors and the folders of appBase."""
        for config in self.context_configs:
            self.deploy(config.path, self.doc_base_of(config), config)
        if not self.deploy_on_startup:
            return
        for file in self.descriptor_files():
            self.deploy_descriptor(file)
        if not os.path.isdir(self.app_base):
            log.warning("The appBase [%s] of Host [%s] does not exist", self.app_base, self.host.name)
            return
        self.wars.deploy_all()
        for folder in self.app_base_folders():
            self.deploy_directory(folder)

    def descriptor_files(self) -> list[str]:
        base = self.config_base
        if base is None or not os.path.isdir(base):
            return []
        return [
            os.path.join(base, name)
            for name in sorted(os.listdir(base))
            if name.endswith(".xml") and not name.startswith(".") and os.path.isfile(os.path.join(base, name))
        ]

    def app_base_folders(self) -> list[str]:
        """The folders of appBase that no server.xml Context or descriptor
        already deploys."""
        try:
            names = newest_first(os.listdir(self.app_base))
        except OSError:
            return []
        owned = {os.path.realpath(app.doc_base) for app in self.deployed.values() if app.source != DIRECTORY}
        folders = []
        for name in names:
            full = os.path.join(self.app_base, name)
            if name.startswith(".") or not os.path.isdir(full) or os.path.realpath(full) in owned:
                continue
            if self.deploy_ignore is not None and self.deploy_ignore.fullmatch(name):
                continue
            folders.append(full)
        return folders

    def check_apps(self) -> list[ConfigError]:
        """``configtest``: one error per webapp that would fail to start
        (:func:`.configtest.check_host_apps`)."""
        return check_host_apps(self)

    def deploy_descriptor(self, file: str, replacing: DeployedApplication | None = None) -> StandardContext | None:
        """Deploy the webapp a context descriptor names (*replacing* the
        running version of it, for a redeploy)."""
        from ..config.context_spec import load_context_descriptor

        name = os.path.basename(file)[: -len(".xml")]
        try:
            path, version = split_version(name)
        except ConfigError as exc:
            self._warn_once(file, f"Context descriptor [{file}] ignored: {exc}")
            return None
        key = path + (VERSION_MARKER + version if version else "")
        if replacing is None and (key in self.deployed or (not version and path in self.deployed)):
            self._warn_once(
                file,
                f"Context descriptor [{file}] ignored: the context path "
                f"[{path or '/'}] is already deployed from "
                f"{self.deployed[key].descriptor or self.deployed[key].source}",
            )
            return None
        log.info("Deploying deployment descriptor [%s]", file)
        sig = file_sig(file)
        config: ContextSpec | None = None
        error: ConfigError | None = None
        doc_base = os.path.join(self.app_base, name)
        try:
            config, warnings = load_context_descriptor(file, path, self.properties)
        except ConfigError as exc:
            error = exc  # the webapp fails with it (file:line), nothing else does
        else:
            for warning in warnings:
                log.warning("%s", warning)
            written = self.doc_base_of(config)
            if "docBase" not in config.written or not self._inside_app_base(written):
                doc_base = written
            else:
                # Tomcat's hostConfig.deployDescriptor.localDocBaseSpecified: a
                # descriptor's docBase is for a webapp outside appBase; inside,
                # the descriptor's name gives the folder.
                log.warning("A docBase [%s] inside the host appBase has been specified, and will be ignored", written)
        return self._deploy(
            path,
            doc_base,
            config,
            DESCRIPTOR,
            file,
            error=error,
            descriptor_sig=sig,
            replacing=replacing,
            version=version,
        )

    def deploy_directory(self, folder: str) -> StandardContext | None:
        """Deploy a folder of appBase at the path its name gives
        (``name##version``: one more version of the path, beside the
        others)."""
        try:
            path, version = split_version(os.path.basename(folder))
        except ConfigError as exc:
            self._warn_once(folder, f"Folder [{folder}] of appBase ignored: {exc}")
            return None
        if version:
            if path + VERSION_MARKER + version in self.deployed:
                return None
        elif path in self.deployed or path in self.host.contexts:
            return None
        # The webapp's own META-INF/context.xml (deployXML, copyXML): its
        # folder is the docBase whatever the file says.
        own = self.context_xml.own_context_xml(folder, path, os.path.basename(folder))
        if own.descriptor is not None:
            return self._deploy(
                path,
                folder,
                own.config,
                DESCRIPTOR,
                own.descriptor,
                descriptor_sig=file_sig(own.descriptor),
                version=version,
            )
        return self._deploy(path, folder, own.config, DIRECTORY, None, error=own.error, version=version)

    def deploy(
        self, path: str, doc_base: str, config: ContextSpec | None = None, version: str = ""
    ) -> StandardContext | None:
        """Deploy one webapp (*version*: one more ``##version`` of *path*,
        beside the others); returns None (and logs why) if it fails, in
        which case an unavailable placeholder answers 503 at *path*."""
        source = SERVER_XML if config is not None else DIRECTORY
        return self._deploy(path, doc_base, config, source, None, version=version)

    def deploy_archive(self, path: str, war: str, version: str = "") -> StandardContext | None:
        """Deploy a WAR served from the archive (``unpackWARs="false"``),
        with the ``META-INF/context.xml`` inside it (``deployXML``)."""
        own = self.context_xml.archive_context_xml(war, path)
        return self._deploy(path, war, own.config, DIRECTORY, None, error=own.error, version=version)

    def deploy_failed(self, path: str, doc_base: str, cause: str) -> None:
        """Record that the webapp at *path* could not be deployed (a WAR
        refused): *cause* logged, an unavailable placeholder answering 503
        at *path*, as for a webapp that failed to start."""
        self._failed(path, doc_base, None, DIRECTORY, None, None, cause, None)

    def _deploy(
        self,
        path: str,
        doc_base: str,
        config: ContextSpec | None,
        source: str,
        descriptor: str | None,
        error: Exception | None = None,
        descriptor_sig: Signature = None,
        replacing: DeployedApplication | None = None,
        version: str = "",
    ) -> StandardContext | None:
        """Build and start a context; once started, register it as the
        newest version at *path*. *replacing*: the deployed application it
        replaces (a reload or redeploy), retired once the new one serves, or
        left serving if the new one fails to start."""
        with self._lock:
            return self._deploy_locked(
                path, doc_base, config, source, descriptor, error, descriptor_sig, replacing, version
            )

    def _deploy_locked(
        self,
        path: str,
        doc_base: str,
        config: ContextSpec | None,
        source: str,
        descriptor: str | None,
        error: Exception | None,
        descriptor_sig: Signature,
        replacing: DeployedApplication | None,
        version: str,
    ) -> StandardContext | None:
        display = (path or "/") + (VERSION_MARKER + version if version else "")
        started = time.monotonic()
        if descriptor is None:
            log.info("Deploying web application directory [%s]", doc_base)
        context: StandardContext | None = None
        try:
            if error is not None:
                raise error
            if not os.path.isdir(doc_base) and not is_archive(doc_base):
                raise ConfigError(
                    f"the docBase [{doc_base}] of context [{display}] does not exist " "or is not a directory"
                )
            effective = self.context_xml.effective(path, config)
            web_xml = self._web_xml(doc_base)
            context = StandardContext(self.host, path, doc_base, web_xml)
            context.configurators.append(WebappConfigurator())
            context.context_spec = effective
            if effective is not None:
                context.configurators.append(ContextXmlConfigurator(effective))
            context.work_dir = self.work_dir_for(path, version)
            if context.work_dir is not None:
                # Tomcat's ServletContext.TEMPDIR: the work directory, made now.
                try:
                    os.makedirs(context.work_dir, exist_ok=True)
                    context.get_servlet_context().set_attribute(TEMPDIR, context.work_dir)
                except OSError as exc:
                    log.warning("Cannot create the work directory of context [%s]: %s", display, exc)
            context.mapper = self.mapper
            context.cross_context = effective is not None and effective.cross_context
            context.allow_linking = effective is not None and effective.allow_linking
            # get_parts() for servlets without a multipart config (docs/multipart.md).
            context.allow_casual_multipart_parsing = (
                effective is not None
                and effective.attributes.get("allowCasualMultipartParsing", "false").lower() == "true"
            )
            if effective is not None and effective.privileged:
                context.get_servlet_context().set_attribute(SERVER_ATTRIBUTE, self.server)
                # The Manager's narrow door to this Host (deploy/host_deployer.py).
                context.get_servlet_context().set_attribute(HOST_DEPLOYER_ATTRIBUTE, HostDeployer(self, path))
            if effective is not None and self.make_valve is not None:
                for valve_config in effective.valves:
                    context.pipeline.add_valve(self.make_valve(valve_config))
            if config is not None and config.realm is not None:
                if self.make_realm is None:
                    raise ConfigError.at(config.realm.location, "no realm factory to build this <Realm>")
                context.realm = self.make_realm(config.realm)
            context.access_logs = self._host_access_logs() + context.pipeline.access_logs()
            context.start()
        except Exception as exc:
            self._discard(context)
            cause = str(exc) if isinstance(exc, ConfigError) else f"{type(exc).__name__}: {exc}"
            trace = None if isinstance(exc, ConfigError) else exc
            if self._keep_running(path, display, replacing, cause, trace):
                return None
            self._failed(path, doc_base, config, source, descriptor, descriptor_sig, cause, trace)
            return None
        self.failed.pop(display, None)
        try:
            self._register(path, context, version)
        except (KeyError, ValueError) as exc:
            self._discard(context)
            if self._keep_running(path, display, replacing, f"{type(exc).__name__}: {exc}", exc):
                return None
            raise
        # Registered and serving from the next request on; nothing between
        # here and the copy yields, so no request sees the new version
        # without the sessions.
        old = replacing.context if replacing is not None and not replacing.failed else None
        if old is not None and old.manager is not None and context.manager is not None:
            copied = old.manager.copy_sessions_to(context.manager)
            if copied:
                log.info("Context [%s]: %d session(s) carried over to the new version", display, copied)
        app = DeployedApplication(
            path,
            doc_base,
            source,
            context,
            descriptor=descriptor,
            config=config,
            version=version,
            effective=context.context_spec,
        )
        self._remember(app, descriptor_sig)
        if replacing is not None:
            self._retire_later(replacing)
        log.info(
            "Deployment of web application [%s] has finished in [%d] ms", display, (time.monotonic() - started) * 1000
        )
        return context

    def _host_access_logs(self) -> list[Any]:  # Any: access log valves, as StandardContext.access_logs
        # The host's access_logs are set by bootstrap (none on a bare StandardHost).
        return list(getattr(self.host, "access_logs", []))

    def _register(self, path: str, context: StandardContext, version: str = "") -> None:
        """Add *context* to the Mapper as one more version at *path*, with
        its servlet mappings, and make the Host's ``contexts`` name the
        newest version. Nothing here yields to another greenlet, so no
        request sees the context half-registered; a mapping that fails
        takes the version out again."""
        self.mapper.add_context(
            self.host.name, path, context, context.welcome_files, context.resource_exists, version=version
        )
        try:
            for pattern, wrapper in context.servlet_mappings():
                self.mapper.add_wrapper(self.host.name, path, pattern, wrapper, version=context)
        except (KeyError, ValueError):
            self.mapper.remove_context_version(self.host.name, path, context)
            raise
        self._sync_host(path)

    def _sync_host(self, path: str) -> None:
        """The Host's ``contexts[path]`` is the newest version the Mapper
        holds at *path* (none: removed)."""
        versions = self.mapper.context_versions(self.host.name, path)
        if versions:
            self.host.contexts[path] = versions[-1][1]
        else:
            self.host.contexts.pop(path, None)

    def _keep_running(
        self,
        path: str,
        display: str,
        replacing: DeployedApplication | None,
        cause: str,
        exc: BaseException | None,
    ) -> bool:
        """A new version failed to start: when a running version is there
        (the one being replaced, or another ``##version`` of the path), it
        keeps serving and no placeholder is put in front of it; the cause is
        logged. True when that is the case."""
        if replacing is not None and not replacing.failed:
            log.error(
                "Context [%s]: the new version failed to start; the running version keeps serving: %s",
                display,
                cause,
                exc_info=exc,
            )
            return True
        if replacing is None and any(
            app.path == path and not app.failed for app in self.deployed.values() if app.name != display
        ):
            log.error(
                "Context [%s] failed to start; the other version(s) at [%s] keep serving: %s",
                display,
                path or "/",
                cause,
                exc_info=exc,
            )
            self.failed[display] = cause
            return True
        return False

    def _discard(self, context: WebappContext | StandardContext | None) -> None:
        """Stop a context that failed to start (servlets destroyed, modules
        unloaded); what it raises is logged, never propagated."""
        if context is None:
            return
        try:
            context.stop()
        except Exception:
            log.exception("Stopping the failed context [%s] raised", context.display_path())

    def _failed(
        self,
        path: str,
        doc_base: str,
        config: ContextSpec | None,
        source: str,
        descriptor: str | None,
        descriptor_sig: Signature,
        cause: str,
        exc: BaseException | None,
    ) -> None:
        display = path or "/"
        self.failed[display] = cause
        log.error("Context [%s] failed to start and will not serve requests: %s", display, cause, exc_info=exc)
        # An unavailable placeholder: requests for the path get 503 and a
        # page saying the application failed to start, instead of ROOT's 404.
        placeholder = StandardContext(self.host, path, doc_base, merge_web_xml(self.global_web_xml, WebXml(file=None)))
        placeholder.access_logs = self._host_access_logs()
        placeholder.unavailable_page = self._failed_page(display)
        try:
            self.host.contexts[path] = placeholder
            self.mapper.add_context(self.host.name, path, placeholder)
        except (KeyError, ValueError) as err:
            self.host.contexts.pop(path, None)
            log.warning("No placeholder for context [%s]: %s", display, err)
        app = DeployedApplication(
            path, doc_base, source, placeholder, failed=True, descriptor=descriptor, config=config
        )
        self._remember(app, descriptor_sig)

    def log_name(self) -> str:
        """Where this process's log goes, as the failed-application page
        names it: ``$CATALINA_OUT`` (set by ``start``: logs/catalina.out),
        relative to CATALINA_BASE when inside it, else the console."""
        out = os.environ.get("CATALINA_OUT")
        if not out:
            return "the server's console output (catalina.sh run)"
        if self.catalina_base is not None:
            relative = os.path.relpath(out, self.catalina_base)
            if not relative.startswith(".."):
                return relative
        return out

    def _failed_page(self, display: str) -> Callable[[Any, Any], None]:
        """The 503 answer of a webapp that failed to start (``placeholders.py``)."""
        show_server_info = True
        for valve in self.host.pipeline.valves:
            if isinstance(valve, ErrorReportValve):
                show_server_info = valve.show_server_info
        return failed_answer(display, self.log_name(), show_server_info)

    def _web_xml(self, doc_base: str) -> WebXml:
        """WEB-INF/web.xml merged over conf/web.xml, checked before the
        context is built; the annotation scan completes it when the
        context starts (``context_config.WebappConfigurator``)."""
        return build_web_xml(doc_base, self.global_web_xml)

    # -- what is watched -----------------------------------------------------
    def _remember(self, app: DeployedApplication, descriptor_sig: Signature) -> None:
        """Record the watched files' state as deployed."""
        app.seen = self._watched(app)
        app.seen["exists"] = os.path.isdir(app.doc_base)
        if descriptor_sig is not None:
            # The descriptor as it was read, so an edit made meanwhile is seen.
            app.seen["descriptor"] = descriptor_sig
        self.deployed[app.name] = app

    def _watched(self, app: DeployedApplication) -> dict[str, Signature]:
        watched: dict[str, Signature] = {
            "web.xml": file_sig(os.path.join(app.doc_base, "WEB-INF", "web.xml")),
        }
        if app.descriptor is not None:
            watched["descriptor"] = file_sig(app.descriptor)
        elif app.source == DIRECTORY:
            # META-INF/context.xml edited, added or removed: redeploy (Tomcat's redeployResources).
            watched["context.xml"] = file_sig(os.path.join(app.doc_base, APPLICATION_CONTEXT_XML))
        if app.reloadable or app.failed:
            watched["code"] = code_sig(app.doc_base)
        if app.effective is not None:
            # <WatchedResource>: a change reloads the context (Tomcat's
            # reloadResources); web.xml is watched above already (redeploy).
            for resource in app.effective.watched_resources:
                full = os.path.normpath(os.path.join(app.doc_base, os.path.expanduser(resource)))
                if full != os.path.normpath(os.path.join(app.doc_base, "WEB-INF", "web.xml")):
                    watched[WATCHED_PREFIX + full] = file_sig(full)
        return watched

    def _new_and_stable(self, key: str, current: Signature) -> bool:
        """A new folder or descriptor: true once its state is unchanged
        since the previous check (it is not being copied any more)."""
        previous = self._candidates.get(key)
        self._candidates[key] = current
        return previous is not None and previous == current

    def _warn_once(self, key: str, message: str) -> None:
        if key not in self._warned:
            self._warned.add(key)
            log.warning("%s", message)

    # -- the background check ------------------------------------------------
    def start_background(self) -> None:
        """Start the background greenlet that runs :meth:`check` every
        ``background_processor_delay`` seconds."""
        if self._watcher is None:
            self._stop_event.clear()
            self._watcher = gevent.spawn(self._run_background)

    def _run_background(self) -> None:
        while not self._stop_event.wait(self.background_processor_delay):
            try:
                self.check()
            except Exception:
                log.exception("The background check of Host [%s] failed", self.host.name)

    def check(self) -> None:
        """One pass of Tomcat's ``HostConfig.check`` and of the reloadable
        contexts' ``backgroundProcess``."""
        if self.serviced:
            return  # a Manager command is deploying or undeploying: look next time
        auto = self.host.auto_deploy
        for app in list(self.deployed.values()):
            if self._stop_event.is_set():
                return
            try:
                self._check_app(app, auto)
            except Exception:
                log.exception("Checking context [%s] failed", app.path or "/")
        if not auto or self._stop_event.is_set():
            return
        seen: set[str] = set()
        for file in self.descriptor_files():
            seen.add(file)
            if any(app.descriptor == file for app in self.deployed.values()):
                continue
            if self._new_and_stable(file, file_sig(file)):
                self._candidates.pop(file, None)
                self.deploy_descriptor(file)
        self.wars.check()
        for folder in self.app_base_folders():
            seen.add(folder)
            try:
                path, version = split_version(os.path.basename(folder))
            except ConfigError:
                continue
            if version:
                if path + VERSION_MARKER + version in self.deployed:
                    continue
            elif path in self.deployed or path in self.host.contexts:
                continue
            sig = folder_sig(folder)
            if self._failed_beside.get(folder) == sig:
                continue  # failed beside a running version: until it changes
            if self._new_and_stable(folder, sig):
                self._candidates.pop(folder, None)
                self._failed_beside.pop(folder, None)
                if self.deploy_directory(folder) is None and version:
                    self._failed_beside[folder] = sig
        for key in [k for k in self._candidates if k not in seen]:
            del self._candidates[key]
        if self.undeploy_old_versions:
            self.undeploy_old_versions_now()

    def _check_app(self, app: DeployedApplication, auto: bool) -> None:
        if self.deployed.get(app.name) is not app:
            return  # replaced or undeployed meanwhile
        if auto and app.source != SERVER_XML:
            if app.descriptor is not None and not os.path.isfile(app.descriptor):
                log.info("Context descriptor [%s] was removed", app.descriptor)
                self.undeploy(app.name)
                return
            if (
                (app.source == DIRECTORY or self._in_app_base(app.doc_base))
                and app.seen.get("exists")
                and not os.path.isdir(app.doc_base)
            ):
                log.info("Web application folder [%s] was removed", app.doc_base)
                self.undeploy(app.name)
                return
        if app.context.state is LifecycleState.STOPPED:
            return  # stopped by the Manager: no reload or redeploy until started (as Tomcat)
        current = self._watched(app)
        if auto:
            for key in ("descriptor", "context.xml", "web.xml"):
                if key in current and settled(app.seen, app.pending, key, current[key]):
                    log.info("The %s of context [%s] changed: redeploying", key, app.path or "/")
                    self._mark_seen(app, current, key)
                    self.redeploy(app.name)
                    return
        if auto and not app.failed:
            for key in [k for k in current if k.startswith(WATCHED_PREFIX)]:
                if settled(app.seen, app.pending, key, current[key]):
                    log.info(
                        "The watched resource [%s] of context [%s] changed: reloading",
                        key[len(WATCHED_PREFIX) :],
                        app.name or "/",
                    )
                    self._mark_seen(app, current, key)
                    self.reload(app.name)
                    return
        if "code" in current and (app.reloadable or auto) and settled(app.seen, app.pending, "code", current["code"]):
            self._mark_seen(app, current, "code")
            if app.failed:
                log.info("The code of the failed context [%s] changed: redeploying", app.path or "/")
                self.redeploy(app.name)
            else:
                self.reload(app.name)

    @staticmethod
    def _mark_seen(app: DeployedApplication, current: dict[str, Signature], key: str) -> None:
        """The change about to be acted on is seen: when the new version
        fails to start and the old one keeps serving, it is not retried
        until the files change again."""
        app.seen[key] = current[key]
        app.pending.pop(key, None)

    # -- undeploy, redeploy, reload ------------------------------------------
    def _drain(self, context: WebappContext | StandardContext) -> None:
        """Wait (at most ``unload_delay``) for the requests in flight on
        *context* to finish."""
        deadline = time.monotonic() + self.unload_delay
        while context.in_flight > 0 and time.monotonic() < deadline:
            gevent.sleep(0.02)
        if context.in_flight > 0:
            log.warning(
                "Context [%s] still has %d request(s) in flight after %.0f s; stopping it " "anyway",
                context.display_path(),
                context.in_flight,
                self.unload_delay,
            )

    def undeploy(self, path: str) -> None:
        """Remove the context named *path* (its path, with ``##version`` for
        a versioned one): unmapped first (new requests go elsewhere), then
        stopped once its requests in flight finished."""
        with self._lock:
            app = self.deployed.pop(path, None)
            self.failed.pop(path or "/", None)
            if app is not None:
                context: WebappContext | StandardContext | None = app.context
                context_path = app.path
            else:
                # A path without its version: the newest version there.
                context, context_path = self.host.contexts.get(path), path
                for name, other in list(self.deployed.items()):
                    if other.context is context:
                        app = self.deployed.pop(name)
            if context is None:
                return
            log.info("Undeploying context [%s]", app.name if app is not None else path or "/")
            self.mapper.remove_context_version(self.host.name, context_path, context)
            self._sync_host(context_path)
            self._drain(context)
            self._discard(context)

    def _retire_later(self, app: DeployedApplication) -> None:
        """The old version *app* has been replaced in the Mapper: retire it
        in a greenlet of its own (the caller, maybe one of its own
        requests, does not wait). A failed placeholder goes at once."""
        old = app.context
        if app.failed:
            self.mapper.remove_context_version(self.host.name, app.path, old)
            self._sync_host(app.path)
            self._discard(old)
            return
        self._retiring[old] = gevent.spawn(self._retire, app)

    def _retire(self, app: DeployedApplication) -> None:
        """Let the old version's requests in flight finish (at most
        ``unload_delay``) and its open WebSockets close (at most
        ``reload_websocket_grace``); hand the sessions made meanwhile to the
        newest version; then take it out of the Mapper and stop it (its
        remaining WebSockets get 1001 Going Away)."""
        context = app.context
        try:
            self._drain(context)
            self._await_websockets(context)
        except gevent.GreenletExit:
            pass
        finally:
            try:
                self.mapper.remove_context_version(self.host.name, app.path, context)
                self._sync_host(app.path)
                successor = self.deployed.get(app.name)
                manager = context.manager
                if manager is not None:
                    if successor is not None and not successor.failed and successor.context is not context:
                        new_manager = successor.context.manager
                        if new_manager is not None:
                            manager.copy_sessions_to(new_manager)
                    manager.release_sessions()
                self._discard(context)
                log.info("The replaced version of context [%s] is stopped", app.name or "/")
            finally:
                self._retiring.pop(context, None)

    def _await_websockets(self, context: StandardContext) -> None:
        """Wait (at most ``reload_websocket_grace`` s, less if the server
        stops) for the open WebSocket sessions of *context* to close."""
        container = context.ws_container
        if not isinstance(container, ServerContainer):
            return
        deadline = time.monotonic() + self.reload_websocket_grace
        while time.monotonic() < deadline:
            open_sessions = sum(1 for session in container.all_sessions() if session.is_open())
            if not open_sessions or self._stop_event.wait(min(0.1, max(0.0, deadline - time.monotonic()))):
                return
        log.info(
            "Context [%s]: the WebSocket grace of %.0f s is over; closing the old version's sessions (1001)",
            context.display_path(),
            self.reload_websocket_grace,
        )

    def redeploy(self, path: str) -> StandardContext | None:
        """Deploy the context named *path* again from its source
        (re-reading its descriptor and web.xml), beside the running version,
        which keeps serving until the new one has started (and goes on
        serving if it fails to)."""
        with self._lock:
            app = self.deployed.get(path)
            if app is None:
                return None
            log.info("Redeploying context [%s]", app.name or "/")
            if app.source == DESCRIPTOR and app.descriptor is not None:
                if os.path.isfile(app.descriptor):
                    return self.deploy_descriptor(app.descriptor, replacing=app)
                self.undeploy(path)
                return None
            if not os.path.isdir(app.doc_base) and app.source == DIRECTORY:
                self.undeploy(path)
                return None
            config, error = app.config, None
            if app.source == DIRECTORY and not is_archive(app.doc_base):
                # The webapp's META-INF/context.xml, read again.
                own = self.context_xml.own_context_xml(app.doc_base, app.path, os.path.basename(app.doc_base))
                config, error = own.config, own.error
            return self._deploy(
                path=app.path,
                doc_base=app.doc_base,
                config=config,
                source=app.source,
                descriptor=None,
                error=error,
                replacing=app,
                version=app.version,
            )

    def reload(self, path: str) -> StandardContext | None:
        """Tomcat's ``StandardContext.reload``, without its pause: a new
        version with fresh imports is started beside the running one and
        takes the new requests once started; the old one finishes its own
        and is stopped (see :meth:`_retire`). Returns the new context, or
        None when there is nothing to reload or the new version failed to
        start (the old one then keeps serving)."""
        with self._lock:
            app = self.deployed.get(path)
            if app is None:
                return None
            log.info("Reloading Context with name [%s] has started", app.name or "/")
            context = self._deploy(
                app.path,
                app.doc_base,
                app.config,
                app.source,
                app.descriptor,
                descriptor_sig=app.seen.get("descriptor"),
                replacing=app,
                version=app.version,
            )
            if context is not None:
                log.info("Reloading Context with name [%s] is completed", app.name or "/")
            return context

    def undeploy_old_versions_now(self) -> None:
        """Tomcat's ``HostConfig.checkUndeploy``: at each path holding
        several ``##version``s, every version older than the newest that has
        no session left is undeployed."""
        by_path: dict[str, list[DeployedApplication]] = {}
        for app in self.deployed.values():
            if app.version and not app.failed:
                by_path.setdefault(app.path, []).append(app)
        for path, apps in by_path.items():
            newest = self.host.contexts.get(path)
            if len(apps) < 2 or newest is None or not newest.is_available():
                continue
            for app in apps:
                manager = app.context.manager
                if app.context is not newest and (manager is None or manager.get_active_sessions() == 0):
                    log.info("Undeploying old version [%s]: it has no session left", app.name)
                    self.undeploy(app.name)

    def stop_context(self, path: str) -> bool:
        """Tomcat's ``Context.stop()`` as the Manager's ``stop`` uses it: the
        context stays deployed and listed, new requests get 503 with a page
        saying it is stopped, the requests in flight finish, then it stops
        (sessions saved as at shutdown). False when nothing runs at *path*."""
        with self._lock:
            app = self.deployed.get(path)
            if app is None or app.failed:
                return False
            context = app.context
            context.paused = True
            context.unavailable_page = stopped_answer(path or "/")
            self._drain(context)
            self._discard(context)
            log.info("Context [%s] stopped", path or "/")
            return True

    def start_context(self, path: str) -> StandardContext | None:
        """Tomcat's ``Context.start()`` for the Manager's ``start``: a stopped
        (or failed) context is built again from its source and started, as
        a reload does; a running one is left as it is. None when nothing is
        deployed at *path* or it failed to start."""
        app = self.deployed.get(path)
        if app is None:
            return None
        if app.context.is_available():
            return app.context
        return self.reload(path)

    def stop(self) -> None:
        """Stop the background check, then undeploy every context."""
        self._stop_event.set()
        if self._watcher is not None:
            self._watcher.join(timeout=self.unload_delay + 5)
            self._watcher.kill(block=False)
            self._watcher = None
        retiring = list(self._retiring.values())
        gevent.joinall(retiring, timeout=self.unload_delay + 5)
        for greenlet in retiring:
            greenlet.kill(block=True, timeout=5)
        for name in list(self.deployed):
            self.undeploy(name)
        for path in list(self.host.contexts):
            self.undeploy(path)


def find_host_config(server: Any, host_name: str) -> HostConfig | None:
    """The :class:`HostConfig` deploying Host *host_name* in *server* (a
    ``StandardServer``, as a privileged context finds it under
    :data:`SERVER_ATTRIBUTE`), or None: how code without the Manager reaches
    ``reload``, ``redeploy`` and ``undeploy``."""
    for service in getattr(server, "services", ()):
        for host_config in getattr(service, "host_configs", ()):
            if host_config.host.name == host_name.lower():
                return host_config
    return None
