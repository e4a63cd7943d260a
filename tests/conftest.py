"""Shared fixtures of the test suite."""

from __future__ import annotations

import pytest

#: options of every pytest run a test makes (see the ``pytester`` fixture)
SUITE_OPTIONS = "-p no:randomly -p no:hypothesispytest"


@pytest.fixture
def pytester(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """pytest's own, with the suites it runs kept in their written order and without
    Hypothesis.

    The outer run is shuffled by pytest-randomly, so no test here may depend on another. The
    small suites a test writes and runs are not: many tests check what those print, in order.
    None of them uses Hypothesis, whose pytest plugin imports all of it (about a second) in
    every pytest process, subprocess and xdist worker. (pytester clears PYTEST_ADDOPTS when it
    starts; setting it afterwards reaches the runs it makes, in process, in subprocesses and
    in their xdist workers.)
    """
    monkeypatch.setenv("PYTEST_ADDOPTS", SUITE_OPTIONS)
    return pytester
