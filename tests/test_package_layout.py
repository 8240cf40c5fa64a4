"""The house rules that keep the core reusable: no import circles, no framework in ``cors_wsgi``.

Imports are read from the source (``ast``), including those under ``TYPE_CHECKING``
and inside functions, so a circle hidden from the interpreter is still found.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("cors_wsgi", "flask_cors_ext")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """The project modules ``path`` imports (absolute names), wherever the import statement is."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            found.add(target)
            # "from . import engine" names a module too
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return found


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for package in PACKAGES for p in (ROOT / package).glob("*.py")}
    return {
        name: {
            imported
            for imported in _imports(path)
            if imported in modules and imported != name and not (name == "cors_wsgi" and imported.startswith(name))
        }
        for name, path in modules.items()
    }


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph[node]):
            if target.count(".") == 0:
                continue  # a package's __init__ re-exporting its modules is not a circle between modules
            if state.get(target) == 1:
                return [*stack[stack.index(target) :], target]
            if target not in state:
                found = visit(target)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_no_module_imports_one_that_imports_it() -> None:
    assert _cycle(_graph()) is None


def test_the_compiled_policy_and_the_engine_live_on_one_side_of_the_line() -> None:
    graph = _graph()
    assert "cors_wsgi.engine" in graph["cors_wsgi.policy"]
    assert "cors_wsgi.policy" not in graph["cors_wsgi.engine"]


@pytest.mark.parametrize("path", sorted((ROOT / "cors_wsgi").glob("*.py")), ids=lambda p: p.name)
def test_the_core_never_imports_a_web_framework(path: Path) -> None:
    imported = {name.split(".")[0] for name in _imports(path)}
    assert not imported & {"flask", "werkzeug", "starlette", "fastapi", "django", "flask_cors_ext"}


def test_the_method_tables_have_one_home() -> None:
    definitions = [
        path.name
        for path in (ROOT / "cors_wsgi").glob("*.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, (ast.Assign, ast.AnnAssign))
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Name) and target.id.lstrip("_").endswith("_METHODS")
    ]
    assert sorted(set(definitions)) == ["methods.py"]


def _benchmark_graph() -> dict[str, set[str]]:
    """benchmarks/*.py import each other by top-level name (the directory is put on ``sys.path``)."""
    modules = {path.stem: path for path in (ROOT / "benchmarks").glob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        imported: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                imported.add(node.module.split(".")[0])
        graph[name] = {target for target in imported if target in modules and target != name}
    return graph


def test_no_benchmark_imports_one_that_imports_it() -> None:
    graph = _benchmark_graph()
    assert "_servers" in graph["soak"]  # the graph is read: soak drives servers started by _servers
    named = {f"benchmarks.{name}": {f"benchmarks.{t}" for t in targets} for name, targets in graph.items()}
    assert _cycle(named) is None


def test_the_cycle_finder_finds_a_circle_between_benchmarks() -> None:
    circle = {"benchmarks._servers": {"benchmarks.soak"}, "benchmarks.soak": {"benchmarks._servers"}}
    assert _cycle(circle) == ["benchmarks._servers", "benchmarks.soak", "benchmarks._servers"]
