"""Several catalina_py checkouts side by side: the CATALINA_HOMEs a before/after comparison runs.

``--home DIR[,DIR...]`` in bench/http_hello.py and bench/ws_echo.py names checkouts of catalina_py (for
example the commit before a change and the working tree after it); each runs on the interpreter of its own
``DIR/.venv`` (created by that checkout's ``bin/catalina.sh version`` when missing) with that checkout's
``conf/`` and ``webapps/``, so the same benchmark measures both in interleaved rounds.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path


class HomeError(RuntimeError):
    """A named checkout is not a usable CATALINA_HOME."""


@dataclass(frozen=True)
class CatalinaHome:
    """One checkout of catalina_py, with the short label its rows carry in the tables."""

    path: Path
    label: str

    @property
    def python(self) -> Path:
        """The interpreter of the checkout's own virtual environment."""
        return self.path / ".venv" / "bin" / "python"


def parse_homes(text: str) -> list[CatalinaHome]:
    """``DIR[,DIR...]`` as homes labelled by their directory name (made unique with -2, -3...)."""
    homes: list[CatalinaHome] = []
    labels: set[str] = set()
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        path = Path(part).expanduser().resolve()
        if not (path / "catalina_py").is_dir() or not (path / "bin" / "catalina.sh").exists():
            raise HomeError(f"{path} is not a catalina_py checkout (no catalina_py/ or bin/catalina.sh)")
        label = path.name or "root"
        n = 2
        while label in labels:
            label = f"{path.name}-{n}"
            n += 1
        labels.add(label)
        homes.append(CatalinaHome(path, label))
    if not homes:
        raise HomeError(f"no directory in --home {text!r}")
    return homes


def _imports_from_home(home: CatalinaHome) -> bool:
    """Whether the home's interpreter imports gevent and the home's own catalina_py (not another copy)."""
    if not home.python.exists():
        return False
    probe = subprocess.run(
        [str(home.python), "-c", "import gevent, catalina_py; print(catalina_py.__file__)"],
        cwd="/",
        capture_output=True,
        text=True,
        timeout=60,
    )
    if probe.returncode != 0:
        return False
    return Path(probe.stdout.strip()).resolve().is_relative_to(home.path)


def ensure_venv(home: CatalinaHome) -> None:
    """Creates or refreshes the home's .venv with its own ``bin/catalina.sh version`` if needed."""
    if _imports_from_home(home):
        return
    subprocess.run(
        [str(home.path / "bin" / "catalina.sh"), "version"],
        check=True,
        timeout=900,
        env=dict(os.environ, CATALINA_HOME=str(home.path), CATALINA_BASE=str(home.path)),
        stdout=subprocess.DEVNULL,
    )
    if not _imports_from_home(home):
        raise HomeError(f"{home.python} does not import gevent and {home.path}/catalina_py")


def describe(home: CatalinaHome) -> dict[str, str | bool]:
    """The checkout's commit and whether its tree differs from it, for the JSON results."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", "-C", str(home.path), *args], capture_output=True, text=True, timeout=30)
        return done.stdout.strip() if done.returncode == 0 else "?"

    return {
        "label": home.label,
        "path": str(home.path),
        "commit": git("rev-parse", "--short=12", "HEAD"),
        "dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
    }
