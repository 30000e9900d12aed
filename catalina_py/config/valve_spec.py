"""``<Valve>`` elements: which Python class implements a valve.

A ``<Valve className>`` is either one of the Tomcat names of
:data:`TOMCAT_VALVES` or a Python dotted path; :func:`read_valve` checks the
class can be imported while the file is read, so a typo is reported at its
``file:line`` before anything starts.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from catalina_py.config.xml import Element, XmlReader
from catalina_py.errors import ConfigError, Location

__all__ = [
    "TOMCAT_VALVES",
    "ValveSpec",
    "frozen_map",
    "read_valve",
    "resolve_class",
    "resolve_valve_class",
]

#: Tomcat valve class names accepted in ``className`` and the Python class
#: implementing each.  Any other ``className`` must be a Python dotted path
#: (``package.module.ClassName``).
TOMCAT_VALVES: dict[str, str] = {
    "org.apache.catalina.valves.AccessLogValve": "catalina_py.container.valves.access_log.AccessLogValve",
    "org.apache.catalina.valves.ErrorReportValve": "catalina_py.container.valves.error_report.ErrorReportValve",
    "org.apache.catalina.valves.RemoteIpValve": "catalina_py.container.valves.remote_ip.RemoteIpValve",
    "org.apache.catalina.valves.RemoteAddrValve": "catalina_py.container.valves.remote_addr.RemoteAddrValve",
    "org.apache.catalina.authenticator.BasicAuthenticator": "catalina_py.authenticator.basic.BasicAuthenticator",
    "org.apache.catalina.authenticator.FormAuthenticator": "catalina_py.authenticator.form.FormAuthenticator",
    "org.apache.catalina.authenticator.DigestAuthenticator": "catalina_py.authenticator.digest.DigestAuthenticator",
    "org.apache.catalina.authenticator.NonLoginAuthenticator": "catalina_py.authenticator.base.NonLoginAuthenticator",
}


def frozen_map(values: Mapping[str, str] | None = None) -> Mapping[str, str]:
    """Return a read-only copy of ``values`` (for the frozen specs)."""
    return MappingProxyType(dict(values or {}))


@dataclass(frozen=True)
class ValveSpec:
    """A ``<Valve>``: which class to instantiate and with which attributes.

    ``class_name`` is the ``className`` as written (a Tomcat name or a
    Python dotted path); ``python_class`` is the dotted path of the Python
    class, already checked to be importable.  ``attributes`` holds every
    other attribute, substituted but otherwise uninterpreted: the valve
    class is responsible for them.
    """

    class_name: str
    python_class: str
    attributes: Mapping[str, str]
    location: Location


def resolve_class(dotted: str) -> type:
    """Import ``package.module.ClassName`` and return the class.

    Raises :class:`ImportError` if the module or the attribute does not
    exist (or the module fails to import) and :class:`TypeError` if the
    attribute is not a class.
    """
    module_name, _, attr = dotted.rpartition(".")
    if not module_name or not attr:
        raise ImportError(f"'{dotted}' is not a dotted path " "package.module.ClassName")
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        raise
    except Exception as exc:  # the module exists but is broken
        raise ImportError(f"importing module '{module_name}' failed: " f"{type(exc).__name__}: {exc}") from exc
    try:
        value = getattr(module, attr)
    except AttributeError:
        raise ImportError(f"module '{module_name}' has no attribute '{attr}'") from None
    if not isinstance(value, type):
        raise TypeError(f"'{dotted}' is not a class " f"(it is a {type(value).__name__})")
    return value


def resolve_valve_class(class_name: str, location: Location | None = None) -> str:
    """Map a ``<Valve className>`` to an importable Python dotted path.

    Tomcat names are looked up in :data:`TOMCAT_VALVES`; anything else
    must be a Python dotted path.  The class is imported to check it
    exists; a :class:`ConfigError` located at ``location`` is raised
    otherwise.
    """
    known = ", ".join(sorted(TOMCAT_VALVES))
    if class_name in TOMCAT_VALVES:
        dotted = TOMCAT_VALVES[class_name]
    elif class_name.startswith(("org.apache.", "jakarta.", "javax.", "java.")) or "." not in class_name:
        suggestion = [name for name in TOMCAT_VALVES if name.rsplit(".", 1)[-1] == class_name]
        hint = (
            f'className="{suggestion[0]}"'
            if suggestion
            else "one of the known Tomcat valves, or the dotted path of a " "Python class (package.module.ClassName)"
        )
        raise ConfigError.at(location, f"unknown valve class '{class_name}', known: {known}", hint)
    else:
        dotted = class_name
    try:
        resolve_class(dotted)
    except (ImportError, TypeError) as exc:
        via = "" if dotted == class_name else f" (implemented by {dotted})"
        raise ConfigError.at(
            location,
            f"cannot load valve class '{class_name}'{via}: {exc}",
            "the dotted path of an importable Python class " "(package.module.ClassName)",
        ) from exc
    return dotted


def read_valve(reader: XmlReader, element: Element) -> ValveSpec:
    """Read ``<Valve>`` and check its class can be loaded."""
    attrs = reader.attributes(element, "Valve")
    class_name = attrs.required(
        "className", 'className="org.apache.catalina.valves.AccessLogValve" or a ' "Python dotted path"
    ).strip()
    python_class = resolve_valve_class(class_name, attrs.location)
    reader.no_children(element, "Valve")
    return ValveSpec(class_name, python_class, frozen_map(attrs.others("className")), attrs.location)
