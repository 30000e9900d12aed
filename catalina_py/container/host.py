"""``StandardHost`` (a virtual host) and ``StandardEngine`` (the request
processing entry of a Service), with their basic valves."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from ..lifecycle import LifecycleBase
from .error_page import process_error_page
from .pipeline import Pipeline, ValveBase

if TYPE_CHECKING:  # pragma: no cover
    from ..realm.base import Realm
    from .types import ContainerRequest as Request
    from .types import ContainerResponse as Response
    from .types import WebappContext

log = logging.getLogger("catalina_py.container")

#: Request attribute holding what a servlet raised (Servlet spec name).
ERROR_EXCEPTION = "jakarta.servlet.error.exception"


class StandardHostValve(ValveBase):
    """Passes the request to its context (the adapter already mapped it),
    then shows the webapp's ``<error-page>`` for an error response, as
    Tomcat's ``StandardHostValve`` (see container/error_page.py)."""

    def invoke(self, request: Request, response: Response) -> None:
        context = request.mapping.context
        if context is None:
            if not response.is_error():
                response.send_error(404)
            return
        context.pipeline.first.invoke(request, response)
        if response.is_error() and context.web_xml.error_pages and not response.is_committed():
            exc = request.get_attribute(ERROR_EXCEPTION)
            if exc is not None:
                self.throwable(request, response, exc)
            else:
                self.status(request, response)

    def status(self, request: Request, response: Response) -> bool:
        """Show the error page for the status of an error response (or the
        default error page); True if one was shown."""
        return process_error_page(request, response)

    def throwable(self, request: Request, response: Response, exc: BaseException) -> bool:
        """Show the error page for *exc* (by its class and bases, then by
        the response's status); True if one was shown."""
        request.set_attribute(ERROR_EXCEPTION, exc)
        if not response.is_error() and not response.is_committed():
            response.reset_for_error()
            response.send_error(500)
        return process_error_page(request, response)


class StandardHost(LifecycleBase):
    """A virtual host: its contexts and its pipeline (where the access log
    and the error report valve live in Tomcat's default configuration)."""

    def __init__(self, name: str, app_base: str, aliases: tuple[str, ...] = (), auto_deploy: bool = True) -> None:
        self.name = name
        self.app_base = app_base
        self.aliases = aliases
        self.auto_deploy = auto_deploy
        self.contexts: dict[str, WebappContext] = {}
        self.engine: StandardEngine | None = None
        #: The ``<Realm>`` declared in this ``<Host>`` (None: the engine's).
        self.realm: Realm | None = None
        #: The access log valves of the engine and this host (set at start-up):
        #: told of requests that reach no context.
        self.access_logs: list[Any] = []
        basic = StandardHostValve()
        basic.container = self
        self.pipeline = Pipeline(basic)

    def lifecycle_name(self) -> str:
        return f"StandardHost[{self.name}]"

    def start_internal(self) -> None:
        if self.realm is not None:
            self.realm.start()
        self.pipeline.start()

    def stop_internal(self) -> None:
        for context in list(self.contexts.values()):
            context.stop()
        self.pipeline.stop()
        if self.realm is not None:
            self.realm.stop()


class StandardEngineValve(ValveBase):
    """Passes the request to its host."""

    def invoke(self, request: Request, response: Response) -> None:
        host = request.mapping.host
        if host is None:
            response.send_error(400, "No host matches the Host header and there is no default host")
            return
        host.pipeline.first.invoke(request, response)


class StandardEngine(LifecycleBase):
    """The top container of a Service: its hosts and its pipeline."""

    def __init__(self, name: str, default_host: str) -> None:
        self.name = name
        self.default_host = default_host
        self.hosts: dict[str, StandardHost] = {}
        #: The ``<Realm>`` declared in this ``<Engine>`` (None: no realm).
        self.realm: Realm | None = None
        basic = StandardEngineValve()
        basic.container = self
        self.pipeline = Pipeline(basic)

    def lifecycle_name(self) -> str:
        return f"StandardEngine[{self.name}]"

    def add_host(self, host: StandardHost) -> None:
        host.engine = self
        self.hosts[host.name.lower()] = host

    def start_internal(self) -> None:
        if self.realm is not None:
            self.realm.start()
        self.pipeline.start()
        for host in self.hosts.values():
            host.start()

    def stop_internal(self) -> None:
        for host in self.hosts.values():
            host.stop()
        self.pipeline.stop()
        if self.realm is not None:
            self.realm.stop()
