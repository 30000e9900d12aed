"""``StandardContext``: one web application, and its basic valve.

A context owns its merged deployment descriptor, its servlets (wrappers),
its code loader and its ServletContext, and registers its servlet mappings
with the Service's Mapper when it starts.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any

from ..lifecycle import LifecycleBase
from ..servlet.context import ServletContext
from .pipeline import Pipeline, ValveBase
from .wrapper import StandardWrapper

if TYPE_CHECKING:  # pragma: no cover
    from ..config.web_xml import WebXml
    from .host import StandardHost

log = logging.getLogger("catalina_py.container")


class StandardContextValve(ValveBase):
    """Refuses the protected folders, then hands over to the wrapper."""

    def invoke(self, request: Any, response: Any) -> None:
        # The servlet spec: nothing under WEB-INF or META-INF is ever served.
        path = request._decoded_path_in_context
        head = path[:10].upper()
        if (head.startswith("/WEB-INF") and (len(path) == 8 or path[8] == "/")) or \
                (head.startswith("/META-INF") and (len(path) == 9 or path[9] == "/")):
            response.send_error(404)
            return
        wrapper = request._wrapper
        if wrapper is None or not self.container.is_available():
            response.send_error(404 if wrapper is None else 503)
            return
        wrapper.pipeline.first.invoke(request, response)


class StandardContext(LifecycleBase):
    """A web application mapped at ``path`` ("" for ROOT)."""

    def __init__(self, host: "StandardHost", path: str, doc_base: str, web_xml: "WebXml",
                 name: str | None = None, reloadable: bool = False) -> None:
        self.host = host
        self.path = path
        self.name = name if name is not None else path
        self.doc_base = os.path.realpath(doc_base)
        self.web_xml = web_xml
        self.reloadable = reloadable
        self.wrappers: dict[str, StandardWrapper] = {}
        self.mime_mappings: dict[str, str] = dict(web_xml.mime_mappings)
        self.welcome_files: list[str] = list(web_xml.welcome_files or [])
        self.request_character_encoding: str | None = getattr(web_xml, "request_character_encoding", None)
        self.response_character_encoding: str = getattr(web_xml, "response_character_encoding", None) or "UTF-8"
        self.loader: Any = None
        self._servlet_context: ServletContext | None = None
        basic = StandardContextValve()
        basic.container = self
        self.pipeline = Pipeline(basic)
        self.access_logs: list[Any] = []
        #: Instances of the webapp's listener classes, in declaration order.
        self.listeners: list[Any] = []

    def lifecycle_name(self) -> str:
        return f"StandardContext[{self.display_path()}]"

    def display_path(self) -> str:
        return self.path or "/"

    # -- resources --------------------------------------------------------
    def get_servlet_context(self) -> ServletContext:
        if self._servlet_context is None:
            self._servlet_context = ServletContext(self)
        return self._servlet_context

    def get_mime_type(self, file: str) -> str | None:
        dot = file.rfind(".")
        if dot < 0 or "/" in file[dot:]:
            return None
        return self.mime_mappings.get(file[dot + 1:].lower())

    def resolve_path(self, path: str) -> str | None:
        """The file system path of a webapp-relative path, or None when the
        path would leave the webapp (the decoded path was normalised already;
        this is the last line of defence, and follows no symlink out)."""
        if not path.startswith("/"):
            path = "/" + path
        if "\x00" in path:
            return None
        full = os.path.realpath(os.path.join(self.doc_base, path.lstrip("/")))
        if full != self.doc_base and not full.startswith(self.doc_base + os.sep):
            return None
        return full

    def resource_exists(self, path: str) -> bool:
        """Used by the Mapper's welcome-file rule: a real file at *path*."""
        full = self.resolve_path(path)
        return full is not None and os.path.isfile(full)

    # -- lifecycle --------------------------------------------------------
    def add_servlet(self, name: str, servlet_class: str | type, init_params: dict[str, str] | None = None,
                    load_on_startup: int | None = None) -> StandardWrapper:
        wrapper = StandardWrapper(self, name, servlet_class, init_params, load_on_startup)
        self.wrappers[name] = wrapper
        return wrapper

    def start_internal(self) -> None:
        from ..deploy.loader import WebappLoader
        self.loader = WebappLoader(self.doc_base, self.name)
        for name, definition in self.web_xml.servlets.items():
            self.add_servlet(name, definition.servlet_class, definition.init_params,
                             definition.load_on_startup)
        self.pipeline.start()
        # load-on-startup: non-negative values, lowest first, as the spec says.
        startup = sorted((w for w in self.wrappers.values()
                          if w.load_on_startup is not None and w.load_on_startup >= 0),
                         key=lambda w: w.load_on_startup)  # type: ignore[arg-type,return-value]
        for wrapper in startup:
            wrapper.allocate()

    def stop_internal(self) -> None:
        for wrapper in self.wrappers.values():
            wrapper.stop()
        self.pipeline.stop()
        if self.loader is not None:
            self.loader.unload()

    # -- listeners ---------------------------------------------------------
    def listeners_of(self, interface: type) -> list[Any]:
        """The webapp's listener instances implementing *interface*, in
        declaration order."""
        return [listener for listener in self.listeners if isinstance(listener, interface)]

    def fire(self, interface: type, method: str, event: Any, *args: Any, reverse: bool = False) -> None:
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
                log.exception("Listener %s.%s of context [%s] raised", type(listener).__name__,
                              method, self.display_path())

    def servlet_mappings(self) -> list[tuple[str, StandardWrapper]]:
        """(url-pattern, wrapper) pairs for the Mapper."""
        return [(pattern, self.wrappers[name])
                for pattern, name in self.web_xml.servlet_mappings.items()
                if name in self.wrappers]
