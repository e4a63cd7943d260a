"""Producers prepare for the final item list: deselected tests contribute nothing (section 14)."""

from __future__ import annotations

import pytest

from recording_plans import install, prepares

SUITE = """
import pytest
from pytest_warmup import warmup_param
from plans import RecordingPlan, produce

db = RecordingPlan("db")
common = db.require(id="common")
mine = db.require(id="mine", is_per_test=True)
only_beta = db.require(id="only_beta")

@pytest.fixture(scope="module")
def prep(warmup_mgr):
    return produce(warmup_mgr, db)

@pytest.mark.slow
@warmup_param("value", common)
@warmup_param("own", mine)
def test_alpha(prep, value, own):
    assert FAIL != "alpha"

@warmup_param("value", only_beta)
@warmup_param("own", mine)
def test_beta(prep, value, own):
    assert FAIL != "beta"

@warmup_param("value", common)
@warmup_param("own", mine)
def test_gamma(prep, value, own):
    pass
"""

ALL_IDS = ["test_sel.py::test_alpha", "test_sel.py::test_beta", "test_sel.py::test_gamma"]


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    install(pytester)
    pytester.makeini(
        """
        [pytest]
        markers =
            slow: a slow test
        """
    )
    write_suite(pytester, fail=None)
    return pytester


def write_suite(pytester: pytest.Pytester, *, fail: str | None) -> None:
    pytester.makepyfile(test_sel=f"FAIL = {fail!r}\n" + SUITE)


def prepared(pytester: pytest.Pytester) -> tuple[list[str], list[str]]:
    """The selected test ids and prepared instances of the run's one prepare()."""
    [prepare] = prepares(pytester)
    return prepare.selected, prepare.nodes


def forget_log(pytester: pytest.Pytester) -> None:
    (pytester.path / "warmup_log.jsonl").unlink()


def test_every_selected_test_contributes_roots(suite: pytest.Pytester) -> None:
    suite.runpytest().assert_outcomes(passed=3)
    assert prepared(suite) == (
        ALL_IDS,
        [
            "mine@test_sel.py::test_alpha",
            "mine@test_sel.py::test_beta",
            "mine@test_sel.py::test_gamma",
            "common",
            "only_beta",
        ],
    )


def test_tests_deselected_by_keyword_contribute_no_roots(suite: pytest.Pytester) -> None:
    suite.runpytest("-k", "not beta").assert_outcomes(passed=2, deselected=1)
    assert prepared(suite) == (
        ["test_sel.py::test_alpha", "test_sel.py::test_gamma"],
        ["mine@test_sel.py::test_alpha", "mine@test_sel.py::test_gamma", "common"],
    )


def test_tests_deselected_by_marker_contribute_no_roots(suite: pytest.Pytester) -> None:
    suite.runpytest("-m", "not slow").assert_outcomes(passed=2, deselected=1)
    assert prepared(suite) == (
        ["test_sel.py::test_beta", "test_sel.py::test_gamma"],
        ["mine@test_sel.py::test_beta", "mine@test_sel.py::test_gamma", "only_beta", "common"],
    )


def test_tests_deselected_by_node_id_contribute_no_roots(suite: pytest.Pytester) -> None:
    result = suite.runpytest("--deselect", "test_sel.py::test_alpha")
    result.assert_outcomes(passed=2, deselected=1)
    assert prepared(suite) == (
        ["test_sel.py::test_beta", "test_sel.py::test_gamma"],
        ["mine@test_sel.py::test_beta", "mine@test_sel.py::test_gamma", "only_beta", "common"],
    )


def test_selecting_one_test_by_node_id_prepares_only_its_roots(suite: pytest.Pytester) -> None:
    suite.runpytest("test_sel.py::test_beta").assert_outcomes(passed=1)
    assert prepared(suite) == (
        ["test_sel.py::test_beta"],
        ["mine@test_sel.py::test_beta", "only_beta"],
    )


def test_disabling_randomly_changes_nothing(suite: pytest.Pytester) -> None:
    suite.runpytest("-p", "no:randomly").assert_outcomes(passed=3)
    assert prepared(suite)[0] == ALL_IDS


def test_last_failed_rerun_prepares_only_for_the_failed_test(suite: pytest.Pytester) -> None:
    write_suite(suite, fail="beta")
    suite.runpytest().assert_outcomes(passed=2, failed=1)
    forget_log(suite)
    result = suite.runpytest("--lf")
    result.assert_outcomes(failed=1)
    assert prepared(suite) == (
        ["test_sel.py::test_beta"],
        ["mine@test_sel.py::test_beta", "only_beta"],
    )


def test_exit_first_stops_after_the_first_failure(suite: pytest.Pytester) -> None:
    write_suite(suite, fail="alpha")
    result = suite.runpytest("-x")
    result.assert_outcomes(failed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert "INTERNALERROR" not in result.stdout.str()
    # The producer prepared for the whole selection before the first test ran.
    assert prepared(suite)[0] == ALL_IDS
