"""The two deployments of the differential webapp: Tomcat's (Java classes
compiled here) and catalina_py's (the Python twin), from one source tree.

Both copies get the same extra files and the same modification times, so
that ``ETag`` and ``Last-Modified`` (derived from size and mtime) can be
compared as they are.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from tests.tomcat import compile_classes

HERE = Path(__file__).resolve().parent
WEBAPP = HERE / "webapp"
JAVA = HERE / "java"
#: The context path both servers deploy the webapp at.
CONTEXT = "diff"
#: Modification time of every file of both copies (2023-11-14T22:13:20Z).
MTIME = 1_700_000_000
#: The file range requests read: 20,000 bytes of a known pattern.
BIG = bytes((i * 7 + 3) % 251 for i in range(20_000))


def _finish(root: Path) -> None:
    """Adds the generated files and pins every mtime."""
    (root / "static" / "big.bin").write_bytes(BIG)
    (root / "static" / "empty.txt").write_bytes(b"")
    (root / "static" / "emptydir").mkdir(exist_ok=True)
    for path in sorted(root.rglob("*"), reverse=True):
        os.utime(path, (MTIME, MTIME), follow_symlinks=False)
    os.utime(root, (MTIME, MTIME))


def _not_for_java(directory: str, names: list[str]) -> set[str]:
    """The Python classes (and their caches) are left out of Tomcat's copy."""
    if Path(directory).name == "classes":
        return {n for n in names if n.endswith(".py") or n == "__pycache__"}
    return {n for n in names if n == "__pycache__"}


def python_webapp(dest: Path) -> Path:
    """The webapp as catalina_py deploys it (the Python classes)."""
    shutil.copytree(WEBAPP, dest, ignore=shutil.ignore_patterns("__pycache__"))
    _finish(dest)
    return dest


def java_webapp(dest: Path) -> Path:
    """The webapp as Tomcat deploys it: the Java classes compiled with
    javac against Tomcat's API jars instead of the Python ones."""
    shutil.copytree(WEBAPP, dest, ignore=_not_for_java)
    compile_classes(sorted((JAVA / "diffapp").glob("*.java")), dest / "WEB-INF" / "classes")
    _finish(dest)
    return dest


#: The symbolic links :func:`add_links` makes under static/: name -> target.
LINKS = {
    "lnk_hello.txt": "hello.txt",
    "lnk_dir": "dir",
    "lnk_webinf": "../WEB-INF",
    "lnk_secret.txt": "../WEB-INF/secret.txt",
    "lnk_metainf": "../META-INF",
    "lnk_outside.txt": "../../../outside.txt",
    "lnk_up": "../..",
}


def add_links(root: Path) -> None:
    """Symbolic links in a deployed webapp ``root`` (made where it is
    deployed, as copying would follow them): to a file and a directory of
    the webapp, into WEB-INF and META-INF, and out of the webapp (to
    ``outside.txt`` next to the ``webapps`` directory and to the appBase)."""
    (root.parent.parent / "outside.txt").write_text("outside the webapp\n")
    for name, target in LINKS.items():
        link = root / "static" / name
        link.symlink_to(target)
        os.utime(link, (MTIME, MTIME), follow_symlinks=False)
