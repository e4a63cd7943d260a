"""Shared fixtures of the test suite."""

from __future__ import annotations

import pytest


@pytest.fixture
def pytester(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """pytest's own, with the suites it runs kept in their written order.

    The outer run is shuffled by pytest-randomly, so no test here may depend on another. The
    small suites a test writes and runs are not: many tests check what those print, in order.
    (pytester clears PYTEST_ADDOPTS when it starts; setting it afterwards reaches the runs it
    makes, in process and in subprocesses.)
    """
    monkeypatch.setenv("PYTEST_ADDOPTS", "-p no:randomly")
    return pytester
