"""The ``warmup`` section at the end of a run: what was prepared, how long it took, what stayed."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence

import pytest

from pytest_warmup import WarmupNode, WarmupPlan
from pytest_warmup._record import RunRecord
from pytest_warmup._summary import merge_summaries, summary_lines, summary_part
from pytest_warmup.engine import prepare
from visibility_suite import SCOPE_ID, install, section


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    install(pytester)
    return pytester


def test_a_run_ends_with_one_line_on_what_was_prepared(suite: pytest.Pytester) -> None:
    result = suite.runpytest()
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(
        [
            "*= warmup =*",
            "1 producer instance, 3 batches: 4 nodes prepared in *s (critical path *s)",
            "*= 3 passed in *",
        ]
    )
    assert len(section(result.stdout.str(), "warmup")) == 1


def test_verbose_shows_counts_times_critical_path_and_slowest_batches(
    suite: pytest.Pytester,
) -> None:
    result = suite.runpytest("-v")
    result.assert_outcomes(passed=3)
    lines = section(result.stdout.str(), "warmup")
    result.stdout.fnmatch_lines(
        [
            "*= warmup =*",
            "producers: 1 producer instance",
            "batches: 3, *s in plans",
            "nodes: 4 prepared, 0 overridden, 0 failed, 4 cleaned up, 0 kept",
            "time: *s preparing, critical path *s (facility *s -> program *s -> order *s)",
            "slowest 3 batches:",
        ]
    )
    slowest = lines[5:]
    assert len(slowest) == 3
    assert sorted(line.split()[1] for line in slowest) == ["facility", "order", "program"]
    for line in slowest:
        assert line.startswith("  ")
        assert line.endswith(SCOPE_ID)
    assert any(line.endswith(f"order (2 nodes) {SCOPE_ID}") for line in slowest)


def test_quiet_runs_show_nothing_when_all_went_well(suite: pytest.Pytester) -> None:
    result = suite.runpytest("-q")
    result.assert_outcomes(passed=3)
    assert "= warmup =" not in result.stdout.str()


def test_quiet_runs_still_show_failed_nodes(pytester: pytest.Pytester) -> None:
    install(pytester, order_payload='"fail": "no seats left"')
    result = pytester.runpytest("-q")
    result.assert_outcomes(passed=1, errors=2)
    result.stdout.fnmatch_lines(
        [
            "*= warmup =*",
            "1 producer instance (1 failed), 3 batches: 2 nodes prepared, 2 failed in *s "
            "(critical path *s)",
        ]
    )


def test_kept_resources_are_counted_and_shown_with_q(suite: pytest.Pytester) -> None:
    result = suite.runpytest("-q", "--warmup-keep")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(
        ["*= warmup =*", "1 producer instance, 3 batches: 4 nodes prepared, 4 kept in *"]
    )
    verbose = suite.runpytest("-v", "--warmup-keep")
    verbose.stdout.fnmatch_lines(
        ["nodes: 4 prepared, 0 overridden, 0 failed, 0 cleaned up, 4 kept"]
    )


def test_overridden_nodes_are_counted(suite: pytest.Pytester) -> None:
    snapshot = {"version": 1, "scopes": {SCOPE_ID: {"shared": {"gym": {"value": {}}}}}}
    (suite.path / "snapshot.json").write_text(json.dumps(snapshot), encoding="utf-8")
    result = suite.runpytest("-v", "--warmup-snapshot", "snapshot.json")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(
        [
            "batches: 2, *s in plans",
            "nodes: 3 prepared, 1 overridden, 0 failed, 3 cleaned up, 0 kept",
        ]
    )


def test_files_written_follow_the_section(suite: pytest.Pytester) -> None:
    result = suite.runpytest("--warmup-report", "report.json")
    result.stdout.fnmatch_lines(
        [
            "*= warmup =*",
            "1 producer instance, *",
            "*- generated warmup file (--warmup-report): *report.json -*",
        ]
    )


def test_runs_without_producers_show_no_section(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_plain():\n    pass\n")
    result = pytester.runpytest("-v")
    result.assert_outcomes(passed=1)
    assert "= warmup =" not in result.stdout.str()


def test_the_summary_under_xdist_counts_every_worker(suite: pytest.Pytester) -> None:
    suite.makepyfile(
        test_more="""
from pytest_warmup import warmup_param
from conftest import yoga

@warmup_param("program", yoga)
def test_again(shop, program):
    assert program["id"] == "yoga"
"""
    )
    result = suite.runpytest_subprocess(
        "-n", "2", "--dist", "loadfile", "-v", "-p", "no:cacheprovider"
    )
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(
        [
            "*= warmup =*",
            "producers: 2 producer instances",
            "batches: 5, *s in plans",
            "nodes: 6 prepared, 0 overridden, 0 failed, 6 cleaned up, 0 kept",
            # which module's chain took longer depends on the machine's timing (and under
            # xdist a module's shared and per-test nodes are two preparations)
            "time: *s preparing, critical path *s (* *s*; longest in module:test_*.py::shop)",
            "slowest 5 batches:",
        ]
    )


# -- the numbers, from records ------------------------------------------------------------------


class Plan(WarmupPlan):
    def prepare(self, nodes: Sequence[WarmupNode]) -> None:
        for node in nodes:
            node.set_value(node.id)


def with_durations(run: RunRecord, milliseconds: dict[str, float]) -> None:
    """Give each batch of ``run`` the duration its plan name maps to."""
    for record in run.prepares:
        assert record.runtime is not None
        record.runtime.batch_reports[:] = [
            dataclasses.replace(report, duration_ms=milliseconds[report.plan])
            for report in record.runtime.batch_reports
        ]


def test_the_critical_path_follows_the_longest_chain_of_waiting_batches() -> None:
    left, right, top = Plan("left"), Plan("right"), Plan("top")
    a = left.require(id="a")
    b = right.require(id="b")
    c = top.require(dependencies={"a": a, "b": b}, id="c")
    with prepare({"consumer": [c]}, max_workers=2) as prepared:
        run = RunRecord([prepared.record])
        with_durations(run, {"left": 300.0, "right": 100.0, "top": 50.0})
        summary = summary_part(run)
    assert summary["batch_count"] == 3
    assert summary["batch_ms"] == 450.0
    assert summary["critical_ms"] == 350.0
    assert summary["longest_path"] == [350.0, "prepare", [["left", 300.0], ["top", 50.0]]]
    assert summary["slowest"] == [
        [300.0, "left", 1, "prepare"],
        [100.0, "right", 1, "prepare"],
        [50.0, "top", 1, "prepare"],
    ]


def test_batches_of_one_plan_wait_for_each_other() -> None:
    plan = Plan("plan")
    first = plan.require(id="first")
    second = plan.require(dependencies={"first": first}, id="second")
    with prepare({"consumer": [second]}) as prepared:
        run = RunRecord([prepared.record])
        with_durations(run, {"plan": 10.0})
        summary = summary_part(run)
    assert summary["critical_ms"] == 20.0
    assert summary["counts"]["prepared"] == 2


def test_merged_summaries_add_up_and_keep_the_five_slowest_batches() -> None:
    part = {
        "preparations": 1,
        "failed_preparations": 0,
        "scope_ids": ["module:a.py::shop"],
        "failed_scope_ids": [],
        "counts": dict.fromkeys(
            ("prepared", "overridden", "failed", "blocked", "cleaned_up", "kept"), 1
        ),
        "batch_count": 4,
        "batch_ms": 10.0,
        "duration_ms": 12.0,
        "critical_ms": 8.0,
        "longest_path": [8.0, "s", [["p", 8.0]]],
        "slowest": [[float(n), f"p{n}", 1, "s"] for n in (4, 3, 2, 1)],
    }
    other = {**part, "scope_ids": ["module:b.py::shop"], "longest_path": [9.0, "t", [["q", 9.0]]]}
    # under xdist, one producer instance may be prepared in parts on two workers: counted once
    same = {**part, "failed_scope_ids": ["module:a.py::shop"]}
    merged = merge_summaries([part, other, same])
    assert merged["preparations"] == 2
    assert merged["failed_preparations"] == 1
    assert merged["counts"]["kept"] == 3
    assert merged["critical_ms"] == 24.0
    assert merged["longest_path"] == [9.0, "t", [["q", 9.0]]]
    assert [batch[0] for batch in merged["slowest"]] == [4.0, 4.0, 4.0, 3.0, 3.0]


def test_an_empty_run_has_no_summary_lines() -> None:
    assert summary_lines(summary_part(RunRecord()), verbosity=2) == []
