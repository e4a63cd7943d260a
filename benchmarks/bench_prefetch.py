"""What --warmup-prefetch buys a latency-bound suite (issue 17).

A generated suite: ``--modules`` modules, each with ``--tests`` tests that sleep ``--test-time``
seconds (simulated test time) and one conftest module producer whose plans form a chain of
``--chain`` plans (``step0 <- step1 <- ...``), each batch sleeping ``--prepare`` seconds
(simulated API latency), so one instance's critical path is ``chain x prepare``. Each run
appends every create and delete to a log.

It runs without and with ``--warmup-prefetch``, interleaved, ``--runs`` times, and prints the
median wall and CPU time of each, the creates and deletes (they must be equal), and two limits:

- ``max(tests, preparation)``: the larger of the total test time and the total critical path
  of the preparations, what perfect overlap would give;
- ``pipeline``: what preparing one instance ahead can give at best: the first instance is
  prepared before any test (nothing tells its plans earlier), then each module takes the
  longer of its tests and the next instance's preparation.

A third run without any sleep measures what pytest itself takes (start, collection, hooks),
to add to the limits. Wall time is the point here (the feature overlaps waiting); CPU time
shows what it costs.

    python benchmarks/bench_prefetch.py [--modules 20] [--tests 3] [--test-time 0.1]
                                        [--prepare 0.1] [--chain 3] [--runs 3]
"""

from __future__ import annotations

import argparse
import collections
import statistics
import sys
import tempfile
from pathlib import Path

from generated_suites import run_logged

CONFTEST = """
import os, time
import pytest
from pytest_warmup import WarmupPlan


class Api(WarmupPlan):
    def before_prepare(self, nodes):
        time.sleep({prepare} * float(os.environ["BENCH_SCALE"]))  # one round trip per batch

    def prepare_node(self, node):
        with open(os.environ["BENCH_LOG"], "a") as log:
            log.write(f"create {{node.id}}\\n")
        return node.id

    def cleanup_node(self, node):
        with open(os.environ["BENCH_LOG"], "a") as log:
            log.write(f"delete {{node.value}}\\n")


steps = [Api(f"step{{index}}") for index in range({chain})]


def chain(module):
    requirement = None
    for index, plan in enumerate(steps):
        dependencies = {{"before": requirement}} if requirement is not None else {{}}
        requirement = plan.require(id=f"{{module}}_{{index}}", dependencies=dependencies)
    return requirement


@pytest.fixture(scope="module")
def prep(warmup_mgr):
    return warmup_mgr.use(*steps).prepare()
"""

MODULE = """
import os
import time
import pytest
from pytest_warmup import warmup_param
from conftest import chain

last = chain("m{index}")


@pytest.mark.parametrize("i", range({tests}))
@warmup_param("value", last)
def test_uses_the_chain(prep, value, i):
    time.sleep({test_time} * float(os.environ["BENCH_SCALE"]))
"""


def _write(directory: Path, options: argparse.Namespace) -> None:
    (directory / "conftest.py").write_text(
        CONFTEST.format(prepare=options.prepare, chain=options.chain)
    )
    for index in range(options.modules):
        (directory / f"test_m{index:02d}.py").write_text(
            MODULE.format(index=index, tests=options.tests, test_time=options.test_time)
        )


def _run(
    directory: Path, prefetch: bool, scale: float = 1.0
) -> tuple[float, float, collections.Counter[str]]:
    arguments = ["--warmup-prefetch"] if prefetch else []
    return run_logged(directory, arguments, {"BENCH_SCALE": str(scale)})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", type=int, default=20)
    parser.add_argument("--tests", type=int, default=3, help="tests per module")
    parser.add_argument("--test-time", type=float, default=0.1, help="seconds per test")
    parser.add_argument("--prepare", type=float, default=0.1, help="seconds per batch")
    parser.add_argument("--chain", type=int, default=3, help="plans in the dependency chain")
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    results: dict[str, list[tuple[float, float, collections.Counter[str]]]] = {"off": [], "on": []}
    baseline: list[float] = []
    with tempfile.TemporaryDirectory() as temporary:
        directory = Path(temporary)
        _write(directory, options)
        for _ in range(options.runs):
            for mode in results:
                results[mode].append(_run(directory, prefetch=mode == "on"))
            baseline.append(_run(directory, prefetch=False, scale=0.0)[0])
    tests = options.tests * options.test_time  # per module
    preparation = options.chain * options.prepare  # critical path per instance
    print(
        f"{options.modules} modules x {options.tests} tests of {options.test_time}s, a chain of "
        f"{options.chain} batches of {options.prepare}s per module, {options.runs} runs "
        "(medians)"
    )
    for mode, runs in results.items():
        wall = statistics.median(run[0] for run in runs)
        cpu = statistics.median(run[1] for run in runs)
        events = runs[0][2]
        same = all(run[2] == events for run in runs)
        print(
            f"prefetch {mode:3}: wall {wall:6.2f}s  cpu {cpu:6.2f}s  creates {events['create']}  "
            f"deletes {events['delete']}{'' if same else '  (differs between runs!)'}"
        )
    fixed = statistics.median(baseline)
    print(
        f"no sleeps   : wall {fixed:6.2f}s  (pytest, collection, the plugin: add it to the limits)"
    )
    total_tests, total_preparation = options.modules * tests, options.modules * preparation
    print(
        f"sum of both:             {total_tests + total_preparation:6.2f}s  (tests "
        f"{total_tests:.2f}s + preparation critical path {total_preparation:.2f}s)"
    )
    print(f"limit max(tests, prep.): {max(total_tests, total_preparation):6.2f}s")
    pipeline = preparation + options.modules * max(tests, preparation)
    print(f"limit one ahead:         {pipeline:6.2f}s  (first preparation + modules x max)")
    off = statistics.median(run[0] for run in results["off"])
    on = statistics.median(run[0] for run in results["on"])
    print(f"speed-up of --warmup-prefetch: {off / on:.2f}x (wall time)")
    if results["off"][0][2] != results["on"][0][2]:
        sys.exit("the creates and deletes with --warmup-prefetch differ from those without")


if __name__ == "__main__":
    main()
