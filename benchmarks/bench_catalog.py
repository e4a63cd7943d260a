"""Time loading and compiling a generated warmup.yaml catalog.

    python benchmarks/bench_catalog.py [--requirements 10000] [--repeat 5]

The catalog has 10 plans and, by default, 10,000 requirements written as in the docs: each with
a plan, a two-key payload, and (for most) dependencies on earlier requirements, some of them
list slots. The target is under 0.5 s for 10,000 requirements.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

from pytest_warmup.catalog import load_catalog

TARGET_SECONDS = 0.5


def generate(requirement_count: int, plan_count: int = 10) -> str:
    """A catalog text: ``plan_count`` plans, ``requirement_count`` linked requirements."""
    lines = ["version: 1", "plans:"]
    lines += [f'  plan_{p}: {{class: "pytest_warmup:WarmupPlan"}}' for p in range(plan_count)]
    lines.append("requirements:")
    for index in range(requirement_count):
        plan = f"plan_{index % plan_count}"
        payload = f"{{name: item-{index}, size: {index % 97}}}"
        if index % 4 == 0:
            dependencies = ""
        elif index % 4 == 3 and index >= 3:
            dependencies = f", dependencies: {{parts: [req_{index - 1}, req_{index - 2}]}}"
        else:
            dependencies = f", dependencies: {{parent: req_{index - 1}}}"
        lines.append(f"  req_{index}: {{plan: {plan}, payload: {payload}{dependencies}}}")
    plan_names = ", ".join(f"plan_{p}" for p in range(plan_count))
    last = f"req_{requirement_count - 1}"
    lines += [
        "producers:",
        f"  prepare_all: {{scope: session, plans: [{plan_names}]}}",
        "fixtures:",
        f"  last: {{requirement: {last}, producer: prepare_all}}",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requirements", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args(argv)

    text = generate(options.requirements)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "warmup.yaml"
        path.write_text(text, encoding="utf-8")
        wall, cpu = [], []
        for _ in range(options.repeat):
            started, started_cpu = time.perf_counter(), time.process_time()
            catalog = load_catalog(path)
            wall.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
            del catalog  # freeing the previous catalog is not part of the next load
    print(f"catalog: {options.requirements} requirements, {len(text) / 1e6:.2f} MB of YAML")
    for label, timings in (("wall", wall), ("cpu", cpu)):
        print(
            f"load_catalog {label}: best {min(timings):.3f} s, "
            f"median {statistics.median(timings):.3f} s over {options.repeat} runs"
        )
    loader = "libyaml" if yaml.__with_libyaml__ else "pure-Python loader"
    print(
        f"python {sys.version.split()[0]}, PyYAML {yaml.__version__} ({loader}), "
        f"target < {TARGET_SECONDS} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
