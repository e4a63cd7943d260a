"""The pytest-free front door: pytest_warmup.engine.prepare, Run, Prepared and Overrides."""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Sequence
from typing import Any

import pytest

from pytest_warmup import (
    NodeFailedError,
    NotPreparedError,
    WarmupError,
    WarmupNode,
    WarmupPlan,
)
from pytest_warmup.engine import Graph, Overrides, RootTable, Run, prepare


class Recorder(WarmupPlan):
    """Values are ``<plan>:<id>[@consumer]``; every call and cleanup is logged."""

    def __init__(self, name: str, log: list[str]) -> None:
        super().__init__(name)
        self.log = log

    def prepare_node(self, node: WarmupNode) -> str:
        if "fail" in node.payload:
            raise RuntimeError(node.payload["fail"])
        consumer = f"@{node.test_id}" if node.test_id else ""
        self.log.append(f"create {node.id}{consumer}")
        return f"{self.name}:{node.id}{consumer}"

    def cleanup_node(self, node: WarmupNode) -> None:
        self.log.append(f"delete {node.value}")


@pytest.fixture
def log() -> list[str]:
    return []


def test_shared_values_are_prepared_once_and_per_test_ones_per_consumer(log: list[str]) -> None:
    accounts, orders = Recorder("accounts", log), Recorder("orders", log)
    alice = accounts.require(id="alice")
    order = orders.require(id="order", dependencies={"owner": alice}, is_per_test=True)

    with prepare({"report-1": [alice, order], "report-2": [order]}) as prepared:
        assert prepared.value(alice) == prepared.value(alice, "report-2") == "accounts:alice"
        assert prepared.value(order, "report-1") == "orders:order@report-1"
        assert prepared.value(order, "report-2") == "orders:order@report-2"
        assert prepared.record.consumers == ("report-1", "report-2")

    assert log == [
        "create alice",
        "create order@report-1",
        "create order@report-2",
        "delete orders:order@report-1",
        "delete orders:order@report-2",
        "delete accounts:alice",
    ]


def test_a_value_that_was_not_prepared_for_a_consumer_names_both(log: list[str]) -> None:
    plan = Recorder("db", log)
    own = plan.require(id="own", is_per_test=True)
    stranger = plan.require(id="stranger")
    prepared = prepare({"a": [own]}, name="reports")

    with pytest.raises(NotPreparedError) as caught:
        prepared.value(own, "b")
    assert caught.value.requirement is own
    assert caught.value.consumer == "b"
    assert str(caught.value).startswith("requirement 'own' (declared at ")
    assert str(caught.value).endswith(
        "was not prepared for consumer 'b' by preparation 'reports': list it among that "
        "consumer's needs"
    )
    with pytest.raises(NotPreparedError, match=r"^requirement 'stranger' .* by preparation"):
        prepared.value(stranger)
    assert prepared.find(stranger) is None
    prepared.close()


def test_a_failed_node_fails_only_what_needs_it(log: list[str]) -> None:
    plan = Recorder("db", log)
    broken = plan.require(id="broken", payload={"fail": "no disk"})
    above = Recorder("app", log).require(id="above", dependencies={"db": broken})
    fine = plan.require(id="fine")

    with prepare({"x": [above, fine]}) as prepared:
        assert prepared.value(fine) == "db:fine"
        with pytest.raises(NodeFailedError, match=r"^warmup requirement 'broken' \(plan 'db', "):
            prepared.value(broken)
        with pytest.raises(NodeFailedError, match="was not prepared because dependency 'broken'"):
            prepared.value(above)
        failure = prepared.failure(broken)
        assert failure is not None
        assert isinstance(failure.__cause__, RuntimeError)
        assert prepared.failure(fine) is None
        assert prepared.record.status == "failed"
        assert prepared.record.node_failures == 1
    assert log == ["create fine", "delete db:fine"]


def test_a_cleanup_that_raises_is_raised_when_the_block_ends(log: list[str]) -> None:
    class Stubborn(Recorder):
        def cleanup_node(self, node: WarmupNode) -> None:
            raise OSError("still in use")

    stubborn = Stubborn("stubborn", log).require(id="s")
    other = Recorder("other", log).require(id="o")

    with pytest.raises(WarmupError) as caught, prepare({"x": [stubborn, other]}) as prepared:
        pass

    assert str(caught.value) == (
        "cleanup failed for preparation 'prepare':\n  plan 'stubborn': OSError: still in use"
    )
    assert isinstance(caught.value.__cause__, OSError)
    assert "delete other:o" in log
    assert prepared.record.cleanup_errors[0][0] == "stubborn"
    assert prepared.close() == []  # once


def test_keep_skips_cleanup_and_says_why_in_the_trace(log: list[str]) -> None:
    requirement = Recorder("db", log).require(id="kept")
    with prepare({"x": [requirement]}) as prepared:
        prepared.keep("debugging")
    assert log == ["create kept"]
    assert prepared.record.runtime is not None
    assert prepared.record.runtime.trace[-1] == "keep:cleanup skipped (debugging)"
    assert prepared.close() == []


def test_overrides_replace_values_and_their_plans_are_not_called(log: list[str]) -> None:
    accounts, orders = Recorder("accounts", log), Recorder("orders", log)
    alice = accounts.require(id="alice")
    order = orders.require(id="order", dependencies={"owner": alice}, is_per_test=True)
    overrides = Overrides(shared={alice: "given alice"}, local={"b": {order: "given order"}})

    with prepare({"a": [order], "b": [order]}, overrides=overrides) as prepared:
        assert prepared.value(alice) == "given alice"
        assert prepared.value(order, "a") == "orders:order@a"
        assert prepared.value(order, "b") == "given order"
        runtime = prepared.record.runtime
        assert runtime is not None
        assert runtime.trace[:2] == ["override_shared:alice", "override_test:b:order"]
        assert prepared.record.overrides == {
            "shared": {"alice": "given alice"},
            "tests": {"b": {"order": "given order"}},
        }
    assert log == ["create order@a", "delete orders:order@a"]


def test_given_values_and_failures_come_from_elsewhere_and_are_not_owned(log: list[str]) -> None:
    accounts, orders = Recorder("accounts", log), Recorder("orders", log)
    alice, bob = accounts.require(id="alice"), accounts.require(id="bob")
    order = orders.require(id="order", dependencies={"owner": alice}, is_per_test=True)
    late = orders.require(id="late", dependencies={"owner": bob}, is_per_test=True)
    down = RuntimeError("the directory is down")
    overrides = Overrides(given={alice: "alice from gw0"}, failed={bob: down}, owned=True)

    with prepare({"a": [order, late]}, overrides=overrides) as prepared:
        assert prepared.value(alice) == "alice from gw0"
        assert prepared.value(order, "a") == "orders:order@a"
        with pytest.raises(NodeFailedError, match=r"'bob' .* failed: RuntimeError: the dire"):
            prepared.value(bob)
        with pytest.raises(NodeFailedError, match=r"because dependency 'bob' .* failed"):
            prepared.value(late, "a")
        assert prepared.record.overrides == {"shared": {}, "tests": {}}  # not overrides
        runtime = prepared.record.runtime
        assert runtime is not None
        assert runtime.trace[:2] == ["given_shared:alice", "failed_elsewhere:bob:RuntimeError"]
        given = {node.id: node.given for node in prepared.instances}
        assert given == {"alice": True, "bob": True, "order": False, "late": False}
    # neither owned nor cleaned up here, even with owned=True: they belong to who made them
    assert log == ["create order@a", "delete orders:order@a"]


def test_given_values_and_failures_must_be_shared_requirements_of_the_graph(
    log: list[str],
) -> None:
    plan = Recorder("db", log)
    own, other = plan.require(id="own", is_per_test=True), plan.require(id="other")
    with pytest.raises(WarmupError, match=r"^given value 'own' .* targets a per-test"):
        prepare({"a": [own]}, overrides=Overrides(given={own: 1}))
    with pytest.raises(WarmupError, match=r"^failed requirement 'other' .* is not needed"):
        prepare({"a": [own]}, overrides=Overrides(failed={other: RuntimeError()}))
    with pytest.raises(WarmupError, match=r"^Overrides.failed maps requirements to exceptions"):
        prepare({"a": [own]}, overrides=Overrides(failed={own: "down"}))  # type: ignore[dict-item]
    assert log == []


def test_a_local_override_of_a_shared_value_reaches_that_consumer_only(log: list[str]) -> None:
    alice = Recorder("accounts", log).require(id="alice")
    seen: dict[str, Any] = {}

    class Seeing(Recorder):
        def prepare_node(self, node: WarmupNode) -> str:
            seen[str(node.test_id)] = node.deps["owner"]
            return super().prepare_node(node)

    order = Seeing("orders", log).require(
        id="order", dependencies={"owner": alice}, is_per_test=True
    )
    overrides = Overrides(local={"b": {alice: "b's own alice"}})

    with prepare({"a": [order], "b": [order, alice]}, overrides=overrides) as prepared:
        assert prepared.value(alice, "a") == "accounts:alice"
        assert prepared.value(alice, "b") == "b's own alice"
        assert seen == {"a": "accounts:alice", "b": "b's own alice"}
        keys = [node.runtime_key for node in prepared.instances]
        assert keys[-1] == "override:alice:b"


def test_overrides_can_be_chosen_once_the_graph_is_known(log: list[str]) -> None:
    plan = Recorder("db", log)
    shared = plan.require(id="shared")
    own = plan.require(id="own", dependencies={"base": shared}, is_per_test=True)
    graphs: list[Graph] = []

    def choose(graph: Graph) -> Overrides:
        graphs.append(graph)
        by_id = {node.requirement.id: node for node in graph.nodes}
        assert [by_id["shared"].per_test, by_id["own"].per_test] == [False, True]
        return Overrides(shared={shared: "chosen"})

    with prepare({"a": [own]}, overrides=choose) as prepared:
        assert prepared.value(own, "a") == "db:own@a"
        assert prepared.value(shared) == "chosen"
    assert len(graphs) == 1
    assert prepared.record.graph is graphs[0]


def test_a_failing_chooser_still_records_what_would_have_been_prepared(log: list[str]) -> None:
    requirement = Recorder("db", log).require(id="r")

    def choose(graph: Graph) -> Overrides:
        raise WarmupError("bad snapshot")

    run = Run()
    record = run.new_record("shop", scope="module", scope_id="module:t.py::shop")
    with pytest.raises(WarmupError, match="bad snapshot"):
        run.prepare({"t.py::a": [requirement]}, overrides=choose, record=record)
    assert record.error is not None
    assert record.status == "failed"
    assert record.instances is not None
    assert [node.status for node in record.instances] == ["pending"]
    assert run.record.prepares == [record]
    assert log == []
    run.close()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            lambda own, other: Overrides(shared={other: 1}),
            r"^shared override 'other' \(plan 'db', declared at .*\) is not needed by any "
            r"consumer of this preparation; override only what is prepared$",
        ),
        (
            lambda own, other: Overrides(shared={own: 1}),
            r"^shared override 'own' .* targets a per-test requirement; override it for each "
            r"consumer under local instead$",
        ),
        (
            lambda own, other: Overrides(local={"b": {own: 1}}),
            r"^override for consumer 'b', which needs nothing in this preparation; its consumers "
            r"are 'a'$",
        ),
        (
            lambda own, other: Overrides(local={"a": {other: 1}}),
            r"^override for consumer 'a' of 'other' .* is not needed by any consumer",
        ),
        (
            lambda own, other: Overrides(shared={"own": 1}),  # type: ignore[dict-item]
            r"^shared override: overrides are keyed by WarmupRequirement objects, got 'own'$",
        ),
        (
            lambda own, other: {own: 1},
            r"^overrides must be an Overrides\(shared=..., local=...\), or a function of the "
            r"graph that returns one, got dict$",
        ),
        (
            lambda own, other: lambda graph: {own: 1},
            r"^overrides must be an Overrides.*got dict$",
        ),
    ],
)
def test_overrides_that_do_not_fit_the_graph_are_errors(
    log: list[str], overrides: Any, message: str
) -> None:
    plan = Recorder("db", log)
    own = plan.require(id="own", is_per_test=True)
    other = plan.require(id="other")

    with pytest.raises(WarmupError, match=message):
        prepare({"a": [own]}, overrides=overrides(own, other))
    assert log == []


def test_a_local_override_of_a_shared_value_its_consumer_does_not_need_is_an_error(
    log: list[str],
) -> None:
    plan = Recorder("db", log)
    first, second = plan.require(id="first"), plan.require(id="second")

    with pytest.raises(WarmupError, match=r"^override for consumer 'a' of 'second' .*: that "):
        prepare({"a": [first], "b": [second]}, overrides=Overrides(local={"a": {second: 1}}))
    assert log == []


def test_a_per_test_value_asked_without_a_consumer_says_so(log: list[str]) -> None:
    own = Recorder("db", log).require(id="own", is_per_test=True)
    with prepare({"a": [own]}) as prepared, pytest.raises(NotPreparedError) as caught:
        prepared.value(own)
    assert str(caught.value).startswith("requirement 'own' (declared at ")
    assert str(caught.value).endswith(
        "is per-test in preparation 'prepare': each consumer has its own value; ask for one "
        "with value(requirement, consumer)"
    )


def test_values_are_gone_once_closed_and_stay_when_kept(log: list[str]) -> None:
    requirement = Recorder("db", log).require(id="r")
    with prepare({"a": [requirement]}) as closed:
        assert closed.value(requirement) == "db:r"
    with pytest.raises(WarmupError, match=r"^preparation 'prepare' was closed and its plans "):
        closed.value(requirement)

    with prepare({"a": [requirement]}) as kept:
        kept.keep("debugging")
    assert kept.value(requirement) == "db:r"


@pytest.mark.parametrize(
    "overrides",
    [
        lambda r: Overrides(shared=[r]),  # type: ignore[arg-type]
        lambda r: Overrides(shared=5),  # type: ignore[arg-type]
        lambda r: Overrides(local={"a": [r]}),  # type: ignore[dict-item]
        lambda r: Overrides(local={"a": None}),  # type: ignore[dict-item]
        lambda r: Overrides(local={3: {r: 1}, "a": {r: 2}}),  # type: ignore[dict-item]
        lambda r: Overrides(local=[r]),  # type: ignore[arg-type]
    ],
)
def test_overrides_of_the_wrong_shape_are_errors(log: list[str], overrides: Any) -> None:
    requirement = Recorder("db", log).require(id="r")
    with pytest.raises(WarmupError, match=r"^Overrides\.(shared|local) must map "):
        prepare({"a": [requirement]}, overrides=overrides(requirement))


@pytest.mark.parametrize("key", ["r", None, ["r"], 3])
def test_values_are_looked_up_by_requirement(log: list[str], key: Any) -> None:
    requirement = Recorder("db", log).require(id="r")
    with prepare({"a": [requirement]}) as prepared:
        for lookup in (prepared.value, prepared.find, prepared.failure):
            with pytest.raises(WarmupError, match=r"^values are looked up by WarmupRequirement"):
                lookup(key)


def test_a_root_table_of_something_else_is_an_error() -> None:
    roots = RootTable()
    roots.append("a", "test", "a", "value", "not a requirement")  # type: ignore[arg-type]
    with pytest.raises(WarmupError, match=r"^consumer 'a' needs 'not a requirement', which is "):
        prepare(roots)


def test_a_closed_run_prepares_nothing_more(log: list[str]) -> None:
    requirement = Recorder("db", log).require(id="r")
    run = Run()
    run.close()
    with pytest.raises(WarmupError, match=r"^this run is closed: start a new Run"):
        run.prepare({"a": [requirement]})
    assert log == []


@pytest.mark.parametrize(
    ("needs", "message"),
    [
        ([1], r"^needs must map consumer ids to requirements, got list$"),
        ({1: []}, r"^consumer ids must be strings, got 1$"),
        ({"a": "ab"}, r"^consumer 'a' needs must be a list of requirements, got str$"),
        ({"a": 3}, r"^consumer 'a' needs must be a list of requirements, got int$"),
        (
            {"a": ["r"]},
            r"^consumer 'a' needs 'r', which is not a WarmupRequirement; list the objects that "
            r"plan.require\(...\) returned$",
        ),
    ],
)
def test_needs_of_the_wrong_shape_are_errors(needs: Any, message: str) -> None:
    with pytest.raises(WarmupError, match=message):
        prepare(needs)


def test_a_single_requirement_counts_as_a_list_of_one(log: list[str]) -> None:
    requirement = Recorder("db", log).require(id="one")
    with prepare({"a": requirement}) as prepared:  # type: ignore[dict-item]
        assert prepared.value(requirement) == "db:one"


@pytest.mark.parametrize("workers", [0, -1, 1.5, "2"])
def test_max_workers_must_be_a_whole_number_of_at_least_one(workers: Any) -> None:
    with pytest.raises(WarmupError, match=r"^max_workers must be a whole number of at least 1"):
        prepare({}, max_workers=workers)
    with pytest.raises(WarmupError, match=r"^max_workers must be a whole number of at least 1"):
        Run(max_workers=workers)


def test_a_cycle_is_raised_and_recorded() -> None:
    plan = WarmupPlan("db")
    a = plan.require(id="a")
    b = plan.require(id="b", dependencies={"a": a})
    a.dependencies["b"] = b
    run = Run()
    with pytest.raises(WarmupError, match=r"^dependency cycle detected: a -> b -> a$"):
        run.prepare({"x": [a]})
    (record,) = run.record.prepares
    assert record.graph is None
    assert isinstance(record.error, WarmupError)
    run.close()


def test_several_workers_give_the_same_values_as_one(log: list[str]) -> None:
    plans = [Recorder(f"plan{number}", log) for number in range(6)]
    requirements = [plan.require(id=f"r{number}") for number, plan in enumerate(plans)]
    top = Recorder("top", log).require(id="top", dependencies={"all": requirements})

    with prepare({"a": [top]}, max_workers=1) as one, prepare({"a": [top]}, max_workers=4) as many:
        assert one.value(top) == many.value(top) == "top:top"
        assert [one.value(r) for r in requirements] == [many.value(r) for r in requirements]


def test_an_interrupt_in_a_plan_cleans_up_what_was_created_and_propagates(
    log: list[str],
) -> None:
    class Interrupting(Recorder):
        def prepare_node(self, node: WarmupNode) -> str:
            raise KeyboardInterrupt

    made = Recorder("a_first", log).require(id="made")
    stop = Interrupting("b_then", log).require(id="stop", dependencies={"made": made})
    run = Run()
    with pytest.raises(KeyboardInterrupt):
        run.prepare({"x": [stop]})
    assert log == ["create made", "delete a_first:made"]
    assert run.open() == []
    run.close()


def test_a_stop_request_ends_the_preparation_once_its_running_batches_end(
    log: list[str],
) -> None:
    told: list[str] = []
    run = Run(max_workers=2, notify=told.append)

    class Stopping(Recorder):
        def prepare_node(self, node: WarmupNode) -> str:
            assert run.request_stop()
            return super().prepare_node(node)

    made = Stopping("a_first", log).require(id="made")
    never = Recorder("b_then", log).require(id="never", dependencies={"made": made})

    assert run.request_stop() is False  # nothing is preparing
    with pytest.raises(KeyboardInterrupt):
        run.prepare({"x": [never]})

    assert log == ["create made", "delete a_first:made"]
    assert told == [
        "interrupted: no new batch starts; waiting for 1 running batch (plan 'a_first') to "
        "end, so that what it creates is cleaned up (interrupt again to stop waiting)"
    ]
    assert run.settled
    run.close()


@pytest.mark.skipif(
    not hasattr(signal, "pthread_kill"), reason="signals are sent to the main thread"
)
def test_closing_a_run_waits_for_the_batches_an_interrupt_stopped_waiting_for(
    log: list[str],
) -> None:
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals reach the main thread only")
    told = threading.Event()
    gate = threading.Event()

    class Slow(Recorder):
        def prepare_node(self, node: WarmupNode) -> str:
            for _ in range(2):  # Ctrl-C twice, the second once the first was taken
                told.clear()
                signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)
                assert told.wait(timeout=10)
            assert gate.wait(timeout=10)
            return super().prepare_node(node)

    run = Run(max_workers=2, notify=lambda message: told.set())
    slow = Slow("slow", log).require(id="late")
    with pytest.raises(KeyboardInterrupt):
        run.prepare({"x": [slow]})
    assert not run.settled

    threading.Thread(target=gate.set).start()
    run.close()

    assert log == ["create late", "delete slow:late"]
    assert run.settled


def test_async_plans_run_without_an_event_loop_of_the_callers(log: list[str]) -> None:
    class AsyncPlan(WarmupPlan):
        async def prepare_node(self, node: WarmupNode) -> str:
            await asyncio.sleep(0)
            return f"async {node.id}"

        async def cleanup_node(self, node: WarmupNode) -> None:
            await asyncio.sleep(0)
            log.append(f"async delete {node.id}")

    requirement = AsyncPlan("async").require(id="one")
    with prepare({"x": [requirement]}) as prepared:
        assert prepared.value(requirement) == "async one"
    assert log == ["async delete one"]


def test_an_interrupt_in_a_cleanup_is_raised_after_everything_is_cleaned_up(
    log: list[str],
) -> None:
    class Interrupted(Recorder):
        def cleanup_node(self, node: WarmupNode) -> None:
            raise KeyboardInterrupt

    first = Interrupted("a_interrupted", log).require(id="first")
    second = Recorder("b_plain", log).require(id="second", dependencies={"first": first})
    other = Recorder("c_other", log).require(id="other")
    run = Run()
    interrupted = run.prepare({"x": [second]})
    run.prepare({"y": [other]})

    with pytest.raises(KeyboardInterrupt):
        run.close()

    assert log == [
        "create first",
        "create second",
        "create other",
        "delete b_plain:second",
        "delete c_other:other",
    ]
    assert run.open() == []
    ((plan, error),) = interrupted.record.cleanup_errors
    assert (plan, type(error)) == ("a_interrupted", KeyboardInterrupt)


def test_closing_a_preparation_raises_an_interrupt_of_its_cleanup_last(log: list[str]) -> None:
    class Interrupted(Recorder):
        def cleanup_node(self, node: WarmupNode) -> None:
            raise KeyboardInterrupt

    first = Interrupted("a_interrupted", log).require(id="first")
    second = Recorder("b_plain", log).require(id="second", dependencies={"first": first})
    prepared = prepare({"x": [second]})

    with pytest.raises(KeyboardInterrupt):
        prepared.close()

    assert log[-1] == "delete b_plain:second"
    assert [plan for plan, _ in prepared.record.cleanup_errors] == ["a_interrupted"]
    assert prepared.close() == []


def test_a_run_keeps_one_record_and_closes_what_is_still_open(log: list[str]) -> None:
    plan = Recorder("db", log)
    first, second = plan.require(id="first"), plan.require(id="second")

    with Run(max_workers=2) as run:
        done = run.prepare({"a": [first]})
        still_open = run.prepare({"b": [second]})
        done.close()
        assert run.open() == [still_open]
        assert [record.consumers for record in run.record.prepares] == [("a",), ("b",)]
    assert log == ["create first", "create second", "delete db:first", "delete db:second"]
    assert run.open() == []


def test_the_record_tells_what_was_selected_built_and_run(log: list[str]) -> None:
    accounts, orders = Recorder("accounts", log), Recorder("orders", log)
    alice = accounts.require(id="alice")
    order = orders.require(id="order", dependencies={"owner": alice}, is_per_test=True)

    with prepare({"b": [order], "a": [order, alice]}, name="nightly") as prepared:
        record = prepared.record
        assert (record.name, record.scope, record.scope_id) == ("nightly", "session", "nightly")
        assert record.consumers == ("b", "a")
        assert list(record.roots.consumer_ids) == ["b", "a", "a"]
        assert record.graph is not None
        assert [node.label for node in record.graph.nodes] == ["alice", "order"]
        assert [node.runtime_key for node in prepared.instances] == [
            "node-1:shared",
            "node-2:a",
            "node-2:b",
        ]
        assert record.runtime is not None
        assert [(b.plan, b.node_count) for b in record.runtime.batch_reports] == [
            ("accounts", 1),
            ("orders", 2),
        ]
        assert record.status == "prepared"
        assert record.description == "preparation 'nightly'"


class OldStyle(WarmupPlan):
    """The 0.1.6 form: ``prepare(nodes, runtime)``, which sees the producer's context."""

    def __init__(self) -> None:
        super().__init__("old")
        self.seen: list[tuple[str, tuple[str, ...]]] = []

    def prepare(self, nodes: Sequence[WarmupNode], runtime: Any) -> None:
        self.seen.append((runtime.producer_scope, runtime.selected_test_ids))
        for node in nodes:
            runtime.set(node, 1)


def test_old_style_plans_see_the_consumers_as_selected_tests() -> None:
    plan = OldStyle()
    with prepare({"a": [plan.require()], "b": []}) as prepared:
        assert prepared.record.consumers == ("a",)
    assert plan.seen == [("session", ("a",))]


def test_replays_are_planned_only_for_batches_that_run_one_after_the_other() -> None:
    from pytest_warmup import WarmupRequirement
    from pytest_warmup._graph import instantiate, normalise
    from pytest_warmup._scheduler import planned_positions

    class Plan(WarmupPlan):
        def prepare_node(self, node: WarmupNode) -> int:
            return 1

    first, second, other = Plan("first"), Plan("second"), Plan("other")
    head = first.require(id="head", is_per_test=True)
    tail = second.require(id="tail", dependencies={"head": head}, is_per_test=True)
    alone = other.require(id="alone", is_per_test=True)

    def planned(*needs: WarmupRequirement[Any]) -> Any:
        roots = RootTable()
        for need in needs:
            roots.append("t", "test", "t", "arg", need)
        return planned_positions(instantiate(normalise(needs), roots).order)

    assert planned(tail) == [(first, (0,)), (second, (1,))]
    # two independent plans could run at the same time: no replay, which runs one at a time
    assert planned(tail, alone) is None
