"""Which batches run when: the ready set and per-plan batches of one preparation.

Shaped like :mod:`graphlib`: :meth:`Scheduler.take` hands out batches whose nodes are ready,
:meth:`Scheduler.complete` reports a finished batch and unlocks its dependants (or blocks them,
when a node failed). Nothing here calls a plan.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ._declarations import WarmupPlan
from ._nodes import WarmupNode
from ._slots import slot_members

__all__ = ["Batch", "Scheduler"]


@dataclass(eq=False)
class Batch:
    """One plan call: the plan, its nodes, and those it created (filled in when it ends)."""

    plan: WarmupPlan
    nodes: list[WarmupNode]
    created: list[WarmupNode]
    started: float = 0.0


class Scheduler:
    """Hands out ready batches plan by plan (alphabetical by plan name, then first seen)."""

    def __init__(self, instances: Sequence[WarmupNode], *, by_priority: bool = False) -> None:
        self._by_priority = by_priority
        self._waiting_on: dict[WarmupNode, int] = {}
        self._dependants: dict[WarmupNode, list[WarmupNode]] = {}
        self._pending_by_plan: dict[WarmupPlan, dict[WarmupNode, None]] = {}
        self._ready_by_plan: dict[WarmupPlan, dict[WarmupNode, None]] = {}
        self._busy: set[WarmupPlan] = set()
        self._chunks_left: dict[WarmupPlan, int] = {}
        plan_order: dict[WarmupPlan, int] = {}
        blocked: list[WarmupNode] = []
        for instance in instances:
            if instance.is_resolved:
                continue
            plan = instance.requirement.owner_plan
            plan_order.setdefault(plan, len(plan_order))
            self._pending_by_plan.setdefault(plan, {})[instance] = None
            unresolved = 0
            for dependency in slot_members(instance.dependencies):
                if not dependency.is_resolved:
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

    def take(self, *, running: int, limit: int) -> list[Batch]:
        """Batches to start now.

        Every idle plan whose pending nodes are all ready gets them; when none is and nothing
        runs, the first plan with some ready nodes gets those. With one worker plans go in
        name order; with more, plans on the longest remaining chain go first, so the critical
        path starts as early as possible.
        """
        plans = sorted(self._plans, key=self._priority) if self._by_priority else self._plans
        batches: list[Batch] = []
        for plan in plans:
            if len(batches) >= limit:
                break
            pending = self._pending_by_plan.get(plan)
            ready = self._ready_by_plan.get(plan)
            if not pending or not ready or plan in self._busy:
                continue
            if len(ready) == len(pending):
                batches.extend(self._start(plan, list(ready)))
        if batches or running:
            return batches
        for plan in plans:
            ready = self._ready_by_plan.get(plan)
            if ready and plan not in self._busy:
                return self._start(plan, list(ready))
        return []

    def _priority(self, plan: WarmupPlan) -> int:
        ready = self._ready_by_plan.get(plan)
        return -max((self._height.get(node, 0) for node in ready), default=0) if ready else 0

    def _start(self, plan: WarmupPlan, nodes: list[WarmupNode]) -> list[Batch]:
        pending = self._pending_by_plan[plan]
        ready = self._ready_by_plan[plan]
        for node in nodes:
            del pending[node]
            del ready[node]
        self._busy.add(plan)
        size = plan.max_batch_size
        if size is None or size <= 0 or size >= len(nodes):
            chunks = [nodes]
        else:
            chunks = [nodes[start : start + size] for start in range(0, len(nodes), size)]
        self._chunks_left[plan] = len(chunks)
        return [Batch(plan, chunk, []) for chunk in chunks]

    def complete(self, nodes: Sequence[WarmupNode]) -> list[WarmupNode]:
        """Mark a finished batch; returns the instances blocked by its failures."""
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
