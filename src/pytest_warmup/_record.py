"""The run record: what each preparation selected, built, overrode, prepared and cleaned up.

One :class:`PrepareRecord` per ``prepare()``, one :class:`RunRecord` per run. The JSON report,
the snapshot template, the save-on-fail file (:mod:`._reports`) and the terminal lines
(:meth:`RunRecord.summary`) are all derived from it, so they cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ._declarations import WarmupPlan
from ._graph import Graph, Instances, RootTable
from ._nodes import WarmupNode
from ._runtime import WarmupRuntime

__all__ = ["PrepareRecord", "RunRecord"]


def _no_overrides() -> dict[str, Any]:
    return {"shared": {}, "tests": {}}


@dataclass(eq=False)
class PrepareRecord:
    """One preparation (one ``prepare()`` of a producer instance), filled in as it goes.

    Fields stay at their defaults when the preparation failed before reaching them: a record
    with ``graph=None`` failed while selecting or normalising.
    """

    #: the producer fixture's name (for the pytest-free engine: the ``name`` it was given)
    name: str
    #: what ``runtime.producer_scope`` reports to plans: a pytest scope name
    scope: str
    #: the address of this preparation in snapshot and report files
    scope_id: str
    snapshot_id: str | None = None
    #: the consumers covered, in order: test node ids for a producer
    consumers: tuple[str, ...] = ()
    #: the plans whose needs are roots (a producer's ``use(...)``); ``None``: every need is
    plans: tuple[WarmupPlan, ...] | None = None
    #: one row per (consumer, requirement it needs)
    roots: RootTable = field(default_factory=RootTable)
    graph: Graph | None = None
    instances: Instances | None = None
    runtime: WarmupRuntime | None = None
    #: override values as given (raw snapshot values): {"shared": {id: raw}, "tests": {...}}
    overrides: dict[str, Any] = field(default_factory=_no_overrides)
    error: BaseException | None = None
    #: its values as a snapshot section, captured when it ended (for --warmup-save, and for
    #: --warmup-save-on-fail when it failed)
    saved: dict[str, Any] | None = None
    #: why ``saved`` holds the plain template instead of values
    save_problem: str | None = None
    #: (plan name, error) for every cleanup that raised
    cleanup_errors: list[tuple[str, BaseException]] = field(default_factory=list)
    #: what messages call this preparation: ``producer`` for a pytest producer fixture
    kind: str = "preparation"
    #: how long it took, from its roots to its last batch (``None``: it did not run)
    duration_ms: float | None = None
    #: instances handed to the plans' cleanup, and instances whose cleanup was skipped (kept)
    cleaned_up: int = 0
    kept: int = 0
    #: a preview's batches, in order, without running them (``Run.preview``)
    planned: list[tuple[WarmupPlan, tuple[WarmupNode, ...]]] | None = None

    @property
    def node_failures(self) -> int:
        if self.instances is None:
            return 0
        return sum(1 for node in self.instances if node.has_exception)

    @property
    def status(self) -> str:
        """``"prepared"``, or ``"failed"`` when the preparation or any node failed, or
        ``"planned"`` for a preview that went well."""
        if self.error is not None or self.node_failures:
            return "failed"
        return "prepared" if self.planned is None else "planned"

    @property
    def description(self) -> str:
        """How messages name it: ``producer 'shop' (module:tests/test_x.py::shop)``, or
        ``preparation 'name'`` when its scope id is just its name."""
        where = f" ({self.scope_id})" if self.scope_id != self.name else ""
        return f"{self.kind} '{self.name}'{where}"


@dataclass(eq=False)
class RunRecord:
    """Every preparation of a run, in the order they started, and what the run's end adds."""

    prepares: list[PrepareRecord] = field(default_factory=list)
    #: snapshot entries and scopes that matched nothing (no repeats)
    warnings: list[str] = field(default_factory=list)
    #: what went wrong at the end of the run: files not written, unused targets, lost workers
    problems: list[str] = field(default_factory=list)
    #: the files the run wrote: (option, absolute path)
    written: list[tuple[str, str]] = field(default_factory=list)
    #: what the preparations taken out of ``prepares`` left (``_reports.release``): their
    #: summary totals, and their sections of the files the run writes (kind -> scope id ->
    #: section), as plain data
    released_summary: dict[str, Any] | None = None
    released_sections: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: scope id -> the position of its first preparation: files list scopes in this order
    scope_order: dict[str, int] = field(default_factory=dict)

    def add(self, record: PrepareRecord) -> None:
        self.prepares.append(record)
        self.scope_order.setdefault(record.scope_id, len(self.scope_order))

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    def summary(self) -> list[tuple[str, bool]]:
        """The lines of the terminal section: (text, is an error), warnings first."""
        return [(text, False) for text in self.warnings] + [(text, True) for text in self.problems]
