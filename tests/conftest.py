"""Shared fixtures of the test suite, and how it runs by default."""

from __future__ import annotations

import pytest

#: options of every pytest run a test makes (see the ``pytester`` fixture)
SUITE_OPTIONS = "-p no:randomly -p no:hypothesispytest"


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist's own hook turns -n into workers
def pytest_cmdline_main(config: pytest.Config) -> None:
    """The whole suite (``pytest`` without paths) runs on one pytest-xdist worker per CPU:
    most of its time is spent in pytest runs of its own. ``-n 0`` or ``-p no:xdist`` run it
    in one process; with paths, it runs in one process unless ``-n`` says otherwise."""
    options = config.option
    if (
        getattr(options, "numprocesses", 0) is None  # pytest-xdist is there; -n was not given
        and config.args_source is pytest.Config.ArgsSource.TESTPATHS
        and not hasattr(config, "workerinput")
    ):
        options.numprocesses = "auto"
        if options.dist == "no":  # a few tests take seconds: an idle worker takes over tests
            options.dist = "worksteal"


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
