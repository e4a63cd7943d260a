"""The run record: what every ``prepare()`` of a run selected, prepared and hit.

One object per run; the terminal summary and every file we write are built from it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .graph import Graph, Root
from .runtime import Preparation, WarmupRuntime

__all__ = ["PrepareRecord", "RunRecord"]


@dataclass(eq=False)
class PrepareRecord:
    """One ``prepare()`` call of one producer instance."""

    producer_name: str
    producer_scope: str
    scope_id: str
    snapshot_id: str | None = None
    selected_test_ids: tuple[str, ...] = ()
    #: one per binding of a covered test (a RootTable when a producer made them)
    roots: Sequence[Root] = ()
    graph: Graph | None = None
    runtime: WarmupRuntime | None = None
    preparation: Preparation | None = None
    #: raw override values as read from the snapshot: {"shared": {id: raw}, "tests": {...}}
    overrides: dict[str, Any] = field(default_factory=lambda: {"shared": {}, "tests": {}})
    error: BaseException | None = None
    #: the save-on-fail section, captured when this prepare() failed (values as they were then)
    saved_on_fail: dict[str, Any] | None = None
    #: why saved_on_fail holds the plain template instead of values
    save_on_fail_problem: str | None = None
    cleanup_errors: list[tuple[str, BaseException]] = field(default_factory=list)

    @property
    def node_failures(self) -> int:
        if self.graph is None:
            return 0
        return sum(1 for node in self.graph.instances if node.has_exception)

    @property
    def status(self) -> str:
        """``"prepared"``, or ``"failed"`` when the producer or any node failed."""
        if self.error is not None or self.node_failures:
            return "failed"
        return "prepared"


@dataclass(eq=False)
class RunRecord:
    """Every ``prepare()`` of this process, in the order they ran."""

    prepares: list[PrepareRecord] = field(default_factory=list)
    #: snapshot entries and scopes that matched nothing, for the terminal summary (no repeats)
    warnings: list[str] = field(default_factory=list)

    def add(self, record: PrepareRecord) -> None:
        self.prepares.append(record)

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)
