"""``HostConfig``: turns the Host's ``appBase`` folders and the
``<Context>`` elements of server.xml into running contexts, as Tomcat's
``HostConfig.deployApps`` does.

A folder ``webapps/ROOT`` becomes the context ``""`` (served at ``/``),
``webapps/examples`` becomes ``/examples`` and ``webapps/a#b`` becomes
``/a/b``. A webapp that fails to deploy is logged with its cause and
left out; every other webapp deploys and serves as usual.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any, Callable

from ..config.web_xml import WebXml, merge_web_xml, parse_web_xml
from ..container.context import StandardContext
from ..errors import ConfigError

if TYPE_CHECKING:  # pragma: no cover
    from ..config.server_xml import ContextConfig
    from ..container.host import StandardHost
    from ..container.mapper import Mapper

log = logging.getLogger("catalina_py.deploy")


def context_path_for(folder: str) -> str:
    """Tomcat's naming rule: ``ROOT`` -> "", ``a#b`` -> "/a/b"."""
    if folder == "ROOT":
        return ""
    return "/" + folder.replace("#", "/")


class HostConfig:
    """Deploys the webapps of one Host and registers them with the Mapper."""

    def __init__(self, host: "StandardHost", app_base: str, mapper: "Mapper",
                 global_web_xml: WebXml, context_configs: tuple["ContextConfig", ...] = (),
                 make_valve: Callable[[Any], Any] | None = None) -> None:
        self.host = host
        self.app_base = app_base
        self.mapper = mapper
        self.global_web_xml = global_web_xml
        self.context_configs = context_configs
        self.make_valve = make_valve
        self.failed: dict[str, str] = {}

    def deploy_apps(self) -> None:
        """Deploy the server.xml contexts, then every folder of appBase."""
        used_doc_bases = set()
        for config in self.context_configs:
            doc_base = config.doc_base
            if not os.path.isabs(doc_base):
                doc_base = os.path.join(self.app_base, doc_base)
            used_doc_bases.add(os.path.realpath(doc_base))
            self.deploy(config.path, doc_base, config)
        if not os.path.isdir(self.app_base):
            log.warning("The appBase [%s] of Host [%s] does not exist", self.app_base, self.host.name)
            return
        for folder in sorted(os.listdir(self.app_base)):
            full = os.path.join(self.app_base, folder)
            if not os.path.isdir(full) or folder.startswith("."):
                continue
            if os.path.realpath(full) in used_doc_bases:
                continue
            path = context_path_for(folder)
            if path in self.host.contexts:
                continue
            self.deploy(path, full)

    def deploy(self, path: str, doc_base: str, config: "ContextConfig | None" = None) -> StandardContext | None:
        """Deploy one webapp; returns None (and logs why) if it fails."""
        display = path or "/"
        log.info("Deploying web application directory [%s]", doc_base)
        try:
            web_xml = self._web_xml(doc_base)
            context = StandardContext(self.host, path, doc_base, web_xml,
                                      reloadable=bool(config and config.reloadable))
            if config is not None and self.make_valve is not None:
                for valve_config in config.valves:
                    context.pipeline.add_valve(self.make_valve(valve_config))
            context.access_logs = self.host.access_logs + context.pipeline.access_logs()
            context.start()
        except ConfigError as exc:
            self._failed(display, str(exc), None)
            return None
        except Exception as exc:
            self._failed(display, f"{type(exc).__name__}: {exc}", exc)
            return None
        self.host.contexts[path] = context
        self.mapper.add_context(self.host.name, path, context, context.welcome_files,
                                context.resource_exists)
        for pattern, wrapper in context.servlet_mappings():
            self.mapper.add_wrapper(self.host.name, path, pattern, wrapper)
        return context

    def _failed(self, display: str, cause: str, exc: BaseException | None) -> None:
        self.failed[display] = cause
        log.error("Context [%s] failed to start and will not serve requests: %s", display, cause,
                  exc_info=exc)

    def _web_xml(self, doc_base: str) -> WebXml:
        path = os.path.join(doc_base, "WEB-INF", "web.xml")
        if os.path.isfile(path):
            return merge_web_xml(self.global_web_xml, parse_web_xml(path))
        return merge_web_xml(self.global_web_xml, WebXml(file=None))

    def undeploy(self, path: str) -> None:
        context = self.host.contexts.pop(path, None)
        if context is None:
            return
        self.mapper.remove_context(self.host.name, path)
        context.stop()

    def stop(self) -> None:
        for path in list(self.host.contexts):
            self.undeploy(path)
