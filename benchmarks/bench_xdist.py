"""What pytest-xdist buys a suite whose resources and tests are slow (issue 15).

A generated suite: ``--modules`` modules of ``--tests`` tests; a session producer with one
shared customer (its plan sleeps ``--prepare`` seconds per batch), and in each module a module
producer with one shared order book and a per-test order per test; every test sleeps
``--test-time`` seconds. Each run appends every create and delete to a log.

It runs with ``-n 0`` and ``-n 2`` (``--dist load`` unless ``--dist`` says otherwise),
interleaved, ``--runs`` times, and prints the median wall time of each, the speed-up, and the
creates and deletes of each run (they must be equal: pytest-xdist must not multiply the work).
CPU time is printed too; here the point is wall time, which xdist exists to cut, and the
number of creates.

    python benchmarks/bench_xdist.py [--modules 4] [--tests 10] [--runs 3] [--dist loadfile]
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
from pytest_warmup import WarmupPlan, warmup_param

PREPARE = {prepare}


class Api(WarmupPlan):
    def before_prepare(self, nodes):
        time.sleep(PREPARE)  # one round trip per batch

    def prepare_node(self, node):
        name = f"{{self.name}}:{{node.id}}:{{node.test_id or ''}}"
        with open(os.environ["BENCH_LOG"], "a") as log:
            log.write(f"create {{name}}\\n")
        return name

    def cleanup_node(self, node):
        with open(os.environ["BENCH_LOG"], "a") as log:
            log.write(f"delete {{node.value}}\\n")


customers = Api("customers")
books = Api("books")
orders = Api("orders")
vip = customers.require(id="vip")


@pytest.fixture(scope="session")
def session_prep(warmup_mgr):
    return warmup_mgr.use(customers).prepare()


@pytest.fixture(scope="session")
@warmup_param("value", vip, producer_fixture="session_prep")
def vip_customer(session_prep, value):
    return value
"""

MODULE = """
import time
import pytest
from pytest_warmup import warmup_param
from conftest import books, orders, vip

book = books.require(id="book_{index}", dependencies={{"customer": vip}})
order = orders.require(id="order", dependencies={{"book": book}}, is_per_test=True)


@pytest.fixture(scope="module")
def module_prep(warmup_mgr):
    return warmup_mgr.use(books, orders).prepare()


@pytest.mark.parametrize("i", range({tests}))
@warmup_param("own", order, producer_fixture="module_prep")
def test_order(vip_customer, module_prep, own, i):
    time.sleep({test_time})
"""


def _write(directory: Path, options: argparse.Namespace) -> None:
    (directory / "conftest.py").write_text(CONFTEST.format(prepare=options.prepare))
    for index in range(options.modules):
        (directory / f"test_m{index}.py").write_text(
            MODULE.format(index=index, tests=options.tests, test_time=options.test_time)
        )


def _run(directory: Path, workers: str, dist: str) -> tuple[float, float, collections.Counter[str]]:
    return run_logged(directory, ["-n", workers, *(["--dist", dist] if workers != "0" else [])])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", type=int, default=4)
    parser.add_argument("--tests", type=int, default=10, help="tests per module")
    parser.add_argument("--prepare", type=float, default=0.5, help="seconds per batch")
    parser.add_argument("--test-time", type=float, default=0.1, help="seconds per test")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--dist", default="load", help="the --dist mode of -n 2")
    options = parser.parse_args()
    results: dict[str, list[tuple[float, float, collections.Counter[str]]]] = {"0": [], "2": []}
    with tempfile.TemporaryDirectory() as temporary:
        directory = Path(temporary)
        _write(directory, options)
        for _ in range(options.runs):
            for workers in results:
                results[workers].append(_run(directory, workers, options.dist))
    total = options.modules * options.tests
    print(
        f"{options.modules} modules x {options.tests} tests ({total} tests), "
        f"{options.prepare}s per batch, {options.test_time}s per test, {options.runs} runs"
    )
    for workers, runs in results.items():
        wall = statistics.median(run[0] for run in runs)
        cpu = statistics.median(run[1] for run in runs)
        events = runs[0][2]
        same = all(run[2] == events for run in runs)
        print(
            f"-n {workers}: wall {wall:6.2f}s  cpu {cpu:6.2f}s  creates {events['create']}  "
            f"deletes {events['delete']}{'' if same else '  (differs between runs!)'}"
        )
    serial = statistics.median(run[0] for run in results["0"])
    parallel = statistics.median(run[0] for run in results["2"])
    print(f"speed-up of -n 2 --dist {options.dist}: {serial / parallel:.2f}x (wall time)")
    if results["0"][0][2] != results["2"][0][2]:
        sys.exit("the creates and deletes of -n 2 differ from those of -n 0")


if __name__ == "__main__":
    main()
