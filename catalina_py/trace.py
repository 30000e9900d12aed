"""Connection traces, for learners: one log line per step a connection
takes through the container — accept, parse, map, servlet, response,
upgrade, frames, close — tagged with a connection number, so the path
described in docs/upgrade.md can be watched live.

Off by default (each hook costs one flag check). Turn it on with
``bin/catalina.sh run --trace`` or ``CATALINA_TRACE=1``; the lines go to the
``catalina_py.trace`` logger (``logs/catalina.out`` for a background
server).
"""

from __future__ import annotations

import itertools
import logging

log = logging.getLogger("catalina_py.trace")

#: Whether the hooks write anything; set once at start-up by enable().
ENABLED = False

_numbers = itertools.count(1)


def enable(on: bool = True) -> None:
    """Switch tracing on (or off) for connections accepted from now on."""
    global ENABLED
    ENABLED = on


def new_connection() -> int:
    """A number for a new connection's trace lines."""
    return next(_numbers)


def trace(connection: int, step: str, detail: str) -> None:
    """Write one trace line: ``[conn 7] map      /examples -> HelloWorldExample``."""
    log.info("[conn %d] %-9s %s", connection, step, detail)
