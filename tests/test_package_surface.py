"""The package as pytest and importers see it: names, docstrings, version, plugin registration."""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points, version

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
    result.stdout.fnmatch_lines(["*--warmup-workers=N*"])


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
