"""``StandardContext``: one web application, and its basic valve.

A context owns its merged deployment descriptor, its servlets (wrappers),
its code loader and its ServletContext, and registers its servlet mappings
with the Service's Mapper when it starts.

What a context knows of deployment and WebSocket it learns from outside,
as in Tomcat: its :class:`ContextConfigurator` objects (``deploy/`` adds one,
as Tomcat's ``ContextConfig`` listens for ``CONFIGURE_START_EVENT`` and
runs the ``ServletContainerInitializer`` classes such as ``WsSci``) give it its
loader, complete its descriptor and install its WebSocket ServerContainer
while it starts. The container itself imports neither ``deploy/`` nor
``websocket/``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from ..errors import ConfigError
from ..lifecycle import LifecycleBase, LifecycleError, LifecycleState
from ..servlet.context import ServletContext
from ..servlet.listeners import (
    LISTENER_INTERFACES,
    EventListener,
    ServletContextAttributeListener,
    ServletContextEvent,
    ServletContextListener,
    ServletRequestAttributeListener,
    ServletRequestEvent,
    ServletRequestListener,
)
from ..servlets.resources import RESOURCES_ATTR, ArchiveResources, is_archive
from ..session.manager import StandardManager
from .application_context import ApplicationContext
from .filter_chain import ApplicationFilterConfig, FilterMap
from .pipeline import Pipeline, ValveBase
from .wrapper import ERROR_EXCEPTION, StandardWrapper

if TYPE_CHECKING:  # pragma: no cover
    from ..config.context_spec import ContextSpec
    from ..config.web_xml import WebXml
    from ..realm.base import Realm
    from .host import StandardHost
    from .mapper import Mapper
    from .types import ContainerRequest, ContainerResponse

log = logging.getLogger("catalina_py.container")

_Listener = TypeVar("_Listener", bound=EventListener)

__all__ = ["ContextConfigurator", "Loader", "StandardContext", "StandardContextValve", "Stoppable", "WebSocketFilter"]


class Loader(Protocol):
    """The code loader of a webapp (Tomcat's ``Loader``; catalina_py's is
    ``deploy.loader.WebappLoader``): resolves the classes web.xml names."""

    def load_class(self, dotted: str) -> Any:
        """``module.Class`` from the webapp's class path. Any: whatever the
        webapp's module holds under that name (a class, usually)."""

    def unload(self) -> None:
        """Forget every module the webapp imported."""


class ContextConfigurator(Protocol):
    """Configures a starting context from outside (Tomcat's ``ContextConfig``
    lifecycle listener and the ``ServletContainerInitializer`` classes), so the
    container needs no knowledge of deployment or WebSocket."""

    def configure_start(self, context: StandardContext) -> None:
        """First thing in :meth:`StandardContext.start_internal` (Tomcat's
        ``CONFIGURE_START_EVENT``): give the context its loader and complete
        its descriptor, before its servlets are created."""

    def on_startup(self, context: StandardContext) -> None:
        """Once the servlets and the pipeline are started, before the
        listeners (``ServletContainerInitializer.onStartup``)."""


class Stoppable(Protocol):
    """Something a context stops with itself (its WebSocket ServerContainer)."""

    def stop(self) -> None:
        """Release what it holds."""


#: The WebSocket handshake check the context runs before its servlets
#: (Tomcat's WsFilter): True when it answered the request.
WebSocketFilter = Callable[["ContainerRequest", "ContainerResponse"], bool]


class StandardContextValve(ValveBase):
    """Refuses the protected folders, then hands over to the wrapper."""

    container: StandardContext

    def invoke(self, request: ContainerRequest, response: ContainerResponse) -> None:
        # The servlet spec: nothing under WEB-INF or META-INF is ever served.
        path = request.mapping.relative_path
        head = path[:10].upper()
        if (head.startswith("/WEB-INF") and (len(path) == 8 or path[8] == "/")) or (
            head.startswith("/META-INF") and (len(path) == 9 or path[9] == "/")
        ):
            response.send_error(404)
            return
        context = self.container
        if not context.is_available():
            # Failed to deploy, or paused for a reload: 503, not ROOT's 404.
            if context.unavailable_page is not None:
                context.unavailable_page(request, response)
            else:
                response.send_error(503)
            return
        # WebSocket endpoints are matched before the servlets (Tomcat's
        # WsFilter); only webapps with endpoints have a ws_filter.
        ws_filter = context.ws_filter
        if ws_filter is not None and ws_filter(request, response):
            return
        if context._request_listeners:
            self._invoke_with_listeners(context, request, response)
            return
        wrapper = request.mapping.wrapper
        if wrapper is None:
            response.send_error(404)
            return
        # Counted so undeploy/reload can let requests in flight finish.
        context.in_flight += 1
        try:
            wrapper.pipeline.first.invoke(request, response)
        finally:
            context.in_flight -= 1

    def _invoke_with_listeners(
        self, context: StandardContext, request: ContainerRequest, response: ContainerResponse
    ) -> None:
        """The same, between ``request_initialized`` (in order) and
        ``request_destroyed`` (in reverse order), as Tomcat's
        ``fireRequestInitEvent``/``fireRequestDestroyEvent``: a listener
        raising in ``request_initialized`` is logged, the request is not
        processed and answers 500."""
        listeners = context._request_listeners
        event = ServletRequestEvent(context.get_servlet_context(), request)
        try:
            for listener in listeners:
                try:
                    listener.request_initialized(event)
                except Exception as exc:
                    log.error(
                        "Exception sending request initialized lifecycle event to listener " "instance of class [%s]",
                        type(listener).__name__,
                        exc_info=exc,
                    )
                    request.set_attribute(ERROR_EXCEPTION, exc)
                    response.send_error(500)
                    return
            wrapper = request.mapping.wrapper
            if wrapper is None:
                response.send_error(404)
                return
            context.in_flight += 1
            try:
                wrapper.pipeline.first.invoke(request, response)
            finally:
                context.in_flight -= 1
        finally:
            for listener in reversed(listeners):
                try:
                    listener.request_destroyed(event)
                except Exception as exc:
                    log.error(
                        "Exception sending request destroyed lifecycle event to listener " "instance of class [%s]",
                        type(listener).__name__,
                        exc_info=exc,
                    )


def _protected(full: str, base: str) -> bool:
    """Whether the file system path *full* is in the WEB-INF or META-INF
    folder of the webapp at *base*, or, outside it, in any folder of that
    name (another webapp's, through a link to the appBase); compared
    case-insensitively, as the request path check is."""
    if full.startswith(base + os.sep):
        parts = full[len(base) + 1 :].split(os.sep)[:1]
    else:
        parts = full.split(os.sep)
    return any(part.upper() in ("WEB-INF", "META-INF") for part in parts)


class StandardContext(LifecycleBase):
    """A web application mapped at ``path`` ("" for ROOT)."""

    def __init__(self, host: StandardHost, path: str, doc_base: str, web_xml: WebXml, name: str | None = None) -> None:
        self.host = host
        self.path = path
        self.name = name if name is not None else path
        self.doc_base = os.path.realpath(doc_base)
        self.web_xml = web_xml
        self.wrappers: dict[str, StandardWrapper] = {}
        self.mime_mappings: dict[str, str] = dict(web_xml.mime_mappings)
        self.welcome_files: list[str] = list(web_xml.welcome_files or [])
        #: ``<request-character-encoding>`` / ``<response-character-encoding>``
        #: of the merged web.xml (conf/web.xml ships UTF-8 for both, as
        #: Tomcat's); None when neither file sets them: requests then have
        #: no encoding and responses default to ISO-8859-1 (the spec's).
        self.request_character_encoding: str | None = web_xml.request_character_encoding
        self.response_character_encoding: str | None = web_xml.response_character_encoding
        #: The webapp's code loader, given by a configurator when it starts.
        self.loader: Loader | None = None
        #: What configures the context while it starts (see ContextConfigurator).
        self.configurators: list[ContextConfigurator] = []
        self._servlet_context: ServletContext | None = None
        basic = StandardContextValve()
        basic.container = self
        self.pipeline = Pipeline(basic)
        #: The access log valves of the host and of this context (Any: the
        #: valves' classes live in container/valves, which imports this module).
        self.access_logs: list[Any] = []
        #: Instances of the webapp's listener classes, in declaration order.
        self.listeners: list[EventListener] = []
        #: The listeners of each kind fired per request or attribute change,
        #: computed by listener_start (empty lists cost one test per event).
        self._request_listeners: list[ServletRequestListener] = []
        self._request_attribute_listeners: list[ServletRequestAttributeListener] = []
        self._context_attribute_listeners: list[ServletContextAttributeListener] = []
        #: ServletContextListeners whose context_initialized was called.
        self._initialized_listeners: list[ServletContextListener] = []
        #: Requests inside the wrapper pipeline now (see StandardContextValve).
        self.in_flight = 0
        #: Requests served and error responses (status >= 400), as
        #: Tomcat's ``requestCount`` and ``errorCount`` (the inspector's status).
        self.request_count = 0
        self.error_count = 0
        #: True while the context is being reloaded: requests get 503.
        self.paused = False
        #: What answers the requests of an unavailable context instead of a
        #: plain 503 error (deployment's page for a webapp that failed to start).
        self.unavailable_page: Callable[[ContainerRequest, ContainerResponse], None] | None = None
        #: ``<CATALINA_BASE>/work/<Engine>/<Host>/<name>`` (set by HostConfig),
        #: where the loader extracts the archives of WEB-INF/lib.
        self.work_dir: str | None = None
        #: The started ``<filter>`` definitions by name (ApplicationFilterConfig)
        #: and the chain builder of the filter mappings (None when the webapp
        #: maps no filter: its servlets are then called directly).
        self.filter_configs: dict[str, ApplicationFilterConfig] = {}
        self.filter_map: FilterMap | None = None
        self._filters_started = False
        #: The Service's Mapper, used by RequestDispatcher to map paths
        #: (set by whoever registers the context with it; otherwise learnt
        #: from the first request that dispatches, see container/dispatcher.py).
        self.mapper: Mapper | None = None
        #: ``<Resources allowLinking="true">`` (or ``<Context allowLinking>``)
        #: in the context's descriptor: whether symbolic links inside the
        #: webapp are followed (see :meth:`resolve_path`). False, as Tomcat.
        self.allow_linking = False
        #: server.xml ``<Context crossContext="true">``: whether
        #: ``ServletContext.get_context`` may return other webapps.
        self.cross_context = False
        #: ``<Context allowCasualMultipartParsing="true">``: ``get_parts()``
        #: works for servlets without a multipart configuration.
        self.allow_casual_multipart_parsing = False
        #: The session manager (catalina_py.session.StandardManager), created
        #: and started with the context, saved and stopped with it.
        self.manager: StandardManager | None = None
        #: The ``<Context>`` this context was deployed from (server.xml, a
        #: descriptor, META-INF/context.xml, over conf/context.xml), or None:
        #: its session cookie attributes and ``<Manager>`` configure the manager.
        self.context_spec: ContextSpec | None = None
        #: The ``<Realm>`` of this context's descriptor (None: the host's or
        #: engine's, see :func:`catalina_py.realm.base.find_realm`).
        self.realm: Realm | None = None
        #: The authenticator valve (installed by a configurator when the
        #: context starts; Any: catalina_py.authenticator sits above this
        #: layer): what ``request.login()`` and ``authenticate()`` use.
        self.authenticator: Any = None
        #: The WebSocket ServerContainer (installed by a configurator when
        #: the context starts) and its handshake check, set once the context
        #: has an endpoint.
        self.ws_container: Stoppable | None = None
        self.ws_filter: WebSocketFilter | None = None
        #: A docBase that is a WAR is served from the archive (Tomcat's
        #: WarResourceSet; the Host's unpackWARs="false"): its entries, also
        #: the ServletContext attribute RESOURCES_ATTR; None for a folder.
        self.resources: ArchiveResources | None = None
        if is_archive(self.doc_base):
            self.resources = ArchiveResources(self.doc_base)
            self.get_servlet_context().set_attribute(RESOURCES_ATTR, self.resources)

    def lifecycle_name(self) -> str:
        return f"StandardContext[{self.display_path()}]"

    def is_available(self) -> bool:
        """Started and not paused for a reload."""
        return self.state is LifecycleState.STARTED and not self.paused

    def display_path(self) -> str:
        return self.path or "/"

    # -- resources --------------------------------------------------------
    def get_servlet_context(self) -> ServletContext:
        if self._servlet_context is None:
            self._servlet_context = ApplicationContext(self)
        return self._servlet_context

    def get_mime_type(self, file: str) -> str | None:
        dot = file.rfind(".")
        if dot < 0 or "/" in file[dot:]:
            return None
        return self.mime_mappings.get(file[dot + 1 :].lower())

    def resolve_path(self, path: str) -> str | None:
        """The file system path of a webapp-relative path, or None when it
        may not be served from (the decoded path was normalised already;
        this is the last line of defence):

        * a path that leaves the webapp;
        * a path ending in ``/`` that is not a folder (``/index.html/``);
        * without ``allowLinking`` (the default, as Tomcat's
          ``<Resources allowLinking>``), a path that goes through a
          symbolic link anywhere under the docBase (Tomcat: the canonical
          path must equal the absolute one; logged at WARNING as Tomcat does);
        * with ``allowLinking``, links are followed, also out of the webapp,
          but a link from outside ``WEB-INF``/``META-INF`` into them is
          refused (Tomcat checks only the requested path there).

        A webapp served from its WAR has no file system paths: None.
        """
        if self.resources is not None:
            return None
        if not path.startswith("/"):
            path = "/" + path
        if "\x00" in path:
            return None
        base = self.doc_base
        joined = os.path.normpath(os.path.join(base, path.lstrip("/")))
        if joined != base and not joined.startswith(base + os.sep):
            return None
        full = os.path.realpath(joined)
        if full != joined:
            if not self.allow_linking:
                log.warning(
                    "Resource [%s] of web application [%s] was not served: its canonical path [%s] differs "
                    "(a symbolic link; allowLinking is false)",
                    path,
                    self.display_path(),
                    full,
                )
                return None
            if _protected(full, base) and not _protected(joined, base):
                log.warning(
                    "Resource [%s] of web application [%s] was not served: a link into WEB-INF or META-INF",
                    path,
                    self.display_path(),
                )
                return None
        if len(path) > 1 and path.endswith("/") and not os.path.isdir(full):
            return None
        return full

    def resource_exists(self, path: str) -> bool:
        """Used by the Mapper's welcome-file rule: a real file at *path*."""
        if self.resources is not None:
            resource = self.resources.get(path)
            return resource is not None and not resource.is_directory
        full = self.resolve_path(path)
        return full is not None and os.path.isfile(full)

    # -- lifecycle --------------------------------------------------------
    def add_servlet(
        self,
        name: str,
        servlet_class: str | type,
        init_params: dict[str, str] | None = None,
        load_on_startup: int | None = None,
    ) -> StandardWrapper:
        wrapper = StandardWrapper(self, name, servlet_class, init_params, load_on_startup)
        self.wrappers[name] = wrapper
        return wrapper

    def start_internal(self) -> None:
        """Tomcat's ``StandardContext.startInternal`` order: the
        configurators' ``configure_start`` (the loader, then the annotation
        scan, ``ContextConfig.configureStart``); servlets; the
        configurators' ``on_startup`` (WebSocket); listeners instantiated, then
        ``context_initialized`` in order; filters ``init``-ed;
        load-on-startup servlets. Anything that raises fails the start
        (HostConfig then stops the context, which undoes what started)."""
        if self.realm is not None:  # the context's own <Realm> (Tomcat starts it before the children)
            self.realm.start()
        for configurator in self.configurators:
            configurator.configure_start(self)
        for name, definition in self.web_xml.servlets.items():
            self.add_servlet(name, definition.servlet_class, definition.init_params, definition.load_on_startup).start()
        self.pipeline.start()
        # ServletContainerInitializers: the WebSocket ServerContainer with the
        # scanned endpoints now; the listeners may add more.
        for configurator in self.configurators:
            configurator.on_startup(self)
        self.listener_start()
        # The manager starts after the listeners (restored sessions may need
        # them) and before the filters, as in Tomcat.
        self.manager = StandardManager.for_context(self, self.context_spec)
        self.manager.start()
        # load-on-startup: non-negative values, lowest first, as the spec says.
        startup = sorted(
            (w for w in self.wrappers.values() if w.load_on_startup is not None and w.load_on_startup >= 0),
            key=lambda w: w.load_on_startup or 0,
        )
        self.start_filters()
        for wrapper in startup:
            wrapper.allocate()

    def stop_internal(self) -> None:
        """Servlets destroyed, then filters, then ``context_destroyed`` in
        reverse order, then the webapp's modules unloaded."""
        if self.ws_container is not None:
            self.ws_container.stop()
            self.ws_container = None
            self.ws_filter = None
        for wrapper in self.wrappers.values():
            wrapper.stop()
        self.stop_filters()
        if self.manager is not None:
            # Saves the sessions (or expires them, listeners told) while the
            # listeners are still there.
            self.manager.stop()
        self.listener_stop()
        self.pipeline.stop()
        if self.realm is not None:
            self.realm.stop()
        if self.loader is not None:
            self.loader.unload()
        if self.resources is not None:
            self.resources.close()

    # -- filters -----------------------------------------------------------
    def start_filters(self) -> None:
        """Create and ``init`` every ``<filter>`` of the descriptor, in
        declaration order, and prepare the filter mappings (Tomcat's
        ``filterStart``). What a filter's ``init`` raises propagates, after
        the filters already started are destroyed: the context then fails
        to start. Calling it again while started does nothing."""
        if self._filters_started:
            return
        configs: dict[str, ApplicationFilterConfig] = {}
        try:
            for name, definition in self.web_xml.filters.items():
                config = ApplicationFilterConfig(definition, self.get_servlet_context(), self.loader)
                config.start()
                configs[name] = config
            filter_map = FilterMap(configs, self.web_xml.filter_mappings)
        except BaseException:
            for config in reversed(list(configs.values())):
                config.stop()
            raise
        self.filter_configs = configs
        self.filter_map = filter_map if filter_map else None
        self._filters_started = True

    def stop_filters(self) -> None:
        """``destroy`` every started filter (Tomcat's ``filterStop``)."""
        if not self._filters_started:
            return
        self._filters_started = False
        self.filter_map = None
        configs, self.filter_configs = self.filter_configs, {}
        for config in configs.values():
            config.stop()

    # -- listeners ---------------------------------------------------------
    def listener_start(self) -> None:
        """Tomcat's ``listenerStart``: instantiate the ``<listener>``
        classes (web.xml's, then the annotated ones) and call
        ``context_initialized`` on the ServletContextListeners in order.

        A class that cannot be loaded or instantiated, that implements no
        listener interface, or whose ``context_initialized`` raises fails
        the start: the error propagates (LifecycleError, caused by what the
        listener raised)."""
        instances: list[EventListener] = []
        for definition in self.web_xml.listeners:
            if self.loader is None:
                raise LifecycleError(
                    f"context [{self.display_path()}] has no loader to load the "
                    f"listener class '{definition.listener_class}'"
                )
            cls = self.loader.load_class(definition.listener_class)
            if not isinstance(cls, type) or not issubclass(cls, LISTENER_INTERFACES):
                names = ", ".join(i.__name__ for i in LISTENER_INTERFACES)
                raise ConfigError.at(
                    definition.location,
                    f"listener class '{definition.listener_class}' implements no " "listener interface",
                    f"a subclass of one of {names} (catalina_py.servlet.listeners)",
                )
            instances.append(cls())
        self.listeners = instances
        # Precomputed so that requests and attribute changes cost nothing
        # when a webapp has no such listener.
        self._request_listeners = self.listeners_of(ServletRequestListener)
        self._request_attribute_listeners = self.listeners_of(ServletRequestAttributeListener)
        self._context_attribute_listeners = self.listeners_of(ServletContextAttributeListener)
        event = ServletContextEvent(self.get_servlet_context())
        for listener in self.listeners_of(ServletContextListener):
            self._initialized_listeners.append(listener)
            try:
                listener.context_initialized(event)
            except Exception as exc:
                raise LifecycleError(
                    f"{type(listener).__module__}.{type(listener).__qualname__}"
                    f".context_initialized() raised {type(exc).__name__}: {exc}"
                ) from exc

    def listener_stop(self) -> None:
        """Tomcat's ``listenerStop``: ``context_destroyed`` in reverse order
        on the listeners whose ``context_initialized`` was called (what
        one raises is logged), then forget every listener."""
        initialized, self._initialized_listeners = self._initialized_listeners, []
        if initialized:
            event = ServletContextEvent(self.get_servlet_context())
            for listener in reversed(initialized):
                try:
                    listener.context_destroyed(event)
                except Exception:
                    log.exception(
                        "Listener %s.context_destroyed of context [%s] raised",
                        type(listener).__name__,
                        self.display_path(),
                    )
        self.listeners = []
        self._request_listeners = []
        self._request_attribute_listeners = []
        self._context_attribute_listeners = []

    @property
    def request_attribute_listeners(self) -> list[ServletRequestAttributeListener]:
        """The ServletRequestAttributeListeners (empty when there are none:
        the request tests this before building an event)."""
        return self._request_attribute_listeners

    @property
    def context_attribute_listeners(self) -> list[ServletContextAttributeListener]:
        """The ServletContextAttributeListeners (empty when there are none)."""
        return self._context_attribute_listeners

    def listeners_of(self, interface: type[_Listener]) -> list[_Listener]:
        """The webapp's listener instances implementing *interface*, in
        declaration order."""
        return [listener for listener in self.listeners if isinstance(listener, interface)]

    def fire(self, interface: type[EventListener], method: str, event: Any, *args: Any, reverse: bool = False) -> None:
        """Call ``method(event, *args)`` on every listener implementing
        *interface* (in reverse order for the ``*_destroyed`` events). A
        listener that raises is logged; the others are still called."""
        targets = self.listeners_of(interface)
        if reverse:
            targets.reverse()
        for listener in targets:
            try:
                getattr(listener, method)(event, *args)
            except Exception:
                log.exception(
                    "Listener %s.%s of context [%s] raised", type(listener).__name__, method, self.display_path()
                )

    def servlet_mappings(self) -> list[tuple[str, StandardWrapper]]:
        """(url-pattern, wrapper) pairs for the Mapper."""
        return [
            (pattern, self.wrappers[name])
            for pattern, name in self.web_xml.servlet_mappings.items()
            if name in self.wrappers
        ]
