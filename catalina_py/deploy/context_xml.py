"""Which ``<Context>`` configuration a webapp gets, and how it is applied,
as Tomcat's ``HostConfig`` and ``ContextConfig`` decide it.

Where a context's configuration comes from, in Tomcat's order:

1. ``conf/context.xml`` (every context of the server), then
   ``conf/<Engine>/<Host>/context.xml.default`` (every context of the Host):
   the defaults (:meth:`ContextXml.defaults`);
2. the context's own ``<Context>``: in ``server.xml``; else a descriptor
   ``conf/<Engine>/<Host>/<name>.xml``, which wins over the webapp's own
   file (HostConfig deploys descriptors before folders, so the folder is
   then already taken); else the webapp's ``META-INF/context.xml``
   (:meth:`ContextXml.own_context_xml`), read only with the Host's
   ``deployXML`` (true by default). With ``deployXML="false"`` a webapp
   that carries one is not deployed at all (Tomcat: it may hold security
   settings the webapp needs), unless a descriptor in ``conf/`` names it.
   With the Host's (or the file's own) ``copyXML``, the file is copied to
   ``conf/<Engine>/<Host>/<name>.xml`` and deployed from there.

:class:`ContextXmlConfigurator` then applies what a context must see when it
starts: ``<Parameter>`` over web.xml's ``<context-param>`` (Tomcat's
``StandardContext.mergeParameters``) and the ``<Environment>`` entries
(``ServletContext.get_environment``). The ``<Manager>`` and session cookie
attributes are applied by the session manager
(``StandardManager.for_context``); the valves, ``crossContext``,
``privileged`` and ``allowLinking`` by HostConfig.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from ..config.context_spec import (
    ContextSpec,
    default_doc_base,
    load_context_defaults,
    load_context_descriptor,
    merge_context_defaults,
)
from ..errors import ConfigError
from ..servlet.context import ENVIRONMENT_ATTRIBUTE
from ..servlets.resources import ArchiveResources

if TYPE_CHECKING:  # pragma: no cover
    from ..container.context import StandardContext

__all__ = [
    "APPLICATION_CONTEXT_XML",
    "DEFAULT_CONTEXT_XML",
    "HOST_CONTEXT_XML",
    "ContextXml",
    "ContextXmlConfigurator",
    "OwnContextXml",
    "merge_parameters",
]

log = logging.getLogger("catalina_py.deploy")

#: A webapp's own context file, relative to its folder.
APPLICATION_CONTEXT_XML = os.path.join("META-INF", "context.xml")
#: The same inside a WAR (zip names use "/").
ARCHIVE_CONTEXT_XML = "META-INF/context.xml"
#: The defaults of every context, relative to CATALINA_BASE.
DEFAULT_CONTEXT_XML = os.path.join("conf", "context.xml")
#: The defaults of every context of one Host, in its descriptor folder.
HOST_CONTEXT_XML = "context.xml.default"


@dataclass(frozen=True)
class OwnContextXml:
    """What a folder's ``META-INF/context.xml`` gives its deployment.

    ``config``: the file read (None: there is none, or it is not read);
    ``error``: it could not be read, or deployment is refused
    (``deployXML="false"``): the webapp fails with this cause;
    ``descriptor``: the copy in ``conf/`` (``copyXML``) the webapp is then
    deployed from, or None."""

    config: ContextSpec | None = None
    error: ConfigError | None = None
    descriptor: str | None = None


class ContextXml:
    """The context files of one Host.

    :param catalina_base: the instance folder (None: no ``conf/``).
    :param config_base: ``conf/<Engine>/<Host>`` (None: none).
    :param properties: values for ``${name}`` in the files.
    :param deploy_xml: the Host's ``deployXML``.
    :param copy_xml: the Host's ``copyXML``.
    """

    def __init__(
        self,
        catalina_base: str | None,
        config_base: str | None,
        properties: Mapping[str, str],
        *,
        deploy_xml: bool = True,
        copy_xml: bool = False,
    ) -> None:
        self.catalina_base = catalina_base
        self.config_base = config_base
        self.properties = properties
        self.deploy_xml = deploy_xml
        self.copy_xml = copy_xml

    def default_files(self) -> list[str]:
        """The defaults files that exist, global first (``conf/context.xml``
        of CATALINA_BASE, else of CATALINA_HOME as for ``conf/web.xml``)."""
        files = []
        if self.catalina_base is not None:
            own = os.path.join(self.catalina_base, DEFAULT_CONTEXT_XML)
            home = self.properties.get("catalina.home")
            if not os.path.isfile(own) and home:
                # The install's, as for conf/web.xml (bootstrap's Layout.conf).
                own = os.path.join(home, DEFAULT_CONTEXT_XML)
            files.append(own)
        if self.config_base is not None:
            files.append(os.path.join(self.config_base, HOST_CONTEXT_XML))
        return [file for file in files if os.path.isfile(file)]

    def defaults(self) -> ContextSpec | None:
        """``conf/context.xml`` with the Host's ``context.xml.default`` over
        it, read now (an edit applies from the next deployment), or None
        when neither exists. Raises :class:`ConfigError` (file:line)."""
        merged: ContextSpec | None = None
        for file in self.default_files():
            spec, warnings = load_context_defaults(file, self.properties)
            for warning in warnings:
                log.warning("%s", warning)
            merged = merge_context_defaults(merged, spec)
        return merged

    def effective(self, path: str, config: ContextSpec | None) -> ContextSpec | None:
        """The context's own *config* over the defaults (None: no file at
        all). Raises :class:`ConfigError` when a defaults file is bad."""
        defaults = self.defaults()
        if defaults is None:
            return config
        if config is None:
            return replace(defaults, path=path, doc_base=default_doc_base(path), written=frozenset())
        return merge_context_defaults(defaults, config)

    def own_context_xml(self, folder: str, path: str, base_name: str) -> OwnContextXml:
        """What the ``META-INF/context.xml`` of the appBase *folder* (at
        context *path*, named *base_name* in ``conf/``) gives, under the
        Host's ``deployXML`` and ``copyXML``."""
        own = os.path.join(folder, APPLICATION_CONTEXT_XML)
        if not os.path.isfile(own):
            return OwnContextXml()
        copy = os.path.join(self.config_base, base_name + ".xml") if self.config_base is not None else None
        if not self.deploy_xml:
            return OwnContextXml(error=ConfigError(_blocked(path, own, copy or base_name + ".xml"), own))
        try:
            config, warnings = load_context_descriptor(own, path, self.properties)
        except ConfigError as exc:
            return OwnContextXml(error=exc)
        for warning in warnings:
            log.warning("%s", warning)
        if "docBase" in config.written:
            log.warning(
                "The docBase [%s] in [%s] is ignored: the webapp's folder [%s] is its docBase "
                "(a docBase elsewhere is set in conf/<Engine>/<Host>/<name>.xml)",
                config.doc_base,
                own,
                folder,
            )
        config = replace(config, doc_base=folder)
        if (self.copy_xml or config.copy_xml) and copy is not None:
            try:
                os.makedirs(os.path.dirname(copy), exist_ok=True)
                shutil.copyfile(own, copy)
            except OSError as exc:
                log.warning("copyXML: cannot copy [%s] to [%s] (%s); deployed from the webapp's file", own, copy, exc)
                return OwnContextXml(config)
            log.info("copyXML: [%s] copied to [%s]", own, copy)
            return OwnContextXml(config, descriptor=copy)
        return OwnContextXml(config)

    def archive_context_xml(self, war: str, path: str) -> OwnContextXml:
        """What the ``META-INF/context.xml`` inside *war*, served from the
        archive (``unpackWARs="false"``), gives: as :meth:`own_context_xml`
        (``deployXML="false"`` blocks the webapp; its ``docBase`` is the
        WAR), errors named ``shop.war!/META-INF/context.xml:line``; not
        copied (``copyXML`` applies to folders here)."""
        archive = ArchiveResources(war)
        try:
            data = archive.read(ARCHIVE_CONTEXT_XML)
        finally:
            archive.close()
        if data is None:
            return OwnContextXml()
        name = f"{war}!/{ARCHIVE_CONTEXT_XML}"
        if not self.deploy_xml:
            return OwnContextXml(error=ConfigError(_blocked(path, name, self._copy_name(war)), war))
        try:
            config, warnings = load_context_descriptor(name, path, self.properties, data)
        except ConfigError as exc:
            return OwnContextXml(error=exc)
        for warning in warnings:
            log.warning("%s", warning)
        return OwnContextXml(replace(config, doc_base=war))

    def _copy_name(self, war: str) -> str:
        base_name = os.path.basename(war)[: -len(".war")]
        if self.config_base is None:
            return base_name + ".xml"
        return os.path.join(self.config_base, base_name + ".xml")


def _blocked(path: str, file: str, copy: str) -> str:
    """Tomcat's ``hostConfig.deployDescriptor.blocked``, word for word."""
    return (
        f"The web application with context path [{path}] was not deployed because it contained a "
        f"deployment descriptor [{file}] which may include configuration necessary for the secure "
        "deployment of the application but processing of deployment descriptors is prevented by the "
        "deployXML setting of this host. An appropriate descriptor should be created at "
        f"[{copy}] to deploy this application."
    )


def merge_parameters(context_params: Mapping[str, str], spec: ContextSpec) -> dict[str, str]:
    """web.xml's ``<context-param>``\\ s with the ``<Parameter>``\\ s of
    *spec*, as Tomcat's ``StandardContext.mergeParameters``: a parameter
    with ``override="true"`` (the default) is used only when web.xml does
    not give the name; with ``override="false"`` it wins over web.xml."""
    merged = dict(context_params)
    for parameter in spec.parameters:
        if not parameter.override or parameter.name not in merged:
            merged[parameter.name] = parameter.value
    return merged


class ContextXmlConfigurator:
    """A :class:`~catalina_py.container.context.ContextConfigurator` applying
    a ``<Context>``'s parameters and environment entries when the context
    starts (after ``WebappConfigurator``, whose annotation scan may rebuild
    the descriptor)."""

    def __init__(self, spec: ContextSpec) -> None:
        self.spec = spec

    def configure_start(self, context: StandardContext) -> None:
        """``<Parameter>`` merged into the context params; the
        ``<Environment>`` entries bound for
        :meth:`~catalina_py.servlet.context.ServletContext.get_environment`."""
        if self.spec.parameters:
            context.web_xml.context_params = merge_parameters(context.web_xml.context_params, self.spec)
        if self.spec.environments:
            entries = {entry.name: entry.value for entry in self.spec.environments}
            context.get_servlet_context().set_attribute(ENVIRONMENT_ATTRIBUTE, entries)

    def on_startup(self, context: StandardContext) -> None:
        """Nothing to do once the servlets are started."""
