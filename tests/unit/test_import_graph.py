"""Imports in mach2 point one way: no module reaches itself through its imports.

Every ``import`` counts, wherever it is written: at the top, under ``if TYPE_CHECKING:`` or
inside a function (a late import hides a cycle from the interpreter, not from the reader).
``from package import name`` is an edge to ``package.name`` when that is a module, else to the
package.  The layers are also checked: shared infrastructure never imports a provider family,
and provider families never import the stages above them.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import mach2

PACKAGE = Path(mach2.__file__).resolve().parent


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imported(module: str, path: Path) -> Iterator[str]:
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                source = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                yield submodule if submodule in MODULES else source


def graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        targets = {t for t in _imported(module, path) if t in MODULES and t != module}
        edges[module] = targets
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_the_walk_sees_imports() -> None:
    edges = graph()
    assert "mach2.resolve.factory" in edges["mach2.resolve.resolver"]
    assert "mach2.errors" in edges["mach2.model.target"]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycle() -> None:
    edges = graph()
    found = cycles(edges)
    described = [", ".join(f"{m} -> {sorted(edges[m] & set(c))}" for m in c) for c in found]
    assert not found, "import cycles:\n" + "\n".join(described)


#: Shared infrastructure: what every provider may use; it never imports a provider family.
SHARED = ("mach2.model", "mach2.net", "mach2.errors", "mach2.atomic")
FAMILIES = ("mach2.providers.pypi", "mach2.providers.conda", "mach2.providers.nixpkgs")
#: What sits above the providers (they hand it candidates, never the other way round).
ABOVE_PROVIDERS = ("mach2.resolve", "mach2.lock", "mach2.pipeline", "mach2.api", "mach2.cli",
                   "mach2.emit")  # fmt: skip


def _within(module: str, packages: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def test_layers() -> None:
    wrong = [
        f"{module} imports {target}"
        for module, targets in graph().items()
        for target in sorted(targets)
        if (_within(module, SHARED) and _within(target, FAMILIES + ABOVE_PROVIDERS))
        or (_within(module, ("mach2.providers",)) and _within(target, ABOVE_PROVIDERS))
    ]
    assert not wrong, "\n".join(wrong)
