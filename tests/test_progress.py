"""``-v``: a line as each preparation begins and ends, and as each batch starts and ends."""

from __future__ import annotations

import pytest

from pytest_warmup._display import StatusLine
from pytest_warmup._record import PrepareRecord
from pytest_warmup._runtime import Progress
from visibility_suite import SCOPE_ID, install

PRODUCER = f"producer 'shop' ({SCOPE_ID})"


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    install(pytester)
    return pytester


@pytest.mark.parametrize("workers", ["1", "3"])
def test_verbose_runs_tell_every_batch(suite: pytest.Pytester, workers: str) -> None:
    result = suite.runpytest("-v", "--warmup-workers", workers)
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(
        [
            "test_shop.py::test_books ",
            f"warmup: {PRODUCER}: 4 nodes for 3 tests",
            "warmup:   facility: 1 node ...",
            "warmup:   facility: 1 node in *s",
            "warmup:   program: 1 node ...",
            "warmup:   program: 1 node in *s",
            "warmup:   order: 2 nodes ...",
            "warmup:   order: 2 nodes in *s",
            f"warmup: {PRODUCER}: done in *s",
            "",  # pytest's, before it writes the test's result again
            "test_shop.py::test_books PASSED *",
        ],
        consecutive=True,
    )


def test_failed_nodes_are_counted_as_their_batch_ends(pytester: pytest.Pytester) -> None:
    install(pytester, order_payload='"fail": "no seats left"')
    result = pytester.runpytest("-v")
    result.stdout.fnmatch_lines(["warmup:   order: 2 nodes in *s, 2 failed"])


@pytest.mark.parametrize("flags", [[], ["-q"]])
def test_default_and_quiet_runs_tell_nothing_as_they_go(
    suite: pytest.Pytester, flags: list[str]
) -> None:
    result = suite.runpytest(*flags)
    result.assert_outcomes(passed=3)
    assert "warmup:   " not in result.stdout.str()
    assert "nodes for 3 tests" not in result.stdout.str()


# -- the live line without -v -------------------------------------------------------------------


class FakeReporter:
    """What StatusLine uses of pytest's terminal reporter, recording what it writes."""

    def __init__(self) -> None:
        self.written: list[str] = []

    def ensure_newline(self) -> None:
        self.written.append("<newline>")

    def rewrite(self, line: str, erase: bool = False) -> None:
        self.written.append(f"\\r{line}")

    def line(self, text: str) -> None:
        self.written.append(f"{text}<newline>")

    def flush(self) -> None:
        pass


def test_a_slow_preparation_gets_a_live_line_that_ends_with_its_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    now = [0.0]
    reporter = FakeReporter()
    status = StatusLine(reporter, clock=lambda: now[0])
    record = PrepareRecord("shop", "module", SCOPE_ID, kind="producer")
    status(record, Progress("begin", node_count=4))
    status(record, Progress("start", "facility", 1))
    now[0] = 0.5
    status(record, Progress("end", "facility", 1, 500.0))
    status(record, Progress("start", "program", 1))
    assert reporter.written == []  # quick preparations show nothing
    now[0] = 1.25
    status(record, Progress("wait"))
    status(record, Progress("start", "order", 2))
    now[0] = 2.0
    status(record, Progress("end", "program", 1, 1500.0))
    status(record, Progress("end", "order", 2, 700.0))
    status(record, Progress("done", duration_ms=2100.0))
    assert reporter.written == [
        "<newline>",
        f"\\rwarmup: {PRODUCER}: 1 batch done, running program (1.2s)",
        f"\\rwarmup: {PRODUCER}: 1 batch done, running order, program (1.2s)",
        f"\\rwarmup: {PRODUCER}: 2 batches done, running order (2.0s)",
        f"\\rwarmup: {PRODUCER}: 3 batches done (2.0s)",
        f"\\rwarmup: {PRODUCER}: done in 2.10s",
        "<newline>",
    ]


def test_a_quick_preparation_has_no_live_line() -> None:
    reporter = FakeReporter()
    status = StatusLine(reporter, clock=lambda: 0.0)
    record = PrepareRecord("shop", "module", SCOPE_ID, kind="producer")
    for event in (Progress("begin"), Progress("start", "a", 1), Progress("end", "a", 1)):
        status(record, event)
    status(record, Progress("done"))
    assert reporter.written == []
