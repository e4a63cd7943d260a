"""Run the shop suite twice, with pytest-warmup and with plain fixtures, with a fake latency.

    python examples/sqlite_shop/compare.py                  # 20 ms per round trip
    python examples/sqlite_shop/compare.py --latency-ms 50

Both suites run the same 16 tests against the same kind of database, in a pytest of their own
(``SHOP_LATENCY_MS`` set), and this prints each one's round trips to the database and the time
of its test session (pytest's own count, without interpreter start-up). Each round trip costs
the latency; the tests' own queries cost the same in both suites.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent

SUITES = {
    "pytest-warmup": [str(HERE)],  # test_customers.py and test_orders.py
    "plain fixtures": [str(HERE / "plain_fixtures.py")],
}

#: in the written order, without a cache, quiet: the numbers below are all that is read
PYTEST_OPTIONS = ["-q", "-p", "no:randomly", "-p", "no:cacheprovider"]

_ROUND_TRIPS = re.compile(r"^sqlite_shop: (\d+) round trips", re.MULTILINE)
_SESSION = re.compile(r"^=*\s*(\d+) passed.* in ([\d.]+)s", re.MULTILINE)


@dataclass(frozen=True)
class Outcome:
    passed: int
    round_trips: int
    session_seconds: float
    wall_seconds: float


def run_suite(paths: list[str], latency_ms: int) -> Outcome:
    environment = {**os.environ, "SHOP_LATENCY_MS": str(latency_ms)}
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "pytest", *PYTEST_OPTIONS, *paths],
        cwd=HERE.parent,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    trips = _ROUND_TRIPS.search(result.stdout)
    session = _SESSION.search(result.stdout)
    if result.returncode != 0 or trips is None or session is None:
        raise SystemExit(f"the suite {paths} did not pass:\n{result.stdout}\n{result.stderr}")
    return Outcome(int(session[1]), int(trips[1]), float(session[2]), wall)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--latency-ms", type=int, default=20, help="fake latency of one round trip (default 20)"
    )
    latency = parser.parse_args(argv).latency_ms
    outcomes = {name: run_suite(paths, latency) for name, paths in SUITES.items()}
    print(f"sqlite_shop, {latency} ms per round trip to the database")
    print(f"{'suite':<16}{'tests':>6}{'round trips':>13}{'test session':>14}{'wall':>9}")
    for name, outcome in outcomes.items():
        print(
            f"{name:<16}{outcome.passed:>6}{outcome.round_trips:>13}"
            f"{outcome.session_seconds:>13.2f}s{outcome.wall_seconds:>8.2f}s"
        )
    warmup, plain = outcomes["pytest-warmup"], outcomes["plain fixtures"]
    print(
        f"pytest-warmup: {plain.round_trips - warmup.round_trips} fewer round trips "
        f"({plain.round_trips / warmup.round_trips:.1f}x fewer), test session "
        f"{warmup.session_seconds:.2f}s against {plain.session_seconds:.2f}s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
