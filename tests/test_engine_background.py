"""Run.start: a preparation in a thread of its own, taken with result() or stopped with cancel()."""

from __future__ import annotations

import threading

import pytest

from pytest_warmup import WarmupNode, WarmupPlan
from pytest_warmup.engine import Overrides, Run


class Gated(WarmupPlan):
    """Logs each create and delete; a node whose payload says ``gate`` waits for that event."""

    def __init__(self, name: str, log: list[str], gates: dict[str, threading.Event]) -> None:
        super().__init__(name)
        self.log = log
        self.gates = gates

    def prepare_node(self, node: WarmupNode) -> str:
        gate = node.payload.get("gate")
        if gate is not None:
            self.log.append(f"waiting {node.id}")
            assert self.gates[gate].wait(10), "the test never opened the gate"
        if "fail" in node.payload:
            raise RuntimeError(node.payload["fail"])
        self.log.append(f"create {node.id}")
        return f"{self.name}:{node.id}"

    def cleanup_node(self, node: WarmupNode) -> None:
        self.log.append(f"delete {node.id}")


@pytest.fixture
def log() -> list[str]:
    return []


@pytest.fixture
def gates() -> dict[str, threading.Event]:
    return {"open": threading.Event()}


def wait_for(log: list[str], line: str) -> None:
    for _ in range(1000):
        if line in log:
            return
        threading.Event().wait(0.01)
    raise AssertionError(f"never logged {line!r}: {log}")


@pytest.mark.parametrize("workers", [1, 4])
def test_a_started_preparation_gives_what_prepare_gives(log: list[str], workers: int) -> None:
    plan = Gated("db", log, {})
    first = plan.require(id="first")
    second = plan.require(id="second", dependencies={"first": first})

    with Run(max_workers=workers) as run:
        record = run.new_record("ahead")
        pending = run.start({"t": [second]}, overrides=None, record=record)
        prepared = pending.result()
        assert prepared.value(second) == "db:second"
        assert prepared.record is record
        assert record.duration_ms is not None
        assert run.open() == [prepared]
        prepared.close()

    assert log == ["create first", "create second", "delete second", "delete first"]


def test_while_it_runs_the_run_is_not_settled(
    log: list[str], gates: dict[str, threading.Event]
) -> None:
    plan = Gated("db", log, gates)
    slow = plan.require(id="slow", payload={"gate": "open"})
    with Run(max_workers=2) as run:
        pending = run.start({"t": [slow]}, overrides=None, record=run.new_record())
        wait_for(log, "waiting slow")
        assert not run.settled
        assert pending.running
        gates["open"].set()
        pending.result().close()
        assert run.settled


@pytest.mark.parametrize("workers", [1, 4])
def test_a_cancel_starts_no_new_batch_and_cleans_up_what_was_created(
    log: list[str], gates: dict[str, threading.Event], workers: int
) -> None:
    plan, later = Gated("db", log, gates), Gated("later", log, gates)
    slow = plan.require(id="slow", payload={"gate": "open"})
    after = later.require(id="after", dependencies={"slow": slow})
    run = Run(max_workers=workers)
    record = run.new_record()
    pending = run.start({"t": [after]}, overrides=None, record=record)
    wait_for(log, "waiting slow")

    threading.Timer(0.05, gates["open"].set).start()
    assert pending.cancel() == []

    assert log == ["waiting slow", "create slow", "delete slow"]
    assert record.error is None  # cancelled, not failed
    assert not pending.running
    assert run.settled
    run.close()


def test_a_cancel_after_it_ended_cleans_up_everything(log: list[str]) -> None:
    plan = Gated("db", log, {})
    one, two = plan.require(id="one"), plan.require(id="two")
    run = Run(max_workers=2)
    pending = run.start({"t": [one, two]}, overrides=None, record=run.new_record())
    pending.wait()

    pending.cancel()

    assert sorted(log) == ["create one", "create two", "delete one", "delete two"]
    assert run.open() == []
    run.close()


def test_a_cancel_with_keep_leaves_what_was_created(log: list[str]) -> None:
    plan = Gated("db", log, {})
    one = plan.require(id="one")
    run = Run()
    pending = run.start({"t": [one]}, overrides=None, record=run.new_record())
    pending.wait()

    assert pending.cancel(keep="--warmup-keep") == []

    assert log == ["create one"]
    assert pending.record.kept == 1
    run.close()


def test_closing_the_run_cancels_what_still_runs(
    log: list[str], gates: dict[str, threading.Event]
) -> None:
    plan = Gated("db", log, gates)
    slow = plan.require(id="slow", payload={"gate": "open"})
    run = Run(max_workers=2)
    run.start({"t": [slow]}, overrides=None, record=run.new_record())
    wait_for(log, "waiting slow")
    threading.Timer(0.05, gates["open"].set).start()

    run.close()

    assert log == ["waiting slow", "create slow", "delete slow"]


def test_node_failures_stay_on_their_nodes_as_with_prepare(log: list[str]) -> None:
    plan = Gated("db", log, {})
    broken = plan.require(id="broken", payload={"fail": "the API said no"})
    fine = plan.require(id="fine")
    with Run(max_workers=2) as run:
        prepared = run.start(
            {"t": [broken, fine]}, overrides=None, record=run.new_record()
        ).result()
        failure = prepared.failure(broken)
        assert failure is not None
        assert "the API said no" in str(failure)
        assert prepared.value(fine) == "db:fine"
        prepared.close()


def test_overrides_are_applied_as_with_prepare(log: list[str]) -> None:
    plan = Gated("db", log, {})
    given = plan.require(id="given")
    with Run() as run:
        overrides = Overrides(shared={given: "from a file"})
        prepared = run.start({"t": [given]}, overrides=overrides, record=run.new_record()).result()
        assert prepared.value(given) == "from a file"
        prepared.close()

    assert log == []


def test_request_stop_while_the_result_is_awaited_stops_it(
    log: list[str], gates: dict[str, threading.Event]
) -> None:
    plan, later = Gated("db", log, gates), Gated("later", log, gates)
    slow = plan.require(id="slow", payload={"gate": "open"})
    after = later.require(id="after", dependencies={"slow": slow})
    run = Run(max_workers=2)
    pending = run.start({"t": [after]}, overrides=None, record=run.new_record())
    wait_for(log, "waiting slow")

    def interrupt() -> None:  # what the Ctrl-C handler does while the caller waits
        while not run.request_stop():
            threading.Event().wait(0.01)
        gates["open"].set()

    threading.Thread(target=interrupt).start()
    with pytest.raises(KeyboardInterrupt):
        pending.result()

    assert log == ["waiting slow", "create slow", "delete slow"]
    assert pending.stopped
    run.close()
