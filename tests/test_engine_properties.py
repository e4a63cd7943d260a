"""Properties of the engine over random graphs, through its front door (``engine.prepare``).

Hypothesis draws plans (some with ``max_batch_size``), requirements with random dependencies
(single and tuple slots) and per-test flags, consumers and what they need, instances whose
``prepare_node`` fails, and shared and consumer-local overrides. A model written here from the
documented rules says what must happen, and every worker count must agree with it:

- each instance is prepared once, after its dependencies, with their values;
- a failure reaches exactly the instances that depend on it, and every consumer gets the value
  or the failure the model says;
- the batches follow the documented rule (docs/lifecycle.md), whatever the number of workers;
- cleanup receives exactly what was created, dependants before what they depend on.

CI runs a bounded number of examples. For a long local run::

    PYTEST_WARMUP_PROPERTIES=long python -m pytest tests/test_engine_properties.py
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pytest_warmup import NodeFailedError, WarmupNode, WarmupPlan, WarmupRequirement
from pytest_warmup.engine import Overrides, Prepared, prepare

settings.register_profile(
    "engine-ci",
    max_examples=200,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "engine-long",
    max_examples=10_000,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
PROFILE = settings.get_profile(
    "engine-long" if os.environ.get("PYTEST_WARMUP_PROPERTIES") == "long" else "engine-ci"
)

WORKER_COUNTS = (1, 2, 4)

#: (requirement index, consumer of a per-test instance or None for a shared one)
Key = tuple[int, str | None]


@dataclass
class Scenario:
    """One random graph, its consumers, failures and overrides."""

    plans: list[tuple[str, int | None]]  # name, max_batch_size
    owners: list[int]  # plan index of each requirement
    flags: list[bool | None]  # is_per_test as declared
    dependencies: list[list[int]]  # earlier requirements each one depends on
    tuple_slot: list[bool]  # whether they go in one tuple slot
    needs: dict[str, list[int]]
    failing: set[Key]
    shared_overrides: set[int]
    local_overrides: set[tuple[str, int]]
    per_test: list[bool] = field(default_factory=list)  # as the engine should resolve it

    def reach(self, consumer: str) -> set[int]:
        seen: set[int] = set()
        todo = list(self.needs[consumer])
        while todo:
            index = todo.pop()
            if index not in seen:
                seen.add(index)
                todo.extend(self.dependencies[index])
        return seen

    def instance(self, index: int, consumer: str) -> tuple[str, int, str | None]:
        """Which instance ``consumer`` sees for requirement ``index``."""
        if (consumer, index) in self.local_overrides:
            return ("local", index, consumer)
        if self.per_test[index]:
            return ("per-test", index, consumer)
        return ("shared", index, None)


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    plan_count = draw(st.integers(1, 4))
    plans = [
        (draw(st.sampled_from("abc")), draw(st.sampled_from([None, None, 1, 2])))
        for _ in range(plan_count)
    ]
    size = draw(st.integers(1, 12))
    owners: list[int] = []
    flags: list[bool | None] = []
    dependencies: list[list[int]] = []
    tuple_slot: list[bool] = []
    per_test: list[bool] = []
    for index in range(size):
        owners.append(draw(st.integers(0, plan_count - 1)))
        chosen = draw(st.sets(st.integers(0, index - 1), max_size=3)) if index else set()
        dependencies.append(sorted(chosen))
        tuple_slot.append(len(chosen) > 1 and draw(st.booleans()))
        inherited = any(per_test[d] for d in chosen)
        # A shared requirement may not depend on a per-test one: that is a WarmupError.
        flag = draw(st.sampled_from([True, None] if inherited else [True, False, None, None]))
        flags.append(flag)
        per_test.append(flag is True or (flag is None and inherited))
    consumers = [f"t{n}" for n in range(draw(st.integers(1, 3)))]
    needs = {
        consumer: sorted(draw(st.sets(st.integers(0, size - 1), min_size=1, max_size=3)))
        for consumer in consumers
    }
    scenario = Scenario(plans, owners, flags, dependencies, tuple_slot, needs, set(), set(), set())
    scenario.per_test = per_test
    reached = {consumer: scenario.reach(consumer) for consumer in consumers}
    everything = set().union(*reached.values())
    keys: list[Key] = [(index, None) for index in sorted(everything) if not per_test[index]] + [
        (index, consumer)
        for consumer in consumers
        for index in sorted(reached[consumer])
        if per_test[index]
    ]
    scenario.failing = draw(st.sets(st.sampled_from(keys), max_size=2))
    shared = [index for index in sorted(everything) if not per_test[index]]
    if shared:
        scenario.shared_overrides = draw(st.sets(st.sampled_from(shared), max_size=2))
    local = [(consumer, index) for consumer in consumers for index in sorted(reached[consumer])]
    scenario.local_overrides = draw(st.sets(st.sampled_from(local), max_size=2))
    return scenario


class Recording(WarmupPlan):
    """Values are ``v<index>@<consumer or shared>``; every call and cleanup is logged."""

    def __init__(self, name: str, world: World) -> None:
        super().__init__(name)
        self.world = world

    def prepare_node(self, node: WarmupNode) -> Any:
        return self.world.prepared(node)

    def cleanup_node(self, node: WarmupNode) -> None:
        self.world.cleaned(node)


class World:
    """One scenario turned into plans and requirements, and what happened to them."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.plans = [Recording(name, self) for name, _ in scenario.plans]
        for plan, (_, size) in zip(self.plans, scenario.plans, strict=True):
            plan.max_batch_size = size
        self.requirements: list[WarmupRequirement] = []
        for index, owner in enumerate(scenario.owners):
            deps = [self.requirements[d] for d in scenario.dependencies[index]]
            slots: dict[str, Any] = (
                {"all": deps}
                if scenario.tuple_slot[index]
                else {f"d{d}": self.requirements[d] for d in scenario.dependencies[index]}
            )
            self.requirements.append(
                self.plans[owner].require(
                    id=f"r{index}", dependencies=slots, is_per_test=scenario.flags[index]
                )
            )
        self.index = {requirement: n for n, requirement in enumerate(self.requirements)}
        self.lock = threading.Lock()
        self.calls: list[tuple[Key, dict[str, Any]]] = []
        self.cleanups: list[str] = []

    def key(self, node: WarmupNode) -> Key:
        return self.index[node.requirement], node.test_id

    def prepared(self, node: WarmupNode) -> Any:
        key = self.key(node)
        with self.lock:
            self.calls.append((key, dict(node.deps)))
        if key in self.scenario.failing:
            raise RuntimeError(f"r{key[0]} fails")
        return value_of(key)

    def cleaned(self, node: WarmupNode) -> None:
        with self.lock:
            self.cleanups.append(node.runtime_key)

    def overrides(self) -> Overrides:
        local: dict[str, dict[WarmupRequirement, Any]] = {}
        for consumer, index in sorted(self.scenario.local_overrides):
            local.setdefault(consumer, {})[self.requirements[index]] = override_of(index, consumer)
        shared = {
            self.requirements[i]: override_of(i, None) for i in self.scenario.shared_overrides
        }
        return Overrides(shared=shared, local=local)

    def run(self, workers: int) -> Prepared:
        self.calls.clear()
        self.cleanups.clear()
        needs = {c: [self.requirements[i] for i in n] for c, n in self.scenario.needs.items()}
        return prepare(needs, overrides=self.overrides(), max_workers=workers)


def value_of(key: Key) -> str:
    return f"v{key[0]}@{key[1] or 'shared'}"


def override_of(index: int, consumer: str | None) -> str:
    return f"o{index}@{consumer or 'shared'}"


class Model:
    """What the documented rules say happens to each instance of a scenario."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        #: instance -> its dependency instances by slot (a tuple slot: a tuple of them)
        self.instances: dict[tuple[str, int, str | None], dict[str, Any]] = {}
        reached = set().union(*(scenario.reach(c) for c in scenario.needs))
        for index in sorted(reached):
            if not scenario.per_test[index]:
                self._add(("shared", index, None))
        for consumer in scenario.needs:
            for index in scenario.reach(consumer):
                self._add(scenario.instance(index, consumer))

    def _add(self, instance: tuple[str, int, str | None]) -> None:
        kind, index, consumer = instance
        if instance in self.instances:
            return
        slots: dict[str, Any] = {}
        if kind != "local":
            deps: list[tuple[str, int, str | None]]
            if consumer is None:
                deps = [("shared", d, None) for d in self.scenario.dependencies[index]]
            else:
                deps = [
                    self.scenario.instance(d, consumer) for d in self.scenario.dependencies[index]
                ]
            if self.scenario.tuple_slot[index]:
                slots = {"all": deps}  # a list: instances are tuples themselves
            else:
                slots = {f"d{d[1]}": d for d in deps}
        self.instances[instance] = slots

    def overridden(self, instance: tuple[str, int, str | None]) -> bool:
        kind, index, consumer = instance
        if kind == "local":
            return True
        if kind == "per-test":
            return (consumer, index) in self.scenario.local_overrides
        return index in self.scenario.shared_overrides

    def value(self, instance: tuple[str, int, str | None]) -> str:
        _, index, consumer = instance
        if self.overridden(instance):
            return override_of(index, consumer)
        return value_of((index, consumer))

    def outcome(self, instance: tuple[str, int, str | None]) -> str:
        """``value``, ``failed`` or ``blocked``."""
        if self.overridden(instance):
            return "value"
        for dep in _members(self.instances[instance]):
            if self.outcome(dep) != "value":
                return "blocked"
        _, index, consumer = instance
        return "failed" if (index, consumer) in self.scenario.failing else "value"

    def dep_values(self, instance: tuple[str, int, str | None]) -> dict[str, Any]:
        return {
            slot: tuple(map(self.value, deps)) if isinstance(deps, list) else self.value(deps)
            for slot, deps in self.instances[instance].items()
        }


def _members(slots: dict[str, Any]) -> list[Any]:
    found: list[Any] = []
    for deps in slots.values():
        found.extend(deps if isinstance(deps, list) else [deps])
    return found


def documented_batches(prepared: Prepared, world: World) -> list[tuple[str, tuple[str, ...]]]:
    """The batches the rule of docs/lifecycle.md gives, simulated one batch at a time."""
    order = list(prepared.instances)
    position = {node: n for n, node in enumerate(order)}
    failing = world.scenario.failing
    resolved = {node for node in order if node.overridden}
    failed: set[WarmupNode] = set()
    pending = [node for node in order if node not in resolved]
    dependants: dict[WarmupNode, list[WarmupNode]] = {}
    for node in pending:
        for dep in _slot_nodes(node):
            if dep not in resolved:
                dependants.setdefault(dep, []).append(node)
    height: dict[WarmupNode, int] = {}
    for node in reversed(order):
        height[node] = 1 + max((height.get(d, 0) for d in dependants.get(node, ())), default=0)
    plan_order: dict[WarmupPlan, int] = {}
    for node in pending:
        plan_order.setdefault(node.requirement.owner_plan, len(plan_order))
    plans = sorted(plan_order, key=lambda plan: (plan.name, plan_order[plan]))
    batches: list[tuple[str, tuple[str, ...]]] = []

    def ready(node: WarmupNode) -> bool:
        return all(dep in resolved and dep not in failed for dep in _slot_nodes(node))

    while pending:
        # blocked: a dependency failed (or was blocked)
        for node in list(pending):
            if any(dep in failed for dep in _slot_nodes(node)):
                pending.remove(node)
                failed.add(node)
                resolved.add(node)
        by_plan = {plan: [n for n in pending if n.requirement.owner_plan is plan] for plan in plans}
        ready_by_plan = {plan: [n for n in nodes if ready(n)] for plan, nodes in by_plan.items()}
        priority = {
            plan: -max((height[n] for n in ready_by_plan[plan]), default=0) for plan in plans
        }
        ranked = sorted(plans, key=priority.__getitem__)
        full = [p for p in ranked if by_plan[p] and len(ready_by_plan[p]) == len(by_plan[p])]
        partial = [p for p in ranked if ready_by_plan[p]]
        if not full and not partial:
            break
        plan = (full or partial)[0]
        nodes = sorted(ready_by_plan[plan], key=position.__getitem__)
        size = plan.max_batch_size
        step = size if size and size > 0 else len(nodes)
        for start in range(0, len(nodes), step):
            chunk = nodes[start : start + step]
            batches.append((plan.name, tuple(node.runtime_key for node in chunk)))
        for node in nodes:
            pending.remove(node)
            resolved.add(node)
            if world.key(node) in failing:
                failed.add(node)
    return batches


def _slot_nodes(node: WarmupNode) -> list[WarmupNode]:
    found: list[WarmupNode] = []
    for deps in node.dependencies.values():
        found.extend(deps if isinstance(deps, tuple) else [deps])
    return found


def check_one_run(world: World, model: Model, workers: int) -> list[tuple[str, tuple[str, ...]]]:
    scenario = world.scenario
    with world.run(workers) as prepared:
        # each instance prepared once, after its dependencies, with their values
        called = [key for key, _ in world.calls]
        assert len(called) == len(set(called)), f"prepared twice: {called}"
        expected_calls = {
            (index, consumer): model.dep_values(instance)
            for instance in model.instances
            for _, index, consumer in [instance]
            if not model.overridden(instance) and model.outcome(instance) != "blocked"
        }
        assert dict(world.calls) == expected_calls
        # every consumer gets the value or the failure the model says
        for consumer in scenario.needs:
            for index in scenario.reach(consumer):
                instance = scenario.instance(index, consumer)
                requirement = world.requirements[index]
                outcome = model.outcome(instance)
                if outcome == "value":
                    assert prepared.value(requirement, consumer) == model.value(instance)
                    assert prepared.failure(requirement, consumer) is None
                else:
                    failure = prepared.failure(requirement, consumer)
                    assert isinstance(failure, NodeFailedError)
                    assert ("was not prepared because" in str(failure)) == (outcome == "blocked")
        assert prepared.record.runtime is not None
        batches = [
            (report.plan, report.runtime_keys) for report in prepared.record.runtime.batch_reports
        ]
        created = {
            node.runtime_key
            for node in prepared.instances
            if not node.overridden and node.has_value
        }
        dependencies = {
            node.runtime_key: {dep.runtime_key for dep in _slot_nodes(node)}
            for node in prepared.instances
        }
        batch_of = {key: n for n, (_, keys) in enumerate(batches) for key in keys}
    # cleanup: exactly what was created, dependants before what they depend on, batch by batch
    cleaned = world.cleanups
    assert sorted(cleaned) == sorted(created)
    seen: set[str] = set()
    for key in cleaned:
        assert not dependencies[key] & seen, f"{key} cleaned after a dependency: {cleaned}"
        seen.add(key)
    runs = [batch_of[key] for key in cleaned]
    assert [b for n, b in enumerate(runs) if n == 0 or runs[n - 1] != b] == list(
        dict.fromkeys(runs)
    ), f"a batch was not cleaned up in one go: {cleaned}"
    if workers == 1:
        assert cleaned == [k for _, keys in reversed(batches) for k in keys if k in created]
    assert sorted(batches) == sorted(documented_batches(prepared, world))
    return batches


#: found by this test: two batches ended before the first of them was taken into account, and
#: the scheduler, thinking nothing ran, started a partial batch
TWO_BATCHES_ENDED_AT_ONCE = Scenario(
    plans=[("a", None), ("a", 1), ("a", None), ("a", None)],
    owners=[0, 1, 1, 0, 2],
    flags=[False, True, True, True, True],
    dependencies=[[], [], [], [0, 1, 2], [0, 3]],
    tuple_slot=[False] * 5,
    needs={"t0": [0], "t1": [4], "t2": [0, 1, 4]},
    failing=set(),
    shared_overrides={0},
    local_overrides={("t0", 0), ("t2", 3)},
    per_test=[False, True, True, True, True],
)


@settings(PROFILE)
@given(scenarios())
@example(TWO_BATCHES_ENDED_AT_ONCE)
def test_every_worker_count_follows_the_model_and_the_batching_rule(scenario: Scenario) -> None:
    world = World(scenario)
    model = Model(scenario)
    outcomes = [sorted(check_one_run(world, model, workers)) for workers in WORKER_COUNTS]
    assert outcomes[1:] == outcomes[:-1], "the batches depend on the number of workers"


def test_the_issue_graph_with_a_failure_and_an_override_takes_three_batches() -> None:
    # The issue's graph, with a failure and both kinds of override, checked end to end.
    scenario = Scenario(
        plans=[("a", None), ("b", None)],
        owners=[0, 1, 0, 1],
        flags=[None, None, None, True],
        dependencies=[[], [], [1], [2]],
        tuple_slot=[False, False, False, False],
        needs={"t0": [0, 3], "t1": [3]},
        failing={(3, "t1")},
        shared_overrides=set(),
        local_overrides={("t0", 0)},
        per_test=[False, False, False, True],
    )
    world = World(scenario)
    batches = check_one_run(world, Model(scenario), 1)
    assert [plan for plan, _ in batches] == ["b", "a", "b"]
