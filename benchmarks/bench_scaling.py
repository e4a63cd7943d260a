"""Scaling of pytest-warmup (issue 2): a 5,000-deep dependency chain, and linear growth in tests.

1. chain: one producer prepares a chain of ``--depth`` requirements (each depends on the previous
   one), first in-process through the engine alone, then as a pytest run where tests bind the
   end of the chain. Each level is its own batch, so this is the worst case for the scheduler;
   it must finish without ``RecursionError``. A per-test variant makes the head per-test, so two
   tests get their own ``depth``-long chains (``2 x depth`` runtime instances).
2. scaling: the generated suite of ``bench_overhead.py`` (shared + per-test requirement per test)
   at 2,500, 5,000 and 10,000 tests, with plain fixtures, module producers and one session
   producer covering every test. Doubling the tests should roughly double the time; the
   ``x prev`` columns show the factor, and the plugin's extra time over plain fixtures should
   double too (nothing quadratic in tests or nodes). Besides process cpu time it reports the
   time pytest spent running the tests (setup + call + teardown), the steadiest number on a
   busy machine. The garbage collector is off in these runs: when its full collections run
   depends on how many objects are alive, which makes single sizes jump; the cost of the
   objects pytest-warmup keeps alive shows in ``bench_overhead.py`` instead. Runs use
   ``--assert=plain`` and no bytecode cache: compiling the generated modules is then cheap and
   the same in every run, so no untimed warm-up run is needed.

    python benchmarks/bench_scaling.py [--depth 5000] [--sizes 2500 5000 10000] [--runs 2]
                                       [--only chain|scaling]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from generated_suites import Timing, median_timing, run_suite, table, write_suite

from pytest_warmup import WarmupNode, WarmupPlan, WarmupRequirement
from pytest_warmup.engine import prepare

TESTS_PER_MODULE = 50

_CHAIN_MODULE = """\
import pytest

from pytest_warmup import WarmupPlan, warmup_param

DEPTH = {depth}


class ChainPlan(WarmupPlan):
    def prepare_node(self, node):
        return node.deps["previous"] + 1 if node.deps else 0


chain = ChainPlan("chain")
levels = [chain.require(id="level-0", is_per_test={per_test})]
for level in range(1, DEPTH):
    levels.append(chain.require(id=f"level-{{level}}", dependencies={{"previous": levels[-1]}}))


@pytest.fixture(scope="module")
def prepared(warmup_mgr):
    return warmup_mgr.use(chain).prepare()


@warmup_param("last", levels[-1])
def test_end_of_chain(prepared, last):
    assert last == DEPTH - 1


@warmup_param("last", levels[-1])
@warmup_param("middle", levels[DEPTH // 2])
def test_middle_and_end(prepared, middle, last):
    assert (middle, last) == (DEPTH // 2, DEPTH - 1)
"""


class _ChainPlan(WarmupPlan):
    def prepare_node(self, node: WarmupNode) -> int:
        previous: int = node.deps["previous"] if node.deps else -1
        return previous + 1


def engine_chain(depth: int, workers: int) -> float:
    """Seconds to declare, normalise and prepare a ``depth``-long chain without pytest."""
    started = time.perf_counter()
    plan = _ChainPlan("chain")
    last: WarmupRequirement = plan.require()
    for _ in range(1, depth):
        last = plan.require(dependencies={"previous": last})
    with prepare({"test_chain": [last]}, max_workers=workers) as prepared:
        value = prepared.value(last)
    if value != depth - 1:
        raise AssertionError(f"end of chain is {value}, expected {depth - 1}")
    return time.perf_counter() - started


def run_chain(base: Path, depth: int) -> None:
    print(f"1. dependency chain, {depth} deep, one plan (one batch per level)")
    print()
    rows = []
    for workers in (1, 4):
        seconds = engine_chain(depth, workers)
        rows.append([f"engine only, {workers} worker(s)", str(depth), f"{seconds:.2f}"])
    for per_test in (False, True):
        directory = base / f"chain-{'per-test' if per_test else 'shared'}"
        directory.mkdir(parents=True)
        (directory / "pytest.ini").write_text("[pytest]\n")
        (directory / "test_chain.py").write_text(
            _CHAIN_MODULE.format(depth=depth, per_test=per_test)
        )
        timing = run_suite(directory, 2)
        instances = depth * 2 if per_test else depth
        label = "pytest, per-test head (2 tests)" if per_test else "pytest, shared chain"
        rows.append([label, str(instances), f"{timing.wall:.2f}"])
    print(table(["run", "runtime instances", "seconds"], rows))
    print()


def run_scaling(base: Path, sizes: Sequence[int], runs: int) -> None:
    print(
        f"2. scaling: shared + per-test requirement per test, {TESTS_PER_MODULE} tests per "
        f"module, median of {runs} run(s) per suite, garbage collector off"
    )
    print()
    variants = {
        "plain fixtures": "plain",
        "module producers": "module",
        "one session producer": "session",
    }
    results: dict[str, dict[int, Timing]] = {name: {} for name in variants}
    for size in sizes:
        modules = max(1, size // TESTS_PER_MODULE)
        tests = modules * TESTS_PER_MODULE
        suites = {
            name: write_suite(
                base / f"{variant}-{tests}",
                variant,
                modules=modules,
                tests_per_module=TESTS_PER_MODULE,
                per_test=True,
            )
            for name, variant in variants.items()
        }
        timings: dict[str, list[Timing]] = {name: [] for name in suites}
        for _ in range(runs):
            for name, directory in suites.items():
                timings[name].append(
                    run_suite(
                        directory,
                        tests,
                        ["--assert=plain", "-p", "bench_nogc"],
                        cache_bytecode=False,
                    )
                )
        for name in suites:
            results[name][tests] = median_timing(timings[name])
        for directory in suites.values():
            shutil.rmtree(directory, ignore_errors=True)

    rows = []
    plain = results["plain fixtures"]
    for name, by_size in results.items():
        previous: Timing | None = None
        previous_extra = 0.0
        for tests, timing in by_size.items():
            extra = timing.runtest - plain[tests].runtest
            rows.append(
                [
                    name,
                    str(tests),
                    f"{timing.cpu:.2f}",
                    _factor(timing.cpu, previous.cpu if previous else 0.0),
                    f"{timing.runtest:.2f}",
                    _factor(timing.runtest, previous.runtest if previous else 0.0),
                    f"{timing.runtest / tests * 1e6:.0f}",
                    "" if timing is plain[tests] else f"{extra:+.2f}",
                    "" if timing is plain[tests] else _factor(extra, previous_extra),
                ]
            )
            previous, previous_extra = timing, extra
    headers = [
        "variant",
        "tests",
        "cpu s",
        "x prev",
        "tests s",
        "x prev",
        "tests us/test",
        "extra tests s",
        "x prev",
    ]
    print(table(headers, rows))
    print()
    print("cpu s: user + system time of the whole pytest process (startup and collection too)")
    print("tests s: time pytest spent in setup, call and teardown of the tests; every plugin step")
    print("  (finding covered tests, roots, graph, batches, injection) happens in there")
    print("extra tests s: tests s above plain fixtures of the same size")
    print("x prev: factor to the previous, half as large size; about 2 means linear growth")


def _factor(value: float, previous: float) -> str:
    return f"x{value / previous:.2f}" if previous > 0 else ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--depth", type=int, default=5000, help="chain depth (default 5000)")
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[2500, 5000, 10000], help="suite sizes in tests"
    )
    parser.add_argument(
        "--runs", type=int, default=2, help="timed runs per suite, median taken (default 2)"
    )
    parser.add_argument("--only", choices=["chain", "scaling"], help="run one part only")
    options = parser.parse_args()
    sys.setrecursionlimit(1000)  # the default: deep chains must not need more
    base = Path(tempfile.mkdtemp(prefix="warmup-scaling-"))
    try:
        if options.only in (None, "chain"):
            run_chain(base, options.depth)
        if options.only in (None, "scaling"):
            run_scaling(base, options.sizes, options.runs)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
