"""``--warmup-snapshot PATH``: a bundle of sections keyed by producer scope id (contract 9, 10)."""

from __future__ import annotations

import pytest

from recording_plans import prepared_nodes
from snapshot_suite import (
    CASE,
    MODULE_SCOPE_ID,
    OTHER,
    bundle,
    install,
    prepared,
    read,
    seen,
    write,
)


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    install(pytester)
    return pytester


def test_shared_override_replaces_the_value_for_every_test_and_its_dependants(
    suite: pytest.Pytester,
) -> None:
    write(
        suite,
        "snapshot.json",
        bundle({MODULE_SCOPE_ID: {"shared": {"profile_main": {"value": {"debug": True}}}}}),
    )
    suite.runpytest("--warmup-snapshot", "snapshot.json").assert_outcomes(passed=2)
    values = seen(suite)
    assert values[CASE]["profile"] == {"debug": True}
    assert values[OTHER]["profile"] == {"debug": True}
    assert values[CASE]["items"]["deps"] == {"profile": {"debug": True}}
    assert "profile_main" not in prepared_nodes(suite)


def test_per_test_override_replaces_that_tests_instance_only(suite: pytest.Pytester) -> None:
    write(
        suite,
        "snapshot.json",
        bundle({MODULE_SCOPE_ID: {"tests": {CASE: {"items_alpha": {"value": [1, 2]}}}}}),
    )
    suite.runpytest("--warmup-snapshot", "snapshot.json").assert_outcomes(passed=2)
    assert seen(suite)[CASE]["items"] == [1, 2]
    # the shared dependency of the overridden instance is still prepared
    assert sorted(prepared_nodes(suite)) == ["anonymous", "profile_main"]


def test_test_override_of_a_shared_node_reaches_that_test_and_its_per_test_dependants(
    suite: pytest.Pytester,
) -> None:
    write(
        suite,
        "snapshot.json",
        bundle({MODULE_SCOPE_ID: {"tests": {CASE: {"profile_main": {"value": "local"}}}}}),
    )
    suite.runpytest("--warmup-snapshot", "snapshot.json").assert_outcomes(passed=2)
    values = seen(suite)
    assert values[CASE]["profile"] == "local"
    assert values[CASE]["items"]["deps"] == {"profile": "local"}
    assert values[OTHER]["profile"] == prepared()
    assert sorted(prepared_nodes(suite)) == ["anonymous", f"items_alpha@{CASE}", "profile_main"]


def test_empty_entries_address_nodes_without_overriding_them(suite: pytest.Pytester) -> None:
    write(
        suite,
        "snapshot.json",
        bundle(
            {
                MODULE_SCOPE_ID: {
                    "shared": {"profile_main": {}},
                    "tests": {CASE: {"items_alpha": {}}},
                }
            }
        ),
    )
    suite.runpytest("--warmup-snapshot", "snapshot.json").assert_outcomes(passed=2)
    assert seen(suite)[OTHER]["profile"] == prepared()
    assert sorted(prepared_nodes(suite)) == ["anonymous", f"items_alpha@{CASE}", "profile_main"]


def test_null_is_an_override_value_like_any_other(suite: pytest.Pytester) -> None:
    write(
        suite,
        "snapshot.json",
        bundle({MODULE_SCOPE_ID: {"shared": {"profile_main": {"value": None}}}}),
    )
    suite.runpytest("--warmup-snapshot", "snapshot.json").assert_outcomes(passed=2)
    assert seen(suite)[OTHER]["profile"] is None
    assert "profile_main" not in prepared_nodes(suite)


@pytest.mark.parametrize("name", ["snapshot.yaml", "snapshot.yml"])
def test_yaml_bundle_has_the_same_shape_and_keeps_dates_as_text(
    suite: pytest.Pytester, name: str
) -> None:
    (suite.path / name).write_text(
        f"""
version: 1
scopes:
  {MODULE_SCOPE_ID}:
    shared:
      profile_main:
        value: {{created: 2024-05-01, tags: [a, b]}}
    tests:
      "{CASE}":
        items_alpha: {{value: null}}
""",
        encoding="utf-8",
    )
    suite.runpytest("--warmup-snapshot", name).assert_outcomes(passed=2)
    values = seen(suite)
    assert values[OTHER]["profile"] == {"created": "2024-05-01", "tags": ["a", "b"]}
    assert values[CASE]["items"] is None


def test_overrides_are_traced_before_any_batch(suite: pytest.Pytester) -> None:
    write(
        suite,
        "snapshot.json",
        bundle(
            {
                MODULE_SCOPE_ID: {
                    "shared": {"profile_main": {"value": 1}},
                    "tests": {OTHER: {"profile_main": {"value": 2}}},
                }
            }
        ),
    )
    suite.runpytest(
        "--warmup-snapshot", "snapshot.json", "--warmup-report", "report.json"
    ).assert_outcomes(passed=2)
    section = read(suite.path / "report.json")["scopes"][MODULE_SCOPE_ID]
    assert section["trace"][:2] == [
        "override_shared:profile_main",
        f"override_test:{OTHER}:profile_main",
    ]
    assert section["overrides"] == {
        "shared": {"profile_main": 1},
        "tests": {OTHER: {"profile_main": 2}},
    }
    keys = {i["runtime_key"]: i["status"] for i in section["runtime_instances"]}
    assert keys[f"override:profile_main:{OTHER}"] == "value"


def test_a_section_of_another_producer_scope_is_not_applied(suite: pytest.Pytester) -> None:
    other_scope = "module:test_elsewhere.py::prepare_data"
    suite.makepyfile(test_elsewhere="def test_nothing(prepare_data): pass")
    write(suite, "snapshot.json", bundle({other_scope: {"shared": {"profile_main": {"value": 1}}}}))
    suite.runpytest("--warmup-snapshot", "snapshot.json").assert_outcomes(passed=3)
    assert seen(suite)[OTHER]["profile"] == prepared()


SCOPE_LAYOUTS = {
    "session": (
        "session:.::prep",
        {"test_x.py": "def test_f(prep_value):\n    assert prep_value == 'over'\n"},
    ),
    "package": (
        "package:pkg::prep",
        {
            "pkg/__init__.py": "",
            "pkg/test_x.py": "def test_f(prep_value):\n    assert prep_value == 'over'\n",
        },
    ),
    "module": (
        "module:test_x.py::prep",
        {"test_x.py": "def test_f(prep_value):\n    assert prep_value == 'over'\n"},
    ),
    "class": (
        "class:test_x.py::TestK::prep",
        {
            "test_x.py": (
                "class TestK:\n    def test_f(self, prep_value):\n"
                "        assert prep_value == 'over'\n"
            )
        },
    ),
    "function": (
        "function:test_x.py::test_f[1]::prep",
        {
            "test_x.py": (
                "import pytest\n\n@pytest.mark.parametrize('n', [1, 2])\n"
                "def test_f(prep_value, n):\n"
                "    assert prep_value == ('over' if n == 1 else 'made')\n"
            )
        },
    ),
}

SCOPE_CONFTEST = """
import pytest
from pytest_warmup import WarmupPlan, warmup_param

class Plan(WarmupPlan):
    def prepare_node(self, node):
        return "made"

VALUE = Plan("plan").require(id="value")

@pytest.fixture(scope="{scope}")
def prep(warmup_mgr):
    return warmup_mgr.use(VALUE.owner_plan).prepare()

@pytest.fixture
@warmup_param("value", VALUE)
def prep_value(prep, value):
    return value
"""


@pytest.mark.parametrize("scope", list(SCOPE_LAYOUTS))
def test_each_producer_scope_reads_the_section_of_its_scope_id(
    pytester: pytest.Pytester, scope: str
) -> None:
    scope_id, files = SCOPE_LAYOUTS[scope]
    folder = "pkg/" if scope == "package" else ""
    files = {**files, f"{folder}conftest.py": SCOPE_CONFTEST.replace("{scope}", scope)}
    for name, text in files.items():
        path = pytester.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    write(pytester, "snapshot.json", bundle({scope_id: {"shared": {"value": {"value": "over"}}}}))
    result = pytester.runpytest("--warmup-snapshot", "snapshot.json")
    result.assert_outcomes(passed=2 if scope == "function" else 1)
    assert "pytest-warmup" not in result.stdout.str()


def test_missing_snapshot_file_is_a_usage_error_at_startup(suite: pytest.Pytester) -> None:
    result = suite.runpytest("--warmup-snapshot", "nowhere.json")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*argument --warmup-snapshot: snapshot file does not exist: 'nowhere.json'*"]
    )


def test_empty_snapshot_option_counts_as_not_given(suite: pytest.Pytester) -> None:
    suite.runpytest("--warmup-snapshot=").assert_outcomes(passed=2)
    assert seen(suite)[OTHER]["profile"] == prepared()


def test_snapshot_path_assigned_at_run_time_is_read_then(suite: pytest.Pytester) -> None:
    write(suite, "late.json", bundle({MODULE_SCOPE_ID: {"shared": {"profile_main": {"value": 7}}}}))
    suite.makeconftest(
        (suite.path / "conftest.py")
        .read_text(encoding="utf-8")
        .replace(
            "def prepare_data(warmup_mgr):\n",
            "def prepare_data(warmup_mgr, request):\n"
            "    request.config.option.warmup_snapshot = 'late.json'\n",
        )
    )
    suite.runpytest().assert_outcomes(passed=2)
    assert seen(suite)[OTHER]["profile"] == 7


def test_missing_file_assigned_at_run_time_fails_each_producer(suite: pytest.Pytester) -> None:
    suite.makeconftest(
        (suite.path / "conftest.py")
        .read_text(encoding="utf-8")
        .replace(
            "def prepare_data(warmup_mgr):\n",
            "def prepare_data(warmup_mgr, request):\n"
            "    request.config.option.warmup_snapshot = 'gone.json'\n",
        )
    )
    result = suite.runpytest()
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(["E   WarmupError: snapshot file does not exist: 'gone.json'"])
