"""Snapshot values go in through the plan's validate and deserialize hooks (contract 2, 10.5)."""

from __future__ import annotations

import json

import pytest

SCOPE_ID = "module:test_hooks.py::prep"

SUITE = """
import pytest
from pytest_warmup import WarmupError, WarmupPlan, warmup_param

CALLS = []


class Account:
    def __init__(self, number):
        self.number = number


class Plan(WarmupPlan):
    def prepare_node(self, node):
        return Account(0)

    {hooks}


PLAN = Plan("accounts")
MAIN = PLAN.require(id="main")
SPARE = PLAN.require(id="spare", is_per_test=True)


@pytest.fixture(scope="module")
def prep(warmup_mgr):
    return warmup_mgr.use(PLAN).prepare()


@warmup_param("main", MAIN)
@warmup_param("spare", SPARE)
def test_accounts(prep, main, spare):
    assert (main.number, spare.number) == (41, 42)
    assert CALLS == [
        ("validate", "main", 41), ("deserialize", "main", 41),
        ("validate", "spare", 42), ("deserialize", "spare", 42),
    ]
"""

CONVERTING = """def validate_snapshot_value(self, requirement, raw):
        CALLS.append(("validate", requirement.id, raw))
        if not isinstance(raw, int):
            raise WarmupError(f"account number must be an integer, got {raw!r}")

    def deserialize_snapshot_value(self, requirement, raw):
        CALLS.append(("deserialize", requirement.id, raw))
        return Account(raw)"""


def write_suite(pytester: pytest.Pytester, hooks: str, main: object, spare: object) -> None:
    pytester.makepyfile(test_hooks=SUITE.replace("{hooks}", hooks))
    (pytester.path / "snapshot.json").write_text(
        json.dumps(
            {
                "version": 1,
                "scopes": {
                    SCOPE_ID: {
                        "shared": {"main": {"value": main}},
                        "tests": {"test_hooks.py::test_accounts": {"spare": {"value": spare}}},
                    }
                },
            }
        ),
        encoding="utf-8",
    )


def test_values_are_validated_then_deserialized_into_what_tests_receive(
    pytester: pytest.Pytester,
) -> None:
    write_suite(pytester, CONVERTING, 41, 42)
    pytester.runpytest("--warmup-snapshot", "snapshot.json").assert_outcomes(passed=1)


def test_every_rejected_value_is_reported_with_where_it_came_from(
    pytester: pytest.Pytester,
) -> None:
    write_suite(pytester, CONVERTING, "41", [42])
    result = pytester.runpytest("--warmup-snapshot", "snapshot.json")
    result.assert_outcomes(errors=1)
    where = f"snapshot scope '{SCOPE_ID}' of 'snapshot.json'"
    result.stdout.fnmatch_lines(
        [
            "E   WarmupError: account number must be an integer, got '41' (shared override "
            f"'main' in {where})",
            "E   account number must be an integer, got [42] (override 'spare' of test "
            f"'test_hooks.py::test_accounts' in {where})",
        ]
    )


def test_a_hook_raising_another_error_is_named_with_its_plan(pytester: pytest.Pytester) -> None:
    hooks = """def deserialize_snapshot_value(self, requirement, raw):
        raise KeyError(raw)"""
    write_suite(pytester, hooks, 41, 42)
    result = pytester.runpytest("--warmup-snapshot", "snapshot.json")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "E   WarmupError: plan 'accounts' rejected the snapshot value of shared override "
            f"'main' in snapshot scope '{SCOPE_ID}' of 'snapshot.json': KeyError: 41",
            "*The original exception:*",
        ]
    )


def test_default_hooks_reject_yaml_values_that_json_cannot_hold(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_hooks=SUITE.replace("{hooks}", ""))
    (pytester.path / "snapshot.yaml").write_text(
        f"version: 1\nscopes:\n  {SCOPE_ID}:\n    shared:\n      main: {{value: !!set {{a, b}}}}\n",
        encoding="utf-8",
    )
    result = pytester.runpytest("--warmup-snapshot", "snapshot.yaml")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "E   WarmupError: snapshot value is not JSON-serializable (shared override 'main' "
            f"in snapshot scope '{SCOPE_ID}' of 'snapshot.yaml')"
        ]
    )


def test_yaml_cannot_build_python_objects(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_hooks=SUITE.replace("{hooks}", ""))
    (pytester.path / "snapshot.yaml").write_text(
        "version: 1\nscopes: !!python/object/apply:os.getcwd []\n", encoding="utf-8"
    )
    result = pytester.runpytest("--warmup-snapshot", "snapshot.yaml")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "E   WarmupError: snapshot file 'snapshot.yaml' is not valid YAML: snapshot.yaml:2:9: "
            "could not determine a constructor for the tag "
            "'tag:yaml.org,2002:python/object/apply:os.getcwd'"
        ]
    )
