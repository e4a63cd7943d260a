"""How fast failures are reported (issue 13, item 4).

Two generated suites of ``--tests`` tests (default 1,000), each test an error:
- plain: every test uses one session fixture that raises;
- warmup: every test binds one requirement whose plan raises (a session producer).

Each suite runs in a fresh ``python -m pytest -q``, the two interleaved, ``--runs`` times; the
verdict compares the medians of CPU time (user + system of the pytest process). Target: the
warmup suite within 1.5 times the plain one. Also printed: wall time, and the size of the
output (a failure repeated in full for every test makes both grow).

    python benchmarks/bench_error_reports.py [--tests 1000] [--runs 5] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET = 1.5

PLAIN = """
import pytest


@pytest.fixture(scope="session")
def resource():
    raise RuntimeError("the directory service is down")

{tests}
"""

WARMUP = """
import pytest
from pytest_warmup import WarmupPlan, warmup_param


class Customers(WarmupPlan):
    def prepare_node(self, node):
        raise RuntimeError("the directory service is down")


customer = Customers("customers").require(id="customer")


@pytest.fixture(scope="session")
def shop(warmup_mgr):
    return warmup_mgr.use(customer.owner_plan).prepare()

{tests}
"""


def _write(directory: Path, template: str, test: str, tests: int) -> Path:
    directory.mkdir(parents=True)
    (directory / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    body = "\n".join(test.format(number=number) for number in range(tests))
    (directory / "test_errors.py").write_text(template.format(tests=body), encoding="utf-8")
    return directory


def _run(directory: Path, tests: int) -> tuple[float, float, int]:
    """(cpu seconds, wall seconds, bytes of output) of one run; every test must be an error."""
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist"],
        cwd=directory,
        capture_output=True,
        text=True,
        env=environment,
        check=False,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    last = completed.stdout.strip().splitlines()[-1] if completed.stdout.strip() else ""
    if not re.search(rf"\b{tests} errors? in ", last):
        raise RuntimeError(f"expected {tests} errors in {directory}, got: {last}")
    return cpu, wall, len(completed.stdout.encode())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=1000, help="tests per suite (default 1000)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per suite (default 5)")
    parser.add_argument("--keep", type=Path, help="write the suites here and keep them")
    options = parser.parse_args()
    base = options.keep or Path(tempfile.mkdtemp(prefix="warmup-errors-"))
    suites = {
        "plain, one failing session fixture": _write(
            base / "plain", PLAIN, "\ndef test_{number}(resource):\n    pass\n", options.tests
        ),
        "warmup, one failed node": _write(
            base / "warmup",
            WARMUP,
            '\n@warmup_param("value", customer)\ndef test_{number}(shop, value):\n    pass\n',
            options.tests,
        ),
    }
    try:
        for directory in suites.values():
            _run(directory, options.tests)  # untimed: fills bytecode caches
        runs: dict[str, list[tuple[float, float, int]]] = {name: [] for name in suites}
        for _ in range(options.runs):
            for name, directory in suites.items():
                runs[name].append(_run(directory, options.tests))
    finally:
        if options.keep is None:
            shutil.rmtree(base, ignore_errors=True)

    cpu = {name: statistics.median(r[0] for r in found) for name, found in runs.items()}
    wall = {name: statistics.median(r[1] for r in found) for name, found in runs.items()}
    size = {name: found[0][2] for name, found in runs.items()}
    print(f"{options.tests} tests, each an error; medians of {options.runs} interleaved runs")
    print(f"{'suite':<38}{'cpu s':>8}{'wall s':>8}{'output KB':>11}")
    for name in suites:
        print(f"{name:<38}{cpu[name]:>8.2f}{wall[name]:>8.2f}{size[name] / 1024:>11.0f}")
    plain, warmup = (cpu[name] for name in suites)
    ratio = warmup / plain
    verdict = "within target" if ratio <= TARGET else "ABOVE TARGET"
    print(f"warmup against plain: {ratio:.2f}x cpu time (target: at most {TARGET}x): {verdict}")
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
