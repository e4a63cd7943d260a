"""Shared helpers of the benchmarks: write generated pytest suites, run and time them.

A generated suite is a folder with its own ``pytest.ini`` (so the repository's settings do not
apply), a ``bench_support.py`` with the trivial work and the plan, and ``N`` test modules.
Every variant does the same work per test; only the way values reach the tests differs:

- ``plain``: a module-scoped fixture for the shared value, a function-scoped one per test;
- ``chain``: the same, with the module fixture requesting a session fixture, as a producer
  requests ``warmup_mgr``: what pytest itself charges for the shape of the warmup variants;
- ``module``: one module-scoped producer per module, values injected with ``@warmup_param``;
- ``session``: one session-scoped producer (in ``conftest.py``) for every test of the run.
"""

from __future__ import annotations

import collections
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

VARIANTS = ("plain", "chain", "module", "session")

_INI = """\
[pytest]
python_files = test_*.py
"""

_SUPPORT = '''\
"""Trivial work and the plan the warmup variants use to do it."""

from pytest_warmup import WarmupPlan


def work(number):
    return number + 1


class TrivialPlan(WarmupPlan):
    def prepare_node(self, node):
        return work(node.payload["n"])


plan = TrivialPlan("trivial")
'''

# Loaded with ``-p bench_durations``: the time pytest spent in setup, call and teardown of the
# tests (every pytest-warmup step runs in there, producers included). Unlike process times it
# leaves out startup, collection and shutdown, and is the steadiest number on a busy machine.
_DURATIONS = """\
import sys

_total = [0.0]


def pytest_runtest_logreport(report):
    _total[0] += report.duration


def pytest_unconfigure(config):
    sys.stderr.write(f"bench-runtest-seconds {_total[0]:.4f}\\n")
"""

# Loaded with ``-p bench_nogc``: no cyclic garbage collection. When and how often a full
# collection runs depends on how many objects are alive, which makes timings jump between
# sizes; without it, what is left is the algorithmic cost of each step.
_NO_GC = """\
import gc

gc.disable()
"""

_SESSION_CONFTEST = """\
import pytest

from bench_support import plan


@pytest.fixture(scope="session")
def prepared(warmup_mgr):
    return warmup_mgr.use(plan).prepare()
"""


_CHAIN_CONFTEST = """\
import pytest


@pytest.fixture(scope="session")
def manager():
    return object()
"""

_PLAIN = ("plain", "chain")


def _module_source(variant: str, tests: int, per_test: bool) -> str:
    lines = ["import pytest", ""]
    if variant in _PLAIN:
        lines += [
            "from bench_support import work",
            "",
            "",
            '@pytest.fixture(scope="module")',
            f"def value({'manager' if variant == 'chain' else ''}):",
            "    return work(1)",
            "",
        ]
        if per_test:
            lines += ["", "@pytest.fixture", "def own_value():", "    return work(2)", ""]
    else:
        lines += [
            "from pytest_warmup import warmup_param",
            "",
            "from bench_support import plan",
            "",
            'shared = plan.require(payload={"n": 1})',
        ]
        if per_test:
            lines.append('own = plan.require(payload={"n": 2}, is_per_test=True)')
        if variant == "module":
            lines += [
                "",
                "",
                '@pytest.fixture(scope="module")',
                "def prepared(warmup_mgr):",
                "    return warmup_mgr.use(plan).prepare()",
            ]
        lines.append("")
    arguments = ["value", "own_value"] if per_test else ["value"]
    if variant not in _PLAIN:
        arguments.insert(0, "prepared")
    for number in range(tests):
        lines.append("")
        if variant not in _PLAIN:
            lines.append('@warmup_param("value", shared)')
            if per_test:
                lines.append('@warmup_param("own_value", own)')
        lines.append(f"def test_{number}({', '.join(arguments)}):")
        lines.append("    assert value == 2")
        if per_test:
            lines.append("    assert own_value == 3")
        lines.append("")
    return "\n".join(lines)


def write_suite(
    directory: Path, variant: str, *, modules: int, tests_per_module: int, per_test: bool
) -> Path:
    """Write one generated suite into ``directory`` (created) and return it."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}, expected one of {VARIANTS}")
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "pytest.ini").write_text(_INI)
    (directory / "bench_support.py").write_text(_SUPPORT)
    (directory / "bench_durations.py").write_text(_DURATIONS)
    (directory / "bench_nogc.py").write_text(_NO_GC)
    if variant == "session":
        (directory / "conftest.py").write_text(_SESSION_CONFTEST)
    elif variant == "chain":
        (directory / "conftest.py").write_text(_CHAIN_CONFTEST)
    source = _module_source(variant, tests_per_module, per_test)
    for index in range(modules):
        (directory / f"test_generated_{index:04d}.py").write_text(source)
    return directory


@dataclass(frozen=True)
class Timing:
    wall: float  # seconds, interpreter start to exit
    cpu: float  # user + system seconds of the pytest process
    session: float  # seconds, as pytest reports it ("... in 1.23s")
    runtest: float  # seconds in setup + call + teardown of the tests (0.0 if not measured)


# "5000 passed in 3.21s", or "5000 tests collected in 1.02s" with --collect-only
_RUNTEST = re.compile(r"bench-runtest-seconds ([\d.]+)")
_SUMMARY = re.compile(r"(\d+) (?:passed|tests? collected).* in ([\d.]+)s")


def _pytest_command(
    directory: Path, extra_args: Sequence[str], python: str | None = None
) -> list[str]:
    return [
        python or sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:xdist",
        *(["-p", "bench_durations"] if (directory / "bench_durations.py").exists() else []),
        *extra_args,
        str(directory),
    ]


def _check_passed(
    completed: subprocess.CompletedProcess[str], directory: Path, expected_tests: int
) -> re.Match[str]:
    lines = completed.stdout.strip().splitlines()
    match = _SUMMARY.search(lines[-1]) if lines else None
    if completed.returncode != 0 or match is None or int(match.group(1)) != expected_tests:
        raise RuntimeError(
            f"benchmark suite {directory} did not pass ({expected_tests} tests expected):\n"
            + "\n".join(lines[-30:])
            + completed.stderr[-3000:]
        )
    return match


_INSTRUCTIONS = re.compile(r"I\s+refs:\s+([\d,]+)")


def count_instructions(directory: Path, expected_tests: int, extra_args: Sequence[str] = ()) -> int:
    """Run a generated suite once under ``valgrind --tool=callgrind`` (about 50 times slower)
    and return the machine instructions it executed. Unlike times, the count hardly changes
    between runs or with what else the machine is doing."""
    if shutil.which("valgrind") is None:
        raise RuntimeError("counting instructions needs valgrind (apt install valgrind)")
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryDirectory() as scratch:
        command = [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={scratch}/callgrind.out",
            *_pytest_command(directory, extra_args),
        ]
        completed = subprocess.run(
            command, cwd=directory, capture_output=True, text=True, env=environment, check=False
        )
    _check_passed(completed, directory, expected_tests)
    found = _INSTRUCTIONS.search(completed.stderr)
    if found is None:
        raise RuntimeError(f"valgrind printed no instruction count:\n{completed.stderr[-3000:]}")
    return int(found.group(1).replace(",", ""))


def run_suite(
    directory: Path,
    expected_tests: int,
    extra_args: Sequence[str] = (),
    *,
    cache_bytecode: bool = True,
    python: str | None = None,
) -> Timing:
    """Run a generated suite once in a fresh interpreter (``python``, default: this one); fail
    loudly unless all tests pass (or, with ``--collect-only``, unless all were collected)."""
    command = _pytest_command(directory, extra_args, python)
    # By default bytecode (and pytest's rewritten test modules) is cached, as in everyday runs;
    # without the cache every run compiles the suite again, so the first run needs no warm-up.
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    if not cache_bytecode:
        environment["PYTHONDONTWRITEBYTECODE"] = "1"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    completed = subprocess.run(
        command, cwd=directory, capture_output=True, text=True, env=environment, check=False
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    match = _check_passed(completed, directory, expected_tests)
    runtest = _RUNTEST.search(completed.stderr)
    return Timing(
        wall=wall,
        cpu=cpu,
        session=float(match.group(2)),
        runtest=float(runtest.group(1)) if runtest else 0.0,
    )


def median_timing(timings: Sequence[Timing]) -> Timing:
    return Timing(
        wall=statistics.median(t.wall for t in timings),
        cpu=statistics.median(t.cpu for t in timings),
        runtest=statistics.median(t.runtest for t in timings),
        session=statistics.median(t.session for t in timings),
    )


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain text table: first column left-aligned, the others right-aligned."""
    widths = [max(len(row[i]) for row in [headers, *rows]) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            cell.ljust(width) if index == 0 else cell.rjust(width)
            for index, (cell, width) in enumerate(zip(cells, widths, strict=True))
        )

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(headers), rule, *(line(row) for row in rows)])


def run_logged(
    directory: Path, arguments: Sequence[str], env: dict[str, str] | None = None
) -> tuple[float, float, collections.Counter[str]]:
    """Run pytest in ``directory`` (plugins of the dev install left out), with ``BENCH_LOG``
    naming the event log its plans append ``<event> <detail>`` lines to. Returns the wall
    time, the CPU time of the child and how often each event was logged; exits with the
    output when the run fails."""
    log = directory / "api.log"
    log.unlink(missing_ok=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:randomly",
            "-p",
            "no:cacheprovider",
            *arguments,
        ],
        cwd=directory,
        env={**os.environ, **(env or {}), "BENCH_LOG": str(log)},
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if completed.returncode != 0:
        sys.exit(f"pytest {' '.join(arguments)} failed:\n{completed.stdout}\n{completed.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    events = collections.Counter(line.split(" ", 1)[0] for line in log.read_text().splitlines())
    return wall, cpu, events
