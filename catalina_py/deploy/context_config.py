"""``ContextConfig``: builds a webapp's effective deployment descriptor,
as Tomcat's ``ContextConfig.webConfig`` does.

1. parse ``WEB-INF/web.xml`` (if there is one);
2. unless it says ``metadata-complete="true"``, scan the Python modules
   under ``WEB-INF/classes`` for classes decorated with ``@web_servlet``,
   ``@web_filter`` and ``@web_listener``
   (:mod:`catalina_py.servlet.annotation`) and merge them into the
   application's descriptor: web.xml wins for a servlet or filter of the
   same name (the annotation only adds what web.xml leaves out);
3. merge the global ``conf/web.xml`` under the result
   (:func:`~catalina_py.config.web_xml.merge_web_xml`).

The scan imports modules through the webapp's loader, which is created
when the context starts.  Deployment therefore happens in two steps:
``HostConfig`` calls :func:`build_web_xml` without a loader (steps 1 and
3: the descriptor is checked before anything starts, and the context gets
its MIME types and welcome files) and gives the context a
:class:`WebappConfigurator`; when ``StandardContext.start_internal`` calls
its ``configure_start`` (Tomcat's ``CONFIGURE_START_EVENT``), it creates
the loader and calls :func:`configure_context`, which redoes the merge with
the annotated classes when there are any.  Its ``on_startup`` then installs
the context's WebSocket ServerContainer with the ``@server_endpoint``
classes the scan found (Tomcat's ``WsSci``), before the listeners run.

Tomcat reads annotations from class files without initialising the
classes.  Python cannot see a decorator without running the module, so
the scan imports a module only if its source mentions one of the
decorator names (``web_servlet``, ``web_filter``, ``web_listener``); any
other module stays unimported until a servlet needs it.  A module that
fails to import fails the deployment with the cause.
"""

from __future__ import annotations

import difflib
import importlib
import os
import traceback
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from ..authenticator.config import install_authenticator
from ..config.web_xml import (
    FilterDef,
    FilterMapping,
    ListenerDef,
    ServletDef,
    WebXml,
    merge_web_xml,
    parse_web_xml,
)
from ..errors import ConfigError, ConfigWarning, Location
from ..servlet.annotation import (
    get_web_filter,
    get_web_listener,
    get_web_servlet,
)
from ..servlet.listeners import LISTENER_INTERFACES
from ..servlets.resources import ArchiveResources, is_archive
from ..websocket.application_config import scanned_kind
from ..websocket.server import install_server_container
from .loader import WebappLoader

if TYPE_CHECKING:  # pragma: no cover
    from ..container.context import StandardContext

__all__ = [
    "AnnotatedClass",
    "WebappConfigurator",
    "apply_annotations",
    "build_web_xml",
    "check_classes",
    "check_webapp",
    "configure_context",
    "scan_annotations",
]

#: Source text that marks a module worth importing during the scan.
_MARKERS = ("web_servlet", "web_filter", "web_listener", "server_endpoint", "Endpoint", "ServerApplicationConfig")
#: The markers of WebSocket classes only (the scan of a metadata-complete webapp).
_WS_MARKERS = ("server_endpoint", "Endpoint", "ServerApplicationConfig")


class AnnotatedClass:
    """A decorated class found by the scan: ``name`` is how the webapp's
    loader resolves it (``module.Class``, relative to WEB-INF/classes)."""

    __slots__ = ("name", "cls")

    def __init__(self, name: str, cls: type) -> None:
        self.name = name
        self.cls = cls

    def __repr__(self) -> str:
        return f"AnnotatedClass({self.name!r})"


def _module_names(classes_dir: str) -> Iterator[tuple[str, str]]:
    """``(dotted module name, file)`` of the Python sources under
    ``classes_dir``, sorted, skipping hidden folders, ``__pycache__`` and
    names that are not identifiers."""
    for root, dirs, files in os.walk(classes_dir):
        dirs[:] = sorted(d for d in dirs if d.isidentifier())
        relative = os.path.relpath(root, classes_dir)
        parts = [] if relative == "." else relative.split(os.sep)
        for file in sorted(files):
            stem, ext = os.path.splitext(file)
            if ext != ".py" or not stem.isidentifier():
                continue
            if stem == "__init__":
                if parts:
                    yield ".".join(parts), os.path.join(root, file)
                continue
            yield ".".join([*parts, stem]), os.path.join(root, file)


def _archive_module_names(names: Iterable[str], doc_base: str = "") -> Iterator[tuple[str, str]]:
    """The same as :func:`_module_names` for the entries of a WAR: the
    ``.py`` entries under ``WEB-INF/classes/``, with the path ``zipimport``
    gives their code (``<war>/WEB-INF/classes/<file>``)."""
    prefix = "WEB-INF/classes/"
    for name in names:
        if not name.startswith(prefix) or not name.endswith(".py"):
            continue
        parts = name[len(prefix) : -3].split("/")
        if not all(part.isidentifier() for part in parts):
            continue
        if parts[-1] == "__init__":
            parts.pop()
            if not parts:
                continue
        yield ".".join(parts), os.path.join(doc_base, *name.split("/"))


def _mentions_a_decorator(path: str, markers: tuple[str, ...] = _MARKERS) -> bool:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            source = handle.read()
    except OSError:
        return True  # let the import report the problem
    return any(marker in source for marker in markers)


def _import_error(path: str, exc: BaseException) -> ConfigError:
    """A ConfigError located in the webapp module the import failed in."""
    line = None
    if isinstance(exc, SyntaxError) and exc.filename == path:
        line = exc.lineno
    else:
        for frame in traceback.extract_tb(exc.__traceback__):
            if os.path.realpath(frame.filename) == os.path.realpath(path):
                line = frame.lineno
    return ConfigError(
        f"cannot import {os.path.basename(path)} while scanning "
        f"WEB-INF/classes for annotations: {type(exc).__name__}: {exc}",
        path,
        line,
        "a module that imports without errors",
    )


def scan_annotations(loader: WebappLoader, websocket_only: bool = False) -> list[AnnotatedClass]:
    """The classes decorated with ``@web_servlet``, ``@web_filter`` or
    ``@web_listener`` in the modules under ``loader.classes_dir``, by
    module name, then in definition order within a module.

    With *websocket_only*, only modules that mention the WebSocket
    markers are imported and only WebSocket classes are returned (the scan
    of a metadata-complete webapp).

    Modules are imported as ``{loader.package}.{module}`` (the webapp's
    own namespace).  Only classes defined at the top level of the module
    scanned count (a decorated class imported from elsewhere is found in
    its own module).  Raises :class:`ConfigError` if a module cannot be
    imported.
    """
    classes_dir = loader.classes_dir
    archive = loader.archive
    if archive is not None:
        modules = sorted(_archive_module_names(archive.files, loader.doc_base))
    elif os.path.isdir(classes_dir):
        modules = sorted(_module_names(classes_dir))
    else:
        return []
    found: list[AnnotatedClass] = []
    for module_name, path in modules:
        markers = _WS_MARKERS if websocket_only else _MARKERS
        if archive is not None:
            entry = os.path.relpath(path, loader.doc_base).replace(os.sep, "/")
            source = (archive.read(entry) or b"").decode("utf-8", "replace")
            if not any(marker in source for marker in markers):
                continue
        elif not _mentions_a_decorator(path, markers):
            continue
        try:
            module = importlib.import_module(f"{loader.package}.{module_name}")
        except Exception as exc:
            raise _import_error(path, exc) from exc
        for attr, value in list(vars(module).items()):
            if (
                not isinstance(value, type)
                or value.__name__ != attr
                or value.__qualname__ != attr
                or value.__module__ != module.__name__
            ):
                continue
            if websocket_only:
                if scanned_kind(value) is not None:
                    found.append(AnnotatedClass(f"{module_name}.{attr}", value))
                continue
            if (
                get_web_servlet(value)
                or get_web_filter(value)
                or get_web_listener(value)
                or scanned_kind(value) is not None
            ):
                found.append(AnnotatedClass(f"{module_name}.{attr}", value))
    return found


def _servlet(web: WebXml, found: AnnotatedClass) -> None:
    """Tomcat's ``processAnnotationWebServlet``."""
    info = get_web_servlet(found.cls)
    assert info is not None
    name = info.name or found.name
    definition = web.servlets.get(name)
    if definition is None:
        if not info.url_patterns:
            web.warnings.append(
                ConfigWarning.at(
                    info.location,
                    f"@web_servlet {found.name} has no "
                    "url-pattern and web.xml does not declare a servlet "
                    f"'{name}': ignored",
                )
            )
            return
        web.servlets[name] = ServletDef(
            name, found.name, dict(info.init_params), info.load_on_startup, info.async_supported, info.location
        )
    else:
        for key, value in info.init_params.items():
            definition.init_params.setdefault(key, value)
        if definition.load_on_startup is None:
            definition.load_on_startup = info.load_on_startup
    if info.url_patterns and name not in web.servlet_mappings.values():
        for pattern in info.url_patterns:
            other = web.servlet_mappings.get(pattern)
            if other is not None and other != name:
                first = web.mapping_locations.get(pattern)
                raise ConfigError.at(
                    info.location,
                    f"url-pattern '{pattern}' of "
                    f"@web_servlet {found.name} is already mapped to "
                    f"servlet '{other}' (at {first})",
                    "each url-pattern mapped to one servlet only",
                )
            web.servlet_mappings[pattern] = name
            if info.location is not None:
                web.mapping_locations[pattern] = info.location


def _filter(web: WebXml, found: AnnotatedClass) -> None:
    """Tomcat's ``processAnnotationWebFilter``."""
    info = get_web_filter(found.cls)
    assert info is not None
    name = info.filter_name or found.name
    definition = web.filters.get(name)
    if definition is None:
        web.filters[name] = FilterDef(name, found.name, dict(info.init_params), info.async_supported, info.location)
        if info.url_patterns or info.servlet_names:
            web.filter_mappings.append(
                FilterMapping(
                    name,
                    list(info.url_patterns),
                    list(info.servlet_names),
                    list(info.dispatcher_types or ("REQUEST",)),
                    info.location,
                )
            )
        return
    for key, value in info.init_params.items():
        definition.init_params.setdefault(key, value)
    # web.xml declares the filter: its first mapping gets the annotation's
    # url-patterns only if it has none.  (Tomcat also adds the
    # annotation's dispatchers when the mapping "has none", which cannot
    # happen here: a mapping without <dispatcher> is REQUEST.)
    mapping = next((m for m in web.filter_mappings if m.filter_name == name), None)
    if mapping is not None and info.url_patterns and not mapping.url_patterns:
        mapping.url_patterns.extend(info.url_patterns)


def _listener(web: WebXml, found: AnnotatedClass) -> None:
    """Tomcat's ``addListener`` for ``@WebListener``: after web.xml's,
    each class once."""
    info = get_web_listener(found.cls)
    assert info is not None
    if any(listener.listener_class == found.name for listener in web.listeners):
        return
    web.listeners.append(ListenerDef(found.name, info.location))


def apply_annotations(web: WebXml, classes: list[AnnotatedClass]) -> WebXml:
    """Merge the decorated ``classes`` into the application's own
    descriptor ``web`` (modified in place and returned), as Tomcat merges
    ``@WebServlet``, ``@WebFilter`` and ``@WebListener`` into web.xml:

    * a servlet/filter not in web.xml is added with the annotation's
      settings and url-patterns (a servlet without url-patterns is
      skipped with a warning);
    * for a servlet/filter web.xml declares (same name), web.xml wins: the
      annotation adds only the init-params (and load-on-startup) web.xml
      does not set, and its url-patterns only if web.xml maps the servlet
      nowhere (a filter: if its first mapping has no url-pattern);
    * listeners are appended after web.xml's.

    Raises :class:`ConfigError` when an annotation maps a url-pattern that
    another servlet already has.
    """
    for found in classes:
        if get_web_servlet(found.cls) is not None:
            _servlet(web, found)
        if get_web_filter(found.cls) is not None:
            _filter(web, found)
        if get_web_listener(found.cls) is not None:
            _listener(web, found)
    return web


def _app_web_xml(doc_base: str) -> WebXml:
    if is_archive(doc_base):
        # Served from its WAR: WEB-INF/web.xml read from the archive.
        archive = ArchiveResources(doc_base)
        try:
            data = archive.read("WEB-INF/web.xml")
        finally:
            archive.close()
        if data is None:
            return WebXml(file=None)
        return parse_web_xml(f"{doc_base}!/WEB-INF/web.xml", data)
    path = os.path.join(doc_base, "WEB-INF", "web.xml")
    if os.path.isfile(path):
        return parse_web_xml(path)
    return WebXml(file=None)


def build_web_xml(doc_base: str, global_web_xml: WebXml, loader: WebappLoader | None = None) -> WebXml:
    """The effective descriptor of the webapp at ``doc_base``: its
    ``WEB-INF/web.xml`` (if any), plus its annotated classes when
    ``loader`` is given and the descriptor is not metadata-complete, over
    ``global_web_xml``.  Raises :class:`ConfigError`."""
    app = _app_web_xml(doc_base)
    if loader is not None and not app.metadata_complete:
        apply_annotations(app, scan_annotations(loader))
    return merge_web_xml(global_web_xml, app)


def configure_context(context: StandardContext, loader: WebappLoader) -> list[type]:
    """Complete ``context.web_xml`` with the webapp's annotated classes,
    imported through *loader*; returns the WebSocket classes found
    (``@server_endpoint`` classes, ``Endpoint`` and
    ``ServerApplicationConfig`` subclasses, for the context's
    ServerContainer).

    The WebSocket classes are looked for even in a metadata-complete
    webapp (Tomcat's ``WsSci`` is a ServletContainerInitializer, whose
    scan metadata-complete does not turn off): modules that mention them
    are imported; the servlet annotations are not looked for. Otherwise, when a module declares a decorated class,
    re-reads ``WEB-INF/web.xml``, merges the annotations into it and the
    global defaults the context's descriptor was merged over
    (:attr:`WebXml.defaults`) under it.
    """
    web = context.web_xml
    classes = scan_annotations(loader, websocket_only=web.metadata_complete)
    endpoints = [found.cls for found in classes if scanned_kind(found.cls) is not None]
    if web.metadata_complete or not classes:
        return endpoints
    app = _app_web_xml(context.doc_base)
    apply_annotations(app, classes)
    defaults = web.defaults if web.defaults is not None else WebXml()
    context.web_xml = merge_web_xml(defaults, app)
    return endpoints


#: What to write instead, per kind of class a descriptor names.
_CLASS_HINT = (
    "module.ClassName of a module under WEB-INF/classes (or WEB-INF/lib), e.g. "
    "hello.HelloServlet for class HelloServlet in WEB-INF/classes/hello.py, "
    "or the full dotted name of an installed class"
)


def _did_you_mean(loader: WebappLoader, dotted: str) -> str:
    """`` (did you mean X?)`` when the module of *dotted* imports and has a
    class of a close name, else ""."""
    module_name, _, attr = dotted.rpartition(".")
    if not module_name:
        return ""
    try:
        module = loader.import_module(module_name)
    except Exception:
        return ""
    names = [name for name, value in vars(module).items() if isinstance(value, type)]
    close = difflib.get_close_matches(attr, names, n=1)
    return f" (did you mean {module_name}.{close[0]}?)" if close else ""


def _class_error(
    location: Location | None, what: str, dotted: str, exc: BaseException, loader: WebappLoader
) -> ConfigError:
    """The error for a class a descriptor names that cannot be imported."""
    cause = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, ImportError) and not isinstance(exc, ModuleNotFoundError):
        cause += _did_you_mean(loader, dotted)
    where = ""
    tb = traceback.extract_tb(exc.__traceback__)
    if tb and isinstance(exc, Exception) and not isinstance(exc, ImportError):
        frame = tb[-1]
        where = f" (raised at {frame.filename}:{frame.lineno})"
    elif isinstance(exc, SyntaxError) and exc.filename:
        where = f" ({exc.filename}:{exc.lineno})"
    return ConfigError.at(location, f"{what} '{dotted}' cannot be imported: {cause}{where}", _CLASS_HINT)


def check_classes(web: WebXml, loader: WebappLoader) -> None:
    """Import every servlet, filter and listener class *web* names through
    the webapp's *loader*, so that
    a class that does not exist fails the deployment -- and ``configtest``
    -- with the web.xml file and line, instead of the first request getting
    500. Tomcat loads a servlet only on its first request (a filter or
    listener at start); catalina_py checks them all when the webapp
    starts. Raises :class:`ConfigError` for the first class that fails."""
    for definition in web.servlets.values():
        what = f"servlet '{definition.name}': servlet-class"
        spec = definition.servlet_class
        try:
            cls = loader.load_class(spec) if isinstance(spec, str) else spec
        except Exception as exc:
            raise _class_error(definition.location, what, str(spec), exc, loader) from exc
        if not isinstance(cls, type) or not callable(getattr(cls, "service", None)):
            raise ConfigError.at(
                definition.location,
                f"{what} '{spec}' is not a servlet class (a class with a service method)",
                "a subclass of catalina_py.servlet.HttpServlet (or GenericServlet)",
            )
    for filter_def in web.filters.values():
        what = f"filter '{filter_def.name}': filter-class"
        try:
            cls = loader.load_class(filter_def.filter_class)
        except Exception as exc:
            raise _class_error(filter_def.location, what, filter_def.filter_class, exc, loader) from exc
        if not isinstance(cls, type) or not callable(getattr(cls, "do_filter", None)):
            raise ConfigError.at(
                filter_def.location,
                f"{what} '{filter_def.filter_class}' is not a filter class",
                "a class with a do_filter(request, response, chain) method",
            )
    for listener in web.listeners:
        what = "listener-class"
        try:
            cls = loader.load_class(listener.listener_class)
        except Exception as exc:
            raise _class_error(listener.location, what, listener.listener_class, exc, loader) from exc
        if not isinstance(cls, type) or not issubclass(cls, LISTENER_INTERFACES):
            names = ", ".join(i.__name__ for i in LISTENER_INTERFACES)
            raise ConfigError.at(
                listener.location,
                f"listener class '{listener.listener_class}' implements no listener interface",
                f"a subclass of one of {names} (catalina_py.servlet.listeners)",
            )


def check_webapp(doc_base: str, global_web_xml: WebXml, context_name: str) -> WebXml:
    """What deployment does to the webapp at *doc_base* up to its servlets,
    without starting it (``configtest``): its web.xml parsed and merged over
    *global_web_xml*, its annotated modules scanned and every class it names
    imported, through a :class:`WebappLoader` of its own that is unloaded
    afterwards (each webapp sees only its own modules, as when deployed).
    Returns the effective descriptor; raises :class:`ConfigError`."""
    web = build_web_xml(doc_base, global_web_xml)
    loader = WebappLoader(doc_base, context_name)
    try:
        if not web.metadata_complete:
            classes = scan_annotations(loader)
            if classes:
                app = _app_web_xml(doc_base)
                apply_annotations(app, classes)
                web = merge_web_xml(global_web_xml, app)
        else:
            scan_annotations(loader, websocket_only=True)  # deployment imports these too
        check_classes(web, loader)
    finally:
        loader.unload()
    return web


class WebappConfigurator:
    """What deployment does to a context while it starts (a
    :class:`~catalina_py.container.context.ContextConfigurator`, as Tomcat's
    ``ContextConfig`` and ``WsSci``): gives it a :class:`WebappLoader`,
    completes its descriptor with the annotated classes, and installs its
    WebSocket ServerContainer with the scanned endpoints."""

    def __init__(self) -> None:
        #: The WebSocket classes the last scan found (@server_endpoint
        #: classes, Endpoint and ServerApplicationConfig subclasses).
        self.endpoint_classes: list[type] = []

    def configure_start(self, context: StandardContext) -> None:
        """The loader, then the annotation scan (before the servlets)."""
        loader = WebappLoader(context.doc_base, context.name, context.work_dir)
        context.loader = loader
        self.endpoint_classes = configure_context(context, loader)
        check_classes(context.web_xml, loader)
        # The constraints and the login method (Tomcat's authenticatorConfig).
        install_authenticator(context)

    def on_startup(self, context: StandardContext) -> None:
        """The context's ServerContainer (before the listeners, which may
        add endpoints)."""
        install_server_container(context, self.endpoint_classes)
