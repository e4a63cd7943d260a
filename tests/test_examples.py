"""The example suites in examples/ run green, each file on its own and all together."""

from __future__ import annotations

from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

#: example file or folder -> number of tests in it
EXAMPLE_TESTS = {
    "basic_usage.py": 2,
    "fixture_binding_usage.py": 3,
    "named_producer_usage.py": 3,
    "per_test_usage.py": 5,
    "dependency_chain": 6,
    "lifecycle_usage.py": 3,
}


@pytest.mark.parametrize(("example", "count"), EXAMPLE_TESTS.items())
def test_example_passes_on_its_own(pytester: pytest.Pytester, example: str, count: int) -> None:
    result = pytester.runpytest_subprocess(str(EXAMPLES / example), "-p", "no:cacheprovider")
    result.assert_outcomes(passed=count)


def test_examples_folder_passes_as_a_whole(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess(str(EXAMPLES), "-p", "no:cacheprovider")
    result.assert_outcomes(passed=sum(EXAMPLE_TESTS.values()))
    # The examples folder brings its own settings instead of the repository's.
    result.stdout.fnmatch_lines(["configfile: pytest.ini"])


def test_every_example_file_is_covered() -> None:
    found = {
        path.name
        for path in EXAMPLES.iterdir()
        if path.name.endswith("_usage.py") or (path.is_dir() and not path.name.startswith("."))
    }
    found.discard("__pycache__")
    assert found == set(EXAMPLE_TESTS)
