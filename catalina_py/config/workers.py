"""The number of worker processes: ``<Server workers="N">`` and
``catalina-py run --workers N`` (not a Tomcat setting: a JVM serves every
core from one process; CPython needs a process per core).

``auto`` is the number of cores this process may run on (its CPU affinity
where the platform tells it, so ``taskset -c 0 catalina-py run --workers
auto`` gives one worker), else ``os.cpu_count()``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from catalina_py.errors import ConfigError

__all__ = ["MAX_WORKERS", "WORKERS_HINT", "available_cores", "parse_workers", "workers_of_server_xml"]

#: More workers than this is taken for a typo (each is a whole process).
MAX_WORKERS = 256

#: What a valid value looks like, for error messages.
WORKERS_HINT = f'workers="auto" (one per core) or an integer from 1 to {MAX_WORKERS}; 1 (the default) is one process'


def available_cores() -> int:
    """The cores this process may run on (at least 1)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def parse_workers(text: str) -> int:
    """``"auto"`` or an integer from 1 to :data:`MAX_WORKERS` as a count;
    raises ValueError with what is wrong otherwise."""
    value = text.strip()
    if value.lower() == "auto":
        return available_cores()
    try:
        count = int(value, 10)
    except ValueError:
        raise ValueError(f"workers must be auto or a whole number, got '{text}'") from None
    if not 1 <= count <= MAX_WORKERS:
        raise ValueError(f"workers must be from 1 to {MAX_WORKERS}, got {count}")
    return count


def workers_of_server_xml(path: str, properties: Mapping[str, str]) -> int:
    """The ``workers`` of ``<Server>`` in *path* (``${name}`` substituted),
    read alone: ``run`` decides on it before it imports the container.
    1 when the file or the value is not right: the one-process start then
    reads the whole file and reports the error with file:line."""
    from catalina_py.config.properties import substitute
    from catalina_py.config.xml import read_xml

    try:
        tree, _ = read_xml(path, "<Server>")
    except (ConfigError, OSError):
        return 1
    value = tree.getroot().get("workers")
    if value is None:
        return 1
    try:
        return parse_workers(substitute(value, properties))
    except ValueError:
        return 1
