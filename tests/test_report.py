"""``--warmup-report PATH``: what every ``prepare()`` selected, built and ran (contract 12.2)."""

from __future__ import annotations

import json
from fnmatch import fnmatch
from typing import Any

import pytest

from pytest_warmup import _reports as reports
from pytest_warmup._record import PrepareRecord
from snapshot_suite import CASE, MODULE_SCOPE_ID, OTHER, install, read

REPORT_KEYS = [
    "batch_reports",
    "error",
    "normalized_nodes",
    "overrides",
    "producer_scope",
    "runtime_instances",
    "scope_id",
    "selected_roots",
    "selected_test_ids",
    "status",
    "trace",
]


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    install(pytester)
    return pytester


def report_of(pytester: pytest.Pytester, name: str = "report.json") -> dict[str, Any]:
    sections: dict[str, Any] = read(pytester.path / name)["scopes"]
    return sections


def test_report_describes_a_prepared_scope(suite: pytest.Pytester) -> None:
    suite.runpytest("--warmup-report", "report.json").assert_outcomes(passed=2)
    section = report_of(suite)[MODULE_SCOPE_ID]
    assert sorted(section) == REPORT_KEYS
    assert section["scope_id"] == MODULE_SCOPE_ID
    assert section["producer_scope"] == "module"
    assert section["status"] == "prepared"
    assert section["error"] is None
    assert section["selected_test_ids"] == [CASE, OTHER]
    assert section["selected_roots"][0] == {
        "consumer_id": CASE,
        "source_kind": "test",
        "source_name": "test_case",
        "argument_name": "items",
        "plan": "plan",
        "public_id": "items_alpha",
        "producer_fixture": None,
    }
    assert [root["public_id"] for root in section["selected_roots"]] == [
        "items_alpha",
        "profile_main",
        None,
        "profile_main",
    ]
    assert section["normalized_nodes"] == [
        {
            "node_key": "node-1",
            "plan": "plan",
            "public_id": "profile_main",
            "payload": {"name": "profile"},
            "dependency_keys": {},
            "declared_per_test": None,
            "effective_per_test": False,
        },
        {
            "node_key": "node-2",
            "plan": "plan",
            "public_id": "items_alpha",
            "payload": {},
            "dependency_keys": {"profile": "node-1"},
            "declared_per_test": True,
            "effective_per_test": True,
        },
        {
            "node_key": "node-3",
            "plan": "plan",
            "public_id": None,
            "payload": {"name": "anonymous"},
            "dependency_keys": {},
            "declared_per_test": None,
            "effective_per_test": False,
        },
    ]
    assert section["runtime_instances"][1] == {
        "runtime_key": f"node-2:{CASE}",
        "node_key": "node-2",
        "plan": "plan",
        "public_id": "items_alpha",
        "test_id": CASE,
        "per_test": True,
        "dependency_runtime_keys": {"profile": "node-1:shared"},
        "status": "value",
    }
    assert section["overrides"] == {"shared": {}, "tests": {}}
    batch = section["batch_reports"][0]
    assert sorted(batch) == ["duration_ms", "node_count", "plan", "runtime_keys", "started_ms"]
    assert batch["plan"] == "plan"
    assert batch["node_count"] == len(batch["runtime_keys"])
    assert round(batch["duration_ms"], 3) == batch["duration_ms"]
    assert 0 < batch["started_ms"] == round(batch["started_ms"], 3)


def test_yaml_report_has_the_same_content(suite: pytest.Pytester) -> None:
    suite.runpytest("--warmup-report", "report.json").assert_outcomes(passed=2)
    json_section = report_of(suite)[MODULE_SCOPE_ID]
    suite.runpytest("--warmup-report", "report.yaml").assert_outcomes(passed=2)
    yaml_section = report_of(suite, "report.yaml")[MODULE_SCOPE_ID]
    for section in (json_section, yaml_section):
        for batch in section["batch_reports"]:
            batch["duration_ms"] = batch["started_ms"] = 0
    assert yaml_section == json_section


def test_failed_node_makes_a_failed_report_with_the_first_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        from pytest_warmup import WarmupPlan, warmup_param

        class Plan(WarmupPlan):
            def prepare_node(self, node):
                if node.id == "broken":
                    raise RuntimeError("no database")
                return node.id

        PLAN = Plan("plan")
        BROKEN = PLAN.require(id="broken")
        AFTER = PLAN.require(id="after", dependencies={"pair": [BROKEN, BROKEN]})

        @pytest.fixture
        def prep(warmup_mgr):
            return warmup_mgr.use(PLAN).prepare()

        @warmup_param("after", AFTER)
        def test_after(prep, after):
            pass
        """
    )
    pytester.runpytest("--warmup-report", "report.json").assert_outcomes(errors=1)
    section = report_of(pytester)[
        "function:test_failed_node_makes_a_failed_report_with_the_first_error.py::test_after::prep"
    ]
    assert section["status"] == "failed"
    assert section["error"] == {"type": "RuntimeError", "message": "no database"}
    assert [i["status"] for i in section["runtime_instances"]] == ["exception", "pending"]
    assert section["normalized_nodes"][1]["dependency_keys"] == {"pair": ["node-1", "node-1"]}
    assert section["runtime_instances"][1]["dependency_runtime_keys"] == {
        "pair": ["node-1:shared", "node-1:shared"]
    }


FAILURES = {
    "cycle": (
        "A.dependencies['b'] = B",
        "DependencyCycleError",
        "dependency cycle detected: b -> a -> b",
    ),
    "duplicate id": (
        "A.dependencies['twin'] = PLAN.require(id='b')",
        "WarmupError",
        "duplicate id 'b' within one producer scope; *",
    ),
    "per-test conflict": (
        "A.dependencies['t'] = PLAN.require(id='t', is_per_test=True)",
        "WarmupError",
        "a cannot be shared because dependency t is per-test*",
    ),
}


@pytest.mark.parametrize("failure", list(FAILURES))
def test_every_prepare_failure_gets_a_failure_report(
    pytester: pytest.Pytester, failure: str
) -> None:
    change, error_type, message = FAILURES[failure]
    pytester.makepyfile(
        test_x=f"""
        import pytest
        from pytest_warmup import WarmupPlan, warmup_param

        class Plan(WarmupPlan):
            def prepare_node(self, node):
                return 1

        PLAN = Plan("plan")
        A = PLAN.require(id="a", is_per_test=False)
        B = PLAN.require(id="b", dependencies={{"a": A}})
        {change}

        @pytest.fixture(scope="module")
        def prep(warmup_mgr):
            return warmup_mgr.use(PLAN).prepare()

        @warmup_param("b", B)
        def test_b(prep, b):
            pass
        """
    )
    result = pytester.runpytest("--warmup-report", "report.json")
    result.assert_outcomes(errors=1)
    section = report_of(pytester)["module:test_x.py::prep"]
    assert section["status"] == "failed"
    assert section["error"]["type"] == error_type
    assert fnmatch(section["error"]["message"], message), section["error"]["message"]
    assert section["selected_test_ids"] == ["test_x.py::test_b"]


def test_snapshot_errors_get_a_failure_report(suite: pytest.Pytester) -> None:
    (suite.path / "bad.json").write_text(
        json.dumps({"version": 1, "scopes": {MODULE_SCOPE_ID: {"shared": {"x": {"value": 1}}}}}),
        encoding="utf-8",
    )
    result = suite.runpytest("--warmup-report", "report.json", "--warmup-snapshot", "bad.json")
    result.assert_outcomes(errors=2)
    section = report_of(suite)[MODULE_SCOPE_ID]
    assert section["status"] == "failed"
    assert section["error"]["message"].startswith("unknown shared override id 'x'")
    assert section["batch_reports"] == []
    assert len(section["runtime_instances"]) == 3


def test_payload_values_that_are_not_json_become_their_repr(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        from pytest_warmup import WarmupPlan, warmup_param

        class Plan(WarmupPlan):
            def prepare_node(self, node):
                return 1

        PLAN = Plan("plan")
        ODD = PLAN.require(id="odd", payload={"pair": (1, 2), "kind": {1}, 3: float("nan")})

        @pytest.fixture
        def prep(warmup_mgr):
            return warmup_mgr.use(PLAN).prepare()

        @warmup_param("odd", ODD)
        def test_odd(prep, odd):
            pass
        """
    )
    pytester.runpytest("--warmup-report", "report.json").assert_outcomes(passed=1)
    (section,) = report_of(pytester).values()
    assert section["normalized_nodes"][0]["payload"] == {
        "pair": [1, 2],
        "kind": "{1}",
        "3": "nan",
    }


def test_cleanup_shows_in_the_trace(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        from pytest_warmup import WarmupPlan, warmup_param

        class Plan(WarmupPlan):
            def prepare_node(self, node):
                return 1

            def cleanup_node(self, node):
                pass

        VALUE = Plan("plan").require(id="value")

        @pytest.fixture
        def prep(warmup_mgr):
            return warmup_mgr.use(VALUE.owner_plan).prepare()

        @warmup_param("value", VALUE)
        def test_value(prep, value):
            pass
        """
    )
    pytester.runpytest("--warmup-report", "report.json").assert_outcomes(passed=1)
    (section,) = report_of(pytester).values()
    assert section["trace"] == ["cleanup:plan:1"]


def test_a_report_that_cannot_be_built_is_reduced(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(record: PrepareRecord) -> dict[str, Any]:
        raise RuntimeError("cannot describe")

    monkeypatch.setattr(reports, "_full_report", broken)
    record = PrepareRecord("prep", "module", "module:t.py::prep", consumers=("t.py::a",))
    record.error = ValueError("boom")
    assert reports.report_section(record) == {
        "scope_id": "module:t.py::prep",
        "status": "failed",
        "producer_scope": "module",
        "selected_test_ids": ["t.py::a"],
        "error": {"type": "ValueError", "message": "boom"},
        "report_error": "RuntimeError: cannot describe",
        "trace": [],
    }


def test_no_producer_means_an_empty_report(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_plain():\n    pass\n")
    pytester.runpytest("--warmup-report", "report.json").assert_outcomes(passed=1)
    assert read(pytester.path / "report.json") == {"version": 1, "scopes": {}}
