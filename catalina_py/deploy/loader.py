"""Per-webapp code loading, the Python counterpart of Tomcat's
``WebappClassLoader``.

Each webapp's ``WEB-INF/classes`` becomes the ``__path__`` of a package of
its own, ``catalina_py.webapps.<n>``, so a ``<servlet-class>`` of
``hello.HelloServlet`` is imported as ``catalina_py.webapps.<n>.hello``: two
webapps can both ship a ``hello`` module without seeing each other's, and
unloading a webapp drops every module under its package.
"""

from __future__ import annotations

import importlib
import itertools
import os
import sys
import types
from typing import Any

_PREFIX = "catalina_py.webapps"
_counter = itertools.count(1)


def _ensure_root() -> None:
    if _PREFIX not in sys.modules:
        root = types.ModuleType(_PREFIX)
        root.__path__ = []  # a namespace for the per-webapp packages only
        root.__doc__ = "Packages of the deployed webapps, one per context."
        sys.modules[_PREFIX] = root


class WebappLoader:
    """Imports a webapp's classes in a namespace of its own."""

    def __init__(self, doc_base: str, context_name: str) -> None:
        _ensure_root()
        slug = "".join(c if c.isalnum() else "_" for c in context_name or "ROOT")
        self.package = f"{_PREFIX}.{slug}_{next(_counter)}"
        self.classes_dir = os.path.join(doc_base, "WEB-INF", "classes")
        self.lib_dir = os.path.join(doc_base, "WEB-INF", "lib")
        module = types.ModuleType(self.package)
        module.__path__ = [self.classes_dir] if os.path.isdir(self.classes_dir) else []
        module.__doc__ = f"WEB-INF/classes of the webapp at {doc_base}"
        sys.modules[self.package] = module
        importlib.invalidate_caches()

    def load_class(self, dotted: str) -> Any:
        """Resolve ``module.Class`` from WEB-INF/classes, or a fully
        qualified name of the container or an installed package."""
        module_name, _, attr = dotted.rpartition(".")
        if not module_name:
            raise ImportError(f"{dotted!r} is not of the form module.ClassName")
        local = os.path.join(self.classes_dir, *module_name.split("."))
        if os.path.isfile(local + ".py") or os.path.isdir(local):
            module = importlib.import_module(f"{self.package}.{module_name}")
        else:
            module = importlib.import_module(module_name)
        try:
            return getattr(module, attr)
        except AttributeError:
            raise ImportError(f"module {module_name!r} has no class {attr!r}") from None

    def unload(self) -> None:
        """Forget every module this webapp imported."""
        prefix = self.package + "."
        for name in [n for n in sys.modules if n == self.package or n.startswith(prefix)]:
            del sys.modules[name]
