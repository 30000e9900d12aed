"""Saving sessions across a restart, as Tomcat's ``StandardManager`` does
with ``SESSIONS.ser`` -- but as data, never as code.

Tomcat serialises session objects with Java serialisation; the Python
equivalent (pickle) would run code chosen by whoever can write the file.
Here the file is JSON: session ids, times, interval and attribute values
that are *plain data* -- ``str``, ``int``, ``float`` (finite), ``bool``,
``None``, ``list`` and ``dict`` with ``str`` keys, nested. Anything else
(a tuple, a set, an object, a cycle, ``nan``) cannot be saved faithfully:
:func:`plain_data_problem` names the reason and the manager logs a WARNING
and drops that attribute from the saved copy.

Reading (:func:`read_sessions_file`) only parses JSON and checks every
field's type; it cannot execute anything. The file layout::

    {"format": "catalina_py.sessions", "version": 1, "saved": 1700000000.0,
     "sessions": [{"id": "...", "creation_time": 1.0, "last_accessed_time": 2.0,
                   "this_accessed_time": 2.0, "max_inactive_interval": 1800,
                   "is_new": false, "attributes": {"name": <plain data>}}]}
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
from dataclasses import dataclass, field
from typing import Any, Protocol

#: The value of the file's ``format`` member.
FILE_FORMAT = "catalina_py.sessions"
#: The version of the layout this module writes and reads.
FILE_VERSION = 1
#: How deep plain data may nest (lists and dicts) to be saved.
MAX_DEPTH = 64
#: What a saved session id may look like (it goes into cookies and URLs).
_SESSION_ID = re.compile(r"[A-Za-z0-9._\-]{1,256}")

__all__ = [
    "FILE_FORMAT",
    "FILE_VERSION",
    "MAX_DEPTH",
    "SavedSession",
    "SessionFileError",
    "SharedSessionStore",
    "StoreUnavailableError",
    "parse_saved_session",
    "plain_data_problem",
    "read_sessions_file",
    "write_sessions_file",
]


class SessionFileError(ValueError):
    """The sessions file is not one this module wrote (not JSON, or a
    member of the wrong type); the message says what is wrong."""


@dataclass
class SavedSession:
    """One session as it is written to and read from the sessions file."""

    id: str
    creation_time: float
    last_accessed_time: float
    this_accessed_time: float
    max_inactive_interval: int
    is_new: bool = False
    attributes: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "creation_time": self.creation_time,
            "last_accessed_time": self.last_accessed_time,
            "this_accessed_time": self.this_accessed_time,
            "max_inactive_interval": self.max_inactive_interval,
            "is_new": self.is_new,
            "attributes": self.attributes,
        }

    def is_expired(self, now: float) -> bool:
        """Whether the session's inactivity timeout passed by *now*."""
        interval = self.max_inactive_interval
        return interval > 0 and now - self.this_accessed_time >= interval


class StoreUnavailableError(OSError):
    """A shared session store cannot be reached now (its server is down):
    the manager goes on with the copies it holds in memory."""


class SharedSessionStore(Protocol):
    """Where the sessions of every instance live (``<Cluster>``'s Redis):
    records are :class:`SavedSession` s, the attributes plain data. Each
    method raises :class:`StoreUnavailableError` when the store cannot be
    reached, and never blocks for longer than its short timeout."""

    def load_session(self, context_key: str, session_id: str) -> SavedSession | None:
        """The stored session, or None when there is none (or it expired)."""

    def save_session(self, context_key: str, saved: SavedSession) -> None:
        """Store *saved*; it expires after its max inactive interval."""

    def delete_session(self, context_key: str, session_id: str) -> None:
        """Forget a session (invalidated, or its id changed)."""


def plain_data_problem(value: Any) -> str | None:
    """Why *value* cannot be saved as plain JSON data, or None if it can.

    Exact types are required (a ``str`` or ``int`` subclass such as an enum
    would come back as its base type, so it is refused, as is a tuple,
    which would come back as a list)."""
    return _problem(value, 0, set())


def _problem(value: Any, depth: int, active: set[int]) -> str | None:
    kind = type(value)
    if value is None or kind is str or kind is bool or kind is int:
        return None
    if kind is float:
        return None if math.isfinite(value) else f"the float {value!r} has no JSON form"
    if kind is list or kind is dict:
        if depth >= MAX_DEPTH:
            return f"it nests deeper than {MAX_DEPTH} levels"
        if id(value) in active:
            return "it contains itself"
        active.add(id(value))
        try:
            if kind is list:
                for index, item in enumerate(value):
                    problem = _problem(item, depth + 1, active)
                    if problem is not None:
                        return f"item {index}: {problem}"
            else:
                for key, item in value.items():
                    if type(key) is not str:
                        return f"the dict key {key!r} is a {type(key).__name__}, not a str"
                    problem = _problem(item, depth + 1, active)
                    if problem is not None:
                        return f"key {key!r}: {problem}"
        finally:
            active.discard(id(value))
        return None
    name = kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
    return f"a {name} is not plain data"


def write_sessions_file(path: str, sessions: list[SavedSession], saved: float) -> None:
    """Write *sessions* to *path* atomically (a temporary file in the same
    folder, then a rename), readable by the owner only: session data may be
    personal. Every attribute must already be plain data."""
    document = {
        "format": FILE_FORMAT,
        "version": FILE_VERSION,
        "saved": saved,
        "sessions": [s.to_json() for s in sessions],
    }
    text = json.dumps(document, allow_nan=False, ensure_ascii=False, indent=1)
    folder = os.path.dirname(path) or "."
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".SESSIONS.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def read_sessions_file(path: str) -> list[SavedSession]:
    """Parse a sessions file. Raises :class:`SessionFileError` for anything
    but the layout :func:`write_sessions_file` produces, and ``OSError`` if
    it cannot be read."""
    with open(path, encoding="utf-8") as source:
        try:
            document = json.load(source, parse_constant=_no_constant)
        except (ValueError, RecursionError) as exc:
            raise SessionFileError(f"not valid JSON: {exc}") from None
    if not isinstance(document, dict):
        raise SessionFileError("the top level is not a JSON object")
    if document.get("format") != FILE_FORMAT:
        raise SessionFileError(f'"format" is not "{FILE_FORMAT}"')
    if document.get("version") != FILE_VERSION:
        raise SessionFileError(f'"version" {document.get("version")!r} is not {FILE_VERSION}')
    entries = document.get("sessions")
    if not isinstance(entries, list):
        raise SessionFileError('"sessions" is not a list')
    result = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        saved = _read_entry(index, entry)
        if saved.id in seen:
            raise SessionFileError(f"session {index}: the id appears twice")
        seen.add(saved.id)
        result.append(saved)
    return result


def parse_saved_session(text: bytes | str) -> SavedSession:
    """One session record as JSON text (a shared store's value), checked
    field by field as the sessions file is. Raises :class:`SessionFileError`."""
    try:
        entry = json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:
        raise SessionFileError(f"not valid JSON: {exc}") from None
    return _read_entry(0, entry)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")


def _read_entry(index: int, entry: Any) -> SavedSession:
    where = f"session {index}"
    if not isinstance(entry, dict):
        raise SessionFileError(f"{where} is not a JSON object")
    session_id = entry.get("id")
    if not isinstance(session_id, str) or not _SESSION_ID.fullmatch(session_id):
        raise SessionFileError(f'{where}: "id" is not a session id')
    times = []
    for key in ("creation_time", "last_accessed_time", "this_accessed_time"):
        value: Any = entry.get(key)  # Any: a JSON value, checked next
        if type(value) not in (int, float) or not math.isfinite(value):
            raise SessionFileError(f'{where}: "{key}" is not a number')
        times.append(float(value))
    interval = entry.get("max_inactive_interval")
    if type(interval) is not int:
        raise SessionFileError(f'{where}: "max_inactive_interval" is not an integer')
    is_new = entry.get("is_new", False)
    if type(is_new) is not bool:
        raise SessionFileError(f'{where}: "is_new" is not a boolean')
    attributes = entry.get("attributes", {})
    if not isinstance(attributes, dict):
        raise SessionFileError(f'{where}: "attributes" is not a JSON object')
    return SavedSession(session_id, times[0], times[1], times[2], interval, is_new, attributes)
