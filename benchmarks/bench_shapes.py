"""Every performance shape of issue 17 side by side with plain fixtures, and the verdict.

Each shape is written twice, as a pytest-warmup suite and as the same suite with plain pytest
fixtures doing the same trivial work, and the two run in fresh interpreters, interleaved round
by round. Speed is judged on CPU time (user + system of the pytest process, from its own
rusage) as the median over the rounds; wall time is printed beside it, never the verdict.

Shapes (``T`` = ``--tests``, default 5,000):

- ``module``: ``T / 50`` modules of 50 tests, one module-scoped producer each. Every module
  declares a shared chain of four requirements over four plans and a per-test chain of four
  more that hangs off it; every test binds the end of the shared chain and every fifth test
  also the end of the per-test chain (20% per-test requirements, in chains of 4 plans).
  Plain: module fixtures for the shared chain, function fixtures for the per-test one.
- ``module-10k``: the same at twice ``T`` (10,000 tests by default).
- ``session``: the ``module`` suite with one session producer (in ``conftest.py``) instead.
- ``function``: a function-scoped producer, every requirement per test: each test binds the
  end of a per-test chain of two requirements over two plans. Plain: two function fixtures.
- ``large-graph``: one module with ``2 * T`` shared requirements and ``T`` tests, each test
  binding two of them. Plain: ``2 * T`` module fixtures, each test requesting two.
- ``startup``: one module with one test, the plugin loaded against ``-p no:pytest-warmup``.

Peak RSS (``ru_maxrss`` of the pytest process) is measured for every run; the targets cover
the ``module`` and ``function`` shapes.

    python benchmarks/bench_shapes.py [--tests 5000] [--runs 5] [--only SHAPE ...] [--keep DIR]
                                      [--python PATH]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from generated_suites import table

_INI = "[pytest]\npython_files = test_*.py\n"

_SUPPORT = '''\
"""The trivial work and the four plans of the warmup suites."""

from pytest_warmup import WarmupPlan


def work(previous, step):
    return previous + step


class StepPlan(WarmupPlan):
    def prepare_node(self, node):
        previous = node.deps["previous"] if node.deps else 0
        return work(previous, node.payload["step"])


a, b, c, d = (StepPlan(name) for name in "abcd")
PLANS = (a, b, c, d)
'''

_PLAIN_SUPPORT = '''\
"""The trivial work of the plain suites."""


def work(previous, step):
    return previous + step
'''


# -- the module / session shapes -------------------------------------------------------------


def _chain_module(tests: int, producer: bool) -> str:
    lines = [
        "import pytest",
        "",
        "from pytest_warmup import warmup_param",
        "",
        "from bench_support import PLANS, a, b, c, d",
        "",
        's1 = a.require(payload={"step": 1})',
        's2 = b.require(payload={"step": 1}, dependencies={"previous": s1})',
        's3 = c.require(payload={"step": 1}, dependencies={"previous": s2})',
        's4 = d.require(payload={"step": 1}, dependencies={"previous": s3})',
        't1 = a.require(payload={"step": 1}, dependencies={"previous": s4}, is_per_test=True)',
        't2 = b.require(payload={"step": 1}, dependencies={"previous": t1}, is_per_test=True)',
        't3 = c.require(payload={"step": 1}, dependencies={"previous": t2}, is_per_test=True)',
        't4 = d.require(payload={"step": 1}, dependencies={"previous": t3}, is_per_test=True)',
        "",
    ]
    if producer:
        lines += [
            "",
            '@pytest.fixture(scope="module")',
            "def prepared(warmup_mgr):",
            "    return warmup_mgr.use(*PLANS).prepare()",
            "",
        ]
    for number in range(tests):
        own = number % 5 == 0
        lines += ["", '@warmup_param("value", s4)']
        if own:
            lines.append('@warmup_param("own", t4)')
        arguments = "prepared, value, own" if own else "prepared, value"
        lines += [f"def test_{number}({arguments}):", "    assert value == 4"]
        if own:
            lines.append("    assert own == 8")
        lines.append("")
    return "\n".join(lines)


def _plain_chain_module(tests: int) -> str:
    lines = ["import pytest", "", "from bench_support import work", ""]
    previous = ""
    for level in range(1, 5):
        lines += [
            "",
            '@pytest.fixture(scope="module")',
            f"def s{level}({previous}):",
            f"    return work({previous or 0}, 1)",
            "",
        ]
        previous = f"s{level}"
    for level in range(1, 5):
        lines += [
            "",
            "@pytest.fixture",
            f"def t{level}({previous}):",
            f"    return work({previous}, 1)",
            "",
        ]
        previous = f"t{level}"
    for number in range(tests):
        own = number % 5 == 0
        arguments = "s4, t4" if own else "s4"
        lines += ["", f"def test_{number}({arguments}):", "    assert s4 == 4"]
        if own:
            lines.append("    assert t4 == 8")
        lines.append("")
    return "\n".join(lines)


_SESSION_CONFTEST = """\
import pytest

from bench_support import PLANS


@pytest.fixture(scope="session")
def prepared(warmup_mgr):
    return warmup_mgr.use(*PLANS).prepare()
"""


# -- the function shape ----------------------------------------------------------------------


def _function_module(tests: int) -> str:
    lines = [
        "import pytest",
        "",
        "from pytest_warmup import warmup_param",
        "",
        "from bench_support import a, b",
        "",
        'first = a.require(payload={"step": 1}, is_per_test=True)',
        "second = b.require(",
        '    payload={"step": 1}, dependencies={"previous": first}, is_per_test=True',
        ")",
        "",
        "",
        "@pytest.fixture",
        "def prepared(warmup_mgr):",
        "    return warmup_mgr.use(a, b).prepare()",
        "",
    ]
    for number in range(tests):
        lines += [
            "",
            '@warmup_param("value", second)',
            f"def test_{number}(prepared, value):",
            "    assert value == 2",
            "",
        ]
    return "\n".join(lines)


def _plain_function_module(tests: int) -> str:
    lines = [
        "import pytest",
        "",
        "from bench_support import work",
        "",
        "",
        "@pytest.fixture",
        "def first():",
        "    return work(0, 1)",
        "",
        "",
        "@pytest.fixture",
        "def second(first):",
        "    return work(first, 1)",
        "",
    ]
    for number in range(tests):
        lines += ["", f"def test_{number}(second):", "    assert second == 2", ""]
    return "\n".join(lines)


# -- the large-graph shape -------------------------------------------------------------------


def _large_module(tests: int) -> str:
    lines = [
        "import pytest",
        "",
        "from pytest_warmup import warmup_param",
        "",
        "from bench_support import a",
        "",
        f'needs = [a.require(payload={{"step": n}}) for n in range({2 * tests})]',
        "",
        "",
        '@pytest.fixture(scope="module")',
        "def prepared(warmup_mgr):",
        "    return warmup_mgr.use(a).prepare()",
        "",
    ]
    for number in range(tests):
        left, right = 2 * number, 2 * number + 1
        lines += [
            "",
            f'@warmup_param("left", needs[{left}])',
            f'@warmup_param("right", needs[{right}])',
            f"def test_{number}(prepared, left, right):",
            f"    assert (left, right) == ({left}, {right})",
            "",
        ]
    return "\n".join(lines)


def _plain_large_module(tests: int) -> str:
    lines = [
        "import pytest",
        "",
        "from bench_support import work",
        "",
        "",
        "def _fixture(step):",
        "    def value():",
        "        return work(0, step)",
        "",
        "    return value",
        "",
        "",
        f"for _step in range({2 * tests}):",
        '    globals()[f"need_{_step}"] = pytest.fixture(scope="module", name=f"need_{_step}")('
        "_fixture(_step))",
        "",
    ]
    for number in range(tests):
        left, right = 2 * number, 2 * number + 1
        lines += [
            "",
            f"def test_{number}(need_{left}, need_{right}):",
            f"    assert (need_{left}, need_{right}) == ({left}, {right})",
            "",
        ]
    return "\n".join(lines)


# -- writing and running ---------------------------------------------------------------------


def _write(directory: Path, modules: dict[str, str], *, warmup: bool, conftest: str = "") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "pytest.ini").write_text(_INI)
    (directory / "bench_support.py").write_text(_SUPPORT if warmup else _PLAIN_SUPPORT)
    if conftest:
        (directory / "conftest.py").write_text(conftest)
    for name, source in modules.items():
        (directory / name).write_text(source)
    return directory


def _modules(count: int, source: str) -> dict[str, str]:
    return {f"test_generated_{index:04d}.py": source for index in range(count)}


@dataclass(frozen=True)
class Shape:
    name: str
    tests: int
    warmup: Path
    plain: Path
    plain_arguments: tuple[str, ...] = ()
    cpu_target: float | None = None  # the highest CPU ratio warmup / plain that passes
    rss_target: float | None = None  # the highest peak-RSS ratio that passes
    startup_ms_target: float | None = None  # the most CPU milliseconds the plugin may add


def write_shapes(base: Path, tests: int, only: Sequence[str]) -> list[Shape]:
    per_module = 50
    plain_chain = _modules(tests // per_module, _plain_chain_module(per_module))
    writers: dict[str, Callable[[], Shape]] = {
        "module": lambda: Shape(
            "module",
            tests,
            _write(
                base / "module",
                _modules(tests // per_module, _chain_module(per_module, True)),
                warmup=True,
            ),
            _write(base / "plain-module", plain_chain, warmup=False),
            cpu_target=1.05,
            rss_target=1.10,
        ),
        "module-10k": lambda: Shape(
            "module-10k",
            2 * tests,
            _write(
                base / "module-10k",
                _modules(2 * tests // per_module, _chain_module(per_module, True)),
                warmup=True,
            ),
            _write(
                base / "plain-module-10k",
                _modules(2 * tests // per_module, _plain_chain_module(per_module)),
                warmup=False,
            ),
            cpu_target=1.05,
        ),
        "session": lambda: Shape(
            "session",
            tests,
            _write(
                base / "session",
                _modules(tests // per_module, _chain_module(per_module, False)),
                warmup=True,
                conftest=_SESSION_CONFTEST,
            ),
            _write(base / "plain-session", plain_chain, warmup=False),
            cpu_target=1.05,
        ),
        "function": lambda: Shape(
            "function",
            tests,
            _write(
                base / "function",
                _modules(tests // per_module, _function_module(per_module)),
                warmup=True,
            ),
            _write(
                base / "plain-function",
                _modules(tests // per_module, _plain_function_module(per_module)),
                warmup=False,
            ),
            cpu_target=1.10,
            rss_target=1.15,
        ),
        "large-graph": lambda: Shape(
            "large-graph",
            tests,
            _write(base / "large", {"test_large.py": _large_module(tests)}, warmup=True),
            _write(
                base / "plain-large", {"test_large.py": _plain_large_module(tests)}, warmup=False
            ),
            cpu_target=1.05,
        ),
        "startup": lambda: Shape(
            "startup",
            1,
            _write(base / "startup", {"test_one.py": "def test_one():\n    pass\n"}, warmup=False),
            base / "startup",
            plain_arguments=("-p", "no:pytest-warmup"),
            startup_ms_target=10.0,
        ),
    }
    unknown = sorted(set(only) - set(writers))
    if unknown:
        raise SystemExit(
            f"unknown shape(s) {', '.join(unknown)}; expected some of {', '.join(writers)}"
        )
    return [writer() for name, writer in writers.items() if not only or name in only]


@dataclass(frozen=True)
class Run:
    cpu: float  # user + system seconds of the pytest process
    wall: float  # seconds from start to exit
    rss_mb: float  # peak resident set size of the pytest process, MiB


_PASSED = re.compile(r"(\d+) passed")


def run_once(directory: Path, tests: int, arguments: Sequence[str], python: str) -> Run:
    """Run one suite in a fresh interpreter; fail loudly unless all its tests pass."""
    command = [
        python,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:xdist",
        "-p",
        "no:randomly",
        *arguments,
    ]
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryFile() as output:
        started = time.perf_counter()
        process = subprocess.Popen(
            command, cwd=directory, stdout=output, stderr=subprocess.STDOUT, env=environment
        )
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        output.seek(0)
        text = output.read().decode(errors="replace")
    passed = _PASSED.search(text.strip().splitlines()[-1] if text.strip() else "")
    if process.returncode != 0 or passed is None or int(passed.group(1)) != tests:
        raise RuntimeError(
            f"suite {directory} did not pass ({tests} tests expected):\n{text[-3000:]}"
        )
    return Run(cpu=usage.ru_utime + usage.ru_stime, wall=wall, rss_mb=usage.ru_maxrss / 1024)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=5000, help="tests per shape (default 5000)")
    parser.add_argument("--runs", type=int, default=5, help="interleaved rounds (default 5)")
    parser.add_argument(
        "--only", nargs="+", default=[], metavar="SHAPE", help="run only these shapes"
    )
    parser.add_argument("--keep", type=Path, help="write the suites here and keep them")
    parser.add_argument(
        "--python", default=sys.executable, help="the interpreter to run pytest with"
    )
    options = parser.parse_args()

    base = options.keep or Path(tempfile.mkdtemp(prefix="warmup-shapes-"))
    try:
        shapes = write_shapes(base, options.tests, options.only)
        runs: dict[tuple[str, str], list[Run]] = {}
        for round_number in range(options.runs + 1):  # round 0 is untimed: bytecode caches
            for shape in shapes:
                for side, directory, arguments in (
                    ("plain", shape.plain, shape.plain_arguments),
                    ("warmup", shape.warmup, ()),
                ):
                    # a startup run is a few dozen milliseconds: repeat it to steady the median
                    repeats = 10 if shape.startup_ms_target is not None else 1
                    for _ in range(repeats):
                        run = run_once(directory, shape.tests, arguments, options.python)
                        if round_number:
                            runs.setdefault((shape.name, side), []).append(run)
    finally:
        if options.keep is None:
            shutil.rmtree(base, ignore_errors=True)

    print(f"medians of {options.runs} interleaved rounds; python {options.python}")
    print()
    rows, verdicts = [], []
    for shape in shapes:
        plain, warmup = runs[(shape.name, "plain")], runs[(shape.name, "warmup")]
        cpu_plain = statistics.median(r.cpu for r in plain)
        cpu_warmup = statistics.median(r.cpu for r in warmup)
        rss_plain = statistics.median(r.rss_mb for r in plain)
        rss_warmup = statistics.median(r.rss_mb for r in warmup)
        wall_plain = statistics.median(r.wall for r in plain)
        wall_warmup = statistics.median(r.wall for r in warmup)
        ratios = sorted(w.cpu / p.cpu for w, p in zip(warmup, plain, strict=True))
        checks = []
        if shape.cpu_target is not None:
            checks.append(("cpu", cpu_warmup / cpu_plain, shape.cpu_target))
        if shape.rss_target is not None:
            checks.append(("rss", rss_warmup / rss_plain, shape.rss_target))
        if shape.startup_ms_target is not None:
            checks.append(("ms", (cpu_warmup - cpu_plain) * 1000, shape.startup_ms_target))
        met = all(value <= target for _, value, target in checks)
        verdicts.append(met)
        rows.append(
            [
                shape.name,
                f"{shape.tests:,}",
                f"{cpu_plain:.3f}",
                f"{cpu_warmup:.3f}",
                f"{cpu_warmup / cpu_plain:.3f}"
                if shape.startup_ms_target is None
                else f"{(cpu_warmup - cpu_plain) * 1000:+.1f} ms",
                f"{ratios[0]:.2f}-{ratios[-1]:.2f}",
                f"{wall_warmup / wall_plain:.3f}",
                f"{rss_plain:.0f}/{rss_warmup:.0f}",
                f"{rss_warmup / rss_plain:.2f}x",
                ", ".join(
                    f"{kind} <= {target:g}{' ms' if kind == 'ms' else ''}"
                    for kind, _, target in checks
                ),
                "met" if met else "NOT MET",
            ]
        )
    headers = [
        "shape",
        "tests",
        "plain cpu s",
        "warmup cpu s",
        "cpu ratio",
        "round range",
        "wall ratio",
        "rss MiB p/w",
        "rss ratio",
        "target",
        "verdict",
    ]
    print(table(headers, rows))
    print()
    print("cpu: user + system time of the pytest process (the verdict); wall is reported only;")
    print("round range: the lowest and highest per-round cpu ratio; startup: cpu ms added")
    return 0 if all(verdicts) else 1


if __name__ == "__main__":
    raise SystemExit(main())
