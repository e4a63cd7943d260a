"""``-v``: a line as each preparation begins and ends, and as each batch starts and ends."""

from __future__ import annotations

import pytest

from visibility_suite import SCOPE_ID, install

PRODUCER = f"producer 'shop' ({SCOPE_ID})"


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    install(pytester)
    return pytester


@pytest.mark.parametrize("workers", ["1", "3"])
def test_verbose_runs_tell_every_batch(suite: pytest.Pytester, workers: str) -> None:
    result = suite.runpytest("-v", "--warmup-workers", workers)
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(
        [
            "test_shop.py::test_books ",
            f"warmup: {PRODUCER}: 4 nodes for 3 tests",
            "warmup:   facility: 1 node ...",
            "warmup:   facility: 1 node in *s",
            "warmup:   program: 1 node ...",
            "warmup:   program: 1 node in *s",
            "warmup:   order: 2 nodes ...",
            "warmup:   order: 2 nodes in *s",
            f"warmup: {PRODUCER}: done in *s",
            "",  # pytest's, before it writes the test's result again
            "test_shop.py::test_books PASSED *",
        ],
        consecutive=True,
    )


def test_failed_nodes_are_counted_as_their_batch_ends(pytester: pytest.Pytester) -> None:
    install(pytester, order_payload='"fail": "no seats left"')
    result = pytester.runpytest("-v")
    result.stdout.fnmatch_lines(["warmup:   order: 2 nodes in *s, 2 failed"])


@pytest.mark.parametrize("flags", [[], ["-q"]])
def test_default_and_quiet_runs_tell_nothing_as_they_go(
    suite: pytest.Pytester, flags: list[str]
) -> None:
    result = suite.runpytest(*flags)
    result.assert_outcomes(passed=3)
    assert "warmup:   " not in result.stdout.str()
    assert "nodes for 3 tests" not in result.stdout.str()
