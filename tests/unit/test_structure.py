"""The shape of the package, checked from its imports (docs/architecture.md).

Reads every module of ``catalina_py`` as text (nothing is imported) and
fails on:

- an import circle among its modules (every import counts: module level,
  inside functions and under ``TYPE_CHECKING``);
- an import that points up the layers (the table ``LAYERS`` below);
- ``catalina_py/http/`` importing anything but the standard library;
- a reach into another module's private attribute (``other._name``) that
  is not justified with a ``# reach: <why>`` comment on its line, or more
  than ``MAX_REACHES`` justified ones.

Run it as a script for a report: ``python tests/unit/test_structure.py``.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "catalina_py"

#: Layers from the bottom up: a module may import its own layer's modules
#: (without circles) and those of lower layers. Longest prefix wins.
LAYERS: dict[str, int] = {
    "catalina_py": 0,  # the package's face: __version__
    "catalina_py.errors": 0,
    "catalina_py.events": 0,
    "catalina_py.lifecycle": 0,
    "catalina_py.http": 1,
    "catalina_py.security": 1,  # pure constraint rules and DIGEST computations
    "catalina_py.event_views": 1,
    "catalina_py.trace_filter": 1,
    "catalina_py.websocket.core": 2,
    "catalina_py.trace": 2,
    "catalina_py.trace_json": 2,
    "catalina_py.config": 2,
    "catalina_py.servlet": 3,
    "catalina_py.session": 4,
    "catalina_py.servlets": 4,
    "catalina_py.realm": 4,  # realms and credential handlers: over config/ (the specs, the XML reader)
    "catalina_py.container": 5,
    "catalina_py.websocket": 6,
    "catalina_py.authenticator": 6,  # the authenticator valves (BASIC, FORM, DIGEST) over container/
    "catalina_py.connector": 6,
    "catalina_py.deploy": 7,
    "catalina_py.cluster": 7,  # the Redis <Cluster>: over the session store and the WebSocket broadcast
    "catalina_py.inspector": 8,
    "catalina_py.manager": 8,  # the Manager webapp's servlets: over deploy/host_deployer.py
    "catalina_py.tour": 8,
    "catalina_py.supervisor": 8,
    "catalina_py.bootstrap": 9,
    "catalina_py.__main__": 10,
}

#: At most this many justified reaches into another module's privates.
MAX_REACHES = 40

STDLIB = frozenset(sys.stdlib_module_names) | {"__future__"}


@dataclass(frozen=True)
class Module:
    name: str
    path: Path
    tree: ast.Module
    lines: list[str]


def modules() -> dict[str, Module]:
    found: dict[str, Module] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        text = path.read_text(encoding="utf-8")
        found[".".join(parts)] = Module(".".join(parts), path, ast.parse(text), text.splitlines())
    return found


def _absolute(module: Module, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.name.split(".")
    if module.path.name != "__init__.py":
        base.pop()
    if node.level > 1:
        base = base[: -(node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports(module: Module, known: dict[str, Module]) -> Iterator[tuple[str, int]]:
    """(imported name, line): every import of the module, resolved to a
    module of the package where it is one, else the top-level name."""
    for node in ast.walk(module.tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(module, node)
            names = [base]
            names += [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in known]
        for name in names:
            target = name
            while target not in known and "." in target:
                target = target.rsplit(".", 1)[0]
            yield (target if target in known else name.split(".")[0]), node.lineno


def graph(known: dict[str, Module]) -> dict[str, set[str]]:
    return {name: {t for t, _ in imports(mod, known) if t in known and t != name} for name, mod in known.items()}


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(v: str) -> None:
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10000))
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def layer(name: str) -> tuple[str, int]:
    parts = name.split(".")
    for n in range(len(parts), 0, -1):
        prefix = ".".join(parts[:n])
        if prefix in LAYERS:
            return prefix, LAYERS[prefix]
    raise AssertionError(f"{name} is in no layer: add it to LAYERS in {__file__}")


def upward_imports(known: dict[str, Module]) -> list[str]:
    wrong = []
    for name, mod in known.items():
        group, rank = layer(name)
        for target, line in imports(mod, known):
            if target not in known or target == name:
                continue
            target_group, target_rank = layer(target)
            if target_rank < rank or target_group == group:
                continue
            if target == "catalina_py" or name.startswith(target + "."):
                continue  # a module's own package face
            wrong.append(
                f"{mod.path.relative_to(ROOT)}:{line}: {name} (layer {rank}) imports {target} " f"(layer {target_rank})"
            )
    return wrong


def private_reaches(known: dict[str, Module]) -> list[tuple[str, int, str, bool]]:
    """(path, line, what, justified): every ``x._name`` whose ``_name`` the
    module does not itself define, with x not self/cls/super(), and every
    ``from m import _name`` of another module."""
    found = []
    for mod in known.values():
        own: set[str] = set()
        for node in ast.walk(mod.tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                own.add(node.name)
            elif (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in ("self", "cls")
            ):
                own.add(node.attr)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                own.add(node.id)
            elif isinstance(node, ast.arg):
                own.add(node.arg)
        rel = str(mod.path.relative_to(ROOT))
        for node in ast.walk(mod.tree):
            what = None
            if isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    if alias.name.startswith("_") and not alias.name.startswith("__"):
                        what = f"import {alias.name}"
            elif isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
                value = node.value
                if isinstance(value, ast.Name) and value.id in ("self", "cls"):
                    continue
                if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "super":
                    continue
                if node.attr in own:
                    continue
                what = node.attr
            if what is None:
                continue
            text = mod.lines[node.lineno - 1]
            end = getattr(node, "end_lineno", node.lineno) or node.lineno
            span = mod.lines[node.lineno - 1 : end]
            justified = any("# reach:" in line for line in span) or "# reach:" in text
            found.append((rel, node.lineno, what, justified))
    return sorted(found)


KNOWN = modules()


def test_no_import_circles() -> None:
    assert circles(graph(KNOWN)) == []


def test_no_upward_imports() -> None:
    assert upward_imports(KNOWN) == []


def test_http_core_imports_only_the_standard_library() -> None:
    wrong = []
    for name, mod in KNOWN.items():
        if not (name == "catalina_py.http" or name.startswith("catalina_py.http.")):
            continue
        for target, line in imports(mod, KNOWN):
            if target.startswith("catalina_py.http") or target.split(".")[0] in STDLIB:
                continue
            wrong.append(f"{mod.path.relative_to(ROOT)}:{line}: {target}")
    assert "catalina_py.http" in KNOWN
    assert wrong == []


def test_private_reaches_are_few_and_justified() -> None:
    reaches = private_reaches(KNOWN)
    unjustified = [f"{p}:{n}: {w}" for p, n, w, ok in reaches if not ok]
    assert unjustified == [], "a reach into another module's privates without a '# reach: why'"
    assert len(reaches) <= MAX_REACHES


def test_the_checks_see_a_circle_and_a_reach() -> None:
    """The checks themselves can fail: a made-up circle and reach are found."""
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == [["a", "b", "c"]]
    tree = ast.parse("def f(other):\n    return other._secret\n")
    fake = {"m": Module("m", PACKAGE / "m.py", tree, ["def f(other):", "    return other._secret"])}
    assert [(n, w, ok) for _, n, w, ok in private_reaches(fake)] == [(2, "_secret", False)]


if __name__ == "__main__":  # pragma: no cover - a report for developers
    edges = graph(KNOWN)
    for component in circles(edges):
        print("circle:", " ".join(component))
    for line in upward_imports(KNOWN):
        print("upward:", line)
    reaches = private_reaches(KNOWN)
    for path, line, what, ok in reaches:
        print(f"reach: {path}:{line}: {what}{'' if ok else '  (not justified)'}")
    print(
        f"{len(circles(edges))} circles, {len(upward_imports(KNOWN))} upward imports, "
        f"{len(reaches)} reaches ({sum(1 for r in reaches if not r[3])} not justified)"
    )
