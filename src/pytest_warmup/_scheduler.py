"""Which batches run when: the ready set and per-plan batches of one preparation.

Shaped like :mod:`graphlib`: :meth:`Scheduler.take` hands out batches whose nodes are ready,
:meth:`Scheduler.complete` reports a finished batch and unlocks its dependants (or blocks them,
when a node failed). Nothing here calls a plan.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import final

from ._declarations import WarmupPlan
from ._nodes import WarmupNode
from ._slots import slot_members

__all__ = [
    "Batch",
    "PlannedBatch",
    "Replay",
    "Scheduler",
    "planned_batches",
    "planned_positions",
]


@dataclass(eq=False)
class Batch:
    """One plan call: the plan, its nodes, and those it created (filled in when it ends)."""

    plan: WarmupPlan
    nodes: list[WarmupNode]
    created: list[WarmupNode]
    started: float = 0.0
    #: what interrupted the plan call (``KeyboardInterrupt``, ``SystemExit``), once it ended
    interrupt: BaseException | None = None


class Scheduler:
    """Hands out ready batches, one rule for any number of workers.

    A plan gets all its pending instances as one batch as soon as they are all ready. When no
    plan can have that and nothing runs, the plan on the longest remaining chain of dependants
    gets the instances it has ready (a partial batch), so the critical path starts early and
    the rest can catch up. Ties go to plan name order, then first appearance. The batches do
    not depend on how many run at the same time, nor on which of them ends first.
    """

    def __init__(
        self, instances: Sequence[WarmupNode], *, running: Collection[WarmupNode] = ()
    ) -> None:
        """``running``: the nodes of a batch handed out and not complete yet, for a scheduler
        that takes over a preparation in the middle (:class:`Replay`). They count as pending
        (the batch may have resolved them already), and the state is the one this scheduler
        would have reached had it run the preparation from the start."""
        self._waiting_on: dict[WarmupNode, int] = {}
        self._dependants: dict[WarmupNode, list[WarmupNode]] = {}
        self._pending_by_plan: dict[WarmupPlan, dict[WarmupNode, None]] = {}
        self._ready_by_plan: dict[WarmupPlan, dict[WarmupNode, None]] = {}
        self._busy: set[WarmupPlan] = set()
        #: chunks of a plan's batch not yet handed out, and those not yet completed
        self._queued: dict[WarmupPlan, deque[list[WarmupNode]]] = {}
        self._chunks_left: dict[WarmupPlan, int] = {}
        self._position = {instance: index for index, instance in enumerate(instances)}
        plan_order: dict[WarmupPlan, int] = {}
        blocked: list[WarmupNode] = []
        for instance in instances:
            plan = instance.requirement.owner_plan
            if running:  # every instance was pending when the preparation began
                plan_order.setdefault(plan, len(plan_order))
            if instance.is_resolved and instance not in running:
                continue
            plan_order.setdefault(plan, len(plan_order))
            self._pending_by_plan.setdefault(plan, {})[instance] = None
            unresolved = 0
            for dependency in slot_members(instance.dependencies):
                if not dependency.is_resolved or dependency in running:
                    unresolved += 1
                    self._dependants.setdefault(dependency, []).append(instance)
                elif dependency.has_exception and instance.blocked_by is None:
                    instance.blocked_by = dependency
            self._waiting_on[instance] = unresolved
            if instance.blocked_by is not None:
                blocked.append(instance)
            elif unresolved == 0:
                self._ready_by_plan.setdefault(plan, {})[instance] = None
        self._plans = sorted(plan_order, key=lambda plan: (plan.name, plan_order[plan]))
        self._height = _heights(instances, self._dependants)
        for instance in blocked:
            self._block(instance, instance.blocked_by)  # type: ignore[arg-type]
        if running:  # handed out as one batch: its plan is busy until it completes
            plan = next(iter(running)).requirement.owner_plan
            for node in running:
                del self._pending_by_plan[plan][node]
                self._ready_by_plan[plan].pop(node, None)
            self._busy.add(plan)
            self._queued[plan] = deque()
            self._chunks_left[plan] = 1

    def take(self, *, running: int, limit: int) -> list[Batch]:
        """Up to ``limit`` batches to start now; ``running`` of those handed out are not
        complete yet.

        First the next chunk of every plan whose previous chunk completed (all its chunks for a
        plan with ``concurrent_chunks = True``); then every idle plan whose pending instances
        are all ready, longest remaining chain first; when none could start and nothing runs,
        a partial batch of the plan on the longest chain.
        """
        # Plans with ready instances, longest remaining chain first (then plan name order);
        # the others follow in name order. Only the first kind can start a batch.
        ready = [plan for plan in self._plans if self._ready_by_plan.get(plan)]
        if len(ready) > 1:
            ready.sort(key=self._priority)
        batches: list[Batch] = []
        if any(self._queued.values()):
            for plan in [*ready, *(p for p in self._plans if not self._ready_by_plan.get(p))]:
                self._hand_out(plan, batches, limit)
        for plan in ready:
            if len(batches) >= limit:
                break
            pending = self._pending_by_plan.get(plan)
            waiting = self._ready_by_plan[plan]
            if pending and plan not in self._busy and len(waiting) == len(pending):
                self._start(plan, list(waiting))
                self._hand_out(plan, batches, limit)
        if batches or running:
            return batches
        for plan in ready:
            waiting = self._ready_by_plan[plan]
            if waiting and plan not in self._busy:
                self._start(plan, list(waiting))
                self._hand_out(plan, batches, limit)
                break
        return batches

    def _priority(self, plan: WarmupPlan) -> int:
        ready = self._ready_by_plan.get(plan)
        return -max((self._height.get(node, 0) for node in ready), default=0) if ready else 0

    def _start(self, plan: WarmupPlan, nodes: list[WarmupNode]) -> None:
        pending = self._pending_by_plan[plan]
        ready = self._ready_by_plan[plan]
        for node in nodes:
            del pending[node]
            del ready[node]
        # Instance order, not the order the nodes became ready in: that one depends on which
        # batch completed first.
        nodes.sort(key=self._position.__getitem__)
        self._busy.add(plan)
        size = plan.max_batch_size
        if size is None or size <= 0 or size >= len(nodes):
            chunks = [nodes]
        else:
            chunks = [nodes[start : start + size] for start in range(0, len(nodes), size)]
        self._queued[plan] = deque(chunks)
        self._chunks_left[plan] = len(chunks)

    def _hand_out(self, plan: WarmupPlan, batches: list[Batch], limit: int) -> None:
        """Queued chunks of ``plan`` that may start: the next one when no other chunk of the
        plan runs, or all of them when the plan declares ``concurrent_chunks = True``."""
        queued = self._queued.get(plan)
        while queued and len(batches) < limit:
            running = self._chunks_left[plan] - len(queued)
            if running and plan.concurrent_chunks is not True:
                return
            batches.append(Batch(plan, queued.popleft(), []))

    def complete(self, nodes: Sequence[WarmupNode], *, hand_over: bool = False) -> list[WarmupNode]:
        """Mark a finished batch; returns the instances blocked by its failures
        (``hand_over`` is :class:`Replay`'s, and means nothing here)."""
        if nodes:
            plan = nodes[0].requirement.owner_plan
            self._chunks_left[plan] -= 1
            if self._chunks_left[plan] == 0:
                self._busy.discard(plan)
        blocked: list[WarmupNode] = []
        for node in nodes:
            for dependant in self._dependants.pop(node, ()):
                if dependant.blocked_by is not None or dependant not in self._waiting_on:
                    continue
                if node.has_exception:
                    blocked.extend(self._block(dependant, node))
                    continue
                self._waiting_on[dependant] -= 1
                if self._waiting_on[dependant] == 0:
                    plan = dependant.requirement.owner_plan
                    self._ready_by_plan.setdefault(plan, {})[dependant] = None
        return blocked

    def _block(self, instance: WarmupNode, failed: WarmupNode) -> list[WarmupNode]:
        """Take ``instance`` and everything waiting on it out of the run."""
        root_cause = failed.blocked_by or failed
        blocked: list[WarmupNode] = []
        todo = [instance]
        while todo:
            node = todo.pop()
            if node not in self._waiting_on:
                continue
            del self._waiting_on[node]
            node.blocked_by = root_cause
            plan = node.requirement.owner_plan
            self._pending_by_plan[plan].pop(node, None)
            self._ready_by_plan.get(plan, {}).pop(node, None)
            blocked.append(node)
            todo.extend(self._dependants.pop(node, ()))
        return blocked


#: a batch of :class:`Replay`: its plan, and its nodes' positions in the instance order
PlannedBatch = tuple[WarmupPlan, tuple[int, ...]]


@final
class Replay:
    """Hands out again, one at a time, the batches a :class:`Scheduler` gave an earlier
    preparation of instances built the same way (``planned``: :func:`planned_positions`),
    while every node gets its value. When a node fails, a Scheduler takes over in the state it
    would have reached itself, and the preparation goes on exactly as from the start. For
    preparations repeated thousands of times (function-scoped producers): it spares them the
    scheduling work, and gives the batches the Scheduler gives (they do not depend on how
    many run at the same time)."""

    __slots__ = ("_instances", "_next", "_planned", "_scheduler")

    def __init__(self, instances: Sequence[WarmupNode], planned: Sequence[PlannedBatch]) -> None:
        self._instances = instances
        self._planned = planned
        self._next = 0
        self._scheduler: Scheduler | None = None

    def take(self, *, running: int, limit: int) -> list[Batch]:
        """As :meth:`Scheduler.take`; the next planned batch once the previous completed."""
        if self._scheduler is not None:
            return self._scheduler.take(running=running, limit=limit)
        if running or limit < 1 or self._next == len(self._planned):
            return []
        plan, positions = self._planned[self._next]
        self._next += 1
        return [Batch(plan, [self._instances[position] for position in positions], [])]

    def complete(self, nodes: Sequence[WarmupNode], *, hand_over: bool = False) -> list[WarmupNode]:
        """As :meth:`Scheduler.complete`. ``hand_over``: a Scheduler takes over from here even
        when nothing failed (the batch was slow: the next ones may run side by side)."""
        if self._scheduler is None:
            if not hand_over and not any(node.has_exception for node in nodes):
                return []
            self._scheduler = Scheduler(self._instances, running=nodes)
        return self._scheduler.complete(nodes)


def planned_positions(instances: Sequence[WarmupNode]) -> list[PlannedBatch] | None:
    """What :class:`Replay` hands out again for instances built the same way: the batches, as
    positions in ``instances``, when they can only run one after the other; ``None`` when two
    could run at the same time (a replay hands them out one at a time), or when a plan splits
    its batches (``max_batch_size``)."""
    position = {node: index for index, node in enumerate(instances)}
    scheduler = Scheduler(instances)
    planned: list[PlannedBatch] = []
    # As many workers as instances: the batches are the same for any number of workers.
    while batches := scheduler.take(running=0, limit=len(instances)):
        if len(batches) > 1:
            return None  # they could run at the same time
        (batch,) = batches
        size = batch.plan.max_batch_size
        if size is not None and size > 0:
            return None
        planned.append((batch.plan, tuple(position[node] for node in batch.nodes)))
        scheduler.complete(batch.nodes)
    return planned


def planned_batches(instances: Sequence[WarmupNode]) -> list[Batch]:
    """The batches a preparation of ``instances`` would run, in the order one worker runs
    them, without running any: the rule above gives the same batches for any number of
    workers. Instances already resolved (overridden) are not prepared."""
    scheduler = Scheduler(instances)
    planned: list[Batch] = []
    while batches := scheduler.take(running=0, limit=1):
        planned.extend(batches)
        scheduler.complete(batches[0].nodes)
    return planned


def _heights(
    instances: Sequence[WarmupNode], dependants: dict[WarmupNode, list[WarmupNode]]
) -> dict[WarmupNode, int]:
    """Length of the longest chain of pending dependants below each instance."""
    height: dict[WarmupNode, int] = {}
    # Instances come in dependency order, so walking backwards sees dependants first.
    for instance in reversed(instances):
        below = dependants.get(instance, ())
        height[instance] = 1 + max((height.get(d, 0) for d in below), default=0)
    return height
