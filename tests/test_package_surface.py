"""The package as pytest and importers see it: names, docstrings, version, plugin registration."""

from __future__ import annotations

import importlib
import inspect
import subprocess
import sys
import typing
from collections.abc import Iterator
from importlib.metadata import entry_points, version
from pathlib import Path
from typing import Any

import pytest

import pytest_warmup

PUBLIC_NAMES = {
    "__version__",
    "CatalogError",
    "DependencyCycleError",
    "NodeFailedError",
    "NotPreparedError",
    "WarmupError",
    "WarmupNode",
    "WarmupPlan",
    "WarmupRequirement",
    "WarmupRuntime",
    "warmup_param",
}


def test_all_lists_exactly_the_public_names() -> None:
    assert set(pytest_warmup.__all__) == PUBLIC_NAMES
    assert len(pytest_warmup.__all__) == len(PUBLIC_NAMES)


def test_every_public_name_is_importable_from_the_top_level() -> None:
    for name in PUBLIC_NAMES:
        assert hasattr(pytest_warmup, name), name


@pytest.mark.parametrize("name", sorted(PUBLIC_NAMES - {"__version__"}))
def test_every_public_name_has_a_docstring(name: str) -> None:
    doc = getattr(pytest_warmup, name).__doc__
    assert doc is not None
    assert doc.strip()


@pytest.mark.parametrize(
    "name", ["PreparedScope", "RuntimeContext", "PlanNode", "ProducedValueStore"]
)
def test_internal_names_are_not_top_level_attributes(name: str) -> None:
    assert not hasattr(pytest_warmup, name)


def test_warmup_error_is_a_value_error() -> None:
    assert issubclass(pytest_warmup.WarmupError, ValueError)


def test_version_comes_from_the_installed_distribution() -> None:
    assert pytest_warmup.__version__ == version("pytest-warmup")


def test_plugin_is_registered_under_the_pytest11_entry_point_pytest_warmup() -> None:
    found = [ep for ep in entry_points(group="pytest11") if ep.name == "pytest-warmup"]
    assert [ep.value for ep in found] == ["pytest_warmup.plugin"]


def test_reference_module_name_pytest_plugin_is_importable() -> None:
    module = importlib.import_module("pytest_warmup.pytest_plugin")
    plugin = importlib.import_module("pytest_warmup.plugin")
    assert module.plugin is plugin


def test_warmup_mgr_fixture_is_listed_with_session_scope(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--fixtures")
    result.stdout.fnmatch_lines(["warmup_mgr [[]session scope[]]*"])


def test_warmup_mgr_is_one_object_for_the_whole_session(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import pytest

        SEEN = []

        @pytest.fixture(scope="session")
        def session_user(warmup_mgr):
            return warmup_mgr
        """
    )
    test_source = """
        import conftest

        def test_same(warmup_mgr, session_user):
            conftest.SEEN.append(warmup_mgr)
            assert warmup_mgr is session_user
            assert all(seen is warmup_mgr for seen in conftest.SEEN)
        """
    pytester.makepyfile(test_one=test_source, test_two=test_source)
    result = pytester.runpytest()
    result.assert_outcomes(passed=2)


def test_no_pytest_warmup_disables_the_plugin(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_uses_manager(warmup_mgr):
            pass
        """
    )
    result = pytester.runpytest("-p", "no:pytest-warmup")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'warmup_mgr' not found*"])
    help_result = pytester.runpytest("-p", "no:pytest-warmup", "--help")
    assert "--warmup-workers" not in help_result.stdout.str()


def test_plugin_options_are_available_by_default(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--help")
    result.stdout.fnmatch_lines(
        [
            "pytest-warmup: batch preparation of expensive test resources:",
            "*--warmup-workers=N*",
        ]
    )
    expected = "int" if pytest.version_tuple >= (8, 4) else "string"
    result.stdout.fnmatch_lines([f"  warmup_max_workers ({expected}):*"])


@pytest.mark.parametrize(
    ("ini", "message"),
    [
        (
            "warmup_keep = maybe",
            "ERROR: ini option warmup_keep: invalid truth value 'maybe'; expected true or false",
        ),
        (
            "warmup_snapshot_strict = sometimes",
            "ERROR: ini option warmup_snapshot_strict: invalid truth value 'sometimes'; expected "
            "true or false",
        ),
        ("warmup_max_workers = many", "ERROR: ini option warmup_max_workers: *'many'*"),
        ("warmup_max_workers = 0", "ERROR: ini option warmup_max_workers: * got '0'"),
    ],
)
def test_a_bad_ini_value_is_a_usage_error_naming_the_option(
    pytester: pytest.Pytester, ini: str, message: str
) -> None:
    pytester.makeini(f"[pytest]\n{ini}\n")
    pytester.makepyfile("def test_plain():\n    pass\n")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])


def test_a_directory_given_as_snapshot_file_is_named_as_such(pytester: pytest.Pytester) -> None:
    pytester.mkdir("out")
    result = pytester.runpytest("--warmup-snapshot", "out")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*expected a snapshot file, got the directory 'out'*"])


def test_reference_module_name_loads_the_whole_plugin(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        from pytest_warmup import WarmupPlan

        class Plan(WarmupPlan):
            def prepare_node(self, node):
                return 1

        @pytest.fixture
        def prep(warmup_mgr):
            return warmup_mgr.use(Plan("p")).prepare()

        def test_prepares(prep):
            pass
        """
    )
    result = pytester.runpytest("-p", "no:pytest-warmup", "-p", "pytest_warmup.pytest_plugin")
    result.assert_outcomes(passed=1)


# Each hook implementation costs pytest a call for every test: the per-test ones are registered
# only while a run needs them (benchmarks/bench_overhead.py, "plugin loaded").
HOOK_STATE = """
def pytest_terminal_summary(terminalreporter, config):
    for hook in ("pytest_runtest_setup", "pytest_runtest_makereport"):
        names = [i.plugin_name for i in getattr(config.hook, hook).get_hookimpls()]
        warmup = sorted(name for name in names if "warmup" in name)
        terminalreporter.write_line(f"{hook}: {warmup}")
"""

BOUND_SUITE = """
import pytest
from pytest_warmup import WarmupPlan, warmup_param

class Plan(WarmupPlan):
    def prepare_node(self, node):
        return node.payload["n"]

plan = Plan("plan")
value = plan.require(payload={"n": 1})

@pytest.fixture(scope="module")
def prep(warmup_mgr):
    return warmup_mgr.use(plan).prepare()

@warmup_param("value", value)
def test_bound(prep, value):
    assert value == 1
"""


def test_a_run_without_bindings_calls_no_warmup_hook_per_test(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(HOOK_STATE)
    pytester.makepyfile("def test_plain():\n    pass\n")
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["pytest_runtest_setup: []", "pytest_runtest_makereport: []"])


def test_the_error_report_hook_is_registered_by_the_first_warmup_error(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeconftest(HOOK_STATE)
    pytester.makepyfile(BOUND_SUITE)
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        ["pytest_runtest_setup: ['pytest-warmup-setup']", "pytest_runtest_makereport: []"]
    )

    pytester.makepyfile(
        BOUND_SUITE
        + """
def test_misuse(prep, warmup_mgr):
    warmup_mgr.use(plan)
"""
    )
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "E   WarmupError: warmup_mgr.use(...) must be called inside a producer fixture",
            "pytest_runtest_makereport: ['pytest-warmup-errors']",
        ]
    )


# -- the public surface ---------------------------------------------------------------------------

#: the modules users import from; every other module's name starts with "_"
PUBLIC_MODULES = ["pytest_warmup", "engine", "catalog", "errors", "plugin", "pytest_plugin"]


def _module(name: str) -> Any:
    return importlib.import_module(name if name == "pytest_warmup" else f"pytest_warmup.{name}")


def _exported() -> dict[int, str]:
    """id of every object a public module exports -> where."""
    found: dict[int, str] = {}
    for name in PUBLIC_MODULES:
        module = _module(name)
        for attribute in module.__all__:
            found.setdefault(id(getattr(module, attribute)), f"{module.__name__}.{attribute}")
    return found


def _namespace() -> dict[str, Any]:
    """Every class of the package by name, for annotations written under TYPE_CHECKING."""
    names: dict[str, Any] = {}
    for path in Path(pytest_warmup.__file__).parent.glob("*.py"):
        module = _module(path.stem) if path.stem != "__init__" else pytest_warmup
        names.update((k, v) for k, v in vars(module).items() if isinstance(v, type))
    return names


def _classes_in(annotation: Any) -> Iterator[type]:
    todo = [annotation]
    while todo:
        current = todo.pop()
        if isinstance(current, type) and current.__module__.startswith("pytest_warmup"):
            yield current
        todo.extend(typing.get_args(current))
        origin = typing.get_origin(current)
        if origin is not None:
            todo.append(origin)


def _public_types(namespace: dict[str, Any]) -> dict[type, str]:
    """Every class of this package that a public name's annotations mention -> one place."""
    found: dict[type, str] = {}
    todo: list[tuple[Any, str]] = []
    for name in PUBLIC_MODULES:
        module = _module(name)
        todo.extend(
            (getattr(module, attribute), f"{name}.{attribute}") for attribute in module.__all__
        )
    seen: set[int] = set()
    while todo:
        obj, where = todo.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        members: list[tuple[Any, str]] = []
        if isinstance(obj, type):
            if not obj.__module__.startswith("pytest_warmup"):
                continue
            found.setdefault(obj, where)
            members.append((obj, where))
            # Attributes as the class annotates them (dataclass fields included), and public
            # methods and properties; constructors of engine-made objects are internal.
            for attribute, value in vars(obj).items():
                if attribute.startswith("_"):
                    continue
                value = value.fget if isinstance(value, property) else value
                if inspect.isroutine(value):
                    members.append((value, f"{where}.{attribute}"))
        elif inspect.isroutine(obj):
            members.append((obj, where))
        else:  # a type alias (engine.Needs) or a constant
            todo.extend((cls, f"{where} -> {cls.__name__}") for cls in _classes_in(obj))
        for member, member_where in members:
            hints = typing.get_type_hints(member, localns=namespace)
            for annotation in hints.values():
                for cls in _classes_in(annotation):
                    todo.append((cls, f"{member_where} -> {cls.__name__}"))
    return found


def test_every_module_outside_the_public_ones_is_private() -> None:
    modules = {path.stem for path in Path(pytest_warmup.__file__).parent.glob("*.py")}
    public = {name for name in PUBLIC_MODULES if name != "pytest_warmup"}
    assert {m for m in modules if not m.startswith("_")} == public


def test_nothing_public_is_reachable_only_from_a_private_module() -> None:
    exported = _exported()
    reachable = _public_types(_namespace())
    assert len(reachable) > 10  # the walk reaches into records, graphs and nodes
    missing = {
        f"{cls.__module__}.{cls.__qualname__} (via {where})"
        for cls, where in reachable.items()
        if id(cls) not in exported
    }
    assert missing == set()


def test_the_public_modules_are_attributes_of_the_package() -> None:
    completed = subprocess.run(
        [
            sys.executable,
            "-c",
            "import pytest_warmup; "
            "print(pytest_warmup.errors.WarmupError.__name__, "
            "pytest_warmup.engine.prepare.__name__, pytest_warmup.catalog.__name__)",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert completed.stdout.split() == ["WarmupError", "prepare", "pytest_warmup.catalog"]
