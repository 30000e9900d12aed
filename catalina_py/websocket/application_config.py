"""``ServerApplicationConfig``: a webapp's say over which of its WebSocket
endpoints are deployed (Jakarta's
``jakarta.websocket.server.ServerApplicationConfig``), and the rules the
deployment scan applies, Tomcat 10.1's ``WsSci``:

* the scan of ``WEB-INF/classes`` finds ``@server_endpoint`` classes,
  ``Endpoint`` subclasses and ``ServerApplicationConfig`` subclasses
  (classes defined at the top level of a module; names starting with ``_``
  are left out, as Tomcat leaves out non-public classes, and so are classes
  with abstract methods);
* with no ServerApplicationConfig, every ``@server_endpoint`` class is
  deployed (an ``Endpoint`` subclass has no path: it is deployed only
  through a config);
* with one or more, each is instantiated once and only what they return is
  deployed: the union of their ``get_endpoint_configs(endpoint classes)``
  and of their ``get_annotated_endpoint_classes(annotated classes)``
  (None counts as nothing).
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from dataclasses import dataclass, field

from .endpoint import DeploymentError, Endpoint, ServerEndpointConfig, get_server_endpoint

__all__ = ["ScannedEndpoints", "ServerApplicationConfig", "filter_scanned", "scanned_kind"]


class ServerApplicationConfig:
    """Subclass it in ``WEB-INF/classes`` to choose the endpoints the
    webapp deploys; the container makes one instance (no arguments) when
    the context starts. Both methods deploy nothing unless overridden."""

    def get_endpoint_configs(self, endpoint_classes: set[type]) -> set[ServerEndpointConfig]:
        """The programmatic endpoints to deploy, typically built with
        ``ServerEndpointConfig.Builder`` for some of *endpoint_classes*
        (the ``Endpoint`` subclasses the scan found)."""
        return set()

    def get_annotated_endpoint_classes(self, scanned: set[type]) -> set[type]:
        """The ``@server_endpoint`` classes to deploy, out of *scanned*
        (all those the scan found); return *scanned* to keep them all."""
        return set()


def scanned_kind(cls: type) -> str | None:
    """What the deployment scan makes of a class: "application_config",
    "endpoint" (an Endpoint subclass), "annotated" (``@server_endpoint``),
    or None (not for WebSocket, or abstract or private)."""
    if cls.__name__.startswith("_") or inspect.isabstract(cls):
        return None
    if issubclass(cls, ServerApplicationConfig) and cls is not ServerApplicationConfig:
        return "application_config"
    if get_server_endpoint(cls) is not None:
        return "annotated"
    if issubclass(cls, Endpoint) and cls is not Endpoint:
        return "endpoint"
    return None


@dataclass
class ScannedEndpoints:
    """The WebSocket classes a webapp's scan found, in scan order."""

    application_configs: list[type] = field(default_factory=list)
    endpoint_classes: list[type] = field(default_factory=list)
    annotated_classes: list[type] = field(default_factory=list)

    def add(self, cls: type) -> None:
        """Sort one scanned class into its list (others are ignored)."""
        kind = scanned_kind(cls)
        if kind == "application_config":
            self.application_configs.append(cls)
        elif kind == "endpoint":
            self.endpoint_classes.append(cls)
        elif kind == "annotated":
            self.annotated_classes.append(cls)

    @classmethod
    def of(cls, classes: Iterable[type]) -> ScannedEndpoints:
        """Sort scanned classes (``@server_endpoint`` classes, Endpoint and
        ServerApplicationConfig subclasses; others are ignored)."""
        scanned = cls()
        for klass in classes:
            scanned.add(klass)
        return scanned


def filter_scanned(scanned: ScannedEndpoints) -> tuple[list[ServerEndpointConfig], list[type]]:
    """What to deploy, as Tomcat's ``WsSci.onStartup``: the endpoint
    configs first, then the annotated classes. Raises DeploymentError
    naming the ServerApplicationConfig that failed or returned something
    that is not a config (class)."""
    if not scanned.application_configs:
        return [], list(scanned.annotated_classes)
    configs: list[ServerEndpointConfig] = []
    annotated: list[type] = []
    for app_class in scanned.application_configs:
        where = _where(app_class)
        try:
            application = app_class()
            returned_configs = application.get_endpoint_configs(set(scanned.endpoint_classes))
            returned_classes = application.get_annotated_endpoint_classes(set(scanned.annotated_classes))
        except DeploymentError:
            raise
        except Exception as exc:
            raise DeploymentError(f"ServerApplicationConfig {where} failed: {type(exc).__name__}: {exc}") from exc
        for config in _ordered(returned_configs):
            if not isinstance(config, ServerEndpointConfig):
                raise DeploymentError(
                    f"{where}.get_endpoint_configs returned {config!r}: ServerEndpointConfig objects expected "
                    "(ServerEndpointConfig.Builder.create(cls, path).build())"
                )
            if config not in configs:
                configs.append(config)
        for klass in _ordered(returned_classes):
            if not isinstance(klass, type) or get_server_endpoint(klass) is None:
                raise DeploymentError(
                    f"{where}.get_annotated_endpoint_classes returned {klass!r}: @server_endpoint classes expected"
                )
            if klass not in annotated:
                annotated.append(klass)
    return configs, annotated


def _where(cls: type) -> str:
    """``file:line: module.Class`` of a webapp class, for a message (the
    module named as the webapp names it, without its loader's package)."""
    module = cls.__module__
    if module.startswith("catalina_py.webapps."):
        module = module.split(".", 3)[-1]
    try:
        file = inspect.getsourcefile(cls)
        line = inspect.getsourcelines(cls)[1]
    except (OSError, TypeError):
        return f"{module}.{cls.__qualname__}"
    return f"{file}:{line}: {module}.{cls.__qualname__}"


# Any: whatever the webapp's method returned (a set, a list, None).
def _ordered(returned: object) -> list[object]:
    """The items of a returned collection in a stable order (a set of
    configs has none: by path), None as nothing."""
    if returned is None:
        return []
    if not isinstance(returned, Iterable) or isinstance(returned, (str, bytes)):
        return [returned]
    items = list(returned)
    if isinstance(returned, (set, frozenset)):
        items.sort(key=lambda item: str(getattr(item, "path", getattr(item, "__qualname__", ""))))
    return items
