"""Context names: how a folder or descriptor base name gives a context path
and back (Tomcat's ``ContextName``): ``ROOT`` <-> "", ``a#b`` <-> ``/a/b``."""

from __future__ import annotations

from ..errors import ConfigError

__all__ = ["base_name_for", "context_path_for"]


def context_path_for(name: str) -> str:
    """Tomcat's naming rule for a folder or descriptor base name:
    ``ROOT`` -> "", ``a#b`` -> "/a/b"."""
    if "##" in name:
        raise ConfigError(f"'{name}': parallel deployment versions (name##version) are not " "supported by catalina_py")
    if name == "ROOT":
        return ""
    if not name or "" in name.split("#"):
        raise ConfigError(f"'{name}' gives no valid context path (an empty path segment)")
    return "/" + name.replace("#", "/")


def base_name_for(path: str) -> str:
    """The inverse of :func:`context_path_for`: "" -> ``ROOT``, "/a/b" -> ``a#b``."""
    return "ROOT" if path == "" else path[1:].replace("/", "#")
