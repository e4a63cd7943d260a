"""Unit tests of preparation: batches, results, failures, async plans, workers and cleanup."""

from __future__ import annotations

import asyncio
import re
import signal
import threading
import time
from collections.abc import Sequence
from typing import Any

import pytest

from graphs import TEST_A, TEST_B, build, root
from pytest_warmup import WarmupError, WarmupNode, WarmupPlan, WarmupRequirement
from pytest_warmup._graph import Instances
from pytest_warmup._runtime import (
    BatchReport,
    EventLoopThread,
    Preparation,
    WarmupRuntime,
    failure_of,
)
from pytest_warmup._scheduler import Scheduler
from pytest_warmup.errors import NodeFailedError


def prepare(
    bindings: Sequence[WarmupRequirement | tuple[WarmupRequirement, str]],
    *,
    max_workers: int = 1,
    run: bool = True,
) -> tuple[Instances, WarmupRuntime, Preparation]:
    """Build the instances of ``bindings`` (a requirement, or (requirement, test id)) and run it."""
    roots = [
        root(*binding) if isinstance(binding, tuple) else root(binding) for binding in bindings
    ]
    test_ids = list(dict.fromkeys(item.consumer_id for item in roots))
    instances = build(roots)
    runtime = WarmupRuntime("module", test_ids)
    preparation = Preparation(instances, runtime, max_workers=max_workers)
    if run:
        preparation.run()
    return instances, runtime, preparation


def instance(
    instances: Instances, requirement: WarmupRequirement, test_id: str | None = None
) -> WarmupNode:
    node = instances.graph.by_requirement[requirement]
    return instances.shared[node] if test_id is None else instances.per_test[(node, test_id)]


def values(instances: Instances) -> dict[str, Any]:
    return {item.runtime_key: item.value for item in instances if item.has_value}


class Echo(WarmupPlan):
    """0.1.6 style: each node's value is its id (or payload name) and its dependency values."""

    def __init__(self, name: str, log: list[tuple[str, list[str]]] | None = None) -> None:
        super().__init__(name)
        self.log = log if log is not None else []
        self.cleaned: list[list[str]] = []

    def prepare(self, nodes: Sequence[WarmupNode], runtime: WarmupRuntime) -> None:
        self.log.append((self.name, [node.runtime_key for node in nodes]))
        for node in nodes:
            if "fail" in node.payload:
                runtime.set_exception(node, RuntimeError(node.payload["fail"]))
            else:
                runtime.set(node, {"id": node.id, "test": node.test_id, "deps": dict(node.deps)})

    def cleanup(self, nodes: Sequence[WarmupNode]) -> None:
        self.cleaned.append([node.runtime_key for node in nodes])


class Template(WarmupPlan):
    """0.2.x style: prepare_node returns the payload's ``value``, ``fail`` raises."""

    def __init__(self, name: str = "template") -> None:
        super().__init__(name)
        self.events: list[str] = []

    def before_prepare(self, nodes: Sequence[WarmupNode]) -> None:
        self.events.append(f"before:{len(nodes)}")

    def prepare_node(self, node: WarmupNode) -> Any:
        self.events.append(f"node:{node.id}")
        if "fail" in node.payload:
            raise RuntimeError(node.payload["fail"])
        return node.payload.get("value", node.id)

    def after_prepare(self, nodes: Sequence[WarmupNode]) -> None:
        self.events.append("after")


# -- batches ------------------------------------------------------------------------------------


def test_independent_plans_are_called_in_alphabetical_order() -> None:
    log: list[tuple[str, list[str]]] = []
    zeta, alpha, mid = Echo("zeta", log), Echo("alpha", log), Echo("mid", log)

    prepare([zeta.require(), alpha.require(), mid.require(), alpha.require()])

    assert log == [
        ("alpha", ["node-2:shared", "node-4:shared"]),
        ("mid", ["node-3:shared"]),
        ("zeta", ["node-1:shared"]),
    ]


def test_each_plan_is_called_once_when_dependencies_allow_it() -> None:
    log: list[tuple[str, list[str]]] = []
    schema, database, app = Echo("z_schema", log), Echo("a_database", log), Echo("m_app", log)
    users = schema.require(id="users")
    orders = schema.require(id="orders")
    main = database.require(id="main", dependencies={"tables": [users, orders]})
    replica = database.require(id="replica", dependencies={"users": users})
    client = app.require(id="client", dependencies={"main": main, "replica": replica})

    instances, _, _ = prepare([client, replica])

    assert [name for name, _ in log] == ["z_schema", "a_database", "m_app"]
    assert instance(instances, client).value == {
        "id": "client",
        "test": None,
        "deps": {
            "main": {
                "id": "main",
                "test": None,
                "deps": {
                    "tables": (
                        {"id": "users", "test": None, "deps": {}},
                        {"id": "orders", "test": None, "deps": {}},
                    )
                },
            },
            "replica": {
                "id": "replica",
                "test": None,
                "deps": {"users": {"id": "users", "test": None, "deps": {}}},
            },
        },
    }


def test_same_plan_dependencies_give_one_call_per_level() -> None:
    log: list[tuple[str, list[str]]] = []
    plan = Echo("db", log)
    level0 = plan.require(id="level0")
    level1 = plan.require(id="level1", dependencies={"below": level0})
    level2 = plan.require(id="level2", dependencies={"below": level1})
    alone = plan.require(id="alone")

    instances, _, _ = prepare([level2, alone])

    assert log == [
        ("db", ["node-1:shared", "node-4:shared"]),
        ("db", ["node-2:shared"]),
        ("db", ["node-3:shared"]),
    ]
    assert instance(instances, level2).value["deps"]["below"]["deps"]["below"]["id"] == "level0"


def test_alternating_plans_follow_node_dependency_levels() -> None:
    log: list[tuple[str, list[str]]] = []
    first, second = Echo("a", log), Echo("b", log)
    a1 = first.require(id="a1")
    b1 = second.require(id="b1", dependencies={"a1": a1})
    a2 = first.require(id="a2", dependencies={"b1": b1})

    prepare([a2])

    assert log == [("a", ["node-1:shared"]), ("b", ["node-2:shared"]), ("a", ["node-3:shared"])]


def test_plans_with_one_name_are_ordered_by_first_appearance() -> None:
    log: list[tuple[str, list[str]]] = []
    first, second = Echo("db", log), Echo("db", log)

    instances, _, _ = prepare([second.require(id="second"), first.require(id="first")])

    assert log == [("db", ["node-1:shared"]), ("db", ["node-2:shared"])]
    assert len(values(instances)) == 2


def test_batch_nodes_keep_instance_order_with_per_test_instances() -> None:
    log: list[tuple[str, list[str]]] = []
    plan = Echo("db", log)
    context = plan.require(id="context", is_per_test=True)
    shared = plan.require(id="shared")

    prepare([(context, "t.py::test[2]"), (shared, "t.py::test[2]"), (context, "t.py::test[10]")])

    assert log == [("db", ["node-1:t.py::test[10]", "node-1:t.py::test[2]", "node-2:shared"])]


def test_a_plan_with_nothing_pending_is_not_called() -> None:
    log: list[tuple[str, list[str]]] = []
    base_plan, user_plan = Echo("base", log), Echo("user", log)
    base = base_plan.require(id="base")
    user = user_plan.require(id="user", dependencies={"base": base})
    instances, _, preparation = prepare([user], run=False)
    instance(instances, base).preset("from snapshot")

    preparation.run()

    assert log == [("user", ["node-2:shared"])]
    assert instance(instances, user).value["deps"] == {"base": "from snapshot"}


def test_each_batch_adds_a_batch_report() -> None:
    plan, other = Echo("db"), Echo("cache")

    _, runtime, _ = prepare([plan.require(), other.require(), plan.require()])

    assert [
        (report.plan, report.node_count, report.runtime_keys) for report in runtime.batch_reports
    ] == [
        ("cache", 1, ("node-2:shared",)),
        ("db", 2, ("node-1:shared", "node-3:shared")),
    ]
    assert all(isinstance(report, BatchReport) for report in runtime.batch_reports)
    assert all(report.duration_ms >= 0 for report in runtime.batch_reports)


def test_batch_reports_tell_when_each_batch_started() -> None:
    class Slow(WarmupPlan):
        def prepare_node(self, node: WarmupNode) -> str:
            time.sleep(0.02)
            return "done"

    first, second, alone = Slow("first"), Slow("second"), Slow("alone")
    before = first.require(id="before")
    after = second.require(id="after", dependencies={"before": before})
    began = time.perf_counter()
    instances = build([root(after), root(alone.require(id="alone"))])
    preparation = Preparation(
        instances, WarmupRuntime("module", [TEST_A]), max_workers=2, began=began
    )
    preparation.run()
    elapsed = (time.perf_counter() - began) * 1000

    reports = {report.plan: report for report in preparation.runtime.batch_reports}
    # "first" and "alone" ran side by side (each started before the other ended; no absolute
    # bound, which a busy machine could pass); "second" waited for "first"
    first_report, alone_report = reports["first"], reports["alone"]
    assert first_report.started_ms < alone_report.started_ms + alone_report.duration_ms
    assert alone_report.started_ms < first_report.started_ms + first_report.duration_ms
    assert reports["second"].started_ms >= reports["first"].started_ms + 20
    assert reports["second"].started_ms + reports["second"].duration_ms <= elapsed


def test_runtime_carries_producer_scope_and_selected_test_ids() -> None:
    seen: list[tuple[str, tuple[str, ...]]] = []

    class Looking(WarmupPlan):
        def prepare(self, nodes: Sequence[WarmupNode], runtime: WarmupRuntime) -> None:
            seen.append((runtime.producer_scope, runtime.selected_test_ids))
            runtime.trace.append("plan was here")
            for node in nodes:
                runtime.set(node, 1)

    requirement = Looking("look").require()
    _, runtime, _ = prepare([(requirement, TEST_B), (requirement, TEST_A)])

    assert seen == [("module", (TEST_B, TEST_A))]
    assert runtime.trace == ["plan was here"]


def test_nodes_expose_payload_ids_and_test_ids_to_the_plan() -> None:
    seen: list[tuple[Any, ...]] = []

    class Looking(WarmupPlan):
        def prepare(self, nodes: Sequence[WarmupNode]) -> None:
            for node in nodes:
                seen.append((node.payload, node.public_id, node.id, node.test_id, node.per_test))
                node.set_value(None)

    plan = Looking("look")
    shared = plan.require(id="shared", payload={"size": 1})
    context = plan.require(is_per_test=True)
    instances, _, _ = prepare([shared, context])

    assert seen == [({"size": 1}, "shared", "shared", None, False), ({}, None, None, TEST_A, True)]
    assert instance(instances, shared).payload is shared.payload


# -- recording results --------------------------------------------------------------------------


def test_runtime_set_outside_a_batch_is_rejected() -> None:
    instances, runtime, _ = prepare([Echo("db").require()])

    with pytest.raises(
        WarmupError,
        match=r"^runtime\.set\(\.\.\.\) may only be used during active "
        r"plan\.prepare\(\.\.\.\)$",
    ):
        runtime.set(instances[0], 1)
    with pytest.raises(WarmupError, match=r"may only be used during active plan\.prepare"):
        runtime.set_exception(instances[0], RuntimeError("late"))


def test_runtime_set_on_a_node_outside_the_active_batch_is_rejected() -> None:
    errors: list[str] = []
    first_plan = Echo("a_first")

    class Meddling(WarmupPlan):
        def prepare(self, nodes: Sequence[WarmupNode], runtime: WarmupRuntime) -> None:
            with pytest.raises(WarmupError) as info:
                runtime.set(instances[0], "stolen")
            errors.append(str(info.value))
            for node in nodes:
                runtime.set(node, "mine")

    instances = build([root(first_plan.require()), root(Meddling("b_meddling").require())])
    Preparation(instances, WarmupRuntime("module", [TEST_A])).run()

    assert errors == ["runtime operation targets unknown node 'node-1:shared' outside active batch"]
    assert instances[0].value == {"id": None, "test": None, "deps": {}}


def test_node_set_value_and_set_exception_outside_a_batch_are_rejected() -> None:
    instances, _, _ = prepare([Echo("db").require()])
    node = instances[0]
    message = r"^warmup node values may only be set during active plan\.prepare\(\.\.\.\)$"

    with pytest.raises(WarmupError, match=message):
        node.set_value(2)
    with pytest.raises(WarmupError, match=message):
        node.set_exception(RuntimeError("late"))
    assert node.value == {"id": None, "test": None, "deps": {}}


@pytest.mark.parametrize("style", ["node", "runtime"])
def test_the_last_of_value_and_exception_wins(style: str) -> None:
    class Fickle(WarmupPlan):
        def prepare(self, nodes: Sequence[WarmupNode], runtime: WarmupRuntime) -> None:
            first, second = nodes
            if style == "node":
                first.set_value(1)
                first.set_exception(RuntimeError("changed my mind"))
                second.set_exception(RuntimeError("never mind"))
                second.set_value(2)
            else:
                runtime.set(first, 1)
                runtime.set_exception(first, RuntimeError("changed my mind"))
                runtime.set_exception(second, RuntimeError("never mind"))
                runtime.set(second, 2)

    plan = Fickle("fickle")
    instances, runtime, _ = prepare([plan.require(), plan.require()])

    first, second = instances
    assert (first.has_value, first.has_exception, first.is_resolved) == (False, True, True)
    assert str(first.exception) == "changed my mind"
    assert (second.has_value, second.has_exception, second.value) == (True, False, 2)
    assert second.exception is None
    assert (first.status, second.status) == ("exception", "value")
    assert runtime.trace == ["exception:node-1:shared:RuntimeError"]


def test_a_node_without_a_result_fails_with_a_clear_message() -> None:
    class Forgetful(WarmupPlan):
        def prepare(self, nodes: Sequence[WarmupNode]) -> None:
            nodes[0].set_value("only the first")

    plan = Forgetful("forgetful")
    instances, runtime, _ = prepare([plan.require(), plan.require()])

    first, second = instances
    assert first.value == "only the first"
    assert isinstance(second.exception, WarmupError)
    assert re.fullmatch(
        r"plan 'forgetful' did not set a value or exception for requirement 'forgetful@\w+' "
        r"\(plan 'forgetful', declared at .*test_runtime.py:\d+\), node 'node-2:shared'; "
        r"complete every node it receives",
        str(second.exception),
    )
    assert runtime.trace == ["exception:node-2:shared:WarmupError"]


def test_prepare_raising_keeps_recorded_results_and_fails_the_rest() -> None:
    boom = RuntimeError("boom")

    class Crashing(WarmupPlan):
        def prepare(self, nodes: Sequence[WarmupNode], runtime: WarmupRuntime) -> None:
            runtime.set(nodes[0], "made it")
            runtime.set_exception(nodes[1], KeyError("own"))
            raise boom

    plan = Crashing("crashing")
    instances, runtime, _ = prepare([plan.require(), plan.require(), plan.require()])

    first, second, third = instances
    assert first.value == "made it"
    assert isinstance(second.exception, KeyError)
    assert third.exception is boom
    assert runtime.trace == [
        "exception:node-2:shared:KeyError",
        "exception:node-3:shared:RuntimeError",
    ]


def test_value_of_a_node_without_one_is_a_warmup_error() -> None:
    instances, _, _ = prepare([Echo("db").require(payload={"fail": "no"})])

    with pytest.raises(WarmupError, match=r"^node 'node-1:shared' has no prepared value$"):
        _ = instances[0].value


# -- failure isolation --------------------------------------------------------------------------


def test_dependants_of_a_failed_node_are_blocked_and_unrelated_nodes_are_prepared() -> None:
    log: list[tuple[str, list[str]]] = []
    base_plan, user_plan, other_plan = (
        Echo("a_base", log),
        Echo("b_user", log),
        Echo("c_other", log),
    )
    broken = base_plan.require(id="broken", payload={"fail": "no database"})
    fine = base_plan.require(id="fine")
    user = user_plan.require(id="user", dependencies={"broken": broken, "fine": fine})
    report = user_plan.require(id="report", dependencies={"user": user})
    other = other_plan.require(id="other", dependencies={"fine": fine})
    unrelated = user_plan.require(id="unrelated")

    instances, runtime, _ = prepare([report, other, unrelated])

    assert log == [
        ("a_base", ["node-1:shared", "node-2:shared"]),
        ("b_user", ["node-6:shared"]),
        ("c_other", ["node-5:shared"]),
    ]
    broken_node = instance(instances, broken)
    assert instance(instances, user).status == "pending"
    assert instance(instances, user).blocked_by is broken_node
    assert instance(instances, report).blocked_by is broken_node
    assert instance(instances, other).has_value
    assert instance(instances, unrelated).has_value
    assert runtime.trace == [
        "exception:node-1:shared:RuntimeError",
        "blocked:node-3:shared",
        "blocked:node-4:shared",
    ]


def test_a_plan_whose_nodes_are_all_blocked_is_not_called() -> None:
    log: list[tuple[str, list[str]]] = []
    broken = Echo("a", log).require(payload={"fail": "no"})
    user = Echo("b", log).require(dependencies={"broken": broken})

    prepare([user])

    assert [name for name, _ in log] == ["a"]


def test_per_test_failure_blocks_only_that_tests_dependants() -> None:
    plan = Echo("db")

    class Context(WarmupPlan):
        def prepare(self, nodes: Sequence[WarmupNode]) -> None:
            for node in nodes:
                if node.test_id == TEST_A:
                    node.set_exception(RuntimeError("only in a"))
                else:
                    node.set_value(node.test_id)

    context = Context("context").require(id="context", is_per_test=True)
    user = plan.require(id="user", dependencies={"context": context})

    instances, _, _ = prepare([(user, TEST_A), (user, TEST_B)])

    assert instance(instances, user, TEST_A).blocked_by is instance(instances, context, TEST_A)
    assert instance(instances, user, TEST_B).value["deps"] == {"context": TEST_B}


# -- the 0.2.x template -------------------------------------------------------------------------


def test_template_runs_before_each_node_then_after() -> None:
    plan = Template()
    first = plan.require(id="first", payload={"value": 1})
    second = plan.require(id="second")

    instances, _, _ = prepare([first, second])

    assert plan.events == ["before:2", "node:first", "node:second", "after"]
    assert values(instances) == {"node-1:shared": 1, "node-2:shared": "second"}


def test_before_prepare_raising_fails_every_node_and_nothing_else_runs() -> None:
    boom = RuntimeError("no connection")

    class Broken(Template):
        def before_prepare(self, nodes: Sequence[WarmupNode]) -> None:
            raise boom

    plan = Broken()
    instances, _, _ = prepare([plan.require(id="a"), plan.require(id="b")])

    assert [node.exception for node in instances] == [boom, boom]
    assert plan.events == []


def test_prepare_node_raising_fails_only_that_node() -> None:
    plan = Template()
    good = plan.require(id="good")
    bad = plan.require(id="bad", payload={"fail": "bad row"})

    instances, _, _ = prepare([good, bad])

    assert instance(instances, good).value == "good"
    assert str(instance(instances, bad).exception) == "bad row"
    assert plan.events == ["before:2", "node:good", "node:bad", "after"]


def test_after_prepare_raising_fails_valued_nodes_and_keeps_earlier_exceptions() -> None:
    boom = RuntimeError("index never ready")

    class Broken(Template):
        def after_prepare(self, nodes: Sequence[WarmupNode]) -> None:
            raise boom

    plan = Broken()
    good = plan.require(id="good")
    bad = plan.require(id="bad", payload={"fail": "bad row"})

    instances, _, _ = prepare([good, bad])

    assert instance(instances, good).exception is boom
    assert str(instance(instances, bad).exception) == "bad row"


def test_nodes_that_after_prepare_failed_are_still_cleaned_up_with_their_value() -> None:
    deleted: list[tuple[str, Any, str]] = []

    class Indexing(Template):
        def after_prepare(self, nodes: Sequence[WarmupNode]) -> None:
            raise TimeoutError("index never ready")

        def cleanup_node(self, node: WarmupNode) -> None:
            deleted.append((node.runtime_key, node.value, repr(node.exception)))

    plan = Indexing()
    good = plan.require(id="good")
    bad = plan.require(id="bad", payload={"fail": "bad row"})
    instances, _, preparation = prepare([good, bad])

    assert [node.status for node in instances] == ["exception", "exception"]
    assert preparation.created_count == 1
    assert preparation.cleanup() == []
    assert deleted == [("node-1:shared", "good", "TimeoutError('index never ready')")]


def test_a_node_given_a_value_then_an_exception_is_cleaned_up() -> None:
    class ChangingItsMind(Echo):
        def prepare(self, nodes: Sequence[WarmupNode], runtime: WarmupRuntime) -> None:
            for node in nodes:
                node.set_value(f"created {node.id}")
            nodes[0].set_exception(RuntimeError("not usable after all"))

    plan = ChangingItsMind("db")
    instances, _, preparation = prepare([plan.require(id="first"), plan.require(id="second")])

    assert [node.status for node in instances] == ["exception", "value"]
    preparation.cleanup()
    assert plan.cleaned == [["node-1:shared", "node-2:shared"]]


def test_default_prepare_node_says_what_to_implement() -> None:
    class Empty(WarmupPlan):
        pass

    instances, _, _ = prepare([Empty("empty").require()])

    error = instances[0].exception
    assert isinstance(error, NotImplementedError)
    assert str(error) == "Empty must implement prepare_node(...) or prepare(...)"


def test_prepare_without_runtime_parameter_is_called_with_nodes_only() -> None:
    calls: list[int] = []

    class Simple(WarmupPlan):
        def prepare(self, nodes: Sequence[WarmupNode]) -> None:
            calls.append(len(nodes))
            for node in nodes:
                node.set_value("simple")

    plan = Simple("simple")
    instances, _, _ = prepare([plan.require(), plan.require()])

    assert calls == [2]
    assert values(instances) == {"node-1:shared": "simple", "node-2:shared": "simple"}


# -- async plans --------------------------------------------------------------------------------


class AsyncTemplate(WarmupPlan):
    def __init__(self, name: str = "async") -> None:
        super().__init__(name)
        self.running = 0
        self.most_running = 0
        self.threads: set[str] = set()

    async def prepare_node(self, node: WarmupNode) -> Any:
        self.threads.add(threading.current_thread().name)
        self.running += 1
        self.most_running = max(self.most_running, self.running)
        await asyncio.sleep(0)
        self.running -= 1
        if "fail" in node.payload:
            raise RuntimeError(node.payload["fail"])
        return f"async {node.id} {node.deps}"


def test_async_prepare_node_runs_concurrently_on_the_event_loop_thread() -> None:
    plan = AsyncTemplate()
    good = plan.require(id="good")
    bad = plan.require(id="bad", payload={"fail": "async failure"})
    instances, _, _ = prepare([good, bad, plan.require(id="third")])

    assert instance(instances, good).value == "async good {}"
    assert str(instance(instances, bad).exception) == "async failure"
    assert plan.most_running == 3
    assert plan.threads == {"pytest-warmup-loop"}


def test_async_prepare_with_runtime_is_awaited() -> None:
    class AsyncPrepare(WarmupPlan):
        async def prepare(self, nodes: Sequence[WarmupNode], runtime: WarmupRuntime) -> None:
            await asyncio.sleep(0)
            for node in nodes:
                runtime.set(node, f"{runtime.producer_scope}:{node.id}")

    instances, _, _ = prepare([AsyncPrepare("async").require(id="one")])

    assert values(instances) == {"node-1:shared": "module:one"}


def test_async_prepare_raising_fails_unresolved_nodes() -> None:
    class AsyncCrash(WarmupPlan):
        async def prepare(self, nodes: Sequence[WarmupNode]) -> None:
            nodes[0].set_value("first")
            await asyncio.sleep(0)
            raise RuntimeError("async crash")

    plan = AsyncCrash("crash")
    instances, _, _ = prepare([plan.require(), plan.require()])

    assert instances[0].value == "first"
    assert str(instances[1].exception) == "async crash"


def test_async_after_prepare_raising_fails_valued_nodes() -> None:
    class AsyncAfter(AsyncTemplate):
        async def after_prepare(self, nodes: Sequence[WarmupNode]) -> None:
            raise RuntimeError("async after")

    plan = AsyncAfter()
    instances, _, _ = prepare(
        [plan.require(id="one"), plan.require(id="two", payload={"fail": "x"})]
    )

    assert [str(node.exception) for node in instances] == ["async after", "x"]


def test_async_before_prepare_raising_fails_every_node() -> None:
    class AsyncBefore(AsyncTemplate):
        async def before_prepare(self, nodes: Sequence[WarmupNode]) -> None:
            raise RuntimeError("async before")

    plan = AsyncBefore()
    instances, _, _ = prepare([plan.require(id="one"), plan.require(id="two")])

    assert [str(node.exception) for node in instances] == ["async before"] * 2
    assert plan.most_running == 0


def test_sync_before_prepare_with_async_prepare_node_runs_on_the_loop() -> None:
    class Mixed(AsyncTemplate):
        def before_prepare(self, nodes: Sequence[WarmupNode]) -> None:
            self.threads.add(f"before on {threading.current_thread().name}")

    plan = Mixed()
    instances, _, _ = prepare([plan.require(id="one")])

    assert values(instances) == {"node-1:shared": "async one {}"}
    assert plan.threads == {"before on pytest-warmup-loop", "pytest-warmup-loop"}


@pytest.mark.parametrize("workers", [1, 3])
def test_sync_and_async_plans_feed_each_other(workers: int) -> None:
    sync_plan = Echo("a_sync")
    async_plan = AsyncTemplate("b_async")
    base = sync_plan.require(id="base")
    middle = async_plan.require(id="middle", dependencies={"base": base})
    top = sync_plan.require(id="top", dependencies={"middle": middle})

    instances, _, _ = prepare([top], max_workers=workers)

    assert instance(instances, top).value["deps"] == {
        "middle": "async middle {'base': {'id': 'base', 'test': None, 'deps': {}}}"
    }


def test_a_given_event_loop_is_used_and_left_open() -> None:
    loop = EventLoopThread()
    try:
        plan = AsyncTemplate()
        instances = build([root(plan.require(id="one"))])
        Preparation(instances, WarmupRuntime("module", [TEST_A]), loop=loop).run()

        assert loop.run(asyncio.sleep(0, result="still open")) == "still open"
        assert instances[0].value == "async one {}"
    finally:
        loop.close()


# -- workers and batch size ---------------------------------------------------------------------


def build_mixed_graph() -> list[WarmupRequirement | tuple[WarmupRequirement, str]]:
    log: list[tuple[str, list[str]]] = []
    plans = [Echo(name, log) for name in ("a", "b", "c", "d")]
    template = Template("e")
    bindings: list[WarmupRequirement | tuple[WarmupRequirement, str]] = []
    previous: WarmupRequirement | None = None
    for number in range(40):
        plan = plans[number % 4]
        dependencies = {"previous": previous} if previous is not None and number % 3 else {}
        payload = {"fail": "seven"} if number == 7 else {}
        requirement = plan.require(id=f"r{number}", payload=payload, dependencies=dependencies)
        context = template.require(
            id=f"ctx{number}", is_per_test=True, dependencies={"r": requirement}
        )
        bindings += [requirement, (context, TEST_A), (context, TEST_B)]
        previous = requirement
    return bindings


@pytest.mark.parametrize("workers", [2, 8])
def test_more_workers_give_the_same_values_as_one(workers: int) -> None:
    serial, _, _ = prepare(build_mixed_graph(), max_workers=1)
    parallel, _, _ = prepare(build_mixed_graph(), max_workers=workers)

    def outcome(instances: Instances) -> dict[str, Any]:
        return {
            item.runtime_key: item.value
            if item.has_value
            else repr(item.exception or item.blocked_by)
            for item in instances
        }

    assert outcome(parallel) == outcome(serial)
    assert sum(1 for item in serial if item.has_value) > 40


@pytest.mark.parametrize("workers", [1, 2, 4])
def test_every_worker_count_gives_the_same_batches(workers: int) -> None:
    # Both plans have a ready node and a pending one: starting b first lets a take both of its
    # nodes in one call (b1 is on the longest chain); starting a first costs a fourth batch.
    log: list[tuple[str, list[str]]] = []
    a, b = Echo("a", log), Echo("b", log)
    a1, b1 = a.require(id="a1"), b.require(id="b1")
    a2 = a.require(id="a2", dependencies={"b1": b1})
    b2 = b.require(id="b2", dependencies={"a2": a2})

    prepare([a1, b1, a2, b2], max_workers=workers)

    assert log == [
        ("b", ["node-2:shared"]),
        ("a", ["node-1:shared", "node-3:shared"]),
        ("b", ["node-4:shared"]),
    ]


def test_independent_plans_run_at_the_same_time_with_several_workers() -> None:
    both_started = threading.Barrier(2, timeout=10)

    class Waiting(WarmupPlan):
        def prepare_node(self, node: WarmupNode) -> Any:
            both_started.wait()
            return self.name

    instances, _, _ = prepare([Waiting("a").require(), Waiting("b").require()], max_workers=2)

    assert values(instances) == {"node-1:shared": "a", "node-2:shared": "b"}


def test_max_batch_size_splits_a_batch_in_instance_order() -> None:
    log: list[tuple[str, list[str]]] = []
    plan = Echo("db", log)
    plan.max_batch_size = 2

    instances, runtime, _ = prepare([plan.require() for _ in range(5)])

    assert log == [
        ("db", ["node-1:shared", "node-2:shared"]),
        ("db", ["node-3:shared", "node-4:shared"]),
        ("db", ["node-5:shared"]),
    ]
    assert [report.node_count for report in runtime.batch_reports] == [2, 2, 1]
    assert len(values(instances)) == 5


def test_max_batch_size_chunks_finish_before_dependants_start() -> None:
    log: list[tuple[str, list[str]]] = []
    base_plan = Echo("a_base", log)
    base_plan.max_batch_size = 1
    bases = [base_plan.require(id=f"base{number}") for number in range(3)]
    user = Echo("b_user", log).require(dependencies={"bases": bases})

    instances, _, _ = prepare([user], max_workers=3)

    assert sorted(log[:3]) == [("a_base", [f"node-{n}:shared"]) for n in (1, 2, 3)]
    assert log[3] == ("b_user", ["node-4:shared"])
    assert len(instance(instances, user).value["deps"]["bases"]) == 3


def test_chunks_of_one_plan_are_handed_out_one_at_a_time() -> None:
    plan = Echo("db")
    plan.max_batch_size = 2
    instances = build([root(plan.require()) for _ in range(5)])
    scheduler = Scheduler(instances.order)

    first = scheduler.take(running=0, limit=4)
    assert [len(batch.nodes) for batch in first] == [2]
    assert scheduler.take(running=1, limit=3) == []
    for node in first[0].nodes:
        node.preset("done")
    scheduler.complete(first[0].nodes)
    assert [len(batch.nodes) for batch in scheduler.take(running=0, limit=4)] == [2]


def test_chunks_of_a_plan_that_opts_in_are_handed_out_together() -> None:
    class Parallel(Echo):
        concurrent_chunks = True
        max_batch_size = 2

    plan = Parallel("db")
    instances = build([root(plan.require()) for _ in range(5)])

    batches = Scheduler(instances.order).take(running=0, limit=4)

    assert [len(batch.nodes) for batch in batches] == [2, 2, 1]


def test_chunks_never_overlap_on_one_plan_object_with_several_workers() -> None:
    # The README pattern: per-batch state on self, set in before_prepare.
    class Stateful(WarmupPlan):
        max_batch_size = 1

        def __init__(self) -> None:
            super().__init__("stateful")
            self.lock = threading.Lock()
            self.active = 0
            self.most_active = 0
            self.calls: list[str | None] = []
            self.overlapping = threading.Event()

        def before_prepare(self, nodes: Sequence[WarmupNode]) -> None:
            with self.lock:
                self.active += 1
                self.most_active = max(self.most_active, self.active)
                first = not self.calls
                self.calls.append(nodes[0].id)
                if self.active > 1:
                    self.overlapping.set()
            if first:  # give a chunk that would overlap this one the time to start
                self.overlapping.wait(timeout=0.3)
            self.client = nodes[0].id

        def prepare_node(self, node: WarmupNode) -> Any:
            return self.client

        def after_prepare(self, nodes: Sequence[WarmupNode]) -> None:
            with self.lock:
                self.active -= 1

    plan = Stateful()
    instances, _, _ = prepare([plan.require(id=f"r{n}") for n in range(6)], max_workers=4)

    assert plan.most_active == 1
    assert [node.value for node in instances] == [f"r{n}" for n in range(6)]


def test_chunks_of_a_plan_that_opts_in_run_at_the_same_time() -> None:
    all_started = threading.Barrier(3, timeout=10)

    class Parallel(WarmupPlan):
        concurrent_chunks = True
        max_batch_size = 1

        def prepare_node(self, node: WarmupNode) -> Any:
            all_started.wait()
            return node.id

    plan = Parallel("parallel")
    instances, _, _ = prepare([plan.require(id=f"r{n}") for n in range(3)], max_workers=3)

    assert values(instances) == {f"node-{n}:shared": f"r{n - 1}" for n in (1, 2, 3)}


def test_concurrent_chunks_must_be_a_boolean() -> None:
    with pytest.raises(WarmupError) as caught:

        class Unclear(WarmupPlan):
            concurrent_chunks = "yes"  # type: ignore[assignment]

    assert str(caught.value) == (
        "test_runtime.test_concurrent_chunks_must_be_a_boolean.<locals>.Unclear."
        "concurrent_chunks must be True or False, got 'yes'; set it to True only when the "
        "chunks of one batch may run at the same time on one plan object"
    )


def test_per_worker_must_be_a_boolean() -> None:
    with pytest.raises(WarmupError) as caught:

        class Unclear(WarmupPlan):
            per_worker = 1  # type: ignore[assignment]

    assert str(caught.value) == (
        "test_runtime.test_per_worker_must_be_a_boolean.<locals>.Unclear.per_worker must be "
        "True or False, got 1; set it to True when each pytest-xdist worker must prepare its "
        "own values"
    )


def test_a_deep_chain_of_one_plan_prepares_level_by_level() -> None:
    plan = Echo("db")
    requirement = plan.require(id="link-0")
    for number in range(1, 2000):
        requirement = plan.require(id=f"link-{number}", dependencies={"previous": requirement})

    instances, runtime, _ = prepare([requirement])

    assert len(runtime.batch_reports) == 2000
    assert instance(instances, requirement).value["deps"]["previous"]["id"] == "link-1998"


# -- cleanup ------------------------------------------------------------------------------------


def test_cleanup_runs_newest_batch_first_with_created_nodes_only() -> None:
    log: list[tuple[str, list[str]]] = []
    base_plan, user_plan = Echo("a_base", log), Echo("b_user", log)
    preset = base_plan.require(id="preset")
    created = base_plan.require(id="created")
    failed = base_plan.require(id="failed", payload={"fail": "no"})
    user = user_plan.require(id="user", dependencies={"preset": preset, "created": created})
    blocked = user_plan.require(id="blocked", dependencies={"failed": failed})
    instances, runtime, preparation = prepare([user, blocked], run=False)
    instance(instances, preset).preset("snapshot value")
    preparation.run()
    cleaned: list[list[str]] = []
    base_plan.cleaned = user_plan.cleaned = cleaned

    errors = preparation.cleanup()

    assert errors == []
    assert cleaned == [["node-3:shared"], ["node-2:shared"]]
    assert runtime.trace[-2:] == ["cleanup:b_user:1", "cleanup:a_base:1"]
    assert preparation.created_count == 2


def test_cleanup_runs_once() -> None:
    plan = Echo("db")
    _, _, preparation = prepare([plan.require()])

    preparation.cleanup()
    assert preparation.cleanup() == []

    assert plan.cleaned == [["node-1:shared"]]


def test_plans_without_cleanup_are_not_called_at_cleanup() -> None:
    _, runtime, preparation = prepare([Template().require()])

    assert preparation.cleanup() == []
    assert not any(event.startswith("cleanup:") for event in runtime.trace)


def test_cleanup_errors_are_collected_and_other_plans_are_still_cleaned() -> None:
    boom = RuntimeError("cannot drop")

    class Stubborn(Echo):
        def cleanup(self, nodes: Sequence[WarmupNode]) -> None:
            raise boom

    base_plan = Echo("a_base")
    base = base_plan.require()
    stubborn = Stubborn("b_stubborn").require(dependencies={"base": base})
    _, _, preparation = prepare([stubborn])

    assert preparation.cleanup() == [("b_stubborn", boom)]
    assert base_plan.cleaned == [["node-1:shared"]]


def test_default_cleanup_tries_every_node_and_raises_the_first_error() -> None:
    tried: list[str] = []

    class PerNode(Template):
        def cleanup_node(self, node: WarmupNode) -> None:
            tried.append(node.runtime_key)
            raise RuntimeError(f"cannot drop {node.id}")

    plan = PerNode("per_node")
    _, _, preparation = prepare([plan.require(id="one"), plan.require(id="two")])

    ((name, error),) = preparation.cleanup()

    assert (name, str(error)) == ("per_node", "cannot drop one")
    assert tried == ["node-1:shared", "node-2:shared"]


@pytest.mark.parametrize(
    "raised",
    [pytest.fail.Exception("cannot drop"), KeyboardInterrupt(), SystemExit(3)],
    ids=["pytest.fail", "KeyboardInterrupt", "SystemExit"],
)
def test_a_cleanup_raising_any_base_exception_does_not_stop_the_others(
    raised: BaseException,
) -> None:
    class Stubborn(Echo):
        def cleanup(self, nodes: Sequence[WarmupNode]) -> None:
            raise raised

    base_plan, top_plan = Echo("a_base"), Echo("c_top")
    base = base_plan.require()
    stubborn = Stubborn("b_stubborn").require(dependencies={"base": base})
    top = top_plan.require(dependencies={"stubborn": stubborn})
    _, _, preparation = prepare([top])

    assert preparation.cleanup() == [("b_stubborn", raised)]
    assert top_plan.cleaned == [["node-3:shared"]]
    assert base_plan.cleaned == [["node-1:shared"]]


def test_default_cleanup_tries_every_node_when_one_is_interrupted() -> None:
    tried: list[str] = []

    class PerNode(Template):
        def cleanup_node(self, node: WarmupNode) -> None:
            tried.append(str(node.id))
            if node.id == "one":
                raise RuntimeError("cannot drop one")
            if node.id == "two":
                raise KeyboardInterrupt

    plan = PerNode("per_node")
    _, _, preparation = prepare([plan.require(id=name) for name in ("one", "two", "three")])

    ((name, error),) = preparation.cleanup()

    assert (name, type(error)) == ("per_node", KeyboardInterrupt)
    assert tried == ["one", "two", "three"]


def test_async_cleanup_node_is_awaited_for_every_node() -> None:
    cleaned: list[str] = []

    class AsyncCleanup(AsyncTemplate):
        async def cleanup_node(self, node: WarmupNode) -> None:
            await asyncio.sleep(0)
            cleaned.append(str(node.id))

    plan = AsyncCleanup()
    _, _, preparation = prepare([plan.require(id="one"), plan.require(id="two")])

    assert preparation.cleanup() == []
    assert sorted(cleaned) == ["one", "two"]


@pytest.mark.parametrize("workers", [1, 2])
def test_keyboard_interrupt_in_prepare_cleans_up_created_nodes_and_propagates(workers: int) -> None:
    log: list[tuple[str, list[str]]] = []
    base_plan = Echo("a_base", log)
    cleaned: list[list[str]] = []

    class Interrupted(WarmupPlan):
        def prepare(self, nodes: Sequence[WarmupNode], runtime: WarmupRuntime) -> None:
            runtime.set(nodes[0], "made before the interrupt")
            raise KeyboardInterrupt

        def cleanup(self, nodes: Sequence[WarmupNode]) -> None:
            cleaned.append([node.runtime_key for node in nodes])

    base = base_plan.require()
    interrupted = Interrupted("b_interrupted")
    first = interrupted.require(dependencies={"base": base})
    second = interrupted.require(dependencies={"base": base})
    never = Echo("c_never", log).require(dependencies={"first": first})
    instances, _, preparation = prepare([never, second], max_workers=workers, run=False)

    with pytest.raises(KeyboardInterrupt):
        preparation.run()

    assert cleaned == [["node-2:shared"]]
    assert base_plan.cleaned == [["node-1:shared"]]
    assert [name for name, _ in log] == ["a_base"]
    assert instances[3].status == "pending"
    assert preparation.cleanup() == []


class Gated(WarmupPlan):
    """Each ``prepare_node`` calls ``on_start`` (once per plan), then waits for ``gate``."""

    def __init__(self, name: str, log: list[str], gate: threading.Event | None = None) -> None:
        super().__init__(name)
        self.log = log
        self.gate = gate
        self.on_start: Any = None

    def prepare_node(self, node: WarmupNode) -> Any:
        if self.on_start is not None:
            start, self.on_start = self.on_start, None
            start()
        if self.gate is not None:
            assert self.gate.wait(timeout=10), "the test never opened the gate"
        self.log.append(f"create {node.id}")
        return node.id

    def cleanup_node(self, node: WarmupNode) -> None:
        self.log.append(f"delete {node.value}")


@pytest.mark.parametrize("workers", [1, 3])
def test_a_stop_request_lets_the_running_batches_end_and_starts_no_other(workers: int) -> None:
    log: list[str] = []
    told: list[str] = []
    first, second = Gated("a_first", log), Gated("b_second", log)
    made = first.require(id="made")
    other = second.require(id="other")
    never = Gated("c_never", log).require(id="never", dependencies={"made": made})
    instances = build([root(never), root(other)])
    preparation = Preparation(
        instances, WarmupRuntime("module", [TEST_A]), max_workers=workers, notify=told.append
    )
    first.on_start = preparation.request_stop

    with pytest.raises(KeyboardInterrupt):
        preparation.run()

    created = [line for line in log if line.startswith("create")]
    assert "create never" not in created
    assert sorted(line.replace("create", "delete") for line in created) == sorted(
        line for line in log if line.startswith("delete")
    )
    assert told[0].startswith("interrupted: no new batch starts; waiting for ")
    assert told[0].endswith(" is cleaned up (interrupt again to stop waiting)")
    assert preparation.request_stop() is False


def test_a_second_interrupt_stops_waiting_and_what_ends_later_is_still_cleaned_up() -> None:
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals reach the main thread only")
    log: list[str] = []
    told: list[str] = []
    waiting, stopped_waiting, let_it_end = threading.Event(), threading.Event(), threading.Event()

    both_started = threading.Barrier(2, timeout=10)

    def interrupt_twice() -> None:  # from the slow batch's thread, with real signals
        both_started.wait()
        signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)
        assert waiting.wait(timeout=10), told
        signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)

    def tell(message: str) -> None:
        told.append(message)
        (stopped_waiting if message.startswith("stopped waiting") else waiting).set()

    fast, slow = Gated("a_fast", log), Gated("b_slow", log, gate=let_it_end)
    fast.on_start, slow.on_start = both_started.wait, interrupt_twice
    made = fast.require(id="made")
    late = slow.require(id="late")
    never = Gated("c_never", log).require(id="never", dependencies={"late": late})
    instances = build([root(made), root(never)])
    preparation = Preparation(
        instances, WarmupRuntime("module", [TEST_A]), max_workers=2, notify=tell
    )

    with pytest.raises(KeyboardInterrupt):
        preparation.run()

    assert stopped_waiting.is_set()
    assert not preparation.settled
    assert "create late" not in log
    let_it_end.set()
    preparation.wait_settled()
    assert log == ["create made", "create late", "delete late", "delete made"]
    assert preparation.cleanup() == []
    assert told[1] == (
        "stopped waiting: what 1 running batch (plan 'b_slow') creates is cleaned up when "
        "it ends, before the process exits"
    )


def test_an_interrupt_while_waiting_for_late_batches_is_handled_before_they_end() -> None:
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals reach the main thread only")
    log: list[str] = []
    let_it_end, waiting, handled = threading.Event(), threading.Event(), threading.Event()
    handled_in_time: list[bool] = []

    def interrupt_twice() -> None:  # the first interrupt waits for the batch, the second not
        signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)
        assert waiting.wait(timeout=10)
        signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)

    slow = Gated("slow", log, gate=let_it_end)
    slow.on_start = interrupt_twice
    preparation = Preparation(
        build([root(slow.require(id="late"))]),
        WarmupRuntime("module", [TEST_A]),
        max_workers=2,
        notify=lambda message: waiting.set(),
    )
    with pytest.raises(KeyboardInterrupt):
        preparation.run()
    assert not preparation.settled

    def interrupt_then_end() -> None:
        # The kernel may hand a process's signal to any of its threads; here, this one, once
        # the main thread has had time to block in the wait (were it not, the test would pass
        # without proving anything, never fail wrongly).
        time.sleep(0.3)
        signal.pthread_kill(threading.get_ident(), signal.SIGINT)
        handled_in_time.append(handled.wait(timeout=5))
        let_it_end.set()

    previous = signal.signal(signal.SIGINT, lambda signum, frame: handled.set())
    try:
        ender = threading.Thread(target=interrupt_then_end)
        ender.start()
        preparation.wait_settled()
        ender.join()
    finally:
        signal.signal(signal.SIGINT, previous)
    assert handled_in_time == [True]  # the handler ran while the batch still ran
    assert log == ["create late", "delete late"]


def test_keyboard_interrupt_in_async_prepare_node_propagates_instead_of_hanging() -> None:
    class Interrupted(WarmupPlan):
        async def prepare_node(self, node: WarmupNode) -> Any:
            raise KeyboardInterrupt

    base_plan = Echo("a_base")
    requirement = Interrupted("b_interrupted").require(dependencies={"base": base_plan.require()})
    _, _, preparation = prepare([requirement], run=False)
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            preparation.run()
        except BaseException as exc:
            outcome.append(exc)

    # A thread with a timeout, so a regression fails this test instead of hanging the suite.
    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout=10)

    assert not worker.is_alive()
    assert [type(exc) for exc in outcome] == [KeyboardInterrupt]
    assert base_plan.cleaned == [["node-1:shared"]]


# -- failures and prepared values ---------------------------------------------------------------


def test_failure_of_a_failed_node_names_plan_and_id_and_chains_the_cause() -> None:
    instances, _, _ = prepare([Echo("db").require(id="main", payload={"fail": "no disk"})])
    node = instances[0]

    error = failure_of(node)

    assert isinstance(error, NodeFailedError)
    assert str(error).startswith("warmup requirement 'main' (plan 'db', declared at ")
    assert str(error).endswith(" failed: RuntimeError: no disk")
    assert error.__cause__ is node.exception


def test_failure_of_a_blocked_node_names_the_failed_ancestor() -> None:
    base = Echo("a_base").require(id="base", payload={"fail": "no disk"})
    middle = Echo("b_middle").require(id="middle", dependencies={"base": base})
    top = Echo("c_top").require(id="top", dependencies={"middle": middle})
    instances, _, _ = prepare([top])

    error = failure_of(instance(instances, top))

    assert error is not None
    message = str(error)
    assert message.startswith("warmup requirement 'top' (plan 'c_top', declared at ")
    assert " was not prepared because dependency 'base' (plan 'a_base', declared at " in message
    assert message.endswith(" failed: RuntimeError: no disk")
    assert error.__cause__ is instance(instances, base).exception


def test_failure_of_a_prepared_node_is_none() -> None:
    instances, _, _ = prepare([Echo("db").require()])

    assert failure_of(instances[0]) is None
