"""A webapp's files as resources, whether they are in a folder or in a
WAR served without expanding it (Tomcat's ``WebResourceRoot`` with a
``DirResourceSet`` or a ``WarResourceSet``).

The DefaultServlet, the Mapper's welcome-file rule and
``ServletContext.get_resource*`` ask for a :class:`WebResource` by its
webapp path (``/index.html``) and read its length, its modification time
and its bytes, without knowing where it lives:

* in a folder, :func:`file_resource` wraps what ``get_real_path`` resolved
  (the context's link and ``WEB-INF`` rules apply there);
* in an archive, :class:`ArchiveResources` (set on the ServletContext as
  the attribute :data:`RESOURCES_ATTR`, as Tomcat does) indexes the zip's
  entries once and opens an entry for each read. Such a resource has no
  real path: ``get_real_path`` answers None, as Tomcat does for an
  unexpanded WAR.
"""

from __future__ import annotations

import os
import stat
import threading
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO, cast

__all__ = ["RESOURCES_ATTR", "ArchiveResources", "WebResource", "file_resource", "is_archive"]

#: The ServletContext attribute holding the :class:`ArchiveResources` of a
#: webapp served from its archive (Tomcat's ``Globals.RESOURCES_ATTR``).
RESOURCES_ATTR = "org.apache.catalina.resources"


def is_archive(doc_base: str) -> bool:
    """Whether *doc_base* is a WAR file to be served without expanding it."""
    return doc_base.lower().endswith(".war") and os.path.isfile(doc_base)


@dataclass(frozen=True)
class WebResource:
    """One file or folder of a webapp, by its webapp path."""

    path: str
    is_directory: bool
    length: int
    #: Seconds since the epoch.
    last_modified: float
    #: The file system path, None inside an archive.
    real_path: str | None
    opener: Callable[[], BinaryIO] | None = None

    def open(self) -> BinaryIO:
        """The file's bytes, for reading (the caller closes it)."""
        if self.opener is None:
            raise IsADirectoryError(self.path)
        return self.opener()


def file_resource(path: str, real_path: str | None) -> WebResource | None:
    """The resource of a file system path (a regular file or a folder), or
    None when there is none (or it is a device, a socket...)."""
    if real_path is None:
        return None
    try:
        st = os.stat(real_path)
    except OSError:
        return None
    if stat.S_ISDIR(st.st_mode):
        return WebResource(path, True, 0, st.st_mtime, real_path)
    if not stat.S_ISREG(st.st_mode):
        return None

    def opener() -> BinaryIO:
        return open(real_path, "rb")

    return WebResource(path, False, st.st_size, st.st_mtime, real_path, opener)


def _entry_time(info: zipfile.ZipInfo) -> float:
    return time.mktime((*info.date_time, 0, 0, -1))


class ArchiveResources:
    """The entries of a zip (a WAR) as webapp resources, read in place.

    Folders that have no entry of their own (``a/`` for an entry ``a/b``)
    exist too, with the archive's time. Names are looked up exactly as the
    normalised request path gives them; a path with a ``..``, ``.`` or empty
    segment, a backslash or a NUL finds nothing.
    """

    def __init__(self, archive: str) -> None:
        self.archive = archive
        self._zip = zipfile.ZipFile(archive)
        self._lock = threading.Lock()
        self._mtime = os.stat(archive).st_mtime
        #: entry name (no trailing slash) -> its info, for files
        self.files: dict[str, zipfile.ZipInfo] = {}
        #: folder name (no trailing slash) -> its time
        self.folders: dict[str, float] = {"": self._mtime}
        for info in self._zip.infolist():
            name = info.filename.rstrip("/")
            parts = name.split("/")
            for i in range(1, len(parts)):
                self.folders.setdefault("/".join(parts[:i]), self._mtime)
            if info.filename.endswith("/"):
                self.folders[name] = _entry_time(info)
            else:
                self.files[name] = info

    @staticmethod
    def entry_name(path: str) -> str | None:
        """The entry name of a webapp path (``/a/b.txt`` -> ``a/b.txt``, ``/``
        -> ""), or None for a path that is not plain."""
        name = path.strip("/")
        if "\x00" in name or "\\" in name:
            return None
        if name and any(part in ("", ".", "..") for part in name.split("/")):
            return None
        return name

    def get(self, path: str) -> WebResource | None:
        """The resource at the webapp path *path*, or None."""
        name = self.entry_name(path)
        if name is None:
            return None
        info = self.files.get(name)
        if info is not None and not path.endswith("/"):
            return WebResource(
                path, False, info.file_size, _entry_time(info), None, lambda: self.open_entry(info.filename)
            )
        folder = self.folders.get(name)
        if folder is not None:
            return WebResource(path, True, 0, folder, None)
        return None

    def list(self, path: str) -> list[str] | None:
        """The names directly inside the folder *path* (folders end with
        ``/``), sorted; None when *path* is not a folder."""
        name = self.entry_name(path)
        if name is None or name not in self.folders:
            return None
        prefix = name + "/" if name else ""
        found = set()
        for candidates, suffix in ((self.files, ""), (self.folders, "/")):
            for entry in candidates:
                if entry and entry.startswith(prefix) and "/" not in entry[len(prefix) :]:
                    found.add(entry[len(prefix) :] + suffix)
        return sorted(found)

    def open_entry(self, name: str) -> BinaryIO:
        """The bytes of the entry *name* (seekable, for byte ranges)."""
        with self._lock:
            return cast(BinaryIO, self._zip.open(name))

    def read(self, name: str) -> bytes | None:
        """The whole entry *name*, or None when there is none."""
        if name not in self.files:
            return None
        with self.open_entry(name) as entry:
            return entry.read()

    def close(self) -> None:
        """Close the archive (the context stopped)."""
        self._zip.close()
