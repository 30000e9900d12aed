"""Errors and warnings shared by the whole container.

``ConfigError`` is raised for a configuration problem found *before*
anything starts (a bad ``server.xml``, ``web.xml`` or properties file), so
that a misconfigured server refuses to start instead of half-starting.
``ConfigWarning`` records a problem that does not stop the server (an
unknown element or attribute, an undefined ``${property}``); the caller
decides how to log it.

Both carry the file and, when known, the line the problem was found on and
render as ``file:line: message`` like a compiler diagnostic.
"""

from __future__ import annotations

from dataclasses import dataclass


def _prefix(file: str | None, line: int | None) -> str:
    """Return the ``file:line: `` prefix used by errors and warnings."""
    if file is None:
        return ""
    if line is None:
        return f"{file}: "
    return f"{file}:{line}: "


@dataclass(frozen=True)
class Location:
    """Where a configuration item was declared: a file and a 1-based line."""

    file: str
    line: int | None = None

    def __str__(self) -> str:
        return self.file if self.line is None else f"{self.file}:{self.line}"


class ConfigError(Exception):
    """A configuration problem found before anything starts.

    ``hint`` describes the expected form of the offending value so the
    message tells the user what to write instead.
    """

    def __init__(
        self,
        message: str,
        file: str | None = None,
        line: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.hint = hint

    @classmethod
    def at(cls, location: Location | None, message: str, hint: str | None = None) -> ConfigError:
        """Build an error located at ``location`` (which may be ``None``)."""
        if location is None:
            return cls(message, hint=hint)
        return cls(message, location.file, location.line, hint)

    def __str__(self) -> str:
        text = _prefix(self.file, self.line) + self.message
        if self.hint:
            text += "\n  expected: " + self.hint
        return text


@dataclass(frozen=True)
class ConfigWarning:
    """A configuration problem that does not prevent start-up."""

    file: str | None
    line: int | None
    message: str

    @classmethod
    def at(cls, location: Location | None, message: str) -> ConfigWarning:
        """Build a warning located at ``location`` (which may be ``None``)."""
        if location is None:
            return cls(None, None, message)
        return cls(location.file, location.line, message)

    def __str__(self) -> str:
        return _prefix(self.file, self.line) + self.message
