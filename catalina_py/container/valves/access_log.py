"""``AccessLogValve``: one line per request, as Tomcat's ``AccessLogValve``.

The line is described by a *pattern* of ``%`` codes, compiled once by
:mod:`.access_log_pattern` (its dates by :mod:`.access_log_dates`); it goes
to a daily file, buffered, written by :mod:`.access_log_file`. This module is the valve that joins them: its
server.xml attributes, its lifecycle, and the two ways a completed request
reaches it -- :meth:`AccessLogValve.log_access` with the request, response
and elapsed time (what ``CoyoteAdapter`` calls for the valves on the
request's path), and :meth:`AccessLogValve.on_event` with the event
stream's ``RequestCompleted`` (the same, for a valve subscribed to the
bus). The valve's
``invoke`` just passes the request on.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, cast

from ...events import RequestCompleted
from ...lifecycle import LifecycleState
from ..pipeline import ValveBase, to_bool
from .access_log_dates import compile_date_format
from .access_log_file import AccessLogFile
from .access_log_pattern import Element, LoggedRequest, LoggedResponse, compile_pattern

__all__ = ["AccessLogValve"]


# -- attribute converters -------------------------------------------------------


def _pattern(value: str) -> str:
    compile_pattern(value)  # ValueError for a bad %{...}t format
    return value


def _date_format(value: str) -> str:
    compile_date_format(value)
    return value


def _encoding(value: str) -> str:
    try:
        codecs.lookup(value)
    except LookupError:
        raise ValueError(f"unknown character encoding {value!r}") from None
    return value


class _FileSetting:
    """A valve attribute that is really its :class:`AccessLogFile`'s."""

    def __set_name__(self, _owner: type, name: str) -> None:
        self.name = name

    def __get__(self, valve: AccessLogValve | None, _owner: type) -> Any:  # Any: str, bool or int by name
        if valve is None:
            return self
        return getattr(valve.log_file, self.name)

    def __set__(self, valve: AccessLogValve, value: object) -> None:
        setattr(valve.log_file, self.name, value)


class AccessLogValve(ValveBase):
    """Writes an access log line for each request, to a daily file.

    Attributes (Tomcat's names, see ``docs/valves.md``): ``directory``,
    ``prefix``, ``suffix``, ``fileDateFormat``, ``pattern``, ``rotatable``,
    ``renameOnRotate``, ``buffered``, ``encoding``, ``maxDays``,
    ``checkExists``, ``enabled``, ``condition``/``conditionUnless``,
    ``conditionIf``; ``requestAttributesEnabled``, ``locale``,
    ``ipv6Canonical`` and ``maxLogMessageBufferSize`` are accepted and
    ignored.

    ``catalina_base`` (set by the bootstrap) anchors a relative
    ``directory``; ``clock`` (``time.time`` by default) is the time source,
    replaceable by tests. The file settings live on :attr:`log_file`.
    """

    ATTRIBUTES: ClassVar[Mapping[str, Callable[[str], Any]]] = {
        "directory": str,
        "prefix": str,
        "suffix": str,
        "fileDateFormat": _date_format,
        "pattern": _pattern,
        "rotatable": to_bool,
        "renameOnRotate": to_bool,
        "buffered": to_bool,
        "encoding": _encoding,
        "maxDays": int,
        "checkExists": to_bool,
        "enabled": to_bool,
        "condition": str,
        "conditionUnless": str,
        "conditionIf": str,
        "requestAttributesEnabled": to_bool,
        "locale": str,
        "ipv6Canonical": to_bool,
        "maxLogMessageBufferSize": int,
    }

    catalina_base = _FileSetting()
    clock = _FileSetting()
    directory = _FileSetting()
    prefix = _FileSetting()
    suffix = _FileSetting()
    file_date_format = _FileSetting()
    rotatable = _FileSetting()
    rename_on_rotate = _FileSetting()
    buffered = _FileSetting()
    encoding = _FileSetting()
    max_days = _FileSetting()
    check_exists = _FileSetting()

    def __init__(self) -> None:
        super().__init__()
        #: Where the lines go (the file settings above are its attributes).
        self.log_file = AccessLogFile()
        self.pattern = "common"
        self.enabled = True
        self.condition: str | None = None
        self.condition_unless: str | None = None
        self.condition_if: str | None = None
        # Accepted for Tomcat's server.xml files; they change nothing here.
        self.request_attributes_enabled = False
        self.locale = ""
        self.ipv6_canonical = False
        self.max_log_message_buffer_size = 256
        # The compiled pattern, and the pattern it was compiled from.
        self._compiled_for: str | None = None
        self._template = ""
        self._elements: tuple[Element, ...] = ()

    def lifecycle_name(self) -> str:
        return "AccessLogValve"

    # -- lifecycle ------------------------------------------------------------
    def start_internal(self) -> None:
        """Compile the pattern, open today's file, start the flusher."""
        self._compile()
        self.log_file.open()

    def stop_internal(self) -> None:
        """Write what is buffered and close the file."""
        self.log_file.close()

    # -- logging --------------------------------------------------------------
    def on_event(self, event: RequestCompleted) -> None:
        """The event stream's way in: log the request ``event`` completed."""
        self.log_access(cast(LoggedRequest, event.request), cast(LoggedResponse, event.response), event.elapsed)

    def log_access(self, request: LoggedRequest, response: LoggedResponse, elapsed: float) -> None:
        """Format the line of a completed request and buffer (or write) it."""
        if self.state is not LifecycleState.STARTED or not self.enabled:
            return
        if (self.condition or self.condition_unless or self.condition_if) and not self._wanted(request):
            return
        if self._compiled_for is not self.pattern:
            self._compile()
        log_file = self.log_file
        now = log_file.clock()
        line = self._template % tuple([e(request, response, elapsed, now) for e in self._elements])
        log_file.add(line, now)

    def format_line(
        self, request: LoggedRequest, response: LoggedResponse, elapsed: float, now: float | None = None
    ) -> str:
        """The line :meth:`log_access` would write (without the newline)."""
        if self._compiled_for is not self.pattern:
            self._compile()
        if now is None:
            now = self.clock()
        return self._template % tuple([e(request, response, elapsed, now) for e in self._elements])

    def flush(self) -> None:
        """Write the buffered lines to the file now."""
        self.log_file.flush()

    def current_file(self) -> str:
        """The path lines are written to now."""
        return self.log_file.current_file()

    def _wanted(self, request: LoggedRequest) -> bool:
        unless = self.condition_unless or self.condition
        if unless and request.get_attribute(unless) is not None:
            return False
        return not (self.condition_if and request.get_attribute(self.condition_if) is None)

    def _compile(self) -> None:
        pattern = self.pattern
        self._template, self._elements = compile_pattern(pattern or "")
        self._compiled_for = pattern
