"""The local test matrix: every supported Python found on this machine, with the oldest and the
newest supported pytest.

    pip install nox   # or: pipx run nox
    nox               # every cell; `nox -l` lists them
    nox -s "tests-3.12(pytest='8.0.0')"   # one of them

An interpreter nox cannot find is skipped (with pyenv, `pyenv global 3.11 3.10 3.12 3.13` puts
them all on PATH). CI runs the default interpreter and the newest pytest only (`.ci/run`).
"""

from __future__ import annotations

import nox

PYTHONS = ["3.10", "3.11", "3.12", "3.13"]
#: the oldest pytest pyproject.toml allows, and whatever is newest on the index
PYTESTS = ["8.0.0", "newest"]

nox.options.error_on_missing_interpreters = False


@nox.session(python=PYTHONS)
@nox.parametrize("pytest", PYTESTS)
def tests(session: nox.Session, pytest: str) -> None:
    """The whole test suite and the examples, on two cores."""
    session.install("-e", ".[dev]")
    if pytest != "newest":
        session.install(f"pytest=={pytest}")
    session.run("python", "-m", "pytest", "-n", "2", "-p", "no:cacheprovider", *session.posargs)
    session.run("python", "-m", "pytest", "-p", "no:cacheprovider", "examples")
