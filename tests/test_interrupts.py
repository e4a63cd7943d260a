"""Real Ctrl-C and SIGTERM sent to a pytest run at chosen moments: every create has its delete.

Each test runs pytest in a subprocess on a suite whose plans log ``start``, ``create`` and
``delete`` lines (written with fsync) and wait in ``prepare_node`` until the test creates a
``release`` file. The test sends its signals once the log or pytest's output shows that the
run got where it should: no sleeps decide what happens.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

#: how long a step may take on a slow, loaded machine before the test gives up
DEADLINE = 60.0

#: as conftest.py's pytester: the suite in its written order, without Hypothesis's slow import
RUN_OPTIONS = ("-p", "no:cacheprovider", "-p", "no:randomly", "-p", "no:hypothesispytest")

PLANS = """
import os
import pathlib
import time

from pytest_warmup import WarmupPlan

HERE = pathlib.Path(__file__).parent
LOG = HERE / "events.log"


def log(line):
    with LOG.open("a") as handle:
        handle.write(line + "\\n")
        handle.flush()
        os.fsync(handle.fileno())


def wait_for_release():
    deadline = time.monotonic() + 60
    while not (HERE / "release").exists():
        assert time.monotonic() < deadline, "the test never released the plans"
        time.sleep(0.01)


class Gated(WarmupPlan):
    def prepare_node(self, node):
        log(f"start {self.name}:{node.id}")
        wait_for_release()
        log(f"create {self.name}:{node.id}")
        return node.id

    def cleanup_node(self, node):
        log(f"delete {self.name}:{node.value}")
"""

SUITE = """
import pathlib
import time

import pytest
from pytest_warmup import warmup_param
from plans import Gated, log, wait_for_release

a, b, c = Gated("a"), Gated("b"), Gated("c")
a1, a2 = a.require(id="a1"), a.require(id="a2")
b1 = b.require(id="b1")
c1 = c.require(id="c1", dependencies={"a1": a1})


@pytest.fixture(scope="module")
def prep(warmup_mgr):
    return warmup_mgr.use(a, b, c).prepare()


@warmup_param("x", a2)
@warmup_param("y", b1)
@warmup_param("z", c1)
def test_uses_all(prep, x, y, z):
    log("test ran")
"""


class Run:
    """A pytest subprocess, its output as it comes, and the plans' event log."""

    def __init__(self, path: Path, *args: str) -> None:
        self.path = path
        self.lines: list[str] = []
        self.sent: list[str] = []  # the signals sent, and when (for a failure's message)
        self._began = time.monotonic()
        self._changed = threading.Condition()
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env.pop("PYTEST_XDIST_WORKER", None)
        env.pop("PYTEST_ADDOPTS", None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pytest", *RUN_OPTIONS, *args],
            cwd=path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()

    @property
    def events(self) -> list[str]:
        log = self.path / "events.log"
        return log.read_text().splitlines() if log.exists() else []

    def wait_until(self, what: str, condition: Callable[[], bool]) -> None:
        deadline = time.monotonic() + DEADLINE
        while not condition():
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.process.kill()
                self.finish()
                raise AssertionError(self.describe(f"never {what}"))
            with self._changed:
                self._changed.wait(timeout=0.02)

    def wait_for_line(self, start: str, count: int = 1) -> None:
        self.wait_until(
            f"printed {start!r} {count} time(s)",
            lambda: sum(line.startswith(start) for line in list(self.lines)) >= count,
        )

    def wait_for_events(self, *events: str) -> None:
        self.wait_until(f"logged {events}", lambda: set(events) <= set(self.events))

    def send(self, signum: int) -> None:
        self.sent.append(f"{signal.Signals(signum).name} at {self._elapsed()}")
        self.process.send_signal(signum)

    def describe(self, problem: str) -> str:
        """``problem``, with what the test did and what the run printed and logged."""
        return "\n".join(
            [
                f"{problem} (after {self._elapsed()}, exit status {self.process.poll()})",
                f"signals sent: {', '.join(self.sent) or 'none'}",
                "events logged:",
                *self.events,
                "output:",
                *self.lines,
            ]
        )

    def _elapsed(self) -> str:
        return f"{time.monotonic() - self._began:.2f}s"

    def release(self) -> None:
        (self.path / "release").touch()

    def finish(self) -> int:
        try:
            code = self.process.wait(timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(self.describe("never ended")) from None
        self._reader.join(timeout=DEADLINE)
        assert self.process.stdout is not None
        self.process.stdout.close()
        return code

    def assert_balanced(self) -> None:
        created = sorted(e.split(" ", 1)[1] for e in self.events if e.startswith("create "))
        deleted = sorted(e.split(" ", 1)[1] for e in self.events if e.startswith("delete "))
        assert created, self.describe("nothing created")
        assert created == deleted, self.describe("not balanced")


@pytest.fixture
def suite(pytester: pytest.Pytester) -> Path:
    pytester.makepyfile(plans=PLANS, test_suite=SUITE)
    return pytester.path


def test_first_ctrl_c_lets_the_running_batches_end_and_starts_no_other(suite: Path) -> None:
    run = Run(suite, "--warmup-workers", "4")
    run.wait_for_events("start a:a1", "start b:b1")
    run.send(signal.SIGINT)
    run.wait_for_line("pytest-warmup: interrupted: no new batch starts; waiting for 2 running")
    run.release()

    assert run.finish() == pytest.ExitCode.INTERRUPTED
    run.assert_balanced()
    assert "start c:c1" not in run.events  # c waits for a: never started
    assert "test ran" not in run.events


def test_a_second_ctrl_c_stops_waiting_and_what_ends_later_is_still_cleaned_up(
    suite: Path,
) -> None:
    run = Run(suite, "--warmup-workers", "4")
    run.wait_for_events("start a:a1", "start b:b1")
    run.send(signal.SIGINT)
    run.wait_for_line("pytest-warmup: interrupted:")
    run.send(signal.SIGINT)
    run.wait_for_line("pytest-warmup: stopped waiting: what 2 running batches")
    run.wait_for_line("pytest-warmup: waiting for the batches still running to end")
    assert not [event for event in run.events if event.startswith("create")]
    for count in (1, 2):  # the third and fourth Ctrl-C: held until all is clean
        run.send(signal.SIGINT)
        run.wait_for_line("pytest-warmup: Ctrl-C: cleaning up what the plans created", count)
    run.release()

    assert run.finish() == pytest.ExitCode.INTERRUPTED
    run.assert_balanced()
    assert sorted(e for e in run.events if e.startswith("create")) == [
        "create a:a1",
        "create a:a2",
        "create b:b1",
    ]


def test_with_one_worker_the_first_ctrl_c_lets_the_batch_end(suite: Path) -> None:
    run = Run(suite, "--warmup-workers", "1")
    run.wait_for_events("start a:a1")
    run.send(signal.SIGINT)
    run.wait_for_line("pytest-warmup: interrupted: no new batch starts; waiting for 1 running")
    run.release()

    assert run.finish() == pytest.ExitCode.INTERRUPTED
    run.assert_balanced()
    assert not [event for event in run.events if event.startswith("start b")]


def test_sigterm_during_preparation_cleans_up_and_writes_the_report(suite: Path) -> None:
    run = Run(suite, "--warmup-workers", "4", "--warmup-report", "report.json")
    run.wait_for_events("start a:a1", "start b:b1")
    run.send(signal.SIGTERM)
    run.wait_for_line("pytest-warmup: SIGTERM: the run stops as on Ctrl-C")
    run.wait_for_line("pytest-warmup: interrupted: no new batch starts")
    run.release()

    assert run.finish() == pytest.ExitCode.INTERRUPTED
    run.assert_balanced()
    report = json.loads((suite / "report.json").read_text())
    (scope,) = report["scopes"].values()
    assert scope["error"]["type"] == "KeyboardInterrupt"
    assert any(event.startswith("cleanup:") for event in scope["trace"])


def test_sigterm_during_a_test_cleans_up_what_the_producers_created(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        plans=PLANS.replace("        wait_for_release()\n", ""),
        test_suite="""
        import pytest
        from pytest_warmup import warmup_param
        from plans import Gated, log, wait_for_release

        plan = Gated("a")
        one = plan.require(id="one")

        @pytest.fixture(scope="session")
        def prep(warmup_mgr):
            return warmup_mgr.use(plan).prepare()

        @warmup_param("value", one)
        def test_waits(prep, value):
            log("test started")
            wait_for_release()
        """,
    )
    run = Run(pytester.path)
    run.wait_for_events("test started")
    run.send(signal.SIGTERM)

    assert run.finish() == pytest.ExitCode.INTERRUPTED
    assert run.events == ["start a:one", "create a:one", "test started", "delete a:one"]
    (pytester.path / "release").touch()


def test_a_ctrl_c_a_test_catches_does_not_hold_the_ctrl_c_that_stops_the_run(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        plans=PLANS.replace("        wait_for_release()\n", ""),
        test_suite="""
        import signal

        import pytest
        from pytest_warmup import warmup_param
        from plans import Gated, log, wait_for_release

        plan = Gated("a")
        one = plan.require(id="one")

        @pytest.fixture(scope="session")
        def prep(warmup_mgr):
            return warmup_mgr.use(plan).prepare()

        @warmup_param("value", one)
        def test_1_tests_a_cli_s_ctrl_c(prep, value):
            with pytest.raises(KeyboardInterrupt):
                signal.raise_signal(signal.SIGINT)

        @warmup_param("value", one)
        def test_2_waits(prep, value):
            log("test started")
            wait_for_release()
        """,
    )
    run = Run(pytester.path)
    run.wait_for_events("test started")
    run.send(signal.SIGINT)

    assert run.finish() == pytest.ExitCode.INTERRUPTED, run.describe("not interrupted")
    assert run.events == ["start a:one", "create a:one", "test started", "delete a:one"]
    (pytester.path / "release").touch()


def test_a_second_ctrl_c_lets_a_quick_plan_s_slow_batch_end_in_pytest_s_thread(
    pytester: pytest.Pytester,
) -> None:
    """A plan whose last batch was quick runs its next one in pytest's thread (the issue 17
    speed-up for function-scoped producers): when that one turns out slow, a second Ctrl-C
    must not interrupt it in place and lose what it created."""
    pytester.makepyfile(
        plans=PLANS,
        test_suite="""
        import pytest
        from pytest_warmup import WarmupPlan, warmup_param
        from plans import log, wait_for_release

        class Sometimes(WarmupPlan):
            def prepare_node(self, node):
                log(f"create {node.id}")
                if node.payload["slow"]:
                    log("waiting")
                    wait_for_release()  # created, then waiting (say, for indexing)
                return node.id

            def cleanup_node(self, node):
                log(f"delete {node.value}")

        plan = Sometimes("sometimes")
        quick = [plan.require(payload={"slow": False}, id=f"quick{n}", is_per_test=True)
                 for n in range(4)]
        slow = plan.require(payload={"slow": True}, id="slow", is_per_test=True)

        @pytest.fixture
        def prep(warmup_mgr):
            return warmup_mgr.use(plan).prepare()

        @warmup_param("value", quick[0])
        def test_quick_0(prep, value):
            pass

        @warmup_param("value", quick[1])
        def test_quick_1(prep, value):
            pass

        @warmup_param("value", slow)
        def test_slow(prep, value):
            pass
        """,
    )
    run = Run(pytester.path, "--warmup-workers", "4")
    run.wait_for_events("waiting")
    run.send(signal.SIGINT)
    run.wait_for_line("pytest-warmup: interrupted")
    run.send(signal.SIGINT)
    run.wait_for_line("pytest-warmup: the batch of plan 'sometimes' runs in pytest's thread")
    run.release()

    assert run.finish() == pytest.ExitCode.INTERRUPTED, run.describe("not interrupted")
    assert run.events[-3:] == ["create slow", "waiting", "delete slow"], run.describe("lost")


def test_ctrl_c_during_cleanup_is_held_until_every_delete_is_done(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        plans=PLANS.replace("        wait_for_release()\n", "").replace(
            "    def cleanup_node(self, node):\n",
            "    def cleanup_node(self, node):\n"
            '        log(f"deleting {self.name}:{node.value}")\n'
            "        wait_for_release()\n",
        ),
        test_suite="""
        import pytest
        from pytest_warmup import warmup_param
        from plans import Gated

        a, b = Gated("a"), Gated("b")
        a1 = a.require(id="a1")
        b1 = b.require(id="b1", dependencies={"a1": a1})

        @pytest.fixture(scope="module")
        def prep(warmup_mgr):
            return warmup_mgr.use(a, b).prepare()

        @warmup_param("value", b1)
        def test_one(prep, value):
            pass

        def test_after_the_module():
            pass
        """,
    )
    run = Run(pytester.path)
    run.wait_for_events("deleting b:b1")
    run.send(signal.SIGINT)
    run.wait_for_line("pytest-warmup: Ctrl-C: cleaning up what the plans created")
    run.release()

    assert run.finish() == pytest.ExitCode.INTERRUPTED
    assert run.events[-4:] == ["deleting b:b1", "delete b:b1", "deleting a:a1", "delete a:a1"]


def test_in_process_runs_give_back_the_signal_handlers(pytester: pytest.Pytester) -> None:
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    pytester.makepyfile("def test_nothing(): pass")

    pytester.runpytest().assert_outcomes(passed=1)

    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before


# -- --warmup-prefetch: a module's instance prepared while the module before it runs -----------

PREFETCH_CONFTEST = """
import pytest
from pytest_warmup import WarmupPlan
from plans import log, wait_for_release


class Ahead(WarmupPlan):
    def prepare_node(self, node):
        log(f"start ahead:{node.id}")
        if node.id == "b":
            wait_for_release()
        log(f"create ahead:{node.id}")
        return node.id

    def cleanup_node(self, node):
        log(f"delete ahead:{node.value}")


plan = Ahead("ahead")


@pytest.fixture(scope="module")
def prep(warmup_mgr):
    return warmup_mgr.use(plan).prepare()
"""

PREFETCH_MODULE = """
from pytest_warmup import warmup_param
from conftest import plan
from plans import log, wait_for_release

node = plan.require(id="{name}")


@warmup_param("value", node)
def test_{name}(prep, value):
    log("test {name} started")
    {body}
"""


@pytest.fixture
def prefetch_suite(pytester: pytest.Pytester) -> Path:
    pytester.makepyfile(
        plans=PLANS,
        conftest=PREFETCH_CONFTEST,
        test_a=PREFETCH_MODULE.format(name="a", body="wait_for_release()"),
        test_b=PREFETCH_MODULE.format(name="b", body="pass"),
    )
    return pytester.path


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_an_interrupt_during_a_test_stops_the_preparation_running_ahead_and_cleans_it_up(
    prefetch_suite: Path, signum: int
) -> None:
    run = Run(prefetch_suite, "--warmup-prefetch")
    run.wait_for_events("start ahead:b", "test a started")
    run.send(signum)
    run.wait_for_line(
        "pytest-warmup: stopping producer 'prep' (module:test_b.py::prep), prepared ahead by "
        "--warmup-prefetch: no new batch starts; waiting for the running ones to end"
    )
    run.release()

    assert run.finish() == pytest.ExitCode.INTERRUPTED
    run.assert_balanced()
    assert "test b started" not in run.events
    assert sorted(run.events) == sorted(
        [
            "start ahead:a",
            "create ahead:a",
            "start ahead:b",
            "test a started",
            "create ahead:b",
            "delete ahead:a",
            "delete ahead:b",
        ]
    )


def test_ctrl_c_while_waiting_for_the_preparation_running_ahead_stops_it(
    prefetch_suite: Path,
) -> None:
    (prefetch_suite / "test_a.py").write_text(
        PREFETCH_MODULE.format(name="a", body='log("test a done")')
    )
    run = Run(prefetch_suite, "--warmup-prefetch")
    run.wait_for_events("start ahead:b", "test a done")
    run.send(signal.SIGINT)
    # Module a's cleanup waits for module b's instance (they share a plan); the Ctrl-C lands
    # while it waits, or just before: either way, b's batch ends and is cleaned up.
    said = (
        "pytest-warmup: interrupted: no new batch starts; waiting for 1 running",
        "pytest-warmup: stopping producer 'prep' (module:test_b.py::prep), prepared ahead",
    )
    run.wait_until("said it waits", lambda: any(line.startswith(said) for line in list(run.lines)))
    run.release()

    assert run.finish() == pytest.ExitCode.INTERRUPTED
    run.assert_balanced()
    assert "test b started" not in run.events
