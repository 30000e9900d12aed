"""The access log's file: where the lines go, buffering and daily rotation,
as the writer half of Tomcat's ``AccessLogValve``.

Lines go to ``directory/prefix + date + suffix``
(``logs/localhost_access_log.2026-11-22.txt`` by default), a new file each
day (``rotatable``; with ``renameOnRotate`` the current file has no date and
is renamed when the day ends). With ``buffered`` (the default) lines are kept
in memory and written in one ``write`` when they pass 32 KiB, on the first
line of a new second, about once a second from a background greenlet, and on
close -- so there is no system call per request. The date of the file name is
checked once per second, not per line; ``checkExists`` reopens a file that
was deleted, ``maxDays`` removes files older than that.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from typing import BinaryIO

import gevent

from .access_log_dates import compile_date_format

log = logging.getLogger("catalina_py.container.valves.access_log")

__all__ = ["FLUSH_THRESHOLD", "AccessLogFile"]

#: Buffered lines are written out once they hold this many characters.
FLUSH_THRESHOLD = 32 * 1024


class AccessLogFile:
    """The daily-rotated, optionally buffered file of one access log.

    The settings (Tomcat's attribute names in snake case) may be changed
    until :meth:`open`; ``catalina_base`` anchors a relative ``directory``,
    ``clock`` is the time source (replaceable by tests).
    """

    def __init__(self) -> None:
        self.catalina_base: str = os.getcwd()
        self.clock: Callable[[], float] = time.time
        self.directory = "logs"
        self.prefix = "localhost_access_log"
        self.suffix = ".txt"
        self.file_date_format = ".yyyy-MM-dd"
        self.rotatable = True
        self.rename_on_rotate = False
        self.buffered = True
        self.encoding = "UTF-8"
        self.max_days = -1
        self.check_exists = False
        # Runtime state
        self._stamp_format: Callable[[float], str] | None = None
        self._stamp_format_for: str | None = None
        self._date_stamp = ""
        self._file: BinaryIO | None = None
        self._file_path: str | None = None
        self._pending: list[str] = []
        self._pending_chars = 0
        self._second = -1
        self._flusher: gevent.Greenlet | None = None

    # -- opening and closing ------------------------------------------------------
    def open(self) -> None:
        """Open today's file and, when buffered, start the flusher."""
        now = self.clock()
        self._second = int(now)
        self._date_stamp = self._stamp(now)
        self._open()
        if self.buffered:
            self._flusher = gevent.spawn(self._flush_loop)

    def close(self) -> None:
        """Write what is buffered and close the file."""
        flusher, self._flusher = self._flusher, None
        if flusher is not None:
            flusher.kill(block=False)
        self.flush()
        self._close()

    # -- writing --------------------------------------------------------------
    def add(self, line: str, now: float) -> None:
        """Buffer (or write) *line*, without its line separator, logged at *now*."""
        if int(now) != self._second:
            self._new_second(now)
        if self.buffered:
            self._pending.append(line)
            self._pending_chars += len(line)
            if self._pending_chars >= FLUSH_THRESHOLD:
                self.flush()
        else:
            self._write(line + os.linesep)

    def flush(self) -> None:
        """Write the buffered lines to the file now."""
        if not self._pending:
            return
        sep = os.linesep
        text = sep.join(self._pending) + sep
        self._pending = []
        self._pending_chars = 0
        self._write(text)

    def current_file(self) -> str:
        """The path lines are written to now."""
        stamp = "" if self.rename_on_rotate else self._date_stamp
        return os.path.join(self._directory_path(), self.prefix + stamp + self.suffix)

    # -- files ----------------------------------------------------------------
    def _stamp(self, now: float) -> str:
        """The date part of the file name for time *now*."""
        if not self.rotatable:
            return ""
        if self._stamp_format is None or self._stamp_format_for != self.file_date_format:
            self._stamp_format = compile_date_format(self.file_date_format)
            self._stamp_format_for = self.file_date_format
        return self._stamp_format(now)

    def _directory_path(self) -> str:
        directory = os.path.expanduser(self.directory)
        if not os.path.isabs(directory):
            directory = os.path.join(self.catalina_base, directory)
        return directory

    def _open(self) -> None:
        path = self.current_file()
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            self._file = open(path, "ab", buffering=0)  # noqa: SIM115 - held open across calls
            self._file_path = path
        except OSError as exc:
            log.error("Failed to open access log file [%s]: %s", path, exc)
            self._file = None
            self._file_path = None
            return
        if self.rotatable and self.max_days > 0:
            self._delete_old_files()

    def _close(self) -> None:
        file, self._file = self._file, None
        if file is not None:
            try:
                file.close()
            except OSError as exc:
                log.error("Failed to close access log file: %s", exc)

    def _new_second(self, now: float) -> None:
        """Once per second: flush, then rotate if the date stamp changed,
        or reopen a file that is missing."""
        self._second = int(now)
        if self._pending:
            self.flush()
        stamp = self._stamp(now)
        if stamp != self._date_stamp:
            self._rotate(stamp)
        elif self._file is None or (
            self.check_exists and self._file_path is not None and not os.path.exists(self._file_path)
        ):
            self._close()
            self._open()

    def _rotate(self, stamp: str) -> None:
        """Close the current file and start the one of *stamp*."""
        old_stamp, self._date_stamp = self._date_stamp, stamp
        self._close()
        if self.rename_on_rotate and self._file_path is not None:
            directory = os.path.dirname(self._file_path)
            target = os.path.join(directory, self.prefix + old_stamp + self.suffix)
            if os.path.exists(target):
                log.error(
                    "Failed to rename access log from [%s] to [%s], file already exists.", self._file_path, target
                )
            else:
                try:
                    os.rename(self._file_path, target)
                except OSError as exc:
                    log.error("Failed to rename access log from [%s] to [%s]: %s", self._file_path, target, exc)
        self._open()

    def _delete_old_files(self) -> None:
        """Remove this log's files last modified more than maxDays ago."""
        directory = self._directory_path()
        limit = self.clock() - self.max_days * 86400
        try:
            names = os.listdir(directory)
        except OSError:
            return
        for name in names:
            if self.prefix and not name.startswith(self.prefix):
                continue
            if self.suffix and not name.endswith(self.suffix):
                continue
            if not self.prefix and not self.suffix:
                continue
            path = os.path.join(directory, name)
            if path == self._file_path:
                continue
            try:
                if os.path.isfile(path) and os.path.getmtime(path) < limit:
                    os.remove(path)
            except OSError as exc:
                log.error("Failed to delete old access log [%s]: %s", path, exc)

    def _write(self, text: str) -> None:
        file = self._file
        if file is None:
            return  # the file could not be opened; retried once a second
        try:
            file.write(text.encode(self.encoding, "replace"))
        except OSError as exc:
            log.error("Failed to write access log: %s", exc)

    def _flush_loop(self) -> None:
        """Background greenlet: flush about once a second, so lines show up
        even when traffic stops."""
        while True:
            gevent.sleep(1.0)
            try:
                if self._pending:
                    self.flush()
            except Exception:  # pragma: no cover - logged, never fatal
                log.exception("Access log flush failed")
