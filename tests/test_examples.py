"""The example suites in examples/ run green, each file on its own and all together."""

from __future__ import annotations

import subprocess
import sys
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
    "sqlite_shop": 16,
}

#: example -> lines its run must print
EXAMPLE_LINES = {
    # 3 batches (customers, products, orders) written and deleted in 6 round trips; the tests'
    # own queries make the other 24.
    "sqlite_shop": [
        "sqlite_shop: 30 round trips to the database (SHOP_LATENCY_MS=0), 0 rows left behind"
    ],
}


@pytest.mark.parametrize(("example", "count"), EXAMPLE_TESTS.items())
def test_example_passes_on_its_own(pytester: pytest.Pytester, example: str, count: int) -> None:
    result = pytester.runpytest_subprocess(str(EXAMPLES / example), "-p", "no:cacheprovider")
    result.assert_outcomes(passed=count)
    result.stdout.fnmatch_lines(EXAMPLE_LINES.get(example, []))


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


def test_sqlite_shop_compare_runs_both_suites_and_counts_their_round_trips() -> None:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "sqlite_shop" / "compare.py"), "--latency-ms", "0"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "sqlite_shop, 0 ms per round trip to the database"
    # One INSERT and one DELETE per fixture: 19 rows cost 38 round trips instead of 6.
    assert lines[2].split()[:3] == ["pytest-warmup", "16", "30"]
    assert lines[3].split()[:4] == ["plain", "fixtures", "16", "62"]
    assert lines[4].startswith("pytest-warmup: 32 fewer round trips (2.1x fewer)")
