"""The package's import graph, read from the source: no cycles, and an engine without pytest.

Imports count where Python runs them: at module level and inside functions. Imports under
``if TYPE_CHECKING:`` never run and are left out (a plan's methods name its nodes' type and a
node names its requirement's, for annotations only).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import pytest_warmup

PACKAGE = Path(pytest_warmup.__file__).parent

#: the glue between pytest and the engine: the only modules that may import pytest
PLUGIN_LAYER = {
    "_catalog_fixtures",
    "_cli",  # check reads the project's configuration with pytest itself
    "_display",
    "_error_display",
    "_injection",
    "_items",
    "_outputs",
    "_prefetch",
    "_preview",
    "_producer",
    "_pytest_compat",
    "_session",
    "_settings",
    "_sharing",
    "plugin",
    "pytest_plugin",
}

#: everything else: usable in a REPL or a script, without pytest
ENGINE = {
    "__init__",
    "_binding",
    "_catalog_reader",
    "_coordination",
    "_declarations",
    "_diagrams",
    "_files",
    "_graph",
    "_interrupts",
    "_limits",
    "_nodes",
    "_overrides",
    "_record",
    "_reports",
    "_runtime",
    "_scheduler",
    "_scopes",
    "_selection",
    "_slots",
    "_snapshot_options",
    "_snapshots",
    "_summary",
    "_text",
    "_yaml",
    "catalog",
    "engine",
    "errors",
}

#: pytest attributes without a public API; only _pytest_compat may read them
PRIVATE_PYTEST_ATTRIBUTES = {
    "_arg2fixturedefs",
    "_arg2node2fixturedefs",
    "_arg2nodeid2fixturedefs",
    "_fixtureinfo",
    "_fixturemanager",
    "_report_sections",
    "_pyfuncitem",
    "_request",
}


def _runs(node: ast.AST) -> Iterator[ast.AST]:
    """Every node below ``node`` that runs, skipping ``if TYPE_CHECKING:`` bodies."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
            for statement in child.orelse:
                yield statement
                yield from _runs(statement)
            continue
        yield child
        yield from _runs(child)


def _tree(module: str) -> ast.Module:
    return ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8"))


def _imports(module: str) -> tuple[set[str], set[str]]:
    """(modules of this package, top-level names of other packages) that ``module`` imports."""
    own: set[str] = set()
    foreign: set[str] = set()
    for node in _runs(_tree(module)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("pytest_warmup."):
                    own.add(alias.name.split(".")[1])
                else:
                    foreign.add(alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module and not node.module.startswith("pytest_warmup"):
                foreign.add(node.module.split(".")[0])
                continue
            base = (node.module or "").removeprefix("pytest_warmup").lstrip(".")
            if base:
                own.add(base.split(".")[0])
            else:  # from . import x
                own.update(alias.name for alias in node.names)
    return own, foreign


MODULES = sorted(path.stem for path in PACKAGE.glob("*.py"))
GRAPH = {module: _imports(module)[0] for module in MODULES}


def _cycle() -> list[str] | None:
    """A cycle of the import graph as a path whose first module is repeated last, if any."""
    state: dict[str, int] = {}
    for start in MODULES:
        if state.get(start):
            continue
        path = [start]
        todo = [iter(sorted(GRAPH[start]))]
        state[start] = 1
        while todo:
            following = next(todo[-1], None)
            if following is None:
                todo.pop()
                state[path.pop()] = 2
            elif state.get(following) == 1:
                return [*path[path.index(following) :], following]
            elif not state.get(following):
                state[following] = 1
                path.append(following)
                todo.append(iter(sorted(GRAPH[following])))
    return None


def _closure(module: str) -> set[str]:
    seen = {module}
    todo = [module]
    while todo:
        for following in GRAPH[todo.pop()]:
            if following not in seen:
                seen.add(following)
                todo.append(following)
    return seen


def test_every_module_belongs_to_the_engine_or_to_the_plugin_layer() -> None:
    assert set(MODULES) == ENGINE | PLUGIN_LAYER
    assert not ENGINE & PLUGIN_LAYER


def test_the_package_has_no_import_cycle() -> None:
    assert _cycle() is None


def test_the_cycle_finder_finds_a_cycle() -> None:
    # The check above is only worth something if a cycle would be found: add one and look.
    GRAPH["_slots"].add("engine")
    try:
        cycle = _cycle()
    finally:
        GRAPH["_slots"].discard("engine")
    assert cycle is not None
    assert cycle[0] == cycle[-1]
    assert "engine" in cycle


@pytest.mark.parametrize("module", sorted(ENGINE))
def test_engine_module_imports_neither_pytest_nor_the_plugin_layer(module: str) -> None:
    reached = _closure(module)
    assert not reached & PLUGIN_LAYER, f"{module} reaches {sorted(reached & PLUGIN_LAYER)}"
    for imported in reached:
        assert not _imports(imported)[1] & {"pytest", "_pytest"}, f"{module} via {imported}"


def test_declaring_bindings_does_not_import_the_injection() -> None:
    assert "_injection" not in _closure("_binding")


def test_nothing_imports_pytests_private_package() -> None:
    for module in MODULES:
        assert "_pytest" not in _imports(module)[1], module


def test_typing_extensions_is_read_by_type_checkers_only() -> None:
    # Not a dependency: the TypeVar default that keeps a bare WarmupPlan valid under
    # mypy --strict is imported under TYPE_CHECKING.
    assert {m for m in MODULES if "typing_extensions" in _imports(m)[1]} == set()
    assert "typing_extensions" in ast.unparse(_tree("_declarations"))


def _private_reads(module: str) -> set[str]:
    found = set()
    for node in _runs(_tree(module)):
        if isinstance(node, ast.Attribute) and node.attr in PRIVATE_PYTEST_ATTRIBUTES:
            found.add(node.attr)
        elif isinstance(node, ast.Constant) and node.value in PRIVATE_PYTEST_ATTRIBUTES:
            found.add(str(node.value))
    return found


@pytest.mark.parametrize("module", [m for m in MODULES if m != "_pytest_compat"])
def test_only_the_compat_module_reads_private_pytest_attributes(module: str) -> None:
    assert _private_reads(module) == set()


def test_the_compat_module_is_where_private_reads_are() -> None:
    assert _private_reads("_pytest_compat") == PRIVATE_PYTEST_ATTRIBUTES


def test_importing_the_engine_front_door_does_not_import_pytest() -> None:
    code = (
        "import sys\n"
        "import pytest_warmup, pytest_warmup.engine, pytest_warmup.catalog\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('pytest', '_pytest'))\n"
        "print(loaded)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
