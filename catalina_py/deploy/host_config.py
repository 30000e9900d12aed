"""``HostConfig``: turns the Host's ``appBase`` folders, its context
descriptors and the ``<Context>`` elements of server.xml into running
contexts, and keeps them in step with the file system while the server
runs, as Tomcat's ``HostConfig`` does.

At start (``deploy_apps``), in Tomcat's order:

1. every ``<Context>`` of server.xml;
2. every context descriptor ``<CATALINA_BASE>/conf/<Engine>/<Host>/*.xml``
   (a ``<Context docBase=... reloadable=...>`` file; its name gives the
   path: ``ROOT.xml`` -> "", ``a#b.xml`` -> ``/a/b``);
3. every folder of appBase (``ROOT`` -> "", ``examples`` -> ``/examples``,
   ``a#b`` -> ``/a/b``) that no descriptor or server.xml Context uses.

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
"""

from __future__ import annotations

import html
import logging
import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import gevent
import gevent.event

from ..config.web_xml import WebXml, merge_web_xml
from ..container.context import StandardContext
from ..container.pipeline import ValveBase
from ..container.valves.error_report import SERVER_INFO, ErrorReportValve, error_page_html
from ..errors import ConfigError
from ..servlet.context import TEMPDIR
from .context_config import WebappConfigurator, build_web_xml, check_webapp
from .file_state import Signature, code_sig, file_sig, folder_sig, settled
from .naming import base_name_for, context_path_for

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

    @property
    def reloadable(self) -> bool:
        return bool(self.config is not None and self.config.reloadable)


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
        #: context path -> what was deployed there
        self.deployed: dict[str, DeployedApplication] = {}
        #: new folders/descriptors seen once, waiting to be stable
        self._candidates: dict[str, Signature] = {}
        self._warned: set[str] = set()
        self._stop_event = gevent.event.Event()
        self._watcher: gevent.Greenlet | None = None

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

    def work_dir_for(self, path: str) -> str | None:
        """``<CATALINA_BASE>/work/<Engine>/<Host>/<base name>`` of a context."""
        if self.catalina_base is None:
            return None
        return os.path.join(self.catalina_base, "work", self.engine_name, self.host.name, base_name_for(path))

    def _doc_base_of(self, config: ContextSpec) -> str:
        doc_base = os.path.expanduser(config.doc_base)
        if not os.path.isabs(doc_base):
            doc_base = os.path.join(self.app_base, doc_base)
        return os.path.normpath(os.path.abspath(doc_base))

    def _in_app_base(self, doc_base: str) -> bool:
        return os.path.dirname(os.path.realpath(doc_base)) == os.path.realpath(self.app_base)

    # -- deployment at start -------------------------------------------------
    def deploy_apps(self) -> None:
        """Deploy the server.xml contexts, then (with ``deployOnStartup``)
        the descriptors and the folders of appBase."""
        for config in self.context_configs:
            self.deploy(config.path, self._doc_base_of(config), config)
        if not self.deploy_on_startup:
            return
        for file in self._descriptor_files():
            self.deploy_descriptor(file)
        if not os.path.isdir(self.app_base):
            log.warning("The appBase [%s] of Host [%s] does not exist", self.app_base, self.host.name)
            return
        for folder in self._app_base_folders():
            self.deploy_directory(folder)

    def _descriptor_files(self) -> list[str]:
        base = self.config_base
        if base is None or not os.path.isdir(base):
            return []
        return [
            os.path.join(base, name)
            for name in sorted(os.listdir(base))
            if name.endswith(".xml") and not name.startswith(".") and os.path.isfile(os.path.join(base, name))
        ]

    def _app_base_folders(self) -> list[str]:
        """The folders of appBase that no server.xml Context or descriptor
        already deploys."""
        try:
            names = sorted(os.listdir(self.app_base))
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
        """``configtest``: check what :meth:`deploy_apps` would deploy, in
        its order, without starting or registering anything: the server.xml
        Contexts, the context descriptors and the folders of appBase (with
        their ``META-INF/context.xml``); for each, its descriptors and the
        classes they name (:func:`~.context_config.check_webapp`, each
        webapp with a loader of its own). Returns one error per webapp
        that would fail to start."""
        from ..config.context_spec import load_context_descriptor

        apps: list[tuple[str, str]] = []  # (path, docBase) to check
        errors: list[ConfigError] = []
        taken: set[str] = set()

        def add(path: str, doc_base: str) -> None:
            if path not in taken:
                taken.add(path)
                apps.append((path, doc_base))

        for config in self.context_configs:
            add(config.path, self._doc_base_of(config))
        if self.deploy_on_startup:
            for file in self._descriptor_files():
                try:
                    path = context_path_for(os.path.basename(file)[: -len(".xml")])
                    config, _ = load_context_descriptor(file, path, self.properties)
                except ConfigError as exc:
                    errors.append(exc)
                    continue
                add(path, self._doc_base_of(config))
            owned = {os.path.realpath(doc_base) for _, doc_base in apps}
            for folder in self._app_base_folders():
                if os.path.realpath(folder) in owned:
                    continue
                try:
                    path = context_path_for(os.path.basename(folder))
                except ConfigError:
                    continue  # skipped by deployment too (with a warning)
                own = os.path.join(folder, "META-INF", "context.xml")
                if self.deploy_xml and os.path.isfile(own):
                    try:
                        load_context_descriptor(own, path, self.properties)
                    except ConfigError as exc:
                        errors.append(exc)
                        continue
                add(path, folder)
        for path, doc_base in apps:
            if not os.path.isdir(doc_base):
                errors.append(
                    ConfigError(
                        f"the docBase [{doc_base}] of context [{path or '/'}] does not exist or is not a directory"
                    )
                )
                continue
            try:
                check_webapp(doc_base, self.global_web_xml, path)
            except ConfigError as exc:
                errors.append(exc)
        return errors

    def deploy_descriptor(self, file: str) -> StandardContext | None:
        """Deploy the webapp a context descriptor names."""
        from ..config.context_spec import load_context_descriptor

        name = os.path.basename(file)[: -len(".xml")]
        try:
            path = context_path_for(name)
        except ConfigError as exc:
            self._warn_once(file, f"Context descriptor [{file}] ignored: {exc}")
            return None
        if path in self.deployed:
            self._warn_once(
                file,
                f"Context descriptor [{file}] ignored: the context path "
                f"[{path or '/'}] is already deployed from "
                f"{self.deployed[path].descriptor or self.deployed[path].source}",
            )
            return None
        log.info("Deploying deployment descriptor [%s]", file)
        sig = file_sig(file)
        try:
            config, warnings = load_context_descriptor(file, path, self.properties)
        except ConfigError as exc:
            doc_base = os.path.join(self.app_base, name)
            return self._deploy(path, doc_base, None, DESCRIPTOR, file, error=exc, descriptor_sig=sig)
        for warning in warnings:
            log.warning("%s", warning)
        return self._deploy(path, self._doc_base_of(config), config, DESCRIPTOR, file, descriptor_sig=sig)

    def deploy_directory(self, folder: str) -> StandardContext | None:
        """Deploy a folder of appBase at the path its name gives."""
        try:
            path = context_path_for(os.path.basename(folder))
        except ConfigError as exc:
            self._warn_once(folder, f"Folder [{folder}] of appBase ignored: {exc}")
            return None
        if path in self.deployed or path in self.host.contexts:
            return None
        own = os.path.join(folder, "META-INF", "context.xml")
        if self.deploy_xml and os.path.isfile(own):
            # The webapp's own context configuration (Tomcat's deployXML,
            # on by default): its valves and attributes; the folder is the
            # docBase whatever the file says.
            from ..config.context_spec import load_context_descriptor

            try:
                config, warnings = load_context_descriptor(own, path, self.properties)
            except ConfigError as exc:
                return self._deploy(path, folder, None, DIRECTORY, None, error=exc)
            for warning in warnings:
                log.warning("%s", warning)
            return self._deploy(path, folder, config, DIRECTORY, None)
        return self._deploy(path, folder, None, DIRECTORY, None)

    def deploy(self, path: str, doc_base: str, config: ContextSpec | None = None) -> StandardContext | None:
        """Deploy one webapp; returns None (and logs why) if it fails, in
        which case an unavailable placeholder answers 503 at *path*."""
        return self._deploy(path, doc_base, config, SERVER_XML if config is not None else DIRECTORY, None)

    def _deploy(
        self,
        path: str,
        doc_base: str,
        config: ContextSpec | None,
        source: str,
        descriptor: str | None,
        error: Exception | None = None,
        descriptor_sig: Signature = None,
    ) -> StandardContext | None:
        display = path or "/"
        started = time.monotonic()
        if descriptor is None:
            log.info("Deploying web application directory [%s]", doc_base)
        context: StandardContext | None = None
        try:
            if error is not None:
                raise error
            if not os.path.isdir(doc_base):
                raise ConfigError(
                    f"the docBase [{doc_base}] of context [{display}] does not exist " "or is not a directory"
                )
            web_xml = self._web_xml(doc_base)
            context = StandardContext(self.host, path, doc_base, web_xml)
            context.configurators.append(WebappConfigurator())
            context.work_dir = self.work_dir_for(path)
            if context.work_dir is not None:
                # Tomcat's ServletContext.TEMPDIR: the work directory, made now.
                try:
                    os.makedirs(context.work_dir, exist_ok=True)
                    context.get_servlet_context().set_attribute(TEMPDIR, context.work_dir)
                except OSError as exc:
                    log.warning("Cannot create the work directory of context [%s]: %s", display, exc)
            context.mapper = self.mapper
            context.cross_context = (
                config is not None and config.attributes.get("crossContext", "false").lower() == "true"
            )
            context.allow_linking = config is not None and config.allow_linking
            # get_parts() for servlets without a multipart config (docs/multipart.md).
            context.allow_casual_multipart_parsing = (
                config is not None and config.attributes.get("allowCasualMultipartParsing", "false").lower() == "true"
            )
            if config is not None and config.attributes.get("privileged", "false").lower() == "true":
                context.get_servlet_context().set_attribute(SERVER_ATTRIBUTE, self.server)
            if config is not None and self.make_valve is not None:
                for valve_config in config.valves:
                    context.pipeline.add_valve(self.make_valve(valve_config))
            if config is not None and config.realm is not None:
                if self.make_realm is None:
                    raise ConfigError.at(config.realm.location, "no realm factory to build this <Realm>")
                context.realm = self.make_realm(config.realm)
            context.access_logs = self._host_access_logs() + context.pipeline.access_logs()
            context.start()
        except ConfigError as exc:
            self._discard(context)
            self._failed(path, doc_base, config, source, descriptor, descriptor_sig, str(exc), None)
            return None
        except Exception as exc:
            self._discard(context)
            self._failed(
                path, doc_base, config, source, descriptor, descriptor_sig, f"{type(exc).__name__}: {exc}", exc
            )
            return None
        self.failed.pop(display, None)
        self._register(path, context)
        app = DeployedApplication(path, doc_base, source, context, descriptor=descriptor, config=config)
        self._remember(app, descriptor_sig)
        log.info(
            "Deployment of web application [%s] has finished in [%d] ms", display, (time.monotonic() - started) * 1000
        )
        return context

    def _host_access_logs(self) -> list[Any]:  # Any: access log valves, as StandardContext.access_logs
        # The host's access_logs are set by bootstrap (none on a bare StandardHost).
        return list(getattr(self.host, "access_logs", []))

    def _register(self, path: str, context: StandardContext) -> None:
        self.host.contexts[path] = context
        self.mapper.add_context(self.host.name, path, context, context.welcome_files, context.resource_exists)
        for pattern, wrapper in context.servlet_mappings():
            self.mapper.add_wrapper(self.host.name, path, pattern, wrapper)

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
        """The answer to every request of a webapp that failed to start: 503,
        as Tomcat's answer for an unavailable context, with a page saying
        so and naming the log that holds the cause (not the cause itself:
        it may show paths and code to anyone). Tomcat does not register a
        context that failed to start, so its requests fall through to ROOT
        (404): see docs/deployment.md."""
        message = f"The application [{display}] failed to start"
        description = (
            f"The web application at [{display}] failed to start when it was deployed, so it cannot serve "
            f"requests. The cause is in the server's log: {self.log_name()}. Once it is fixed, the application "
            "is deployed again when its files change (autoDeploy) or when the server restarts."
        )
        show_server_info = True
        for valve in self.host.pipeline.valves:
            if isinstance(valve, ErrorReportValve):
                show_server_info = valve.show_server_info
        page = error_page_html(
            503,
            "Service Unavailable",
            html.escape(message),
            None,
            SERVER_INFO if show_server_info else None,
            description=description,
        )

        def answer(request: Any, response: Any) -> None:  # Any: the container's request and response
            response.set_status(503)
            response.set_content_type("text/html;charset=utf-8")
            response.set_locale("en")
            response.get_writer().write(page)

        return answer

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
        self.deployed[app.path] = app

    def _watched(self, app: DeployedApplication) -> dict[str, Signature]:
        watched: dict[str, Signature] = {
            "web.xml": file_sig(os.path.join(app.doc_base, "WEB-INF", "web.xml")),
        }
        if app.descriptor is not None:
            watched["descriptor"] = file_sig(app.descriptor)
        if app.reloadable or app.failed:
            watched["code"] = code_sig(app.doc_base)
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
        for file in self._descriptor_files():
            seen.add(file)
            if any(app.descriptor == file for app in self.deployed.values()):
                continue
            if self._new_and_stable(file, file_sig(file)):
                self._candidates.pop(file, None)
                self.deploy_descriptor(file)
        for folder in self._app_base_folders():
            seen.add(folder)
            try:
                path = context_path_for(os.path.basename(folder))
            except ConfigError:
                continue
            if path in self.deployed or path in self.host.contexts:
                continue
            if self._new_and_stable(folder, folder_sig(folder)):
                self._candidates.pop(folder, None)
                self.deploy_directory(folder)
        for key in [k for k in self._candidates if k not in seen]:
            del self._candidates[key]

    def _check_app(self, app: DeployedApplication, auto: bool) -> None:
        if self.deployed.get(app.path) is not app:
            return  # replaced or undeployed meanwhile
        if auto and app.source != SERVER_XML:
            if app.descriptor is not None and not os.path.isfile(app.descriptor):
                log.info("Context descriptor [%s] was removed", app.descriptor)
                self.undeploy(app.path)
                return
            if (
                (app.source == DIRECTORY or self._in_app_base(app.doc_base))
                and app.seen.get("exists")
                and not os.path.isdir(app.doc_base)
            ):
                log.info("Web application folder [%s] was removed", app.doc_base)
                self.undeploy(app.path)
                return
        current = self._watched(app)
        if auto:
            for key in ("descriptor", "web.xml"):
                if key in current and settled(app.seen, app.pending, key, current[key]):
                    log.info("The %s of context [%s] changed: redeploying", key, app.path or "/")
                    self.redeploy(app.path)
                    return
        if "code" in current and (app.reloadable or auto) and settled(app.seen, app.pending, "code", current["code"]):
            if app.failed:
                log.info("The code of the failed context [%s] changed: redeploying", app.path or "/")
                self.redeploy(app.path)
            else:
                self.reload(app.path)

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
        """Remove the context at *path*: unmapped first (new requests go
        elsewhere), then stopped once its requests in flight finished."""
        self.deployed.pop(path, None)
        self.failed.pop(path or "/", None)
        context = self.host.contexts.pop(path, None)
        if context is None:
            return
        log.info("Undeploying context [%s]", path or "/")
        self.mapper.remove_context(self.host.name, path)
        self._drain(context)
        self._discard(context)

    def _retire(self, app: DeployedApplication) -> None:
        """Pause the context (new requests get 503), let the requests in
        flight finish, stop it."""
        context = app.context
        context.paused = True
        self._drain(context)
        self._discard(context)
        self.deployed.pop(app.path, None)

    def redeploy(self, path: str) -> StandardContext | None:
        """Stop the context at *path* and deploy it again from its source
        (re-reading its descriptor and web.xml)."""
        app = self.deployed.get(path)
        if app is None:
            return None
        log.info("Redeploying context [%s]", path or "/")
        self._retire(app)
        if app.source == DESCRIPTOR and app.descriptor is not None:
            if os.path.isfile(app.descriptor):
                return self.deploy_descriptor(app.descriptor)
            self.undeploy(path)
            return None
        if not os.path.isdir(app.doc_base) and app.source == DIRECTORY:
            self.undeploy(path)
            return None
        return self._deploy(path, app.doc_base, app.config, app.source, None)

    def reload(self, path: str) -> StandardContext | None:
        """Tomcat's ``StandardContext.reload``: stop the context, drop its
        modules, start it again with fresh imports."""
        app = self.deployed.get(path)
        if app is None:
            return None
        log.info("Reloading Context with name [%s] has started", path or "/")
        self._retire(app)
        context = self._deploy(
            path, app.doc_base, app.config, app.source, app.descriptor, descriptor_sig=app.seen.get("descriptor")
        )
        if context is not None:
            log.info("Reloading Context with name [%s] is completed", path or "/")
        return context

    def stop(self) -> None:
        """Stop the background check, then undeploy every context."""
        self._stop_event.set()
        if self._watcher is not None:
            self._watcher.join(timeout=self.unload_delay + 5)
            self._watcher.kill(block=False)
            self._watcher = None
        for path in list(self.host.contexts):
            self.undeploy(path)
