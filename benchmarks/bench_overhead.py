"""Overhead of pytest-warmup against plain fixtures on a large generated suite (issue 2).

Writes the same suite twice (default: 100 modules x 50 tests = 5,000 tests): once with one
module-scoped producer per module injecting a shared requirement (and, with ``--per-test``, a
per-test one) through ``@warmup_param``, once with plain pytest fixtures doing the same trivial
work. Each variant runs in a fresh ``python -m pytest -q -p no:cacheprovider``; runs are
interleaved, and the fastest and the median wall time are reported. Target: warmup within 10% of
plain fixtures, judged on the fastest run of each variant: on a shared machine, other work only
ever adds time, so the fastest run is the best estimate of what a suite itself costs. The ratio
of each round's two runs is reported as well: its spread shows how steady the machine was.

The plain suite is timed twice: with pytest-warmup disabled (``-p no:pytest-warmup``, what a
suite costs without the plugin at all) and with it installed but unused. A third plain suite
has the shape of the warmup one (its module fixture requests a session fixture, as a producer
requests ``warmup_mgr``), with the plugin disabled: the part of the overhead that pytest itself
charges for that shape, to tell apart from what the plugin adds.

With ``--baseline-python PATH`` the warmup suite also runs under another interpreter, in the same
rounds: point it at a virtual environment with an earlier pytest-warmup installed to compare
two versions of the plugin on CPU time (user + system) medians.

With ``--instructions``, each variant also runs once under valgrind's callgrind, which counts
the machine instructions executed: a number that does not depend on how busy the machine is
(it leaves out what memory and caches cost, so it complements the times, not replaces them).

    python benchmarks/bench_overhead.py [--modules 100] [--tests-per-module 50] [--runs 5]
                                        [--per-test] [--instructions] [--keep DIR]
                                        [--baseline-python PATH]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from generated_suites import (
    Timing,
    count_instructions,
    median_timing,
    run_suite,
    table,
    write_suite,
)

TARGET_PERCENT = 10.0
BASELINE = "warmup, baseline install"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", type=int, default=100, help="test modules (default 100)")
    parser.add_argument(
        "--tests-per-module", type=int, default=50, help="tests per module (default 50)"
    )
    parser.add_argument("--runs", type=int, default=5, help="timed runs per variant (default 5)")
    parser.add_argument(
        "--per-test", action="store_true", help="also inject a per-test requirement into each test"
    )
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="also count instructions with valgrind (minutes for 5,000 tests)",
    )
    parser.add_argument("--keep", type=Path, help="write the suites here and keep them")
    parser.add_argument(
        "--baseline-python",
        metavar="PATH",
        help="also run the warmup suite with this interpreter (another pytest-warmup install)",
    )
    options = parser.parse_args()

    base = options.keep or Path(tempfile.mkdtemp(prefix="warmup-bench-"))
    tests = options.modules * options.tests_per_module
    shape = {
        "modules": options.modules,
        "tests_per_module": options.tests_per_module,
        "per_test": options.per_test,
    }
    suites = {
        "plain fixtures, plugin disabled": (write_suite(base / "plain", "plain", **shape), True),
        "plain fixtures, plugin loaded": (base / "plain", False),
        "plain fixtures in the producer's shape": (
            write_suite(base / "chain", "chain", **shape),
            True,
        ),
        "warmup, module producers": (write_suite(base / "warmup", "module", **shape), False),
    }
    pythons = {name: None for name in suites}
    if options.baseline_python:
        suites[BASELINE] = (base / "warmup", False)
        pythons[BASELINE] = options.baseline_python
    try:
        timings: dict[str, list[Timing]] = {name: [] for name in suites}
        for name, (directory, disabled) in suites.items():  # untimed: fills bytecode caches
            run_suite(directory, tests, _arguments(disabled), python=pythons[name])
        for _ in range(options.runs):
            for name, (directory, disabled) in suites.items():
                timings[name].append(
                    run_suite(directory, tests, _arguments(disabled), python=pythons[name])
                )
        instructions = _count(suites, tests) if options.instructions else {}
    finally:
        if options.keep is None:
            shutil.rmtree(base, ignore_errors=True)

    medians = {name: median_timing(values) for name, values in timings.items()}
    fastest = {name: min(t.wall for t in values) for name, values in timings.items()}
    baseline = medians["plain fixtures, plugin disabled"]
    rows = [
        [
            name,
            f"{median.wall:.2f}",
            f"{fastest[name]:.2f}",
            f"{median.cpu:.2f}",
            f"{median.session:.2f}",
            f"{median.runtest:.2f}",
            _percent(median.wall, baseline.wall),
            _percent(fastest[name], fastest["plain fixtures, plugin disabled"]),
            _percent(median.cpu, baseline.cpu),
            _percent(median.runtest, baseline.runtest),
        ]
        for name, median in medians.items()
    ]
    per_test = " + one per-test requirement" if options.per_test else ""
    print(
        f"{tests} tests in {options.modules} modules; each test gets one shared "
        f"requirement{per_test}; median of {options.runs} interleaved runs"
    )
    print()
    headers = [
        "variant",
        "wall s",
        "min wall s",
        "cpu s",
        "pytest s",
        "tests s",
        "wall vs plain",
        "min vs plain",
        "cpu vs plain",
        "tests vs plain",
    ]
    print(table(headers, rows))
    print()
    if instructions:
        plain_count = instructions["plain fixtures, plugin disabled"]
        print(
            table(
                ["variant", "instructions", "vs plain"],
                [
                    [name, f"{count:,}", _percent(count, plain_count)]
                    for name, count in instructions.items()
                ],
            )
        )
        print()
    plain, warmup = "plain fixtures, plugin disabled", "warmup, module producers"
    overhead = _change(fastest[warmup], fastest[plain])
    typical = _change(medians[warmup].wall, medians[plain].wall)
    print(
        f"warmup overhead against plain fixtures without the plugin: {overhead:+.1f}% wall time "
        f"on the fastest runs, {typical:+.1f}% on the medians (target: at most "
        f"{TARGET_PERCENT:+.0f}% on the fastest runs): "
        + ("within target" if overhead <= TARGET_PERCENT else "ABOVE TARGET")
    )
    shaped = "plain fixtures in the producer's shape"
    print(
        f"of which pytest's own cost for the producer's shape: "
        f"{_change(fastest[shaped], fastest[plain]):+.1f}%; the plugin's own, against that "
        f"suite: {_change(fastest[warmup], fastest[shaped]):+.1f}% (fastest runs)"
    )
    # Runs of one round follow each other, so a slower or faster spell of the machine moves
    # both: the spread of these ratios shows how far the two numbers above can be trusted.
    paired = sorted(
        _change(w.wall, p.wall) for w, p in zip(timings[warmup], timings[plain], strict=True)
    )
    print(
        f"the same, round by round: median {statistics.median(paired):+.1f}%, "
        f"from {paired[0]:+.1f}% to {paired[-1]:+.1f}% over {len(paired)} rounds"
    )
    if options.baseline_python:
        cpu = _change(medians[warmup].cpu, medians[BASELINE].cpu)
        wall = _change(medians[warmup].wall, medians[BASELINE].wall)
        rounds = sorted(
            _change(w.cpu, b.cpu) for w, b in zip(timings[warmup], timings[BASELINE], strict=True)
        )
        print(
            f"this install against the baseline install ({options.baseline_python}): "
            f"{cpu:+.1f}% cpu time on the medians ({wall:+.1f}% wall); round by round "
            f"from {rounds[0]:+.1f}% to {rounds[-1]:+.1f}%"
        )
    print()
    print("wall s: process start to exit; cpu s: user + system time of the pytest process;")
    print("pytest s: the time pytest prints; tests s: time in setup, call and teardown of the")
    print("tests (producers run in there), the steadiest number when the machine is busy")
    return 0 if overhead <= TARGET_PERCENT else 1


def _count(suites: dict[str, tuple[Path, bool]], tests: int) -> dict[str, int]:
    """Instructions of one run of each variant, as many at a time as there are cores."""
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        futures = {
            name: pool.submit(count_instructions, directory, tests, _arguments(disabled))
            for name, (directory, disabled) in suites.items()
        }
        return {name: future.result() for name, future in futures.items()}


def _arguments(plugin_disabled: bool) -> list[str]:
    return ["-p", "no:pytest-warmup"] if plugin_disabled else []


def _change(value: float, baseline: float) -> float:
    return (value - baseline) / baseline * 100


def _percent(value: float, baseline: float) -> str:
    return f"{_change(value, baseline):+.1f}%"


if __name__ == "__main__":
    raise SystemExit(main())
