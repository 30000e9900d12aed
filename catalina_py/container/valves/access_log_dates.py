"""Dates for the access log: Java ``SimpleDateFormat`` patterns (the
``%{...}t`` codes and the file name's ``fileDateFormat``) and the Common Log
Format time of ``%t``, all in the local time zone.
"""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["clf", "compile_date_format"]

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _tz_offset(tm: time.struct_time, colon: bool = False) -> str:
    offset = tm.tm_gmtoff or 0
    sign = "-" if offset < 0 else "+"
    hours, minutes = divmod(abs(offset) // 60, 60)
    return f"{sign}{hours:02d}:{minutes:02d}" if colon else f"{sign}{hours:02d}{minutes:02d}"


def clf(seconds: int) -> str:
    """``[22/Nov/2026:03:04:05 +0000]`` in the local time zone."""
    tm = time.localtime(seconds)
    return "[%02d/%s/%04d:%02d:%02d:%02d %s]" % (
        tm.tm_mday,
        _MONTHS[tm.tm_mon - 1][:3],
        tm.tm_year,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec,
        _tz_offset(tm),
    )


def _sdf_field(letter: str, count: int) -> Callable[[time.struct_time, int], str]:
    """The formatter of one Java ``SimpleDateFormat`` field: *letter*
    repeated *count* times. Gets the local time and the milliseconds."""

    def num(get: Callable[[time.struct_time], int]) -> Callable[[time.struct_time, int], str]:
        width = count
        return lambda tm, ms: str(get(tm)).zfill(width)

    if letter == "y":
        if count == 2:
            return lambda tm, ms: "%02d" % (tm.tm_year % 100)
        return num(lambda tm: tm.tm_year)
    if letter == "M":
        if count >= 4:
            return lambda tm, ms: _MONTHS[tm.tm_mon - 1]
        if count == 3:
            return lambda tm, ms: _MONTHS[tm.tm_mon - 1][:3]
        return num(lambda tm: tm.tm_mon)
    if letter == "E":
        if count >= 4:
            return lambda tm, ms: _DAYS[tm.tm_wday]
        return lambda tm, ms: _DAYS[tm.tm_wday][:3]
    simple: dict[str, Callable[[time.struct_time], int]] = {
        "d": lambda tm: tm.tm_mday,
        "D": lambda tm: tm.tm_yday,
        "H": lambda tm: tm.tm_hour,
        "k": lambda tm: tm.tm_hour or 24,
        "K": lambda tm: tm.tm_hour % 12,
        "h": lambda tm: tm.tm_hour % 12 or 12,
        "m": lambda tm: tm.tm_min,
        "s": lambda tm: tm.tm_sec,
        "u": lambda tm: tm.tm_wday + 1,
    }
    if letter in simple:
        return num(simple[letter])
    if letter == "S":
        # Tomcat's reading of S: "SSS" is the zero-padded milliseconds,
        # a lone "S" the plain number.
        if count >= 3:
            return lambda tm, ms: "%03d" % ms
        return lambda tm, ms: str(ms)
    if letter == "a":
        return lambda tm, ms: "AM" if tm.tm_hour < 12 else "PM"
    if letter == "G":
        return lambda tm, ms: "AD"
    if letter == "z":
        return lambda tm, ms: tm.tm_zone or _tz_offset(tm)
    if letter == "Z":
        return lambda tm, ms: _tz_offset(tm)
    if letter == "X":

        def iso(tm: time.struct_time, ms: int) -> str:
            if not tm.tm_gmtoff:
                return "Z"
            text = _tz_offset(tm, colon=count >= 3)
            return text[:3] if count == 1 else text

        return iso
    raise ValueError(f"unsupported date format letter {letter!r}")


def compile_date_format(fmt: str) -> Callable[[float], str]:
    """Compile a Java ``SimpleDateFormat`` pattern (the common subset:
    ``G y M d D E u H k K h a m s S z Z X`` and ``'quoted text'``) into a
    function of a timestamp, formatted in the local time zone. Results are
    cached per second unless the pattern shows milliseconds. Raises
    ValueError for letters it does not know."""
    parts: list[str | Callable[[time.struct_time, int], str]] = []
    uses_ms = False
    i, n = 0, len(fmt)
    while i < n:
        ch = fmt[i]
        if ch == "'":
            end = fmt.find("'", i + 1)
            if end == i + 1:  # '' is a literal quote
                parts.append("'")
                i += 2
                continue
            if end < 0:
                raise ValueError(f"unterminated quote in date format {fmt!r}")
            parts.append(fmt[i + 1 : end].replace("''", "'"))
            i = end + 1
            continue
        if ch.isascii() and ch.isalpha():
            j = i
            while j < n and fmt[j] == ch:
                j += 1
            parts.append(_sdf_field(ch, j - i))
            uses_ms = uses_ms or ch == "S"
            i = j
            continue
        parts.append(ch)
        i += 1
    plan = tuple(parts)

    def render(timestamp: float) -> str:
        seconds, ms = divmod(round(timestamp * 1000), 1000)
        tm = time.localtime(seconds)
        return "".join(p if isinstance(p, str) else p(tm, ms) for p in plan)

    if uses_ms:
        return render
    last_second: int | None = None
    last_text = ""

    def cached(timestamp: float) -> str:
        nonlocal last_second, last_text
        seconds = int(timestamp)
        if seconds != last_second:
            last_second = seconds
            last_text = render(seconds)
        return last_text

    return cached
