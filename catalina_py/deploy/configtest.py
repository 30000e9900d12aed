"""``configtest`` for one Host: what :meth:`HostConfig.deploy_apps` would
deploy, checked in its order without starting or registering anything.

The server.xml Contexts, the context descriptors, the WARs and the folders
of appBase (with their ``META-INF/context.xml``, and ``conf/context.xml``);
for each, its descriptors and the classes they name
(:func:`~.context_config.check_webapp`, each webapp with a loader of its
own).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from ..config.context_spec import ContextSpec, load_context_descriptor
from ..config.web_xml import WebXml
from ..errors import ConfigError
from ..servlets.resources import is_archive
from .context_config import check_webapp
from .naming import context_path_for, split_version

__all__ = ["HostToCheck", "check_host_apps"]


class HostToCheck(Protocol):
    """What the check reads of a ``HostConfig`` (declared here so that
    HostConfig, which calls the check, is not imported back)."""

    @property
    def context_configs(self) -> Sequence[ContextSpec]: ...

    @property
    def deploy_on_startup(self) -> bool: ...

    @property
    def deploy_xml(self) -> bool: ...

    @property
    def properties(self) -> Mapping[str, str]: ...

    @property
    def global_web_xml(self) -> WebXml: ...

    @property
    def wars(self) -> Any: ...  # WarDeployer: configtest(taken) -> (names and WARs, errors)

    @property
    def context_xml(self) -> Any: ...  # ContextXml: own_context_xml(...), defaults()

    def doc_base_of(self, config: ContextSpec) -> str: ...

    def descriptor_files(self) -> list[str]: ...

    def app_base_folders(self) -> list[str]: ...


def check_host_apps(host: HostToCheck) -> list[ConfigError]:
    """One error per webapp of *host* that would fail to start."""
    apps: list[tuple[str, str]] = []  # (path, docBase) to check
    errors: list[ConfigError] = []
    taken: set[str] = set()

    def add(path: str, doc_base: str, key: str | None = None) -> None:
        key = path if key is None else key  # name##version: one more version of the path
        if key not in taken:
            taken.add(key)
            apps.append((path, doc_base))

    for config in host.context_configs:
        add(config.path, host.doc_base_of(config))
    if host.deploy_on_startup:
        for file in host.descriptor_files():
            try:
                path = context_path_for(os.path.basename(file)[: -len(".xml")])
                config, _ = load_context_descriptor(file, path, host.properties)
            except ConfigError as exc:
                errors.append(exc)
                continue
            add(path, host.doc_base_of(config))
        wars, war_errors = host.wars.configtest(taken)
        errors.extend(war_errors)
        for cn, war in wars:
            add(cn.path, war, cn.name)
        owned = {os.path.realpath(doc_base) for _, doc_base in apps}
        for folder in host.app_base_folders():
            if os.path.realpath(folder) in owned:
                continue
            try:
                path, version = split_version(os.path.basename(folder))
            except ConfigError:
                continue  # skipped by deployment too (with a warning)
            own = os.path.join(folder, "META-INF", "context.xml")
            if os.path.isfile(own) and not host.deploy_xml:
                # Deployment would refuse the webapp (Tomcat's deployXML rule).
                blocked = host.context_xml.own_context_xml(folder, path, os.path.basename(folder)).error
                if blocked is not None:
                    errors.append(blocked)
                    continue
            elif os.path.isfile(own):
                try:
                    load_context_descriptor(own, path, host.properties)
                except ConfigError as exc:
                    errors.append(exc)
                    continue
            add(path, folder, os.path.basename(folder) if version else None)
    try:
        host.context_xml.defaults()  # conf/context.xml, context.xml.default
    except ConfigError as exc:
        errors.append(exc)
    for path, doc_base in apps:
        if not os.path.isdir(doc_base) and not is_archive(doc_base):
            errors.append(
                ConfigError(f"the docBase [{doc_base}] of context [{path or '/'}] does not exist or is not a directory")
            )
            continue
        try:
            check_webapp(doc_base, host.global_web_xml, path)
        except ConfigError as exc:
            errors.append(exc)
    return errors
