"""Per-webapp code loading, the Python counterpart of Tomcat's
``WebappClassLoader``.

Each webapp gets a package of its own, ``catalina_py.webapps.<slug>_<n>``,
whose ``__path__`` is the webapp's class path: ``WEB-INF/classes`` first,
then ``WEB-INF/lib`` (folders holding packages), then every pure-Python
wheel (``.whl``) or ``.zip`` of ``WEB-INF/lib``, extracted into the
context's work directory. A ``<servlet-class>`` of ``hello.HelloServlet``
is imported as ``catalina_py.webapps.<slug>_<n>.hello``.

So that webapp code can import its own modules *absolutely* (``import
util`` for ``WEB-INF/classes/util.py``, as a Java class names another
class of its webapp), every module executed from the webapp's class path
runs with a ``__builtins__`` of its own whose ``__import__`` first looks
in the webapp's namespace: when the first component of an absolute import
is a module or package of the webapp's class path, ``import util`` binds
``catalina_py.webapps.<slug>_<n>.util``. Any other name (``json``,
``catalina_py.servlet``) is imported normally. The webapp's class path
comes first, as with Tomcat's default ``delegate="false"``: a webapp may
ship its own ``email.py`` or its own copy of a library the container also
uses, and only its code sees it. The exception is ``catalina_py``, the
servlet API every webapp must share, as Tomcat always loads
``jakarta.servlet`` from the container.

A webapp served from its WAR (``unpackWARs="false"``) has the same class
path inside the archive: ``app.war/WEB-INF/classes`` and
``app.war/WEB-INF/lib`` are imported from the zip by Python's
``zipimport``, through the same per-webapp ``__builtins__``; the wheels and
zips of its ``WEB-INF/lib`` are extracted into the work directory.

Unloading drops every module of the webapp's package from ``sys.modules``;
see ``docs/deployment.md`` for what this isolation cannot do.
"""

from __future__ import annotations

import builtins
import importlib
import importlib.abc
import importlib.machinery
import itertools
import logging
import os
import shutil
import sys
import tempfile
import types
import zipfile
import zipimport
from collections.abc import Sequence
from typing import Any

from ..servlets.resources import ArchiveResources, is_archive

log = logging.getLogger("catalina_py.deploy")

_PREFIX = "catalina_py.webapps"
_counter = itertools.count(1)

#: Archive suffixes of WEB-INF/lib that are extracted onto the class path.
ARCHIVE_SUFFIXES = (".whl", ".zip")

#: Top-level names a webapp can never provide itself (Tomcat's class
#: loader filter, which always delegates the Servlet API to the container).
_CONTAINER_TOPS = frozenset({"catalina_py", "__future__"})

#: Suffixes of native extension modules, which cannot be isolated.
_NATIVE_SUFFIXES = tuple(importlib.machinery.EXTENSION_SUFFIXES) + (".so", ".pyd", ".dylib")

#: package name -> its loader, for the finder.
_LOADERS: dict[str, WebappLoader] = {}


def _ensure_root() -> None:
    if _PREFIX not in sys.modules:
        root = types.ModuleType(_PREFIX)
        root.__path__ = []  # a namespace for the per-webapp packages only
        root.__doc__ = "Packages of the deployed webapps, one per context."
        sys.modules[_PREFIX] = root
    if not any(isinstance(finder, _WebappFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _WebappFinder())


def _owner(fullname: str) -> WebappLoader | None:
    """The loader whose package holds the module *fullname*, if any."""
    if not fullname.startswith(_PREFIX + "."):
        return None
    rest = fullname[len(_PREFIX) + 1 :]
    return _LOADERS.get(f"{_PREFIX}.{rest.partition('.')[0]}")


class _WebappSourceLoader(importlib.machinery.SourceFileLoader):
    """Executes a webapp module with the webapp's own ``__builtins__``.

    Compiles from source every time and writes no ``__pycache__``: the
    webapp folder stays untouched (Tomcat never writes into a webapp), and
    a module rewritten within the same second with the same size -- which
    a ``.pyc`` keyed by mtime in seconds would miss -- is still reloaded.
    """

    def __init__(self, fullname: str, path: str, webapp: WebappLoader) -> None:
        super().__init__(fullname, path)
        self.webapp = webapp

    def get_code(self, fullname: str) -> types.CodeType:
        path = self.get_filename(fullname)
        return self.source_to_code(self.get_data(path), path)

    def exec_module(self, module: types.ModuleType) -> None:
        module.__dict__["__builtins__"] = self.webapp.builtins
        super().exec_module(module)


class _WebappZipLoader(importlib.abc.Loader):
    """Executes a webapp module found in its WAR by ``zipimport`` with the
    webapp's own ``__builtins__`` (as :class:`_WebappSourceLoader`)."""

    def __init__(self, zipped: zipimport.zipimporter, webapp: WebappLoader) -> None:
        self.zipped = zipped
        self.webapp = webapp

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType | None:
        return None

    def exec_module(self, module: types.ModuleType) -> None:
        module.__dict__["__builtins__"] = self.webapp.builtins
        code = self.zipped.get_code(module.__name__)
        exec(code, module.__dict__)

    def get_source(self, fullname: str) -> str | None:
        """The module's source, for tracebacks (linecache)."""
        return self.zipped.get_source(fullname)

    def is_package(self, fullname: str) -> bool:
        return self.zipped.is_package(fullname)


class _WebappFinder(importlib.abc.MetaPathFinder):
    """Finds the modules of the webapp packages on their class path and
    gives their source modules a :class:`_WebappSourceLoader`."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: types.ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        webapp = _owner(fullname)
        if webapp is None or fullname == webapp.package:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None:
            return None
        if isinstance(spec.loader, importlib.machinery.SourceFileLoader) and spec.origin:
            spec.loader = _WebappSourceLoader(fullname, spec.origin, webapp)
        elif isinstance(spec.loader, zipimport.zipimporter):
            spec.loader = _WebappZipLoader(spec.loader, webapp)
        elif isinstance(spec.loader, importlib.machinery.ExtensionFileLoader):
            raise ImportError(
                f"{spec.origin}: native extension modules cannot be loaded from a "
                "webapp's class path (they cannot be isolated or unloaded); install "
                "them into the container's environment instead",
                name=fullname,
            )
        return spec


class WebappLoader:
    """Imports a webapp's code in a namespace of its own.

    :param doc_base: the webapp's folder.
    :param context_name: the context's name (its path), used in the
        package name so tracebacks say which webapp a module belongs to.
    :param work_dir: the context's work directory; wheels and zips of
        ``WEB-INF/lib`` are extracted under ``<work_dir>/lib``. Without
        one, a temporary directory is used and removed on :meth:`unload`.
    """

    def __init__(self, doc_base: str, context_name: str, work_dir: str | None = None) -> None:
        _ensure_root()
        slug = "".join(c if c.isalnum() else "_" for c in context_name.strip("/") or "ROOT")
        self.package = f"{_PREFIX}.{slug}_{next(_counter)}"
        self.doc_base = doc_base
        self.classes_dir = os.path.join(doc_base, "WEB-INF", "classes")
        self.lib_dir = os.path.join(doc_base, "WEB-INF", "lib")
        self.work_dir = work_dir
        #: Where this loader extracted the archives of WEB-INF/lib, if any.
        self.extract_dir: str | None = None
        self._temp_dir: str | None = None
        #: top-level name -> whether the webapp's class path provides it
        self._local: dict[str, bool] = {}
        self.builtins: dict[str, Any] = dict(builtins.__dict__)
        self.builtins["__import__"] = self._import
        self.class_path: list[str] = []
        #: The webapp's WAR when it is served from the archive.
        self.archive: ArchiveResources | None = ArchiveResources(doc_base) if is_archive(doc_base) else None
        if self.archive is not None:
            for folder, entry in (("WEB-INF/classes", self.classes_dir), ("WEB-INF/lib", self.lib_dir)):
                if folder in self.archive.folders:
                    # A fresh look at the archive: a WAR replaced at the same
                    # path must not be read through an old directory.
                    zipimport.zipimporter(entry).invalidate_caches()
                    self.class_path.append(entry)
            if "WEB-INF/lib" in self.archive.folders:
                self.class_path.extend(self._extract_archives())
        else:
            if os.path.isdir(self.classes_dir):
                self.class_path.append(self.classes_dir)
            if os.path.isdir(self.lib_dir):
                self.class_path.append(self.lib_dir)
                self.class_path.extend(self._extract_archives())
        module = types.ModuleType(self.package)
        module.__path__ = list(self.class_path)
        module.__doc__ = f"The class path of the webapp at {doc_base}"
        module.__dict__["__builtins__"] = self.builtins
        for entry in self.class_path:
            sys.path_importer_cache.pop(entry, None)
        importlib.invalidate_caches()
        _LOADERS[self.package] = self
        sys.modules[self.package] = module

    # -- WEB-INF/lib archives ----------------------------------------------
    def _extract_archives(self) -> list[str]:
        """Extract every wheel and zip of WEB-INF/lib (sorted by name) and
        return the class path entries they provide."""
        if self.archive is not None:
            archives = sorted(
                name for name in self.archive.list("/WEB-INF/lib") or [] if name.lower().endswith(ARCHIVE_SUFFIXES)
            )
        else:
            archives = sorted(
                name
                for name in os.listdir(self.lib_dir)
                if name.lower().endswith(ARCHIVE_SUFFIXES) and os.path.isfile(os.path.join(self.lib_dir, name))
            )
        if not archives:
            return []
        if self.work_dir is None:
            self._temp_dir = tempfile.mkdtemp(prefix="catalina_py-webapp-")
            target_root = self._temp_dir
        else:
            target_root = os.path.join(self.work_dir, "lib")
            # Fresh on every deployment: a replaced wheel must not leave
            # stale modules behind.
            shutil.rmtree(target_root, ignore_errors=True)
        self.extract_dir = target_root
        entries = []
        for name in archives:
            target = os.path.join(target_root, name)
            if self.archive is not None:
                # A wheel inside the WAR: copied out first, then extracted.
                os.makedirs(target_root, exist_ok=True)
                copy = target + ".archive"
                with open(copy, "wb") as out:
                    out.write(self.archive.read(f"WEB-INF/lib/{name}") or b"")
                try:
                    extract_archive(copy, target)
                finally:
                    os.unlink(copy)
            else:
                extract_archive(os.path.join(self.lib_dir, name), target)
            entries.append(target)
            # A wheel's "<dist>.data/purelib" holds modules too.
            for data in sorted(os.listdir(target)):
                if data.endswith(".data"):
                    for scheme in ("purelib", "platlib"):
                        extra = os.path.join(target, data, scheme)
                        if os.path.isdir(extra):
                            entries.append(extra)
        return entries

    # -- imports -----------------------------------------------------------
    def provides(self, top: str) -> bool:
        """Whether the top-level module or package *top* is on this
        webapp's class path (and may be provided by a webapp at all)."""
        known = self._local.get(top)
        if known is not None:
            return known
        found = False
        if top not in _CONTAINER_TOPS and top.isidentifier():
            for entry in self.class_path:
                if self.archive is not None and entry in (self.classes_dir, self.lib_dir):
                    folder = "WEB-INF/classes/" if entry == self.classes_dir else "WEB-INF/lib/"
                    if folder + top + ".py" in self.archive.files or folder + top in self.archive.folders:
                        found = True
                        break
                    continue
                base = os.path.join(entry, top)
                if os.path.isfile(base + ".py") or os.path.isdir(base):
                    found = True
                    break
        self._local[top] = found
        return found

    def _import(
        self,
        name: str,
        globals: dict[str, Any] | None = None,
        locals: dict[str, Any] | None = None,
        fromlist: Sequence[str] | None = (),
        level: int = 0,
    ) -> types.ModuleType:
        """The ``__import__`` of webapp code: absolute imports of the
        webapp's own modules resolve inside its package."""
        if level == 0 and name:
            top = name.partition(".")[0]
            if self.provides(top):
                full = f"{self.package}.{name}"
                if fromlist:
                    return builtins.__import__(full, globals, locals, fromlist, 0)
                importlib.import_module(full)
                return sys.modules[f"{self.package}.{top}"]
            if name.startswith(_PREFIX + ".") and not (name == self.package or name.startswith(self.package + ".")):
                raise ImportError(f"a webapp cannot import the modules of another webapp ({name})", name=name)
        return builtins.__import__(name, globals, locals, fromlist or (), level)

    def import_module(self, name: str) -> types.ModuleType:
        """The module *name* as webapp code importing it gets it: from the
        webapp's class path first, else the container's environment."""
        return self._import(name, fromlist=("__name__",))

    def load_class(self, dotted: str) -> Any:
        """Resolve ``module.Class`` from the webapp's class path, or a
        fully qualified name of the container or an installed package."""
        module_name, _, attr = dotted.rpartition(".")
        if not module_name or not attr:
            raise ImportError(f"{dotted!r} is not of the form module.ClassName")
        module = self._import(module_name, fromlist=(attr,))
        try:
            return getattr(module, attr)
        except AttributeError:
            raise ImportError(f"module {module_name!r} has no class {attr!r}") from None

    def modules(self) -> list[str]:
        """The names in ``sys.modules`` that belong to this webapp."""
        prefix = self.package + "."
        return [n for n in list(sys.modules) if n == self.package or n.startswith(prefix)]

    def unload(self) -> None:
        """Forget every module this webapp imported and remove the
        archives it extracted (the next deployment extracts them again)."""
        for name in self.modules():
            sys.modules.pop(name, None)
        _LOADERS.pop(self.package, None)
        for entry in self.class_path:
            sys.path_importer_cache.pop(entry, None)
        self._local.clear()
        if self.archive is not None:
            self.archive.close()
        if self.extract_dir is not None:
            shutil.rmtree(self.extract_dir, ignore_errors=True)
            self.extract_dir = self._temp_dir = None


def extract_archive(archive: str, target: str) -> None:
    """Extract a pure-Python wheel or zip into *target*.

    Refuses (``ImportError`` naming the archive) a file that is not a zip,
    a member that would land outside *target*, and native extension
    modules, which cannot be isolated per webapp.
    """
    try:
        with zipfile.ZipFile(archive) as zipped:
            members = zipped.infolist()
            for member in members:
                name = member.filename
                parts = name.replace("\\", "/").split("/")
                if name.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]:
                    raise ImportError(f"{archive}: member {name!r} would be extracted outside " "the work directory")
                if name.lower().endswith(_NATIVE_SUFFIXES):
                    raise ImportError(
                        f"{archive}: contains the native extension {name!r}; only "
                        "pure-Python wheels and zips can be loaded from WEB-INF/lib"
                    )
            os.makedirs(target, exist_ok=True)
            zipped.extractall(target)
    except zipfile.BadZipFile as exc:
        raise ImportError(f"{archive}: not a valid wheel or zip file ({exc})") from None
