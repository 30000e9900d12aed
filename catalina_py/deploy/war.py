"""WAR files: checking a web archive and expanding it safely, as Tomcat's
``ExpandWar`` does, with the tricks of hostile archives refused.

A WAR is a zip. Before anything is written, :func:`check_entries` (pure:
zip entries in, checked entries or a :class:`WarError` out) refuses the
whole archive when one entry

* has a name that is not a plain relative path: absolute (``/x``), with a
  drive letter (``C:x``), a backslash, a NUL, or an empty, ``.`` or ``..``
  segment (the zip-slip tricks);
* is a symbolic link (Unix mode ``S_IFLNK`` in the external attributes):
  a link written into the webapp could point anywhere;
* is a duplicate (the same name twice, or a name that is both a file and a
  folder): which one would win is up to the unzipper;
* is encrypted, or compressed with a method Python cannot read;
* or when the archive is larger than :class:`WarLimits` allows once
  expanded (entry count, total size, size of one entry): the zip-bomb
  bound. The declared sizes are checked first, and the bytes actually
  written are counted too, so an entry that lies about its size is cut off.

:func:`expand_war` expands into a fresh temporary folder beside the
target (``.<name>.expanding-*`` in appBase, which deployment ignores),
writes ``META-INF/war-tracker`` with the WAR's modification time (Tomcat's
marker: the folder was expanded from that WAR), then renames the folder
into place; on any failure the temporary folder is removed, so a
half-expanded webapp is never served and nothing is left behind.
:func:`expansion_state` says, with Tomcat's rule, whether an existing
folder may be used as it is.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
import time
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

__all__ = [
    "WAR_TRACKER",
    "ExpansionState",
    "WarError",
    "WarLimits",
    "check_entries",
    "check_entry_name",
    "check_war",
    "expand_war",
    "expansion_state",
    "is_expanded",
    "remove_expanded",
    "remove_tree",
]

#: Tomcat's marker of a folder expanded from a WAR; its mtime is the WAR's.
WAR_TRACKER = "META-INF/war-tracker"

_CHUNK = 64 * 1024

#: Compression methods Python's zipfile reads without optional modules.
_METHODS = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED})


@dataclass(frozen=True)
class WarLimits:
    """The bounds a WAR must stay within to be expanded (the zip-bomb
    guard). Tomcat has none; these are generous for a webapp and small
    enough that one archive cannot fill a disk by accident."""

    #: Entries (files and folders) in one WAR.
    max_entries: int = 20_000
    #: Bytes of all files once expanded: 1 GiB.
    max_total_size: int = 1 << 30
    #: Bytes of one file once expanded: 512 MiB.
    max_entry_size: int = 512 << 20


class WarError(Exception):
    """A WAR refused: the archive, the entry (None for the whole archive)
    and why, in one line."""

    def __init__(self, war: str, entry: str | None, reason: str) -> None:
        self.war = war
        self.entry = entry
        self.reason = reason
        where = f"entry [{entry}]" if entry is not None else "the archive"
        super().__init__(f"WAR [{war}] refused, nothing deployed from it: {where} {reason}")


def check_entry_name(name: str) -> str | None:
    """Why the entry name *name* may not be expanded, or None when it is a
    plain relative path (``WEB-INF/web.xml``, ``css/``)."""
    if "\x00" in name:
        return "has a NUL character in its name"
    if "\\" in name:
        return "has a backslash in its name (a Windows path separator)"
    if name.startswith("/"):
        return "is an absolute path"
    if len(name) >= 2 and name[1] == ":" and name[0].isalpha():
        return "starts with a drive letter"
    body = name[:-1] if name.endswith("/") else name
    segments = body.split("/")
    if any(segment == ".." for segment in segments):
        return "has a '..' segment (it would be written outside its folder)"
    if any(segment in ("", ".") for segment in segments):
        return "has an empty or '.' segment (not a plain relative path)"
    if any(":" in segment for segment in segments):
        return "has a ':' in its name (a drive or stream name on Windows)"
    return None


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    mode = info.external_attr >> 16
    return stat.S_IFMT(mode) == stat.S_IFLNK


def check_entries(war: str, entries: Sequence[zipfile.ZipInfo], limits: WarLimits) -> list[zipfile.ZipInfo]:
    """Check every entry of the WAR *war* (its name, for the message)
    before anything is written; returns the entries in order.

    :raises WarError: naming the first entry refused and why.
    """
    if len(entries) > limits.max_entries:
        raise WarError(war, None, f"has {len(entries)} entries, more than the limit of {limits.max_entries}")
    files: set[str] = set()
    folders: set[str] = set()
    total = 0
    for info in entries:
        name = info.filename
        reason = check_entry_name(name)
        if reason is not None:
            raise WarError(war, name, reason)
        if _is_symlink(info):
            raise WarError(war, name, "is a symbolic link")
        if info.flag_bits & 0x1:
            raise WarError(war, name, "is encrypted")
        if info.compress_type not in _METHODS:
            raise WarError(war, name, f"uses compression method {info.compress_type} (only stored and deflated)")
        is_folder = name.endswith("/")
        key = name.rstrip("/")
        parents = key.split("/")[:-1]
        if key in files or key in folders:
            raise WarError(war, name, "is a duplicate name")
        for i in range(1, len(parents) + 1):
            parent = "/".join(parents[:i])
            if parent in files:
                raise WarError(war, name, f"is inside [{parent}], which is also a file")
            folders.add(parent)
        if is_folder:
            folders.add(key)
            continue
        files.add(key)
        if info.file_size > limits.max_entry_size:
            raise WarError(
                war, name, f"expands to {info.file_size} bytes, more than the limit of {limits.max_entry_size}"
            )
        total += info.file_size
        if total > limits.max_total_size:
            raise WarError(war, name, f"takes the expanded size past the limit of {limits.max_total_size} bytes")
    if WAR_TRACKER in files:
        raise WarError(war, WAR_TRACKER, "is the container's own marker file and may not be in a WAR")
    return list(entries)


class ExpansionState(Enum):
    """What :func:`expansion_state` found at the target folder."""

    #: No folder: expand.
    MISSING = "missing"
    #: Expanded from this WAR as it is now (the tracker's mtime matches).
    CURRENT = "current"
    #: Expanded from an older state of the WAR: remove it, expand again.
    STALE = "stale"
    #: A folder without a tracker (put there by hand): used as it is, as
    #: Tomcat does, and never removed by deployment.
    UNTRACKED = "untracked"


def expansion_state(war: str, folder: str) -> ExpansionState:
    """Tomcat's ``ExpandWar.expand`` rule for an existing *folder*: a
    folder with no tracker, or whose tracker has the WAR's mtime, is used as
    it is; one whose tracker differs is stale."""
    if not os.path.isdir(folder):
        return ExpansionState.MISSING
    tracker = os.path.join(folder, *WAR_TRACKER.split("/"))
    try:
        tracked = os.stat(tracker).st_mtime_ns
    except OSError:
        return ExpansionState.UNTRACKED
    return ExpansionState.CURRENT if tracked == os.stat(war).st_mtime_ns else ExpansionState.STALE


def is_expanded(folder: str) -> bool:
    """Whether deployment expanded *folder* from a WAR (it has the tracker),
    rather than someone putting it there by hand."""
    return os.path.isfile(os.path.join(folder, *WAR_TRACKER.split("/")))


def remove_tree(folder: str) -> None:
    """Remove *folder* and all it holds if it exists: a folder of the
    deployer's own making (a side expansion, a retired one); a link is
    unlinked, never followed."""
    if os.path.islink(folder):
        os.unlink(folder)
    elif os.path.isdir(folder):
        shutil.rmtree(folder, ignore_errors=True)


def remove_expanded(folder: str) -> bool:
    """Remove *folder* if deployment expanded it (it has the tracker);
    returns whether it did. A folder put there by hand is left alone."""
    if not is_expanded(folder):
        return False
    shutil.rmtree(folder, ignore_errors=True)
    return not os.path.exists(folder)


def check_war(war: str, limits: WarLimits | None = None) -> None:
    """Check the WAR *war* as :func:`expand_war` would, without writing
    anything (a WAR served from the archive is refused for the same reasons).

    :raises WarError: see :func:`check_entries`; also a file that is not a zip.
    """
    try:
        with zipfile.ZipFile(war) as archive:
            check_entries(war, archive.infolist(), limits or WarLimits())
    except zipfile.BadZipFile as exc:
        raise WarError(war, None, f"is not a valid zip file ({exc})") from None
    except OSError as exc:
        raise WarError(war, None, f"cannot be read: {exc}") from None


def expand_war(war: str, folder: str, limits: WarLimits | None = None) -> None:
    """Expand the WAR *war* into *folder* (which must not exist: remove a
    stale one first), through a temporary folder renamed into place.

    :raises WarError: the archive is not a zip, an entry is refused (see
        :func:`check_entries`), an entry's bytes exceed its declared size or
        fail their CRC, or the folder cannot be written; the temporary
        folder is then removed and *folder* does not exist.
    """
    limits = limits or WarLimits()
    if os.path.lexists(folder):
        raise WarError(war, None, f"cannot be expanded: [{folder}] already exists")
    parent = os.path.dirname(os.path.abspath(folder))
    war_mtime = os.stat(war).st_mtime_ns
    temp = tempfile.mkdtemp(prefix=f".{os.path.basename(folder)}.expanding-", dir=parent)
    try:
        try:
            with zipfile.ZipFile(war) as archive:
                entries = check_entries(war, archive.infolist(), limits)
                _write_entries(war, archive, entries, temp, limits)
        except zipfile.BadZipFile as exc:
            raise WarError(war, None, f"is not a valid zip file ({exc})") from None
        except OSError as exc:
            raise WarError(war, None, f"cannot be expanded into [{folder}]: {exc}") from None
        tracker = os.path.join(temp, *WAR_TRACKER.split("/"))
        os.makedirs(os.path.dirname(tracker), exist_ok=True)
        with open(tracker, "wb"):
            pass
        os.utime(tracker, ns=(war_mtime, war_mtime))
        os.rename(temp, folder)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise


def _write_entries(
    war: str, archive: zipfile.ZipFile, entries: list[zipfile.ZipInfo], root: str, limits: WarLimits
) -> None:
    """Write the checked *entries* under the fresh folder *root*. Every
    path is also checked to stay inside *root* (a second line of defence)
    and opened with ``O_EXCL | O_NOFOLLOW``; the bytes are counted against
    the declared size and the limits, whatever the header says."""
    real_root = os.path.realpath(root)
    written = 0
    for info in entries:
        name = info.filename
        target = os.path.join(real_root, *name.rstrip("/").split("/"))
        if os.path.commonpath([real_root, os.path.realpath(target)]) != real_root:
            raise WarError(war, name, "would be written outside its folder")
        if name.endswith("/"):
            os.makedirs(target, exist_ok=True)
            continue
        os.makedirs(os.path.dirname(target), exist_ok=True)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
        fd = os.open(target, flags, 0o644)
        size = 0
        try:
            with archive.open(info) as source, os.fdopen(fd, "wb") as out:
                while True:
                    block = source.read(_CHUNK)
                    if not block:
                        break
                    size += len(block)
                    written += len(block)
                    if size > info.file_size or size > limits.max_entry_size:
                        raise WarError(war, name, "holds more bytes than its header declares (a zip bomb?)")
                    if written > limits.max_total_size:
                        raise WarError(
                            war, name, f"takes the expanded size past the limit of {limits.max_total_size} bytes"
                        )
                    out.write(block)
        except zipfile.BadZipFile as exc:
            raise WarError(war, name, f"is corrupt ({exc})") from None
        if info.date_time != (1980, 1, 1, 0, 0, 0):
            # Tomcat keeps each entry's time (Last-Modified of static files).
            stamp = time.mktime((*info.date_time, 0, 0, -1))
            os.utime(target, (stamp, stamp))
