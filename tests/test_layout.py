"""The shape of the package: one-way layers, no cycles, no hidden imports, short functions."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import grimp

import nerkit

SRC = Path(nerkit.__file__).parent
MAX_FUNCTION_LINES = 80


def _modules():
    return sorted(SRC.rglob("*.py"))


def test_the_layers_contract_is_kept():
    """import-linter's layers contract (pyproject.toml): each layer uses only those below it."""
    lint = Path(sys.executable).with_name("lint-imports")
    root = SRC.parent.parent  # the project, where pyproject.toml is
    done = subprocess.run([str(lint), "--no-cache"], cwd=root, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 kept, 0 broken" in done.stdout


def _cycle(graph: grimp.ImportGraph) -> list[str] | None:
    """One import cycle among nerkit's modules, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        path.append(module)
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            if state.get(imported) == 1:
                return path[path.index(imported) :] + [imported]
            if imported not in state and (found := visit(imported)):
                return found
        path.pop()
        state[module] = 2
        return None

    for module in sorted(graph.modules):
        if module not in state and (found := visit(module)):
            return found
    return None


def test_no_import_cycles_counting_imports_inside_functions():
    graph = grimp.build_graph("nerkit", cache_dir=None)
    # A package's __init__ re-exports its modules; an edge back into it would be a cycle too.
    assert _cycle(graph) is None, " -> ".join(_cycle(graph))


def test_the_checks_see_imports_inside_functions():
    """grimp (under import-linter too) reads imports in function bodies, and a cycle would show."""
    graph = grimp.build_graph("nerkit", include_external_packages=True, cache_dir=None)
    # modeling.store imports transformers only inside its functions.
    assert "transformers" in graph.find_modules_directly_imported_by("nerkit.modeling.store")
    graph.add_import(importer="nerkit.labels", imported="nerkit.cli", line_number=1, line_contents="import")
    assert _cycle(graph) is not None


def _functions(tree):
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node


def test_no_nerkit_import_is_written_inside_a_function():
    """Imports of nerkit's own modules are at the top of a module, where the layers are visible."""
    found = []
    for path in _modules():
        for function in _functions(ast.parse(path.read_text())):
            for node in ast.walk(function):
                relative = isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("nerkit"))
                absolute = isinstance(node, ast.Import) and any(a.name.startswith("nerkit") for a in node.names)
                if relative or absolute:
                    found.append(f"{path.relative_to(SRC)}:{node.lineno} in {function.name}()")
    assert not found, found


def test_no_function_is_longer_than_80_lines():
    long = [
        f"{path.relative_to(SRC)}:{f.lineno} {f.name}() has {f.end_lineno - f.lineno + 1} lines"
        for path in _modules()
        for f in _functions(ast.parse(path.read_text()))
        if f.end_lineno - f.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert not long, long


def test_the_public_api_is_listed_and_importable():
    assert len(nerkit.__all__) == len(set(nerkit.__all__))
    for name in nerkit.__all__:
        assert getattr(nerkit, name) is not None, name
