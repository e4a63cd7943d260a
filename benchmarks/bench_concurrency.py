"""Concurrency of independent batches (issue 5).

Graph: 8 independent plans, each taking DELAY per batch, plus a chain of 4 plans
(chain_1 <- chain_2 <- chain_3 <- chain_4). The critical path is the chain: 4 x DELAY.
Prepared with the plugin's default worker bound, the run should take at most 1.2x the critical
path; strictly sequential (1 worker) takes about 12 x DELAY.

    python benchmarks/bench_concurrency.py [--delay 0.2] [--async]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Sequence

from pytest_warmup import WarmupNode, WarmupPlan, WarmupRequirement, WarmupRuntime
from pytest_warmup._settings import DEFAULT_MAX_WORKERS
from pytest_warmup.engine import prepare


class SleepyPlan(WarmupPlan):
    """Each batch waits ``delay`` seconds, like a remote API round trip."""

    def __init__(self, name: str, delay: float) -> None:
        super().__init__(name)
        self.delay = delay

    def prepare(self, nodes: Sequence[WarmupNode], runtime: WarmupRuntime | None = None) -> None:
        time.sleep(self.delay)
        for node in nodes:
            node.set_value(self.name)


class AsyncSleepyPlan(SleepyPlan):
    async def prepare_node(self, node: WarmupNode) -> str:
        await asyncio.sleep(self.delay)
        return self.name

    prepare = WarmupPlan.prepare  # type: ignore[assignment]


def build(delay: float, use_async: bool) -> list[WarmupRequirement]:
    plan_type = AsyncSleepyPlan if use_async else SleepyPlan
    requirements: list[WarmupRequirement] = [
        plan_type(f"independent_{n}", delay).require(id=f"independent_{n}") for n in range(8)
    ]
    previous: WarmupRequirement | None = None
    for level in range(1, 5):
        plan = plan_type(f"chain_{level}", delay)
        dependencies = {"up": previous} if previous is not None else {}
        previous = plan.require(id=f"chain_{level}", dependencies=dependencies)
    assert previous is not None
    requirements.append(previous)
    return requirements


def run(workers: int, delay: float, use_async: bool) -> float:
    needs = {"test_x": build(delay, use_async)}
    started = time.perf_counter()
    with prepare(needs, max_workers=workers) as prepared:
        elapsed = time.perf_counter() - started
        assert all(node.has_value for node in prepared.instances)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--delay", type=float, default=0.2, help="seconds per batch")
    parser.add_argument("--async", dest="use_async", action="store_true", help="async plans")
    args = parser.parse_args()
    critical = 4 * args.delay
    rows = [
        ("default", DEFAULT_MAX_WORKERS, run(DEFAULT_MAX_WORKERS, args.delay, args.use_async)),
        ("sequential", 1, run(1, args.delay, args.use_async)),
    ]
    print(f"critical path: {critical:.3f} s ({'async' if args.use_async else 'sync'} plans)")
    print(f"{'mode':<12}{'workers':>8}{'seconds':>10}{'x critical':>12}")
    for mode, workers, elapsed in rows:
        print(f"{mode:<12}{workers:>8}{elapsed:>10.3f}{elapsed / critical:>12.2f}")
    ratio = rows[0][2] / critical
    print(f"default bound within 1.2x of the critical path: {'yes' if ratio <= 1.2 else 'NO'}")


if __name__ == "__main__":
    main()
