"""What HostConfig watches of a webapp's files, as comparable values: the
(mtime, size) of a file, the signature of a folder tree or of a webapp's
code, and the rule that a change is acted on only once it has looked the
same twice in a row (so a webapp still being copied is not deployed
half-way). Pure functions over ``os.stat``; no deployment here."""

from __future__ import annotations

import os

__all__ = [
    "CODE_SUFFIXES",
    "FileSig",
    "Signature",
    "TreeSig",
    "code_sig",
    "file_sig",
    "folder_sig",
    "settled",
    "tree_sig",
]

#: Files under WEB-INF/classes and WEB-INF/lib whose change reloads a
#: reloadable context (Tomcat: class files and jars).
CODE_SUFFIXES = (".py", ".whl", ".zip")

#: (mtime in ns, size) of a file; None when it does not exist.
FileSig = tuple[int, int] | None
#: Every file (and folder) of a tree with its mtime and size (-1 for a folder).
TreeSig = frozenset[tuple[str, int, int]]
#: Any watched state: a file's, a tree's, a folder summary, or whether a folder exists.
Signature = FileSig | TreeSig | tuple[int, int, int] | bool


def file_sig(path: str) -> FileSig:
    """(mtime, size) of a file, None when it does not exist."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


def tree_sig(root: str, suffixes: tuple[str, ...] | None = None) -> TreeSig:
    """Every file under *root* (with one of *suffixes*, if given) with its
    mtime and size; folders count too when no suffix filter is given, so a
    removed file or folder changes the signature."""
    entries = set()
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        if suffixes is None:
            sig = file_sig(folder)
            if sig is not None:
                entries.add((folder, sig[0], -1))
        for name in files:
            if suffixes is not None and not name.lower().endswith(suffixes):
                continue
            full = os.path.join(folder, name)
            sig = file_sig(full)
            if sig is not None:
                entries.add((full, *sig))
    return frozenset(entries)


def code_sig(doc_base: str) -> TreeSig:
    """The code of a webapp: the :data:`CODE_SUFFIXES` files under
    WEB-INF/classes and WEB-INF/lib."""
    web_inf = os.path.join(doc_base, "WEB-INF")
    return tree_sig(os.path.join(web_inf, "classes"), CODE_SUFFIXES) | tree_sig(
        os.path.join(web_inf, "lib"), CODE_SUFFIXES
    )


def folder_sig(folder: str) -> tuple[int, int, int]:
    """A summary of a whole folder tree (entries, newest mtime, total size),
    enough to tell whether a new webapp folder is still being copied."""
    entries = tree_sig(folder)
    return (len(entries), max((e[1] for e in entries), default=0), sum(e[2] for e in entries if e[2] >= 0))


def settled(seen: dict[str, Signature], pending: dict[str, Signature], key: str, current: Signature) -> bool:
    """True when *key*'s *current* state differs from the one *seen* at
    deployment and has not changed since the previous check (kept in
    *pending*, which this updates)."""
    if current == seen.get(key):
        pending.pop(key, None)
        return False
    if key not in pending or pending[key] != current:
        pending[key] = current
        return False
    return True
