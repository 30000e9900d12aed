"""The lifecycle every container component follows, as Tomcat's
``LifecycleBase``: ``start()`` and ``stop()`` move a component through its
states and call the ``start_internal``/``stop_internal`` hooks, so the
order in which a server comes up and goes down is the same everywhere."""

from __future__ import annotations

import enum
import logging

log = logging.getLogger("catalina_py.lifecycle")


class LifecycleState(enum.Enum):
    NEW = "NEW"
    STARTING = "STARTING"
    STARTED = "STARTED"
    STOPPING = "STOPPING"
    STOPPED = "STOPPED"
    FAILED = "FAILED"


class LifecycleError(Exception):
    """A component could not start or stop."""


class LifecycleBase:
    """A component with a start/stop lifecycle."""

    state: LifecycleState = LifecycleState.NEW

    def lifecycle_name(self) -> str:
        return type(self).__name__

    def start(self) -> None:
        if self.state in (LifecycleState.STARTING, LifecycleState.STARTED):
            return
        self.state = LifecycleState.STARTING
        try:
            self.start_internal()
        except BaseException:
            self.state = LifecycleState.FAILED
            raise
        self.state = LifecycleState.STARTED
        log.debug("started %s", self.lifecycle_name())

    def stop(self) -> None:
        if self.state not in (LifecycleState.STARTED, LifecycleState.FAILED, LifecycleState.STARTING):
            return
        self.state = LifecycleState.STOPPING
        try:
            self.stop_internal()
        finally:
            self.state = LifecycleState.STOPPED
            log.debug("stopped %s", self.lifecycle_name())

    def is_available(self) -> bool:
        return self.state is LifecycleState.STARTED

    def start_internal(self) -> None:
        """Override: bring the component up."""

    def stop_internal(self) -> None:
        """Override: release what start_internal acquired."""
